//! A printed table on landscape A4: a title, a header row repeated on every page, rows
//! that grow with their wrapped text and never split across pages, and 第N页 共M页 at
//! the foot. For lists such as the 归档文件目录 (DA/T 22-2015, 附录), drawn into the
//! same page model as the documents, so it is checked and embedded the same way.

use crate::fonts::{FontRole, FontSet};
use crate::linebreak::{break_lines, cells};
use crate::model::{pt_to_mm, Item, Page, PageModel, TextRun};
use crate::paint;
use crate::{Rendered, TypesetError, Warning};

const PAGE_W: f64 = 297.0;
const PAGE_H: f64 = 210.0;
const LEFT: f64 = 20.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 192.0;
const TITLE_PT: f64 = 18.0;
/// 小五 (9 pt): the catalogue has nine columns on one landscape line.
const TEXT_PT: f64 = 9.0;
const LINE_FACTOR: f64 = 1.4;
const PAD_X: f64 = 1.5;
const PAD_Y: f64 = 1.5;
const RULE_MM: f64 = 0.25;
const FRAME_MM: f64 = 0.5;

/// A column: its heading and width in mm. The widths should add up to at most 257 mm
/// (landscape A4 less 20 mm on each side).
pub struct Column<'a> {
    pub heading: &'a str,
    pub width: f64,
}

/// Typesets `rows` (one string per column each) under `title`.
pub fn table_pdf(
    title: &str,
    columns: &[Column<'_>],
    rows: &[Vec<String>],
    fonts: &FontSet,
) -> Result<Rendered, TypesetError> {
    let mut t = Table {
        fonts,
        columns,
        title,
        pages: Vec::new(),
        warnings: fonts.substitutions.clone(),
        y: 0.0,
        table_top: 0.0,
    };
    t.start_page();
    for row in rows {
        let lines = t.lines(row);
        if t.y + height(&lines) > BOTTOM {
            t.end_page();
            t.start_page();
        }
        t.row(&lines, FontRole::FangSong, false);
    }
    t.end_page();
    t.number_pages();
    let model = PageModel {
        width_mm: PAGE_W,
        height_mm: PAGE_H,
        pages: t.pages,
    };
    let pdf = crate::pdf::write_pdf(&model, fonts, title, crate::RedInk::Print)?;
    Ok(Rendered {
        pages: model.pages.len(),
        pdf,
        warnings: t.warnings,
    })
}

/// The height of a row whose cells hold `lines`.
fn height(lines: &[Vec<String>]) -> f64 {
    let most = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
    most as f64 * pt_to_mm(TEXT_PT) * LINE_FACTOR + 2.0 * PAD_Y
}

struct Table<'a> {
    fonts: &'a FontSet,
    columns: &'a [Column<'a>],
    title: &'a str,
    pages: Vec<Page>,
    warnings: Vec<Warning>,
    y: f64,
    table_top: f64,
}

impl Table<'_> {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    fn right(&self) -> f64 {
        LEFT + self.columns.iter().map(|c| c.width).sum::<f64>()
    }

    /// Each cell's text broken to its column.
    fn lines(&self, row: &[String]) -> Vec<Vec<String>> {
        let em = pt_to_mm(TEXT_PT);
        self.columns
            .iter()
            .zip(row.iter().map(String::as_str).chain(std::iter::repeat("")))
            .map(|(c, text)| {
                let room = (c.width - 2.0 * PAD_X) / em;
                let text = text.trim();
                let chars: Vec<char> = text.chars().collect();
                break_lines(text, |_| room)
                    .into_iter()
                    .map(|(a, b)| chars[a..b].iter().collect())
                    .collect()
            })
            .collect()
    }

    fn start_page(&mut self) {
        self.pages.push(Page::default());
        let title = if self.pages.len() > 1 {
            format!("{}（续）", self.title)
        } else {
            self.title.to_string()
        };
        let em = pt_to_mm(TITLE_PT);
        let w: f64 = title.chars().map(cells).sum::<f64>() * em;
        self.text(
            &title,
            FontRole::XiaoBiaoSong,
            TITLE_PT,
            (PAGE_W - w) / 2.0,
            TOP,
        );
        self.y = TOP + em + 6.0;
        self.table_top = self.y;
        self.hrule(self.y, FRAME_MM);
        let headings: Vec<String> = self.columns.iter().map(|c| c.heading.to_string()).collect();
        let lines = self.lines(&headings);
        self.row(&lines, FontRole::HeiTi, true);
    }

    /// One row: its cells' lines, then the rule under it and the column lines beside it.
    fn row(&mut self, lines: &[Vec<String>], role: FontRole, centred: bool) {
        let h = height(lines);
        let em = pt_to_mm(TEXT_PT);
        let mut x = LEFT;
        for (column, cell) in self.columns.iter().zip(lines) {
            for (i, line) in cell.iter().enumerate() {
                let w: f64 = line.chars().map(cells).sum::<f64>() * em;
                let left = if centred {
                    x + (column.width - w) / 2.0
                } else {
                    x + PAD_X
                };
                let top =
                    self.y + PAD_Y + i as f64 * em * LINE_FACTOR + em * (LINE_FACTOR - 1.0) / 2.0;
                self.text(line, role, TEXT_PT, left, top);
            }
            x += column.width;
        }
        let (y0, y1) = (self.y, self.y + h);
        let mut x = LEFT;
        for c in &self.columns[..self.columns.len().saturating_sub(1)] {
            x += c.width;
            self.vrule(x, y0, y1, RULE_MM);
        }
        self.y = y1;
        self.hrule(y1, RULE_MM);
    }

    fn end_page(&mut self) {
        let (top, bottom, right) = (self.table_top, self.y, self.right());
        self.hrule(bottom, FRAME_MM);
        self.vrule(LEFT, top, bottom, FRAME_MM);
        self.vrule(right, top, bottom, FRAME_MM);
    }

    fn number_pages(&mut self) {
        let n = self.pages.len();
        for i in 0..n {
            let text = format!("第{}页 共{}页", i + 1, n);
            let w: f64 = text.chars().map(cells).sum::<f64>() * pt_to_mm(TEXT_PT);
            let run = self.run(
                &text,
                FontRole::SongTi,
                TEXT_PT,
                (PAGE_W - w) / 2.0,
                BOTTOM + 5.0,
            );
            self.pages[i].items.push(Item::Text(run));
        }
    }

    fn hrule(&mut self, y: f64, thickness: f64) {
        let right = self.right();
        self.page()
            .items
            .push(paint::hrule(LEFT, right, y, thickness));
    }

    fn vrule(&mut self, x: f64, y0: f64, y1: f64, thickness: f64) {
        self.page().items.push(paint::vrule(x, y0, y1, thickness));
    }

    fn text(&mut self, text: &str, role: FontRole, size_pt: f64, x: f64, top: f64) {
        let run = self.run(text, role, size_pt, x, top);
        self.page().items.push(Item::Text(run));
    }

    fn run(&mut self, text: &str, role: FontRole, size_pt: f64, x: f64, top: f64) -> TextRun {
        let place = (self.title, "table");
        paint::run(
            self.fonts,
            &mut self.warnings,
            place,
            text,
            role,
            size_pt,
            x,
            top,
        )
    }
}
