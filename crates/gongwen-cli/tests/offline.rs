//! The exchange subcommands of the real `gongwen` binary without a server: what they
//! say when there is no login or no server, and the outbox offline. (With a real server:
//! `crates/gongwen-exchange/tests/faults.rs`.)

use std::path::Path;
use std::process::{Command, Output};

fn gongwen(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gongwen"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("GONGWEN_DATA_DIR")
        .env("GONGWEN_PASSWORD", "wrong-anyway")
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

fn import_notice(data: &Path) -> String {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/notice.toml");
    let out = gongwen(data, &["import", fixture.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn without_login_sync_says_what_to_do() {
    let data = tempfile::tempdir().unwrap();
    for args in [&["sync"][..], &["sync", "status"], &["logout"]] {
        let out = gongwen(data.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("not logged in"), "{}", text(&out));
    }
}

#[test]
fn login_names_what_failed() {
    let data = tempfile::tempdir().unwrap();
    // Plain http to another machine is refused before anything is sent.
    let out = gongwen(
        data.path(),
        &[
            "login",
            "--server",
            "http://exchange.example.invalid",
            "--user",
            "fgw-clerk",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("plain http is allowed only"),
        "{}",
        text(&out)
    );
    // Nothing listens on port 1 of this machine.
    let out = gongwen(
        data.path(),
        &[
            "login",
            "--server",
            "http://127.0.0.1:1",
            "--user",
            "fgw-clerk",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("cannot reach the exchange server http://127.0.0.1:1 (login)"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_dispatch_queued_offline_is_pending_and_checked_locally() {
    let data = tempfile::tempdir().unwrap();
    let id = import_notice(data.path());
    // 市发改委's clerk logged in earlier; the server cannot be reached now (nothing
    // listens on port 1).
    gongwen_store::Store::open(data.path())
        .unwrap()
        .set_account(Some(&gongwen_store::Account::new(
            "http://127.0.0.1:1",
            gongwen_core::wire::UserInfo {
                username: "fgw-clerk".into(),
                display_name: "张明".into(),
                unit: "sz-fgw".into(),
                role: gongwen_core::wire::Role::Clerk,
                clearance: gongwen_core::Classification::Secret,
            },
        )))
        .unwrap();
    let out = gongwen(
        data.path(),
        &[
            "dispatch",
            &id,
            "--main",
            "sz-tjj",
            "--cc",
            "yq-gov",
            "--no-sync",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("queued"), "{}", text(&out));
    let out = gongwen(data.path(), &["deliveries", &id]);
    assert!(text(&out).contains("pending dispatch"), "{}", text(&out));

    // The same document again, a unit twice, an unknown document: refused here.
    for args in [
        vec!["dispatch", &id, "--main", "sz-tjj", "--no-sync"],
        vec!["dispatch", &id, "--main", "sz-tjj,sz-tjj", "--no-sync"],
        vec![
            "dispatch",
            "67e55044-10b1-426f-9247-bb680e5fe0c8",
            "--main",
            "sz-tjj",
            "--no-sync",
        ],
    ] {
        let out = gongwen(data.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
    }
    let out = gongwen(data.path(), &["ack", &id, "--no-sync"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("was not received"), "{}", text(&out));

    // The sync that follows a queued command cannot reach the server; the command stays.
    let other = import_notice(data.path());
    let out = gongwen(data.path(), &["dispatch", &other, "--main", "sz-tjj"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("stays pending"), "{}", text(&out));
    let out = gongwen(data.path(), &["inbox", "--json"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
}
