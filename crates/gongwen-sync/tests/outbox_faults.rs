//! The outbox push and the transport against a real `gongwen-exchange` process on
//! 127.0.0.1: a permanent refusal of one command or file never blocks the commands
//! after it, a batch refused as too large is split, a stored command goes out byte for
//! byte, and a connection that goes silent ends the round instead of hanging it.
//!
//! Needs the server binary: `cargo build -p gongwen-exchange` first (or set
//! `GONGWEN_EXCHANGE_BIN`).

#[path = "../../gongwen-exchange/tests/clients/mod.rs"]
mod clients;
#[path = "../../gongwen-exchange/tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clients::{random_file, sha256_of, Side};
use common::{TestServer, DEMO_PASSWORD};
use gongwen_core::wire::{CommandBody, CommandId, DeliveryStatus, RejectCode};
use gongwen_core::DocStatus;
use gongwen_store::{OutboxState, Store};
use gongwen_sync::{Client, LoopConfig, SyncLoop};

fn state(side: &Side, id: CommandId) -> OutboxState {
    side.store().outbox_entry(id).unwrap().unwrap().state
}

/// `side` dispatches a new signed-off 通知 to sz-tjj; returns its command.
fn queue_notice(side: &Side, title: &str) -> CommandId {
    let id = side.draft(title);
    side.store()
        .queue_dispatch(id, vec!["sz-tjj".into()], vec![])
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_the_size_limit_refuses_its_dispatch_and_nothing_else() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_MAX_BLOB_BYTES", "1048576")]);
    let fgw = Side::login(&server.url, "fgw-clerk").await;
    let tjj = Side::login(&server.url, "tjj-clerk").await;

    // 统计局 sends 发改委 a document, for a 签收 queued behind the refused dispatch.
    let incoming = tjj.draft("关于报送统计数据的函");
    tjj.store()
        .queue_dispatch(incoming, vec!["sz-fgw".into()], vec![])
        .unwrap();
    tjj.sync().await;
    fgw.sync().await;

    // The file is attached while it is a draft: a 已签发 document is read-only.
    let file = random_file(fgw.dir.path(), "统计年鉴.pdf", 2 * 1024 * 1024, 7);
    let big = fgw
        .signed_off_with_file("关于印发统计年鉴的通知", "2026年统计年鉴", &file)
        .id;
    let refused = fgw
        .store()
        .queue_dispatch(big, vec!["sz-tjj".into()], vec![])
        .unwrap();
    let ack = fgw
        .store()
        .queue_command(&CommandBody::Acknowledge {
            document_id: incoming,
        })
        .unwrap();
    let after = queue_notice(&fgw, "关于召开统计工作会议的通知");

    let report = fgw
        .try_sync()
        .await
        .expect("a refused file does not fail the round");
    assert_eq!((report.accepted, report.rejected), (2, 1), "{report:?}");
    assert_eq!(state(&fgw, ack), OutboxState::Accepted);
    assert_eq!(state(&fgw, after), OutboxState::Accepted);
    let entry = fgw.store().outbox_entry(refused).unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Rejected);
    let rejection = entry.rejection.expect("the server's reason is kept");
    assert_eq!(rejection.code, RejectCode::Invalid);
    assert!(
        rejection.message.contains("附件过大") && rejection.message.contains("2026年统计年鉴"),
        "{}",
        rejection.message
    );
    assert!(
        rejection.message_en.contains("larger than the limit"),
        "{}",
        rejection.message_en
    );
    // The draft stays the user's, unchanged, for another try.
    assert_eq!(
        fgw.store().get(big).unwrap().unwrap().status,
        DocStatus::SignedOff
    );

    // The refusal is final: the next round does not send it again.
    let report = fgw.sync().await;
    assert_eq!((report.pushed, report.rejected), (0, 0), "{report:?}");
    tjj.sync().await;
    assert_eq!(
        tjj.store().deliveries(incoming).unwrap()[0].status,
        DeliveryStatus::Acknowledged
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_the_command_limit_is_split() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_MAX_COMMANDS_PER_REQUEST", "2")]);
    let fgw = Side::login(&server.url, "fgw-clerk").await;
    let tjj = Side::login(&server.url, "tjj-clerk").await;
    let ids: Vec<_> = (1..=5)
        .map(|i| queue_notice(&fgw, &format!("关于第{i}季度统计工作的通知")))
        .collect();

    let report = fgw
        .try_sync()
        .await
        .expect("the batch is split, not refused");
    assert_eq!((report.accepted, report.rejected), (5, 0), "{report:?}");
    for id in ids {
        assert_eq!(state(&fgw, id), OutboxState::Accepted);
    }
    assert_eq!(tjj.sync().await.new_documents, 5);
}

// The server reads an over-limit body to its end (up to a bound) before its 413, so
// the answer reaches a client that is still sending instead of a broken pipe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_over_the_body_limit_is_refused_alone() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_MAX_BODY_BYTES", "65536")]);
    let fgw = Side::login(&server.url, "fgw-clerk").await;
    let tjj = Side::login(&server.url, "tjj-clerk").await;

    let before = queue_notice(&fgw, "关于开展统计执法检查的通知");
    let mut long = clients::notice("关于印发统计工作规范的通知");
    long.body = gongwen_core::Body::from_text(&"各单位应当按照统计法的规定报送数据。".repeat(4000));
    let long = fgw
        .store()
        .create_document(&long, DocStatus::SignedOff)
        .unwrap()
        .id;
    let refused = fgw
        .store()
        .queue_dispatch(long, vec!["sz-tjj".into()], vec![])
        .unwrap();
    let after = queue_notice(&fgw, "关于召开统计工作会议的通知");

    let report = fgw
        .try_sync()
        .await
        .expect("one command too large does not fail the round");
    assert_eq!((report.accepted, report.rejected), (2, 1), "{report:?}");
    assert_eq!(state(&fgw, before), OutboxState::Accepted);
    assert_eq!(state(&fgw, after), OutboxState::Accepted);
    let entry = fgw.store().outbox_entry(refused).unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Rejected);
    let rejection = entry.rejection.expect("the server's reason is kept");
    assert!(
        rejection.message_en.contains("413"),
        "{}",
        rejection.message_en
    );
    assert!(!rejection.message.is_empty());
    assert_eq!(tjj.sync().await.new_documents, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_command_is_sent_byte_for_byte() {
    let server = TestServer::start();
    let proxy = SilenceProxy::start(server.port);
    let fgw = Side::login(&proxy.url, "fgw-clerk").await;
    let id = queue_notice(&fgw, "关于报送年度统计报表的通知");

    // The row as another build might have written it: the same command, its keys in
    // another order and spaced differently.
    let db = rusqlite::Connection::open(fgw.dir.path().join(gongwen_store::DB_FILE)).unwrap();
    let stored: String = db
        .query_row(
            "SELECT payload FROM outbox WHERE command_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&stored).unwrap();
    let other = serde_json::to_string_pretty(&value).unwrap();
    assert_ne!(other, stored, "the rewritten row differs from this build's");
    db.execute(
        "UPDATE outbox SET payload = ?2 WHERE command_id = ?1",
        [id.to_string(), other.clone()],
    )
    .unwrap();

    proxy.record.store(true, Ordering::SeqCst);
    let report = fgw.sync().await;
    assert_eq!(report.accepted, 1, "{report:?}");
    let sent = proxy.recorded.lock().unwrap().clone();
    assert!(
        sent.windows(other.len()).any(|w| w == other.as_bytes()),
        "the stored bytes were not sent as stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_ends_the_round_and_the_loop_retries() {
    let server = TestServer::start();
    let fgw = Side::login(&server.url, "fgw-clerk").await;
    let file = random_file(fgw.dir.path(), "统计年鉴.pdf", 4 * 1024 * 1024, 11);
    let sha = sha256_of(&file);
    let id = fgw
        .signed_off_with_file("关于印发统计年鉴的通知", "2026年统计年鉴", &file)
        .id;
    fgw.store()
        .queue_dispatch(id, vec!["sz-tjj".into()], vec![])
        .unwrap();
    assert_eq!(fgw.sync().await.accepted, 1);

    // 统计局 downloads through a proxy that lets the first attachment download start
    // and then forwards nothing more, holding the connection open.
    let proxy = SilenceProxy::start(server.port);
    let dir = tempfile::tempdir().unwrap();
    let mut opened = Store::open(dir.path()).unwrap();
    let client = Client::new(&proxy.url, &opened.client_id().unwrap())
        .unwrap()
        .with_idle_timeout(Duration::from_secs(2));
    let store = Arc::new(Mutex::new(opened));
    let token = gongwen_sync::login(&client, &store, "tjj-clerk", DEMO_PASSWORD)
        .await
        .unwrap()
        .token;
    proxy.silence_download.store(true, Ordering::SeqCst);
    let sync = SyncLoop::start(
        client,
        token,
        store.clone(),
        LoopConfig {
            interval: Duration::from_millis(200),
            max_backoff: Duration::from_secs(1),
        },
    );
    let mut status = sync.subscribe();

    // Generous bounds, only so that a hang fails the test instead of stalling it.
    let silent = tokio::time::timeout(
        Duration::from_secs(120),
        status.wait_for(|s| {
            s.last_error
                .as_deref()
                .is_some_and(|e| e.contains("went silent"))
        }),
    )
    .await
    .expect("the round hung on the silent connection")
    .unwrap()
    .clone();
    assert!(
        proxy.silenced.load(Ordering::SeqCst),
        "the proxy never went silent"
    );
    assert!(!silent.syncing);
    assert!(
        silent
            .last_error_zh
            .as_deref()
            .is_some_and(|e| e.contains("离线")),
        "{silent:?}"
    );

    let done = tokio::time::timeout(
        Duration::from_secs(120),
        status.wait_for(|s| s.last_report.as_ref().is_some_and(|r| r.downloaded == 1)),
    )
    .await
    .expect("the loop did not try again")
    .unwrap()
    .clone();
    assert!(done.last_error.is_none(), "{done:?}");
    let path = store.lock().unwrap().attachment_path(&sha).unwrap();
    assert_eq!(sha256_of(&path), sha);
}

/// A TCP proxy on 127.0.0.1 in front of a server port that can record what goes to
/// the server, and can let one attachment download's answer start and then go silent
/// with the connection held open (a half-open connection, as the client sees it).
struct SilenceProxy {
    url: String,
    /// Keep the bytes sent to the server in `recorded`.
    record: Arc<AtomicBool>,
    recorded: Arc<Mutex<Vec<u8>>>,
    /// Silence the next `GET /v1/blobs/…` (once).
    silence_download: Arc<AtomicBool>,
    /// Set once a connection went silent.
    silenced: Arc<AtomicBool>,
    closed: Arc<AtomicBool>,
}

impl SilenceProxy {
    fn start(target_port: u16) -> SilenceProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = SilenceProxy {
            url: format!("http://127.0.0.1:{port}"),
            record: Arc::default(),
            recorded: Arc::default(),
            silence_download: Arc::default(),
            silenced: Arc::default(),
            closed: Arc::default(),
        };
        let shared = proxy.shared();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if shared.closed.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = conn else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let shared = shared.clone();
                std::thread::spawn(move || shared.pump_pair(client, server));
            }
        });
        proxy
    }

    fn shared(&self) -> Shared {
        Shared {
            record: self.record.clone(),
            recorded: self.recorded.clone(),
            silence_download: self.silence_download.clone(),
            silenced: self.silenced.clone(),
            closed: self.closed.clone(),
            silent_here: Arc::default(),
        }
    }
}

impl Drop for SilenceProxy {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

#[derive(Clone)]
struct Shared {
    record: Arc<AtomicBool>,
    recorded: Arc<Mutex<Vec<u8>>>,
    silence_download: Arc<AtomicBool>,
    silenced: Arc<AtomicBool>,
    closed: Arc<AtomicBool>,
    /// This connection forwards one more piece of the answer, then nothing.
    silent_here: Arc<AtomicBool>,
}

impl Shared {
    fn pump_pair(self, client: TcpStream, server: TcpStream) {
        let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
            return;
        };
        let conn = Shared {
            silent_here: Arc::default(),
            ..self
        };
        let up = {
            let conn = conn.clone();
            std::thread::spawn(move || conn.pump(client, server, true))
        };
        conn.pump(server2, client2, false);
        let _ = up.join();
    }

    fn pump(&self, mut from: TcpStream, mut to: TcpStream, upstream: bool) {
        let mut buf = vec![0u8; 16 * 1024];
        let _ = from.set_read_timeout(Some(Duration::from_millis(200)));
        loop {
            if self.closed.load(Ordering::SeqCst) {
                break;
            }
            let n = match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue
                }
                Err(_) => break,
            };
            if upstream {
                if self.record.load(Ordering::SeqCst) {
                    self.recorded.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                if buf[..n].starts_with(b"GET /v1/blobs/")
                    && self.silence_download.swap(false, Ordering::SeqCst)
                {
                    self.silent_here.store(true, Ordering::SeqCst);
                }
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
            if !upstream && self.silent_here.load(Ordering::SeqCst) {
                // The answer has begun; from now on nothing, but the connection stays.
                self.silenced.store(true, Ordering::SeqCst);
                while !self.closed.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(100));
                }
                break;
            }
        }
        let _ = from.shutdown(Shutdown::Both);
        let _ = to.shutdown(Shutdown::Both);
    }
}
