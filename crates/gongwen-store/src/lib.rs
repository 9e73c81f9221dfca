//! The local cache of Gongwen Desk: every document and every saved version, attachment
//! files, and full-text search that works for Chinese, in one folder
//! (`DIR/gongwen.db` + `DIR/attachments/<sha256>`), so a clerk can work offline.
//!
//! Owns: the SQLite schema and its migrations, versioning (a save appends, never
//! overwrites), content-addressed attachments, and search tokens (see `tokens`).
//!
//! Architecture invariant: this crate never decides workflow (the exchange server does)
//! and never deletes user data: a damaged database is moved aside, not removed, and a
//! database from a newer version of the application is refused untouched.

mod error;
mod model;
mod schema;
pub mod search;
mod store;
mod tokens;

pub use error::StoreError;
pub use model::{
    DocumentSummary, ListFilter, Page, SearchHit, SnippetPart, SortOrder, StoredDocument,
    VersionInfo,
};
pub use schema::SCHEMA_VERSION;
pub use store::{Store, ATTACHMENTS_DIR, DB_FILE};
