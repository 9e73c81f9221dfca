//! 归档 records: which documents are filed, under which 档号, with which 保管期限 and
//! package digests, and every extension of a 保管期限. A filed document is frozen:
//! the store refuses to edit, re-file or delete it (here and in the triggers of
//! migration 9), naming its 档号. Packaging and checking are `gongwen-archive`'s.

use gongwen_core::archival::{ArchivalCode, RetentionPeriod};
use gongwen_core::handling::Handling;
use gongwen_core::DocumentId;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::store::{now, parse_id, rfc3339};
use crate::{StoreError, StoredDocument};

/// A filed document's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingRecord {
    pub document_id: DocumentId,
    pub archival_code: ArchivalCode,
    /// The current 保管期限 (the 档号 keeps the one it was filed with).
    pub retention: RetentionPeriod,
    pub title: String,
    /// The package XML, relative to the batch folder.
    pub package_path: String,
    pub package_sha256: String,
    pub package_sm3: String,
    /// RFC 3339, UTC.
    pub filed_at: String,
    pub filed_by: String,
}

/// One extension of a 保管期限.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionChange {
    pub archival_code: String,
    pub old: RetentionPeriod,
    pub new: RetentionPeriod,
    pub changed_at: String,
    pub changed_by: String,
    pub reason: String,
}

/// A finished (办结/核发) document not filed yet, with its handlings.
#[derive(Debug, Clone)]
pub struct FilingCandidate {
    pub stored: StoredDocument,
    pub handlings: Vec<Handling>,
}

/// The 档号 a document is filed under, if it is.
pub(crate) fn filed_code(conn: &Connection, id: DocumentId) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT archival_code FROM filings WHERE document_id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?)
}

const FILING_COLUMNS: &str = "document_id, archival_code, retention, title, package_path, \
     package_sha256, package_sm3, filed_at, filed_by";

fn filing_from_row(r: &rusqlite::Row<'_>) -> Result<FilingRecord, StoreError> {
    let id: String = r.get(0)?;
    let code: String = r.get(1)?;
    let retention: String = r.get(2)?;
    Ok(FilingRecord {
        document_id: parse_id(&id)?,
        archival_code: code
            .parse()
            .map_err(|e| StoreError::BadRecord(format!("filing {code}: {e}")))?,
        retention: enum_parse_retention(&retention)?,
        title: r.get(3)?,
        package_path: r.get(4)?,
        package_sha256: r.get(5)?,
        package_sm3: r.get(6)?,
        filed_at: r.get(7)?,
        filed_by: r.get(8)?,
    })
}

impl crate::Store {
    /// Every document of `year` whose handling in this store is finished (发文 核发,
    /// 收文 办结) and that is not filed, oldest first, as far as the logged-in account
    /// may see.
    pub fn filing_candidates(&self, year: u16) -> Result<Vec<FilingCandidate>, StoreError> {
        let ids: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT d.id FROM documents d
                 WHERE d.year = ?1
                   AND EXISTS (SELECT 1 FROM handlings h WHERE h.document_id = d.id AND h.finished)
                   AND NOT EXISTS (SELECT 1 FROM filings f WHERE f.document_id = d.id)
                 ORDER BY d.sort_key",
            )?
            .query_map([year], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for id in ids {
            let id = parse_id(&id)?;
            if let Some(stored) = self.get(id)? {
                let handlings = self.handlings(id)?;
                out.push(FilingCandidate { stored, handlings });
            }
        }
        Ok(out)
    }

    /// The next free 件号 in a class (`ArchivalCode::class_key`): one after the
    /// highest filed, so numbering continues across batches.
    pub fn next_item_number(&self, class_key: &str) -> Result<u32, StoreError> {
        let max: Option<u32> = self
            .conn
            .prepare_cached("SELECT max(item_number) FROM filings WHERE class_key = ?1")?
            .query_row([class_key], |r| r.get(0))?;
        Ok(max.unwrap_or(0) + 1)
    }

    /// Records a batch of filings in one transaction (all or none) and marks each
    /// document 已归档. Refuses a document already filed ([`StoreError::Filed`], naming
    /// its 档号), a 档号 already taken, and a document that does not exist.
    pub fn record_filings(&mut self, records: &[FilingRecord]) -> Result<(), StoreError> {
        for r in records {
            self.check_visible(r.document_id)?;
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for r in records {
            let id = r.document_id;
            if let Some(archival_code) = filed_code(&tx, id)? {
                return Err(StoreError::Filed { id, archival_code });
            }
            let code = r.archival_code.to_string();
            let taken: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM filings WHERE archival_code = ?1 OR (class_key = ?2 AND item_number = ?3))")?
                .query_row(
                    params![code, r.archival_code.class_key(), r.archival_code.item_number],
                    |row| row.get(0),
                )?;
            if taken {
                return Err(StoreError::ArchivalCodeTaken(code));
            }
            let exists = tx
                .prepare_cached("UPDATE documents SET status = status WHERE id = ?1")?
                .execute([id.to_string()])?;
            if exists == 0 {
                return Err(StoreError::NotFound(id));
            }
            tx.prepare_cached(&format!(
                "INSERT INTO filings ({FILING_COLUMNS}, class_key, item_number, year, org_code)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
            ))?
            .execute(params![
                id.to_string(),
                code,
                r.retention.code(),
                r.title,
                r.package_path,
                r.package_sha256,
                r.package_sm3,
                r.filed_at,
                r.filed_by,
                r.archival_code.class_key(),
                r.archival_code.item_number,
                r.archival_code.year,
                r.archival_code.org_code,
            ])?;
            tx.prepare_cached(
                "UPDATE documents SET status = 'archived', updated_at = ?2 WHERE id = ?1",
            )?
            .execute(params![id.to_string(), r.filed_at])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The filing record of a document, if it is filed.
    pub fn filing(&self, id: DocumentId) -> Result<Option<FilingRecord>, StoreError> {
        let row = self
            .conn
            .prepare_cached(&format!(
                "SELECT {FILING_COLUMNS} FROM filings WHERE document_id = ?1"
            ))?
            .query_row([id.to_string()], |r| Ok(filing_from_row(r)))
            .optional()?;
        row.transpose()
    }

    /// Every filing record (of one 年度, or all), in 档号 order.
    pub fn filings(&self, year: Option<u16>) -> Result<Vec<FilingRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {FILING_COLUMNS} FROM filings WHERE ?1 IS NULL OR year = ?1
             ORDER BY class_key, item_number"
        ))?;
        let mut rows = stmt.query([year])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(filing_from_row(r)?);
        }
        Ok(out)
    }

    /// Extends the 保管期限 of a filed document and records who, when and why. A
    /// shorter or equal period is refused ([`StoreError::RetentionNotExtended`]).
    pub fn extend_retention(
        &mut self,
        id: DocumentId,
        to: RetentionPeriod,
        by: &str,
        reason: &str,
    ) -> Result<FilingRecord, StoreError> {
        let record = self.filing(id)?.ok_or(StoreError::NotFound(id))?;
        let code = record.archival_code.to_string();
        if to.rank() <= record.retention.rank() || to.is_legacy() {
            return Err(StoreError::RetentionNotExtended {
                archival_code: code,
                current: record.retention.label().into(),
                wanted: to.label().into(),
            });
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = rfc3339(&now());
        tx.execute(
            "UPDATE filings SET retention = ?2 WHERE document_id = ?1",
            params![id.to_string(), to.code()],
        )?;
        tx.execute(
            "INSERT INTO retention_changes
             (document_id, archival_code, old_retention, new_retention, changed_at, changed_by, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id.to_string(),
                code,
                record.retention.code(),
                to.code(),
                at,
                by,
                reason
            ],
        )?;
        tx.commit()?;
        self.filing(id)?.ok_or(StoreError::NotFound(id))
    }

    /// Every change of a filed document's 保管期限, oldest first.
    pub fn retention_changes(&self, id: DocumentId) -> Result<Vec<RetentionChange>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT archival_code, old_retention, new_retention, changed_at, changed_by, reason
             FROM retention_changes WHERE document_id = ?1 ORDER BY rowid",
        )?;
        let mut rows = stmt.query([id.to_string()])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let old: String = r.get(1)?;
            let new: String = r.get(2)?;
            out.push(RetentionChange {
                archival_code: r.get(0)?,
                old: enum_parse_retention(&old)?,
                new: enum_parse_retention(&new)?,
                changed_at: r.get(3)?,
                changed_by: r.get(4)?,
                reason: r.get(5)?,
            });
        }
        Ok(out)
    }
}

/// A stored 保管期限 code read back.
fn enum_parse_retention(code: &str) -> Result<RetentionPeriod, StoreError> {
    match code {
        "C" => Ok(RetentionPeriod::Long),
        "D" => Ok(RetentionPeriod::Short),
        other => RetentionPeriod::from_code(other)
            .map_err(|e| StoreError::BadRecord(format!("retention: {e}"))),
    }
}

impl crate::Store {
    /// The transfers (移交) the exchange's log brought to this desk, newest first: the
    /// 移交与接收登记表 this side keeps. Only for the logged-in account's unit (sender or
    /// archive) and within its clearance; nothing with nobody logged in.
    pub fn transfers(&self) -> Result<Vec<gongwen_core::transfer::Transfer>, StoreError> {
        let Some(account) = self.signed_in()? else {
            return Ok(Vec::new());
        };
        let unit = account.user.unit.0.clone();
        let mut stmt = self.conn.prepare(
            "SELECT body FROM transfers WHERE from_unit = ?1 OR to_unit = ?1
             ORDER BY sent_at DESC, id",
        )?;
        let bodies = stmt
            .query_map([&unit], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        for body in bodies {
            let t: gongwen_core::transfer::Transfer = serde_json::from_str(&body)
                .map_err(|e| StoreError::BadRecord(format!("a stored transfer: {e}")))?;
            if t.classification <= account.user.clearance {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// One transfer as [`crate::Store::transfers`] shows it.
    pub fn transfer(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<gongwen_core::transfer::Transfer>, StoreError> {
        Ok(self.transfers()?.into_iter().find(|t| t.id == id))
    }
}
