//! Code highlighting with syntect, into CSS classes so one generated stylesheet serves
//! every page. Syntaxes and the theme are loaded once per process.

use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };
const THEME: &str = "InspiredGitHub";

pub struct Highlighter {
    syntaxes: SyntaxSet,
    css: String,
}

impl Highlighter {
    pub fn new() -> Self {
        let syntaxes = SyntaxSet::load_defaults_newlines();
        let themes = ThemeSet::load_defaults();
        let css = css_for_theme_with_class_style(&themes.themes[THEME], CLASS_STYLE).unwrap_or_default();
        Self { syntaxes, css }
    }

    /// The stylesheet for the classes `highlight` emits.
    pub fn css(&self) -> &str {
        &self.css
    }

    /// HTML for the inside of a `<code>` element; unknown languages come out as escaped text.
    pub fn highlight(&self, code: &str, lang: &str) -> String {
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
}
