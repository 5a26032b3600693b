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
    let found: Vec<String>;
    let targets: &[String] = match &f.contents {
        Contents::Bytes(bytes) => {
            found = internal_targets(&String::from_utf8_lossy(bytes));
            &found
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

/// The addresses in `href`, `src` and `srcset` attributes of the page's elements that point
/// inside the site, entities decoded. Read by an HTML tokenizer: text that merely reads
/// `src="photo.png"` (in a sentence, in code) is no link.
pub fn internal_targets(html: &str) -> Vec<String> {
    use html5gum::emitters::callback::{CallbackEmitter, CallbackEvent};
    // The callback interface borrows every name and value: a build tokenizes every page,
    // and allocating each token (the default interface) doubled the render stage.
    let mut attribute = Vec::new();
    let emitter = CallbackEmitter::new(move |event: CallbackEvent<'_>, _span: html5gum::Span<()>| -> Option<Vec<String>> {
        match event {
            CallbackEvent::AttributeName { name } => {
                attribute.clear();
                attribute.extend_from_slice(name);
                None
            }
            CallbackEvent::AttributeValue { value } => {
                let value = String::from_utf8_lossy(value);
                match attribute.as_slice() {
                    b"href" | b"src" => Some(vec![value.trim().to_string()]),
                    // `a.png 1x, b.png 2x`: each candidate's address, before its descriptor.
                    b"srcset" => Some(value.split(',').filter_map(|c| c.split_whitespace().next()).map(str::to_string).collect()),
                    _ => None,
                }
            }
            _ => None,
        }
    });
    html5gum::Tokenizer::new_with_emitter(html, WithoutErrors(emitter)).flatten().flatten().filter(|v| is_internal(v)).collect()
}

/// An emitter that does not look for parse errors: only the attributes matter here, and
/// validating every character was a third of the tokenizer's time.
struct WithoutErrors<E>(E);

impl<E: html5gum::Emitter> html5gum::ForwardingEmitter for WithoutErrors<E> {
    type Token = E::Token;

    fn inner(&mut self) -> &mut impl html5gum::Emitter<Token = Self::Token> {
        &mut self.0
    }

    fn should_emit_errors(&mut self) -> bool {
        false
    }
}

fn is_internal(v: &str) -> bool {
    !(v.is_empty() || v.starts_with('#') || v.starts_with("data:") || v.starts_with("javascript:") || crate::render::links::is_external(v))
}

/// The output path a link from `page` leads to (query and fragment dropped, percent-encoding
/// decoded).
pub fn resolve_target(page: &str, target: &str) -> Option<String> {
    let target = crate::render::links::file_part(target)?;
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

    #[test]
    fn only_attributes_of_elements_are_links() {
        let page = "<p>un attribut src=\"photo.png\" et href=\"page.html\"</p><pre><code>&lt;img src=\"x.png\"&gt;</code></pre>\
                    <img srcset=\"a.png 1x, b%20c.png 2x\" src='d.png?v=2#x'><a href=\"../%C3%A9l%C3%A8ve.html\">é</a><a href=mailto:x@y.org>m</a>";
        let mut found = internal_targets(page);
        found.sort();
        assert_eq!(found, ["../%C3%A9l%C3%A8ve.html", "a.png", "b%20c.png", "d.png?v=2#x"]);
        assert_eq!(resolve_target("fr/index.html", "../%C3%A9l%C3%A8ve.html").as_deref(), Some("élève.html"));
        assert_eq!(resolve_target("fr/index.html", "d.png?v=2#x").as_deref(), Some("fr/d.png"));
    }
}
