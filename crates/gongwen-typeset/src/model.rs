//! The page model: everything placed, in millimetres from the page's top-left corner.
//!
//! Layout writes this once; the PDF writer (and later an OFD writer) only draws it.

use crate::fonts::FaceId;

/// A colour as printed: GB/T 9704 asks for black text and red (Y80 M80) marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ink {
    Black,
    Red,
}

/// One glyph at its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    pub ch: char,
    pub face: FaceId,
    pub glyph_id: u16,
    /// Left edge of the glyph's em box, mm.
    pub x: f64,
    /// Width given to the glyph, mm (its cell on the grid).
    pub advance: f64,
}

/// A run of glyphs on one baseline in one size.
#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    /// Top of the em box, mm from the top of the page.
    pub top: f64,
    pub size_pt: f64,
    pub ink: Ink,
    pub glyphs: Vec<Glyph>,
}

impl TextRun {
    pub fn text(&self) -> String {
        self.glyphs.iter().map(|g| g.ch).collect()
    }
}

/// A horizontal rule (separator line, 版记 lines, 信函 double lines).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub x: f64,
    /// Vertical centre of the line, mm.
    pub y: f64,
    pub width: f64,
    pub thickness: f64,
    pub ink: Ink,
}

/// A drawn seal (印章): red ring, star and the unit's name around the upper arc.
#[derive(Debug, Clone, PartialEq)]
pub struct Seal {
    pub cx: f64,
    pub cy: f64,
    pub radius: f64,
    pub name: String,
    pub face: FaceId,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Text(TextRun),
    Rule(Rule),
    Seal(Seal),
}

/// One page: its printed number (if any) and what is drawn on it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub number: Option<u32>,
    pub items: Vec<Item>,
}

/// A typeset document, ready for any output format.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageModel {
    pub width_mm: f64,
    pub height_mm: f64,
    pub pages: Vec<Page>,
}

pub use gongwen_core::page::{pt_to_mm, PT_PER_MM};
