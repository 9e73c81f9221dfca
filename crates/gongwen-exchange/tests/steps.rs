//! The steps of a unit's 发文 and 收文 flow, decided by a real server process over
//! HTTP, on SQLite and on PostgreSQL: the story of the workflow issue as far as the
//! server goes, the race of two leaders, and refusals that record nothing.

#[path = "common/api.rs"]
mod api;
mod common;

use api::{http, login_as};
use common::TestServer;
use gongwen_core::flow::{StepId, StepKind};
use gongwen_core::handling::{Handling, Participant, Publicity, StepAction};
use gongwen_core::wire::{
    ChangeEntry, ChangesPage, Command, CommandBody, CommandId, CommandResult, PushResponse,
    RejectCode, Rejection,
};
use gongwen_core::{Document, DocumentFile, DocumentId};
use gongwen_exchange::storage::Storage;

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
    push_with(server, &token, body).await
}

async fn push_with(server: &TestServer, token: &str, body: CommandBody) -> Result<(), Rejection> {
    let command = Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body,
    };
    let r = http()
        .post(format!("{}/v1/commands", server.url))
        .bearer_auth(token)
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

/// The unit whose 会签 ends the step is sent the handling as it now stands, like the
/// others: its own copy shows the document gone on to 签发, not the 会签 still 在办.
async fn the_last_participant_unit_sees_the_step_end(server: &TestServer) {
    let id = DocumentId(uuid::Uuid::new_v4());
    let mut submit = Step::new(id, "draft", finish());
    submit.document = Some(request());
    accepted(server, "fgw-clerk", submit.body()).await;
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
        Step::new(id, "review", to_countersign).body(),
    )
    .await;
    for who in ["tjj-director", "szgov-director"] {
        accepted(
            server,
            who,
            Step::new(id, "countersign", finish())
                .opinion("同意")
                .body(),
        )
        .await;
    }
    for who in ["fgw-clerk", "tjj-director", "szgov-director"] {
        let seen = handling_seen_by(server, who, id)
            .await
            .unwrap_or_else(|| panic!("{who} sees the handling"));
        assert_eq!(seen.step.as_str(), "sign_off", "{who}: {seen:?}");
        assert!(
            !seen.status_label().contains("在办"),
            "{who} sees it 在办: {}",
            seen.status_label()
        );
    }
}

#[tokio::test]
async fn the_last_countersigning_unit_sees_the_step_end_on_sqlite() {
    the_last_participant_unit_sees_the_step_end(&TestServer::start()).await;
}

#[tokio::test]
async fn the_last_countersigning_unit_sees_the_step_end_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("last_countersigner").expect("database");
    the_last_participant_unit_sees_the_step_end(&TestServer::start_on_postgres(&db, &[])).await;
}

/// 50 documents reach 编号 and are numbered at once: 1 to 50, each once. A cancelled
/// number is recorded with who and why and never given again.
async fn fifty_numbered_at_once(server: &TestServer) {
    let clerk = login_as(server, "fgw-clerk").await;
    let director = login_as(server, "fgw-director").await;
    let leader = login_as(server, "fgw-leader").await;
    let mut ids = Vec::new();
    for _ in 0..50 {
        let id = DocumentId(uuid::Uuid::new_v4());
        let mut submit = Step::new(id, "draft", finish());
        submit.document = Some(request());
        let to_sign_off = StepAction::Finish {
            next: Some(StepId::from("sign_off")),
            participants: vec![],
        };
        let mut sign = Step::new(id, "sign_off", finish());
        sign.publicity = Some(Publicity::OnRequest);
        for (token, body) in [
            (&clerk, submit.body()),
            (&director, Step::new(id, "review", to_sign_off).body()),
            (&leader, sign.body()),
            (&clerk, Step::new(id, "recheck", finish()).body()),
        ] {
            push_with(server, token, body).await.expect("step");
        }
        ids.push(id);
    }
    let numbering = ids.iter().map(|id| {
        push_with(
            server,
            &clerk,
            Step::new(*id, "assign_number", finish()).body(),
        )
    });
    for outcome in futures_util::future::join_all(numbering).await {
        outcome.expect("编号");
    }
    let numbers = numbers_of(server, &ids).await;
    let mut sorted: Vec<i64> = numbers.iter().map(|(_, n)| *n).collect();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (1..=50).collect::<Vec<_>>(),
        "unique and consecutive"
    );

    // 取消编号 of one; its next 编号 is 51, never the cancelled one.
    let (cancelled_id, cancelled_n) = numbers[6];
    let cancel = StepAction::CancelNumber {
        reason: "文稿需重新报批".into(),
    };
    let e = push(
        server,
        "tjj-director",
        Step::new(cancelled_id, "seal", cancel.clone()).body(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.code,
        RejectCode::NotFound,
        "another unit cannot cancel it"
    );
    push_with(
        server,
        &clerk,
        Step::new(cancelled_id, "seal", cancel).body(),
    )
    .await
    .expect("取消编号");
    let h = handling_seen_by(server, "fgw-clerk", cancelled_id)
        .await
        .expect("handling");
    assert_eq!(h.step.as_str(), "assign_number");
    assert_eq!(h.number, None);
    let record = h.trail.last().expect("trail");
    assert_eq!(record.by, "fgw-clerk");
    let result = record.result.as_deref().unwrap_or_default();
    assert!(
        result.contains(&format!("宿发改〔2026〕{cancelled_n}号"))
            && result.contains("文稿需重新报批"),
        "{result}"
    );
    push_with(
        server,
        &clerk,
        Step::new(cancelled_id, "assign_number", finish()).body(),
    )
    .await
    .expect("编号 again");
    let again = numbers_of(server, &[cancelled_id]).await;
    assert_eq!(again[0].1, 51);
}

/// The number each document's handling carries, as the clerk's unit log says.
async fn numbers_of(server: &TestServer, ids: &[DocumentId]) -> Vec<(DocumentId, i64)> {
    let mut out = Vec::new();
    for id in ids {
        let h = handling_seen_by(server, "fgw-clerk", *id)
            .await
            .expect("handling");
        let text = h.number.expect("numbered");
        let n = text
            .trim_start_matches("宿发改〔2026〕")
            .trim_end_matches('号')
            .parse()
            .unwrap_or_else(|_| panic!("{text}"));
        out.push((*id, n));
    }
    out
}

#[tokio::test]
async fn fifty_numbered_at_once_on_sqlite() {
    fifty_numbered_at_once(&TestServer::start()).await;
}

#[tokio::test]
async fn fifty_numbered_at_once_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("numbered").expect("database");
    fifty_numbered_at_once(&TestServer::start_on_postgres(&db, &[])).await;
}

/// A 发文机关署名 written on one line longer than the 版心: validation has nothing
/// against it, but the rendered PDF runs out of the type area and `gongwen check`
/// finds it.
fn request_signed_too_long() -> Document {
    let mut doc = request();
    doc.issuer_signature =
        vec!["宿州市发展和改革委员会宿州市发展和改革委员会宿州市发展和改革委员会".into()];
    assert!(
        gongwen_core::validate(&doc)
            .iter()
            .all(|p| p.severity != gongwen_core::Severity::Error),
        "validation must not catch it"
    );
    doc
}

/// 签发 and 用印 are refused while the rendered PDF fails `gongwen check`, naming
/// what to fix; nothing is recorded and the document stays where it was.
async fn layout_gate(server: &TestServer) {
    let to_sign_off = || StepAction::Finish {
        next: Some(StepId::from("sign_off")),
        participants: vec![],
    };
    let sign = |id| {
        let mut s = Step::new(id, "sign_off", finish()).opinion("同意");
        s.publicity = Some(Publicity::Active);
        s.body()
    };

    // 签发 of a document whose 署名 runs out of the 版心.
    let id = DocumentId(uuid::Uuid::new_v4());
    let mut submit = Step::new(id, "draft", finish());
    submit.document = Some(request_signed_too_long());
    accepted(server, "fgw-clerk", submit.body()).await;
    accepted(
        server,
        "fgw-director",
        Step::new(id, "review", to_sign_off()).body(),
    )
    .await;
    let e = push(server, "fgw-leader", sign(id)).await.unwrap_err();
    assert_eq!(e.code, RejectCode::Invalid, "{e:?}");
    assert!(
        e.message.contains("不符合 GB/T 9704-2012")
            && e.message.contains("不能签发")
            && e.message.contains("超出版心")
            && e.message.contains("宿州市发展和改革委员会"),
        "{}",
        e.message
    );
    assert!(
        e.message_en.contains("gongwen check") && e.message_en.contains("outside the type area"),
        "{}",
        e.message_en
    );
    let h = handling_seen_by(server, "fgw-clerk", id)
        .await
        .expect("handling");
    assert_eq!(h.step.as_str(), "sign_off", "nothing recorded");
    assert!(h.trail.iter().all(|e| e.step.as_str() != "sign_off"));

    // 用印 of a document signed clean and then changed at 复核.
    let id = DocumentId(uuid::Uuid::new_v4());
    let mut submit = Step::new(id, "draft", finish());
    submit.document = Some(request());
    accepted(server, "fgw-clerk", submit.body()).await;
    accepted(
        server,
        "fgw-director",
        Step::new(id, "review", to_sign_off()).body(),
    )
    .await;
    accepted(server, "fgw-leader", sign(id)).await;
    let mut recheck = Step::new(id, "recheck", finish());
    recheck.document = Some(request_signed_too_long());
    accepted(server, "fgw-clerk", recheck.body()).await;
    accepted(
        server,
        "fgw-clerk",
        Step::new(id, "assign_number", finish()).body(),
    )
    .await;
    let e = push(server, "fgw-clerk", Step::new(id, "seal", finish()).body())
        .await
        .unwrap_err();
    assert_eq!(e.code, RejectCode::Invalid, "{e:?}");
    assert!(
        e.message.contains("不能用印") && e.message.contains("超出版心"),
        "{}",
        e.message
    );
    let h = handling_seen_by(server, "fgw-clerk", id)
        .await
        .expect("handling");
    assert_eq!(h.step.as_str(), "seal", "nothing recorded");
}

#[tokio::test]
async fn layout_gate_on_sqlite() {
    layout_gate(&TestServer::start()).await;
}

/// The day `days` from today in Beijing, as a delegation's period names it.
fn beijing_day_from_today(days: i64) -> String {
    let at = (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339();
    gongwen_core::delegation::beijing_day(&at).expect("a day")
}

fn delegate(to: &str, steps: Vec<StepKind>, from: i64, until: i64) -> (uuid::Uuid, CommandBody) {
    let id = uuid::Uuid::new_v4();
    let body = CommandBody::Delegate {
        delegation_id: id,
        to: to.into(),
        steps,
        from: beijing_day_from_today(from),
        until: beijing_day_from_today(until),
    };
    (id, body)
}

/// A document standing at 签发.
async fn at_sign_off(server: &TestServer) -> DocumentId {
    let id = DocumentId(uuid::Uuid::new_v4());
    let mut submit = Step::new(id, "draft", finish());
    submit.document = Some(request());
    accepted(server, "fgw-clerk", submit.body()).await;
    let to_sign_off = StepAction::Finish {
        next: Some(StepId::from("sign_off")),
        participants: vec![],
    };
    accepted(
        server,
        "fgw-director",
        Step::new(id, "review", to_sign_off).body(),
    )
    .await;
    id
}

fn sign(id: DocumentId, opinion: &'static str) -> CommandBody {
    let mut s = Step::new(id, "sign_off", finish()).opinion(opinion);
    s.publicity = Some(Publicity::Active);
    s.body()
}

/// 代办: a leader delegates 签发 to the office director for today and tomorrow. Within
/// the period the director signs in the leader's name, and the trail and the audit
/// say who acted for whom; another step, a period not begun, or a revoked delegation
/// are refused.
async fn delegation(server: &TestServer, audit: &dyn Storage) {
    let doc = at_sign_off(server).await;
    // Not theirs to take, and nothing delegated yet.
    let e = push(server, "fgw-director", sign(doc, "同意"))
        .await
        .unwrap_err();
    assert_eq!(e.code, RejectCode::Forbidden, "{e:?}");

    // Only a leader delegates, and only to someone of the unit.
    let (_, to_other_unit) = delegate("tjj-director", vec![StepKind::SignOff], 0, 1);
    let e = push(server, "fgw-leader", to_other_unit).await.unwrap_err();
    assert_eq!(e.code, RejectCode::Invalid, "{e:?}");
    let (_, by_director) = delegate("fgw-clerk", vec![StepKind::SignOff], 0, 1);
    let e = push(server, "fgw-director", by_director).await.unwrap_err();
    assert_eq!(e.code, RejectCode::Forbidden, "{e:?}");

    let (given, body) = delegate("fgw-director", vec![StepKind::SignOff], 0, 1);
    accepted(server, "fgw-leader", body).await;
    // Another leader's delegation to the clerk begins only the day after tomorrow.
    let (_, later) = delegate("fgw-clerk", vec![], 2, 3);
    accepted(server, "fgw-deputy", later).await;
    let e = push(server, "fgw-clerk", sign(doc, "同意"))
        .await
        .unwrap_err();
    assert_eq!(e.code, RejectCode::Forbidden, "{e:?}");
    assert!(
        e.message.contains("不在期限内") && e.message.contains("fgw-deputy"),
        "{}",
        e.message
    );

    // Within the period: signed in the leader's name, by the director.
    accepted(server, "fgw-director", sign(doc, "同意（代签）")).await;
    let h = handling_seen_by(server, "fgw-clerk", doc)
        .await
        .expect("handling");
    let signed = h
        .trail
        .iter()
        .find(|e| e.step.as_str() == "sign_off")
        .expect("签发 on the record");
    assert_eq!(signed.by, "fgw-leader");
    assert_eq!(signed.acted_by.as_deref(), Some("fgw-director"));
    assert_eq!(signed.role, gongwen_core::wire::Role::Leader);
    assert_eq!(signed.opinion.as_deref(), Some("同意（代签）"));
    let entries = audit.audit_after(0, 100_000).await.expect("audit");
    assert!(
        entries.iter().any(|a| a.username == "fgw-director"
            && a.detail.contains("\"in_name_of\":\"fgw-leader\"")
            && a.detail.contains(&doc.0.to_string())),
        "the audit says the director acted in the leader's name"
    );

    // Another step is not delegated: 编号 stays the clerk's.
    accepted(
        server,
        "fgw-clerk",
        Step::new(doc, "recheck", finish()).body(),
    )
    .await;
    let e = push(
        server,
        "fgw-director",
        Step::new(doc, "assign_number", finish()).body(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, RejectCode::Forbidden, "{e:?}");

    // Listed for the unit; revoked, it counts no more.
    let token = login_as(server, "fgw-director").await;
    let listed: Vec<gongwen_core::delegation::Delegation> = http()
        .get(format!("{}/v1/delegations", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delegations")
        .json()
        .await
        .expect("list");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed
        .iter()
        .any(|d| d.id == given && d.leader == "fgw-leader" && d.delegate == "fgw-director"));
    accepted(
        server,
        "fgw-leader",
        CommandBody::RevokeDelegation {
            delegation_id: given,
        },
    )
    .await;
    let second = at_sign_off(server).await;
    let e = push(server, "fgw-director", sign(second, "同意"))
        .await
        .unwrap_err();
    assert_eq!(e.code, RejectCode::Forbidden, "{e:?}");
}

#[tokio::test]
async fn delegation_on_sqlite() {
    let server = TestServer::start();
    let audit = gongwen_exchange::storage::sqlite::SqliteStorage::open(server.db_path())
        .expect("the server's database");
    delegation(&server, &audit).await;
}

#[tokio::test]
async fn delegation_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("delegation").expect("database");
    let server = TestServer::start_on_postgres(&db, &[]);
    let audit = gongwen_exchange::storage::postgres::PostgresStorage::connect(&db)
        .await
        .expect("the server's database");
    delegation(&server, &audit).await;
}
