//! 办理单: the printed forms of a document's handling, drawn from its trail as
//! signature grids (standards.md §2.7, §2.8): the 发文稿纸 of a 发文, the 收文处理笺 of a
//! 收文 to be handled (办件) and the 阅文单 of one only to be read (阅件).
//!
//! Every step is a row with a 黑体 label; every opinion in it is a cell holding what was
//! written, the role and name of who wrote it and the full date (第二十二条: the signer
//! writes opinion, name and full date). A row grows with its text and a long trail goes
//! on to a next page under the form's title and header row again. A step not reached
//! yet is an empty cell, so the paper form can still be filled in by hand. The 精简 form
//! leaves out what was returned (退回) or withdrawn (撤回), and the passes they undid:
//! what stands is what the document went out (or was answered) on.

use gongwen_core::flow::{Flow, FlowKind, StepId, StepKind};
use gongwen_core::handling::{
    BranchStatus, Handling, Participant, Publicity, StepAction, TrailEntry,
};
use gongwen_core::wire::Directory;
use gongwen_core::Document;

use crate::fonts::{FontRole, FontSet};
use crate::linebreak::{break_lines, cells};
use crate::model::{pt_to_mm, Item, Page, PageModel, TextRun};
use crate::paint;
use crate::{Rendered, TypesetError, Warning};

/// Full or 精简.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SheetForm {
    /// Every step taken, returns and withdrawals included.
    #[default]
    Full,
    /// 精简: only the steps that stand (no 退回, no 撤回, nor what they undid).
    Brief,
}

/// Which form a handling prints as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetKind {
    /// 发文稿纸
    Outgoing,
    /// 收文处理笺 (办件)
    Incoming,
    /// 阅文单 (阅件)
    Reading,
}

impl SheetKind {
    pub fn of(handling: &Handling) -> SheetKind {
        match handling.flow {
            FlowKind::Outgoing => SheetKind::Outgoing,
            FlowKind::Incoming if handling.is_reading_item() => SheetKind::Reading,
            FlowKind::Incoming => SheetKind::Incoming,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SheetKind::Outgoing => "发文稿纸",
            SheetKind::Incoming => "收文处理笺",
            SheetKind::Reading => "阅文单",
        }
    }
}

// ---- page geometry (mm): A4 with the margins of GB 826 (top 20, left 20, right 15) ----

const PAGE_W: f64 = 210.0;
const PAGE_H: f64 = 297.0;
const LEFT: f64 = 20.0;
const RIGHT: f64 = 195.0;
const TOP: f64 = 20.0;
/// GB 826 leaves 7 mm at the foot; the page count stands in what is under the table.
const BOTTOM: f64 = 281.0;
const LABEL_W: f64 = 26.0;
const PAD_X: f64 = 2.0;
const PAD_Y: f64 = 1.6;
const TITLE_PT: f64 = 22.0;
const TEXT_PT: f64 = 12.0;
const SIGN_PT: f64 = 10.5;
const LINE_FACTOR: f64 = 1.35;
const RULE: f64 = 0.25;
const FRAME: f64 = 0.5;
/// A signature cell nobody has signed yet keeps room for a hand: about three lines.
const EMPTY_SIGNATURE_H: f64 = 14.0;
const FIELD_MIN_H: f64 = 8.5;

/// What the form says: Beijing time, as the office reads the date (the one rule for
/// every trail time, shared with the app and the CLI).
fn full_date(at: &str) -> String {
    gongwen_core::beijing_time(at)
}

/// One line of text in a cell, already broken.
#[derive(Debug, Clone)]
struct Line {
    text: String,
    role: FontRole,
    size_pt: f64,
    /// Right-aligned (the signature and date, as a hand signs under the opinion).
    right: bool,
}

impl Line {
    fn height(&self) -> f64 {
        pt_to_mm(self.size_pt) * LINE_FACTOR
    }
}

/// One signature cell: what was written, then who and when.
#[derive(Debug, Clone, Default)]
struct Cell {
    paragraphs: Vec<String>,
    signature: String,
}

/// A row of the form.
#[derive(Debug, Clone)]
enum Row {
    /// One or two label/value pairs.
    Fields(Vec<(String, String)>),
    /// A step: its cells stacked under one label (one per opinion or participant).
    Step { label: String, cells: Vec<Cell> },
}

/// Lays out text broken to `width` mm, one paragraph per line of `text`.
fn wrap(text: &str, width: f64, role: FontRole, size_pt: f64, right: bool) -> Vec<Line> {
    let room = (width / pt_to_mm(size_pt)).floor().max(1.0);
    let mut out = Vec::new();
    for para in text.split('\n').filter(|p| !p.trim().is_empty()) {
        let chars: Vec<char> = para.chars().collect();
        for (a, b) in break_lines(para, |_| room) {
            out.push(Line {
                text: chars[a..b].iter().collect(),
                role,
                size_pt,
                right,
            });
        }
    }
    out
}

fn cell_lines(cell: &Cell, width: f64) -> Vec<Line> {
    let mut lines = Vec::new();
    for p in &cell.paragraphs {
        lines.extend(wrap(p, width, FontRole::FangSong, TEXT_PT, false));
    }
    if !cell.signature.is_empty() {
        let w: f64 = cell.signature.chars().map(cells).sum::<f64>() * pt_to_mm(SIGN_PT);
        // On one line it stands at the right, as a hand signs; a longer one wraps.
        lines.extend(wrap(
            &cell.signature,
            width,
            FontRole::FangSong,
            SIGN_PT,
            w <= width,
        ));
    }
    lines
}

/// Draws the model: runs, rules, pages.
struct Painter<'a> {
    fonts: &'a FontSet,
    pages: Vec<Page>,
    warnings: Vec<Warning>,
    y: f64,
    /// The form's title and the header row, repeated on every page.
    title: String,
    header: Row,
}

impl<'a> Painter<'a> {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    fn hrule(&mut self, x0: f64, x1: f64, y: f64, thickness: f64) {
        self.page().items.push(paint::hrule(x0, x1, y, thickness));
    }

    fn vrule(&mut self, x: f64, y0: f64, y1: f64, thickness: f64) {
        self.page().items.push(paint::vrule(x, y0, y1, thickness));
    }

    fn text(&mut self, text: &str, role: FontRole, size_pt: f64, x: f64, top: f64) {
        let run = self.run(text, role, size_pt, x, top);
        self.page().items.push(Item::Text(run));
    }

    fn run(&mut self, text: &str, role: FontRole, size_pt: f64, x: f64, top: f64) -> TextRun {
        let place = ("办理单", "handling sheet");
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

    fn line_at(&mut self, line: &Line, x0: f64, x1: f64, top: f64) {
        let w: f64 = line.text.chars().map(cells).sum::<f64>() * pt_to_mm(line.size_pt);
        let x = if line.right { (x1 - w).max(x0) } else { x0 };
        // The em box sits in the middle of its line's height.
        let top = top + (line.height() - pt_to_mm(line.size_pt)) / 2.0;
        self.text(&line.text, line.role, line.size_pt, x, top);
    }

    /// A label centred in its column between `y0` and `y1`.
    fn label(&mut self, text: &str, x0: f64, x1: f64, y0: f64, y1: f64) {
        let lines = wrap(text, x1 - x0 - 2.0 * PAD_X, FontRole::HeiTi, TEXT_PT, false);
        let h: f64 = lines.iter().map(Line::height).sum();
        let mut top = y0 + ((y1 - y0) - h).max(0.0) / 2.0;
        for l in &lines {
            let w: f64 = l.text.chars().map(cells).sum::<f64>() * pt_to_mm(TEXT_PT);
            let x = x0 + ((x1 - x0) - w) / 2.0;
            let t = top + (l.height() - pt_to_mm(TEXT_PT)) / 2.0;
            self.text(&l.text, FontRole::HeiTi, TEXT_PT, x, t);
            top += l.height();
        }
    }

    /// Starts a page: the title, then the header row.
    fn start_page(&mut self) {
        self.pages.push(Page::default());
        let continued = self.pages.len() > 1;
        let title = if continued {
            format!("{}（续）", self.title)
        } else {
            self.title.clone()
        };
        let em = pt_to_mm(TITLE_PT);
        let w: f64 = title.chars().map(cells).sum::<f64>() * em;
        let x = ((PAGE_W - w) / 2.0).max(LEFT);
        self.text(&title, FontRole::XiaoBiaoSong, TITLE_PT, x, TOP);
        self.y = TOP + em + 6.0;
        self.hrule(LEFT, RIGHT, self.y, FRAME);
        let header = self.header.clone();
        self.row(&header);
    }

    /// Closes the page's table: its outer left and right lines and its bottom.
    fn end_page(&mut self, table_top: f64) {
        let y = self.y;
        self.hrule(LEFT, RIGHT, y, FRAME);
        self.vrule(LEFT, table_top, y, FRAME);
        self.vrule(RIGHT, table_top, y, FRAME);
    }

    fn table_top() -> f64 {
        TOP + pt_to_mm(TITLE_PT) + 6.0
    }

    /// A field row (never split: its values are short).
    fn fields(&mut self, pairs: &[(String, String)]) {
        let n = pairs.len().max(1) as f64;
        let span = (RIGHT - LEFT) / n;
        let laid: Vec<Vec<Line>> = pairs
            .iter()
            .map(|(_, v)| {
                wrap(
                    v,
                    span - LABEL_W - 2.0 * PAD_X,
                    FontRole::FangSong,
                    TEXT_PT,
                    false,
                )
            })
            .collect();
        let content: f64 = laid
            .iter()
            .map(|ls| ls.iter().map(Line::height).sum::<f64>())
            .fold(0.0, f64::max);
        let h = (content + 2.0 * PAD_Y).max(FIELD_MIN_H);
        if self.y + h > BOTTOM {
            self.break_page();
        }
        let (y0, y1) = (self.y, self.y + h);
        for (i, ((label, _), lines)) in pairs.iter().zip(&laid).enumerate() {
            let x0 = LEFT + span * i as f64;
            self.label(label, x0, x0 + LABEL_W, y0, y1);
            self.vrule(x0 + LABEL_W, y0, y1, RULE);
            if i > 0 {
                self.vrule(x0, y0, y1, RULE);
            }
            let text_h: f64 = lines.iter().map(Line::height).sum();
            let mut top = y0 + (h - text_h) / 2.0;
            for l in lines {
                self.line_at(l, x0 + LABEL_W + PAD_X, x0 + span - PAD_X, top);
                top += l.height();
            }
        }
        self.y = y1;
        self.hrule(LEFT, RIGHT, y1, RULE);
    }

    /// A step row: its cells stacked; a cell that does not fit goes on to the next page,
    /// split between its lines when it is taller than a page.
    fn step(&mut self, label: &str, row_cells: &[Cell]) {
        let (x0, x1) = (LEFT + LABEL_W + PAD_X, RIGHT - PAD_X);
        let empty = [Cell::default()];
        let row_cells = if row_cells.is_empty() {
            &empty[..]
        } else {
            row_cells
        };
        let mut seg_top = self.y;
        let mut label_text = label.to_string();
        for (ci, cell) in row_cells.iter().enumerate() {
            let lines = cell_lines(cell, x1 - x0);
            let content: f64 = lines.iter().map(Line::height).sum();
            let h = if lines.is_empty() {
                EMPTY_SIGNATURE_H
            } else {
                content + 2.0 * PAD_Y
            };
            let fresh = BOTTOM - (Self::table_top() + self.header_height());
            if self.y + h > BOTTOM && (h <= fresh || self.y + 3.0 * PAD_Y + 12.0 > BOTTOM) {
                self.close_segment(&label_text, seg_top);
                self.break_page();
                label_text = format!("{label}（续）");
                seg_top = self.y;
            }
            if ci > 0 && self.y > seg_top {
                // Cells of one step are parted in the content column only.
                self.hrule(LEFT + LABEL_W, RIGHT, self.y, RULE);
            }
            let mut top = self.y + PAD_Y;
            for l in &lines {
                if top + l.height() + PAD_Y > BOTTOM {
                    self.y = top + PAD_Y;
                    self.close_segment(&label_text, seg_top);
                    self.break_page();
                    label_text = format!("{label}（续）");
                    seg_top = self.y;
                    top = self.y + PAD_Y;
                }
                self.line_at(l, x0, x1, top);
                top += l.height();
            }
            self.y = if lines.is_empty() {
                self.y + h
            } else {
                top + PAD_Y
            };
        }
        self.close_segment(&label_text, seg_top);
    }

    /// The label column and the rule under a step's cells on this page.
    fn close_segment(&mut self, label: &str, top: f64) {
        if self.y <= top {
            return;
        }
        self.label(label, LEFT, LEFT + LABEL_W, top, self.y);
        self.vrule(LEFT + LABEL_W, top, self.y, RULE);
        self.hrule(LEFT, RIGHT, self.y, RULE);
    }

    fn header_height(&self) -> f64 {
        match &self.header {
            Row::Fields(pairs) => {
                let span = (RIGHT - LEFT) / pairs.len().max(1) as f64;
                let content = pairs
                    .iter()
                    .map(|(_, v)| {
                        wrap(
                            v,
                            span - LABEL_W - 2.0 * PAD_X,
                            FontRole::FangSong,
                            TEXT_PT,
                            false,
                        )
                        .iter()
                        .map(Line::height)
                        .sum::<f64>()
                    })
                    .fold(0.0, f64::max);
                (content + 2.0 * PAD_Y).max(FIELD_MIN_H)
            }
            Row::Step { .. } => EMPTY_SIGNATURE_H,
        }
    }

    fn break_page(&mut self) {
        self.end_page(Self::table_top());
        self.start_page();
    }

    fn row(&mut self, row: &Row) {
        match row {
            Row::Fields(pairs) => self.fields(pairs),
            Row::Step { label, cells } => self.step(label, cells),
        }
    }

    /// 第1页 共2页 under each table, once the count is known.
    fn number_pages(&mut self) {
        let n = self.pages.len();
        if n < 2 {
            return;
        }
        for i in 0..n {
            let text = format!("第{}页 共{}页", i + 1, n);
            let w: f64 = text.chars().map(cells).sum::<f64>() * pt_to_mm(SIGN_PT);
            let run = self.run(
                &text,
                FontRole::SongTi,
                SIGN_PT,
                (PAGE_W - w) / 2.0,
                BOTTOM + 3.5,
            );
            self.pages[i].items.push(Item::Text(run));
        }
    }
}

/// Who is who: display names and unit names from the directory.
struct Names<'a> {
    directory: &'a Directory,
}

impl Names<'_> {
    fn person(&self, username: &str) -> String {
        self.directory
            .users
            .iter()
            .find(|u| u.username == username)
            .map(|u| u.display_name.trim())
            .filter(|n| !n.is_empty())
            .unwrap_or(username)
            .to_string()
    }

    fn unit(&self, code: &str) -> String {
        self.directory
            .units
            .iter()
            .find(|u| u.code.0 == code)
            .map(|u| u.name.trim())
            .filter(|n| !n.is_empty())
            .unwrap_or(code)
            .to_string()
    }

    fn participant(&self, p: &Participant) -> String {
        match p {
            Participant::Unit(u) => self.unit(&u.0),
            Participant::User(name) => self.person(name),
        }
    }
}

/// Which trail entries a form shows: all of them, or (精简) those that stand.
fn shown(h: &Handling, form: SheetForm) -> Vec<&TrailEntry> {
    if form == SheetForm::Full {
        return h.trail.iter().collect();
    }
    let mut kept: Vec<&TrailEntry> = Vec::new();
    let last = h.trail.len().saturating_sub(1);
    for (i, e) in h.trail.iter().enumerate() {
        match &e.action {
            StepAction::Return { to, .. } => {
                // A 退回 that ended the handling (退回 before 签收, 退文) is its outcome.
                if i == last && h.finished {
                    kept.push(e);
                    continue;
                }
                // The document goes through `to` again: the pass it undid does not stand.
                if let Some(j) = kept
                    .iter()
                    .rposition(|k| &k.step == to && matches!(k.action, StepAction::Finish { .. }))
                {
                    kept.truncate(j);
                }
            }
            StepAction::Withdraw => {
                if let Some(j) = kept.iter().rposition(|k| {
                    k.step == e.step
                        && k.by == e.by
                        && matches!(k.action, StepAction::Finish { .. })
                }) {
                    kept.truncate(j);
                }
            }
            StepAction::CancelNumber { .. } => {
                if let Some(j) = kept.iter().rposition(|k| k.kind == StepKind::AssignNumber) {
                    kept.truncate(j);
                }
            }
            _ => kept.push(e),
        }
    }
    kept
}

struct Builder<'a> {
    h: &'a Handling,
    doc: &'a Document,
    names: Names<'a>,
    entries: Vec<&'a TrailEntry>,
    flow: Flow,
}

impl Builder<'_> {
    fn step_name(&self, id: &StepId) -> String {
        self.flow
            .step(id)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    /// The entries of a step kind that make cells (not 加签/减签 bookkeeping).
    fn of(&self, kind: StepKind) -> Vec<&TrailEntry> {
        self.entries
            .iter()
            .copied()
            .filter(|e| e.kind == kind)
            .filter(|e| {
                !matches!(
                    e.action,
                    StepAction::AddParticipant { .. } | StepAction::RemoveParticipant { .. }
                )
            })
            .collect()
    }

    /// Who signed: unit (when another), role, name.
    fn who(&self, e: &TrailEntry) -> String {
        let mut s = String::new();
        if e.unit != self.h.unit {
            s.push_str(&self.names.unit(&e.unit.0));
            s.push(' ');
        }
        s.push_str(e.role.label());
        s.push(' ');
        s.push_str(&self.names.person(&e.by));
        // 代办: taken in this person's name by a delegate.
        if let Some(delegate) = &e.acted_by {
            s.push_str(&format!("（由{}代）", self.names.person(delegate)));
        }
        s
    }

    fn what(&self, e: &TrailEntry) -> Vec<String> {
        let mut p = Vec::new();
        match &e.action {
            StepAction::Return { to, reason } => {
                p.push(format!("退回至“{}”：{}", self.step_name(to), reason.trim()));
            }
            StepAction::Withdraw => p.push("撤回".to_string()),
            _ => {}
        }
        if let Some(o) = e
            .opinion
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty())
        {
            p.push(o.to_string());
        }
        if let Some(r) = e.result.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            let line = match (e.kind, &e.action) {
                (_, StepAction::CancelNumber { .. }) => format!("取消编号：{r}"),
                (_, StepAction::Return { .. }) if e.kind == StepKind::Acknowledge => String::new(),
                (_, StepAction::Remind { .. }) => format!("催办：{r}"),
                (StepKind::SignOff, _) => match &self.h.publicity {
                    Some(Publicity::Withheld { reason }) if r == "不予公开" => {
                        format!("公开属性：{r}（{}）", reason.trim())
                    }
                    _ => format!("公开属性：{r}"),
                },
                (StepKind::AssignNumber, _) => format!("发文字号：{r}"),
                (StepKind::Register, _) => format!("收文编号：{r}"),
                _ => r.to_string(),
            };
            if !line.is_empty() {
                p.push(line);
            }
        }
        p
    }

    fn cell(&self, e: &TrailEntry, status: Option<String>) -> Cell {
        let mut signature = self.who(e);
        if let Some(s) = status {
            signature.push_str(&format!("（{s}）"));
        }
        signature.push_str("  ");
        signature.push_str(&full_date(&e.at));
        Cell {
            paragraphs: self.what(e),
            signature,
        }
    }

    /// A sequential step: one cell per entry.
    fn sequential(&self, kind: StepKind, label: &str) -> Row {
        let cells = self
            .of(kind)
            .into_iter()
            .map(|e| self.cell(e, None))
            .collect();
        Row::Step {
            label: label.to_string(),
            cells,
        }
    }

    /// A parallel step (会签, 承办, 传阅): one cell per participant's action, and one per
    /// participant still to act or taken off (减签) before acting.
    fn parallel(&self, kind: StepKind, label: &str) -> Row {
        let h = self.h;
        let of_entry = |e: &TrailEntry| -> Participant {
            if e.unit != h.unit {
                Participant::Unit(e.unit.clone())
            } else {
                Participant::User(e.by.clone())
            }
        };
        // Who was added (加签) or taken off (减签) at this step.
        let mut added = Vec::new();
        let mut removed = Vec::new();
        for e in self.entries.iter().filter(|e| e.kind == kind) {
            match &e.action {
                StepAction::AddParticipant { participant } => added.push(participant.clone()),
                StepAction::RemoveParticipant { participant } => {
                    removed.push((participant.clone(), *e))
                }
                _ => {}
            }
        }
        // 主办 for 承办: the first named at 批办.
        let lead = self
            .entries
            .iter()
            .rev()
            .find_map(|e| match &e.action {
                StepAction::Finish { participants, .. } if e.kind == StepKind::Instruct => {
                    participants.first().cloned()
                }
                _ => None,
            })
            .or_else(|| {
                h.branches
                    .iter()
                    .find(|b| b.lead)
                    .map(|b| b.participant.clone())
            });
        let matches = |p: &Participant, e: &TrailEntry| match p {
            Participant::Unit(u) => &e.unit == u,
            Participant::User(n) => &e.by == n,
        };
        let marks = |p: &Participant| -> String {
            let mut m = String::new();
            if kind == StepKind::Handle {
                m.push_str(if lead.as_ref() == Some(p) {
                    "主办"
                } else {
                    "协办"
                });
            }
            if added.contains(p) {
                if !m.is_empty() {
                    m.push('，');
                }
                m.push_str("加签");
            }
            m
        };
        let mut cells = Vec::new();
        let acted = self.of(kind);
        for e in &acted {
            let p = of_entry(e);
            let status = match &e.action {
                StepAction::Return { .. } => BranchStatus::Returned.label().to_string(),
                StepAction::Remind { .. } => "催办".to_string(),
                _ if removed.iter().any(|(r, _)| r == &p) => {
                    BranchStatus::RemovedAfterDone.label().to_string()
                }
                _ if kind == StepKind::Circulate => "已阅".to_string(),
                _ => BranchStatus::Done.label().to_string(),
            };
            let m = marks(&p);
            let status = if m.is_empty() {
                status
            } else {
                format!("{m}，{status}")
            };
            cells.push(self.cell(e, Some(status)));
        }
        // Participants with no action of theirs on the sheet: still to act, or 减签.
        let mut waiting: Vec<(Participant, String)> = Vec::new();
        if h.step_kind == kind && !h.finished {
            for b in &h.branches {
                if b.status == BranchStatus::Open || b.status == BranchStatus::Removed {
                    waiting.push((b.participant.clone(), b.status.label().to_string()));
                }
            }
        }
        for (p, _) in &removed {
            if !acted.iter().any(|e| matches(p, e)) && !waiting.iter().any(|(w, _)| w == p) {
                waiting.push((p.clone(), BranchStatus::Removed.label().to_string()));
            }
        }
        for (p, status) in waiting {
            if acted.iter().any(|e| matches(&p, e)) && status == BranchStatus::Removed.label() {
                continue;
            }
            let m = marks(&p);
            let status = if m.is_empty() {
                status
            } else {
                format!("{m}，{status}")
            };
            cells.push(Cell {
                paragraphs: Vec::new(),
                signature: format!("{}（{status}）", self.names.participant(&p)),
            });
        }
        Row::Step {
            label: label.to_string(),
            cells,
        }
    }

    fn first_date(&self, kind: StepKind) -> String {
        self.h
            .trail
            .iter()
            .find(|e| e.kind == kind && matches!(e.action, StepAction::Finish { .. }))
            .map(|e| full_date(&e.at))
            .unwrap_or_default()
    }

    fn title_row(&self) -> Row {
        Row::Fields(vec![("标题".into(), self.doc.title.trim().to_string())])
    }

    fn classification(&self) -> String {
        let c = self.doc.classification.label().to_string();
        match self.doc.secrecy_term.trim() {
            "" => c,
            term => format!("{c}★{}", term.trim_start_matches('★')),
        }
    }

    fn outgoing(&self) -> Vec<Row> {
        let d = self.doc;
        // The 序号 exists only after 编号; the provisional mark would only say less.
        let number = self.h.number.clone().unwrap_or_else(|| "待编号".into());
        let publicity = self
            .h
            .publicity
            .as_ref()
            .map(|p| match p {
                Publicity::Withheld { reason } => format!("{}（{}）", p.label(), reason.trim()),
                p => p.label().to_string(),
            })
            .unwrap_or_default();
        let attachments = d
            .attachments
            .iter()
            .enumerate()
            .map(|(i, a)| format!("{}. {}", i + 1, a.name.trim()))
            .collect::<Vec<_>>()
            .join("\n");
        vec![
            self.sequential(StepKind::SignOff, "签发"),
            self.parallel(StepKind::Countersign, "会签"),
            Row::Fields(vec![
                ("发文字号".into(), number),
                ("密级".into(), self.classification()),
            ]),
            Row::Fields(vec![
                ("紧急程度".into(), d.urgency.label().to_string()),
                ("公开属性".into(), publicity),
            ]),
            Row::Fields(vec![("主送".into(), d.main_recipients.join("、"))]),
            Row::Fields(vec![("抄送".into(), d.cc_recipients.join("、"))]),
            Row::Fields(vec![("附件".into(), attachments)]),
            Row::Fields(vec![
                ("拟稿单位".into(), self.names.unit(&self.h.unit.0)),
                ("成文日期".into(), d.date_of_issue.trim().to_string()),
            ]),
            self.sequential(StepKind::Draft, "拟稿"),
            self.sequential(StepKind::Review, "核稿"),
            self.sequential(StepKind::Recheck, "复核"),
            self.sequential(StepKind::AssignNumber, "编号"),
            self.sequential(StepKind::Seal, "用印"),
            self.sequential(StepKind::Dispatch, "核发"),
            // Filled in by hand at the 文印室, as on paper.
            Row::Fields(vec![
                ("印制".into(), String::new()),
                ("校对".into(), String::new()),
                ("份数".into(), String::new()),
            ]),
        ]
    }

    fn issuer(&self) -> String {
        let d = self.doc;
        let signature = d.issuer_signature.join("、");
        if !signature.trim().is_empty() {
            return signature;
        }
        d.issuer_mark
            .first()
            .map(|m| m.trim_end_matches("文件").to_string())
            .unwrap_or_default()
    }

    fn incoming_head(&self) -> Vec<Row> {
        let d = self.doc;
        vec![
            Row::Fields(vec![
                ("来文机关".into(), self.issuer()),
                ("来文字号".into(), d.doc_number.trim().to_string()),
            ]),
            Row::Fields(vec![
                ("收文编号".into(), self.h.number.clone().unwrap_or_default()),
                ("收文日期".into(), self.first_date(StepKind::Acknowledge)),
            ]),
            Row::Fields(vec![
                ("密级".into(), self.classification()),
                ("紧急程度".into(), d.urgency.label().to_string()),
            ]),
        ]
    }

    /// 办结 is the 答复 the sender sees.
    fn answer(&self) -> Row {
        let answered = self
            .of(StepKind::Complete)
            .into_iter()
            .rev()
            .find(|e| matches!(e.action, StepAction::Finish { .. }))
            .filter(|_| self.h.finished)
            .map(|e| format!("已于{}答复来文机关", full_date(&e.at)))
            .unwrap_or_default();
        Row::Fields(vec![("答复".into(), answered)])
    }

    fn incoming(&self) -> Vec<Row> {
        let mut rows = self.incoming_head();
        rows.push(Row::Fields(vec![
            (
                "限办日期".into(),
                self.h.deadline.clone().unwrap_or_default(),
            ),
            ("办理状态".into(), self.h.status_label()),
        ]));
        rows.extend([
            self.sequential(StepKind::Screen, "初审"),
            self.sequential(StepKind::Propose, "拟办意见"),
            self.sequential(StepKind::Instruct, "领导批示"),
            self.parallel(StepKind::Handle, "承办"),
            self.parallel(StepKind::Circulate, "传阅"),
            self.sequential(StepKind::Remind, "催办"),
            self.sequential(StepKind::Complete, "办理结果（注办）"),
            self.answer(),
        ]);
        rows
    }

    fn reading(&self) -> Vec<Row> {
        let mut rows = self.incoming_head();
        rows.extend([
            self.sequential(StepKind::Screen, "初审"),
            self.parallel(StepKind::Circulate, "阅文批示"),
            self.sequential(StepKind::Remind, "催办"),
            self.sequential(StepKind::Complete, "注办"),
        ]);
        rows
    }
}

/// Draws the 办理单 of `handling` (the 发文稿纸, 收文处理笺 or 阅文单, by
/// [`SheetKind::of`]) for `doc`, as A4 PDF in the fonts of the 公文. Names and units
/// are shown as `directory` gives them (the login name or unit code when it has none).
pub fn handling_sheet(
    doc: &Document,
    handling: &Handling,
    directory: &Directory,
    fonts: &FontSet,
    form: SheetForm,
) -> Result<Rendered, TypesetError> {
    let kind = SheetKind::of(handling);
    let b = Builder {
        h: handling,
        doc,
        names: Names { directory },
        entries: shown(handling, form),
        flow: directory.handling_flow(handling),
    };
    let rows = match kind {
        SheetKind::Outgoing => b.outgoing(),
        SheetKind::Incoming => b.incoming(),
        SheetKind::Reading => b.reading(),
    };
    let unit = b.names.unit(&handling.unit.0);
    let mut title = format!("{unit}{}", kind.label());
    if form == SheetForm::Brief {
        title.push_str("（精简）");
    }
    let mut p = Painter {
        fonts,
        pages: Vec::new(),
        warnings: fonts.substitutions.clone(),
        y: TOP,
        title,
        header: b.title_row(),
    };
    p.start_page();
    for row in &rows {
        p.row(row);
    }
    p.end_page(Painter::table_top());
    p.number_pages();
    let model = PageModel {
        width_mm: PAGE_W,
        height_mm: PAGE_H,
        pages: p.pages,
    };
    let pdf = crate::pdf::write_pdf(
        &model,
        fonts,
        &format!("{}（{}）", doc.title.trim(), kind.label()),
        crate::RedInk::Print,
    )?;
    Ok(Rendered {
        pages: model.pages.len(),
        pdf,
        warnings: p.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_printed_in_beijing_time_in_full() {
        assert_eq!(full_date("2026-12-07T17:05:00Z"), "2026年12月8日 01:05");
        assert_eq!(full_date("not a time"), "not a time");
    }
}
