//! The bidi policy: how Arabic and Latin text, code and numbers are ordered on screen and
//! on paper. One policy, applied by every renderer (website, HTML handouts, PDF handouts):
//!
//! - **Code blocks** read left to right, also on Arabic pages. Inside them, the text of
//!   each string literal and comment that holds right-to-left letters is an isolated run
//!   laid out in its own direction (HTML `<bdi>`, which is `dir="auto"` and
//!   `unicode-bidi: isolate`; in the PDF the Unicode isolates FSI … PDI), so the tokens of
//!   a line stay in source order: `print("ثمن خمس برتقالات هو", 5 * 2, "دراهم.")` shows
//!   its two strings in order, `5 * 2` as written, and the `:` or `!` of a string at the
//!   end of that string where an Arabic reader expects it. The quotes and the comment
//!   sign stay outside the isolate, in the code's order. Which spans are strings and
//!   comments comes from the syntax highlighter (syntect's scopes); a string left
//!   unclosed on its line (a mistake shown on purpose) is not isolated, so what follows
//!   its quote keeps the order it was typed in. A code block in no known language (output
//!   of a program, a drawing) has each line that holds right-to-left letters laid out in
//!   its own direction, and its quoted strings isolated as in inline code.
//! - **Inline code** is an isolated left-to-right run in any paragraph (HTML
//!   `<code dir="ltr">`, in the PDF LRI … PDI), and its quoted strings that hold
//!   right-to-left letters are isolated inside it as in code blocks.
//! - **Each block of lesson text** (paragraph, list item, heading, table cell, quote)
//!   takes the direction of its first letter outside code (`dir="auto"`, as GitHub does):
//!   a Latin paragraph on an Arabic page reads left to right. Blocks with no letter (a
//!   number, only code) keep the page's direction. See [`block_dir`].
//! - **Interface strings** that put a title next to numbers isolate the title (`<bdi>`,
//!   in the PDF FSI … PDI), so "30 دقيقة" stays together after a title ending in `?`.

use std::ops::Range;

/// LEFT-TO-RIGHT ISOLATE.
pub const LRI: char = '\u{2066}';
/// RIGHT-TO-LEFT ISOLATE.
pub const RLI: char = '\u{2067}';
/// FIRST STRONG ISOLATE: the run takes the direction of its first letter.
pub const FSI: char = '\u{2068}';
/// POP DIRECTIONAL ISOLATE: ends the isolate opened last.
pub const PDI: char = '\u{2069}';

/// A direction of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Ltr,
    Rtl,
}

impl Dir {
    pub fn as_str(self) -> &'static str {
        match self {
            Dir::Ltr => "ltr",
            Dir::Rtl => "rtl",
        }
    }
}

/// The language of a page or handout, as far as rendering its text needs it: its
/// direction, and whether French spacing applies (see crate::typography).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextLang {
    pub rtl: bool,
    pub french: bool,
}

impl TextLang {
    pub fn new(lang: &str, rtl: bool) -> TextLang {
        TextLang { rtl, french: crate::typography::is_french(lang) }
    }

    pub fn dir(self) -> Dir {
        if self.rtl { Dir::Rtl } else { Dir::Ltr }
    }
}

/// A letter of a right-to-left script (Hebrew, Arabic, Syriac, Thaana, N'Ko and their
/// presentation forms): what makes a run need isolating.
pub fn is_rtl_letter(c: char) -> bool {
    matches!(c, '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}' | '\u{10800}'..='\u{10FFF}' | '\u{1E800}'..='\u{1EFFF}')
        && c.is_alphabetic()
}

pub fn has_rtl(text: &str) -> bool {
    text.chars().any(is_rtl_letter)
}

/// The direction of the first letter of `text`, as `dir="auto"` finds it (digits and
/// punctuation have none).
pub fn first_strong(text: &str) -> Option<Dir> {
    text.chars().find(|c| c.is_alphabetic()).map(|c| if is_rtl_letter(c) { Dir::Rtl } else { Dir::Ltr })
}

/// The direction a block of lesson text must be given on a page of direction `page`,
/// when it differs: `text` is the block's words outside code. `None` when it reads in the
/// page's direction, or has no letter at all.
pub fn block_dir(text: &str, page: Dir) -> Option<Dir> {
    first_strong(text).filter(|&d| d != page)
}

/// The contents (between the quotes) of the strings quoted with `"` or `'` in one line
/// of code of no known language, closed on that line: what inline code and unknown code
/// isolate. A backslash escapes the next character.
pub fn quoted_strings(line: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '"' && c != '\'' {
            continue;
        }
        let mut escaped = false;
        let mut close = None;
        for (j, d) in chars.by_ref() {
            if escaped {
                escaped = false;
            } else if d == '\\' {
                escaped = true;
            } else if d == c {
                close = Some(j);
                break;
            } else if d == '\n' {
                break;
            }
        }
        match close {
            Some(j) => found.push(i + 1..j),
            // Unclosed: what follows keeps the order it was typed in.
            None => break,
        }
    }
    found
}

/// `range` of `text` without the white space at its ends: spaces typed between a quote or
/// a comment sign and the words stay where they were typed, outside the isolate.
pub fn trimmed(text: &str, range: Range<usize>) -> Range<usize> {
    let inner = &text[range.clone()];
    let start = range.start + (inner.len() - inner.trim_start().len());
    start..start.max(range.start + inner.trim_end().len())
}

/// What to isolate in inline code: its quoted strings that hold right-to-left letters.
pub fn inline_code_isolates(code: &str) -> Vec<Range<usize>> {
    quoted_strings(code).into_iter().filter(|r| has_rtl(&code[r.clone()])).map(|r| trimmed(code, r)).collect()
}

/// What to isolate in a code block of no known language: each line that holds
/// right-to-left letters (without its line ending), and inside it, its quoted strings
/// that hold some. Ranges are nested or disjoint, in order of their start.
pub fn plain_code_isolates(code: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut start = 0;
    for line in code.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        if has_rtl(body) {
            let line = trimmed(body, 0..body.len());
            found.push(start + line.start..start + line.end);
            found.extend(quoted_strings(body).into_iter().filter(|r| has_rtl(&body[r.clone()])).map(|r| trimmed(body, r)).map(|r| start + r.start..start + r.end));
        }
        start += line.len();
    }
    found
}

/// Boundaries of `ranges` (nested or disjoint) in text order: at one position, the ends
/// come before the starts. (`true` = a start.)
fn boundaries(ranges: &[Range<usize>]) -> Vec<(usize, bool)> {
    let mut marks: Vec<(usize, bool)> = ranges.iter().flat_map(|r| [(r.start, true), (r.end, false)]).collect();
    marks.sort_by_key(|&(at, start)| (at, start));
    marks
}

/// `text` with each of `ranges` (nested or disjoint) between `open` and PDI: the PDF's
/// isolates, which Typst lays out as the bidi algorithm says.
pub fn with_isolate_marks(text: &str, ranges: &[Range<usize>], open: char) -> String {
    let mut out = String::with_capacity(text.len() + ranges.len() * 6);
    let mut at = 0;
    for (pos, start) in boundaries(ranges) {
        out.push_str(&text[at..pos]);
        out.push(if start { open } else { PDI });
        at = pos;
    }
    out.push_str(&text[at..]);
    out
}

/// `text` escaped for HTML, each of `ranges` (nested or disjoint) in a `<bdi>`.
pub fn html_with_bdi(text: &str, ranges: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len() + ranges.len() * 11);
    let mut at = 0;
    for (pos, start) in boundaries(ranges) {
        out.push_str(&crate::highlight::escape_html(&text[at..pos]));
        out.push_str(if start { "<bdi>" } else { "</bdi>" });
        at = pos;
    }
    out.push_str(&crate::highlight::escape_html(&text[at..]));
    out
}

/// `text` between FSI and PDI when it holds letters of both directions or could be
/// taken into the numbers that follow it (a title before its duration). For plain-text
/// places that cannot hold markup: a page's `<title>`, a PDF's metadata.
pub fn isolate_plain(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    format!("{FSI}{text}{PDI}")
}

/// Latin text glued to brackets or operators, found in right-to-left text: a call or an
/// index (`print()`, `random.randint(1, 100)`, `a[0]`) or an expression with an operator
/// between a Latin name and a name or number (`x = 5`, `age >= 10`). Outside code, the
/// bidi algorithm sets the brackets, operators and numbers around such Latin words in the
/// Arabic sentence's direction: `print()` is shown as `()print`, `x = 5` as `5 = x`. The
/// ranges of `text` to put between backticks.
pub fn glued_latin(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut found: Vec<Range<usize>> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // A Latin name (dotted: `random.randint`), not inside a longer Latin word (an
        // Arabic letter may come before it: و, ب, ل are written joined to the next word).
        let starts_name = bytes[i].is_ascii_alphabetic() || bytes[i] == b'_';
        if !starts_name || (i > 0 && word(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (word(bytes[i]) || (bytes[i] == b'.' && bytes.get(i + 1).is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_'))) {
            i += 1;
        }
        let name_end = i;
        // A call or an index: through the bracket that closes it, when it closes.
        if let Some(&open @ (b'(' | b'[')) = bytes.get(i) {
            let close = if open == b'(' { b')' } else { b']' };
            let end = bytes[i..].iter().position(|&b| b == close).map_or(i + 1, |p| i + p + 1);
            found.push(start..end);
            i = end;
            continue;
        }
        // An operator between this name and a name or a number.
        let rest = &text[name_end..];
        let spaced = rest.trim_start_matches(' ');
        let op = ["==", "!=", "<=", ">=", "+=", "-=", "*=", "=", "<", ">", "+", "-", "*", "/", "%"].into_iter().find(|op| spaced.starts_with(op));
        if let Some(op) = op {
            let before = rest.len() - spaced.len();
            let after_op = &spaced[op.len()..];
            let operand = after_op.trim_start_matches(' ');
            let after = after_op.len() - operand.len();
            // `-`, `+`, `/`… glue words too (Wi-Fi, Ctrl+C, 24/7): with spaces only.
            let needs_spaces = op.len() == 1 && op != "=";
            let takes = operand.as_bytes().first().is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'"' || b == b'\'');
            if takes && (!needs_spaces || (before > 0 && after > 0)) {
                let operand_len = operand.bytes().take_while(|&b| word(b) || b == b'.').count().max(1);
                let end = name_end + before + op.len() + after + operand_len;
                found.push(start..end);
                i = end;
                continue;
            }
        }
        i = name_end.max(start + 1);
    }
    found
}

/// Latin text glued to brackets or operators ([`glued_latin`]) in the blocks of a lesson
/// body that read right to left (paragraphs, headings, list items, table cells whose first
/// letter outside code is Arabic), outside code: each with the body line it is on.
/// `first_line` is the file line on which `body` starts.
pub fn glued_latin_in_markdown(body: &str, first_line: usize) -> Vec<(usize, String)> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let line_starts: Vec<usize> = std::iter::once(0).chain(body.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let line_of = |offset: usize| first_line + line_starts.partition_point(|&s| s <= offset) - 1;
    // The text of each open block, and where each of its pieces starts in the body.
    let mut open: Vec<(String, Vec<(usize, usize)>)> = Vec::new();
    let mut found = Vec::new();
    let mut in_code = 0usize;
    for (event, range) in Parser::new_ext(body, crate::markdown::markdown_options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Paragraph | Tag::Heading { .. } | Tag::Item | Tag::TableCell) => open.push((String::new(), Vec::new())),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableCell) => {
                let Some((text, pieces)) = open.pop() else { continue };
                if first_strong(&text) != Some(Dir::Rtl) {
                    continue;
                }
                for r in glued_latin(&text) {
                    let piece = pieces.partition_point(|&(at, _)| at <= r.start).saturating_sub(1);
                    let offset = pieces.get(piece).map_or(0, |&(at, source)| source + (r.start - at));
                    found.push((line_of(offset), text[r].to_string()));
                }
            }
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            Event::Text(t) if in_code == 0 => {
                if let Some((text, pieces)) = open.last_mut() {
                    pieces.push((text.len(), range.start));
                    text.push_str(&t);
                }
            }
            // Code and line breaks end a run of words.
            Event::Code(_) | Event::SoftBreak | Event::HardBreak | Event::InlineHtml(_) => {
                if let Some((text, _)) = open.last_mut() {
                    text.push(' ');
                }
            }
            _ => {}
        }
    }
    found.sort();
    found
}

/// What `dars check` says of Latin text glued to brackets or operators in right-to-left
/// text (see [`glued_latin`]).
pub fn glued_latin_message(snippet: &str) -> String {
    format!(
        "`{snippet}` in right-to-left text is shown as `{}`: its brackets, operators and numbers are laid out right to left around the Latin letters; write it as code, between backticks: `` `{snippet}` ``",
        shown_right_to_left(snippet)
    )
}

/// Roughly how a right-to-left paragraph shows a glued snippet: the bracket after a name
/// before it (`()print`), the parts of an expression in reverse (`5 = x`).
fn shown_right_to_left(snippet: &str) -> String {
    if let Some(at) = snippet.find(['(', '[']) {
        return format!("{}{}", &snippet[at..], &snippet[..at]);
    }
    let mut parts: Vec<String> = Vec::new();
    let mut operator = None;
    for c in snippet.chars().filter(|c| !c.is_whitespace()) {
        let is_op = "=<>!+-*/%".contains(c);
        match parts.last_mut() {
            Some(last) if operator == Some(is_op) => last.push(c),
            _ => parts.push(c.to_string()),
        }
        operator = Some(is_op);
    }
    parts.reverse();
    parts.join(if snippet.contains(' ') { " " } else { "" })
}

/// [`glued_latin`] for a front matter text (title, summary…), when it reads right to left:
/// what to put between backticks. Text already between backticks is code.
pub fn glued_latin_in_line(text: &str) -> Vec<String> {
    // Code, between backticks or already between isolates (see typography::display_text).
    let mut words = String::with_capacity(text.len());
    let mut depth = 0usize;
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' => in_code = !in_code,
            LRI | RLI | FSI => depth += 1,
            PDI => depth = depth.saturating_sub(1),
            _ if in_code || depth > 0 => words.push(' '),
            _ => words.push(c),
        }
    }
    if first_strong(&words) != Some(Dir::Rtl) {
        return Vec::new();
    }
    glued_latin(&words).into_iter().map(|r| words[r].to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glued_latin_is_found_in_arabic_blocks_outside_code() {
        let body = "## نطرح سؤالا بالأمر input()\n\nنص `print()` سليم.\n\n- يعرض الأمر print(x) نصا\n\nThe call print() in English.\n\n```python\nprint()\n```\n\n| أ | ب |\n|---|---|\n| الدالة len() | `len()` |\n";
        let found = glued_latin_in_markdown(body, 10);
        assert_eq!(found, [(10, "input()".to_string()), (14, "print(x)".to_string()), (24, "len()".to_string())]);
        assert_eq!(glued_latin_in_line("أن أكتب بالأمر print() وأشغّله"), ["print()"]);
        assert!(glued_latin_message("print()").starts_with("`print()` in right-to-left text is shown as `()print`"));
        assert_eq!(shown_right_to_left("x = 5"), "5 = x");
        assert_eq!(shown_right_to_left("age>=10"), "10>=age");
        assert!(glued_latin_in_line("أن أكتب بالأمر `print()` وأشغّله").is_empty());
        assert!(glued_latin_in_line("Écrire avec print()").is_empty());
    }

    #[test]
    fn latin_glued_to_brackets_or_operators_is_found() {
        let text = "أكتب برنامجا بالأمر print() ثم random.randint(1, 100) ونضع x = 5 وage >= 10 وa[0].";
        let found: Vec<&str> = glued_latin(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(found, ["print()", "random.randint(1, 100)", "x = 5", "age >= 10", "a[0]"]);
        for fine in ["حاسوب (أو IDLE)", "الشبكة Wi-Fi و Ctrl+C", "(AI Movement)", "Python 3", "12 - 5 = 7", "لغة Python."] {
            assert!(glued_latin(fine).is_empty(), "{fine}: {:?}", glued_latin(fine));
        }
    }

    #[test]
    fn quoted_strings_are_found_on_their_line_and_unclosed_ones_left_alone() {
        let line = r#"print("ثمن خمس برتقالات هو", 5 * 2, "دراهم.")"#;
        let found: Vec<&str> = quoted_strings(line).into_iter().map(|r| &line[r]).collect();
        assert_eq!(found, ["ثمن خمس برتقالات هو", "دراهم."]);
        let line = r#"print("a \" b", 'c')"#;
        let found: Vec<&str> = quoted_strings(line).into_iter().map(|r| &line[r]).collect();
        assert_eq!(found, [r#"a \" b"#, "c"]);
        assert!(quoted_strings(r#"print("في السوق أشتري البرتقال.)"#).is_empty());
    }

    #[test]
    fn only_strings_with_right_to_left_letters_are_isolated() {
        let code = r#"print("*" * 3, "سلام")"#;
        let r = inline_code_isolates(code);
        assert_eq!(r.len(), 1);
        assert_eq!(&code[r[0].clone()], "سلام");
        assert_eq!(html_with_bdi(code, &r), "print(&quot;*&quot; * 3, &quot;<bdi>سلام</bdi>&quot;)");
        assert_eq!(with_isolate_marks(code, &r, FSI), "print(\"*\" * 3, \"\u{2068}سلام\u{2069}\")");
    }

    #[test]
    fn plain_code_isolates_lines_and_their_strings() {
        let code = "A B C\nقال \"مرحبا\" ثم ذهب.\n";
        let r = plain_code_isolates(code);
        assert_eq!(r.len(), 2);
        assert_eq!(&code[r[0].clone()], "قال \"مرحبا\" ثم ذهب.");
        assert_eq!(&code[r[1].clone()], "مرحبا");
        assert_eq!(html_with_bdi(code, &r), "A B C\n<bdi>قال &quot;<bdi>مرحبا</bdi>&quot; ثم ذهب.</bdi>\n");
    }

    #[test]
    fn block_direction_comes_from_the_first_letter() {
        assert_eq!(block_dir("The quick fox, قال", Dir::Rtl), Some(Dir::Ltr));
        assert_eq!(block_dir("قال: hello", Dir::Rtl), None);
        assert_eq!(block_dir("12 + 5 = 17", Dir::Rtl), None);
        assert_eq!(block_dir("مرحبا", Dir::Ltr), Some(Dir::Rtl));
    }
}
