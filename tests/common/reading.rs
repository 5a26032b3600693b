//! The order in which a reader sees tokens of mixed direction, for tests that measure it
//! on screen (Chromium) or on paper (the PDF's glyph positions).

/// A token as typed, with its bidi embedding level: 0 in left-to-right text, 1 in
/// right-to-left text (an Arabic paragraph), 2 in left-to-right text inside that (code in
/// an Arabic paragraph), and so on.
pub type Token<'a> = (&'a str, u8);

/// The tokens in the left-to-right order a correct layout shows them: rule L2 of the
/// Unicode bidi algorithm (from the highest level down to the lowest odd one, every run
/// at that level or higher is reversed).
pub fn visual_order<'a>(tokens: &[Token<'a>]) -> Vec<&'a str> {
    let mut items: Vec<Token<'a>> = tokens.to_vec();
    let Some(highest) = items.iter().map(|t| t.1).max() else { return Vec::new() };
    let lowest_odd = items.iter().map(|t| t.1).filter(|l| l % 2 == 1).min().unwrap_or(highest + 1);
    let mut level = highest;
    while level >= lowest_odd && level > 0 {
        let mut i = 0;
        while i < items.len() {
            if items[i].1 >= level {
                let start = i;
                while i < items.len() && items[i].1 >= level {
                    i += 1;
                }
                items[start..i].reverse();
            } else {
                i += 1;
            }
        }
        level -= 1;
    }
    items.into_iter().map(|t| t.0).collect()
}

/// How the tokens read from left to right in a PDF's text layer (pdftotext gives the
/// characters of a line in the order they stand): in [`visual_order`], each token of an odd
/// (right-to-left) level spelled backwards. Tokens at odd levels must not hold brackets,
/// which are mirrored there, nor Arabic vowel marks.
pub fn visual_spelling(tokens: &[Token<'_>]) -> Vec<String> {
    let levels: std::collections::HashMap<&str, u8> = tokens.iter().copied().collect();
    visual_order(tokens).into_iter().map(|t| if levels[t] % 2 == 1 { t.chars().rev().collect() } else { t.to_string() }).collect()
}

/// The tokens as measured, sorted by their left edge: what a reader sees from left to right.
pub fn seen_order(measured: &[(String, f64)]) -> Vec<String> {
    let mut sorted: Vec<&(String, f64)> = measured.iter().collect();
    sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
    sorted.into_iter().map(|t| t.0.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_l2() {
        // Code in left-to-right text with an Arabic string: the string's words reversed.
        assert_eq!(visual_order(&[("print(\"", 0), ("ثمن", 1), ("خمس", 1), ("\",", 0), ("5", 0)]), ["print(\"", "خمس", "ثمن", "\",", "5"]);
        // `input()` in an Arabic sentence.
        assert_eq!(visual_order(&[("بالأمر", 1), ("input", 2), ("(", 2), (")", 2), ("،", 1), ("ثم", 1)]), ["ثم", "،", "input", "(", ")", "بالأمر"]);
    }
}
