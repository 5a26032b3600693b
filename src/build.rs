//! The pipeline, end to end: load → model → render → write.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::error::Diagnostics;
use crate::highlight::Highlighter;
use crate::load::Loaded;
use crate::model::Site;
use crate::render::{OutputFile, RenderContext, Renderer, handout::Handouts, search::Search, sitemap::Sitemap, website::Website};
use crate::theme::Theme;
use crate::write::{Discard, Failure, OutputDir, PageSink};

#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The project: an output folder may never hold it.
    pub project_dir: PathBuf,
    pub content_dir: PathBuf,
    pub theme_dir: PathBuf,
    pub output_dir: PathBuf,
    /// Typeset the handout PDFs (and their zip); without, handouts are HTML only.
    pub pdf: bool,
    /// Build even when output/ was made from the same inputs, and into a folder dars did
    /// not make (its files are then left alone, but for those dars makes).
    pub force: bool,
}

impl BuildOptions {
    /// The layout of a dars project: `content/`, `themes/default/`, `output/`.
    pub fn in_project(root: &Path) -> Self {
        // `content/…` rather than `./content/…` in messages when run from the project.
        let at = |p: &str| if root == Path::new(".") { PathBuf::from(p) } else { root.join(p) };
        Self { project_dir: root.to_path_buf(), content_dir: at("content"), theme_dir: at("themes/default"), output_dir: at("output"), pdf: true, force: false }
    }
}

#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    pub pages: usize,
    pub files: usize,
    /// Handout PDFs among the files.
    pub pdfs: usize,
    pub lessons: usize,
    /// Time of each stage, in order.
    pub stages: Vec<(&'static str, Duration)>,
    /// Wall time of each renderer (they run side by side within the render stage).
    pub renderers: Vec<(&'static str, Duration)>,
    /// CPU time of work spread over threads inside a stage, summed over them.
    pub cpu: Vec<(&'static str, Duration)>,
    /// What the checks found that does not stop a build.
    pub warnings: Diagnostics,
    /// Nothing was built: output/ was already made from the same inputs.
    pub up_to_date: bool,
}

impl BuildReport {
    pub fn total(&self) -> Duration {
        self.stages.iter().map(|(_, d)| *d).sum()
    }
}

/// What stays loaded between builds: syntaxes and the renderers.
pub struct Builder {
    pub highlighter: Highlighter,
    renderers: Vec<Box<dyn Renderer>>,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    pub fn new() -> Self {
        Self { highlighter: Highlighter::new(), renderers: vec![Box::new(Website), Box::new(Handouts), Box::new(Sitemap), Box::new(Search)] }
    }

    /// Every check, nothing written: errors and warnings together. Lessons in error are
    /// left out and the rest is rendered, to find as many mistakes as possible in one run.
    pub fn check(&self, opts: &BuildOptions) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let programme = crate::load::read_programme(&opts.content_dir);
        let langs = programme_languages(&programme);
        let theme = Theme::load(&opts.theme_dir, &langs).map_err(|d| diags.extend(d)).ok();
        let site = match crate::load::load_with(&opts.content_dir, programme) {
            Ok((loaded, load_diags)) => {
                let (site, model_diags) = crate::model::build_partial(&loaded, load_diags);
                diags.extend(model_diags);
                Some(site)
            }
            Err(d) => {
                diags.extend(d);
                None
            }
        };
        if let Some(site) = site {
            // Pages are only needed for their links: none is kept in memory.
            match theme.map(|theme| self.render_into(&site, &theme, opts.pdf, Some(&Discard))) {
                Some(Ok(r)) => diags.extend(r.warnings),
                Some(Err(d)) => diags.extend(d),
                None => {}
            }
            if !opts.pdf {
                // A line already in error (a missing image) is not reported again for the PDF.
                let known: std::collections::HashSet<(PathBuf, Option<usize>)> = diags.0.iter().filter(|d| d.is_error()).map(|d| (d.file.clone(), d.line)).collect();
                let pdf = crate::render::handout::check_pdf_markup(&site);
                diags.0.extend(pdf.0.into_iter().filter(|d| !known.contains(&(d.file.clone(), d.line))));
            }
        }
        diags.sorted()
    }

    /// Loads and checks content and theme, renders every output, and publishes it.
    pub fn build(&self, opts: &BuildOptions) -> Result<BuildReport, Failure> {
        let mut report = BuildReport::default();
        let start = Instant::now();
        // Held until the build is published: a second build waits, then decides for itself.
        let mut output = OutputDir::open(&opts.output_dir, &[&opts.content_dir, &opts.theme_dir], &opts.project_dir, opts.force)?;
        let inputs = crate::cache::inputs_hash(opts);
        if !opts.force && inputs.as_deref().is_some_and(|h| output.up_to_date(h)) {
            report.stages.push(("compare inputs", start.elapsed()));
            report.up_to_date = true;
            return Ok(report);
        }
        report.stages.push(("hash inputs", start.elapsed()));
        let (site, theme) = match timed(&mut report, "load", || self.load(opts)) {
            Ok(x) => x,
            // The later stages are run anyway, on what is valid, to report every mistake.
            Err(load) => return Err(self.every_error(opts, load).into()),
        };
        // Pages are staged as they are rendered; output/ changes only once all succeeded
        // (dropped on error, the staging folder is removed).
        let staging = output.staging()?;
        self.highlighter.take_spent();
        let cache = crate::cache::PdfCache::open(&opts.output_dir);
        let rendered = timed(&mut report, "render", || self.render_cached(&site, &theme, opts.pdf, Some(&staging), Some(&cache)))?;
        report.renderers = rendered.times;
        report.cpu.push(("highlight", self.highlighter.take_spent()));
        report.warnings = rendered.warnings;
        crate::check::base_url(&site, &mut report.warnings);
        let inputs = self.unchanged_since(inputs, opts, &mut report);
        let files = rendered.files;
        let published = timed(&mut report, "write", || output.publish(staging, &files, inputs))?;
        if !published.new_foreign.is_empty() {
            report.warnings.push(crate::error::Diagnostic::warning(
                &opts.output_dir,
                format!(
                    "holds {} file(s) dars did not write ({}); dars leaves them alone",
                    published.foreign,
                    published.new_foreign.iter().take(5).map(String::as_str).collect::<Vec<_>>().join(", ")
                        + if published.new_foreign.len() > 5 { ", …" } else { "" }
                ),
            ));
        }
        report.pages = files.iter().filter(|f| f.path.ends_with(".html")).count();
        report.files = files.len();
        report.pdfs = files.iter().filter(|f| f.path.ends_with(".pdf")).count();
        report.lessons = site.lessons.len();
        Ok(report)
    }

    /// `found`, and every other error `dars check` finds (without typesetting), for a build
    /// that stopped: the author fixes them all before building again.
    fn every_error(&self, opts: &BuildOptions, found: Diagnostics) -> Diagnostics {
        let mut all = found;
        let check = self.check(&BuildOptions { pdf: false, ..opts.clone() });
        all.0.extend(check.0.into_iter().filter(|d| d.is_error()));
        all.sorted()
    }

    /// The hash of the inputs if they are still what the build read: an edit made while it
    /// ran is not in output/, so output/ must not claim to be up to date with it.
    fn unchanged_since(&self, before: Option<String>, opts: &BuildOptions, report: &mut BuildReport) -> Option<String> {
        let before = before?;
        if crate::cache::inputs_hash(opts).as_ref() == Some(&before) {
            return Some(before);
        }
        report.warnings.push(crate::error::Diagnostic::warning(
            &opts.content_dir,
            "files of the content or the theme (or the dars program itself) changed while the site was being built: the changes are not all in this build, and output/ is marked not up to date; run dars build again",
        ));
        None
    }

    /// Content and theme, loaded and cross-checked; the errors of both are reported together.
    pub fn load(&self, opts: &BuildOptions) -> Result<(Site, Theme), Diagnostics> {
        self.load_all(opts).map(|(_, site, theme)| (site, theme))
    }

    /// As `load`, keeping what was read from disk too (watch mode rebuilds from it).
    pub fn load_all(&self, opts: &BuildOptions) -> Result<(Loaded, Site, Theme), Diagnostics> {
        let programme = crate::load::read_programme(&opts.content_dir);
        let langs = programme_languages(&programme);
        let (site, theme) = rayon::join(
            || {
                let (loaded, diags) = crate::load::load_with(&opts.content_dir, programme)?;
                let site = crate::model::build(&loaded, diags)?;
                Ok((loaded, site))
            },
            || Theme::load(&opts.theme_dir, &langs),
        );
        match (site, theme) {
            (Ok((loaded, site)), Ok(theme)) => Ok((loaded, site, theme)),
            (s, t) => {
                let mut d = Diagnostics::new();
                if let Err(e) = s {
                    d.extend(e);
                }
                if let Err(e) = t {
                    d.extend(e);
                }
                Err(d.sorted())
            }
        }
    }

    /// Every renderer over the same site, in parallel, then every check of the rendered
    /// site: all errors together, or the files with their warnings.
    pub fn render(&self, site: &Site, theme: &Theme, pdf: bool) -> Result<Rendered, Diagnostics> {
        self.render_into(site, theme, pdf, None)
    }

    /// As `render`, handing pages to `sink` as they come (only their links are kept).
    pub fn render_into(&self, site: &Site, theme: &Theme, pdf: bool, sink: Option<&dyn PageSink>) -> Result<Rendered, Diagnostics> {
        self.render_cached(site, theme, pdf, sink, None)
    }

    /// As `render_into`, taking typeset kits from `cache` and keeping new ones there.
    pub fn render_cached(&self, site: &Site, theme: &Theme, pdf: bool, sink: Option<&dyn PageSink>, cache: Option<&crate::cache::PdfCache>) -> Result<Rendered, Diagnostics> {
        let start = Instant::now();
        let (bodies, mut diags) = crate::render::prerender_bodies(&RenderContext { site, theme, highlighter: &self.highlighter, pdf, bodies: None, sink: None, cache: None });
        let bodies_time = start.elapsed();
        if diags.has_errors() {
            let failed = lessons_in_error(site, &diags);
            if failed.is_empty() {
                // The pages would only repeat these errors; the checks can still add theirs.
                diags.extend(crate::check::site_checks(site, &bodies));
                diags.extend(crate::language::language_checks(site, theme));
                return Err(diags.sorted());
            }
            // The other lessons are rendered and checked without them, so one run finds
            // the mistakes of every stage (a broken link here, a bad image there); days and
            // translations are checked with them.
            diags.extend(crate::check::programme_checks(site));
            match self.render_into(&site.without_lessons(&failed), theme, pdf, sink) {
                Ok(rest) => diags.extend(rest.warnings),
                Err(rest) => diags.extend(rest),
            }
            return Err(diags.sorted());
        }
        let cx = RenderContext { site, theme, highlighter: &self.highlighter, pdf, bodies: Some(&bodies), sink, cache };
        let (results, checks): (Vec<(&'static str, Duration, Result<Vec<OutputFile>, Diagnostics>)>, _) = rayon::join(
            || {
                self.renderers
                    .par_iter()
                    .map(|r| {
                        let start = Instant::now();
                        let files = r.render(&cx);
                        (r.name(), start.elapsed(), files)
                    })
                    .collect()
            },
            || {
                let mut checks = crate::check::site_checks(site, &bodies);
                checks.extend(crate::language::language_checks(site, theme));
                checks
            },
        );
        let mut files = Vec::new();
        let mut times = vec![("markdown", bodies_time)];
        diags.extend(checks);
        let mut a_renderer_failed = false;
        for (name, time, r) in results {
            times.push((name, time));
            match r {
                Ok(mut f) => files.append(&mut f),
                Err(d) => {
                    a_renderer_failed = true;
                    diags.extend(d);
                }
            }
        }
        // The files of a renderer that failed are missing: every link to them (each page
        // links the downloads) would be one more error with the same cause.
        if !a_renderer_failed {
            let start = Instant::now();
            match crate::pack::site_zip(&files, sink) {
                Ok(zip) => files.push(zip),
                Err(d) => {
                    diags.extend(d);
                    // The links to it are not broken: the zip is, and that is said.
                    files.push(OutputFile::bytes(crate::pack::SITE_ZIP, Vec::new()));
                }
            }
            times.push(("site zip", start.elapsed()));
            let start = Instant::now();
            diags.extend(crate::linkcheck::check(&files));
            times.push(("check links", start.elapsed()));
        }
        if diags.has_errors() {
            return Err(diags.sorted());
        }
        Ok(Rendered { files, times, warnings: diags.sorted() })
    }
}

/// Lessons of `site` a file of which has an error among `diags`.
fn lessons_in_error(site: &Site, diags: &Diagnostics) -> std::collections::HashSet<usize> {
    let files: std::collections::HashSet<&Path> = diags.0.iter().filter(|d| d.is_error()).map(|d| d.file.as_path()).collect();
    site.lessons.iter().enumerate().filter(|(_, l)| l.translations.values().any(|t| files.contains(t.path.as_path()))).map(|(i, _)| i).collect()
}

/// The output of every renderer, with the time each took and what the checks warn about.
pub struct Rendered {
    pub files: Vec<OutputFile>,
    pub times: Vec<(&'static str, Duration)>,
    pub warnings: Diagnostics,
}

/// The theme needs the languages: taken from the same reading of the programme file as
/// the content's, so both agree (its errors are reported by the content stage).
/// The default language first: a label missing in a language's strings is taken from the
/// first language that has it.
fn programme_languages(programme: &Result<crate::yaml::ProgrammeFile, crate::error::Diagnostic>) -> Vec<String> {
    let Ok(p) = programme else { return Vec::new() };
    let mut codes: Vec<String> = p.languages.iter().map(|l| l.code.clone()).collect();
    if let Some(i) = codes.iter().position(|c| *c == p.default_language) {
        codes[..=i].rotate_right(1);
    }
    codes
}

fn timed<T, E>(report: &mut BuildReport, stage: &'static str, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let start = Instant::now();
    let r = f();
    report.stages.push((stage, start.elapsed()));
    r
}
