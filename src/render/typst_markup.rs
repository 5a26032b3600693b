//! Lesson Markdown → Typst markup for the PDF handouts.
//!
//! Text is always escaped and code always passed as string literals, so nothing an author
//! writes can break or inject into the document. Every event pulldown-cmark emits with
//! our options is handled; raw HTML follows the rule of [`crate::rawhtml`] (its text is
//! kept, tags dropped, media the page cannot print become a note).

use std::path::Path;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};

use crate::error::{Diagnostic, Diagnostics};
use crate::markdown::{Audience, Block, BlockKind, markdown_options};

/// What the converter needs to know about the lesson's surroundings.
pub struct TypstContext<'a> {
    pub file: &'a Path,
    /// Maps an image destination to a path in the Typst world, or says what is wrong.
    pub image: &'a dyn Fn(&str) -> Result<String, String>,
}

/// The blocks `audience` sees, as Typst markup. Blocks become calls to functions the
/// handout template defines: `exercise`, `solution`, `trainer`, `write-lines`.
pub fn blocks_to_typst(blocks: &[Block], audience: Audience, cx: &TypstContext) -> Result<String, Diagnostics> {
    let mut out = String::new();
    let mut diags = Diagnostics::new();
    for block in blocks.iter().filter(|b| audience.shows(b.kind)) {
        let body = markdown_to_typst(block.text, block.line, cx, &mut diags);
        match block.kind {
            BlockKind::Text => out.push_str(&body),
            BlockKind::Exercise => out.push_str(&format!("#exercise[{body}]\n\n")),
            BlockKind::Solution => out.push_str(&format!("#solution[{body}]\n\n")),
            BlockKind::Trainer => out.push_str(&format!("#trainer[{body}]\n\n")),
            BlockKind::Write(n) => out.push_str(&format!("#write-lines({n})\n\n")),
        }
    }
    diags.into_result(out)
}

/// Escapes text for Typst markup mode: a backslash before every character that can start
/// markup syntax (any character may be escaped this way).
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if matches!(c, '\\' | '#' | '*' | '_' | '`' | '$' | '<' | '>' | '@' | '[' | ']' | '/' | '~' | '-' | '+' | '=' | '\'' | '"' | ':' | '.') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A Typst string literal.
pub fn string_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Converter<'a, 'c> {
    out: String,
    cx: &'a TypstContext<'c>,
    code: Option<(String, String)>,
    image_alt: Option<String>,
}

fn markdown_to_typst(text: &str, first_line: usize, cx: &TypstContext, diags: &mut Diagnostics) -> String {
    let line_starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let mut c = Converter { out: String::new(), cx, code: None, image_alt: None };
    for (event, range) in Parser::new_ext(text, markdown_options()).into_offset_iter() {
        let line = first_line + line_starts.partition_point(|&s| s <= range.start) - 1;
        if let Err(m) = c.event(event) {
            diags.push(Diagnostic::error(cx.file, m).at(line, None));
        }
    }
    c.out
}

impl Converter<'_, '_> {
    fn event(&mut self, event: Event) -> Result<(), String> {
        if let Some((_, buf)) = self.code.as_mut() {
            match event {
                Event::Text(t) => buf.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let (lang, code) = self.code.take().unwrap_or_default();
                    self.out.push_str(&format!(
                        "#raw(block: true, lang: {}, {})\n\n",
                        string_literal(&lang),
                        string_literal(code.trim_end_matches('\n'))
                    ));
                }
                _ => {}
            }
            return Ok(());
        }
        if let Some(alt) = self.image_alt.as_mut() {
            // An image's alt text arrives as events until its end; it is the description.
            match event {
                Event::Text(t) | Event::Code(t) => alt.push_str(&t),
                Event::End(TagEnd::Image) => {
                    let alt = self.image_alt.take().unwrap_or_default();
                    self.out.push_str(&format!("alt: {}))\n\n", string_literal(&alt)));
                }
                _ => {}
            }
            return Ok(());
        }
        match event {
            Event::Start(tag) => self.start(tag)?,
            Event::End(tag) => self.end(tag),
            Event::Text(t) => self.out.push_str(&escape_markup(&t)),
            Event::Code(t) => self.out.push_str(&format!("#raw({})", string_literal(&t))),
            Event::InlineMath(t) | Event::DisplayMath(t) => self.out.push_str(&escape_markup(&t)),
            Event::Html(t) | Event::InlineHtml(t) => self.html(&t),
            Event::FootnoteReference(name) => self.out.push_str(&format!("#super[{}]", escape_markup(&name))),
            Event::SoftBreak => self.out.push(' '),
            Event::HardBreak => self.out.push_str("#linebreak()"),
            Event::Rule => self.out.push_str("#line(length: 100%)\n\n"),
            Event::TaskListMarker(done) => self.out.push_str(if done { "☑ " } else { "☐ " }),
        }
        Ok(())
    }

    fn start(&mut self, tag: Tag) -> Result<(), String> {
        match tag {
            Tag::Paragraph => {}
            Tag::Heading { level, .. } => {
                // The lesson title is the document's level-1 heading: lesson sections start at 2.
                let n = match level {
                    HeadingLevel::H1 | HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    _ => 4,
                };
                self.out.push_str(&format!("#heading(level: {n})["));
            }
            Tag::BlockQuote(_) => self.out.push_str("#quote(block: true)["),
            Tag::CodeBlock(kind) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or("").to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Tag::HtmlBlock => {}
            Tag::List(Some(start)) => self.out.push_str(&format!("#enum(start: {start}, ")),
            Tag::List(None) => self.out.push_str("#list("),
            Tag::Item => self.out.push('['),
            Tag::FootnoteDefinition(name) => self.out.push_str(&format!("#text(size: 0.85em)[#super[{}] ", escape_markup(&name))),
            Tag::Table(alignments) => {
                self.out.push_str(&format!("#table(columns: {}, ", alignments.len().max(1)));
            }
            Tag::TableHead => self.out.push_str("table.header("),
            Tag::TableRow => {}
            Tag::TableCell => self.out.push('['),
            Tag::Emphasis => self.out.push_str("#emph["),
            Tag::Strong => self.out.push_str("#strong["),
            Tag::Strikethrough => self.out.push_str("#strike["),
            Tag::Link { dest_url, .. } => {
                if crate::render::links::is_external(&dest_url) {
                    self.out.push_str(&format!("#link({})[", string_literal(&dest_url)));
                } else {
                    // Links between lessons have no target on paper: keep the words.
                    self.out.push_str("#[");
                }
            }
            Tag::Image { dest_url, .. } => {
                let path = (self.cx.image)(&dest_url)?;
                self.out.push_str(&format!("#figure(image({}, width: 80%, ", string_literal(&path)));
                // Closed with the alt text when the image ends; see `event`.
                self.image_alt = Some(String::new());
            }
            Tag::MetadataBlock(_) | Tag::DefinitionList | Tag::DefinitionListTitle | Tag::DefinitionListDefinition | Tag::Superscript | Tag::Subscript => {
                self.out.push_str("#[");
            }
        }
        Ok(())
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.out.push_str("\n\n"),
            TagEnd::Heading(_) => self.out.push_str("]\n\n"),
            TagEnd::BlockQuote(_) => self.out.push_str("]\n\n"),
            TagEnd::CodeBlock | TagEnd::HtmlBlock => {}
            TagEnd::List(_) => self.out.push_str(")\n\n"),
            TagEnd::Item => self.out.push_str("], "),
            TagEnd::FootnoteDefinition => self.out.push_str("]\n\n"),
            TagEnd::Table => self.out.push_str(")\n\n"),
            TagEnd::TableHead => self.out.push_str("), "),
            TagEnd::TableRow => {}
            TagEnd::TableCell => self.out.push_str("], "),
            TagEnd::Image => {} // closed in `event`, with the alt text
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link => self.out.push(']'),
            TagEnd::MetadataBlock(_) | TagEnd::DefinitionList | TagEnd::DefinitionListTitle | TagEnd::DefinitionListDefinition | TagEnd::Superscript | TagEnd::Subscript => {
                self.out.push(']')
            }
        }
    }

    fn html(&mut self, html: &str) {
        for part in crate::rawhtml::printed(html) {
            match part {
                crate::rawhtml::Printed::Text(text) if text == "\n" => self.out.push_str("#linebreak();"),
                crate::rawhtml::Printed::Text(text) => self.out.push_str(&escape_markup(&text)),
                crate::rawhtml::Printed::Media(name) => self.out.push_str(&format!("#media-note({});", string_literal(&name))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(md: &str) -> String {
        let image = |d: &str| Ok(format!("/media/{d}"));
        let cx = TypstContext { file: Path::new("x.md"), image: &image };
        let blocks = crate::markdown::split_blocks(md, 1, Path::new("x.md")).unwrap();
        blocks_to_typst(&blocks, Audience::Trainer, &cx).unwrap()
    }

    #[test]
    fn special_characters_are_escaped_and_code_is_a_string() {
        let t = convert("a #b *c* $d$ [e](https://x.org) `f\"g`\n\n```python\nprint(\"]\")\n```\n");
        assert!(t.contains("a \\#b #emph[c] \\$d\\$"), "{t}");
        assert!(t.contains("#link(\"https://x.org\")[e]"));
        assert!(t.contains("#raw(\"f\\\"g\")"));
        assert!(t.contains("#raw(block: true, lang: \"python\", \"print(\\\"]\\\")\")"));
    }

    #[test]
    fn blocks_become_template_functions() {
        let t = convert("::: exercise\nQ\n:::\n\n::: solution\nA\n:::\n\n::: trainer\nT\n:::\n");
        assert!(t.contains("#exercise[Q\n\n]") && t.contains("#solution[A") && t.contains("#trainer[T"), "{t}");
    }

    #[test]
    fn tables_lists_and_images() {
        let t = convert("| a | b |\n|---|---|\n| 1 | 2 |\n\n- x\n- [ ] y\n\n3. z\n\n![Un robot](robot.png)\n");
        assert!(t.contains("#table(columns: 2, table.header([a], [b], ), [1], [2], )"), "{t}");
        assert!(t.contains("#list([x], [☐ y], )"), "{t}");
        assert!(t.contains("#enum(start: 3, [z], )"), "{t}");
        assert!(t.contains("#figure(image(\"/media/robot.png\", width: 80%, alt: \"Un robot\"))"), "{t}");
    }
}
