//! What a page weighs and how it is laid out, in headless Chromium on the shipped site
//! served over HTTP (transferSize is 0 from file://): the bytes the browser actually
//! transfers for a first visit (empty cache) and for a second page, the grid of day cards,
//! the header on a phone, the current-page marker, and screenshots for a person to look at.
//!
//! One site, one browser for the whole binary (see tests/browser/support.rs).

#[allow(dead_code)]
mod common;
#[path = "browser/support.rs"]
#[allow(dead_code)]
mod support;

use std::path::PathBuf;

use serde_json::{Value, json};
use support::{Browser, project_root, with_browser};

/// Bytes a first view may transfer: HTML, CSS, fonts, the images it shows.
const FIRST_VIEW_BUDGET: u64 = 150 * 1024;
/// Bytes a second page of the same visit may transfer (its styles and fonts are cached).
const SECOND_PAGE_BUDGET: u64 = 30 * 1024;

const LESSON: &str = "day-3/hello-python/index.html";

const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (360, 740);

/// Waits until the page and the fonts it uses have loaded, then sums `transferSize` over
/// the navigation and every resource: `[total, [[url, bytes], …]]`.
const TRANSFERRED: &str = "const done = arguments[arguments.length - 1];
    document.fonts.ready.then(() => setTimeout(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const items = [[nav.name, nav.transferSize]].concat(
        performance.getEntriesByType('resource').map(r => [r.name, r.transferSize]));
      done([items.reduce((s, i) => s + i[1], 0), items]);
    }, 400));";

async fn transferred(b: &Browser) -> (u64, Vec<(String, u64)>) {
    let v = b.js_async(TRANSFERRED).await;
    let items = v[1]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i[0].as_str().unwrap().rsplit("/~").next().unwrap().to_string(), i[1].as_u64().unwrap_or(0)))
        .collect();
    (v[0].as_u64().unwrap(), items)
}

fn describe(items: &[(String, u64)]) -> String {
    items.iter().map(|(u, n)| format!("    {n:>8}  {u}")).collect::<Vec<_>>().join("\n")
}

/// First view of each language's home and lesson (each under a mount new to the cache),
/// then a second page in the same visit: the lesson after the home.
async fn byte_budget(b: &Browser, failures: &mut Vec<String>) {
    let mut report = Vec::new();
    for lang in ["fr", "ar"] {
        for (visit, first, second) in [("home", "index.html", Some(LESSON)), ("lesson", LESSON, None)] {
            b.open(&format!("~{lang}-{visit}/{lang}/{first}")).await;
            let (bytes, items) = transferred(b).await;
            report.push(format!("{lang}/{first} first view: {bytes} bytes\n{}", describe(&items)));
            if bytes > FIRST_VIEW_BUDGET {
                failures.push(format!("{lang}/{first}: a first view transfers {bytes} bytes, over {FIRST_VIEW_BUDGET}:\n{}", describe(&items)));
            }
            if let Some(second) = second {
                b.open(&format!("~{lang}-{visit}/{lang}/{second}")).await;
                let (bytes, items) = transferred(b).await;
                report.push(format!("{lang}/{second} after {lang}/{first}: {bytes} bytes\n{}", describe(&items)));
                if bytes > SECOND_PAGE_BUDGET {
                    failures.push(format!("{lang}/{second} after {lang}/{first}: transfers {bytes} bytes, over {SECOND_PAGE_BUDGET}:\n{}", describe(&items)));
                }
            }
        }
    }
    eprintln!("bytes transferred:\n{}", report.join("\n"));
}

/// Rows of the day cards on the home page: how many cards each row holds.
async fn card_rows(b: &Browser) -> Vec<u64> {
    let v = b
        .js("const rows = new Map();
             for (const c of document.querySelectorAll('.day-cards > li')) {
               const top = Math.round(c.getBoundingClientRect().top);
               rows.set(top, (rows.get(top) || 0) + 1);
             }
             return [...rows.entries()].sort((a, b) => a[0] - b[0]).map(e => e[1]);")
        .await;
    v.as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).collect()
}

async fn desktop_layout(b: &Browser, failures: &mut Vec<String>) {
    for lang in ["fr", "ar"] {
        b.open(&format!("{lang}/index.html")).await;
        let rows = card_rows(b).await;
        if rows.len() > 1 && rows.iter().any(|&n| n == 1) {
            failures.push(format!("{lang}/index.html at 1280 px: the day cards sit in rows of {rows:?}: a card alone on a row"));
        }
        // The header's content starts where the page's content starts.
        for page in ["index.html", LESSON] {
            b.open(&format!("{lang}/{page}")).await;
            let edges = b
                .js("const s = r => { const b = r.getBoundingClientRect(); return [b.left, b.right]; };
                     const h = s(document.querySelector('.header-row'));
                     const m = document.querySelector('main');
                     const cs = getComputedStyle(m);
                     const r = m.getBoundingClientRect();
                     return [h, [r.left + parseFloat(cs.paddingLeft), r.right - parseFloat(cs.paddingRight)]];")
                .await;
            let start = |v: &Value| if lang == "ar" { v[1].as_f64().unwrap() } else { v[0].as_f64().unwrap() };
            let (header, main) = (start(&edges[0]), start(&edges[1]));
            if (header - main).abs() > 1.0 {
                failures.push(format!("{lang}/{page} at 1280 px: the header starts at x={header}, the content at x={main}"));
            }
        }
        // The about text reads in lines of at most ~80 characters.
        b.open(&format!("{lang}/index.html")).await;
        let per_line = b
            .js("const p = document.querySelector('.about p');
                 if (!p) return null;
                 const range = document.createRange(); range.selectNodeContents(p);
                 const lines = new Set([...range.getClientRects()].map(r => Math.round(r.bottom))).size;
                 return p.textContent.length / lines;")
            .await;
        match per_line.as_f64() {
            None => failures.push(format!("{lang}/index.html: no .about paragraph")),
            Some(n) if n > 85.0 => failures.push(format!("{lang}/index.html at 1280 px: the about text runs {n:.0} characters a line")),
            Some(_) => {}
        }
        // The navigation marks the page it is on, and shows it.
        b.open(&format!("{lang}/day-3/index.html")).await;
        let marked = b
            .js("const links = [...document.querySelectorAll('.main-nav a')];
                 const current = links.filter(a => a.getAttribute('aria-current') === 'page');
                 const other = links.find(a => !a.hasAttribute('aria-current'));
                 const look = a => { const s = getComputedStyle(a); return [s.fontWeight, s.borderBottomWidth, s.borderBottomStyle, s.backgroundColor, s.textDecorationLine].join(' '); };
                 return [current.map(a => a.getAttribute('href')), current.length ? look(current[0]) : '', other ? look(other) : ''];")
            .await;
        let hrefs = marked[0].as_array().unwrap();
        if hrefs.len() != 1 || !hrefs[0].as_str().unwrap_or("").ends_with("day-3/index.html") {
            failures.push(format!("{lang}/day-3/index.html: the links with aria-current=page are {hrefs:?}, expected the one to day 3"));
        } else if marked[1] == marked[2] {
            failures.push(format!("{lang}/day-3/index.html: the current day's link looks like the others ({})", marked[1]));
        }
        // A lesson's page marks its day.
        b.open(&format!("{lang}/{LESSON}")).await;
        let current = b.js("return [...document.querySelectorAll('.main-nav a[aria-current]')].map(a => a.getAttribute('href'))").await;
        if current.as_array().unwrap().len() != 1 || !current[0].as_str().unwrap_or("").ends_with("day-3/index.html") {
            failures.push(format!("{lang}/{LESSON}: the navigation marks {current} as current, expected day 3"));
        }
    }
}

/// The age range a lesson is for, shown on its day's page where it differs from the
/// programme's (day 3: 10–15, the programme: 8–15), and not where it is the same.
async fn lesson_ages_on_day_pages(b: &Browser, failures: &mut Vec<String>) {
    for lang in ["fr", "ar"] {
        b.open(&format!("{lang}/day-3/index.html")).await;
        let text = b.js("return document.querySelector('main').innerText").await;
        let text = text.as_str().unwrap();
        if !(text.contains("10") && text.contains("15")) || b.js("return document.querySelectorAll('main .age').length").await == json!(0) {
            failures.push(format!("{lang}/day-3/index.html does not show its lessons' ages (10 to 15)"));
        }
        b.open(&format!("{lang}/day-1/index.html")).await;
        let ages = b.js("return document.querySelectorAll('main .age').length").await;
        if ages != json!(0) {
            failures.push(format!("{lang}/day-1/index.html shows {ages} age ranges, though its lessons are for the programme's ages"));
        }
    }
}

async fn phone_header(b: &Browser, failures: &mut Vec<String>) {
    for lang in ["fr", "ar"] {
        for page in ["index.html", LESSON] {
            b.open(&format!("{lang}/{page}")).await;
            let v = b
                .js("const h = document.querySelector('.site-header').getBoundingClientRect();
                     return [h.height, window.innerHeight, document.documentElement.scrollWidth, window.innerWidth];")
                .await;
            let (height, viewport) = (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
            if height > 0.15 * viewport {
                failures.push(format!("{lang}/{page} at 360 px: the header is {height} px high, {:.0}% of the screen", 100.0 * height / viewport));
            }
            if v[2].as_f64().unwrap() > v[3].as_f64().unwrap() {
                failures.push(format!("{lang}/{page} at 360 px: the page scrolls sideways ({} px wide)", v[2]));
            }
        }
    }
}

fn screenshot_dir() -> PathBuf {
    std::env::var_os("DARS_SCREENSHOTS").map(PathBuf::from).unwrap_or_else(|| project_root().join("screenshots"))
}

async fn screenshots(b: &Browser, size: (u32, u32), label: &str) {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for lang in ["fr", "ar"] {
        for (name, page) in [("home", "index.html"), ("day", "day-3/index.html"), ("lesson", LESSON)] {
            b.open(&format!("{lang}/{page}")).await;
            b.js_async("const done = arguments[arguments.length - 1]; document.fonts.ready.then(() => done(true));").await;
            let png = b.client.screenshot().await.unwrap();
            assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
            std::fs::write(dir.join(format!("pages-{lang}-{name}-{label}.png")), png).unwrap();
        }
    }
    let _ = size;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_stay_within_their_byte_budget_and_lay_out_at_desktop_and_phone_widths() {
    with_browser(DESKTOP.0, DESKTOP.1, |b| async move {
        let mut failures = Vec::new();
        // First, while the browser's cache is empty.
        byte_budget(&b, &mut failures).await;
        desktop_layout(&b, &mut failures).await;
        lesson_ages_on_day_pages(&b, &mut failures).await;
        screenshots(&b, DESKTOP, "1280").await;
        b.set_viewport(PHONE.0, PHONE.1).await;
        phone_header(&b, &mut failures).await;
        screenshots(&b, PHONE, "360").await;
        assert!(failures.is_empty(), "{} problem(s):\n{}", failures.len(), failures.join("\n"));
    })
    .await;
}
