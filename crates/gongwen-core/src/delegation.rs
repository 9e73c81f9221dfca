//! 代办: a leader lets a named person of the same unit take some of their steps (or all
//! of them) for a period, e.g. while away. The delegate acts in the leader's name: the
//! trail records the leader as the one the step was taken for and the delegate as who
//! took it (`李华（由王强代）`), and the audit says so. The server decides a delegation
//! like any command and keeps it; revoking one ends it at once.

use serde::{Deserialize, Serialize};

use crate::flow::StepKind;
use crate::wire::{RejectCode, Rejection, UnitCode};
use crate::workflow::{reject, Actor, Context};

/// One delegation, as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Delegation {
    pub id: uuid::Uuid,
    pub unit: UnitCode,
    /// Username of the leader whose steps are delegated.
    pub leader: String,
    /// Username of who may take them.
    pub delegate: String,
    /// The steps delegated; empty: every step the leader may take.
    #[serde(default)]
    pub steps: Vec<StepKind>,
    /// First and last day (YYYY-MM-DD, Beijing time), both included.
    pub from: String,
    pub until: String,
    /// RFC 3339, UTC, as the server decided.
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub revoked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub revoked_by: Option<String>,
}

/// The day (YYYY-MM-DD) an RFC 3339 UTC instant falls on in Beijing time (UTC+8, no
/// daylight saving): a period "until 12月9日" ends at midnight in 宿州, not at 08:00.
pub fn beijing_day(now: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(now).ok()?;
    let offset = chrono::FixedOffset::east_opt(8 * 3600)?;
    Some(t.with_timezone(&offset).format("%Y-%m-%d").to_string())
}

impl Delegation {
    /// Whether it lets its delegate take a step of this kind at `now`.
    pub fn covers(&self, kind: StepKind, now: &str) -> bool {
        self.revoked_at.is_none()
            && (self.steps.is_empty() || self.steps.contains(&kind))
            && self.in_period(now)
    }

    /// Whether `now` falls in the period (the revocation aside).
    pub fn in_period(&self, now: &str) -> bool {
        beijing_day(now).is_some_and(|d| self.from <= d && d <= self.until)
    }

    /// `签发、批办` or `全部环节`.
    pub fn steps_label(&self) -> String {
        if self.steps.is_empty() {
            return "全部环节".into();
        }
        self.steps
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join("、")
    }
}

fn date(text: &str, what: &str) -> Result<String, Rejection> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| {
            reject(
                RejectCode::Invalid,
                format!("代办{what}“{text}”无效，应写作 2026-12-31"),
                format!("delegation {what:?} date {text:?} is not YYYY-MM-DD"),
            )
        })
}

/// Decides a `delegate` command: the actor delegates their steps to a person of their
/// own unit. Only a leader delegates (a leader's steps are what stalls when they are
/// away); the delegate must be another active user of the unit.
#[allow(clippy::too_many_arguments)]
pub fn decide_delegate(
    actor: &Actor,
    id: uuid::Uuid,
    to: &str,
    steps: &[StepKind],
    from: &str,
    until: &str,
    ctx: &dyn Context,
    now: &str,
) -> Result<Delegation, Rejection> {
    if actor.role != crate::wire::Role::Leader {
        return Err(reject(
            RejectCode::Forbidden,
            "只有领导可以委托他人代办",
            "only a leader may delegate steps",
        ));
    }
    let (from, until) = (date(from, "起始日期")?, date(until, "截止日期")?);
    if until < from {
        return Err(reject(
            RejectCode::Invalid,
            format!("代办截止日期 {until} 早于起始日期 {from}"),
            format!("delegation ends ({until}) before it starts ({from})"),
        ));
    }
    if to == actor.username {
        return Err(reject(
            RejectCode::Invalid,
            "不能委托本人代办",
            "a leader cannot delegate to themselves",
        ));
    }
    match ctx.user(to) {
        Some((unit, _, _)) if unit == actor.unit => {}
        _ => {
            return Err(reject(
                RejectCode::Invalid,
                format!("本单位没有用户“{to}”，不能委托其代办"),
                format!("{to} is not an active user of unit {}", actor.unit),
            ))
        }
    }
    let mut steps = steps.to_vec();
    steps.dedup();
    Ok(Delegation {
        id,
        unit: actor.unit.clone(),
        leader: actor.username.clone(),
        delegate: to.to_string(),
        steps,
        from,
        until,
        created_at: now.to_string(),
        revoked_at: None,
        revoked_by: None,
    })
}

/// Decides a `revoke_delegation` command: the leader who gave it (or the delegate, who
/// may decline it) ends it now.
pub fn decide_revoke(
    actor: &Actor,
    existing: Option<&Delegation>,
    now: &str,
) -> Result<Delegation, Rejection> {
    let Some(d) = existing.filter(|d| d.unit == actor.unit) else {
        return Err(reject(
            RejectCode::NotFound,
            "没有这项代办委托",
            "no such delegation in the actor's unit",
        ));
    };
    if actor.username != d.leader && actor.username != d.delegate {
        return Err(reject(
            RejectCode::Forbidden,
            format!(
                "只有委托人{}或代办人{}可以撤销这项委托",
                d.leader, d.delegate
            ),
            "only the leader or the delegate may revoke a delegation",
        ));
    }
    if let Some(at) = &d.revoked_at {
        return Err(reject(
            RejectCode::InvalidState,
            format!("这项委托已于{}撤销", crate::date::beijing_time(at)),
            "the delegation was revoked already",
        ));
    }
    let mut d = d.clone();
    d.revoked_at = Some(now.to_string());
    d.revoked_by = Some(actor.username.clone());
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delegation(steps: Vec<StepKind>) -> Delegation {
        Delegation {
            id: uuid::Uuid::nil(),
            unit: UnitCode("sz-fgw".into()),
            leader: "fgw-leader".into(),
            delegate: "fgw-director".into(),
            steps,
            from: "2026-12-07".into(),
            until: "2026-12-09".into(),
            created_at: "2026-12-06T00:00:00Z".into(),
            revoked_at: None,
            revoked_by: None,
        }
    }

    #[test]
    fn the_period_is_counted_in_beijing_days() {
        let d = delegation(vec![StepKind::SignOff]);
        // 2026-12-06 16:00 UTC is 2026-12-07 00:00 in 宿州: the first day.
        assert!(!d.covers(StepKind::SignOff, "2026-12-06T15:59:59Z"));
        assert!(d.covers(StepKind::SignOff, "2026-12-06T16:00:00Z"));
        assert!(d.covers(StepKind::SignOff, "2026-12-09T15:59:59Z"));
        assert!(!d.covers(StepKind::SignOff, "2026-12-09T16:00:00Z"));
        assert!(!d.covers(StepKind::Instruct, "2026-12-08T08:00:00Z"));
        assert!(delegation(vec![]).covers(StepKind::Instruct, "2026-12-08T08:00:00Z"));
        let mut revoked = d.clone();
        revoked.revoked_at = Some("2026-12-07T01:00:00Z".into());
        assert!(!revoked.covers(StepKind::SignOff, "2026-12-08T08:00:00Z"));
    }
}
