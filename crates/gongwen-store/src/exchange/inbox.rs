//! What came over the exchange as this store keeps it: received documents (收文, the
//! inbox) with who has read them, and the deliveries and server content hash of every
//! exchanged document.
//!
//! Unread (未读) is per user: a received document the logged-in account has not opened
//! ([`Store::mark_read`]) while it still waits for this unit's 签收 or 退回. A document
//! the unit has answered is no longer news, whoever answered it; so a store upgraded
//! to read marks does not greet its users with every old 收文 as unread. With nobody
//! logged in nothing is unread: there is no reader.

use gongwen_core::wire::{Delivery, DeliveryStatus, RecipientRole, UnitCode};
use gongwen_core::DocumentId;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use crate::model::DocumentSummary;
use crate::store::{enum_parse, summary_from_row, SUMMARY_COLUMNS};
use crate::{Store, StoreError};

/// A received document (收文) as the exchange delivered it to this unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct IncomingInfo {
    pub document_id: DocumentId,
    /// The sending unit.
    pub from: UnitCode,
    /// 主送 or 抄送.
    pub role: RecipientRole,
    /// Username of the dispatcher.
    pub by: String,
    /// When it was dispatched (RFC 3339).
    pub at: String,
    /// SHA-256 of the document as the server holds it.
    pub content_hash: String,
    /// Where it stands at this unit (已送达 / 已签收 / 已退回), as the server last said.
    pub status: DeliveryStatus,
    pub reason: Option<String>,
}

/// A line of the inbox (收文).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct InboxItem {
    pub summary: DocumentSummary,
    pub incoming: IncomingInfo,
    /// A 签收 or 退回 of this document is queued and not yet answered (待同步).
    pub pending: bool,
    /// The logged-in user has not opened it, and it waits for this unit's answer.
    pub unread: bool,
}

/// The SQL condition on `e` (exchanged), `dl` (deliveries) and `r` (the reader's
/// read mark) that makes a received document unread.
const UNREAD: &str = "r.document_id IS NULL AND coalesce(dl.status, 'delivered') = 'delivered'";

impl Store {
    /// Per-recipient delivery status of a document, 主送 first then 抄送, each in the
    /// order dispatched (for a received document: only this unit's).
    pub fn deliveries(&self, document_id: DocumentId) -> Result<Vec<Delivery>, StoreError> {
        if !self.is_visible(document_id)? {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT unit, role, status, reason, by, at FROM deliveries WHERE document_id = ?1
             ORDER BY role = 'cc', position, unit",
        )?;
        let rows = stmt.query_map([document_id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (unit, role, status, reason, by, at) = row?;
            out.push(Delivery {
                unit: UnitCode(unit),
                role: enum_parse(&role)?,
                status: enum_parse(&status)?,
                reason,
                by,
                at,
            });
        }
        Ok(out)
    }

    /// How a received document came here and where it stands at this unit; `None`
    /// for a document that was not received over the exchange.
    pub fn incoming(&self, document_id: DocumentId) -> Result<Option<IncomingInfo>, StoreError> {
        Ok(self
            .incoming_where("e.document_id = ?1", &[document_id.to_string()])?
            .pop()
            .map(|(info, _, _)| info))
    }

    /// The inbox (收文): every received document, newest dispatch first, with this
    /// unit's status and whether a step on it is pending.
    pub fn inbox(&self) -> Result<Vec<InboxItem>, StoreError> {
        self.inbox_where("1 = 1")
    }

    /// The inbox's unread documents (see the module doc), newest first: the same
    /// query as [`Store::inbox`], so the 收文箱's count and its bold rows agree.
    pub fn unread_arrivals(&self) -> Result<Vec<InboxItem>, StoreError> {
        if self.signed_in()?.is_none() {
            return Ok(Vec::new());
        }
        self.inbox_where(UNREAD)
    }

    /// Marks received document `id` as read by the logged-in user (opened in the
    /// reading view). `false` when nothing changed: already read, nobody logged in, or
    /// not a received document this user may see.
    pub fn mark_read(&mut self, id: DocumentId) -> Result<bool, StoreError> {
        let Some(reader) = self.signed_in()? else {
            return Ok(false);
        };
        let visible = crate::access::visible("d.classification", self.clearance()?);
        let written = self.conn.execute(
            &format!(
                "INSERT OR IGNORE INTO read_marks (document_id, reader, read_at)
                 SELECT e.document_id, ?2, ?3
                 FROM exchanged e JOIN documents d ON d.id = e.document_id
                 WHERE e.document_id = ?1 AND e.direction = 'received' AND {visible}"
            ),
            rusqlite::params![
                id.to_string(),
                reader.key(),
                crate::store::rfc3339(&crate::store::now())
            ],
        )?;
        Ok(written > 0)
    }

    fn inbox_where(&self, condition: &str) -> Result<Vec<InboxItem>, StoreError> {
        let mut items = Vec::new();
        for (incoming, summary, unread) in self.incoming_where(condition, &[])? {
            let pending = !self.pending_for(incoming.document_id)?.is_empty();
            items.push(InboxItem {
                summary,
                incoming,
                pending,
                unread,
            });
        }
        Ok(items)
    }

    fn incoming_where(
        &self,
        condition: &str,
        values: &[String],
    ) -> Result<Vec<(IncomingInfo, DocumentSummary, bool)>, StoreError> {
        let columns: String = SUMMARY_COLUMNS
            .split(", ")
            .map(|c| format!("d.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let visible = crate::access::visible("d.classification", self.clearance()?);
        // Nobody logged in: no reader, so nothing is unread (the '' key matches no mark,
        // hence the explicit test).
        let reader = self.signed_in()?.map(|a| a.key());
        let n = values.len();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {columns}, e.from_unit, e.role, e.by, e.at, e.content_hash, dl.status, dl.reason,
                    ?{reader_flag} AND {UNREAD}
             FROM exchanged e JOIN documents d ON d.id = e.document_id
             LEFT JOIN deliveries dl ON dl.document_id = e.document_id
             LEFT JOIN read_marks r ON r.document_id = e.document_id AND r.reader = ?{reader_key}
             WHERE e.direction = 'received' AND ({condition}) AND {visible}
             ORDER BY e.at DESC, d.sort_key DESC",
            reader_flag = n + 1,
            reader_key = n + 2,
        ))?;
        let params = values
            .iter()
            .map(|v| rusqlite::types::Value::Text(v.clone()))
            .chain([
                rusqlite::types::Value::Integer(i64::from(reader.is_some())),
                rusqlite::types::Value::Text(reader.unwrap_or_default()),
            ]);
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let summary = summary_from_row(r)?;
            let role: Option<String> = r.get(12)?;
            let status: Option<String> = r.get(16)?;
            out.push((
                IncomingInfo {
                    document_id: summary.id,
                    from: UnitCode(r.get(11)?),
                    role: enum_parse(role.as_deref().unwrap_or("main"))?,
                    by: r.get(13)?,
                    at: r.get(14)?,
                    content_hash: r.get(15)?,
                    status: status
                        .as_deref()
                        .map(enum_parse)
                        .transpose()?
                        .unwrap_or(DeliveryStatus::Delivered),
                    reason: r.get(17)?,
                },
                summary,
                r.get(18)?,
            ));
        }
        Ok(out)
    }

    /// The server's content hash of an exchanged document (sent or received).
    pub fn exchanged_hash(&self, document_id: DocumentId) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT content_hash FROM exchanged WHERE document_id = ?1")?
            .query_row([document_id.to_string()], |r| r.get(0))
            .optional()?)
    }
}
