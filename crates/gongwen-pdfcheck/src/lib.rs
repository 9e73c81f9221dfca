//! The PDF checker behind `gongwen check` and the typesetting tests: reads any PDF back
//! ([`inspect`]: text lines with positions and fonts through poppler's `pdftotext` and
//! `pdffonts`, horizontal rules through `lopdf`) and measures it against GB/T 9704-2012
//! ([`check`]), with the same numbers the typesetter lays out with
//! ([`gongwen_core::page::LayoutConfig`]).
//!
//! Kept apart from `gongwen-typeset` so that the checker judges a PDF only by what can be
//! read back out of it, sharing nothing with the writer but the standard's numbers, and
//! the writer does not link a PDF reader. The only I/O is reading the file and running
//! poppler.

pub mod check;
pub mod inspect;

pub use check::{check_layout, check_pdf, CheckReport, Finding};

/// A PDF that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("cannot read PDF: {0}")]
    Inspect(String),
}
