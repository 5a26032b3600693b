//! Lesson bodies: the `::: kind` blocks, and Markdown → HTML with heading ids, a table of
//! contents, highlighted code and resolved links.
//!
//! The same split into blocks feeds every output (site, learner and trainer handouts,
//! PDF), so what each audience sees is decided in one place: [`Audience::shows`].

use std::collections::HashSet;
use std::path::Path;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

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
pub fn split_blocks<'a>(body: &'a str, first_line: usize, file: &Path) -> Result<Vec<Block<'a>>, Diagnostics> {
    let mut blocks = Vec::new();
    let mut diags = Diagnostics::new();
    let mut open: Option<(BlockKind, usize, usize)> = None; // kind, byte start, opening line
    let mut text_start = (0usize, first_line);
    let mut offset = 0;
    let mut in_fence: Option<(String, usize)> = None;
    for (i, raw_line) in body.split_inclusive('\n').enumerate() {
        let line_no = first_line + i;
        let line = raw_line.trim_end();
        let next_offset = offset + raw_line.len();
        // `:::` inside a code example is code, not a block marker.
        if let Some((fence, _)) = &in_fence {
            if closes_fence(line, fence) {
                in_fence = None;
            }
            offset = next_offset;
            continue;
        }
        if let Some(fence) = code_fence(line) {
            in_fence = Some((fence, line_no));
            offset = next_offset;
            continue;
        }
        let Some(marker) = line.strip_prefix(":::") else {
            offset = next_offset;
            continue;
        };
        let marker = marker.trim();
        match (&open, marker.is_empty()) {
            (None, true) => diags.push(Diagnostic::error(file, "`:::` closes no block; remove it or open one with `::: trainer`").at(line_no, None)),
            (None, false) => match parse_kind(marker) {
                Ok(kind) => {
                    push_text(&mut blocks, &body[text_start.0..offset], text_start.1);
                    open = Some((kind, next_offset, line_no));
                }
                Err(m) => diags.push(Diagnostic::error(file, m).at(line_no, None)),
            },
            (Some((kind, start, opened)), true) => {
                if *kind == BlockKind::Solution && !matches!(blocks.last(), Some(Block { kind: BlockKind::Exercise, .. })) {
                    diags.push(Diagnostic::error(file, "`::: solution` must follow an `::: exercise` block").at(*opened, None));
                }
                blocks.push(Block { kind: *kind, text: &body[*start..offset], line: opened + 1 });
                open = None;
                text_start = (next_offset, line_no + 1);
            }
            (Some((_, _, opened)), false) => diags.push(
                Diagnostic::error(file, format!("blocks cannot be nested: close the block opened on line {opened} with `:::` first")).at(line_no, None),
            ),
        }
        offset = next_offset;
    }
    // An unclosed fence would swallow the rest of the lesson, trainer blocks included, into
    // a code block shown to everyone.
    if let Some((fence, opened)) = &in_fence {
        diags.push(Diagnostic::error(file, format!("code block is not closed; add a line {fence} after the code")).at(*opened, None));
    }
    if let Some((_, _, opened)) = open {
        diags.push(Diagnostic::error(file, "block is not closed; add a line `:::` after its content").at(opened, None));
    } else {
        push_text(&mut blocks, &body[text_start.0..], text_start.1);
    }
    diags.into_result(blocks)
}

fn push_text<'a>(blocks: &mut Vec<Block<'a>>, text: &'a str, line: usize) {
    // Blank lines between blocks carry nothing.
    if !text.trim().is_empty() {
        blocks.push(Block { kind: BlockKind::Text, text, line });
    }
}

/// The fence of a code block opened on this line, if any (CommonMark: at most three
/// spaces of indent, three or more backticks or tildes; a backtick fence's info string
/// has no backtick).
fn code_fence(line: &str) -> Option<String> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let t = &line[indent..];
    let c = t.chars().next()?;
    if indent > 3 || (c != '`' && c != '~') {
        return None;
    }
    let n = t.chars().take_while(|&x| x == c).count();
    let info = &t[n..];
    (n >= 3 && !(c == '`' && info.contains('`'))).then(|| c.to_string().repeat(n))
}

/// Whether `line` closes a code block opened with `fence`: the same character, at least as
/// many, nothing after but spaces.
fn closes_fence(line: &str, fence: &str) -> bool {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let t = line[indent..].trim_end();
    let c = fence.chars().next().unwrap_or('`');
    indent <= 3 && t.len() >= fence.len() && t.chars().all(|x| x == c)
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
    Ok(assemble(&render_blocks(blocks, ctx)?, audience, &ctx.labels))
}

/// One block rendered, whoever will see it.
#[derive(Debug, Clone)]
pub struct RenderedBlock {
    pub kind: BlockKind,
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub ids: HashSet<String>,
    pub links: Vec<(usize, String)>,
}

/// Renders every block once; each audience's page is then put together from them
/// without parsing or highlighting again. Heading ids are unique across all blocks.
pub fn render_blocks(blocks: &[Block], ctx: &HtmlContext) -> Result<Vec<RenderedBlock>, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(blocks.len());
    for block in blocks {
        let mut one = RenderedHtml { ids: std::mem::take(&mut seen), ..RenderedHtml::default() };
        let before: HashSet<String> = one.ids.clone();
        render_markdown(block, ctx, &mut one, &mut diags);
        let ids = one.ids.difference(&before).cloned().collect();
        seen = one.ids;
        out.push(RenderedBlock { kind: block.kind, html: one.html, toc: one.toc, ids, links: one.links });
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

fn render_markdown(block: &Block, ctx: &HtmlContext, out: &mut RenderedHtml, diags: &mut Diagnostics) {
    let line_starts: Vec<usize> = std::iter::once(0).chain(block.text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let line_of = |offset: usize| block.line + line_starts.partition_point(|&s| s <= offset) - 1;
    let events: Vec<(Event, std::ops::Range<usize>)> = Parser::new_ext(block.text, markdown_options()).into_offset_iter().collect();
    if let Some(offset) = too_deep(&events, ctx.max_depth) {
        let message = format!(
            "lists or quotes are nested more than {} deep here; flatten them. {}",
            ctx.max_depth,
            crate::limits::Limits::how_to_raise("nesting_depth", ctx.max_depth)
        );
        diags.push(Diagnostic::error(ctx.file, message).at(line_of(offset), None));
        return;
    }
    let mut html_events: Vec<Event> = Vec::with_capacity(events.len());
    let mut i = 0;
    while i < events.len() {
        let (event, range) = &events[i];
        match event {
            Event::Start(Tag::Heading { level, id, classes, attrs }) => {
                let end = find_end(&events, i);
                let title = plain_text(&events[i + 1..end]);
                let id = unique_id(id.as_deref().map(str::to_string).unwrap_or_else(|| heading_id(&title)), &mut out.ids);
                let level_n = heading_number(*level);
                if level_n <= 3 {
                    out.toc.push(TocEntry { level: level_n, id: id.clone(), title });
                }
                html_events.push(Event::Start(Tag::Heading { level: *level, id: Some(CowStr::from(id)), classes: classes.clone(), attrs: attrs.clone() }));
            }
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
            Event::Code(code) => {
                html_events.push(Event::Html(CowStr::from(format!("<code dir=\"ltr\">{}</code>", escape_html(code)))));
            }
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
            Event::Start(Tag::Table(_)) => {
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
