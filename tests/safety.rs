//! Output safety and resource limits, tried as a careless user and a hostile file would:
//! dars never deletes nor overwrites what it did not write, never publishes a mixed site,
//! never claims a state that is not true, and every input is bounded.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn run(root: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["build", "--no-pdf", "--root", root.to_str().unwrap()];
    args.extend_from_slice(extra);
    dars(&args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every file below `dir` with its bytes, dars's manifest left out.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_below(dir).into_iter().filter(|f| f != ".dars-manifest").map(|f| { let b = fs::read(dir.join(&f)).unwrap(); (f, b) }).collect()
}

fn lesson(title: &str, day: u32, order: u32, body: &str) -> String {
    format!("---\ntitle: \"{title}\"\nday: {day}\norder: {order}\nduration_minutes: 10\nage: {{ min: 8, max: 15 }}\nsummary: \"Résumé\"\nobjectives: [Lire]\nmaterials: []\n---\n{body}")
}

/// Adds a lesson in both languages on day 2.
fn add_lesson(content: &Path, order: u32, body_fr: &str, body_ar: &str) -> (PathBuf, PathBuf) {
    let fr = content.join(format!("day-2/0{order}-added{order}.fr.md"));
    let ar = content.join(format!("day-2/0{order}-added{order}.ar.md"));
    fs::write(&fr, lesson("Ajoutée", 2, order, body_fr)).unwrap();
    fs::write(&ar, lesson("مضافة", 2, order, body_ar)).unwrap();
    (fr, ar)
}

#[test]
fn an_output_folder_holding_the_content_or_the_project_is_refused_untouched() {
    let (_dir, root) = minimal_project();
    let content = root.join("content");
    let before = snapshot(&root);
    for (output, why) in [(content.clone(), "it holds"), (root.clone(), "it holds"), (root.join("content/site"), "inside"), (root.join("themes/default/out"), "inside")] {
        let result = run(&root, &["--output", output.to_str().unwrap()]);
        assert!(!result.status.success(), "--output {} was accepted", output.display());
        assert!(stderr(&result).contains("refusing to build into") && stderr(&result).contains(why), "{}", stderr(&result));
        assert!(stderr(&result).contains("was left as it was"), "{}", stderr(&result));
    }
    assert_eq!(snapshot(&root), before, "not one file of the project changed");
    // From inside the project, `--output .` is the project too.
    let here = Command::new(env!("CARGO_BIN_EXE_dars")).args(["build", "--no-pdf", "--output", "."]).current_dir(&root).output().unwrap();
    assert!(!here.status.success() && stderr(&here).contains("refusing to build into"), "{}", stderr(&here));
    assert_eq!(snapshot(&root), before);
}

#[test]
fn files_dars_did_not_write_survive_every_build() {
    let (_dir, root) = minimal_project();
    let out = root.join("output");
    assert!(run(&root, &[]).status.success());
    // A deploy folder: its git repository, its CNAME, a robots.txt put there by hand.
    fs::create_dir_all(out.join(".git/refs")).unwrap();
    fs::write(out.join(".git/HEAD"), "ref: refs/heads/gh-pages\n").unwrap();
    fs::write(out.join("CNAME"), "dars.example.org\n").unwrap();
    fs::write(out.join("robots.txt"), "User-agent: *\n").unwrap();
    fs::write(out.join("fr/notes-du-formateur.txt"), "à garder").unwrap();
    let first = run(&root, &["--force"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stderr(&first).contains("dars did not write") && stderr(&first).contains("CNAME"), "said once: {}", stderr(&first));
    // A lesson removed: its pages go, nothing else.
    for f in ["day-2/01-third.fr.md", "day-2/01-third.ar.md"] {
        fs::remove_file(root.join("content").join(f)).unwrap();
    }
    let second = run(&root, &[]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(!stderr(&second).contains("did not write"), "not said twice: {}", stderr(&second));
    assert!(!out.join("fr/day-2/third/index.html").exists(), "a page dars made and no longer makes is removed");
    assert_eq!(fs::read_to_string(out.join(".git/HEAD")).unwrap(), "ref: refs/heads/gh-pages\n");
    assert_eq!(fs::read_to_string(out.join("CNAME")).unwrap(), "dars.example.org\n");
    assert_eq!(fs::read_to_string(out.join("robots.txt")).unwrap(), "User-agent: *\n");
    assert_eq!(fs::read_to_string(out.join("fr/notes-du-formateur.txt")).unwrap(), "à garder");
}

#[test]
fn a_folder_dars_did_not_make_is_refused_unless_forced() {
    let (dir, root) = minimal_project();
    let deploy = dir.path().join("deploy");
    fs::create_dir_all(&deploy).unwrap();
    fs::write(deploy.join("index.html"), "the old site, made by hand").unwrap();
    let before = snapshot(&deploy);
    let refused = run(&root, &["--output", deploy.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("is not empty and was not made by dars") && stderr(&refused).contains("--force"), "{}", stderr(&refused));
    assert_eq!(snapshot(&deploy), before);
    let names: Vec<String> = fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.contains("staging")), "nothing left beside: {names:?}");
    let forced = run(&root, &["--output", deploy.to_str().unwrap(), "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(deploy.join("fr/index.html").is_file());
}

#[test]
fn a_page_dars_makes_never_replaces_a_file_put_there_by_hand() {
    let (_dir, root) = minimal_project();
    let out = root.join("output");
    assert!(run(&root, &[]).status.success());
    // The author adds a lesson whose page is where someone put a file of their own.
    fs::create_dir_all(out.join("fr/day-2/added2")).unwrap();
    fs::write(out.join("fr/day-2/added2/index.html"), "mine").unwrap();
    add_lesson(&root.join("content"), 2, "Texte.\n", "نص.\n");
    let refused = run(&root, &[]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("fr/day-2/added2/index.html: error: dars makes `fr/day-2/added2/index.html` but this file was not written by dars"), "{}", stderr(&refused));
    assert_eq!(fs::read_to_string(out.join("fr/day-2/added2/index.html")).unwrap(), "mine");
    assert!(!out.join("ar/day-2/added2/index.html").exists(), "nothing of the refused build was published");
}

#[test]
fn hidden_folders_and_back_ups_in_content_are_never_published() {
    let (_dir, root) = minimal_project();
    let content = root.join("content");
    fs::create_dir_all(content.join(".git")).unwrap();
    fs::write(content.join(".git/config"), "[remote \"origin\"]\n\turl = secret\n").unwrap();
    fs::write(content.join("day-1/.brouillon.txt"), "x").unwrap();
    fs::write(content.join("day-1/01-first.fr.md~"), "x").unwrap();
    fs::write(content.join("day-1/.01-first.fr.md.swp"), "x").unwrap();
    fs::write(content.join("day-1/photo.png.bak"), "x").unwrap();
    fs::write(content.join("day-1/kept.txt"), "x").unwrap();
    let result = run(&root, &[]);
    assert!(result.status.success(), "{}", stderr(&result));
    let published = files_below(&root.join("output"));
    assert!(published.contains("media/day-1/kept.txt"), "ordinary files are published");
    let leaked: Vec<&String> = published.iter().filter(|f| f.contains(".git") || f.contains("brouillon") || f.ends_with('~') || f.ends_with(".swp") || f.ends_with(".bak")).collect();
    assert!(leaked.is_empty(), "published: {leaked:?}");
}

/// A corpus large enough that a build takes a noticeable time.
fn big_project(lessons: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    assert!(dars(&["corpus", "--out", root.join("content").to_str().unwrap(), "--lessons", lessons]).status.success());
    copy_tree(&theme_dir(), &root.join("themes/default"));
    (dir, root)
}

fn spawn_build(root: &Path, out: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_dars"))
        .args(["build", "--no-pdf", "--root", root.to_str().unwrap(), "--output", out.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until a build is rendering (its staging folder exists beside `out`).
fn wait_until_rendering(out: &Path, child: &mut std::process::Child) {
    let start = Instant::now();
    let parent = out.parent().unwrap();
    while !fs::read_dir(parent).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with("output.staging-")) {
        assert!(child.try_wait().unwrap().is_none(), "the build ended before it was caught rendering");
        assert!(start.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn first_lesson(root: &Path) -> PathBuf {
    let day1 = root.join("content/day-1");
    let mut names: Vec<PathBuf> = fs::read_dir(&day1).unwrap().flatten().map(|e| e.path()).filter(|p| p.to_string_lossy().ends_with(".fr.md")).collect();
    names.sort();
    names.remove(0)
}

fn edit_title(lesson: &Path, marker: &str) {
    let text = fs::read_to_string(lesson).unwrap();
    let edited = text.replacen("title: \"", &format!("title: \"{marker} "), 1);
    fs::write(lesson, edited).unwrap();
}

#[test]
fn two_overlapping_builds_publish_the_latest_inputs_whole() {
    let (dir, root) = big_project("600");
    let out = root.join("output");
    let lesson = first_lesson(&root);
    let mut first = spawn_build(&root, &out);
    wait_until_rendering(&out, &mut first);
    edit_title(&lesson, "DEUXIEME");
    let second = spawn_build(&root, &out);
    let (a, b) = (first.wait_with_output().unwrap(), second.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success(), "{}\n{}", stderr(&a), stderr(&b));
    // What a clean build of the final inputs makes.
    let clean = dir.path().join("clean");
    let c = dars(&["build", "--no-pdf", "--root", root.to_str().unwrap(), "--output", clean.to_str().unwrap()]);
    assert!(c.status.success(), "{}", stderr(&c));
    let (published, expected) = (snapshot(&out), snapshot(&clean));
    let differing: Vec<&String> = published.iter().zip(&expected).filter(|(p, e)| p != e).map(|(p, _)| &p.0).take(5).collect();
    assert_eq!(published.len(), expected.len());
    assert!(differing.is_empty(), "pages differ from a clean build: {differing:?}");
    let again = run(&root, &["--output", out.to_str().unwrap()]);
    assert!(stdout(&again).contains("is up to date"), "{}", stdout(&again));
}

#[test]
fn an_edit_during_a_build_is_not_called_up_to_date() {
    let (_dir, root) = big_project("600");
    let out = root.join("output");
    let lesson = first_lesson(&root);
    let mut build = spawn_build(&root, &out);
    wait_until_rendering(&out, &mut build);
    edit_title(&lesson, "PENDANT");
    let done = build.wait_with_output().unwrap();
    assert!(done.status.success(), "{}", stderr(&done));
    let next = run(&root, &["--output", out.to_str().unwrap()]);
    assert!(next.status.success(), "{}", stderr(&next));
    assert!(stdout(&next).starts_with("built "), "the edit made during the last build is built now: {}", stdout(&next));
    let slug_page = files_below(&out).into_iter().filter(|f| f.starts_with("fr/day-1/") && f.ends_with("/index.html") && f.matches('/').count() == 3).find(|f| fs::read_to_string(out.join(f)).unwrap().contains("PENDANT"));
    assert!(slug_page.is_some(), "the edited title is published");
}

/// A small tmpfs, so that the disk really fills while a build replaces pages.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path, bytes: u64) -> Option<SmallDisk> {
        fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs", at.to_str().unwrap()]).status().is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(at.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn used_bytes(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir).into_iter().flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len().div_ceil(4096) * 4096).sum()
}

#[test]
fn a_disk_that_fills_while_pages_are_replaced_leaves_the_previous_site_and_says_so() {
    let (dir, root) = minimal_project();
    // Sized from a first build: room for that site and a little more.
    let probe = dir.path().join("probe");
    assert!(run(&root, &["--output", probe.to_str().unwrap()]).status.success());
    let size = used_bytes(&probe) + 512 * 1024;
    let out = dir.path().join("disk");
    let Some(_disk) = SmallDisk::mount(&out, size) else {
        // Mounting needs root: CI runs as root, so it is exercised there.
        eprintln!("skipped: cannot mount a tmpfs here");
        assert!(std::env::var("CI").is_err(), "CI must be able to mount a tmpfs for this test");
        return;
    };
    assert!(run(&root, &["--output", out.to_str().unwrap()]).status.success());
    let before = snapshot(&out);
    // Two big lessons: their pages no longer fit.
    add_lesson(&root.join("content"), 2, &"Une phrase assez longue pour remplir le disque. ".repeat(5_000), &"جملة طويلة بما يكفي لملء القرص. ".repeat(4_000));
    let full = run(&root, &["--output", out.to_str().unwrap()]);
    assert!(!full.status.success());
    assert!(stderr(&full).contains("No space left on device") || stderr(&full).contains("os error 28"), "{}", stderr(&full));
    assert!(stderr(&full).contains("was left as it was"), "{}", stderr(&full));
    assert_eq!(snapshot(&out), before, "every page is the previous build's, whole");
    let names: Vec<String> = files_below(&out).into_iter().filter(|f| f.contains(".dars-new")).collect();
    assert!(names.is_empty(), "pages written beside were removed: {names:?}");
}

#[test]
fn a_deep_list_a_huge_lesson_and_a_huge_image_are_refused_quickly_at_their_line() {
    let (_dir, root) = minimal_project();
    let content = root.join("content");
    // 10,000 quotes in one another: 10 KB, which kept the PDF stage busy for minutes.
    let deep = format!("{} fin\n", ">".repeat(10_000));
    let (deep_fr, _) = add_lesson(&content, 2, &format!("Intro\n\n{deep}"), "نص.\n");
    let huge = content.join("day-2/03-huge.fr.md");
    fs::write(&huge, lesson("Énorme", 2, 3, &"mot ".repeat(13_000_000))).unwrap();
    fs::write(content.join("day-2/03-huge.ar.md"), lesson("ضخم", 2, 3, "نص.\n")).unwrap();
    // A PNG header that says 20,000 × 20,000 pixels: refused before anything decodes it.
    fs::write(content.join("day-2/giant.png"), png_header(20_000, 20_000)).unwrap();
    fs::write(content.join("day-2/broken.png"), b"not an image at all").unwrap();
    fs::write(content.join("day-2/04-images.fr.md"), lesson("Images", 2, 4, "Texte.\n\n![géante](giant.png)\n\n![cassée](broken.png)\n")).unwrap();
    fs::write(content.join("day-2/04-images.ar.md"), lesson("صور", 2, 4, "نص.\n")).unwrap();
    let start = Instant::now();
    let result = dars(&["check", "--root", root.to_str().unwrap()]);
    let took = start.elapsed();
    assert!(!result.status.success());
    let err = stdout(&result);
    let deep_line = 11 + 2; // the body starts on line 11
    assert!(err.contains(&format!("{}:{deep_line}: error: lists or quotes are nested more than 16 deep", deep_fr.display())), "{err}");
    assert!(err.contains(&format!("{}:1: error: this lesson is 49.6 MiB", huge.display())) && err.contains("lesson_kib"), "{err}");
    assert!(err.contains("04-images.fr.md:13: error: image `giant.png` is 20000 × 20000 pixels (400 megapixels)") && err.contains("image_megapixels"), "{err}");
    assert!(err.contains("04-images.fr.md:15: error: image `broken.png` (content/day-2/broken.png) cannot be read as an image"), "{err}");
    assert_eq!(err.matches(": error: ").count(), 4, "one error each, none that follows from another: {err}");
    assert!(took < Duration::from_secs(20), "check took {took:?}");
    // A build with PDFs stops at the deep lesson before typesetting anything.
    for f in ["03-huge.fr.md", "03-huge.ar.md", "04-images.fr.md", "04-images.ar.md"] {
        fs::remove_file(content.join("day-2").join(f)).unwrap();
    }
    let start = Instant::now();
    let build = dars(&["build", "--root", root.to_str().unwrap()]);
    assert!(!build.status.success());
    assert!(stderr(&build).contains("nested more than 16 deep"), "{}", stderr(&build));
    assert!(start.elapsed() < Duration::from_secs(20), "build took {:?}", start.elapsed());
}

/// The signature and IHDR chunk of a PNG of `w` × `h` pixels, and its end: what a header
/// reader sees of a real one.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    png.extend(13u32.to_be_bytes());
    png.extend(&ihdr);
    png.extend(crc32(&ihdr).to_be_bytes());
    png.extend(0u32.to_be_bytes());
    png.extend(b"IEND");
    png.extend(crc32(b"IEND").to_be_bytes());
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn a_lesson_with_a_non_unicode_name_or_a_nul_byte_is_an_error_not_a_silence() {
    use std::os::unix::ffi::OsStrExt;
    let (_dir, root) = minimal_project();
    let content = root.join("content");
    let bad_name = content.join("day-2").join(std::ffi::OsStr::from_bytes(b"02-le\xE7on.fr.md"));
    fs::write(&bad_name, lesson("Latin-1", 2, 2, "Texte.\n")).unwrap();
    let (fr, _) = add_lesson(&content, 3, "Ligne un.\nLigne\0deux.\n", "نص.\n");
    let check = dars(&["check", "--root", root.to_str().unwrap()]);
    assert!(!check.status.success());
    let out = stdout(&check);
    assert!(out.contains("file name is not valid Unicode (UTF-8); rename it"), "{out}");
    assert!(out.contains(&format!("{}:12: error: this file holds a NUL character", fr.display())), "{out}");
}

#[test]
fn a_day_too_long_for_one_handout_is_refused_before_typesetting() {
    let (_dir, root) = minimal_project();
    let content = root.join("content");
    let text = "Une phrase ordinaire de la leçon, assez longue pour une ligne. ".repeat(3_000);
    for order in 2..=4 {
        add_lesson(&content, order, &text, "نص.\n");
    }
    let start = Instant::now();
    let build = dars(&["build", "--root", root.to_str().unwrap()]);
    assert!(!build.status.success());
    let err = stderr(&build);
    // Day 2 is the entry on line 16 of the fixture's programme.yaml.
    assert!(err.contains("programme.yaml:16: error: the learner handout of day 2 (fr) would typeset 562.5 KiB of lessons") && err.contains("handout_kib"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(10), "refused before typesetting, took {:?}", start.elapsed());
    let check = dars(&["check", "--root", root.to_str().unwrap()]);
    assert!(stdout(&check).contains("programme.yaml:16: error: the trainer handout of day 2 (fr) would typeset"), "dars check says it without typesetting: {}", stdout(&check));
}
