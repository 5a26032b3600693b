//! French typography: the no-break spaces French puts before high punctuation and inside
//! guillemets, so that a "?" never starts a line on its own and "«" never ends one.
//!
//! Applied at render time to the text of French pages only (Markdown text, front matter,
//! interface strings), never to code, URLs or HTML attributes: callers pass it text and
//! nothing else. Authors type ordinary spaces; the spaces they typed are replaced:
//!
//! - before `;`, `!` and `?`: NARROW NO-BREAK SPACE (U+202F), also put in when the mark
//!   directly follows a word and ends it (`Bravo!` → `Bravo !`);
//! - before `:`: NO-BREAK SPACE (U+00A0), only where a space was typed (`10:30`,
//!   `https://`, `NameError: …` stay as they are);
//! - after `«` and before `»`: U+202F, put in when missing.
//!
//! A mark that does not end a word (`?q=1`, `!important`, `a;b`) is left alone, and so is
//! punctuation after another mark (`?!`, `...:`).

/// NARROW NO-BREAK SPACE.
pub const NNBSP: char = '\u{202F}';
/// NO-BREAK SPACE.
pub const NBSP: char = '\u{00A0}';

/// Whether French spacing applies to text in the language `lang` (`fr`, `fr-CA`…).
pub fn is_french(lang: &str) -> bool {
    lang == "fr" || lang.starts_with("fr-") || lang.starts_with("fr_")
}

/// `text` with French spacing; see the module's documentation.
pub fn french_spacing(text: &str) -> String {
    french_spacing_after(text, false)
}

/// `text` with French spacing, where `after_word` says that it continues a line whose last
/// word came just before it (the text after emphasis or a link: `**Bravo** !`).
pub fn french_spacing_after(text: &str, after_word: bool) -> String {
    if !text.contains([';', ':', '!', '?', '«', '»']) {
        return text.to_string();
    }
    if after_word {
        // A letter stands for the word before; it is taken off again.
        let spaced = french_spacing_after(&format!("a{text}"), false);
        return spaced[1..].to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        match c {
            ';' | '!' | '?' | ':' => {
                let space = if c == ':' { NBSP } else { NNBSP };
                if ends_word(next) {
                    // The space typed before it, if any, is replaced.
                    let typed = out.ends_with([' ', NBSP, NNBSP, '\t']);
                    if typed {
                        let before = out.trim_end_matches([' ', NBSP, NNBSP, '\t']);
                        // A mark alone on a line, or after another mark: leave the text be.
                        if !before.is_empty() && !before.ends_with('\n') && !before.ends_with(['(', '[', '«']) {
                            out.truncate(before.len());
                            out.push(space);
                        }
                    } else if c != ':' && out.chars().next_back().is_some_and(|p| p.is_alphanumeric() || matches!(p, ')' | ']' | '»' | '…' | '"')) {
                        out.push(space);
                    }
                }
                out.push(c);
            }
            '«' => {
                out.push(c);
                match next {
                    Some(' ' | NBSP | NNBSP | '\t') | None => {}
                    Some('\n') => {}
                    Some(_) => out.push(NNBSP),
                }
            }
            '»' => {
                let before = out.trim_end_matches([' ', NBSP, NNBSP, '\t']);
                if before.len() < out.len() && !before.is_empty() && !before.ends_with('\n') {
                    out.truncate(before.len());
                    out.push(NNBSP);
                } else if before.len() == out.len() && out.chars().next_back().is_some_and(|p| !p.is_whitespace() && p != '«') {
                    out.push(NNBSP);
                }
                out.push(c);
            }
            ' ' | NBSP | '\t' if out.ends_with('«') => out.push(NNBSP),
            _ => out.push(c),
        }
    }
    out
}

/// A front matter text (title, summary, objective, material) as pages and handouts show
/// it: text between backticks is code, kept left to right in any paragraph between LRI and
/// PDI (see crate::bidi), its backticks dropped; French text gets French spacing outside
/// it. A backtick without its pair stays as typed.
pub fn display_text(text: &str, lang: &str) -> String {
    let french = is_french(lang);
    if !text.contains('`') {
        return if french { french_spacing(text) } else { text.to_string() };
    }
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, part) in parts.iter().enumerate() {
        let code = i % 2 == 1;
        if code && i + 1 < parts.len() {
            out.push(crate::bidi::LRI);
            out.push_str(part);
            out.push(crate::bidi::PDI);
        } else {
            if code {
                out.push('`');
            }
            out.push_str(&if french { french_spacing_after(part, i > 0) } else { part.to_string() });
        }
    }
    out
}

/// Whether a mark followed by `next` ends a word (and so takes the space before it).
fn ends_word(next: Option<char>) -> bool {
    match next {
        None => true,
        Some(c) => c.is_whitespace() || matches!(c, ')' | ']' | '»' | '"' | '\'' | '’' | '!' | '?' | ',' | '.' | ';' | ':' | '…' | '*' | '_'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(s: &str) -> String {
        s.replace(NNBSP, "⍽").replace(NBSP, "~")
    }

    #[test]
    fn spaces_before_high_punctuation_and_inside_guillemets() {
        let sample = "Qu'est-ce qu'un ordinateur ? Bravo! Attention : le « robot » obéit ; toujours !";
        assert_eq!(show(&french_spacing(sample)), "Qu'est-ce qu'un ordinateur⍽? Bravo⍽! Attention~: le «⍽robot⍽» obéit⍽; toujours⍽!");
        assert_eq!(show(&french_spacing("«Bonjour»")), "«⍽Bonjour⍽»");
        assert_eq!(show(&french_spacing("Durée totale :")), "Durée totale~:");
        assert_eq!(show(&french_spacing("Quoi ?!")), "Quoi⍽?!");
    }

    #[test]
    fn addresses_times_and_quoted_english_are_left_alone() {
        for untouched in [
            "https://example.org/?q=1&x=2",
            "de 10:30 à 11:00",
            "NameError: name 'Print' is not defined. Did you mean: 'print'?",
            "a;b",
            "!important",
            "C'est tout.",
        ] {
            assert_eq!(french_spacing(untouched), untouched);
        }
    }

    #[test]
    fn text_after_emphasis_is_spaced_as_if_the_word_were_there() {
        assert_eq!(show(&french_spacing_after(" !", true)), "⍽!");
        assert_eq!(show(&french_spacing_after("!", true)), "⍽!");
        assert_eq!(show(&french_spacing_after(" ! Et ensuite", true)), "⍽! Et ensuite");
        assert_eq!(show(&french_spacing_after(" !", false)), " !");
    }

    #[test]
    fn nothing_changes_twice() {
        let once = french_spacing("Prêt ? « Oui » : on y va !");
        assert_eq!(french_spacing(&once), once);
    }

    #[test]
    fn front_matter_code_is_isolated_and_not_spaced() {
        assert_eq!(display_text("أكتب بالأمر `print()` ثم", "ar"), "أكتب بالأمر \u{2066}print()\u{2069} ثم");
        assert_eq!(show(&display_text("Poser une question avec `input(\"Nom ?\")` !", "fr")), "Poser une question avec \u{2066}input(\"Nom ?\")\u{2069}⍽!");
        assert_eq!(display_text("un ` seul", "ar"), "un ` seul");
    }

    #[test]
    fn languages() {
        assert!(is_french("fr") && is_french("fr-CA") && !is_french("ar") && !is_french("fy"));
    }
}
