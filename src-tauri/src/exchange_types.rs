//! What the window is told about the exchange: connection and outbox state for the status
//! bar, a document's 分发/收文 state, the 收文箱. Plain data built from what gongwen-sync
//! and gongwen-store report; the UI gets these through ts-rs bindings.

use gongwen_core::wire::{CommandBody, CommandId, Delivery, Role, UnitCode};
use gongwen_core::DocumentId;
use gongwen_store::IncomingInfo;
use serde::Serialize;

/// The status bar's first word: gongwen-sync's view, or 需要登录 when no loop runs.
pub use gongwen_sync::Connection;

/// Who is logged in, and where (the store's account with the unit's name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AccountView {
    pub server: String,
    pub username: String,
    pub display_name: String,
    pub unit: UnitCode,
    /// The unit's full name from the cached directory (the code if unknown).
    pub unit_name: String,
    pub role: Role,
}

/// Everything the status bar shows; sent again as the `sync-status` event whenever it
/// changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SyncStatus {
    pub connection: Connection,
    /// The account in use; also set while `connection` is `login_needed` after the
    /// token expired, so the dialog can prefill it.
    pub account: Option<AccountView>,
    /// `account` is logged in now: the store shows what its clearance allows. False
    /// after 退出登录 (then only 非密 documents are shown and nothing is queued).
    pub signed_in: bool,
    /// RFC 3339, UTC: the last complete push and pull.
    pub last_sync_at: Option<String>,
    /// Commands waiting for the server (待同步): the same query as the outbox's list.
    pub pending: u32,
    /// Commands the server refused, still shown until the clerk removes them.
    pub rejected: u32,
    /// Why the last attempt failed, in Chinese.
    pub last_error: Option<String>,
    /// Set when the token could not be kept in the OS keyring (kept in memory only).
    pub keyring_warning: Option<String>,
    /// Set once the client found the server restored from a backup: what happened and
    /// what the client did about it, in Chinese.
    pub server_restored: Option<String>,
    /// The server address the login dialog starts with (`GONGWEN_SERVER`, else the
    /// last one used, else the local development server).
    pub default_server: String,
    /// `default_server` came from `GONGWEN_SERVER` (as `cargo xtask run` sets it): with
    /// no account yet, the window opens the login dialog at start.
    pub default_server_from_env: bool,
    /// A long transfer under way (a first sync, an attachment download): the status
    /// bar shows its progress with bytes and time left.
    pub transfer: Option<gongwen_sync::Transfer>,
    /// Received documents the logged-in user has not opened (未读收文): the same query
    /// as the 收文箱's bold rows (`Store::unread_arrivals`).
    pub unread: u32,
    /// How far this account's change log is applied here: it moves when a sync
    /// brought documents, handlings or receipts, and lists reload when it does.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub cursor: u64,
}

/// Where a queued command stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum OutboxItemState {
    /// 待同步
    Pending,
    /// 被拒绝: the server refused it; `reason` says why.
    Rejected,
}

/// Which command a queued one is: what the 同步队列 labels it with (the `commands`
/// vocabulary) and where the window opens its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// 分发
    Dispatch,
    /// 签收
    Acknowledge,
    /// 退回
    Return,
    /// 办理: a step of the document's flow (送审, 核稿, 签发 …).
    Step,
    /// 委托代办 and 撤销代办: sent at once, never queued (here for completeness).
    Delegate,
    RevokeDelegation,
    /// 移交, 接收移交 and 退回移交: sent at once by the CLI, never queued (the
    /// archivist's desk is not in the app yet).
    Transfer,
    AcceptTransfer,
    ReturnTransfer,
}

impl From<&CommandBody> for CommandKind {
    fn from(body: &CommandBody) -> Self {
        // A new command type stops the build here until the outbox list knows it.
        match body {
            CommandBody::Dispatch { .. } => CommandKind::Dispatch,
            CommandBody::Acknowledge { .. } => CommandKind::Acknowledge,
            CommandBody::Return { .. } => CommandKind::Return,
            CommandBody::Step { .. } => CommandKind::Step,
            CommandBody::Delegate { .. } => CommandKind::Delegate,
            CommandBody::RevokeDelegation { .. } => CommandKind::RevokeDelegation,
            CommandBody::Transfer { .. } => CommandKind::Transfer,
            CommandBody::AcceptTransfer { .. } => CommandKind::AcceptTransfer,
            CommandBody::ReturnTransfer { .. } => CommandKind::ReturnTransfer,
        }
    }
}

/// One line of the 同步队列.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OutboxItem {
    pub command_id: CommandId,
    pub kind: CommandKind,
    pub document_id: DocumentId,
    /// The document's title as stored locally ("" if the document is not here).
    pub title: String,
    pub state: OutboxItemState,
    /// The server's reason, in Chinese, for a rejected command.
    pub reason: Option<String>,
    /// RFC 3339, UTC: when the clerk gave the command.
    pub created_at: String,
    pub attempts: u32,
    /// Why the last try did not reach a decision (network, server error), in Chinese.
    pub last_error: Option<String>,
    /// Who queued it (`username @ server`); only that account sends it.
    pub queued_by: Option<String>,
    /// Queued by an account other than the one logged in now (or by none known): it
    /// waits for that account's login, is confirmed (以本人名义发送) to go out under the
    /// logged-in account's name, or is discarded (放弃) on purpose.
    pub other_account: bool,
}

/// A document's life on the exchange, for its 阅读 view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DocumentExchange {
    /// Set once the server has accepted this unit's 分发: one row per recipient.
    pub deliveries: Option<Vec<Delivery>>,
    /// Set when the document came from another unit (收文): from whom, 主送/抄送, and
    /// this unit's status.
    pub received: Option<IncomingInfo>,
    /// This document's commands still waiting or refused, oldest first.
    pub outbox: Vec<OutboxItem>,
    /// 未生效的意见: opinions of this desk's steps the server refused, oldest first,
    /// kept even after the refusal is removed from the 同步队列.
    pub unheeded: Vec<gongwen_store::UnheededOpinion>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongwen_core::{DocKind, Document};

    /// The kind the window gets is the command's own name (`CommandBody::kind`), the
    /// value the `commands` vocabulary labels.
    #[test]
    fn a_command_kind_is_the_command_s_name() {
        let document_id = DocumentId(uuid::Uuid::nil());
        let bodies = [
            CommandBody::Dispatch {
                document_id,
                document: Box::new(Document::new(DocKind::Notice)),
                main: vec![UnitCode("宿政".into())],
                cc: vec![],
            },
            CommandBody::Acknowledge { document_id },
            CommandBody::Return {
                document_id,
                reason: "不属于本单位办理".into(),
            },
            CommandBody::Step {
                document_id,
                step: "sign_off".into(),
                action: gongwen_core::handling::StepAction::Withdraw,
                opinion: None,
                document: None,
                publicity: None,
                deadline: None,
            },
            CommandBody::Delegate {
                delegation_id: uuid::Uuid::nil(),
                to: "fgw-director".into(),
                steps: vec![],
                from: "2026-12-07".into(),
                until: "2026-12-08".into(),
            },
            CommandBody::RevokeDelegation {
                delegation_id: uuid::Uuid::nil(),
            },
            CommandBody::Transfer {
                transfer_id: uuid::Uuid::nil(),
                to: UnitCode("sz-daj".into()),
                fonds_code: "Z109".into(),
                year: 2026,
                files: vec![],
            },
            CommandBody::AcceptTransfer {
                transfer_id: uuid::Uuid::nil(),
                reason: None,
            },
            CommandBody::ReturnTransfer {
                transfer_id: uuid::Uuid::nil(),
                reason: "正本摘要不符".into(),
            },
        ];
        for body in &bodies {
            let kind = serde_json::to_value(CommandKind::from(body)).unwrap();
            assert_eq!(kind, serde_json::json!(body.kind()));
        }
    }
}
