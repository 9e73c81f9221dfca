//! The HTTP API (`/v1/…`, `/healthz`, `/metrics`): routing, authentication of every
//! request, the JSON and blob endpoints. Workflow decisions are made by
//! [`crate::commands`]; this module only checks who asks and what they sent.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequestParts, MatchedPath, Path, Query, Request, State,
};
use axum::http::header::{
    ACCEPT_RANGES, AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    RANGE, RETRY_AFTER,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use futures_util::StreamExt;
use metrics_exporter_prometheus::PrometheusHandle;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use gongwen_core::wire::{
    Change, ChangeEntry, ChangesPage, CommandId, Directory, DirectoryUser, LoginRequest,
    LoginResponse, PushResponse, UnitCode, UserInfo,
};
use gongwen_core::DocumentId;
use tokio::sync::Semaphore;

use crate::access::{self, DocumentRead, FileAccess};
use crate::auth::{self, Secret};
use crate::blobs::{is_sha256, with_idle_timeout, BlobError, BlobStore, UploadState};
use crate::commands;
use crate::config::Config;
use crate::error::{code_for_status, zh_for_status, ApiError};
use crate::storage::{AuditDraft, Storage, TokenRecord, UserRecord};
use crate::throttle::{Locked, LoginThrottle, ThrottleSettings};

/// Request header naming the client install a request comes from (for the audit).
pub const CLIENT_HEADER: &str = "x-gongwen-client";
/// Resumable upload headers (see `docs/exchange-server.md`).
pub const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
pub const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");

/// Limits and lifetimes the API enforces.
#[derive(Debug, Clone)]
pub struct Limits {
    pub token_ttl: Duration,
    pub max_body_bytes: u64,
    pub max_blob_bytes: u64,
    pub max_commands_per_request: usize,
    /// Failed-login limits; the counters live in the router (see [`router`]).
    pub login_throttle: ThrottleSettings,
    /// An upload body that sends nothing for this long is cut.
    pub upload_idle_timeout: Duration,
    /// A JSON request's whole body must arrive within this (408 otherwise).
    pub body_read_timeout: Duration,
    /// Requests handled at once; more are answered 503 at once.
    pub max_requests_in_flight: usize,
    /// Sum of the announced lengths of one user's uploads in progress.
    pub max_partial_bytes_per_user: u64,
}

/// The largest login body: a username of at most 64 bytes and a password fit many
/// times over, and nothing larger is read.
pub const MAX_LOGIN_BODY_BYTES: u64 = 4 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            token_ttl: Duration::from_secs(12 * 3600),
            max_body_bytes: 16 * 1024 * 1024,
            max_blob_bytes: 1024 * 1024 * 1024,
            max_commands_per_request: 100,
            login_throttle: ThrottleSettings::default(),
            upload_idle_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(60),
            max_requests_in_flight: 512,
            max_partial_bytes_per_user: crate::config::DEFAULT_MAX_PARTIAL_BYTES_PER_USER,
        }
    }
}

impl Limits {
    /// The limits a resolved config sets.
    pub fn from_config(config: &Config) -> Limits {
        Limits {
            token_ttl: config.token_ttl,
            max_body_bytes: config.max_body_bytes,
            max_blob_bytes: config.max_blob_bytes,
            max_commands_per_request: config.max_commands_per_request,
            login_throttle: config.login_throttle,
            upload_idle_timeout: config.upload_idle_timeout,
            body_read_timeout: config.body_read_timeout,
            max_requests_in_flight: config.max_requests_in_flight,
            max_partial_bytes_per_user: config.max_partial_bytes_per_user,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub blobs: Arc<dyn BlobStore>,
    pub limits: Limits,
    /// None when `/metrics` is off (it answers 404).
    pub metrics: Option<Metrics>,
}

/// What `/metrics` serves, and the bearer token it asks for (none: open, which the
/// binary allows only on loopback).
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
    token: Option<Arc<Secret>>,
}

impl Metrics {
    pub fn new(handle: PrometheusHandle, token: Option<String>) -> Metrics {
        Metrics {
            handle,
            token: token.map(|t| Arc::new(Secret::new(t))),
        }
    }
}

/// The server's time as stored everywhere: RFC 3339, UTC, milliseconds.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Every route of the server. The failed-login counters are made here and live as
/// long as the router (in memory: a restart forgets them). Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so that failed logins are
/// also counted per client address; without it only usernames are counted.
pub fn router(state: AppState) -> Router {
    let json_limit = usize::try_from(state.limits.max_body_bytes).unwrap_or(usize::MAX);
    let throttle = Arc::new(LoginThrottle::new(state.limits.login_throttle));
    let body_timeout = state.limits.body_read_timeout;
    // Its own small limit, read before anything else is done with a login.
    let login_route = Router::new()
        .route("/v1/login", post(login).layer(Extension(throttle)))
        .layer(middleware::from_fn_with_state(
            BodyRules {
                limit: MAX_LOGIN_BODY_BYTES,
                timeout: body_timeout,
            },
            read_body,
        ))
        .layer(DefaultBodyLimit::max(MAX_LOGIN_BODY_BYTES as usize));
    let json = Router::new()
        .route("/v1/logout", post(logout))
        .route("/v1/me", get(me))
        .route("/v1/directory", get(directory))
        .route("/v1/commands", post(push))
        .route("/v1/changes", get(changes))
        .route("/v1/documents/{id}", get(document))
        .layer(middleware::from_fn_with_state(
            BodyRules {
                limit: state.limits.max_body_bytes,
                timeout: body_timeout,
            },
            read_body,
        ))
        .layer(DefaultBodyLimit::max(json_limit));
    // Blob bodies are streamed to disk, never buffered, so no buffer limit applies;
    // `max_blob_bytes` is checked against `Upload-Length` instead.
    let blobs = Router::new()
        .route(
            "/v1/blobs/{sha256}",
            get(blob_get)
                .head(blob_head)
                .patch(blob_patch)
                .delete(blob_delete),
        )
        .route(
            "/v1/blobs/{sha256}/{*rest}",
            get(blob_bad_path)
                .head(blob_bad_path)
                .patch(blob_bad_path)
                .delete(blob_bad_path),
        )
        .layer(DefaultBodyLimit::disable());
    let slots = Arc::new(Semaphore::new(state.limits.max_requests_in_flight.max(1)));
    Router::new()
        .merge(login_route)
        .merge(json)
        .merge(blobs)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route_layer(middleware::from_fn(track))
        .fallback(fallback)
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn_with_state(slots, in_flight))
        .with_state(state)
}

/// At most `max_requests_in_flight` requests are handled at once; one more is
/// answered 503 at once instead of queueing (a queue would only hold more sockets).
/// A slot is held until the handler returns: for an upload that is its whole body,
/// for a download until the file starts streaming.
async fn in_flight(State(slots): State<Arc<Semaphore>>, req: Request, next: Next) -> Response {
    let Ok(_slot) = slots.try_acquire_owned() else {
        metrics::counter!("exchange_requests_refused_busy_total").increment(1);
        let mut r = ApiError::unavailable(
            "the server is handling as many requests as it is allowed to (max_requests_in_flight); try again shortly",
        )
        .into_response();
        r.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    };
    next.run(req).await
}

/// How much of a JSON body is read, and how long it may take to arrive.
#[derive(Clone, Copy)]
struct BodyRules {
    limit: u64,
    timeout: Duration,
}

/// Reads a JSON route's whole body before the handler runs: at most `limit` bytes
/// (413 beyond, see [`refuse_too_large`]), all of it within `timeout` (408
/// otherwise), so a client that trickles its body holds neither a socket nor a
/// handler for long. Either refusal closes the connection.
async fn read_body(State(rules): State<BodyRules>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let deadline = tokio::time::Instant::now() + rules.timeout;
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > rules.limit) {
        return refuse_too_large(&mut stream, 0, declared, rules, deadline).await;
    }
    let mut buf: Vec<u8> = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(None) => break,
            Ok(Some(Ok(chunk))) => {
                let read = (buf.len() + chunk.len()) as u64;
                if read > rules.limit {
                    drop(buf);
                    return refuse_too_large(&mut stream, read, declared, rules, deadline).await;
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(Some(Err(e))) => {
                return closing(ApiError::bad_request(
                    format!("cannot read the request body: {e}"),
                    "无法读取请求内容",
                ))
            }
            Err(_) => {
                tracing::warn!(
                    received = buf.len(),
                    timeout_secs = rules.timeout.as_secs(),
                    "request body too slow: cut"
                );
                return closing(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    format!(
                        "the request body did not arrive within {} s",
                        rules.timeout.as_secs()
                    ),
                    "请求超时，请重试",
                ));
            }
        }
    }
    next.run(Request::from_parts(parts, Body::from(buf))).await
}

/// How much of an over-limit body is read (and thrown away) at most before the 413:
/// four times the limit, at least 1 MiB and at most 64 MiB.
fn drain_bound(limit: u64) -> u64 {
    limit.saturating_mul(4).clamp(1 << 20, 64 << 20)
}

/// Answers 413 to a body over the limit, `read` bytes of which have arrived. The
/// rest is read and thrown away first, up to [`drain_bound`] in all and within the
/// body's deadline: a client still sending when the server answers and closes sees a
/// broken pipe, not the 413, takes it for a network fault and sends the same body
/// again for ever. Nothing is kept (no memory grows) and a body beyond the bound, or
/// declared beyond it, is cut at once, so draining never costs more than a bounded
/// read per request.
async fn refuse_too_large<S>(
    stream: &mut S,
    mut read: u64,
    declared: Option<u64>,
    rules: BodyRules,
    deadline: tokio::time::Instant,
) -> Response
where
    S: futures_util::Stream<Item = Result<Bytes, axum::Error>> + Unpin,
{
    let bound = drain_bound(rules.limit);
    if declared.is_none_or(|n| n <= bound) {
        while read <= bound {
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(Some(Ok(chunk))) => read += chunk.len() as u64,
                // The whole body is in (the answer will reach the client), or it
                // cannot be read on: answer either way.
                Ok(None) | Ok(Some(Err(_))) | Err(_) => break,
            }
        }
    }
    tracing::info!(
        declared,
        read,
        limit = rules.limit,
        "request body over the limit: 413"
    );
    closing(ApiError::too_large(rules.limit))
}

/// An error answer after which the connection is closed.
fn closing(e: ApiError) -> Response {
    let mut r = e.into_response();
    r.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    r
}

// ---------------------------------------------------------------------------------
// Middleware

/// Counts and times every routed request, by route template and status, and logs it
/// (method, route, status, time; never headers, so no token reaches the log).
async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let elapsed = start.elapsed();
    metrics::counter!("exchange_http_requests_total",
        "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
    .increment(1);
    metrics::histogram!("exchange_http_request_duration_seconds",
        "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
    .record(elapsed.as_secs_f64());
    tracing::info!(%method, %route, status, ms = elapsed.as_millis() as u64, "request");
    response
}

/// Turns an error answered below us without an [`gongwen_core::wire::ErrorBody`]
/// (a routing miss, a wrong method, an extractor's plain-text rejection) into one, so
/// every error a client sees has the same shape.
async fn json_errors(req: Request, next: Next) -> Response {
    let is_head = req.method() == Method::HEAD;
    let response = next.run(req).await;
    let status = response.status();
    if is_head || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let mut out = ApiError::new(
        status,
        code_for_status(status),
        message,
        zh_for_status(status),
    )
    .into_response();
    for (name, value) in parts.headers.iter() {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

async fn fallback(method: Method, uri: axum::http::Uri) -> ApiError {
    metrics::counter!("exchange_http_requests_total",
        "method" => method.to_string(), "route" => "unmatched", "status" => "404")
    .increment(1);
    ApiError::not_found(
        format!("no such endpoint: {method} {}", uri.path()),
        "没有这个接口",
    )
}

// ---------------------------------------------------------------------------------
// Request helpers

/// The client install id from `X-Gongwen-Client`, cut to a sane size and to
/// printable characters (it goes into the audit).
fn client_id(headers: &HeaderMap) -> String {
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
fn json_body<T: DeserializeOwned>(
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

fn body_bytes(body: Result<Bytes, BytesRejection>, limits: &Limits) -> Result<Bytes, ApiError> {
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
    fn info(&self) -> &UserInfo {
        &self.user.info
    }

    /// The 管理员 role manages accounts, not documents: it reads no unit's log,
    /// documents or attachment files. Every other role (档案员 too) reads its own
    /// unit's, up to its clearance.
    fn may_read_documents(&self) -> Result<(), ApiError> {
        if !access::reads_documents(self.info().role) {
            return Err(ApiError::forbidden(
                "the admin role reads no documents, change log or attachments",
                "管理员账号不能查看公文",
            ));
        }
        Ok(())
    }

    /// An audit entry by this caller.
    fn audit(&self, action: &str, detail: serde_json::Value) -> AuditDraft {
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
struct PeerIp(Option<IpAddr>);

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

// ---------------------------------------------------------------------------------
// Login, logout, me, directory

async fn login(
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

async fn logout(State(st): State<AppState>, who: Authed) -> Result<StatusCode, ApiError> {
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

async fn me(who: Authed) -> Json<UserInfo> {
    Json(who.user.info)
}

async fn directory(State(st): State<AppState>, _who: Authed) -> Result<Json<Directory>, ApiError> {
    let units = st.storage.units().await?;
    // Disabled users are left out: nobody should address them. Roles and clearances
    // are not for everyone to read (a clearance says who may see what).
    let users = st
        .storage
        .users()
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .map(|u| DirectoryUser {
            username: u.info.username,
            display_name: u.info.display_name,
            unit: u.info.unit,
        })
        .collect();
    Ok(Json(Directory { units, users }))
}

// ---------------------------------------------------------------------------------
// Commands and changes

async fn push(
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
struct ChangesQuery {
    #[serde(default)]
    after: u64,
    limit: Option<u32>,
}

const DEFAULT_PAGE: u32 = 500;
const MAX_PAGE: u32 = 1000;

async fn changes(
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

async fn document(
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

// ---------------------------------------------------------------------------------
// Blobs

fn checked_sha(sha: &str) -> Result<(), ApiError> {
    if is_sha256(sha) {
        Ok(())
    } else {
        Err(bad_sha())
    }
}

fn bad_sha() -> ApiError {
    ApiError::bad_request(
        "attachment path must be a SHA-256: exactly 64 lower-case hex digits",
        "附件标识必须是 64 位小写十六进制 SHA-256 值",
    )
}

async fn blob_bad_path(_who: Authed) -> ApiError {
    bad_sha()
}

fn offset_header(n: u64) -> [(HeaderName, HeaderValue); 1] {
    [(UPLOAD_OFFSET, HeaderValue::from(n))]
}

/// Whether the caller may read the complete file `sha`, and through what (see
/// [`access::file`]).
async fn read_access(
    st: &AppState,
    who: &Authed,
    sha: &str,
) -> Result<Option<FileAccess>, ApiError> {
    Ok(access::file(st.storage.as_ref(), who.info(), sha).await?)
}

/// The length of the complete file `sha` if the caller may read it, else None (also
/// when it exists: see [`read_access`]).
async fn readable_len(
    st: &AppState,
    who: &Authed,
    sha: &str,
) -> Result<Option<(u64, FileAccess)>, ApiError> {
    let Some(len) = st.blobs.complete_len(sha).await.map_err(blob_error)? else {
        return Ok(None);
    };
    Ok(read_access(st, who, sha).await?.map(|a| (len, a)))
}

/// 404 with where the caller's own upload of `sha` stands (offset 0: none).
async fn not_here(st: &AppState, who: &Authed, sha: &str) -> Result<Response, ApiError> {
    let partial = st
        .blobs
        .partial(sha, &who.info().username)
        .await
        .map_err(blob_error)?;
    let mut r = (
        StatusCode::NOT_FOUND,
        offset_header(partial.map_or(0, |p| p.received)),
    )
        .into_response();
    if let Some(p) = partial {
        r.headers_mut()
            .insert(UPLOAD_LENGTH, HeaderValue::from(p.total));
    }
    Ok(r)
}

async fn blob_head(
    State(st): State<AppState>,
    who: Authed,
    Path(sha): Path<String>,
) -> Result<Response, ApiError> {
    checked_sha(&sha)?;
    if let Some((len, _)) = readable_len(&st, &who, &sha).await? {
        return Ok((
            StatusCode::OK,
            [
                (CONTENT_LENGTH, HeaderValue::from(len)),
                (UPLOAD_OFFSET, HeaderValue::from(len)),
            ],
        )
            .into_response());
    }
    not_here(&st, &who, &sha).await
}

/// Discards the caller's own upload of `sha` in progress (a client that finds it
/// unusable starts again from 0). Nobody else's is touched.
async fn blob_delete(
    State(st): State<AppState>,
    who: Authed,
    Path(sha): Path<String>,
) -> Result<Response, ApiError> {
    checked_sha(&sha)?;
    if st
        .blobs
        .discard_partial(&sha, &who.info().username)
        .await
        .map_err(blob_error)?
    {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(
            format!("no upload of {sha} in progress for {}", who.info().username),
            "没有进行中的附件上传",
        ))
    }
}

fn header_u64(headers: &HeaderMap, name: &HeaderName) -> Result<u64, ApiError> {
    let value = headers.get(name).ok_or_else(|| {
        ApiError::bad_request(
            format!("header {name} is required"),
            format!("缺少请求头 {name}"),
        )
    })?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                format!("header {name} must be a whole number of bytes"),
                format!("请求头 {name} 必须是字节数"),
            )
        })
}

fn blob_error(e: BlobError) -> ApiError {
    ApiError::internal(e)
}

async fn blob_patch(
    State(st): State<AppState>,
    who: Authed,
    Path(sha): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    checked_sha(&sha)?;
    let offset = header_u64(&headers, &UPLOAD_OFFSET)?;
    let total = header_u64(&headers, &UPLOAD_LENGTH)?;
    if total > st.limits.max_blob_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "attachment of {total} bytes is larger than the limit of {} bytes",
                st.limits.max_blob_bytes
            ),
            format!("附件过大（上限 {} 字节）", st.limits.max_blob_bytes),
        ));
    }
    if let Some((len, _)) = readable_len(&st, &who, &sha).await? {
        return Ok((StatusCode::OK, offset_header(len)).into_response());
    }
    // From here on a complete file the caller may not read is treated as missing:
    // they upload into their own partial, and only bytes that hash to the name make
    // it theirs to read.
    if offset > total {
        return Err(ApiError::bad_request(
            format!("Upload-Offset {offset} is past Upload-Length {total}"),
            "上传位置超出文件长度",
        ));
    }
    if let Some(len) = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > total - offset {
            return Err(ApiError::bad_request(
                format!("body of {len} bytes goes past Upload-Length {total} from offset {offset}"),
                "上传内容超出文件长度",
            ));
        }
    }
    let username = who.info().username.clone();
    // A new upload counts against the quota from its first piece on; the check and
    // the reservation are one step, so first pieces at once cannot pass together. (A
    // piece at another offset of an upload not begun is refused by `append` as it is.)
    let quota = st.limits.max_partial_bytes_per_user;
    if offset == 0
        && st
            .blobs
            .partial(&sha, &username)
            .await
            .map_err(blob_error)?
            .is_none()
    {
        if let Err(held) = st
            .blobs
            .start_upload(&sha, &username, total, quota)
            .await
            .map_err(blob_error)?
        {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "upload_quota_exceeded",
                format!(
                    "uploads in progress of {username} already announce {held} bytes; \
                     {total} more would pass the quota of {quota} bytes"
                ),
                "进行中的附件上传已达上限，请等待其他附件上传完成后再试",
            ));
        }
    }
    let stream = body
        .into_data_stream()
        .map(|r| r.map_err(std::io::Error::other))
        .boxed();
    let stream = with_idle_timeout(stream, st.limits.upload_idle_timeout);
    match st
        .blobs
        .append(&sha, &username, offset, total, stream)
        .await
    {
        Ok(UploadState::Partial(n)) => {
            Ok((StatusCode::NO_CONTENT, offset_header(n)).into_response())
        }
        Ok(UploadState::Complete(n)) => {
            // Only the user who completed a verified upload may read it back before a
            // document lists it: sending a header or a first piece proves nothing.
            st.storage
                .grant_upload(&sha, &username, who.info().clearance, &now())
                .await?;
            tracing::info!(sha256 = %sha, bytes = n, "attachment complete");
            Ok((StatusCode::CREATED, offset_header(n)).into_response())
        }
        Err(BlobError::LengthMismatch { given, fixed }) => {
            let received = st
                .blobs
                .partial(&sha, &username)
                .await
                .map_err(blob_error)?
                .map_or(0, |p| p.received);
            let mut r = ApiError::conflict(
                format!("Upload-Length {given} differs from the {fixed} bytes this upload was started with"),
                format!("上传长度与开始时不一致（应为 {fixed} 字节）"),
            )
            .into_response();
            r.headers_mut()
                .insert(UPLOAD_OFFSET, HeaderValue::from(received));
            r.headers_mut()
                .insert(UPLOAD_LENGTH, HeaderValue::from(fixed));
            Ok(r)
        }
        Err(BlobError::OffsetMismatch { given, current }) => {
            let mut r = ApiError::conflict(
                format!("Upload-Offset {given} does not match the {current} bytes received so far; resume from {current}"),
                format!("上传位置不一致，请从第 {current} 字节继续"),
            )
            .into_response();
            r.headers_mut()
                .insert(UPLOAD_OFFSET, HeaderValue::from(current));
            Ok(r)
        }
        Err(BlobError::HashMismatch { expected, actual }) => Err(ApiError::unprocessable(
            format!(
                "uploaded bytes hash to {actual}, not {expected}; the partial upload was discarded"
            ),
            "附件校验值不符，已丢弃，请重新上传",
        )),
        Err(e @ BlobError::TooLong { .. }) => {
            Err(ApiError::bad_request(e.to_string(), "上传内容超出文件长度"))
        }
        Err(e @ BlobError::Interrupted { .. }) => {
            tracing::info!(sha256 = %sha, error = %e, "upload interrupted");
            Err(ApiError::bad_request(e.to_string(), "上传中断，请继续上传"))
        }
        Err(BlobError::Stalled { received, cause }) => {
            // The client may be gone; if not, it learns where to resume. Either way
            // the connection is closed after this answer (its body was not read).
            tracing::warn!(sha256 = %sha, received, %cause, "upload stalled: cut");
            let mut r = ApiError::upload_stalled(received, &cause).into_response();
            r.headers_mut()
                .insert(UPLOAD_OFFSET, HeaderValue::from(received));
            Ok(r)
        }
        Err(e @ BlobError::Io(_)) => Err(blob_error(e)),
    }
}

/// A single `bytes=` range, resolved against `len`: (start, count). None: the header
/// is absent or not one we serve (then the whole file is sent). Err: unsatisfiable.
fn parse_range(headers: &HeaderMap, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = headers
        .get(RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None); // multi-range: not worth it; send the whole file
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
        (Some(start), None) if b.is_empty() => (start, len.saturating_sub(start)),
        (Some(start), Some(end)) if end >= start => (
            start,
            (end.min(len.saturating_sub(1)) + 1).saturating_sub(start),
        ),
        (None, Some(suffix)) if a.is_empty() => {
            let n = suffix.min(len);
            (len - n, n)
        }
        _ => return Ok(None),
    };
    if range.0 >= len || range.1 == 0 {
        return Err(());
    }
    Ok(Some(range))
}

async fn blob_get(
    State(st): State<AppState>,
    who: Authed,
    Path(sha): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    checked_sha(&sha)?;
    who.may_read_documents()?;
    let username = &who.info().username;
    let not_found = || {
        ApiError::not_found(
            format!("no attachment {sha} for {username}"),
            "没有这个附件",
        )
    };
    let Some((len, file_access)) = readable_len(&st, &who, &sha).await? else {
        return Err(not_found());
    };
    let (status, start, count) = match parse_range(&headers, len) {
        Ok(None) => (StatusCode::OK, 0, len),
        Ok(Some((start, count))) => (StatusCode::PARTIAL_CONTENT, start, count),
        Err(()) => {
            let mut r = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("requested range is outside the {len} bytes of the file"),
                "请求的范围超出文件长度",
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };
    if let FileAccess::Document(document_id, classification) = file_access {
        // Every request that returns bytes of a classified file is one entry: a range
        // is a read too, and the client fetches a file in one request, so a download
        // is one entry and a reader who pieces a file together leaves one per piece.
        if access::audited(classification) {
            st.storage
                .append_audit(&AuditDraft {
                    at: now(),
                    username: username.clone(),
                    unit: who.info().unit.clone(),
                    client: who.client.clone(),
                    action: "blob read".into(),
                    detail: serde_json::json!({
                        "sha256": sha,
                        "document_id": document_id,
                        "classification": classification,
                        "start": start,
                        "bytes": count,
                    })
                    .to_string(),
                })
                .await?;
        }
    }
    let Some(reader) = st
        .blobs
        .open(&sha, start, Some(count))
        .await
        .map_err(blob_error)?
    else {
        return Err(not_found());
    };
    let mut response = Response::new(Body::from_stream(
        tokio_util::io::ReaderStream::with_capacity(reader, 256 * 1024),
    ));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{sha}\"")) {
        h.insert(ETAG, v);
    }
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{len}", start + count - 1))
        {
            h.insert(CONTENT_RANGE, v);
        }
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------
// Operations

async fn healthz(State(st): State<AppState>) -> Response {
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

async fn metrics_text(State(st): State<AppState>, headers: HeaderMap) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn range(v: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
        let mut h = HeaderMap::new();
        h.insert(RANGE, HeaderValue::from_str(v).unwrap());
        parse_range(&h, len)
    }

    #[test]
    fn ranges() {
        assert_eq!(range("bytes=0-9", 100), Ok(Some((0, 10))));
        assert_eq!(range("bytes=90-", 100), Ok(Some((90, 10))));
        assert_eq!(range("bytes=-5", 100), Ok(Some((95, 5))));
        assert_eq!(range("bytes=95-200", 100), Ok(Some((95, 5))));
        assert_eq!(range("bytes=100-", 100), Err(()));
        assert_eq!(range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(range("items=0-1", 100), Ok(None));
    }
}
