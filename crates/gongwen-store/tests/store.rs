//! Documents, versions, lists and attachments on real SQLite files.

mod common;

use common::{notice, request};
use gongwen_core::{DocKind, DocStatus, Document, DocumentId};
use gongwen_store::{ListFilter, SortOrder, Store, StoreError};

#[test]
fn a_created_document_reads_back_as_version_1() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let doc = notice(
        "关于做好2026年防汛工作的通知",
        "2026年5月10日",
        "为做好防汛工作，现通知如下。\n一、提高认识",
    );
    let stored = store.create_document(&doc, DocStatus::Draft).unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(stored.status, DocStatus::Draft);
    assert!(chrono::DateTime::parse_from_rfc3339(&stored.created_at).is_ok());
    drop(store);

    // A fresh process sees the same thing.
    let store = Store::open(dir.path()).unwrap();
    let got = store.get(stored.id).unwrap().unwrap();
    assert_eq!(got.document, doc);
    assert_eq!(got.version, 1);
    assert!(store
        .get(DocumentId(uuid::Uuid::new_v4()))
        .unwrap()
        .is_none());
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn every_save_is_a_new_version_and_old_ones_stay() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let v1 = notice("关于防汛的通知", "", "第一稿。");
    let id = store.create_document(&v1, DocStatus::Draft).unwrap().id;
    let mut v2 = v1.clone();
    v2.body = gongwen_core::Body::from_text("第二稿，加长了一些。");
    let s2 = store.save_draft(id, &v2).unwrap();
    assert_eq!(s2.version, 2);
    // Saving the same content again is not a new version.
    let again = store.save_draft(id, &v2).unwrap();
    assert_eq!(again.version, 2);
    let mut v3 = v2.clone();
    v3.title = "关于做好防汛工作的通知".into();
    assert_eq!(store.save_draft(id, &v3).unwrap().version, 3);

    let versions = store.versions(id).unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(versions[0].char_count, 4);
    assert_eq!(versions[1].char_count, 10);
    assert_eq!(store.version(id, 1).unwrap().unwrap(), v1);
    assert_eq!(store.version(id, 2).unwrap().unwrap(), v2);
    assert_eq!(store.get(id).unwrap().unwrap().document, v3);
    assert!(store.version(id, 4).unwrap().is_none());
    // The list and the search see the latest title only.
    let page = store.list(&ListFilter::default()).unwrap();
    assert_eq!(page.items[0].title, "关于做好防汛工作的通知");
    assert_eq!(store.search("做好", 10).unwrap().len(), 1);
    assert!(store.search("第一稿", 10).unwrap().is_empty());
    assert_eq!(store.search("第二稿", 10).unwrap().len(), 1);
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn saving_an_unknown_or_archived_document_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let doc = notice("关于防汛的通知", "2026年5月10日", "正文。");
    let missing = DocumentId(uuid::Uuid::new_v4());
    assert!(matches!(
        store.save_draft(missing, &doc),
        Err(StoreError::NotFound(_))
    ));
    let id = store.create_document(&doc, DocStatus::Draft).unwrap().id;
    store.set_status(id, DocStatus::Archived).unwrap();
    let mut changed = doc.clone();
    changed.title = "改过的标题的通知".into();
    let err = store.save_draft(id, &changed).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::ReadOnly {
                why: gongwen_store::ReadOnly::Archived,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.message_zh().contains("已归档"));
    assert_eq!(store.get(id).unwrap().unwrap().document, doc);
}

#[test]
fn lists_filter_sort_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let docs = vec![
        (
            notice("甲的通知", "2026年3月1日", "正文。"),
            DocStatus::Draft,
        ),
        (
            notice("乙的通知", "2025年12月30日", "正文。"),
            DocStatus::SignedOff,
        ),
        (
            request("丙的请示", "2026年11月2日", "正文。"),
            DocStatus::Draft,
        ),
        (notice("丁的通知", "", "未写日期的草稿。"), DocStatus::Draft),
    ];
    store.import(&docs).unwrap();

    let all = store.list(&ListFilter::default()).unwrap();
    assert_eq!(all.total, 4);
    let titles: Vec<_> = all.items.iter().map(|s| s.title.as_str()).collect();
    // The undated draft sorts by the day it was saved, i.e. today.
    let today = chrono::Utc::now().date_naive();
    let mut expected = [
        (
            chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            "甲的通知",
        ),
        (
            chrono::NaiveDate::from_ymd_opt(2025, 12, 30).unwrap(),
            "乙的通知",
        ),
        (
            chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            "丙的请示",
        ),
        (today, "丁的通知"),
    ];
    expected.sort_by_key(|e| std::cmp::Reverse(e.0));
    assert_eq!(titles, expected.iter().map(|e| e.1).collect::<Vec<_>>());
    let asc = store
        .list(&ListFilter {
            sort: SortOrder::DateAsc,
            ..ListFilter::default()
        })
        .unwrap();
    assert_eq!(asc.items[0].title, "乙的通知");

    let notices = store
        .list(&ListFilter {
            kind: Some(DocKind::Notice),
            ..ListFilter::default()
        })
        .unwrap();
    assert_eq!(notices.total, 3);
    assert!(notices.items.iter().all(|s| s.kind == DocKind::Notice));

    let y2025 = store
        .list(&ListFilter {
            year: Some(2025),
            ..ListFilter::default()
        })
        .unwrap();
    assert_eq!(y2025.total, 1);
    assert_eq!(y2025.items[0].title, "乙的通知");
    assert_eq!(y2025.items[0].year, Some(2025));
    assert_eq!(y2025.items[0].issuer, "宿州市人民政府办公室");

    let drafts_2026 = store
        .list(&ListFilter {
            status: Some(DocStatus::Draft),
            year: Some(2026),
            ..ListFilter::default()
        })
        .unwrap();
    // 丁 has no date but its number 宿政办〔2026〕12号 gives the year.
    assert_eq!(drafts_2026.total, 3);

    let page2 = store
        .list(&ListFilter {
            offset: 2,
            limit: 1,
            sort: SortOrder::DateAsc,
            ..ListFilter::default()
        })
        .unwrap();
    assert_eq!(page2.total, 4);
    assert_eq!(page2.items.len(), 1);

    // Counts follow status changes (forward only: 草稿 → 已签发).
    let id = store.search("甲的", 5).unwrap()[0].summary.id;
    store.set_status(id, DocStatus::SignedOff).unwrap();
    let drafts = store
        .list(&ListFilter {
            status: Some(DocStatus::Draft),
            ..ListFilter::default()
        })
        .unwrap();
    assert_eq!(drafts.total, 2);
    assert_eq!(drafts.items.len(), 2);
}

#[test]
fn import_is_all_or_nothing_and_keeps_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let docs: Vec<(Document, DocStatus)> = (1..=30)
        .map(|i| {
            (
                notice(&format!("第{i}号测试的通知"), "2026年1月5日", "正文。"),
                DocStatus::Incoming,
            )
        })
        .collect();
    let ids = store.import(&docs).unwrap();
    assert_eq!(ids.len(), 30);
    for (id, (doc, _)) in ids.iter().zip(&docs) {
        let got = store.get(*id).unwrap().unwrap();
        assert_eq!(&got.document, doc);
        assert_eq!(got.status, DocStatus::Incoming);
    }
    assert_eq!(store.list(&ListFilter::default()).unwrap().total, 30);
}

#[test]
fn a_streamed_import_keeps_everything_on_commit_and_nothing_when_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let n = gongwen_store::IMPORT_CHUNK + 7; // crosses a chunk written mid-import
    let doc = |i: usize| notice(&format!("第{i}号流式导入的通知"), "2026年2月3日", "正文。");

    // Dropped after more than a chunk was written: nothing is kept, the store still works.
    let mut import = store.begin_import().unwrap();
    for i in 0..n {
        import.add(doc(i), DocStatus::Incoming).unwrap();
    }
    drop(import);
    assert_eq!(store.list(&ListFilter::default()).unwrap().total, 0);
    assert!(store.search("流式导入", 10).unwrap().is_empty());

    let mut import = store.begin_import().unwrap();
    let ids: Vec<DocumentId> = (0..n)
        .map(|i| import.add(doc(i), DocStatus::Incoming).unwrap())
        .collect();
    import.commit().unwrap();
    assert_eq!(store.list(&ListFilter::default()).unwrap().total, n as u64);
    for i in [
        0,
        gongwen_store::IMPORT_CHUNK - 1,
        gongwen_store::IMPORT_CHUNK,
        n - 1,
    ] {
        let got = store.get(ids[i]).unwrap().unwrap();
        assert_eq!(got.document, doc(i));
    }
    // The last chunk, written at commit, is found like the first.
    let hits = store.search(&format!("第{}号", n - 1), 10).unwrap();
    assert!(hits.iter().any(|h| h.summary.id == ids[n - 1]), "{hits:?}");
}

/// A store with one draft, and a folder holding `名单.xlsx` ("hello").
fn draft_and_file() -> (tempfile::TempDir, Store, DocumentId, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let id = store
        .create_document(
            &notice("关于防汛的通知", "2026年5月10日", "正文。"),
            DocStatus::Draft,
        )
        .unwrap()
        .id;
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("名单.xlsx"), b"hello").unwrap();
    (dir, store, id, src)
}

#[test]
fn attachments_are_stored_once_by_hash() {
    let (dir, mut store, id, src) = draft_and_file();
    let a = src.path().join("名单.xlsx");
    let b = src.path().join("copy.xlsx");
    std::fs::write(&b, b"hello").unwrap();

    let s = store.add_attachment_file(id, "防汛责任人名单", &a).unwrap();
    assert_eq!(s.version, 2);
    let att = &s.document.attachments[0];
    let hash = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    assert_eq!(att.sha256.as_deref(), Some(hash));
    assert_eq!(att.size, Some(5));
    assert_eq!(att.file_name.as_deref(), Some("名单.xlsx"));
    let s = store.add_attachment_file(id, "副本", &b).unwrap();
    assert_eq!(s.document.attachments.len(), 2);

    let path = store.attachment_path(hash).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"hello");
    let stored: Vec<_> = std::fs::read_dir(dir.path().join("attachments"))
        .unwrap()
        .collect();
    assert_eq!(stored.len(), 1, "identical content is stored once");

    for bad in ["../gongwen.db", "2CF24", &"z".repeat(64), "/etc/passwd"] {
        assert!(
            matches!(store.attachment_path(bad), Err(StoreError::InvalidHash(_))),
            "{bad}"
        );
    }
    let missing = "0".repeat(64);
    assert!(matches!(
        store.attachment_path(&missing),
        Err(StoreError::AttachmentMissing { .. })
    ));
    let err = store
        .add_attachment_file(id, "不存在", &src.path().join("nope.pdf"))
        .unwrap_err();
    assert!(matches!(err, StoreError::Read { .. }), "{err}");
    assert!(err.to_string().contains("nope.pdf"));
    assert_eq!(store.get(id).unwrap().unwrap().version, 3);
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn a_file_is_staged_without_the_store_and_listed_afterwards() {
    let (dir, mut store, id, src) = draft_and_file();
    let file = src.path().join("名单.xlsx");

    // Staging needs only the folder: the app copies without holding the store.
    let staged = Store::stage_file(&store.attachments_dir(), &file).unwrap();
    let hash = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    assert_eq!(staged.sha256, hash);
    assert_eq!(staged.size, 5);
    assert_eq!(staged.file_name.as_deref(), Some("名单.xlsx"));
    assert_eq!(
        std::fs::read(dir.path().join("attachments").join(hash)).unwrap(),
        b"hello",
        "the file is in place before any document lists it"
    );
    assert!(store
        .get(id)
        .unwrap()
        .unwrap()
        .document
        .attachments
        .is_empty());

    let s = store.add_staged_file(id, "防汛责任人名单", staged).unwrap();
    assert_eq!(s.version, 2);
    let att = &s.document.attachments[0];
    assert_eq!(att.name, "防汛责任人名单");
    assert_eq!(att.sha256.as_deref(), Some(hash));
    assert_eq!(
        store.attachment_path(hash).unwrap(),
        dir.path().join("attachments").join(hash)
    );
    assert!(store.verify().unwrap().is_empty());

    let unreadable = Store::stage_file(&store.attachments_dir(), &src.path().join("nope.pdf"));
    assert!(matches!(unreadable, Err(StoreError::Read { .. })));
}
