//! Web fonts made from the theme's own: every `@font-face` of a theme stylesheet whose `src`
//! is a TrueType/OpenType file is cut down to the characters the site shows and packed as
//! WOFF2, and the stylesheet is rewritten to point at it, with a `unicode-range` saying
//! what it covers (so a browser downloads a face only for a page that shows one of its
//! characters). The PDFs keep the theme's full fonts (see render/pdf.rs).
//!
//! Subsetting is skera's (fontations' port of HarfBuzz's hb-subset: it keeps the layout
//! closure, the GSUB/GPOS lookups Arabic joining and mark placement need); WOFF2 is
//! ttf2woff2's (a pure Rust encoder over the `brotli` crate). Both results are kept in the
//! cache (crate::cache::stored), keyed by the font and the characters: a build whose
//! characters did not change reads them back instead of subsetting again.

use std::collections::BTreeSet;
use std::path::Path;

use read_fonts::collections::IntSet;
use read_fonts::types::{GlyphId, NameId, Tag};
use read_fonts::{FontRef, TableProvider};

use crate::error::{Diagnostic, Diagnostics};
use crate::render::OutputFile;
use crate::theme::Theme;

/// Bumped when what a cached web font holds changes (subsetting options, encoder).
const RECIPE: &str = "webfont 1: skera 0.9 no-hinting, ttf2woff2 0.14 q11";

/// The characters a face is cut down to.
pub struct Characters {
    /// Every character of the site's text (content, labels, templates, styles).
    pub text: BTreeSet<char>,
    /// The characters of code: what a monospaced face is used for.
    pub code: BTreeSet<char>,
}

/// A stylesheet of the theme with its font faces turned into WOFF2 subsets, and those.
pub struct WebFonts {
    pub css: String,
    pub fonts: Vec<OutputFile>,
    /// Theme font files (below `static/`) now served as subsets: not published as they are.
    pub replaced: Vec<String>,
}

/// Rewrites the `@font-face` rules of `css` (the theme file `static/<css_rel>`).
pub fn make(theme: &Theme, css_rel: &str, css: &str, chars: &Characters) -> Result<WebFonts, Diagnostics> {
    let css_path = theme.files.get(&format!("static/{css_rel}")).map_or_else(|| theme.dir.join("static").join(css_rel), |f| f.origin.clone());
    let css_dir = css_rel.rsplit_once('/').map_or("", |(d, _)| d);
    let mut out = String::with_capacity(css.len());
    let mut fonts = Vec::new();
    let mut replaced = Vec::new();
    let mut diags = Diagnostics::new();
    let mut rest = css;
    while let Some(at) = rest.find("@font-face") {
        out.push_str(&rest[..at]);
        let Some(end) = rest[at..].find('}').map(|e| at + e + 1) else {
            out.push_str(&rest[at..]);
            rest = "";
            break;
        };
        let rule = &rest[at..end];
        let line = css.len() - rest.len() + at;
        let line = css[..line].matches('\n').count() + 1;
        match face(theme, css_dir, rule, chars) {
            Ok(Some(made)) => {
                out.push_str(&made.rule);
                replaced.push(made.source_rel);
                fonts.extend(made.file);
            }
            Ok(None) => out.push_str(rule),
            Err(message) => diags.push(Diagnostic::error(&css_path, message).at(line, None)),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    diags.into_result(WebFonts { css: out, fonts, replaced })
}

struct Face {
    rule: String,
    file: Option<OutputFile>,
    source_rel: String,
}

/// One `@font-face` rule: None when its source is no TrueType/OpenType file of the theme
/// (left as it is).
fn face(theme: &Theme, css_dir: &str, rule: &str, chars: &Characters) -> Result<Option<Face>, String> {
    let Some((url_span, url)) = source_url(rule) else { return Ok(None) };
    let lower = url.to_ascii_lowercase();
    if !(lower.ends_with(".ttf") || lower.ends_with(".otf")) || url.contains(':') || url.starts_with('/') {
        return Ok(None);
    }
    let source_rel = join_rel(css_dir, &url);
    let file = theme.files.get(&format!("static/{source_rel}")).ok_or_else(|| format!("font {url}: no file static/{source_rel} in the theme"))?;
    let bytes = file.read().map_err(|d| format!("font {url}: {}", d.message))?;
    let font = FontRef::new(&bytes).map_err(|e| format!("font {url}: not a font file dars can read ({e})"))?;
    // A monospaced face is the code font: it needs only what code shows.
    let fixed_pitch = font.post().map(|p| p.is_fixed_pitch() != 0).unwrap_or(false);
    let wanted = if fixed_pitch { &chars.code } else { &chars.text };
    let declared = descriptor(rule, "unicode-range").map(|(_, v)| parse_unicode_range(v));
    let cmap = font.cmap().map_err(|e| format!("font {url}: no character map ({e})"))?;
    let covered: Vec<u32> = wanted
        .iter()
        .map(|&c| c as u32)
        .filter(|&c| declared.as_ref().is_none_or(|ranges| ranges.iter().any(|r| r.contains(&c))))
        .filter(|&c| cmap.map_codepoint(c).is_some_and(|g| g != GlyphId::NOTDEF))
        .collect();
    let rule_out = if covered.is_empty() {
        // No page shows a character of this face: no page would ever load it.
        format!("/* {url}: no character of the site */")
    } else {
        let woff2 = crate::cache::stored("webfonts", &cache_key(&bytes, &covered), "woff2", || subset_woff2(&font, &covered).map_err(|e| format!("font {url}: {e}")))?;
        let stem = source_rel.rsplit_once('/').map_or(source_rel.as_str(), |(_, f)| f);
        let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
        let hash = format!("{:016x}", siphasher::sip::SipHasher13::new().hash(&woff2));
        let name = format!("{stem}.{}.woff2", &hash[..10]);
        let url_dir = url.rsplit_once('/').map_or("", |(d, _)| d);
        let new_url = if url_dir.is_empty() { name.clone() } else { format!("{url_dir}/{name}") };
        let out_rel = join_rel(css_dir, &new_url);
        let mut r = rule[..url_span.start].to_string();
        r.push_str(&format!("url(\"{new_url}\") format(\"woff2\")"));
        r.push_str(&rule[url_span.end..]);
        let range = unicode_range(&covered);
        let r = match descriptor(&r, "unicode-range") {
            Some((span, _)) => format!("{}{range}{}", &r[..span.start], &r[span.end..]),
            None => {
                let close = r.rfind('}').unwrap_or(r.len());
                format!("{}  unicode-range: {range};\n{}", &r[..close], &r[close..])
            }
        };
        return Ok(Some(Face { rule: r, file: Some(OutputFile::bytes(format!("static/{out_rel}"), woff2)), source_rel }));
    };
    Ok(Some(Face { rule: rule_out, file: None, source_rel }))
}

use std::hash::Hasher as _;
trait HashBytes {
    fn hash(self, bytes: &[u8]) -> u64;
}
impl HashBytes for siphasher::sip::SipHasher13 {
    fn hash(mut self, bytes: &[u8]) -> u64 {
        self.write(bytes);
        self.finish()
    }
}

/// What a cached subset is made from: the recipe, the font, the characters.
fn cache_key(font: &[u8], covered: &[u32]) -> String {
    let mut h = siphasher::sip128::SipHasher13::new();
    h.write(RECIPE.as_bytes());
    h.write(&(font.len() as u64).to_le_bytes());
    h.write(font);
    for c in covered {
        h.write(&c.to_le_bytes());
    }
    use siphasher::sip128::Hasher128;
    format!("{:032x}", h.finish128().as_u128())
}

/// The face cut down to `covered` (and what its layout tables reach from there), as WOFF2.
fn subset_woff2(font: &FontRef, covered: &[u32]) -> Result<Vec<u8>, String> {
    use skera::{Plan, SubsetFlags};
    let mut unicodes = IntSet::<u32>::empty();
    unicodes.extend(covered.iter().copied());
    let mut scripts = IntSet::<Tag>::empty();
    scripts.invert();
    let mut features = IntSet::<Tag>::empty();
    features.extend(skera::DEFAULT_LAYOUT_FEATURES.iter().copied());
    let mut name_ids = IntSet::<NameId>::empty();
    // Names 0 to 6 (copyright, family, style, version, PostScript name): the licence asks
    // that the copyright stays with the font.
    name_ids.insert_range(NameId::from(0)..=NameId::from(6));
    let mut name_languages = IntSet::<u16>::empty();
    name_languages.insert(0x0409);
    let drop: IntSet<Tag> = [skera::MORX, skera::MORT, skera::KERX, skera::KERN, skera::JSTF, skera::DSIG, skera::EBSC, skera::PCLT, skera::LTSH, skera::GLAT, skera::GLOC, skera::SILF, skera::SILL]
        .into_iter()
        .chain([Tag::new(b"EBDT"), Tag::new(b"EBLC"), Tag::new(b"SVG "), Tag::new(b"feat")])
        .collect();
    // Hinting serves only small sizes on old Windows renderers, and is a third of a face.
    let plan = Plan::new(&IntSet::<GlyphId>::empty(), &unicodes, font, SubsetFlags::SUBSET_FLAGS_NO_HINTING, &drop, &scripts, &features, &name_ids, &name_languages);
    let ttf = skera::subset_font(font, &plan).map_err(|e| format!("cannot subset: {e}"))?;
    ttf2woff2::encode(&ttf, ttf2woff2::BrotliQuality::default()).map_err(|e| format!("cannot pack as WOFF2: {e}"))
}

/// `a/b` + `../c` → `a/c`, for URLs relative to a stylesheet.
fn join_rel(dir: &str, url: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in url.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The first `url(…)` of the rule's `src` (with its `format(…)` if any): its span in the
/// rule, and the URL.
fn source_url(rule: &str) -> Option<(std::ops::Range<usize>, String)> {
    let (span, value) = descriptor(rule, "src")?;
    let start = span.start + value.find("url(")?;
    let inner_start = start + 4;
    let close = inner_start + rule[inner_start..].find(')')?;
    let url = rule[inner_start..close].trim().trim_matches(['"', '\'']).to_string();
    let mut end = close + 1;
    let after = &rule[end..span.end];
    if let Some(f) = after.trim_start().strip_prefix("format(") {
        let skipped = after.len() - after.trim_start().len();
        if let Some(c) = f.find(')') {
            end += skipped + "format(".len() + c + 1;
        }
    }
    Some((start..end, url))
}

/// A descriptor's value (up to `;` or `}`), and its span in the rule.
fn descriptor<'a>(rule: &'a str, name: &str) -> Option<(std::ops::Range<usize>, &'a str)> {
    let mut from = 0;
    while let Some(i) = rule[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before = rule[..at].chars().next_back();
        if !matches!(before, Some('{' | ';' | ' ' | '\n' | '\t' | '\r')) {
            continue;
        }
        let after = rule[from..].trim_start();
        let Some(value) = after.strip_prefix(':') else { continue };
        let start = rule.len() - value.len();
        let len = value.find([';', '}']).unwrap_or(value.len());
        let v = &rule[start..start + len];
        let lead = v.len() - v.trim_start().len();
        let trimmed = v.trim();
        return Some((start + lead..start + lead + trimmed.len(), trimmed));
    }
    None
}

fn parse_unicode_range(value: &str) -> Vec<std::ops::RangeInclusive<u32>> {
    value
        .split(',')
        .filter_map(|part| {
            let part = part.trim().trim_start_matches(['U', 'u']).trim_start_matches('+');
            let (a, b) = match part.split_once('-') {
                Some((a, b)) => (a, b),
                None if part.contains('?') => return Some(u32::from_str_radix(&part.replace('?', "0"), 16).ok()?..=u32::from_str_radix(&part.replace('?', "F"), 16).ok()?),
                None => (part, part),
            };
            Some(u32::from_str_radix(a, 16).ok()?..=u32::from_str_radix(b, 16).ok()?)
        })
        .collect()
}

/// `U+20-7E, U+A0, …`: the sorted code points as ranges.
fn unicode_range(sorted: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end { format!("U+{start:X}") } else { format!("U+{start:X}-{end:X}") });
        i += 1;
    }
    parts.join(", ")
}

/// The characters of the site: every content and theme text file (a superset of what
/// pages show, from the inputs alone, so it does not wait for the pages), the spaces French
/// typography inserts, and printable ASCII for what a template computes; and the
/// characters inside code, in the lessons' Markdown.
pub fn site_characters(content_dir: &Path, theme: &Theme, lesson_bodies: impl Iterator<Item = std::sync::Arc<str>>) -> Characters {
    let ascii = (' '..='~').collect::<BTreeSet<char>>();
    let mut text = ascii.clone();
    text.extend(['\u{a0}', '\u{202f}', '\u{2011}']);
    let texts = |rel: &str| ["md", "yaml", "yml", "html", "css"].iter().any(|x| rel.rsplit_once('.').is_some_and(|(_, e)| e == *x));
    for entry in walkdir::WalkDir::new(content_dir).into_iter().filter_entry(|e| e.depth() == 0 || !crate::load::is_ignored(e.file_name())).flatten() {
        if entry.file_type().is_file() && texts(&entry.file_name().to_string_lossy()) {
            if let Ok(s) = std::fs::read_to_string(entry.path()) {
                text.extend(s.chars().filter(|c| !c.is_control()));
            }
        }
    }
    for (rel, file) in &theme.files {
        if (rel.starts_with("templates/") || rel.starts_with("i18n/") || rel.starts_with("static/")) && texts(rel) {
            if let Ok(s) = file.read_text() {
                text.extend(s.chars().filter(|c| !c.is_control()));
            }
        }
    }
    let mut code = ascii;
    for body in lesson_bodies {
        let mut in_block = false;
        for event in pulldown_cmark::Parser::new_ext(&body, crate::markdown::markdown_options()) {
            use pulldown_cmark::{Event, Tag, TagEnd};
            match event {
                Event::Start(Tag::CodeBlock(_)) => in_block = true,
                Event::End(TagEnd::CodeBlock) => in_block = false,
                Event::Code(t) => code.extend(t.chars()),
                Event::Text(t) if in_block => code.extend(t.chars().filter(|c| !c.is_control())),
                _ => {}
            }
        }
    }
    Characters { text, code }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_compacted_and_read_back() {
        assert_eq!(unicode_range(&[0x20, 0x21, 0x22, 0x41, 0x600, 0x601]), "U+20-22, U+41, U+600-601");
        let r = parse_unicode_range("U+0000-05FF, U+0700-074F, U+4??");
        assert!(r.iter().any(|r| r.contains(&0x41)));
        assert!(!r.iter().any(|r| r.contains(&0x627)));
        assert!(r.iter().any(|r| r.contains(&0x4AB)));
    }

    #[test]
    fn a_font_face_source_is_found_with_its_format() {
        let rule = "@font-face {\n  font-family: \"X\";\n  src: url(\"fonts/X.ttf\") format(\"truetype\");\n  font-weight: 400;\n}";
        let (span, url) = source_url(rule).unwrap();
        assert_eq!(url, "fonts/X.ttf");
        assert_eq!(&rule[span], "url(\"fonts/X.ttf\") format(\"truetype\")");
        assert_eq!(descriptor(rule, "font-weight").unwrap().1, "400");
        assert_eq!(join_rel("css", "../fonts/X.ttf"), "fonts/X.ttf");
    }
}
