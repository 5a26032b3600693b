//! Checks over the whole programme once its lessons are rendered: anchors, unused files,
//! drafts, empty or over-long days, translations behind their source (the checks that
//! depend on the theme's languages are in `crate::language`). Errors stop a build; warnings are reported (and fail `dars check --strict`).

use std::collections::HashSet;

use crate::error::{Diagnostic, Diagnostics};
use crate::load::PROGRAMME_FILE;
use crate::model::{Site, Slot};
use crate::render::Bodies;
use crate::render::links::join;

pub fn site_checks(site: &Site, bodies: &Bodies) -> Diagnostics {
    let mut d = Diagnostics::new();
    anchors_and_files(site, bodies, &mut d);
    raw_html(site, bodies, &mut d);
    markdown_warnings(bodies, &mut d);
    d.extend(programme_checks(site));
    d
}

/// The checks that need no rendered body: days, drafts, translations, scripts.
pub fn programme_checks(site: &Site) -> Diagnostics {
    let mut d = Diagnostics::new();
    drafts(site, &mut d);
    days(site, &mut d);
    translations(site, &mut d);
    glued_latin(site, &mut d);
    d.extend(crate::materials::differently_named(site));
    d
}

/// Without `base_url` the sitemap can only list relative addresses (search engines want
/// absolute ones) and the 404 page links from the server's root: said by `dars build`, which
/// makes them (not by `dars check`, about mistakes in the content).
pub fn base_url(site: &Site, d: &mut Diagnostics) {
    let file = site.content_dir.join(PROGRAMME_FILE);
    match &site.base_url {
        None => d.push(Diagnostic::warning(
            &file,
            "no `base_url`: sitemap.xml lists addresses relative to itself and 404.html links to the server's root (/); add `base_url: https://…/` with the address the site will be published at",
        )),
        Some(url) if !(url.starts_with("https://") || url.starts_with("http://")) => {
            d.push(Diagnostic::warning(&file, format!("base_url `{url}` is not an absolute address; write it as https://host/path/")))
        }
        Some(_) => {}
    }
}

/// Latin text glued to brackets or operators (`print()`, `x = 5`) in the right-to-left
/// texts of the front matter and the trainer notes; lesson bodies are checked as they are
/// rendered (see `crate::bidi::glued_latin`).
fn glued_latin(site: &Site, d: &mut Diagnostics) {
    use crate::bidi::{glued_latin_in_line, glued_latin_in_markdown, glued_latin_message, has_rtl};
    for lesson in &site.lessons {
        // A lesson shown in its source language for want of a translation is checked once,
        // in that language.
        for t in lesson.translations.iter().filter(|(lang, t)| **lang == t.lang).map(|(_, t)| t) {
            let lines = [("title", std::slice::from_ref(&t.title)), ("summary", std::slice::from_ref(&t.summary)), ("objectives", &t.objectives[..]), ("materials", &t.materials[..])];
            for (key, texts) in lines {
                for snippet in texts.iter().filter(|s| has_rtl(s)).flat_map(|s| glued_latin_in_line(s)) {
                    d.push(t.at_key(key, Diagnostic::warning(&t.path, glued_latin_message(&snippet))));
                }
            }
            if let Some(notes) = t.trainer_notes.as_deref().filter(|n| has_rtl(n)) {
                let line = t.key_lines.get("trainer_notes").map_or(1, |l| l + 1);
                for (line, snippet) in glued_latin_in_markdown(notes, line) {
                    d.push(Diagnostic::warning(&t.path, glued_latin_message(&snippet)).at(line, None));
                }
            }
        }
    }
}

/// Scripts, frames and styles pasted into a lesson run for every visitor: said, unless the
/// lesson vouches for them; media paper cannot show are said too (the rule is in
/// `crate::rawhtml`).
fn raw_html(site: &Site, bodies: &Bodies, d: &mut Diagnostics) {
    use crate::rawhtml::Finding;
    for ((index, lang), blocks) in bodies {
        let t = &site.lessons[*index].translations[lang];
        for (line, finding) in blocks.iter().flat_map(|b| b.raw_html.iter()) {
            let message = match finding {
                Finding::Active(_) if t.allow_active_html => continue,
                Finding::Active(what) => format!(
                    "raw HTML with {what}: it runs in the browser of every child who opens the page; remove it, or write `allow_active_html: true` in the front matter if you vouch for it"
                ),
                Finding::Unprintable(what) => format!("raw HTML {what} cannot be printed: the PDF handouts show a note that sends the reader to the website instead"),
            };
            d.push(Diagnostic::warning(&t.path, message).at(*line, None));
        }
    }
}

/// What rendering a lesson body found that is probably a mistake (code that takes in a
/// block marker or a heading, a heading id shown as text): see `crate::markdown`.
fn markdown_warnings(bodies: &Bodies, d: &mut Diagnostics) {
    for warning in bodies.values().flatten().flat_map(|b| b.warnings.iter()) {
        d.push(warning.clone());
    }
}

/// Links to `#headings` must find them; files in content/ should be used by a lesson.
fn anchors_and_files(site: &Site, bodies: &Bodies, d: &mut Diagnostics) {
    let mut used: HashSet<String> = HashSet::new();
    for ((index, lang), blocks) in bodies {
        let t = &site.lessons[*index].translations[lang];
        let own_ids: HashSet<&String> = blocks.iter().flat_map(|b| b.ids.iter()).collect();
        for (line, dest) in blocks.iter().flat_map(|b| b.links.iter()) {
            let (path, fragment) = match dest.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (dest.as_str(), None),
            };
            let target = if path.is_empty() { None } else { crate::render::links::file_part(path).and_then(|p| join(&t.rel, &p)) };
            if let Some(target) = &target {
                used.insert(target.clone());
            }
            let Some(fragment) = fragment.filter(|f| !f.is_empty()) else { continue };
            let ids: Option<HashSet<&String>> = match &target {
                None => Some(own_ids.clone()),
                Some(rel) => site.by_source.get(rel).and_then(|(i, l)| bodies.get(&(*i, l.clone()))).map(|b| b.iter().flat_map(|x| x.ids.iter()).collect()),
            };
            if let Some(ids) = ids
                && !ids.contains(&fragment.to_string())
            {
                let mut known: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
                known.sort();
                d.push(
                    Diagnostic::error(&t.path, format!("link `{dest}`: no heading with id `{fragment}` there (ids: {})", known.join(", "))).at(*line, None),
                );
            }
        }
    }
    used.extend(unrendered_links(site));
    for asset in &site.assets {
        if !used.contains(asset) {
            d.push(Diagnostic::warning(site.content_dir.join(asset), "no lesson uses this file; link to it or remove it"));
        }
    }
}

/// Files linked from lessons whose bodies did not render (their errors are reported): a
/// plain parse finds them, so that what such a lesson shows is not called unused.
fn unrendered_links(site: &Site) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag};
    let mut found = Vec::new();
    for t in site.unrendered.iter().flat_map(|l| l.translations.values()) {
        for event in Parser::new(&t.body) {
            if let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = event
                && let Some(target) = crate::render::links::file_part(&dest_url).and_then(|p| join(&t.rel, &p))
            {
                found.push(target);
            }
        }
    }
    found
}

fn drafts(site: &Site, d: &mut Diagnostics) {
    for lesson in &site.drafts {
        for t in lesson.translations.values().filter(|t| t.draft) {
            d.push(t.at_key("draft", Diagnostic::warning(&t.path, "draft: this lesson (in every language) is not published")));
        }
    }
}

fn days(site: &Site, d: &mut Diagnostics) {
    let programme = site.content_dir.join(PROGRAMME_FILE);
    for day in &site.days {
        // A day with lessons left out for their errors is checked with them (see
        // `Builder::render_into`), not here.
        if site.unrendered.iter().any(|l| l.day == day.number) {
            continue;
        }
        if day.lessons.is_empty() {
            d.push(at_day(Diagnostic::warning(&programme, format!("day {} has no lessons", day.number)), day));
        }
        let (Some(end), Some(slots)) = (day.end, site.timetable(day)) else { continue };
        let finish = slots.iter().map(|s| match s {
            Slot::Lesson { end, .. } | Slot::Break { end, .. } => *end,
        });
        if let Some(finish) = finish.max()
            && finish > end
        {
            d.push(at_day(
                Diagnostic::warning(
                    &programme,
                    format!("day {}: the lessons and breaks end at {finish}, after the session ends ({end}); shorten a lesson or move one to another day", day.number),
                ),
                day,
            ));
        }
    }
}

/// A finding about a day, on its line in programme.yaml.
fn at_day(d: Diagnostic, day: &crate::model::Day) -> Diagnostic {
    match day.line {
        Some(line) => d.at(line, None),
        None => d,
    }
}

/// A translation records the hash of its source; when the source changes, it is behind.
fn translations(site: &Site, d: &mut Diagnostics) {
    for lesson in site.lessons.iter().chain(&site.drafts) {
        let Some(source) = lesson.translations.get(&site.default_language) else { continue };
        for (lang, t) in &lesson.translations {
            if *lang == site.default_language || *lang != t.lang {
                continue;
            }
            if let Some(recorded) = &t.source_hash
                && *recorded != source.content_hash
            {
                d.push(t.at_key(
                    "source_hash",
                    Diagnostic::warning(
                        &t.path,
                        format!("translation may be out of date: {} changed since it was translated; update it, then run `dars mark-translated {}`", source.path.display(), t.path.display()),
                    ),
                ));
            }
        }
    }
}
