//! The real `gongwen` binary on a store that several accounts use: `list`, `search`,
//! `export` and `render --from-store` show only what the logged-in account may see
//! (非密 with nobody logged in), `logout` ends that view, and `sync status` /
//! `sync discard` show and discard another account's queued commands.

use std::path::Path;
use std::process::{Command, Output};

use gongwen_core::wire::{Role, UserInfo};
use gongwen_core::{Classification, DocStatus};
use gongwen_store::{Account, Store};

/// Nothing listens on port 1 of this machine: the server of an earlier login, now
/// out of reach.
const SERVER: &str = "http://127.0.0.1:1";

fn gongwen(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gongwen"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("GONGWEN_DATA_DIR")
        .env_remove("GONGWEN_PASSWORD")
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

fn account(username: &str, clearance: Classification) -> Account {
    Account::new(
        SERVER,
        UserInfo {
            username: username.into(),
            display_name: username.into(),
            unit: "sz-gov".into(),
            role: Role::Clerk,
            clearance,
        },
    )
}

/// `username` logged in on this computer (as `gongwen login` leaves the store).
fn logged_in(data: &Path, username: &str, clearance: Classification) {
    Store::open(data)
        .unwrap()
        .set_account(Some(&account(username, clearance)))
        .unwrap();
}

fn import(data: &Path, file: &Path) -> String {
    let out = gongwen(data, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn total(data: &Path) -> u64 {
    let out = gongwen(data, &["list", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    page["total"].as_u64().unwrap()
}

#[test]
fn list_search_export_and_render_show_nothing_above_the_logged_in_clearance() {
    let data = tempfile::tempdir().unwrap();
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let secret = import(data.path(), &shared.join("secret-immediate.toml"));
    let notice = import(
        data.path(),
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/notice.toml"),
    );

    // Nobody is logged in: only 非密.
    assert_eq!(total(data.path()), 1);
    let out = gongwen(data.path(), &["search", "重点目标", "--json"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "[]",
        "{}",
        text(&out)
    );
    let out = gongwen(data.path(), &["export", &secret]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no document"), "{}", text(&out));
    assert!(!text(&out).contains("重点目标"), "{}", text(&out));
    let pdf = data.path().join("out.pdf");
    let out = gongwen(
        data.path(),
        &[
            "render",
            "--from-store",
            &secret,
            "-o",
            pdf.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!pdf.exists());
    assert!(gongwen(data.path(), &["export", &notice]).status.success());

    // A colleague cleared for 秘密 only: still not the 机密 notice.
    logged_in(data.path(), "szgov-staff", Classification::Confidential);
    assert_eq!(total(data.path()), 1);
    let out = gongwen(data.path(), &["search", "重点目标"]);
    assert!(text(&out).contains("0 result(s)"), "{}", text(&out));

    // The clerk cleared for 机密 sees it, until `gongwen logout`.
    logged_in(data.path(), "szgov-clerk", Classification::Secret);
    assert_eq!(total(data.path()), 2);
    let out = gongwen(data.path(), &["export", &secret]);
    assert!(text(&out).contains("重点目标"), "{}", text(&out));
    let out = gongwen(data.path(), &["logout"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(total(data.path()), 1);
    let out = gongwen(data.path(), &["sync", "status"]);
    assert!(text(&out).contains("logged in:  no"), "{}", text(&out));
}

#[test]
fn another_accounts_command_is_shown_as_theirs_and_discarded_on_purpose() {
    let data = tempfile::tempdir().unwrap();
    let notice = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/notice.toml");
    let id = import(data.path(), &notice);

    // Nobody logged in: nothing is queued for the exchange.
    let out = gongwen(
        data.path(),
        &["dispatch", &id, "--main", "sz-tjj", "--no-sync"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not logged in"), "{}", text(&out));

    // The clerk queues a dispatch and leaves; a colleague logs in.
    logged_in(data.path(), "szgov-clerk", Classification::Secret);
    let out = gongwen(
        data.path(),
        &["dispatch", &id, "--main", "sz-tjj", "--no-sync"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let command = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    logged_in(data.path(), "szgov-staff", Classification::Unclassified);
    let out = gongwen(data.path(), &["sync", "status"]);
    let shown = text(&out);
    assert!(
        shown.contains(&format!("queued by szgov-clerk at {SERVER}")),
        "{shown}"
    );
    let out = gongwen(data.path(), &["sync", "status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["outbox"][0]["queued_by"]["username"], "szgov-clerk");

    let out = gongwen(data.path(), &["sync", "discard", &command]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("discarded"), "{}", text(&out));
    let out = gongwen(data.path(), &["sync", "discard", &command]);
    assert_eq!(out.status.code(), Some(1), "only once: {}", text(&out));
    let out = gongwen(data.path(), &["sync", "status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["outbox"], serde_json::json!([]));

    // The draft is kept, and the discard is on record.
    let store = Store::open(data.path()).unwrap();
    let doc = store.get(id.parse().unwrap()).unwrap().unwrap();
    assert_ne!(doc.status, DocStatus::Dispatched);
    assert_eq!(doc.version, 1);
    let entry = store
        .outbox_entry(serde_json::from_value(serde_json::json!(command)).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(entry.state, gongwen_store::OutboxState::Discarded);
}
