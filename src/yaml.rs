//! Every YAML file dars reads is parsed here, into typed structs that reject unknown keys.
//!
//! serde_yaml reports positions relative to the YAML text; callers pass the line on which
//! that text starts in its file so each error points at the author's real line.
//!
//! Before serde_yaml, an event scan (saphyr-parser) bounds what the text may make it do:
//! nesting depth and alias expansion (see `MAX_DEPTH`, `MAX_ALIAS_EXPANSION`), and
//! reports duplicate keys on their own line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::Diagnostic;

/// Line in its file of each key and list item of a YAML text, by path: `days`,
/// `days.0` (the first item), `days.0.start`.
pub type KeyLines = BTreeMap<String, usize>;

impl ProgrammeFile {
    /// The line of the key or item at `path` (see `KeyLines`), when known.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        self.lines.get(path).copied()
    }
}

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
    /// Shown at the foot of every page (partners, publisher), per language; none if absent.
    #[serde(default)]
    pub footer: Localized,
    pub days: Vec<DayEntry>,
    /// Line of each key and list item, by path (`days.0.start`): not in the file, filled
    /// by `parse_programme`.
    #[serde(skip)]
    pub lines: KeyLines,
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

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CentresFile {
    /// The heading and the sentence above the list on the centres page, per language (the
    /// theme's generic ones if absent).
    #[serde(default)]
    pub title: Localized,
    #[serde(default)]
    pub intro: Localized,
    pub centres: Vec<CentreEntry>,
    /// Line of each key and list item, by path (`centres.3.name`): filled by `parse_centres`.
    #[serde(skip)]
    pub lines: KeyLines,
}

impl CentresFile {
    /// The line of the key or item at `path` (see `KeyLines`), when known.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        self.lines.get(path).copied()
    }
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
    /// Silences `dars check`'s warning about `<script>`, `<iframe>`, `<style>` and event
    /// handlers in this lesson's raw HTML (see docs/authoring.md, "Raw HTML").
    #[serde(default)]
    pub allow_active_html: bool,
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
    parse_with_lines(text, file, first_line, false).map(|(value, _)| value)
}

/// Parses programme.yaml, keeping the line of every key and list item so that the model
/// stage can point at `days.2.start` rather than at the file.
pub fn parse_programme(text: &str, file: &Path) -> Result<ProgrammeFile, Diagnostic> {
    let (mut programme, lines): (ProgrammeFile, _) = parse_with_lines(text, file, 1, true)?;
    programme.lines = lines;
    Ok(programme)
}

/// Parses centres.yaml, keeping the line of every key and list item (`centres.3.name`).
pub fn parse_centres(text: &str, file: &Path) -> Result<CentresFile, Diagnostic> {
    let (mut centres, lines): (CentresFile, _) = parse_with_lines(text, file, 1, true)?;
    centres.lines = lines;
    Ok(centres)
}

fn parse_with_lines<T: DeserializeOwned>(text: &str, file: &Path, first_line: usize, want_lines: bool) -> Result<(T, KeyLines), Diagnostic> {
    // An empty document means "no keys": let serde report the missing ones.
    let text = if text.trim().is_empty() { "{}" } else { text };
    // serde_yaml expands aliases and recurses without bounds of its own that would stop
    // it in time: the text is vetted first.
    let lines = scan(text, first_line, want_lines).map_err(|r| Diagnostic::error(file, r.message).at(r.line, r.column))?;
    let value = serde_yaml::from_str(text).map_err(|e| yaml_diagnostic(&e, file, first_line))?;
    Ok((value, lines))
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

/// How deep mappings and lists may nest in any YAML file. dars's own files nest 4 levels;
/// deeper is a mistake or an attack, and libyaml takes minutes over 100,000 levels.
pub const MAX_DEPTH: usize = 64;

/// How much aliases (`*name`) may add to a YAML file once expanded, counted as the bytes of
/// the scalars they repeat plus one per node. serde_yaml copies the anchored node at each
/// alias, so 20,000 aliases to a 1 MB text would take 20 GB.
pub const MAX_ALIAS_EXPANSION: u64 = 1 << 20;

/// What the scan refuses, at a line (in the file) and column (1-based).
#[derive(Debug)]
struct Refusal {
    line: usize,
    column: Option<usize>,
    message: String,
}

/// Reads the events of a YAML text, building nothing, before serde_yaml sees it: refuses
/// nesting past `MAX_DEPTH`, aliases that expand past `MAX_ALIAS_EXPANSION` and duplicate
/// keys, each at its own line, and gives the line of every key when `want_lines`.
fn scan(text: &str, first_line: usize, want_lines: bool) -> Result<KeyLines, Refusal> {
    let mut scan = Scan { first_line, want_lines, ..Scan::default() };
    for event in saphyr_parser::Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| scan.parse_error(&e))?;
        scan.event(event, &span.start)?;
    }
    Ok(scan.lines)
}

/// An anchored node, as an alias to it would repeat it.
#[derive(Debug, Clone, Copy)]
struct Anchored {
    cost: u64,
    /// Levels of nesting inside it (0 for a scalar).
    height: usize,
}

/// A mapping or list being read.
#[derive(Debug, Default)]
struct Open<'a> {
    anchor: usize,
    cost: u64,
    height: usize,
    /// Nodes started directly inside: in a mapping, even ones are keys.
    children: usize,
    /// For a mapping, each scalar key and its line.
    keys: Option<std::collections::HashMap<std::borrow::Cow<'a, str>, usize>>,
    /// The last key of a mapping, naming the value that follows it.
    key: Option<std::borrow::Cow<'a, str>>,
    path: String,
}

#[derive(Debug, Default)]
struct Scan<'a> {
    first_line: usize,
    want_lines: bool,
    open: Vec<Open<'a>>,
    /// Finished anchored nodes by the parser's anchor id (an alias to an unfinished one
    /// would contain itself).
    anchors: std::collections::HashMap<usize, Anchored>,
    expanded: u64,
    lines: KeyLines,
}

impl<'a> Scan<'a> {
    fn refusal(&self, at: &saphyr_parser::Marker, message: String) -> Refusal {
        Refusal { line: self.line(at), column: Some(at.col() + 1), message }
    }

    fn parse_error(&self, e: &saphyr_parser::ScanError) -> Refusal {
        // saphyr stops at 256 levels of `[`/`{`, reading ahead of the events it gave (a
        // flow list may yet turn out to be a key): to the author it is our limit, crossed
        // before the place saphyr stopped at, so its column is not given.
        if e.info() == "recursion limit exceeded" {
            return Refusal { column: None, ..self.refusal(e.marker(), too_deep()) };
        }
        self.refusal(e.marker(), format!("invalid YAML: {}", e.info()))
    }

    fn line(&self, at: &saphyr_parser::Marker) -> usize {
        self.first_line + at.line() - 1
    }

    fn event(&mut self, event: saphyr_parser::Event<'a>, at: &saphyr_parser::Marker) -> Result<(), Refusal> {
        use saphyr_parser::Event;
        match event {
            Event::Scalar(value, _, anchor, _) => {
                let cost = value.len() as u64 + 1;
                self.child(Some(value), at)?;
                self.close(anchor, cost, 0);
            }
            Event::Alias(id) => {
                self.child(None, at)?;
                self.alias(id, at)?;
            }
            Event::SequenceStart(anchor, _) => self.start(anchor, false, at)?,
            Event::MappingStart(anchor, _) => self.start(anchor, true, at)?,
            Event::SequenceEnd | Event::MappingEnd => {
                let node = self.open.pop().expect("the parser balances starts and ends");
                self.close(node.anchor, node.cost.saturating_add(1), node.height + 1);
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// A node starts inside the innermost open one: a key is checked for duplicates, and
    /// the node's path is recorded. Returns the path the node's own children hang from.
    fn child(&mut self, scalar: Option<std::borrow::Cow<'a, str>>, at: &saphyr_parser::Marker) -> Result<String, Refusal> {
        let line = self.line(at);
        let Some(parent) = self.open.last_mut() else { return Ok(String::new()) };
        let index = parent.children;
        parent.children += 1;
        if let Some(keys) = parent.keys.as_mut().filter(|_| index % 2 == 0) {
            parent.key = None;
            let Some(key) = scalar else { return Ok(String::new()) };
            if let Some(&first) = keys.get(&key) {
                let message = format!("key `{key}` is already on line {first}; a key may appear once in a mapping, remove one of them");
                return Err(Refusal { line, column: Some(at.col() + 1), message });
            }
            if self.want_lines {
                self.lines.insert(join(&parent.path, &key), line);
                parent.key = Some(key.clone());
            }
            keys.insert(key, line);
            return Ok(String::new());
        }
        if !self.want_lines {
            return Ok(String::new());
        }
        if parent.keys.is_some() {
            return Ok(parent.key.as_deref().map(|k| join(&parent.path, k)).unwrap_or_default());
        }
        let path = join(&parent.path, &index.to_string());
        self.lines.insert(path.clone(), line);
        Ok(path)
    }

    fn start(&mut self, anchor: usize, mapping: bool, at: &saphyr_parser::Marker) -> Result<(), Refusal> {
        let path = self.child(None, at)?;
        if self.open.len() >= MAX_DEPTH {
            return Err(self.refusal(at, too_deep()));
        }
        let keys = mapping.then(Default::default);
        self.open.push(Open { anchor, keys, path, ..Open::default() });
        Ok(())
    }

    /// A node ends: its cost and height go to the node around it, and to its anchor.
    fn close(&mut self, anchor: usize, cost: u64, height: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, Anchored { cost, height });
        }
        if let Some(parent) = self.open.last_mut() {
            parent.cost = parent.cost.saturating_add(cost);
            parent.height = parent.height.max(height);
        }
    }

    /// An alias repeats its anchored node here: as deep as it nests, as much as it costs.
    fn alias(&mut self, id: usize, at: &saphyr_parser::Marker) -> Result<(), Refusal> {
        let Some(&target) = self.anchors.get(&id) else {
            return Err(self.refusal(at, "invalid YAML: this alias is inside the node it names, which would repeat itself forever".into()));
        };
        if self.open.len() + target.height > MAX_DEPTH {
            return Err(self.refusal(at, format!("this alias nests the YAML more than {MAX_DEPTH} levels deep (the limit); flatten it")));
        }
        self.expanded = self.expanded.saturating_add(target.cost);
        if self.expanded > MAX_ALIAS_EXPANSION {
            let message = format!(
                "aliases (`*name`) repeat more than {} KiB of YAML in this file (the limit); write the values out instead",
                MAX_ALIAS_EXPANSION / 1024
            );
            return Err(self.refusal(at, message));
        }
        self.close(0, target.cost, target.height);
        Ok(())
    }
}

fn too_deep() -> String {
    format!("YAML nested more than {MAX_DEPTH} levels deep (the limit); flatten it")
}

fn join(path: &str, segment: &str) -> String {
    if path.is_empty() { segment.to_string() } else { format!("{path}.{segment}") }
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

    fn refusal(yaml: &str) -> Diagnostic {
        parse::<serde_yaml::Value>(yaml, Path::new("a.yaml"), 1).unwrap_err()
    }

    #[test]
    fn an_alias_bomb_is_refused_at_the_alias_that_crosses_the_limit() {
        let big = "x".repeat(100 * 1024);
        let aliases = "  - *a\n".repeat(20_000);
        let yaml = format!("big: &a \"{big}\"\nlist:\n{aliases}");
        let start = std::time::Instant::now();
        let err = refusal(&yaml);
        assert!(start.elapsed() < std::time::Duration::from_secs(1), "{:?}", start.elapsed());
        // Each alias repeats 100 KiB: the 11th crosses 1 MiB.
        assert_eq!((err.line, err.column), (Some(13), Some(5)), "{err}");
        assert!(err.message.contains("more than 1024 KiB") && err.message.contains("(the limit)"), "{}", err.message);
    }

    #[test]
    fn nested_aliases_multiply() {
        let mut yaml = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            yaml.push_str(&format!("l{i}: &l{i} [{}]\n", vec![format!("*l{}", i - 1); 9].join(", ")));
        }
        // l5 repeats 9 copies of l4 (9^4 × 9 × 4 bytes each): past 1 MiB.
        let err = refusal(&yaml);
        assert_eq!(err.line, Some(6), "{err}");
        assert!(err.message.contains("aliases"), "{}", err.message);
    }

    #[test]
    fn a_few_aliases_are_fine() {
        let v: serde_yaml::Value = parse("a: &x [1, 2]\nb: *x\nc: *x\n", Path::new("a.yaml"), 1).unwrap();
        assert_eq!(v["c"], v["a"]);
    }

    #[test]
    fn an_alias_inside_its_own_anchor_is_refused() {
        let err = refusal("a: &x [1, *x]\n");
        assert!(err.message.contains("inside the node it names"), "{}", err.message);
    }

    #[test]
    fn deep_nesting_is_refused_quickly_where_it_crosses_the_limit() {
        for deep in ["[".repeat(100_000), "{a: ".repeat(100_000), format!("x:\n  {}1\n", "- ".repeat(100_000))] {
            let start = std::time::Instant::now();
            let err = refusal(&deep);
            assert!(start.elapsed() < std::time::Duration::from_millis(200), "{:?}", start.elapsed());
            assert!(err.message.contains("nested more than 64 levels deep (the limit)"), "{}", err.message);
        }
        // Block mappings, one level a line: refused on the line of the 65th level.
        let indented: String = (0..100).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
        let err = refusal(&indented);
        assert_eq!(err.line, Some(65), "{err}");
        let just_fits: String = (0..64).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
        assert!(parse::<serde_yaml::Value>(&just_fits, Path::new("a.yaml"), 1).is_ok());
    }

    #[test]
    fn an_alias_may_not_nest_past_the_limit_either() {
        let deep = format!("a: &d {}1{}\nb: [[[*d]]]\n", "[".repeat(62), "]".repeat(62));
        let err = refusal(&deep);
        assert_eq!(err.line, Some(2), "{err}");
    }

    #[test]
    fn a_duplicate_key_is_reported_on_its_own_line() {
        let yaml = "title: T\nday: 1\nage: { min: 8, max: 9 }\nday: 2\n";
        let err = parse::<FrontMatter>(yaml, Path::new("a.md"), 2).unwrap_err();
        assert_eq!((err.line, err.column), (Some(5), Some(1)), "{err}");
        assert!(err.message.contains("key `day` is already on line 3"), "{}", err.message);
        let nested = refusal("title:\n  fr: a\n  ar: b\n  fr: c\n");
        assert_eq!(nested.line, Some(4), "{nested}");
        // The same key in two mappings is not a duplicate.
        assert!(parse::<serde_yaml::Value>("- {a: 1}\n- {a: 2}\n", Path::new("a.yaml"), 1).is_ok());
    }

    #[test]
    fn programme_keys_have_their_lines() {
        let yaml = "days:\n  - number: 1\n    date: 2025-10-20\n    breaks:\n      - { after_order: 1, minutes: 15 }\n  - number: 2\n    start: \"09:00\"\n";
        let (_, lines): (serde_yaml::Value, _) = parse_with_lines(yaml, Path::new("p.yaml"), 1, true).unwrap();
        let at = |k: &str| lines.get(k).copied();
        assert_eq!((at("days"), at("days.0"), at("days.0.date")), (Some(1), Some(2), Some(3)));
        assert_eq!((at("days.0.breaks.0.minutes"), at("days.1"), at("days.1.start")), (Some(5), Some(6), Some(7)));
    }
}
