//! Languages as data: a programme in French, Tamazight in Tifinagh (zgh) and English, the
//! last one half translated (tests/fixtures/languages), built once with its PDFs.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;

fn content() -> PathBuf {
    project_root().join("tests/fixtures/languages/content")
}

fn built() -> &'static Path {
    static OUT: OnceLock<tempfile::TempDir> = OnceLock::new();
    OUT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let result = build_with_binary(&content(), &dir.path().join("output"));
        assert!(result.status.success(), "build failed:\n{}", String::from_utf8_lossy(&result.stderr));
        dir
    })
    .path()
}

fn output(rel: &str) -> PathBuf {
    built().join("output").join(rel)
}

fn page(rel: &str) -> String {
    fs::read_to_string(output(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn pdf_text(rel: &str) -> String {
    poppler("pdftotext", &[output(rel).to_str().unwrap(), "-"])
}

fn is_tifinagh(c: char) -> bool {
    ('\u{2D30}'..='\u{2D7F}').contains(&c)
}

/// Runs of Tifinagh letters of a text, as they should read in a PDF.
fn tifinagh_words(text: &str) -> Vec<String> {
    text.split(|c: char| !is_tifinagh(c)).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// A UI label of the default theme, as its strings file writes it.
fn label(lang: &str, key: &str) -> String {
    let yaml = fs::read_to_string(theme_dir().join(format!("i18n/{lang}.yaml"))).unwrap();
    let line = yaml.lines().find(|l| l.trim_start().starts_with(&format!("{key}:"))).unwrap_or_else(|| panic!("{lang}.yaml has no {key}"));
    line.split_once(':').unwrap().1.trim().trim_matches('"').to_string()
}

#[test]
fn tamazight_handouts_print_every_tifinagh_letter_of_their_lessons() {
    let mut sources = String::new();
    for name in ["01-alphabet.zgh.md", "02-keyboard.zgh.md"] {
        sources.push_str(&fs::read_to_string(content().join("day-1").join(name)).unwrap());
    }
    let words = tifinagh_words(&sources);
    assert!(words.len() > 40, "the fixture is in Tifinagh: {words:?}");
    // The trainer handout holds every text of the lessons: titles, summaries, objectives,
    // materials, trainer notes, body, code.
    let trainer = pdf_text("zgh/day-1/handout/day-1-trainer-zgh.pdf");
    let pdf_words: std::collections::HashSet<String> = tifinagh_words(&trainer).into_iter().collect();
    let lost: Vec<&String> = words.iter().filter(|w| !pdf_words.contains(*w)).collect();
    assert!(lost.is_empty(), "Tifinagh words of the lessons missing from the PDF text: {lost:?}\n{trainer}");
    // The alphabet, letter by letter (ⴳⵯ with its labialization mark), and the string of
    // the code block, set in the code font with Tifinagh from the language's fonts.
    let alphabet = "ⴰ ⴱ ⴳ ⴳⵯ ⴷ ⴹ ⴻ ⴼ ⴽ ⴽⵯ ⵀ ⵃ ⵄ ⵅ ⵇ ⵉ ⵊ ⵍ ⵎ ⵏ ⵓ ⵔ ⵕ ⵖ ⵙ ⵚ ⵛ ⵜ ⵟ ⵡ ⵢ ⵣ ⵥ";
    assert!(sources.contains(alphabet));
    for rel in ["zgh/day-1/handout/day-1-learner-zgh.pdf", "zgh/day-1/handout/day-1-trainer-zgh.pdf", "fr/day-1/handout/day-1-trainer-fr.pdf"] {
        let text = pdf_text(rel);
        assert!(text.contains(alphabet), "{rel} lost letters of the alphabet:\n{text}");
        assert!(text.contains("print(\"ⴰⵣⵓⵍ\")"), "{rel}: the code's Tifinagh string:\n{text}");
        let fonts = poppler("pdffonts", &[output(rel).to_str().unwrap()]);
        assert!(fonts.contains("NotoSansTifinagh"), "{rel} embeds the Tifinagh font:\n{fonts}");
    }
}

#[test]
fn tamazight_pages_say_their_language_and_use_the_tifinagh_font() {
    let html = page("zgh/day-1/alphabet/index.html");
    assert_eq!(html_tag(&html), r#"<html lang="zgh" dir="ltr">"#);
    assert!(html.contains("ⴰⴳⵎⵎⴰⵢ ⵏ ⵜⴼⵉⵏⴰⵖ"));
    // The labels it has are in Tifinagh; the ones it lacks are in French meanwhile.
    assert!(html.contains(&format!("{} 1", label("zgh", "day"))));
    assert!(html.contains(&label("fr", "objectives")));
    let css = page("static/style.css");
    assert!(css.contains("font-family: \"Noto Sans Tifinagh\""), "an @font-face for Tifinagh");
    assert!(files_below(&output("static")).iter().any(|f| f.contains("NotoSansTifinagh")), "the font is published");
    assert!(html.contains("<a class=\"lang-link\"") && html.contains("lang=\"en\""));
}

#[test]
fn an_untranslated_lesson_is_shown_in_its_source_language_with_a_notice() {
    let en = page("en/day-1/keyboard/index.html");
    assert_eq!(html_tag(&en), r#"<html lang="en" dir="ltr">"#);
    let notice = label("en", "untranslated_notice").replace("{language}", "Français");
    assert!(en.contains(&format!(r#"<p class="untranslated-notice" role="note">{notice}</p>"#)), "{en}");
    // Its text says it is French; the page around it is English.
    assert!(en.contains(r#"<h1 lang="fr" dir="ltr">Le clavier</h1>"#), "{en}");
    assert!(en.contains(r#"<div class="lesson-body" lang="fr" dir="ltr">"#));
    assert!(en.contains(&label("en", "objectives")));
    // Search engines are not told it is an English version, on any version of the page.
    for lang in ["fr", "zgh", "en"] {
        let html = page(&format!("{lang}/day-1/keyboard/index.html"));
        assert!(!html.contains(r#"<link rel="alternate" hreflang="en""#), "{lang} page names the fallback as English:\n{html}");
        assert!(!html.contains(r#"class="lang-link" href="../../../en/day-1/keyboard/index.html" hreflang"#), "{lang}: the switch to it");
        assert!(html.contains(r#"<link rel="alternate" hreflang="zgh""#));
    }
    let translated = page("en/day-1/alphabet/index.html");
    assert!(translated.contains(r#"<link rel="alternate" hreflang="en" href="../../../en/day-1/alphabet/index.html">"#));
    assert!(!translated.contains("untranslated-notice"));
    let sitemap = page("sitemap.xml");
    assert!(!sitemap.contains("en/day-1/keyboard/"), "{sitemap}");
    assert!(sitemap.contains("en/day-1/alphabet/"));
    // Its link to another lesson stays in English pages; the day lists its French title.
    assert!(links_of(&en).iter().any(|l| l == "../../../en/day-1/alphabet/index.html"));
    assert!(page("en/day-1/index.html").contains(r#"<bdi lang="fr">Le clavier</bdi>"#));
    // On paper too: the notice, then the French lesson.
    let pdf = pdf_text("en/day-1/handout/day-1-learner-en.pdf");
    let at = pdf.find(&notice).unwrap_or_else(|| panic!("notice in the English handout:\n{pdf}"));
    assert!(pdf[at..].contains("Le clavier") && pdf[at..].contains("Ouvre l'éditeur"), "{pdf}");
}

#[test]
fn check_lists_what_is_left_to_translate_as_warnings() {
    let (content, theme) = (content(), theme_dir());
    let args = ["check", "--content", content.to_str().unwrap(), "--theme", theme.to_str().unwrap()];
    let out = dars(&args);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(
        report.contains("content/day-1/02-keyboard.fr.md: warning: lesson has no `en` translation: `en` pages show it in `fr` with a notice; add day-1/02-keyboard.en.md next to it"),
        "{report}"
    );
    assert!(report.contains("i18n/zgh.yaml: warning: ") && report.contains("shown in `fr` on `zgh` pages meanwhile: ") && report.contains(" activity, "), "{report}");
    assert!(!report.contains(": error:") && report.ends_with("0 error(s), 2 warning(s) in 2 file(s)\n"), "{report}");
    let strict = dars(&[&args[..], &["--strict"]].concat());
    assert_eq!(strict.status.code(), Some(1));
}

/// A copy of the default theme with one strings file changed.
fn theme_with(lang: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&theme_dir(), dir.path());
    let path = dir.path().join(format!("i18n/{lang}.yaml"));
    fs::write(&path, edit(fs::read_to_string(&path).unwrap())).unwrap();
    dir
}

#[test]
fn fonts_and_scripts_of_a_language_are_checked_where_they_are_declared() {
    let check = |theme: &Path| {
        let out = dars(&["check", "--content", content().to_str().unwrap(), "--theme", theme.to_str().unwrap()]);
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    // A font the theme does not have: an error at the strings file, not a PDF without it.
    let theme = theme_with("zgh", |s| s.replace("\"Noto Sans Tifinagh\", ", "\"Noto Sans Tifnagh\", "));
    let (code, report) = check(theme.path());
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("i18n/zgh.yaml: error: font `Noto Sans Tifnagh` of `fonts:` is not in the theme's static/fonts/ (it has DejaVu Sans Mono, Noto Naskh Arabic, Noto Sans, Noto Sans Tifinagh)"), "{report}");
    // Without the Tifinagh font, every Tifinagh line of a lesson is named, with its letters.
    let theme = theme_with("zgh", |s| s.replace("\"Noto Sans Tifinagh\", ", ""));
    let (code, report) = check(theme.path());
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("day-1/01-alphabet.zgh.md:14: warning: characters `ⴰ` `ⴱ` `ⴳ` `ⵯ` `ⴷ`"), "{report}");
    assert!(report.contains("day-1/02-keyboard.zgh.md:2: warning: characters `ⴰ` `ⵏ` `ⵙ` `ⵖ` (U+2D30 U+2D4F U+2D59 U+2D56) have no glyph in the fonts of `zgh` (Noto Sans, Noto Naskh Arabic, DejaVu Sans Mono)"), "{report}");
    // Declared in another script, Tamazight lessons in Tifinagh are in the wrong one.
    let theme = theme_with("zgh", |s| s.replace("script: Tifinagh", "script: Arabic"));
    let (_, report) = check(theme.path());
    assert!(report.contains("day-1/01-alphabet.zgh.md:2: warning: the `zgh` lesson has no Arabic letters; is it the right file?"), "{report}");
    assert!(!report.contains("01-alphabet.fr.md:2: warning: the"), "{report}");
}
