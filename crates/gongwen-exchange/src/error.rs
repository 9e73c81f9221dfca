//! Every error the API answers: an HTTP status and an [`ErrorBody`] with a stable
//! code, an English message that names what was wrong and a Chinese one for the UI.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gongwen_core::wire::ErrorBody;

use crate::storage::StorageError;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                code: code.to_string(),
                message: message.into(),
                message_zh: message_zh.into(),
            },
        }
    }

    pub fn bad_request(message: impl Into<String>, message_zh: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message, message_zh)
    }

    /// Missing, unknown, expired or revoked token — one answer for all, so a caller
    /// learns nothing about which.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing, invalid, expired or revoked token; log in again",
            "登录已失效，请重新登录",
        )
    }

    pub fn forbidden(message: impl Into<String>, message_zh: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message, message_zh)
    }

    pub fn not_found(message: impl Into<String>, message_zh: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message, message_zh)
    }

    pub fn conflict(message: impl Into<String>, message_zh: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message, message_zh)
    }

    pub fn too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request body is larger than the limit of {limit} bytes"),
            format!("请求内容过大（上限 {limit} 字节）"),
        )
    }

    pub fn unprocessable(message: impl Into<String>, message_zh: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            message,
            message_zh,
        )
    }

    /// Too many failed logins for the username or from the address (see
    /// [`crate::throttle`]). One answer for both, and for known and unknown usernames
    /// alike; the caller adds `Retry-After`.
    pub fn too_many_attempts(retry_after_secs: u64) -> Self {
        let (en, zh) = wait_text(retry_after_secs);
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!(
                "too many failed logins for this account or from this address; try again in {en}"
            ),
            format!("登录失败次数过多，请{zh}后再试"),
        )
    }

    /// An upload body that sent nothing for too long: what arrived is kept.
    pub fn upload_stalled(received: u64, cause: &str) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "upload_stalled",
            format!(
                "upload stalled ({cause}); the {received} bytes received are kept, resume from Upload-Offset {received}"
            ),
            format!("上传停顿超时，已保存 {received} 字节，请从该位置继续上传"),
        )
    }

    /// The server is busy (e.g. the same document changed under every retry).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            message,
            "服务器繁忙，请稍后重试",
        )
    }

    /// An internal failure: the cause goes to the log, the caller gets a generic
    /// message (storage errors may name tables or files).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error; see the server log",
            "服务器内部错误",
        )
    }
}

/// A wait in words: seconds below two minutes, else whole minutes rounded up.
fn wait_text(secs: u64) -> (String, String) {
    if secs < 120 {
        (format!("{secs} seconds"), format!(" {secs} 秒"))
    } else {
        let minutes = secs.div_ceil(60);
        (format!("{minutes} minutes"), format!(" {minutes} 分钟"))
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        ApiError::internal(format!("storage: {e}"))
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::internal(format!("i/o: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// The `code` used for a bare status when a layer below us (routing, method
/// matching) answered without an [`ErrorBody`].
pub fn code_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        s if s.is_server_error() => "internal",
        _ => "error",
    }
}

/// Chinese text for a bare status (see [`code_for_status`]).
pub fn zh_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "请求格式错误",
        StatusCode::UNAUTHORIZED => "登录已失效，请重新登录",
        StatusCode::FORBIDDEN => "没有权限",
        StatusCode::NOT_FOUND => "没有找到",
        StatusCode::METHOD_NOT_ALLOWED => "不支持该请求方法",
        StatusCode::CONFLICT => "状态冲突",
        StatusCode::PAYLOAD_TOO_LARGE => "请求内容过大",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "不支持的内容类型",
        StatusCode::UNPROCESSABLE_ENTITY => "内容校验失败",
        StatusCode::REQUEST_TIMEOUT => "请求超时，请重试",
        StatusCode::TOO_MANY_REQUESTS => "请求过于频繁，请稍后再试",
        s if s.is_server_error() => "服务器内部错误",
        _ => "请求失败",
    }
}
