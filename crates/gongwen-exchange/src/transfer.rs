//! 移交: a unit's 档案员 hands a filed batch to an archive (宿州市档案馆, `sz-daj` in the
//! demo), and the archive's 档案员 takes it in (接收) or sends it back (退回) with a
//! reason. Commands on the usual path (id, idempotency, outcome, audit, log); the
//! files come first through the resumable, hash-addressed uploads.
//!
//! On arrival the server stages the batch from the uploaded files under
//! `DATA/archive/<transfer id>/` and re-runs 四性检测 at stage YJ
//! ([`gongwen_archive::check_batch`]); the result is kept with the transfer and reaches
//! both units' logs. Which units are archives is configuration (`archive_units`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use gongwen_core::transfer::{
    CheckFinding, CheckSummary, Person, Transfer, TransferFile, TransferStatus,
};
use gongwen_core::wire::{
    ChangeEntry, CommandBody, CommandOutcome, RejectCode, Rejection, Role, UnitCode, UserInfo,
};
use tokio::io::AsyncWriteExt;

use crate::api::{now, AppState};
use crate::commands::outcome_of;
use crate::error::ApiError;
use crate::storage::{AuditDraft, CommandRecord, Commit, LogWrite, StorageError, TransferWrite};

/// How often a transfer command is decided again after losing a race.
const MAX_ATTEMPTS: usize = 16;

/// Which units are archives, and where the server keeps what they received.
#[derive(Debug, Default)]
pub struct ArchiveSettings {
    /// Units that may receive transfers (`archive_units`).
    pub units: Vec<UnitCode>,
    /// `DATA/archive`: one folder per transfer, the batch as it arrived.
    pub dir: PathBuf,
    /// A ClamAV database for the re-check's virus scan (`clamscan -d`); None: its own.
    pub clamav_db: Option<PathBuf>,
    /// Held from staging to commit: two arrivals of one batch at once must not move
    /// their folders over each other (arrivals are rare; one at a time is plenty).
    pub arrivals: tokio::sync::Mutex<()>,
}

impl ArchiveSettings {
    pub fn is_archive(&self, unit: &UnitCode) -> bool {
        self.units.contains(unit)
    }
}

fn reject(code: RejectCode, zh: impl Into<String>, en: impl Into<String>) -> Rejection {
    Rejection {
        code,
        message: zh.into(),
        message_en: en.into(),
    }
}

/// The one refusal for a transfer the caller may not see: the same whether it does
/// not exist, is another unit's, or is above their clearance, so nothing leaks.
fn not_found(id: uuid::Uuid) -> Rejection {
    reject(
        RejectCode::NotFound,
        "没有这次移交",
        format!("no transfer {id}"),
    )
}

/// Whether `user` may read this transfer: a 档案员 of the sending unit or of the archive,
/// cleared for its highest 密级.
pub fn may_read(user: &UserInfo, t: &Transfer) -> bool {
    user.role == Role::Archivist
        && (user.unit == t.from || user.unit == t.to)
        && user.clearance >= t.classification
}

/// A path of the batch as sent: relative, `/`-separated, no `..`, nothing odd.
fn safe_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 1024
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// A `transfer`, `accept_transfer` or `return_transfer` command.
pub async fn apply(
    st: &AppState,
    user: &UserInfo,
    client: &str,
    pushed: &crate::commands::Pushed,
) -> Result<CommandOutcome, ApiError> {
    let command = &pushed.command;
    let kind = command.body.kind();
    for _ in 0..MAX_ATTEMPTS {
        if let Some(outcome) = crate::commands::replayed(st, user, pushed).await? {
            return Ok(outcome);
        }
        let _arriving = match &command.body {
            CommandBody::Transfer { .. } => Some(st.archive.arrivals.lock().await),
            _ => None,
        };
        let at = now();
        let (decision, staged) = match &command.body {
            CommandBody::Transfer { .. } => match arrive(st, user, &command.body, &at).await? {
                Ok((write, staged)) => (Ok(write), Some(staged)),
                Err(r) => (Err(r), None),
            },
            CommandBody::AcceptTransfer { .. } | CommandBody::ReturnTransfer { .. } => {
                (decide(st, user, &command.body, &at).await?, None)
            }
            _ => return Err(ApiError::internal("not a transfer command")),
        };
        let outcome = outcome_of(command.id, &decision, &at);
        let detail = match &decision {
            Ok(w) => serde_json::json!({
                "command_id": command.id, "result": "accepted", "transfer_id": w.transfer.id,
                "from": w.transfer.from, "to": w.transfer.to, "status": w.transfer.status.as_str(),
                "items": w.transfer.items, "bytes": w.transfer.bytes,
                "check_failed": w.transfer.check.failed, "reason": w.transfer.reason,
            }),
            Err(r) => serde_json::json!({
                "command_id": command.id, "result": "rejected",
                "code": r.code, "reason": r.message_en,
            }),
        };
        let log = match &decision {
            Ok(w) => {
                let entry = serde_json::to_string(&ChangeEntry::Transfer {
                    transfer: Box::new(w.transfer.clone()),
                })
                .map_err(ApiError::internal)?;
                [&w.transfer.from, &w.transfer.to]
                    .into_iter()
                    .map(|unit| LogWrite {
                        unit: unit.clone(),
                        classification: w.transfer.classification,
                        entry: entry.clone(),
                        content: None,
                    })
                    .collect()
            }
            Err(_) => Vec::new(),
        };
        let commit = Commit {
            command: CommandRecord {
                command_id: command.id.0,
                unit: user.unit.clone(),
                username: user.username.clone(),
                client: client.to_string(),
                kind: kind.to_string(),
                payload_hash: pushed.payload_hash.clone(),
                outcome: serde_json::to_string(&outcome).map_err(ApiError::internal)?,
                at: at.clone(),
            },
            workflow: None,
            document: None,
            log,
            contents: Vec::new(),
            numbers: Vec::new(),
            delegation: None,
            transfer: decision.ok(),
            audit: AuditDraft {
                at,
                username: user.username.clone(),
                unit: user.unit.clone(),
                client: client.to_string(),
                action: format!("command {kind}"),
                detail: detail.to_string(),
            },
        };
        let result = st.storage.commit(&commit).await;
        if result.is_err() {
            // Not recorded: what was staged for it goes too (a retry stages again).
            if let Some(dir) = &staged {
                remove_dir(dir).await;
            }
        }
        match result {
            Ok(_) => {
                tracing::info!(command_id = %command.id, kind, username = %user.username, "command");
                return Ok(outcome);
            }
            Err(StorageError::DuplicateCommand(_)) | Err(StorageError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::unavailable(format!(
        "command {} kept losing races on its transfer; send it again",
        command.id
    )))
}

async fn remove_dir(dir: &Path) {
    if let Err(e) = tokio::fs::remove_dir_all(dir).await {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot remove a staged transfer");
        }
    }
}

/// A transfer arriving: who sends it to whom, every file uploaded by the sender, the
/// batch staged and checked at stage YJ. Ok: what to write and where it was staged.
async fn arrive(
    st: &AppState,
    user: &UserInfo,
    body: &CommandBody,
    at: &str,
) -> Result<Result<(TransferWrite, PathBuf), Rejection>, ApiError> {
    let CommandBody::Transfer {
        transfer_id,
        to,
        fonds_code,
        year,
        files,
    } = body
    else {
        return Err(ApiError::internal("not a transfer"));
    };
    let id = *transfer_id;
    // One transfer per id (a re-send after a lost answer comes as a new command).
    if let Some(existing) = st.storage.transfer(id).await? {
        let t = existing.transfer;
        return Ok(Err(if may_read(user, &t) {
            reject(
                RejectCode::InvalidState,
                format!("该批次已移交（{}），不重复移交", t.status.label()),
                format!("this batch was transferred already ({})", t.status.as_str()),
            )
        } else {
            not_found(id)
        }));
    }
    if user.role != Role::Archivist {
        return Ok(Err(reject(
            RejectCode::Forbidden,
            "只有本单位的档案员可以移交档案",
            format!(
                "{} is {}, not 档案员: only the unit's archivist transfers a batch",
                user.username,
                user.role.as_str()
            ),
        )));
    }
    let units = st.storage.units().await?;
    let unit_name = |code: &UnitCode| {
        units
            .iter()
            .find(|u| &u.code == code)
            .map(|u| u.name.clone())
    };
    let Some(to_name) = unit_name(to).filter(|_| st.archive.is_archive(to)) else {
        return Ok(Err(reject(
            RejectCode::Invalid,
            format!("接收单位 {to} 不是档案馆，不能接收移交"),
            format!("the receiving unit {to} is not an archive (archive_units)"),
        )));
    };
    let Some(from_name) = unit_name(&user.unit) else {
        return Err(ApiError::internal(format!("unit {} is unknown", user.unit)));
    };
    // The files: a sane list, each uploaded whole by this user.
    let mut paths = HashSet::new();
    for f in files {
        if !safe_path(&f.path) || !paths.insert(f.path.as_str()) {
            return Ok(Err(reject(
                RejectCode::Invalid,
                format!("移交文件清单中的路径“{}”无效或重复", f.path),
                format!(
                    "the file list holds an invalid or repeated path {:?}",
                    f.path
                ),
            )));
        }
        if gongwen_core::digest::parse_sha256(&f.sha256).as_deref() != Some(f.sha256.as_str()) {
            return Ok(Err(reject(
                RejectCode::Invalid,
                format!("文件“{}”的摘要不是 SHA-256", f.path),
                format!("{}: {:?} is not a lower-case SHA-256", f.path, f.sha256),
            )));
        }
    }
    if !paths.contains(gongwen_archive::file::CATALOGUE_XML) {
        return Ok(Err(reject(
            RejectCode::Invalid,
            "移交的批次没有文件目录.XML",
            "the batch has no 文件目录.XML",
        )));
    }
    for f in files {
        let complete = st
            .blobs
            .complete_len(&f.sha256)
            .await
            .map_err(ApiError::internal)?;
        let granted = st
            .storage
            .upload_granted(&f.sha256, &user.username, user.clearance)
            .await?;
        if complete != Some(f.size) || !granted {
            return Ok(Err(reject(
                RejectCode::MissingAttachment,
                format!("文件“{}”尚未上传完整，请重新移交", f.path),
                format!(
                    "{} ({}) was not uploaded whole by {}",
                    f.path, f.sha256, user.username
                ),
            )));
        }
    }
    // Staged beside its final place and moved there whole, so a folder under
    // DATA/archive is always a whole batch.
    let staging = st
        .archive
        .dir
        .join(format!(".staging-{id}-{}", uuid::Uuid::new_v4()));
    if let Err(e) = stage(st, &staging, files).await {
        remove_dir(&staging).await;
        return Err(e);
    }
    let catalogue = {
        let dir = staging.clone();
        tokio::task::spawn_blocking(move || gongwen_archive::transfer::read_catalogue(&dir))
            .await
            .map_err(ApiError::internal)?
    };
    let catalogue = match catalogue {
        Ok(c) => c,
        Err(e) => {
            remove_dir(&staging).await;
            return Ok(Err(reject(
                RejectCode::Invalid,
                format!("文件目录.XML 无法读取：{e}"),
                format!("the catalogue cannot be read: {e}"),
            )));
        }
    };
    let problem = if catalogue.unit_name != from_name {
        Some(reject(
            RejectCode::Forbidden,
            format!(
                "该批次的立档单位是“{}”，不是本单位（{from_name}），不能由本单位移交",
                catalogue.unit_name
            ),
            format!(
                "the batch's 立档单位 is {:?}, not the sender's unit {from_name:?}",
                catalogue.unit_name
            ),
        ))
    } else if &catalogue.fonds_code != fonds_code || catalogue.year != *year {
        Some(reject(
            RejectCode::Invalid,
            "移交命令的全宗号或年度与文件目录不符",
            format!(
                "the command says {fonds_code}/{year}, the catalogue {}/{}",
                catalogue.fonds_code, catalogue.year
            ),
        ))
    } else if gongwen_core::transfer::transfer_id(fonds_code, *year, files) != id {
        Some(reject(
            RejectCode::Invalid,
            "移交编号与批次不符",
            format!("the transfer id {id} is not the one of this batch"),
        ))
    } else if catalogue.classification > user.clearance {
        Some(reject(
            RejectCode::AboveClearance,
            format!(
                "该批次含{}文件，超出本人密级",
                catalogue.classification.label()
            ),
            format!(
                "the batch holds {} items, above the sender's clearance",
                catalogue.classification.as_str()
            ),
        ))
    } else {
        let held = st
            .storage
            .transfers_holding(&catalogue.archival_codes)
            .await?;
        held.first().map(|(code, other)| {
            reject(
                RejectCode::InvalidState,
                format!("{code} 已在另一次移交（{other}）中，不能重复移交"),
                format!("{code} is in transfer {other} already (arrived or accepted)"),
            )
        })
    };
    if let Some(r) = problem {
        remove_dir(&staging).await;
        return Ok(Err(r));
    }
    // 四性检测 at stage YJ on what arrived. The signature is checked against the key in
    // each package (no key of the unit is pinned on the server yet).
    let report = {
        let dir = staging.clone();
        let clamav_db = st.archive.clamav_db.clone();
        tokio::task::spawn_blocking(move || {
            let clam = gongwen_archive::ClamAv::detect(clamav_db);
            gongwen_archive::check_batch(
                &dir,
                &gongwen_archive::CheckOptions {
                    stage: gongwen_archive::Stage::Transfer,
                    trusted_key: None,
                    scanner: clam
                        .as_ref()
                        .map(|c| c as &dyn gongwen_archive::VirusScanner),
                    store: None,
                },
            )
        })
        .await
        .map_err(ApiError::internal)?
    };
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            remove_dir(&staging).await;
            return Err(ApiError::internal(format!("checking transfer {id}: {e}")));
        }
    };
    let final_dir = st.archive.dir.join(id.to_string());
    // A folder left by an attempt that was never recorded (a crash between the move and
    // the commit) is replaced.
    remove_dir(&final_dir).await;
    tokio::fs::rename(&staging, &final_dir)
        .await
        .map_err(|e| ApiError::internal(format!("moving the staged transfer {id}: {e}")))?;
    let sender = st.storage.user(&user.username).await?;
    let transfer = Transfer {
        id,
        from: user.unit.clone(),
        from_name,
        to: to.clone(),
        to_name,
        fonds_code: catalogue.fonds_code.clone(),
        year: catalogue.year,
        archival_codes: catalogue.archival_codes.clone(),
        items: catalogue.items,
        bytes: catalogue.bytes,
        files: files.clone(),
        classification: catalogue.classification,
        sent_by: Person {
            username: user.username.clone(),
            name: sender
                .map(|u| u.info.display_name)
                .unwrap_or_else(|| user.display_name.clone()),
        },
        sent_at: at.to_string(),
        status: TransferStatus::Arrived,
        check: summary(&report),
        decided_by: None,
        decided_at: None,
        reason: None,
    };
    Ok(Ok((
        TransferWrite {
            transfer,
            expected: None,
            report: Some(serde_json::to_string(&report).map_err(ApiError::internal)?),
        },
        final_dir,
    )))
}

/// Copies each uploaded file to its path under `dir`.
async fn stage(st: &AppState, dir: &Path, files: &[TransferFile]) -> Result<(), ApiError> {
    for f in files {
        let path = dir.join(&f.path);
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| ApiError::internal(format!("staging {}: {e}", parent.display())))?;
        }
        let Some(mut reader) = st
            .blobs
            .open(&f.sha256, 0, None)
            .await
            .map_err(ApiError::internal)?
        else {
            return Err(ApiError::internal(format!(
                "{} vanished while staging",
                f.sha256
            )));
        };
        let mut out = tokio::fs::File::create(&path)
            .await
            .map_err(|e| ApiError::internal(format!("staging {}: {e}", path.display())))?;
        tokio::io::copy(&mut reader, &mut out)
            .await
            .map_err(|e| ApiError::internal(format!("staging {}: {e}", path.display())))?;
        out.flush()
            .await
            .map_err(|e| ApiError::internal(format!("staging {}: {e}", path.display())))?;
    }
    Ok(())
}

fn summary(report: &gongwen_archive::CheckReport) -> CheckSummary {
    use gongwen_archive::Status;
    CheckSummary {
        items_checked: report.items_checked as u64,
        passed: report.count(Status::Pass) as u64,
        failed: report.count(Status::Fail) as u64,
        not_checked: report.count(Status::NotChecked) as u64,
        findings: report
            .problems()
            .map(|r| CheckFinding {
                code: r.code.clone(),
                subject: r.subject.clone(),
                status: r.status.as_str().to_string(),
                item: r.item.clone(),
                detail: r.detail.clone(),
                detail_en: r.detail_en.clone(),
            })
            .collect(),
        scanner: report.scanner.clone(),
    }
}

/// 接收 or 退回 by the archive's 档案员.
async fn decide(
    st: &AppState,
    user: &UserInfo,
    body: &CommandBody,
    at: &str,
) -> Result<Result<TransferWrite, Rejection>, ApiError> {
    let (id, accept, reason) = match body {
        CommandBody::AcceptTransfer {
            transfer_id,
            reason,
        } => (*transfer_id, true, reason.clone()),
        CommandBody::ReturnTransfer {
            transfer_id,
            reason,
        } => (*transfer_id, false, Some(reason.clone())),
        _ => return Err(ApiError::internal("not a decision on a transfer")),
    };
    let Some(record) = st.storage.transfer(id).await? else {
        return Ok(Err(not_found(id)));
    };
    let mut t = record.transfer;
    // Only the archive decides; to anyone else the transfer does not exist.
    if user.unit != t.to || user.role != Role::Archivist || user.clearance < t.classification {
        return Ok(Err(not_found(id)));
    }
    if t.status != TransferStatus::Arrived {
        return Ok(Err(reject(
            RejectCode::InvalidState,
            format!("该移交{}，不能再次决定", t.status.label()),
            format!("transfer {id} is {} already", t.status.as_str()),
        )));
    }
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if !accept && reason.is_none() {
        return Ok(Err(reject(
            RejectCode::Invalid,
            "退回须说明理由",
            "a return needs a reason",
        )));
    }
    if accept && t.check.failed > 0 {
        return Ok(Err(reject(
            RejectCode::InvalidState,
            format!(
                "接收时检测不通过（{}），不能接收，请退回",
                t.check.verdict_zh()
            ),
            format!(
                "the arrival check failed {} item(s); return the batch instead",
                t.check.failed
            ),
        )));
    }
    let me = st.storage.user(&user.username).await?;
    t.status = if accept {
        TransferStatus::Accepted
    } else {
        TransferStatus::Returned
    };
    t.decided_by = Some(Person {
        username: user.username.clone(),
        name: me
            .map(|u| u.info.display_name)
            .unwrap_or_else(|| user.display_name.clone()),
    });
    t.decided_at = Some(at.to_string());
    t.reason = reason;
    Ok(Ok(TransferWrite {
        transfer: t,
        expected: Some(TransferStatus::Arrived),
        report: None,
    }))
}
