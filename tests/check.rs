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
