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

/// Typeset documents kept between builds, by a hash of everything that made them (the
/// template, the data, the fonts, the dars program): a build re-typesets only the
/// documents whose hash is not there. Kept in a folder beside output/ (see
/// `BuildOptions::cache_dir`), never published; entries a build did not use are removed
/// at its end, so the folder holds what the last build made.
pub struct PdfCache {
    dir: std::path::PathBuf,
    used: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl PdfCache {
    pub fn new(dir: std::path::PathBuf) -> PdfCache {
        PdfCache { dir, used: Default::default() }
    }

    /// The hash of a dars program (its size and time: a rebuilt dars may typeset
    /// differently) and `parts`, as a file name.
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

    /// The named PDFs stored under `key`, if a build stored them (a damaged entry is none).
    pub fn get(&self, key: &str) -> Option<Vec<(String, Vec<u8>)>> {
        let bytes = fs::read(self.dir.join(key)).ok()?;
        let parts = decode_parts(&bytes)?;
        self.used.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_string());
        Some(parts)
    }

    /// Stores `parts` under `key`, beside and renamed over; a cache that cannot be written
    /// only costs time in the next build.
    pub fn put(&self, key: &str, parts: &[(String, Vec<u8>)]) {
        self.used.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_string());
        if fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let tmp = self.dir.join(format!(".{key}.{}", std::process::id()));
        if fs::write(&tmp, encode_parts(parts)).and_then(|_| fs::rename(&tmp, self.dir.join(key))).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }

    /// Removes the entries this build did not use.
    pub fn prune(&self) {
        let used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        let Ok(entries) = fs::read_dir(&self.dir) else { return };
        for e in entries.flatten() {
            if e.file_name().to_str().is_none_or(|n| !used.contains(n)) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// `count`, then for each part: name length, name, bytes length, bytes (u64 little-endian).
fn encode_parts(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + parts.iter().map(|(n, b)| 16 + n.len() + b.len()).sum::<usize>());
    out.extend((parts.len() as u64).to_le_bytes());
    for (name, bytes) in parts {
        out.extend((name.len() as u64).to_le_bytes());
        out.extend(name.as_bytes());
        out.extend((bytes.len() as u64).to_le_bytes());
        out.extend(bytes);
    }
    out
}

fn decode_parts(mut bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, rest) = (bytes.get(..n)?, bytes.get(n..)?);
        bytes = rest;
        Some(head)
    };
    let count = u64::from_le_bytes(take(8)?.try_into().ok()?) as usize;
    let mut parts = Vec::new();
    for _ in 0..count.min(1 << 16) {
        let n = u64::from_le_bytes(take(8)?.try_into().ok()?) as usize;
        let name = String::from_utf8(take(n)?.to_vec()).ok()?;
        let n = u64::from_le_bytes(take(8)?.try_into().ok()?) as usize;
        parts.push((name, take(n)?.to_vec()));
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_survive_the_round_trip_and_damage_is_refused() {
        let parts = vec![("a".to_string(), b"%PDF-1".to_vec()), ("day-2".to_string(), Vec::new())];
        let bytes = encode_parts(&parts);
        assert_eq!(decode_parts(&bytes), Some(parts));
        assert_eq!(decode_parts(&bytes[..bytes.len() - 3]), None);
    }
}
