//! A unit's own flow, set by the exchange's admin as a file in `flows_dir`: the server
//! decides that unit's steps by it, and only that unit's; it sends the flow to clients
//! in the directory; and it refuses to start on a flows folder it cannot read, naming
//! the file and what is wrong. On SQLite and PostgreSQL.

#[path = "common/api.rs"]
mod api;
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use api::{http, login_as, push_json, rejection};
use common::TestServer;
use gongwen_core::flow::{FlowKind, StepId};
use gongwen_core::handling::StepAction;
use gongwen_core::wire::{
    CommandBody, CommandId, CommandResult, Directory, RejectCode, Role, UnitCode,
};
use gongwen_core::{DocumentFile, DocumentId};

/// 市发改委's own 发文 flow: 核稿 is the leader's (named 领导核稿), not the office's.
fn own_outgoing() -> String {
    let default = gongwen_core::flow::DEFAULT_OUTGOING;
    let review = "id = \"review\"\nkind = \"review\"\nroles = [\"office_director\", \"leader\"]";
    assert!(
        default.contains(review),
        "the default flow changed; adjust this test"
    );
    default.replace(
        review,
        "id = \"review\"\nkind = \"review\"\nname = \"领导核稿\"\nroles = [\"leader\"]",
    )
}

/// A flows folder holding one file, `<unit>/<file>`.
fn flows_dir(root: &Path, unit: &str, file: &str, text: &str) -> PathBuf {
    let dir = root.join("flows");
    std::fs::create_dir_all(dir.join(unit)).expect("flows folder");
    std::fs::write(dir.join(unit).join(file), text).expect("flow file");
    dir
}

fn step(id: DocumentId, step: &str, next: Option<&str>, with_document: bool) -> serde_json::Value {
    let document = with_document.then(|| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/demo/17-request-straw-subsidy.toml"
        ))
        .expect("demo file");
        let mut doc = DocumentFile::from_toml(&text).expect("valid").document;
        doc.doc_number = String::new();
        Box::new(doc)
    });
    let body = CommandBody::Step {
        document_id: id,
        step: StepId::from(step),
        action: StepAction::Finish {
            next: next.map(StepId::from),
            participants: vec![],
        },
        opinion: None,
        document,
        publicity: None,
        deadline: None,
    };
    serde_json::to_value(gongwen_core::wire::Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body,
    })
    .expect("command JSON")
}

async fn push(server: &TestServer, username: &str, command: serde_json::Value) -> CommandResult {
    let token = login_as(server, username).await;
    push_json(server, &token, command).await.result
}

async fn a_units_own_flow_decides_its_steps_and_no_other_units(server: &TestServer) {
    // Every user's directory carries 市发改委's flow, and only that one.
    let token = login_as(server, "tjj-clerk").await;
    let directory: Directory = http()
        .get(format!("{}/v1/directory", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("directory")
        .json()
        .await
        .expect("directory JSON");
    assert_eq!(directory.flows.len(), 1, "{:?}", directory.flows);
    let fgw = UnitCode::from("sz-fgw");
    let own = directory.flow(&fgw, FlowKind::Outgoing);
    let review = own.step(&StepId::from("review")).expect("review");
    assert_eq!(
        (review.name.as_str(), review.roles.as_slice()),
        ("领导核稿", &[Role::Leader][..])
    );
    let theirs = directory.flow(&UnitCode::from("sz-tjj"), FlowKind::Outgoing);
    assert_eq!(
        theirs,
        gongwen_core::flow::Flow::default_for(FlowKind::Outgoing)
    );

    // At 市发改委 the office director may no longer 核稿; the leader may.
    let id = DocumentId(uuid::Uuid::new_v4());
    assert_eq!(
        push(server, "fgw-clerk", step(id, "draft", None, true)).await,
        CommandResult::Accepted
    );
    let token = login_as(server, "fgw-director").await;
    let out = push_json(server, &token, step(id, "review", Some("sign_off"), false)).await;
    let r = rejection(&out);
    assert_eq!(r.code, RejectCode::Forbidden, "{r:?}");
    assert_eq!(
        push(
            server,
            "fgw-leader",
            step(id, "review", Some("sign_off"), false)
        )
        .await,
        CommandResult::Accepted
    );

    // 市统计局 has no flow of its own: its office director 核稿s as the 条例 has it.
    let id = DocumentId(uuid::Uuid::new_v4());
    assert_eq!(
        push(server, "tjj-clerk", step(id, "draft", None, true)).await,
        CommandResult::Accepted
    );
    assert_eq!(
        push(
            server,
            "tjj-director",
            step(id, "review", Some("sign_off"), false)
        )
        .await,
        CommandResult::Accepted
    );
}

#[tokio::test]
async fn a_units_own_flow_decides_its_steps_on_sqlite() {
    let root = tempfile::tempdir().expect("temp");
    let dir = flows_dir(root.path(), "sz-fgw", "outgoing.toml", &own_outgoing());
    let dir = dir.to_str().expect("path");
    let server = TestServer::start_with_env(&[("GONGWEN_EXCHANGE_FLOWS_DIR", dir)]);
    a_units_own_flow_decides_its_steps_and_no_other_units(&server).await;
}

#[tokio::test]
async fn a_units_own_flow_decides_its_steps_on_postgresql() {
    let pg = gongwen_exchange::testing::TempPostgres::start().expect("temporary PostgreSQL");
    let db = pg.create_database("unit_flows").expect("database");
    let root = tempfile::tempdir().expect("temp");
    let dir = flows_dir(root.path(), "sz-fgw", "outgoing.toml", &own_outgoing());
    let dir = dir.to_str().expect("path");
    let server = TestServer::start_on_postgres(&db, &[("GONGWEN_EXCHANGE_FLOWS_DIR", dir)]);
    a_units_own_flow_decides_its_steps_and_no_other_units(&server).await;
}

/// `serve` on `server`'s data with `flows`: it must exit, refusing; what it said.
fn refused_at_start(server: &TestServer, flows: &Path) -> String {
    let mut child = Command::new(common::binary())
        .args(["serve", "--data"])
        .arg(server.data_dir())
        .args(["--listen", "127.0.0.1:0"])
        .env("GONGWEN_EXCHANGE_FLOWS_DIR", flows)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start gongwen-exchange serve");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let out = child.wait_with_output().expect("output");
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!status.success(), "started: {said}");
            assert!(!said.contains("listening on"), "{said}");
            return said;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "the server started with a bad flows folder {}",
                flows.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_flows_folder_it_cannot_read_stops_the_server_naming_the_file_and_line() {
    let server = TestServer::start();
    let root = tempfile::tempdir().expect("temp");

    // A step with a role that does not exist, on line 10 of the file.
    let bad = own_outgoing().replace("roles = [\"leader\"]", "roles = [\"chief\"]");
    let line = bad.lines().position(|l| l.contains("chief")).expect("line") + 1;
    let dir = flows_dir(&root.path().join("a"), "sz-fgw", "outgoing.toml", &bad);
    let said = refused_at_start(&server, &dir);
    assert!(said.contains("sz-fgw/outgoing.toml"), "{said}");
    assert!(
        said.contains(&format!("line {line}")),
        "line {line}: {said}"
    );

    // A unit the exchange does not have (a typo would leave the real one on the default).
    let dir = flows_dir(
        &root.path().join("b"),
        "sz-fgv",
        "outgoing.toml",
        &own_outgoing(),
    );
    let said = refused_at_start(&server, &dir);
    assert!(said.contains("no unit `sz-fgv`"), "{said}");

    // A 收文 flow saved as the 发文 one.
    let incoming = gongwen_core::flow::DEFAULT_INCOMING;
    let dir = flows_dir(&root.path().join("c"), "sz-fgw", "outgoing.toml", incoming);
    let said = refused_at_start(&server, &dir);
    assert!(said.contains("kind = \"incoming\""), "{said}");
}
