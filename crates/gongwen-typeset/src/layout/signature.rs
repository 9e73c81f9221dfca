//! 署名·印章 (7.3.5, 7.3.6): 发文机关署名, 成文日期 and 印章 (or an order's 签名章), kept
//! on one page with the last lines of the body, and the 附注 below them.

use gongwen_core::Document;

use crate::fonts::FontRole;
use crate::model::{pt_to_mm, Ink, Item, Seal};
use crate::{Warning, WarningKind};

use super::body;
use super::grid::{cells_of, move_last_lines, Ctx, Origin};
use super::Format;

/// Body lines taken onto the next page when the closing does not fit under the body.
const PULLED_LINES: usize = 2;

/// Everything after the 正文 on its page: the 附件说明 (7.3.4), 署名·成文日期·印章 (7.3.5)
/// and the 附注 (7.3.6), kept on one page that also carries body text. `body_start` is the
/// page and grid line where the 正文 began. Returns the attachment names for the 附件 pages.
///
/// A page with the 署名 and 成文日期 but no 正文 would need a 此页无正文 note, which GB/T
/// 9704-2012 7.3.5 does not allow; it asks for the spacing to be adjusted instead. When the
/// closing does not fit under the last body line, the last two body lines go to the next
/// page with it, as a 文印室 does by hand: every line stays on the 22 × 28 grid and in the
/// body size, only the page they leave ends two lines early. Tightening the line pitch
/// instead would take the last page off the grid (and the checker's 22-line rule), and
/// could not make room for a 5-line sealed block anyway.
pub(super) fn closing<'d>(
    cx: &mut Ctx,
    doc: &'d Document,
    format: Format,
    body_start: (usize, usize),
) -> Vec<&'d str> {
    let body_page = cx.pages.len() - 1;
    let body_lines_here = if body_page == body_start.0 {
        cx.line.saturating_sub(body_start.1)
    } else {
        cx.line
    };
    let before = cx.mark();
    let (names, date_page) = place_closing(cx, doc, format);
    let Some(date_page) = date_page else {
        // No 署名 or 成文日期: nothing that must not stand alone.
        return names;
    };
    let last_page = cx.pages.len() - 1;
    if date_page == body_page && last_page == body_page {
        return names;
    }
    // Leave at least one body line behind: the page they come from must not turn blank,
    // and the first page must show 正文 (7.3.3).
    if body_lines_here <= PULLED_LINES {
        unfit(cx);
        return names;
    }
    cx.rewind(&before);
    move_last_lines(cx, PULLED_LINES);
    let page = cx.pages.len() - 1;
    let (names, date_page) = place_closing(cx, doc, format);
    if date_page == Some(page) && cx.pages.len() - 1 == page {
        return names;
    }
    // Even so it does not fit (a 附件说明 or 附注 about a page long): moving lines would
    // only cut a page short, so the body stays as it was.
    cx.rewind(&before);
    let (names, _) = place_closing(cx, doc, format);
    unfit(cx);
    names
}

/// The closing could not share a page with body text; say so rather than print it silently.
fn unfit(cx: &mut Ctx) {
    cx.warnings.push(Warning {
        kind: WarningKind::Layout,
        message: "附件说明、署名、成文日期和附注排不进有正文的一页，成文日期所在页没有正文，请精简附件说明或附注".into(),
        message_en: "the attachment list, signature, date and note do not fit on a page with body text, so the page with the date has none; shorten the attachment list or the note".into(),
    });
}

/// Lays out the closing where the body ended; returns the attachment names and the page
/// of the 成文日期 (or of the 署名 when there is no date), if there is either.
fn place_closing<'d>(
    cx: &mut Ctx,
    doc: &'d Document,
    format: Format,
) -> (Vec<&'d str>, Option<usize>) {
    let names = body::attachment_list(cx, doc);
    let date_page = block(cx, doc, format);
    (names, date_page)
}

/// 发文机关署名、成文日期、印章 (7.3.5) and the 附注 (7.3.6), on the next page when the
/// block does not fit under the text. Returns the page of the date (or the signature).
fn block(cx: &mut Ctx, doc: &Document, format: Format) -> Option<usize> {
    let cfg = cx.cfg;
    let sigs: Vec<&str> = doc
        .issuer_signature
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    // 纪要 carry no seal (10.3), whether or not they are signed.
    if doc.sealed && format == Format::Minutes {
        cx.warnings.push(Warning {
            kind: WarningKind::Layout,
            message: "纪要不加盖印章，已忽略“印章”".into(),
            message_en: "minutes carry no seal; the seal was left out".into(),
        });
    }
    // A 纪要 carries its 成文日期 in the header (see `header::minutes_lines`), not twice.
    let date = if format == Format::Minutes {
        ""
    } else {
        doc.date_of_issue.trim()
    };
    if sigs.is_empty() && date.is_empty() {
        return None;
    }
    let cell = cfg.cell();
    let size = cfg.body_size_pt;
    let o = |element| Origin::of(element);
    // 纪要 carry no seal (10.3); an order uses the 签名章 (7.3.5.3).
    let sealed = doc.sealed && format != Format::Minutes;
    // Lines the block needs after the last text line.
    let need = if format == Format::Order {
        4
    } else if sealed {
        5
    } else {
        1 + sigs.len() + 1
    };
    if cx.line + need > cfg.lines_per_page {
        // The block is never split; `closing` brings body text along to its page.
        cx.new_page();
    }
    let date_w = cells_of(date) * cell;
    if format == Format::Order {
        // 签名章: 2 lines below the body, title indented 2, red stamp to the right; date one
        // line below, right-indented 4.
        cx.line += 1;
        // "市长 刘志强": the title, then the name shown as the red 签名章; a separate 签发人
        // (signers) names the stamp when the signature holds only the title.
        let full = sigs.first().copied().unwrap_or("");
        let (title, name) = match full.split_once(char::is_whitespace) {
            Some((t, n)) => (t.trim(), Some(n.trim())),
            None => (full, doc.signers.first().map(|s| s.trim())),
        };
        let top = cfg.line_top(cx.line);
        let x = cfg.left_mm + 2.0 * cell;
        cx.text_at(
            &[(title, FontRole::FangSong)],
            size,
            x,
            top,
            cell,
            Ink::Black,
            o("签发人职务"),
        );
        if let Some(name) = name.filter(|s| !s.is_empty()) {
            let xs = x + (cells_of(title) + 1.0) * cell;
            cx.text_at(
                &[(name, FontRole::KaiTi)],
                size,
                xs,
                top,
                cell,
                Ink::Red,
                o("签名章"),
            );
            let w = cells_of(name) * cell;
            for (dy, h) in [(-1.5, 0.4), (pt_to_mm(size) + 1.5, 0.4)] {
                cx.rule(xs - 1.5, top + dy, w + 3.0, h, Ink::Red);
            }
        }
        cx.line += 1;
        if !date.is_empty() {
            let top = cfg.line_top(cx.line);
            cx.text_at(
                &[(date, FontRole::FangSong)],
                size,
                cfg.right() - 4.0 * cell - date_w,
                top,
                cell,
                Ink::Black,
                o("成文日期"),
            );
            cx.line += 1;
        }
    } else if sealed {
        // Seal top within one line below the text; signature and date below its centre.
        let last_text_bottom = if cx.line == 0 {
            cfg.top_mm
        } else {
            cfg.line_top(cx.line - 1) + pt_to_mm(size)
        };
        let sig_line = cx.line + 2;
        let date_line = sig_line + 1;
        let date_right = cfg.right() - 4.0 * cell;
        let date_x = date_right - date_w;
        let date_cx = date_x + date_w / 2.0;
        let r = cfg.seal_diameter_mm / 2.0;
        if sigs.len() <= 1 {
            let sig = sigs.first().copied().unwrap_or("");
            let sw = cells_of(sig) * cell;
            let top = cfg.line_top(sig_line);
            // Centred over the date, unless that would run past the 版心 (a 署名 much
            // longer than the date, or a draft with no date yet): then right-indented 2,
            // as an unsealed 署名 is, and never left of the 版心.
            let sig_x = (date_cx - sw / 2.0)
                .min(cfg.right() - 2.0 * cell - sw)
                .max(cfg.left_mm);
            cx.text_at(
                &[(sig, FontRole::FangSong)],
                size,
                sig_x,
                top,
                cell,
                Ink::Black,
                o("发文机关署名"),
            );
            let cy = (last_text_bottom + 2.0 + r).max(top);
            seal(cx, date_cx, cy, r, sig);
        } else {
            // Joint issue: signatures side by side, each seal over its own signature, the last
            // over the signature and the date; seals do not touch.
            let n = sigs.len() as f64;
            let slot = cfg.body_width_mm / n;
            let r = r.min(slot / 2.0 - 1.5);
            let top = cfg.line_top(sig_line);
            for (i, sig) in sigs.iter().enumerate() {
                let scx = if i + 1 == sigs.len() {
                    date_cx.min(cfg.right() - slot / 2.0)
                } else {
                    cfg.left_mm + slot * (i as f64 + 0.5)
                };
                let sw = cells_of(sig) * cell;
                cx.text_at(
                    &[(sig, FontRole::FangSong)],
                    size,
                    scx - sw / 2.0,
                    top,
                    cell,
                    Ink::Black,
                    Origin {
                        element: "发文机关署名",
                        paragraph: i,
                        offset: 0,
                    },
                );
                let cy = (last_text_bottom + 2.0 + r).max(top);
                seal(cx, scx, cy, r, sig);
            }
        }
        if !date.is_empty() {
            let top = cfg.line_top(date_line);
            cx.text_at(
                &[(date, FontRole::FangSong)],
                size,
                date_x,
                top,
                cell,
                Ink::Black,
                o("成文日期"),
            );
        }
        cx.line = date_line + 1;
    } else {
        // Unsealed (7.3.5.2): signature 1 line below, right-indented 2; date below it, its
        // first character 2 characters right of the signature's; a longer date is
        // right-indented 2 and the signature moves left to keep the offset.
        cx.line += 1;
        let sw = sigs.iter().map(|s| cells_of(s)).fold(0.0, f64::max);
        let dw = cells_of(date);
        let (sig_right, date_x) = if dw + 2.0 > sw {
            let dx = cfg.right() - 2.0 * cell - dw * cell;
            (dx - 2.0 * cell + sw * cell, dx)
        } else {
            let sr = cfg.right() - 2.0 * cell;
            (sr, sr - sw * cell + 2.0 * cell)
        };
        for (i, sig) in sigs.iter().enumerate() {
            if cx.line >= cfg.lines_per_page {
                cx.new_page();
            }
            let top = cfg.line_top(cx.line);
            cx.text_at(
                &[(sig, FontRole::FangSong)],
                size,
                sig_right - sw * cell,
                top,
                cell,
                Ink::Black,
                Origin {
                    element: "发文机关署名",
                    paragraph: i,
                    offset: 0,
                },
            );
            cx.line += 1;
        }
        if !date.is_empty() {
            if cx.line >= cfg.lines_per_page {
                cx.new_page();
            }
            let top = cfg.line_top(cx.line);
            cx.text_at(
                &[(date, FontRole::FangSong)],
                size,
                date_x,
                top,
                cell,
                Ink::Black,
                o("成文日期"),
            );
            cx.line += 1;
        }
    }
    let date_page = cx.pages.len() - 1;
    // 附注 (7.3.6): the line below the date, 2-character indent, in round brackets.
    let note = doc.note.trim();
    if !note.is_empty() {
        let text = if note.starts_with('（') {
            note.to_string()
        } else {
            format!("（{note}）")
        };
        let n = text.chars().count();
        cx.paragraph(&text, 2.0, 0.0, &[(n, FontRole::FangSong)], o("附注"));
    }
    Some(date_page)
}

fn seal(cx: &mut Ctx, cx_mm: f64, cy: f64, r: f64, name: &str) {
    let face = cx.fonts.role_face(FontRole::SongTi);
    cx.push(Item::Seal(Seal {
        cx: cx_mm,
        cy,
        radius: r,
        name: name.to_string(),
        face,
    }));
}
