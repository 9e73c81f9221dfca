//! 版记 (7.4): 抄送机关, 印发机关和印发日期 and their separator lines, at the foot of the
//! last even page; it also decides how many pages carry a page number.

use gongwen_core::Document;

use crate::fonts::FontRole;
use crate::linebreak::break_lines;
use crate::model::{pt_to_mm, Ink};

use super::grid::{cells_of, Ctx, Origin};
use super::Format;

/// Places the 版记 on the last even page and returns how many pages carry numbers.
pub(super) fn place(cx: &mut Ctx, doc: &Document, format: Format) -> usize {
    let cfg = cx.cfg;
    let cc: Vec<&str> = doc
        .cc_recipients
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    let office = doc.printing_office.trim();
    let pdate = doc.printing_date.trim();
    let with_printing = format != Format::Letter && !(office.is_empty() && pdate.is_empty());
    if cc.is_empty() && !with_printing {
        return cx.pages.len();
    }
    // 版记 rows in 4号, one grid line each, counted up from the 版心 bottom.
    let small = pt_to_mm(cfg.small_size_pt);
    let cc_text = if cc.is_empty() {
        String::new()
    } else {
        format!("抄送：{}。", cc.join("，"))
    };
    let avail = cfg.body_width_mm / small - 2.0;
    let cc_lines = if cc_text.is_empty() {
        Vec::new()
    } else {
        let chars: Vec<char> = cc_text.chars().collect();
        break_lines(&cc_text, |i| if i == 0 { avail } else { avail - 3.0 })
            .into_iter()
            .map(|(a, b)| chars[a..b].iter().collect::<String>())
            .collect()
    };
    let rows = cc_lines.len() + usize::from(with_printing);
    let last = cx.pages.len(); // 1-based number of the last content page
    let fits = cx.line + rows <= cfg.lines_per_page;
    let mut numbered = cx.pages.len();
    // (`last % 2 != 1`: `is_multiple_of` is newer than the workspace's rust-version.)
    if last % 2 != 1 && fits {
        // On this even page.
    } else if last % 2 == 1 {
        cx.new_page();
        numbered = cx.pages.len();
    } else {
        // Even page without room: a blank odd page, then the 版记 page; neither is numbered.
        cx.new_page();
        cx.new_page();
    }
    let pitch = cfg.pitch();
    let bottom = cfg.bottom();
    let x_in = cfg.left_mm + small;
    let mut row_top = bottom - rows as f64 * pitch;
    let rule = cfg.colophon_rules && format != Format::Letter;
    if rule {
        cx.rule(cfg.left_mm, row_top, cfg.body_width_mm, 0.35, Ink::Black);
    }
    let o = |element| Origin::of(element);
    for (i, l) in cc_lines.iter().enumerate() {
        let top = row_top + (pitch - small) / 2.0;
        let x = if i == 0 { x_in } else { x_in + 3.0 * small };
        cx.text_at(
            &[(l, FontRole::FangSong)],
            cfg.small_size_pt,
            x,
            top,
            small,
            Ink::Black,
            o("抄送机关"),
        );
        row_top += pitch;
    }
    if with_printing {
        if rule && !cc_lines.is_empty() {
            cx.rule(cfg.left_mm, row_top, cfg.body_width_mm, 0.25, Ink::Black);
        }
        let top = row_top + (pitch - small) / 2.0;
        if !office.is_empty() {
            cx.text_at(
                &[(office, FontRole::FangSong)],
                cfg.small_size_pt,
                x_in,
                top,
                small,
                Ink::Black,
                o("印发机关"),
            );
        }
        if !pdate.is_empty() {
            let text = if pdate.ends_with("印发") {
                pdate.to_string()
            } else {
                format!("{pdate}印发")
            };
            let w = cells_of(&text) * small;
            cx.text_at(
                &[(&text, FontRole::FangSong)],
                cfg.small_size_pt,
                cfg.right() - small - w,
                top,
                small,
                Ink::Black,
                o("印发日期"),
            );
        }
    }
    if rule {
        cx.rule(cfg.left_mm, bottom, cfg.body_width_mm, 0.35, Ink::Black);
    }
    numbered
}
