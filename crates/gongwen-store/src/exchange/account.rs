//! Who this store syncs as ([`Account`]), the install id and the cached directory of
//! units and users: settings rows, none of them a secret.

use gongwen_core::wire::{Directory, UserInfo};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::{from_json, json};
use crate::store::{now, rfc3339};
use crate::{Store, StoreError};

/// The server and user this store syncs as. No secret: the token lives in the OS
/// keyring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Account {
    /// Base URL of the exchange, e.g. `https://exchange.example.gov.cn` (no trailing `/`).
    pub server: String,
    pub user: UserInfo,
}

impl Account {
    pub fn new(server: &str, user: UserInfo) -> Account {
        Account {
            server: normalize_server(server),
            user,
        }
    }

    /// The key of this account's cursor: a different server or user never reuses it.
    pub fn key(&self) -> String {
        account_key(&self.server, &self.user.username)
    }
}

/// A server URL as stored and compared: trimmed, without a trailing `/`.
pub fn normalize_server(server: &str) -> String {
    server.trim().trim_end_matches('/').to_string()
}

fn account_key(server: &str, username: &str) -> String {
    format!("{}\n{}", normalize_server(server), username)
}

const KEY_CLIENT_ID: &str = "client_id";
pub(super) const KEY_ACCOUNT: &str = "account";
const KEY_DIRECTORY: &str = "directory";
/// Where and when the cached directory was fetched ([`DirectoryFetched`] as JSON).
const KEY_DIRECTORY_FETCHED: &str = "directory_fetched";

#[derive(Serialize, Deserialize)]
struct DirectoryFetched {
    /// The server it came from, normalized.
    server: String,
    /// RFC 3339, UTC.
    at: String,
}

pub(super) fn put_setting(
    tx: &Transaction<'_>,
    key: &str,
    value: Option<&str>,
) -> Result<(), StoreError> {
    match value {
        Some(v) => tx
            .prepare_cached(
                "INSERT INTO settings(key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key, v])?,
        None => tx
            .prepare_cached("DELETE FROM settings WHERE key = ?1")?
            .execute([key])?,
    };
    Ok(())
}

impl Store {
    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// This installation's id, sent to the server with every request (for the audit
    /// log). Made once, on first use, and kept.
    pub fn client_id(&mut self) -> Result<String, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                [KEY_CLIENT_ID],
                |r| r.get(0),
            )
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                tx.execute(
                    "INSERT INTO settings(key, value) VALUES (?1, ?2)",
                    params![KEY_CLIENT_ID, id],
                )?;
                id
            }
        };
        tx.commit()?;
        Ok(id)
    }

    /// The account this store last logged in as (kept after logout so the UI can
    /// offer it again), or `None`.
    pub fn account(&self) -> Result<Option<Account>, StoreError> {
        self.setting(KEY_ACCOUNT)?
            .as_deref()
            .map(from_json)
            .transpose()
    }

    /// Remembers the account after a login and makes it the logged-in one, whose
    /// clearance decides what the store shows (`None` forgets it and logs it out; see
    /// [`Store::sign_out`] to log out and still remember it). Its cursor is kept
    /// separately, per server and user, so switching back resumes where it was.
    pub fn set_account(&mut self, account: Option<&Account>) -> Result<(), StoreError> {
        let value = account.map(json).transpose()?;
        let tx = self.conn.transaction()?;
        put_setting(&tx, KEY_ACCOUNT, value.as_deref())?;
        put_setting(&tx, crate::access::KEY_SESSION, value.as_deref())?;
        tx.commit()?;
        Ok(())
    }

    /// The cached directory of units and users (empty before the first sync), so a
    /// clerk can address a document offline.
    pub fn directory(&self) -> Result<Directory, StoreError> {
        Ok(self
            .setting(KEY_DIRECTORY)?
            .as_deref()
            .map(from_json)
            .transpose()?
            .unwrap_or_default())
    }

    /// Replaces the cached directory. It counts as never fetched (stale) until
    /// [`Store::set_fetched_directory`] records where and when it came from.
    pub fn set_directory(&mut self, directory: &Directory) -> Result<(), StoreError> {
        let value = json(directory)?;
        let tx = self.conn.transaction()?;
        put_setting(&tx, KEY_DIRECTORY, Some(&value))?;
        put_setting(&tx, KEY_DIRECTORY_FETCHED, None)?;
        tx.commit()?;
        Ok(())
    }

    /// Caches the directory as `server` just sent it, with the time, so the sync asks
    /// for it again only once it is stale (see [`Store::directory_is_fresh`]).
    pub fn set_fetched_directory(
        &mut self,
        server: &str,
        directory: &Directory,
    ) -> Result<(), StoreError> {
        let value = json(directory)?;
        let fetched = json(&DirectoryFetched {
            server: normalize_server(server),
            at: rfc3339(&now()),
        })?;
        let tx = self.conn.transaction()?;
        put_setting(&tx, KEY_DIRECTORY, Some(&value))?;
        put_setting(&tx, KEY_DIRECTORY_FETCHED, Some(&fetched))?;
        tx.commit()?;
        Ok(())
    }

    /// When the cached directory was fetched from `server` (RFC 3339), or `None` when
    /// it never was, came from another server, or the record is unreadable (then the
    /// directory is simply fetched again: it must never stop a sync).
    pub fn directory_fetched_at(&self, server: &str) -> Result<Option<String>, StoreError> {
        let Some(text) = self.setting(KEY_DIRECTORY_FETCHED)? else {
            return Ok(None);
        };
        let fetched: DirectoryFetched = match from_json(&text) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!("unreadable directory fetch record, treated as stale: {e}");
                return Ok(None);
            }
        };
        Ok((fetched.server == normalize_server(server)).then_some(fetched.at))
    }

    /// Whether the cached directory came from `server` less than `max_age` ago. A
    /// fetch time in the future (the clock was set back) counts as stale, so a wrong
    /// clock costs one request instead of a directory that never refreshes. The cache
    /// is used either way (offline too); this only decides whether to ask again.
    pub fn directory_is_fresh(
        &self,
        server: &str,
        max_age: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let Some(at) = self.directory_fetched_at(server)? else {
            return Ok(false);
        };
        let Ok(at) = chrono::DateTime::parse_from_rfc3339(&at) else {
            tracing::warn!("unreadable directory fetch time {at:?}, treated as stale");
            return Ok(false);
        };
        let age = now().signed_duration_since(at);
        Ok(age >= chrono::TimeDelta::zero() && age.to_std().is_ok_and(|age| age < max_age))
    }
}
