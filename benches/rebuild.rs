//! `cargo bench --bench rebuild`: watch mode's rebuild after one lesson is edited, in a
//! generated programme of 1,000 lessons per language (20 a day), against a full rebuild.
//! Pages (what the browser reloads) and the edited day's handouts are timed apart.

use std::path::Path;
use std::time::{Duration, Instant};

use dars::BuildOptions;
use dars::session::Session;

const LESSONS: usize = 1000;
const RUNS: usize = 7;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let content = tmp.path().join("content");
    dars::corpus::generate(&content, LESSONS, 20).expect("corpus written");
    let mut opts = BuildOptions::in_project(tmp.path());
    opts.theme_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");

    for pdf in [false, true] {
        opts.pdf = pdf;
        let mut session = Session::new(opts.clone());
        let start = Instant::now();
        session.full().unwrap_or_else(|d| panic!("{d}"));
        let full = start.elapsed();
        let lesson = content.join("day-25/010-lesson-489.fr.md");
        let original = std::fs::read_to_string(&lesson).expect("the lesson exists");
        let mut pages = Vec::new();
        let mut handouts = Vec::new();
        let mut written = 0;
        for run in 0..RUNS {
            std::fs::write(&lesson, original.replace("## Pour commencer", &format!("## Pour commencer (version {run})"))).unwrap();
            let start = Instant::now();
            let update = session.apply(std::slice::from_ref(&lesson)).unwrap_or_else(|d| panic!("{d}"));
            pages.push(start.elapsed());
            written = update.changed.len();
            let start = Instant::now();
            session.finish().unwrap_or_else(|d| panic!("{d}"));
            handouts.push(start.elapsed());
        }
        println!(
            "{LESSONS} lessons per language, PDFs {}: full rebuild {full:.0?}; after editing one lesson: pages {:.1?} ({written} files), then that day's handouts {:.0?} (median of {RUNS})",
            if pdf { "on" } else { "off" },
            median(pages),
            median(handouts),
        );
    }
}
