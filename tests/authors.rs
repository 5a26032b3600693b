//! Markdown as other authors write it: text that looks like HTML, links with queries and
//! escapes, file names with accents and Arabic letters, e-mail autolinks, raw HTML on the
//! page and on paper.

mod common;

use std::fs;
use std::path::Path;

use common::*;

fn lesson(title: &str, order: u32, extra_front: &str, body: &str) -> String {
    format!("---\ntitle: \"{title}\"\nday: 2\norder: {order}\nduration_minutes: 10\nage: {{ min: 8, max: 15 }}\nsummary: \"Résumé\"\nobjectives: [Lire]\nmaterials: []\n{extra_front}---\n{body}")
}

/// A small valid PNG (1 × 1 pixel).
fn png() -> Vec<u8> {
    // Made once with zlib and the PNG chunk format (a red pixel).
    let hex = "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082";
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\"/></svg>";

const BODY_FR: &str = "## Attributs\n\
\n\
Un attribut src=\"photo.png\" et href=\"page.html\" en texte, puis en code : `<img src=\"photo.png\">`.\n\
\n\
![Un élève](élève.png) ![Le même](%C3%A9l%C3%A8ve.png) ![صورة](صورة.png) ![Schéma](schema.svg?v=2)\n\
\n\
Voir [la leçon](../day-1/01-first.fr.md?from=2#début) ou écrire à <contact@example.org>.\n\
\n\
<!-- note de l'auteur -->Texte visible après un commentaire\n\
\n\
<video src=\"https://example.org/v.mp4\" controls></video>\n\
\n\
<script>alert('bonjour')</script>\n";

fn write_lessons(content: &Path) {
    let day2 = content.join("day-2");
    fs::write(day2.join("élève.png"), png()).unwrap();
    fs::write(day2.join("صورة.png"), png()).unwrap();
    fs::write(day2.join("schema.svg"), SVG).unwrap();
    fs::write(day2.join("02-auteurs.fr.md"), lesson("Auteurs", 2, "", BODY_FR)).unwrap();
    fs::write(day2.join("02-auteurs.ar.md"), lesson("مؤلفون", 2, "", "## سمات\n\nنص عربي مع `print()` في السطر.\n")).unwrap();
}

#[test]
fn other_authors_markdown_builds_links_resolve_and_raw_html_follows_the_rule() {
    let (_dir, root) = minimal_project();
    let content = root.join("content");
    write_lessons(&content);
    let result = dars(&["build", "--root", root.to_str().unwrap()]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let warnings = String::from_utf8_lossy(&result.stderr).into_owned();
    assert!(warnings.contains("02-auteurs.fr.md:23: warning: raw HTML with `<script>`"), "{warnings}");
    assert!(warnings.contains("02-auteurs.fr.md:21: warning: raw HTML `<video>` cannot be printed"), "{warnings}");
    let out = root.join("output");
    let page = fs::read_to_string(out.join("fr/day-2/auteurs/index.html")).unwrap();
    // Every link of the page leads to a file that exists.
    for link in links_of(&page).into_iter().filter(|l| is_internal(l)) {
        let decoded = dars::render::links::file_part(&link).unwrap();
        let target = resolve("fr/day-2/auteurs/index.html", &decoded).unwrap();
        assert!(out.join(&target).is_file(), "{link} → {target} is missing");
    }
    assert!(out.join("media/day-2/élève.png").is_file() && out.join("media/day-2/صورة.png").is_file());
    assert!(page.contains("href=\"mailto:contact@example.org\""), "an e-mail autolink is a mailto: link");
    assert!(page.contains("src=&quot;photo.png&quot;"), "text that looks like an attribute stays text");
    // On paper: the text after the comment, a note for the video, nothing of the script.
    let pdf = out.join("fr/day-2/handout/day-2-learner-fr.pdf");
    let text = poppler("pdftotext", &[pdf.to_str().unwrap(), "-"]);
    assert!(text.contains("Texte visible après un commentaire"), "{text}");
    assert!(text.contains("voir la page de la leçon sur le site web"), "the video is a note: {text}");
    assert!(!text.contains("alert"), "{text}");
    assert!(!text.contains("<!--"), "{text}");
}

#[test]
fn a_lesson_that_vouches_for_its_script_is_not_warned_about() {
    let (_dir, root) = minimal_project();
    let content = root.join("content");
    write_lessons(&content);
    let fr = content.join("day-2/02-auteurs.fr.md");
    fs::write(&fr, lesson("Auteurs", 2, "allow_active_html: true\n", BODY_FR)).unwrap();
    let check = dars(&["check", "--root", root.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(!report.contains("`<script>`"), "{report}");
    assert!(report.contains("`<video>` cannot be printed"), "media are still said: {report}");
}

/// A PNG whose header is right and whose pixels are damaged: only a full decode finds it.
fn damaged_png() -> Vec<u8> {
    let mut png = png();
    // The zlib stream of the pixels starts after the IDAT tag: break its header.
    let idat = png.windows(4).position(|w| w == b"IDAT").unwrap() + 4;
    png[idat] = 0xFF;
    png[idat + 1] = 0xFF;
    png
}

#[test]
fn an_image_the_pdf_cannot_decode_is_one_error_at_the_lesson_line_and_check_finds_it_without_typesetting() {
    let (_dir, root) = minimal_project();
    let day2 = root.join("content/day-2");
    fs::write(day2.join("abime.png"), damaged_png()).unwrap();
    fs::write(day2.join("02-image.fr.md"), lesson("Image", 2, "", "Texte.\n\nEncore.\n\n![abîmée](abime.png)\n")).unwrap();
    fs::write(day2.join("02-image.ar.md"), lesson("صورة", 2, "", "نص.\n")).unwrap();
    let build = dars(&["build", "--root", root.to_str().unwrap()]);
    assert!(!build.status.success());
    let err = String::from_utf8_lossy(&build.stderr).into_owned();
    assert!(err.contains("02-image.fr.md:15: error: cannot typeset the PDF: failed to decode image"), "{err}");
    assert_eq!(err.matches(": error: ").count(), 1, "one error, no broken links that follow from it: {err}");
    let check = dars(&["check", "--root", root.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(report.contains("content/day-2/abime.png: error: this image cannot be decoded"), "{report}");
}
