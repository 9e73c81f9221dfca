//! The 归档章 (DA/T 22-2015 6.3): six cells of 15 × 8 mm in red, in the blank top
//! margin of the first page, centred, above the 版心 so it covers no text. Top row:
//! 全宗号, 年度, 件号; bottom row: 机构（问题）, 保管期限, 页数. For a filed 正本 only;
//! what it says comes from the filing, the page count from this layout.

use crate::fonts::FontRole;
use crate::linebreak::cells;
use crate::model::{pt_to_mm, Ink, Item, Rule};

use super::grid::{Ctx, Origin};

/// What the 归档章 of a filed document says (the 页数 is counted by layout).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveStamp {
    /// 全宗号, e.g. `Z109`.
    pub fonds: String,
    /// 年度, e.g. `2026`.
    pub year: String,
    /// 件号, e.g. `0001`.
    pub item: String,
    /// 机构（问题）代码, e.g. `BGS`; empty when the scheme has none.
    pub org: String,
    /// 保管期限 as written on paper: 永久, 30年, 10年.
    pub retention: String,
}

/// One cell of the stamp.
pub const CELL_WIDTH_MM: f64 = 15.0;
pub const CELL_HEIGHT_MM: f64 = 8.0;
/// 六号 (7.5 pt): 定期30年's five characters fit a 15 mm cell.
const TEXT_PT: f64 = 7.5;
const LINE_MM: f64 = 0.3;

/// Draws the stamp on the first page; `pages` is the 正本's page count.
pub(super) fn draw(cx: &mut Ctx<'_>, stamp: &ArchiveStamp, pages: usize) {
    let width = 3.0 * CELL_WIDTH_MM;
    let height = 2.0 * CELL_HEIGHT_MM;
    let left = (cx.cfg.page_width_mm - width) / 2.0;
    // Centred in the 天头 above the 版心.
    let top = (cx.cfg.top_mm - height) / 2.0;
    let pages = pages.to_string();
    let rows = [
        [
            stamp.fonds.as_str(),
            stamp.year.as_str(),
            stamp.item.as_str(),
        ],
        [stamp.org.as_str(), stamp.retention.as_str(), pages.as_str()],
    ];
    let mut items = Vec::new();
    for i in 0..=2 {
        let y = top + i as f64 * CELL_HEIGHT_MM;
        items.push(Item::Rule(Rule {
            x: left,
            y,
            width,
            thickness: LINE_MM,
            ink: Ink::Red,
        }));
    }
    for i in 0..=3 {
        // A vertical line is a rule as thin as it is tall (the model has only rules).
        let x = left + i as f64 * CELL_WIDTH_MM;
        items.push(Item::Rule(Rule {
            x: x - LINE_MM / 2.0,
            y: top + height / 2.0,
            width: LINE_MM,
            thickness: height,
            ink: Ink::Red,
        }));
    }
    let em = pt_to_mm(TEXT_PT);
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            let text_width: f64 = text.chars().map(|ch| cells(ch) * em).sum();
            let x = left + c as f64 * CELL_WIDTH_MM + (CELL_WIDTH_MM - text_width) / 2.0;
            let y = top + r as f64 * CELL_HEIGHT_MM + (CELL_HEIGHT_MM - em) / 2.0;
            let run = cx.run(
                text,
                FontRole::SongTi,
                TEXT_PT,
                x,
                y,
                em,
                Ink::Red,
                Origin::of("归档章"),
            );
            items.push(Item::Text(run));
        }
    }
    if let Some(first) = cx.pages.first_mut() {
        first.items.extend(items);
    }
}
