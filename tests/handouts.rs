//! Handouts as a trainer gets them: HTML and PDF per day, language and version, the text
//! inside the PDFs (read back with poppler's pdftotext), embedded fonts, the offline pack.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

fn build_once(cell: &'static OnceLock<tempfile::TempDir>, content: PathBuf) -> PathBuf {
    cell.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let result = build_with_binary(&content, &dir.path().join("output"));
        assert!(result.status.success(), "build failed:\n{}", String::from_utf8_lossy(&result.stderr));
        dir
    })
    .path()
    .join("output")
}

fn shipped() -> PathBuf {
    static OUT: OnceLock<tempfile::TempDir> = OnceLock::new();
    build_once(&OUT, project_root().join("content"))
}

fn fixture() -> PathBuf {
    static OUT: OnceLock<tempfile::TempDir> = OnceLock::new();
    build_once(&OUT, project_root().join("tests/fixtures/minimal/content"))
}

fn run(tool: &str, args: &[&str]) -> String {
    poppler(tool, args)
}

fn pdf_text(pdf: &Path) -> String {
    run("pdftotext", &[pdf.to_str().unwrap(), "-"])
}

/// (day, lang) → lesson titles, from the sources.
fn titles(day: u32, lang: &str) -> Vec<String> {
    let dir = project_root().join(format!("content/day-{day}"));
    let mut names: Vec<PathBuf> = fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.to_string_lossy().ends_with(&format!(".{lang}.md"))).collect();
    names.sort();
    names
        .iter()
        .map(|p| {
            let text = fs::read_to_string(p).unwrap();
            let line = text.lines().find(|l| l.starts_with("title:")).unwrap();
            line["title:".len()..].trim().trim_matches('"').to_string()
        })
        .collect()
}

#[test]
fn every_day_has_both_handouts_in_both_languages_as_html_and_pdf() {
    let out = shipped();
    for day in 1..=5 {
        for lang in ["fr", "ar"] {
            for version in ["learner", "trainer"] {
                let html = out.join(format!("{lang}/day-{day}/handout/{version}.html"));
                let pdf = out.join(format!("{lang}/day-{day}/handout/day-{day}-{version}-{lang}.pdf"));
                assert!(html.is_file(), "{}", html.display());
                assert!(fs::read(&pdf).unwrap().starts_with(b"%PDF-"), "{}", pdf.display());
                let page = fs::read_to_string(&html).unwrap();
                assert!(html_tag(&page).contains(&format!("lang=\"{lang}\"")));
            }
        }
    }
}

#[test]
fn pdfs_hold_every_lesson_title_of_their_day() {
    let out = shipped();
    for day in 1..=5 {
        for lang in ["fr", "ar"] {
            let lesson_titles = titles(day, lang);
            assert!(lesson_titles.len() >= 3);
            for version in ["learner", "trainer"] {
                let pdf = out.join(format!("{lang}/day-{day}/handout/day-{day}-{version}-{lang}.pdf"));
                let text = skeleton(&pdf_text(&pdf));
                for title in &lesson_titles {
                    assert!(text.contains(&skeleton(title)), "{}: title {title:?} not found", pdf.display());
                }
            }
        }
    }
}

#[test]
fn pdf_fonts_are_embedded() {
    let out = shipped();
    for pdf in ["fr/day-1/handout/day-1-learner-fr.pdf", "ar/day-3/handout/day-3-trainer-ar.pdf"] {
        let fonts = run("pdffonts", &[out.join(pdf).to_str().unwrap()]);
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(!rows.is_empty(), "{pdf} lists no font");
        for row in rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            // name type… encoding emb sub uni object ID: `emb` is the fifth column from the end.
            assert_eq!(cols[cols.len() - 5], "yes", "{pdf}: font not embedded: {row}");
        }
        if pdf.starts_with("ar/") {
            assert!(fonts.contains("NotoNaskhArabic"), "{pdf} uses the Arabic font:\n{fonts}");
        }
    }
}

#[test]
fn trainer_parts_reach_the_trainer_handout_only() {
    let out = fixture();
    for (lang, note, secret, answer) in [("fr", "NOTE-FORMATEUR-FR", "SECRET-FORMATEUR-FR", "REPONSE-FR"), ("ar", "NOTE-FORMATEUR-AR", "SECRET-FORMATEUR-AR", "REPONSE-AR")] {
        let trainer = pdf_text(&out.join(format!("{lang}/day-1/handout/day-1-trainer-{lang}.pdf")));
        let learner = pdf_text(&out.join(format!("{lang}/day-1/handout/day-1-learner-{lang}.pdf")));
        for marker in [note, secret, answer] {
            assert!(trainer.contains(marker), "{lang} trainer PDF lacks {marker}");
            assert!(!learner.contains(marker), "{lang} learner PDF shows {marker}");
        }
        let trainer_html = fs::read_to_string(out.join(format!("{lang}/day-1/handout/trainer.html"))).unwrap();
        let learner_html = fs::read_to_string(out.join(format!("{lang}/day-1/handout/learner.html"))).unwrap();
        assert!(trainer_html.contains(note) && trainer_html.contains(secret) && trainer_html.contains(answer));
        assert!(!learner_html.contains(note) && !learner_html.contains(secret) && !learner_html.contains(answer));
    }
    // No public page carries trainer-only text; the public lesson hides the solution in <details>.
    for page in files_below(&out).into_iter().filter(|p| p.ends_with(".html") && !p.contains("/handout/")) {
        let html = fs::read_to_string(out.join(&page)).unwrap();
        for marker in ["NOTE-FORMATEUR", "SECRET-FORMATEUR"] {
            assert!(!html.contains(marker), "{page} shows {marker}");
        }
    }
    let lesson = fs::read_to_string(out.join("fr/day-1/first/index.html")).unwrap();
    assert!(lesson.contains("<details class=\"block solution\">") && lesson.contains("REPONSE-FR"));
}

#[test]
fn trainer_handout_has_the_timetable_and_the_days_materials() {
    let out = fixture();
    let text = pdf_text(&out.join("fr/day-1/handout/day-1-trainer-fr.pdf"));
    for needle in ["09:00", "09:45", "10:00", "10:30", "Pause", "Un crayon"] {
        assert!(text.contains(needle), "trainer PDF lacks {needle}:\n{text}");
    }
    let learner = pdf_text(&out.join("fr/day-1/handout/day-1-learner-fr.pdf"));
    assert!(!learner.contains("Pause"), "the learner handout has no timetable");
}

#[test]
fn each_lesson_starts_on_a_new_page() {
    let out = fixture();
    let text = pdf_text(&out.join("fr/day-1/handout/day-1-learner-fr.pdf"));
    let pages: Vec<&str> = text.split('\u{c}').collect();
    for title in ["Première leçon", "Deuxième leçon"] {
        let page = pages.iter().position(|p| p.contains(&format!("{title}\n"))).unwrap_or_else(|| panic!("{title} missing"));
        // Titles also appear in the cover's contents; the lesson page is the last one naming it first.
        assert!(page > 0);
    }
    let first = pages.iter().rposition(|p| p.contains("Première leçon")).unwrap();
    let second = pages.iter().rposition(|p| p.contains("Deuxième leçon")).unwrap();
    assert!(second > first, "lessons come in order on their own pages");
}

#[test]
fn offline_pack_holds_every_pdf_of_its_language() {
    let out = shipped();
    for lang in ["fr", "ar"] {
        let zip = out.join(format!("{lang}/downloads/handouts-{lang}.zip"));
        let listing = Command::new("python3").args(["-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))", zip.to_str().unwrap()]).output().unwrap();
        let names = String::from_utf8_lossy(&listing.stdout);
        for day in 1..=5 {
            for version in ["learner", "trainer"] {
                assert!(names.contains(&format!("day-{day}-{version}-{lang}.pdf")), "{lang} pack lacks day {day} {version}:\n{names}");
            }
        }
    }
}

#[test]
fn downloads_page_lists_every_handout_with_sizes_and_is_linked() {
    let out = shipped();
    for lang in ["fr", "ar"] {
        let page = fs::read_to_string(out.join(format!("{lang}/downloads/index.html"))).unwrap();
        for day in 1..=5 {
            for version in ["learner", "trainer"] {
                assert!(page.contains(&format!("href=\"../../{lang}/day-{day}/handout/day-{day}-{version}-{lang}.pdf\"")), "{lang} day {day} {version}");
                assert!(page.contains(&format!("href=\"../../{lang}/day-{day}/handout/{version}.html\"")));
            }
        }
        assert!(page.contains(&format!("handouts-{lang}.zip")));
        let unit = if lang == "fr" { " Ko" } else { " ك.ب" };
        assert!(page.matches(unit).count() >= 11, "{lang}: sizes shown");
        let home = fs::read_to_string(out.join(format!("{lang}/index.html"))).unwrap();
        assert!(home.contains("href=\"../") && home.contains("downloads/index.html"));
        let day = fs::read_to_string(out.join(format!("{lang}/day-2/index.html"))).unwrap();
        assert!(day.contains(&format!("handout/day-2-learner-{lang}.pdf")) && day.contains("downloads/index.html"));
    }
}

#[test]
fn missing_image_names_the_lesson() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    copy_tree(&project_root().join("tests/fixtures/minimal/content"), &content);
    let lesson = content.join("day-2/01-third.fr.md");
    fs::write(&lesson, fs::read_to_string(&lesson).unwrap() + "\n![Un robot](robot.png)\n").unwrap();
    let result = build_with_binary(&content, &dir.path().join("output"));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success());
    assert!(stderr.contains(&format!("{}:13: error:", lesson.display())) && stderr.contains("robot.png"), "{stderr}");
}

#[test]
fn images_in_content_reach_the_page_and_the_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    copy_tree(&project_root().join("tests/fixtures/minimal/content"), &content);
    // A 2×2 PNG made by hand: an image any author could drop next to a lesson.
    let png: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xFD, 0xD4, 0x9A,
        0x73, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0x00, 0x44, 0x0C, 0x10, 0x0A, 0x00, 0x1F, 0xEE, 0x03, 0xFD, 0x8B, 0x5F, 0x14, 0xD4, 0x00, 0x00, 0x00,
        0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    fs::write(content.join("day-2/robot.png"), png).unwrap();
    for lang in ["fr", "ar"] {
        let lesson = content.join(format!("day-2/01-third.{lang}.md"));
        fs::write(&lesson, fs::read_to_string(&lesson).unwrap() + "\n![Un robot](robot.png)\n").unwrap();
    }
    let out = dir.path().join("output");
    let result = build_with_binary(&content, &out);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    assert!(out.join("media/day-2/robot.png").is_file());
    let page = fs::read_to_string(out.join("fr/day-2/third/index.html")).unwrap();
    assert!(page.contains("src=\"../../../media/day-2/robot.png\" alt=\"Un robot\""), "{page}");
    let images = run("pdfimages", &["-list", out.join("fr/day-2/handout/day-2-learner-fr.pdf").to_str().unwrap()]);
    assert!(images.lines().count() > 2, "the PDF embeds the image:\n{images}");
}
