//! `check` finds faults planted by rendering with a deliberately wrong layout, and passes
//! every PDF the renderer makes.

mod common;
use common::*;

use gongwen_pdfcheck::{check_pdf, CheckReport};
use gongwen_typeset::{LayoutConfig, RenderOptions, WarningKind};

fn check_with(name: &str, layout: LayoutConfig) -> CheckReport {
    let out = render_with(
        &fixture(name),
        &RenderOptions {
            layout,
            ..Default::default()
        },
    );
    check_pdf(&out.path, TOL).expect("check")
}

fn rules(r: &CheckReport) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.rule).collect()
}

#[test]
fn every_rendered_fixture_passes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        let out = render_fixture(&stem);
        let report = check_pdf(&out.path, TOL).unwrap();
        assert!(report.is_ok(), "{stem}: {:#?}", report.findings);
        n += 1;
    }
    assert!(n >= 8, "only {n} fixtures");
}

#[test]
fn finds_a_wrong_left_margin() {
    let r = check_with(
        "report-6-pages",
        LayoutConfig {
            left_mm: 35.0,
            ..Default::default()
        },
    );
    assert!(rules(&r).contains(&"margin"), "{:#?}", r.findings);
    let f = r.findings.iter().find(|f| f.rule == "margin").unwrap();
    assert!(f.zh.contains("版心") || f.zh.contains("订口"), "{}", f.zh);
    assert!(
        f.en.contains("type area") || f.en.contains("left edge"),
        "{}",
        f.en
    );
}

#[test]
fn finds_a_wrong_top_margin() {
    let r = check_with(
        "report-6-pages",
        LayoutConfig {
            top_mm: 31.0,
            ..Default::default()
        },
    );
    assert!(rules(&r).contains(&"margin"), "{:#?}", r.findings);
}

#[test]
fn finds_25_lines_per_page() {
    let r = check_with(
        "report-6-pages",
        LayoutConfig {
            lines_per_page: 25,
            ..Default::default()
        },
    );
    assert!(rules(&r).contains(&"grid"), "{:#?}", r.findings);
    assert!(
        r.findings.iter().any(|f| f.zh.contains("22行")),
        "{:#?}",
        r.findings
    );
}

#[test]
fn finds_page_numbers_on_the_wrong_side() {
    let r = check_with(
        "notice-with-attachments",
        LayoutConfig {
            page_numbers_outside: false,
            ..Default::default()
        },
    );
    let pn: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "page-number")
        .collect();
    assert!(pn.len() >= 2, "{:#?}", r.findings);
    assert!(
        pn.iter().any(|f| f.zh.contains("单页码")) && pn.iter().any(|f| f.zh.contains("双页码"))
    );
}

#[test]
fn finds_a_page_number_too_low() {
    let r = check_with(
        "notice-with-attachments",
        LayoutConfig {
            page_number_gap_mm: 12.0,
            ..Default::default()
        },
    );
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == "page-number" && f.en.contains("7 mm")),
        "{:#?}",
        r.findings
    );
}

#[test]
fn finds_missing_colophon_lines() {
    let r = check_with(
        "notice-with-attachments",
        LayoutConfig {
            colophon_rules: false,
            ..Default::default()
        },
    );
    assert!(rules(&r).contains(&"colophon"), "{:#?}", r.findings);
}

#[test]
fn finds_a_misplaced_separator_and_mark() {
    let r = check_with(
        "notice",
        LayoutConfig {
            separator_gap_mm: 8.0,
            mark_offset_mm: 25.0,
            ..Default::default()
        },
    );
    let fp: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "first-page")
        .collect();
    assert!(
        fp.iter().any(|f| f.zh.contains("分隔线")),
        "{:#?}",
        r.findings
    );
    assert!(
        fp.iter().any(|f| f.zh.contains("发文机关标志")),
        "{:#?}",
        r.findings
    );
}

#[test]
fn a_file_that_is_not_a_pdf_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not.pdf");
    std::fs::write(&path, b"hello").unwrap();
    let err = check_pdf(&path, TOL).unwrap_err().to_string();
    assert!(err.contains("not.pdf") || err.contains("PDF"), "{err}");
}

#[test]
fn a_character_in_no_font_is_reported_by_position() {
    let mut doc = fixture("notice");
    // U+E000 is a private-use code point: no installed font has it.
    doc.body = gongwen_core::Body::from_text("第一段。\n第二段有一个\u{E000}字。");
    let out = render_with(&doc, &RenderOptions::default());
    let missing: Vec<_> = out
        .rendered
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::MissingGlyph)
        .collect();
    assert_eq!(missing.len(), 1, "{:#?}", out.rendered.warnings);
    assert!(
        missing[0].message.contains("正文第2段第7字"),
        "{}",
        missing[0].message
    );
    assert!(missing[0].message.contains("U+E000"));
    // Nothing else of the paragraph is lost.
    assert!(out.pdf.text().contains("第二段有一个"));
}

#[test]
fn every_font_substitution_is_reported() {
    let out = render_fixture("notice");
    let fonts = fonts();
    let cfg = gongwen_typeset::FontConfig::default();
    for role in gongwen_typeset::FontRole::ALL {
        let wanted = &cfg.roles[role.key()][0];
        let used = fonts.role_family(role);
        let reported =
            out.rendered.warnings.iter().any(|w| {
                w.kind == WarningKind::FontSubstituted && w.message.starts_with(role.label())
            });
        assert_eq!(
            used != wanted,
            reported,
            "{role:?}: wanted {wanted}, used {used}"
        );
    }
}

/// A 通知 typed into a word processor (LibreOffice, default page setup) breaks the
/// standard where a clerk's would: text outside the 版心 and no red separator.
#[test]
fn a_pdf_made_elsewhere_is_checked_too() {
    let pdf = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/pdf/word-processor-notice.pdf");
    let report = check_pdf(&pdf, TOL).expect("check");
    assert!(!report.is_ok());
    let found = rules(&report);
    assert!(found.contains(&"margin"), "{found:?}");
    assert!(found.contains(&"first-page"), "{found:?}");
    let separator = report
        .findings
        .iter()
        .find(|f| f.rule == "first-page")
        .unwrap();
    assert!(separator.zh.contains("红色分隔线"), "{}", separator.zh);
    let margin = report.findings.iter().find(|f| f.rule == "margin").unwrap();
    assert!(margin.en.contains("outside the type area"), "{}", margin.en);
}
