//! `gongwen-exchange admin backup DIR` and `admin restore DIR` (part of the binary).
//!
//! A backup folder holds the database (`exchange.db`, a consistent copy made with
//! SQLite's online backup API while the server runs; or `database.pgdump`, made by
//! `pg_dump` in one snapshot), the attachment files (`blobs/`) and, written last,
//! `manifest.json` listing every file with its size and SHA-256. A folder without the
//! manifest, or with a file that does not match it, is not restored: the current data
//! stays as it was.
//!
//! A restore needs the server stopped: `serve` holds a shared lock on
//! `DATA/server.lock` for as long as it runs, and a restore takes it exclusively (so a
//! server also cannot start while a restore runs). The database replaced is kept in
//! `DATA/before-restore-<time>/`; attachment files are only added (they are named by
//! their hash, and files uploaded after the backup are kept). The restored database
//! then gets a new log epoch, which tells every client that its cursor is void (see
//! `docs/sync-protocol.md`).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use gongwen_core::wire::UnitCode;
use gongwen_exchange::api::now;
use gongwen_exchange::config::{Config, Database};
use gongwen_exchange::storage::{AuditDraft, Storage};

/// Written last: its presence says the backup is complete.
pub const MANIFEST: &str = "manifest.json";
const FORMAT: u32 = 1;
/// The lock file in the data folder (see the module doc).
pub const LOCK_FILE: &str = "server.lock";
const SQLITE_FILE: &str = "exchange.db";
const PG_FILE: &str = "database.pgdump";
const BLOBS: &str = "blobs";

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    /// `sqlite` or `postgres`.
    engine: String,
    /// RFC 3339, UTC: when the copy was started.
    created_at: String,
    /// The log epoch the copy belongs to.
    epoch: String,
    files: Vec<FileEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileEntry {
    /// Relative to the backup folder, `/`-separated.
    path: String,
    size: u64,
    sha256: String,
}

fn engine_name(config: &Config) -> &'static str {
    match config.database {
        Database::Sqlite => "sqlite",
        Database::Postgres(_) => "postgres",
    }
}

fn lock_file(data: &Path) -> Result<File> {
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create data folder {}", data.display()))?;
    gongwen_exchange::keep_private(data)
        .with_context(|| format!("cannot make data folder {} private", data.display()))?;
    let path = data.join(LOCK_FILE);
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))
}

/// Held by `serve` for as long as it runs: many servers may share a data folder, a
/// restore may not run under any of them.
pub fn hold_shared(data: &Path) -> Result<File> {
    let file = lock_file(data)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "a restore is running on {} (it holds {LOCK_FILE}); start the server when it has finished",
            data.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", data.join(LOCK_FILE).display()))
        }
    }
}

fn hold_exclusive(data: &Path) -> Result<File> {
    let file = lock_file(data)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "the server is running on {} (it holds {LOCK_FILE}); stop it first: a restore \
             replaces the database under it. Nothing was changed",
            data.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", data.join(LOCK_FILE).display()))
        }
    }
}

/// Copies `from` to `to` (created, never overwritten), fsyncs it and returns its size
/// and SHA-256, hashed from the bytes written.
fn copy_hashed(from: &Path, to: &Path) -> Result<(u64, String)> {
    let mut src = File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    let mut dst = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .with_context(|| format!("cannot create {}", to.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        dst.write_all(&buf[..n])?;
        size += n as u64;
    }
    dst.sync_all()?;
    Ok((size, gongwen_core::digest::hex(&hasher.finalize())))
}

fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut f = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, gongwen_core::digest::hex(&hasher.finalize())))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync folder {}", dir.display()))
}

/// Every file under `root` except partial uploads, relative, `/`-separated, sorted.
fn blob_files(root: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if !root.exists() {
        return Ok(out);
    }
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?
        {
            let entry = entry?;
            let name = entry.file_name();
            let rel = rel.join(&name);
            let kind = entry.file_type()?;
            if kind.is_dir() {
                // Unfinished uploads are not attachments yet; clients resume them.
                if rel.as_os_str() != "partial" {
                    stack.push(rel);
                }
            } else if kind.is_file() {
                let text = rel
                    .to_str()
                    .with_context(|| format!("file name {} is not UTF-8", rel.display()))?;
                out.push(text.replace(std::path::MAIN_SEPARATOR, "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A program of PostgreSQL's client tools: from `GONGWEN_PG_BIN` when set, else PATH.
fn pg_tool(name: &str) -> Command {
    match std::env::var_os("GONGWEN_PG_BIN") {
        Some(dir) => Command::new(PathBuf::from(dir).join(name)),
        None => Command::new(name),
    }
}

fn run_tool(mut cmd: Command, what: &str) -> Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {what} (is it installed and on PATH?)"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn pg_dump(url: &str, to: &Path) -> Result<()> {
    let mut cmd = pg_tool("pg_dump");
    // Custom format: compressed, checked by pg_restore --list, restorable in one
    // transaction. pg_dump reads everything in one snapshot, so the copy is consistent
    // while the server keeps writing.
    cmd.arg("--format=custom")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg("--file")
        .arg(to)
        .arg("--dbname")
        .arg(url);
    run_tool(cmd, "pg_dump")
}

/// `admin backup DIR`, with the server running or not.
pub async fn backup(config: &Config, storage: &dyn Storage, dest: &Path) -> Result<()> {
    if dest.exists()
        && std::fs::read_dir(dest)
            .with_context(|| format!("cannot read {}", dest.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} is not empty; a backup goes into a new or empty folder",
            dest.display()
        );
    }
    std::fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    gongwen_exchange::keep_private(dest)
        .with_context(|| format!("cannot make {} private", dest.display()))?;
    let created_at = now();
    let mut files = Vec::new();
    let epoch = match &config.database {
        Database::Sqlite => {
            let from = config.sqlite_path();
            let to = dest.join(SQLITE_FILE);
            tokio::task::spawn_blocking(move || sqlite_copy(&from, &to)).await??
        }
        Database::Postgres(url) => {
            // Read before the dump: a restore of this dump starts a new epoch anyway;
            // the manifest's epoch is for the operator's record.
            let epoch = storage.log_head(&UnitCode(String::new())).await?.epoch;
            let (url, to) = (url.clone(), dest.join(PG_FILE));
            tokio::task::spawn_blocking(move || pg_dump(&url, &to)).await??;
            epoch
        }
    };
    let db_file = match config.database {
        Database::Sqlite => SQLITE_FILE,
        Database::Postgres(_) => PG_FILE,
    };
    let (size, sha256) = hash_file(&dest.join(db_file))?;
    files.push(FileEntry {
        path: db_file.into(),
        size,
        sha256,
    });
    // After the database: every file it names was complete before it was named, so
    // the copy of the files holds all of them.
    let blob_root = config.blob_dir();
    let dest_owned = dest.to_path_buf();
    let blob_entries = tokio::task::spawn_blocking(move || -> Result<Vec<FileEntry>> {
        let mut entries = Vec::new();
        for rel in blob_files(&blob_root)? {
            let to = dest_owned.join(BLOBS).join(&rel);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let (size, sha256) = copy_hashed(&blob_root.join(&rel), &to)?;
            entries.push(FileEntry {
                path: format!("{BLOBS}/{rel}"),
                size,
                sha256,
            });
        }
        Ok(entries)
    })
    .await??;
    files.extend(blob_entries);
    let manifest = Manifest {
        format: FORMAT,
        engine: engine_name(config).into(),
        created_at,
        epoch,
        files,
    };
    let tmp = dest.join(format!("{MANIFEST}.tmp"));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(serde_json::to_string_pretty(&manifest)?.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, dest.join(MANIFEST))?;
    sync_dir(dest)?;
    println!(
        "backup of the {} database and {} attachment file(s) in {} (epoch {}, {})",
        manifest.engine,
        manifest.files.len() - 1,
        dest.display(),
        manifest.epoch,
        manifest.created_at
    );
    Ok(())
}

/// The online backup API: one step copies every page inside one read transaction of
/// the source, so the copy is one consistent state even while the server writes.
fn sqlite_copy(from: &Path, to: &Path) -> Result<String> {
    use rusqlite::backup::{Backup, StepResult};
    use rusqlite::{Connection, OpenFlags};
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", from.display()))?;
    src.busy_timeout(std::time::Duration::from_secs(10))?;
    let mut dst =
        Connection::open(to).with_context(|| format!("cannot create {}", to.display()))?;
    {
        let backup = Backup::new(&src, &mut dst)?;
        let mut tries = 0;
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::Busy | StepResult::Locked if tries < 100 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                other => bail!("SQLite backup did not finish: {other:?}"),
            }
        }
    }
    // One self-contained file: no -wal beside it.
    dst.pragma_update(None, "journal_mode", "DELETE")?;
    let epoch: String = dst
        .query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |r| {
            r.get(0)
        })
        .context("the copied database has no log epoch")?;
    drop(dst);
    File::open(to)?.sync_all()?;
    Ok(epoch)
}

/// Checks a backup folder without touching anything: the manifest is there, every file
/// it lists has its size and hash, and the database itself is sound.
fn check_backup(config: &Config, src: &Path) -> Result<Manifest> {
    let path = src.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{} is not a complete backup: {MANIFEST} is missing (a backup writes it last, \
             so the backup was interrupted, or this is not a backup folder). Nothing was changed",
            src.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let manifest: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("{} is damaged; nothing was changed", path.display()))?;
    if manifest.format != FORMAT {
        bail!(
            "backup format {} is not one this server reads ({FORMAT}); nothing was changed",
            manifest.format
        );
    }
    if manifest.engine != engine_name(config) {
        bail!(
            "the backup is of a {} database and this server is configured for {}; nothing was changed",
            manifest.engine,
            engine_name(config)
        );
    }
    for f in &manifest.files {
        if f.path.split('/').any(|p| p == ".." || p.is_empty()) {
            bail!(
                "the manifest names an unsafe path `{}`; nothing was changed",
                f.path
            );
        }
        let p = src.join(&f.path);
        let (size, sha256) = hash_file(&p).with_context(|| {
            format!(
                "the backup is incomplete: {} is missing; nothing was changed",
                f.path
            )
        })?;
        if size != f.size || sha256 != f.sha256 {
            bail!(
                "the backup is damaged: {} does not match the manifest ({size} bytes, \
                 SHA-256 {sha256}; expected {} bytes, {}). Nothing was changed",
                f.path,
                f.size,
                f.sha256
            );
        }
    }
    match config.database {
        Database::Sqlite => {
            if !manifest.files.iter().any(|f| f.path == SQLITE_FILE) {
                bail!("the backup lists no {SQLITE_FILE}; nothing was changed");
            }
            let db = src.join(SQLITE_FILE);
            let conn = rusqlite::Connection::open_with_flags(
                &db,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )?;
            let check: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .with_context(|| format!("{} is not a sound SQLite database", db.display()))?;
            if check != "ok" {
                bail!(
                    "{} fails SQLite's integrity check: {check}; nothing was changed",
                    db.display()
                );
            }
        }
        Database::Postgres(_) => {
            if !manifest.files.iter().any(|f| f.path == PG_FILE) {
                bail!("the backup lists no {PG_FILE}; nothing was changed");
            }
            let mut cmd = pg_tool("pg_restore");
            cmd.arg("--list").arg(src.join(PG_FILE));
            run_tool(cmd, "pg_restore --list")
                .context("the dump is damaged; nothing was changed")?;
        }
    }
    Ok(manifest)
}

/// `admin restore DIR`, with the server stopped.
pub async fn restore(config: &Config, src: &Path) -> Result<()> {
    let _lock = hold_exclusive(&config.data)?;
    let (cfg, src_owned) = (config.clone(), src.to_path_buf());
    let manifest = tokio::task::spawn_blocking(move || check_backup(&cfg, &src_owned)).await??;

    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let aside = config.data.join(format!("before-restore-{stamp}"));
    std::fs::create_dir_all(&aside)
        .with_context(|| format!("cannot create {}", aside.display()))?;
    match &config.database {
        Database::Sqlite => {
            let db = config.sqlite_path();
            let incoming = config.data.join(format!("{SQLITE_FILE}.restoring"));
            let _ = std::fs::remove_file(&incoming);
            copy_hashed(&src.join(SQLITE_FILE), &incoming)?;
            // The WAL and shared-memory files belong to the database they sit beside:
            // left there, SQLite would replay the old WAL into the restored file.
            for suffix in ["", "-wal", "-shm"] {
                let from = PathBuf::from(format!("{}{suffix}", db.display()));
                if from.exists() {
                    std::fs::rename(&from, aside.join(format!("{SQLITE_FILE}{suffix}")))
                        .with_context(|| format!("cannot move {} aside", from.display()))?;
                }
            }
            std::fs::rename(&incoming, &db)?;
            sync_dir(&config.data)?;
        }
        Database::Postgres(url) => {
            // What the server had until now, in case the restore was a mistake.
            let (u, to) = (url.clone(), aside.join(PG_FILE));
            tokio::task::spawn_blocking(move || pg_dump(&u, &to))
                .await?
                .context("cannot keep a copy of the current database; nothing was changed")?;
            let mut cmd = pg_tool("pg_restore");
            cmd.arg("--clean")
                .arg("--if-exists")
                .arg("--single-transaction")
                .arg("--exit-on-error")
                .arg("--no-owner")
                .arg("--no-privileges")
                .arg("--dbname")
                .arg(url)
                .arg(src.join(PG_FILE));
            tokio::task::spawn_blocking(move || run_tool(cmd, "pg_restore")).await??;
        }
    }

    // Files are named by their hash: add the missing ones, keep the rest.
    let blob_root = config.blob_dir();
    let mut added = 0usize;
    for f in manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("blobs/"))
    {
        let rel = &f.path["blobs/".len()..];
        let to = blob_root.join(rel);
        if to.exists() {
            continue;
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = PathBuf::from(format!("{}.restoring", to.display()));
        let _ = std::fs::remove_file(&tmp);
        copy_hashed(&src.join(&f.path), &tmp)?;
        std::fs::rename(&tmp, &to)?;
        added += 1;
    }

    let storage = crate::open_storage(config).await?;
    let epoch = storage.start_epoch().await?;
    storage
        .append_audit(&AuditDraft {
            at: now(),
            username: crate::admin_cli::operator(),
            unit: UnitCode(String::new()),
            client: "admin-cli".into(),
            action: "admin restore".into(),
            detail: serde_json::json!({
                "backup_created_at": manifest.created_at,
                "backup_epoch": manifest.epoch,
                "epoch": epoch,
                "replaced_kept_in": aside.display().to_string(),
            })
            .to_string(),
        })
        .await?;
    println!(
        "restored the backup of {} ({added} attachment file(s) added); new log epoch {epoch}; \
         the replaced database is kept in {}",
        manifest.created_at,
        aside.display()
    );
    Ok(())
}
