//! Backup and restore, and cursors that stop meaning anything: real server processes
//! (SQLite and PostgreSQL), `admin backup` / `admin restore`, and real client stores
//! with the real sync client.
//!
//! * The drill: a client syncs; a backup is taken; more documents are dispatched and
//!   acknowledged; the server is restored; the clients go on. Nothing lost, nothing
//!   doubled, on either side, and the user is told.
//! * A restore refuses to run under a running server, and refuses a damaged or
//!   partial backup without touching the current data.
//! * A raised clearance brings the entries withheld before; a user moved to another
//!   unit gets that unit's whole log.

mod clients;
mod common;

use std::collections::BTreeMap;
use std::path::Path;

use clients::{random_file, sha256_of, Side};
use common::TestServer;
use gongwen_core::wire::{ChangeEntry, CommandBody, DeliveryStatus, UnitCode};
use gongwen_core::{Classification, DocStatus, DocumentId};
use gongwen_exchange::storage::{
    AuditDraft, CommandRecord, Commit, NumberEvent, NumberWrite, Storage,
};
use gongwen_store::{CursorReset, OutboxState};

fn admin_ok(server: &TestServer, args: &[&str]) -> String {
    let out = server.admin(args);
    assert!(
        out.status.success(),
        "admin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn admin_fails(server: &TestServer, args: &[&str]) -> String {
    let out = server.admin(args);
    assert!(
        !out.status.success(),
        "admin {args:?} should have failed; printed {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Dispatches a signed-off 通知 (with a file when `file_seed` is given) to sz-tjj and
/// syncs the sender.
async fn dispatch(fgw: &Side, title: &str, file_seed: Option<u64>) -> DocumentId {
    let id = match file_seed {
        Some(seed) => {
            let file = random_file(fgw.dir.path(), &format!("附件{seed}.pdf"), 200_000, seed);
            fgw.signed_off_with_file(title, &format!("附件{seed}"), &file)
                .id
        }
        None => fgw.draft(title),
    };
    fgw.store()
        .queue_dispatch(id, vec!["sz-tjj".into()], vec![])
        .expect("queue dispatch");
    let r = fgw.sync().await;
    assert_eq!(r.rejected, 0, "dispatch of {title} refused");
    id
}

fn acknowledge(tjj: &Side, id: DocumentId) {
    tjj.store()
        .queue_command(&CommandBody::Acknowledge { document_id: id })
        .expect("queue 签收");
}

/// id → status of sz-tjj's delivery, as the sender's store has it; also checks each
/// document has exactly one delivery there.
fn sender_view(fgw: &Side) -> BTreeMap<DocumentId, DeliveryStatus> {
    let docs = fgw.documents();
    let store = fgw.store();
    docs.iter()
        .map(|(id, (status, _))| {
            assert_eq!(*status, DocStatus::Dispatched, "{id} at the sender");
            let d = store.deliveries(*id).expect("deliveries");
            assert_eq!(d.len(), 1, "deliveries of {id} at the sender: {d:?}");
            assert_eq!(d[0].unit, UnitCode::from("sz-tjj"));
            (*id, d[0].status)
        })
        .collect()
}

/// id → status, as the recipient's store has it (its inbox, each document once).
fn recipient_view(tjj: &Side) -> BTreeMap<DocumentId, DeliveryStatus> {
    let docs = tjj.documents();
    let inbox = tjj.store().inbox().expect("inbox");
    assert_eq!(
        inbox.len(),
        docs.len(),
        "inbox and documents of {}",
        tjj.username
    );
    let mut out = BTreeMap::new();
    for item in inbox {
        let id = item.summary.id;
        assert_eq!(docs[&id].0, DocStatus::Incoming);
        assert!(!item.pending, "{id} still pending at {}", tjj.username);
        assert!(out.insert(id, item.incoming.status).is_none(), "{id} twice");
    }
    out
}

/// The server's own count, read from its storage: per document, how many `Sent`
/// entries sz-fgw's log has, how many `Received` sz-tjj's has, and the last delivery
/// status; and how many 签收 entries each log holds per document.
async fn server_view(
    storage: &dyn Storage,
) -> BTreeMap<DocumentId, (usize, usize, usize, DeliveryStatus)> {
    let mut out: BTreeMap<DocumentId, (usize, usize, usize, DeliveryStatus)> = BTreeMap::new();
    for unit in ["sz-fgw", "sz-tjj"] {
        let rows = storage
            .log_after(&UnitCode::from(unit), 0, 1000)
            .await
            .expect("log");
        for row in rows {
            let entry: ChangeEntry = serde_json::from_str(&row.entry).expect("entry");
            let e = out
                .entry(entry.document_id())
                .or_insert((0, 0, 0, DeliveryStatus::Delivered));
            match (&entry, unit) {
                (ChangeEntry::Sent { .. }, "sz-fgw") => e.0 += 1,
                (ChangeEntry::Received { .. }, "sz-tjj") => e.1 += 1,
                (ChangeEntry::Delivery { delivery, .. }, "sz-tjj") => {
                    if delivery.status == DeliveryStatus::Acknowledged {
                        e.2 += 1;
                    }
                    e.3 = delivery.status;
                }
                (ChangeEntry::Delivery { .. }, _) => {}
                // The 收文 handling a 签收 starts at the recipient.
                (ChangeEntry::Handling { .. }, "sz-tjj") => {}
                other => panic!("unexpected entry {other:?}"),
            }
        }
    }
    out
}

const SERIES: &str = "宿发改/2026";

/// Gives or cancels a 文号 straight in storage, beside the running server (no command
/// writes numbers yet): the backup must carry the series' counter and register.
async fn number(storage: &dyn Storage, n: i64, document_id: DocumentId, event: NumberEvent) {
    let command_id = uuid::Uuid::new_v4();
    let at = "2026-12-07T09:00:00Z".to_string();
    let commit = Commit {
        command: CommandRecord {
            command_id,
            unit: "sz-fgw".into(),
            username: "fgw-clerk".into(),
            client: "restore-drill".into(),
            kind: "assign_number".into(),
            payload_hash: format!("payload-of-{command_id}"),
            outcome: "{}".into(),
            at: at.clone(),
        },
        workflow: None,
        document: None,
        log: Vec::new(),
        contents: Vec::new(),
        numbers: vec![NumberWrite {
            series: SERIES.into(),
            number: n,
            document_id,
            event,
            by: "fgw-clerk".into(),
            at: at.clone(),
            reason: (event == NumberEvent::Cancelled).then(|| "印制前发现错字，作废重编".into()),
        }],
        delegation: None,
        transfer: None,
        audit: AuditDraft {
            at,
            username: "fgw-clerk".into(),
            unit: "sz-fgw".into(),
            client: "restore-drill".into(),
            action: "command assign_number".into(),
            detail: "{}".into(),
        },
    };
    storage.commit(&commit).await.expect("number written");
}

/// The series' register as (number, event) pairs.
async fn register(storage: &dyn Storage) -> Vec<(i64, NumberEvent)> {
    storage
        .number_register(SERIES)
        .await
        .expect("register")
        .iter()
        .map(|r| (r.number, r.event))
        .collect()
}

/// The drill on a running `server`; `storage` opens its database for the server-side
/// count.
async fn drill<F, Fut>(server: &mut TestServer, open_storage: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Box<dyn Storage>>,
{
    let fgw = Side::login(&server.url, "fgw-clerk").await;
    let tjj = Side::login(&server.url, "tjj-clerk").await;

    // Before the backup: two documents, one signed for.
    let a1 = dispatch(&fgw, "关于报送第一季度统计数据的通知", Some(1)).await;
    let a2 = dispatch(&fgw, "关于开展统计执法检查的通知", None).await;
    tjj.sync().await;
    acknowledge(&tjj, a1);
    tjj.sync().await;
    fgw.sync().await;

    // 文号: a1 got number 1, which was cancelled; a2 got 2.
    {
        let storage = open_storage().await;
        number(storage.as_ref(), 1, a1, NumberEvent::Issued).await;
        number(storage.as_ref(), 1, a1, NumberEvent::Cancelled).await;
        number(storage.as_ref(), 2, a2, NumberEvent::Issued).await;
    }

    let backup = tempfile::tempdir().expect("backup folder");
    let backup_dir = backup.path().join("2026-12-07");
    let printed = admin_ok(server, &["backup", backup_dir.to_str().unwrap()]);
    assert!(printed.contains("backup of the"), "{printed}");

    // After the backup: two more documents (one with a new file), and two 签收.
    let b1 = dispatch(&fgw, "关于报送第二季度统计数据的通知", Some(2)).await;
    let b2 = dispatch(&fgw, "关于召开统计工作会议的通知", None).await;
    number(open_storage().await.as_ref(), 3, b1, NumberEvent::Issued).await;
    tjj.sync().await;
    acknowledge(&tjj, a2);
    acknowledge(&tjj, b1);
    assert_eq!(tjj.sync().await.accepted, 2);
    fgw.sync().await;
    let want = BTreeMap::from([
        (a1, DeliveryStatus::Acknowledged),
        (a2, DeliveryStatus::Acknowledged),
        (b1, DeliveryStatus::Acknowledged),
        (b2, DeliveryStatus::Delivered),
    ]);
    assert_eq!(sender_view(&fgw), want);
    assert_eq!(recipient_view(&tjj), want);

    // A restore under the running server is refused.
    let err = admin_fails(server, &["restore", backup_dir.to_str().unwrap()]);
    assert!(err.contains("server is running"), "{err}");

    server.terminate();
    let printed = admin_ok(server, &["restore", backup_dir.to_str().unwrap()]);
    assert!(printed.contains("new log epoch"), "{printed}");
    // The server lost b1, b2 and two 签收.
    {
        let storage = open_storage().await;
        let lost = server_view(storage.as_ref()).await;
        assert_eq!(lost.len(), 2, "{lost:?}");
        // The series came back as it was at the backup, its cancellation with it; the
        // number given after the backup is gone with the rest (docs/sync-protocol.md).
        assert_eq!(storage.series_last(SERIES).await.unwrap(), 2);
        assert_eq!(
            register(storage.as_ref()).await,
            vec![
                (1, NumberEvent::Issued),
                (1, NumberEvent::Cancelled),
                (2, NumberEvent::Issued)
            ]
        );
    }
    server.restart();

    // The sender first: it finds the new epoch, sends its accepted commands again
    // (a1 and a2 get their original outcomes, b1 and b2 are applied anew) and pulls
    // its log from the start.
    let r = fgw.sync().await;
    assert_eq!(r.cursor_reset, Some(CursorReset::ServerRestored), "{r:?}");
    assert_eq!(r.repushed, 4);
    assert_eq!(r.rejected, 0);
    let r = tjj.sync().await;
    assert_eq!(r.cursor_reset, Some(CursorReset::ServerRestored), "{r:?}");
    assert_eq!(r.repushed, 3, "three 签收 were accepted here");
    assert_eq!(r.rejected, 0);
    let r = fgw.sync().await;
    assert_eq!(r.cursor_reset, None, "one reset per restore");

    // Nothing lost, nothing doubled, on both clients …
    assert_eq!(sender_view(&fgw), want);
    assert_eq!(recipient_view(&tjj), want);
    for side in [&fgw, &tjj] {
        let s = side.store();
        assert!(s.pending_commands(10).unwrap().is_empty());
        assert!(s
            .outbox()
            .unwrap()
            .iter()
            .all(|e| e.state != OutboxState::Rejected));
        let account = s.account().unwrap().unwrap();
        let state = s.sync_state(&account).unwrap();
        // … and the user was told (the app's status bar and `gongwen sync status`
        // read this).
        assert!(state.server_restored_at.is_some(), "{}", side.username);
        assert!(state.repushed > 0);
    }
    // The files came back too: the recipient's copy of b1's file is whole.
    let b1_doc = tjj.store().get(b1).unwrap().unwrap().document;
    let sha = b1_doc.attachments[0].sha256.clone().unwrap();
    let path = tjj.store().attachment_path(&sha).unwrap();
    assert_eq!(sha256_of(&path), sha);

    // … and on the server: one Sent, one Received per document, one 签收 each.
    server.terminate();
    {
        let storage = open_storage().await;
        let seen = server_view(storage.as_ref()).await;
        let expected: BTreeMap<_, _> = want
            .iter()
            .map(|(id, st)| {
                let acks = usize::from(*st == DeliveryStatus::Acknowledged);
                (*id, (1, 1, acks, *st))
            })
            .collect();
        assert_eq!(seen, expected);
    }
    server.restart();

    // A third computer of the sender gets the same from the server.
    let fresh = Side::login(&server.url, "fgw-clerk").await;
    fresh.sync().await;
    assert_eq!(sender_view(&fresh), want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_drill_on_sqlite() {
    let mut server = TestServer::start();
    let db = server.db_path();
    drill(&mut server, move || {
        let db = db.clone();
        async move {
            Box::new(gongwen_exchange::storage::sqlite::SqliteStorage::open(&db).unwrap())
                as Box<dyn Storage>
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_drill_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let url = pg.create_database("restore_drill").expect("database");
    let mut server = TestServer::start_on_postgres(&url, &[]);
    drill(&mut server, move || {
        let url = url.clone();
        async move {
            Box::new(
                gongwen_exchange::storage::postgres::PostgresStorage::connect(&url)
                    .await
                    .unwrap(),
            ) as Box<dyn Storage>
        }
    })
    .await;
}

fn file_hashes(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != "server.log" {
                out.insert(
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    sha256_of(&p),
                );
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_or_partial_backup_is_refused_and_nothing_is_touched() {
    let mut server = TestServer::start();
    let fgw = Side::login(&server.url, "fgw-clerk").await;
    dispatch(&fgw, "关于报送第一季度统计数据的通知", Some(3)).await;
    let backup = tempfile::tempdir().unwrap();
    let dir = backup.path().join("b");
    admin_ok(&server, &["backup", dir.to_str().unwrap()]);
    // A second backup into the same folder is refused: it would mix two copies.
    let err = admin_fails(&server, &["backup", dir.to_str().unwrap()]);
    assert!(err.contains("not empty"), "{err}");
    dispatch(&fgw, "关于开展统计执法检查的通知", None).await;
    server.terminate();
    let before = file_hashes(server.data_dir());

    // A flipped byte in the middle of the database copy.
    let db = dir.join("exchange.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&db, &bytes).unwrap();
    let err = admin_fails(&server, &["restore", dir.to_str().unwrap()]);
    assert!(
        err.contains("damaged") && err.contains("exchange.db"),
        "{err}"
    );
    bytes[mid] ^= 0xff;
    std::fs::write(&db, &bytes).unwrap();

    // An attachment file missing.
    let blob = std::fs::read_dir(dir.join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().len() == 2)
        .expect("a blob folder");
    let moved = backup.path().join("kept");
    std::fs::rename(&blob, &moved).unwrap();
    let err = admin_fails(&server, &["restore", dir.to_str().unwrap()]);
    assert!(err.contains("incomplete"), "{err}");
    std::fs::rename(&moved, &blob).unwrap();

    // No manifest: an interrupted backup.
    std::fs::rename(dir.join("manifest.json"), backup.path().join("m")).unwrap();
    let err = admin_fails(&server, &["restore", dir.to_str().unwrap()]);
    assert!(err.contains("not a complete backup"), "{err}");

    // Not one byte of the data folder changed (the lock file aside, which the
    // refused restores created or found).
    let mut after = file_hashes(server.data_dir());
    after.remove("server.lock");
    let mut before = before;
    before.remove("server.lock");
    assert_eq!(before, after);

    // The server goes on with its data and the client notices nothing.
    server.restart();
    let r = fgw.sync().await;
    assert_eq!(r.cursor_reset, None);
    assert_eq!(fgw.documents().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raised_clearance_brings_the_entries_withheld_before() {
    let server = TestServer::start();
    // 市统计局 gets a director cleared for 机密: a 机密 document may only be sent to a
    // unit where someone may read it. tjj-clerk's entries are withheld all the same.
    admin_ok(
        &server,
        &[
            "user",
            "add",
            "tjj-analyst",
            "--unit",
            "sz-tjj",
            "--role",
            "office_director",
            "--clearance",
            "secret",
            "--name",
            "孙丽",
        ],
    );
    let fgw = Side::login(&server.url, "fgw-clerk").await;
    // tjj-clerk is cleared for 秘密 (confidential).
    let tjj = Side::login(&server.url, "tjj-clerk").await;

    let open = dispatch(&fgw, "关于报送统计数据的通知", None).await;
    let secret = {
        let mut doc = clients::notice("关于重点项目统计核查的通知");
        doc.classification = Classification::Secret;
        doc.secrecy_term = "10年".into();
        doc.copy_number = "000001".into();
        let id = fgw
            .store()
            .create_document(&doc, DocStatus::SignedOff)
            .unwrap()
            .id;
        fgw.store()
            .queue_dispatch(id, vec!["sz-tjj".into()], vec![])
            .unwrap();
        assert_eq!(fgw.sync().await.accepted, 1);
        id
    };
    let later = dispatch(&fgw, "关于召开统计工作会议的通知", None).await;
    tjj.sync().await;
    let have: Vec<_> = tjj.documents().into_keys().collect();
    let mut want = vec![open, later];
    want.sort();
    assert_eq!(have, want, "the 机密 document is withheld");

    admin_ok(
        &server,
        &["user", "set", "tjj-clerk", "--clearance", "secret"],
    );
    let r = tjj.sync().await;
    assert_eq!(r.cursor_reset, Some(CursorReset::ClearanceRaised));
    let docs = tjj.documents();
    assert_eq!(docs.len(), 3, "each document once");
    assert!(docs.contains_key(&secret), "the 机密 document arrived");
    assert_eq!(tjj.store().inbox().unwrap().len(), 3);
    // Once: the next round does not pull again.
    let r = tjj.sync().await;
    assert_eq!((r.cursor_reset, r.pulled), (None, 0));
    let account = tjj.store().account().unwrap().unwrap();
    assert_eq!(account.user.clearance, Classification::Secret);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_moved_to_another_unit_gets_that_units_whole_log() {
    let server = TestServer::start();
    let fgw = Side::login(&server.url, "fgw-clerk").await;
    // Three documents for sz-tjj, then one for yq-gov: yq-clerk's cursor ends at 1.
    let mut for_tjj = Vec::new();
    for title in [
        "关于报送统计数据的通知",
        "关于开展统计执法检查的通知",
        "关于召开统计工作会议的通知",
    ] {
        for_tjj.push(dispatch(&fgw, title, None).await);
    }
    let yq_doc = {
        let id = fgw.draft("关于做好农村统计工作的通知");
        fgw.store()
            .queue_dispatch(id, vec!["yq-gov".into()], vec![])
            .unwrap();
        fgw.sync().await;
        id
    };
    let yq = Side::login(&server.url, "yq-clerk").await;
    let r = yq.sync().await;
    assert_eq!((r.new_documents, r.cursor), (1, 1));

    admin_ok(&server, &["user", "set", "yq-clerk", "--unit", "sz-tjj"]);
    let r = yq.sync().await;
    assert_eq!(r.cursor_reset, Some(CursorReset::UnitChanged));
    let docs = yq.documents();
    for id in &for_tjj {
        assert!(docs.contains_key(id), "sz-tjj's document {id} arrived");
    }
    assert!(docs.contains_key(&yq_doc), "what arrived before stays");
    assert_eq!(docs.len(), 4);
    let account = yq.store().account().unwrap().unwrap();
    assert_eq!(account.user.unit, UnitCode::from("sz-tjj"));
    // A 签收 now goes out as sz-tjj's.
    acknowledge(&yq, for_tjj[0]);
    assert_eq!(yq.sync().await.accepted, 1);
}
