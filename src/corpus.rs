//! A synthetic but realistic bilingual programme for benchmarks: N lessons per language
//! with French and Arabic paragraphs, headings, lists, tables, code in several languages,
//! images, links between lessons and the `:::` blocks, spread over days.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use crate::calendar::Date;

const FR: &[&str] = &[
    "Un ordinateur suit des instructions précises, une après l'autre, sans jamais se fatiguer.",
    "Les enfants observent, comparent et discutent avant d'écrire la moindre ligne de code.",
    "Une donnée est une information que l'on peut compter, trier ou comparer.",
    "Le formateur circule entre les groupes et pose des questions plutôt que de donner la réponse.",
    "Quand un programme ne marche pas, on lit le message d'erreur calmement et on cherche la ligne fautive.",
    "L'intelligence artificielle apprend à partir d'exemples : plus ils sont variés, mieux elle généralise.",
    "À la Dar Chabab, chaque équipe présente son travail aux autres en deux minutes.",
    "On vérifie toujours une information trouvée en ligne auprès d'une deuxième source.",
];

const AR: &[&str] = &[
    "ينفذ الحاسوب تعليمات دقيقة، واحدة تلو الأخرى، دون أن يتعب أبدًا.",
    "يلاحظ الأطفال ويقارنون ويتناقشون قبل أن يكتبوا أي سطر برمجي.",
    "المعطى معلومة يمكننا عدُّها أو ترتيبها أو مقارنتها.",
    "يتجول المكوِّن بين المجموعات ويطرح الأسئلة بدل أن يعطي الجواب.",
    "عندما لا يعمل البرنامج، نقرأ رسالة الخطأ بهدوء ونبحث عن السطر المعني.",
    "يتعلم الذكاء الاصطناعي من الأمثلة: كلما تنوعت، أحسن التعميم.",
    "في دار الشباب، يقدم كل فريق عمله للآخرين في دقيقتين.",
    "نتحقق دائمًا من المعلومة التي نجدها على الإنترنت من مصدر ثانٍ.",
];

/// `{k}` becomes the lesson's number.
const CODE: &[(&str, &str)] = &[
    ("python", "def moyenne(notes):\n    total = 0\n    for n in notes:\n        total += n\n    return total / len(notes)\n\nprint(moyenne([12, 15, {k}]))\n"),
    ("javascript", "const fruits = [\"orange\", \"datte\", \"figue\", \"fruit-{k}\"];\nfor (const f of fruits) {\n  console.log(f.toUpperCase());\n}\n"),
    ("rust", "fn main() {\n    let n: u32 = (1..={k}).sum();\n    println!(\"somme = {n}\");\n}\n"),
    ("bash", "for f in lecon-{k}-*.txt; do\n  wc -l \"$f\"\ndone\n"),
    ("html", "<ul>\n  <li>Entrée</li>\n  <li>Sortie {k}</li>\n</ul>\n"),
];

/// A 2×2 PNG, the image every generated day refers to.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xFD, 0xD4, 0x9A,
    0x73, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0x00, 0x44, 0x0C, 0x10, 0x0A, 0x00, 0x1F, 0xEE, 0x03, 0xFD, 0x8B, 0x5F, 0x14, 0xD4, 0x00, 0x00, 0x00,
    0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// Writes a programme of `lessons` lessons per language, `per_day` a day, into `content`.
pub fn generate(content: &Path, lessons: usize, per_day: usize) -> io::Result<()> {
    let per_day = per_day.max(1);
    let days = lessons.div_ceil(per_day).max(1);
    fs::create_dir_all(content)?;
    fs::write(content.join("programme.yaml"), programme(days))?;
    fs::write(content.join("centres.yaml"), CENTRES)?;
    for day in 1..=days {
        let dir = content.join(format!("day-{day}"));
        fs::create_dir_all(&dir)?;
        fs::write(dir.join("schema.png"), PNG)?;
    }
    for k in 0..lessons {
        let (day, order) = (k / per_day + 1, k % per_day + 1);
        let dir = content.join(format!("day-{day}"));
        let prev = k.checked_sub(1).map(|p| (p / per_day + 1, p % per_day + 1, p));
        for lang in ["fr", "ar"] {
            let text = lesson(k, day, order, lang, prev);
            fs::write(dir.join(format!("{order:03}-lesson-{k}.{lang}.md")), text)?;
        }
    }
    Ok(())
}

fn programme(days: usize) -> String {
    let mut s = String::from(
        "default_language: fr\nlanguages:\n  - { code: fr, name: Français, direction: ltr }\n  - { code: ar, name: العربية, direction: rtl }\n\
         title: { fr: \"Programme généré\", ar: \"برنامج مولَّد\" }\n\
         description: { fr: \"Un programme généré pour mesurer dars.\", ar: \"برنامج مولَّد لقياس أداء dars.\" }\n\
         audience:\n  age: { min: 8, max: 15 }\ndays:\n",
    );
    let first = Date::parse("2025-10-20").expect("a valid date");
    for d in 1..=days {
        let date = first.plus_days(d as u32 - 1);
        let _ = write!(
            s,
            "  - number: {d}\n    date: {date}\n    start: \"09:00\"\n    breaks: [{{ after_order: 2, minutes: 15 }}]\n    title: {{ fr: \"Journée {d}\", ar: \"اليوم {d}\" }}\n    theme: {{ fr: \"Thème de la journée {d}\", ar: \"موضوع اليوم {d}\" }}\n"
        );
    }
    s
}

fn lesson(k: usize, day: usize, order: usize, lang: &str, prev: Option<(usize, usize, usize)>) -> String {
    let fr = lang == "fr";
    let pool = if fr { FR } else { AR };
    let sentence = |i: usize| pool[(k * 7 + i * 3) % pool.len()];
    let para = |i: usize| format!("{} {} {}", sentence(i), sentence(i + 1), sentence(i + 2));
    // Each lesson has its own code (as real ones do), shared by its translations.
    let (code_lang, code) = CODE[k % CODE.len()];
    let code = code.replace("{k}", &k.to_string());
    let mut s = String::new();
    let title = if fr { format!("Leçon {k} : notions et pratique") } else { format!("الدرس {k}: مفاهيم وتطبيق") };
    let _ = write!(
        s,
        "---\ntitle: \"{title}\"\nday: {day}\norder: {order}\nduration_minutes: {}\nage: {{ min: 8, max: 15 }}\nsummary: \"{}\"\nobjectives:\n  - \"{}\"\n  - \"{}\"\nmaterials:\n  - \"{}\"\ntags: [{}]\ntrainer_notes: |\n  {}\n---\n",
        // Twenty a day must fit between 09:00 and midnight.
        15 + (k % 4) * 5,
        sentence(0),
        sentence(1),
        sentence(2),
        if fr { "Un ordinateur pour deux" } else { "حاسوب لكل طفلين" },
        if fr { "numérique, pratique" } else { "رقمي, تطبيق" },
        sentence(3),
    );
    let h = |fr_text: &str, ar_text: &str| if fr { fr_text.to_string() } else { ar_text.to_string() };
    let _ = write!(s, "## {}\n\n{}\n\n{}\n\n", h("Pour commencer", "للبداية"), para(0), para(1));
    let _ = write!(s, "- {}\n- {}\n- {}\n\n", sentence(4), sentence(5), sentence(6));
    let _ = write!(s, "## {}\n\n{}\n\n```{code_lang}\n{code}```\n\n", h("Un exemple de code", "مثال برمجي"), para(2));
    let _ = write!(
        s,
        "| {} | {} |\n|---|---|\n| {} | `{}` |\n| {} | {} |\n\n",
        h("Étape", "المرحلة"),
        h("Ce qu'on fait", "ما نقوم به"),
        1,
        code_lang,
        2,
        sentence(7)
    );
    let _ = write!(s, "![{}](schema.png)\n\n", h("Un schéma de la séance", "رسم توضيحي للحصة"));
    if let Some((pday, porder, p)) = prev {
        let _ = write!(s, "{} [{}](../day-{pday}/{porder:03}-lesson-{p}.{lang}.md).\n\n", h("Voir aussi", "انظر أيضًا"), h("la leçon précédente", "الدرس السابق"));
    }
    let _ = write!(s, "### {}\n\n{}\n\n", h("Activité", "نشاط"), para(3));
    let _ = write!(s, "::: exercise\n{}\n:::\n\n::: solution\n{}\n:::\n\n::: write 3\n:::\n\n", sentence(5), sentence(6));
    let _ = write!(s, "::: trainer\n{}\n:::\n\n## {}\n\n{}\n", sentence(7), h("Pour finir", "للختام"), para(4));
    s
}

const CENTRES: &str = "centres:\n  - region: { fr: \"Souss-Massa\", ar: \"سوس ماسة\" }\n    city: { fr: \"Agadir\", ar: \"أكادير\" }\n    name: { fr: \"Dar Chabab Hay El Hassani\", ar: \"دار الشباب حي الحسني\" }\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_programme_builds() {
        let dir = tempfile::tempdir().unwrap();
        generate(&dir.path().join("content"), 30, 8).unwrap();
        let mut opts = crate::BuildOptions::in_project(dir.path());
        opts.theme_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
        opts.pdf = false;
        let report = crate::Builder::new().build(&opts).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(report.lessons, 30);
        assert!(dir.path().join("output/ar/day-4/lesson-29/index.html").is_file());
    }
}
