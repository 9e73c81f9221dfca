//! May this document be edited? One rule in the store (`Store::read_only`), checked
//! inside every edit's transaction: a document whose 分发 is queued or done, a received
//! one and an archived one refuse a save and a new attachment file, in Chinese, and
//! nothing of them changes; a draft still saves. On real store folders.

mod common;

use gongwen_core::wire::{
    Change, ChangeEntry, ChangesPage, CommandOutcome, CommandResult, RejectCode, Rejection,
};
use gongwen_core::workflow::content_hash;
use gongwen_core::{DocStatus, DocumentId};
use gongwen_store::{ReadOnly, Store, StoreError};

use common::{account, notice, received, NOW};

fn signed_in_store(dir: &std::path::Path) -> Store {
    let mut store = Store::open(dir).unwrap();
    store
        .set_account(Some(&account(
            "https://exchange.example",
            "fgw-clerk",
            "sz-fgw",
        )))
        .unwrap();
    store
}

fn page(changes: Vec<Change>) -> ChangesPage {
    ChangesPage {
        changes,
        next_cursor: 1,
        has_more: false,
        ..ChangesPage::default()
    }
}

/// Tries every edit on `id` and checks each is refused for `why`, in Chinese, and that
/// the document, its versions and its files are as they were.
fn assert_refused(store: &mut Store, id: DocumentId, why: ReadOnly, zh: &str) {
    assert_eq!(store.read_only(id).unwrap(), Some(why));
    let before = store.get(id).unwrap().unwrap();
    let versions = store.versions(id).unwrap();
    let mut changed = before.document.clone();
    changed.title = "关于改过标题的通知".into();

    let err = store.save_draft(id, &changed).unwrap_err();
    assert!(
        matches!(err, StoreError::ReadOnly { why: w, .. } if w == why),
        "{err}"
    );
    assert!(err.message_zh().contains(zh), "{}", err.message_zh());
    // The same content as stored is no edit either: refused the same way.
    assert!(matches!(
        store.save_draft(id, &before.document),
        Err(StoreError::ReadOnly { .. })
    ));

    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("名单.xlsx");
    std::fs::write(&file, "责任人名单").unwrap();
    let err = store
        .add_attachment_file(id, "责任人名单", &file)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::ReadOnly { why: w, .. } if w == why),
        "{err}"
    );
    assert!(err.message_zh().contains(zh), "{}", err.message_zh());

    assert_eq!(store.get(id).unwrap().unwrap(), before);
    assert_eq!(store.versions(id).unwrap(), versions);
}

#[test]
fn a_draft_saves_and_takes_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let doc = notice("关于防汛的通知", "2026年5月10日", "正文。");
    let id = store.create_document(&doc, DocStatus::Draft).unwrap().id;
    assert_eq!(store.read_only(id).unwrap(), None);
    let mut changed = doc.clone();
    changed.title = "关于做好防汛工作的通知".into();
    assert_eq!(store.save_draft(id, &changed).unwrap().version, 2);
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("名单.xlsx");
    std::fs::write(&file, "责任人名单").unwrap();
    let stored = store.add_attachment_file(id, "责任人名单", &file).unwrap();
    assert_eq!(stored.version, 3);
    assert_eq!(stored.document.attachments.len(), 1);
}

#[test]
fn a_document_whose_dispatch_is_queued_is_read_only_until_it_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let doc = notice("关于防汛的通知", "2026年5月10日", "正文。");
    let id = store.create_document(&doc, DocStatus::Draft).unwrap().id;
    let command = store
        .queue_dispatch(id, vec!["sz-tjj".into()], vec![])
        .unwrap();
    assert_refused(&mut store, id, ReadOnly::DispatchQueued, "同步队列");

    // A refused 分发 gives the draft back to its clerk.
    store
        .record_outcome(&CommandOutcome {
            command_id: command,
            result: CommandResult::Rejected {
                rejection: Rejection {
                    code: RejectCode::Invalid,
                    message: "附件名不能含路径分隔符。".into(),
                    message_en: "an attachment name contains a path separator".into(),
                },
            },
            decided_at: NOW.into(),
        })
        .unwrap();
    assert_eq!(store.read_only(id).unwrap(), None);
    let mut changed = doc.clone();
    changed.title = "关于做好防汛工作的通知".into();
    assert_eq!(store.save_draft(id, &changed).unwrap().version, 2);
}

#[test]
fn a_dispatched_document_is_read_only_from_the_servers_answer_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let doc = notice("关于防汛的通知", "2026年5月10日", "正文。");
    let id = store.create_document(&doc, DocStatus::Draft).unwrap().id;
    let command = store
        .queue_dispatch(id, vec!["sz-tjj".into()], vec![])
        .unwrap();
    // Accepted, before the log's `sent` has arrived: the status is still 草稿.
    store
        .record_outcome(&CommandOutcome {
            command_id: command,
            result: CommandResult::Accepted,
            decided_at: NOW.into(),
        })
        .unwrap();
    assert_eq!(store.get(id).unwrap().unwrap().status, DocStatus::Draft);
    assert_refused(&mut store, id, ReadOnly::Dispatched, "已分发");

    // Then the change arrives and the document is 已分发.
    let sent = Change {
        seq: 1,
        command_id: command,
        entry: ChangeEntry::Sent {
            document_id: id,
            document: Box::new(doc.clone()),
            content_hash: content_hash(&doc),
            deliveries: vec![],
        },
    };
    let me = store.signed_in().unwrap().unwrap();
    store.apply_changes(&me, &page(vec![sent])).unwrap();
    assert_eq!(
        store.get(id).unwrap().unwrap().status,
        DocStatus::Dispatched
    );
    assert_refused(&mut store, id, ReadOnly::Dispatched, "已分发");
}

#[test]
fn a_received_document_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let id = DocumentId(uuid::Uuid::new_v4());
    let doc = notice(
        "关于报送统计数据的通知",
        "2026年11月20日",
        "请于月底前报送。",
    );
    let me = store.signed_in().unwrap().unwrap();
    store
        .apply_changes(&me, &page(vec![received(1, id, &doc)]))
        .unwrap();
    assert_refused(&mut store, id, ReadOnly::Received, "收文");
}

#[test]
fn an_archived_document_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let doc = notice("关于防汛的通知", "2026年5月10日", "正文。");
    let id = store.create_document(&doc, DocStatus::Draft).unwrap().id;
    store.set_status(id, DocStatus::Archived).unwrap();
    assert_refused(&mut store, id, ReadOnly::Archived, "已归档");
}

#[test]
fn a_document_whose_status_alone_is_signed_off_is_read_only_and_may_still_be_dispatched() {
    // Imported as 已签发, with no handling: what was signed is settled, wherever the
    // signing happened; it still goes out (its 分发 is the next thing done to it).
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let doc = notice("关于防汛的通知", "2026年5月10日", "正文。");
    let id = store
        .create_document(&doc, DocStatus::SignedOff)
        .unwrap()
        .id;
    assert_refused(&mut store, id, ReadOnly::SignedOff, "已签发");
    assert_eq!(store.no_dispatch(id).unwrap(), None);
    store
        .queue_dispatch(id, vec!["sz-tjj".into()], vec![])
        .unwrap();
    // A draft marked 已签发 through the status path (an import does this) is settled too.
    let draft = store.create_document(&doc, DocStatus::Draft).unwrap().id;
    assert_eq!(store.read_only(draft).unwrap(), None);
    store.set_status(draft, DocStatus::SignedOff).unwrap();
    assert_refused(&mut store, draft, ReadOnly::SignedOff, "已签发");
}
