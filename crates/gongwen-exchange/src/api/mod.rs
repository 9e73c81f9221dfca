//! The HTTP API (`/v1/…`, `/healthz`, `/metrics`): routing, authentication of every
//! request, the JSON and blob endpoints. Workflow decisions are made by
//! [`crate::commands`]; this module only checks who asks and what they sent.
//!
//! This file holds the settings, the shared state and the router; the handlers live by
//! topic: `session` (login, logout, me, directory), `log` (commands pushed, changes
//! pulled, documents read), `blobs` (attachment upload and download), `ops` (`/healthz`,
//! `/metrics`), with `request` (who asks, what they sent) and `middleware` (limits,
//! metrics, error shape) around them.

mod blobs;
mod log;
mod middleware;
mod ops;
mod request;
mod session;
mod transfers;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::HeaderName;
use axum::routing::{get, post};
use axum::{Extension, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Semaphore;

use crate::auth::Secret;
use crate::blobs::BlobStore;
use crate::config::Config;
use crate::storage::Storage;
use crate::throttle::{LoginThrottle, ThrottleSettings};

use blobs::{blob_bad_path, blob_delete, blob_get, blob_head, blob_patch};
use log::{changes, document, push};
use middleware::{fallback, in_flight, json_errors, read_body, track, BodyRules};
use ops::{healthz, metrics_text};
pub use request::Authed;
use session::{delegations, directory, login, logout, me};

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
    /// Each unit's 文号 series (`assets/numbering.toml` unless configured).
    pub numbering: Arc<gongwen_core::numbering::NumberingRules>,
    /// Units' own flows (`flows_dir`), the default for every other unit.
    pub flows: Arc<crate::flows::UnitFlows>,
    /// Which units are archives and where transfers are kept (移交).
    pub archive: Arc<crate::transfer::ArchiveSettings>,
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
        .layer(axum::middleware::from_fn_with_state(
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
        .route("/v1/delegations", get(delegations))
        .route("/v1/transfers", get(transfers::list))
        .route("/v1/transfers/{id}", get(transfers::one))
        .route("/v1/commands", post(push))
        .route("/v1/changes", get(changes))
        .route("/v1/documents/{id}", get(document))
        .layer(axum::middleware::from_fn_with_state(
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
        .route_layer(axum::middleware::from_fn(track))
        .fallback(fallback)
        .layer(axum::middleware::from_fn(json_errors))
        .layer(axum::middleware::from_fn_with_state(slots, in_flight))
        .with_state(state)
}
