//! `gongwen archive`: 归档 offline — `keygen` (the unit's SM2 signing key), `propose`
//! (what to file for a year, with suggested 保管期限 and 档号), `file` (write the batch
//! of DA/T 48 packages and record the filings) and `check` (四性检测 of a batch, as JSON
//! and a Chinese HTML report). Thin wrappers over `gongwen-archive`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use gongwen_archive::file::FileOptions;
use gongwen_archive::{
    ArchiveConfig, CheckOptions, ClamAv, Proposal, RetentionTable, Stage, Status, UnitKey,
    VirusScanner,
};
use gongwen_typeset::{FontConfig, FontSet};

use crate::commands::open_store;
use crate::output::outln;

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
