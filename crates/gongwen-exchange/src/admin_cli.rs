//! `gongwen-exchange admin …` (part of the binary): units, users, the audit check and
//! the demo data, written straight to storage. Every change is itself audited
//! (`admin unit add`, `admin user disable`, …) under the OS user who ran it.

use std::io::BufRead;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};

use gongwen_core::wire::{Role, Unit, UnitCode, UserInfo};
use gongwen_core::Classification;
use gongwen_exchange::api::now;
use gongwen_exchange::auth::{self, Secret};
use gongwen_exchange::blobs::{sweep, FsBlobStore};
use gongwen_exchange::config::Settings;
use gongwen_exchange::storage::{
    verify_audit, AdminChange, AuditDraft, AuditHead, Storage, StorageError, UserRecord,
};

use crate::StoreArgs;

#[derive(Args)]
pub struct AdminArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: AdminCmd,
}

#[derive(Subcommand)]
enum AdminCmd {
    /// Units (单位).
    #[command(subcommand)]
    Unit(UnitCmd),
    /// Users (用户).
    #[command(subcommand)]
    User(UserCmd),
    /// The audit chain.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Attachment files.
    #[command(subcommand)]
    Blobs(BlobsCmd),
    /// Units' own flows (flows_dir).
    #[command(subcommand)]
    Flows(FlowsCmd),
    /// Create demo units and users and print their logins (for development only).
    Demo,
    /// Copy the database and the attachment files into a new folder, consistently,
    /// while the server runs.
    Backup {
        /// A new or empty folder.
        dir: std::path::PathBuf,
    },
    /// Replace the database with a backup (the server must be stopped). A damaged or
    /// partial backup is refused and nothing is changed. Clients notice the new log
    /// epoch, pull again and re-send what the server lost.
    Restore {
        /// A folder made by `admin backup`.
        dir: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum FlowsCmd {
    /// Check a flows folder before a server starts on it: each unit's file OK or the
    /// error with its line, and the handlings in progress that would keep an earlier
    /// flow. Reads the folder and the storage; starts nothing, changes nothing. Exits
    /// 1 if any file is bad.
    Check {
        /// The folder to check; the configured flows_dir without it.
        dir: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum UnitCmd {
    /// Add a unit: `unit add sz-fgw 宿州市发展和改革委员会 --short 市发展改革委`.
    Add {
        /// Stable code: lower-case letters, digits and `-`.
        code: String,
        /// Full name.
        name: String,
        /// 规范化简称, as offices may write the unit in 主送 (e.g. 市统计局), so a
        /// document naming it that way starts with the unit chosen in 分发.
        #[arg(long = "short")]
        short_name: Option<String>,
    },
    /// Set or replace a unit's 规范化简称: `unit set-short sz-tjj 市统计局`. Clients get it
    /// with the directory (at login, and when their copy is older than ten minutes).
    SetShort {
        code: String,
        /// Shorter than the full name, and no other unit's full or short name.
        short_name: String,
    },
    List,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a user. Without --password-stdin a random password is generated and
    /// printed once.
    Add {
        username: String,
        #[arg(long)]
        unit: String,
        /// clerk, office_director, leader, archivist or admin.
        #[arg(long)]
        role: String,
        /// unclassified, confidential, secret or top_secret.
        #[arg(long)]
        clearance: String,
        /// Name shown to others, e.g. 张明.
        #[arg(long)]
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    List,
    /// Disable a user; their tokens stop working at once.
    Disable {
        username: String,
    },
    Enable {
        username: String,
    },
    /// Move a user to another unit and/or change their clearance.
    Set {
        username: String,
        #[arg(long)]
        unit: Option<String>,
        /// unclassified, confidential, secret or top_secret.
        #[arg(long)]
        clearance: Option<String>,
    },
    /// Set a new password (random unless --password-stdin); revokes their tokens.
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Walk the whole chain and check every hash and the recorded head; exit 1 at the
    /// first break. Prints `head SEQ HASH`: keep it off the server and give it back
    /// with --expect to also catch a rewrite of the chain's end.
    Verify {
        /// An anchor saved earlier (`SEQ:HASH`): the chain must still hold that entry.
        #[arg(long, value_name = "SEQ:HASH")]
        expect: Option<String>,
    },
}

#[derive(Subcommand)]
enum BlobsCmd {
    /// Remove uploads in progress untouched for `stale_upload_secs` and complete files
    /// no document lists that were written that long ago and granted to no uploader
    /// within it (what `serve` does every `blob_sweep_interval_secs`).
    Sweep {
        /// Use this age instead of `stale_upload_secs`.
        #[arg(long)]
        older_than_secs: Option<u64>,
    },
}

/// Runs one admin command; Ok(false) means "ran, but the answer is bad" (exit 1).
pub async fn run(args: AdminArgs) -> Result<bool> {
    let config = crate::load_config(&args.store, Settings::default())?;
    // Before the storage is opened: a restore replaces the database file.
    if let AdminCmd::Restore { dir } = &args.command {
        crate::backup::restore(&config, dir).await?;
        return Ok(true);
    }
    let storage = crate::open_storage(&config).await?;
    let storage = storage.as_ref();
    match args.command {
        AdminCmd::Unit(UnitCmd::Add {
            code,
            name,
            short_name,
        }) => {
            unit_add(storage, &code, &name, short_name.as_deref()).await?;
            println!("added unit {code} {name}");
        }
        AdminCmd::Flows(FlowsCmd::Check { dir }) => {
            let dir = dir.or_else(|| config.flows_dir.clone()).context(
                "no flows_dir is configured: name the folder to check (admin flows check DIR)",
            )?;
            return flows_check(storage, &dir).await;
        }
        AdminCmd::Unit(UnitCmd::SetShort { code, short_name }) => {
            let (name, short) = unit_set_short(storage, &code, &short_name).await?;
            println!("unit {code} {name}: short name {short}");
        }
        AdminCmd::Unit(UnitCmd::List) => {
            // The short name is a third column only where there is one, so scripts
            // that read two columns keep working.
            for u in storage.units().await? {
                match &u.short_name {
                    Some(short) => println!("{}\t{}\t{short}", u.code, u.name),
                    None => println!("{}\t{}", u.code, u.name),
                }
            }
        }
        AdminCmd::User(UserCmd::Add {
            username,
            unit,
            role,
            clearance,
            name,
            password_stdin,
        }) => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let clearance = parse_clearance(&clearance)?;
            let (password, generated) = password(password_stdin)?;
            user_add(storage, &username, &unit, role, clearance, &name, &password).await?;
            println!(
                "added user {username} ({}, {} of {unit})",
                clearance.label(),
                role.label()
            );
            if generated {
                println!("password: {}", password.expose());
            }
        }
        AdminCmd::User(UserCmd::List) => {
            for u in storage.users().await? {
                let i = &u.info;
                println!(
                    "{}\t{}\t{}\t{}\t{}{}",
                    i.username,
                    i.display_name,
                    i.unit,
                    i.role.as_str(),
                    i.clearance.as_str(),
                    if u.disabled { "\tdisabled" } else { "" }
                );
            }
        }
        AdminCmd::User(UserCmd::Disable { username }) => {
            change(
                storage,
                AdminChange::SetUserDisabled {
                    username: username.clone(),
                    disabled: true,
                },
                "admin user disable",
                serde_json::json!({ "username": username }),
            )
            .await?;
            println!("disabled {username}; their tokens are revoked");
        }
        AdminCmd::User(UserCmd::Enable { username }) => {
            change(
                storage,
                AdminChange::SetUserDisabled {
                    username: username.clone(),
                    disabled: false,
                },
                "admin user enable",
                serde_json::json!({ "username": username }),
            )
            .await?;
            println!("enabled {username}");
        }
        AdminCmd::User(UserCmd::ResetPassword {
            username,
            password_stdin,
        }) => {
            let (password, generated) = password(password_stdin)?;
            let hash = hash_off_thread(password.clone()).await?;
            change(
                storage,
                AdminChange::SetPasswordHash {
                    username: username.clone(),
                    hash,
                },
                "admin user reset-password",
                serde_json::json!({ "username": username }),
            )
            .await?;
            println!("password of {username} reset; their tokens are revoked");
            if generated {
                println!("password: {}", password.expose());
            }
        }
        AdminCmd::Audit(AuditCmd::Verify { expect }) => {
            let expect = expect
                .map(|e| e.parse::<AuditHead>().map_err(anyhow::Error::msg))
                .transpose()
                .context("--expect")?;
            return verify(storage, expect.as_ref()).await;
        }
        AdminCmd::Blobs(BlobsCmd::Sweep { older_than_secs }) => {
            let older_than = older_than_secs
                .map(std::time::Duration::from_secs)
                .unwrap_or(config.stale_upload);
            let blobs = FsBlobStore::open(config.blob_dir()).with_context(|| {
                format!("opening attachment folder {}", config.blob_dir().display())
            })?;
            let r = sweep(storage, &blobs, older_than).await?;
            audit(
                storage,
                "admin blobs sweep",
                serde_json::json!({
                    "older_than_secs": older_than.as_secs(),
                    "partials": r.partials,
                    "unreferenced": r.unreferenced,
                }),
            )
            .await?;
            println!(
                "removed {} partial upload(s) and {} unreferenced file(s)",
                r.partials, r.unreferenced
            );
        }
        AdminCmd::Demo => demo(storage).await?,
        AdminCmd::Backup { dir } => {
            crate::backup::backup(&config, storage, &dir).await?;
            audit(
                storage,
                "admin backup",
                serde_json::json!({ "dir": dir.display().to_string() }),
            )
            .await?;
        }
        AdminCmd::Restore { .. } => unreachable!("handled before the storage is opened"),
        AdminCmd::User(UserCmd::Set {
            username,
            unit,
            clearance,
        }) => {
            if unit.is_none() && clearance.is_none() {
                bail!("nothing to set: give --unit and/or --clearance");
            }
            let clearance = clearance.as_deref().map(parse_clearance).transpose()?;
            let unit = unit.map(UnitCode);
            storage
                .update_user(&username, unit.as_ref(), clearance)
                .await
                .map_err(not_found_msg)?;
            audit(
                storage,
                "admin user set",
                serde_json::json!({
                    "username": username,
                    "unit": unit.as_ref().map(|u| u.0.clone()),
                    "clearance": clearance.map(|c| c.as_str()),
                }),
            )
            .await?;
            println!("updated user {username}");
        }
    }
    Ok(true)
}

/// A storage refusal as the administrator reads it; a short name already in use also
/// says why that matters.
fn not_found_msg(e: StorageError) -> anyhow::Error {
    match e {
        StorageError::NameTaken { name, unit } => anyhow::anyhow!(
            "the short name `{name}` already names unit `{}`; a 主送 written with it would \
             name two units",
            unit.0
        ),
        e => anyhow::anyhow!("{e}"),
    }
}

fn parse_clearance(s: &str) -> Result<Classification> {
    s.parse::<Classification>()
        .ok()
        .or_else(|| Classification::ALL.into_iter().find(|c| c.label() == s))
        .with_context(|| {
            format!("unknown clearance `{s}`; expected unclassified, confidential, secret or top_secret")
        })
}

/// The password from stdin, or a generated one (true: print it).
fn password(from_stdin: bool) -> Result<(Secret, bool)> {
    if !from_stdin {
        return Ok((auth::new_password()?, true));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    if pw.chars().count() < 8 {
        bail!("the password must have at least 8 characters");
    }
    Ok((Secret::new(pw), false))
}

async fn hash_off_thread(password: Secret) -> Result<String> {
    Ok(tokio::task::spawn_blocking(move || auth::hash_password(&password)).await??)
}

/// Who ran the admin command, as the audit names them.
pub(crate) fn operator() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("os:{user}")
}

/// Makes an admin change together with its audit entry (one transaction).
async fn change(
    storage: &dyn Storage,
    change: AdminChange,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    storage
        .admin_change(&change, &admin_draft(action, detail))
        .await
        .map_err(not_found_msg)
}

/// Audits an admin action that is not a storage change of its own (a sweep of files).
async fn audit(storage: &dyn Storage, action: &str, detail: serde_json::Value) -> Result<()> {
    storage.append_audit(&admin_draft(action, detail)).await?;
    Ok(())
}

fn admin_draft(action: &str, detail: serde_json::Value) -> AuditDraft {
    AuditDraft {
        at: now(),
        username: operator(),
        unit: UnitCode(String::new()),
        client: "admin-cli".into(),
        action: action.into(),
        detail: detail.to_string(),
    }
}

fn check_code(what: &str, s: &str, extra: &[char]) -> Result<()> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || extra.contains(&c)
        });
    if !ok {
        bail!(
            "{what} `{s}` must be 1–64 lower-case letters, digits or `-`{}",
            if extra.is_empty() { "" } else { " `.` `_`" }
        );
    }
    Ok(())
}

async fn unit_add(
    storage: &dyn Storage,
    code: &str,
    name: &str,
    short_name: Option<&str>,
) -> Result<()> {
    check_code("unit code", code, &[])?;
    let name = name.trim();
    if name.is_empty() {
        bail!("the unit name is empty");
    }
    let short_name = short_name
        .map(|short| check_short_name(name, short, "; leave --short out for none"))
        .transpose()?;
    change(
        storage,
        AdminChange::AddUnit(Unit {
            code: code.into(),
            name: name.to_string(),
            short_name: short_name.map(str::to_string),
        }),
        "admin unit add",
        serde_json::json!({ "code": code, "name": name, "short_name": short_name }),
    )
    .await
}

/// A unit's 规范化简称, trimmed: refused when blank, or when it is not shorter than the
/// full `name` (then it abbreviates nothing). `hint` ends the blank case's message.
fn check_short_name<'a>(name: &str, short: &'a str, hint: &str) -> Result<&'a str> {
    let short = short.trim();
    if short.is_empty() {
        bail!("the short name is empty{hint}");
    }
    if short == name {
        bail!("the short name `{short}` is the full name");
    }
    if short.chars().count() >= name.chars().count() {
        bail!("the short name `{short}` is not shorter than the full name `{name}`");
    }
    Ok(short)
}

/// Sets the 规范化简称 of the unit `code`; its full name and the short name set.
async fn unit_set_short(
    storage: &dyn Storage,
    code: &str,
    short: &str,
) -> Result<(String, String)> {
    let Some(unit) = storage
        .units()
        .await?
        .into_iter()
        .find(|u| u.code.0 == code)
    else {
        bail!("no unit `{code}`; `admin unit list` shows the units");
    };
    let short = check_short_name(&unit.name, short, "")?;
    change(
        storage,
        AdminChange::SetUnitShortName {
            code: unit.code.clone(),
            short_name: short.to_string(),
        },
        "admin unit set-short",
        serde_json::json!({ "code": code, "short_name": short, "previous": unit.short_name }),
    )
    .await?;
    Ok((unit.name, short.to_string()))
}

async fn user_add(
    storage: &dyn Storage,
    username: &str,
    unit: &str,
    role: Role,
    clearance: Classification,
    name: &str,
    password: &Secret,
) -> Result<()> {
    check_code("username", username, &['.', '_'])?;
    if name.trim().is_empty() {
        bail!("the display name (--name) is empty");
    }
    if !storage.units().await?.iter().any(|u| u.code.0 == unit) {
        bail!("no unit `{unit}`; add it first with `admin unit add`");
    }
    let password_hash = hash_off_thread(password.clone()).await?;
    change(
        storage,
        AdminChange::AddUser(UserRecord {
            info: UserInfo {
                username: username.into(),
                display_name: name.trim().into(),
                unit: unit.into(),
                role,
                clearance,
            },
            password_hash,
            disabled: false,
        }),
        "admin user add",
        serde_json::json!({ "username": username, "unit": unit, "role": role, "clearance": clearance }),
    )
    .await
}

/// Checks the chain, its head and the anchor (see [`verify_audit`]); prints the head
/// to keep as the next anchor.
async fn verify(storage: &dyn Storage, expect: Option<&AuditHead>) -> Result<bool> {
    match verify_audit(storage, expect).await? {
        Ok(head) => {
            println!("OK: {} audit entries verified", head.seq);
            println!("head {} {}", head.seq, head.hash);
            Ok(true)
        }
        Err(b) => {
            println!("BROKEN at seq {}: {}", b.seq, b.problem);
            Ok(false)
        }
    }
}

/// The demo password of every demo user. For development and demonstrations only.
pub const DEMO_PASSWORD: &str = "gongwen-demo";

/// (username, display name, unit, role, clearance)
const DEMO_USERS: &[(&str, &str, &str, Role, Classification)] = &[
    (
        "fgw-clerk",
        "张明",
        "sz-fgw",
        Role::Clerk,
        Classification::Secret,
    ),
    (
        "fgw-leader",
        "李华",
        "sz-fgw",
        Role::Leader,
        Classification::TopSecret,
    ),
    (
        "fgw-director",
        "王强",
        "sz-fgw",
        Role::OfficeDirector,
        Classification::Secret,
    ),
    (
        "fgw-deputy",
        "孙丽",
        "sz-fgw",
        Role::Leader,
        Classification::Secret,
    ),
    (
        "tjj-director",
        "吴军",
        "sz-tjj",
        Role::OfficeDirector,
        Classification::Confidential,
    ),
    (
        "tjj-clerk",
        "王芳",
        "sz-tjj",
        Role::Clerk,
        Classification::Confidential,
    ),
    (
        "yq-clerk",
        "赵磊",
        "yq-gov",
        Role::Clerk,
        Classification::Unclassified,
    ),
    (
        "szgov-clerk",
        "陈静",
        "sz-gov",
        Role::Clerk,
        Classification::Secret,
    ),
    (
        "szgov-director",
        "郑伟",
        "sz-gov",
        Role::OfficeDirector,
        Classification::Secret,
    ),
    (
        "szgov-leader",
        "冯涛",
        "sz-gov",
        Role::Leader,
        Classification::TopSecret,
    ),
    (
        "szgov-deputy",
        "何燕",
        "sz-gov",
        Role::Leader,
        Classification::Secret,
    ),
    (
        "daj-clerk",
        "刘洋",
        "sz-daj",
        Role::Clerk,
        Classification::Unclassified,
    ),
    (
        "daj-archivist",
        "周敏",
        "sz-daj",
        Role::Archivist,
        Classification::Secret,
    ),
    (
        "admin",
        "系统管理员",
        "sz-gov",
        Role::Admin,
        Classification::Unclassified,
    ),
];

/// (code, full name, 规范化简称 as the city's offices write it in 主送)
const DEMO_UNITS: &[(&str, &str, &str)] = &[
    ("sz-fgw", "宿州市发展和改革委员会", "市发展改革委"),
    ("sz-tjj", "宿州市统计局", "市统计局"),
    ("yq-gov", "埇桥区人民政府", "埇桥区政府"),
    ("sz-gov", "宿州市人民政府办公室", "市政府办公室"),
    ("sz-daj", "宿州市档案馆", "市档案馆"),
];

/// Creates what is missing of the demo data (running it twice is harmless).
async fn demo(storage: &dyn Storage) -> Result<()> {
    let existing: Vec<String> = storage
        .units()
        .await?
        .into_iter()
        .map(|u| u.code.0)
        .collect();
    for (code, name, short_name) in DEMO_UNITS {
        if !existing.iter().any(|c| c == code) {
            unit_add(storage, code, name, Some(short_name)).await?;
        }
    }
    let password = Secret::new(DEMO_PASSWORD);
    println!(
        "DEMO ACCOUNTS — for development only; every demo user has the password `{DEMO_PASSWORD}`"
    );
    println!("username\tpassword\tunit\trole\tclearance\tname");
    for (username, name, unit, role, clearance) in DEMO_USERS {
        if storage.user(username).await?.is_none() {
            user_add(storage, username, unit, *role, *clearance, name, &password).await?;
        }
        println!(
            "{username}\t{DEMO_PASSWORD}\t{unit}\t{}\t{}\t{name}",
            role.as_str(),
            clearance.as_str()
        );
    }
    Ok(())
}

/// `admin flows check DIR`: prints one line per file (`UNIT KIND: OK` or `UNIT KIND:
/// error: …`), then the handlings in progress the change would leave on an earlier
/// flow. False (exit 1) when any file is bad.
async fn flows_check(storage: &dyn Storage, dir: &std::path::Path) -> Result<bool> {
    use gongwen_exchange::flows::{check_dir, handlings_under_change, open_handlings, UnitFlows};
    let units = storage.units().await?.into_iter().map(|u| u.code).collect();
    let files = check_dir(dir, &units)?;
    let mut good = true;
    for f in &files {
        let what = match f.kind {
            Some(kind) => format!("{} {}", f.unit, kind.as_str()),
            None => f.unit.clone(),
        };
        match &f.outcome {
            Ok((flow, _)) => println!("{what}: OK ({} steps)", flow.steps.len()),
            Err(message) => {
                good = false;
                let name = f.path.strip_prefix(dir).unwrap_or(&f.path);
                println!("{what}: error: {}: {message}", name.display());
            }
        }
    }
    if files.is_empty() {
        println!("no unit has flows of its own here: every unit follows the default flows");
    } else {
        println!("every other unit and kind follows the default flow");
    }
    if !good {
        println!("the server would not start on this folder");
        return Ok(false);
    }
    let next = UnitFlows::load(dir, &units)?;
    let open = open_handlings(storage).await?;
    let changed = handlings_under_change(&open, &next);
    let steps = |by_step: &std::collections::BTreeMap<gongwen_core::flow::StepId, usize>| {
        by_step
            .iter()
            .map(|(step, n)| format!("{step} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let total = |by_step: &std::collections::BTreeMap<gongwen_core::flow::StepId, usize>| {
        by_step.values().sum::<usize>()
    };
    if changed.values().all(|c| c.keep_earlier.is_empty()) {
        println!("no handling in progress keeps an earlier flow");
    }
    for ((unit, kind), c) in &changed {
        if !c.keep_earlier.is_empty() {
            println!(
                "{unit} {kind}: {} handlings in progress keep the earlier flow they started with, at: {}",
                total(&c.keep_earlier),
                steps(&c.keep_earlier)
            );
        }
        if !c.stranded.is_empty() {
            println!(
                "{unit} {kind}: warning: {} handlings in progress started before flow versions were recorded and stand at steps this flow lacks (their next steps would be refused): {}",
                total(&c.stranded),
                steps(&c.stranded)
            );
        }
    }
    Ok(true)
}
