//! The automatic 催办: every `remind_interval` the server looks at the documents with
//! a 限办日期 and writes one reminder into each 承办 past its deadline
//! ([`gongwen_core::handling::overdue_reminders`]), as the office would by hand.
//!
//! Each reminder is a command of the server's own, its id made from the document, the
//! unit and the deadline: a second server, a restart or a tick racing a step records it
//! at most once (the second commit is a duplicate command), and a tick that loses a
//! race on the document simply tries again next time.

use gongwen_core::handling::{overdue_reminders, SYSTEM_ACTOR};
use gongwen_core::wire::{CommandId, CommandOutcome, CommandResult};
use gongwen_core::workflow::DocumentState;

use crate::api::now;
use crate::flows::UnitFlows;
use crate::storage::{
    log_writes, AuditDraft, CommandRecord, Commit, Storage, StorageError, WorkflowWrite,
};

/// One pass: the reminders written (one per document and unit).
pub async fn remind_overdue(
    storage: &dyn Storage,
    flows: &UnitFlows,
) -> Result<usize, StorageError> {
    let mut written = 0;
    for document_id in storage.workflows_with_deadline().await? {
        let Some(stored) = storage.workflow(document_id).await? else {
            continue;
        };
        let state: DocumentState = serde_json::from_str(&stored.state)
            .map_err(|e| StorageError::Backend(format!("workflow of {document_id}: {e}")))?;
        let at = now();
        let Some((new_state, log)) =
            overdue_reminders(&state, &at, |h| flows.handling_flow(h).clone())
        else {
            continue;
        };
        // Which handlings got a reminder: they name the command.
        let reminded: Vec<_> = new_state
            .handlings
            .iter()
            .filter(|h| {
                h.trail
                    .last()
                    .is_some_and(|e| e.by == SYSTEM_ACTOR && e.at == at)
            })
            .map(|h| format!("{}/{}", h.unit, h.deadline.as_deref().unwrap_or_default()))
            .collect();
        let key = format!("auto-remind/{document_id}/{}", reminded.join(","));
        let digest = gongwen_core::digest::sha256_hex(key.as_bytes());
        let mut bytes = [0u8; 16];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&digest[2 * i..2 * i + 2], 16).unwrap_or(0);
        }
        let command_id = CommandId(uuid::Uuid::from_bytes(bytes));
        let outcome = CommandOutcome {
            command_id,
            result: CommandResult::Accepted,
            decided_at: at.clone(),
        };
        let classification = new_state.classification;
        let (log, contents) =
            log_writes(log, classification).map_err(|e| StorageError::Backend(e.to_string()))?;
        let unit = new_state.owner.clone();
        let commit = Commit {
            command: CommandRecord {
                command_id: command_id.0,
                unit: unit.clone(),
                username: SYSTEM_ACTOR.into(),
                client: "server".into(),
                kind: "remind".into(),
                payload_hash: format!("auto:{key}"),
                outcome: serde_json::to_string(&outcome)
                    .map_err(|e| StorageError::Backend(e.to_string()))?,
                at: at.clone(),
            },
            workflow: Some(WorkflowWrite {
                document_id,
                expected_version: Some(stored.version),
                owner: new_state.owner.clone(),
                classification,
                state: serde_json::to_string(&new_state)
                    .map_err(|e| StorageError::Backend(e.to_string()))?,
                access: new_state.units().cloned().collect(),
            }),
            document: None,
            log,
            contents,
            numbers: Vec::new(),
            delegation: None,
            transfer: None,
            audit: AuditDraft {
                at: at.clone(),
                username: SYSTEM_ACTOR.into(),
                unit,
                client: "server".into(),
                action: "command remind".into(),
                detail: serde_json::json!({
                    "command_id": command_id, "document_id": document_id,
                    "result": "accepted", "automatic": true, "overdue": reminded,
                })
                .to_string(),
            },
        };
        match storage.commit(&commit).await {
            Ok(_) => {
                tracing::info!(%document_id, ?reminded, "automatic 催办");
                written += reminded.len();
            }
            // Reminded already (another pass), or the document moved meanwhile: the
            // next pass decides again on what is stored then.
            Err(StorageError::DuplicateCommand(_)) | Err(StorageError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(written)
}

/// Runs [`remind_overdue`] every `interval` for as long as the server runs; a failed
/// pass is logged and tried again next time.
pub async fn remind_every(
    storage: std::sync::Arc<dyn Storage>,
    flows: std::sync::Arc<UnitFlows>,
    interval: std::time::Duration,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(e) = remind_overdue(storage.as_ref(), &flows).await {
            tracing::error!(error = %e, "automatic 催办 failed");
        }
    }
}
