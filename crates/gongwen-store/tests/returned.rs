//! A returned document is not a dead end (#14.3), on real store folders: the sender's
//! store records the 退回 when the sync applies it (who, when, which unit, why) and
//! shows the document as 已退回; the clerk revises it as a new version (the 版 that was
//! sent stays marked) and queues its 重新分发, only to the unit that returned it; the
//! recipient's store takes the new version as a new arrival of the same document.
//! Applying the log again from the start changes nothing.

mod common;

use gongwen_core::wire::{
    Change, ChangeEntry, ChangesPage, CommandId, Delivery, DeliveryStatus, RecipientRole,
};
use gongwen_core::workflow::content_hash;
use gongwen_core::{Body, DocStatus, Document, DocumentId};
use gongwen_store::{ListFilter, ReadOnly, Store, StoreError};

use common::account;

const SENT_AT: &str = "2026-11-25T08:00:00Z";
const RETURNED_AT: &str = "2026-11-25T09:30:00Z";
const SENT_AGAIN_AT: &str = "2026-11-26T10:00:00Z";

fn page(changes: Vec<Change>) -> ChangesPage {
    let next_cursor = changes.last().map(|c| c.seq).unwrap_or(0);
    ChangesPage {
        changes,
        next_cursor,
        has_more: false,
        ..ChangesPage::default()
    }
}

fn change(seq: u64, entry: ChangeEntry) -> Change {
    Change {
        seq,
        command_id: CommandId(uuid::Uuid::new_v4()),
        entry,
    }
}

fn to_tjj(status: DeliveryStatus, by: &str, at: &str) -> Delivery {
    Delivery {
        unit: "sz-tjj".into(),
        role: RecipientRole::Main,
        status,
        reason: (status == DeliveryStatus::Returned).then(|| "请补充统计口径".to_string()),
        by: by.into(),
        at: at.into(),
    }
}

fn sent(seq: u64, id: DocumentId, doc: &Document, at: &str) -> Change {
    change(
        seq,
        ChangeEntry::Sent {
            document_id: id,
            document: Box::new(doc.clone()),
            content_hash: content_hash(doc),
            deliveries: vec![to_tjj(DeliveryStatus::Delivered, "fgw-clerk", at)],
        },
    )
}

fn received(seq: u64, id: DocumentId, doc: &Document, at: &str) -> Change {
    change(
        seq,
        ChangeEntry::Received {
            document_id: id,
            document: Box::new(doc.clone()),
            content_hash: content_hash(doc),
            from: "sz-fgw".into(),
            role: RecipientRole::Main,
            by: "fgw-clerk".into(),
            at: at.into(),
        },
    )
}

fn returned(seq: u64, id: DocumentId) -> Change {
    change(
        seq,
        ChangeEntry::Delivery {
            document_id: id,
            delivery: to_tjj(DeliveryStatus::Returned, "tjj-clerk", RETURNED_AT),
        },
    )
}

fn accepted(store: &mut Store, command: CommandId, at: &str) {
    store
        .record_outcome(&gongwen_core::wire::CommandOutcome {
            command_id: command,
            result: gongwen_core::wire::CommandResult::Accepted,
            decided_at: at.into(),
        })
        .unwrap();
}

fn letter() -> Document {
    common::notice("关于报送统计数据的通知", "2026年11月25日", "一、报送内容")
}

fn status_filter(status: DocStatus) -> ListFilter {
    ListFilter {
        status: Some(status),
        ..ListFilter::default()
    }
}

#[test]
fn the_sender_sees_the_return_revises_and_queues_the_redispatch_to_that_unit_only() {
    let me = account("http://127.0.0.1:9", "fgw-clerk", "sz-fgw");
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.set_account(Some(&me)).unwrap();
    let first = letter();
    let id = store.create_document(&first, DocStatus::Draft).unwrap().id;
    let command = store
        .queue_dispatch(id, vec!["sz-tjj".into()], vec![])
        .unwrap();
    accepted(&mut store, command, SENT_AT);
    store
        .apply_changes(&me, &page(vec![sent(1, id, &first, SENT_AT)]))
        .unwrap();
    assert_eq!(
        store.get(id).unwrap().unwrap().status,
        DocStatus::Dispatched
    );
    assert!(matches!(
        store.queue_dispatch(id, vec!["sz-tjj".into()], vec![]),
        Err(StoreError::CommandRefused { .. })
    ));

    // 市统计局 returns it.
    store
        .apply_changes(&me, &page(vec![returned(2, id)]))
        .unwrap();
    assert_eq!(store.get(id).unwrap().unwrap().status, DocStatus::Returned);
    let listed = store.list(&status_filter(DocStatus::Returned)).unwrap();
    assert_eq!(
        listed.items.iter().map(|d| d.id).collect::<Vec<_>>(),
        [id],
        "the 状态 filter finds it under 已退回"
    );
    assert!(store
        .list(&status_filter(DocStatus::Dispatched))
        .unwrap()
        .items
        .is_empty());
    let d = store.deliveries(id).unwrap();
    assert_eq!(
        (
            d[0].unit.0.as_str(),
            d[0].status,
            d[0].reason.as_deref(),
            d[0].by.as_str(),
            d[0].at.as_str()
        ),
        (
            "sz-tjj",
            DeliveryStatus::Returned,
            Some("请补充统计口径"),
            "tjj-clerk",
            RETURNED_AT
        )
    );

    // What the desktop notification tells.
    let told = store.returned_deliveries().unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].summary.title, "关于报送统计数据的通知");
    assert_eq!(told[0].delivery, d[0]);
    // 修改: a new version; the one that was sent stays marked.
    assert_eq!(store.read_only(id).unwrap(), None);
    let mut revised = first.clone();
    revised.body = Body::from_text("一、报送内容（按新口径）");
    let saved = store.save_draft(id, &revised).unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(saved.status, DocStatus::Returned);
    let versions = store.versions(id).unwrap();
    let marked: Vec<_> = versions
        .iter()
        .map(|v| (v.version, v.dispatched_at.as_deref()))
        .collect();
    assert!(marked.contains(&(1, Some(SENT_AT))), "{marked:?}");
    assert!(marked.contains(&(2, None)), "{marked:?}");

    // 重新分发: not to a unit that did not return it, not in another role.
    for (main, cc, what) in [
        (vec!["sz-gov"], vec![], "没有退回"),
        (vec!["sz-gov"], vec!["sz-tjj"], "没有退回"),
    ] {
        let what: &str = what;
        let e = store
            .queue_dispatch(
                id,
                main.into_iter().map(Into::into).collect(),
                cc.into_iter().map(Into::into).collect(),
            )
            .unwrap_err();
        assert!(
            e.to_string().contains("did not return") || e.to_string().contains("was a"),
            "{e}"
        );
        let StoreError::CommandRefused { message_zh, .. } = e else {
            panic!("not a refusal")
        };
        assert!(message_zh.contains(what), "{message_zh}");
    }
    assert!(store.pending_for(id).unwrap().is_empty(), "nothing queued");
    let command = store
        .queue_dispatch(id, vec!["sz-tjj".into()], vec![])
        .unwrap();
    assert_eq!(
        store.read_only(id).unwrap(),
        Some(ReadOnly::DispatchQueued),
        "what goes out is what was queued"
    );
    accepted(&mut store, command, SENT_AGAIN_AT);

    // The server's record of the 重新分发 arrives: 已分发 again, version 2 marked.
    let log = vec![
        sent(1, id, &first, SENT_AT),
        returned(2, id),
        sent(3, id, &revised, SENT_AGAIN_AT),
    ];
    store
        .apply_changes(&me, &page(vec![log[2].clone()]))
        .unwrap();
    let head = store.get(id).unwrap().unwrap();
    assert_eq!(
        (head.status, head.version, &head.document),
        (DocStatus::Dispatched, 2, &revised)
    );
    assert_eq!(
        store.deliveries(id).unwrap()[0].status,
        DeliveryStatus::Delivered
    );
    let marks: Vec<_> = store
        .versions(id)
        .unwrap()
        .iter()
        .map(|v| (v.version, v.dispatched_at.clone()))
        .collect();
    assert!(
        marks.contains(&(2, Some(SENT_AGAIN_AT.to_string()))),
        "{marks:?}"
    );
    assert!(store.returned_deliveries().unwrap().is_empty());

    // The whole log again (a repull): nothing changes, no old text comes back.
    store.restart_cursor(&me).unwrap();
    store.apply_changes(&me, &page(log.clone())).unwrap();
    let again = store.get(id).unwrap().unwrap();
    assert_eq!(
        (again.status, again.version, &again.document),
        (DocStatus::Dispatched, 2, &revised)
    );

    // A second computer of the same clerk pulls it all at once.
    let other = tempfile::tempdir().unwrap();
    let mut second = Store::open(other.path()).unwrap();
    second.apply_changes(&me, &page(log)).unwrap();
    let there = second.get(id).unwrap().unwrap();
    assert_eq!(
        (there.status, &there.document),
        (DocStatus::Dispatched, &revised)
    );
    assert_eq!(
        second.deliveries(id).unwrap()[0].status,
        DeliveryStatus::Delivered
    );
}

#[test]
fn the_returning_unit_gets_the_new_version_as_a_new_arrival_of_the_same_document() {
    let me = account("http://127.0.0.1:9", "tjj-clerk", "sz-tjj");
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.set_account(Some(&me)).unwrap();
    let id = DocumentId(uuid::Uuid::new_v4());
    let first = letter();
    let mut revised = first.clone();
    revised.body = Body::from_text("一、报送内容（按新口径）");
    store
        .apply_changes(&me, &page(vec![received(1, id, &first, SENT_AT)]))
        .unwrap();
    store.mark_read(id).unwrap();
    store
        .apply_changes(&me, &page(vec![returned(2, id)]))
        .unwrap();
    assert!(store.unread_arrivals().unwrap().is_empty());
    let log = vec![
        received(1, id, &first, SENT_AT),
        returned(2, id),
        received(3, id, &revised, SENT_AGAIN_AT),
    ];
    store
        .apply_changes(&me, &page(vec![log[2].clone()]))
        .unwrap();
    let head = store.get(id).unwrap().unwrap();
    assert_eq!(
        (head.status, head.version, &head.document),
        (DocStatus::Incoming, 2, &revised),
        "the returned text stays as version 1"
    );
    let unread = store.unread_arrivals().unwrap();
    assert_eq!(unread.len(), 1, "a new arrival");
    assert_eq!(unread[0].incoming.status, DeliveryStatus::Delivered);
    assert_eq!(unread[0].incoming.at, SENT_AGAIN_AT);
    // It may be signed in again.
    store
        .queue_command(&gongwen_core::wire::CommandBody::Acknowledge { document_id: id })
        .unwrap();

    // Pulled again from the start, or by a new computer: the same end.
    store.restart_cursor(&me).unwrap();
    store.apply_changes(&me, &page(log.clone())).unwrap();
    assert_eq!(store.get(id).unwrap().unwrap().version, 2);
    let other = tempfile::tempdir().unwrap();
    let mut second = Store::open(other.path()).unwrap();
    second.set_account(Some(&me)).unwrap();
    second.apply_changes(&me, &page(log)).unwrap();
    let there = second.get(id).unwrap().unwrap();
    assert_eq!((there.version, &there.document), (2, &revised));
    assert_eq!(
        second.deliveries(id).unwrap()[0].status,
        DeliveryStatus::Delivered
    );
}
