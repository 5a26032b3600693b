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
}

impl Theme {
    /// The built-in theme, with each file found at the same path below `dir` in its place
    /// (and the files of `dir` the built-in theme lacks added).
    pub fn load(dir: &Path, languages: &[String]) -> Result<Theme, Diagnostics> {
        let mut diags = Diagnostics::new();
        let files = theme_files(dir, &mut diags);
        let tera = load_templates(dir, &files, &mut diags);
        let mut strings = BTreeMap::new();
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
        let static_files = below(&files, "static/").map(|(rel, f)| (rel.to_string(), f.clone())).collect();
        diags.into_result(Theme { dir: dir.to_path_buf(), files, tera, strings, static_files })
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
