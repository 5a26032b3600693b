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
