//! The line grid of the 版心 (22 lines of 28 characters): the drawing context that sets
//! text and paragraphs on it, and the page helpers (lines moved on, page numbers).

use crate::fonts::{FontRole, FontSet};
use crate::linebreak::{break_lines, cells};
use crate::model::{pt_to_mm, Glyph, Ink, Item, Page, Rule, TextRun};
use crate::{Warning, WarningKind};

use gongwen_core::page::LayoutConfig;

pub(super) struct Ctx<'a> {
    pub(super) cfg: &'a LayoutConfig,
    pub(super) fonts: &'a FontSet,
    pub(super) pages: Vec<Page>,
    /// Next free grid line on the current (last) page.
    pub(super) line: usize,
    pub(super) warnings: Vec<Warning>,
}

/// A point in the layout to come back to ([`Ctx::mark`], [`Ctx::rewind`]). Layout only
/// appends pages and warnings, so counts are enough for them; the last page is kept whole.
pub(super) struct Mark {
    pages: usize,
    last: Page,
    line: usize,
    warnings: usize,
}

/// Where a piece of text comes from, for warnings.
#[derive(Clone, Copy)]
pub(super) struct Origin<'s> {
    pub(super) element: &'s str,
    pub(super) paragraph: usize,
    pub(super) offset: usize,
}

impl<'s> Origin<'s> {
    /// An element as a whole (not one of its paragraphs or characters).
    pub(super) fn of(element: &'s str) -> Origin<'s> {
        Origin {
            element,
            paragraph: 0,
            offset: 0,
        }
    }
}

impl<'a> Ctx<'a> {
    pub(super) fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    /// Where layout stands now, so that what is laid out after it can be taken back.
    pub(super) fn mark(&self) -> Mark {
        Mark {
            pages: self.pages.len(),
            last: self.pages.last().cloned().unwrap_or_default(),
            line: self.line,
            warnings: self.warnings.len(),
        }
    }

    /// Takes back everything laid out since `mark`: later pages, the last page as it was
    /// (lines moved off it come back), and the warnings (a second try repeats them).
    pub(super) fn rewind(&mut self, mark: &Mark) {
        self.pages.truncate(mark.pages.saturating_sub(1));
        self.pages.push(mark.last.clone());
        self.line = mark.line;
        self.warnings.truncate(mark.warnings);
    }

    pub(super) fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.line = 0;
    }

    pub(super) fn push(&mut self, item: Item) {
        self.page().items.push(item);
    }

    /// Shapes text onto cells: glyph per char, `cell` mm per full-width cell.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn run(
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
    pub(super) fn text_at(
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
    pub(super) fn grid_line(&mut self, spans: &[(&str, FontRole)], indent: f64, origin: Origin) {
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
    pub(super) fn paragraph(
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

    pub(super) fn rule(&mut self, x: f64, y: f64, width: f64, thickness: f64, ink: Ink) {
        self.push(Item::Rule(Rule {
            x,
            y,
            width,
            thickness,
            ink,
        }));
    }

    pub(super) fn text_width(text: &str, cell: f64) -> f64 {
        text.chars().map(cells).sum::<f64>() * cell
    }
}

pub(super) fn cells_of(s: &str) -> f64 {
    s.chars().map(cells).sum()
}

/// First grid line whose em box starts at or below `y`.
pub(super) fn line_at_or_below(cfg: &LayoutConfig, y: f64) -> usize {
    let i = ((y - cfg.top_mm) / cfg.pitch() - 1e-6).ceil();
    i.max(0.0) as usize
}

/// Moves the last `n` grid lines of the current page to a new page.
pub(super) fn move_last_lines(cx: &mut Ctx, n: usize) {
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

pub(super) fn page_number_run(cx: &mut Ctx, n: u32) -> TextRun {
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
