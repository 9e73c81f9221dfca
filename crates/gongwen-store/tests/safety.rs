//! A newer or damaged database is refused, and nothing is ever deleted.

mod common;

use common::notice;
use gongwen_core::DocStatus;
use gongwen_store::{ListFilter, Store, StoreError, DB_FILE, SCHEMA_VERSION};

fn store_with_documents(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let docs: Vec<_> = (0..n)
        .map(|i| {
            (
                notice(
                    &format!("第{i}号防汛工作的通知"),
                    "2026年5月10日",
                    &"为做好防汛工作，现通知如下。".repeat(20),
                ),
                DocStatus::Draft,
            )
        })
        .collect();
    store.import(&docs).unwrap();
    dir
}

#[test]
fn a_newer_schema_is_refused_and_the_file_is_untouched() {
    let dir = store_with_documents(3);
    let db = dir.path().join(DB_FILE);
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let err = Store::open(dir.path()).err().expect("must refuse");
    match &err {
        StoreError::NewerSchema {
            found, supported, ..
        } => {
            assert_eq!(*found, SCHEMA_VERSION + 1);
            assert_eq!(*supported, SCHEMA_VERSION);
        }
        other => panic!("wrong error: {other}"),
    }
    assert!(err.to_string().contains("newer"), "{err}");
    assert!(err.message_zh().contains("升级"), "{}", err.message_zh());
    assert_eq!(std::fs::read(&db).unwrap(), before, "file changed");
    // Refused again, not migrated down on a second try either.
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::NewerSchema { .. })
    ));
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

fn corrupt_entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .contains(".corrupt-")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_file_that_is_not_sqlite_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DB_FILE);
    let junk = "这不是数据库，是一份误存的文本。".repeat(100);
    std::fs::write(&db, &junk).unwrap();

    let err = Store::open(dir.path()).err().expect("must refuse");
    let StoreError::Corrupt { moved_to, .. } = &err else {
        panic!("wrong error: {err}")
    };
    assert!(moved_to
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("gongwen.db.corrupt-"));
    assert!(
        err.to_string().contains(&moved_to.display().to_string()),
        "{err}"
    );
    assert!(err.message_zh().contains(&moved_to.display().to_string()));
    // Moved, not deleted: the bytes are all there.
    assert_eq!(std::fs::read_to_string(moved_to).unwrap(), junk);
    assert!(!db.exists());
    // The next open starts an empty store.
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.list(&ListFilter::default()).unwrap().total, 0);
}

#[test]
fn a_damaged_database_is_moved_aside_with_its_wal() {
    let dir = store_with_documents(200);
    let db = dir.path().join(DB_FILE);
    // Overwrite pages in the middle of the file (keeping the 100-byte header valid).
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 64 * 1024, "{}", bytes.len());
    for b in &mut bytes[8192..40960] {
        *b = 0x5A;
    }
    std::fs::write(&db, &bytes).unwrap();
    // A leftover WAL belongs with the database and must travel with it.
    let wal = dir.path().join(format!("{DB_FILE}-wal"));
    std::fs::write(&wal, b"").unwrap();

    let err = Store::open(dir.path()).err().expect("must refuse");
    let StoreError::Corrupt {
        moved_to, reason, ..
    } = &err
    else {
        panic!("wrong error: {err}")
    };
    assert!(!reason.is_empty());
    assert_eq!(std::fs::read(moved_to).unwrap(), bytes);
    let moved_wal = std::path::PathBuf::from(format!("{}-wal", moved_to.display()));
    assert!(moved_wal.exists(), "WAL not moved along");
    // The database, its WAL and the -shm SQLite made while checking it.
    assert_eq!(corrupt_entries(dir.path()).len(), 3);
    assert!(!db.exists() && !wal.exists());
    assert!(!dir.path().join(format!("{DB_FILE}-shm")).exists());
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.list(&ListFilter::default()).unwrap().total, 0);
}

#[test]
fn verify_notices_a_document_missing_from_the_index() {
    let dir = store_with_documents(5);
    let store = Store::open(dir.path()).unwrap();
    assert!(store.verify().unwrap().is_empty());
    drop(store);
    {
        let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute(
            "DELETE FROM search_all WHERE rowid = (SELECT max(sort_key) FROM documents)",
            [],
        )
        .unwrap();
        conn.execute(
            "DELETE FROM versions WHERE version = 1 AND doc_rowid = 1",
            [],
        )
        .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let problems = store.verify().unwrap();
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("latest version 1, but 0 versions stored")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("search_all") && p.contains("1 not indexed")),
        "{problems:#?}"
    );
}

/// Markers of open sessions next to the database (`gongwen.db.open-…`).
fn session_markers(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("gongwen.db.open-")
        })
        .count()
}

/// A store bigger than the size up to which every open runs the full check (64 MiB),
/// with the root page of the `documents_by_year` index overwritten: damage that only
/// the full check (or a query using that index) finds.
fn large_store_with_a_damaged_index() -> tempfile::TempDir {
    let dir = store_with_documents(50);
    let db = dir.path().join(DB_FILE);
    let root: i64 = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE filler(b BLOB); INSERT INTO filler VALUES (zeroblob(70 * 1024 * 1024));",
        )
        .unwrap();
        conn.query_row(
            "SELECT rootpage FROM sqlite_schema WHERE name = 'documents_by_year'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }; // closing checkpoints the WAL into the file and removes it
    assert!(!dir.path().join(format!("{DB_FILE}-wal")).exists());
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 64 * 1024 * 1024);
    let page = 16384;
    let start = (root as usize - 1) * page;
    for b in &mut bytes[start..start + page] {
        *b = 0x5A;
    }
    std::fs::write(&db, &bytes).unwrap();
    dir
}

#[test]
fn a_session_marker_exists_while_open_and_goes_on_a_clean_close() {
    let dir = store_with_documents(3);
    assert_eq!(session_markers(dir.path()), 0);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(session_markers(dir.path()), 1);
    drop(store);
    assert_eq!(session_markers(dir.path()), 0);
}

#[test]
fn damage_met_while_running_is_checked_and_set_aside_on_the_next_open() {
    let dir = large_store_with_a_damaged_index();
    // Closed cleanly and large: the open reads only the schema and the tables' first
    // pages, so it does not notice the damaged index.
    let store = Store::open(dir.path()).unwrap();
    let err = store
        .list(&ListFilter {
            year: Some(2026),
            ..ListFilter::default()
        })
        .expect_err("the damaged index must be noticed when used");
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    assert!(
        err.message_zh().contains("重新启动"),
        "{}",
        err.message_zh()
    );
    drop(store);
    // The marker stays, so the next open runs the full check and sets the file aside.
    assert_eq!(session_markers(dir.path()), 1);
    let err = Store::open(dir.path()).err().expect("must refuse");
    let StoreError::Corrupt { moved_to, .. } = &err else {
        panic!("wrong error: {err}")
    };
    assert!(std::fs::metadata(moved_to).unwrap().len() > 64 * 1024 * 1024);
    assert_eq!(session_markers(dir.path()), 0);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.list(&ListFilter::default()).unwrap().total, 0);
}

#[test]
fn a_session_that_did_not_close_leads_to_the_full_check() {
    let dir = large_store_with_a_damaged_index();
    let store = Store::open(dir.path()).unwrap();
    // As if the process were killed: no Drop, the marker stays.
    std::mem::forget(store);
    let err = Store::open(dir.path()).err().expect("must refuse");
    let StoreError::Corrupt {
        moved_to, reason, ..
    } = &err
    else {
        panic!("wrong error: {err}")
    };
    assert!(reason.contains("integrity check"), "{reason}");
    assert!(moved_to.exists());
    assert!(!dir.path().join(DB_FILE).exists());
}
