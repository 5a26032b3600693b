//! Stage 2, model: cross-check what was loaded and build the programme every renderer reads.
//!
//! Pure: no I/O. Lessons are paired with their translations, placed in their day and
//! sorted; anything inconsistent becomes a diagnostic naming the file and line.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::calendar::{Date, TimeOfDay};
use crate::error::{Diagnostic, Diagnostics};
use crate::load::{CENTRES_FILE, LessonFile, Loaded, PROGRAMME_FILE};
use crate::yaml::{AgeRange, Localized};

#[derive(Debug, Clone)]
pub struct Site {
    pub content_dir: PathBuf,
    pub languages: Vec<Language>,
    pub default_language: String,
    pub title: Localized,
    pub short_title: Localized,
    pub description: Localized,
    pub about: Localized,
    pub audience: AgeRange,
    pub base_url: Option<String>,
    /// The foot of every page, per language (programme.yaml `footer`).
    pub footer: Localized,
    /// The centres page's heading and introduction, when centres.yaml gives them.
    pub centres_title: Localized,
    pub centres_intro: Localized,
    pub limits: crate::limits::Limits,
    pub days: Vec<Day>,
    pub centres: Vec<Centre>,
    pub kit: KitSettings,
    /// Published lessons, sorted by day then order.
    pub lessons: Vec<Lesson>,
    /// Lessons left out because a translation is marked `draft`.
    pub drafts: Vec<Lesson>,
    /// Non-lesson files below content/, relative with `/`.
    pub assets: Vec<String>,
    /// Lesson source (relative to content/) → (index in `lessons`, language).
    pub by_source: HashMap<String, (usize, String)>,
    /// Lesson files left out because they are in error (already reported): links to them
    /// are not reported again.
    pub broken: Vec<String>,
    /// Lessons left out because their body does not render (see `without_lessons`): what
    /// they link to is still in use.
    pub unrendered: Vec<Lesson>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    pub code: String,
    pub name: String,
    pub rtl: bool,
}

impl Language {
    pub fn dir(&self) -> &'static str {
        if self.rtl { "rtl" } else { "ltr" }
    }
}

#[derive(Debug, Clone)]
pub struct Day {
    pub number: u32,
    pub date: Date,
    pub start: Option<TimeOfDay>,
    pub end: Option<TimeOfDay>,
    /// (after lesson order, minutes)
    pub breaks: Vec<(u32, u32)>,
    pub title: Localized,
    pub theme: Localized,
    /// Indices into `Site::lessons`, in order.
    pub lessons: Vec<usize>,
    /// Its line in programme.yaml, for errors about the whole day (a handout too long).
    pub line: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Centre {
    pub region: Localized,
    pub city: Localized,
    pub name: Localized,
    pub launch: bool,
    /// Its folder on the site, `centres/SLUG/`: unique, made of letters, digits and `-`.
    pub slug: String,
    pub trainers: Vec<String>,
    /// The date of each day of `Site::days`, in that order: the centre's own or the
    /// programme's.
    pub dates: Vec<Date>,
    /// Whether `dates` are the centre's own (centres.yaml) rather than the programme's.
    pub own_dates: bool,
    pub room: Localized,
    pub contact: Option<String>,
    pub attendance_rows: u32,
}

/// What the trainer's kits hold, from programme.yaml's `kit:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KitSettings {
    pub parent_signature: bool,
}

/// Rows of an attendance sheet when neither file says.
pub const DEFAULT_ATTENDANCE_ROWS: u32 = 25;
/// Rows an attendance sheet may have: a sheet of 1,000 rows is a typing mistake.
pub const ATTENDANCE_ROWS: std::ops::RangeInclusive<u32> = 1..=200;

#[derive(Debug, Clone)]
pub struct Lesson {
    pub slug: String,
    pub day: u32,
    pub order: u32,
    pub duration_minutes: u32,
    pub age: AgeRange,
    /// By language code, one for every language of the programme: a lesson not yet
    /// translated into a language is published there in its source language (a copy of
    /// that text, whose `lang` says so), so a language can be published gradually.
    pub translations: BTreeMap<String, LessonText>,
}

impl Lesson {
    /// Whether the page in `lang` shows the lesson in another language, for want of a
    /// translation.
    pub fn is_fallback(&self, lang: &str) -> bool {
        self.translations.get(lang).is_some_and(|t| t.lang != lang)
    }
}

#[derive(Debug, Clone)]
pub struct LessonText {
    /// The language the text is written in: the page's language, or, for a lesson not yet
    /// translated into it, the language it is shown in instead (see `Lesson::translations`).
    pub lang: String,
    pub path: PathBuf,
    pub rel: String,
    pub title: String,
    pub summary: String,
    pub objectives: Vec<String>,
    pub materials: Vec<String>,
    pub tags: Vec<String>,
    pub trainer_notes: Option<String>,
    pub draft: bool,
    /// The author vouches for the scripts, frames and styles of this lesson's raw HTML.
    pub allow_active_html: bool,
    pub body: std::sync::Arc<str>,
    pub body_line: usize,
    pub key_lines: BTreeMap<String, usize>,
    pub content_hash: String,
    pub source_hash: Option<String>,
}

impl LessonText {
    /// A diagnostic on the line of front matter key `key` (or the file's first line).
    pub fn at_key(&self, key: &str, d: Diagnostic) -> Diagnostic {
        let line = self.key_lines.get(key).copied().unwrap_or(1);
        d.at(line, None)
    }
}

/// One row of a day's timetable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    Lesson { index: usize, start: TimeOfDay, end: TimeOfDay },
    Break { start: TimeOfDay, end: TimeOfDay },
}

impl Site {
    /// Sorts the lessons and fills each day's list and `by_source` from them.
    fn place_lessons(&mut self) {
        self.lessons.sort_by(|a, b| (a.day, a.order).cmp(&(b.day, b.order)).then_with(|| alphanumeric_sort::compare_str(&a.slug, &b.slug)));
        self.by_source.clear();
        for day in &mut self.days {
            day.lessons.clear();
        }
        for (i, lesson) in self.lessons.iter().enumerate() {
            if let Some(day) = self.days.iter_mut().find(|d| d.number == lesson.day) {
                day.lessons.push(i);
            }
            // A lesson shown for want of a translation is found under its own language.
            for (lang, t) in lesson.translations.iter().filter(|(lang, t)| **lang == t.lang) {
                self.by_source.insert(t.rel.clone(), (i, lang.clone()));
            }
        }
    }

    /// The site without the lessons at `indices` (their bodies do not render), so that the
    /// rest can still be rendered and checked; links to them are not reported again.
    pub fn without_lessons(&self, indices: &std::collections::HashSet<usize>) -> Site {
        let mut site = self.clone();
        for (i, lesson) in std::mem::take(&mut site.lessons).into_iter().enumerate() {
            if indices.contains(&i) {
                site.broken.extend(lesson.translations.values().map(|t| t.rel.clone()));
                site.unrendered.push(lesson);
            } else {
                site.lessons.push(lesson);
            }
        }
        site.place_lessons();
        site
    }

    /// Drafts published beside the other lessons (`dars serve --drafts`); each keeps its
    /// `draft` mark, which its page shows.
    pub fn publish_drafts(&mut self) {
        self.lessons.append(&mut self.drafts);
        self.place_lessons();
    }

    pub fn language(&self, code: &str) -> Option<&Language> {
        self.languages.iter().find(|l| l.code == code)
    }

    pub fn day(&self, number: u32) -> Option<&Day> {
        self.days.iter().find(|d| d.number == number)
    }

    // Saturating: durations are bounded (`LESSON_MINUTES`) but the number of lessons is not.
    pub fn day_minutes(&self, day: &Day) -> u32 {
        day.lessons.iter().map(|&i| self.lessons[i].duration_minutes).fold(0, u32::saturating_add)
    }

    pub fn total_minutes(&self) -> u32 {
        self.lessons.iter().map(|l| l.duration_minutes).fold(0, u32::saturating_add)
    }

    /// The day's lessons and breaks with their times, when the day has a start time and
    /// they end by midnight (later is an error the model stage reports).
    pub fn timetable(&self, day: &Day) -> Option<Vec<Slot>> {
        let mut t = day.start?;
        let mut slots = Vec::new();
        for &index in &day.lessons {
            let lesson = &self.lessons[index];
            let end = t.plus(lesson.duration_minutes)?;
            slots.push(Slot::Lesson { index, start: t, end });
            t = end;
            for &(_, minutes) in day.breaks.iter().filter(|(after, _)| *after == lesson.order) {
                let end = t.plus(minutes)?;
                slots.push(Slot::Break { start: t, end });
                t = end;
            }
        }
        Some(slots)
    }

    /// Minutes of lessons and breaks in a day, unbounded.
    fn day_length(&self, day: &Day) -> u64 {
        let lessons = day.lessons.iter().map(|&i| &self.lessons[i]);
        let breaks = |order: u32| day.breaks.iter().filter(move |(after, _)| *after == order).map(|&(_, m)| m as u64);
        lessons.map(|l| l.duration_minutes as u64 + breaks(l.order).sum::<u64>()).sum()
    }

    /// The lessons before and after `index` across the whole programme.
    pub fn neighbours(&self, index: usize) -> (Option<usize>, Option<usize>) {
        let prev = index.checked_sub(1);
        let next = (index + 1 < self.lessons.len()).then_some(index + 1);
        (prev, next)
    }
}

/// Localized text in `lang`, falling back to the default language.
pub fn text<'a>(l: &'a Localized, lang: &str, default: &str) -> &'a str {
    l.get(lang).or_else(|| l.get(default)).map(String::as_str).unwrap_or("")
}

/// Builds the site from what was loaded; `diags` holds the load stage's findings so all
/// errors of a build are reported together.
pub fn build(loaded: &Loaded, diags: Diagnostics) -> Result<Site, Diagnostics> {
    let (site, diags) = build_partial(loaded, diags);
    diags.into_result(site)
}

/// As `build`, but always gives the site made of the lessons without errors, so that
/// `dars check` can go on looking for more mistakes.
pub fn build_partial(loaded: &Loaded, mut diags: Diagnostics) -> (Site, Diagnostics) {
    let programme_path = loaded.content_dir.join(PROGRAMME_FILE);
    let centres_path = loaded.content_dir.join(CENTRES_FILE);
    let p = &loaded.programme;

    let languages = languages(p, &programme_path, &mut diags);
    let codes: Vec<String> = languages.iter().map(|l| l.code.clone()).collect();
    // Missing in the default language, a text is missing everywhere; missing in another
    // language, pages in that language show the default language's (a language can be
    // added before all of its texts are written). On the line of the text's key
    // (`days.2.title`), or of the item holding it.
    let default = &p.default_language;
    let check_localized = |what: &str, l: &Localized, file: &PathBuf, line: Option<usize>, diags: &mut Diagnostics| {
        for code in &codes {
            if l.get(code).is_none_or(|t| t.trim().is_empty()) {
                let d = if code == default || l.get(default).is_none_or(|t| t.trim().is_empty()) {
                    Diagnostic::error(file, format!("{what} has no `{code}` text; add `{code}: \"…\"`"))
                } else {
                    Diagnostic::warning(file, format!("{what} has no `{code}` text: `{code}` pages show the `{default}` one; add `{code}: \"…\"`"))
                };
                diags.push(match line {
                    Some(line) => d.at(line, None),
                    None => d,
                });
            }
        }
    };
    check_localized("title", &p.title, &programme_path, p.line_of("title"), &mut diags);
    check_localized("description", &p.description, &programme_path, p.line_of("description"), &mut diags);

    let mut days = Vec::new();
    for (index, d) in p.days.iter().enumerate() {
        let keys = DayKeys { p, file: &programme_path, index };
        if days.iter().any(|x: &Day| x.number == d.number) {
            diags.push(keys.error("number", format!("day {} is defined twice; give each day its own number", d.number)));
        }
        check_localized(&format!("day {} title", d.number), &d.title, &programme_path, keys.line("title"), &mut diags);
        check_localized(&format!("day {} theme", d.number), &d.theme, &programme_path, keys.line("theme"), &mut diags);
        days.push(day(d, &keys, &mut diags));
    }
    days.sort_by_key(|d| d.number);

    let centres = centres(loaded, &days, &centres_path, &check_localized, &mut diags);
    if let Some(rows) = p.kit.attendance_rows.filter(|r| !ATTENDANCE_ROWS.contains(r)) {
        let d = Diagnostic::error(&programme_path, rows_message(rows));
        diags.push(match p.line_of("kit.attendance_rows") { Some(line) => d.at(line, None), None => d });
    }

    let (mut lessons, drafts, mut broken) = pair_translations(&loaded.lessons, &loaded.failed, &codes, &days, &mut diags);
    broken.extend(loaded.failed.iter().cloned());
    lessons.sort_by(|a, b| (a.day, a.order).cmp(&(b.day, b.order)).then_with(|| alphanumeric_sort::compare_str(&a.slug, &b.slug)));
    check_unique_places(&lessons, &loaded.lessons, &mut diags);

    let mut site = Site {
        content_dir: loaded.content_dir.clone(),
        default_language: p.default_language.clone(),
        languages,
        title: shown(&p.title),
        short_title: shown(if p.short_title.is_empty() { &p.title } else { &p.short_title }),
        description: shown(&p.description),
        about: p.about.clone(),
        audience: p.audience.age,
        base_url: p.base_url.clone(),
        footer: shown(&p.footer),
        centres_title: shown(&loaded.centres.title),
        centres_intro: shown(&loaded.centres.intro),
        limits: p.limits,
        days,
        centres,
        kit: KitSettings { parent_signature: p.kit.parent_signature },
        lessons,
        drafts,
        assets: loaded.assets.clone(),
        by_source: HashMap::new(),
        broken,
        unrendered: Vec::new(),
    };
    site.place_lessons();
    check_midnight(&site, p, &programme_path, &mut diags);
    (site, diags)
}

fn rows_message(rows: u32) -> String {
    let (lo, hi) = (ATTENDANCE_ROWS.start(), ATTENDANCE_ROWS.end());
    format!("an attendance sheet of {rows} rows; give it {lo} to {hi} rows")
}

/// The centres of centres.yaml, checked: each text in every language, a unique slug, its
/// own dates (one per day of the programme, real dates) and rows within bounds.
fn centres(
    loaded: &Loaded,
    days: &[Day],
    file: &PathBuf,
    check_localized: &dyn Fn(&str, &Localized, &PathBuf, Option<usize>, &mut Diagnostics),
    diags: &mut Diagnostics,
) -> Vec<Centre> {
    let c_file = &loaded.centres;
    let default_rows = c_file.attendance_rows.or(loaded.programme.kit.attendance_rows).unwrap_or(DEFAULT_ATTENDANCE_ROWS);
    if let Some(rows) = c_file.attendance_rows.filter(|r| !ATTENDANCE_ROWS.contains(r)) {
        diags.push(at_line(Diagnostic::error(file, rows_message(rows)), c_file.line_of("attendance_rows")));
    }
    let mut slugs: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, c) in c_file.centres.iter().enumerate() {
        let key = |k: &str| c_file.line_of(&format!("centres.{i}.{k}")).or_else(|| c_file.line_of(&format!("centres.{i}")));
        for (what, l) in [("region", &c.region), ("city", &c.city), ("name", &c.name)] {
            check_localized(&format!("centre {} {what}", i + 1), l, file, key(what), diags);
        }
        let default_name = c.name.get(&loaded.programme.default_language).or_else(|| c.name.values().next()).map(String::as_str).unwrap_or("");
        let slug = match &c.slug {
            Some(s) if crate::load::slugify(s) == *s && !s.is_empty() => s.clone(),
            Some(s) => {
                diags.push(at_line(Diagnostic::error(file, format!("centre {}: slug `{s}` is not usable in an address; write it with lowercase letters, digits and `-`, e.g. `{}`", i + 1, crate::load::slugify(s))), key("slug")));
                crate::load::slugify(s)
            }
            None => centre_slug(default_name),
        };
        if let Some(first) = slugs.insert(slug.clone(), i) {
            let message = format!("centres {} and {} would both live at centres/{slug}/; give one of them its own `slug:`", first + 1, i + 1);
            diags.push(at_line(Diagnostic::error(file, message), key("name")));
        }
        let mut dates: Vec<Date> = days.iter().map(|d| d.date).collect();
        if !c.dates.is_empty() {
            if c.dates.len() != days.len() {
                let message = format!("centre {}: {} dates for {} session days; list one date per day, in the programme's order", i + 1, c.dates.len(), days.len());
                diags.push(at_line(Diagnostic::error(file, message), key("dates")));
            }
            for (j, (text, slot)) in c.dates.iter().zip(dates.iter_mut()).enumerate() {
                match Date::parse(text) {
                    Some(d) => *slot = d,
                    None => {
                        let line = c_file.line_of(&format!("centres.{i}.dates.{j}")).or_else(|| key("dates"));
                        diags.push(at_line(Diagnostic::error(file, format!("centre {}: date `{text}` is not a date; write it as YYYY-MM-DD", i + 1)), line));
                    }
                }
            }
        }
        let attendance_rows = c.attendance_rows.unwrap_or(default_rows);
        if !ATTENDANCE_ROWS.contains(&attendance_rows) && c.attendance_rows.is_some() {
            diags.push(at_line(Diagnostic::error(file, format!("centre {}: {}", i + 1, rows_message(attendance_rows))), key("attendance_rows")));
        }
        out.push(Centre {
            region: shown(&c.region),
            city: shown(&c.city),
            name: shown(&c.name),
            launch: c.launch,
            slug,
            trainers: c.trainers.clone(),
            own_dates: !c.dates.is_empty(),
            dates,
            room: shown(&c.room),
            contact: c.contact.clone(),
            attendance_rows,
        });
    }
    out
}

/// A centre's address from its name: accents dropped (`Laâyoune` → `laayoune`, `Août` →
/// `aout`), so its links and the file names of its zip read alike on every system.
fn centre_slug(name: &str) -> String {
    use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
    crate::load::slugify(&name.nfd().filter(|c| !is_combining_mark(*c)).collect::<String>())
}

fn at_line(d: Diagnostic, line: Option<usize>) -> Diagnostic {
    match line {
        Some(line) => d.at(line, None),
        None => d,
    }
}

/// What each lesson file says of itself, when there is no programme to place it in.
pub fn check_lessons_alone(files: &[LessonFile]) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for f in files {
        check_lesson_file(f, None, &mut diags);
    }
    diags
}

/// A text of programme.yaml or centres.yaml in each language as pages show it: code
/// between backticks kept left to right, French spacing in French (see
/// `typography::display_text`).
fn shown(l: &Localized) -> Localized {
    l.iter().map(|(lang, text)| (lang.clone(), crate::typography::display_text(text, lang))).collect()
}

/// How long a lesson may last, in minutes: a day of the programme is 6 hours; 10 leaves
/// room for a long workshop and keeps every sum of a day far from overflowing.
pub const LESSON_MINUTES: std::ops::RangeInclusive<u32> = 1..=600;
/// How long a break may last, in minutes.
pub const BREAK_MINUTES: std::ops::RangeInclusive<u32> = 0..=600;

/// Diagnostics about the `index`th day of programme.yaml, on the line of one of its keys
/// (or of the day when the key is not written).
struct DayKeys<'a> {
    p: &'a crate::yaml::ProgrammeFile,
    file: &'a PathBuf,
    index: usize,
}

impl DayKeys<'_> {
    fn line(&self, key: &str) -> Option<usize> {
        let day = format!("days.{}", self.index);
        if key.is_empty() { self.p.line_of(&day) } else { self.p.line_of(&format!("{day}.{key}")).or_else(|| self.p.line_of(&day)) }
    }

    fn error(&self, key: &str, message: String) -> Diagnostic {
        let d = Diagnostic::error(self.file, message);
        match self.line(key) {
            Some(line) => d.at(line, None),
            None => d,
        }
    }
}

/// A day of programme.yaml; its dates, times and breaks checked.
fn day(d: &crate::yaml::DayEntry, keys: &DayKeys, diags: &mut Diagnostics) -> Day {
    let n = d.number;
    let date = Date::parse(&d.date).unwrap_or_else(|| {
        diags.push(keys.error("date", format!("day {n}: date `{}` is not a date; write it as YYYY-MM-DD", d.date)));
        Date { year: 1970, month: 1, day: 1 }
    });
    let mut time = |key: &str, value: &Option<String>| {
        let s = value.as_ref()?;
        let t = TimeOfDay::parse(s);
        if t.is_none() {
            diags.push(keys.error(key, format!("day {n}: {key} `{s}` is not a time; write it as HH:MM")));
        }
        t
    };
    let (start, end) = (time("start", &d.start), time("end", &d.end));
    let mut breaks = Vec::new();
    for (j, b) in d.breaks.iter().enumerate() {
        if BREAK_MINUTES.contains(&b.minutes) {
            breaks.push((b.after_order, b.minutes));
        } else {
            let (lo, hi) = (BREAK_MINUTES.start(), BREAK_MINUTES.end());
            diags.push(keys.error(&format!("breaks.{j}.minutes"), format!("day {n}: a break of {} minutes; a break lasts {lo} to {hi} minutes", b.minutes)));
        }
    }
    Day { number: n, date, start, end, breaks, title: shown(&d.title), theme: shown(&d.theme), lessons: Vec::new(), line: keys.line("") }
}

/// A day's timetable must end by midnight: past it, times would wrap round (09:00–08:59).
fn check_midnight(site: &Site, p: &crate::yaml::ProgrammeFile, file: &PathBuf, diags: &mut Diagnostics) {
    for (index, entry) in p.days.iter().enumerate() {
        let first = p.days.iter().position(|e| e.number == entry.number) == Some(index);
        let Some(day) = site.day(entry.number).filter(|_| first) else { continue };
        let Some(start) = day.start.filter(|_| site.timetable(day).is_none()) else { continue };
        let minutes = site.day_length(day);
        let message = format!(
            "day {}: its lessons and breaks take {minutes} minutes from {start}, past midnight; shorten them or move some to another day",
            day.number
        );
        diags.push(DayKeys { p, file, index }.error("", message));
    }
}

fn languages(p: &crate::yaml::ProgrammeFile, file: &PathBuf, diags: &mut Diagnostics) -> Vec<Language> {
    let mut out: Vec<Language> = Vec::new();
    let at = |key: &str, d: Diagnostic| match p.line_of(key) {
        Some(line) => d.at(line, None),
        None => d,
    };
    for (i, l) in p.languages.iter().enumerate() {
        let error = |key: &str, message: String| at(&format!("languages.{i}.{key}"), Diagnostic::error(file, message));
        let code_ok = !l.code.is_empty() && l.code.chars().all(|c| c.is_ascii_lowercase() || c == '-');
        if !code_ok {
            diags.push(error("code", format!("language code `{}` must be lowercase letters, e.g. fr", l.code)));
        }
        if l.direction != "ltr" && l.direction != "rtl" {
            diags.push(error("direction", format!("language `{}`: direction must be ltr or rtl, not `{}`", l.code, l.direction)));
        }
        if out.iter().any(|o| o.code == l.code) {
            diags.push(error("code", format!("language `{}` is listed twice", l.code)));
        }
        out.push(Language { code: l.code.clone(), name: l.name.clone(), rtl: l.direction == "rtl" });
    }
    // The default language comes first: its pages are the site's entry point.
    match out.iter().position(|l| l.code == p.default_language) {
        Some(i) => out[..=i].rotate_right(1),
        None => diags.push(at(
            "default_language",
            Diagnostic::error(file, format!("default_language `{}` is not in languages; add it or pick one of the listed codes", p.default_language)),
        )),
    }
    out
}

/// Groups files that are translations of each other (same path but for the language).
fn pair_translations(files: &[LessonFile], failed: &[String], codes: &[String], days: &[Day], diags: &mut Diagnostics) -> (Vec<Lesson>, Vec<Lesson>, Vec<String>) {
    // Copied in parallel up front: on a large site this copy was most of the model stage.
    let mut texts: Vec<Option<LessonText>> = {
        use rayon::prelude::*;
        files.par_iter().map(|f| Some(lesson_text(f))).collect()
    };
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        let key = f.rel.strip_suffix(&format!(".{}.md", f.lang)).unwrap_or(&f.rel).to_string();
        groups.entry(key).or_default().push(i);
    }
    let mut lessons = Vec::new();
    let mut drafts = Vec::new();
    let mut broken = Vec::new();
    for (key, members) in groups {
        let group: Vec<&LessonFile> = members.iter().map(|&i| &files[i]).collect();
        // Translations are compared with the lesson in the default language (listed first).
        let first = codes.first().and_then(|c| group.iter().find(|f| &f.lang == c)).copied().unwrap_or(group[0]);
        let mut ok = true;
        for f in &group {
            ok &= check_lesson_file(f, Some(days), diags);
            for (field, same) in [
                ("day", f.front.day == first.front.day),
                ("order", f.front.order == first.front.order),
                ("duration_minutes", f.front.duration_minutes == first.front.duration_minutes),
                ("age", f.front.age == first.front.age),
            ] {
                if !same {
                    ok = false;
                    diags.push(f.error_at_key(
                        field,
                        format!("`{field}` differs from the translation {}; make them the same", first.path.display()),
                    ));
                }
            }
        }
        // A translation that failed to load is in error; one not written yet is not: the
        // lesson is shown in its source language there (`dars check` lists it).
        ok &= !codes.iter().any(|code| failed.contains(&format!("{key}.{code}.md")));
        if !ok {
            broken.extend(group.iter().map(|f| f.rel.clone()));
            continue;
        }
        let mut translations: BTreeMap<String, LessonText> = members.iter().filter_map(|&i| Some((files[i].lang.clone(), texts[i].take()?))).collect();
        let source = translations.get(&first.lang).cloned().expect("the first file of a group is one of its translations");
        for code in codes {
            translations.entry(code.clone()).or_insert_with(|| source.clone());
        }
        let lesson = Lesson {
            slug: first.slug.clone(),
            day: first.front.day,
            order: first.front.order,
            duration_minutes: first.front.duration_minutes,
            age: first.front.age,
            translations,
        };
        if lesson.translations.values().any(|t| t.draft) {
            drafts.push(lesson);
        } else {
            lessons.push(lesson);
        }
    }
    (lessons, drafts, broken)
}

/// Checks one file on its own; true when it can be published. Without `days` (the
/// programme did not load), its day is not checked.
fn check_lesson_file(f: &LessonFile, days: Option<&[Day]>, diags: &mut Diagnostics) -> bool {
    let before = diags.0.len();
    let fm = &f.front;
    if let Some(days) = days
        && !days.iter().any(|d| d.number == fm.day)
    {
        let known: Vec<String> = days.iter().map(|d| d.number.to_string()).collect();
        diags.push(f.error_at_key("day", format!("day {} is not a day of the programme (days: {})", fm.day, known.join(", "))));
    }
    if fm.title.trim().is_empty() {
        diags.push(f.error_at_key("title", "title is empty; give the lesson a title"));
    }
    if fm.summary.trim().is_empty() {
        diags.push(f.error_at_key("summary", "summary is empty; say in a sentence what the lesson is about"));
    }
    if fm.objectives.iter().all(|o| o.trim().is_empty()) {
        diags.push(f.error_at_key("objectives", "objectives is empty; list at least one objective"));
    }
    if !LESSON_MINUTES.contains(&fm.duration_minutes) {
        let (lo, hi) = (LESSON_MINUTES.start(), LESSON_MINUTES.end());
        diags.push(f.error_at_key("duration_minutes", format!("duration_minutes is {}; a lesson lasts {lo} to {hi} minutes, split a longer one", fm.duration_minutes)));
    }
    if fm.age.min > fm.age.max {
        diags.push(f.error_at_key("age", format!("age min {} is above max {}", fm.age.min, fm.age.max)));
    }
    diags.0.len() == before
}

fn lesson_text(f: &LessonFile) -> LessonText {
    LessonText {
        lang: f.lang.clone(),
        path: f.path.clone(),
        rel: f.rel.clone(),
        // As pages and handouts show them: code between backticks kept left to right,
        // French spacing in French (see crate::typography::display_text).
        title: crate::typography::display_text(&f.front.title, &f.lang),
        summary: crate::typography::display_text(&f.front.summary, &f.lang),
        objectives: f.front.objectives.iter().map(|o| crate::typography::display_text(o, &f.lang)).collect(),
        materials: f.front.materials.iter().map(|m| crate::typography::display_text(m, &f.lang)).collect(),
        tags: f.front.tags.clone(),
        trainer_notes: f.front.trainer_notes.clone(),
        draft: f.front.draft,
        allow_active_html: f.front.allow_active_html,
        body: f.body.clone(),
        body_line: f.body_line,
        key_lines: f.key_lines.clone(),
        content_hash: f.content_hash.clone(),
        source_hash: f.front.source_hash.clone(),
    }
}

/// Two lessons may not share a place in a day, nor an address.
fn check_unique_places(lessons: &[Lesson], files: &[LessonFile], diags: &mut Diagnostics) {
    let by_path: HashMap<&PathBuf, &LessonFile> = files.iter().map(|f| (&f.path, f)).collect();
    let file_of = |l: &Lesson| {
        let t = l.translations.values().next().expect("a lesson has a translation");
        by_path[&t.path]
    };
    let mut places: HashMap<(u32, u32), &Lesson> = HashMap::new();
    let mut addresses: HashMap<(u32, &str), &Lesson> = HashMap::new();
    for a in lessons {
        if let Some(b) = places.insert((a.day, a.order), a) {
            diags.push(file_of(a).error_at_key(
                "order",
                format!("day {} order {} is already taken by {}; give each lesson of a day its own order", a.day, a.order, file_of(b).path.display()),
            ));
        } else if let Some(b) = addresses.insert((a.day, &a.slug), a) {
            diags.push(Diagnostic::error(
                &file_of(a).path,
                format!("slug `{}` is already used on day {} by {}; rename one of the files", a.slug, a.day, file_of(b).path.display()),
            ));
        }
    }
}
