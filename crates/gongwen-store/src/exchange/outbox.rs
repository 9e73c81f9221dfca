//! The outbox (待同步): commands written with their local checks, waiting for the
//! account that queued them to send them, and the server's answers.

use gongwen_core::flow::StepId;
use gongwen_core::handling::StepAction;
use gongwen_core::wire::{
    Command, CommandBody, CommandId, CommandOutcome, CommandResult, DeliveryStatus, Rejection,
    UnitCode,
};
use gongwen_core::{DocStatus, DocumentId};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::attachments::self_attachment_missing;
use super::{from_json, json, refused, refused_as, Account};
use crate::store::{enum_parse, head, now, parse_document, rfc3339};
use crate::versions;
use crate::{Store, StoreError};
use gongwen_core::revision::VersionReason;

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
    /// The exchange server, normalized (see [`normalize_server`](super::normalize_server)).
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

/// What a 分发 of a document would carry and meet, for the dialog that confirms it
/// ([`Store::dispatch_check`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DispatchCheck {
    pub classification: gongwen_core::Classification,
    /// Attachments listed (附件), with or without a file.
    pub attachments: u32,
    /// Validation errors, each "要素：问题" in Chinese; any one blocks the 分发.
    pub errors: Vec<String>,
    /// Units of the cached directory with no user cleared to read it: not to be chosen.
    pub uncleared: Vec<UnitCode>,
    /// Units of the cached directory the document's 主送机关 names, in its order
    /// (`gongwen_core::issuer::units_named`): the dialog starts with them chosen.
    pub named_main: Vec<UnitCode>,
    /// The same for its 抄送机关 (a unit named in both counts as 主送).
    pub named_cc: Vec<UnitCode>,
}

/// An opinion written with a step the server refused (someone acted first: another
/// leader signed, the sender withdrew; or the step was not theirs): 未生效的意见. It
/// stays in the outbox with the refusal, so what the late user wrote is kept and shown,
/// never dropped, even after the refusal is removed from the 同步队列.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UnheededOpinion {
    pub command_id: CommandId,
    /// The step as the writer saw it.
    pub step: StepId,
    pub action: StepAction,
    pub opinion: String,
    /// Username of who wrote it (the account that queued it; None if not recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub by: Option<String>,
    /// RFC 3339, UTC: when it was written (queued).
    pub written_at: String,
    /// RFC 3339, UTC: when the server refused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub refused_at: Option<String>,
    /// `written_at` and `refused_at` as every trail time is shown, in Beijing time
    /// (`gongwen_core::beijing_time`): `2026年12月8日 01:05`.
    #[serde(default)]
    pub written_at_shown: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub refused_at_shown: Option<String>,
    /// The server's reason: who did what and when, in Chinese.
    pub reason: String,
    /// The same in English, for logs and the CLI.
    pub reason_en: String,
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
    /// The account that queued it and alone sends it (or the account that confirmed
    /// it since, see [`Store::confirm_command`]); `None` for a command queued before
    /// accounts were recorded with no account remembered (sent only once a logged-in
    /// account confirms it, or discarded).
    pub queued_by: Option<QueuedBy>,
}

impl Store {
    /// Queues a dispatch (分发) of the latest saved version of a document. Edits only
    /// autosaved so far are numbered first (a version at step 分发), so what is sent is
    /// a version the history shows and marks 已分发.
    pub fn queue_dispatch(
        &mut self,
        document_id: DocumentId,
        main: Vec<UnitCode>,
        cc: Vec<UnitCode>,
    ) -> Result<CommandId, StoreError> {
        let unnumbered = self
            .get(document_id)?
            .is_some_and(|d| d.working_copy_at.is_some());
        if unnumbered && self.signed_in()?.is_some() {
            let author = self.author_name()?;
            self.make_version(document_id, &author, Some("分发"), VersionReason::Step)?;
        }
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

    /// Queues a step of the document's flow (核稿, 签发, 登记 …). `with_document`
    /// brings the latest saved version along: 送审 (the end of 拟稿) and the steps that
    /// may change the text (核稿, 复核).
    #[allow(clippy::too_many_arguments)]
    pub fn queue_step(
        &mut self,
        document_id: DocumentId,
        step: gongwen_core::flow::StepId,
        action: gongwen_core::handling::StepAction,
        opinion: Option<String>,
        publicity: Option<gongwen_core::handling::Publicity>,
        deadline: Option<String>,
        with_document: bool,
    ) -> Result<CommandId, StoreError> {
        let document = if with_document {
            let stored = self
                .get(document_id)?
                .ok_or(StoreError::NotFound(document_id))?;
            Some(Box::new(stored.document))
        } else {
            None
        };
        self.queue_command(&CommandBody::Step {
            document_id,
            step,
            action,
            opinion,
            document,
            publicity,
            deadline,
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
        // A delegation (代办) is given online, where the server answers at once: it is
        // about no document, and a leader leaving wants to know it holds.
        // So is a transfer (移交) and the archive's decision on it.
        if matches!(
            body,
            CommandBody::Delegate { .. }
                | CommandBody::RevokeDelegation { .. }
                | CommandBody::Transfer { .. }
                | CommandBody::AcceptTransfer { .. }
                | CommandBody::ReturnTransfer { .. }
        ) {
            return Err(refused(
                "a delegation is sent to the exchange directly, not queued",
                "代办委托须联网提交，不进入同步队列。",
            ));
        }
        self.check_visible(body.document_id())?;
        gongwen_core::workflow::precheck(body).map_err(refused_as)?;
        let classification = match body {
            CommandBody::Dispatch {
                document, main, cc, ..
            } => {
                if document.classification > account.user.clearance {
                    return Err(self.above_clearance(document.classification)?);
                }
                self.check_recipients_cleared(document.classification, main.iter().chain(cc))?;
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
                    // 重新分发: only to the units that returned it, each in its role, as
                    // the server decides (`workflow::check_redispatch`).
                    DocStatus::Returned => {
                        if let CommandBody::Dispatch { main, cc, .. } = body {
                            check_returned_to(&tx, document_id, main, cc)?;
                        }
                    }
                    DocStatus::Draft | DocStatus::SignedOff => {}
                }
                if queued(&["dispatch"])? {
                    return Err(refused(
                        format!("a dispatch of document {document_id} is already queued"),
                        "该公文的分发已在同步队列中。",
                    ));
                }
                // The rest of the one rule (`editable`): a document in its 发文 handling
                // goes out at 核发, not before.
                if let Some(why) = crate::editable::no_dispatch(&tx, document_id, h.status)? {
                    return Err(refused(
                        format!("document {document_id} {}", why.message_en()),
                        why.message_zh(),
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
                        "该公文的签收或退回已在同步队列中。",
                    ));
                }
            }
            // A step is decided by the server on its own state; what a version brought
            // along must be the latest saved one, as for a dispatch.
            CommandBody::Step {
                document: Some(document),
                ..
            } => {
                let latest: String = tx
                    .prepare_cached(
                        "SELECT content FROM versions WHERE doc_rowid = ?1 AND version = ?2",
                    )?
                    .query_row(params![h.doc_rowid, h.version], |r| r.get(0))?;
                if parse_document(&latest)? != **document {
                    return Err(refused(
                        format!("the content sent with the step on {document_id} is not its latest saved version; save first"),
                        "随办理提交的内容与最新保存的版本不一致，请先保存。",
                    ));
                }
            }
            CommandBody::Step { .. } => {}
            // Refused above: a delegation or transfer is about no document here.
            CommandBody::Delegate { .. }
            | CommandBody::RevokeDelegation { .. }
            | CommandBody::Transfer { .. }
            | CommandBody::AcceptTransfer { .. }
            | CommandBody::ReturnTransfer { .. } => {}
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

    /// Refuses, in the server's words, a 分发 to a unit the cached directory lists with
    /// no reader cleared for `classification` (the server refuses it too). A directory
    /// from a server that does not say is not held against anyone, nor is a unit it
    /// does not know (the server answers for those).
    fn check_recipients_cleared<'a>(
        &self,
        classification: gongwen_core::Classification,
        units: impl Iterator<Item = &'a UnitCode>,
    ) -> Result<(), StoreError> {
        let directory = self.directory()?;
        for unit in units {
            if !directory.units.iter().any(|u| &u.code == unit) {
                continue;
            }
            if let Some(cleared) = directory.unit_clearance(unit) {
                gongwen_core::workflow::check_recipient_cleared(unit, classification, cleared)
                    .map_err(refused_as)?;
            }
        }
        Ok(())
    }

    /// What the 分发 dialog shows and the store would refuse, before anything is queued:
    /// the latest saved version's 密级 and attachment count, its validation errors (each
    /// blocks the 分发), and the units of the cached directory none of whose users may
    /// read it. `NotFound` for a document the logged-in account may not see.
    pub fn dispatch_check(&self, document_id: DocumentId) -> Result<DispatchCheck, StoreError> {
        let document = self
            .get(document_id)?
            .ok_or(StoreError::NotFound(document_id))?
            .document;
        let directory = self.directory()?;
        let uncleared = directory
            .units
            .iter()
            .filter(|u| {
                directory.unit_clearance(&u.code).is_some_and(|cleared| {
                    gongwen_core::workflow::check_recipient_cleared(
                        &u.code,
                        document.classification,
                        cleared,
                    )
                    .is_err()
                })
            })
            .map(|u| u.code.clone())
            .collect();
        let named_main =
            gongwen_core::issuer::units_named(&document.main_recipients, &directory.units);
        let named_cc = gongwen_core::issuer::units_named(&document.cc_recipients, &directory.units)
            .into_iter()
            .filter(|c| !named_main.contains(c))
            .collect();
        Ok(DispatchCheck {
            classification: document.classification,
            attachments: document
                .attachments
                .iter()
                .filter(|a| !a.name.trim().is_empty())
                .count() as u32,
            errors: gongwen_core::validate(&document)
                .into_iter()
                .filter(|p| p.severity == gongwen_core::Severity::Error)
                .map(|p| format!("{}：{}", p.element.label(), p.message))
                .collect(),
            uncleared,
            named_main,
            named_cc,
        })
    }

    /// 确认发送: the logged-in account takes a pending command that another account (or
    /// an account no longer known) queued on this computer, to send it under its own
    /// name: after a login nothing queued before goes out as this user's act until they
    /// have seen it. Checked again as when it was queued (they may see the document, the
    /// rules of `workflow::precheck`, the directory's clearances), since the one who
    /// queued it may have been cleared where this account is not. Recorded: the row keeps
    /// whose it was (`confirmed_from`) and when it was taken. Returns false when there is
    /// no such pending command this account may see; its own are refused (already its).
    pub fn confirm_command(&mut self, id: CommandId) -> Result<bool, StoreError> {
        let Some(account) = self.signed_in()? else {
            return Err(refused(
                "not logged in: only a logged-in account can confirm queued commands",
                "请先登录，再确认待同步的操作。",
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
                "这是本账号加入同步队列的操作，会自动发送。",
            ));
        }
        let body = &entry.command.body;
        self.check_visible(body.document_id())?;
        gongwen_core::workflow::precheck(body).map_err(refused_as)?;
        if let CommandBody::Dispatch {
            document, main, cc, ..
        } = body
        {
            if document.classification > account.user.clearance {
                return Err(self.above_clearance(document.classification)?);
            }
            self.check_recipients_cleared(document.classification, main.iter().chain(cc))?;
        }
        let n = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET confirmed_from = coalesce(account, ''), account = ?2, confirmed_at = ?3
                 WHERE command_id = ?1 AND state = 'pending'",
            )?
            .execute(params![id.to_string(), account.key(), rfc3339(&now())])?;
        Ok(n > 0)
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
    pub(super) fn visible_commands(&self) -> Result<String, StoreError> {
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

    /// Removes a refused command from the outbox the user sees (移除), once they have
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

    /// The opinions of this document's refused steps, oldest first (see
    /// [`UnheededOpinion`]): every refused step command with an opinion, shown or
    /// removed from the 同步队列 alike.
    pub fn unheeded_opinions(
        &self,
        document_id: DocumentId,
    ) -> Result<Vec<UnheededOpinion>, StoreError> {
        let visible = self.visible_commands()?;
        let refused = self.outbox_where(
            &format!("state = 'rejected' AND document_id = ? AND {visible}"),
            &[document_id.to_string()],
            None,
        )?;
        Ok(refused
            .into_iter()
            .filter_map(|e| {
                let CommandBody::Step {
                    step,
                    action,
                    opinion: Some(opinion),
                    ..
                } = e.command.body
                else {
                    return None;
                };
                let opinion = opinion.trim().to_string();
                if opinion.is_empty() {
                    return None;
                }
                let rejection = e.rejection.unwrap_or_else(|| Rejection {
                    code: gongwen_core::wire::RejectCode::Invalid,
                    message: String::new(),
                    message_en: String::new(),
                });
                Some(UnheededOpinion {
                    command_id: e.command.id,
                    step,
                    action,
                    opinion,
                    by: e.queued_by.map(|q| q.username),
                    written_at_shown: gongwen_core::beijing_time(&e.created_at),
                    refused_at_shown: e.decided_at.as_deref().map(gongwen_core::beijing_time),
                    written_at: e.created_at,
                    refused_at: e.decided_at,
                    reason: rejection.message,
                    reason_en: rejection.message_en,
                })
            })
            .collect())
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
        let tx = self.conn.transaction()?;
        let n = tx.prepare_cached(
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
        if n > 0 && state == "accepted" {
            // An accepted 分发: the version it carried is marked 已分发 in the history.
            let payload: String = tx
                .prepare_cached("SELECT payload FROM outbox WHERE command_id = ?1")?
                .query_row([outcome.command_id.to_string()], |r| r.get(0))?;
            if let CommandBody::Dispatch {
                document_id,
                document,
                ..
            } = from_json::<Command>(&payload)?.body
            {
                versions::mark_dispatched_content(
                    &tx,
                    document_id,
                    &document,
                    &outcome.decided_at,
                )?;
            }
        }
        tx.commit()?;
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
}

/// A 重新分发 names only units whose last state of the document here is 已退回, each in
/// the role (主送/抄送) it had: the server refuses any other second 分发.
fn check_returned_to(
    tx: &rusqlite::Transaction<'_>,
    document_id: DocumentId,
    main: &[gongwen_core::wire::UnitCode],
    cc: &[gongwen_core::wire::UnitCode],
) -> Result<(), StoreError> {
    use gongwen_core::wire::RecipientRole;
    let roles = main
        .iter()
        .map(|u| (u, RecipientRole::Main))
        .chain(cc.iter().map(|u| (u, RecipientRole::Cc)));
    for (unit, role) in roles {
        let row: Option<(String, String)> = tx
            .prepare_cached(
                "SELECT status, role FROM deliveries WHERE document_id = ?1 AND unit = ?2",
            )?
            .query_row(params![document_id.to_string(), unit.0], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        match row {
            Some((status, had)) if status == "returned" && had == role.as_str() => {}
            Some((status, had)) if status == "returned" => {
                let had: RecipientRole = enum_parse(&had)?;
                return Err(refused(
                    format!("unit {unit} was a {had:?} recipient of {document_id}, not {role:?}"),
                    format!(
                        "单位“{unit}”原为{}单位，重新分发时不能改为{}。",
                        had.label(),
                        role.label()
                    ),
                ));
            }
            _ => {
                return Err(refused(
                    format!("unit {unit} did not return document {document_id}; it is dispatched again only to a unit that returned it"),
                    format!("该公文已分发，只能重新分发给退回该公文的单位（“{unit}”没有退回）。"),
                ));
            }
        }
    }
    Ok(())
}
