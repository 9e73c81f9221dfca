//! [`FolderLock`]: one writing application per data folder.
//!
//! SQLite orders concurrent writes, but it cannot stop two windows on the same folder
//! from each saving over the other's newer version. The app takes this lock before it
//! opens the store and holds it while it runs. It is an advisory `flock` on
//! `DIR/gongwen.lock`, chosen over a "pid file" check because the kernel drops it when
//! the holder exits for any reason (a crash, `kill -9`, a power cut leaves no stale
//! lock to clear by hand), and it holds against another account on the same computer
//! too, as long as both can open the file — which a second writer of the same store
//! must. The single-instance check of the window (D-Bus, per login session) only brings
//! the running window forward; this lock is what protects the store.
//!
//! The CLI does not take it: its commands are short, ordered by SQLite's own locking,
//! and a draft edit from it meets the app's base-version check (`Store::save_draft_on`).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::StoreError;

/// File name of the lock inside a store folder.
pub const LOCK_FILE: &str = "gongwen.lock";

/// The data folder's lock, held until dropped (or the process ends).
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
    path: PathBuf,
}

impl FolderLock {
    /// Takes the lock of `dir` (which must exist) without waiting: if another process
    /// holds it, [`StoreError::InUse`] names that process when it wrote its id.
    pub fn acquire(dir: &Path) -> Result<FolderLock, StoreError> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| StoreError::Write {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(StoreError::InUse {
                    dir: dir.to_path_buf(),
                    holder: text.trim().parse().ok(),
                });
            }
            Err(TryLockError::Error(source)) => {
                return Err(StoreError::Write { path, source });
            }
        }
        // Only for the message a second start shows; the lock itself is the flock.
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| write!(file, "{}", std::process::id()))
            .and_then(|()| file.flush());
        Ok(FolderLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
