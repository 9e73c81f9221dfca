//! `gongwen archive`: 归档 offline — `keygen` (the unit's SM2 signing key), `propose`
//! (what to file for a year, with suggested 保管期限 and 档号), `file` (write the batch
//! of DA/T 48 packages and record the filings) and `check` (四性检测 of a batch, as JSON
//! and a Chinese HTML report), then online: `transfer` (移交 of a batch to the archive),
//! and for the archive's 档案员 `inbox`, `accept` and `return`; `receipt` prints the
//! 移交与接收登记表 both sides keep. Thin wrappers over `gongwen-archive` and
//! `gongwen-sync`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use gongwen_archive::file::FileOptions;
use gongwen_archive::{
    ArchiveConfig, CheckOptions, ClamAv, Proposal, RetentionTable, Stage, Status, UnitKey,
    VirusScanner,
};
use gongwen_core::transfer::{transfer_id, Transfer, TransferFile, TransferStatus};
use gongwen_core::wire::{Command, CommandBody, CommandId, CommandResult, Role, UnitCode};
use gongwen_store::{lock, Store};
use gongwen_typeset::{FontConfig, FontSet};

use crate::commands::open_store;
use crate::output::outln;
use crate::remote::{self, runtime};

/// 归档: propose, file and check a year's finished documents, offline
#[derive(Args)]
pub struct ArchiveArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Write a new SM2 signing key for the unit to FILE (and its public key to FILE.pub)
    Keygen {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// List every 办结 document of a year not filed yet, with its suggested 保管期限
    /// and 档号; --out writes the proposal as JSON to adjust and pass to `file`
    Propose {
        #[command(flatten)]
        unit: UnitArgs,
        /// Write the proposal as JSON
        #[arg(long, value_name = "FILE.json")]
        out: Option<PathBuf>,
        /// JSON on standard output instead of a table
        #[arg(long)]
        json: bool,
    },
    /// File a year (or an adjusted proposal) into a new batch folder and record the
    /// filings in the store
    File {
        #[command(flatten)]
        unit: UnitArgs,
        /// The proposal to file (from `propose --out`, possibly adjusted) [default: the
        /// proposal as `propose` makes it now]
        #[arg(long, value_name = "FILE.json")]
        proposal: Option<PathBuf>,
        /// The unit's signing key (from `keygen`)
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The new batch folder (it must not exist, or be empty). The filing is
        /// recorded in the name of the logged-in 档案员
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// 四性检测 of a batch folder (exit 1 when an item fails)
    Check {
        /// The batch folder
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Check the store's filing records against the batch too
        #[arg(long)]
        store: bool,
        /// gd (归档, default) or yj (移交与接收)
        #[arg(long, default_value = "gd")]
        stage: String,
        /// The unit's public key the packages must be signed with (FILE.pub)
        #[arg(long, value_name = "FILE.pub")]
        public_key: Option<PathBuf>,
        /// A ClamAV signature database for clamscan -d [default: clamscan's own]
        #[arg(long, value_name = "FILE")]
        clamav_db: Option<PathBuf>,
        /// Write the report as JSON
        #[arg(long, value_name = "FILE.json")]
        json: Option<PathBuf>,
        /// Write the report as HTML (Chinese)
        #[arg(long, value_name = "FILE.html")]
        html: Option<PathBuf>,
    },
    /// 移交: upload every file of a batch to the exchange and hand it to an archive
    /// (the logged-in 档案员 of the filing unit). Run again after a cut connection: it
    /// resumes and never makes a second transfer
    Transfer {
        /// The batch folder (from `file`)
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// The receiving archive's unit code, e.g. sz-daj
        #[arg(long, value_name = "UNIT")]
        to: String,
    },
    /// The transfers of your unit (sent, or received by an archive), with the
    /// receiving server's check
    Inbox {
        /// JSON on standard output
        #[arg(long)]
        json: bool,
    },
    /// 接收: the archive's 档案员 takes a transfer in
    Accept {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// 退回: the archive's 档案员 sends a transfer back, with a reason
    Return {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Print the 移交与接收登记表 of a transfer as PDF (from this desk's store, after a
    /// sync)
    Receipt {
        #[arg(value_name = "ID")]
        id: String,
        /// The PDF to write
        #[arg(long, value_name = "FILE.pdf")]
        out: PathBuf,
    },
}

/// The 全宗 and scheme of the filing unit.
#[derive(Args)]
struct UnitArgs {
    /// 年度
    #[arg(long)]
    year: u16,
    /// 全宗号, e.g. Z109
    #[arg(long)]
    fonds: String,
    /// 立档单位名称
    #[arg(long)]
    unit_name: String,
    /// 机构（问题）代码 suggested for every 件, e.g. BGS (omit for a scheme without it)
    #[arg(long)]
    org: Option<String>,
    /// 档案门类代码
    #[arg(long, default_value = "WS")]
    category: String,
    /// The receiving archive
    #[arg(long, default_value = "宿州市档案馆")]
    archive_name: String,
    /// A 保管期限 table replacing the built-in assets/retention.toml
    #[arg(long, value_name = "FILE.toml")]
    retention: Option<PathBuf>,
}

impl UnitArgs {
    fn config(&self) -> ArchiveConfig {
        ArchiveConfig {
            fonds_code: self.fonds.clone(),
            unit_name: self.unit_name.clone(),
            category_code: self.category.clone(),
            default_org: self.org.clone(),
            archive_name: self.archive_name.clone(),
        }
    }

    fn table(&self) -> anyhow::Result<RetentionTable> {
        Ok(match &self.retention {
            Some(p) => RetentionTable::from_toml(
                &std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?,
            )?,
            None => RetentionTable::default(),
        })
    }
}

pub fn archive(data: Option<PathBuf>, args: ArchiveArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Transfer { dir, to } => {
            let store = Mutex::new(open_store(data)?);
            transfer(&store, &dir, &to)
        }
        Action::Inbox { json } => {
            let store = Mutex::new(open_store(data)?);
            let account = account_of(&store)?;
            let client = remote::client_for(&store, &account.server)?;
            let list = runtime()?.block_on(async {
                let token = remote::token_for(&client, &account, false).await?;
                let r = client.transfers(&token.token).await;
                token.finish(&client).await;
                anyhow::Ok(r?)
            })?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                outln!("no transfers");
            } else {
                list.iter().for_each(print_transfer);
            }
            Ok(ExitCode::SUCCESS)
        }
        Action::Accept { id, reason } => {
            let store = Mutex::new(open_store(data)?);
            let transfer_id = parse_transfer_id(&id)?;
            decide(
                &store,
                CommandBody::AcceptTransfer {
                    transfer_id,
                    reason,
                },
            )
        }
        Action::Return { id, reason } => {
            let store = Mutex::new(open_store(data)?);
            let transfer_id = parse_transfer_id(&id)?;
            if reason.trim().is_empty() {
                bail!("a return needs a reason (--reason)");
            }
            decide(
                &store,
                CommandBody::ReturnTransfer {
                    transfer_id,
                    reason,
                },
            )
        }
        Action::Receipt { id, out } => {
            let id = parse_transfer_id(&id)?;
            let store = Mutex::new(open_store(data)?);
            // The latest from the log first, when the exchange can be reached; the
            // store keeps what arrived before, offline too.
            if lock(&store).signed_in()?.is_some() {
                if let Err(e) = runtime()?.block_on(remote::sync_round(&store)) {
                    eprintln!("warning: not synced ({e:#}); printing what this desk holds");
                }
            }
            let transfer = lock(&store)
                .transfer(id)?
                .with_context(|| format!("this desk holds no transfer {id} (log in as an archivist of the sending unit or the archive, and sync)"))?;
            let fonts = FontSet::load(&FontConfig::default())?;
            let pdf = gongwen_archive::report::receipt_pdf(&transfer, &fonts)?;
            std::fs::write(&out, pdf).with_context(|| format!("cannot write {}", out.display()))?;
            outln!("wrote the 移交与接收登记表 of {id} to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Action::Keygen { file } => {
            let (key, public) = gongwen_archive::keygen(&file)?;
            outln!(
                "wrote the signing key {} and its public key {}",
                file.display(),
                public.display()
            );
            outln!("public key: {}", key.public_hex());
            Ok(ExitCode::SUCCESS)
        }
        Action::Propose { unit, out, json } => {
            let store = open_store(data)?;
            let proposal =
                gongwen_archive::propose(&store, &unit.config(), &unit.table()?, unit.year)?;
            if let Some(path) = &out {
                std::fs::write(path, serde_json::to_vec_pretty(&proposal)?)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            if json {
                outln!("{}", serde_json::to_string_pretty(&proposal)?);
            } else {
                print_proposal(&proposal);
                if let Some(path) = &out {
                    outln!("proposal written to {}", path.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Action::File {
            unit,
            proposal,
            key,
            out,
        } => {
            let mut store = open_store(data)?;
            let config = unit.config();
            let proposal: Proposal = match &proposal {
                Some(p) => {
                    let text =
                        std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
                    let proposal: Proposal = serde_json::from_slice(&text).with_context(|| {
                        format!(
                            "{} is not a proposal written by `gongwen archive propose --out`",
                            p.display()
                        )
                    })?;
                    if proposal.year != unit.year {
                        bail!(
                            "the proposal is for {}, not --year {}",
                            proposal.year,
                            unit.year
                        );
                    }
                    proposal
                }
                None => gongwen_archive::propose(&store, &config, &unit.table()?, unit.year)?,
            };
            if proposal.items.is_empty() {
                outln!("nothing to file for {}", unit.year);
                return Ok(ExitCode::SUCCESS);
            }
            let key = UnitKey::load(&key)?;
            let fonts = FontSet::load(&FontConfig::default())?;
            let batch = gongwen_archive::file(
                &mut store,
                &config,
                &proposal,
                &FileOptions {
                    out: &out,
                    key: &key,
                    fonts: &fonts,
                },
            )?;
            for item in &batch.items {
                outln!(
                    "{}  {}  ({} files, {} bytes)",
                    item.archival_code,
                    item.title,
                    item.files,
                    item.bytes
                );
            }
            outln!(
                "filed {} items of {} into {} ({} bytes)",
                batch.items.len(),
                batch.year,
                out.display(),
                batch.total_bytes
            );
            Ok(ExitCode::SUCCESS)
        }
        Action::Check {
            dir,
            store,
            stage,
            public_key,
            clamav_db,
            json,
            html,
        } => {
            let stage = match stage.to_ascii_lowercase().as_str() {
                "gd" | "filing" => Stage::Filing,
                "yj" | "transfer" => Stage::Transfer,
                other => bail!("unknown stage `{other}` (gd for 归档, yj for 移交与接收)"),
            };
            let trusted_key = public_key
                .as_deref()
                .map(gongwen_archive::keys::read_public)
                .transpose()?;
            let clam = ClamAv::detect(clamav_db);
            let opened = if store { Some(open_store(data)?) } else { None };
            let report = gongwen_archive::check_batch(
                &dir,
                &CheckOptions {
                    stage,
                    trusted_key: trusted_key.clone(),
                    scanner: clam.as_ref().map(|c| c as &dyn VirusScanner),
                    store: opened.as_ref(),
                },
            )?;
            if let Some(p) = &json {
                std::fs::write(p, serde_json::to_vec_pretty(&report)?)
                    .with_context(|| format!("cannot write {}", p.display()))?;
            }
            if let Some(p) = &html {
                std::fs::write(p, gongwen_archive::report::html(&report))
                    .with_context(|| format!("cannot write {}", p.display()))?;
            }
            for r in report.problems() {
                let what = match r.status {
                    Status::Fail => "FAIL",
                    _ => "NOT CHECKED",
                };
                outln!("{what} {} {}: {}", r.code, r.subject, r.detail_en);
            }
            if trusted_key.is_none() {
                outln!("note: no --public-key given; each signature was checked against the key inside its package only");
            }
            let fails = report.count(Status::Fail);
            outln!(
                "{} items, {} checks: {} passed, {} failed, {} not checked",
                report.items_checked,
                report.results.len(),
                report.count(Status::Pass),
                fails,
                report.count(Status::NotChecked)
            );
            Ok(if fails > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// 接收 or 退回, sent at once.
fn decide(store: &Mutex<Store>, body: CommandBody) -> anyhow::Result<ExitCode> {
    account_of(store)?;
    let id = body.document_id();
    let outcome = remote::push_now(
        store,
        Command {
            id: CommandId(uuid::Uuid::new_v4()),
            body,
        },
    )?;
    if let CommandResult::Rejected { rejection } = outcome.result {
        bail!("the exchange refused: {}", rejection.message_en);
    }
    outln!("transfer {id}: done");
    Ok(ExitCode::SUCCESS)
}

fn parse_transfer_id(s: &str) -> anyhow::Result<uuid::Uuid> {
    s.trim().parse().with_context(|| {
        format!("{s:?} is not a transfer id (a UUID, as `gongwen archive inbox` lists it)")
    })
}

/// The account logged in now (not merely remembered after a logout), for the commands
/// that act on the exchange in its name.
fn account_of(store: &Mutex<Store>) -> anyhow::Result<gongwen_store::Account> {
    lock(store)
        .signed_in()?
        .context("not logged in: run `gongwen login --server URL --user NAME` first")
}

fn print_transfer(t: &Transfer) {
    outln!(
        "{}  {} → {}  {} {}  {} items, {} bytes  {}  sent {} by {}",
        t.id,
        t.from,
        t.to,
        t.fonds_code,
        t.year,
        t.items,
        t.bytes,
        t.status.as_str(),
        t.sent_at,
        t.sent_by.username
    );
    let c = &t.check;
    outln!(
        "  check (YJ): {} items checked, {} passed, {} failed, {} not checked",
        c.items_checked,
        c.passed,
        c.failed,
        c.not_checked
    );
    for f in &c.findings {
        let what = if f.status == "fail" {
            "FAIL"
        } else {
            "NOT CHECKED"
        };
        outln!("  {what} {} {}: {}", f.code, f.subject, f.detail_en);
    }
    if let Some(by) = &t.decided_by {
        outln!(
            "  {} by {} at {}{}",
            t.status.as_str(),
            by.username,
            t.decided_at.as_deref().unwrap_or(""),
            t.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
    }
}

/// `archive transfer DIR --to UNIT`.
fn transfer(store: &Mutex<Store>, dir: &Path, to: &str) -> anyhow::Result<ExitCode> {
    let account = account_of(store)?;
    if account.user.role != Role::Archivist {
        bail!(
            "{} is {}, not 档案员: only the filing unit's archivist transfers a batch",
            account.user.username,
            account.user.role.as_str()
        );
    }
    let catalogue = gongwen_archive::transfer::read_catalogue(dir)?;
    let files = gongwen_archive::transfer::batch_files(dir)?;
    let id = transfer_id(&catalogue.fonds_code, catalogue.year, &files);
    let client = remote::client_for(store, &account.server)?;
    runtime()?.block_on(async {
        let token = remote::token_for(&client, &account, false).await?;
        let result = send_batch(&client, &token.token, dir, to, &catalogue, files, id).await;
        token.finish(&client).await;
        result
    })
}

async fn send_batch(
    client: &gongwen_sync::Client,
    token: &str,
    dir: &Path,
    to: &str,
    catalogue: &gongwen_archive::transfer::Catalogue,
    files: Vec<TransferFile>,
    id: uuid::Uuid,
) -> anyhow::Result<ExitCode> {
    // Sent before (the answer lost to a cut connection, or a second run): it stands.
    if let Some(view) = client.transfer(token, id).await? {
        outln!("this batch was transferred already; nothing sent again");
        print_transfer(&view.transfer);
        return Ok(ExitCode::SUCCESS);
    }
    // The same 件 in an open transfer with other content: the batch changed after the
    // first attempt. Say what changed rather than send a second transfer.
    for earlier in client.transfers(token).await? {
        if earlier.status == TransferStatus::Returned
            || !earlier
                .archival_codes
                .iter()
                .any(|c| catalogue.archival_codes.contains(c))
        {
            continue;
        }
        let changed = gongwen_archive::transfer::changes(&earlier.files, &files);
        if changed.is_empty() {
            continue;
        }
        bail!(
            "the batch changed since it was transferred ({}, {}); refused:\n  {}",
            earlier.id,
            earlier.status.as_str(),
            changed.join("\n  ")
        );
    }
    let (mut uploaded, mut resumed) = (0usize, 0u64);
    for f in &files {
        let report = client
            .upload_blob(token, &f.sha256, &dir.join(&f.path))
            .await?;
        if !report.already_there {
            uploaded += 1;
            resumed += report.resumed_from;
        }
    }
    outln!(
        "uploaded {uploaded} of {} files ({resumed} bytes were on the server from an earlier try)",
        files.len()
    );
    let command = Command {
        id: CommandId(uuid::Uuid::new_v4()),
        body: CommandBody::Transfer {
            transfer_id: id,
            to: UnitCode(to.to_string()),
            fonds_code: catalogue.fonds_code.clone(),
            year: catalogue.year,
            files,
        },
    };
    let outcome = client
        .push(token, &[command])
        .await?
        .outcomes
        .into_iter()
        .next()
        .context("the server answered no outcome")?;
    if let CommandResult::Rejected { rejection } = outcome.result {
        bail!(
            "the exchange refused the transfer: {}",
            rejection.message_en
        );
    }
    match client.transfer(token, id).await? {
        Some(view) => {
            outln!("transferred to {to}");
            print_transfer(&view.transfer);
            Ok(if view.transfer.check.failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        None => bail!("the exchange accepted transfer {id} but does not show it"),
    }
}

fn print_proposal(p: &Proposal) {
    if p.items.is_empty() {
        outln!(
            "nothing to file for {}: no finished document of that year is unfiled",
            p.year
        );
        return;
    }
    for i in &p.items {
        let changed = if i.retention != i.suggested_retention {
            format!(" (suggested {})", i.suggested_retention.code())
        } else {
            String::new()
        };
        outln!(
            "{}  {}  {}  {}  {}  {}{}  {}",
            i.archival_code,
            i.flow.label(),
            i.date,
            i.doc_number,
            i.responsible,
            i.retention.code(),
            changed,
            i.title
        );
    }
    outln!("{} items for {}", p.items.len(), p.year);
}
