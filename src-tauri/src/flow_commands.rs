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
    with_store(&state, "read a handling's flow", |s| {
        handling_steps_in(s, id, &unit)
    })?
    .ok_or_else(|| "这份公文没有该单位的办理记录".to_string())
}

/// [`handling_steps`] on a store: `None` when the store has no such handling the
/// logged-in user may see (`Store::handlings` answers only for a visible document).
fn handling_steps_in(
    s: &gongwen_store::Store,
    id: gongwen_core::DocumentId,
    unit: &str,
) -> Result<Option<Vec<StepInfo>>, gongwen_store::StoreError> {
    let Some(handling) = s.handlings(id)?.into_iter().find(|h| h.unit.0 == unit) else {
        return Ok(None);
    };
    Ok(Some(step_infos(s.directory()?.handling_flow(&handling))))
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

    /// A handling that started under 市发改委's earlier flow, which had a 分管领导核稿
    /// step: its steps are that flow's while the directory carries it, to a user who may
    /// see the document; nothing to a user below its 密级, or when logged out.
    #[test]
    fn a_handlings_steps_are_the_flow_it_started_with_and_only_for_who_may_see_it() {
        use gongwen_core::wire::{
            Change, ChangeEntry, ChangesPage, CommandId, Directory, FlowVersion, UnitFlow, UserInfo,
        };
        use gongwen_core::{Classification, DocKind, Document, DocumentId};
        use gongwen_store::{Account, Store};
        let default = gongwen_core::flow::DEFAULT_OUTGOING;
        let earlier_text = default
            .replace(
                "next = [\"countersign\", \"sign_off\"]",
                "next = [\"leader_review\"]\n\n[[step]]\nid = \"leader_review\"\nkind = \"review\"\nname = \"分管领导核稿\"\nroles = [\"leader\"]\nnext = [\"countersign\", \"sign_off\"]",
            );
        let earlier = Flow::parse(&earlier_text).expect("valid");
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let account = |clearance| {
            Account::new(
                "http://127.0.0.1:8470",
                UserInfo {
                    username: "fgw-leader".into(),
                    display_name: "王建国".into(),
                    unit: "sz-fgw".into(),
                    role: Role::Leader,
                    clearance,
                },
            )
        };
        let leader = account(Classification::Secret);
        store.set_account(Some(&leader)).unwrap();
        store
            .set_directory(&Directory {
                flows: vec![UnitFlow {
                    unit: "sz-fgw".into(),
                    kind: FlowKind::Outgoing,
                    source: default.to_string(),
                }],
                flow_versions: vec![FlowVersion {
                    digest: earlier.digest(),
                    kind: FlowKind::Outgoing,
                    source: earlier_text.clone(),
                }],
                ..Directory::default()
            })
            .unwrap();
        let mut doc = Document::new(DocKind::Notice);
        doc.title = "关于申请追加秸秆综合利用补助资金的请示".into();
        doc.classification = Classification::Secret;
        let id = DocumentId(uuid::Uuid::new_v4());
        let mut h = Handling::start(&earlier, "sz-fgw".into());
        h.step = "leader_review".into();
        h.step_kind = StepKind::Review;
        let page = ChangesPage {
            changes: vec![Change {
                seq: 1,
                command_id: CommandId(uuid::Uuid::new_v4()),
                entry: ChangeEntry::Handling {
                    document_id: id,
                    handling: Box::new(h),
                    content_hash: gongwen_core::workflow::content_hash(&doc),
                    document: Some(Box::new(doc)),
                },
            }],
            next_cursor: 1,
            has_more: false,
            ..ChangesPage::default()
        };
        store.apply_changes(&leader, &page).unwrap();

        let steps = handling_steps_in(&store, id, "sz-fgw")
            .unwrap()
            .expect("the leader's handling");
        let review = steps
            .iter()
            .find(|s| s.id == "leader_review")
            .expect("the earlier flow's step");
        assert_eq!(review.name, "分管领导核稿");
        // The unit's current flow, as flow_steps gives it, has no such step.
        let directory = store.directory().unwrap();
        assert!(
            step_infos(directory.flow(&"sz-fgw".into(), FlowKind::Outgoing))
                .iter()
                .all(|s| s.id != "leader_review")
        );
        // Another unit's handling of it: none here.
        assert_eq!(handling_steps_in(&store, id, "sz-tjj").unwrap(), None);

        // Cleared below the document's 机密: nothing about it.
        store
            .set_account(Some(&account(Classification::Confidential)))
            .unwrap();
        assert_eq!(handling_steps_in(&store, id, "sz-fgw").unwrap(), None);
        // Logged out: nothing either.
        store.sign_out().unwrap();
        assert_eq!(handling_steps_in(&store, id, "sz-fgw").unwrap(), None);
    }

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
