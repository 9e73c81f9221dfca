//! 回收站: a draft that never left the desk can be thrown away, and brought back.
//!
//! Every mis-click on 新建公文 used to leave a permanent （无标题） draft. Now a draft may
//! be 删除d (the rule of what may go is `editable::kept`: never sent, never received,
//! nothing of it queued, not in a handling, not filed, not 已签发). It stays in the
//! `documents` table with `trashed_at` set, and from then on it is in nothing a user
//! reads but the 回收站: not listed or counted (schema 11's count triggers), not in the
//! search index (its rows are taken out, and written again on 恢复), not opened, saved or
//! queued (`Store::check_visible` says it does not exist). The 回收站 lists it, with when
//! and by whom it was thrown away, to the accounts whose clearance covers it (非密 only
//! while nobody is logged in), like every other read.
//!
//! It is kept [`TRASH_KEPT_DAYS`] days, then purged: its versions, working copy,
//! attachment rows and read marks go, and each attachment file that no other document
//! mentions. The purge runs when the store is opened ([`Store::open`]), so an app left
//! running for weeks purges at its next start; [`Store::purge_expired_trash`] takes the
//! time, so tests need not wait a month. 彻底删除 ([`Store::purge_trashed`]) purges one
//! at once, on purpose. The outbox keeps its rows of it (a refused 分发, say): the
//! outbox is the record of what was asked of the exchange.

use chrono::{DateTime, Utc};
use gongwen_core::DocumentId;
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::editable::{self, Kept};
use crate::model::DocumentSummary;
use crate::store::{
    enum_parse, head, now, parse_document, parse_id, rfc3339, summary_from_row, SUMMARY_COLUMNS,
};
use crate::{access, Store, StoreError};

/// Days a thrown-away draft stays in the 回收站 before it is purged.
pub const TRASH_KEPT_DAYS: i64 = 30;

/// A draft in the 回收站.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrashedDocument {
    pub summary: DocumentSummary,
    /// RFC 3339, UTC: when it was thrown away.
    pub trashed_at: String,
    /// Who threw it away (display name; 本机 with nobody logged in).
    pub trashed_by: String,
    /// RFC 3339, UTC: when it is purged unless restored before.
    pub purge_at: String,
}

impl Store {
    /// Why this document may not go to the 回收站, or `None` when it may; `NotFound` if
    /// the logged-in account may not see it. The rule is `editable::kept`; [`Store::trash`]
    /// checks it again in its own transaction.
    pub fn kept(&self, id: DocumentId) -> Result<Option<Kept>, StoreError> {
        self.check_visible(id)?;
        let status: String = self
            .conn
            .prepare_cached("SELECT status FROM documents WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))?;
        editable::kept(&self.conn, id, enum_parse(&status)?)
    }

    /// Of `ids`, the ones that may go to the 回收站 now (for the list's 删除 buttons);
    /// ids the logged-in account may not see are left out.
    pub fn trashable(&self, ids: &[DocumentId]) -> Result<Vec<DocumentId>, StoreError> {
        let mut out = Vec::new();
        for &id in ids {
            match self.kept(id) {
                Ok(None) => out.push(id),
                Ok(Some(_)) | Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// 删除: moves a draft that never left the desk into the 回收站. No login needed
    /// (drafts are local), but only a document the logged-in account may see (非密 with
    /// nobody logged in). [`StoreError::Kept`] says why another may not go.
    pub fn trash(&mut self, id: DocumentId) -> Result<(), StoreError> {
        self.check_visible(id)?;
        let by = self.author_name()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let h = head(&tx, id)?.ok_or(StoreError::NotFound(id))?;
        if let Some(why) = editable::kept(&tx, id, h.status)? {
            return Err(StoreError::Kept { id, why });
        }
        tx.prepare_cached(
            "UPDATE documents SET trashed_at = ?2, trashed_by = ?3
             WHERE doc_rowid = ?1 AND trashed_at IS NULL",
        )?
        .execute(params![h.doc_rowid, rfc3339(&now()), by])?;
        crate::store::unindex(&tx, h.sort_key)?;
        tx.commit()?;
        Ok(())
    }

    /// The 回收站: thrown-away drafts the logged-in account may see, the most recently
    /// thrown away first.
    pub fn trashed(&self) -> Result<Vec<TrashedDocument>, StoreError> {
        let visible = access::visible("classification", self.clearance()?);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS}, trashed_at, coalesce(trashed_by, '') FROM documents
             WHERE trashed_at IS NOT NULL AND {visible}
             ORDER BY trashed_at DESC, doc_rowid DESC"
        ))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let trashed_at: String = r.get(11)?;
            let purge_at = DateTime::parse_from_rfc3339(&trashed_at)
                .map(|t| {
                    rfc3339(&(t.with_timezone(&Utc) + chrono::Duration::days(TRASH_KEPT_DAYS)))
                })
                .map_err(|e| StoreError::BadRecord(format!("trashed_at {trashed_at:?}: {e}")))?;
            out.push(TrashedDocument {
                summary: summary_from_row(r)?,
                trashed_at,
                trashed_by: r.get(12)?,
                purge_at,
            });
        }
        Ok(out)
    }

    /// 恢复: brings a document back from the 回收站 as it was (its versions, working copy
    /// and place in the list), found by search again. [`StoreError::NotTrashed`] if it is
    /// not there, or not for the logged-in account's eyes.
    pub fn restore_trashed(&mut self, id: DocumentId) -> Result<crate::StoredDocument, StoreError> {
        let clearance = self.clearance()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (doc_rowid, sort_key) = trashed_row(&tx, id, clearance)?;
        tx.prepare_cached(
            "UPDATE documents SET trashed_at = NULL, trashed_by = NULL WHERE doc_rowid = ?1",
        )?
        .execute([doc_rowid])?;
        let content: String = tx
            .prepare_cached(
                "SELECT coalesce(w.content, v.content) FROM documents d
                 JOIN versions v ON v.doc_rowid = d.doc_rowid AND v.version = d.version
                 LEFT JOIN working_copies w ON w.doc_rowid = d.doc_rowid
                 WHERE d.doc_rowid = ?1",
            )?
            .query_row([doc_rowid], |r| r.get(0))?;
        crate::store::reindex(&tx, sort_key, &parse_document(&content)?)?;
        tx.commit()?;
        self.get(id)?.ok_or(StoreError::NotFound(id))
    }

    /// 彻底删除: purges one document from the 回收站 now, on purpose (the window asks
    /// first). [`StoreError::NotTrashed`] if it is not there or not the logged-in
    /// account's to see.
    pub fn purge_trashed(&mut self, id: DocumentId) -> Result<(), StoreError> {
        let clearance = self.clearance()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (doc_rowid, _) = trashed_row(&tx, id, clearance)?;
        let files = purge(&tx, doc_rowid, id)?;
        tx.commit()?;
        self.remove_files(&files);
        Ok(())
    }

    /// Purges every document thrown away more than [`TRASH_KEPT_DAYS`] days before
    /// `now`, whoever may see it (housekeeping, like the sync: no user reads anything).
    /// Returns how many went. [`Store::open`] runs it with the clock's time.
    pub fn purge_expired_trash(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let before = rfc3339(&(now - chrono::Duration::days(TRASH_KEPT_DAYS)));
        // Read first (the partial index makes it a lookup): an open with nothing to
        // purge, the usual case, takes no write lock.
        let due: bool = self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM documents
                 WHERE trashed_at IS NOT NULL AND trashed_at <= ?1)",
            )?
            .query_row([&before], |r| r.get(0))?;
        if !due {
            return Ok(0);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let expired: Vec<(i64, String)> = tx
            .prepare_cached(
                "SELECT doc_rowid, id FROM documents
                 WHERE trashed_at IS NOT NULL AND trashed_at <= ?1",
            )?
            .query_map([&before], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut files = Vec::new();
        for (doc_rowid, id) in &expired {
            files.extend(purge(&tx, *doc_rowid, parse_id(id)?)?);
        }
        tx.commit()?;
        self.remove_files(&files);
        if !expired.is_empty() {
            tracing::info!(
                count = expired.len(),
                "purged drafts kept {TRASH_KEPT_DAYS} days in the trash"
            );
        }
        Ok(expired.len())
    }

    /// Removes attachment files no document mentions any more (after the purge that
    /// made them so has committed). A file that cannot be removed is only logged: the
    /// rows are gone, and an unreferenced file is harmless.
    fn remove_files(&self, files: &[String]) {
        let dir = self.attachments_dir();
        for sha256 in files {
            let path = dir.join(sha256);
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), error = %e, "cannot remove a purged attachment file");
                }
            }
        }
    }
}

/// The row (doc_rowid, sort_key) of a document in the 回收站 that `clearance` may see.
fn trashed_row(
    tx: &Transaction<'_>,
    id: DocumentId,
    clearance: gongwen_core::Classification,
) -> Result<(i64, i64), StoreError> {
    let visible = access::visible("classification", clearance);
    tx.prepare_cached(&format!(
        "SELECT doc_rowid, sort_key FROM documents
         WHERE id = ?1 AND trashed_at IS NOT NULL AND {visible}"
    ))?
    .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()?
    .ok_or(StoreError::NotTrashed(id))
}

/// Deletes a trashed document and everything that is only its own; returns the
/// attachment files no longer mentioned by any document (or wanted by the sync), whose
/// rows are gone too, for the caller to remove once this commits.
fn purge(tx: &Transaction<'_>, doc_rowid: i64, id: DocumentId) -> Result<Vec<String>, StoreError> {
    // Its files: those it listed (every version's JSON), and those added to it.
    let mut files: Vec<String> = tx
        .prepare_cached(
            "SELECT DISTINCT json_extract(a.value, '$.sha256') FROM versions v,
                 json_each(v.content, '$.attachments') a
             WHERE v.doc_rowid = ?1 AND json_extract(a.value, '$.sha256') IS NOT NULL
             UNION SELECT DISTINCT json_extract(a.value, '$.sha256') FROM working_copies w,
                 json_each(w.content, '$.attachments') a
             WHERE w.doc_rowid = ?1 AND json_extract(a.value, '$.sha256') IS NOT NULL
             UNION SELECT sha256 FROM document_attachments WHERE doc_rowid = ?1",
        )?
        .query_map([doc_rowid], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for sql in [
        "DELETE FROM document_attachments WHERE doc_rowid = ?1",
        "DELETE FROM working_copies WHERE doc_rowid = ?1",
        "DELETE FROM versions WHERE doc_rowid = ?1",
        "DELETE FROM documents WHERE doc_rowid = ?1",
    ] {
        tx.prepare_cached(sql)?.execute([doc_rowid])?;
    }
    tx.prepare_cached("DELETE FROM read_marks WHERE document_id = ?1")?
        .execute([id.to_string()])?;
    // Received documents list their files in their versions only (no attachment rows),
    // so "no other document mentions it" is asked of every version's text: slow on a
    // large store, and a purge is rare (a month after a 删除, or a 彻底删除).
    files.retain(|sha256| {
        // A name read from a version's JSON becomes a path to remove: only a hash in
        // the form the store writes, never anything that could point elsewhere.
        if gongwen_core::digest::parse_sha256(sha256).as_deref() != Some(sha256.as_str()) {
            return false;
        }
        let mentioned: Result<bool, rusqlite::Error> = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM document_attachments WHERE sha256 = ?1)
                     OR EXISTS (SELECT 1 FROM attachment_downloads WHERE sha256 = ?1)
                     OR EXISTS (SELECT 1 FROM versions WHERE instr(content, ?1) > 0)
                     OR EXISTS (SELECT 1 FROM working_copies WHERE instr(content, ?1) > 0)",
            )
            .and_then(|mut s| s.query_row([sha256.as_str()], |r| r.get(0)));
        // When in doubt, keep the file.
        matches!(mentioned, Ok(false))
    });
    for sha256 in &files {
        tx.prepare_cached("DELETE FROM attachment_files WHERE sha256 = ?1")?
            .execute([sha256])?;
    }
    Ok(files)
}
