#![allow(dead_code)]

use gongwen_core::wire::{Change, ChangeEntry, CommandId, RecipientRole, Role, UserInfo};
use gongwen_core::workflow::content_hash;
use gongwen_core::{Body, Classification, DocKind, Document, DocumentId};
use gongwen_store::Account;

/// When the exchange's changes in these tests happened.
pub const NOW: &str = "2026-11-25T08:00:00Z";

/// A clerk (cleared up to 机密) of `unit` on `server`.
pub fn account(server: &str, username: &str, unit: &str) -> Account {
    Account::new(
        server,
        UserInfo {
            username: username.into(),
            display_name: "张明".into(),
            unit: unit.into(),
            role: Role::Clerk,
            clearance: Classification::Confidential,
        },
    )
}

/// Log position `seq`: `doc` arrived from 市发改委 as 主送.
pub fn received(seq: u64, id: DocumentId, doc: &Document) -> Change {
    Change {
        seq,
        command_id: CommandId(uuid::Uuid::new_v4()),
        entry: ChangeEntry::Received {
            document_id: id,
            document: Box::new(doc.clone()),
            content_hash: content_hash(doc),
            from: "sz-fgw".into(),
            role: RecipientRole::Main,
            by: "fgw-clerk".into(),
            at: NOW.into(),
        },
    }
}

/// A 通知 like one a 市政府办公室 sends.
pub fn notice(title: &str, date: &str, body: &str) -> Document {
    let mut d = Document::new(DocKind::Notice);
    d.issuer_mark = vec!["宿州市人民政府办公室文件".into()];
    d.doc_number = "宿政办〔2026〕12号".into();
    d.title = title.into();
    d.main_recipients = vec!["各县、区人民政府".into(), "市政府各部门".into()];
    d.body = Body::from_text(body);
    d.issuer_signature = vec!["宿州市人民政府办公室".into()];
    d.date_of_issue = date.into();
    d
}

/// A 请示 upward with a 签发人.
pub fn request(title: &str, date: &str, body: &str) -> Document {
    let mut d = Document::new(DocKind::Request);
    d.issuer_mark = vec!["萧县人民政府文件".into()];
    d.doc_number = "萧政〔2025〕3号".into();
    d.signers = vec!["李明".into()];
    d.title = title.into();
    d.main_recipients = vec!["宿州市人民政府".into()];
    d.body = Body::from_text(body);
    d.issuer_signature = vec!["萧县人民政府".into()];
    d.date_of_issue = date.into();
    d
}

/// SQL that takes a store of the current schema back to what schema 5 had (before
/// versions recorded author, step and reason, and before working copies): for tests
/// that fake an older store by undoing later migrations (13, transfers; 12,
/// notifications given; 11, the 回收站 and its count triggers; 10, read marks; 9, filings;
/// 8, confirmed commands; 7, versions; 6, handlings).
pub const UNDO_SCHEMAS_6_TO_13: &str = "DROP TABLE transfers;
    DROP TABLE notified;
    DROP TRIGGER documents_count_insert;
    DROP TRIGGER documents_count_delete;
    DROP TRIGGER documents_count_update;
    CREATE TRIGGER documents_count_insert AFTER INSERT ON documents BEGIN
        INSERT INTO document_counts(kind, status, year, classification, n)
        VALUES (new.kind, new.status, coalesce(new.year, 0), new.classification, 1)
        ON CONFLICT (kind, status, year, classification) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER documents_count_delete AFTER DELETE ON documents BEGIN
        UPDATE document_counts SET n = n - 1
        WHERE kind = old.kind AND status = old.status AND year = coalesce(old.year, 0)
          AND classification = old.classification;
    END;
    CREATE TRIGGER documents_count_update AFTER UPDATE OF kind, status, year, classification ON documents BEGIN
        UPDATE document_counts SET n = n - 1
        WHERE kind = old.kind AND status = old.status AND year = coalesce(old.year, 0)
          AND classification = old.classification;
        INSERT INTO document_counts(kind, status, year, classification, n)
        VALUES (new.kind, new.status, coalesce(new.year, 0), new.classification, 1)
        ON CONFLICT (kind, status, year, classification) DO UPDATE SET n = n + 1;
    END;
    DROP INDEX documents_trashed;
    ALTER TABLE documents DROP COLUMN trashed_at;
    ALTER TABLE documents DROP COLUMN trashed_by;
    DROP TABLE read_marks;
    DROP TRIGGER filed_documents_kept;
    DROP TRIGGER filed_documents_stay_archived;
    DROP TRIGGER filed_documents_no_versions;
    DROP TRIGGER filed_documents_no_working_copy;
    DROP TABLE retention_changes;
    DROP TABLE filings;
    DROP TABLE working_copies;
    ALTER TABLE versions DROP COLUMN reason;
    ALTER TABLE versions DROP COLUMN author;
    ALTER TABLE versions DROP COLUMN step;
    ALTER TABLE versions DROP COLUMN restored_from;
    ALTER TABLE versions DROP COLUMN dispatched_at;
    ALTER TABLE versions DROP COLUMN signed_off_at;
    ALTER TABLE versions DROP COLUMN signed_off_by;
    DROP TABLE handlings;
    ALTER TABLE outbox DROP COLUMN confirmed_from;
    ALTER TABLE outbox DROP COLUMN confirmed_at;";
