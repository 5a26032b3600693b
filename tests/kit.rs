//! The trainer's kit of each centre, as a trainer and a child get it: attendance sheets and
//! day reports per centre and day in both languages (PDFs read back with pdftotext), a
//! centre with its own dates, the centre's page and zip, the children's self-assessment
//! grid in the learner handout only, and kits not typeset again when nothing changed.
//! One small site (the shipped lessons, two centres) is built once for all of them.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;

/// Two centres: the first runs the days on its own dates (from Monday 3 November 2025),
/// the second on the programme's (from Monday 20 October 2025).
const CENTRES: &str = r#"centres:
  - region: { fr: "Tanger-Tétouan-Al Hoceïma", ar: "طنجة تطوان الحسيمة" }
    city: { fr: "Tanger", ar: "طنجة" }
    name: { fr: "Dar Chabab Hassnouna", ar: "دار الشباب حسنونة" }
    trainers: ["Trainer Kitone"]
    room: { fr: "Salle Kitroom", ar: "القاعة الكبرى" }
    contact: "+212 5 00 00 00 00"
    dates: [2025-11-03, 2025-11-04, 2025-11-05, 2025-11-06, 2025-11-07]
  - region: { fr: "Oriental", ar: "الشرق" }
    city: { fr: "Oujda", ar: "وجدة" }
    name: { fr: "Complexe Azarqa", ar: "المركب الأزرق" }
    attendance_rows: 12
"#;

struct Site {
    _dir: tempfile::TempDir,
    root: PathBuf,
    out: PathBuf,
}

fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        copy_tree(&project_root().join("content"), &root.join("content"));
        fs::write(root.join("content/centres.yaml"), CENTRES).unwrap();
        let out = root.join("output");
        let result = build_with_binary(&root.join("content"), &out);
        assert!(result.status.success(), "build failed:\n{}", String::from_utf8_lossy(&result.stderr));
        Site { _dir: dir, root, out }
    })
}

fn pdf_text(pdf: &Path) -> String {
    assert!(fs::read(pdf).unwrap_or_default().starts_with(b"%PDF-"), "{} is not a PDF", pdf.display());
    poppler("pdftotext", &[pdf.to_str().unwrap(), "-"])
}

/// Lesson (title, objectives) of a day in a language, from the lesson files themselves.
fn lessons(day: u32, lang: &str) -> Vec<(String, Vec<String>)> {
    let dir = project_root().join(format!("content/day-{day}"));
    let mut files: Vec<PathBuf> = fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.to_string_lossy().ends_with(&format!(".{lang}.md"))).collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = fs::read_to_string(p).unwrap();
            let front: serde_yaml::Value = serde_yaml::from_str(text.split("---").nth(1).unwrap()).unwrap();
            let title = front["title"].as_str().unwrap().to_string();
            let objectives = front["objectives"].as_sequence().unwrap().iter().map(|o| o.as_str().unwrap().to_string()).collect();
            (title, objectives)
        })
        .collect()
}

/// The words of a self-assessment row as the theme writes them, before the objective.
fn row_words(lang: &str) -> String {
    let strings: serde_yaml::Value = serde_yaml::from_str(&fs::read_to_string(theme_dir().join(format!("i18n/{lang}.yaml"))).unwrap()).unwrap();
    strings["labels"]["self_assessment_row"].as_str().unwrap().replace("{objective}", "").trim().to_string()
}

fn label(lang: &str, key: &str) -> String {
    let strings: serde_yaml::Value = serde_yaml::from_str(&fs::read_to_string(theme_dir().join(format!("i18n/{lang}.yaml"))).unwrap()).unwrap();
    strings["labels"][key].as_str().unwrap().to_string()
}

#[test]
fn attendance_sheet_and_day_report_name_the_centre_the_date_and_every_lesson() {
    let out = &site().out;
    // Day 2 at the first centre is Tuesday 4 November 2025, its own date.
    for (lang, name, date) in [("fr", "Dar Chabab Hassnouna", "mardi 4 novembre 2025"), ("ar", "دار الشباب حسنونة", "الثلاثاء 4 نونبر 2025")] {
        for sheet in ["attendance", "report"] {
            let pdf = out.join(format!("{lang}/centres/dar-chabab-hassnouna/day-2-{sheet}-{lang}.pdf"));
            let text = skeleton(&pdf_text(&pdf));
            assert!(text.contains(&skeleton(name)), "{}: no centre name", pdf.display());
            // The year may be moved past the separator by right-to-left extraction.
            let (day_month, year) = date.rsplit_once(' ').unwrap();
            assert!(text.contains(&skeleton(day_month)) && text.contains(year), "{}: no date {date:?} in {text}", pdf.display());
            assert!(!text.contains(&skeleton(if lang == "fr" { "octobre" } else { "أكتوبر" })), "{}: the programme's date, not the centre's", pdf.display());
            if sheet == "report" {
                for (title, _) in lessons(2, lang) {
                    assert!(text.contains(&skeleton(&title)), "{}: lesson {title:?} missing", pdf.display());
                }
            }
        }
    }
}

#[test]
fn attendance_sheets_have_the_rows_and_columns_asked_for() {
    let out = &site().out;
    // 25 rows by programme.yaml; 12 for the second centre, by centres.yaml.
    for (centre, rows) in [("dar-chabab-hassnouna", 25), ("complexe-azarqa", 12)] {
        let text = pdf_text(&out.join(format!("fr/centres/{centre}/day-1-attendance-fr.pdf")));
        let numbers: Vec<u32> = text.lines().filter_map(|l| l.trim().parse().ok()).filter(|n| *n <= 100).collect();
        assert_eq!(numbers.iter().max(), Some(&rows), "{centre}: rows {numbers:?}");
        assert!(text.contains(&label("fr", "parent_signature")), "the programme asks for a parent's signature");
        assert_eq!(poppler("pdfinfo", &[out.join(format!("fr/centres/{centre}/day-1-attendance-fr.pdf")).to_str().unwrap()]).lines().find(|l| l.starts_with("Pages:")).map(|l| l.split_whitespace().last().unwrap().to_string()), Some("1".into()), "one sheet of paper");
    }
}

#[test]
fn a_centre_with_its_own_dates_gets_them_and_the_others_the_programmes() {
    let out = &site().out;
    let own = fs::read_to_string(out.join("fr/centres/dar-chabab-hassnouna/index.html")).unwrap();
    let other = fs::read_to_string(out.join("fr/centres/complexe-azarqa/index.html")).unwrap();
    for day in 3..=7 {
        assert!(own.contains(&format!("datetime=\"2025-11-0{day}\"")), "own date 2025-11-0{day}");
    }
    assert!(!own.contains("datetime=\"2025-10-2"), "no programme date on the centre with its own");
    for day in 20..=24 {
        assert!(other.contains(&format!("datetime=\"2025-10-{day}\"")), "programme date 2025-10-{day}");
    }
    let print = fs::read_to_string(out.join("ar/centres/dar-chabab-hassnouna/day-1.html")).unwrap();
    assert!(print.contains("الاثنين 3 نونبر 2025"), "the print page of day 1 in Arabic");
    assert!(html_tag(&print).contains("dir=\"rtl\""));
}

#[test]
fn centres_page_downloads_and_centre_page_link_the_kit_and_its_zip() {
    let out = &site().out;
    for lang in ["fr", "ar"] {
        for (page, wanted) in [
            (format!("{lang}/centres/index.html"), vec![format!("{lang}/centres/complexe-azarqa/index.html")]),
            (format!("{lang}/downloads/index.html"), vec![format!("{lang}/centres/dar-chabab-hassnouna/index.html"), "kits/dar-chabab-hassnouna.zip".to_string()]),
            (
                format!("{lang}/centres/dar-chabab-hassnouna/index.html"),
                vec!["kits/dar-chabab-hassnouna.zip".to_string(), format!("{lang}/centres/dar-chabab-hassnouna/day-5-report-{lang}.pdf"), format!("{lang}/centres/dar-chabab-hassnouna/day-5.html")],
            ),
        ] {
            let html = fs::read_to_string(out.join(&page)).unwrap();
            let targets: Vec<String> = links_of(&html).iter().filter_map(|l| resolve(&page, l)).collect();
            for w in wanted {
                assert!(targets.contains(&w), "{page} does not link {w}: {targets:?}");
                assert!(out.join(&w).is_file(), "{w} is missing");
            }
        }
    }
    let centre = fs::read_to_string(out.join("fr/centres/dar-chabab-hassnouna/index.html")).unwrap();
    for fact in ["Salle Kitroom", "Trainer Kitone", "+212 5 00 00 00 00"] {
        assert!(centre.contains(fact), "the centre page shows {fact}");
    }
}

#[test]
fn a_centres_zip_holds_its_kit_and_the_handouts_in_both_languages() {
    let out = &site().out;
    let zip = zip::ZipArchive::new(fs::File::open(out.join("kits/complexe-azarqa.zip")).unwrap()).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    for lang in ["fr", "ar"] {
        for day in 1..=5 {
            for name in ["attendance", "report", "learner", "trainer"] {
                let want = format!("complexe-azarqa/{lang}/day-{day}-{name}-{lang}.pdf");
                assert!(names.contains(&want), "{want} not in the zip: {names:?}");
            }
        }
    }
}

#[test]
fn the_self_assessment_grid_holds_every_objective_in_the_learner_handout_only() {
    let out = &site().out;
    for lang in ["fr", "ar"] {
        let title = skeleton(&label(lang, "self_assessment"));
        let words = skeleton(&row_words(lang));
        for day in [1, 3] {
            let learner = skeleton(&pdf_text(&out.join(format!("{lang}/day-{day}/handout/day-{day}-learner-{lang}.pdf"))));
            let at = learner.rfind(&title).unwrap_or_else(|| panic!("{lang} day {day}: no self-assessment grid"));
            // After the title, which may hold the row's words too ("Ce que je sais faire").
            let grid = &learner[at + title.len()..];
            let objectives: Vec<String> = lessons(day, lang).into_iter().flat_map(|(_, o)| o).collect();
            // One row per objective, each starting with the row's words ("Je sais", "أستطيع").
            assert_eq!(grid.matches(&words).count(), objectives.len(), "{lang} day {day}: rows of the grid:\n{grid}");
            for o in &objectives {
                // In French the row reads on ("je sais nommer …"); pdftotext takes Arabic
                // lines of a wrapped cell out of order, so there every word is looked for.
                let found = if lang == "fr" { in_grid(grid, &words, o) } else { o.split_whitespace().map(skeleton).all(|w| grid.contains(&w)) };
                assert!(found, "{lang} day {day}: objective {o:?} not in the grid:\n{grid}");
            }
            let trainer = skeleton(&pdf_text(&out.join(format!("{lang}/day-{day}/handout/day-{day}-trainer-{lang}.pdf"))));
            for key in ["self_assessment", "self_assessment_intro", "not_yet"] {
                assert!(!trainer.contains(&skeleton(&label(lang, key))), "{lang} day {day}: the grid ({key}) is in the trainer handout");
            }
            for o in objectives.iter().filter(|_| lang == "fr") {
                assert!(!in_grid(&trainer, &words, o), "{lang} day {day}: a grid row ({o:?}) in the trainer handout");
            }
            let learner_html = fs::read_to_string(out.join(format!("{lang}/day-{day}/handout/learner.html"))).unwrap();
            let trainer_html = fs::read_to_string(out.join(format!("{lang}/day-{day}/handout/trainer.html"))).unwrap();
            assert_eq!(learner_html.matches("<section class=\"self-assessment\"").count(), 1);
            assert!(!trainer_html.contains("self-assessment"), "{lang} day {day}: grid on the trainer's print page");
        }
    }
}

/// Whether a grid row says "Je sais" + the objective (its capital made small): the words
/// then the objective's first word, and each of its words shortly after.
fn in_grid(grid: &str, words: &str, objective: &str) -> bool {
    let parts: Vec<String> = objective.split_whitespace().map(skeleton).filter(|w| !w.is_empty()).collect();
    grid.match_indices(&format!("{words}{}", parts[0])).any(|(at, _)| {
        let end = (at + 4 * objective.len() + 40).min(grid.len());
        let row = &grid[at..grid.floor_char_boundary(end)];
        parts.iter().all(|w| row.contains(w.as_str()))
    })
}

#[test]
fn kits_that_did_not_change_are_not_typeset_again() {
    let site = site();
    // A copy of the built project, so the shared build stays as the other tests read it.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    copy_tree(&site.root.join("content"), &root.join("content"));
    copy_tree(&site.out, &root.join("output"));
    let out = root.join("output");
    let index = |out: &Path| -> Vec<String> { fs::read_to_string(out.join("kits/typeset.txt")).unwrap().lines().filter(|l| !l.starts_with('#')).map(str::to_string).collect() };
    let before = index(&out);
    assert_eq!(before.len(), 2 * 2 * 10, "every PDF of both centres' kits is listed: {before:?}");
    // A mark in a PDF of the unchanged centre (same size, still a PDF): only a kit read back
    // from output/ rather than typeset again keeps it.
    let kept = out.join("fr/centres/dar-chabab-hassnouna/day-1-report-fr.pdf");
    let mut bytes = fs::read(&kept).unwrap();
    // A byte of the binary comment on the PDF's second line ("%PDF-1.7\n%…").
    let at = bytes.iter().position(|b| *b == b'\n').unwrap() + 2;
    assert_eq!(bytes[at - 1], b'%', "a comment line after the header");
    bytes[at] = if bytes[at] == 0xAA { 0xAB } else { 0xAA };
    fs::write(&kept, &bytes).unwrap();
    // The second centre gets a room: its kits change, the first centre's do not.
    let centres = CENTRES.to_string() + "    room: { fr: \"Salle Neuve\", ar: \"القاعة الجديدة\" }\n";
    fs::write(root.join("content/centres.yaml"), centres).unwrap();
    let result = build_with_binary(&root.join("content"), &out);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    assert_eq!(fs::read(&kept).unwrap(), bytes, "the unchanged centre's kit was typeset again");
    let after = index(&out);
    let same: Vec<&String> = after.iter().filter(|l| before.contains(l)).collect();
    assert!(same.len() == 20 && same.iter().all(|l| l.contains("dar-chabab-hassnouna")), "only the unchanged centre's entries stay: {same:?}");
    assert!(pdf_text(&out.join("fr/centres/complexe-azarqa/day-1-report-fr.pdf")).contains("Salle Neuve"), "the changed kit is typeset again");
    assert!(files_below(dir.path()).iter().all(|f| f.starts_with("project/content/") || f.starts_with("project/output/")), "nothing kept outside output/");
}

#[test]
fn a_centre_with_the_wrong_number_of_dates_is_an_error_at_its_line() {
    let (_dir, root) = minimal_project();
    let centres = fs::read_to_string(root.join("content/centres.yaml")).unwrap();
    let first_centre_end = centres.lines().position(|l| l.trim_start().starts_with("name:")).unwrap();
    let mut lines: Vec<&str> = centres.lines().collect();
    lines.insert(first_centre_end + 1, "    dates: [2025-11-03]");
    fs::write(root.join("content/centres.yaml"), lines.join("\n") + "\n").unwrap();
    let result = dars(&["build", "--root", root.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success());
    let want = format!("centres.yaml:{}:", first_centre_end + 2);
    assert!(stderr.contains(&want) && stderr.contains("1 dates for"), "expected an error at {want}:\n{stderr}");
    assert!(!root.join("output").exists() || fs::read_dir(root.join("output")).unwrap().next().is_none(), "nothing published");
}
