//! The cached directory of units and users against a real `gongwen-exchange` process
//! on 127.0.0.1: fetched at login, then only when stale, and kept for offline use.
//!
//! Needs the server binary: `cargo build -p gongwen-exchange` first (or set
//! `GONGWEN_EXCHANGE_BIN`); see the shared harness below.

#[path = "../../gongwen-exchange/tests/common/mod.rs"]
mod exchange_server;

use std::sync::Mutex;
use std::time::Duration;

use exchange_server::{TestServer, DEMO_PASSWORD};
use gongwen_store::Store;
use gongwen_sync::{login, sync_once, sync_once_with, Client, SyncOptions};

fn has_unit(store: &Mutex<Store>, code: &str) -> bool {
    store
        .lock()
        .unwrap()
        .directory()
        .unwrap()
        .units
        .iter()
        .any(|u| u.code.0 == code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_is_fetched_at_login_and_then_only_when_stale() {
    let mut server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut opened = Store::open(dir.path()).unwrap();
    let client = Client::new(&server.url, &opened.client_id().unwrap()).unwrap();
    let store = Mutex::new(opened);

    let token = login(&client, &store, "tjj-clerk", DEMO_PASSWORD)
        .await
        .unwrap()
        .token;
    assert!(
        has_unit(&store, "sz-fgw"),
        "the login fetched the directory"
    );
    let fetched_at = store
        .lock()
        .unwrap()
        .directory_fetched_at(&server.url)
        .unwrap();
    assert!(fetched_at.is_some());

    // An administrator adds a unit. Within the freshness window a round does not ask
    // for the directory again: the new unit is not in the cache yet.
    let out = server.admin(&[
        "unit",
        "add",
        "lb-tjj",
        "灵璧县统计局",
        "--short",
        "县统计局",
    ]);
    assert!(
        out.status.success(),
        "admin unit add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // … and gives 市统计局 a new 规范化简称.
    let out = server.admin(&["unit", "set-short", "sz-tjj", "统计局"]);
    assert!(
        out.status.success(),
        "admin unit set-short: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = sync_once(&client, &token, &store).await.unwrap();
    assert!(!report.directory_refreshed);
    assert!(!has_unit(&store, "lb-tjj"));
    assert_eq!(
        store
            .lock()
            .unwrap()
            .directory_fetched_at(&server.url)
            .unwrap(),
        fetched_at
    );

    // Once the cached copy is older than the window (here: a window of zero), the
    // round fetches it and the unit appears.
    let stale = SyncOptions {
        directory_max_age: Duration::ZERO,
    };
    let report = sync_once_with(&client, &token, &store, &stale)
        .await
        .unwrap();
    assert!(report.directory_refreshed);
    assert!(has_unit(&store, "lb-tjj"));
    // With its 规范化简称, which a 主送 may name it by; the demo units have theirs.
    let units = store.lock().unwrap().directory().unwrap().units;
    let short = |code: &str| {
        units
            .iter()
            .find(|u| u.code.0 == code)
            .and_then(|u| u.short_name.clone())
    };
    assert_eq!(short("lb-tjj").as_deref(), Some("县统计局"));
    assert_eq!(short("sz-tjj").as_deref(), Some("统计局"));
    assert_eq!(short("sz-fgw").as_deref(), Some("市发展改革委"));

    // Offline the round fails, and the cached directory stays usable for addressing.
    server.kill();
    let err = sync_once_with(&client, &token, &store, &stale)
        .await
        .expect_err("the server is down");
    assert!(err.is_offline(), "{err}");
    assert!(has_unit(&store, "lb-tjj") && has_unit(&store, "sz-fgw"));
}

/// A short name that is blank, or is not shorter than the full name, is refused with the
/// reason, and the unit is not added.
#[test]
fn a_short_name_that_is_blank_or_not_shorter_is_refused_and_nothing_is_added() {
    let server = TestServer::start();
    for (short, says) in [
        ("  ", "is empty"),
        ("灵璧县统计局", "is the full name"),
        ("安徽省灵璧县统计局", "is not shorter"),
    ] {
        let out = server.admin(&["unit", "add", "lb-tjj", "灵璧县统计局", "--short", short]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(says),
            "--short {short:?}: {err}"
        );
    }
    let out = server.admin(&["unit", "list"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(!listed.contains("lb-tjj"), "{listed}");
    // The list shows a short name as a third column.
    assert!(
        listed.contains("sz-tjj\t宿州市统计局\t市统计局"),
        "{listed}"
    );
}
