//! May this document be edited? The one rule, kept here for every write a user makes
//! that changes a document's content or its files (`Store::save_draft`,
//! `Store::add_staged_file`), checked inside that write's transaction, and asked by
//! the app and the CLI (`Store::read_only`) to show a document read-only.
//!
//! A document may be edited while it is this unit's own and has not left for the
//! exchange: not archived, not received from another unit, not dispatched (the server
//! accepted the 分发, or its change arrived), and no 分发 of it queued (待同步). What
//! is sent must be what was saved and queued; a refused 分发 makes it editable again.
//! The sync's own writes (the server's record of what was sent) do not go through
//! this rule: they are the record.

use gongwen_core::{DocStatus, DocumentId};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Why a document cannot be edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadOnly {
    /// 已归档.
    Archived,
    /// 收文: another unit's document.
    Received,
    /// 已分发: the server accepted this unit's 分发.
    Dispatched,
    /// A 分发 of it is queued (待同步): what is sent is what was queued.
    DispatchQueued,
}

impl ReadOnly {
    /// The sentence the UI shows, in Chinese.
    pub fn message_zh(self) -> &'static str {
        match self {
            ReadOnly::Archived => "该公文已归档，不能再修改。",
            ReadOnly::Received => "这是其他单位发来的收文，不能修改。",
            ReadOnly::Dispatched => "该公文已分发，不能再修改。",
            ReadOnly::DispatchQueued => "该公文的分发已在同步队列中，不能再修改。",
        }
    }

    /// The same in English, for logs and the CLI.
    pub fn message_en(self) -> &'static str {
        match self {
            ReadOnly::Archived => "is archived and can no longer be changed",
            ReadOnly::Received => "was received from another unit and cannot be changed",
            ReadOnly::Dispatched => "was dispatched and can no longer be changed",
            ReadOnly::DispatchQueued => {
                "has a dispatch queued for the exchange and can no longer be changed"
            }
        }
    }
}

/// Why document `id` (whose stored status is `status`) cannot be edited, or `None`
/// when it can. Call it on the write's transaction, so the answer holds for the write.
pub(crate) fn read_only(
    conn: &Connection,
    id: DocumentId,
    status: DocStatus,
) -> Result<Option<ReadOnly>, StoreError> {
    if status == DocStatus::Archived {
        return Ok(Some(ReadOnly::Archived));
    }
    let (received, sent, accepted, pending): (bool, bool, bool, bool) = conn
        .prepare_cached(
            "SELECT
                EXISTS (SELECT 1 FROM exchanged WHERE document_id = ?1 AND direction = 'received'),
                EXISTS (SELECT 1 FROM exchanged WHERE document_id = ?1 AND direction = 'sent'),
                EXISTS (SELECT 1 FROM outbox WHERE document_id = ?1 AND kind = 'dispatch' AND state = 'accepted'),
                EXISTS (SELECT 1 FROM outbox WHERE document_id = ?1 AND kind = 'dispatch' AND state = 'pending')",
        )?
        .query_row([id.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    Ok(if status == DocStatus::Incoming || received {
        Some(ReadOnly::Received)
    } else if status == DocStatus::Dispatched || sent || accepted {
        Some(ReadOnly::Dispatched)
    } else if pending {
        Some(ReadOnly::DispatchQueued)
    } else {
        None
    })
}

/// `Err(StoreError::ReadOnly)` when [`read_only`] says so.
pub(crate) fn check_editable(
    conn: &Connection,
    id: DocumentId,
    status: DocStatus,
) -> Result<(), StoreError> {
    if let Some(archival_code) = crate::archive::filed_code(conn, id)? {
        return Err(StoreError::Filed { id, archival_code });
    }
    match read_only(conn, id, status)? {
        Some(why) => Err(StoreError::ReadOnly { id, why }),
        None => Ok(()),
    }
}
