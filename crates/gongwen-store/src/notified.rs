//! Which desktop notifications each account was given, so a restart of the app does
//! not give them again (a 退回 of this unit's 分发, a 待办 that became 特急, 即将到期 or
//! 已超期). Kept per account, since several accounts may share one computer: another
//! account logging in is told of its own.

use rusqlite::{params, TransactionBehavior};

use crate::store::{now, rfc3339};
use crate::{Store, StoreError};

/// What a notification was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// A recipient unit returned this unit's 分发 (key: the document and the 退回's time).
    Returned,
    /// A 待办 pressing in a state (key: the document and the state).
    Due,
    /// A document received, unread (key: the document and when it was dispatched, so a
    /// 重新分发 is told again).
    Arrival,
}

impl NoticeKind {
    fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Returned => "returned",
            NoticeKind::Due => "due",
            NoticeKind::Arrival => "arrival",
        }
    }
}

impl Store {
    /// Of `items`, the ones the logged-in account was not notified of yet, each known by
    /// `key`, in their order; they are now recorded as notified ([`Store::first_notices`]).
    pub fn fresh_notices<T>(
        &mut self,
        kind: NoticeKind,
        items: Vec<T>,
        key: impl Fn(&T) -> String,
    ) -> Result<Vec<T>, StoreError> {
        let keys: Vec<String> = items.iter().map(&key).collect();
        let fresh: std::collections::HashSet<String> =
            self.first_notices(kind, &keys)?.into_iter().collect();
        Ok(items
            .into_iter()
            .filter(|i| fresh.contains(&key(i)))
            .collect())
    }

    /// Of `keys`, the ones the logged-in account was not notified of yet, in their
    /// order, now recorded as notified (in one transaction, so each is given once even
    /// if two callers ask). With nobody logged in, none: nothing is told then.
    pub fn first_notices(
        &mut self,
        kind: NoticeKind,
        keys: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let Some(account) = self.signed_in()? else {
            return Ok(Vec::new());
        };
        let account = account.key();
        let at = rfc3339(&now());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut new = Vec::new();
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO notified(account, kind, key, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account, kind, key) DO NOTHING",
            )?;
            for key in keys {
                if insert.execute(params![account, kind.as_str(), key, at])? == 1 {
                    new.push(key.clone());
                }
            }
        }
        tx.commit()?;
        Ok(new)
    }
}
