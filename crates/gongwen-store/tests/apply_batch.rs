//! Pages of the change log are stored in a batch (the import's technique), and the
//! store's idle upkeep (`Store::maintain`) and the directory's freshness, on real store
//! folders.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::{received, NOW};
use gongwen_core::wire::{
    Change, ChangeEntry, ChangesPage, CommandId, Delivery, DeliveryStatus, Directory,
    RecipientRole, Unit,
};
use gongwen_core::workflow::content_hash;
use gongwen_core::{DocStatus, Document, DocumentId};
use gongwen_store::{Account, ListFilter, Store, StoreError};

const SERVER: &str = "http://127.0.0.1:9";

fn me() -> Account {
    common::account(SERVER, "tjj-clerk", "sz-tjj")
}

fn delivery(seq: u64, id: DocumentId, status: DeliveryStatus) -> Change {
    Change {
        seq,
        command_id: CommandId(uuid::Uuid::new_v4()),
        entry: ChangeEntry::Delivery {
            document_id: id,
            delivery: Delivery {
                unit: "sz-tjj".into(),
                role: RecipientRole::Main,
                status,
                reason: None,
                by: "tjj-clerk".into(),
                at: NOW.into(),
            },
        },
    }
}

fn sent(seq: u64, id: DocumentId, doc: &Document) -> Change {
    Change {
        seq,
        command_id: CommandId(uuid::Uuid::new_v4()),
        entry: ChangeEntry::Sent {
            document_id: id,
            document: Box::new(doc.clone()),
            content_hash: content_hash(doc),
            deliveries: vec![Delivery {
                unit: "yq-gov".into(),
                role: RecipientRole::Main,
                status: DeliveryStatus::Delivered,
                reason: None,
                by: "tjj-clerk".into(),
                at: NOW.into(),
            }],
        },
    }
}

fn page(changes: Vec<Change>, next_cursor: u64) -> ChangesPage {
    ChangesPage {
        changes,
        next_cursor,
        has_more: false,
        ..ChangesPage::default()
    }
}

/// Documents dated out of order, so the batch's rowid order differs from page order.
fn documents(n: usize) -> Vec<(DocumentId, Document)> {
    (0..n)
        .map(|i| {
            let date = format!("2026年{}月{}日", 1 + (i * 7) % 12, 1 + (i * 5) % 28);
            let body = format!(
                "一、总体要求\n请各单位于{}日前报送第{i}批统计数据，做好防汛抗旱工作。",
                1 + i % 28
            );
            let doc = common::notice(&format!("关于报送第{i}批统计数据的通知"), &date, &body);
            (DocumentId(uuid::Uuid::new_v4()), doc)
        })
        .collect()
}

/// Everything a user can see of a document in a store, for comparing two stores.
fn view(store: &Store, id: DocumentId) -> impl PartialEq + std::fmt::Debug {
    let stored = store.get(id).unwrap().expect("document stored");
    let versions: Vec<_> = store
        .versions(id)
        .unwrap()
        .into_iter()
        .map(|v| (v.version, v.char_count))
        .collect();
    let content: Vec<_> = (1..=stored.version)
        .map(|v| {
            store
                .version(id, v)
                .unwrap()
                .expect("every version readable")
        })
        .collect();
    (
        stored.status,
        stored.document.clone(),
        content_hash(&stored.document),
        versions,
        content,
        store.exchanged_hash(id).unwrap(),
        store.incoming(id).unwrap(),
        store.deliveries(id).unwrap(),
    )
}

fn hits(store: &Store, query: &str) -> BTreeSet<DocumentId> {
    store
        .search(query, 1000)
        .unwrap()
        .into_iter()
        .map(|h| h.summary.id)
        .collect()
}

/// FTS5's `automerge` setting of a search table, read from the file.
fn automerge(dir: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(dir.join(gongwen_store::DB_FILE)).unwrap();
    conn.query_row(
        &format!("SELECT v FROM {table}_config WHERE k = 'automerge'"),
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn a_page_applied_as_one_batch_equals_the_same_changes_applied_one_by_one() {
    let docs = documents(40);
    let (edited_id, edited) = {
        let (id, doc) = &docs[7];
        let mut doc = doc.clone();
        doc.title.push_str("（修订）");
        (*id, doc)
    };
    let mut changes = Vec::new();
    for (id, doc) in &docs[..30] {
        changes.push(received(changes.len() as u64 + 1, *id, doc));
    }
    // The same document again (a re-sent change), a receipt, and a Sent of a document
    // received earlier in the page with other content: each is about a document
    // still waiting in the batch.
    changes.push(received(changes.len() as u64 + 1, docs[3].0, &docs[3].1));
    changes.push(delivery(
        changes.len() as u64 + 1,
        docs[5].0,
        DeliveryStatus::Acknowledged,
    ));
    changes.push(sent(changes.len() as u64 + 1, edited_id, &edited));
    // New documents after that, received and sent (the sender's other computer).
    for (id, doc) in &docs[30..35] {
        changes.push(received(changes.len() as u64 + 1, *id, doc));
    }
    for (id, doc) in &docs[35..] {
        changes.push(sent(changes.len() as u64 + 1, *id, doc));
    }
    let last = changes.len() as u64;

    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = Store::open(a_dir.path()).unwrap();
    let mut b = Store::open(b_dir.path()).unwrap();
    let at_once = a
        .apply_changes(&me(), &page(changes.clone(), last))
        .unwrap();
    let mut new_one_by_one = 0;
    for change in &changes {
        let r = b
            .apply_changes(&me(), &page(vec![change.clone()], change.seq))
            .unwrap();
        new_one_by_one += r.new_documents;
    }
    assert_eq!(at_once.new_documents, 40);
    assert_eq!(new_one_by_one, 40);
    assert_eq!(at_once.cursor, last);
    assert_eq!(b.cursor(&me()).unwrap(), last);

    for (id, doc) in &docs {
        assert_eq!(view(&a, *id), view(&b, *id), "document {id}");
        if *id != edited_id {
            let stored = a.get(*id).unwrap().unwrap();
            assert_eq!(&stored.document, doc);
            assert_eq!(stored.version, 1);
            assert_eq!(
                a.exchanged_hash(*id).unwrap().as_deref(),
                Some(content_hash(doc).as_str())
            );
        }
    }
    // The Sent after the Received appended what was sent as version 2.
    let e = a.get(edited_id).unwrap().unwrap();
    assert_eq!((e.version, e.status), (2, DocStatus::Dispatched));
    assert_eq!(e.document, edited);
    assert_eq!(
        a.incoming(docs[5].0).unwrap().unwrap().status,
        DeliveryStatus::Acknowledged
    );

    let inbox = |s: &Store| -> BTreeSet<DocumentId> {
        s.inbox().unwrap().iter().map(|i| i.summary.id).collect()
    };
    assert_eq!(inbox(&a), inbox(&b));
    assert_eq!(inbox(&a).len(), 35);
    for query in ["统计数据", "修订", "第12批", "防汛"] {
        assert_eq!(hits(&a, query), hits(&b, query), "search {query}");
    }
    assert_eq!(hits(&a, "第12批").len(), 1);
    assert_eq!(
        a.list(&ListFilter::default()).unwrap().total,
        b.list(&ListFilter::default()).unwrap().total
    );
    assert_eq!(a.verify().unwrap(), Vec::<String>::new());
    assert_eq!(b.verify().unwrap(), Vec::<String>::new());

    // Applying the page again is harmless: nothing new, nothing changed.
    let again = a.apply_changes(&me(), &page(changes, last)).unwrap();
    assert_eq!(again.new_documents, 0);
    for (id, _) in &docs {
        assert_eq!(
            view(&a, *id),
            view(&b, *id),
            "document {id} after a re-pull"
        );
    }
    assert_eq!(a.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn a_page_that_fails_leaves_no_document_the_old_cursor_and_merging_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let docs = documents(12);
    let first: Vec<Change> = docs[..2]
        .iter()
        .enumerate()
        .map(|(i, (id, doc))| received(i as u64 + 1, *id, doc))
        .collect();
    store.apply_changes(&me(), &page(first, 2)).unwrap();
    let merging = automerge(dir.path(), "search_all");
    assert!(merging > 0, "merging is on between pages");

    // The whole batch is written before the cursor, which cannot be stored: the
    // transaction is rolled back with the documents in it.
    let rest: Vec<Change> = docs[2..]
        .iter()
        .enumerate()
        .map(|(i, (id, doc))| received(i as u64 + 3, *id, doc))
        .collect();
    let err = store
        .apply_changes(&me(), &page(rest.clone(), u64::MAX))
        .unwrap_err();
    assert!(matches!(err, StoreError::BadRecord(_)), "{err:?}");
    assert_eq!(store.cursor(&me()).unwrap(), 2);
    assert_eq!(store.list(&ListFilter::default()).unwrap().total, 2);
    for (id, _) in &docs[2..] {
        assert!(store.get(*id).unwrap().is_none());
    }
    assert_eq!(automerge(dir.path(), "search_all"), merging);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());

    // Pulled again, the page applies in full.
    let r = store.apply_changes(&me(), &page(rest, 12)).unwrap();
    assert_eq!((r.new_documents, r.cursor), (10, 12));
    assert_eq!(automerge(dir.path(), "search_all"), merging);
    assert_eq!(hits(&store, "统计数据").len(), 12);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

/// Rows of a search table's segment data (leaves and structure), read from the file.
fn segment_rows(dir: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(dir.join(gongwen_store::DB_FILE)).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}_data"), [], |r| {
        r.get(0)
    })
    .unwrap()
}

#[test]
fn upkeep_merges_search_segments_and_empties_the_log_without_changing_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let docs = documents(48);
    // Eight pages: one new segment per search table each, none merged while syncing.
    for (p, chunk) in docs.chunks(6).enumerate() {
        let changes = chunk
            .iter()
            .enumerate()
            .map(|(i, (id, doc))| received((p * 6 + i) as u64 + 1, *id, doc))
            .collect();
        store
            .apply_changes(&me(), &page(changes, (p as u64 + 1) * 6))
            .unwrap();
    }
    let queries = ["统计数据", "第17批", "防汛抗旱", "总体要求"];
    let before: Vec<_> = queries.iter().map(|q| hits(&store, q)).collect();
    let rows_before = segment_rows(dir.path(), "search_all");

    let report = store.maintain().unwrap();
    assert!(!report.busy);
    assert!(report.wal_pages > 0, "the pages were in the log");
    assert_eq!(
        report.copied_pages, report.wal_pages,
        "with no reader, every page reaches the database file"
    );
    assert!(
        segment_rows(dir.path(), "search_all") < rows_before,
        "eight one-page segments were merged"
    );
    let after: Vec<_> = queries.iter().map(|q| hits(&store, q)).collect();
    assert_eq!(before, after);
    assert_eq!(after[1].len(), 1);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());

    // Nothing left to do: a second call copies nothing new and changes nothing.
    let again = store.maintain().unwrap();
    assert!(!again.busy);
    assert_eq!(again.copied_pages, again.wal_pages);
    let after_again: Vec<_> = queries.iter().map(|q| hits(&store, q)).collect();
    assert_eq!(before, after_again);
}

#[test]
fn an_import_shares_the_batch_and_is_searchable_after_upkeep() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let docs = documents(20);
    for chunk in docs.chunks(4) {
        let batch: Vec<(Document, DocStatus)> = chunk
            .iter()
            .map(|(_, d)| (d.clone(), DocStatus::Draft))
            .collect();
        let ids = store.import(&batch).unwrap();
        for (id, (doc, _)) in ids.iter().zip(&batch) {
            assert_eq!(&store.get(*id).unwrap().unwrap().document, doc);
        }
    }
    assert!(automerge(dir.path(), "search_all") > 0);
    assert_eq!(hits(&store, "统计数据").len(), 20);
    store.maintain().unwrap();
    assert_eq!(hits(&store, "统计数据").len(), 20);
    assert_eq!(hits(&store, "第9批").len(), 1);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

fn directory() -> Directory {
    Directory {
        units: vec![Unit {
            code: "sz-tjj".into(),
            name: "宿州市统计局".into(),
            short_name: None,
        }],
        users: vec![],
        clearances: None,
        flows: vec![],
        flow_versions: vec![],
    }
}

/// Writes the directory's fetch record as an earlier version of the app would have,
/// `age` ago (negative: in the future), to test ages without waiting.
fn backdate_directory(dir: &Path, server: &str, age: chrono::TimeDelta) {
    let at = (chrono::Utc::now() - age).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let conn = rusqlite::Connection::open(dir.join(gongwen_store::DB_FILE)).unwrap();
    let value = serde_json::json!({ "server": server, "at": at }).to_string();
    let n = conn
        .execute(
            "UPDATE settings SET value = ?1 WHERE key = 'directory_fetched'",
            [value],
        )
        .unwrap();
    assert_eq!(n, 1, "the fetch record exists");
}

#[test]
fn a_fetched_directory_is_fresh_for_its_server_until_it_ages() {
    let dir = tempfile::tempdir().unwrap();
    let ten_minutes = Duration::from_secs(600);
    {
        let mut store = Store::open(dir.path()).unwrap();
        assert!(!store.directory_is_fresh(SERVER, ten_minutes).unwrap());
        store.set_fetched_directory(SERVER, &directory()).unwrap();
        assert!(store.directory_is_fresh(SERVER, ten_minutes).unwrap());
        // The same server written with a trailing slash is the same server.
        assert!(store
            .directory_is_fresh(&format!("{SERVER}/"), ten_minutes)
            .unwrap());
        assert!(!store
            .directory_is_fresh("http://127.0.0.1:10", ten_minutes)
            .unwrap());
        assert!(!store.directory_is_fresh(SERVER, Duration::ZERO).unwrap());
        assert!(store.directory_fetched_at(SERVER).unwrap().is_some());
    }
    // Kept across a restart of the app.
    let store = Store::open(dir.path()).unwrap();
    assert!(store.directory_is_fresh(SERVER, ten_minutes).unwrap());
    drop(store);

    backdate_directory(dir.path(), SERVER, chrono::TimeDelta::minutes(9));
    let store = Store::open(dir.path()).unwrap();
    assert!(store.directory_is_fresh(SERVER, ten_minutes).unwrap());
    drop(store);
    backdate_directory(dir.path(), SERVER, chrono::TimeDelta::minutes(11));
    let store = Store::open(dir.path()).unwrap();
    assert!(!store.directory_is_fresh(SERVER, ten_minutes).unwrap());
    assert!(store
        .directory_is_fresh(SERVER, Duration::from_secs(3600))
        .unwrap());
    // Stale or not, the cached copy is what addressing uses (offline too).
    assert_eq!(store.directory().unwrap(), directory());
    drop(store);
    // A fetch time in the future (the clock was set back) counts as stale.
    backdate_directory(dir.path(), SERVER, chrono::TimeDelta::minutes(-5));
    let store = Store::open(dir.path()).unwrap();
    assert!(!store.directory_is_fresh(SERVER, ten_minutes).unwrap());

    drop(store);
    // An unreadable record (a damaged or foreign value) means stale, never an error:
    // it must not stop the sync.
    {
        let conn = rusqlite::Connection::open(dir.path().join(gongwen_store::DB_FILE)).unwrap();
        conn.execute(
            "UPDATE settings SET value = 'not json' WHERE key = 'directory_fetched'",
            [],
        )
        .unwrap();
    }
    let mut store = Store::open(dir.path()).unwrap();
    assert!(!store.directory_is_fresh(SERVER, ten_minutes).unwrap());
    assert_eq!(store.directory_fetched_at(SERVER).unwrap(), None);

    // A directory set without a fetch record is never fresh.
    store.set_fetched_directory(SERVER, &directory()).unwrap();
    store.set_directory(&Directory::default()).unwrap();
    assert!(!store.directory_is_fresh(SERVER, ten_minutes).unwrap());
    assert_eq!(store.directory_fetched_at(SERVER).unwrap(), None);
    assert_eq!(store.directory().unwrap(), Directory::default());
}
