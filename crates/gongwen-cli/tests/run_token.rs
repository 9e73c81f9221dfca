//! The `gongwen` binary without a keyring, against a real `gongwen-exchange` process:
//! each call logs in with GONGWEN_PASSWORD for its own run and leaves no live token
//! behind (the server's token table is counted).
//!
//! Needs the server binary: `cargo build -p gongwen-exchange` first (or set
//! `GONGWEN_EXCHANGE_BIN`).

#[path = "../../gongwen-exchange/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{TestServer, DEMO_PASSWORD};

fn gongwen(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gongwen"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("GONGWEN_DATA_DIR")
        .env("GONGWEN_PASSWORD", DEMO_PASSWORD)
        // No keyring: nothing of these tests reaches the user's.
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/gongwen-test-bus",
        )
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Tokens of `username` the server still accepts.
fn live_tokens(server: &TestServer, username: &str) -> i64 {
    let db = rusqlite::Connection::open(server.db_path()).unwrap();
    db.query_row(
        "SELECT count(*) FROM tokens WHERE username = ?1 AND revoked = 0",
        [username],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn without_a_keyring_no_call_leaves_a_live_token() {
    let server = TestServer::start();
    let data = tempfile::tempdir().unwrap();
    let out = gongwen(
        data.path(),
        &["login", "--server", &server.url, "--user", "tjj-clerk"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("keyring"), "{}", text(&out));

    for args in [&["sync"][..], &["sync"], &["sync", "doctor"]] {
        let out = gongwen(data.path(), args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    assert_eq!(
        live_tokens(&server, "tjj-clerk"),
        0,
        "tokens minted for single calls were left live"
    );
}
