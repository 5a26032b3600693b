//! The shipped programme, built as a visitor gets it: pages, languages, links, sitemap.

mod common;

use std::fs;
use std::sync::OnceLock;

use common::*;

/// The shipped site, built once into a temporary folder for all tests of this file.
fn built() -> &'static std::path::Path {
    static OUT: OnceLock<tempfile::TempDir> = OnceLock::new();
    OUT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("output");
        let result = build_with_binary(&project_root().join("content"), &out);
        assert!(result.status.success(), "build failed:\n{}", String::from_utf8_lossy(&result.stderr));
        dir
    })
    .path()
    .join("output")
    .leak()
}

fn read(rel: &str) -> String {
    fs::read_to_string(built().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// (day, slug, lang) of every lesson source in content/.
fn shipped_lessons() -> Vec<(String, String, String)> {
    let content = project_root().join("content");
    files_below(&content)
        .into_iter()
        .filter(|f| f.ends_with(".md"))
        .map(|f| {
            let (dir, name) = f.rsplit_once('/').unwrap();
            let stem = name.strip_suffix(".md").unwrap();
            let (base, lang) = stem.rsplit_once('.').unwrap();
            let slug = base.split_once('-').unwrap().1;
            let text = fs::read_to_string(content.join(&f)).unwrap();
            let day = text.lines().find_map(|l| l.strip_prefix("day: ")).unwrap().trim().to_string();
            assert_eq!(dir, format!("day-{day}"), "{f} sits in the folder of its day");
            (day, slug.to_string(), lang.to_string())
        })
        .collect()
}

#[test]
fn every_lesson_has_a_page_in_both_languages() {
    let lessons = shipped_lessons();
    assert!(lessons.len() >= 30, "5 days × 3 lessons × 2 languages are shipped, found {}", lessons.len());
    for (day, slug, _) in &lessons {
        for lang in ["fr", "ar"] {
            let page = format!("{lang}/day-{day}/{slug}/index.html");
            assert!(built().join(&page).is_file(), "missing {page}");
        }
    }
    for day in 1..=5 {
        let n = lessons.iter().filter(|(d, _, l)| d == &day.to_string() && l == "ar").count();
        assert!(n >= 3, "day {day} has {n} lessons");
    }
}

#[test]
fn pages_carry_their_language_and_direction() {
    for page in files_below(built()).into_iter().filter(|p| p.ends_with(".html") && p.contains('/')) {
        let html = read(&page);
        let tag = html_tag(&html);
        if page.starts_with("ar/") {
            assert!(tag.contains("lang=\"ar\"") && tag.contains("dir=\"rtl\""), "{page}: {tag}");
        } else if page.starts_with("fr/") {
            assert!(tag.contains("lang=\"fr\"") && tag.contains("dir=\"ltr\""), "{page}: {tag}");
        }
    }
}

#[test]
fn language_switch_leads_to_the_same_page_in_the_other_language() {
    for page in files_below(built()).into_iter().filter(|p| p.starts_with("fr/") || p.starts_with("ar/")) {
        if !page.ends_with(".html") {
            continue;
        }
        let html = read(&page);
        let (lang, rest) = page.split_once('/').unwrap();
        let other = if lang == "fr" { "ar" } else { "fr" };
        let switch = html.split("class=\"lang-link\"").nth(1).unwrap_or_else(|| panic!("{page} has no language switch"));
        let href = switch.split("href=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(resolve(&page, href).as_deref(), Some(format!("{other}/{rest}").as_str()), "{page}");
        assert!(built().join(format!("{other}/{rest}")).is_file());
        for alt in ["fr", "ar"] {
            assert!(html.contains(&format!("<link rel=\"alternate\" hreflang=\"{alt}\"")), "{page} lacks hreflang {alt}");
        }
        assert!(html.contains("<title>") && html.contains("<meta name=\"description\" content=\""), "{page}");
    }
}

#[test]
fn every_internal_link_resolves_to_a_file() {
    let files = files_below(built());
    let mut checked = 0;
    for page in files.iter().filter(|p| p.ends_with(".html")) {
        for link in links_of(&read(page)).into_iter().filter(|l| is_internal(l)) {
            let target = resolve(page, &link).unwrap_or_else(|| panic!("{page}: {link} leaves the site"));
            assert!(files.contains(&target), "{page}: link {link} → {target} does not exist");
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} links checked");
}

#[test]
fn links_between_lessons_point_at_anchors_that_exist() {
    for page in files_below(built()).into_iter().filter(|p| p.ends_with(".html")) {
        for link in links_of(&read(&page)) {
            let Some((path, anchor)) = link.split_once('#') else { continue };
            if anchor.is_empty() || !is_internal(&link) {
                continue;
            }
            let target = if path.is_empty() { page.clone() } else { resolve(&page, path).unwrap() };
            let html = read(&target);
            assert!(html.contains(&format!("id=\"{anchor}\"")), "{page}: {link} has no anchor in {target}");
        }
    }
}

#[test]
fn sitemap_lists_every_page_with_its_translation() {
    let sitemap = read("sitemap.xml");
    let pages: Vec<String> = files_below(built())
        .into_iter()
        .filter(|p| p.ends_with(".html") && p.contains('/') && !p.ends_with("404.html"))
        .collect();
    assert!(pages.len() >= 40);
    for page in &pages {
        assert!(sitemap.contains(&format!("<loc>{page}</loc>")), "sitemap misses {page}");
        let (lang, rest) = page.split_once('/').unwrap();
        let other = if lang == "fr" { "ar" } else { "fr" };
        assert!(sitemap.contains(&format!("hreflang=\"{other}\" href=\"{other}/{rest}\"")));
    }
}

#[test]
fn root_lets_a_visitor_choose_and_sends_to_the_default_language() {
    let root = read("index.html");
    assert!(root.contains("href=\"fr/index.html\"") && root.contains("href=\"ar/index.html\""));
    assert!(root.contains("location.replace(\"fr/index.html\")"));
}

#[test]
fn arabic_dates_use_moroccan_month_names_and_latin_digits() {
    let ar = read("ar/index.html");
    assert!(ar.contains("الاثنين 20 أكتوبر"), "Arabic home shows the first day's date");
    assert!(!ar.chars().any(|c| ('\u{0660}'..='\u{0669}').contains(&c)), "no Arabic-Indic digits");
    let fr = read("fr/index.html");
    assert!(fr.contains("lundi 20 octobre") && fr.contains("vendredi 24 octobre"));
}

#[test]
fn lesson_page_shows_what_a_trainer_needs_and_hides_trainer_blocks() {
    let page = read("fr/day-3/hello-python/index.html");
    for needle in ["Objectifs", "Durée", "Matériel", "Leçon précédente", "Leçon suivante", "class=\"breadcrumb\""] {
        assert!(page.contains(needle), "lesson page lacks {needle}");
    }
    assert!(page.contains("<pre class=\"code\" dir=\"ltr\">"), "code blocks read left to right");
    assert!(page.contains("hl-"), "code is highlighted");
    assert!(!page.contains("class=\"block trainer\""), "trainer blocks are not public");
    let source = fs::read_to_string(project_root().join("content/day-3/01-hello-python.fr.md")).unwrap();
    let notes = source.split("::: trainer\n").nth(1).and_then(|s| s.lines().next()).expect("the lesson has a trainer block");
    assert!(!page.contains(notes.trim()), "trainer text leaked: {notes}");
}

#[test]
fn day_page_lists_lessons_in_order_with_a_timetable() {
    let page = read("fr/day-1/index.html");
    let a = page.find("day-1/what-is-a-computer/index.html").unwrap();
    let b = page.find("day-1/internet-and-the-web/index.html").unwrap();
    let c = page.find("day-1/staying-safe-online/index.html").unwrap();
    assert!(a < b && b < c);
    assert!(page.contains("09:00") && page.contains("Pause"));
}

#[test]
fn centres_page_lists_the_twelve_pilot_centres_by_region() {
    let fr = read("fr/centres/index.html");
    assert_eq!(fr.matches("<th scope=\"row\">").count(), 12);
    for name in ["Dar Chabab Hassnouna", "Complexe Azarqa", "Dar Chabab 20 Août", "Dakhla-Oued Eddahab"] {
        assert!(fr.contains(name), "{name}");
    }
    let ar = read("ar/centres/index.html");
    assert_eq!(ar.matches("<th scope=\"row\">").count(), 12);
    assert!(ar.contains("طنجة") && ar.contains("الداخلة"));
}

#[test]
fn theme_files_and_the_arabic_font_are_published() {
    let css = read("static/style.css");
    assert!(css.contains("Noto Naskh Arabic"));
    // As a WOFF2 subset named by its contents (see tests/weight.rs).
    let naskh = css.split("url(\"").filter_map(|u| u.split('"').next()).find(|u| u.contains("NotoNaskhArabic-Regular")).expect("style.css points at the Arabic font");
    assert!(naskh.ends_with(".woff2") && built().join("static").join(naskh).is_file(), "{naskh}");
    assert!(read("static/highlight.css").contains(".hl-"));
    assert!(!css.contains("margin-left") && !css.contains("padding-right"), "the theme uses logical properties");
}
