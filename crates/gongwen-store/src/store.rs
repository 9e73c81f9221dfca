//! [`Store`]: documents, versions and attachments in one folder.

use std::collections::HashSet;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use gongwen_core::revision::VersionReason;
use gongwen_core::{parse_date, DocStatus, Document, DocumentId};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use sha2::{Digest, Sha256};

use crate::access;
use crate::editable::{self, NoDispatch, ReadOnly};
use crate::model::*;
use crate::schema;
use crate::search;
use crate::tokens;
use crate::versions::{self, VersionMeta};
use crate::StoreError;

/// File name of the database inside a store folder.
pub const DB_FILE: &str = "gongwen.db";
/// Folder of attachment files inside a store folder.
pub const ATTACHMENTS_DIR: &str = "attachments";

/// The local cache: `DIR/gongwen.db` and `DIR/attachments/<sha256>`.
///
/// One `Store` is one connection; it is `Send` but not `Sync` (wrap it in a `Mutex` to
/// share it). Several processes may open the same folder: SQLite's locking orders their
/// writes, and a writer that waits more than 5 s gets [`StoreError::Busy`].
pub struct Store {
    pub(crate) conn: Connection,
    dir: PathBuf,
    /// This session's marker next to the database (see `schema::open_checked`).
    marker: PathBuf,
    /// [`crate::error::DAMAGE_SEEN`] when this store was opened.
    damage_at_open: u64,
}

/// Locks a store shared behind a mutex (the app and its sync loop, the CLI). The one
/// policy for a poisoned lock, wherever a store is shared: use it as it is. A thread
/// that panicked while holding the store cannot have left the database half-written
/// (every write is a transaction, rolled back when dropped unfinished), so the store
/// is as sound as after any refused write, and refusing it would only take the app
/// down with the thread.
pub fn lock(shared: &std::sync::Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Drop for Store {
    fn drop(&mut self) {
        let damaged = crate::error::DAMAGE_SEEN.load(std::sync::atomic::Ordering::SeqCst)
            > self.damage_at_open;
        schema::close_session(&self.marker, damaged);
    }
}

/// Pages (16 KiB) of search-index merging per table that one [`Store::maintain`] call
/// may write.
pub(crate) const MAINTAIN_MERGE_PAGES: i64 = 256;

pub(crate) const SUMMARY_COLUMNS: &str =
    "id, kind, status, urgency, classification, title, doc_number, issuer, date_of_issue, year, updated_at";

/// Columns derived from a document, written with each version.
struct Derived {
    kind: &'static str,
    urgency: &'static str,
    classification: &'static str,
    issuer: String,
    issuers: String,
    recipients: String,
    year: Option<u16>,
    day: i64,
}

impl Derived {
    fn of(doc: &Document, now: &chrono::DateTime<chrono::Utc>) -> Derived {
        let issuer = doc
            .issuer_signature
            .iter()
            .chain(&doc.issuer_mark)
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .unwrap_or("")
            .to_string();
        let join = |lists: &[&Vec<String>]| {
            lists
                .iter()
                .flat_map(|l| l.iter())
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("、")
        };
        Derived {
            kind: doc.kind.as_str(),
            urgency: doc.urgency.as_str(),
            classification: doc.classification.as_str(),
            issuer,
            issuers: join(&[&doc.issuer_signature, &doc.issuer_mark]),
            recipients: join(&[&doc.main_recipients, &doc.cc_recipients]),
            year: doc.year(),
            day: day_of(doc, now),
        }
    }

    fn sort_key(&self, doc_rowid: i64) -> i64 {
        sort_key(self.day, doc_rowid)
    }
}

/// The day of the 成文日期 (days since 0001-01-01), or of `now` when undated.
fn day_of(doc: &Document, now: &chrono::DateTime<chrono::Utc>) -> i64 {
    use chrono::Datelike;
    let day = parse_date(&doc.date_of_issue)
        .ok()
        .and_then(|d| chrono::NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()))
        .unwrap_or_else(|| now.date_naive());
    i64::from(day.num_days_from_ce())
}

/// The list order and search rowid of a document: its day, then its row.
fn sort_key(day: i64, doc_rowid: i64) -> i64 {
    (day << 32) | (doc_rowid & 0xFFFF_FFFF)
}

/// A stored name read back (`gongwen_core`'s names); an unknown one is a bad record.
pub(crate) fn enum_parse<T: std::str::FromStr<Err = gongwen_core::UnknownName>>(
    text: &str,
) -> Result<T, StoreError> {
    text.parse()
        .map_err(|e: gongwen_core::UnknownName| StoreError::BadRecord(e.to_string()))
}

pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

pub(crate) fn rfc3339(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn parse_id(text: &str) -> Result<DocumentId, StoreError> {
    text.parse()
        .map_err(|_| StoreError::BadRecord(format!("bad document id {text:?}")))
}

pub(crate) fn parse_document(json: &str) -> Result<Document, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::BadRecord(e.to_string()))
}

pub(crate) fn summary_from_row(row: &rusqlite::Row<'_>) -> Result<DocumentSummary, StoreError> {
    let id: String = row.get(0)?;
    let kind: String = row.get(1)?;
    let status: String = row.get(2)?;
    let urgency: String = row.get(3)?;
    let classification: String = row.get(4)?;
    Ok(DocumentSummary {
        id: parse_id(&id)?,
        kind: enum_parse(&kind)?,
        status: enum_parse(&status)?,
        urgency: enum_parse(&urgency)?,
        classification: enum_parse(&classification)?,
        title: row.get(5)?,
        doc_number: row.get(6)?,
        issuer: row.get(7)?,
        date_of_issue: row.get(8)?,
        year: row.get(9)?,
        updated_at: row.get(10)?,
    })
}

/// The document row of an id, as stored.
pub(crate) struct Head {
    pub(crate) doc_rowid: i64,
    pub(crate) status: DocStatus,
    pub(crate) version: u32,
    pub(crate) sort_key: i64,
}

impl Store {
    /// Opens the store in `dir`, creating the folder and database if missing and
    /// migrating an older schema forward. A database from a newer schema is refused
    /// untouched; a damaged one is moved aside (see [`StoreError::Corrupt`]).
    ///
    /// Drafts kept in the 回收站 longer than [`crate::TRASH_KEPT_DAYS`] are purged here.
    ///
    /// The full integrity check runs only for a small database or after a session
    /// that did not close cleanly or met a damaged page; otherwise the open reads a few
    /// pages (see `schema::open_checked`). The session leaves a marker file
    /// (`gongwen.db.open-…`) beside the database until it is dropped.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let attachments = dir.join(ATTACHMENTS_DIR);
        fs::create_dir_all(&attachments).map_err(|source| StoreError::Write {
            path: attachments.clone(),
            source,
        })?;
        for folder in [dir, attachments.as_path()] {
            keep_private(folder)?;
        }
        let damage_at_open = crate::error::DAMAGE_SEEN.load(std::sync::atomic::Ordering::SeqCst);
        let opened = schema::open_checked(&dir.join(DB_FILE))?;
        let mut store = Store {
            conn: opened.conn,
            dir: dir.to_path_buf(),
            marker: opened.marker,
            damage_at_open,
        };
        // The 回收站's 30 days end here (trash.rs): at each open, not in a timer, so the
        // CLI and the app keep the same rule. A failure only delays the purge.
        if let Err(e) = store.purge_expired_trash(now()) {
            tracing::warn!(error = %e, "cannot purge the trash now; trying at the next open");
        }
        Ok(store)
    }

    /// The folder this store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores a new document as version 1 under a new id.
    pub fn create_document(
        &mut self,
        doc: &Document,
        status: DocStatus,
    ) -> Result<StoredDocument, StoreError> {
        if doc.classification > self.clearance()? {
            return Err(self.above_clearance(doc.classification)?);
        }
        let id = DocumentId(uuid::Uuid::new_v4());
        let meta = VersionMeta::new(VersionReason::Created, self.author_name()?);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let doc_rowid = next_rowid(&tx)?;
        let stored = insert_new(&tx, doc_rowid, id, doc, status, &now(), &meta)?;
        tx.commit()?;
        Ok(stored)
    }

    /// 保存: saves `doc` as the next numbered version of `id`, by the logged-in user
    /// (see [`Store::author_name`]). Saving the same content as the latest version
    /// changes nothing and returns it. Earlier versions are never overwritten.
    /// Only a document the logged-in account may see, and not raised above its
    /// clearance (see [`Store::clearance`]), and only while it may be edited
    /// ([`StoreError::ReadOnly`] otherwise; see [`Store::read_only`]).
    /// Autosave is [`Store::autosave`], which makes no version.
    pub fn save_draft(
        &mut self,
        id: DocumentId,
        doc: &Document,
    ) -> Result<StoredDocument, StoreError> {
        self.save_version(id, doc, VersionReason::Saved)
    }

    /// As [`Store::save_draft`], for an edit made on version `base` (see
    /// [`check_base`]): if the document moved on since (another window, a sync, a
    /// restore), the save is refused with [`StoreError::Conflict`] and nothing is
    /// written, so the newer text is not replaced unseen.
    pub fn save_draft_on(
        &mut self,
        id: DocumentId,
        base: u32,
        doc: &Document,
    ) -> Result<StoredDocument, StoreError> {
        self.save(id, Some(base), doc, VersionReason::Saved)
    }

    /// [`Store::save_draft`] with the reason the version is made for (保存, 完成编辑).
    pub fn save_version(
        &mut self,
        id: DocumentId,
        doc: &Document,
        reason: VersionReason,
    ) -> Result<StoredDocument, StoreError> {
        self.save(id, None, doc, reason)
    }

    /// [`Store::save_version`] for an edit made on version `base`, refused as
    /// [`Store::save_draft_on`] is.
    pub fn save_version_on(
        &mut self,
        id: DocumentId,
        base: u32,
        doc: &Document,
        reason: VersionReason,
    ) -> Result<StoredDocument, StoreError> {
        self.save(id, Some(base), doc, reason)
    }

    fn save(
        &mut self,
        id: DocumentId,
        base: Option<u32>,
        doc: &Document,
        reason: VersionReason,
    ) -> Result<StoredDocument, StoreError> {
        self.check_visible(id)?;
        if doc.classification > self.clearance()? {
            return Err(self.above_clearance(doc.classification)?);
        }
        let meta = VersionMeta::new(reason, self.author_name()?);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let h = head(&tx, id)?.ok_or(StoreError::NotFound(id))?;
        editable::check_editable(&tx, id, h.status)?;
        check_base(&tx, id, &h, base, doc)?;
        let stored = append_version(&tx, id, doc, &now(), &meta)?;
        tx.commit()?;
        Ok(stored)
    }

    /// Why the logged-in account cannot edit this document (save it or add files), or
    /// `None` when it can; `NotFound` if it may not see it. The rule is in `editable`;
    /// every edit checks it again in its own transaction.
    pub fn read_only(&self, id: DocumentId) -> Result<Option<ReadOnly>, StoreError> {
        self.check_visible(id)?;
        let status: String = self
            .conn
            .prepare_cached("SELECT status FROM documents WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NotFound(id))?;
        editable::read_only(&self.conn, id, enum_parse(&status)?)
    }

    /// Why the logged-in account cannot 分发 this document now, or `None` when it can
    /// (its content aside: validation and recipients are checked when it is queued);
    /// `NotFound` if it may not see it. The rule is in `editable`; queuing a 分发
    /// checks it again in its own transaction.
    pub fn no_dispatch(&self, id: DocumentId) -> Result<Option<NoDispatch>, StoreError> {
        self.check_visible(id)?;
        let status: String = self
            .conn
            .prepare_cached("SELECT status FROM documents WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NotFound(id))?;
        editable::no_dispatch(&self.conn, id, enum_parse(&status)?)
    }

    /// Changes where a document stands (e.g. 草稿 → 已签发). Not a new version: the
    /// content is unchanged. An archived document stays archived, and a status only
    /// moves forward ([`StoreError::StatusMove`] otherwise; the allowed moves are
    /// listed at `editable::status_moves`): what was 签发ed or 分发ed is never a 草稿
    /// again.
    pub fn set_status(
        &mut self,
        id: DocumentId,
        status: DocStatus,
    ) -> Result<StoredDocument, StoreError> {
        self.check_visible(id)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head = head(&tx, id)?.ok_or(StoreError::NotFound(id))?;
        if let Some(archival_code) = crate::archive::filed_code(&tx, id)? {
            if status != DocStatus::Archived {
                return Err(StoreError::Filed { id, archival_code });
            }
        }
        if head.status == DocStatus::Archived && status != DocStatus::Archived {
            return Err(StoreError::Archived { id });
        }
        if !editable::status_moves(head.status, status) {
            return Err(StoreError::StatusMove {
                id,
                from: head.status,
                to: status,
            });
        }
        tx.execute(
            "UPDATE documents SET status = ?1, updated_at = ?2 WHERE doc_rowid = ?3",
            params![status.as_str(), rfc3339(&now()), head.doc_rowid],
        )?;
        tx.commit()?;
        self.get(id)?.ok_or(StoreError::NotFound(id))
    }

    /// The latest version of a document, or `None` if there is no such id or the
    /// logged-in account may not see it.
    pub fn get(&self, id: DocumentId) -> Result<Option<StoredDocument>, StoreError> {
        let visible = format!(
            "{} AND d.trashed_at IS NULL",
            access::visible("d.classification", self.clearance()?)
        );
        let row = self
            .conn
            .prepare_cached(&format!(
                "SELECT d.status, d.version, d.created_at, d.updated_at, coalesce(w.content, v.content),
                        w.saved_at
                 FROM documents d JOIN versions v ON v.doc_rowid = d.doc_rowid AND v.version = d.version
                 LEFT JOIN working_copies w ON w.doc_rowid = d.doc_rowid
                 WHERE d.id = ?1 AND {visible}"
            ))?
            .query_row([id.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .optional()?;
        let Some((status, version, created_at, updated_at, content, working_copy_at)) = row else {
            return Ok(None);
        };
        Ok(Some(StoredDocument {
            id,
            status: enum_parse(&status)?,
            version,
            working_copy_at,
            created_at,
            updated_at,
            document: parse_document(&content)?,
        }))
    }

    /// Every numbered version of a document, oldest first, with who made it, when, at
    /// which step and why, and its 签发/分发 marks (empty if there is no such id, or the
    /// logged-in account may not see it).
    pub fn versions(&self, id: DocumentId) -> Result<Vec<VersionInfo>, StoreError> {
        let visible = format!(
            "{} AND d.trashed_at IS NULL",
            access::visible("d.classification", self.clearance()?)
        );
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {} FROM versions v
             JOIN documents d ON d.doc_rowid = v.doc_rowid WHERE d.id = ?1 AND {visible}
             ORDER BY v.version",
            versions::INFO_COLUMNS
        ))?;
        let mut rows = stmt.query([id.to_string()])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(versions::info_from_row(r)?);
        }
        Ok(out)
    }

    /// One saved version of a document, or `None` if it does not exist or the
    /// logged-in account may not see it: neither the document as it is now, nor that
    /// version's own 密级 (an earlier version may have been classified higher).
    pub fn version(&self, id: DocumentId, version: u32) -> Result<Option<Document>, StoreError> {
        let clearance = self.clearance()?;
        let visible = format!(
            "{} AND d.trashed_at IS NULL",
            access::visible("d.classification", clearance)
        );
        let content: Option<String> = self
            .conn
            .prepare_cached(&format!(
                "SELECT v.content FROM versions v JOIN documents d ON d.doc_rowid = v.doc_rowid
                 WHERE d.id = ?1 AND v.version = ?2 AND {visible}"
            ))?
            .query_row(params![id.to_string(), version], |r| r.get(0))
            .optional()?;
        Ok(content
            .as_deref()
            .map(parse_document)
            .transpose()?
            .filter(|doc| doc.classification <= clearance))
    }

    /// One page of documents matching a filter, by 成文日期 (see [`SortOrder`]).
    /// Only documents the logged-in account may see are listed and counted.
    pub fn list(&self, filter: &ListFilter) -> Result<Page<DocumentSummary>, StoreError> {
        let visible = access::visible("classification", self.clearance()?);
        let mut conditions = vec![visible.as_str()];
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(kind) = filter.kind {
            conditions.push("kind = ?");
            values.push(kind.as_str().to_string().into());
        }
        if let Some(status) = filter.status {
            conditions.push("status = ?");
            values.push(status.as_str().to_string().into());
        }
        if let Some(year) = filter.year {
            conditions.push("year = ?");
            values.push(i64::from(year).into());
        }
        let where_clause = format!("WHERE {}", conditions.join(" AND "));
        let total: i64 = self
            .conn
            .prepare_cached(&format!(
                "SELECT coalesce(sum(n), 0) FROM document_counts {where_clause}"
            ))?
            .query_row(rusqlite::params_from_iter(values.iter()), |r| r.get(0))?;

        let limit = filter.limit.min(1000);
        let order = match filter.sort {
            SortOrder::DateDesc => "DESC",
            SortOrder::DateAsc => "ASC",
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            // The 回收站 is not listed; the counts above do not count it (schema 11).
            "SELECT {SUMMARY_COLUMNS} FROM documents {where_clause} AND trashed_at IS NULL
             ORDER BY sort_key {order} LIMIT ? OFFSET ?"
        ))?;
        values.push(i64::from(limit).into());
        values.push(i64::from(filter.offset).into());
        let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
        let mut items = Vec::with_capacity(limit as usize);
        while let Some(row) = rows.next()? {
            items.push(summary_from_row(row)?);
        }
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    /// Idle-time upkeep, for after a sync round (the sync loop calls it) or any quiet
    /// moment: merges some search-index segments, then copies the write-ahead log into
    /// the database file. Bounded: at most `MAINTAIN_MERGE_PAGES` (256) pages of merging
    /// per search table per call (FTS5 `merge`, resumed where the previous call left
    /// off), then SQLite's `PASSIVE` checkpoint, which waits for no reader.
    ///
    /// Why this exists: both used to happen inside whichever commit crossed a threshold,
    /// so one round of ten received documents on a 100,000-document store took up to a
    /// second instead of ~10 ms (see `benches/apply.rs`). Writes now leave merging off
    /// (`begin_bulk_merging`) and checkpoints to this call; if it is never called,
    /// FTS5's crisis merge and `schema::WAL_AUTOCHECKPOINT_PAGES` still bound the
    /// segments and the WAL. Durability is unchanged: every commit is fsynced to the WAL
    /// before this runs (`synchronous=FULL`).
    pub fn maintain(&mut self) -> Result<CheckpointReport, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (table, _, _) in schema::MERGE_SETTINGS {
            // Positive: only when a level holds `usermerge` (4) segments or more, so a
            // store with nothing to merge pays a read of the structure record.
            tx.prepare_cached(&format!(
                "INSERT INTO {table}({table}, rank) VALUES ('merge', ?1)"
            ))?
            .execute([MAINTAIN_MERGE_PAGES])?;
        }
        tx.commit()?;
        self.checkpoint()
    }

    /// Copies committed pages from the write-ahead log into the database file, as far
    /// as no reader still needs them (SQLite's `PASSIVE` checkpoint: it waits for no
    /// one and blocks no reader). [`Store::maintain`] does this after merging.
    pub fn checkpoint(&mut self) -> Result<CheckpointReport, StoreError> {
        let (busy, log, done): (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        Ok(CheckpointReport {
            busy: busy != 0,
            wal_pages: u64::try_from(log).unwrap_or(0),
            copied_pages: u64::try_from(done).unwrap_or(0),
        })
    }

    /// Full-text search; see [`crate::search`] for how results are ranked. Only
    /// documents the logged-in account may see are found.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        search::search(&self.conn, query, limit, self.clearance()?)
    }

    /// Stores many new documents in one transaction: all or none. Returns their ids in
    /// input order. The full-text index is merged in whole levels while importing
    /// (see `schema::IMPORT_CRISISMERGE`), so every 16th import call also merges the
    /// segments the previous ones wrote and takes longer.
    pub fn import(
        &mut self,
        docs: &[(Document, DocStatus)],
    ) -> Result<Vec<DocumentId>, StoreError> {
        let mut import = self.begin_import()?;
        let ids = import.add_all(docs)?;
        import.commit()?;
        Ok(ids)
    }

    /// Starts an import that stores documents as they are read: one transaction, so all
    /// or none are kept, with memory bounded by [`IMPORT_CHUNK`] documents whatever the
    /// input's size. Nothing is kept unless [`Import::commit`] is called. The store's
    /// write lock is held until then.
    pub fn begin_import(&mut self) -> Result<Import<'_>, StoreError> {
        let meta = VersionMeta::new(VersionReason::Imported, self.author_name()?);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        begin_bulk_merging(&tx, schema::IMPORT_CRISISMERGE)?;
        Ok(Import {
            tx,
            pending: Vec::new(),
            t: now(),
            meta,
        })
    }

    /// Copies a file into the store (named by its SHA-256; identical content is kept
    /// once), lists it as an attachment of the document, and saves that as a new version.
    pub fn add_attachment_file(
        &mut self,
        id: DocumentId,
        name: &str,
        path: &Path,
    ) -> Result<StoredDocument, StoreError> {
        let staged = Store::stage_file(&self.attachments_dir(), path)?;
        self.add_staged_file(id, name, staged)
    }

    /// The slow half of `add_attachment_file`: copies the file into `attachments_dir`
    /// (`Store::attachments_dir`), hashing it on the way, and makes it durable. It
    /// needs no database, so a caller that shares the store behind a lock copies a large
    /// file without holding it. The file goes first and is durable before any row points
    /// at it: a crash before `add_staged_file` leaves an unreferenced file, never a
    /// reference to a missing one.
    pub fn stage_file(attachments_dir: &Path, path: &Path) -> Result<StagedFile, StoreError> {
        let (sha256, size) = copy_named_by_hash(attachments_dir, path)?;
        Ok(StagedFile {
            sha256,
            size,
            file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        })
    }

    /// The quick half of `add_attachment_file`: lists a staged file as an attachment
    /// named `name` and saves that as a new version, only while the document may be
    /// edited ([`StoreError::ReadOnly`] otherwise).
    pub fn add_staged_file(
        &mut self,
        id: DocumentId,
        name: &str,
        staged: StagedFile,
    ) -> Result<StoredDocument, StoreError> {
        let StagedFile {
            sha256,
            size,
            file_name,
        } = staged;
        self.check_visible(id)?;
        // Staged without the store: a 彻底删除 in between may have removed a file of the
        // same content as no longer listed (trash.rs). Listing a missing file is refused.
        let dir = self.attachments_dir();
        if !dir.join(&sha256).is_file() {
            return Err(StoreError::AttachmentMissing { sha256, dir });
        }
        let meta = VersionMeta::new(VersionReason::FileAdded, self.author_name()?);
        let t = now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: Option<String> = tx
            .prepare_cached(
                "SELECT coalesce(w.content, v.content) FROM versions v JOIN documents d
                 ON d.doc_rowid = v.doc_rowid AND v.version = d.version
                 LEFT JOIN working_copies w ON w.doc_rowid = d.doc_rowid WHERE d.id = ?1",
            )?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?;
        let mut doc = parse_document(&current.ok_or(StoreError::NotFound(id))?)?;
        let h = head(&tx, id)?.ok_or(StoreError::NotFound(id))?;
        editable::check_editable(&tx, id, h.status)?;
        doc.attachments.push(gongwen_core::Attachment {
            name: name.trim().to_string(),
            sha256: Some(sha256.clone()),
            file_name: file_name.clone(),
            size: Some(size),
        });
        tx.execute(
            "INSERT INTO attachment_files(sha256, size, stored_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (sha256) DO NOTHING",
            params![sha256, size as i64, rfc3339(&t)],
        )?;
        let stored = append_version(&tx, id, &doc, &t, &meta)?;
        tx.execute(
            "INSERT OR IGNORE INTO document_attachments(doc_rowid, version, sha256, name, file_name)
             SELECT doc_rowid, ?2, ?3, ?4, ?5 FROM documents WHERE id = ?1",
            params![id.to_string(), stored.version, sha256, name.trim(), file_name],
        )?;
        tx.commit()?;
        Ok(stored)
    }

    /// The attachment file `sha256` of a document, for 另存为: only when the logged-in
    /// account may see the document and its latest version lists that file (otherwise
    /// `NotFound`, as if the document were not here).
    pub fn attachment_of(&self, id: DocumentId, sha256: &str) -> Result<PathBuf, StoreError> {
        let stored = self.get(id)?.ok_or(StoreError::NotFound(id))?;
        let listed = stored.document.attachments.iter().any(|a| {
            a.sha256
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(sha256))
        });
        if !listed {
            return Err(StoreError::NotFound(id));
        }
        self.attachment_path(sha256)
    }

    /// Where the attachment file with this SHA-256 is. Only a hash is accepted, never
    /// a path, so no input can point outside the attachments folder. Not filtered by
    /// clearance (the sync uploads through it); a user's 另存为 goes through
    /// [`Store::attachment_of`].
    pub fn attachment_path(&self, sha256: &str) -> Result<PathBuf, StoreError> {
        let Some(name) = gongwen_core::digest::parse_sha256(sha256) else {
            return Err(StoreError::InvalidHash(sha256.chars().take(80).collect()));
        };
        let dir = self.dir.join(ATTACHMENTS_DIR);
        let path = dir.join(&name);
        if path.is_file() {
            Ok(path)
        } else {
            Err(StoreError::AttachmentMissing { sha256: name, dir })
        }
    }

    /// Checks that the store is consistent: every document has versions 1..=latest, its
    /// latest version reads back and agrees with the list columns, the search index
    /// holds exactly the stored documents not in the 回收站, and every listed attachment
    /// file exists.
    /// Returns what is wrong, in English (empty when all is well).
    pub fn verify(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        let mut stmt = self.conn.prepare(
            "SELECT d.doc_rowid, d.id, d.version, d.sort_key, d.title, d.doc_number, d.kind,
                    (SELECT count(*) FROM versions v WHERE v.doc_rowid = d.doc_rowid),
                    (SELECT max(version) FROM versions v WHERE v.doc_rowid = d.doc_rowid),
                    coalesce((SELECT content FROM working_copies w WHERE w.doc_rowid = d.doc_rowid),
                             (SELECT content FROM versions v WHERE v.doc_rowid = d.doc_rowid AND v.version = d.version)),
                    d.trashed_at IS NOT NULL
             FROM documents d",
        )?;
        let mut rows = stmt.query([])?;
        let mut keys = HashSet::new();
        while let Some(r) = rows.next()? {
            let doc_rowid: i64 = r.get(0)?;
            let id: String = r.get(1)?;
            let version: i64 = r.get(2)?;
            let sort_key: i64 = r.get(3)?;
            let count: i64 = r.get(7)?;
            let max: Option<i64> = r.get(8)?;
            let content: Option<String> = r.get(9)?;
            // A document in the 回收站 is out of the search index until restored.
            let trashed: bool = r.get(10)?;
            if !trashed {
                keys.insert(sort_key);
            }
            if count != version || max != Some(version) {
                problems.push(format!(
                    "document {id}: latest version {version}, but {count} versions stored (max {max:?})"
                ));
            }
            if sort_key & 0xFFFF_FFFF != doc_rowid & 0xFFFF_FFFF {
                problems.push(format!("document {id}: sort key does not belong to it"));
            }
            match content.as_deref().map(parse_document) {
                Some(Ok(doc)) => {
                    let title: String = r.get(4)?;
                    let number: String = r.get(5)?;
                    let kind: String = r.get(6)?;
                    if doc.title != title || doc.doc_number != number || doc.kind.as_str() != kind {
                        problems.push(format!(
                            "document {id}: list columns disagree with version {version}"
                        ));
                    }
                    for a in &doc.attachments {
                        if let Some(h) = &a.sha256 {
                            if self.attachment_path(h).is_err() {
                                problems
                                    .push(format!("document {id}: attachment file {h} missing"));
                            }
                        }
                    }
                }
                Some(Err(e)) => {
                    problems.push(format!("document {id}: version {version} unreadable: {e}"))
                }
                None => problems.push(format!("document {id}: version {version} missing")),
            }
        }
        for table in SEARCH_TABLES {
            let mut stmt = self.conn.prepare(&format!("SELECT rowid FROM {table}"))?;
            let indexed: HashSet<i64> = stmt
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            if indexed != keys {
                problems.push(format!(
                    "{table}: {} rows for {} documents ({} not indexed, {} stale)",
                    indexed.len(),
                    keys.len(),
                    keys.difference(&indexed).count(),
                    indexed.difference(&keys).count()
                ));
            }
        }
        Ok(problems)
    }
}

/// A document a batch stores as version 1 under `id` (see [`insert_batch`]).
pub(crate) struct NewDocument<'a> {
    pub(crate) id: DocumentId,
    pub(crate) document: &'a Document,
    pub(crate) status: DocStatus,
    /// Why and by whom its version 1 was made.
    pub(crate) meta: VersionMeta,
}

/// The store's folders are the account's own (0700): the database and the attachment
/// files hold classified documents, and another account on the same computer must not
/// read them. SQLite and the attachment copies create files with the umask's mode
/// (often 0644); a private folder is what keeps them out of reach. A folder that was
/// open to others (made by an older version, or by hand) is closed, and the log says so.
fn keep_private(folder: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let write = |source| StoreError::Write {
            path: folder.to_path_buf(),
            source,
        };
        let mode = fs::metadata(folder).map_err(write)?.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(folder, fs::Permissions::from_mode(0o700)).map_err(write)?;
            tracing::warn!(
                folder = %folder.display(),
                mode = format!("{:o}", mode & 0o777),
                "the store's folder was open to other accounts; it is now private (700)"
            );
        }
    }
    Ok(())
}

/// Documents written in chunks of this many by a streaming [`Import`]: large enough that
/// each chunk is one fast batch (see `insert_batch`), small enough that a 100,000-file
/// import holds only a few megabytes of documents at a time.
pub const IMPORT_CHUNK: usize = 2_000;

/// An import in progress (see [`Store::begin_import`]). Dropped without
/// [`Import::commit`], it keeps nothing.
pub struct Import<'s> {
    tx: Transaction<'s>,
    pending: Vec<(DocumentId, Document, DocStatus)>,
    t: chrono::DateTime<chrono::Utc>,
    /// Version 1 of every document imported: 导入, by whoever is logged in.
    meta: VersionMeta,
}

impl Import<'_> {
    /// Adds one document and returns the id it will have. Written with the next chunk.
    pub fn add(&mut self, document: Document, status: DocStatus) -> Result<DocumentId, StoreError> {
        let id = DocumentId(uuid::Uuid::new_v4());
        self.pending.push((id, document, status));
        if self.pending.len() >= IMPORT_CHUNK {
            self.flush()?;
        }
        Ok(id)
    }

    /// Adds documents the caller already holds, as one batch; ids in input order.
    pub fn add_all(
        &mut self,
        docs: &[(Document, DocStatus)],
    ) -> Result<Vec<DocumentId>, StoreError> {
        self.flush()?;
        let ids: Vec<DocumentId> = docs
            .iter()
            .map(|_| DocumentId(uuid::Uuid::new_v4()))
            .collect();
        let batch: Vec<NewDocument<'_>> = docs
            .iter()
            .zip(&ids)
            .map(|((document, status), id)| NewDocument {
                id: *id,
                document,
                status: *status,
                meta: self.meta.clone(),
            })
            .collect();
        insert_batch(&self.tx, &batch, &self.t)?;
        Ok(ids)
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        let batch: Vec<NewDocument<'_>> = self
            .pending
            .iter()
            .map(|(id, document, status)| NewDocument {
                id: *id,
                document,
                status: *status,
                meta: self.meta.clone(),
            })
            .collect();
        insert_batch(&self.tx, &batch, &self.t)?;
        self.pending.clear();
        Ok(())
    }

    /// Writes what is pending and keeps the whole import.
    pub fn commit(mut self) -> Result<(), StoreError> {
        self.flush()?;
        end_bulk_merging(&self.tx)?;
        self.tx.commit()?;
        Ok(())
    }
}

/// Stores new documents as version 1, in one go, inside the caller's transaction:
/// what [`Store::import`] and a page of the exchange's change log
/// ([`Store::apply_changes`]) share. Each document gets the next free row; the rows
/// are written first and the search index after, in rowid order. Call it between
/// [`begin_bulk_merging`] and [`end_bulk_merging`] so the batch becomes one segment per
/// search table.
///
/// Why this order: FTS5 keeps a transaction's postings in memory only while rowids
/// ascend (a smaller rowid forces a segment write), so the whole batch stays in memory
/// until it is written as one segment. Rows and index are not interleaved: a row
/// insert fires the counting trigger, whose statement savepoint makes FTS5 write its
/// pending postings as a tiny segment. A second thread serialises every document for
/// its row, then tokenises them all, while this one writes the rows and then the index
/// entries.
pub(crate) fn insert_batch(
    tx: &Transaction<'_>,
    docs: &[NewDocument<'_>],
    t: &chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    if docs.is_empty() {
        return Ok(());
    }
    let first = next_rowid(tx)?;
    let mut order: Vec<(i64, usize)> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (sort_key(day_of(d.document, t), first + i as i64), i))
        .collect();
    order.sort_unstable();
    std::thread::scope(|scope| -> Result<(), StoreError> {
        let (send_row, rows) = std::sync::mpsc::sync_channel::<Result<Prepared, StoreError>>(64);
        let (send_tokens, tokens) = std::sync::mpsc::channel::<Tokens>();
        let order = &order;
        scope.spawn(move || {
            for &(_, i) in order {
                if send_row.send(Prepared::of(docs[i].document, t)).is_err() {
                    return; // the writer stopped on an error
                }
            }
            for &(_, i) in order {
                let doc = docs[i].document;
                if send_tokens
                    .send(Tokens::of(doc, &Derived::of(doc, t)))
                    .is_err()
                {
                    return;
                }
            }
        });
        let mut keys = Vec::with_capacity(order.len());
        for (&(_, i), prepared) in order.iter().zip(rows.iter()) {
            let prepared = prepared?;
            let d = &docs[i];
            keys.push(insert_row(
                tx,
                first + i as i64,
                d.id,
                d.status,
                d.document,
                &prepared,
                t,
                &d.meta,
            )?);
        }
        for (key, tokens) in keys.into_iter().zip(tokens.iter()) {
            index(tx, key, &tokens)?;
        }
        Ok(())
    })
}

/// Turns FTS5's merging off for a bulk write (`automerge` 0) except for FTS5's crisis
/// merge of a level that reaches `crisismerge` segments ([`schema::IMPORT_CRISISMERGE`]
/// for an import, [`schema::SYNC_CRISISMERGE`] for a page of the change log). Always
/// pair it with [`end_bulk_merging`] in the same transaction, so a crash cannot leave
/// merging off.
///
/// FTS5 merges segments a little on every write (`automerge`); during an import that
/// rewrote postings over and over, and during a sync round it put tens of megabytes of
/// merging (hundreds of ms) into whichever commit happened to cross the threshold.
/// The merging is left to [`Store::maintain`] at idle time. Measured on 100,000
/// documents in import batches of 1,000: ~3,000 → ~4,200 documents/s together with the
/// one-pass tokenizer and the ordering of [`insert_batch`].
pub(crate) fn begin_bulk_merging(tx: &Transaction<'_>, crisismerge: i64) -> Result<(), StoreError> {
    for (table, _, _) in schema::MERGE_SETTINGS {
        set_merging(tx, table, 0, crisismerge)?;
    }
    Ok(())
}

fn set_merging(
    tx: &Transaction<'_>,
    table: &str,
    automerge: i64,
    crisismerge: i64,
) -> Result<(), StoreError> {
    for (key, value) in [("automerge", automerge), ("crisismerge", crisismerge)] {
        tx.prepare_cached(&format!(
            "INSERT INTO {table}({table}, rank) VALUES (?1, ?2)"
        ))?
        .execute(params![key, value])?;
    }
    Ok(())
}

/// Ends a bulk write: a savepoint makes FTS5 write its pending postings now, while
/// merging is still off; then merging is switched back on for the writes that follow.
pub(crate) fn end_bulk_merging(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch("SAVEPOINT flush_search; RELEASE flush_search;")?;
    for (table, automerge, crisismerge) in schema::MERGE_SETTINGS {
        set_merging(tx, table, automerge, crisismerge)?;
    }
    Ok(())
}

pub(crate) fn next_rowid(tx: &Transaction<'_>) -> Result<i64, StoreError> {
    Ok(tx.query_row(
        "SELECT coalesce(max(doc_rowid), 0) + 1 FROM documents",
        [],
        |r| r.get(0),
    )?)
}

pub(crate) fn head(tx: &Transaction<'_>, id: DocumentId) -> Result<Option<Head>, StoreError> {
    let row = tx
        .prepare_cached("SELECT doc_rowid, status, version, sort_key FROM documents WHERE id = ?1")?
        .query_row([id.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .optional()?;
    row.map(|(doc_rowid, status, version, sort_key)| {
        Ok(Head {
            doc_rowid,
            status: enum_parse(&status)?,
            version,
            sort_key,
        })
    })
    .transpose()
}

pub(crate) fn insert_new(
    tx: &Transaction<'_>,
    doc_rowid: i64,
    id: DocumentId,
    doc: &Document,
    status: DocStatus,
    t: &chrono::DateTime<chrono::Utc>,
    meta: &VersionMeta,
) -> Result<StoredDocument, StoreError> {
    let prepared = Prepared::of(doc, t)?;
    let sort_key = insert_row(tx, doc_rowid, id, status, doc, &prepared, t, meta)?;
    index(tx, sort_key, &Tokens::of(doc, &prepared.derived))?;
    let ts = rfc3339(t);
    Ok(StoredDocument {
        id,
        status,
        version: 1,
        working_copy_at: None,
        created_at: ts.clone(),
        updated_at: ts,
        document: doc.clone(),
    })
}

/// The document row and its version 1, not yet indexed. Returns the sort key.
#[allow(clippy::too_many_arguments)] // one row's columns, named at the one call site each
fn insert_row(
    tx: &Transaction<'_>,
    doc_rowid: i64,
    id: DocumentId,
    status: DocStatus,
    doc: &Document,
    p: &Prepared,
    t: &chrono::DateTime<chrono::Utc>,
    meta: &VersionMeta,
) -> Result<i64, StoreError> {
    let d = &p.derived;
    let sort_key = d.sort_key(doc_rowid);
    let ts = rfc3339(t);
    tx.prepare_cached(
        "INSERT INTO documents(doc_rowid, id, status, version, created_at, updated_at, kind, urgency,
            classification, title, doc_number, issuer, date_of_issue, year, issuers, recipients, sort_key)
         VALUES (?1, ?2, ?3, 1, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        doc_rowid,
        id.to_string(),
        status.as_str(),
        ts,
        d.kind,
        d.urgency,
        d.classification,
        doc.title,
        doc.doc_number,
        d.issuer,
        doc.date_of_issue,
        d.year,
        d.issuers,
        d.recipients,
        sort_key
    ])?;
    insert_version(tx, doc_rowid, 1, p, &ts, meta)?;
    Ok(sort_key)
}

/// Refuses a write of `doc` made on version `base` when the document's latest version
/// is no longer `base`: another writer (a second window before the folder lock, a sync
/// that applied a newer version, a 恢复) moved it, and writing would replace that text
/// unseen. Called inside the write's transaction, so nothing can come in between.
///
/// The base of an edit is the numbered version its text grew from: the latest version
/// when the editor opened the document, then the version each of its own writes
/// answered (a pause can number its working copy). A working copy is the continuation
/// of that version, not a version of its own, so an autosave has the same base as the
/// 保存 after it; the working copy the editor opened on is its text already. (Two
/// editors on one base would share its working copy unchecked: the folder lock,
/// `FolderLock`, keeps a data folder to one app, and the app to one editor.) `None`
/// (the CLI, imports, tests of old) checks nothing. No conflict either when `doc` is
/// what the document holds now (its working copy, else its latest version): nothing
/// would be lost.
pub(crate) fn check_base(
    tx: &Transaction<'_>,
    id: DocumentId,
    h: &Head,
    base: Option<u32>,
    doc: &Document,
) -> Result<(), StoreError> {
    let Some(base) = base.filter(|&b| b != h.version) else {
        return Ok(());
    };
    let now_json = match versions::working_copy(tx, h.doc_rowid)? {
        Some(w) => w.content,
        None => tx
            .prepare_cached("SELECT content FROM versions WHERE doc_rowid = ?1 AND version = ?2")?
            .query_row(params![h.doc_rowid, h.version], |r| r.get(0))?,
    };
    if parse_document(&now_json).ok().as_ref() == Some(doc) {
        return Ok(());
    }
    Err(StoreError::Conflict {
        id,
        base,
        current: h.version,
    })
}

/// Makes `doc` the next numbered version unless it equals the latest one; either way
/// the working copy is gone afterwards (its text is `doc` now, or back to the latest
/// version's). Whether the document may be changed is the caller's to check first
/// (`editable` for a user's edit).
pub(crate) fn append_version(
    tx: &Transaction<'_>,
    id: DocumentId,
    doc: &Document,
    t: &chrono::DateTime<chrono::Utc>,
    meta: &VersionMeta,
) -> Result<StoredDocument, StoreError> {
    let h = head(tx, id)?.ok_or(StoreError::NotFound(id))?;
    let (latest, created_at, updated_at): (String, String, String) = tx
        .prepare_cached(
            "SELECT v.content, d.created_at, d.updated_at FROM versions v JOIN documents d ON d.doc_rowid = v.doc_rowid
             WHERE v.doc_rowid = ?1 AND v.version = ?2",
        )?
        .query_row(params![h.doc_rowid, h.version], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let working = versions::working_copy(tx, h.doc_rowid)?;
    let ts = rfc3339(t);
    if parse_document(&latest).ok().as_ref() == Some(doc) {
        let mut updated_at = updated_at;
        if working.is_some() {
            // Typed and then undone: the text is the latest version's again.
            versions::drop_working_copy(tx, h.doc_rowid)?;
            write_current(tx, &h, doc, &Prepared::of(doc, t)?, &ts)?;
            updated_at = ts;
        }
        return Ok(StoredDocument {
            id,
            status: h.status,
            version: h.version,
            working_copy_at: None,
            created_at,
            updated_at,
            document: doc.clone(),
        });
    }
    let version = h.version + 1;
    let p = Prepared::of(doc, t)?;
    insert_version(tx, h.doc_rowid, version, &p, &ts, meta)?;
    tx.prepare_cached("UPDATE documents SET version = ?2 WHERE doc_rowid = ?1")?
        .execute(params![h.doc_rowid, version])?;
    if working.as_ref().map(|w| w.content.as_str()) != Some(p.content.as_str()) {
        write_current(tx, &h, doc, &p, &ts)?;
    } else {
        // The working copy numbered as it is: lists and index hold it already.
        tx.prepare_cached("UPDATE documents SET updated_at = ?2 WHERE doc_rowid = ?1")?
            .execute(params![h.doc_rowid, ts])?;
    }
    versions::drop_working_copy(tx, h.doc_rowid)?;
    Ok(StoredDocument {
        id,
        status: h.status,
        version,
        working_copy_at: None,
        created_at,
        updated_at: ts,
        document: doc.clone(),
    })
}

/// Autosave: `doc` becomes the working copy of `id` (what the document shows, lists and
/// is found by) without a numbered version; the same text as now changes nothing, and
/// the text of the latest version again leaves no working copy. Before the working copy
/// is overwritten, the pause rule ([`versions::pause_is_due`]) may make the text as it
/// stood at the pause a numbered version (停顿, by the person who typed it).
pub(crate) fn write_working_copy(
    tx: &Transaction<'_>,
    id: DocumentId,
    doc: &Document,
    t: &chrono::DateTime<chrono::Utc>,
    author: &str,
) -> Result<StoredDocument, StoreError> {
    let mut h = head(tx, id)?.ok_or(StoreError::NotFound(id))?;
    let (latest, created_at, updated_at): (String, String, String) = tx
        .prepare_cached(
            "SELECT v.content, d.created_at, d.updated_at FROM versions v JOIN documents d ON d.doc_rowid = v.doc_rowid
             WHERE v.doc_rowid = ?1 AND v.version = ?2",
        )?
        .query_row(params![h.doc_rowid, h.version], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let mut working = versions::working_copy(tx, h.doc_rowid)?;
    let p = Prepared::of(doc, t)?;
    let current = working
        .as_ref()
        .map_or(latest.as_str(), |w| w.content.as_str());
    if parse_document(current).ok().as_ref() == Some(doc) {
        return Ok(StoredDocument {
            id,
            status: h.status,
            version: h.version,
            working_copy_at: working.map(|w| w.saved_at),
            created_at,
            updated_at,
            document: doc.clone(),
        });
    }
    let ts = rfc3339(t);
    let mut latest = latest;
    if let Some(w) = working.take_if(|w| versions::pause_is_due(w, t)) {
        h.version = versions::number_working_copy(
            tx,
            &h,
            &w,
            &w.saved_at,
            &VersionMeta::new(VersionReason::Paused, w.author.clone()),
        )?;
        latest = w.content;
    }
    let working_copy_at = if parse_document(&latest).ok().as_ref() == Some(doc) {
        versions::drop_working_copy(tx, h.doc_rowid)?;
        None
    } else {
        let started_at = working.map_or_else(|| ts.clone(), |w| w.started_at);
        tx.prepare_cached(
            "INSERT INTO working_copies(doc_rowid, content, char_count, author, started_at, saved_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (doc_rowid) DO UPDATE SET content = excluded.content,
                char_count = excluded.char_count, author = excluded.author, saved_at = excluded.saved_at",
        )?
        .execute(params![h.doc_rowid, p.content, p.char_count, author, started_at, ts])?;
        Some(ts.clone())
    };
    write_current(tx, &h, doc, &p, &ts)?;
    Ok(StoredDocument {
        id,
        status: h.status,
        version: h.version,
        working_copy_at,
        created_at,
        updated_at: ts,
        document: doc.clone(),
    })
}

/// Makes `doc` what the document lists and is found by: the list columns, the day it
/// sorts by, `updated_at` and the search index. Versions are the caller's.
fn write_current(
    tx: &Transaction<'_>,
    h: &Head,
    doc: &Document,
    p: &Prepared,
    ts: &str,
) -> Result<(), StoreError> {
    let d = &p.derived;
    let sort_key = d.sort_key(h.doc_rowid);
    tx.prepare_cached(
        "UPDATE documents SET updated_at = ?2, kind = ?3, urgency = ?4, classification = ?5,
            title = ?6, doc_number = ?7, issuer = ?8, date_of_issue = ?9, year = ?10, issuers = ?11,
            recipients = ?12, sort_key = ?13
         WHERE doc_rowid = ?1",
    )?
    .execute(params![
        h.doc_rowid,
        ts,
        d.kind,
        d.urgency,
        d.classification,
        doc.title,
        doc.doc_number,
        d.issuer,
        doc.date_of_issue,
        d.year,
        d.issuers,
        d.recipients,
        sort_key
    ])?;
    for table in SEARCH_TABLES {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE rowid = ?1"))?
            .execute([h.sort_key])?;
    }
    index(tx, sort_key, &Tokens::of(doc, &p.derived))?;
    Ok(())
}

pub(crate) fn insert_version(
    tx: &Transaction<'_>,
    doc_rowid: i64,
    version: u32,
    p: &Prepared,
    ts: &str,
    meta: &VersionMeta,
) -> Result<(), StoreError> {
    versions::insert(tx, doc_rowid, version, ts, p.char_count, &p.content, meta)
}

/// Everything written for one version that needs no database: computed off the
/// writing thread during a bulk import.
pub(crate) struct Prepared {
    derived: Derived,
    pub(crate) content: String,
    pub(crate) char_count: u32,
}

impl Prepared {
    pub(crate) fn of(
        doc: &Document,
        t: &chrono::DateTime<chrono::Utc>,
    ) -> Result<Prepared, StoreError> {
        let derived = Derived::of(doc, t);
        let content =
            serde_json::to_string(doc).map_err(|e| StoreError::BadRecord(e.to_string()))?;
        Ok(Prepared {
            content,
            char_count: u32::try_from(doc.body.char_count()).unwrap_or(u32::MAX),
            derived,
        })
    }
}

/// Takes a document out of the search index (it goes to the 回收站).
pub(crate) fn unindex(tx: &Transaction<'_>, sort_key: i64) -> Result<(), StoreError> {
    for table in SEARCH_TABLES {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE rowid = ?1"))?
            .execute([sort_key])?;
    }
    Ok(())
}

/// Indexes `doc` under `sort_key` again (it comes back from the 回收站).
pub(crate) fn reindex(
    tx: &Transaction<'_>,
    sort_key: i64,
    doc: &Document,
) -> Result<(), StoreError> {
    index(tx, sort_key, &Tokens::of(doc, &Derived::of(doc, &now())))
}

/// The full-text tables; each holds one row per document, its rowid the sort key.
const SEARCH_TABLES: [&str; 3] = ["search_head", "search_all", "search_chars"];

/// The search tokens of one version (see `tokens`): computed off the writing thread
/// during a bulk import.
struct Tokens {
    head_tokens: [String; 4],
    all_tokens: String,
    chars: String,
}

impl Tokens {
    fn of(doc: &Document, derived: &Derived) -> Tokens {
        let all = all_text(doc, &derived.issuers, &derived.recipients);
        Tokens {
            head_tokens: [
                tokens::index_tokens(&doc.title, true),
                tokens::index_tokens(&doc.doc_number, true),
                tokens::index_tokens(&derived.issuers, true),
                tokens::index_tokens(&derived.recipients, true),
            ],
            all_tokens: tokens::index_tokens(&all, false),
            chars: tokens::position_free_tokens(
                &all,
                &format!(
                    "{}\n{}\n{}\n{}",
                    doc.title, doc.doc_number, derived.issuers, derived.recipients
                ),
            ),
        }
    }
}

/// The searchable text of a document, fields separated by line breaks.
pub(crate) fn all_text(doc: &Document, issuers: &str, recipients: &str) -> String {
    let body = doc.body.to_text();
    let mut text = String::with_capacity(body.len() + 256);
    for part in [
        doc.title.as_str(),
        doc.doc_number.as_str(),
        issuers,
        recipients,
        body.as_str(),
    ] {
        text.push_str(part);
        text.push('\n');
    }
    text
}

fn index(tx: &Transaction<'_>, sort_key: i64, p: &Tokens) -> Result<(), StoreError> {
    let [title, number, issuers, recipients] = &p.head_tokens;
    tx.prepare_cached(
        "INSERT INTO search_head(rowid, title, doc_number, issuer, recipients) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![sort_key, title, number, issuers, recipients])?;
    tx.prepare_cached("INSERT INTO search_all(rowid, text) VALUES (?1, ?2)")?
        .execute(params![sort_key, p.all_tokens])?;
    tx.prepare_cached("INSERT INTO search_chars(rowid, chars) VALUES (?1, ?2)")?
        .execute(params![sort_key, p.chars])?;
    Ok(())
}

/// Copies `path` into `dir` under the SHA-256 of its bytes (streamed; fsynced before
/// the rename, the folder after). Identical content already there is kept as it is.
fn copy_named_by_hash(dir: &Path, path: &Path) -> Result<(String, u64), StoreError> {
    let read_err = |source| StoreError::Read {
        path: path.to_path_buf(),
        source,
    };
    let write_err = |source| StoreError::Write {
        path: dir.to_path_buf(),
        source,
    };
    let mut input = fs::File::open(path).map_err(read_err)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".incoming-")
        .tempfile_in(dir)
        .map_err(write_err)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = input.read(&mut buf).map_err(read_err)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        temp.write_all(&buf[..n]).map_err(write_err)?;
        size += n as u64;
    }
    let sha256 = gongwen_core::digest::hex(&hasher.finalize());
    persist_by_hash(dir, &sha256, temp)?;
    Ok((sha256, size))
}

/// Makes `file` (written inside `dir`) the attachment file `dir/<sha256>`: fsynced, then
/// renamed, then the folder fsynced. Identical content already there is kept as it is.
pub(crate) fn persist_by_hash(
    dir: &Path,
    sha256: &str,
    file: tempfile::NamedTempFile,
) -> Result<PathBuf, StoreError> {
    let write_err = |source| StoreError::Write {
        path: dir.to_path_buf(),
        source,
    };
    let target = dir.join(sha256);
    if !target.is_file() {
        file.as_file().sync_all().map_err(write_err)?;
        file.persist(&target).map_err(|e| write_err(e.error))?;
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(write_err)?;
    }
    Ok(target)
}
