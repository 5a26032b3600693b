//! Lesson Markdown → Typst markup for the PDF handouts.
//!
//! Text is always escaped and code always passed as string literals, so nothing an author
//! writes can break or inject into the document. Every event pulldown-cmark emits with
//! our options is handled; raw HTML follows the rule of [`crate::rawhtml`] (its text is
//! kept, tags dropped, media the page cannot print become a note).
//!
//! Every construct is an embedded expression (`#emph[…]`, `#raw("…")`) ended by `;`
//! (see [`END`]), so the text that follows it, whatever it is, stays text.

use std::path::Path;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};

use crate::bidi::{Dir, FSI, LRI, PDI, TextLang};
use crate::error::{Diagnostic, Diagnostics};
use crate::markdown::{Audience, Block, BlockKind, markdown_options};

/// Ends an embedded expression in markup. Without it the author's next character could
/// continue the expression: ``Appelez `alert`(1)`` would make `#raw("alert")(1)`, a call
/// of the content, and `[` more arguments. Typst's parser takes one `;` written directly
/// after an embedded expression as its end and prints nothing for it.
const END: &str = ";";

/// A line may break here; nothing is shown.
const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// How deep the elements of a lesson may nest in one another on paper. Typst counts show
/// rules and layouts in one another on one counter and stops at 64 ("maximum show rule
/// depth exceeded", with no line an author could find); a few levels are left for the
/// template around the lesson and for the innermost text. See [`nesting_cost`].
const MAX_NESTING: usize = 56;

/// Syntaxes typst 0.15 can highlight forever, found by giving each of its languages the
/// canaries of `tests/typst_oracle.rs` (`languages_that_hang_typst`). JavaScript's (bat's
/// old one, through two-face) loops on a line as plain as `x /*`: two contexts `set` each
/// other without moving, which syntect's loop guard misses (trishume/syntect#706); every
/// syntax embedding it (HTML's `<script>`, Markdown's fences, PHP, Vue…) inherits that.
/// A build would never end: code in these languages is printed without colours.
const HANGING_SYNTAXES: &[&str] = &[
    "CFML", "Graphviz (DOT)", "HTML", "HTML (ASP)", "HTML (EEx)", "HTML (Erlang)", "HTML (Jinja2)", "HTML (Rails)", "HTML (Tcl)", "HTML (Twig)",
    "Java Server Page (JSP)", "JavaScript", "JavaScript (Rails)", "Markdown", "MultiMarkdown", "PHP", "QML", "Ruby Slim", "Svelte", "Textile",
    "Vue Component",
];

/// Typst refuses link addresses longer than this (`URL is too long`).
const MAX_URL_BYTES: usize = 8000;

/// What the converter needs to know about the lesson's surroundings.
pub struct TypstContext<'a> {
    pub file: &'a Path,
    /// Maps an image destination to a path in the Typst world, or says what is wrong.
    pub image: &'a dyn Fn(&str) -> Result<String, String>,
}

/// The blocks `audience` sees, as Typst markup. Blocks become calls to functions the
/// handout template defines: `exercise`, `solution`, `trainer`, `write-lines`.
pub fn blocks_to_typst(blocks: &[Block], audience: Audience, cx: &TypstContext) -> Result<String, Diagnostics> {
    convert_blocks(blocks, audience, cx, false, TextLang::default())
}

/// As [`blocks_to_typst`], with a comment `/*dars:line N*/` wherever the Markdown line
/// changes, so that an error typst finds in the lesson is reported at the author's line
/// ([`line_at`]). Comments change nothing in the document.
pub fn blocks_to_typst_with_lines(blocks: &[Block], audience: Audience, cx: &TypstContext) -> Result<String, Diagnostics> {
    convert_blocks(blocks, audience, cx, true, TextLang::default())
}

/// As [`blocks_to_typst_with_lines`], for a handout in `lang`: blocks of text in the other
/// direction are set in theirs, French text gets French spacing (see crate::bidi and
/// crate::typography).
pub fn blocks_to_typst_in(blocks: &[Block], audience: Audience, cx: &TypstContext, lang: TextLang) -> Result<String, Diagnostics> {
    convert_blocks(blocks, audience, cx, true, lang)
}

const LINE_MARK: &str = "/*dars:line ";

/// The Markdown line of the lesson at byte `offset` of markup made by
/// [`blocks_to_typst_with_lines`].
pub fn line_at(markup: &str, offset: usize) -> Option<usize> {
    let before = markup.get(..offset.min(markup.len()))?;
    let at = before.rfind(LINE_MARK)? + LINE_MARK.len();
    before[at..].split("*/").next()?.parse().ok()
}

fn convert_blocks(blocks: &[Block], audience: Audience, cx: &TypstContext, mark_lines: bool, lang: TextLang) -> Result<String, Diagnostics> {
    let mut out = String::new();
    let mut diags = Diagnostics::new();
    for block in blocks.iter().filter(|b| audience.shows(b.kind)) {
        let body = markdown_to_typst(block, cx, mark_lines, lang, &mut diags);
        match block.kind {
            BlockKind::Text => out.push_str(&body),
            BlockKind::Exercise => out.push_str(&format!("#exercise[{body}]{END}\n\n")),
            BlockKind::Solution => out.push_str(&format!("#solution[{body}]{END}\n\n")),
            BlockKind::Trainer => out.push_str(&format!("#trainer[{body}]{END}\n\n")),
            BlockKind::Write(n) => out.push_str(&format!("#write-lines({n}){END}\n\n")),
        }
    }
    diags.into_result(out)
}

/// Escapes text for Typst markup mode: a backslash before every character that can start
/// markup syntax (any character may be escaped this way). That covers what would be
/// syntax at the start of a line (`=`, `-`, `+`, `/`, `1.`), anywhere (`*`, `_`, `#`, `$`,
/// `<label>`, `@ref`, `//` comments, `~`, `...`, `--`, quotes) and inside a word
/// (`https://` would become a link).
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

/// An image being read: its path in the Typst world (none when it was refused) and its
/// alt text, which arrives as events until the image ends.
struct PendingImage {
    path: Option<String>,
    alt: String,
    /// Images inside the alt text still open.
    depth: usize,
}

struct Converter<'a, 'c> {
    out: String,
    cx: &'a TypstContext<'c>,
    code: Option<(String, String)>,
    image: Option<PendingImage>,
    /// A raw HTML block being read: its lines come as separate events, and a `<script>` or
    /// `<video>` must be read whole to leave out its inside.
    html_block: Option<String>,
    /// How many inline elements (emphasis, links, headings…) are open around the text.
    inline_depth: usize,
    /// The nesting cost of each open element, and their sum: see [`MAX_NESTING`].
    costs: Vec<usize>,
    nesting: usize,
    /// Whether nesting past the limit was reported (once per block is enough).
    too_deep: bool,
    lang: TextLang,
    /// For each open block of text (paragraph, heading, item, cell): whether it was set in
    /// the other direction (`#text(dir: …)[`), to be closed with it.
    dirs: Vec<bool>,
    /// Whether the last thing written was a word or the end of an element holding words,
    /// which French spacing takes as the word before a following `!` (see typography).
    after_word: bool,
    /// Links whose text is their address (`<https://…>`), which French spacing leaves alone.
    in_autolink: usize,
    /// The direction the block of text starting now must be set in, if not the page's.
    pending_dir: Option<Dir>,
    /// Lists (open, innermost last) whose items are tasks: they show a box, not a bullet.
    task_lists: Vec<bool>,
}

/// For each event that starts a block of text (paragraph, heading, list item, table cell)
/// whose first letter outside code is of the other direction than the page's, that
/// direction: the PDF's `dir="auto"` (see crate::bidi).
fn block_directions(events: &[(Event, std::ops::Range<usize>)], page: Dir) -> std::collections::HashMap<usize, Dir> {
    let mut found = std::collections::HashMap::new();
    // Open blocks: their first event, and whether their first letter was seen.
    let mut open: Vec<(usize, bool)> = Vec::new();
    let mut in_code = 0usize;
    for (i, (event, _)) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Paragraph | Tag::Heading { .. } | Tag::Item | Tag::TableCell | Tag::BlockQuote(_)) => open.push((i, false)),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableCell | TagEnd::BlockQuote(_)) => {
                open.pop();
            }
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            Event::Text(t) if in_code == 0 => {
                let Some(first) = crate::bidi::first_strong(t) else { continue };
                // The letter is the first of every open block that has none yet.
                for (start, seen) in open.iter_mut().filter(|(_, seen)| !*seen) {
                    *seen = true;
                    if first != page {
                        found.insert(*start, first);
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// Whether every item of the list starting at event `start` is a task (`- [ ] …`).
fn is_task_list(events: &[(Event, std::ops::Range<usize>)], start: usize) -> bool {
    let (mut depth, mut items, mut tasks) = (0usize, 0usize, 0usize);
    for (event, _) in &events[start..] {
        match event {
            Event::Start(Tag::List(_)) => depth += 1,
            Event::End(TagEnd::List(_)) => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Event::Start(Tag::Item) if depth == 1 => items += 1,
            Event::TaskListMarker(_) if depth == 1 => tasks += 1,
            _ => {}
        }
    }
    items > 0 && tasks == items
}

fn markdown_to_typst(block: &Block, cx: &TypstContext, mark_lines: bool, lang: TextLang, diags: &mut Diagnostics) -> String {
    let (text, first_line) = (block.text, block.line);
    // Exercise, solution and trainer boxes are a level of their own.
    let base = if block.kind == BlockKind::Text { 0 } else { 2 };
    let line_starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let mut c = Converter {
        out: String::new(),
        cx,
        code: None,
        image: None,
        html_block: None,
        inline_depth: 0,
        costs: Vec::new(),
        nesting: base,
        too_deep: false,
        lang,
        dirs: Vec::new(),
        after_word: false,
        in_autolink: 0,
        pending_dir: None,
        task_lists: Vec::new(),
    };
    let mut marked = 0;
    let mut events: Vec<(Event, std::ops::Range<usize>)> = Parser::new_ext(text, markdown_options()).into_offset_iter().collect();
    if block.kind == BlockKind::Trainer {
        crate::markdown::tips_as_paragraphs(&mut events);
    }
    // The direction each block of text must be set in, found before it is written.
    let block_dirs = block_directions(&events, lang.dir());
    let task_lists: std::collections::HashSet<usize> =
        events.iter().enumerate().filter(|(i, (e, _))| matches!(e, Event::Start(Tag::List(None))) && is_task_list(&events, *i)).map(|(i, _)| i).collect();
    for (i, (event, range)) in events.into_iter().enumerate() {
        c.pending_dir = block_dirs.get(&i).copied();
        if matches!(event, Event::Start(Tag::List(_))) {
            c.task_lists.push(task_lists.contains(&i));
        }
        let line = first_line + line_starts.partition_point(|&s| s <= range.start) - 1;
        // Between two events, never inside a string literal (code and images are buffered).
        if mark_lines && line != marked && c.code.is_none() && c.image.is_none() && c.html_block.is_none() {
            c.out.push_str(&format!("{LINE_MARK}{line}*/"));
            marked = line;
        }
        if let Err(m) = c.event(event) {
            diags.push(Diagnostic::error(cx.file, m).at(line, None));
        }
    }
    c.out
}

impl Converter<'_, '_> {
    fn event(&mut self, event: Event) -> Result<(), String> {
        if self.code.is_some() {
            self.code_event(event);
            return Ok(());
        }
        if self.image.is_some() {
            self.image_event(event);
            return Ok(());
        }
        let after_word = std::mem::replace(&mut self.after_word, false);
        match event {
            Event::Start(tag) => self.start(tag)?,
            Event::End(tag) => {
                self.after_word = matches!(tag, TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link);
                self.end(tag)
            }
            Event::Text(t) => {
                let text = if self.lang.french && self.in_autolink == 0 { crate::typography::french_spacing_after(&t, after_word) } else { t.to_string() };
                self.out.push_str(&escape_markup(&text));
                self.after_word = true;
            }
            // Inline code is an isolated left-to-right run in any paragraph (LRI … PDI), and
            // its Arabic strings are isolated in it (see crate::bidi).
            Event::Code(t) => {
                let code = crate::bidi::with_isolate_marks(&t, &crate::bidi::inline_code_isolates(&t), FSI);
                self.out.push(LRI);
                self.expr(&format!("raw({})", string_literal(&code)));
                self.out.push(PDI);
                self.after_word = true;
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => self.out.push_str(&escape_markup(&t)),
            Event::Html(t) if self.html_block.is_some() => self.html_block.get_or_insert_default().push_str(&t),
            Event::Html(t) | Event::InlineHtml(t) => self.html(&t),
            Event::FootnoteReference(name) => self.expr(&format!("super[{}]", escape_markup(&name))),
            Event::SoftBreak => self.out.push(' '),
            Event::HardBreak => self.expr("linebreak()"),
            Event::Rule => {
                self.expr("line(length: 100%)");
                self.out.push_str("\n\n");
            }
            Event::TaskListMarker(done) => self.out.push_str(if done { "☑ " } else { "☐ " }),
        }
        Ok(())
    }

    /// `#expr;`: an embedded expression the next character cannot continue.
    fn expr(&mut self, expr: &str) {
        self.out.push('#');
        self.out.push_str(expr);
        self.out.push_str(END);
    }

    /// Opens `#call[`: markup inside, closed by [`Self::close`].
    fn open(&mut self, call: &str) {
        self.out.push('#');
        self.out.push_str(call);
        self.out.push('[');
    }

    fn close(&mut self) {
        self.out.push(']');
        self.out.push_str(END);
    }

    /// Closes what a block of text in the other direction opened: `align(…)[text(dir: …)[`.
    fn close_dir(&mut self) {
        self.close();
        self.close();
    }

    /// Ends a call whose arguments are content blocks (`#list([a], [b], )`).
    fn close_args(&mut self) {
        self.out.push(')');
        self.out.push_str(END);
        self.out.push_str("\n\n");
    }

    /// A code block's text arrives as events until it ends.
    fn code_event(&mut self, event: Event) {
        match event {
            Event::Text(t) => {
                if let Some((_, buf)) = self.code.as_mut() {
                    buf.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                let (lang, code) = self.code.take().unwrap_or_default();
                let code = code.trim_end_matches('\n');
                // Each Arabic string and comment an isolated run (FSI … PDI): see crate::bidi.
                let code = crate::bidi::with_isolate_marks(code, &crate::highlight::code_isolates(code, &lang), FSI);
                let lang = highlighted(&lang).map_or("none".to_string(), string_literal);
                self.expr(&format!("raw(block: true, lang: {lang}, {})", string_literal(&code)));
                self.out.push_str("\n\n");
            }
            _ => {}
        }
    }

    /// An image's alt text arrives as events until its end; it is the description. Images
    /// and links inside it are only words.
    fn image_event(&mut self, event: Event) {
        let Some(image) = self.image.as_mut() else { return };
        match event {
            Event::Text(t) | Event::Code(t) => image.alt.push_str(&t),
            Event::SoftBreak | Event::HardBreak => image.alt.push(' '),
            Event::Start(Tag::Image { .. }) => image.depth += 1,
            Event::End(TagEnd::Image) if image.depth > 0 => image.depth -= 1,
            Event::End(TagEnd::Image) => {
                let image = self.image.take().expect("an image is open");
                if let Some(path) = image.path {
                    self.put_image(&path, &image.alt);
                }
            }
            _ => {}
        }
    }

    /// An image is a figure, a block of its own, unless it stands in emphasis, a link or a
    /// heading: a block there splits them, which typst 0.15's PDF tagging cannot follow
    /// (an internal error, or a panic). An inline box shows the same image; a zero-width
    /// space on each side lets the line break there, or text glued to the image would run
    /// off the page.
    fn put_image(&mut self, path: &str, alt: &str) {
        let image = format!("image({}, width: 80%, alt: {})", string_literal(path), string_literal(alt));
        if self.inline_depth > 0 {
            self.out.push(ZERO_WIDTH_SPACE);
            self.expr(&format!("box({image})"));
            self.out.push(ZERO_WIDTH_SPACE);
        } else {
            self.expr(&format!("figure({image})"));
        }
    }

    fn start(&mut self, tag: Tag) -> Result<(), String> {
        if is_inline_element(&tag) {
            self.inline_depth += 1;
        }
        // A block of text in the other direction than the page's is set in its own.
        let dir = if matches!(tag, Tag::Paragraph | Tag::Heading { .. } | Tag::Item | Tag::TableCell | Tag::BlockQuote(_)) {
            let dir = self.pending_dir.take();
            self.dirs.push(dir.is_some());
            dir
        } else {
            None
        };
        // Code blocks and images are leaves: `code_event` and `image_event` take their end.
        let nested = if matches!(tag, Tag::CodeBlock(_) | Tag::Image { .. }) { Ok(()) } else { self.nest(nesting_cost(&tag) + usize::from(dir.is_some())) };
        // Aligned too: a paragraph set in `text(dir: …)` may keep the page's alignment.
        let set_dir = |c: &mut Self| {
            if let Some(d) = dir {
                c.open(&format!("align({})", if d == Dir::Ltr { "left" } else { "right" }));
                c.open(&format!("text(dir: {})", d.as_str()));
            }
        };
        match tag {
            Tag::HtmlBlock => self.html_block = Some(String::new()),
            Tag::TableRow => {}
            Tag::Paragraph => set_dir(self),
            Tag::Heading { level, .. } => {
                set_dir(self);
                self.open(&format!("heading(level: {})", heading_level(level)))
            }
            // A quote's block is as wide as its lines: set where its direction puts it.
            Tag::BlockQuote(_) => {
                set_dir(self);
                self.open("quote(block: true)")
            }
            Tag::CodeBlock(kind) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or("").to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            // Items and cells are content arguments: `[…], `.
            Tag::List(Some(start)) => self.out.push_str(&format!("#enum(start: {start}, ")),
            // A list of tasks shows each item's box (☐, ☑) and no bullet beside it.
            Tag::List(None) if self.task_lists.last() == Some(&true) => self.out.push_str("#list(marker: none, "),
            Tag::List(None) => self.out.push_str("#list("),
            Tag::Item | Tag::TableCell => {
                self.out.push('[');
                set_dir(self);
            }
            Tag::FootnoteDefinition(name) => {
                self.open("text(size: 0.85em)");
                self.expr(&format!("super[{}]", escape_markup(&name)));
                self.out.push(' ');
            }
            Tag::Table(alignments) => self.out.push_str(&format!("#table(columns: {}, ", alignments.len().max(1))),
            Tag::TableHead => self.out.push_str("table.header("),
            Tag::Emphasis => self.open("emph"),
            Tag::Strong => self.open("strong"),
            Tag::Strikethrough => self.open("strike"),
            Tag::Link { dest_url, link_type, .. } => {
                if matches!(link_type, pulldown_cmark::LinkType::Autolink | pulldown_cmark::LinkType::Email) {
                    self.in_autolink += 1;
                }
                self.link(&dest_url)
            }
            Tag::Image { dest_url, .. } => {
                // Closed with the alt text when the image ends; see `image_event`.
                let path = (self.cx.image)(&dest_url);
                self.image = Some(PendingImage { path: path.as_ref().ok().cloned(), alt: String::new(), depth: 0 });
                path?;
            }
            Tag::MetadataBlock(_) | Tag::DefinitionList | Tag::DefinitionListTitle | Tag::DefinitionListDefinition | Tag::Superscript | Tag::Subscript => {
                self.open("")
            }
        }
        nested
    }

    /// Opens an element of nesting cost `cost`; too deep for typst is an authoring error,
    /// said once, at the element that goes past the limit (the markup is made all the same).
    fn nest(&mut self, cost: usize) -> Result<(), String> {
        self.costs.push(cost);
        self.nesting += cost;
        if self.nesting <= MAX_NESTING || self.too_deep {
            return Ok(());
        }
        self.too_deep = true;
        Err("quotes, lists, tables, links and emphasis are nested too deeply here for the PDF handout; flatten them".to_string())
    }

    fn link(&mut self, dest: &str) {
        if crate::render::links::is_external(dest) && dest.len() <= MAX_URL_BYTES {
            self.open(&format!("link({})", string_literal(dest)));
        } else {
            // Links between lessons have no target on paper, nor addresses too long for a
            // PDF (a `data:` URL): keep the words.
            self.open("");
        }
    }

    fn end(&mut self, tag: TagEnd) {
        if is_inline_element_end(tag) {
            self.inline_depth = self.inline_depth.saturating_sub(1);
        }
        self.nesting -= self.costs.pop().unwrap_or(0);
        let dir = matches!(tag, TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableCell | TagEnd::BlockQuote(_)) && self.dirs.pop().unwrap_or(false);
        match tag {
            TagEnd::Paragraph => {
                if dir {
                    self.close_dir();
                }
                self.out.push_str("\n\n")
            }
            TagEnd::Heading(_) => {
                self.close();
                if dir {
                    self.close_dir();
                }
                self.out.push_str("\n\n");
            }
            TagEnd::BlockQuote(_) => {
                self.close();
                if dir {
                    self.close_dir();
                }
                self.out.push_str("\n\n");
            }
            TagEnd::FootnoteDefinition => {
                self.close();
                self.out.push_str("\n\n");
            }
            TagEnd::HtmlBlock => {
                let html = self.html_block.take().unwrap_or_default();
                self.html(&html);
            }
            TagEnd::CodeBlock | TagEnd::TableRow | TagEnd::Image => {}
            TagEnd::List(_) => {
                self.task_lists.pop();
                self.close_args()
            }
            TagEnd::Table => self.close_args(),
            TagEnd::Item | TagEnd::TableCell => {
                if dir {
                    self.close_dir();
                }
                self.out.push_str("], ")
            }
            TagEnd::TableHead => self.out.push_str("), "),
            TagEnd::Link => {
                self.in_autolink = self.in_autolink.saturating_sub(1);
                self.close()
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => self.close(),
            TagEnd::MetadataBlock(_) | TagEnd::DefinitionList | TagEnd::DefinitionListTitle | TagEnd::DefinitionListDefinition | TagEnd::Superscript | TagEnd::Subscript => {
                self.close()
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

/// What an element adds to typst's nesting counter, rounded up from typst 0.15: a block quote
/// is a show rule, a pad and a block; a table, its cell's layouts; a list, its item's; a
/// link, its show rule and tag. Paragraphs, items and cells are counted with their parent.
fn nesting_cost(tag: &Tag) -> usize {
    match tag {
        Tag::Table(_) => 5,
        Tag::BlockQuote(_) => 4,
        Tag::List(_) | Tag::Link { .. } | Tag::FootnoteDefinition(_) => 2,
        Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Heading { .. } | Tag::Superscript | Tag::Subscript => 1,
        Tag::MetadataBlock(_) | Tag::DefinitionList | Tag::DefinitionListTitle | Tag::DefinitionListDefinition => 1,
        Tag::Paragraph | Tag::Item | Tag::TableHead | Tag::TableRow | Tag::TableCell | Tag::CodeBlock(_) | Tag::HtmlBlock | Tag::Image { .. } => 0,
    }
}

/// The language a code block is highlighted in on paper: none for the syntaxes that can
/// make typst loop ([`HANGING_SYNTAXES`]), found as typst finds them (any alias: `JS`, `htm`).
fn highlighted(lang: &str) -> Option<&str> {
    if lang.is_empty() {
        return None;
    }
    let syntax = typst::text::RAW_SYNTAXES.find_syntax_by_token(&lang.to_lowercase());
    match syntax {
        Some(s) if HANGING_SYNTAXES.contains(&s.name.as_str()) => None,
        _ => Some(lang),
    }
}

/// Elements whose content is a run of text, which a block must not split.
fn is_inline_element(tag: &Tag) -> bool {
    matches!(tag, Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. } | Tag::Heading { .. } | Tag::Superscript | Tag::Subscript)
}

fn is_inline_element_end(tag: TagEnd) -> bool {
    matches!(tag, TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link | TagEnd::Heading(_) | TagEnd::Superscript | TagEnd::Subscript)
}

/// The lesson title is the document's level-1 heading: lesson sections start at 2.
fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 | HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(md: &str) -> String {
        let image = |d: &str| Ok(format!("/media/{d}"));
        let cx = TypstContext { file: Path::new("x.md"), image: &image };
        let blocks = crate::markdown::split_blocks(md, 1, Path::new("x.md")).unwrap();
        let markup = blocks_to_typst(&blocks, Audience::Trainer, &cx).unwrap();
        let errors = typst::syntax::parse(&markup).errors_and_warnings().0;
        assert!(errors.is_empty(), "{md:?} → {markup}\n{errors:?}");
        // Bidi isolates (U+2066–U+2069) around runs change nothing these tests look at.
        markup.replace(['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'], "")
    }

    #[test]
    fn special_characters_are_escaped_and_code_is_a_string() {
        let t = convert("a #b *c* $d$ [e](https://x.org) `f\"g`\n\n```python\nprint(\"]\")\n```\n");
        assert!(t.contains("a \\#b #emph[c]; \\$d\\$"), "{t}");
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

    /// Each of these once stopped the PDF ("expected function, found content"): the
    /// character after a construct continued it as a call or field access.
    #[test]
    fn text_after_a_construct_stays_text() {
        for (md, expected) in [
            ("Appelez `alert`(1).", "Appelez #raw(\"alert\");(1)\\."),
            ("**gras**(x)", "#strong[gras];(x)"),
            ("*mot*(x)", "#emph[mot];(x)"),
            ("[x](https://a.b)(y)", "#link(\"https://a.b\")[x];(y)"),
            ("[x](autre.fr.md)(y)", "#[x];(y)"),
            ("~~non~~(1)", "#strike[non];(1)"),
            ("a\\\n(b)", "a#linebreak();(b)"),
            ("![un robot](robot.png)(b)", "#figure(image(\"/media/robot.png\", width: 80%, alt: \"un robot\"));(b)"),
            ("Appelez `alert`\\[1\\]", "#raw(\"alert\");\\[1\\]"),
            ("`alert`.length", "#raw(\"alert\");\\.length"),
        ] {
            let t = convert(md);
            assert!(t.contains(expected), "{md:?} → {t}");
        }
    }

    /// Typst takes one `;` after an embedded expression as its end: the author's own `;`
    /// comes after ours and is printed.
    #[test]
    fn a_semicolon_after_a_construct_is_kept() {
        assert!(convert("`f`; puis *g*;").contains("#raw(\"f\");; puis #emph[g];;"));
    }

    #[test]
    fn code_spans_keep_backslashes_quotes_hashes_and_arabic_punctuation() {
        let t = convert("`a\\b` `#x` `\"q\"` `،`، ``a`b``؛ `x`؟");
        for expected in ["#raw(\"a\\\\b\");", "#raw(\"#x\");", "#raw(\"\\\"q\\\"\");", "#raw(\"،\");،", "#raw(\"a`b\");؛", "#raw(\"x\");؟"] {
            assert!(t.contains(expected), "{expected} in {t}");
        }
    }

    #[test]
    fn nested_constructs_are_each_closed() {
        let t = convert("| **[*a*](https://x.org)**(b) | ![c](i.png)(d) |\n|---|---|\n");
        assert!(t.contains("[#strong[#link(\"https://x.org\")[#emph[a];];];(b)]"), "{t}");
        assert!(t.contains("#figure(image(\"/media/i.png\", width: 80%, alt: \"c\"));(d)"), "{t}");
        let t = convert("## *Titre* `x`(1) {#id}\n");
        assert!(t.contains("#heading(level: 2)[#emph[Titre]; #raw(\"x\");(1)];"), "{t}");
    }

    #[test]
    fn markup_at_the_start_of_a_line_is_escaped() {
        let t = convert("a\n\n= b\n\n\\- c\n\n\\+ d\n\n/ e: f\n\n1\\. g\n\n// h /* i\n\n\\<l\\> @r $m$ ~ 'n' \"o\" https://p.q ...\n");
        let errors = typst::syntax::parse(&t).errors_and_warnings().0;
        assert!(errors.is_empty(), "{errors:?}");
        for expected in ["\\= b", "\\- c", "\\+ d", "\\/ e\\: f", "1\\. g", "\\/\\/ h \\/\\* i", "\\<l\\> \\@r \\$m\\$ \\~ \\'n\\' \\\"o\\\" https\\:\\/\\/p\\.q \\.\\.\\."] {
            assert!(t.contains(expected), "{expected} in {t}");
        }
    }

    /// A figure inside emphasis or a link made typst's PDF tagging fail (an internal error,
    /// or a panic): there the image is an inline box.
    #[test]
    fn an_image_inside_emphasis_links_or_headings_is_a_box() {
        let t = convert("***![a](i.png) *'****]\n\n[~![b](i.png)c~](https://x.org)\n\n## ![c](i.png)\n\n![d](i.png) *e*\n");
        for expected in ["\u{200B}#box(image(\"/media/i.png\", width: 80%, alt: \"a\"));\u{200B}", "alt: \"b\"", "alt: \"c\"", "#figure(image(\"/media/i.png\", width: 80%, alt: \"d\"));"] {
            assert!(t.contains(expected), "{expected} in {t}");
        }
        assert_eq!(t.matches("#box(").count(), 3, "{t}");
    }

    #[test]
    fn an_image_inside_an_image_is_part_of_its_description() {
        let t = convert("![a ![b](x.png) c](y.png) d\n");
        assert!(t.contains("#figure(image(\"/media/y.png\", width: 80%, alt: \"a b c\")); d"), "{t}");
    }

    #[test]
    fn a_refused_image_is_an_error_on_its_line_and_its_description_is_not_text() {
        let image = |d: &str| Err(format!("image `{d}` not found"));
        let cx = TypstContext { file: Path::new("x.md"), image: &image };
        let blocks = crate::markdown::split_blocks("a\n\nb ![alt](absent.png)\n", 4, Path::new("x.md")).unwrap();
        let err = blocks_to_typst(&blocks, Audience::Trainer, &cx).unwrap_err();
        assert_eq!((err.0.len(), err.0[0].line), (1, Some(6)));
    }

    #[test]
    fn too_long_addresses_keep_their_words() {
        let url = format!("data:text/plain,{}", "a".repeat(MAX_URL_BYTES));
        let t = convert(&format!("[mot]({url})"));
        assert!(t.contains("#[mot];") && !t.contains("#link"), "{t}");
    }

    /// Sixteen quotes in one another are within dars's nesting limit, but not typst's
    /// ("maximum show rule depth exceeded", no line): an authoring error on the line, once.
    #[test]
    fn nesting_too_deep_for_typst_is_an_error_on_its_line() {
        let image = |d: &str| Ok(format!("/media/{d}"));
        let cx = TypstContext { file: Path::new("x.md"), image: &image };
        let md = format!("a\n\n{}*b*\n\n{}c\n", "> ".repeat(16), "> ".repeat(16));
        let blocks = crate::markdown::split_blocks(&md, 10, Path::new("x.md")).unwrap();
        let err = blocks_to_typst(&blocks, Audience::Trainer, &cx).unwrap_err();
        assert_eq!((err.0.len(), err.0[0].line), (1, Some(12)), "{err}");
        assert!(err.0[0].message.contains("nested too deeply"));
        // What typst can typeset passes, also in a trainer box.
        convert(&format!("{}*a **b ~~c [d](https://x.org)~~**", "> ".repeat(12)));
        convert(&format!("::: trainer\n{}- 1. *a*\n:::\n", "> ".repeat(10)));
    }

    /// Typst's JavaScript syntax, and those embedding it, loop forever on `x /*`: their
    /// code is printed without colours; other languages keep theirs.
    #[test]
    fn code_in_languages_typst_cannot_highlight_is_plain() {
        for lang in ["js", "JavaScript", "html", "htm", "md", "php", "vue"] {
            let t = convert(&format!("```{lang}\nx /*\n```\n"));
            assert!(t.contains("#raw(block: true, lang: none, \"x /*\");"), "{lang}: {t}");
        }
        for lang in ["python", "ts", "yaml", "c++"] {
            assert!(convert(&format!("```{lang}\nx\n```\n")).contains(&format!("lang: \"{lang}\"")), "{lang}");
        }
        assert!(convert("```\nx\n```\n").contains("lang: none"));
    }

    /// See crate::bidi and crate::typography: what an Arabic or French handout gets.
    #[test]
    fn isolates_block_directions_task_boxes_and_french_spacing() {
        let image = |d: &str| Ok(format!("/media/{d}"));
        let cx = TypstContext { file: Path::new("x.md"), image: &image };
        let typst = |md: &str, lang: TextLang| {
            let blocks = crate::markdown::split_blocks(md, 1, Path::new("x.md")).unwrap();
            let markup = blocks_to_typst_in(&blocks, Audience::Learner, &cx, lang).unwrap();
            assert!(typst::syntax::parse(&markup).errors_and_warnings().0.is_empty(), "{markup}");
            markup
        };
        let ar = typst(
            "الأمر `print(\"سلام\")` هنا.\n\nNameError: name 'Print'?\n\n```python\nprint(\"سلام\")  # تعليق\n```\n\n- [ ] مهمة\n- [x] أخرى\n",
            TextLang { rtl: true, french: false },
        );
        for expected in [
            // Inline code: a left-to-right isolate, its Arabic string isolated in it.
            "\u{2066}#raw(\"print(\\\"\u{2068}سلام\u{2069}\\\")\");\u{2069}",
            // A Latin paragraph on an Arabic page: left to right, on the left.
            "#align(left)[#text(dir: ltr)[NameError",
            // A code block: each Arabic string and comment isolated, quotes and # outside.
            "#raw(block: true, lang: \"python\", \"print(\\\"\u{2068}سلام\u{2069}\\\")  # \u{2068}تعليق\u{2069}\")",
            // Tasks show their box, no bullet.
            "#list(marker: none, [☐ مهمة]",
        ] {
            assert!(ar.contains(expected), "{expected:?} not in {ar}");
        }
        let fr = typst("Bravo ! Voici `a ?` et <https://x.org/?q=1>.\n\nMerci **beaucoup** !\n", TextLang { rtl: false, french: true });
        for expected in ["Bravo\u{202F}!", "#raw(\"a ?\");", "x\\.org\\/?q\\=1", "#strong[beaucoup];\u{202F}!"] {
            assert!(fr.contains(expected), "{expected:?} not in {fr}");
        }
        assert!(!fr.contains("#align"), "French text on a French page keeps the page's direction");
    }
}
