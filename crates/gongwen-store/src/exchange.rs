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

use std::collections::HashSet;

use gongwen_core::exchange::{
    ChangeEntry, ChangesPage, Command, CommandBody, CommandId, CommandOutcome, CommandResult,
    Delivery, DeliveryStatus, Directory, RecipientRole, Rejection, UnitCode, UserInfo,
};
use gongwen_core::{DocStatus, Document, DocumentId};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::model::DocumentSummary;
use crate::store::{
    append_version, begin_bulk_merging, end_bulk_merging, enum_parse, head, insert_batch, now,
    parse_document, parse_id, rfc3339, summary_from_row, NewDocument, SUMMARY_COLUMNS,
};
use crate::{Store, StoreError};

/// The server and user this store syncs as. No secret: the token lives in the OS
/// keyring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Account {
    /// Base URL of the exchange, e.g. `https://exchange.example.gov.cn` (no trailing `/`).
    pub server: String,
    pub user: UserInfo,
}

impl Account {
    pub fn new(server: &str, user: UserInfo) -> Account {
        Account {
            server: normalize_server(server),
            user,
        }
    }

    /// The key of this account's cursor: a different server or user never reuses it.
    pub fn key(&self) -> String {
        account_key(&self.server, &self.user.username)
    }
}

/// A server URL as stored and compared: trimmed, without a trailing `/`.
pub fn normalize_server(server: &str) -> String {
    server.trim().trim_end_matches('/').to_string()
}

fn account_key(server: &str, username: &str) -> String {
    format!("{}\n{}", normalize_server(server), username)
}

/// Where a queued command stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// 待同步: not yet answered by the server.
    Pending,
    /// The server accepted it; its effect arrives with the change log.
    Accepted,
    /// The server refused it (final); the reason is kept for the user.
    Rejected,
    /// Never sent: discarded on purpose while it waited for the account that queued it
    /// (see [`Store::discard_command`]). Kept as the record; the document is untouched.
    Discarded,
}

impl std::str::FromStr for OutboxState {
    type Err = gongwen_core::UnknownName;
    /// The name stored in the outbox's `state` column.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(OutboxState::Pending),
            "accepted" => Ok(OutboxState::Accepted),
            "rejected" => Ok(OutboxState::Rejected),
            "discarded" => Ok(OutboxState::Discarded),
            _ => Err(gongwen_core::UnknownName {
                what: "outbox state",
                text: s.chars().take(80).collect(),
                expected: &["pending", "accepted", "rejected", "discarded"],
            }),
        }
    }
}

/// The account that queued a command: only that account sends it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct QueuedBy {
    /// The exchange server, normalized (see [`normalize_server`]).
    pub server: String,
    pub username: String,
}

impl QueuedBy {
    fn from_key(key: &str) -> Option<QueuedBy> {
        let (server, username) = key.split_once('\n')?;
        Some(QueuedBy {
            server: server.to_string(),
            username: username.to_string(),
        })
    }

    /// Whether `account` is the one that queued the command.
    pub fn is(&self, account: &Account) -> bool {
        self.server == account.server && self.username == account.user.username
    }
}

/// One command in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OutboxEntry {
    /// Order in which the user gave the commands; they are pushed in this order.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
    pub command: Command,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub state: OutboxState,
    pub rejection: Option<Rejection>,
    /// When the server decided (RFC 3339), for accepted and rejected commands.
    pub decided_at: Option<String>,
    /// How many times a push of this command was tried.
    pub attempts: u32,
    /// Why the last try failed (network, server error), in English.
    pub last_error: Option<String>,
    pub last_attempt_at: Option<String>,
    /// The command as stored (JSON): what a push sends, byte for byte, so a re-send
    /// is the same request whatever build sends it.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub payload: String,
    /// The account that queued it and alone sends it; `None` for a command queued
    /// before accounts were recorded with no account remembered (never sent; it can
    /// only be discarded).
    pub queued_by: Option<QueuedBy>,
}

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
}

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

/// An attachment file an exchanged document lists that is not stored here yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedAttachment {
    pub sha256: String,
    pub document_id: DocumentId,
    pub size: Option<u64>,
}

const KEY_CLIENT_ID: &str = "client_id";
const KEY_ACCOUNT: &str = "account";
const KEY_DIRECTORY: &str = "directory";
/// Where and when the cached directory was fetched ([`DirectoryFetched`] as JSON).
const KEY_DIRECTORY_FETCHED: &str = "directory_fetched";

#[derive(Serialize, Deserialize)]
struct DirectoryFetched {
    /// The server it came from, normalized.
    server: String,
    /// RFC 3339, UTC.
    at: String,
}

fn put_setting(tx: &Transaction<'_>, key: &str, value: Option<&str>) -> Result<(), StoreError> {
    match value {
        Some(v) => tx
            .prepare_cached(
                "INSERT INTO settings(key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key, v])?,
        None => tx
            .prepare_cached("DELETE FROM settings WHERE key = ?1")?
            .execute([key])?,
    };
    Ok(())
}

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

impl Store {
    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// This installation's id, sent to the server with every request (for the audit
    /// log). Made once, on first use, and kept.
    pub fn client_id(&mut self) -> Result<String, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                [KEY_CLIENT_ID],
                |r| r.get(0),
            )
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                tx.execute(
                    "INSERT INTO settings(key, value) VALUES (?1, ?2)",
                    params![KEY_CLIENT_ID, id],
                )?;
                id
            }
        };
        tx.commit()?;
        Ok(id)
    }

    /// The account this store last logged in as (kept after logout so the UI can
    /// offer it again), or `None`.
    pub fn account(&self) -> Result<Option<Account>, StoreError> {
        self.setting(KEY_ACCOUNT)?
            .as_deref()
            .map(from_json)
            .transpose()
    }

    /// Remembers the account after a login and makes it the logged-in one, whose
    /// clearance decides what the store shows (`None` forgets it and logs it out; see
    /// [`Store::sign_out`] to log out and still remember it). Its cursor is kept
    /// separately, per server and user, so switching back resumes where it was.
    pub fn set_account(&mut self, account: Option<&Account>) -> Result<(), StoreError> {
        let value = account.map(json).transpose()?;
        let tx = self.conn.transaction()?;
        put_setting(&tx, KEY_ACCOUNT, value.as_deref())?;
        put_setting(&tx, crate::access::KEY_SESSION, value.as_deref())?;
        tx.commit()?;
        Ok(())
    }

    /// The cached directory of units and users (empty before the first sync), so a
    /// clerk can address a document offline.
    pub fn directory(&self) -> Result<Directory, StoreError> {
        Ok(self
            .setting(KEY_DIRECTORY)?
            .as_deref()
            .map(from_json)
            .transpose()?
            .unwrap_or_default())
    }

    /// Replaces the cached directory. It counts as never fetched (stale) until
    /// [`Store::set_fetched_directory`] records where and when it came from.
    pub fn set_directory(&mut self, directory: &Directory) -> Result<(), StoreError> {
        let value = json(directory)?;
        let tx = self.conn.transaction()?;
        put_setting(&tx, KEY_DIRECTORY, Some(&value))?;
        put_setting(&tx, KEY_DIRECTORY_FETCHED, None)?;
        tx.commit()?;
        Ok(())
    }

    /// Caches the directory as `server` just sent it, with the time, so the sync asks
    /// for it again only once it is stale (see [`Store::directory_is_fresh`]).
    pub fn set_fetched_directory(
        &mut self,
        server: &str,
        directory: &Directory,
    ) -> Result<(), StoreError> {
        let value = json(directory)?;
        let fetched = json(&DirectoryFetched {
            server: normalize_server(server),
            at: rfc3339(&now()),
        })?;
        let tx = self.conn.transaction()?;
        put_setting(&tx, KEY_DIRECTORY, Some(&value))?;
        put_setting(&tx, KEY_DIRECTORY_FETCHED, Some(&fetched))?;
        tx.commit()?;
        Ok(())
    }

    /// When the cached directory was fetched from `server` (RFC 3339), or `None` when
    /// it never was, came from another server, or the record is unreadable (then the
    /// directory is simply fetched again: it must never stop a sync).
    pub fn directory_fetched_at(&self, server: &str) -> Result<Option<String>, StoreError> {
        let Some(text) = self.setting(KEY_DIRECTORY_FETCHED)? else {
            return Ok(None);
        };
        let fetched: DirectoryFetched = match from_json(&text) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!("unreadable directory fetch record, treated as stale: {e}");
                return Ok(None);
            }
        };
        Ok((fetched.server == normalize_server(server)).then_some(fetched.at))
    }

    /// Whether the cached directory came from `server` less than `max_age` ago. A
    /// fetch time in the future (the clock was set back) counts as stale, so a wrong
    /// clock costs one request instead of a directory that never refreshes. The cache
    /// is used either way (offline too); this only decides whether to ask again.
    pub fn directory_is_fresh(
        &self,
        server: &str,
        max_age: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let Some(at) = self.directory_fetched_at(server)? else {
            return Ok(false);
        };
        let Ok(at) = chrono::DateTime::parse_from_rfc3339(&at) else {
            tracing::warn!("unreadable directory fetch time {at:?}, treated as stale");
            return Ok(false);
        };
        let age = now().signed_duration_since(at);
        Ok(age >= chrono::TimeDelta::zero() && age.to_std().is_ok_and(|age| age < max_age))
    }

    /// Queues a dispatch (分发) of the latest saved version of a document.
    pub fn queue_dispatch(
        &mut self,
        document_id: DocumentId,
        main: Vec<UnitCode>,
        cc: Vec<UnitCode>,
    ) -> Result<CommandId, StoreError> {
        let stored = self
            .get(document_id)?
            .ok_or(StoreError::NotFound(document_id))?;
        self.queue_command(&CommandBody::Dispatch {
            document_id,
            document: Box::new(stored.document),
            main,
            cc,
        })
    }

    /// Writes a command to the outbox under a new id, for the logged-in account (only
    /// it will send it), after checking what can be checked locally: someone is logged
    /// in, the document exists here and they may see it, is in a state that allows the
    /// step, has no such step already queued, and (for a dispatch) the content sent is
    /// the latest saved version and its attachment files are here. The server decides
    /// the rest. Refusals are [`StoreError::CommandRefused`] (or `NotFound`).
    pub fn queue_command(&mut self, body: &CommandBody) -> Result<CommandId, StoreError> {
        let Some(account) = self.signed_in()? else {
            return Err(refused(
                "not logged in: commands for the exchange are queued only by a logged-in account",
                "请先登录交换平台，再分发、签收或退回。",
            ));
        };
        self.check_visible(body.document_id())?;
        gongwen_core::workflow::precheck(body).map_err(refused_as)?;
        let classification = match body {
            CommandBody::Dispatch { document, .. } => {
                if document.classification > account.user.clearance {
                    return Err(self.above_clearance(document.classification)?);
                }
                document.classification
            }
            _ => self
                .get(body.document_id())?
                .map(|d| d.document.classification)
                .unwrap_or_default(),
        };
        let id = CommandId(uuid::Uuid::new_v4());
        let command = Command {
            id,
            body: body.clone(),
        };
        let payload = json(&command)?;
        let document_id = body.document_id();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let h = head(&tx, document_id)?.ok_or(StoreError::NotFound(document_id))?;
        let queued = |kinds: &[&str]| -> Result<bool, StoreError> {
            let mut found = false;
            for kind in kinds {
                found |= tx
                    .prepare_cached(
                        "SELECT 1 FROM outbox WHERE document_id = ?1 AND kind = ?2 AND state = 'pending'",
                    )?
                    .exists(params![document_id.to_string(), kind])?;
            }
            Ok(found)
        };
        match body {
            CommandBody::Dispatch { document, .. } => {
                match h.status {
                    DocStatus::Dispatched => {
                        return Err(refused(
                            format!("document {document_id} was dispatched already"),
                            "该公文已分发，不能重复分发。",
                        ))
                    }
                    DocStatus::Incoming => {
                        return Err(refused(
                            format!("document {document_id} is a received document; it cannot be dispatched"),
                            "收文不能直接分发。",
                        ))
                    }
                    DocStatus::Archived => {
                        return Err(refused(
                            format!("document {document_id} is archived"),
                            "该公文已归档，不能分发。",
                        ))
                    }
                    DocStatus::Draft | DocStatus::SignedOff => {}
                }
                if queued(&["dispatch"])? {
                    return Err(refused(
                        format!("a dispatch of document {document_id} is already queued"),
                        "该公文的分发已在待同步队列中。",
                    ));
                }
                let latest: String = tx
                    .prepare_cached(
                        "SELECT content FROM versions WHERE doc_rowid = ?1 AND version = ?2",
                    )?
                    .query_row(params![h.doc_rowid, h.version], |r| r.get(0))?;
                if parse_document(&latest)? != **document {
                    return Err(refused(
                        format!("the dispatched content of {document_id} is not its latest saved version; save first"),
                        "分发的内容与最新保存的版本不一致，请先保存。",
                    ));
                }
                for a in &document.attachments {
                    if let Some(sha) = &a.sha256 {
                        if self_attachment_missing(&tx, sha)? {
                            return Err(refused(
                                format!("attachment file {sha} ({}) is not in this store", a.name),
                                format!("附件“{}”的文件缺失，请重新添加附件。", a.name),
                            ));
                        }
                    }
                }
            }
            CommandBody::Acknowledge { .. } | CommandBody::Return { .. } => {
                let status: Option<String> = tx
                    .prepare_cached(
                        "SELECT dl.status FROM exchanged e JOIN deliveries dl ON dl.document_id = e.document_id
                         WHERE e.document_id = ?1 AND e.direction = 'received'",
                    )?
                    .query_row([document_id.to_string()], |r| r.get(0))
                    .optional()?;
                let Some(status) = status else {
                    return Err(refused(
                        format!("document {document_id} was not received from the exchange"),
                        "该公文不是收文，不能签收或退回。",
                    ));
                };
                let status: DeliveryStatus = enum_parse(&status)?;
                let answer = match body {
                    CommandBody::Return { .. } => DeliveryStatus::Returned,
                    _ => DeliveryStatus::Acknowledged,
                };
                gongwen_core::workflow::check_answer(status, answer).map_err(refused_as)?;
                if queued(&["acknowledge", "return"])? {
                    return Err(refused(
                        format!("a receipt or return of document {document_id} is already queued"),
                        "该公文的签收或退回已在待同步队列中。",
                    ));
                }
            }
        }
        tx.prepare_cached(
            "INSERT INTO outbox(command_id, kind, document_id, payload, created_at, account, classification)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            id.to_string(),
            body.kind(),
            document_id.to_string(),
            payload,
            rfc3339(&now()),
            account.key(),
            classification.as_str()
        ])?;
        tx.commit()?;
        Ok(id)
    }

    /// Every pending and rejected command, oldest first, of every account that used
    /// this computer (each with [`OutboxEntry::queued_by`]), as far as the logged-in
    /// account may see their documents. Accepted and discarded ones are history and are
    /// left out.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let visible = self.visible_commands()?;
        self.outbox_where(
            &format!("state IN ('pending', 'rejected') AND dismissed_at IS NULL AND {visible}"),
            &[],
            None,
        )
    }

    /// The condition on outbox rows the logged-in account may see.
    fn visible_commands(&self) -> Result<String, StoreError> {
        Ok(crate::access::visible("classification", self.clearance()?))
    }

    /// Discards (放弃) a pending command another account queued on this computer, on
    /// purpose: it will never be sent. Recorded with who discarded it and when; the
    /// document is untouched. Only the logged-in account can, and only commands it may
    /// see; its own pending commands are not discarded here (they may be on their way).
    /// Returns false when there is no such pending command it may see.
    pub fn discard_command(&mut self, id: CommandId) -> Result<bool, StoreError> {
        let Some(account) = self.signed_in()? else {
            return Err(refused(
                "not logged in: only a logged-in account can discard queued commands",
                "请先登录，再放弃待同步的操作。",
            ));
        };
        let Some(entry) = self.outbox_entry(id)? else {
            return Ok(false);
        };
        if entry.state != OutboxState::Pending {
            return Ok(false);
        }
        if entry.queued_by.as_ref().is_some_and(|q| q.is(&account)) {
            return Err(refused(
                format!("command {id} is this account's own and is sent by its sync"),
                "本账号的待同步操作会自动发送，不能放弃。",
            ));
        }
        let n = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET state = 'discarded', dismissed_at = ?2, discarded_by = ?3
                 WHERE command_id = ?1 AND state = 'pending'",
            )?
            .execute(params![id.to_string(), rfc3339(&now()), account.key()])?;
        Ok(n > 0)
    }

    /// Removes a refused command from the queue the user sees (移除), once they have
    /// read the reason. The row stays as the record of what was asked and answered;
    /// only refusals can be removed: a pending command is still the user's work.
    /// Returns false when the command is not a refusal still shown.
    pub fn dismiss_rejected(&mut self, id: CommandId) -> Result<bool, StoreError> {
        let n = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET dismissed_at = ?2
                 WHERE command_id = ?1 AND state = 'rejected' AND dismissed_at IS NULL",
            )?
            .execute(params![id.to_string(), rfc3339(&now())])?;
        Ok(n > 0)
    }

    /// The logged-in account's pending commands in the order they were queued, at
    /// most `limit` (none with nobody logged in).
    pub fn pending_commands(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        match self.signed_in()? {
            Some(account) => self.pending_commands_of(&account, limit),
            None => Ok(Vec::new()),
        }
    }

    /// `account`'s pending commands in the order they were queued, at most `limit`:
    /// what a push with its token sends next. Other accounts' commands wait for them.
    pub fn pending_commands_of(
        &self,
        account: &Account,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.outbox_where(
            "state = 'pending' AND account = ?",
            &[account.key()],
            Some(limit),
        )
    }

    /// The pending (待同步) commands on one document, oldest first (if the logged-in
    /// account may see it).
    pub fn pending_for(&self, document_id: DocumentId) -> Result<Vec<OutboxEntry>, StoreError> {
        let visible = self.visible_commands()?;
        self.outbox_where(
            &format!("state = 'pending' AND document_id = ? AND {visible}"),
            &[document_id.to_string()],
            None,
        )
    }

    /// Every command ever queued on one document (any state), oldest first (if the
    /// logged-in account may see it).
    pub fn commands_for(&self, document_id: DocumentId) -> Result<Vec<OutboxEntry>, StoreError> {
        let visible = self.visible_commands()?;
        self.outbox_where(
            &format!("document_id = ? AND {visible}"),
            &[document_id.to_string()],
            None,
        )
    }

    /// One command of the outbox, in any state (if the logged-in account may see it).
    pub fn outbox_entry(&self, id: CommandId) -> Result<Option<OutboxEntry>, StoreError> {
        let visible = self.visible_commands()?;
        Ok(self
            .outbox_where(
                &format!("command_id = ? AND {visible}"),
                &[id.to_string()],
                None,
            )?
            .pop())
    }

    fn outbox_where(
        &self,
        condition: &str,
        values: &[String],
        limit: Option<usize>,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT seq, payload, created_at, state, rejection, decided_at, attempts, last_error, last_attempt_at,
                account
             FROM outbox WHERE {condition} ORDER BY seq LIMIT {limit}"
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let payload: String = r.get(1)?;
            let state: String = r.get(3)?;
            let rejection: Option<String> = r.get(4)?;
            out.push(OutboxEntry {
                seq: r.get::<_, i64>(0)? as u64,
                command: from_json(&payload)?,
                payload,
                created_at: r.get(2)?,
                state: enum_parse(&state)?,
                rejection: rejection.as_deref().map(from_json).transpose()?,
                decided_at: r.get(5)?,
                attempts: r.get(6)?,
                last_error: r.get(7)?,
                last_attempt_at: r.get(8)?,
                queued_by: r
                    .get::<_, Option<String>>(9)?
                    .as_deref()
                    .and_then(QueuedBy::from_key),
            });
        }
        Ok(out)
    }

    /// Records the server's answer to a command: accepted → no longer pending;
    /// rejected → kept with the server's reason, never sent again. The document is not
    /// touched either way. Returns false when the command is not pending here (unknown,
    /// or answered before: a second answer changes nothing).
    pub fn record_outcome(&mut self, outcome: &CommandOutcome) -> Result<bool, StoreError> {
        let (state, rejection) = match &outcome.result {
            CommandResult::Accepted => ("accepted", None),
            CommandResult::Rejected { rejection } => ("rejected", Some(json(rejection)?)),
        };
        let n = self.conn.prepare_cached(
            "UPDATE outbox SET state = ?2, rejection = ?3, decided_at = ?4, attempts = attempts + 1,
                last_error = NULL, last_attempt_at = ?5
             WHERE command_id = ?1 AND state = 'pending'",
        )?
        .execute(params![
            outcome.command_id.to_string(),
            state,
            rejection,
            outcome.decided_at,
            rfc3339(&now())
        ])?;
        Ok(n > 0)
    }

    /// Notes that a push of these commands failed for a reason that is not the
    /// server's decision (network, server error); they stay pending and are retried.
    pub fn record_attempt_error(
        &mut self,
        ids: &[CommandId],
        message: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let at = rfc3339(&now());
        for id in ids {
            tx.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, last_attempt_at = ?3
                 WHERE command_id = ?1 AND state = 'pending'",
            )?
            .execute(params![id.to_string(), message, at])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records that the server refused a command without deciding it (the request
    /// carrying it, or one of its attachment files, was refused for good: too large,
    /// malformed). Like a rejection it is final and keeps the server's reason; the
    /// document is not touched. Returns false when the command is not pending here.
    pub fn record_refusal(
        &mut self,
        id: CommandId,
        rejection: &Rejection,
    ) -> Result<bool, StoreError> {
        self.record_outcome(&CommandOutcome {
            command_id: id,
            result: CommandResult::Rejected {
                rejection: rejection.clone(),
            },
            decided_at: rfc3339(&now()),
        })
    }

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
            .map(|(info, _)| info))
    }

    /// The inbox (收文): every received document, newest dispatch first, with this
    /// unit's status and whether a step on it is pending.
    pub fn inbox(&self) -> Result<Vec<InboxItem>, StoreError> {
        let mut items = Vec::new();
        for (incoming, summary) in self.incoming_where("1 = 1", &[])? {
            let pending = !self.pending_for(incoming.document_id)?.is_empty();
            items.push(InboxItem {
                summary,
                incoming,
                pending,
            });
        }
        Ok(items)
    }

    fn incoming_where(
        &self,
        condition: &str,
        values: &[String],
    ) -> Result<Vec<(IncomingInfo, DocumentSummary)>, StoreError> {
        let columns: String = SUMMARY_COLUMNS
            .split(", ")
            .map(|c| format!("d.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let visible = crate::access::visible("d.classification", self.clearance()?);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {columns}, e.from_unit, e.role, e.by, e.at, e.content_hash, dl.status, dl.reason
             FROM exchanged e JOIN documents d ON d.id = e.document_id
             LEFT JOIN deliveries dl ON dl.document_id = e.document_id
             WHERE e.direction = 'received' AND {condition} AND {visible}
             ORDER BY e.at DESC, d.sort_key DESC"
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
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

    /// Attachment files that exchanged documents list and this store does not have yet
    /// (the sync downloads them).
    pub fn wanted_attachments(&self) -> Result<Vec<WantedAttachment>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT sha256, document_id, size FROM attachment_downloads ORDER BY attempts, sha256",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (sha256, document_id, size) = row?;
            out.push(WantedAttachment {
                sha256,
                document_id: parse_id(&document_id)?,
                size: size.and_then(|s| u64::try_from(s).ok()),
            });
        }
        Ok(out)
    }

    /// Notes that downloading a wanted attachment failed (it is tried again later,
    /// after the others).
    pub fn record_download_error(&mut self, sha256: &str, message: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE attachment_downloads SET attempts = attempts + 1, last_error = ?2 WHERE sha256 = ?1",
            params![sha256, message],
        )?;
        Ok(())
    }

    /// The folder where a download in progress is written (inside the store, so the
    /// final rename stays on one file system).
    pub fn attachments_dir(&self) -> std::path::PathBuf {
        self.dir().join(crate::ATTACHMENTS_DIR)
    }

    /// Takes a downloaded file into `attachments/` under its SHA-256. The caller has
    /// computed the hash over the bytes it wrote (the sync checks it against the name
    /// before calling); the file is fsynced before the rename and the folder after.
    pub fn adopt_attachment(
        &mut self,
        sha256: &str,
        file: tempfile::NamedTempFile,
    ) -> Result<std::path::PathBuf, StoreError> {
        let Some(sha256) = gongwen_core::digest::parse_sha256(sha256) else {
            return Err(StoreError::InvalidHash(sha256.chars().take(80).collect()));
        };
        let dir = self.attachments_dir();
        let write_err = |source| StoreError::Write {
            path: dir.clone(),
            source,
        };
        let size = file.as_file().metadata().map_err(write_err)?.len();
        let target = crate::store::persist_by_hash(&dir, &sha256, file)?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO attachment_files(sha256, size, stored_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (sha256) DO NOTHING",
            params![sha256, size as i64, rfc3339(&now())],
        )?;
        tx.execute(
            "DELETE FROM attachment_downloads WHERE sha256 = ?1",
            [&sha256],
        )?;
        tx.commit()?;
        Ok(target)
    }
}

fn self_attachment_missing(tx: &Transaction<'_>, sha256: &str) -> Result<bool, StoreError> {
    // The outbox's dispatch is only valid with its files; the row in attachment_files
    // is written only after the file is durable (see `Store::add_attachment_file`).
    let known = tx
        .prepare_cached("SELECT 1 FROM attachment_files WHERE sha256 = ?1")?
        .exists([sha256.to_ascii_lowercase()])?;
    Ok(!known)
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
            // The initial status; a later Delivery change (re-applied or not) wins.
            tx.prepare_cached(
                "INSERT INTO deliveries(document_id, unit, role, status, reason, by, at, position)
                 VALUES (?1, ?2, ?3, 'delivered', NULL, ?4, ?5, 0) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                document_id.to_string(),
                account.user.unit.0,
                role.as_str(),
                by,
                at
            ])?;
            let new = batch.add_if_missing(tx, *document_id, document, DocStatus::Incoming)?;
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
            for (i, d) in deliveries.iter().enumerate() {
                tx.prepare_cached(
                    "INSERT INTO deliveries(document_id, unit, role, status, reason, by, at, position)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
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
            let new = batch.add_if_missing(tx, *document_id, document, DocStatus::Dispatched)?;
            if !new {
                let h = head(tx, *document_id)?.ok_or(StoreError::NotFound(*document_id))?;
                if h.status != DocStatus::Archived {
                    // What was sent is the record: appended as a version if the local
                    // latest differs (nothing is overwritten), then marked dispatched.
                    append_version(tx, *document_id, document, &now())?;
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
            Ok(false)
        }
    }
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
    ) -> Result<bool, StoreError> {
        if self.ids.contains(&id) || head(tx, id)?.is_some() {
            return Ok(false);
        }
        self.ids.insert(id);
        self.docs.push(NewDocument {
            id,
            document,
            status,
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

fn want_attachments(
    tx: &Transaction<'_>,
    document_id: DocumentId,
    document: &Document,
) -> Result<(), StoreError> {
    for a in &document.attachments {
        let Some(sha) = a
            .sha256
            .as_deref()
            .and_then(gongwen_core::digest::parse_sha256)
        else {
            continue;
        };
        let have = tx
            .prepare_cached("SELECT 1 FROM attachment_files WHERE sha256 = ?1")?
            .exists([&sha])?;
        if !have {
            tx.prepare_cached(
                "INSERT INTO attachment_downloads(sha256, document_id, size) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sha256) DO NOTHING",
            )?
            .execute(params![
                sha,
                document_id.to_string(),
                a.size.and_then(|s| i64::try_from(s).ok())
            ])?;
        }
    }
    Ok(())
}
