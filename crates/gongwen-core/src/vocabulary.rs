//! Value/label pairs for every closed vocabulary, for dropdowns in the UI.

use serde::Serialize;

use crate::flow::StepKind;
use crate::handling::BranchStatus;
use crate::revision::VersionReason;
use crate::wire::{CommandBody, Connection, DeliveryStatus, RecipientRole, Role};
use crate::{Classification, Direction, DocKind, DocStatus, Element, Urgency};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Choice<T> {
    pub value: T,
    pub label: String,
}

/// Every label the UI shows for an enum value, from the one place that defines them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Vocabulary {
    pub kinds: Vec<Choice<DocKind>>,
    pub classifications: Vec<Choice<Classification>>,
    pub urgencies: Vec<Choice<Urgency>>,
    pub directions: Vec<Choice<Direction>>,
    pub statuses: Vec<Choice<DocStatus>>,
    pub elements: Vec<Choice<Element>>,
    /// 已送达 / 已签收 / 已退回.
    pub delivery_statuses: Vec<Choice<DeliveryStatus>>,
    /// 主送 / 抄送.
    pub recipient_roles: Vec<Choice<RecipientRole>>,
    /// The connection to the exchange (连接中, 已连接 …).
    pub connections: Vec<Choice<Connection>>,
    /// Command types by their name (`dispatch` → 分发).
    pub commands: Vec<Choice<String>>,
    /// Steps of the 发文 and 收文 flows (核稿, 签发 …).
    pub step_kinds: Vec<Choice<StepKind>>,
    /// Where a participant of a 会签/承办/传阅 stands (在办, 正常办结 …).
    pub branch_statuses: Vec<Choice<BranchStatus>>,
    /// 文书, 办公室主任, 领导 …
    pub roles: Vec<Choice<Role>>,
    /// Why a numbered version was made (保存, 完成编辑, 恢复旧版 …).
    pub version_reasons: Vec<Choice<VersionReason>>,
}

fn choices<T: Copy>(all: &[T], label: impl Fn(T) -> &'static str) -> Vec<Choice<T>> {
    all.iter()
        .map(|&value| Choice {
            value,
            label: label(value).to_string(),
        })
        .collect()
}

pub fn vocabulary() -> Vocabulary {
    Vocabulary {
        kinds: choices(&DocKind::ALL, DocKind::label),
        classifications: choices(&Classification::ALL, Classification::label),
        urgencies: choices(&Urgency::ALL, Urgency::label),
        directions: choices(&Direction::ALL, Direction::label),
        statuses: choices(&DocStatus::ALL, DocStatus::label),
        elements: choices(&Element::ALL, Element::label),
        delivery_statuses: choices(&DeliveryStatus::ALL, DeliveryStatus::label),
        recipient_roles: choices(&RecipientRole::ALL, RecipientRole::label),
        connections: choices(&Connection::ALL, Connection::label),
        commands: CommandBody::KINDS
            .iter()
            .map(|(value, label)| Choice {
                value: value.to_string(),
                label: label.to_string(),
            })
            .collect(),
        step_kinds: choices(&StepKind::ALL, StepKind::label),
        branch_statuses: choices(&BranchStatus::ALL, BranchStatus::label),
        roles: choices(&Role::ALL, Role::label),
        version_reasons: choices(&VersionReason::ALL, VersionReason::label),
    }
}
