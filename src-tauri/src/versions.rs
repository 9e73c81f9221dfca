//! The commands of autosave and 历史版本: the working copy, numbered versions made on
//! 完成, one version opened read-only, two compared element by element, the marked-up
//! trail of all of them, and a restore. The rules are the store's (`versions.rs`) and
//! core's (`revision`); these only read the input and hand the answers on.

use gongwen_core::revision::{self, ElementChanges, ElementTrail, VersionReason};
use gongwen_core::{Document, Paragraph};
use gongwen_store::{StoreError, StoredDocument, VersionInfo};
use serde::Serialize;
use tauri::State;

use crate::commands::{answer_save, parse_id, with_store, Answer, SaveOutcome};
use crate::AppState;

/// One numbered version, opened read-only.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct VersionView {
    pub info: VersionInfo,
    pub document: Document,
    pub paragraphs: Vec<Paragraph>,
    /// The 主送机关 line as the PDF prints it.
    pub main_recipients_line: String,
}

/// Two versions side by side: each element's characters, marked inserted or deleted
/// from `old` to `new`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct VersionComparison {
    pub old: VersionInfo,
    pub new: VersionInfo,
    pub elements: Vec<ElementChanges>,
}

/// The marked-up text (痕迹) of every numbered version laid over the first: each
/// insertion and deletion with the author of the version that made it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RevisionTrail {
    pub versions: Vec<VersionInfo>,
    pub elements: Vec<ElementTrail<String>>,
}

/// The name a version without a recorded author is shown under in the trail.
const UNKNOWN_AUTHOR: &str = "未记录";

/// Autosave: the draft as typed becomes the working copy, no new 版; refused as a
/// conflict if the document moved on from `base_version` (see `commands::answer_save`).
#[tauri::command]
pub fn autosave_draft(
    state: State<'_, AppState>,
    id: String,
    base_version: u32,
    document: Document,
) -> Answer<SaveOutcome> {
    let id = parse_id(&id)?;
    with_store(&state, "autosave draft", |s| {
        let outcome = answer_save(s, id, base_version, |s| {
            s.autosave_on(id, base_version, &document)
        })?;
        if let SaveOutcome::Saved { stored, .. } = &outcome {
            tracing::debug!(%id, version = stored.version, "draft autosaved");
        }
        Ok(outcome)
    })
}

/// 完成: the draft as it stands becomes a numbered version (完成编辑); refused as a
/// conflict as `autosave_draft` is.
#[tauri::command]
pub fn finish_draft(
    state: State<'_, AppState>,
    id: String,
    base_version: u32,
    document: Document,
) -> Answer<SaveOutcome> {
    let id = parse_id(&id)?;
    with_store(&state, "finish draft", |s| {
        let outcome = answer_save(s, id, base_version, |s| {
            s.save_version_on(id, base_version, &document, VersionReason::Finished)
        })?;
        if let SaveOutcome::Saved { stored, .. } = &outcome {
            tracing::info!(%id, version = stored.version, "draft finished");
        }
        Ok(outcome)
    })
}

/// A version's record and text, or `NoSuchVersion` (also when the account may not see it).
fn read_version(
    s: &gongwen_store::Store,
    id: gongwen_core::DocumentId,
    version: u32,
) -> Result<(VersionInfo, Document), StoreError> {
    let missing = || StoreError::NoSuchVersion { id, version };
    let info = s
        .versions(id)?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or_else(missing)?;
    let document = s.version(id, version)?.ok_or_else(missing)?;
    Ok((info, document))
}

#[tauri::command]
pub fn document_version(
    state: State<'_, AppState>,
    id: String,
    version: u32,
) -> Answer<VersionView> {
    let id = parse_id(&id)?;
    let (info, document) = with_store(&state, "read version", |s| read_version(s, id, version))?;
    Ok(VersionView {
        info,
        paragraphs: document.body.paragraphs().to_vec(),
        main_recipients_line: document.main_recipients_line(),
        document,
    })
}

#[tauri::command]
pub fn compare_versions(
    state: State<'_, AppState>,
    id: String,
    old: u32,
    new: u32,
) -> Answer<VersionComparison> {
    let id = parse_id(&id)?;
    let ((old, old_doc), (new, new_doc)) = with_store(&state, "compare versions", |s| {
        Ok((read_version(s, id, old)?, read_version(s, id, new)?))
    })?;
    Ok(VersionComparison {
        elements: revision::compare(&old_doc, &new_doc),
        old,
        new,
    })
}

#[tauri::command]
pub fn revision_trail(state: State<'_, AppState>, id: String) -> Answer<RevisionTrail> {
    let id = parse_id(&id)?;
    let (versions, documents) = with_store(&state, "revision trail", |s| {
        let versions = s.versions(id)?;
        let mut documents = Vec::with_capacity(versions.len());
        for v in &versions {
            documents.push(s.version(id, v.version)?.ok_or(StoreError::NoSuchVersion {
                id,
                version: v.version,
            })?);
        }
        Ok((versions, documents))
    })?;
    let Some((first, later)) = documents.split_first() else {
        return Err(StoreError::NotFound(id).message_zh());
    };
    let later: Vec<(String, &Document)> = versions[1..]
        .iter()
        .zip(later)
        .map(|(v, d)| (v.author.clone().unwrap_or_else(|| UNKNOWN_AUTHOR.into()), d))
        .collect();
    Ok(RevisionTrail {
        elements: revision::document_trail(first, &later),
        versions,
    })
}

/// 恢复: the text of `version` as a new version; nothing is overwritten.
#[tauri::command]
pub fn restore_version(
    state: State<'_, AppState>,
    id: String,
    version: u32,
) -> Answer<StoredDocument> {
    let id = parse_id(&id)?;
    let stored = with_store(&state, "restore version", |s| {
        s.restore_version(id, version)
    })?;
    tracing::info!(%id, from = version, version = stored.version, "version restored");
    Ok(stored)
}
