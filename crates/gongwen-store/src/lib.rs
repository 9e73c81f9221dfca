//! The local cache of Gongwen Desk: every document and every saved version, attachment
//! files, and full-text search that works for Chinese, in one folder
//! (`DIR/gongwen.db` + `DIR/attachments/<sha256>`), so a clerk can work offline.
//!
//! Owns: the SQLite schema and its migrations, versioning (autosave keeps a working
//! copy; a save, a step or a pause appends a numbered version, never overwrites; see
//! `versions`), content-addressed attachments, search tokens (see `tokens`), and the
//! client's exchange state: the outbox of commands, applied change-log pages with their
//! cursor, deliveries, the cached directory (see [`exchange`]), and who is logged in:
//! each queued command is that account's own, and every read and write a user makes
//! is limited to what the logged-in account's clearance allows (非密 with nobody
//! logged in; see `access`).
//!
//! Performance notes (100,000 documents of ~1,460 characters, `benches/store.rs`):
//! * Import writes each batch in one transaction with `synchronous=FULL`. Its cost is
//!   almost all FTS5 work on the writing thread, so: rows first, then the index in
//!   rowid order (one segment per batch); tokenising runs on a second thread meanwhile,
//!   with a one-pass tokenizer (it had become the bottleneck: 170 µs per document,
//!   now ~50); and FTS5's incremental merging is off while a batch is written, with
//!   whole levels merged in one go every 16 batches instead (see [`Store::import`]).
//!   Merging even less (crisis merge at 64) imported a little faster but left ~37
//!   segments, and a rare phrase of common bigrams (`全市财政`) then took 18.7 ms in
//!   FTS5 alone instead of 14; so 16.
//! * Evaluated and not taken: `detail=none` on the body index with each distinct bigram
//!   and character given once (and the character table dropped) cost as much CPU per
//!   batch as positions did (the per-token hash work dominates, not the positions),
//!   and without positions a rare phrase made of common bigrams (`全市财政`) would have
//!   to be verified in Rust against most documents. Trigrams in that table cost more.
//!   `columnsize=0` cannot be combined with `contentless_delete=1`, which re-indexing
//!   an edited document needs. A larger `wal_autocheckpoint` did not help.
//! * A page of the exchange's change log is applied like an import batch (rows, then
//!   the index in rowid order, merging off: `store::insert_batch`), and FTS5 merging and
//!   WAL checkpoints are left to [`Store::maintain`], which the sync loop runs between
//!   rounds. On a 100,000-document store (2.4 GB, `benches/apply.rs`), one page of ten
//!   received documents took up to ~1 s when its commit crossed SQLite's default
//!   auto-checkpoint (1,000 pages: the commit copied and fsynced the WAL) or an FTS5
//!   merge (automerge, or search_head's crisis merge of its 16th segment); now ~10 ms,
//!   with ~30–150 ms of upkeep between rounds instead.
//! * Open runs the full integrity check only when there is reason to doubt the file
//!   (see `schema::open_checked`): a clean close of a 1 GB store is followed by an
//!   open of about a millisecond instead of half a second.
//!
//! Architecture invariant: this crate never decides workflow (the exchange server does)
//! and never deletes user data: a damaged database is moved aside, not removed, and a
//! database from a newer version of the application is refused untouched. The one
//! exception is the 回收站 (see `trash`): a draft that never left the desk, which the
//! user threw away, is purged 30 days later or when the user empties it on purpose.

mod access;
mod archive;
mod editable;
mod error;
pub mod exchange;
mod folder_lock;
mod model;
mod notified;
mod schema;
pub mod search;
mod store;
mod tokens;
mod trash;
mod versions;

pub use archive::{FilingCandidate, FilingRecord, RetentionChange};
pub use editable::{Kept, NoDispatch, ReadOnly};
pub use error::StoreError;
pub use exchange::{
    beijing_today, Account, ApplyReport, BoxItem, CursorReset, DispatchCheck, DueItem, DueState,
    HandlingBox, InboxItem, IncomingInfo, OutboxEntry, OutboxState, QueuedBy, ReturnedItem,
    SyncState, UnheededOpinion, WantedAttachment,
};
pub use folder_lock::{FolderLock, LOCK_FILE};
pub use model::{
    marked_snippet, CheckpointReport, DocumentSummary, ListFilter, Page, SearchField, SearchHit,
    SnippetPart, SortOrder, StagedFile, StoredDocument, VersionInfo,
};
pub use notified::NoticeKind;
pub use schema::SCHEMA_VERSION;
pub use store::{lock, Import, Store, ATTACHMENTS_DIR, DB_FILE, IMPORT_CHUNK};
pub use trash::{TrashedDocument, TRASH_KEPT_DAYS};
pub use versions::{LOCAL_AUTHOR, PAUSE_AFTER_EDITING, PAUSE_IDLE};
