//! 痕迹保留: character diffs of Chinese text and the marked-up trail of a draft's versions.

use gongwen_core::revision::{diff, trail, Change, ChangeKind, Mark};
use proptest::prelude::*;

fn joined(changes: &[Change], keep: ChangeKind) -> String {
    changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Same || c.kind == keep)
        .map(|c| c.text.as_str())
        .collect()
}

fn run(kind: ChangeKind, text: &str) -> Change {
    Change {
        kind,
        text: text.into(),
    }
}

#[test]
fn a_deleted_phrase_is_two_characters_not_a_word() {
    let changes = diff("原则同意报送。", "同意报送。");
    assert_eq!(
        changes,
        vec![
            run(ChangeKind::Deleted, "原则"),
            run(ChangeKind::Same, "同意报送。")
        ]
    );
}

#[test]
fn a_changed_character_is_struck_and_replaced_in_place() {
    let changes = diff("请于11月15日前报送。", "请于11月20日前报送。");
    assert_eq!(
        joined(&changes, ChangeKind::Inserted),
        "请于11月20日前报送。"
    );
    assert_eq!(
        joined(&changes, ChangeKind::Deleted),
        "请于11月15日前报送。"
    );
    let changed: Vec<_> = changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Same)
        .map(|c| (c.kind, c.text.as_str()))
        .collect();
    assert_eq!(
        changed,
        vec![(ChangeKind::Deleted, "15"), (ChangeKind::Inserted, "20")]
    );
}

#[test]
fn identical_texts_are_one_unchanged_run_and_empty_texts_none() {
    assert_eq!(
        diff("同意。", "同意。"),
        vec![run(ChangeKind::Same, "同意。")]
    );
    assert_eq!(diff("", ""), vec![]);
    assert_eq!(
        diff("", "拟同意"),
        vec![run(ChangeKind::Inserted, "拟同意")]
    );
}

fn mark(
    text: &str,
    inserted_by: Option<&'static str>,
    deleted_by: Option<&'static str>,
) -> Mark<&'static str> {
    Mark {
        text: text.into(),
        inserted_by,
        deleted_by,
    }
}

#[test]
fn each_persons_changes_carry_their_name_through_later_versions() {
    // 拟稿 by the clerk; the 科长 tightens a phrase; the 主任 adds a deadline.
    let marks = trail(
        "现将有关事项通知如下。",
        [
            ("科长", "现就有关事项通知如下。"),
            ("主任", "现就有关事项通知如下，请于月底前落实。"),
        ],
    );
    assert_eq!(
        marks,
        vec![
            mark("现", None, None),
            mark("将", None, Some("科长")),
            mark("就", Some("科长"), None),
            mark("有关事项通知如下", None, None),
            mark("，请于月底前落实", Some("主任"), None),
            mark("。", None, None),
        ]
    );
    let clean: String = marks
        .iter()
        .filter(|m| m.stands())
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(clean, "现就有关事项通知如下，请于月底前落实。");
}

#[test]
fn text_one_person_inserted_and_another_struck_shows_both() {
    let marks = trail("同意。", [("科长", "原则同意。"), ("主任", "同意。")]);
    assert_eq!(
        marks,
        vec![
            mark("原则", Some("科长"), Some("主任")),
            mark("同意。", None, None)
        ]
    );
}

#[test]
fn a_person_withdrawing_their_own_insertion_leaves_no_trace() {
    let marks = trail("同意。", [("科长", "原则同意。"), ("科长", "同意。")]);
    assert_eq!(marks, vec![mark("同意。", None, None)]);
}

#[test]
fn struck_text_stays_in_place_when_later_versions_change_around_it() {
    let marks = trail(
        "一、二、三。",
        [("科长", "一、三。"), ("主任", "一、三、四。")],
    );
    let all: String = marks.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(all, "一、二、三、四。");
    assert!(
        marks.contains(&mark("二、", None, Some("科长"))),
        "{marks:?}"
    );
}

proptest! {
    // Whatever the edits, the diff rebuilds both texts and the trail's standing text is
    // the last version, with every character of every version accounted for.
    #[test]
    fn the_diff_rebuilds_both_texts(old in "[一二三同意、。报送通知]{0,40}", new in "[一二三同意、。报送通知]{0,40}") {
        let changes = diff(&old, &new);
        prop_assert_eq!(joined(&changes, ChangeKind::Inserted), new);
        prop_assert_eq!(joined(&changes, ChangeKind::Deleted), old);
    }

    #[test]
    fn the_trail_stands_as_the_last_version(
        first in "[一二三同意、。]{0,20}",
        later in proptest::collection::vec((0u8..3, "[一二三同意、。]{0,20}"), 0..5),
    ) {
        let versions: Vec<(u8, &str)> = later.iter().map(|(a, t)| (*a, t.as_str())).collect();
        let marks = trail(&first, versions.clone());
        let last = versions.last().map_or(first.as_str(), |(_, t)| *t);
        let standing: String = marks.iter().filter(|m| m.stands()).map(|m| m.text.as_str()).collect();
        prop_assert_eq!(standing, last);
        prop_assert!(marks.iter().all(|m| !m.text.is_empty()));
        // No two neighbours that could have been one run.
        prop_assert!(marks.windows(2).all(|w| (w[0].inserted_by, w[0].deleted_by) != (w[1].inserted_by, w[1].deleted_by)));
    }
}

#[test]
fn what_replaces_struck_text_comes_after_it() {
    let marks = trail("甲乙丙", [("科长", "甲丙"), ("主任", "甲丁丙")]);
    assert_eq!(
        marks,
        vec![
            mark("甲", None, None),
            mark("乙", None, Some("科长")),
            mark("丁", Some("主任"), None),
            mark("丙", None, None),
        ]
    );
}

#[test]
fn two_versions_of_a_document_are_compared_element_by_element() {
    use gongwen_core::revision::compare;
    use gongwen_core::{Body, DocKind, Document, Element};
    let mut old = Document::new(DocKind::Notice);
    old.title = "关于防汛的通知".into();
    old.body = Body::from_text("原则同意报送。\n请于11月15日前报送。");
    old.date_of_issue = "2026年11月15日".into();
    let mut new = old.clone();
    new.body = Body::from_text("同意报送。\n请于11月20日前报送。");
    new.date_of_issue = "2026年11月20日".into();

    let compared = compare(&old, &new);
    let of = |e: Element| compared.iter().find(|c| c.element == e).unwrap();
    assert!(!of(Element::Title).changed());
    let body = of(Element::Body);
    assert!(body.changed());
    assert_eq!(
        joined(&body.changes, ChangeKind::Deleted),
        old.body.to_text()
    );
    assert_eq!(
        joined(&body.changes, ChangeKind::Inserted),
        new.body.to_text()
    );
    assert_eq!(body.changes[0], run(ChangeKind::Deleted, "原则"));
    // The changed date is shown at the date, not inside the body.
    let date = of(Element::DateOfIssue);
    assert_eq!(
        joined(&date.changes, ChangeKind::Inserted),
        "2026年11月20日"
    );
    // Elements empty in both versions are not listed.
    assert!(compared.iter().all(|c| c.element != Element::Note));
}

#[test]
fn a_documents_trail_gives_each_elements_changes_to_who_made_them() {
    use gongwen_core::revision::document_trail;
    use gongwen_core::{Body, DocKind, Document, Element};
    let mut first = Document::new(DocKind::Notice);
    first.body = Body::from_text("原则同意。");
    let mut second = first.clone();
    second.body = Body::from_text("同意。");
    let mut third = second.clone();
    third.title = "关于防汛的通知".into();
    let marks = document_trail(&first, &[("李四", &second), ("王五", &third)]);
    let body = marks.iter().find(|t| t.element == Element::Body).unwrap();
    assert_eq!(body.marks[0].text, "原则");
    assert_eq!(body.marks[0].deleted_by, Some("李四"));
    let title = marks.iter().find(|t| t.element == Element::Title).unwrap();
    assert_eq!(title.marks[0].inserted_by, Some("王五"));
}
