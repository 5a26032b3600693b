//! Handouts: for every day, language and version (learner, trainer) a print-ready HTML
//! page and a PDF typeset by typst; per language an offline zip of every PDF and a
//! downloads page listing them with their sizes.

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::error::{Diagnostic, Diagnostics};
use crate::i18n::{format_count, format_date, format_duration};
use crate::markdown::{Audience, Block, BlockKind, split_blocks};
use crate::model::{Day, Site, Slot, text};
use crate::render::pdf::{Document, SourceFile, Typesetter};
use crate::render::typst_markup::{TypstContext, blocks_to_typst_in};
use crate::render::website::{base_context, day_context, extend_context, lesson_body_html, object, render_template, timetable_context};
use crate::render::{OutputFile, Page, RenderContext, Renderer, Version, handout_pdf_path, links, pack_path, root_prefix};

pub struct Handouts;

/// One handout: its HTML page and its PDF.
pub struct Rendered {
    pub day: u32,
    pub lang: String,
    pub version: Version,
    pub html: OutputFile,
    /// None when the build makes no PDFs.
    pub pdf: Option<Vec<u8>>,
}

/// What typesetting needs, loaded once and kept while the theme does not change.
pub struct HandoutKit {
    typesetter: Typesetter,
    template: HandoutTemplate,
}

impl HandoutKit {
    /// The fonts below the theme's `static/fonts/` and its `handout/` Typst files.
    pub fn load(theme: &crate::theme::Theme) -> Result<HandoutKit, Diagnostics> {
        let mut diags = Diagnostics::new();
        let mut fonts = Vec::new();
        for (_, file) in theme.files_below("static/fonts/").filter(|(name, _)| crate::render::pdf::is_font_file(name)) {
            match file.read() {
                Ok(std::borrow::Cow::Borrowed(bytes)) => fonts.push((file.origin.clone(), typst::foundations::Bytes::new(bytes))),
                Ok(std::borrow::Cow::Owned(bytes)) => fonts.push((file.origin.clone(), typst::foundations::Bytes::new(bytes))),
                Err(d) => diags.push(d),
            }
        }
        let typesetter = Typesetter::from_fonts(fonts);
        let template = HandoutTemplate::load(theme);
        match (typesetter, template) {
            (Ok(typesetter), Ok(template)) if diags.0.is_empty() => Ok(HandoutKit { typesetter, template }),
            (a, b) => Err(Diagnostics(diags.0.into_iter().chain([a.err(), b.err()].into_iter().flatten().flat_map(|d| d.0)).collect())),
        }
    }
}

impl Renderer for Handouts {
    fn name(&self) -> &'static str {
        "handouts"
    }

    fn render(&self, cx: &RenderContext) -> Result<Vec<OutputFile>, Diagnostics> {
        let kit = if cx.pdf { Some(HandoutKit::load(cx.theme)?) } else { None };
        let days: Vec<u32> = cx.site.days.iter().map(|d| d.number).collect();
        let handouts = render_days(cx, kit.as_ref(), &days)?;
        let mut files = Vec::new();
        for lang in &cx.site.languages {
            let mine: Vec<(u32, Version, &[u8])> =
                handouts.iter().filter(|h| h.lang == lang.code).filter_map(|h| Some((h.day, h.version, h.pdf.as_deref()?))).collect();
            files.extend(pack_and_downloads(cx, &lang.code, &mine)?);
        }
        for h in handouts {
            if let Some(pdf) = h.pdf {
                files.push(OutputFile::bytes(handout_pdf_path(h.day, &h.lang, h.version), pdf));
            }
            files.push(h.html);
        }
        Ok(files)
    }
}

/// Both versions of the handouts of `days`, in every language, in parallel; with PDFs
/// when a kit is given.
pub fn render_days(cx: &RenderContext, kit: Option<&HandoutKit>, days: &[u32]) -> Result<Vec<Rendered>, Diagnostics> {
    let jobs: Vec<(&Day, &str, Version)> = cx
        .site
        .days
        .iter()
        .filter(|d| days.contains(&d.number))
        .flat_map(|d| cx.site.languages.iter().flat_map(move |l| Version::ALL.map(|v| (d, l.code.as_str(), v))))
        .collect();
    let render = |&(day, lang, version): &(&Day, &str, Version)| render_handout(cx, kit, day, lang, version);
    let results: Vec<Result<Rendered, Diagnostics>> = match kit {
        Some(_) => map_outside_rayon(&jobs, render),
        None => jobs.par_iter().map(render).collect(),
    };
    let mut handouts = Vec::new();
    let mut diags = Diagnostics::new();
    for r in results {
        match r {
            Ok(h) => handouts.push(h),
            Err(d) => diags.extend(d),
        }
    }
    diags.into_result(handouts)
}

/// `f` over `items` on one plain thread per core, in order. Typesetting must not run on
/// rayon's workers: typst waits on its own parallel work with `rayon::yield_now`, which
/// runs whatever job is queued, such as another whole handout, inside the first one. With
/// hundreds of handouts queued, they nested until memory (gigabytes) or the stack ran out.
fn map_outside_rayon<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(items.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
                }
            });
        }
    });
    results.into_iter().filter_map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner())).collect()
}

/// The offline zip and the downloads page of `lang`, from every PDF of that language.
/// Without PDFs, the page lists the printable HTML handouts only.
pub fn pack_and_downloads(cx: &RenderContext, lang: &str, pdfs: &[(u32, Version, &[u8])]) -> Result<Vec<OutputFile>, Diagnostics> {
    if !cx.pdf {
        return Ok(vec![downloads_page(cx, lang, pdfs, None)?]);
    }
    let pack = zip_pack(lang, pdfs).map_err(|e| Diagnostic::error(pack_path(lang), format!("cannot make the zip: {e}")))?;
    let page = downloads_page(cx, lang, pdfs, Some(pack.len()))?;
    Ok(vec![page, OutputFile::bytes(pack_path(lang), pack)])
}

/// The theme's Typst files, read once per build.
struct HandoutTemplate {
    main: SourceFile,
    blocks: SourceFile,
}

impl HandoutTemplate {
    fn load(theme: &crate::theme::Theme) -> Result<HandoutTemplate, Diagnostics> {
        let read = |name: &str| -> Result<SourceFile, Diagnostic> {
            let file = theme.file(&format!("handout/{name}"))?;
            Ok(SourceFile { virtual_path: format!("/{name}"), text: file.read_text()?, origin: file.origin.clone() })
        };
        match (read("handout.typ"), read("blocks.typ")) {
            (Ok(main), Ok(blocks)) => Ok(HandoutTemplate { main, blocks }),
            (a, b) => Err(Diagnostics([a.err(), b.err()].into_iter().flatten().collect())),
        }
    }
}

fn render_handout(cx: &RenderContext, kit: Option<&HandoutKit>, day: &Day, lang: &str, version: Version) -> Result<Rendered, Diagnostics> {
    let html = handout_html(cx, day, lang, version)?;
    let pdf = match kit {
        Some(kit) => {
            within_size_limit(cx.site, day, lang, version)?;
            Some(kit.typesetter.pdf(&handout_document(cx, &kit.template, day, lang, version)?)?)
        }
        None => None,
    };
    Ok(Rendered { day: day.number, lang: lang.to_string(), version, html, pdf })
}

/// Raster images of content/ that the PDFs could not decode (a header is not enough: a
/// file cut short or damaged inside fails only when typst reads it whole). Their size is
/// bounded by `limits.image_megapixels`, checked before.
fn undecodable_images(site: &Site) -> Diagnostics {
    let raster = |a: &&String| ["png", "jpg", "jpeg", "gif", "webp"].iter().any(|x| a.to_ascii_lowercase().ends_with(&format!(".{x}")));
    let images: Vec<&String> = site.assets.iter().filter(raster).collect();
    let found: Vec<Diagnostic> = images
        .par_iter()
        .filter_map(|rel| {
            let path = site.content_dir.join(rel);
            // One that is not even an image, or too large to decode safely, is reported where
            // a lesson shows it; it is not decoded here.
            let size = imagesize::size(&path).ok()?;
            site.limits.check_image(rel, size.width as u64, size.height as u64).ok()?;
            let decoded = image::ImageReader::open(&path).and_then(|r| r.with_guessed_format()).map_err(|e| e.to_string()).and_then(|r| r.decode().map(|_| ()).map_err(|e| e.to_string()));
            decoded.err().map(|e| Diagnostic::error(&path, format!("this image cannot be decoded ({e}); the PDF handouts would fail on it: replace it with a PNG or JPEG file that opens")))
        })
        .collect();
    Diagnostics(found)
}

/// A day far longer than a handout is refused before typesetting: typst's time and memory
/// grow with the document.
fn within_size_limit(site: &Site, day: &Day, lang: &str, version: Version) -> Result<(), Diagnostic> {
    let bytes: u64 = day.lessons.iter().map(|&i| site.lessons[i].translations[lang].body.len() as u64).sum();
    let what = format!("the {} handout of day {} ({lang})", version.name(), day.number);
    site.limits.check_handout_size(&what, bytes).map_err(|m| {
        let d = Diagnostic::error(site.content_dir.join(crate::load::PROGRAMME_FILE), m);
        match day.line {
            Some(line) => d.at(line, None),
            None => d,
        }
    })
}

/// Start and end of each lesson of the day, when the day has a start time.
fn lesson_times(site: &Site, day: &Day, index: usize) -> (Value, Value) {
    let slot = site.timetable(day).and_then(|slots| {
        slots.into_iter().find_map(|s| match s {
            Slot::Lesson { index: i, start, end } if i == index => Some((start, end)),
            _ => None,
        })
    });
    match slot {
        Some((s, e)) => (json!(s.to_string()), json!(e.to_string())),
        None => (Value::Null, Value::Null),
    }
}

/// What both handout formats show of a lesson before its content.
fn lesson_entry(cx: &RenderContext, day: &Day, index: usize, lang: &str) -> Value {
    let lesson = &cx.site.lessons[index];
    let t = &lesson.translations[lang];
    let (start, end) = lesson_times(cx.site, day, index);
    json!({
        "title": t.title, "summary": t.summary, "order": lesson.order,
        "objectives": t.objectives, "materials": t.materials,
        "duration": format_duration(lesson.duration_minutes, lang, &cx.theme.strings[lang]),
        "start": start, "end": end,
        // Only where it differs from the programme's audience: most lessons are for all.
        "age": (lesson.age != cx.site.audience).then(|| json!({ "min": lesson.age.min, "max": lesson.age.max })),
    })
}

/// The day's checklist: every material once, near-identical wordings merged.
fn day_materials(site: &Site, day: &Day, lang: &str) -> Vec<String> {
    crate::materials::day_materials(site, day, lang).into_iter().map(|m| m.text).collect()
}

fn version_label(cx: &RenderContext, lang: &str, version: Version) -> String {
    cx.theme.label(lang, &format!("{}_version", version.name())).to_string()
}

fn handout_html(cx: &RenderContext, day: &Day, lang: &str, version: Version) -> Result<OutputFile, Diagnostics> {
    let site = cx.site;
    let page = Page::Handout(day.number, version);
    let path = page.path(site, lang);
    let root = root_prefix(&path);
    let mut diags = Diagnostics::new();
    let mut lessons = Vec::new();
    for &i in &day.lessons {
        let lesson = &site.lessons[i];
        let t = &lesson.translations[lang];
        let body = match lesson_body_html(cx, i, lang, &root, version.audience()) {
            Ok(b) => b.html,
            Err(d) => {
                diags.extend(d);
                continue;
            }
        };
        let notes = match (&t.trainer_notes, version) {
            (Some(n), Version::Trainer) => notes_html(cx, &notes_paragraphs(n), &t.path, &t.rel, &root, lang).map_err(|d| diags.extend(d)).ok(),
            _ => None,
        };
        let mut entry = lesson_entry(cx, day, i, lang);
        entry["body"] = Value::String(body);
        entry["notes"] = json!(notes);
        lessons.push(entry);
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let sep = cx.theme.label(lang, "separator");
    let title = format!("{} {}{sep}{}{sep}{}", cx.theme.label(lang, "day"), day.number, text(&day.title, lang, &site.default_language), version_label(cx, lang, version));
    let mut c = base_context(cx, page, lang, &path, &title, text(&day.theme, lang, &site.default_language));
    c.insert("version", version.name());
    c.insert("version_label", &version_label(cx, lang, version));

    // Moved in: a handout holds a whole day of lesson bodies.
    let fields = object([
        ("day", day_context(cx, day, lang, &root)),
        ("timetable", timetable_context(cx, day, lang, &root)),
        ("lessons", Value::Array(lessons)),
    ]);
    extend_context(&mut c, fields);
    c.insert("materials", &day_materials(site, day, lang));
    c.insert("pdf_href", &cx.pdf.then(|| format!("{root}{}", handout_pdf_path(day.number, lang, version))));
    cx.page(path, render_template(cx, "handout.html", &c)?)
}

/// Trainer notes are written a tip a line (a YAML block), which Markdown would run together
/// into one paragraph: each line becomes a paragraph of its own. Notes that already hold a
/// blank line or code are taken as the author wrote them.
fn notes_paragraphs(notes: &str) -> String {
    let lines: Vec<&str> = notes.trim_end().lines().collect();
    let as_written = lines.iter().any(|l| l.trim().is_empty() || l.trim_start().starts_with("```") || l.trim_start().starts_with("~~~"));
    if as_written { notes.to_string() } else { lines.join("\n\n") }
}

/// Trainer notes are Markdown too (without `:::` blocks).
fn notes_html(cx: &RenderContext, notes: &str, file: &Path, rel: &str, root: &str, lang: &str) -> Result<String, Diagnostics> {
    let blocks = [Block { kind: BlockKind::Text, text: notes, line: 1 }];
    let resolve = |dest: &str| links::resolve(cx.site, rel, root, dest);
    let check_image = |dest: &str| links::check_image(cx.site, rel, dest);
    let ctx = crate::markdown::HtmlContext {
        file,
        highlighter: cx.highlighter,
        resolve: &resolve,
        check_image: &check_image,
        max_depth: cx.site.limits.nesting_depth,
        labels: crate::markdown::BlockLabels { exercise: "", solution: "", trainer: "" },
    };
    Ok(crate::markdown::render_html_in(&blocks, Audience::Trainer, &ctx, crate::render::website::text_lang(cx, lang))?.html)
}

fn handout_document(cx: &RenderContext, template: &HandoutTemplate, day: &Day, lang: &str, version: Version) -> Result<Document, Diagnostics> {
    let site = cx.site;
    let strings = &cx.theme.strings[lang];
    let mut sources = vec![clone_source(&template.main), clone_source(&template.blocks)];
    let mut lessons = Vec::new();
    let mut diags = Diagnostics::new();
    for (n, &i) in day.lessons.iter().enumerate() {
        let lesson = &site.lessons[i];
        let t = &lesson.translations[lang];
        let (body, notes) = lesson_markup(site, t, lang, version);
        let source = format!("/lessons/{n}.typ");
        let notes_source = format!("/lessons/{n}-notes.typ");
        match body {
            Ok(markup) => sources.push(lesson_source(&source, markup, &t.path)),
            Err(d) => diags.extend(d),
        }
        let has_notes = match notes {
            Some(Ok(markup)) => {
                sources.push(lesson_source(&notes_source, markup, &t.path));
                true
            }
            Some(Err(d)) => {
                diags.extend(d);
                false
            }
            None => false,
        };
        let mut entry = lesson_entry(cx, day, i, lang);
        entry["source"] = json!(source);
        entry["notes"] = if has_notes { json!(notes_source) } else { Value::Null };
        lessons.push(entry);
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let timetable = site.timetable(day).map(|slots| {
        slots
            .iter()
            .map(|s| match s {
                Slot::Lesson { index, start, end } => json!({ "start": start.to_string(), "end": end.to_string(), "title": site.lessons[*index].translations[lang].title }),
                Slot::Break { start, end } => json!({ "start": start.to_string(), "end": end.to_string(), "title": cx.theme.label(lang, "break") }),
            })
            .collect::<Vec<_>>()
    });
    let language = site.language(lang).expect("handouts are made in the site's languages");
    let day_title = text(&day.title, lang, &site.default_language);
    let mut data = json!({
        "lang": lang, "dir": language.dir(), "version": version.name(),
        "version_label": version_label(cx, lang, version),
        "title": format!("{} {}{sep}{}{sep}{}", cx.theme.label(lang, "day"), day.number, day_title, version_label(cx, lang, version), sep = cx.theme.label(lang, "separator")),
        "programme": text(&site.title, lang, &site.default_language),
        "labels": strings.labels,
        "day": {
            "number": day.number, "title": day_title,
            "theme": text(&day.theme, lang, &site.default_language),
            "date": format_date(day.date, strings),
            "duration": format_duration(site.day_minutes(day), lang, strings),
        },
        "timetable": timetable,
        "materials": day_materials(site, day, lang),
    });
    data["lessons"] = Value::Array(lessons);
    Ok(Document {
        sources,
        files: vec![("/data.json".to_string(), serde_json::to_vec(&data).expect("JSON values serialize"))],
        media_root: site.content_dir.clone(),
        today: (day.date.year, day.date.month as u8, day.date.day as u8),
        name: format!("the {} handout of day {} ({lang})", version.name(), day.number),
        limit_origin: site.content_dir.join(crate::load::PROGRAMME_FILE),
        max_pages: site.limits.handout_pages,
    })
}

/// A lesson's body and trainer notes (trainer version only) as Typst markup, or the
/// authoring errors that stop it.
type Markup = Result<String, Diagnostics>;

fn lesson_markup(site: &Site, t: &crate::model::LessonText, lang: &str, version: Version) -> (Markup, Option<Markup>) {
    let image = |dest: &str| links::resolve_asset(site, &t.rel, dest).map(|rel| format!("/media/{rel}"));
    let tcx = TypstContext { file: &t.path, image: &image };
    let text_lang = crate::bidi::TextLang::new(lang, site.language(lang).is_some_and(|l| l.rtl));
    let body = split_blocks(&t.body, t.body_line, &t.path).and_then(|b| blocks_to_typst_in(&b, version.audience(), &tcx, text_lang));
    let notes = t.trainer_notes.as_deref().filter(|_| version == Version::Trainer).map(|notes| {
        let notes = notes_paragraphs(notes);
        let blocks = [Block { kind: BlockKind::Text, text: &notes, line: 1 }];
        blocks_to_typst_in(&blocks, Audience::Trainer, &tcx, text_lang)
    });
    (body, notes)
}

/// What a PDF handout needs of each lesson, checked without typesetting: its markup can be
/// made (images found, constructs supported). `dars check` does this instead of typesetting
/// every PDF; `dars check --pdf` typesets as a build does.
pub fn check_pdf_markup(site: &Site) -> Diagnostics {
    let found: Vec<Diagnostics> = site
        .lessons
        .par_iter()
        .flat_map_iter(|lesson| lesson.translations.iter())
        .map(|(lang, t)| {
            // The trainer version holds every block that has text, and the notes.
            let (body, notes) = lesson_markup(site, t, lang, Version::Trainer);
            let mut d = body.err().unwrap_or_default();
            d.extend(notes.and_then(Result::err).unwrap_or_default());
            d
        })
        .collect();
    let mut diags = Diagnostics::new();
    found.into_iter().for_each(|d| diags.extend(d));
    diags.extend(undecodable_images(site));
    for day in &site.days {
        for lang in &site.languages {
            // Both versions hold the same lessons: one finding per day and language.
            diags.extend(within_size_limit(site, day, &lang.code, Version::Trainer).err().map(Diagnostics::from).unwrap_or_default());
        }
    }
    diags
}

fn clone_source(s: &SourceFile) -> SourceFile {
    SourceFile { virtual_path: s.virtual_path.clone(), text: s.text.clone(), origin: s.origin.clone() }
}

/// A lesson's generated Typst source, which sees the block functions of the theme.
fn lesson_source(virtual_path: &str, markup: String, origin: &Path) -> SourceFile {
    SourceFile { virtual_path: virtual_path.to_string(), text: format!("#import \"/blocks.typ\": *\n{markup}"), origin: origin.to_path_buf() }
}

/// PDFs are already compressed: they are stored as they are.
fn zip_pack(lang: &str, pdfs: &[(u32, Version, &[u8])]) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut sorted: Vec<&(u32, Version, &[u8])> = pdfs.iter().collect();
    sorted.sort_by_key(|(day, version, _)| (*day, version.name()));
    for (day, version, pdf) in sorted {
        let name = handout_pdf_path(*day, lang, *version);
        let file_name = name.rsplit('/').next().unwrap_or(&name);
        zip.start_file(file_name, options)?;
        zip.write_all(pdf)?;
    }
    Ok(zip.finish()?.into_inner())
}

fn downloads_page(cx: &RenderContext, lang: &str, pdfs: &[(u32, Version, &[u8])], pack_size: Option<usize>) -> Result<OutputFile, Diagnostics> {
    let site = cx.site;
    let strings = &cx.theme.strings[lang];
    let path = Page::Downloads.path(site, lang);
    let root = root_prefix(&path);
    let size = |bytes: usize| format_count("kilobytes", bytes.div_ceil(1024) as u64, lang, strings);
    let entry = |day: u32, version: Version| {
        let pdf = pdfs.iter().find(|(d, v, _)| *d == day && *v == version);
        json!({
            "html": format!("{root}{}", Page::Handout(day, version).path(site, lang)),
            "pdf": pdf.map(|_| format!("{root}{}", handout_pdf_path(day, lang, version))),
            "pdf_size": pdf.map(|(_, _, b)| size(b.len())),
        })
    };
    let rows: Vec<Value> = site
        .days
        .iter()
        .map(|d| {
            json!({
                "number": d.number, "title": text(&d.title, lang, &site.default_language),
                "day_href": format!("{root}{}", Page::Day(d.number).path(site, lang)),
                "learner": entry(d.number, Version::Learner), "trainer": entry(d.number, Version::Trainer),
            })
        })
        .collect();
    let title = cx.theme.label(lang, "downloads_title");
    let mut c = base_context(cx, Page::Downloads, lang, &path, title, cx.theme.label(lang, "downloads_intro"));
    c.insert("handouts", &rows);
    c.insert("pack", &pack_size.map(|n| json!({ "href": format!("{root}{}", pack_path(lang)), "size": size(n) })));
    // Made after every renderer (see crate::pack): its size is not known yet.
    c.insert("site_zip", &json!({ "href": format!("{root}{}", crate::pack::SITE_ZIP) }));
    Ok(OutputFile::bytes(path, render_template(cx, "downloads.html", &c)?))
}
