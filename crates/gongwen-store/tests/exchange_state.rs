//! The store's exchange state on real store folders: outbox, change application with
//! its cursor, deliveries, inbox, settings.

mod common;

use gongwen_core::wire::{
    Change, ChangeEntry, ChangesPage, CommandBody, CommandId, CommandOutcome, CommandResult,
    Delivery, DeliveryStatus, Directory, RecipientRole, RejectCode, Rejection, Unit, UnitCode,
};
use gongwen_core::workflow::content_hash;
use gongwen_core::{DocStatus, DocumentId};
use gongwen_store::{OutboxState, Store, StoreError};

use common::{account, received, NOW};

fn delivery(unit: &str, role: RecipientRole, status: DeliveryStatus, by: &str) -> Delivery {
    Delivery {
        unit: unit.into(),
        role,
        status,
        reason: (status == DeliveryStatus::Returned).then(|| "请补充附件".to_string()),
        by: by.into(),
        at: NOW.into(),
    }
}

fn page(changes: Vec<Change>, next_cursor: u64) -> ChangesPage {
    ChangesPage {
        changes,
        next_cursor,
        has_more: false,
        ..ChangesPage::default()
    }
}

fn rejected(id: CommandId) -> CommandOutcome {
    CommandOutcome {
        command_id: id,
        result: CommandResult::Rejected {
            rejection: Rejection {
                code: RejectCode::Invalid,
                message: "交换平台上没有单位“nowhere”".into(),
                message_en: "unknown unit `nowhere`".into(),
            },
        },
        decided_at: NOW.into(),
    }
}

#[test]
fn a_queued_dispatch_is_pending_until_answered_and_a_refusal_keeps_the_draft() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    // Commands are queued by a logged-in account.
    store
        .set_account(Some(&account(
            "https://exchange.example.gov.cn",
            "fgw-clerk",
            "sz-fgw",
        )))
        .unwrap();
    let doc = common::notice("关于做好统计工作的通知", "2026年11月25日", "一、总体要求");
    let stored = store.create_document(&doc, DocStatus::SignedOff).unwrap();

    let id = store
        .queue_dispatch(stored.id, vec!["nowhere".into()], vec![])
        .unwrap();
    let pending = store.pending_for(stored.id).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].command.id, id);
    assert_eq!(pending[0].state, OutboxState::Pending);
    // Queuing changes nothing locally: the status moves only when the server says so.
    assert_eq!(
        store.get(stored.id).unwrap().unwrap().status,
        DocStatus::SignedOff
    );

    // A second dispatch of the same document is refused while the first is pending.
    let again = store.queue_dispatch(stored.id, vec!["sz-tjj".into()], vec![]);
    assert!(
        matches!(again, Err(StoreError::CommandRefused { .. })),
        "{again:?}"
    );

    assert!(store.record_outcome(&rejected(id)).unwrap());
    // A second answer to the same command changes nothing.
    assert!(!store.record_outcome(&rejected(id)).unwrap());
    assert!(store.pending_for(stored.id).unwrap().is_empty());
    assert!(store.pending_commands(10).unwrap().is_empty());
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].state, OutboxState::Rejected);
    assert!(outbox[0]
        .rejection
        .as_ref()
        .unwrap()
        .message
        .contains("nowhere"));
    let after = store.get(stored.id).unwrap().unwrap();
    assert_eq!(after.document, doc, "the draft is untouched");
    assert_eq!(after.status, DocStatus::SignedOff);
    assert_eq!(after.version, 1);

    // Once read, the refusal can be removed from the outbox; the record stays.
    assert!(!store
        .dismiss_rejected(CommandId(uuid::Uuid::new_v4()))
        .unwrap());
    assert!(store.dismiss_rejected(id).unwrap());
    assert!(!store.dismiss_rejected(id).unwrap(), "only once");
    assert!(store.outbox().unwrap().is_empty());
    assert_eq!(
        store.outbox_entry(id).unwrap().unwrap().state,
        OutboxState::Rejected
    );

    // After a refusal the user may try again.
    let second = store
        .queue_dispatch(stored.id, vec!["sz-tjj".into()], vec!["yq-gov".into()])
        .unwrap();
    store
        .record_attempt_error(&[second], "connection refused")
        .unwrap();
    let entry = store.outbox_entry(second).unwrap().unwrap();
    assert_eq!(entry.attempts, 1);
    assert_eq!(entry.last_error.as_deref(), Some("connection refused"));
    assert_eq!(entry.state, OutboxState::Pending);
    store
        .record_outcome(&CommandOutcome {
            command_id: second,
            result: CommandResult::Accepted,
            decided_at: NOW.into(),
        })
        .unwrap();
    assert!(store
        .outbox()
        .unwrap()
        .iter()
        .all(|e| e.command.id != second));
    assert_eq!(
        store.outbox_entry(second).unwrap().unwrap().state,
        OutboxState::Accepted
    );
}

#[test]
fn local_checks_refuse_what_cannot_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    // Commands are queued by a logged-in account.
    store
        .set_account(Some(&account(
            "https://exchange.example.gov.cn",
            "fgw-clerk",
            "sz-fgw",
        )))
        .unwrap();
    let missing = DocumentId(uuid::Uuid::new_v4());
    assert!(matches!(
        store.queue_dispatch(missing, vec!["sz-tjj".into()], vec![]),
        Err(StoreError::NotFound(_))
    ));
    let stored = store
        .create_document(
            &common::notice("通知", "2026年11月25日", "正文"),
            DocStatus::Draft,
        )
        .unwrap();
    for (main, cc) in [
        (vec![], vec![]),
        (vec!["sz-tjj".into()], vec!["sz-tjj".into()]),
    ] {
        let r = store.queue_dispatch(stored.id, main, cc);
        assert!(matches!(r, Err(StoreError::CommandRefused { .. })), "{r:?}");
    }
    // Content other than the latest saved version.
    let mut other = stored.document.clone();
    other.title = "改过的标题".into();
    let r = store.queue_command(&CommandBody::Dispatch {
        document_id: stored.id,
        document: Box::new(other),
        main: vec!["sz-tjj".into()],
        cc: vec![],
    });
    assert!(matches!(r, Err(StoreError::CommandRefused { .. })), "{r:?}");
    // 签收 of a document that was not received.
    let r = store.queue_command(&CommandBody::Acknowledge {
        document_id: stored.id,
    });
    assert!(matches!(r, Err(StoreError::CommandRefused { .. })), "{r:?}");
    assert!(store.outbox().unwrap().is_empty(), "nothing was queued");
}

#[test]
fn a_received_document_is_stored_once_and_its_status_follows_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let me = account("http://127.0.0.1:9/", "tjj-clerk", "sz-tjj");
    // Commands are queued by a logged-in account.
    store.set_account(Some(&me)).unwrap();
    let doc = common::notice("关于开展统计调查的通知", "2026年11月20日", "一、调查范围");
    let id = DocumentId(uuid::Uuid::new_v4());

    let p = page(vec![received(1, id, &doc)], 1);
    let r = store.apply_changes(&me, &p).unwrap();
    assert_eq!((r.changes, r.new_documents, r.cursor), (1, 1, 1));
    // The same page again (a crash before the caller saw the answer): harmless.
    let r = store.apply_changes(&me, &p).unwrap();
    assert_eq!((r.new_documents, r.cursor), (0, 1));
    let stored = store.get(id).unwrap().unwrap();
    assert_eq!(stored.status, DocStatus::Incoming);
    assert_eq!(content_hash(&stored.document), content_hash(&doc));
    assert_eq!(stored.version, 1);
    let inbox = store.inbox().unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].incoming.from, UnitCode::from("sz-fgw"));
    assert_eq!(inbox[0].incoming.status, DeliveryStatus::Delivered);
    assert!(!inbox[0].pending);

    // 签收: pending until the server's Delivery change arrives.
    let ack = store
        .queue_command(&CommandBody::Acknowledge { document_id: id })
        .unwrap();
    assert!(store.inbox().unwrap()[0].pending);
    let twice = store.queue_command(&CommandBody::Return {
        document_id: id,
        reason: "不属于本单位".into(),
    });
    assert!(matches!(twice, Err(StoreError::CommandRefused { .. })));
    store
        .record_outcome(&CommandOutcome {
            command_id: ack,
            result: CommandResult::Accepted,
            decided_at: NOW.into(),
        })
        .unwrap();
    let change = Change {
        seq: 2,
        command_id: ack,
        entry: ChangeEntry::Delivery {
            document_id: id,
            delivery: delivery(
                "sz-tjj",
                RecipientRole::Main,
                DeliveryStatus::Acknowledged,
                "tjj-clerk",
            ),
        },
    };
    // A page that repeats change 1 and brings 2.
    store
        .apply_changes(&me, &page(vec![received(1, id, &doc), change], 2))
        .unwrap();
    let info = store.incoming(id).unwrap().unwrap();
    assert_eq!(info.status, DeliveryStatus::Acknowledged);
    assert_eq!(store.deliveries(id).unwrap().len(), 1);
    assert_eq!(store.list(&Default::default()).unwrap().total, 1);

    // The cursor never moves back, and another user or server has its own.
    store.apply_changes(&me, &page(vec![], 1)).unwrap();
    assert_eq!(store.cursor(&me).unwrap(), 2);
    let other_user = account("http://127.0.0.1:9", "tjj-leader", "sz-tjj");
    assert_eq!(store.cursor(&other_user).unwrap(), 0);
    let other_server = account("http://127.0.0.1:10", "tjj-clerk", "sz-tjj");
    assert_eq!(store.cursor(&other_server).unwrap(), 0);
    // Trailing slash or not: the same server.
    assert_eq!(
        store
            .cursor(&account("http://127.0.0.1:9", "tjj-clerk", "sz-tjj"))
            .unwrap(),
        2
    );
}

#[test]
fn sent_marks_the_draft_dispatched_and_reaches_the_senders_other_clients() {
    let me = account("http://127.0.0.1:9", "fgw-clerk", "sz-fgw");
    let doc = common::notice("关于报送统计数据的通知", "2026年11月25日", "一、报送内容");
    let first = tempfile::tempdir().unwrap();
    let mut store = Store::open(first.path()).unwrap();
    // Commands are queued by a logged-in account.
    store.set_account(Some(&me)).unwrap();
    let stored = store.create_document(&doc, DocStatus::SignedOff).unwrap();
    let cmd = store
        .queue_dispatch(stored.id, vec!["sz-tjj".into()], vec!["yq-gov".into()])
        .unwrap();
    let sent = Change {
        seq: 1,
        command_id: cmd,
        entry: ChangeEntry::Sent {
            document_id: stored.id,
            document: Box::new(doc.clone()),
            content_hash: content_hash(&doc),
            deliveries: vec![
                delivery(
                    "sz-tjj",
                    RecipientRole::Main,
                    DeliveryStatus::Delivered,
                    "fgw-clerk",
                ),
                delivery(
                    "yq-gov",
                    RecipientRole::Cc,
                    DeliveryStatus::Delivered,
                    "fgw-clerk",
                ),
            ],
        },
    };
    let returned = Change {
        seq: 2,
        command_id: CommandId(uuid::Uuid::new_v4()),
        entry: ChangeEntry::Delivery {
            document_id: stored.id,
            delivery: delivery(
                "yq-gov",
                RecipientRole::Cc,
                DeliveryStatus::Returned,
                "yq-clerk",
            ),
        },
    };
    let p = page(vec![sent.clone(), returned.clone()], 2);
    store.apply_changes(&me, &p).unwrap();
    // Sent again after the Delivery (a re-pull): the later status stays.
    store.apply_changes(&me, &page(vec![sent], 2)).unwrap();
    let after = store.get(stored.id).unwrap().unwrap();
    // 市埇桥区 returned it: 已退回 (#14.3), which the replayed Sent does not undo.
    assert_eq!(after.status, DocStatus::Returned);
    assert_eq!(after.version, 1, "same content: no new version");
    let d = store.deliveries(stored.id).unwrap();
    let seen: Vec<_> = d.iter().map(|d| (d.unit.0.as_str(), d.status)).collect();
    assert_eq!(
        seen,
        [
            ("sz-tjj", DeliveryStatus::Delivered),
            ("yq-gov", DeliveryStatus::Returned)
        ]
    );
    assert_eq!(d[1].reason.as_deref(), Some("请补充附件"));
    assert!(
        store.inbox().unwrap().is_empty(),
        "a sent document is not 收文"
    );

    // The same clerk's second computer gets the document from the Sent change.
    let second = tempfile::tempdir().unwrap();
    let mut other = Store::open(second.path()).unwrap();
    let r = other.apply_changes(&me, &p).unwrap();
    assert_eq!(r.new_documents, 1);
    let copy = other.get(stored.id).unwrap().unwrap();
    assert_eq!(copy.status, DocStatus::Returned, "as on the first computer");
    assert_eq!(copy.document, doc);
    assert_eq!(other.deliveries(stored.id).unwrap(), d);
}

#[test]
fn settings_survive_reopening_and_hold_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let me = account("http://127.0.0.1:9", "fgw-clerk", "sz-fgw");
    let (id, directory) = {
        let mut store = Store::open(dir.path()).unwrap();
        let id = store.client_id().unwrap();
        assert_eq!(store.client_id().unwrap(), id);
        assert!(store.account().unwrap().is_none());
        store.set_account(Some(&me)).unwrap();
        let directory = Directory {
            units: vec![Unit {
                code: "sz-tjj".into(),
                name: "宿州市统计局".into(),
                short_name: None,
            }],
            users: vec![],
            clearances: None,
            flows: vec![],
            flow_versions: vec![],
        };
        store.set_directory(&directory).unwrap();
        store.record_sync(&me, Err("connection refused")).unwrap();
        (id, directory)
    };
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.client_id().unwrap(), id);
    assert_eq!(store.account().unwrap(), Some(me.clone()));
    assert_eq!(store.directory().unwrap(), directory);
    let state = store.sync_state(&me).unwrap();
    assert_eq!(state.last_error.as_deref(), Some("connection refused"));
    assert!(state.last_sync_at.is_none());
    store.record_sync(&me, Ok(())).unwrap();
    let state = store.sync_state(&me).unwrap();
    assert!(state.last_error.is_none() && state.last_sync_at.is_some());
    drop(store);
    // Only these settings exist, and none of them holds a secret.
    let conn = rusqlite::Connection::open(dir.path().join(gongwen_store::DB_FILE)).unwrap();
    let mut stmt = conn
        .prepare("SELECT key FROM settings ORDER BY key")
        .unwrap();
    let keys: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys, ["account", "client_id", "directory", "session"]);
}

#[test]
fn a_version_1_database_is_migrated_and_keeps_its_documents() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let mut store = Store::open(dir.path()).unwrap();
        store
            .create_document(
                &common::notice("旧文件", "2026年1月5日", "正文"),
                DocStatus::Draft,
            )
            .unwrap()
            .id
    };
    {
        // Back to what schema 1 had.
        let conn = rusqlite::Connection::open(dir.path().join(gongwen_store::DB_FILE)).unwrap();
        conn.execute_batch(common::UNDO_SCHEMAS_6_TO_13).unwrap();
        conn.execute_batch(
            "DROP TABLE outbox; DROP TABLE exchanged; DROP TABLE deliveries; DROP TABLE sync_state;
             DROP TABLE settings; DROP TABLE attachment_downloads; PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let mut store = Store::open(dir.path()).unwrap();
    // Commands are queued by a logged-in account.
    store
        .set_account(Some(&account(
            "https://exchange.example.gov.cn",
            "fgw-clerk",
            "sz-fgw",
        )))
        .unwrap();
    assert_eq!(store.get(id).unwrap().unwrap().document.title, "旧文件");
    store
        .queue_dispatch(id, vec!["sz-tjj".into()], vec![])
        .unwrap();
    assert_eq!(store.pending_commands(10).unwrap().len(), 1);
}
