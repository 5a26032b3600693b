//! Every YAML file dars reads is parsed here, into typed structs that reject unknown keys.
//!
//! serde_yaml reports positions relative to the YAML text; callers pass the line on which
//! that text starts in its file so each error points at the author's real line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::Diagnostic;

/// A text per language code, e.g. `{ fr: "Jour", ar: "اليوم" }`.
pub type Localized = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AgeRange {
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeFile {
    pub default_language: String,
    pub languages: Vec<LanguageEntry>,
    pub title: Localized,
    #[serde(default)]
    pub short_title: Localized,
    pub description: Localized,
    pub audience: Audience,
    /// Markdown about the programme, shown on each language's home page.
    #[serde(default)]
    pub about: Localized,
    /// Absolute address the site will be published at, only used where a format demands
    /// absolute URLs (sitemap). Pages themselves only ever link relatively.
    #[serde(default)]
    pub base_url: Option<String>,
    pub days: Vec<DayEntry>,
    /// Bounds on lessons, images and handouts (see `crate::limits`).
    #[serde(default)]
    pub limits: crate::limits::Limits,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageEntry {
    pub code: String,
    pub name: String,
    #[serde(default = "ltr")]
    pub direction: String,
}

fn ltr() -> String {
    "ltr".to_string()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    pub age: AgeRange,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayEntry {
    pub number: u32,
    pub date: String,
    #[serde(default)]
    pub start: Option<String>,
    /// When the session ends; `dars check` warns when the lessons do not fit.
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub breaks: Vec<BreakEntry>,
    pub title: Localized,
    pub theme: Localized,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakEntry {
    pub after_order: u32,
    pub minutes: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CentresFile {
    pub centres: Vec<CentreEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CentreEntry {
    pub region: Localized,
    pub city: Localized,
    pub name: Localized,
    #[serde(default)]
    pub launch: bool,
}

/// The front matter of one lesson file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: String,
    pub day: u32,
    pub order: u32,
    pub duration_minutes: u32,
    pub age: AgeRange,
    pub objectives: Vec<String>,
    pub materials: Vec<String>,
    pub summary: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub trainer_notes: Option<String>,
    #[serde(default)]
    pub draft: bool,
    /// In a translation: the hash of the source lesson it was translated from, written by
    /// `dars mark-translated`; `dars check` warns when the source has changed since.
    #[serde(default)]
    pub source_hash: Option<String>,
}

/// UI strings of a theme for one language (`themes/<theme>/i18n/<lang>.yaml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiStringsFile {
    /// Month names, January first.
    pub months: Vec<String>,
    /// Weekday names, Monday first.
    pub weekdays: Vec<String>,
    /// e.g. "{weekday} {day} {month}"; `{year}` is available too.
    pub date_format: String,
    /// Counted words (`hours`, `minutes`, `lessons`, …), each with its plural forms by
    /// CLDR category (zero, one, two, few, many, other); `{n}` is the number.
    pub plurals: BTreeMap<String, BTreeMap<String, String>>,
    /// Put between hours and minutes, e.g. " " or " و".
    pub duration_joiner: String,
    /// Every other label the templates use, by key.
    pub labels: BTreeMap<String, String>,
}

/// Parses a YAML text that starts on `first_line` of `file`.
pub fn parse<T: DeserializeOwned>(text: &str, file: &Path, first_line: usize) -> Result<T, Diagnostic> {
    // An empty document means "no keys": let serde report the missing ones.
    let text = if text.trim().is_empty() { "{}" } else { text };
    serde_yaml::from_str(text).map_err(|e| yaml_diagnostic(&e, file, first_line))
}

fn yaml_diagnostic(e: &serde_yaml::Error, file: &Path, first_line: usize) -> Diagnostic {
    let message = explain(&strip_location(&e.to_string()));
    let d = Diagnostic::error(file, message);
    match e.location() {
        Some(loc) => d.at(first_line + loc.line() - 1, Some(loc.column())),
        None => d.at(first_line, None),
    }
}

/// serde_yaml appends " at line L column C" to its messages; the diagnostic carries them.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Adds what to do to serde's terse wording.
fn explain(message: &str) -> String {
    // Nested values are prefixed with their path: "age.min: invalid type: …".
    if message.contains("unknown field") {
        format!("{message}; remove it or fix its spelling")
    } else if message.contains("missing field") {
        format!("{message}; add it")
    } else if message.contains("invalid type") || message.contains("invalid value") {
        format!("{message}; change the value to the expected type")
    } else {
        format!("invalid YAML: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_points_at_its_line_in_the_file() {
        let yaml = "title: T\nday: 1\ncolour: red\n";
        let err = parse::<FrontMatter>(yaml, Path::new("a.md"), 2).unwrap_err();
        assert_eq!(err.line, Some(4));
        assert!(err.message.contains("unknown field `colour`"), "{}", err.message);
    }

    #[test]
    fn wrong_type_names_the_expected_type() {
        let yaml = "title: T\nday: one\n";
        let err = parse::<FrontMatter>(yaml, Path::new("a.md"), 2).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("invalid type"), "{}", err.message);
    }
}
