//! 版头 (7.2): the red-header template, and 份号, 密级和保密期限, 紧急程度, 发文机关标志,
//! 发文字号, 签发人 and the red separator line, in the 文件, 信函 and 命令 formats.

use gongwen_core::{order_number, Direction, DocNumber, Document, Urgency};
use serde::Deserialize;

use crate::fonts::FontRole;
use crate::linebreak::cells;
use crate::model::{pt_to_mm, Ink};

use super::grid::{cells_of, line_at_or_below, Ctx, Origin};
use super::Format;

/// A red-header template (`assets/templates/*.toml`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct HeaderTemplate {
    pub name: String,
    #[serde(default)]
    pub format: Format,
    /// 发文机关标志 names, one per organ; the lead organ first.
    pub marks: Vec<String>,
    /// Word set after the names ("文件"); for several organs it stands to the right.
    #[serde(default)]
    pub suffix: String,
    #[serde(default = "default_mark_size")]
    pub font_size_pt: f64,
}

fn default_mark_size() -> f64 {
    42.0
}

impl HeaderTemplate {
    pub fn from_toml(text: &str) -> Result<HeaderTemplate, crate::TypesetError> {
        let t: HeaderTemplate = toml::from_str(text)
            .map_err(|e| crate::TypesetError::Config(format!("template: {e}")))?;
        if t.marks.iter().all(|m| m.trim().is_empty()) {
            return Err(crate::TypesetError::Config(format!(
                "template `{}`: `marks` is empty",
                t.name
            )));
        }
        Ok(t)
    }

    /// The 发文机关标志 lines a document takes from this template, one per organ, each
    /// with the suffix (宿州市人民政府文件); [`HeaderTemplate::from_document`] reads them
    /// back into the same names and suffix.
    pub fn issuer_mark(&self) -> Vec<String> {
        let suffix = self.suffix.trim();
        self.marks
            .iter()
            .map(|m| m.trim())
            .filter(|m| !m.is_empty())
            .map(|m| format!("{m}{suffix}"))
            .collect()
    }

    /// A template from the document's own 发文机关标志 lines: a trailing 文件 of several
    /// organs becomes the shared suffix.
    pub fn from_document(doc: &Document, format: Format) -> HeaderTemplate {
        let marks: Vec<String> = doc
            .issuer_mark
            .iter()
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect();
        let mut suffix = String::new();
        let mut names = marks.clone();
        if marks.len() > 1 && marks.iter().any(|m| m.ends_with("文件")) {
            suffix = "文件".into();
            names = marks
                .iter()
                .map(|m| m.trim_end_matches("文件").to_string())
                .collect();
        }
        let size = match format {
            Format::Letter => 30.0,
            _ if names.len() > 1 => 30.0,
            _ => 42.0,
        };
        HeaderTemplate {
            name: marks.join(" "),
            format,
            marks: names,
            suffix,
            font_size_pt: size,
        }
    }
}

/// The 发文机关标志 block, top edge at `top`; returns its bottom.
fn mark_block(cx: &mut Ctx, t: &HeaderTemplate, top: f64) -> f64 {
    let cfg = cx.cfg;
    let names: Vec<&str> = t
        .marks
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if names.is_empty() {
        return top;
    }
    let origin = Origin::of("发文机关标志");
    let suffix = t.suffix.trim();
    let longest = names.iter().map(|n| cells_of(n)).fold(0.0, f64::max);
    if names.len() == 1 {
        let text = format!("{}{}", names[0], suffix);
        // The organ chooses the size; it is reduced only as far as the 版心 width demands.
        let size = t
            .font_size_pt
            .min(cfg.body_width_mm / cells_of(&text) * crate::model::PT_PER_MM);
        let cell = pt_to_mm(size);
        let w = Ctx::text_width(&text, cell);
        let x = cfg.left_mm + (cfg.body_width_mm - w) / 2.0;
        cx.text_at(
            &[(&text, FontRole::XiaoBiaoSong)],
            size,
            x,
            top,
            cell,
            Ink::Red,
            origin,
        );
        return top + cell;
    }
    // 联合行文: names stacked, each spread to the longest name's width; the suffix to the
    // right, vertically centred on the stack (7.2.4).
    let gap = 0.5;
    let total_cells = longest + gap + cells_of(suffix);
    let size = t
        .font_size_pt
        .min(cfg.body_width_mm / total_cells * crate::model::PT_PER_MM);
    let cell = pt_to_mm(size);
    let line_h = cell * 1.25;
    let block_w = total_cells * cell;
    let x0 = cfg.left_mm + (cfg.body_width_mm - block_w) / 2.0;
    let col_w = longest * cell;
    for (i, name) in names.iter().enumerate() {
        let n = name.chars().count();
        let w = cells_of(name) * cell;
        // Spread the characters so every name fills the column (分散对齐).
        let extra = if n > 1 {
            (col_w - w) / (n - 1) as f64
        } else {
            0.0
        };
        let mut x = x0;
        let y = top + i as f64 * line_h;
        for (ci, ch) in name.chars().enumerate() {
            let s = ch.to_string();
            cx.text_at(
                &[(&s, FontRole::XiaoBiaoSong)],
                size,
                x,
                y,
                cell,
                Ink::Red,
                Origin {
                    paragraph: i,
                    offset: ci,
                    ..origin
                },
            );
            x += cells(ch) * cell + extra;
        }
    }
    let stack_h = (names.len() - 1) as f64 * line_h + cell;
    if !suffix.is_empty() {
        let y = top + (stack_h - cell) / 2.0;
        cx.text_at(
            &[(suffix, FontRole::XiaoBiaoSong)],
            size,
            x0 + col_w + gap * cell,
            y,
            cell,
            Ink::Red,
            origin,
        );
    }
    top + stack_h
}

fn top_stack(doc: &Document) -> Vec<(String, FontRole, &'static str)> {
    let mut v = Vec::new();
    if !doc.copy_number.trim().is_empty() {
        v.push((
            doc.copy_number.trim().to_string(),
            FontRole::FangSong,
            "份号",
        ));
    }
    let c = doc.classification_line();
    if !c.is_empty() {
        v.push((c, FontRole::HeiTi, "密级和保密期限"));
    }
    if doc.urgency != Urgency::Normal {
        v.push((doc.urgency.label().to_string(), FontRole::HeiTi, "紧急程度"));
    }
    v
}

/// 文件格式 (7.2; 纪要 too): 份号 and the rest on the grid, the mark, 发文字号 and 签发人
/// (a 纪要's number, organ and date instead), the red separator; the title starts two
/// lines below it.
pub(super) fn document(cx: &mut Ctx, doc: &Document, t: &HeaderTemplate, format: Format) {
    let cfg = cx.cfg;
    for (text, role, element) in top_stack(doc) {
        cx.grid_line(&[(&text, role)], 0.0, Origin::of(element));
    }
    let mark_bottom = mark_block(cx, t, cfg.top_mm + cfg.mark_offset_mm);
    // 发文字号 two lines below the mark (空二行).
    cx.line = line_at_or_below(cfg, mark_bottom) + 2;
    let number = doc.doc_number.trim();
    let signers: Vec<&str> = doc
        .signers
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    let upward =
        doc.direction == Direction::Upward && !signers.is_empty() && format == Format::Document;
    let origin = Origin::of("发文字号");
    if format == Format::Minutes {
        minutes_lines(cx, doc);
    } else if upward {
        // 签发人 right with a 1-character right indent, two names per line; the 发文字号
        // left with a 1-character indent on the line of the last signer (7.2.6).
        let rows: Vec<Vec<&str>> = signers.chunks(2).map(|c| c.to_vec()).collect();
        let label = "签发人：";
        let widest = rows
            .iter()
            .map(|r| cells_of(&r.join("\u{3000}")))
            .fold(0.0, f64::max);
        let block_cells = cells_of(label) + widest;
        let x_label = cfg.right() - cfg.cell() * (1.0 + block_cells);
        let n_rows = rows.len();
        for (ri, row) in rows.into_iter().enumerate() {
            let top = cfg.line_top(cx.line);
            let names = row.join("\u{3000}");
            let (size, cell) = (cfg.body_size_pt, cfg.cell());
            if ri == 0 {
                cx.text_at(
                    &[(label, FontRole::FangSong)],
                    size,
                    x_label,
                    top,
                    cell,
                    Ink::Black,
                    origin,
                );
            }
            let xn = x_label + cells_of(label) * cell;
            cx.text_at(
                &[(&names, FontRole::KaiTi)],
                size,
                xn,
                top,
                cell,
                Ink::Black,
                Origin {
                    element: "签发人",
                    ..origin
                },
            );
            if ri + 1 == n_rows && !number.is_empty() {
                cx.text_at(
                    &[(number, FontRole::FangSong)],
                    size,
                    cfg.left_mm + cell,
                    top,
                    cell,
                    Ink::Black,
                    origin,
                );
            }
            cx.line += 1;
        }
    } else if !number.is_empty() {
        let w = Ctx::text_width(number, cfg.cell());
        let top = cfg.line_top(cx.line);
        let x = cfg.left_mm + (cfg.body_width_mm - w) / 2.0;
        cx.text_at(
            &[(number, FontRole::FangSong)],
            cfg.body_size_pt,
            x,
            top,
            cfg.cell(),
            Ink::Black,
            origin,
        );
        cx.line += 1;
    } else {
        cx.line += 1;
    }
    // Red separator 4 mm below the 发文字号, as wide as the 版心 (7.2.7).
    let number_bottom = cfg.line_top(cx.line - 1) + pt_to_mm(cfg.body_size_pt);
    let y = number_bottom + cfg.separator_gap_mm;
    cx.rule(
        cfg.left_mm,
        y,
        cfg.body_width_mm,
        cfg.separator_thickness_mm,
        Ink::Red,
    );
    // 标题 two lines below the separator (空二行).
    cx.line = line_at_or_below(cfg, y) + 2;
}

/// The 纪要's number, organ and date under its mark (10.3, as practice prints it; the
/// standard leaves the rest of the 纪要 format to practice): the number centred on the
/// grid line two lines below the mark, then one line down the organ left and the 成文日期
/// right, each indented one character like the 印发 row of the 版记. Leaves `cx.line` on
/// the line after the last row, for the separator.
fn minutes_lines(cx: &mut Ctx, doc: &Document) {
    let cfg = cx.cfg;
    let (size, cell) = (cfg.body_size_pt, cfg.cell());
    let number = minutes_number(&doc.doc_number);
    if let Some(number) = &number {
        let w = Ctx::text_width(number, cell);
        let top = cfg.line_top(cx.line);
        cx.text_at(
            &[(number, FontRole::FangSong)],
            size,
            cfg.left_mm + (cfg.body_width_mm - w) / 2.0,
            top,
            cell,
            Ink::Black,
            Origin::of("发文字号"),
        );
        cx.line += 1;
    }
    // The organ that issues the minutes is its office, the same as the 印发机关; a 纪要
    // has no 发文机关署名 as a rule, but one written is the next best name.
    let organ = Some(doc.printing_office.trim())
        .filter(|s| !s.is_empty())
        .or_else(|| {
            doc.issuer_signature
                .iter()
                .map(|s| s.trim())
                .find(|s| !s.is_empty())
        })
        .unwrap_or("");
    let date = doc.date_of_issue.trim();
    let top = cfg.line_top(cx.line);
    if !organ.is_empty() {
        cx.text_at(
            &[(organ, FontRole::FangSong)],
            size,
            cfg.left_mm + cell,
            top,
            cell,
            Ink::Black,
            Origin::of("印发机关"),
        );
    }
    if !date.is_empty() {
        let w = Ctx::text_width(date, cell);
        cx.text_at(
            &[(date, FontRole::FangSong)],
            size,
            cfg.right() - cell - w,
            top,
            cell,
            Ink::Black,
            Origin::of("成文日期"),
        );
    }
    // With nothing at all an empty row keeps the separator's place, as in 文件格式.
    if !organ.is_empty() || !date.is_empty() || number.is_none() {
        cx.line += 1;
    }
}

/// A 纪要 is numbered in its own series, which its mark already names, so the header
/// prints the serial as （第21号） from the 发文字号 宿政纪〔2026〕21号 (or 第21号). A number
/// that reads as neither is printed as typed, in round brackets, for the writer to see.
fn minutes_number(typed: &str) -> Option<String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return None;
    }
    let serial = typed
        .parse::<DocNumber>()
        .ok()
        .map(|n| n.serial())
        .or_else(|| order_number(typed));
    Some(match serial {
        Some(n) => format!("（第{n}号）"),
        None if typed.starts_with('（') => typed.to_string(),
        None => format!("（{typed}）"),
    })
}

/// 信函格式 (10.1): mark 30 mm from the paper top, red double lines 170 mm long.
pub(super) fn letter(cx: &mut Ctx, doc: &Document, t: &HeaderTemplate) {
    let cfg = cx.cfg;
    let lead = HeaderTemplate {
        marks: t.marks.iter().take(1).cloned().collect(),
        suffix: String::new(),
        ..t.clone()
    };
    let bottom = mark_block(cx, &lead, 30.0);
    let x = (cfg.page_width_mm - 170.0) / 2.0;
    // 上粗下细: thick 1.0 mm over thin 0.35 mm, 0.8 mm apart (widths are practice, not text).
    let y1 = bottom + 4.0;
    cx.rule(x, y1, 170.0, 1.0, Ink::Red);
    cx.rule(x, y1 + 1.2, 170.0, 0.35, Ink::Red);
    // 上细下粗 20 mm above the paper bottom.
    let yb = cfg.page_height_mm - 20.0;
    cx.rule(x, yb - 1.2, 170.0, 0.35, Ink::Red);
    cx.rule(x, yb, 170.0, 1.0, Ink::Red);
    // 份号 … flush left, 发文字号 flush right, 7/8 of a 3号 character below the double line.
    let first_top = y1 + 1.2 + 0.175 + pt_to_mm(cfg.body_size_pt) * 7.0 / 8.0;
    let (size, cell) = (cfg.body_size_pt, cfg.cell());
    let stack = top_stack(doc);
    let mut y = first_top;
    for (text, role, element) in &stack {
        cx.text_at(
            &[(text, *role)],
            size,
            cfg.left_mm,
            y,
            cell,
            Ink::Black,
            Origin::of(element),
        );
        y += cfg.pitch();
    }
    let number = doc.doc_number.trim();
    if !number.is_empty() {
        let w = Ctx::text_width(number, cell);
        cx.text_at(
            &[(number, FontRole::FangSong)],
            size,
            cfg.right() - w,
            first_top,
            cell,
            Ink::Black,
            Origin::of("发文字号"),
        );
    }
    let rows = stack.len().max(usize::from(!number.is_empty()));
    let last_bottom = first_top + rows.saturating_sub(1) as f64 * cfg.pitch() + pt_to_mm(size);
    // Title two lines below the last element (空二行), back on the grid.
    cx.line = line_at_or_below(cfg, last_bottom) + 2;
}

/// 命令（令）格式 (10.2): mark 20 mm below the 版心 top, 令号 and body two lines apart.
pub(super) fn order(cx: &mut Ctx, doc: &Document, t: &HeaderTemplate) {
    let cfg = cx.cfg;
    for (text, role, element) in top_stack(doc) {
        cx.grid_line(&[(&text, role)], 0.0, Origin::of(element));
    }
    let bottom = mark_block(cx, t, cfg.top_mm + 20.0);
    cx.line = line_at_or_below(cfg, bottom) + 2;
    let number = doc.doc_number.trim();
    if !number.is_empty() {
        let w = Ctx::text_width(number, cfg.cell());
        let top = cfg.line_top(cx.line);
        cx.text_at(
            &[(number, FontRole::FangSong)],
            cfg.body_size_pt,
            cfg.left_mm + (cfg.body_width_mm - w) / 2.0,
            top,
            cfg.cell(),
            Ink::Black,
            Origin::of("令号"),
        );
        cx.line += 1;
    }
    cx.line += 2;
}

#[cfg(test)]
mod tests {
    use gongwen_core::DocKind;

    use super::*;

    #[test]
    fn every_built_in_template_and_the_font_table_parse() {
        for (name, _) in crate::TEMPLATES {
            let t = crate::template(name).unwrap();
            assert!(!t.marks.is_empty(), "{name}");
        }
        assert_eq!(crate::template("joint-issue").unwrap().marks.len(), 3);
        assert_eq!(crate::template("letter").unwrap().format, Format::Letter);
        assert!(crate::template("nope").is_err());
        let cfg = crate::FontConfig::from_toml(crate::fonts::DEFAULT_FONTS_TOML).unwrap();
        for role in FontRole::ALL {
            assert!(!cfg.roles[role.key()].is_empty());
        }
        let err = crate::FontConfig::from_toml("[roles]\nfangsong = []").unwrap_err();
        assert!(err.to_string().contains("fangsong"), "{err}");
    }

    #[test]
    fn a_minutes_number_prints_its_serial() {
        let n = |s: &str| minutes_number(s);
        assert_eq!(n("宿政纪〔2026〕21号").as_deref(), Some("（第21号）"));
        assert_eq!(n(" 第3号 ").as_deref(), Some("（第3号）"));
        assert_eq!(n("第四十七次").as_deref(), Some("（第四十七次）"));
        assert_eq!(n("（第四十七次）").as_deref(), Some("（第四十七次）"));
        assert_eq!(n("  "), None);
    }

    #[test]
    fn joint_marks_ending_in_wenjian_share_one_suffix() {
        let mut doc = Document::new(DocKind::Notice);
        doc.issuer_mark = vec!["宿州市人民政府文件".into(), "宿州市财政局文件".into()];
        let t = HeaderTemplate::from_document(&doc, Format::Document);
        assert_eq!(t.marks, vec!["宿州市人民政府", "宿州市财政局"]);
        assert_eq!(t.suffix, "文件");
    }
}
