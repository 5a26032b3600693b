//! The trainer's kit of each centre of centres.yaml: for every session day an attendance
//! sheet and the day's report, as a print page and as PDFs typeset like the handouts (from
//! the theme's `handout/kit.typ`), the centre's page linking them, and one zip per centre
//! (its kit and the handouts, in every language) for a USB stick.
//!
//! Scale: a centre's kit in one language is laid out as one Typst document (all days, both
//! sheets) and cut into one PDF per sheet (`Typesetter::pdf_parts`); what was typeset is
//! listed in output/ by the hash of its template and data (`PdfCache`), so a build
//! re-typesets only the kits whose centre, programme, labels or template changed and reads
//! the others back from output/. Measured in benches/kits.rs.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::error::{Diagnostic, Diagnostics};
use crate::i18n::{format_count, format_date, format_duration};
use crate::model::{Centre, Day, Slot, text};
use crate::render::handout::{HandoutKit, map_outside_rayon};
use crate::render::pdf::Document;
use crate::render::website::{base_context, extend_context, object, render_template};
use crate::render::{Contents, OutputFile, Page, RenderContext, Version, centre_zip_path, kit_pdf_path, root_prefix};

/// The sheets of a day, in the order kit.typ lays them out; each names a PDF.
pub const SHEETS: [&str; 2] = ["attendance", "report"];

/// A handout PDF of the build: (day, language, version, bytes).
pub type HandoutPdf<'a> = (u32, &'a str, Version, &'a [u8]);

/// Every centre's kit: its pages and PDFs, handed to the sink as they are made (600
/// centres make thousands of PDFs and zips, more than memory should hold), and the size
/// of each centre's zip, for the downloads page.
pub fn render_kits(cx: &RenderContext, kit: Option<&HandoutKit>, handouts: &[HandoutPdf]) -> Result<(Vec<OutputFile>, Vec<Option<usize>>), Diagnostics> {
    let centres: Vec<usize> = (0..cx.site.centres.len()).collect();
    let results = map_outside_rayon(&centres, |&c| centre_kit(cx, kit, handouts, c));
    let mut files = Vec::new();
    let mut zips = Vec::new();
    let mut diags = Diagnostics::new();
    for r in results {
        match r {
            Ok((f, zip)) => {
                files.extend(f);
                zips.push(zip);
            }
            Err(d) => diags.extend(d),
        }
    }
    // What these kits were made from, for the next build (see `PdfCache`).
    if let Some(index) = cx.cache.and_then(|cache| cache.index()).filter(|_| !diags.has_errors()) {
        files.push(file(cx, crate::cache::PdfCache::INDEX.to_string(), index.into_bytes())?);
    }
    diags.into_result((files, zips))
}

/// One centre: in each language its PDFs, print pages and page; then its zip.
fn centre_kit(cx: &RenderContext, kit: Option<&HandoutKit>, handouts: &[HandoutPdf], c: usize) -> Result<(Vec<OutputFile>, Option<usize>), Diagnostics> {
    let site = cx.site;
    let mut files = Vec::new();
    let mut sizes: HashMap<String, usize> = HashMap::new();
    let mut zip_entries: Vec<(String, Vec<u8>)> = Vec::new();
    for lang in &site.languages {
        let lang = lang.code.as_str();
        if let Some(kit) = kit {
            let (key, parts) = kit_pdfs(cx, kit, c, lang)?;
            let mut made = Vec::new();
            for (part, bytes) in parts {
                let path = format!("{lang}/centres/{}/{part}-{lang}.pdf", site.centres[c].slug);
                sizes.insert(path.clone(), bytes.len());
                made.push((part.clone(), path, bytes.len()));
                zip_entries.push((format!("{lang}/{part}-{lang}.pdf"), bytes));
            }
            if let Some(cache) = cx.cache {
                cache.record(&key, made);
            }
        }
        for day in &site.days {
            files.push(kit_page(cx, c, day, lang)?);
        }
    }
    let zip = match kit {
        Some(_) => {
            let mut entries: Vec<(String, &[u8])> = handouts.iter().map(|(day, lang, v, b)| (format!("{lang}/day-{day}-{}-{lang}.pdf", v.name()), *b)).collect();
            entries.extend(zip_entries.iter().map(|(n, b)| (n.clone(), b.as_slice())));
            let path = centre_zip_path(site, c);
            let bytes = zip_files(&site.centres[c].slug, entries).map_err(|e| Diagnostic::error(&path, format!("cannot make the zip: {e}")))?;
            let size = bytes.len();
            files.push(file(cx, path, bytes)?);
            Some(size)
        }
        None => None,
    };
    for lang in &site.languages {
        files.push(centre_page(cx, c, &lang.code, &sizes, zip)?);
    }
    for (name, bytes) in zip_entries {
        let (lang, rest) = name.split_once('/').expect("entries are LANG/NAME");
        files.push(file(cx, format!("{lang}/centres/{}/{rest}", site.centres[c].slug), bytes)?);
    }
    Ok((files, zip))
}

/// A file of bytes: to the sink at once when there is one (only its path is kept).
fn file(cx: &RenderContext, path: String, bytes: Vec<u8>) -> Result<OutputFile, Diagnostics> {
    match cx.sink {
        Some(sink) => {
            sink.put(&path, &bytes)?;
            Ok(OutputFile { path, contents: Contents::Staged { links: Vec::new() } })
        }
        None => Ok(OutputFile::bytes(path, bytes)),
    }
}

/// The centre's PDFs in `lang`, named `day-N-SHEET`, with the hash of what they are made
/// from: read back from output/ when the last build made them from the same.
fn kit_pdfs(cx: &RenderContext, kit: &HandoutKit, c: usize, lang: &str) -> Result<(String, Vec<(String, Vec<u8>)>), Diagnostics> {
    let data = serde_json::to_vec(&kit_data(cx, c, lang)).expect("JSON values serialize");
    let template = kit.template();
    let key = crate::cache::PdfCache::key(&[template.kit.text.as_bytes(), template.blocks.text.as_bytes(), kit.fonts_fingerprint().as_bytes(), &data]);
    if let Some(parts) = cx.cache.and_then(|cache| cache.get(&key)) {
        return Ok((key, parts));
    }
    Ok((key, kit.typesetter().pdf_parts(&kit_document(cx, kit, c, lang, data), "kit-part")?))
}

fn kit_document(cx: &RenderContext, kit: &HandoutKit, c: usize, lang: &str, data: Vec<u8>) -> Document {
    let site = cx.site;
    let template = kit.template();
    let first = site.centres[c].dates.first().copied().unwrap_or(crate::calendar::Date { year: 2025, month: 1, day: 1 });
    Document {
        sources: vec![template.kit.clone(), template.blocks.clone()],
        files: vec![("/data.json".to_string(), data)],
        media_root: site.content_dir.clone(),
        today: (first.year, first.month as u8, first.day as u8),
        name: format!("the kit of centre {} ({lang})", site.centres[c].slug),
        limit_origin: site.content_dir.join(crate::load::CENTRES_FILE),
        max_pages: site.limits.handout_pages,
    }
}

/// How a centre's kit is typeset, for benches/kits.rs to compare: builds use `PerCentre`.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Layout {
    /// One document per centre and language, cut into one PDF per sheet.
    PerCentre,
    /// One document per sheet.
    PerSheet,
}

/// The centre's PDFs in `lang`, typeset as `layout` says, without the cache.
#[doc(hidden)]
pub fn typeset_kit(cx: &RenderContext, kit: &HandoutKit, c: usize, lang: &str, layout: Layout) -> Result<Vec<(String, Vec<u8>)>, Diagnostics> {
    let data = kit_data(cx, c, lang);
    match layout {
        Layout::PerCentre => kit.typesetter().pdf_parts(&kit_document(cx, kit, c, lang, serde_json::to_vec(&data).expect("JSON")), "kit-part"),
        Layout::PerSheet => {
            let mut out = Vec::new();
            for day in data["days"].as_array().into_iter().flatten() {
                for sheet in SHEETS {
                    let mut one = data.clone();
                    one["days"] = json!([day]);
                    one["sheets"] = json!([sheet]);
                    out.extend(kit.typesetter().pdf_parts(&kit_document(cx, kit, c, lang, serde_json::to_vec(&one).expect("JSON")), "kit-part")?);
                }
            }
            Ok(out)
        }
    }
}

/// What kit.typ reads: the centre, its days with their dates and lessons, the labels.
fn kit_data(cx: &RenderContext, c: usize, lang: &str) -> Value {
    let site = cx.site;
    let centre = &site.centres[c];
    let d = &site.default_language;
    let room = text(&centre.room, lang, d);
    let days: Vec<Value> = site.days.iter().enumerate().map(|(i, day)| day_data(cx, centre, i, day, lang)).collect();
    json!({
        "lang": lang, "dir": site.language(lang).map_or("ltr", |l| l.dir()),
        "title": format!("{}{}{}", cx.theme.label(lang, "kit"), cx.theme.label(lang, "separator"), text(&centre.name, lang, d)),
        "programme": text(&site.title, lang, d),
        "labels": cx.theme.strings[lang].labels,
        "fonts": cx.theme.font_families(lang),
        "rows": centre.attendance_rows,
        "parent_signature": site.kit.parent_signature,
        "centre": {
            "name": text(&centre.name, lang, d), "city": text(&centre.city, lang, d),
            "room": (!room.is_empty()).then_some(room), "trainers": centre.trainers,
        },
        "days": days,
    })
}

/// A day as the centre runs it: its date there, its lessons with their times.
fn day_data(cx: &RenderContext, centre: &Centre, index: usize, day: &Day, lang: &str) -> Value {
    let site = cx.site;
    let strings = &cx.theme.strings[lang];
    let date = centre.dates.get(index).copied().unwrap_or(day.date);
    let times: HashMap<usize, (String, String)> = site
        .timetable(day)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| match s {
            Slot::Lesson { index, start, end } => Some((index, (start.to_string(), end.to_string()))),
            Slot::Break { .. } => None,
        })
        .collect();
    let lessons: Vec<Value> = day
        .lessons
        .iter()
        .map(|&i| {
            let lesson = &site.lessons[i];
            let (start, end) = times.get(&i).cloned().map_or((Value::Null, Value::Null), |(s, e)| (json!(s), json!(e)));
            json!({
                "order": lesson.order, "title": lesson.translations[lang].title,
                "duration": format_duration(lesson.duration_minutes, lang, strings),
                "minutes": lesson.duration_minutes, "start": start, "end": end,
            })
        })
        .collect();
    json!({
        "number": day.number, "title": text(&day.title, lang, &site.default_language),
        "date": format_date(date, strings), "iso_date": date.to_string(), "lessons": lessons,
    })
}

/// The print page of a centre's day: both sheets, as the PDFs have them.
fn kit_page(cx: &RenderContext, c: usize, day: &Day, lang: &str) -> Result<OutputFile, Diagnostics> {
    let site = cx.site;
    let page = Page::Kit(c, day.number);
    let path = page.path(site, lang);
    let root = root_prefix(&path);
    let centre = &site.centres[c];
    let index = site.days.iter().position(|d| d.number == day.number).expect("the day is the site's");
    let sep = cx.theme.label(lang, "separator");
    let title = format!("{}{sep}{} {}{sep}{}", cx.theme.label(lang, "kit"), cx.theme.label(lang, "day"), day.number, text(&centre.name, lang, &site.default_language));
    let mut context = base_context(cx, page, lang, &path, &title, cx.theme.label(lang, "kit_intro"));
    let mut data = kit_data(cx, c, lang);
    let day_value = day_data(cx, centre, index, day, lang);
    let pdfs: Vec<Value> = SHEETS
        .iter()
        .map(|sheet| json!({ "label": cx.theme.label(lang, sheet_label(sheet)), "href": cx.pdf.then(|| format!("{root}{}", kit_pdf_path(site, c, day.number, sheet, lang))) }))
        .collect();
    extend_context(
        &mut context,
        object([
            ("centre", data["centre"].take()),
            ("day", day_value),
            ("rows", json!((1..=centre.attendance_rows).collect::<Vec<_>>())),
            ("parent_signature", json!(site.kit.parent_signature)),
            ("centre_href", json!(format!("{root}{}", Page::Centre(c).path(site, lang)))),
            ("pdfs", Value::Array(pdfs)),
        ]),
    );
    cx.page(path, render_template(cx, "kit.html", &context)?)
}

fn sheet_label(sheet: &str) -> &'static str {
    match sheet {
        "attendance" => "attendance_sheet",
        _ => "day_report",
    }
}

/// The centre's page: where and when, who, and its kit for each day.
fn centre_page(cx: &RenderContext, c: usize, lang: &str, sizes: &HashMap<String, usize>, zip: Option<usize>) -> Result<OutputFile, Diagnostics> {
    let site = cx.site;
    let strings = &cx.theme.strings[lang];
    let centre = &site.centres[c];
    let d = &site.default_language;
    let page = Page::Centre(c);
    let path = page.path(site, lang);
    let root = root_prefix(&path);
    let size = |bytes: usize| format_count("kilobytes", bytes.div_ceil(1024) as u64, lang, strings);
    let days: Vec<Value> = site
        .days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let date = centre.dates.get(i).copied().unwrap_or(day.date);
            let sheets: Vec<Value> = SHEETS
                .iter()
                .filter_map(|sheet| {
                    let pdf = kit_pdf_path(site, c, day.number, sheet, lang);
                    let bytes = sizes.get(&pdf)?;
                    Some(json!({ "label": cx.theme.label(lang, sheet_label(sheet)), "href": format!("{root}{pdf}"), "size": size(*bytes) }))
                })
                .collect();
            json!({
                "number": day.number, "title": text(&day.title, lang, d),
                "date": format_date(date, strings), "iso_date": date.to_string(),
                "day_href": format!("{root}{}", Page::Day(day.number).path(site, lang)),
                "print_href": format!("{root}{}", Page::Kit(c, day.number).path(site, lang)),
                "sheets": sheets,
            })
        })
        .collect();
    let name = text(&centre.name, lang, d);
    let mut context = base_context(cx, page, lang, &path, name, cx.theme.label(lang, "kit_intro"));
    let room = text(&centre.room, lang, d);
    extend_context(
        &mut context,
        object([
            (
                "centre",
                json!({
                    "name": name, "city": text(&centre.city, lang, d), "region": text(&centre.region, lang, d),
                    "room": (!room.is_empty()).then_some(room), "contact": centre.contact, "trainers": centre.trainers,
                    "own_dates": centre.own_dates, "launch": centre.launch,
                }),
            ),
            ("days", Value::Array(days)),
            ("zip", json!(zip.map(|n| json!({ "href": format!("{root}{}", centre_zip_path(site, c)), "size": size(n) })))),
        ]),
    );
    cx.page(path, render_template(cx, "centre.html", &context)?)
}

/// What the downloads page of `lang` lists of each centre: its page and its zip.
pub fn downloads_rows(cx: &RenderContext, lang: &str, zips: &[Option<usize>]) -> Vec<Value> {
    let site = cx.site;
    let strings = &cx.theme.strings[lang];
    let root = root_prefix(&Page::Downloads.path(site, lang));
    let d = &site.default_language;
    site.centres
        .iter()
        .enumerate()
        .map(|(c, centre)| {
            let zip = zips.get(c).copied().flatten();
            json!({
                "name": text(&centre.name, lang, d), "city": text(&centre.city, lang, d),
                "href": format!("{root}{}", Page::Centre(c).path(site, lang)),
                "zip": zip.map(|n| json!({ "href": format!("{root}{}", centre_zip_path(site, c)), "size": format_count("kilobytes", n.div_ceil(1024) as u64, lang, strings) })),
            })
        })
        .collect()
}

/// PDFs are already compressed: stored as they are, below a folder named after the centre.
fn zip_files(folder: &str, mut entries: Vec<(String, &[u8])>) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::Write;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in entries {
        zip.start_file(format!("{folder}/{name}"), options)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// The handout PDFs of the build, for the centres' zips.
pub fn handout_pdfs(handouts: &[crate::render::handout::Rendered]) -> Vec<HandoutPdf<'_>> {
    handouts.iter().filter_map(|h| Some((h.day, h.lang.as_str(), h.version, h.pdf.as_deref()?))).collect()
}

/// The lines of a self-assessment grid for the lessons of `day` in `lang`: one per
/// objective, "Je sais …" / "أستطيع …" from the theme's `self_assessment_row`.
pub fn self_assessment(cx: &RenderContext, day: &Day, lang: &str) -> Value {
    let site = cx.site;
    let row = cx.theme.label(lang, "self_assessment_row");
    let groups: Vec<Value> = day
        .lessons
        .iter()
        .map(|&i| {
            let t = &site.lessons[i].translations[lang];
            json!({ "lesson": t.title, "rows": t.objectives.iter().map(|o| objective_row(row, o)).collect::<Vec<_>>() })
        })
        .collect();
    json!({
        "title": cx.theme.label(lang, "self_assessment"),
        "intro": cx.theme.label(lang, "self_assessment_intro"),
        "name_label": cx.theme.label(lang, "self_assessment_name"),
        "levels": [cx.theme.label(lang, "not_yet"), cx.theme.label(lang, "a_little"), cx.theme.label(lang, "yes")],
        "groups": groups,
    })
}

/// "Je sais {objective}" with "Nommer les parties" gives "Je sais nommer les parties": an
/// objective that follows words loses its capital, unless its second letter is a capital
/// too (an acronym, "IA").
fn objective_row(template: &str, objective: &str) -> String {
    if !template.contains("{objective}") {
        return format!("{template} {objective}");
    }
    let mut chars = objective.chars();
    let objective = match (chars.next(), chars.clone().next()) {
        (Some(first), second) if !template.starts_with("{objective}") && first.is_uppercase() && !second.is_some_and(char::is_uppercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => objective.to_string(),
    };
    template.replace("{objective}", &objective)
}

#[cfg(test)]
mod tests {
    use super::objective_row;

    #[test]
    fn objectives_follow_the_row_words() {
        assert_eq!(objective_row("Je sais {objective}", "Nommer les parties"), "Je sais nommer les parties");
        assert_eq!(objective_row("Je sais {objective}", "IA et données"), "Je sais IA et données");
        assert_eq!(objective_row("أستطيع {objective}", "تسمية الأجزاء"), "أستطيع تسمية الأجزاء");
        assert_eq!(objective_row("{objective}: I can", "Name parts"), "Name parts: I can");
    }
}
