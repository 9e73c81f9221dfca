//! Who is using the store now, and what that lets them see.
//!
//! Several accounts may use one computer and one store folder. The store remembers
//! which account is logged in (from the login until 退出登录 or another login) and
//! with which clearance (密级, as the server said at login). Every read a user makes —
//! list, search and its snippets, a document, its versions, the inbox, deliveries, the
//! outbox, an attachment — shows only documents at or below that clearance; with
//! nobody logged in, only 非密. Writes a user makes (save, status, attachments, queued
//! commands) refuse documents above it. The sync applies the server's changes without
//! this filter: the server sends an account only what it may see.
//!
//! This is a filter, not encryption: someone who can read the folder's files with other
//! tools reads everything. It keeps each account's view of the application honest.

use gongwen_core::{Classification, DocumentId};
use rusqlite::OptionalExtension;

use crate::exchange::Account;
use crate::{Store, StoreError};

/// Settings key of the logged-in account (the [`Account`] as JSON, with its clearance).
pub(crate) const KEY_SESSION: &str = "session";

/// A SQL condition on `column` that holds for documents `clearance` may see (`1` when
/// that is all of them, so a fully cleared account reads exactly as before).
pub(crate) fn visible(column: &str, clearance: Classification) -> String {
    if clearance == Classification::TopSecret {
        return "1".to_string();
    }
    let allowed: Vec<String> = Classification::ALL
        .iter()
        .filter(|c| **c <= clearance)
        .map(|c| format!("'{}'", c.as_str()))
        .collect();
    format!("{column} IN ({})", allowed.join(", "))
}

impl Store {
    /// The account logged in on this computer now, or `None` (nobody, or logged out).
    /// Unlike [`Store::account`], which is also kept after 退出登录 to prefill the login
    /// dialog.
    pub fn signed_in(&self) -> Result<Option<Account>, StoreError> {
        let text: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([KEY_SESSION], |r| r.get(0))
            .optional()?;
        text.as_deref()
            .map(|t| serde_json::from_str(t).map_err(|e| StoreError::BadRecord(e.to_string())))
            .transpose()
    }

    /// 退出登录: from now on the store shows what nobody-logged-in may see (非密), and
    /// adds nothing to the outbox. The account stays remembered for the login dialog,
    /// and its commands stay in the outbox for its next login.
    pub fn sign_out(&mut self) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM settings WHERE key = ?1")?
            .execute([KEY_SESSION])?;
        Ok(())
    }

    /// The highest 密级 the store shows now: the logged-in account's clearance, or 非密
    /// when nobody is logged in.
    pub fn clearance(&self) -> Result<Classification, StoreError> {
        Ok(self
            .signed_in()?
            .map_or(Classification::Unclassified, |a| a.user.clearance))
    }

    /// The error for a document whose 密级 is above [`Store::clearance`].
    pub(crate) fn above_clearance(
        &self,
        classification: Classification,
    ) -> Result<StoreError, StoreError> {
        Ok(StoreError::AboveClearance {
            classification,
            clearance: self.clearance()?,
            signed_in: self.signed_in()?.is_some(),
        })
    }

    /// Whether the document exists, is not in the 回收站 and the logged-in account may
    /// see it. A document in the 回收站 is not there for any read or write but the
    /// 回收站's own (`trash.rs`).
    pub(crate) fn is_visible(&self, id: DocumentId) -> Result<bool, StoreError> {
        let condition = visible("classification", self.clearance()?);
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT 1 FROM documents WHERE id = ?1 AND {condition} AND trashed_at IS NULL"
            ))?
            .exists([id.to_string()])?)
    }

    /// `NotFound` unless the document exists and the logged-in account may see it: a
    /// hidden document is not even said to exist.
    pub(crate) fn check_visible(&self, id: DocumentId) -> Result<(), StoreError> {
        if self.is_visible(id)? {
            Ok(())
        } else {
            Err(StoreError::NotFound(id))
        }
    }
}
