//! The server refuses what must not leave a desk, whatever a client sends (commands
//! pushed by hand over HTTP, as an attacker or a broken client would): a 分发 of a
//! document with validation errors, and a 分发 to a unit where no active user may read
//! the document's 密级 (the whole dispatch, naming the unit). The directory tells
//! clients, per unit, the highest clearance of its readers, never a user's. On SQLite
//! and PostgreSQL.

#[path = "common/api.rs"]
mod api;
mod common;

use api::{changes_of, http, login_as, push_json, rejection};
use common::TestServer;
use gongwen_core::wire::{CommandOutcome, CommandResult, RejectCode};

fn dispatch(document: serde_json::Value, main: &[&str], cc: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "type": "dispatch",
        "document_id": uuid::Uuid::new_v4().to_string(),
        "document": document,
        "main": main,
        "cc": cc,
    })
}

/// A 函 with every element validation asks for, at `classification`.
fn letter(classification: &str) -> serde_json::Value {
    let mut d = serde_json::json!({
        "kind": "letter",
        "direction": "lateral",
        "title": "宿州市发展和改革委员会关于商请提供统计资料的函",
        "classification": classification,
        "issuer_mark": ["宿州市发展和改革委员会"],
        "doc_number": "宿发改函〔2026〕3号",
        "main_recipients": ["宿州市统计局"],
        "body": "请于月底前提供有关统计资料。",
        "issuer_signature": ["宿州市发展和改革委员会"],
        "date_of_issue": "2026年11月25日",
    });
    if classification != "unclassified" {
        d["copy_number"] = "000001".into();
        d["secrecy_term"] = "5年".into();
    }
    d
}

fn refusal(outcome: &CommandOutcome) -> (RejectCode, String, String) {
    let r = rejection(outcome);
    (r.code, r.message.clone(), r.message_en.clone())
}

async fn nothing_arrived(server: &TestServer, username: &str) {
    let changes = changes_of(server, username).await;
    assert!(changes.is_empty(), "{username}: {changes:?}");
}

async fn half_made_documents_are_refused(server: &TestServer) {
    let fgw = login_as(server, "fgw-clerk").await;
    // A brand-new 函: no title, no body.
    let blank = serde_json::json!({ "kind": "letter", "direction": "lateral" });
    let out = push_json(server, &fgw, dispatch(blank, &["sz-tjj"], &[])).await;
    let (code, zh, en) = refusal(&out);
    assert_eq!(code, RejectCode::Invalid);
    assert!(zh.contains("不能分发"), "{zh}");
    assert!(
        zh.contains("标题：缺少标题") && zh.contains("正文：正文为空"),
        "{zh}"
    );
    assert!(en.contains("the title is missing"), "{en}");
    nothing_arrived(server, "tjj-clerk").await;
    // The same letter, complete, goes.
    let out = push_json(
        server,
        &fgw,
        dispatch(letter("unclassified"), &["sz-tjj"], &[]),
    )
    .await;
    assert_eq!(out.result, CommandResult::Accepted);
}

async fn units_nobody_may_read_at_are_refused_and_named(server: &TestServer) {
    let fgw = login_as(server, "fgw-clerk").await;
    // 埇桥区 (yq-gov) has one user, cleared for 非密 only.
    let out = push_json(
        server,
        &fgw,
        dispatch(letter("confidential"), &["sz-tjj"], &["yq-gov"]),
    )
    .await;
    let (code, zh, en) = refusal(&out);
    assert_eq!(code, RejectCode::Invalid);
    assert!(zh.contains("“yq-gov”") && zh.contains("秘密"), "{zh}");
    assert!(en.contains("yq-gov"), "{en}");
    // The whole dispatch was refused: 市统计局 received nothing either.
    nothing_arrived(server, "tjj-clerk").await;
    nothing_arrived(server, "yq-clerk").await;

    // A disabled user does not count: 市统计局's readers disabled, 非密 is refused too.
    for user in ["tjj-clerk", "tjj-director"] {
        let out = server.admin(&["user", "disable", user]);
        assert!(out.status.success(), "{out:?}");
    }
    let out = push_json(
        server,
        &fgw,
        dispatch(letter("unclassified"), &["sz-tjj"], &[]),
    )
    .await;
    let (_, zh, _) = refusal(&out);
    assert!(zh.contains("“sz-tjj”"), "{zh}");

    // 档案馆's archivist reads 机密 there (its clerk only 非密): the unit may receive 机密.
    let out = push_json(server, &fgw, dispatch(letter("secret"), &["sz-daj"], &[])).await;
    assert_eq!(out.result, CommandResult::Accepted);
}

async fn the_directory_says_per_unit_how_high_its_readers_are_cleared(server: &TestServer) {
    let token = login_as(server, "yq-clerk").await;
    let dir: serde_json::Value = http()
        .get(format!("{}/v1/directory", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let clearances = dir["clearances"].as_array().expect("clearances");
    let of = |unit: &str| {
        clearances
            .iter()
            .find(|c| c["unit"] == unit)
            .map(|c| c["clearance"].clone())
    };
    assert_eq!(of("sz-fgw"), Some("top_secret".into()));
    assert_eq!(of("yq-gov"), Some("unclassified".into()));
    // 市政府办公室's 秘书长 reads 绝密 (the admin, who reads no document, counts for
    // nothing either way).
    assert_eq!(of("sz-gov"), Some("top_secret".into()));
    assert_eq!(of("sz-daj"), Some("secret".into()));
}

#[tokio::test]
async fn a_dispatch_with_validation_errors_is_refused_on_sqlite() {
    half_made_documents_are_refused(&TestServer::start()).await;
}

#[tokio::test]
async fn a_dispatch_to_a_unit_nobody_may_read_at_is_refused_naming_it_on_sqlite() {
    units_nobody_may_read_at_are_refused_and_named(&TestServer::start()).await;
}

#[tokio::test]
async fn the_directory_gives_each_units_highest_reader_clearance() {
    the_directory_says_per_unit_how_high_its_readers_are_cleared(&TestServer::start()).await;
}

#[tokio::test]
async fn dispatch_rules_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("rules_valid").expect("database");
    half_made_documents_are_refused(&TestServer::start_on_postgres(&db, &[])).await;
    let db = pg.create_database("rules_cleared").expect("database");
    units_nobody_may_read_at_are_refused_and_named(&TestServer::start_on_postgres(&db, &[])).await;
    let db = pg.create_database("rules_directory").expect("database");
    the_directory_says_per_unit_how_high_its_readers_are_cleared(&TestServer::start_on_postgres(
        &db,
        &[],
    ))
    .await;
}
