//! Stage 4, write: publish the rendered files atomically.
//!
//! Everything is written into a staging folder beside the output folder, which is swapped
//! in only once complete: a failed or interrupted build leaves the previous site as it was.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Diagnostic, Diagnostics};
use crate::render::{Contents, OutputFile};

pub fn publish(out_dir: &Path, files: &[OutputFile]) -> Result<(), Diagnostics> {
    Staging::begin(out_dir)?.finish(files)
}

/// The folder a build writes into, beside the output folder. Pages can be written as soon
/// as they are rendered (so a large site is never held in memory whole); `finish` writes
/// the rest and swaps it in; dropped unfinished, it is removed and output/ is untouched.
pub struct Staging {
    dir: PathBuf,
    out_dir: PathBuf,
    old: PathBuf,
    done: bool,
}

impl Staging {
    pub fn begin(out_dir: &Path) -> Result<Staging, Diagnostics> {
        let parent = match out_dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = out_dir.file_name().and_then(|n| n.to_str()).ok_or_else(|| Diagnostic::error(out_dir, "output folder needs a name"))?;
        fs::create_dir_all(&parent).map_err(|e| Diagnostic::error(&parent, format!("cannot create folder: {e}")))?;
        recover_interrupted(&parent, name, out_dir);
        let pid = std::process::id();
        let dir = parent.join(format!("{name}.staging-{pid}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| Diagnostic::error(&dir, format!("cannot create folder: {e}")))?;
        Ok(Staging { dir, out_dir: out_dir.to_path_buf(), old: parent.join(format!("{name}.old-{pid}")), done: false })
    }

    /// Writes one file now.
    pub fn write(&self, path: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
        if !is_safe_relative(path) {
            return Err(Diagnostic::error(path, "refusing to write outside the output folder"));
        }
        let dest = self.dir.join(path);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| Diagnostic::error(parent, format!("cannot create folder: {e}")))?;
        }
        fs::write(&dest, bytes).map_err(|e| Diagnostic::error(&dest, format!("cannot write: {e}")))
    }

    /// Writes the files not written yet and puts the new site in place of the old one.
    pub fn finish(mut self, files: &[OutputFile]) -> Result<(), Diagnostics> {
        write_all(&self.dir, files)?;
        self.done = true;
        swap_in(&self.dir, &self.out_dir, &self.old)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn write_all(staging: &Path, files: &[OutputFile]) -> Result<(), Diagnostics> {
    let files: Vec<&OutputFile> = files.iter().filter(|f| !matches!(f.contents, Contents::Staged { .. })).collect();
    let mut dirs: Vec<PathBuf> = files.iter().filter_map(|f| Path::new(&f.path).parent().map(|p| staging.join(p))).collect();
    dirs.sort();
    dirs.dedup();
    fs::create_dir_all(staging).map_err(|e| Diagnostic::error(staging, format!("cannot create folder: {e}")))?;
    for d in &dirs {
        fs::create_dir_all(d).map_err(|e| Diagnostic::error(d, format!("cannot create folder: {e}")))?;
    }
    let errors: Vec<Diagnostic> = files.par_iter().filter_map(|f| write_one(staging, f).err()).collect();
    Diagnostics(errors).into_result(())
}

fn write_one(staging: &Path, file: &OutputFile) -> Result<(), Diagnostic> {
    if !is_safe_relative(&file.path) {
        return Err(Diagnostic::error(&file.path, "refusing to write outside the output folder"));
    }
    let dest = staging.join(&file.path);
    match &file.contents {
        Contents::Bytes(b) => fs::write(&dest, b).map_err(|e| Diagnostic::error(&dest, format!("cannot write: {e}"))),
        Contents::CopyOf(src) => fs::copy(src, &dest).map(|_| ()).map_err(|e| Diagnostic::error(src, format!("cannot copy to the output: {e}"))),
        Contents::Staged { .. } => Ok(()),
    }
}

/// Only plain relative paths: no `..`, no root, no drive.
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path).components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

fn swap_in(staging: &Path, out_dir: &Path, old: &Path) -> Result<(), Diagnostics> {
    // The previous site is removed last, after the swap, so output/ is never missing for
    // longer than between two renames.
    let had_output = out_dir.exists();
    if had_output {
        fs::rename(out_dir, old).map_err(|e| Diagnostic::error(out_dir, format!("cannot move the previous output aside: {e}")))?;
    }
    if let Err(e) = fs::rename(staging, out_dir) {
        if had_output {
            let _ = fs::rename(old, out_dir);
        }
        let _ = fs::remove_dir_all(staging);
        return Err(Diagnostic::error(out_dir, format!("cannot move the new output in place: {e}")).into());
    }
    if had_output {
        remove_tree(old);
    }
    Ok(())
}

/// Removes a folder, its subfolders in parallel (a large site has thousands of files).
fn remove_tree(dir: &Path) {
    let entries: Vec<PathBuf> = fs::read_dir(dir).map(|rd| rd.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    entries.par_iter().for_each(|p| {
        let _ = if p.is_dir() { fs::remove_dir_all(p) } else { fs::remove_file(p) };
    });
    let _ = fs::remove_dir_all(dir);
}

/// Cleans up what killed builds left beside `out_dir` (also when nothing is to be built).
pub fn recover(out_dir: &Path) {
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let Some(name) = out_dir.file_name().and_then(|n| n.to_str()) {
        recover_interrupted(&parent, name, out_dir);
    }
}

/// Cleans up after a build that was killed: its staging folder is dropped, and if it died
/// between the two renames, the previous output is put back.
fn recover_interrupted(parent: &Path, name: &str, out_dir: &Path) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else { continue };
        let Some(rest) = file_name.strip_prefix(name) else { continue };
        let (kind, pid) = match rest.strip_prefix(".staging-").map(|p| ("staging", p)).or_else(|| rest.strip_prefix(".old-").map(|p| ("old", p))) {
            Some(x) => x,
            None => continue,
        };
        if process_alive(pid) {
            continue;
        }
        if kind == "old" && !out_dir.exists() {
            let _ = fs::rename(entry.path(), out_dir);
        } else {
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
        let leftovers: Vec<_> = fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }
}
