//! The public website: per language a home page, a page per day, per lesson, the centres
//! and a 404 page; at the root a language chooser; plus the theme's static files.

use rayon::prelude::*;
use serde_json::{Value, json};
use tera::Context;

use crate::error::{Diagnostic, Diagnostics};
use crate::highlight::Highlight;
use crate::i18n::{format_count, format_date, format_duration};
use crate::markdown::{Audience, BlockLabels, HtmlContext, assemble, render_blocks_in, split_blocks};
use crate::model::{Day, Site, Slot, text};
use crate::render::{OutputFile, Page, RenderContext, Renderer, Version, handout_pdf_path, links, root_prefix, site_pages, images, webfonts};

pub struct Website;

/// The most days the navigation of every page lists one by one.
const NAV_DAYS: usize = 10;

impl Renderer for Website {
    fn name(&self) -> &'static str {
        "website"
    }

    fn render(&self, cx: &RenderContext) -> Result<Vec<OutputFile>, Diagnostics> {
        let site = cx.site;
        let jobs: Vec<(Page, &str)> = site_pages(site)
            .into_iter()
            .filter(|p| p.is_website_page())
            .flat_map(|p| site.languages.iter().map(move |l| (p, l.code.as_str())))
            .collect();
        let results: Vec<Result<OutputFile, Diagnostics>> = jobs.par_iter().map(|&(page, lang)| render_page(cx, page, lang)).collect();
        let mut files = Vec::with_capacity(results.len() + 16);
        let mut diags = Diagnostics::new();
        for r in results {
            match r {
                Ok(f) => files.push(f),
                Err(d) => diags.extend(d),
            }
        }
        match render_root(cx) {
            Ok(mut root) => files.append(&mut root),
            Err(d) => diags.extend(d),
        }
        match static_files(cx) {
            Ok(mut f) => files.append(&mut f),
            Err(d) => diags.extend(d),
        }
        diags.into_result(files)
    }
}

/// The theme's static files, its stylesheets' fonts as WOFF2 subsets of the site's
/// characters (in place of the font files), the highlighting styles and the content's media.
pub fn static_files(cx: &RenderContext) -> Result<Vec<OutputFile>, Diagnostics> {
    let site = cx.site;
    let chars = site_characters(cx);
    let mut files = Vec::new();
    let mut replaced = std::collections::HashSet::new();
    let mut diags = Diagnostics::new();
    for (rel, src) in cx.theme.static_files.iter().filter(|(rel, _)| rel.ends_with(".css")) {
        let made = src.read_text().map_err(Diagnostics::from).and_then(|css| webfonts::make(cx.theme, rel, &css, &chars));
        match made {
            Ok(made) => {
                files.push(OutputFile::bytes(format!("static/{rel}"), made.css));
                files.extend(made.fonts);
                replaced.extend(made.replaced);
            }
            Err(d) => diags.extend(d),
        }
    }
    files.extend(
        cx.theme
            .static_files
            .iter()
            .filter(|(rel, _)| !rel.ends_with(".css") && !replaced.contains(rel))
            .map(|(rel, file)| file.output(format!("static/{rel}"))),
    );
    files.push(OutputFile::bytes("static/highlight.css", highlight_css(cx)));
    files.extend(site.assets.iter().map(|rel| OutputFile::copy(format!("media/{rel}"), site.content_dir.join(rel))));
    files.extend(images::resized_files(&site.content_dir, &site.assets));
    diags.into_result(files)
}

fn site_characters(cx: &RenderContext) -> webfonts::Characters {
    let site = cx.site;
    webfonts::site_characters(&site.content_dir, cx.theme, site.lessons.iter().flat_map(|l| l.translations.values().map(|t| t.body.clone())))
}

/// The highlighting styles, down to the rules whose classes the site's code uses when the
/// lesson bodies are at hand (a full build); all of them otherwise.
fn highlight_css(cx: &RenderContext) -> String {
    let css = cx.highlighter.css();
    let Some(bodies) = cx.bodies else { return css.to_string() };
    let mut used = std::collections::HashSet::new();
    for block in bodies.values().flatten() {
        let mut rest = block.html.as_str();
        while let Some(at) = rest.find("class=\"") {
            rest = &rest[at + 7..];
            let end = rest.find('"').unwrap_or(rest.len());
            used.extend(rest[..end].split_whitespace().filter(|c| c.starts_with("hl-")).map(str::to_string));
            rest = &rest[end..];
        }
    }
    prune_css(css, &used)
}

/// The rules of `css` (no nesting, no at-rules) whose selectors name only `used` classes.
fn prune_css(css: &str, used: &std::collections::HashSet<String>) -> String {
    let mut out = String::new();
    for rule in css.split_inclusive('}') {
        let rule = match rule.rfind("*/") {
            Some(end) if rule.trim_start().starts_with("/*") => &rule[end + 2..],
            _ => rule,
        };
        let Some((selectors, body)) = rule.split_once('{') else { continue };
        let kept: Vec<&str> = selectors
            .split(',')
            .map(str::trim)
            .filter(|sel| sel.split(|c: char| c == '.' || c.is_whitespace()).filter(|c| c.starts_with("hl-")).all(|c| used.contains(c)))
            .collect();
        if !kept.is_empty() {
            let body: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
            out.push_str(&format!("{} {{{body}\n", kept.join(", ")));
        }
    }
    out
}

/// Renders `template` with `context`, naming the template file on failure.
pub fn render_template(cx: &RenderContext, template: &str, context: &Context) -> Result<String, Diagnostics> {
    cx.theme
        .tera
        .render(template, context)
        .map_err(|e| crate::theme::template_diagnostic(&cx.theme.template_path(template), &e).into())
}

pub fn render_page(cx: &RenderContext, page: Page, lang: &str) -> Result<OutputFile, Diagnostics> {
    let (path, html) = page_html(cx, page, lang)?;
    cx.page(path, html)
}

/// A page's path and HTML.
fn page_html(cx: &RenderContext, page: Page, lang: &str) -> Result<(String, String), Diagnostics> {
    let site = cx.site;
    let path = page.path(site, lang);
    let root = page_root(site, page, &path);
    let (template, title, description, extra) = match page {
        Page::Home => ("home.html", text(&site.title, lang, &site.default_language).to_string(), desc(site, lang), home_context(cx, lang, &root)),
        Page::Day(n) => {
            let day = site.day(n).expect("pages are made from the days");
            let title = format!("{} {}{}{}", cx.theme.label(lang, "day"), n, cx.theme.label(lang, "separator"), text(&day.title, lang, &site.default_language));
            (
                "day.html",
                title,
                text(&day.theme, lang, &site.default_language).to_string(),
                object([("day", day_context(cx, day, lang, &root)), ("timetable", timetable_context(cx, day, lang, &root))]),
            )
        }
        Page::Lesson(i) => {
            let t = &site.lessons[i].translations[lang];
            ("lesson.html", t.title.clone(), t.summary.clone(), lesson_context(cx, i, lang, &root)?)
        }
        Page::Centres => ("centres.html", centres_title(cx, lang), desc(site, lang), centres_context(cx, lang)),
        Page::NotFound => ("404.html", cx.theme.label(lang, "not_found_title").to_string(), desc(site, lang), json!({})),
        Page::Downloads | Page::Handout(..) | Page::Centre(_) | Page::Kit(..) => unreachable!("rendered by the handout renderer"),
    };
    let mut context = base_context(cx, page, lang, &path, &title, &description);
    extend_context(&mut context, extra);
    Ok((path, render_template(cx, template, &context)?))
}

/// Moves the fields of the object `extra` into `context`. (`Context::insert` serializes a
/// copy: for a lesson body, or a handout holding a day of them, most of the page.)
pub fn extend_context(context: &mut Context, extra: Value) {
    if let Ok(fields) = Context::from_value(extra) {
        context.extend(fields);
    }
}

/// An object of the given fields, moved in: `json!` serializes a copy of each value it is
/// given, which for a day of a large programme (its lessons) is worth avoiding.
pub fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

pub fn desc(site: &Site, lang: &str) -> String {
    text(&site.description, lang, &site.default_language).to_string()
}

/// What every page template sees: the page, the site navigation and the UI labels.
pub fn base_context(cx: &RenderContext, page: Page, lang: &str, path: &str, title: &str, description: &str) -> Context {
    let site = cx.site;
    let root = page_root(site, page, path);
    let language = site.language(lang).expect("pages are made in the site's languages");
    let alternates: Vec<Value> = site
        .languages
        .iter()
        .map(|l| {
            json!({
                "code": l.code, "name": l.name, "dir": l.dir(),
                "href": format!("{root}{}", page.path(site, &l.code)),
                "current": l.code == lang,
                // Not a translation: search engines are not told it is one (no hreflang).
                "fallback": is_fallback(site, page, &l.code),
            })
        })
        .collect();
    // Past a handful of days the navigation links to the list of days instead of naming
    // each (on every page of a large programme that list would outweigh the content).
    // The navigation marks where the page is: the day itself (aria-current="page"), or the
    // day a lesson is part of ("true": the reader is inside it).
    let current_day = match page {
        Page::Day(n) => Some((n, "page")),
        Page::Lesson(i) => Some((site.lessons[i].day, "true")),
        _ => None,
    };
    let days: Vec<Value> = if site.days.len() > NAV_DAYS {
        Vec::new()
    } else {
        site.days
            .iter()
            .map(|d| {
                let current = current_day.filter(|(n, _)| *n == d.number).map(|(_, how)| how);
                json!({ "number": d.number, "title": text(&d.title, lang, &site.default_language), "href": format!("{root}{}", Page::Day(d.number).path(site, lang)), "current": current })
            })
            .collect()
    };
    let fields = json!({
        "page": {
            "lang": lang, "dir": language.dir(), "title": title, "description": description,
            "root": root, "path": path, "alternates": alternates,
        },
        "site": {
            "title": text(&site.title, lang, &site.default_language),
            "short_title": text(&site.short_title, lang, &site.default_language),
            "home_href": format!("{root}{}", Page::Home.path(site, lang)),
            "centres_href": (!site.centres.is_empty()).then(|| format!("{root}{}", Page::Centres.path(site, lang))),
            "footer": text(&site.footer, lang, &site.default_language),
            "downloads_href": format!("{root}{}", Page::Downloads.path(site, lang)),
            "days": days,
            "current": match page { Page::Centres => "centres", Page::Downloads => "downloads", Page::Home => "home", _ => "" },
        },
        "t": cx.theme.strings[lang].labels,
        // Pages with highlighted code set it: only they load the highlighting styles.
        "has_code": false,
    });
    let mut c = Context::new();
    extend_context(&mut c, fields);
    if page == Page::NotFound && site.base_url.is_none() {
        c.insert("inline_css", &inline_css(cx, &root));
    }
    c
}

/// Whether `page` in `lang` is a lesson shown in another language for want of a
/// translation.
pub fn is_fallback(site: &Site, page: Page, lang: &str) -> bool {
    matches!(page, Page::Lesson(i) if site.lessons[i].is_fallback(lang))
}

/// What a page says of a lesson text shown in another language than its own: that
/// language (for `lang` and `dir` attributes) and the notice, in the page's language.
pub fn fallback_context(cx: &RenderContext, t: &crate::model::LessonText, lang: &str) -> Value {
    if t.lang == lang {
        return Value::Null;
    }
    let source = cx.site.language(&t.lang);
    let name = source.map_or(t.lang.as_str(), |l| l.name.as_str());
    json!({
        "lang": t.lang, "dir": source.map_or("ltr", |l| l.dir()), "name": name,
        "notice": cx.theme.label(lang, "untranslated_notice").replace("{language}", name),
        "fonts": cx.theme.font_families(&t.lang),
    })
}

/// The prefix of a page's links to the site's root: relative (`../../`), so that the site
/// works from a disk too; but for the 404 page, which a server sends for any address at any
/// depth: the absolute `base_url`, or else the server's root `/`.
pub fn page_root(site: &Site, page: Page, path: &str) -> String {
    match (page, &site.base_url) {
        (Page::NotFound, Some(base)) => format!("{}/", base.trim_end_matches('/')),
        (Page::NotFound, None) => "/".to_string(),
        _ => root_prefix(path),
    }
}

/// The theme's style sheet for the 404 page without a `base_url`: inside the page, so that
/// it is styled whatever the address it is sent for; its `url(…)`s made absolute from `root`.
fn inline_css(cx: &RenderContext, root: &str) -> String {
    let css = cx.theme.files.get("static/style.css").and_then(|f| f.read_text().ok()).unwrap_or_default();
    // With the same web fonts as the published style sheet (the theme's TTFs are not published).
    let css = webfonts::make(cx.theme, "style.css", &css, &site_characters(cx)).map(|w| w.css).unwrap_or(css);
    absolute_css_urls(&css, &format!("{root}static/"))
}

/// `url(fonts/x.ttf)` → `url(/static/fonts/x.ttf)`; absolute, `data:` and `#` urls kept.
pub fn absolute_css_urls(css: &str, base: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(at) = rest.find("url(") {
        let (before, after) = rest.split_at(at + 4);
        out.push_str(before);
        let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'');
        let target = &after[quote.map_or(0, char::len_utf8)..];
        if let Some(q) = quote {
            out.push(q);
        }
        if !(target.starts_with('/') || target.starts_with('#') || crate::render::links::is_external(target)) {
            out.push_str(base);
        }
        rest = target;
    }
    out.push_str(rest);
    out
}

fn home_context(cx: &RenderContext, lang: &str, root: &str) -> Value {
    let site = cx.site;
    let strings = &cx.theme.strings[lang];
    let days: Vec<Value> = site.days.iter().map(|d| day_context(cx, d, lang, root)).collect();
    let mut context = json!({
        "about": simple_markdown_html(text(&site.about, lang, &site.default_language), crate::typography::is_french(lang)),
        "total_duration": format_duration(site.total_minutes(), lang, strings),
        "lessons_count": format_count("lessons", site.lessons.len() as u64, lang, strings),
        "days_count": format_count("days", site.days.len() as u64, lang, strings),
        "centres_count": format_count("centres", site.centres.len() as u64, lang, strings),
        "age_min": site.audience.min, "age_max": site.audience.max,
        "card_columns": card_columns(days.len()),
    });
    context["days"] = Value::Array(days);
    context
}

/// Columns for `n` cards side by side on a wide screen: as many as fit (at most 4), but
/// never so many that the last row holds a single card.
fn card_columns(n: usize) -> usize {
    if n <= 4 {
        return n.max(1);
    }
    [4, 3, 5, 2, 6, 7].into_iter().find(|c| n % c != 1).unwrap_or(3)
}

pub fn day_context(cx: &RenderContext, day: &Day, lang: &str, root: &str) -> Value {
    let site = cx.site;
    let strings = &cx.theme.strings[lang];
    let lessons: Vec<Value> = day
        .lessons
        .iter()
        .map(|&i| {
            let l = &site.lessons[i];
            let t = &l.translations[lang];
            // Shown where it is not the programme's (a lesson for the older ones only).
            let age = (l.age != site.audience).then(|| json!({ "min": l.age.min, "max": l.age.max }));
            json!({
                "title": t.title, "summary": t.summary, "order": l.order, "age": age,
                "duration": format_duration(l.duration_minutes, lang, strings),
                "href": format!("{root}{}", Page::Lesson(i).path(site, lang)),
                "fallback": fallback_context(cx, t, lang),
            })
        })
        .collect();
    let mut context = json!({
        "number": day.number,
        "title": text(&day.title, lang, &site.default_language),
        "theme": text(&day.theme, lang, &site.default_language),
        "date": format_date(day.date, strings),
        "iso_date": day.date.to_string(),
        "duration": format_duration(site.day_minutes(day), lang, strings),
        "href": format!("{root}{}", Page::Day(day.number).path(site, lang)),
        "handouts": Version::ALL.map(|v| json!({
            "version": v.name(),
            "label": cx.theme.label(lang, &format!("{}_handout", v.name())),
            "html": format!("{root}{}", Page::Handout(day.number, v).path(site, lang)),
            "pdf": cx.pdf.then(|| format!("{root}{}", handout_pdf_path(day.number, lang, v))),
        })),
        "lessons_count": format_count("lessons", lessons.len() as u64, lang, strings),
    });
    context["lessons"] = Value::Array(lessons);
    context
}

pub fn timetable_context(cx: &RenderContext, day: &Day, lang: &str, root: &str) -> Value {
    let site = cx.site;
    let Some(slots) = site.timetable(day) else { return Value::Null };
    let rows: Vec<Value> = slots
        .iter()
        .map(|slot| match slot {
            Slot::Lesson { index, start, end } => json!({
                "kind": "lesson", "start": start.to_string(), "end": end.to_string(),
                "title": site.lessons[*index].translations[lang].title,
                "href": format!("{root}{}", Page::Lesson(*index).path(site, lang)),
            }),
            Slot::Break { start, end } => json!({
                "kind": "break", "start": start.to_string(), "end": end.to_string(),
                "title": cx.theme.label(lang, "break"),
            }),
        })
        .collect();
    Value::Array(rows)
}

fn lesson_context(cx: &RenderContext, index: usize, lang: &str, root: &str) -> Result<Value, Diagnostics> {
    let site = cx.site;
    let lesson = &site.lessons[index];
    let t = &lesson.translations[lang];
    let day = site.day(lesson.day).expect("lessons are on the programme's days");
    let strings = &cx.theme.strings[lang];
    let body = lesson_body_html(cx, index, lang, root, Audience::Public)?;
    let (prev, next) = site.neighbours(index);
    let link = |i: Option<usize>| {
        i.map(|i| json!({ "title": site.lessons[i].translations[lang].title, "href": format!("{root}{}", Page::Lesson(i).path(site, lang)) }))
    };
    let mut context = json!({
        "lesson": {
            "title": t.title, "summary": t.summary, "objectives": t.objectives, "materials": t.materials,
            "tags": t.tags, "duration": format_duration(lesson.duration_minutes, lang, strings),
            "age_min": lesson.age.min, "age_max": lesson.age.max, "order": lesson.order,
            "toc": body.toc,
            "fallback": fallback_context(cx, t, lang),
            // Only `dars serve --drafts` publishes drafts; their pages say so, in every
            // language (one draft translation holds the whole lesson back).
            "draft": lesson.translations.values().any(|t| t.draft),
        },
        "day": {
            "number": day.number,
            "title": text(&day.title, lang, &site.default_language),
            "href": format!("{root}{}", Page::Day(day.number).path(site, lang)),
        },
        "prev": link(prev),
        "next": link(next),
    });
    context["has_code"] = Value::Bool(body.html.contains("<pre class=\"code\""));
    // Moved in, not copied by `json!`: the body is most of the page.
    context["lesson"]["body"] = Value::String(images::responsive(&body.html, root, &site.content_dir, &site.assets));
    Ok(context)
}

/// A lesson's body as HTML for `audience`, links resolved for a page at `root`.
pub fn lesson_body_html(cx: &RenderContext, index: usize, lang: &str, root: &str, audience: Audience) -> Result<crate::markdown::RenderedHtml, Diagnostics> {
    let labels = block_labels(cx, lang);
    let cached = cx.bodies.filter(|_| root == root_prefix(&Page::Lesson(index).path(cx.site, lang))).and_then(|b| b.get(&(index, lang.to_string())));
    match cached {
        Some(blocks) => Ok(assemble(blocks, audience, &labels)),
        None => Ok(assemble(&lesson_blocks(cx, index, lang, root, cx.highlighter)?, audience, &labels)),
    }
}

/// Every block of a lesson body rendered, links resolved for a page at `root`.
pub fn lesson_blocks(cx: &RenderContext, index: usize, lang: &str, root: &str, highlighter: &dyn Highlight) -> Result<Vec<crate::markdown::RenderedBlock>, Diagnostics> {
    let t = &cx.site.lessons[index].translations[lang];
    let blocks = split_blocks(&t.body, t.body_line, &t.path)?;
    let page_lang = (t.lang != lang).then_some(lang);
    let resolve = |dest: &str| links::resolve_in(cx.site, &t.rel, root, dest, page_lang);
    let check_image = |dest: &str| links::check_image(cx.site, &t.rel, dest);
    let ctx = HtmlContext { file: &t.path, highlighter, resolve: &resolve, check_image: &check_image, max_depth: cx.site.limits.nesting_depth, labels: block_labels(cx, lang) };
    // A lesson shown for want of a translation is set as the language it is written in.
    render_blocks_in(&blocks, &ctx, text_lang(cx, &t.lang))
}

/// What rendering text needs of a page's language: its direction, French spacing.
pub fn text_lang(cx: &RenderContext, lang: &str) -> crate::bidi::TextLang {
    crate::bidi::TextLang::new(lang, cx.site.language(lang).is_some_and(|l| l.rtl))
}

fn block_labels<'a>(cx: &'a RenderContext, lang: &str) -> BlockLabels<'a> {
    BlockLabels {
        exercise: cx.theme.label(lang, "exercise"),
        solution: cx.theme.label(lang, "solution"),
        trainer: cx.theme.label(lang, "for_the_trainer"),
    }
}

/// Markdown from the programme file: no blocks, no lesson links; French spacing in French.
fn simple_markdown_html(markdown: &str, french: bool) -> String {
    use pulldown_cmark::{CowStr, Event};
    let mut html = String::new();
    let mut after_word = false;
    let events = pulldown_cmark::Parser::new_ext(markdown, crate::markdown::markdown_options()).map(|e| {
        let word_before = std::mem::replace(&mut after_word, matches!(e, Event::Text(_) | Event::Code(_) | Event::End(_)));
        match e {
            Event::Text(t) if french => Event::Text(CowStr::from(crate::typography::french_spacing_after(&t, word_before))),
            e => e,
        }
    });
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

fn centres_context(cx: &RenderContext, lang: &str) -> Value {
    let site = cx.site;
    let d = &site.default_language;
    let root = root_prefix(&Page::Centres.path(site, lang));
    let mut centres: Vec<Value> = site
        .centres
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({
                "region": text(&c.region, lang, d), "city": text(&c.city, lang, d), "name": text(&c.name, lang, d), "launch": c.launch,
                "href": format!("{root}{}", Page::Centre(i).path(site, lang)), "own_dates": c.own_dates,
                "room": text(&c.room, lang, d), "trainers": c.trainers,
            })
        })
        .collect();
    centres.sort_by(|a, b| a["region"].as_str().cmp(&b["region"].as_str()));
    let intro = site.centres_intro.get(lang).map_or_else(|| cx.theme.label(lang, "centres_intro"), String::as_str);
    json!({ "centres": centres, "centres_title": centres_title(cx, lang), "centres_intro": intro })
}

/// The centres page's heading: centres.yaml's `title`, or the theme's.
fn centres_title(cx: &RenderContext, lang: &str) -> String {
    cx.site.centres_title.get(lang).map_or_else(|| cx.theme.label(lang, "centres_title"), String::as_str).to_string()
}

/// The root: a language chooser, and a 404 page for servers that look for one there.
pub fn render_root(cx: &RenderContext) -> Result<Vec<OutputFile>, Diagnostics> {
    let site = cx.site;
    let languages: Vec<Value> = site
        .languages
        .iter()
        .map(|l| {
            json!({
                "code": l.code, "name": l.name, "dir": l.dir(),
                "href": Page::Home.path(site, &l.code),
                "title": text(&site.title, &l.code, &site.default_language),
                "description": text(&site.description, &l.code, &site.default_language),
                "enter": cx.theme.label(&l.code, "enter"),
                "separator": cx.theme.label(&l.code, "separator"),
            })
        })
        .collect();
    let default = site.language(&site.default_language).ok_or_else(|| Diagnostics::from(Diagnostic::error(&site.content_dir, "no default language")))?;
    let mut c = Context::new();
    c.insert("languages", &languages);
    c.insert("default", &json!({ "code": default.code, "dir": default.dir(), "href": Page::Home.path(site, &default.code) }));
    c.insert("title", text(&site.title, &default.code, &default.code));
    let index = render_template(cx, "root.html", &c)?;
    // The 404 page links from the site's root (see `page_root`): the same page serves there.
    let (_, not_found) = page_html(cx, Page::NotFound, &default.code)?;
    Ok(vec![OutputFile::bytes("index.html", index), OutputFile::bytes("404.html", not_found)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_row_of_day_cards_holds_a_single_card() {
        for n in 1..=40 {
            let c = card_columns(n);
            assert!(n <= c || n % c != 1, "{n} cards in {c} columns");
        }
        assert_eq!(card_columns(5), 3);
        assert_eq!(card_columns(4), 4);
    }

    #[test]
    fn highlighting_rules_of_unused_classes_are_left_out() {
        let css = "/*\n * theme\n */\n.hl-code {\n color: #323232;\n}\n.hl-comment, .hl-string .hl-x {\n color: #969896;\n}\n.hl-regexp {\n color: red;\n}\n";
        let used = ["hl-code", "hl-comment"].map(String::from).into_iter().collect();
        assert_eq!(prune_css(css, &used), ".hl-code {color: #323232; }\n.hl-comment {color: #969896; }\n");
    }
}
