//! A client killed with SIGKILL while it applies pages of the change log (each page's
//! new documents stored in one batch) or runs its idle upkeep keeps the promise of the
//! protocol: every page is applied together with its cursor or not at all, and the
//! search index's merge settings are never left in their bulk-write state.
//!
//! The test re-runs its own binary as the client (env `GONGWEN_CRASH_SYNC=DIR`); the
//! parent kills it at varying moments, reopens the store and checks it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use gongwen_core::wire::ChangesPage;
use gongwen_core::workflow::content_hash;
use gongwen_core::{DocStatus, Document, DocumentId};
use gongwen_store::{Account, ListFilter, Store};

const CLIENT_ENV: &str = "GONGWEN_CRASH_SYNC";
const PAGE: u64 = 7;

fn me() -> Account {
    common::account("http://127.0.0.1:9", "tjj-clerk", "sz-tjj")
}

/// The document of log position `seq`, and its id.
fn expected(seq: u64) -> (DocumentId, Document) {
    let doc = common::notice(
        &format!("关于第{seq}号统计事项的通知"),
        &format!("2026年{}月{}日", 1 + seq % 12, 1 + (seq * 11) % 28),
        &format!(
            "第{seq}号来文。\n{}",
            "请各单位认真做好统计数据报送工作。".repeat(20 + (seq % 9) as usize)
        ),
    );
    (DocumentId(uuid::Uuid::from_u128(seq as u128 + 1)), doc)
}

fn client(dir: &str) {
    let mut store = Store::open(std::path::Path::new(dir)).unwrap();
    let account = me();
    store.set_account(Some(&account)).unwrap();
    let mut pages = 0u64;
    loop {
        let cursor = store.cursor(&account).unwrap();
        let changes = (cursor + 1..=cursor + PAGE)
            .map(|seq| {
                let (id, doc) = expected(seq);
                common::received(seq, id, &doc)
            })
            .collect();
        let page = ChangesPage {
            changes,
            next_cursor: cursor + PAGE,
            has_more: true,
            ..ChangesPage::default()
        };
        store.apply_changes(&account, &page).unwrap();
        pages += 1;
        if pages.is_multiple_of(3) {
            store.maintain().unwrap();
        }
        println!("applied {}", cursor + PAGE);
    }
}

/// FTS5's `automerge` of a search table as stored (no row: FTS5's default, 4).
fn merge_setting(dir: &std::path::Path, table: &str) -> i64 {
    use rusqlite::OptionalExtension;
    let conn = rusqlite::Connection::open(dir.join(gongwen_store::DB_FILE)).unwrap();
    conn.query_row(
        &format!("SELECT v FROM {table}_config WHERE k = 'automerge'"),
        [],
        |r| r.get(0),
    )
    .optional()
    .unwrap()
    .unwrap_or(4)
}

/// Checks the store after a kill; returns its cursor.
fn check(dir: &std::path::Path, merging: &[(&str, i64)]) -> u64 {
    let store = Store::open(dir).expect("a killed client must leave an openable store");
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    let cursor = store.cursor(&me()).unwrap();
    assert_eq!(cursor % PAGE, 0, "a page is applied whole or not at all");
    let total = store.list(&ListFilter::default()).unwrap().total;
    assert_eq!(
        total, cursor,
        "one document per applied change, none beyond"
    );
    for seq in 1..=cursor {
        let (id, doc) = expected(seq);
        let stored = store
            .get(id)
            .unwrap()
            .unwrap_or_else(|| panic!("change {seq} is below the cursor but not stored"));
        assert_eq!(stored.document, doc, "change {seq}");
        assert_eq!(stored.status, DocStatus::Incoming);
        assert_eq!(
            store.exchanged_hash(id).unwrap(),
            Some(content_hash(&doc)),
            "change {seq}"
        );
    }
    let (id, _) = expected(cursor);
    if cursor > 0 {
        let hits = store.search(&format!("第{cursor}号来文"), 5).unwrap();
        assert!(
            hits.iter().any(|h| h.summary.id == id),
            "{cursor} not found"
        );
    }
    drop(store);
    for (table, value) in merging {
        assert_eq!(
            merge_setting(dir, table),
            *value,
            "{table}: merging left in its bulk-write state"
        );
    }
    cursor
}

#[test]
fn killed_client_applies_each_page_with_its_cursor_or_not_at_all() {
    if let Ok(dir) = std::env::var(CLIENT_ENV) {
        client(&dir);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let merging: Vec<(&str, i64)> = {
        drop(Store::open(dir.path()).unwrap());
        ["search_head", "search_all", "search_chars"]
            .into_iter()
            .map(|t| (t, merge_setting(dir.path(), t)))
            .collect()
    };
    assert!(merging.iter().all(|(_, v)| *v > 0));
    let exe = std::env::current_exe().unwrap();
    let mut last = 0;
    for round in 0..10u64 {
        let mut child = Command::new(&exe)
            .args([
                "killed_client_applies_each_page_with_its_cursor_or_not_at_all",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CLIENT_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut applied = 0;
        while applied < 3 {
            match lines.next() {
                Some(Ok(l)) if l.starts_with("applied") => applied += 1,
                Some(Ok(_)) => {}
                _ => panic!("client exited early"),
            }
        }
        std::thread::sleep(Duration::from_millis(2 + round * 5));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let cursor = check(dir.path(), &merging);
        assert!(
            cursor > last,
            "round {round}: no progress (cursor {cursor})"
        );
        last = cursor;
    }
}
