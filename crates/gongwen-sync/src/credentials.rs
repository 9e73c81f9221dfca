//! The exchange token in the OS keyring (Secret Service on Linux): service
//! `gongwen-desk`, account `<username>@<server>`.
//!
//! Never falls back to a file: where no keyring is available (no D-Bus session, a
//! locked collection) the error is [`CredentialError::Unavailable`] and the app asks for
//! the password at each start instead. The calls block (D-Bus round trips): from async
//! code, run them with `spawn_blocking`.

/// The keyring service name.
pub const SERVICE: &str = "gongwen-desk";

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// No usable keyring here; the reason says why (e.g. no D-Bus session, locked).
    #[error("no keyring is available to keep the login ({0}); the password will be asked for at each start")]
    Unavailable(String),
    /// The keyring answered with an error.
    #[error("the keyring refused the operation: {0}")]
    Keyring(String),
}

impl CredentialError {
    pub fn message_zh(&self) -> String {
        match self {
            CredentialError::Unavailable(_) => {
                "系统密钥环不可用，无法保存登录状态；每次启动时需要重新输入密码。".into()
            }
            CredentialError::Keyring(_) => "系统密钥环操作失败。".into(),
        }
    }
}

fn account(server: &str, username: &str) -> String {
    format!(
        "{username}@{}",
        gongwen_store::exchange::normalize_server(server)
    )
}

fn entry(server: &str, username: &str) -> Result<keyring::Entry, CredentialError> {
    keyring::Entry::new(SERVICE, &account(server, username)).map_err(map_err)
}

fn map_err(e: keyring::Error) -> CredentialError {
    match e {
        keyring::Error::PlatformFailure(inner) => CredentialError::Unavailable(inner.to_string()),
        keyring::Error::NoStorageAccess(inner) => CredentialError::Unavailable(inner.to_string()),
        other => CredentialError::Keyring(other.to_string()),
    }
}

/// Keeps the token for this server and user (replacing an earlier one).
pub fn save_token(server: &str, username: &str, token: &str) -> Result<(), CredentialError> {
    entry(server, username)?
        .set_password(token)
        .map_err(map_err)
}

/// The kept token, or `None` when there is none.
pub fn load_token(server: &str, username: &str) -> Result<Option<String>, CredentialError> {
    match entry(server, username)?.get_password() {
        Ok(token) => Ok(Some(token)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(map_err(e)),
    }
}

/// Forgets the token (logout). Forgetting a token that is not there is not an error.
pub fn delete_token(server: &str, username: &str) -> Result<(), CredentialError> {
    match entry(server, username)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(map_err(e)),
    }
}
