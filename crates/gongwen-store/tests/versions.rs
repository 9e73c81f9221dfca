//! Versions that mean something, on real SQLite files: autosave keeps the working copy
//! without a new 版; 保存, a pause in typing, a workflow step and a restore make one;
//! each records who, when, at which step and why; the 版 that was 签发ed or 分发ed is
//! marked; a store from before keeps its versions as they were.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::{account, notice, NOW};
use gongwen_core::revision::VersionReason;
use gongwen_core::wire::{
    Change, ChangeEntry, ChangesPage, CommandId, CommandOutcome, CommandResult, Delivery,
    DeliveryStatus, RecipientRole,
};
use gongwen_core::workflow::content_hash;
use gongwen_core::{Body, DocStatus, Document};
use gongwen_store::{Store, StoreError, LOCAL_AUTHOR};

fn with_body(doc: &Document, body: &str) -> Document {
    let mut d = doc.clone();
    d.body = Body::from_text(body);
    d
}

fn numbers(store: &Store, id: gongwen_core::DocumentId) -> Vec<u32> {
    store
        .versions(id)
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

#[test]
fn autosave_keeps_the_working_copy_without_a_new_version_and_save_makes_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let draft = notice("关于冬季森林防火的通知", "", "");
    let id = store.create_document(&draft, DocStatus::Draft).unwrap().id;
    let first = store.versions(id).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].reason, VersionReason::Created);
    assert_eq!(first[0].author.as_deref(), Some(LOCAL_AUTHOR));

    // Typing: ten autosaves, each a little more text. No new 版.
    let mut text = String::new();
    for word in "各地要落实护林员进山蹲守制度".chars() {
        text.push(word);
        let saved = store.autosave(id, &with_body(&draft, &text)).unwrap();
        assert_eq!(saved.version, 1);
        assert!(saved.working_copy_at.is_some());
    }
    assert_eq!(numbers(&store, id), [1]);
    // The working copy is what the document shows, lists and is found by, after a
    // restart too.
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    let got = store.get(id).unwrap().unwrap();
    assert_eq!(got.version, 1);
    assert_eq!(got.document.body.to_text(), text);
    assert!(got.working_copy_at.is_some());
    assert_eq!(store.search("蹲守", 5).unwrap().len(), 1);
    assert!(store.verify().unwrap().is_empty(), "{:?}", store.verify());
    // Version 1 itself is untouched.
    assert_eq!(store.version(id, 1).unwrap().unwrap(), draft);

    // 保存: the working copy becomes 第2版, by whoever is logged in (本机: nobody).
    let saved = store.save_draft(id, &with_body(&draft, &text)).unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(saved.working_copy_at, None);
    let versions = store.versions(id).unwrap();
    assert_eq!(numbers(&store, id), [1, 2]);
    assert_eq!(versions[1].reason, VersionReason::Saved);
    assert_eq!(versions[1].author.as_deref(), Some(LOCAL_AUTHOR));
    assert_eq!(store.get(id).unwrap().unwrap().working_copy_at, None);
    // Saving it again is no new version; an autosave of the same text is no working copy.
    assert_eq!(
        store
            .save_draft(id, &with_body(&draft, &text))
            .unwrap()
            .version,
        2
    );
    let same = store.autosave(id, &with_body(&draft, &text)).unwrap();
    assert_eq!((same.version, same.working_copy_at), (2, None));
    // Typed and undone: back to 第2版, no working copy left behind.
    store.autosave(id, &with_body(&draft, "别的")).unwrap();
    let back = store.autosave(id, &with_body(&draft, &text)).unwrap();
    assert_eq!((back.version, back.working_copy_at), (2, None));
    assert!(store.search("别的", 5).unwrap().is_empty());
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn the_version_author_is_the_logged_in_users_display_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .set_account(Some(&account("http://127.0.0.1:9", "szb-clerk", "szb")))
        .unwrap();
    let draft = notice("关于节日值班的通知", "", "做好值班。");
    let id = store.create_document(&draft, DocStatus::Draft).unwrap().id;
    store
        .autosave(id, &with_body(&draft, "做好节日值班。"))
        .unwrap();
    store
        .save_version(
            id,
            &with_body(&draft, "做好节日值班。"),
            VersionReason::Finished,
        )
        .unwrap();
    let versions = store.versions(id).unwrap();
    assert_eq!(versions[1].author.as_deref(), Some("张明"));
    assert_eq!(versions[1].reason, VersionReason::Finished);
}

#[test]
fn a_pause_after_minutes_of_typing_makes_a_version_of_the_text_at_the_pause() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let draft = notice("关于防汛的通知", "", "");
    let id = store.create_document(&draft, DocStatus::Draft).unwrap().id;
    let t0 = at("2026-12-07T09:00:00Z");
    let step = |s: i64| t0 + TimeDelta::seconds(s);

    // Two minutes of typing, then a long pause: too little work for a version.
    store
        .autosave_at(id, &with_body(&draft, "一"), step(0))
        .unwrap();
    store
        .autosave_at(id, &with_body(&draft, "一二"), step(120))
        .unwrap();
    store
        .autosave_at(id, &with_body(&draft, "一二三"), step(900))
        .unwrap();
    assert_eq!(numbers(&store, id), [1]);

    // Now the working copy spans from 0 s to 15 min; typing on with 3 s gaps is no pause.
    store
        .autosave_at(id, &with_body(&draft, "一二三四"), step(903))
        .unwrap();
    store
        .autosave_at(id, &with_body(&draft, "一二三四五"), step(906))
        .unwrap();
    assert_eq!(numbers(&store, id), [1]);

    // 31 s without a keystroke, then typing again: the text at the pause is 第2版.
    let resumed = store
        .autosave_at(id, &with_body(&draft, "一二三四五六"), step(937))
        .unwrap();
    assert_eq!(resumed.version, 2);
    assert!(resumed.working_copy_at.is_some());
    let versions = store.versions(id).unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1].reason, VersionReason::Paused);
    assert_eq!(at(&versions[1].saved_at), step(906));
    assert_eq!(
        store.version(id, 2).unwrap().unwrap().body.to_text(),
        "一二三四五"
    );
    // What was typed after the pause is the working copy, not lost.
    assert_eq!(
        store.get(id).unwrap().unwrap().document.body.to_text(),
        "一二三四五六"
    );
    // The new working copy starts the count again.
    store
        .autosave_at(id, &with_body(&draft, "一二三四五六七"), step(1000))
        .unwrap();
    assert_eq!(numbers(&store, id), [1, 2]);
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn restoring_makes_a_new_version_with_the_old_text_and_keeps_every_other() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let draft = notice("关于防汛的通知", "", "");
    let id = store.create_document(&draft, DocStatus::Draft).unwrap().id;
    let a = with_body(&draft, "原则同意报送。");
    let b = with_body(&draft, "同意报送，请于11月20日前报送。");
    store.save_draft(id, &a).unwrap();
    store.save_draft(id, &b).unwrap();
    // Edits not yet a version when the restore comes: kept as one, not overwritten.
    let c = with_body(&draft, "同意报送，请于11月25日前报送。");
    store.autosave(id, &c).unwrap();

    let restored = store.restore_version(id, 2).unwrap();
    assert_eq!(restored.version, 5);
    assert_eq!(restored.document, a);
    assert_eq!(store.get(id).unwrap().unwrap().document, a);
    assert_eq!(numbers(&store, id), [1, 2, 3, 4, 5]);
    let versions = store.versions(id).unwrap();
    assert_eq!(versions[3].reason, VersionReason::Autosaved);
    assert_eq!(store.version(id, 4).unwrap().unwrap(), c);
    assert_eq!(versions[4].reason, VersionReason::Restored);
    assert_eq!(versions[4].restored_from, Some(2));
    assert_eq!(store.version(id, 2).unwrap().unwrap(), a);
    assert_eq!(store.version(id, 3).unwrap().unwrap(), b);
    assert!(store.search("同意报送，请于", 5).unwrap().is_empty());
    assert_eq!(store.search("原则同意", 5).unwrap().len(), 1);

    // A version that does not exist is named.
    let err = store.restore_version(id, 9).unwrap_err();
    assert!(matches!(err, StoreError::NoSuchVersion { version: 9, .. }));
    assert_eq!(err.message_zh(), "该公文没有第9版。");
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn a_workflow_step_numbers_the_working_copy_with_its_step_and_signing_marks_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let draft = notice("关于防汛的通知", "", "原则同意。");
    let id = store.create_document(&draft, DocStatus::Draft).unwrap().id;

    // Nothing typed since 第1版: the step finds it and makes no new one.
    let same = store
        .make_version(id, "李四", Some("核稿"), VersionReason::Step)
        .unwrap();
    assert_eq!(same.version, 1);
    assert_eq!(numbers(&store, id), [1]);

    store.autosave(id, &with_body(&draft, "同意。")).unwrap();
    let made = store
        .make_version(id, " 李四 ", Some("核稿"), VersionReason::Step)
        .unwrap();
    assert_eq!(made.version, 2);
    assert_eq!(made.author.as_deref(), Some("李四"));
    assert_eq!(made.step.as_deref(), Some("核稿"));
    assert_eq!(store.get(id).unwrap().unwrap().working_copy_at, None);

    let err = store
        .make_version(id, "李四", Some("  "), VersionReason::Step)
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::InvalidVersionLabel { what: "step", .. }
    ));
    assert_eq!(err.message_zh(), "版本的环节名称须为1至40个字。");
    assert!(err.to_string().contains("step"));

    // 签发: the version the leader signed is marked, and only that one.
    let signed = store.mark_signed_off(id, "王局长").unwrap();
    assert_eq!(signed.version, 2);
    assert_eq!(signed.signed_off_by.as_deref(), Some("王局长"));
    let versions = store.versions(id).unwrap();
    assert!(versions[1].signed_off_at.is_some());
    assert!(versions[0].signed_off_at.is_none());
}

fn dispatch_accepted(store: &mut Store, command_id: CommandId) {
    assert!(store
        .record_outcome(&CommandOutcome {
            command_id,
            result: CommandResult::Accepted,
            decided_at: NOW.into(),
        })
        .unwrap());
}

#[test]
fn the_dispatched_version_is_marked_and_unsaved_edits_are_numbered_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .set_account(Some(&account("http://127.0.0.1:9", "szb-clerk", "szb")))
        .unwrap();
    let draft = notice("关于防汛的通知", "2026年11月25日", "请做好防汛工作。");
    let id = store.create_document(&draft, DocStatus::Draft).unwrap().id;
    store
        .save_draft(id, &with_body(&draft, "请切实做好防汛工作。"))
        .unwrap();
    // Typed after the last 保存 and dispatched at once: the 分发 numbers it.
    let sent = with_body(&draft, "请切实做好今年防汛工作。");
    store.autosave(id, &sent).unwrap();
    let command = store
        .queue_dispatch(id, vec!["sz-fgw".into()], vec![])
        .unwrap();
    let versions = store.versions(id).unwrap();
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[2].step.as_deref(), Some("分发"));
    assert_eq!(store.version(id, 3).unwrap().unwrap(), sent);
    // Queued is not dispatched yet.
    assert!(versions.iter().all(|v| v.dispatched_at.is_none()));

    dispatch_accepted(&mut store, command);
    let versions = store.versions(id).unwrap();
    assert_eq!(versions[2].dispatched_at.as_deref(), Some(NOW));
    assert!(versions[..2].iter().all(|v| v.dispatched_at.is_none()));

    // The exchange's record arrives: the same content, so the same version, still marked
    // once; nothing new.
    let page = ChangesPage {
        changes: vec![Change {
            seq: 1,
            command_id: command,
            entry: ChangeEntry::Sent {
                document_id: id,
                document: Box::new(sent.clone()),
                content_hash: content_hash(&sent),
                deliveries: vec![Delivery {
                    unit: "sz-fgw".into(),
                    role: RecipientRole::Main,
                    status: DeliveryStatus::Delivered,
                    reason: None,
                    by: "szb-clerk".into(),
                    at: "2026-11-25T08:00:05Z".into(),
                }],
            },
        }],
        next_cursor: 1,
        has_more: false,
        ..ChangesPage::default()
    };
    let me = account("http://127.0.0.1:9", "szb-clerk", "szb");
    store.apply_changes(&me, &page).unwrap();
    let versions = store.versions(id).unwrap();
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[2].dispatched_at.as_deref(), Some(NOW));
}

#[test]
fn a_document_dispatched_from_elsewhere_arrives_with_its_version_marked() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let me = account("http://127.0.0.1:9", "szb-clerk", "szb");
    store.set_account(Some(&me)).unwrap();
    let doc = notice("关于防汛的通知", "2026年11月25日", "请做好防汛工作。");
    let id = gongwen_core::DocumentId(uuid::Uuid::new_v4());
    let page = ChangesPage {
        changes: vec![Change {
            seq: 1,
            command_id: CommandId(uuid::Uuid::new_v4()),
            entry: ChangeEntry::Sent {
                document_id: id,
                document: Box::new(doc.clone()),
                content_hash: content_hash(&doc),
                deliveries: vec![Delivery {
                    unit: "sz-fgw".into(),
                    role: RecipientRole::Main,
                    status: DeliveryStatus::Delivered,
                    reason: None,
                    by: "szb-clerk".into(),
                    at: NOW.into(),
                }],
            },
        }],
        next_cursor: 1,
        has_more: false,
        ..ChangesPage::default()
    };
    store.apply_changes(&me, &page).unwrap();
    let versions = store.versions(id).unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].reason, VersionReason::Sent);
    assert_eq!(versions[0].author.as_deref(), Some("szb-clerk"));
    assert_eq!(versions[0].dispatched_at.as_deref(), Some(NOW));
}

#[test]
fn a_store_from_before_keeps_its_autosaved_versions_and_marks_what_was_sent() {
    let dir = tempfile::tempdir().unwrap();
    let me = account("http://127.0.0.1:9", "szb-clerk", "szb");
    let (draft_id, sent_id) = {
        let mut store = Store::open(dir.path()).unwrap();
        store.set_account(Some(&me)).unwrap();
        let doc = notice("关于防汛的通知", "2026年11月25日", "一");
        let draft_id = store.create_document(&doc, DocStatus::Draft).unwrap().id;
        // The earlier build saved a version every few seconds.
        for body in ["一二", "一二三", "一二三四"] {
            store.save_draft(draft_id, &with_body(&doc, body)).unwrap();
        }
        let sent_id = store.create_document(&doc, DocStatus::Draft).unwrap().id;
        store.save_draft(sent_id, &with_body(&doc, "已发")).unwrap();
        let command = store
            .queue_dispatch(sent_id, vec!["sz-fgw".into()], vec![])
            .unwrap();
        dispatch_accepted(&mut store, command);
        (draft_id, sent_id)
    };
    {
        // Back to schema 5: no author, step or reason, no marks, no working copies.
        let conn = rusqlite::Connection::open(dir.path().join(gongwen_store::DB_FILE)).unwrap();
        conn.execute_batch(common::UNDO_SCHEMAS_6_TO_13).unwrap();
        conn.execute_batch("PRAGMA user_version = 5;").unwrap();
    }
    let mut store = Store::open(dir.path()).unwrap();
    let versions = store.versions(draft_id).unwrap();
    // The numbers the clerk saw stay, each readable, each said to be an autosave of
    // unknown author.
    assert_eq!(numbers(&store, draft_id), [1, 2, 3, 4]);
    assert!(versions
        .iter()
        .all(|v| v.reason == VersionReason::Autosaved && v.author.is_none()));
    assert_eq!(
        store.version(draft_id, 3).unwrap().unwrap().body.to_text(),
        "一二三"
    );
    // The dispatched document's last version is marked with the server's decision time.
    let sent = store.versions(sent_id).unwrap();
    assert_eq!(sent[1].dispatched_at.as_deref(), Some(NOW));
    assert_eq!(sent[0].dispatched_at, None);
    // And the store works on as a new one does: autosave makes no new 版.
    let doc = store.get(draft_id).unwrap().unwrap().document;
    store
        .autosave(draft_id, &with_body(&doc, "一二三四五"))
        .unwrap();
    assert_eq!(numbers(&store, draft_id), [1, 2, 3, 4]);
    assert!(store.verify().unwrap().is_empty());
}
