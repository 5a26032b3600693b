//! The theme: tera templates, static files and per-language UI strings, loaded once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tera::Tera;
use walkdir::WalkDir;

use crate::error::{Diagnostic, Diagnostics};
use crate::i18n::{UiStrings, check_strings};
use crate::load::read_text;

pub struct Theme {
    pub dir: PathBuf,
    pub tera: Tera,
    /// UI strings by language code.
    pub strings: BTreeMap<String, UiStrings>,
    /// Files copied as they are: (path below `static/`, source file).
    pub static_files: Vec<(String, PathBuf)>,
}

impl Theme {
    pub fn load(dir: &Path, languages: &[String]) -> Result<Theme, Diagnostics> {
        if !dir.is_dir() {
            return Err(Diagnostic::error(dir, "theme folder not found; pass --theme or restore themes/default").into());
        }
        let mut diags = Diagnostics::new();
        let tera = load_templates(&dir.join("templates"), &mut diags);
        let mut strings = BTreeMap::new();
        for lang in languages {
            let path = dir.join("i18n").join(format!("{lang}.yaml"));
            match read_text(&path).and_then(|t| crate::yaml::parse::<UiStrings>(&t, &path, 1)) {
                Ok(mut s) => {
                    for p in check_strings(&s) {
                        diags.push(Diagnostic::error(&path, p));
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
        let static_files = list_files(&dir.join("static"), &mut diags);
        diags.into_result(Theme { dir: dir.to_path_buf(), tera, strings, static_files })
    }

    pub fn template_path(&self, name: &str) -> PathBuf {
        self.dir.join("templates").join(name)
    }

    /// A UI label in `lang`; a missing one shows its key so the page still builds and the
    /// gap is visible.
    pub fn label<'a>(&'a self, lang: &str, key: &'a str) -> &'a str {
        self.strings.get(lang).and_then(|s| s.labels.get(key)).map(String::as_str).unwrap_or(key)
    }
}

fn load_templates(dir: &Path, diags: &mut Diagnostics) -> Tera {
    let mut tera = Tera::default();
    // tera's default also escapes `/`, which makes every link unreadable in the source.
    tera.set_escape_fn(crate::highlight::escape_html);
    let mut sources = Vec::new();
    for (name, path) in list_files(dir, diags) {
        match read_text(&path) {
            Ok(text) => sources.push((name, text)),
            Err(d) => diags.push(d),
        }
    }
    // Templates extend each other, so they are added together; on a syntax error each is
    // tried alone to find which file it is in.
    if let Err(e) = tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str()))) {
        let mut found = false;
        for (name, text) in &sources {
            if let Err(e) = Tera::default().add_raw_template(name, text) {
                diags.push(template_diagnostic(&dir.join(name), &e));
                found = true;
            }
        }
        if !found {
            diags.push(Diagnostic::error(dir, error_chain(&e)));
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
