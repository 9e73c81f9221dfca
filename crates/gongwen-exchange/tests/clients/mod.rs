//! Client sides for the client–server tests (`sync.rs`, `faults.rs`): a real store
//! folder per clerk, the real sync client, a small TCP proxy that counts, slows or cuts
//! traffic, and checks of what each side holds.
#![allow(dead_code)] // each test file uses a different part

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gongwen_core::workflow::content_hash;
use gongwen_core::{Body, DocKind, DocStatus, Document, DocumentId};
use gongwen_store::Store;
use gongwen_sync::{Client, SyncError, SyncReport};
use sha2::{Digest, Sha256};

use crate::common::DEMO_PASSWORD;

/// One clerk's computer: a store folder and a logged-in client.
pub struct Side {
    pub username: String,
    pub dir: tempfile::TempDir,
    pub store: Mutex<Store>,
    pub client: Client,
    pub token: String,
}

impl Side {
    /// A new store folder, logged in to `url` as a demo user.
    pub async fn login(url: &str, username: &str) -> Side {
        let dir = tempfile::tempdir().expect("store folder");
        let mut store = Store::open(dir.path()).expect("open store");
        let client = Client::new(url, &store.client_id().expect("client id")).expect("client");
        let store = Mutex::new(store);
        let resp = gongwen_sync::login(&client, &store, username, DEMO_PASSWORD)
            .await
            .unwrap_or_else(|e| panic!("login of {username}: {e}"));
        Side {
            username: username.to_string(),
            dir,
            store,
            client,
            token: resp.token,
        }
    }

    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().expect("store lock")
    }

    pub async fn try_sync(&self) -> Result<SyncReport, SyncError> {
        gongwen_sync::sync_once(&self.client, &self.token, &self.store).await
    }

    pub async fn sync(&self) -> SyncReport {
        self.try_sync()
            .await
            .unwrap_or_else(|e| panic!("sync of {}: {e}", self.username))
    }

    /// A signed-off 通知 stored locally; returns its id.
    pub fn draft(&self, title: &str) -> DocumentId {
        self.store()
            .create_document(&notice(title), DocStatus::SignedOff)
            .expect("create document")
            .id
    }

    /// A signed-off 通知 with a file: attached while it is a draft (a 已签发 document is
    /// read-only), then marked 已签发, as an import leaves it. Returns it as stored.
    pub fn signed_off_with_file(
        &self,
        title: &str,
        name: &str,
        file: &Path,
    ) -> gongwen_store::StoredDocument {
        let mut store = self.store();
        let id = store
            .create_document(&notice(title), DocStatus::Draft)
            .expect("create document")
            .id;
        store
            .add_attachment_file(id, name, file)
            .expect("attachment");
        store
            .set_status(id, DocStatus::SignedOff)
            .expect("mark signed off")
    }

    /// Every document here: id → (status, content hash).
    pub fn documents(&self) -> BTreeMap<DocumentId, (DocStatus, String)> {
        let store = self.store();
        let mut out = BTreeMap::new();
        let mut offset = 0;
        loop {
            let page = store
                .list(&gongwen_store::ListFilter {
                    limit: 1000,
                    offset,
                    ..Default::default()
                })
                .expect("list");
            if page.items.is_empty() {
                break;
            }
            for s in &page.items {
                let d = store.get(s.id).expect("get").expect("listed document");
                let previous = out.insert(s.id, (d.status, content_hash(&d.document)));
                assert!(previous.is_none(), "document {} listed twice", s.id);
            }
            offset += page.items.len() as u32;
            assert!(u64::from(offset) <= page.total);
        }
        out
    }
}

/// A 通知 of 宿州市发展和改革委员会.
pub fn notice(title: &str) -> Document {
    let mut d = Document::new(DocKind::Notice);
    d.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
    d.doc_number = "宿发改〔2026〕7号".into();
    d.title = title.into();
    d.main_recipients = vec!["市统计局".into()];
    d.cc_recipients = vec!["埇桥区人民政府".into()];
    d.body = Body::from_text(
        "为做好全市统计工作，现将有关事项通知如下。\n一、总体要求\n请各单位按时报送数据。",
    );
    d.issuer_signature = vec!["宿州市发展和改革委员会".into()];
    d.date_of_issue = "2026年11月25日".into();
    d
}

/// A file of `len` pseudo-random bytes (seeded, so reruns are alike).
pub fn random_file(dir: &Path, name: &str, len: usize, seed: u64) -> PathBuf {
    let path = dir.join(name);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut file = std::fs::File::create(&path).expect("create file");
    let mut buf = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len());
        rng.fill(&mut buf[..n]);
        file.write_all(&buf[..n]).expect("write file");
        left -= n;
    }
    path
}

pub fn sha256_of(path: &Path) -> String {
    let mut file = std::fs::File::open(path).expect("open file");
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).expect("read file");
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks that `side` holds exactly `expected` (id → content hash, each once), with
/// `status`, the server's hash recorded for each, and every attachment file present
/// and matching its hash.
pub fn assert_holds(side: &Side, expected: &BTreeMap<DocumentId, String>, status: DocStatus) {
    let docs = side.documents();
    let have: BTreeSet<_> = docs.keys().copied().collect();
    let want: BTreeSet<_> = expected.keys().copied().collect();
    assert_eq!(
        have.len(),
        want.len(),
        "{}: {} documents, expected {} (missing {:?}, extra {:?})",
        side.username,
        have.len(),
        want.len(),
        want.difference(&have).take(3).collect::<Vec<_>>(),
        have.difference(&want).take(3).collect::<Vec<_>>()
    );
    assert_eq!(have, want, "{}: other documents", side.username);
    let store = side.store();
    for (id, hash) in expected {
        let (st, local) = &docs[id];
        assert_eq!(st, &status, "{}: status of {id}", side.username);
        assert_eq!(local, hash, "{}: content of {id}", side.username);
        assert_eq!(
            store.exchanged_hash(*id).expect("hash").as_deref(),
            Some(hash.as_str()),
            "{}: server hash of {id}",
            side.username
        );
        let doc = store.get(*id).expect("get").expect("document").document;
        for a in &doc.attachments {
            let sha = a.sha256.as_deref().expect("attachment with a file");
            let path = store
                .attachment_path(sha)
                .unwrap_or_else(|e| panic!("{}: attachment of {id}: {e}", side.username));
            assert_eq!(sha256_of(&path), sha, "{}: attachment bytes", side.username);
        }
    }
    assert!(
        store.pending_commands(10).expect("pending").is_empty(),
        "{}: commands left pending",
        side.username
    );
}

/// What a proxied connection does.
#[derive(Default)]
pub struct ProxyControl {
    /// Bytes forwarded client → server, over all connections.
    pub upstream: AtomicU64,
    /// Bytes forwarded server → client.
    pub downstream: AtomicU64,
    /// Cut every connection once `upstream` reaches this (then the limit is cleared,
    /// so the next connection goes through).
    pub cut_upstream_at: AtomicU64,
    /// Sleep this many microseconds per 16 KiB forwarded server → client.
    pub throttle_down_us: AtomicU64,
    /// Set when a cut happened.
    pub cut: AtomicBool,
    /// Stop accepting and forwarding.
    pub closed: AtomicBool,
}

/// A TCP proxy on 127.0.0.1 in front of a server port. Threads, not async: it must
/// keep forwarding whatever the test's runtime is doing.
pub struct Proxy {
    pub url: String,
    pub control: Arc<ProxyControl>,
}

impl Proxy {
    pub fn start(target_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let port = listener.local_addr().expect("proxy addr").port();
        let control = Arc::new(ProxyControl {
            cut_upstream_at: AtomicU64::new(u64::MAX),
            ..Default::default()
        });
        let c = control.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if c.closed.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = conn else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
                    // Server down: the client sees the connection close.
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let c = c.clone();
                std::thread::spawn(move || pump_pair(client, server, c));
            }
        });
        Proxy {
            url: format!("http://127.0.0.1:{port}"),
            control,
        }
    }

    /// Cut the connection(s) once this many more bytes went to the server.
    pub fn cut_after(&self, bytes: u64) {
        let now = self.control.upstream.load(Ordering::SeqCst);
        self.control.cut.store(false, Ordering::SeqCst);
        self.control
            .cut_upstream_at
            .store(now + bytes, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.control.closed.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees `closed`.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn pump_pair(client: TcpStream, server: TcpStream, c: Arc<ProxyControl>) {
    let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let up = {
        let c = c.clone();
        std::thread::spawn(move || pump(client, server, &c, true))
    };
    pump(server2, client2, &c, false);
    let _ = up.join();
}

fn pump(mut from: TcpStream, mut to: TcpStream, c: &ProxyControl, upstream: bool) {
    let mut buf = vec![0u8; 16 * 1024];
    let _ = from.set_read_timeout(Some(Duration::from_millis(200)));
    loop {
        if c.closed.load(Ordering::SeqCst) {
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
                if c.cut.load(Ordering::SeqCst) && upstream {
                    break;
                }
                continue;
            }
            Err(_) => break,
        };
        let mut n = n;
        if upstream {
            let before = c.upstream.load(Ordering::SeqCst);
            let limit = c.cut_upstream_at.load(Ordering::SeqCst);
            if before + n as u64 >= limit {
                // Forward up to the limit, then drop the connection both ways.
                n = usize::try_from(limit.saturating_sub(before)).unwrap_or(0);
                let _ = to.write_all(&buf[..n]);
                c.upstream.fetch_add(n as u64, Ordering::SeqCst);
                c.cut_upstream_at.store(u64::MAX, Ordering::SeqCst);
                c.cut.store(true, Ordering::SeqCst);
                break;
            }
            c.upstream.fetch_add(n as u64, Ordering::SeqCst);
        } else {
            c.downstream.fetch_add(n as u64, Ordering::SeqCst);
            let us = c.throttle_down_us.load(Ordering::SeqCst);
            if us > 0 {
                std::thread::sleep(Duration::from_micros(us));
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
