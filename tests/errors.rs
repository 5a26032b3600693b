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
fn missing_translation_is_published_in_the_source_language_with_a_warning() {
    let case = Case::new();
    fs::remove_file(case.content.join("day-2/01-third.ar.md")).unwrap();
    let result = build_with_binary(&case.content, &case.output);
    let report = format!("{}{}", String::from_utf8_lossy(&result.stdout), String::from_utf8_lossy(&result.stderr));
    assert!(result.status.success(), "a language can be published gradually:\n{report}");
    let lines: Vec<String> = report.lines().map(str::to_string).collect();
    assert_reports(&lines, &case.path("day-2/01-third.fr.md"), "warning: lesson has no `ar` translation: `ar` pages show it in `fr` with a notice");
    let page = fs::read_to_string(case.output.join("ar/day-2/third/index.html")).unwrap();
    assert!(page.contains("<html lang=\"ar\" dir=\"rtl\">") && page.contains("class=\"untranslated-notice\""), "{page}");
    assert!(page.contains("<h1 lang=\"fr\" dir=\"ltr\">"), "{page}");
    // A translation that disagrees with its source is still an error.
    fs::copy(case.content.join("day-2/01-third.fr.md"), case.content.join("day-2/01-third.ar.md")).unwrap();
    case.replace("day-2/01-third.ar.md", "order: 1", "order: 2");
    let lines = case.fails();
    assert_reports(&lines, &format!("{}:", case.path("day-2/01-third.ar.md")), "error: `order` differs from the translation");
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

/// Runs `dars build` on the case and returns its stderr lines, wall time and peak memory
/// (KiB), measured on the child alone.
fn build_measured(case: &Case) -> (Vec<String>, std::time::Duration, i64) {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let theme = theme_dir();
    let start = std::time::Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dars"))
        .args(["build", "--content", case.content.to_str().unwrap(), "--theme", theme.to_str().unwrap(), "--output", case.output.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    assert_eq!(unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) }, child.id() as i32);
    let elapsed = start.elapsed();
    assert_eq!(std::process::ExitStatus::from_raw(status).code(), Some(1), "build should fail:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (stderr.lines().map(str::to_string).collect(), elapsed, usage.ru_maxrss)
}

#[test]
fn alias_bomb_is_refused_at_the_alias_quickly_in_little_memory() {
    let case = Case::new();
    // 300 aliases to a 1 MiB text: 300 MiB once expanded (the reported bomb had 20,000).
    let big = "x".repeat(1 << 20);
    let centre = "  - region: { fr: *a, ar: *a }\n    city: { fr: *a, ar: *a }\n    name: { fr: *a, ar: *a }\n";
    case.replace("centres.yaml", "region: { fr: \"Souss-Massa\"", &format!("region: {{ fr: &a \"{big}\""));
    let text = fs::read_to_string(case.content.join("centres.yaml")).unwrap() + &centre.repeat(50);
    fs::write(case.content.join("centres.yaml"), text).unwrap();
    let (lines, time, max_rss_kib) = build_measured(&case);
    assert_reports(&lines, &format!("{}:5:19: error:", case.path("centres.yaml")), "aliases (`*name`) repeat more than 1024 KiB of YAML in this file (the limit)");
    assert!(time < std::time::Duration::from_secs(2), "{time:?}");
    assert!(max_rss_kib < 200 * 1024, "peak memory {max_rss_kib} KiB");
}

#[test]
fn deep_nesting_is_refused_at_its_line_in_well_under_a_second() {
    for deep in ["[".repeat(100_000), "{a: ".repeat(100_000)] {
        let case = Case::new();
        let text = fs::read_to_string(case.content.join("centres.yaml")).unwrap();
        fs::write(case.content.join("centres.yaml"), format!("{text}    launch: {deep}\n")).unwrap();
        let (lines, time, _) = build_measured(&case);
        assert_reports(&lines, &format!("{}:5:", case.path("centres.yaml")), "YAML nested more than 64 levels deep (the limit)");
        assert!(time < std::time::Duration::from_millis(500), "{time:?}");
    }
}

#[test]
fn duplicate_key_is_reported_at_its_own_line() {
    let case = Case::new();
    case.replace(LESSON, "summary: \"On commence.\"\n", "summary: \"On commence.\"\nday: 2\n");
    let lines = case.fails();
    assert_reports(&lines, &format!("{}:8:1: error:", case.path(LESSON)), "key `day` is already on line 3");
}

#[test]
fn huge_duration_is_refused_at_its_line_with_the_bound() {
    let case = Case::new();
    for lang in ["fr", "ar"] {
        case.replace(&format!("day-1/01-first.{lang}.md"), "duration_minutes: 45", "duration_minutes: 4294967295");
    }
    let lines = case.fails();
    assert_reports(&lines, &format!("{}:5: error:", case.path(LESSON)), "a lesson lasts 1 to 600 minutes");
    assert!(!lines.iter().any(|l| l.contains("08:59")), "{}", lines.join("\n"));
}

#[test]
fn day_past_midnight_is_refused_at_the_day_line() {
    let case = Case::new();
    case.replace("programme.yaml", "start: \"09:00\"", "start: \"23:00\"");
    let lines = case.fails();
    assert_reports(&lines, &format!("{}:10: error:", case.path("programme.yaml")), "day 1: its lessons and breaks take 90 minutes from 23:00, past midnight");
}

#[test]
fn overlong_break_is_refused_at_its_line() {
    let case = Case::new();
    case.replace("programme.yaml", "minutes: 15", "minutes: 4294967295");
    let lines = case.fails();
    assert_reports(&lines, &format!("{}:13: error:", case.path("programme.yaml")), "a break lasts 0 to 600 minutes");
}

#[test]
fn bad_dates_and_times_are_reported_at_their_lines() {
    let case = Case::new();
    case.replace("programme.yaml", "start: \"09:00\"", "start: \"25:00\"\n    end: \"late\"");
    case.replace("programme.yaml", "date: 2025-10-21", "date: 2025-10-32");
    let lines = case.fails();
    let programme = case.path("programme.yaml");
    assert_reports(&lines, &format!("{programme}:12: error:"), "start `25:00` is not a time");
    assert_reports(&lines, &format!("{programme}:13: error:"), "end `late` is not a time");
    assert_reports(&lines, &format!("{programme}:18: error:"), "date `2025-10-32` is not a date");
}
