//! A course written elsewhere: "Code et citoyens", a club's bilingual course about the web,
//! Python and digital citizenship for 10–15-year-olds, first published with another static site
//! generator and migrated into dars as its authors wrote it (tests/fixtures/elsewhere/content:
//! 4 days, 30 lessons in French and in Arabic). Its authors write code right after spans and
//! emphasis, paste HTML (comments, `<kbd>`, `<details>`, a `<script>`, a `<video>`, an
//! `<iframe>`), put `:::` and `#` lines in code, give headings custom ids, name images with
//! accents and Arabic letters and link to them percent-encoded.
//!
//! The site is built once, with its PDF handouts, and checked as a visitor, a learner and a
//! trainer would find it. Every trainer block holds the word ZORGLUB.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

/// In every `::: trainer` block of the fixture, and nowhere else.
const MARKER: &str = "ZORGLUB";
const LANGS: [&str; 2] = ["fr", "ar"];

fn fixture() -> PathBuf {
    project_root().join("tests/fixtures/elsewhere")
}

fn built() -> &'static Path {
    static OUT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &OUT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("output");
        let result = build_with_binary(&fixture().join("content"), &output);
        assert!(result.status.success(), "the migrated course does not build:\n{}", String::from_utf8_lossy(&result.stderr));
        (dir, output)
    })
    .1
}

fn read(rel: &str) -> String {
    fs::read_to_string(built().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn pdf_text(rel: &str) -> String {
    poppler("pdftotext", &[built().join(rel).to_str().unwrap(), "-"])
}

/// One lesson source of the fixture.
struct Lesson {
    lang: String,
    day: u32,
    slug: String,
    file: String,
    title: String,
    text: String,
}

impl Lesson {
    fn page(&self) -> String {
        format!("{}/day-{}/{}/index.html", self.lang, self.day, self.slug)
    }

    /// How many `::: trainer` blocks the source has.
    fn trainer_blocks(&self) -> usize {
        self.text.lines().filter(|l| l.trim() == "::: trainer").count()
    }
}

fn lessons() -> Vec<Lesson> {
    let content = fixture().join("content");
    let mut out = Vec::new();
    for file in files_below(&content).into_iter().filter(|f| f.ends_with(".md")) {
        let text = fs::read_to_string(content.join(&file)).unwrap();
        let name = file.rsplit('/').next().unwrap().strip_suffix(".md").unwrap();
        let (stem, lang) = name.rsplit_once('.').unwrap();
        let slug = stem.split_once('-').unwrap().1.to_string();
        let key = |k: &str| text.lines().find_map(|l| l.strip_prefix(k)).unwrap_or_else(|| panic!("{file} has no {k}")).trim().to_string();
        out.push(Lesson { lang: lang.to_string(), day: key("day:").parse().unwrap(), slug, title: key("title:").trim_matches('"').to_string(), file, text });
    }
    out
}

/// `%XX` escapes decoded (links to `%C3%A9l%C3%A8ve.png` name the file `élève.png`).
fn percent_decoded(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if let (b'%', Some(&h), Some(&l)) = (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            if let (Some(h), Some(l)) = (hex(h), hex(l)) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// The pages of a lesson in a PDF's text (the cover and the day sheet list titles too).
fn lesson_page(pdf: &str, title: &str) -> String {
    let pages: Vec<String> = pdf.split('\u{c}').map(str::to_string).collect();
    let want = skeleton(title);
    // Its pages carry its title in their running header; the first also as its heading.
    let first = pages.iter().position(|p| skeleton(p).matches(&want).count() >= 2).unwrap_or_else(|| panic!("no page starts {title}"));
    let last = pages.iter().rposition(|p| skeleton(p).contains(&want)).unwrap();
    pages[first..=last].join("\u{c}")
}

/// A label of the theme's i18n file (`key: "value"`).
fn label(lang: &str, key: &str) -> String {
    let yaml = fs::read_to_string(theme_dir().join(format!("i18n/{lang}.yaml"))).unwrap();
    let line = yaml.lines().find_map(|l| l.trim().strip_prefix(&format!("{key}:"))).unwrap_or_else(|| panic!("{lang}.yaml has no {key}"));
    line.trim().trim_matches('"').to_string()
}

#[test]
fn every_lesson_has_its_page_in_both_languages() {
    let lessons = lessons();
    let mut pairs: BTreeMap<(u32, String), Vec<&str>> = BTreeMap::new();
    for l in &lessons {
        pairs.entry((l.day, l.slug.clone())).or_default().push(&l.lang);
    }
    assert!(pairs.len() >= 30, "the fixture has {} lessons", pairs.len());
    for ((day, slug), langs) in &pairs {
        assert_eq!(langs.len(), 2, "day {day} {slug} is in {langs:?} only");
    }
    for l in &lessons {
        // French pages put narrow no-break spaces before `!` and `?` (typography).
        let html = read(&l.page()).replace(['\u{202F}', '\u{00A0}'], " ");
        let tag = html_tag(&html);
        assert!(tag.contains(&format!("lang=\"{}\"", l.lang)), "{}: {tag}", l.page());
        assert_eq!(tag.contains("dir=\"rtl\""), l.lang == "ar", "{}: {tag}", l.page());
        let title = l.title.replace('\'', "&#39;").replace('"', "&quot;");
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{} lacks its title {}", l.page(), l.title);
        let day = read(&format!("{}/day-{}/index.html", l.lang, l.day));
        assert!(day.contains(&format!("{}/index.html", l.slug)), "day {} of {} does not list {}", l.day, l.lang, l.slug);
    }
    for lang in LANGS {
        for day in 1..=4 {
            for version in ["learner", "trainer"] {
                let pdf = built().join(format!("{lang}/day-{day}/handout/day-{day}-{version}-{lang}.pdf"));
                assert!(fs::metadata(&pdf).map(|m| m.len() > 1000).unwrap_or(false), "{} missing", pdf.display());
            }
        }
    }
}

#[test]
fn trainer_text_reaches_the_trainer_handout_only() {
    let lessons = lessons();
    let mut blocks: BTreeMap<(String, u32), usize> = BTreeMap::new();
    for l in &lessons {
        assert!(l.trainer_blocks() >= 1 && l.text.matches(MARKER).count() == l.trainer_blocks(), "{}: one {MARKER} per trainer block", l.file);
        *blocks.entry((l.lang.clone(), l.day)).or_default() += l.trainer_blocks();
    }
    for page in files_below(built()).into_iter().filter(|p| p.ends_with(".html") && !p.contains("/handout/")) {
        assert!(!read(&page).contains(MARKER), "the public page {page} shows trainer text");
    }
    for ((lang, day), count) in blocks {
        let handout = format!("{lang}/day-{day}/handout");
        assert!(!read(&format!("{handout}/learner.html")).contains(MARKER), "{handout}/learner.html shows trainer text");
        assert_eq!(read(&format!("{handout}/trainer.html")).matches(MARKER).count(), count, "{handout}/trainer.html");
        let learner = pdf_text(&format!("{handout}/day-{day}-learner-{lang}.pdf"));
        assert!(!learner.contains(MARKER), "the {lang} learner PDF of day {day} shows trainer text");
        let trainer = pdf_text(&format!("{handout}/day-{day}-trainer-{lang}.pdf"));
        assert_eq!(trainer.matches(MARKER).count(), count, "the {lang} trainer PDF of day {day} has every trainer block");
    }
    // A trainer block right after a list whose last item ends with a fenced code block: the
    // list, its code and what follows the block are all on the public page.
    for (lang, code, after) in [("fr", "Bravo, trouvé en", "Pour aller plus loin"), ("ar", "أحسنت، وجدته في", "للتعمق أكثر")] {
        let page = read(&format!("{lang}/day-3/jeu-devinette/index.html"));
        assert!(page.contains(code) && page.contains(after), "{lang}/day-3/jeu-devinette lost text around its trainer block");
        assert!(page.contains("<details class=\"block solution\">"), "{lang}: the solution after the trainer block is on the page, closed");
    }
}

#[test]
fn custom_heading_ids_are_anchors_and_every_link_resolves() {
    for lang in LANGS {
        let page = read(&format!("{lang}/day-2/variables/index.html"));
        assert!(page.contains("<h2 id=\"variables\""), "{lang}: `## … {{#variables}}` gives the anchor");
        assert!(!page.contains("{#variables}"), "{lang}: the id attribute is not shown as text");
    }
    let files = files_below(built());
    let (mut links, mut anchors, mut to_variables) = (0, 0, 0);
    for page in files.iter().filter(|p| p.ends_with(".html")) {
        let html = read(page);
        for link in links_of(&html).into_iter().filter(|l| is_internal(l)) {
            let (path, fragment) = link.split_once('#').unwrap_or((&link, ""));
            let target = if path.is_empty() { page.clone() } else { percent_decoded(&resolve(page, path).unwrap_or_else(|| panic!("{page}: {link} leaves the site"))) };
            assert!(files.contains(&target), "{page}: link {link} → {target} does not exist");
            links += 1;
            if !fragment.is_empty() {
                let id = percent_decoded(fragment);
                assert!(read(&target).contains(&format!("id=\"{id}\"")), "{page}: {link} has no anchor `{id}` in {target}");
                anchors += 1;
                to_variables += usize::from(id == "variables" && target.ends_with("day-2/variables/index.html"));
            }
        }
    }
    assert!(links > 1000 && anchors > 60, "{links} links, {anchors} anchors checked");
    assert!(to_variables >= 12, "links from other lessons to #variables: {to_variables}");
    // An image named with accents and one named in Arabic, linked by name and percent-encoded.
    for lang in LANGS {
        let page = format!("{lang}/day-1/images-et-liens/index.html");
        let images: Vec<String> = read(&page).split("<img ").skip(1).flat_map(|tag| links_of(&format!("<img {}", &tag[..tag.find('>').unwrap() + 1]))).map(|src| percent_decoded(&src)).collect();
        let want = ["../../../media/day-1/élève.png", "../../../media/day-1/élève.png", "../../../media/day-1/صورة.png"];
        assert_eq!(images, want, "{page}: élève.png by name and percent-encoded, then صورة.png");
    }
    assert!(built().join("media/day-1/élève.png").is_file() && built().join("media/day-1/صورة.png").is_file());
}

#[test]
fn the_video_lessons_pdf_sends_to_the_website() {
    for lang in LANGS {
        let note = skeleton(&label(lang, "media_on_website"));
        let by_slug = |slug: &str| lessons().into_iter().find(|l| l.lang == lang && l.slug == slug).unwrap();
        // What the raw HTML holds and paper must not show (the lessons' code blocks, printed,
        // show other `<video>` and `<iframe>` markup).
        for (lesson, day, raw) in [(by_slug("video-ia"), 4, "youtube-nocookie"), (by_slug("video"), 1, "example.org/media")] {
            for version in ["learner", "trainer"] {
                let text = pdf_text(&format!("{lang}/day-{day}/handout/day-{day}-{version}-{lang}.pdf"));
                let page = lesson_page(&text, &lesson.title);
                assert!(skeleton(&page).contains(&note), "{lang} {version} PDF of {} lacks the website note:\n{page}", lesson.slug);
                assert!(!page.contains(raw), "{lang} {version} PDF of {}: raw HTML printed:\n{page}", lesson.slug);
            }
        }
        // The website plays the embedded video the lesson vouches for.
        let site = read(&format!("{lang}/day-4/video-ia/index.html"));
        assert!(site.contains("<iframe width=\"560\" height=\"315\" src=\"https://www.youtube-nocookie.com/embed/xyz\""), "{lang}: the iframe reaches the page");
    }
}

#[test]
fn check_reports_exactly_the_planted_warnings() {
    let expected = fs::read_to_string(fixture().join("expected-check.txt")).unwrap();
    let (exit_line, report) = expected.split_once('\n').unwrap();
    let want_exit: i32 = exit_line.strip_prefix("exit ").unwrap().parse().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dars"))
        .current_dir(fixture())
        .args(["check", "--theme", theme_dir().to_str().unwrap()])
        .output()
        .unwrap();
    let got = String::from_utf8_lossy(&out.stdout);
    assert_eq!((out.status.code().unwrap_or(-1), got.as_ref()), (want_exit, report), "stderr:\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(!fixture().join("output").exists(), "check writes nothing");
}

// ---- what the course shows of dars bugs still open (each test says what a reader sees) ----

#[test]
fn pdf_prints_neither_a_pasted_script_nor_the_fallback_text_of_a_video() {
    for lang in LANGS {
        let script = pdf_text(&format!("{lang}/day-3/handout/day-3-learner-{lang}.pdf")).split_whitespace().collect::<String>();
        // The pasted script says `document.getElementById("bouton").addEventListener`; the
        // code block of the same lesson (which must print) says `bouton.addEventListener`.
        assert!(!script.contains("getElementById(\"bouton\").addEventListener"), "{lang}: the pasted <script> is printed");
        let video = pdf_text(&format!("{lang}/day-1/handout/day-1-learner-{lang}.pdf"));
        let fallback = if lang == "fr" { "télécharge-la" } else { "نزّله" };
        assert!(!video.contains(fallback), "{lang}: the fallback text inside <video> is printed");
    }
}

/// Inline code is a left-to-right isolate in any paragraph (LRI … PDI, see src/bidi.rs).
#[test]
fn arabic_pdf_keeps_inline_code_left_to_right() {
    let text = pdf_text("ar/day-1/handout/day-1-learner-ar.pdf");
    assert!(text.contains("#test"), "`#test` in an Arabic sentence");
    assert!(!text.contains("//:https"), "`https://` in a table of the Arabic lesson");
}

#[test]
fn pdf_keeps_the_no_materials_line_apart_from_the_lesson() {
    let none = label("fr", "no_materials");
    let text = pdf_text("fr/day-2/handout/day-2-learner-fr.pdf");
    for line in text.lines().filter(|l| l.starts_with(&none)) {
        assert_eq!(line.trim(), none, "the lesson text continues the 'no materials' line");
    }
}
