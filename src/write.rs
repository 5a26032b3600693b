//! Stage 4, write: publish the rendered files, all or none.
//!
//! A build updates output/ in place rather than replacing it: a page whose bytes are
//! already there is not written again, so a rebuild touches only what changed. (Writing a
//! fresh tree and deleting the old one each time cost more than rendering on a large
//! site: ext4 spends its time looking for free inodes among the thousands just freed.)
//!
//! Changed pages go to a staging folder beside output/ while the build runs, all in one
//! pack file; output/ is not touched until every page rendered and every check passed.
//! Then a journal of the writes and deletions is written, and applied. A build killed
//! before the journal leaves output/ as it was (the next build drops the staging folder);
//! killed while applying it, the next build finishes the journal first.
//!
//! Why one pack and writes in place, not a file per page renamed over the old one: on
//! this machine's ext4 (no journal, mounted with `discard`), creating a file soon after
//! many were deleted is slow, and a rename over an existing file makes ext4 write the data
//! out at once and trim the old blocks. A build that changed every page spent most of its
//! time there; now it creates no file that did not exist and deletes none that stays.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::error::{Diagnostic, Diagnostics};
use crate::render::{Contents, OutputFile};

/// Where rendered pages go as they are made, so a large site is never held in memory.
pub trait PageSink: Sync {
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), Diagnostic>;
}

/// Takes pages and keeps nothing: `dars check` renders every page for its links only.
pub struct Discard;

impl PageSink for Discard {
    fn put(&self, path: &str, _bytes: &[u8]) -> Result<(), Diagnostic> {
        if is_safe_relative(path) { Ok(()) } else { Err(outside(path)) }
    }
}

pub fn publish(out_dir: &Path, files: &[OutputFile]) -> Result<(), Diagnostics> {
    Staging::begin(out_dir)?.finish(files)
}

/// The changes of one build, waiting beside the output folder; dropped unfinished, they
/// are removed and output/ is untouched.
pub struct Staging {
    dir: PathBuf,
    out_dir: PathBuf,
    /// Every staged page, one after the other.
    pack: fs::File,
    end: AtomicU64,
    moves: Mutex<Vec<Move>>,
    done: bool,
}

/// A staged page: where its bytes lie in the pack, and its path below output/.
#[derive(Debug)]
struct Move {
    offset: u64,
    len: u64,
    path: String,
}

const JOURNAL: &str = "journal";
const PACK: &str = "pages";

impl Staging {
    pub fn begin(out_dir: &Path) -> Result<Staging, Diagnostics> {
        let (parent, name) = parent_and_name(out_dir)?;
        fs::create_dir_all(&parent).map_err(|e| Diagnostic::error(&parent, format!("cannot create folder: {e}")))?;
        recover_interrupted(&parent, &name, out_dir);
        let dir = parent.join(format!("{name}.staging-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| Diagnostic::error(&dir, format!("cannot create folder: {e}")))?;
        let pack_path = dir.join(PACK);
        let pack = fs::File::create(&pack_path).map_err(|e| Diagnostic::error(&pack_path, format!("cannot write: {e}")))?;
        Ok(Staging { dir, out_dir: out_dir.to_path_buf(), pack, end: AtomicU64::new(0), moves: Mutex::new(Vec::new()), done: false })
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

    /// Stages the files not written yet, then applies every change to output/: changed
    /// files moved in, files of the previous build that this one did not make removed.
    pub fn finish(mut self, files: &[OutputFile]) -> Result<(), Diagnostics> {
        let errors: Vec<Diagnostic> = files.par_iter().filter_map(|f| self.stage_file(f).err()).collect();
        Diagnostics(errors).into_result(())?;
        let keep: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let stale = stale_files(&self.out_dir, &keep);
        let moves = std::mem::take(&mut *self.moves.lock().unwrap_or_else(|p| p.into_inner()));
        write_journal(&self.dir, &moves, &stale)?;
        // From here on the change is decided: a build killed now is finished by the next one.
        self.done = true;
        apply_journal(&self.dir, &self.out_dir)
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
}

impl PageSink for Staging {
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
        self.stage(path, bytes)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.dir);
        }
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

/// Whether `path` is a file holding exactly `bytes` (its size is looked at first).
fn same_bytes(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read;
    let Ok(mut file) = fs::File::open(path) else { return false };
    if !file.metadata().is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64) {
        return false;
    }
    let mut existing = Vec::with_capacity(bytes.len());
    file.read_to_end(&mut existing).is_ok() && existing == bytes
}

/// Files (and links) below `out_dir` that are not in `keep`.
fn stale_files(out_dir: &Path, keep: &HashSet<&str>) -> Vec<String> {
    files_below(out_dir, "").into_iter().filter(|p| !keep.contains(p.as_str())).collect()
}

/// Every file (and link) below `dir`, as `/`-separated paths after `rel`; folders are
/// listed in parallel (a serial walk of a large output/ was a tenth of a rebuild). Names
/// that are not Unicode are left out: dars never writes them, so it never removes them.
fn files_below(dir: &Path, rel: &str) -> Vec<String> {
    let entries: Vec<fs::DirEntry> = fs::read_dir(dir).into_iter().flatten().flatten().collect();
    entries
        .par_iter()
        .flat_map_iter(|entry| {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { return Vec::new() };
            let path = if rel.is_empty() { name.to_string() } else { format!("{rel}/{name}") };
            match entry.file_type() {
                Ok(t) if t.is_dir() => files_below(&entry.path(), &path),
                _ => vec![path],
            }
        })
        .collect()
}

/// The journal: `M <offset> <length> <path>` writes a staged page, `D <path>` deletes a
/// file. Written under another name and renamed, so a journal that exists is complete.
fn write_journal(staging: &Path, moves: &[Move], stale: &[String]) -> Result<(), Diagnostic> {
    use std::fmt::Write;
    let mut text = String::new();
    for p in stale {
        let _ = writeln!(text, "D {p}");
    }
    for m in moves {
        let _ = writeln!(text, "M {} {} {}", m.offset, m.len, m.path);
    }
    let partial = staging.join("journal.partial");
    fs::write(&partial, text).map_err(|e| Diagnostic::error(&partial, format!("cannot write: {e}")))?;
    fs::rename(&partial, staging.join(JOURNAL)).map_err(|e| Diagnostic::error(staging, format!("cannot write the journal: {e}")))
}

/// Applies a staging folder's journal to `out_dir`, then removes the staging folder.
/// Idempotent: a page written again is the same page, a file already deleted is fine.
fn apply_journal(staging: &Path, out_dir: &Path) -> Result<(), Diagnostics> {
    let journal = fs::read_to_string(staging.join(JOURNAL)).map_err(|e| Diagnostic::error(staging, format!("cannot read the journal: {e}")))?;
    let pack_path = staging.join(PACK);
    let pack = fs::File::open(&pack_path).map_err(|e| Diagnostic::error(&pack_path, format!("cannot read: {e}")))?;
    let mut deletions = Vec::new();
    let mut moves = Vec::new();
    for line in journal.lines() {
        match line.split_once(' ') {
            Some(("D", path)) if is_safe_relative(path) => deletions.push(path),
            Some(("M", rest)) => moves.extend(parse_move(rest)),
            _ => {}
        }
    }
    // The record of what output/ was built from goes first and comes back last, so an
    // output/ changed halfway never claims to be up to date.
    let (stamp, moves): (Vec<_>, Vec<_>) = moves.into_iter().partition(|m| m.path == crate::cache::STAMP);
    if !stamp.is_empty() {
        let _ = fs::remove_file(out_dir.join(crate::cache::STAMP));
    }
    fs::create_dir_all(out_dir).map_err(|e| Diagnostic::error(out_dir, format!("cannot create folder: {e}")))?;
    let _lock = lock_output(out_dir);
    // Deletions first: a stale file may stand where a new folder goes, and the reverse.
    deletions.par_iter().for_each(|p| remove_file_and_empty_parents(out_dir, p));
    make_dirs(out_dir, moves.iter().map(|m| Path::new(&m.path)))?;
    let errors: Vec<Diagnostic> = moves.par_iter().filter_map(|m| move_in(&pack, m, out_dir).err()).collect();
    Diagnostics(errors).into_result(())?;
    for m in &stamp {
        move_in(&pack, m, out_dir)?;
    }
    let _ = fs::remove_dir_all(staging);
    Ok(())
}

/// Held while a journal is applied. Pages are written in place, so two builds applying at
/// once (`dars serve` running while `dars build` is run, say) could mix their bytes in one
/// page; the second waits. Where the file system has no locks, builds go on without.
fn lock_output(out_dir: &Path) -> Option<fs::File> {
    let dir = fs::File::open(out_dir).ok()?;
    dir.lock().ok()?;
    Some(dir)
}

/// Creates the folders of `files` below `out_dir`, a level at a time and each level in
/// parallel: on a first build, mkdir is most of the system time (ext4 without a journal
/// searches long for a free inode after many deletions).
fn make_dirs<'a>(out_dir: &Path, files: impl Iterator<Item = &'a Path>) -> Result<(), Diagnostics> {
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
        let errors: Vec<Diagnostic> = level.par_iter().filter_map(|d| make_one_dir(&out_dir.join(d)).err()).collect();
        Diagnostics(errors).into_result(())?;
    }
    Ok(())
}

fn make_one_dir(dir: &Path) -> Result<(), Diagnostic> {
    match fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(_) if dir.is_dir() => Ok(()),
        Err(_) => make_dir(dir),
    }
}

/// Creates a folder and its parents; a file of the previous site standing in the way (a
/// page that became a folder) is removed.
fn make_dir(dir: &Path) -> Result<(), Diagnostic> {
    if fs::create_dir_all(dir).is_ok() {
        return Ok(());
    }
    for ancestor in dir.ancestors() {
        if ancestor.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
            let _ = fs::remove_file(ancestor);
        }
    }
    fs::create_dir_all(dir).map_err(|e| Diagnostic::error(dir, format!("cannot create folder: {e}")))
}

fn parse_move(rest: &str) -> Option<Move> {
    let mut parts = rest.splitn(3, ' ');
    let offset = parts.next()?.parse().ok()?;
    let len = parts.next()?.parse().ok()?;
    let path = parts.next().filter(|p| is_safe_relative(p))?;
    Some(Move { offset, len, path: path.to_string() })
}

/// Writes a staged page to its place below `out_dir`.
fn move_in(pack: &fs::File, m: &Move, out_dir: &Path) -> Result<(), Diagnostic> {
    let dest = out_dir.join(&m.path);
    let mut bytes = vec![0; m.len as usize];
    pack.read_exact_at(&mut bytes, m.offset).map_err(|e| Diagnostic::error(&dest, format!("cannot read the staged page: {e}")))?;
    write_in_place(&dest, &bytes).map_err(|e| Diagnostic::error(&dest, format!("cannot write: {e}")))
}

/// Writes `bytes` to `dest`: over the existing file if there is one, keeping its inode.
fn write_in_place(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::MetadataExt;
    let mut old_len = 0;
    match dest.symlink_metadata() {
        // Linked from elsewhere too (a deployed copy made with `cp -al` or rsync
        // --link-dest): that copy must keep its page, so this one gets a new file.
        Ok(m) if m.file_type().is_file() && m.nlink() > 1 => return replace_by_rename(dest, bytes),
        Ok(m) if m.file_type().is_file() => old_len = m.len(),
        // A folder of the previous site where a file now goes.
        Ok(m) if m.is_dir() => fs::remove_dir_all(dest)?,
        // Never written through a link.
        Ok(_) => fs::remove_file(dest)?,
        Err(_) => {}
    }
    // Not truncated to zero first: ext4 would then flush the file when it is closed.
    let mut file = match fs::OpenOptions::new().write(true).create(true).truncate(false).open(dest) {
        Ok(file) => file,
        // A read-only page (an earlier site copied with its modes, say): a rename replaces
        // it as the folder allows, as builds always could.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return replace_by_rename(dest, bytes),
        Err(e) => return Err(e),
    };
    file.write_all(bytes)?;
    if old_len > bytes.len() as u64 {
        file.set_len(bytes.len() as u64)?;
    }
    Ok(())
}

fn replace_by_rename(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("page");
    // In output/ itself, so the rename stays on one file system; a build killed in
    // between leaves it there, and the next build removes it as a stale file.
    let new = dest.with_file_name(format!(".{name}.dars-new"));
    fs::write(&new, bytes)?;
    fs::rename(&new, dest)
}

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
    !path.is_empty()
        && Path::new(path).components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Cleans up what killed builds left beside `out_dir` (also when nothing is to be built).
pub fn recover(out_dir: &Path) {
    if let Ok((parent, name)) = parent_and_name(out_dir) {
        recover_interrupted(&parent, &name, out_dir);
    }
}

/// After a build that was killed: its staging folder is finished if its journal was
/// written (the change was decided), dropped otherwise.
fn recover_interrupted(parent: &Path, name: &str, out_dir: &Path) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|f| f.strip_prefix(name)).and_then(|r| r.strip_prefix(".staging-")) else { continue };
        if process_alive(pid) {
            continue;
        }
        let staging = entry.path();
        if !staging.join(JOURNAL).is_file() || apply_journal(&staging, out_dir).is_err() {
            let _ = fs::remove_dir_all(&staging);
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
            .filter(|e| e.file_type().is_file())
            .map(|e| (e.path().strip_prefix(dir).unwrap().to_string_lossy().to_string(), fs::read_to_string(e.path()).unwrap()))
            .collect();
        files.sort();
        files
    }

    fn beside(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
        names.sort();
        names
    }

    fn staged(out: &Path, files: &[OutputFile]) -> Staging {
        let staging = Staging::begin(out).unwrap();
        for f in files {
            staging.stage_file(f).unwrap();
        }
        staging
    }

    /// As if the process holding `staging` was killed: its folder stays, under the name
    /// of a process that no longer runs.
    fn killed(mut staging: Staging) {
        let dir = staging.dir.clone();
        let parent = dir.parent().unwrap().to_path_buf();
        staging.done = true;
        drop(staging);
        fs::rename(&dir, parent.join("output.staging-999999999")).unwrap();
    }

    #[test]
    fn only_plain_relative_paths_are_written() {
        assert!(is_safe_relative("fr/day-1/index.html"));
        assert!(!is_safe_relative("../x"));
        assert!(!is_safe_relative("/etc/passwd"));
        assert!(!is_safe_relative("fr/../../x"));
    }

    #[test]
    fn failed_write_keeps_previous_output() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        publish(&out, &[OutputFile::bytes("a.html", "first")]).unwrap();
        let bad = [OutputFile::bytes("b.html", "x"), OutputFile::bytes("../escape.html", "y")];
        assert!(publish(&out, &bad).is_err());
        assert_eq!(fs::read_to_string(out.join("a.html")).unwrap(), "first");
        assert!(!out.join("b.html").exists());
        assert_eq!(beside(tmp.path()), ["output"]);
    }

    #[test]
    fn a_rebuild_updates_changed_files_removes_stale_ones_and_keeps_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        publish(&out, &[OutputFile::bytes("same.html", "s"), OutputFile::bytes("a/changed.html", "1, longer than the new page"), OutputFile::bytes("gone/deep/x.html", "x"), OutputFile::bytes("becomes-dir", "f")]).unwrap();
        let untouched = fs::metadata(out.join("same.html")).unwrap().ino();
        let changed = fs::metadata(out.join("a/changed.html")).unwrap().ino();
        publish(&out, &[OutputFile::bytes("same.html", "s"), OutputFile::bytes("a/changed.html", "2"), OutputFile::bytes("becomes-dir/index.html", "d")]).unwrap();
        let expected: Vec<(String, String)> =
            [("a/changed.html", "2"), ("becomes-dir/index.html", "d"), ("same.html", "s")].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(tree(&out), expected);
        assert!(!out.join("gone").exists(), "emptied folders are removed");
        assert_eq!(fs::metadata(out.join("same.html")).unwrap().ino(), untouched, "an unchanged file is not rewritten");
        assert_eq!(fs::metadata(out.join("a/changed.html")).unwrap().ino(), changed, "a changed file is written in place");
        assert_eq!(beside(tmp.path()), ["output"]);
    }

    #[test]
    fn a_build_waits_while_another_writes_into_output() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        publish(&out, &[OutputFile::bytes("a.html", "first")]).unwrap();
        let (locked, wait_for_lock) = std::sync::mpsc::channel();
        let other = std::thread::spawn({
            let out = out.clone();
            move || {
                let held = lock_output(&out).expect("the output folder can be locked");
                locked.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(300));
                let released = std::time::Instant::now();
                drop(held);
                released
            }
        });
        wait_for_lock.recv().unwrap();
        publish(&out, &[OutputFile::bytes("a.html", "second")]).unwrap();
        let done = std::time::Instant::now();
        assert!(done >= other.join().unwrap(), "the page was written while another build held output/");
        assert_eq!(fs::read_to_string(out.join("a.html")).unwrap(), "second");
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
        assert_eq!(tree(&out), [("a.html".to_string(), "new".to_string())]);
    }

    #[test]
    fn a_build_killed_after_deciding_is_finished_by_the_next() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        publish(&out, &[OutputFile::bytes("old.html", "o"), OutputFile::bytes("a.html", "1")]).unwrap();
        let new = [OutputFile::bytes("a.html", "2"), OutputFile::bytes("b/c.html", "3"), OutputFile::bytes("d.html", "4")];
        let staging = staged(&out, &new);
        let moves = std::mem::take(&mut *staging.moves.lock().unwrap());
        write_journal(&staging.dir, &moves, &["old.html".to_string()]).unwrap();
        // Killed after one page, halfway through another: the process is gone, its staging
        // folder stays.
        move_in(&fs::File::open(staging.dir.join(PACK)).unwrap(), &moves[0], &out).unwrap();
        let half = out.join(&moves[1].path);
        fs::create_dir_all(half.parent().unwrap()).unwrap();
        fs::write(&half, "").unwrap();
        killed(staging);
        recover(&out);
        assert_eq!(tree(&out), [("a.html", "2"), ("b/c.html", "3"), ("d.html", "4")].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>());
        assert_eq!(beside(tmp.path()), ["output"]);
    }

    #[test]
    fn a_build_killed_before_deciding_leaves_output_as_it_was() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output");
        publish(&out, &[OutputFile::bytes("a.html", "1")]).unwrap();
        killed(staged(&out, &[OutputFile::bytes("a.html", "2")]));
        recover(&out);
        assert_eq!(tree(&out), [("a.html".to_string(), "1".to_string())]);
        assert_eq!(beside(tmp.path()), ["output"]);
    }
}
