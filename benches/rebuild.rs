//! `cargo bench --bench rebuild`: watch mode's rebuild after one lesson is edited, in a
//! generated programme of 1,000 lessons per language (20 a day), against a full rebuild.
//! Pages (what the browser reloads) and the edited day's handouts are timed apart.
//! Then, on the shipped programme (5 days, 20 PDFs), a theme edit (a line of CSS, a UI
//! label): the time until the pages are ready (the browser reloads) and until every PDF is.

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

/// The shipped programme with a copy of the theme; each theme file of `edits` is changed
/// RUNS times, and the pages and the PDFs timed from the save.
fn theme_edits() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_tree(&root.join("themes/default"), &tmp.path().join("theme"));
    let mut opts = BuildOptions::in_project(root);
    opts.theme_dir = tmp.path().join("theme");
    let mut session = Session::new(opts.clone());
    session.full().unwrap_or_else(|d| panic!("{d}"));
    while session.has_stale_handouts() {
        session.finish().unwrap_or_else(|d| panic!("{d}"));
    }
    let edits: [(&str, &str, fn(usize) -> String); 2] = [
        ("a line of CSS", "static/style.css", |run| format!("\n/* edit {run} */\n")),
        ("a UI label", "i18n/fr.yaml", |run| format!("\n# edit {run}\n")),
    ];
    for (what, file, line) in edits {
        let path = opts.theme_dir.join(file);
        let original = std::fs::read_to_string(&path).expect("the theme file exists");
        let (mut pages, mut pdfs) = (Vec::new(), Vec::new());
        for run in 0..RUNS.min(3) {
            std::fs::write(&path, format!("{original}{}", line(run))).unwrap();
            let start = Instant::now();
            session.apply(std::slice::from_ref(&path)).unwrap_or_else(|d| panic!("{d}"));
            pages.push(start.elapsed());
            while session.has_stale_handouts() {
                session.finish().unwrap_or_else(|d| panic!("{d}"));
            }
            pdfs.push(start.elapsed());
        }
        std::fs::write(&path, original).unwrap();
        println!("shipped programme, PDFs on, after editing {what}: pages ready (reload) {:.2?}, every PDF ready {:.2?} (median of {})", median(pages), median(pdfs), RUNS.min(3));
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("readable");
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn main() {
    theme_edits();
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
        // Pages, then every handout (a job watch mode runs in the background).
        while session.has_stale_handouts() {
            session.finish().unwrap_or_else(|d| panic!("{d}"));
        }
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
