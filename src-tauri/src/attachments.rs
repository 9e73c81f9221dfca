//! 附件 files: 添加附件文件 in the editor and 另存为 in the reading view.
//!
//! Both native file dialogs are opened here, in Rust, so the page never names a path:
//! a page that could would be able to read any file of the user into a document that
//! then leaves the machine. The store keeps each file once, named by its SHA-256; the
//! sync loop uploads it with the dispatch and downloads it at the recipient.

use std::path::Path;

use gongwen_core::Classification;

use gongwen_store::Store;
use tauri::{AppHandle, State};

use crate::commands::{parse_id, shared_store, Answer, SaveResult};
use crate::dialogs::{self, Ask};
use crate::AppState;

/// 添加附件文件: asks for a file and attaches it to the draft under its file name
/// (without the extension) as the 附件名称, as a new version. `None` when the clerk
/// cancelled. Only a document the store says may be edited takes files (asked before
/// the dialog, so the clerk is not asked for a file in vain; the store checks again as
/// it lists the file).
#[tauri::command]
pub async fn attach_file(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
) -> Answer<Option<SaveResult>> {
    let id = parse_id(&id)?;
    let store = shared_store(&state)?;
    {
        let store = gongwen_store::lock(&store);
        if let Some(why) = store.read_only(id).map_err(|e| e.message_zh())? {
            return Err(why.message_zh().into());
        }
    }
    let Some(path) = dialogs::choose(
        &app,
        Ask::Open {
            title: "添加附件"
        },
    )
    .await?
    else {
        return Ok(None);
    };
    let name = attachment_name(&path);
    // Copying a large file takes a while: off the main thread, and without the store's
    // lock, so the sync and the rest of the window go on meanwhile.
    let added = tauri::async_runtime::spawn_blocking(move || {
        let refused = |e: gongwen_store::StoreError| {
            tracing::warn!(%id, path = %path.display(), error = %e, "cannot attach the file");
            e.message_zh()
        };
        let dir = gongwen_store::lock(&store).attachments_dir();
        let staged = Store::stage_file(&dir, &path).map_err(refused)?;
        let mut store = gongwen_store::lock(&store);
        store.add_staged_file(id, &name, staged).map_err(refused)
    })
    .await
    .map_err(|_| "添加附件失败：内部错误。".to_string())??;
    tracing::info!(%id, version = added.version, "attachment file added");
    Ok(Some(SaveResult {
        problems: gongwen_core::validate(&added.document),
        stored: added,
    }))
}

/// 另存为: asks where to save a copy of the attachment file `sha256` of document `id`
/// (default name: `file_name`) and copies it there. `None` when the clerk cancelled.
/// Only a file the document lists, of a document the logged-in account may see.
#[tauri::command]
pub async fn save_attachment_as(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    sha256: String,
    file_name: String,
) -> Answer<Option<String>> {
    let id = parse_id(&id)?;
    let (source, private) = {
        let store = shared_store(&state)?;
        let store = gongwen_store::lock(&store);
        // A classified document's file is saved private, as its PDF is.
        let private = store
            .get(id)
            .ok()
            .flatten()
            .is_none_or(|d| d.document.classification != Classification::Unclassified);
        match store.attachment_of(id, &sha256) {
            Ok(path) => (path, private),
            Err(gongwen_store::StoreError::AttachmentMissing { .. }) => {
                return Err("附件文件尚未下载到本机，请联网同步后再试。".into())
            }
            Err(e) => return Err(e.message_zh()),
        }
    };
    // Only a name is offered to the dialog, never a folder from the page.
    let suggested = Path::new(&file_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "附件".to_string());
    let ask = Ask::Save {
        title: "另存附件",
        file_name: suggested,
        filter: None,
    };
    let Some(target) = dialogs::choose(&app, ask).await? else {
        return Ok(None);
    };
    let to = target.clone();
    // Streamed: an attachment may be hundreds of megabytes.
    tauri::async_runtime::spawn_blocking(move || {
        let mut input = std::fs::File::open(&source).map_err(|e| {
            tracing::error!(path = %source.display(), error = %e, "cannot read the attachment");
            "无法读取附件文件。".to_string()
        })?;
        crate::preview::write_atomic_with(&to, private, |file| {
            std::io::copy(&mut input, file).map(|_| ())
        })
    })
    .await
    .map_err(|_| "保存失败：内部错误。".to_string())??;
    tracing::info!(path = %target.display(), "attachment saved");
    Ok(Some(target.display().to_string()))
}

/// The 附件名称 a file gets: its name without the extension (`关于X的清单.xlsx` →
/// `关于X的清单`); the clerk can edit it in the 附件 field.
fn attachment_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "附件".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attachment_is_named_after_its_file_without_the_extension() {
        assert_eq!(
            attachment_name(Path::new("/tmp/2026年第四季度重点项目清单.xlsx")),
            "2026年第四季度重点项目清单"
        );
        assert_eq!(attachment_name(Path::new("/tmp/.xlsx")), ".xlsx");
        assert_eq!(attachment_name(Path::new("/")), "附件");
    }
}
