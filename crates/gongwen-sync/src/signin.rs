//! Logging in and out, the same for the app and the CLI: the login remembers the
//! account in the store and keeps the token in the OS keyring; the logout ends the
//! account's view of the store, revokes the token on the server when it can be
//! reached, and deletes it from the keyring. What a keyring or network failure means
//! differs by caller (the app keeps the token in memory for the run, the CLI revokes
//! it), so those failures come back as values for each caller to phrase.

use std::sync::Mutex;

use gongwen_core::wire::LoginResponse;
use gongwen_store::{Account, Store};

use crate::credentials::{self, CredentialError};
use crate::{Client, SyncError};

/// A login that succeeded.
pub struct LoggedIn {
    /// The server's answer, token included.
    pub response: LoginResponse,
    /// Why the keyring could not keep the token, if it could not.
    pub not_kept: Option<CredentialError>,
}

/// What a logout did besides ending the account's view of the store.
#[derive(Debug)]
pub struct LoggedOut {
    /// The account that was logged out (still remembered for the next login), or
    /// `None` when this store never logged in.
    pub account: Option<Account>,
    /// Why the server was not told: the token then expires by itself. `None` also
    /// when there was no token to revoke.
    pub not_revoked: Option<SyncError>,
    /// Why the keyring could not be read or could not forget the token.
    pub keyring: Option<CredentialError>,
}

/// Logs in (see [`crate::login`]: the account is remembered in the store and the
/// directory fetched), then keeps the token in the OS keyring. A keyring that cannot
/// keep it does not fail the login: see [`LoggedIn::not_kept`].
pub async fn log_in(
    client: &Client,
    store: &Mutex<Store>,
    username: &str,
    password: &str,
) -> Result<LoggedIn, SyncError> {
    let response = crate::login(client, store, username, password).await?;
    let (server, user, token) = (
        client.server().to_string(),
        response.user.username.clone(),
        response.token.clone(),
    );
    let not_kept = blocking(move || credentials::save_token(&server, &user, &token))
        .await
        .err();
    Ok(LoggedIn { response, not_kept })
}

/// 退出登录: first ends the account's view of the store (from then on it shows only
/// 非密 documents and adds nothing to the outbox), then revokes `token` on the server
/// (the keyring's token when `None`; best effort: offline, it expires by itself) and
/// deletes the token from the keyring. Its commands stay in the outbox for the
/// account's next login. Fails only if the store cannot be signed out.
pub async fn log_out(store: &Mutex<Store>, token: Option<String>) -> Result<LoggedOut, SyncError> {
    let (account, client_id) = {
        let mut store = gongwen_store::lock(store);
        store.sign_out()?;
        (store.account()?, store.client_id()?)
    };
    let mut out = LoggedOut {
        account: account.clone(),
        not_revoked: None,
        keyring: None,
    };
    let Some(account) = account else {
        return Ok(out);
    };
    let (server, username) = (account.server.clone(), account.user.username.clone());
    let token = match token {
        Some(token) => Some(token),
        None => {
            let (server, username) = (server.clone(), username.clone());
            match blocking(move || credentials::load_token(&server, &username)).await {
                Ok(token) => token,
                Err(e) => {
                    out.keyring = Some(e);
                    None
                }
            }
        }
    };
    if let Some(token) = token {
        let revoked = match Client::new(&server, &client_id) {
            Ok(client) => client.logout(&token).await,
            Err(e) => Err(e),
        };
        out.not_revoked = revoked.err();
    }
    if let Err(e) = blocking(move || credentials::delete_token(&server, &username)).await {
        out.keyring.get_or_insert(e);
    }
    Ok(out)
}

/// Runs a keyring call off the async threads (it blocks on D-Bus round trips).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CredentialError> + Send + 'static,
) -> Result<T, CredentialError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(CredentialError::Keyring(e.to_string())))
}
