//! How far a long transfer has come, for a progress bar with bytes and time left: the
//! pull of a first (or long-interrupted) sync, and each attachment download.
//!
//! The round reports to a sink the caller gives the [`Client`](crate::Client) (the app's
//! sync loop puts it in its status); at most every [`EVERY`], and once when a transfer
//! ends, so a fast loopback transfer costs nothing and a slow one still moves.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Where progress goes.
pub type ProgressSink = Arc<dyn Fn(&Transfer) + Send + Sync>;

/// How often a running transfer reports.
pub const EVERY: Duration = Duration::from_millis(200);

/// One transfer's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Transfer {
    pub what: TransferKind,
    /// Bytes received so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// All the bytes, when known ahead (an attachment's size; not a pull's).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub total_bytes: Option<u64>,
    /// Log entries read so far and in all (a pull).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub entries: u64,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub total_entries: Option<u64>,
    /// Seconds left at the rate so far, once it can be told.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub seconds_left: Option<u64>,
    /// The transfer ended (done or failed); the bar goes away.
    pub finished: bool,
}

/// What is being transferred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransferKind {
    /// The documents of the unit's log (同步).
    Pull,
    /// An attachment file of a received document.
    Download { sha256: String },
}

/// Measures one transfer and reports it to a sink, throttled.
pub(crate) struct Meter<'a> {
    sink: Option<&'a ProgressSink>,
    started: Instant,
    last: Option<Instant>,
    /// Where a pull started (its cursor), so entries count from 0.
    origin: u64,
    pub(crate) state: Transfer,
}

impl<'a> Meter<'a> {
    pub(crate) fn new(sink: Option<&'a ProgressSink>, what: TransferKind) -> Meter<'a> {
        Meter {
            sink,
            started: Instant::now(),
            last: None,
            origin: 0,
            state: Transfer {
                what,
                bytes: 0,
                total_bytes: None,
                entries: 0,
                total_entries: None,
                seconds_left: None,
                finished: false,
            },
        }
    }

    pub(crate) fn with_origin(mut self, origin: u64) -> Meter<'a> {
        self.origin = origin;
        self
    }

    pub(crate) fn origin(&self) -> u64 {
        self.origin
    }

    /// Reports now if [`EVERY`] has passed since the last report.
    pub(crate) fn tick(&mut self) {
        if self.last.is_none_or(|t| t.elapsed() >= EVERY) {
            self.report();
        }
    }

    /// The last report: the transfer ended.
    pub(crate) fn finish(&mut self) {
        self.state.finished = true;
        self.state.seconds_left = Some(0);
        self.report();
    }

    fn report(&mut self) {
        let Some(sink) = self.sink else { return };
        if !self.state.finished {
            self.state.seconds_left = self.seconds_left();
        }
        self.last = Some(Instant::now());
        sink(&self.state);
    }

    /// Time so far × what is left ÷ what is done, by bytes when their total is known,
    /// else by log entries.
    fn seconds_left(&self) -> Option<u64> {
        let s = &self.state;
        let (done, total) = match (s.total_bytes, s.total_entries) {
            (Some(total), _) => (s.bytes, total),
            (None, Some(total)) => (s.entries, total),
            (None, None) => return None,
        };
        if done == 0 || total < done {
            return None;
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        Some((elapsed * (total - done) as f64 / done as f64).ceil() as u64)
    }
}
