//! 回收站 (#14.9): a draft that never left the desk can be thrown away, is then in no
//! list, count, search or box, can be restored for 30 days, and is purged after; a
//! document that was sent, received, handled, filed, 签发ed or has something queued
//! stays. Status changes only move forward. Notifications are remembered per account.
//! All on real store folders.

mod common;

use gongwen_core::archival::{ArchivalCode, RetentionPeriod};
use gongwen_core::wire::{
    Change, ChangeEntry, ChangesPage, CommandId, CommandOutcome, CommandResult, Role,
};
use gongwen_core::workflow::content_hash;
use gongwen_core::{Classification, DocStatus, Document, DocumentId};
use gongwen_store::{
    FilingRecord, HandlingBox, Kept, ListFilter, NoticeKind, Store, StoreError, TRASH_KEPT_DAYS,
};

use common::{account, notice, received, NOW};

const SERVER: &str = "https://exchange.example";

fn signed_in_store(dir: &std::path::Path) -> Store {
    let mut store = Store::open(dir).unwrap();
    store
        .set_account(Some(&account(SERVER, "fgw-clerk", "sz-fgw")))
        .unwrap();
    store
}

/// A new draft of [`flood_notice`]; its id.
fn new_draft(store: &mut Store) -> DocumentId {
    store
        .create_document(&flood_notice(), DocStatus::Draft)
        .unwrap()
        .id
}

/// A new draft, thrown into the 回收站 at once; its id.
fn thrown_away(store: &mut Store) -> DocumentId {
    let id = new_draft(store);
    store.trash(id).unwrap();
    id
}

/// What is in the 回收站, by id.
fn in_trash(store: &Store) -> Vec<DocumentId> {
    store
        .trashed()
        .unwrap()
        .iter()
        .map(|t| t.summary.id)
        .collect()
}

fn page(changes: Vec<Change>) -> ChangesPage {
    let next_cursor = changes.last().map_or(0, |c| c.seq);
    ChangesPage {
        changes,
        next_cursor,
        has_more: false,
        ..ChangesPage::default()
    }
}

fn flood_notice() -> Document {
    notice(
        "关于做好防汛抗旱工作的通知",
        "2026年5月10日",
        "一、提高认识\n请各单位做好防汛抗旱准备工作。",
    )
}

fn listed(store: &Store) -> Vec<DocumentId> {
    store
        .list(&ListFilter::default())
        .unwrap()
        .items
        .iter()
        .map(|s| s.id)
        .collect()
}

fn drafts_total(store: &Store) -> u64 {
    store
        .list(&ListFilter {
            status: Some(DocStatus::Draft),
            ..ListFilter::default()
        })
        .unwrap()
        .total
}

#[test]
fn a_thrown_away_draft_is_nowhere_but_the_trash_until_restored() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let kept = new_draft(&mut store);
    // The mis-click: a blank 新建公文, then one with words in it.
    let blank = store
        .create_document(
            &Document::new(gongwen_core::DocKind::Letter),
            DocStatus::Draft,
        )
        .unwrap()
        .id;
    let mut doc = notice(
        "关于开展校园安全检查的通知",
        "2026年6月1日",
        "请各学校开展校园安全检查。",
    );
    let mistake = store.create_document(&doc, DocStatus::Draft).unwrap().id;
    // Typed into after its first version: the working copy comes back with it.
    doc.title = "关于开展校园消防安全检查的通知".into();
    store.autosave(mistake, &doc).unwrap();
    assert_eq!(drafts_total(&store), 3);
    assert_eq!(store.trashable(&[kept, blank, mistake]).unwrap().len(), 3);

    store.trash(blank).unwrap();
    store.trash(mistake).unwrap();
    assert_eq!(listed(&store), vec![kept]);
    assert_eq!(store.list(&ListFilter::default()).unwrap().total, 1);
    assert_eq!(drafts_total(&store), 1);
    assert!(store.search("校园", 10).unwrap().is_empty());
    assert!(store.search("消防", 10).unwrap().is_empty());
    assert_eq!(store.search("防汛", 10).unwrap().len(), 1);
    assert!(store.get(mistake).unwrap().is_none());
    assert!(store.versions(mistake).unwrap().is_empty());
    assert!(matches!(
        store.save_draft(mistake, &doc),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.autosave(mistake, &doc),
        Err(StoreError::NotFound(_))
    ));
    // Nothing of it can be queued for the exchange.
    assert!(matches!(
        store.queue_dispatch(mistake, vec!["sz-tjj".into()], vec![]),
        Err(StoreError::NotFound(_))
    ));
    assert!(store.outbox().unwrap().is_empty());
    assert!(store.pending_commands(10).unwrap().is_empty());
    for which in [
        HandlingBox::Todo,
        HandlingBox::InProgress,
        HandlingBox::Done,
    ] {
        assert!(store.handling_box(which).unwrap().is_empty());
    }
    assert!(store
        .due_items(chrono::NaiveDate::from_ymd_opt(2026, 6, 2).unwrap())
        .unwrap()
        .is_empty());
    assert!(store.verify().unwrap().is_empty(), "{:?}", store.verify());

    // The 回收站, newest first, with when and by whom, and when it goes for good.
    let trash = store.trashed().unwrap();
    let ids: Vec<DocumentId> = trash.iter().map(|t| t.summary.id).collect();
    assert_eq!(ids, vec![mistake, blank]);
    assert_eq!(trash[0].summary.title, "关于开展校园消防安全检查的通知");
    assert_eq!(trash[0].trashed_by, "张明");
    let at = chrono::DateTime::parse_from_rfc3339(&trash[0].trashed_at).unwrap();
    let purge = chrono::DateTime::parse_from_rfc3339(&trash[0].purge_at).unwrap();
    assert_eq!(purge - at, chrono::Duration::days(TRASH_KEPT_DAYS));
    // Trashed twice, or a document not there: said so.
    assert!(matches!(store.trash(mistake), Err(StoreError::NotFound(_))));
    assert!(matches!(
        store.restore_trashed(kept),
        Err(StoreError::NotTrashed(_))
    ));

    // Kept in the file: a new session sees the same.
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.trashed().unwrap().len(), 2);
    let back = store.restore_trashed(mistake).unwrap();
    assert_eq!(back.document.title, "关于开展校园消防安全检查的通知");
    assert!(back.working_copy_at.is_some(), "the typed text came back");
    assert_eq!(back.version, 1);
    assert_eq!(store.search("消防", 10).unwrap().len(), 1);
    assert_eq!(drafts_total(&store), 2);
    let mut ids = listed(&store);
    ids.sort();
    let mut want = vec![kept, mistake];
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(store.trashed().unwrap().len(), 1);
    assert!(store.verify().unwrap().is_empty(), "{:?}", store.verify());
    // Restored, it is a draft like before: saved as its next version.
    doc.title = "关于开展校园消防安全专项检查的通知".into();
    assert_eq!(store.save_draft(mistake, &doc).unwrap().version, 2);
}

/// An attachment file of its own.
fn with_file(store: &mut Store, id: DocumentId, content: &str) -> String {
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("名单.txt");
    std::fs::write(&file, content).unwrap();
    let stored = store.add_attachment_file(id, "名单", &file).unwrap();
    stored
        .document
        .attachments
        .last()
        .unwrap()
        .sha256
        .clone()
        .unwrap()
}

#[test]
fn after_30_days_the_trash_is_purged_with_the_files_only_it_had() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let gone = new_draft(&mut store);
    let other = new_draft(&mut store);
    let own = with_file(&mut store, gone, "只有这份草稿的名单");
    let shared = with_file(&mut store, gone, "两份公文都有的名单");
    assert_eq!(with_file(&mut store, other, "两份公文都有的名单"), shared);
    store.trash(gone).unwrap();
    let files = dir.path().join(gongwen_store::ATTACHMENTS_DIR);

    let now = chrono::Utc::now();
    assert_eq!(
        store
            .purge_expired_trash(now + chrono::Duration::days(29))
            .unwrap(),
        0
    );
    assert_eq!(store.trashed().unwrap().len(), 1);
    assert!(files.join(&own).is_file());
    assert_eq!(
        store
            .purge_expired_trash(now + chrono::Duration::days(TRASH_KEPT_DAYS + 1))
            .unwrap(),
        1
    );
    assert!(store.trashed().unwrap().is_empty());
    assert!(matches!(
        store.restore_trashed(gone),
        Err(StoreError::NotTrashed(_))
    ));
    assert!(!files.join(&own).exists(), "its own file went with it");
    assert!(
        files.join(&shared).is_file(),
        "a file another document lists stays"
    );
    assert_eq!(
        store
            .get(other)
            .unwrap()
            .unwrap()
            .document
            .attachments
            .len(),
        1
    );
    assert!(store.verify().unwrap().is_empty(), "{:?}", store.verify());
    // Nothing of it is left in the file.
    let conn = rusqlite::Connection::open(dir.path().join(gongwen_store::DB_FILE)).unwrap();
    for (table, column) in [("documents", "id"), ("read_marks", "document_id")] {
        let n: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM {table} WHERE {column} = ?1"),
                [gone.to_string()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    let versions: i64 = conn
        .query_row("SELECT count(*) FROM versions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(versions, 2, "only the other document's versions are left");
}

#[test]
fn the_store_purges_expired_trash_when_it_opens() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let old = thrown_away(&mut store);
    let recent = thrown_away(&mut store);
    drop(store);
    // Thrown away 31 days ago (the clock of that session), as the file records it.
    let conn = rusqlite::Connection::open(dir.path().join(gongwen_store::DB_FILE)).unwrap();
    let then = chrono::Utc::now() - chrono::Duration::days(TRASH_KEPT_DAYS + 1);
    conn.execute(
        "UPDATE documents SET trashed_at = ?2 WHERE id = ?1",
        [old.to_string(), then.to_rfc3339()],
    )
    .unwrap();
    drop(conn);
    let store = Store::open(dir.path()).unwrap();
    let left = in_trash(&store);
    assert_eq!(left, vec![recent]);
}

#[test]
fn emptying_one_on_purpose_purges_it_now() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let a = thrown_away(&mut store);
    let b = thrown_away(&mut store);
    store.purge_trashed(a).unwrap();
    let left = in_trash(&store);
    assert_eq!(left, vec![b]);
    assert!(matches!(
        store.purge_trashed(a),
        Err(StoreError::NotTrashed(_))
    ));
    assert!(matches!(
        store.restore_trashed(a),
        Err(StoreError::NotTrashed(_))
    ));
    // Only what is in the 回收站 is purged: a live draft is not.
    let live = new_draft(&mut store);
    assert!(matches!(
        store.purge_trashed(live),
        Err(StoreError::NotTrashed(_))
    ));
    assert!(store.get(live).unwrap().is_some());
}

/// `id` may not go to the 回收站, for `why`: refused in Chinese, still listed, nothing
/// in the 回收站.
fn assert_kept(store: &mut Store, id: DocumentId, why: Kept, zh: &str) {
    assert_eq!(store.kept(id).unwrap(), Some(why));
    assert!(store.trashable(&[id]).unwrap().is_empty());
    let err = store.trash(id).unwrap_err();
    assert!(
        matches!(err, StoreError::Kept { why: w, .. } if w == why),
        "{err}"
    );
    assert!(err.message_zh().contains(zh), "{}", err.message_zh());
    assert!(store.get(id).unwrap().is_some());
    assert!(store.trashed().unwrap().is_empty());
}

#[test]
fn what_left_the_desk_or_was_signed_stays() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let me = store.signed_in().unwrap().unwrap();

    // Queued: a 分发 waits in the outbox. It would go without its document.
    let queued = new_draft(&mut store);
    let command = store
        .queue_dispatch(queued, vec!["sz-tjj".into()], vec![])
        .unwrap();
    assert_kept(&mut store, queued, Kept::Queued, "同步队列");
    assert_eq!(store.pending_commands(10).unwrap().len(), 1);

    // Sent: the server accepted that 分发.
    store
        .record_outcome(&CommandOutcome {
            command_id: command,
            result: CommandResult::Accepted,
            decided_at: NOW.into(),
        })
        .unwrap();
    assert_kept(&mut store, queued, Kept::Sent, "已分发");

    // Received from another unit.
    let incoming = DocumentId(uuid::Uuid::new_v4());
    store
        .apply_changes(&me, &page(vec![received(1, incoming, &flood_notice())]))
        .unwrap();
    assert_kept(&mut store, incoming, Kept::Received, "收文");

    // In a 发文 handling on the exchange (送审ed; at 核稿).
    let handled = new_draft(&mut store);
    let doc = store.get(handled).unwrap().unwrap().document;
    let flow = gongwen_core::flow::Flow::default_for(gongwen_core::flow::FlowKind::Outgoing);
    let mut h = gongwen_core::handling::Handling::start(&flow, "sz-fgw".into());
    let review = flow.step(&"review".into()).expect("a 核稿 step");
    h.step = review.id.clone();
    h.step_kind = review.kind;
    let change = Change {
        seq: 2,
        command_id: CommandId(uuid::Uuid::new_v4()),
        entry: ChangeEntry::Handling {
            document_id: handled,
            handling: Box::new(h),
            document: Some(Box::new(doc.clone())),
            content_hash: content_hash(&doc),
        },
    };
    store.apply_changes(&me, &page(vec![change])).unwrap();
    assert_eq!(
        store.get(handled).unwrap().unwrap().status,
        DocStatus::Draft
    );
    assert_kept(&mut store, handled, Kept::InHandling, "办理");

    // 已签发, by status (imported so) and by a version's mark.
    let signed = store
        .create_document(&flood_notice(), DocStatus::SignedOff)
        .unwrap()
        .id;
    assert_kept(&mut store, signed, Kept::SignedOff, "已签发");
    let marked = new_draft(&mut store);
    store.mark_signed_off(marked, "王市长").unwrap();
    assert_kept(&mut store, marked, Kept::SignedOff, "已签发");

    // Filed (归档).
    let filed = new_draft(&mut store);
    let code: ArchivalCode = "Z109-WS·2026-Y-BGS-0001".parse().unwrap();
    store
        .record_filings(&[FilingRecord {
            document_id: filed,
            archival_code: code,
            retention: RetentionPeriod::Permanent,
            title: "关于做好防汛抗旱工作的通知".into(),
            package_path: "Z109-WS·2026-Y-BGS-0001.xml".into(),
            package_sha256: "0".repeat(64),
            package_sm3: "0".repeat(64),
            filed_at: NOW.into(),
            filed_by: "档案员".into(),
        }])
        .unwrap();
    assert_kept(&mut store, filed, Kept::Filed, "已归档");
}

#[test]
fn deleting_needs_no_login_but_keeps_to_the_clearance() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let mut secret = flood_notice();
    secret.classification = Classification::Confidential;
    secret.secrecy_term = "1年".into();
    secret.copy_number = "000001".into();
    let secret = store.create_document(&secret, DocStatus::Draft).unwrap().id;
    store.trash(secret).unwrap();
    let hidden_later = store
        .create_document(
            &{
                let mut d = flood_notice();
                d.classification = Classification::Confidential;
                d
            },
            DocStatus::Draft,
        )
        .unwrap()
        .id;
    store.sign_out().unwrap();

    // Logged out: a 非密 draft goes and comes back, by 本机.
    let open = thrown_away(&mut store);
    let trash = store.trashed().unwrap();
    assert_eq!(
        trash.len(),
        1,
        "the 秘密 draft is not listed while logged out"
    );
    assert_eq!(trash[0].summary.id, open);
    assert_eq!(trash[0].trashed_by, gongwen_store::LOCAL_AUTHOR);
    // The classified one is neither restored, purged, nor said to be there.
    for err in [
        store.restore_trashed(secret).unwrap_err(),
        store.purge_trashed(secret).unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::NotTrashed(_)), "{err}");
    }
    // Nor can a classified draft be thrown away while nobody is logged in, nor is it
    // offered.
    assert!(matches!(
        store.trash(hidden_later),
        Err(StoreError::NotFound(_))
    ));
    assert!(store.trashable(&[hidden_later]).unwrap().is_empty());
    store.restore_trashed(open).unwrap();

    // Back logged in: the 秘密 draft is there, as it was.
    store
        .set_account(Some(&account(SERVER, "fgw-clerk", "sz-fgw")))
        .unwrap();
    let trash = store.trashed().unwrap();
    assert_eq!(trash.len(), 1, "the refused 删除 recorded nothing");
    assert_eq!(trash[0].summary.id, secret);
    assert!(store.get(hidden_later).unwrap().is_some());
    assert_eq!(
        trash[0].summary.classification,
        Classification::Confidential
    );
    store.restore_trashed(secret).unwrap();
    assert!(store.get(secret).unwrap().is_some());
}

#[test]
fn a_status_moves_only_forward() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let id = new_draft(&mut store);
    store.set_status(id, DocStatus::SignedOff).unwrap();
    // 已签发 back to 草稿: refused, in Chinese, and nothing changed.
    let err = store.set_status(id, DocStatus::Draft).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::StatusMove {
                from: DocStatus::SignedOff,
                to: DocStatus::Draft,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.message_zh().contains("已签发"), "{}", err.message_zh());
    assert_eq!(store.get(id).unwrap().unwrap().status, DocStatus::SignedOff);
    store.set_status(id, DocStatus::Dispatched).unwrap();
    for back in [DocStatus::Draft, DocStatus::SignedOff, DocStatus::Incoming] {
        assert!(
            matches!(
                store.set_status(id, back),
                Err(StoreError::StatusMove { .. })
            ),
            "已分发 → {back:?}"
        );
    }
    store.set_status(id, DocStatus::Returned).unwrap();
    assert!(store.set_status(id, DocStatus::Draft).is_err());
    store.set_status(id, DocStatus::Dispatched).unwrap();
    store.set_status(id, DocStatus::Archived).unwrap();

    // A 收文 stays a 收文; nothing becomes one by a status change.
    let me = store.signed_in().unwrap().unwrap();
    let incoming = DocumentId(uuid::Uuid::new_v4());
    store
        .apply_changes(&me, &page(vec![received(1, incoming, &flood_notice())]))
        .unwrap();
    assert!(store.set_status(incoming, DocStatus::Draft).is_err());
    let draft = new_draft(&mut store);
    assert!(store.set_status(draft, DocStatus::Incoming).is_err());
    assert!(store.set_status(draft, DocStatus::Returned).is_err());
    assert_eq!(store.get(draft).unwrap().unwrap().status, DocStatus::Draft);
}

#[test]
fn a_notification_is_given_once_per_account_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path());
    let keys = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        store
            .first_notices(NoticeKind::Returned, &keys(&["a", "b"]))
            .unwrap(),
        keys(&["a", "b"])
    );
    assert_eq!(
        store
            .first_notices(NoticeKind::Returned, &keys(&["b", "c"]))
            .unwrap(),
        keys(&["c"])
    );
    // The same key of another kind is another notification.
    assert_eq!(
        store.first_notices(NoticeKind::Due, &keys(&["a"])).unwrap(),
        keys(&["a"])
    );
    // A restart remembers.
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    assert!(store
        .first_notices(NoticeKind::Returned, &keys(&["a", "b", "c"]))
        .unwrap()
        .is_empty());
    // Another account on the same computer hears of its own.
    let mut other = account(SERVER, "fgw-leader", "sz-fgw");
    other.user.role = Role::Leader;
    store.set_account(Some(&other)).unwrap();
    assert_eq!(
        store
            .first_notices(NoticeKind::Returned, &keys(&["a"]))
            .unwrap(),
        keys(&["a"])
    );
    // Nobody logged in: nothing is told, nothing recorded.
    store.sign_out().unwrap();
    assert!(store
        .first_notices(NoticeKind::Returned, &keys(&["z"]))
        .unwrap()
        .is_empty());
    store
        .set_account(Some(&account(SERVER, "fgw-clerk", "sz-fgw")))
        .unwrap();
    assert_eq!(
        store
            .first_notices(NoticeKind::Returned, &keys(&["z"]))
            .unwrap(),
        keys(&["z"])
    );
}
