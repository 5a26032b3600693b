//! Images for the web pages: each raster image of the content (PNG, JPEG, WebP) is also
//! published resized to the widths the layout shows it at, and a lesson page's `<img>` gets
//! those as `srcset`, its `width`/`height` (no jump while it loads) and `loading="lazy"`.
//! PNG sources get a WebP version too (lossless: the `image` crate's encoder is lossless
//! only, which suits screenshots and diagrams, where PNG is used), offered first through
//! `<picture>` when it is lighter than the PNG at every width. The original file stays as it was, for the print handouts and the PDFs.
//! SVG and GIF (which may be animated) are left untouched.
//!
//! Resizing is slow (a 4000×3000 photo takes a second): every variant is kept in the
//! cache (crate::cache::stored) under the hash of the original and its width.

use std::path::Path;

use image::ImageFormat;

use crate::render::OutputFile;
use crate::render::links::href_path;

/// Widths (CSS pixels × density) the lesson column shows an image at: a phone, the 46rem
/// column at 1× and 2×.
const WIDTHS: [u32; 3] = [480, 960, 1440];

/// Bumped when what a cached variant holds changes.
const RECIPE: &str = "image 1: lanczos3 in steps, png default, jpeg 82, webp lossless";

/// What `sizes` tells the browser: the column is at most ~44rem wide.
const SIZES: &str = "(min-width: 46rem) 44rem, 100vw";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Png,
    Jpeg,
    WebP,
}

impl Kind {
    fn of(rel: &str) -> Option<Kind> {
        let lower = rel.to_ascii_lowercase();
        let ext = lower.rsplit_once('.')?.1;
        match ext {
            "png" => Some(Kind::Png),
            "jpg" | "jpeg" => Some(Kind::Jpeg),
            "webp" => Some(Kind::WebP),
            _ => None,
        }
    }
    fn ext(self) -> &'static str {
        match self {
            Kind::Png => "png",
            Kind::Jpeg => "jpg",
            Kind::WebP => "webp",
        }
    }
}

/// One published size of an image.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    /// Below the output folder, in the source's format.
    pub path: String,
    /// The WebP version, for PNG sources.
    pub webp: Option<String>,
}

/// The sizes an asset (below content/) is published at, from its header alone: None for
/// what is not resized (SVG, GIF, an unreadable file; the link and image checks report
/// the latter).
pub fn variants(content_dir: &Path, rel: &str) -> Option<(u32, u32, Vec<Variant>)> {
    let kind = Kind::of(rel)?;
    let size = imagesize::size(content_dir.join(rel)).ok()?;
    let (w, h) = (size.width as u32, size.height as u32);
    if w == 0 || h == 0 {
        return None;
    }
    let stem = rel.rsplit_once('.').map_or(rel, |(s, _)| s);
    let mut widths: Vec<u32> = WIDTHS.iter().copied().filter(|&x| x < w).collect();
    if w <= WIDTHS[WIDTHS.len() - 1] {
        widths.push(w);
    }
    let list = widths
        .into_iter()
        .map(|width| Variant {
            width,
            height: ((h as u64 * width as u64 + w as u64 / 2) / w as u64).max(1) as u32,
            path: format!("media/{stem}.{width}w.{}", kind.ext()),
            webp: (kind == Kind::Png).then(|| format!("media/{stem}.{width}w.webp")),
        })
        .collect();
    Some((w, h, list))
}

/// The resized files of every raster asset, made in parallel, read from the cache when
/// made before; an image that cannot be decoded is left out (the checks report it).
pub fn resized_files(content_dir: &Path, assets: &[String]) -> Vec<OutputFile> {
    use rayon::prelude::*;
    assets
        .par_iter()
        .filter_map(|rel| encoded(content_dir, rel))
        .flat_map(|list| {
            list.into_iter()
                .flat_map(|(v, data, webp)| {
                    let webp = v.webp.clone().zip(webp).map(|(p, d)| OutputFile::bytes(p, d));
                    std::iter::once(OutputFile::bytes(v.path.clone(), data)).chain(webp)
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every variant of an asset with its bytes, and the WebP version's where it is lighter
/// than the source format's (a lossless WebP of a photo can be heavier than its PNG): the
/// variant's `webp` is None otherwise. None when the image cannot be decoded.
fn encoded(content_dir: &Path, rel: &str) -> Option<Vec<(Variant, Vec<u8>, Option<Vec<u8>>)>> {
    let (_, _, list) = variants(content_dir, rel)?;
    let bytes = std::fs::read(content_dir.join(rel)).ok()?;
    let key = source_key(&bytes);
    let mut decoded: Option<image::DynamicImage> = None;
    // Largest first, each made from the one before: a few small steps are much faster than
    // a large one from the original, and look the same.
    let mut out = Vec::with_capacity(list.len());
    for mut v in list.into_iter().rev() {
        let mut make = |kind: Kind| {
            crate::cache::stored("images", &format!("{key}-{}", v.width), kind.ext(), || {
                let source = match decoded.take() {
                    Some(img) => img,
                    None => image::load_from_memory(&bytes).map_err(|_| ())?,
                };
                let img = if (source.width(), source.height()) == (v.width, v.height) { source } else { source.resize_exact(v.width, v.height, image::imageops::FilterType::Lanczos3) };
                let data = encode(&img, kind);
                decoded = Some(img);
                data
            })
            .ok()
        };
        let data = make(Kind::of(&v.path).expect("made by variants"))?;
        let webp = if v.webp.is_some() { make(Kind::WebP).filter(|w| w.len() < data.len()) } else { None };
        if webp.is_none() {
            v.webp = None;
        }
        out.push((v, data, webp));
    }
    out.reverse();
    Some(out)
}

fn source_key(bytes: &[u8]) -> String {
    use siphasher::sip128::{Hasher128, SipHasher13};
    use std::hash::Hasher;
    let mut h = SipHasher13::new();
    h.write(RECIPE.as_bytes());
    h.write(bytes);
    format!("{:032x}", h.finish128().as_u128())
}

fn encode(img: &image::DynamicImage, kind: Kind) -> Result<Vec<u8>, ()> {
    let mut out = std::io::Cursor::new(Vec::new());
    match kind {
        Kind::Png => {
            let encoder = image::codecs::png::PngEncoder::new_with_quality(&mut out, image::codecs::png::CompressionType::Default, image::codecs::png::FilterType::Adaptive);
            img.write_with_encoder(encoder).map_err(|_| ())?;
        }
        Kind::Jpeg => {
            // JPEG has no alpha channel.
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
            image::DynamicImage::ImageRgb8(img.to_rgb8()).write_with_encoder(encoder).map_err(|_| ())?;
        }
        // The WebP encoder takes 8-bit RGB or RGBA only.
        Kind::WebP if img.color().has_alpha() => image::DynamicImage::ImageRgba8(img.to_rgba8()).write_to(&mut out, ImageFormat::WebP).map_err(|_| ())?,
        Kind::WebP => image::DynamicImage::ImageRgb8(img.to_rgb8()).write_to(&mut out, ImageFormat::WebP).map_err(|_| ())?,
    }
    Ok(out.into_inner())
}

/// A lesson page's body with each `<img>` of a resized asset given its sizes: `srcset`,
/// `width`/`height`, `loading="lazy"`, and a WebP `<source>` for PNG sources. `root` is
/// the page's way up to the output folder (`../../../`).
pub fn responsive(html: &str, root: &str, content_dir: &Path, assets: &[String]) -> String {
    let prefix = format!("<img src=\"{root}media/");
    if !html.contains(&prefix) {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len() + 512);
    let mut rest = html;
    while let Some(at) = rest.find(&prefix) {
        out.push_str(&rest[..at]);
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
        let tag = &rest[at..tag_end];
        let src_end = prefix.len() + tag[prefix.len()..].find('"').unwrap_or(0);
        let href = &tag[prefix.len()..src_end];
        let asset = assets.iter().find(|a| href_path(a) == href);
        match asset.and_then(|a| encoded(content_dir, a)) {
            Some(list) if !list.is_empty() => {
                let list: Vec<Variant> = list.into_iter().map(|(v, _, _)| v).collect();
                out.push_str(&picture(tag, src_end, root, &list));
            }
            _ => out.push_str(tag),
        }
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    out
}

fn picture(tag: &str, src_end: usize, root: &str, list: &[Variant]) -> String {
    let set = |paths: &dyn Fn(&Variant) -> Option<&String>| {
        list.iter().filter_map(|v| Some(format!("{root}{} {}w", href_path(paths(v)?), v.width))).collect::<Vec<_>>().join(", ")
    };
    // The 960 px one (or the largest below it) where srcset is not understood.
    let fallback = list.iter().rev().find(|v| v.width <= 960).unwrap_or(&list[0]);
    let attrs = &tag[src_end + 1..];
    let attrs = attrs.trim_end_matches('>').trim_end_matches('/').trim_end();
    let img = format!(
        "<img src=\"{root}{}\" srcset=\"{}\" sizes=\"{SIZES}\" width=\"{}\" height=\"{}\" loading=\"lazy\" decoding=\"async\"{attrs}>",
        href_path(&fallback.path),
        set(&|v| Some(&v.path)),
        fallback.width,
        fallback.height,
    );
    if list.iter().all(|v| v.webp.is_some()) {
        format!("<picture><source type=\"image/webp\" srcset=\"{}\" sizes=\"{SIZES}\">{img}</picture>", set(&|v| v.webp.as_ref()))
    } else {
        img
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_tag_gets_its_sizes() {
        let list = vec![
            Variant { width: 480, height: 360, path: "media/day-1/a b.480w.png".into(), webp: Some("media/day-1/a b.480w.webp".into()) },
            Variant { width: 960, height: 720, path: "media/day-1/a b.960w.png".into(), webp: Some("media/day-1/a b.960w.webp".into()) },
        ];
        let tag = "<img src=\"../../media/day-1/a%20b.png\" alt=\"Un écran\" />";
        let html = picture(tag, tag.find(".png\"").unwrap() + 4, "../../", &list);
        assert!(html.starts_with("<picture><source type=\"image/webp\" srcset=\"../../media/day-1/a%20b.480w.webp 480w, ../../media/day-1/a%20b.960w.webp 960w\""), "{html}");
        assert!(html.contains("<img src=\"../../media/day-1/a%20b.960w.png\" srcset=\"../../media/day-1/a%20b.480w.png 480w, "), "{html}");
        assert!(html.contains("width=\"960\" height=\"720\" loading=\"lazy\""), "{html}");
        assert!(html.ends_with(" alt=\"Un écran\"></picture>"), "{html}");
    }
}
