//! The city exchange server: units send 公文 to units through it, and it is the only
//! authority on workflow state.
//!
//! It owns the HTTP API ([`api`]: login, directory, command push, change-log pull,
//! documents, resumable attachment upload and download, `/healthz`, `/metrics`),
//! password and token handling ([`auth`]), failed-login throttling ([`throttle`],
//! in memory), applying commands idempotently
//! ([`commands`], with the rules of `gongwen_core::workflow`), attachment files by
//! SHA-256 ([`blobs`]), settings ([`config`]) and storage behind one trait
//! ([`storage`], SQLite or PostgreSQL). It does not decide workflow rules itself
//! (`gongwen-core` does) and never logs a password or token. The binary
//! (`src/main.rs`) adds `serve` and the `admin` commands. `testing` (a temporary
//! PostgreSQL for tests and benchmarks) exists only with the `testing` feature.

pub mod access;
pub mod api;
pub mod auth;
pub mod blobs;
pub mod commands;
pub mod config;
pub mod error;
pub mod flows;
pub mod layout_gate;
pub mod reminders;
pub mod storage;
#[cfg(feature = "testing")]
pub mod testing;
pub mod throttle;

use std::sync::Arc;

use config::{Config, Database};
use storage::{Storage, StorageError};

/// Opens the storage the config names: SQLite at `DATA/exchange.db` (the folder is
/// created if missing) or PostgreSQL at the configured URL.
pub async fn open_storage(config: &Config) -> Result<Arc<dyn Storage>, StorageError> {
    match &config.database {
        Database::Sqlite => {
            std::fs::create_dir_all(&config.data).map_err(|e| {
                StorageError::Backend(format!(
                    "cannot create data folder {}: {e}",
                    config.data.display()
                ))
            })?;
            let path = config.sqlite_path();
            let open = move || storage::sqlite::SqliteStorage::open(path);
            let storage = tokio::task::spawn_blocking(open)
                .await
                .map_err(|e| StorageError::Backend(e.to_string()))??;
            Ok(Arc::new(storage))
        }
        Database::Postgres(url) => open_postgres(url, config.database_allow_insecure).await,
    }
}

async fn open_postgres(url: &str, allow_insecure: bool) -> Result<Arc<dyn Storage>, StorageError> {
    let storage = storage::postgres::PostgresStorage::connect_with(url, allow_insecure).await?;
    Ok(Arc::new(storage))
}
