//! Stage 4, write: publish the rendered files into output/, touching only what dars wrote.
//!
//! 1. output/ holds a manifest (`.dars-manifest`) of every file dars wrote there and of the
//!    inputs they were made from. A folder that is not empty and has no manifest is refused
//!    (unless `--force`); a file that is not in the manifest is never deleted nor replaced.
//! 2. While a build renders, changed pages are staged in one pack file in a folder beside
//!    output/; output/ is not touched until every page rendered and every check passed.
//! 3. Each changed page is then written beside its place (`.NAME.dars-new`) and, once all of
//!    them are written, renamed over it: a reader never gets a torn page, and a failed write
//!    (a full disk) is undone before any page was replaced.
//! 4. Files of the previous manifest that this build did not make are removed, and the new
//!    manifest is written last.
//! 5. A build holds a lock on output/ from before it decides what to change until it is
//!    done, so two builds never interleave; a build killed halfway leaves a manifest that
//!    says "not up to date" and lists every file it may have written: the next build
//!    finishes the job.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::error::{Diagnostic, Diagnostics};
use crate::render::{Contents, OutputFile};

/// dars's record, in output/, of the files it wrote there.
pub const MANIFEST: &str = ".dars-manifest";
/// What dars before the manifest kept in output/ (the hash of its inputs).
const OLD_STAMP: &str = ".dars-inputs";
/// A page written beside its place, waiting to be renamed over it.
const NEW_SUFFIX: &str = ".dars-new";
const MANIFEST_HEADER: &str = "# dars manifest 1: the files dars wrote in this folder; any other file is left alone";

/// Where rendered pages go as they are made, so a large site is never held in memory.
pub trait PageSink: Sync {
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), Diagnostic>;

    /// Whether `read_back` gives the pages put (the site's zip is made from them).
    fn reads_back(&self) -> bool {
        false
    }

    /// A page put before, once every page is put.
    fn read_back(&self, path: &str) -> Result<Vec<u8>, Diagnostic> {
        Err(Diagnostic::error(path, "this sink keeps no pages"))
    }
}

/// Takes pages and keeps nothing: `dars check` renders every page for its links only.
pub struct Discard;

impl PageSink for Discard {
    fn put(&self, path: &str, _bytes: &[u8]) -> Result<(), Diagnostic> {
        if is_safe_relative(path) { Ok(()) } else { Err(outside(path)) }
    }
}

/// What output/'s manifest says: the files dars wrote, the hash of the inputs they were
/// made from (none while a build is changing them), and the files of others already
/// reported once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub inputs: Option<String>,
    pub files: BTreeSet<String>,
    pub foreign: BTreeSet<String>,
}

impl Manifest {
    fn parse(text: &str) -> Option<Manifest> {
        let mut lines = text.lines();
        if lines.next()? != MANIFEST_HEADER {
            return None;
        }
        let mut m = Manifest::default();
        for line in lines {
            match line.split_once(' ')? {
                ("inputs", "-") => m.inputs = None,
                ("inputs", hash) => m.inputs = Some(hash.to_string()),
                ("file", path) if is_safe_relative(path) => {
                    m.files.insert(path.to_string());
                }
                ("other", path) => {
                    m.foreign.insert(path.to_string());
                }
                _ => return None,
            }
        }
        Some(m)
    }

    fn text(&self) -> String {
        let mut text = format!("{MANIFEST_HEADER}\ninputs {}\n", self.inputs.as_deref().unwrap_or("-"));
        for f in &self.files {
            text.push_str("file ");
            text.push_str(f);
            text.push('\n');
        }
        for f in &self.foreign {
            text.push_str("other ");
            text.push_str(f);
            text.push('\n');
        }
        text
    }

    /// Written beside and renamed over, so a manifest that exists is whole.
    fn write(&self, out_dir: &Path) -> Result<(), Diagnostic> {
        let path = out_dir.join(MANIFEST);
        write_atomically(&path, self.text().as_bytes()).map_err(|e| Diagnostic::error(&path, format!("cannot write dars's list of its files: {e}")))
    }

    /// The manifest of `out_dir`: `Ok(None)` when there is none.
    fn read(out_dir: &Path) -> Result<Option<Manifest>, Diagnostic> {
        let path = out_dir.join(MANIFEST);
        match fs::read_to_string(&path) {
            Ok(text) => Manifest::parse(&text).map(Some).ok_or_else(|| {
                Diagnostic::error(&path, "this list of the files dars wrote is damaged; delete the output folder, or build with --force (files not made by the new build are then left alone)")
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Diagnostic::error(&path, format!("cannot read: {e}"))),
        }
    }
}

/// What output/ holds after a failed build: the promise its error message makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputState {
    /// Every file is the previous build's.
    Unchanged,
    /// `replaced` of `changed` files are this build's, the others the previous build's.
    PartlyUpdated { replaced: usize, changed: usize },
}

/// A build that failed: why, and what output/ holds now.
#[derive(Debug)]
pub struct Failure {
    pub diagnostics: Diagnostics,
    pub output: OutputState,
}

impl From<Diagnostics> for Failure {
    fn from(diagnostics: Diagnostics) -> Self {
        Failure { diagnostics, output: OutputState::Unchanged }
    }
}

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Self {
        Diagnostics::from(d).into()
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.diagnostics.fmt(f)
    }
}

/// The output folder of a build, checked and locked: only one build at a time decides
/// what to change in it and changes it.
pub struct OutputDir {
    dir: PathBuf,
    manifest: Manifest,
    /// Files found there that dars did not write may be replaced by its pages (`--force`).
    adopt: bool,
    /// Made by this build: removed again if the build publishes nothing.
    created: bool,
    published: bool,
    _lock: Option<fs::File>,
}

/// What a publish did that the author should hear of.
#[derive(Debug, Default)]
pub struct Published {
    /// Files (and hidden folders, ending in `/`) in output/ that dars did not write and
    /// had not reported before.
    pub new_foreign: Vec<String>,
    pub foreign: usize,
}

impl OutputDir {
    /// Opens `dir` for a build: refuses a folder that holds or lies inside one of
    /// `inputs` (content, theme) or holds `project`, and a non-empty folder dars did not
    /// make unless `adopt`; creates it; waits for any other build of it to finish.
    pub fn open(dir: &Path, inputs: &[&Path], project: &Path, adopt: bool) -> Result<OutputDir, Diagnostics> {
        refuse_unsafe_location(dir, inputs, project)?;
        let created = !dir.exists();
        if created {
            fs::create_dir_all(dir).map_err(|e| Diagnostic::error(dir, format!("cannot create the output folder: {e}")))?;
        } else if !dir.is_dir() {
            return Err(Diagnostic::error(dir, "the output folder is a file; choose a folder with --output").into());
        }
        let lock = lock_output(dir);
        if let Ok((parent, name)) = parent_and_name(dir) {
            remove_dead_staging(&parent, &name);
        }
        let manifest = match Manifest::read(dir)? {
            Some(m) => m,
            None if adopt || is_empty_dir(dir) => Manifest::default(),
            None => return Err(not_made_by_dars(dir).into()),
        };
        Ok(OutputDir { dir: dir.to_path_buf(), manifest, adopt, created, published: false, _lock: lock })
    }

    /// Whether output/ was built, whole, from inputs of this hash.
    pub fn up_to_date(&self, inputs: &str) -> bool {
        self.manifest.inputs.as_deref() == Some(inputs)
    }

    /// Where this build's changed pages wait until everything rendered.
    pub fn staging(&self) -> Result<Staging, Diagnostics> {
        Staging::begin(&self.dir)
    }

    /// Publishes `files` (pages already staged come as `Contents::Staged`): output/ then holds
    /// exactly them and the files dars did not write. `inputs` is what they were made from.
    pub fn publish(&mut self, staging: Staging, files: &[OutputFile], inputs: Option<String>) -> Result<Published, Failure> {
        let errors: Vec<Diagnostic> = files.par_iter().filter_map(|f| staging.stage_file(f).err()).collect();
        Diagnostics(errors).into_result(())?;
        let produced: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
        self.refuse_foreign_in_the_way(&produced)?;
        let moves = staging.take_moves();
        let old = self.manifest.clone();
        if !moves.is_empty() {
            // Until the new pages are all in place output/ is not what any build made, and
            // a build killed now must be able to clean up every file it may have written.
            let mut interim = Manifest { inputs: None, files: old.files.union(&produced).cloned().collect(), foreign: old.foreign.clone() };
            interim.files.extend(moves.iter().map(|m| temp_name(&m.path)));
            interim.write(&self.dir)?;
            self.write_beside(&staging, &moves, &old)?;
            self.rename_over(&moves, &old)?;
        }
        let stale: Vec<&String> = old.files.difference(&produced).collect();
        stale.par_iter().for_each(|p| remove_file_and_empty_parents(&self.dir, p));
        let _ = fs::remove_file(self.dir.join(OLD_STAMP));
        let foreign: BTreeSet<String> = foreign_files(&self.dir, &produced);
        let new_foreign = foreign.difference(&old.foreign).cloned().collect();
        let manifest = Manifest { inputs, files: produced, foreign };
        manifest.write(&self.dir)?;
        self.published = true;
        let published = Published { new_foreign, foreign: manifest.foreign.len() };
        self.manifest = manifest;
        Ok(published)
    }

    /// A page may not replace a file dars did not write (a `robots.txt` put there by hand),
    /// nor a folder holding one, nor sit below such a file.
    fn refuse_foreign_in_the_way(&self, produced: &BTreeSet<String>) -> Result<(), Diagnostics> {
        if self.adopt {
            return Ok(());
        }
        let mut diags = Diagnostics::new();
        let mut reported = HashSet::new();
        for path in produced.iter().filter(|p| !self.manifest.files.contains(*p)) {
            let in_the_way = Path::new(path).ancestors().filter(|a| !a.as_os_str().is_empty()).find_map(|a| self.foreign_at(a, a == Path::new(path)));
            if let Some(foreign) = in_the_way
                && reported.insert(foreign.clone())
            {
                diags.push(Diagnostic::error(
                    self.dir.join(&foreign),
                    format!("dars makes `{path}` but this file was not written by dars; move it out of the output folder, or build with --force to let dars replace it"),
                ));
            }
        }
        diags.into_result(())
    }

    /// A file dars did not write at `rel` (below output/), or inside it when `rel` is a
    /// folder where a page goes; a folder above a page is in nobody's way.
    fn foreign_at(&self, rel: &Path, is_the_page: bool) -> Option<String> {
        let meta = self.dir.join(rel).symlink_metadata().ok()?;
        let rel = rel.to_string_lossy().into_owned();
        match (meta.is_dir(), is_the_page) {
            (true, false) => None,
            (true, true) => files_below(&self.dir.join(&rel), &rel).into_iter().find(|f| !self.manifest.files.contains(f)),
            (false, _) => (!self.manifest.files.contains(&rel)).then_some(rel),
        }
    }

    /// Phase one: every changed page written beside its place. On any error the pages
    /// written so far are removed and output/ is as it was.
    fn write_beside(&self, staging: &Staging, moves: &[Move], old: &Manifest) -> Result<(), Diagnostics> {
        let written = Mutex::new(Vec::new());
        let result = make_dirs(&self.dir, moves.iter().map(|m| Path::new(&m.path)), old).and_then(|()| {
            let errors: Vec<Diagnostic> = moves
                .par_iter()
                .filter_map(|m| {
                    let temp = self.dir.join(temp_name(&m.path));
                    let r = staging.copy_out(m, &temp);
                    written.lock().unwrap_or_else(|p| p.into_inner()).push(temp);
                    r.err()
                })
                .collect();
            Diagnostics(errors).into_result(())
        });
        if let Err(diags) = result {
            for temp in written.into_inner().unwrap_or_else(|p| p.into_inner()) {
                remove_file_and_empty_parents(&self.dir, &temp.strip_prefix(&self.dir).unwrap_or(&temp).to_string_lossy());
            }
            // Should this fail too (the disk is full), the interim manifest stays: it lists
            // every file of the previous site and says "not up to date", which is true.
            let _ = old.write(&self.dir);
            return Err(diags);
        }
        Ok(())
    }

    /// Phase two: each new page renamed over the old one (a rename is atomic: a reader
    /// gets the old page or the new one). Past an error output/ is part old, part new: its
    /// manifest stays "not up to date" and the next build finishes it.
    fn rename_over(&self, moves: &[Move], old: &Manifest) -> Result<(), Failure> {
        let errors: Vec<Diagnostic> = moves.par_iter().filter_map(|m| self.rename_one(m, old).err()).collect();
        if errors.is_empty() {
            return Ok(());
        }
        let output = OutputState::PartlyUpdated { replaced: moves.len() - errors.len(), changed: moves.len() };
        Err(Failure { diagnostics: Diagnostics(errors), output })
    }

    fn rename_one(&self, m: &Move, old: &Manifest) -> Result<(), Diagnostic> {
        let dest = self.dir.join(&m.path);
        let temp = self.dir.join(temp_name(&m.path));
        // A folder of the previous site where a page now goes: its files go first.
        if dest.symlink_metadata().is_ok_and(|d| d.is_dir()) {
            let prefix = format!("{}/", m.path);
            for stale in old.files.range(prefix.clone()..).take_while(|f| f.starts_with(&prefix)) {
                remove_file_and_empty_parents(&self.dir, stale);
            }
        }
        fs::rename(&temp, &dest).map_err(|e| {
            let _ = fs::remove_file(&temp);
            Diagnostic::error(&dest, format!("cannot replace: {e}"))
        })
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        // A first build that failed leaves no empty output folder behind.
        if self.created && !self.published {
            let _ = fs::remove_dir(&self.dir);
        }
    }
}

fn not_made_by_dars(dir: &Path) -> Diagnostic {
    let why = if dir.join(OLD_STAMP).exists() {
        "was built by an older dars that kept no list of the files it wrote"
    } else {
        "is not empty and was not made by dars (it has no .dars-manifest)"
    };
    Diagnostic::error(
        dir,
        format!("this output folder {why}; nothing was written. Choose an empty or new folder with --output, or build with --force: dars then writes its files there, replacing files of the same name, and leaves every other file alone"),
    )
}

fn is_empty_dir(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

/// Refuses an output folder that would hold the content, the theme or the project (a build
/// deletes files there), or that lies inside the content or theme folder (a build reads them).
fn refuse_unsafe_location(dir: &Path, inputs: &[&Path], project: &Path) -> Result<(), Diagnostic> {
    let out = absolute(dir);
    for p in inputs.iter().chain([&project]) {
        if absolute(p).starts_with(&out) {
            return Err(Diagnostic::error(
                dir,
                format!("refusing to build into this folder: it holds {}, which a build would mix with the site; nothing was written. Choose another folder with --output", p.display()),
            ));
        }
    }
    for p in inputs {
        if out.starts_with(absolute(p)) {
            return Err(Diagnostic::error(dir, format!("refusing to build into a folder inside {}; nothing was written. Choose a folder outside it with --output", p.display())));
        }
    }
    Ok(())
}

/// The absolute form of `path` with links resolved as far as it exists (the rest need not).
fn absolute(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |acc: PathBuf, part| acc.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return path,
        }
    }
}

/// Held for a whole build. Where the file system has no locks, builds go on without.
fn lock_output(out_dir: &Path) -> Option<fs::File> {
    let dir = fs::File::open(out_dir).ok()?;
    match dir.try_lock() {
        Ok(()) => return Some(dir),
        Err(fs::TryLockError::WouldBlock) => eprintln!("waiting for another build of {} to finish…", out_dir.display()),
        Err(fs::TryLockError::Error(_)) => return None,
    }
    dir.lock().ok()?;
    Some(dir)
}

/// The changes of one build, waiting beside the output folder; dropped, they are removed.
pub struct Staging {
    dir: PathBuf,
    out_dir: PathBuf,
    /// Every staged page, one after the other.
    pack: fs::File,
    end: AtomicU64,
    moves: Mutex<Vec<Move>>,
    /// Where each staged page lies in the pack, made when pages are first read back.
    index: std::sync::OnceLock<std::collections::HashMap<String, (u64, u64)>>,
}

/// A staged page: where its bytes lie in the pack, and its path below output/.
#[derive(Debug)]
struct Move {
    offset: u64,
    len: u64,
    path: String,
}

const PACK: &str = "pages";

impl Staging {
    fn begin(out_dir: &Path) -> Result<Staging, Diagnostics> {
        let (parent, name) = parent_and_name(out_dir)?;
        let dir = parent.join(format!("{name}.staging-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| Diagnostic::error(&dir, format!("cannot create folder: {e}")))?;
        let pack_path = dir.join(PACK);
        let pack = fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&pack_path).map_err(|e| Diagnostic::error(&pack_path, format!("cannot write: {e}")))?;
        Ok(Staging { dir, out_dir: out_dir.to_path_buf(), pack, end: AtomicU64::new(0), moves: Mutex::new(Vec::new()), index: std::sync::OnceLock::new() })
    }

    /// Stages one file, unless output/ already holds exactly these bytes.
    fn stage(&self, path: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
        if !is_safe_relative(path) {
            return Err(outside(path));
        }
        if same_bytes(&self.out_dir.join(path), bytes) {
            return Ok(());
        }
        let len = bytes.len() as u64;
        let offset = self.end.fetch_add(len, Ordering::Relaxed);
        self.pack.write_all_at(bytes, offset).map_err(|e| Diagnostic::error(self.dir.join(PACK), format!("cannot write: {e}")))?;
        self.moves.lock().unwrap_or_else(|p| p.into_inner()).push(Move { offset, len, path: path.to_string() });
        Ok(())
    }

    fn stage_file(&self, file: &OutputFile) -> Result<(), Diagnostic> {
        match &file.contents {
            Contents::Bytes(b) => self.stage(&file.path, b),
            Contents::CopyOf(src) => {
                let bytes = fs::read(src).map_err(|e| Diagnostic::error(src, format!("cannot copy to the output: {e}")))?;
                self.stage(&file.path, &bytes)
            }
            Contents::Staged { .. } => Ok(()),
        }
    }

    fn take_moves(&self) -> Vec<Move> {
        std::mem::take(&mut *self.moves.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Writes a staged page to `dest` (a new file, never through a link).
    fn copy_out(&self, m: &Move, dest: &Path) -> Result<(), Diagnostic> {
        let mut bytes = vec![0; m.len as usize];
        self.pack.read_exact_at(&mut bytes, m.offset).map_err(|e| Diagnostic::error(self.dir.join(PACK), format!("cannot read a staged page: {e}")))?;
        let _ = fs::remove_file(dest);
        fs::write(dest, &bytes).map_err(|e| Diagnostic::error(self.out_dir.join(&m.path), format!("cannot write: {e}")))
    }
}

impl PageSink for Staging {
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
        self.stage(path, bytes)
    }

    fn reads_back(&self) -> bool {
        true
    }

    /// A changed page from the pack; an unchanged one (not staged) from output/.
    fn read_back(&self, path: &str) -> Result<Vec<u8>, Diagnostic> {
        let index = self.index.get_or_init(|| self.moves.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|m| (m.path.clone(), (m.offset, m.len))).collect());
        match index.get(path) {
            Some(&(offset, len)) => {
                let mut bytes = vec![0; len as usize];
                self.pack.read_exact_at(&mut bytes, offset).map_err(|e| Diagnostic::error(self.dir.join(PACK), format!("cannot read a staged page: {e}")))?;
                Ok(bytes)
            }
            None => fs::read(self.out_dir.join(path)).map_err(|e| Diagnostic::error(self.out_dir.join(path), format!("cannot read: {e}"))),
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn outside(path: &str) -> Diagnostic {
    Diagnostic::error(path, "refusing to write outside the output folder")
}

fn parent_and_name(out_dir: &Path) -> Result<(PathBuf, String), Diagnostic> {
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out_dir.file_name().and_then(|n| n.to_str()).ok_or_else(|| Diagnostic::error(out_dir, "output folder needs a name"))?;
    Ok((parent, name.to_string()))
}

/// `fr/index.html` → `fr/.index.html.dars-new`: beside the page, so the rename stays on
/// one file system.
fn temp_name(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/.{name}{NEW_SUFFIX}"),
        None => format!(".{path}{NEW_SUFFIX}"),
    }
}

/// Whether `path` is a file holding exactly `bytes` (its size is looked at first).
fn same_bytes(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read;
    let Ok(meta) = path.symlink_metadata() else { return false };
    if !meta.is_file() || meta.len() != bytes.len() as u64 {
        return false;
    }
    let Ok(mut file) = fs::File::open(path) else { return false };
    let mut existing = Vec::with_capacity(bytes.len());
    file.read_to_end(&mut existing).is_ok() && existing == bytes
}

/// Files below `out_dir` that dars did not make: neither in `produced` nor its own
/// records. Hidden folders (`.git/`) are named, not walked: dars never writes into one.
fn foreign_files(out_dir: &Path, produced: &BTreeSet<String>) -> BTreeSet<String> {
    files_below(out_dir, "").into_iter().filter(|p| !produced.contains(p) && !p.starts_with(".dars-")).collect()
}

/// Every file (and link) below `dir` as `/`-separated paths after `rel`, listed in
/// parallel; a hidden folder as one entry ending in `/`. Names that are not Unicode are
/// left out: dars never writes them.
fn files_below(dir: &Path, rel: &str) -> Vec<String> {
    let entries: Vec<fs::DirEntry> = fs::read_dir(dir).into_iter().flatten().flatten().collect();
    entries
        .par_iter()
        .flat_map_iter(|entry| {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { return Vec::new() };
            let path = if rel.is_empty() { name.to_string() } else { format!("{rel}/{name}") };
            match entry.file_type() {
                Ok(t) if t.is_dir() && name.starts_with('.') => vec![format!("{path}/")],
                Ok(t) if t.is_dir() => files_below(&entry.path(), &path),
                _ => vec![path],
            }
        })
        .collect()
}

/// Creates the folders of `files` below `out_dir`, a level at a time and each level in
/// parallel (on a first build of a large site, mkdir is most of the system time).
fn make_dirs<'a>(out_dir: &Path, files: impl Iterator<Item = &'a Path>, old: &Manifest) -> Result<(), Diagnostics> {
    let mut levels: Vec<HashSet<&Path>> = Vec::new();
    for file in files {
        for (depth, dir) in file.ancestors().skip(1).filter(|d| !d.as_os_str().is_empty()).collect::<Vec<_>>().into_iter().rev().enumerate() {
            if levels.len() <= depth {
                levels.push(HashSet::new());
            }
            levels[depth].insert(dir);
        }
    }
    for level in levels {
        let errors: Vec<Diagnostic> = level.par_iter().filter_map(|d| make_one_dir(out_dir, d, old).err()).collect();
        Diagnostics(errors).into_result(())?;
    }
    Ok(())
}

fn make_one_dir(out_dir: &Path, rel: &Path, old: &Manifest) -> Result<(), Diagnostic> {
    let dir = out_dir.join(rel);
    match fs::create_dir(&dir) {
        Ok(()) => Ok(()),
        Err(_) if dir.is_dir() => Ok(()),
        // A page of the previous site where a folder now goes: a page of dars's, or
        // `refuse_foreign_in_the_way` would have stopped the build.
        Err(_) if old.files.contains(&*rel.to_string_lossy()) => {
            fs::remove_file(&dir).and_then(|()| fs::create_dir(&dir)).map_err(|e| Diagnostic::error(&dir, format!("cannot create folder: {e}")))
        }
        Err(e) => Err(Diagnostic::error(&dir, format!("cannot create folder: {e}"))),
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = path.with_file_name(format!("{name}.new"));
    fs::write(&temp, bytes)?;
    fs::rename(&temp, path)
}

/// Removes a file of dars's and the folders it leaves empty (a folder that still holds
/// anything, someone else's file say, stays).
fn remove_file_and_empty_parents(out_dir: &Path, path: &str) {
    let file = out_dir.join(path);
    let _ = fs::remove_file(&file);
    for dir in file.ancestors().skip(1) {
        if dir == out_dir || !dir.starts_with(out_dir) || fs::remove_dir(dir).is_err() {
            break;
        }
    }
}

/// Only plain relative paths: no `..`, no root, no drive.
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty() && Path::new(path).components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Removes the staging folders that killed builds left beside output/.
fn remove_dead_staging(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|f| f.strip_prefix(name)).and_then(|r| r.strip_prefix(".staging-")) else { continue };
        if !process_alive(pid) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn process_alive(pid: &str) -> bool {
    pid.parse::<u32>().is_ok_and(|p| p != std::process::id() && Path::new(&format!("/proc/{p}")).exists())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn tree(dir: &Path) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file() && e.file_name() != MANIFEST)
            .map(|e| (e.path().strip_prefix(dir).unwrap().to_string_lossy().to_string(), fs::read_to_string(e.path()).unwrap()))
            .collect();
        files.sort();
        files
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    fn beside(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
        names.sort();
        names
    }

    fn publish_with(out: &Path, files: &[OutputFile], adopt: bool) -> Result<Published, Failure> {
        let mut output = OutputDir::open(out, &[], Path::new("/nonexistent-project"), adopt)?;
        let staging = output.staging()?;
        output.publish(staging, files, Some("h".into()))
    }

    fn publish(out: &Path, files: &[OutputFile]) -> Result<Published, Failure> {
        publish_with(out, files, false)
    }

    #[test]
    fn only_plain_relative_paths_are_written() {
        assert!(is_safe_relative("fr/day-1/index.html"));
        assert!(!is_safe_relative("../x"));
        assert!(!is_safe_relative("/etc/passwd"));
        assert!(!is_safe_relative("fr/../../x"));
    }

    #[test]
    fn a_failed_build_keeps_previous_output() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        publish(&out, &[OutputFile::bytes("a.html", "first")]).unwrap();
        let bad = [OutputFile::bytes("b.html", "x"), OutputFile::bytes("../escape.html", "y")];
        assert!(publish(&out, &bad).is_err());
        assert_eq!(tree(&out), pairs(&[("a.html", "first")]));
        assert_eq!(beside(tmp.path()), ["output"]);
    }

    #[test]
    fn a_rebuild_replaces_changed_pages_removes_its_stale_ones_and_keeps_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        publish(&out, &[OutputFile::bytes("same.html", "s"), OutputFile::bytes("a/changed.html", "1"), OutputFile::bytes("gone/deep/x.html", "x"), OutputFile::bytes("becomes-dir", "f")]).unwrap();
        let untouched = fs::metadata(out.join("same.html")).unwrap().ino();
        let changed = out.join("a/changed.html");
        // A reader that opened the old page keeps reading it whole while it is replaced.
        let reader = fs::File::open(&changed).unwrap();
        publish(&out, &[OutputFile::bytes("same.html", "s"), OutputFile::bytes("a/changed.html", "2"), OutputFile::bytes("becomes-dir/index.html", "d")]).unwrap();
        assert_eq!(tree(&out), pairs(&[("a/changed.html", "2"), ("becomes-dir/index.html", "d"), ("same.html", "s")]));
        // And back: a folder of dars's becomes a page.
        publish(&out, &[OutputFile::bytes("same.html", "s"), OutputFile::bytes("a/changed.html", "2"), OutputFile::bytes("becomes-dir", "f")]).unwrap();
        assert_eq!(tree(&out), pairs(&[("a/changed.html", "2"), ("becomes-dir", "f"), ("same.html", "s")]));
        assert!(!out.join("gone").exists(), "emptied folders are removed");
        assert_eq!(fs::metadata(out.join("same.html")).unwrap().ino(), untouched, "an unchanged file is not rewritten");
        let mut old = String::new();
        std::io::Read::read_to_string(&mut &reader, &mut old).unwrap();
        assert_eq!(old, "1", "the old page was replaced by a rename, not rewritten in place");
        assert_eq!(beside(tmp.path()), ["output"]);
    }

    #[test]
    fn files_dars_did_not_write_are_left_alone_and_reported_once() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        publish(&out, &[OutputFile::bytes("index.html", "1"), OutputFile::bytes("old/page.html", "o")]).unwrap();
        fs::write(out.join("CNAME"), "dars.example").unwrap();
        fs::write(out.join("old/notes.txt"), "mine").unwrap();
        fs::create_dir_all(out.join(".git/objects")).unwrap();
        fs::write(out.join(".git/config"), "[core]").unwrap();
        let first = publish(&out, &[OutputFile::bytes("index.html", "2")]).unwrap();
        assert_eq!(first.new_foreign, [".git/", "CNAME", "old/notes.txt"]);
        assert_eq!(tree(&out), pairs(&[(".git/config", "[core]"), ("CNAME", "dars.example"), ("index.html", "2"), ("old/notes.txt", "mine")]));
        let second = publish(&out, &[OutputFile::bytes("index.html", "3")]).unwrap();
        assert!(second.new_foreign.is_empty(), "said once: {:?}", second.new_foreign);
        assert_eq!(second.foreign, 3);
    }

    #[test]
    fn a_page_never_replaces_a_file_dars_did_not_write_unless_forced() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        publish(&out, &[OutputFile::bytes("index.html", "1")]).unwrap();
        fs::write(out.join("robots.txt"), "mine").unwrap();
        let err = publish(&out, &[OutputFile::bytes("index.html", "2"), OutputFile::bytes("robots.txt", "dars's")]).unwrap_err();
        assert!(err.to_string().contains("robots.txt: error: dars makes `robots.txt` but this file was not written by dars"), "{err}");
        assert_eq!(tree(&out), pairs(&[("index.html", "1"), ("robots.txt", "mine")]));
        // Nor a folder holding someone else's file.
        fs::create_dir_all(out.join("guide")).unwrap();
        fs::write(out.join("guide/notes.txt"), "mine").unwrap();
        let err = publish(&out, &[OutputFile::bytes("index.html", "2"), OutputFile::bytes("guide", "a page")]).unwrap_err();
        assert!(err.to_string().contains("guide/notes.txt: error: dars makes `guide`"), "{err}");
        fs::remove_dir_all(out.join("guide")).unwrap();
        publish_with(&out, &[OutputFile::bytes("index.html", "2"), OutputFile::bytes("robots.txt", "dars's")], true).unwrap();
        assert_eq!(tree(&out), pairs(&[("index.html", "2"), ("robots.txt", "dars's")]));
    }

    #[test]
    fn a_folder_dars_did_not_make_is_refused_untouched_unless_forced() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("deploy");
        fs::create_dir_all(out.join(".git")).unwrap();
        fs::write(out.join("CNAME"), "x").unwrap();
        fs::write(out.join("index.html"), "theirs").unwrap();
        let err = publish(&out, &[OutputFile::bytes("index.html", "ours")]).unwrap_err();
        assert!(err.to_string().contains("is not empty and was not made by dars"), "{err}");
        assert_eq!(tree(&out), pairs(&[("CNAME", "x"), ("index.html", "theirs")]));
        assert_eq!(beside(tmp.path()), ["deploy"]);
        publish_with(&out, &[OutputFile::bytes("index.html", "ours")], true).unwrap();
        assert_eq!(tree(&out), pairs(&[("CNAME", "x"), ("index.html", "ours")]));
        assert!(out.join(".git").is_dir());
        // From now on the folder is dars's: no --force needed.
        publish(&out, &[OutputFile::bytes("index.html", "again")]).unwrap();
    }

    #[test]
    fn an_output_folder_holding_or_inside_the_inputs_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        let content = project.join("content");
        let theme = project.join("themes/default");
        fs::create_dir_all(&content).unwrap();
        fs::create_dir_all(&theme).unwrap();
        fs::write(content.join("lesson.md"), "x").unwrap();
        for bad in [content.clone(), project.clone(), tmp.path().to_path_buf(), content.join("site"), theme.join("out"), project.join("themes")] {
            let err = OutputDir::open(&bad, &[&content, &theme], &project, true).err().unwrap_or_else(|| panic!("{} accepted", bad.display()));
            assert!(err.to_string().contains("refusing to build into"), "{err}");
        }
        assert!(!content.join("site").exists() && !theme.join("out").exists(), "nothing created");
        assert!(OutputDir::open(&project.join("output"), &[&content, &theme], &project, false).is_ok());
    }

    #[test]
    fn a_failed_write_leaves_every_page_as_it_was_and_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        publish(&out, &[OutputFile::bytes("a.html", "1"), OutputFile::bytes("b/b.html", "1"), OutputFile::bytes("z.html", "1")]).unwrap();
        // Something the new page cannot be written beside (as root, a read-only folder
        // would not stop it): its write fails after others succeeded.
        fs::create_dir_all(out.join("b/.b.html.dars-new/x")).unwrap();
        let err = publish(&out, &[OutputFile::bytes("a.html", "2"), OutputFile::bytes("b/b.html", "2"), OutputFile::bytes("z.html", "2")]).unwrap_err();
        assert_eq!(err.output, OutputState::Unchanged);
        assert!(err.to_string().contains("b/b.html: error: cannot write"), "{err}");
        fs::remove_dir_all(out.join("b/.b.html.dars-new")).unwrap();
        assert_eq!(tree(&out), pairs(&[("a.html", "1"), ("b/b.html", "1"), ("z.html", "1")]));
        let mut output = OutputDir::open(&out, &[], Path::new("/nonexistent-project"), false).unwrap();
        assert!(output.up_to_date("h"), "the previous manifest is back");
        let staging = output.staging().unwrap();
        output.publish(staging, &[OutputFile::bytes("a.html", "2")], Some("h".into())).unwrap();
        assert_eq!(tree(&out), pairs(&[("a.html", "2")]));
    }

    #[test]
    fn a_page_linked_from_a_deployed_copy_is_replaced_not_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        publish(&out, &[OutputFile::bytes("a.html", "old")]).unwrap();
        let deployed = tmp.path().join("deployed-a.html");
        fs::hard_link(out.join("a.html"), &deployed).unwrap();
        publish(&out, &[OutputFile::bytes("a.html", "new")]).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.html")).unwrap(), "new");
        assert_eq!(fs::read_to_string(&deployed).unwrap(), "old", "the deployed copy is left alone");
    }

    #[test]
    fn a_build_killed_halfway_is_finished_by_the_next() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        publish(&out, &[OutputFile::bytes("old.html", "o"), OutputFile::bytes("a.html", "1")]).unwrap();
        // Killed after writing its interim manifest, one page renamed, one left beside.
        let interim = Manifest {
            inputs: None,
            files: ["old.html", "a.html", "b/c.html", ".a.html.dars-new", "b/.c.html.dars-new"].map(String::from).into(),
            foreign: BTreeSet::new(),
        };
        interim.write(&out).unwrap();
        fs::write(out.join("a.html"), "2").unwrap();
        fs::create_dir_all(out.join("b")).unwrap();
        fs::write(out.join("b/.c.html.dars-new"), "3").unwrap();
        let mut output = OutputDir::open(&out, &[], Path::new("/nonexistent-project"), false).unwrap();
        assert!(!output.up_to_date("h"), "a half-written output/ never claims to be up to date");
        let staging = output.staging().unwrap();
        output.publish(staging, &[OutputFile::bytes("a.html", "2"), OutputFile::bytes("b/c.html", "3")], Some("h".into())).unwrap();
        assert_eq!(tree(&out), pairs(&[("a.html", "2"), ("b/c.html", "3")]));
    }

    #[test]
    fn a_build_waits_while_another_holds_the_output_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        publish(&out, &[OutputFile::bytes("a.html", "first")]).unwrap();
        let (opened, wait_for_open) = std::sync::mpsc::channel();
        let other = std::thread::spawn({
            let out = out.clone();
            move || {
                let held = OutputDir::open(&out, &[], Path::new("/nonexistent-project"), false).unwrap();
                opened.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(300));
                let released = std::time::Instant::now();
                drop(held);
                released
            }
        });
        wait_for_open.recv().unwrap();
        publish(&out, &[OutputFile::bytes("a.html", "second")]).unwrap();
        let done = std::time::Instant::now();
        assert!(done >= other.join().unwrap(), "the page was written while another build held output/");
        assert_eq!(fs::read_to_string(out.join("a.html")).unwrap(), "second");
    }

    #[test]
    fn the_manifest_reads_back_what_was_written() {
        let m = Manifest { inputs: Some("abc".into()), files: ["fr/index.html".to_string(), "a b/é.html".to_string()].into(), foreign: ["CNAME".to_string()].into() };
        assert_eq!(Manifest::parse(&m.text()), Some(m));
        assert_eq!(Manifest::parse("not a manifest"), None);
    }
}
