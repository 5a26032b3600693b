//! A no-change rebuild: the inputs of a build (every file of content/ and the theme, the
//! options and the dars executable itself) are hashed, and the hash is written into the
//! output. When the next build finds the same hash there, output/ is already what it
//! would write, and nothing is done.

use std::fs;
use std::path::Path;

use walkdir::WalkDir;

use crate::build::BuildOptions;

/// The file in output/ that holds the hash of the inputs it was built from.
pub const STAMP: &str = ".dars-inputs";

/// Hash of everything a build reads; None when something cannot be read (then build).
pub fn inputs_hash(opts: &BuildOptions) -> Option<String> {
    let mut h = Fnv::new();
    h.add(format!("dars {} pdf={}", env!("CARGO_PKG_VERSION"), opts.pdf).as_bytes());
    // A rebuilt dars may render differently: its own size and time are part of the inputs.
    let exe = fs::metadata(std::env::current_exe().ok()?).ok()?;
    h.add(&exe.len().to_le_bytes());
    h.add(format!("{:?}", exe.modified().ok()?).as_bytes());
    for dir in [&opts.content_dir, &opts.theme_dir] {
        h.add(dir.to_string_lossy().as_bytes());
        for entry in WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.ok()?;
            if entry.file_type().is_file() {
                h.add(entry.path().strip_prefix(dir).ok()?.to_string_lossy().as_bytes());
                h.add(&fs::read(entry.path()).ok()?);
            }
        }
    }
    Some(format!("{:016x}", h.0))
}

/// Whether `out_dir` was built from exactly these inputs.
pub fn up_to_date(out_dir: &Path, hash: &str) -> bool {
    fs::read_to_string(out_dir.join(STAMP)).is_ok_and(|s| s.trim() == hash)
}

/// FNV-1a, 64 bits: fast enough for a few tens of megabytes, stable across runs.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn add(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // Separate fields, so ("ab","c") and ("a","bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }
}
