//! `dars check` on broken sites: each folder of tests/fixtures/check is the minimal fixture
//! with one mistake (or many), and its `expected.txt` is the exact report and exit code.

mod common;

use std::fs;
use std::process::Command;

use common::*;

/// Copies the minimal site, overlays the case's `content/`, removes what `delete` lists.
fn prepare(case: &std::path::Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    copy_tree(&project_root().join("tests/fixtures/minimal/content"), &content);
    if case.join("content").is_dir() {
        copy_tree(&case.join("content"), &content);
    }
    if let Ok(list) = fs::read_to_string(case.join("delete")) {
        for rel in list.lines().filter(|l| !l.trim().is_empty()) {
            fs::remove_file(content.join(rel.trim())).unwrap();
        }
    }
    dir
}

fn check(root: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let theme = theme_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_dars"))
        .current_dir(root)
        .args(["check", "--theme", theme.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).to_string())
}

#[test]
fn every_broken_fixture_gives_its_exact_report() {
    let cases_dir = project_root().join("tests/fixtures/check");
    let mut cases: Vec<_> = fs::read_dir(&cases_dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    assert!(cases.len() >= 14, "fixture cases: {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let expected = fs::read_to_string(case.join("expected.txt")).unwrap();
        let (exit_line, report) = expected.split_once('\n').unwrap();
        let want_exit: i32 = exit_line.strip_prefix("exit ").unwrap().parse().unwrap();
        let dir = prepare(case);
        let (code, got) = check(dir.path(), &[]);
        if code != want_exit || got != report {
            failures.push(format!("== {}: exit {code} (want {want_exit})\n-- got:\n{got}-- want:\n{report}", case.file_name().unwrap().to_string_lossy()));
        }
        assert!(!dir.path().join("output").exists(), "check writes nothing");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn strict_fails_on_warnings_and_the_shipped_site_is_clean() {
    let dir = prepare(&project_root().join("tests/fixtures/check/unused-file"));
    assert_eq!(check(dir.path(), &[]).0, 0);
    assert_eq!(check(dir.path(), &["--strict"]).0, 1);
    let (code, report) = check(&project_root(), &["--strict"]);
    assert_eq!(code, 0, "the shipped programme has no mistakes:\n{report}");
}

#[test]
fn build_refuses_what_check_calls_an_error_and_prints_warnings() {
    let dir = prepare(&project_root().join("tests/fixtures/check/broken-anchor"));
    let out = build_with_binary(&dir.path().join("content"), &dir.path().join("output"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no heading with id `nulle-part`"));
    let dir = prepare(&project_root().join("tests/fixtures/check/unused-file"));
    let out = build_with_binary(&dir.path().join("content"), &dir.path().join("output"));
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: no lesson uses this file"));
}

#[test]
fn mark_translated_records_the_source_and_check_notices_a_later_change() {
    let dir = prepare(&project_root().join("tests/fixtures/check/outdated-translation"));
    let ar = dir.path().join("content/day-2/01-third.ar.md");
    let out = dars(&["mark-translated", ar.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(check(dir.path(), &["--strict"]).0, 0, "translation now follows its source");
    let fr = dir.path().join("content/day-2/01-third.fr.md");
    fs::write(&fr, fs::read_to_string(&fr).unwrap().replace("Fin.", "Fin, avec une phrase de plus.")).unwrap();
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(report.contains("content/day-2/01-third.ar.md:10: warning: translation may be out of date"), "{report}");
}

/// Replaces the first `from` in the file at `path` with `to`.
fn plant(path: &std::path::Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} holds {from:?}", path.display());
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// A mistake of each stage (reading a file, the model, rendering, the PDFs' needs), in
/// separate files: one run of `dars check`, and of `dars build`, names every one of them
/// at its file and line, and also finds what the other lessons get right.
#[test]
fn one_run_finds_the_mistakes_of_every_stage() {
    let dir = prepare(&project_root().join("tests/fixtures/minimal"));
    let content = dir.path().join("content");
    // Load: front matter that is not YAML (line 5 is where the reader notices).
    plant(&content.join("day-1/01-first.fr.md"), "order: 1\n", "order: [1\n");
    // Render: a link to a lesson that does not exist, and an image that is not one.
    plant(&content.join("day-1/02-second.fr.md"), "## La suite", "Voir [la fin](99-absent.fr.md).\n\n![photo](photo.png)\n\n## La suite");
    fs::write(content.join("day-1/photo.png"), "not an image").unwrap();
    // Model: no objective; a lesson on a day the programme lacks; a start that is no time.
    fs::create_dir_all(content.join("day-9")).unwrap();
    for lang in ["fr", "ar"] {
        let text = fs::read_to_string(content.join(format!("day-2/01-third.{lang}.md"))).unwrap();
        fs::write(content.join(format!("day-9/01-extra.{lang}.md")), text.replace("day: 2", "day: 9")).unwrap();
    }
    plant(&content.join("day-2/01-third.fr.md"), "objectives: [Finir]", "objectives: []");
    plant(&content.join("programme.yaml"), "start: \"09:00\"", "start: \"9h\"");

    let expected = [
        "content/day-1/01-first.fr.md:5:17: error: invalid YAML",
        "content/day-1/02-second.fr.md:11: error: link `99-absent.fr.md`: no lesson",
        "content/day-1/02-second.fr.md:13: error: image `photo.png`",
        "content/day-2/01-third.fr.md:8: error: objectives is empty",
        "content/day-9/01-extra.fr.md:3: error: day 9 is not a day of the programme",
        "content/programme.yaml:12: error: day 1: start `9h` is not a time",
    ];
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    let missing: Vec<&&str> = expected.iter().filter(|e| !report.lines().any(|l| l.starts_with(**e))).collect();
    assert!(missing.is_empty(), "one run of dars check misses {missing:?}:\n{report}");
    assert!(!report.contains("photo.png: warning: no lesson uses this file"), "the image of a lesson in error is in use:\n{report}");

    let out = build_with_binary(&content, &dir.path().join("output"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let missing: Vec<&&str> = expected.iter().filter(|e| !stderr.lines().any(|l| l.contains(**e))).collect();
    assert!(missing.is_empty(), "one run of dars build misses {missing:?}:\n{stderr}");
    assert!(!dir.path().join("output").exists(), "nothing is published");
}

/// Findings in programme.yaml and centres.yaml carry the line they are about, and
/// numbered findings come in natural order (centre 2 before centre 10).
#[test]
fn yaml_findings_have_lines_and_come_in_natural_order() {
    let dir = prepare(&project_root().join("tests/fixtures/minimal"));
    let content = dir.path().join("content");
    // Twelve centres, each without its Arabic name: centre N's `name` is on line 3N + 1.
    let mut centres = String::from("centres:\n");
    for n in 1..=12 {
        centres += &format!("  - region: {{ fr: \"Région {n}\", ar: \"جهة {n}\" }}\n    city: {{ fr: \"Ville {n}\", ar: \"مدينة {n}\" }}\n    name: {{ fr: \"Centre {n}\" }}\n");
    }
    fs::write(content.join("centres.yaml"), centres).unwrap();
    plant(&content.join("programme.yaml"), "title: { fr: \"Deuxième jour\", ar: \"اليوم الثاني\" }", "title: { fr: \"Deuxième jour\" }");
    plant(&content.join("programme.yaml"), "  - { code: ar, name: العربية, direction: rtl }", "  - { code: ar, name: العربية, direction: rtl-ish }");

    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 1, "{report}");
    let centre_lines: Vec<&str> = report.lines().filter(|l| l.starts_with("content/centres.yaml")).collect();
    let want: Vec<String> = (1..=12).map(|n| format!("content/centres.yaml:{}: warning: centre {n} name has no `ar` text: `ar` pages show the `fr` one", 3 * n + 1)).collect();
    let got: Vec<String> = centre_lines.iter().map(|l| l.split(';').next().unwrap().to_string()).collect();
    // Missing only in a language other than the default, a text is shown in the default one.
    assert_eq!(got, want, "{report}");
    assert!(report.contains("content/programme.yaml:4: error: language `ar`: direction must be ltr or rtl"), "{report}");
    assert!(report.contains("content/programme.yaml:18: warning: day 2 title has no `ar` text"), "{report}");
    for line in report.lines().filter(|l| l.contains(".yaml")) {
        assert!(line.split(':').nth(1).is_some_and(|n| n.parse::<usize>().is_ok()), "a YAML finding without a line: {line}");
    }
}
