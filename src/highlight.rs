//! Code highlighting with syntect, into CSS classes so one generated stylesheet serves
//! every page. Syntaxes and the theme are loaded once per process.
//!
//! The HTML is made line by line from syntect's scopes: every line opens the spans it
//! needs and closes them at its end, and the text of string literals and comments that
//! holds right-to-left letters is put in a `<bdi>` (see [`crate::bidi`]); the same spans
//! are what [`Highlighter::isolates`] gives the PDF handouts.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, css_for_theme_with_class_style};
use syntect::parsing::{ParseState, Scope, ScopeStack, ScopeStackOp, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };
const CLASS_PREFIX: &str = "hl-";
const THEME: &str = "InspiredGitHub";

pub struct Highlighter {
    syntaxes: &'static SyntaxSet,
    css: String,
    scopes: &'static TokenScopes,
    /// Time spent highlighting since it was last taken, summed over threads (ns).
    spent: AtomicU64,
}

impl Highlighter {
    pub fn new() -> Self {
        let syntaxes = syntaxes();
        let themes = ThemeSet::load_defaults();
        let css = css_for_theme_with_class_style(&themes.themes[THEME], CLASS_STYLE).unwrap_or_default();
        // The theme sets comments (and a few Markdown and diff scopes) in italic, which
        // neither the code font nor Naskh has: the browser would slant them. Their colour
        // sets them apart.
        let css = css.replace("font-style: italic;\n", "");
        Self { syntaxes, css, scopes: token_scopes(), spent: AtomicU64::new(0) }
    }

    /// The stylesheet for the classes `highlight` emits.
    pub fn css(&self) -> &str {
        &self.css
    }

    /// HTML for the inside of a `<code>` element; unknown languages come out as escaped text.
    pub fn highlight(&self, code: &str, lang: &str) -> String {
        let start = Instant::now();
        let html = self.highlight_untimed(code, lang);
        self.spent.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        html
    }

    /// CPU time spent highlighting since the last call (all threads together): the build
    /// reports it, as highlighting happens inside the Markdown stage.
    pub fn take_spent(&self) -> Duration {
        Duration::from_nanos(self.spent.swap(0, Ordering::Relaxed))
    }

    /// The byte ranges of `code` to lay out as isolated runs (string literals and comments
    /// that hold right-to-left letters; for code of no known language, its lines that do),
    /// nested or disjoint, for the PDF handouts: see [`crate::bidi`].
    pub fn isolates(&self, code: &str, lang: &str) -> Vec<Range<usize>> {
        let start = Instant::now();
        let found = match self.syntax(lang) {
            Some(syntax) => self.lines(code, syntax).map(|lines| lines.into_iter().flat_map(|l| l.isolates).collect()),
            None => None,
        };
        let found = found.unwrap_or_else(|| crate::bidi::plain_code_isolates(code));
        self.spent.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        found
    }

    /// The syntax of a code block's language, if it is one syntect knows (plain text is none).
    fn syntax(&self, lang: &str) -> Option<&SyntaxReference> {
        if lang.is_empty() {
            return None;
        }
        self.syntaxes.find_syntax_by_token(lang).filter(|s| s.name != "Plain Text")
    }

    fn highlight_untimed(&self, code: &str, lang: &str) -> String {
        let html = self.syntax(lang).and_then(|syntax| Some(self.classed_html(code, &self.lines(code, syntax)?)));
        html.unwrap_or_else(|| crate::bidi::html_with_bdi(code, &crate::bidi::plain_code_isolates(code)))
    }

    /// `code` parsed line by line: each line's scope operations and what it isolates.
    /// None when syntect fails on it (the code is then shown as plain text).
    fn lines(&self, code: &str, syntax: &SyntaxReference) -> Option<Vec<Line>> {
        let mut state = ParseState::new(syntax);
        let mut stack = ScopeStack::new();
        let mut lines = Vec::new();
        let mut offset = 0;
        for text in LinesWithEndings::from(code) {
            let ops = state.parse_line(text, self.syntaxes).ok()?;
            let start = stack.clone();
            let isolates = self.scopes.isolates(text, &ops, &mut stack)?.into_iter().map(|r| offset + r.start..offset + r.end).collect();
            lines.push(Line { offset, len: text.len(), ops, start, isolates });
            offset += text.len();
        }
        Some(lines)
    }

    /// HTML for parsed lines: on each line, the spans of its scopes (opened when text needs
    /// them, all closed at the line's end, so every line stands alone) and its isolates.
    fn classed_html(&self, code: &str, lines: &[Line]) -> String {
        let mut out = String::with_capacity(code.len() * 3);
        let mut classes: HashMap<Scope, String> = HashMap::new();
        let mut class_of = |scope: Scope| classes.entry(scope).or_insert_with(|| scope_classes(scope)).clone();
        for line in lines {
            let text = &code[line.offset..line.offset + line.len];
            let end = text.trim_end_matches(['\n', '\r']).len();
            let mut spans = Spans { out: &mut out, open: Vec::new(), opened: 0 };
            spans.open = line.start.as_slice().iter().map(|&s| class_of(s)).collect();
            let mut marks: Vec<(usize, bool)> = line.isolates.iter().flat_map(|r| [(r.start - line.offset, true), (r.end - line.offset, false)]).collect();
            marks.sort_by_key(|&(at, start)| (at, start));
            let mut marks = marks.into_iter().peekable();
            let mut at = 0;
            let mut stack = line.start.clone();
            let mut emit = |spans: &mut Spans, at: &mut usize, to: usize| {
                let to = to.min(end);
                while *at < to {
                    let next = marks.peek().map_or(to, |&(m, _)| m.min(to)).max(*at);
                    spans.text(&text[*at..next]);
                    *at = next;
                    while let Some(&(m, start)) = marks.peek() {
                        if m > *at {
                            break;
                        }
                        spans.close_all();
                        spans.out.push_str(if start { "<bdi>" } else { "</bdi>" });
                        marks.next();
                    }
                    if next == to {
                        break;
                    }
                }
            };
            for (i, op) in &line.ops {
                emit(&mut spans, &mut at, *i);
                let _ = stack.apply_with_hook(op, |basic, _| match basic {
                    syntect::parsing::BasicScopeStackOp::Push(scope) => spans.open.push(class_of(scope)),
                    syntect::parsing::BasicScopeStackOp::Pop => spans.pop(),
                });
            }
            emit(&mut spans, &mut at, end);
            spans.close_all();
            // Isolates closed at the very end of the line's text.
            for (_, start) in marks {
                spans.out.push_str(if start { "<bdi>" } else { "</bdi>" });
            }
            out.push_str(&text[end..]);
        }
        out
    }
}

/// syntect's syntaxes, loaded once per process: the website's highlighter and the PDF's
/// isolates ([`code_isolates`]) read code the same way.
fn syntaxes() -> &'static SyntaxSet {
    static SYNTAXES: std::sync::OnceLock<SyntaxSet> = std::sync::OnceLock::new();
    SYNTAXES.get_or_init(SyntaxSet::load_defaults_newlines)
}

fn token_scopes() -> &'static TokenScopes {
    static SCOPES: std::sync::OnceLock<TokenScopes> = std::sync::OnceLock::new();
    SCOPES.get_or_init(TokenScopes::new)
}

/// What the PDF handouts isolate in a code block: as [`Highlighter::isolates`], without a
/// highlighter at hand (the syntaxes are shared).
pub fn code_isolates(code: &str, lang: &str) -> Vec<Range<usize>> {
    static SHARED: std::sync::OnceLock<Highlighter> = std::sync::OnceLock::new();
    SHARED.get_or_init(Highlighter::new).isolates(code, lang)
}

/// One line of parsed code.
struct Line {
    /// Where it starts in the code, and its length with its line ending.
    offset: usize,
    len: usize,
    ops: Vec<(usize, ScopeStackOp)>,
    /// The scopes open when it starts.
    start: ScopeStack,
    /// What it isolates, as ranges of the whole code.
    isolates: Vec<Range<usize>>,
}

/// Spans of scopes written as text needs them: `open` are the classes of the scopes open
/// now, the first `opened` of them written to `out`.
struct Spans<'a> {
    out: &'a mut String,
    open: Vec<String>,
    opened: usize,
}

impl Spans<'_> {
    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        for classes in &self.open[self.opened..] {
            self.out.push_str("<span class=\"");
            self.out.push_str(classes);
            self.out.push_str("\">");
        }
        self.opened = self.open.len();
        self.out.push_str(&escape_html(text));
    }

    fn pop(&mut self) {
        if self.opened == self.open.len() && self.opened > 0 {
            self.out.push_str("</span>");
            self.opened -= 1;
        }
        self.open.pop();
    }

    fn close_all(&mut self) {
        for _ in 0..self.opened {
            self.out.push_str("</span>");
        }
        self.opened = 0;
    }
}

/// `hl-string hl-quoted hl-double hl-python` for `string.quoted.double.python`, as
/// syntect's own HTML writes them (the stylesheet it makes selects these).
fn scope_classes(scope: Scope) -> String {
    scope.build_string().split('.').map(|atom| format!("{CLASS_PREFIX}{atom}")).collect::<Vec<_>>().join(" ")
}

/// The scopes that tell strings and comments, their quotes and signs, and mistakes.
struct TokenScopes {
    string: Scope,
    comment: Scope,
    delimiter: Scope,
    invalid: Scope,
}

/// What a piece of a line is, for isolating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    /// In a string (`Some(false)`) or a comment (`Some(true)`).
    token: Option<bool>,
    /// Its quote or comment sign.
    delimiter: bool,
    /// Marked as a mistake (a string left unclosed).
    invalid: bool,
}

impl TokenScopes {
    fn new() -> Self {
        let scope = |s: &str| Scope::new(s).expect("a valid scope name");
        TokenScopes { string: scope("string"), comment: scope("comment"), delimiter: scope("punctuation.definition"), invalid: scope("invalid") }
    }

    fn piece(&self, stack: &ScopeStack) -> Piece {
        let mut piece = Piece { token: None, delimiter: false, invalid: false };
        for &s in stack.as_slice() {
            if self.comment.is_prefix_of(s) {
                piece.token = Some(true);
            } else if self.string.is_prefix_of(s) && piece.token.is_none() {
                piece.token = Some(false);
            } else if self.delimiter.is_prefix_of(s) {
                piece.delimiter = true;
            } else if self.invalid.is_prefix_of(s) {
                piece.invalid = true;
            }
        }
        piece
    }

    /// The ranges of `line` to isolate: the text of each string or comment on it (without
    /// its quotes or sign, nor the line ending) that holds right-to-left letters, unless
    /// it is marked as a mistake. `stack` is the scopes at the line's start, and is left
    /// as they are at its end.
    fn isolates(&self, line: &str, ops: &[(usize, ScopeStackOp)], stack: &mut ScopeStack) -> Option<Vec<Range<usize>>> {
        let mut pieces: Vec<(Range<usize>, Piece)> = Vec::new();
        let mut at = 0;
        let mut piece = self.piece(stack);
        for (i, op) in ops {
            if *i > at {
                pieces.push((at..*i, piece));
                at = *i;
            }
            stack.apply(op).ok()?;
            piece = self.piece(stack);
        }
        if at < line.len() {
            pieces.push((at..line.len(), piece));
        }
        let end = line.trim_end_matches(['\n', '\r']).len();
        let mut found = Vec::new();
        let mut i = 0;
        while i < pieces.len() {
            let Some(kind) = pieces[i].1.token else {
                i += 1;
                continue;
            };
            let mut j = i;
            while j < pieces.len() && pieces[j].1.token == Some(kind) {
                j += 1;
            }
            let run = &pieces[i..j];
            i = j;
            if run.iter().any(|(_, p)| p.invalid) {
                continue;
            }
            let first = run.iter().position(|(_, p)| !p.delimiter);
            let last = run.iter().rposition(|(_, p)| !p.delimiter);
            let (Some(first), Some(last)) = (first, last) else { continue };
            let range = run[first].0.start..run[last].0.end.min(end);
            if range.start < range.end && crate::bidi::has_rtl(&line[range.clone()]) {
                found.push(crate::bidi::trimmed(line, range));
            }
        }
        Some(found)
    }
}

/// Something that turns code into highlighted HTML.
pub trait Highlight {
    fn highlight(&self, code: &str, lang: &str) -> String;
}

impl Highlight for Highlighter {
    fn highlight(&self, code: &str, lang: &str) -> String {
        Highlighter::highlight(self, code, lang)
    }
}

/// Highlights each distinct snippet once: the translations of a lesson share its code
/// (code is not translated), and highlighting is the costliest part of rendering a body.
/// Kept for one lesson at a time, so it never grows with the site.
pub struct Memo<'a> {
    highlighter: &'a Highlighter,
    seen: RefCell<HashMap<(String, String), String>>,
}

impl<'a> Memo<'a> {
    pub fn new(highlighter: &'a Highlighter) -> Self {
        Memo { highlighter, seen: RefCell::default() }
    }
}

impl Highlight for Memo<'_> {
    fn highlight(&self, code: &str, lang: &str) -> String {
        let key = (lang.to_string(), code.to_string());
        if let Some(html) = self.seen.borrow().get(&key) {
            return html.clone();
        }
        let html = self.highlighter.highlight(code, lang);
        self.seen.borrow_mut().insert(key, html.clone());
        html
    }
}

impl Default for Highlighter {
    fn default() -> Self {
        Self::new()
    }
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_gets_classes_and_unknown_is_escaped() {
        let h = Highlighter::new();
        let html = h.highlight("print(\"<hi>\")\n", "python");
        assert!(html.contains("hl-"), "{html}");
        assert!(html.contains("&lt;hi&gt;"));
        assert_eq!(h.highlight("<x>", "nonesuch"), "&lt;x&gt;");
        assert!(h.css().contains(".hl-"));
        assert!(!h.css().contains("font-style: italic"), "code has no italic to show");
    }

    #[test]
    fn the_memo_gives_what_the_highlighter_gives() {
        let h = Highlighter::new();
        let memo = Memo::new(&h);
        for _ in 0..2 {
            assert_eq!(memo.highlight("x = 1\n", "python"), h.highlight("x = 1\n", "python"));
            assert_eq!(memo.highlight("x = 1\n", "ruby"), h.highlight("x = 1\n", "ruby"));
        }
        assert_eq!(memo.seen.borrow().len(), 2, "same code in another language is another snippet");
    }
}

#[cfg(test)]
mod bidi_tests {
    use super::*;

    /// The text of an HTML fragment, and the text of each of its `<bdi>` elements.
    fn texts(html: &str) -> (String, Vec<String>) {
        let (mut all, mut bdis, mut depth) = (String::new(), Vec::new(), 0usize);
        let mut rest = html;
        while let Some(lt) = rest.find('<') {
            let text = rest[..lt].replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'").replace("&amp;", "&");
            all.push_str(&text);
            if depth > 0 {
                bdis.last_mut().map(|b: &mut String| b.push_str(&text));
            }
            let gt = rest[lt..].find('>').unwrap() + lt;
            match &rest[lt..=gt] {
                "<bdi>" => {
                    depth += 1;
                    bdis.push(String::new());
                }
                "</bdi>" => depth -= 1,
                _ => {}
            }
            rest = &rest[gt + 1..];
        }
        all.push_str(rest);
        (all, bdis)
    }

    #[test]
    fn arabic_strings_and_comments_are_isolated_quotes_and_signs_outside() {
        let h = Highlighter::new();
        let code = "print(\"ثمن خمس برتقالات هو\", 5 * 2, \"دراهم.\")  # تعليق\nx = \"abc\"\nguess = int(input(\"خمّن العدد (من 1 إلى 100): \"))\nprint(\"في السوق.)\n";
        let html = h.highlight(code, "python");
        let (text, bdis) = texts(&html);
        assert_eq!(text, code, "the HTML shows the code as it is");
        // Spaces at their ends stay outside, where they were typed.
        assert_eq!(bdis, ["ثمن خمس برتقالات هو", "دراهم.", "تعليق", "خمّن العدد (من 1 إلى 100):"], "{html}");
        for line in html.lines() {
            assert_eq!(line.matches("<span").count(), line.matches("</span>").count(), "each line closes its spans: {line}");
        }
        assert!(!html.lines().nth(3).unwrap().contains("<bdi>"), "an unclosed string keeps the order it was typed in");
        let isolated: Vec<&str> = h.isolates(code, "python").into_iter().map(|r| &code[r]).collect();
        assert_eq!(isolated, bdis, "the PDF isolates what the page does");
    }

    #[test]
    fn code_of_no_known_language_isolates_its_arabic_lines() {
        let h = Highlighter::new();
        let code = "*\n**\nاليوم 0 - عدد التمرات: 5\n";
        for lang in ["", "text", "nonesuch"] {
            let html = h.highlight(code, lang);
            assert_eq!(html, "*\n**\n<bdi>اليوم 0 - عدد التمرات: 5</bdi>\n", "{lang}");
            assert_eq!(h.isolates(code, lang), [5..code.len() - 1]);
        }
    }
}
