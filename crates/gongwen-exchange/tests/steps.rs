//! The steps of a unit's 发文 and 收文 flow, decided by a real server process over
//! HTTP, on SQLite and on PostgreSQL: the story of the workflow issue as far as the
//! server goes, the race of two leaders, and refusals that record nothing.

#[path = "common/api.rs"]
mod api;
mod common;

use api::{http, login_as};
use common::TestServer;
use gongwen_core::flow::StepId;
use gongwen_core::handling::{Handling, Participant, Publicity, StepAction};
use gongwen_core::wire::{
    ChangeEntry, ChangesPage, Command, CommandBody, CommandId, CommandResult, PushResponse,
    RejectCode, Rejection,
};
use gongwen_core::{Document, DocumentFile, DocumentId};

fn request() -> Document {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/demo/17-request-straw-subsidy.toml"
    ))
    .expect("demo file");
    let mut doc = DocumentFile::from_toml(&text).expect("valid").document;
    doc.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
    doc.issuer_signature = vec!["宿州市发展和改革委员会".into()];
    doc.doc_number = String::new();
    doc
}

struct Step<'a> {
    id: DocumentId,
    step: &'a str,
    action: StepAction,
    opinion: Option<&'a str>,
    document: Option<Document>,
    publicity: Option<Publicity>,
}

impl<'a> Step<'a> {
    fn new(id: DocumentId, step: &'a str, action: StepAction) -> Step<'a> {
        Step {
            id,
            step,
            action,
            opinion: None,
            document: None,
            publicity: None,
        }
    }
    fn opinion(mut self, text: &'a str) -> Step<'a> {
        self.opinion = Some(text);
        self
    }
    fn body(self) -> CommandBody {
        CommandBody::Step {
            document_id: self.id,
            step: StepId::from(self.step),
            action: self.action,
            opinion: self.opinion.map(String::from),
            document: self.document.map(Box::new),
            publicity: self.publicity,
            deadline: None,
        }
    }
}

fn finish() -> StepAction {
    StepAction::Finish {
        next: None,
        participants: vec![],
    }
}

/// Pushes one command as a user; the server's answer.
async fn push(server: &TestServer, username: &str, body: CommandBody) -> Result<(), Rejection> {
    let token = login_as(server, username).await;
    let command = Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body,
    };
    let r = http()
        .post(format!("{}/v1/commands", server.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "commands": [command] }))
        .send()
        .await
        .expect("push");
    assert!(r.status().is_success(), "push answered {}", r.status());
    let outcome = r.json::<PushResponse>().await.expect("outcomes").outcomes;
    match &outcome[0].result {
        CommandResult::Accepted => Ok(()),
        CommandResult::Rejected { rejection } => Err(rejection.clone()),
    }
}

async fn accepted(server: &TestServer, username: &str, body: CommandBody) {
    if let Err(r) = push(server, username, body).await {
        panic!("{username}: refused: {} ({})", r.message_en, r.message);
    }
}

/// The last handling of the document the user's unit log carries.
async fn handling_seen_by(server: &TestServer, username: &str, id: DocumentId) -> Option<Handling> {
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
    page.changes.iter().rev().find_map(|c| match &c.entry {
        ChangeEntry::Handling {
            document_id,
            handling,
            ..
        } if *document_id == id => Some((**handling).clone()),
        _ => None,
    })
}

async fn outgoing_story(server: &TestServer) {
    let id = DocumentId(uuid::Uuid::new_v4());
    // 送审: the draft reaches the server with the first step.
    let mut submit = Step::new(id, "draft", finish());
    submit.document = Some(request());
    accepted(server, "fgw-clerk", submit.body()).await;

    // Nobody of another unit can touch it, nor read of it; nothing is recorded.
    let e = push(
        server,
        "tjj-director",
        Step::new(id, "review", finish()).body(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, RejectCode::NotFound, "{e:?}");
    assert!(handling_seen_by(server, "tjj-director", id).await.is_none());
    // A clerk may not 核稿.
    let e = push(
        server,
        "fgw-clerk",
        Step::new(id, "review", finish()).body(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, RejectCode::Forbidden, "{e:?}");

    // 核稿 sends it to 会签 by two units; a leader of the unit is 加签.
    let to_countersign = StepAction::Finish {
        next: Some(StepId::from("countersign")),
        participants: vec![
            Participant::Unit("sz-tjj".into()),
            Participant::Unit("sz-gov".into()),
        ],
    };
    accepted(
        server,
        "fgw-director",
        Step::new(id, "review", to_countersign)
            .opinion("文字已核，请会签")
            .body(),
    )
    .await;
    let add = StepAction::AddParticipant {
        participant: Participant::User("fgw-deputy".into()),
    };
    accepted(
        server,
        "fgw-director",
        Step::new(id, "countersign", add).body(),
    )
    .await;
    // The 会签 unit now sees the document and where it stands.
    let seen = handling_seen_by(server, "tjj-director", id)
        .await
        .expect("会签 unit sees it");
    assert_eq!(seen.step.as_str(), "countersign");
    assert_eq!(seen.branches.len(), 3);
    for who in ["tjj-director", "szgov-director", "fgw-deputy"] {
        accepted(
            server,
            who,
            Step::new(id, "countersign", finish())
                .opinion("同意")
                .body(),
        )
        .await;
    }
    let h = handling_seen_by(server, "fgw-clerk", id)
        .await
        .expect("handling");
    assert_eq!(h.step.as_str(), "sign_off");

    // Two leaders sign off at once: one wins; the other is told who signed.
    let sign = |opinion: &'static str| {
        let mut s = Step::new(id, "sign_off", finish()).opinion(opinion);
        s.publicity = Some(Publicity::Active);
        s.body()
    };
    let (a, b) = tokio::join!(
        push(server, "fgw-leader", sign("同意")),
        push(server, "fgw-deputy", sign("同意，请抓紧"))
    );
    let (won, lost) = match (&a, &b) {
        (Ok(()), Err(e)) => ("fgw-leader", e.clone()),
        (Err(e), Ok(())) => ("fgw-deputy", e.clone()),
        other => panic!("exactly one 签发 must win: {other:?}"),
    };
    assert_eq!(lost.code, RejectCode::InvalidState);
    assert!(lost.message.contains(won), "{}", lost.message);
    let h = handling_seen_by(server, "fgw-clerk", id)
        .await
        .expect("handling");
    let sign_offs: Vec<_> = h
        .trail
        .iter()
        .filter(|e| e.step.as_str() == "sign_off")
        .collect();
    assert_eq!(sign_offs.len(), 1, "one 签发 on the record");
    assert_eq!(sign_offs[0].by, won);
    assert_eq!(h.publicity, Some(Publicity::Active));
    assert_eq!(h.step.as_str(), "recheck");
    let opinions: Vec<_> = h
        .trail
        .iter()
        .filter_map(|e| e.opinion.as_deref())
        .collect();
    assert!(opinions.contains(&"文字已核，请会签"), "{opinions:?}");
}

#[tokio::test]
async fn outgoing_steps_on_sqlite() {
    let server = TestServer::start();
    outgoing_story(&server).await;
}

#[tokio::test]
async fn outgoing_steps_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("steps").expect("database");
    outgoing_story(&TestServer::start_on_postgres(&db, &[])).await;
}
