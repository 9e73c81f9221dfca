//! Request helpers: who is asking ([`Authed`], by bearer token; the peer address) and
//! what they sent (the client id, JSON bodies with the 400/413 that name the fault).

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use gongwen_core::wire::UserInfo;

use crate::access;
use crate::auth;
use crate::error::ApiError;
use crate::storage::{AuditDraft, UserRecord};

use super::{now, AppState, Limits, CLIENT_HEADER};

/// The client install id from `X-Gongwen-Client`, cut to a sane size and to
/// printable characters (it goes into the audit).
pub(super) fn client_id(headers: &HeaderMap) -> String {
    let raw = headers
        .get(CLIENT_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim();
    let clean: String = raw.chars().filter(|c| !c.is_control()).take(100).collect();
    if clean.is_empty() {
        "unknown".into()
    } else {
        clean
    }
}

/// A JSON body, or the 400/413 that names what was wrong.
pub(super) fn json_body<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
    limits: &Limits,
) -> Result<T, ApiError> {
    let bytes = body_bytes(body, limits)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(
            format!("request body is not valid: {e}"),
            format!("请求内容格式错误：{e}"),
        )
    })
}

pub(super) fn body_bytes(
    body: Result<Bytes, BytesRejection>,
    limits: &Limits,
) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(limits.max_body_bytes)
        } else {
            ApiError::bad_request(rejection.body_text(), "无法读取请求内容")
        }
    })
}

/// The authenticated caller. Every request looks its token up in storage, so a
/// logout, a disabled user or an expiry takes effect on the next request.
pub struct Authed {
    pub user: UserRecord,
    pub token_hash: String,
    pub client: String,
}

impl Authed {
    pub(super) fn info(&self) -> &UserInfo {
        &self.user.info
    }

    /// The 管理员 role manages accounts, not documents: it reads no unit's log,
    /// documents or attachment files. Every other role (档案员 too) reads its own
    /// unit's, up to its clearance.
    pub(super) fn may_read_documents(&self) -> Result<(), ApiError> {
        if !access::reads_documents(self.info().role) {
            return Err(ApiError::forbidden(
                "the admin role reads no documents, change log or attachments",
                "管理员账号不能查看公文",
            ));
        }
        Ok(())
    }

    /// An audit entry by this caller.
    pub(super) fn audit(&self, action: &str, detail: serde_json::Value) -> AuditDraft {
        AuditDraft {
            at: now(),
            username: self.info().username.clone(),
            unit: self.info().unit.clone(),
            client: self.client.clone(),
            action: action.into(),
            detail: detail.to_string(),
        }
    }
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        let token_hash = auth::token_hash(token);
        let user = st
            .storage
            .token_user(&token_hash, &now())
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Authed {
            user,
            token_hash,
            client: client_id(&parts.headers),
        })
    }
}

/// The TCP peer's address, when the server was started with connect info (behind a
/// reverse proxy on this machine it is the proxy's).
pub(super) struct PeerIp(pub(super) Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}
