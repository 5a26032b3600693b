//! `cargo bench --bench kits`: the trainers' kits of a generated centres.yaml of 600
//! centres (every seventh on its own dates) over the shipped lessons: 600 × 5 days × 2
//! sheets × 2 languages = 12,000 PDFs, 6,000 print pages, 1,200 centre pages, 600 zips.
//!
//! 1. Layout compared on a sample of centres, in this process: one typst document per
//!    centre and language cut into its 10 PDFs (what builds do) against one document per
//!    sheet.
//! 2. `dars build` (the release binary) on the whole file, measured with wait4(2): wall
//!    time, user and system CPU, peak memory, output size; against the same site with one
//!    centre, which gives the cost of one more centre. Then a forced rebuild (every kit
//!    read back from output/) and a build after one centre's room changed (its 2 kits
//!    typeset).
//!
//! `KIT_CENTRES=600` and `KIT_SAMPLE=8` change the sizes.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use dars::build::{BuildOptions, Builder};
use dars::render::RenderContext;
use dars::render::handout::HandoutKit;
use dars::render::kit::{Layout, typeset_kit};

// This bench reads times and memory, not the build's report.
#[allow(dead_code)]
#[path = "common/measure.rs"]
mod measure;
use measure::{Run, measure};

/// A centres.yaml of `n` centres; every seventh runs the days on dates of its own.
fn centres_yaml(n: usize, room_of_first: &str) -> String {
    let mut y = String::from("centres:\n");
    for i in 0..n {
        y.push_str(&format!(
            "  - region: {{ fr: \"Région {r}\", ar: \"الجهة {r}\" }}\n    city: {{ fr: \"Ville {i}\", ar: \"المدينة {i}\" }}\n    name: {{ fr: \"Dar Chabab numéro {i}\", ar: \"دار الشباب رقم {i}\" }}\n    trainers: [\"Formateur {i} A\", \"Formateur {i} B\"]\n",
            r = i % 12
        ));
        if i == 0 {
            y.push_str(&format!("    room: {{ fr: \"{room_of_first}\", ar: \"{room_of_first}\" }}\n"));
        }
        if i % 7 == 3 {
            y.push_str("    dates: [2025-11-03, 2025-11-04, 2025-11-05, 2025-11-06, 2025-11-07]\n");
        }
    }
    y
}

fn du(path: &Path) -> u64 {
    walkdir::WalkDir::new(path).into_iter().flatten().filter(|e| e.file_type().is_file()).map(|e| e.metadata().map_or(0, |m| m.len())).sum()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let n: usize = std::env::var("KIT_CENTRES").ok().and_then(|s| s.parse().ok()).unwrap_or(600);
    let sample: usize = std::env::var("KIT_SAMPLE").ok().and_then(|s| s.parse().ok()).unwrap_or(8);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("temporary folder");
    let content = tmp.path().join("content");
    copy_tree(&root.join("content"), &content);

    // 1. Layout, on a sample of centres, in this process.
    fs::write(content.join("centres.yaml"), centres_yaml(sample, "Salle 1")).expect("centres written");
    let mut opts = BuildOptions::in_project(root);
    opts.content_dir = content.clone();
    let builder = Builder::new();
    let (site, theme) = builder.load(&opts).unwrap_or_else(|d| panic!("{d}"));
    let kit = HandoutKit::load(&theme).unwrap_or_else(|d| panic!("{d}"));
    let cx = RenderContext { site: &site, theme: &theme, highlighter: &builder.highlighter, pdf: true, bodies: None, sink: None, cache: None };
    for layout in [Layout::PerCentre, Layout::PerSheet] {
        typst::comemo::evict(0);
        let start = Instant::now();
        let mut pdfs = 0;
        let mut bytes = 0;
        for c in 0..sample {
            for lang in ["fr", "ar"] {
                let parts = typeset_kit(&cx, &kit, c, lang, layout).unwrap_or_else(|d| panic!("{d}"));
                pdfs += parts.len();
                bytes += parts.iter().map(|(_, b)| b.len()).sum::<usize>();
            }
        }
        let t = start.elapsed();
        println!(
            "layout {layout:?}: {sample} centres × 2 languages, {pdfs} PDFs ({:.1} MiB) in {t:.1?} on one thread: {:.0?} per centre",
            mib(bytes as u64),
            t / sample as u32
        );
    }

    // 2. `dars build` of 1 and of `n` centres.
    let dars = env!("CARGO_BIN_EXE_dars");
    let theme_dir = root.join("themes/default");
    let build = |out: &Path, force: bool| {
        let mut cmd = Command::new(dars);
        cmd.args(["build", "--content", content.to_str().unwrap(), "--theme", theme_dir.to_str().unwrap(), "--output", out.to_str().unwrap()]);
        if force {
            cmd.arg("--force");
        }
        measure(&mut cmd)
    };
    let show = |what: &str, r: &Run| {
        println!("{what}: wall {:.1?}, user {:.1?}, sys {:.1?}, peak memory {} MiB", r.wall, r.user, r.sys, r.max_rss_kib / 1024);
    };
    fs::write(content.join("centres.yaml"), centres_yaml(1, "Salle 1")).expect("centres written");
    let one = build(&tmp.path().join("one"), false);
    show("dars build, 1 centre (the handouts, and 1 kit)", &one);

    fs::write(content.join("centres.yaml"), centres_yaml(n, "Salle 1")).expect("centres written");
    let out = tmp.path().join("output");
    let cold = build(&out, false);
    show(&format!("dars build, {n} centres, no kit cached"), &cold);
    let per_centre = cold.wall.saturating_sub(one.wall) / (n as u32 - 1).max(1);
    let per_centre_cpu = (cold.user + cold.sys).saturating_sub(one.user + one.sys) / (n as u32 - 1).max(1);
    println!("  one more centre: {per_centre:.0?} wall, {per_centre_cpu:.0?} CPU (user + system)");
    println!(
        "  output {:.0} MiB, of which the centres' zips {:.0} MiB, their PDFs and pages {:.0} MiB",
        mib(du(&out)),
        mib(du(&out.join("kits"))),
        mib(du(&out.join("fr/centres")) + du(&out.join("ar/centres"))),
    );
    let warm = build(&out, true);
    show(&format!("dars build --force, {n} centres, every kit cached"), &warm);
    fs::write(content.join("centres.yaml"), centres_yaml(n, "Salle 2")).expect("centres written");
    let edit = build(&out, false);
    show(&format!("dars build, {n} centres, one centre's room changed (2 kits typeset)"), &edit);
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("readable");
        let dest = to.join(entry.path().strip_prefix(from).expect("below"));
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest).expect("folder");
        } else {
            fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}
