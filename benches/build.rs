//! `cargo bench --bench build`: times a full build of the shipped programme and, apart,
//! the handout PDFs (5 days × 2 languages × 2 versions), median of several runs.
//!
//! Plain `main` (no harness): it prints one line per measure so the figures can be
//! quoted as they are.

use std::path::Path;
use std::time::{Duration, Instant};

use dars::render::handout::Handouts;
use dars::render::{RenderContext, Renderer};
use dars::{BuildOptions, Builder};

const RUNS: usize = 7;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("temporary folder");
    let mut opts = BuildOptions::in_project(root);
    opts.output_dir = tmp.path().join("output");
    // Every run builds the whole site, not only the first (nothing changes between runs).
    opts.force = true;
    let builder = Builder::new();

    let mut totals = Vec::new();
    let mut pages = 0;
    for _ in 0..RUNS {
        // typst memoizes across compilations in a process; a CLI build starts cold.
        typst::comemo::evict(0);
        let start = Instant::now();
        let report = builder.build(&opts).unwrap_or_else(|d| panic!("{d}"));
        totals.push(start.elapsed());
        pages = report.pages;
    }
    println!("full build of the shipped site, cold: median {:.1?} over {RUNS} runs ({pages} HTML pages, PDFs included)", median(totals));

    let (site, theme) = builder.load(&opts).unwrap_or_else(|d| panic!("{d}"));
    let cx = RenderContext { site: &site, theme: &theme, highlighter: &builder.highlighter, pdf: true, bodies: None, sink: None, cache: None };
    let mut times = Vec::new();
    let mut warm = Vec::new();
    let mut pdfs = 0;
    let mut pdf_pages = 0;
    for _ in 0..RUNS {
        typst::comemo::evict(0);
        let start = Instant::now();
        let files = Handouts.render(&cx).unwrap_or_else(|d| panic!("{d}"));
        times.push(start.elapsed());
        // The same again with typst's caches warm, as in `dars serve` after an edit.
        let start = Instant::now();
        Handouts.render(&cx).unwrap_or_else(|d| panic!("{d}"));
        warm.push(start.elapsed());
        let pdf_files: Vec<_> = files.iter().filter(|f| f.path.ends_with(".pdf")).collect();
        pdfs = pdf_files.len();
        pdf_pages = pdf_files
            .iter()
            .map(|f| match &f.contents {
                dars::render::Contents::Bytes(b) => count_pages(b),
                dars::render::Contents::CopyOf(_) | dars::render::Contents::Staged { .. } => 0,
            })
            .sum();
    }
    let m = median(times);
    println!(
        "handouts (HTML + PDF + zip), cold: median {m:.1?} for {pdfs} PDFs, {pdf_pages} PDF pages: {:.1?} per PDF, {:.2?} per page",
        m / pdfs.max(1) as u32,
        m / pdf_pages.max(1) as u32
    );
    println!("handouts again with typst's caches warm: median {:.1?}", median(warm));
}

/// Pages of a PDF, counted from its page objects.
fn count_pages(pdf: &[u8]) -> usize {
    [&b"/Type /Page"[..], &b"/Type/Page"[..]]
        .iter()
        .map(|needle| pdf.windows(needle.len() + 1).filter(|w| &w[..needle.len()] == *needle && w[needle.len()] != b's').count())
        .sum()
}
