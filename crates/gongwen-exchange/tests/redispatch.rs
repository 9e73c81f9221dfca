//! 重新分发: a returned document is not a dead end. The server accepts a second 分发
//! of a dispatched document only from its sending unit, and only to units whose last
//! state of it is 已退回; that unit receives the new version as a new arrival of the
//! same document. Any other second 分发 is refused and nothing arrives anywhere:
//! without a 退回, to another unit, to a unit that signed it in, from another unit.
//! Commands are pushed by hand over HTTP, as a broken or hostile client would. On
//! SQLite and PostgreSQL.

#[path = "common/api.rs"]
mod api;
mod common;

use api::{changes_of, login_as, push_json, rejection};
use common::TestServer;
use gongwen_core::wire::{CommandOutcome, CommandResult, RejectCode};

fn dispatch(
    id: uuid::Uuid,
    document: &serde_json::Value,
    main: &[&str],
    cc: &[&str],
) -> serde_json::Value {
    serde_json::json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "type": "dispatch",
        "document_id": id.to_string(),
        "document": document,
        "main": main,
        "cc": cc,
    })
}

/// A complete 函 from 市发改委 to 市统计局.
fn letter(body: &str) -> serde_json::Value {
    serde_json::json!({
        "kind": "letter",
        "direction": "lateral",
        "title": "宿州市发展和改革委员会关于商请提供统计资料的函",
        "issuer_mark": ["宿州市发展和改革委员会"],
        "doc_number": "宿发改函〔2026〕3号",
        "main_recipients": ["宿州市统计局"],
        "body": body,
        "issuer_signature": ["宿州市发展和改革委员会"],
        "date_of_issue": "2026年11月25日",
    })
}

fn refused(outcome: &CommandOutcome) -> (RejectCode, String) {
    let r = rejection(outcome);
    (r.code, r.message.clone())
}

/// The entries of a user's unit log: (type, the document's body text if it carries one).
async fn log_of(server: &TestServer, username: &str) -> Vec<(String, String)> {
    changes_of(server, username)
        .await
        .iter()
        .map(|c| {
            let body = c["document"]["body"].to_string();
            (c["type"].as_str().unwrap_or_default().to_string(), body)
        })
        .collect()
}

fn received(log: &[(String, String)]) -> Vec<&str> {
    log.iter()
        .filter(|(t, _)| t == "received")
        .map(|(_, b)| b.as_str())
        .collect()
}

async fn a_returned_document_goes_again_only_to_the_unit_that_returned_it(server: &TestServer) {
    let fgw = login_as(server, "fgw-clerk").await;
    let tjj = login_as(server, "tjj-clerk").await;
    let yq = login_as(server, "yq-clerk").await;
    let id = uuid::Uuid::new_v4();
    let first = letter("请于月底前提供有关统计资料。");
    let revised = letter("请于月底前按新口径提供有关统计资料。");
    let out = push_json(server, &fgw, dispatch(id, &first, &["sz-tjj"], &["yq-gov"])).await;
    assert_eq!(out.result, CommandResult::Accepted);

    // Not returned yet: a second 分发 is refused.
    let (code, zh) =
        refused(&push_json(server, &fgw, dispatch(id, &revised, &["sz-tjj"], &[])).await);
    assert_eq!(code, RejectCode::InvalidState);
    assert!(zh.contains("只能重新分发给退回该公文的单位"), "{zh}");

    // 市统计局 returns it with a reason.
    let ret = serde_json::json!({
        "id": uuid::Uuid::new_v4().to_string(), "type": "return",
        "document_id": id.to_string(), "reason": "请补充统计口径",
    });
    assert_eq!(
        push_json(server, &tjj, ret).await.result,
        CommandResult::Accepted
    );
    // 埇桥区 signs it in.
    let ack = serde_json::json!({
        "id": uuid::Uuid::new_v4().to_string(), "type": "acknowledge",
        "document_id": id.to_string(),
    });
    assert_eq!(
        push_json(server, &yq, ack).await.result,
        CommandResult::Accepted
    );

    // Refused: to the unit that signed it in, to a unit it was never sent to, and from
    // another unit (the one that returned it, sending it on).
    let (code, zh) =
        refused(&push_json(server, &fgw, dispatch(id, &revised, &["yq-gov"], &[])).await);
    assert_eq!(code, RejectCode::InvalidState);
    assert!(zh.contains("“yq-gov”已签收"), "{zh}");
    let (code, zh) =
        refused(&push_json(server, &fgw, dispatch(id, &revised, &["sz-gov"], &[])).await);
    assert_eq!(code, RejectCode::InvalidState);
    assert!(zh.contains("“sz-gov”"), "{zh}");
    let (code, _) =
        refused(&push_json(server, &tjj, dispatch(id, &revised, &["yq-gov"], &[])).await);
    assert_eq!(code, RejectCode::InvalidState);
    let szgov = log_of(server, "szgov-clerk").await;
    assert!(szgov.is_empty(), "nothing reached 市政府办公室: {szgov:?}");
    assert_eq!(received(&log_of(server, "yq-clerk").await).len(), 1);
    assert_eq!(received(&log_of(server, "tjj-clerk").await).len(), 1);

    // Lists a hostile client might send are refused whole, and nothing arrives: the
    // returning unit twice, in 主送 and in 抄送 at once, and thousands of units.
    let twice = dispatch(id, &revised, &["sz-tjj", "sz-tjj"], &[]);
    let (code, zh) = refused(&push_json(server, &fgw, twice).await);
    assert_eq!(code, RejectCode::Invalid, "{zh}");
    let both = dispatch(id, &revised, &["sz-tjj"], &["sz-tjj"]);
    let (code, zh) = refused(&push_json(server, &fgw, both).await);
    assert_eq!(code, RejectCode::Invalid, "{zh}");
    let many: Vec<String> = (0..5000).map(|i| format!("unit-{i:04}")).collect();
    let many: Vec<&str> = std::iter::once("sz-tjj")
        .chain(many.iter().map(String::as_str))
        .collect();
    let (_, zh) = refused(&push_json(server, &fgw, dispatch(id, &revised, &many, &[])).await);
    assert!(
        zh.chars().count() < 200,
        "the refusal names what was wrong, not the whole list: {} chars",
        zh.chars().count()
    );
    assert_eq!(received(&log_of(server, "tjj-clerk").await).len(), 1);

    // Accepted: the revised version to 市统计局, which returned it.
    let out = push_json(server, &fgw, dispatch(id, &revised, &["sz-tjj"], &[])).await;
    assert_eq!(out.result, CommandResult::Accepted, "{out:?}");
    let tjj_log = log_of(server, "tjj-clerk").await;
    let arrivals = received(&tjj_log);
    assert_eq!(arrivals.len(), 2, "{tjj_log:?}");
    assert!(arrivals[1].contains("按新口径"), "{}", arrivals[1]);
    // 埇桥区 signed the first version in; it gets nothing new.
    assert_eq!(received(&log_of(server, "yq-clerk").await).len(), 1);
    // The sender's log records the second 分发, with 市统计局 at 已送达 again.
    let fgw_log = log_of(server, "fgw-clerk").await;
    let sent: Vec<_> = fgw_log.iter().filter(|(t, _)| t == "sent").collect();
    assert_eq!(sent.len(), 2, "{fgw_log:?}");
    assert!(sent[1].1.contains("按新口径"));

    // 市统计局 may answer the new version; a third send is refused again.
    let (code, _) =
        refused(&push_json(server, &fgw, dispatch(id, &revised, &["sz-tjj"], &[])).await);
    assert_eq!(code, RejectCode::InvalidState);
    let ack = serde_json::json!({
        "id": uuid::Uuid::new_v4().to_string(), "type": "acknowledge",
        "document_id": id.to_string(),
    });
    assert_eq!(
        push_json(server, &tjj, ack).await.result,
        CommandResult::Accepted
    );
}

#[tokio::test]
async fn a_returned_document_is_dispatched_again_only_to_the_unit_that_returned_it_on_sqlite() {
    a_returned_document_goes_again_only_to_the_unit_that_returned_it(&TestServer::start()).await;
}

#[tokio::test]
async fn a_returned_document_is_dispatched_again_only_to_the_unit_that_returned_it_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("redispatch").expect("database");
    a_returned_document_goes_again_only_to_the_unit_that_returned_it(
        &TestServer::start_on_postgres(&db, &[]),
    )
    .await;
}
