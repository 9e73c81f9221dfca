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
