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
    // 2: the exchange: outbox of commands, what was sent and received, per-recipient
    // deliveries, the sync cursor per server and user, and small settings.
    r#"
-- Commands to the exchange, in the order the user gave them (seq). Written in the same
-- transaction as the local change; a row is never deleted: accepted and rejected
-- commands stay as the record of what was asked and what the server answered.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id      TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,     -- dispatch, acknowledge, return …
    document_id     TEXT NOT NULL,
    payload         TEXT NOT NULL,     -- the Command as JSON, sent as is on every retry
    created_at      TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending', -- pending | accepted | rejected
    rejection       TEXT,              -- the server's Rejection as JSON
    decided_at      TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_attempt_at TEXT,
    dismissed_at    TEXT               -- a refusal the user has read and removed from the queue
);
CREATE INDEX outbox_by_state ON outbox(state, seq);
CREATE INDEX outbox_by_document ON outbox(document_id, seq);

-- Documents that went over the exchange, as the server reported them: sent by this
-- unit or received from another. content_hash is the server's.
CREATE TABLE exchanged (
    document_id  TEXT PRIMARY KEY,
    direction    TEXT NOT NULL,        -- sent | received
    content_hash TEXT NOT NULL,
    from_unit    TEXT NOT NULL,        -- the sending unit (this unit for sent)
    role         TEXT,                 -- main | cc, for received
    by           TEXT NOT NULL,        -- the dispatcher's username
    at           TEXT NOT NULL,
    account      TEXT NOT NULL         -- which server and user pulled it
) WITHOUT ROWID;

-- Where a document stands at each recipient unit (a recipient knows only its own row).
CREATE TABLE deliveries (
    document_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    role        TEXT NOT NULL,
    status      TEXT NOT NULL,         -- delivered | acknowledged | returned
    reason      TEXT,
    by          TEXT NOT NULL,
    at          TEXT NOT NULL,
    position    INTEGER NOT NULL,      -- order in the dispatch (主送 before 抄送)
    PRIMARY KEY (document_id, unit)
) WITHOUT ROWID;

-- One row per server and user: a cursor is never shared between accounts.
CREATE TABLE sync_state (
    account      TEXT PRIMARY KEY,     -- server URL + newline + username
    cursor       INTEGER NOT NULL DEFAULT 0,
    last_sync_at TEXT,
    last_error   TEXT,
    last_error_at TEXT
) WITHOUT ROWID;

-- Attachment files of exchanged documents that are not in attachments/ yet: the sync
-- downloads them, checks their hash and removes the row when the file is stored.
CREATE TABLE attachment_downloads (
    sha256      TEXT PRIMARY KEY,
    document_id TEXT NOT NULL,
    size        INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
) WITHOUT ROWID;

-- Small values: the install id, the account in use, the cached directory. Never a
-- token or a password.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"#,
    // 3: accounts on one computer. Each outbox command belongs to the account that
    // queued it and carries the 密级 it would reveal; the counts behind a list's total
    // are kept per 密级, so a list shows only what the logged-in account may see.
    r#"
ALTER TABLE outbox ADD COLUMN account TEXT;          -- server URL + newline + username; NULL: unknown
ALTER TABLE outbox ADD COLUMN classification TEXT NOT NULL DEFAULT 'unclassified';
ALTER TABLE outbox ADD COLUMN discarded_by TEXT;     -- who discarded a pending command (state 'discarded')
CREATE INDEX outbox_by_account ON outbox(account, state, seq);
-- Commands queued before accounts were recorded belong to the account remembered then,
-- the only one that could have queued them since its login.
UPDATE outbox SET account = (
    SELECT rtrim(trim(json_extract(value, '$.server')), '/') || char(10) || json_extract(value, '$.user.username')
    FROM settings WHERE key = 'account');
UPDATE outbox SET classification = coalesce(
    CASE WHEN kind = 'dispatch' THEN json_extract(payload, '$.document.classification') END,
    (SELECT d.classification FROM documents d WHERE d.id = outbox.document_id),
    'unclassified');
-- Whoever was remembered stays logged in across the upgrade (their token is in the keyring).
INSERT INTO settings(key, value) SELECT 'session', value FROM settings WHERE key = 'account';

DROP TRIGGER documents_count_insert;
DROP TRIGGER documents_count_delete;
DROP TRIGGER documents_count_update;
DROP TABLE document_counts;
CREATE TABLE document_counts (
    kind           TEXT NOT NULL,
    status         TEXT NOT NULL,
    year           INTEGER NOT NULL,
    classification TEXT NOT NULL,
    n              INTEGER NOT NULL,
    PRIMARY KEY (kind, status, year, classification)
) WITHOUT ROWID;
INSERT INTO document_counts(kind, status, year, classification, n)
    SELECT kind, status, coalesce(year, 0), classification, count(*) FROM documents
    GROUP BY kind, status, coalesce(year, 0), classification;
CREATE TRIGGER documents_count_insert AFTER INSERT ON documents BEGIN
    INSERT INTO document_counts(kind, status, year, classification, n)
    VALUES (new.kind, new.status, coalesce(new.year, 0), new.classification, 1)
    ON CONFLICT (kind, status, year, classification) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER documents_count_delete AFTER DELETE ON documents BEGIN
    UPDATE document_counts SET n = n - 1
    WHERE kind = old.kind AND status = old.status AND year = coalesce(old.year, 0)
      AND classification = old.classification;
END;
CREATE TRIGGER documents_count_update AFTER UPDATE OF kind, status, year, classification ON documents BEGIN
    UPDATE document_counts SET n = n - 1
    WHERE kind = old.kind AND status = old.status AND year = coalesce(old.year, 0)
      AND classification = old.classification;
    INSERT INTO document_counts(kind, status, year, classification, n)
    VALUES (new.kind, new.status, coalesce(new.year, 0), new.classification, 1)
    ON CONFLICT (kind, status, year, classification) DO UPDATE SET n = n + 1;
END;
"#,
    // 4: which log a cursor belongs to (server epoch, unit, clearance), so a cursor
    // that no longer means anything is noticed; and the last server restore seen.
    r#"
ALTER TABLE sync_state ADD COLUMN epoch TEXT;
ALTER TABLE sync_state ADD COLUMN cursor_unit TEXT;
ALTER TABLE sync_state ADD COLUMN cursor_clearance TEXT;
ALTER TABLE sync_state ADD COLUMN restored_at TEXT;
ALTER TABLE sync_state ADD COLUMN repushed INTEGER NOT NULL DEFAULT 0;
"#,
    // 5: Latin letters and digits found inside words (`026` in `2026`): the pieces of
    // each document's Latin words join the position-free character table (see
    // tokens.rs). Its rows are written anew from each document's latest version by
    // `fill_search_chars`, in the same transaction.
    r#"
INSERT INTO search_chars(search_chars) VALUES ('delete-all');
"#,
    // 6: each unit's handling of a document (its 发文 or 收文 flow: the step it stands
    // at, its participants and the whole trail), as the server last sent it. The JSON
    // is the record; the columns are for the boxes (待办, 在办, 办结).
    r#"
CREATE TABLE handlings (
    document_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    flow        TEXT NOT NULL,
    step        TEXT NOT NULL,
    step_kind   TEXT NOT NULL,
    finished    INTEGER NOT NULL,
    deadline    TEXT,
    content     TEXT NOT NULL,
    PRIMARY KEY (document_id, unit)
);
CREATE INDEX handlings_open ON handlings(finished, step_kind);
"#,
    // 7: versions that mean something. Autosave now writes the working copy, not a new
    // version; a numbered version (第N版) is made on 保存, 完成, a workflow step, a file
    // added, a restore, or after a pause in typing (see versions.rs), and records who
    // made it, at which step and why, and whether it was 签发ed or 分发ed.
    // Existing versions keep their numbers (a clerk may have noted 第12版 somewhere):
    // they were saved every few seconds by the earlier build, so their reason is
    // `autosaved` and their author is not known (NULL, shown as such). Only the marks
    // that can be told from what is stored are set: the latest version of a document
    // this unit dispatched is what was sent (it could not be edited after the 分发 was
    // queued, and the server's record was appended as the latest if it differed).
    r#"
ALTER TABLE versions ADD COLUMN reason TEXT NOT NULL DEFAULT 'autosaved';
ALTER TABLE versions ADD COLUMN author TEXT;        -- display name; 本机 with nobody logged in
ALTER TABLE versions ADD COLUMN step TEXT;          -- the workflow step it was made at (核稿, 签发 …)
ALTER TABLE versions ADD COLUMN restored_from INTEGER; -- the version a 恢复 brought back
ALTER TABLE versions ADD COLUMN dispatched_at TEXT; -- this version is what was 分发ed (server time)
ALTER TABLE versions ADD COLUMN signed_off_at TEXT; -- this version was 签发ed …
ALTER TABLE versions ADD COLUMN signed_off_by TEXT; -- … by this person

UPDATE versions SET reason = 'received'
WHERE version = 1 AND doc_rowid IN (
    SELECT d.doc_rowid FROM documents d JOIN exchanged e ON e.document_id = d.id
    WHERE e.direction = 'received');
UPDATE versions SET dispatched_at = (
    SELECT coalesce(
        (SELECT e.at FROM exchanged e WHERE e.document_id = d.id AND e.direction = 'sent'),
        (SELECT max(o.decided_at) FROM outbox o
         WHERE o.document_id = d.id AND o.kind = 'dispatch' AND o.state = 'accepted'))
    FROM documents d WHERE d.doc_rowid = versions.doc_rowid AND d.version = versions.version)
WHERE EXISTS (SELECT 1 FROM documents d WHERE d.doc_rowid = versions.doc_rowid AND d.version = versions.version);

-- What autosave last wrote since the latest numbered version: at most one row per
-- document, its text what the document shows, lists and is found by. It becomes a
-- numbered version (and the row goes) when one is made; it goes without one only
-- when the text is back to the latest version's.
CREATE TABLE working_copies (
    doc_rowid  INTEGER PRIMARY KEY REFERENCES documents(doc_rowid),
    content    TEXT NOT NULL,      -- the Document as JSON
    char_count INTEGER NOT NULL,
    author     TEXT NOT NULL,      -- who typed it (the last autosave's)
    started_at TEXT NOT NULL,      -- the first autosave since the latest version
    saved_at   TEXT NOT NULL       -- the last autosave
);
"#,
    // 8: a pending command another account queued can be confirmed (确认发送) by the
    // account logged in now, which then sends it under its own name; the row keeps
    // whose it was ('' for no known account) and when it was taken.
    r#"
ALTER TABLE outbox ADD COLUMN confirmed_from TEXT;
ALTER TABLE outbox ADD COLUMN confirmed_at TEXT;
"#,
    // 9: 归档. A filed document's record (档号, 保管期限, the package's digests) and
    // every change of its 保管期限. A filed document is frozen in storage, not only in
    // the code that writes it: triggers refuse a new version, an autosave, a status
    // other than archived, its deletion, and any change to its filing record except
    // extending the 保管期限 (rank: D < D10 < D30 < C < Y). The messages start with
    // `filed:` so the store can name the 档号 (see `archive.rs`).
    r#"
CREATE TABLE filings (
    document_id    TEXT PRIMARY KEY,
    archival_code  TEXT NOT NULL UNIQUE,
    class_key      TEXT NOT NULL, -- 全宗-门类·年度-期限(-机构): where the 件号 counts
    item_number    INTEGER NOT NULL,
    year           INTEGER NOT NULL,
    retention      TEXT NOT NULL, -- the current 保管期限 (the 档号 keeps the filed one)
    org_code       TEXT,
    title          TEXT NOT NULL,
    package_path   TEXT NOT NULL, -- the package XML, relative to the batch folder
    package_sha256 TEXT NOT NULL,
    package_sm3    TEXT NOT NULL,
    filed_at       TEXT NOT NULL,
    filed_by       TEXT NOT NULL,
    UNIQUE (class_key, item_number)
);
CREATE TABLE retention_changes (
    document_id   TEXT NOT NULL REFERENCES filings(document_id),
    archival_code TEXT NOT NULL,
    old_retention TEXT NOT NULL,
    new_retention TEXT NOT NULL,
    changed_at    TEXT NOT NULL,
    changed_by    TEXT NOT NULL,
    reason        TEXT NOT NULL
);
CREATE TRIGGER filings_kept BEFORE DELETE ON filings
BEGIN SELECT RAISE(ABORT, 'filed: a filing record is never deleted'); END;
CREATE TRIGGER filings_frozen BEFORE UPDATE ON filings
WHEN NEW.document_id IS NOT OLD.document_id OR NEW.archival_code IS NOT OLD.archival_code
  OR NEW.class_key IS NOT OLD.class_key OR NEW.item_number IS NOT OLD.item_number
  OR NEW.year IS NOT OLD.year OR NEW.org_code IS NOT OLD.org_code OR NEW.title IS NOT OLD.title
  OR NEW.package_path IS NOT OLD.package_path OR NEW.package_sha256 IS NOT OLD.package_sha256
  OR NEW.package_sm3 IS NOT OLD.package_sm3 OR NEW.filed_at IS NOT OLD.filed_at
  OR NEW.filed_by IS NOT OLD.filed_by
  OR (CASE NEW.retention WHEN 'D' THEN 1 WHEN 'D10' THEN 2 WHEN 'D30' THEN 3 WHEN 'C' THEN 4 WHEN 'Y' THEN 5 ELSE 0 END)
     <= (CASE OLD.retention WHEN 'D' THEN 1 WHEN 'D10' THEN 2 WHEN 'D30' THEN 3 WHEN 'C' THEN 4 WHEN 'Y' THEN 5 ELSE 0 END)
BEGIN SELECT RAISE(ABORT, 'filed: a filing record is frozen; only its retention may be extended'); END;
CREATE TRIGGER retention_changes_kept BEFORE DELETE ON retention_changes
BEGIN SELECT RAISE(ABORT, 'filed: a retention change is never deleted'); END;
CREATE TRIGGER retention_changes_frozen BEFORE UPDATE ON retention_changes
BEGIN SELECT RAISE(ABORT, 'filed: a retention change is never changed'); END;
CREATE TRIGGER filed_documents_kept BEFORE DELETE ON documents
WHEN EXISTS (SELECT 1 FROM filings WHERE document_id = OLD.id)
BEGIN SELECT RAISE(ABORT, 'filed: a filed document is never deleted'); END;
CREATE TRIGGER filed_documents_stay_archived BEFORE UPDATE ON documents
WHEN EXISTS (SELECT 1 FROM filings WHERE document_id = OLD.id)
  AND (NEW.status IS NOT 'archived' OR NEW.version IS NOT OLD.version OR NEW.id IS NOT OLD.id)
BEGIN SELECT RAISE(ABORT, 'filed: a filed document cannot change'); END;
CREATE TRIGGER filed_documents_no_versions BEFORE INSERT ON versions
WHEN EXISTS (SELECT 1 FROM filings f JOIN documents d ON d.id = f.document_id WHERE d.doc_rowid = NEW.doc_rowid)
BEGIN SELECT RAISE(ABORT, 'filed: a filed document gets no new version'); END;
CREATE TRIGGER filed_documents_no_working_copy BEFORE INSERT ON working_copies
WHEN EXISTS (SELECT 1 FROM filings f JOIN documents d ON d.id = f.document_id WHERE d.doc_rowid = NEW.doc_rowid)
BEGIN SELECT RAISE(ABORT, 'filed: a filed document cannot be edited'); END;
"#,
    // 10: 已读: which received documents each user has opened, for the 收文箱's count of
    // unread arrivals and its bold rows. Per user (an account's key: server and
    // username), since several accounts may share one computer.
    r#"
CREATE TABLE read_marks (
    document_id TEXT NOT NULL,
    reader      TEXT NOT NULL,
    read_at     TEXT NOT NULL,
    PRIMARY KEY (document_id, reader)
) WITHOUT ROWID;
"#,
    // 11: 回收站. A draft that never left the desk may be thrown away (see trash.rs):
    // its row stays, marked with when and by whom, and it leaves the search index and
    // the counts behind a list's total; restored, it comes back as it was. After 30
    // days it is purged. The count triggers now count only documents not in the 回收站.
    r#"
ALTER TABLE documents ADD COLUMN trashed_at TEXT; -- RFC 3339, UTC; NULL: not in the 回收站
ALTER TABLE documents ADD COLUMN trashed_by TEXT; -- display name; 本机 with nobody logged in
CREATE INDEX documents_trashed ON documents(trashed_at) WHERE trashed_at IS NOT NULL;
DROP TRIGGER documents_count_insert;
DROP TRIGGER documents_count_delete;
DROP TRIGGER documents_count_update;
CREATE TRIGGER documents_count_insert AFTER INSERT ON documents WHEN new.trashed_at IS NULL BEGIN
    INSERT INTO document_counts(kind, status, year, classification, n)
    VALUES (new.kind, new.status, coalesce(new.year, 0), new.classification, 1)
    ON CONFLICT (kind, status, year, classification) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER documents_count_delete AFTER DELETE ON documents WHEN old.trashed_at IS NULL BEGIN
    UPDATE document_counts SET n = n - 1
    WHERE kind = old.kind AND status = old.status AND year = coalesce(old.year, 0)
      AND classification = old.classification;
END;
CREATE TRIGGER documents_count_update
AFTER UPDATE OF kind, status, year, classification, trashed_at ON documents BEGIN
    UPDATE document_counts SET n = n - 1
    WHERE old.trashed_at IS NULL AND kind = old.kind AND status = old.status
      AND year = coalesce(old.year, 0) AND classification = old.classification;
    INSERT INTO document_counts(kind, status, year, classification, n)
    SELECT new.kind, new.status, coalesce(new.year, 0), new.classification, 1
    WHERE new.trashed_at IS NULL
    ON CONFLICT (kind, status, year, classification) DO UPDATE SET n = n + 1;
END;
"#,
    // 12: which desktop notifications each account was given (a 退回, a due 待办 in a
    // state), so a restart of the app does not give them again. Per account (server and
    // username), since several accounts may share one computer.
    r#"
CREATE TABLE notified (
    account TEXT NOT NULL,
    kind    TEXT NOT NULL, -- returned | due
    key     TEXT NOT NULL, -- what was told: the document and its 退回 time, or its due state
    at      TEXT NOT NULL,
    PRIMARY KEY (account, kind, key)
) WITHOUT ROWID;
"#,
    // 13: 移交. Each transfer of a filed batch to an archive as the exchange's log last
    // brought it (JSON of `gongwen_core::transfer::Transfer`): what was sent, the
    // receiving server's check, 接收/退回: the 移交与接收登记表 this side keeps.
    r#"
CREATE TABLE transfers (
    id         TEXT PRIMARY KEY,
    from_unit  TEXT NOT NULL,
    to_unit    TEXT NOT NULL,
    status     TEXT NOT NULL,
    sent_at    TEXT NOT NULL,
    body       TEXT NOT NULL
) WITHOUT ROWID;
"#,
];

/// Each search table's FTS5 `automerge` and `crisismerge` settings, as the migrations
/// set them (FTS5's defaults are 4 and 16). [`crate::Store::import`] changes them while
/// it writes its batch (see [`IMPORT_CRISISMERGE`]) and restores these values before it
/// commits.
pub(crate) const MERGE_SETTINGS: [(&str, i64, i64); 3] = [
    ("search_head", 4, 16),
    ("search_all", 16, 64),
    ("search_chars", 16, 64),
];

/// `crisismerge` during an import, which turns `automerge` off: a level is merged in
/// one go once it holds this many segments (one segment per import). Bounds how many
/// segments a search reads: with 64, a rare phrase of common bigrams (`全市财政`) on
/// 100,000 documents took 18.7 ms in FTS5 alone, 10.8 ms once merged.
pub(crate) const IMPORT_CRISISMERGE: i64 = 16;

/// `crisismerge` while a page of the change log is applied (merging otherwise off; the
/// sync loop's [`crate::Store::maintain`] merges at idle time). Not the import's 16:
/// an import leaves up to 15 segments on a level, and the next page's one segment then
/// set off a crisis merge of that whole level inside the sync: 643 ms and 61 MB written
/// for ten documents on a 100,000-document store. At 64 a level of small segments
/// would need 50-odd rounds without upkeep to get there.
pub(crate) const SYNC_CRISISMERGE: i64 = 64;

/// The WAL size (in pages of 16 KiB: 64 MiB) at which a commit checkpoints by itself.
/// SQLite's default, 1,000 pages, made the commit that crossed 16 MiB copy the whole
/// WAL into the database and fsync it: ~850 ms inside one sync round of ten documents
/// on a 2.4 GB store. Checkpoints are meant to happen at idle time instead
/// ([`crate::Store::maintain`]); this only bounds the WAL when nobody calls it (a long
/// import, a one-shot CLI sync).
pub(crate) const WAL_AUTOCHECKPOINT_PAGES: i64 = 4096;

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

fn migrations() -> Migrations<'static> {
    Migrations::new(
        MIGRATIONS
            .iter()
            .enumerate()
            .map(|(i, sql)| match i + 1 {
                5 => M::up_with_hook(sql, fill_search_chars),
                _ => M::up(sql),
            })
            .collect(),
    )
}

/// Migration 5's second half: indexes every stored document's latest version in the
/// character table again, now with its Latin pieces, in sort-key order (FTS5 then
/// keeps the postings in memory and writes few segments). Tokenising needs Rust, hence
/// a hook instead of SQL; it runs inside the migration's transaction, so a store is
/// upgraded wholly or not at all. A version whose JSON cannot be read is indexed by
/// its header fields only (the columns of `documents`); [`crate::Store::verify`]
/// reports it.
fn fill_search_chars(tx: &rusqlite::Transaction<'_>) -> rusqlite_migration::HookResult {
    let mut read = tx.prepare(
        "SELECT d.sort_key, d.title, d.doc_number, d.issuers, d.recipients, v.content
         FROM documents d JOIN versions v ON v.doc_rowid = d.doc_rowid AND v.version = d.version
         ORDER BY d.sort_key",
    )?;
    let mut write = tx.prepare("INSERT INTO search_chars(rowid, chars) VALUES (?1, ?2)")?;
    let mut rows = read.query([])?;
    while let Some(r) = rows.next()? {
        let sort_key: i64 = r.get(0)?;
        let head: [String; 4] = [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?];
        let content: String = r.get(5)?;
        let head_text = head.join("\n");
        let all = match crate::store::parse_document(&content) {
            Ok(doc) => crate::store::all_text(&doc, &head[2], &head[3]),
            Err(e) => {
                tracing::warn!("document at {sort_key}: indexing its header only: {e}");
                head_text.clone()
            }
        };
        write.execute(rusqlite::params![
            sort_key,
            crate::tokens::position_free_tokens(&all, &head_text)
        ])?;
    }
    Ok(())
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Databases up to this size get the full check on every open (it takes about 30 ms
/// at this size); a larger one only after an unclean shutdown (see [`open_checked`]).
pub(crate) const FULL_CHECK_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Prefix of the session markers next to the database: `gongwen.db.open-<pid>-<n>`.
const MARKER_INFIX: &str = ".open-";

/// An open database and the marker file that says a session is using it.
pub(crate) struct Opened {
    pub conn: Connection,
    pub marker: PathBuf,
}

/// Opens `path`, refusing a file from a newer schema (untouched) or a damaged one
/// (moved aside), then brings the schema up to date.
///
/// The check before use, cheap unless there is reason to doubt the file:
/// * always: the 16-byte SQLite header, `user_version` (newer schema: refused), the
///   schema parsed and the first page of every table read (a damaged page 1 or table
///   root is found here);
/// * `PRAGMA quick_check` of every ordinary table and index (see [`quick_check`]) only
///   when the file is at most [`FULL_CHECK_MAX_BYTES`], or is not a whole number of
///   pages, or a WAL was left behind, or a session marker (`gongwen.db.open-…`) is
///   there: each [`crate::Store`] creates one on open and removes it on drop, unless it
///   met a damaged page (`SQLITE_CORRUPT`, reported as [`StoreError::Damaged`]) while
///   running. A crash, a kill or a damaged page therefore leads to the full check on
///   the next open; a clean close does not, so a 1 GB store opens in milliseconds
///   instead of half a second. WAL mode with `synchronous=FULL` already keeps the file
///   consistent across crashes; the check is for the disk and for bugs.
///
/// A full check that passes removes every marker (the file was just verified). With
/// two sessions open at once, the second one's check therefore also clears the first
/// one's marker: should the first then crash, its crash goes unchecked.
pub(crate) fn open_checked(path: &Path) -> Result<Opened, StoreError> {
    if let Some(reason) = not_sqlite(path)? {
        return Err(move_aside(path, reason));
    }
    let doubt = reason_for_full_check(path)?;
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
        let problem = match structure_check(&conn)? {
            Some(reason) => Some(reason),
            None => match &doubt {
                Some(why) => {
                    tracing::info!("checking {} ({why})", path.display());
                    let problem = quick_check(&conn)?;
                    if problem.is_none() {
                        remove_markers(path);
                    }
                    problem
                }
                None => None,
            },
        };
        if let Some(reason) = problem {
            drop(conn);
            let err = move_aside(path, reason);
            // The markers were about the file that is now set aside.
            remove_markers(path);
            return Err(err);
        }
    } else {
        remove_markers(path);
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
    conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
    migrations().to_latest(&mut conn)?;
    let marker = create_marker(path)?;
    Ok(Opened { conn, marker })
}

/// Why the full check must run on this open (`None`: the cheap checks suffice).
fn reason_for_full_check(path: &Path) -> Result<Option<String>, StoreError> {
    let read_err = |source| StoreError::Read {
        path: path.to_path_buf(),
        source,
    };
    let len = match fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_err(e)),
    };
    if len <= FULL_CHECK_MAX_BYTES {
        return Ok(Some("small database".into()));
    }
    if let Some(marker) = markers(path).first() {
        return Ok(Some(format!(
            "the previous session did not close cleanly ({} is there)",
            marker.display()
        )));
    }
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    if fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        // SQLite removes the WAL when the last connection closes cleanly.
        return Ok(Some("a write-ahead log was left behind".into()));
    }
    // Bytes 16..18 of the header: the page size (1 means 65536).
    let mut header = [0u8; 18];
    {
        use std::io::Read;
        fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut header))
            .map_err(read_err)?;
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536,
        n => u64::from(n),
    };
    if page_size < 512 || !page_size.is_power_of_two() || len % page_size != 0 {
        return Ok(Some(format!(
            "{len} bytes is not a whole number of {page_size}-byte pages"
        )));
    }
    Ok(None)
}

/// `Some(reason)` when the schema cannot be read or a table's first page is damaged.
/// Reads a few pages: cheap enough for every open.
fn structure_check(conn: &Connection) -> Result<Option<String>, StoreError> {
    let result = (|| -> rusqlite::Result<()> {
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for table in tables {
            let sql = format!("SELECT 1 FROM \"{}\" LIMIT 1", table.replace('"', "\"\""));
            conn.prepare(&sql)?.exists([])?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(None),
        Err(e) if is_corruption(&e) => Ok(Some(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// The session markers of the database at `path`, sorted.
fn markers(path: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Vec::new();
    };
    let prefix = format!("{}{MARKER_INFIX}", name.to_string_lossy());
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn remove_markers(path: &Path) {
    for marker in markers(path) {
        if let Err(e) = fs::remove_file(&marker) {
            tracing::warn!("could not remove {}: {e}", marker.display());
        }
    }
}

/// Creates this session's marker, durably: if it were lost in a power cut, the next
/// open would skip the check it exists to ask for.
fn create_marker(path: &Path) -> Result<PathBuf, StoreError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SESSION: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "gongwen.db".to_string());
    let marker = path.with_file_name(format!(
        "{name}{MARKER_INFIX}{}-{}",
        std::process::id(),
        SESSION.fetch_add(1, Ordering::Relaxed)
    ));
    let write_err = |source| StoreError::Write {
        path: marker.clone(),
        source,
    };
    fs::File::create(&marker)
        .and_then(|f| f.sync_all())
        .map_err(write_err)?;
    if let Some(dir) = marker.parent() {
        // Directories cannot be opened for syncing on every platform; best effort.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(marker)
}

/// Ends a session: its marker goes unless the session met a damaged page, in which
/// case the next open runs the full check.
pub(crate) fn close_session(marker: &Path, damaged: bool) {
    if damaged {
        tracing::warn!(
            "database damage seen; keeping {} so that the next open checks the file",
            marker.display()
        );
    } else if let Err(e) = fs::remove_file(marker) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!("could not remove {}: {e}", marker.display());
        }
    }
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

/// `Some(reason)` when `PRAGMA quick_check` finds damage (the full check; see
/// [`open_checked`] for when it runs). Checked table by table over
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
