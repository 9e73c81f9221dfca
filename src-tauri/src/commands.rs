//! The commands the UI calls. Each one checks its input, calls a crate, and turns
//! failures into a Chinese message for the window (logging the English one).

use std::sync::{Arc, Mutex, MutexGuard};

use gongwen_core::vocabulary::Vocabulary;
use gongwen_core::{Direction, DocKind, DocStatus, Document, DocumentId, Paragraph, Problem};
use gongwen_store::{
    DocumentSummary, ListFilter, Page, SearchHit, Store, StoreError, StoredDocument, VersionInfo,
};
use serde::Serialize;
use tauri::State;

use crate::{AppState, BENCH_READY_ENV};

/// A document opened for reading: as stored, its 正文 as structure, and what
/// validation says about it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DocumentView {
    pub stored: StoredDocument,
    pub paragraphs: Vec<Paragraph>,
    /// The 主送机关 line as the PDF prints it (`Document::main_recipients_line`).
    pub main_recipients_line: String,
    pub problems: Vec<Problem>,
    /// The logged-in account may edit it now (the store's rule: `Store::read_only`).
    pub editable: bool,
    /// Why not, in Chinese, when it is not editable.
    pub read_only_reason: Option<String>,
    /// It may be 分发ed now, as far as where it stands goes (`Store::no_dispatch`;
    /// its validation errors and a login are the window's to add).
    pub dispatchable: bool,
    /// Why not, in Chinese, when it may not.
    pub dispatch_refusal: Option<String>,
}

/// The answer to a save: the stored version, and the problems of what was saved.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SaveResult {
    pub stored: StoredDocument,
    pub problems: Vec<Problem>,
}

/// The answer to a save from the editor.
#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SaveOutcome {
    Saved {
        stored: StoredDocument,
        problems: Vec<Problem>,
    },
    /// A newer version was saved since the one the edit is based on (another window,
    /// the CLI): nothing was written. `newer` is that version, for the editor to show
    /// beside the clerk's unsaved text; `message` says so in Chinese.
    Conflict {
        base_version: u32,
        newer: StoredDocument,
        message: String,
    },
}

pub(crate) type Answer<T> = Result<T, String>;

/// Search results beyond this are not useful in a drop-down.
const MAX_SEARCH_LIMIT: u32 = 100;

pub(crate) fn lock<'a>(state: &'a AppState) -> MutexGuard<'a, Result<Arc<Mutex<Store>>, String>> {
    // A poisoned lock is used as it is: the policy of `gongwen_store::lock`.
    state
        .store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The open store, shared with the sync loop; or why it could not be opened.
pub(crate) fn shared_store(state: &AppState) -> Answer<Arc<Mutex<Store>>> {
    lock(state).as_ref().map(Arc::clone).map_err(Clone::clone)
}

/// Runs `f` on the open store; a failure becomes the Chinese message (and an English
/// log line naming `what`), and a store that could not be opened gives its reason.
pub(crate) fn with_store<T>(
    state: &AppState,
    what: &str,
    f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
) -> Answer<T> {
    let shared = shared_store(state)?;
    // The sync loop holds this lock only between its network calls, never across one.
    let mut store = gongwen_store::lock(&shared);
    f(&mut store).map_err(|e| {
        tracing::warn!(error = %e, "{what} failed");
        e.message_zh()
    })
}

pub(crate) fn parse_id(id: &str) -> Answer<DocumentId> {
    id.parse().map_err(|e| {
        tracing::warn!(id, error = %e, "the UI sent a malformed document id");
        format!("公文编号“{id}”无效。")
    })
}

#[tauri::command]
pub fn vocabulary() -> Vocabulary {
    gongwen_core::vocabulary::vocabulary()
}

/// Why the store could not be opened, if it could not; the window shows it.
#[tauri::command]
pub fn startup_error(state: State<'_, AppState>) -> Option<String> {
    lock(&state).as_ref().err().cloned()
}

/// Tries again to open the store after it failed (a damaged file has been moved
/// aside by then, so this starts an empty one); returns the new error, if any.
#[tauri::command]
pub fn reopen_store(state: State<'_, AppState>) -> Option<String> {
    let reopened = {
        let mut guard = lock(&state);
        if guard.is_err() {
            *guard = crate::open_store(&state.folder_lock, false).map(|s| Arc::new(Mutex::new(s)));
            guard.is_ok()
        } else {
            false
        }
    };
    if reopened {
        crate::session::announce(&state);
    }
    lock(&state).as_ref().err().cloned()
}

#[tauri::command]
pub fn list_documents(
    state: State<'_, AppState>,
    filter: ListFilter,
) -> Answer<Page<DocumentSummary>> {
    with_store(&state, "list documents", |s| s.list(&filter))
}

#[tauri::command]
pub fn get_document(state: State<'_, AppState>, id: String) -> Answer<DocumentView> {
    let id = parse_id(&id)?;
    let (stored, read_only, no_dispatch) = with_store(&state, "get document", |s| {
        let Some(stored) = s.get(id)? else {
            return Ok(None);
        };
        Ok(Some((stored, s.read_only(id)?, s.no_dispatch(id)?)))
    })?
    .ok_or_else(|| {
        tracing::warn!(%id, "document not found");
        StoreError::NotFound(id).message_zh()
    })?;
    Ok(DocumentView {
        paragraphs: stored.document.body.paragraphs().to_vec(),
        main_recipients_line: stored.document.main_recipients_line(),
        problems: gongwen_core::validate(&stored.document),
        stored,
        editable: read_only.is_none(),
        read_only_reason: read_only.map(|why| why.message_zh().to_string()),
        dispatchable: no_dispatch.is_none(),
        dispatch_refusal: no_dispatch.map(|why| why.message_zh()),
    })
}

#[tauri::command]
pub fn create_document(state: State<'_, AppState>, kind: DocKind) -> Answer<StoredDocument> {
    let stored = with_store(&state, "create document", |s| {
        let mut doc = Document::new(kind);
        // The logged-in unit is the issuer: its 发文机关标志, 署名 and 印发机关 are
        // written in, so a blank draft does not open with errors the clerk did not make.
        if let Some(unit) = signed_in_unit_name(s)? {
            gongwen_core::issuer::prefill(&mut doc, &unit);
        }
        s.create_document(&doc, DocStatus::Draft)
    })?;
    tracing::info!(id = %stored.id, ?kind, "draft created");
    Ok(stored)
}

/// The full name of the logged-in account's unit, from the directory as last synced;
/// `None` while nobody is logged in, or before the directory names the unit (its code,
/// sz-fgw, is no name to print on a document).
pub(crate) fn signed_in_unit_name(s: &Store) -> Result<Option<String>, StoreError> {
    let Some(account) = s.signed_in()? else {
        return Ok(None);
    };
    let unit = account.user.unit;
    Ok(s.directory()?
        .units
        .into_iter()
        .find(|u| u.code == unit)
        .map(|u| u.name))
}

/// 保存: the editor's text as the next version of the one it was based on
/// (`base_version`); a newer version saved meanwhile is a conflict, not overwritten.
#[tauri::command]
pub fn save_draft(
    state: State<'_, AppState>,
    id: String,
    base_version: u32,
    document: Document,
) -> Answer<SaveOutcome> {
    let id = parse_id(&id)?;
    with_store(&state, "save draft", |s| {
        let outcome = answer_save(s, id, base_version, |s| {
            s.save_draft_on(id, base_version, &document)
        })?;
        if let SaveOutcome::Saved { stored, .. } = &outcome {
            tracing::info!(%id, version = stored.version, "draft saved");
        }
        Ok(outcome)
    })
}

/// Answers an editor's write made on `base_version`: what was stored, or, when the
/// store refused it as a conflict, the document as it stands now (nothing was written).
pub(crate) fn answer_save(
    s: &mut Store,
    id: DocumentId,
    base_version: u32,
    write: impl FnOnce(&mut Store) -> Result<StoredDocument, StoreError>,
) -> Result<SaveOutcome, StoreError> {
    match write(s) {
        Ok(stored) => Ok(SaveOutcome::Saved {
            problems: gongwen_core::validate(&stored.document),
            stored,
        }),
        Err(conflict @ StoreError::Conflict { .. }) => {
            tracing::warn!(error = %conflict, "save refused");
            let newer = s.get(id)?.ok_or(StoreError::NotFound(id))?;
            Ok(SaveOutcome::Conflict {
                base_version,
                newer,
                message: conflict.message_zh(),
            })
        }
        Err(e) => Err(e),
    }
}

/// The usual 行文方向 of a 文种: the editor follows it when the 文种 changes.
#[tauri::command]
pub fn default_direction(kind: DocKind) -> Direction {
    kind.default_direction()
}

#[tauri::command]
pub fn validate_document(document: Document) -> Vec<Problem> {
    gongwen_core::validate(&document)
}

#[tauri::command]
pub fn search(state: State<'_, AppState>, query: String, limit: u32) -> Answer<Vec<SearchHit>> {
    if query.trim().is_empty() {
        return Ok(Vec::new());
    }
    let limit = limit.clamp(1, MAX_SEARCH_LIMIT);
    with_store(&state, "search", |s| s.search(&query, limit as usize))
}

#[tauri::command]
pub fn document_versions(state: State<'_, AppState>, id: String) -> Answer<Vec<VersionInfo>> {
    let id = parse_id(&id)?;
    with_store(&state, "list versions", |s| s.versions(id))
}

/// The UI has shown its first document list. For `cargo xtask bench`: writes the
/// milliseconds since the process started to `GONGWEN_BENCH_READY_FILE`, if set.
#[tauri::command]
pub fn app_ready(state: State<'_, AppState>) -> Answer<()> {
    // Only the first call measures start-up; later ones (a reload) change nothing.
    if state.ready.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return Ok(());
    }
    let ms = crate::ms_since_start(state.started);
    tracing::info!(ms, "first document list rendered");
    let Some(path) = std::env::var_os(BENCH_READY_ENV) else {
        return Ok(());
    };
    std::fs::write(&path, ms.to_string()).map_err(|e| {
        tracing::error!(path = ?path, error = %e, "cannot write the bench ready file");
        "无法写入启动计时文件。".to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_id_is_refused_in_chinese() {
        let err = parse_id("not-a-uuid").unwrap_err();
        assert_eq!(err, "公文编号“not-a-uuid”无效。");
        let id = "1a70e30a-32cb-459d-b9b6-0206e820ed9b";
        assert_eq!(parse_id(id).unwrap().to_string(), id);
    }

    #[test]
    fn validation_is_the_core_rules() {
        let mut doc = Document::new(DocKind::Notice);
        doc.doc_number = "宿政[2026]012号".into();
        let problems = validate_document(doc);
        let number = problems
            .iter()
            .find(|p| p.element == gongwen_core::Element::DocNumber)
            .expect("a 发文字号 problem");
        assert_eq!(number.suggestion.as_deref(), Some("宿政〔2026〕12号"));
    }

    #[test]
    fn only_a_logged_in_unit_the_directory_names_is_written_into_a_draft() {
        use gongwen_core::wire::{Directory, Role, Unit, UserInfo};
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        // Nobody logged in: no unit.
        assert_eq!(signed_in_unit_name(&store).unwrap(), None);
        let clerk = UserInfo {
            username: "tjj-clerk".into(),
            display_name: "李华".into(),
            unit: "sz-tjj".into(),
            role: Role::Clerk,
            clearance: gongwen_core::Classification::Confidential,
        };
        store
            .set_account(Some(&gongwen_store::Account::new(
                "http://127.0.0.1:8470",
                clerk,
            )))
            .unwrap();
        // Logged in before the first sync: the code is no name to print.
        assert_eq!(signed_in_unit_name(&store).unwrap(), None);
        store
            .set_directory(&Directory {
                units: vec![Unit {
                    code: "sz-tjj".into(),
                    name: "宿州市统计局".into(),
                    short_name: None,
                }],
                users: vec![],
                clearances: None,
                flows: vec![],
                flow_versions: vec![],
            })
            .unwrap();
        assert_eq!(
            signed_in_unit_name(&store).unwrap().as_deref(),
            Some("宿州市统计局")
        );
        // 退出登录: the remembered account is no login, and writes nothing.
        store.sign_out().unwrap();
        assert_eq!(signed_in_unit_name(&store).unwrap(), None);
    }
}
