//! Renders each fixture, reads the PDF back with poppler and checks GB/T 9704-2012 positions
//! in millimetres (± 1 mm).

mod common;
use common::*;

use gongwen_pdfcheck::check_layout;

/// The red separator on page 1.
fn separator(out: &Out) -> &gongwen_pdfcheck::inspect::RuleLine {
    out.pdf.pages[0]
        .rules
        .iter()
        .find(|r| r.red)
        .expect("red separator on page 1")
}

#[test]
fn notice_with_attachments_first_page_grid_attachments_and_colophon() {
    let out = render_fixture("notice-with-attachments");
    let pdf = &out.pdf;
    let p1 = &pdf.pages[0];
    assert_mm("page width", p1.width, 210.0);
    assert_mm("page height", p1.height, 297.0);

    // 发文机关标志: top edge 35 mm below the 版心 top, centred.
    let mark = line(p1, "宿州市统计局文件");
    assert_mm("mark top", mark.y_min, TOP + 35.0);
    assert_mm("mark centre x", (mark.x_min + mark.x_max) / 2.0, 106.0);
    // 发文字号 centred, red line 4 mm below it, 156 mm wide.
    let number = line(p1, "宿统〔2026〕31号");
    assert_mm(
        "number centre x",
        (number.x_min + number.x_max) / 2.0,
        106.0,
    );
    let sep = separator(&out);
    assert_mm("separator below number", sep.y - number.y_max, 4.0);
    assert_mm("separator left", sep.x_min, LEFT);
    assert_mm("separator right", sep.x_max, RIGHT);
    // The number is two lines below the mark (空二行): two empty grid rows between.
    assert!(
        number.y_min - mark.y_max > 2.0 * PITCH - TOL,
        "number too close to mark"
    );

    // Title: 2号, centred, two lines below the separator; no line starts with punctuation.
    let title_rows: Vec<_> = p1
        .lines
        .iter()
        .filter(|l| l.y_min > sep.y && (l.y_max - l.y_min) > 7.0)
        .collect();
    assert!(!title_rows.is_empty());
    for t in &title_rows {
        assert_mm("title centre x", (t.x_min + t.x_max) / 2.0, 106.0);
    }
    assert!(title_rows[0].y_min - sep.y > 2.0 * PITCH - 2.0);
    let title: String = title_rows.iter().map(|l| l.text()).collect();
    assert_eq!(
        title,
        "宿州市统计局关于开展2026年度统计执法“双随机”抽查工作的通知"
    );
    // 主送机关 flush left one line after the title; body indented two characters.
    let recipients = line(p1, "各县、区统计局、市直有关单位：");
    assert_mm("recipients left", recipients.x_min, LEFT);
    let first = line(p1, "为贯彻落实");
    assert_mm("paragraph indent", first.x_min, LEFT + 2.0 * CELL);
    assert_mm(
        "recipients to body",
        first.centre_y() - recipients.centre_y(),
        PITCH,
    );

    // Body grid: full lines fill 156 mm with 28 characters; rows 10.23 mm apart.
    let rows = body_rows(p1, recipients.y_min - 0.5);
    for w in rows.windows(2) {
        assert_mm("line pitch", w[1].centre_y() - w[0].centre_y(), PITCH);
    }
    let full_cjk: Vec<_> = pdf
        .pages
        .iter()
        .flat_map(|p| p.lines.iter())
        .filter(|l| near(l.x_min, LEFT) && near(l.x_max, RIGHT))
        .collect();
    assert!(
        full_cjk.len() >= 5,
        "expected full lines, got {}",
        full_cjk.len()
    );
    let mut pure = 0;
    for l in full_cjk {
        // A full line holds 28 characters; half-width digits count half.
        let cells: f64 = l
            .text()
            .chars()
            .map(|c| if is_full_width(c) { 1.0 } else { 0.5 })
            .sum();
        // Lines shortened by the punctuation rules are spread (两端对齐); none holds more.
        assert!(
            (26.5..=28.0).contains(&cells),
            "full line {:?} holds {cells} characters",
            l.text()
        );
        if l.text().chars().all(is_full_width) && cells == 28.0 {
            pure += 1;
        }
    }
    assert!(pure >= 1, "a full line of 28 hanzi");

    // The body fills page 2, but the 附件说明, 署名 and 印章 do not fit under it: its last
    // two lines go to page 3 with them (7.3.5), so page 2 ends two grid lines early and
    // page 3 starts with body text at the 版心 top.
    let p2 = &pdf.pages[1];
    let rows2 = body_rows(p2, 0.0);
    assert_eq!(rows2.len(), 20, "lines on page 2");
    assert_mm("first line top", rows2[0].y_min, TOP);
    for (i, r) in rows2.iter().enumerate() {
        assert_mm("page 2 grid line", r.y_min, TOP + i as f64 * PITCH);
    }
    let p3 = &pdf.pages[2];
    let rows3 = body_rows(p3, 0.0);
    assert!(
        rows3[0].text().starts_with("政，规范执法程序"),
        "{}",
        rows3[0].text()
    );
    assert_mm("page 3 first line top", rows3[0].y_min, TOP);
    assert_mm("page 3 second line top", rows3[1].y_min, TOP + PITCH);
    line(p3, "附件：1.2026年度");
    line(p3, "2026年11月24日");

    // 附件 pages: label flush left on line 1 in the 版心, title centred on line 3.
    let a2 = pdf
        .pages
        .iter()
        .find(|p| p.lines.iter().any(|l| l.text() == "附件2"))
        .expect("附件2 page");
    let label = line(a2, "附件2");
    assert_mm("附件 label left", label.x_min, LEFT);
    assert_mm("附件 label top", label.y_min, TOP);
    let at = line(a2, "统计执法检查人员分组安排表");
    assert_mm(
        "attachment title row",
        at.centre_y(),
        label.centre_y() + 2.0 * PITCH,
    );
    assert_mm(
        "attachment title centre",
        (at.x_min + at.x_max) / 2.0,
        106.0,
    );

    // 版记 on the last page, which is even; last line on the 版心 bottom.
    assert_eq!(pdf.pages.len() % 2, 0, "版记 page is even");
    let last = pdf.pages.last().unwrap();
    let cc = line(last, "抄送：安徽省统计局，国家统计局宿州调查队。");
    assert_mm("抄送 indent", cc.x_min, LEFT + SMALL);
    let printing = line(last, "宿州市统计局办公室");
    assert_mm("印发机关 left indent", printing.x_min, LEFT + SMALL);
    let printed = line(last, "2026年11月24日印发");
    assert_mm("印发日期 right indent", printed.x_max, RIGHT - SMALL);
    assert_mm("印发 row", printed.centre_y(), printing.centre_y());
    let rules: Vec<_> = last.rules.iter().filter(|r| !r.red).collect();
    assert_eq!(rules.len(), 3, "版记 lines: first, between, last");
    assert_mm("last 版记 line", rules[2].y, BOTTOM);
    assert!(rules[0].thickness > 0.3 && rules[2].thickness > 0.3 && rules[1].thickness < 0.3);
    assert!(rules[0].y < cc.y_min && cc.y_max < rules[1].y && rules[1].y < printing.y_min);

    assert_page_numbers(pdf);
    assert_fonts(pdf);
    assert_inside_type_area(pdf, 0.0);
    assert_reading_order(
        pdf,
        &[
            "宿州市统计局文件",
            "宿统〔2026〕31号",
            "各县、区统计局",
            "一、抽查范围和对象",
            "四、工作要求",
            "附件：1.2026年度",
            "宿州市统计局",
            "2026年11月24日",
            "（联系人：周丽",
            "附件1",
            "附件3",
            "抄送：",
        ],
    );
    let report = check_layout(pdf, TOL);
    assert!(report.is_ok(), "{:#?}", report.findings);
}

#[test]
fn request_puts_signer_right_and_number_left() {
    let out = render_fixture("request-with-signer");
    let p1 = &out.pdf.pages[0];
    let signer = line(p1, "王建国");
    assert!(
        signer.text().contains("签发人：王建国"),
        "{}",
        signer.text()
    );
    assert_mm("签发人 right indent 1 char", signer.x_max, RIGHT - CELL);
    let number = line(p1, "宿发改〔2026〕57号");
    assert_mm("number left indent 1 char", number.x_min, LEFT + CELL);
    assert_mm("same row", number.centre_y(), signer.centre_y());
    let sep = separator(&out);
    assert_mm("separator 4 mm below", sep.y - number.y_max, 4.0);
    // Sealed: date right-indented 4 characters, seal drawn (a curve, not text).
    let last_text_page = out
        .pdf
        .pages
        .iter()
        .find(|p| p.lines.iter().any(|l| l.text() == "2026年11月20日"))
        .unwrap();
    let date = line(last_text_page, "2026年11月20日");
    assert_mm("date right indent 4", date.x_max, RIGHT - 4.0 * CELL);
    let sig = line(last_text_page, "宿州市发展和改革委员会");
    assert_mm(
        "signature centred on date",
        (sig.x_min + sig.x_max) / 2.0,
        (date.x_min + date.x_max) / 2.0,
    );
    assert_mm(
        "date below signature",
        date.centre_y() - sig.centre_y(),
        PITCH,
    );
    assert_page_numbers(&out.pdf);
    assert_fonts(&out.pdf);
    assert_inside_type_area(&out.pdf, 0.0);
    let report = check_layout(&out.pdf, TOL);
    assert!(report.is_ok(), "{:#?}", report.findings);
}

#[test]
fn letter_format_uses_double_lines_and_no_first_page_number() {
    let out = render_fixture("letter");
    let p1 = &out.pdf.pages[0];
    let mark = line(p1, "宿州市信访局");
    assert_mm("letter mark 30 mm from paper top", mark.y_min, 30.0);
    let red: Vec<_> = p1.rules.iter().filter(|r| r.red).collect();
    assert_eq!(red.len(), 4, "two double lines");
    for r in &red {
        assert_mm("double line left", r.x_min, 20.0);
        assert_mm("double line right", r.x_max, 190.0);
    }
    assert!(
        red[0].thickness > red[1].thickness,
        "upper pair thick over thin"
    );
    assert!(
        red[3].thickness > red[2].thickness,
        "lower pair thin over thick"
    );
    assert_mm(
        "upper double line 4 mm below mark",
        red[0].y - mark.y_max,
        4.0,
    );
    assert_mm(
        "lower double line 20 mm above paper bottom",
        red[3].y,
        277.0,
    );
    let number = line(p1, "宿信访函〔2026〕9号");
    assert_mm("number flush right", number.x_max, RIGHT);
    assert!(
        page_number_line(p1).is_none(),
        "first page of a letter has no number"
    );
    assert_fonts(&out.pdf);
    let report = check_layout(&out.pdf, TOL);
    assert!(report.is_ok(), "{:#?}", report.findings);
}

#[test]
fn minutes_format_mark_labels_and_no_seal() {
    let out = render_fixture("minutes");
    let p1 = &out.pdf.pages[0];
    let mark = line(p1, "宿州市人民政府常务会议纪要");
    assert_mm("minutes mark top", mark.y_min, TOP + 35.0);
    let all: Vec<_> = out.pdf.pages.iter().flat_map(|p| p.lines.iter()).collect();
    let present = all
        .iter()
        .find(|l| l.text().starts_with("出席："))
        .expect("出席 line");
    assert_mm("出席 indent 2", present.x_min, LEFT + 2.0 * CELL);
    assert!(out
        .rendered
        .warnings
        .iter()
        .all(|w| !w.message.contains("印章")));
    assert_page_numbers(&out.pdf);
    let report = check_layout(&out.pdf, TOL);
    assert!(report.is_ok(), "{:#?}", report.findings);
}

/// The word on `page` whose text is `needle` (poppler may join words of one row in a line).
#[track_caller]
fn word<'a>(
    page: &'a gongwen_pdfcheck::inspect::PageText,
    needle: &str,
) -> &'a gongwen_pdfcheck::inspect::Word {
    page.lines
        .iter()
        .flat_map(|l| l.words.iter())
        .find(|w| w.text == needle)
        .unwrap_or_else(|| {
            let all: Vec<String> = page.lines.iter().map(|l| l.spaced()).collect();
            panic!("no word {needle:?} on page; lines: {all:#?}")
        })
}

#[test]
fn minutes_header_has_number_organ_and_date_above_the_red_line() {
    let doc = fixture("minutes");
    let out = render_with(&doc, &Default::default());
    let p1 = &out.pdf.pages[0];
    let mark = line(p1, "宿州市人民政府常务会议纪要");
    // The number: the serial of 宿政纪〔2026〕21号 as （第21号）, centred, on the grid line
    // two empty lines below the mark.
    let number = line(p1, "（第21号）");
    assert_eq!(number.text(), "（第21号）");
    assert_mm(
        "number centre x",
        (number.x_min + number.x_max) / 2.0,
        106.0,
    );
    let gap = number.y_min - mark.y_max;
    assert!(
        gap > 2.0 * PITCH - TOL && gap < 3.0 * PITCH,
        "number {gap:.1} mm below the mark"
    );
    // One line further down: the organ left and the 成文日期 right, one character in.
    let organ = word(p1, "宿州市人民政府办公室");
    let date = word(p1, "2026年11月17日");
    assert_mm("organ left indent 1", organ.x_min, LEFT + CELL);
    assert_mm("date right indent 1", date.x_max, RIGHT - CELL);
    let row = |w: &gongwen_pdfcheck::inspect::Word| (w.y_min + w.y_max) / 2.0;
    assert_mm("organ and date on one row", row(organ), row(date));
    assert_mm(
        "row below the number",
        row(organ) - number.centre_y(),
        PITCH,
    );
    // The red separator: 4 mm under that row, as wide as the 版心; the title below it.
    let sep = separator(&out);
    assert_mm("separator 4 mm below the row", sep.y - organ.y_max, 4.0);
    assert_mm("separator left", sep.x_min, LEFT);
    assert_mm("separator right", sep.x_max, RIGHT);
    let title = line(p1, "宿州市人民政府第四十七次常务会议纪要");
    assert!(
        title.y_min - sep.y > 2.0 * PITCH - 2.0,
        "title two lines below"
    );
    assert_reading_order(
        &out.pdf,
        &[
            "宿州市人民政府常务会议纪要",
            "（第21号）",
            "宿州市人民政府办公室",
            "2026年11月17日",
            "宿州市人民政府第四十七次常务会议纪要",
            "出席：",
        ],
    );
    // The date is in the header, not repeated after the 出席 lists (the 版记 says 印发).
    let dates = out
        .pdf
        .pages
        .iter()
        .flat_map(|p| p.lines.iter().flat_map(|l| l.words.iter()))
        .filter(|w| w.text == doc.date_of_issue)
        .count();
    assert_eq!(dates, 1, "成文日期 printed once");
    let report = check_layout(&out.pdf, TOL);
    assert!(report.is_ok(), "{:#?}", report.findings);

    // A 纪要 without its office or number still keeps the row and the separator in place;
    // a number that is no 发文字号 is printed as typed.
    let mut bare = doc.clone();
    bare.printing_office.clear();
    bare.doc_number = "第四十七次".into();
    let out = render_with(&bare, &Default::default());
    let p1 = &out.pdf.pages[0];
    line(p1, "（第四十七次）");
    let date = word(p1, "2026年11月17日");
    assert_mm("date right indent 1", date.x_max, RIGHT - CELL);
    assert_mm("separator 4 mm below", separator(&out).y - date.y_max, 4.0);
}

#[test]
fn order_format_mark_20mm_and_signature_stamp() {
    let out = render_fixture("order");
    let p1 = &out.pdf.pages[0];
    let mark = line(p1, "宿州市人民政府令");
    assert_mm("order mark top", mark.y_min, TOP + 20.0);
    assert_eq!(
        p1.lines
            .iter()
            .filter(|l| l.text() == "宿州市人民政府令")
            .count(),
        1,
        "the title is the mark, printed once"
    );
    let title = line(p1, "市长");
    assert_mm("signer title indent 2", title.x_min, LEFT + 2.0 * CELL);
    let date = line(p1, "2026年11月6日");
    assert_mm("date right indent 4", date.x_max, RIGHT - 4.0 * CELL);
    let report = check_layout(&out.pdf, TOL);
    assert!(report.is_ok(), "{:#?}", report.findings);
}

#[test]
fn classified_immediate_document_stacks_copy_number_classification_urgency() {
    let out = render_fixture("secret-immediate");
    let p1 = &out.pdf.pages[0];
    for (i, text) in ["000023", "机密★10年", "特急"].iter().enumerate() {
        let l = line(p1, text);
        assert_mm(&format!("{text} left"), l.x_min, LEFT);
        assert_mm(&format!("{text} top"), l.y_min, TOP + i as f64 * PITCH);
    }
    assert_fonts(&out.pdf);
    let report = check_layout(&out.pdf, TOL);
    assert!(report.is_ok(), "{:#?}", report.findings);
}

#[test]
fn joint_issue_stacks_names_and_sets_wenjian_to_the_right() {
    let mut doc = fixture("joint-issue");
    // The fixture's marks carry no 文件; the joint template adds it to the right.
    let out_plain = render_with(&doc, &Default::default());
    let p1 = &out_plain.pdf.pages[0];
    let a = line(p1, "宿州市发展和改革委员会");
    let b = line(p1, "财");
    assert_mm("stacked names share the left edge", a.x_min, b.x_min);
    assert_mm("stacked names share the right edge", a.x_max, b.x_max);
    assert_mm("mark top", a.y_min, TOP + 35.0);
    assert!(b.y_min > a.y_max - 0.5, "second organ below the lead organ");

    doc.issuer_mark = vec![
        "宿州市发展和改革委员会文件".into(),
        "宿州市财政局文件".into(),
    ];
    let out = render_with(&doc, &Default::default());
    let p1 = &out.pdf.pages[0];
    let wenjian = line(p1, "文件");
    let a = line(p1, "宿州市发展和改革委员会");
    let b = p1
        .lines
        .iter()
        .find(|l| {
            l.y_min > a.y_max - 0.5 && l.y_max < wenjian.y_max + 20.0 && l.text().contains('财')
        })
        .unwrap();
    assert!(wenjian.x_min > a.x_max, "文件 to the right of the names");
    assert_mm(
        "文件 vertically centred",
        wenjian.centre_y(),
        (a.centre_y() + b.centre_y()) / 2.0,
    );
    assert_mm("header centred", (a.x_min + wenjian.x_max) / 2.0, 106.0);
    // Sealed joint issue: the signatures side by side on one row, the date right-indented 4.
    let last = out
        .pdf
        .pages
        .iter()
        .rfind(|p| p.lines.iter().any(|l| l.text().contains("2026年")))
        .unwrap();
    let sig_rows: Vec<_> = last
        .lines
        .iter()
        .filter(|l| l.text() == "宿州市发展和改革委员会" || l.text() == "宿州市财政局")
        .collect();
    assert_eq!(sig_rows.len(), 2, "two signatures");
    assert_mm(
        "signatures on one row",
        sig_rows[0].centre_y(),
        sig_rows[1].centre_y(),
    );
    assert!(
        sig_rows[0].x_max < sig_rows[1].x_min,
        "lead organ first, left"
    );
    let report = check_layout(&out.pdf, TOL);
    assert!(report.is_ok(), "{:#?}", report.findings);
}

#[test]
fn six_page_report_fills_full_pages_with_22_lines_and_all_heading_levels() {
    let out = render_fixture("report-6-pages");
    let pdf = &out.pdf;
    assert!(pdf.pages.len() >= 6, "{} pages", pdf.pages.len());
    let text = pdf.text();
    for h in ["一、", "（一）", "1.", "（1）"] {
        assert!(
            text.lines().any(|l| l.contains(h)),
            "heading level {h} missing"
        );
    }
    // Every page between the first and the signature page is full: 22 rows on the grid.
    for (i, page) in pdf.pages.iter().enumerate().skip(1).take(3) {
        let rows = body_rows(page, 0.0);
        assert_eq!(rows.len(), 22, "page {}", i + 1);
        for w in rows.windows(2) {
            assert_mm("pitch", w[1].centre_y() - w[0].centre_y(), PITCH);
        }
        assert_mm("first row", rows[0].y_min, TOP);
        // Full lines: left and right edge of the 版心, 28 characters (digits count half).
        let full: Vec<_> = rows
            .iter()
            .filter(|l| near(l.x_min, LEFT) && near(l.x_max, RIGHT))
            .collect();
        assert!(full.len() >= 8, "page {}: {} full lines", i + 1, full.len());
        for l in full {
            let cells: f64 = l
                .text()
                .chars()
                .map(|c| if is_full_width(c) { 1.0 } else { 0.5 })
                .sum();
            // A number kept whole may leave a shorter line, spread to the full width.
            assert!((24.0..=28.0).contains(&cells), "{:?}: {cells}", l.text());
        }
    }
    let pure = pdf
        .pages
        .iter()
        .flat_map(|p| p.lines.iter())
        .filter(|l| l.text().chars().count() == 28 && l.text().chars().all(is_full_width))
        .count();
    assert!(pure >= 5, "{pure} lines of exactly 28 hanzi");
    assert_page_numbers(pdf);
    assert_fonts(pdf);
    assert_inside_type_area(pdf, 0.0);
    let report = check_layout(pdf, TOL);
    assert!(report.is_ok(), "{:#?}", report.findings);
}

#[test]
fn no_line_starts_with_closing_punctuation() {
    for name in [
        "notice-with-attachments",
        "report-6-pages",
        "letter",
        "minutes",
    ] {
        let out = render_fixture(name);
        for page in &out.pdf.pages {
            for l in &page.lines {
                let t = l.text();
                let first = t.chars().next().unwrap();
                let last = t.chars().last().unwrap();
                assert!(
                    !"，。、；：？！）》」”".contains(first),
                    "{name}: line starts with {first}: {t}"
                );
                assert!(
                    !"（《「“".contains(last),
                    "{name}: line ends with {last}: {t}"
                );
            }
        }
    }
}

fn runs(page: &gongwen_typeset::model::Page) -> Vec<&gongwen_typeset::model::TextRun> {
    page.items
        .iter()
        .filter_map(|i| match i {
            gongwen_typeset::model::Item::Text(t) => Some(t),
            _ => None,
        })
        .collect()
}

#[test]
fn seal_presses_on_signature_and_date_and_starts_within_a_line_of_the_text() {
    let doc = fixture("request-with-signer");
    let (model, _) = gongwen_typeset::layout(&doc, fonts(), &Default::default());
    let (page, seal) = model
        .pages
        .iter()
        .find_map(|p| {
            p.items.iter().find_map(|i| match i {
                gongwen_typeset::model::Item::Seal(s) => Some((p, s)),
                _ => None,
            })
        })
        .expect("a seal");
    let em = 16.0 * 25.4 / 72.0;
    let rs = runs(page);
    let date = rs.iter().find(|r| r.text() == "2026年11月20日").unwrap();
    let sig = rs
        .iter()
        .find(|r| r.text() == "宿州市发展和改革委员会" && r.top < date.top)
        .unwrap();
    let text_bottom = rs
        .iter()
        .filter(|r| r.top < sig.top - PITCH)
        .map(|r| r.top + em)
        .fold(0.0, f64::max);
    let seal_top = seal.cy - seal.radius;
    assert!(
        seal_top >= text_bottom - 0.5 && seal_top <= text_bottom + PITCH,
        "seal top {seal_top:.1}, text bottom {text_bottom:.1}"
    );
    for (what, r) in [("signature", sig), ("date", date)] {
        let c = r.top + em / 2.0;
        assert!(
            c > seal.cy && c < seal.cy + seal.radius,
            "{what} centre {c:.1} not just below the seal centre {:.1}",
            seal.cy
        );
    }
    let date_mid = date.glyphs[0].x
        + (date.glyphs.last().unwrap().x + date.glyphs.last().unwrap().advance - date.glyphs[0].x)
            / 2.0;
    assert_mm("seal centred on the date", seal.cx, date_mid);
    assert_eq!(seal.name, "宿州市发展和改革委员会");
}

#[test]
fn the_signature_block_never_stands_alone_on_a_page() {
    let base = fixture("notice-with-attachments");
    let mut pages_seen = std::collections::BTreeSet::new();
    for k in 0..24 {
        let mut doc = base.clone();
        let mut text = doc.body.to_text();
        for i in 0..k {
            text.push_str(&format!("\n补充段落{i}。"));
        }
        doc.body = gongwen_core::Body::from_text(&text);
        let (model, _) = gongwen_typeset::layout(&doc, fonts(), &Default::default());
        let (pi, page) = model
            .pages
            .iter()
            .enumerate()
            .find(|(_, p)| runs(p).iter().any(|r| r.text() == "2026年11月24日"))
            .expect("date placed");
        // Body text (or the 附件说明) shares the page with the signature and date.
        let sig_top = runs(page)
            .iter()
            .find(|r| r.text() == "宿州市统计局")
            .map(|r| r.top)
            .unwrap();
        let with_text = runs(page).iter().any(|r| r.top < sig_top - 1.0);
        assert!(
            with_text,
            "k={k}: the signature block is alone on page {}",
            pi + 1
        );
        pages_seen.insert(pi);
    }
    // The added paragraphs pushed the block across a page boundary at least once.
    assert!(pages_seen.len() > 1, "{pages_seen:?}");
}

#[test]
fn unsealed_signature_right_indented_two_and_date_two_characters_further_right() {
    let mut doc = fixture("secret-immediate");
    doc.sealed = false;
    let out = render_with(&doc, &Default::default());
    let page = out
        .pdf
        .pages
        .iter()
        .find(|p| p.lines.iter().any(|l| l.text() == doc.date_of_issue))
        .unwrap();
    let date = line(page, &doc.date_of_issue);
    let sig = page
        .lines
        .iter()
        .find(|l| l.text() == doc.issuer_signature[0] && l.centre_y() < date.centre_y())
        .unwrap();
    assert_mm("signature right indent 2", sig.x_max, RIGHT - 2.0 * CELL);
    assert_mm(
        "date starts 2 characters right of the signature",
        date.x_min,
        sig.x_min + 2.0 * CELL,
    );
    assert_mm(
        "date on the next line",
        date.centre_y() - sig.centre_y(),
        PITCH,
    );
    let report = check_layout(&out.pdf, TOL);
    assert!(report.is_ok(), "{:#?}", report.findings);
}

#[test]
fn the_template_saved_with_a_document_draws_its_red_header() {
    let mut doc = fixture("notice");
    doc.template = "suzhou-gov".into();
    let out = render_with(&doc, &gongwen_typeset::RenderOptions::default());
    // The mark is drawn wide apart, so compare without spaces.
    let first: String = out.pdf.pages[0]
        .lines
        .iter()
        .flat_map(|l| l.words.iter().map(|w| w.text.as_str()))
        .collect();
    assert!(first.contains("宿州市人民政府文件"), "{first}");
    assert!(!first.contains("宿州市人民政府办公室文件"), "{first}");

    doc.template = "no-such-template".into();
    let err = gongwen_typeset::render(&doc, fonts(), &gongwen_typeset::RenderOptions::default())
        .unwrap_err();
    assert!(
        matches!(&err, gongwen_typeset::TypesetError::UnknownTemplate(n) if n == "no-such-template"),
        "{err}"
    );
}

#[test]
fn a_sealed_signature_stays_inside_the_type_area_when_long_or_without_a_date() {
    let base = fixture("request-with-signer");
    for (signature, date) in [
        ("宿州市生态环境保护委员会办公室", "2026年8月5日"),
        ("宿州市人民政府办公室", ""),
    ] {
        let mut doc = base.clone();
        doc.issuer_signature = vec![signature.into()];
        doc.date_of_issue = date.into();
        let (model, _) = gongwen_typeset::layout(&doc, fonts(), &Default::default());
        let run = model
            .pages
            .iter()
            .flat_map(runs)
            .find(|r| r.text() == signature)
            .unwrap_or_else(|| panic!("{signature} placed"));
        let last = run.glyphs.last().unwrap();
        let right = last.x + last.advance;
        assert!(
            right <= RIGHT + TOL && run.glyphs[0].x >= LEFT - TOL,
            "{signature} (date {date:?}) spans {:.1}–{right:.1} mm, outside the 版心 {LEFT}–{RIGHT}",
            run.glyphs[0].x
        );
    }
}
