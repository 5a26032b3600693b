//! Compiles the default theme (`themes/default/`) and the scaffold of new programmes
//! (`scaffold/`) into the binary: every file below them is listed at build time, so a file
//! added there is picked up by the next `cargo build` (cargo watches both folders).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (folder, target) in [("themes/default", "builtin_theme.rs"), ("scaffold", "scaffold.rs")] {
        // A folder given to rerun-if-changed is scanned whole: new, edited and removed files.
        println!("cargo:rerun-if-changed={folder}");
        let dir = root.join(folder);
        let mut files = Vec::new();
        walk(&dir, &dir, &mut files);
        files.sort();
        let mut code = String::from("&[\n");
        for (rel, path) in files {
            writeln!(code, "    ({rel:?}, include_bytes!({:?}) as &[u8]),", path.display().to_string()).unwrap();
        }
        code.push(']');
        std::fs::write(out.join(target), code).expect("OUT_DIR is writable");
    }
}

/// Every file below `dir` as (path relative to `base` with `/`, full path), leaving out what
/// dars never reads from a theme (hidden files, editors' back-ups; see `load::is_ignored`).
fn walk(base: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let ignored = name.starts_with('.')
            || name.ends_with('~')
            || (name.starts_with('#') && name.ends_with('#'))
            || [".swp", ".swo", ".bak", ".tmp", ".orig"].iter().any(|x| name.ends_with(x))
            || name.eq_ignore_ascii_case("Thumbs.db")
            || name.eq_ignore_ascii_case("desktop.ini");
        if ignored {
            continue;
        }
        if path.is_dir() {
            walk(base, &path, files);
        } else if path.is_file() {
            let rel: Vec<String> = path.strip_prefix(base).expect("below base").components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            files.push((rel.join("/"), path));
        }
    }
}
