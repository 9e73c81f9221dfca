//! The HTTP API against a real server process on 127.0.0.1 with a real SQLite file:
//! login and tokens, bad input, permissions, idempotent commands, the change log,
//! resumable attachments and the audit chain.

#[path = "common/api.rs"]
mod api;
mod common;

use api::{http, login_as};
use common::{TestServer, DEMO_PASSWORD};
use gongwen_core::wire::{
    ChangeEntry, ChangesPage, Command, CommandBody, CommandId, CommandOutcome, CommandResult,
    DeliveryStatus, ErrorBody, LoginResponse, PushResponse, RecipientRole, RejectCode, UnitCode,
};
use gongwen_core::{Attachment, Classification, Document, DocumentId};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

async fn get(server: &TestServer, token: &str, path: &str) -> reqwest::Response {
    http()
        .get(format!("{}{path}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET")
}

async fn error_body(r: reqwest::Response) -> ErrorBody {
    r.json::<ErrorBody>().await.expect("an ErrorBody")
}

async fn push_raw(
    server: &TestServer,
    token: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    http()
        .post(format!("{}/v1/commands", server.url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("x-gongwen-client", "test-client")
        .body(body)
        .send()
        .await
        .expect("POST /v1/commands")
}

async fn push(server: &TestServer, token: &str, commands: &[Command]) -> Vec<CommandOutcome> {
    let body = serde_json::json!({ "commands": commands }).to_string();
    let r = push_raw(server, token, body).await;
    assert_eq!(r.status(), StatusCode::OK, "push");
    r.json::<PushResponse>()
        .await
        .expect("push response")
        .outcomes
}

async fn push_one(server: &TestServer, token: &str, command: &Command) -> CommandOutcome {
    push(server, token, std::slice::from_ref(command))
        .await
        .pop()
        .expect("one outcome")
}

async fn changes(server: &TestServer, token: &str, after: u64, limit: u32) -> ChangesPage {
    let r = get(
        server,
        token,
        &format!("/v1/changes?after={after}&limit={limit}"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "changes");
    r.json().await.expect("changes page")
}

/// A complete 通知 (the server refuses a 分发 with validation errors).
fn document(title: &str, classification: Classification) -> Document {
    let classified = classification != Classification::Unclassified;
    Document {
        title: title.into(),
        classification,
        copy_number: if classified {
            "000001".into()
        } else {
            String::new()
        },
        secrecy_term: if classified {
            "5年".into()
        } else {
            String::new()
        },
        issuer_mark: vec!["宿州市发展和改革委员会文件".into()],
        doc_number: "宿发改〔2026〕12号".into(),
        main_recipients: vec!["宿州市统计局".into()],
        body: gongwen_core::Body::from_text("请按要求办理。"),
        issuer_signature: vec!["宿州市发展和改革委员会".into()],
        date_of_issue: "2026年11月25日".into(),
        ..Document::default()
    }
}

fn dispatch(doc: Document, main: &[&str], cc: &[&str]) -> Command {
    Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body: CommandBody::Dispatch {
            document_id: DocumentId(uuid::Uuid::new_v4()),
            document: Box::new(doc),
            main: main.iter().map(|u| UnitCode::from(*u)).collect(),
            cc: cc.iter().map(|u| UnitCode::from(*u)).collect(),
        },
    }
}

fn rejection_code(outcome: &CommandOutcome) -> Option<RejectCode> {
    match &outcome.result {
        CommandResult::Accepted => None,
        CommandResult::Rejected { rejection } => Some(rejection.code),
    }
}

/// Number of audit entries, from `admin audit verify` (which must say OK).
fn audit_count(server: &TestServer) -> u64 {
    let out = server.admin(&["audit", "verify"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "audit verify: {text}");
    text.trim()
        .strip_prefix("OK: ")
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected verify output {text:?}"))
}

fn sha_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn login_wrong_password_and_disabled_user() {
    let server = TestServer::start();
    let token = login_as(&server, "fgw-clerk").await;
    let me: serde_json::Value = get(&server, &token, "/v1/me").await.json().await.unwrap();
    assert_eq!(me["username"], "fgw-clerk");
    assert_eq!(me["unit"], "sz-fgw");
    assert!(me.get("password_hash").is_none());

    let wrong = http()
        .post(format!("{}/v1/login", server.url))
        .json(&serde_json::json!({ "username": "fgw-clerk", "password": "not-it" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong = error_body(wrong).await;

    // A disabled user: refused with the very same message, and the token they hold
    // stops working at once.
    let yq_token = login_as(&server, "yq-clerk").await;
    let out = server.admin(&["user", "disable", "yq-clerk"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let disabled = http()
        .post(format!("{}/v1/login", server.url))
        .json(&serde_json::json!({ "username": "yq-clerk", "password": DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(disabled).await, wrong);
    assert_eq!(
        get(&server, &yq_token, "/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let dir: serde_json::Value = get(&server, &token, "/v1/directory")
        .await
        .json()
        .await
        .unwrap();
    let users = dir["users"].as_array().unwrap();
    assert!(
        users.iter().all(|u| u["username"] != "yq-clerk"),
        "disabled user listed"
    );
    assert!(users.iter().all(|u| u.get("password_hash").is_none()));
    assert_eq!(dir["units"].as_array().unwrap().len(), 5);

    // Enabled again with a new password (read from stdin): the old one fails.
    server.admin(&["user", "enable", "yq-clerk"]);
    let out = server.admin_with_stdin(
        &["user", "reset-password", "yq-clerk", "--password-stdin"],
        Some("新的密码-2026\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = http()
        .post(format!("{}/v1/login", server.url))
        .json(&serde_json::json!({ "username": "yq-clerk", "password": "新的密码-2026" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // No secret reached the log.
    let log = server.log();
    assert!(!log.contains(&token), "token in the server log");
    assert!(!log.contains(DEMO_PASSWORD), "password in the server log");
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_refused_at_once() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_TOKEN_TTL_SECS", "2")]);
    let r = http()
        .post(format!("{}/v1/login", server.url))
        .json(&serde_json::json!({ "username": "tjj-clerk", "password": DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    let login: LoginResponse = r.json().await.unwrap();
    assert_eq!(
        get(&server, &login.token, "/v1/me").await.status(),
        StatusCode::OK
    );
    let expires = chrono::DateTime::parse_from_rfc3339(&login.expires_at).unwrap();
    let wait = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait + std::time::Duration::from_millis(200)).await;
    let r = get(&server, &login.token, "/v1/me").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(r).await.code, "unauthorized");

    // Logout revokes only the token presented.
    let a = login_as(&server, "tjj-clerk").await;
    let b = login_as(&server, "tjj-clerk").await;
    let r = http()
        .post(format!("{}/v1/logout", server.url))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get(&server, &a, "/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(&server, &b, "/v1/me").await.status(), StatusCode::OK);
    // No token, or garbage.
    let r = http()
        .get(format!("{}/v1/me", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&server, "garbage", "/v1/changes").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_its_reason_and_records_nothing() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_MAX_BODY_BYTES", "65536")]);
    let token = login_as(&server, "fgw-clerk").await;
    let before = audit_count(&server);

    let good = dispatch(
        document("关于报送统计数据的通知", Classification::Unclassified),
        &["sz-tjj"],
        &[],
    );
    let good_json = serde_json::to_value(&good).unwrap();

    // Malformed JSON.
    let r = push_raw(&server, &token, r#"{"commands": [ {"id": "#).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e = error_body(r).await;
    assert_eq!(e.code, "bad_request");
    assert!(e.message.contains("EOF"), "{}", e.message);

    // Wrong types, in the second command of a batch whose first is fine.
    let mut wrong = good_json.clone();
    wrong["id"] = serde_json::json!(uuid::Uuid::new_v4());
    wrong["main"] = serde_json::json!("sz-tjj");
    let body = serde_json::json!({ "commands": [good_json, wrong] }).to_string();
    let r = push_raw(&server, &token, body).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e = error_body(r).await;
    assert!(e.message.starts_with("command 1:"), "{}", e.message);
    assert!(e.message.contains("invalid type"), "{}", e.message);

    // An unknown command type.
    let mut unknown = good_json.clone();
    unknown["type"] = serde_json::json!("teleport");
    let body = serde_json::json!({ "commands": [unknown] }).to_string();
    let r = push_raw(&server, &token, body).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e = error_body(r).await;
    assert!(
        e.message.contains("command 0") && e.message.contains("teleport"),
        "{}",
        e.message
    );
    assert!(!e.message_zh.is_empty());

    // Oversized body (limit 64 KiB here): 413 with an ErrorBody.
    let mut big = document("超长的公文", Classification::Unclassified);
    big.body = gongwen_core::Body::from_text(&"一、".repeat(60_000));
    let big = dispatch(big, &["sz-tjj"], &[]);
    let body = serde_json::json!({ "commands": [big] }).to_string();
    assert!(body.len() > 65536);
    let r = push_raw(&server, &token, body).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let e = error_body(r).await;
    assert_eq!(e.code, "payload_too_large");
    assert!(e.message.contains("65536"), "{}", e.message);

    // Too many commands in one request.
    let many: Vec<Command> = (0..101)
        .map(|_| Command {
            id: CommandId(uuid::Uuid::new_v4()),
            body: CommandBody::Acknowledge {
                document_id: DocumentId(uuid::Uuid::new_v4()),
            },
        })
        .collect();
    let r = push_raw(
        &server,
        &token,
        serde_json::json!({ "commands": many }).to_string(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Nothing was recorded: no change, no audit entry, and the id of the good command
    // that travelled with a bad one is still unused.
    assert!(changes(&server, &token, 0, 100).await.changes.is_empty());
    assert_eq!(audit_count(&server), before);
    let outcome = push_one(&server, &token, &good).await;
    assert_eq!(outcome.result, CommandResult::Accepted);
    assert_eq!(changes(&server, &token, 0, 100).await.changes.len(), 1);

    // A bad cursor is a 400 too.
    let r = get(&server, &token, "/v1/changes?after=-1").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_body(r).await.code, "bad_request");
}

#[tokio::test]
async fn above_clearance_and_wrong_role_are_refused_and_not_stored() {
    let server = TestServer::start();
    let clerk = login_as(&server, "fgw-clerk").await; // secret
    let leader = login_as(&server, "fgw-leader").await; // top secret

    let top = dispatch(
        document("绝密文件", Classification::TopSecret),
        &["sz-tjj"],
        &[],
    );
    let outcome = push_one(&server, &clerk, &top).await;
    assert_eq!(rejection_code(&outcome), Some(RejectCode::AboveClearance));
    let CommandBody::Dispatch { document_id, .. } = &top.body else {
        unreachable!()
    };
    let r = get(&server, &leader, &format!("/v1/documents/{document_id}")).await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "a refused document is not stored"
    );
    assert!(changes(&server, &leader, 0, 100).await.changes.is_empty());
    let tjj = login_as(&server, "tjj-clerk").await;
    assert!(changes(&server, &tjj, 0, 100).await.changes.is_empty());
    // The refusal is final: a re-send gets the same answer.
    assert_eq!(push_one(&server, &clerk, &top).await, outcome);

    let archivist = login_as(&server, "daj-archivist").await;
    let cmd = dispatch(
        document("档案员发文", Classification::Unclassified),
        &["sz-tjj"],
        &[],
    );
    let outcome = push_one(&server, &archivist, &cmd).await;
    assert_eq!(rejection_code(&outcome), Some(RejectCode::Forbidden));
    let daj = login_as(&server, "daj-clerk").await;
    assert!(changes(&server, &daj, 0, 100).await.changes.is_empty());

    // An attachment named like a path is refused, and nothing is sent.
    let mut doc = document("附件名含路径", Classification::Unclassified);
    doc.attachments.push(Attachment {
        name: "../../etc/passwd".into(),
        ..Attachment::default()
    });
    let outcome = push_one(&server, &clerk, &dispatch(doc, &["sz-tjj"], &[])).await;
    assert_eq!(rejection_code(&outcome), Some(RejectCode::Invalid));
    assert!(changes(&server, &tjj, 0, 100).await.changes.is_empty());
}

#[tokio::test]
async fn dispatch_reaches_sender_and_recipients_and_receipts_come_back() {
    dispatch_flow(&TestServer::start()).await;
}

async fn dispatch_flow(server: &TestServer) {
    let fgw = login_as(server, "fgw-clerk").await;
    let tjj = login_as(server, "tjj-clerk").await;
    let yq = login_as(server, "yq-clerk").await;
    let szgov = login_as(server, "szgov-clerk").await;

    let doc = document(
        "关于开展2026年度统计执法检查的通知",
        Classification::Unclassified,
    );
    let cmd = dispatch(doc.clone(), &["sz-tjj"], &["yq-gov"]);
    let CommandBody::Dispatch { document_id, .. } = cmd.body.clone() else {
        unreachable!()
    };
    assert_eq!(
        push_one(server, &fgw, &cmd).await.result,
        CommandResult::Accepted
    );

    let sent = changes(server, &fgw, 0, 100).await;
    assert_eq!(sent.changes.len(), 1);
    let ChangeEntry::Sent { deliveries, .. } = &sent.changes[0].entry else {
        panic!("sender gets Sent: {:?}", sent.changes[0].entry)
    };
    assert_eq!(deliveries.len(), 2);
    for (token, role) in [(&tjj, RecipientRole::Main), (&yq, RecipientRole::Cc)] {
        let page = changes(server, token, 0, 100).await;
        assert_eq!(page.changes.len(), 1);
        assert_eq!(page.changes[0].command_id, cmd.id);
        match &page.changes[0].entry {
            ChangeEntry::Received {
                document,
                from,
                role: r,
                ..
            } => {
                assert_eq!(**document, doc);
                assert_eq!(from.0, "sz-fgw");
                assert_eq!(*r, role);
            }
            other => panic!("recipient gets Received, not {other:?}"),
        }
    }
    assert!(
        changes(server, &szgov, 0, 100).await.changes.is_empty(),
        "not a recipient"
    );

    // The document itself: to the units it was sent to, not to others.
    let r = get(server, &tjj, &format!("/v1/documents/{document_id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Document>().await.unwrap(), doc);
    let r = get(server, &szgov, &format!("/v1/documents/{document_id}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_body(r).await.code, "not_found");

    // 签收 and 退回 come back to the sender as deliveries.
    let ack = Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body: CommandBody::Acknowledge { document_id },
    };
    assert_eq!(
        push_one(server, &tjj, &ack).await.result,
        CommandResult::Accepted
    );
    let ret = Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body: CommandBody::Return {
            document_id,
            reason: "不属于本单位职责".into(),
        },
    };
    assert_eq!(
        push_one(server, &yq, &ret).await.result,
        CommandResult::Accepted
    );
    let page = changes(server, &fgw, sent.next_cursor, 100).await;
    let statuses: Vec<(String, DeliveryStatus)> = page
        .changes
        .iter()
        .map(|c| match &c.entry {
            ChangeEntry::Delivery { delivery, .. } => (delivery.unit.0.clone(), delivery.status),
            other => panic!("expected deliveries, got {other:?}"),
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("sz-tjj".to_string(), DeliveryStatus::Acknowledged),
            ("yq-gov".to_string(), DeliveryStatus::Returned)
        ]
    );

    // Metrics count the commands by kind and result.
    let metrics = reqwest::get(format!("{}/metrics", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"exchange_commands_total{kind="dispatch",result="accepted"} 1"#),
        "{metrics}"
    );
    let health: serde_json::Value = reqwest::get(format!("{}/healthz", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
}

#[tokio::test]
async fn the_same_command_twice_has_one_effect_and_a_reused_id_is_refused() {
    idempotency_flow(&TestServer::start()).await;
}

async fn idempotency_flow(server: &TestServer) {
    let fgw = login_as(server, "fgw-clerk").await;
    let tjj = login_as(server, "tjj-clerk").await;

    let cmd = dispatch(
        document(
            "关于召开全市发展改革工作会议的通知",
            Classification::Unclassified,
        ),
        &["sz-tjj"],
        &[],
    );
    let first = push_one(server, &fgw, &cmd).await;
    assert_eq!(first.result, CommandResult::Accepted);
    // Sent twice in one request and once more alone: the original outcome each time.
    let again = push(server, &fgw, &[cmd.clone(), cmd.clone()]).await;
    assert_eq!(again, vec![first.clone(), first.clone()]);
    assert_eq!(
        changes(server, &tjj, 0, 100).await.changes.len(),
        1,
        "one effect"
    );
    assert_eq!(changes(server, &fgw, 0, 100).await.changes.len(), 1);

    // Same id, another payload: refused, and the original stays what is recorded.
    let mut other = dispatch(
        document("另一份通知", Classification::Unclassified),
        &["sz-tjj"],
        &[],
    );
    other.id = cmd.id;
    let outcome = push_one(server, &fgw, &other).await;
    assert_eq!(rejection_code(&outcome), Some(RejectCode::IdReused));
    assert_eq!(push_one(server, &fgw, &cmd).await, first);
    assert_eq!(changes(server, &tjj, 0, 100).await.changes.len(), 1);
    // The same id from another unit is refused as well.
    let outcome = push_one(server, &tjj, &cmd).await;
    assert_eq!(rejection_code(&outcome), Some(RejectCode::IdReused));
}

#[tokio::test]
async fn pull_withholds_entries_above_clearance_and_the_cursor_passes_them() {
    clearance_flow(&TestServer::start()).await;
}

async fn clearance_flow(server: &TestServer) {
    let fgw = login_as(server, "fgw-clerk").await;
    let tjj = login_as(server, "tjj-clerk").await; // confidential
                                                   // 档案馆: its clerk reads 非密 only, its archivist 机密 (a 分发 needs a reader there
                                                   // cleared for the document, so a unit of 非密 readers only would be refused it).
    let daj = login_as(server, "daj-clerk").await; // unclassified

    // A 秘密 document with an attachment file: the file is as classified as the text.
    let file = "核查表：第四季度规模以上工业企业名单".as_bytes().to_vec();
    let file_sha = sha_hex(&file);
    let r = patch(server, &fgw, &file_sha, 0, file.len() as u64, file).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let mut secret_doc = document("关于统计数据核查的通知", Classification::Confidential);
    secret_doc.attachments.push(gongwen_core::Attachment {
        name: "核查企业名单".into(),
        sha256: Some(file_sha.clone()),
        ..Default::default()
    });
    let secret = dispatch(secret_doc, &["sz-tjj"], &["sz-daj"]);
    let CommandBody::Dispatch {
        document_id: secret_id,
        ..
    } = secret.body.clone()
    else {
        unreachable!()
    };
    assert_eq!(
        push_one(server, &fgw, &secret).await.result,
        CommandResult::Accepted
    );
    let open = dispatch(
        document("关于举办统计业务培训的通知", Classification::Unclassified),
        &["sz-daj"],
        &[],
    );
    assert_eq!(
        push_one(server, &fgw, &open).await.result,
        CommandResult::Accepted
    );

    // sz-daj's log holds both; its clerk sees only the open one, and the cursor
    // passes the withheld entry.
    let page = changes(server, &daj, 0, 100).await;
    assert_eq!(page.changes.len(), 1);
    assert_eq!(page.changes[0].command_id, open.id);
    assert_eq!(page.next_cursor, 2);
    assert!(!page.has_more);
    // Page by page: the first page is empty but moves the cursor.
    let p1 = changes(server, &daj, 0, 1).await;
    assert!(p1.changes.is_empty());
    assert_eq!((p1.next_cursor, p1.has_more), (1, true));
    let p2 = changes(server, &daj, p1.next_cursor, 1).await;
    assert_eq!(p2.changes.len(), 1);
    assert_eq!(p2.next_cursor, 2);
    let p3 = changes(server, &daj, p2.next_cursor, 1).await;
    assert!(p3.changes.is_empty());
    assert_eq!((p3.next_cursor, p3.has_more), (2, false));

    let r = get(server, &daj, &format!("/v1/documents/{secret_id}")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_body(r).await.code, "forbidden");
    let r = get(server, &daj, &format!("/v1/blobs/{file_sha}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "nor its attachment file");
    // A cleared recipient gets it.
    let page = changes(server, &tjj, 0, 100).await;
    assert_eq!(page.changes.len(), 1);
    assert_eq!(page.changes[0].command_id, secret.id);
    let r = get(server, &tjj, &format!("/v1/documents/{secret_id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = get(server, &tjj, &format!("/v1/blobs/{file_sha}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    // And the uncleared one cannot sign for it.
    let ack = Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body: CommandBody::Acknowledge {
            document_id: secret_id,
        },
    };
    assert_eq!(
        rejection_code(&push_one(server, &daj, &ack).await),
        Some(RejectCode::AboveClearance)
    );
}

async fn patch(
    server: &TestServer,
    token: &str,
    sha: &str,
    offset: u64,
    total: u64,
    bytes: Vec<u8>,
) -> reqwest::Response {
    http()
        .patch(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(token)
        .header("upload-offset", offset)
        .header("upload-length", total)
        .body(bytes)
        .send()
        .await
        .expect("PATCH blob")
}

/// Waits (bounded, 10 s) until `HEAD` reports `offset` bytes held for `sha`.
async fn wait_for_offset(server: &TestServer, token: &str, sha: &str, offset: u64) {
    let mut held = 0;
    for _ in 0..400 {
        held = header_u64(&head(server, token, sha).await, "upload-offset");
        if held >= offset {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(held, offset, "the server never held the bytes sent");
}

async fn head(server: &TestServer, token: &str, sha: &str) -> reqwest::Response {
    http()
        .head(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("HEAD blob")
}

fn header_u64(r: &reqwest::Response, name: &str) -> u64 {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("header {name} in {:?}", r.headers()))
}

#[tokio::test]
async fn attachments_upload_in_pieces_resume_and_are_checked() {
    let server = TestServer::start();
    let fgw = login_as(&server, "fgw-clerk").await;
    let tjj = login_as(&server, "tjj-clerk").await;

    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sha = sha_hex(&data);
    let total = data.len() as u64;

    let r = head(&server, &fgw, &sha).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(header_u64(&r, "upload-offset"), 0);

    // First piece, then the connection "drops": the client asks where to resume.
    let half = 123_457usize;
    let r = patch(&server, &fgw, &sha, 0, total, data[..half].to_vec()).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(header_u64(&r, "upload-offset"), half as u64);
    let r = head(&server, &fgw, &sha).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(header_u64(&r, "upload-offset"), half as u64);
    // A wrong offset is refused with the right one.
    let r = patch(&server, &fgw, &sha, 0, total, data[..10].to_vec()).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(header_u64(&r, "upload-offset"), half as u64);
    assert_eq!(error_body(r).await.code, "conflict");

    let r = patch(
        &server,
        &fgw,
        &sha,
        half as u64,
        total,
        data[half..].to_vec(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = head(&server, &fgw, &sha).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header_u64(&r, "content-length"), total);
    let on_disk = server.data_dir().join("blobs").join(&sha[..2]).join(&sha);
    assert_eq!(std::fs::read(&on_disk).unwrap(), data);

    // The uploader may read it back (whole and by range); another unit may not yet.
    let r = get(&server, &fgw, &format!("/v1/blobs/{sha}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[..]);
    let r = http()
        .get(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(&fgw)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[100..200]);
    assert_eq!(
        get(&server, &tjj, &format!("/v1/blobs/{sha}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // A dispatch listing a file not uploaded is refused; one listing ours passes, and
    // then the recipient may download it.
    let mut doc = document("关于报送统计报表的通知", Classification::Unclassified);
    doc.attachments.push(Attachment {
        name: "统计报表".into(),
        sha256: Some("e".repeat(64)),
        file_name: Some("统计报表.xlsx".into()),
        size: Some(1),
    });
    let missing = dispatch(doc.clone(), &["sz-tjj"], &[]);
    assert_eq!(
        rejection_code(&push_one(&server, &fgw, &missing).await),
        Some(RejectCode::MissingAttachment)
    );
    doc.attachments[0].sha256 = Some(sha.clone());
    doc.attachments[0].size = Some(total);
    let ok = dispatch(doc, &["sz-tjj"], &[]);
    assert_eq!(
        push_one(&server, &fgw, &ok).await.result,
        CommandResult::Accepted
    );
    let r = get(&server, &tjj, &format!("/v1/blobs/{sha}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sha_hex(&r.bytes().await.unwrap()), sha);

    // Bytes that do not hash to the name: 422, and the partial is gone.
    let wrong_sha = sha_hex(b"something else entirely");
    let r = patch(&server, &fgw, &wrong_sha, 0, 5, b"hello".to_vec()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_body(r).await.code, "unprocessable");
    let r = head(&server, &fgw, &wrong_sha).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(header_u64(&r, "upload-offset"), 0);
    assert!(!server
        .data_dir()
        .join("blobs")
        .join(&wrong_sha[..2])
        .join(&wrong_sha)
        .exists());
}

#[tokio::test]
async fn attachment_paths_that_are_not_a_sha256_touch_nothing() {
    let server = TestServer::start();
    let fgw = login_as(&server, "fgw-clerk").await;
    let before: Vec<_> = walk(server.data_dir());
    for path in [
        "..%2F..%2Fexchange.db",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "..%2Fpartial%2Fx",
        &"A".repeat(64),
        "abc",
    ] {
        let url = format!("{}/v1/blobs/{path}", server.url);
        let r = http().get(&url).bearer_auth(&fgw).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "GET {path}");
        assert_eq!(error_body(r).await.code, "bad_request");
        let r = http()
            .patch(&url)
            .bearer_auth(&fgw)
            .header("upload-offset", 0)
            .header("upload-length", 3)
            .body("abc")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "PATCH {path}");
        let r = http().head(&url).bearer_auth(&fgw).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "HEAD {path}");
    }
    // The data folder holds the same files as before (the log aside).
    let after: Vec<_> = walk(server.data_dir());
    assert_eq!(before, after);
}

/// Files under `dir` except the server log and SQLite's own files.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if !p
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("exchange.db")
                && p.file_name().unwrap() != "server.log"
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn audit_verify_finds_a_tampered_entry() {
    let mut server = TestServer::start();
    let fgw = login_as(&server, "fgw-clerk").await;
    let cmd = dispatch(
        document("关于做好年度考核工作的通知", Classification::Unclassified),
        &["sz-tjj"],
        &[],
    );
    assert_eq!(
        push_one(&server, &fgw, &cmd).await.result,
        CommandResult::Accepted
    );
    let n = audit_count(&server);
    // 5 units + 14 users (demo), 1 login, 1 command.
    assert_eq!(n, 21);

    // Graceful stop: exits cleanly.
    let status = server.terminate().expect("server exit status");
    assert!(status.success(), "{status:?}");

    // Change one entry in the file directly, as an intruder with file access would.
    let conn = rusqlite::Connection::open(server.db_path()).unwrap();
    let table: String = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%prev_hash%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let changed = conn
        .execute(
            &format!("UPDATE {table} SET detail = '{{\"username\":\"intruder\"}}' WHERE seq = 7"),
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);

    let out = server.admin(&["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("seq 7"), "{stdout}");
}

/// The core flows once more with PostgreSQL behind the server (a temporary cluster
/// on a loopback port; one database per flow so their logs do not mix).
#[tokio::test]
async fn the_core_flows_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("http_dispatch").expect("database");
    dispatch_flow(&TestServer::start_on_postgres(&db, &[])).await;
    let db = pg.create_database("http_idempotency").expect("database");
    idempotency_flow(&TestServer::start_on_postgres(&db, &[])).await;
    let db = pg.create_database("http_clearance").expect("database");
    let server = TestServer::start_on_postgres(&db, &[]);
    clearance_flow(&server).await;
    let health: serde_json::Value = reqwest::get(format!("{}/healthz", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["storage"], "postgres");
    assert!(audit_count(&server) > 13);
}

#[tokio::test]
async fn tls_is_required_off_loopback_and_served_with_a_certificate() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    // Plain HTTP on a non-loopback address: refused, with the reason.
    let out = std::process::Command::new(common::binary())
        .args(["serve", "--listen", "0.0.0.0:0", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refusing to serve plain HTTP"), "{stderr}");
    assert!(out.stdout.is_empty(), "must not claim to listen");

    // With a certificate: HTTPS, and a client that trusts it gets through.
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let mut child = std::process::Command::new(common::binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--tls-cert")
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(&key_path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("listening on https://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let r = client
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await;
    let _ = child.kill();
    let _ = child.wait();
    let r = r.expect("HTTPS request");
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn concurrent_copies_of_a_command_have_one_effect_and_races_on_a_document_are_decided_once() {
    let server = TestServer::start();
    let fgw = login_as(&server, "fgw-clerk").await;
    let tjj = login_as(&server, "tjj-clerk").await;

    // The same dispatch sent by eight pushes at once.
    let cmd = dispatch(
        document("关于加强节假日值班工作的通知", Classification::Unclassified),
        &["sz-tjj"],
        &[],
    );
    let CommandBody::Dispatch { document_id, .. } = cmd.body.clone() else {
        unreachable!()
    };
    let pushes: Vec<_> = (0..8)
        .map(|_| {
            let (url, token, cmd) = (server.url.clone(), fgw.clone(), cmd.clone());
            tokio::spawn(async move {
                let r = http()
                    .post(format!("{url}/v1/commands"))
                    .bearer_auth(token)
                    .json(&serde_json::json!({ "commands": [cmd] }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                r.json::<PushResponse>().await.unwrap().outcomes
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for p in pushes {
        outcomes.extend(p.await.unwrap());
    }
    assert!(outcomes.iter().all(|o| o == &outcomes[0]), "{outcomes:?}");
    assert_eq!(outcomes[0].result, CommandResult::Accepted);
    assert_eq!(changes(&server, &tjj, 0, 100).await.changes.len(), 1);

    // Two different commands on the same document at once (two logins of the unit
    // signing): exactly one is accepted, the other sees the new state.
    let tjj2 = login_as(&server, "tjj-clerk").await;
    let signs: Vec<_> = [tjj.clone(), tjj2]
        .into_iter()
        .map(|token| {
            let url = server.url.clone();
            let ack = Command {
                id: CommandId(uuid::Uuid::new_v4()),
                body: CommandBody::Acknowledge { document_id },
            };
            tokio::spawn(async move {
                let r = http()
                    .post(format!("{url}/v1/commands"))
                    .bearer_auth(token)
                    .json(&serde_json::json!({ "commands": [ack] }))
                    .send()
                    .await
                    .unwrap();
                r.json::<PushResponse>().await.unwrap().outcomes.remove(0)
            })
        })
        .collect();
    let mut codes = Vec::new();
    for s in signs {
        codes.push(rejection_code(&s.await.unwrap()));
    }
    codes.sort_by_key(|c| c.is_some());
    assert_eq!(codes, [None, Some(RejectCode::InvalidState)]);
    let page = changes(&server, &fgw, 0, 100).await;
    assert_eq!(page.changes.len(), 2, "Sent + one Delivery");
}

/// Peak resident memory of a process, from /proc (Linux).
fn peak_rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    kb * 1024
}

#[tokio::test]
async fn a_200_mb_attachment_is_streamed_not_buffered() {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;

    let server = TestServer::start();
    let fgw = login_as(&server, "fgw-clerk").await;
    let pid = server.pid().unwrap();

    // A 200 MiB file on disk, written and hashed in pieces.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.bin");
    let mut file = tokio::fs::File::create(&path).await.unwrap();
    let mut hasher = Sha256::new();
    let chunk: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    const MIB: u64 = 1024 * 1024;
    let total = 200 * MIB;
    for i in 0..200u32 {
        let mut piece = chunk.clone();
        piece[..4].copy_from_slice(&i.to_le_bytes());
        hasher.update(&piece);
        file.write_all(&piece).await.unwrap();
    }
    file.flush().await.unwrap();
    drop(file);
    let sha: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();

    let file = tokio::fs::File::open(&path).await.unwrap();
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
    let r = http()
        .patch(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(&fgw)
        .header("upload-offset", 0)
        .header("upload-length", total)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // Downloaded back as a stream and hashed on the fly.
    let r = get(&server, &fgw, &format!("/v1/blobs/{sha}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header_u64(&r, "content-length"), total);
    let mut stream = r.bytes_stream();
    let mut hasher = Sha256::new();
    let mut received = 0u64;
    while let Some(piece) = stream.next().await {
        let piece = piece.unwrap();
        received += piece.len() as u64;
        hasher.update(&piece);
    }
    assert_eq!(received, total);
    let got: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(got, sha);

    // Neither direction held the file in the server's memory.
    let peak = peak_rss_bytes(pid);
    eprintln!(
        "server peak RSS after 200 MiB up and down: {} MiB",
        peak / MIB
    );
    assert!(peak < 64 * MIB, "server peak RSS {} MiB", peak / MIB);
}

#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish_then_exits() {
    let mut server = TestServer::start();
    let token = login_as(&server, "fgw-clerk").await;
    const MIB: usize = 1024 * 1024;
    let data: Vec<u8> = (0..3 * MIB).map(|i| (i % 241) as u8).collect();
    let sha = sha_hex(&data);

    // An upload whose body the test feeds piece by piece.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(rx, |mut rx| async {
        rx.recv().await.map(|piece| (piece, rx))
    }));
    let upload = tokio::spawn({
        let (url, token, sha) = (server.url.clone(), token.clone(), sha.clone());
        async move {
            http()
                .patch(format!("{url}/v1/blobs/{sha}"))
                .bearer_auth(token)
                .header("upload-offset", 0)
                .header("upload-length", (3 * MIB) as u64)
                .body(body)
                .send()
                .await
        }
    });
    tx.send(Ok(data[..MIB].to_vec())).await.unwrap();
    // The server has the first piece: the request is in flight.
    wait_for_offset(&server, &token, &sha, MIB as u64).await;

    server.send_sigterm();
    for piece in data[MIB..].chunks(MIB) {
        tx.send(Ok(piece.to_vec())).await.unwrap();
    }
    drop(tx);
    let r = upload
        .await
        .unwrap()
        .expect("the upload in flight is answered");
    assert_eq!(r.status(), StatusCode::CREATED);
    let status = tokio::task::spawn_blocking(move || server.wait_exit())
        .await
        .unwrap()
        .expect("exit status");
    assert!(status.success(), "{status:?}");
}

/// Every file under `dir`, the database, its WAL and the server log included.
fn all_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn neither_a_token_nor_a_password_is_written_to_the_database_or_the_log() {
    // Debug logging, so that a secret in any log line would show.
    let server = TestServer::start_with_env(&[("RUST_LOG", "debug")]);
    let token = login_as(&server, "fgw-clerk").await;
    assert_eq!(
        get(&server, &token, "/v1/me").await.status(),
        StatusCode::OK
    );
    let wrong = http()
        .post(format!("{}/v1/login", server.url))
        .json(&serde_json::json!({ "username": "fgw-clerk", "password": "Wrong-Pass-7391" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let logout = http()
        .post(format!("{}/v1/logout", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(logout.status().is_success(), "{}", logout.status());

    let files = all_files(server.data_dir());
    assert!(
        files.iter().any(|f| f.ends_with("exchange.db")),
        "{files:?}"
    );
    assert!(!server.log().is_empty(), "the server logged something");
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for secret in [token.as_str(), DEMO_PASSWORD, "Wrong-Pass-7391"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} contains a secret",
                file.display()
            );
        }
    }
    let log = server.log();
    for secret in [token.as_str(), DEMO_PASSWORD, "Wrong-Pass-7391"] {
        assert!(!log.contains(secret), "the log contains a secret");
    }
}

// ---------------------------------------------------------------------------------
// Failed-login throttling and stalled uploads

async fn try_login(
    client: &reqwest::Client,
    server: &TestServer,
    username: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(format!("{}/v1/login", server.url))
        .header("x-gongwen-client", "test-throttle")
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("login request")
}

/// `n` wrong passwords for `username`, sent at once (the throttle counts an attempt
/// when it begins, so all of them land within the window however slow argon2 is);
/// every one must be an ordinary 401. Returns that 401's body.
async fn fail_logins(server: &TestServer, username: &str, n: usize) -> ErrorBody {
    let client = http();
    let answers = futures_util::future::join_all((0..n).map(|i| {
        let client = &client;
        async move { try_login(client, server, username, &format!("wrong-{i}")).await }
    }))
    .await;
    let mut bodies = Vec::new();
    for r in answers {
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "wrong password of {username}"
        );
        bodies.push(error_body(r).await);
    }
    bodies.dedup();
    assert_eq!(bodies.len(), 1, "one answer for every failure: {bodies:?}");
    bodies.remove(0)
}

/// A 429 with `Retry-After` (whole seconds) and its body.
async fn throttled(r: reqwest::Response) -> (u64, ErrorBody) {
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = header_u64(&r, "retry-after");
    assert!(retry_after >= 1, "Retry-After {retry_after}");
    (retry_after, error_body(r).await)
}

/// The body with its numbers (the wait) taken out: what must not depend on which
/// username was tried.
fn shape(body: &ErrorBody) -> (String, String, String) {
    let strip = |s: &str| {
        s.chars()
            .filter(|c| !c.is_ascii_digit())
            .collect::<String>()
    };
    (
        body.code.clone(),
        strip(&body.message),
        strip(&body.message_zh),
    )
}

/// (username, detail) of every `login_failed` audit entry, oldest first, read from the
/// SQLite file.
fn failed_logins_audited(server: &TestServer) -> Vec<(String, serde_json::Value)> {
    let conn = rusqlite::Connection::open(server.db_path()).unwrap();
    let table: String = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%prev_hash%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT username, detail FROM {table} WHERE action = 'login_failed' ORDER BY seq"
        ))
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(|row| {
            let (user, detail) = row.unwrap();
            (user, serde_json::from_str(&detail).unwrap())
        })
        .collect();
    rows
}

#[tokio::test]
async fn five_wrong_passwords_lock_a_username_known_or_not_until_the_window_passes() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_LOGIN_FAILURE_WINDOW_SECS", "3")]);
    let client = http();
    let wrong = fail_logins(&server, "fgw-clerk", 5).await;

    // Locked: even the right password is refused, without being checked.
    let (_, locked) =
        throttled(try_login(&client, &server, "fgw-clerk", DEMO_PASSWORD).await).await;
    assert_eq!(locked.code, "too_many_attempts");
    assert!(
        locked.message.contains("try again in"),
        "{}",
        locked.message
    );
    assert!(
        locked.message_zh.contains("登录失败次数过多"),
        "{}",
        locked.message_zh
    );

    // An unknown username: the same 401s, then the same 429.
    assert_eq!(fail_logins(&server, "no-such-user", 5).await, wrong);
    let (_, unknown) = throttled(try_login(&client, &server, "no-such-user", "x").await).await;
    assert_eq!(shape(&unknown), shape(&locked));

    // The lock is per username: another user of the same address logs in.
    login_as(&server, "tjj-clerk").await;

    // Each refused attempt is audited as a failed login, with the reason.
    let throttled_entries: Vec<_> = failed_logins_audited(&server)
        .into_iter()
        .filter(|(_, d)| d["reason"] == "throttled")
        .collect();
    assert_eq!(
        throttled_entries
            .iter()
            .map(|(u, d)| (u.as_str(), d["limit"].as_str().unwrap_or("")))
            .collect::<Vec<_>>(),
        [("fgw-clerk", "username"), ("no-such-user", "username")]
    );
    assert_eq!(throttled_entries[0].1["ip"], "127.0.0.1");

    // Still locked now; after the wait it names, the right password works again.
    let (wait, _) = throttled(try_login(&client, &server, "fgw-clerk", DEMO_PASSWORD).await).await;
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let r = try_login(&client, &server, "fgw-clerk", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    audit_count(&server); // the chain still verifies
}

#[tokio::test]
async fn many_usernames_from_one_address_lock_that_address_only() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_LOGIN_MAX_FAILURES_PER_IP", "4")]);
    let client = http();
    // One failure each for four names, known and unknown: no username is near its
    // limit of 5, but the address has reached its limit of 4.
    for name in ["fgw-clerk", "tjj-clerk", "guess-1", "guess-2"] {
        fail_logins(&server, name, 1).await;
    }
    let (_, body) = throttled(try_login(&client, &server, "yq-clerk", DEMO_PASSWORD).await).await;
    assert_eq!(body.code, "too_many_attempts");
    let last = failed_logins_audited(&server).pop().unwrap();
    assert_eq!(last.0, "yq-clerk");
    assert_eq!(last.1["reason"], "throttled");
    assert_eq!(last.1["limit"], "client_ip");

    // The same user from another address (127.0.0.2 is loopback too) is let in.
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let r = try_login(&other, &server, "yq-clerk", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_successful_login_resets_the_username_count() {
    let server = TestServer::start();
    let client = http();
    fail_logins(&server, "fgw-clerk", 4).await;
    login_as(&server, "fgw-clerk").await;
    // Without the reset these would make 9 failures: the 5th would already be locked.
    fail_logins(&server, "fgw-clerk", 4).await;
    login_as(&server, "fgw-clerk").await;
    // Counting restarted from the success: five failures since lock again.
    fail_logins(&server, "fgw-clerk", 5).await;
    throttled(try_login(&client, &server, "fgw-clerk", DEMO_PASSWORD).await).await;
}

/// Opens `PATCH /v1/blobs/{sha}` from `offset` for the rest of a `total`-byte file on a
/// raw socket, sends only `piece`, and then nothing more (the socket stays open).
async fn stalled_patch(
    server: &TestServer,
    token: &str,
    sha: &str,
    offset: u64,
    total: u64,
    piece: &[u8],
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
        .await
        .expect("connect to the server");
    let head = format!(
        "PATCH /v1/blobs/{sha} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {token}\r\n\
         Upload-Offset: {offset}\r\nUpload-Length: {total}\r\nContent-Length: {}\r\n\r\n",
        server.port,
        total - offset
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(piece).await.unwrap();
    stream.flush().await.unwrap();
    stream
}

/// Reads one HTTP/1.1 response: status, headers (lower-case names), body.
async fn read_response(
    stream: &mut tokio::net::TcpStream,
) -> (u16, std::collections::HashMap<String, String>, Vec<u8>) {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut piece = [0u8; 4096];
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut piece).await.expect("read the response");
        assert!(n > 0, "connection closed before a response: {buf:?}");
        buf.extend_from_slice(&piece[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("status line in {head:?}"));
    let headers: std::collections::HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = buf[header_end..].to_vec();
    match headers
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        Some(len) => {
            while body.len() < len {
                let n = stream.read(&mut piece).await.expect("read the body");
                assert!(n > 0, "connection closed inside the body");
                body.extend_from_slice(&piece[..n]);
            }
        }
        None => {
            stream.read_to_end(&mut body).await.expect("read the body");
        }
    }
    (status, headers, body)
}

/// Bounds a wait on the server, so a server that never answers fails the test instead
/// of hanging it (not a speed check: the bound is far above the configured timeout).
async fn bounded<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(60), f)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within 60 s"))
}

#[tokio::test]
async fn a_stalled_upload_is_cut_keeps_its_bytes_and_resumes() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_UPLOAD_IDLE_TIMEOUT_SECS", "1")]);
    let token = login_as(&server, "fgw-clerk").await;
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 13 % 247) as u8).collect();
    let sha = sha_hex(&data);
    let total = data.len() as u64;
    let sent = 70_001usize;

    let mut stream = stalled_patch(&server, &token, &sha, 0, total, &data[..sent]).await;
    let (status, headers, body) = bounded("stalled upload", read_response(&mut stream)).await;
    assert_eq!(status, 408, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        headers.get("upload-offset").map(String::as_str),
        Some("70001")
    );
    let body: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(body.code, "upload_stalled");
    assert!(
        body.message.contains("resume from Upload-Offset 70001"),
        "{}",
        body.message
    );
    drop(stream);

    let r = head(&server, &token, &sha).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(header_u64(&r, "upload-offset"), sent as u64);
    let r = patch(
        &server,
        &token,
        &sha,
        sent as u64,
        total,
        data[sent..].to_vec(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = get(&server, &token, &format!("/v1/blobs/{sha}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sha_hex(&r.bytes().await.unwrap()), sha);
    assert!(server.log().contains("upload stalled"), "the cut is logged");
}

#[tokio::test]
async fn sigterm_with_a_stalled_upload_exits_once_the_upload_is_cut() {
    // A grace far longer than the wait_exit bound: the server can only exit in time
    // if the idle timeout ends the stalled request.
    let mut server = TestServer::start_with_env(&[
        ("GONGWEN_EXCHANGE_UPLOAD_IDLE_TIMEOUT_SECS", "1"),
        ("GONGWEN_EXCHANGE_SHUTDOWN_GRACE_SECS", "600"),
    ]);
    let token = login_as(&server, "fgw-clerk").await;
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 199) as u8).collect();
    let sha = sha_hex(&data);
    let sent = 20_000usize;
    let mut stream =
        stalled_patch(&server, &token, &sha, 0, data.len() as u64, &data[..sent]).await;
    // The server holds the piece: the request is in flight.
    wait_for_offset(&server, &token, &sha, sent as u64).await;

    server.send_sigterm();
    let (status, _, _) = bounded("stalled upload", read_response(&mut stream)).await;
    assert_eq!(status, 408);
    let exit = tokio::task::spawn_blocking(move || {
        let exit = server.wait_exit();
        (server, exit)
    })
    .await
    .unwrap();
    let (mut server, exit) = exit;
    let exit = exit.expect("exit status");
    assert!(exit.success(), "{exit:?}");

    // The bytes received before the cut survive the restart.
    server.restart();
    let token = login_as(&server, "fgw-clerk").await;
    let r = head(&server, &token, &sha).await;
    assert_eq!(header_u64(&r, "upload-offset"), sent as u64);
}

#[tokio::test]
async fn metrics_with_a_token_file_answer_only_to_that_token() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("metrics-token");
    std::fs::write(&token_file, "prometheus-scrape-7f3a9c2e\n").unwrap();
    let server = TestServer::start_with_env(&[(
        "GONGWEN_EXCHANGE_METRICS_TOKEN_FILE",
        token_file.to_str().unwrap(),
    )]);
    let client = reqwest::Client::new();
    let url = format!("{}/metrics", server.url);

    let none = client.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = client
        .get(&url)
        .bearer_auth("prometheus-scrape-00000000")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");

    let right = client
        .get(&url)
        .bearer_auth("prometheus-scrape-7f3a9c2e")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(right
        .text()
        .await
        .unwrap()
        .contains("exchange_http_requests_total"));
}

#[test]
fn a_short_metrics_token_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("metrics-token");
    std::fs::write(&token_file, "short").unwrap();
    let out = std::process::Command::new(common::binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path().join("data"))
        .arg("--metrics-token-file")
        .arg(&token_file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("metrics_token_file") && stderr.contains("at least 16 characters"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "must not claim to listen");
}
