//! 署名·印章 (7.3.5, 7.3.6): 发文机关署名, 成文日期 and 印章 (or an order's 签名章), kept
//! together with the last lines of the body, and the 附注 below them.

use gongwen_core::Document;

use crate::fonts::FontRole;
use crate::model::{pt_to_mm, Ink, Item, Seal};
use crate::{Warning, WarningKind};

use super::grid::{cells_of, move_last_lines, Ctx, Origin};
use super::Format;

/// 发文机关署名、成文日期、印章 (7.3.5), keeping the block together with body text.
pub(super) fn block(cx: &mut Ctx, doc: &Document, format: Format) {
    let cfg = cx.cfg;
    let sigs: Vec<&str> = doc
        .issuer_signature
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    let date = doc.date_of_issue.trim();
    if sigs.is_empty() && date.is_empty() {
        return;
    }
    let cell = cfg.cell();
    let size = cfg.body_size_pt;
    let o = |element| Origin::of(element);
    // 纪要 carry no seal (10.3); an order uses the 签名章 (7.3.5.3).
    let sealed = doc.sealed && format != Format::Minutes;
    if doc.sealed && format == Format::Minutes {
        cx.warnings.push(Warning {
            kind: WarningKind::Layout,
            message: "纪要不加盖印章，已忽略“印章”".into(),
            message_en: "minutes carry no seal; the seal was left out".into(),
        });
    }
    // Lines the block needs after the last text line.
    let need = if format == Format::Order {
        4
    } else if sealed {
        5
    } else {
        1 + sigs.len() + 1
    };
    if cx.line + need > cfg.lines_per_page {
        // The block does not fit: never leave it alone on a page (7.3.5) — take the last two
        // text lines with it. (The standard would rather tighten spacing; the grid stays.)
        if cx.line >= 2 && cx.line <= cfg.lines_per_page {
            move_last_lines(cx, 2);
        } else {
            cx.new_page();
        }
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
            cx.text_at(
                &[(sig, FontRole::FangSong)],
                size,
                date_cx - sw / 2.0,
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
