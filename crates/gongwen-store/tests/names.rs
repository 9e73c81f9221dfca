//! Enum values as stored text (`gongwen_core`'s `as_str` / `FromStr`), and the one
//! policy for a shared store whose lock was poisoned (`gongwen_store::lock`). On real
//! store folders.

mod common;

use std::sync::{Arc, Mutex};

use gongwen_core::DocStatus;
use gongwen_store::{Store, StoreError, DB_FILE};

use common::notice;

#[test]
fn a_stored_name_that_is_no_value_is_a_bad_record_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let doc = notice("关于召开会议的通知", "2026年3月2日", "请准时参加。");
    let id = {
        let mut store = Store::open(dir.path()).unwrap();
        let id = store.create_document(&doc, DocStatus::Draft).unwrap().id;
        assert_eq!(store.get(id).unwrap().unwrap().status, DocStatus::Draft);
        id
    };
    // As another build (or damage) might have left it.
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute(
        "UPDATE documents SET status = 'signed-off' WHERE id = ?1",
        [id.to_string()],
    )
    .unwrap();
    drop(conn);

    let store = Store::open(dir.path()).unwrap();
    let err = store.get(id).unwrap_err();
    let StoreError::BadRecord(text) = &err else {
        panic!("not a bad record: {err:?}");
    };
    assert!(text.contains("document status"), "{text}");
    assert!(text.contains("`signed-off`"), "{text}");
    assert!(text.contains("signed_off"), "{text}");
}

#[test]
fn a_store_whose_holder_panicked_is_used_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let shared = Arc::new(Mutex::new(Store::open(dir.path()).unwrap()));
    let id = gongwen_store::lock(&shared)
        .create_document(
            &notice("关于甲的通知", "2026年3月2日", "甲。"),
            DocStatus::Draft,
        )
        .unwrap()
        .id;

    let holder = Arc::clone(&shared);
    let panicked = std::thread::spawn(move || {
        let mut store = holder.lock().unwrap();
        let mut changed = store.get(id).unwrap().unwrap().document;
        changed.title = "关于乙的通知".into();
        store.save_draft(id, &changed).unwrap();
        panic!("the holder fails while it holds the store");
    })
    .join();
    assert!(panicked.is_err());
    assert!(shared.is_poisoned());

    let mut store = gongwen_store::lock(&shared);
    assert_eq!(
        store.get(id).unwrap().unwrap().document.title,
        "关于乙的通知"
    );
    let mut again = store.get(id).unwrap().unwrap().document;
    again.title = "关于丙的通知".into();
    store.save_draft(id, &again).unwrap();
    assert_eq!(store.get(id).unwrap().unwrap().version, 3);
}
