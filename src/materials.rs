//! The materials of a day: what the trainer's checklist lists once, and what `dars check`
//! says when two lessons of a day name one material in two wordings.

use crate::error::{Diagnostic, Diagnostics};
use crate::model::{Day, LessonText, Site};

/// One item of a day's checklist: the wording shown (the fullest one) and where each lesson
/// named it, as (lesson index, item index).
#[derive(Debug, Clone, PartialEq)]
pub struct DayMaterial {
    pub text: String,
    pub named_at: Vec<(usize, usize)>,
}

/// Every material of the day's lessons in `lang`, in order of first use; items with the same
/// or nearly the same wording (see [`same_material`]) are one, shown in their longest wording.
pub fn day_materials(site: &Site, day: &Day, lang: &str) -> Vec<DayMaterial> {
    let mut all: Vec<DayMaterial> = Vec::new();
    for &lesson in &day.lessons {
        let Some(t) = site.lessons[lesson].translations.get(lang) else { continue };
        for (item, m) in t.materials.iter().enumerate() {
            match all.iter_mut().find(|x| same_material(&x.text, m)) {
                Some(x) => {
                    if words(m).len() > words(&x.text).len() {
                        x.text = m.clone();
                    }
                    x.named_at.push((lesson, item));
                }
                None => all.push(DayMaterial { text: m.clone(), named_at: vec![(lesson, item)] }),
            }
        }
    }
    all
}

/// Whether two wordings name the same material: at least 70 % of their words in common, or
/// every word of the shorter one (of 4 words or more) in the longer ("… avec Python 3 et
/// Thonny" and "… avec Python 3 et l'éditeur Thonny (ou IDLE)"); "Des crayons" and "Des
/// crayons de couleur" stay two.
pub fn same_material(a: &str, b: &str) -> bool {
    let (a, b) = (words(a), words(b));
    if a.is_empty() || b.is_empty() {
        return a == b;
    }
    let common = a.iter().filter(|w| b.contains(w)).count();
    let union = a.len() + b.len() - common;
    let shorter = a.len().min(b.len());
    10 * common >= 7 * union || (shorter >= 4 && common == shorter)
}

/// The distinct words of a wording, lowercased, without Arabic vowel marks; a word ends
/// where the script changes (`وThonny` is two) and words of one letter are left out.
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut arabic = false;
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if word.chars().count() > 1 && !out.contains(word) {
            out.push(word.clone());
        }
        word.clear();
    };
    for c in text.chars() {
        if matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}') {
            continue;
        }
        if !c.is_alphanumeric() {
            flush(&mut word, &mut out);
            continue;
        }
        let is_arabic = matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}');
        if is_arabic != arabic && !word.is_empty() {
            flush(&mut word, &mut out);
        }
        arabic = is_arabic;
        word.extend(c.to_lowercase());
    }
    flush(&mut word, &mut out);
    out
}

/// A warning for each material of a day named in two wordings by two lessons (the same
/// wording in another case is not worth one): at the second, naming the first.
pub fn differently_named(site: &Site) -> Diagnostics {
    let mut d = Diagnostics::new();
    for day in &site.days {
        for lang in &site.languages {
            for m in day_materials(site, day, &lang.code) {
                let Some(&(first_lesson, first_item)) = m.named_at.first() else { continue };
                let first = &site.lessons[first_lesson].translations[&lang.code];
                let first_text = &first.materials[first_item];
                let mut said: Vec<String> = vec![first_text.to_lowercase()];
                for &(lesson, item) in &m.named_at[1..] {
                    let t = &site.lessons[lesson].translations[&lang.code];
                    let text = &t.materials[item];
                    if said.contains(&text.to_lowercase()) {
                        continue;
                    }
                    said.push(text.to_lowercase());
                    let message = format!(
                        "day {}: the material “{text}” seems to be “{first_text}” of {}:{}; name it the same way in both lessons so the day's checklist reads as one item",
                        day.number,
                        first.path.display(),
                        item_line(first, first_item),
                    );
                    d.push(Diagnostic::warning(&t.path, message).at(item_line(t, item), None));
                }
            }
        }
    }
    d
}

/// The line of a material in its lesson's front matter (that of `materials:` when the list
/// is written on one line).
fn item_line(t: &LessonText, item: usize) -> usize {
    t.key_lines.get(&format!("materials.{item}")).or_else(|| t.key_lines.get("materials")).copied().unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::same_material;

    #[test]
    fn near_identical_wordings_are_one_material_and_different_ones_two() {
        for (a, b) in [
            ("Un ordinateur pour deux enfants, avec Python 3 et l'éditeur Thonny (ou IDLE)", "Un ordinateur pour deux enfants, avec Python 3 et Thonny"),
            ("حاسوب لكل طفلين، مثبّت عليه Python 3 والمحرّر Thonny (أو IDLE)", "حاسوب لكل طفلين، مثبّت عليه Python 3 وThonny"),
            ("Le tableau de la salle", "le tableau de la salle"),
            ("Un ordinateur avec Python 3 et Thonny", "Un ordinateur avec Python 3 et l'éditeur Thonny (ou IDLE)"),
            ("Une feuille et un crayon par binôme", "Une feuille et un crayon par binôme pour noter les essais"),
        ] {
            assert!(same_material(a, b), "{a} / {b}");
        }
        for (a, b) in [
            ("Des crayons", "Des crayons de couleur"),
            ("Papier et crayons pour chaque équipe", "Papier et crayons pour noter les comparaisons et les questions"),
            ("Un ordinateur (même éteint)", "Un ordinateur connecté et un vidéoprojecteur (facultatif)"),
        ] {
            assert!(!same_material(a, b), "{a} / {b}");
        }
    }
}
