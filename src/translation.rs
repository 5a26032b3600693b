//! `dars mark-translated`: records in a translation which version of its source it follows.

use std::path::Path;

use crate::error::{Diagnostic, Diagnostics};
use crate::load::{content_hash, parse_file_name, read_text, split_front_matter};

/// Writes `source_hash: …` into the front matter of `translation`, the hash of the lesson
/// in `source_lang` beside it.
pub fn mark_translated(translation: &Path, source_lang: &str) -> Result<String, Diagnostics> {
    let name = translation.file_name().and_then(|n| n.to_str()).ok_or_else(|| Diagnostic::error(translation, "not a lesson file name"))?;
    let (_, lang) = parse_file_name(name).map_err(|m| Diagnostic::error(translation, m))?;
    if lang == source_lang {
        return Err(Diagnostic::error(translation, format!("this is the `{source_lang}` source itself; name the translation")).into());
    }
    let source = translation.with_file_name(format!("{}.{source_lang}.md", name.strip_suffix(&format!(".{lang}.md")).unwrap_or(name)));
    let hash = content_hash(&read_text(&source)?);
    let text = read_text(translation)?;
    let (front, body, _) = split_front_matter(&text).map_err(|(line, m)| Diagnostic::error(translation, m).at(line, None))?;
    let mut lines: Vec<String> = front.lines().filter(|l| !l.starts_with("source_hash:")).map(str::to_string).collect();
    lines.push(format!("source_hash: {hash}"));
    let new = format!("---\n{}\n---\n{body}", lines.join("\n"));
    std::fs::write(translation, new).map_err(|e| Diagnostic::error(translation, format!("cannot write: {e}")))?;
    Ok(hash)
}
