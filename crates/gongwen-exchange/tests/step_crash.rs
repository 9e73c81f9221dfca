//! A crash of the server while clients take steps: the server is killed (SIGKILL)
//! in the middle of a stream of steps and started again on the same data. Every step a
//! client saw accepted is in its document's trail exactly once, in order, and nothing
//! else is: a step whose answer was lost is sent again with the same command id and is
//! not recorded twice, and a re-send of an answered step changes nothing. On SQLite and
//! on PostgreSQL.

#[path = "common/api.rs"]
mod api;
mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use api::{http, login_as};
use common::TestServer;
use gongwen_core::flow::StepId;
use gongwen_core::handling::StepAction;
use gongwen_core::wire::{
    ChangeEntry, ChangesPage, Command, CommandBody, CommandId, CommandResult, PushResponse,
};
use gongwen_core::{DocumentFile, DocumentId};

const CLIENTS: usize = 8;
const STEPS: usize = 30;

fn review(id: DocumentId, opinion: &str) -> CommandBody {
    CommandBody::Step {
        document_id: id,
        step: StepId::from("review"),
        // 核稿 may be taken again (多级核稿): one document takes any number of them.
        action: StepAction::Finish {
            next: Some(StepId::from("review")),
            participants: vec![],
        },
        opinion: Some(opinion.to_string()),
        document: None,
        publicity: None,
        deadline: None,
    }
}

/// Sends a command until the server decides it, with the same id each time (as the
/// outbox does); whether it was accepted.
async fn decided(url: &str, token: &str, command: &Command) -> bool {
    for _ in 0..3000 {
        let sent = http()
            .post(format!("{url}/v1/commands"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "commands": [command] }))
            .send()
            .await;
        if let Ok(r) = sent {
            if r.status().is_success() {
                if let Ok(out) = r.json::<PushResponse>().await {
                    return matches!(out.outcomes[0].result, CommandResult::Accepted);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("command {} was never decided", command.id);
}

async fn crash_while_taking_steps(mut server: TestServer) {
    let clerk = login_as(&server, "fgw-clerk").await;
    let director = login_as(&server, "fgw-director").await;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/demo/17-request-straw-subsidy.toml"
    ))
    .expect("demo file");
    let document = DocumentFile::from_toml(&text).expect("valid").document;
    let mut docs = Vec::new();
    for _ in 0..CLIENTS {
        let id = DocumentId(uuid::Uuid::new_v4());
        let submit = Command {
            id: CommandId(uuid::Uuid::new_v4()),
            body: CommandBody::Step {
                document_id: id,
                step: StepId::from("draft"),
                action: StepAction::Finish {
                    next: None,
                    participants: vec![],
                },
                opinion: None,
                document: Some(Box::new(document.clone())),
                publicity: None,
                deadline: None,
            },
        };
        assert!(decided(&server.url, &clerk, &submit).await, "送审");
        docs.push(id);
    }

    let taken = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = docs
        .iter()
        .map(|&id| {
            let (url, token, taken) = (server.url.clone(), director.clone(), taken.clone());
            tokio::spawn(async move {
                let mut accepted = Vec::new();
                for i in 0..STEPS {
                    let opinion = format!("第{i}次核稿");
                    let command = Command {
                        id: CommandId(uuid::Uuid::new_v4()),
                        body: review(id, &opinion),
                    };
                    if decided(&url, &token, &command).await {
                        accepted.push(opinion);
                    }
                    // Now and then the answer is "lost": the same command again.
                    if i.is_multiple_of(4) {
                        decided(&url, &token, &command).await;
                    }
                    taken.fetch_add(1, Ordering::SeqCst);
                }
                (id, accepted)
            })
        })
        .collect();

    // Kill the server in the middle of the stream, then start it on the same data.
    while taken.load(Ordering::SeqCst) < CLIENTS * STEPS / 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.restart();

    let mut seen = HashMap::new();
    for c in clients {
        let (id, accepted) = c.await.expect("client");
        assert_eq!(accepted.len(), STEPS, "every step was accepted in the end");
        seen.insert(id, accepted);
    }
    // What the unit's log says each trail holds.
    let mut trails: HashMap<DocumentId, Vec<String>> = HashMap::new();
    let mut after = 0;
    loop {
        let page: ChangesPage = http()
            .get(format!(
                "{}/v1/changes?after={after}&limit=1000",
                server.url
            ))
            .bearer_auth(&clerk)
            .send()
            .await
            .expect("changes")
            .json()
            .await
            .expect("page");
        for c in &page.changes {
            if let ChangeEntry::Handling {
                document_id,
                handling,
                ..
            } = &c.entry
            {
                let reviews = handling
                    .trail
                    .iter()
                    .filter(|e| e.step.as_str() == "review")
                    .filter_map(|e| e.opinion.clone())
                    .collect();
                trails.insert(*document_id, reviews);
            }
        }
        after = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    for (id, accepted) in &seen {
        assert_eq!(
            trails.get(id),
            Some(accepted),
            "document {id}: the trail holds each accepted step exactly once"
        );
    }
}

#[tokio::test]
async fn steps_survive_a_server_crash_on_sqlite() {
    crash_while_taking_steps(TestServer::start()).await;
}

#[tokio::test]
async fn steps_survive_a_server_crash_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("step_crash").expect("database");
    crash_while_taking_steps(TestServer::start_on_postgres(&db, &[])).await;
}
