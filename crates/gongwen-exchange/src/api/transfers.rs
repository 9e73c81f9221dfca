//! `GET /v1/transfers` and `GET /v1/transfers/{id}`: transfers (移交) as the sending
//! unit's and the archive's 档案员 see them, with the receiving server's check. To
//! anyone else (another unit, another role, a lower clearance) a transfer does not
//! exist: the list is empty and one transfer answers 404, as for an unknown id.

use axum::extract::{Path, State};
use axum::Json;

use gongwen_core::transfer::Transfer;

use crate::error::ApiError;
use crate::transfer::may_read;

use super::request::Authed;
use super::AppState;

/// A transfer with the receiving server's whole 四性检测 report.
#[derive(serde::Serialize)]
pub(super) struct TransferView {
    transfer: Transfer,
    report: serde_json::Value,
}

pub(super) async fn list(
    State(st): State<AppState>,
    who: Authed,
) -> Result<Json<Vec<Transfer>>, ApiError> {
    let user = who.info();
    let all = st.storage.transfers(&user.unit).await?;
    Ok(Json(
        all.into_iter().filter(|t| may_read(user, t)).collect(),
    ))
}

pub(super) async fn one(
    State(st): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<TransferView>, ApiError> {
    let missing = || ApiError::not_found(format!("no transfer {id}"), "没有这次移交");
    let parsed: uuid::Uuid = id.trim().parse().map_err(|_| missing())?;
    let record = st.storage.transfer(parsed).await?.ok_or_else(missing)?;
    if !may_read(who.info(), &record.transfer) {
        return Err(missing());
    }
    Ok(Json(TransferView {
        transfer: record.transfer,
        report: serde_json::from_str(&record.report).unwrap_or(serde_json::Value::Null),
    }))
}
