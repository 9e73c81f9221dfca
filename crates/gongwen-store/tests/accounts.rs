//! Several accounts on one computer and one store folder: each account's queued
//! commands are its own, and nobody sees documents above their own clearance, on any
//! path the store offers (list, search and snippets, a document, its versions, the
//! inbox, deliveries, the outbox, attachment files), nor changes them.

mod common;

use gongwen_core::wire::{ChangesPage, CommandBody, Role, UserInfo};
use gongwen_core::{Body, Classification, DocStatus, Document};
use gongwen_store::{Account, ListFilter, Store, StoreError};

use common::received;

const SERVER: &str = "https://exchange.suzhou.example.gov.cn";

fn user(server: &str, username: &str, unit: &str, clearance: Classification) -> Account {
    Account::new(
        server,
        UserInfo {
            username: username.into(),
            display_name: username.into(),
            unit: unit.into(),
            role: Role::Clerk,
            clearance,
        },
    )
}

/// 市发改委's clerk, cleared up to 机密.
fn clerk() -> Account {
    user(SERVER, "fgw-clerk", "sz-fgw", Classification::Secret)
}

/// A colleague of the same unit cleared only for 非密.
fn colleague() -> Account {
    user(SERVER, "fgw-staff", "sz-fgw", Classification::Unclassified)
}

fn secret_report() -> Document {
    let mut d = common::notice(
        "关于重点目标安全防护情况的报告",
        "2026年11月20日",
        "一、重点目标防护\n全市重点目标共十二处，防护等级已全部核定。",
    );
    d.classification = Classification::Secret;
    d.secrecy_term = "10年".into();
    d.copy_number = "000001".into();
    d
}

fn open_notice() -> Document {
    common::notice(
        "关于做好重点目标周边环境整治的通知",
        "2026年11月21日",
        "一、总体要求\n请各单位做好重点目标周边环境整治工作。",
    )
}

fn total(store: &Store) -> u64 {
    store.list(&ListFilter::default()).unwrap().total
}

#[test]
fn the_next_login_does_not_send_the_previous_accounts_commands() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.set_account(Some(&clerk())).unwrap();
    let draft = store
        .create_document(&open_notice(), DocStatus::SignedOff)
        .unwrap();
    let command = store
        .queue_dispatch(draft.id, vec!["sz-tjj".into()], vec![])
        .unwrap();

    // Another account logs in on this computer, on the same server or another one.
    for other in [
        colleague(),
        user(
            "https://exchange.other.example.gov.cn",
            "fgw-clerk",
            "sz-fgw",
            Classification::Secret,
        ),
    ] {
        store.set_account(Some(&other)).unwrap();
        assert!(
            store.pending_commands(10).unwrap().is_empty(),
            "{} must not send the clerk's dispatch",
            other.key()
        );
        assert!(store.pending_commands_of(&other, 10).unwrap().is_empty());
    }
    // The clerk's own push still finds it.
    let mine = store.pending_commands_of(&clerk(), 10).unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].command.id, command);
}

#[test]
fn another_accounts_commands_are_shown_as_theirs_and_can_be_discarded_on_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.set_account(Some(&clerk())).unwrap();
    let draft = store
        .create_document(&open_notice(), DocStatus::SignedOff)
        .unwrap();
    let command = store
        .queue_dispatch(draft.id, vec!["sz-tjj".into()], vec![])
        .unwrap();
    // Its own pending command is not the clerk's to discard: the sync sends it.
    assert!(matches!(
        store.discard_command(command),
        Err(StoreError::CommandRefused { .. })
    ));
    store.sign_out().unwrap();
    assert!(
        matches!(
            store.discard_command(command),
            Err(StoreError::CommandRefused { .. })
        ),
        "nobody logged in discards nothing"
    );

    store.set_account(Some(&colleague())).unwrap();
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    let by = outbox[0].queued_by.as_ref().expect("who queued it");
    assert_eq!(
        (by.server.as_str(), by.username.as_str()),
        (SERVER, "fgw-clerk")
    );
    assert!(by.is(&clerk()) && !by.is(&colleague()));
    assert_eq!(store.sync_state(&colleague()).unwrap().pending, 1);

    assert!(store.discard_command(command).unwrap());
    assert!(!store.discard_command(command).unwrap(), "only once");
    assert!(store.outbox().unwrap().is_empty());
    // Recorded, and never sent: not even when the clerk logs in again.
    let entry = store.outbox_entry(command).unwrap().unwrap();
    assert_eq!(entry.state, gongwen_store::OutboxState::Discarded);
    store.set_account(Some(&clerk())).unwrap();
    assert!(store.pending_commands(10).unwrap().is_empty());
    // The draft stays as it was, and may be dispatched again.
    let kept = store.get(draft.id).unwrap().unwrap();
    assert_eq!(kept.document, draft.document);
    assert_eq!(kept.status, DocStatus::SignedOff);
    store
        .queue_dispatch(draft.id, vec!["sz-tjj".into()], vec![])
        .unwrap();
}

#[test]
fn a_lower_clearance_login_sees_nothing_above_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.set_account(Some(&clerk())).unwrap();
    let secret = store
        .create_document(&secret_report(), DocStatus::Draft)
        .unwrap();
    // Version 2 lowers it to 非密; version 1 stays 机密.
    let mut declassified = secret_report();
    declassified.title = "关于安全防护工作的报告".into();
    declassified.classification = Classification::Unclassified;
    declassified.secrecy_term.clear();
    declassified.copy_number.clear();
    declassified.body = Body::from_text("一、工作情况\n防护工作进展顺利。");
    let lowered = store
        .create_document(&secret_report(), DocStatus::Draft)
        .unwrap();
    store.save_draft(lowered.id, &declassified).unwrap();
    let open = store
        .create_document(&open_notice(), DocStatus::Draft)
        .unwrap();
    let file = dir.path().join("名单.txt");
    std::fs::write(&file, "重点目标名单").unwrap();
    let with_file = store
        .add_attachment_file(secret.id, "重点目标名单", &file)
        .unwrap();
    let sha = with_file.document.attachments[0].sha256.clone().unwrap();
    // A 机密 document received over the exchange, and a 机密 dispatch queued.
    let incoming = gongwen_core::DocumentId(uuid::Uuid::new_v4());
    let mut incoming_doc = secret_report();
    incoming_doc.title = "关于重点目标值守安排的通知".into();
    store
        .apply_changes(
            &clerk(),
            &ChangesPage {
                changes: vec![received(1, incoming, &incoming_doc)],
                next_cursor: 1,
                has_more: false,
                ..ChangesPage::default()
            },
        )
        .unwrap();
    let signed_off = store
        .create_document(&secret_report(), DocStatus::SignedOff)
        .unwrap();
    store
        .queue_dispatch(signed_off.id, vec!["sz-tjj".into()], vec![])
        .unwrap();
    assert_eq!(total(&store), 5);
    assert_eq!(store.search("重点目标", 20).unwrap().len(), 4);
    assert_eq!(store.inbox().unwrap().len(), 1);
    assert_eq!(store.outbox().unwrap().len(), 1);

    store.set_account(Some(&colleague())).unwrap();
    // List and its total.
    let page = store.list(&ListFilter::default()).unwrap();
    let ids: Vec<_> = page.items.iter().map(|s| s.id).collect();
    assert_eq!(page.total, 2, "{ids:?}");
    assert_eq!(ids, vec![open.id, lowered.id]);
    let only_drafts = ListFilter {
        status: Some(DocStatus::Draft),
        ..ListFilter::default()
    };
    assert_eq!(store.list(&only_drafts).unwrap().total, 2);
    // Search: neither the hits nor their snippets, in the header or the body.
    let hits = store.search("重点目标", 20).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.summary.id).collect::<Vec<_>>(),
        vec![open.id]
    );
    assert!(store.search("十二处", 20).unwrap().is_empty());
    assert!(store.search("值守", 20).unwrap().is_empty());
    // The document, its versions, an earlier version that was classified.
    for id in [secret.id, incoming, signed_off.id] {
        assert_eq!(store.get(id).unwrap(), None);
        assert!(store.versions(id).unwrap().is_empty());
        assert_eq!(store.version(id, 1).unwrap(), None);
        assert!(store.deliveries(id).unwrap().is_empty());
        assert!(store.incoming(id).unwrap().is_none());
        assert!(store.pending_for(id).unwrap().is_empty());
    }
    assert_eq!(
        store.get(lowered.id).unwrap().unwrap().document,
        declassified
    );
    assert_eq!(store.versions(lowered.id).unwrap().len(), 2);
    assert_eq!(store.version(lowered.id, 1).unwrap(), None);
    assert_eq!(store.version(lowered.id, 2).unwrap(), Some(declassified));
    // The inbox and the outbox (whose dispatch carries the whole document).
    assert!(store.inbox().unwrap().is_empty());
    assert!(store.outbox().unwrap().is_empty());
    assert_eq!(store.sync_state(&colleague()).unwrap().pending, 0);
    // The attachment file, asked for through the document it belongs to.
    assert!(matches!(
        store.attachment_of(secret.id, &sha),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.attachment_of(open.id, &sha),
        Err(StoreError::NotFound(_))
    ));

    // Back as the clerk: everything is there.
    store.set_account(Some(&clerk())).unwrap();
    assert_eq!(total(&store), 5);
    assert!(store.attachment_of(secret.id, &sha).is_ok());
    assert_eq!(store.version(lowered.id, 1).unwrap(), Some(secret_report()));
}

#[test]
fn a_lower_clearance_login_cannot_change_what_it_cannot_see() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.set_account(Some(&clerk())).unwrap();
    let secret = store
        .create_document(&secret_report(), DocStatus::SignedOff)
        .unwrap();
    let open = store
        .create_document(&open_notice(), DocStatus::Draft)
        .unwrap();

    store.set_account(Some(&colleague())).unwrap();
    // Overwriting the hidden document (with 非密 content, which would make it visible).
    assert!(matches!(
        store.save_draft(secret.id, &open_notice()),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_status(secret.id, DocStatus::Draft),
        Err(StoreError::NotFound(_))
    ));
    let file = dir.path().join("x.txt");
    std::fs::write(&file, "x").unwrap();
    assert!(matches!(
        store.add_attachment_file(secret.id, "x", &file),
        Err(StoreError::NotFound(_))
    ));
    assert!(store
        .queue_dispatch(secret.id, vec!["sz-tjj".into()], vec![])
        .is_err());
    assert!(store
        .queue_command(&CommandBody::Dispatch {
            document_id: secret.id,
            document: Box::new(secret_report()),
            main: vec!["sz-tjj".into()],
            cc: vec![],
        })
        .is_err());
    // Nor write above its clearance.
    let raised = store.save_draft(open.id, &secret_report());
    assert!(
        matches!(
            raised,
            Err(StoreError::AboveClearance {
                classification: Classification::Secret,
                clearance: Classification::Unclassified,
                signed_in: true,
            })
        ),
        "{raised:?}"
    );
    assert!(matches!(
        store.create_document(&secret_report(), DocStatus::Draft),
        Err(StoreError::AboveClearance { .. })
    ));

    store.set_account(Some(&clerk())).unwrap();
    let kept = store.get(secret.id).unwrap().unwrap();
    assert_eq!((kept.version, kept.status), (1, DocStatus::SignedOff));
    assert_eq!(kept.document, secret_report());
    assert_eq!(store.get(open.id).unwrap().unwrap().version, 1);
}

#[test]
fn with_nobody_logged_in_only_unclassified_documents_show_and_nothing_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    // Imported on a computer where nobody has logged in yet.
    let ids = store
        .import(&[
            (secret_report(), DocStatus::Draft),
            (open_notice(), DocStatus::SignedOff),
        ])
        .unwrap();
    assert_eq!(store.clearance().unwrap(), Classification::Unclassified);
    assert_eq!(total(&store), 1);
    assert_eq!(store.get(ids[0]).unwrap(), None);
    assert!(store.search("十二处", 20).unwrap().is_empty());
    let refused = store.queue_dispatch(ids[1], vec!["sz-tjj".into()], vec![]);
    assert!(
        matches!(&refused, Err(StoreError::CommandRefused { message, .. }) if message.contains("not logged in")),
        "{refused:?}"
    );
    assert!(store.outbox().unwrap().is_empty());

    // The clerk logs in, then out again: the account is remembered for the login
    // dialog, but the store shows what nobody-logged-in may see.
    store.set_account(Some(&clerk())).unwrap();
    assert_eq!(total(&store), 2);
    store
        .queue_dispatch(ids[1], vec!["sz-tjj".into()], vec![])
        .unwrap();
    store.sign_out().unwrap();
    assert_eq!(store.account().unwrap(), Some(clerk()));
    assert_eq!(store.signed_in().unwrap(), None);
    assert_eq!(total(&store), 1);
    assert!(store.pending_commands(10).unwrap().is_empty());
    // The clerk's dispatch waits for the clerk; it is 非密, so it is shown.
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert!(outbox[0].queued_by.as_ref().unwrap().is(&clerk()));
    assert_eq!(store.pending_commands_of(&clerk(), 10).unwrap().len(), 1);
}

#[test]
fn what_a_user_sees_follows_the_store_not_the_process() {
    // The CLI and the app open the same folder: a login in one is the login of both.
    let dir = tempfile::tempdir().unwrap();
    let mut app = Store::open(dir.path()).unwrap();
    app.set_account(Some(&clerk())).unwrap();
    app.create_document(&secret_report(), DocStatus::Draft)
        .unwrap();
    let mut cli = Store::open(dir.path()).unwrap();
    assert_eq!(total(&cli), 1);
    cli.sign_out().unwrap();
    assert_eq!(total(&app), 0);
}

#[test]
fn a_version_2_store_keeps_its_queued_commands_with_the_remembered_account() {
    let dir = tempfile::tempdir().unwrap();
    let (draft, command) = {
        let mut store = Store::open(dir.path()).unwrap();
        store.set_account(Some(&clerk())).unwrap();
        store
            .create_document(&secret_report(), DocStatus::Draft)
            .unwrap();
        let draft = store
            .create_document(&open_notice(), DocStatus::SignedOff)
            .unwrap();
        let command = store
            .queue_dispatch(draft.id, vec!["sz-tjj".into()], vec![])
            .unwrap();
        (draft, command)
    };
    {
        // Back to what schema 2 had: no account on commands, no session, counts
        // without 密级, no cursor epoch (schema 4).
        let conn = rusqlite::Connection::open(dir.path().join(gongwen_store::DB_FILE)).unwrap();
        conn.execute_batch(common::UNDO_SCHEMAS_6_TO_13).unwrap();
        conn.execute_batch(
            "ALTER TABLE sync_state DROP COLUMN epoch;
             ALTER TABLE sync_state DROP COLUMN cursor_unit;
             ALTER TABLE sync_state DROP COLUMN cursor_clearance;
             ALTER TABLE sync_state DROP COLUMN restored_at;
             ALTER TABLE sync_state DROP COLUMN repushed;
             DROP INDEX outbox_by_account;
             ALTER TABLE outbox DROP COLUMN account;
             ALTER TABLE outbox DROP COLUMN classification;
             ALTER TABLE outbox DROP COLUMN discarded_by;
             DELETE FROM settings WHERE key = 'session';
             DROP TRIGGER documents_count_insert;
             DROP TRIGGER documents_count_delete;
             DROP TRIGGER documents_count_update;
             DROP TABLE document_counts;
             CREATE TABLE document_counts (kind TEXT NOT NULL, status TEXT NOT NULL,
                 year INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (kind, status, year))
                 WITHOUT ROWID;
             INSERT INTO document_counts SELECT kind, status, coalesce(year, 0), count(*)
                 FROM documents GROUP BY 1, 2, 3;
             CREATE TRIGGER documents_count_insert AFTER INSERT ON documents BEGIN
                 INSERT INTO document_counts(kind, status, year, n)
                 VALUES (new.kind, new.status, coalesce(new.year, 0), 1)
                 ON CONFLICT (kind, status, year) DO UPDATE SET n = n + 1;
             END;
             CREATE TRIGGER documents_count_delete AFTER DELETE ON documents BEGIN
                 UPDATE document_counts SET n = n - 1
                 WHERE kind = old.kind AND status = old.status AND year = coalesce(old.year, 0);
             END;
             CREATE TRIGGER documents_count_update AFTER UPDATE OF kind, status, year ON documents BEGIN
                 UPDATE document_counts SET n = n - 1
                 WHERE kind = old.kind AND status = old.status AND year = coalesce(old.year, 0);
                 INSERT INTO document_counts(kind, status, year, n)
                 VALUES (new.kind, new.status, coalesce(new.year, 0), 1)
                 ON CONFLICT (kind, status, year) DO UPDATE SET n = n + 1;
             END;
             PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let mut store = Store::open(dir.path()).unwrap();
    // The remembered account is still logged in, and its command is still its own.
    assert_eq!(store.signed_in().unwrap(), Some(clerk()));
    let mine = store.pending_commands_of(&clerk(), 10).unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].command.id, command);
    assert_eq!(total(&store), 2);
    store.set_account(Some(&colleague())).unwrap();
    assert_eq!(total(&store), 1, "the counts know each document's 密级");
    assert!(store.pending_commands(10).unwrap().is_empty());
    assert_eq!(store.outbox().unwrap().len(), 1);
    // New documents are counted by 密级 too.
    store
        .create_document(&open_notice(), DocStatus::Draft)
        .unwrap();
    assert_eq!(total(&store), 2);
    assert!(store.get(draft.id).unwrap().is_some());
    assert!(store.verify().unwrap().is_empty());
}

/// 市发改委's leader, cleared up to 绝密, on the clerk's computer.
fn leader() -> Account {
    user(SERVER, "fgw-leader", "sz-fgw", Classification::TopSecret)
}

#[test]
fn a_command_queued_before_a_login_goes_out_under_the_new_account_only_once_it_confirms() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.set_account(Some(&clerk())).unwrap();
    let draft = store
        .create_document(&open_notice(), DocStatus::SignedOff)
        .unwrap();
    let command = store
        .queue_dispatch(draft.id, vec!["sz-tjj".into()], vec![])
        .unwrap();
    store.sign_out().unwrap();
    assert!(
        matches!(
            store.confirm_command(command),
            Err(StoreError::CommandRefused { .. })
        ),
        "nobody logged in confirms nothing"
    );

    // The leader logs in on the same desk: nothing of the clerk's is sent as theirs…
    store.set_account(Some(&leader())).unwrap();
    assert!(store.pending_commands(10).unwrap().is_empty());
    let waiting = store.outbox().unwrap();
    assert_eq!(waiting.len(), 1);
    assert!(waiting[0].queued_by.as_ref().unwrap().is(&clerk()));
    // …until the leader has seen it and confirms it.
    assert!(store.confirm_command(command).unwrap());
    let mine = store.pending_commands(10).unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].command.id, command);
    assert!(mine[0].queued_by.as_ref().unwrap().is(&leader()));
    // Now its own: nothing left to confirm.
    assert!(matches!(
        store.confirm_command(command),
        Err(StoreError::CommandRefused { .. })
    ));
    // The clerk's next login does not send it a second time.
    store.set_account(Some(&clerk())).unwrap();
    assert!(store.pending_commands(10).unwrap().is_empty());
    // The row keeps whose it was.
    let conn = rusqlite::Connection::open(dir.path().join(gongwen_store::DB_FILE)).unwrap();
    let from: String = conn
        .query_row(
            "SELECT confirmed_from FROM outbox WHERE command_id = ?1",
            [command.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(from, clerk().key());
}

#[test]
fn a_command_of_no_known_account_is_sent_only_after_a_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.set_account(Some(&clerk())).unwrap();
    let draft = store
        .create_document(&open_notice(), DocStatus::SignedOff)
        .unwrap();
    let command = store
        .queue_dispatch(draft.id, vec!["sz-tjj".into()], vec![])
        .unwrap();
    // As a schema-2 store left it when no account was remembered.
    rusqlite::Connection::open(dir.path().join(gongwen_store::DB_FILE))
        .unwrap()
        .execute("UPDATE outbox SET account = NULL", [])
        .unwrap();
    assert!(store.pending_commands(10).unwrap().is_empty());
    assert_eq!(store.outbox().unwrap()[0].queued_by, None);
    assert!(store.confirm_command(command).unwrap());
    assert_eq!(store.pending_commands(10).unwrap().len(), 1);
}

#[test]
fn a_lower_clearance_login_cannot_confirm_what_it_may_not_see() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.set_account(Some(&clerk())).unwrap();
    let draft = store
        .create_document(&secret_report(), DocStatus::SignedOff)
        .unwrap();
    let command = store
        .queue_dispatch(draft.id, vec!["sz-tjj".into()], vec![])
        .unwrap();
    store.set_account(Some(&colleague())).unwrap();
    assert!(store.outbox().unwrap().is_empty());
    assert!(!store.confirm_command(command).unwrap());
    assert!(store.pending_commands(10).unwrap().is_empty());
}
