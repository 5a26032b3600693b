//! Checks that depend on what the theme says of each language: lessons in the script of
//! their language, every character drawn by the language's fonts, lessons not yet
//! translated. Warnings only: none of these stops a build.

use unicode_script::{Script, UnicodeScript};

use crate::error::{Diagnostic, Diagnostics};
use crate::fonts::{CODE_FAMILY, by_line, missing_in, missing_message};
use crate::model::{LessonText, Site, text};
use crate::theme::Theme;

pub fn language_checks(site: &Site, theme: &Theme) -> Diagnostics {
    let mut d = Diagnostics::new();
    untranslated(site, &mut d);
    untranslated_labels(site, theme, &mut d);
    plural_forms(site, theme, &mut d);
    scripts(site, theme, &mut d);
    glyphs(site, theme, &mut d);
    d
}

/// Lessons shown in their source language for want of a translation: listed, so that a
/// language published gradually shows what is left to translate.
fn untranslated(site: &Site, d: &mut Diagnostics) {
    for lesson in &site.lessons {
        for (lang, t) in lesson.translations.iter().filter(|(lang, t)| **lang != t.lang) {
            let translation = t.rel.strip_suffix(&format!(".{}.md", t.lang)).map(|k| format!("{k}.{lang}.md")).unwrap_or_default();
            d.push(Diagnostic::warning(
                &t.path,
                format!("lesson has no `{lang}` translation: `{lang}` pages show it in `{}` with a notice; add {translation} next to it", t.lang),
            ));
        }
    }
}

/// Labels a language's strings file lacks (shown from another language's file).
fn untranslated_labels(site: &Site, theme: &Theme, d: &mut Diagnostics) {
    for lang in &site.languages {
        let Some(borrowed) = theme.borrowed_labels.get(&lang.code).filter(|b| !b.is_empty()) else { continue };
        let mut from: Vec<&str> = borrowed.iter().map(|(_, f)| f.as_str()).collect();
        from.sort_unstable();
        from.dedup();
        let keys: Vec<&str> = borrowed.iter().map(|(k, _)| k.as_str()).collect();
        d.push(Diagnostic::warning(
            theme.strings_file(&lang.code).0,
            format!(
                "{} label(s) missing, shown in `{}` on `{}` pages meanwhile: {}; add them under `labels:`",
                keys.len(),
                from.join("`, `"),
                lang.code,
                keys.join(", ")
            ),
        ));
    }
}

/// The plural forms of each counted word against the categories CLDR gives the language: a
/// form it never uses is never shown (a file copied from French keeps a `one` that
/// Tamazight (zgh), with `other` only, never picks). A form it uses but the file lacks
/// shows the `other` form, which is usually meant (French `many` is for millions).
fn plural_forms(site: &Site, theme: &Theme, d: &mut Diagnostics) {
    for lang in &site.languages {
        let Some(strings) = theme.strings.get(&lang.code) else { continue };
        let Some(rules) = &strings.plural_rules else { continue };
        let used = crate::i18n::categories(rules);
        let (file, source) = theme.strings_file(&lang.code);
        for (word, forms) in &strings.plurals {
            let unused: Vec<&str> = forms.keys().map(String::as_str).filter(|c| !used.contains(c)).collect();
            if !unused.is_empty() {
                let line = source.lines().position(|l| l.trim_start().starts_with(&format!("{word}:"))).map_or(1, |i| i + 1);
                let message = format!("plurals.{word}: `{}` never uses the form(s) {} (CLDR gives it {}): they are never shown", lang.code, unused.join(", "), used.join(", "));
                d.push(Diagnostic::warning(&file, message).at(line, None));
            }
        }
    }
}

/// How many letters of each script `chars` holds (digits, punctuation and marks, which
/// every script shares, are not counted), in order of first appearance.
fn script_counts(chars: impl Iterator<Item = char>) -> Vec<(Script, usize)> {
    let mut counts: Vec<(Script, usize)> = Vec::new();
    for script in chars.filter(|c| c.is_alphabetic()).map(|c| c.script()).filter(|s| !matches!(s, Script::Common | Script::Inherited | Script::Unknown)) {
        match counts.iter_mut().find(|(s, _)| *s == script) {
            Some((_, n)) => *n += 1,
            None => counts.push((script, 1)),
        }
    }
    counts
}

/// The script most of `chars`' letters are written in.
pub fn dominant_script(chars: impl Iterator<Item = char>) -> Option<Script> {
    script_counts(chars).into_iter().max_by_key(|&(_, n)| n).map(|(s, _)| s)
}

/// What is wrong with the script of a text meant to be in `expected`, if anything: no
/// letter of that script at all, or mostly letters of another script than it and Latin.
/// Latin is left out of the second test because code, commands and names of software are
/// written in it in every language (a Python lesson in Arabic is half Latin).
pub fn wrong_script(sample: impl Iterator<Item = char>, expected: Script) -> Option<String> {
    let counts = script_counts(sample);
    let letters: usize = counts.iter().map(|(_, n)| n).sum();
    if letters == 0 {
        return None;
    }
    if !counts.iter().any(|(s, _)| *s == expected) {
        return Some(format!("has no {} letters", expected.full_name()));
    }
    let (other, n) = counts.into_iter().filter(|(s, _)| *s != expected && *s != Script::Latin).max_by_key(|&(_, n)| n)?;
    (n * 2 > letters).then(|| format!("is mostly in {} script, not {}", other.full_name(), expected.full_name()))
}

/// How many characters of a lesson the script check reads: its opening tells its script,
/// and reading all of every body cost more than the rest of the checks together on a large
/// programme.
const SCRIPT_SAMPLE: usize = 2000;

/// Each lesson written in the script of its language (`script:` of the theme's strings).
fn scripts(site: &Site, theme: &Theme, d: &mut Diagnostics) {
    use rayon::prelude::*;
    let found: Vec<Diagnostic> = site
        .lessons
        .par_iter()
        .flat_map_iter(|lesson| lesson.translations.iter().filter(|(lang, t)| **lang == t.lang))
        .filter_map(|(lang, t)| {
            let expected = *theme.scripts.get(lang)?;
            let sample = [t.title.as_str(), &t.summary, &t.body].into_iter().flat_map(|s| s.chars()).take(SCRIPT_SAMPLE);
            let problem = wrong_script(sample, expected)?;
            let message = format!("the `{lang}` lesson {problem}; is it the right file?");
            Some(t.at_key("title", Diagnostic::warning(&t.path, message)))
        })
        .collect();
    found.into_iter().for_each(|f| d.push(f));
}

/// Every character of every lesson, UI string and programme text has a glyph in the fonts
/// of its language or in the code font.
fn glyphs(site: &Site, theme: &Theme, d: &mut Diagnostics) {
    let families = |lang: &str| {
        let mut f = theme.font_families(lang).to_vec();
        f.push(CODE_FAMILY.to_string());
        f
    };
    let families: std::collections::BTreeMap<&str, Vec<String>> = site.languages.iter().map(|l| (l.code.as_str(), families(&l.code))).collect();
    let coverage: std::collections::BTreeMap<&str, crate::fonts::CharSet> = families.iter().map(|(&l, f)| (l, theme.fonts.coverage(f))).collect();
    // Every character of every lesson is read: in parallel, one lesson per job.
    let found: Vec<Diagnostic> = {
        use rayon::prelude::*;
        site.lessons
            .par_iter()
            .flat_map_iter(|lesson| lesson.translations.iter().filter(|(lang, t)| **lang == t.lang).map(|(_, t)| t))
            .flat_map_iter(|t| match (families.get(t.lang.as_str()), coverage.get(t.lang.as_str())) {
                (Some(f), Some(c)) => lesson_glyphs(t, f, c),
                _ => Vec::new(),
            })
            .collect()
    };
    found.into_iter().for_each(|f| d.push(f));
    for lang in &site.languages {
        let code = &lang.code;
        let (fams, cov) = (&families[code.as_str()], &coverage[code.as_str()]);
        let (file, source) = theme.strings_file(code);
        {
            // Comments are not shown; the rest of the file is.
            let shown: String = source.lines().map(|l| if l.trim_start().starts_with('#') { "" } else { l }).collect::<Vec<_>>().join("\n");
            for (line, chars) in by_line(&missing_in(&shown, 1, cov)) {
                d.push(Diagnostic::warning(&file, missing_message(&chars, code, fams)).at(line, None));
            }
        }
        let programme = site.content_dir.join(crate::load::PROGRAMME_FILE);
        let mut texts: Vec<&str> = vec![text(&site.title, code, ""), text(&site.short_title, code, ""), text(&site.description, code, ""), text(&site.about, code, "")];
        texts.extend(site.days.iter().flat_map(|day| [text(&day.title, code, ""), text(&day.theme, code, "")]));
        texts.push(&lang.name);
        let centres: Vec<&str> = site.centres.iter().flat_map(|c| [text(&c.region, code, ""), text(&c.city, code, ""), text(&c.name, code, "")]).collect();
        for (file, texts) in [(programme, texts), (site.content_dir.join(crate::load::CENTRES_FILE), centres)] {
            let mut chars: Vec<char> = texts.iter().flat_map(|t| missing_in(t, 1, cov)).map(|m| m.c).collect();
            chars.sort_unstable();
            chars.dedup();
            if !chars.is_empty() {
                d.push(Diagnostic::warning(&file, format!("`{code}` texts: {}", missing_message(&chars, code, fams))));
            }
        }
    }
}

/// A lesson's missing characters, one finding per line of its file.
fn lesson_glyphs(t: &LessonText, families: &[String], coverage: &crate::fonts::CharSet) -> Vec<Diagnostic> {
    let line_of = |key: &str| t.key_lines.get(key).copied().unwrap_or(1);
    let fields = [("title", std::slice::from_ref(&t.title)), ("summary", std::slice::from_ref(&t.summary)), ("objectives", &t.objectives[..]), ("materials", &t.materials[..])];
    let mut missing = Vec::new();
    for (key, texts) in fields {
        missing.extend(texts.iter().flat_map(|text| missing_in(text, line_of(key), coverage)));
    }
    if let Some(notes) = &t.trainer_notes {
        missing.extend(missing_in(notes, line_of("trainer_notes") + 1, coverage));
    }
    missing.extend(missing_in(&t.body, t.body_line, coverage));
    by_line(&missing)
        .into_iter()
        .map(|(line, mut chars)| {
            chars.dedup();
            Diagnostic::warning(&t.path, missing_message(&chars, &t.lang, families)).at(line, None)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, script: &str) -> Option<String> {
        wrong_script(text.chars(), Script::from_full_name(script).unwrap())
    }

    #[test]
    fn french_and_english_are_latin() {
        assert_eq!(check("Qu'est-ce qu'un ordinateur ? Une machine qui calcule.", "Latin"), None);
        assert_eq!(check("What is a computer? A machine that computes.", "Latin"), None);
        assert_eq!(check("ما هو الحاسوب؟ آلة تحسب. print(x)", "Latin"), Some("is mostly in Arabic script, not Latin".into()));
        assert_eq!(check("ⵎⴰⵏⵉⴽ ⴰⵎⵙⵙⵓⴷⵙ ⴰⵏⵎⵍⵍⵓ ⴷ Bonjour", "Latin"), Some("is mostly in Tifinagh script, not Latin".into()));
    }

    #[test]
    fn arabic_lessons_may_hold_latin_code() {
        assert_eq!(check("نكتب print(\"hello world\") ثم input() و for i in range(10)", "Arabic"), None);
        assert_eq!(check("Qu'est-ce qu'un ordinateur ?", "Arabic"), Some("has no Arabic letters".into()));
    }

    #[test]
    fn tamazight_in_tifinagh() {
        assert_eq!(check("ⵜⴰⵙⵏⵉⵍⴽⵜ ⵏ ⵓⵙⵏⵎⴰⵍ: ⴰⵙⵍⴽⵉⵎ ⴷ python", "Tifinagh"), None);
        // Tamazight written in Latin letters or in Arabic letters: not the programme's script.
        assert_eq!(check("Tasnilkt n usnmal", "Tifinagh"), Some("has no Tifinagh letters".into()));
        assert_eq!(check("ⴰ ما هو الحاسوب؟ آلة تحسب", "Tifinagh"), Some("is mostly in Arabic script, not Tifinagh".into()));
    }

    #[test]
    fn digits_and_punctuation_tell_nothing() {
        assert_eq!(check("1 + 2 = 3 !", "Tifinagh"), None);
        assert_eq!(dominant_script("ⵜⴰⵎⴰⵣⵉⵖⵜ (zgh) 2025".chars()), Some(Script::Tifinagh));
    }
}
