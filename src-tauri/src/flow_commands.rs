//! The steps of a document's 发文 or 收文 flow (送审, 核稿, 签发, 登记, 批办 …): each is
//! queued in the outbox like a 签收 and decided by the server; the window learns the
//! outcome from the handling the sync brings back. Also the boxes (待办, 在办, 办结,
//! 阅件). Nothing here decides workflow.

use gongwen_core::flow::{FlowKind, StepId, StepKind};
use gongwen_core::handling::{Handling, Publicity, StepAction};
use gongwen_store::{BoxItem, HandlingBox};
use serde::Serialize;
use tauri::State;

use crate::commands::{parse_id, with_store, Answer};
use crate::AppState;

/// A step of a flow as the window offers it: what it is called, who may take it, where
/// it may go next and back to. From the handling unit's flow as the synced directory
/// gives it (its own, set by the exchange's admin, or the 条例's); the server decides
/// anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StepInfo {
    pub id: String,
    pub kind: StepKind,
    pub name: String,
    pub roles: Vec<gongwen_core::wire::Role>,
    pub parallel: bool,
    pub next: Vec<String>,
    pub returns_to: Vec<String>,
}

/// The steps of `unit`'s flow of `kind`, for the 办理 panel's choices.
#[tauri::command]
pub fn flow_steps(
    state: State<'_, AppState>,
    unit: String,
    kind: FlowKind,
) -> Answer<Vec<StepInfo>> {
    let directory = with_store(&state, "read the directory", |s| s.directory())?;
    Ok(step_infos(directory.flow(&unit.as_str().into(), kind)))
}

/// The steps of the flow `unit`'s handling of document `id` follows: the version it
/// started with, which is no longer the unit's current flow when the exchange's admin
/// has changed it since (the server decides by that version). Refused, naming nothing
/// of it, for a handling this store does not have or the user may not see.
#[tauri::command]
pub fn handling_steps(
    state: State<'_, AppState>,
    id: String,
    unit: String,
) -> Answer<Vec<StepInfo>> {
    let id = parse_id(&id)?;
    let (directory, handling) = with_store(&state, "read a handling's flow", |s| {
        let handling = s.handlings(id)?.into_iter().find(|h| h.unit.0 == unit);
        Ok((s.directory()?, handling))
    })?;
    let handling = handling.ok_or_else(|| "这份公文没有该单位的办理记录".to_string())?;
    Ok(step_infos(directory.handling_flow(&handling)))
}

fn step_infos(flow: gongwen_core::flow::Flow) -> Vec<StepInfo> {
    flow.steps
        .into_iter()
        .map(|s| StepInfo {
            id: s.id.as_str().to_string(),
            kind: s.kind,
            name: s.name,
            roles: s.roles,
            parallel: s.parallel,
            next: s.next.iter().map(|n| n.as_str().to_string()).collect(),
            returns_to: s
                .returns_to
                .iter()
                .map(|n| n.as_str().to_string())
                .collect(),
        })
        .collect()
}

/// A unit's handling as the 办理 panel shows it: with each trail entry's time as the
/// printed 办理单 gives it (Beijing time, `gongwen_core::beijing_time`), so the panel
/// and the paper agree whatever the machine's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HandlingShown {
    #[serde(flatten)]
    pub handling: Handling,
    /// `2026年12月8日 01:05`, one for each entry of `trail`, in its order.
    pub trail_times: Vec<String>,
}

impl From<Handling> for HandlingShown {
    fn from(handling: Handling) -> Self {
        let trail_times = handling
            .trail
            .iter()
            .map(|e| gongwen_core::beijing_time(&e.at))
            .collect();
        HandlingShown {
            handling,
            trail_times,
        }
    }
}

/// Every unit's handling of a document this store has (empty for a local draft).
#[tauri::command]
pub fn handlings(state: State<'_, AppState>, id: String) -> Answer<Vec<HandlingShown>> {
    let id = parse_id(&id)?;
    let handlings = with_store(&state, "read a document's handlings", |s| s.handlings(id))?;
    Ok(handlings.into_iter().map(HandlingShown::from).collect())
}

/// A box of the logged-in user, most urgent first.
#[tauri::command]
pub fn handling_box(state: State<'_, AppState>, which: HandlingBox) -> Answer<Vec<BoxItem>> {
    with_store(&state, "read a box", |s| s.handling_box(which))
}

/// Queues a step. `step` is where the window showed the document (a step it has left
/// is refused by the server, naming who moved it); `with_document` sends the latest
/// saved version along (送审, and 核稿/复核 that changed the text).
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub fn take_step(
    state: State<'_, AppState>,
    id: String,
    step: String,
    action: StepAction,
    opinion: Option<String>,
    publicity: Option<Publicity>,
    deadline: Option<String>,
    with_document: bool,
) -> Answer<()> {
    let id = parse_id(&id)?;
    let opinion = opinion
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty());
    let label = action.label();
    let command = with_store(&state, "queue a step", |s| {
        s.queue_step(
            id,
            StepId::from(step.as_str()),
            action,
            opinion,
            publicity,
            deadline,
            with_document,
        )
    })?;
    tracing::info!(%id, %command, step, label, "step queued");
    crate::session::command_queued(&state);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongwen_core::flow::Flow;
    use gongwen_core::handling::TrailEntry;
    use gongwen_core::wire::Role;

    #[test]
    fn the_panel_gets_each_trail_time_in_beijing_time_beside_the_handling() {
        let flow = Flow::default_for(FlowKind::Outgoing);
        let mut h = Handling::start(&flow, "sz-fgw".into());
        h.trail.push(TrailEntry {
            step: "draft".into(),
            kind: StepKind::Draft,
            action: StepAction::Finish {
                next: None,
                participants: vec![],
            },
            by: "fgw-clerk".into(),
            role: Role::Clerk,
            unit: "sz-fgw".into(),
            // Late evening in UTC: already the next day in 宿州.
            at: "2026-12-07T17:05:00Z".into(),
            acted_by: None,
            opinion: None,
            result: None,
        });
        let json = serde_json::to_value(HandlingShown::from(h)).expect("json");
        assert_eq!(
            json["unit"], "sz-fgw",
            "the handling's fields stay at the top"
        );
        assert_eq!(json["trail"][0]["at"], "2026-12-07T17:05:00Z");
        assert_eq!(json["trail_times"][0], "2026年12月8日 01:05");
    }
}
