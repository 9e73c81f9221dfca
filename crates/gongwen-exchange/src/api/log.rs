//! A unit's log: commands pushed in, changes pulled out, and the documents they name,
//! each read checked against the reader's unit and clearance.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use gongwen_core::wire::{Change, ChangeEntry, ChangesPage, CommandId, PushResponse};
use gongwen_core::DocumentId;

use crate::access::{self, DocumentRead};
use crate::commands;
use crate::error::ApiError;

use super::request::{body_bytes, Authed};
use super::AppState;

pub(super) async fn push(
    State(st): State<AppState>,
    who: Authed,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    let bytes = body_bytes(body, &st.limits)?;
    let commands = commands::parse_push(&bytes, st.limits.max_commands_per_request)?;
    let outcomes = commands::apply_all(&st, &who.user.info, &who.client, commands).await?;
    Ok(Json(PushResponse { outcomes }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangesQuery {
    #[serde(default)]
    after: u64,
    limit: Option<u32>,
}

const DEFAULT_PAGE: u32 = 500;
const MAX_PAGE: u32 = 1000;

pub(super) async fn changes(
    State(st): State<AppState>,
    who: Authed,
    query: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Json<ChangesPage>, ApiError> {
    who.may_read_documents()?;
    let Query(q) = query.map_err(|e| {
        ApiError::bad_request(
            format!(
                "{}; expected ?after=<cursor>&limit=<1..={MAX_PAGE}>",
                e.body_text()
            ),
            "查询参数错误",
        )
    })?;
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let after = i64::try_from(q.after).map_err(|_| {
        ApiError::bad_request(
            format!("cursor {} is out of range", q.after),
            "同步位置无效",
        )
    })?;
    let info = who.info();
    let rows = st.storage.log_after(&info.unit, after, limit).await?;
    // Read after the rows, so the head is never behind them.
    let head = st.storage.log_head(&info.unit).await?;
    let head_seq = rows.last().map_or(head.seq, |r| r.seq.max(head.seq)) as u64;
    let has_more = rows.len() == limit as usize;
    let next_cursor = rows.last().map_or(q.after, |r| r.seq as u64);
    let mut changes = Vec::with_capacity(rows.len());
    for row in rows {
        // Withheld entries are skipped but still passed by the cursor: a reader below
        // the entry's 密级 never sees it, and never waits for it either.
        if !access::log_entry(info, row.classification) {
            continue;
        }
        let entry: ChangeEntry = serde_json::from_str(&row.entry).map_err(|e| {
            ApiError::internal(format!(
                "log entry {}#{} is not valid: {e}",
                row.unit, row.seq
            ))
        })?;
        // A transfer (移交) is the archivists' business: other roles of the unit pass
        // it like a withheld entry (GET /v1/transfers answers them the same way).
        if matches!(entry, ChangeEntry::Transfer { .. })
            && info.role != gongwen_core::wire::Role::Archivist
        {
            continue;
        }
        changes.push(Change {
            seq: row.seq as u64,
            command_id: CommandId(row.command_id),
            entry,
        });
    }
    Ok(Json(ChangesPage {
        changes,
        next_cursor,
        has_more,
        epoch: Some(head.epoch),
        head_seq: Some(head_seq),
        unit: Some(info.unit.clone()),
        clearance: Some(info.clearance),
    }))
}

pub(super) async fn document(
    State(st): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    who.may_read_documents()?;
    let id: DocumentId = id.parse().map_err(|_| {
        ApiError::bad_request(
            format!("`{id}` is not a document id (a UUID)"),
            "公文标识无效",
        )
    })?;
    let not_found = || {
        ApiError::not_found(
            format!("no document {id} for unit {}", who.info().unit),
            "本单位没有这份公文",
        )
    };
    let Some(doc) = st.storage.document(id).await? else {
        return Err(not_found());
    };
    let listed = st.storage.has_access(id, &who.info().unit).await?;
    let verdict = access::document(who.info(), listed, doc.classification);
    if verdict == DocumentRead::NotFound {
        return Err(not_found());
    }
    // Reads of classified documents are audited, refused ones too: who looked at
    // what, and who tried beyond their clearance.
    let audited = |result: &str| {
        who.audit(
            "document read",
            serde_json::json!({
                "document_id": id,
                "classification": doc.classification,
                "content_hash": doc.content_hash,
                "result": result,
            }),
        )
    };
    if verdict == DocumentRead::AboveClearance {
        st.storage.append_audit(&audited("refused")).await?;
        return Err(ApiError::forbidden(
            format!(
                "document is {:?}, above your clearance {:?}",
                doc.classification,
                who.info().clearance
            ),
            format!("公文密级为{}，超出您的知悉范围", doc.classification.label()),
        ));
    }
    if access::audited(doc.classification) {
        st.storage.append_audit(&audited("read")).await?;
    }
    Ok(([(CONTENT_TYPE, "application/json")], doc.content).into_response())
}
