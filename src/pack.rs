//! The whole site in one zip (`site.zip`), for USB sticks and machines without a network:
//! made after every renderer, from their files, and published with them.
//!
//! One zip for both languages: the site links its languages to each other, and the root
//! `index.html` sends a visitor to theirs. Pages already handed to the staging sink are read
//! back from it. Files are compressed in parallel, in groups, and the groups merged.

use std::borrow::Cow;
use std::io::{Cursor, Write};

use rayon::prelude::*;

use crate::error::{Diagnostic, Diagnostics};
use crate::render::{Contents, OutputFile};
use crate::write::PageSink;

/// Where the site's zip is published, below the output folder.
pub const SITE_ZIP: &str = "site.zip";

/// Files compressed together by one thread before the groups are merged.
const GROUP: usize = 64;

/// The zip of every file of `files` (but itself), when pages go to a sink that can read
/// them back (`dars build`). Otherwise an empty zip stands in, for the links to it: `dars
/// check` writes nothing, and watch mode, which rebuilds on every save, does not spend the
/// time (`dars serve` serves it empty).
pub fn site_zip(files: &[OutputFile], sink: Option<&dyn PageSink>) -> Result<OutputFile, Diagnostics> {
    if !sink.is_some_and(|s| s.reads_back()) {
        let empty = zip::ZipWriter::new(Cursor::new(Vec::new())).finish().map_err(zip_error)?.into_inner();
        return Ok(OutputFile::bytes(SITE_ZIP, empty));
    }
    let mut sorted: Vec<&OutputFile> = files.iter().filter(|f| f.path != SITE_ZIP).collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let groups: Vec<Result<Vec<u8>, Diagnostic>> = sorted.par_chunks(GROUP).map(|group| zip_group(group, sink)).collect();
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut diags = Diagnostics::new();
    for group in groups {
        match group {
            Ok(bytes) => match zip::ZipArchive::new(Cursor::new(bytes)) {
                Ok(archive) => zip.merge_archive(archive).unwrap_or_else(|e| diags.push(zip_error(e))),
                Err(e) => diags.push(zip_error(e)),
            },
            Err(d) => diags.push(d),
        }
    }
    let bytes = zip.finish().map_err(zip_error)?.into_inner();
    diags.into_result(OutputFile::bytes(SITE_ZIP, bytes))
}

fn zip_group(files: &[&OutputFile], sink: Option<&dyn PageSink>) -> Result<Vec<u8>, Diagnostic> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for file in files {
        let bytes = contents(file, sink)?;
        // A fixed date: the same site makes the same zip, which is then not rewritten.
        // Level 1: on a generated site of 1,000 lessons per language (2,310 pages) the zip
        // took 0.6 s at level 1 and 1.6 to 2.8 s at the default level 6 (a loaded machine),
        // for 11.7 MB instead of 8.2 MB.
        let method = method(&file.path);
        let level = (method == zip::CompressionMethod::Deflated).then_some(1);
        let options = zip::write::SimpleFileOptions::default().last_modified_time(zip::DateTime::default()).compression_method(method).compression_level(level);
        zip.start_file(file.path.as_str(), options).map_err(zip_error)?;
        zip.write_all(&bytes).map_err(|e| zip_error(e.into()))?;
    }
    Ok(zip.finish().map_err(zip_error)?.into_inner())
}

/// Text is deflated; PDFs, zips, images and web fonts are compressed already.
fn method(path: &str) -> zip::CompressionMethod {
    let stored = [".pdf", ".zip", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".woff2", ".woff"];
    if stored.iter().any(|x| path.to_ascii_lowercase().ends_with(x)) { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated }
}

fn contents<'a>(file: &'a OutputFile, sink: Option<&dyn PageSink>) -> Result<Cow<'a, [u8]>, Diagnostic> {
    match &file.contents {
        Contents::Bytes(b) => Ok(Cow::Borrowed(b)),
        Contents::CopyOf(src) => std::fs::read(src).map(Cow::Owned).map_err(|e| Diagnostic::error(src, format!("cannot read for the site's zip: {e}"))),
        Contents::Staged { .. } => sink.ok_or_else(|| Diagnostic::error(&file.path, "a staged page without its sink"))?.read_back(&file.path).map(Cow::Owned),
    }
}

fn zip_error(e: zip::result::ZipError) -> Diagnostic {
    Diagnostic::error(SITE_ZIP, format!("cannot make the zip of the site: {e}"))
}
