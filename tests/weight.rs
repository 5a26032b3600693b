//! What the build does to make pages light, read from the files it writes: web fonts as
//! WOFF2 subsets of the characters the site shows (the theme's TrueType files are not
//! published), images resized to the widths the layout uses, with their sizes in the page,
//! and both kept in the cache so that the next build does not make them again.
//! (tests/pages.rs measures what a browser downloads.)

#[allow(dead_code)]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use common::{copy_tree, files_below, project_root, theme_dir};

const LESSON_FR: &str = "content/day-1/01-what-is-a-computer.fr.md";
const LESSON_AR: &str = "content/day-1/01-what-is-a-computer.ar.md";

struct Built {
    _dir: tempfile::TempDir,
    project: PathBuf,
    output: PathBuf,
    cache: PathBuf,
    original_png: u64,
}

fn build(b: &Built) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_dars"))
        .args(["build", "--no-pdf", "--force", "--content"])
        .arg(b.project.join("content"))
        .arg("--theme")
        .arg(theme_dir())
        .arg("--output")
        .arg(&b.output)
        .env("DARS_CACHE_DIR", &b.cache)
        .output()
        .expect("dars runs");
    assert!(out.status.success(), "dars build failed:\n{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The shipped content, with a 4000×3000 photo-like PNG and an SVG in a lesson of day 1
/// (in both languages).
fn project_with_images() -> Built {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().to_path_buf();
    copy_tree(&project_root().join("content"), &project.join("content"));
    let png = project.join("content/day-1/grand-ecran.png");
    // Flat areas with shading, as a screenshot or a diagram (what lessons show in PNG).
    let palette = [[240u8, 240, 240], [11, 107, 79], [29, 36, 48], [255, 244, 229], [200, 220, 240], [255, 255, 255]];
    let img = image::RgbImage::from_fn(4000, 3000, |x, y| {
        let [r, g, b] = palette[((x / 125 + y / 100) % 6) as usize];
        image::Rgb([r.saturating_sub((y % 100) as u8 / 4), g, b.saturating_sub((x % 125) as u8 / 5)])
    });
    img.save(&png).unwrap();
    std::fs::write(project.join("content/day-1/schema.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"20\"><rect width=\"40\" height=\"20\" fill=\"#0b6b4f\"/></svg>").unwrap();
    for (lesson, alt) in [(LESSON_FR, "Un grand écran"), (LESSON_AR, "شاشة كبيرة")] {
        let path = project.join(lesson);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}\n![{alt}](grand-ecran.png)\n\n![{alt}](schema.svg)\n")).unwrap();
    }
    let original_png = std::fs::metadata(&png).unwrap().len();
    let output = project.join("output");
    let cache = project.join("cache");
    Built { _dir: dir, project, output, cache, original_png }
}

/// Whether the `unicode-range` of a `@font-face` rule covers `c`.
fn covers(rule: &str, c: char) -> bool {
    let value = &rule[rule.find("unicode-range:").unwrap() + 14..];
    let value = &value[..value.find(';').unwrap()];
    value.split(',').any(|r| {
        let r = r.trim().trim_start_matches("U+");
        let (a, z) = r.split_once('-').unwrap_or((r, r));
        (u32::from_str_radix(a, 16).unwrap()..=u32::from_str_radix(z, 16).unwrap()).contains(&(c as u32))
    })
}

fn modified(dir: &Path) -> BTreeMap<String, SystemTime> {
    files_below(dir).into_iter().map(|f| {
        let t = std::fs::metadata(dir.join(&f)).unwrap().modified().unwrap();
        (f, t)
    }).collect()
}

#[test]
fn fonts_are_woff2_subsets_and_images_come_resized_with_their_sizes_and_both_are_made_once() {
    let b = project_with_images();
    build(&b);
    let files = files_below(&b.output);

    // Fonts: no TrueType file published, a WOFF2 file per face of the stylesheet, small.
    let ttf: Vec<&String> = files.iter().filter(|f| f.ends_with(".ttf") || f.ends_with(".otf")).collect();
    assert!(ttf.is_empty(), "TrueType fonts are still published: {ttf:?}");
    let css = std::fs::read_to_string(b.output.join("static/style.css")).unwrap();
    let faces = css.matches("@font-face").count();
    let woff2: Vec<&String> = files.iter().filter(|f| f.starts_with("static/fonts/") && f.ends_with(".woff2")).collect();
    assert!(faces >= 4 && woff2.len() == faces, "{faces} @font-face rules, WOFF2 files {woff2:?}");
    for f in &woff2 {
        let bytes = std::fs::read(b.output.join(f)).unwrap();
        assert_eq!(&bytes[..4], b"wOF2", "{f} is not WOFF2");
        assert!(bytes.len() < 40_000, "{f} weighs {} bytes: not a subset", bytes.len());
        let name = f.trim_start_matches("static/");
        assert!(css.contains(&format!("url(\"{name}\") format(\"woff2\")")), "style.css does not point at {name}");
    }
    for rule in css.split("@font-face").skip(1) {
        let rule = &rule[..rule.find('}').unwrap()];
        assert!(rule.contains("unicode-range:") && rule.contains("font-display: swap"), "a face without unicode-range or swap: {rule}");
        // The Arabic face covers Arabic letters, the Latin ones do not.
        assert_eq!(rule.contains("Naskh"), covers(rule, 'ا'), "unicode-range of {rule}");
        if rule.contains("Noto Sans\"") {
            assert!(covers(rule, 'é'), "unicode-range of {rule}");
        }
    }

    // Images: the 4000 px PNG in three widths, each far lighter than it; a WebP version
    // only where it is lighter than the PNG of its width (lossless WebP is not always).
    let mut webp_everywhere = true;
    for w in [480, 960, 1440] {
        let png = format!("media/day-1/grand-ecran.{w}w.png");
        assert!(files.contains(&png), "{png} not written; media: {:?}", files.iter().filter(|f| f.starts_with("media/")).collect::<Vec<_>>());
        let png_bytes = std::fs::read(b.output.join(&png)).unwrap();
        let img = image::load_from_memory(&png_bytes).unwrap();
        assert_eq!((img.width(), img.height()), (w, w * 3 / 4), "{png}");
        assert!((png_bytes.len() as u64) < b.original_png / 3, "{png}: {} bytes, the original {}", png_bytes.len(), b.original_png);
        let webp = format!("media/day-1/grand-ecran.{w}w.webp");
        if files.contains(&webp) {
            let bytes = std::fs::read(b.output.join(&webp)).unwrap();
            let img = image::load_from_memory(&bytes).unwrap();
            assert_eq!((img.width(), img.height()), (w, w * 3 / 4), "{webp}");
            assert!(bytes.len() < png_bytes.len(), "{webp} ({} bytes) is not lighter than {png} ({})", bytes.len(), png_bytes.len());
        } else {
            webp_everywhere = false;
        }
    }
    assert!(files.contains("media/day-1/grand-ecran.png"), "the original (for print) is not published");
    assert!(!files.iter().any(|f| f.starts_with("media/day-1/schema.") && f != "media/day-1/schema.svg"), "the SVG was resized");
    for lang in ["fr", "ar"] {
        let page = std::fs::read_to_string(b.output.join(format!("{lang}/day-1/what-is-a-computer/index.html"))).unwrap();
        let at = page.find("grand-ecran").expect("the image is on the page");
        let tag_start = page[..at].rfind('<').unwrap();
        let tag_start = if webp_everywhere { page[..at].rfind("<picture>").unwrap_or(tag_start) } else { tag_start };
        let tag = &page[tag_start..tag_start + page[tag_start..].find(if webp_everywhere { "</picture>" } else { ">" }).unwrap()];
        let mut wanted = vec!["grand-ecran.1440w.png 1440w", "width=\"960\" height=\"720\"", "loading=\"lazy\"", "sizes=\""];
        if webp_everywhere {
            wanted.extend(["<picture><source type=\"image/webp\"", "grand-ecran.480w.webp 480w"]);
        }
        for wanted in wanted {
            assert!(tag.contains(wanted), "{lang}: the image lacks {wanted}: {tag}");
        }
        assert_eq!(page.contains("image/webp"), webp_everywhere, "{lang}: WebP offered though not lighter at every width, or the reverse");
        assert!(page.contains("<img src=\"../../../media/day-1/schema.svg\""), "{lang}: the SVG's tag was changed");
    }

    // A second build makes nothing again: the cache's files are read, not rewritten.
    let cached = modified(&b.cache);
    assert!(cached.keys().any(|f| f.starts_with("webfonts/")) && cached.keys().any(|f| f.starts_with("images/")), "nothing cached: {cached:?}");
    build(&b);
    assert_eq!(modified(&b.cache), cached, "the second build made cached files again");
    assert_eq!(files_below(&b.output), files, "the second build wrote other files");
}
