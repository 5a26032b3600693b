//! `cargo bench --bench scale`: full builds of generated programmes of 1,000 and 5,000
//! lessons per language (release binary, handouts as HTML; PDFs are timed apart on a
//! smaller site), median of several runs: wall time, pages per second, user and system
//! CPU, peak memory, and the time of each stage as the build reports it. Measured for each
//! size: a first build (no output/ yet, and the time `cp -r` needs to create the same tree,
//! for scale), a forced full rebuild, a rebuild after a template edit (every page written
//! again) and a build with nothing changed.
//!
//! The search index's size per language is printed after the first builds (its build time
//! is the `search` renderer's in the stages).
//!
//! `SCALE_SIZES=1000,5000,10000` and `SCALE_RUNS=5` change what is measured;
//! `DARS_BIN=/path/to/dars` measures another build of dars (an older one, to compare).

use std::path::Path;
use std::process::{Command, Stdio};

#[path = "common/measure.rs"]
mod measure;
use measure::{Run, measure};

fn median<T: Ord + Copy>(mut xs: Vec<T>) -> T {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    let dars_bin = std::env::var("DARS_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_dars").to_string());
    let dars = dars_bin.as_str();
    let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
    let sizes: Vec<usize> = std::env::var("SCALE_SIZES").unwrap_or_else(|_| "1000,5000".into()).split(',').filter_map(|s| s.trim().parse().ok()).collect();
    let runs: usize = std::env::var("SCALE_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    for n in sizes {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let content = tmp.path().join("content");
        dars::corpus::generate(&content, n, 20).expect("corpus written");
        let out = tmp.path().join("output");
        let build = |extra: &[&str]| {
            let mut cmd = Command::new(dars);
            cmd.args(["build", "--no-pdf", "--verbose"]).args(extra).arg("--content").arg(&content).arg("--theme").arg(&theme).arg("--output").arg(&out);
            measure(cmd.stderr(Stdio::null()))
        };
        // A first build: output/ does not exist (removing the previous one is not timed).
        let first: Vec<Run> = (0..runs)
            .map(|_| {
                let _ = std::fs::remove_dir_all(&out);
                build(&[])
            })
            .collect();
        summarise(&format!("{n} lessons per language, first build"), &first);
        search_index(n, &out);
        // What the file system alone needs to create that tree here, measured the same way:
        // on this machine's ext4 (no journal), making files and folders right after many were
        // deleted is slow, and a first build pays it like any other program.
        let copy = tmp.path().join("copy");
        let copies: Vec<Run> = (0..runs)
            .map(|_| {
                let _ = std::fs::remove_dir_all(&copy);
                measure(Command::new("cp").arg("-r").arg(&out).arg(&copy).stderr(Stdio::null()))
            })
            .collect();
        let _ = std::fs::remove_dir_all(&copy);
        summarise(&format!("{n} lessons per language, `cp -r` of the built site (file system alone)"), &copies);
        // Everything rendered again over the previous output (what an author's build does
        // after changing a template, minus the pages it finds unchanged).
        let forced: Vec<Run> = (0..runs).map(|_| build(&["--force"])).collect();
        summarise(&format!("{n} lessons per language, full rebuild (--force)"), &forced);
        // A template edited before each build: every page is different and written again.
        let theme_copy = tmp.path().join("theme");
        copy_tree(&theme, &theme_copy);
        let base = theme_copy.join("templates/base.html");
        let base_text = std::fs::read_to_string(&base).expect("base template");
        let edited: Vec<Run> = (0..runs)
            .map(|run| {
                std::fs::write(&base, format!("{base_text}<!-- edit {run} -->\n")).expect("template edited");
                let mut cmd = Command::new(dars);
                cmd.args(["build", "--no-pdf", "--verbose", "--content"]).arg(&content).arg("--theme").arg(&theme_copy).arg("--output").arg(&out);
                measure(cmd.stderr(Stdio::null()))
            })
            .collect();
        summarise(&format!("{n} lessons per language, template edited (every page rewritten)"), &edited);
        build(&["--force"]);
        let unchanged: Vec<Run> = (0..runs).map(|_| build(&[])).collect();
        summarise(&format!("{n} lessons per language, nothing changed"), &unchanged);
    }

    // PDFs apart: a generated site of 100 lessons per language, 20 a day.
    let tmp = tempfile::tempdir().expect("temporary folder");
    let content = tmp.path().join("content");
    dars::corpus::generate(&content, 100, 20).expect("corpus written");
    let out = tmp.path().join("output");
    let run = measure(Command::new(dars).args(["build", "--verbose", "--content"]).arg(&content).arg("--theme").arg(&theme).arg("--output").arg(&out).stderr(Stdio::null()));
    let pdfs: Vec<_> = walk_pdfs(&out);
    let pages: usize = pdfs.iter().map(|p| count_pages(&std::fs::read(p).unwrap_or_default())).sum();
    println!(
        "with PDFs, 100 lessons per language: {} PDFs, {pages} PDF pages, build {:.2?} (user {:.2?}, sys {:.2?}, peak RSS {} MiB); stages: {}",
        pdfs.len(),
        run.wall,
        run.user,
        run.sys,
        run.max_rss_kib / 1024,
        run.report.split_once("stages: ").map(|(_, s)| s.trim()).unwrap_or("")
    );
}

fn summarise(what: &str, results: &[Run]) {
    let pages: usize = results[0].report.split(" pages").next().and_then(|s| s.rsplit(' ').next()).and_then(|s| s.parse().ok()).unwrap_or(0);
    let wall = median(results.iter().map(|r| r.wall).collect());
    let rate = if pages > 0 { format!("{pages} pages, {:.0} pages/s, ", pages as f64 / wall.as_secs_f64()) } else { String::new() };
    println!(
        "{what}: {rate}wall {wall:.2?} (median of {}), user {:.2?}, sys {:.2?}, peak RSS {} MiB",
        results.len(),
        median(results.iter().map(|r| r.user).collect()),
        median(results.iter().map(|r| r.sys).collect()),
        median(results.iter().map(|r| r.max_rss_kib).collect()) / 1024,
    );
    let median_run = results.iter().min_by_key(|r| (r.wall.as_nanos() as i128 - wall.as_nanos() as i128).abs()).expect("runs");
    if median_run.report.is_empty() {
        return;
    }
    println!("  stages of the median run: {}", median_run.report.split_once("stages: ").map(|(_, s)| s.trim()).unwrap_or(""));
}

/// The search index of each language (src/render/search.rs): what a query loads at most
/// (the manifest and the term shards its words sort into) and the texts of results.
fn search_index(n: usize, out: &Path) {
    let Ok(langs) = std::fs::read_dir(out.join("search")) else { return };
    let mut langs: Vec<_> = langs.flatten().filter(|e| e.path().is_dir()).map(|e| e.path()).collect();
    langs.sort();
    for dir in langs {
        let (mut manifest, mut terms, mut largest, mut term_files, mut docs, mut doc_files) = (0, 0, 0, 0, 0, 0);
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let (name, size) = (e.file_name().to_string_lossy().into_owned(), e.metadata().map(|m| m.len()).unwrap_or(0));
            match name.as_bytes().first() {
                Some(b'i') => manifest = size,
                Some(b't') => (terms, largest, term_files) = (terms + size, largest.max(size), term_files + 1),
                Some(b'd') => (docs, doc_files) = (docs + size, doc_files + 1),
                _ => {}
            }
        }
        let kb = |b: u64| b as f64 / 1024.0;
        println!(
            "  search index, {n} lessons, {}: manifest {:.1} KB, {term_files} term shards ({:.0} KB, largest {:.1} KB), {doc_files} text files ({:.0} KB)",
            dir.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
            kb(manifest),
            kb(terms),
            kb(largest),
            kb(docs)
        );
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).into_iter().flatten() {
        let dest = to.join(entry.path().strip_prefix(from).expect("below the root"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("folder copied");
        } else {
            std::fs::copy(entry.path(), &dest).expect("file copied");
        }
    }
}

fn walk_pdfs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk_pdfs(&p));
        } else if p.extension().is_some_and(|x| x == "pdf") {
            out.push(p);
        }
    }
    out
}

fn count_pages(pdf: &[u8]) -> usize {
    [&b"/Type /Page"[..], &b"/Type/Page"[..]]
        .iter()
        .map(|needle| pdf.windows(needle.len() + 1).filter(|w| &w[..needle.len()] == *needle && w[needle.len()] != b's').count())
        .sum()
}
