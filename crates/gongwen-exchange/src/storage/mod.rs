//! Server storage behind one trait, [`Storage`], with two engines: embedded SQLite
//! (`sqlite`, the default: one file) and PostgreSQL (`postgres`). One conformance
//! suite (`tests/conformance.rs`) runs against both.
//!
//! Storage knows units, users, tokens, commands, documents, per-unit change logs, the
//! audit chain and the 文号 series (a counter and a register per series, see
//! [`NumberWrite`]). It does not know workflow rules: a document's workflow state is
//! JSON it stores and compares by version (see [`Commit`]), so new command types need
//! no change here.

mod codec;
pub mod postgres;
mod postgres_tls;
pub mod sqlite;

use async_trait::async_trait;
use gongwen_core::wire::{FlowVersion, Unit, UnitCode, UserInfo};
use gongwen_core::{Classification, DocumentId};

/// A user as stored: [`UserInfo`] plus what only the server may see.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub info: UserInfo,
    /// argon2 PHC string.
    pub password_hash: String,
    pub disabled: bool,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("info", &self.info)
            .field("password_hash", &"<redacted>")
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// A command as recorded: the key of idempotency. `outcome` is the
/// [`gongwen_core::wire::CommandOutcome`] as JSON, returned again on a re-send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRecord {
    pub command_id: uuid::Uuid,
    pub unit: UnitCode,
    pub username: String,
    /// Client id the command came from (an install id sent by the app).
    pub client: String,
    /// `dispatch`, `acknowledge` …
    pub kind: String,
    /// SHA-256 hex of the command's canonical JSON: the same id with another payload
    /// is refused.
    pub payload_hash: String,
    pub outcome: String,
    /// RFC 3339, UTC.
    pub at: String,
}

/// A document's workflow state as stored. `version` starts at 1 and grows by one with
/// every accepted command on the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowRecord {
    pub document_id: DocumentId,
    pub version: i64,
    pub owner: UnitCode,
    pub classification: Classification,
    /// [`gongwen_core::workflow::DocumentState`] as JSON.
    pub state: String,
}

/// The content of a document as dispatched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    pub document_id: DocumentId,
    pub owner: UnitCode,
    pub classification: Classification,
    pub content_hash: String,
    /// The `Document` as JSON.
    pub content: String,
}

/// A write of a workflow state, compared-and-set on `expected_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowWrite {
    pub document_id: DocumentId,
    /// `None`: the document must not exist yet. `Some(v)`: its version must still be v.
    pub expected_version: Option<i64>,
    pub owner: UnitCode,
    pub classification: Classification,
    pub state: String,
    /// Units that may read the document (owner and recipients); added, never removed.
    pub access: Vec<UnitCode>,
}

/// One entry appended to one unit's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogWrite {
    pub unit: UnitCode,
    /// Readers below this clearance do not get the entry (their cursor passes it).
    pub classification: Classification,
    /// [`gongwen_core::wire::ChangeEntry`] as JSON. With `content` set, its
    /// `document` is `null` and the stored content takes its place when it is read
    /// (see [`log_writes`]); without, the entry is whole (as earlier builds wrote it).
    pub entry: String,
    pub content: Option<ContentKey>,
}

/// Names a document's content stored once in [`Commit::contents`] (or by an earlier
/// commit) for every log entry that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentKey {
    pub document_id: DocumentId,
    pub content_hash: String,
}

/// A document's content as log entries carry it, written once per (document, content
/// hash): a dispatch to 300 units stores it once, not 301 times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogContent {
    pub key: ContentKey,
    /// The `Document` as JSON, exactly as it stood in the entry.
    pub content: String,
}

pub use codec::log_writes;

/// What one command does to storage, written in one transaction: all or nothing. A
/// document's attachment files end the dispatching user's upload grants of them in the
/// same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub command: CommandRecord,
    /// None for a rejected command (only the command and its audit entry are written).
    pub workflow: Option<WorkflowWrite>,
    pub document: Option<DocumentRecord>,
    pub log: Vec<LogWrite>,
    /// Contents the log entries refer to; one already stored is not written again.
    pub contents: Vec<LogContent>,
    /// 文号 given or cancelled by the command (see [`NumberWrite`]).
    pub numbers: Vec<NumberWrite>,
    /// A delegation (代办) given or revoked by the command, written whole.
    pub delegation: Option<gongwen_core::delegation::Delegation>,
    /// A transfer (移交) that arrived, or the archive's decision on it.
    pub transfer: Option<TransferWrite>,
    pub audit: AuditDraft,
}

/// A transfer written whole by a commit. A new one (`expected` None) must not exist
/// and takes each of its 档号 for itself (a 件 is in one open transfer at a time);
/// a decision is compared-and-set on the status it was decided on, so two archivists
/// deciding at once cannot both win. A 退回 releases the 档号 again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferWrite {
    pub transfer: gongwen_core::transfer::Transfer,
    pub expected: Option<gongwen_core::transfer::TransferStatus>,
    /// The receiving server's whole 四性检测 report (JSON), stored with a new transfer.
    pub report: Option<String>,
}

/// A transfer as stored, with the whole check report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    pub transfer: gongwen_core::transfer::Transfer,
    /// `gongwen_archive::CheckReport` as JSON.
    pub report: String,
}

/// What happens to a number of a 文号 series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberEvent {
    /// 编号: the number is given to a document.
    Issued,
    /// 取消编号: the number is withdrawn, with who and why; it is never given again.
    Cancelled,
}

impl NumberEvent {
    /// The text stored in the register.
    pub fn as_str(self) -> &'static str {
        match self {
            NumberEvent::Issued => "issued",
            NumberEvent::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Result<NumberEvent, StorageError> {
        match s {
            "issued" => Ok(NumberEvent::Issued),
            "cancelled" => Ok(NumberEvent::Cancelled),
            other => Err(StorageError::Backend(format!(
                "the number register holds an unknown event `{other}`"
            ))),
        }
    }
}

/// A number given or cancelled, written in the commit's transaction.
///
/// `Issued` is a compare-and-set on the series' counter: the series' last issued
/// number must be `number - 1` (0 for a new series), else the whole commit fails with
/// [`StorageError::NumberTaken`] and the caller reads [`Storage::series_last`] again and
/// retries, as for [`StorageError::Conflict`]. So numbers are given 1, 2, 3 … without
/// gaps or doubles however many commands race. `Cancelled` records the cancellation of
/// a number issued to `document_id` and leaves the counter alone: a number is never
/// given twice, and a gap in a series is explained by its cancellation. Both go into
/// the register ([`Storage::number_register`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberWrite {
    /// [`gongwen_core::numbering::SeriesKey`]'s text, e.g. `宿发改/2026`.
    pub series: String,
    pub number: i64,
    pub document_id: DocumentId,
    pub event: NumberEvent,
    /// Username of who gave or cancelled it.
    pub by: String,
    /// RFC 3339, UTC.
    pub at: String,
    /// Why it was cancelled; `None` for an issue.
    pub reason: Option<String>,
}

/// A row of a series' register: every number event, in number order (an issue before
/// its cancellation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRecord {
    pub series: String,
    pub number: i64,
    pub document_id: DocumentId,
    pub event: NumberEvent,
    /// The command that wrote it.
    pub command_id: uuid::Uuid,
    pub by: String,
    pub at: String,
    pub reason: Option<String>,
}

/// The register's event column, read back.
fn number_event(s: &str) -> Result<NumberEvent, StorageError> {
    NumberEvent::parse(s)
}

/// The not-found error of a cancellation whose number was not issued to its document.
fn not_issued(w: &NumberWrite) -> StorageError {
    StorageError::NotFound {
        what: "issued number",
        key: format!("{} {} of document {}", w.series, w.number, w.document_id),
    }
}

/// The error of a second cancellation of one number.
fn cancelled_twice(w: &NumberWrite) -> StorageError {
    StorageError::AlreadyExists {
        what: "cancellation of number",
        key: format!("{} {}", w.series, w.number),
    }
}

/// An audit entry before it is chained: storage assigns `seq` and the hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditDraft {
    pub at: String,
    pub username: String,
    pub unit: UnitCode,
    pub client: String,
    /// e.g. `command dispatch`, `login`, `login_failed`, `admin user disable`.
    pub action: String,
    /// What it was about and how it ended, as JSON (never a password or token).
    pub detail: String,
}

/// An audit entry as stored. `hash` = SHA-256 over `prev_hash` and the entry's fields
/// (see [`audit_hash`]); the first entry's `prev_hash` is 64 zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: String,
    pub username: String,
    pub unit: UnitCode,
    pub client: String,
    pub action: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    /// The entry's own fields, as they were hashed.
    pub fn draft(&self) -> AuditDraft {
        AuditDraft {
            at: self.at.clone(),
            username: self.username.clone(),
            unit: self.unit.clone(),
            client: self.client.clone(),
            action: self.action.clone(),
            detail: self.detail.clone(),
        }
    }
}

/// Walks the audit chain entry by entry, in seq order from the first: consecutive seqs
/// from 1, each `prev_hash` the hash before it, each `hash` recomputed from the entry.
/// `admin audit verify` and the conformance suite both check with this.
#[derive(Debug, Clone)]
pub struct AuditChain {
    prev_hash: String,
    next_seq: i64,
}

impl Default for AuditChain {
    fn default() -> Self {
        AuditChain {
            prev_hash: AUDIT_GENESIS.to_string(),
            next_seq: 1,
        }
    }
}

impl AuditChain {
    /// Checks the next entry; on a break, the seq where it is and why.
    pub fn check(&mut self, r: &AuditRecord) -> Result<(), (i64, &'static str)> {
        let problem = if r.seq != self.next_seq {
            Some("an entry is missing")
        } else if r.prev_hash != self.prev_hash {
            Some("its prev_hash does not match the entry before it")
        } else if audit_hash(&r.prev_hash, r.seq, &r.draft()) != r.hash {
            Some("its content does not match its hash (the entry was changed)")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err((r.seq.min(self.next_seq), problem));
        }
        self.prev_hash = r.hash.clone();
        self.next_seq += 1;
        Ok(())
    }

    /// How many entries checked out so far.
    pub fn verified(&self) -> i64 {
        self.next_seq - 1
    }
}

/// The chain hash of an audit entry; both engines and `admin audit verify` use this.
pub fn audit_hash(prev_hash: &str, seq: i64, d: &AuditDraft) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    // Length-prefixed fields, so no two different entries hash the same text.
    for field in [
        prev_hash,
        &seq.to_string(),
        &d.at,
        &d.username,
        &d.unit.0,
        &d.client,
        &d.action,
        &d.detail,
    ] {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    gongwen_core::digest::hex(&h.finalize())
}

/// The end of the audit chain as storage records it, in the same transaction as each
/// append: the last seq and its hash. Deleting entries at the end of the chain leaves
/// the head pointing past them, which [`verify_audit`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

impl std::fmt::Display for AuditHead {
    /// `SEQ:HASH`, the form `admin audit verify --expect` takes back.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for AuditHead {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (seq, hash) = s
            .trim()
            .split_once(':')
            .ok_or_else(|| format!("`{s}` is not SEQ:HASH"))?;
        let seq: i64 = seq
            .parse()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| format!("`{seq}` is not an audit seq"))?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("`{hash}` is not a SHA-256 in hex"));
        }
        Ok(AuditHead {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// Where and why the audit chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditBreak {
    pub seq: i64,
    pub problem: String,
}

/// Checks the whole audit chain: every entry (see [`AuditChain`]); that the chain
/// reaches the head storage recorded, with the head's hash (so entries deleted at the
/// end are seen); and, given an anchor saved earlier (`expect`), that the chain still
/// holds that entry with that hash (so a rewrite of the tail and the head together is
/// seen too). Ok: the chain's end as it is now (at least the head read first).
pub async fn verify_audit(
    storage: &dyn Storage,
    expect: Option<&AuditHead>,
) -> Result<Result<AuditHead, AuditBreak>, StorageError> {
    // The head first: entries appended while we walk only make the chain longer.
    let head = storage.audit_head().await?;
    let mut chain = AuditChain::default();
    let mut end = AuditHead {
        seq: 0,
        hash: AUDIT_GENESIS.to_string(),
    };
    let hash_at = |seq: i64| -> Option<String> { (seq == 0).then(|| AUDIT_GENESIS.to_string()) };
    let mut at_head = hash_at(head.seq);
    let mut at_expect = expect.and_then(|e| hash_at(e.seq));
    let mut after = 0i64;
    loop {
        let page = storage.audit_after(after, 1000).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.seq;
        for r in &page {
            if let Err((seq, problem)) = chain.check(r) {
                return Ok(Err(AuditBreak {
                    seq,
                    problem: problem.to_string(),
                }));
            }
            if r.seq == head.seq {
                at_head = Some(r.hash.clone());
            }
            if expect.is_some_and(|e| e.seq == r.seq) {
                at_expect = Some(r.hash.clone());
            }
            end = AuditHead {
                seq: r.seq,
                hash: r.hash.clone(),
            };
        }
    }
    match at_head {
        None => {
            return Ok(Err(AuditBreak {
                seq: end.seq + 1,
                problem: format!(
                "the chain ends at seq {} but its head says {}: entries at the end were removed",
                end.seq, head.seq
            ),
            }))
        }
        Some(h) if h != head.hash => {
            return Ok(Err(AuditBreak {
                seq: head.seq,
                problem: "it does not match the head's hash (the end of the chain was rewritten)"
                    .into(),
            }))
        }
        Some(_) => {}
    }
    if let Some(expect) = expect {
        match at_expect {
            None => {
                return Ok(Err(AuditBreak {
                    seq: expect.seq,
                    problem: format!(
                    "the saved anchor is past the end of the chain (seq {}): entries were removed",
                    end.seq
                ),
                }))
            }
            Some(h) if h != expect.hash => {
                return Ok(Err(AuditBreak {
                    seq: expect.seq,
                    problem: "it does not match the saved anchor (the chain was rewritten)".into(),
                }))
            }
            Some(_) => {}
        }
    }
    Ok(Ok(end))
}

/// An admin change, written in one transaction with its audit entry
/// ([`Storage::admin_change`]): a change is never made without its record, nor
/// recorded without being made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminChange {
    /// Refused with [`StorageError::NameTaken`] when its short name already names
    /// another unit.
    AddUnit(Unit),
    /// Sets (or replaces) a unit's 规范化简称. Refused with [`StorageError::NameTaken`]
    /// when another unit has it as its full or short name: a 主送 written with it would
    /// name two units. Clients get it with the directory.
    SetUnitShortName {
        code: UnitCode,
        short_name: String,
    },
    AddUser(UserRecord),
    /// Disabling also revokes every token of the user.
    SetUserDisabled {
        username: String,
        disabled: bool,
    },
    /// Also revokes every token of the user.
    SetPasswordHash {
        username: String,
        hash: String,
    },
}

/// The hash before the first audit entry.
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A row of a unit's change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub unit: UnitCode,
    /// 1, 2, 3 … per unit, without gaps, visible to readers only in order (a reader
    /// that has seen seq n never later finds a new entry with seq ≤ n).
    pub seq: i64,
    pub command_id: uuid::Uuid,
    pub classification: Classification,
    pub entry: String,
}

/// Where a unit's log ends, and which log epoch it belongs to (see
/// [`gongwen_core::wire::ChangesPage::epoch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHead {
    /// Changes when the server is restored from a backup (`admin restore`).
    pub epoch: String,
    /// The last seq of the unit's log, 0 when it is empty.
    pub seq: i64,
}

/// A bearer token as stored: only its SHA-256, never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub token_hash: String,
    pub username: String,
    pub expires_at: String,
    pub client: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The command id is recorded already (a concurrent re-send won the race); read it
    /// with [`Storage::command`] and answer with its outcome.
    #[error("command {0} is already recorded")]
    DuplicateCommand(uuid::Uuid),
    /// The workflow state changed since it was read (another command on the same
    /// document won); decide again on the new state.
    #[error("document {0} changed concurrently")]
    Conflict(DocumentId),
    /// An issued number's compare-and-set failed: another command took `number` of
    /// `series` first (or the caller's count was stale). Nothing was written; read
    /// [`Storage::series_last`] again and retry, like [`StorageError::Conflict`].
    #[error("number {number} of series {series} is taken")]
    NumberTaken { series: String, number: i64 },
    #[error("{what} `{key}` already exists")]
    AlreadyExists { what: &'static str, key: String },
    #[error("no {what} `{key}`")]
    NotFound { what: &'static str, key: String },
    /// A unit's short name that is already another unit's full or short name.
    #[error("`{name}` already names unit `{unit}`")]
    NameTaken { name: String, unit: UnitCode },
    #[error("storage backend: {0}")]
    Backend(String),
}

/// The server's storage. Every method is one transaction.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// `sqlite` or `postgres`, for logs and metrics.
    fn engine(&self) -> &'static str;

    // Directory.
    async fn add_unit(&self, unit: &Unit) -> Result<(), StorageError>;
    async fn units(&self) -> Result<Vec<Unit>, StorageError>;
    async fn add_user(&self, user: &UserRecord) -> Result<(), StorageError>;
    async fn user(&self, username: &str) -> Result<Option<UserRecord>, StorageError>;
    async fn users(&self) -> Result<Vec<UserRecord>, StorageError>;
    /// Disabling also revokes every token of the user, in the same transaction.
    async fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<(), StorageError>;
    /// Moves a user to another unit and/or sets their clearance. Tokens stay valid:
    /// every request reads the user afresh, and the change log tells the client
    /// which unit and clearance its pages are for.
    async fn update_user(
        &self,
        username: &str,
        unit: Option<&UnitCode>,
        clearance: Option<Classification>,
    ) -> Result<(), StorageError>;
    /// Also revokes every token of the user.
    async fn set_password_hash(&self, username: &str, hash: &str) -> Result<(), StorageError>;

    // Tokens.
    async fn add_token(&self, token: &TokenRecord) -> Result<(), StorageError>;
    /// The user of a token that exists, is not revoked, has not expired at `now` and
    /// whose user is not disabled.
    async fn token_user(
        &self,
        token_hash: &str,
        now: &str,
    ) -> Result<Option<UserRecord>, StorageError>;
    async fn revoke_token(&self, token_hash: &str) -> Result<(), StorageError>;
    /// Deletes every token that expired before `now` (revoked or not); returns how many.
    /// `now` and the stored expiries are the server's fixed RFC 3339 form, so they
    /// compare as text.
    async fn purge_expired_tokens(&self, now: &str) -> Result<u64, StorageError>;

    // Commands and documents.
    async fn command(&self, command_id: uuid::Uuid) -> Result<Option<CommandRecord>, StorageError>;
    async fn workflow(
        &self,
        document_id: DocumentId,
    ) -> Result<Option<WorkflowRecord>, StorageError>;
    /// Documents whose workflow state carries a 限办日期 (the automatic 催办 looks at
    /// these only).
    async fn workflows_with_deadline(&self) -> Result<Vec<DocumentId>, StorageError>;
    async fn document(
        &self,
        document_id: DocumentId,
    ) -> Result<Option<DocumentRecord>, StorageError>;
    /// Whether `unit` may read the document (it is the owner or a recipient).
    async fn has_access(
        &self,
        document_id: DocumentId,
        unit: &UnitCode,
    ) -> Result<bool, StorageError>;
    /// Whether any document this unit may read, classified at most `clearance`, lists
    /// an attachment with this SHA-256: [`Storage::blob_access`] found one.
    async fn blob_visible_to(
        &self,
        sha256: &str,
        unit: &UnitCode,
        clearance: Classification,
    ) -> Result<bool, StorageError> {
        Ok(self.blob_access(sha256, unit, clearance).await?.is_some())
    }
    /// The document that lets a user of `unit` cleared to `clearance` read the file:
    /// of those this unit may read, at most `clearance`, that list it, the most
    /// classified one (what a download of it is audited as).
    async fn blob_access(
        &self,
        sha256: &str,
        unit: &UnitCode,
        clearance: Classification,
    ) -> Result<Option<(DocumentId, Classification)>, StorageError>;
    /// Whether any document lists the file.
    async fn blob_listed(&self, sha256: &str) -> Result<bool, StorageError>;
    /// Lets `username`, cleared to `clearance`, read back a file they uploaded whole
    /// (verified). Ends when their dispatch lists the file (in [`Storage::commit`]).
    async fn grant_upload(
        &self,
        sha256: &str,
        username: &str,
        clearance: Classification,
        at: &str,
    ) -> Result<(), StorageError>;
    /// Whether `username` holds an upload grant for the file, given at a clearance no
    /// higher than `clearance` (their clearance now).
    async fn upload_granted(
        &self,
        sha256: &str,
        username: &str,
        clearance: Classification,
    ) -> Result<bool, StorageError>;
    /// Whether anyone holds an upload grant for the file given at `since` or later
    /// (the server's fixed RFC 3339 form, so the times compare as text): a sweep keeps
    /// such a file, its uploader may still list it.
    async fn upload_granted_since(&self, sha256: &str, since: &str) -> Result<bool, StorageError>;
    /// Ends every upload grant of the file (its file was removed).
    async fn drop_upload_grants(&self, sha256: &str) -> Result<(), StorageError>;
    /// Writes a command's effects atomically and returns the log seqs assigned, in the
    /// order of `commit.log`. Fails with `DuplicateCommand`, `Conflict` or
    /// `NumberTaken` (see [`NumberWrite`]) without writing anything.
    async fn commit(&self, commit: &Commit) -> Result<Vec<i64>, StorageError>;

    // 文号 series.
    /// The last number issued in the series (cancelled ones count: they are not given
    /// again), 0 when the series is new. The next [`NumberEvent::Issued`] is this + 1.
    async fn series_last(&self, series: &str) -> Result<i64, StorageError>;
    /// A unit's delegations (代办), revoked ones included, oldest first.
    async fn delegations(
        &self,
        unit: &UnitCode,
    ) -> Result<Vec<gongwen_core::delegation::Delegation>, StorageError>;
    /// One delegation by id.
    async fn delegation(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<gongwen_core::delegation::Delegation>, StorageError>;
    /// One transfer (移交) by id.
    async fn transfer(&self, id: uuid::Uuid) -> Result<Option<TransferRecord>, StorageError>;
    /// The transfers a unit sent or received, newest first.
    async fn transfers(
        &self,
        unit: &UnitCode,
    ) -> Result<Vec<gongwen_core::transfer::Transfer>, StorageError>;
    /// Which of these 档号 an open (not returned) transfer holds: (档号, transfer id).
    async fn transfers_holding(
        &self,
        archival_codes: &[String],
    ) -> Result<Vec<(String, uuid::Uuid)>, StorageError>;
    /// Every number event of the series, by number (an issue before its cancellation).
    async fn number_register(&self, series: &str) -> Result<Vec<NumberRecord>, StorageError>;

    // Flow versions (docs/workflows.md, "A unit's own flows").
    /// Every flow version kept: those the server loaded and those handlings in
    /// progress still follow, by digest.
    async fn flow_versions(&self) -> Result<Vec<FlowVersion>, StorageError>;
    /// Adds the versions in `current` not kept yet, and forgets every other one whose
    /// digest is not in `keep`; one transaction.
    async fn keep_flow_versions(
        &self,
        current: &[FlowVersion],
        keep: &[String],
    ) -> Result<(), StorageError>;
    /// The workflow states (JSON of `DocumentState`) in which some handling is not
    /// finished: the flows they follow must be kept.
    async fn open_workflow_states(&self) -> Result<Vec<(DocumentId, String)>, StorageError>;

    // Change log.
    /// Entries of `unit` with seq > `after`, at most `limit`, in seq order (all
    /// classifications; the caller filters and advances the cursor past withheld ones).
    async fn log_after(
        &self,
        unit: &UnitCode,
        after: i64,
        limit: u32,
    ) -> Result<Vec<LogRecord>, StorageError>;

    /// The unit's last seq and the log epoch, read together.
    async fn log_head(&self, unit: &UnitCode) -> Result<LogHead, StorageError>;
    /// Starts a new log epoch (after a restore: cursors of the old one are void) and
    /// returns it.
    async fn start_epoch(&self) -> Result<String, StorageError>;

    // Audit.
    /// Appends an entry that is not part of a command (login, admin actions).
    async fn append_audit(&self, draft: &AuditDraft) -> Result<AuditRecord, StorageError>;
    async fn audit_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StorageError>;
    /// The recorded end of the chain (seq 0 and [`AUDIT_GENESIS`] when empty).
    async fn audit_head(&self) -> Result<AuditHead, StorageError>;
    /// Makes an admin change and appends its audit entry, in one transaction.
    async fn admin_change(
        &self,
        change: &AdminChange,
        audit: &AuditDraft,
    ) -> Result<(), StorageError>;
}
