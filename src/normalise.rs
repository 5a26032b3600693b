//! Search terms: how the words of a language become the terms the search index holds.
//!
//! The browser does the same to a query (src/render/search.js, `terms`); both are tested
//! against one table of words and their terms, tests/fixtures/search/normalise.json (the
//! unit tests below, and tests/search.rs in Chromium). Change one, change the other.
//!
//! Every language gets the common folding (lower case, compatibility decomposition, no
//! marks, Arabic letter forms unified, Arabic-Indic digits as Latin ones); French and
//! Arabic add their stop words and a light stemmer; any other language is folded only.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The rules for the words of one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folding {
    French,
    Arabic,
    /// Folding only: no stop words, no stemming.
    Plain,
}

impl Folding {
    /// The rules for a language code (`fr`, `ar`, `fr-MA`…): by its primary subtag.
    pub fn for_language(code: &str) -> Folding {
        match code.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase().as_str() {
            "fr" => Folding::French,
            "ar" => Folding::Arabic,
            _ => Folding::Plain,
        }
    }

    /// Its name in the index, which the browser's script reads to apply the same rules.
    pub fn name(self) -> &'static str {
        match self {
            Folding::French => "fr",
            Folding::Arabic => "ar",
            Folding::Plain => "plain",
        }
    }

    /// Words too common to search for, folded.
    pub fn stop_words(self) -> &'static [&'static str] {
        match self {
            Folding::French => FRENCH_STOP,
            Folding::Arabic => ARABIC_STOP,
            Folding::Plain => &[],
        }
    }

    /// The terms of one word (as [`words`] cuts them): none for a stop word, else the main
    /// term first, and for an Arabic word that may begin with a one-letter particle (و ف ب
    /// ل ك) the term without it too.
    pub fn terms(self, word: &str) -> Vec<String> {
        let folded = fold(word);
        if folded.is_empty() || self.stop_words().contains(&folded.as_str()) {
            return Vec::new();
        }
        match self {
            Folding::French => vec![french_stem(&folded)],
            Folding::Arabic => arabic_terms(&folded),
            Folding::Plain => vec![folded],
        }
    }

    /// The terms of every word of `text`, in order.
    pub fn text_terms(self, text: &str) -> Vec<String> {
        words(text).flat_map(|w| self.terms(w)).collect()
    }
}

/// The words of a text: runs of letters, digits and marks. Anything else (spaces,
/// punctuation, apostrophes, so that `l'ordinateur` is `l` and `ordinateur`) separates them.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_word_char(c)).filter(|w| !w.is_empty())
}

/// The browser's `/[\p{L}\p{N}\p{M}]/u`, as near as the standard library says it.
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    c.is_alphanumeric() || is_combining_mark(c)
}

/// What every language shares: lower case; compatibility decomposition (ligatures,
/// Arabic presentation forms, accented letters split); marks removed (accents, tashkeel,
/// hamza above or below: أ إ آ → ا, ؤ → و, ئ → ي); tatweel removed; ٱ → ا, ة → ه, ى → ي,
/// Persian ی ک → ي ك; œ æ → oe ae; Arabic-Indic digits → 0–9.
pub fn fold(word: &str) -> String {
    // Most words of a French lesson and all of its code: nothing to decompose or map.
    if word.is_ascii() {
        return word.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(word.len());
    for c in word.to_lowercase().nfkd() {
        if is_combining_mark(c) || c == '\u{0640}' {
            continue;
        }
        match c {
            '\u{0671}' => out.push('\u{0627}'),
            '\u{0629}' => out.push('\u{0647}'),
            '\u{0649}' | '\u{06CC}' => out.push('\u{064A}'),
            '\u{06A9}' => out.push('\u{0643}'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            '\u{0660}'..='\u{0669}' => out.push(char::from(b'0' + (c as u32 - 0x0660) as u8)),
            '\u{06F0}'..='\u{06F9}' => out.push(char::from(b'0' + (c as u32 - 0x06F0) as u8)),
            c => out.push(c),
        }
    }
    out
}

fn len(s: &str) -> usize {
    s.chars().count()
}

/// A light French stemmer: plurals (`-s`, `-x`, `-aux` → `-al`, `-eaux` → `-eau`), then
/// the feminine `-e` (with `-ive` → `-if` and a doubled consonant made single:
/// `artificielle` → `artificiel`). Words of three letters or fewer are kept.
fn french_stem(w: &str) -> String {
    let mut s = w.to_string();
    if len(&s) <= 3 {
        return s;
    }
    if s.ends_with("eaux") {
        s.pop();
    } else if s.ends_with("aux") && len(&s) > 4 {
        s.truncate(s.len() - 3);
        s.push_str("al");
    } else if (s.ends_with('s') || s.ends_with('x')) && !s.ends_with("ss") {
        s.pop();
    }
    if s.ends_with('e') && len(&s) > 4 {
        s.pop();
        if s.ends_with("iv") {
            s.pop();
            s.push('f');
        } else {
            let tail: Vec<char> = s.chars().rev().take(2).collect();
            if tail.len() == 2 && tail[0] == tail[1] && !"aeiouy".contains(tail[0]) {
                s.pop();
            }
        }
    }
    s
}

/// The article with the particles before it (folded forms): longest first.
const ARABIC_ARTICLES: &[&str] = &["وبال", "وكال", "فبال", "فكال", "ولل", "فلل", "وال", "فال", "بال", "كال", "لل", "ال"];
/// One-letter particles written onto the next word: and, so, with, for, like.
const ARABIC_PARTICLES: &[char] = &['و', 'ف', 'ب', 'ل', 'ك'];
/// Suffixes of Light10 (Larkey et al.), folded (ة → ه, so ية is يه), in the order tried.
const ARABIC_SUFFIXES: &[&str] = &["ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي"];

/// Light stemming of a folded Arabic word: the article and the particles before it, then
/// the suffixes, each only when three letters remain. A word that may begin with a
/// one-letter particle gets the term without it too (`برنامج` must stay itself, `بكلمة`
/// must also find `كلمة`).
fn arabic_terms(w: &str) -> Vec<String> {
    if let Some(rest) = ARABIC_ARTICLES.iter().find_map(|a| w.strip_prefix(a).filter(|r| len(r) >= 2)) {
        return vec![arabic_suffixes(rest)];
    }
    let mut terms = vec![arabic_suffixes(w)];
    if let Some(rest) = w.strip_prefix(ARABIC_PARTICLES).filter(|r| len(r) >= 3) {
        let alt = arabic_suffixes(rest);
        if !terms.contains(&alt) {
            terms.push(alt);
        }
    }
    terms
}

fn arabic_suffixes(w: &str) -> String {
    let mut s = w;
    for suffix in ARABIC_SUFFIXES {
        if let Some(rest) = s.strip_suffix(suffix).filter(|r| len(r) >= 3) {
            s = rest;
        }
    }
    s.to_string()
}

const FRENCH_STOP: &[&str] = &[
    "a", "au", "aux", "avec", "c", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du", "elle", "en", "est", "et", "il", "ils", "j", "l",
    "la", "le", "les", "leur", "leurs", "lui", "m", "ma", "mais", "me", "mes", "n", "ne", "nos", "notre", "nous", "on", "ou", "par", "pas", "pour",
    "qu", "que", "qui", "s", "sa", "se", "ses", "son", "sont", "sur", "t", "ta", "te", "tes", "ton", "tu", "un", "une", "vos", "votre", "vous", "y",
];

const ARABIC_STOP: &[&str] = &[
    "في", "من", "علي", "الي", "عن", "ان", "او", "ما", "لا", "هذا", "هذه", "ذلك", "تلك", "التي", "الذي", "الذين", "هو", "هي", "هم", "كان", "مع", "ثم", "قد",
    "كل", "بين", "عند", "لم", "لن", "اي", "و", "ف", "ب", "ل", "ك",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// One case of the table both this module and the browser's script are tested on.
    #[derive(serde::Deserialize)]
    struct Case {
        lang: String,
        text: String,
        terms: Vec<String>,
    }

    fn cases() -> Vec<Case> {
        serde_json::from_str(include_str!("../tests/fixtures/search/normalise.json")).expect("the table is JSON")
    }

    #[test]
    fn every_word_of_the_shared_table_gets_its_terms() {
        let cases = cases();
        assert!(cases.len() >= 40, "the table covers French, Arabic and other languages");
        let wrong: Vec<String> = cases
            .iter()
            .filter_map(|c| {
                let got = Folding::for_language(&c.lang).text_terms(&c.text);
                (got != c.terms).then(|| format!("{} {:?}: got {:?}, expected {:?}", c.lang, c.text, got, c.terms))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn spellings_of_one_word_meet_in_one_term() {
        for (lang, spellings) in [
            ("fr", &["élève", "eleve", "ÉLÈVE", "élèves", "l'élève", "l’élève"][..]),
            ("fr", &["ordinateur", "ordinateurs", "l'ordinateur", "ORDINATEURS"]),
            ("ar", &["ذكاء", "الذكاء", "والذكاء", "بالذكاء", "الذَّكَاء", "الذكـــاء"]),
            ("ar", &["معلومة", "المعلومات", "معلومات", "والمعلومة", "المعلومةُ"]),
            ("ar", &["أمن", "إمن", "آمن", "ٱمن", "امن"]),
        ] {
            let f = Folding::for_language(lang);
            let first = f.text_terms(spellings[0]);
            assert_eq!(first.len(), 1, "{spellings:?}");
            for s in spellings {
                assert!(f.text_terms(s).contains(&first[0]), "{lang}: {s} does not meet {} in {:?}", spellings[0], first);
            }
        }
    }

    #[test]
    fn languages_are_chosen_by_their_primary_subtag() {
        assert_eq!(Folding::for_language("fr"), Folding::French);
        assert_eq!(Folding::for_language("fr-MA"), Folding::French);
        assert_eq!(Folding::for_language("ar"), Folding::Arabic);
        assert_eq!(Folding::for_language("zgh"), Folding::Plain);
        assert_eq!(Folding::for_language("en"), Folding::Plain);
        // No stemming in a language without rules: the word is only folded.
        assert_eq!(Folding::Plain.text_terms("Computers CAFÉ ٣"), vec!["computers", "cafe", "3"]);
    }
}
