//! The 办理单 as printed: the 发文稿纸, 收文处理笺 and 阅文单 read back with
//! `pdftotext -bbox-layout` and the drawn rules, checking that every opinion, person,
//! role and date stands inside its cell and in its step's row.

mod common;

use common::{assert_fonts, fixture, fonts};
use gongwen_core::flow::{FlowKind, StepId, StepKind};
use gongwen_core::handling::{
    Branch, BranchStatus, Handling, Participant, Publicity, StepAction, TrailEntry,
};
use gongwen_core::wire::{Directory, DirectoryUser, Role, Unit, UnitCode};
use gongwen_pdfcheck::inspect::{inspect, PageText, PdfLayout, RuleLine};
use gongwen_typeset::{handling_sheet, SheetForm};

const TOL: f64 = 0.6;

fn directory() -> Directory {
    let unit = |code: &str, name: &str| Unit {
        code: UnitCode::from(code),
        name: name.into(),
        short_name: None,
    };
    let user = |name: &str, display: &str, unit: &str| DirectoryUser {
        username: name.into(),
        display_name: display.into(),
        unit: UnitCode::from(unit),
    };
    Directory {
        units: vec![
            unit("sz-fgw", "宿州市发展和改革委员会"),
            unit("sz-tjj", "宿州市统计局"),
            unit("sz-czj", "宿州市财政局"),
            unit("sz-gov", "宿州市人民政府办公室"),
        ],
        users: vec![
            user("fgw-clerk", "张明", "sz-fgw"),
            user("fgw-director", "李华", "sz-fgw"),
            user("fgw-leader", "王建国", "sz-fgw"),
            user("tjj-director", "赵敏", "sz-tjj"),
            user("czj-leader", "钱进", "sz-czj"),
            user("gov-director", "孙立", "sz-gov"),
            user("gov-clerk", "周文", "sz-gov"),
            user("gov-leader", "吴刚", "sz-gov"),
            user("gov-deputy", "郑洁", "sz-gov"),
        ],
        clearances: None,
        flows: vec![],
        flow_versions: vec![],
    }
}

fn role_of(by: &str) -> (Role, &'static str) {
    let unit = match by.split('-').next() {
        Some("tjj") => "sz-tjj",
        Some("czj") => "sz-czj",
        Some("gov") => "sz-gov",
        _ => "sz-fgw",
    };
    let role = if by.ends_with("clerk") {
        Role::Clerk
    } else if by.ends_with("director") {
        Role::OfficeDirector
    } else {
        Role::Leader
    };
    (role, unit)
}

fn entry(step: &str, kind: StepKind, action: StepAction, by: &str, at: &str) -> TrailEntry {
    let (role, unit) = role_of(by);
    TrailEntry {
        step: StepId::from(step),
        kind,
        action,
        by: by.into(),
        role,
        unit: UnitCode::from(unit),
        at: at.into(),
        opinion: None,
        result: None,
        acted_by: None,
    }
}

fn finish() -> StepAction {
    StepAction::Finish {
        next: None,
        participants: Vec::new(),
    }
}

fn said(mut e: TrailEntry, opinion: &str) -> TrailEntry {
    e.opinion = Some(opinion.into());
    e
}

fn gave(mut e: TrailEntry, result: &str) -> TrailEntry {
    e.result = Some(result.into());
    e
}

const RETURN_REASON: &str = "请补充2027年经费测算依据后再送审";
const REVIEW_OPINION: &str = "文字已核，依据充分，建议送市统计局、市财政局会签";
const TJJ_OPINION: &str = "统计口径无异议";
const CZJ_OPINION: &str = "经费需求与预算安排衔接，同意";
const GOV_OPINION: &str = "同意报送";

/// The 发文 story of the issue: 拟稿, 核稿 returns it with a reason, 拟稿 again, 核稿
/// with an opinion, 会签 by two units plus one added (加签), 签发 同意 with 公开属性,
/// 复核, 编号; now at 用印.
fn outgoing(sign_off_opinion: &str) -> Handling {
    use StepKind::*;
    let trail = vec![
        entry(
            "draft",
            Draft,
            finish(),
            "fgw-clerk",
            "2026-12-01T01:00:00Z",
        ),
        entry(
            "review",
            Review,
            StepAction::Return {
                to: StepId::from("draft"),
                reason: RETURN_REASON.into(),
            },
            "fgw-director",
            "2026-12-01T02:00:00Z",
        ),
        entry(
            "draft",
            Draft,
            finish(),
            "fgw-clerk",
            "2026-12-02T01:00:00Z",
        ),
        said(
            entry(
                "review",
                Review,
                StepAction::Finish {
                    next: Some(StepId::from("countersign")),
                    participants: vec![
                        Participant::Unit(UnitCode::from("sz-tjj")),
                        Participant::Unit(UnitCode::from("sz-czj")),
                    ],
                },
                "fgw-director",
                "2026-12-02T03:00:00Z",
            ),
            REVIEW_OPINION,
        ),
        said(
            entry(
                "countersign",
                Countersign,
                finish(),
                "tjj-director",
                "2026-12-03T01:30:00Z",
            ),
            TJJ_OPINION,
        ),
        entry(
            "countersign",
            Countersign,
            StepAction::AddParticipant {
                participant: Participant::Unit(UnitCode::from("sz-gov")),
            },
            "fgw-director",
            "2026-12-03T02:00:00Z",
        ),
        said(
            entry(
                "countersign",
                Countersign,
                finish(),
                "czj-leader",
                "2026-12-03T06:00:00Z",
            ),
            CZJ_OPINION,
        ),
        said(
            entry(
                "countersign",
                Countersign,
                finish(),
                "gov-director",
                "2026-12-04T01:00:00Z",
            ),
            GOV_OPINION,
        ),
        gave(
            said(
                entry(
                    "sign_off",
                    SignOff,
                    finish(),
                    "fgw-leader",
                    "2026-12-05T08:20:00Z",
                ),
                sign_off_opinion,
            ),
            "主动公开",
        ),
        entry(
            "recheck",
            Recheck,
            finish(),
            "fgw-clerk",
            "2026-12-05T09:00:00Z",
        ),
        gave(
            entry(
                "assign_number",
                AssignNumber,
                finish(),
                "fgw-clerk",
                "2026-12-05T09:10:00Z",
            ),
            "宿发改〔2026〕12号",
        ),
    ];
    Handling {
        flow: FlowKind::Outgoing,
        unit: UnitCode::from("sz-fgw"),
        step: StepId::from("seal"),
        step_kind: StepKind::Seal,
        branches: Vec::new(),
        finished: false,
        arrived: trail.len(),
        trail,
        number: Some("宿发改〔2026〕12号".into()),
        publicity: Some(Publicity::Active),
        deadline: None,
        flow_digest: None,
    }
}

struct Sheet {
    pdf: PdfLayout,
    pages: usize,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn print(h: &Handling, form: SheetForm) -> Sheet {
    let doc = fixture("request-with-signer");
    let rendered = handling_sheet(&doc, h, &directory(), fonts(), form).expect("sheet");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sheet.pdf");
    std::fs::write(&path, &rendered.pdf).unwrap();
    if let Ok(keep) = std::env::var("GONGWEN_KEEP_SHEETS") {
        let name = format!("{keep}/{:?}-{:?}-{}.pdf", h.flow, form, rendered.pages);
        std::fs::write(name, &rendered.pdf).unwrap();
    }
    Sheet {
        pdf: inspect(&path).expect("inspect"),
        pages: rendered.pages,
        path,
        _dir: dir,
    }
}

/// A box on the page, mm from the top-left corner.
#[derive(Debug, Clone, Copy)]
struct Bbox {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

/// Where `needle` is printed: the word holding it, else the line.
#[track_caller]
fn find(page: &PageText, needle: &str) -> Bbox {
    find_in(page, needle, f64::MIN, f64::MAX)
}

/// As [`find`], the first one whose middle lies between `top` and `bottom`.
#[track_caller]
fn find_in(page: &PageText, needle: &str, top: f64, bottom: f64) -> Bbox {
    let inside = |y0: f64, y1: f64| (y0 + y1) / 2.0 > top && (y0 + y1) / 2.0 < bottom;
    for l in &page.lines {
        for w in &l.words {
            if w.text.contains(needle) && inside(w.y_min, w.y_max) {
                return Bbox {
                    x0: w.x_min,
                    y0: w.y_min,
                    x1: w.x_max,
                    y1: w.y_max,
                };
            }
        }
    }
    for l in &page.lines {
        if l.text().contains(needle) && inside(l.y_min, l.y_max) {
            return Bbox {
                x0: l.x_min,
                y0: l.y_min,
                x1: l.x_max,
                y1: l.y_max,
            };
        }
    }
    let all: Vec<String> = page.lines.iter().map(|l| l.spaced()).collect();
    panic!("{needle:?} is not on the page: {all:#?}")
}

/// The table's left edge: where its full-width rules start.
fn table_left(page: &PageText) -> f64 {
    page.rules.iter().map(|r| r.x_min).fold(f64::MAX, f64::min)
}

/// The nearest rules above and below `b` that run across it.
#[track_caller]
fn between(page: &PageText, b: Bbox, only: impl Fn(&RuleLine) -> bool) -> (f64, f64) {
    let mid = (b.y0 + b.y1) / 2.0;
    let across = |r: &&RuleLine| r.x_min <= b.x0 + TOL && r.x_max >= b.x1 - TOL && only(r);
    let above = page
        .rules
        .iter()
        .filter(across)
        .filter(|r| r.y < mid)
        .map(|r| r.y)
        .fold(f64::MIN, f64::max);
    let below = page
        .rules
        .iter()
        .filter(across)
        .filter(|r| r.y > mid)
        .map(|r| r.y)
        .fold(f64::MAX, f64::min);
    assert!(
        above > f64::MIN && below < f64::MAX,
        "no rules around {b:?}"
    );
    (above, below)
}

/// A label in the table's label column (the same words may stand in a value).
#[track_caller]
fn find_label(page: &PageText, label: &str) -> Bbox {
    let left = table_left(page);
    page.lines
        .iter()
        .flat_map(|l| &l.words)
        .find(|w| w.text == label && w.x_min > left)
        .map(|w| Bbox {
            x0: w.x_min,
            y0: w.y_min,
            x1: w.x_max,
            y1: w.y_max,
        })
        .unwrap_or_else(|| panic!("no label {label:?}"))
}

/// The row of a step: between the full-width rules around its label.
#[track_caller]
fn row(page: &PageText, label: &str) -> (f64, f64) {
    let left = table_left(page);
    let b = find_label(page, label);
    between(page, b, |r| (r.x_min - left).abs() < TOL)
}

/// The cell a text stands in: between the rules around it in the content column.
#[track_caller]
fn assert_in_cell(page: &PageText, label: &str, texts: &[&str]) {
    let (row_top, row_bottom) = row(page, label);
    let label_box = find_label(page, label);
    let mut cell: Option<(f64, f64)> = None;
    for t in texts {
        // The first text finds the cell; the others must be printed in that cell.
        let (from, to) = cell.unwrap_or((row_top, row_bottom));
        let b = find_in(page, t, from, to);
        let (top, bottom) = between(page, b, |_| true);
        assert!(
            b.y0 >= top - TOL && b.y1 <= bottom + TOL,
            "{t:?} {b:?} runs out of its cell {top:.1}–{bottom:.1}"
        );
        assert!(
            b.x0 > label_box.x1 && b.x1 <= 195.0 + TOL,
            "{t:?} {b:?} is not in the content column"
        );
        assert!(
            top >= row_top - TOL && bottom <= row_bottom + TOL,
            "{t:?} is in the cell {top:.1}–{bottom:.1}, not in the row of {label} {row_top:.1}–{row_bottom:.1}"
        );
        match cell {
            None => cell = Some((top, bottom)),
            Some(c) => assert!(
                (c.0 - top).abs() < TOL && (c.1 - bottom).abs() < TOL,
                "{t:?} is in another cell ({top:.1}–{bottom:.1}) than {:?} ({:.1}–{:.1})",
                texts[0],
                c.0,
                c.1
            ),
        }
    }
}

#[test]
fn every_opinion_stands_in_its_cell_with_name_role_and_full_date() {
    let sheet = print(&outgoing("同意。"), SheetForm::Full);
    assert_eq!(sheet.pages, 1);
    let page = &sheet.pdf.pages[0];
    let text = sheet.pdf.text();
    assert!(text.contains("宿州市发展和改革委员会发文稿纸"), "{text}");
    // 签发: opinion, 公开属性, role, person and the full date in Beijing time.
    assert_in_cell(
        page,
        "签发",
        &[
            "同意。",
            "公开属性：主动公开",
            "王建国",
            "领导",
            "2026年12月5日",
        ],
    );
    // 核稿: the return with its reason in one cell, the opinion in another.
    assert_in_cell(page, "核稿", &[RETURN_REASON, "李华", "2026年12月1日"]);
    assert_in_cell(page, "核稿", &[REVIEW_OPINION, "2026年12月2日"]);
    // 会签: one cell per unit, with its status; the added one marked 加签.
    assert_in_cell(
        page,
        "会签",
        &[TJJ_OPINION, "宿州市统计局", "赵敏", "2026年12月3日"],
    );
    assert_in_cell(page, "会签", &[CZJ_OPINION, "宿州市财政局", "钱进"]);
    assert_in_cell(
        page,
        "会签",
        &[GOV_OPINION, "宿州市人民政府办公室", "孙立", "加签"],
    );
    assert_in_cell(
        page,
        "编号",
        &["发文字号：宿发改〔2026〕12号", "张明", "2026年12月5日"],
    );
    // Header fields as the 发文稿纸 lists them.
    for (label, value) in [
        ("发文字号", "宿发改〔2026〕12号"),
        ("公开属性", "主动公开"),
        ("主送", "宿州市人民政府"),
        ("拟稿单位", "宿州市发展和改革委员会"),
    ] {
        let (top, bottom) = row(page, label);
        let b = find_in(page, value, top, bottom);
        assert!(
            b.y0 >= top - TOL && b.y1 <= bottom + TOL,
            "{value} not in the row of {label}"
        );
    }
    assert_fonts(&sheet.pdf);
}

#[test]
fn steps_not_reached_are_empty_cells_not_missing_rows() {
    let sheet = print(&outgoing("同意"), SheetForm::Full);
    for label in ["用印", "核发"] {
        let page = sheet
            .pdf
            .pages
            .iter()
            .find(|p| p.lines.iter().any(|l| l.text().contains(label)))
            .unwrap_or_else(|| panic!("no row {label}"));
        let (top, bottom) = row(page, label);
        assert!(
            bottom - top > 10.0,
            "{label}: the empty cell leaves room to sign"
        );
        let label_box = find_label(page, label);
        let written: Vec<String> = page
            .lines
            .iter()
            .flat_map(|l| &l.words)
            .filter(|w| w.y_min > top && w.y_max < bottom && w.x_min > label_box.x1)
            .map(|w| w.text.clone())
            .collect();
        assert!(
            written.is_empty(),
            "{label} is not reached yet but shows {written:?}"
        );
    }
}

#[test]
fn the_brief_form_leaves_out_the_returned_pass() {
    let full = print(&outgoing("同意"), SheetForm::Full).pdf.text();
    let brief = print(&outgoing("同意"), SheetForm::Brief).pdf.text();
    assert!(full.contains(RETURN_REASON) && full.contains("2026年12月1日"));
    assert!(!brief.contains(RETURN_REASON), "{brief}");
    assert!(!brief.contains("退回"), "{brief}");
    // The 拟稿 undone by the return is gone too; the one that stands is there.
    assert!(!brief.contains("2026年12月1日"), "{brief}");
    assert!(brief.contains("2026年12月2日") && brief.contains(REVIEW_OPINION));
    assert!(brief.contains("精简"));
}

#[test]
fn a_long_opinion_wraps_inside_its_cell() {
    let long: String = "经研究，原则同意市发展改革委关于申请安排2027年市级重点项目前期工作经费的意见，请市财政局按程序办理，"
        .chars()
        .cycle()
        .take(300)
        .collect();
    let sheet = print(&outgoing(&long), SheetForm::Full);
    let page = &sheet.pdf.pages[0];
    let (top, bottom) = between(page, find(page, "王建国"), |_| true);
    let label = find_label(page, "签发");
    let lines: Vec<_> = page
        .lines
        .iter()
        .filter(|l| l.y_min > top && l.y_max < bottom && l.x_min > label.x1)
        .collect();
    let printed: String = lines.iter().map(|l| l.text()).collect();
    assert!(printed.contains(&long[..60]), "{printed}");
    assert!(lines.len() >= 8, "300 characters on {} lines", lines.len());
    for l in &lines {
        assert!(
            l.x_max <= 195.0 + TOL,
            "{:?} runs out of the cell at {:.1}",
            l.text(),
            l.x_max
        );
    }
    // The rows after it moved down, none overlaps it.
    let (review_top, _) = row(page, "会签");
    assert!(review_top >= bottom - TOL);
}

#[test]
fn a_long_trail_goes_on_to_a_second_page_under_the_header_again() {
    let mut h = outgoing("同意");
    // 多级核稿 over many levels, each with an opinion.
    let at = h.trail.len() - 6;
    for i in 0..30 {
        let e = said(
            entry(
                "review",
                StepKind::Review,
                finish(),
                "fgw-director",
                "2026-12-02T04:00:00Z",
            ),
            &format!(
                "第{}级核稿：格式、文字均已核对无误，同意送下一级核稿。",
                i + 1
            ),
        );
        h.trail.insert(at + i, e);
    }
    let sheet = print(&h, SheetForm::Full);
    assert!(sheet.pages >= 2, "{} page(s)", sheet.pages);
    let doc = fixture("request-with-signer");
    for (i, page) in sheet.pdf.pages.iter().enumerate() {
        let text: String = page.lines.iter().map(|l| l.text()).collect();
        assert!(text.contains("发文稿纸"), "page {}: {text}", i + 1);
        // The header row again: 标题 and the document's title in it.
        let (top, bottom) = row(page, "标题");
        let b = find_in(page, &doc.title[..30], top, bottom);
        assert!(b.y0 >= top - TOL && b.y1 <= bottom + TOL, "page {}", i + 1);
        assert!(
            text.contains(&format!("第{}页共{}页", i + 1, sheet.pages)),
            "{text}"
        );
        for l in &page.lines {
            // GB 826 leaves 7 mm at the foot.
            assert!(
                l.y_max <= 297.0 - 7.0,
                "page {}: {:?} too low",
                i + 1,
                l.text()
            );
        }
    }
    let second: String = sheet.pdf.pages[1].lines.iter().map(|l| l.text()).collect();
    assert!(second.contains("发文稿纸（续）"), "{second}");
    assert!(second.contains("核稿（续）"), "{second}");
    let last = sheet.pdf.pages.last().unwrap();
    assert_in_cell(last, "核稿（续）", &["第30级核稿", "李华", "2026年12月2日"]);
    let _ = &sheet.path;
}

fn incoming(reading: bool) -> Handling {
    use StepKind::*;
    let mut trail = vec![
        entry(
            "acknowledge",
            Acknowledge,
            finish(),
            "gov-clerk",
            "2026-12-06T00:30:00Z",
        ),
        gave(
            entry(
                "register",
                Register,
                finish(),
                "gov-clerk",
                "2026-12-06T00:40:00Z",
            ),
            "收〔2026〕88号",
        ),
    ];
    let circulate_to = |who: &str| StepAction::Finish {
        next: Some(StepId::from("circulate")),
        participants: vec![Participant::User(who.into())],
    };
    if reading {
        trail.push(entry(
            "screen",
            Screen,
            circulate_to("gov-leader"),
            "gov-director",
            "2026-12-06T01:00:00Z",
        ));
        trail.push(said(
            entry(
                "circulate",
                Circulate,
                finish(),
                "gov-leader",
                "2026-12-06T05:00:00Z",
            ),
            "已阅，请发改委抓好落实",
        ));
    } else {
        trail.push(entry(
            "screen",
            Screen,
            finish(),
            "gov-director",
            "2026-12-06T01:00:00Z",
        ));
        trail.push(said(
            entry(
                "propose",
                Propose,
                finish(),
                "gov-director",
                "2026-12-06T02:00:00Z",
            ),
            "拟请吴刚同志阅示，由市财政局牵头办理",
        ));
        trail.push(gave(
            said(
                entry(
                    "instruct",
                    Instruct,
                    StepAction::Finish {
                        next: None,
                        participants: vec![
                            Participant::Unit(UnitCode::from("sz-czj")),
                            Participant::Unit(UnitCode::from("sz-tjj")),
                        ],
                    },
                    "gov-leader",
                    "2026-12-06T03:00:00Z",
                ),
                "同意拟办意见，请财政局于月底前提出方案",
            ),
            "限办日期 2026-12-31",
        ));
        trail.push(said(
            entry(
                "handle",
                Handle,
                finish(),
                "czj-leader",
                "2026-12-08T03:00:00Z",
            ),
            "已拟定经费安排方案",
        ));
    }
    let mut h = Handling {
        flow: FlowKind::Incoming,
        unit: UnitCode::from("sz-gov"),
        step: StepId::from(if reading { "circulate" } else { "handle" }),
        step_kind: if reading { Circulate } else { Handle },
        branches: Vec::new(),
        finished: false,
        arrived: trail.len(),
        trail,
        number: Some("收〔2026〕88号".into()),
        publicity: None,
        deadline: (!reading).then(|| "2026-12-31".to_string()),
        flow_digest: None,
    };
    h.branches = if reading {
        vec![
            Branch {
                participant: Participant::User("gov-leader".into()),
                lead: false,
                status: BranchStatus::Done,
            },
            Branch {
                participant: Participant::User("gov-deputy".into()),
                lead: false,
                status: BranchStatus::Open,
            },
        ]
    } else {
        vec![
            Branch {
                participant: Participant::Unit(UnitCode::from("sz-czj")),
                lead: true,
                status: BranchStatus::Done,
            },
            Branch {
                participant: Participant::Unit(UnitCode::from("sz-tjj")),
                lead: false,
                status: BranchStatus::Open,
            },
        ]
    };
    h
}

#[test]
fn an_action_item_prints_as_the_incoming_slip() {
    let sheet = print(&incoming(false), SheetForm::Full);
    let page = &sheet.pdf.pages[0];
    let text = sheet.pdf.text();
    assert!(text.contains("宿州市人民政府办公室收文处理笺"), "{text}");
    assert!(!text.contains("阅文单"));
    assert_in_cell(
        page,
        "拟办意见",
        &["拟请吴刚同志阅示", "孙立", "办公室主任", "2026年12月6日"],
    );
    assert_in_cell(
        page,
        "领导批示",
        &["同意拟办意见", "限办日期", "2026-12-31", "吴刚"],
    );
    assert_in_cell(
        page,
        "承办",
        &["已拟定经费安排方案", "宿州市财政局", "主办"],
    );
    // The 协办 unit that has not acted yet: its cell says so, with nothing written.
    assert_in_cell(page, "承办", &["宿州市统计局（协办，在办）"]);
    for (label, value) in [
        ("来文字号", "宿发改〔2026〕57号"),
        ("收文编号", "收〔2026〕88号"),
        ("限办日期", "2026-12-31"),
    ] {
        let (top, bottom) = row(page, label);
        let b = find_in(page, value, top, bottom);
        assert!(
            b.y0 >= top - TOL && b.y1 <= bottom + TOL,
            "{value} not in the row of {label}"
        );
    }
    assert_fonts(&sheet.pdf);
}

#[test]
fn a_reading_item_prints_as_the_reading_slip() {
    let h = incoming(true);
    assert!(h.is_reading_item());
    let sheet = print(&h, SheetForm::Full);
    let page = &sheet.pdf.pages[0];
    let text = sheet.pdf.text();
    assert!(text.contains("宿州市人民政府办公室阅文单"), "{text}");
    assert!(
        !text.contains("拟办意见") && !text.contains("承办"),
        "{text}"
    );
    assert_in_cell(
        page,
        "阅文批示",
        &["已阅，请发改委抓好落实", "吴刚", "已阅", "2026年12月6日"],
    );
    assert_in_cell(page, "阅文批示", &["郑洁（在办）"]);
}

#[test]
fn a_step_taken_by_a_delegate_is_printed_in_the_leaders_name_by_the_delegate() {
    let mut h = outgoing("同意。");
    let sign_off = h
        .trail
        .iter_mut()
        .find(|e| e.kind == StepKind::SignOff)
        .expect("the 签发 step");
    sign_off.acted_by = Some("fgw-director".into());
    let sheet = print(&h, SheetForm::Full);
    let page = &sheet.pdf.pages[0];
    assert_in_cell(page, "签发", &["同意。", "王建国（由李华代）"]);
}
