//! Checks any PDF against GB/T 9704-2012: page size, 版心 margins, body grid, first page
//! (发文机关标志, separator, title), page numbers and 版记. Every finding is given in Chinese
//! and English.
//!
//! Positions are read with poppler; a text line's em box is estimated from its centre and
//! its character pitch, which is accurate to a few tenths of a millimetre for CJK fonts.

use std::path::Path;

use crate::inspect::{inspect, PdfLayout, RuleLine, TextLine};
use crate::CheckError;
use gongwen_core::page::{pt_to_mm, LayoutConfig};

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// 1-based page, if the finding belongs to one page.
    pub page: Option<usize>,
    /// Short rule id: `page-size`, `margin`, `grid`, `first-page`, `title`, `page-number`,
    /// `colophon`, `font`.
    pub rule: &'static str,
    pub zh: String,
    pub en: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.page {
            Some(p) => write!(
                f,
                "第{p}页 [{}] {} / page {p}: {}",
                self.rule, self.zh, self.en
            ),
            None => write!(f, "[{}] {} / {}", self.rule, self.zh, self.en),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    pub pages: usize,
    pub findings: Vec<Finding>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Checks a PDF file with the standard's measures and a tolerance in millimetres.
pub fn check_pdf(path: &Path, tolerance_mm: f64) -> Result<CheckReport, CheckError> {
    let layout = inspect(path)?;
    Ok(check_layout(&layout, tolerance_mm))
}

fn is_cjk(c: char) -> bool {
    ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c)
}

/// Em size of a line: poppler's box height (the font's ascent − descent), capped by the
/// character pitch of an all-CJK word when a font reports an oversized box.
fn em(line: &TextLine) -> f64 {
    let height = line.y_max - line.y_min;
    let pitch = line
        .words
        .iter()
        .filter(|w| w.text.chars().count() >= 2 && w.text.chars().all(is_cjk))
        .map(|w| (w.x_max - w.x_min) / w.text.chars().count() as f64)
        .fold(f64::MAX, f64::min);
    if pitch < height * 0.8 {
        pitch
    } else {
        height
    }
}

fn top(line: &TextLine) -> f64 {
    line.centre_y() - em(line) / 2.0
}

fn bottom(line: &TextLine) -> f64 {
    line.centre_y() + em(line) / 2.0
}

fn page_number(line: &TextLine) -> Option<u32> {
    let t: String = line.text().chars().filter(|c| !c.is_whitespace()).collect();
    let inner = t.strip_prefix('—')?.strip_suffix('—')?;
    inner.parse().ok()
}

struct Ctx<'a> {
    cfg: LayoutConfig,
    tol: f64,
    out: &'a mut Vec<Finding>,
}

impl Ctx<'_> {
    fn add(&mut self, page: Option<usize>, rule: &'static str, zh: String, en: String) {
        self.out.push(Finding { page, rule, zh, en });
    }
}

fn near(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn full_width_rule(r: &RuleLine, cfg: &LayoutConfig, tol: f64) -> bool {
    near(r.x_min, cfg.left_mm, tol) && near(r.x_max, cfg.left_mm + cfg.body_width_mm, tol)
}

/// Checks an already inspected PDF.
pub fn check_layout(pdf: &PdfLayout, tolerance_mm: f64) -> CheckReport {
    let mut findings = Vec::new();
    let mut c = Ctx {
        cfg: LayoutConfig::default(),
        tol: tolerance_mm,
        out: &mut findings,
    };
    let cfg = c.cfg.clone();
    let tol = c.tol;
    let (left, right) = (cfg.left_mm, cfg.left_mm + cfg.body_width_mm);
    let (top_edge, bottom_edge) = (cfg.top_mm, cfg.top_mm + cfg.body_height_mm);
    let pitch = cfg.pitch();
    let body_em = pt_to_mm(cfg.body_size_pt);
    let cell = cfg.cell();

    for f in &pdf.fonts {
        if !f.embedded {
            c.add(
                None,
                "font",
                format!("字体 {} 未嵌入", f.name),
                format!("font {} is not embedded", f.name),
            );
        }
        if !f.unicode {
            c.add(
                None,
                "font",
                format!("字体 {} 无 ToUnicode，文字无法提取", f.name),
                format!(
                    "font {} has no ToUnicode map; text cannot be extracted",
                    f.name
                ),
            );
        }
    }
    let letter = pdf.pages.first().is_some_and(|p| {
        p.rules
            .iter()
            .any(|r| r.red && near(r.x_max - r.x_min, 170.0, tol))
    });
    let n_pages = pdf.pages.len();
    for (pi, page) in pdf.pages.iter().enumerate() {
        let pno = pi + 1;
        if !near(page.width, 210.0, tol) || !near(page.height, 297.0, tol) {
            c.add(
                Some(pno),
                "page-size",
                format!(
                    "纸张 {:.1}×{:.1} mm，应为 A4 210×297 mm",
                    page.width, page.height
                ),
                format!(
                    "paper is {:.1}×{:.1} mm, expected A4 210×297 mm",
                    page.width, page.height
                ),
            );
        }
        let letter_header_bottom = if letter && pi == 0 {
            page.rules
                .iter()
                .filter(|r| r.red)
                .map(|r| r.y)
                .next()
                .unwrap_or(0.0)
        } else {
            0.0
        };
        let content: Vec<&TextLine> = page
            .lines
            .iter()
            .filter(|l| page_number(l).is_none() && l.centre_y() > letter_header_bottom)
            .collect();
        // Margins: text stays inside the 版心.
        for l in &content {
            let (t, b) = (top(l), bottom(l));
            if l.x_min < left - tol
                || l.x_max > right + tol
                || t < top_edge - tol
                || b > bottom_edge + tol
            {
                c.add(Some(pno), "margin", format!("“{}”超出版心（左{:.1} 右{:.1} 上{:.1} 下{:.1} mm；版心为 {left}–{right} × {top_edge}–{bottom_edge} mm）", short(l), l.x_min, l.x_max, t, b), format!("\"{}\" lies outside the type area (left {:.1}, right {:.1}, top {:.1}, bottom {:.1} mm; type area {left}–{right} × {top_edge}–{bottom_edge} mm)", short(l), l.x_min, l.x_max, t, b));
            }
        }
        let body: Vec<&&TextLine> = content
            .iter()
            .filter(|l| near(em(l), body_em, 0.45) || near(em(l), cell, 0.3))
            .collect();
        // A full body line (about 28 characters wide) starts at the 订口, 28 mm from the left,
        // or 2 characters in at a paragraph start.
        for l in body
            .iter()
            .filter(|l| l.x_max - l.x_min > cfg.body_width_mm - 3.0 * cell)
        {
            if !near(l.x_min, left, tol) && !near(l.x_min, left + 2.0 * cell, tol) {
                c.add(
                    Some(pno),
                    "margin",
                    format!(
                        "整行“{}”左边缘在 {:.1} mm，应距纸张左边 {left} mm（订口）",
                        short(l),
                        l.x_min
                    ),
                    format!(
                        "full line \"{}\" starts {:.1} mm from the left edge, expected {left} mm",
                        short(l),
                        l.x_min
                    ),
                );
                break;
            }
        }
        // Body grid: rows of body text fall on the 22-line grid.
        let separator = if pi == 0 {
            page.rules.iter().find(|r| r.red).map(|r| r.y)
        } else {
            None
        };
        // On page 1 the grid starts below the last large line (title, or the mark of an order).
        let last_big = if pi == 0 {
            content
                .iter()
                .filter(|l| em(l) > body_em * 1.2)
                .map(|l| l.y_max)
                .fold(0.0, f64::max)
        } else {
            0.0
        };
        let first_allowed = separator
            .unwrap_or(0.0)
            .max(letter_header_bottom)
            .max(last_big);
        let mut rows: Vec<f64> = body
            .iter()
            .filter(|l| l.centre_y() > first_allowed && l.x_max - l.x_min > 3.0 * cell)
            .map(|l| l.centre_y())
            .collect();
        rows.dedup_by(|a, b| (*a - *b).abs() < 1.0);
        let mut bad_pitch = None;
        for w in rows.windows(2) {
            let k = ((w[1] - w[0]) / pitch).round().max(1.0);
            if !near(w[1] - w[0], k * pitch, tol) {
                bad_pitch = Some(w[1] - w[0]);
                break;
            }
        }
        if let Some(d) = bad_pitch {
            c.add(
                Some(pno),
                "grid",
                format!("正文行距 {d:.2} mm，不在每页22行的行格上（行距应为 {pitch:.2} mm）"),
                format!(
                    "body line distance {d:.2} mm is off the 22-line grid (pitch {pitch:.2} mm)"
                ),
            );
        }
        if let (Some(f), Some(l)) = (rows.first(), rows.last()) {
            let span = ((l - f) / pitch).round() as usize + 1;
            let dense = rows.len() > cfg.lines_per_page;
            if dense || (bad_pitch.is_some() && rows.len() as f64 > (l - f) / pitch + 1.5) {
                c.add(
                    Some(pno),
                    "grid",
                    format!("本页正文 {} 行，超过每页22行", rows.len()),
                    format!("{} body lines on this page, more than 22", rows.len()),
                );
            } else if span > cfg.lines_per_page {
                c.add(
                    Some(pno),
                    "grid",
                    "正文超过22行的行格".into(),
                    "body text spans more than the 22 grid lines".into(),
                );
            }
        }
        // Body text starts at the 版心 top on pages without a header.
        if pi > 0 && !body.is_empty() {
            let t = top(body[0]);
            if t < top_edge + pitch && !near(t, top_edge, tol) {
                c.add(
                    Some(pno),
                    "margin",
                    format!("首行上边缘 {t:.1} mm，应距纸张上边 {top_edge} mm（天头）"),
                    format!("first line top at {t:.1} mm, expected {top_edge} mm"),
                );
            }
        }
        // Page number.
        for l in page.lines.iter().filter(|l| page_number(l).is_some()) {
            let n = page_number(l).unwrap_or(0);
            let small = pt_to_mm(cfg.small_size_pt);
            let y = l.centre_y();
            let want_y = bottom_edge + cfg.page_number_gap_mm;
            if !near(y, want_y, tol) {
                c.add(Some(pno), "page-number", format!("页码“{}”在 {y:.1} mm，一字线应在版心下边缘下 7 mm（{want_y:.1} mm）", l.spaced()), format!("page number at {y:.1} mm, its dashes belong 7 mm below the type area ({want_y:.1} mm)"));
            }
            if n % 2 == 1 {
                let want = right - small;
                if !near(l.x_max, want, tol) {
                    c.add(Some(pno), "page-number", format!("单页码应居右空一字（右端 {want:.1} mm），实为 {:.1} mm", l.x_max), format!("odd page number must sit right with one character space (right end {want:.1} mm), found {:.1} mm", l.x_max));
                }
            } else {
                let want = left + small;
                if !near(l.x_min, want, tol) {
                    c.add(Some(pno), "page-number", format!("双页码应居左空一字（左端 {want:.1} mm），实为 {:.1} mm", l.x_min), format!("even page number must sit left with one character space (left end {want:.1} mm), found {:.1} mm", l.x_min));
                }
            }
        }
    }

    // First page.
    if let Some(p1) = pdf.pages.first() {
        let biggest = p1
            .lines
            .iter()
            .filter(|l| page_number(l).is_none())
            .max_by(|a, b| em(a).total_cmp(&em(b)));
        let order = biggest.is_some_and(|l| l.text().ends_with('令'));
        let sep = p1.rules.iter().find(|r| r.red && !letter);
        if !letter && !order {
            match sep {
                None => c.add(
                    Some(1),
                    "first-page",
                    "首页缺少红色分隔线".into(),
                    "the red separator line is missing from the first page".into(),
                ),
                Some(r) => {
                    if !full_width_rule(r, &cfg, tol) {
                        c.add(Some(1), "first-page", format!("版头分隔线应与版心同宽 156 mm（{left}–{right} mm），实为 {:.1}–{:.1} mm", r.x_min, r.x_max), format!("separator must span the 156 mm type area, found {:.1}–{:.1} mm", r.x_min, r.x_max));
                    }
                    // Measured from the 发文字号; a document without one (公告, 公报, 决议)
                    // has only the mark above the line, and nothing to measure from.
                    if let Some(num) = p1
                        .lines
                        .iter()
                        .rfind(|l| l.centre_y() < r.y)
                        .filter(|l| em(l) <= body_em * 1.3)
                    {
                        let gap = r.y - bottom(num);
                        if !near(gap, cfg.separator_gap_mm, tol) {
                            c.add(Some(1), "first-page", format!("分隔线距发文字号 {gap:.1} mm，应为 4 mm"), format!("separator is {gap:.1} mm below the document number, expected 4 mm"));
                        }
                    }
                    // 发文机关标志: the largest text above the separator.
                    if let Some(mark) = p1
                        .lines
                        .iter()
                        .filter(|l| l.centre_y() < r.y)
                        .max_by(|a, b| em(a).total_cmp(&em(b)))
                    {
                        let group_top = p1
                            .lines
                            .iter()
                            .filter(|l| l.centre_y() < r.y && em(l) > body_em * 1.3)
                            .map(top)
                            .fold(f64::MAX, f64::min);
                        let want = top_edge + cfg.mark_offset_mm;
                        if em(mark) > body_em * 1.3 && !near(group_top, want, tol) {
                            c.add(Some(1), "first-page", format!("发文机关标志上边缘在 {group_top:.1} mm，应距版心上边缘 35 mm（{want:.1} mm）"), format!("issuer mark top at {group_top:.1} mm, expected 35 mm below the type area top ({want:.1} mm)"));
                        }
                    }
                    // 标题: the first 2号 lines below the separator are centred.
                    for l in p1
                        .lines
                        .iter()
                        .filter(|l| {
                            l.centre_y() > r.y && em(l) > body_em * 1.2 && page_number(l).is_none()
                        })
                        .take(3)
                    {
                        let mid = (l.x_min + l.x_max) / 2.0;
                        if !near(mid, (left + right) / 2.0, tol) {
                            c.add(
                                Some(1),
                                "title",
                                format!("标题“{}”未居中（中线 {mid:.1} mm）", short(l)),
                                format!(
                                    "title line \"{}\" is not centred (centre {mid:.1} mm)",
                                    short(l)
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    // 版记 on the last page.
    if let Some(last) = pdf.pages.last() {
        let has_colophon = last
            .lines
            .iter()
            .any(|l| l.text().starts_with("抄送") || l.text().ends_with("印发"));
        if has_colophon {
            if n_pages % 2 == 1 && n_pages > 1 {
                c.add(
                    Some(n_pages),
                    "colophon",
                    "版记应在偶数页（最后一页为背面）".into(),
                    "the colophon belongs on an even page (the back of the last sheet)".into(),
                );
            }
            if !letter {
                let rules: Vec<&RuleLine> = last
                    .rules
                    .iter()
                    .filter(|r| !r.red && full_width_rule(r, &cfg, tol))
                    .collect();
                if rules.len() < 2 {
                    c.add(Some(n_pages), "colophon", format!("版记分隔线只有 {} 条，至少应有首末两条", rules.len()), format!("the colophon has {} separator lines; it needs at least the first and the last", rules.len()));
                } else {
                    let lowest = rules.iter().map(|r| r.y).fold(f64::MIN, f64::max);
                    if !near(lowest, bottom_edge, tol) {
                        c.add(Some(n_pages), "colophon", format!("版记末条分隔线在 {lowest:.1} mm，应与版心下边缘重合（{bottom_edge} mm）"), format!("the last colophon line is at {lowest:.1} mm, it must coincide with the type area bottom ({bottom_edge} mm)"));
                    }
                    let thick: Vec<f64> = rules.iter().map(|r| r.thickness).collect();
                    if let (Some(f), Some(l)) = (thick.first(), thick.last()) {
                        if *f < 0.3 || *l < 0.3 {
                            c.add(
                                Some(n_pages),
                                "colophon",
                                "版记首末分隔线应为粗线（0.35 mm）".into(),
                                "the first and last colophon lines must be thick (0.35 mm)".into(),
                            );
                        }
                    }
                }
            }
        }
    }
    CheckReport {
        pages: n_pages,
        findings,
    }
}

fn short(l: &TextLine) -> String {
    let t = l.text();
    let s: String = t.chars().take(12).collect();
    if t.chars().count() > 12 {
        format!("{s}…")
    } else {
        s
    }
}
