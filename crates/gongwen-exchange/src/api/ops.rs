//! For the people who run the server: `/healthz` (is storage answering) and
//! `/metrics` (Prometheus text, behind its own bearer token when one is set).

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::auth;
use crate::error::ApiError;

use super::AppState;

pub(super) async fn healthz(State(st): State<AppState>) -> Response {
    match st.storage.units().await {
        Ok(_) => Json(serde_json::json!({ "status": "ok", "storage": st.storage.engine() }))
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: storage failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!("storage ({}) is not answering", st.storage.engine()),
                "存储不可用",
            )
            .into_response()
        }
    }
}

pub(super) async fn metrics_text(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let Some(metrics) = &st.metrics else {
        return ApiError::not_found("metrics are not enabled", "未启用监控指标").into_response();
    };
    if let Some(token) = &metrics.token {
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| auth::same_secret(g, token.expose())) {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "/metrics needs the metrics bearer token",
                "需要监控令牌",
            )
            .into_response();
        }
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics.handle.render(),
    )
        .into_response()
}
