//! Applying pushed commands: idempotency by command id, the workflow decision
//! ([`gongwen_core::workflow::decide`]) on the stored state, and one [`Commit`] per
//! command, retried when another command on the same document won the race.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Deserialize;

use gongwen_core::delegation::{self, Delegation};
use gongwen_core::flow::{Flow, FlowKind, StepKind};
use gongwen_core::handling::StepAction;
use gongwen_core::numbering::{self, NumberingRules};
use gongwen_core::wire::{
    Command, CommandBody, CommandId, CommandOutcome, CommandResult, RejectCode, Rejection, Role,
    UnitCode, UserInfo,
};
use gongwen_core::workflow::{
    self, Actor, CancelledNumber, Context, DocumentState, LayoutFinding, NumberTaken,
};
use gongwen_core::{Classification, Document};

use crate::api::{now, AppState};
use crate::error::ApiError;
use crate::storage::{
    log_writes, AuditDraft, CommandRecord, Commit, DocumentRecord, NumberEvent, NumberWrite,
    StorageError, WorkflowWrite,
};

/// How often a command is decided again after losing a race on its document before
/// the request gives up with 503 (the client re-sends; nothing is lost).
const MAX_ATTEMPTS: usize = 16;

/// The same for a race on a 文号 series: every 编号 of a unit contends for one counter,
/// and each round one of them wins, so a burst of N needs up to N rounds. Each round
/// is two small reads; past this the request answers 503 and the client re-sends.
const MAX_NUMBER_ATTEMPTS: usize = 128;

/// A command as pushed, with the hash of the JSON the client sent for it.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub command: Command,
    /// [`payload_hash`] of the command's JSON as sent.
    pub payload_hash: String,
}

/// The body of `POST /v1/commands`, checked whole before anything is applied: one bad
/// command refuses the request (400 naming its index) and nothing is recorded.
pub fn parse_push(bytes: &[u8], max_commands: usize) -> Result<Vec<Pushed>, ApiError> {
    #[derive(Deserialize)]
    struct RawPush {
        commands: Vec<serde_json::Value>,
    }
    let raw: RawPush = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(
            format!("request body is not a push request {{\"commands\": [...]}}: {e}"),
            format!("请求内容格式错误：{e}"),
        )
    })?;
    if raw.commands.len() > max_commands {
        return Err(ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "{} commands in one request; at most {max_commands} are allowed",
                raw.commands.len()
            ),
            format!("一次最多提交 {max_commands} 条命令"),
        ));
    }
    raw.commands
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let payload_hash = payload_hash(&value);
            let command = serde_json::from_value::<Command>(value).map_err(|e| {
                ApiError::bad_request(
                    format!("command {i}: {e}"),
                    format!("第 {} 条命令格式错误：{e}", i + 1),
                )
            })?;
            Ok(Pushed {
                command,
                payload_hash,
            })
        })
        .collect()
}

/// Marks a payload hash over the canonical JSON the client sent. Hashes without it
/// were recorded by earlier servers, over their re-serialisation of the parsed body.
const CANONICAL_PREFIX: &str = "c1:";

/// What makes a re-send "the same command": SHA-256 of the command's JSON as the
/// client sent it, without its `id`, in canonical form (object keys sorted by their
/// UTF-8 bytes, no spaces), prefixed `c1:`. It depends only on what the client sent,
/// not on this build's types: a server that gains a defaulted field (or loses one)
/// still matches a retry of the bytes the client stored with the original.
pub fn payload_hash(command: &serde_json::Value) -> String {
    let mut text = String::new();
    match command {
        serde_json::Value::Object(map) => {
            let rest: serde_json::Map<String, serde_json::Value> = map
                .iter()
                .filter(|(k, _)| k.as_str() != "id")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            canonical_json(&serde_json::Value::Object(rest), &mut text);
        }
        other => canonical_json(other, &mut text),
    }
    format!(
        "{CANONICAL_PREFIX}{}",
        gongwen_core::digest::sha256_hex(text.as_bytes())
    )
}

fn canonical_json(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                canonical_json(&map[key.as_str()], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Whether a recorded command's payload hash matches this re-send. Records written
/// before canonical hashing carry the hash of the parsed body as re-serialised; they
/// are compared that way, which answers as those servers did.
fn same_payload(recorded: &str, pushed: &Pushed) -> bool {
    if recorded.starts_with(CANONICAL_PREFIX) {
        recorded == pushed.payload_hash
    } else {
        recorded == gongwen_core::digest::json_sha256(&pushed.command.body)
    }
}

/// The units and what their users may read, read once per push request.
struct Units {
    codes: HashSet<UnitCode>,
    clearances: HashMap<UnitCode, Classification>,
    /// Active users by name (participants of 会签/传阅 are checked against them).
    users: HashMap<String, (UnitCode, Role, Classification)>,
}

struct Ctx<'a> {
    units: &'a Units,
    blobs: HashSet<String>,
    /// For a step command: the document's stored version.
    current: Option<Document>,
    numbering: Arc<NumberingRules>,
    flows: Arc<crate::flows::UnitFlows>,
    /// The last number of each series the step may take from, read before deciding.
    series_last: HashMap<String, i64>,
    /// For a 签发 or 用印: what `gongwen check` finds in the stored version's PDF.
    layout: Vec<LayoutFinding>,
    /// For a step command: the actor's unit's delegations (代办).
    delegations: Vec<Delegation>,
}

impl Context for Ctx<'_> {
    fn unit_exists(&self, unit: &UnitCode) -> bool {
        self.units.codes.contains(unit)
    }
    fn flow(&self, unit: &UnitCode, kind: FlowKind) -> Flow {
        self.flows.flow(unit, kind).clone()
    }
    fn handling_flow(&self, handling: &gongwen_core::handling::Handling) -> Flow {
        self.flows.handling_flow(handling).clone()
    }
    fn blob_exists(&self, sha256: &str) -> bool {
        self.blobs.contains(sha256)
    }
    fn unit_clearance(&self, unit: &UnitCode) -> Option<Classification> {
        self.units.clearances.get(unit).copied()
    }
    fn current_document(&self) -> Option<Document> {
        self.current.clone()
    }
    fn user(&self, username: &str) -> Option<(UnitCode, Role, Classification)> {
        self.units.users.get(username).cloned()
    }
    fn layout_findings(&self, _document: &Document) -> Vec<LayoutFinding> {
        self.layout.clone()
    }
    fn delegations(&self) -> Vec<Delegation> {
        self.delegations.clone()
    }
    fn next_number(
        &self,
        unit: &UnitCode,
        document: &Document,
        incoming: bool,
        year: i32,
    ) -> Result<NumberTaken, Rejection> {
        let key =
            series_key(&self.numbering, unit, document, incoming, year).map_err(|e| Rejection {
                code: RejectCode::InvalidState,
                message: e.message_zh(),
                message_en: e.to_string(),
            })?;
        let series = key.text();
        // A series not read beforehand cannot be decided on; the caller reads every
        // series a step may take from, so this is a bug, not a user's mistake.
        let Some(last) = self.series_last.get(&series) else {
            return Err(Rejection {
                code: RejectCode::InvalidState,
                message: format!("编号序列“{series}”暂不可用，请稍后重试"),
                message_en: format!("series {series} was not read before deciding"),
            });
        };
        let number = last + 1;
        Ok(NumberTaken {
            text: numbering::number_text(&key, number),
            series,
            number,
        })
    }
    fn number_of(
        &self,
        unit: &UnitCode,
        document: &Document,
        text: &str,
        year: i32,
    ) -> Result<CancelledNumber, Rejection> {
        let (number, in_text) = Ctx::parse_number(text).ok_or_else(|| cancel_rejection(text))?;
        let key = series_key(
            &self.numbering,
            unit,
            document,
            false,
            in_text.unwrap_or(year),
        )
        .map_err(|_| cancel_rejection(text))?;
        if number < 1 || numbering::number_text(&key, number) != text {
            return Err(cancel_rejection(text));
        }
        Ok(CancelledNumber {
            provisional: numbering::provisional_text(&key),
            number: NumberTaken {
                series: key.text(),
                number,
                text: text.to_string(),
            },
        })
    }
}

impl Ctx<'_> {
    /// The number and year a number text of `key`'s kind carries: `宿发改〔2026〕12号`
    /// → (12, Some(2026)); `第12号` → (12, None).
    fn parse_number(text: &str) -> Option<(i64, Option<i32>)> {
        let body = text
            .trim()
            .strip_suffix('号')
            .or_else(|| text.trim().strip_suffix('期'))?;
        let digits: String = body
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let number = digits.parse().ok()?;
        let year = text
            .split_once('〔')
            .and_then(|(_, rest)| rest.split_once('〕'))
            .and_then(|(y, _)| y.parse().ok());
        Some((number, year))
    }
}

fn cancel_rejection(text: &str) -> Rejection {
    Rejection {
        code: RejectCode::InvalidState,
        message: format!("“{text}”不是本单位按编号规则给出的文号，不能取消"),
        message_en: format!("{text:?} is not a number this unit's series gave"),
    }
}

fn series_key(
    rules: &NumberingRules,
    unit: &UnitCode,
    document: &Document,
    incoming: bool,
    year: i32,
) -> Result<numbering::SeriesKey, numbering::NumberingError> {
    if incoming {
        rules.incoming_series(unit, year)
    } else {
        rules.series_for(unit, document, year)
    }
}

/// What a step command's decision needs from storage besides the state.
async fn load_step_context(
    st: &AppState,
    ctx: &mut Ctx<'_>,
    unit: &UnitCode,
    body: &CommandBody,
    state: Option<&DocumentState>,
) -> Result<(), ApiError> {
    let CommandBody::Step { step, action, .. } = body else {
        return Ok(());
    };
    ctx.current = match st.storage.document(body.document_id()).await? {
        Some(record) => Some(serde_json::from_str(&record.content).map_err(|e| {
            ApiError::internal(format!(
                "stored content of {} is not valid: {e}",
                body.document_id()
            ))
        })?),
        None => None,
    };
    // A step the actor may take in a leader's name (代办).
    ctx.delegations = st.storage.delegations(unit).await?;
    // The series a step of the actor's unit may number in this year (编号 or 登记):
    // read now, taken by compare-and-set in the commit.
    ctx.series_last.clear();
    if let Some(doc) = &ctx.current {
        let year = now().get(..4).and_then(|y| y.parse().ok()).unwrap_or(1970);
        for incoming in [false, true] {
            if let Ok(key) = series_key(&ctx.numbering, unit, doc, incoming, year) {
                let text = key.text();
                let last = st.storage.series_last(&text).await?;
                ctx.series_last.insert(text, last);
            }
        }
    }
    // The 签发/用印 gate needs the stored version's PDF checked. Only these steps can
    // have it (neither brings a new text: the stored version is the one decided on).
    ctx.layout.clear();
    // By the flow the unit's 发文 handling follows (the version it started with).
    let flow = match state.and_then(|s| s.handling(unit)) {
        Some(h) if h.flow == FlowKind::Outgoing => st.flows.handling_flow(h),
        _ => st.flows.flow(unit, FlowKind::Outgoing),
    };
    let gated = matches!(action, StepAction::Finish { .. })
        && flow
            .step(step)
            .is_some_and(|s| matches!(s.kind, StepKind::SignOff | StepKind::Seal));
    if let (true, Some(doc)) = (gated, ctx.current.clone()) {
        let checked = tokio::task::spawn_blocking(move || crate::layout_gate::findings(&doc))
            .await
            .map_err(ApiError::internal)?;
        ctx.layout = checked.map_err(|e| {
            // Nothing is decided without the check; the client sends the step again.
            tracing::error!(error = %e, "layout gate");
            ApiError::unavailable(e.to_string())
        })?;
    }
    Ok(())
}

/// Applies commands in order and returns one outcome each.
pub async fn apply_all(
    st: &AppState,
    user: &UserInfo,
    client: &str,
    commands: Vec<Pushed>,
) -> Result<Vec<CommandOutcome>, ApiError> {
    // Units and users change rarely; one read serves the whole request.
    let users = st.storage.users().await?;
    let units = Units {
        codes: st
            .storage
            .units()
            .await?
            .into_iter()
            .map(|u| u.code)
            .collect(),
        clearances: crate::access::unit_clearances(&users).into_iter().collect(),
        users: users
            .iter()
            .filter(|u| !u.disabled)
            .map(|u| {
                (
                    u.info.username.clone(),
                    (u.info.unit.clone(), u.info.role, u.info.clearance),
                )
            })
            .collect(),
    };
    let mut outcomes = Vec::with_capacity(commands.len());
    for command in commands {
        outcomes.push(apply_one(st, user, client, &units, command).await?);
    }
    Ok(outcomes)
}

fn id_reused(command: &Command) -> CommandOutcome {
    CommandOutcome {
        command_id: command.id,
        result: CommandResult::Rejected {
            rejection: Rejection {
                code: RejectCode::IdReused,
                message: "该命令编号已用于另一条不同的命令".into(),
                message_en: format!(
                    "command id {} was already used for a different command",
                    command.id
                ),
            },
        },
        decided_at: now(),
    }
}

/// The recorded answer to a re-sent command (or `id_reused` for another payload under
/// its id); None for a command not seen before.
pub(crate) async fn replayed(
    st: &AppState,
    user: &UserInfo,
    pushed: &Pushed,
) -> Result<Option<CommandOutcome>, ApiError> {
    let command = &pushed.command;
    let kind = command.body.kind();
    let Some(recorded) = st.storage.command(command.id.0).await? else {
        return Ok(None);
    };
    // A re-send: the same payload from the same unit gets the original answer and
    // changes nothing; anything else reusing the id is refused (and not recorded, so
    // the original stays the only record).
    if same_payload(&recorded.payload_hash, pushed) && recorded.unit == user.unit {
        let outcome: CommandOutcome = serde_json::from_str(&recorded.outcome).map_err(|e| {
            ApiError::internal(format!(
                "stored outcome of {} is not valid: {e}",
                command.id
            ))
        })?;
        metrics::counter!("exchange_commands_total", "kind" => kind, "result" => "replayed")
            .increment(1);
        return Ok(Some(outcome));
    }
    tracing::warn!(command_id = %command.id, username = %user.username, "command id reused with another payload");
    metrics::counter!("exchange_commands_total", "kind" => kind, "result" => "id_reused")
        .increment(1);
    Ok(Some(id_reused(command)))
}

/// A `delegate` or `revoke_delegation` command (代办): decided on the delegation as
/// stored, written with its audit entry in one commit.
async fn apply_delegation(
    st: &AppState,
    user: &UserInfo,
    client: &str,
    units: &Units,
    pushed: &Pushed,
) -> Result<CommandOutcome, ApiError> {
    let command = &pushed.command;
    let kind = command.body.kind();
    let actor = Actor {
        username: user.username.clone(),
        unit: user.unit.clone(),
        role: user.role,
        clearance: user.clearance,
    };
    let ctx = Ctx {
        units,
        blobs: HashSet::new(),
        current: None,
        numbering: Arc::clone(&st.numbering),
        flows: Arc::clone(&st.flows),
        series_last: HashMap::new(),
        layout: Vec::new(),
        delegations: Vec::new(),
    };
    for _ in 0..MAX_ATTEMPTS {
        if let Some(outcome) = replayed(st, user, pushed).await? {
            return Ok(outcome);
        }
        let at = now();
        let decision = match &command.body {
            CommandBody::Delegate {
                delegation_id,
                to,
                steps,
                from,
                until,
            } => match st.storage.delegation(*delegation_id).await? {
                Some(_) => Err(Rejection {
                    code: RejectCode::IdReused,
                    message: "该代办委托编号已被使用".into(),
                    message_en: format!("delegation id {delegation_id} is taken"),
                }),
                None => delegation::decide_delegate(
                    &actor,
                    *delegation_id,
                    to,
                    steps,
                    from,
                    until,
                    &ctx,
                    &at,
                ),
            },
            CommandBody::RevokeDelegation { delegation_id } => {
                let existing = st.storage.delegation(*delegation_id).await?;
                delegation::decide_revoke(&actor, existing.as_ref(), &at)
            }
            _ => return Err(ApiError::internal("not a delegation command")),
        };
        let outcome = outcome_of(command.id, &decision, &at);
        let detail = match &decision {
            Ok(d) => serde_json::json!({
                "command_id": command.id, "result": "accepted", "delegation": d,
            }),
            Err(r) => serde_json::json!({
                "command_id": command.id, "result": "rejected",
                "code": r.code, "reason": r.message_en,
            }),
        };
        let commit = Commit {
            command: CommandRecord {
                command_id: command.id.0,
                unit: user.unit.clone(),
                username: user.username.clone(),
                client: client.to_string(),
                kind: kind.to_string(),
                payload_hash: pushed.payload_hash.clone(),
                outcome: serde_json::to_string(&outcome).map_err(ApiError::internal)?,
                at: at.clone(),
            },
            workflow: None,
            document: None,
            log: Vec::new(),
            contents: Vec::new(),
            numbers: Vec::new(),
            delegation: decision.ok(),
            transfer: None,
            audit: AuditDraft {
                at,
                username: user.username.clone(),
                unit: user.unit.clone(),
                client: client.to_string(),
                action: format!("command {kind}"),
                detail: detail.to_string(),
            },
        };
        match st.storage.commit(&commit).await {
            Ok(_) => {
                tracing::info!(command_id = %command.id, kind, username = %user.username, "command");
                return Ok(outcome);
            }
            Err(StorageError::DuplicateCommand(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::unavailable(format!(
        "command {} kept racing a re-send of itself; send it again",
        command.id
    )))
}

async fn apply_one(
    st: &AppState,
    user: &UserInfo,
    client: &str,
    units: &Units,
    pushed: Pushed,
) -> Result<CommandOutcome, ApiError> {
    if matches!(
        pushed.command.body,
        CommandBody::Delegate { .. } | CommandBody::RevokeDelegation { .. }
    ) {
        return apply_delegation(st, user, client, units, &pushed).await;
    }
    if matches!(
        pushed.command.body,
        CommandBody::Transfer { .. }
            | CommandBody::AcceptTransfer { .. }
            | CommandBody::ReturnTransfer { .. }
    ) {
        return crate::transfer::apply(st, user, client, &pushed).await;
    }
    let command = &pushed.command;
    let kind = command.body.kind();
    let hash = pushed.payload_hash.clone();
    let actor = Actor {
        username: user.username.clone(),
        unit: user.unit.clone(),
        role: user.role,
        clearance: user.clearance,
    };
    let blobs = attachment_blobs(st, user, &command.body).await?;
    let mut ctx = Ctx {
        units,
        blobs,
        current: None,
        numbering: Arc::clone(&st.numbering),
        flows: Arc::clone(&st.flows),
        series_last: HashMap::new(),
        layout: Vec::new(),
        delegations: Vec::new(),
    };
    let (mut attempts, mut number_attempts) = (0, 0);
    while attempts < MAX_ATTEMPTS && number_attempts < MAX_NUMBER_ATTEMPTS {
        if let Some(outcome) = replayed(st, user, &pushed).await? {
            return Ok(outcome);
        }

        let document_id = command.body.document_id();
        let stored = st.storage.workflow(document_id).await?;
        let state: Option<DocumentState> = stored
            .as_ref()
            .map(|w| serde_json::from_str(&w.state))
            .transpose()
            .map_err(|e| {
                ApiError::internal(format!("workflow state of {document_id} is not valid: {e}"))
            })?;
        load_step_context(st, &mut ctx, &user.unit, &command.body, state.as_ref()).await?;
        let at = now();
        let decision = workflow::decide(state.as_ref(), &actor, &command.body, &ctx, &at);
        let result = match &decision {
            Ok(_) => CommandResult::Accepted,
            Err(rejection) => CommandResult::Rejected {
                rejection: rejection.clone(),
            },
        };
        let outcome = CommandOutcome {
            command_id: command.id,
            result,
            decided_at: at.clone(),
        };
        let outcome_json = serde_json::to_string(&outcome).map_err(ApiError::internal)?;
        let detail = match &decision {
            // A dispatch's entry names what was sent and to whom, so the audit alone
            // shows which text reached which units.
            Ok(d) => {
                match (&command.body, &d.document) {
                    (CommandBody::Dispatch { main, cc, .. }, Some(doc)) => serde_json::json!({
                        "command_id": command.id, "document_id": document_id, "result": "accepted",
                        "content_hash": workflow::content_hash(doc),
                        "classification": doc.classification,
                        "main": main, "cc": cc,
                    }),
                    // A step taken by delegation names in whose name (代办), so the audit
                    // alone says who acted for whom.
                    _ => match d.state.handlings.iter().flat_map(|h| &h.trail).find(|e| {
                        e.at == at && e.acted_by.as_deref() == Some(user.username.as_str())
                    }) {
                        Some(e) => serde_json::json!({
                            "command_id": command.id, "document_id": document_id, "result": "accepted",
                            "in_name_of": e.by, "delegate": user.username,
                        }),
                        None => serde_json::json!({
                            "command_id": command.id, "document_id": document_id, "result": "accepted",
                        }),
                    },
                }
            }
            Err(r) => serde_json::json!({
                "command_id": command.id, "document_id": document_id, "result": "rejected",
                "code": r.code, "reason": r.message_en,
            }),
        };
        let mut commit = Commit {
            command: CommandRecord {
                command_id: command.id.0,
                unit: user.unit.clone(),
                username: user.username.clone(),
                client: client.to_string(),
                kind: kind.to_string(),
                payload_hash: hash.clone(),
                outcome: outcome_json,
                at: at.clone(),
            },
            workflow: None,
            document: None,
            log: Vec::new(),
            contents: Vec::new(),
            numbers: Vec::new(),
            delegation: None,
            transfer: None,
            audit: AuditDraft {
                at: at.clone(),
                username: user.username.clone(),
                unit: user.unit.clone(),
                client: client.to_string(),
                action: format!("command {kind}"),
                detail: detail.to_string(),
            },
        };
        if let Ok(decision) = decision {
            let classification = decision.state.classification;
            commit.workflow = Some(WorkflowWrite {
                document_id,
                expected_version: stored.as_ref().map(|w| w.version),
                owner: decision.state.owner.clone(),
                classification,
                state: serde_json::to_string(&decision.state).map_err(ApiError::internal)?,
                access: decision.state.units().cloned().collect(),
            });
            if let Some(doc) = &decision.document {
                commit.document = Some(DocumentRecord {
                    document_id,
                    owner: decision.state.owner.clone(),
                    classification: doc.classification,
                    content_hash: workflow::content_hash(doc),
                    content: serde_json::to_string(doc).map_err(ApiError::internal)?,
                });
            }
            // Each entry refers to the document's content, stored once for them all.
            let (log, contents) =
                log_writes(decision.log, classification).map_err(ApiError::internal)?;
            commit.log = log;
            commit.contents = contents;
            commit.numbers = decision
                .numbers
                .iter()
                .map(|n| NumberWrite {
                    series: n.series.clone(),
                    number: n.number,
                    document_id,
                    event: NumberEvent::Issued,
                    by: user.username.clone(),
                    at: at.clone(),
                    reason: None,
                })
                .collect();
            let reason = match &command.body {
                CommandBody::Step {
                    action: StepAction::CancelNumber { reason },
                    ..
                } => Some(reason.trim().to_string()),
                _ => None,
            };
            commit
                .numbers
                .extend(decision.cancelled.iter().map(|n| NumberWrite {
                    series: n.series.clone(),
                    number: n.number,
                    document_id,
                    event: NumberEvent::Cancelled,
                    by: user.username.clone(),
                    at: at.clone(),
                    reason: reason.clone(),
                }));
        }
        match st.storage.commit(&commit).await {
            Ok(_) => {
                let result = if matches!(outcome.result, CommandResult::Accepted) {
                    "accepted"
                } else {
                    "rejected"
                };
                metrics::counter!("exchange_commands_total", "kind" => kind, "result" => result)
                    .increment(1);
                tracing::info!(command_id = %command.id, kind, result, username = %user.username, "command");
                return Ok(outcome);
            }
            // Another command on this document won: decide again on the new state.
            Err(StorageError::Conflict(_)) => attempts += 1,
            // Another command took the series' next number: read the series and
            // number again.
            Err(StorageError::NumberTaken { .. }) => number_attempts += 1,
            // A concurrent re-send of this very command won: the next round answers
            // with its recorded outcome.
            Err(StorageError::DuplicateCommand(_)) => attempts += 1,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::unavailable(format!(
        "document {} kept changing while command {} was applied; send it again",
        command.body.document_id(),
        command.id
    )))
}

/// The attachments of a dispatch that the acting user may list: completely uploaded,
/// and already readable by them (they uploaded it, or a document they may see at
/// their clearance lists it). A file they could not read counts as missing, so a
/// learned hash neither passes a file on nor tells that it exists. (decide is sync,
/// so storage and the blob store are asked beforehand.)
async fn attachment_blobs(
    st: &AppState,
    user: &UserInfo,
    body: &CommandBody,
) -> Result<HashSet<String>, ApiError> {
    let mut present = HashSet::new();
    if let CommandBody::Dispatch { document, .. } = body {
        for given in document
            .attachments
            .iter()
            .filter_map(|a| a.sha256.as_deref())
        {
            let Some(sha) = gongwen_core::digest::parse_sha256(given) else {
                continue;
            };
            let complete = st
                .blobs
                .complete_len(&sha)
                .await
                .map_err(ApiError::internal)?
                .is_some();
            if !complete {
                continue;
            }
            if crate::access::file(st.storage.as_ref(), user, &sha)
                .await?
                .is_some()
            {
                present.insert(given.to_string());
            }
        }
    }
    Ok(present)
}

/// What the client is told of a command decided as `decision` at `at`: accepted, or
/// rejected with its reason. Shared by every kind of command the server decides.
pub(crate) fn outcome_of<T>(
    command_id: CommandId,
    decision: &Result<T, Rejection>,
    at: &str,
) -> CommandOutcome {
    CommandOutcome {
        command_id,
        result: match decision {
            Ok(_) => CommandResult::Accepted,
            Err(r) => CommandResult::Rejected {
                rejection: r.clone(),
            },
        },
        decided_at: at.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_commands_are_named_by_index() {
        let ok = r#"{"id":"00000000-0000-0000-0000-000000000001","type":"acknowledge","document_id":"00000000-0000-0000-0000-000000000002"}"#;
        let unknown = r#"{"id":"00000000-0000-0000-0000-000000000003","type":"teleport","document_id":"00000000-0000-0000-0000-000000000002"}"#;
        let body = format!(r#"{{"commands":[{ok},{unknown}]}}"#);
        let e = parse_push(body.as_bytes(), 10).unwrap_err();
        assert!(
            e.body.message.starts_with("command 1:"),
            "{}",
            e.body.message
        );
        assert!(e.body.message.contains("teleport"), "{}", e.body.message);
        let wrong_type = r#"{"commands":[{"id":"00000000-0000-0000-0000-000000000001","type":"acknowledge","document_id":42}]}"#;
        let e = parse_push(wrong_type.as_bytes(), 10).unwrap_err();
        assert!(
            e.body.message.starts_with("command 0:"),
            "{}",
            e.body.message
        );
        assert_eq!(
            parse_push(format!(r#"{{"commands":[{ok}]}}"#).as_bytes(), 10)
                .unwrap()
                .len(),
            1
        );
        let e = parse_push(format!(r#"{{"commands":[{ok},{ok}]}}"#).as_bytes(), 1).unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn the_payload_hash_is_of_the_json_sent_in_canonical_form() {
        let a: serde_json::Value = serde_json::from_str(
            r#"{"id":"1","type":"return","document_id":"d","reason":"缺少附件","x":[1,{"b":2,"a":"\u00e9"}]}"#,
        )
        .unwrap();
        let b: serde_json::Value = serde_json::from_str(
            r#"{ "x" : [ 1 , { "a" : "é" , "b" : 2 } ], "reason":"缺少附件", "document_id":"d", "type":"return", "id":"2" }"#,
        )
        .unwrap();
        // Key order, spacing, escapes and the id do not matter.
        assert_eq!(payload_hash(&a), payload_hash(&b));
        assert!(payload_hash(&a).starts_with(CANONICAL_PREFIX));
        // Any other difference does, a field this build does not know included.
        let mut c = a.clone();
        c["x"][1]["c"] = serde_json::json!(null);
        assert_ne!(payload_hash(&a), payload_hash(&c));
    }
}
