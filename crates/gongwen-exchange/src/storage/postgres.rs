//! The PostgreSQL engine, for a city that outgrows one box (`--database postgres://…`).
//!
//! A pool of connections (deadpool-postgres). The schema is created and migrated on
//! [`PostgresStorage::connect`], recorded in a `schema_version` table.
//!
//! # Why log seqs are gapless and become visible in order
//!
//! A reader pulls "entries of unit U with seq > cursor" and moves its cursor to the
//! last seq it got. That is only correct if a reader that has seen seq n can never
//! later find a new entry with seq ≤ n. A `bigserial` (or any sequence) breaks this:
//! `nextval` is taken at INSERT time and is not transactional, so writer A takes 104,
//! writer B takes 105, B commits first, a reader sees 105 and moves past 104 before A
//! commits — 104 is skipped for ever (and a rolled-back A leaves a gap).
//!
//! Here a unit's next seq comes from its row in `log_heads`, advanced with
//! `UPDATE … SET seq = seq + k … RETURNING seq` inside the command's transaction. The
//! UPDATE holds the row lock until COMMIT, so the writer of seq n+1 blocks on it until
//! the holder of n has committed (at READ COMMITTED it then re-reads the row and sees
//! n). PostgreSQL makes a transaction visible before it releases its locks, so by the
//! time n+1 can even be assigned, n is visible to every new snapshot: seqs become
//! visible in order. A rollback undoes the counter with the entries: no gaps. Units
//! are locked in sorted order so two commands touching the same units cannot
//! deadlock.
//!
//! The audit chain needs one global order (each hash covers the previous one), so
//! every command first locks the single `audit_head` row (`SELECT … FOR UPDATE`).
//! That serializes commits globally, which makes the per-unit ordering above hold
//! twice over; the per-unit counters keep it correct on their own, should the audit
//! ever be chained differently. The cost is one commit at a time, each a few round
//! trips on one connection.

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use gongwen_core::wire::{FlowVersion, Unit, UnitCode, UserInfo};
use gongwen_core::{Classification, DocumentId};
use tokio_postgres::error::SqlState;
use tokio_postgres::{IsolationLevel, NoTls, Row};

use super::codec::{
    attachment_hashes, classifications_up_to, entry_with_content, enum_text, most_classified,
    parse_enum, parse_flow_kind, parse_json, parse_uuid, token_live, OPEN_HANDLING_LIKE,
};
use super::{
    audit_hash, cancelled_twice, not_issued, number_event, AdminChange, AuditDraft, AuditHead,
    AuditRecord, CommandRecord, Commit, DocumentRecord, LogHead, LogRecord, NumberEvent,
    NumberRecord, Storage, StorageError, TokenRecord, UserRecord, WorkflowRecord,
};

/// Connections kept by the pool.
const POOL_SIZE: usize = 16;

/// Key of the advisory lock held while migrating, so two servers starting at once do
/// not both create the schema. (Any constant; this one spells "gongwen".)
const MIGRATION_LOCK: i64 = 0x0067_6f6e_6777_656e;

/// Migrations in order; `schema_version.version` is how many have run. Append only.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE units (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    unit          TEXT NOT NULL REFERENCES units(code),
    role          TEXT NOT NULL,
    clearance     TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT false
);

-- Only the SHA-256 of a token is stored. Revoked tokens stay, marked, for the record.
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users(username),
    expires_at TEXT NOT NULL,
    client     TEXT NOT NULL,
    revoked    BOOLEAN NOT NULL DEFAULT false
);
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
);

CREATE TABLE workflows (
    document_id    TEXT PRIMARY KEY,
    version        BIGINT NOT NULL,
    owner          TEXT NOT NULL,
    classification TEXT NOT NULL,
    state          TEXT NOT NULL
);

CREATE TABLE documents (
    document_id    TEXT PRIMARY KEY,
    owner          TEXT NOT NULL,
    classification TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    content        TEXT NOT NULL
);

-- Units that may read a document: added, never removed.
CREATE TABLE document_access (
    document_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    PRIMARY KEY (document_id, unit)
);
CREATE INDEX document_access_by_unit ON document_access(unit, document_id);

-- Attachment files a document lists, taken from its content on commit.
CREATE TABLE document_blobs (
    sha256      TEXT NOT NULL,
    document_id TEXT NOT NULL,
    PRIMARY KEY (sha256, document_id)
);

-- The last seq given out per unit; its row lock orders a unit's log (see above).
CREATE TABLE log_heads (
    unit TEXT PRIMARY KEY,
    seq  BIGINT NOT NULL
);

CREATE TABLE log (
    unit           TEXT NOT NULL,
    seq            BIGINT NOT NULL,
    command_id     TEXT NOT NULL,
    classification TEXT NOT NULL,
    entry          TEXT NOT NULL,
    PRIMARY KEY (unit, seq)
);

-- The end of the audit chain: one row, locked by every writer of an audit entry.
CREATE TABLE audit_head (
    id   BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
-- The hash is AUDIT_GENESIS (storage/mod.rs), the `prev_hash` of the first entry.
INSERT INTO audit_head (id, seq, hash)
    VALUES (true, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit (
    seq       BIGINT PRIMARY KEY,
    at        TEXT NOT NULL,
    username  TEXT NOT NULL,
    unit      TEXT NOT NULL,
    client    TEXT NOT NULL,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
"#,
    // Tokens are purged by expiry.
    r#"
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
);
"#,
    // Backup and restore: the log epoch, renewed by `admin restore`.
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('epoch', md5(random()::text || clock_timestamp()::text));
"#,
    // A document's content once per (document, content hash), which the log entries
    // that carry it refer to (`"document":null` in the entry, see `codec::log_writes`).
    // Entries written whole by earlier builds keep NULL references and are read as
    // they are, not converted: the migration stays instant however large the log is,
    // and what is served for an old entry stays exactly the bytes that were written.
    r#"
CREATE TABLE log_contents (
    document_id  TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    content      TEXT NOT NULL,
    PRIMARY KEY (document_id, content_hash)
);
ALTER TABLE log ADD COLUMN document_id TEXT;
ALTER TABLE log ADD COLUMN content_hash TEXT;
"#,
    // 文号 series: the last number issued per series, moved by compare-and-set in the
    // commit that issues it (never lowered: a cancelled number is not given again), and
    // the register of every number given or cancelled, with who, when and why.
    r#"
CREATE TABLE number_series (
    series TEXT PRIMARY KEY,
    last   BIGINT NOT NULL CHECK (last >= 0)
);
CREATE TABLE number_register (
    series      TEXT NOT NULL,
    number      BIGINT NOT NULL CHECK (number >= 1),
    event       TEXT NOT NULL CHECK (event IN ('issued', 'cancelled')),
    document_id TEXT NOT NULL,
    command_id  TEXT NOT NULL,
    username    TEXT NOT NULL,
    at          TEXT NOT NULL,
    reason      TEXT,
    PRIMARY KEY (series, number, event)
);
"#,
    // 代办: each delegation as the server decided it (JSON of
    // `gongwen_core::delegation::Delegation`), rewritten whole when revoked.
    r#"
CREATE TABLE delegations (
    id         TEXT PRIMARY KEY,
    unit       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    body       TEXT NOT NULL
);
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
);
CREATE INDEX transfers_from ON transfers (from_unit, sent_at);
CREATE INDEX transfers_to ON transfers (to_unit, sent_at);
CREATE TABLE transfer_items (
    archival_code TEXT PRIMARY KEY,
    transfer_id   TEXT NOT NULL REFERENCES transfers (id)
);
"#,
    // 10: flow versions: each version of a unit's flow a handling may follow, by
    // `Flow::digest`, so a handling started before the admin changed the flow finishes
    // under it (flows.rs). Handlings from before this migration name none.
    r#"
CREATE TABLE flow_versions (
    digest TEXT PRIMARY KEY,
    kind   TEXT NOT NULL,
    source TEXT NOT NULL
);
"#,
];

/// Server storage in a PostgreSQL database.
pub struct PostgresStorage {
    pool: Pool,
}

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: not shown.
        f.debug_struct("PostgresStorage")
            .field("pool", &self.pool.status())
            .finish()
    }
}

fn pg(e: tokio_postgres::Error) -> StorageError {
    match e.as_db_error() {
        Some(db) => StorageError::Backend(format!(
            "PostgreSQL: {}{}",
            db.message(),
            db.detail().map(|d| format!(" ({d})")).unwrap_or_default()
        )),
        None => StorageError::Backend(format!("PostgreSQL: {e}")),
    }
}

fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

fn col<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    idx: usize,
) -> Result<T, StorageError> {
    row.try_get(idx)
        .map_err(|e| StorageError::Backend(format!("PostgreSQL: reading column {idx}: {e}")))
}

impl PostgresStorage {
    /// Connects to `url` (`postgres://user:password@host:port/database`, with libpq's
    /// `sslmode` and `sslrootcert` when the database is on another host: see
    /// `storage/postgres_tls.rs`) and creates or migrates the schema. `sslmode=disable`
    /// or `prefer` to a host on another machine is refused: see [`Self::connect_with`].
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        Self::connect_with(url, false).await
    }

    /// [`Self::connect`]; `allow_insecure` lets `sslmode=disable`/`prefer` reach a
    /// host on another machine (the `database_allow_insecure` setting).
    pub async fn connect_with(url: &str, allow_insecure: bool) -> Result<Self, StorageError> {
        let connection = super::postgres_tls::parse(url, allow_insecure)?;
        let recycling = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match connection.tls {
            Some(tls) => Manager::from_config(connection.config, tls, recycling),
            None => Manager::from_config(connection.config, NoTls, recycling),
        };
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| StorageError::Backend(format!("PostgreSQL pool: {e}")))?;
        let storage = PostgresStorage { pool };
        storage.migrate().await?;
        Ok(storage)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StorageError> {
        self.pool.get().await.map_err(|e| {
            // The causes (a refused certificate, a wrong password) are in the chain.
            let mut text = format!("PostgreSQL connection: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            StorageError::Backend(text)
        })
    }

    async fn migrate(&self) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(pg)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
             INSERT INTO schema_version (version)
                 SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version);",
        )
        .await
        .map_err(pg)?;
        let found: i32 = col(
            &tx.query_one("SELECT version FROM schema_version", &[])
                .await
                .map_err(pg)?,
            0,
        )?;
        let known = MIGRATIONS.len() as i32;
        if found > known {
            return Err(StorageError::Backend(format!(
                "the PostgreSQL schema is version {found}, newer than this server knows \
                 ({known}); upgrade the server"
            )));
        }
        for sql in &MIGRATIONS[found as usize..] {
            tx.batch_execute(sql).await.map_err(pg)?;
        }
        tx.execute("UPDATE schema_version SET version = $1", &[&known])
            .await
            .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }
}

const USER_COLUMNS: &str = "username, display_name, unit, role, clearance, password_hash, disabled";

fn user_from_row(row: &Row, at: usize) -> Result<UserRecord, StorageError> {
    let role: String = col(row, at + 3)?;
    let clearance: String = col(row, at + 4)?;
    Ok(UserRecord {
        info: UserInfo {
            username: col(row, at)?,
            display_name: col(row, at + 1)?,
            unit: UnitCode(col(row, at + 2)?),
            role: parse_enum(&role, "role")?,
            clearance: parse_enum(&clearance, "clearance")?,
        },
        password_hash: col(row, at + 5)?,
        disabled: col(row, at + 6)?,
    })
}

fn not_found_user(username: &str) -> StorageError {
    StorageError::NotFound {
        what: "user",
        key: username.to_string(),
    }
}

/// Locks the end of the audit chain until the caller's transaction ends, and returns
/// its seq and hash. Every writer of an audit entry calls this before anything else,
/// so all of them take locks in the same order.
async fn lock_audit_head(
    tx: &deadpool_postgres::Transaction<'_>,
) -> Result<(i64, String), StorageError> {
    let row = tx
        .query_one("SELECT seq, hash FROM audit_head FOR UPDATE", &[])
        .await
        .map_err(pg)?;
    Ok((col(&row, 0)?, col(&row, 1)?))
}

/// Appends one audit entry after `head` (from [`lock_audit_head`] in the same
/// transaction) and moves the head.
async fn append_audit_tx(
    tx: &deadpool_postgres::Transaction<'_>,
    head: (i64, String),
    d: &AuditDraft,
) -> Result<AuditRecord, StorageError> {
    let (last_seq, prev_hash) = head;
    let seq = last_seq + 1;
    let hash = audit_hash(&prev_hash, seq, d);
    let insert = tx
        .prepare_cached(
            "INSERT INTO audit (seq, at, username, unit, client, action, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .await
        .map_err(pg)?;
    tx.execute(
        &insert,
        &[
            &seq,
            &d.at,
            &d.username,
            &d.unit.0,
            &d.client,
            &d.action,
            &d.detail,
            &prev_hash,
            &hash,
        ],
    )
    .await
    .map_err(pg)?;
    tx.execute("UPDATE audit_head SET seq = $1, hash = $2", &[&seq, &hash])
        .await
        .map_err(pg)?;
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

type Tx<'a> = deadpool_postgres::Transaction<'a>;

async fn add_unit_tx(tx: &Tx<'_>, unit: &Unit) -> Result<(), StorageError> {
    if let Some(short) = &unit.short_name {
        short_name_free_tx(tx, short, &unit.code).await?;
    }
    let n = tx
        .execute(
            "INSERT INTO units (code, name, short_name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&unit.code.0, &unit.name, &unit.short_name],
        )
        .await
        .map_err(pg)?;
    if n == 0 {
        return Err(StorageError::AlreadyExists {
            what: "unit",
            key: unit.code.0.clone(),
        });
    }
    Ok(())
}

/// Refuses `short` when it is the full or short name of a unit other than `code`. The
/// table lock (which only writers of units take) holds until the caller's transaction
/// ends, so two units cannot be given one short name at the same time.
async fn short_name_free_tx(tx: &Tx<'_>, short: &str, code: &UnitCode) -> Result<(), StorageError> {
    tx.batch_execute("LOCK TABLE units IN SHARE ROW EXCLUSIVE MODE")
        .await
        .map_err(pg)?;
    let holder = tx
        .query_opt(
            "SELECT code FROM units WHERE code <> $2 AND (name = $1 OR short_name = $1)
             ORDER BY code LIMIT 1",
            &[&short, &code.0],
        )
        .await
        .map_err(pg)?;
    match holder {
        Some(row) => Err(StorageError::NameTaken {
            name: short.to_string(),
            unit: UnitCode(col(&row, 0)?),
        }),
        None => Ok(()),
    }
}

async fn set_unit_short_name_tx(
    tx: &Tx<'_>,
    code: &UnitCode,
    short: &str,
) -> Result<(), StorageError> {
    short_name_free_tx(tx, short, code).await?;
    let n = tx
        .execute(
            "UPDATE units SET short_name = $2 WHERE code = $1",
            &[&code.0, &short],
        )
        .await
        .map_err(pg)?;
    if n == 0 {
        return Err(StorageError::NotFound {
            what: "unit",
            key: code.0.clone(),
        });
    }
    Ok(())
}

async fn add_user_tx(tx: &Tx<'_>, user: &UserRecord) -> Result<(), StorageError> {
    let i = &user.info;
    // FOR SHARE: the unit cannot go away before we commit.
    let unit = tx
        .query_opt(
            "SELECT 1 FROM units WHERE code = $1 FOR SHARE",
            &[&i.unit.0],
        )
        .await
        .map_err(pg)?;
    if unit.is_none() {
        return Err(StorageError::NotFound {
            what: "unit",
            key: i.unit.0.clone(),
        });
    }
    let n = tx
        .execute(
            &format!(
                "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT DO NOTHING"
            ),
            &[
                &i.username,
                &i.display_name,
                &i.unit.0,
                &enum_text(&i.role)?,
                &enum_text(&i.clearance)?,
                &user.password_hash,
                &user.disabled,
            ],
        )
        .await
        .map_err(pg)?;
    if n == 0 {
        return Err(StorageError::AlreadyExists {
            what: "user",
            key: i.username.clone(),
        });
    }
    Ok(())
}

async fn set_user_disabled_tx(
    tx: &Tx<'_>,
    username: &str,
    disabled: bool,
) -> Result<(), StorageError> {
    let n = tx
        .execute(
            "UPDATE users SET disabled = $2 WHERE username = $1",
            &[&username, &disabled],
        )
        .await
        .map_err(pg)?;
    if n == 0 {
        return Err(not_found_user(username));
    }
    if disabled {
        tx.execute(
            "UPDATE tokens SET revoked = true WHERE username = $1 AND NOT revoked",
            &[&username],
        )
        .await
        .map_err(pg)?;
    }
    Ok(())
}

async fn set_password_hash_tx(tx: &Tx<'_>, username: &str, hash: &str) -> Result<(), StorageError> {
    let n = tx
        .execute(
            "UPDATE users SET password_hash = $2 WHERE username = $1",
            &[&username, &hash],
        )
        .await
        .map_err(pg)?;
    if n == 0 {
        return Err(not_found_user(username));
    }
    tx.execute(
        "UPDATE tokens SET revoked = true WHERE username = $1 AND NOT revoked",
        &[&username],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

/// The body of [`Storage::commit`]; the caller commits, or drops `tx` to roll back.
async fn commit_tx(
    tx: &deadpool_postgres::Transaction<'_>,
    c: &Commit,
) -> Result<Vec<i64>, StorageError> {
    // The global order of commands (see the module doc).
    let head = lock_audit_head(tx).await?;

    let cmd = &c.command;
    let command_id = cmd.command_id.to_string();
    let insert = tx
        .prepare_cached(
            "INSERT INTO commands (command_id, unit, username, client, kind, payload_hash,
                                   outcome, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (command_id) DO NOTHING",
        )
        .await
        .map_err(pg)?;
    let inserted = tx
        .execute(
            &insert,
            &[
                &command_id,
                &cmd.unit.0,
                &cmd.username,
                &cmd.client,
                &cmd.kind,
                &cmd.payload_hash,
                &cmd.outcome,
                &cmd.at,
            ],
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StorageError::DuplicateCommand(cmd.command_id)
            } else {
                pg(e)
            }
        })?;
    // Checked before the workflow, so a re-send is answered with its recorded outcome
    // even when its version is stale by now.
    if inserted == 0 {
        return Err(StorageError::DuplicateCommand(cmd.command_id));
    }

    if let Some(w) = &c.workflow {
        let id = w.document_id.to_string();
        let classification = enum_text(&w.classification)?;
        let written = match w.expected_version {
            None => {
                let st = tx
                    .prepare_cached(
                        "INSERT INTO workflows (document_id, version, owner, classification, state)
                         VALUES ($1, 1, $2, $3, $4) ON CONFLICT (document_id) DO NOTHING",
                    )
                    .await
                    .map_err(pg)?;
                tx.execute(&st, &[&id, &w.owner.0, &classification, &w.state])
                    .await
                    .map_err(pg)?
            }
            Some(v) => {
                // Compare-and-set: at READ COMMITTED a concurrent writer of the same
                // row makes this wait, then re-check `version` on the new row.
                let st = tx
                    .prepare_cached(
                        "UPDATE workflows SET version = version + 1, owner = $2,
                             classification = $3, state = $4
                         WHERE document_id = $1 AND version = $5",
                    )
                    .await
                    .map_err(pg)?;
                tx.execute(&st, &[&id, &w.owner.0, &classification, &w.state, &v])
                    .await
                    .map_err(pg)?
            }
        };
        if written != 1 {
            return Err(StorageError::Conflict(w.document_id));
        }
        let mut units: Vec<&str> = std::iter::once(&w.owner)
            .chain(&w.access)
            .map(|u| u.0.as_str())
            .collect();
        units.sort_unstable();
        units.dedup();
        let grant = tx
            .prepare_cached(
                "INSERT INTO document_access (document_id, unit)
                 SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
            )
            .await
            .map_err(pg)?;
        tx.execute(&grant, &[&id, &units]).await.map_err(pg)?;
    }

    if let Some(d) = &c.document {
        let id = d.document_id.to_string();
        let hashes = attachment_hashes(&d.content)?;
        let st = tx
            .prepare_cached(
                "INSERT INTO documents (document_id, owner, classification, content_hash, content)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (document_id) DO UPDATE SET owner = excluded.owner,
                     classification = excluded.classification,
                     content_hash = excluded.content_hash, content = excluded.content",
            )
            .await
            .map_err(pg)?;
        tx.execute(
            &st,
            &[
                &id,
                &d.owner.0,
                &enum_text(&d.classification)?,
                &d.content_hash,
                &d.content,
            ],
        )
        .await
        .map_err(pg)?;
        // Added, never removed, like access.
        let blobs = tx
            .prepare_cached(
                "INSERT INTO document_blobs (sha256, document_id)
                 SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING",
            )
            .await
            .map_err(pg)?;
        tx.execute(&blobs, &[&hashes, &id]).await.map_err(pg)?;
        // Listed: from now on the document's rules decide who reads the file. Only the
        // dispatching user's grant ends: another user who uploaded the same bytes may
        // still list them in their own dispatch.
        let ungrant = tx
            .prepare_cached("DELETE FROM blob_uploads WHERE sha256 = ANY($1) AND username = $2")
            .await
            .map_err(pg)?;
        tx.execute(&ungrant, &[&hashes, &c.command.username])
            .await
            .map_err(pg)?;
    }

    numbers_tx(tx, c).await?;
    if let Some(d) = &c.delegation {
        let body = serde_json::to_string(d).map_err(|e| StorageError::Backend(e.to_string()))?;
        tx.execute(
            "INSERT INTO delegations (id, unit, created_at, body) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            &[&d.id.to_string(), &d.unit.0, &d.created_at, &body],
        )
        .await
        .map_err(pg)?;
    }
    if let Some(t) = &c.transfer {
        transfer_tx(tx, t).await?;
    }

    // Per-unit seqs (see the module doc): how many entries each unit gets, then one
    // counter update per unit, in sorted unit order.
    let mut per_unit: std::collections::BTreeMap<&str, i64> = Default::default();
    for l in &c.log {
        *per_unit.entry(l.unit.0.as_str()).or_default() += 1;
    }
    let create_head = tx
        .prepare_cached("INSERT INTO log_heads (unit, seq) VALUES ($1, 0) ON CONFLICT DO NOTHING")
        .await
        .map_err(pg)?;
    let advance = tx
        .prepare_cached("UPDATE log_heads SET seq = seq + $2 WHERE unit = $1 RETURNING seq")
        .await
        .map_err(pg)?;
    // Next seq to hand out per unit.
    let mut next: std::collections::BTreeMap<&str, i64> = Default::default();
    for (unit, count) in &per_unit {
        tx.execute(&create_head, &[unit]).await.map_err(pg)?;
        let row = tx.query_one(&advance, &[unit, count]).await.map_err(pg)?;
        let last: i64 = col(&row, 0)?;
        next.insert(unit, last - count + 1);
    }
    let insert_content = tx
        .prepare_cached(
            "INSERT INTO log_contents (document_id, content_hash, content) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .await
        .map_err(pg)?;
    for lc in &c.contents {
        tx.execute(
            &insert_content,
            &[
                &lc.key.document_id.to_string(),
                &lc.key.content_hash,
                &lc.content,
            ],
        )
        .await
        .map_err(pg)?;
    }
    let insert_log = tx
        .prepare_cached(
            "INSERT INTO log (unit, seq, command_id, classification, entry, document_id,
                              content_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .await
        .map_err(pg)?;
    let mut seqs = Vec::with_capacity(c.log.len());
    for l in &c.log {
        let slot = next
            .get_mut(l.unit.0.as_str())
            .ok_or_else(|| StorageError::Backend("log unit without a counter".into()))?;
        let seq = *slot;
        *slot += 1;
        tx.execute(
            &insert_log,
            &[
                &l.unit.0,
                &seq,
                &command_id,
                &enum_text(&l.classification)?,
                &l.entry,
                &l.content.as_ref().map(|k| k.document_id.to_string()),
                &l.content.as_ref().map(|k| k.content_hash.as_str()),
            ],
        )
        .await
        .map_err(pg)?;
        seqs.push(seq);
    }

    append_audit_tx(tx, head, &c.audit).await?;
    Ok(seqs)
}

/// The commit's transfer (see [`TransferWrite`](super::TransferWrite)), inside its
/// transaction. A lost race (the transfer or one of its 档号 taken, or the status moved)
/// is a `Conflict`: the caller reads again and decides again.
async fn transfer_tx(
    tx: &deadpool_postgres::Transaction<'_>,
    w: &super::TransferWrite,
) -> Result<(), StorageError> {
    let t = &w.transfer;
    let id = t.id.to_string();
    let conflict = || StorageError::Conflict(DocumentId(t.id));
    let body = serde_json::to_string(t).map_err(|e| StorageError::Backend(e.to_string()))?;
    match w.expected {
        None => {
            // A unique violation aborts a PostgreSQL transaction; the caller retries
            // on a fresh one after `Conflict`.
            let inserted = tx
                .execute(
                    "INSERT INTO transfers (id, from_unit, to_unit, status, sent_at, body, report)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &id,
                        &t.from.0,
                        &t.to.0,
                        &t.status.as_str(),
                        &t.sent_at,
                        &body,
                        &w.report.as_deref().unwrap_or("{}"),
                    ],
                )
                .await;
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => return Err(conflict()),
                Err(e) => return Err(pg(e)),
            }
            let item = tx
                .prepare_cached(
                    "INSERT INTO transfer_items (archival_code, transfer_id) VALUES ($1, $2)",
                )
                .await
                .map_err(pg)?;
            for code in &t.archival_codes {
                match tx.execute(&item, &[code, &id]).await {
                    Ok(_) => {}
                    Err(e) if is_unique_violation(&e) => return Err(conflict()),
                    Err(e) => return Err(pg(e)),
                }
            }
        }
        Some(expected) => {
            let written = tx
                .execute(
                    "UPDATE transfers SET status = $2, body = $3 WHERE id = $1 AND status = $4",
                    &[&id, &t.status.as_str(), &body, &expected.as_str()],
                )
                .await
                .map_err(pg)?;
            if written != 1 {
                return Err(conflict());
            }
            if t.status == gongwen_core::transfer::TransferStatus::Returned {
                tx.execute("DELETE FROM transfer_items WHERE transfer_id = $1", &[&id])
                    .await
                    .map_err(pg)?;
            }
        }
    }
    Ok(())
}

/// The commit's 文号 writes (see [`NumberWrite`](super::NumberWrite)), inside its transaction. The
/// counter's UPDATE is a compare-and-set: at READ COMMITTED a concurrent writer of the
/// same series waits for the row lock, then re-checks `last` on the committed row and
/// moves nothing, so two commands never take one number (and the audit-head lock
/// serializes commits anyway, see the module doc).
async fn numbers_tx(
    tx: &deadpool_postgres::Transaction<'_>,
    c: &Commit,
) -> Result<(), StorageError> {
    if c.numbers.is_empty() {
        return Ok(());
    }
    let create = tx
        .prepare_cached(
            "INSERT INTO number_series (series, last) VALUES ($1, 0)
             ON CONFLICT (series) DO NOTHING",
        )
        .await
        .map_err(pg)?;
    let advance = tx
        .prepare_cached(
            "UPDATE number_series SET last = $2::bigint
             WHERE series = $1 AND last = $2::bigint - 1",
        )
        .await
        .map_err(pg)?;
    let issued_to = tx
        .prepare_cached(
            "SELECT document_id FROM number_register
             WHERE series = $1 AND number = $2 AND event = 'issued'",
        )
        .await
        .map_err(pg)?;
    let record = tx
        .prepare_cached(
            "INSERT INTO number_register (series, number, event, document_id, command_id,
                                          username, at, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .await
        .map_err(pg)?;
    let command_id = c.command.command_id.to_string();
    for w in &c.numbers {
        let taken = || StorageError::NumberTaken {
            series: w.series.clone(),
            number: w.number,
        };
        match w.event {
            NumberEvent::Issued => {
                tx.execute(&create, &[&w.series]).await.map_err(pg)?;
                let moved = tx
                    .execute(&advance, &[&w.series, &w.number])
                    .await
                    .map_err(pg)?;
                if moved != 1 {
                    return Err(taken());
                }
            }
            NumberEvent::Cancelled => {
                let row = tx
                    .query_opt(&issued_to, &[&w.series, &w.number])
                    .await
                    .map_err(pg)?;
                let to: Option<String> = row.map(|r| col(&r, 0)).transpose()?;
                if to.as_deref() != Some(w.document_id.to_string().as_str()) {
                    return Err(not_issued(w));
                }
            }
        }
        let written = tx
            .execute(
                &record,
                &[
                    &w.series,
                    &w.number,
                    &w.event.as_str(),
                    &w.document_id.to_string(),
                    &command_id,
                    &w.by,
                    &w.at,
                    &w.reason,
                ],
            )
            .await
            .map_err(pg)?;
        if written != 1 {
            return Err(match w.event {
                NumberEvent::Cancelled => cancelled_twice(w),
                // The counter said the number was free; the register disagrees.
                NumberEvent::Issued => taken(),
            });
        }
    }
    Ok(())
}

#[async_trait]
impl Storage for PostgresStorage {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    async fn add_unit(&self, unit: &Unit) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        add_unit_tx(&tx, unit).await?;
        tx.commit().await.map_err(pg)
    }

    async fn units(&self) -> Result<Vec<Unit>, StorageError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT code, name, short_name FROM units ORDER BY code",
                &[],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                Ok(Unit {
                    code: UnitCode(col(r, 0)?),
                    name: col(r, 1)?,
                    short_name: col(r, 2)?,
                })
            })
            .collect()
    }

    async fn add_user(&self, user: &UserRecord) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        add_user_tx(&tx, user).await?;
        tx.commit().await.map_err(pg)
    }

    async fn user(&self, username: &str) -> Result<Option<UserRecord>, StorageError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"),
                &[&username],
            )
            .await
            .map_err(pg)?;
        row.map(|r| user_from_row(&r, 0)).transpose()
    }

    async fn users(&self) -> Result<Vec<UserRecord>, StorageError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {USER_COLUMNS} FROM users ORDER BY username"),
                &[],
            )
            .await
            .map_err(pg)?;
        rows.iter().map(|r| user_from_row(r, 0)).collect()
    }

    async fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        set_user_disabled_tx(&tx, username, disabled).await?;
        tx.commit().await.map_err(pg)
    }

    async fn update_user(
        &self,
        username: &str,
        unit: Option<&UnitCode>,
        clearance: Option<Classification>,
    ) -> Result<(), StorageError> {
        let clearance = clearance.as_ref().map(enum_text).transpose()?;
        let unit = unit.map(|u| u.0.clone());
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        if let Some(unit) = &unit {
            let exists = tx
                .query_opt("SELECT 1 FROM units WHERE code = $1 FOR SHARE", &[unit])
                .await
                .map_err(pg)?
                .is_some();
            if !exists {
                return Err(StorageError::NotFound {
                    what: "unit",
                    key: unit.clone(),
                });
            }
        }
        let n = tx
            .execute(
                "UPDATE users SET unit = COALESCE($2, unit), clearance = COALESCE($3, clearance)
                 WHERE username = $1",
                &[&username, &unit, &clearance],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(not_found_user(username));
        }
        tx.commit().await.map_err(pg)
    }

    async fn set_password_hash(&self, username: &str, hash: &str) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        set_password_hash_tx(&tx, username, hash).await?;
        tx.commit().await.map_err(pg)
    }

    async fn add_token(&self, token: &TokenRecord) -> Result<(), StorageError> {
        // Refuse an expiry that `token_user` could never compare.
        token_live(&token.expires_at, &token.expires_at)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        // FOR SHARE: a concurrent disable or password change (which revoke all tokens)
        // waits for this insert, or this waits for it; the token is never missed.
        let user = tx
            .query_opt(
                "SELECT 1 FROM users WHERE username = $1 FOR SHARE",
                &[&token.username],
            )
            .await
            .map_err(pg)?;
        if user.is_none() {
            return Err(not_found_user(&token.username));
        }
        let result = tx
            .execute(
                "INSERT INTO tokens (token_hash, username, expires_at, client)
                 VALUES ($1, $2, $3, $4)",
                &[
                    &token.token_hash,
                    &token.username,
                    &token.expires_at,
                    &token.client,
                ],
            )
            .await;
        match result {
            Ok(_) => tx.commit().await.map_err(pg),
            Err(e) if is_unique_violation(&e) => Err(StorageError::AlreadyExists {
                what: "token",
                key: token.token_hash.clone(),
            }),
            Err(e) => Err(pg(e)),
        }
    }

    async fn token_user(
        &self,
        token_hash: &str,
        now: &str,
    ) -> Result<Option<UserRecord>, StorageError> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(&format!(
                "SELECT t.expires_at, {} FROM tokens t JOIN users u ON u.username = t.username
                 WHERE t.token_hash = $1 AND NOT t.revoked",
                USER_COLUMNS
                    .split(", ")
                    .map(|c| format!("u.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .await
            .map_err(pg)?;
        let Some(row) = client.query_opt(&st, &[&token_hash]).await.map_err(pg)? else {
            return Ok(None);
        };
        let expires_at: String = col(&row, 0)?;
        if !token_live(&expires_at, now)? {
            return Ok(None);
        }
        let user = user_from_row(&row, 1)?;
        Ok((!user.disabled).then_some(user))
    }

    async fn revoke_token(&self, token_hash: &str) -> Result<(), StorageError> {
        let client = self.client().await?;
        let n = client
            .execute(
                "UPDATE tokens SET revoked = true WHERE token_hash = $1",
                &[&token_hash],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StorageError::NotFound {
                what: "token",
                key: token_hash.to_string(),
            });
        }
        Ok(())
    }

    async fn purge_expired_tokens(&self, now: &str) -> Result<u64, StorageError> {
        let client = self.client().await?;
        client
            .execute("DELETE FROM tokens WHERE expires_at < $1", &[&now])
            .await
            .map_err(pg)
    }

    async fn command(&self, command_id: uuid::Uuid) -> Result<Option<CommandRecord>, StorageError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT unit, username, client, kind, payload_hash, outcome, at
                 FROM commands WHERE command_id = $1",
                &[&command_id.to_string()],
            )
            .await
            .map_err(pg)?;
        row.map(|r| {
            Ok(CommandRecord {
                command_id,
                unit: UnitCode(col(&r, 0)?),
                username: col(&r, 1)?,
                client: col(&r, 2)?,
                kind: col(&r, 3)?,
                payload_hash: col(&r, 4)?,
                outcome: col(&r, 5)?,
                at: col(&r, 6)?,
            })
        })
        .transpose()
    }

    async fn workflows_with_deadline(&self) -> Result<Vec<DocumentId>, StorageError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT document_id FROM workflows WHERE state LIKE '%\"deadline\":%'",
                &[],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let id: String = col(r, 0)?;
                Ok(DocumentId(parse_uuid(&id, "document id")?))
            })
            .collect()
    }

    async fn workflow(
        &self,
        document_id: DocumentId,
    ) -> Result<Option<WorkflowRecord>, StorageError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT version, owner, classification, state FROM workflows
                 WHERE document_id = $1",
                &[&document_id.to_string()],
            )
            .await
            .map_err(pg)?;
        row.map(|r| {
            let classification: String = col(&r, 2)?;
            Ok(WorkflowRecord {
                document_id,
                version: col(&r, 0)?,
                owner: UnitCode(col(&r, 1)?),
                classification: parse_enum(&classification, "classification")?,
                state: col(&r, 3)?,
            })
        })
        .transpose()
    }

    async fn document(
        &self,
        document_id: DocumentId,
    ) -> Result<Option<DocumentRecord>, StorageError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT owner, classification, content_hash, content FROM documents
                 WHERE document_id = $1",
                &[&document_id.to_string()],
            )
            .await
            .map_err(pg)?;
        row.map(|r| {
            let classification: String = col(&r, 1)?;
            Ok(DocumentRecord {
                document_id,
                owner: UnitCode(col(&r, 0)?),
                classification: parse_enum(&classification, "classification")?,
                content_hash: col(&r, 2)?,
                content: col(&r, 3)?,
            })
        })
        .transpose()
    }

    async fn has_access(
        &self,
        document_id: DocumentId,
        unit: &UnitCode,
    ) -> Result<bool, StorageError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM document_access
                                WHERE document_id = $1 AND unit = $2)",
                &[&document_id.to_string(), &unit.0],
            )
            .await
            .map_err(pg)?;
        col(&row, 0)
    }

    async fn blob_access(
        &self,
        sha256: &str,
        unit: &UnitCode,
        clearance: Classification,
    ) -> Result<Option<(DocumentId, Classification)>, StorageError> {
        let client = self.client().await?;
        let allowed = classifications_up_to(clearance)?;
        let rows = client
            .query(
                "SELECT d.document_id, d.classification FROM document_blobs b
                 JOIN document_access a ON a.document_id = b.document_id
                 JOIN documents d ON d.document_id = b.document_id
                 WHERE b.sha256 = $1 AND a.unit = $2 AND d.classification = ANY($3)",
                &[&sha256, &unit.0, &allowed],
            )
            .await
            .map_err(pg)?;
        let rows = rows
            .iter()
            .map(|r| Ok((col(r, 0)?, col(r, 1)?)))
            .collect::<Result<Vec<(String, String)>, StorageError>>()?;
        most_classified(rows)
    }

    async fn blob_listed(&self, sha256: &str) -> Result<bool, StorageError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM document_blobs WHERE sha256 = $1)",
                &[&sha256],
            )
            .await
            .map_err(pg)?;
        col(&row, 0)
    }

    async fn grant_upload(
        &self,
        sha256: &str,
        username: &str,
        clearance: Classification,
        at: &str,
    ) -> Result<(), StorageError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO blob_uploads (sha256, username, clearance, at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (sha256, username) DO UPDATE SET clearance = excluded.clearance,
                     at = excluded.at",
                &[&sha256, &username, &enum_text(&clearance)?, &at],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn upload_granted(
        &self,
        sha256: &str,
        username: &str,
        clearance: Classification,
    ) -> Result<bool, StorageError> {
        let client = self.client().await?;
        let allowed = classifications_up_to(clearance)?;
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM blob_uploads
                                WHERE sha256 = $1 AND username = $2 AND clearance = ANY($3))",
                &[&sha256, &username, &allowed],
            )
            .await
            .map_err(pg)?;
        col(&row, 0)
    }

    async fn upload_granted_since(&self, sha256: &str, since: &str) -> Result<bool, StorageError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM blob_uploads WHERE sha256 = $1 AND at >= $2)",
                &[&sha256, &since],
            )
            .await
            .map_err(pg)?;
        col(&row, 0)
    }

    async fn drop_upload_grants(&self, sha256: &str) -> Result<(), StorageError> {
        let client = self.client().await?;
        client
            .execute("DELETE FROM blob_uploads WHERE sha256 = $1", &[&sha256])
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn commit(&self, commit: &Commit) -> Result<Vec<i64>, StorageError> {
        let mut client = self.client().await?;
        // READ COMMITTED on purpose (also PostgreSQL's default): the row locks order
        // the writers, and a waiter re-reads the locked row instead of failing with a
        // serialization error that the caller would have to retry.
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()
            .await
            .map_err(pg)?;
        // On error `tx` drops and rolls back: nothing of the command is written.
        let seqs = commit_tx(&tx, commit).await?;
        tx.commit().await.map_err(pg)?;
        Ok(seqs)
    }

    async fn series_last(&self, series: &str) -> Result<i64, StorageError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT last FROM number_series WHERE series = $1",
                &[&series],
            )
            .await
            .map_err(pg)?;
        match row {
            Some(r) => col(&r, 0),
            None => Ok(0),
        }
    }

    async fn delegations(
        &self,
        unit: &UnitCode,
    ) -> Result<Vec<gongwen_core::delegation::Delegation>, StorageError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT body FROM delegations WHERE unit = $1 ORDER BY created_at, id",
                &[&unit.0],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let body: String = col(r, 0)?;
                parse_json(&body, "delegation")
            })
            .collect()
    }

    async fn delegation(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<gongwen_core::delegation::Delegation>, StorageError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT body FROM delegations WHERE id = $1",
                &[&id.to_string()],
            )
            .await
            .map_err(pg)?;
        row.map(|r| {
            let body: String = col(&r, 0)?;
            parse_json(&body, "delegation")
        })
        .transpose()
    }

    async fn transfer(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<super::TransferRecord>, StorageError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT body, report FROM transfers WHERE id = $1",
                &[&id.to_string()],
            )
            .await
            .map_err(pg)?;
        row.map(|r| {
            let body: String = col(&r, 0)?;
            Ok(super::TransferRecord {
                transfer: parse_json(&body, "transfer")?,
                report: col(&r, 1)?,
            })
        })
        .transpose()
    }

    async fn transfers(
        &self,
        unit: &UnitCode,
    ) -> Result<Vec<gongwen_core::transfer::Transfer>, StorageError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT body FROM transfers WHERE from_unit = $1 OR to_unit = $1
                 ORDER BY sent_at DESC, id",
                &[&unit.0],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let body: String = col(r, 0)?;
                parse_json(&body, "transfer")
            })
            .collect()
    }

    async fn transfers_holding(
        &self,
        archival_codes: &[String],
    ) -> Result<Vec<(String, uuid::Uuid)>, StorageError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT archival_code, transfer_id FROM transfer_items
                 WHERE archival_code = ANY($1) ORDER BY archival_code",
                &[&archival_codes],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let code: String = col(r, 0)?;
                let id: String = col(r, 1)?;
                let id = id.parse().map_err(|e| {
                    StorageError::Backend(format!("stored transfer id is not valid: {e}"))
                })?;
                Ok((code, id))
            })
            .collect()
    }

    async fn flow_versions(&self) -> Result<Vec<FlowVersion>, StorageError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT digest, kind, source FROM flow_versions ORDER BY digest",
                &[],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let kind: String = col(r, 1)?;
                Ok(FlowVersion {
                    digest: col(r, 0)?,
                    kind: parse_flow_kind(&kind)?,
                    source: col(r, 2)?,
                })
            })
            .collect()
    }

    async fn keep_flow_versions(
        &self,
        current: &[FlowVersion],
        keep: &[String],
    ) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        for v in current {
            tx.execute(
                "INSERT INTO flow_versions (digest, kind, source) VALUES ($1, $2, $3)
                 ON CONFLICT (digest) DO NOTHING",
                &[&v.digest, &v.kind.as_str(), &v.source],
            )
            .await
            .map_err(pg)?;
        }
        let wanted: Vec<String> = keep
            .iter()
            .cloned()
            .chain(current.iter().map(|v| v.digest.clone()))
            .collect();
        tx.execute(
            "DELETE FROM flow_versions WHERE NOT (digest = ANY($1))",
            &[&wanted],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn open_workflow_states(&self) -> Result<Vec<(DocumentId, String)>, StorageError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT document_id, state FROM workflows WHERE state LIKE $1 ORDER BY document_id",
                &[&OPEN_HANDLING_LIKE],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let id: String = col(r, 0)?;
                Ok((DocumentId(parse_uuid(&id, "document id")?), col(r, 1)?))
            })
            .collect()
    }

    async fn number_register(&self, series: &str) -> Result<Vec<NumberRecord>, StorageError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT number, event, document_id, command_id, username, at, reason
                 FROM number_register WHERE series = $1
                 ORDER BY number, event = 'cancelled'",
                &[&series],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let event: String = col(r, 1)?;
                let document_id: String = col(r, 2)?;
                let command_id: String = col(r, 3)?;
                Ok(NumberRecord {
                    series: series.to_string(),
                    number: col(r, 0)?,
                    document_id: DocumentId(parse_uuid(&document_id, "document id")?),
                    event: number_event(&event)?,
                    command_id: parse_uuid(&command_id, "command id")?,
                    by: col(r, 4)?,
                    at: col(r, 5)?,
                    reason: col(r, 6)?,
                })
            })
            .collect()
    }

    async fn log_after(
        &self,
        unit: &UnitCode,
        after: i64,
        limit: u32,
    ) -> Result<Vec<LogRecord>, StorageError> {
        let client = self.client().await?;
        let st = client
            .prepare_cached(
                "SELECT l.seq, l.command_id, l.classification, l.entry,
                        l.document_id IS NOT NULL, c.content
                 FROM log l LEFT JOIN log_contents c
                     ON c.document_id = l.document_id AND c.content_hash = l.content_hash
                 WHERE l.unit = $1 AND l.seq > $2 ORDER BY l.seq LIMIT $3",
            )
            .await
            .map_err(pg)?;
        let rows = client
            .query(&st, &[&unit.0, &after, &i64::from(limit)])
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let command_id: String = col(r, 1)?;
                let classification: String = col(r, 2)?;
                let seq: i64 = col(r, 0)?;
                Ok(LogRecord {
                    unit: unit.clone(),
                    seq,
                    command_id: parse_uuid(&command_id, "command id")?,
                    classification: parse_enum(&classification, "classification")?,
                    entry: entry_with_content(col(r, 3)?, col(r, 4)?, col(r, 5)?, &unit.0, seq)?,
                })
            })
            .collect()
    }

    async fn log_head(&self, unit: &UnitCode) -> Result<LogHead, StorageError> {
        let client = self.client().await?;
        // One statement, one snapshot. `log_heads` is written in the transaction that
        // writes the entries, so it never runs ahead of what a reader can see.
        let row = client
            .query_one(
                "SELECT (SELECT value FROM meta WHERE key = 'epoch'),
                        COALESCE((SELECT seq FROM log_heads WHERE unit = $1), 0)",
                &[&unit.0],
            )
            .await
            .map_err(pg)?;
        let epoch: Option<String> = col(&row, 0)?;
        Ok(LogHead {
            epoch: epoch.ok_or_else(|| {
                StorageError::Backend("PostgreSQL: no log epoch in table meta".into())
            })?,
            seq: col(&row, 1)?,
        })
    }

    async fn start_epoch(&self) -> Result<String, StorageError> {
        let epoch = uuid::Uuid::new_v4().simple().to_string();
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO meta (key, value) VALUES ('epoch', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&epoch],
            )
            .await
            .map_err(pg)?;
        Ok(epoch)
    }

    async fn append_audit(&self, draft: &AuditDraft) -> Result<AuditRecord, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        let head = lock_audit_head(&tx).await?;
        let record = append_audit_tx(&tx, head, draft).await?;
        tx.commit().await.map_err(pg)?;
        Ok(record)
    }

    async fn audit_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StorageError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT seq, at, username, unit, client, action, detail, prev_hash, hash
                 FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&after_seq, &i64::from(limit)],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    seq: col(r, 0)?,
                    at: col(r, 1)?,
                    username: col(r, 2)?,
                    unit: UnitCode(col(r, 3)?),
                    client: col(r, 4)?,
                    action: col(r, 5)?,
                    detail: col(r, 6)?,
                    prev_hash: col(r, 7)?,
                    hash: col(r, 8)?,
                })
            })
            .collect()
    }

    async fn audit_head(&self) -> Result<AuditHead, StorageError> {
        let client = self.client().await?;
        let row = client
            .query_one("SELECT seq, hash FROM audit_head", &[])
            .await
            .map_err(pg)?;
        Ok(AuditHead {
            seq: col(&row, 0)?,
            hash: col(&row, 1)?,
        })
    }

    async fn admin_change(
        &self,
        change: &AdminChange,
        audit: &AuditDraft,
    ) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        // The audit head first, as every writer of an audit entry does.
        let head = lock_audit_head(&tx).await?;
        match change {
            AdminChange::AddUnit(unit) => add_unit_tx(&tx, unit).await?,
            AdminChange::SetUnitShortName { code, short_name } => {
                set_unit_short_name_tx(&tx, code, short_name).await?
            }
            AdminChange::AddUser(user) => add_user_tx(&tx, user).await?,
            AdminChange::SetUserDisabled { username, disabled } => {
                set_user_disabled_tx(&tx, username, *disabled).await?
            }
            AdminChange::SetPasswordHash { username, hash } => {
                set_password_hash_tx(&tx, username, hash).await?
            }
        }
        append_audit_tx(&tx, head, audit).await?;
        tx.commit().await.map_err(pg)
    }
}
