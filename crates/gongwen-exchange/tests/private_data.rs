//! The exchange's data folder holds every unit's documents, and a backup a copy of
//! them: another account on the server machine must not read either, whatever the
//! umask gave the files. A data folder found open to others is closed at start.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::TestServer;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// `cat FILE` as the account `nobody`; None when this test cannot change account (not
/// root), so only the folder modes are checked then.
fn read_as_nobody(file: &Path) -> Option<std::process::Output> {
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

fn refused_to_nobody(file: &Path) {
    if let Some(out) = read_as_nobody(file) {
        assert!(
            !out.status.success(),
            "nobody read {}: {} bytes",
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

#[test]
fn another_account_cannot_read_the_data_folder_or_a_backup() {
    let server = TestServer::start();
    let data = server.data_dir();
    // As an older version, an installer or a hand-made folder may have left it.
    // (Its parent is the system's temporary folder, open to all: only the data
    // folder itself may keep others out.)
    std::fs::set_permissions(data, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    // Any admin command (and `serve`) closes it before it touches anything.
    let out = server.admin(&["unit", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(data), 0o700);
    refused_to_nobody(&server.db_path());

    // A backup into a new folder is private from the start.
    let backups = tempfile::tempdir().expect("temp");
    std::fs::set_permissions(backups.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    let dest = backups.path().join("backup-1");
    let out = server.admin(&["backup", dest.to_str().expect("path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&dest), 0o700);
    let copy = std::fs::read_dir(&dest)
        .expect("backup folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.is_file())
        .expect("a file in the backup");
    refused_to_nobody(&copy);
}
