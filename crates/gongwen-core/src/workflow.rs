//! The workflow rules the exchange server applies: given where a document stands and
//! who asks, may this command happen, and what changes for whom. Pure functions; the
//! server loads the state, calls [`decide`] and stores the [`Decision`] in one
//! transaction.

use serde::{Deserialize, Serialize};

use crate::flow::{Flow, FlowKind};
use crate::handling::Handling;
use crate::wire::{
    ChangeEntry, CommandBody, Delivery, DeliveryStatus, RecipientRole, RejectCode, Rejection, Role,
    UnitCode,
};
use crate::{Classification, Document, DocumentId};

/// Who sends a command, as the server authenticated them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub username: String,
    pub unit: UnitCode,
    pub role: Role,
    pub clearance: Classification,
}

/// The server's record of one exchanged document: stored as JSON, opaque to storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentState {
    pub document_id: DocumentId,
    /// The sending unit.
    pub owner: UnitCode,
    pub classification: Classification,
    /// Of the current version: the dispatched one once dispatched.
    pub content_hash: String,
    /// Empty until the document is dispatched (a 发文 in its handling is not yet).
    #[serde(default)]
    pub dispatched_by: String,
    #[serde(default)]
    pub dispatched_at: String,
    pub deliveries: Vec<Delivery>,
    /// The handling of each unit that has one: the owner's 发文, each recipient's 收文.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handlings: Vec<Handling>,
}

impl DocumentState {
    /// Units that may see the document: the sender, every recipient, and every unit
    /// that was asked to take part in a handling (会签).
    pub fn units(&self) -> impl Iterator<Item = &UnitCode> {
        std::iter::once(&self.owner)
            .chain(self.deliveries.iter().map(|d| &d.unit))
            .chain(self.handlings.iter().flat_map(|h| h.participant_units()))
    }

    /// The handling of a unit's flow, if it has one.
    pub fn handling(&self, unit: &UnitCode) -> Option<&Handling> {
        self.handlings.iter().find(|h| &h.unit == unit)
    }

    /// Whether it went out over the exchange.
    pub fn is_dispatched(&self) -> bool {
        !self.dispatched_at.is_empty()
    }
}

/// A number being cancelled, and the mark the document carries instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelledNumber {
    pub number: NumberTaken,
    /// `宿发改〔2026〕　号`.
    pub provisional: String,
}

/// A number taken from a series at 编号 (发文字号) or 登记 (收文编号); storage takes it
/// with a compare-and-set on the series in the command's transaction, so two commands
/// can never take the same one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberTaken {
    /// The series' storage key (机关代字 and year).
    pub series: String,
    pub number: i64,
    /// As the document carries it: `宿发改〔2026〕12号`.
    pub text: String,
}

/// One thing `gongwen check` found in a rendered PDF, as it says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutFinding {
    /// In Chinese, with the page (`第2页 “泗县人民政府…”超出版心…`).
    pub message: String,
    pub message_en: String,
}

/// What the server must store when a command is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The document's new state.
    pub state: DocumentState,
    /// The document content, when this command brings it (dispatch).
    pub document: Option<Document>,
    /// Entries to append, each to one unit's log.
    pub log: Vec<(UnitCode, ChangeEntry)>,
    /// Numbers this decision takes (编号, 登记).
    pub numbers: Vec<NumberTaken>,
    /// Numbers this decision cancels (取消编号), with the reason in the trail.
    pub cancelled: Vec<NumberTaken>,
}

/// What the server knows besides the document's state, asked through the caller so
/// this stays free of I/O.
pub trait Context {
    fn unit_exists(&self, unit: &UnitCode) -> bool;
    /// Whether the attachment file with this SHA-256 has been uploaded completely.
    fn blob_exists(&self, sha256: &str) -> bool;
    /// A unit's flow of this kind: its own, or the default of the 条例.
    fn flow(&self, _unit: &UnitCode, kind: FlowKind) -> Flow {
        Flow::default_for(kind)
    }
    /// The flow a handling already under way follows: the version it started with
    /// ([`Handling::flow_digest`]), which may no longer be its unit's current one. A
    /// handling that names none, or a version the server no longer has, follows the
    /// unit's current flow.
    fn handling_flow(&self, handling: &Handling) -> Flow {
        self.flow(&handling.unit, handling.flow)
    }
    /// The next number of the series this document takes at 编号 (`incoming`: the
    /// unit's 收文 series at 登记), as storage stands when the command is decided.
    fn next_number(
        &self,
        unit: &UnitCode,
        _document: &Document,
        incoming: bool,
        _year: i32,
    ) -> Result<NumberTaken, Rejection> {
        Err(reject(
            RejectCode::InvalidState,
            format!(
                "单位“{unit}”没有配置{}编号规则",
                if incoming { "收文" } else { "发文字号" }
            ),
            format!("unit {unit} has no numbering rules"),
        ))
    }
    /// The document's current version as the server stores it (for a step command).
    fn current_document(&self) -> Option<Document> {
        None
    }
    /// The series and number of a number text the unit gave (for 取消编号), with the
    /// provisional mark the document carries again.
    fn number_of(
        &self,
        unit: &UnitCode,
        _document: &Document,
        text: &str,
        _year: i32,
    ) -> Result<CancelledNumber, Rejection> {
        Err(reject(
            RejectCode::InvalidState,
            format!("无法识别单位“{unit}”的编号“{text}”"),
            format!("number {text:?} of unit {unit} is not known"),
        ))
    }
    /// A user of the directory: their unit, role and clearance (for participants).
    fn user(&self, _username: &str) -> Option<(UnitCode, Role, Classification)> {
        None
    }
    /// What `gongwen check` (GB/T 9704-2012) finds in the document's rendered PDF: the
    /// 签发 and 用印 gate. Rendering and reading a PDF back is I/O, so the server does it
    /// before deciding and answers from that; nothing found by default.
    fn layout_findings(&self, _document: &Document) -> Vec<LayoutFinding> {
        Vec::new()
    }
    /// The delegations (代办) of the actor's unit, revoked ones included: a step may be
    /// taken by a delegate in a leader's name.
    fn delegations(&self) -> Vec<crate::delegation::Delegation> {
        Vec::new()
    }
    /// The highest 密级 an active user of `unit` who reads documents is cleared for;
    /// `None` when the unit has no such user.
    fn unit_clearance(&self, unit: &UnitCode) -> Option<Classification>;
}

/// SHA-256 (lower-case hex) of a document's canonical JSON: the same on every side
/// that holds the same content.
pub fn content_hash(document: &Document) -> String {
    crate::digest::json_sha256(document)
}

pub(crate) fn reject(
    code: RejectCode,
    message: impl Into<String>,
    message_en: impl Into<String>,
) -> Rejection {
    Rejection {
        code,
        message: message.into(),
        message_en: message_en.into(),
    }
}

/// The rules a command must keep whatever the document's state, so a client checks
/// them before it queues the command and [`decide`] applies the same ones: a 分发
/// names at least one 主送 unit and no unit twice (nor an empty code) and sends a
/// document without validation errors ([`check_complete`]), and a 退回 gives a reason.
/// State-dependent rules are not here (see [`check_answer`]).
pub fn precheck(body: &CommandBody) -> Result<(), Rejection> {
    match body {
        CommandBody::Dispatch {
            main, cc, document, ..
        } => {
            check_recipients(main, cc)?;
            check_complete(document)
        }
        CommandBody::Acknowledge { .. } => Ok(()),
        CommandBody::Return { reason, .. } => check_reason(reason),
        CommandBody::Step { action, .. } => crate::handling::precheck(action),
        CommandBody::Delegate { .. }
        | CommandBody::RevokeDelegation { .. }
        | CommandBody::Transfer { .. }
        | CommandBody::AcceptTransfer { .. }
        | CommandBody::ReturnTransfer { .. } => Ok(()),
    }
}

fn check_recipients(main: &[UnitCode], cc: &[UnitCode]) -> Result<(), Rejection> {
    if main.is_empty() {
        return Err(reject(
            RejectCode::Invalid,
            "至少需要一个主送单位",
            "at least one main recipient is required",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for unit in main.iter().chain(cc) {
        if unit.0.trim().is_empty() {
            return Err(reject(
                RejectCode::Invalid,
                "收文单位代码为空",
                "a recipient unit code is empty",
            ));
        }
        if !seen.insert(unit) {
            return Err(reject(
                RejectCode::Invalid,
                format!("单位“{unit}”重复出现在主送或抄送中"),
                format!("unit `{unit}` is listed twice"),
            ));
        }
    }
    Ok(())
}

/// A document with validation errors (格式检查, [`crate::validate`]) is never sent: a
/// 函 without title or body reached another unit as "（无标题）". The message names
/// every error, so the clerk knows what to fix.
pub fn check_complete(document: &Document) -> Result<(), Rejection> {
    let errors: Vec<crate::Problem> = crate::validate(document)
        .into_iter()
        .filter(|p| p.severity == crate::Severity::Error)
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    let zh: Vec<String> = errors
        .iter()
        .map(|p| format!("{}：{}", p.element.label(), p.message))
        .collect();
    let en: Vec<&str> = errors.iter().map(|p| p.message_en.as_str()).collect();
    Err(reject(
        RejectCode::Invalid,
        format!(
            "公文有 {} 个格式错误，不能分发：{}",
            errors.len(),
            zh.join("；")
        ),
        format!(
            "the document has {} validation error(s) and cannot be dispatched: {}",
            errors.len(),
            en.join("; ")
        ),
    ))
}

/// Whether a recipient unit whose readers are cleared up to `unit_clearance` (`None`:
/// it has no active reader) can read a document classified `classification`. Nobody
/// there could ever open it, yet the sender would see 已送达, so the whole 分发 is
/// refused, naming the unit: the document's 主送/抄送 are one list, and sending to the
/// others only would deliver a document whose list says otherwise. The server asks its
/// users; a client asks the directory it cached (`Directory::unit_clearance`).
pub fn check_recipient_cleared(
    unit: &UnitCode,
    classification: Classification,
    unit_clearance: Option<Classification>,
) -> Result<(), Rejection> {
    if unit_clearance.is_some_and(|c| classification <= c) {
        return Ok(());
    }
    Err(reject(
        RejectCode::Invalid,
        format!(
            "单位“{unit}”没有可以阅知{}公文的在用账号，不能分发给该单位",
            classification.label()
        ),
        format!("unit `{unit}` has no active user cleared for {classification:?}"),
    ))
}

fn check_reason(reason: &str) -> Result<(), Rejection> {
    if reason.trim().is_empty() {
        return Err(reject(
            RejectCode::Invalid,
            "退回必须写明理由",
            "a return needs a reason",
        ));
    }
    Ok(())
}

/// Whether a recipient unit whose delivery stands at `current` may answer it with
/// `answer` (签收 [`DeliveryStatus::Acknowledged`] or 退回 [`DeliveryStatus::Returned`]):
/// only while it is 已送达. The server checks its state; a client checks what the log
/// last told it.
pub fn check_answer(current: DeliveryStatus, answer: DeliveryStatus) -> Result<(), Rejection> {
    if current != DeliveryStatus::Delivered {
        return Err(reject(
            RejectCode::InvalidState,
            format!(
                "该公文已{}，不能再{}",
                current.label().trim_start_matches('已'),
                verb(answer)
            ),
            format!("document is already {current:?} at this unit"),
        ));
    }
    Ok(())
}

/// Decides one command. `state` is the document's current state (None if the server
/// has never seen it); `now` is the server's RFC 3339 time.
pub fn decide(
    state: Option<&DocumentState>,
    actor: &Actor,
    body: &CommandBody,
    ctx: &dyn Context,
    now: &str,
) -> Result<Decision, Rejection> {
    if !actor.role.handles_documents() {
        return Err(reject(
            RejectCode::Forbidden,
            format!("{}不能收发公文", actor.role.label()),
            format!("role {:?} may not send or receive documents", actor.role),
        ));
    }
    match body {
        CommandBody::Dispatch {
            document_id,
            document,
            main,
            cc,
        } => dispatch(state, actor, *document_id, document, main, cc, ctx, now),
        CommandBody::Acknowledge { document_id } => {
            let state = visible_to_recipient(state, actor, *document_id)?;
            change_delivery(state, actor, DeliveryStatus::Acknowledged, None, ctx, now)
        }
        CommandBody::Return {
            document_id,
            reason,
        } => {
            let state = visible_to_recipient(state, actor, *document_id)?;
            check_reason(reason)?;
            let reason = reason.trim();
            change_delivery(
                state,
                actor,
                DeliveryStatus::Returned,
                Some(reason.to_string()),
                ctx,
                now,
            )
        }
        CommandBody::Step { .. } => crate::handling::decide_step(state, actor, body, ctx, now),
        // Not about a document: the server decides them with `crate::delegation`.
        CommandBody::Delegate { .. } | CommandBody::RevokeDelegation { .. } => Err(reject(
            RejectCode::Invalid,
            "代办委托不是公文命令",
            "a delegation is decided by gongwen_core::delegation, not workflow::decide",
        )),
        CommandBody::Transfer { .. }
        | CommandBody::AcceptTransfer { .. }
        | CommandBody::ReturnTransfer { .. } => Err(reject(
            RejectCode::Invalid,
            "移交不是公文命令",
            "a transfer is decided by the exchange's transfer module, not workflow::decide",
        )),
    }
}

#[allow(clippy::too_many_arguments)]
fn dispatch(
    state: Option<&DocumentState>,
    actor: &Actor,
    document_id: DocumentId,
    document: &Document,
    main: &[UnitCode],
    cc: &[UnitCode],
    ctx: &dyn Context,
    now: &str,
) -> Result<Decision, Rejection> {
    // A 发文 in a handling goes out at its 核发 step, as the flow left it (numbered,
    // sealed); a dispatched document goes out again only to the units that returned
    // it (重新分发); any other dispatch of a known document is a second one.
    let handled = match state {
        None => None,
        Some(st) if st.is_dispatched() && st.owner == actor.unit => {
            check_redispatch(st, main, cc, document)?;
            return redispatch(st, actor, document, main, cc, ctx, now);
        }
        Some(st) => Some(crate::handling::check_dispatch(st, actor, document, ctx)?),
    };
    if document.classification > actor.clearance {
        return Err(reject(
            RejectCode::AboveClearance,
            format!(
                "公文密级为{}，超出您的知悉范围（{}）",
                document.classification.label(),
                actor.clearance.label()
            ),
            format!(
                "document is {:?}, above the user's clearance {:?}",
                document.classification, actor.clearance
            ),
        ));
    }
    check_recipients(main, cc)?;
    for unit in main.iter().chain(cc) {
        if unit == &actor.unit {
            return Err(reject(
                RejectCode::Invalid,
                "不能分发给本单位",
                format!("unit {unit} cannot send to itself"),
            ));
        }
        if !ctx.unit_exists(unit) {
            return Err(reject(
                RejectCode::Invalid,
                format!("交换平台上没有单位“{unit}”"),
                format!("unknown unit `{unit}`"),
            ));
        }
        check_recipient_cleared(unit, document.classification, ctx.unit_clearance(unit))?;
    }
    check_attachments(document, ctx)?;
    check_complete(document)?;

    let content_hash = content_hash(document);
    let deliveries: Vec<Delivery> = main
        .iter()
        .map(|u| (u, RecipientRole::Main))
        .chain(cc.iter().map(|u| (u, RecipientRole::Cc)))
        .map(|(unit, role)| Delivery {
            unit: unit.clone(),
            role,
            status: DeliveryStatus::Delivered,
            reason: None,
            by: actor.username.clone(),
            at: now.to_string(),
        })
        .collect();
    let mut log = dispatch_log(
        actor,
        document_id,
        document,
        &content_hash,
        &deliveries,
        now,
    );
    let mut handlings = handled.map(|st| st.handlings.clone()).unwrap_or_default();
    if let Some(h) = handlings.iter_mut().find(|h| h.unit == actor.unit) {
        crate::handling::finish_dispatch(h, actor, deliveries.len(), now);
        log.push((
            actor.unit.clone(),
            ChangeEntry::Handling {
                document_id,
                handling: Box::new(h.clone()),
                document: None,
                content_hash: content_hash.clone(),
            },
        ));
    }
    Ok(Decision {
        state: DocumentState {
            document_id,
            owner: actor.unit.clone(),
            classification: document.classification,
            content_hash,
            dispatched_by: actor.username.clone(),
            dispatched_at: now.to_string(),
            deliveries,
            handlings,
        },
        document: Some(document.clone()),
        log,
        numbers: Vec::new(),
        cancelled: Vec::new(),
    })
}

/// Each attachment has a plain file name and, when it has a file, one uploaded whole.
fn check_attachments(document: &Document, ctx: &dyn Context) -> Result<(), Rejection> {
    for attachment in &document.attachments {
        if let Some(problem) = attachment_name_problem(&attachment.name).or_else(|| {
            attachment
                .file_name
                .as_deref()
                .and_then(attachment_name_problem)
        }) {
            return Err(reject(
                RejectCode::Invalid,
                format!("附件名“{}”不可用：{problem}", attachment.name),
                format!("attachment name {:?} is not allowed", attachment.name),
            ));
        }
        if let Some(sha) = &attachment.sha256 {
            if !crate::digest::is_sha256(sha) {
                return Err(reject(
                    RejectCode::Invalid,
                    format!("附件“{}”的校验值无效", attachment.name),
                    format!("attachment {:?} has an invalid sha256", attachment.name),
                ));
            }
            if !ctx.blob_exists(sha) {
                return Err(reject(
                    RejectCode::MissingAttachment,
                    format!("附件“{}”尚未上传完成", attachment.name),
                    format!(
                        "attachment {:?} ({sha}) has not been uploaded",
                        attachment.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Whether the owner may send a dispatched document again to `main` and `cc` (重新分发):
/// only to units whose last state of it is 已退回, each in the role it had, so a 退回
/// is not a dead end while a second 分发 to anyone else stays refused. A document
/// that went through a 发文 handling goes out again only as the handling left it:
/// what was 签发ed is what is sent.
pub fn check_redispatch(
    st: &DocumentState,
    main: &[UnitCode],
    cc: &[UnitCode],
    document: &Document,
) -> Result<(), Rejection> {
    check_recipients(main, cc)?;
    let roles = main
        .iter()
        .map(|u| (u, RecipientRole::Main))
        .chain(cc.iter().map(|u| (u, RecipientRole::Cc)));
    for (unit, role) in roles {
        match st.deliveries.iter().find(|d| &d.unit == unit) {
            Some(d) if d.status == DeliveryStatus::Returned && d.role == role => {}
            Some(d) if d.status == DeliveryStatus::Returned => {
                return Err(reject(
                    RejectCode::Invalid,
                    format!(
                        "单位“{unit}”原为{}单位，重新分发时不能改为{}",
                        d.role.label(),
                        role.label()
                    ),
                    format!("unit `{unit}` was a {:?} recipient, not {role:?}", d.role),
                ))
            }
            Some(d) => {
                return Err(reject(
                    RejectCode::InvalidState,
                    format!(
                        "单位“{unit}”{}该公文，只能重新分发给退回该公文的单位",
                        d.status.label()
                    ),
                    format!(
                        "document {} is {:?} at unit `{unit}`: it is dispatched again only to a unit that returned it",
                        st.document_id, d.status
                    ),
                ))
            }
            None => {
                return Err(reject(
                    RejectCode::InvalidState,
                    format!("该公文已分发，不能再分发给单位“{unit}”：只能重新分发给退回该公文的单位"),
                    format!(
                        "document {} was already dispatched; unit `{unit}` did not return it",
                        st.document_id
                    ),
                ))
            }
        }
    }
    if st.handling(&st.owner).is_some() && content_hash(document) != st.content_hash {
        return Err(reject(
            RejectCode::InvalidState,
            "该公文经发文办理签发，修改后的文本须重新办理，不能直接重新分发",
            "the document went through its handling: only the signed-off version is dispatched again",
        ));
    }
    Ok(())
}

/// 重新分发 of a returned document: the new version goes to the units that returned
/// it, as a new arrival (the same document, so their 收文 is linked to the returned
/// one); their deliveries start again at 已送达, and a 收文 handling that ended at the
/// 退回 is closed, so a new 签收 starts a new one. Other recipients are untouched.
#[allow(clippy::too_many_arguments)]
/// The log entries of a 分发 (first or again): `sent` for the sending unit, and one
/// `received` per delivery for its unit.
fn dispatch_log(
    actor: &Actor,
    document_id: DocumentId,
    document: &Document,
    content_hash: &str,
    deliveries: &[Delivery],
    now: &str,
) -> Vec<(UnitCode, ChangeEntry)> {
    let mut log = vec![(
        actor.unit.clone(),
        ChangeEntry::Sent {
            document_id,
            document: Box::new(document.clone()),
            content_hash: content_hash.to_string(),
            deliveries: deliveries.to_vec(),
        },
    )];
    log.extend(deliveries.iter().map(|d| {
        (
            d.unit.clone(),
            ChangeEntry::Received {
                document_id,
                document: Box::new(document.clone()),
                content_hash: content_hash.to_string(),
                from: actor.unit.clone(),
                role: d.role,
                by: actor.username.clone(),
                at: now.to_string(),
            },
        )
    }));
    log
}

fn redispatch(
    st: &DocumentState,
    actor: &Actor,
    document: &Document,
    main: &[UnitCode],
    cc: &[UnitCode],
    ctx: &dyn Context,
    now: &str,
) -> Result<Decision, Rejection> {
    if document.classification > actor.clearance || st.classification > actor.clearance {
        return Err(reject(
            RejectCode::AboveClearance,
            format!(
                "公文密级为{}，超出您的知悉范围（{}）",
                document.classification.max(st.classification).label(),
                actor.clearance.label()
            ),
            format!(
                "document is {:?}, above the user's clearance {:?}",
                document.classification, actor.clearance
            ),
        ));
    }
    for unit in main.iter().chain(cc) {
        check_recipient_cleared(unit, document.classification, ctx.unit_clearance(unit))?;
    }
    check_attachments(document, ctx)?;
    check_complete(document)?;
    let content_hash = content_hash(document);
    let document_id = st.document_id;
    let mut state = st.clone();
    let again: Vec<&UnitCode> = main.iter().chain(cc).collect();
    for d in state
        .deliveries
        .iter_mut()
        .filter(|d| again.contains(&&d.unit))
    {
        d.status = DeliveryStatus::Delivered;
        d.reason = None;
        d.by = actor.username.clone();
        d.at = now.to_string();
    }
    let deliveries: Vec<Delivery> = state
        .deliveries
        .iter()
        .filter(|d| again.contains(&&d.unit))
        .cloned()
        .collect();
    state
        .handlings
        .retain(|h| h.unit == state.owner || !again.contains(&&h.unit));
    state.content_hash = content_hash.clone();
    state.classification = document.classification;
    let log = dispatch_log(
        actor,
        document_id,
        document,
        &content_hash,
        &deliveries,
        now,
    );
    Ok(Decision {
        state,
        document: Some(document.clone()),
        log,
        numbers: Vec::new(),
        cancelled: Vec::new(),
    })
}

/// Why a file name may not be used, if it may not: it must be a plain name, never a
/// path (`../x`, `a/b`, `C:\x`).
pub fn attachment_name_problem(name: &str) -> Option<&'static str> {
    if name.trim().is_empty() {
        Some("名称为空")
    } else if name.contains('/') || name.contains('\\') {
        Some("不能包含路径分隔符")
    } else if name.chars().all(|c| c == '.') {
        Some("不能是 . 或 ..")
    } else if name.chars().any(|c| c.is_control()) {
        Some("不能包含控制字符")
    } else if name.contains(':') {
        Some("不能包含冒号")
    } else {
        None
    }
}

/// The state, if the actor's unit is a recipient and the actor is cleared for it.
/// Anything else looks like "not found", so nobody learns of documents not sent to them.
fn visible_to_recipient<'a>(
    state: Option<&'a DocumentState>,
    actor: &Actor,
    document_id: DocumentId,
) -> Result<&'a DocumentState, Rejection> {
    let not_found = || {
        reject(
            RejectCode::NotFound,
            "本单位没有收到这份公文",
            format!("document {document_id} was not sent to unit {}", actor.unit),
        )
    };
    let state = state.ok_or_else(not_found)?;
    if !state.deliveries.iter().any(|d| d.unit == actor.unit) {
        return Err(not_found());
    }
    if state.classification > actor.clearance {
        return Err(reject(
            RejectCode::AboveClearance,
            format!(
                "公文密级为{}，超出您的知悉范围",
                state.classification.label()
            ),
            format!(
                "document is {:?}, above the user's clearance {:?}",
                state.classification, actor.clearance
            ),
        ));
    }
    Ok(state)
}

fn change_delivery(
    state: &DocumentState,
    actor: &Actor,
    status: DeliveryStatus,
    reason: Option<String>,
    ctx: &dyn Context,
    now: &str,
) -> Result<Decision, Rejection> {
    let state_before = state;
    let mut state = state.clone();
    let Some(delivery) = state.deliveries.iter_mut().find(|d| d.unit == actor.unit) else {
        return Err(reject(
            RejectCode::NotFound,
            "本单位没有收到这份公文",
            "document was not sent to this unit",
        ));
    };
    // 退文 at 初审 comes after 签收: the document was taken in, then found not ours.
    let at_screening = status == DeliveryStatus::Returned
        && delivery.status == DeliveryStatus::Acknowledged
        && crate::handling::at_screening(state_before.handling(&actor.unit));
    if !at_screening {
        check_answer(delivery.status, status)?;
    }
    delivery.status = status;
    delivery.reason = reason.clone();
    delivery.by = actor.username.clone();
    delivery.at = now.to_string();
    let delivery = delivery.clone();
    let document_id = state.document_id;
    let entry = ChangeEntry::Delivery {
        document_id,
        delivery,
    };
    let mut log = vec![
        (state.owner.clone(), entry.clone()),
        (actor.unit.clone(), entry),
    ];
    // The recipient's 收文 handling starts at its 签收, and ends at a 退回 or 退文.
    let flow = ctx.flow(&actor.unit, FlowKind::Incoming);
    let handling = crate::handling::answer_delivery(&mut state, actor, &flow, status, reason, now);
    if let Some(handling) = handling {
        log.push((
            actor.unit.clone(),
            ChangeEntry::Handling {
                document_id,
                handling: Box::new(handling),
                document: None,
                content_hash: state.content_hash.clone(),
            },
        ));
    }
    Ok(Decision {
        state,
        document: None,
        log,
        numbers: Vec::new(),
        cancelled: Vec::new(),
    })
}

fn verb(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Delivered => "送达",
        DeliveryStatus::Acknowledged => "签收",
        DeliveryStatus::Returned => "退回",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::RejectCode;

    struct Units;
    impl Context for Units {
        fn unit_exists(&self, unit: &UnitCode) -> bool {
            ["fgw", "tjj", "yqq"].contains(&unit.0.as_str())
        }
        fn blob_exists(&self, sha256: &str) -> bool {
            sha256.starts_with('a')
        }
        fn unit_clearance(&self, unit: &UnitCode) -> Option<Classification> {
            match unit.0.as_str() {
                "fgw" | "tjj" => Some(Classification::Secret),
                "yqq" => Some(Classification::Unclassified),
                _ => None,
            }
        }
    }

    /// A 函 with every element validation asks for.
    fn letter() -> Document {
        Document {
            issuer_mark: vec!["宿州市发展和改革委员会".into()],
            doc_number: "宿发改函〔2026〕3号".into(),
            title: "宿州市发展和改革委员会关于商请提供统计资料的函".into(),
            main_recipients: vec!["宿州市统计局".into()],
            body: crate::Body::from_text("请于月底前提供有关统计资料。"),
            issuer_signature: vec!["宿州市发展和改革委员会".into()],
            date_of_issue: "2026年11月25日".into(),
            ..Document::new(crate::DocKind::Letter)
        }
    }

    fn clerk(unit: &str) -> Actor {
        Actor {
            username: format!("{unit}-clerk"),
            unit: unit.into(),
            role: Role::Clerk,
            clearance: Classification::Confidential,
        }
    }

    fn dispatch_cmd(doc: Document) -> CommandBody {
        CommandBody::Dispatch {
            document_id: DocumentId(uuid::Uuid::nil()),
            document: Box::new(doc),
            main: vec!["tjj".into()],
            cc: vec!["yqq".into()],
        }
    }

    const NOW: &str = "2026-11-25T08:00:00Z";

    #[test]
    fn dispatch_then_acknowledge_and_return() {
        assert_eq!(
            crate::validate(&letter()),
            vec![],
            "the test letter is complete"
        );
        let d =
            decide(None, &clerk("fgw"), &dispatch_cmd(letter()), &Units, NOW).expect("dispatch");
        assert_eq!(d.log.len(), 3, "sender + two recipients");
        assert_eq!(d.state.deliveries.len(), 2);
        let ack = CommandBody::Acknowledge {
            document_id: d.state.document_id,
        };
        let a = decide(Some(&d.state), &clerk("tjj"), &ack, &Units, NOW).expect("ack");
        assert_eq!(a.state.deliveries[0].status, DeliveryStatus::Acknowledged);
        let units: Vec<_> = a.log.iter().map(|(u, _)| u.0.as_str()).collect();
        // The 回执 to both, and the recipient's 收文 handling, which starts at 签收.
        assert_eq!(units, ["fgw", "tjj", "tjj"]);
        // Twice is refused, as is returning after signing.
        let again = decide(Some(&a.state), &clerk("tjj"), &ack, &Units, NOW).unwrap_err();
        assert_eq!(again.code, RejectCode::InvalidState);
        let ret = CommandBody::Return {
            document_id: d.state.document_id,
            reason: "  ".into(),
        };
        let e = decide(Some(&d.state), &clerk("yqq"), &ret, &Units, NOW).unwrap_err();
        assert_eq!(e.code, RejectCode::Invalid, "empty reason");
        // A unit the document was not sent to learns nothing.
        let e = decide(Some(&d.state), &clerk("fgw"), &ack, &Units, NOW).unwrap_err();
        assert_eq!(e.code, RejectCode::NotFound);
    }

    #[test]
    fn dispatch_refusals_name_the_problem() {
        let secret = Document {
            classification: Classification::Secret,
            ..Document::default()
        };
        let e = decide(None, &clerk("fgw"), &dispatch_cmd(secret), &Units, NOW).unwrap_err();
        assert_eq!(e.code, RejectCode::AboveClearance);

        let mut archivist = clerk("fgw");
        archivist.role = Role::Archivist;
        let e = decide(
            None,
            &archivist,
            &dispatch_cmd(Document::default()),
            &Units,
            NOW,
        )
        .unwrap_err();
        assert_eq!(e.code, RejectCode::Forbidden);

        let mut doc = Document::default();
        doc.attachments.push(crate::Attachment {
            name: "../../etc/passwd".into(),
            ..Default::default()
        });
        let e = decide(None, &clerk("fgw"), &dispatch_cmd(doc), &Units, NOW).unwrap_err();
        assert_eq!(e.code, RejectCode::Invalid);
        assert!(e.message.contains("路径"), "{}", e.message);

        let mut doc = Document::default();
        doc.attachments.push(crate::Attachment {
            name: "统计表".into(),
            sha256: Some("b".repeat(64)),
            ..Default::default()
        });
        let e = decide(None, &clerk("fgw"), &dispatch_cmd(doc), &Units, NOW).unwrap_err();
        assert_eq!(e.code, RejectCode::MissingAttachment);

        let cmd = CommandBody::Dispatch {
            document_id: DocumentId(uuid::Uuid::nil()),
            document: Box::default(),
            main: vec!["nowhere".into()],
            cc: vec![],
        };
        let e = decide(None, &clerk("fgw"), &cmd, &Units, NOW).unwrap_err();
        assert!(e.message.contains("nowhere"));
    }

    #[test]
    fn a_document_with_validation_errors_is_not_dispatched() {
        // A brand-new 函: no title, no body (the "（无标题）" that reached another unit).
        let blank = Document::new(crate::DocKind::Letter);
        let e = decide(
            None,
            &clerk("fgw"),
            &dispatch_cmd(blank.clone()),
            &Units,
            NOW,
        )
        .unwrap_err();
        assert_eq!(e.code, RejectCode::Invalid);
        assert!(e.message.starts_with("公文有 "), "{}", e.message);
        assert!(e.message.contains("标题：缺少标题"), "{}", e.message);
        assert!(e.message.contains("正文：正文为空"), "{}", e.message);
        assert!(
            e.message_en.contains("the title is missing"),
            "{}",
            e.message_en
        );
        assert_eq!(
            precheck(&dispatch_cmd(blank)),
            Err(e),
            "the client's check says the same"
        );
        // Warnings do not block.
        let mut doc = letter();
        doc.note = "联系人：张明".into();
        assert!(decide(None, &clerk("fgw"), &dispatch_cmd(doc), &Units, NOW).is_ok());
    }

    #[test]
    fn a_recipient_unit_nobody_there_may_read_refuses_the_dispatch_naming_it() {
        let mut secret = letter();
        secret.classification = Classification::Confidential;
        secret.copy_number = "000001".into();
        secret.secrecy_term = "1年".into();
        let mut actor = clerk("fgw");
        actor.clearance = Classification::Secret;
        assert_eq!(
            crate::validate(&secret)
                .iter()
                .filter(|p| p.severity == crate::Severity::Error)
                .count(),
            0
        );
        // tjj reads up to 机密; yqq only 非密.
        let e = decide(None, &actor, &dispatch_cmd(secret.clone()), &Units, NOW).unwrap_err();
        assert_eq!(e.code, RejectCode::Invalid);
        assert!(
            e.message.contains("“yqq”") && e.message.contains("秘密"),
            "{}",
            e.message
        );
        let only_tjj = CommandBody::Dispatch {
            document_id: DocumentId(uuid::Uuid::nil()),
            document: Box::new(secret),
            main: vec!["tjj".into()],
            cc: vec![],
        };
        assert!(decide(None, &actor, &only_tjj, &Units, NOW).is_ok());
        // A unit with no reader at all can read nothing, not even 非密.
        assert!(check_recipient_cleared(&"x".into(), Classification::Unclassified, None).is_err());
    }

    /// fgw sends to tjj (主送) and yqq (抄送); tjj returns it with a reason.
    fn returned_by_tjj() -> DocumentState {
        let d =
            decide(None, &clerk("fgw"), &dispatch_cmd(letter()), &Units, NOW).expect("dispatch");
        let ret = CommandBody::Return {
            document_id: d.state.document_id,
            reason: "请补充统计口径".into(),
        };
        decide(Some(&d.state), &clerk("tjj"), &ret, &Units, NOW)
            .expect("return")
            .state
    }

    fn redispatch_cmd(doc: Document, main: &[&str], cc: &[&str]) -> CommandBody {
        CommandBody::Dispatch {
            document_id: DocumentId(uuid::Uuid::nil()),
            document: Box::new(doc),
            main: main.iter().map(|u| UnitCode::from(*u)).collect(),
            cc: cc.iter().map(|u| UnitCode::from(*u)).collect(),
        }
    }

    #[test]
    fn a_returned_document_is_dispatched_again_to_the_unit_that_returned_it() {
        let st = returned_by_tjj();
        let mut revised = letter();
        revised.body = crate::Body::from_text("请于月底前按新口径提供有关统计资料。");
        let later = "2026-11-26T09:00:00Z";
        let d = decide(
            Some(&st),
            &clerk("fgw"),
            &redispatch_cmd(revised.clone(), &["tjj"], &[]),
            &Units,
            later,
        )
        .expect("re-dispatch after 退回");
        assert_eq!(d.document.as_ref(), Some(&revised));
        assert_eq!(d.state.content_hash, content_hash(&revised));
        let tjj = &d.state.deliveries[0];
        assert_eq!(
            (tjj.status, tjj.reason.as_deref(), tjj.at.as_str()),
            (DeliveryStatus::Delivered, None, later)
        );
        assert_eq!(
            d.state.deliveries[1], st.deliveries[1],
            "yqq, who did not return it, is untouched"
        );
        // The sender's record and tjj's new arrival, nothing to yqq.
        let to: Vec<_> = d.log.iter().map(|(u, _)| u.0.as_str()).collect();
        assert_eq!(to, ["fgw", "tjj"]);
        assert!(
            matches!(&d.log[1].1, ChangeEntry::Received { document, .. } if **document == revised)
        );
        // tjj signs the new version in.
        let ack = CommandBody::Acknowledge {
            document_id: d.state.document_id,
        };
        let a = decide(Some(&d.state), &clerk("tjj"), &ack, &Units, later).expect("签收");
        assert_eq!(a.state.deliveries[0].status, DeliveryStatus::Acknowledged);
    }

    #[test]
    fn a_second_dispatch_is_refused_unless_to_a_unit_that_returned_it() {
        let st = returned_by_tjj();
        let fgw = clerk("fgw");
        let refused = |state: &DocumentState, actor: &Actor, main: &[&str], cc: &[&str]| {
            decide(
                Some(state),
                actor,
                &redispatch_cmd(letter(), main, cc),
                &Units,
                NOW,
            )
            .unwrap_err()
        };
        // Not returned: yqq still holds it as 已送达.
        let e = refused(&st, &fgw, &["yqq"], &[]);
        assert_eq!(e.code, RejectCode::InvalidState);
        assert!(
            e.message.contains("只能重新分发给退回该公文的单位"),
            "{}",
            e.message
        );
        // Nor with the returning unit alongside it.
        assert_eq!(
            refused(&st, &fgw, &["tjj"], &["yqq"]).code,
            RejectCode::InvalidState
        );
        // Another unit, never a recipient.
        let mut st_more = st.clone();
        st_more.deliveries.retain(|d| d.unit.0 == "tjj");
        let e = refused(&st_more, &fgw, &["yqq"], &[]);
        assert!(e.message.contains("“yqq”"), "{}", e.message);
        // From another unit: the recipient that returned it cannot send it on.
        let e = refused(&st, &clerk("tjj"), &["yqq"], &[]);
        assert_eq!(e.code, RejectCode::InvalidState);
        // A unit that signed it in (签收) did not return it.
        let ack = CommandBody::Acknowledge {
            document_id: st.document_id,
        };
        let acked = decide(Some(&st), &clerk("yqq"), &ack, &Units, NOW)
            .expect("yqq 签收")
            .state;
        let e = refused(&acked, &fgw, &["yqq"], &[]);
        assert!(e.message.contains("已签收"), "{}", e.message);
        // Nothing returned at all: the plain second 分发.
        let sent = decide(None, &fgw, &dispatch_cmd(letter()), &Units, NOW)
            .expect("dispatch")
            .state;
        assert_eq!(
            refused(&sent, &fgw, &["tjj"], &[]).code,
            RejectCode::InvalidState
        );
        // Once sent again, it is no longer returned: a third send is refused.
        let again = decide(
            Some(&st),
            &fgw,
            &redispatch_cmd(letter(), &["tjj"], &[]),
            &Units,
            NOW,
        )
        .expect("re-dispatch")
        .state;
        assert_eq!(
            refused(&again, &fgw, &["tjj"], &[]).code,
            RejectCode::InvalidState
        );
        // Each unit goes again in the role it had: yqq was 抄送.
        let ret = CommandBody::Return {
            document_id: st.document_id,
            reason: "非本单位职责".into(),
        };
        let both = decide(Some(&st), &clerk("yqq"), &ret, &Units, NOW)
            .expect("yqq 退回")
            .state;
        let e = refused(&both, &fgw, &["yqq"], &[]);
        assert!(e.message.contains("原为抄送"), "{}", e.message);
        assert!(decide(
            Some(&both),
            &fgw,
            &redispatch_cmd(letter(), &["tjj"], &["yqq"]),
            &Units,
            NOW
        )
        .is_ok());
    }

    #[test]
    fn content_hash_is_stable() {
        let doc = Document::default();
        assert_eq!(content_hash(&doc), content_hash(&doc.clone()));
        let mut other = doc.clone();
        other.title = "x".into();
        assert_ne!(content_hash(&doc), content_hash(&other));
    }
}
