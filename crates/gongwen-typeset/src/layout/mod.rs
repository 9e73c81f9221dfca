//! Document → [`PageModel`] by the rules of GB/T 9704-2012 (clauses cited inline).
//!
//! [`layout`] strings the parts of a page together in the standard's order: the 版头
//! (`header`), the 主体 (`body`), 署名·印章 (`signature`), the 附件 pages, the 版记
//! (`colophon`) and the page numbers, all drawn on the line grid of the 版心 (`grid`).

mod body;
mod colophon;
mod grid;
mod header;
mod signature;
mod stamp;

use gongwen_core::{DocKind, Document};
use serde::Deserialize;

pub use gongwen_core::page::LayoutConfig;

use crate::fonts::FontSet;
use crate::model::{Item, Page, PageModel};
use crate::Warning;

pub use body::split_title;
use grid::{page_number_run, Ctx};
pub use header::HeaderTemplate;
pub use stamp::ArchiveStamp;

/// Which of the layouts of GB/T 9704-2012 a document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// 文件格式 (clause 7): the ordinary layout.
    #[default]
    Document,
    /// 信函格式 (10.1).
    Letter,
    /// 命令（令）格式 (10.2).
    Order,
    /// 纪要格式 (10.3).
    Minutes,
}

impl Format {
    /// A 函 uses 信函格式, a 命令 the 命令格式, a 纪要 the 纪要格式; everything else 文件格式.
    pub fn for_kind(kind: DocKind) -> Format {
        match kind {
            DocKind::Letter => Format::Letter,
            DocKind::Order => Format::Order,
            DocKind::Minutes => Format::Minutes,
            _ => Format::Document,
        }
    }
}

/// What decides the layout of one render.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub layout: LayoutConfig,
    /// Red header; `None` takes the document's `issuer_mark`.
    pub template: Option<HeaderTemplate>,
    /// Overrides the format chosen from the template or the kind.
    pub format: Option<Format>,
    /// How the red is written: CMYK for paper and files, RGB for the app's preview.
    pub red: RedInk,
    /// The 归档章 of a filed 正本, on the first page (DA/T 22-2015).
    pub archive_stamp: Option<ArchiveStamp>,
    /// Write PDF/A-2b, the archive's long-term format ([`crate::pdf::write_pdf_with`]).
    pub pdf_a: bool,
}

/// The red of the header, the separator and the seal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RedInk {
    /// C0 M80 Y80 K0, as GB/T 9704 asks of the printer: files, exports, the CLI.
    #[default]
    Print,
    /// The sRGB a PDF viewer shows for that CMYK. The app's preview and its 打印 draw
    /// pages with pdf.js, whose own CMYK conversion turns the red orange; this is only
    /// for those pages, never for a file the user keeps.
    Screen,
}

/// Lays out a document.
pub fn layout(doc: &Document, fonts: &FontSet, opts: &RenderOptions) -> (PageModel, Vec<Warning>) {
    let cfg = &opts.layout;
    let format = opts
        .format
        .or(opts.template.as_ref().map(|t| t.format))
        .unwrap_or_else(|| Format::for_kind(doc.kind));
    let template = opts
        .template
        .clone()
        .unwrap_or_else(|| HeaderTemplate::from_document(doc, format));
    let mut cx = Ctx {
        cfg,
        fonts,
        pages: vec![Page::default()],
        line: 0,
        warnings: Vec::new(),
    };
    cx.warnings.extend(fonts.substitutions.iter().cloned());

    // ---- 版头 ----
    match format {
        Format::Document | Format::Minutes => header::document(&mut cx, doc, &template, format),
        Format::Letter => header::letter(&mut cx, doc, &template),
        Format::Order => header::order(&mut cx, doc, &template),
    }

    // ---- 主体 ----
    body::title(&mut cx, doc, &template, format);
    body::main_recipients(&mut cx, doc);
    let body_start = (cx.pages.len() - 1, cx.line);
    body::paragraphs(&mut cx, doc, format);
    let names = signature::closing(&mut cx, doc, format, body_start);

    // ---- 附件 pages (7.3.7) ----
    body::attachment_pages(&mut cx, &names);

    // ---- 版记 (7.4) and page numbers (7.5) ----
    let numbered_until = colophon::place(&mut cx, doc, format);
    for (i, page) in cx.pages.iter_mut().enumerate() {
        let first_letter_page = format == Format::Letter && i == 0;
        if i < numbered_until && !first_letter_page {
            page.number = Some(i as u32 + 1);
        }
    }
    if let Some(stamp) = &opts.archive_stamp {
        let count = cx.pages.len();
        stamp::draw(&mut cx, stamp, count);
    }
    let pages = std::mem::take(&mut cx.pages);
    let mut model = PageModel {
        width_mm: cfg.page_width_mm,
        height_mm: cfg.page_height_mm,
        pages,
    };
    for i in 0..model.pages.len() {
        if let Some(n) = model.pages[i].number {
            let run = page_number_run(&mut cx, n);
            model.pages[i].items.push(Item::Text(run));
        }
    }
    (model, cx.warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_choose_their_special_format() {
        assert_eq!(Format::for_kind(DocKind::Letter), Format::Letter);
        assert_eq!(Format::for_kind(DocKind::Order), Format::Order);
        assert_eq!(Format::for_kind(DocKind::Minutes), Format::Minutes);
        assert_eq!(Format::for_kind(DocKind::Notice), Format::Document);
        assert_eq!(Format::for_kind(DocKind::Request), Format::Document);
    }
}
