//! An oracle for the PDF handouts: no lesson text may change the structure of the Typst
//! document. Lessons are generated from every construct dars enables (paragraphs, ATX and
//! setext headings with attributes, lists, ordered lists from any start, task lists, block
//! quotes, fenced and indented code, tables, footnotes, rules, raw HTML blocks and tags,
//! emphasis, strong, strikethrough, code spans, links of every kind, images, hard and soft
//! breaks, `::: exercise` / `solution` / `trainer` / `write` blocks), nested, glued to every
//! ASCII punctuation mark, to Arabic punctuation and bidi marks, in French and in Arabic.
//! Each lesson is converted to Typst, typeset with the handout's own styles, and the PDF's
//! text is read back with pdftotext. It must either typeset with the text of its Markdown
//! events, or be refused with authoring errors on the lines of what dars refuses (an image
//! it cannot find, a malformed `:::` block, nesting deeper than typst can typeset). Any
//! Typst error, panic or typesetting that does not end is a failure. A case whose text
//! differs only because a run with no place to break crosses the page's edge (a layout
//! limit of typst) is counted apart, as "ran off the page".
//!
//! What is compared, and why. PDF text extraction cannot give the text back exactly:
//! pdftotext reorders Arabic and mixed runs (bidi), adds embedding marks, mirrors brackets
//! and lays out tables and superscripts its own way. So three things are compared:
//! - the multiset of letters and digits (lowercased, as `common::skeleton` keeps them),
//!   in every case: text lost, doubled or swallowed by markup changes it;
//! - the multiset of the other visible characters, mirrored pairs counted as one: an
//!   escape printed (`\`), a `;` eaten or doubled, a quote made smart changes it;
//! - the sequence of letters (`common::skeleton`) when the lesson has no right-to-left
//!   text, where order survives extraction: text moved out of its place changes it.
//!
//! Expected text: Text and Code events (code blocks included), alt texts (the test
//! document prints each image's alt text after it), the text raw HTML keeps on paper
//! (`dars::rawhtml::printed`, a note for media), footnote names, the numbers of ordered
//! list items, the labels of `:::` blocks. List bullets and task boxes are left out.
//!
//! A run of 64 cases takes a few seconds. `ORACLE_CASES=N` (or `PROPTEST_CASES`) sets the
//! number of cases, `ORACLE_SEED` the seed (fixed by default), `ORACLE_SECONDS` a time
//! limit; e.g. `ORACLE_CASES=1000000 ORACLE_SECONDS=1200 ORACLE_SEED=7 cargo test --release
//! --test typst_oracle -- --nocapture`. Failing cases are shrunk and printed; they are kept
//! as named regression tests at the end of this file. One lesson is checked with
//! `ORACLE_MD='…' cargo test --release --test typst_oracle check_one_lesson -- --ignored
//! --nocapture` (`ORACLE_RTL=1` for a right-to-left document, `ORACLE_PDF=x.pdf` keeps it).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use dars::markdown::{Audience, Block, BlockKind, markdown_options, split_blocks};
use dars::rawhtml::Printed;
use dars::render::pdf::{Document, SourceFile, Typesetter, font_files};
use dars::render::typst_markup::{TypstContext, blocks_to_typst, blocks_to_typst_with_lines};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

// ---------------------------------------------------------------------------------------
// The generator.

/// splitmix64: small, seedable, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

const FRENCH: &[&str] = &[
    "Appelez", "alerte", "élève", "ça", "cœur", "fenêtre", "souris", "écran", "fichier", "où", "Garçon", "naïf", "clavier", "x", "a", "Python", "l’ordinateur",
    "ÉTAPE", "afflux",
];
/// Without vowel marks or shadda: pdftotext gives the letter under them twice.
const ARABIC: &[&str] = &["مرحبا", "الحاسوب", "درس", "الشباب", "فأرة", "شاشة", "لوحة", "مفاتيح", "بايثون", "لا", "في", "إلى", "آلة", "الذكاء", "الاصطناعي", "ؤ"];
const NUMBERS: &[&str] = &["1", "42", "2025", "١٢٣", "٤٥", "0"];
const ASCII_PUNCTUATION: &[&str] = &[
    "!", "\"", "#", "$", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/", ":", ";", "<", "=", ">", "?", "@", "[", "\\", "]", "^", "_", "`", "{", "|", "}", "~",
];
const ARABIC_PUNCTUATION: &[&str] = &["،", "؛", "؟", "«", "»", "٪"];
/// Right-to-left and left-to-right marks, the Arabic letter mark.
const BIDI_MARKS: &[&str] = &["\u{200F}", "\u{200E}", "\u{061C}"];
/// What code spans and code blocks are made of.
const CODE: &[&str] = &["alert", "(1)", "\\", "\\n", "#", "،", "\"", "'", "`", "``", "]", "[", "*", "$", "x = 1", "print", "مرحبا", "؛", " ", "{", "}", "//", "/*", "<b>", "@", ";", "\t"];
const LINK_DESTINATIONS: &[&str] = &[
    "https://a.b", "http://x.org/p?q=1&r=2#s", "mailto:x@y.org", "tel:+212600000000", "../day-1/01-autre.fr.md", "#ancre", "", "<https://a.b/c d>",
    "https://a.b \"titre\"", "data:,x", "//cdn.example/x",
];
const INLINE_HTML: &[&str] = &[
    "<b>", "</b>", "<br>", "<br/>", "<kbd>Ctrl</kbd>", "<sup>2</sup>", "&amp;", "&#1575;", "&lt;", "&nbsp;", "<span dir=\"rtl\">", "</span>", "<video src=\"v.mp4\"></video>",
    "<!-- c -->", "<i>", "&copy;", "&#x23;", "&#92;", "&lt;label&gt;", "\\<label\\>", "\\*", "\\`", "\\\\",
    // Syntax of extensions dars does not enable (math, super- and subscript): text.
    "$x^2$", "$$\\sum$$", "^sup^", "H~2~O",
];
const HTML_BLOCKS: &[&str] = &[
    "<div>\nTexte dans un div\n</div>",
    "<!-- commentaire -->",
    "<video src=\"v.mp4\">Votre navigateur</video>",
    "<p>texte &amp; <b>gras</b></p>",
    "<details><summary>Résumé</summary>caché</details>",
    "<script>var x = 1;</script>",
    "<iframe src=\"https://x.org\"></iframe>",
    "<table><tr><td>cellule</td></tr></table>",
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Lang {
    French,
    Arabic,
}

/// Builds one lesson; `depth` bounds nesting (the lesson size limits are not tested here).
struct Gen {
    rng: Rng,
    lang: Lang,
    /// Off in table headers: a header row cannot break across pages, so one holding two
    /// images as wide as the text is taller than a page and typst cuts it at the page's
    /// foot (a layout limit, not the document's structure).
    images: bool,
}

impl Gen {
    fn word(&mut self) -> String {
        let other = self.rng.one_in(8);
        let list = match (self.lang, other) {
            (Lang::French, false) | (Lang::Arabic, true) => FRENCH,
            _ => ARABIC,
        };
        self.rng.pick(list).to_string()
    }

    /// What goes between two inline pieces: nothing, a space, punctuation or a mark.
    fn glue(&mut self, lines: bool) -> String {
        match self.rng.below(20) {
            0..=4 => String::new(),
            5..=9 => " ".into(),
            10..=14 => self.rng.pick(ASCII_PUNCTUATION).into(),
            15 => self.rng.pick(ARABIC_PUNCTUATION).into(),
            16 => self.rng.pick(BIDI_MARKS).into(),
            17 if self.rng.one_in(4) => "\t".into(),
            17 => format!("{} ", self.rng.pick(ARABIC_PUNCTUATION)),
            // A soft break, or a hard break either way.
            18 if lines => self.rng.pick(&["\n", "  \n", "\\\n"]).into(),
            _ => format!("{}{}", self.rng.pick(ASCII_PUNCTUATION), self.rng.pick(ASCII_PUNCTUATION)),
        }
    }

    /// Inline pieces glued together; `lines` lets them span lines (soft and hard breaks).
    fn inlines(&mut self, depth: usize, lines: bool) -> String {
        let n = 1 + self.rng.below(5);
        let mut out = self.glue(false);
        for _ in 0..n {
            out.push_str(&self.inline(depth));
            out.push_str(&self.glue(lines));
        }
        out
    }

    fn inline(&mut self, depth: usize) -> String {
        let deeper = depth + 1;
        match self.rng.below(if depth >= 3 { 5 } else { 17 }) {
            0 | 1 => self.word(),
            2 => self.rng.pick(NUMBERS).into(),
            3 => self.code_span(),
            4 => self.rng.pick(INLINE_HTML).into(),
            5 => {
                let d = self.rng.pick(&["*", "_"]);
                format!("{d}{}{d}", self.inlines(deeper, false))
            }
            6 => {
                let d = self.rng.pick(&["**", "__"]);
                format!("{d}{}{d}", self.inlines(deeper, false))
            }
            7 => {
                let d = self.rng.pick(&["~~", "~"]);
                format!("{d}{}{d}", self.inlines(deeper, false))
            }
            8 | 9 => format!("[{}]({})", self.inlines(deeper, false), self.rng.pick(LINK_DESTINATIONS)),
            10 => self.rng.pick(&["<https://a.b/c>", "<x@y.org>", "https://nu.example/x"]).into(),
            11 if self.images => self.image(deeper),
            12 => format!("[^{}]", self.rng.pick(&["1", "note", "ملاحظة"])),
            13 => format!("[{}][ref]", self.inlines(deeper, false)),
            14 => format!("***{}***", self.inlines(deeper, false)),
            _ => format!("{}{}", self.word(), self.rng.pick(ASCII_PUNCTUATION)),
        }
    }

    /// A code span with any characters, its fence longer than any backtick run inside.
    fn code_span(&mut self) -> String {
        let n = 1 + self.rng.below(4);
        let mut code: String = (0..n).map(|_| self.rng.pick(CODE)).collect();
        if self.rng.one_in(10) {
            // A code span over two lines (a space on paper).
            code.push('\n');
            code.push_str(self.rng.pick(CODE));
        }
        let run = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(run + 1);
        let pad = if code.starts_with('`') || code.ends_with('`') { " " } else { "" };
        format!("{fence}{pad}{code}{pad}{fence}")
    }

    /// An image; one in eight is one dars cannot find (an authoring error).
    fn image(&mut self, depth: usize) -> String {
        let dest = if self.rng.one_in(8) { "absent.png" } else { self.rng.pick(&["image.png", "image.png \"titre\"", "<image.png>"]) };
        format!("![{}]({dest})", self.inlines(depth, false))
    }

    fn block(&mut self, depth: usize) -> String {
        match self.rng.below(if depth >= 2 { 3 } else { 16 }) {
            0..=2 => self.inlines(0, true),
            3 => format!("{} {}{}", "#".repeat(1 + self.rng.below(6)), self.inlines(0, false), self.rng.pick(&["", " {#id .classe}", " ##", " {#x}"])),
            4 => format!("{}\n{}", self.inlines(0, false), self.rng.pick(&["===", "---"])),
            5 | 6 => self.list(depth),
            7 => self.quote(depth),
            8 => self.fenced_code(),
            9 => format!("    {}\n    {}", self.code_span(), self.word()),
            10 => self.table(),
            11 => format!("[^{}]: {}", self.rng.pick(&["1", "note", "ملاحظة"]), self.inlines(0, true)),
            12 => self.rng.pick(&["---", "***", "___", "- - -"]).into(),
            13 => self.rng.pick(HTML_BLOCKS).into(),
            14 => "[ref]: https://ref.example \"titre\"".into(),
            15 if self.rng.one_in(2) => self.rng.pick(&["Terme\n: définition", "---\ntitle: x\n---", "$$\nx^2\n$$", "+++\ntitle = 1\n+++"]).into(),
            15 if self.rng.one_in(3) => self.deep(),
            _ => format!("{}{}", self.rng.pick(&["#", "-", "+", "=", "/", "1.", ">", "|", "\\", "<", "@", "$", "~", "'", "\""]), self.inlines(0, false)),
        }
    }

    /// Blocks separated by blank lines, sometimes by a single newline.
    fn blocks(&mut self, depth: usize) -> String {
        let n = 1 + self.rng.below(3);
        let parts: Vec<String> = (0..n).map(|_| self.block(depth)).collect();
        parts.join(if self.rng.one_in(4) { "\n" } else { "\n\n" })
    }

    /// Quotes and list items in one another on one line (`> - > 1. `), around text nested as
    /// deep: near and past what typst can typeset.
    fn deep(&mut self) -> String {
        let containers: String = (0..6 + self.rng.below(12)).map(|_| self.rng.pick(&["> ", "- ", "1. ", "* ", ">"])).collect();
        let mut text = self.word();
        let mut linked = false;
        for _ in 0..self.rng.below(14) {
            let word = self.word();
            text = match self.rng.below(5) {
                0 if !linked => {
                    linked = true;
                    format!("[{word} {text}](https://a.b)")
                }
                0 | 1 => format!("*{word} {text}*"),
                2 => format!("**{word} {text}**"),
                3 => format!("~~{word} {text}~~"),
                _ => format!("_{word} {text}_"),
            };
        }
        format!("{containers}{text}")
    }

    fn list(&mut self, depth: usize) -> String {
        let ordered = self.rng.one_in(2);
        let start = *[0u64, 1, 3, 9, 10, 99, 123_456_789].get(self.rng.below(7)).unwrap_or(&1);
        let bullet = self.rng.pick(&["-", "*", "+"]).to_string();
        let delimiter = self.rng.pick(&[".", ")"]).to_string();
        let loose = self.rng.one_in(3);
        let items: Vec<String> = (0..1 + self.rng.below(3))
            .map(|i| {
                let marker = if ordered { format!("{}{delimiter} ", start + i as u64) } else { format!("{bullet} ") };
                let task = if self.rng.one_in(3) { self.rng.pick(&["[ ] ", "[x] ", "[X] "]) } else { "" };
                let mut body = format!("{task}{}", self.inlines(0, true));
                if self.rng.one_in(3) {
                    body.push_str("\n\n");
                    body.push_str(&self.blocks(depth + 1));
                }
                indent_item(&marker, &body)
            })
            .collect();
        items.join(if loose { "\n\n" } else { "\n" })
    }

    fn quote(&mut self, depth: usize) -> String {
        let inner = self.blocks(depth + 1);
        inner.lines().map(|l| if l.is_empty() { ">".to_string() } else { format!("> {l}") }).collect::<Vec<_>>().join("\n")
    }

    fn fenced_code(&mut self) -> String {
        let fence = self.rng.pick(&["```", "~~~", "````"]);
        let lang = self.rng.pick(&[
            "", "python", "js", "JavaScript", "html", "markdown", "php", "css", "sql", "bash", "json", "yaml", "c", "java", "rust", "ruby", "ts", "typ", "typc", "c++ {x}", "#",
            "text",
        ]);
        let lines: Vec<String> = (0..1 + self.rng.below(3)).map(|_| (0..1 + self.rng.below(4)).map(|_| self.rng.pick(CODE)).collect()).collect();
        // A line of the code that closes the fence early is Markdown after all; fine, but
        // rarely what is meant.
        format!("{fence}{lang}\n{}\n{fence}", lines.join("\n"))
    }

    fn table(&mut self) -> String {
        let columns = 1 + self.rng.below(3);
        let row = |g: &mut Gen, n: usize| format!("| {} |", (0..n).map(|_| g.inlines(1, false)).collect::<Vec<_>>().join(" | "));
        self.images = false;
        let mut lines = vec![row(self, columns)];
        self.images = true;
        lines.push(format!("|{}|", (0..columns).map(|_| self.rng.pick(&["---", ":--", "--:", ":-:"])).collect::<Vec<_>>().join("|")));
        for _ in 0..self.rng.below(3) {
            // Rows with a cell too many or too few are Markdown too.
            let n = (columns + self.rng.below(3)).saturating_sub(1).max(1);
            lines.push(row(self, n));
        }
        lines.join("\n")
    }

    /// A lesson: Markdown blocks, and `:::` blocks holding Markdown blocks.
    fn lesson(&mut self) -> String {
        let mut parts = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            match self.rng.below(6) {
                0 => {
                    parts.push(format!("::: exercise\n{}\n:::", self.blocks(0)));
                    if self.rng.one_in(2) {
                        parts.push(format!("::: solution\n{}\n:::", self.blocks(0)));
                    }
                }
                1 => parts.push(format!("::: trainer\n{}\n:::", self.blocks(0))),
                2 => parts.push("::: write 2\n:::".into()),
                _ => parts.push(self.blocks(0)),
            }
        }
        parts.join("\n\n") + "\n"
    }
}

/// An item's body after its marker, later lines indented under its first character.
fn indent_item(marker: &str, body: &str) -> String {
    let pad = " ".repeat(marker.chars().count());
    let mut out = String::new();
    for (i, line) in body.lines().enumerate() {
        if i == 0 {
            out.push_str(marker);
        } else {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
            }
        }
        out.push_str(line);
    }
    out
}

/// One generated case: the lesson, who reads it, and its direction.
#[derive(Clone, Debug)]
struct Case {
    markdown: String,
    audience: Audience,
    rtl: bool,
}

fn generate(seed: u64, index: u64) -> Case {
    let mut rng = Rng(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let lang = if rng.one_in(2) { Lang::French } else { Lang::Arabic };
    let audience = if rng.one_in(4) { Audience::Learner } else { Audience::Trainer };
    let mut g = Gen { rng, lang, images: true };
    let lesson = g.lesson();
    // Some authors' editors save CRLF line ends.
    let markdown = if g.rng.one_in(10) { lesson.replace('\n', "\r\n") } else { lesson };
    Case { markdown, audience, rtl: lang == Lang::Arabic }
}

// ---------------------------------------------------------------------------------------
// The oracle.

const LABELS: [(&str, &str); 4] = [("exercise", "Exercice"), ("solution", "Solution"), ("for_the_trainer", "Formateur"), ("media_on_website", "Voir le site")];

fn label(key: &str) -> &'static str {
    LABELS.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).unwrap_or("")
}

/// Images the test world does not have: dars refuses them with an error on their line.
fn resolve_image(dest: &str) -> Result<String, String> {
    if dest.contains("absent") { Err(format!("image `{dest}`: file content/{dest} not found")) } else { Ok("/media/image.png".into()) }
}

/// What the PDF should show of a lesson, and the lines where dars must refuse an image.
#[derive(Default)]
struct Expected {
    text: String,
    error_lines: Vec<usize>,
    /// The most elements open in one another (paragraphs, items and cells not counted).
    deepest: usize,
}

fn expected(blocks: &[Block], audience: Audience) -> Expected {
    let mut out = Expected::default();
    for block in blocks.iter().filter(|b| audience.shows(b.kind)) {
        match block.kind {
            BlockKind::Exercise => out.text.push_str(label("exercise")),
            BlockKind::Solution => out.text.push_str(label("solution")),
            BlockKind::Trainer => out.text.push_str(label("for_the_trainer")),
            BlockKind::Text | BlockKind::Write(_) => {}
        }
        out.text.push(' ');
        expected_markdown(block, &mut out);
    }
    out
}

/// The text of a block's Markdown events, as the handout shows it.
fn expected_markdown(block: &Block, out: &mut Expected) {
    let line_starts: Vec<usize> = std::iter::once(0).chain(block.text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let mut images = 0usize;
    // The next number of each open list; `None` for bullet lists.
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut open = 0usize;
    let mut html_block: Option<String> = None;
    for (event, range) in Parser::new_ext(block.text, markdown_options()).into_offset_iter() {
        match &event {
            Event::Start(Tag::Paragraph | Tag::Item | Tag::TableHead | Tag::TableRow | Tag::TableCell) => {}
            Event::Start(_) => open += 1,
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableHead | TagEnd::TableRow | TagEnd::TableCell) => {}
            Event::End(_) => open = open.saturating_sub(1),
            _ => {}
        }
        out.deepest = out.deepest.max(open);
        let text = &mut out.text;
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            // Inside an image only its alt text counts.
            _ if images > 0 => match event {
                Event::Start(Tag::Image { .. }) => images += 1,
                Event::End(TagEnd::Image) => images -= 1,
                _ => {}
            },
            Event::Start(Tag::Image { dest_url, .. }) => {
                images = 1;
                if resolve_image(&dest_url).is_err() {
                    out.error_lines.push(block.line + line_starts.partition_point(|&s| s <= range.start) - 1);
                }
                text.push(' ');
            }
            Event::End(TagEnd::Image) => images -= 1,
            // A raw HTML block is read whole (a `<script>` over several lines prints nothing).
            Event::Start(Tag::HtmlBlock) => html_block = Some(String::new()),
            Event::Html(h) if html_block.is_some() => html_block.get_or_insert_default().push_str(&h),
            Event::End(TagEnd::HtmlBlock) => printed_html(&html_block.take().unwrap_or_default(), text),
            Event::Html(h) | Event::InlineHtml(h) => printed_html(&h, text),
            Event::FootnoteReference(name) => text.push_str(&name),
            Event::Start(Tag::FootnoteDefinition(name)) => text.push_str(&format!(" {name} ")),
            Event::Start(Tag::List(start)) => lists.push(start),
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                if let Some(Some(n)) = lists.last_mut() {
                    text.push_str(&format!(" {n}. "));
                    *n += 1;
                }
            }
            // Words on either side of these are apart on paper.
            Event::SoftBreak | Event::HardBreak | Event::End(_) | Event::Start(_) => text.push(' '),
            _ => {}
        }
    }
}

/// The text raw HTML keeps on paper (`dars::rawhtml`), a note for each medium.
fn printed_html(html: &str, text: &mut String) {
    for part in dars::rawhtml::printed(html) {
        match part {
            Printed::Text(t) => text.push_str(&t),
            Printed::Media(_) => text.push_str(&format!(" {} ", label("media_on_website"))),
        }
    }
}

/// Characters that are not text on paper: bidi controls pdftotext adds or the author
/// wrote, joiners, the soft hyphen.
fn invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Arabic vowel marks and shadda: pdftotext repeats the letter under them.
fn arabic_mark(c: char) -> bool {
    matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}')
}

/// Letters and digits, lowercased, sorted: what no extraction may change.
fn letters(text: &str) -> String {
    let mut v: Vec<char> = text.chars().filter(|c| c.is_alphanumeric() && !arabic_mark(*c)).flat_map(char::to_lowercase).collect();
    v.sort_unstable();
    v.into_iter().collect()
}

/// The other visible characters, sorted; a mirrored pair counts as one character since
/// right-to-left text shows `(` as `)`, and a combining accent as its spacing form since
/// pdftotext merges a `` ` `` or `^` that touches the letter before it into that letter.
/// List bullets and task boxes are the template's.
fn marks(text: &str) -> String {
    let fold = |c: char| match c {
        '\u{0300}' => '`',
        '\u{0302}' => '^',
        '\u{0303}' => '~',
        ')' => '(',
        ']' => '[',
        '}' => '{',
        '>' => '<',
        '»' => '«',
        c => c,
    };
    let mut v: Vec<char> = text
        .chars()
        .filter(|c| !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control() && !invisible(*c) && !arabic_mark(*c))
        .filter(|c| !matches!(c, '•' | '‣' | '–' | '☐' | '☑'))
        .map(fold)
        .collect();
    v.sort_unstable();
    v.into_iter().collect()
}

/// Whether a text holds right-to-left letters (their order on paper is not theirs).
fn has_rtl(text: &str) -> bool {
    text.chars().any(|c| matches!(c, '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}'))
}

/// What became of a case that passed.
#[derive(Debug, PartialEq)]
enum Verdict {
    Typeset,
    /// Typeset, but a run of text with no place to break (a long word, glued punctuation)
    /// is wider than its line or table column and crosses the page's edge, where pdftotext
    /// cannot read it: a layout limit of typst, counted apart.
    RanOffThePage,
    /// Refused with authoring errors, each on a line; the first one's message.
    Refused(String),
}

/// Runs one case through dars, typst and pdftotext; `Err` says what went wrong, starting
/// with a word that names the kind of failure.
fn check(case: &Case) -> Result<Verdict, String> {
    let file = Path::new("content/day-1/01-lesson.fr.md");
    let blocks = match split_blocks(&case.markdown, 1, file) {
        Ok(b) => b,
        Err(d) if d.0.iter().all(|e| e.line.is_some()) => return Ok(Verdict::Refused(d.0[0].message.clone())),
        Err(d) => return Err(format!("unplaced: block errors without a line: {d}")),
    };
    let expect = expected(&blocks, case.audience);
    let tcx = TypstContext { file, image: &resolve_image };
    // As the handouts make it, with the `/*dars:line N*/` comments.
    let markup = match blocks_to_typst_with_lines(&blocks, case.audience, &tcx) {
        Ok(m) if expect.error_lines.is_empty() => m,
        Ok(_) => return Err(format!("unreported: images dars cannot find on lines {:?} gave no error", expect.error_lines)),
        Err(d) => return refused(&d, file, &expect).map(|()| Verdict::Refused(d.0[0].message.clone())),
    };
    let pdf = typeset(&markup, case.rtl).map_err(|d| format!("typst: {d}\n--- markup ---\n{markup}"))?;
    let (got, off_page) = pdf_text(&pdf);
    match compare(&expect.text, &got) {
        Ok(()) => Ok(Verdict::Typeset),
        Err(_) if off_page => Ok(Verdict::RanOffThePage),
        Err(m) => Err(format!("{m}\n--- markup ---\n{markup}\n--- pdftotext ---\n{got}")),
    }
}

/// Whether the converter's errors are the ones the lesson calls for: images dars cannot
/// find, each on its line, and nesting too deep for typst where elements are deep indeed.
fn refused(d: &dars::Diagnostics, file: &Path, expect: &Expected) -> Result<(), String> {
    let (deep, images): (Vec<_>, Vec<_>) = d.0.iter().partition(|e| e.message.contains("nested too deeply"));
    let mut lines: Vec<usize> = images.iter().map(|e| e.line.unwrap_or(0)).collect();
    lines.dedup();
    let mut wanted = expect.error_lines.clone();
    wanted.dedup();
    let placed = d.0.iter().all(|e| e.file == file && e.line.is_some()) && images.iter().all(|e| e.message.contains("not found"));
    if !placed || lines != wanted {
        return Err(format!("misplaced: errors {d} where images on lines {wanted:?} were expected"));
    }
    if !deep.is_empty() && expect.deepest < DEEP {
        return Err(format!("shallow: refused as too deep with at most {} elements in one another: {d}", expect.deepest));
    }
    Ok(())
}

/// Below this many elements in one another, no lesson is too deep for typst.
const DEEP: usize = 10;

fn compare(expected: &str, got: &str) -> Result<(), String> {
    let (want, have) = (letters(expected), letters(got));
    if want != have {
        return Err(format!("letters: expected {want:?}\n     got {have:?}\n{}", diff(&want, &have)));
    }
    let (want, have) = (marks(expected), marks(got));
    if want != have {
        return Err(format!("marks: expected {want:?}\n   got {have:?}\n{}", diff(&want, &have)));
    }
    if !has_rtl(expected) && common::skeleton(expected) != common::skeleton(got) {
        return Err(format!("order: expected {:?}\n   got {:?}", common::skeleton(expected), common::skeleton(got)));
    }
    Ok(())
}

/// Characters missing and extra, between two sorted strings.
fn diff(want: &str, have: &str) -> String {
    let count = |s: &str| s.chars().fold(BTreeMap::<char, i64>::new(), |mut m, c| {
        *m.entry(c).or_default() += 1;
        m
    });
    let (w, h) = (count(want), count(have));
    let missing: String = w.iter().filter_map(|(c, n)| (n > h.get(c).unwrap_or(&0)).then_some(*c)).collect();
    let extra: String = h.iter().filter_map(|(c, n)| (n > w.get(c).unwrap_or(&0)).then_some(*c)).collect();
    format!("missing {missing:?}, extra {extra:?}")
}

// ---------------------------------------------------------------------------------------
// Typesetting, as the handouts do it.

fn typesetter() -> &'static Typesetter {
    static T: std::sync::OnceLock<Typesetter> = std::sync::OnceLock::new();
    T.get_or_init(|| Typesetter::new(&font_files(&common::theme_dir().join("static/fonts"))).unwrap_or_else(|d| panic!("{d}")))
}

/// A folder kept between runs (below cargo's target folder) with the one image the lessons
/// show, and the PDFs being read back.
fn scratch_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("typst_oracle");
        std::fs::create_dir_all(&dir).unwrap();
        if !dir.join("image.png").is_file() {
            let corpus = tempfile::tempdir().unwrap();
            dars::corpus::generate(corpus.path(), 1, 1).unwrap();
            let part = dir.join(format!("image.png.{}", std::process::id()));
            std::fs::copy(corpus.path().join("day-1/schema.png"), &part).unwrap();
            std::fs::rename(part, dir.join("image.png")).unwrap();
        }
        dir
    })
}

/// The handout's settings and show rules (everything before its cover), so lessons are
/// typeset as in a real handout; page numbers and repeated table headers left out, each
/// image's alt text printed.
fn main_source() -> String {
    let handout = std::fs::read_to_string(common::theme_dir().join("handout/handout.typ")).unwrap();
    let end = handout.find("// ---- cover ----").expect("handout.typ has a cover section");
    // A table running onto a second page repeats its header there: its text would count twice.
    let test_only = "#set page(footer: none)\n#set table.header(repeat: false)\n#show image: it => { it; text(it.alt) }";
    format!("{}\n{test_only}\n#include \"/lesson.typ\"\n", &handout[..end])
}

fn typeset(markup: &str, rtl: bool) -> Result<Vec<u8>, dars::Diagnostics> {
    let blocks = std::fs::read_to_string(common::theme_dir().join("handout/blocks.typ")).unwrap();
    let labels: serde_json::Map<String, serde_json::Value> = LABELS.iter().map(|(k, v)| (k.to_string(), (*v).into())).collect();
    let lang = if rtl { "ar" } else { "fr" };
    // The language's fonts, as the theme's strings file declares them (`fonts:`).
    let strings: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(common::theme_dir().join(format!("i18n/{lang}.yaml"))).unwrap()).unwrap();
    let fonts: Vec<String> = serde_yaml::from_value(strings["fonts"].clone()).unwrap();
    let data = serde_json::json!({
        "dir": if rtl { "rtl" } else { "ltr" }, "lang": lang, "version": "trainer",
        "title": "t", "programme": "p", "labels": labels, "fonts": fonts,
    });
    let doc = Document {
        sources: vec![
            SourceFile { virtual_path: "/main.typ".into(), text: main_source(), origin: "main.typ".into() },
            SourceFile { virtual_path: "/blocks.typ".into(), text: blocks, origin: "blocks.typ".into() },
            SourceFile { virtual_path: "/lesson.typ".into(), text: format!("#import \"/blocks.typ\": *\n{markup}"), origin: "lesson.md".into() },
        ],
        files: vec![("/data.json".into(), serde_json::to_vec(&data).unwrap())],
        media_root: scratch_dir().to_path_buf(),
        today: (2025, 10, 20),
        name: "the test document".into(),
        limit_origin: "programme.yaml".into(),
        max_pages: 400,
    };
    typesetter().pdf(&doc)
}

/// The PDF's text, and whether a word of it crosses the edge of its page.
fn pdf_text(pdf: &[u8]) -> (String, bool) {
    // One file per thread: tests run in parallel.
    let thread = format!("{:?}", std::thread::current().id()).replace(|c: char| !c.is_alphanumeric(), "");
    let path = scratch_dir().join(format!("{}-{thread}.pdf", std::process::id()));
    std::fs::write(&path, pdf).unwrap();
    // `-raw`: in content order, and without joining a word broken after a hyphen at the end
    // of a line (the default drops that hyphen).
    let text = common::poppler("pdftotext", &["-raw", path.to_str().unwrap(), "-"]);
    let boxes = common::poppler("pdftotext", &["-bbox", path.to_str().unwrap(), "-"]);
    let _ = std::fs::remove_file(&path);
    (text, crosses_the_edge(&boxes))
}

/// Whether a `<word>` of `pdftotext -bbox` output reaches past its `<page>`'s sides.
fn crosses_the_edge(boxes: &str) -> bool {
    let number = |line: &str, attr: &str| -> Option<f64> {
        let start = line.find(&format!("{attr}=\""))? + attr.len() + 2;
        line[start..].split('"').next()?.parse().ok()
    };
    let mut width = f64::INFINITY;
    for line in boxes.lines().map(str::trim) {
        if line.starts_with("<page ") {
            width = number(line, "width").unwrap_or(f64::INFINITY);
        } else if line.starts_with("<word ") {
            let (left, right) = (number(line, "xMin").unwrap_or(0.0), number(line, "xMax").unwrap_or(0.0));
            if left < 0.0 || right > width {
                return true;
            }
        }
    }
    false
}

// ---------------------------------------------------------------------------------------
// Running many cases, shrinking failures.

/// `check`, with a panic counted as a failure, under the watchdog.
fn check_caught(case: &Case) -> Result<Verdict, String> {
    start_watchdog();
    *CHECKING.lock().unwrap() = Some((std::time::Instant::now(), format!("{case:?}")));
    let result = std::panic::catch_unwind(|| check(case));
    *CHECKING.lock().unwrap() = None;
    result.unwrap_or_else(|p| {
        let message = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
        Err(format!("panic: {}", message.unwrap_or_default()))
    })
}

fn failure_kind(message: &str) -> &str {
    message.split(':').next().unwrap_or("")
}

/// A smaller lesson that fails the same way: lines, then runs of characters, removed while
/// the failure stays (at most `budget` tries, each a typesetting).
fn shrink(case: &Case, kind: &str, budget: usize) -> Case {
    let mut best = case.clone();
    let tries = std::cell::Cell::new(0);
    let fails = |candidate: &Case| {
        tries.set(tries.get() + 1);
        matches!(check_caught(candidate), Err(m) if failure_kind(&m) == kind)
    };
    let with = |md: String| Case { markdown: md, ..case.clone() };
    // Whole lines first: cheap and large.
    let mut i = 0;
    while i < best.markdown.lines().count() && tries.get() < budget {
        let lines: Vec<&str> = best.markdown.lines().collect();
        let candidate = with(lines.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, l)| format!("{l}\n")).collect());
        if fails(&candidate) { best = candidate } else { i += 1 }
    }
    let mut chunk = best.markdown.chars().count() / 2;
    while chunk >= 1 && tries.get() < budget {
        let mut start = 0;
        let mut progress = false;
        while start < best.markdown.chars().count() && tries.get() < budget {
            let chars: Vec<char> = best.markdown.chars().collect();
            let candidate = with(chars[..start].iter().chain(chars[(start + chunk).min(chars.len())..].iter()).collect());
            if fails(&candidate) {
                best = candidate;
                progress = true;
            } else {
                start += chunk;
            }
        }
        if !progress {
            chunk /= 2;
        }
    }
    best
}

/// The case being checked and since when, for the watchdog.
static CHECKING: std::sync::Mutex<Option<(std::time::Instant, String)>> = std::sync::Mutex::new(None);

/// A lesson whose typesetting does not end is a failure too, which would stop the run
/// rather than fail it: past a minute on one case, this names it and ends the process.
fn start_watchdog() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        std::thread::spawn(|| {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
                if let Some((since, case)) = CHECKING.lock().unwrap().as_ref()
                    && since.elapsed() > std::time::Duration::from_secs(60)
                {
                    eprintln!("FAILURE hang: typesetting has not ended after a minute: {case}");
                    std::process::exit(101);
                }
            }
        });
    });
}

fn env_number(names: &[&str]) -> Option<u64> {
    names.iter().find_map(|n| std::env::var(n).ok()?.parse().ok())
}

#[test]
fn typeset_text_is_the_text_of_the_markdown() {
    let cases = env_number(&["ORACLE_CASES", "PROPTEST_CASES"]).unwrap_or(128);
    let seed = env_number(&["ORACLE_SEED"]).unwrap_or(0xDA25);
    let deadline = env_number(&["ORACLE_SECONDS"]).map(|s| std::time::Instant::now() + std::time::Duration::from_secs(s));
    let log = std::env::var("ORACLE_LOG").ok();
    let first = env_number(&["ORACLE_FIRST"]).unwrap_or(0);
    let (mut typeset, mut off_page, mut refused, mut failures) = (0u64, 0u64, BTreeMap::<String, u64>::new(), Vec::new());
    let started = std::time::Instant::now();
    for index in first..first + cases {
        if deadline.is_some_and(|d| std::time::Instant::now() > d) {
            break;
        }
        let case = generate(seed, index);
        match check_caught(&case) {
            Ok(Verdict::Typeset) => typeset += 1,
            Ok(Verdict::RanOffThePage) => off_page += 1,
            // Counted by the kind of error, to see what the generator spends cases on.
            Ok(Verdict::Refused(message)) => *refused.entry(message.split([':', '`']).next().unwrap_or("").to_string()).or_default() += 1,
            Err(message) => {
                let small = shrink(&case, failure_kind(&message), 600);
                let small_message = check_caught(&small).err().unwrap_or_default();
                let report = format!(
                    "FAILURE seed {seed} case {index} ({:?}, rtl {}):\n{:?}\nshrunk to {:?}\n{small_message}\n",
                    case.audience, case.rtl, case.markdown, small.markdown
                );
                eprintln!("{report}");
                if let Some(log) = &log {
                    use std::io::Write;
                    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
                    writeln!(f, "{report}").unwrap();
                }
                failures.push(small.markdown);
            }
        }
        if (index + 1) % 1000 == 0 {
            eprintln!("{} cases, {typeset} typeset, {off_page} ran off the page, {refused:?} refused, {} failures, {:?}", index + 1, failures.len(), started.elapsed());
        }
    }
    eprintln!("oracle: seed {seed}, {typeset} typeset, {off_page} ran off the page, refused {refused:?}, {} failures in {:?}", failures.len(), started.elapsed());
    assert!(failures.is_empty(), "{} failing cases (shrunk): {failures:#?}", failures.len());
    let refused: u64 = refused.values().sum();
    assert!(typeset > refused, "the generator makes too few lessons that can be typeset: {typeset} typeset, {refused} refused");
}


// ---------------------------------------------------------------------------------------
// Regression tests: cases the issue reported and cases the oracle found, checked as above.

fn typesets(markdown: &str, rtl: bool) {
    let case = Case { markdown: markdown.to_string(), audience: Audience::Trainer, rtl };
    assert_eq!(check_caught(&case), Ok(Verdict::Typeset), "{markdown:?}");
}

/// The reported ones: text after a construct made the markup a call (`expected function,
/// found content`), or gave code-mode errors about `\`, `#`, `،`, `*` and commas.
#[test]
fn text_right_after_a_construct() {
    for md in [
        "Appelez `alert`(1).",
        "**gras**(x)",
        "*mot*(x)",
        "[x](https://a.b)(y)",
        "[x](../day-1/01-autre.fr.md)(y)",
        "`a`(\\)",
        "`a`(#x)",
        "`a`(،)",
        "**g**(*x*)",
        "`f`(a b)",
        "~~non~~(1)",
        "a\\\n(b)",
        "![robot](image.png)(b)",
        "[^1](x)\n\n[^1]: note",
        "`a`.b `c`[d]",
    ] {
        typesets(md, false);
        typesets(md, true);
    }
}

/// Found by the oracle: the `;` ending a construct ate the author's own `;` (printed once
/// now), and markup after code stayed text.
#[test]
fn a_semicolon_after_a_construct_is_printed() {
    for md in ["` `;", "*%*;", "[]();", "`t`(", "`*``>`;", "` ``؟`("] {
        typesets(md, false);
    }
}

/// Found by the oracle: a figure (a block) inside emphasis or a link made typst's PDF
/// tagging fail, with an internal error or a panic; so did the note for a video there.
#[test]
fn images_and_media_inside_emphasis_and_links() {
    for md in ["***![]() *'****]", "*& ***<video c=\"\">ن****0", "[~![]()ش~/](//)«", "::: trainer\n**> *![]()٪** _**\n:::\n", "## [![a](image.png) b](https://a.b)"] {
        typesets(md, false);
        typesets(md, true);
    }
}

/// Found by the oracle: text glued to an image inside a heading had no place to break and
/// ran off the page.
#[test]
fn text_glued_to_an_image_stays_on_the_page() {
    typesets("# [ [٤٥lt;label&g0'[]chier\"![]()؛", false);
    typesets("# [ [٤٥lt;label&g0'[]chier\"![]()؛", true);
}

/// Found by the oracle: typst's JavaScript syntax never ends on `\t/*` after two lines with
/// a quote (nor on `x /*`), nor do HTML, Markdown, PHP… that embed it. Printed plain.
#[test]
fn code_typst_would_highlight_forever() {
    typesets("```js\n'\n'\n\t/*\n```\n", false);
    typesets("```html\n<button onclick=\"x /*\">\n```\n\n```markdown\n```js\nx /*\n```\n", false);
}

/// Found while looking at nesting: sixteen quotes are within dars's nesting limit but past
/// typst's; the converter refuses them at their line rather than typst without one.
#[test]
fn nesting_too_deep_for_typst_is_refused_on_its_line() {
    let case = Case { markdown: format!("Intro\n\n{}*x*\n", "> ".repeat(16)), audience: Audience::Trainer, rtl: false };
    assert!(matches!(check_caught(&case), Ok(Verdict::Refused(m)) if m.contains("nested too deeply")));
    typesets(&format!("::: trainer\n{}- 1. *a **b ~~c [d](https://a.b)~~**\n:::\n", "> ".repeat(10)), false);
}

/// A lesson is refused, not typeset, when an image cannot be found: on the image's line.
#[test]
fn a_missing_image_is_refused_on_its_line() {
    let blocks = split_blocks("a\n\n::: exercise\nb *![c](absent.png)*\n:::\n", 7, Path::new("l.md")).unwrap();
    let tcx = TypstContext { file: Path::new("l.md"), image: &resolve_image };
    let err = blocks_to_typst(&blocks, Audience::Trainer, &tcx).unwrap_err();
    assert_eq!(err.0.iter().map(|d| d.line).collect::<Vec<_>>(), [Some(10)]);
}

/// Found by the oracle: a run of text with no place to break, wider than its table column,
/// crosses the page's edge (typst's layout; not fixed by dars). Recognised, not a failure.
#[test]
fn a_run_too_wide_for_its_column_is_told_apart() {
    let md = "\"|||\n-|-|-\n،+٤٥print{`;~~][ref]}|<ÉTAPE)إلى[souris٪***-2025 .org>@|~%écn{Python>(~ Appelez~*;__^cœur2025é[ l’ordinateu";
    let case = Case { markdown: md.into(), audience: Audience::Learner, rtl: false };
    assert_eq!(check_caught(&case), Ok(Verdict::RanOffThePage));
    // Right to left: the run crosses the page's left edge.
    let md = "»|مفتيح?|__مفاتيح@y.org>]42__l’ordinateur{\\~وب`(*~'l’ordinateur\n-|-|-\nكاء_-;الشباب*^1] ***rint`$***b> 0";
    let case = Case { markdown: md.into(), audience: Audience::Learner, rtl: true };
    assert_eq!(check_caught(&case), Ok(Verdict::RanOffThePage));
}

/// The oracle's own reading: a `` ` `` in a table cell right after a letter in the cell
/// before comes back from pdftotext as a combining accent on that letter.
#[test]
fn an_accent_touching_a_letter_is_read_back() {
    typesets("***%:où`+_<***Appelez&=**>[enêtre](),_fichier$a***|`||\n-|-|-\n&||~٪`lert\t;`[ 42%`print\\n'\n\u{200e}|**&~`[\\n*alert؟ \\`}12025 **fenêtre", false);
}

/// The oracle's own reading: pdftotext's default mode drops a hyphen that ends a line.
#[test]
fn a_hyphen_at_the_end_of_a_line_is_read_back() {
    typesets(&format!("```\n{}\n```\n\n{}\n", "aa-".repeat(60), "mot-".repeat(40)), false);
}

/// Addresses typst refuses (longer than 8000 bytes): the words stay, without the link.
#[test]
fn a_link_too_long_for_a_pdf_keeps_its_words() {
    typesets(&format!("[mot](data:text/plain,{})", "a".repeat(9000)), false);
}

/// Checks the lesson in `ORACLE_MD`, to study a failing case.
#[test]
#[ignore]
fn check_one_lesson() {
    let Ok(markdown) = std::env::var("ORACLE_MD") else { return };
    let case = Case { markdown, audience: Audience::Trainer, rtl: std::env::var("ORACLE_RTL").is_ok() };
    println!("{:?}", check_caught(&case));
    // `ORACLE_PDF=file.pdf` keeps the PDF, e.g. for `pdftotext -bbox`.
    if let Ok(path) = std::env::var("ORACLE_PDF") {
        let tcx = TypstContext { file: Path::new("l.md"), image: &resolve_image };
        let markup = blocks_to_typst(&split_blocks(&case.markdown, 1, Path::new("l.md")).unwrap(), case.audience, &tcx).unwrap();
        std::fs::write(path, typeset(&markup, case.rtl).unwrap()).unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// Languages whose highlighting never ends.

/// Lines that reach typst's JavaScript syntax in every way a syntax may embed it.
const CANARIES: &[&str] = &["x /*", "let a = 1 /* c */", "<script>\nx /*\n</script>", "```js\nx /*\n```", "<a onclick=\"x /*\">", "<?php ?>\n<script>\nx /*\n</script>"];

/// Typesets the canaries in the language `ORACLE_PROBE_LANG` (for `languages_that_hang_typst`,
/// which runs it in a child process it can stop).
#[test]
#[ignore]
fn typeset_canaries() {
    let Ok(lang) = std::env::var("ORACLE_PROBE_LANG") else { return };
    let literal = dars::render::typst_markup::string_literal;
    let markup: String = CANARIES.iter().map(|c| format!("#raw(block: true, lang: {}, {});\n", literal(&lang), literal(c))).collect();
    typeset(&markup, false).unwrap_or_else(|d| panic!("{d}"));
}

/// Which of typst's languages never finish highlighting the canaries (5 s each, in a child
/// process), and that the converter prints each without colours. The list behind
/// `HANGING_SYNTAXES` in src/render/typst_markup.rs; run it again after updating typst:
/// `cargo test --release --test typst_oracle languages_that_hang_typst -- --ignored --nocapture`.
#[test]
#[ignore]
fn languages_that_hang_typst() {
    let exe = std::env::current_exe().unwrap();
    let (mut hanging, mut failing) = (Vec::new(), Vec::new());
    for (name, extensions) in typst::text::RawElem::languages() {
        let token = extensions.first().copied().unwrap_or(name);
        if name.starts_with("Typst") {
            continue;
        }
        let mut child = std::process::Command::new(&exe)
            .args(["--ignored", "--exact", "typeset_canaries"])
            .env("ORACLE_PROBE_LANG", token)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() > std::time::Duration::from_secs(5) {
                child.kill().unwrap();
                child.wait().unwrap();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        match status {
            None => hanging.push((name, token)),
            Some(s) if !s.success() => failing.push(name),
            Some(_) => {}
        }
    }
    println!("never end: {:#?}\nfail: {failing:?}", hanging.iter().map(|(n, _)| n).collect::<Vec<_>>());
    let tcx = TypstContext { file: Path::new("l.md"), image: &resolve_image };
    for (name, token) in &hanging {
        let md = format!("```{token}\nx\n```\n");
        let markup = blocks_to_typst(&split_blocks(&md, 1, Path::new("l.md")).unwrap(), Audience::Trainer, &tcx).unwrap();
        assert!(markup.contains("lang: none"), "{name} ({token}) is highlighted: add it to HANGING_SYNTAXES");
    }
    assert!(failing.is_empty(), "{failing:?}");
}
