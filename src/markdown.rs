//! Lesson bodies: the `::: kind` blocks, and Markdown → HTML with heading ids, a table of
//! contents, highlighted code and resolved links.
//!
//! The same split into blocks feeds every output (site, learner and trainer handouts,
//! PDF), so what each audience sees is decided in one place: [`Audience::shows`].

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use pulldown_cmark::{Alignment, CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

use crate::error::{Diagnostic, Diagnostics};
use crate::highlight::{Highlight, escape_html};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Text,
    Trainer,
    Exercise,
    Solution,
    /// Ruled lines for learners to write on.
    Write(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    Learner,
    Trainer,
}

impl Audience {
    /// Whether this audience sees a block at all (the public page shows solutions closed).
    pub fn shows(self, kind: BlockKind) -> bool {
        match kind {
            BlockKind::Text | BlockKind::Exercise => true,
            BlockKind::Trainer => self == Audience::Trainer,
            BlockKind::Solution => self != Audience::Learner,
            BlockKind::Write(_) => self == Audience::Learner,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block<'a> {
    pub kind: BlockKind,
    pub text: &'a str,
    /// File line of the block's first text line.
    pub line: usize,
}

pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Splits a body into plain text and `::: kind` … `:::` blocks.
/// `first_line` is the file line on which `body` starts.
///
/// Blocks are found in CommonMark's own reading of the body (pulldown-cmark's), so a
/// `:::` inside a code block, raw HTML, a list item or a quote is never taken for a marker.
/// A marker is a line `::: kind` or `:::` (at most three spaces before it) that CommonMark
/// reads as a paragraph at the top level of the lesson once blank lines surround it: it
/// may sit right below or above text, a list, a quote, a table or raw HTML, which end
/// there as they would at a blank line (the lessons' style: markers right above and below
/// their content). [`Outline`] is made from the body with those blank lines added; the
/// blocks are slices of the body, and each reads alone as it reads there.
///
/// Any other line that starts with `:::` (after spaces) is said at its line: an error in
/// a list item, a footnote or indented text; in code or raw HTML, a warning of
/// [`render_blocks`], or an error when that code runs unclosed to the end of the lesson or
/// takes in `::: trainer` or `::: solution` (see [`verbatim_finding`]). After a quote's `>`
/// it is the quote's text.
pub fn split_blocks<'a>(body: &'a str, first_line: usize, file: &Path) -> Result<Vec<Block<'a>>, Diagnostics> {
    let lines = text_lines(body);
    let newlines: Vec<usize> = std::iter::once(0).chain(body.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let line_no = |offset: usize| first_line + newlines.partition_point(|&s| s <= offset) - 1;
    // The body with a blank line before and after every line that may be a marker.
    let mut spaced = String::with_capacity(body.len() + 64);
    let mut spaced_starts = Vec::with_capacity(lines.len());
    let mut looks = Vec::new(); // (line index, offset of its `:::` in `spaced`, may be a marker)
    for (i, l) in lines.iter().enumerate() {
        let text = &body[l.start..l.end];
        let look = marker_look(text);
        let isolate = matches!(look, Some((_, true)));
        if isolate {
            spaced.push('\n');
        }
        spaced_starts.push(spaced.len());
        if let Some((col, may_be_marker)) = look {
            looks.push((i, spaced.len() + col, may_be_marker));
        }
        if isolate {
            spaced.push_str(text);
            spaced.push_str("\n\n");
        } else {
            spaced.push_str(&body[l.start..l.next]);
        }
    }
    let spaced_line = |offset: usize| {
        let i = spaced_starts.partition_point(|&s| s <= offset).saturating_sub(1);
        lines.get(i).map_or(first_line, |l| line_no(l.start))
    };
    let events: Vec<(Event, Range<usize>)> = Parser::new_ext(&spaced, markdown_options()).into_offset_iter().collect();
    let outline = Outline::of(&events, &spaced);

    let mut blocks = Vec::new();
    let mut diags = Diagnostics::new();
    let mut open: Option<(BlockKind, usize, usize)> = None; // kind, byte start, opening line
    let mut text_start = 0;
    // The last `::: kind` line found inside code: why a later `:::` may close no block.
    let mut swallowed_opener: Option<(usize, &str, usize)> = None; // its line, inside what, opened where
    for &(i, at, may_be_marker) in &looks {
        let l = lines[i];
        let line = body[l.start..l.end].trim();
        let this_line = line_no(l.start);
        if !(may_be_marker && containing(&outline.paragraphs, at, |r| r).is_some()) {
            if let Some(v) = containing(&outline.verbatim, at, |v| &v.range) {
                if line[3..].trim().is_empty() {
                    continue;
                }
                let v = &outline.verbatim[v];
                let what = if v.kind == VerbatimKind::Html { "raw HTML block" } else { "code block" };
                swallowed_opener = Some((this_line, what, spaced_line(v.range.start)));
            } else {
                let place = match containing(&outline.tops, at, |t| &t.0).map(|t| outline.tops[t].1) {
                    Some(Top::List) => "inside a list item (indented under it)",
                    Some(Top::Quote) => "inside a block quote",
                    Some(Top::Footnote) => "inside a footnote",
                    Some(Top::Paragraph) => "indented by four spaces or a tab",
                    _ => "not at the top level of the lesson",
                };
                diags.push(
                    Diagnostic::error(
                        file,
                        format!("`{line}` is {place}, so it is not read as a block marker: blocks open and close with lines of their own at the top level of the lesson; start the line with `:::`"),
                    )
                    .at(this_line, None),
                );
            }
            continue;
        }
        let marker = line[3..].trim();
        match (&open, marker.is_empty()) {
            (None, true) => {
                let why = swallowed_opener
                    .map(|(opener, what, opened)| format!(" (the block marker on line {opener} is inside the {what} opened on line {opened})"))
                    .unwrap_or_default();
                diags.push(Diagnostic::error(file, format!("`:::` closes no block; remove it or open one with `::: trainer`{why}")).at(this_line, None));
            }
            (None, false) => match parse_kind(marker) {
                Ok(kind) => {
                    push_text(&mut blocks, &body[text_start..l.start], line_no(text_start));
                    open = Some((kind, l.next, this_line));
                }
                Err(m) => diags.push(Diagnostic::error(file, m).at(this_line, None)),
            },
            (Some((kind, start, opened)), true) => {
                if *kind == BlockKind::Solution && !matches!(blocks.last(), Some(Block { kind: BlockKind::Exercise, .. })) {
                    diags.push(Diagnostic::error(file, "`::: solution` must follow an `::: exercise` block").at(*opened, None));
                }
                blocks.push(Block { kind: *kind, text: &body[*start..l.start], line: line_no(*start) });
                open = None;
                text_start = l.next;
            }
            (Some((_, _, opened)), false) => diags.push(
                Diagnostic::error(file, format!("blocks cannot be nested: close the block opened on line {opened} with `:::` first")).at(this_line, None),
            ),
        }
    }
    // Code that runs unclosed to the end of the lesson and takes in a marker or a heading
    // would show the rest of the lesson, trainer blocks included, as code to everyone.
    let mut after = 0;
    for v in &outline.verbatim {
        if let Some(f) = verbatim_finding(&spaced, v, after, &spaced_line)
            && f.error
        {
            diags.push(Diagnostic::error(file, f.message).at(f.line, None));
        }
        if v.top {
            after = v.range.end;
        }
    }
    if let Some((_, _, opened)) = open {
        diags.push(Diagnostic::error(file, "block is not closed; add a line `:::` after its content").at(opened, None));
    } else {
        push_text(&mut blocks, &body[text_start..], line_no(text_start));
    }
    diags.into_result(blocks)
}

fn push_text<'a>(blocks: &mut Vec<Block<'a>>, text: &'a str, line: usize) {
    // Blank lines between blocks carry nothing.
    if !text.trim().is_empty() {
        blocks.push(Block { kind: BlockKind::Text, text, line });
    }
}

/// A line as CommonMark splits them (at `\n`, `\r\n` or `\r`): `start..end` without its
/// ending, `next` where the next line starts.
#[derive(Debug, Clone, Copy)]
struct TextLine {
    start: usize,
    end: usize,
    next: usize,
}

fn text_lines(text: &str) -> Vec<TextLine> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(TextLine { start, end: i, next: i + 1 });
                start = i + 1;
            }
            b'\r' => {
                let next = if bytes.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 };
                lines.push(TextLine { start, end: i, next });
                start = next;
                i = next - 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        lines.push(TextLine { start, end: bytes.len(), next: bytes.len() });
    }
    lines
}

/// Where a line that starts with `:::` (after spaces or tabs) has its `:::`, and whether
/// it may be a marker (at most three spaces before it, as any block may have). A `:::`
/// after a quote's `>` is the quote's text, as CommonMark reads it.
fn marker_look(line: &str) -> Option<(usize, bool)> {
    let rest = line.trim_start_matches([' ', '\t']);
    if !rest.starts_with(":::") {
        return None;
    }
    let col = line.len() - rest.len();
    Some((col, col <= 3 && line.as_bytes()[..col].iter().all(|&b| b == b' ')))
}

/// What a top-level element is, for saying where a `:::` line sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Top {
    Paragraph,
    List,
    Quote,
    Footnote,
    Other,
}

/// A code block or a raw HTML block: what it holds is shown as it is.
#[derive(Debug, Clone)]
struct Verbatim {
    range: Range<usize>,
    /// At the top level of the text (not in a list item or a quote).
    top: bool,
    kind: VerbatimKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VerbatimKind {
    /// Opened by `len` times `fence` (a backtick or a tilde); `markdown` when its language
    /// is Markdown, whose examples may well hold markers and headings.
    Fenced { fence: u8, len: usize, markdown: bool },
    Indented,
    Html,
}

/// What of a text's block structure splitting it into blocks needs, in text order.
struct Outline {
    /// Paragraphs at the top level.
    paragraphs: Vec<Range<usize>>,
    /// Every element at the top level.
    tops: Vec<(Range<usize>, Top)>,
    /// Code blocks and raw HTML blocks, at any depth (they never hold one another).
    verbatim: Vec<Verbatim>,
}

impl Outline {
    fn of(events: &[(Event, Range<usize>)], text: &str) -> Outline {
        let mut outline = Outline { paragraphs: Vec::new(), tops: Vec::new(), verbatim: Vec::new() };
        let mut depth = 0usize;
        for (event, range) in events {
            match event {
                Event::Start(tag) => {
                    if depth == 0 {
                        let top = match tag {
                            Tag::Paragraph => Top::Paragraph,
                            Tag::List(_) => Top::List,
                            Tag::BlockQuote(_) => Top::Quote,
                            Tag::FootnoteDefinition(_) => Top::Footnote,
                            _ => Top::Other,
                        };
                        if top == Top::Paragraph {
                            outline.paragraphs.push(range.clone());
                        }
                        outline.tops.push((range.clone(), top));
                    }
                    let kind = match tag {
                        Tag::CodeBlock(CodeBlockKind::Fenced(info)) => {
                            let opening = text[range.start..].trim_start_matches([' ', '\t']).as_bytes();
                            let fence = opening.first().copied().unwrap_or(b'`');
                            let len = opening.iter().take_while(|&&b| b == fence).count();
                            let lang = info.split_whitespace().next().unwrap_or("");
                            Some(VerbatimKind::Fenced { fence, len, markdown: lang.eq_ignore_ascii_case("markdown") || lang.eq_ignore_ascii_case("md") })
                        }
                        Tag::CodeBlock(CodeBlockKind::Indented) => Some(VerbatimKind::Indented),
                        Tag::HtmlBlock => Some(VerbatimKind::Html),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        outline.verbatim.push(Verbatim { range: range.clone(), top: depth == 0, kind });
                    }
                    depth += 1;
                }
                Event::End(_) => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        outline
    }
}

/// The index of the element of `items` (in text order, none inside another) holding `offset`.
fn containing<T>(items: &[T], offset: usize, range: impl Fn(&T) -> &Range<usize>) -> Option<usize> {
    let i = items.partition_point(|x| range(x).start <= offset);
    (i > 0 && range(&items[i - 1]).contains(&offset)).then(|| i - 1)
}

/// Something said about a code block or raw HTML block.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Finding {
    error: bool,
    line: usize,
    message: String,
}

/// What to say of the code block or raw HTML block `v` of `text`, if anything.
///
/// It may take in lines that were hardly meant as its content: a line that looks like a
/// block marker, and in a fenced code block at the top level a `##` heading or a new fence
/// with an info string (a ```markdown block shows Markdown: markers and headings are
/// expected there). It is an error when it runs unclosed to the end of the lesson taking
/// in a marker or a heading (the rest of the lesson would be shown as code), and when code
/// or raw HTML takes in `::: trainer` or `::: solution` (text hidden from some readers
/// would be shown to all); otherwise a warning, also for code that runs unclosed to the
/// end. Other lines in an HTML comment that ends are left alone: it shows nothing.
///
/// Said at the line where it opened, or at the usual cause of a run-away fence when there
/// is one between `after` and it: a ``` line whose info string holds a backtick, which
/// CommonMark does not take for a fence.
fn verbatim_finding(text: &str, v: &Verbatim, after: usize, line_of: &dyn Fn(usize) -> usize) -> Option<Finding> {
    let src = &text[v.range.clone()];
    let lines = text_lines(src);
    let html_end = if v.kind == VerbatimKind::Html { html_block_end(src) } else { None };
    let closed = match v.kind {
        VerbatimKind::Fenced { fence, len, .. } => {
            let last = lines.iter().rposition(|l| !src[l.start..l.end].trim().is_empty());
            last.is_some_and(|i| i > 0 && closes_fence(&src[lines[i].start..lines[i].end], fence, len))
        }
        VerbatimKind::Indented => true,
        VerbatimKind::Html => html_end.is_none_or(|end| src.contains(end)),
    };
    let unclosed = v.top && !closed && text[v.range.end..].trim().is_empty();
    let fenced_top = v.top && matches!(v.kind, VerbatimKind::Fenced { .. });
    let markdown = matches!(v.kind, VerbatimKind::Fenced { markdown: true, .. });
    // A comment shows nothing (though it is sent with the page).
    let comment = html_end == Some("-->");
    // The first line that looks like a marker or a heading, like a fence, like a marker
    // of a block some readers do not see.
    let (mut strong, mut weak, mut hidden) = (None, None, None);
    for l in lines.iter().skip(usize::from(matches!(v.kind, VerbatimKind::Fenced { .. }))) {
        let line = &src[l.start..l.end];
        let at = v.range.start + l.start;
        if let Some((col, _)) = marker_look(line) {
            if hidden.is_none() && matches!(parse_kind(line[col + 3..].trim()), Ok(BlockKind::Trainer | BlockKind::Solution)) {
                hidden = Some((at, format!("`{}`", line.trim())));
            }
            strong.get_or_insert_with(|| (at, format!("`{}`", line.trim())));
        } else if fenced_top && looks_like_heading(line) {
            strong.get_or_insert_with(|| (at, format!("the heading `{}`", line.trim())));
        } else if fenced_top && weak.is_none() && opens_fence_like(line, v.kind) {
            weak = Some((at, format!("`{}`, which looks like the start of another code block", line.trim())));
        }
    }
    let hidden = hidden.filter(|_| !markdown);
    let error = (unclosed && strong.is_some()) || hidden.is_some();
    if comment && !error {
        return None;
    }
    let took = hidden.clone().or(if markdown && !unclosed { None } else { strong }).or(weak);
    if !error && !unclosed && took.is_none() {
        return None;
    }
    let opened = line_of(v.range.start);
    let took = took.map(|(at, what)| format!("{what} on line {}", line_of(at)));
    let (name, close_with) = match (v.kind, html_end) {
        (VerbatimKind::Fenced { fence, len, .. }, _) => ("code block", format!("a line {}", (fence as char).to_string().repeat(len))),
        (VerbatimKind::Html, Some(end)) => ("raw HTML block", format!("`{end}`")),
        _ => ("code block", String::new()),
    };
    let runs = match (&took, unclosed) {
        (Some(took), true) => format!("runs to the end of the lesson and takes in {took}"),
        (None, _) => "runs to the end of the lesson".to_string(),
        (Some(took), false) => format!("takes in {took}"),
    };
    let shown = if hidden.is_some() { ", so a block not everyone may see would be sent to everyone" } else { "" };
    let cause = match v.kind {
        VerbatimKind::Fenced { fence: b'`', .. } if v.top => {
            let before = &text[after.min(v.range.start)..v.range.start];
            text_lines(before).iter().rev().find(|l| backtick_in_info(&before[l.start..l.end])).map(|l| after + l.start)
        }
        _ => None,
    };
    let message = match cause {
        Some(_) => format!(
            "this line does not open a code block: the info string of a ``` fence cannot contain a backtick, so the ``` on line {opened} opens one instead, which {runs}{shown}; remove the backtick from the info string, or fence the code with ~~~"
        ),
        None if unclosed => format!("{name} is not closed: it {runs}; close it with {close_with}"),
        None => format!("the {name} opened on this line {runs}{shown}; if that line was meant as Markdown, close the {name} before it"),
    };
    Some(Finding { error, line: cause.map_or(opened, line_of), message })
}

/// Whether `line` closes a fenced code block opened with `len` times `fence`: the same
/// character, at least as many, nothing after but spaces (after the indent or `>` of the
/// list item or quote it is in).
fn closes_fence(line: &str, fence: u8, len: usize) -> bool {
    let t = line.trim_start_matches([' ', '\t', '>']).trim_end();
    t.len() >= len && t.bytes().all(|b| b == fence)
}

/// A line that would open a code block with an info string, of the kind of `open` and at
/// least as long (so it cannot be an example inside it: it takes in code meant as another
/// block).
fn opens_fence_like(line: &str, open: VerbatimKind) -> bool {
    let VerbatimKind::Fenced { fence, len, .. } = open else { return false };
    let t = line.trim_start_matches(' ');
    let n = t.bytes().take_while(|&b| b == fence).count();
    line.len() - t.len() <= 3 && n >= len && !t[n..].trim().is_empty() && !(fence == b'`' && t[n..].contains('`'))
}

/// A `##` to `######` heading line (a single `#` line is left out: it is a comment in
/// Python and shell code).
fn looks_like_heading(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    let n = t.bytes().take_while(|&b| b == b'#').count();
    line.len() - t.len() <= 3 && (2..=6).contains(&n) && t[n..].starts_with(' ') && !t[n..].trim().is_empty()
}

/// A line that looks like a ``` fence but holds a backtick in its info string, which
/// CommonMark reads as text (and not as a code span: no run of as many backticks ends it).
fn backtick_in_info(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    let n = t.bytes().take_while(|&b| b == b'`').count();
    if line.len() - t.len() > 3 || n < 3 {
        return false;
    }
    let info = &t[n..];
    info.contains('`') && !info.split(|c| c != '`').any(|run| run.len() == n)
}

/// For a raw HTML block that ends at a given text rather than at a blank line (`<pre>`,
/// `<script>`, `<style>`, `<textarea>`, comments, `<?`, `<!X`, CDATA): that text, as
/// pulldown-cmark looks for it (the end tag of the same element, case-sensitively).
fn html_block_end(block: &str) -> Option<&'static str> {
    let t = block.trim_start_matches(' ').strip_prefix('<')?.as_bytes();
    for (tag, end) in [("pre", "</pre>"), ("style", "</style>"), ("script", "</script>"), ("textarea", "</textarea>")] {
        if t.len() >= tag.len() && t[..tag.len()].eq_ignore_ascii_case(tag.as_bytes()) && t.get(tag.len()).is_none_or(|&b| b == b'>' || b.is_ascii_whitespace()) {
            return Some(end);
        }
    }
    for (start, end) in [("!--", "-->"), ("?", "?>"), ("![CDATA[", "]]>")] {
        if t.starts_with(start.as_bytes()) {
            return Some(end);
        }
    }
    (t.len() > 1 && t[0] == b'!' && t[1].is_ascii_alphabetic()).then_some(">")
}

fn parse_kind(marker: &str) -> Result<BlockKind, String> {
    let mut words = marker.split_whitespace();
    let kind = words.next().unwrap_or("");
    let arg = words.next();
    match (kind, arg) {
        ("trainer", None) => Ok(BlockKind::Trainer),
        ("exercise", None) => Ok(BlockKind::Exercise),
        ("solution", None) => Ok(BlockKind::Solution),
        ("write", None) => Ok(BlockKind::Write(3)),
        ("write", Some(n)) => match n.parse::<u32>() {
            Ok(n) if (1..=40).contains(&n) => Ok(BlockKind::Write(n)),
            _ => Err(format!("`::: write {n}`: the number of lines must be between 1 and 40")),
        },
        _ => Err(format!("unknown block `::: {marker}`; use trainer, exercise, solution or write N")),
    }
}

/// A heading in the table of contents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TocEntry {
    pub level: u32,
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Default)]
pub struct RenderedHtml {
    pub html: String,
    pub toc: Vec<TocEntry>,
    /// Every id on the page, for anchor checks.
    pub ids: HashSet<String>,
    /// Links and images that stay inside the site, as written, with their line.
    pub links: Vec<(usize, String)>,
    /// What the raw HTML holds that `dars check` tells of, with its line: see [`crate::rawhtml`].
    pub raw_html: Vec<(usize, crate::rawhtml::Finding)>,
}

/// Labels the HTML of blocks needs, in the page's language.
pub struct BlockLabels<'a> {
    pub exercise: &'a str,
    pub solution: &'a str,
    pub trainer: &'a str,
}

pub struct HtmlContext<'a> {
    pub file: &'a Path,
    pub highlighter: &'a dyn Highlight,
    /// Maps a link or image destination to its address in the output, or says what is wrong.
    pub resolve: &'a dyn Fn(&str) -> Result<String, String>,
    /// Says what is wrong with an image (unreadable, too many pixels), if anything.
    pub check_image: &'a dyn Fn(&str) -> Result<(), String>,
    /// Lists and block quotes nested deeper than this are refused.
    pub max_depth: usize,
    pub labels: BlockLabels<'a>,
}

/// Renders the blocks `audience` sees into one HTML fragment.
pub fn render_html(blocks: &[Block], audience: Audience, ctx: &HtmlContext) -> Result<RenderedHtml, Diagnostics> {
    render_html_in(blocks, audience, ctx, crate::bidi::TextLang::default())
}

/// As [`render_html`], for a page in `lang` (French text gets French spacing).
pub fn render_html_in(blocks: &[Block], audience: Audience, ctx: &HtmlContext, lang: crate::bidi::TextLang) -> Result<RenderedHtml, Diagnostics> {
    Ok(assemble(&render_blocks_in(blocks, ctx, lang)?, audience, &ctx.labels))
}

/// One block rendered, whoever will see it.
#[derive(Debug, Clone)]
pub struct RenderedBlock {
    pub kind: BlockKind,
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub ids: HashSet<String>,
    pub links: Vec<(usize, String)>,
    pub raw_html: Vec<(usize, crate::rawhtml::Finding)>,
    /// What is probably a mistake, for `dars check` and the build to tell: code that takes
    /// in a line that looks like a block marker or a heading, a heading id shown as text.
    pub warnings: Vec<Diagnostic>,
}

/// Renders every block once; each audience's page is then put together from them
/// without parsing or highlighting again. Heading ids are unique across all blocks.
pub fn render_blocks(blocks: &[Block], ctx: &HtmlContext) -> Result<Vec<RenderedBlock>, Diagnostics> {
    render_blocks_in(blocks, ctx, crate::bidi::TextLang::default())
}

/// As [`render_blocks`], for a page in `lang`: French text gets French spacing (see
/// crate::typography), never code, addresses or attributes.
pub fn render_blocks_in(blocks: &[Block], ctx: &HtmlContext, lang: crate::bidi::TextLang) -> Result<Vec<RenderedBlock>, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(blocks.len());
    for block in blocks {
        let mut one = RenderedHtml { ids: std::mem::take(&mut seen), ..RenderedHtml::default() };
        let before: HashSet<String> = one.ids.clone();
        let mut found = Diagnostics::new();
        render_markdown(block, ctx, lang, &mut one, &mut found);
        let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = found.0.into_iter().partition(Diagnostic::is_error);
        diags.0.extend(errors);
        let ids = one.ids.difference(&before).cloned().collect();
        seen = one.ids;
        out.push(RenderedBlock { kind: block.kind, html: one.html, toc: one.toc, ids, links: one.links, raw_html: one.raw_html, warnings });
    }
    diags.into_result(out)
}

/// The page body `audience` sees, from blocks rendered once.
pub fn assemble(blocks: &[RenderedBlock], audience: Audience, labels: &BlockLabels) -> RenderedHtml {
    let mut out = RenderedHtml::default();
    for block in blocks.iter().filter(|b| audience.shows(b.kind)) {
        let (open, close) = block_wrapper(block.kind, audience, labels);
        out.html.push_str(&open);
        out.html.push_str(&block.html);
        out.html.push_str(&close);
        out.toc.extend(block.toc.iter().cloned());
        out.ids.extend(block.ids.iter().cloned());
        out.links.extend(block.links.iter().cloned());
        out.raw_html.extend(block.raw_html.iter().cloned());
    }
    out
}

fn block_wrapper(kind: BlockKind, audience: Audience, labels: &BlockLabels) -> (String, String) {
    let titled = |class: &str, label: &str| {
        (format!("<aside class=\"block {class}\">\n<p class=\"block-label\">{}</p>\n", escape_html(label)), "</aside>\n".to_string())
    };
    match kind {
        BlockKind::Text => (String::new(), String::new()),
        BlockKind::Exercise => titled("exercise", labels.exercise),
        BlockKind::Trainer => titled("trainer", labels.trainer),
        BlockKind::Solution if audience == Audience::Public => (
            format!("<details class=\"block solution\">\n<summary>{}</summary>\n", escape_html(labels.solution)),
            "</details>\n".to_string(),
        ),
        BlockKind::Solution => titled("solution", labels.solution),
        BlockKind::Write(n) => (
            format!("<div class=\"block write\" aria-hidden=\"true\">{}", "<div class=\"write-line\"></div>".repeat(n as usize)),
            "</div>\n".to_string(),
        ),
    }
}

fn render_markdown(block: &Block, ctx: &HtmlContext, lang: crate::bidi::TextLang, out: &mut RenderedHtml, diags: &mut Diagnostics) {
    let line_starts: Vec<usize> = std::iter::once(0).chain(block.text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let line_of = |offset: usize| block.line + line_starts.partition_point(|&s| s <= offset) - 1;
    let mut events: Vec<(Event, std::ops::Range<usize>)> = Parser::new_ext(block.text, markdown_options()).into_offset_iter().collect();
    if block.kind == BlockKind::Trainer {
        tips_as_paragraphs(&mut events);
    }
    if let Some(offset) = too_deep(&events, ctx.max_depth) {
        let message = format!(
            "lists or quotes are nested more than {} deep here; flatten them. {}",
            ctx.max_depth,
            crate::limits::Limits::how_to_raise("nesting_depth", ctx.max_depth)
        );
        diags.push(Diagnostic::error(ctx.file, message).at(line_of(offset), None));
        return;
    }
    let mut after = 0;
    for v in &Outline::of(&events, block.text).verbatim {
        if let Some(f) = verbatim_finding(block.text, v, after, &line_of) {
            let d = if f.error { Diagnostic::error(ctx.file, f.message) } else { Diagnostic::warning(ctx.file, f.message) };
            diags.push(d.at(f.line, None));
        }
        if v.top {
            after = v.range.end;
        }
    }
    // Latin text glued to brackets or operators in right-to-left text (see crate::bidi).
    if crate::bidi::has_rtl(block.text) {
        for (line, snippet) in crate::bidi::glued_latin_in_markdown(block.text, block.line) {
            diags.push(Diagnostic::warning(ctx.file, crate::bidi::glued_latin_message(&snippet)).at(line, None));
        }
    }
    let mut html_events: Vec<Event> = Vec::with_capacity(events.len());
    let mut table = Table { alignments: Vec::new(), head: false, cell: 0 };
    // French spacing: whether a word came just before (text after emphasis takes the
    // space before its `!`), and what holds text that is not prose (an image's
    // description, which becomes its alt attribute; an address shown as its own link).
    let mut after_word = false;
    let (mut in_image, mut in_autolink) = (0usize, 0usize);
    let mut i = 0;
    while i < events.len() {
        let (event, range) = &events[i];
        let word_before = std::mem::replace(&mut after_word, matches!(event, Event::Code(_) | Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link)));
        match event {
            Event::Start(Tag::Image { .. }) => in_image += 1,
            Event::End(TagEnd::Image) => in_image = in_image.saturating_sub(1),
            Event::Start(Tag::Link { link_type: LinkType::Autolink | LinkType::Email, .. }) => in_autolink += 1,
            Event::End(TagEnd::Link) => in_autolink = in_autolink.saturating_sub(1),
            _ => {}
        }
        match event {
            Event::Text(t) if lang.french && in_image == 0 && in_autolink == 0 => {
                html_events.push(Event::Text(CowStr::from(crate::typography::french_spacing_after(t, word_before))));
                after_word = true;
            }
            Event::Start(Tag::Heading { level, id, classes, attrs }) => {
                let end = find_end(&events, i);
                let title = plain_text(&events[i + 1..end]);
                // `## Title {#my-id}`: pulldown-cmark takes the id out of the text.
                let explicit = id.as_deref().filter(|id| !id.is_empty());
                let wanted = explicit.map_or_else(|| heading_id(&title), str::to_string);
                let id = unique_id(wanted.clone(), &mut out.ids);
                let line = line_of(range.start);
                if explicit.is_some() && id != wanted {
                    let message = format!("the id `{wanted}` is already taken by an earlier heading of this lesson, so this heading gets `{id}`; choose another id");
                    diags.push(Diagnostic::warning(ctx.file, message).at(line, None));
                }
                if let Some(attrs) = shown_attributes(&title) {
                    let message = format!(
                        "`{attrs}` is shown as part of this heading: an id must end the heading line and come once (`## Title {{#my-id}}`, no closing `#`s after it)"
                    );
                    diags.push(Diagnostic::warning(ctx.file, message).at(line, None));
                }
                let level_n = heading_number(*level);
                if level_n <= 3 {
                    out.toc.push(TocEntry { level: level_n, id: id.clone(), title: shown_text(&events[i + 1..end], lang.french) });
                }
                let mut attrs = attrs.clone();
                if has_letters(&events[i + 1..end]) {
                    attrs.push((CowStr::from("dir"), Some(CowStr::from("auto"))));
                }
                html_events.push(Event::Start(Tag::Heading { level: *level, id: Some(CowStr::from(id)), classes: classes.clone(), attrs }));
            }
            // Each block of text takes the direction of its first letter (see crate::bidi);
            // one without letters (a number, only code) keeps the page's.
            Event::Start(Tag::Paragraph | Tag::Item | Tag::BlockQuote(_)) => {
                let dir = if has_letters(&events[i + 1..find_end(&events, i)]) { " dir=\"auto\"" } else { "" };
                // As pulldown-cmark writes them: a block inside an item on a line of its own.
                let nl = if matches!(html_events.last(), Some(Event::Html(h)) if h.starts_with("<li")) { "\n" } else { "" };
                let open = match event {
                    Event::Start(Tag::Paragraph) => format!("{nl}<p{dir}>"),
                    Event::Start(Tag::Item) => format!("<li{dir}>"),
                    _ => format!("{nl}<blockquote{dir}>\n"),
                };
                html_events.push(Event::Html(CowStr::from(open)));
            }
            Event::End(TagEnd::Paragraph) => html_events.push(Event::Html(CowStr::from("</p>\n"))),
            Event::End(TagEnd::Item) => html_events.push(Event::Html(CowStr::from("</li>\n"))),
            Event::End(TagEnd::BlockQuote(_)) => html_events.push(Event::Html(CowStr::from("</blockquote>\n"))),
            Event::Start(Tag::TableHead) => {
                table.head = true;
                table.cell = 0;
                html_events.push(event.clone());
            }
            Event::End(TagEnd::TableHead) => {
                table.head = false;
                html_events.push(event.clone());
            }
            Event::Start(Tag::TableRow) => {
                table.cell = 0;
                html_events.push(event.clone());
            }
            Event::Start(Tag::TableCell) => {
                let dir = if has_letters(&events[i + 1..find_end(&events, i)]) { " dir=\"auto\"" } else { "" };
                let align = match table.alignments.get(table.cell) {
                    Some(Alignment::Left) => " style=\"text-align: left\"",
                    Some(Alignment::Center) => " style=\"text-align: center\"",
                    Some(Alignment::Right) => " style=\"text-align: right\"",
                    _ => "",
                };
                table.cell += 1;
                html_events.push(Event::Html(CowStr::from(format!("<{}{dir}{align}>", table.tag()))));
            }
            Event::End(TagEnd::TableCell) => html_events.push(Event::Html(CowStr::from(format!("</{}>", table.tag())))),
            Event::Start(Tag::CodeBlock(kind)) => {
                let end = find_end(&events, i);
                let code: String = events[i + 1..end].iter().filter_map(|(e, _)| if let Event::Text(t) = e { Some(t.as_ref()) } else { None }).collect();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or("").to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                html_events.push(Event::Html(CowStr::from(code_block_html(&code, &lang, ctx.highlighter))));
                i = end + 1;
                continue;
            }
            // Inline code is an isolated left-to-right run; its Arabic strings are isolated in it.
            Event::Code(code) => {
                let inside = crate::bidi::html_with_bdi(code, &crate::bidi::inline_code_isolates(code));
                html_events.push(Event::Html(CowStr::from(format!("<code dir=\"ltr\">{inside}</code>"))));
            }
            // `<contact@example.org>`: pulldown-cmark writes the `mailto:` itself.
            Event::Start(Tag::Link { link_type: LinkType::Email, .. }) => html_events.push(event.clone()),
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                if !crate::render::links::is_external(dest_url) {
                    out.links.push((line_of(range.start), dest_url.to_string()));
                }
                let dest = resolve_or_report(dest_url, ctx, line_of(range.start), diags);
                html_events.push(Event::Start(Tag::Link { link_type: *link_type, dest_url: CowStr::from(dest), title: title.clone(), id: id.clone() }));
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                if !crate::render::links::is_external(dest_url) {
                    out.links.push((line_of(range.start), dest_url.to_string()));
                }
                if let Err(message) = (ctx.check_image)(dest_url) {
                    diags.push(Diagnostic::error(ctx.file, message).at(line_of(range.start), None));
                }
                let dest = resolve_or_report(dest_url, ctx, line_of(range.start), diags);
                html_events.push(Event::Start(Tag::Image { link_type: *link_type, dest_url: CowStr::from(dest), title: title.clone(), id: id.clone() }));
            }
            Event::Html(raw) | Event::InlineHtml(raw) => {
                out.raw_html.extend(crate::rawhtml::findings(raw).into_iter().map(|f| (line_of(range.start), f)));
                html_events.push(event.clone());
            }
            Event::Start(Tag::Table(alignments)) => {
                table = Table { alignments: alignments.clone(), head: false, cell: 0 };
                html_events.push(Event::Html(CowStr::from("<div class=\"table-wrap\">")));
                html_events.push(event.clone());
            }
            Event::End(TagEnd::Table) => {
                html_events.push(event.clone());
                html_events.push(Event::Html(CowStr::from("</div>")));
            }
            _ => html_events.push(event.clone()),
        }
        i += 1;
    }
    pulldown_cmark::html::push_html(&mut out.html, html_events.into_iter());
}

fn resolve_or_report(dest: &str, ctx: &HtmlContext, line: usize, diags: &mut Diagnostics) -> String {
    match (ctx.resolve)(dest) {
        Ok(url) => url,
        Err(message) => {
            diags.push(Diagnostic::error(ctx.file, message).at(line, None));
            dest.to_string()
        }
    }
}

pub fn code_block_html(code: &str, lang: &str, highlighter: &dyn Highlight) -> String {
    let class = if lang.is_empty() { String::new() } else { format!(" class=\"language-{}\"", escape_html(lang)) };
    format!("<pre class=\"code\" dir=\"ltr\"><code{class}>{}</code></pre>\n", highlighter.highlight(code, lang))
}

/// Where lists and block quotes first nest deeper than `max`, or any element deeper than
/// four times that (emphasis in links in emphasis…): the typesetting of such a lesson
/// grows far faster than its size.
/// Trainers write their tips one a line (three tips in a `::: trainer` block are three
/// lines), which Markdown runs together into one paragraph. In a trainer block, a line break
/// in a paragraph that stands on its own (not in a list, a quote, a table or emphasis)
/// starts a new paragraph instead, for every renderer.
pub fn tips_as_paragraphs(events: &mut Vec<(Event, std::ops::Range<usize>)>) {
    let mut open = 0usize;
    let mut at_top = false;
    let mut out = Vec::with_capacity(events.len());
    for (event, range) in events.drain(..) {
        match &event {
            Event::Start(tag) => {
                if open == 0 {
                    at_top = matches!(tag, Tag::Paragraph);
                }
                open += 1;
            }
            Event::End(_) => {
                open = open.saturating_sub(1);
                at_top = at_top && open > 0;
            }
            Event::SoftBreak if at_top && open == 1 => {
                out.push((Event::End(TagEnd::Paragraph), range.clone()));
                out.push((Event::Start(Tag::Paragraph), range));
                continue;
            }
            _ => {}
        }
        out.push((event, range));
    }
    *events = out;
}

fn too_deep<T>(events: &[(Event, std::ops::Range<T>)], max: usize) -> Option<T>
where
    T: Copy,
{
    let (mut containers, mut all) = (0usize, 0usize);
    for (e, range) in events {
        match e {
            Event::Start(tag) => {
                all += 1;
                containers += usize::from(matches!(tag, Tag::List(_) | Tag::BlockQuote(_)));
                if containers > max || all > 4 * max {
                    return Some(range.start);
                }
            }
            Event::End(tag) => {
                all = all.saturating_sub(1);
                containers = containers.saturating_sub(usize::from(matches!(tag, TagEnd::List(_) | TagEnd::BlockQuote(_))));
            }
            _ => {}
        }
    }
    None
}

/// Index of the event that closes the one opened at `start`.
fn find_end<T>(events: &[(Event, T)], start: usize) -> usize {
    let mut depth = 0usize;
    for (j, (e, _)) in events.iter().enumerate().skip(start) {
        match e {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    events.len().saturating_sub(1)
}

/// The table being written: its cells are written here (pulldown-cmark's writer gives
/// them no attributes), as it would write them.
struct Table {
    alignments: Vec<Alignment>,
    head: bool,
    /// The cell's place in its row.
    cell: usize,
}

impl Table {
    fn tag(&self) -> &'static str {
        if self.head { "th" } else { "td" }
    }
}

/// Whether the text of these events (outside code) has a letter, which gives its block a
/// direction of its own (`dir="auto"`).
fn has_letters<T>(events: &[(Event, T)]) -> bool {
    let mut in_code = 0usize;
    events.iter().any(|(e, _)| match e {
        Event::Start(Tag::CodeBlock(_)) => {
            in_code += 1;
            false
        }
        Event::End(TagEnd::CodeBlock) => {
            in_code = in_code.saturating_sub(1);
            false
        }
        Event::Text(t) if in_code == 0 => t.chars().any(char::is_alphabetic),
        _ => false,
    })
}

/// A heading's text as the table of contents shows it: its code between left-to-right
/// isolates (LRI … PDI), since the entry is plain text (see crate::bidi).
fn shown_text<T>(events: &[(Event, T)], french: bool) -> String {
    let mut s = String::new();
    for (e, _) in events {
        match e {
            Event::Text(t) if french => s.push_str(&crate::typography::french_spacing_after(t, !s.is_empty())),
            Event::Text(t) => s.push_str(t),
            Event::Code(t) => {
                s.push(crate::bidi::LRI);
                s.push_str(t);
                s.push(crate::bidi::PDI);
            }
            Event::SoftBreak | Event::HardBreak => s.push(' '),
            _ => {}
        }
    }
    s.trim().to_string()
}

fn plain_text<T>(events: &[(Event, T)]) -> String {
    let mut s = String::new();
    for (e, _) in events {
        match e {
            Event::Text(t) | Event::Code(t) => s.push_str(t),
            Event::SoftBreak | Event::HardBreak => s.push(' '),
            _ => {}
        }
    }
    s.trim().to_string()
}

/// Heading attributes (`{#id}`) left in a heading's text, which pulldown-cmark reads only
/// at the very end of the line.
fn shown_attributes(title: &str) -> Option<&str> {
    let start = title.find("{#").or_else(|| title.find("{ #"))?;
    let len = title[start..].find('}')? + 1;
    let attrs = &title[start..start + len];
    (attrs.trim_matches(['{', '}', '#', ' ']).len() > 0).then_some(attrs)
}

fn heading_number(level: HeadingLevel) -> u32 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// A stable id from a heading's text; Arabic letters are kept (valid in HTML ids and URLs).
pub fn heading_id(title: &str) -> String {
    let slug = crate::load::slugify(title);
    if slug.is_empty() { "section".to_string() } else { slug }
}

fn unique_id(base: String, seen: &mut HashSet<String>) -> String {
    let mut id = base.clone();
    let mut n = 2;
    while !seen.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::highlight::Highlighter;

    fn ctx<'a>(h: &'a Highlighter, resolve: &'a dyn Fn(&str) -> Result<String, String>) -> HtmlContext<'a> {
        HtmlContext {
            file: Path::new("l.fr.md"),
            highlighter: h,
            resolve,
            check_image: &|_| Ok(()),
            max_depth: 16,
            labels: BlockLabels { exercise: "Exercice", solution: "Solution", trainer: "Formateur" },
        }
    }

    fn x() -> &'static Path {
        Path::new("x.md")
    }

    /// The Typst markup of the handout for `audience`.
    fn typst_for(blocks: &[Block], audience: Audience) -> String {
        let image = |d: &str| Ok(format!("/media/{d}"));
        let tcx = crate::render::typst_markup::TypstContext { file: x(), image: &image };
        crate::render::typst_markup::blocks_to_typst(blocks, audience, &tcx).unwrap()
    }

    /// The HTML `audience` sees and the Typst markup of the handout for it.
    fn seen_by(blocks: &[Block], audience: Audience) -> String {
        let h = Highlighter::new();
        let resolve = |d: &str| Ok(d.to_string());
        let html = render_html(blocks, audience, &ctx(&h, &resolve)).unwrap().html;
        format!("{html}\n{}", typst_for(blocks, audience))
    }

    /// The warnings rendering a body gives, with their line.
    fn warnings(body: &str) -> Vec<(usize, String)> {
        let h = Highlighter::new();
        let resolve = |d: &str| Ok(d.to_string());
        let blocks = split_blocks(body, 1, x()).unwrap_or_else(|e| panic!("{body:?}: {e}"));
        let rendered = render_blocks(&blocks, &ctx(&h, &resolve)).unwrap();
        rendered.iter().flat_map(|b| b.warnings.iter()).map(|w| (w.line.unwrap(), w.message.clone())).collect()
    }

    #[test]
    fn a_fence_in_a_list_item_ends_with_the_item() {
        // CommonMark closes a code block at the end of its list item; the trainer block
        // after the list is a block, hidden from the public and from learners.
        for body in [
            "1. Étape\n   ```python\n   x = 1\n2. Suite\n\n::: trainer\nSECRET\n:::\n",
            "- point\n\n  ```\n  code\n\nTexte\n::: trainer\nSECRET\n:::\n",
            "> ```\n> code\n::: trainer\nSECRET\n:::\n",
        ] {
            let blocks = split_blocks(body, 1, x()).unwrap_or_else(|e| panic!("{body:?}: {e}"));
            assert!(blocks.iter().any(|b| b.kind == BlockKind::Trainer && b.text == "SECRET\n"), "{body:?}: {blocks:?}");
            assert!(!seen_by(&blocks, Audience::Public).contains("SECRET"));
            assert!(!seen_by(&blocks, Audience::Learner).contains("SECRET"));
            assert!(seen_by(&blocks, Audience::Trainer).contains("SECRET"));
            assert!(warnings(body).is_empty(), "{body:?}: {:?}", warnings(body));
        }
    }

    #[test]
    fn trainer_text_never_leaks_whatever_surrounds_it() {
        // What may come right before a trainer block: true when the block is still a block.
        let before = [
            ("- ```\n", true),
            ("- point\n  ```\n  code\n", true),
            ("> ```\n> code\n", true),
            ("> citation\n", true),
            ("    ```\n    code indenté\n", true),
            ("<div>\n", true),
            ("<div>\n<p>x</p>\n", true),
            ("<!-- c -->\n", true),
            ("| a |\n|---|\n| 1 |\n", true),
            ("Texte\n", true),
            ("- a\n- b\n", true),
            ("[^1]: note\n", true),
            ("<pre>\n", false),
            ("<!--\n", false),
            ("<script>\n", false),
            ("```\n", false),
            ("~~~\n", false),
            ("```js title=\"`x`\"\n", true),
            ("- a\n\n  ", false),
            ("> ", false),
            ("`début de code\n", true),
        ];
        let after = ["", "---\n", "===\n", "- x\n", "    code\n", "| a |\n|---|\n"];
        for (b, is_block) in before {
            for glue in ["", "\n"] {
                for a in after {
                    let body = format!("{b}{glue}::: trainer\nSECRET\n:::\n{a}");
                    // A line break after an indent or `>` leaves the marker at the top level.
                    let is_block = is_block || (glue == "\n" && !b.ends_with('\n'));
                    match split_blocks(&body, 1, x()) {
                        Ok(blocks) => {
                            assert!(is_block, "{body:?} was accepted: {blocks:?}");
                            assert!(blocks.iter().any(|b| b.kind == BlockKind::Trainer), "{body:?}: {blocks:?}");
                            for audience in [Audience::Public, Audience::Learner] {
                                let seen = seen_by(&blocks, audience);
                                assert!(!seen.contains("SECRET"), "{body:?} leaked to {audience:?}:\n{seen}");
                            }
                        }
                        Err(e) => assert!(!is_block, "{body:?} was refused: {e}"),
                    }
                }
            }
        }
    }

    #[test]
    fn markers_right_below_lists_tables_and_html_close_their_block() {
        // The lessons' style: markers right above and below their content, no blank line.
        let body = "::: exercise\n1. a\n2. b\n:::\n::: solution\n| a | b |\n|---|---|\n| 1 | 2 |\n:::\n::: trainer\n> dire\n:::\n::: trainer\n<div>x</div>\n:::\nFin\n---\n";
        let blocks = split_blocks(body, 10, x()).unwrap();
        let got: Vec<_> = blocks.iter().map(|b| (b.kind, b.line, b.text)).collect();
        assert_eq!(
            got,
            vec![
                (BlockKind::Exercise, 11, "1. a\n2. b\n"),
                (BlockKind::Solution, 15, "| a | b |\n|---|---|\n| 1 | 2 |\n"),
                (BlockKind::Trainer, 20, "> dire\n"),
                (BlockKind::Trainer, 23, "<div>x</div>\n"),
                (BlockKind::Text, 25, "Fin\n---\n"),
            ]
        );
    }

    #[test]
    fn markers_inside_lists_or_indented_are_errors_at_their_line() {
        let err = split_blocks("- étape\n\n  ::: trainer\n  SECRET\n  :::\n", 1, x()).unwrap_err();
        assert_eq!(err.0[0].line, Some(3));
        assert!(err.0[0].message.contains("`::: trainer` is inside a list item"), "{}", err.0[0].message);
        // After a quote's `>`, the quote's text (and a `:::` closes no block).
        let blocks = split_blocks("Texte\n\n> ::: trainer\n> cité\n", 1, x()).unwrap();
        assert_eq!(blocks.len(), 1);
        let err = split_blocks("Texte\n\n> ::: trainer\n> SECRET\n:::\n", 1, x()).unwrap_err();
        assert!(err.0[0].line == Some(5) && err.0[0].message.contains("closes no block"), "{err}");
        let err = split_blocks("Texte\n    ::: trainer\n", 1, x()).unwrap_err();
        assert!(err.0[0].message.contains("indented"), "{}", err.0[0].message);
    }

    #[test]
    fn a_backtick_in_an_info_string_is_said_at_its_line() {
        let body = "Intro\n\n```js title=\"`x`\"\nlet a = 1;\n```\n\n::: trainer\nSECRET\n:::\n";
        let err = split_blocks(body, 1, x()).unwrap_err();
        assert_eq!(err.0.len(), 1, "{err}");
        assert_eq!(err.0[0].line, Some(3));
        let m = &err.0[0].message;
        assert!(m.contains("cannot contain a backtick") && m.contains("the ``` on line 5 opens one instead"), "{m}");
        assert!(m.contains("runs to the end of the lesson and takes in `::: trainer` on line 7"), "{m}");
    }

    #[test]
    fn run_away_code_is_refused_when_it_takes_in_a_trainer_block_or_the_rest_of_the_lesson() {
        // Closed by the next code block's fence: the trainer text would show as code.
        let body = "```js title=\"`x`\"\na\n```\n\n::: trainer\nSECRET\n:::\n\n```python\nprint(1)\n```\n";
        let err = split_blocks(body, 1, x()).unwrap_err();
        assert_eq!(err.0[0].line, Some(1), "{err}");
        assert!(err.0[0].message.contains("takes in `::: trainer` on line 5"), "{err}");
        // Unclosed, taking in a heading.
        let err = split_blocks("Texte\n\n```python\nprint(1)\n\n## Suite\n\nTexte\n", 1, x()).unwrap_err();
        assert_eq!(err.0[0].line, Some(3));
        assert!(err.0[0].message.contains("code block is not closed: it runs to the end of the lesson and takes in the heading `## Suite` on line 6"), "{err}");
        // Raw HTML that never ends.
        let err = split_blocks("<pre>\nx\n\n::: trainer\nSECRET\n:::\n", 1, x()).unwrap_err();
        assert_eq!(err.0[0].line, Some(1));
        assert!(err.0[0].message.contains("raw HTML block is not closed") && err.0[0].message.contains("`</pre>`"), "{err}");
    }

    #[test]
    fn code_that_takes_in_a_marker_or_a_heading_is_warned_about() {
        assert_eq!(warnings("```\nx\n:::\n```\n").len(), 1);
        let w = warnings("Texte\n\n```python\nprint(1)\n\n## Activité\n```\n");
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].0, 3);
        assert!(w[0].1.contains("takes in the heading `## Activité` on line 6"), "{w:?}");
        let w = warnings("```\na\n```python\nb\n```\n");
        assert!(w.len() == 1 && w[0].1.contains("````python`, which looks like the start of another code block on line 3"), "{w:?}");
        // Legal CommonMark: an unclosed fence runs to the end. Said, not refused.
        let w = warnings("Texte\n\n```python\nprint(1)\n");
        assert_eq!(w, vec![(3, "code block is not closed: it runs to the end of the lesson; close it with a line ```".to_string())]);
        // Examples of Markdown, Python comments, fences in list items: nothing to say.
        assert!(warnings("```markdown\n::: exercise\nQ\n:::\n\n## Titre\n```\n").is_empty());
        assert!(warnings("```python\n# commentaire\nx = 1\n```\n").is_empty());
        assert!(warnings("- a\n  ```\n  code\n\nTexte\n").is_empty());
    }

    #[test]
    fn a_closer_after_code_that_took_its_opener_says_so() {
        let err = split_blocks("```\n::: trainer\n```\nx\n:::\n", 1, x()).unwrap_err();
        let closer = err.0.iter().find(|d| d.line == Some(5)).unwrap();
        assert!(closer.message.contains("(the block marker on line 2 is inside the code block opened on line 1)"), "{err}");
    }

    #[test]
    fn blocks_with_letters_take_their_own_direction_and_inline_code_isolates_arabic_strings() {
        let h = Highlighter::new();
        let resolve = |d: &str| Ok(d.to_string());
        let body = "## نطرح سؤالا بالأمر `input()`\n\nنص عربي.\n\n12 + 5\n\n- عنصر\n\n> NameError: name 'Print' is not defined\n\n| `a` | ب |\n|---|---|\n| 1 | x |\n\nالأمر `print(\"سلام\", 5)` هنا.\n";
        let r = render_html(&split_blocks(body, 1, x()).unwrap(), Audience::Public, &ctx(&h, &resolve)).unwrap();
        for expected in [
            "<h2 id=\"نطرح-سؤالا-بالأمر-input\" dir=\"auto\">",
            "<p dir=\"auto\">نص عربي.</p>",
            "<p>12 + 5</p>",
            "<li dir=\"auto\">عنصر</li>",
            "<blockquote dir=\"auto\">\n<p dir=\"auto\">NameError",
            "<th><code dir=\"ltr\">a</code></th><th dir=\"auto\">ب</th>",
            "<td>1</td><td dir=\"auto\">x</td>",
            "<code dir=\"ltr\">print(&quot;<bdi>سلام</bdi>&quot;, 5)</code>",
        ] {
            assert!(r.html.contains(expected), "{expected}\nnot in\n{}", r.html);
        }
        assert_eq!(r.toc[0].title, "نطرح سؤالا بالأمر \u{2066}input()\u{2069}", "the contents isolate the heading's code");
    }

    #[test]
    fn french_text_is_spaced_but_not_code_addresses_or_descriptions() {
        let h = Highlighter::new();
        let resolve = |d: &str| Ok(d.to_string());
        let body = "## Prêt ?\n\nBravo ! Voici `a ?` et <https://x.org/?q=1> ![Quoi ?](i.png) « oui », **fini** !\n\n```python\nprint(\"Salam !\")\n```\n";
        let blocks = split_blocks(body, 1, x()).unwrap();
        let french = crate::bidi::TextLang { rtl: false, french: true };
        let r = render_html_in(&blocks, Audience::Public, &ctx(&h, &resolve), french).unwrap();
        for expected in [
            ">Prêt\u{202F}?</h2>",
            "Bravo\u{202F}! Voici <code dir=\"ltr\">a ?</code>",
            ">https://x.org/?q=1</a>",
            "alt=\"Quoi ?\"",
            "«\u{202F}oui\u{202F}»",
            "<strong>fini</strong>\u{202F}!",
            "Salam !",
        ] {
            assert!(r.html.contains(expected), "{expected:?} not in {}", r.html);
        }
        assert_eq!(r.toc[0].title, "Prêt\u{202F}?");
        let plain = render_html(&blocks, Audience::Public, &ctx(&h, &resolve)).unwrap();
        assert!(!plain.html.contains('\u{202F}'), "only French text");
    }

    #[test]
    fn heading_ids_come_from_attributes_in_both_languages() {
        let h = Highlighter::new();
        let resolve = |d: &str| Ok(d.to_string());
        for (body, id, title) in [("## Titre choisi {#mon-id}\n\nTexte.\n", "mon-id", "Titre choisi"), ("## ما هو الحاسوب؟ {#hasoub}\n\nنص.\n", "hasoub", "ما هو الحاسوب؟")] {
            let blocks = split_blocks(body, 1, x()).unwrap();
            let r = render_html(&blocks, Audience::Public, &ctx(&h, &resolve)).unwrap();
            assert!(r.html.contains(&format!("<h2 id=\"{id}\" dir=\"auto\">{title}</h2>")), "{}", r.html);
            assert_eq!(r.toc, vec![TocEntry { level: 2, id: id.to_string(), title: title.to_string() }]);
            assert!(r.ids.contains(id));
            let pdf = typst_for(&blocks, Audience::Learner);
            let heading = format!("#heading(level: 2)[{}]", crate::render::typst_markup::escape_markup(title));
            assert!(pdf.contains(&heading) && !pdf.contains('{') && !pdf.contains(id), "{pdf}");
            assert!(warnings(body).is_empty());
        }
    }

    #[test]
    fn heading_ids_that_cannot_be_used_are_warned_about() {
        let w = warnings("## Titre {#mon-id} ##\n");
        assert!(w.len() == 1 && w[0].1.contains("`{#mon-id}` is shown as part of this heading"), "{w:?}");
        let w = warnings("## Suite\n\n## Autre {#suite}\n");
        assert!(w.len() == 1 && w[0].0 == 3 && w[0].1.contains("the id `suite` is already taken"), "{w:?}");
    }

    #[test]
    fn trainer_tips_written_a_line_each_are_paragraphs_on_paper_and_in_the_handout_page() {
        let body = "::: trainer\nFirst tip.\nSecond *tip\nstill* second.\n\n- a list\n  item\n:::\n\nPublic\ntext.\n";
        let blocks = split_blocks(body, 1, x()).unwrap();
        let h = Highlighter::new();
        let resolve = |d: &str| Ok(d.to_string());
        let html = render_html(&blocks, Audience::Trainer, &ctx(&h, &resolve)).unwrap().html;
        assert!(html.contains(">First tip.</p>") && html.contains(">Second <em>tip\nstill</em> second.</p>"), "{html}");
        assert!(html.contains(">a list\nitem</li>"), "a list item keeps its lines: {html}");
        assert!(html.contains(">Public\ntext.</p>"), "text outside trainer blocks is Markdown as usual: {html}");
        let typst = typst_for(&blocks, Audience::Trainer);
        let first = typst.find("First").unwrap();
        let second = typst.find("Second").unwrap();
        assert!(typst[first..second].contains("\n\n"), "a paragraph break between the tips: {typst}");
    }

    #[test]
    fn blocks_are_split_with_their_lines() {
        let body = "Intro\n\n::: exercise\nQ?\n:::\n::: solution\nA\n:::\n\n```\n:::\n```\n";
        let blocks = split_blocks(body, 10, Path::new("x.md")).unwrap();
        let kinds: Vec<_> = blocks.iter().map(|b| (b.kind, b.line)).collect();
        assert_eq!(kinds, vec![(BlockKind::Text, 10), (BlockKind::Exercise, 13), (BlockKind::Solution, 16), (BlockKind::Text, 18)]);
    }

    #[test]
    fn unclosed_code_fence_is_an_error_not_a_leak() {
        let err = split_blocks("a\n```python\nx\n::: trainer\nsecret\n:::\n", 3, Path::new("x.md")).unwrap_err();
        assert_eq!(err.0[0].line, Some(4));
        assert!(err.0[0].message.contains("code block is not closed"));
    }

    #[test]
    fn unclosed_and_unknown_blocks_name_their_line() {
        let err = split_blocks("a\n::: trainer\nb\n", 5, Path::new("x.md")).unwrap_err();
        assert_eq!(err.0[0].line, Some(6));
        let err = split_blocks("::: secret\n:::\n", 1, Path::new("x.md")).unwrap_err();
        assert!(err.0[0].message.contains("unknown block"));
    }

    #[test]
    fn audiences_see_what_they_should() {
        let body = "T\n\n::: trainer\nSECRET\n:::\n\n::: exercise\nQ\n:::\n\n::: solution\nANSWER\n:::\n";
        let blocks = split_blocks(body, 1, Path::new("x.md")).unwrap();
        let h = Highlighter::new();
        let resolve = |d: &str| Ok(d.to_string());
        let c = ctx(&h, &resolve);
        let public = render_html(&blocks, Audience::Public, &c).unwrap().html;
        assert!(!public.contains("SECRET"));
        assert!(public.contains("<details class=\"block solution\">"));
        let learner = render_html(&blocks, Audience::Learner, &c).unwrap().html;
        assert!(!learner.contains("SECRET") && !learner.contains("ANSWER"));
        let trainer = render_html(&blocks, Audience::Trainer, &c).unwrap().html;
        assert!(trainer.contains("SECRET") && trainer.contains("ANSWER"));
    }

    #[test]
    fn headings_get_unique_ids_and_code_is_ltr() {
        let h = Highlighter::new();
        let resolve = |d: &str| Ok(d.to_string());
        let blocks = split_blocks("## ما هو الحاسوب؟\n\n## ما هو الحاسوب؟\n\n```python\nx = 1\n```\n", 1, Path::new("x.md")).unwrap();
        let r = render_html(&blocks, Audience::Public, &ctx(&h, &resolve)).unwrap();
        assert!(r.html.contains("id=\"ما-هو-الحاسوب\""), "{}", r.html);
        assert!(r.html.contains("id=\"ما-هو-الحاسوب-2\""));
        assert!(r.html.contains("<pre class=\"code\" dir=\"ltr\">"));
        assert_eq!(r.toc.len(), 2);
    }

    #[test]
    fn deep_nesting_is_refused_at_its_line_before_any_costly_work() {
        let h = Highlighter::new();
        let resolve = |d: &str| Ok(d.to_string());
        let deep: String = (0..1_000).map(|i| format!("{}- item\n", "  ".repeat(i))).collect();
        let body = format!("Intro\n\n{deep}");
        let blocks = split_blocks(&body, 5, Path::new("x.md")).unwrap();
        let start = std::time::Instant::now();
        let err = render_html(&blocks, Audience::Public, &ctx(&h, &resolve)).unwrap_err();
        assert!(start.elapsed() < std::time::Duration::from_secs(5), "took {:?}", start.elapsed());
        assert!(err.0[0].message.contains("nested more than 16 deep") && err.0[0].message.contains("nesting_depth"), "{}", err.0[0].message);
        assert_eq!(err.0[0].line, Some(7 + 16), "the line of the 17th level");
        let ok: String = (0..16).map(|i| format!("{}- item\n", "  ".repeat(i))).collect();
        assert!(render_html(&split_blocks(&ok, 1, Path::new("x.md")).unwrap(), Audience::Public, &ctx(&h, &resolve)).is_ok());
    }

    #[test]
    fn broken_link_is_reported_on_its_line() {
        let h = Highlighter::new();
        let resolve = |d: &str| if d.starts_with("http") { Ok(d.to_string()) } else { Err(format!("no such lesson: {d}")) };
        let blocks = split_blocks("ok\n\nsee [x](nope.fr.md)\n", 7, Path::new("x.md")).unwrap();
        let err = render_html(&blocks, Audience::Public, &ctx(&h, &resolve)).unwrap_err();
        assert_eq!(err.0[0].line, Some(9));
    }
}
