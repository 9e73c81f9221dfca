//! Every read path answers by the same rules (`src/access.rs`), against a real server
//! process on 127.0.0.1 with a real SQLite file: the change page, `GET
//! /v1/documents/{id}`, and an attachment file's `HEAD`, `GET` and `PATCH`.

#[path = "common/api.rs"]
mod api;
mod common;

use api::{http, login_as};
use common::TestServer;
use gongwen_core::wire::{
    ChangeEntry, ChangesPage, Command, CommandBody, CommandId, CommandResult, PushResponse,
    UnitCode,
};
use gongwen_core::{Attachment, Classification, Document, DocumentId};
use reqwest::StatusCode;

async fn send(server: &TestServer, token: &str, method: reqwest::Method, path: &str) -> StatusCode {
    http()
        .request(method, format!("{}{path}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .status()
}

async fn patch(server: &TestServer, token: &str, sha: &str, data: &[u8]) -> StatusCode {
    http()
        .patch(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(token)
        .header("upload-offset", 0)
        .header("upload-length", data.len())
        .body(data.to_vec())
        .send()
        .await
        .expect("PATCH blob")
        .status()
}

/// fgw-clerk uploads `data` and dispatches a document of `classification` listing it
/// to `to`; returns the document id and the file's SHA-256.
async fn dispatch_with_file(
    server: &TestServer,
    data: &[u8],
    classification: Classification,
    to: &str,
) -> (DocumentId, String) {
    let token = login_as(server, "fgw-clerk").await;
    let sha = gongwen_core::digest::sha256_hex(data);
    assert_eq!(patch(server, &token, &sha, data).await, StatusCode::CREATED);
    let document_id = DocumentId(uuid::Uuid::new_v4());
    let command = Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body: CommandBody::Dispatch {
            document_id,
            document: Box::new(Document {
                title: "关于报送材料的通知".into(),
                classification,
                issuer_mark: vec!["宿州市发展和改革委员会文件".into()],
                doc_number: "宿发改〔2026〕9号".into(),
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
                    sha256: Some(sha.clone()),
                    file_name: Some("材料.pdf".into()),
                    size: Some(data.len() as u64),
                }],
                ..Document::default()
            }),
            main: vec![UnitCode::from(to)],
            cc: vec![],
        },
    };
    let r = http()
        .post(format!("{}/v1/commands", server.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "commands": [command] }))
        .send()
        .await
        .expect("push");
    let outcome = r.json::<PushResponse>().await.expect("outcomes").outcomes;
    assert!(
        matches!(outcome[0].result, CommandResult::Accepted),
        "{outcome:?}"
    );
    (document_id, sha)
}

/// What one user gets on every read path for one document and its file.
#[derive(Debug, PartialEq)]
struct Reads {
    in_changes: Option<bool>,
    document: StatusCode,
    head: StatusCode,
    get: StatusCode,
}

async fn reads(server: &TestServer, username: &str, id: DocumentId, sha: &str) -> Reads {
    let token = login_as(server, username).await;
    let r = http()
        .get(format!("{}/v1/changes?after=0", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("changes");
    let in_changes = if r.status() == StatusCode::OK {
        let page: ChangesPage = r.json().await.expect("page");
        Some(page.changes.iter().any(
            |c| matches!(&c.entry, ChangeEntry::Received { document_id, .. } if *document_id == id),
        ))
    } else {
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        None
    };
    Reads {
        in_changes,
        document: send(
            server,
            &token,
            reqwest::Method::GET,
            &format!("/v1/documents/{id}"),
        )
        .await,
        head: send(
            server,
            &token,
            reqwest::Method::HEAD,
            &format!("/v1/blobs/{sha}"),
        )
        .await,
        get: send(
            server,
            &token,
            reqwest::Method::GET,
            &format!("/v1/blobs/{sha}"),
        )
        .await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_path_applies_the_same_unit_clearance_and_role_rules() {
    let server = TestServer::start();
    // A 秘密 document to sz-daj: its 非密 clerk is below it, its 秘密 archivist not.
    let (id, sha) = dispatch_with_file(
        &server,
        b"secret attachment of sz-daj",
        Classification::Secret,
        "sz-daj",
    )
    .await;
    let allowed = Reads {
        in_changes: Some(true),
        document: StatusCode::OK,
        head: StatusCode::OK,
        get: StatusCode::OK,
    };
    assert_eq!(reads(&server, "daj-archivist", id, &sha).await, allowed);
    assert_eq!(
        reads(&server, "daj-clerk", id, &sha).await,
        Reads {
            in_changes: Some(false),
            document: StatusCode::FORBIDDEN,
            head: StatusCode::NOT_FOUND,
            get: StatusCode::NOT_FOUND,
        },
        "below the document's clearance"
    );
    // Another unit, cleared above it.
    assert_eq!(
        reads(&server, "szgov-clerk", id, &sha).await,
        Reads {
            in_changes: Some(false),
            document: StatusCode::NOT_FOUND,
            head: StatusCode::NOT_FOUND,
            get: StatusCode::NOT_FOUND,
        },
        "another unit"
    );
}

/// The admin role reads nothing: `HEAD` of a file its unit may read answered `200`
/// with the length (the role rule was only in `GET`), and a `PATCH` of it `200`
/// ("you have it already"); now both answer as for a file the server does not have.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_role_learns_nothing_of_its_units_files() {
    let server = TestServer::start();
    let data = b"unclassified attachment of sz-gov";
    let (id, sha) = dispatch_with_file(&server, data, Classification::Unclassified, "sz-gov").await;
    assert_eq!(
        reads(&server, "szgov-clerk", id, &sha).await,
        Reads {
            in_changes: Some(true),
            document: StatusCode::OK,
            head: StatusCode::OK,
            get: StatusCode::OK,
        }
    );
    assert_eq!(
        reads(&server, "admin", id, &sha).await,
        Reads {
            in_changes: None,
            document: StatusCode::FORBIDDEN,
            head: StatusCode::NOT_FOUND,
            get: StatusCode::FORBIDDEN,
        }
    );
    let token = login_as(&server, "admin").await;
    assert_ne!(patch(&server, &token, &sha, data).await, StatusCode::OK);
}
