//! The 待办 box with many items: `cargo bench -p gongwen-store --bench boxes`.
//!
//! A leader's store receives N documents in handling (pages of 500 `handling` changes,
//! as the sync applies them), half of them waiting at 签发 for this leader's role, the
//! rest at other steps; then the 待办 box is opened (read, filtered by role and sorted by
//! urgency and deadline) 21 times. Target: ≤ 50 ms for 5,000 items. Prints a table and
//! writes JSON rows to `$GONGWEN_BENCH_OUT` (default `bench/boxes.json`).
//! `GONGWEN_BENCH_BOX_ITEMS` 10000 (twice the target's 5,000 in the box).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use gongwen_core::flow::{Flow, FlowKind};
use gongwen_core::handling::{Handling, StepAction, TrailEntry};
use gongwen_core::wire::{Change, ChangeEntry, ChangesPage, CommandId, Role, UnitCode, UserInfo};
use gongwen_core::{Classification, DocumentId};
use gongwen_store::{Account, HandlingBox, Store};

mod corpus;
use corpus::generate;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn leader() -> Account {
    Account::new(
        "http://127.0.0.1:1",
        UserInfo {
            username: "fgw-leader".into(),
            display_name: "李华".into(),
            unit: UnitCode::from("sz-fgw"),
            role: Role::Leader,
            clearance: Classification::Secret,
        },
    )
}

/// A handling of sz-fgw's 发文 flow standing at `step`, with a few lines of trail.
fn handling(flow: &Flow, step: &str, i: usize) -> Handling {
    let mut h = Handling::start(flow, UnitCode::from("sz-fgw"));
    let at = flow.step(&step.into()).expect("step of the default flow");
    for (by, s) in [("fgw-clerk", "draft"), ("fgw-director", "review")] {
        h.trail.push(TrailEntry {
            step: s.into(),
            kind: flow.step(&s.into()).expect("step").kind,
            action: StepAction::Finish {
                next: None,
                participants: vec![],
            },
            by: by.into(),
            role: Role::OfficeDirector,
            unit: UnitCode::from("sz-fgw"),
            at: "2026-12-01T08:00:00.000Z".into(),
            acted_by: None,
            opinion: Some(format!("第{i}件，核稿同意")),
            result: None,
        });
    }
    h.step = at.id.clone();
    h.step_kind = at.kind;
    h.arrived = h.trail.len();
    if i.is_multiple_of(7) {
        h.deadline = Some(format!("2026-12-{:02}", 10 + i % 18));
    }
    h
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = env_num("GONGWEN_BENCH_BOX_ITEMS", 10_000);
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    let account = leader();
    store.set_account(Some(&account))?;
    let flow = Flow::default_for(FlowKind::Outgoing);
    let mut rng = fastrand::Rng::with_seed(7);
    let mut seq = 0u64;
    let fill = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let changes = chunk
            .iter()
            .map(|&i| {
                seq += 1;
                let document = generate(&mut rng, i, 2000);
                let step = if i.is_multiple_of(2) {
                    "sign_off"
                } else {
                    "recheck"
                };
                Change {
                    seq,
                    command_id: CommandId(uuid::Uuid::new_v4()),
                    entry: ChangeEntry::Handling {
                        document_id: DocumentId(uuid::Uuid::new_v4()),
                        content_hash: gongwen_core::workflow::content_hash(&document),
                        handling: Box::new(handling(&flow, step, i)),
                        document: Some(Box::new(document)),
                    },
                }
            })
            .collect();
        let page = ChangesPage {
            changes,
            next_cursor: seq,
            has_more: false,
            ..ChangesPage::default()
        };
        store.apply_changes(&account, &page)?;
    }
    let fill_s = fill.elapsed().as_secs_f64();
    let mut items = 0;
    let mut times: Vec<Duration> = (0..21)
        .map(|_| {
            let t = Instant::now();
            let todo = store.handling_box(HandlingBox::Todo).expect("待办");
            items = todo.len();
            std::hint::black_box(todo);
            t.elapsed()
        })
        .collect();
    times.sort();
    let median = times[10].as_secs_f64() * 1000.0;
    let worst = times[20].as_secs_f64() * 1000.0;
    let rows = [
        (
            "待办 box opened (median of 21)",
            median,
            "≤ 50",
            format!("{items} items waiting for a leader among {n} handlings; slowest {worst:.1} ms; filled in {fill_s:.1} s"),
        ),
    ];
    println!("{:<44} {:>10}  {:<8} note", "metric", "ms", "target");
    for (metric, value, target, note) in &rows {
        println!("{metric:<44} {value:>10.2}  {target:<8} {note}");
    }
    let json: Vec<_> = rows
        .iter()
        .map(|(metric, value, target, note)| {
            serde_json::json!({"group": "boxes", "metric": metric, "value": value,
                "unit": "ms", "target": target, "note": note})
        })
        .collect();
    let out = std::env::var_os("GONGWEN_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/boxes.json")
        });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, serde_json::to_string_pretty(&json)?)?;
    Ok(())
}
