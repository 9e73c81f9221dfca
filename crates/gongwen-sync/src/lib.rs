//! The client side of the exchange: talks HTTP to `gongwen-exchange` and keeps the
//! local store in step with it.
//!
//! * [`Client`]: one server's API (login, directory, push commands, pull changes,
//!   resumable attachment upload and hash-checked download). Every call names what
//!   failed: the network ([`SyncError::Network`]), the login ([`SyncError::Unauthorized`])
//!   or the server's refusal with its message ([`SyncError::Refused`]).
//! * [`sync_once`]: one round — the directory when stale (it is fetched at [`login`] and
//!   then every [`DIRECTORY_MAX_AGE`]), attachment uploads, push the outbox in order and
//!   record each outcome, pull the change log page by page (each page and its cursor in
//!   one transaction), download the attachments of what arrived.
//! * [`SyncLoop`]: the app's background loop — a timer, a poke when the user queues a
//!   command, exponential backoff with jitter on errors, a stop on "login needed", and
//!   a [`LoopStatus`] for the UI. After each round it runs the store's idle upkeep
//!   (`Store::maintain`: search-index merging and the WAL checkpoint), which the
//!   round's commits no longer do.
//! * [`log_in`] and [`log_out`]: the account in the store and the token in the OS
//!   keyring, the same for the app and the CLI; each caller phrases what a keyring or
//!   network failure means for it.
//! * [`credentials`]: the token in the OS keyring, never in a file.
//!
//! Architecture invariants: the store is never locked across network I/O; a cursor is
//! never reset because of an error; a refused command is recorded, never resent; no
//! token or password is written anywhere but the keyring, nor logged.

mod client;
pub mod credentials;
mod error;
mod looping;
mod progress;
mod round;
mod signin;

pub use client::{Client, TransferView, UploadReport};
pub use error::SyncError;
pub use looping::{Connection, LoopConfig, LoopStatus, SyncLoop};
pub use progress::{ProgressSink, Transfer, TransferKind};
pub use round::{login, sync_once, sync_once_with, SyncOptions, SyncReport, DIRECTORY_MAX_AGE};
pub use signin::{log_in, log_out, LoggedIn, LoggedOut};
