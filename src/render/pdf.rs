//! PDF through typst used as a library: a small in-memory `World` with the theme's fonts
//! (read once per build), the handout template, generated lesson sources and data.

use std::path::{Path, PathBuf};

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::error::{Diagnostic, Diagnostics};

/// How many documents a memoized typst result survives unused (typst-cli's watch mode keeps 10).
const EVICT_AFTER_DOCUMENTS: usize = 4;

/// The theme's fonts and the standard library, shared by every document of a build.
pub struct Typesetter {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

impl Typesetter {
    /// Loads every `.ttf`/`.otf` file of `font_files`.
    pub fn new(font_files: &[PathBuf]) -> Result<Typesetter, Diagnostics> {
        let mut data = Vec::new();
        let mut diags = Diagnostics::new();
        for path in font_files {
            match std::fs::read(path) {
                Ok(bytes) => data.push((path.clone(), Bytes::new(bytes))),
                Err(e) => diags.push(Diagnostic::error(path, format!("cannot read font: {e}"))),
            }
        }
        let typesetter = Typesetter::from_fonts(data);
        match typesetter {
            Ok(t) => diags.into_result(t),
            Err(mut d) => {
                d.extend(diags);
                Err(d)
            }
        }
    }

    /// Loads the fonts of `fonts`: (the file, for messages; its bytes).
    pub fn from_fonts(fonts_data: Vec<(PathBuf, Bytes)>) -> Result<Typesetter, Diagnostics> {
        let mut fonts = Vec::new();
        let mut diags = Diagnostics::new();
        for (path, data) in fonts_data {
            let before = fonts.len();
            fonts.extend(Font::iter(data));
            if fonts.len() == before {
                diags.push(Diagnostic::error(path, "not a font typst can read; remove it or replace it with a TrueType/OpenType file"));
            }
        }
        let book = LazyHash::new(FontBook::from_fonts(&fonts));
        diags.into_result(Typesetter { library: LazyHash::new(Library::builder().build()), book, fonts })
    }

    /// Typesets `doc` into a PDF.
    pub fn pdf(&self, doc: &Document) -> Result<Vec<u8>, Diagnostics> {
        let world = DocumentWorld { typesetter: self, doc };
        let compiled = typst::compile::<PagedDocument>(&world).output.map_err(|errs| doc.diagnostics(&world, &errs)).and_then(|c| doc.within_page_limit(c));
        let pdf = compiled.and_then(|c| typst_pdf::pdf(&c, &typst_pdf::PdfOptions::default()).map_err(|errs| doc.diagnostics(&world, &errs)));
        // typst memoizes into a process-wide cache that only grows: left alone, a build of
        // hundreds of handouts held gigabytes. Results reused by the last few documents
        // (fonts, shared styles) stay; the rest is dropped.
        typst::comemo::evict(EVICT_AFTER_DOCUMENTS);
        pdf
    }
}

/// One document to typeset: its sources (`/main.typ` first) and data files, all in memory
/// but for files below `/media/`, read from `media_root` when the document asks for them.
pub struct Document {
    pub sources: Vec<SourceFile>,
    pub files: Vec<(String, Vec<u8>)>,
    pub media_root: PathBuf,
    pub today: (i32, u8, u8),
    /// What it is, for messages ("the trainer handout of day 3 (fr)").
    pub name: String,
    /// Where an error about the whole document is reported, and its page limit.
    pub limit_origin: PathBuf,
    pub max_pages: usize,
}

/// A Typst source, with the file authors know it by (for error messages).
pub struct SourceFile {
    pub virtual_path: String,
    pub text: String,
    pub origin: PathBuf,
}

fn file_id(path: &str) -> Option<FileId> {
    Some(RootedPath::new(VirtualRoot::Project, VirtualPath::new(path).ok()?).intern())
}

impl Document {
    /// A document far longer than any handout is refused before its PDF is written (the
    /// layout is done by then; the lesson size and nesting limits bound that part).
    fn within_page_limit(&self, compiled: PagedDocument) -> Result<PagedDocument, Diagnostics> {
        let pages = compiled.pages().len();
        if pages <= self.max_pages {
            return Ok(compiled);
        }
        let message = format!(
            "{} has {pages} pages; move lessons to other days or shorten them. {}",
            self.name,
            crate::limits::Limits::how_to_raise("handout_pages", self.max_pages)
        );
        Err(Diagnostic::error(&self.limit_origin, message).into())
    }

    fn diagnostics(&self, world: &DocumentWorld, errs: &[SourceDiagnostic]) -> Diagnostics {
        use typst::WorldExt;
        let mut diags = Diagnostics::new();
        for e in errs {
            let source = e.span.id().and_then(|id| self.sources.iter().find(|s| file_id(&s.virtual_path) == Some(id)));
            let origin = source.map(|s| s.origin.clone()).unwrap_or_else(|| self.sources[0].origin.clone());
            let mut message = format!("cannot typeset the PDF: {}", e.message);
            for hint in &e.hints {
                message.push_str(&format!(" (hint: {})", hint.v));
            }
            let mut d = Diagnostic::error(&origin, message);
            // In the template, the line of the .typ file; in a lesson, the Markdown line its
            // markup carries (see `blocks_to_typst_with_lines`).
            if let (Some(s), Some(range)) = (source, world.range(e.span)) {
                let line = if s.origin.extension().is_some_and(|x| x == "typ") {
                    Some(s.text[..range.start.min(s.text.len())].matches('\n').count() + 1)
                } else {
                    crate::render::typst_markup::line_at(&s.text, range.start)
                };
                if let Some(line) = line {
                    d = d.at(line, None);
                }
            }
            diags.push(d);
        }
        diags
    }
}

struct DocumentWorld<'a> {
    typesetter: &'a Typesetter,
    doc: &'a Document,
}

impl World for DocumentWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.typesetter.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.typesetter.book
    }

    fn main(&self) -> FileId {
        file_id(&self.doc.sources[0].virtual_path).expect("the main source has a valid path")
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.doc
            .sources
            .iter()
            .find(|s| file_id(&s.virtual_path) == Some(id))
            .map(|s| Source::new(id, s.text.clone()))
            .ok_or_else(|| FileError::NotFound(PathBuf::from(format!("{id:?}"))))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if let Some(s) = self.doc.sources.iter().find(|s| file_id(&s.virtual_path) == Some(id)) {
            return Ok(Bytes::from_string(s.text.clone()));
        }
        if let Some((_, bytes)) = self.doc.files.iter().find(|(p, _)| file_id(p) == Some(id)) {
            return Ok(Bytes::new(bytes.clone()));
        }
        let path = id.vpath().get_without_slash().to_string();
        match path.strip_prefix("media/") {
            Some(rel) if crate::write::is_safe_relative(rel) => {
                let full = self.doc.media_root.join(rel);
                std::fs::read(&full).map(Bytes::new).map_err(|e| FileError::from_io(e, &full))
            }
            _ => Err(FileError::NotFound(PathBuf::from(path))),
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.typesetter.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // A fixed date keeps the output reproducible.
        let (y, m, d) = self.doc.today;
        Datetime::from_ymd(y, m, d)
    }
}

/// Whether typst reads this file as a font.
pub fn is_font_file(name: &str) -> bool {
    [".ttf", ".otf", ".ttc"].iter().any(|x| name.ends_with(x))
}

/// Font files of a theme folder (`.ttf`, `.otf`, `.ttc`), sorted.
pub fn font_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "ttf" || x == "otf" || x == "ttc")).collect())
        .unwrap_or_default();
    files.sort();
    files
}
