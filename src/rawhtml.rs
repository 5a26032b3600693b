//! Raw HTML in lessons: the one rule every renderer and `dars check` follow.
//!
//! - On the website, raw HTML passes as the author wrote it: authors are trusted.
//! - Active content (`<script>`, `<iframe>`, `<object>`, `<embed>`, `<style>`, `<form>`, …,
//!   an `on…=` event handler, a `javascript:` address) runs in every visitor's browser, on a
//!   site for children: `dars check` warns about it, unless the lesson's front matter says
//!   `allow_active_html: true`.
//! - On paper (the PDF handouts), tags are dropped and their text kept; media that cannot be
//!   printed (`<iframe>`, `<video>`, `<audio>`, `<object>`, `<embed>`) become a short note
//!   that sends the reader to the website, and scripts and styles are left out.
//!
//! HTML is read with a WHATWG tokenizer (html5gum), never with string searches.

use html5gum::{Token, Tokenizer};

/// Elements whose content runs or changes the page rather than being read.
const ACTIVE_ELEMENTS: &[&str] = &["script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "base", "meta", "link"];

/// Elements that show something a page of paper cannot.
pub const MEDIA_ELEMENTS: &[&str] = &["iframe", "video", "audio", "object", "embed"];

/// Elements whose text is no reading matter.
const HIDDEN_TEXT_ELEMENTS: &[&str] = &["script", "style", "template", "noscript"];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What `dars check` says about a piece of raw HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Active content, e.g. "`<script>`", "the `onclick` attribute", "a `javascript:` address".
    Active(String),
    /// An element the PDF handouts replace by a note, e.g. "`<video>`".
    Unprintable(String),
}

/// Active content and unprintable media in `html`, each said once.
pub fn findings(html: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut note = |f: Finding| {
        if !found.contains(&f) {
            found.push(f);
        }
    };
    for token in Tokenizer::new(html).flatten() {
        let Token::StartTag(tag) = token else { continue };
        let name = text(&tag.name);
        if MEDIA_ELEMENTS.contains(&name.as_str()) {
            note(Finding::Unprintable(format!("`<{name}>`")));
        }
        if ACTIVE_ELEMENTS.contains(&name.as_str()) {
            note(Finding::Active(format!("`<{name}>`")));
        }
        for (attr, value) in &tag.attributes {
            let attr = text(attr);
            if attr.starts_with("on") {
                note(Finding::Active(format!("the `{attr}` attribute")));
            }
            let value = text(value).trim().to_ascii_lowercase();
            if value.starts_with("javascript:") {
                note(Finding::Active("a `javascript:` address".to_string()));
            }
        }
    }
    found
}

/// What a piece of raw HTML becomes on paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Printed {
    /// Text to typeset as it is.
    Text(String),
    /// A medium that cannot be printed (`iframe`, `video`…), by element name.
    Media(String),
}

/// The printable parts of `html`, in order: the text outside tags (entities decoded), and a
/// `Media` for each element that shows what paper cannot. Scripts and styles give nothing.
pub fn printed(html: &str) -> Vec<Printed> {
    let mut out = Vec::new();
    let mut hidden_depth = 0usize;
    for token in Tokenizer::new(html).flatten() {
        match token {
            Token::StartTag(tag) => {
                let name = text(&tag.name);
                if HIDDEN_TEXT_ELEMENTS.contains(&name.as_str()) && !tag.self_closing {
                    hidden_depth += 1;
                } else if MEDIA_ELEMENTS.contains(&name.as_str()) && hidden_depth == 0 {
                    out.push(Printed::Media(name));
                    // Fallback text inside `<video>` ("your browser cannot…") is for browsers.
                    if !tag.self_closing {
                        hidden_depth += 1;
                    }
                } else if name == "br" && hidden_depth == 0 {
                    out.push(Printed::Text("\n".into()));
                }
            }
            Token::EndTag(tag) => {
                let name = text(&tag.name);
                if (HIDDEN_TEXT_ELEMENTS.contains(&name.as_str()) || MEDIA_ELEMENTS.contains(&name.as_str())) && hidden_depth > 0 {
                    hidden_depth -= 1;
                }
            }
            Token::String(s) if hidden_depth == 0 => match out.last_mut() {
                Some(Printed::Text(t)) => t.push_str(&text(&s)),
                _ => out.push(Printed::Text(text(&s))),
            },
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(what: &str) -> Finding {
        Finding::Active(what.to_string())
    }

    #[test]
    fn active_content_is_found_by_the_tokenizer_not_by_words() {
        assert_eq!(findings("<script>alert(1)</script>"), [active("`<script>`")]);
        assert_eq!(findings("<IFRAME SRC=\"https://v.example\"></IFRAME>"), [Finding::Unprintable("`<iframe>`".into()), active("`<iframe>`")]);
        assert_eq!(findings("<video src=\"v.mp4\" controls></video>"), [Finding::Unprintable("`<video>`".into())]);
        assert_eq!(findings("<img src=x onerror=\"alert(1)\">"), [active("the `onerror` attribute")]);
        assert_eq!(findings("<a href=\" JavaScript:alert(1)\">x</a>"), [active("a `javascript:` address")]);
        // Words that only look like HTML are not tags.
        assert!(findings("un attribut onclick=\"x\" et le mot script").is_empty());
        assert!(findings("<kbd>Ctrl</kbd> <sup>2</sup> <!-- <script> -->").is_empty());
    }

    #[test]
    fn paper_gets_the_text_and_a_note_for_media() {
        assert_eq!(printed("<kbd>Ctrl</kbd>+<kbd>C</kbd>"), [Printed::Text("Ctrl+C".into())]);
        assert_eq!(printed("<!-- note -->Texte visible"), [Printed::Text("Texte visible".into())]);
        assert_eq!(
            printed("Avant <video src=\"v.mp4\">Votre navigateur…</video> après &amp; fin"),
            [Printed::Text("Avant ".into()), Printed::Media("video".into()), Printed::Text(" après & fin".into())]
        );
        assert!(printed("<script>var x = 1;</script><style>p{}</style>").is_empty());
    }
}
