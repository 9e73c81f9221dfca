//! One store, one writer: a save over a newer version is refused (both texts stay),
//! and the data folder's lock lets one app in, also after a holder crashed.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use common::notice;
use gongwen_core::revision::VersionReason;
use gongwen_core::{Body, DocStatus, Document};
use gongwen_store::{FolderLock, Store, StoreError, LOCK_FILE};

#[test]
fn a_save_based_on_an_older_version_is_refused_and_both_texts_stay() {
    let dir = tempfile::tempdir().unwrap();
    // Two windows on one folder: each has its own connection, as two processes would.
    let mut first = Store::open(dir.path()).unwrap();
    let mut second = Store::open(dir.path()).unwrap();
    let v1 = notice("关于防汛的通知", "2026年5月10日", "第一稿。");
    let id = first.create_document(&v1, DocStatus::Draft).unwrap().id;

    // Both opened version 1; the second window saves first.
    let mut theirs = v1.clone();
    theirs.body = Body::from_text("第二个窗口改写的正文。");
    assert_eq!(second.save_draft_on(id, 1, &theirs).unwrap().version, 2);

    // The first window's save, still based on version 1, is refused and writes nothing.
    let mut mine = v1.clone();
    mine.body = Body::from_text("第一个窗口改写的正文。");
    let err = first.save_draft_on(id, 1, &mine).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                base: 1,
                current: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.message_zh().starts_with("冲突"), "{}", err.message_zh());
    assert!(err.message_zh().contains("第2版"), "{}", err.message_zh());
    assert!(err.to_string().contains("version 2"), "{err}");
    let latest = first.get(id).unwrap().unwrap();
    assert_eq!((latest.version, &latest.document), (2, &theirs));
    assert_eq!(first.versions(id).unwrap().len(), 2);

    // Typing what the other window saved is no conflict, and no new version.
    assert_eq!(first.save_draft_on(id, 1, &theirs).unwrap().version, 2);

    // Saved knowingly on top of version 2, both texts are kept as versions.
    assert_eq!(first.save_draft_on(id, 2, &mine).unwrap().version, 3);
    assert_eq!(first.version(id, 2).unwrap().unwrap(), theirs);
    assert_eq!(first.version(id, 3).unwrap().unwrap(), mine);
    // The unconditional save (CLI, import) is as before.
    let mut cli = mine.clone();
    cli.title = "关于做好防汛工作的通知".into();
    assert_eq!(second.save_draft(id, &cli).unwrap().version, 4);
    assert!(first.verify().unwrap().is_empty());
}

fn with_body(doc: &Document, body: &str) -> Document {
    let mut d = doc.clone();
    d.body = Body::from_text(body);
    d
}

fn is_conflict(err: &StoreError, base: u32, current: u32) -> bool {
    matches!(err, StoreError::Conflict { base: b, current: c, .. } if (*b, *c) == (base, current))
}

#[test]
fn an_autosave_based_on_a_version_another_writer_moved_on_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Store::open(dir.path()).unwrap();
    let mut second = Store::open(dir.path()).unwrap();
    let v1 = notice("关于防汛的通知", "2026年5月10日", "第一稿。");
    let id = first.create_document(&v1, DocStatus::Draft).unwrap().id;

    // The first window types on version 1: its working copies are its own.
    let typed = first
        .autosave_on(id, 1, &with_body(&v1, "第一个窗口"))
        .unwrap();
    assert_eq!((typed.version, typed.working_copy_at.is_some()), (1, true));
    let mine = with_body(&v1, "第一个窗口打的字。");
    first.autosave_on(id, 1, &mine).unwrap();

    // The second window, also on version 1, saves its own text as version 2. (The first
    // window's working copy goes with it: two editors on one base share it, which the
    // folder lock prevents. Its text is still in the first window's editor.)
    let theirs = with_body(&v1, "第二个窗口改写的正文。");
    assert_eq!(second.save_draft_on(id, 1, &theirs).unwrap().version, 2);

    // The first window's next autosave, still on version 1, is refused: no working copy
    // over version 2, whose text stays what the document shows.
    let mine = with_body(&v1, "第一个窗口打的字，又多了几个。");
    let err = first.autosave_on(id, 1, &mine).unwrap_err();
    assert!(is_conflict(&err, 1, 2), "{err:?}");
    let now = first.get(id).unwrap().unwrap();
    assert_eq!((now.version, &now.document), (2, &theirs));
    assert_eq!(now.working_copy_at, None);
    // 完成 on version 1 likewise.
    let err = first
        .save_version_on(id, 1, &mine, VersionReason::Finished)
        .unwrap_err();
    assert!(is_conflict(&err, 1, 2), "{err:?}");
    assert_eq!(first.versions(id).unwrap().len(), 2);

    // Once the clerk has seen version 2, the working copy goes on top of it.
    let on_top = first.autosave_on(id, 2, &mine).unwrap();
    assert_eq!(
        (on_top.version, on_top.working_copy_at.is_some()),
        (2, true)
    );
    assert_eq!(first.version(id, 2).unwrap().unwrap(), theirs);
    assert!(first.verify().unwrap().is_empty());
}

#[test]
fn a_restore_or_a_workflow_step_moves_the_base_and_the_editors_own_pause_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let v1 = notice("关于防汛的通知", "2026年5月10日", "第一稿。");
    let id = store.create_document(&v1, DocStatus::Draft).unwrap().id;
    let v2 = with_body(&v1, "第二稿。");
    assert_eq!(store.save_draft_on(id, 1, &v2).unwrap().version, 2);

    // A 恢复 (from 历史版本) makes version 3: an edit still on version 2 is refused.
    assert_eq!(store.restore_version(id, 1).unwrap().version, 3);
    let typed = with_body(&v1, "在第二稿上接着打的字。");
    let err = store.autosave_on(id, 2, &typed).unwrap_err();
    assert!(is_conflict(&err, 2, 3), "{err:?}");
    assert_eq!(store.get(id).unwrap().unwrap().document, v1);
    // Typing back exactly what the document holds now loses nothing: no conflict.
    assert_eq!(store.autosave_on(id, 2, &v1).unwrap().version, 3);

    // A workflow step numbers the document's text as version 4.
    store
        .autosave_on(id, 3, &with_body(&v1, "核稿前的修改。"))
        .unwrap();
    let step = store
        .make_version(id, "王科长", Some("核稿"), VersionReason::Step)
        .unwrap();
    assert_eq!(step.version, 4);
    let err = store
        .autosave_on(id, 3, &with_body(&v1, "核稿前的修改，再改。"))
        .unwrap_err();
    assert!(is_conflict(&err, 3, 4), "{err:?}");

    // The editor's own pause: typing for five minutes, then half a minute of nothing,
    // numbers its working copy as version 5 inside the next autosave, which answers
    // version 5: the editor's next write is on 5 and goes through.
    let t0: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-05-10T09:00:00Z")
        .unwrap()
        .to_utc();
    let at = |s: i64| t0 + TimeDelta::seconds(s);
    store
        .autosave_on_at(id, 4, &with_body(&v1, "一"), at(0))
        .unwrap();
    store
        .autosave_on_at(id, 4, &with_body(&v1, "一二"), at(300))
        .unwrap();
    let paused = store
        .autosave_on_at(id, 4, &with_body(&v1, "一二三"), at(340))
        .unwrap();
    assert_eq!(paused.version, 5);
    assert_eq!(
        store.version(id, 5).unwrap().unwrap(),
        with_body(&v1, "一二")
    );
    let next = store
        .autosave_on_at(id, paused.version, &with_body(&v1, "一二三四"), at(343))
        .unwrap();
    assert_eq!((next.version, next.working_copy_at.is_some()), (5, true));
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn the_data_folder_lets_in_one_app_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let held = FolderLock::acquire(dir.path()).unwrap();
    assert_eq!(held.path(), dir.path().join(LOCK_FILE));
    let err = FolderLock::acquire(dir.path()).unwrap_err();
    match &err {
        StoreError::InUse { dir: d, holder } => {
            assert_eq!(d, dir.path());
            assert_eq!(*holder, Some(std::process::id()));
        }
        other => panic!("expected InUse, got {other:?}"),
    }
    assert!(
        err.message_zh().contains("另一个公文桌窗口"),
        "{}",
        err.message_zh()
    );
    assert!(
        err.to_string()
            .contains(&format!("process {}", std::process::id())),
        "{err}"
    );
    drop(held);
    FolderLock::acquire(dir.path()).expect("free again once the holder let go");
}

#[test]
fn a_crashed_holder_leaves_no_stale_lock() {
    let dir = tempfile::tempdir().unwrap();
    let lock_file = dir.path().join(LOCK_FILE);
    // Another process holds the folder (util-linux `flock` takes the same flock(2)).
    // `-o`: only `flock` itself holds it, not the `sleep` it runs.
    let mut holder = Command::new("flock")
        .arg("-o")
        .arg(&lock_file)
        .args(["sleep", "600"])
        .process_group(0)
        .stdin(Stdio::null())
        .spawn()
        .expect("run flock (util-linux)");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match FolderLock::acquire(dir.path()) {
            Err(StoreError::InUse { .. }) => break,
            Ok(lock) => drop(lock), // `flock` has not taken it yet
            Err(e) => panic!("{e}"),
        }
        assert!(Instant::now() < deadline, "flock never took the lock");
        std::thread::sleep(Duration::from_millis(50));
    }
    // It dies without any clean-up, as a crashed app does (with its `sleep`).
    Command::new("kill")
        .args(["-KILL", "--"])
        .arg(format!("-{}", holder.id()))
        .status()
        .unwrap();
    holder.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match FolderLock::acquire(dir.path()) {
            Ok(_) => break,
            Err(StoreError::InUse { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50))
            }
            Err(e) => panic!("the lock of a killed holder was not released: {e}"),
        }
    }
    assert!(
        lock_file.exists(),
        "the lock file stays; only the lock went"
    );
}
