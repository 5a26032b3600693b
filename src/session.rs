//! Incremental rebuilds for watch mode: the last good site stays in memory, and a change
//! re-renders only the pages it touches (a full rebuild when the theme or the programme
//! changes). A failed rebuild leaves the last good site as it was. Pages come first, so the
//! browser reloads at once; the PDFs they link follow as a `HandoutJob`, which runs without
//! holding the session, so pages are served meanwhile.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::build::{BuildOptions, Builder};
use crate::error::Diagnostics;
use crate::load::{Loaded, is_ignored_path, load_lesson, relative_slash_path};
use crate::model::Site;
use crate::render::handout::{HandoutKit, pack_and_downloads, render_days};
use crate::render::website::render_page;
use crate::render::{Contents, OutputFile, Page, RenderContext, Renderer, Version, handout_pdf_path, pack_path, site_pages};
use crate::theme::Theme;

/// What a rebuild changed.
#[derive(Debug, Clone)]
pub struct Update {
    /// Why: "full", "lesson", …
    pub kind: &'static str,
    /// Output paths written or removed.
    pub changed: Vec<String>,
    /// The page of the lesson just edited, in the language just edited.
    pub follow: Option<String>,
    pub elapsed: Duration,
}

impl Update {
    fn nothing() -> Update {
        Update { kind: "nothing", changed: Vec::new(), follow: None, elapsed: Duration::ZERO }
    }
}

struct State {
    loaded: Loaded,
    site: Arc<Site>,
    theme: Arc<Theme>,
    /// Fonts and template for the PDFs, when the session makes them.
    kit: Option<Arc<HandoutKit>>,
    /// Shared, so a rebuild copies the map, not the files.
    files: BTreeMap<String, Arc<Contents>>,
    /// Days whose handouts wait for a `HandoutJob` (pages come first, so the browser
    /// reloads fast).
    stale_days: BTreeSet<u32>,
    /// What the checks warn about in the site as it is (see `warnings_stale`).
    warnings: Diagnostics,
    /// The warnings are those of an earlier site: the next job checks again.
    warnings_stale: bool,
    /// Counts the rebuilds: a job begun before the last one made its files from an older site.
    generation: u64,
}

pub struct Session {
    pub opts: BuildOptions,
    builder: Arc<Builder>,
    state: Option<State>,
    /// The disk as last read, even when it did not build (errors are fixed file by file).
    pending: Option<Loaded>,
    /// Drafts are published, with a banner (`dars serve --drafts`).
    drafts: bool,
}

/// Handouts (and the warnings) of a site, made away from the session: see `Session::handout_job`.
pub struct HandoutJob {
    site: Arc<Site>,
    theme: Arc<Theme>,
    kit: Option<Arc<HandoutKit>>,
    builder: Arc<Builder>,
    /// The files as the job began: the PDFs of other days, for the zip.
    files: BTreeMap<String, Arc<Contents>>,
    days: Vec<u32>,
    pdf: bool,
    check: bool,
    generation: u64,
}

/// What a `HandoutJob` made, for `Session::complete`.
pub struct HandoutsMade {
    days: Vec<u32>,
    generation: u64,
    files: Result<Vec<OutputFile>, Diagnostics>,
    warnings: Option<Diagnostics>,
    elapsed: Duration,
}

impl HandoutJob {
    /// Checks the site for warnings (when they are stale), then typesets the days' handouts.
    pub fn run(self) -> HandoutsMade {
        let start = Instant::now();
        let cx = RenderContext { site: &self.site, theme: &self.theme, highlighter: &self.builder.highlighter, pdf: self.pdf, bodies: None, sink: None, cache: None };
        let warnings = self.check.then(|| {
            let (bodies, _) = crate::render::prerender_bodies(&cx);
            let found = crate::check::site_checks(&self.site, &bodies);
            Diagnostics(found.0.into_iter().filter(|d| !d.is_error()).collect()).sorted()
        });
        let files = if self.days.is_empty() { Ok(Vec::new()) } else { rerender_handouts(&cx, self.kit.as_deref(), &self.files, &self.days) };
        HandoutsMade { days: self.days, generation: self.generation, files, warnings, elapsed: start.elapsed() }
    }
}

impl Session {
    pub fn new(opts: BuildOptions) -> Session {
        Session { opts, builder: Arc::new(Builder::new()), state: None, pending: None, drafts: false }
    }

    /// Publishes drafts too, each page with a banner that says it is one.
    pub fn with_drafts(mut self, drafts: bool) -> Session {
        self.drafts = drafts;
        self
    }

    /// A served file of the last good site.
    pub fn file(&self, path: &str) -> Option<&Contents> {
        self.state.as_ref()?.files.get(path).map(|c| &**c)
    }

    pub fn has_site(&self) -> bool {
        self.state.is_some()
    }

    /// What the checks warn about in the served site (as of the last check).
    pub fn warnings(&self) -> Diagnostics {
        self.state.as_ref().map(|s| s.warnings.clone()).unwrap_or_default()
    }

    /// The model, with drafts published when the session shows them.
    fn model(&self, loaded: &Loaded, diags: Diagnostics) -> Result<Site, Diagnostics> {
        let mut site = crate::model::build(loaded, diags)?;
        if self.drafts {
            site.publish_drafts();
        }
        Ok(site)
    }

    /// Rebuilds every page; the handouts' PDFs are left to a `HandoutJob` (until it is
    /// done, the previous ones are served).
    pub fn full(&mut self) -> Result<Update, Diagnostics> {
        let start = Instant::now();
        let (loaded, site, theme) = match self.builder.load_all(&self.opts) {
            Ok(x) => x,
            Err(d) => {
                self.pending = None;
                return Err(d);
            }
        };
        let site = if self.drafts {
            let mut site = site;
            site.publish_drafts();
            site
        } else {
            site
        };
        let kit = if self.opts.pdf { Some(Arc::new(HandoutKit::load(&theme)?)) } else { None };
        let old = self.state.as_ref().map(|s| &s.files);
        let (files, warnings) = render_pages(&self.builder, &site, &theme, self.opts.pdf, old)?;
        let mut files: BTreeMap<String, Arc<Contents>> = files.into_iter().map(|f| (f.path, Arc::new(f.contents))).collect();
        // The previous PDFs stay served until the new ones are typeset.
        let typeset = typeset_paths(&site, self.opts.pdf);
        for (path, contents) in old.into_iter().flatten().filter(|(p, _)| typeset.contains(*p) && p.ends_with(".pdf")) {
            files.entry(path.clone()).or_insert_with(|| Arc::clone(contents));
        }
        let changed = changed_paths(old, &files);
        let stale_days = site.days.iter().map(|d| d.number).collect();
        let generation = self.state.as_ref().map_or(0, |s| s.generation + 1);
        self.state = Some(State { loaded, site: Arc::new(site), theme: Arc::new(theme), kit, files, stale_days, warnings, warnings_stale: false, generation });
        self.pending = None;
        Ok(Update { kind: "full", changed, follow: None, elapsed: start.elapsed() })
    }

    /// Rebuilds after `paths` changed on disk (created, edited, removed or renamed).
    pub fn apply(&mut self, paths: &[PathBuf]) -> Result<Update, Diagnostics> {
        let content = self.opts.content_dir.canonicalize().unwrap_or_else(|_| self.opts.content_dir.clone());
        let theme = self.opts.theme_dir.canonicalize().unwrap_or_else(|_| self.opts.theme_dir.clone());
        let mut lessons = BTreeSet::new();
        for path in paths {
            // Only the part below the watched folder: the project may itself sit in a hidden one.
            let below = [&content, &self.opts.content_dir, &theme, &self.opts.theme_dir].iter().find_map(|d| path.strip_prefix(d).ok()).or(path.file_name().map(Path::new));
            if below.is_some_and(is_ignored_path) {
                continue;
            }
            match relative_slash_path(&content, path).or_else(|| relative_slash_path(&self.opts.content_dir, path)) {
                Some(rel) if rel.ends_with(".md") && self.state.is_some() => {
                    lessons.insert(rel);
                }
                // The programme, the centres, an image, the theme: everything may change.
                _ => return self.full(),
            }
        }
        if lessons.is_empty() {
            return Ok(Update::nothing());
        }
        self.lessons_changed(&lessons)
    }

    fn lessons_changed(&mut self, rels: &BTreeSet<String>) -> Result<Update, Diagnostics> {
        let start = Instant::now();
        let state = self.state.as_ref().expect("incremental rebuilds follow a full one");
        let mut loaded = self.pending.take().unwrap_or_else(|| state.loaded.clone());
        let languages: Vec<String> = state.site.languages.iter().map(|l| l.code.clone()).collect();
        let limits = state.loaded.programme.limits;
        let mut diags = Diagnostics::new();
        for rel in rels {
            loaded.lessons.retain(|l| &l.rel != rel);
            loaded.failed.retain(|f| f != rel);
            if self.opts.content_dir.join(rel).is_file() {
                match load_lesson(&self.opts.content_dir, rel, &languages, &limits) {
                    Ok(l) => loaded.lessons.push(l),
                    Err(d) => {
                        diags.push(d);
                        loaded.failed.push(rel.clone());
                    }
                }
            }
        }
        loaded.lessons.sort_by(|a, b| a.rel.cmp(&b.rel));
        // Errors in files not touched now are still errors.
        for rel in loaded.failed.iter().filter(|f| !rels.contains(*f)) {
            if let Err(d) = load_lesson(&self.opts.content_dir, rel, &languages, &limits) {
                diags.push(d);
            }
        }
        let result = self.model(&loaded, diags);
        let state = self.state.as_mut().expect("checked above");
        let result = result.and_then(|site| Ok((rerender(&self.builder, state, &site, rels, self.opts.pdf)?, site)));
        match result {
            Ok((update, site)) => {
                state.site = Arc::new(site);
                state.loaded = loaded;
                state.warnings_stale = true;
                state.generation += 1;
                Ok(Update { elapsed: start.elapsed(), ..update })
            }
            Err(d) => {
                // The next change starts from what is on disk now, errors included.
                self.pending = Some(loaded);
                Err(d)
            }
        }
    }

    /// Whether handouts or warnings still wait for the last change.
    pub fn has_stale_handouts(&self) -> bool {
        self.state.as_ref().is_some_and(|s| !s.stale_days.is_empty() || s.warnings_stale)
    }

    /// The handouts of the days the last changes touched, and the warnings when they are
    /// stale, to make without holding the session; None when nothing waits.
    pub fn handout_job(&mut self) -> Option<HandoutJob> {
        let state = self.state.as_mut()?;
        if state.stale_days.is_empty() && !state.warnings_stale {
            return None;
        }
        let days: Vec<u32> = std::mem::take(&mut state.stale_days).into_iter().collect();
        let check = std::mem::replace(&mut state.warnings_stale, false);
        Some(HandoutJob {
            site: Arc::clone(&state.site),
            theme: Arc::clone(&state.theme),
            kit: state.kit.clone(),
            builder: Arc::clone(&self.builder),
            files: state.files.clone(),
            days,
            pdf: self.opts.pdf,
            check,
            generation: state.generation,
        })
    }

    /// Puts what a job made in the served site. A job begun before the last rebuild made
    /// them from an older site: its days are done again by the next job.
    pub fn complete(&mut self, made: HandoutsMade) -> Result<Update, Diagnostics> {
        let Some(state) = self.state.as_mut() else { return Ok(Update::nothing()) };
        if made.generation != state.generation {
            state.stale_days.extend(made.days);
            state.warnings_stale |= made.warnings.is_some();
            return Ok(Update::nothing());
        }
        if let Some(warnings) = made.warnings {
            state.warnings = warnings;
        }
        let out = made.files?;
        let mut files = state.files.clone();
        let fresh: HashSet<&str> = out.iter().map(|f| f.path.as_str()).collect();
        crate::linkcheck::check_pages(out.iter(), &|p| files.contains_key(p) || fresh.contains(p)).into_result(())?;
        for f in out {
            files.insert(f.path, Arc::new(f.contents));
        }
        let changed = changed_paths(Some(&state.files), &files);
        state.files = files;
        Ok(Update { kind: "handouts", changed, follow: None, elapsed: made.elapsed })
    }

    /// Makes what waits for the last changes (handouts, warnings) here and now.
    pub fn finish(&mut self) -> Result<Update, Diagnostics> {
        match self.handout_job() {
            Some(job) => {
                let made = job.run();
                self.complete(made)
            }
            None => Ok(Update::nothing()),
        }
    }
}

/// Every page of `site` and the HTML handouts, not the PDFs: the downloads page and the zip
/// are made with the PDFs of `old` (the previous site), and links to the PDFs about to be
/// typeset count as good. Returns the files and what the checks warn about.
fn render_pages(builder: &Builder, site: &Site, theme: &Theme, pdf: bool, old: Option<&BTreeMap<String, Arc<Contents>>>) -> Result<(Vec<OutputFile>, Diagnostics), Diagnostics> {
    let plain = RenderContext { site, theme, highlighter: &builder.highlighter, pdf, bodies: None, sink: None, cache: None };
    let (bodies, mut diags) = crate::render::prerender_bodies(&plain);
    diags.extend(crate::check::site_checks(site, &bodies));
    if diags.has_errors() {
        return Err(diags.sorted());
    }
    let cx = RenderContext { bodies: Some(&bodies), ..plain };
    let mut files = Vec::new();
    // Every renderer of `Builder::new` but the handouts, which are made below without PDFs.
    let renderers: [&dyn Renderer; 3] = [&crate::render::website::Website, &crate::render::sitemap::Sitemap, &crate::render::search::Search];
    for r in renderers {
        match r.render(&cx) {
            Ok(f) => files.extend(f),
            Err(d) => diags.extend(d),
        }
    }
    // The centres' pages and kits as print pages: `dars serve` typesets no kit PDFs.
    match crate::render::kit::render_kits(&RenderContext { pdf: false, ..cx }, None, &[]) {
        Ok((f, _)) => files.extend(f),
        Err(d) => diags.extend(d),
    }
    let days: Vec<u32> = site.days.iter().map(|d| d.number).collect();
    match render_days(&cx, None, &days) {
        Ok(handouts) => files.extend(handouts.into_iter().map(|h| h.html)),
        Err(d) => diags.extend(d),
    }
    let kept = |path: &str| match old.and_then(|o| o.get(path)).map(|c| &**c) {
        Some(Contents::Bytes(b)) => Some(b.clone()),
        _ => None,
    };
    // The centres' zips are made with the whole site; their sizes stay as they were.
    let kit_zips: Vec<Option<usize>> = (0..site.centres.len())
        .map(|c| match old.and_then(|o| o.get(&crate::render::centre_zip_path(site, c))).map(|c| &**c) {
            Some(Contents::Bytes(b)) => Some(b.len()),
            _ => None,
        })
        .collect();
    for lang in &site.languages {
        let mut previous: Vec<(u32, Version, Vec<u8>)> = Vec::new();
        for &day in &days {
            for v in Version::ALL {
                if let Some(b) = kept(&handout_pdf_path(day, &lang.code, v)) {
                    previous.push((day, v, b));
                }
            }
        }
        let refs: Vec<(u32, Version, &[u8])> = previous.iter().map(|(d, v, b)| (*d, *v, b.as_slice())).collect();
        match pack_and_downloads(&cx, &lang.code, &refs, &kit_zips) {
            Ok(f) => files.extend(f),
            Err(d) => diags.extend(d),
        }
    }
    if diags.has_errors() {
        return Err(diags.sorted());
    }
    // An empty stand-in in watch mode (see `crate::pack::site_zip`), as a build's render makes.
    files.push(crate::pack::site_zip(&files, None)?);
    let present: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let soon = typeset_paths(site, pdf);
    crate::linkcheck::check_pages(files.iter(), &|p| present.contains(p) || soon.contains(p)).into_result(())?;
    Ok((files, diags.sorted()))
}

/// The files a `HandoutJob` makes (each day's PDFs, each language's zip), when the session
/// makes PDFs: pages may link to them before they are typeset.
fn typeset_paths(site: &Site, pdf: bool) -> HashSet<String> {
    if !pdf {
        return HashSet::new();
    }
    let mut paths = HashSet::new();
    for lang in &site.languages {
        for day in &site.days {
            paths.extend(Version::ALL.map(|v| handout_pdf_path(day.number, &lang.code, v)));
        }
        paths.insert(pack_path(&lang.code));
    }
    paths
}

/// Where each lesson sits: its day, order and address; if that changes, so do many pages.
fn shape(site: &Site) -> Vec<(u32, u32, &str)> {
    site.lessons.iter().map(|l| (l.day, l.order, l.slug.as_str())).collect()
}

fn rerender(builder: &Builder, state: &mut State, site: &Site, rels: &BTreeSet<String>, pdf: bool) -> Result<Update, Diagnostics> {
    let cx = RenderContext { site, theme: &state.theme, highlighter: &builder.highlighter, pdf, bodies: None, sink: None, cache: None };
    let old: &Site = &state.site;
    // Days whose handouts change: the days the edited lessons were on, and are on now.
    let lesson_days = |s: &Site| -> Vec<u32> { rels.iter().filter_map(|r| s.by_source.get(r).map(|(i, _)| s.lessons[*i].day)).collect() };
    let mut days: Vec<u32> = lesson_days(old);
    days.extend(lesson_days(site));
    days.sort();
    days.dedup();

    let same_shape = shape(old) == shape(site);
    let pages: Vec<(Page, String)> = if same_shape {
        let mut pages = BTreeSet::new();
        for rel in rels {
            if let Some((i, _)) = site.by_source.get(rel) {
                let (prev, next) = site.neighbours(*i);
                for p in [Some(*i), prev, next].into_iter().flatten() {
                    pages.insert(Page::Lesson(p));
                }
                pages.insert(Page::Day(site.lessons[*i].day));
            }
        }
        pages.insert(Page::Home);
        site.languages.iter().flat_map(|l| pages.iter().map(move |p| (*p, l.code.clone()))).collect()
    } else {
        site_pages(site).into_iter().filter(|p| p.is_website_page()).flat_map(|p| site.languages.iter().map(move |l| (p, l.code.clone()))).collect()
    };

    let mut out: Vec<OutputFile> = Vec::new();
    let mut diags = Diagnostics::new();
    {
        use rayon::prelude::*;
        let results: Vec<Result<OutputFile, Diagnostics>> = pages.par_iter().map(|(p, l)| render_page(&cx, *p, l)).collect();
        for r in results {
            match r {
                Ok(f) => out.push(f),
                Err(d) => diags.extend(d),
            }
        }
    }
    if !same_shape {
        match crate::render::sitemap::Sitemap.render(&cx) {
            Ok(f) => out.extend(f),
            Err(d) => diags.extend(d),
        }
    }
    // Any edit of a lesson may change what search finds.
    match crate::render::search::Search.render(&cx) {
        Ok(f) => out.extend(f),
        Err(d) => diags.extend(d),
    }
    if diags.has_errors() {
        return Err(diags.sorted());
    }

    // The new site: unchanged files kept, re-rendered ones replaced; pages of lessons that
    // are gone are dropped when the shape changed.
    let mut files = state.files.clone();
    if !same_shape {
        let keep: BTreeSet<String> = site_pages(site).into_iter().flat_map(|p| site.languages.iter().map(move |l| p.path(site, &l.code))).collect();
        files.retain(|path, _| !path.ends_with(".html") || keep.contains(path) || !is_lesson_page(path));
    }
    let fresh: HashSet<&str> = out.iter().map(|f| f.path.as_str()).collect();
    let soon = typeset_paths(site, pdf);
    crate::linkcheck::check_pages(out.iter(), &|p| files.contains_key(p) || fresh.contains(p) || soon.contains(p)).into_result(())?;
    for f in out {
        files.insert(f.path, Arc::new(f.contents));
    }
    let changed = changed_paths(Some(&state.files), &files);
    let follow = rels.iter().find_map(|r| site.by_source.get(r).map(|(i, lang)| Page::Lesson(*i).path(site, lang)));
    state.files = files;
    state.stale_days.extend(days);
    Ok(Update { kind: if same_shape { "lesson" } else { "lessons" }, changed, follow, elapsed: Duration::ZERO })
}

/// Handouts of `days`, and each language's zip and downloads page made again with them.
fn rerender_handouts(cx: &RenderContext, kit: Option<&HandoutKit>, files: &BTreeMap<String, Arc<Contents>>, days: &[u32]) -> Result<Vec<OutputFile>, Diagnostics> {
    let site = cx.site;
    let handouts = render_days(cx, kit, days)?;
    let mut out = Vec::new();
    let mut pdfs: HashMap<(u32, Version, String), Vec<u8>> = HashMap::new();
    for h in handouts {
        if let Some(pdf) = h.pdf {
            pdfs.insert((h.day, h.version, h.lang.clone()), pdf.clone());
            out.push(OutputFile::bytes(handout_pdf_path(h.day, &h.lang, h.version), pdf));
        }
        out.push(h.html);
    }
    let mut diags = Diagnostics::new();
    // The centres' zips are made with the whole site; their sizes stay as they were.
    let kit_zips: Vec<Option<usize>> = (0..site.centres.len())
        .map(|c| match files.get(&crate::render::centre_zip_path(site, c)).map(|c| &**c) {
            Some(Contents::Bytes(b)) => Some(b.len()),
            _ => None,
        })
        .collect();
    for lang in &site.languages {
        let mut all: Vec<(u32, Version, Vec<u8>)> = Vec::new();
        for d in &site.days {
            for v in Version::ALL {
                let fresh = pdfs.remove(&(d.number, v, lang.code.clone()));
                let kept = || match files.get(&handout_pdf_path(d.number, &lang.code, v)).map(|c| &**c) {
                    Some(Contents::Bytes(b)) => Some(b.clone()),
                    _ => None,
                };
                if let Some(b) = fresh.or_else(kept) {
                    all.push((d.number, v, b));
                }
            }
        }
        let refs: Vec<(u32, Version, &[u8])> = all.iter().map(|(d, v, b)| (*d, *v, b.as_slice())).collect();
        match pack_and_downloads(cx, &lang.code, &refs, &kit_zips) {
            Ok(f) => out.extend(f),
            Err(d) => diags.extend(d),
        }
    }
    diags.into_result(out)
}

/// `fr/day-1/slug/index.html`: a lesson page (three folders deep).
fn is_lesson_page(path: &str) -> bool {
    path.matches('/').count() == 3 && path.ends_with("/index.html") && !path.contains("/handout/")
}

fn changed_paths(old: Option<&BTreeMap<String, Arc<Contents>>>, new: &BTreeMap<String, Arc<Contents>>) -> Vec<String> {
    let Some(old) = old else { return new.keys().cloned().collect() };
    let mut changed: Vec<String> = new
        .iter()
        .filter(|(p, c)| match old.get(*p) {
            Some(o) if Arc::ptr_eq(o, c) => false,
            Some(o) => match (&**o, &***c) {
                (Contents::Bytes(a), Contents::Bytes(b)) => a != b,
                (Contents::CopyOf(a), Contents::CopyOf(b)) => a != b,
                _ => true,
            },
            None => true,
        })
        .map(|(p, _)| p.clone())
        .collect();
    changed.extend(old.keys().filter(|p| !new.contains_key(*p)).cloned());
    changed
}

/// The folders watch mode watches.
pub fn watched_dirs(opts: &BuildOptions) -> Vec<&Path> {
    // A site without a theme folder of its own uses the built-in theme: nothing to watch.
    [opts.content_dir.as_path(), opts.theme_dir.as_path()].into_iter().filter(|d| *d == opts.content_dir || d.is_dir()).collect()
}
