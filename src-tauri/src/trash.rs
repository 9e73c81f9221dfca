//! 回收站 (#14.9): the list offers 删除 for drafts that never left the desk, which go
//! into the 回收站; there they can be restored for 30 days or 彻底删除d. Every rule is
//! the store's (`Store::trash`, `editable::kept`); these commands parse ids and turn
//! refusals into Chinese. No login is needed (drafts are local), and the store keeps
//! to the logged-in account's clearance (非密 only while nobody is logged in).

use gongwen_core::DocumentId;
use gongwen_store::{StoredDocument, TrashedDocument};
use tauri::State;

use crate::commands::{parse_id, with_store, Answer};
use crate::AppState;

/// Ids the list shows at most at once; more is not a list page.
const MAX_IDS: usize = 1000;

/// Of the documents a list shows, the ones it may offer 删除 for.
#[tauri::command]
pub fn trashable_documents(
    state: State<'_, AppState>,
    ids: Vec<String>,
) -> Answer<Vec<DocumentId>> {
    if ids.len() > MAX_IDS {
        tracing::warn!(
            count = ids.len(),
            "the UI asked about too many documents at once"
        );
        return Err(format!("一次最多查询 {MAX_IDS} 件公文。"));
    }
    let ids = ids
        .iter()
        .map(|id| parse_id(id))
        .collect::<Answer<Vec<DocumentId>>>()?;
    with_store(&state, "find the documents that may be deleted", |s| {
        s.trashable(&ids)
    })
}

/// 删除: the draft goes into the 回收站.
#[tauri::command]
pub fn trash_document(state: State<'_, AppState>, id: String) -> Answer<()> {
    let id = parse_id(&id)?;
    with_store(&state, "move a draft to the trash", |s| s.trash(id))?;
    tracing::info!(%id, "draft moved to the trash");
    Ok(())
}

/// The 回收站's list, the most recently thrown away first.
#[tauri::command]
pub fn trashed_documents(state: State<'_, AppState>) -> Answer<Vec<TrashedDocument>> {
    with_store(&state, "list the trash", |s| s.trashed())
}

/// 恢复 (or 撤销 right after 删除): back in the list as it was.
#[tauri::command]
pub fn restore_trashed(state: State<'_, AppState>, id: String) -> Answer<StoredDocument> {
    let id = parse_id(&id)?;
    let stored = with_store(&state, "restore a draft from the trash", |s| {
        s.restore_trashed(id)
    })?;
    tracing::info!(%id, "draft restored from the trash");
    Ok(stored)
}

/// 彻底删除: purged now (the window asked for a confirmation first).
#[tauri::command]
pub fn purge_trashed(state: State<'_, AppState>, id: String) -> Answer<()> {
    let id = parse_id(&id)?;
    with_store(&state, "purge a draft from the trash", |s| {
        s.purge_trashed(id)
    })?;
    tracing::info!(%id, "draft purged from the trash");
    Ok(())
}
