//! 发文 and 收文 flows as data: which steps a unit's documents go through, in which
//! order, who may take each, which run in parallel, and where a step may send a
//! document back. A unit's flows are TOML files (`assets/flows/` holds the defaults,
//! which follow chapters 5 and 6 of the 条例); [`Flow::parse`] refuses a bad file at
//! load with the line and the reason, so a mistake in a flow never surfaces halfway
//! through a document's life.
//!
//! The format is described in `docs/workflows.md`. In short: steps are listed in
//! order; each goes on to the next one listed unless it names its `next` steps (more
//! than one is a choice the actor makes, e.g. 会签 or straight to 签发); `returns_to`
//! names earlier steps it may send the document back to, with a reason; `parallel`
//! steps (会签, 承办, 传阅) are taken by several participants, each on their own;
//! `repeat` lets a step be taken again before moving on (多级核稿). 催办 is not a
//! stage the document passes: a `remind` step names the steps `during` which it may be
//! sent.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::wire::Role;

/// 发文 (a document this unit issues) or 收文 (one it received).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum FlowKind {
    /// 发文办理
    Outgoing,
    /// 收文办理
    Incoming,
}

impl FlowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Outgoing => "outgoing",
            FlowKind::Incoming => "incoming",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FlowKind::Outgoing => "发文",
            FlowKind::Incoming => "收文",
        }
    }
}

/// What a step does. The names are the glossary's; each belongs to one [`FlowKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// 拟稿
    Draft,
    /// 核稿
    Review,
    /// 会签
    Countersign,
    /// 签发
    SignOff,
    /// 复核
    Recheck,
    /// 编号: the server gives the 发文字号.
    AssignNumber,
    /// 用印
    Seal,
    /// 核发: sent over the exchange.
    Dispatch,
    /// 签收
    Acknowledge,
    /// 登记: the 收文编号.
    Register,
    /// 初审
    Screen,
    /// 拟办
    Propose,
    /// 批办
    Instruct,
    /// 承办
    Handle,
    /// 传阅
    Circulate,
    /// 催办
    Remind,
    /// 办结 (注办, 答复)
    Complete,
}

impl StepKind {
    pub const ALL: [StepKind; 17] = [
        StepKind::Draft,
        StepKind::Review,
        StepKind::Countersign,
        StepKind::SignOff,
        StepKind::Recheck,
        StepKind::AssignNumber,
        StepKind::Seal,
        StepKind::Dispatch,
        StepKind::Acknowledge,
        StepKind::Register,
        StepKind::Screen,
        StepKind::Propose,
        StepKind::Instruct,
        StepKind::Handle,
        StepKind::Circulate,
        StepKind::Remind,
        StepKind::Complete,
    ];

    pub fn label(self) -> &'static str {
        match self {
            StepKind::Draft => "拟稿",
            StepKind::Review => "核稿",
            StepKind::Countersign => "会签",
            StepKind::SignOff => "签发",
            StepKind::Recheck => "复核",
            StepKind::AssignNumber => "编号",
            StepKind::Seal => "用印",
            StepKind::Dispatch => "核发",
            StepKind::Acknowledge => "签收",
            StepKind::Register => "登记",
            StepKind::Screen => "初审",
            StepKind::Propose => "拟办",
            StepKind::Instruct => "批办",
            StepKind::Handle => "承办",
            StepKind::Circulate => "传阅",
            StepKind::Remind => "催办",
            StepKind::Complete => "办结",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Draft => "draft",
            StepKind::Review => "review",
            StepKind::Countersign => "countersign",
            StepKind::SignOff => "sign_off",
            StepKind::Recheck => "recheck",
            StepKind::AssignNumber => "assign_number",
            StepKind::Seal => "seal",
            StepKind::Dispatch => "dispatch",
            StepKind::Acknowledge => "acknowledge",
            StepKind::Register => "register",
            StepKind::Screen => "screen",
            StepKind::Propose => "propose",
            StepKind::Instruct => "instruct",
            StepKind::Handle => "handle",
            StepKind::Circulate => "circulate",
            StepKind::Remind => "remind",
            StepKind::Complete => "complete",
        }
    }

    /// The flow this step belongs to.
    pub fn flow(self) -> FlowKind {
        match self {
            StepKind::Draft
            | StepKind::Review
            | StepKind::Countersign
            | StepKind::SignOff
            | StepKind::Recheck
            | StepKind::AssignNumber
            | StepKind::Seal
            | StepKind::Dispatch => FlowKind::Outgoing,
            StepKind::Acknowledge
            | StepKind::Register
            | StepKind::Screen
            | StepKind::Propose
            | StepKind::Instruct
            | StepKind::Handle
            | StepKind::Circulate
            | StepKind::Remind
            | StepKind::Complete => FlowKind::Incoming,
        }
    }

    /// Steps several participants take side by side, each finishing on their own
    /// (会签 by several units or leaders, 承办 by 主办 and 协办, 传阅 by several leaders).
    pub fn may_run_in_parallel(self) -> bool {
        matches!(
            self,
            StepKind::Countersign | StepKind::Handle | StepKind::Circulate
        )
    }
}

impl std::str::FromStr for StepKind {
    type Err = crate::UnknownName;
    /// The name [`StepKind::as_str`] gives (as stored by clients).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const NAMES: [&str; 17] = [
            "draft",
            "review",
            "countersign",
            "sign_off",
            "recheck",
            "assign_number",
            "seal",
            "dispatch",
            "acknowledge",
            "register",
            "screen",
            "propose",
            "instruct",
            "handle",
            "circulate",
            "remind",
            "complete",
        ];
        StepKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| crate::UnknownName {
                what: "step kind",
                text: s.chars().take(80).collect(),
                expected: &NAMES,
            })
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step's name in its flow file, unique within the flow (`review`, `office_review`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, type = "string"))]
#[serde(transparent)]
pub struct StepId(String);

impl StepId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for StepId {
    fn from(id: &str) -> StepId {
        StepId(id.to_string())
    }
}

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One step of a validated flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub id: StepId,
    pub kind: StepKind,
    /// What the unit calls it (`部门核稿`); the kind's label when the file names none.
    pub name: String,
    /// Who may take it; never empty.
    pub roles: Vec<Role>,
    /// Taken by several participants side by side.
    pub parallel: bool,
    /// May be taken again before the document moves on (one 核稿 per level).
    pub repeat: bool,
    /// Where the document may go next; empty at the end of the flow. More than one is a
    /// choice made by whoever finishes this step.
    pub next: Vec<StepId>,
    /// Earlier steps this one may send the document back to, with a reason.
    pub returns_to: Vec<StepId>,
    /// For a `remind` step only: the steps during which a reminder may be sent.
    pub during: Vec<StepId>,
}

/// A unit's 发文 or 收文 flow, checked: every rule in [`FlowProblem`] holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flow {
    pub kind: FlowKind,
    /// In file order; the first is where every document starts.
    pub steps: Vec<Step>,
}

/// The 发文 flow of the 条例 (第二十～二十二、二十五条), used when a unit has none of its own.
pub const DEFAULT_OUTGOING: &str = include_str!("../../../assets/flows/outgoing.toml");
/// The 收文 flow of the 条例 (第二十四条), used when a unit has none of its own.
pub const DEFAULT_INCOMING: &str = include_str!("../../../assets/flows/incoming.toml");

impl Flow {
    /// The default flow of each kind, as shipped in `assets/flows/`.
    pub fn default_for(kind: FlowKind) -> Flow {
        let source = match kind {
            FlowKind::Outgoing => DEFAULT_OUTGOING,
            FlowKind::Incoming => DEFAULT_INCOMING,
        };
        // The shipped files are checked by this crate's tests; a failure here is a
        // build that shipped a broken asset, not bad input.
        Flow::parse(source).expect("the shipped default flow is valid")
    }

    /// Reads and checks a flow file. The first problem found is returned, with the line
    /// it is on when it has one.
    pub fn parse(source: &str) -> Result<Flow, FlowError> {
        let raw: RawFlow = toml::from_str(source).map_err(|e| FlowError::syntax(source, &e))?;
        check(source, raw)
    }

    pub fn step(&self, id: &StepId) -> Option<&Step> {
        self.steps.iter().find(|s| &s.id == id)
    }

    /// Where every document of this flow starts.
    pub fn first(&self) -> &Step {
        // `check` refuses a flow without steps.
        &self.steps[0]
    }

    /// The steps of a kind, in file order (a flow may have several 核稿 levels).
    pub fn steps_of(&self, kind: StepKind) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(move |s| s.kind == kind)
    }

    /// SHA-256 (hex) of the checked flow, not of its file: comments, spacing, key order
    /// and what a step leaves to its default (its name, its `next`) do not change it,
    /// so rewriting a file without changing a step keeps every handling on it. A
    /// handling records it when it starts (`Handling::flow_digest`) and follows that
    /// version to its end.
    pub fn digest(&self) -> String {
        crate::digest::json_sha256(self)
    }
}

/// What is wrong with a flow file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{problem}", .line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct FlowError {
    /// 1-based line of the step or reference at fault, when there is one.
    pub line: Option<usize>,
    pub problem: FlowProblem,
}

impl FlowError {
    /// For an admin reading the refusal in Chinese.
    pub fn message_zh(&self) -> String {
        let at = self.line.map(|l| format!("第{l}行：")).unwrap_or_default();
        format!("{at}{}", self.problem.message_zh())
    }

    fn syntax(source: &str, e: &toml::de::Error) -> FlowError {
        FlowError {
            line: e.span().map(|s| line_of(source, s.start)),
            problem: FlowProblem::Syntax(e.message().trim().to_string()),
        }
    }
}

/// The rules a flow file must keep. English in `Display` (logs, CLI), Chinese in
/// [`FlowProblem::message_zh`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowProblem {
    /// Not TOML, a misspelt key, an unknown role or step kind, a value of the wrong type.
    #[error("{0}")]
    Syntax(String),
    #[error("the flow has no steps")]
    NoSteps,
    #[error("step id `{0}` must be 1–32 characters of a-z, 0-9 and _")]
    BadId(String),
    #[error("two steps are called `{0}`")]
    DuplicateId(StepId),
    #[error("step `{step}` is a {kind} step, which belongs to the {wanted} flow, not this one")]
    WrongFlow {
        step: StepId,
        kind: StepKind,
        wanted: &'static str,
    },
    #[error("step `{step}` names no role that may take it")]
    NoRoles { step: StepId },
    #[error("step `{step}` refers to `{to}`, which is not a step of this flow")]
    UnknownStep { step: StepId, to: StepId },
    #[error("the first step must be {wanted}, not `{step}`")]
    FirstStep { step: StepId, wanted: StepKind },
    #[error("step `{step}` cannot be reached from the first step")]
    Unreachable { step: StepId },
    #[error("the steps {} go round in a cycle", .0.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(" → "))]
    Cycle(Vec<StepId>),
    #[error("step `{step}` may return only to a step before it, and `{to}` is not")]
    ReturnNotEarlier { step: StepId, to: StepId },
    #[error("step `{step}` cannot be parallel: only countersign, handle and circulate can")]
    NotParallel { step: StepId },
    #[error("step `{step}` ends the flow, but a {kind} flow ends with {wanted}")]
    BadEnd {
        step: StepId,
        kind: &'static str,
        wanted: StepKind,
    },
    #[error("the flow has no {0} step")]
    Missing(StepKind),
    #[error("step `{step}` can be reached without passing sign_off first")]
    BeforeSignOff { step: StepId },
    #[error("a remind step names the steps `during` which it may be sent, and nothing else")]
    RemindShape { step: StepId },
    #[error("`during` belongs to remind steps only, not to `{step}`")]
    DuringOutsideRemind { step: StepId },
}

impl FlowProblem {
    pub fn message_zh(&self) -> String {
        match self {
            FlowProblem::Syntax(m) => format!("流程文件格式错误：{m}"),
            FlowProblem::NoSteps => "流程中没有任何环节。".into(),
            FlowProblem::BadId(id) => {
                format!("环节标识“{id}”无效：只能用小写字母、数字和下划线，最长32个字符。")
            }
            FlowProblem::DuplicateId(id) => format!("有两个环节都叫“{id}”。"),
            FlowProblem::WrongFlow { step, kind, .. } => format!(
                "环节“{step}”是{}环节，属于{}流程，不能用在这里。",
                kind.label(),
                kind.flow().label()
            ),
            FlowProblem::NoRoles { step } => format!("环节“{step}”没有指定可以办理的角色。"),
            FlowProblem::UnknownStep { step, to } => {
                format!("环节“{step}”引用的“{to}”不是本流程的环节。")
            }
            FlowProblem::FirstStep { step, wanted } => {
                format!("第一个环节应当是{}，而不是“{step}”。", wanted.label())
            }
            FlowProblem::Unreachable { step } => {
                format!("从第一个环节无法到达环节“{step}”。")
            }
            FlowProblem::Cycle(steps) => format!(
                "环节{}构成循环；退回请用 returns_to。",
                steps
                    .iter()
                    .map(|s| format!("“{s}”"))
                    .collect::<Vec<_>>()
                    .join("→")
            ),
            FlowProblem::ReturnNotEarlier { step, to } => {
                format!("环节“{step}”只能退回到它之前的环节，“{to}”不在它之前。")
            }
            FlowProblem::NotParallel { step } => {
                format!("环节“{step}”不能并行办理：只有会签、承办和传阅可以并行。")
            }
            FlowProblem::BadEnd { step, wanted, .. } => format!(
                "流程在环节“{step}”结束，但本流程应当以{}结束。",
                wanted.label()
            ),
            FlowProblem::Missing(kind) => format!("流程中没有{}环节。", kind.label()),
            FlowProblem::BeforeSignOff { step } => {
                format!("环节“{step}”可以不经签发就到达；编号、用印和核发都必须在签发之后。")
            }
            FlowProblem::RemindShape { step } => format!(
                "催办环节“{step}”须用 during 指明可在哪些环节催办，且不能有 next 或 returns_to。"
            ),
            FlowProblem::DuringOutsideRemind { step } => {
                format!("只有催办环节可以写 during，环节“{step}”不可以。")
            }
        }
    }
}

// ---- the file as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    kind: FlowKind,
    #[serde(default)]
    step: Vec<toml::Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: toml::Spanned<String>,
    kind: StepKind,
    name: Option<String>,
    #[serde(default)]
    roles: Vec<Role>,
    #[serde(default)]
    parallel: bool,
    #[serde(default)]
    repeat: bool,
    next: Option<Vec<toml::Spanned<String>>>,
    #[serde(default)]
    returns_to: Vec<toml::Spanned<String>>,
    #[serde(default)]
    during: Vec<toml::Spanned<String>>,
}

fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}

fn valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check(source: &str, raw: RawFlow) -> Result<Flow, FlowError> {
    let at = |offset: usize, problem: FlowProblem| FlowError {
        line: Some(line_of(source, offset)),
        problem,
    };
    if raw.step.is_empty() {
        return Err(FlowError {
            line: None,
            problem: FlowProblem::NoSteps,
        });
    }

    // Ids first: every later rule names steps by them.
    let mut seen = HashSet::new();
    for s in &raw.step {
        let id = s.get_ref().id.get_ref();
        if !valid_id(id) {
            return Err(at(
                s.get_ref().id.span().start,
                FlowProblem::BadId(id.clone()),
            ));
        }
        if !seen.insert(id.clone()) {
            return Err(at(
                s.get_ref().id.span().start,
                FlowProblem::DuplicateId(StepId(id.clone())),
            ));
        }
    }

    let mut steps = Vec::with_capacity(raw.step.len());
    // The line each step starts on, for a problem found once all steps are read.
    let mut written_at: HashMap<StepId, usize> = HashMap::new();
    let mut non_remind: Vec<usize> = Vec::new();
    for (i, spanned) in raw.step.iter().enumerate() {
        let s = spanned.get_ref();
        let id = StepId(s.id.get_ref().clone());
        let here = spanned.span().start;
        written_at.insert(id.clone(), line_of(source, here));
        if s.kind.flow() != raw.kind {
            return Err(at(
                here,
                FlowProblem::WrongFlow {
                    step: id,
                    kind: s.kind,
                    wanted: s.kind.flow().label(),
                },
            ));
        }
        if s.roles.is_empty() {
            return Err(at(here, FlowProblem::NoRoles { step: id }));
        }
        if s.parallel && !s.kind.may_run_in_parallel() {
            return Err(at(here, FlowProblem::NotParallel { step: id }));
        }
        let refs = |list: &[toml::Spanned<String>]| -> Result<Vec<StepId>, FlowError> {
            list.iter()
                .map(|r| {
                    let to = StepId(r.get_ref().clone());
                    if seen.contains(r.get_ref()) {
                        Ok(to)
                    } else {
                        Err(at(
                            r.span().start,
                            FlowProblem::UnknownStep {
                                step: id.clone(),
                                to,
                            },
                        ))
                    }
                })
                .collect()
        };
        let during = refs(&s.during)?;
        let returns_to = refs(&s.returns_to)?;
        let next = match &s.next {
            Some(list) => refs(list)?,
            None => Vec::new(),
        };
        if s.kind == StepKind::Remind {
            if during.is_empty() || s.next.is_some() || !returns_to.is_empty() {
                return Err(at(here, FlowProblem::RemindShape { step: id }));
            }
        } else {
            if !during.is_empty() {
                return Err(at(here, FlowProblem::DuringOutsideRemind { step: id }));
            }
            non_remind.push(i);
        }
        steps.push(Step {
            id,
            kind: s.kind,
            name: s
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| s.kind.label().to_string()),
            roles: s.roles.clone(),
            parallel: s.parallel,
            repeat: s.repeat,
            next,
            returns_to,
            during,
        });
    }

    // A step that names no `next` goes on to the next step in the file (reminders are
    // not stages, so they are skipped); the last one ends the flow.
    for (pos, &i) in non_remind.iter().enumerate() {
        if raw.step[i].get_ref().next.is_none() {
            if let Some(&following) = non_remind.get(pos + 1) {
                steps[i].next = vec![steps[following].id.clone()];
            }
        }
    }

    let flow = Flow {
        kind: raw.kind,
        steps,
    };
    check_graph(&flow, &written_at)?;
    Ok(flow)
}

/// The rules about order: where the flow starts and ends, that every step is reached,
/// that `next` never goes round, that returns go back, and that nothing after 签发 can
/// be reached without it.
fn check_graph(flow: &Flow, written_at: &HashMap<StepId, usize>) -> Result<(), FlowError> {
    let at = |id: &StepId, problem: FlowProblem| FlowError {
        line: written_at.get(id).copied(),
        problem,
    };
    let first = flow.first();
    let (start, end) = match flow.kind {
        FlowKind::Outgoing => (StepKind::Draft, StepKind::Dispatch),
        FlowKind::Incoming => (StepKind::Acknowledge, StepKind::Complete),
    };
    if first.kind != start {
        return Err(at(
            &first.id,
            FlowProblem::FirstStep {
                step: first.id.clone(),
                wanted: start,
            },
        ));
    }
    let next_of: HashMap<&StepId, &[StepId]> = flow
        .steps
        .iter()
        .map(|s| (&s.id, s.next.as_slice()))
        .collect();

    if let Some(cycle) = find_cycle(flow, &next_of) {
        let first_in_cycle = cycle[0].clone();
        return Err(at(&first_in_cycle, FlowProblem::Cycle(cycle)));
    }
    let reached = reachable(&first.id, &next_of, None);
    for s in flow.steps.iter().filter(|s| s.kind != StepKind::Remind) {
        if !reached.contains(&s.id) {
            return Err(at(&s.id, FlowProblem::Unreachable { step: s.id.clone() }));
        }
        if s.next.is_empty() && s.kind != end {
            return Err(at(
                &s.id,
                FlowProblem::BadEnd {
                    step: s.id.clone(),
                    kind: flow.kind.label(),
                    wanted: end,
                },
            ));
        }
        for to in &s.returns_to {
            // Earlier: the document can have passed `to` on its way here.
            if to == &s.id || !reachable(to, &next_of, None).contains(&s.id) {
                return Err(at(
                    &s.id,
                    FlowProblem::ReturnNotEarlier {
                        step: s.id.clone(),
                        to: to.clone(),
                    },
                ));
            }
        }
    }
    if flow.steps_of(end).next().is_none() {
        return Err(FlowError {
            line: None,
            problem: FlowProblem::Missing(end),
        });
    }

    if flow.kind == FlowKind::Outgoing {
        if flow.steps_of(StepKind::SignOff).next().is_none() {
            return Err(FlowError {
                line: None,
                problem: FlowProblem::Missing(StepKind::SignOff),
            });
        }
        // With every 签发 taken out, the first step must no longer reach 编号, 用印 or
        // 核发: the number's 序号 is given only after 签发, and nothing unsigned goes out.
        let sign_offs: HashSet<&StepId> = flow.steps_of(StepKind::SignOff).map(|s| &s.id).collect();
        let unsigned = reachable(&first.id, &next_of, Some(&sign_offs));
        for s in &flow.steps {
            let gated = matches!(
                s.kind,
                StepKind::AssignNumber | StepKind::Seal | StepKind::Dispatch
            );
            if gated && unsigned.contains(&s.id) {
                return Err(at(&s.id, FlowProblem::BeforeSignOff { step: s.id.clone() }));
            }
        }
    }
    Ok(())
}

/// Steps reachable from `from` along `next` (including `from`), never entering `avoid`.
fn reachable<'a>(
    from: &'a StepId,
    next_of: &HashMap<&'a StepId, &'a [StepId]>,
    avoid: Option<&HashSet<&StepId>>,
) -> HashSet<&'a StepId> {
    let mut seen = HashSet::new();
    let mut todo = vec![from];
    while let Some(id) = todo.pop() {
        if avoid.is_some_and(|a| a.contains(id)) || !seen.insert(id) {
            continue;
        }
        todo.extend(next_of.get(id).copied().unwrap_or_default());
    }
    seen
}

/// The first cycle along `next`, as the steps on it in order, if there is one.
fn find_cycle(flow: &Flow, next_of: &HashMap<&StepId, &[StepId]>) -> Option<Vec<StepId>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit<'a>(
        id: &'a StepId,
        next_of: &HashMap<&'a StepId, &'a [StepId]>,
        marks: &mut HashMap<&'a StepId, Mark>,
        path: &mut Vec<&'a StepId>,
    ) -> Option<Vec<StepId>> {
        match marks.get(id) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = path.iter().position(|p| *p == id).unwrap_or(0);
                return Some(path[from..].iter().map(|s| (*s).clone()).collect());
            }
            None => {}
        }
        marks.insert(id, Mark::Open);
        path.push(id);
        for to in next_of.get(id).copied().unwrap_or_default() {
            if let Some(cycle) = visit(to, next_of, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(id, Mark::Done);
        None
    }
    let mut marks = HashMap::new();
    for s in &flow.steps {
        let mut path = Vec::new();
        if let Some(cycle) = visit(&s.id, next_of, &mut marks, &mut path) {
            return Some(cycle);
        }
    }
    None
}
