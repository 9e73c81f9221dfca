//! [`SyncLoop`]: syncs in the background while the app is open.
//!
//! Retries are driven by a timer, never only by the next user action (PowerSync's
//! uploads stalled after a failure until the user wrote something new). On an error the
//! wait grows exponentially with jitter up to a cap; a poke (the user queued a command)
//! syncs at once. "Login needed" stops the loop: retrying a refused token is pointless.

use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use gongwen_core::wire::Connection;
use gongwen_store::Store;
use serde::Serialize;
use tokio::sync::{watch, Notify};

use crate::{sync_once, Client, SyncReport, Transfer};

/// Timing of the loop.
#[derive(Debug, Clone, Copy)]
pub struct LoopConfig {
    /// Wait between rounds while all is well.
    pub interval: Duration,
    /// Longest wait after repeated errors.
    pub max_backoff: Duration,
}

impl Default for LoopConfig {
    fn default() -> Self {
        LoopConfig {
            interval: Duration::from_secs(3),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// What the UI shows about syncing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoopStatus {
    pub connection: Connection,
    /// A round is running now.
    pub syncing: bool,
    /// When the last round succeeded (RFC 3339), from the store.
    pub last_sync_at: Option<String>,
    /// Commands waiting for the server (待同步).
    pub pending: u64,
    /// Commands the server refused (shown with their reasons).
    pub rejected: u64,
    /// The last error, English.
    pub last_error: Option<String>,
    /// The last error, Chinese, for the UI.
    pub last_error_zh: Option<String>,
    /// Failed rounds in a row.
    pub failures: u32,
    /// What the last successful round did.
    pub last_report: Option<SyncReport>,
    /// A long transfer under way (a first sync's pull, an attachment download).
    pub transfer: Option<Transfer>,
}

impl Default for LoopStatus {
    fn default() -> Self {
        LoopStatus {
            connection: Connection::Connecting,
            syncing: false,
            last_sync_at: None,
            pending: 0,
            rejected: 0,
            last_error: None,
            last_error_zh: None,
            failures: 0,
            last_report: None,
            transfer: None,
        }
    }
}

/// A running background sync. Dropping it stops the loop.
pub struct SyncLoop {
    poke: Arc<Notify>,
    status: watch::Receiver<LoopStatus>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SyncLoop {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The wait after `failures` failed rounds in a row: interval × 2^(failures−1), capped,
/// then a random 50–100 % of that, so many clients that lost the server together do
/// not come back in step.
pub(crate) fn backoff(config: &LoopConfig, failures: u32) -> Duration {
    if failures == 0 {
        return config.interval;
    }
    let exp = config
        .interval
        .saturating_mul(1u32 << (failures - 1).min(16))
        .min(config.max_backoff);
    exp.mul_f64(0.5 + fastrand::f64() * 0.5)
}

impl SyncLoop {
    /// Starts the loop on the current tokio runtime (call it from within one, e.g.
    /// `tauri::async_runtime`). The first round starts at once.
    pub fn start(
        client: Client,
        token: String,
        store: Arc<Mutex<Store>>,
        config: LoopConfig,
    ) -> SyncLoop {
        let poke = Arc::new(Notify::new());
        let (tx, rx) = watch::channel(LoopStatus::default());
        let tx = Arc::new(tx);
        let progress = Arc::clone(&tx);
        let client = client.with_progress(Arc::new(move |t: &Transfer| {
            let now = (!t.finished).then(|| t.clone());
            progress.send_if_modified(|s| {
                let changed = s.transfer != now;
                s.transfer = now;
                changed
            });
        }));
        let task = tokio::spawn(run(client, token, store, config, poke.clone(), tx));
        SyncLoop {
            poke,
            status: rx,
            task,
        }
    }

    /// Sync now (the user queued a command). A poke during a round starts another one
    /// right after it.
    pub fn poke(&self) {
        self.poke.notify_one();
    }

    /// The latest status.
    pub fn status(&self) -> LoopStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every status change (for pushing events to the UI).
    pub fn subscribe(&self) -> watch::Receiver<LoopStatus> {
        self.status.clone()
    }

    /// Whether the loop has ended (after "login needed").
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Stops the loop. A round in progress stops at its next network call; what it
    /// applied so far is committed (each page with its cursor).
    pub fn stop(self) {
        drop(self)
    }
}

/// Idle rounds between two upkeeps of the store (at the default 3 s interval, about a
/// minute): the user's own saves leave work for it too.
const UPKEEP_EVERY_ROUNDS: u32 = 20;

async fn run(
    client: Client,
    token: String,
    store: Arc<Mutex<Store>>,
    config: LoopConfig,
    poke: Arc<Notify>,
    status: Arc<watch::Sender<LoopStatus>>,
) {
    let mut failures = 0u32;
    let mut rounds_since_upkeep = 0u32;
    loop {
        status.send_modify(|s| s.syncing = true);
        let result = sync_once(&client, &token, &store).await;
        // Upkeep after a round that wrote to the store, and now and then for the user's
        // own saves; an idle round leaves the store alone (on a large store the upkeep
        // holds it for a hundred milliseconds or more).
        let wrote = matches!(&result, Ok(r) if r.pulled > 0 || r.pushed > 0 || r.downloaded > 0);
        rounds_since_upkeep += 1;
        let upkeep_due = wrote || rounds_since_upkeep >= UPKEEP_EVERY_ROUNDS;
        let counts = {
            let s = gongwen_store::lock(&store);
            s.account()
                .ok()
                .flatten()
                .and_then(|account| s.sync_state(&account).ok())
        };
        let login_needed = matches!(&result, Err(e) if e.is_auth());
        match &result {
            Ok(_) => failures = 0,
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::warn!("sync failed ({failures} in a row): {e}");
            }
        }
        status.send_modify(|s| {
            s.syncing = false;
            s.failures = failures;
            if let Some(c) = &counts {
                s.pending = c.pending;
                s.rejected = c.rejected;
                s.last_sync_at = c.last_sync_at.clone();
            }
            match result {
                Ok(report) => {
                    s.connection = Connection::Online;
                    s.last_error = None;
                    s.last_error_zh = None;
                    s.last_report = Some(report);
                }
                Err(e) => {
                    s.connection = if e.is_auth() {
                        Connection::LoginNeeded
                    } else {
                        Connection::Offline
                    };
                    s.last_error_zh = Some(e.message_zh());
                    s.last_error = Some(e.to_string());
                }
            }
        });
        // The store's upkeep happens here, between rounds, so no round's commit pays
        // for it (it used to: up to a second for one page of ten documents). Off the
        // async threads, since it holds the store for tens of milliseconds.
        if upkeep_due {
            rounds_since_upkeep = 0;
            let upkeep = store.clone();
            let maintained = tokio::task::spawn_blocking(move || {
                gongwen_store::lock(&upkeep)
                    .maintain()
                    .map_err(|e| e.to_string())
            })
            .await;
            match maintained {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!("store upkeep after a sync round failed: {e}"),
                Err(e) => tracing::warn!("store upkeep after a sync round did not finish: {e}"),
            }
        }
        if login_needed {
            return;
        }
        let wait = backoff(&config, failures);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = poke.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let c = LoopConfig::default();
        assert_eq!(backoff(&c, 0), Duration::from_secs(3));
        for failures in 1..40 {
            let d = backoff(&c, failures);
            let full = Duration::from_secs(3)
                .saturating_mul(1 << (failures - 1).min(16))
                .min(Duration::from_secs(30));
            assert!(d >= full / 2 && d <= full, "{failures}: {d:?} vs {full:?}");
        }
        assert!(backoff(&c, 30) >= Duration::from_secs(15));
    }
}
