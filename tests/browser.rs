//! The shipped site in a real browser: headless Chromium driven over WebDriver
//! (chromedriver), on the site that the `dars` binary builds, served over HTTP.
//!
//! Checks what only a browser computes: text direction, the web fonts actually loaded, the
//! language switch, the layout on a 360 px phone, the printed handouts (PDF), accessibility
//! (axe-core, vendored in tests/browser/) and screenshots for a person to look at (written
//! to `$DARS_SCREENSHOTS`, by default `screenshots/` in the repository).
//!
//! Needs `chromedriver` on PATH and Chromium at /usr/bin/chromium (Debian's `chromium-driver`
//! and `chromium`; `DARS_CHROMEDRIVER` / `DARS_CHROMIUM` override), and poppler-utils
//! (`pdftotext`, `pdfinfo`). A missing one fails the tests: it does not skip them.

#[allow(dead_code)]
mod common;
#[path = "common/reading.rs"]
mod reading;
#[path = "browser/support.rs"]
mod support;

use std::path::PathBuf;

use fantoccini::wd::PrintConfiguration;
use serde_json::{Value, json};
use support::{Browser, project_root, with_browser};

const LANGS: [&str; 2] = ["fr", "ar"];

/// A lesson with code blocks and tables.
const CODE_LESSON: &str = "day-3/hello-python/index.html";

/// One page of each kind, below `LANG/`.
const PAGES: [&str; 8] = [
    "index.html",
    "day-3/index.html",
    CODE_LESSON,
    "centres/index.html",
    "downloads/index.html",
    "day-3/handout/learner.html",
    "centres/dar-chabab-hassnouna/index.html",
    "centres/dar-chabab-hassnouna/day-1.html",
];

/// Handouts and a centre's kit of a day: print pages, with a bar instead of the site's
/// navigation.
fn is_print_page(page: &str) -> bool {
    page.contains("/handout/") || (page.starts_with("centres/") && !page.ends_with("index.html"))
}

const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (360, 740);

/// `getComputedStyle(first element matching css)[property]`, or null when none matches.
async fn computed(b: &Browser, css: &str, property: &str) -> Value {
    b.js_with(
        "const e = document.querySelector(arguments[0]); return e ? getComputedStyle(e)[arguments[1]] : null;",
        vec![json!(css), json!(property)],
    )
    .await
}

// ---------------------------------------------------------------------------------------
// 1. Direction
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arabic_pages_are_right_to_left_french_ones_left_to_right_and_code_always_left_to_right() {
    with_browser(DESKTOP.0, DESKTOP.1, |b| async move {
        let mut failures = Vec::new();
        for lang in LANGS {
            let expected = if lang == "ar" { "rtl" } else { "ltr" };
            for page in PAGES {
                let path = format!("{lang}/{page}");
                b.open(&path).await;
                let html_dir = b.js("return document.documentElement.getAttribute('dir')").await;
                if html_dir != expected {
                    failures.push(format!("{path}: <html dir> is {html_dir}, expected {expected}"));
                }
                let body = computed(&b, "body", "direction").await;
                if body != expected {
                    failures.push(format!("{path}: body computes direction: {body}, expected {expected}"));
                }
                let nav_css = if is_print_page(page) { ".handout-bar" } else { ".main-nav" };
                let nav = computed(&b, nav_css, "direction").await;
                if nav != expected {
                    failures.push(format!("{path}: {nav_css} computes direction: {nav}, expected {expected}"));
                }
                // The navigation reads in the page's direction: its first link is at the
                // start side (right in Arabic) of the second one.
                let order = b
                    .js_with(
                        "const a = [...document.querySelectorAll(arguments[0] + ' a')].map(e => e.getBoundingClientRect());
                         return a.length < 2 || Math.abs(a[0].top - a[1].top) > 2 ? null : a[0].left < a[1].left ? 'ltr' : 'rtl';",
                        vec![json!(nav_css)],
                    )
                    .await;
                if !order.is_null() && order != expected {
                    failures.push(format!("{path}: the links of {nav_css} are laid out {order}, expected {expected}"));
                }
                // Code reads left to right in both languages.
                let code = b
                    .js("return [...document.querySelectorAll('pre.code')].map(e => [getComputedStyle(e).direction, getComputedStyle(e).textAlign])")
                    .await;
                for (i, c) in code.as_array().unwrap().iter().enumerate() {
                    if c[0] != "ltr" || !(c[1] == "left" || c[1] == "start") {
                        failures.push(format!("{path}: pre.code #{} computes direction {} and text-align {}, expected ltr / left", i + 1, c[0], c[1]));
                    }
                }
                if page == CODE_LESSON && code.as_array().unwrap().is_empty() {
                    failures.push(format!("{path}: expected code blocks (pre.code) on this lesson"));
                }
            }
        }
        assert!(failures.is_empty(), "direction problems:\n  {}", failures.join("\n  "));
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 1b. Reading order: what a reader sees of code and mixed text (src/bidi.rs)
// ---------------------------------------------------------------------------------------

/// The left edge of each token on screen: the tokens are found one after the other in the
/// text of the first element matching `css` whose text holds `anchor`, from `anchor` on;
/// each is measured by the rectangles of its characters (`Range.getClientRects()`).
const TOKEN_RECTS_JS: &str = r#"
const [css, anchor, tokens] = arguments;
const el = [...document.querySelectorAll(css)].find(e => e.textContent.includes(anchor));
if (!el) return { error: 'no ' + css + ' holds ' + anchor };
const nodes = [];
let text = '';
const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([text.length, n]); text += n.data; }
const at = i => { let k = nodes.length - 1; while (k > 0 && nodes[k][0] > i) k--; return [nodes[k][1], i - nodes[k][0]]; };
const out = [];
let from = text.indexOf(anchor);
for (const t of tokens) {
  const i = text.indexOf(t, from);
  if (i < 0) return { error: 'token ' + JSON.stringify(t) + ' not found after ' + from + ' in ' + JSON.stringify(text) };
  from = i + t.length;
  const r = document.createRange();
  const [sn, so] = at(i), [en, eo] = at(i + t.length - 1);
  r.setStart(sn, so); r.setEnd(en, eo + 1);
  const rects = [...r.getClientRects()].filter(x => x.width > 0);
  out.push([t, Math.min(...rects.map(x => x.left)), Math.min(...rects.map(x => x.top))]);
}
return { tokens: out, direction: getComputedStyle(el).direction, text: el.textContent };
"#;

/// Opens `path` (every `<details>` opened) and checks that the tokens, found in the text of
/// the element `css` holding `anchor`, are seen in the order their bidi levels give (see
/// `reading::visual_order`), all on one line.
async fn check_reading_order(b: &Browser, path: &str, css: &str, anchor: &str, tokens: &[reading::Token<'_>], failures: &mut Vec<String>) {
    b.open(path).await;
    b.js("document.querySelectorAll('details').forEach(d => d.open = true); return true").await;
    let words: Vec<&str> = tokens.iter().map(|t| t.0).collect();
    let found = b.js_with(TOKEN_RECTS_JS, vec![json!(css), json!(anchor), json!(words)]).await;
    if let Some(e) = found["error"].as_str() {
        failures.push(format!("{path}: {e}"));
        return;
    }
    let measured: Vec<(String, f64, f64)> =
        found["tokens"].as_array().unwrap().iter().map(|t| (t[0].as_str().unwrap().to_string(), t[1].as_f64().unwrap(), t[2].as_f64().unwrap())).collect();
    let tops: Vec<f64> = measured.iter().map(|t| t.2).collect();
    if tops.iter().any(|t| (t - tops[0]).abs() > 12.0) {
        failures.push(format!("{path}: {css} «{anchor}» does not fit on one line: {measured:?}"));
        return;
    }
    let seen = reading::seen_order(&measured.iter().map(|t| (t.0.clone(), t.1)).collect::<Vec<_>>());
    let expected = reading::visual_order(tokens);
    if seen != expected {
        failures.push(format!(
            "{path}: {css} «{}»\n      a reader should see, left to right: {}\n      the page shows:                     {}",
            found["text"].as_str().unwrap_or_default().trim(),
            expected.join(" "),
            seen.join(" ")
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_with_arabic_strings_shows_its_tokens_in_the_order_they_were_typed() {
    with_browser(DESKTOP.0, DESKTOP.1, |b| async move {
        let mut failures = Vec::new();
        let game = "ar/day-3/conditions-and-a-game/index.html";
        // Code blocks: each Arabic string and comment is its own right-to-left run (level 1)
        // in a left-to-right line (level 0); numbers inside a string stay inside it.
        check_reading_order(
            &b, game, "pre.code code", "guess = int(input(",
            &[("guess", 0), ("=", 0), ("int(input(\"", 0), ("خمّن", 1), ("العدد", 1), ("(من", 1), ("1", 1), ("إلى", 1), ("100", 1), (")", 1), (":", 1), ("\"))", 0)],
            &mut failures,
        )
        .await;
        check_reading_order(
            &b, game, "pre.code code", "print(\"أحسنت!",
            &[("print(\"", 0), ("أحسنت", 1), ("!", 1), ("وجدت", 1), ("العدد.", 1), ("عدد", 1), ("المحاولات", 1), (":", 1), ("\",", 0), ("tries)", 0)],
            &mut failures,
        )
        .await;
        check_reading_order(
            &b, game, "pre.code code", "secret = random",
            &[("secret", 0), ("=", 0), ("random.randint(1,", 0), ("100)", 0), ("#", 0), ("الحاسوب", 1), ("يختار", 1), ("عددا", 1), ("عشوائيا", 1)],
            &mut failures,
        )
        .await;
        // Inline code in an Arabic paragraph (the solution of "find the 3 errors", and the
        // exercise in the learner handout): the same inside its left-to-right isolate.
        let sample: [reading::Token; 12] = [
            ("print(\"", 0), ("ثمن", 1), ("خمس", 1), ("برتقالات", 1), ("هو", 1), ("\",", 0), ("5", 0), ("*", 0), ("2,", 0), ("\"", 0), ("دراهم.", 1), ("\"", 0),
        ];
        check_reading_order(&b, "ar/day-3/hello-python/index.html", "details.solution code", "print(\"ثمن خمس", &sample, &mut failures).await;
        check_reading_order(&b, "ar/day-3/handout/learner.html", ".block.exercise code", "print(\"ثمن خمس", &sample, &mut failures).await;
        assert!(failures.is_empty(), "code not shown in the order it was typed:\n  {}", failures.join("\n  "));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_and_latin_text_in_arabic_pages_keep_their_order() {
    with_browser(DESKTOP.0, DESKTOP.1, |b| async move {
        let mut failures = Vec::new();
        // `input()` in Arabic prose: an Arabic sentence (level 1) with code in it (level 2),
        // in a heading, the table of contents, a lesson summary and an objective.
        let heading = [("نطرح", 1), ("سؤالا", 1), ("بالأمر", 1), ("input", 2), ("(", 2), (")", 2)];
        let loops = "ar/day-3/variables-and-loops/index.html";
        check_reading_order(&b, loops, ".lesson-body h2", "نطرح", &heading, &mut failures).await;
        check_reading_order(&b, loops, "nav.toc a", "نطرح", &heading, &mut failures).await;
        check_reading_order(
            &b, "ar/day-3/index.html", ".lesson-list p", "بالأمر",
            &[("بالأمر", 1), ("input", 2), ("(", 2), (")", 2), ("ثم", 1), ("نجعل", 1)],
            &mut failures,
        )
        .await;
        check_reading_order(
            &b, "ar/day-3/hello-python/index.html", ".objectives li", "بالأمر",
            &[("بالأمر", 1), ("print", 2), ("(", 2), (")", 2), ("وأشغّله", 1)],
            &mut failures,
        )
        .await;
        // A paragraph in Latin letters on an Arabic page (Python's message) is laid out
        // left to right: its question mark ends it on the right.
        let path = "ar/day-3/hello-python/index.html";
        check_reading_order(
            &b, path, ".lesson-body blockquote p", "NameError",
            &[("NameError:", 0), ("name", 0), ("'Print'", 0), ("defined.", 0), ("mean:", 0), ("'print'", 0), ("?", 0)],
            &mut failures,
        )
        .await;
        let dirs = b
            .js("return [...document.querySelectorAll('.lesson-body p, .lesson-body li, .lesson-body h2, .lesson-body td, .lesson-body th')].map(e => [e.textContent.trim().slice(0, 40), getComputedStyle(e).direction, !!e.closest('blockquote')])")
            .await;
        for d in dirs.as_array().unwrap() {
            let (text, dir) = (d[0].as_str().unwrap(), d[1].as_str().unwrap());
            // Python's message is the one block in Latin letters; a table cell of code only
            // (`NameError`) keeps the page's direction, its code being isolated anyway.
            let latin = d[2] == true;
            let expected = if latin { "ltr" } else { "rtl" };
            if dir != expected {
                failures.push(format!("{path}: «{text}» computes direction: {dir}, expected {expected}"));
            }
        }
        if !dirs.as_array().unwrap().iter().any(|d| d[2] == true && d[0].as_str().unwrap().starts_with("NameError")) {
            failures.push(format!("{path}: expected Python's message in a paragraph of its own"));
        }
        assert!(failures.is_empty(), "mixed text not shown in reading order:\n  {}", failures.join("\n  "));
    })
    .await;
}

/// Elements of the page whose own text holds Arabic letters and that are set in italic or
/// oblique (which Naskh does not have: the browser slants it), and whether the page shows
/// a "·" (which Naskh draws like the Arabic zero).
const SLANTED_ARABIC_JS: &str = r#"
const arabic = /[\u0600-\u06FF]/;
const slanted = [];
for (const e of document.body.querySelectorAll('*')) {
  const own = [...e.childNodes].filter(n => n.nodeType === 3).map(n => n.data).join('');
  if (arabic.test(own) && getComputedStyle(e).fontStyle !== 'normal') slanted.push(e.tagName.toLowerCase() + ' «' + own.trim().slice(0, 30) + '»');
}
return { slanted, middot: document.body.innerText.includes('\u00B7') };
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arabic_is_never_slanted_and_no_separator_reads_as_a_zero() {
    with_browser(DESKTOP.0, DESKTOP.1, |b| async move {
        let mut failures = Vec::new();
        for page in PAGES.iter().chain(["day-3/conditions-and-a-game/index.html", "day-5/handout/trainer.html"].iter()) {
            let path = format!("ar/{page}");
            b.open(&path).await;
            let found = b.js(SLANTED_ARABIC_JS).await;
            for s in found["slanted"].as_array().unwrap() {
                failures.push(format!("{path}: Arabic in italic (a fake, slanted Naskh): {s}"));
            }
            if found["middot"] == true {
                failures.push(format!("{path}: shows a \"·\", which Naskh draws like the Arabic zero"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 2. Fonts
// ---------------------------------------------------------------------------------------

/// The site's web fonts once `document.fonts.ready`: (family, weight, style, status).
async fn loaded_faces(b: &Browser) -> Vec<(String, String, String, String)> {
    let faces = b
        .js_async(
            "const done = arguments[arguments.length - 1];
             document.fonts.ready.then(() => done([...document.fonts].map(f => [f.family.replace(/[\"']/g, ''), f.weight, f.style, f.status])));",
        )
        .await;
    faces
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |i: usize| f[i].as_str().unwrap_or_default().to_string();
            (s(0), s(1), s(2), s(3))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arabic_pages_really_use_noto_naskh_arabic() {
    with_browser(DESKTOP.0, DESKTOP.1, |b| async move {
        for page in ["index.html", CODE_LESSON, "day-3/handout/learner.html"] {
            let path = format!("ar/{page}");
            b.open(&path).await;
            let faces = loaded_faces(&b).await;
            assert!(
                faces.iter().any(|(family, weight, _, status)| family == "Noto Naskh Arabic" && weight == "400" && status == "loaded"),
                "{path}: the regular Noto Naskh Arabic web font is not loaded; document.fonts has {faces:?}"
            );
            let family = computed(&b, "main p", "fontFamily").await;
            let family = family.as_str().unwrap_or_default().replace(['"', '\''], "");
            assert!(family.starts_with("Noto Naskh Arabic"), "{path}: an Arabic paragraph computes font-family: {family}");
        }
        // Headings are bold: the bold face is loaded too.
        b.open(&format!("ar/{CODE_LESSON}")).await;
        let faces = loaded_faces(&b).await;
        assert!(
            faces.iter().any(|(family, weight, _, status)| family == "Noto Naskh Arabic" && weight == "700" && status == "loaded"),
            "the bold Noto Naskh Arabic is not loaded for the headings; document.fonts has {faces:?}"
        );
        // Code stays in the monospaced font, also in Arabic pages: the code element and the
        // highlighted tokens inside it, not only the <pre>.
        for lang in LANGS {
            let path = format!("{lang}/{CODE_LESSON}");
            b.open(&path).await;
            let families = b
                .js("return [...document.querySelectorAll('pre.code, pre.code code, pre.code code span, p code')].map(e => e.tagName.toLowerCase() + ' ' + getComputedStyle(e).fontFamily)")
                .await;
            let families: Vec<&str> = families.as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
            assert!(families.len() > 3, "{path}: expected code on this page");
            let wrong: Vec<&&str> = families.iter().filter(|f| !f.replace('"', "").split_once(' ').unwrap().1.starts_with("DejaVu Sans Mono")).collect();
            assert!(wrong.is_empty(), "{path}: code not in the monospaced font: {:?}", &wrong[..wrong.len().min(5)]);
        }
        b.open(&format!("ar/{CODE_LESSON}")).await;
        assert!(
            faces.iter().any(|(family, _, _, status)| family == "DejaVu Sans Mono" && status == "loaded"),
            "the code font is not loaded on an Arabic lesson with code; document.fonts has {faces:?}"
        );
        // And French pages use the Latin font.
        b.open(&format!("fr/{CODE_LESSON}")).await;
        let faces = loaded_faces(&b).await;
        assert!(
            faces.iter().any(|(family, weight, _, status)| family == "Noto Sans" && weight == "400" && status == "loaded"),
            "fr/{CODE_LESSON}: Noto Sans is not loaded; document.fonts has {faces:?}"
        );
        let family = computed(&b, "main p", "fontFamily").await;
        let family = family.as_str().unwrap_or_default().replace(['"', '\''], "");
        assert!(family.starts_with("Noto Sans"), "fr/{CODE_LESSON}: a French paragraph computes font-family: {family}");
        // Its link to the Arabic version is written in Arabic, in the Arabic font.
        let family = computed(&b, "a.lang-link", "fontFamily").await;
        let family = family.as_str().unwrap_or_default().replace(['"', '\''], "");
        assert!(family.starts_with("Noto Naskh Arabic"), "fr/{CODE_LESSON}: the link to Arabic computes font-family: {family}");
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 3. Language switch
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_leads_to_the_same_page_in_the_other_language_and_back() {
    with_browser(DESKTOP.0, DESKTOP.1, |b| async move {
        for page in [CODE_LESSON, "day-1/what-is-a-computer/index.html", "day-5/handout/trainer.html"] {
            for (from, to) in [("fr", "ar"), ("ar", "fr")] {
                let start = format!("{from}/{page}");
                b.open(&start).await;
                let title = b.js("return document.querySelector('main h1').textContent").await;
                b.click("a.lang-link").await;
                let target = format!("{to}/{page}");
                b.wait_for_path(&target).await;
                let lang = b.js("return document.documentElement.lang").await;
                assert_eq!(lang, to, "{start} → {target}: <html lang> is {lang}");
                let other = b.js("return document.querySelector('main h1').textContent").await;
                assert_ne!(title, other, "{start} → {target}: the title did not change language");
                b.click("a.lang-link").await;
                b.wait_for_path(&start).await;
                let lang = b.js("return document.documentElement.lang").await;
                assert_eq!(lang, from, "{target} → {start}: <html lang> is {lang}");
                let back = b.js("return document.querySelector('main h1').textContent").await;
                assert_eq!(title, back, "{target} → {start}: not back on the same page");
            }
        }
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 4. A 360 px phone
// ---------------------------------------------------------------------------------------

/// How wide the page is against the viewport, whether it can be scrolled sideways, and the
/// elements that stick out of the viewport (outside any element that scrolls by itself).
const OVERFLOW_JS: &str = r#"
const doc = document.documentElement;
const describe = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '')
  + ' "' + (e.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40) + '"';
const clipped = e => {
  for (let a = e.parentElement; a && a !== document.body && a !== doc; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== 'visible') return true;
  }
  return false;
};
const offenders = [];
for (const e of document.body.querySelectorAll('*')) {
  const r = e.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) continue;
  if ((r.right > doc.clientWidth + 1 || r.left < -1) && !clipped(e)) {
    offenders.push(describe(e) + ' spans ' + Math.round(r.left) + '…' + Math.round(r.right));
  }
}
window.scrollTo(10000, 0);
const right = window.scrollX;
window.scrollTo(-10000, 0);
const left = window.scrollX;
window.scrollTo(0, 0);
return { scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, innerWidth: window.innerWidth,
         scrolled: Math.max(Math.abs(right), Math.abs(left)), offenders: offenders.slice(0, 10) };
"#;

/// Each link of the navigation: its size and place against the viewport.
const NAV_JS: &str = r#"
// A link in a row that scrolls sideways (the days on a phone) is measured once that row is
// scrolled to it: it must be reachable there, never by scrolling the page.
const rowOf = a => { for (let e = a.parentElement; e; e = e.parentElement) {
  const o = getComputedStyle(e).overflowX;
  if ((o === 'auto' || o === 'scroll') && e.scrollWidth > e.clientWidth) return e; } return null; };
return [...document.querySelectorAll(arguments[0])].map(a => {
  const row = rowOf(a), before = row ? row.scrollLeft : 0;
  if (row) a.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  const r = a.getBoundingClientRect(), s = getComputedStyle(a);
  if (row) row.scrollLeft = before;
  return { text: a.textContent.trim(), width: r.width, height: r.height, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
           visible: s.visibility === 'visible' && s.display !== 'none' && Number(s.opacity) > 0 };
});
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_scrolls_sideways_on_a_360px_phone_and_the_navigation_stays_visible() {
    with_browser(PHONE.0, PHONE.1, |b| async move {
        let inner = b.js("return window.innerWidth").await;
        assert_eq!(inner, PHONE.0, "the viewport is not {} px wide", PHONE.0);
        let mut failures = Vec::new();
        for lang in LANGS {
            for page in PAGES {
                let path = format!("{lang}/{page}");
                b.open(&path).await;
                let o = b.js(OVERFLOW_JS).await;
                let (scroll, client, inner) = (o["scrollWidth"].as_f64().unwrap(), o["clientWidth"].as_f64().unwrap(), o["innerWidth"].as_f64().unwrap());
                if scroll > inner || scroll > client || o["scrolled"].as_f64().unwrap() > 0.0 {
                    failures.push(format!(
                        "{path}: scrolls sideways: scrollWidth {scroll} px, viewport {client} px ({inner} px with the scrollbar), scrolled {} px; sticking out: {}",
                        o["scrolled"],
                        o["offenders"]
                    ));
                }
                let nav = if is_print_page(page) { ".handout-bar a, .handout-bar button" } else { ".main-nav a" };
                let links = b.js_with(NAV_JS, vec![json!(nav)]).await;
                let links = links.as_array().unwrap();
                if links.is_empty() {
                    failures.push(format!("{path}: no navigation links ({nav})"));
                }
                for l in links {
                    let ok = l["visible"] == true
                        && l["width"].as_f64().unwrap() > 0.0
                        && l["height"].as_f64().unwrap() > 0.0
                        && l["left"].as_f64().unwrap() >= -0.5
                        && l["right"].as_f64().unwrap() <= client + 0.5
                        && l["top"].as_f64().unwrap() >= -0.5
                        && l["bottom"].as_f64().unwrap() <= PHONE.1 as f64 + 0.5;
                    if !ok {
                        failures.push(format!("{path}: the navigation link {} is not fully visible in the {client}×{} viewport: {l}", l["text"], PHONE.1));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "at {} px wide:\n  {}", PHONE.0, failures.join("\n  "));
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 5. Print
// ---------------------------------------------------------------------------------------

fn tool(name: &str, args: &[&str]) -> String {
    common::poppler(name, args)
}

/// Prints the current page as the browser does (A4, print media) and returns the PDF's
/// pages as text and the page count.
async fn print_current(b: &Browser, name: &str, dir: &std::path::Path) -> (Vec<String>, usize) {
    let pdf = b.client.print(PrintConfiguration::default()).await.unwrap_or_else(|e| panic!("printing {name}: {e}"));
    assert!(pdf.starts_with(b"%PDF"), "{name}: printing did not give a PDF");
    let file = dir.join(format!("{}.pdf", name.replace('/', "_")));
    std::fs::write(&file, &pdf).unwrap();
    let file = file.to_str().unwrap();
    let text = tool("pdftotext", &["-enc", "UTF-8", file, "-"]);
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    let info = tool("pdfinfo", &[file]);
    let count: usize = info.lines().find_map(|l| l.strip_prefix("Pages:")).expect("pdfinfo gives Pages:").trim().parse().unwrap();
    assert_eq!(count, pages.len(), "{name}: pdfinfo and pdftotext disagree on the number of pages");
    (pages, count)
}

/// The labels of the handout bar that appear nowhere else on the page: none may be printed.
const BAR_ONLY_LABELS_JS: &str = r#"
const main = document.querySelector('main').innerText;
return [...document.querySelectorAll(arguments[0])].map(e => e.textContent.trim()).filter(t => t && !main.includes(t));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printed_handouts_have_no_navigation_and_each_lesson_starts_a_page() {
    with_browser(DESKTOP.0, DESKTOP.1, |b| async move {
        let dir = tempfile::tempdir().unwrap();
        for (lang, version) in [("fr", "learner"), ("fr", "trainer"), ("ar", "learner"), ("ar", "trainer")] {
            let path = format!("{lang}/day-3/handout/{version}.html");
            b.open(&path).await;
            let bar_labels = b.js_with(BAR_ONLY_LABELS_JS, vec![json!(".handout-bar a, .handout-bar button")]).await;
            let bar_labels: Vec<String> = bar_labels.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
            assert!(!bar_labels.is_empty(), "{path}: expected a handout bar with its own labels");
            let lessons = b
                .js("return [...document.querySelectorAll('.handout-lesson')].map(l => [l.querySelector('.kicker').textContent, l.querySelector('h1').textContent])")
                .await;
            let lessons: Vec<(String, String)> =
                lessons.as_array().unwrap().iter().map(|l| (l[0].as_str().unwrap().to_string(), l[1].as_str().unwrap().to_string())).collect();
            assert!(lessons.len() >= 2, "{path}: expected the day's lessons, found {lessons:?}");

            let (pages, count) = print_current(&b, &path, dir.path()).await;
            let all = pages.join("\n");
            for label in &bar_labels {
                assert!(
                    !all.contains(label.as_str()),
                    "{path}: the printed handout shows the handout bar's \"{label}\" (the bar must be hidden in print)"
                );
            }
            let (min, max) = (lessons.len() + 1, 6 * lessons.len());
            assert!((min..=max).contains(&count), "{path}: printed on {count} pages, expected between {min} and {max}");

            // Each lesson begins at the top of a page of its own, after the cover.
            let page_skeletons: Vec<String> = pages.iter().map(|p| common::skeleton(p)).collect();
            let mut previous = 0;
            for (kicker, title) in &lessons {
                let (k, t) = (common::skeleton(kicker), common::skeleton(title));
                // Its first page: after the previous lesson's, with nothing before the title
                // but the kicker ("Jour 3 · Leçon 1") and a few characters of slack.
                let starts = |i: &usize| page_skeletons[*i].find(&t).is_some_and(|at| at <= k.len() + 12);
                let Some(page) = (previous + 1..pages.len()).find(starts) else {
                    let tops: Vec<String> = pages.iter().map(|p| p.split_whitespace().take(12).collect::<Vec<_>>().join(" ")).collect();
                    panic!(
                        "{path}: the lesson \"{title}\" does not start a page of its own after page {}; the pages begin with:\n  {}",
                        previous + 1,
                        tops.join("\n  ")
                    );
                };
                previous = page;
            }
        }

        // A lesson printed from the site: no header, navigation or footer on paper.
        for lang in LANGS {
            let path = format!("{lang}/{CODE_LESSON}");
            b.open(&path).await;
            let nav_labels =
                b.js_with(BAR_ONLY_LABELS_JS, vec![json!(".site-header a, .breadcrumb a, .prev-next a, .skip-link")]).await;
            let (pages, _) = print_current(&b, &path, dir.path()).await;
            let all = pages.join("\n");
            for label in nav_labels.as_array().unwrap() {
                let label = label.as_str().unwrap();
                assert!(!all.contains(label), "{path}: the printed lesson shows the site navigation's \"{label}\"");
            }
        }
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 6. Accessibility (axe-core)
// ---------------------------------------------------------------------------------------

const AXE: &str = include_str!("browser/axe.min.js");

const AXE_RUN_JS: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'], resultTypes: ['violations'] })
  .then(r => done({ violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map(n => ({ target: n.target.join(' '), summary: n.failureSummary, html: n.html.slice(0, 200) })) })) }))
  .catch(e => done({ error: String(e) }));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_serious_accessibility_violations() {
    with_browser(DESKTOP.0, DESKTOP.1, |b| async move {
        let mut report = Vec::new();
        for lang in LANGS {
            for page in PAGES {
                let path = format!("{lang}/{page}");
                b.open(&path).await;
                b.js(&format!("{AXE}\n;window.axe = axe; return typeof axe.run;")).await;
                let result = b.js_async(AXE_RUN_JS).await;
                assert!(result["error"].is_null(), "{path}: axe failed: {}", result["error"]);
                for v in result["violations"].as_array().unwrap() {
                    let impact = v["impact"].as_str().unwrap_or("none");
                    let id = v["id"].as_str().unwrap_or_default();
                    // Images without a text alternative and low contrast fail whatever
                    // impact axe gives them.
                    let blocking = matches!(impact, "serious" | "critical") || matches!(id, "image-alt" | "color-contrast" | "svg-img-alt" | "role-img-alt");
                    let mut text = format!("{path}: [{impact}] {id}: {} ({})", v["help"].as_str().unwrap_or_default(), v["helpUrl"].as_str().unwrap_or_default());
                    for n in v["nodes"].as_array().unwrap().iter().take(5) {
                        text.push_str(&format!(
                            "\n      at {}\n        {}\n        {}",
                            n["target"].as_str().unwrap_or_default(),
                            n["html"].as_str().unwrap_or_default(),
                            n["summary"].as_str().unwrap_or_default().replace('\n', "\n        ")
                        ));
                    }
                    if blocking {
                        report.push(text);
                    } else {
                        eprintln!("note (not failing): {text}");
                    }
                }
                // Every image has a text alternative (an empty one marks decoration).
                let missing = b.js("return [...document.images].filter(i => !i.hasAttribute('alt')).map(i => i.src)").await;
                if !missing.as_array().unwrap().is_empty() {
                    report.push(format!("{path}: images without alt: {missing}"));
                }
            }
        }
        assert!(report.is_empty(), "accessibility violations (axe-core, WCAG 2 A/AA):\n  {}", report.join("\n  "));
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 7. Screenshots
// ---------------------------------------------------------------------------------------

fn screenshot_dir() -> PathBuf {
    std::env::var_os("DARS_SCREENSHOTS").map(PathBuf::from).unwrap_or_else(|| project_root().join("screenshots"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_home_and_a_lesson_at_desktop_and_phone_widths() {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let out = dir.clone();
    with_browser(DESKTOP.0, DESKTOP.1, |b| async move {
        for (device, (width, height)) in [("desktop", DESKTOP), ("phone", PHONE)] {
            for lang in LANGS {
                for (name, page) in [("home", "index.html"), ("lesson", CODE_LESSON)] {
                    b.set_viewport(width, height).await;
                    b.open(&format!("{lang}/{page}")).await;
                    b.js_async("const done = arguments[arguments.length - 1]; document.fonts.ready.then(() => done(true));").await;
                    // The whole page, up to a limit.
                    let full = b.js("return document.documentElement.scrollHeight").await.as_u64().unwrap() as u32;
                    b.set_viewport_width(width, full.clamp(height, 8000)).await;
                    let png = b.client.screenshot().await.unwrap();
                    assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
                    let file = out.join(format!("{lang}-{name}-{device}.png"));
                    std::fs::write(&file, png).unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
                }
            }
        }
    })
    .await;
    eprintln!("screenshots in {}", dir.display());
}

// ---------------------------------------------------------------------------------------
// Languages as data: Tamazight in Tifinagh, an English lesson not yet translated
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tifinagh_is_drawn_in_its_web_font_and_an_untranslated_lesson_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("output");
    let content = project_root().join("tests/fixtures/languages/content");
    let built = common::build_with_binary(&content, &output);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let site = support::Site::serve(dir, output);
    support::with_browser_on(site, DESKTOP.0, DESKTOP.1, |b| async move {
        // A Tamazight page, and a French one quoting Tifinagh letters: both fetch and use
        // Noto Sans Tifinagh.
        for (path, css) in [("zgh/day-1/alphabet/index.html", "h1"), ("fr/day-1/alphabet/index.html", ".lesson-body p")] {
            b.open(path).await;
            let faces = loaded_faces(&b).await;
            assert!(
                faces.iter().any(|(family, _, _, status)| family == "Noto Sans Tifinagh" && status == "loaded"),
                "{path}: the Tifinagh web font is not loaded; document.fonts has {faces:?}"
            );
            let family = computed(&b, css, "fontFamily").await;
            let family = family.as_str().unwrap_or_default().replace(['"', '\''], "");
            assert!(family.contains("Noto Sans Tifinagh"), "{path}: {css} computes font-family: {family}");
        }
        b.open("zgh/day-1/alphabet/index.html").await;
        let family = computed(&b, "h1", "fontFamily").await;
        assert!(family.as_str().unwrap_or_default().replace('"', "").starts_with("Noto Sans Tifinagh"), "zgh heading: {family}");
        // The language switch of an English page names Tamazight in Tifinagh, in its font.
        b.open("en/index.html").await;
        let family = computed(&b, "a.lang-link[lang=zgh]", "fontFamily").await;
        assert!(family.as_str().unwrap_or_default().replace('"', "").starts_with("Noto Sans Tifinagh"), "the link to zgh: {family}");
        // The English page of a lesson not translated yet shows the notice, then French.
        b.open("en/day-1/keyboard/index.html").await;
        let shown = b
            .js("const n = document.querySelector('.untranslated-notice'); const r = n && n.getBoundingClientRect(); return n ? [r.height > 10 && getComputedStyle(n).display != 'none', n.textContent] : null")
            .await;
        assert_eq!(shown[0], true, "the notice is visible: {shown}");
        assert!(shown[1].as_str().unwrap().contains("not been translated into English"), "{shown}");
        let lang = b.js("return [document.documentElement.lang, document.querySelector('.lesson-body').lang, document.querySelector('h1').lang]").await;
        assert_eq!(lang, json!(["en", "fr", "fr"]));
    })
    .await;
}
