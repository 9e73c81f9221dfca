//! Two accounts on one computer against a real `gongwen-exchange` process on
//! 127.0.0.1: a command goes out only under the account that queued it.
//!
//! Needs the server binary: `cargo build -p gongwen-exchange` first (or set
//! `GONGWEN_EXCHANGE_BIN`).

#[path = "../../gongwen-exchange/tests/common/mod.rs"]
mod exchange_server;

use std::sync::Mutex;

use exchange_server::{TestServer, DEMO_PASSWORD};
use gongwen_core::{Body, Classification, DocKind, DocStatus, Document};
use gongwen_store::{OutboxState, Store};
use gongwen_sync::{login, sync_once, Client};

fn secret_notice() -> Document {
    let mut d = Document::new(DocKind::Notice);
    d.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
    d.doc_number = "宿发改〔2026〕31号".into();
    d.title = "宿州市发展和改革委员会关于重点项目储备情况的通知".into();
    d.main_recipients = vec!["市统计局".into()];
    d.body = Body::from_text("一、储备项目\n请按附表核对。");
    d.issuer_signature = vec!["宿州市发展和改革委员会".into()];
    d.date_of_issue = "2026年11月25日".into();
    d.classification = Classification::Confidential;
    d.secrecy_term = "5年".into();
    d.copy_number = "000003".into();
    d
}

/// A store of its own for one account, logged in and synced once.
async fn own_store(url: &str, username: &str) -> (tempfile::TempDir, Mutex<Store>, Client, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let client = Client::new(url, &store.client_id().unwrap()).unwrap();
    let store = Mutex::new(store);
    let token = login(&client, &store, username, DEMO_PASSWORD)
        .await
        .unwrap()
        .token;
    sync_once(&client, &token, &store).await.unwrap();
    (dir, store, client, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_login_on_this_computer_does_not_send_the_clerks_dispatch() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut opened = Store::open(dir.path()).unwrap();
    let client = Client::new(&server.url, &opened.client_id().unwrap()).unwrap();
    let store = Mutex::new(opened);

    // 市发改委's clerk dispatches a 秘密 draft while the server cannot be reached,
    // and leaves.
    login(&client, &store, "fgw-clerk", DEMO_PASSWORD)
        .await
        .unwrap();
    let (draft, command) = {
        let mut s = store.lock().unwrap();
        let draft = s
            .create_document(&secret_notice(), DocStatus::SignedOff)
            .unwrap();
        let command = s
            .queue_dispatch(draft.id, vec!["sz-tjj".into()], vec![])
            .unwrap();
        (draft, command)
    };

    // 市政府办公室's clerk logs in on the same computer and syncs.
    let gov_token = login(&client, &store, "szgov-clerk", DEMO_PASSWORD)
        .await
        .unwrap()
        .token;
    let report = sync_once(&client, &gov_token, &store).await.unwrap();
    assert_eq!(report.pushed, 0, "{report:?}");
    let entry = store
        .lock()
        .unwrap()
        .outbox_entry(command)
        .unwrap()
        .unwrap();
    assert_eq!(entry.state, OutboxState::Pending);
    assert!(entry.attempts == 0, "never tried under another account");

    // Nothing reached 市统计局: not under 市政府办公室's name, not at all.
    let (_tjj_dir, tjj, tjj_client, tjj_token) = own_store(&server.url, "tjj-clerk").await;
    assert!(tjj.lock().unwrap().inbox().unwrap().is_empty());

    // The clerk logs in again: the dispatch goes out, under the clerk's name.
    let fgw_token = login(&client, &store, "fgw-clerk", DEMO_PASSWORD)
        .await
        .unwrap()
        .token;
    let report = sync_once(&client, &fgw_token, &store).await.unwrap();
    assert_eq!((report.pushed, report.accepted), (1, 1), "{report:?}");
    sync_once(&tjj_client, &tjj_token, &tjj).await.unwrap();
    let inbox = tjj.lock().unwrap().inbox().unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].summary.id, draft.id);
    assert_eq!(inbox[0].incoming.from.0, "sz-fgw");
    assert_eq!(inbox[0].incoming.by, "fgw-clerk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatch_queued_before_a_logout_goes_out_under_the_next_login_only_once_confirmed() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut opened = Store::open(dir.path()).unwrap();
    let client = Client::new(&server.url, &opened.client_id().unwrap()).unwrap();
    let store = Mutex::new(opened);

    // The clerk queues a 分发 and logs out before it was sent.
    login(&client, &store, "fgw-clerk", DEMO_PASSWORD)
        .await
        .unwrap();
    let (draft, command) = {
        let mut s = store.lock().unwrap();
        let draft = s
            .create_document(&secret_notice(), DocStatus::SignedOff)
            .unwrap();
        let command = s
            .queue_dispatch(draft.id, vec!["sz-tjj".into()], vec![])
            .unwrap();
        s.sign_out().unwrap();
        (draft, command)
    };

    // The leader logs in on the same desk: the round sends nothing in the leader's name.
    let leader_token = login(&client, &store, "fgw-leader", DEMO_PASSWORD)
        .await
        .unwrap()
        .token;
    let report = sync_once(&client, &leader_token, &store).await.unwrap();
    assert_eq!(report.pushed, 0, "{report:?}");
    let (_tjj_dir, tjj, tjj_client, tjj_token) = own_store(&server.url, "tjj-clerk").await;
    assert!(tjj.lock().unwrap().inbox().unwrap().is_empty());

    // The leader has seen it and confirms: it goes out, as the leader's act.
    assert!(store.lock().unwrap().confirm_command(command).unwrap());
    let report = sync_once(&client, &leader_token, &store).await.unwrap();
    assert_eq!((report.pushed, report.accepted), (1, 1), "{report:?}");
    sync_once(&tjj_client, &tjj_token, &tjj).await.unwrap();
    let inbox = tjj.lock().unwrap().inbox().unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].summary.id, draft.id);
    assert_eq!(inbox[0].incoming.by, "fgw-leader");

    // The clerk's next login sends nothing again.
    let clerk_token = login(&client, &store, "fgw-clerk", DEMO_PASSWORD)
        .await
        .unwrap()
        .token;
    let report = sync_once(&client, &clerk_token, &store).await.unwrap();
    assert_eq!(report.pushed, 0, "{report:?}");
}
