//! The automatic 催办: a 承办 whose 限办日期 has passed gets one reminder from the
//! server's periodic task, recorded in the trail like a manual 催办 and sent to the
//! units concerned; later passes write no second one.

#[path = "common/api.rs"]
mod api;
mod common;

use api::{http, login_as};
use common::TestServer;
use gongwen_core::flow::StepId;
use gongwen_core::handling::{Handling, Participant, StepAction, SYSTEM_ACTOR};
use gongwen_core::wire::{
    ChangeEntry, ChangesPage, Command, CommandBody, CommandId, CommandResult, PushResponse,
};
use gongwen_core::{DocumentFile, DocumentId};

async fn accepted(server: &TestServer, username: &str, body: CommandBody) {
    let token = login_as(server, username).await;
    let command = Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body,
    };
    let r: PushResponse = http()
        .post(format!("{}/v1/commands", server.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "commands": [command] }))
        .send()
        .await
        .expect("push")
        .json()
        .await
        .expect("outcomes");
    if let CommandResult::Rejected { rejection } = &r.outcomes[0].result {
        panic!("{username}: refused: {}", rejection.message_en);
    }
}

fn step(id: DocumentId, step: &str, action: StepAction, deadline: Option<&str>) -> CommandBody {
    CommandBody::Step {
        document_id: id,
        step: StepId::from(step),
        action,
        opinion: None,
        document: None,
        publicity: None,
        deadline: deadline.map(String::from),
    }
}

fn finish(next: Option<&str>, participants: Vec<Participant>) -> StepAction {
    StepAction::Finish {
        next: next.map(StepId::from),
        participants,
    }
}

async fn handling_seen_by(server: &TestServer, username: &str, id: DocumentId) -> Handling {
    let token = login_as(server, username).await;
    let page: ChangesPage = http()
        .get(format!("{}/v1/changes?after=0&limit=1000", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("changes")
        .json()
        .await
        .expect("page");
    page.changes
        .iter()
        .rev()
        .find_map(|c| match &c.entry {
            ChangeEntry::Handling {
                document_id,
                handling,
                ..
            } if *document_id == id && handling.unit.0 == "sz-gov" => Some((**handling).clone()),
            _ => None,
        })
        .expect("a handling")
}

fn system_reminders(h: &Handling) -> usize {
    h.trail
        .iter()
        .filter(|e| e.by == SYSTEM_ACTOR && matches!(e.action, StepAction::Remind { .. }))
        .count()
}

async fn overdue(server: &TestServer, storage: &dyn gongwen_exchange::storage::Storage) {
    // 市发改委 sends a request; 市政府办公室 signs for it and handles it up to 承办, with
    // a 限办日期 already past.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/demo/17-request-straw-subsidy.toml"
    ))
    .expect("demo file");
    let document = DocumentFile::from_toml(&text).expect("valid").document;
    let id = DocumentId(uuid::Uuid::new_v4());
    accepted(
        server,
        "fgw-clerk",
        CommandBody::Dispatch {
            document_id: id,
            document: Box::new(document),
            main: vec!["sz-gov".into()],
            cc: vec![],
        },
    )
    .await;
    accepted(
        server,
        "szgov-clerk",
        CommandBody::Acknowledge { document_id: id },
    )
    .await;
    accepted(
        server,
        "szgov-clerk",
        step(id, "register", finish(None, vec![]), None),
    )
    .await;
    accepted(
        server,
        "szgov-clerk",
        step(id, "screen", finish(Some("propose"), vec![]), None),
    )
    .await;
    accepted(
        server,
        "szgov-director",
        step(id, "propose", finish(None, vec![]), None),
    )
    .await;
    accepted(
        server,
        "szgov-leader",
        step(
            id,
            "instruct",
            finish(None, vec![Participant::Unit("sz-tjj".into())]),
            Some("2026-01-05"),
        ),
    )
    .await;

    // The server's pass (every second here) writes the reminder; wait for it.
    let mut h = handling_seen_by(server, "szgov-clerk", id).await;
    for _ in 0..600 {
        if system_reminders(&h) > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        h = handling_seen_by(server, "szgov-clerk", id).await;
    }
    assert_eq!(h.step.as_str(), "handle");
    assert_eq!(system_reminders(&h), 1, "{:#?}", h.trail);
    let r = h.trail.last().expect("trail");
    assert_eq!(r.kind.label(), "催办");
    assert!(
        r.result
            .as_deref()
            .unwrap_or_default()
            .contains("已超过限办日期2026-01-05"),
        "{r:?}"
    );
    // The 承办 unit hears of it too.
    let token = login_as(server, "tjj-clerk").await;
    let page: ChangesPage = http()
        .get(format!("{}/v1/changes?after=0&limit=1000", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("changes")
        .json()
        .await
        .expect("page");
    assert!(page.changes.iter().any(|c| matches!(&c.entry,
        ChangeEntry::Handling { handling, .. } if system_reminders(handling) == 1)));

    // Another pass, here run by hand on the server's database, writes no second one.
    let written = gongwen_exchange::reminders::remind_overdue(storage, &Default::default())
        .await
        .expect("a pass");
    assert_eq!(written, 0);
    let h = handling_seen_by(server, "szgov-clerk", id).await;
    assert_eq!(system_reminders(&h), 1, "{:#?}", h.trail);
}

#[tokio::test]
async fn an_overdue_handling_is_reminded_once_on_sqlite() {
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_REMIND_INTERVAL_SECS", "1")]);
    let storage = gongwen_exchange::storage::sqlite::SqliteStorage::open(server.db_path())
        .expect("the server's database");
    overdue(&server, &storage).await;
}

#[tokio::test]
async fn an_overdue_handling_is_reminded_once_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("reminders").expect("database");
    let server =
        TestServer::start_on_postgres(&db, &[("GONGWEN_EXCHANGE_REMIND_INTERVAL_SECS", "1")]);
    let storage = gongwen_exchange::storage::postgres::PostgresStorage::connect(&db)
        .await
        .expect("the server's database");
    overdue(&server, &storage).await;
}
