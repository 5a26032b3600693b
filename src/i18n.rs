//! Locale formatting: dates, durations and plural forms, with the words from the theme's
//! per-language string files. Only the rules (which plural form, which weekday) live here.

use crate::calendar::Date;
use crate::yaml::UiStringsFile;

pub type UiStrings = UiStringsFile;

/// The CLDR plural rules (cardinal) of `lang`, from ICU4X's compiled data. A language CLDR
/// does not know gets the rules of its parent locale, at worst the root's (`other` only).
pub fn plural_rules(lang: &str) -> Option<icu_plurals::PluralRules> {
    let locale = icu_locale_core::Locale::try_from_str(lang).ok()?;
    icu_plurals::PluralRules::try_new_cardinal((&locale).into()).ok()
}

/// The plural categories `lang` uses, e.g. ["one", "other"] for French.
pub fn categories(rules: &icu_plurals::PluralRules) -> Vec<&'static str> {
    rules.categories().map(category_name).collect()
}

/// CLDR plural category of an integer in `lang`: "zero", "one", "two", "few", "many" or
/// "other".
pub fn plural_category(lang: &str, n: u64) -> &'static str {
    plural_rules(lang).map_or("other", |rules| category_name(rules.category_for(n)))
}

fn category_name(c: icu_plurals::PluralCategory) -> &'static str {
    use icu_plurals::PluralCategory::*;
    match c {
        Zero => "zero",
        One => "one",
        Two => "two",
        Few => "few",
        Many => "many",
        Other => "other",
    }
}

/// `n` with the counted word `key` in the right plural form, e.g. "3 دروس", "15 درسًا".
pub fn format_count(key: &str, n: u64, lang: &str, strings: &UiStrings) -> String {
    let Some(forms) = strings.plurals.get(key) else { return format!("{n} {key}") };
    // The rules are kept with the strings when the theme is loaded (building them is a
    // lookup in ICU4X's data, done once per language instead of once per number).
    let category = match &strings.plural_rules {
        Some(rules) => category_name(rules.category_for(n)),
        None => plural_category(lang, n),
    };
    let form = forms
        .get(category)
        .or_else(|| forms.get("other"))
        .map(String::as_str)
        .unwrap_or("{n}");
    form.replace("{n}", &n.to_string())
}

/// e.g. "lundi 20 octobre" / "الاثنين 20 أكتوبر".
pub fn format_date(date: Date, strings: &UiStrings) -> String {
    let month = strings.months.get(date.month as usize - 1).map(String::as_str).unwrap_or("");
    let weekday = strings.weekdays.get(date.weekday()).map(String::as_str).unwrap_or("");
    strings
        .date_format
        .replace("{weekday}", weekday)
        .replace("{day}", &date.day.to_string())
        .replace("{month}", month)
        .replace("{year}", &date.year.to_string())
}

/// e.g. "1 h 15 min" / "ساعة واحدة و15 دقيقة".
pub fn format_duration(minutes: u32, lang: &str, strings: &UiStrings) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, m) => format_count("minutes", m as u64, lang, strings),
        (h, 0) => format_count("hours", h as u64, lang, strings),
        (h, m) => format!("{}{}{}", format_count("hours", h as u64, lang, strings), strings.duration_joiner, format_count("minutes", m as u64, lang, strings)),
    }
}

/// Counted words the renderers use.
pub const REQUIRED_PLURALS: &[&str] = &["hours", "minutes", "lessons", "days", "centres", "kilobytes"];

/// Problems with a strings file: missing months, weekdays or plural forms.
pub fn check_strings(strings: &UiStrings) -> Vec<String> {
    let mut problems = Vec::new();
    if strings.months.len() != 12 {
        problems.push(format!("months must list 12 names, not {}", strings.months.len()));
    }
    if strings.weekdays.len() != 7 {
        problems.push(format!("weekdays must list 7 names (Monday first), not {}", strings.weekdays.len()));
    }
    for key in REQUIRED_PLURALS {
        match strings.plurals.get(*key) {
            Some(forms) if forms.contains_key("other") => {}
            Some(_) => problems.push(format!("plurals.{key} needs an `other` form")),
            None => problems.push(format!("plurals.{key} is missing")),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(yaml: &str) -> UiStrings {
        crate::yaml::parse(yaml, std::path::Path::new("t.yaml"), 1).unwrap()
    }

    const AR: &str = r#"
months: [يناير, فبراير, مارس, أبريل, ماي, يونيو, يوليوز, غشت, شتنبر, أكتوبر, نونبر, دجنبر]
weekdays: [الاثنين, الثلاثاء, الأربعاء, الخميس, الجمعة, السبت, الأحد]
date_format: "{weekday} {day} {month}"
plurals:
  hours: { one: "ساعة واحدة", two: "ساعتان", few: "{n} ساعات", many: "{n} ساعة", other: "{n} ساعة" }
  minutes: { one: "دقيقة واحدة", two: "دقيقتان", few: "{n} دقائق", many: "{n} دقيقة", other: "{n} دقيقة" }
duration_joiner: " و"
labels: {}
"#;

    #[test]
    fn arabic_uses_moroccan_months_and_latin_digits() {
        let s = strings(AR);
        assert_eq!(format_date(Date::parse("2025-10-20").unwrap(), &s), "الاثنين 20 أكتوبر");
        assert_eq!(format_date(Date::parse("2025-08-01").unwrap(), &s), "الجمعة 1 غشت");
    }

    #[test]
    fn arabic_durations_follow_plural_rules() {
        let s = strings(AR);
        assert_eq!(format_duration(60, "ar", &s), "ساعة واحدة");
        assert_eq!(format_duration(135, "ar", &s), "ساعتان و15 دقيقة");
        assert_eq!(format_duration(5, "ar", &s), "5 دقائق");
        assert_eq!(format_duration(3 * 60 + 30, "ar", &s), "3 ساعات و30 دقيقة");
    }

    #[test]
    fn plural_categories() {
        assert_eq!(plural_category("ar", 103), "few");
        assert_eq!(plural_category("ar", 111), "many");
        assert_eq!(plural_category("ar", 100), "other");
        assert_eq!(plural_category("fr", 0), "one");
        assert_eq!(plural_category("fr", 2), "other");
        // From CLDR, not written here: English has no `one` for 0; CLDR has no rules for
        // Standard Moroccan Tamazight (zgh), nor for a private code: `other` only.
        assert_eq!(plural_category("en", 0), "other");
        assert_eq!(plural_category("en", 1), "one");
        assert_eq!(plural_category("zgh", 1), "other");
        assert_eq!(plural_category("qaa", 1), "other");
    }

    #[test]
    fn arabic_counts_take_all_six_forms_from_cldr() {
        let mut s = strings(AR);
        s.plurals.insert("lessons".into(), [("zero", "لا دروس"), ("one", "درس واحد"), ("two", "درسان"), ("few", "{n} دروس"), ("many", "{n} درسًا"), ("other", "{n} درس")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        s.plural_rules = plural_rules("ar").map(std::sync::Arc::new);
        let shown: Vec<String> = [0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 111].iter().map(|&n| format_count("lessons", n, "ar", &s)).collect();
        assert_eq!(shown, ["لا دروس", "درس واحد", "درسان", "3 دروس", "10 دروس", "11 درسًا", "99 درسًا", "100 درس", "102 درس", "103 دروس", "111 درسًا"]);
    }
}
