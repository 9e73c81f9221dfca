//! Attachment files by SHA-256: resumable upload (PATCH), HEAD, DELETE of one's own
//! partial upload and ranged GET, each read checked and classified reads audited.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, RANGE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use crate::access::{self, FileAccess};
use crate::blobs::{is_sha256, with_idle_timeout, BlobError, UploadState};
use crate::error::ApiError;
use crate::storage::AuditDraft;

use super::request::Authed;
use super::{now, AppState, UPLOAD_LENGTH, UPLOAD_OFFSET};

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

pub(super) async fn blob_bad_path(_who: Authed) -> ApiError {
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

pub(super) async fn blob_head(
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
pub(super) async fn blob_delete(
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

pub(super) async fn blob_patch(
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

pub(super) async fn blob_get(
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
