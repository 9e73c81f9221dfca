//! What may be done to a document now, as the store answers it (`Store::read_only`,
//! `Store::no_dispatch`) and enforces it (a save, a queued 分发), once the 发文 handling
//! counts: past 签发 the text is settled, and in a handling a 分发 waits for 核发. On
//! real store folders.

mod common;

use common::{account, notice};
use gongwen_core::flow::{Flow, FlowKind, StepKind};
use gongwen_core::handling::Handling;
use gongwen_core::wire::{Change, ChangeEntry, ChangesPage, CommandId};
use gongwen_core::workflow::content_hash;
use gongwen_core::{DocStatus, Document, DocumentId};
use gongwen_store::{NoDispatch, ReadOnly, Store, StoreError};

/// The sync brings this unit's handling of `id`, standing at `step`.
fn at(store: &mut Store, step: &str, doc: &Document, seq: u64, id: DocumentId) {
    let flow = Flow::default_for(FlowKind::Outgoing);
    let mut h = Handling::start(&flow, "sz-fgw".into());
    let s = flow.step(&step.into()).expect("step");
    h.step = s.id.clone();
    h.step_kind = s.kind;
    let change = Change {
        seq,
        command_id: CommandId(uuid::Uuid::new_v4()),
        entry: ChangeEntry::Handling {
            document_id: id,
            handling: Box::new(h),
            document: Some(Box::new(doc.clone())),
            content_hash: content_hash(doc),
        },
    };
    let me = store.signed_in().unwrap().unwrap();
    store
        .apply_changes(
            &me,
            &ChangesPage {
                changes: vec![change],
                next_cursor: seq,
                has_more: false,
                ..ChangesPage::default()
            },
        )
        .unwrap();
}

fn clerk_store(dir: &std::path::Path) -> Store {
    let mut store = Store::open(dir).unwrap();
    store
        .set_account(Some(&account("http://127.0.0.1:1", "fgw-clerk", "sz-fgw")))
        .unwrap();
    store
}

fn refused_dispatch(store: &mut Store, id: DocumentId) -> String {
    match store.queue_dispatch(id, vec!["sz-tjj".into()], vec![]) {
        Err(StoreError::CommandRefused { message_zh, .. }) => message_zh,
        other => panic!("the 分发 should be refused: {other:?}"),
    }
}

#[test]
fn in_a_handling_a_draft_is_edited_until_签发_and_dispatched_only_at_核发() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = clerk_store(dir.path());
    let doc = notice(
        "关于做好冬季安全生产工作的通知",
        "2026年12月7日",
        "请各单位认真落实。",
    );
    let id = store.create_document(&doc, DocStatus::Draft).unwrap().id;

    // 核稿: the text may still change, but the 分发 waits for 核发.
    at(&mut store, "review", &doc, 1, id);
    assert_eq!(store.read_only(id).unwrap(), None);
    assert_eq!(
        store.no_dispatch(id).unwrap(),
        Some(NoDispatch::InHandling(StepKind::Review))
    );
    let why = refused_dispatch(&mut store, id);
    assert!(why.contains("核稿") && why.contains("核发"), "{why}");
    let mut edited = doc.clone();
    edited.body = gongwen_core::Body::from_text("请各单位认真落实，确保安全。");
    store.save_draft(id, &edited).unwrap();

    // 复核, after 签发: what was signed is settled; a save is refused and changes nothing.
    at(&mut store, "recheck", &edited, 2, id);
    assert_eq!(store.read_only(id).unwrap(), Some(ReadOnly::SignedOff));
    let before = store.get(id).unwrap().unwrap();
    let mut late = edited.clone();
    late.body = gongwen_core::Body::from_text("签发后又改了一句。");
    match store.save_draft(id, &late) {
        Err(StoreError::ReadOnly { why, .. }) => assert_eq!(why, ReadOnly::SignedOff),
        other => panic!("a save after 签发 should be refused: {other:?}"),
    }
    let after = store.get(id).unwrap().unwrap();
    assert_eq!(
        (after.version, &after.document),
        (before.version, &before.document)
    );
    assert_eq!(
        store.no_dispatch(id).unwrap(),
        Some(NoDispatch::InHandling(StepKind::Recheck))
    );
    assert!(refused_dispatch(&mut store, id).contains("复核"));

    // 核发: still not editable, and now it may go out.
    at(&mut store, "dispatch", &edited, 3, id);
    assert_eq!(store.read_only(id).unwrap(), Some(ReadOnly::SignedOff));
    assert_eq!(store.no_dispatch(id).unwrap(), None);
}

#[test]
fn a_dispatched_import_offers_neither_and_a_draft_both() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = clerk_store(dir.path());
    let doc = notice(
        "关于开展安全生产大检查的通知",
        "2026年12月1日",
        "请各单位自查。",
    );

    // Imported as 已分发: neither.
    let sent = store
        .create_document(&doc, DocStatus::Dispatched)
        .unwrap()
        .id;
    assert_eq!(store.read_only(sent).unwrap(), Some(ReadOnly::Dispatched));
    assert_eq!(
        store.no_dispatch(sent).unwrap(),
        Some(NoDispatch::ReadOnly(ReadOnly::Dispatched))
    );
    assert!(refused_dispatch(&mut store, sent).contains("已分发"));

    // A draft outside any handling: both.
    let draft = store.create_document(&doc, DocStatus::Draft).unwrap().id;
    assert_eq!(store.read_only(draft).unwrap(), None);
    assert_eq!(store.no_dispatch(draft).unwrap(), None);
}
