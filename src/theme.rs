//! The theme: tera templates, static files and per-language UI strings, loaded once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tera::Tera;
use walkdir::WalkDir;

use crate::error::{Diagnostic, Diagnostics};
use crate::i18n::{UiStrings, check_strings};
use crate::load::read_text;

/// The default theme, compiled into dars: (path below the theme folder, bytes).
pub static BUILTIN: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/builtin_theme.rs"));

/// How messages name a file of the built-in theme (it is in no folder of the user's).
pub const BUILTIN_ORIGIN: &str = "(built-in theme)";

/// One file of the theme: from the built-in theme, or from the site's theme folder, which
/// overrides the built-in file of the same path.
#[derive(Debug, Clone)]
pub struct ThemeFile {
    /// The file as messages name it: on disk, or below `(built-in theme)/`.
    pub origin: PathBuf,
    /// The built-in bytes; None for a file of the site's folder (read when used).
    pub builtin: Option<&'static [u8]>,
}

impl ThemeFile {
    pub fn read(&self) -> Result<std::borrow::Cow<'static, [u8]>, Diagnostic> {
        match self.builtin {
            Some(bytes) => Ok(std::borrow::Cow::Borrowed(bytes)),
            None => std::fs::read(&self.origin).map(std::borrow::Cow::Owned).map_err(|e| Diagnostic::error(&self.origin, format!("cannot read: {e}"))),
        }
    }

    pub fn read_text(&self) -> Result<String, Diagnostic> {
        match self.builtin {
            Some(bytes) => crate::load::decode_text(bytes).map_err(|(line, col)| Diagnostic::error(&self.origin, "not valid UTF-8 text").at(line, Some(col))),
            None => read_text(&self.origin),
        }
    }

    /// This file at `path` of the output: copied from disk, or written from the binary.
    pub fn output(&self, path: String) -> crate::render::OutputFile {
        match self.builtin {
            Some(bytes) => crate::render::OutputFile::bytes(path, bytes),
            None => crate::render::OutputFile::copy(path, self.origin.clone()),
        }
    }
}

pub struct Theme {
    /// The site's theme folder (it may not exist: the built-in theme is then used whole).
    pub dir: PathBuf,
    /// Every file of the theme, built-in ones overridden by the site's, by relative path.
    pub files: BTreeMap<String, ThemeFile>,
    pub tera: Tera,
    /// UI strings by language code.
    pub strings: BTreeMap<String, UiStrings>,
    /// Files copied as they are: (path below `static/`, file).
    pub static_files: Vec<(String, ThemeFile)>,
    /// The fonts of `static/fonts/`, with the characters each draws.
    pub fonts: crate::fonts::FontLibrary,
    /// The script each language is written in (`script:` of its strings file, or the
    /// script of most of its letters).
    pub scripts: BTreeMap<String, unicode_script::Script>,
    /// Labels a language's strings file lacks, shown from another language's file: (key,
    /// language it comes from), by language. `dars check` lists them.
    pub borrowed_labels: BTreeMap<String, Vec<(String, String)>>,
}

impl Theme {
    /// The built-in theme, with each file found at the same path below `dir` in its place
    /// (and the files of `dir` the built-in theme lacks added).
    pub fn load(dir: &Path, languages: &[String]) -> Result<Theme, Diagnostics> {
        let mut diags = Diagnostics::new();
        let files = theme_files(dir, &mut diags);
        let tera = load_templates(dir, &files, &mut diags);
        let fonts = crate::fonts::FontLibrary::load(below(&files, "static/fonts/"), &mut diags);
        let mut strings = BTreeMap::new();
        let mut scripts = BTreeMap::new();
        for lang in languages {
            let rel = format!("i18n/{lang}.yaml");
            let Some(file) = files.get(&rel) else {
                diags.push(Diagnostic::error(
                    dir.join(&rel),
                    format!("no interface strings for the language `{lang}`: run `dars override i18n/fr.yaml`, rename the copy to {lang}.yaml and translate it"),
                ));
                continue;
            };
            match file.read_text().and_then(|t| crate::yaml::parse::<UiStrings>(&t, &file.origin, 1)) {
                Ok(mut s) => {
                    for p in check_strings(&s) {
                        diags.push(Diagnostic::error(&file.origin, p));
                    }
                    check_fonts(&s, &fonts, &file.origin, &mut diags);
                    match language_script(&s) {
                        Ok(script) => {
                            scripts.insert(lang.clone(), script);
                        }
                        Err(m) => diags.push(Diagnostic::error(&file.origin, m)),
                    }
                    s.plural_rules = crate::i18n::plural_rules(lang).map(std::sync::Arc::new);
                    // Labels are shown as written, with French spacing in French.
                    if crate::typography::is_french(lang) {
                        for label in s.labels.values_mut() {
                            *label = crate::typography::french_spacing(label);
                        }
                    }
                    strings.insert(lang.clone(), s);
                }
                Err(d) => diags.push(d),
            }
        }
        let borrowed_labels = borrow_missing_labels(languages, &mut strings);
        let static_files = below(&files, "static/").map(|(rel, f)| (rel.to_string(), f.clone())).collect();
        diags.into_result(Theme { dir: dir.to_path_buf(), files, tera, strings, static_files, fonts, scripts, borrowed_labels })
    }

    /// The font families text in `lang` is set in (its strings file's `fonts:`).
    pub fn font_families(&self, lang: &str) -> &[String] {
        self.strings.get(lang).map_or(&[], |s| &s.fonts[..])
    }

    /// A language's strings file, as messages name it, and its text.
    pub fn strings_file(&self, lang: &str) -> (PathBuf, String) {
        let rel = format!("i18n/{lang}.yaml");
        match self.files.get(&rel) {
            Some(f) => (f.origin.clone(), f.read_text().unwrap_or_default()),
            None => (self.dir.join(rel), String::new()),
        }
    }

    pub fn template_path(&self, name: &str) -> PathBuf {
        let rel = format!("templates/{name}");
        self.files.get(&rel).map_or_else(|| self.dir.join(&rel), |f| f.origin.clone())
    }

    /// The theme's file at `rel` (e.g. `handout/handout.typ`).
    pub fn file(&self, rel: &str) -> Result<&ThemeFile, Diagnostic> {
        self.files.get(rel).ok_or_else(|| Diagnostic::error(self.dir.join(rel), "file missing from the theme"))
    }

    /// The files below `prefix` (e.g. `static/fonts/`), as (path below it, file), sorted.
    pub fn files_below<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a ThemeFile)> + 'a {
        below(&self.files, prefix)
    }

    /// A UI label in `lang`; a missing one shows its key so the page still builds and the
    /// gap is visible.
    pub fn label<'a>(&'a self, lang: &str, key: &'a str) -> &'a str {
        self.strings.get(lang).and_then(|s| s.labels.get(key)).map(String::as_str).unwrap_or(key)
    }
}

/// A label missing in a language is taken from the first language (in `languages`' order,
/// the default first) that has it: a new language, or a label added to the other files
/// later, still builds, and `dars check` says what is left to translate.
fn borrow_missing_labels(languages: &[String], strings: &mut BTreeMap<String, UiStrings>) -> BTreeMap<String, Vec<(String, String)>> {
    let mut borrowed: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let all: BTreeMap<String, (String, String)> = languages
        .iter()
        .rev()
        .filter_map(|l| strings.get(l).map(|s| (l, s)))
        .flat_map(|(l, s)| s.labels.iter().map(move |(k, v)| (k.clone(), (l.clone(), v.clone()))))
        .collect();
    for lang in languages {
        let Some(s) = strings.get_mut(lang) else { continue };
        for (key, (from, label)) in &all {
            if !s.labels.contains_key(key) {
                s.labels.insert(key.clone(), label.clone());
                borrowed.entry(lang.clone()).or_default().push((key.clone(), from.clone()));
            }
        }
    }
    borrowed
}

/// Every family of `fonts:` must be a font of the theme: typst would otherwise fall back
/// without a word, and the glyph check would have nothing to check against.
fn check_fonts(strings: &UiStrings, fonts: &crate::fonts::FontLibrary, path: &Path, diags: &mut Diagnostics) {
    if strings.fonts.is_empty() {
        diags.push(Diagnostic::error(path, format!("`fonts:` is missing: list the font families of the language's text, first choice first, e.g. `fonts: [\"Noto Sans\"]` (the theme has {})", fonts.family_names().join(", "))));
    }
    for family in strings.fonts.iter().filter(|f| !fonts.has_family(f)) {
        diags.push(Diagnostic::error(
            path,
            format!("font `{family}` of `fonts:` is not in the theme's static/fonts/ (it has {}); add its .ttf file there or fix the name", fonts.family_names().join(", ")),
        ));
    }
}

/// The script named by `script:`, or else the script of most letters of the strings file.
fn language_script(strings: &UiStrings) -> Result<unicode_script::Script, String> {
    use unicode_script::Script;
    if let Some(name) = &strings.script {
        return Script::from_full_name(name).or_else(|| Script::from_short_name(name)).ok_or_else(|| {
            format!("script `{name}` is not a Unicode script name; write e.g. `Latin`, `Arabic`, `Tifinagh` (or a code such as `Tfng`)")
        });
    }
    let words = strings.months.iter().chain(&strings.weekdays).chain(strings.labels.values());
    Ok(crate::language::dominant_script(words.flat_map(|w| w.chars())).unwrap_or(Script::Latin))
}

fn below<'a>(files: &'a BTreeMap<String, ThemeFile>, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a ThemeFile)> + 'a {
    files.range::<str, _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded)).map_while(move |(rel, f)| Some((rel.strip_prefix(prefix)?, f)))
}

/// The built-in theme's files, then the site folder's over them.
fn theme_files(dir: &Path, diags: &mut Diagnostics) -> BTreeMap<String, ThemeFile> {
    let mut files: BTreeMap<String, ThemeFile> =
        BUILTIN.iter().map(|(rel, bytes)| (rel.to_string(), ThemeFile { origin: Path::new(BUILTIN_ORIGIN).join(rel), builtin: Some(bytes) })).collect();
    if dir.is_dir() {
        for (rel, path) in list_files(dir, diags) {
            files.insert(rel, ThemeFile { origin: path, builtin: None });
        }
    }
    files
}

fn load_templates(dir: &Path, files: &BTreeMap<String, ThemeFile>, diags: &mut Diagnostics) -> Tera {
    let mut tera = Tera::default();
    // tera's default also escapes `/`, which makes every link unreadable in the source.
    tera.set_escape_fn(crate::highlight::escape_html);
    let mut sources = Vec::new();
    let mut origins = BTreeMap::new();
    for (name, file) in below(files, "templates/") {
        match file.read_text() {
            Ok(text) => {
                sources.push((name.to_string(), text));
                origins.insert(name, &file.origin);
            }
            Err(d) => diags.push(d),
        }
    }
    // Templates extend each other, so they are added together; on a syntax error each is
    // tried alone to find which file it is in.
    if let Err(e) = tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str()))) {
        let mut found = false;
        for (name, text) in &sources {
            if let Err(e) = Tera::default().add_raw_template(name, text) {
                diags.push(template_diagnostic(origins[name.as_str()], &e));
                found = true;
            }
        }
        if !found {
            diags.push(Diagnostic::error(dir.join("templates"), error_chain(&e)));
        }
    }
    tera
}

/// A tera error as a diagnostic, with the line and column when tera's parser gives them.
pub fn template_diagnostic(path: &Path, e: &tera::Error) -> Diagnostic {
    let chain = error_chain(e);
    let d = Diagnostic::error(path, format!("template error: {}", chain.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join(" ")));
    match parse_position(&chain) {
        Some((line, col)) => d.at(line, Some(col)),
        None => d,
    }
}

pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// pest reports positions as ` --> 3:7`.
fn parse_position(message: &str) -> Option<(usize, usize)> {
    let rest = &message[message.find("--> ")? + 4..];
    let end = rest.find(|c: char| !(c.is_ascii_digit() || c == ':')).unwrap_or(rest.len());
    let (l, c) = rest[..end].split_once(':')?;
    Some((l.parse().ok()?, c.parse().ok()?))
}

/// Every file below `dir`, as (relative path with `/`, full path), sorted.
pub fn list_files(dir: &Path, diags: &mut Diagnostics) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        diags.push(Diagnostic::error(dir, "folder not found in the theme"));
        return out;
    }
    for entry in WalkDir::new(dir).sort_by_file_name().into_iter().filter_entry(|e| e.depth() == 0 || !crate::load::is_ignored(e.file_name())) {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let rel = e.path().strip_prefix(dir).ok().and_then(|r| r.to_str()).map(|r| r.replace('\\', "/"));
                match rel {
                    Some(rel) => out.push((rel, e.path().to_path_buf())),
                    None => diags.push(Diagnostic::error(e.path(), "file name is not valid Unicode; rename it")),
                }
            }
            Ok(_) => {}
            Err(e) => diags.push(Diagnostic::error(e.path().unwrap_or(dir), format!("cannot read: {e}"))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pest_position_is_found() {
        assert_eq!(parse_position("x\n --> 12:5\n  |"), Some((12, 5)));
        assert_eq!(parse_position("no position"), None);
    }
}
