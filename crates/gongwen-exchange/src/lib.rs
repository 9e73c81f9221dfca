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
pub mod transfer;

use std::sync::Arc;

use config::{Config, Database};
use storage::{Storage, StorageError};

/// Makes `folder` the server account's own (0700), closing it if it was open to others,
/// with a warning. The data folder holds every unit's documents (the SQLite database,
/// the attachment files) and a backup holds a copy of them: another account on the
/// server must not read them, whatever the umask gave the files inside.
pub fn keep_private(folder: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(folder)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700))?;
            tracing::warn!(
                folder = %folder.display(),
                mode = format!("{:o}", mode & 0o777),
                "the folder was open to other accounts; it is now private (700)"
            );
        }
    }
    Ok(())
}

/// Opens the storage the config names: SQLite at `DATA/exchange.db` (the folder is
/// created if missing) or PostgreSQL at the configured URL.
pub async fn open_storage(config: &Config) -> Result<Arc<dyn Storage>, StorageError> {
    let folder_error = |what: &str, e: std::io::Error| {
        StorageError::Backend(format!(
            "cannot {what} data folder {}: {e}",
            config.data.display()
        ))
    };
    if config.database == Database::Sqlite {
        std::fs::create_dir_all(&config.data).map_err(|e| folder_error("create", e))?;
    }
    // Every command that opens the storage (serve, admin) closes an open data folder.
    if config.data.exists() {
        keep_private(&config.data).map_err(|e| folder_error("make private the", e))?;
    }
    match &config.database {
        Database::Sqlite => {
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
