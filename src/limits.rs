//! Bounds on what one input may cost: every limit is checked before the expensive work it
//! protects, and each has an error that names the file, the line, the limit and the key in
//! programme.yaml (`limits:`) that raises it.

use serde::Deserialize;

/// The `limits:` of programme.yaml; every key is optional.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Size of one lesson file, front matter included, in KiB.
    pub lesson_kib: u64,
    /// Size of one lesson's front matter, in KiB (YAML is costly to parse).
    pub front_matter_kib: u64,
    /// Lists and block quotes nested in one another in a lesson.
    pub nesting_depth: usize,
    /// Pixels of one image (width × height), in millions: decoded, a 20,000 × 20,000 PNG
    /// takes 1.6 GB.
    pub image_megapixels: u64,
    /// Markdown of one day's lessons in one language, in KiB: what one PDF handout
    /// typesets (typst's memory grows with the document: ~700 MB for 500 pages).
    pub handout_kib: u64,
    /// Pages of one PDF handout.
    pub handout_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { lesson_kib: 256, front_matter_kib: 64, nesting_depth: 16, image_megapixels: 40, handout_kib: 512, handout_pages: 400 }
    }
}

impl Limits {
    /// The end of every limit error: how to raise it.
    pub fn how_to_raise(key: &str, value: impl std::fmt::Display) -> String {
        format!("The limit is {value}; `limits: {{ {key}: … }}` in programme.yaml raises it.")
    }

    /// A lesson of `bytes` bytes, or what is wrong with its size.
    pub fn check_lesson_size(&self, bytes: u64) -> Result<(), String> {
        if bytes <= self.lesson_kib * 1024 {
            return Ok(());
        }
        Err(format!("this lesson is {}, too large to build safely; split it into several lessons. {}", human_size(bytes), Limits::how_to_raise("lesson_kib", format!("{} KiB", self.lesson_kib))))
    }

    pub fn check_front_matter_size(&self, bytes: u64) -> Result<(), String> {
        if bytes <= self.front_matter_kib * 1024 {
            return Ok(());
        }
        Err(format!("the front matter is {}; keep it to the lesson's keys. {}", human_size(bytes), Limits::how_to_raise("front_matter_kib", format!("{} KiB", self.front_matter_kib))))
    }

    pub fn check_handout_size(&self, what: &str, bytes: u64) -> Result<(), String> {
        if bytes <= self.handout_kib * 1024 {
            return Ok(());
        }
        Err(format!(
            "{what} would typeset {} of lessons, too long for one handout; move lessons to other days or shorten them. {}",
            human_size(bytes),
            Limits::how_to_raise("handout_kib", format!("{} KiB", self.handout_kib))
        ))
    }

    pub fn check_image(&self, dest: &str, width: u64, height: u64) -> Result<(), String> {
        let pixels = width.saturating_mul(height);
        if pixels <= self.image_megapixels * 1_000_000 {
            return Ok(());
        }
        Err(format!(
            "image `{dest}` is {width} × {height} pixels ({:.0} megapixels); resize it (1,600 pixels across is plenty for a page or a handout). {}",
            pixels as f64 / 1e6,
            Limits::how_to_raise("image_megapixels", self.image_megapixels)
        ))
    }
}

pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / (1 << 10) as f64),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_say_how_to_raise_them() {
        let l = Limits::default();
        assert!(l.check_lesson_size(256 * 1024).is_ok());
        assert!(l.check_lesson_size(256 * 1024 + 400).unwrap_err().starts_with("this lesson is 256.4 KiB"), "a size just past the limit does not read as the limit");
        let e = l.check_lesson_size(50 << 20).unwrap_err();
        assert!(e.contains("50.0 MiB") && e.contains("`limits: { lesson_kib: … }` in programme.yaml raises it"), "{e}");
        assert!(l.check_image("a.png", 6000, 4000).is_ok());
        assert!(l.check_image("a.png", 20_000, 20_000).unwrap_err().contains("400 megapixels"));
    }
}
