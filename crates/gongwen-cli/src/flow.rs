//! `gongwen flow`: the steps of a document's 发文 or 收文 flow (核稿, 会签, 签发, 编号,
//! 登记, 批办, 承办, 传阅, 催办, 办结), so scripts and tests can act as each user. Every
//! step is a command queued in the outbox and decided by the server, like `ack`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use gongwen_core::flow::{Flow, FlowKind, StepId, StepKind};
use gongwen_core::handling::{Handling, Participant, Publicity, StepAction};
use gongwen_core::wire::{Command, CommandBody, CommandId, CommandResult, UnitCode};
use gongwen_store::{HandlingBox, Store};
use gongwen_typeset::{handling_sheet, FontConfig, FontSet, SheetForm, SheetKind, WarningKind};

use crate::commands::open_store;
use crate::output::outln;
use crate::remote::{outbox_and_sync, parse_id, runtime, sync_round};

/// Take a step of a document's flow, or show where it stands
#[derive(Args)]
pub struct FlowArgs {
    #[command(subcommand)]
    action: FlowAction,
}

#[derive(Subcommand)]
enum FlowAction {
    /// A box of the logged-in user: todo (待办), in-progress (在办), done (办结) or
    /// reading (阅件), most urgent first
    Box {
        #[arg(value_enum, default_value = "todo")]
        which: BoxArg,
        /// JSON for machines
        #[arg(long)]
        json: bool,
    },
    /// Show every unit's handling of the document: the step it stands at and the trail
    Show {
        /// Document id
        id: String,
        /// JSON for machines
        #[arg(long)]
        json: bool,
    },
    /// Print the 办理单 as PDF: the 发文稿纸 of a 发文, the 收文处理笺 of a 收文 (办件)
    /// or the 阅文单 of a 阅件, from your unit's handling as the server last sent it
    Sheet {
        /// Document id
        id: String,
        /// The PDF to write
        #[arg(short, long, value_name = "FILE.pdf")]
        output: PathBuf,
        /// 精简: leave out the steps that were returned (退回) or withdrawn (撤回)
        #[arg(long)]
        brief: bool,
        /// Print from what was last synced; do not pull first
        #[arg(long)]
        no_sync: bool,
    },
    /// Finish the current step (or your part of a 会签/承办/传阅) and go on
    Next {
        #[command(flatten)]
        common: Common,
        /// The next step, when the flow offers a choice (e.g. countersign or sign_off)
        #[arg(long, value_name = "STEP")]
        to: Option<String>,
        /// Who takes the next step when it is parallel: unit:CODE or user:NAME (the
        /// first named is 主办 for 承办); repeat for more
        #[arg(long = "participant", value_name = "WHO")]
        participants: Vec<String>,
        /// 公开属性 at 签发: active, on-request, or withheld:REASON
        #[arg(long)]
        publicity: Option<String>,
        /// 限办日期 at 批办 (YYYY-MM-DD)
        #[arg(long)]
        deadline: Option<String>,
        /// Send the latest saved version along (送审 does this by itself; 核稿 and 复核
        /// may change the text)
        #[arg(long)]
        with_document: bool,
    },
    /// Send the document back to an earlier step, with a reason
    Return {
        #[command(flatten)]
        common: Common,
        /// The step to return to
        #[arg(long, value_name = "STEP")]
        to: String,
        #[arg(long)]
        reason: String,
    },
    /// 撤回: take back a step you sent on, before anyone acted on it
    Withdraw {
        #[command(flatten)]
        common: Common,
    },
    /// 加签: add a participant to the current 会签/承办/传阅 (unit:CODE or user:NAME)
    Add {
        #[command(flatten)]
        common: Common,
        who: String,
    },
    /// 减签: take a participant off the current 会签/承办/传阅
    Remove {
        #[command(flatten)]
        common: Common,
        who: String,
    },
    /// 代办: let a person of your unit take your steps for a period, in your name
    /// (a leader only; sent to the exchange at once)
    Delegate {
        /// Username of the delegate
        #[arg(long)]
        to: String,
        /// Steps, by name or kind, comma-separated (签发,批办 or sign_off,instruct;
        /// 批示 is 批办) [default: all of yours]
        #[arg(long, value_delimiter = ',')]
        steps: Vec<String>,
        /// First day (YYYY-MM-DD), included
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD), included
        #[arg(long)]
        until: String,
    },
    /// The delegations (代办) of your unit, as the exchange has them
    Delegations {
        /// JSON for machines
        #[arg(long)]
        json: bool,
    },
    /// End a delegation now (its leader, or the delegate declining it)
    RevokeDelegation {
        /// The delegation's id (from `flow delegations`)
        id: String,
    },
    /// 催办: send a reminder about the current step
    Remind {
        #[command(flatten)]
        common: Common,
        /// What is asked
        #[arg(long)]
        note: String,
        /// A participant (unit:CODE or user:NAME); default: whoever holds the step
        #[arg(long = "participant", value_name = "WHO")]
        to: Option<String>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum BoxArg {
    Todo,
    InProgress,
    Done,
    Reading,
}

#[derive(Args)]
struct Common {
    /// Document id
    id: String,
    /// The step acted on [default: where the document stands, as last synced]; a
    /// step the document has left is refused by the server, naming who moved it
    #[arg(long)]
    step: Option<String>,
    /// 意见 / 批示
    #[arg(long)]
    opinion: Option<String>,
    /// Only add to the outbox; do not sync now
    #[arg(long)]
    no_sync: bool,
}

fn participant(s: &str) -> anyhow::Result<Participant> {
    match s.split_once(':') {
        Some(("unit", code)) if !code.trim().is_empty() => {
            Ok(Participant::Unit(code.trim().into()))
        }
        Some(("user", name)) if !name.trim().is_empty() => {
            Ok(Participant::User(name.trim().to_string()))
        }
        _ => bail!("{s:?} is not a participant: write unit:CODE (e.g. unit:sz-tjj) or user:NAME"),
    }
}

fn publicity(s: &str) -> anyhow::Result<Publicity> {
    match s.split_once(':') {
        None if s == "active" => Ok(Publicity::Active),
        None if s == "on-request" => Ok(Publicity::OnRequest),
        Some(("withheld", reason)) => Ok(Publicity::Withheld {
            reason: reason.to_string(),
        }),
        _ => bail!("{s:?} is not a publicity: write active, on-request or withheld:REASON"),
    }
}

pub fn flow(data: Option<PathBuf>, args: FlowArgs) -> anyhow::Result<ExitCode> {
    let (common, action, publicity_arg, deadline, with_document) = match args.action {
        FlowAction::Show { id, json } => return show(data, &id, json),
        FlowAction::Delegate {
            to,
            steps,
            from,
            until,
        } => {
            let steps = steps
                .iter()
                .map(|s| step_kind(s))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let body = CommandBody::Delegate {
                delegation_id: uuid_now(),
                to,
                steps,
                from,
                until,
            };
            return send_delegation(data, body);
        }
        FlowAction::RevokeDelegation { id } => {
            let delegation_id = id
                .trim()
                .parse()
                .with_context(|| format!("{id:?} is not a delegation id (a UUID)"))?;
            return send_delegation(data, CommandBody::RevokeDelegation { delegation_id });
        }
        FlowAction::Delegations { json } => return show_delegations(data, json),
        FlowAction::Box { which, json } => return show_box(data, which, json),
        FlowAction::Sheet {
            id,
            output,
            brief,
            no_sync,
        } => return sheet(data, &id, &output, brief, no_sync),
        FlowAction::Next {
            common,
            to,
            participants,
            publicity: p,
            deadline,
            with_document,
        } => {
            let participants = participants
                .iter()
                .map(|s| participant(s))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let action = StepAction::Finish {
                next: to.as_deref().map(StepId::from),
                participants,
            };
            (common, action, p, deadline, with_document)
        }
        FlowAction::Return { common, to, reason } => {
            let action = StepAction::Return {
                to: StepId::from(to.as_str()),
                reason,
            };
            (common, action, None, None, false)
        }
        FlowAction::Withdraw { common } => (common, StepAction::Withdraw, None, None, false),
        FlowAction::Add { common, who } => {
            let action = StepAction::AddParticipant {
                participant: participant(&who)?,
            };
            (common, action, None, None, false)
        }
        FlowAction::Remove { common, who } => {
            let action = StepAction::RemoveParticipant {
                participant: participant(&who)?,
            };
            (common, action, None, None, false)
        }
        FlowAction::Remind { common, note, to } => {
            let action = StepAction::Remind {
                to: to.as_deref().map(participant).transpose()?,
                note,
            };
            (common, action, None, None, false)
        }
    };
    let id = parse_id(&common.id)?;
    let publicity = publicity_arg.as_deref().map(publicity).transpose()?;
    // Act on where the document stands now: pull first (offline, on what was last
    // synced; the server decides anyway).
    let store = pulled(data.clone(), common.no_sync, "the step")?;
    let unit = store
        .signed_in()?
        .map(|a| a.user.unit)
        .context("not logged in: run `gongwen login` first")?;
    let handling = own_handling(store.handlings(id)?, &unit);
    // The flow the handling follows (the version it started with, which the synced
    // directory carries when the admin changed the unit's flow since), or for a draft
    // the unit's current 发文 flow (its own, or the 条例's).
    let directory = store.directory()?;
    let flow = match &handling {
        Some(h) => directory.handling_flow(h),
        None => directory.flow(&unit, FlowKind::Outgoing),
    };
    // Where the document stands as last synced; a document with no handling yet is a
    // draft here, and its first step (送审) brings it to the server.
    let (step, starts) = match (&common.step, &handling, &action) {
        (Some(s), _, _) => (StepId::from(s.as_str()), false),
        (None, _, StepAction::Remind { .. }) => {
            bail!("a reminder names the remind step: pass --step (e.g. --step remind)")
        }
        (None, Some(h), _) => (h.step.clone(), false),
        (None, None, _) => (flow.first().id.clone(), true),
    };
    if matches!(action, StepAction::Finish { .. }) {
        if let Some(d) = store.get(id)? {
            layout_gate(id, &flow, &step, &d.document)?;
        }
    }
    drop(store);
    let with_document = with_document || starts;
    outbox_and_sync(data, common.no_sync, |s| {
        Ok(s.queue_step(
            id,
            step,
            action,
            common.opinion,
            publicity,
            deadline,
            with_document,
        )?)
    })
}

/// The store, after a pull unless `no_sync` (or nobody is logged in): a failed pull
/// is said and what was last synced is used.
fn pulled(data: Option<PathBuf>, no_sync: bool, what: &str) -> anyhow::Result<Store> {
    let store = open_store(data)?;
    if no_sync || store.signed_in()?.is_none() {
        return Ok(store);
    }
    let shared = std::sync::Mutex::new(store);
    if let Err(e) = runtime()?.block_on(sync_round(&shared)) {
        eprintln!("not synced before {what} ({e:#}); using what was last synced");
    }
    shared
        .into_inner()
        .map_err(|_| anyhow::anyhow!("the store lock was poisoned"))
}

/// The handling a user of `unit` acts on: their unit's own, or one whose parallel step
/// names their unit (会签 by another unit).
fn own_handling(handlings: Vec<Handling>, unit: &UnitCode) -> Option<Handling> {
    handlings.into_iter().find(|h| {
        &h.unit == unit
            || h.branches
                .iter()
                .any(|b| b.participant == Participant::Unit(unit.clone()))
    })
}

fn sheet(
    data: Option<PathBuf>,
    id: &str,
    output: &Path,
    brief: bool,
    no_sync: bool,
) -> anyhow::Result<ExitCode> {
    let id = parse_id(id)?;
    let store = pulled(data, no_sync, "printing the sheet")?;
    let handlings = store.handlings(id)?;
    if handlings.is_empty() {
        // Not visible and not there read the same, so a refusal says nothing of a
        // document the user may not see; logged out, say why so much is hidden.
        if store.signed_in()?.is_none() {
            bail!("no handling of {id} that may be shown here while nobody is logged in (only 非密 documents are): log in first");
        }
        bail!("no handling of {id} here: a local draft has no 办理单 until it is sent for review (`gongwen flow next {id}`), or it is not synced yet");
    }
    // The user's own unit's handling, or one their unit took part in (a 会签 done);
    // logged out, the only one there is.
    let handling = match store.signed_in()? {
        Some(account) => {
            let unit = account.user.unit;
            let took_part = handlings
                .iter()
                .find(|h| h.trail.iter().any(|e| e.unit == unit))
                .cloned();
            own_handling(handlings, &unit)
                .or(took_part)
                .with_context(|| format!("none of the handlings of {id} here is your unit's"))?
        }
        None if handlings.len() == 1 => handlings.into_iter().next().context("no handling")?,
        None => bail!("{id} has several handlings here: log in to print your unit's"),
    };
    let document = store
        .get(id)?
        .with_context(|| format!("document {id} is not in this store"))?
        .document;
    let directory = store.directory()?;
    let fonts = FontSet::load(&FontConfig::default())?;
    let form = if brief {
        SheetForm::Brief
    } else {
        SheetForm::Full
    };
    let rendered = handling_sheet(&document, &handling, &directory, &fonts, form)?;
    let private = document.classification != gongwen_core::Classification::Unclassified;
    crate::output::write_whole(output, &rendered.pdf, private)?;
    for w in rendered
        .warnings
        .iter()
        .filter(|w| w.kind != WarningKind::FontSubstituted)
    {
        eprintln!("warning: {} ({})", w.message_en, w.message);
    }
    outln!(
        "wrote {} ({}{}, {} pages)",
        output.display(),
        SheetKind::of(&handling).label(),
        if brief { "，精简" } else { "" },
        rendered.pages
    );
    Ok(ExitCode::SUCCESS)
}

/// 签发 and 用印 are refused by the server while the rendered PDF fails `gongwen
/// check`; checked here too before the step is queued, so a leader signing offline
/// hears of it now rather than at the next connection. The server decides anyway.
fn layout_gate(
    id: gongwen_core::DocumentId,
    flow: &Flow,
    step: &StepId,
    doc: &gongwen_core::Document,
) -> anyhow::Result<()> {
    let gated = flow.kind == FlowKind::Outgoing
        && flow
            .step(step)
            .is_some_and(|s| matches!(s.kind, StepKind::SignOff | StepKind::Seal));
    if !gated {
        return Ok(());
    }
    let fonts = gongwen_typeset::FontSet::load(&gongwen_typeset::FontConfig::default())?;
    let rendered = gongwen_typeset::render(doc, &fonts, &Default::default())?;
    // poppler reads a file: a private one (0600, in the shared temporary folder),
    // removed when dropped.
    let mut file = tempfile::Builder::new()
        .prefix(&format!("gongwen-gate-{id}-"))
        .suffix(".pdf")
        .tempfile()?;
    std::io::Write::write_all(&mut file, &rendered.pdf)?;
    let report = gongwen_pdfcheck::check_pdf(file.path(), 1.0)?;
    if report.is_ok() {
        return Ok(());
    }
    for f in &report.findings {
        eprintln!("{f}");
    }
    bail!(
        "the rendered PDF fails `gongwen check` ({} finding(s) above): fix them before `{step}`; nothing was queued",
        report.findings.len()
    )
}

/// A step kind by its Chinese name or its kind (`签发`, `sign_off`); 批示 is given at 批办.
fn step_kind(s: &str) -> anyhow::Result<StepKind> {
    let s = s.trim();
    if s == "批示" {
        return Ok(StepKind::Instruct);
    }
    StepKind::ALL
        .into_iter()
        .find(|k| k.label() == s || k.as_str() == s)
        .with_context(|| {
            format!(
                "{s:?} is not a step: write its name or kind, e.g. 签发 or sign_off ({})",
                StepKind::ALL.map(|k| k.label()).join("、")
            )
        })
}

/// A fresh id for a delegation (the store's client id generator is for documents).
fn uuid_now() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}

fn send_delegation(data: Option<PathBuf>, body: CommandBody) -> anyhow::Result<ExitCode> {
    let store = std::sync::Mutex::new(open_store(data)?);
    let command = Command {
        id: CommandId(uuid_now()),
        body: body.clone(),
    };
    let outcome = crate::remote::push_now(&store, command)?;
    match outcome.result {
        CommandResult::Accepted => {
            match body {
                CommandBody::Delegate {
                    delegation_id,
                    to,
                    from,
                    until,
                    ..
                } => outln!("delegation {delegation_id}: {to} from {from} until {until}"),
                CommandBody::RevokeDelegation { delegation_id } => {
                    outln!("delegation {delegation_id} revoked")
                }
                _ => {}
            }
            Ok(ExitCode::SUCCESS)
        }
        CommandResult::Rejected { rejection } => {
            eprintln!(
                "rejected by the server: {} ({})",
                rejection.message_en, rejection.message
            );
            Ok(ExitCode::from(1))
        }
    }
}

fn show_delegations(data: Option<PathBuf>, json: bool) -> anyhow::Result<ExitCode> {
    let store = std::sync::Mutex::new(open_store(data)?);
    let list = crate::remote::delegations(&store)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    for d in &list {
        outln!(
            "{}  {} → {}  {}  {} – {}{}",
            d.id,
            d.leader,
            d.delegate,
            d.steps_label(),
            d.from,
            d.until,
            d.revoked_at
                .as_deref()
                .map(|at| format!(
                    "  revoked {at} by {}",
                    d.revoked_by.as_deref().unwrap_or("?")
                ))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn show(data: Option<PathBuf>, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let id = parse_id(id)?;
    let store = open_store(data)?;
    let handlings = store.handlings(id)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&handlings)?);
        return Ok(ExitCode::SUCCESS);
    }
    if handlings.is_empty() {
        outln!("no handling of {id} here (a local draft, or not synced yet)");
    }
    for h in &handlings {
        print_handling(h);
    }
    // What this desk wrote with steps the server refused: kept and shown, never dropped.
    let unheeded = store.unheeded_opinions(id)?;
    if !unheeded.is_empty() {
        outln!("未生效的意见 (opinions of steps the server refused):");
    }
    for u in &unheeded {
        outln!(
            "  {}  {:<14} {} {}  意见: {}\n    refused {}: {} ({})",
            gongwen_core::beijing_time(&u.written_at),
            u.step,
            u.action.label(),
            u.by.as_deref().unwrap_or("?"),
            u.opinion,
            u.refused_at
                .as_deref()
                .map_or_else(|| "?".to_string(), gongwen_core::beijing_time),
            u.reason_en,
            u.reason
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_handling(h: &Handling) {
    outln!(
        "{} {} at {}: {}{}",
        h.unit,
        h.flow.as_str(),
        h.step,
        h.status_label(),
        h.number
            .as_deref()
            .map(|n| format!("  number {n}"))
            .unwrap_or_default()
    );
    for b in &h.branches {
        outln!(
            "  {}{} {}",
            b.participant,
            if b.lead { " (lead)" } else { "" },
            b.status.label()
        );
    }
    for e in &h.trail {
        outln!(
            "  {}  {:<14} {:<6} {} ({}, {}){}{}",
            gongwen_core::beijing_time(&e.at),
            e.step,
            e.action.label(),
            match &e.acted_by {
                Some(delegate) => format!("{}（由{delegate}代）", e.by),
                None => e.by.clone(),
            },
            e.role.label(),
            e.unit,
            e.opinion
                .as_deref()
                .map(|o| format!("  意见: {o}"))
                .unwrap_or_default(),
            e.result
                .as_deref()
                .map(|r| format!("  [{r}]"))
                .unwrap_or_default()
        );
    }
}

fn show_box(data: Option<PathBuf>, which: BoxArg, json: bool) -> anyhow::Result<ExitCode> {
    let store = open_store(data)?;
    if store.signed_in()?.is_none() {
        bail!("not logged in: run `gongwen login` first");
    }
    let which = match which {
        BoxArg::Todo => HandlingBox::Todo,
        BoxArg::InProgress => HandlingBox::InProgress,
        BoxArg::Done => HandlingBox::Done,
        BoxArg::Reading => HandlingBox::Reading,
    };
    let items = store.handling_box(which)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(ExitCode::SUCCESS);
    }
    for item in &items {
        outln!(
            "{}  {:<6} {:<16} {}{}",
            item.summary.id,
            item.summary.urgency.label(),
            item.status,
            item.summary.title,
            item.deadline
                .as_deref()
                .map(|d| format!("  限办 {d}"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
