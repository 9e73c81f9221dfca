//! 归档: finished 公文 filed offline into DA/T 48 packages and checked with DA/T 70
//! 四性检测.
//!
//! * [`retention`]: the 保管期限 table (`assets/retention.toml`), suggested per 文种
//!   and direction.
//! * [`propose`]: every 办结 document of a year not filed yet, grouped per DA/T 22
//!   (年度 → 保管期限 → 机构), each with a suggested 保管期限, 机构 and the 档号 it would get.
//! * [`file`]: assembles each 件 (正本 PDF, 定稿 PDF, attachments, 办理单, revision
//!   trail), writes one signed DA/T 48 封装包 per 件 and the batch carrier (说明文件.TXT,
//!   文件目录.XML, 电子档案/, 其他/ with the 归档文件目录 XLSX), and records the filings
//!   in the store, which then refuses to change them.
//! * [`check`]: 四性检测 of a batch (and of the store's records), with DA/T 70 item codes,
//!   as JSON and a Chinese HTML report.
//!
//! * [`transfer`]: what a batch sends at 移交 (every file and its SHA-256, the
//!   catalogue's 全宗号/年度/档号/密级) and what changed since a first attempt.
//!
//! Architecture invariant: no network. Everything here works on the archivist's laptop
//! offline; sending a batch is the CLI's (gongwen-sync), and the exchange re-runs
//! [`check_batch`] on what arrived.

pub mod check;
mod digest;
mod eep;
pub mod file;
pub mod keys;
pub mod propose;
pub mod report;
pub mod retention;
pub mod scan;
pub mod transfer;

pub use check::{check_batch, CheckOptions, CheckReport, ItemResult, Stage, Status};
pub use digest::{sha256_hex, sm3_hex, FileDigests};
pub use file::{file, handling_slip, Component, FiledBatch, FiledItem};
pub use keys::{keygen, UnitKey};
pub use propose::{propose, renumber, Proposal, ProposedItem};
pub use retention::RetentionTable;
pub use scan::{ClamAv, ScanOutcome, VirusScanner};

use std::path::PathBuf;

/// Who files: the unit's 全宗 and the defaults of its scheme.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ArchiveConfig {
    /// 全宗号, e.g. `Z109`.
    pub fonds_code: String,
    /// 立档单位名称 (also the 全宗名称), e.g. `宿州市发展和改革委员会`.
    pub unit_name: String,
    /// 档案门类代码: `WS` (文书).
    pub category_code: String,
    /// 机构（问题）代码 suggested for every 件 (e.g. `BGS`); `None` for a scheme
    /// without that level.
    pub default_org: Option<String>,
    /// The archive the batches go to, e.g. `宿州市档案馆`.
    pub archive_name: String,
}

impl ArchiveConfig {
    /// Checks the 全宗号, 门类代码 and 机构代码 the way a 档号 would.
    pub fn validate(&self) -> Result<(), ArchiveError> {
        let probe = gongwen_core::archival::ArchivalCode {
            fonds_code: self.fonds_code.clone(),
            category_code: self.category_code.clone(),
            year: 2026,
            retention: gongwen_core::archival::RetentionPeriod::Permanent,
            org_code: self.default_org.clone(),
            item_number: 1,
        };
        probe.validate()?;
        if self.unit_name.trim().is_empty() {
            return Err(ArchiveError::Config(
                "the unit name (立档单位名称) is empty".into(),
            ));
        }
        Ok(())
    }
}

/// What can go wrong while proposing, filing or checking, in English (logs, CLI).
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Store(#[from] gongwen_store::StoreError),
    #[error(transparent)]
    Code(#[from] gongwen_core::archival::ArchivalCodeError),
    #[error("typesetting {title:?} failed: {source}")]
    Typeset {
        title: String,
        #[source]
        source: gongwen_typeset::TypesetError,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the key file {path} is not a unit key written by `gongwen archive keygen`: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("the retention table is not valid: {0}")]
    RetentionTable(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("the proposal is not valid: {0}")]
    Proposal(String),
    #[error("{0} already holds a batch (文件目录.XML); file into a new folder")]
    BatchExists(PathBuf),
    #[error("{0} is not empty; file into a new folder")]
    BatchNotEmpty(PathBuf),
    #[error(
        "nobody is logged in: 归档 works on the logged-in account's unit and is recorded in its name; log in first"
    )]
    NotSignedIn,
    #[error("{username} is {role}, not 档案员: only the unit's archivist files documents")]
    NotArchivist {
        username: String,
        role: &'static str,
    },
    #[error("cannot write the catalogue XLSX: {0}")]
    Xlsx(String),
}

pub(crate) fn read(path: &std::path::Path) -> Result<Vec<u8>, ArchiveError> {
    std::fs::read(path).map_err(|source| ArchiveError::Read {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn write(path: &std::path::Path, bytes: &[u8]) -> Result<(), ArchiveError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| ArchiveError::Write {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(path, bytes).map_err(|source| ArchiveError::Write {
        path: path.to_path_buf(),
        source,
    })
}
