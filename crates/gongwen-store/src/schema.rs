//! The schema, its migrations, and the checks made before a database file is used.

use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use rusqlite_migration::{Migrations, M};

use crate::StoreError;

/// Migrations in order; the database's `user_version` is how many have run. Append
/// only: a released migration is never edited.
const MIGRATIONS: &[&str] = &[
    // 1: documents, their versions, attachment files, counts and the search index.
    r#"
CREATE TABLE documents (
    doc_rowid      INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    status         TEXT NOT NULL,
    version        INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    urgency        TEXT NOT NULL,
    classification TEXT NOT NULL,
    title          TEXT NOT NULL,
    doc_number     TEXT NOT NULL,
    issuer         TEXT NOT NULL,
    date_of_issue  TEXT NOT NULL,
    year           INTEGER,
    issuers        TEXT NOT NULL, -- every 署名 and 标志, joined by 、 (for search)
    recipients     TEXT NOT NULL, -- 主送 and 抄送, joined by 、 (for search)
    -- Day of the 成文日期 (or of the last save when undated) << 32 | doc_rowid: the
    -- list order, and the rowid of the document in the search tables, so that a
    -- search can read matches newest-first and stop early.
    sort_key       INTEGER NOT NULL UNIQUE
);
CREATE INDEX documents_by_kind ON documents(kind, sort_key);
CREATE INDEX documents_by_status ON documents(status, sort_key);
CREATE INDEX documents_by_year ON documents(year, sort_key);

-- Every save appends a row; nothing here is ever updated.
CREATE TABLE versions (
    doc_rowid  INTEGER NOT NULL REFERENCES documents(doc_rowid),
    version    INTEGER NOT NULL,
    saved_at   TEXT NOT NULL,
    char_count INTEGER NOT NULL,
    content    TEXT NOT NULL, -- the Document as JSON
    UNIQUE (doc_rowid, version)
);

-- Files in attachments/, named by their SHA-256.
CREATE TABLE attachment_files (
    sha256    TEXT PRIMARY KEY,
    size      INTEGER NOT NULL,
    stored_at TEXT NOT NULL
) WITHOUT ROWID;

-- Which version of which document first listed which file.
CREATE TABLE document_attachments (
    doc_rowid INTEGER NOT NULL REFERENCES documents(doc_rowid),
    version   INTEGER NOT NULL,
    sha256    TEXT NOT NULL REFERENCES attachment_files(sha256),
    name      TEXT NOT NULL,
    file_name TEXT,
    PRIMARY KEY (doc_rowid, version, sha256)
) WITHOUT ROWID;
CREATE INDEX document_attachments_by_file ON document_attachments(sha256);

-- Counts per (kind, status, year) kept by triggers, so a list's total costs a few
-- rows instead of a scan of every document. year 0 = none.
CREATE TABLE document_counts (
    kind   TEXT NOT NULL,
    status TEXT NOT NULL,
    year   INTEGER NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (kind, status, year)
) WITHOUT ROWID;
CREATE TRIGGER documents_count_insert AFTER INSERT ON documents BEGIN
    INSERT INTO document_counts(kind, status, year, n)
    VALUES (new.kind, new.status, coalesce(new.year, 0), 1)
    ON CONFLICT (kind, status, year) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER documents_count_delete AFTER DELETE ON documents BEGIN
    UPDATE document_counts SET n = n - 1
    WHERE kind = old.kind AND status = old.status AND year = coalesce(old.year, 0);
END;
CREATE TRIGGER documents_count_update AFTER UPDATE OF kind, status, year ON documents BEGIN
    UPDATE document_counts SET n = n - 1
    WHERE kind = old.kind AND status = old.status AND year = coalesce(old.year, 0);
    INSERT INTO document_counts(kind, status, year, n)
    VALUES (new.kind, new.status, coalesce(new.year, 0), 1)
    ON CONFLICT (kind, status, year) DO UPDATE SET n = n + 1;
END;

-- Search: tokens computed in Rust (see tokens.rs); contentless, rowid = sort_key.
CREATE VIRTUAL TABLE search_head USING fts5(
    title, doc_number, issuer, recipients,
    tokenize = 'ascii', prefix = '1', content = '', contentless_delete = 1
);
-- Every searchable field of a document as one text, so a query may match across
-- fields (宿州 in the issuer, 防汛 in the body).
CREATE VIRTUAL TABLE search_all USING fts5(
    text, tokenize = 'ascii', content = '', contentless_delete = 1
);
CREATE VIRTUAL TABLE search_chars USING fts5(
    chars, tokenize = 'ascii', detail = 'none', content = '', contentless_delete = 1
);
-- Bigger in-memory batches before FTS5 writes a segment: a bulk import then writes
-- and merges far fewer segments (the default is 1 MiB).
INSERT INTO search_head(search_head, rank) VALUES ('pgsz', 16000);
INSERT INTO search_all(search_all, rank) VALUES ('pgsz', 16000);
INSERT INTO search_chars(search_chars, rank) VALUES ('pgsz', 16000);
-- Merge 16 segments at a time instead of 4: during a bulk import each posting is
-- rewritten fewer times (measured: 15% less CPU on 30,000 documents); a search reads
-- a few more segments, which costs microseconds.
INSERT INTO search_all(search_all, rank) VALUES ('automerge', 16);
INSERT INTO search_all(search_all, rank) VALUES ('crisismerge', 64);
INSERT INTO search_chars(search_chars, rank) VALUES ('automerge', 16);
INSERT INTO search_chars(search_chars, rank) VALUES ('crisismerge', 64);
INSERT INTO search_head(search_head, rank) VALUES ('hashsize', 8388608);
INSERT INTO search_all(search_all, rank) VALUES ('hashsize', 33554432);
INSERT INTO search_chars(search_chars, rank) VALUES ('hashsize', 8388608);
"#,
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Opens `path`, refusing a file from a newer schema (untouched) or a damaged one
/// (moved aside), then brings the schema up to date.
pub(crate) fn open_checked(path: &Path) -> Result<Connection, StoreError> {
    if let Some(reason) = not_sqlite(path)? {
        return Err(move_aside(path, reason));
    }
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(path, e))?;
    // Until the file is known good and ours, closing must not checkpoint a WAL into it.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;

    let found: u32 = match conn.pragma_query_value(None, "user_version", |r| r.get(0)) {
        Ok(v) => v,
        Err(e) if is_corruption(&e) => {
            drop(conn);
            return Err(move_aside(path, e.to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found > 0 {
        if let Some(reason) = quick_check(&conn)? {
            drop(conn);
            return Err(move_aside(path, reason));
        }
    }

    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)?;
    if found == 0 {
        // New database: 16 KiB pages hold a version's JSON (~5 KB for 1,500 characters)
        // without overflow pages, and suit FTS5's large index leaves.
        conn.pragma_update(None, "page_size", 16384)?;
    }
    // WAL: readers never block the writer, and a crash mid-write leaves the last
    // committed state. synchronous=FULL: every commit is fsynced, so a saved draft
    // survives a power cut too; that costs one fsync per save, which a clerk does not
    // notice, and a bulk import is one transaction.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", -65536)?; // 64 MiB
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    migrations().to_latest(&mut conn)?;
    Ok(conn)
}

fn open_error(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied | ErrorCode::ReadOnly) => {
            StoreError::Write {
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::PermissionDenied, e.to_string()),
            }
        }
        _ => e.into(),
    }
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

/// `Some(reason)` when the file exists, is not empty and is not an SQLite database.
fn not_sqlite(path: &Path) -> Result<Option<String>, StoreError> {
    use std::io::Read;
    let mut file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StoreError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut header = Vec::with_capacity(16);
    file.by_ref()
        .take(16)
        .read_to_end(&mut header)
        .map_err(|source| StoreError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if header.is_empty() || header == SQLITE_HEADER {
        Ok(None)
    } else {
        Ok(Some("not an SQLite database".to_string()))
    }
}

/// `Some(reason)` when `PRAGMA quick_check` finds damage. Checked table by table over
/// the ordinary tables (which include the FTS5 index's own b-trees): a whole-database
/// quick_check also re-derives every full-text index (FTS5's integrity check), which
/// takes seconds on 100,000 documents and would be paid at every start.
fn quick_check(conn: &Connection) -> Result<Option<String>, StoreError> {
    let result = (|| -> rusqlite::Result<Vec<String>> {
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut problems = Vec::new();
        for table in tables {
            let sql = format!("PRAGMA quick_check(\"{}\")", table.replace('"', "\"\""));
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            for row in rows {
                let row = row?;
                if row != "ok" {
                    problems.push(row);
                }
            }
            if problems.len() >= 5 {
                break;
            }
        }
        Ok(problems)
    })();
    match result {
        Ok(problems) if problems.is_empty() => Ok(None),
        Ok(problems) => Ok(Some(format!("integrity check: {}", problems.join("; ")))),
        Err(e) if is_corruption(&e) => Ok(Some(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// Moves a damaged database and its -wal/-shm to `gongwen.db.corrupt-<UTC time>`.
/// Never deletes: the clerk's only copy of a draft may be in there.
fn move_aside(path: &Path, reason: String) -> StoreError {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "gongwen.db".to_string());
    let mut target = path.with_file_name(format!("{name}.corrupt-{stamp}"));
    let mut n = 2;
    while target.exists() {
        target = path.with_file_name(format!("{name}.corrupt-{stamp}-{n}"));
        n += 1;
    }
    if let Err(source) = fs::rename(path, &target) {
        return StoreError::Write {
            path: path.to_path_buf(),
            source,
        };
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        if side.exists() {
            let to = PathBuf::from(format!("{}{suffix}", target.display()));
            if let Err(e) = fs::rename(&side, &to) {
                tracing::warn!("could not move {} aside: {e}", side.display());
            }
        }
    }
    tracing::error!(
        "damaged database {} moved to {}: {reason}",
        path.display(),
        target.display()
    );
    StoreError::Corrupt {
        path: path.to_path_buf(),
        moved_to: target,
        reason,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }
}
