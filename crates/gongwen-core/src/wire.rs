//! What travels between a desktop client and the exchange server: units and users,
//! commands and their outcomes, and the per-unit change log. Plain serde data; the
//! protocol itself (ordering, idempotency, cursors) is described in
//! `docs/sync-protocol.md`.
//!
//! New workflow steps (核稿, 会签, 签发, 登记, 拟办 …) are new [`CommandBody`] and
//! [`ChangeEntry`] variants; the envelope types around them do not change.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Classification, Document, DocumentId};

/// A unit's code on the exchange, e.g. `sz-fgw`. Chosen by the administrator; stable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, type = "string"))]
#[serde(transparent)]
pub struct UnitCode(pub String);

impl std::fmt::Display for UnitCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for UnitCode {
    fn from(s: &str) -> Self {
        UnitCode(s.to_string())
    }
}

/// 单位 / 机关 on the exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Unit {
    pub code: UnitCode,
    /// Full name, e.g. `宿州市发展和改革委员会`.
    pub name: String,
    /// 规范化简称, e.g. `市发展改革委`: offices write 主送 with the full name or this (the
    /// 条例, GB/T 9704 7.2.x). `None` when the exchange has none for the unit, or is from
    /// before this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub short_name: Option<String>,
}

/// What a user does in their unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 文书 / 收发员
    Clerk,
    /// 办公室主任
    OfficeDirector,
    /// 领导
    Leader,
    /// 档案员
    Archivist,
    /// 管理员
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Clerk,
        Role::OfficeDirector,
        Role::Leader,
        Role::Archivist,
        Role::Admin,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Role::Clerk => "文书",
            Role::OfficeDirector => "办公室主任",
            Role::Leader => "领导",
            Role::Archivist => "档案员",
            Role::Admin => "管理员",
        }
    }

    /// Who may send and receive documents over the exchange (分发, 签收, 退回).
    pub fn handles_documents(self) -> bool {
        matches!(self, Role::Clerk | Role::OfficeDirector | Role::Leader)
    }
}

/// A client's connection to the exchange as the UI shows it (the sync loop's view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    /// 连接中: the first round since the loop started (or since login) is running.
    Connecting,
    /// 已连接: the last round succeeded.
    Online,
    /// 离线: the server could not be reached, or failed; retrying on a timer.
    Offline,
    /// 需要登录: nobody is logged in, or the token was refused (the loop has stopped).
    LoginNeeded,
}

impl Connection {
    pub const ALL: [Connection; 4] = [
        Connection::Connecting,
        Connection::Online,
        Connection::Offline,
        Connection::LoginNeeded,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Connection::Connecting => "连接中",
            Connection::Online => "已连接",
            Connection::Offline => "离线",
            Connection::LoginNeeded => "需要登录",
        }
    }
}

/// A user as others see them (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UserInfo {
    /// Login name, unique on the exchange.
    pub username: String,
    /// Name shown to others, e.g. `张明`.
    pub display_name: String,
    pub unit: UnitCode,
    pub role: Role,
    /// Highest 密级 this user may see.
    pub clearance: Classification,
}

/// A user as the directory shows them to everyone: who they are and their unit, not
/// their role or clearance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DirectoryUser {
    /// Login name, unique on the exchange.
    pub username: String,
    /// Name shown to others, e.g. `张明`.
    pub display_name: String,
    pub unit: UnitCode,
}

/// Units and users, cached by clients so a clerk can address a document offline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Directory {
    pub units: Vec<Unit>,
    pub users: Vec<DirectoryUser>,
    /// For each unit with an active user who reads documents, the highest 密级 one of
    /// them is cleared for (a unit not listed has none). Per unit, not per user, so
    /// no one's clearance is shown; enough for a sender to see before 分发 which
    /// recipient could never read the document. `None` from a server before this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub clearances: Option<Vec<UnitClearance>>,
    /// The units that have flows of their own (set by the exchange's admin), as the
    /// TOML the admin wrote; every other unit follows the 条例's default. Clients
    /// read them to offer the steps the server will decide by (see [`Directory::flow`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub flows: Vec<UnitFlow>,
    /// Earlier versions of flows that handlings in progress still follow (the admin
    /// changed the unit's flow since they started), by digest; the current ones are
    /// not repeated here. See [`Directory::handling_flow`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub flow_versions: Vec<FlowVersion>,
}

/// A flow version some handling still follows (see [`Directory`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowVersion {
    /// [`crate::flow::Flow::digest`] of the flow, as handlings name it.
    pub digest: String,
    pub kind: crate::flow::FlowKind,
    pub source: String,
}

/// A unit's own 发文 or 收文 flow (see [`Directory`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitFlow {
    pub unit: UnitCode,
    pub kind: crate::flow::FlowKind,
    /// The flow file (`docs/workflows.md`), checked by the server when it loaded it.
    pub source: String,
}

/// The highest 密级 any active reader of a unit is cleared for (see [`Directory`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UnitClearance {
    pub unit: UnitCode,
    pub clearance: Classification,
}

impl Directory {
    /// The flow `unit` follows for `kind`: its own, or the 条例's default. A flow that
    /// does not parse here (a client older than the server's flow format) falls back to
    /// the default: the client only offers steps, the server decides every one.
    pub fn flow(&self, unit: &UnitCode, kind: crate::flow::FlowKind) -> crate::flow::Flow {
        let own = self
            .flows
            .iter()
            .find(|f| &f.unit == unit && f.kind == kind);
        match own.map(|f| crate::flow::Flow::parse(&f.source)) {
            Some(Ok(flow)) if flow.kind == kind => flow,
            _ => crate::flow::Flow::default_for(kind),
        }
    }

    /// The flow a handling follows: the version it started with when this directory
    /// carries it (the server sends the earlier versions handlings in progress still
    /// follow), else the unit's current flow, as [`Directory::flow`] gives it. A
    /// version is taken only if it parses here to the digest it is named by.
    pub fn handling_flow(&self, handling: &crate::handling::Handling) -> crate::flow::Flow {
        let pinned = handling.flow_digest.as_deref().and_then(|digest| {
            self.flow_versions
                .iter()
                .filter(|v| v.digest == digest && v.kind == handling.flow)
                .find_map(|v| crate::flow::Flow::parse(&v.source).ok())
                .filter(|f| f.digest() == digest && f.kind == handling.flow)
        });
        pinned.unwrap_or_else(|| self.flow(&handling.unit, handling.flow))
    }

    /// What this directory says of a unit's readers: `Some(None)` when it lists none
    /// cleared at all, `None` when the server did not say (an older server).
    pub fn unit_clearance(&self, unit: &UnitCode) -> Option<Option<Classification>> {
        let clearances = self.clearances.as_ref()?;
        Some(
            clearances
                .iter()
                .find(|c| &c.unit == unit)
                .map(|c| c.clearance),
        )
    }
}

/// Client-generated id of a command: the key of idempotency. A command re-sent with
/// the same id gets the original outcome; the same id with another payload is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, type = "string"))]
#[serde(transparent)]
pub struct CommandId(pub Uuid);

impl std::fmt::Display for CommandId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A request to change workflow state, decided by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Command {
    pub id: CommandId,
    #[serde(flatten)]
    pub body: CommandBody,
}

/// 主送 or 抄送.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum RecipientRole {
    Main,
    Cc,
}

impl RecipientRole {
    pub const ALL: [RecipientRole; 2] = [RecipientRole::Main, RecipientRole::Cc];

    pub fn label(self) -> &'static str {
        match self {
            RecipientRole::Main => "主送",
            RecipientRole::Cc => "抄送",
        }
    }
}

/// The command types. JSON: `{"id": "…", "type": "dispatch", …fields}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CommandBody {
    /// 分发: send a signed-off document to units. Attachment files must have been
    /// uploaded (by SHA-256) first.
    Dispatch {
        document_id: DocumentId,
        document: Box<Document>,
        main: Vec<UnitCode>,
        cc: Vec<UnitCode>,
    },
    /// 签收: the receiving unit confirms receipt; the sender gets a 回执.
    Acknowledge { document_id: DocumentId },
    /// 退回: the receiving unit sends the document back, with a reason.
    Return {
        document_id: DocumentId,
        reason: String,
    },
    /// A step of the actor's unit's 发文 or 收文 flow (核稿, 会签, 签发, 编号, 登记,
    /// 批办, 承办, 传阅, 催办, 办结 …), or 撤回, 加签, 减签 on it. The first step of a
    /// 发文 (拟稿 finished, i.e. 送审) brings the document and starts its handling.
    Step {
        document_id: DocumentId,
        /// The step the actor acts on, as their client last saw it: when the document
        /// has moved on meanwhile, the command is refused, naming who moved it.
        step: crate::flow::StepId,
        action: crate::handling::StepAction,
        /// 意见 / 批示, kept with name, role, date and step.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        opinion: Option<String>,
        /// A new version of the document (拟稿, 核稿 and 复核 may change it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        document: Option<Box<Document>>,
        /// 公开属性: required at 签发.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        publicity: Option<crate::handling::Publicity>,
        /// 限办日期 (YYYY-MM-DD), given at 批办.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        deadline: Option<String>,
    },
    /// 代办: the acting leader lets `to`, a user of the same unit, take `steps` (none
    /// named: all of theirs) from `from` to `until` (YYYY-MM-DD, Beijing days, both
    /// included). Not about a document: `delegation_id` names it instead.
    Delegate {
        delegation_id: uuid::Uuid,
        to: String,
        #[serde(default)]
        steps: Vec<crate::flow::StepKind>,
        from: String,
        until: String,
    },
    /// Ends a delegation now (by its leader, or by the delegate declining it).
    RevokeDelegation { delegation_id: uuid::Uuid },
    /// 移交: the filing unit's 档案员 hands a filed batch to an archive. Every file
    /// must have been uploaded (by SHA-256) first; `transfer_id` is fixed by the batch's
    /// content ([`crate::transfer::transfer_id`]) and the server keeps one transfer per
    /// id. Not in the app's UI yet (the archivist's desk is not built).
    #[cfg_attr(feature = "ts", ts(skip))]
    Transfer {
        transfer_id: uuid::Uuid,
        to: UnitCode,
        fonds_code: String,
        year: u16,
        files: Vec<crate::transfer::TransferFile>,
    },
    /// 接收: the receiving archive's 档案员 takes the batch in.
    #[cfg_attr(feature = "ts", ts(skip))]
    AcceptTransfer {
        transfer_id: uuid::Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// 退回: the receiving archive's 档案员 sends the batch back, with a reason.
    #[cfg_attr(feature = "ts", ts(skip))]
    ReturnTransfer {
        transfer_id: uuid::Uuid,
        reason: String,
    },
}

impl CommandBody {
    /// Each command type's name ([`CommandBody::kind`]) and its Chinese label, for the
    /// vocabulary (the outbox lists commands by name).
    pub const KINDS: [(&'static str, &'static str); 9] = [
        ("dispatch", "分发"),
        ("acknowledge", "签收"),
        ("return", "退回"),
        ("step", "办理"),
        ("delegate", "委托代办"),
        ("revoke_delegation", "撤销代办"),
        ("transfer", "移交"),
        ("accept_transfer", "接收移交"),
        ("return_transfer", "退回移交"),
    ];

    /// The `type` tag, for logs, audit and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            CommandBody::Dispatch { .. } => "dispatch",
            CommandBody::Acknowledge { .. } => "acknowledge",
            CommandBody::Return { .. } => "return",
            CommandBody::Step { .. } => "step",
            CommandBody::Delegate { .. } => "delegate",
            CommandBody::RevokeDelegation { .. } => "revoke_delegation",
            CommandBody::Transfer { .. } => "transfer",
            CommandBody::AcceptTransfer { .. } => "accept_transfer",
            CommandBody::ReturnTransfer { .. } => "return_transfer",
        }
    }

    pub fn document_id(&self) -> DocumentId {
        match self {
            CommandBody::Dispatch { document_id, .. }
            | CommandBody::Acknowledge { document_id }
            | CommandBody::Return { document_id, .. }
            | CommandBody::Step { document_id, .. } => *document_id,
            // A delegation is about no document; its own id stands in (a fresh UUID,
            // never a document's), so the command's bookkeeping stays one shape.
            CommandBody::Delegate { delegation_id, .. }
            | CommandBody::RevokeDelegation { delegation_id } => DocumentId(*delegation_id),
            // So is a transfer (its id is fixed by the batch, never a document's).
            CommandBody::Transfer { transfer_id, .. }
            | CommandBody::AcceptTransfer { transfer_id, .. }
            | CommandBody::ReturnTransfer { transfer_id, .. } => DocumentId(*transfer_id),
        }
    }
}

/// Why the server refused a command. A refusal is final: re-sending the command gets
/// the same refusal, so a client never retries it forever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Rejection {
    pub code: RejectCode,
    /// For the user, in Chinese.
    pub message: String,
    /// For logs and the CLI.
    pub message_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// The user's role may not do this.
    Forbidden,
    /// The document is above the user's clearance.
    AboveClearance,
    /// No such document, or not one this unit may see.
    NotFound,
    /// The document is not in a state that allows this step.
    InvalidState,
    /// The command itself is wrong (no recipients, unknown unit, bad attachment name…).
    Invalid,
    /// An attachment file has not been uploaded.
    MissingAttachment,
    /// This command id was used before with a different payload.
    IdReused,
}

/// The server's answer to one command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CommandResult {
    Accepted,
    Rejected { rejection: Rejection },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CommandOutcome {
    pub command_id: CommandId,
    pub result: CommandResult,
    /// RFC 3339, UTC: when the server decided (the original time for a re-send).
    pub decided_at: String,
}

/// `POST /v1/commands`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    pub commands: Vec<Command>,
}

/// One outcome per command, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub outcomes: Vec<CommandOutcome>,
}

/// Where a document stands at one recipient unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// 已送达: in the recipient's inbox, not yet signed for.
    Delivered,
    /// 已签收
    Acknowledged,
    /// 已退回
    Returned,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [
        DeliveryStatus::Delivered,
        DeliveryStatus::Acknowledged,
        DeliveryStatus::Returned,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DeliveryStatus::Delivered => "已送达",
            DeliveryStatus::Acknowledged => "已签收",
            DeliveryStatus::Returned => "已退回",
        }
    }
}

/// One recipient of a dispatched document and where it stands there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Delivery {
    pub unit: UnitCode,
    pub role: RecipientRole,
    pub status: DeliveryStatus,
    /// The reason given when returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub reason: Option<String>,
    /// Username of who changed the status last (the dispatcher for `Delivered`).
    pub by: String,
    /// RFC 3339, UTC.
    pub at: String,
}

/// One entry of a unit's change log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Change {
    /// Position in this unit's log: 1, 2, 3 … without gaps.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
    /// The command that caused it.
    pub command_id: CommandId,
    #[serde(flatten)]
    pub entry: ChangeEntry,
}

/// What happened, as a client applies it to its local store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeEntry {
    /// In the sender unit's log: this unit dispatched the document.
    Sent {
        document_id: DocumentId,
        document: Box<Document>,
        content_hash: String,
        deliveries: Vec<Delivery>,
    },
    /// In a recipient unit's log: a document arrived (收文).
    Received {
        document_id: DocumentId,
        document: Box<Document>,
        content_hash: String,
        from: UnitCode,
        role: RecipientRole,
        /// Username of the dispatcher.
        by: String,
        at: String,
    },
    /// In the sender's and that recipient's log: a recipient's status changed (回执).
    Delivery {
        document_id: DocumentId,
        delivery: Delivery,
    },
    /// In the log of a unit whose flow it is, and of units taking part (会签): where
    /// the document stands in that unit's flow, whole, with the current version when
    /// the step concerns it (absent at 签收 and 核发, which bring no new content).
    Handling {
        document_id: DocumentId,
        handling: Box<crate::handling::Handling>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        document: Option<Box<Document>>,
        content_hash: String,
    },
    /// In the sending unit's and the archive's log: a transfer (移交) arrived and was
    /// checked, or the archive decided (接收/退回). The whole record each time: it is
    /// the 移交与接收登记表 both sides keep.
    #[cfg_attr(feature = "ts", ts(skip))]
    Transfer {
        transfer: Box<crate::transfer::Transfer>,
    },
}

impl ChangeEntry {
    pub fn document_id(&self) -> DocumentId {
        match self {
            ChangeEntry::Sent { document_id, .. }
            | ChangeEntry::Received { document_id, .. }
            | ChangeEntry::Delivery { document_id, .. }
            | ChangeEntry::Handling { document_id, .. } => *document_id,
            ChangeEntry::Transfer { transfer } => DocumentId(transfer.id),
        }
    }
}

/// `GET /v1/changes?after=N&limit=M`: the caller's unit's log after its cursor,
/// without entries above the caller's clearance.
///
/// The fields after `has_more` say which log the cursor belongs to, so a client can
/// tell when its cursor no longer means anything (see `docs/sync-protocol.md`,
/// "When a cursor is void"). Each is optional on the wire: a server that does not
/// send them is trusted as before, and an older client ignores them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesPage {
    pub changes: Vec<Change>,
    /// Store this and send it as `after` next time: the last position read, which may
    /// be past the last change returned when entries were withheld for clearance.
    pub next_cursor: u64,
    /// More entries follow; pull again at once.
    pub has_more: bool,
    /// The server's log epoch. A restore from a backup starts a new one: cursors of the
    /// old epoch may point past entries the server no longer has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    /// The last seq of the unit's log (withheld entries included) when the page was
    /// read. A cursor beyond it points at entries the server lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_seq: Option<u64>,
    /// The unit whose log this is: the caller's unit now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitCode>,
    /// The clearance the page was filtered with: the caller's clearance now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clearance: Option<Classification>,
}

/// `POST /v1/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token: `Authorization: Bearer <token>`.
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    pub user: UserInfo,
}

impl std::fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginResponse")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("user", &self.user)
            .finish()
    }
}

/// The body of every error response of the server (4xx/5xx).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `unauthorized`, `payload_too_large`, `bad_request`.
    pub code: String,
    /// English, names what was wrong.
    pub message: String,
    /// Chinese, for the UI.
    pub message_zh: String,
}
