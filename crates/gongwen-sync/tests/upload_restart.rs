//! The attachment upload starts again from 0 when what the server holds of it cannot
//! be resumed, against a real `gongwen-exchange` process on 127.0.0.1.
//!
//! Needs the server binary: `cargo build -p gongwen-exchange` first (or set
//! `GONGWEN_EXCHANGE_BIN`); see the shared harness below.

#[path = "../../gongwen-exchange/tests/common/mod.rs"]
mod exchange_server;

use exchange_server::{TestServer, DEMO_PASSWORD};
use gongwen_sync::Client;

fn file_bytes(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(13) ^ seed)
        .collect()
}

/// A raw PATCH, as an earlier (damaged or older) try of the same user left it.
async fn raw_patch(server: &TestServer, token: &str, sha: &str, total: u64, bytes: Vec<u8>) {
    let r = reqwest::Client::new()
        .patch(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(token)
        .header("upload-offset", 0)
        .header("upload-length", total)
        .body(bytes)
        .send()
        .await
        .expect("PATCH");
    assert_eq!(
        r.status(),
        reqwest::StatusCode::NO_CONTENT,
        "the earlier try"
    );
}

async fn download_sha(client: &Client, token: &str, sha: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let temp = client.download_blob(token, sha, dir.path()).await.unwrap();
    gongwen_core::digest::sha256_hex(&std::fs::read(temp.path()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_starts_again_when_the_servers_partial_cannot_be_resumed() {
    let server = TestServer::start();
    let client = Client::new(&server.url, "test-upload-restart").unwrap();
    let token = client
        .login("fgw-clerk", DEMO_PASSWORD)
        .await
        .unwrap()
        .token;
    let dir = tempfile::tempdir().unwrap();

    // The server holds more bytes than the file has (an earlier try announced a
    // larger length): start again from 0.
    let data = file_bytes(1, 70_000);
    let sha = gongwen_core::digest::sha256_hex(&data);
    let path = dir.path().join("a.bin");
    std::fs::write(&path, &data).unwrap();
    raw_patch(&server, &token, &sha, 90_000, vec![7u8; 80_000]).await;
    let report = client.upload_blob(&token, &sha, &path).await.unwrap();
    assert!(!report.already_there);
    assert_eq!(report.sent, data.len() as u64);
    assert_eq!(download_sha(&client, &token, &sha).await, sha);

    // The server holds a prefix of the right length whose bytes are wrong: resuming
    // fails the final hash check, and the client sends the whole file again.
    let data = file_bytes(2, 70_000);
    let sha = gongwen_core::digest::sha256_hex(&data);
    let path = dir.path().join("b.bin");
    std::fs::write(&path, &data).unwrap();
    raw_patch(&server, &token, &sha, 70_000, vec![9u8; 60_000]).await;
    let report = client.upload_blob(&token, &sha, &path).await.unwrap();
    assert_eq!(report.resumed_from, 60_000);
    assert_eq!(report.sent, 10_000 + data.len() as u64);
    assert_eq!(download_sha(&client, &token, &sha).await, sha);
}
