//! Server hardening against a real server process on 127.0.0.1: bounded login input,
//! read timeouts and the in-flight cap, the audit chain's tail, idempotency that does
//! not depend on this build's types, PostgreSQL TLS that cannot be stripped, what the
//! directory tells and which reads each role may make.

#[path = "common/api.rs"]
mod api;
mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use api::{http, login_as};
use common::TestServer;
use gongwen_core::wire::{CommandOutcome, CommandResult, PushResponse};
use reqwest::StatusCode;

async fn try_login(server: &TestServer, body: String) -> reqwest::Response {
    http()
        .post(format!("{}/v1/login", server.url))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("login request")
}

/// (action, username, detail) of every audit entry, read from the SQLite file.
fn audit_rows(server: &TestServer) -> Vec<(String, String, String)> {
    let conn = rusqlite::Connection::open(server.db_path()).unwrap();
    let mut stmt = conn
        .prepare("SELECT action, username, detail FROM audit ORDER BY seq")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows
}

fn audit_bytes(server: &TestServer) -> usize {
    audit_rows(server)
        .iter()
        .map(|(a, u, d)| a.len() + u.len() + d.len())
        .sum()
}

async fn push_text(server: &TestServer, token: &str, body: String) -> Vec<CommandOutcome> {
    let r = http()
        .post(format!("{}/v1/commands", server.url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), StatusCode::OK, "push");
    r.json::<PushResponse>()
        .await
        .expect("push response")
        .outcomes
}

/// A 分发 of a complete 通知 (the server refuses one with validation errors) to 市统计局,
/// 抄送 埇桥区 (which reads 非密 only, so a classified one goes elsewhere).
fn dispatch_json(command_id: &str, document_id: &str, classification: &str) -> serde_json::Value {
    let mut cmd = serde_json::json!({
        "id": command_id,
        "type": "dispatch",
        "document_id": document_id,
        "document": {
            "title": "宿州市发展和改革委员会关于报送年度统计资料的通知",
            "classification": classification,
            "issuer_mark": ["宿州市发展和改革委员会文件"],
            "doc_number": "宿发改〔2026〕12号",
            "main_recipients": ["宿州市统计局"],
            "body": "请于月底前报送年度统计资料。",
            "issuer_signature": ["宿州市发展和改革委员会"],
            "date_of_issue": "2026年11月25日",
        },
        "main": ["sz-tjj"],
        "cc": ["yq-gov"],
    });
    if classification != "unclassified" {
        cmd["document"]["copy_number"] = "000001".into();
        cmd["document"]["secrecy_term"] = "5年".into();
    }
    cmd
}

fn reject_code(o: &CommandOutcome) -> Option<String> {
    match &o.result {
        CommandResult::Accepted => None,
        CommandResult::Rejected { rejection } => Some(
            serde_json::to_value(rejection.code)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string(),
        ),
    }
}

// ---------------------------------------------------------------------------------
// Login input

#[tokio::test]
async fn a_huge_or_malformed_username_is_refused_before_any_work() {
    let server = TestServer::start();
    let before = audit_bytes(&server);

    // A 1 MiB username: refused as a whole body (the login body is at most 4 KiB).
    let huge = "a".repeat(1024 * 1024);
    let body = serde_json::json!({ "username": huge, "password": "x" }).to_string();
    let r = try_login(&server, body).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Under 4 KiB but over 64 bytes, and characters a username never has: 400.
    for name in [
        "b".repeat(65),
        "FGW-CLERK".into(),
        "fgw clerk".into(),
        String::new(),
    ] {
        let body = serde_json::json!({ "username": name, "password": "x" }).to_string();
        let r = try_login(&server, body).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "username {name:?}");
    }
    // Nothing was audited for any of them, and the log never holds the long names.
    assert_eq!(audit_bytes(&server), before);
    assert!(!server.log().contains(&"b".repeat(65)));
    assert!(!server.log().contains(&"a".repeat(1000)));

    // A 64-byte name of allowed characters is an ordinary failed login.
    let name = "c".repeat(64);
    let body = serde_json::json!({ "username": name, "password": "x" }).to_string();
    assert_eq!(
        try_login(&server, body).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_username_cannot_forge_a_log_line() {
    let server = TestServer::start();
    let forged = "2026-12-07T00:00:00Z  INFO forged: admin logged in";
    let body = serde_json::json!({ "username": format!("x\n{forged}"), "password": "x" });
    let r = try_login(&server, body.to_string()).await;
    assert!(r.status().is_client_error(), "{}", r.status());
    let log = server.log();
    assert!(
        !log.lines().any(|l| l.starts_with("2026-12-07T00:00:00Z")),
        "{log}"
    );
}

#[tokio::test]
async fn throttled_logins_are_audited_once_per_lock() {
    let server =
        TestServer::start_with_env(&[("GONGWEN_EXCHANGE_LOGIN_MAX_FAILURES_PER_USER", "2")]);
    for _ in 0..2 {
        let body = serde_json::json!({ "username": "fgw-clerk", "password": "wrong" });
        let r = try_login(&server, body.to_string()).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    for _ in 0..20 {
        let body = serde_json::json!({ "username": "fgw-clerk", "password": "wrong" });
        let r = try_login(&server, body.to_string()).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let throttled: Vec<_> = audit_rows(&server)
        .into_iter()
        .filter(|(a, _, d)| a == "login_failed" && d.contains("\"throttled\""))
        .collect();
    assert_eq!(throttled.len(), 1, "{throttled:?}");
    assert_eq!(throttled[0].1, "fgw-clerk");
}

// ---------------------------------------------------------------------------------
// Timeouts and the in-flight cap

/// Reads from `stream` until the server closes it (Ok(bytes read)), or gives up after
/// a generous bound (Err): a server that never closes fails the test instead of
/// hanging it.
fn read_until_closed(stream: &mut TcpStream) -> Result<Vec<u8>, String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(got),
            Err(e) => return Err(format!("still open after 30 s ({e}); got {got:?}")),
        }
    }
}

#[tokio::test]
async fn a_client_that_sends_its_headers_slowly_is_cut() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_HEADER_READ_TIMEOUT_SECS", "1")]);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    // The blank line that ends the headers never comes.
    tokio::task::spawn_blocking(move || read_until_closed(&mut s))
        .await
        .unwrap()
        .expect("the server closes a connection whose headers do not arrive");
    // A connection that says nothing at all is closed too.
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    tokio::task::spawn_blocking(move || read_until_closed(&mut s))
        .await
        .unwrap()
        .expect("the server closes a silent connection");
}

#[tokio::test]
async fn a_json_body_that_trickles_is_cut_with_408() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_BODY_READ_TIMEOUT_SECS", "1")]);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.write_all(
        b"POST /v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{\"username\":",
    )
    .unwrap();
    let got = tokio::task::spawn_blocking(move || read_until_closed(&mut s))
        .await
        .unwrap()
        .expect("the server answers and closes a body that does not arrive");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
}

#[tokio::test]
async fn requests_beyond_the_in_flight_cap_get_503() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_MAX_REQUESTS_IN_FLIGHT", "1")]);
    let token = login_as(&server, "fgw-clerk").await;
    // An upload that sends its headers and a first piece, then waits: its request is
    // in flight until the upload idle timeout (60 s).
    let mut upload = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let sha = "ab".repeat(32);
    upload
        .write_all(
            format!(
                "PATCH /v1/blobs/{sha} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
                 Upload-Offset: 0\r\nUpload-Length: 1000000\r\nContent-Length: 1000000\r\n\r\nfirst piece"
            )
            .as_bytes(),
        )
        .unwrap();
    let mut refused = None;
    for _ in 0..200 {
        let r = reqwest::get(format!("{}/healthz", server.url))
            .await
            .unwrap();
        if r.status() == StatusCode::SERVICE_UNAVAILABLE {
            refused = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = refused.expect("a request beyond the cap is refused with 503");
    assert!(refused.headers().contains_key("retry-after"));
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "unavailable");
    // Once the upload's connection is gone, requests are served again.
    drop(upload);
    let mut ok = false;
    for _ in 0..200 {
        if reqwest::get(format!("{}/healthz", server.url))
            .await
            .unwrap()
            .status()
            == StatusCode::OK
        {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "the slot is given back when the request ends");
}

// ---------------------------------------------------------------------------------
// The audit chain's tail

fn verify(server: &TestServer, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["audit", "verify"];
    args.extend_from_slice(extra);
    let out = server.admin(&args);
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `head SEQ HASH` from a verify that passed.
fn head_of(text: &str) -> (i64, String) {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("head "))
        .unwrap_or_else(|| panic!("no head line in {text:?}"));
    let (seq, hash) = line.trim().split_once(' ').expect("head SEQ HASH");
    (seq.parse().expect("seq"), hash.to_string())
}

/// Runs `sql` on the server's database, whichever engine it is.
async fn raw_sql(server: &TestServer, pg_url: Option<&str>, sql: &str) {
    match pg_url {
        None => {
            let conn = rusqlite::Connection::open(server.db_path()).unwrap();
            conn.execute_batch(sql).unwrap();
        }
        Some(url) => {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            let task = tokio::spawn(conn);
            client.batch_execute(sql).await.unwrap();
            drop(client);
            let _ = task.await;
        }
    }
}

async fn audit_tail_flow(server: &TestServer, pg_url: Option<&str>) {
    let (code, text) = verify(server, &[]);
    assert_eq!(code, Some(0), "{text}");
    let (seq, hash) = head_of(&text);
    assert!(seq > 10, "{text}");
    let anchor = format!("{seq}:{hash}");

    // More entries later; the saved anchor still checks out.
    login_as(server, "fgw-clerk").await;
    login_as(server, "tjj-clerk").await;
    let (code, text) = verify(server, &["--expect", &anchor]);
    assert_eq!(code, Some(0), "{text}");
    let (now, _) = head_of(&text);
    assert_eq!(now, seq + 2);

    // Deleting the last two entries is seen.
    raw_sql(
        server,
        pg_url,
        &format!("DELETE FROM audit WHERE seq > {seq}"),
    )
    .await;
    let (code, text) = verify(server, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("BROKEN"), "{text}");

    // Also with the head row rewritten to match: the saved anchor catches a rewrite
    // that went back past it.
    raw_sql(
        server,
        pg_url,
        &format!(
            "DELETE FROM audit WHERE seq >= {seq}; UPDATE audit_head SET seq = seq_prev.seq, hash = seq_prev.hash FROM (SELECT seq, hash FROM audit WHERE seq = {}) AS seq_prev",
            seq - 1
        ),
    )
    .await;
    let (code, text) = verify(server, &[]);
    assert_eq!(
        code,
        Some(0),
        "a consistent shorter chain verifies on its own: {text}"
    );
    let (code, text) = verify(server, &["--expect", &anchor]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("BROKEN"), "{text}");
    let (code, text) = verify(server, &["--expect", "nonsense"]);
    assert_ne!(code, Some(0), "{text}");
}

#[tokio::test]
async fn deleting_the_last_audit_entries_is_detected_on_sqlite() {
    let server = TestServer::start();
    audit_tail_flow(&server, None).await;
}

#[tokio::test]
async fn deleting_the_last_audit_entries_is_detected_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg
        .create_database("hardening_audit_tail")
        .expect("database");
    let server = TestServer::start_on_postgres(&db, &[]);
    audit_tail_flow(&server, Some(&db)).await;
}

#[tokio::test]
async fn an_admin_change_and_its_audit_entry_are_one_transaction() {
    let server = TestServer::start();
    // The audit refuses every new entry (as a full disk or a broken table would).
    raw_sql(
        &server,
        None,
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit refused'); END;",
    )
    .await;
    let out = server.admin(&["user", "disable", "yq-clerk"]);
    assert!(
        !out.status.success(),
        "the change fails with its audit entry"
    );
    raw_sql(&server, None, "DROP TRIGGER refuse_audit;").await;
    // The user was not disabled without a record of it.
    login_as(&server, "yq-clerk").await;
}

#[tokio::test]
async fn a_dispatch_is_audited_with_its_content_hash_and_recipients_and_classified_reads_too() {
    let server = TestServer::start();
    let fgw = login_as(&server, "fgw-clerk").await;
    let doc_id = uuid::Uuid::new_v4().to_string();
    // To units with a reader cleared for 机密 (a 分发 to one without is refused): 档案馆
    // (its archivist; its clerk reads 非密 only) and 市政府办公室.
    let mut cmd = dispatch_json(&uuid::Uuid::new_v4().to_string(), &doc_id, "secret");
    cmd["main"] = serde_json::json!(["sz-daj"]);
    cmd["cc"] = serde_json::json!(["sz-gov"]);
    let body = serde_json::json!({ "commands": [cmd] }).to_string();
    let out = push_text(&server, &fgw, body).await;
    assert_eq!(out[0].result, CommandResult::Accepted);
    let rows = audit_rows(&server);
    let (_, _, detail) = rows
        .iter()
        .find(|(a, _, _)| a == "command dispatch")
        .expect("the dispatch is audited");
    let detail: serde_json::Value = serde_json::from_str(detail).unwrap();
    assert_eq!(detail["content_hash"].as_str().map(str::len), Some(64));
    assert_eq!(detail["main"], serde_json::json!(["sz-daj"]));
    assert_eq!(detail["cc"], serde_json::json!(["sz-gov"]));

    // daj-clerk (cleared for 非密 only) is refused the 机密 document; fgw-leader reads it.
    let daj = login_as(&server, "daj-clerk").await;
    let r = http()
        .get(format!("{}/v1/documents/{doc_id}", server.url))
        .bearer_auth(&daj)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let leader = login_as(&server, "fgw-leader").await;
    let r = http()
        .get(format!("{}/v1/documents/{doc_id}", server.url))
        .bearer_auth(&leader)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let reads: Vec<_> = audit_rows(&server)
        .into_iter()
        .filter(|(a, _, _)| a.starts_with("document read"))
        .map(|(a, u, d)| (a, u, serde_json::from_str::<serde_json::Value>(&d).unwrap()))
        .collect();
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert_eq!(reads[0].1, "daj-clerk");
    assert_eq!(reads[0].2["result"], "refused");
    assert_eq!(reads[1].1, "fgw-leader");
    assert_eq!(reads[1].2["result"], "read");
    assert_eq!(reads[1].2["document_id"], doc_id);
    assert_eq!(reads[1].2["classification"], "secret");

    // An unclassified document's reads are not audited.
    let open_id = uuid::Uuid::new_v4().to_string();
    let cmd = dispatch_json(&uuid::Uuid::new_v4().to_string(), &open_id, "unclassified");
    let body = serde_json::json!({ "commands": [cmd] }).to_string();
    push_text(&server, &fgw, body).await;
    let tjj = login_as(&server, "tjj-clerk").await;
    let r = http()
        .get(format!("{}/v1/documents/{open_id}", server.url))
        .bearer_auth(&tjj)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let reads = audit_rows(&server)
        .into_iter()
        .filter(|(a, _, _)| a.starts_with("document read"))
        .count();
    assert_eq!(reads, 2);
}

// ---------------------------------------------------------------------------------
// Idempotency across builds

/// A retry is matched on the JSON the client sent (keys sorted), not on this build's
/// re-serialisation of it. A build's types decide which fields survive parsing: this
/// build does not know `filed_under`, a build that does would see the two sends below
/// as different commands. Before, this build answered the second send with the first
/// one's outcome only because it dropped the field — the answer depended on the build.
/// Now it is `id_reused` on every build, and re-ordered keys are still the same command.
#[tokio::test]
async fn a_retry_is_matched_on_the_json_sent_not_on_this_builds_types() {
    let server = TestServer::start();
    let fgw = login_as(&server, "fgw-clerk").await;
    let id = uuid::Uuid::new_v4().to_string();
    let doc_id = uuid::Uuid::new_v4().to_string();
    let mut with_new_field = dispatch_json(&id, &doc_id, "unclassified");
    with_new_field["document"]["filed_under"] = serde_json::json!("2026-发改-12");
    let stored = serde_json::json!({ "commands": [with_new_field] }).to_string();
    let first = push_text(&server, &fgw, stored.clone()).await.remove(0);
    assert_eq!(first.result, CommandResult::Accepted);

    // The stored bytes again, and with keys re-ordered and spaced: the original outcome.
    let again = push_text(&server, &fgw, stored.clone()).await.remove(0);
    assert_eq!(again, first);
    let reordered: serde_json::Value = serde_json::from_str(&stored).unwrap();
    let reordered = reorder(&reordered);
    let again = push_text(&server, &fgw, reordered).await.remove(0);
    assert_eq!(again, first);

    // Without the field the server does not know: another command under the same id.
    let mut without = with_new_field.clone();
    without["document"]
        .as_object_mut()
        .unwrap()
        .remove("filed_under");
    let body = serde_json::json!({ "commands": [without] }).to_string();
    let other = push_text(&server, &fgw, body).await.remove(0);
    assert_eq!(reject_code(&other).as_deref(), Some("id_reused"));
}

/// The same JSON with every object's keys in reverse order and spaces between tokens.
fn reorder(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            keys.reverse();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{} : {}",
                        serde_json::to_string(k).unwrap(),
                        reorder(&map[k.as_str()])
                    )
                })
                .collect();
            format!("{{ {} }}", parts.join(" , "))
        }
        serde_json::Value::Array(items) => format!(
            "[ {} ]",
            items.iter().map(reorder).collect::<Vec<_>>().join(" , ")
        ),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------
// PostgreSQL TLS

fn admin_on(database: &str, env: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(common::binary());
    for (k, _) in std::env::vars() {
        if k.starts_with("GONGWEN_EXCHANGE_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .envs(env.iter().copied())
        .args(["admin", "--data"])
        .arg(dir.path())
        .args(["--database", database, "unit", "list"])
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_remote_database_without_tls_is_refused_and_a_query_password_is_not_shown() {
    // `.invalid` never resolves: a refusal must come before any connection.
    for mode in ["disable", "prefer"] {
        let url = format!("postgres://gw@db.example.invalid/gw?password=hunter2&sslmode={mode}");
        let (ok, text) = admin_on(&url, &[]);
        assert!(!ok, "{text}");
        assert!(text.contains(&format!("sslmode={mode}")), "{text}");
        assert!(text.contains("database_allow_insecure"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
    // With the explicit flag it is allowed, and fails only on connecting.
    let url = "postgres://gw@db.example.invalid/gw?sslmode=disable&password=hunter2";
    let (ok, text) = admin_on(url, &[("GONGWEN_EXCHANGE_DATABASE_ALLOW_INSECURE", "true")]);
    assert!(!ok, "{text}");
    assert!(!text.contains("database_allow_insecure"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

// ---------------------------------------------------------------------------------
// Directory and role reads

#[tokio::test]
async fn the_directory_gives_units_and_names_not_roles_and_clearances() {
    let server = TestServer::start();
    let token = login_as(&server, "yq-clerk").await;
    let r = http()
        .get(format!("{}/v1/directory", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let dir: serde_json::Value = r.json().await.unwrap();
    assert_eq!(dir["units"].as_array().map(Vec::len), Some(5));
    let users = dir["users"].as_array().expect("users");
    let leader = users
        .iter()
        .find(|u| u["username"] == "fgw-leader")
        .expect("fgw-leader listed");
    assert_eq!(leader["display_name"], "李华");
    assert_eq!(leader["unit"], "sz-fgw");
    for u in users {
        assert!(
            u.get("role").is_none() && u.get("clearance").is_none(),
            "{u}"
        );
    }
}

#[tokio::test]
async fn the_admin_role_reads_no_documents_and_the_archivist_reads_its_units() {
    let server = TestServer::start();
    // A document sent to sz-gov (the admin's unit) and one to sz-daj.
    let fgw = login_as(&server, "fgw-clerk").await;
    let gov_doc = uuid::Uuid::new_v4().to_string();
    let mut cmd = dispatch_json(&uuid::Uuid::new_v4().to_string(), &gov_doc, "unclassified");
    cmd["main"] = serde_json::json!(["sz-gov", "sz-daj"]);
    cmd["cc"] = serde_json::json!([]);
    let out = push_text(
        &server,
        &fgw,
        serde_json::json!({ "commands": [cmd] }).to_string(),
    )
    .await;
    assert_eq!(out[0].result, CommandResult::Accepted);

    let admin = login_as(&server, "admin").await;
    let archivist = login_as(&server, "daj-archivist").await;
    let get = |token: String, path: String| {
        let url = format!("{}{path}", server.url);
        async move { http().get(url).bearer_auth(token).send().await.unwrap() }
    };
    for path in [
        "/v1/changes?after=0".to_string(),
        format!("/v1/documents/{gov_doc}"),
        format!("/v1/blobs/{}", "cd".repeat(32)),
    ] {
        let r = get(admin.clone(), path.clone()).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "admin {path}");
    }
    for path in ["/v1/me", "/v1/directory"] {
        let r = get(admin.clone(), path.to_string()).await;
        assert_eq!(r.status(), StatusCode::OK, "admin {path}");
    }
    let r = get(archivist.clone(), "/v1/changes?after=0".into()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page: serde_json::Value = r.json().await.unwrap();
    assert_eq!(page["changes"].as_array().map(Vec::len), Some(1));
    let r = get(archivist, format!("/v1/documents/{gov_doc}")).await;
    assert_eq!(r.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------------
// Tokens

#[tokio::test]
async fn expired_tokens_are_purged_at_login() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_TOKEN_TTL_SECS", "1")]);
    login_as(&server, "fgw-clerk").await;
    login_as(&server, "tjj-clerk").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    login_as(&server, "yq-clerk").await;
    let conn = rusqlite::Connection::open(server.db_path()).unwrap();
    let users: Vec<String> = conn
        .prepare("SELECT username FROM tokens ORDER BY username")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(users, ["yq-clerk"]);
}
