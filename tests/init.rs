//! A new programme, as a trainer starts one: `dars init`, `dars new lesson` with a French and
//! an Arabic title, build, check; the built-in theme and a site's override of one file; a
//! site without centres; what a deployment needs (the 404 page at any depth, in a real
//! browser; the sitemap warning; the zip of the whole site); each command's help.

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "browser/support.rs"]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use common::{dars, files_below};
use serde_json::json;

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "dars failed:\n{}", text(&o));
    text(&o)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `dars init` in a fresh temporary folder: (the folder, kept; the project in it).
fn new_project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("prog");
    ok(dars(&["init", s(&root)]));
    (dir, root)
}

/// Runs `dars ARGS --root ROOT` (for commands that take it).
fn in_project(root: &Path, args: &[&str]) -> Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--root", s(root)]);
    dars(&all)
}

/// The project every read-only test looks at: init, a lesson with a French title and one
/// with an Arabic title, the first translated (its stub's draft line removed), built once.
struct Made {
    root: PathBuf,
    new_lesson_fr: String,
    new_lesson_ar: String,
    build: String,
    check: Output,
}

fn made() -> &'static Made {
    static MADE: OnceLock<(tempfile::TempDir, Made)> = OnceLock::new();
    &MADE
        .get_or_init(|| {
            let (dir, root) = new_project();
            let new_lesson_fr = ok(in_project(&root, &["new", "lesson", "--day", "1", "Qu'est-ce qu'un réseau ?"]));
            let new_lesson_ar = ok(in_project(&root, &["new", "lesson", "--day", "1", "الحلقات في بايثون"]));
            // The translator's work, in short: the Arabic stub of the French lesson is done.
            let stub = root.join("content/day-1/02-qu-est-ce-qu-un-reseau.ar.md");
            let translated: String = fs::read_to_string(&stub).unwrap().lines().filter(|l| !l.starts_with("draft:")).map(|l| format!("{l}\n")).collect();
            fs::write(&stub, translated).unwrap();
            let build = ok(in_project(&root, &["build"]));
            let check = in_project(&root, &["check"]);
            (dir, Made { root, new_lesson_fr, new_lesson_ar, build, check })
        })
        .1
}

fn output(rel: &str) -> String {
    fs::read_to_string(made().root.join("output").join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn init_then_new_lessons_build_and_check() {
    let m = made();
    let day1 = m.root.join("content/day-1");
    // The French title gives an ASCII slug, the Arabic one a stable slug from its order,
    // and each says so.
    for f in ["01-welcome.fr.md", "01-welcome.ar.md", "02-qu-est-ce-qu-un-reseau.fr.md", "02-qu-est-ce-qu-un-reseau.ar.md", "03-lesson-3.ar.md", "03-lesson-3.fr.md"] {
        assert!(day1.join(f).is_file(), "{f} missing; made:\n{}\n{}", m.new_lesson_fr, m.new_lesson_ar);
    }
    assert!(m.new_lesson_fr.contains("order 2") && m.new_lesson_fr.contains("slug `qu-est-ce-qu-un-reseau`: from the title"), "{}", m.new_lesson_fr);
    assert!(m.new_lesson_ar.contains("new lesson in `ar`") && m.new_lesson_ar.contains("slug `lesson-3`: the title is not in Latin letters"), "{}", m.new_lesson_ar);
    // The new lesson is in its language with the title as typed; every key has its comment.
    let ar = fs::read_to_string(day1.join("03-lesson-3.ar.md")).unwrap();
    assert!(ar.contains("title: \"الحلقات في بايثون\""), "{ar}");
    let front: Vec<&str> = ar.split("---").nth(1).unwrap().lines().filter(|l| !l.is_empty() && !l.starts_with(' ') && !l.starts_with('#')).collect();
    for key in ["title", "day", "order", "duration_minutes", "age", "summary", "objectives", "materials", "tags", "trainer_notes", "draft"] {
        let line = front.iter().find(|l| l.starts_with(&format!("{key}:"))).unwrap_or_else(|| panic!("no `{key}` in\n{ar}"));
        assert!(line.contains("   # "), "`{key}` has no comment: {line}");
    }
    // Built: the translated lesson is published in both languages, the one whose French
    // translation is still a stub is not; the summary counts right.
    assert!(m.build.contains("built 2 lessons: ") && m.build.contains(" PDFs into "), "{}", m.build);
    for lang in ["fr", "ar"] {
        assert!(m.root.join(format!("output/{lang}/day-1/qu-est-ce-qu-un-reseau/index.html")).is_file());
        assert!(!m.root.join(format!("output/{lang}/day-1/lesson-3/index.html")).exists());
    }
    // Checked: no error; the stub is listed as a warning at its draft line.
    let check = text(&m.check);
    assert!(m.check.status.success(), "{check}");
    let stub_warnings: Vec<&str> = check.lines().filter(|l| l.contains(": warning: draft")).collect();
    assert_eq!(stub_warnings.len(), 1, "{check}");
    assert!(stub_warnings[0].starts_with(&format!("{}:16:", s(&day1.join("03-lesson-3.fr.md")))), "{check}");
    assert!(check.contains("0 error(s)"), "{check}");
}

#[test]
fn a_fresh_programme_passes_the_strictest_check() {
    let (_dir, root) = new_project();
    let o = in_project(&root, &["check", "--strict"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("0 error(s), 0 warning(s)"), "{}", text(&o));
}

/// build.rs lists `themes/default/` into the binary: every file of it must be there, with
/// the same bytes (a file added or edited there is in the next build of dars).
#[test]
fn the_built_in_theme_is_every_file_of_themes_default() {
    let theme = common::theme_dir();
    let on_disk: Vec<String> = files_below(&theme).into_iter().filter(|f| !dars::load::is_ignored_path(Path::new(f))).collect();
    let built_in: Vec<String> = dars::theme::BUILTIN.iter().map(|(rel, _)| rel.to_string()).collect();
    assert_eq!(built_in, on_disk);
    for (rel, bytes) in dars::theme::BUILTIN {
        assert!(fs::read(theme.join(rel)).unwrap() == *bytes, "{rel} differs from the built-in copy");
    }
}

#[test]
fn init_refuses_a_folder_that_is_not_empty_and_new_lesson_an_unknown_day() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let o = dars(&["init", s(dir.path())]);
    assert!(!o.status.success());
    assert!(text(&o).contains("this folder is not empty (notes.txt)"), "{}", text(&o));
    assert_eq!(files_below(dir.path()).len(), 1, "nothing written");

    let o = in_project(&made().root, &["new", "lesson", "--day", "7", "Trop loin"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("day 7 is not in the programme (days: 1)"), "{}", text(&o));
}

#[test]
fn a_new_programme_has_no_pilot_text_and_without_centres_no_centres_page() {
    let m = made();
    assert!(!m.root.join("content/centres.yaml").exists());
    assert!(!m.root.join("themes").exists(), "init writes no theme: the built-in one is used");
    assert!(!m.root.join("output/fr/centres").exists() && !m.root.join("output/ar/centres").exists());
    let out = m.root.join("output");
    for page in files_below(&out).into_iter().filter(|p| p.ends_with(".html")) {
        let html = fs::read_to_string(out.join(&page)).unwrap();
        for pilot in ["centres/index.html", "pilote", "ministère", "UM6P", "التجريبية", "12 "] {
            assert!(!html.contains(pilot), "{page} has `{pilot}`");
        }
    }
    // The footer is the programme's.
    assert!(output("fr/index.html").contains("Un programme de votre Maison des jeunes."));
    assert!(output("ar/index.html").contains("برنامج من دار الشباب."));
}

#[test]
fn a_site_overrides_one_theme_file_and_the_rest_comes_from_dars() {
    let (_dir, root) = new_project();
    let made = ok(in_project(&root, &["override", "static/style.css"]));
    let css = root.join("themes/default/static/style.css");
    assert!(made.contains("themes/default/static/style.css"), "{made}");
    let mut mine = fs::read_to_string(&css).unwrap();
    mine.push_str("\n.site-footer { outline: 3px solid rgb(1, 2, 3); }\n");
    fs::write(&css, &mine).unwrap();
    ok(in_project(&root, &["build", "--no-pdf"]));
    let out = root.join("output");
    // The site's stylesheet is published (its fonts pointed at their web subsets).
    let published = fs::read_to_string(out.join("static/style.css")).unwrap();
    assert!(published.contains(".site-footer { outline: 3px solid rgb(1, 2, 3); }"), "{published}");
    // Everything else from the binary: fonts, templates, labels.
    let font = published
        .split("url(\"")
        .skip(1)
        .filter_map(|u| u.split('"').next())
        .find(|u| u.starts_with("fonts/NotoNaskhArabic-Regular."))
        .unwrap_or_else(|| panic!("the built-in Arabic font is not in the stylesheet:\n{published}"));
    assert!(out.join("static").join(font).is_file(), "{font} is not published");
    let home = fs::read_to_string(out.join("fr/index.html")).unwrap();
    assert!(home.contains("class=\"site-header\"") && home.contains("Fiches à imprimer"), "{home}");
    // An edit of the override is an input: the next build is not "up to date".
    fs::write(&css, mine.replace("rgb(1, 2, 3)", "rgb(4, 5, 6)")).unwrap();
    let again = ok(in_project(&root, &["build", "--no-pdf"]));
    assert!(!again.contains("up to date"), "{again}");
    assert!(fs::read_to_string(out.join("static/style.css")).unwrap().contains("rgb(4, 5, 6)"));
    // A template override takes effect too.
    ok(in_project(&root, &["override", "templates/404.html"]));
    let tpl = root.join("themes/default/templates/404.html");
    fs::write(&tpl, fs::read_to_string(&tpl).unwrap().replace("<h1>", "<h1 class=\"mine\">")).unwrap();
    ok(in_project(&root, &["build", "--no-pdf"]));
    assert!(fs::read_to_string(out.join("fr/404.html")).unwrap().contains("<h1 class=\"mine\">"));
}

#[test]
fn the_site_zip_holds_the_whole_site_in_both_languages() {
    let zip = fs::File::open(made().root.join("output/site.zip")).unwrap();
    let mut zip = zip::ZipArchive::new(zip).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    for name in ["index.html", "fr/index.html", "ar/index.html", "fr/day-1/qu-est-ce-qu-un-reseau/index.html", "static/style.css", "fr/day-1/handout/day-1-learner-fr.pdf"] {
        assert!(names.iter().any(|n| n == name), "{name} not in {names:?}");
    }
    assert!(!names.iter().any(|n| n == "site.zip"));
    // Every file of the output but the zip itself, with the same bytes.
    let out = made().root.join("output");
    let on_disk: Vec<String> = files_below(&out).into_iter().filter(|f| f != "site.zip" && !f.starts_with(".dars")).collect();
    assert_eq!(names.len(), on_disk.len(), "{names:?}\n{on_disk:?}");
    let mut page = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("ar/index.html").unwrap(), &mut page).unwrap();
    assert_eq!(page, output("ar/index.html"));
    // The downloads pages link to it.
    assert!(output("fr/downloads/index.html").contains("href=\"../../site.zip\""));
    assert!(output("ar/downloads/index.html").contains("href=\"../../site.zip\""));
}

#[test]
fn without_base_url_the_build_warns_and_with_it_the_sitemap_and_404_are_absolute() {
    assert!(made().build.contains("no `base_url`: sitemap.xml lists addresses relative"), "{}", made().build);
    assert!(output("sitemap.xml").contains("<loc>fr/index.html</loc>"));

    let (_dir, root) = new_project();
    let programme = root.join("content/programme.yaml");
    let yaml = fs::read_to_string(&programme).unwrap().replace("# base_url: https://example.org/mon-programme/", "base_url: https://example.org/mon-programme/");
    fs::write(&programme, yaml).unwrap();
    let build = ok(in_project(&root, &["build", "--no-pdf"]));
    assert!(!build.contains("base_url"), "{build}");
    let out = root.join("output");
    let sitemap = fs::read_to_string(out.join("sitemap.xml")).unwrap();
    assert!(sitemap.contains("<loc>https://example.org/mon-programme/fr/index.html</loc>"), "{sitemap}");
    let not_found = fs::read_to_string(out.join("404.html")).unwrap();
    assert!(not_found.contains("href=\"https://example.org/mon-programme/static/style.css\""), "{not_found}");
    assert!(not_found.contains("href=\"https://example.org/mon-programme/fr/index.html\""));
    assert!(!not_found.contains("href=\"../"));
}

#[test]
fn the_build_prints_a_short_summary_and_stage_times_only_when_asked() {
    let (_dir, root) = new_project();
    let normal = ok(in_project(&root, &["build", "--no-pdf"]));
    assert!(normal.contains("built 1 lesson: ") && !normal.contains("1 lessons"), "{normal}");
    assert!(!normal.contains("render") && !normal.contains("check links"), "{normal}");
    let verbose = ok(in_project(&root, &["build", "--no-pdf", "--force", "--verbose"]));
    assert!(verbose.contains("stages: ") && verbose.contains("render "), "{verbose}");
    let quiet = in_project(&root, &["build", "--no-pdf", "--force", "--quiet"]);
    assert!(quiet.status.success());
    assert!(String::from_utf8_lossy(&quiet.stdout).is_empty(), "{}", text(&quiet));
}

#[test]
fn each_command_help_lists_its_own_options_with_an_example() {
    let help = |cmd: &[&str]| {
        let mut args = cmd.to_vec();
        args.push("--help");
        ok(dars(&args))
    };
    let check = help(&["check"]);
    for foreign in ["--output", "--force", "--no-pdf", "--port", "--verbose"] {
        assert!(!check.contains(foreign), "check --help lists {foreign}:\n{check}");
    }
    let build = help(&["build"]);
    assert!(build.contains("--output") && build.contains("--quiet") && !build.contains("--strict") && !build.contains("--port"), "{build}");
    let new = help(&["new", "lesson"]);
    assert!(new.contains("--day") && !new.contains("--output") && !new.contains("--theme"), "{new}");
    for cmd in [&["init"][..], &["new", "lesson"], &["override"], &["build"], &["check"], &["serve"], &["mark-translated"]] {
        let h = help(cmd);
        assert!(h.contains("Example:\n  dars "), "{cmd:?} --help has no example:\n{h}");
    }
}

/// A web server sends 404.html for any address it has no file for, at any depth: there it
/// must be styled (the theme's CSS applied) and every link must lead to a page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_404_page_at_any_depth_is_styled_and_its_links_work() {
    let (dir, root) = new_project();
    ok(in_project(&root, &["build", "--no-pdf"]));
    let site = support::Site::serve(dir, root.join("output"));
    support::with_browser_on(site, 1280, 900, |b| async move {
        // The home page's look, with its style sheet loaded as usual.
        b.open("fr/index.html").await;
        let style = "const e = document.querySelector(arguments[0]); const s = getComputedStyle(e); return [s.fontFamily, s.backgroundColor, s.color, s.paddingInlineStart];";
        let expected = b.js_with(style, vec![json!(".site-header")]).await;
        let unstyled = b.js("const e = document.createElement('header'); document.body.appendChild(e); const s = getComputedStyle(e); return s.backgroundColor;").await;
        assert_ne!(expected[1], unstyled, "the header has a background of its own");
        for deep in ["fr/day-9/nothing/", "ar/a/b/c/d/e.html", "nothing"] {
            let url = b.site.url(deep);
            b.client.goto(&url).await.unwrap();
            let title = b.js("return document.title").await;
            assert!(title.as_str().unwrap().starts_with("Page introuvable"), "{deep}: {title}");
            assert_eq!(b.js_with(style, vec![json!(".site-header")]).await, expected, "{deep}: the 404 page is not styled as the site");
            // Every link of the page, fetched from where the browser is: found.
            let broken = b
                .js_async(
                    "const done = arguments[arguments.length - 1];
                     const links = [...document.querySelectorAll('a[href]:not([href^=\"#\"])')].map(a => a.href);
                     Promise.all(links.map(h => fetch(h).then(r => r.ok ? null : h + ' ' + r.status))).then(r => done([links.length, r.filter(x => x)]));",
                )
                .await;
            assert!(broken[0].as_u64().unwrap() >= 4, "{deep}: {broken}");
            assert_eq!(broken[1], json!([]), "{deep}: broken links");
        }
    })
    .await;
}
