//! What typesetting knows stays in typesetting: a warning is said in Chinese (`message`,
//! for the window) and in English (`message_en`, for logs and the CLI), so no caller
//! splits a sentence to find its Chinese half; a red-header template gives the
//! 发文机关标志 lines a document takes from it, so no caller rebuilds them.

mod common;

use gongwen_typeset::{render, Format, HeaderTemplate, RenderOptions, WarningKind};

use common::{fixture, fonts};

#[test]
fn each_warning_is_said_in_chinese_and_in_english() {
    let mut doc = fixture("minutes");
    doc.sealed = true;
    doc.body = gongwen_core::Body::from_text("第一段。\n第二段有一个\u{E000}字。");
    let rendered = render(&doc, fonts(), &RenderOptions::default()).unwrap();

    let seal = rendered
        .warnings
        .iter()
        .find(|w| w.kind == WarningKind::Layout)
        .expect("a 纪要 carries no seal");
    assert_eq!(seal.message, "纪要不加盖印章，已忽略“印章”");
    assert_eq!(
        seal.message_en,
        "minutes carry no seal; the seal was left out"
    );

    let missing = rendered
        .warnings
        .iter()
        .find(|w| w.kind == WarningKind::MissingGlyph)
        .expect("U+E000 is in no font");
    assert_eq!(
        missing.message,
        "正文第2段第7字“\u{E000}”（U+E000）：所有字体均无此字，未能印出"
    );
    assert_eq!(
        missing.message_en,
        "正文 paragraph 2, char 7: U+E000 is in no installed font and was left blank"
    );

    // This machine lacks the official fonts (仿宋_GB2312 …): each substitution is said
    // in both languages, neither containing the other.
    let substituted: Vec<_> = rendered
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::FontSubstituted)
        .collect();
    assert!(!substituted.is_empty(), "{:#?}", rendered.warnings);
    for w in substituted {
        assert!(w.message.contains("未安装"), "{}", w.message);
        assert!(!w.message.contains("not installed"), "{}", w.message);
        assert!(w.message_en.contains("not installed"), "{}", w.message_en);
        assert!(!w.message_en.contains("未安装"), "{}", w.message_en);
    }
}

#[test]
fn a_template_gives_its_issuer_mark_lines() {
    let gov = gongwen_typeset::template("suzhou-gov").unwrap();
    assert_eq!(gov.issuer_mark(), vec!["宿州市人民政府文件"]);

    let joint = gongwen_typeset::template("joint-issue").unwrap();
    let lines = joint.issuer_mark();
    assert_eq!(
        lines,
        vec!["宿州市人民政府文件", "宿州市财政局文件", "宿州市教育局文件"]
    );
    // A document carrying those lines is typeset with the template's names and suffix.
    let mut doc = fixture("notice");
    doc.issuer_mark = lines;
    let back = HeaderTemplate::from_document(&doc, Format::Document);
    assert_eq!(back.marks, joint.marks);
    assert_eq!(back.suffix, joint.suffix);

    for (name, _) in gongwen_typeset::TEMPLATES {
        let t = gongwen_typeset::template(name).unwrap();
        let lines = t.issuer_mark();
        assert!(!lines.is_empty(), "{name}");
        assert!(lines.iter().all(|l| !l.trim().is_empty()), "{name}");
    }
}
