//! Nothing half-made leaves the desk: the store refuses to queue a 分发 of a document
//! with validation errors, or to a unit the cached directory lists with nobody cleared
//! for its 密级, in the server's words; `dispatch_check` tells the 分发 dialog the same
//! before anything is queued.

mod common;

use gongwen_core::wire::{Directory, Unit, UnitClearance};
use gongwen_core::{Classification, DocKind, DocStatus, Document};
use gongwen_store::{Store, StoreError};

use common::{account, notice};

fn signed_in_store(dir: &std::path::Path) -> Store {
    let mut store = Store::open(dir).unwrap();
    // Cleared up to 秘密 (common::account).
    store
        .set_account(Some(&account(
            "https://exchange.example",
            "fgw-clerk",
            "sz-fgw",
        )))
        .unwrap();
    store
}

fn refusal(result: Result<gongwen_core::wire::CommandId, StoreError>) -> (String, String) {
    match result {
        Err(e @ StoreError::CommandRefused { .. }) => (e.message_zh(), e.to_string()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_new_letter_without_title_or_body_is_not_queued_and_the_errors_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    // What 新建 → 函 gives: nothing filled in.
    let blank = store
        .create_document(&Document::new(DocKind::Letter), DocStatus::Draft)
        .unwrap();
    let (zh, en) = refusal(store.queue_dispatch(blank.id, vec!["sz-tjj".into()], vec![]));
    assert!(zh.starts_with("公文有 "), "{zh}");
    assert!(zh.contains("不能分发"), "{zh}");
    assert!(zh.contains("标题：缺少标题"), "{zh}");
    assert!(zh.contains("正文：正文为空"), "{zh}");
    assert!(en.contains("the title is missing"), "{en}");
    assert!(store.outbox().unwrap().is_empty(), "nothing was queued");

    let check = store.dispatch_check(blank.id).unwrap();
    assert!(
        check.errors.iter().any(|e| e == "标题：缺少标题"),
        "{check:?}"
    );
    assert_eq!(check.classification, Classification::Unclassified);

    // Once complete, it goes.
    let done = notice(
        "关于做好冬季安全生产工作的通知",
        "2026年11月25日",
        "请认真落实。",
    );
    store.save_draft(blank.id, &done).unwrap();
    assert!(store.dispatch_check(blank.id).unwrap().errors.is_empty());
    store
        .queue_dispatch(blank.id, vec!["sz-tjj".into()], vec![])
        .unwrap();
}

fn secret_notice() -> Document {
    let mut d = notice(
        "关于做好重点目标安全防护工作的通知",
        "2026年11月20日",
        "请做好重点目标安全防护工作。",
    );
    d.classification = Classification::Confidential;
    d.secrecy_term = "1年".into();
    d.copy_number = "000003".into();
    d.attachments.push(gongwen_core::Attachment {
        name: "重点目标名单".into(),
        ..Default::default()
    });
    d
}

fn directory(clearances: Option<Vec<(&str, Classification)>>) -> Directory {
    Directory {
        units: [
            ("sz-fgw", "宿州市发展和改革委员会"),
            ("sz-tjj", "宿州市统计局"),
            ("yq-gov", "埇桥区人民政府"),
            ("sz-daj", "宿州市档案馆"),
        ]
        .into_iter()
        .map(|(code, name)| Unit {
            code: code.into(),
            name: name.into(),
            short_name: None,
        })
        .collect(),
        users: vec![],
        clearances: clearances.map(|c| {
            c.into_iter()
                .map(|(unit, clearance)| UnitClearance {
                    unit: unit.into(),
                    clearance,
                })
                .collect()
        }),
        flows: vec![],
        flow_versions: vec![],
    }
}

#[test]
fn a_unit_nobody_there_may_read_is_named_and_the_dispatch_to_it_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    // 埇桥区 reads only 非密; 档案馆 has no reader at all (not listed).
    store
        .set_directory(&directory(Some(vec![
            ("sz-fgw", Classification::TopSecret),
            ("sz-tjj", Classification::Confidential),
            ("yq-gov", Classification::Unclassified),
        ])))
        .unwrap();
    let doc = store
        .create_document(&secret_notice(), DocStatus::SignedOff)
        .unwrap();
    let check = store.dispatch_check(doc.id).unwrap();
    assert_eq!(check.classification, Classification::Confidential);
    assert_eq!(check.attachments, 1);
    assert!(check.errors.is_empty(), "{:?}", check.errors);
    let uncleared: Vec<&str> = check.uncleared.iter().map(|u| u.0.as_str()).collect();
    assert_eq!(uncleared, ["yq-gov", "sz-daj"]);

    let (zh, en) =
        refusal(store.queue_dispatch(doc.id, vec!["sz-tjj".into()], vec!["yq-gov".into()]));
    assert!(zh.contains("“yq-gov”") && zh.contains("秘密"), "{zh}");
    assert!(en.contains("yq-gov"), "{en}");
    assert!(store.outbox().unwrap().is_empty());
    store
        .queue_dispatch(doc.id, vec!["sz-tjj".into()], vec![])
        .unwrap();
}

#[test]
fn a_directory_that_does_not_say_is_not_held_against_a_dispatch() {
    // An older server's directory has no clearances: the server alone decides.
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    store.set_directory(&directory(None)).unwrap();
    let doc = store
        .create_document(&secret_notice(), DocStatus::SignedOff)
        .unwrap();
    assert!(store.dispatch_check(doc.id).unwrap().uncleared.is_empty());
    store
        .queue_dispatch(doc.id, vec!["yq-gov".into()], vec![])
        .unwrap();
}

#[test]
fn logged_out_a_classified_document_is_not_checked_listed_or_queued() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let doc = store
        .create_document(&secret_notice(), DocStatus::SignedOff)
        .unwrap();
    store.sign_out().unwrap();
    assert!(matches!(
        store.dispatch_check(doc.id),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store
            .list(&gongwen_store::ListFilter::default())
            .unwrap()
            .total,
        0
    );
    // Not even said to exist; and a 非密 one is refused for want of a login.
    assert!(matches!(
        store.queue_dispatch(doc.id, vec!["sz-tjj".into()], vec![]),
        Err(StoreError::NotFound(_))
    ));
    let open = store
        .create_document(
            &notice("关于报送统计资料的通知", "2026年11月25日", "请按时报送。"),
            DocStatus::SignedOff,
        )
        .unwrap();
    let (zh, _) = refusal(store.queue_dispatch(open.id, vec!["sz-tjj".into()], vec![]));
    assert!(zh.contains("请先登录"), "{zh}");
    assert!(store.outbox().unwrap().is_empty());
}

#[test]
fn the_units_the_document_names_are_the_ones_offered_as_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    store.set_directory(&directory(None)).unwrap();
    let mut d = notice("关于报送统计数据的通知", "2026年11月25日", "请按时报送。");
    // 各县、区人民政府 is no unit of the directory; 统计局 is named in both lines.
    d.main_recipients = vec![
        "埇桥区人民政府".into(),
        "各县、区人民政府".into(),
        "宿州市统计局".into(),
    ];
    d.cc_recipients = vec!["宿州市档案馆".into(), "宿州市统计局".into()];
    let doc = store.create_document(&d, DocStatus::SignedOff).unwrap();
    let check = store.dispatch_check(doc.id).unwrap();
    let codes =
        |c: &[gongwen_core::wire::UnitCode]| c.iter().map(|u| u.0.clone()).collect::<Vec<_>>();
    assert_eq!(codes(&check.named_main), ["yq-gov", "sz-tjj"]);
    assert_eq!(codes(&check.named_cc), ["sz-daj"]);
}
