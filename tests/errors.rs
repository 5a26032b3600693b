//! Broken content: every mistake is reported with its file and line, the build exits
//! non-zero, and the previous output/ stays as it was.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;

const LESSON: &str = "day-1/01-first.fr.md";

/// A copy of the minimal fixture site with `edit` applied, built over a previous good output.
struct Case {
    _dir: tempfile::TempDir,
    content: PathBuf,
    output: PathBuf,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        copy_tree(&project_root().join("tests/fixtures/minimal/content"), &content);
        let output = dir.path().join("output");
        let first = build_with_binary(&content, &output);
        assert!(first.status.success(), "the fixture builds: {}", String::from_utf8_lossy(&first.stderr));
        Case { _dir: dir, content, output }
    }

    fn replace(&self, file: &str, from: &str, to: &str) -> &Self {
        let path = self.content.join(file);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} contains {from:?}");
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
        self
    }

    /// Builds, expects failure with an intact output, and returns stderr's lines.
    fn fails(&self) -> Vec<String> {
        let before = files_with_contents(&self.output);
        let result = build_with_binary(&self.content, &self.output);
        let stderr = String::from_utf8_lossy(&result.stderr).to_string();
        assert!(!result.status.success(), "build should fail:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(files_with_contents(&self.output), before, "previous output/ was changed");
        let leftovers: Vec<_> = fs::read_dir(self.output.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(leftovers.len(), 2, "no staging folder is left behind: {leftovers:?}");
        stderr.lines().map(str::to_string).collect()
    }

    fn path(&self, file: &str) -> String {
        self.content.join(file).display().to_string()
    }
}

fn files_with_contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_below(dir).into_iter().map(|f| { let c = fs::read(dir.join(&f)).unwrap(); (f, c) }).collect()
}

fn assert_reports(lines: &[String], expected_prefix: &str, message_part: &str) {
    assert!(
        lines.iter().any(|l| l.starts_with(expected_prefix) && l.contains(message_part)),
        "expected a line starting with {expected_prefix:?} containing {message_part:?} in:\n{}",
        lines.join("\n")
    );
}

#[test]
fn broken_yaml_names_file_and_line() {
    let case = Case::new();
    case.replace(LESSON, "summary: \"On commence.\"", "summary: \"On commence.");
    let lines = case.fails();
    assert_reports(&lines, &format!("{}:", case.path(LESSON)), "error: invalid YAML");
}

#[test]
fn unknown_key_names_its_line_and_column() {
    let case = Case::new();
    case.replace(LESSON, "order: 1\n", "order: 1\ncolour: red\n");
    let lines = case.fails();
    assert_reports(&lines, &format!("{}:5:1: error:", case.path(LESSON)), "unknown field `colour`");
}

#[test]
fn missing_key_is_named() {
    let case = Case::new();
    case.replace(LESSON, "summary: \"On commence.\"\n", "");
    let lines = case.fails();
    assert_reports(&lines, &format!("{}:", case.path(LESSON)), "missing field `summary`");
}

#[test]
fn wrong_type_names_line_and_expected_type() {
    let case = Case::new();
    case.replace(LESSON, "duration_minutes: 45", "duration_minutes: longtemps");
    let lines = case.fails();
    assert_reports(&lines, &format!("{}:5:", case.path(LESSON)), "invalid type");
}

#[test]
fn lesson_on_a_day_the_programme_lacks_points_at_the_day_key() {
    let case = Case::new();
    case.replace("day-2/01-third.fr.md", "day: 2", "day: 9");
    case.replace("day-2/01-third.ar.md", "day: 2", "day: 9");
    let lines = case.fails();
    assert_reports(&lines, &format!("{}:3: error:", case.path("day-2/01-third.fr.md")), "day 9 is not a day of the programme");
}

#[test]
fn two_lessons_in_the_same_place_are_refused() {
    let case = Case::new();
    for lang in ["fr", "ar"] {
        case.replace(&format!("day-1/02-second.{lang}.md"), "order: 2", "order: 1");
    }
    let lines = case.fails();
    assert!(lines.iter().any(|l| l.contains(":4: error: day 1 order 1 is already taken")), "{}", lines.join("\n"));
}

#[test]
fn file_that_is_not_utf8_is_located() {
    let case = Case::new();
    let path = case.content.join(LESSON);
    let mut bytes = fs::read(&path).unwrap();
    let at = bytes.windows(6).position(|w| w == b"## D\xC3\xA9").unwrap() + 3;
    bytes.splice(at..at + 2, [0xE9]); // "é" in Latin-1
    fs::write(&path, bytes).unwrap();
    let lines = case.fails();
    assert_reports(&lines, &format!("{}:13:4: error:", case.path(LESSON)), "not valid UTF-8");
}

#[test]
fn link_to_a_missing_lesson_names_its_line() {
    let case = Case::new();
    case.replace(LESSON, "(02-second.fr.md#la-suite)", "(02-absent.fr.md)");
    let lines = case.fails();
    assert_reports(&lines, &format!("{}:15: error:", case.path(LESSON)), "no lesson");
}

#[test]
fn missing_translation_is_reported() {
    let case = Case::new();
    fs::remove_file(case.content.join("day-2/01-third.ar.md")).unwrap();
    let lines = case.fails();
    assert_reports(&lines, &case.path("day-2/01-third.fr.md"), "no `ar` translation");
}

#[test]
fn all_errors_of_a_build_are_reported_together() {
    let case = Case::new();
    case.replace(LESSON, "order: 1\n", "order: 1\ncolour: red\n");
    case.replace("day-2/01-third.ar.md", "duration_minutes: 60", "duration_minutes: [60]");
    case.replace("programme.yaml", "date: 2025-10-21", "date: 2025-10-32");
    let lines = case.fails();
    assert_reports(&lines, &case.path(LESSON), "unknown field `colour`");
    assert_reports(&lines, &case.path("day-2/01-third.ar.md"), "invalid type");
    assert_reports(&lines, &case.path("programme.yaml"), "is not a date");
    assert!(lines.iter().any(|l| l.starts_with("3 error(s)")), "{}", lines.join("\n"));
}

#[test]
fn template_error_names_the_template() {
    let case = Case::new();
    let theme = case.content.parent().unwrap().join("theme");
    copy_tree(&theme_dir(), &theme);
    let day = theme.join("templates/day.html");
    let text = fs::read_to_string(&day).unwrap().replace("{% endblock content %}", "{% if %}\n{% endblock content %}");
    fs::write(&day, text).unwrap();
    let before = files_with_contents(&case.output);
    let result = dars(&["build", "--content", case.content.to_str().unwrap(), "--theme", theme.to_str().unwrap(), "--output", case.output.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success());
    assert!(stderr.contains(&format!("{}:", day.display())), "{stderr}");
    assert_eq!(files_with_contents(&case.output), before);
}

#[test]
fn missing_content_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let result = build_with_binary(&dir.path().join("nowhere"), &dir.path().join("output"));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success());
    assert!(stderr.contains("content folder not found"), "{stderr}");
}
