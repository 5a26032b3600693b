//! Code highlighting with syntect, into CSS classes so one generated stylesheet serves
//! every page. Syntaxes and the theme are loaded once per process.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };
const THEME: &str = "InspiredGitHub";

pub struct Highlighter {
    syntaxes: SyntaxSet,
    css: String,
    /// Time spent highlighting since it was last taken, summed over threads (ns).
    spent: AtomicU64,
}

impl Highlighter {
    pub fn new() -> Self {
        let syntaxes = SyntaxSet::load_defaults_newlines();
        let themes = ThemeSet::load_defaults();
        let css = css_for_theme_with_class_style(&themes.themes[THEME], CLASS_STYLE).unwrap_or_default();
        Self { syntaxes, css, spent: AtomicU64::new(0) }
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

    fn highlight_untimed(&self, code: &str, lang: &str) -> String {
        let syntax = (!lang.is_empty())
            .then(|| self.syntaxes.find_syntax_by_token(lang))
            .flatten();
        let Some(syntax) = syntax else {
            return escape_html(code);
        };
        let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, &self.syntaxes, CLASS_STYLE);
        for line in LinesWithEndings::from(code) {
            if generator.parse_html_for_line_which_includes_newline(line).is_err() {
                return escape_html(code);
            }
        }
        generator.finalize()
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
