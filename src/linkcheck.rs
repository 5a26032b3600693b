//! Every internal link and resource of the rendered HTML must point at a written file:
//! a site with a broken link is not published.

use std::collections::HashSet;

use crate::error::{Diagnostic, Diagnostics};
use crate::render::{Contents, OutputFile};

pub fn check(files: &[OutputFile]) -> Diagnostics {
    use rayon::prelude::*;
    let paths: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let found: Vec<Diagnostic> = files.par_iter().flat_map_iter(|f| page_errors(f, &|p| paths.contains(p))).collect();
    Diagnostics(found)
}

/// Checks the links of `pages` against the files `exists` knows.
pub fn check_pages<'a>(pages: impl Iterator<Item = &'a OutputFile>, exists: &dyn Fn(&str) -> bool) -> Diagnostics {
    Diagnostics(pages.flat_map(|f| page_errors(f, exists)).collect())
}

/// The broken internal links of one file (none unless it is a page).
fn page_errors(f: &OutputFile, exists: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
    if !f.path.ends_with(".html") {
        return Vec::new();
    }
    let decoded: Vec<String>;
    let targets: &[String] = match &f.contents {
        Contents::Bytes(bytes) => {
            decoded = internal_targets(&String::from_utf8_lossy(bytes)).into_iter().map(decode_entities).collect();
            &decoded
        }
        Contents::Staged { links } => links,
        Contents::CopyOf(_) => return Vec::new(),
    };
    targets
        .iter()
        .filter(|target| !resolve_target(&f.path, target).is_some_and(|p| exists(&p)))
        .map(|target| {
            Diagnostic::error(
                format!("output/{}", f.path),
                format!("broken internal link `{target}`: no such file in the output (check the lesson link or the template)"),
            )
        })
        .collect()
}

/// The values of `href` and `src` attributes that point inside the site.
pub fn internal_targets(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        // memmem: a page is scanned twice per build, and std's `find` was a tenth of it.
        for i in memchr::memmem::find_iter(html.as_bytes(), attr.as_bytes()) {
            // Only whole attribute names: `data-href=` is not a link.
            if !html[..i].ends_with(|c: char| c.is_whitespace()) {
                continue;
            }
            let rest = &html[i + attr.len()..];
            let Some(end) = memchr::memchr(b'"', rest.as_bytes()) else { break };
            let value = &rest[..end];
            if is_internal(value) {
                out.push(value);
            }
        }
    }
    out
}

/// The few entities an escaped attribute value can hold.
pub fn decode_entities(v: &str) -> String {
    if !v.contains('&') {
        return v.to_string();
    }
    v.replace("&quot;", "\"").replace("&#39;", "'").replace("&#x27;", "'").replace("&#x2F;", "/").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

fn is_internal(v: &str) -> bool {
    !(v.is_empty() || v.starts_with('#') || v.starts_with("data:") || v.starts_with("javascript:") || crate::render::links::is_external(v))
}

/// The output path a link from `page` leads to (fragment and query dropped).
pub fn resolve_target(page: &str, target: &str) -> Option<String> {
    let target = target.split(['#', '?']).next().unwrap_or("");
    let target = target.replace("%20", " ");
    let joined = crate::render::links::join(page, &target)?;
    Some(if joined.is_empty() || target.ends_with('/') { format!("{joined}/index.html").trim_start_matches('/').to_string() } else { joined })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_links_are_found_and_good_ones_pass() {
        let files = vec![
            OutputFile::bytes("fr/index.html", "<a href=\"day-1/index.html#x\">a</a> <a href=\"../ar/index.html\">b</a> <img src=\"missing.png\"> <a href=\"https://x.org\">c</a>"),
            OutputFile::bytes("fr/day-1/index.html", ""),
            OutputFile::bytes("ar/index.html", ""),
        ];
        let d = check(&files);
        assert_eq!(d.0.len(), 1, "{d}");
        assert!(d.0[0].message.contains("missing.png"));
    }
}
