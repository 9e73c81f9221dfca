//! The commands whose work the sync loop carries: 分发 and 签收/退回 (each queued in the
//! store's outbox in one transaction, sent by the sync loop, see `session`), the
//! 同步队列 (listing, 移除 and 放弃 queued commands), and what the loop pulled — the
//! cached directory, the 收文箱 and a document's exchange state. Each checks its input
//! and calls gongwen-store. Nothing here decides workflow; login and the loop itself are
//! in `session`.

use gongwen_core::wire::{CommandBody, CommandId, Directory, UnitCode};
use gongwen_store::{Account, DispatchCheck, InboxItem, OutboxEntry, OutboxState, Store};
use tauri::State;

use crate::commands::{parse_id, with_store, Answer};
use crate::exchange_types::{CommandKind, DocumentExchange, OutboxItem, OutboxItemState};
use crate::AppState;

/// A command as the 同步队列 shows it; `title` from the local store; `me` is the
/// account logged in now.
fn outbox_item(store: &Store, entry: &OutboxEntry, me: Option<&Account>) -> OutboxItem {
    let document_id = entry.command.body.document_id();
    let title = store
        .get(document_id)
        .ok()
        .flatten()
        .map(|d| d.document.title)
        .unwrap_or_default();
    OutboxItem {
        command_id: entry.command.id,
        kind: CommandKind::from(&entry.command.body),
        document_id,
        title,
        state: match entry.state {
            OutboxState::Rejected => OutboxItemState::Rejected,
            _ => OutboxItemState::Pending,
        },
        reason: entry.rejection.as_ref().map(|r| r.message.clone()),
        created_at: entry.created_at.clone(),
        attempts: entry.attempts,
        last_error: entry.last_error.as_ref().map(|e| {
            // The store keeps the English reason for logs; the window says it plainly.
            tracing::debug!(error = %e, "queued command last failed");
            "未能连接交换平台，将自动重试。".to_string()
        }),
        queued_by: entry
            .queued_by
            .as_ref()
            .map(|q| format!("{} @ {}", q.username, q.server)),
        other_account: !matches!((&entry.queued_by, me), (Some(q), Some(me)) if q.is(me)),
    }
}

/// The commands the 同步队列 lists: waiting ones and refused ones not yet removed.
/// The status bar's 待同步 count is computed from this same list.
/// Other accounts' commands are listed too, as theirs (as far as the logged-in
/// account may see their documents).
pub(crate) fn outbox_items(store: &Store) -> Result<Vec<OutboxItem>, gongwen_store::StoreError> {
    let me = store.signed_in()?;
    Ok(store
        .outbox()?
        .iter()
        .filter(|e| matches!(e.state, OutboxState::Pending | OutboxState::Rejected))
        .map(|e| outbox_item(store, e, me.as_ref()))
        .collect())
}

#[tauri::command]
pub fn outbox(state: State<'_, AppState>) -> Answer<Vec<OutboxItem>> {
    with_store(&state, "read the outbox", |s| outbox_items(s))
}

fn parse_command_id(command_id: &str) -> Answer<CommandId> {
    command_id
        .parse::<uuid::Uuid>()
        .map(CommandId)
        .map_err(|_| {
            tracing::warn!(command_id, "the UI sent a malformed command id");
            format!("操作编号“{command_id}”无效。")
        })
}

/// 放弃: discards a pending command another account queued on this computer, on
/// purpose; it is never sent. The store records who discarded it; the document stays.
#[tauri::command]
pub fn discard_command(state: State<'_, AppState>, command_id: String) -> Answer<()> {
    let id = parse_command_id(&command_id)?;
    if with_store(&state, "discard a queued command", |s| {
        s.discard_command(id)
    })? {
        tracing::info!(%id, "another account's queued command discarded");
        crate::session::announce(&state);
        Ok(())
    } else {
        Err("同步队列中没有这项待同步的操作。".into())
    }
}

/// 确认发送: after a login, a pending command queued by another account (or by an
/// account no longer known) becomes the logged-in account's, sent under its name. The
/// store checks it again as if it were queued now.
#[tauri::command]
pub fn confirm_command(state: State<'_, AppState>, command_id: String) -> Answer<()> {
    let id = parse_command_id(&command_id)?;
    if with_store(&state, "confirm a queued command", |s| {
        s.confirm_command(id)
    })? {
        tracing::info!(%id, "another account's queued command confirmed by the logged-in account");
        crate::session::command_queued(&state);
        Ok(())
    } else {
        Err("同步队列中没有这项待同步的操作。".into())
    }
}

/// What the 分发 dialog shows before the send: the document's 密级 and attachment
/// count, the validation errors that block it, the units nobody there may read it.
#[tauri::command]
pub fn dispatch_check(state: State<'_, AppState>, id: String) -> Answer<DispatchCheck> {
    let id = parse_id(&id)?;
    with_store(&state, "check a dispatch", |s| s.dispatch_check(id))
}

/// 移除: hides a refused command from the queue. Only refused ones: a pending command
/// may already be on its way to the server, so it cannot be taken back here.
#[tauri::command]
pub fn remove_command(state: State<'_, AppState>, command_id: String) -> Answer<()> {
    let id = parse_command_id(&command_id)?;
    let entry = with_store(&state, "read a queued command", |s| s.outbox_entry(id))?;
    match entry {
        Some(e) if e.state == OutboxState::Rejected => {
            with_store(&state, "remove a refused command", |s| {
                s.dismiss_rejected(id)
            })?;
            tracing::info!(%id, "refused command removed from the outbox");
            crate::session::announce(&state);
            Ok(())
        }
        Some(_) => Err("只能移除被拒绝的操作；待同步的操作会自动发送。".into()),
        None => Err("同步队列中没有这项操作。".into()),
    }
}

/// Units and users as last synced (empty before the first sync); works offline.
#[tauri::command]
pub fn directory(state: State<'_, AppState>) -> Answer<Directory> {
    with_store(&state, "read the directory", |s| s.directory())
}

fn unit_codes(codes: Vec<String>) -> Vec<UnitCode> {
    codes
        .into_iter()
        .map(|c| UnitCode(c.trim().to_string()))
        .collect()
}

/// 分发: queues a dispatch of the latest saved version to `main` (主送) and `cc` (抄送).
#[tauri::command]
pub fn dispatch(
    state: State<'_, AppState>,
    id: String,
    main: Vec<String>,
    cc: Vec<String>,
) -> Answer<()> {
    let id = parse_id(&id)?;
    let (main, cc) = (unit_codes(main), unit_codes(cc));
    let command = with_store(&state, "queue a dispatch", |s| {
        s.queue_dispatch(id, main.clone(), cc.clone())
    })?;
    tracing::info!(%id, %command, main = main.len(), cc = cc.len(), "dispatch queued");
    crate::session::command_queued(&state);
    Ok(())
}

/// 签收: queues a receipt of a received document.
#[tauri::command]
pub fn acknowledge(state: State<'_, AppState>, id: String) -> Answer<()> {
    let document_id = parse_id(&id)?;
    let command = with_store(&state, "queue an acknowledgement", |s| {
        s.queue_command(&CommandBody::Acknowledge { document_id })
    })?;
    tracing::info!(%document_id, %command, "acknowledgement queued");
    crate::session::command_queued(&state);
    Ok(())
}

/// 退回: queues the return of a received document, with the clerk's reason.
#[tauri::command]
pub fn return_document(state: State<'_, AppState>, id: String, reason: String) -> Answer<()> {
    let document_id = parse_id(&id)?;
    // The store refuses an empty reason (`workflow::precheck`).
    let reason = reason.trim().to_string();
    let command = with_store(&state, "queue a return", |s| {
        s.queue_command(&CommandBody::Return {
            document_id,
            reason: reason.clone(),
        })
    })?;
    tracing::info!(%document_id, %command, "return queued");
    crate::session::command_queued(&state);
    Ok(())
}

/// A document's 分发 or 收文 state and its commands still in the queue.
#[tauri::command]
pub fn document_exchange(state: State<'_, AppState>, id: String) -> Answer<DocumentExchange> {
    let id = parse_id(&id)?;
    with_store(&state, "read a document's exchange state", |s| {
        let received = s.incoming(id)?;
        // For a received document the store's only delivery row is our own status.
        let deliveries = match received {
            Some(_) => None,
            None => Some(s.deliveries(id)?).filter(|d| !d.is_empty()),
        };
        let outbox = outbox_items(s)?
            .into_iter()
            .filter(|q| q.document_id == id)
            .collect();
        Ok(DocumentExchange {
            deliveries,
            received,
            outbox,
            unheeded: s.unheeded_opinions(id)?,
        })
    })
}

/// 收文箱: received documents, newest first, each with this unit's status.
#[tauri::command]
pub fn inbox(state: State<'_, AppState>) -> Answer<Vec<InboxItem>> {
    with_store(&state, "read the inbox", |s| s.inbox())
}
