//! The search index: per language, the terms of every lesson as the public page shows it
//! (trainer blocks and trainer notes never), and the text its results quote; plus the
//! browser's script, src/render/search.js, which reads them.
//!
//! Everything is a classic script (`darsSearch.…(…)` calls), loaded by `<script>` tags the
//! search box adds on demand: that works from a web server, at any sub-path, and from
//! `file://` (a USB stick), where a browser refuses `fetch` and WebAssembly.
//!
//! Files of a language, below `search/LANG/`:
//! - `index.js`: how to read the rest: the folding rules (see [`crate::normalise`]), the
//!   stop words, the number of lessons, which term shard holds which first letters, and
//!   where each lesson's text is;
//! - `tN.js`: a term shard: term → postings `[lesson - previous lesson, passage, weight]…`.
//!   Terms are sorted (by UTF-16 code units, as the browser compares strings) and cut
//!   into runs of about [`TERM_SHARD_BYTES`]; the manifest lists the first term of each,
//!   so a query loads only the shards where its own terms (or the terms they begin) sort;
//! - `dN.js`: lessons in a row (title, day, address, passages: anchor, heading, text), in
//!   files of about [`DOC_SHARD_BYTES`]; a query loads those of the results it shows.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use rayon::prelude::*;
use serde_json::json;

use crate::error::Diagnostics;
use crate::markdown::{Audience, RenderedBlock};
use crate::model::text;
use crate::normalise::Folding;
use crate::render::{OutputFile, Page, RenderContext, Renderer, root_prefix};

pub struct Search;

/// The browser's side: query folding (the same rules as [`crate::normalise`]), shard
/// loading, ranking, results.
pub const CLIENT_JS: &str = include_str!("search.js");
/// Where the script is written, below the output folder.
pub const CLIENT_PATH: &str = "search/search.js";

/// Term shards are cut at about this size (a term is never cut).
pub const TERM_SHARD_BYTES: usize = 24 * 1024;
/// Lessons are grouped into text files of about this size.
pub const DOC_SHARD_BYTES: usize = 16 * 1024;
/// A passage longer than this (in bytes) is cut at the end of a block of text.
const PASSAGE_BYTES: usize = 700;

/// How much a word counts where it stands.
const TITLE_WEIGHT: u32 = 10;
const HEADING_WEIGHT: u32 = 4;
const SUMMARY_WEIGHT: u32 = 3;
const BODY_WEIGHT: u32 = 1;

impl Renderer for Search {
    fn name(&self) -> &'static str {
        "search"
    }

    fn render(&self, cx: &RenderContext) -> Result<Vec<OutputFile>, Diagnostics> {
        let site = cx.site;
        let jobs: Vec<(usize, &str)> = site.languages.iter().flat_map(|l| (0..site.lessons.len()).map(move |i| (i, l.code.as_str()))).collect();
        let entries: Vec<Result<LessonEntry, Diagnostics>> = jobs.par_iter().map(|&(i, lang)| lesson_entry(cx, i, lang)).collect();
        let mut by_lang: HashMap<&str, Vec<LessonEntry>> = HashMap::new();
        let mut diags = Diagnostics::new();
        for ((_, lang), e) in jobs.iter().zip(entries) {
            match e {
                Ok(e) => by_lang.entry(lang).or_default().push(e),
                Err(d) => diags.extend(d),
            }
        }
        if diags.has_errors() {
            return Err(diags);
        }
        let mut files: Vec<OutputFile> = site
            .languages
            .par_iter()
            .flat_map_iter(|l| {
                let lessons = by_lang.get(l.code.as_str()).map_or(&[][..], Vec::as_slice);
                LanguageIndex::build(lessons, Folding::for_language(&l.code)).files(&l.code)
            })
            .collect();
        files.push(OutputFile::bytes(CLIENT_PATH, CLIENT_JS));
        Ok(files)
    }
}

/// A lesson as search sees it, in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct LessonEntry {
    pub title: String,
    /// "Jour 3 · Les algorithmes", as the day's page titles it.
    pub day: String,
    /// Below the output folder: `fr/day-3/slug/index.html`.
    pub href: String,
    /// Summary and objectives: said of the whole lesson, above its body.
    pub about: String,
    /// Indexed, never quoted.
    pub tags: String,
    /// The first passage is the text before the first heading; each heading opens one.
    pub passages: Vec<Passage>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// The heading's id on the page; empty before the first heading.
    pub anchor: String,
    pub heading: String,
    pub text: String,
}

/// A lesson's entry: its public body (what the page shows, without trainer blocks) cut
/// into passages at its headings.
pub fn lesson_entry(cx: &RenderContext, index: usize, lang: &str) -> Result<LessonEntry, Diagnostics> {
    let site = cx.site;
    let lesson = &site.lessons[index];
    let t = &lesson.translations[lang];
    let path = Page::Lesson(index).path(site, lang);
    let cached = cx.bodies.and_then(|b| b.get(&(index, lang.to_string())));
    let owned;
    let blocks: &[RenderedBlock] = match cached {
        Some(b) => b,
        None => {
            owned = crate::render::website::lesson_blocks(cx, index, lang, &root_prefix(&path), cx.highlighter)?;
            &owned
        }
    };
    // What the public page shows: never a `::: trainer` block (nor the trainer notes of
    // the front matter, which no page shows).
    let html: String = blocks.iter().filter(|b| Audience::Public.shows(b.kind)).map(|b| b.html.as_str()).collect();
    let day = site.day(lesson.day).expect("lessons are on the programme's days");
    let day_label = format!("{} {}{}{}", cx.theme.label(lang, "day"), day.number, cx.theme.label(lang, "separator"), text(&day.title, lang, &site.default_language));
    // Tags are indexed but not quoted (the page does not show them as text).
    let mut about = vec![t.summary.clone()];
    about.extend(t.objectives.iter().cloned());
    Ok(LessonEntry { title: t.title.clone(), day: day_label, href: path, about: about.join(" "), tags: t.tags.join(" "), passages: passages(&html) })
}

/// The text of a lesson body's HTML, cut at its headings (with an id) and where a passage
/// grows past [`PASSAGE_BYTES`]. Scripts and styles of raw HTML are not text.
pub fn passages(html: &str) -> Vec<Passage> {
    use html5gum::{Token, Tokenizer};
    const BLOCKS: &[&[u8]] = &[b"p", b"li", b"td", b"th", b"tr", b"pre", b"blockquote", b"div", b"dt", b"dd", b"summary", b"aside", b"details", b"br", b"table", b"figcaption"];
    let mut out = vec![Passage { anchor: String::new(), heading: String::new(), text: String::new() }];
    let mut heading: Option<(String, String)> = None; // id, text so far
    let mut skip = 0usize;
    for token in Tokenizer::new(html).flatten() {
        match token {
            Token::StartTag(tag) => {
                let name = tag.name.as_slice();
                if matches!(name, b"script" | b"style") && !tag.self_closing {
                    skip += 1;
                } else if is_heading(name) {
                    let id = tag.attributes.get(b"id".as_slice()).map(|v| String::from_utf8_lossy(v).into_owned());
                    heading = id.map(|id| (id, String::new()));
                } else if BLOCKS.contains(&name) {
                    end_block(&mut out);
                }
            }
            Token::EndTag(tag) => {
                let name = tag.name.as_slice();
                if matches!(name, b"script" | b"style") {
                    skip = skip.saturating_sub(1);
                } else if is_heading(name) {
                    if let Some((anchor, text)) = heading.take() {
                        out.push(Passage { anchor, heading: collapse(&text), text: String::new() });
                    }
                } else if BLOCKS.contains(&name) {
                    end_block(&mut out);
                }
            }
            Token::String(s) if skip == 0 => {
                let s = String::from_utf8_lossy(&s);
                match heading.as_mut() {
                    Some((_, h)) => h.push_str(&s),
                    None => out.last_mut().expect("a passage").text.push_str(&s),
                }
            }
            _ => {}
        }
    }
    for p in &mut out {
        p.text = collapse(&p.text);
    }
    out.retain(|p| !p.text.is_empty() || !p.heading.is_empty() || p.anchor.is_empty());
    out
}

fn is_heading(name: &[u8]) -> bool {
    matches!(name, b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6")
}

/// The end of a block of text: a new line, and a new passage (under the same heading)
/// when this one is long enough.
fn end_block(out: &mut Vec<Passage>) {
    let last = out.last_mut().expect("a passage");
    if last.text.len() >= PASSAGE_BYTES {
        let next = Passage { anchor: last.anchor.clone(), heading: last.heading.clone(), text: String::new() };
        out.push(next);
    } else if !last.text.ends_with('\n') && !last.text.is_empty() {
        last.text.push('\n');
    }
}

/// Spaces and lines run together into one space; bidi controls dropped (they were added
/// for display, and would show as stray marks in a result's excerpt).
fn collapse(s: &str) -> String {
    let cleaned: String = s.chars().filter(|c| !matches!(c, '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}')).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The index of one language, before it is written.
pub struct LanguageIndex<'a> {
    pub folding: Folding,
    pub lessons: &'a [LessonEntry],
    /// Term → postings, by lesson: (lesson, best passage, weight in the lesson).
    pub postings: BTreeMap<String, Vec<(u32, u32, u32)>>,
}

impl<'a> LanguageIndex<'a> {
    pub fn build(lessons: &'a [LessonEntry], folding: Folding) -> Self {
        let per_lesson: Vec<HashMap<String, (u32, u32, u32)>> = lessons.par_iter().map(|l| lesson_terms(l, folding)).collect();
        let mut postings: BTreeMap<String, Vec<(u32, u32, u32)>> = BTreeMap::new();
        for (i, terms) in per_lesson.into_iter().enumerate() {
            for (term, (weight, passage, _)) in terms {
                postings.entry(term).or_default().push((i as u32, passage, weight));
            }
        }
        for list in postings.values_mut() {
            list.sort_unstable();
        }
        Self { folding, lessons, postings }
    }

    /// The term shards, in order: each term with its postings, encoded; the first term of
    /// each shard is its key.
    pub fn term_shards(&self) -> Vec<Vec<(&str, String)>> {
        let mut encoded: Vec<(&str, String)> = self.postings.iter().map(|(t, p)| (t.as_str(), encode_postings(p))).collect();
        // The browser compares strings by UTF-16 code units (UTF-8 sorts the same but for
        // characters past U+FFFF).
        encoded.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
        let mut shards: Vec<Vec<(&str, String)>> = Vec::new();
        let mut size = usize::MAX;
        for (term, postings) in encoded {
            let bytes = term.len() + postings.len() + 4;
            if size.saturating_add(bytes) > TERM_SHARD_BYTES {
                shards.push(Vec::new());
                size = 0;
            }
            size += bytes;
            shards.last_mut().expect("a shard").push((term, postings));
        }
        shards
    }

    /// The first lesson of each text file, with the file's lessons (JSON).
    pub fn doc_shards(&self) -> Vec<(usize, Vec<String>)> {
        let mut shards: Vec<(usize, Vec<String>)> = Vec::new();
        let mut size = usize::MAX;
        for (i, l) in self.lessons.iter().enumerate() {
            let doc = json!({
                "t": l.title, "d": l.day, "u": l.href,
                "p": l.passages.iter().enumerate().map(|(i, p)| {
                    // The first passage opens with what the page shows above the body (the
                    // summary, the objectives), so that a match there can be quoted.
                    let text = if i == 0 { format!("{} {}", l.about, p.text).trim().to_string() } else { p.text.clone() };
                    json!([p.anchor, p.heading, text])
                }).collect::<Vec<_>>(),
            })
            .to_string();
            let bytes = doc.len();
            if size >= DOC_SHARD_BYTES {
                shards.push((i, Vec::new()));
                size = 0;
            }
            size += bytes;
            shards.last_mut().expect("a shard").1.push(doc);
        }
        shards
    }

    /// The files of this language, below `search/LANG/`.
    pub fn files(&self, lang: &str) -> Vec<OutputFile> {
        let lang_js = serde_json::to_string(lang).expect("a string");
        let mut files = Vec::new();
        let mut keys = Vec::new();
        for (n, terms) in self.term_shards().into_iter().enumerate() {
            keys.push(terms[0].0.to_string());
            let mut body = String::from("{");
            for (i, (term, postings)) in terms.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(&serde_json::to_string(term).expect("a string"));
                body.push(':');
                body.push_str(postings);
            }
            body.push('}');
            files.push(OutputFile::bytes(format!("search/{lang}/t{n}.js"), format!("darsSearch.terms({lang_js},{n},{body});\n")));
        }
        let mut starts = Vec::new();
        for (n, (first, docs)) in self.doc_shards().into_iter().enumerate() {
            starts.push(first);
            let body = format!("[{}]", docs.join(","));
            files.push(OutputFile::bytes(format!("search/{lang}/d{n}.js"), format!("darsSearch.docs({lang_js},{n},{body});\n")));
        }
        let manifest = json!({
            "folding": self.folding.name(),
            "stop": self.folding.stop_words(),
            "lessons": self.lessons.len(),
            "shards": keys,
            "docs": starts,
        });
        files.push(OutputFile::bytes(format!("search/{lang}/index.js"), format!("darsSearch.manifest({lang_js},{manifest});\n")));
        files
    }
}

/// Each term of a lesson: (weight in the lesson, passage where it weighs most, that weight).
fn lesson_terms<'a>(l: &'a LessonEntry, folding: Folding) -> HashMap<String, (u32, u32, u32)> {
    let mut terms: HashMap<String, (u32, u32, u32)> = HashMap::new();
    // A lesson repeats its words: each is folded once.
    let mut memo: HashMap<&str, Vec<String>> = HashMap::new();
    // Passage weights are counted apart first, to know where each term weighs most.
    let mut add = |text: &'a str, weight: u32, per_passage: &mut HashMap<String, u32>| {
        for word in crate::normalise::words(text) {
            for term in memo.entry(word).or_insert_with(|| folding.terms(word)).iter() {
                match per_passage.get_mut(term) {
                    Some(w) => *w += weight,
                    None => {
                        per_passage.insert(term.clone(), weight);
                    }
                }
            }
        }
    };
    for (p, passage) in l.passages.iter().enumerate() {
        let mut here: HashMap<String, u32> = HashMap::new();
        if p == 0 {
            add(&l.title, TITLE_WEIGHT, &mut here);
            add(&l.about, SUMMARY_WEIGHT, &mut here);
            add(&l.tags, SUMMARY_WEIGHT, &mut here);
        }
        // A heading cut into several passages counts once, in its first.
        let first_of_heading = p == 0 || l.passages[p - 1].anchor != passage.anchor;
        if first_of_heading {
            add(&passage.heading, HEADING_WEIGHT, &mut here);
        }
        add(&passage.text, BODY_WEIGHT, &mut here);
        for (term, w) in here {
            let e = terms.entry(term).or_insert((0, p as u32, 0));
            e.0 += w;
            if w > e.2 {
                e.1 = p as u32;
                e.2 = w;
            }
        }
    }
    terms
}

/// `[lesson - previous lesson, passage, weight, …]`: lessons are in order, so their
/// differences are small numbers.
fn encode_postings(p: &[(u32, u32, u32)]) -> String {
    let mut s = String::with_capacity(p.len() * 6 + 2);
    s.push('[');
    let mut previous = 0;
    for (i, &(lesson, passage, weight)) in p.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{},{},{}", lesson - previous, passage, weight);
        previous = lesson;
    }
    s.push(']');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(title: &str, about: &str, passages: &[(&str, &str, &str)]) -> LessonEntry {
        LessonEntry {
            title: title.into(),
            day: "Jour 1".into(),
            href: "fr/day-1/x/index.html".into(),
            about: about.into(),
            tags: String::new(),
            passages: passages.iter().map(|(a, h, t)| Passage { anchor: a.to_string(), heading: h.to_string(), text: t.to_string() }).collect(),
        }
    }

    #[test]
    fn passages_follow_the_headings_of_the_page_and_skip_scripts() {
        let html = "<p dir=\"auto\">Intro <strong>ici</strong>.</p>\n<h2 id=\"les-mots\" dir=\"auto\">Les <em>mots</em> de passe</h2>\n<p>Un mot de passe\u{2066}print()\u{2069} solide.</p><script>var secret = 1;</script><ul><li>un</li><li>deux</li></ul>";
        let p = passages(html);
        assert_eq!(
            p,
            vec![
                Passage { anchor: "".into(), heading: "".into(), text: "Intro ici.".into() },
                Passage { anchor: "les-mots".into(), heading: "Les mots de passe".into(), text: "Un mot de passeprint() solide. un deux".into() },
            ]
        );
    }

    #[test]
    fn a_long_section_is_cut_into_passages_under_its_heading() {
        let para = format!("<p>{}</p>", "mot ".repeat(100));
        let html = format!("<h2 id=\"a\">A</h2>{para}{para}{para}");
        let p = passages(&html);
        assert!(p.len() >= 3, "{p:?}");
        assert!(p[1..].iter().all(|x| x.anchor == "a" && x.heading == "A"), "{p:?}");
        assert!(p.iter().all(|x| x.text.len() < 2 * PASSAGE_BYTES));
    }

    #[test]
    fn postings_weigh_titles_above_headings_above_text_and_point_to_the_passage() {
        let lessons = vec![
            entry("Les réseaux", "", &[("", "", "intro"), ("mots", "Mot de passe", "un ordinateur")]),
            entry("Ordinateurs", "", &[("", "", "un réseau"), ("b", "Réseau", "un ordinateur, des ordinateurs")]),
        ];
        let index = LanguageIndex::build(&lessons, Folding::French);
        let ord = &index.postings["ordinateur"];
        assert_eq!(ord.len(), 2);
        assert_eq!(ord[0], (0, 1, BODY_WEIGHT), "found in the passage under its heading");
        assert_eq!(ord[1].0, 1);
        assert_eq!(ord[1].2, TITLE_WEIGHT + 2 * BODY_WEIGHT, "title and two words of text");
        let reseau = &index.postings["reseau"];
        assert_eq!(reseau[0], (0, 0, TITLE_WEIGHT));
        assert_eq!(reseau[1], (1, 1, BODY_WEIGHT + HEADING_WEIGHT), "a word of the text and the heading, whose passage weighs most: {reseau:?}");
        assert!(!index.postings.contains_key("de"), "stop words are not indexed");
        assert_eq!(encode_postings(&[(3, 0, 10), (7, 2, 1), (8, 0, 4)]), "[3,0,10,4,2,1,1,0,4]");
    }

    #[test]
    fn a_small_index_is_one_shard_and_a_large_one_is_cut_into_sorted_runs() {
        let small = vec![entry("Les réseaux", "Un résumé", &[("", "", "un ordinateur")])];
        let index = LanguageIndex::build(&small, Folding::French);
        assert_eq!(index.term_shards().len(), 1);

        // Many lessons with many different words (Latin and Arabic): the shards are runs of
        // sorted terms, each below its limit, and every term is in the shard a reader finds
        // by its first term (the last shard whose first term sorts before it).
        let words: Vec<String> = (0..6100).map(|i| format!("{}{}mot{i}", ["a", "b", "c", "ca", "co", "é", "ك", "ال"][i % 8], ["", "r", "s"][i % 3])).collect();
        let big: Vec<LessonEntry> = (0..400).map(|l| entry(&format!("Leçon {l}"), "", &[("", "", &words[l * 15..l * 15 + 40].join(" "))])).collect();
        let index = LanguageIndex::build(&big, Folding::French);
        let shards = index.term_shards();
        assert!(shards.len() > 4, "{} shards", shards.len());
        let keys: Vec<Vec<u16>> = shards.iter().map(|s| s[0].0.encode_utf16().collect()).collect();
        let mut seen = 0;
        for (n, terms) in shards.iter().enumerate() {
            let size: usize = terms.iter().map(|(t, p)| t.len() + p.len() + 4).sum();
            assert!(size <= TERM_SHARD_BYTES || terms.len() == 1, "shard {n} is {size} bytes");
            for (t, _) in terms {
                let t16: Vec<u16> = t.encode_utf16().collect();
                let found = keys.partition_point(|k| *k <= t16) - 1;
                assert_eq!(found, n, "{t} is in shard {n}");
                seen += 1;
            }
        }
        assert_eq!(seen, index.postings.len());
        // Lessons are grouped into text files of bounded size, in order.
        let docs = index.doc_shards();
        assert!(docs.len() > 1);
        assert_eq!(docs[0].0, 0);
        assert_eq!(docs.iter().map(|(_, d)| d.len()).sum::<usize>(), 400);
        assert!(docs.windows(2).all(|w| w[0].0 + w[0].1.len() == w[1].0));
    }
}
