//! A no-change rebuild: the inputs of a build (every file of content/ and the theme, the
//! options and the dars executable itself) are hashed, and the hash is written into
//! output/'s manifest. When the next build finds the same hash there, output/ is already
//! what it would write, and nothing is done.

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::build::BuildOptions;

/// Hash of everything a build reads; None when something cannot be read (then build).
pub fn inputs_hash(opts: &BuildOptions) -> Option<String> {
    let mut h = DefaultHasher::new();
    format!("dars {} pdf={}", env!("CARGO_PKG_VERSION"), opts.pdf).hash(&mut h);
    // A rebuilt dars may render differently: its own size and time are part of the inputs
    // (which also keeps std's hasher, stable only within one build of dars, safe to use).
    let exe = fs::metadata(std::env::current_exe().ok()?).ok()?;
    exe.len().hash(&mut h);
    format!("{:?}", exe.modified().ok()?).hash(&mut h);
    for dir in [&opts.content_dir, &opts.theme_dir] {
        dir.hash(&mut h);
        // A site without a theme folder uses the built-in theme, part of the executable.
        if !dir.exists() {
            "absent".hash(&mut h);
            continue;
        }
        let mut files = Vec::new();
        // What the load stage skips (hidden folders, editors' back-ups) is no input.
        for entry in WalkDir::new(dir).sort_by_file_name().into_iter().filter_entry(|e| e.depth() == 0 || !crate::load::is_ignored(e.file_name())) {
            let entry = entry.ok()?;
            if entry.file_type().is_file() {
                files.push(entry.into_path());
            }
        }
        // Read and hashed in parallel, combined in order.
        let hashes: Option<Vec<u64>> = files
            .par_iter()
            .map(|path| {
                let mut fh = DefaultHasher::new();
                path.strip_prefix(dir).ok()?.hash(&mut fh);
                fs::read(path).ok()?.hash(&mut fh);
                Some(fh.finish())
            })
            .collect();
        hashes?.hash(&mut h);
    }
    Some(format!("{:016x}", h.finish()))
}

/// The kits of the last build, found again in output/: what each was typeset from (a hash
/// of its template, data, fonts and the dars program) and the files it made are listed in
/// output/`kits/typeset.txt`, which the build writes with the kits. A kit whose hash is
/// listed there, with its files whole in output/, is read back instead of typeset again.
/// Nothing is kept outside output/, and nothing twice.
pub struct PdfCache {
    out_dir: std::path::PathBuf,
    /// Hash → (part name, path below output/, size) of the last build.
    previous: std::collections::HashMap<String, Vec<(String, String, usize)>>,
    /// What this build made, in the same form.
    made: std::sync::Mutex<std::collections::BTreeMap<String, Vec<(String, String, usize)>>>,
}

impl PdfCache {
    /// Where the list is, below output/.
    pub const INDEX: &str = "kits/typeset.txt";

    /// The kits the last build left in `out_dir` (none when it listed none).
    pub fn open(out_dir: &std::path::Path) -> PdfCache {
        let text = fs::read_to_string(out_dir.join(Self::INDEX)).unwrap_or_default();
        let mut previous: std::collections::HashMap<String, Vec<(String, String, usize)>> = Default::default();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let fields: Vec<&str> = line.split('\t').collect();
            if let [key, name, path, size] = fields[..] {
                if let (true, Ok(size)) = (crate::write::is_safe_relative(path), size.parse()) {
                    previous.entry(key.to_string()).or_default().push((name.to_string(), path.to_string(), size));
                }
            }
        }
        PdfCache { out_dir: out_dir.to_path_buf(), previous, made: Default::default() }
    }

    /// The hash of a dars program (its size and time: a rebuilt dars may typeset
    /// differently) and `parts`.
    pub fn key(parts: &[&[u8]]) -> String {
        let mut h = DefaultHasher::new();
        if let Some(exe) = std::env::current_exe().ok().and_then(|e| fs::metadata(e).ok()) {
            exe.len().hash(&mut h);
            format!("{:?}", exe.modified().ok()).hash(&mut h);
        }
        for p in parts {
            p.hash(&mut h);
        }
        format!("{:016x}", h.finish())
    }

    /// The named PDFs the last build made from `key`, when every one is still in output/
    /// whole (its size, a PDF from its header to its end); else none.
    pub fn get(&self, key: &str) -> Option<Vec<(String, Vec<u8>)>> {
        self.previous
            .get(key)?
            .iter()
            .map(|(name, path, size)| {
                let bytes = fs::read(self.out_dir.join(path)).ok()?;
                let whole = bytes.len() == *size && bytes.starts_with(b"%PDF-") && bytes.trim_ascii_end().ends_with(b"%%EOF");
                whole.then(|| (name.clone(), bytes))
            })
            .collect()
    }

    /// Notes that this build's kit `key` is the files `parts` (name, path, size).
    pub fn record(&self, key: &str, parts: Vec<(String, String, usize)>) {
        self.made.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_string(), parts);
    }

    /// The list to write as `INDEX`: this build's kits, or none when it made none.
    pub fn index(&self) -> Option<String> {
        let made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        if made.is_empty() {
            return None;
        }
        let mut text = String::from("# dars: what each centre's kit was typeset from (a hash) and its files; the next build reuses a kit whose hash is unchanged\n");
        for (key, parts) in made.iter() {
            for (name, path, size) in parts {
                text.push_str(&format!("{key}\t{name}\t{path}\t{size}\n"));
            }
        }
        Some(text)
    }
}

/// Where made files that take time (web font subsets, resized images) are kept between
/// builds, by the hash of what they are made from: `DARS_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/dars`, else `~/.cache/dars`. Shared by every project (a key names all
/// of an entry's inputs); deleting it only costs the next build the time to make them again.
pub fn cache_dir() -> Option<std::path::PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
    var("DARS_CACHE_DIR").or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("dars"))).or_else(|| var("HOME").map(|d| d.join(".cache/dars")))
}

/// The bytes cached under `kind/key.ext`, or made by `make` and stored there (written
/// beside and renamed, so that a build running at the same time reads a whole file or
/// none). A cache that cannot be read or written is only slower.
pub fn stored<E>(kind: &str, key: &str, ext: &str, make: impl FnOnce() -> Result<Vec<u8>, E>) -> Result<Vec<u8>, E> {
    let path = cache_dir().map(|d| d.join(kind).join(format!("{key}.{ext}")));
    if let Some(bytes) = path.as_ref().and_then(|p| fs::read(p).ok()) {
        return Ok(bytes);
    }
    let bytes = make()?;
    if let Some(path) = path {
        let tmp = path.with_extension(format!("{ext}.{}.tmp", std::process::id()));
        let written = path.parent().is_some_and(|d| fs::create_dir_all(d).is_ok()) && fs::write(&tmp, &bytes).is_ok() && fs::rename(&tmp, &path).is_ok();
        if !written {
            let _ = fs::remove_file(&tmp);
        }
    }
    Ok(bytes)
}
