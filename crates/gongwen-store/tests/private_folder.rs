//! Another account on the same computer cannot read the store: its folders are 0700,
//! also when they existed open to others before.
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::notice;
use gongwen_core::DocStatus;
use gongwen_store::{Store, ATTACHMENTS_DIR, DB_FILE};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Runs `cat FILE` as the account `nobody`; None when this test cannot change account
/// (not root, or no setpriv), so only the folder modes are checked then.
fn read_as_nobody(file: &Path) -> Option<std::process::Output> {
    // Only root may change account; the effective uid comes from /proc.
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let euid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))?
        .split_whitespace()
        .nth(2)?
        .to_string();
    if euid != "0" {
        eprintln!("not root: the read as another account is not tried");
        return None;
    }
    Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "cat",
        ])
        .arg(file)
        .output()
        .ok()
}

#[test]
fn another_account_cannot_read_the_store_or_its_attachments() {
    let parent = tempfile::tempdir().unwrap();
    // The folder above is open to all, as a home folder or /srv often is: only the
    // store's own folder may keep others out.
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = parent.path().join("store");
    // Made open to others before (an older version, or by hand).
    std::fs::create_dir_all(dir.join(ATTACHMENTS_DIR)).unwrap();
    for d in [dir.clone(), dir.join(ATTACHMENTS_DIR)] {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut store = Store::open(&dir).unwrap();
    let ids = store
        .import(&[(
            notice("关于防汛物资调拨的通知", "2026年5月10日", "不对外的正文。"),
            DocStatus::Draft,
        )])
        .unwrap();
    let attached = parent.path().join("清单.txt");
    std::fs::write(&attached, "物资清单").unwrap();
    let stored = store
        .add_attachment_file(ids[0], "物资清单", &attached)
        .unwrap();
    let sha = stored.document.attachments[0].sha256.clone().unwrap();
    let copy = store.attachment_path(&sha).unwrap();
    drop(store);

    assert_eq!(mode(&dir), 0o700, "the store's folder");
    assert_eq!(
        mode(&dir.join(ATTACHMENTS_DIR)),
        0o700,
        "the attachments folder"
    );
    for file in [dir.join(DB_FILE), copy] {
        let Some(out) = read_as_nobody(&file) else {
            continue;
        };
        assert!(
            !out.status.success() && out.stdout.is_empty(),
            "another account read {}: {} bytes",
            file.display(),
            out.stdout.len()
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Permission denied"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
