//! `dars init` and `dars new lesson`: a new programme that builds at once, and a new lesson
//! with a translation stub per other language. The texts are the files of `scaffold/`,
//! compiled into dars (see build.rs): `site/` is a new project, `lesson/` the new lessons.

use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, Diagnostics};
use crate::load::{PROGRAMME_FILE, read_programme};

/// The files of `scaffold/`: (path below it, bytes).
static FILES: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/scaffold.rs"));

/// Writes a new programme into `dir` (made if missing): programme.yaml, one day, an example
/// lesson per language. Refuses a folder that holds anything but a `.git`.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut found: Vec<String> = entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n != ".git").collect();
        if !found.is_empty() {
            found.sort();
            let shown = found.iter().take(3).cloned().collect::<Vec<_>>().join(", ") + if found.len() > 3 { ", …" } else { "" };
            return Err(Diagnostic::error(dir, format!("this folder is not empty ({shown}); nothing was written. Give `dars init` a new folder, e.g. `dars init mon-programme`")));
        }
    } else if dir.exists() {
        return Err(Diagnostic::error(dir, "not a folder; nothing was written. Give `dars init` a new folder"));
    }
    let mut context = tera::Context::new();
    context.insert("date", &today().to_string());
    let mut written = Vec::new();
    for (rel, bytes) in FILES.iter().filter_map(|(rel, b)| Some((rel.strip_prefix("site/")?, b))) {
        let path = dir.join(rel);
        let text = render(rel, bytes, &context)?;
        write_new(&path, &text)?;
        written.push(path);
    }
    Ok(written)
}

/// What `new_lesson` made.
#[derive(Debug)]
pub struct NewLesson {
    /// The lesson in the language of its title.
    pub source: PathBuf,
    /// A translation stub per other language.
    pub stubs: Vec<PathBuf>,
    pub lang: String,
    pub order: u32,
    pub slug: String,
    /// How the slug was chosen, for the author.
    pub slug_note: String,
}

/// Options of `dars new lesson`.
pub struct LessonRequest<'a> {
    pub day: u32,
    pub title: &'a str,
    /// The language of the title; else guessed from its letters.
    pub lang: Option<&'a str>,
    pub slug: Option<&'a str>,
}

/// Writes a lesson at the next order of its day, in the language of its title, and a
/// translation stub (a draft, which `dars check` lists) in each other language.
pub fn new_lesson(content_dir: &Path, req: &LessonRequest) -> Result<NewLesson, Diagnostics> {
    let programme_path = content_dir.join(PROGRAMME_FILE);
    let programme = read_programme(content_dir)?;
    if req.title.trim().is_empty() {
        return Err(Diagnostic::error(&programme_path, "the lesson needs a title: dars new lesson --day 1 \"Mon titre\"").into());
    }
    if !programme.days.iter().any(|d| d.number == req.day) {
        let days: Vec<String> = programme.days.iter().map(|d| d.number.to_string()).collect();
        return Err(Diagnostic::error(&programme_path, format!("day {} is not in the programme (days: {}); add it under `days:` first", req.day, days.join(", "))).into());
    }
    let codes: Vec<&str> = programme.languages.iter().map(|l| l.code.as_str()).collect();
    let lang = match req.lang {
        Some(l) if codes.contains(&l) => l.to_string(),
        Some(l) => return Err(Diagnostic::error(&programme_path, format!("language `{l}` is not one of the programme's ({})", codes.join(", "))).into()),
        None => title_language(req.title, &programme),
    };
    let (loaded, _) = crate::load::load(content_dir)?;
    let order = loaded.lessons.iter().filter(|l| l.front.day == req.day).map(|l| l.front.order).max().unwrap_or(0) + 1;
    let (slug, slug_note) = match req.slug {
        Some(s) if !ascii_slug(s).is_empty() => (ascii_slug(s), "the slug you gave".to_string()),
        Some(s) => return Err(Diagnostic::error(&programme_path, format!("--slug `{s}` has no letters or digits a web address can keep; use a-z, 0-9 and -")).into()),
        None => choose_slug(req.title, order),
    };
    let folder = content_dir.join(format!("day-{}", req.day));
    let file = |code: &str| folder.join(format!("{order:02}-{slug}.{code}.md"));
    let source_file = file(&lang);
    let source_name = source_file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut context = tera::Context::new();
    context.insert("title", &serde_json::to_string(req.title.trim()).expect("a string serializes"));
    context.insert("day", &req.day);
    context.insert("order", &order);
    context.insert("age_min", &programme.audience.age.min);
    context.insert("age_max", &programme.audience.age.max);
    context.insert("source_file", &source_name);
    let mut planned = vec![(source_file.clone(), lesson_template("source", &lang)?)];
    for code in codes.iter().filter(|c| **c != lang) {
        planned.push((file(code), lesson_template("stub", code)?));
    }
    // Nothing is written unless every file can be.
    if let Some((taken, _)) = planned.iter().find(|(p, _)| p.exists()) {
        return Err(Diagnostic::error(taken, "already exists; nothing was written. Pass --slug to name the lesson differently").into());
    }
    let mut written = Vec::new();
    for (path, (name, template)) in &planned {
        let text = render(name, template, &context)?;
        if let Err(d) = write_new(path, &text) {
            for done in &written {
                let _ = std::fs::remove_file(done);
            }
            return Err(d.into());
        }
        written.push(path.clone());
    }
    Ok(NewLesson { source: source_file, stubs: written.into_iter().skip(1).collect(), lang, order, slug, slug_note })
}

/// The scaffold file for a lesson of `kind` (source, stub) in `lang`, or its generic one.
fn lesson_template(kind: &str, lang: &str) -> Result<(String, &'static [u8]), Diagnostic> {
    let names = [format!("lesson/{kind}.{lang}.md"), format!("lesson/{kind}.md")];
    names
        .into_iter()
        .find_map(|n| FILES.iter().find(|(rel, _)| *rel == n).map(|(_, b)| (n, *b)))
        .ok_or_else(|| Diagnostic::error(format!("scaffold/lesson/{kind}.md"), "missing from this dars"))
}

/// A title with Arabic letters is in the programme's first right-to-left language.
fn title_language(title: &str, programme: &crate::yaml::ProgrammeFile) -> String {
    let arabic = title.chars().any(|c| matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}'));
    let rtl = programme.languages.iter().find(|l| l.direction == "rtl");
    match rtl {
        Some(l) if arabic => l.code.clone(),
        _ => programme.default_language.clone(),
    }
}

/// The slug of a lesson from its title: its Latin letters without accents (`Qu'est-ce
/// qu'un réseau ?` → `qu-est-ce-qu-un-reseau`). A title in another script (Arabic) gives
/// `lesson-N` from its order: addresses in Arabic letters are escaped into long `%D8%…`
/// strings in links, and a transliteration without vowels reads as nothing.
pub fn choose_slug(title: &str, order: u32) -> (String, String) {
    let latin_only = title.chars().filter(|c| c.is_alphabetic()).all(|c| is_latin(c));
    let slug = ascii_slug(title);
    if latin_only && !slug.is_empty() {
        (slug, "from the title".to_string())
    } else {
        (format!("lesson-{order}"), "the title is not in Latin letters, so the slug comes from the lesson's order; pass --slug to choose one".to_string())
    }
}

fn is_latin(c: char) -> bool {
    use unicode_normalization::UnicodeNormalization;
    c.is_ascii_alphabetic() || matches!(c, 'œ' | 'Œ' | 'æ' | 'Æ' | 'ß') || std::iter::once(c).nfd().next().is_some_and(|b| b.is_ascii_alphabetic())
}

/// Lowercase ASCII letters and digits joined by `-`, accents dropped, at most 60 characters.
pub fn ascii_slug(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::new();
    let mut dash = false;
    for c in text.nfd().flat_map(char::to_lowercase) {
        let part = match c {
            'a'..='z' | '0'..='9' => c.to_string(),
            'œ' => "oe".into(),
            'æ' => "ae".into(),
            'ß' => "ss".into(),
            // Accents, decomposed, belong to their letter.
            c if unicode_normalization::char::is_combining_mark(c) => continue,
            _ => {
                dash = true;
                continue;
            }
        };
        if dash && !out.is_empty() {
            out.push('-');
        }
        dash = false;
        out.push_str(&part);
    }
    if out.len() > 60 {
        let cut = out[..60].rfind('-').unwrap_or(60);
        out.truncate(cut);
    }
    out
}

fn render(name: &str, bytes: &[u8], context: &tera::Context) -> Result<String, Diagnostic> {
    let text = std::str::from_utf8(bytes).map_err(|_| Diagnostic::error(format!("scaffold/{name}"), "not UTF-8"))?;
    tera::Tera::one_off(text, context, false).map_err(|e| Diagnostic::error(format!("scaffold/{name}"), crate::theme::error_chain(&e)))
}

/// Writes a file that must not exist yet, making its folder.
fn write_new(path: &Path, text: &str) -> Result<(), Diagnostic> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Diagnostic::error(parent, format!("cannot create folder: {e}")))?;
    }
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| Diagnostic::error(path, format!("cannot create: {e}")))?;
    f.write_all(text.as_bytes()).map_err(|e| Diagnostic::error(path, format!("cannot write: {e}")))
}

/// Today, in UTC: the first day of a new programme.
fn today() -> crate::calendar::Date {
    let days = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86_400);
    crate::calendar::Date { year: 1970, month: 1, day: 1 }.plus_days(days as u32)
}

/// The built-in theme's file `rel` copied to `theme_dir/rel`, to be edited there.
pub fn override_file(theme_dir: &Path, rel: &str) -> Result<PathBuf, Diagnostic> {
    let rel = rel.trim_start_matches("./").trim_start_matches("themes/default/");
    let Some((_, bytes)) = crate::theme::BUILTIN.iter().find(|(r, _)| *r == rel) else {
        return Err(Diagnostic::error(rel, "not a file of the built-in theme; `dars override --list` lists them"));
    };
    let dest = theme_dir.join(rel);
    if dest.exists() {
        return Err(Diagnostic::error(&dest, "already overrides the built-in file; edit it, or delete it to use the built-in one again"));
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Diagnostic::error(parent, format!("cannot create folder: {e}")))?;
    }
    std::fs::write(&dest, bytes).map_err(|e| Diagnostic::error(&dest, format!("cannot write: {e}")))?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_drop_accents_and_keep_latin_titles_only() {
        assert_eq!(ascii_slug("Qu'est-ce qu'un réseau ?"), "qu-est-ce-qu-un-reseau");
        assert_eq!(ascii_slug("L'œuvre d'Élodie"), "l-oeuvre-d-elodie");
        assert_eq!(choose_slug("Les boucles en Python", 3).0, "les-boucles-en-python");
        assert_eq!(choose_slug("الحلقات في بايثون", 3).0, "lesson-3");
        assert_eq!(choose_slug("Python و الحلقات", 4).0, "lesson-4");
        assert_eq!(choose_slug("!!!", 2).0, "lesson-2");
        assert!(ascii_slug(&"mot ".repeat(40)).len() <= 60);
    }

    #[test]
    fn every_lesson_template_is_there() {
        for kind in ["source", "stub"] {
            for lang in ["fr", "ar", "en"] {
                assert!(lesson_template(kind, lang).is_ok(), "{kind} {lang}");
            }
        }
    }
}
