//! Property tests ("fuzzing") of what authors write: front matter, lesson Markdown with
//! blocks, the HTML pages and the Typst handouts made from it. No input may panic, and no
//! lesson text may break out of the Typst document. Cases are random (PROPTEST_CASES sets
//! how many: `PROPTEST_CASES=20000 cargo test --release --test fuzz` for a long run);
//! inputs that once failed are kept as regression tests at the end of this file.

mod common;

use std::path::Path;

use dars::markdown::{Audience, BlockLabels, HtmlContext, render_html, split_blocks};
use dars::render::pdf::{Document, SourceFile, Typesetter, font_files};
use dars::render::typst_markup::{TypstContext, blocks_to_typst};
use proptest::prelude::*;

/// Pieces authors really type, in French and Arabic, with every Markdown and Typst special
/// character, block markers and code fences, glued at random.
fn author_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "# ", "## ", "### ", "- ", "1. ", "* ", "> ", "| a | b |\n|---|---|\n| 1 | 2 |\n", "```python\n", "```\n", "~~~\n", "    code\n",
        "::: trainer\n", "::: exercise\n", "::: solution\n", "::: write 3\n", ":::\n", "::: nope\n", "`code`", "**gras**", "_it_", "~~barré~~",
        "[lien](../day-1/01-first.fr.md)", "[x](#ancre)", "![img](missing.png)", "<b>html</b>", "<br>", "<!-- c -->", "[^1]", "[^1]: note\n",
        "- [ ] tâche\n", "- [x] fait\n", "$x^2$", "#set page(width: 1pt)", "#panic()", "]", "[", "\\", "\"", "'", "@ref", "<label>", "=", "+", "/", "//", "/*",
        "مرحبا بكم في دار الشباب", "الذكاء الاصطناعي", "Python 3", "١٢٣", "\u{200F}", "\u{202E}", "\t", "\r\n", "\n", "\n\n", " ", "é", "😀", "\u{0}",
        "---\n", "title: x\n", "day: 1\n", "…",
        // Fences CommonMark closes at the end of a list item or quote, markers indented
        // under an item, raw HTML and a heading id right above a marker.
        "- ```\n", "1. ~~~python\n", "  ```\n", "> ```\n", "  ::: trainer\n", "   :::\n", "<div>\n", "```js title=\"`x`\"\n", "## Titre {#mon-id}\n",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

/// Text without block markers or code fences: what goes inside well-formed blocks.
fn prose() -> impl Strategy<Value = String> {
    author_text().prop_map(|t| t.lines().map(str::trim_start).filter(|l| !l.starts_with(":::") && !l.starts_with("```") && !l.starts_with("~~~")).collect::<Vec<_>>().join("\n"))
}

/// A well-formed lesson: prose, an exercise, its solution, a trainer block and code.
fn lesson_body() -> impl Strategy<Value = String> {
    (prose(), prose(), prose(), prose(), prose()).prop_map(|(a, b, c, d, code)| {
        format!("{a}\n\n::: exercise\n{b}\n:::\n\n::: solution\n{c}\n:::\n\n::: trainer\n{d}\n:::\n\n```python\n{code}\n```\n")
    })
}

fn html_ctx<'a>(resolve: &'a dyn Fn(&str) -> Result<String, String>, highlighter: &'a dars::highlight::Highlighter) -> HtmlContext<'a> {
    HtmlContext { file: Path::new("l.fr.md"), highlighter, resolve, check_image: &|_| Ok(()), max_depth: 16, labels: BlockLabels { exercise: "E", solution: "S", trainer: "T" } }
}

fn typesetter() -> &'static Typesetter {
    static T: std::sync::OnceLock<Typesetter> = std::sync::OnceLock::new();
    T.get_or_init(|| Typesetter::new(&font_files(&common::theme_dir().join("static/fonts"))).unwrap_or_else(|d| panic!("{d}")))
}

fn highlighter() -> &'static dars::highlight::Highlighter {
    static H: std::sync::OnceLock<dars::highlight::Highlighter> = std::sync::OnceLock::new();
    H.get_or_init(dars::highlight::Highlighter::new)
}

/// A folder with the one image the generated texts refer to.
fn media_root() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpus");
        dars::corpus::generate(&corpus, 1, 1).unwrap();
        std::fs::copy(corpus.join("day-1/schema.png"), dir.path().join("missing.png")).unwrap();
        dir
    })
    .path()
}

/// Lesson markup inside a small document with the theme's block functions, typeset.
fn typeset(markup: &str) -> Result<Vec<u8>, dars::Diagnostics> {
    let blocks = std::fs::read_to_string(common::theme_dir().join("handout/blocks.typ")).unwrap();
    let main = "#import \"/blocks.typ\": *\n#set text(font: (\"Noto Sans\", \"Noto Naskh Arabic\"))\nSTART\n#include \"/lesson.typ\"\nEND\n";
    let doc = Document {
        sources: vec![
            SourceFile { virtual_path: "/main.typ".into(), text: main.into(), origin: "main.typ".into() },
            SourceFile { virtual_path: "/blocks.typ".into(), text: blocks, origin: "blocks.typ".into() },
            SourceFile { virtual_path: "/lesson.typ".into(), text: format!("#import \"/blocks.typ\": *\n{markup}"), origin: "lesson.md".into() },
        ],
        files: vec![("/data.json".into(), br#"{"labels": {"exercise": "E", "solution": "S", "for_the_trainer": "T", "media_on_website": "M"}}"#.to_vec())],
        media_root: media_root().to_path_buf(),
        today: (2025, 10, 20),
        name: "the test document".into(),
        limit_origin: "programme.yaml".into(),
        max_pages: 400,
    };
    typesetter().pdf(&doc)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn front_matter_never_panics(text in author_text(), yaml in "[a-z_:\\[\\]{}\"' \\n0-9#-]{0,200}") {
        let file = format!("---\n{yaml}\n---\n{text}");
        if let Ok((front, _, line)) = dars::load::split_front_matter(&file) {
            prop_assert!(line >= 3);
            let _ = dars::yaml::parse::<dars::yaml::FrontMatter>(front, Path::new("x.md"), 2);
        }
        let _ = dars::load::decode_text(file.as_bytes());
    }

    #[test]
    fn markdown_to_html_never_panics_and_keeps_trainer_text_private(text in author_text()) {
        let accept = |d: &str| Ok(d.to_string());
        let ctx = html_ctx(&accept, highlighter());
        if let Ok(blocks) = split_blocks(&text, 1, Path::new("l.fr.md")) {
            let public = render_html(&blocks, Audience::Public, &ctx);
            prop_assert!(public.is_ok());
            let secret = "SECRET-TRAINER-LINE";
            let with_secret = format!("{text}\n\n::: trainer\n{secret}\n:::\n");
            if let Ok(blocks) = split_blocks(&with_secret, 1, Path::new("l.fr.md")) {
                let html = render_html(&blocks, Audience::Public, &ctx).unwrap().html;
                prop_assert!(!html.contains(secret), "trainer text leaked into:\n{html}");
            }
        }
    }

    #[test]
    fn lesson_text_never_breaks_the_typst_document(text in lesson_body()) {
        // Images are reported by the converter (tested elsewhere); here they are files.
        let image = |d: &str| Ok(format!("/media/{d}"));
        let tcx = TypstContext { file: Path::new("l.fr.md"), image: &image };
        let blocks = split_blocks(&text, 1, Path::new("l.fr.md"));
        prop_assert!(blocks.is_ok(), "well-formed blocks are accepted: {text:?}");
        let blocks = blocks.unwrap();
        let markup = blocks_to_typst(&blocks, Audience::Trainer, &tcx).unwrap();
        let pdf = typeset(&markup);
        prop_assert!(pdf.is_ok(), "input {text:?}\nmarkup {markup}\nerror {}", pdf.unwrap_err());
    }
}

/// Found by the property tests: a code fence left open swallowed a later trainer block
/// into a code block shown on the public page. It is now an error naming the fence's line.
#[test]
fn unclosed_fence_before_a_trainer_block_is_refused() {
    let text = "`code`| a | b |\n|---|---|\n| 1 | 2 |\n```\n\n::: trainer\nSECRET\n:::\n";
    let err = split_blocks(text, 1, Path::new("l.fr.md")).unwrap_err();
    assert_eq!(err.0[0].line, Some(4));
}

/// Inputs worth keeping, typeset as the property test does.
#[test]
fn regressions() {
    for text in [
        // A heading made only of markup characters.
        "# =\n",
        // An unclosed emphasis inside a table cell.
        "| *a | b |\n|---|---|\n",
        // A footnote definition with nothing in it.
        "[^1]:\n",
        // Typst code typed as text.
        "#set page(width: 1pt) #panic() ] [",
        // Right-to-left override inside a code span.
        "`\u{202E}abc`",
        // A fence closed by the end of its list item, then a trainer block.
        "1. Étape\n   ```python\n   x = 1\n2. Suite\n\n::: trainer\nT\n:::\n",
        // A fence in a quote, a marker right below it; a heading with its id.
        "> ```\n> code\n::: trainer\nT\n:::\n## Titre {#mon-id}\n",
    ] {
        assert!(split_blocks(text, 1, Path::new("l.fr.md")).is_ok());
        let image = |d: &str| Err(format!("no image {d}"));
        let tcx = TypstContext { file: Path::new("l.fr.md"), image: &image };
        let blocks = split_blocks(text, 1, Path::new("l.fr.md")).unwrap();
        let markup = blocks_to_typst(&blocks, Audience::Trainer, &tcx).unwrap();
        assert!(typeset(&markup).is_ok(), "{text:?} → {markup}");
    }
}

/// Found with tests/typst_oracle.rs, typeset as the property test does: text right after a
/// construct continued it as a call ("expected function, found content") or as arguments
/// in code mode (errors about `\`, `#`, `،`, `*`, commas); the note for a video inside
/// emphasis made typst's PDF tagging panic; JavaScript typst's highlighter never finishes.
#[test]
fn typst_markup_regressions() {
    for text in [
        "Appelez `alert`(1).",
        "**gras**(x)",
        "*mot*(x)",
        "[x](https://a.b)(y)",
        "`a`(\\) `b`(#x) `c`(،) **g**(*x*) `f`(a b)",
        "*& ***<video c=\"\">ن****0",
        "```js\n'\n'\n\t/*\n```\n",
    ] {
        let image = |d: &str| Err(format!("no image {d}"));
        let tcx = TypstContext { file: Path::new("l.fr.md"), image: &image };
        let blocks = split_blocks(text, 1, Path::new("l.fr.md")).unwrap();
        let markup = blocks_to_typst(&blocks, Audience::Trainer, &tcx).unwrap();
        assert!(typeset(&markup).is_ok(), "{text:?} → {markup}");
    }
}
