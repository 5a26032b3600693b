//! The CommonMark spec's examples, each run through dars as a lesson body: the web page,
//! the trainer's secret block after it, and the PDF. The examples ship inside
//! pulldown-cmark's crate source (`tests/suite/spec.rs`), which cargo keeps in its registry
//! after any build; no download.
//!
//! Each example is either rendered as pulldown-cmark renders it with dars's options (the
//! spec's HTML, but for dars's additions: heading ids, `dir="ltr"` on code, highlighted code,
//! a wrapper around tables, and the extensions dars enables), with its text in the PDF, or
//! refused with a documented reason. None may swallow a following `::: trainer` block into
//! the public page. `cargo test --release --test commonmark -- --nocapture` prints the counts.

mod common;

use std::path::{Path, PathBuf};

use dars::highlight::{Highlight, escape_html};
use dars::markdown::{Audience, BlockLabels, HtmlContext, render_html, split_blocks};
use dars::render::pdf::{Document, SourceFile, Typesetter, font_files};
use dars::render::typst_markup::{TypstContext, blocks_to_typst};

/// Code as plain escaped text: the spec compares structure, not colours.
struct Plain;

impl Highlight for Plain {
    fn highlight(&self, code: &str, _lang: &str) -> String {
        escape_html(code)
    }
}

/// The spec file of the pulldown-cmark this project is locked to.
fn spec_file() -> PathBuf {
    let lock = std::fs::read_to_string(common::project_root().join("Cargo.lock")).unwrap();
    let at = lock.find("name = \"pulldown-cmark\"\nversion = \"").expect("pulldown-cmark in Cargo.lock");
    let version = lock[at..].lines().nth(1).unwrap().trim_start_matches("version = \"").trim_end_matches('"');
    let home = std::env::var_os("CARGO_HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let registries = std::fs::read_dir(home.join("registry/src")).expect("cargo's registry sources (any build puts them there)");
    registries
        .flatten()
        .map(|r| r.path().join(format!("pulldown-cmark-{version}/tests/suite/spec.rs")))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("pulldown-cmark {version}'s tests/suite/spec.rs not found in {}", home.display()))
}

/// (number, Markdown, HTML) of every example.
fn examples() -> Vec<(usize, String, String)> {
    let text = std::fs::read_to_string(spec_file()).unwrap();
    let mut out = Vec::new();
    for (n, part) in text.split("fn spec_test_").skip(1).enumerate() {
        let raw = |key: &str| {
            let start = part.find(key).unwrap() + key.len();
            let end = part[start..].find("\"##;").unwrap();
            part[start..start + end].to_string()
        };
        out.push((n + 1, raw("let original = r##\""), raw("let expected = r##\"")));
    }
    out
}

/// What dars adds to pulldown-cmark's HTML (code left to right, each block in its own
/// direction, heading ids, a wrapper around tables) taken out for the comparison, and what only
/// differs in form: a quote escaped or not (`&quot;` and `"` are the same text), a line
/// break before a tag.
fn without_dars_additions(html: &str) -> String {
    let s = html.replace("<pre class=\"code\" dir=\"ltr\">", "<pre>").replace("<code dir=\"ltr\">", "<code>").replace(" dir=\"auto\"", "");
    let s = strip_heading_ids(&s.replace("<div class=\"table-wrap\">", "").replace("</table></div>", "</table>"));
    s.replace("&quot;", "\"").replace("\n<", "<")
}

/// `<h2 id="x">` → `<h2>`: dars gives every heading an id from its text.
fn strip_heading_ids(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("<h") {
        out.push_str(&rest[..i]);
        let tag_and_after = &rest[i..];
        let end = tag_and_after.find('>').map_or(tag_and_after.len(), |e| e + 1);
        let tag = &tag_and_after[..end];
        match tag.find(" id=\"").filter(|_| tag.as_bytes().get(2).is_some_and(u8::is_ascii_digit)) {
            Some(at) => {
                let close = tag[at + 5..].find('"').map_or(tag.len(), |q| at + 5 + q + 1);
                out.push_str(&tag[..at]);
                out.push_str(&tag[close..]);
            }
            None => out.push_str(tag),
        }
        rest = &tag_and_after[end..];
    }
    out.push_str(rest);
    out
}

fn pulldown_html(md: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(md, dars::markdown::markdown_options()));
    without_dars_additions(&html)
}

/// Letters and digits of the text a reader should find on paper, in the scripts the
/// theme's fonts cover (Latin, Arabic): a glyph no font has is another matter (a warning
/// about missing glyphs is planned with third languages).
fn text_of(md: &str) -> String {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut s = String::new();
    // An image's alt text describes it for screen readers; it is not printed.
    let mut in_image = 0usize;
    for e in Parser::new_ext(md, dars::markdown::markdown_options()) {
        match e {
            Event::Start(Tag::Image { .. }) => in_image += 1,
            Event::End(TagEnd::Image) => in_image -= 1,
            Event::Text(t) | Event::Code(t) if in_image == 0 => {
                s.push_str(&t);
                s.push(' ');
            }
            _ => {}
        }
    }
    common::skeleton(&s.chars().filter(|c| (*c as u32) < 0x0530 || ('\u{0600}'..='\u{06FF}').contains(c)).collect::<String>())
}

/// Whether every character of `want` appears in `got`, in order (list numbers and bullets
/// are on paper but not in the text events).
fn in_order(want: &str, got: &str) -> bool {
    let mut got = got.chars();
    want.chars().all(|w| got.any(|g| g == w))
}

fn typesetter() -> Typesetter {
    Typesetter::new(&font_files(&common::theme_dir().join("static/fonts"))).unwrap()
}

fn typeset(t: &Typesetter, media: &Path, markup: &str) -> Result<Vec<u8>, String> {
    let blocks = std::fs::read_to_string(common::theme_dir().join("handout/blocks.typ")).unwrap();
    let main = "#import \"/blocks.typ\": *\n#set text(font: (\"Noto Sans\", \"Noto Naskh Arabic\"))\n#include \"/lesson.typ\"\n";
    let labels = br#"{"labels": {"exercise": "E", "solution": "S", "for_the_trainer": "T", "media_on_website": "M"}}"#;
    let doc = Document {
        sources: vec![
            SourceFile { virtual_path: "/main.typ".into(), text: main.into(), origin: "main.typ".into() },
            SourceFile { virtual_path: "/blocks.typ".into(), text: blocks, origin: "blocks.typ".into() },
            SourceFile { virtual_path: "/lesson.typ".into(), text: format!("#import \"/blocks.typ\": *\n{markup}"), origin: "lesson.md".into() },
        ],
        files: vec![("/data.json".into(), labels.to_vec())],
        media_root: media.to_path_buf(),
        today: (2025, 10, 20),
        name: "example".into(),
        limit_origin: "programme.yaml".into(),
        max_pages: 400,
    };
    t.pdf(&doc).map_err(|d| d.to_string())
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.pdf");
    std::fs::write(&file, pdf).unwrap();
    common::skeleton(&common::poppler("pdftotext", &[file.to_str().unwrap(), "-"]))
}

/// A PNG of one red pixel, for the images of the examples.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00,
    0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff,
    0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Why dars may refuse an example: each reason is documented in docs/authoring.md.
const DOCUMENTED_REFUSALS: &[&str] = &[
    // An image must be a file in content/ for the PDF.
    "is not a file in content/",
    // An open code fence or HTML block that runs to the end of the lesson.
    "is not closed",
];

#[test]
fn every_commonmark_example_renders_as_the_spec_says_or_is_refused_for_a_documented_reason() {
    let examples = examples();
    assert!(examples.len() >= 600, "found {} examples", examples.len());
    let typesetter = typesetter();
    let media = tempfile::tempdir().unwrap();
    std::fs::write(media.path().join("image.png"), PNG).unwrap();
    let file = Path::new("exemple.fr.md");
    let accept = |d: &str| Ok(d.to_string());
    // Images are files here, as if the author had put them in content/ (the PDF would need
    // them); external ones are refused as dars refuses them.
    let image = |d: &str| if dars::render::links::is_external(d) { Err(format!("image `{d}` is not a file in content/")) } else { Ok("/media/image.png".to_string()) };
    let cx = HtmlContext { file, highlighter: &Plain, resolve: &accept, check_image: &|_| Ok(()), max_depth: 16, labels: BlockLabels { exercise: "E", solution: "S", trainer: "T" } };
    let (mut as_spec, mut as_pulldown, mut refused, mut failures) = (0, 0, Vec::new(), Vec::new());
    for (n, md, spec_html) in &examples {
        let blocks = match split_blocks(md, 1, file) {
            Ok(b) => b,
            Err(d) => {
                refused.push((*n, d.to_string()));
                continue;
            }
        };
        let html = match render_html(&blocks, Audience::Public, &cx) {
            Ok(h) => without_dars_additions(&h.html),
            Err(d) => {
                refused.push((*n, d.to_string()));
                continue;
            }
        };
        if html == without_dars_additions(spec_html) {
            as_spec += 1;
        }
        if html == pulldown_html(md) {
            as_pulldown += 1;
        } else {
            failures.push(format!("example {n}: HTML differs from pulldown-cmark's\n{md:?}\ngot  {html:?}\nwant {:?}", pulldown_html(md)));
        }
        // A trainer block after the example is a block, or an error: never public text.
        let secret = "SECRETTRAINERTEXT";
        let with_secret = format!("{md}\n\n::: trainer\n{secret}\n:::\n");
        if let Ok(blocks) = split_blocks(&with_secret, 1, file)
            && render_html(&blocks, Audience::Public, &cx).is_ok_and(|h| h.html.contains(secret))
        {
            failures.push(format!("example {n}: the trainer block after it reached the public page\n{md:?}"));
        }
        let tcx = TypstContext { file, image: &image };
        match blocks_to_typst(&blocks, Audience::Trainer, &tcx) {
            Err(d) => refused.push((*n, d.to_string())),
            Ok(markup) => match typeset(&typesetter, media.path(), &markup) {
                Err(e) => failures.push(format!("example {n}: the PDF failed: {e}\n{md:?}\n{markup}")),
                Ok(pdf) => {
                    let (want, got) = (text_of(md), pdf_text(&pdf));
                    if !in_order(&want, &got) {
                        failures.push(format!("example {n}: the PDF's text differs\n{md:?}\nwant {want:?}\ngot  {got:?}"));
                    }
                }
            },
        }
    }
    let undocumented: Vec<&(usize, String)> = refused.iter().filter(|(_, why)| !DOCUMENTED_REFUSALS.iter().any(|r| why.contains(r))).collect();
    println!(
        "CommonMark examples: {} in all; {as_pulldown} rendered as pulldown-cmark with dars's options ({as_spec} exactly as the spec's HTML); {} refused for a documented reason; {} refused otherwise; {} failures",
        examples.len(),
        refused.len() - undocumented.len(),
        undocumented.len(),
        failures.len()
    );
    for (n, why) in &refused {
        println!("refused example {n}: {}", why.lines().next().unwrap_or(""));
    }
    assert!(undocumented.is_empty(), "refused for no documented reason: {undocumented:#?}");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n\n"));
}
