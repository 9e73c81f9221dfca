//! Who may reach an attachment file, against a real server process on both storage
//! engines: a hash is not a key, no existence oracle, the uploader grant is the
//! user's, uploads in progress are the uploader's, and classified reads are audited.

#[path = "common/api.rs"]
mod api;
mod common;

use api::{http, login_as};
use common::{TestServer, DEMO_PASSWORD};
use gongwen_core::wire::{
    ChangesPage, Command, CommandBody, CommandId, CommandOutcome, CommandResult, PushResponse,
    RejectCode, UnitCode,
};
use gongwen_core::{Attachment, Classification, Document, DocumentId};
use gongwen_exchange::storage::postgres::PostgresStorage;
use gongwen_exchange::storage::sqlite::SqliteStorage;
use gongwen_exchange::storage::Storage;
use reqwest::StatusCode;

async fn get(server: &TestServer, token: &str, sha: &str) -> reqwest::Response {
    http()
        .get(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET blob")
}

async fn head(server: &TestServer, token: &str, sha: &str) -> reqwest::Response {
    http()
        .head(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("HEAD blob")
}

async fn patch(
    server: &TestServer,
    token: &str,
    sha: &str,
    offset: u64,
    total: u64,
    bytes: &[u8],
) -> reqwest::Response {
    http()
        .patch(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(token)
        .header("upload-offset", offset)
        .header("upload-length", total)
        .body(bytes.to_vec())
        .send()
        .await
        .expect("PATCH blob")
}

fn offset_of(r: &reqwest::Response) -> u64 {
    r.headers()
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("upload-offset in {:?}", r.headers()))
}

/// Uploads `data` whole in one piece; the server must say it completed it.
async fn upload(server: &TestServer, token: &str, data: &[u8]) -> String {
    let sha = gongwen_core::digest::sha256_hex(data);
    let r = patch(server, token, &sha, 0, data.len() as u64, data).await;
    assert_eq!(r.status(), StatusCode::CREATED, "upload of {sha}");
    sha
}

async fn push_one(server: &TestServer, token: &str, command: &Command) -> CommandOutcome {
    let r = http()
        .post(format!("{}/v1/commands", server.url))
        .bearer_auth(token)
        .json(&serde_json::json!({ "commands": [command] }))
        .send()
        .await
        .expect("POST /v1/commands");
    assert_eq!(r.status(), StatusCode::OK, "push");
    r.json::<PushResponse>()
        .await
        .expect("push response")
        .outcomes
        .pop()
        .expect("one outcome")
}

async fn changes(server: &TestServer, token: &str) -> ChangesPage {
    let r = http()
        .get(format!("{}/v1/changes?after=0&limit=1000", server.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET changes");
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.expect("changes page")
}

/// A dispatch of a document of `classification` listing the file `sha`.
fn dispatch_with(sha: &str, classification: Classification, main: &[&str]) -> Command {
    let doc = Document {
        title: "关于报送材料的通知".into(),
        classification,
        issuer_mark: vec!["宿州市发展和改革委员会文件".into()],
        doc_number: "宿发改〔2026〕7号".into(),
        main_recipients: vec!["宿州市统计局".into()],
        body: gongwen_core::Body::from_text("请按要求报送材料。"),
        issuer_signature: vec!["宿州市发展和改革委员会".into()],
        date_of_issue: "2026年11月25日".into(),
        copy_number: if classification == Classification::Unclassified {
            String::new()
        } else {
            "000001".into()
        },
        secrecy_term: if classification == Classification::Unclassified {
            String::new()
        } else {
            "5年".into()
        },
        attachments: vec![Attachment {
            name: "材料".into(),
            sha256: Some(sha.to_string()),
            file_name: Some("材料.pdf".into()),
            size: Some(1),
        }],
        ..Document::default()
    };
    Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body: CommandBody::Dispatch {
            document_id: DocumentId(uuid::Uuid::new_v4()),
            document: Box::new(doc),
            main: main.iter().map(|u| UnitCode::from(*u)).collect(),
            cc: Vec::new(),
        },
    }
}

fn rejection(outcome: &CommandOutcome) -> Option<(RejectCode, String)> {
    match &outcome.result {
        CommandResult::Accepted => None,
        CommandResult::Rejected { rejection } => Some((rejection.code, rejection.message.clone())),
    }
}

fn file(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

/// Every audit entry, read from the server's storage while it runs.
async fn audit_lines(storage: &dyn Storage) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = storage.audit_after(after, 1000).await.expect("audit page");
        let Some(last) = page.last() else { break };
        after = last.seq;
        out.extend(page.iter().map(|r| {
            serde_json::json!({
                "username": r.username, "action": r.action, "detail": r.detail,
            })
        }));
    }
    out
}

// ---------------------------------------------------------------------------------
// 1 + 2: a learned hash opens nothing, and tells nothing.

async fn hash_is_not_a_key(server: &TestServer) {
    let fgw = login_as(server, "fgw-clerk").await; // 机密
    let yq = login_as(server, "yq-clerk").await; // 非密, another unit
    let daj = login_as(server, "daj-clerk").await; // 非密, the attacker's accomplice
    let szgov = login_as(server, "szgov-clerk").await; // 机密, a recipient

    let secret = file(1, 50_000);
    let sha = upload(server, &fgw, &secret).await;
    let sent = dispatch_with(&sha, Classification::Secret, &["sz-gov"]);
    assert_eq!(rejection(&push_one(server, &fgw, &sent).await), None);

    // The attacker knows the hash. HEAD, GET and PATCH answer as for a missing file.
    let r = head(server, &yq, &sha).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "HEAD is no oracle");
    assert_eq!(offset_of(&r), 0);
    assert_eq!(get(server, &yq, &sha).await.status(), StatusCode::NOT_FOUND);
    let r = patch(server, &yq, &sha, 0, secret.len() as u64, &[0u8; 10]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "PATCH is no oracle");
    assert_eq!(offset_of(&r), 10);

    // A 非密 dispatch listing the 机密 file is refused, and nothing reaches anyone.
    let log_before = changes(server, &daj).await.changes.len();
    let attack = dispatch_with(&sha, Classification::Unclassified, &["sz-daj"]);
    let (code, message) = rejection(&push_one(server, &yq, &attack).await)
        .expect("a dispatch listing a file the user may not read is refused");
    assert_eq!(code, RejectCode::MissingAttachment);
    assert!(message.contains("附件"), "{message}");
    assert_eq!(
        get(server, &daj, &sha).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(get(server, &yq, &sha).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(changes(server, &daj).await.changes.len(), log_before);
    let r = http()
        .get(format!(
            "{}/v1/documents/{}",
            server.url,
            attack.body.document_id()
        ))
        .bearer_auth(&daj)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "no document was stored");

    // A recipient who may read the document may list its file in a dispatch of their own.
    assert_eq!(get(server, &szgov, &sha).await.status(), StatusCode::OK);
    let onward = dispatch_with(&sha, Classification::Secret, &["sz-fgw"]);
    assert_eq!(rejection(&push_one(server, &szgov, &onward).await), None);
}

#[tokio::test]
async fn a_learned_hash_neither_opens_nor_reveals_a_file() {
    hash_is_not_a_key(&TestServer::start()).await;
}

// ---------------------------------------------------------------------------------
// 3: the uploader grant is the uploading user's, at their clearance, until listed.

async fn uploader_grant_is_the_users(server: &TestServer) {
    let archivist = login_as(server, "daj-archivist").await; // 机密
    let colleague = login_as(server, "daj-clerk").await; // 非密, same unit
    let other_unit = login_as(server, "szgov-clerk").await; // 机密, another unit

    let data = file(2, 20_000);
    let sha = upload(server, &archivist, &data).await;
    assert_eq!(get(server, &archivist, &sha).await.status(), StatusCode::OK);
    assert_eq!(
        head(server, &archivist, &sha).await.status(),
        StatusCode::OK
    );
    for token in [&colleague, &other_unit] {
        assert_eq!(
            get(server, token, &sha).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            head(server, token, &sha).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    // The colleague cannot list it either.
    let theirs = dispatch_with(&sha, Classification::Unclassified, &["sz-gov"]);
    assert_eq!(
        rejection(&push_one(server, &colleague, &theirs).await).map(|r| r.0),
        Some(RejectCode::MissingAttachment)
    );

    // A 绝密 leader's upload is not for a 机密 clerk of the same unit, until a
    // document lists it: then the document's rules apply.
    let leader = login_as(server, "fgw-leader").await; // 绝密
    let clerk = login_as(server, "fgw-clerk").await; // 机密, same unit
    let data = file(12, 20_000);
    let sha = upload(server, &leader, &data).await;
    assert_eq!(
        get(server, &clerk, &sha).await.status(),
        StatusCode::NOT_FOUND
    );
    let sent = dispatch_with(&sha, Classification::Secret, &["sz-gov"]);
    assert_eq!(rejection(&push_one(server, &leader, &sent).await), None);
    assert_eq!(get(server, &leader, &sha).await.status(), StatusCode::OK);
    assert_eq!(get(server, &clerk, &sha).await.status(), StatusCode::OK);
    assert_eq!(
        get(server, &other_unit, &sha).await.status(),
        StatusCode::OK
    );
    // A 非密 clerk of a recipient unit (the demo's only 非密 user there is the
    // admin, whose role reads no documents at all, so that would prove nothing).
    let out = server.admin_with_stdin(
        &[
            "user",
            "add",
            "szgov-reader",
            "--unit",
            "sz-gov",
            "--role",
            "clerk",
            "--clearance",
            "unclassified",
            "--name",
            "王芳",
            "--password-stdin",
        ],
        Some(DEMO_PASSWORD),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let colleague_gov = login_as(server, "szgov-reader").await; // 非密, sz-gov
    assert_eq!(
        get(server, &colleague_gov, &sha).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_uploader_grant_covers_the_uploading_user_only() {
    uploader_grant_is_the_users(&TestServer::start()).await;
}

// ---------------------------------------------------------------------------------
// 4: uploads in progress belong to their uploader.

async fn partials_are_the_uploaders(server: &TestServer) {
    let fgw = login_as(server, "fgw-clerk").await;
    let yq = login_as(server, "yq-clerk").await;
    let data = file(3, 40_000);
    let sha = gongwen_core::digest::sha256_hex(&data);
    let total = data.len() as u64;

    let r = patch(server, &fgw, &sha, 0, total, &data[..15_000]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // Another user sees none of it and cannot add to it, lengthen it or spoil it.
    let r = head(server, &yq, &sha).await;
    assert_eq!(offset_of(&r), 0, "another user's partial is not shown");
    let r = patch(server, &yq, &sha, 15_000, total, &[0xee; 100]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(offset_of(&r), 0);
    let r = patch(server, &yq, &sha, 0, total + 1_000, &[0xee; 100]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = patch(server, &yq, &sha, 100, total + 1_000, &[0xee; 100]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // The uploader's partial is untouched.
    assert_eq!(offset_of(&head(server, &fgw, &sha).await), 15_000);

    // Upload-Length is fixed by the first piece.
    let r = patch(server, &fgw, &sha, 15_000, total + 1, &data[15_000..16_000]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "another Upload-Length");
    assert!(r
        .headers()
        .get("upload-length")
        .is_some_and(|v| v.to_str().unwrap() == total.to_string()));
    assert_eq!(offset_of(&head(server, &fgw, &sha).await), 15_000);

    let r = patch(server, &fgw, &sha, 15_000, total, &data[15_000..]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(get(server, &fgw, &sha).await.status(), StatusCode::OK);
    // The other user's junk did not become the file, and is still only theirs.
    assert_eq!(offset_of(&head(server, &yq, &sha).await), 200);
    assert_eq!(get(server, &yq, &sha).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn uploads_in_progress_belong_to_their_uploader() {
    partials_are_the_uploaders(&TestServer::start()).await;
}

async fn quota_holds(server: &TestServer) {
    // GONGWEN_EXCHANGE_MAX_PARTIAL_BYTES_PER_USER = 100000
    let fgw = login_as(server, "fgw-clerk").await;
    let tjj = login_as(server, "tjj-clerk").await;
    let a = file(4, 60_000);
    let b = file(5, 60_000);
    let (sha_a, sha_b) = (
        gongwen_core::digest::sha256_hex(&a),
        gongwen_core::digest::sha256_hex(&b),
    );
    let r = patch(server, &fgw, &sha_a, 0, 60_000, &a[..1_000]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = patch(server, &fgw, &sha_b, 0, 60_000, &b[..1_000]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "over the quota");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "upload_quota_exceeded");
    // Another user has a quota of their own.
    let r = patch(server, &tjj, &sha_b, 0, 60_000, &b[..1_000]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // A finished upload frees its share.
    let r = patch(server, &fgw, &sha_a, 1_000, 60_000, &a[1_000..]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = patch(server, &fgw, &sha_b, 0, 60_000, &b[..1_000]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn partial_uploads_have_a_quota_per_user() {
    quota_holds(&TestServer::start_with_env(&[(
        "GONGWEN_EXCHANGE_MAX_PARTIAL_BYTES_PER_USER",
        "100000",
    )]))
    .await;
}

async fn sweep_removes_stale(server: &TestServer) {
    let fgw = login_as(server, "fgw-clerk").await;
    let kept = file(6, 5_000);
    let kept_sha = upload(server, &fgw, &kept).await;
    let sent = dispatch_with(&kept_sha, Classification::Unclassified, &["sz-gov"]);
    assert_eq!(rejection(&push_one(server, &fgw, &sent).await), None);
    let orphan_sha = upload(server, &fgw, &file(7, 5_000)).await;
    let partial = file(8, 5_000);
    let partial_sha = gongwen_core::digest::sha256_hex(&partial);
    let r = patch(server, &fgw, &partial_sha, 0, 5_000, &partial[..100]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    let out = server.admin(&["blobs", "sweep", "--older-than-secs", "0"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "sweep: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 partial"), "{text}");
    assert!(text.contains("1 unreferenced"), "{text}");
    assert_eq!(offset_of(&head(server, &fgw, &partial_sha).await), 0);
    assert_eq!(
        get(server, &fgw, &orphan_sha).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(get(server, &fgw, &kept_sha).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_admin_sweep_removes_stale_partials_and_unreferenced_files() {
    sweep_removes_stale(&TestServer::start()).await;
}

// ---------------------------------------------------------------------------------
// Reads of classified files are audited.

async fn classified_reads_audited(server: &TestServer, storage: &dyn Storage) {
    let fgw = login_as(server, "fgw-clerk").await;
    let szgov = login_as(server, "szgov-clerk").await;
    let secret = file(9, 30_000);
    let sha = upload(server, &fgw, &secret).await;
    let sent = dispatch_with(&sha, Classification::Secret, &["sz-gov"]);
    assert_eq!(rejection(&push_one(server, &fgw, &sent).await), None);
    let plain = upload(server, &fgw, &file(10, 3_000)).await;
    let open = dispatch_with(&plain, Classification::Unclassified, &["sz-gov"]);
    assert_eq!(rejection(&push_one(server, &fgw, &open).await), None);

    let reads = |lines: &[serde_json::Value], sha: &str| {
        lines
            .iter()
            .filter(|l| l["action"] == "blob read")
            .filter(|l| {
                let d: serde_json::Value =
                    serde_json::from_str(l["detail"].as_str().unwrap()).unwrap();
                d["sha256"] == sha
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        get(server, &szgov, &sha).await.bytes().await.unwrap().len(),
        30_000
    );
    // A range is a read too: every request that returns bytes is one entry.
    let r = http()
        .get(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(&szgov)
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(get(server, &szgov, &plain).await.status(), StatusCode::OK);

    let lines = audit_lines(storage).await;
    let secret_reads = reads(&lines, &sha);
    assert_eq!(secret_reads.len(), 2, "{secret_reads:?}");
    let entry = &secret_reads[0];
    assert_eq!(entry["username"], "szgov-clerk");
    let detail: serde_json::Value =
        serde_json::from_str(entry["detail"].as_str().unwrap()).unwrap();
    assert_eq!(
        detail["document_id"].as_str().unwrap(),
        sent.body.document_id().to_string()
    );
    assert_eq!(detail["classification"], "secret");
    assert!(
        reads(&lines, &plain).is_empty(),
        "非密 reads are not audited"
    );
}

#[tokio::test]
async fn downloads_of_classified_files_are_audited() {
    let server = TestServer::start();
    let storage = SqliteStorage::open(server.db_path()).expect("the server's database");
    classified_reads_audited(&server, &storage).await;
}

// ---------------------------------------------------------------------------------
// The same on PostgreSQL.

#[tokio::test]
async fn blob_access_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("blob_key").expect("database");
    hash_is_not_a_key(&TestServer::start_on_postgres(&db, &[])).await;
    let db = pg.create_database("blob_grant").expect("database");
    uploader_grant_is_the_users(&TestServer::start_on_postgres(&db, &[])).await;
    let db = pg.create_database("blob_partials").expect("database");
    partials_are_the_uploaders(&TestServer::start_on_postgres(&db, &[])).await;
    let db = pg.create_database("blob_quota").expect("database");
    quota_holds(&TestServer::start_on_postgres(
        &db,
        &[("GONGWEN_EXCHANGE_MAX_PARTIAL_BYTES_PER_USER", "100000")],
    ))
    .await;
    let db = pg.create_database("blob_sweep").expect("database");
    sweep_removes_stale(&TestServer::start_on_postgres(&db, &[])).await;
    let db = pg.create_database("blob_audit").expect("database");
    let storage = PostgresStorage::connect(&db)
        .await
        .expect("the server's database");
    classified_reads_audited(&TestServer::start_on_postgres(&db, &[]), &storage).await;
}
