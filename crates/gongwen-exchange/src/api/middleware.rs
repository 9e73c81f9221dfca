//! Layers around the routes: the in-flight cap, JSON bodies read whole within size and
//! time limits, every request counted and timed, every error answered as an `ErrorBody`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio::sync::Semaphore;

use crate::error::{code_for_status, zh_for_status, ApiError};

/// At most `max_requests_in_flight` requests are handled at once; one more is
/// answered 503 at once instead of queueing (a queue would only hold more sockets).
/// A slot is held until the handler returns: for an upload that is its whole body,
/// for a download until the file starts streaming.
pub(super) async fn in_flight(
    State(slots): State<Arc<Semaphore>>,
    req: Request,
    next: Next,
) -> Response {
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
pub(super) struct BodyRules {
    pub(super) limit: u64,
    pub(super) timeout: Duration,
}

/// Reads a JSON route's whole body before the handler runs: at most `limit` bytes
/// (413 beyond, see [`refuse_too_large`]), all of it within `timeout` (408
/// otherwise), so a client that trickles its body holds neither a socket nor a
/// handler for long. Either refusal closes the connection.
pub(super) async fn read_body(
    State(rules): State<BodyRules>,
    req: Request,
    next: Next,
) -> Response {
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

/// Counts and times every routed request, by route template and status, and logs it
/// (method, route, status, time; never headers, so no token reaches the log).
pub(super) async fn track(req: Request, next: Next) -> Response {
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
pub(super) async fn json_errors(req: Request, next: Next) -> Response {
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

pub(super) async fn fallback(method: Method, uri: axum::http::Uri) -> ApiError {
    metrics::counter!("exchange_http_requests_total",
        "method" => method.to_string(), "route" => "unmatched", "status" => "404")
    .increment(1);
    ApiError::not_found(
        format!("no such endpoint: {method} {}", uri.path()),
        "没有这个接口",
    )
}
