//! The store's side of the exchange: the outbox of commands, the documents that went
//! over the exchange and their deliveries, the sync cursor per server and user, the
//! cached directory and the install id.
//!
//! Rules this module keeps (see `docs/sync-protocol.md`):
//! * A command is written to the outbox in one transaction with its local checks; it
//!   stays *pending* (待同步) until the server answers. Nothing local changes because a
//!   command was queued: workflow state changes only when the server's change arrives.
//! * A page of changes is applied in one transaction together with the new cursor, so
//!   a crash mid-pull re-pulls and never skips. Applying a change twice is harmless.
//! * A refusal is kept with the server's reason; the document is never touched.
//! * Nothing here is a secret: no token or password is ever stored.
//!
//! One file per topic: `account` (who syncs, the install id, the cached directory),
//! `outbox` (commands waiting for the server and its answers), `apply` (the server's
//! change log and the cursor), `inbox` (收文 and deliveries), `handlings` (each unit's 发文/收文 handling and the
//! boxes) and `attachments` (files exchanged documents list). Their public items are re-exported here.

use gongwen_core::wire::Rejection;
use serde::Serialize;

use crate::StoreError;

mod account;
mod apply;
mod attachments;
mod handlings;
mod inbox;
mod outbox;

pub use account::{normalize_server, Account};
pub use apply::{ApplyReport, CursorReset, SyncState};
pub use attachments::WantedAttachment;
pub use handlings::{beijing_today, BoxItem, DueItem, DueState, HandlingBox};
pub use inbox::{InboxItem, IncomingInfo, ReturnedItem};
pub use outbox::{DispatchCheck, OutboxEntry, OutboxState, QueuedBy, UnheededOpinion};

fn refused(message: impl Into<String>, message_zh: impl Into<String>) -> StoreError {
    StoreError::CommandRefused {
        message: message.into(),
        message_zh: message_zh.into(),
    }
}

/// A workflow rule of `gongwen_core::workflow`, broken before anything was queued.
fn refused_as(rejection: Rejection) -> StoreError {
    refused(rejection.message_en, rejection.message)
}

fn json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::BadRecord(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::BadRecord(e.to_string()))
}
