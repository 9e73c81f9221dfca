//! Faults between real clients and a real server process on 127.0.0.1: the server
//! SIGKILLed in the middle of a push, a client (the `gongwen` CLI) SIGKILLed in the
//! middle of a pull, and the connection cut in the middle of an attachment upload.
//! After each: every document exists exactly once on every side that should have it,
//! with the same content hash and attachment bytes, and nobody else has anything.

#[path = "common/cli.rs"]
mod cli;
mod clients;
mod common;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cli::{gongwen, gongwen_bin, run};
use clients::{assert_holds, random_file, sha256_of, Proxy, Side};
use common::TestServer;
use gongwen_core::workflow::content_hash;
use gongwen_core::{DocStatus, DocumentId};
use gongwen_store::{OutboxState, Store};

/// Dispatches `n` new documents from `fgw` to `to`, queued only; returns id → hash.
fn queue_many(fgw: &Side, n: usize, to: &str) -> BTreeMap<DocumentId, String> {
    let mut store = fgw.store();
    let docs: Vec<_> = (0..n)
        .map(|i| {
            let mut d = clients::notice(&format!("关于第{}号统计事项的通知", i + 1));
            d.doc_number = format!("宿发改〔2026〕{}号", i + 1);
            (d, DocStatus::SignedOff)
        })
        .collect();
    let ids = store.import(&docs).expect("import");
    let mut expected = BTreeMap::new();
    for (id, (doc, _)) in ids.iter().zip(&docs) {
        store
            .queue_dispatch(*id, vec![to.into()], vec![])
            .expect("queue");
        expected.insert(*id, content_hash(doc));
    }
    expected
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_in_the_middle_of_a_push() {
    let server = Arc::new(Mutex::new(TestServer::start()));
    let (url, port) = {
        let s = server.lock().unwrap();
        (s.url.clone(), s.port)
    };
    let proxy = Proxy::start(port);
    let fgw = Side::login(&proxy.url, "fgw-clerk").await;
    let tjj = Side::login(&url, "tjj-clerk").await;
    let gov = Side::login(&url, "szgov-clerk").await;
    let expected = queue_many(&fgw, 200, "sz-tjj");

    // Kill the server once about half of the commands' bytes have gone up: some
    // batches are committed, one is in flight, the rest not sent.
    let payload: u64 = fgw
        .store()
        .pending_commands(1000)
        .unwrap()
        .iter()
        .map(|e| serde_json::to_vec(&e.command).unwrap().len() as u64)
        .sum();
    let start = proxy.control.upstream.load(Ordering::SeqCst);
    let killer = {
        let (server, control) = (server.clone(), proxy.control.clone());
        std::thread::spawn(move || {
            for _ in 0..60_000 {
                if control.upstream.load(Ordering::SeqCst) - start >= payload / 2 {
                    server.lock().unwrap().kill();
                    return true;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            false
        })
    };
    let first = fgw.try_sync().await;
    assert!(killer.join().unwrap(), "the push never got halfway");
    let err = first.expect_err("the server died during the push");
    assert!(
        err.is_offline() || err.to_string().contains("failed"),
        "{err}"
    );
    let pending_after_kill = fgw.store().pending_commands(1000).unwrap().len();
    assert!(
        pending_after_kill > 0,
        "the kill came after everything was recorded"
    );

    server.lock().unwrap().restart();
    let r = fgw.sync().await;
    assert_eq!(r.rejected, 0, "a re-sent command gets its original outcome");
    assert_eq!(r.accepted, pending_after_kill);
    let outbox: Vec<_> = (fgw.store().outbox().unwrap()).into_iter().collect();
    assert!(outbox.is_empty(), "nothing pending or rejected: {outbox:?}");

    tjj.sync().await;
    gov.sync().await;
    assert_holds(&fgw, &expected, DocStatus::Dispatched);
    assert_holds(&tjj, &expected, DocStatus::Incoming);
    assert_holds(&gov, &BTreeMap::new(), DocStatus::Incoming);
    assert_eq!(tjj.store().inbox().unwrap().len(), expected.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_killed_in_the_middle_of_a_pull() {
    let bin = gongwen_bin();
    let server = TestServer::start();
    let proxy = Proxy::start(server.port);
    let fgw = Side::login(&server.url, "fgw-clerk").await;
    // 600 documents: two pages of the change log for the receiver (500 + 100).
    let expected = queue_many(&fgw, 600, "sz-tjj");
    assert_eq!(fgw.sync().await.accepted, 600);

    let tjj_dir = tempfile::tempdir().unwrap();
    let out = run(&mut gongwen(
        &bin,
        tjj_dir.path(),
        &["login", "--server", &proxy.url, "--user", "tjj-clerk"],
    ));
    assert!(String::from_utf8_lossy(&out.stdout).contains("unit sz-tjj"));
    let watcher = Store::open(tjj_dir.path()).unwrap();
    let account = watcher.account().unwrap().expect("login saved the account");

    // Slow the server → client direction so the pull takes a few seconds, then
    // SIGKILL the CLI once its first page is applied.
    proxy
        .control
        .throttle_down_us
        .store(40_000, Ordering::SeqCst);
    let mut child = gongwen(&bin, tjj_dir.path(), &["sync"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start gongwen sync");
    let mut killed_mid_pull = false;
    for _ in 0..6_000 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("gongwen sync finished ({status}) before it could be killed mid-pull");
        }
        let cursor = watcher.cursor(&account).unwrap();
        if cursor > 0 {
            assert!(cursor < 1200, "cursor {cursor}: pull already complete");
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            killed_mid_pull = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(killed_mid_pull, "the first page never arrived");
    let cursor_at_kill = watcher.cursor(&account).unwrap();
    let docs_at_kill = watcher.list(&Default::default()).unwrap().total;
    assert!(
        (1..600).contains(&docs_at_kill),
        "{docs_at_kill} documents when killed"
    );
    assert_eq!(
        docs_at_kill, cursor_at_kill,
        "each applied page moved the cursor with it"
    );
    drop(watcher);

    proxy.control.throttle_down_us.store(0, Ordering::SeqCst);
    let out = run(&mut gongwen(&bin, tjj_dir.path(), &["sync"]));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains(&format!("pulled {} change(s)", 600 - cursor_at_kill)),
        "resumed from the cursor: {report}"
    );

    let tjj = Side::login(&server.url, "tjj-clerk").await;
    // Look at the CLI's store through a Side on the same folder.
    let tjj = Side {
        store: Mutex::new(Store::open(tjj_dir.path()).unwrap()),
        ..tjj
    };
    assert_holds(&tjj, &expected, DocStatus::Incoming);
    assert!(tjj.store().verify().unwrap().is_empty());
    let out = run(&mut gongwen(&bin, tjj_dir.path(), &["inbox", "--json"]));
    let inbox: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inbox.as_array().map(Vec::len), Some(600));

    // 签收 through the CLI reaches the sender.
    let first = *expected.keys().next().unwrap();
    run(&mut gongwen(
        &bin,
        tjj_dir.path(),
        &["ack", &first.to_string()],
    ));
    fgw.sync().await;
    assert_eq!(
        fgw.store().deliveries(first).unwrap()[0].status,
        gongwen_core::wire::DeliveryStatus::Acknowledged
    );
    let status = run(&mut gongwen(&bin, tjj_dir.path(), &["sync", "status"]));
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("pending:    0"), "{status}");
    // 600 received, the 回执 of the 签收 and the 收文 handling it starts.
    assert!(status.contains("cursor:     602"), "{status}");

    // The repair path: a full re-pull stores nothing twice and loses nothing.
    let doctor = run(&mut gongwen(&bin, tjj_dir.path(), &["sync", "doctor"]));
    assert!(
        String::from_utf8_lossy(&doctor.stdout).contains("no problems found"),
        "{}",
        String::from_utf8_lossy(&doctor.stdout)
    );
    let out = run(&mut gongwen(&bin, tjj_dir.path(), &["sync", "--repull"]));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("pulled 602 change(s), 0 new"), "{report}");
    assert_holds(&tjj, &expected, DocStatus::Incoming);
    assert_eq!(
        tjj.store().incoming(first).unwrap().unwrap().status,
        gongwen_core::wire::DeliveryStatus::Acknowledged
    );

    let gov = Side::login(&server.url, "szgov-clerk").await;
    gov.sync().await;
    assert_holds(&gov, &BTreeMap::new(), DocStatus::Incoming);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_cut_in_the_middle_of_an_upload_resumes() {
    let server = TestServer::start();
    let proxy = Proxy::start(server.port);
    let fgw = Side::login(&proxy.url, "fgw-clerk").await;
    let tjj = Side::login(&server.url, "tjj-clerk").await;
    let yq = Side::login(&server.url, "yq-clerk").await;

    let id = fgw.draft("关于印发统计年鉴的通知");
    let len = 20 * 1024 * 1024 + 123;
    let file = random_file(fgw.dir.path(), "统计年鉴.pdf", len, 42);
    let sha = sha256_of(&file);
    fgw.store()
        .add_attachment_file(id, "2026年统计年鉴", &file)
        .unwrap();
    let cmd = fgw
        .store()
        .queue_dispatch(id, vec!["sz-tjj".into()], vec![])
        .unwrap();

    // Everything goes through until 5 MB of the file have gone up; then the
    // connection drops.
    let cut = 5 * 1024 * 1024;
    proxy.cut_after(cut);
    let err = fgw.try_sync().await.expect_err("connection cut");
    assert!(
        proxy.control.cut.load(Ordering::SeqCst),
        "the proxy never cut"
    );
    assert!(err.is_offline(), "{err}");
    assert_eq!(
        fgw.store().outbox_entry(cmd).unwrap().unwrap().state,
        OutboxState::Pending
    );
    let held = fgw
        .client
        .blob_offset(&fgw.token, &sha)
        .await
        .unwrap()
        .expect("not complete");
    assert!(held > 0 && held <= cut, "server holds {held} bytes");

    // The next sync resumes from where the server is, not from zero.
    let before = proxy.control.upstream.load(Ordering::SeqCst);
    let r = fgw.sync().await;
    let sent = proxy.control.upstream.load(Ordering::SeqCst) - before;
    assert_eq!((r.uploaded, r.accepted), (1, 1));
    assert!(
        sent < len as u64,
        "{sent} bytes went up for a {len}-byte file of which {held} were there"
    );
    // The server cannot hold more than went through before the cut (it may have
    // stored a little more than `held` since: bytes that were in flight).
    assert!(
        sent >= len as u64 - cut,
        "only {sent} bytes sent; at least {} were missing",
        len as u64 - cut
    );
    assert_eq!(
        fgw.client.blob_offset(&fgw.token, &sha).await.unwrap(),
        None
    );

    let r = tjj.sync().await;
    assert_eq!(r.downloaded, 1);
    yq.sync().await;
    let doc = fgw.store().get(id).unwrap().unwrap().document;
    let expected = BTreeMap::from([(id, content_hash(&doc))]);
    assert_holds(&fgw, &expected, DocStatus::Dispatched);
    assert_holds(&tjj, &expected, DocStatus::Incoming);
    assert_holds(&yq, &BTreeMap::new(), DocStatus::Incoming);
    let received = tjj.store().attachment_path(&sha).unwrap();
    assert_eq!(std::fs::metadata(received).unwrap().len(), len as u64);
}
