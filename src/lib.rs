//! dars: a static site generator for a bilingual (French / Arabic) training programme.
//!
//! The pipeline has one module per stage: [`load`] (walk and front matter) → [`model`]
//! (programme, days, lessons, translations) → [`render`] (Markdown, highlighting,
//! templates; one [`render::Renderer`] per output) → [`write`] (staged, journaled publish).

pub mod bidi;
pub mod build;
pub mod cache;
pub mod calendar;
pub mod check;
pub mod corpus;
pub mod error;
pub mod highlight;
pub mod i18n;
pub mod limits;
pub mod linkcheck;
pub mod load;
pub mod markdown;
pub mod materials;
pub mod model;
pub mod normalise;
pub mod pack;
pub mod rawhtml;
pub mod render;
pub mod scaffold;
pub mod serve;
pub mod session;
pub mod theme;
pub mod translation;
pub mod typography;
pub mod write;
pub mod yaml;

pub use build::{BuildOptions, BuildReport, Builder};
pub use error::{Diagnostic, Diagnostics};
