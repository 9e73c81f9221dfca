//! Document → [`PageModel`] by the rules of GB/T 9704-2012 (clauses cited inline).

use gongwen_core::{Direction, DocKind, Document, ParagraphLevel, Urgency};
use serde::Deserialize;

use crate::fonts::{FontRole, FontSet};
use crate::linebreak::{break_lines, cells};
pub use gongwen_core::page::LayoutConfig;

use crate::model::{pt_to_mm, Glyph, Ink, Item, Page, PageModel, Rule, Seal, TextRun};
use crate::{Warning, WarningKind};

/// Which of the layouts of GB/T 9704-2012 a document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// 文件格式 (clause 7): the ordinary layout.
    #[default]
    Document,
    /// 信函格式 (10.1).
    Letter,
    /// 命令（令）格式 (10.2).
    Order,
    /// 纪要格式 (10.3).
    Minutes,
}

impl Format {
    /// A 函 uses 信函格式, a 命令 the 命令格式, a 纪要 the 纪要格式; everything else 文件格式.
    pub fn for_kind(kind: DocKind) -> Format {
        match kind {
            DocKind::Letter => Format::Letter,
            DocKind::Order => Format::Order,
            DocKind::Minutes => Format::Minutes,
            _ => Format::Document,
        }
    }
}

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

/// What decides the layout of one render.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub layout: LayoutConfig,
    /// Red header; `None` takes the document's `issuer_mark`.
    pub template: Option<HeaderTemplate>,
    /// Overrides the format chosen from the template or the kind.
    pub format: Option<Format>,
}

struct Ctx<'a> {
    cfg: &'a LayoutConfig,
    fonts: &'a FontSet,
    pages: Vec<Page>,
    /// Next free grid line on the current (last) page.
    line: usize,
    warnings: Vec<Warning>,
}

/// Where a piece of text comes from, for warnings.
#[derive(Clone, Copy)]
struct Origin<'s> {
    element: &'s str,
    paragraph: usize,
    offset: usize,
}

impl<'s> Origin<'s> {
    /// An element as a whole (not one of its paragraphs or characters).
    fn of(element: &'s str) -> Origin<'s> {
        Origin {
            element,
            paragraph: 0,
            offset: 0,
        }
    }
}

impl<'a> Ctx<'a> {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.line = 0;
    }

    fn push(&mut self, item: Item) {
        self.page().items.push(item);
    }

    /// Shapes text onto cells: glyph per char, `cell` mm per full-width cell.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        text: &str,
        role: FontRole,
        size_pt: f64,
        x: f64,
        top: f64,
        cell: f64,
        ink: Ink,
        origin: Origin,
    ) -> TextRun {
        let mut glyphs = Vec::new();
        let mut cx = x;
        for (i, ch) in text.chars().enumerate() {
            let adv = cells(ch) * cell;
            if ch == ' ' || ch == '\u{3000}' {
                cx += adv;
                continue;
            }
            match self.fonts.face_for(role, ch) {
                Some((face, gid)) => {
                    if face != self.fonts.role_face(role) {
                        let (element, paragraph, char) =
                            (origin.element, origin.paragraph + 1, origin.offset + i + 1);
                        let (wanted, used) =
                            (self.fonts.role_family(role), &self.fonts.face(face).family);
                        self.warnings.push(Warning {
                            kind: WarningKind::FallbackGlyph,
                            message: format!(
                                "{element}第{paragraph}段第{char}字“{ch}”：{wanted}无此字，改用 {used}"
                            ),
                            message_en: format!(
                                "{element}: paragraph {paragraph}, char {char}: '{ch}' not in {wanted}, drawn with {used}"
                            ),
                        });
                    }
                    glyphs.push(Glyph {
                        ch,
                        face,
                        glyph_id: gid,
                        x: cx,
                        advance: adv,
                    });
                }
                None => {
                    let (element, paragraph, char) =
                        (origin.element, origin.paragraph + 1, origin.offset + i + 1);
                    let code = ch as u32;
                    self.warnings.push(Warning {
                        kind: WarningKind::MissingGlyph,
                        message: format!(
                            "{element}第{paragraph}段第{char}字“{ch}”（U+{code:04X}）：所有字体均无此字，未能印出"
                        ),
                        message_en: format!(
                            "{element} paragraph {paragraph}, char {char}: U+{code:04X} is in no installed font and was left blank"
                        ),
                    })
                }
            }
            cx += adv;
        }
        TextRun {
            top,
            size_pt,
            ink,
            glyphs,
        }
    }

    #[allow(clippy::too_many_arguments)] // a private drawing helper; a struct would only rename them
    fn text_at(
        &mut self,
        spans: &[(&str, FontRole)],
        size_pt: f64,
        x: f64,
        top: f64,
        cell: f64,
        ink: Ink,
        origin: Origin,
    ) {
        let mut cx = x;
        let mut off = origin.offset;
        for (text, role) in spans {
            let o = Origin {
                offset: off,
                ..origin
            };
            let run = self.run(text, *role, size_pt, cx, top, cell, ink, o);
            cx += text.chars().map(cells).sum::<f64>() * cell;
            off += text.chars().count();
            self.push(Item::Text(run));
        }
    }

    /// Body-size text on grid line `self.line`, starting `indent` cells from the left.
    fn grid_line(&mut self, spans: &[(&str, FontRole)], indent: f64, origin: Origin) {
        if self.line >= self.cfg.lines_per_page {
            self.new_page();
        }
        let top = self.cfg.line_top(self.line);
        let x = self.cfg.left_mm + indent * self.cfg.cell();
        let (size, cell) = (self.cfg.body_size_pt, self.cfg.cell());
        self.text_at(spans, size, x, top, cell, Ink::Black, origin);
        self.line += 1;
    }

    /// A paragraph broken onto the grid. `first`/`rest` are indents in cells; `role_until`
    /// sets the first characters in another role (heading numbering and words).
    fn paragraph(
        &mut self,
        text: &str,
        first: f64,
        rest: f64,
        roles: &[(usize, FontRole)],
        origin: Origin,
    ) {
        let n = self.cfg.chars_per_line as f64;
        let chars: Vec<char> = text.chars().collect();
        let ranges = break_lines(text, |i| if i == 0 { n - first } else { n - rest });
        let n_lines = ranges.len();
        for (li, (a, b)) in ranges.into_iter().enumerate() {
            // Split this line by roles: roles are (end_char, role) in order.
            let mut spans: Vec<(String, FontRole)> = Vec::new();
            let mut pos = a;
            for &(end, role) in roles {
                if pos >= b {
                    break;
                }
                if end > pos {
                    let e = end.min(b);
                    spans.push((chars[pos..e].iter().collect(), role));
                    pos = e;
                }
            }
            let spans_ref: Vec<(&str, FontRole)> =
                spans.iter().map(|(s, r)| (s.as_str(), *r)).collect();
            let indent = if li == 0 { first } else { rest };
            if self.line >= self.cfg.lines_per_page {
                self.new_page();
            }
            let start = self.page().items.len();
            self.grid_line(
                &spans_ref,
                indent,
                Origin {
                    offset: a,
                    ..origin
                },
            );
            // 两端对齐: a line shortened by the punctuation rules is spread to the full
            // width, as Word does, so the right edge of the 版心 stays straight.
            let used: f64 = chars[a..b].iter().map(|&c| cells(c)).sum();
            let room = n - indent;
            if li + 1 < n_lines && used < room - 0.01 && b - a > 1 {
                let extra = (room - used) * self.cfg.cell() / (b - a - 1) as f64;
                let mut k = 0.0;
                for item in &mut self.page().items[start..] {
                    if let Item::Text(run) = item {
                        for g in &mut run.glyphs {
                            g.x += k * extra;
                            k += 1.0;
                        }
                    }
                }
            }
        }
    }

    fn rule(&mut self, x: f64, y: f64, width: f64, thickness: f64, ink: Ink) {
        self.push(Item::Rule(Rule {
            x,
            y,
            width,
            thickness,
            ink,
        }));
    }

    fn text_width(text: &str, cell: f64) -> f64 {
        text.chars().map(cells).sum::<f64>() * cell
    }
}

/// Chooses title line breaks: balanced lines (梯形/菱形), never inside a protected word
/// (the issuer's name), never against the punctuation rules.
pub fn split_title(title: &str, max_chars: usize, protected: &[String]) -> Vec<String> {
    let chars: Vec<char> = title.chars().collect();
    let len: f64 = chars.iter().map(|&c| cells(c)).sum();
    if len <= max_chars as f64 || chars.len() < 2 {
        return vec![title.to_string()];
    }
    // Positions where a break is not allowed (inside a protected word, inside an ASCII word).
    let mut forbidden = vec![false; chars.len() + 1];
    for word in protected.iter().filter(|w| w.chars().count() > 1) {
        let w: Vec<char> = word.chars().collect();
        for s in 0..chars.len().saturating_sub(w.len() - 1) {
            if chars[s..s + w.len()] == w[..] {
                for f in forbidden.iter_mut().take(s + w.len()).skip(s + 1) {
                    *f = true;
                }
            }
        }
    }
    for i in 1..chars.len() {
        if chars[i - 1].is_ascii_alphanumeric() && chars[i].is_ascii_alphanumeric() {
            forbidden[i] = true;
        }
        if crate::linebreak::no_line_start(chars[i]) || crate::linebreak::no_line_end(chars[i - 1])
        {
            forbidden[i] = true;
        }
    }
    let widths: Vec<f64> = chars.iter().map(|&c| cells(c)).collect();
    let prefix: Vec<f64> = std::iter::once(0.0)
        .chain(widths.iter().scan(0.0, |s, w| {
            *s += w;
            Some(*s)
        }))
        .collect();
    // Good places to break: after 关于/的/、/closing quotes, before 关于/opening quotes, at
    // the end of the issuer's name. Elsewhere a break may split a word (优|化), so it costs.
    let mut good = vec![false; chars.len() + 1];
    for (b, g) in good.iter_mut().enumerate().take(chars.len()).skip(1) {
        let before: String = chars[..b].iter().collect();
        let after: String = chars[b..].iter().collect();
        *g = "的、”》） \u{3000}".contains(chars[b - 1])
            || before.ends_with("关于")
            || after.starts_with("关于")
            || "“《（".contains(chars[b])
            || protected
                .iter()
                .any(|w| w.chars().count() > 1 && before.ends_with(w.as_str()));
    }
    let lines = (len / max_chars as f64).ceil() as usize;
    let mut best: Option<(f64, Vec<usize>)> = None;
    // Few lines and ≤ ~60 characters: an exhaustive search over break points is instant.
    for n in lines..=lines + 1 {
        let ideal = len / n as f64;
        let mut stack: Vec<(usize, Vec<usize>)> = vec![(0, Vec::new())];
        while let Some((start, breaks)) = stack.pop() {
            if breaks.len() == n - 1 {
                let last = prefix[chars.len()] - prefix[start];
                if last > max_chars as f64 {
                    continue;
                }
                let mut all = breaks.clone();
                all.push(chars.len());
                let mut cost = 0.0;
                let mut prev = 0;
                let mut lens = Vec::new();
                for &b in &all {
                    if b < chars.len() && !good[b] {
                        cost += 30.0;
                    }
                    let l = prefix[b] - prefix[prev];
                    cost += (l - ideal).powi(2);
                    lens.push(l);
                    prev = b;
                }
                // Prefer a diamond or trapezoid: no line longer than both neighbours' mean by
                // much, and an extra line only when it buys a clearly better shape.
                cost += (n - lines) as f64 * 8.0;
                if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                    best = Some((cost, breaks));
                }
                continue;
            }
            for b in start + 1..chars.len() {
                let l = prefix[b] - prefix[start];
                if l > max_chars as f64 {
                    break;
                }
                if !forbidden[b] {
                    let mut nb = breaks.clone();
                    nb.push(b);
                    stack.push((b, nb));
                }
            }
        }
    }
    let breaks = match best {
        Some((_, b)) => b,
        None => {
            // No allowed break: fall back to the plain grid breaking.
            return break_lines(title, |_| max_chars as f64)
                .into_iter()
                .map(|(a, b)| chars[a..b].iter().collect())
                .collect();
        }
    };
    let mut out = Vec::new();
    let mut prev = 0;
    for b in breaks.into_iter().chain(std::iter::once(chars.len())) {
        // A space between joint issuers' names is a break, not part of a centred line.
        let line: String = chars[prev..b].iter().collect();
        out.push(line.trim().to_string());
        prev = b;
    }
    out
}

fn heading_roles(text: &str, level: ParagraphLevel) -> Vec<(usize, FontRole)> {
    let n = text.chars().count();
    let role = match level {
        ParagraphLevel::Heading1 => FontRole::HeiTi,
        ParagraphLevel::Heading2 => FontRole::KaiTi,
        _ => return vec![(n, FontRole::FangSong)],
    };
    // The heading font covers the heading: the whole paragraph when it has no 。, else the
    // first sentence when body text follows it. A single full sentence ("一、对……处理。")
    // is a numbered item of body text, not a heading, and stays in 仿宋.
    match text.chars().position(|c| c == '。') {
        None => vec![(n, role)],
        Some(p) if p + 1 < n => vec![(p + 1, role), (n, FontRole::FangSong)],
        Some(_) => vec![(n, FontRole::FangSong)],
    }
}

const MINUTES_LABELS: [&str; 3] = ["出席：", "请假：", "列席："];

/// Lays out a document.
pub fn layout(doc: &Document, fonts: &FontSet, opts: &RenderOptions) -> (PageModel, Vec<Warning>) {
    let cfg = &opts.layout;
    let format = opts
        .format
        .or(opts.template.as_ref().map(|t| t.format))
        .unwrap_or_else(|| Format::for_kind(doc.kind));
    let template = opts
        .template
        .clone()
        .unwrap_or_else(|| HeaderTemplate::from_document(doc, format));
    let mut cx = Ctx {
        cfg,
        fonts,
        pages: vec![Page::default()],
        line: 0,
        warnings: Vec::new(),
    };
    cx.warnings.extend(fonts.substitutions.iter().cloned());
    let origin = Origin::of;

    // ---- 版头 ----
    match format {
        Format::Document | Format::Minutes => header_document(&mut cx, doc, &template, format),
        Format::Letter => header_letter(&mut cx, doc, &template),
        Format::Order => header_order(&mut cx, doc, &template),
    }

    // ---- 主体 ----
    // An order's mark is its title (宿州市人民政府令); it is not printed twice.
    let title_is_mark =
        format == Format::Order && template.marks.iter().any(|m| m.trim() == doc.title.trim());
    if !doc.title.trim().is_empty() && !title_is_mark {
        let size = cfg.title_size_pt;
        let title_cell = pt_to_mm(size);
        let max = (cfg.body_width_mm / title_cell).floor() as usize;
        let mut protected: Vec<String> = doc.issuer_signature.clone();
        protected.extend(template.marks.iter().cloned());
        protected.extend(
            doc.issuer_mark
                .iter()
                .map(|m| m.trim_end_matches("文件").to_string()),
        );
        let lines = split_title(doc.title.trim(), max, &protected);
        let mut offset = 0;
        for l in &lines {
            if cx.line >= cfg.lines_per_page {
                cx.new_page();
            }
            let w = Ctx::text_width(l, title_cell);
            let x = cfg.left_mm + (cfg.body_width_mm - w) / 2.0;
            // Centre the 2号 em box on the grid line's 3号 em box.
            let top = cfg.line_top(cx.line) - (pt_to_mm(size) - pt_to_mm(cfg.body_size_pt)) / 2.0;
            let o = Origin {
                element: "标题",
                paragraph: 0,
                offset,
            };
            cx.text_at(
                &[(l, FontRole::XiaoBiaoSong)],
                size,
                x,
                top,
                title_cell,
                Ink::Black,
                o,
            );
            offset += l.chars().count();
            cx.line += 1;
        }
        cx.line += 1; // 主送机关 one line below the title (空一行).
    }
    let recipients: Vec<&str> = doc
        .main_recipients
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if !recipients.is_empty() {
        let text = format!("{}：", recipients.join("、"));
        cx.paragraph(
            &text,
            0.0,
            0.0,
            &[(text.chars().count(), FontRole::FangSong)],
            origin("主送机关"),
        );
    }
    for (pi, p) in doc.body.paragraphs().iter().enumerate() {
        let o = Origin {
            element: "正文",
            paragraph: pi,
            offset: 0,
        };
        let n = p.text.chars().count();
        let roles =
            if format == Format::Minutes && MINUTES_LABELS.iter().any(|l| p.text.starts_with(l)) {
                vec![(3, FontRole::HeiTi), (n, FontRole::FangSong)]
            } else {
                heading_roles(&p.text, p.level)
            };
        let rest = if format == Format::Minutes && roles[0].1 == FontRole::HeiTi && roles[0].0 == 3
        {
            5.0 // 纪要 attendee lists: wrapped names align after the colon.
        } else {
            0.0
        };
        cx.paragraph(&p.text, 2.0, rest, &roles, o);
    }
    // 附件说明 (7.3.4): one line below the body, 2-character indent.
    let names: Vec<&str> = doc
        .attachments
        .iter()
        .map(|a| a.name.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if !names.is_empty() {
        cx.line += 1;
        if names.len() == 1 {
            let text = format!("附件：{}", names[0]);
            let n = text.chars().count();
            cx.paragraph(
                &text,
                2.0,
                5.0,
                &[(n, FontRole::FangSong)],
                origin("附件说明"),
            );
        } else {
            for (i, name) in names.iter().enumerate() {
                let num = format!("{}.", i + 1);
                let text = if i == 0 {
                    format!("附件：{num}{name}")
                } else {
                    format!("{num}{name}")
                };
                let first = if i == 0 { 2.0 } else { 5.0 };
                let hang = 5.0 + cells_of(&num);
                let n = text.chars().count();
                cx.paragraph(
                    &text,
                    first,
                    hang,
                    &[(n, FontRole::FangSong)],
                    Origin {
                        element: "附件说明",
                        paragraph: i,
                        offset: 0,
                    },
                );
            }
        }
    }
    signature_block(&mut cx, doc, format);

    // ---- 附件 pages (7.3.7) ----
    for (i, name) in names.iter().enumerate() {
        cx.new_page();
        let label = if names.len() > 1 {
            format!("附件{}", i + 1)
        } else {
            "附件".to_string()
        };
        cx.grid_line(&[(&label, FontRole::HeiTi)], 0.0, origin("附件"));
        cx.line += 1;
        let size = cfg.title_size_pt;
        let cell = pt_to_mm(size);
        for l in split_title(name, (cfg.body_width_mm / cell).floor() as usize, &[]) {
            let w = Ctx::text_width(&l, cell);
            let top = cfg.line_top(cx.line) - (cell - pt_to_mm(cfg.body_size_pt)) / 2.0;
            cx.text_at(
                &[(&l, FontRole::XiaoBiaoSong)],
                size,
                cfg.left_mm + (cfg.body_width_mm - w) / 2.0,
                top,
                cell,
                Ink::Black,
                Origin {
                    element: "附件",
                    paragraph: i,
                    offset: 0,
                },
            );
            cx.line += 1;
        }
    }

    // ---- 版记 (7.4) and page numbers (7.5) ----
    let numbered_until = colophon(&mut cx, doc, format);
    for (i, page) in cx.pages.iter_mut().enumerate() {
        let first_letter_page = format == Format::Letter && i == 0;
        if i < numbered_until && !first_letter_page {
            page.number = Some(i as u32 + 1);
        }
    }
    let pages = std::mem::take(&mut cx.pages);
    let mut model = PageModel {
        width_mm: cfg.page_width_mm,
        height_mm: cfg.page_height_mm,
        pages,
    };
    for i in 0..model.pages.len() {
        if let Some(n) = model.pages[i].number {
            let run = page_number_run(&mut cx, n);
            model.pages[i].items.push(Item::Text(run));
        }
    }
    (model, cx.warnings)
}

fn cells_of(s: &str) -> f64 {
    s.chars().map(cells).sum()
}

fn page_number_run(cx: &mut Ctx, n: u32) -> TextRun {
    let cfg = cx.cfg;
    // 4号半角宋体: digits and spaces half a character, the 一字线 a full character.
    let text = format!("— {n} —");
    let cell = pt_to_mm(cfg.small_size_pt);
    let width = Ctx::text_width(&text, cell);
    let odd = n % 2 == 1;
    let right_side = odd == cfg.page_numbers_outside;
    let x = if right_side {
        cfg.right() - cell - width
    } else {
        cfg.left_mm + cell
    };
    // The 一字线 is a stroke at mid-height of the row, so "7 mm below the 版心" places the
    // row's centre there.
    let top = cfg.bottom() + cfg.page_number_gap_mm - cell / 2.0;
    cx.run(
        &text,
        FontRole::SongTi,
        cfg.small_size_pt,
        x,
        top,
        cell,
        Ink::Black,
        Origin::of("页码"),
    )
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

/// First grid line whose em box starts at or below `y`.
fn line_at_or_below(cfg: &LayoutConfig, y: f64) -> usize {
    let i = ((y - cfg.top_mm) / cfg.pitch() - 1e-6).ceil();
    i.max(0.0) as usize
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

fn header_document(cx: &mut Ctx, doc: &Document, t: &HeaderTemplate, format: Format) {
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
    if upward {
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

/// 信函格式 (10.1): mark 30 mm from the paper top, red double lines 170 mm long.
fn header_letter(cx: &mut Ctx, doc: &Document, t: &HeaderTemplate) {
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
fn header_order(cx: &mut Ctx, doc: &Document, t: &HeaderTemplate) {
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

/// 发文机关署名、成文日期、印章 (7.3.5), keeping the block together with body text.
fn signature_block(cx: &mut Ctx, doc: &Document, format: Format) {
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

/// Moves the last `n` grid lines of the current page to a new page.
fn move_last_lines(cx: &mut Ctx, n: usize) {
    let cfg = cx.cfg;
    let from = cx.line.saturating_sub(n);
    let cut = cfg.line_top(from) - 0.1;
    let page = cx.page();
    let (moved, kept): (Vec<Item>, Vec<Item>) = page
        .items
        .drain(..)
        .partition(|it| matches!(it, Item::Text(t) if t.top >= cut));
    page.items = kept;
    cx.new_page();
    let shift = cfg.line_top(from) - cfg.line_top(0);
    for it in moved {
        if let Item::Text(mut t) = it {
            t.top -= shift;
            cx.push(Item::Text(t));
        }
    }
    cx.line = n;
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

/// Places the 版记 on the last even page and returns how many pages carry numbers.
fn colophon(cx: &mut Ctx, doc: &Document, format: Format) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_breaks_keep_the_issuer_name_and_words_whole() {
        let issuer = vec!["宿州市发展和改革委员会".to_string()];
        let lines = split_title(
            "宿州市发展和改革委员会关于申请安排2027年市级重点项目前期工作经费的请示",
            20,
            &issuer,
        );
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(
            lines.iter().any(|l| l.contains("宿州市发展和改革委员会")),
            "{lines:?}"
        );
        let lines = split_title(
            "宿州市人民政府关于2026年优化营商环境工作情况的报告",
            20,
            &[],
        );
        assert_eq!(
            lines,
            vec!["宿州市人民政府关于", "2026年优化营商环境工作情况的报告"]
        );
        for l in &lines {
            assert!(cells_of(l) <= 20.0);
        }
    }

    #[test]
    fn a_short_title_is_one_line_and_a_joint_title_breaks_at_the_space() {
        assert_eq!(
            split_title("关于召开会议的通知", 20, &[]),
            vec!["关于召开会议的通知"]
        );
        let lines = split_title(
            "宿州市发展和改革委员会 宿州市财政局关于做好2027年市级政府投资项目计划编制工作的通知",
            20,
            &[],
        );
        assert_eq!(lines[0], "宿州市发展和改革委员会");
        assert!(lines
            .iter()
            .all(|l| !l.starts_with(' ') && !l.ends_with(' ')));
    }

    #[test]
    fn kinds_choose_their_special_format() {
        assert_eq!(Format::for_kind(DocKind::Letter), Format::Letter);
        assert_eq!(Format::for_kind(DocKind::Order), Format::Order);
        assert_eq!(Format::for_kind(DocKind::Minutes), Format::Minutes);
        assert_eq!(Format::for_kind(DocKind::Notice), Format::Document);
        assert_eq!(Format::for_kind(DocKind::Request), Format::Document);
    }

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
    fn joint_marks_ending_in_wenjian_share_one_suffix() {
        let mut doc = Document::new(DocKind::Notice);
        doc.issuer_mark = vec!["宿州市人民政府文件".into(), "宿州市财政局文件".into()];
        let t = HeaderTemplate::from_document(&doc, Format::Document);
        assert_eq!(t.marks, vec!["宿州市人民政府", "宿州市财政局"]);
        assert_eq!(t.suffix, "文件");
    }
}
