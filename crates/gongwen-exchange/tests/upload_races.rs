//! Races around uploads, against a real server process on 127.0.0.1 with a real SQLite
//! file and blob folder: first pieces of one user's uploads at once and the quota.

#[path = "common/api.rs"]
mod api;
mod common;

use api::{http, login_as};
use common::TestServer;
use reqwest::StatusCode;

/// Many new uploads of one user announced at once: the quota check and the
/// reservation are one step, so no more pass than the quota holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn first_pieces_at_once_cannot_pass_the_partial_quota_together() {
    let server =
        TestServer::start_with_env(&[("GONGWEN_EXCHANGE_MAX_PARTIAL_BYTES_PER_USER", "1000")]);
    let token = login_as(&server, "fgw-clerk").await;
    let client = http();
    // 24 different files of 600 bytes each: any two together pass the quota.
    let answers = futures_util::future::join_all((0..24u8).map(|i| {
        let (client, token, url) = (&client, &token, &server.url);
        async move {
            let sha = format!("{:02x}", i + 0x10).repeat(32);
            client
                .patch(format!("{url}/v1/blobs/{sha}"))
                .bearer_auth(token)
                .header("upload-offset", 0)
                .header("upload-length", 600)
                .body(Vec::new())
                .send()
                .await
                .expect("PATCH")
                .status()
        }
    }))
    .await;
    let started = answers
        .iter()
        .filter(|s| **s == StatusCode::NO_CONTENT)
        .count();
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::PAYLOAD_TOO_LARGE)
        .count();
    assert_eq!(
        (started, refused),
        (1, 23),
        "one upload of 600 bytes fits a quota of 1000: {answers:?}"
    );
}
