//! Helpers shared by the integration tests: build a site, read its output, copy fixtures.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn theme_dir() -> PathBuf {
    project_root().join("themes/default")
}

/// Runs the real `dars` binary.
pub fn dars(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dars")).args(args).output().expect("dars runs")
}

pub fn build_with_binary(content: &Path, output: &Path) -> Output {
    let theme = theme_dir();
    dars(&[
        "build",
        "--content",
        content.to_str().unwrap(),
        "--theme",
        theme.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ])
}

/// A project folder (content/ from the minimal fixture, themes/default/) in a temporary
/// folder: `dars build --root` works in it as in a real project.
pub fn minimal_project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    copy_tree(&project_root().join("tests/fixtures/minimal/content"), &root.join("content"));
    copy_tree(&theme_dir(), &root.join("themes/default"));
    (dir, root)
}

/// Copies a folder tree (fixtures are mutated in a temporary copy).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Every file below `dir`, relative with `/`.
pub fn files_below(dir: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/"))
        .collect()
}

/// The `href`/`src` values of a page's elements, entities decoded (an HTML tokenizer: text
/// that reads `src="x"` is no link).
pub fn links_of(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in html5gum::Tokenizer::new(html).flatten() {
        if let html5gum::Token::StartTag(tag) = token {
            for (name, value) in &tag.attributes {
                if name.as_slice() == b"href" || name.as_slice() == b"src" {
                    out.push(String::from_utf8_lossy(value).into_owned());
                }
            }
        }
    }
    out
}

pub fn is_internal(link: &str) -> bool {
    !(link.starts_with('#') || link.starts_with("http:") || link.starts_with("https:") || link.starts_with("mailto:") || link.starts_with("data:"))
}

/// Resolves a link from a page to a path below the output root (no fragment): relative, or
/// from the root (`/fr/…`, the 404 page's, served at the root of a domain).
pub fn resolve(page: &str, link: &str) -> Option<String> {
    let link = link.split(['#', '?']).next().unwrap();
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    if link.starts_with('/') {
        parts.clear();
    }
    for seg in link.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// The `<html …>` start tag of a page.
pub fn html_tag(html: &str) -> &str {
    let start = html.find("<html").expect("page has <html>");
    &html[start..start + html[start..].find('>').unwrap() + 1]
}

/// Runs a poppler tool (pdftotext, pdffonts, pdfinfo, pdfimages) and returns its output.
pub fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| panic!("{tool} is needed (Debian's poppler-utils): {e}"));
    assert!(out.status.success(), "{tool} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A text reduced to what survives PDF text extraction: letters and digits only (bidi
/// controls, punctuation that right-to-left reordering moves around, spacing and Arabic
/// vowel marks dropped), lowercased, with runs of one letter collapsed (pdftotext repeats
/// the letter under a shadda).
pub fn skeleton(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().filter(|c| c.is_alphanumeric() && !matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}')).flat_map(char::to_lowercase) {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}
