//! Login (throttled, audited), logout, `/v1/me` and the directory of units and users.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use gongwen_core::wire::{
    Directory, DirectoryUser, LoginRequest, LoginResponse, UnitClearance, UnitCode, UserInfo,
};

use crate::auth::{self, Secret};
use crate::error::ApiError;
use crate::storage::{AuditDraft, TokenRecord};
use crate::throttle::{Locked, LoginThrottle};

use super::request::{client_id, json_body, Authed, PeerIp};
use super::{now, AppState};

pub(super) async fn login(
    State(st): State<AppState>,
    Extension(throttle): Extension<Arc<LoginThrottle>>,
    PeerIp(ip): PeerIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: LoginRequest = json_body(body, &st.limits)?;
    // Before anything is looked up, counted, audited or logged: what a client types
    // as a username is bounded and plain.
    if !auth::valid_username(&req.username) {
        return Err(ApiError::bad_request(
            format!(
                "a username is 1 to {} lower-case letters, digits, `-`, `.` or `_`",
                auth::MAX_USERNAME_BYTES
            ),
            "用户名格式错误",
        ));
    }
    let client = client_id(&headers);
    // Before anything else: a locked username or address gets no password check at
    // all (nothing to probe, no argon2 time spent).
    let attempt = match throttle.begin(&req.username, ip) {
        Ok(attempt) => attempt,
        Err(locked) => return login_throttled(&st, &req.username, client, ip, locked).await,
    };
    let password = Secret::new(req.password);
    let user = st.storage.user(&req.username).await?;
    // Always verify against some hash, so an unknown name takes as long as a wrong
    // password and response times do not reveal which usernames exist.
    let phc = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| auth::dummy_hash().to_string());
    let matches = tokio::task::spawn_blocking(move || auth::verify_password(&password, &phc))
        .await
        .map_err(ApiError::internal)?;
    let at = now();
    let failure = match &user {
        None => Some("unknown_user"),
        Some(_) if !matches => Some("wrong_password"),
        Some(u) if u.disabled => Some("disabled"),
        Some(_) => None,
    };
    let unit = user
        .as_ref()
        .map(|u| u.info.unit.clone())
        .unwrap_or_else(|| UnitCode(String::new()));
    if let Some(reason) = failure {
        attempt.failed();
        st.storage
            .append_audit(&AuditDraft {
                at,
                username: req.username.clone(),
                unit,
                client,
                action: "login_failed".into(),
                detail: serde_json::json!({ "reason": reason, "ip": ip_text(ip) }).to_string(),
            })
            .await?;
        tracing::info!(username = %req.username, ip = %ip_text(ip), reason, "login refused");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "login_failed",
            "wrong username or password, or the account is disabled",
            "用户名或密码错误，或账号已停用",
        ));
    }
    let Some(user) = user else {
        return Err(ApiError::internal("login: user vanished"));
    };
    attempt.succeeded();
    // Expired tokens are of no use to anyone; logins are a natural, bounded moment
    // to drop them.
    let purged = st.storage.purge_expired_tokens(&at).await?;
    if purged > 0 {
        tracing::debug!(purged, "expired tokens removed");
    }
    let token = auth::new_token().map_err(ApiError::internal)?;
    let ttl = chrono::Duration::from_std(st.limits.token_ttl).map_err(ApiError::internal)?;
    let expires_at =
        (chrono::Utc::now() + ttl).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    st.storage
        .add_token(&TokenRecord {
            token_hash: auth::token_hash(token.expose()),
            username: user.info.username.clone(),
            expires_at: expires_at.clone(),
            client: client.clone(),
        })
        .await?;
    st.storage
        .append_audit(&AuditDraft {
            at,
            username: user.info.username.clone(),
            unit: user.info.unit.clone(),
            client,
            action: "login".into(),
            detail: serde_json::json!({ "expires_at": expires_at }).to_string(),
        })
        .await?;
    Ok(Json(LoginResponse {
        token: token.expose().to_string(),
        expires_at,
        user: user.info,
    })
    .into_response())
}

fn ip_text(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

/// A login refused by the throttle: audited like any failed login, answered 429
/// with `Retry-After`. The body depends only on the wait, never on whether the
/// username exists.
async fn login_throttled(
    st: &AppState,
    username: &str,
    client: String,
    ip: Option<IpAddr>,
    locked: Locked,
) -> Result<Response, ApiError> {
    let retry_after = locked.retry_after_secs();
    metrics::counter!("exchange_login_throttled_total", "limit" => locked.by.as_str()).increment(1);
    // One audit entry and one warning per key and lock; the attempts after it are
    // only counted (the metric), so a flood of them writes nothing.
    if !locked.first_in_lock {
        tracing::debug!(username, ip = %ip_text(ip), "login refused: still locked");
        return Ok(throttled_answer(retry_after));
    }
    // Only for the audit's unit column; the answer is the same either way.
    let unit = st
        .storage
        .user(username)
        .await?
        .map(|u| u.info.unit)
        .unwrap_or_else(|| UnitCode(String::new()));
    st.storage
        .append_audit(&AuditDraft {
            at: now(),
            username: username.to_string(),
            unit,
            client,
            action: "login_failed".into(),
            detail: serde_json::json!({
                "reason": "throttled",
                "limit": locked.by.as_str(),
                "retry_after_secs": retry_after,
                "ip": ip_text(ip),
                "further_refusals": "counted in exchange_login_throttled_total until the lock ends, not audited one by one",
            })
            .to_string(),
        })
        .await?;
    tracing::warn!(
        username,
        ip = %ip_text(ip),
        limit = locked.by.as_str(),
        retry_after_secs = retry_after,
        "login refused: too many failed logins (further refusals until the lock ends are not logged)"
    );
    Ok(throttled_answer(retry_after))
}

fn throttled_answer(retry_after: u64) -> Response {
    let mut response = ApiError::too_many_attempts(retry_after).into_response();
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

pub(super) async fn logout(
    State(st): State<AppState>,
    who: Authed,
) -> Result<StatusCode, ApiError> {
    st.storage.revoke_token(&who.token_hash).await?;
    st.storage
        .append_audit(&AuditDraft {
            at: now(),
            username: who.info().username.clone(),
            unit: who.info().unit.clone(),
            client: who.client.clone(),
            action: "logout".into(),
            detail: "{}".into(),
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn me(who: Authed) -> Json<UserInfo> {
    Json(who.user.info)
}

pub(super) async fn directory(
    State(st): State<AppState>,
    _who: Authed,
) -> Result<Json<Directory>, ApiError> {
    let units = st.storage.units().await?;
    // Disabled users are left out: nobody should address them. Roles and clearances
    // are not for everyone to read (a clearance says who may see what).
    let records = st.storage.users().await?;
    // Per unit, the highest clearance of its readers, so a sender learns before 分发
    // which unit could never open the document (the push refuses it anyway).
    let clearances = crate::access::unit_clearances(&records)
        .into_iter()
        .map(|(unit, clearance)| UnitClearance { unit, clearance })
        .collect();
    let users = records
        .into_iter()
        .filter(|u| !u.disabled)
        .map(|u| DirectoryUser {
            username: u.info.username,
            display_name: u.info.display_name,
            unit: u.info.unit,
        })
        .collect();
    Ok(Json(Directory {
        units,
        users,
        clearances: Some(clearances),
        flows: st.flows.sources().to_vec(),
        flow_versions: st.flows.earlier().to_vec(),
    }))
}

/// `GET /v1/delegations`: the delegations (代办) of the caller's unit, revoked ones
/// included, oldest first (`gongwen flow delegations`).
pub(super) async fn delegations(
    State(st): State<AppState>,
    who: Authed,
) -> Result<Json<Vec<gongwen_core::delegation::Delegation>>, ApiError> {
    Ok(Json(st.storage.delegations(&who.user.info.unit).await?))
}
