//! Who may read what on the server, in one place. Every read path asks here: the
//! entries of a change page, `GET /v1/documents/{id}`, an attachment file (`HEAD`,
//! `GET`, the `200` of a `PATCH`, listing it in a dispatch), and which reads are
//! audited. The rules (`docs/sync-protocol.md`, "Who may see what"):
//!
//! 1. **Role**: the 管理员 (`admin`) role manages accounts and reads no document, log
//!    entry or file; every other role (档案员 too) reads its unit's.
//! 2. **Unit**: a document is read by the units on its access list (its owner and
//!    recipients); a unit's log is its own.
//! 3. **Clearance**: nothing classified above the reader's clearance ([`cleared`], the
//!    one comparison of a 密级 with a clearance on the server; storage filters with
//!    [`classifications_cleared`]).
//! 4. **Uploader grant**: a user reads back a file they uploaded whole, given at a
//!    clearance no higher than theirs now, until a document lists it.

use std::collections::BTreeMap;

use gongwen_core::wire::{Role, UnitCode, UserInfo};
use gongwen_core::{Classification, DocumentId};

use crate::storage::{Storage, StorageError, UserRecord};

/// Rule 3: whether a reader cleared to `clearance` may see what is classified
/// `classification`.
pub fn cleared(clearance: Classification, classification: Classification) -> bool {
    classification <= clearance
}

/// Rule 3 as a list, for storage to filter with: every 密级 a reader cleared to
/// `clearance` may see.
pub fn classifications_cleared(clearance: Classification) -> Vec<Classification> {
    Classification::ALL
        .into_iter()
        .filter(|c| cleared(clearance, *c))
        .collect()
}

/// Rule 1: whether the role reads documents, log entries and files at all.
pub fn reads_documents(role: Role) -> bool {
    role != Role::Admin
}

/// Per unit, the highest clearance of its active users who read documents (rule 1):
/// who could ever open what is sent there. A 分发 to a unit listed below the
/// document's 密级, or not listed, is refused (`workflow::check_recipient_cleared`);
/// the directory gives clients this map, not any one user's clearance.
pub fn unit_clearances(users: &[UserRecord]) -> BTreeMap<UnitCode, Classification> {
    let mut out: BTreeMap<UnitCode, Classification> = BTreeMap::new();
    for u in users
        .iter()
        .filter(|u| !u.disabled && reads_documents(u.info.role))
    {
        let c = out.entry(u.info.unit.clone()).or_insert(u.info.clearance);
        *c = (*c).max(u.info.clearance);
    }
    out
}

/// Rules 1 and 3 for an entry of the reader's own unit's log (rule 2: the log read is
/// the reader's unit's). Withheld entries are skipped, and the cursor passes them.
pub fn log_entry(reader: &UserInfo, classification: Classification) -> bool {
    reads_documents(reader.role) && cleared(reader.clearance, classification)
}

/// What `GET /v1/documents/{id}` answers a reader (rule 1 is answered before, with
/// `403`, by [`reads_documents`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentRead {
    /// Not on the unit's access list: to this reader the document does not exist.
    NotFound,
    /// Listed, but above their clearance: refused, and the attempt audited.
    AboveClearance,
    Allowed,
}

/// Rules 1 to 3 for a document whose access list does (`unit_listed`) or does not
/// name the reader's unit.
pub fn document(
    reader: &UserInfo,
    unit_listed: bool,
    classification: Classification,
) -> DocumentRead {
    if !reads_documents(reader.role) || !unit_listed {
        DocumentRead::NotFound
    } else if !cleared(reader.clearance, classification) {
        DocumentRead::AboveClearance
    } else {
        DocumentRead::Allowed
    }
}

/// Whether a read of something classified `classification` is written to the audit
/// log (reads of anything above 非密 are).
pub fn audited(classification: Classification) -> bool {
    classification > Classification::Unclassified
}

/// Why a reader may read a complete file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAccess {
    /// A document they may read lists it: the most classified such document (what a
    /// download is audited as).
    Document(DocumentId, Classification),
    /// Rule 4: they uploaded it themselves and no document lists it yet.
    Upload,
}

/// Rules 1 to 4 for the complete file `sha256`. Everything that answers about a
/// complete file asks this first: to anyone it gives None the file does not exist, so
/// a learned hash neither opens nor confirms it.
pub async fn file(
    storage: &dyn Storage,
    reader: &UserInfo,
    sha256: &str,
) -> Result<Option<FileAccess>, StorageError> {
    if !reads_documents(reader.role) {
        return Ok(None);
    }
    if let Some((id, classification)) = storage
        .blob_access(sha256, &reader.unit, reader.clearance)
        .await?
    {
        return Ok(Some(FileAccess::Document(id, classification)));
    }
    if storage
        .upload_granted(sha256, &reader.username, reader.clearance)
        .await?
    {
        return Ok(Some(FileAccess::Upload));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sqlite::SqliteStorage;
    use crate::storage::{
        AuditDraft, CommandRecord, Commit, DocumentRecord, LogWrite, WorkflowWrite,
    };
    use gongwen_core::wire::{Unit, UnitCode};
    use Classification::{Confidential, Secret, TopSecret, Unclassified};

    fn reader(unit: &str, role: Role, clearance: Classification) -> UserInfo {
        UserInfo {
            username: format!("{unit}-{role:?}-{clearance:?}").to_lowercase(),
            display_name: "测试".into(),
            unit: UnitCode::from(unit),
            role,
            clearance,
        }
    }

    #[test]
    fn clearance() {
        assert!(cleared(Secret, Secret));
        assert!(cleared(Secret, Unclassified));
        assert!(!cleared(Secret, TopSecret));
        assert!(!cleared(Unclassified, Confidential));
        assert_eq!(
            classifications_cleared(Confidential),
            vec![Unclassified, Confidential]
        );
        assert_eq!(
            classifications_cleared(TopSecret),
            Classification::ALL.to_vec()
        );
    }

    #[test]
    fn role_admin_reads_nothing_archivist_reads_like_a_clerk() {
        let admin = reader("sz-gov", Role::Admin, TopSecret);
        let archivist = reader("sz-daj", Role::Archivist, Secret);
        assert!(!reads_documents(Role::Admin));
        assert!(!log_entry(&admin, Unclassified));
        assert_eq!(document(&admin, true, Unclassified), DocumentRead::NotFound);
        assert!(log_entry(&archivist, Secret));
        assert!(!log_entry(&archivist, TopSecret));
        assert_eq!(document(&archivist, true, Secret), DocumentRead::Allowed);
    }

    #[test]
    fn unit_and_clearance_for_documents_and_log_entries() {
        let clerk = reader("sz-tjj", Role::Clerk, Confidential);
        assert_eq!(
            document(&clerk, false, Unclassified),
            DocumentRead::NotFound
        );
        assert_eq!(document(&clerk, true, Secret), DocumentRead::AboveClearance);
        assert_eq!(document(&clerk, true, Confidential), DocumentRead::Allowed);
        assert!(log_entry(&clerk, Confidential));
        assert!(!log_entry(&clerk, Secret));
        assert!(!audited(Unclassified));
        assert!(audited(Confidential));
    }

    const FILE: &str = "6161616161616161616161616161616161616161616161616161616161616161";

    /// A real SQLite storage where sz-fgw sent a 机密 document listing FILE to sz-tjj.
    async fn storage_with_a_secret_file(dir: &std::path::Path) -> SqliteStorage {
        let s = SqliteStorage::open(dir.join("exchange.db")).unwrap();
        for code in ["sz-fgw", "sz-tjj", "sz-gov"] {
            s.add_unit(&Unit {
                code: code.into(),
                name: code.into(),
                short_name: None,
            })
            .await
            .unwrap();
        }
        let id = DocumentId(uuid::Uuid::new_v4());
        let content = serde_json::json!({ "attachments": [{ "name": "表", "sha256": FILE }] });
        let command_id = uuid::Uuid::new_v4();
        s.commit(&Commit {
            command: CommandRecord {
                command_id,
                unit: "sz-fgw".into(),
                username: "fgw".into(),
                client: "test".into(),
                kind: "dispatch".into(),
                payload_hash: "x".into(),
                outcome: "{}".into(),
                at: "2026-12-07T00:00:00Z".into(),
            },
            workflow: Some(WorkflowWrite {
                document_id: id,
                expected_version: None,
                owner: "sz-fgw".into(),
                classification: Confidential,
                state: "{}".into(),
                access: vec!["sz-tjj".into()],
            }),
            document: Some(DocumentRecord {
                document_id: id,
                owner: "sz-fgw".into(),
                classification: Confidential,
                content_hash: "h".into(),
                content: content.to_string(),
            }),
            log: Vec::<LogWrite>::new(),
            contents: Vec::new(),
            numbers: Vec::new(),
            delegation: None,
            transfer: None,
            audit: AuditDraft {
                at: "2026-12-07T00:00:00Z".into(),
                username: "fgw".into(),
                unit: "sz-fgw".into(),
                client: "test".into(),
                action: "command dispatch".into(),
                detail: "{}".into(),
            },
        })
        .await
        .unwrap();
        s
    }

    #[tokio::test]
    async fn files_by_unit_clearance_and_role() {
        let dir = tempfile::tempdir().unwrap();
        let s = storage_with_a_secret_file(dir.path()).await;
        let file_of = |u: UserInfo| {
            let s = &s;
            async move { file(s, &u, FILE).await.unwrap() }
        };
        assert!(matches!(
            file_of(reader("sz-tjj", Role::Clerk, Confidential)).await,
            Some(FileAccess::Document(_, Confidential))
        ));
        assert!(matches!(
            file_of(reader("sz-tjj", Role::Archivist, Secret)).await,
            Some(FileAccess::Document(..))
        ));
        // Unit: another unit's clerk, however cleared.
        assert_eq!(
            file_of(reader("sz-gov", Role::Clerk, TopSecret)).await,
            None
        );
        // Clearance: a 非密 clerk of the recipient unit.
        assert_eq!(
            file_of(reader("sz-tjj", Role::Clerk, Unclassified)).await,
            None
        );
        // Role: an admin of the recipient unit.
        assert_eq!(
            file_of(reader("sz-tjj", Role::Admin, TopSecret)).await,
            None
        );
    }

    #[tokio::test]
    async fn the_uploader_grant_is_the_users_at_their_clearance() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(dir.path().join("exchange.db")).unwrap();
        let uploader = reader("sz-gov", Role::Clerk, Secret);
        let colleague = UserInfo {
            username: "colleague".into(),
            ..uploader.clone()
        };
        assert_eq!(file(&s, &uploader, FILE).await.unwrap(), None);
        s.grant_upload(FILE, &uploader.username, Secret, "2026-12-07T00:00:00Z")
            .await
            .unwrap();
        assert_eq!(
            file(&s, &uploader, FILE).await.unwrap(),
            Some(FileAccess::Upload)
        );
        assert_eq!(file(&s, &colleague, FILE).await.unwrap(), None);
        // Lowered below the clearance the grant was given at: it lapses.
        let lowered = UserInfo {
            clearance: Confidential,
            ..uploader.clone()
        };
        assert_eq!(file(&s, &lowered, FILE).await.unwrap(), None);
    }
}
