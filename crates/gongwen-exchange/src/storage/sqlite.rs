//! The embedded engine: one SQLite file, the default (`serve --data DIR`).
//!
//! rusqlite is blocking, so every call runs on tokio's blocking pool. Writes go through
//! one connection behind a mutex: SQLite allows one writer at a time anyway, and a
//! single writer makes the per-unit log seq and the audit chain trivially gapless
//! (`MAX(seq) + 1` inside `BEGIN IMMEDIATE`). Reads use a small pool of read-only
//! connections, so a pull never waits for a write: in WAL mode a reader sees the last
//! committed state while the writer works.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use gongwen_core::wire::{FlowVersion, Unit, UnitCode, UserInfo};
use gongwen_core::{Classification, DocumentId};
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use rusqlite_migration::{Migrations, M};

use super::codec::{
    attachment_hashes, classifications_up_to, entry_with_content, enum_text, most_classified,
    parse_enum, parse_flow_kind, parse_json, parse_uuid, token_live, OPEN_HANDLING_LIKE,
};
use super::{
    audit_hash, cancelled_twice, not_issued, number_event, AdminChange, AuditDraft, AuditHead,
    AuditRecord, CommandRecord, Commit, DocumentRecord, LogHead, LogRecord, NumberEvent,
    NumberRecord, Storage, StorageError, TokenRecord, UserRecord, WorkflowRecord,
};

/// Migrations in order; the file's `user_version` is how many have run. Append only.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE units (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    unit          TEXT NOT NULL REFERENCES units(code),
    role          TEXT NOT NULL,
    clearance     TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Only the SHA-256 of a token is stored. Revoked tokens stay, marked, for the record.
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users(username),
    expires_at TEXT NOT NULL,
    client     TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX tokens_by_user ON tokens(username);

CREATE TABLE commands (
    command_id   TEXT PRIMARY KEY,
    unit         TEXT NOT NULL,
    username     TEXT NOT NULL,
    client       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    at           TEXT NOT NULL
) STRICT;

CREATE TABLE workflows (
    document_id    TEXT PRIMARY KEY,
    version        INTEGER NOT NULL,
    owner          TEXT NOT NULL,
    classification TEXT NOT NULL,
    state          TEXT NOT NULL
) STRICT;

CREATE TABLE documents (
    document_id    TEXT PRIMARY KEY,
    owner          TEXT NOT NULL,
    classification TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    content        TEXT NOT NULL
) STRICT;

-- Units that may read a document: added, never removed.
CREATE TABLE document_access (
    document_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    PRIMARY KEY (document_id, unit)
) STRICT, WITHOUT ROWID;
CREATE INDEX document_access_by_unit ON document_access(unit, document_id);

-- Attachment files a document lists, taken from its content on commit, so a
-- download check is one indexed join instead of parsing JSON.
CREATE TABLE document_blobs (
    sha256      TEXT NOT NULL,
    document_id TEXT NOT NULL,
    PRIMARY KEY (sha256, document_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE log (
    unit           TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    command_id     TEXT NOT NULL,
    classification TEXT NOT NULL,
    entry          TEXT NOT NULL,
    PRIMARY KEY (unit, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    username  TEXT NOT NULL,
    unit      TEXT NOT NULL,
    client    TEXT NOT NULL,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;
"#,
    // The end of the audit chain, moved in the same transaction as each append, so that
    // deleting the last entries is seen; started from the last entry already written.
    // Tokens are purged by expiry.
    r#"
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash)
    SELECT 1, COALESCE(MAX(seq), 0),
           COALESCE((SELECT hash FROM audit ORDER BY seq DESC LIMIT 1),
                    '0000000000000000000000000000000000000000000000000000000000000000')
    FROM audit;
CREATE INDEX tokens_by_expiry ON tokens(expires_at);
"#,
    r#"
-- Upload grants: a user who uploaded a file whole may read it back and list it
-- until a document lists it. `clearance` is theirs when they uploaded it.
CREATE TABLE blob_uploads (
    sha256    TEXT NOT NULL,
    username  TEXT NOT NULL,
    clearance TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (sha256, username)
) STRICT, WITHOUT ROWID;
"#,
    // Backup and restore: the log epoch, renewed by `admin restore`.
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('epoch', lower(hex(randomblob(16))));
"#,
    // A document's content once per (document, content hash), which the log entries
    // that carry it refer to (`"document":null` in the entry, see `codec::log_writes`).
    // Entries written whole by earlier builds keep NULL references and are read as
    // they are, not converted: the migration stays instant however large the log is,
    // holds no lock for minutes while it rewrites gigabytes, and what is served for
    // an old entry stays exactly the bytes that were written.
    r#"
CREATE TABLE log_contents (
    document_id  TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    content      TEXT NOT NULL,
    PRIMARY KEY (document_id, content_hash)
) STRICT;
ALTER TABLE log ADD COLUMN document_id TEXT;
ALTER TABLE log ADD COLUMN content_hash TEXT;
"#,
    // 文号 series: the last number issued per series, moved by compare-and-set in the
    // commit that issues it (never lowered: a cancelled number is not given again), and
    // the register of every number given or cancelled, with who, when and why.
    r#"
CREATE TABLE number_series (
    series TEXT PRIMARY KEY,
    last   INTEGER NOT NULL CHECK (last >= 0)
) STRICT, WITHOUT ROWID;
CREATE TABLE number_register (
    series      TEXT NOT NULL,
    number      INTEGER NOT NULL CHECK (number >= 1),
    event       TEXT NOT NULL CHECK (event IN ('issued', 'cancelled')),
    document_id TEXT NOT NULL,
    command_id  TEXT NOT NULL,
    username    TEXT NOT NULL,
    at          TEXT NOT NULL,
    reason      TEXT,
    PRIMARY KEY (series, number, event)
) STRICT, WITHOUT ROWID;
"#,
    // 代办: each delegation as the server decided it (JSON of
    // `gongwen_core::delegation::Delegation`), rewritten whole when revoked.
    r#"
CREATE TABLE delegations (
    id         TEXT PRIMARY KEY,
    unit       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    body       TEXT NOT NULL
) STRICT;
CREATE INDEX delegations_unit ON delegations (unit, created_at);
"#,
    // A unit's 规范化简称 (市统计局), so a 主送 written with it names the unit; NULL: none.
    r#"
ALTER TABLE units ADD COLUMN short_name TEXT;
"#,
    // 9: 移交. Each transfer of a filed batch to an archive (JSON of
    // `gongwen_core::transfer::Transfer`, rewritten whole at 接收/退回) with the
    // receiving server's 四性检测 report, and which transfer holds each 档号: a 件 is in
    // one open transfer at a time (a 退回 releases it).
    r#"
CREATE TABLE transfers (
    id        TEXT PRIMARY KEY,
    from_unit TEXT NOT NULL,
    to_unit   TEXT NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('arrived', 'accepted', 'returned')),
    sent_at   TEXT NOT NULL,
    body      TEXT NOT NULL,
    report    TEXT NOT NULL
) STRICT;
CREATE INDEX transfers_from ON transfers (from_unit, sent_at);
CREATE INDEX transfers_to ON transfers (to_unit, sent_at);
CREATE TABLE transfer_items (
    archival_code TEXT PRIMARY KEY,
    transfer_id   TEXT NOT NULL REFERENCES transfers (id)
) STRICT, WITHOUT ROWID;
"#,
    // 10: flow versions: each version of a unit's flow a handling may follow, by
    // `Flow::digest`, so a handling started before the admin changed the flow finishes
    // under it (flows.rs). Handlings from before this migration name none.
    r#"
CREATE TABLE flow_versions (
    digest TEXT PRIMARY KEY,
    kind   TEXT NOT NULL,
    source TEXT NOT NULL
) STRICT, WITHOUT ROWID;
"#,
];

/// Read-only connections kept open between calls; more are opened when busy.
const IDLE_READERS: usize = 4;
/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Server storage in one SQLite file.
pub struct SqliteStorage {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStorage {
    /// Opens (creating if needed) the database file at `path` and brings its schema
    /// up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        let path = path.as_ref().to_path_buf();
        let fail = |e: rusqlite::Error| {
            StorageError::Backend(format!("opening SQLite database {}: {e}", path.display()))
        };
        let mut conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(fail)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        // WAL: readers see the last commit while the writer works. synchronous=FULL:
        // an accepted command survives a power cut (the client has been told "accepted"
        // and will never send it again).
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(fail)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(fail)?;
        Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
            .to_latest(&mut conn)
            .map_err(|e| {
                StorageError::Backend(format!("migrating SQLite database {}: {e}", path.display()))
            })?;
        Ok(SqliteStorage {
            path,
            writer: Arc::new(Mutex::new(conn)),
            readers: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the writer connection, on the blocking pool.
    async fn write<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    {
        let writer = Arc::clone(&self.writer);
        tokio::task::spawn_blocking(move || f(&mut lock(&writer)))
            .await
            .map_err(|e| StorageError::Backend(format!("SQLite write task failed: {e}")))?
    }

    /// Runs `f` on a read-only connection, on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    {
        let readers = Arc::clone(&self.readers);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = lock(&readers).pop();
            let mut conn = match pooled {
                Some(c) => c,
                None => open_reader(&path)?,
            };
            let result = f(&mut conn);
            let mut idle = lock(&readers);
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StorageError::Backend(format!("SQLite read task failed: {e}")))?
    }
}

/// A panic while holding the lock leaves the connection usable: an open transaction
/// was rolled back when its `Transaction` dropped during unwinding.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn open_reader(path: &Path) -> Result<Connection, StorageError> {
    let fail = |e: rusqlite::Error| {
        StorageError::Backend(format!(
            "opening SQLite database {} for reading: {e}",
            path.display()
        ))
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(fail)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
    Ok(conn)
}

fn backend(e: rusqlite::Error) -> StorageError {
    StorageError::Backend(format!("SQLite: {e}"))
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == ErrorCode::ConstraintViolation
            && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE))
}

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<[String; 6]> {
    Ok([
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ])
}

fn user_record(cols: [String; 6], disabled: bool) -> Result<UserRecord, StorageError> {
    let [username, display_name, unit, role, clearance, password_hash] = cols;
    Ok(UserRecord {
        info: UserInfo {
            username,
            display_name,
            unit: UnitCode(unit),
            role: parse_enum(&role, "role")?,
            clearance: parse_enum(&clearance, "clearance")?,
        },
        password_hash,
        disabled,
    })
}

const USER_COLUMNS: &str = "username, display_name, unit, role, clearance, password_hash, disabled";

fn query_users(
    conn: &Connection,
    filter: &str,
    param: Option<&str>,
) -> Result<Vec<UserRecord>, StorageError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users {filter} ORDER BY username");
    let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
    let params: Vec<&dyn rusqlite::ToSql> =
        param.iter().map(|p| p as &dyn rusqlite::ToSql).collect();
    let rows = stmt
        .query_map(params.as_slice(), |r| {
            Ok((user_from_row(r)?, r.get::<_, bool>(6)?))
        })
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (cols, disabled) = row.map_err(backend)?;
        out.push(user_record(cols, disabled)?);
    }
    Ok(out)
}

fn audit_head_of(conn: &Connection) -> Result<AuditHead, StorageError> {
    conn.query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
        Ok(AuditHead {
            seq: r.get(0)?,
            hash: r.get(1)?,
        })
    })
    .map_err(backend)
}

/// Appends one audit entry inside the caller's transaction, chained to the head, and
/// moves the head. After the head, not after the last row: with the last entries
/// deleted, a new one does not quietly continue the shortened chain.
fn append_audit_tx(conn: &Connection, d: &AuditDraft) -> Result<AuditRecord, StorageError> {
    let head = audit_head_of(conn)?;
    let (seq, prev_hash) = (head.seq + 1, head.hash);
    let hash = audit_hash(&prev_hash, seq, d);
    conn.execute(
        "INSERT INTO audit (seq, at, username, unit, client, action, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![seq, d.at, d.username, d.unit.0, d.client, d.action, d.detail, prev_hash, hash],
    )
    .map_err(backend)?;
    conn.execute(
        "UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1",
        params![seq, hash],
    )
    .map_err(backend)?;
    Ok(AuditRecord {
        seq,
        at: d.at.clone(),
        username: d.username.clone(),
        unit: d.unit.clone(),
        client: d.client.clone(),
        action: d.action.clone(),
        detail: d.detail.clone(),
        prev_hash,
        hash,
    })
}

/// The body of [`Storage::commit`], inside an IMMEDIATE transaction.
fn commit_tx(conn: &Connection, c: &Commit) -> Result<Vec<i64>, StorageError> {
    let cmd = &c.command;
    let command_id = cmd.command_id.to_string();
    // First, so a duplicate is reported as such even if its workflow write would also
    // conflict: the caller then answers with the recorded outcome.
    match conn.execute(
        "INSERT INTO commands (command_id, unit, username, client, kind, payload_hash, outcome, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            command_id,
            cmd.unit.0,
            cmd.username,
            cmd.client,
            cmd.kind,
            cmd.payload_hash,
            cmd.outcome,
            cmd.at
        ],
    ) {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(StorageError::DuplicateCommand(cmd.command_id))
        }
        Err(e) => return Err(backend(e)),
    }

    if let Some(w) = &c.workflow {
        let id = w.document_id.to_string();
        let classification = enum_text(&w.classification)?;
        let written = match w.expected_version {
            None => conn
                .execute(
                    "INSERT INTO workflows (document_id, version, owner, classification, state)
                     VALUES (?1, 1, ?2, ?3, ?4) ON CONFLICT (document_id) DO NOTHING",
                    params![id, w.owner.0, classification, w.state],
                )
                .map_err(backend)?,
            Some(v) => conn
                .execute(
                    "UPDATE workflows SET version = version + 1, owner = ?2, classification = ?3,
                         state = ?4
                     WHERE document_id = ?1 AND version = ?5",
                    params![id, w.owner.0, classification, w.state, v],
                )
                .map_err(backend)?,
        };
        if written != 1 {
            return Err(StorageError::Conflict(w.document_id));
        }
        let mut grant = conn
            .prepare_cached(
                "INSERT INTO document_access (document_id, unit) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
            )
            .map_err(backend)?;
        for unit in std::iter::once(&w.owner).chain(&w.access) {
            grant.execute(params![id, unit.0]).map_err(backend)?;
        }
    }

    if let Some(d) = &c.document {
        let id = d.document_id.to_string();
        let hashes = attachment_hashes(&d.content)?;
        conn.execute(
            "INSERT INTO documents (document_id, owner, classification, content_hash, content)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (document_id) DO UPDATE SET owner = excluded.owner,
                 classification = excluded.classification,
                 content_hash = excluded.content_hash, content = excluded.content",
            params![
                id,
                d.owner.0,
                enum_text(&d.classification)?,
                d.content_hash,
                d.content
            ],
        )
        .map_err(backend)?;
        // Added, never removed, like access: a unit that received a file keeps the
        // right to download it again.
        let mut blob = conn
            .prepare_cached(
                "INSERT INTO document_blobs (sha256, document_id) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
            )
            .map_err(backend)?;
        let mut ungrant = conn
            .prepare_cached("DELETE FROM blob_uploads WHERE sha256 = ?1 AND username = ?2")
            .map_err(backend)?;
        for h in &hashes {
            blob.execute(params![h, id]).map_err(backend)?;
            // Listed: from now on the document's rules decide who reads the file. Only
            // the dispatching user's grant ends: another user who uploaded the same
            // bytes may still list them in their own dispatch.
            ungrant
                .execute(params![h, c.command.username])
                .map_err(backend)?;
        }
    }

    let mut content = conn
        .prepare_cached(
            "INSERT INTO log_contents (document_id, content_hash, content) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )
        .map_err(backend)?;
    for lc in &c.contents {
        content
            .execute(params![
                lc.key.document_id.to_string(),
                lc.key.content_hash,
                lc.content
            ])
            .map_err(backend)?;
    }

    numbers_tx(conn, c)?;

    // The only writer holds the database lock (BEGIN IMMEDIATE), so MAX + 1 is gapless
    // and no reader can see seq n+1 before seq n: both become visible at our commit.
    let mut seqs = Vec::with_capacity(c.log.len());
    for l in &c.log {
        let seq: i64 = conn
            .query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM log WHERE unit = ?1",
                [&l.unit.0],
                |r| r.get(0),
            )
            .map_err(backend)?;
        conn.execute(
            "INSERT INTO log (unit, seq, command_id, classification, entry, document_id,
                              content_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                l.unit.0,
                seq,
                command_id,
                enum_text(&l.classification)?,
                l.entry,
                l.content.as_ref().map(|k| k.document_id.to_string()),
                l.content.as_ref().map(|k| k.content_hash.as_str()),
            ],
        )
        .map_err(backend)?;
        seqs.push(seq);
    }

    if let Some(d) = &c.delegation {
        let body = serde_json::to_string(d).map_err(|e| StorageError::Backend(e.to_string()))?;
        conn.execute(
            "INSERT INTO delegations (id, unit, created_at, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            params![d.id.to_string(), d.unit.0, d.created_at, body],
        )
        .map_err(backend)?;
    }
    if let Some(t) = &c.transfer {
        transfer_tx(conn, t)?;
    }
    append_audit_tx(conn, &c.audit)?;
    Ok(seqs)
}

/// The commit's transfer (see [`TransferWrite`](super::TransferWrite)), inside its
/// transaction. A lost race (the transfer or one of its 档号 taken, or the status moved)
/// is a `Conflict`: the caller reads again and decides again.
fn transfer_tx(conn: &Connection, w: &super::TransferWrite) -> Result<(), StorageError> {
    let t = &w.transfer;
    let id = t.id.to_string();
    let conflict = || StorageError::Conflict(DocumentId(t.id));
    let body = serde_json::to_string(t).map_err(|e| StorageError::Backend(e.to_string()))?;
    match w.expected {
        None => {
            let inserted = conn.execute(
                "INSERT INTO transfers (id, from_unit, to_unit, status, sent_at, body, report)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    t.from.0,
                    t.to.0,
                    t.status.as_str(),
                    t.sent_at,
                    body,
                    w.report.as_deref().unwrap_or("{}")
                ],
            );
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => return Err(conflict()),
                Err(e) => return Err(backend(e)),
            }
            let mut item = conn
                .prepare_cached(
                    "INSERT INTO transfer_items (archival_code, transfer_id) VALUES (?1, ?2)",
                )
                .map_err(backend)?;
            for code in &t.archival_codes {
                match item.execute(params![code, id]) {
                    Ok(_) => {}
                    Err(e) if is_unique_violation(&e) => return Err(conflict()),
                    Err(e) => return Err(backend(e)),
                }
            }
        }
        Some(expected) => {
            let written = conn
                .execute(
                    "UPDATE transfers SET status = ?2, body = ?3 WHERE id = ?1 AND status = ?4",
                    params![id, t.status.as_str(), body, expected.as_str()],
                )
                .map_err(backend)?;
            if written != 1 {
                return Err(conflict());
            }
            if t.status == gongwen_core::transfer::TransferStatus::Returned {
                conn.execute("DELETE FROM transfer_items WHERE transfer_id = ?1", [&id])
                    .map_err(backend)?;
            }
        }
    }
    Ok(())
}

/// The commit's 文号 writes (see [`NumberWrite`](super::NumberWrite)), inside its transaction.
fn numbers_tx(conn: &Connection, c: &Commit) -> Result<(), StorageError> {
    for w in &c.numbers {
        match w.event {
            NumberEvent::Issued => {
                conn.execute(
                    "INSERT INTO number_series (series, last) VALUES (?1, 0)
                     ON CONFLICT (series) DO NOTHING",
                    [&w.series],
                )
                .map_err(backend)?;
                // Compare-and-set: only the next number moves the counter.
                let moved = conn
                    .execute(
                        "UPDATE number_series SET last = ?2 WHERE series = ?1 AND last = ?2 - 1",
                        params![w.series, w.number],
                    )
                    .map_err(backend)?;
                if moved != 1 {
                    return Err(StorageError::NumberTaken {
                        series: w.series.clone(),
                        number: w.number,
                    });
                }
            }
            NumberEvent::Cancelled => {
                let issued_to: Option<String> = conn
                    .query_row(
                        "SELECT document_id FROM number_register
                         WHERE series = ?1 AND number = ?2 AND event = 'issued'",
                        params![w.series, w.number],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(backend)?;
                if issued_to.as_deref() != Some(w.document_id.to_string().as_str()) {
                    return Err(not_issued(w));
                }
            }
        }
        match conn.execute(
            "INSERT INTO number_register (series, number, event, document_id, command_id,
                                          username, at, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                w.series,
                w.number,
                w.event.as_str(),
                w.document_id.to_string(),
                c.command.command_id.to_string(),
                w.by,
                w.at,
                w.reason
            ],
        ) {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(match w.event {
                    NumberEvent::Cancelled => cancelled_twice(w),
                    // The counter said the number was free; the register disagrees.
                    NumberEvent::Issued => StorageError::NumberTaken {
                        series: w.series.clone(),
                        number: w.number,
                    },
                });
            }
            Err(e) => return Err(backend(e)),
        }
    }
    Ok(())
}

fn add_unit_tx(conn: &Connection, unit: &Unit) -> Result<(), StorageError> {
    if let Some(short) = &unit.short_name {
        short_name_free_tx(conn, short, &unit.code)?;
    }
    match conn.execute(
        "INSERT INTO units (code, name, short_name) VALUES (?1, ?2, ?3)",
        params![unit.code.0, unit.name, unit.short_name],
    ) {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(StorageError::AlreadyExists {
            what: "unit",
            key: unit.code.0.clone(),
        }),
        Err(e) => Err(backend(e)),
    }
}

/// Refuses `short` when it is the full or short name of a unit other than `code`.
fn short_name_free_tx(conn: &Connection, short: &str, code: &UnitCode) -> Result<(), StorageError> {
    let holder: Option<String> = conn
        .query_row(
            "SELECT code FROM units WHERE code <> ?2 AND (name = ?1 OR short_name = ?1)
             ORDER BY code LIMIT 1",
            params![short, code.0],
            |r| r.get(0),
        )
        .optional()
        .map_err(backend)?;
    match holder {
        Some(unit) => Err(StorageError::NameTaken {
            name: short.to_string(),
            unit: UnitCode(unit),
        }),
        None => Ok(()),
    }
}

fn set_unit_short_name_tx(
    conn: &Connection,
    code: &UnitCode,
    short: &str,
) -> Result<(), StorageError> {
    short_name_free_tx(conn, short, code)?;
    let n = conn
        .execute(
            "UPDATE units SET short_name = ?2 WHERE code = ?1",
            params![code.0, short],
        )
        .map_err(backend)?;
    if n == 0 {
        return Err(StorageError::NotFound {
            what: "unit",
            key: code.0.clone(),
        });
    }
    Ok(())
}

fn add_user_tx(tx: &Connection, user: &UserRecord) -> Result<(), StorageError> {
    let unit_exists: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM units WHERE code = ?1)",
            [&user.info.unit.0],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if !unit_exists {
        return Err(StorageError::NotFound {
            what: "unit",
            key: user.info.unit.0.clone(),
        });
    }
    let i = &user.info;
    match tx.execute(
        &format!("INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        params![
            i.username,
            i.display_name,
            i.unit.0,
            enum_text(&i.role)?,
            enum_text(&i.clearance)?,
            user.password_hash,
            user.disabled
        ],
    ) {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(StorageError::AlreadyExists {
            what: "user",
            key: user.info.username.clone(),
        }),
        Err(e) => Err(backend(e)),
    }
}

fn set_user_disabled_tx(
    tx: &Connection,
    username: &str,
    disabled: bool,
) -> Result<(), StorageError> {
    let n = tx
        .execute(
            "UPDATE users SET disabled = ?2 WHERE username = ?1",
            params![username, disabled],
        )
        .map_err(backend)?;
    if n == 0 {
        return Err(not_found_user(username));
    }
    if disabled {
        revoke_all_tx(tx, username)?;
    }
    Ok(())
}

fn set_password_hash_tx(tx: &Connection, username: &str, hash: &str) -> Result<(), StorageError> {
    let n = tx
        .execute(
            "UPDATE users SET password_hash = ?2 WHERE username = ?1",
            params![username, hash],
        )
        .map_err(backend)?;
    if n == 0 {
        return Err(not_found_user(username));
    }
    revoke_all_tx(tx, username)
}

/// Revokes every live token of a user, inside the caller's transaction.
fn revoke_all_tx(conn: &Connection, username: &str) -> Result<(), StorageError> {
    conn.execute(
        "UPDATE tokens SET revoked = 1 WHERE username = ?1 AND revoked = 0",
        [username],
    )
    .map_err(backend)?;
    Ok(())
}

fn not_found_user(username: &str) -> StorageError {
    StorageError::NotFound {
        what: "user",
        key: username.to_string(),
    }
}

#[async_trait]
impl Storage for SqliteStorage {
    fn engine(&self) -> &'static str {
        "sqlite"
    }

    async fn add_unit(&self, unit: &Unit) -> Result<(), StorageError> {
        let unit = unit.clone();
        self.write(move |conn| add_unit_tx(conn, &unit)).await
    }

    async fn units(&self) -> Result<Vec<Unit>, StorageError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT code, name, short_name FROM units ORDER BY code")
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(Unit {
                        code: UnitCode(r.get(0)?),
                        name: r.get(1)?,
                        short_name: r.get(2)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    async fn add_user(&self, user: &UserRecord) -> Result<(), StorageError> {
        let user = user.clone();
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            add_user_tx(&tx, &user)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn user(&self, username: &str) -> Result<Option<UserRecord>, StorageError> {
        let username = username.to_string();
        self.read(move |conn| {
            Ok(query_users(conn, "WHERE username = ?1", Some(&username))?
                .into_iter()
                .next())
        })
        .await
    }

    async fn users(&self) -> Result<Vec<UserRecord>, StorageError> {
        self.read(|conn| query_users(conn, "", None)).await
    }

    async fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<(), StorageError> {
        let username = username.to_string();
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            set_user_disabled_tx(&tx, &username, disabled)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn update_user(
        &self,
        username: &str,
        unit: Option<&UnitCode>,
        clearance: Option<Classification>,
    ) -> Result<(), StorageError> {
        let username = username.to_string();
        let unit = unit.cloned();
        let clearance = clearance.as_ref().map(enum_text).transpose()?;
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            if let Some(unit) = &unit {
                let unit_exists: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM units WHERE code = ?1)",
                        [&unit.0],
                        |r| r.get(0),
                    )
                    .map_err(backend)?;
                if !unit_exists {
                    return Err(StorageError::NotFound {
                        what: "unit",
                        key: unit.0.clone(),
                    });
                }
            }
            let n = tx
                .execute(
                    "UPDATE users SET unit = COALESCE(?2, unit), clearance = COALESCE(?3, clearance)
                     WHERE username = ?1",
                    params![username, unit.as_ref().map(|u| &u.0), clearance],
                )
                .map_err(backend)?;
            if n == 0 {
                return Err(not_found_user(&username));
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn set_password_hash(&self, username: &str, hash: &str) -> Result<(), StorageError> {
        let username = username.to_string();
        let hash = hash.to_string();
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            set_password_hash_tx(&tx, &username, &hash)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn add_token(&self, token: &TokenRecord) -> Result<(), StorageError> {
        let token = token.clone();
        // Refuse an expiry that `token_user` could never compare.
        token_live(&token.expires_at, &token.expires_at)?;
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            let user_exists: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)",
                    [&token.username],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            if !user_exists {
                return Err(not_found_user(&token.username));
            }
            match tx.execute(
                "INSERT INTO tokens (token_hash, username, expires_at, client)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    token.token_hash,
                    token.username,
                    token.expires_at,
                    token.client
                ],
            ) {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(StorageError::AlreadyExists {
                        what: "token",
                        key: token.token_hash,
                    })
                }
                Err(e) => return Err(backend(e)),
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn token_user(
        &self,
        token_hash: &str,
        now: &str,
    ) -> Result<Option<UserRecord>, StorageError> {
        let token_hash = token_hash.to_string();
        let now = now.to_string();
        self.read(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            let found: Option<(String, String)> = tx
                .query_row(
                    "SELECT username, expires_at FROM tokens
                     WHERE token_hash = ?1 AND revoked = 0",
                    [&token_hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(backend)?;
            let Some((username, expires_at)) = found else {
                return Ok(None);
            };
            if !token_live(&expires_at, &now)? {
                return Ok(None);
            }
            let user = query_users(&tx, "WHERE username = ?1", Some(&username))?
                .into_iter()
                .next();
            Ok(user.filter(|u| !u.disabled))
        })
        .await
    }

    async fn revoke_token(&self, token_hash: &str) -> Result<(), StorageError> {
        let token_hash = token_hash.to_string();
        self.write(move |conn| {
            let n = conn
                .execute(
                    "UPDATE tokens SET revoked = 1 WHERE token_hash = ?1",
                    [&token_hash],
                )
                .map_err(backend)?;
            if n == 0 {
                return Err(StorageError::NotFound {
                    what: "token",
                    key: token_hash,
                });
            }
            Ok(())
        })
        .await
    }

    async fn purge_expired_tokens(&self, now: &str) -> Result<u64, StorageError> {
        let now = now.to_string();
        self.write(move |conn| {
            let n = conn
                .execute("DELETE FROM tokens WHERE expires_at < ?1", [&now])
                .map_err(backend)?;
            Ok(n as u64)
        })
        .await
    }

    async fn command(&self, command_id: uuid::Uuid) -> Result<Option<CommandRecord>, StorageError> {
        self.read(move |conn| {
            let row = conn
                .query_row(
                    "SELECT unit, username, client, kind, payload_hash, outcome, at
                     FROM commands WHERE command_id = ?1",
                    [command_id.to_string()],
                    |r| {
                        Ok(CommandRecord {
                            command_id,
                            unit: UnitCode(r.get(0)?),
                            username: r.get(1)?,
                            client: r.get(2)?,
                            kind: r.get(3)?,
                            payload_hash: r.get(4)?,
                            outcome: r.get(5)?,
                            at: r.get(6)?,
                        })
                    },
                )
                .optional()
                .map_err(backend)?;
            Ok(row)
        })
        .await
    }

    async fn workflows_with_deadline(&self) -> Result<Vec<DocumentId>, StorageError> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT document_id FROM workflows WHERE state LIKE '%\"deadline\":%'",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(DocumentId(parse_uuid(
                    &row.map_err(backend)?,
                    "document id",
                )?));
            }
            Ok(out)
        })
        .await
    }

    async fn workflow(
        &self,
        document_id: DocumentId,
    ) -> Result<Option<WorkflowRecord>, StorageError> {
        self.read(move |conn| {
            let row: Option<(i64, String, String, String)> = conn
                .query_row(
                    "SELECT version, owner, classification, state FROM workflows
                     WHERE document_id = ?1",
                    [document_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(backend)?;
            row.map(|(version, owner, classification, state)| {
                Ok(WorkflowRecord {
                    document_id,
                    version,
                    owner: UnitCode(owner),
                    classification: parse_enum(&classification, "classification")?,
                    state,
                })
            })
            .transpose()
        })
        .await
    }

    async fn document(
        &self,
        document_id: DocumentId,
    ) -> Result<Option<DocumentRecord>, StorageError> {
        self.read(move |conn| {
            let row: Option<(String, String, String, String)> = conn
                .query_row(
                    "SELECT owner, classification, content_hash, content FROM documents
                     WHERE document_id = ?1",
                    [document_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(backend)?;
            row.map(|(owner, classification, content_hash, content)| {
                Ok(DocumentRecord {
                    document_id,
                    owner: UnitCode(owner),
                    classification: parse_enum(&classification, "classification")?,
                    content_hash,
                    content,
                })
            })
            .transpose()
        })
        .await
    }

    async fn has_access(
        &self,
        document_id: DocumentId,
        unit: &UnitCode,
    ) -> Result<bool, StorageError> {
        let unit = unit.0.clone();
        self.read(move |conn| {
            conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM document_access
                                WHERE document_id = ?1 AND unit = ?2)",
                params![document_id.to_string(), unit],
                |r| r.get(0),
            )
            .map_err(backend)
        })
        .await
    }

    async fn blob_access(
        &self,
        sha256: &str,
        unit: &UnitCode,
        clearance: Classification,
    ) -> Result<Option<(DocumentId, Classification)>, StorageError> {
        let sha256 = sha256.to_string();
        let unit = unit.0.clone();
        let allowed = classifications_up_to(clearance)?;
        let allowed_json =
            serde_json::to_string(&allowed).map_err(|e| StorageError::Backend(e.to_string()))?;
        let rows: Vec<(String, String)> = self
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT d.document_id, d.classification FROM document_blobs b
                         JOIN document_access a ON a.document_id = b.document_id
                         JOIN documents d ON d.document_id = b.document_id
                         WHERE b.sha256 = ?1 AND a.unit = ?2
                           AND d.classification IN (SELECT value FROM json_each(?3))",
                    )
                    .map_err(backend)?;
                let rows = stmt
                    .query_map(params![sha256, unit, allowed_json], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .map_err(backend)?;
                rows.collect::<Result<_, _>>().map_err(backend)
            })
            .await?;
        most_classified(rows)
    }

    async fn blob_listed(&self, sha256: &str) -> Result<bool, StorageError> {
        let sha256 = sha256.to_string();
        self.read(move |conn| {
            conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM document_blobs WHERE sha256 = ?1)",
                [sha256],
                |r| r.get(0),
            )
            .map_err(backend)
        })
        .await
    }

    async fn grant_upload(
        &self,
        sha256: &str,
        username: &str,
        clearance: Classification,
        at: &str,
    ) -> Result<(), StorageError> {
        let (sha256, username, at) = (sha256.to_string(), username.to_string(), at.to_string());
        let clearance = enum_text(&clearance)?;
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO blob_uploads (sha256, username, clearance, at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (sha256, username) DO UPDATE SET clearance = excluded.clearance,
                     at = excluded.at",
                params![sha256, username, clearance, at],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn upload_granted(
        &self,
        sha256: &str,
        username: &str,
        clearance: Classification,
    ) -> Result<bool, StorageError> {
        let (sha256, username) = (sha256.to_string(), username.to_string());
        let allowed = serde_json::to_string(&classifications_up_to(clearance)?)
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        self.read(move |conn| {
            conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM blob_uploads
                                WHERE sha256 = ?1 AND username = ?2
                                  AND clearance IN (SELECT value FROM json_each(?3)))",
                params![sha256, username, allowed],
                |r| r.get(0),
            )
            .map_err(backend)
        })
        .await
    }

    async fn upload_granted_since(&self, sha256: &str, since: &str) -> Result<bool, StorageError> {
        let (sha256, since) = (sha256.to_string(), since.to_string());
        self.read(move |conn| {
            conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM blob_uploads WHERE sha256 = ?1 AND at >= ?2)",
                params![sha256, since],
                |r| r.get(0),
            )
            .map_err(backend)
        })
        .await
    }

    async fn drop_upload_grants(&self, sha256: &str) -> Result<(), StorageError> {
        let sha256 = sha256.to_string();
        self.write(move |conn| {
            conn.execute("DELETE FROM blob_uploads WHERE sha256 = ?1", [sha256])
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn commit(&self, commit: &Commit) -> Result<Vec<i64>, StorageError> {
        let commit = commit.clone();
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            // On error `tx` drops and rolls back: nothing of the command is written.
            let seqs = commit_tx(&tx, &commit)?;
            tx.commit().map_err(backend)?;
            Ok(seqs)
        })
        .await
    }

    async fn series_last(&self, series: &str) -> Result<i64, StorageError> {
        let series = series.to_string();
        self.read(move |conn| {
            let last: Option<i64> = conn
                .query_row(
                    "SELECT last FROM number_series WHERE series = ?1",
                    [&series],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            Ok(last.unwrap_or(0))
        })
        .await
    }

    async fn delegations(
        &self,
        unit: &UnitCode,
    ) -> Result<Vec<gongwen_core::delegation::Delegation>, StorageError> {
        let unit = unit.0.clone();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT body FROM delegations WHERE unit = ?1 ORDER BY created_at, id",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([&unit], |r| r.get::<_, String>(0))
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let body = row.map_err(backend)?;
                out.push(parse_json(&body, "delegation")?);
            }
            Ok(out)
        })
        .await
    }

    async fn delegation(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<gongwen_core::delegation::Delegation>, StorageError> {
        self.read(move |conn| {
            let body: Option<String> = conn
                .query_row(
                    "SELECT body FROM delegations WHERE id = ?1",
                    [id.to_string()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            body.map(|b| parse_json(&b, "delegation")).transpose()
        })
        .await
    }

    async fn transfer(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<super::TransferRecord>, StorageError> {
        self.read(move |conn| {
            let row: Option<(String, String)> = conn
                .query_row(
                    "SELECT body, report FROM transfers WHERE id = ?1",
                    [id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(backend)?;
            row.map(|(body, report)| {
                Ok(super::TransferRecord {
                    transfer: parse_json(&body, "transfer")?,
                    report,
                })
            })
            .transpose()
        })
        .await
    }

    async fn transfers(
        &self,
        unit: &UnitCode,
    ) -> Result<Vec<gongwen_core::transfer::Transfer>, StorageError> {
        let unit = unit.0.clone();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT body FROM transfers WHERE from_unit = ?1 OR to_unit = ?1
                     ORDER BY sent_at DESC, id",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([&unit], |r| r.get::<_, String>(0))
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let body = row.map_err(backend)?;
                out.push(parse_json(&body, "transfer")?);
            }
            Ok(out)
        })
        .await
    }

    async fn transfers_holding(
        &self,
        archival_codes: &[String],
    ) -> Result<Vec<(String, uuid::Uuid)>, StorageError> {
        let codes = archival_codes.to_vec();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT transfer_id FROM transfer_items WHERE archival_code = ?1")
                .map_err(backend)?;
            let mut out = Vec::new();
            for code in codes {
                let held: Option<String> = stmt
                    .query_row([&code], |r| r.get(0))
                    .optional()
                    .map_err(backend)?;
                if let Some(id) = held {
                    let id = id.parse().map_err(|e| {
                        StorageError::Backend(format!("stored transfer id is not valid: {e}"))
                    })?;
                    out.push((code, id));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn flow_versions(&self) -> Result<Vec<FlowVersion>, StorageError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT digest, kind, source FROM flow_versions ORDER BY digest")
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (digest, kind, source) = row.map_err(backend)?;
                out.push(FlowVersion {
                    digest,
                    kind: parse_flow_kind(&kind)?,
                    source,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn keep_flow_versions(
        &self,
        current: &[FlowVersion],
        keep: &[String],
    ) -> Result<(), StorageError> {
        let current = current.to_vec();
        let keep = keep.to_vec();
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            for v in &current {
                tx.execute(
                    "INSERT INTO flow_versions (digest, kind, source) VALUES (?1, ?2, ?3)
                     ON CONFLICT (digest) DO NOTHING",
                    params![v.digest, v.kind.as_str(), v.source],
                )
                .map_err(backend)?;
            }
            let stored: Vec<String> = {
                let mut stmt = tx
                    .prepare("SELECT digest FROM flow_versions")
                    .map_err(backend)?;
                let rows = stmt.query_map([], |r| r.get(0)).map_err(backend)?;
                rows.collect::<Result<_, _>>().map_err(backend)?
            };
            for digest in stored {
                let wanted = keep.contains(&digest) || current.iter().any(|v| v.digest == digest);
                if !wanted {
                    tx.execute("DELETE FROM flow_versions WHERE digest = ?1", [&digest])
                        .map_err(backend)?;
                }
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn open_workflow_states(&self) -> Result<Vec<(DocumentId, String)>, StorageError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT document_id, state FROM workflows WHERE state LIKE ?1 ORDER BY document_id",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([OPEN_HANDLING_LIKE], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (id, state) = row.map_err(backend)?;
                out.push((DocumentId(parse_uuid(&id, "document id")?), state));
            }
            Ok(out)
        })
        .await
    }

    async fn number_register(&self, series: &str) -> Result<Vec<NumberRecord>, StorageError> {
        let series = series.to_string();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT number, event, document_id, command_id, username, at, reason
                     FROM number_register WHERE series = ?1
                     ORDER BY number, event = 'cancelled'",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([&series], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (number, event, document_id, command_id, by, at, reason) =
                    row.map_err(backend)?;
                out.push(NumberRecord {
                    series: series.clone(),
                    number,
                    document_id: DocumentId(parse_uuid(&document_id, "document id")?),
                    event: number_event(&event)?,
                    command_id: parse_uuid(&command_id, "command id")?,
                    by,
                    at,
                    reason,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn log_after(
        &self,
        unit: &UnitCode,
        after: i64,
        limit: u32,
    ) -> Result<Vec<LogRecord>, StorageError> {
        let unit = unit.clone();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT l.seq, l.command_id, l.classification, l.entry,
                            l.document_id IS NOT NULL, c.content
                     FROM log l LEFT JOIN log_contents c
                         ON c.document_id = l.document_id AND c.content_hash = l.content_hash
                     WHERE l.unit = ?1 AND l.seq > ?2 ORDER BY l.seq LIMIT ?3",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![unit.0, after, limit], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, command_id, classification, entry, referenced, content) =
                    row.map_err(backend)?;
                out.push(LogRecord {
                    unit: unit.clone(),
                    seq,
                    command_id: parse_uuid(&command_id, "command id")?,
                    classification: parse_enum(&classification, "classification")?,
                    entry: entry_with_content(entry, referenced, content, &unit.0, seq)?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn log_head(&self, unit: &UnitCode) -> Result<LogHead, StorageError> {
        let unit = unit.clone();
        self.read(move |conn| {
            // One read transaction: the epoch and the seq come from one snapshot.
            let tx = conn.transaction().map_err(backend)?;
            let epoch: String = tx
                .query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |r| {
                    r.get(0)
                })
                .map_err(backend)?;
            let seq: i64 = tx
                .query_row(
                    "SELECT COALESCE(MAX(seq), 0) FROM log WHERE unit = ?1",
                    [&unit.0],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            Ok(LogHead { epoch, seq })
        })
        .await
    }

    async fn start_epoch(&self) -> Result<String, StorageError> {
        let epoch = uuid::Uuid::new_v4().simple().to_string();
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('epoch', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [&epoch],
            )
            .map_err(backend)?;
            Ok(epoch)
        })
        .await
    }

    async fn append_audit(&self, draft: &AuditDraft) -> Result<AuditRecord, StorageError> {
        let draft = draft.clone();
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            let record = append_audit_tx(&tx, &draft)?;
            tx.commit().map_err(backend)?;
            Ok(record)
        })
        .await
    }

    async fn audit_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StorageError> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT seq, at, username, unit, client, action, detail, prev_hash, hash
                     FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![after_seq, limit], |r| {
                    Ok(AuditRecord {
                        seq: r.get(0)?,
                        at: r.get(1)?,
                        username: r.get(2)?,
                        unit: UnitCode(r.get(3)?),
                        client: r.get(4)?,
                        action: r.get(5)?,
                        detail: r.get(6)?,
                        prev_hash: r.get(7)?,
                        hash: r.get(8)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    async fn audit_head(&self) -> Result<AuditHead, StorageError> {
        self.read(|conn| audit_head_of(conn)).await
    }

    async fn admin_change(
        &self,
        change: &AdminChange,
        audit: &AuditDraft,
    ) -> Result<(), StorageError> {
        let change = change.clone();
        let audit = audit.clone();
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            match &change {
                AdminChange::AddUnit(unit) => add_unit_tx(&tx, unit)?,
                AdminChange::SetUnitShortName { code, short_name } => {
                    set_unit_short_name_tx(&tx, code, short_name)?
                }
                AdminChange::AddUser(user) => add_user_tx(&tx, user)?,
                AdminChange::SetUserDisabled { username, disabled } => {
                    set_user_disabled_tx(&tx, username, *disabled)?
                }
                AdminChange::SetPasswordHash { username, hash } => {
                    set_password_hash_tx(&tx, username, hash)?
                }
            }
            append_audit_tx(&tx, &audit)?;
            tx.commit().map_err(backend)
        })
        .await
    }
}
