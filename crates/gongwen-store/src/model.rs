//! The types the store hands out: what the UI and the CLI see.

use gongwen_core::revision::VersionReason;
use gongwen_core::{Classification, DocKind, DocStatus, Document, DocumentId, Urgency};
use serde::{Deserialize, Serialize};

/// A file copied into the store's attachments folder by `Store::stage_file`, not yet
/// listed on a document (`Store::add_staged_file` does that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    pub sha256: String,
    pub size: u64,
    /// The name it had on disk, kept for 另存为.
    pub file_name: Option<String>,
}

/// A document as stored: its latest version and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StoredDocument {
    pub id: DocumentId,
    pub status: DocStatus,
    /// Latest numbered version (第N版); the first is version 1.
    pub version: u32,
    /// RFC 3339, UTC: when autosave last wrote edits that are not in a numbered version
    /// yet (`document` is then that working copy); `None` when `document` is version
    /// `version` exactly.
    pub working_copy_at: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC: when the text was last saved (autosave too) or the status changed.
    pub updated_at: String,
    pub document: Document,
}

/// One numbered version of a document (the document itself via `Store::version`):
/// who made it, when, at which step and why, and whether it was 签发ed or 分发ed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct VersionInfo {
    pub version: u32,
    /// RFC 3339, UTC.
    pub saved_at: String,
    /// Characters of the 正文 in this version (line breaks not counted).
    pub char_count: u32,
    pub reason: VersionReason,
    /// Display name of who made it (本机 with nobody logged in; for a 收文 or the
    /// exchange's record of a 分发, the dispatcher's login name); `None` for versions
    /// saved before authors were recorded.
    pub author: Option<String>,
    /// The workflow step it was made at (核稿, 签发, 分发 …).
    pub step: Option<String>,
    /// For a 恢复: the version whose text it brought back.
    pub restored_from: Option<u32>,
    /// RFC 3339: this version is what was 分发ed (the exchange's time).
    pub dispatched_at: Option<String>,
    /// RFC 3339: this version was 签发ed …
    pub signed_off_at: Option<String>,
    /// … by this person.
    pub signed_off_by: Option<String>,
}

/// A line of a document list or a search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DocumentSummary {
    pub id: DocumentId,
    pub kind: DocKind,
    pub status: DocStatus,
    pub urgency: Urgency,
    pub classification: Classification,
    pub title: String,
    pub doc_number: String,
    /// First 发文机关署名, else first 发文机关标志; empty if neither is written yet.
    pub issuer: String,
    pub date_of_issue: String,
    pub year: Option<u16>,
    pub updated_at: String,
}

/// Order of a document list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Newest 成文日期 first; a document without a valid date sorts by the day it was
    /// last saved.
    #[default]
    DateDesc,
    DateAsc,
}

/// Which documents a list shows. Every field is optional in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(default)]
pub struct ListFilter {
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub kind: Option<DocKind>,
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub status: Option<DocStatus>,
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub year: Option<u16>,
    /// Default `date_desc`.
    #[cfg_attr(feature = "ts", ts(as = "Option<SortOrder>", optional))]
    pub sort: SortOrder,
    /// Default 0.
    #[cfg_attr(feature = "ts", ts(as = "Option<u32>", optional))]
    pub offset: u32,
    /// Default 50, at most 1,000 (larger values are capped); 0 gives only the total.
    #[cfg_attr(feature = "ts", ts(as = "Option<u32>", optional))]
    pub limit: u32,
}

impl Default for ListFilter {
    fn default() -> Self {
        ListFilter {
            kind: None,
            status: None,
            year: None,
            sort: SortOrder::DateDesc,
            offset: 0,
            limit: 50,
        }
    }
}

/// One page of a longer list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items the whole list has.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
}

/// A search result: the document, where the query matched and the words around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SearchHit {
    pub summary: DocumentSummary,
    /// Where the snippet comes from.
    pub field: SearchField,
    /// About 60 characters of that field around the first match, matches highlighted.
    pub snippet: Vec<SnippetPart>,
    /// Higher is better; ≥ 1 for a match in the title, number, issuer or recipients,
    /// < 1 for a match in the body only.
    pub score: f64,
}

/// The part of a document a search hit's snippet comes from: one of the header fields
/// the ranking weighs, or the 正文.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum SearchField {
    /// 标题
    Title,
    /// 发文字号
    DocNumber,
    /// 发文机关署名
    Issuer,
    /// 主送机关
    Recipients,
    /// 正文
    Body,
}

impl SearchField {
    /// Its name in JSON and on the command line (`gongwen search`).
    pub fn as_str(self) -> &'static str {
        match self {
            SearchField::Title => "title",
            SearchField::DocNumber => "doc_number",
            SearchField::Issuer => "issuer",
            SearchField::Recipients => "recipients",
            SearchField::Body => "body",
        }
    }
}

impl std::fmt::Display for SearchField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field compares equal to its name, as the string it replaced did.
impl PartialEq<&str> for SearchField {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

/// A piece of a snippet; the UI renders the parts in order (no HTML involved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SnippetPart {
    pub text: String,
    pub highlighted: bool,
}

/// A snippet as one line of text, each highlighted part between `open` and `close`
/// (`【防汛】` for a terminal).
pub fn marked_snippet(parts: &[SnippetPart], open: &str, close: &str) -> String {
    parts
        .iter()
        .map(|p| {
            if p.highlighted {
                format!("{open}{}{close}", p.text)
            } else {
                p.text.clone()
            }
        })
        .collect()
}

/// What [`crate::Store::checkpoint`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckpointReport {
    /// Another connection held a lock the checkpoint needed; it did what it could.
    pub busy: bool,
    /// Pages in the write-ahead log.
    pub wal_pages: u64,
    /// Of those, pages now in the database file.
    pub copied_pages: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_field_is_named_as_serde_names_it() {
        use SearchField::*;
        for field in [Title, DocNumber, Issuer, Recipients, Body] {
            let json = serde_json::to_value(field).unwrap();
            assert_eq!(json, serde_json::json!(field.as_str()));
            assert_eq!(field.to_string(), field.as_str());
        }
    }
}
