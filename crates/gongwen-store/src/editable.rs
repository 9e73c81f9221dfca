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
//! that goes out, and the server refuses a 核发 of any other. (A document whose status
//! alone says 已签发, imported or set so outside any handling, is still editable: the
//! tests and tools that prepare such documents add files to them.)
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
    Ok(if status == DocStatus::Incoming || received {
        Some(ReadOnly::Received)
    } else if status == DocStatus::Dispatched || sent || accepted {
        Some(ReadOnly::Dispatched)
    } else if pending {
        Some(ReadOnly::DispatchQueued)
    } else if outgoing_step(conn, id)?
        .is_some_and(|(step, finished)| finished || past_sign_off(step))
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
