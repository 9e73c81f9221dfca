//! Versions that mean something (痕迹保留 in the store).
//!
//! Autosave keeps the working copy safe: every few seconds the editor's text replaces
//! the document's working copy (one row, `working_copies`), which is what the document
//! shows, lists and is found by, and no version number moves. A numbered version
//! (第N版) is made when it means something:
//! * 保存 and 完成编辑 ([`Store::save_version`]), a file added, a 恢复
//!   ([`Store::restore_version`]);
//! * at a workflow step ([`Store::make_version`], which the steps call with the step's
//!   name; [`Store::mark_signed_off`] for 签发; a queued 分发 numbers a working copy too);
//! * after a pause in typing ([`pause_is_due`]): once a working copy holds at least
//!   [`PAUSE_AFTER_EDITING`] of edits and then nothing was typed for [`PAUSE_IDLE`], the
//!   next autosave first makes the text as it stood at the pause a version. Why these
//!   numbers: autosave runs every 3 s, so 30 s without a keystroke is a real pause
//!   (reading back, a phone call), not the gap between two sentences; five minutes of
//!   work is worth a version a reader may want back, and bounds an hour of steady
//!   typing to about a dozen versions instead of the thousand autosave made before.
//!   The rule is applied when typing resumes, so no timer is needed and the version
//!   holds exactly the text of the pause; text left at a pause stays the working copy
//!   until then, safe, and becomes a version at the next 保存 or step.
//!
//! Each version records its author (the logged-in user's display name, 本机 with
//! nobody logged in), its time, its step and reason, and the version that was 签发ed
//! or 分发ed is marked. Nothing is overwritten: a restore is a new version.

use gongwen_core::revision::VersionReason;
use gongwen_core::{Document, DocumentId};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};

use crate::editable;
use crate::model::{StoredDocument, VersionInfo};
use crate::store::{
    append_version, check_base, enum_parse, head, now, rfc3339, write_working_copy, Head,
};
use crate::{Store, StoreError};

/// Minimum span of edits in a working copy (first to last autosave) before a pause
/// makes it a version.
pub const PAUSE_AFTER_EDITING: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// How long nothing must have been typed for that to count as a pause.
pub const PAUSE_IDLE: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// The author of what is written with nobody logged in.
pub const LOCAL_AUTHOR: &str = "本机";

/// Longest author or step name a version records (characters).
const MAX_LABEL_CHARS: usize = 40;

/// Why and by whom a numbered version is made.
#[derive(Debug, Clone)]
pub(crate) struct VersionMeta {
    pub(crate) reason: VersionReason,
    pub(crate) author: Option<String>,
    pub(crate) step: Option<String>,
    pub(crate) restored_from: Option<u32>,
    /// Made as what was 分发ed (the server's time).
    pub(crate) dispatched_at: Option<String>,
}

impl VersionMeta {
    pub(crate) fn new(reason: VersionReason, author: String) -> VersionMeta {
        VersionMeta {
            reason,
            author: Some(author),
            step: None,
            restored_from: None,
            dispatched_at: None,
        }
    }
}

/// A document's working copy, as stored.
#[derive(Debug, Clone)]
pub(crate) struct WorkingCopy {
    pub(crate) content: String,
    pub(crate) char_count: u32,
    pub(crate) author: String,
    pub(crate) started_at: String,
    pub(crate) saved_at: String,
}

/// Whether the working copy `w` should become a version before an autosave at `t`
/// overwrites it: edits spanning [`PAUSE_AFTER_EDITING`], then [`PAUSE_IDLE`] without
/// any. Times that do not read back never count as a pause.
pub(crate) fn pause_is_due(w: &WorkingCopy, t: &chrono::DateTime<chrono::Utc>) -> bool {
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    let (Some(started), Some(saved)) = (parse(&w.started_at), parse(&w.saved_at)) else {
        return false;
    };
    saved - started >= PAUSE_AFTER_EDITING && *t - saved.to_utc() >= PAUSE_IDLE
}

pub(crate) fn working_copy(
    tx: &Transaction<'_>,
    doc_rowid: i64,
) -> Result<Option<WorkingCopy>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT content, char_count, author, started_at, saved_at FROM working_copies
             WHERE doc_rowid = ?1",
        )?
        .query_row([doc_rowid], |r| {
            Ok(WorkingCopy {
                content: r.get(0)?,
                char_count: r.get(1)?,
                author: r.get(2)?,
                started_at: r.get(3)?,
                saved_at: r.get(4)?,
            })
        })
        .optional()?)
}

/// Removes the working copy: only once its text is a numbered version, or the same as
/// the latest one.
pub(crate) fn drop_working_copy(tx: &Transaction<'_>, doc_rowid: i64) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM working_copies WHERE doc_rowid = ?1")?
        .execute([doc_rowid])?;
    Ok(())
}

/// Makes the working copy `w` the next numbered version, saved at `saved_at`, and
/// removes it. The document's lists and index hold its text already. Returns the
/// version's number.
pub(crate) fn number_working_copy(
    tx: &Transaction<'_>,
    h: &Head,
    w: &WorkingCopy,
    saved_at: &str,
    meta: &VersionMeta,
) -> Result<u32, StoreError> {
    let version = h.version + 1;
    insert(
        tx,
        h.doc_rowid,
        version,
        saved_at,
        w.char_count,
        &w.content,
        meta,
    )?;
    tx.prepare_cached("UPDATE documents SET version = ?2 WHERE doc_rowid = ?1")?
        .execute(params![h.doc_rowid, version])?;
    drop_working_copy(tx, h.doc_rowid)?;
    Ok(version)
}

/// Writes one numbered version row.
pub(crate) fn insert(
    tx: &Transaction<'_>,
    doc_rowid: i64,
    version: u32,
    saved_at: &str,
    char_count: u32,
    content: &str,
    meta: &VersionMeta,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO versions(doc_rowid, version, saved_at, char_count, content, reason, author, step,
            restored_from, dispatched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        doc_rowid,
        version,
        saved_at,
        char_count,
        content,
        meta.reason.as_str(),
        meta.author,
        meta.step,
        meta.restored_from,
        meta.dispatched_at
    ])?;
    Ok(())
}

/// Marks version `version` as what was 分发ed, at `at`, unless it is marked already.
pub(crate) fn mark_dispatched(
    tx: &Transaction<'_>,
    doc_rowid: i64,
    version: u32,
    at: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE versions SET dispatched_at = ?3
         WHERE doc_rowid = ?1 AND version = ?2 AND dispatched_at IS NULL",
    )?
    .execute(params![doc_rowid, version, at])?;
    Ok(())
}

/// Marks, among a document's versions, the latest one whose content is `sent` as
/// 分发ed at `at` (a dispatch carries the latest saved version; searching back keeps
/// the mark right even if the server's record was appended after it).
pub(crate) fn mark_dispatched_content(
    tx: &Transaction<'_>,
    id: DocumentId,
    sent: &Document,
    at: &str,
) -> Result<(), StoreError> {
    let Some(h) = head(tx, id)? else {
        return Ok(());
    };
    let mut stmt = tx.prepare_cached(
        "SELECT version, content FROM versions WHERE doc_rowid = ?1 ORDER BY version DESC",
    )?;
    let mut rows = stmt.query([h.doc_rowid])?;
    while let Some(r) = rows.next()? {
        let content: String = r.get(1)?;
        if crate::store::parse_document(&content).ok().as_ref() == Some(sent) {
            let version: u32 = r.get(0)?;
            drop(rows);
            return mark_dispatched(tx, h.doc_rowid, version, at);
        }
    }
    Ok(())
}

/// The columns [`info_from_row`] reads, of `versions v`.
pub(crate) const INFO_COLUMNS: &str =
    "v.version, v.saved_at, v.char_count, v.reason, v.author, v.step,
    v.restored_from, v.dispatched_at, v.signed_off_at, v.signed_off_by";

pub(crate) fn info_from_row(r: &rusqlite::Row<'_>) -> Result<VersionInfo, StoreError> {
    let reason: String = r.get(3)?;
    Ok(VersionInfo {
        version: r.get(0)?,
        saved_at: r.get(1)?,
        char_count: r.get(2)?,
        reason: enum_parse(&reason)?,
        author: r.get(4)?,
        step: r.get(5)?,
        restored_from: r.get(6)?,
        dispatched_at: r.get(7)?,
        signed_off_at: r.get(8)?,
        signed_off_by: r.get(9)?,
    })
}

fn info_of(tx: &Transaction<'_>, doc_rowid: i64, version: u32) -> Result<VersionInfo, StoreError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {INFO_COLUMNS} FROM versions v WHERE v.doc_rowid = ?1 AND v.version = ?2"
    ))?;
    let mut rows = stmt.query(params![doc_rowid, version])?;
    match rows.next()? {
        Some(r) => info_from_row(r),
        None => Err(StoreError::BadRecord(format!(
            "version {version} of document row {doc_rowid} is missing"
        ))),
    }
}

/// An author or step name as recorded: trimmed, not empty, not too long.
fn label(what: &'static str, text: &str) -> Result<String, StoreError> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.chars().count() > MAX_LABEL_CHARS {
        return Err(StoreError::InvalidVersionLabel {
            what,
            text: text.chars().take(80).collect(),
        });
    }
    Ok(trimmed.to_string())
}

impl Store {
    /// Who a version made now is by: the logged-in user's display name, or 本机 with
    /// nobody logged in.
    pub fn author_name(&self) -> Result<String, StoreError> {
        Ok(self
            .signed_in()?
            .map(|a| a.user.display_name.trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| LOCAL_AUTHOR.to_string()))
    }

    /// Autosave: `doc` becomes the working copy of `id`, the text the document shows,
    /// lists and is found by, without a numbered version (see the module docs for when
    /// a pause makes one). The same checks as [`Store::save_draft`].
    pub fn autosave(
        &mut self,
        id: DocumentId,
        doc: &Document,
    ) -> Result<StoredDocument, StoreError> {
        self.autosave_at(id, doc, now())
    }

    /// [`Store::autosave`] as if it were `t` now: for tests of the pause rule, which
    /// cannot wait minutes.
    #[doc(hidden)]
    pub fn autosave_at(
        &mut self,
        id: DocumentId,
        doc: &Document,
        t: chrono::DateTime<chrono::Utc>,
    ) -> Result<StoredDocument, StoreError> {
        self.write_working(id, None, doc, t)
    }

    /// [`Store::autosave`] of an edit made on version `base`: refused with
    /// [`StoreError::Conflict`], nothing written, if the document moved on since (see
    /// `check_base` for what the base of a working copy is).
    pub fn autosave_on(
        &mut self,
        id: DocumentId,
        base: u32,
        doc: &Document,
    ) -> Result<StoredDocument, StoreError> {
        self.autosave_on_at(id, base, doc, now())
    }

    /// [`Store::autosave_on`] as if it were `t` now (see [`Store::autosave_at`]).
    #[doc(hidden)]
    pub fn autosave_on_at(
        &mut self,
        id: DocumentId,
        base: u32,
        doc: &Document,
        t: chrono::DateTime<chrono::Utc>,
    ) -> Result<StoredDocument, StoreError> {
        self.write_working(id, Some(base), doc, t)
    }

    fn write_working(
        &mut self,
        id: DocumentId,
        base: Option<u32>,
        doc: &Document,
        t: chrono::DateTime<chrono::Utc>,
    ) -> Result<StoredDocument, StoreError> {
        self.check_visible(id)?;
        if doc.classification > self.clearance()? {
            return Err(self.above_clearance(doc.classification)?);
        }
        let author = self.author_name()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let h = head(&tx, id)?.ok_or(StoreError::NotFound(id))?;
        editable::check_editable(&tx, id, h.status)?;
        check_base(&tx, id, &h, base, doc)?;
        let stored = write_working_copy(&tx, id, doc, &t, &author)?;
        tx.commit()?;
        Ok(stored)
    }

    /// Numbers the document's current text as a version made by `author`, at workflow
    /// step `step` (e.g. `核稿`) if any, for `reason`: what a workflow step calls before
    /// it is recorded. If nothing changed since the latest version (no working copy),
    /// no version is made and that one is returned. Changes no text, so it needs no
    /// editing right; only a document the logged-in account may see.
    pub fn make_version(
        &mut self,
        id: DocumentId,
        author: &str,
        step: Option<&str>,
        reason: VersionReason,
    ) -> Result<VersionInfo, StoreError> {
        self.check_visible(id)?;
        let mut meta = VersionMeta::new(reason, label("author", author)?);
        meta.step = step.map(|s| label("step", s)).transpose()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let info = make_version_in(&tx, id, &meta)?;
        tx.commit()?;
        Ok(info)
    }

    /// 签发: numbers the current text as the version `signer` signed off (step 签发,
    /// unless it is the latest version already) and marks it 已签发. The hook the 签发
    /// workflow step calls; the document's status is the workflow's to change.
    pub fn mark_signed_off(
        &mut self,
        id: DocumentId,
        signer: &str,
    ) -> Result<VersionInfo, StoreError> {
        self.check_visible(id)?;
        let signer = label("author", signer)?;
        let mut meta = VersionMeta::new(VersionReason::Step, signer.clone());
        meta.step = Some("签发".to_string());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let info = make_version_in(&tx, id, &meta)?;
        let h = head(&tx, id)?.ok_or(StoreError::NotFound(id))?;
        tx.prepare_cached(
            "UPDATE versions SET signed_off_at = ?3, signed_off_by = ?4 WHERE doc_rowid = ?1 AND version = ?2",
        )?
        .execute(params![h.doc_rowid, info.version, rfc3339(&now()), signer])?;
        let info = info_of(&tx, h.doc_rowid, info.version)?;
        tx.commit()?;
        Ok(info)
    }

    /// 恢复: makes the text of `version` the document's newest version, by the
    /// logged-in user; nothing is overwritten. A working copy with edits is first kept
    /// as a version of its own (自动保存, by whoever typed it). Only while the document
    /// may be edited.
    pub fn restore_version(
        &mut self,
        id: DocumentId,
        version: u32,
    ) -> Result<StoredDocument, StoreError> {
        let old = self
            .version(id, version)?
            .ok_or(StoreError::NoSuchVersion { id, version })?;
        let mut meta = VersionMeta::new(VersionReason::Restored, self.author_name()?);
        meta.restored_from = Some(version);
        let t = now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let h = head(&tx, id)?.ok_or(StoreError::NotFound(id))?;
        editable::check_editable(&tx, id, h.status)?;
        if let Some(w) = working_copy(&tx, h.doc_rowid)? {
            let kept = VersionMeta::new(VersionReason::Autosaved, w.author.clone());
            number_working_copy(&tx, &h, &w, &w.saved_at, &kept)?;
        }
        let stored = append_version(&tx, id, &old, &t, &meta)?;
        tx.commit()?;
        Ok(stored)
    }
}

/// [`Store::make_version`] inside a transaction.
fn make_version_in(
    tx: &Transaction<'_>,
    id: DocumentId,
    meta: &VersionMeta,
) -> Result<VersionInfo, StoreError> {
    let h = head(tx, id)?.ok_or(StoreError::NotFound(id))?;
    let version = match working_copy(tx, h.doc_rowid)? {
        Some(w) => number_working_copy(tx, &h, &w, &rfc3339(&now()), meta)?,
        None => h.version,
    };
    info_of(tx, h.doc_rowid, version)
}
