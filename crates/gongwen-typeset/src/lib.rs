//! GB/T 9704-2012 typesetting: a [`gongwen_core::Document`] becomes an A4 PDF. Checking
//! any PDF against the standard is `gongwen-pdfcheck`'s, with the same page numbers
//! ([`gongwen_core::page::LayoutConfig`]).
//!
//! Layout is computed once into a [`PageModel`] (glyphs on the 22 × 28 grid, rules, seals,
//! all in millimetres); [`pdf`] only draws that model, so an OFD writer can draw the same
//! model later. PDF output uses `krilla` (built on `pdf-writer`): it subsets and embeds
//! CID fonts with a ToUnicode map and takes positioned glyphs, which is exactly what a grid
//! layout needs, without us hand-writing font subsetting.
//!
//! Fonts come from `assets/fonts.toml` (role → family list) via `fontdb`; every
//! substitution and every character no font has is reported in [`Rendered::warnings`].
//!
//! Special formats (GB/T 9704-2012 clause 10) are chosen by [`Format::for_kind`]: a 函
//! (`DocKind::Letter`) uses 信函格式, a 命令（令） (`DocKind::Order`) the 命令格式, a 纪要
//! (`DocKind::Minutes`) the 纪要格式, every other kind the 文件格式. A red-header template's
//! `format` (`assets/templates/*.toml`) or [`RenderOptions::format`] overrides that, e.g. a
//! 通知 sent as a letter. 纪要 attendee lines are body paragraphs beginning 出席：/请假：/列席：;
//! a 纪要's number, organ and date stand under its mark, above the red line.
//!
//! Architecture invariant: no network, no database, no UI. The only I/O is reading
//! installed fonts.

pub mod fonts;
pub mod layout;
pub mod linebreak;
pub mod model;
mod paint;
pub mod pdf;
pub mod sheet;
pub mod table;

pub use fonts::{FontConfig, FontRole, FontSet};
pub use layout::{
    layout, ArchiveStamp, Format, HeaderTemplate, LayoutConfig, RedInk, RenderOptions,
};
pub use model::PageModel;
pub use sheet::{handling_sheet, SheetForm, SheetKind};
pub use table::{table_pdf, Column};

use gongwen_core::Document;

/// Built-in red-header templates (`assets/templates/*.toml`), by file stem.
pub const TEMPLATES: [(&str, &str); 10] = [
    (
        "suzhou-gov",
        include_str!("../../../assets/templates/suzhou-gov.toml"),
    ),
    (
        "suzhou-gov-office",
        include_str!("../../../assets/templates/suzhou-gov-office.toml"),
    ),
    (
        "joint-issue",
        include_str!("../../../assets/templates/joint-issue.toml"),
    ),
    (
        "letter",
        include_str!("../../../assets/templates/letter.toml"),
    ),
    (
        "order",
        include_str!("../../../assets/templates/order.toml"),
    ),
    (
        "minutes",
        include_str!("../../../assets/templates/minutes.toml"),
    ),
    // The demo directory's bureaus, so each unit's clerk finds its own header.
    (
        "sz-fgw",
        include_str!("../../../assets/templates/sz-fgw.toml"),
    ),
    (
        "sz-fgw-letter",
        include_str!("../../../assets/templates/sz-fgw-letter.toml"),
    ),
    (
        "sz-tjj",
        include_str!("../../../assets/templates/sz-tjj.toml"),
    ),
    (
        "sz-tjj-letter",
        include_str!("../../../assets/templates/sz-tjj-letter.toml"),
    ),
];

/// A built-in template by name.
pub fn template(name: &str) -> Result<HeaderTemplate, TypesetError> {
    let (_, text) = TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| TypesetError::UnknownTemplate(name.to_string()))?;
    HeaderTemplate::from_toml(text)
}

#[derive(Debug, thiserror::Error)]
pub enum TypesetError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("no red-header template named `{0}`")]
    UnknownTemplate(String),
    #[error("no installed font for {role} (tried: {families})")]
    FontMissing { role: String, families: String },
    #[error("PDF writer: {0}")]
    Pdf(String),
}

/// What a [`Warning`] is about; the app's preview sorts warnings by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A role's official font is missing; another family is used.
    FontSubstituted,
    /// A character came from a fallback face.
    FallbackGlyph,
    /// A character is in no installed font; it was left blank.
    MissingGlyph,
    /// A layout rule could not be followed exactly.
    Layout,
}

impl WarningKind {
    /// Its name for the app's preview and logs (`font_substituted` …), the same as serde's.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::FontSubstituted => "font_substituted",
            WarningKind::FallbackGlyph => "fallback_glyph",
            WarningKind::MissingGlyph => "missing_glyph",
            WarningKind::Layout => "layout",
        }
    }
}

/// A kind compares equal to its name, as the string the app once got did.
impl PartialEq<&str> for WarningKind {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

/// Something the reader of the PDF should know, said in Chinese for the window and in
/// English for logs and the CLI (as `gongwen_core::Problem` is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub kind: WarningKind,
    /// In Chinese.
    pub message: String,
    /// The same in English.
    pub message_en: String,
}

/// A rendered document.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub pages: usize,
    pub warnings: Vec<Warning>,
}

/// Typesets a document into PDF bytes.
pub fn render(
    doc: &Document,
    fonts: &FontSet,
    opts: &RenderOptions,
) -> Result<Rendered, TypesetError> {
    // The template saved with the document, unless the caller chose one.
    let saved;
    let opts = match doc.template.trim() {
        name if opts.template.is_none() && !name.is_empty() => {
            saved = RenderOptions {
                template: Some(template(name)?),
                ..opts.clone()
            };
            &saved
        }
        _ => opts,
    };
    let (model, warnings) = layout(doc, fonts, opts);
    let pdf = pdf::write_pdf_with(&model, fonts, doc.title.trim(), opts.red, opts.pdf_a)?;
    Ok(Rendered {
        pages: model.pages.len(),
        pdf,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_kind_is_named_as_serde_names_it() {
        use WarningKind::*;
        for kind in [FontSubstituted, FallbackGlyph, MissingGlyph, Layout] {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, serde_json::json!(kind.as_str()));
        }
    }
}
