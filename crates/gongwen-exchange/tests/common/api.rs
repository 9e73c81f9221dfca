//! HTTP helpers shared by the exchange's own API tests (`http.rs`, `blob_access.rs`,
//! `hardening.rs`). Kept apart from `mod.rs`, which other crates' tests include and
//! which therefore needs nothing beyond the standard library.
#![allow(dead_code)] // each test file uses a different part

use gongwen_core::wire::LoginResponse;
use reqwest::StatusCode;

use crate::common::{TestServer, DEMO_PASSWORD};

pub fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// Logs a demo user in and returns the token; the client id names the user, so audit
/// entries say which test user acted.
pub async fn login_as(server: &TestServer, username: &str) -> String {
    let r = http()
        .post(format!("{}/v1/login", server.url))
        .header("x-gongwen-client", format!("test-{username}"))
        .json(&serde_json::json!({ "username": username, "password": DEMO_PASSWORD }))
        .send()
        .await
        .expect("login request");
    assert_eq!(r.status(), StatusCode::OK, "login of {username}");
    r.json::<LoginResponse>()
        .await
        .expect("login response")
        .token
}

/// Pushes one command written as JSON by hand, as a broken or hostile client would, and
/// returns the server's outcome for it (the push itself must be answered 200).
pub async fn push_json(
    server: &TestServer,
    token: &str,
    command: serde_json::Value,
) -> gongwen_core::wire::CommandOutcome {
    let r = http()
        .post(format!("{}/v1/commands", server.url))
        .bearer_auth(token)
        .json(&serde_json::json!({ "commands": [command] }))
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), StatusCode::OK, "push");
    r.json::<gongwen_core::wire::PushResponse>()
        .await
        .expect("push response")
        .outcomes
        .pop()
        .expect("one outcome")
}

/// The rejection of a refused command; fails the test if the command was accepted.
pub fn rejection(outcome: &gongwen_core::wire::CommandOutcome) -> &gongwen_core::wire::Rejection {
    match &outcome.result {
        gongwen_core::wire::CommandResult::Rejected { rejection } => rejection,
        gongwen_core::wire::CommandResult::Accepted => panic!("accepted: {outcome:?}"),
    }
}

/// Every change a demo user's unit log holds for them, from the start.
pub async fn changes_of(server: &TestServer, username: &str) -> Vec<serde_json::Value> {
    let token = login_as(server, username).await;
    let r = http()
        .get(format!("{}/v1/changes?after=0", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("pull");
    assert_eq!(r.status(), StatusCode::OK, "pull of {username}");
    let page: serde_json::Value = r.json().await.expect("change page");
    page["changes"].as_array().expect("changes").clone()
}
