//! What may be done to a document now: edited, or 分发ed. The one rule, kept here
//! for every write a user makes that changes a document's content or its files
//! (`Store::save_draft`, `Store::add_staged_file`) and for queuing a 分发, checked
//! inside that write's transaction, and asked by the app and the CLI
//! (`Store::read_only`, `Store::no_dispatch`) to offer only the buttons that work.
//!
//! A document may be edited while it is this unit's own and has not left for the
//! exchange: not archived, not received from another unit, not dispatched (the server
//! accepted the 分发, or its change arrived), and no 分发 of it queued (待同步). What
//! is sent must be what was saved and queued; a refused 分发 makes it editable again.
//! Nor once its 发文 handling stands past 签发: the text a leader signed is the text
//! that goes out, and the server refuses a 核发 of any other; nor when its status alone
//! says 已签发 (imported, or set so outside any handling): what was signed is settled
//! wherever the signing happened.
//!
//! A 分发 that a recipient unit returned (已退回) is editable again, until its 重新分发
//! is queued: the clerk revises it as a new version (the 版 that was sent stays marked)
//! and sends it again to the units that returned it.
//!
//! A document may be 分发ed when nothing above but 签发 stops it, and, in a 发文
//! handling, only at its 核发 step (the server refuses it before).
//! The sync's own writes (the server's record of what was sent) do not go through
//! this rule: they are the record.

use gongwen_core::flow::StepKind;
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
    /// 已签发 in its 发文 handling (past 签发): what was signed is what goes out.
    SignedOff,
}

/// Why a document cannot be 分发ed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoDispatch {
    /// Archived, received, dispatched, or its 分发 queued already.
    ReadOnly(ReadOnly),
    /// In this unit's 发文 handling, at this step: it goes out at 核发.
    InHandling(StepKind),
}

impl NoDispatch {
    /// The sentence the UI shows, in Chinese.
    pub fn message_zh(self) -> String {
        match self {
            NoDispatch::ReadOnly(why) => why.message_zh().to_string(),
            NoDispatch::InHandling(step) => format!(
                "该公文正在发文办理中（现在“{}”环节），到“核发”环节才能分发。",
                step.label()
            ),
        }
    }

    /// The same in English, for logs and the CLI.
    pub fn message_en(self) -> String {
        match self {
            NoDispatch::ReadOnly(why) => why.message_en().to_string(),
            NoDispatch::InHandling(step) => format!(
                "is in its handling at step `{}`; it is dispatched at the dispatch step",
                step.as_str()
            ),
        }
    }
}

impl ReadOnly {
    /// The sentence the UI shows, in Chinese.
    pub fn message_zh(self) -> &'static str {
        match self {
            ReadOnly::Archived => "该公文已归档，不能再修改。",
            ReadOnly::Received => "这是其他单位发来的收文，不能修改。",
            ReadOnly::Dispatched => "该公文已分发，不能再修改。",
            ReadOnly::DispatchQueued => "该公文的分发已在同步队列中，不能再修改。",
            ReadOnly::SignedOff => "该公文已签发，不能再修改：发出的须是签发的文本。",
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
            ReadOnly::SignedOff => "was signed off: what goes out is the signed text",
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
    // 已退回 was sent and accepted, yet is open for its revision and 重新分发.
    let dispatched = status != DocStatus::Returned && (sent || accepted);
    Ok(if status == DocStatus::Incoming || received {
        Some(ReadOnly::Received)
    } else if status == DocStatus::Dispatched || dispatched {
        Some(ReadOnly::Dispatched)
    } else if pending {
        Some(ReadOnly::DispatchQueued)
    } else if status == DocStatus::SignedOff
        || outgoing_step(conn, id)?.is_some_and(|(step, finished)| finished || past_sign_off(step))
    {
        Some(ReadOnly::SignedOff)
    } else {
        None
    })
}

/// Steps of a 发文 flow that come after 签发: the text is settled from 复核 on (a
/// step that sends it back, to 核稿 say, makes it editable again).
fn past_sign_off(step: StepKind) -> bool {
    matches!(
        step,
        StepKind::Recheck | StepKind::AssignNumber | StepKind::Seal | StepKind::Dispatch
    )
}

/// The step of the document's 发文 handling and whether it is finished, if it has one.
fn outgoing_step(
    conn: &Connection,
    id: DocumentId,
) -> Result<Option<(StepKind, bool)>, StoreError> {
    use rusqlite::OptionalExtension;
    let row: Option<(String, bool)> = conn
        .prepare_cached(
            "SELECT step_kind, finished FROM handlings WHERE document_id = ?1 AND flow = 'outgoing'
             ORDER BY finished LIMIT 1",
        )?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(step, finished)| Ok((crate::store::enum_parse(&step)?, finished)))
        .transpose()
}

/// Why document `id` (stored status `status`) cannot be 分发ed now, or `None` when
/// it can. Call it on the write's transaction, so the answer holds for the write.
pub(crate) fn no_dispatch(
    conn: &Connection,
    id: DocumentId,
    status: DocStatus,
) -> Result<Option<NoDispatch>, StoreError> {
    match read_only(conn, id, status)? {
        None | Some(ReadOnly::SignedOff) => {}
        Some(why) => return Ok(Some(NoDispatch::ReadOnly(why))),
    }
    Ok(match outgoing_step(conn, id)? {
        Some((step, false)) if step != StepKind::Dispatch => Some(NoDispatch::InHandling(step)),
        _ => None,
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

/// Why a document cannot be thrown away (删除 into the 回收站).
///
/// Only a draft that never left the desk may go: never sent, never received, no
/// command of it queued for the exchange, not in a 发文 or 收文 handling, not filed,
/// not 已签发. Anything else is part of the record another unit, the exchange or the
/// archive holds too, and stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kept {
    /// 已归档.
    Filed,
    /// 收文: another unit's document.
    Received,
    /// This unit's 分发 of it was sent (accepted, or its change arrived).
    Sent,
    /// A command of it waits in the outbox (待同步): it would be sent without a document.
    Queued,
    /// In a handling (发文 or 收文 flow) on the exchange.
    InHandling,
    /// 已签发: what a leader signed stays.
    SignedOff,
}

impl Kept {
    /// The sentence the UI shows, in Chinese.
    pub fn message_zh(self) -> &'static str {
        match self {
            Kept::Filed => "该公文已归档，不能删除。",
            Kept::Received => "这是其他单位发来的收文，不能删除。",
            Kept::Sent => "该公文已分发给其他单位，不能删除。",
            Kept::Queued => {
                "该公文有操作在同步队列中等待发送，不能删除：请先在“待同步”中移除该操作。"
            }
            Kept::InHandling => "该公文已进入办理流程，不能删除。",
            Kept::SignedOff => "该公文已签发，不能删除。",
        }
    }

    /// The same in English, for logs and the CLI.
    pub fn message_en(self) -> &'static str {
        match self {
            Kept::Filed => "is filed and cannot be deleted",
            Kept::Received => "was received from another unit and cannot be deleted",
            Kept::Sent => "was dispatched to other units and cannot be deleted",
            Kept::Queued => {
                "has a command queued for the exchange; remove it from the outbox before deleting the document"
            }
            Kept::InHandling => "is in a handling on the exchange and cannot be deleted",
            Kept::SignedOff => "was signed off and cannot be deleted",
        }
    }
}

/// Why document `id` (stored status `status`) cannot go to the 回收站, or `None` when it
/// may (a draft that never left the desk). Call it on the write's transaction, so the
/// answer holds for the write.
pub(crate) fn kept(
    conn: &Connection,
    id: DocumentId,
    status: DocStatus,
) -> Result<Option<Kept>, StoreError> {
    if status == DocStatus::Archived || crate::archive::filed_code(conn, id)?.is_some() {
        return Ok(Some(Kept::Filed));
    }
    let (received, sent, queued, handled, signed, dispatched_version): (
        bool,
        bool,
        bool,
        bool,
        bool,
        bool,
    ) = conn
        .prepare_cached(
            "SELECT
                EXISTS (SELECT 1 FROM exchanged WHERE document_id = ?1 AND direction = 'received'),
                EXISTS (SELECT 1 FROM exchanged WHERE document_id = ?1 AND direction = 'sent')
                    OR EXISTS (SELECT 1 FROM outbox WHERE document_id = ?1 AND kind = 'dispatch' AND state = 'accepted')
                    OR EXISTS (SELECT 1 FROM deliveries WHERE document_id = ?1),
                EXISTS (SELECT 1 FROM outbox WHERE document_id = ?1 AND state = 'pending'),
                EXISTS (SELECT 1 FROM handlings WHERE document_id = ?1),
                EXISTS (SELECT 1 FROM versions v JOIN documents d ON d.doc_rowid = v.doc_rowid
                        WHERE d.id = ?1 AND v.signed_off_at IS NOT NULL),
                EXISTS (SELECT 1 FROM versions v JOIN documents d ON d.doc_rowid = v.doc_rowid
                        WHERE d.id = ?1 AND v.dispatched_at IS NOT NULL)",
        )?
        .query_row([id.to_string()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
    Ok(if status == DocStatus::Incoming || received {
        Some(Kept::Received)
    } else if matches!(status, DocStatus::Dispatched | DocStatus::Returned)
        || sent
        || dispatched_version
    {
        Some(Kept::Sent)
    } else if queued {
        Some(Kept::Queued)
    } else if handled {
        Some(Kept::InHandling)
    } else if status == DocStatus::SignedOff || signed {
        Some(Kept::SignedOff)
    } else {
        None
    })
}

/// Whether a document's status may move from `from` to `to` ([`Store::set_status`]).
/// Where a document stands only moves forward:
///
/// * 草稿 → 已签发, 已分发 (a document settled outside this desk, e.g. imported);
/// * 已签发 → 已分发;
/// * 已分发 → 已退回 (a recipient returned it), 已退回 → 已分发 (重新分发);
/// * any → 已归档, and the same status again (nothing changes);
///
/// and never back: a document that was 签发ed or dispatched does not become a 草稿 (or
/// 已签发) again, a 收文 stays a 收文, and nothing becomes a 收文
/// by a status change (only the exchange makes one). An archived document stays
/// archived (`StoreError::Archived`, checked by the caller).
///
/// [`Store::set_status`]: crate::Store::set_status
pub(crate) fn status_moves(from: DocStatus, to: DocStatus) -> bool {
    use DocStatus::*;
    from == to
        || to == Archived
        || matches!(
            (from, to),
            (Draft, SignedOff)
                | (Draft, Dispatched)
                | (SignedOff, Dispatched)
                | (Dispatched, Returned)
                | (Returned, Dispatched)
        )
}
