//! Applying the server's change log: a page of changes with its cursor in one
//! transaction, the cursor per server and user, and its reset when it no longer holds.

use std::collections::HashSet;

use gongwen_core::flow::FlowKind;
use gongwen_core::handling::Handling;
use gongwen_core::wire::{ChangeEntry, ChangesPage};
use gongwen_core::{DocStatus, Document, DocumentId};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::account::{put_setting, KEY_ACCOUNT};
use super::attachments::want_attachments;
use super::{from_json, json, Account};
use crate::store::{
    append_version, begin_bulk_merging, end_bulk_merging, enum_parse, head, insert_batch, now,
    rfc3339, NewDocument,
};
use crate::versions::{self, VersionMeta};
use crate::{Store, StoreError};
use gongwen_core::revision::VersionReason;

/// What the store knows about syncing one account.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SyncState {
    /// Last position of the unit's change log applied here.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub cursor: u64,
    /// When the last sync finished without error (RFC 3339).
    pub last_sync_at: Option<String>,
    /// The last sync's error, cleared by the next sync that succeeds.
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    /// Commands not yet answered by the server.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pending: u64,
    /// Commands the server refused.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rejected: u64,
    /// When this client last found the server restored from a backup (its log epoch
    /// changed, or its log ended before this client's cursor), RFC 3339. The log was
    /// then pulled again from the start.
    pub server_restored_at: Option<String>,
    /// Accepted commands sent again after that restore (the server may have lost
    /// them; a command it kept gets its original outcome).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub repushed: u64,
}

/// Why a stored cursor no longer means anything and the log is pulled from the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CursorReset {
    /// The server was restored from a backup: a new log epoch, or a log that ends
    /// before the cursor. Accepted commands are sent again.
    ServerRestored,
    /// The user now belongs to another unit: the cursor was a position in the old
    /// unit's log.
    UnitChanged,
    /// The user's clearance was raised: entries withheld before are due now.
    ClearanceRaised,
}

/// What applying a page of changes did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApplyReport {
    /// Changes in the page.
    pub changes: usize,
    /// Documents this store did not have before.
    pub new_documents: usize,
    /// The cursor now stored.
    pub cursor: u64,
}

impl Store {
    /// The cursor of an account: the last change of its unit's log applied here.
    pub fn cursor(&self, account: &Account) -> Result<u64, StoreError> {
        Ok(self.sync_state(account)?.cursor)
    }

    /// Repair: pull this account's whole change log again on the next sync. Only on
    /// the user's request (`gongwen sync --repull`), never because of an error. Safe:
    /// applying changes again stores no document twice and ends in the same statuses,
    /// and nothing local is deleted.
    pub fn restart_cursor(&mut self, account: &Account) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE sync_state SET cursor = 0 WHERE account = ?1",
            [account.key()],
        )?;
        Ok(())
    }

    /// Cursor, last sync, last error and outbox counts of an account.
    pub fn sync_state(&self, account: &Account) -> Result<SyncState, StoreError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT cursor, last_sync_at, last_error, last_error_at, restored_at, repushed
                 FROM sync_state WHERE account = ?1",
            )?
            .query_row([account.key()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .optional()?;
        let mut state = SyncState::default();
        if let Some((cursor, last_sync_at, last_error, last_error_at, restored_at, repushed)) = row
        {
            state.cursor = u64::try_from(cursor).unwrap_or(0);
            state.last_sync_at = last_sync_at;
            state.last_error = last_error;
            state.last_error_at = last_error_at;
            state.server_restored_at = restored_at;
            state.repushed = u64::try_from(repushed).unwrap_or(0);
        }
        // The same rows as `outbox()` lists.
        let visible = self.visible_commands()?;
        let count = |s: &str| -> Result<u64, StoreError> {
            let n: i64 = self
                .conn
                .prepare_cached(&format!(
                    "SELECT count(*) FROM outbox WHERE state = ?1 AND dismissed_at IS NULL AND {visible}"
                ))?
                .query_row([s], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        state.pending = count("pending")?;
        state.rejected = count("rejected")?;
        Ok(state)
    }

    /// Whether a page the server sent for `after = sent` shows that the stored cursor
    /// no longer means anything, and why. A page without these fields (an older
    /// server) never does. At cursor 0 nothing can have been skipped.
    pub fn cursor_void(
        &self,
        account: &Account,
        page: &ChangesPage,
        sent: u64,
    ) -> Result<Option<CursorReset>, StoreError> {
        if sent == 0 {
            return Ok(None);
        }
        let (epoch, unit, clearance) = self
            .conn
            .prepare_cached(
                "SELECT epoch, cursor_unit, cursor_clearance FROM sync_state WHERE account = ?1",
            )?
            .query_row([account.key()], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .optional()?
            .unwrap_or_default();
        if let (Some(now), Some(before)) = (&page.epoch, &epoch) {
            if now != before {
                return Ok(Some(CursorReset::ServerRestored));
            }
        }
        if page.head_seq.is_some_and(|head| sent > head) {
            return Ok(Some(CursorReset::ServerRestored));
        }
        if let (Some(now), Some(before)) = (&page.unit, &unit) {
            if now.0 != *before {
                return Ok(Some(CursorReset::UnitChanged));
            }
        }
        if let Some(now) = page.clearance {
            // Before these columns were kept, the cursor was built at the clearance
            // the user logged in with.
            let before = match clearance {
                Some(text) => enum_parse(&text)?,
                None => account.user.clearance,
            };
            if now > before {
                return Ok(Some(CursorReset::ClearanceRaised));
            }
        }
        Ok(None)
    }

    /// Gives the account's cursor up, in one transaction: back to 0, tied to the log
    /// the page describes. After a server restore, the commands the server had
    /// accepted are made pending again, to be sent again (the server answers a command
    /// it kept with its original outcome, so nothing is doubled), and the restore is
    /// recorded for the user to see. The saved account takes the unit and clearance
    /// the server now gives the user. Nothing else local changes: the pull from 0
    /// re-applies the log, which stores no document twice.
    pub fn reset_cursor(
        &mut self,
        account: &Account,
        page: &ChangesPage,
        why: CursorReset,
    ) -> Result<u64, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let key = account.key();
        tx.execute(
            "INSERT INTO sync_state(account) VALUES (?1) ON CONFLICT (account) DO NOTHING",
            [&key],
        )?;
        tx.execute(
            "UPDATE sync_state SET cursor = 0, epoch = ?2, cursor_unit = ?3, cursor_clearance = ?4
             WHERE account = ?1",
            params![
                key,
                page.epoch,
                page.unit.as_ref().map(|u| u.0.clone()),
                page.clearance.as_ref().map(|c| c.as_str())
            ],
        )?;
        let mut repushed = 0;
        if why == CursorReset::ServerRestored {
            repushed = tx.execute(
                // Only this account's: another account's accepted commands go again when
                // that account meets the restored server itself.
                "UPDATE outbox SET state = 'pending', last_error = NULL
                 WHERE state = 'accepted' AND account = ?1",
                [&key],
            )? as u64;
            tx.execute(
                "UPDATE sync_state SET restored_at = ?2, repushed = ?3 WHERE account = ?1",
                params![key, rfc3339(&now()), repushed as i64],
            )?;
        }
        // The remembered account and, when it is this one, the logged-in session (whose
        // clearance decides what the store shows): a raised clearance shows what
        // arrives for it at once.
        for setting in [KEY_ACCOUNT, crate::access::KEY_SESSION] {
            let saved: Option<Account> = tx
                .query_row(
                    "SELECT value FROM settings WHERE key = ?1",
                    [setting],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .map(|text| from_json(&text))
                .transpose()?;
            if let Some(mut saved) = saved.filter(|a| a.key() == key) {
                if let Some(unit) = &page.unit {
                    saved.user.unit = unit.clone();
                }
                if let Some(clearance) = page.clearance {
                    saved.user.clearance = clearance;
                }
                put_setting(&tx, setting, Some(&json(&saved)?))?;
            }
        }
        tx.commit()?;
        Ok(repushed)
    }

    /// Records how a sync of an account ended: `Ok` sets the last sync time and clears
    /// the last error; `Err(message)` keeps the last sync time and sets the error. The
    /// cursor is never touched here (an error never resets it).
    pub fn record_sync(
        &mut self,
        account: &Account,
        result: Result<(), &str>,
    ) -> Result<(), StoreError> {
        let at = rfc3339(&now());
        match result {
            Ok(()) => self.conn.execute(
                "INSERT INTO sync_state(account, last_sync_at) VALUES (?1, ?2)
                 ON CONFLICT (account) DO UPDATE SET last_sync_at = ?2, last_error = NULL, last_error_at = NULL",
                params![account.key(), at],
            )?,
            Err(message) => self.conn.execute(
                "INSERT INTO sync_state(account, last_error, last_error_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account) DO UPDATE SET last_error = ?2, last_error_at = ?3",
                params![account.key(), message, at],
            )?,
        };
        Ok(())
    }

    /// Applies a page of the account's change log and stores its `next_cursor`, in one
    /// transaction: all or nothing. Applying a change again is harmless (documents are
    /// keyed by id; statuses are set, not toggled), and the cursor never moves back.
    ///
    /// * `Received`: the document is stored once, as 收文 (`Incoming`), with who sent
    ///   it and this unit's delivery.
    /// * `Sent`: the document becomes `Dispatched` with its deliveries (also on the
    ///   sender's other clients, which get the document itself). If the local latest
    ///   version differs from what was sent, what was sent is appended as a new version:
    ///   the earlier versions stay.
    /// * `Delivery`: that recipient's status, reason, who and when.
    ///
    /// The page's new documents are stored together, as [`Store::import`] stores a
    /// batch, and the search index is not merged in this transaction: run
    /// [`Store::maintain`] at idle time (the sync loop does, after each round).
    pub fn apply_changes(
        &mut self,
        account: &Account,
        page: &ChangesPage,
    ) -> Result<ApplyReport, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let key = account.key();
        let mut report = ApplyReport {
            changes: page.changes.len(),
            ..ApplyReport::default()
        };
        // New documents are stored together at the end of the page, the way an import
        // stores its batch (one search segment per page instead of one per document,
        // and no merging inside this commit: see `begin_bulk_merging`). A change about a
        // document still waiting in the batch writes the batch first, so every change
        // sees the ones before it, as if applied one by one.
        begin_bulk_merging(&tx, crate::schema::SYNC_CRISISMERGE)?;
        let mut batch = NewBatch::default();
        for change in &page.changes {
            if batch.ids.contains(&change.entry.document_id()) {
                batch.write(&tx)?;
            }
            if apply_change(&tx, account, &key, &change.entry, &mut batch)? {
                report.new_documents += 1;
            }
        }
        batch.write(&tx)?;
        end_bulk_merging(&tx)?;
        let next = i64::try_from(page.next_cursor)
            .map_err(|_| StoreError::BadRecord(format!("cursor {} too large", page.next_cursor)))?;
        // The log the cursor belongs to, so a later page can show it void (see
        // `cursor_void`); a page that does not say keeps what is known.
        tx.prepare_cached(
            "INSERT INTO sync_state(account, cursor, epoch, cursor_unit, cursor_clearance)
                 VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (account) DO UPDATE SET cursor = max(cursor, excluded.cursor),
                 epoch = COALESCE(excluded.epoch, epoch),
                 cursor_unit = COALESCE(excluded.cursor_unit, cursor_unit),
                 cursor_clearance = COALESCE(excluded.cursor_clearance, cursor_clearance)",
        )?
        .execute(params![
            key,
            next,
            page.epoch,
            page.unit.as_ref().map(|u| u.0.clone()),
            page.clearance.as_ref().map(|c| c.as_str())
        ])?;
        let cursor: i64 = tx.query_row(
            "SELECT cursor FROM sync_state WHERE account = ?1",
            [&key],
            |r| r.get(0),
        )?;
        tx.commit()?;
        report.cursor = u64::try_from(cursor).unwrap_or(0);
        Ok(report)
    }
}

/// Applies one change; true when it stored a document this store did not have.
fn apply_change<'a>(
    tx: &Transaction<'_>,
    account: &Account,
    key: &str,
    entry: &'a ChangeEntry,
    batch: &mut NewBatch<'a>,
) -> Result<bool, StoreError> {
    match entry {
        ChangeEntry::Received {
            document_id,
            document,
            content_hash,
            from,
            role,
            by,
            at,
        } => {
            check_hash(*document_id, document, content_hash);
            tx.prepare_cached(
                "INSERT INTO exchanged(document_id, direction, content_hash, from_unit, role, by, at, account)
                 VALUES (?1, 'received', ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (document_id) DO NOTHING",
            )?
            .execute(params![
                document_id.to_string(),
                content_hash,
                from.0,
                role.as_str(),
                by,
                at,
                key
            ])?;
            // The initial status; a later change (re-applied or not) wins. A newer
            // arrival of a document we hold is its 重新分发 after our 退回: 已送达 again.
            tx.prepare_cached(
                "INSERT INTO deliveries(document_id, unit, role, status, reason, by, at, position)
                 VALUES (?1, ?2, ?3, 'delivered', NULL, ?4, ?5, 0)
                 ON CONFLICT (document_id, unit) DO UPDATE SET status = excluded.status,
                    reason = NULL, by = excluded.by, at = excluded.at
                 WHERE excluded.at > deliveries.at",
            )?
            .execute(params![
                document_id.to_string(),
                account.user.unit.0,
                role.as_str(),
                by,
                at
            ])?;
            let meta = VersionMeta::new(VersionReason::Received, by.clone());
            let new = batch.add_if_missing(
                tx,
                *document_id,
                document,
                DocStatus::Incoming,
                meta.clone(),
            )?;
            if !new {
                received_again(tx, *document_id, document, content_hash, by, at, &meta)?;
            }
            want_attachments(tx, *document_id, document)?;
            Ok(new)
        }
        ChangeEntry::Sent {
            document_id,
            document,
            content_hash,
            deliveries,
        } => {
            check_hash(*document_id, document, content_hash);
            let (by, at) = deliveries
                .first()
                .map(|d| (d.by.clone(), d.at.clone()))
                .unwrap_or_default();
            tx.prepare_cached(
                "INSERT INTO exchanged(document_id, direction, content_hash, from_unit, role, by, at, account)
                 VALUES (?1, 'sent', ?2, ?3, NULL, ?4, ?5, ?6) ON CONFLICT (document_id) DO NOTHING",
            )?
            .execute(params![
                document_id.to_string(),
                content_hash,
                account.user.unit.0,
                by,
                at,
                key
            ])?;
            // This 分发 (or a later change of its recipients) was applied already: after a
            // 退回 the clerk's revisions are the latest, not an old sent text, and the
            // document stays 已退回.
            let mut recorded = false;
            for d in deliveries {
                recorded |= tx
                    .prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM deliveries
                         WHERE document_id = ?1 AND unit = ?2 AND at >= ?3)",
                    )?
                    .query_row(params![document_id.to_string(), d.unit.0, d.at], |r| {
                        r.get::<_, bool>(0)
                    })?;
            }
            for (i, d) in deliveries.iter().enumerate() {
                // A 重新分发 lists the units that returned it, 已送达 again; an older
                // entry applied again changes nothing.
                tx.prepare_cached(
                    "INSERT INTO deliveries(document_id, unit, role, status, reason, by, at, position)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (document_id, unit) DO UPDATE SET status = excluded.status,
                        reason = excluded.reason, by = excluded.by, at = excluded.at
                     WHERE excluded.at > deliveries.at",
                )?
                .execute(params![
                    document_id.to_string(),
                    d.unit.0,
                    d.role.as_str(),
                    d.status.as_str(),
                    d.reason,
                    d.by,
                    d.at,
                    i as i64
                ])?;
            }
            let mut meta = VersionMeta::new(VersionReason::Sent, by.clone());
            meta.dispatched_at = Some(at.clone());
            let new = batch.add_if_missing(
                tx,
                *document_id,
                document,
                DocStatus::Dispatched,
                meta.clone(),
            )?;
            if !new {
                let h = head(tx, *document_id)?.ok_or(StoreError::NotFound(*document_id))?;
                if h.status != DocStatus::Archived && !recorded {
                    // What was sent is the record: appended as a version if the local
                    // latest differs (nothing is overwritten), then marked dispatched.
                    // Edits autosaved meanwhile are kept as a version of their own first.
                    if let Some(w) = versions::working_copy(tx, h.doc_rowid)? {
                        let kept = VersionMeta::new(VersionReason::Autosaved, w.author.clone());
                        versions::number_working_copy(tx, &h, &w, &w.saved_at, &kept)?;
                    }
                    let stored = append_version(tx, *document_id, document, &now(), &meta)?;
                    versions::mark_dispatched(tx, h.doc_rowid, stored.version, &at)?;
                    if h.status != DocStatus::Dispatched {
                        tx.prepare_cached(
                            "UPDATE documents SET status = ?1, updated_at = ?2 WHERE doc_rowid = ?3",
                        )?
                        .execute(params![
                            DocStatus::Dispatched.as_str(),
                            rfc3339(&now()),
                            h.doc_rowid
                        ])?;
                    }
                }
            }
            want_attachments(tx, *document_id, document)?;
            Ok(new)
        }
        ChangeEntry::Delivery {
            document_id,
            delivery: d,
        } => {
            tx.prepare_cached(
                "INSERT INTO deliveries(document_id, unit, role, status, reason, by, at, position)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1000)
                 ON CONFLICT (document_id, unit) DO UPDATE SET status = excluded.status,
                    reason = excluded.reason, by = excluded.by, at = excluded.at",
            )?
            .execute(params![
                document_id.to_string(),
                d.unit.0,
                d.role.as_str(),
                d.status.as_str(),
                d.reason,
                d.by,
                d.at
            ])?;
            // 退回 of our 分发: the document is 已退回 here, so the clerk sees it in the
            // list and may 修改 and 重新分发 it.
            if d.status == gongwen_core::wire::DeliveryStatus::Returned {
                tx.prepare_cached(
                    "UPDATE documents SET status = 'returned', updated_at = ?2
                     WHERE id = ?1 AND status = 'dispatched' AND EXISTS (
                        SELECT 1 FROM exchanged WHERE document_id = ?1 AND direction = 'sent')",
                )?
                .execute(params![document_id.to_string(), rfc3339(&now())])?;
            }
            Ok(false)
        }
        ChangeEntry::Handling {
            document_id,
            handling,
            document,
            content_hash,
        } => apply_handling(
            tx,
            *document_id,
            handling,
            document.as_deref(),
            content_hash,
            batch,
        ),
        ChangeEntry::Transfer { transfer } => {
            // The whole record each time: the later entry (a decision) replaces the
            // earlier (arrival); an older one applied again never goes back.
            let rank = |s: gongwen_core::transfer::TransferStatus| match s {
                gongwen_core::transfer::TransferStatus::Arrived => 0,
                _ => 1,
            };
            let current: Option<String> = tx
                .prepare_cached("SELECT status FROM transfers WHERE id = ?1")?
                .query_row([transfer.id.to_string()], |r| r.get(0))
                .optional()?;
            let newer = current
                .as_deref()
                .and_then(gongwen_core::transfer::TransferStatus::parse)
                .is_none_or(|c| rank(transfer.status) >= rank(c));
            if newer {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO transfers(id, from_unit, to_unit, status, sent_at, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    transfer.id.to_string(),
                    transfer.from.0,
                    transfer.to.0,
                    transfer.status.as_str(),
                    transfer.sent_at,
                    json(transfer)?
                ])?;
            }
            Ok(false)
        }
    }
}

/// A document we hold arrives again: a 重新分发 after our 退回 (when newer than what we
/// recorded). Its text is appended as a new version (the returned one stays in the
/// history), and it is a new arrival: unread again, dated by this dispatch.
#[allow(clippy::too_many_arguments)]
fn received_again(
    tx: &Transaction<'_>,
    id: DocumentId,
    document: &Document,
    content_hash: &str,
    by: &str,
    at: &str,
    meta: &VersionMeta,
) -> Result<(), StoreError> {
    let newer = tx
        .prepare_cached(
            "UPDATE exchanged SET content_hash = ?2, by = ?3, at = ?4
             WHERE document_id = ?1 AND direction = 'received' AND at < ?4",
        )?
        .execute(params![id.to_string(), content_hash, by, at])?;
    if newer == 0 {
        return Ok(());
    }
    let Some(h) = head(tx, id)? else {
        return Err(StoreError::NotFound(id));
    };
    if h.status == DocStatus::Archived {
        return Ok(());
    }
    append_version(tx, id, document, &now(), meta)?;
    tx.prepare_cached("DELETE FROM read_marks WHERE document_id = ?1")?
        .execute([id.to_string()])?;
    Ok(())
}

/// A unit's handling as the server sent it, whole: stored over what was there. The
/// version it carries (a 核稿 edit, the numbered version after 编号) becomes the local
/// latest, appended so nothing is overwritten; a 会签 unit gets the document here.
fn apply_handling<'a>(
    tx: &Transaction<'_>,
    document_id: DocumentId,
    handling: &Handling,
    document: Option<&'a Document>,
    content_hash: &str,
    batch: &mut NewBatch<'a>,
) -> Result<bool, StoreError> {
    tx.prepare_cached(
        "INSERT INTO handlings(document_id, unit, flow, step, step_kind, finished, deadline, content)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (document_id, unit) DO UPDATE SET flow = excluded.flow, step = excluded.step,
            step_kind = excluded.step_kind, finished = excluded.finished,
            deadline = excluded.deadline, content = excluded.content",
    )?
    .execute(params![
        document_id.to_string(),
        handling.unit.0,
        handling.flow.as_str(),
        handling.step.as_str(),
        handling.step_kind.as_str(),
        handling.finished,
        handling.deadline,
        json(handling)?
    ])?;
    let Some(document) = document else {
        return Ok(false);
    };
    check_hash(document_id, document, content_hash);
    let status = match handling.flow {
        FlowKind::Outgoing if handling.unit_is_past_sign_off() => DocStatus::SignedOff,
        FlowKind::Outgoing => DocStatus::Draft,
        FlowKind::Incoming => DocStatus::Incoming,
    };
    // The version is the one the last step produced: who took it and at which step.
    let last = handling.trail.last();
    let author = last.map(|e| e.by.clone()).unwrap_or_default();
    let mut meta = VersionMeta::new(VersionReason::Step, author.clone());
    meta.step = last.map(|e| e.kind.label().to_string());
    let new = batch.add_if_missing(tx, document_id, document, status, meta.clone())?;
    if !new {
        if let Some(h) = head(tx, document_id)? {
            if matches!(h.status, DocStatus::Draft | DocStatus::SignedOff) {
                let stored = append_version(tx, document_id, document, &now(), &meta)?;
                // The version a 签发 stood on is marked 已签发, as 历史版本 shows it.
                if last.is_some_and(|e| {
                    e.kind == gongwen_core::flow::StepKind::SignOff
                        && matches!(e.action, gongwen_core::handling::StepAction::Finish { .. })
                }) {
                    tx.prepare_cached(
                        "UPDATE versions SET signed_off_at = ?3, signed_off_by = ?4
                         WHERE doc_rowid = ?1 AND version = ?2 AND signed_off_at IS NULL",
                    )?
                    .execute(params![
                        h.doc_rowid,
                        stored.version,
                        last.map(|e| e.at.clone()),
                        author
                    ])?;
                }
                if h.status != status && status == DocStatus::SignedOff {
                    tx.prepare_cached(
                        "UPDATE documents SET status = ?1, updated_at = ?2 WHERE doc_rowid = ?3",
                    )?
                    .execute(params![
                        status.as_str(),
                        rfc3339(&now()),
                        h.doc_rowid
                    ])?;
                }
            }
        }
    }
    want_attachments(tx, document_id, document)?;
    Ok(new)
}

fn check_hash(document_id: DocumentId, document: &Document, expected: &str) {
    let local = gongwen_core::workflow::content_hash(document);
    if local != expected {
        // Kept anyway: the server's copy is the record, and refusing would stall the
        // sync forever. The mismatch is logged for `gongwen sync status`/support.
        tracing::warn!(
            "document {document_id}: content hash {local} differs from the server's {expected}"
        );
    }
}

/// New documents of a page, stored together by [`NewBatch::write`].
#[derive(Default)]
struct NewBatch<'a> {
    docs: Vec<NewDocument<'a>>,
    ids: HashSet<DocumentId>,
}

impl<'a> NewBatch<'a> {
    /// Queues the document under its exchange id unless it is stored or queued
    /// already; true if new.
    fn add_if_missing(
        &mut self,
        tx: &Transaction<'_>,
        id: DocumentId,
        document: &'a Document,
        status: DocStatus,
        meta: VersionMeta,
    ) -> Result<bool, StoreError> {
        if self.ids.contains(&id) || head(tx, id)?.is_some() {
            return Ok(false);
        }
        self.ids.insert(id);
        self.docs.push(NewDocument {
            id,
            document,
            status,
            meta,
        });
        Ok(true)
    }

    /// Stores the queued documents (see `store::insert_batch`) and empties the batch.
    fn write(&mut self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        insert_batch(tx, &self.docs, &now())?;
        self.docs.clear();
        self.ids.clear();
        Ok(())
    }
}
