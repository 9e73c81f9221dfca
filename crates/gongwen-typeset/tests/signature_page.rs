//! GB/T 9704-2012 7.3.5: the page with the 署名, 成文日期 and 印章 also carries body text
//! (a page without would need a 此页无正文 note, which the standard does not allow). For
//! each of the three signature forms, bodies ending on every line of page 2 are rendered,
//! read back with poppler and checked: where the date lands, what is above it, that every
//! body line comes out once and in order, and how many pages there are.

mod common;
use common::*;

use gongwen_core::{Attachment, Body, Document};
use gongwen_pdfcheck::check_layout;
use gongwen_pdfcheck::inspect::{PageText, TextLine};
use gongwen_typeset::{Format, RenderOptions};

const LINES_PER_PAGE: usize = 22;
/// Body lines that go to the date's page when the closing does not fit under the body.
const PULLED: usize = 2;

/// One of the three forms of 7.3.5, on a fixture that carries a 附件说明 and a 附注, so the
/// closing under the body is as tall as it gets in practice.
struct Form {
    name: &'static str,
    doc: Document,
    opts: RenderOptions,
    /// Grid lines the closing takes under the last body line.
    tail: usize,
}

fn forms() -> Vec<Form> {
    // 加盖印章 (7.3.5.1): the 通知 with three 附件 (the case the issue was found with).
    let sealed = fixture("notice-with-attachments");
    assert!(sealed.sealed);
    // 不加盖印章 (7.3.5.2): the 请示, unsealed, with one 附件.
    let mut unsealed = fixture("request-with-signer");
    unsealed.sealed = false;
    unsealed.attachments = vec![Attachment {
        name: "2027年市级重点项目前期工作经费测算表".into(),
        ..Default::default()
    }];
    // 签发人签名章 (7.3.5.3): the 命令, which the layout signs with the 签名章, with a 附注.
    let mut stamped = fixture("order");
    stamped.note = "（此件公开发布）".into();
    vec![
        Form {
            name: "加盖印章",
            doc: sealed,
            opts: RenderOptions::default(),
            // 附件说明: 空一行 + 3 names; then 空二行 for the seal's upper half, 署名,
            // 成文日期 (the seal presses on both), 附注 on the next line.
            tail: (1 + 3) + (2 + 1 + 1) + 1,
        },
        Form {
            name: "不加盖印章",
            doc: unsealed,
            opts: RenderOptions::default(),
            // 附件说明: 空一行 + 1 name; 空一行, 署名, 成文日期 on the next line, 附注.
            tail: (1 + 1) + (1 + 1 + 1) + 1,
        },
        Form {
            name: "签名章",
            doc: stamped,
            opts: RenderOptions {
                format: Some(Format::Order),
                ..Default::default()
            },
            // 附件说明: 空一行 + 1 name; 空一行, 职务 with the 签名章, 成文日期, 附注.
            tail: (1 + 1) + (1 + 1 + 1) + 1,
        },
    ]
}

/// `n` as three full-width digits: a marker that starts each body line, one cell each.
fn marker(n: usize) -> String {
    format!("{n:03}")
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap())
        .collect()
}

fn marker_of(line: &TextLine) -> Option<usize> {
    let t = line.text();
    let digits: String = t.chars().take(3).collect();
    if digits.chars().count() == 3 && digits.chars().all(|c| ('０'..='９').contains(&c)) {
        let ascii: String = digits
            .chars()
            .map(|c| char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap())
            .collect();
        ascii.parse().ok()
    } else {
        None
    }
}

/// A body of exactly `n` grid lines, each starting with its marker: paragraphs of 3, 1
/// and 2 lines in turn, so the lines that move are sometimes the end of a paragraph and
/// sometimes its middle. Full lines are hanzi only (26 after the 2-character indent, then
/// 28), so they break exactly there; a paragraph's last line is short and ends in 。.
fn body_of_lines(n: usize) -> Body {
    const FILLER: &str = "各地各部门要认真贯彻落实市委市政府决策部署切实加强组织领导压实工作责任确保各项任务按期完成";
    let filler: Vec<char> = FILLER.chars().collect();
    let fill = |k: usize, len: usize| -> String {
        (0..len)
            .map(|i| filler[(k * 7 + i) % filler.len()])
            .collect()
    };
    let mut paragraphs = Vec::new();
    let mut k = 1;
    for size in [3, 1, 2].into_iter().cycle() {
        if k > n {
            break;
        }
        let size = size.min(n + 1 - k);
        let mut p = String::new();
        for i in 0..size {
            let room = if i == 0 { 26 } else { 28 };
            let len = if i + 1 == size { 9 } else { room - 3 };
            p.push_str(&marker(k));
            p.push_str(&fill(k, len));
            k += 1;
        }
        p.push('。');
        paragraphs.push(p);
    }
    Body::from_text(&paragraphs.join("\n"))
}

fn body_lines(page: &PageText) -> Vec<(usize, &TextLine)> {
    page.lines
        .iter()
        .filter_map(|l| marker_of(l).map(|m| (m, l)))
        .collect()
}

#[test]
fn the_date_page_carries_body_text_for_bodies_ending_on_every_line() {
    for form in forms() {
        // How many body lines page 1 holds under this form's header.
        let mut probe = form.doc.clone();
        probe.body = body_of_lines(3 * LINES_PER_PAGE);
        let out = render_with(&probe, &form.opts);
        let first_page = body_lines(&out.pdf.pages[0]).len();
        assert!(
            first_page > 3,
            "{}: {first_page} body lines on page 1",
            form.name
        );

        let mut pulled_cases = 0;
        for j in 1..=LINES_PER_PAGE {
            // The body fills page 1 and ends on line j of page 2.
            let n = first_page + j;
            let case = format!("{}, body ending on line {j} of page 2", form.name);
            let mut doc = form.doc.clone();
            doc.body = body_of_lines(n);
            let out = render_with(&doc, &form.opts);
            let pdf = &out.pdf;

            let fits = j + form.tail <= LINES_PER_PAGE;
            let date_page = if fits { 2 } else { 3 };
            pulled_cases += usize::from(!fits);

            // The date is where it should be, with body text above it on its page.
            let (found, page) = pdf
                .pages
                .iter()
                .enumerate()
                .find(|(_, p)| p.lines.iter().any(|l| l.text() == doc.date_of_issue))
                .unwrap_or_else(|| panic!("{case}: no 成文日期 line"));
            assert_eq!(found + 1, date_page, "{case}: 成文日期 page");
            let date = page
                .lines
                .iter()
                .find(|l| l.text() == doc.date_of_issue)
                .unwrap();
            let above: Vec<_> = body_lines(page)
                .into_iter()
                .filter(|(_, l)| l.y_max < date.y_min)
                .collect();
            let want_above = if fits { j } else { PULLED };
            assert_eq!(
                above.len(),
                want_above,
                "{case}: body lines above the date on page {date_page}"
            );
            // They sit on the grid from the 版心 top (page 2 or the page they moved to).
            for (i, (_, l)) in above.iter().enumerate() {
                assert_mm(
                    &format!("{case}: body line {} on its page", i + 1),
                    l.y_min,
                    TOP + i as f64 * PITCH,
                );
            }
            // Page 2 keeps its grid; when lines moved it ends two lines early.
            let page2 = body_lines(&pdf.pages[1]);
            let want2 = if fits { j } else { j - PULLED };
            assert_eq!(page2.len(), want2, "{case}: body lines on page 2");
            for (i, (_, l)) in page2.iter().enumerate() {
                assert_mm(
                    &format!("{case}: page 2 line {}", i + 1),
                    l.y_min,
                    TOP + i as f64 * PITCH,
                );
            }

            // Every body line once, in order.
            let order: Vec<usize> = pdf
                .pages
                .iter()
                .flat_map(|p| body_lines(p).into_iter().map(|(m, _)| m))
                .collect();
            assert_eq!(
                order,
                (1..=n).collect::<Vec<_>>(),
                "{case}: body lines lost, doubled or out of order"
            );

            // Pages: the date's page, one per 附件, and the 版记 on an even page (its
            // rows fit on the last 附件 page, which holds three lines).
            let mut pages = date_page + doc.attachments.len();
            pages += pages % 2;
            assert_eq!(pdf.pages.len(), pages, "{case}: page count");

            assert!(
                out.rendered
                    .warnings
                    .iter()
                    .all(|w| w.kind != gongwen_typeset::WarningKind::Layout),
                "{case}: {:?}",
                out.rendered.warnings
            );
            assert_page_numbers(pdf);
            let report = check_layout(pdf, TOL);
            assert!(report.is_ok(), "{case}: {:#?}", report.findings);
        }
        // Both outcomes occurred: the closing under the body, and lines pulled to it.
        assert!(
            pulled_cases > 0 && pulled_cases < LINES_PER_PAGE,
            "{}: {pulled_cases} cases pulled lines",
            form.name
        );
    }
}

#[test]
fn a_short_body_on_page_one_keeps_its_first_page_text() {
    // Bodies ending on each line of page 1: page 1 keeps its header, its title and at
    // least one body line (7.3.3), so lines are pulled only from the body, and a body of
    // two lines that cannot spare two is reported rather than taken off page 1.
    // Cases where the closing fits under the body, where lines are pulled, where neither.
    let mut outcomes = [0; 3];
    for form in forms() {
        let mut probe = form.doc.clone();
        probe.body = body_of_lines(2 * LINES_PER_PAGE);
        let first_page = body_lines(&render_with(&probe, &form.opts).pdf.pages[0]).len();
        // The title's last line (the mark, for an order) ends with the kind's name.
        let title_end: String = {
            let rev: Vec<char> = form.doc.title.chars().rev().take(3).collect();
            rev.into_iter().rev().collect()
        };
        for j in 1..=first_page {
            let case = format!("{}, body ending on line {j} of page 1", form.name);
            let mut doc = form.doc.clone();
            doc.body = body_of_lines(j);
            let out = render_with(&doc, &form.opts);
            let pdf = &out.pdf;
            // Page 1 holds `first_page` body lines; the closing takes the rest.
            let fits = j + form.tail <= first_page;
            let reported = out
                .rendered
                .warnings
                .iter()
                .any(|w| w.kind == gongwen_typeset::WarningKind::Layout);
            let page1 = body_lines(&pdf.pages[0]).len();
            let date_page = pdf
                .pages
                .iter()
                .position(|p| p.lines.iter().any(|l| l.text() == doc.date_of_issue))
                .unwrap_or_else(|| panic!("{case}: no 成文日期"));
            assert!(
                pdf.pages[0]
                    .lines
                    .iter()
                    .any(|l| l.text().ends_with(&title_end)),
                "{case}: title left page 1"
            );
            outcomes[usize::from(!fits) + usize::from(!fits && j <= PULLED)] += 1;
            if fits {
                assert_eq!((date_page, page1, reported), (0, j, false), "{case}");
            } else if j > PULLED {
                assert_eq!(
                    (date_page, page1, reported),
                    (1, j - PULLED, false),
                    "{case}"
                );
                assert_eq!(body_lines(&pdf.pages[1]).len(), PULLED, "{case}");
            } else {
                assert_eq!((page1, reported), (j, true), "{case}");
            }
            let order: Vec<usize> = pdf
                .pages
                .iter()
                .flat_map(|p| body_lines(p).into_iter().map(|(m, _)| m))
                .collect();
            assert_eq!(order, (1..=j).collect::<Vec<_>>(), "{case}");
            let report = check_layout(pdf, TOL);
            assert!(report.is_ok(), "{case}: {:#?}", report.findings);
        }
    }
    assert!(outcomes.iter().all(|&n| n > 0), "{outcomes:?}");
}

#[test]
fn a_closing_taller_than_a_page_is_reported() {
    // Thirty attachments: the 附件说明 alone is longer than a page, so no page can carry
    // it with body text; the writer is told instead of getting a silent 此页无正文 page.
    let mut doc = fixture("notice-with-attachments");
    doc.attachments = (1..=30)
        .map(|i| Attachment {
            name: format!("统计执法检查情况汇总表{i}"),
            ..Default::default()
        })
        .collect();
    let out = render_with(&doc, &RenderOptions::default());
    let w = out
        .rendered
        .warnings
        .iter()
        .find(|w| w.kind == gongwen_typeset::WarningKind::Layout)
        .expect("a layout warning");
    assert!(
        w.message.contains("成文日期所在页没有正文"),
        "{}",
        w.message
    );
    assert!(
        w.message_en.contains("page with the date"),
        "{}",
        w.message_en
    );
    // Pulling body lines would not have helped, so none were: the body still fills page 2.
    assert_eq!(body_rows(&out.pdf.pages[1], 0.0).len(), LINES_PER_PAGE);
    line(&out.pdf.pages[2], "附件：1.统计执法检查情况汇总表1");
}
