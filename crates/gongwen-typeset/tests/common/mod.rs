//! Shared by the layout tests: fonts loaded once, fixtures read from tests/fixtures, PDFs
//! rendered to a temp dir and read back with poppler.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use gongwen_core::Document;
use gongwen_pdfcheck::inspect::{inspect, PageText, PdfLayout, TextLine};
use gongwen_typeset::{render, FontConfig, FontSet, RenderOptions, Rendered};

pub const TOL: f64 = 1.0;
/// GB/T 9704 measures, restated here so the tests do not trust the code under test.
pub const LEFT: f64 = 28.0;
pub const RIGHT: f64 = 184.0;
pub const TOP: f64 = 37.0;
pub const BOTTOM: f64 = 262.0;
pub const PITCH: f64 = 225.0 / 22.0;
pub const CELL: f64 = 156.0 / 28.0;
/// 4号 character (page numbers): 14 pt.
pub const SMALL: f64 = 14.0 * 25.4 / 72.0;

pub fn fonts() -> &'static FontSet {
    static FONTS: OnceLock<FontSet> = OnceLock::new();
    FONTS.get_or_init(|| FontSet::load(&FontConfig::default()).expect("fonts installed"))
}

pub fn fixture(name: &str) -> Document {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub struct Out {
    pub rendered: Rendered,
    pub pdf: PdfLayout,
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

pub fn render_with(doc: &Document, opts: &RenderOptions) -> Out {
    let rendered = render(doc, fonts(), opts).expect("render");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, &rendered.pdf).unwrap();
    let pdf = inspect(&path).expect("inspect");
    Out {
        rendered,
        pdf,
        path,
        _dir: dir,
    }
}

pub fn render_fixture(name: &str) -> Out {
    render_with(&fixture(name), &RenderOptions::default())
}

pub fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOL
}

#[track_caller]
pub fn assert_mm(what: &str, got: f64, want: f64) {
    assert!(
        near(got, want),
        "{what}: {got:.2} mm, expected {want:.2} ± {TOL} mm"
    );
}

/// The line whose text contains `needle`.
#[track_caller]
pub fn line<'a>(page: &'a PageText, needle: &str) -> &'a TextLine {
    page.lines
        .iter()
        .find(|l| l.text().contains(needle))
        .unwrap_or_else(|| {
            let all: Vec<String> = page.lines.iter().map(|l| l.text()).collect();
            panic!("no line containing {needle:?} on page; lines: {all:#?}")
        })
}

pub fn page_number_line(page: &PageText) -> Option<&TextLine> {
    page.lines.iter().find(|l| {
        let t: String = l.text().chars().filter(|c| !c.is_whitespace()).collect();
        t.starts_with('—')
            && t.ends_with('—')
            && t.chars().filter(|c| c.is_ascii_digit()).count() > 0
    })
}

/// Body lines: 3号 text rows below `after_y`, excluding the page number.
pub fn body_rows(page: &PageText, after_y: f64) -> Vec<&TextLine> {
    page.lines
        .iter()
        .filter(|l| l.y_min > after_y && page_number_line_is_not(page, l))
        .filter(|l| ((l.y_max - l.y_min) - 16.0 * 25.4 / 72.0).abs() < 0.3)
        .collect()
}

fn page_number_line_is_not(page: &PageText, l: &TextLine) -> bool {
    page_number_line(page).is_none_or(|p| p != l)
}

pub fn is_full_width(c: char) -> bool {
    !c.is_ascii()
}

/// Asserts every GB/T 9704 page-number rule on each numbered page.
#[track_caller]
pub fn assert_page_numbers(pdf: &PdfLayout) {
    for (i, page) in pdf.pages.iter().enumerate() {
        let Some(l) = page_number_line(page) else {
            continue;
        };
        let n: u32 = l
            .text()
            .chars()
            .filter(|c| c.is_ascii_digit())
            .collect::<String>()
            .parse()
            .unwrap();
        assert_eq!(n as usize, i + 1, "page {} is numbered {n}", i + 1);
        assert_mm("page number row centre", l.centre_y(), BOTTOM + 7.0);
        if n % 2 == 1 {
            assert_mm("odd page number right end", l.x_max, RIGHT - SMALL);
        } else {
            assert_mm("even page number left end", l.x_min, LEFT + SMALL);
        }
    }
}

/// Fonts embedded, subset and with ToUnicode.
#[track_caller]
pub fn assert_fonts(pdf: &PdfLayout) {
    assert!(!pdf.fonts.is_empty());
    for f in &pdf.fonts {
        assert!(f.embedded && f.subset && f.unicode, "font {f:?}");
    }
}

/// Every line of body text sits inside the 版心.
#[track_caller]
pub fn assert_inside_type_area(pdf: &PdfLayout, skip_first_page_above: f64) {
    for (i, page) in pdf.pages.iter().enumerate() {
        for l in &page.lines {
            if page_number_line(page).is_some_and(|p| p == l) {
                continue;
            }
            if i == 0 && l.y_max < skip_first_page_above {
                continue;
            }
            assert!(
                l.x_min >= LEFT - TOL
                    && l.x_max <= RIGHT + TOL
                    && l.y_min >= TOP - TOL
                    && l.y_max <= BOTTOM + TOL,
                "page {}: {:?} outside the 版心 ({:.1},{:.1})–({:.1},{:.1})",
                i + 1,
                l.text(),
                l.x_min,
                l.y_min,
                l.x_max,
                l.y_max
            );
        }
    }
}

/// Text comes out in reading order: each needle after the previous one.
#[track_caller]
pub fn assert_reading_order(pdf: &PdfLayout, needles: &[&str]) {
    let text = pdf.text().replace('\n', "");
    let mut from = 0;
    for n in needles {
        let at = text[from..]
            .find(n)
            .unwrap_or_else(|| panic!("{n:?} not found in order in: {text}"));
        from += at + n.len();
    }
}
