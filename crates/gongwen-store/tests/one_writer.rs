//! One store, one writer: a save over a newer version is refused (both texts stay),
//! and the data folder's lock lets one app in, also after a holder crashed.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::notice;
use gongwen_core::{Body, DocStatus};
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
