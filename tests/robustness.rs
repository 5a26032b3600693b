//! Odd but valid files build; a build killed while writing leaves the previous site whole.

mod common;

use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

fn minimal_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    copy_tree(&project_root().join("tests/fixtures/minimal/content"), &content);
    (dir, content)
}

fn lesson(title: &str, order: u32, body: &str) -> String {
    format!("---\ntitle: \"{title}\"\nday: 2\norder: {order}\nduration_minutes: 10\nage: {{ min: 8, max: 15 }}\nsummary: \"Résumé\"\nobjectives: [Lire]\nmaterials: []\n---\n{body}")
}

#[test]
fn bom_crlf_tabs_long_lines_and_empty_bodies_build() {
    let (dir, content) = minimal_copy();
    let day2 = content.join("day-2");
    // BOM and CRLF line endings.
    let crlf = format!("\u{feff}{}", lesson("Fichier Windows", 2, "## Titre\n\nLigne\tavec\ttabulations.\n").replace('\n', "\r\n"));
    fs::write(day2.join("02-windows.fr.md"), &crlf).unwrap();
    fs::write(day2.join("02-windows.ar.md"), lesson("ملف ويندوز", 2, "نص.\n").replace('\n', "\r\n")).unwrap();
    // A very long line, front matter only, an empty body.
    let long = "mot ".repeat(50_000);
    fs::write(day2.join("03-long.fr.md"), lesson("Très longue ligne", 3, &long)).unwrap();
    fs::write(day2.join("03-long.ar.md"), lesson("سطر طويل", 3, &"كلمة ".repeat(25_000))).unwrap();
    fs::write(day2.join("04-vide.fr.md"), lesson("Sans contenu", 4, "")).unwrap();
    fs::write(day2.join("04-vide.ar.md"), lesson("بلا محتوى", 4, "").trim_end()).unwrap();
    let out = dir.path().join("output");
    let result = build_with_binary(&content, &out);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let page = fs::read_to_string(out.join("fr/day-2/windows/index.html")).unwrap();
    assert!(page.contains("<h2 id=\"titre\"") && page.contains(">Titre</h2>"), "CRLF and BOM are read as plain text");
    assert!(!page.contains('\u{feff}') && !page.contains('\r'));
    assert!(out.join("ar/day-2/long/index.html").is_file());
    assert!(out.join("fr/day-2/vide/index.html").is_file());
}

#[test]
fn arabic_file_names_and_punctuation_make_safe_stable_addresses() {
    let (dir, content) = minimal_copy();
    let day2 = content.join("day-2");
    fs::write(day2.join("02-ما هو الحاسوب؟ (نسخة 2).fr.md"), lesson("Nom arabe", 2, "Texte.\n")).unwrap();
    fs::write(day2.join("02-ما هو الحاسوب؟ (نسخة 2).ar.md"), lesson("اسم عربي", 2, "نص.\n")).unwrap();
    fs::write(day2.join("03-..  Drôle de nom !!.fr.md"), lesson("Drôle", 3, "Texte.\n")).unwrap();
    fs::write(day2.join("03-..  Drôle de nom !!.ar.md"), lesson("غريب", 3, "نص.\n")).unwrap();
    let out = dir.path().join("output");
    let result = build_with_binary(&content, &out);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    assert!(out.join("ar/day-2/ما-هو-الحاسوب-نسخة-2/index.html").is_file());
    assert!(out.join("fr/day-2/drôle-de-nom/index.html").is_file());
    // `.dars-manifest` is dars's own record of the files it wrote.
    for f in files_below(&out).into_iter().filter(|f| f != ".dars-manifest") {
        assert!(!f.split('/').any(|p| p == ".." || p.starts_with('.')), "unsafe output path {f}");
    }
    assert!(files_below(dir.path()).iter().all(|f| f.starts_with("content/") || f.starts_with("output/")), "nothing written outside output/");
}

#[test]
fn unreadable_theme_and_broken_template_leave_output_intact() {
    let (dir, content) = minimal_copy();
    let out = dir.path().join("output");
    assert!(build_with_binary(&content, &out).status.success());
    let before = files_below(&out);
    let result = dars(&["build", "--content", content.to_str().unwrap(), "--theme", dir.path().join("no-theme").to_str().unwrap(), "--output", out.to_str().unwrap()]);
    assert!(!result.status.success());
    assert!(String::from_utf8_lossy(&result.stderr).contains("theme folder not found"));
    assert_eq!(files_below(&out), before);
}

/// Kills a build while it writes and checks the previous output/ survived whole.
#[test]
fn a_build_killed_while_writing_leaves_the_previous_site() {
    let dir = tempfile::tempdir().unwrap();
    let (_keep, small) = minimal_copy();
    let out = dir.path().join("output");
    assert!(build_with_binary(&small, &out).status.success());
    let before: Vec<(String, Vec<u8>)> = files_below(&out).into_iter().map(|f| { let b = fs::read(out.join(&f)).unwrap(); (f, b) }).collect();

    // A large site, so that writing takes long enough to be interrupted.
    let big = dir.path().join("big");
    assert!(dars(&["corpus", "--out", big.to_str().unwrap(), "--lessons", "1500"]).status.success());
    let theme = theme_dir();
    let mut killed_while_staging = false;
    for attempt in 0..5 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dars"))
            .args(["build", "--no-pdf", "--content", big.to_str().unwrap(), "--theme", theme.to_str().unwrap(), "--output", out.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let staging = loop {
            let found = fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.path()).find(|p| p.file_name().unwrap().to_string_lossy().starts_with("output.staging-"));
            // Pages are staged into one pack file: caught once some are in it.
            let staged_bytes = |s: &std::path::Path| files_below(s).iter().filter_map(|f| fs::metadata(s.join(f)).ok()).map(|m| m.len()).sum::<u64>();
            if let Some(s) = found.filter(|s| staged_bytes(s) > (50 + attempt as u64 * 100) * 4096) {
                break Some(s);
            }
            if start.elapsed() > Duration::from_secs(60) || child.try_wait().unwrap().is_some() {
                break None;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let _ = child.kill();
        let _ = child.wait();
        if staging.is_some() {
            killed_while_staging = true;
            break;
        }
    }
    assert!(killed_while_staging, "the build was never caught writing");
    let after: Vec<(String, Vec<u8>)> = files_below(&out).into_iter().map(|f| { let b = fs::read(out.join(&f)).unwrap(); (f, b) }).collect();
    assert_eq!(after.len(), before.len(), "output/ has the previous site's files");
    assert!(after == before, "output/ is the previous site, byte for byte");

    // The next build cleans up what the killed one left.
    assert!(build_with_binary(&small, &out).status.success());
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).filter(|n| n.starts_with("output.")).collect();
    assert!(left.is_empty(), "leftovers: {left:?}");
}

/// A second build with nothing changed does nothing; any change of input builds again.
#[test]
fn unchanged_inputs_are_not_rebuilt_and_every_kind_of_change_is() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(&project_root().join("tests/fixtures/minimal/content"), &root.join("content"));
    copy_tree(&theme_dir(), &root.join("themes/default"));
    let build = || {
        let out = dars(&["build", "--no-pdf", "--root", root.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(build().starts_with("built "));
    assert!(build().contains("is up to date"), "nothing changed");
    let page = || fs::read_to_string(root.join("output/fr/day-1/first/index.html")).unwrap_or_default();

    let lesson = root.join("content/day-1/01-first.fr.md");
    fs::write(&lesson, fs::read_to_string(&lesson).unwrap().replace("Première leçon", "Leçon changée")).unwrap();
    assert!(build().starts_with("built "), "an edited lesson builds");
    assert!(page().contains("Leçon changée"));

    fs::write(root.join("content/day-1/extra.txt"), "x").unwrap();
    assert!(build().starts_with("built "), "a new file builds");
    assert!(root.join("output/media/day-1/extra.txt").is_file());
    fs::remove_file(root.join("content/day-1/extra.txt")).unwrap();
    assert!(build().starts_with("built "), "a deleted file builds");
    assert!(!root.join("output/media/day-1/extra.txt").exists());

    let css = root.join("themes/default/static/style.css");
    fs::write(&css, fs::read_to_string(&css).unwrap() + "\n/* changed */\n").unwrap();
    assert!(build().starts_with("built "), "a theme change builds");
    assert!(fs::read_to_string(root.join("output/static/style.css")).unwrap().contains("/* changed */"));

    let programme = root.join("content/programme.yaml");
    fs::write(&programme, fs::read_to_string(&programme).unwrap().replace("Programme d'essai", "Programme renommé")).unwrap();
    assert!(build().starts_with("built "), "a programme change builds");
    assert!(page().contains("Programme renommé"));
    assert!(build().contains("is up to date"));

    let forced = dars(&["build", "--no-pdf", "--force", "--root", root.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&forced.stdout).starts_with("built "), "--force builds anyway");
}
