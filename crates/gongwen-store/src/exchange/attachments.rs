//! Attachment files of exchanged documents: which ones are wanted from the server,
//! taking a downloaded file in, and whether a dispatch's files are here.

use gongwen_core::{Document, DocumentId};
use rusqlite::{params, Transaction};

use crate::store::{now, parse_id, rfc3339};
use crate::{Store, StoreError};

/// An attachment file an exchanged document lists that is not stored here yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedAttachment {
    pub sha256: String,
    pub document_id: DocumentId,
    pub size: Option<u64>,
}

impl Store {
    /// Attachment files that exchanged documents list and this store does not have yet
    /// (the sync downloads them).
    pub fn wanted_attachments(&self) -> Result<Vec<WantedAttachment>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT sha256, document_id, size FROM attachment_downloads ORDER BY attempts, sha256",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (sha256, document_id, size) = row?;
            out.push(WantedAttachment {
                sha256,
                document_id: parse_id(&document_id)?,
                size: size.and_then(|s| u64::try_from(s).ok()),
            });
        }
        Ok(out)
    }

    /// Notes that downloading a wanted attachment failed (it is tried again later,
    /// after the others).
    pub fn record_download_error(&mut self, sha256: &str, message: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE attachment_downloads SET attempts = attempts + 1, last_error = ?2 WHERE sha256 = ?1",
            params![sha256, message],
        )?;
        Ok(())
    }

    /// The folder where a download in progress is written (inside the store, so the
    /// final rename stays on one file system).
    pub fn attachments_dir(&self) -> std::path::PathBuf {
        self.dir().join(crate::ATTACHMENTS_DIR)
    }

    /// Takes a downloaded file into `attachments/` under its SHA-256. The caller has
    /// computed the hash over the bytes it wrote (the sync checks it against the name
    /// before calling); the file is fsynced before the rename and the folder after.
    pub fn adopt_attachment(
        &mut self,
        sha256: &str,
        file: tempfile::NamedTempFile,
    ) -> Result<std::path::PathBuf, StoreError> {
        let Some(sha256) = gongwen_core::digest::parse_sha256(sha256) else {
            return Err(StoreError::InvalidHash(sha256.chars().take(80).collect()));
        };
        let dir = self.attachments_dir();
        let write_err = |source| StoreError::Write {
            path: dir.clone(),
            source,
        };
        let size = file.as_file().metadata().map_err(write_err)?.len();
        let target = crate::store::persist_by_hash(&dir, &sha256, file)?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO attachment_files(sha256, size, stored_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (sha256) DO NOTHING",
            params![sha256, size as i64, rfc3339(&now())],
        )?;
        tx.execute(
            "DELETE FROM attachment_downloads WHERE sha256 = ?1",
            [&sha256],
        )?;
        tx.commit()?;
        Ok(target)
    }
}

pub(super) fn self_attachment_missing(
    tx: &Transaction<'_>,
    sha256: &str,
) -> Result<bool, StoreError> {
    // The outbox's dispatch is only valid with its files; the row in attachment_files
    // is written only after the file is durable (see `Store::add_attachment_file`).
    let known = tx
        .prepare_cached("SELECT 1 FROM attachment_files WHERE sha256 = ?1")?
        .exists([sha256.to_ascii_lowercase()])?;
    Ok(!known)
}

pub(super) fn want_attachments(
    tx: &Transaction<'_>,
    document_id: DocumentId,
    document: &Document,
) -> Result<(), StoreError> {
    for a in &document.attachments {
        let Some(sha) = a
            .sha256
            .as_deref()
            .and_then(gongwen_core::digest::parse_sha256)
        else {
            continue;
        };
        let have = tx
            .prepare_cached("SELECT 1 FROM attachment_files WHERE sha256 = ?1")?
            .exists([&sha])?;
        if !have {
            tx.prepare_cached(
                "INSERT INTO attachment_downloads(sha256, document_id, size) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sha256) DO NOTHING",
            )?
            .execute(params![
                sha,
                document_id.to_string(),
                a.size.and_then(|s| i64::try_from(s).ok())
            ])?;
        }
    }
    Ok(())
}
