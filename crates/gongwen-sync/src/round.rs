//! One sync round ([`sync_once`]) and login.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use gongwen_core::wire::{CommandBody, CommandResult, LoginResponse, RejectCode, Rejection};
use gongwen_store::{lock, Account, CursorReset, OutboxEntry, Store};
use serde::Serialize;

use crate::progress::{Meter, TransferKind};
use crate::{Client, SyncError};

/// Commands per push request.
const PUSH_BATCH: usize = 50;
/// Changes per pull request.
const PULL_LIMIT: u32 = 500;

/// How long a fetched directory of units and users is used before a round asks for it
/// again. It changes when an administrator adds a unit or a user, which is rare; the
/// protocol has no signal for it, so the age decides (and every login fetches it).
pub const DIRECTORY_MAX_AGE: Duration = Duration::from_secs(10 * 60);

/// Choices of a sync round; [`sync_once`] uses the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOptions {
    /// Refetch the cached directory once it is older than this (see
    /// [`DIRECTORY_MAX_AGE`]); `Duration::ZERO` fetches it every round.
    pub directory_max_age: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            directory_max_age: DIRECTORY_MAX_AGE,
        }
    }
}

/// What one sync round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Commands sent (a re-send counts again).
    pub pushed: usize,
    pub accepted: usize,
    pub rejected: usize,
    /// Changes applied.
    pub pulled: usize,
    /// Documents that arrived that this store did not have.
    pub new_documents: usize,
    /// The stored cursor after the round.
    pub cursor: u64,
    pub uploaded: usize,
    pub downloaded: usize,
    /// The cached directory was stale and a fresh one was stored.
    pub directory_refreshed: bool,
    /// The stored cursor was void and the log was pulled again from the start.
    pub cursor_reset: Option<CursorReset>,
    /// Accepted commands sent again because the server was restored from a backup.
    pub repushed: u64,
    /// Problems that did not stop the round (English).
    pub warnings: Vec<String>,
}

/// Logs in and remembers the account in the store (not the token: [`crate::log_in`]
/// also puts it in the keyring).
pub async fn login(
    client: &Client,
    store: &Mutex<Store>,
    username: &str,
    password: &str,
) -> Result<LoginResponse, SyncError> {
    let resp = client.login(username, password).await?;
    let account = Account::new(client.server(), resp.user.clone());
    lock(store).set_account(Some(&account))?;
    // A login is when units and users are most likely to have changed for this user
    // (first use, another server, a new account); the rounds after it ask only when
    // the copy is stale. A failure here is no reason to refuse the login: the cache
    // and its fetch record stay as they were (a copy from another server counts as
    // stale for this one), so a round asks again as soon as it is stale.
    match client.directory(&resp.token).await {
        Ok(directory) => lock(store).set_fetched_directory(client.server(), &directory)?,
        Err(e) => tracing::warn!("directory not fetched at login: {e}"),
    }
    Ok(resp)
}

/// One sync round for the account saved in the store (see [`login`]), which must be
/// on `client`'s server, with the default [`SyncOptions`]:
/// 1. refresh the cached directory if it is stale (best effort);
/// 2. upload the attachment files of the account's pending dispatches (resuming), then
///    push its pending commands in order, in batches, recording each outcome (commands
///    queued while this runs are pushed too); other accounts' commands wait for them;
/// 3. pull the change log until `has_more` is false, applying each page with its
///    cursor in one transaction; a page that shows the cursor void (server restored,
///    unit changed, clearance raised) starts the pull again from 0, and after a
///    restore the accepted commands are pushed again first;
/// 4. download the attachment files of documents that arrived (hash-checked).
///
/// The store is locked only between network calls. The outcome is recorded in the
/// store's sync state (last sync time or last error); an error never resets the
/// cursor.
pub async fn sync_once(
    client: &Client,
    token: &str,
    store: &Mutex<Store>,
) -> Result<SyncReport, SyncError> {
    sync_once_with(client, token, store, &SyncOptions::default()).await
}

/// [`sync_once`] with explicit options.
pub async fn sync_once_with(
    client: &Client,
    token: &str,
    store: &Mutex<Store>,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let account = lock(store).account()?.ok_or(SyncError::NotLoggedIn)?;
    if account.server != client.server() {
        return Err(SyncError::AccountMismatch {
            store: account.server,
            client: client.server().to_string(),
        });
    }
    let result = round(client, token, store, &account, options).await;
    let error = result.as_ref().err().map(|e| e.to_string());
    lock(store).record_sync(&account, error.as_deref().map_or(Ok(()), Err))?;
    result
}

async fn round(
    client: &Client,
    token: &str,
    store: &Mutex<Store>,
    account: &Account,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();

    let fresh = lock(store).directory_is_fresh(client.server(), options.directory_max_age)?;
    if !fresh {
        // The cached copy stays usable whatever happens here (addressing offline).
        match client.directory(token).await {
            Ok(directory) => {
                lock(store).set_fetched_directory(client.server(), &directory)?;
                report.directory_refreshed = true;
            }
            Err(e) if e.is_auth() || e.is_offline() => return Err(e),
            Err(e) => report
                .warnings
                .push(format!("directory not refreshed: {e}")),
        }
    }

    push(client, token, store, account, &mut report).await?;
    pull(client, token, store, account, &mut report).await?;
    download(client, token, store, &mut report).await?;
    Ok(report)
}

/// Pushes `account`'s pending commands: `token` is its token. Commands another account
/// queued on this computer wait for that account's own login, so nobody sends a
/// command under another's identity.
async fn push(
    client: &Client,
    token: &str,
    store: &Mutex<Store>,
    account: &Account,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let mut uploaded = std::collections::HashSet::new();
    // Files the server refused for good in this round, with its answer: every dispatch
    // that needs one is refused with that answer, without asking again.
    let mut refused_files: HashMap<String, Rejection> = HashMap::new();
    // Halved while the server refuses a request as a whole (too many or too large
    // commands, or one it cannot read), down to one command, whose refusal is then
    // its own.
    let mut batch_size = PUSH_BATCH;
    loop {
        let batch = lock(store).pending_commands_of(account, batch_size)?;
        if batch.is_empty() {
            return Ok(());
        }
        // Files first: the server rejects a dispatch whose files it lacks, and that
        // refusal would be final.
        let mut blocked = std::collections::HashSet::new();
        for entry in &batch {
            let CommandBody::Dispatch { document, .. } = &entry.command.body else {
                continue;
            };
            for a in &document.attachments {
                let Some(sha) = &a.sha256 else { continue };
                if let Some(rejection) = refused_files.get(sha) {
                    blocked.insert(entry.command.id);
                    refuse(store, report, entry, rejection)?;
                    break;
                }
                if !uploaded.insert(sha.clone()) {
                    continue;
                }
                let path = lock(store).attachment_path(sha);
                let path = match path {
                    Ok(p) => p,
                    Err(e) => {
                        // The server will refuse the dispatch (missing_attachment) and
                        // the user sees why; nothing to retry.
                        report
                            .warnings
                            .push(format!("attachment {sha} not uploaded: {e}"));
                        continue;
                    }
                };
                match client.upload_blob(token, sha, &path).await {
                    Ok(r) => {
                        if !r.already_there {
                            report.uploaded += 1;
                        }
                    }
                    Err(e @ SyncError::Attachment { .. }) => {
                        report.warnings.push(e.to_string());
                    }
                    // This file will not be taken (e.g. over the server's size limit):
                    // its dispatch is refused, the other commands go on.
                    Err(e) if e.is_refusal() => {
                        let mut rejection = rejection_of(&e);
                        rejection.message =
                            format!("附件“{}”未被交换服务器接收：{}", a.name, rejection.message);
                        report
                            .warnings
                            .push(format!("attachment {sha} refused: {e}"));
                        blocked.insert(entry.command.id);
                        refuse(store, report, entry, &rejection)?;
                        refused_files.insert(sha.clone(), rejection);
                        break;
                    }
                    Err(e) => {
                        let ids: Vec<_> = batch.iter().map(|e| e.command.id).collect();
                        lock(store).record_attempt_error(&ids, &e.to_string())?;
                        return Err(e);
                    }
                }
            }
        }
        let batch: Vec<_> = batch
            .into_iter()
            .filter(|e| !blocked.contains(&e.command.id))
            .collect();
        if batch.is_empty() {
            continue;
        }
        let payloads: Vec<&str> = batch.iter().map(|e| e.payload.as_str()).collect();
        let response = match client.push_stored(token, &payloads).await {
            Ok(r) => r,
            Err(e) if e.is_refusal() && batch.len() > 1 => {
                batch_size = batch.len() / 2;
                tracing::info!(
                    "a push of {} commands was refused ({e}); sending {batch_size} at a time",
                    batch.len()
                );
                continue;
            }
            Err(e) if e.is_refusal() => {
                report.pushed += 1;
                refuse(store, report, &batch[0], &rejection_of(&e))?;
                continue;
            }
            Err(e) => {
                let ids: Vec<_> = batch.iter().map(|e| e.command.id).collect();
                lock(store).record_attempt_error(&ids, &e.to_string())?;
                return Err(e);
            }
        };
        report.pushed += batch.len();
        {
            let mut s = lock(store);
            for (entry, outcome) in batch.iter().zip(&response.outcomes) {
                let command = &entry.command;
                if outcome.command_id != command.id {
                    return Err(SyncError::Protocol {
                        what: "push",
                        reason: format!(
                            "outcome for {} where {} was sent",
                            outcome.command_id, command.id
                        ),
                    });
                }
                match &outcome.result {
                    CommandResult::Accepted => report.accepted += 1,
                    CommandResult::Rejected { rejection } => {
                        report.rejected += 1;
                        tracing::info!(
                            "command {} ({}) refused: {}",
                            command.id,
                            command.body.kind(),
                            rejection.message_en
                        );
                    }
                }
                // False when another process on this store recorded it first; either
                // way the command is no longer pending, so this loop always advances.
                s.record_outcome(outcome)?;
            }
        }
    }
}

/// The server's refusal of a request, as the refusal of the one command it was about.
fn rejection_of(e: &SyncError) -> Rejection {
    let (code, message_zh, message_en) = match e {
        SyncError::Refused {
            status, message_zh, ..
        } => (
            match status {
                403 => RejectCode::Forbidden,
                404 => RejectCode::NotFound,
                _ => RejectCode::Invalid,
            },
            message_zh.clone(),
            e.to_string(),
        ),
        other => (RejectCode::Invalid, other.message_zh(), other.to_string()),
    };
    Rejection {
        code,
        message: message_zh,
        message_en,
    }
}

/// Records a refusal that the server gave to the request rather than in an outcome.
fn refuse(
    store: &Mutex<Store>,
    report: &mut SyncReport,
    entry: &OutboxEntry,
    rejection: &Rejection,
) -> Result<(), SyncError> {
    report.rejected += 1;
    tracing::info!(
        "command {} ({}) refused: {}",
        entry.command.id,
        entry.command.body.kind(),
        rejection.message_en
    );
    // False when another process on this store recorded an answer first.
    lock(store).record_refusal(entry.command.id, rejection)?;
    Ok(())
}

/// How many times one pull may start again from 0: once per cause is enough, so more
/// means the server keeps changing under us.
const MAX_CURSOR_RESETS: usize = 3;

async fn pull(
    client: &Client,
    token: &str,
    store: &Mutex<Store>,
    account: &Account,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let mut account = account.clone();
    let mut resets = 0;
    // A pull of more than one page (a first sync, a long absence) shows its progress.
    let mut meter: Option<Meter> = None;
    let result = loop {
        let cursor = lock(store).cursor(&account)?;
        let (page, size) = client.pull_sized(token, cursor, PULL_LIMIT).await?;
        let void = lock(store).cursor_void(&account, &page, cursor)?;
        if let Some(why) = void {
            resets += 1;
            if resets > MAX_CURSOR_RESETS {
                return Err(SyncError::Protocol {
                    what: "pull",
                    reason: format!("the cursor was void {resets} times in one round ({why:?})"),
                });
            }
            tracing::warn!(
                ?why,
                cursor,
                "the stored cursor is void; pulling from the start"
            );
            {
                let mut s = lock(store);
                report.repushed += s.reset_cursor(&account, &page, why)?;
                // The saved account now has the unit and clearance the page gave.
                if let Some(saved) = s.account()?.filter(|a| a.key() == account.key()) {
                    account = saved;
                }
            }
            report.cursor_reset = Some(why);
            if why == CursorReset::ServerRestored {
                // Before pulling: what the server lost is back before its log is read.
                push(client, token, store, &account, report).await?;
            }
            continue;
        }
        let applied = lock(store).apply_changes(&account, &page)?;
        report.pulled += applied.changes;
        report.new_documents += applied.new_documents;
        report.cursor = applied.cursor;
        if page.has_more && meter.is_none() {
            let mut m = Meter::new(client.progress(), TransferKind::Pull);
            m.state.total_entries = page.head_seq.map(|head| head.saturating_sub(cursor));
            meter = Some(m.with_origin(cursor));
        }
        if let Some(m) = meter.as_mut() {
            m.state.bytes += size;
            m.state.entries = applied.cursor.saturating_sub(m.origin());
            m.tick();
        }
        if !page.has_more {
            break Ok(());
        }
        if applied.cursor <= cursor {
            break Err(SyncError::Protocol {
                what: "pull",
                reason: format!("has_more with a cursor that did not advance ({cursor})"),
            });
        }
    };
    if let Some(m) = meter.as_mut() {
        m.finish();
    }
    result
}

async fn download(
    client: &Client,
    token: &str,
    store: &Mutex<Store>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let (wanted, dir) = {
        let s = lock(store);
        (s.wanted_attachments()?, s.attachments_dir())
    };
    for w in wanted {
        match client.download_blob(token, &w.sha256, &dir).await {
            Ok(file) => {
                lock(store).adopt_attachment(&w.sha256, file)?;
                report.downloaded += 1;
            }
            Err(e) if e.is_auth() || e.is_offline() => return Err(e),
            Err(e) => {
                report
                    .warnings
                    .push(format!("attachment {} not downloaded: {e}", w.sha256));
                lock(store).record_download_error(&w.sha256, &e.to_string())?;
            }
        }
    }
    Ok(())
}
