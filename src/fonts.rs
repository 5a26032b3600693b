//! The theme's fonts, by family, with the characters each can draw (read from their cmaps
//! with ttf-parser, the parser typst itself uses), so a page or handout whose text has a
//! character none of its fonts draws is reported instead of printing a box or nothing.

use std::collections::{BTreeMap, BTreeSet, HashSet};


use crate::error::{Diagnostic, Diagnostics};

/// Every font file of a theme's `static/fonts/`, by family name.
#[derive(Debug, Default, Clone)]
pub struct FontLibrary {
    /// Family name → the characters its faces (regular, bold, italic…) draw together.
    families: BTreeMap<String, CharSet>,
}

/// A set of characters: a bit per character of the Basic Multilingual Plane (8 KB, one
/// memory read per lookup, for the check reads every character of every lesson), a hash
/// set for the rest (emoji and other supplementary planes).
#[derive(Debug, Clone)]
pub struct CharSet {
    bmp: Vec<u64>,
    astral: HashSet<char>,
}

impl Default for CharSet {
    fn default() -> Self {
        CharSet { bmp: vec![0; 0x10000 / 64], astral: HashSet::new() }
    }
}

impl CharSet {
    fn insert(&mut self, c: char) {
        match c as usize {
            n if n < 0x10000 => self.bmp[n / 64] |= 1 << (n % 64),
            _ => {
                self.astral.insert(c);
            }
        }
    }

    pub fn contains(&self, c: char) -> bool {
        match c as usize {
            n if n < 0x10000 => self.bmp[n / 64] & (1 << (n % 64)) != 0,
            _ => self.astral.contains(&c),
        }
    }

    fn extend(&mut self, other: &CharSet) {
        self.bmp.iter_mut().zip(&other.bmp).for_each(|(a, b)| *a |= b);
        self.astral.extend(&other.astral);
    }
}

/// The family that the monospace font of code belongs to; code is set in it, then in the
/// fonts of the language (see handout.typ and style.css).
pub const CODE_FAMILY: &str = "DejaVu Sans Mono";

impl FontLibrary {
    /// Reads the cmap and family name of every font file (`.ttf`, `.otf`, `.ttc`) among
    /// `files` (the theme's `static/fonts/`, as (name, file)).
    pub fn load<'a>(files: impl Iterator<Item = (&'a str, &'a crate::theme::ThemeFile)>, diags: &mut Diagnostics) -> FontLibrary {
        let mut families: BTreeMap<String, CharSet> = BTreeMap::new();
        for (_, file) in files.filter(|(name, _)| crate::render::pdf::is_font_file(name)) {
            match file.read() {
                Ok(data) => {
                    let faces = read_faces(&data);
                    if faces.is_empty() {
                        diags.push(Diagnostic::error(&file.origin, "not a font dars can read; remove it or replace it with a TrueType/OpenType file"));
                    }
                    for (family, chars) in faces {
                        families.entry(family).or_default().extend(&chars);
                    }
                }
                Err(d) => diags.push(d),
            }
        }
        FontLibrary { families }
    }

    pub fn has_family(&self, family: &str) -> bool {
        self.families.contains_key(family)
    }

    pub fn family_names(&self) -> Vec<&str> {
        self.families.keys().map(String::as_str).collect()
    }

    /// Whether one of `families` draws `c`.
    pub fn covers(&self, families: &[String], c: char) -> bool {
        families.iter().any(|f| self.families.get(f).is_some_and(|chars| chars.contains(c)))
    }

    /// What `families` draw together, as one set.
    pub fn coverage(&self, families: &[String]) -> CharSet {
        let mut all = CharSet::default();
        families.iter().filter_map(|f| self.families.get(f)).for_each(|set| all.extend(set));
        all
    }
}

/// (family, characters) of each face of a font file (a collection holds several).
fn read_faces(data: &[u8]) -> Vec<(String, CharSet)> {
    let count = ttf_parser::fonts_in_collection(data).unwrap_or(1);
    (0..count)
        .filter_map(|index| {
            let face = ttf_parser::Face::parse(data, index).ok()?;
            let family = family_name(&face)?;
            let mut chars = CharSet::default();
            for table in face.tables().cmap.iter().flat_map(|c| c.subtables) {
                if table.is_unicode() {
                    table.codepoints(|cp| {
                        if let Some(c) = char::from_u32(cp).filter(|&c| table.glyph_index(cp).is_some_and(|g| g.0 != 0) && c != '\0') {
                            chars.insert(c);
                        }
                    });
                }
            }
            Some((family, chars))
        })
        .collect()
}

/// The family a face belongs to as CSS and typst name it: the typographic family when the
/// font gives one ("Noto Sans" for Noto Sans Bold), else the legacy family.
fn family_name(face: &ttf_parser::Face) -> Option<String> {
    let names = face.names();
    let find = |id: u16| names.into_iter().filter(|n| n.name_id == id && n.is_unicode()).find_map(|n| n.to_string());
    find(ttf_parser::name_id::TYPOGRAPHIC_FAMILY).or_else(|| find(ttf_parser::name_id::FAMILY))
}

/// Characters that take no glyph of their own: spaces, line breaks, bidi and joiner
/// controls, variation selectors. Fonts need not have them, and browsers and typst do not
/// draw them as boxes.
pub fn needs_glyph(c: char) -> bool {
    !(c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{E0100}'..='\u{E01EF}' | '\u{00AD}'))
}

/// One character none of the fonts draws, where it was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Missing {
    pub line: usize,
    pub c: char,
}

/// The characters of `text` (whose first line is `first_line` of its file) that none of
/// `families` draws, each once per text, at the line it first appears on.
pub fn missing_in(text: &str, first_line: usize, coverage: &CharSet) -> Vec<Missing> {
    let mut reported = BTreeSet::new();
    let mut out = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        for c in line.chars().filter(|&c| !coverage.contains(c) && needs_glyph(c)) {
            if reported.insert(c) {
                out.push(Missing { line: first_line + n, c });
            }
        }
    }
    out
}

/// The message for characters no font of `families` draws (those of one line).
pub fn missing_message(chars: &[char], lang: &str, families: &[String]) -> String {
    let emoji = chars.iter().all(|&c| is_emoji(c));
    let what = match (chars.len(), emoji) {
        (1, true) => "emoji",
        (1, false) => "character",
        (_, true) => "emoji",
        (_, false) => "characters",
    };
    let shown: Vec<String> = chars.iter().map(|c| format!("`{c}`")).collect();
    let codes: Vec<String> = chars.iter().map(|&c| format!("U+{:04X}", c as u32)).collect();
    format!(
        "{what} {} ({}) {} no glyph in the fonts of `{lang}` ({}): pages and PDFs would show a box or nothing; remove {}, or add a font that has {} to the theme's static/fonts/ and to `fonts:` in its i18n/{lang}.yaml",
        shown.join(" "),
        codes.join(" "),
        if chars.len() == 1 { "has" } else { "have" },
        families.join(", "),
        if chars.len() == 1 { "it" } else { "them" },
        if chars.len() == 1 { "it" } else { "them" },
    )
}

/// `missing` grouped by line, in order: one finding per line.
pub fn by_line(missing: &[Missing]) -> Vec<(usize, Vec<char>)> {
    let mut lines: Vec<(usize, Vec<char>)> = Vec::new();
    for m in missing {
        match lines.iter_mut().find(|(l, _)| *l == m.line) {
            Some((_, chars)) => chars.push(m.c),
            None => lines.push((m.line, vec![m.c])),
        }
    }
    lines
}

/// Emoji are not drawn by the shipped fonts (a colour emoji font weighs about 10 MB); they
/// are reported like any other character without a glyph, and named as emoji.
fn is_emoji(c: char) -> bool {
    matches!(c, '\u{1F000}'..='\u{1FAFF}' | '\u{2600}'..='\u{27BF}' | '\u{2B00}'..='\u{2BFF}')
}


#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn shipped() -> FontLibrary {
        let theme = crate::theme::Theme::load(Path::new("/nonexistent-theme"), &[]).unwrap_or_else(|d| panic!("{d}"));
        theme.fonts
    }

    #[test]
    fn families_are_read_from_the_name_table() {
        let fonts = shipped();
        assert_eq!(fonts.family_names(), ["DejaVu Sans Mono", "Noto Naskh Arabic", "Noto Sans", "Noto Sans Tifinagh"]);
    }

    #[test]
    fn each_script_is_drawn_by_its_font_only() {
        let fonts = shipped();
        let f = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(fonts.covers(&f(&["Noto Sans Tifinagh"]), 'ⴰ'));
        assert!(!fonts.covers(&f(&["Noto Sans", "Noto Naskh Arabic", "DejaVu Sans Mono"]), 'ⴰ'));
        assert!(fonts.covers(&f(&["Noto Naskh Arabic"]), 'ب'));
        assert!(fonts.covers(&f(&["Noto Sans"]), 'é'));
        assert!(!fonts.covers(&f(&["Noto Sans", "Noto Naskh Arabic", "Noto Sans Tifinagh", "DejaVu Sans Mono"]), 'Ꭰ'));
    }

    #[test]
    fn missing_characters_are_found_once_at_their_first_line() {
        let fonts = shipped();
        let families = vec!["Noto Sans".to_string()];
        let found = missing_in("Bonjour\nun ⴰ et Ꭰ\n\u{2066}x\u{2069} ⴰ encore\n", 10, &fonts.coverage(&families));
        assert_eq!(found, [Missing { line: 11, c: 'ⴰ' }, Missing { line: 11, c: 'Ꭰ' }]);
    }
}
