//! Login, logout and the background sync loop while the window is open.
//!
//! The token goes to the OS keyring (gongwen-sync `credentials`); the next start reads
//! it from there and syncs without asking. Where no keyring is available the token is
//! kept in this process's memory only, and the status bar says so: never in SQLite, a
//! file or a log line. Every change of the sync state is pushed to the window as the
//! `sync-status` event.

use std::sync::{Arc, Mutex};

use gongwen_store::Store;
use gongwen_sync::credentials::{self, CredentialError};
use gongwen_sync::{Client, LoopConfig, SyncError, SyncLoop};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::commands::Answer;
use crate::exchange_types::{AccountView, Connection, SyncStatus};
use crate::AppState;

/// The event that carries a new [`SyncStatus`] to the window.
pub const STATUS_EVENT: &str = "sync-status";
/// Environment variable with the exchange server the login dialog offers
/// (`cargo xtask run` points it at its local server).
pub const SERVER_ENV: &str = "GONGWEN_SERVER";
/// The address of a `gongwen-exchange serve` started with its defaults.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8470";

/// The logged-in session. No `Debug`: it holds the token.
#[derive(Default)]
pub struct Session {
    /// This run's copy of the token; the keyring holds the lasting one, if there is a
    /// keyring.
    token: Option<String>,
    /// Set when the keyring could not keep the token (shown in the status bar).
    keyring_warning: Option<String>,
    sync: Option<SyncLoop>,
    /// At start, the stored login is being looked up (shown as 连接中, not 需要登录,
    /// so the window does not ask for a password it may not need).
    resuming: bool,
}

fn session<'a>(state: &'a AppState) -> std::sync::MutexGuard<'a, Session> {
    // A poisoned lock is used as it is: the policy of `gongwen_store::lock`.
    state
        .session
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The server the login dialog starts with, and whether it came from the environment.
fn default_server(account: Option<&gongwen_store::Account>) -> (String, bool) {
    match std::env::var(SERVER_ENV) {
        Ok(s) if !s.trim().is_empty() => (s.trim().to_string(), true),
        _ => (
            account.map_or_else(|| DEFAULT_SERVER.to_string(), |a| a.server.clone()),
            false,
        ),
    }
}

/// The sentence the status bar shows once the server was found restored from a backup.
pub fn server_restored_text(repushed: u64) -> String {
    format!("服务器已从备份恢复：已从头重新同步，并重新提交了{repushed}条已被接受的操作。")
}

/// The sentence the status bar shows when the keyring cannot keep the token.
pub fn keyring_warning(e: &CredentialError) -> String {
    let why = match e {
        CredentialError::Unavailable(_) => "本机没有可用的系统密钥环服务",
        CredentialError::Keyring(_) => "系统密钥环拒绝了保存",
    };
    format!("登录状态无法保存到系统密钥环：{why}，每次启动需重新输入密码。")
}

/// What a failed login means for the clerk.
pub fn login_error(server: &str, e: &SyncError) -> String {
    match e {
        SyncError::Unauthorized { .. } => "用户名或密码错误，或账号已停用。".into(),
        SyncError::Network { .. } => {
            format!("无法连接交换服务器“{server}”，请检查地址和网络后重试。")
        }
        other => other.message_zh(),
    }
}

fn shared_store(state: &AppState) -> Answer<Arc<Mutex<Store>>> {
    crate::commands::shared_store(state)
}

/// The status as the window shows it, computed fresh: the loop's connection, the
/// store's last sync time, and counts taken from the same list as the 同步队列.
pub fn status(state: &AppState) -> Answer<SyncStatus> {
    let shared = shared_store(state)?;
    let (account, signed_in, last_sync_at, restored, directory, queue, unread, cursor) = {
        let store = gongwen_store::lock(&shared);
        let fail = |e: gongwen_store::StoreError| {
            tracing::warn!(error = %e, "cannot read the sync state");
            e.message_zh()
        };
        let account = store.account().map_err(fail)?;
        let signed_in = store.signed_in().map_err(fail)?.is_some();
        let (last_sync_at, restored, cursor) = match &account {
            Some(a) => {
                let state = store.sync_state(a).map_err(fail)?;
                let restored = state.server_restored_at.map(|_| state.repushed);
                (state.last_sync_at, restored, state.cursor)
            }
            None => (None, None, 0),
        };
        let unread = store.unread_arrivals().map_err(fail)?.len();
        let directory = store.directory().map_err(fail)?;
        let queue = crate::sync_commands::outbox_items(&store).map_err(fail)?;
        (
            account,
            signed_in,
            last_sync_at,
            restored,
            directory,
            queue,
            unread,
            cursor,
        )
    };
    let (default_server, default_server_from_env) = default_server(account.as_ref());
    let s = session(state);
    let loop_status = s.sync.as_ref().map(SyncLoop::status);
    // Nobody signed in is 需要登录 whatever the loop last said: a loop stopped by
    // 退出登录 may still hold the Offline of its last round.
    let connection = match loop_status.as_ref().map(|l| l.connection) {
        _ if !signed_in && !s.resuming => Connection::LoginNeeded,
        Some(connection) => connection,
        None if s.resuming => Connection::Connecting,
        None => Connection::LoginNeeded,
    };
    let pending = queue
        .iter()
        .filter(|q| q.state == crate::exchange_types::OutboxItemState::Pending)
        .count();
    Ok(SyncStatus {
        connection,
        account: account.map(|a| AccountView {
            unit_name: directory
                .units
                .iter()
                .find(|u| u.code == a.user.unit)
                .map_or_else(|| a.user.unit.0.clone(), |u| u.name.clone()),
            server: a.server,
            username: a.user.username,
            display_name: a.user.display_name,
            unit: a.user.unit,
            role: a.user.role,
        }),
        signed_in,
        last_sync_at,
        pending: u32::try_from(pending).unwrap_or(u32::MAX),
        rejected: u32::try_from(queue.len() - pending).unwrap_or(u32::MAX),
        transfer: loop_status.as_ref().and_then(|l| l.transfer.clone()),
        last_error: loop_status.and_then(|l| l.last_error_zh),
        keyring_warning: s.keyring_warning.clone(),
        server_restored: restored.map(server_restored_text),
        default_server,
        default_server_from_env,
        unread: u32::try_from(unread).unwrap_or(u32::MAX),
        cursor,
    })
}

/// Pushes the current status to the window.
pub fn announce(state: &AppState) {
    let Some(app) = state.app.get() else { return };
    match status(state) {
        Ok(s) => {
            if let Err(e) = app.emit(STATUS_EVENT, s) {
                tracing::warn!(error = %e, "cannot send the sync status to the window");
            }
        }
        Err(e) => tracing::debug!(error = e, "no sync status to announce"),
    }
}

/// A command was queued: tell the window, and let the loop send it now.
pub fn command_queued(state: &AppState) {
    if let Some(sync) = &session(state).sync {
        sync.poke();
    }
    announce(state);
}

/// Starts the loop for the store's account with `token`, replacing a running one, and
/// forwards its every status change to the window.
fn start_loop(state: &AppState, app: &AppHandle, client: Client, token: String) -> Answer<()> {
    let shared = shared_store(state)?;
    let sync = SyncLoop::start(client, token.clone(), shared, LoopConfig::default());
    let mut changes = sync.subscribe();
    {
        let mut s = session(state);
        s.token = Some(token);
        s.sync = Some(sync); // drops (stops) the previous loop, if any
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        // Ends when the loop ends (its sender goes away) after the last status.
        while changes.changed().await.is_ok() {
            let state = app.state::<AppState>();
            // A finished round may have brought arrivals: told before the badge moves.
            if !changes.borrow_and_update().syncing {
                crate::arrivals::notify_new(&app, &state);
                crate::due::notify_due(&app, &state);
            }
            announce(&state);
        }
    });
    Ok(())
}

fn client_for(state: &AppState, server: &str) -> Answer<Client> {
    let shared = shared_store(state)?;
    let client_id = gongwen_store::lock(&shared).client_id().map_err(|e| {
        tracing::warn!(error = %e, "cannot read the install id");
        e.message_zh()
    })?;
    Client::new(server, &client_id).map_err(|e| {
        tracing::warn!(server, error = %e, "bad exchange server address");
        e.message_zh()
    })
}

/// At start: if an account was used before and the keyring has its token, sync with it
/// without asking. Otherwise the window shows 需要登录.
pub fn resume(app: &AppHandle) {
    session(&app.state::<AppState>()).resuming = true;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        resume_stored(&app, &state).await;
        session(&state).resuming = false;
        announce(&state);
    });
}

async fn resume_stored(app: &AppHandle, state: &AppState) {
    let account = match shared_store(state)
        .ok()
        .map(|s| gongwen_store::lock(&s).account())
    {
        Some(Ok(Some(account))) => account,
        _ => return,
    };
    let (server, username) = (account.server.clone(), account.user.username.clone());
    let loaded =
        tauri::async_runtime::spawn_blocking(move || credentials::load_token(&server, &username))
            .await;
    let token = match loaded {
        Ok(Ok(Some(token))) => token,
        Ok(Ok(None)) => {
            tracing::info!(server = %account.server, user = %account.user.username, "no stored token; login needed");
            return;
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot read the token from the keyring; login needed");
            session(state).keyring_warning = Some(keyring_warning(&e));
            return;
        }
        Err(e) => {
            tracing::error!(error = %e, "the keyring lookup failed");
            return;
        }
    };
    match client_for(state, &account.server)
        .and_then(|client| start_loop(state, app, client, token))
    {
        Ok(()) => {
            tracing::info!(server = %account.server, user = %account.user.username, "resumed the session with the stored token")
        }
        Err(e) => tracing::warn!(error = e, "cannot resume the session"),
    }
}

#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> Answer<SyncStatus> {
    status(&state)
}

/// 登录: checks the password with the server, keeps the token (keyring, else memory
/// only, with a warning), and starts the sync loop.
#[tauri::command]
pub async fn login(
    app: AppHandle,
    state: State<'_, AppState>,
    server: String,
    username: String,
    password: String,
) -> Answer<SyncStatus> {
    let (server, username) = (server.trim().to_string(), username.trim().to_string());
    if server.is_empty() || username.is_empty() || password.is_empty() {
        return Err("请填写服务器地址、用户名和密码。".into());
    }
    let client = client_for(&state, &server)?;
    let shared = shared_store(&state)?;
    // The running loop syncs the account logged in so far, with its token: stopped
    // before the store's account changes, so no round of it ever reads the new
    // account's commands.
    let previous = session(&state).sync.take();
    drop(previous);
    let logged_in = gongwen_sync::log_in(&client, &shared, &username, &password)
        .await
        .map_err(|e| {
            tracing::warn!(server = %client.server(), username, error = %e, "login failed");
            login_error(&server, &e)
        })?;
    let response = logged_in.response;
    tracing::info!(server = %client.server(), username, unit = %response.user.unit, "logged in");
    let warning = logged_in.not_kept.map(|e| {
        tracing::warn!(error = %e, "the token is kept in memory only for this run");
        keyring_warning(&e)
    });
    let token = response.token;
    session(&state).keyring_warning = warning;
    start_loop(&state, &app, client, token)?;
    announce(&state);
    status(&state)
}

/// 退出登录: stops syncing, ends the account's view of the store (from now on it shows
/// only 非密 documents and queues nothing), revokes the token on the server when it can
/// be reached, and deletes it from the keyring. Queued commands stay queued for this
/// account's next login; the account stays remembered for the login dialog.
#[tauri::command]
pub async fn logout(state: State<'_, AppState>) -> Answer<SyncStatus> {
    let (token, sync) = {
        let mut s = session(&state);
        (s.token.take(), s.sync.take())
    };
    drop(sync);
    if let Some(app) = state.app.get() {
        crate::due::clear(app);
    }
    let shared = shared_store(&state)?;
    let out = gongwen_sync::log_out(&shared, token).await.map_err(|e| {
        tracing::error!(error = %e, "cannot end the account's view of the store");
        e.message_zh()
    })?;
    if let Some(e) = &out.not_revoked {
        tracing::info!(error = %e, "could not revoke the token on the server");
    }
    if let Some(e) = &out.keyring {
        tracing::warn!(error = %e, "cannot delete the token from the keyring");
    }
    if let Some(account) = &out.account {
        tracing::info!(server = %account.server, user = %account.user.username, "logged out");
    }
    announce(&state);
    status(&state)
}

/// 立即同步: the loop runs a round now.
#[tauri::command]
pub fn sync_now(state: State<'_, AppState>) -> Answer<()> {
    match &session(&state).sync {
        Some(sync) if !sync.is_finished() => {
            sync.poke();
            Ok(())
        }
        _ => Err("尚未登录交换平台。".into()),
    }
}

/// Stops the loop (window closing); the store can then be closed.
pub fn stop(state: &AppState) {
    let sync = {
        let mut s = session(state);
        s.token = None;
        s.sync.take()
    };
    drop(sync);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_keyring_is_explained_in_chinese() {
        let text = keyring_warning(&CredentialError::Unavailable(
            "org.freedesktop.DBus.Error.ServiceUnknown".into(),
        ));
        assert!(text.starts_with("登录状态无法保存到系统密钥环："), "{text}");
        assert!(text.ends_with("每次启动需重新输入密码。"), "{text}");
        assert!(!text.contains("DBus"), "no English in the window: {text}");
    }

    #[test]
    fn a_wrong_password_and_an_unreachable_server_say_different_things() {
        let wrong = login_error(
            "http://127.0.0.1:1",
            &SyncError::Unauthorized {
                message: "bad password".into(),
            },
        );
        assert!(wrong.contains("用户名或密码错误"), "{wrong}");
        let offline = login_error(
            "http://127.0.0.1:1",
            &SyncError::Network {
                server: "http://127.0.0.1:1".into(),
                what: "login",
                reason: "connection refused".into(),
            },
        );
        assert!(offline.contains("http://127.0.0.1:1"), "{offline}");
        assert!(offline.contains("无法连接"), "{offline}");
    }
}
