//! Races around uploads, against a real server process on 127.0.0.1 with a real SQLite
//! file and blob folder: first pieces of one user's uploads at once and the quota; two
//! users who uploaded the same file and each dispatch it; a sweep between an upload and
//! its dispatch.

#[path = "common/api.rs"]
mod api;
mod common;

use api::{http, login_as};
use common::TestServer;
use gongwen_core::wire::{
    Command, CommandBody, CommandId, CommandResult, PushResponse, RejectCode, UnitCode,
};
use gongwen_core::{Attachment, Document, DocumentId};
use reqwest::StatusCode;

async fn upload(server: &TestServer, token: &str, data: &[u8]) -> (StatusCode, String) {
    let sha = gongwen_core::digest::sha256_hex(data);
    let status = http()
        .patch(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(token)
        .header("upload-offset", 0)
        .header("upload-length", data.len())
        .body(data.to_vec())
        .send()
        .await
        .expect("PATCH")
        .status();
    (status, sha)
}

/// A dispatch listing the file `sha` to `to`: None when accepted, else the refusal.
async fn dispatch_listing(
    server: &TestServer,
    token: &str,
    sha: &str,
    to: &str,
) -> Option<RejectCode> {
    let command = Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body: CommandBody::Dispatch {
            document_id: DocumentId(uuid::Uuid::new_v4()),
            document: Box::new(Document {
                title: "关于报送材料的通知".into(),
                issuer_mark: vec!["宿州市人民政府文件".into()],
                doc_number: "宿政〔2026〕3号".into(),
                main_recipients: vec!["各县、区人民政府".into()],
                body: gongwen_core::Body::from_text("请按要求报送材料。"),
                issuer_signature: vec!["宿州市人民政府".into()],
                date_of_issue: "2026年11月25日".into(),
                attachments: vec![Attachment {
                    name: "材料".into(),
                    sha256: Some(sha.to_string()),
                    file_name: Some("材料.pdf".into()),
                    size: None,
                }],
                ..Document::default()
            }),
            main: vec![UnitCode::from(to)],
            cc: vec![],
        },
    };
    let r = http()
        .post(format!("{}/v1/commands", server.url))
        .bearer_auth(token)
        .json(&serde_json::json!({ "commands": [command] }))
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), StatusCode::OK);
    let outcome = r.json::<PushResponse>().await.expect("outcomes").outcomes;
    match &outcome[0].result {
        CommandResult::Accepted => None,
        CommandResult::Rejected { rejection } => Some(rejection.code),
    }
}

/// Two users of different units uploaded the same file; the first one's dispatch
/// listing it must not end the second one's grant, or their own dispatch of it is
/// refused as if they never uploaded it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatch_ends_only_the_dispatching_users_upload_grant() {
    let server = TestServer::start();
    let fgw = login_as(&server, "fgw-clerk").await;
    let szgov = login_as(&server, "szgov-clerk").await;
    let data = b"the same statistics table, uploaded by two units";
    let (status, sha) = upload(&server, &fgw, data).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = upload(&server, &szgov, data).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "their own upload of the same bytes"
    );

    assert_eq!(dispatch_listing(&server, &fgw, &sha, "sz-tjj").await, None);
    assert_eq!(
        dispatch_listing(&server, &szgov, &sha, "yq-gov").await,
        None,
        "the other uploader still lists the file they uploaded"
    );
    // Their grant ended with their own dispatch: the documents decide from here on.
    let (status, _) = upload(&server, &szgov, data).await;
    assert_eq!(status, StatusCode::OK, "sz-gov sent a document listing it");
}

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

/// Dates a complete file back 30 days, as if first written then.
fn written_long_ago(path: &std::path::Path) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(30 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(then))
        .expect("date the file back");
}

fn sweep(server: &TestServer) {
    let out = server.admin(&["blobs", "sweep"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A complete file keeps the time it was first written when the same bytes are
/// uploaded again (here: written a month ago, uploaded again today): a sweep between
/// that upload and its dispatch removed it, and the dispatch was then refused. A live
/// upload grant now keeps it; once the grant itself is stale, the unlisted file is
/// swept as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_keeps_a_file_whose_upload_grant_is_live() {
    let server = TestServer::start();
    let token = login_as(&server, "fgw-clerk").await;
    let blob_path = |sha: &str| server.data_dir().join("blobs").join(&sha[..2]).join(sha);

    let data = b"a table uploaded once last month, and again today";
    let (status, sha) = upload(&server, &token, data).await;
    assert_eq!(status, StatusCode::CREATED);
    written_long_ago(&blob_path(&sha));
    sweep(&server);
    assert!(
        blob_path(&sha).exists(),
        "swept between the upload and its dispatch"
    );
    assert_eq!(
        dispatch_listing(&server, &token, &sha, "sz-tjj").await,
        None
    );

    // Unlisted, and the grant as old as the file: swept.
    let other = b"a table nobody ever sent";
    let (status, other_sha) = upload(&server, &token, other).await;
    assert_eq!(status, StatusCode::CREATED);
    written_long_ago(&blob_path(&other_sha));
    let conn = rusqlite::Connection::open(server.db_path()).expect("open the database");
    conn.execute(
        "UPDATE blob_uploads SET at = '2026-01-01T00:00:00.000Z' WHERE sha256 = ?1",
        [&other_sha],
    )
    .expect("date the grant back");
    drop(conn);
    sweep(&server);
    assert!(
        !blob_path(&other_sha).exists(),
        "a stale unlisted file is still swept"
    );
    assert!(blob_path(&sha).exists(), "a listed file never is");
}
