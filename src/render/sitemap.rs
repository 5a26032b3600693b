//! `sitemap.xml`: every page, with its translations as `xhtml:link` alternates.

use crate::error::Diagnostics;
use crate::highlight::escape_html;
use crate::render::{OutputFile, RenderContext, Renderer, site_pages};

pub struct Sitemap;

impl Renderer for Sitemap {
    fn name(&self) -> &'static str {
        "sitemap"
    }

    fn render(&self, cx: &RenderContext) -> Result<Vec<OutputFile>, Diagnostics> {
        let site = cx.site;
        // The sitemap protocol wants absolute URLs; without a base_url the locations are
        // relative to the sitemap itself, which still lists every page.
        let base = site.base_url.as_deref().map(|b| format!("{}/", b.trim_end_matches('/'))).unwrap_or_default();
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
        );
        for page in site_pages(site).into_iter().filter(|p| p.in_sitemap()) {
            // A lesson shown in another language for want of a translation is no page of
            // its own for search engines: neither listed nor named as an alternate.
            let fallback = |code: &str| crate::render::website::is_fallback(site, page, code);
            for lang in site.languages.iter().filter(|l| !fallback(&l.code)) {
                xml.push_str(&format!("  <url>\n    <loc>{}</loc>\n", escape_html(&format!("{base}{}", page.path(site, &lang.code)))));
                for alt in site.languages.iter().filter(|l| !fallback(&l.code)) {
                    xml.push_str(&format!(
                        "    <xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>\n",
                        alt.code,
                        escape_html(&format!("{base}{}", page.path(site, &alt.code)))
                    ));
                }
                xml.push_str("  </url>\n");
            }
        }
        xml.push_str("</urlset>\n");
        Ok(vec![OutputFile::bytes("sitemap.xml", xml)])
    }
}
