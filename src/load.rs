//! Stage 1, load: walk `content/`, decode every file, split and parse front matter.
//!
//! This is the only stage that reads content from disk. It reports every problem it
//! finds in one pass and hands the model stage plain data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::error::{Diagnostic, Diagnostics};
use crate::limits::Limits;
use crate::yaml::{self, CentresFile, FrontMatter, ProgrammeFile};

pub const PROGRAMME_FILE: &str = "programme.yaml";
pub const CENTRES_FILE: &str = "centres.yaml";

/// Everything read from `content/`, not yet cross-checked.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub content_dir: PathBuf,
    pub programme: ProgrammeFile,
    pub centres: CentresFile,
    pub lessons: Vec<LessonFile>,
    /// Files that are neither lessons nor data (images, downloads), relative to content/.
    pub assets: Vec<String>,
    /// Lesson files that could not be read (their errors are in the load diagnostics).
    pub failed: Vec<String>,
}

/// One lesson in one language, as its author wrote it.
#[derive(Debug, Clone)]
pub struct LessonFile {
    /// The file as the author knows it (content dir joined with `rel`).
    pub path: PathBuf,
    /// Path below content/, with `/` separators: how lessons link to each other.
    pub rel: String,
    pub slug: String,
    pub lang: String,
    pub front: FrontMatter,
    /// The Markdown after the front matter, with `\n` line endings.
    pub body: std::sync::Arc<str>,
    /// Line of the file on which `body` starts (1-based).
    pub body_line: usize,
    /// Line of each top-level front matter key, so later checks can point at it.
    pub key_lines: BTreeMap<String, usize>,
    /// Hash of the file's text (without its own `source_hash` line): what a translation
    /// records to know whether its source changed.
    pub content_hash: String,
}

impl LessonFile {
    /// A diagnostic on the line of front matter key `key` (or the file's first line).
    pub fn error_at_key(&self, key: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(&self.path, message).at(self.key_lines.get(key).copied().unwrap_or(1), None)
    }
}

/// Loads what can be loaded: an `Err` only when the programme or centres file (optional)
/// is unusable; lesson files in error are listed in `Loaded::failed`, their diagnostics
/// returned beside it, so the model stage can still check the rest.
pub fn load(content_dir: &Path) -> Result<(Loaded, Diagnostics), Diagnostics> {
    load_with(content_dir, read_programme(content_dir))
}

/// programme.yaml, parsed. A build reads it once and hands the one value to the theme
/// (for its languages) and to `load_with`: two reads could disagree if the file changed
/// in between, and pages would ask the theme for a language it did not load.
pub fn read_programme(content_dir: &Path) -> Result<ProgrammeFile, Diagnostic> {
    let path = content_dir.join(PROGRAMME_FILE);
    read_text(&path).and_then(|t| yaml::parse_programme(&t, &path))
}

/// As `load`, with programme.yaml as `read_programme` gave it.
pub fn load_with(content_dir: &Path, programme: Result<ProgrammeFile, Diagnostic>) -> Result<(Loaded, Diagnostics), Diagnostics> {
    if !content_dir.is_dir() {
        return Err(Diagnostic::error(
            content_dir,
            "content folder not found; run dars from the project folder or pass --content",
        )
        .into());
    }
    let centres_path = content_dir.join(CENTRES_FILE);
    // centres.yaml is optional: a programme without one has no centres page.
    let centres = if centres_path.exists() { read_text(&centres_path).and_then(|t| yaml::parse_centres(&t, &centres_path)) } else { Ok(CentresFile::default()) };

    let mut diags = Diagnostics::new();
    let (lesson_paths, assets) = walk(content_dir, &mut diags);
    let languages: Vec<String> = match &programme {
        Ok(p) => p.languages.iter().map(|l| l.code.clone()).collect(),
        Err(_) => Vec::new(),
    };
    let limits = programme.as_ref().map(|p| p.limits).unwrap_or_default();
    let results: Vec<Result<LessonFile, Diagnostic>> = lesson_paths
        .par_iter()
        .map(|rel| load_lesson(content_dir, rel, &languages, &limits))
        .collect();
    let mut lessons = Vec::with_capacity(results.len());
    let mut failed = Vec::new();
    for (r, rel) in results.into_iter().zip(&lesson_paths) {
        match r {
            Ok(l) => lessons.push(l),
            Err(d) => {
                diags.push(d);
                failed.push(rel.clone());
            }
        }
    }
    // Without centres the rest can still be checked (the error is among `diags`, so no
    // build goes on with it); without the programme there are no days to check against.
    let centres = centres.unwrap_or_else(|d| {
        diags.push(d);
        CentresFile::default()
    });
    match programme {
        Ok(programme) => Ok((Loaded { content_dir: content_dir.to_path_buf(), programme, centres, lessons, assets, failed }, diags)),
        Err(d) => {
            diags.push(d);
            // What each lesson says of itself (an empty title, no objectives) is still found.
            diags.extend(crate::model::check_lessons_alone(&lessons));
            Err(diags.sorted())
        }
    }
}

/// Lesson files (`*.md`) and other files below content/, both relative and sorted.
/// Hidden files and folders (`.git/`) and editors' back-ups are not content: never
/// published, never served.
fn walk(content_dir: &Path, diags: &mut Diagnostics) -> (Vec<String>, Vec<String>) {
    let mut lessons = Vec::new();
    let mut assets = Vec::new();
    // Byte order: assets are looked up by binary search (links.rs); findings and lessons
    // are put in natural order where they are listed.
    let entries = WalkDir::new(content_dir).sort_by_file_name().into_iter().filter_entry(|e| e.depth() == 0 || !is_ignored(e.file_name()));
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(content_dir).to_path_buf();
                diags.push(Diagnostic::error(path, format!("cannot read: {e}")));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Some(rel) = relative_slash_path(content_dir, entry.path()) else {
            diags.push(Diagnostic::error(entry.path(), "file name is not valid Unicode (UTF-8); rename it"));
            continue;
        };
        if rel.ends_with(".md") {
            lessons.push(rel);
        } else if rel != PROGRAMME_FILE && rel != CENTRES_FILE {
            assets.push(rel);
        }
    }
    (lessons, assets)
}

/// Hidden files and folders (`.git`, `.DS_Store`), editors' swap and back-up files (`x~`,
/// `#x#`, `x.swp`, `x.bak`, `x.tmp`) and system litter (`Thumbs.db`): not content. A name
/// that is not Unicode is not ignored, so that it is reported.
pub fn is_ignored(name: &std::ffi::OsStr) -> bool {
    let Some(n) = name.to_str() else { return false };
    n.starts_with('.')
        || n.ends_with('~')
        || (n.starts_with('#') && n.ends_with('#'))
        || [".swp", ".swo", ".bak", ".tmp", ".orig"].iter().any(|x| n.ends_with(x))
        || n.eq_ignore_ascii_case("Thumbs.db")
        || n.eq_ignore_ascii_case("desktop.ini")
}

/// Whether a path below content/ (`/`-separated) is in or is an ignored file.
pub fn is_ignored_path(rel: &Path) -> bool {
    rel.components().any(|c| is_ignored(c.as_os_str()))
}

pub fn relative_slash_path(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// Reads a text file as UTF-8 (a BOM is dropped, CRLF and CR become LF).
pub fn read_text(path: &Path) -> Result<String, Diagnostic> {
    let bytes = std::fs::read(path).map_err(|e| {
        let what = if e.kind() == std::io::ErrorKind::NotFound { "file not found".to_string() } else { format!("cannot read: {e}") };
        Diagnostic::error(path, what)
    })?;
    decode_text(&bytes).map_err(|(line, col)| {
        Diagnostic::error(path, "not valid UTF-8 text; save the file with UTF-8 encoding").at(line, Some(col))
    })
}

/// Decodes UTF-8, or returns the line and column of the first bad byte.
pub fn decode_text(bytes: &[u8]) -> Result<String, (usize, usize)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(normalize_newlines(s)),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let col = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
            Err((line, col))
        }
    }
}

fn normalize_newlines(s: &str) -> String {
    if s.contains('\r') { s.replace("\r\n", "\n").replace('\r', "\n") } else { s.to_string() }
}

pub fn load_lesson(content_dir: &Path, rel: &str, languages: &[String], limits: &Limits) -> Result<LessonFile, Diagnostic> {
    let path = content_dir.join(rel);
    let (slug, lang) = parse_file_name(rel).map_err(|m| Diagnostic::error(&path, m))?;
    if !languages.is_empty() && !languages.contains(&lang) {
        return Err(Diagnostic::error(
            &path,
            format!(
                "language `{lang}` is not one of the programme's languages ({}); rename the file to NAME.LANG.md",
                languages.join(", ")
            ),
        ));
    }
    // Checked before reading: a 50 MB lesson would cost gigabytes further on.
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    limits.check_lesson_size(size).map_err(|m| Diagnostic::error(&path, m).at(1, None))?;
    let text = read_text(&path)?;
    if let Some(at) = text.find('\0') {
        let line = text[..at].matches('\n').count() + 1;
        return Err(Diagnostic::error(&path, "this file holds a NUL character (a byte 0), which is not text; remove it (it often comes from a copy out of a binary file or a broken editor)").at(line, None));
    }
    let (front_text, body, body_line) = split_front_matter(&text).map_err(|(line, m)| Diagnostic::error(&path, m).at(line, None))?;
    limits.check_front_matter_size(front_text.len() as u64).map_err(|m| Diagnostic::error(&path, m).at(1, None))?;
    let front: FrontMatter = yaml::parse(front_text, &path, 2)?;
    let key_lines = top_level_key_lines(front_text, 2);
    let content_hash = content_hash(&text);
    Ok(LessonFile { path, rel: rel.to_string(), slug, lang, front, body: body.into(), body_line, key_lines, content_hash })
}

/// A short, stable hash of a lesson text (FNV-1a, 64 bits, as 12 hex digits), ignoring
/// the `source_hash` line a translation keeps about its own source.
pub fn content_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for line in text.lines().filter(|l| !l.starts_with("source_hash:")) {
        for b in line.trim_end().bytes().chain(std::iter::once(b'\n')) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:012x}", h >> 16)
}

/// The line of each top-level key, and of each item of a block list under one (`materials.0`,
/// `materials.1`…), so a finding about one item names its line.
fn top_level_key_lines(yaml: &str, first_line: usize) -> BTreeMap<String, usize> {
    let mut lines = BTreeMap::new();
    let mut list: Option<(String, usize)> = None;
    for (i, line) in yaml.lines().enumerate() {
        if let Some((key, _)) = line.split_once(':')
            && !key.is_empty()
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            lines.insert(key.to_string(), first_line + i);
            list = Some((key.to_string(), 0));
        } else if let Some((key, n)) = &mut list
            && (line.trim_start().starts_with("- ") || line.trim() == "-")
            && line.len() - line.trim_start().len() <= 2
        {
            lines.insert(format!("{key}.{n}"), first_line + i);
            *n += 1;
        }
    }
    lines
}

/// `day-1/01-what-is-a-computer.fr.md` → (`what-is-a-computer`, `fr`).
pub fn parse_file_name(rel: &str) -> Result<(String, String), String> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let stem = name.strip_suffix(".md").unwrap_or(name);
    let Some((base, lang)) = stem.rsplit_once('.') else {
        return Err("lesson file name has no language; name it NN-slug.LANG.md, e.g. 01-intro.fr.md".into());
    };
    let base = base.trim_start_matches(|c: char| c.is_ascii_digit());
    let base = if base.len() < stem.len() { base.strip_prefix('-').unwrap_or(base) } else { base };
    let slug = slugify(base);
    if slug.is_empty() {
        return Err("lesson file name has no slug; name it NN-slug.LANG.md, e.g. 01-intro.fr.md".into());
    }
    Ok((slug, lang.to_string()))
}

/// A safe, stable path segment: lowercase letters (any script) and digits joined by `-`.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.extend(c.to_lowercase());
        } else if !is_combining_mark(c) {
            pending_dash = true;
        }
    }
    out
}

/// Arabic vowel marks (harakat) and tatweel belong to their letter, not between words.
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' | '\u{0300}'..='\u{036F}')
}

/// Splits `---\nyaml\n---\nbody` into (yaml, body, line where the body starts).
pub fn split_front_matter(text: &str) -> Result<(&str, &str, usize), (usize, String)> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err((1, "missing front matter: start the file with a line `---`, the YAML keys, then a line `---`".into()));
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for (i, line) in lines.enumerate() {
        if matches!(line.trim_end(), "---" | "...") {
            let body_start = offset + line.len();
            return Ok((&text[yaml_start..offset], &text[body_start..], i + 3));
        }
        offset += line.len();
    }
    Err((1, "front matter is not closed: add a line `---` after the YAML keys".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_give_slug_and_language() {
        assert_eq!(parse_file_name("day-1/01-what-is-a-computer.fr.md").unwrap(), ("what-is-a-computer".into(), "fr".into()));
        assert_eq!(parse_file_name("x/intro.ar.md").unwrap(), ("intro".into(), "ar".into()));
        assert!(parse_file_name("day-1/01-intro.md").is_err());
    }

    #[test]
    fn slugs_keep_arabic_letters_and_drop_punctuation() {
        assert_eq!(slugify("Qu'est-ce qu'un ordinateur ?"), "qu-est-ce-qu-un-ordinateur");
        assert_eq!(slugify("ما هو الحاسوب؟"), "ما-هو-الحاسوب");
        assert_eq!(slugify("../../etc/passwd"), "etc-passwd");
    }

    #[test]
    fn front_matter_split_reports_body_line() {
        let (y, b, line) = split_front_matter("---\na: 1\n---\nhello\n").unwrap();
        assert_eq!((y, b, line), ("a: 1\n", "hello\n", 4));
        assert_eq!(split_front_matter("hello").unwrap_err().0, 1);
        assert!(split_front_matter("---\na: 1\n").is_err());
    }

    #[test]
    fn hidden_files_and_back_ups_are_not_content() {
        let ignored = [".git", ".DS_Store", "lesson.fr.md~", "#lesson.fr.md#", ".lesson.fr.md.swp", "photo.png.bak", "Thumbs.db"];
        assert!(ignored.iter().all(|n| is_ignored(std::ffi::OsStr::new(n))));
        assert!(!is_ignored(std::ffi::OsStr::new("01-intro.fr.md")) && !is_ignored(std::ffi::OsStr::new("photo.png")));
        assert!(is_ignored_path(Path::new("day-1/.git/config")));
    }

    #[test]
    fn bad_utf8_is_located() {
        assert_eq!(decode_text(b"ok\nab\xFFc"), Err((2, 3)));
        assert_eq!(decode_text(b"\xEF\xBB\xBFa\r\nb").unwrap(), "a\nb");
    }
}
