//! Stage 3, render: each output format is a [`Renderer`] over the same [`Site`].
//!
//! Renderers never touch `output/`: they return the files to write, or hand large ones to a
//! [`crate::write::PageSink`] as they go, so the write stage publishes all of them or none.

pub mod handout;
pub mod links;
pub mod pdf;
pub mod search;
pub mod sitemap;
pub mod typst_markup;
pub mod website;

use std::path::PathBuf;

use crate::error::Diagnostics;
use crate::highlight::Highlighter;
use crate::model::Site;
use crate::theme::Theme;

/// What every renderer reads: the programme, the theme and the shared highlighter.
pub struct RenderContext<'a> {
    pub site: &'a Site,
    pub theme: &'a Theme,
    pub highlighter: &'a Highlighter,
    /// Whether handouts come as PDF too (`--no-pdf` leaves them out, for speed).
    pub pdf: bool,
    /// Lesson bodies rendered once for every page that shows them; absent, each page
    /// renders what it needs (watch mode's small rebuilds).
    pub bodies: Option<&'a Bodies>,
    /// Where pages go as they are rendered (`dars build` stages them for writing, `dars
    /// check` keeps only their links); absent, pages stay in memory (watch mode).
    pub sink: Option<&'a dyn crate::write::PageSink>,
}

impl RenderContext<'_> {
    /// A rendered HTML page: handed to the sink at once, or kept in memory.
    pub fn page(&self, path: String, html: String) -> Result<OutputFile, Diagnostics> {
        match self.sink {
            Some(sink) => {
                let links = crate::linkcheck::internal_targets(&html);
                sink.put(&path, html.as_bytes())?;
                Ok(OutputFile { path, contents: Contents::Staged { links } })
            }
            None => Ok(OutputFile::bytes(path, html)),
        }
    }
}

/// Rendered blocks of each lesson body, by (lesson index, language), with links made for
/// pages as deep as a lesson page.
pub type Bodies = std::collections::HashMap<(usize, String), Vec<crate::markdown::RenderedBlock>>;

/// Renders every lesson body once, in parallel (one job per lesson, so its translations
/// share the highlighting of their code); bodies in error are left out and their errors
/// returned beside the others.
pub fn prerender_bodies(cx: &RenderContext) -> (Bodies, Diagnostics) {
    use rayon::prelude::*;
    let site = cx.site;
    let results: Vec<Vec<Result<((usize, String), Vec<crate::markdown::RenderedBlock>), Diagnostics>>> = (0..site.lessons.len())
        .into_par_iter()
        .map(|i| {
            let memo = crate::highlight::Memo::new(cx.highlighter);
            site.languages
                .iter()
                .map(|l| {
                    let root = root_prefix(&Page::Lesson(i).path(site, &l.code));
                    website::lesson_blocks(cx, i, &l.code, &root, &memo).map(|b| ((i, l.code.clone()), b))
                })
                .collect()
        })
        .collect();
    let mut bodies = Bodies::with_capacity(results.len() * site.languages.len());
    let mut diags = Diagnostics::new();
    for r in results.into_iter().flatten() {
        match r {
            Ok((k, v)) => {
                bodies.insert(k, v);
            }
            Err(d) => diags.extend(d),
        }
    }
    (bodies, diags)
}

/// One file of the output, by its path below the output folder (with `/`).
#[derive(Debug, Clone)]
pub struct OutputFile {
    pub path: String,
    pub contents: Contents,
}

#[derive(Debug, Clone)]
pub enum Contents {
    Bytes(Vec<u8>),
    /// Copied from a source file at write time (fonts, images), never held in memory.
    CopyOf(PathBuf),
    /// Handed to the page sink already; only its internal links are kept, for the link
    /// check.
    Staged { links: Vec<String> },
}

impl OutputFile {
    pub fn bytes(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Self { path: path.into(), contents: Contents::Bytes(bytes.into()) }
    }

    pub fn copy(path: impl Into<String>, source: PathBuf) -> Self {
        Self { path: path.into(), contents: Contents::CopyOf(source) }
    }
}

pub trait Renderer: Send + Sync {
    fn name(&self) -> &'static str;
    fn render(&self, cx: &RenderContext) -> Result<Vec<OutputFile>, Diagnostics>;
}

/// A page that exists once per language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Page {
    Home,
    Day(u32),
    /// Index into `Site::lessons`.
    Lesson(usize),
    Centres,
    NotFound,
    /// The list of every handout, rendered by the handout renderer (it knows the sizes).
    Downloads,
    /// The print-ready handout of a day.
    Handout(u32, Version),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    Learner,
    Trainer,
}

impl Version {
    pub const ALL: [Version; 2] = [Version::Learner, Version::Trainer];

    pub fn name(self) -> &'static str {
        match self {
            Version::Learner => "learner",
            Version::Trainer => "trainer",
        }
    }

    pub fn audience(self) -> crate::markdown::Audience {
        match self {
            Version::Learner => crate::markdown::Audience::Learner,
            Version::Trainer => crate::markdown::Audience::Trainer,
        }
    }
}

/// The PDF of a day's handout, beside its HTML version.
pub fn handout_pdf_path(day: u32, lang: &str, version: Version) -> String {
    format!("{lang}/day-{day}/handout/day-{day}-{}-{lang}.pdf", version.name())
}

/// Every handout PDF of a language in one zip, for USB sticks.
pub fn pack_path(lang: &str) -> String {
    format!("{lang}/downloads/handouts-{lang}.zip")
}

impl Page {
    /// Path below the output folder. Folders end in `index.html` so links also work
    /// from file:// and from a USB stick, where no server adds it.
    pub fn path(self, site: &Site, lang: &str) -> String {
        match self {
            Page::Home => format!("{lang}/index.html"),
            Page::Day(n) => format!("{lang}/day-{n}/index.html"),
            Page::Lesson(i) => {
                let l = &site.lessons[i];
                format!("{lang}/day-{}/{}/index.html", l.day, l.slug)
            }
            Page::Centres => format!("{lang}/centres/index.html"),
            Page::NotFound => format!("{lang}/404.html"),
            Page::Downloads => format!("{lang}/downloads/index.html"),
            Page::Handout(day, version) => format!("{lang}/day-{day}/handout/{}.html", version.name()),
        }
    }

    /// Whether the website renderer writes it (the others come with the handouts).
    pub fn is_website_page(self) -> bool {
        !matches!(self, Page::Downloads | Page::Handout(..))
    }

    /// Whether search engines should list it.
    pub fn in_sitemap(self) -> bool {
        self != Page::NotFound
    }
}

/// Every per-language page of the site.
pub fn site_pages(site: &Site) -> Vec<Page> {
    let mut pages = vec![Page::Home, Page::NotFound, Page::Downloads];
    // A programme without centres.yaml (or with no centre in it) has no centres page.
    if !site.centres.is_empty() {
        pages.push(Page::Centres);
    }
    pages.extend(site.days.iter().map(|d| Page::Day(d.number)));
    pages.extend(site.days.iter().flat_map(|d| Version::ALL.map(|v| Page::Handout(d.number, v))));
    pages.extend((0..site.lessons.len()).map(Page::Lesson));
    pages
}

/// The relative prefix from a page to the output root: `fr/day-1/index.html` → `../../`.
pub fn root_prefix(page_path: &str) -> String {
    "../".repeat(page_path.matches('/').count())
}
