//! What can go wrong with the store, in terms a user can act on.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use gongwen_core::{Classification, DocumentId};

use crate::editable::{Kept, ReadOnly};
use gongwen_core::DocStatus;

/// An error from the store. `Display` is English (logs, CLI); [`StoreError::message_zh`]
/// is the sentence the UI shows.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database {path} was written by a newer Gongwen Desk (schema {found}, this version understands up to {supported}); update the application. The file was not changed"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("the database {path} is damaged ({reason}); it was moved to {moved_to} and nothing was deleted. Open again to start an empty store, or restore a backup")]
    Corrupt {
        path: PathBuf,
        moved_to: PathBuf,
        reason: String,
    },
    #[error(
        "the database is damaged ({reason}); restart the application to check and set it aside"
    )]
    Damaged { reason: String },
    #[error("no document with id {0}")]
    NotFound(DocumentId),
    #[error("document {id} is archived and can no longer be changed")]
    Archived { id: DocumentId },
    /// The document may not be edited (see `Store::read_only`).
    #[error("document {id} {}", .why.message_en())]
    ReadOnly { id: DocumentId, why: ReadOnly },
    /// The document may not go to the 回收站 (see `Store::kept`).
    #[error("document {id} {}", .why.message_en())]
    Kept { id: DocumentId, why: Kept },
    /// No such document in the 回收站 (restored, purged, or never thrown away), or one
    /// the logged-in account may not see.
    #[error("document {0} is not in the trash")]
    NotTrashed(DocumentId),
    /// A status change the store's rules do not allow (see `Store::set_status`).
    #[error("document {id} is {} and cannot be set to {}: a status only moves forward", .from.as_str(), .to.as_str())]
    StatusMove {
        id: DocumentId,
        from: DocStatus,
        to: DocStatus,
    },
    /// The document is filed (归档) under this 档号: its content, status and record
    /// are frozen, it cannot be filed again and is never deleted.
    #[error("document {id} is filed as {archival_code} and can no longer be changed, filed again or deleted")]
    Filed {
        id: DocumentId,
        archival_code: String,
    },
    /// Another document is already filed under this 档号.
    #[error("the archival code {0} is already taken by another filed document")]
    ArchivalCodeTaken(String),
    /// A 保管期限 may only be extended.
    #[error("the retention of {archival_code} is {current}; it can only be extended, not changed to {wanted}")]
    RetentionNotExtended {
        archival_code: String,
        current: String,
        wanted: String,
    },
    #[error("version {version} of document {id} does not exist")]
    NoSuchVersion { id: DocumentId, version: u32 },
    /// A version's author or step name that is empty or too long.
    #[error("a version's {what} must be 1 to 40 characters, not {text:?}")]
    InvalidVersionLabel { what: &'static str, text: String },
    #[error("{0:?} is not a SHA-256 hash (64 hexadecimal digits)")]
    InvalidHash(String),
    #[error("attachment file {sha256} is missing from {dir}")]
    AttachmentMissing { sha256: String, dir: PathBuf },
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
    #[error("the disk is full; nothing was saved")]
    DiskFull,
    #[error("the database is in use by another program; try again")]
    Busy,
    /// Another 公文桌 (this account's or another's, see [`crate::FolderLock`]) has the
    /// data folder open; a second writer could overwrite its newer versions.
    #[error("the data folder {} is in use by another Gongwen Desk{}; close that window first, or start with another data folder", .dir.display(), .holder.map(|pid| format!(" (process {pid})")).unwrap_or_default())]
    InUse { dir: PathBuf, holder: Option<u32> },
    /// The edit was based on `base`, but `current` has been saved since (in another
    /// window or by another program): saving would silently replace that newer text.
    #[error("document {id} has been saved as version {current} since version {base}, which this edit is based on; the save was refused so neither text is lost")]
    Conflict {
        id: DocumentId,
        base: u32,
        current: u32,
    },
    #[error("the stored data of a document could not be read: {0}")]
    BadRecord(String),
    /// A command for the exchange that cannot be queued as asked (checked locally,
    /// before anything is written); `message_zh` is for the UI.
    #[error("{message}")]
    CommandRefused { message: String, message_zh: String },
    /// The document's 密级 is above what the logged-in account may see (非密 when
    /// nobody is logged in): see `Store::clearance`.
    #[error("the document is {classification:?}, above the clearance of {} ({clearance:?})", if *.signed_in { "the logged-in account" } else { "a computer with nobody logged in" })]
    AboveClearance {
        classification: Classification,
        clearance: Classification,
        signed_in: bool,
    },
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("database upgrade failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
}

impl StoreError {
    /// The message for the UI, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            StoreError::NewerSchema { found, supported, .. } => format!(
                "本地数据库由更新版本的公文桌创建（结构版本{found}，本版本最高支持{supported}），请升级软件。数据库文件未作任何改动。"
            ),
            StoreError::Corrupt { moved_to, .. } => format!(
                "本地数据库已损坏，已移至“{}”，未删除任何文件。再次打开将新建空数据库，也可从备份恢复。",
                moved_to.display()
            ),
            StoreError::Damaged { .. } => "本地数据库已损坏，请重新启动软件进行检查。".to_string(),
            StoreError::NotFound(_) => "找不到该公文，可能已被删除。".to_string(),
            StoreError::Archived { .. } => ReadOnly::Archived.message_zh().to_string(),
            StoreError::ReadOnly { why, .. } => why.message_zh().to_string(),
            StoreError::Kept { why, .. } => why.message_zh().to_string(),
            StoreError::NotTrashed(_) => "回收站中没有该公文：可能已恢复或已彻底删除。".to_string(),
            StoreError::StatusMove { from, to, .. } => format!(
                "该公文现为“{}”，不能改为“{}”：公文状态只能向前推进。",
                from.label(),
                to.label()
            ),
            StoreError::Filed { archival_code, .. } => format!(
                "该公文已归档（档号 {archival_code}），不能修改、重复归档或删除。"
            ),
            StoreError::ArchivalCodeTaken(code) => format!("档号 {code} 已被其他归档文件使用。"),
            StoreError::RetentionNotExtended { archival_code, current, wanted } => format!(
                "档号 {archival_code} 的保管期限为{current}，只能延长，不能改为{wanted}。"
            ),
            StoreError::NoSuchVersion { version, .. } => format!("该公文没有第{version}版。"),
            StoreError::InvalidVersionLabel { what, .. } => format!(
                "版本的{}须为1至40个字。",
                if *what == "step" { "环节名称" } else { "制作人" }
            ),
            StoreError::InvalidHash(_) => "附件标识无效。".to_string(),
            StoreError::AttachmentMissing { .. } => "附件文件缺失，请重新添加附件。".to_string(),
            StoreError::Read { path, .. } => format!("无法读取文件“{}”。", path.display()),
            StoreError::Write { path, .. } => format!("无法写入“{}”，请检查磁盘和权限。", path.display()),
            StoreError::DiskFull => "磁盘空间已满，本次内容未保存，请清理磁盘后重试。".to_string(),
            StoreError::Busy => "数据库正被其他程序使用，请稍后重试。".to_string(),
            StoreError::InUse { dir, .. } => format!(
                "数据文件夹“{}”正由另一个公文桌窗口使用。请先关闭那个窗口，或换用其他数据文件夹。",
                dir.display()
            ),
            StoreError::Conflict { base, current, .. } => format!(
                "冲突：该公文已在别处保存为第{current}版，您的修改基于第{base}版，未保存，以免覆盖对方的内容。"
            ),
            StoreError::BadRecord(_) => "公文数据无法读取，可能已损坏。".to_string(),
            StoreError::CommandRefused { message_zh, .. } => message_zh.clone(),
            StoreError::AboveClearance { classification, clearance, signed_in: true } => format!(
                "公文密级为{}，超出当前登录账号的知悉范围（{}）。",
                classification.label(),
                clearance.label()
            ),
            StoreError::AboveClearance { classification, .. } => format!(
                "未登录时只能处理非密公文；{}公文请先登录有相应密级的账号。",
                classification.label()
            ),
            StoreError::Sqlite(_) | StoreError::Migration(_) => "本地数据库出错，请重试；如仍失败请联系管理员。".to_string(),
        }
    }
}

/// How many times this process has met a damaged database page. A [`crate::Store`]
/// that sees this grow while it is open keeps its session marker when dropped, so the
/// next open runs the full check (see `schema::open_checked`). Counted per process, not
/// per store: with several stores open, all of them are checked again, which errs on
/// the safe side.
pub(crate) static DAMAGE_SEEN: AtomicU64 = AtomicU64::new(0);

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::DiskFull,
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy,
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                DAMAGE_SEEN.fetch_add(1, Ordering::SeqCst);
                tracing::error!("database damaged: {e}");
                StoreError::Damaged {
                    reason: e.to_string(),
                }
            }
            _ => StoreError::Sqlite(e),
        }
    }
}
