//! What can go wrong while syncing, in words that say which part failed.

use gongwen_store::StoreError;

/// An error of a sync step. `Display` is English (logs, CLI); [`SyncError::message_zh`]
/// is for the UI.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("invalid exchange server address {url:?}: {reason}")]
    InvalidServer { url: String, reason: String },
    /// The server could not be reached or the connection broke (retry later).
    #[error("cannot reach the exchange server {server} ({what}): {reason}")]
    Network {
        server: String,
        what: &'static str,
        reason: String,
    },
    /// 401: wrong password, or the token expired or was revoked. Log in again.
    #[error("login needed: the exchange server refused the credentials ({message})")]
    Unauthorized { message: String },
    /// A 4xx other than 401: the server refused the request and said why.
    #[error("the exchange server refused {what} ({status} {code}): {message}")]
    Refused {
        what: &'static str,
        status: u16,
        code: String,
        message: String,
        message_zh: String,
    },
    /// A 5xx: the server failed (retry later).
    #[error("the exchange server failed on {what} ({status}): {message}")]
    Server {
        what: &'static str,
        status: u16,
        message: String,
    },
    /// The server answered something this client does not understand.
    #[error("unexpected answer from the exchange server to {what}: {reason}")]
    Protocol { what: &'static str, reason: String },
    /// An attachment file is damaged or does not match its hash.
    #[error("attachment {sha256}: {reason}")]
    Attachment { sha256: String, reason: String },
    #[error("no account: log in first")]
    NotLoggedIn,
    /// The store is logged in to another server than the client talks to.
    #[error("the store is logged in to {store}, not {client}; log in again")]
    AccountMismatch { store: String, client: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl SyncError {
    /// Whether logging in again is the way out (the background loop stops on these).
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            SyncError::Unauthorized { .. }
                | SyncError::NotLoggedIn
                | SyncError::AccountMismatch { .. }
        )
    }

    /// Whether the server refused the request for good: a 4xx that sending the same
    /// again cannot change. Not 401 (log in again), 408 (too slow), 409 (a race with
    /// another upload) or 429 (too many requests): those pass.
    pub fn is_refusal(&self) -> bool {
        matches!(self, SyncError::Refused { status, .. } if !matches!(status, 408 | 409 | 425 | 429))
    }

    /// Whether the server could not be reached (the UI shows 离线).
    pub fn is_offline(&self) -> bool {
        matches!(self, SyncError::Network { .. })
    }

    /// The message for the UI, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            SyncError::InvalidServer { url, .. } => format!("交换服务器地址“{url}”无效。"),
            SyncError::Network { .. } => {
                "无法连接交换服务器，已离线；待同步的内容会在联网后自动发送。".into()
            }
            SyncError::Unauthorized { .. }
            | SyncError::NotLoggedIn
            | SyncError::AccountMismatch { .. } => "需要重新登录交换平台。".into(),
            SyncError::Refused { message_zh, .. } => message_zh.clone(),
            SyncError::Server { .. } => "交换服务器出错，稍后将自动重试。".into(),
            SyncError::Protocol { .. } => {
                "交换服务器的应答无法识别，请升级软件或联系管理员。".into()
            }
            SyncError::Attachment { .. } => "附件文件校验失败，已丢弃，稍后将重新传输。".into(),
            SyncError::Store(e) => e.message_zh(),
            SyncError::Io { path, .. } => format!("无法读写文件“{path}”。"),
        }
    }
}
