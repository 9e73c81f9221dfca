//! 办理: where one document stands in one unit's 发文 or 收文 flow, and every step
//! taken on it (the trail the 发文稿纸 and the 收文处理笺 are drawn from).
//!
//! The exchange server keeps a [`Handling`] per unit inside the document's workflow
//! state and changes it only through [`crate::workflow::decide`]; each change is sent
//! whole to the units concerned, so applying one twice is harmless. The rules of a
//! step are the unit's [`Flow`]: this module only moves along it.

use serde::{Deserialize, Serialize};

use crate::flow::{Flow, FlowKind, StepId, StepKind};
use crate::wire::{Role, UnitCode};

/// Who takes part in a parallel step (会签, 承办, 传阅): another unit's office, or a
/// person of the handling unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum Participant {
    /// A unit (会签 by another unit's office; 承办 by a department that has its own
    /// unit code).
    Unit(UnitCode),
    /// A user by username (传阅 by a leader).
    User(String),
}

impl Participant {
    /// Whether this participant is the actor (their unit, or they themselves).
    pub fn is(&self, username: &str, unit: &UnitCode) -> bool {
        match self {
            Participant::Unit(u) => u == unit,
            Participant::User(name) => name == username,
        }
    }
}

impl std::fmt::Display for Participant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Participant::Unit(u) => write!(f, "{u}"),
            Participant::User(name) => f.write_str(name),
        }
    }
}

/// Where one participant of a parallel step stands (the 会签 statuses of practice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum BranchStatus {
    /// 在办
    Open,
    /// 正常办结 (for 传阅: 已阅)
    Done,
    /// 退回办结: finished by sending the document back.
    Returned,
    /// 减签: taken off before acting.
    Removed,
    /// 减签后办结: taken off after having acted; what it wrote stays on the record.
    RemovedAfterDone,
}

impl BranchStatus {
    pub const ALL: [BranchStatus; 5] = [
        BranchStatus::Open,
        BranchStatus::Done,
        BranchStatus::Returned,
        BranchStatus::Removed,
        BranchStatus::RemovedAfterDone,
    ];

    pub fn label(self) -> &'static str {
        match self {
            BranchStatus::Open => "在办",
            BranchStatus::Done => "正常办结",
            BranchStatus::Returned => "退回办结",
            BranchStatus::Removed => "减签",
            BranchStatus::RemovedAfterDone => "减签后办结",
        }
    }
}

/// One participant of the current parallel step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Branch {
    pub participant: Participant,
    /// 主办 (for 承办; the others are 协办).
    #[serde(default)]
    pub lead: bool,
    pub status: BranchStatus,
}

/// 公开属性, decided at 签发; the 政务公开 feed reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Publicity {
    /// 主动公开
    Active,
    /// 依申请公开
    OnRequest,
    /// 不予公开, with the reason the law requires.
    Withheld { reason: String },
}

impl Publicity {
    pub fn label(&self) -> &'static str {
        match self {
            Publicity::Active => "主动公开",
            Publicity::OnRequest => "依申请公开",
            Publicity::Withheld { .. } => "不予公开",
        }
    }
}

/// What a step command does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepAction {
    /// Finish the step (or the actor's branch of a parallel step: 会签 done, 传阅 read)
    /// and go on. `next` is needed when the step offers a choice; `participants` name
    /// who takes the next step when it is a parallel one (the first is 主办 for 承办).
    Finish {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        next: Option<StepId>,
        #[serde(default)]
        participants: Vec<Participant>,
    },
    /// Send the document back to an earlier step the flow allows, with a reason.
    Return { to: StepId, reason: String },
    /// 撤回: whoever finished the previous step takes the document back, as long as
    /// nobody has acted on the current one.
    Withdraw,
    /// 加签: one more participant of the current parallel step.
    AddParticipant { participant: Participant },
    /// 减签: a participant taken off the current parallel step.
    RemoveParticipant { participant: Participant },
    /// 取消编号: the 发文字号 given at 编号 is cancelled, with a reason, before the
    /// document is sent; the number is never given again and the document goes back to
    /// 编号 with its provisional mark.
    CancelNumber { reason: String },
    /// 催办: a reminder, to a participant or to whoever holds the current step.
    Remind {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        to: Option<Participant>,
        note: String,
    },
}

impl StepAction {
    pub fn label(&self) -> &'static str {
        match self {
            StepAction::Finish { .. } => "办理",
            StepAction::Return { .. } => "退回",
            StepAction::Withdraw => "撤回",
            StepAction::AddParticipant { .. } => "加签",
            StepAction::RemoveParticipant { .. } => "减签",
            StepAction::CancelNumber { .. } => "取消编号",
            StepAction::Remind { .. } => "催办",
        }
    }
}

/// One line of the trail: who did what at which step, when, with which opinion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrailEntry {
    pub step: StepId,
    pub kind: StepKind,
    pub action: StepAction,
    /// Username of who acted.
    pub by: String,
    pub role: Role,
    /// The unit the actor belongs to (another unit for 会签).
    pub unit: UnitCode,
    /// RFC 3339, UTC, as the server decided.
    pub at: String,
    /// 代办: who took the step in `by`'s name (by delegation); shown as
    /// `李华（由王强代）`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub acted_by: Option<String>,
    /// 意见 / 批示 as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub opinion: Option<String>,
    /// What the step produced, for the record: the 发文字号 at 编号, the 收文编号 at
    /// 登记, the 公开属性 at 签发.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub result: Option<String>,
}

/// One unit's handling of one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Handling {
    pub flow: FlowKind,
    /// The unit whose flow this is.
    pub unit: UnitCode,
    /// The step the document stands at; the last one once `finished`.
    pub step: StepId,
    pub step_kind: StepKind,
    /// Participants of the current step when it is a parallel one.
    #[serde(default)]
    pub branches: Vec<Branch>,
    /// 核发 done (发文) or 办结 (收文).
    pub finished: bool,
    /// Every step taken, in order.
    pub trail: Vec<TrailEntry>,
    /// How many trail entries there were when the document came to the current step.
    #[serde(default)]
    pub arrived: usize,
    /// 发文字号 given at 编号, or 收文编号 given at 登记.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub publicity: Option<Publicity>,
    /// 限办日期 (YYYY-MM-DD), set at 批办.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub deadline: Option<String>,
    /// The flow this handling follows to its end ([`Flow::digest`] of the version the
    /// unit had when it started), though the admin may change the unit's flow on the
    /// way. `None` for a handling started before servers recorded it: it follows the
    /// flow the server loaded at its start. The window reads steps through the
    /// `flow_steps` command, so the UI need not see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub flow_digest: Option<String>,
}

impl Handling {
    /// A handling at the flow's first step.
    pub fn start(flow: &Flow, unit: UnitCode) -> Handling {
        let first = flow.first();
        Handling {
            flow: flow.kind,
            unit,
            step: first.id.clone(),
            step_kind: first.kind,
            branches: Vec::new(),
            finished: false,
            trail: Vec::new(),
            arrived: 0,
            number: None,
            publicity: None,
            deadline: None,
            flow_digest: Some(flow.digest()),
        }
    }

    /// The last entry that moved the document (finish, return, withdraw), which a late
    /// command is told about.
    pub fn last_move(&self) -> Option<&TrailEntry> {
        self.trail.iter().rev().find(|e| {
            matches!(
                e.action,
                StepAction::Finish { .. } | StepAction::Return { .. } | StepAction::Withdraw
            )
        })
    }

    /// Whether anyone acted on the current step since the document came to it (a
    /// reminder is not acting): 撤回 is possible only before.
    pub fn current_step_touched(&self) -> bool {
        self.trail
            .iter()
            .skip(self.arrived)
            .any(|e| !matches!(e.action, StepAction::Remind { .. }))
    }

    /// The open branch of this actor, if the current step is parallel.
    pub fn open_branch(&self, username: &str, unit: &UnitCode) -> Option<usize> {
        self.branches
            .iter()
            .position(|b| b.status == BranchStatus::Open && b.participant.is(username, unit))
    }

    /// Units that take part besides the handling unit (会签 by other units).
    pub fn participant_units(&self) -> impl Iterator<Item = &UnitCode> {
        self.branches.iter().filter_map(|b| match &b.participant {
            Participant::Unit(u) => Some(u),
            Participant::User(_) => None,
        })
    }

    /// Whether a 发文 stands past its 签发 (a return to 签发 or before undoes it).
    pub fn unit_is_past_sign_off(&self) -> bool {
        self.flow == FlowKind::Outgoing
            && (self.finished
                || matches!(
                    self.step_kind,
                    StepKind::Recheck
                        | StepKind::AssignNumber
                        | StepKind::Seal
                        | StepKind::Dispatch
                ))
    }

    /// Whether this is a 阅件 (for reading only): a 收文 whose 初审 sent it straight to
    /// 传阅, without 拟办, 批办 or 承办. Until 初审 has decided, a 收文 counts as a 办件.
    pub fn is_reading_item(&self) -> bool {
        if self.flow != FlowKind::Incoming {
            return false;
        }
        let Some(screened) = self.trail.iter().rposition(|e| {
            e.kind == StepKind::Screen && matches!(e.action, StepAction::Finish { .. })
        }) else {
            return false;
        };
        let after: Vec<&TrailEntry> = self.trail[screened + 1..]
            .iter()
            .filter(|e| !matches!(e.action, StepAction::Remind { .. }))
            .collect();
        // 初审 withdrawn: it is to be decided again.
        if after.iter().any(|e| e.kind == StepKind::Screen) {
            return false;
        }
        let acted_on =
            |k: StepKind| matches!(k, StepKind::Propose | StepKind::Instruct | StepKind::Handle);
        let next = after.first().map_or(self.step_kind, |e| e.kind);
        !acted_on(next) && !after.iter().any(|e| acted_on(e.kind))
    }

    /// Short Chinese words for where it stands: `核稿（在办）`, `已办结`.
    pub fn status_label(&self) -> String {
        if self.finished {
            return match self.flow {
                FlowKind::Outgoing => "已核发".into(),
                FlowKind::Incoming => "已办结".into(),
            };
        }
        let open = self
            .branches
            .iter()
            .filter(|b| b.status == BranchStatus::Open)
            .count();
        if self.branches.is_empty() {
            format!("待{}", self.step_kind.label())
        } else {
            format!(
                "{}（{}/{}在办）",
                self.step_kind.label(),
                open,
                self.branches.len()
            )
        }
    }
}

// ---- deciding a step (called from `workflow::decide`) ----

use crate::flow::Step;
use crate::wire::{ChangeEntry, CommandBody, DeliveryStatus, RejectCode, Rejection};
use crate::workflow::{content_hash, reject, Actor, Context, Decision, DocumentState};
use crate::{validate, Document, Element, Severity};

/// The rules a step command keeps whatever the state (a client checks them before
/// it queues the command).
pub(crate) fn precheck(action: &StepAction) -> Result<(), Rejection> {
    match action {
        StepAction::Return { reason, .. } if reason.trim().is_empty() => Err(reject(
            RejectCode::Invalid,
            "退回必须写明理由",
            "a return needs a reason",
        )),
        StepAction::CancelNumber { reason } if reason.trim().is_empty() => Err(reject(
            RejectCode::Invalid,
            "取消编号须写明理由",
            "cancelling a number needs a reason",
        )),
        StepAction::Remind { note, .. } if note.trim().is_empty() => Err(reject(
            RejectCode::Invalid,
            "催办须写明催办事项",
            "a reminder needs a note",
        )),
        _ => Ok(()),
    }
}

fn not_found(document_id: crate::DocumentId, unit: &UnitCode) -> Rejection {
    reject(
        RejectCode::NotFound,
        "本单位没有这份公文",
        format!("document {document_id} has no handling at unit {unit}"),
    )
}

fn above_clearance(classification: crate::Classification, actor: &Actor) -> Rejection {
    reject(
        RejectCode::AboveClearance,
        format!(
            "公文密级为{}，超出您的知悉范围（{}）",
            classification.label(),
            actor.clearance.label()
        ),
        format!(
            "document is {classification:?}, above the user's clearance {:?}",
            actor.clearance
        ),
    )
}

/// A command for a step the document has left: who moved it, when, and where it is.
fn late(h: &Handling, flow: &Flow, asked: &StepId) -> Rejection {
    let asked_name = flow
        .step(asked)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| asked.to_string());
    let now_at = if h.finished {
        h.status_label()
    } else {
        format!("现在“{}”环节", h.step_kind.label())
    };
    match h.last_move() {
        Some(m) => reject(
            RejectCode::InvalidState,
            format!(
                "该公文已不在“{asked_name}”环节：{}（{}）已于{}{}，{now_at}",
                m.by,
                m.role.label(),
                crate::date::beijing_time(&m.at),
                move_words(m, flow)
            ),
            format!(
                "the document is no longer at step `{asked}`: {} ({:?}) did {} at {}; it is at `{}`",
                m.by,
                m.role,
                m.action.label(),
                m.at,
                h.step
            ),
        ),
        None => reject(
            RejectCode::InvalidState,
            format!("该公文不在“{asked_name}”环节，{now_at}"),
            format!(
                "the document is not at step `{asked}`; it is at `{}`",
                h.step
            ),
        ),
    }
}

fn move_words(m: &TrailEntry, flow: &Flow) -> String {
    let name = |id: &StepId| {
        flow.step(id)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    match &m.action {
        StepAction::Return { to, .. } => format!("在“{}”环节退回到“{}”", name(&m.step), name(to)),
        StepAction::Withdraw => format!("撤回到“{}”环节", name(&m.step)),
        _ => format!("办理了“{}”", name(&m.step)),
    }
}

fn roles_words(step: &Step) -> String {
    step.roles
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join("、")
}

fn check_role(step: &Step, actor: &Actor) -> Result<(), Rejection> {
    if step.roles.contains(&actor.role) {
        return Ok(());
    }
    Err(reject(
        RejectCode::Forbidden,
        format!(
            "{}不能办理“{}”（需要：{}）",
            actor.role.label(),
            step.name,
            roles_words(step)
        ),
        format!(
            "role {:?} may not take step `{}` (needs one of {:?})",
            actor.role, step.id, step.roles
        ),
    ))
}

/// 签发 and 用印 are refused while the document has errors, or while its rendered PDF
/// fails `gongwen check` (what validation cannot see: a 发文机关署名 too long for the
/// line runs out of the 版心); before 编号 the 发文字号 is still provisional and is not
/// held against it. The layout is checked only once the document validates, since
/// the errors are what to fix first.
fn gate(doc: &Document, step: &Step, numbered: bool, ctx: &dyn Context) -> Result<(), Rejection> {
    let errors: Vec<_> = validate(doc)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .filter(|p| numbered || p.element != Element::DocNumber)
        .collect();
    if !errors.is_empty() {
        return Err(reject(
            RejectCode::Invalid,
            format!(
                "公文还有 {} 处错误，不能{}：{}",
                errors.len(),
                step.name,
                errors
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join("；")
            ),
            format!(
                "{} error(s) block `{}`: {}",
                errors.len(),
                step.id,
                errors
                    .iter()
                    .map(|p| p.message_en.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ));
    }
    let findings = ctx.layout_findings(doc);
    if findings.is_empty() {
        return Ok(());
    }
    Err(reject(
        RejectCode::Invalid,
        format!(
            "公文排版有 {} 处不符合 GB/T 9704-2012，不能{}，请修改后再办理：{}",
            findings.len(),
            step.name,
            findings
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join("；")
        ),
        format!(
            "the rendered PDF fails `gongwen check` ({} finding(s)), which blocks `{}`: {}",
            findings.len(),
            step.id,
            findings
                .iter()
                .map(|f| f.message_en.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    ))
}

/// A 限办日期 as given at 批办: a date (`2026-12-31`), or `N个工作日` counted from the
/// day of 批办 (Beijing time) with the shipped holiday calendar (`assets/calendar.toml`).
fn deadline_date(text: &str, now: &str) -> Result<String, Rejection> {
    let text = text.trim();
    let bad = || {
        reject(
            RejectCode::Invalid,
            format!("限办日期“{text}”无效，应写作 2026-12-31 或“5个工作日”"),
            format!("deadline {text:?} is neither a YYYY-MM-DD date nor \"N个工作日\""),
        )
    };
    if let Some(n) = text.strip_suffix("个工作日") {
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || n > 366 {
            return Err(bad());
        }
        let today = crate::delegation::beijing_day(now)
            .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
            .ok_or_else(bad)?;
        static CALENDAR: std::sync::OnceLock<crate::calendar::WorkCalendar> =
            std::sync::OnceLock::new();
        let calendar = CALENDAR.get_or_init(crate::calendar::WorkCalendar::shipped);
        return Ok(calendar
            .add_working_days(today, n)
            .format("%Y-%m-%d")
            .to_string());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| bad())
}

fn year_of(now: &str) -> i32 {
    now.get(..4).and_then(|y| y.parse().ok()).unwrap_or(1970)
}

/// Decides a [`CommandBody::Step`].
pub(crate) fn decide_step(
    state: Option<&DocumentState>,
    actor: &Actor,
    body: &CommandBody,
    ctx: &dyn Context,
    now: &str,
) -> Result<Decision, Rejection> {
    let CommandBody::Step {
        document_id,
        step,
        action,
        opinion,
        document,
        publicity,
        deadline,
    } = body
    else {
        return Err(reject(
            RejectCode::Invalid,
            "不是办理命令",
            "not a step command",
        ));
    };
    let document_id = *document_id;
    precheck(action)?;
    let opinion = opinion
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(String::from);

    // The state and the handling the actor acts on: their own unit's, or one whose
    // parallel step names their unit (会签 by another unit).
    let (mut st, index, mut doc, started) = match state {
        None => {
            let flow = ctx.flow(&actor.unit, FlowKind::Outgoing);
            let first = flow.first();
            let Some(document) = document else {
                return Err(not_found(document_id, &actor.unit));
            };
            if step != &first.id {
                return Err(not_found(document_id, &actor.unit));
            }
            if document.classification > actor.clearance {
                return Err(above_clearance(document.classification, actor));
            }
            let st = DocumentState {
                document_id,
                owner: actor.unit.clone(),
                classification: document.classification,
                content_hash: content_hash(document),
                dispatched_by: String::new(),
                dispatched_at: String::new(),
                deliveries: Vec::new(),
                handlings: vec![Handling::start(&flow, actor.unit.clone())],
            };
            (st, 0, (**document).clone(), true)
        }
        Some(state) => {
            let index = state
                .handlings
                .iter()
                .position(|h| h.unit == actor.unit)
                .or_else(|| {
                    state.handlings.iter().position(|h| {
                        h.branches
                            .iter()
                            .any(|b| b.participant == Participant::Unit(actor.unit.clone()))
                    })
                });
            let Some(index) = index else {
                if state.deliveries.iter().any(|d| d.unit == actor.unit) {
                    return Err(reject(
                        RejectCode::InvalidState,
                        "请先签收这份公文",
                        "the document must be acknowledged before it is handled",
                    ));
                }
                return Err(not_found(document_id, &actor.unit));
            };
            if state.classification > actor.clearance {
                return Err(above_clearance(state.classification, actor));
            }
            let doc = ctx.current_document().ok_or_else(|| {
                reject(
                    RejectCode::NotFound,
                    "服务器上没有这份公文的内容",
                    format!("no stored content for document {document_id}"),
                )
            })?;
            (state.clone(), index, doc, false)
        }
    };
    let mut h = st.handlings[index].clone();
    // The units taking part before this command: a step that ends the parallel step
    // clears its branches, and the unit whose branch ended it must still be told.
    let took_part: Vec<UnitCode> = h.participant_units().cloned().collect();
    let own_unit = h.unit == actor.unit;
    let flow = ctx.handling_flow(&h);
    if h.finished {
        return Err(reject(
            RejectCode::InvalidState,
            format!("该公文{}，不能再办理", h.status_label()),
            format!("the handling of document {document_id} is finished"),
        ));
    }
    let Some(current) = flow.step(&h.step).cloned() else {
        return Err(reject(
            RejectCode::InvalidState,
            format!("流程中已没有“{}”环节，请管理员检查流程配置", h.step),
            format!("the flow has no step `{}` any more", h.step),
        ));
    };

    // A reminder is sent from a remind step during the current one; every other action
    // names the current step, or it is late.
    let acting = match action {
        StepAction::Remind { .. } => match flow.step(step) {
            Some(s) if s.kind == StepKind::Remind && s.during.contains(&h.step) => s.clone(),
            _ => {
                return Err(reject(
                    RejectCode::InvalidState,
                    format!("“{}”环节不能催办", current.name),
                    format!("no remind step covers step `{}`", h.step),
                ))
            }
        },
        _ if step != &h.step => return Err(late(&h, &flow, step)),
        _ => current.clone(),
    };
    if !own_unit
        && !matches!(
            action,
            StepAction::Finish { .. } | StepAction::Return { .. }
        )
    {
        return Err(not_found(document_id, &actor.unit));
    }

    // 代办: a step that is not the actor's own to take may be a leader's they were
    // delegated; it is then taken in the leader's name, and the trail says who acted.
    let real = actor;
    let delegated = if own_unit {
        delegated_for(&acting, &h, actor, ctx, now)?
    } else {
        None
    };
    let actor: &Actor = delegated.as_ref().unwrap_or(real);

    let mut entry = TrailEntry {
        step: acting.id.clone(),
        kind: acting.kind,
        action: action.clone(),
        by: actor.username.clone(),
        role: actor.role,
        unit: actor.unit.clone(),
        at: now.to_string(),
        acted_by: delegated.as_ref().map(|_| real.username.clone()),
        opinion,
        result: None,
    };
    let mut numbers = Vec::new();
    let mut cancelled = Vec::new();
    let mut new_content = started;

    match action {
        StepAction::Finish { next, participants } => {
            check_role(&current, actor)?;
            if let Some(d) = document.as_deref().filter(|_| !started) {
                if !matches!(
                    current.kind,
                    StepKind::Draft | StepKind::Review | StepKind::Recheck
                ) {
                    return Err(reject(
                        RejectCode::Invalid,
                        format!("“{}”环节不能修改公文内容", current.name),
                        format!("step `{}` may not change the document", current.id),
                    ));
                }
                if d.classification > actor.clearance {
                    return Err(above_clearance(d.classification, actor));
                }
                doc = d.clone();
                new_content = true;
            }
            if current.parallel {
                let Some(i) = h.open_branch(&actor.username, &actor.unit) else {
                    return Err(
                        if h.branches
                            .iter()
                            .any(|b| b.participant.is(&actor.username, &actor.unit))
                        {
                            reject(
                                RejectCode::InvalidState,
                                format!("您已办理过“{}”", current.name),
                                format!("the actor's branch of `{}` is not open", current.id),
                            )
                        } else if own_unit {
                            reject(
                                RejectCode::Forbidden,
                                format!("您不是“{}”的参与者", current.name),
                                format!("the actor takes no part in `{}`", current.id),
                            )
                        } else {
                            not_found(document_id, &actor.unit)
                        },
                    );
                };
                h.branches[i].status = BranchStatus::Done;
                h.trail.push(entry);
                if !h.branches.iter().any(|b| b.status == BranchStatus::Open) {
                    advance(&mut h, &flow, &current, next.as_ref(), &[], ctx, true)?;
                }
            } else {
                if !own_unit {
                    return Err(not_found(document_id, &actor.unit));
                }
                match current.kind {
                    StepKind::SignOff => {
                        gate(&doc, &current, false, ctx)?;
                        let Some(p) = publicity else {
                            return Err(reject(
                                RejectCode::Invalid,
                                "签发时须选定公开属性（主动公开、依申请公开或不予公开）",
                                "sign-off needs the publicity (active, on_request or withheld)",
                            ));
                        };
                        if let Publicity::Withheld { reason } = p {
                            if reason.trim().is_empty() {
                                return Err(reject(
                                    RejectCode::Invalid,
                                    "不予公开须写明理由",
                                    "withheld publicity needs a reason",
                                ));
                            }
                        }
                        entry.result = Some(p.label().to_string());
                        h.publicity = Some(p.clone());
                    }
                    StepKind::Seal => gate(&doc, &current, true, ctx)?,
                    StepKind::AssignNumber | StepKind::Register => {
                        let incoming = current.kind == StepKind::Register;
                        let taken = ctx.next_number(&h.unit, &doc, incoming, year_of(now))?;
                        if !incoming {
                            doc.doc_number = taken.text.clone();
                            new_content = true;
                        }
                        entry.result = Some(taken.text.clone());
                        h.number = Some(taken.text.clone());
                        numbers.push(taken);
                    }
                    StepKind::Instruct => {
                        if let Some(d) = deadline.as_deref() {
                            let date = deadline_date(d, now)?;
                            h.deadline = Some(date.clone());
                            entry.result = Some(match d.trim() == date {
                                true => format!("限办日期 {date}"),
                                false => format!("限办日期 {date}（{}）", d.trim()),
                            });
                        }
                    }
                    StepKind::Dispatch => {
                        return Err(reject(
                            RejectCode::Invalid,
                            "核发请用“分发”选定收文单位",
                            "the dispatch step is taken with a dispatch command",
                        ))
                    }
                    StepKind::Acknowledge => {
                        return Err(reject(
                            RejectCode::Invalid,
                            "签收请用“签收”",
                            "the acknowledge step is taken with an acknowledge command",
                        ))
                    }
                    _ => {}
                }
                h.trail.push(entry);
                advance(
                    &mut h,
                    &flow,
                    &current,
                    next.as_ref(),
                    participants,
                    ctx,
                    false,
                )?;
            }
        }
        StepAction::Return { to, reason: _ } => {
            check_role(&current, actor)?;
            if !current.returns_to.contains(to) {
                return Err(reject(
                    RejectCode::Invalid,
                    format!(
                        "“{}”环节不能退回到“{to}”（可退回：{}）",
                        current.name,
                        current
                            .returns_to
                            .iter()
                            .filter_map(|id| flow.step(id).map(|s| s.name.as_str()))
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                    format!("step `{}` may not return to `{to}`", current.id),
                ));
            }
            if current.parallel {
                let Some(i) = h.open_branch(&actor.username, &actor.unit) else {
                    return Err(reject(
                        RejectCode::Forbidden,
                        format!("您不是“{}”的在办参与者", current.name),
                        format!("the actor has no open branch of `{}`", current.id),
                    ));
                };
                h.branches[i].status = BranchStatus::Returned;
            } else if !own_unit {
                return Err(not_found(document_id, &actor.unit));
            }
            h.trail.push(entry);
            move_to(&mut h, &flow, to);
        }
        StepAction::Withdraw => {
            // Whoever sent the document here takes it back, before anyone acts on it.
            let Some(last) = h.last_move().cloned() else {
                return Err(reject(
                    RejectCode::InvalidState,
                    "没有可以撤回的环节",
                    "nothing to withdraw",
                ));
            };
            let own_move =
                matches!(last.action, StepAction::Finish { .. }) && last.by == actor.username;
            if !own_move {
                return Err(reject(
                    RejectCode::Forbidden,
                    format!("只有办理上一环节的{}可以撤回", last.by),
                    format!("only {} who took the previous step may withdraw", last.by),
                ));
            }
            if h.current_step_touched() {
                return Err(late(&h, &flow, &last.step));
            }
            entry.step = last.step.clone();
            entry.kind = last.kind;
            h.trail.push(entry);
            move_to(&mut h, &flow, &last.step);
        }
        StepAction::AddParticipant { participant }
        | StepAction::RemoveParticipant { participant } => {
            if !current.parallel {
                return Err(reject(
                    RejectCode::Invalid,
                    format!("“{}”不是并行环节，不能加签或减签", current.name),
                    format!("step `{}` is not parallel", current.id),
                ));
            }
            let sent_here = h.last_move().is_some_and(|m| m.by == actor.username);
            if !sent_here && !matches!(actor.role, Role::OfficeDirector | Role::Leader) {
                return Err(reject(
                    RejectCode::Forbidden,
                    "只有送出本环节的人、办公室主任或领导可以加签、减签",
                    "only who sent the step, an office director or a leader may add or remove participants",
                ));
            }
            if let StepAction::AddParticipant { .. } = action {
                check_participant(participant, &h, ctx)?;
                if h.branches
                    .iter()
                    .any(|b| &b.participant == participant && b.status == BranchStatus::Open)
                {
                    return Err(reject(
                        RejectCode::Invalid,
                        format!("“{participant}”已在办"),
                        format!("{participant} is already taking part"),
                    ));
                }
                h.branches.push(Branch {
                    participant: participant.clone(),
                    lead: false,
                    status: BranchStatus::Open,
                });
                h.trail.push(entry);
            } else {
                let Some(b) = h
                    .branches
                    .iter_mut()
                    .rev()
                    .find(|b| &b.participant == participant)
                else {
                    return Err(reject(
                        RejectCode::Invalid,
                        format!("“{participant}”不是本环节的参与者"),
                        format!("{participant} takes no part in `{}`", current.id),
                    ));
                };
                b.status = match b.status {
                    BranchStatus::Open => BranchStatus::Removed,
                    BranchStatus::Done => BranchStatus::RemovedAfterDone,
                    _ => {
                        return Err(reject(
                            RejectCode::InvalidState,
                            format!("“{participant}”已减签或已退回"),
                            format!("{participant} was already removed or returned"),
                        ))
                    }
                };
                h.trail.push(entry);
                if !h.branches.iter().any(|b| b.status == BranchStatus::Open) {
                    advance(&mut h, &flow, &current, None, &[], ctx, true)?;
                }
            }
        }
        StepAction::CancelNumber { reason } => {
            let Some(number) = h.number.clone().filter(|_| h.flow == FlowKind::Outgoing) else {
                return Err(reject(
                    RejectCode::InvalidState,
                    "该公文还没有编号，无可取消",
                    "the document has no number to cancel",
                ));
            };
            // Whoever may give the number may cancel it.
            let Some(numbering) = flow.steps_of(StepKind::AssignNumber).next().cloned() else {
                return Err(reject(
                    RejectCode::InvalidState,
                    "流程中没有编号环节",
                    "the flow has no assign_number step",
                ));
            };
            check_role(&numbering, actor)?;
            let taken = ctx.number_of(&h.unit, &doc, &number, year_of(now))?;
            doc.doc_number = taken.provisional.clone();
            new_content = true;
            entry.result = Some(format!("{number}（{}）", reason.trim()));
            h.number = None;
            h.trail.push(entry);
            cancelled.push(taken.number);
            move_to(&mut h, &flow, &numbering.id);
        }
        StepAction::Remind { to, note } => {
            check_role(&acting, actor)?;
            if let Some(p) = to {
                if !h.branches.iter().any(|b| &b.participant == p) {
                    return Err(reject(
                        RejectCode::Invalid,
                        format!("“{p}”不是“{}”的参与者", current.name),
                        format!("{p} takes no part in `{}`", current.id),
                    ));
                }
            }
            entry.result = Some(note.trim().to_string());
            h.trail.push(entry);
        }
    }

    if new_content {
        st.content_hash = content_hash(&doc);
        st.classification = doc.classification;
    }
    st.handlings[index] = h.clone();
    // The handling unit and every unit taking part get the whole handling with the
    // current version, so a 会签 unit can read what it signs.
    let mut units = vec![h.unit.clone()];
    // 办结 of a 收文 is the 答复 the sender sees.
    if h.finished && h.flow == FlowKind::Incoming && st.owner != h.unit {
        units.push(st.owner.clone());
    }
    for u in h.participant_units().chain(&took_part) {
        if !units.contains(u) {
            units.push(u.clone());
        }
    }
    let content_hash = st.content_hash.clone();
    let log = units
        .into_iter()
        .map(|u| {
            (
                u,
                ChangeEntry::Handling {
                    document_id,
                    handling: Box::new(h.clone()),
                    document: Some(Box::new(doc.clone())),
                    content_hash: content_hash.clone(),
                },
            )
        })
        .collect();
    Ok(Decision {
        state: st,
        document: new_content.then_some(doc),
        log,
        numbers,
        cancelled,
    })
}

/// The leader in whose name `actor` takes `step` by delegation, when the step is not
/// their own to take: a delegation to them, in its period, naming the step (or all
/// steps), from a leader of their unit who may take it now. A delegation for the step
/// outside its period is refused, saying so.
fn delegated_for(
    step: &Step,
    h: &Handling,
    actor: &Actor,
    ctx: &dyn Context,
    now: &str,
) -> Result<Option<Actor>, Rejection> {
    let own = step.roles.contains(&actor.role)
        && (!step.parallel || h.open_branch(&actor.username, &actor.unit).is_some());
    if own {
        return Ok(None);
    }
    let theirs: Vec<_> = ctx
        .delegations()
        .into_iter()
        .filter(|d| {
            d.delegate == actor.username
                && d.unit == actor.unit
                && d.revoked_at.is_none()
                && (d.steps.is_empty() || d.steps.contains(&step.kind))
        })
        .collect();
    for d in theirs.iter().filter(|d| d.in_period(now)) {
        let Some((unit, role, clearance)) = ctx.user(&d.leader) else {
            continue;
        };
        if unit != actor.unit || !step.roles.contains(&role) {
            continue;
        }
        if step.parallel && h.open_branch(&d.leader, &unit).is_none() {
            continue;
        }
        return Ok(Some(Actor {
            username: d.leader.clone(),
            unit,
            role,
            // Who reads the document is the delegate: the lower clearance counts.
            clearance: clearance.min(actor.clearance),
        }));
    }
    if let Some(d) = theirs.iter().find(|d| !d.in_period(now)) {
        return Err(reject(
            RejectCode::Forbidden,
            format!(
                "{}委托您代办“{}”的期限是{}至{}，现在不在期限内",
                d.leader,
                d.steps_label(),
                d.from,
                d.until
            ),
            format!(
                "the delegation from {} runs {} to {}; today is outside it",
                d.leader, d.from, d.until
            ),
        ));
    }
    Ok(None)
}

fn move_to(h: &mut Handling, flow: &Flow, to: &StepId) {
    if let Some(s) = flow.step(to) {
        h.step = s.id.clone();
        h.step_kind = s.kind;
    }
    h.branches.clear();
    h.arrived = h.trail.len();
}

fn check_participant(p: &Participant, h: &Handling, ctx: &dyn Context) -> Result<(), Rejection> {
    let ok = match p {
        Participant::Unit(u) => u != &h.unit && ctx.unit_exists(u),
        Participant::User(name) => ctx.user(name).is_some_and(|(unit, _, _)| unit == h.unit),
    };
    if ok {
        return Ok(());
    }
    Err(reject(
        RejectCode::Invalid,
        match p {
            Participant::Unit(u) => format!("交换平台上没有可以参与的单位“{u}”"),
            Participant::User(n) => format!("本单位没有用户“{n}”"),
        },
        format!("{p} cannot take part"),
    ))
}

/// Moves the handling on from `current` once it is done: to the chosen next step, to
/// the only one, or to the end of the flow.
fn advance(
    h: &mut Handling,
    flow: &Flow,
    current: &Step,
    next: Option<&StepId>,
    participants: &[Participant],
    ctx: &dyn Context,
    auto: bool,
) -> Result<(), Rejection> {
    let options = || {
        current
            .next
            .iter()
            .filter_map(|id| flow.step(id).map(|s| s.name.as_str()))
            .collect::<Vec<_>>()
            .join("、")
    };
    let target = match next {
        // One more level of a repeatable step (多级核稿).
        Some(n) if current.repeat && n == &current.id => {
            h.arrived = h.trail.len();
            return Ok(());
        }
        Some(n) if current.next.contains(n) => flow.step(n),
        Some(n) => {
            return Err(reject(
                RejectCode::Invalid,
                format!("“{}”之后不能转到“{n}”（可选：{}）", current.name, options()),
                format!("step `{}` cannot go on to `{n}`", current.id),
            ))
        }
        None if current.next.is_empty() => {
            h.finished = true;
            h.branches.clear();
            return Ok(());
        }
        None if current.next.len() == 1 => flow.step(&current.next[0]),
        None => {
            return Err(reject(
                RejectCode::Invalid,
                format!("请选择“{}”之后的环节：{}", current.name, options()),
                format!("step `{}` needs a choice of next step", current.id),
            ))
        }
    };
    let Some(target) = target.cloned() else {
        return Err(reject(
            RejectCode::InvalidState,
            "流程配置有误：下一环节不存在",
            "the next step is missing from the flow",
        ));
    };
    move_to(h, flow, &target.id);
    if target.parallel {
        // When the last participant of a parallel step finishes, nobody has named the
        // next one's participants yet: the office adds them (加签) at the new step.
        if participants.is_empty() && auto {
            return Ok(());
        }
        if participants.is_empty() {
            return Err(reject(
                RejectCode::Invalid,
                format!("转到“{}”须指定参与的单位或人员", target.name),
                format!("step `{}` needs participants", target.id),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, p) in participants.iter().enumerate() {
            if !seen.insert(p) {
                return Err(reject(
                    RejectCode::Invalid,
                    format!("“{p}”重复出现"),
                    format!("{p} is listed twice"),
                ));
            }
            check_participant(p, h, ctx)?;
            h.branches.push(Branch {
                participant: p.clone(),
                lead: i == 0 && target.kind == StepKind::Handle,
                status: BranchStatus::Open,
            });
        }
    } else if !participants.is_empty() {
        return Err(reject(
            RejectCode::Invalid,
            format!("“{}”不是并行环节，不能指定参与者", target.name),
            format!("step `{}` is not parallel", target.id),
        ));
    }
    Ok(())
}

/// A dispatch of a document the server knows: only a 发文 at its 核发 step, by one who
/// may take it, with the version the flow produced.
pub(crate) fn check_dispatch<'a>(
    st: &'a DocumentState,
    actor: &Actor,
    document: &Document,
    ctx: &dyn Context,
) -> Result<&'a DocumentState, Rejection> {
    let already = || {
        reject(
            RejectCode::InvalidState,
            "该公文已分发，不能重复分发",
            format!("document {} was already dispatched", st.document_id),
        )
    };
    if st.is_dispatched() {
        return Err(already());
    }
    let Some(h) = st.handling(&actor.unit).filter(|_| st.owner == actor.unit) else {
        return Err(already());
    };
    let flow = ctx.handling_flow(h);
    if h.step_kind != StepKind::Dispatch {
        return Err(reject(
            RejectCode::InvalidState,
            format!("该公文现在“{}”环节，尚不能核发", h.step_kind.label()),
            format!("document is at step `{}`, not dispatch", h.step),
        ));
    }
    if let Some(step) = flow.step(&h.step) {
        check_role(step, actor)?;
    }
    if content_hash(document) != st.content_hash {
        return Err(reject(
            RejectCode::InvalidState,
            "分发的内容与办理后的版本不一致，请先同步再分发",
            "the dispatched content is not the version the handling produced",
        ));
    }
    Ok(st)
}

/// Records 核发 on the sender's handling.
pub(crate) fn finish_dispatch(h: &mut Handling, actor: &Actor, recipients: usize, now: &str) {
    h.trail.push(TrailEntry {
        step: h.step.clone(),
        kind: h.step_kind,
        action: StepAction::Finish {
            next: None,
            participants: Vec::new(),
        },
        by: actor.username.clone(),
        role: actor.role,
        unit: actor.unit.clone(),
        at: now.to_string(),
        acted_by: None,
        opinion: None,
        result: Some(format!("分发至{recipients}个单位")),
    });
    h.finished = true;
    h.arrived = h.trail.len();
}

/// Whether a recipient's handling stands at 初审, where a document found not to be
/// ours goes back with a 退文告知单.
pub(crate) fn at_screening(h: Option<&Handling>) -> bool {
    h.is_some_and(|h| !h.finished && h.step_kind == StepKind::Screen)
}

/// A recipient's 签收 starts its 收文 handling (the first step, 签收, done); a 退回 or
/// a 退文 at 初审 ends it. Returns the handling to send to the recipient.
pub(crate) fn answer_delivery(
    st: &mut DocumentState,
    actor: &Actor,
    flow: &Flow,
    status: DeliveryStatus,
    reason: Option<String>,
    now: &str,
) -> Option<Handling> {
    let index = match st.handlings.iter().position(|h| h.unit == actor.unit) {
        Some(i) => i,
        None if status == DeliveryStatus::Acknowledged => {
            st.handlings.push(Handling::start(flow, actor.unit.clone()));
            st.handlings.len() - 1
        }
        None => return None,
    };
    let h = &mut st.handlings[index];
    let action = match (status, &reason) {
        (DeliveryStatus::Returned, Some(r)) => StepAction::Return {
            to: h.step.clone(),
            reason: r.clone(),
        },
        _ => StepAction::Finish {
            next: None,
            participants: Vec::new(),
        },
    };
    h.trail.push(TrailEntry {
        step: h.step.clone(),
        kind: h.step_kind,
        action,
        by: actor.username.clone(),
        role: actor.role,
        unit: actor.unit.clone(),
        at: now.to_string(),
        acted_by: None,
        opinion: None,
        result: reason,
    });
    if status == DeliveryStatus::Returned {
        h.finished = true;
    } else if let Some(next) = flow
        .step(&h.step)
        .and_then(|s| s.next.first())
        .and_then(|id| flow.step(id))
    {
        h.step = next.id.clone();
        h.step_kind = next.kind;
    }
    h.arrived = h.trail.len();
    Some(h.clone())
}

/// Who writes the automatic 催办 in the trail: the server, on the office's behalf.
pub const SYSTEM_ACTOR: &str = "system";

/// 催办 by the server itself: a 承办 with branches still 在办 whose 限办日期 has passed
/// (the day in Beijing is later) gets one reminder, recorded in the trail like a
/// manual 催办 by [`SYSTEM_ACTOR`], once per deadline (a new 限办日期 set at a new 批办
/// gets its own). Returns the new state and the log entries for the units concerned,
/// or None when nothing is overdue or it was reminded already. `flow` gives the flow
/// each handling follows (the version it started with, its unit's own, or the default).
pub fn overdue_reminders(
    st: &DocumentState,
    now: &str,
    flow: impl Fn(&Handling) -> Flow,
) -> Option<(DocumentState, Vec<(UnitCode, ChangeEntry)>)> {
    let today = crate::delegation::beijing_day(now)?;
    let mut st = st.clone();
    let mut log = Vec::new();
    for h in st.handlings.iter_mut() {
        let Some(deadline) = h.deadline.clone() else {
            continue;
        };
        let open = h.branches.iter().any(|b| b.status == BranchStatus::Open);
        if h.finished || h.step_kind != StepKind::Handle || !open || deadline >= today {
            continue;
        }
        let note = format!("已超过限办日期{deadline}，请抓紧办理");
        let reminded = h.trail.iter().any(|e| {
            e.by == SYSTEM_ACTOR
                && matches!(&e.action, StepAction::Remind { note: n, .. } if n == &note)
        });
        let flow = flow(h);
        let Some(remind) = flow
            .steps_of(StepKind::Remind)
            .find(|s| s.during.contains(&h.step))
            .cloned()
        else {
            continue;
        };
        if reminded {
            continue;
        }
        h.trail.push(TrailEntry {
            step: remind.id.clone(),
            kind: StepKind::Remind,
            action: StepAction::Remind {
                to: None,
                note: note.clone(),
            },
            by: SYSTEM_ACTOR.to_string(),
            // 催办 is the office's duty (督办); the server does it on the office's behalf.
            role: Role::OfficeDirector,
            unit: h.unit.clone(),
            at: now.to_string(),
            acted_by: None,
            opinion: None,
            result: Some(note),
        });
        let mut units = vec![h.unit.clone()];
        for u in h.participant_units() {
            if !units.contains(u) {
                units.push(u.clone());
            }
        }
        for u in units {
            log.push((
                u,
                ChangeEntry::Handling {
                    document_id: st.document_id,
                    handling: Box::new(h.clone()),
                    document: None,
                    content_hash: st.content_hash.clone(),
                },
            ));
        }
    }
    (!log.is_empty()).then_some((st, log))
}

#[cfg(test)]
mod deadline_tests {
    use super::deadline_date;

    #[test]
    fn a_deadline_in_working_days_skips_weekends_and_holidays() {
        // Friday 2026-02-13 (Beijing), 8:00: the next working day is Saturday the 14th
        // (调休上班), then the 春节 holidays to the 23rd, so 3 working days is the 25th.
        assert_eq!(
            deadline_date("3个工作日", "2026-02-13T00:00:00Z").unwrap(),
            "2026-02-25"
        );
        // Late on Thursday UTC is already Friday in 宿州.
        assert_eq!(
            deadline_date("1个工作日", "2026-12-03T17:00:00Z").unwrap(),
            "2026-12-07"
        );
        assert_eq!(
            deadline_date(" 2026-12-31 ", "2026-12-03T17:00:00Z").unwrap(),
            "2026-12-31"
        );
        for bad in ["三个工作日", "0个工作日", "12月31日", "个工作日"] {
            let e = deadline_date(bad, "2026-12-03T17:00:00Z").unwrap_err();
            assert!(e.message.contains(bad.trim()), "{}", e.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: StepKind, action: StepAction) -> TrailEntry {
        TrailEntry {
            step: StepId::from(kind.as_str()),
            kind,
            action,
            by: "gov-director".into(),
            role: Role::OfficeDirector,
            unit: UnitCode::from("sz-gov"),
            at: "2026-12-06T01:00:00Z".into(),
            opinion: None,
            result: None,
            acted_by: None,
        }
    }

    fn finish() -> StepAction {
        StepAction::Finish {
            next: None,
            participants: Vec::new(),
        }
    }

    fn incoming(trail: Vec<TrailEntry>, at: StepKind) -> Handling {
        let flow = Flow::default_for(FlowKind::Incoming);
        let mut h = Handling::start(&flow, UnitCode::from("sz-gov"));
        h.step = StepId::from(at.as_str());
        h.step_kind = at;
        h.trail = trail;
        h
    }

    #[test]
    fn a_reading_item_is_one_that_screening_sent_straight_to_circulation() {
        use StepKind::*;
        let base = || {
            vec![
                entry(Acknowledge, finish()),
                entry(Register, finish()),
                entry(Screen, finish()),
            ]
        };
        // Before 初审 decides, and when it chose 拟办, it is a 办件.
        assert!(!incoming(base()[..2].to_vec(), Screen).is_reading_item());
        assert!(!incoming(base(), Propose).is_reading_item());
        let mut handled = base();
        handled.push(entry(Propose, finish()));
        handled.push(entry(Instruct, finish()));
        handled.push(entry(Handle, finish()));
        // A 办件 passes 传阅 too, and stays a 办件.
        assert!(!incoming(handled, Circulate).is_reading_item());
        // Straight to 传阅: a 阅件, before anyone read it and after.
        assert!(incoming(base(), Circulate).is_reading_item());
        let mut read = base();
        read.push(entry(Circulate, finish()));
        assert!(incoming(read, Complete).is_reading_item());
        // 初审 taken back (撤回): undecided again.
        let mut withdrawn = base();
        withdrawn.push(entry(Screen, StepAction::Withdraw));
        assert!(!incoming(withdrawn, Screen).is_reading_item());
        // A 发文 is never one.
        let mut out = incoming(base(), Circulate);
        out.flow = FlowKind::Outgoing;
        assert!(!out.is_reading_item());
    }
}
