//! Links written by authors in lessons, resolved to addresses in the output.

use crate::model::Site;
use crate::render::Page;

/// Resolves `dest`, written in the lesson `from_rel` (path below content/), for a page
/// whose relative prefix to the output root is `root`.
pub fn resolve(site: &Site, from_rel: &str, root: &str, dest: &str) -> Result<String, String> {
    resolve_in(site, from_rel, root, dest, None)
}

/// As `resolve`, with links to lessons going to their page in `page_lang` when given: a
/// lesson shown in its source language for want of a translation links to the pages of
/// the language its reader chose.
pub fn resolve_in(site: &Site, from_rel: &str, root: &str, dest: &str, page_lang: Option<&str>) -> Result<String, String> {
    if is_external(dest) || dest.starts_with('#') || dest.is_empty() {
        return Ok(dest.to_string());
    }
    let fragment = dest.find('#').map(|i| dest[i..].to_string()).unwrap_or_default();
    let Some(path) = file_part(dest) else {
        return Err(format!("link `{dest}`: its %-escapes are not UTF-8; write the file name as it is"));
    };
    let Some(target) = join(from_rel, &path) else {
        return Err(format!("link `{dest}` points outside content/"));
    };
    if target.ends_with(".md") {
        if let Some((index, lang)) = site.by_source.get(&target) {
            return Ok(format!("{root}{}{fragment}", href_path(&Page::Lesson(*index).path(site, page_lang.unwrap_or(lang)))));
        }
        if site.broken.contains(&target) {
            // Its own errors are reported on that file.
            return Ok(format!("{root}{}", Page::NotFound.path(site, &site.default_language)));
        }
        if site.drafts.iter().any(|l| l.translations.values().any(|t| t.rel == target)) {
            return Err(format!("link `{dest}` points to a draft lesson, which is not published"));
        }
        return Err(format!("link `{dest}`: no lesson content/{target}; check the file name"));
    }
    if site.assets.binary_search(&target).is_ok() {
        return Ok(format!("{root}media/{}{fragment}", href_path(&target)));
    }
    Err(format!("link `{dest}`: file content/{target} not found; add it or fix the path"))
}

/// A file below content/ that a lesson refers to (an image), as its path below content/.
pub fn resolve_asset(site: &Site, from_rel: &str, dest: &str) -> Result<String, String> {
    if is_external(dest) {
        return Err(format!("image `{dest}` is not a file in content/: the PDF handouts need the file itself; download it into content/"));
    }
    let Some(path) = file_part(dest) else {
        return Err(format!("image `{dest}`: its %-escapes are not UTF-8; write the file name as it is"));
    };
    match join(from_rel, &path) {
        Some(target) if site.assets.binary_search(&target).is_ok() => Ok(target),
        Some(target) => Err(format!("image `{dest}`: file content/{target} not found; add it or fix the path")),
        None => Err(format!("image `{dest}` points outside content/")),
    }
}

/// What is wrong with an image a lesson shows, if anything: a file that is no image or
/// is too large to decode safely. Only its header is read.
pub fn check_image(site: &Site, from_rel: &str, dest: &str) -> Result<(), String> {
    if is_external(dest) {
        return Ok(());
    }
    // A missing file is the link check's to report.
    let Ok(target) = resolve_asset(site, from_rel, dest) else { return Ok(()) };
    if target.to_ascii_lowercase().ends_with(".svg") {
        return Ok(());
    }
    match imagesize::size(site.content_dir.join(&target)) {
        Ok(size) => site.limits.check_image(dest, size.width as u64, size.height as u64),
        Err(e) => Err(format!("image `{dest}` (content/{target}) cannot be read as an image ({e}); replace it with a PNG, JPEG, GIF or WebP file")),
    }
}

/// A path below the output as it goes into an `href`: what would end or break the address
/// (space, `#`, `?`, `%`, quotes, `<`, `>`, controls) percent-encoded; letters of any script
/// kept as they are, so addresses stay readable (`fr/day-1/élève/`, `ar/…/الحاسوب/`).
pub fn href_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_control() || matches!(c, ' ' | '"' | '#' | '%' | '<' | '>' | '?' | '`' | '{' | '}' | '\'' | '\\') {
            let mut buf = [0; 4];
            out.extend(percent_encoding::percent_encode(c.encode_utf8(&mut buf).as_bytes(), percent_encoding::NON_ALPHANUMERIC));
        } else {
            out.push(c);
        }
    }
    out
}

/// The file a relative address names: without its `?query` and `#fragment`, percent-escapes
/// decoded (`%C3%A9l%C3%A8ve.png` is `élève.png`); None when they do not decode to UTF-8.
pub fn file_part(dest: &str) -> Option<String> {
    let path = dest.split(['#', '?']).next().unwrap_or("");
    percent_encoding::percent_decode_str(path).decode_utf8().ok().map(|p| p.into_owned())
}

/// `http:`, `mailto:` and the like, and protocol-relative `//host`.
pub fn is_external(dest: &str) -> bool {
    if dest.starts_with("//") {
        return true;
    }
    match dest.find(':') {
        Some(i) => {
            let scheme = &dest[..i];
            !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Joins a relative link to the folder of `from` and normalises it; `None` when it
/// climbs above the root.
pub fn join(from: &str, link: &str) -> Option<String> {
    let mut parts: Vec<&str> = if link.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = from.split('/').collect();
        p.pop();
        p
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_keep_letters_and_encode_what_would_break_them() {
        assert_eq!(href_path("media/day 1/élève #1?.png"), "media/day%201/élève%20%231%3F.png");
        assert_eq!(file_part("day%201/%C3%A9l%C3%A8ve.png?v=2#x").as_deref(), Some("day 1/élève.png"));
        assert_eq!(file_part(&href_path("a b/صورة%.png")).as_deref(), Some("a b/صورة%.png"));
    }

    #[test]
    fn joins_and_refuses_escapes() {
        assert_eq!(join("day-1/a.fr.md", "../day-2/b.fr.md").as_deref(), Some("day-2/b.fr.md"));
        assert_eq!(join("day-1/a.fr.md", "img/x.png").as_deref(), Some("day-1/img/x.png"));
        assert_eq!(join("day-1/a.fr.md", "../../etc/passwd"), None);
    }

    #[test]
    fn external_links_are_recognised() {
        assert!(is_external("https://example.org"));
        assert!(is_external("mailto:a@b.c"));
        assert!(!is_external("../day-1/a.fr.md"));
        assert!(!is_external("a.fr.md#x:y"));
    }
}
