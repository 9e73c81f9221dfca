//! Each unit's handling of a document (its 发文 or 收文 flow), as the server last sent
//! it, and the boxes built from them: 待办 (waiting for me), 在办 (I acted, not yet
//! finished), 办结 (finished, I took part) and 阅件 (a 收文 for reading only, passed to
//! me to read).

use gongwen_core::flow::{Flow, FlowKind, StepKind};
use gongwen_core::handling::{BranchStatus, Handling, Participant};
use gongwen_core::wire::UnitCode;
use gongwen_core::DocumentId;
use serde::{Deserialize, Serialize};

use super::from_json;
use crate::model::DocumentSummary;
use crate::store::{summary_from_row, SUMMARY_COLUMNS};
use crate::{Store, StoreError};

/// The four boxes of a user's desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum HandlingBox {
    /// 待办: a step the logged-in user may take now.
    Todo,
    /// 在办: they acted on it, and its handling is not finished.
    InProgress,
    /// 办结: finished, and they took part.
    Done,
    /// 阅件: a 收文 for reading only (`Handling::is_reading_item`) passed round to
    /// them (传阅), read or not. A 办件 at 传阅 is in 待办 and 在办 instead.
    Reading,
}

/// A line of a box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BoxItem {
    pub summary: DocumentSummary,
    /// The unit whose flow it is.
    pub unit: String,
    pub step_kind: StepKind,
    /// `待签发`, `会签（1/3在办）`, `已办结`.
    pub status: String,
    /// 限办日期 (YYYY-MM-DD).
    pub deadline: Option<String>,
}

/// Why an item of the user's 待办 is to be told of (a desktop notification, the tray's
/// count). The most pressing one counts when several apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    /// 特急, with no 限办日期 near.
    Immediate,
    /// Due today or on the next working day (限办日期 within one working day).
    DueSoon,
    /// Past its 限办日期.
    Overdue,
}

impl DueState {
    /// The words a notification's title begins with, in 【】.
    pub fn label(self) -> &'static str {
        match self {
            DueState::Immediate => "特急",
            DueState::DueSoon => "即将到期",
            DueState::Overdue => "已超期",
        }
    }
}

/// An item of the user's 待办 that is pressing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueItem {
    pub item: BoxItem,
    pub state: DueState,
    /// Working days to the 限办日期 (0: today, negative: late), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_days_left: Option<i64>,
}

/// The day it is in Beijing now: 限办日期 are Beijing dates.
pub fn beijing_today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

impl Store {
    /// The items of the logged-in user's 待办 to be told of on `today` (a Beijing
    /// date): 特急 ones, and those overdue or due within one working day (counted with
    /// the shipped holiday calendar). Read from the same query as the 待办 box, so the
    /// tray's count and the box never disagree; in the box's order.
    pub fn due_items(&self, today: chrono::NaiveDate) -> Result<Vec<DueItem>, StoreError> {
        static CALENDAR: std::sync::OnceLock<gongwen_core::calendar::WorkCalendar> =
            std::sync::OnceLock::new();
        let calendar = CALENDAR.get_or_init(gongwen_core::calendar::WorkCalendar::shipped);
        let mut out = Vec::new();
        for item in self.handling_box(HandlingBox::Todo)? {
            let left = item
                .deadline
                .as_deref()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .map(|due| calendar.working_days_until(today, due));
            let state = match left {
                Some(n) if n < 0 => Some(DueState::Overdue),
                Some(n) if n <= 1 => Some(DueState::DueSoon),
                _ if item.summary.urgency == gongwen_core::Urgency::Immediate => {
                    Some(DueState::Immediate)
                }
                _ => None,
            };
            if let Some(state) = state {
                out.push(DueItem {
                    item,
                    state,
                    working_days_left: left,
                });
            }
        }
        Ok(out)
    }

    /// Every unit's handling of a document that this store has (its own unit's 发文 or
    /// 收文, and a 会签 it takes part in), for the 办理单.
    pub fn handlings(&self, document_id: DocumentId) -> Result<Vec<Handling>, StoreError> {
        if !self.is_visible(document_id)? {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT content FROM handlings WHERE document_id = ?1 ORDER BY unit")?;
        let rows = stmt.query_map([document_id.to_string()], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(from_json(&row?)?);
        }
        Ok(out)
    }

    /// A box of the logged-in user, most urgent first, then by 限办日期 (soonest
    /// first, none last). Empty when nobody is logged in. Which steps a role may take
    /// is read from each unit's flow as the synced directory gives it (its own flow,
    /// set by the exchange's admin, or the 条例's default); the server decides anyway.
    pub fn handling_box(&self, which: HandlingBox) -> Result<Vec<BoxItem>, StoreError> {
        let Some(account) = self.signed_in()? else {
            return Ok(Vec::new());
        };
        let user = &account.user;
        // Each unit's flow as the synced directory has it (its own, or the 条例's),
        // read once: a step a role may take is a step of the handling unit's flow.
        let directory = self.directory()?;
        let defaults = [
            Flow::default_for(FlowKind::Outgoing),
            Flow::default_for(FlowKind::Incoming),
        ];
        let own: std::collections::HashMap<(UnitCode, FlowKind), Flow> = directory
            .flows
            .iter()
            .map(|f| ((f.unit.clone(), f.kind), directory.flow(&f.unit, f.kind)))
            .collect();
        let flow_of = |unit: &UnitCode, kind: FlowKind| -> &Flow {
            own.get(&(unit.clone(), kind))
                .unwrap_or(&defaults[usize::from(kind == FlowKind::Incoming)])
        };
        // Earlier versions that handlings in progress still follow (the admin changed a
        // flow while they were mid-way), by digest; usually none.
        let versions: std::collections::HashMap<&str, Flow> = directory
            .flow_versions
            .iter()
            .filter_map(|v| {
                let flow = Flow::parse(&v.source).ok()?;
                (flow.kind == v.kind && flow.digest() == v.digest)
                    .then_some((v.digest.as_str(), flow))
            })
            .collect();
        let handling_flow = |h: &Handling| -> &Flow {
            h.flow_digest
                .as_deref()
                .and_then(|d| versions.get(d))
                .filter(|f| f.kind == h.flow)
                .unwrap_or_else(|| flow_of(&h.unit, h.flow))
        };
        let mine = [
            flow_of(&user.unit, FlowKind::Outgoing),
            flow_of(&user.unit, FlowKind::Incoming),
        ];
        let columns: String = SUMMARY_COLUMNS
            .split(", ")
            .map(|c| format!("d.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let visible = crate::access::visible("d.classification", self.clearance()?);
        // 待办 is chosen in SQL by the steps the user's role may take, so only those
        // rows are read; a parallel step's rows are then read whole for their branches.
        // The other boxes need the trail (who took part) and read every row.
        let quote = |flow: FlowKind, step: &str| format!("'{}:{}'", flow.as_str(), step);
        let mut sequential = Vec::new();
        let mut parallel = Vec::new();
        // Sequential steps are taken at the user's own unit, by its flows; a parallel
        // step (会签, 传阅) may be another unit's, by that unit's flow.
        // An earlier version's steps are candidates too; which version a row follows is
        // known only from the handling itself, read below.
        for flow in mine.into_iter().chain(versions.values()) {
            for s in flow.steps.iter().filter(|s| s.roles.contains(&user.role)) {
                let key = quote(flow.kind, s.id.as_str());
                if !s.parallel && !sequential.contains(&key) {
                    sequential.push(key);
                }
            }
        }
        for flow in own.values().chain(&defaults).chain(versions.values()) {
            for s in flow
                .steps
                .iter()
                .filter(|s| s.parallel && s.roles.contains(&user.role))
            {
                let key = quote(flow.kind, s.id.as_str());
                if !parallel.contains(&key) {
                    parallel.push(key);
                }
            }
        }
        let list = |keys: &[String]| {
            if keys.is_empty() {
                "''".to_string()
            } else {
                keys.join(", ")
            }
        };
        let condition = match which {
            HandlingBox::Todo => format!(
                "h.finished = 0 AND ((h.unit = ?1 AND h.flow || ':' || h.step IN ({})) \
                 OR h.flow || ':' || h.step IN ({}))",
                list(&sequential),
                list(&parallel)
            ),
            HandlingBox::InProgress => "h.finished = 0 AND ?1 = ?1".into(),
            HandlingBox::Done => "h.finished = 1 AND ?1 = ?1".into(),
            HandlingBox::Reading => "?1 = ?1".into(),
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {columns}, h.unit, h.flow, h.step, h.step_kind, h.deadline, h.content
             FROM handlings h JOIN documents d ON d.id = h.document_id
             WHERE {condition} AND {visible}"
        ))?;
        let mut rows = stmt.query([&user.unit.0])?;
        let base = SUMMARY_COLUMNS.split(", ").count();
        let parallel_steps: Vec<String> = parallel
            .iter()
            .map(|k| k.trim_matches('\'').to_string())
            .collect();
        let mut items = Vec::new();
        while let Some(r) = rows.next()? {
            let summary = summary_from_row(r)?;
            let unit: String = r.get(base)?;
            let flow: String = r.get(base + 1)?;
            let step: String = r.get(base + 2)?;
            let step_kind: String = r.get(base + 3)?;
            let deadline: Option<String> = r.get(base + 4)?;
            let is_parallel = parallel_steps.contains(&format!("{flow}:{step}"));
            if which == HandlingBox::Todo && !is_parallel && versions.is_empty() {
                // A sequential step of the user's role at their unit: no need to read
                // the handling itself.
                let kind: StepKind = crate::store::enum_parse(&step_kind)?;
                items.push(BoxItem {
                    summary,
                    unit,
                    step_kind: kind,
                    status: format!("待{}", kind.label()),
                    deadline,
                });
                continue;
            }
            let text: String = r.get(base + 5)?;
            let h: Handling = from_json(&text)?;
            let me = |p: &Participant| p.is(&user.username, &user.unit);
            let took_part = h.trail.iter().any(|e| e.by == user.username);
            let may_take = || {
                handling_flow(&h)
                    .step(&h.step)
                    .is_some_and(|s| s.roles.contains(&user.role))
            };
            let open_for_me = h
                .branches
                .iter()
                .any(|b| b.status == BranchStatus::Open && me(&b.participant));
            let todo = !h.finished
                && if h.branches.is_empty() {
                    h.unit == user.unit && may_take()
                } else {
                    open_for_me && may_take()
                };
            let keep = match which {
                HandlingBox::Todo => todo,
                HandlingBox::InProgress => !todo && took_part,
                HandlingBox::Done => took_part,
                // 阅件 are documents for reading only (条例; standards.md): a 办件 at 传阅
                // stays in the 办件 boxes (待办, 在办, 办结), not here.
                HandlingBox::Reading => {
                    h.is_reading_item()
                        && (h.step_kind == StepKind::Circulate
                            && h.branches.iter().any(|b| me(&b.participant))
                            || h.trail
                                .iter()
                                .any(|e| e.kind == StepKind::Circulate && e.by == user.username))
                }
            };
            if keep {
                items.push(BoxItem {
                    summary,
                    unit: h.unit.0.clone(),
                    step_kind: h.step_kind,
                    status: h.status_label(),
                    deadline: h.deadline.clone(),
                });
            }
        }
        // 特急 before 加急 before 平急/none; then the nearest deadline.
        items.sort_by(|a, b| {
            b.summary.urgency.cmp(&a.summary.urgency).then_with(|| {
                match (&a.deadline, &b.deadline) {
                    (Some(x), Some(y)) => x.cmp(y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
            })
        });
        Ok(items)
    }
}
