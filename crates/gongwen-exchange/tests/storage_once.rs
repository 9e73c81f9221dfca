//! A dispatch stores the document's content once, against a real server process on
//! 127.0.0.1 with a real SQLite file: every recipient pulls it whole, entries written
//! whole by earlier builds are still served after the schema migration, and a backup
//! carries the stored contents. (Both engines at the storage level: the conformance
//! case `content_is_stored_once_per_dispatch`.)

#[path = "common/api.rs"]
mod api;
mod common;

use api::{http, login_as};
use common::TestServer;
use gongwen_core::wire::{
    ChangeEntry, ChangesPage, Command, CommandBody, CommandId, CommandResult, PushResponse,
    UnitCode,
};
use gongwen_core::{Body, Document, DocumentId};
use reqwest::StatusCode;

/// A 通知 of about 200 KB of body text.
fn big_document(title: &str) -> Document {
    let text: Vec<String> = (0..800)
        .map(|i| {
            format!(
                "第{i}段：{}",
                "各县区统计部门要按时报送季度数据。".repeat(5)
            )
        })
        .collect();
    Document {
        title: title.into(),
        issuer_mark: vec!["宿州市发展和改革委员会文件".into()],
        doc_number: "宿发改〔2026〕30号".into(),
        body: Body::from_text(&text.join("\n")),
        main_recipients: vec!["宿州市统计局".into()],
        issuer_signature: vec!["宿州市发展和改革委员会".into()],
        date_of_issue: "2026年11月25日".into(),
        ..Document::default()
    }
}

const RECIPIENTS: [&str; 4] = ["sz-tjj", "yq-gov", "sz-gov", "sz-daj"];
/// A user of each recipient unit who reads its log.
const READERS: [&str; 4] = ["tjj-clerk", "yq-clerk", "szgov-clerk", "daj-clerk"];

/// fgw-clerk dispatches `doc` to the four recipient units.
async fn dispatch(server: &TestServer, doc: &Document) -> DocumentId {
    let token = login_as(server, "fgw-clerk").await;
    let document_id = DocumentId(uuid::Uuid::new_v4());
    let command = Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body: CommandBody::Dispatch {
            document_id,
            document: Box::new(doc.clone()),
            main: RECIPIENTS[..2].iter().map(|u| UnitCode::from(*u)).collect(),
            cc: RECIPIENTS[2..].iter().map(|u| UnitCode::from(*u)).collect(),
        },
    };
    let r = http()
        .post(format!("{}/v1/commands", server.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "commands": [command] }))
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), StatusCode::OK);
    let outcomes = r.json::<PushResponse>().await.expect("outcomes").outcomes;
    assert!(
        matches!(outcomes[0].result, CommandResult::Accepted),
        "{outcomes:?}"
    );
    document_id
}

/// The changes page of `username` from the start, as the bytes the server sent.
async fn page_text(server: &TestServer, username: &str) -> (StatusCode, String) {
    let token = login_as(server, username).await;
    let r = http()
        .get(format!("{}/v1/changes?after=0", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("changes");
    (r.status(), r.text().await.expect("page text"))
}

/// The document the one `received` entry of a page carries.
fn received(page: &str) -> Document {
    let page: ChangesPage = serde_json::from_str(page).expect("a changes page");
    assert_eq!(page.changes.len(), 1, "{page:?}");
    match &page.changes[0].entry {
        ChangeEntry::Received { document, .. } => (**document).clone(),
        other => panic!("not a received entry: {other:?}"),
    }
}

fn db_number(server: &TestServer, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(server.db_path()).expect("open the server's database");
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatch_is_stored_once_and_every_recipient_pulls_it_whole() {
    let server = TestServer::start();
    let doc = big_document("关于报送2026年第四季度统计数据的通知");
    let doc_chars = serde_json::to_string(&doc).unwrap().chars().count() as i64;
    dispatch(&server, &doc).await;

    assert_eq!(db_number(&server, "SELECT COUNT(*) FROM log_contents"), 1);
    assert_eq!(
        db_number(&server, "SELECT SUM(LENGTH(content)) FROM log_contents"),
        doc_chars
    );
    let entries = db_number(&server, "SELECT SUM(LENGTH(entry)) FROM log");
    assert!(
        entries < doc_chars,
        "the five log entries hold {entries} characters, the document alone {doc_chars}"
    );
    for reader in READERS {
        let (status, text) = page_text(&server, reader).await;
        assert_eq!(status, StatusCode::OK, "{reader}");
        assert_eq!(received(&text), doc, "{reader} gets the document whole");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_written_whole_by_an_earlier_build_are_served_after_the_migration() {
    let mut server = TestServer::start();
    let doc = big_document("关于开展统计执法检查的通知");
    dispatch(&server, &doc).await;
    let mut before = Vec::new();
    for reader in ["fgw-clerk", "tjj-clerk", "daj-clerk"] {
        let (status, text) = page_text(&server, reader).await;
        assert_eq!(status, StatusCode::OK);
        before.push(text);
    }
    server.terminate();

    // Back to the schema before this migration (version 4: before log_contents, and
    // before the 文号 series of migration 6, the delegations of migration 7, the
    // units' short names of migration 8, the transfers of migration 9 and the flow
    // versions of migration 10), with every entry whole, as an earlier build left it.
    let conn = rusqlite::Connection::open(server.db_path()).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        version, 10,
        "this test undoes migrations 10, 9, 8, 7, 6 and 5"
    );
    conn.execute_batch(
        r#"
DROP TABLE flow_versions;
DROP TABLE transfer_items;
DROP TABLE transfers;
ALTER TABLE units DROP COLUMN short_name;
DROP TABLE delegations;
DROP TABLE number_series;
DROP TABLE number_register;
UPDATE log SET
    entry = substr(entry, 1, instr(entry, '"document":null') - 1) || '"document":' ||
            (SELECT content FROM log_contents c
             WHERE c.document_id = log.document_id AND c.content_hash = log.content_hash) ||
            substr(entry, instr(entry, '"document":null') + length('"document":null')),
    document_id = NULL, content_hash = NULL
WHERE document_id IS NOT NULL;
DROP TABLE log_contents;
ALTER TABLE log DROP COLUMN document_id;
ALTER TABLE log DROP COLUMN content_hash;
"#,
    )
    .unwrap();
    conn.pragma_update(None, "user_version", 4).unwrap();
    drop(conn);

    server.restart();
    for (reader, before) in ["fgw-clerk", "tjj-clerk", "daj-clerk"].iter().zip(&before) {
        let (status, text) = page_text(&server, reader).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&text, before, "{reader}: the same bytes as before");
    }
    // Migrated, and the old entries were left as they were.
    assert_eq!(db_number(&server, "SELECT COUNT(*) FROM log_contents"), 0);
    assert_eq!(
        db_number(
            &server,
            "SELECT COUNT(*) FROM log WHERE document_id IS NULL"
        ),
        5
    );
    // A new dispatch after the migration refers to its content.
    dispatch(&server, &big_document("关于召开统计工作会议的通知")).await;
    assert_eq!(db_number(&server, "SELECT COUNT(*) FROM log_contents"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_carries_the_stored_contents() {
    let mut server = TestServer::start();
    let doc = big_document("关于报送第一季度统计数据的通知");
    dispatch(&server, &doc).await;
    let backup = tempfile::tempdir().expect("backup folder");
    let dir = backup.path().join("2026-12-07");
    let out = server.admin(&["backup", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Without its stored contents the log cannot be served …
    server.terminate();
    let conn = rusqlite::Connection::open(server.db_path()).unwrap();
    conn.execute("DELETE FROM log_contents", []).unwrap();
    drop(conn);
    server.restart();
    let (status, _) = page_text(&server, "tjj-clerk").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);

    // … and the restored backup has them.
    server.terminate();
    let out = server.admin(&["restore", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.restart();
    for reader in READERS {
        let (status, text) = page_text(&server, reader).await;
        assert_eq!(status, StatusCode::OK, "{reader}");
        assert_eq!(received(&text), doc, "{reader}");
    }
}
