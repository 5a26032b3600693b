//! Locale formatting: dates, durations and plural forms, with the words from the theme's
//! per-language string files. Only the rules (which plural form, which weekday) live here.

use crate::calendar::Date;
use crate::yaml::UiStringsFile;

pub type UiStrings = UiStringsFile;

/// CLDR plural category of an integer in `lang`.
pub fn plural_category(lang: &str, n: u64) -> &'static str {
    match lang {
        "ar" => match n {
            0 => "zero",
            1 => "one",
            2 => "two",
            _ if (3..=10).contains(&(n % 100)) => "few",
            _ if (11..=99).contains(&(n % 100)) => "many",
            _ => "other",
        },
        "fr" => {
            if n <= 1 {
                "one"
            } else {
                "other"
            }
        }
        _ => {
            if n == 1 {
                "one"
            } else {
                "other"
            }
        }
    }
}

/// `n` with the counted word `key` in the right plural form, e.g. "3 دروس", "15 درسًا".
pub fn format_count(key: &str, n: u64, lang: &str, strings: &UiStrings) -> String {
    let Some(forms) = strings.plurals.get(key) else { return format!("{n} {key}") };
    let form = forms
        .get(plural_category(lang, n))
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
    }
}
