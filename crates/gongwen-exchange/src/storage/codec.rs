//! How both engines store values as text: enums by their serde names, ids as
//! hyphenated UUIDs, times as RFC 3339; and what they read out of a document's JSON.

use gongwen_core::wire::{ChangeEntry, UnitCode};
use gongwen_core::{Classification, Document};

use super::{ContentKey, LogContent, LogWrite, StorageError};

/// The stored name of a value (`clerk`, `secret` …): gongwen-core's `as_str`.
pub(super) fn enum_text<T: Copy + Into<&'static str>>(v: &T) -> Result<String, StorageError> {
    Ok((*v).into().to_string())
}

/// Parses a record stored whole as JSON (a delegation, a transfer) back; `what` names
/// it in the error.
pub(super) fn parse_json<T: serde::de::DeserializeOwned>(
    s: &str,
    what: &str,
) -> Result<T, StorageError> {
    serde_json::from_str(s)
        .map_err(|e| StorageError::Backend(format!("stored {what} is not valid: {e}")))
}

/// Parses a stored name back (gongwen-core's `FromStr`).
pub(super) fn parse_enum<T: std::str::FromStr<Err = gongwen_core::UnknownName>>(
    s: &str,
    what: &str,
) -> Result<T, StorageError> {
    s.parse()
        .map_err(|e| StorageError::Backend(format!("stored {what} `{s}` is not valid: {e}")))
}

pub(super) fn parse_uuid(s: &str, what: &str) -> Result<uuid::Uuid, StorageError> {
    uuid::Uuid::parse_str(s)
        .map_err(|e| StorageError::Backend(format!("stored {what} `{s}` is not a UUID: {e}")))
}

/// SHA-256s of the attachment files a `Document` JSON lists, in lower case.
pub(super) fn attachment_hashes(content: &str) -> Result<Vec<String>, StorageError> {
    let doc: serde_json::Value = serde_json::from_str(content)
        .map_err(|e| StorageError::Backend(format!("document content is not JSON: {e}")))?;
    let mut hashes: Vec<String> = doc
        .get("attachments")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("sha256").and_then(|h| h.as_str()))
        .filter_map(gongwen_core::digest::parse_sha256)
        .collect();
    hashes.sort();
    hashes.dedup();
    Ok(hashes)
}

/// Whether a token expiring at `expires_at` is still valid at `now` (both RFC 3339).
/// Compared as instants, not as text: `…Z` and `…+00:00` must agree.
pub(super) fn token_live(expires_at: &str, now: &str) -> Result<bool, StorageError> {
    let parse = |s: &str, what: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .map_err(|e| StorageError::Backend(format!("{what} `{s}` is not RFC 3339: {e}")))
    };
    Ok(parse(now, "time")? < parse(expires_at, "token expiry")?)
}

/// The stored names of every 密级 a reader cleared to `clearance` may see (the rule is
/// in [`crate::access`]).
pub(super) fn classifications_up_to(
    clearance: Classification,
) -> Result<Vec<String>, StorageError> {
    crate::access::classifications_cleared(clearance)
        .iter()
        .map(enum_text)
        .collect()
}

/// Of (document id, classification) rows as stored, the most classified one.
pub(super) fn most_classified(
    rows: Vec<(String, String)>,
) -> Result<Option<(gongwen_core::DocumentId, Classification)>, StorageError> {
    let mut best: Option<(gongwen_core::DocumentId, Classification)> = None;
    for (id, classification) in rows {
        let c: Classification = parse_enum(&classification, "classification")?;
        let id = gongwen_core::DocumentId(parse_uuid(&id, "document id")?);
        if best.as_ref().is_none_or(|(_, b)| c > *b) {
            best = Some((id, c));
        }
    }
    Ok(best)
}

/// What a stored entry holds where its document was taken out.
const DOCUMENT_TAKEN_OUT: &str = r#""document":null"#;

/// A decision's log entries as storage writes them: the document a `sent` or
/// `received` entry carries is taken out (one [`LogContent`] per document and content
/// hash) and `"document":null` stands in its place, so a dispatch to N units stores
/// its text once instead of N + 1 times. Every other byte of the entry is as
/// `serde_json` writes it whole, so putting the content back gives the same text.
pub fn log_writes(
    log: Vec<(UnitCode, ChangeEntry)>,
    classification: Classification,
) -> Result<(Vec<LogWrite>, Vec<LogContent>), serde_json::Error> {
    let placeholder = format!(
        r#""document":{}"#,
        serde_json::to_string(&Document::default())?
    );
    let mut writes = Vec::with_capacity(log.len());
    let mut contents: Vec<LogContent> = Vec::new();
    for (unit, mut entry) in log {
        let carried = match &mut entry {
            ChangeEntry::Sent {
                document_id,
                document,
                content_hash,
                ..
            }
            | ChangeEntry::Received {
                document_id,
                document,
                content_hash,
                ..
            } => Some((
                ContentKey {
                    document_id: *document_id,
                    content_hash: content_hash.clone(),
                },
                std::mem::take(&mut **document),
            )),
            ChangeEntry::Delivery { .. }
            | ChangeEntry::Handling { .. }
            | ChangeEntry::Transfer { .. } => None,
        };
        let mut text = serde_json::to_string(&entry)?;
        let content = match carried {
            None => None,
            // `type` and `document_id` come before it and cannot hold this text, so
            // the first match is the field.
            Some((key, document)) => match text.find(&placeholder) {
                Some(at) => {
                    text.replace_range(at..at + placeholder.len(), DOCUMENT_TAKEN_OUT);
                    if !contents.iter().any(|c| c.key == key) {
                        contents.push(LogContent {
                            key: key.clone(),
                            content: serde_json::to_string(&document)?,
                        });
                    }
                    Some(key)
                }
                // Not expected; the entry is then stored whole, which is always read.
                None => {
                    put_back(&mut entry, document);
                    text = serde_json::to_string(&entry)?;
                    None
                }
            },
        };
        writes.push(LogWrite {
            unit,
            classification,
            entry: text,
            content,
        });
    }
    Ok((writes, contents))
}

fn put_back(entry: &mut ChangeEntry, doc: Document) {
    if let ChangeEntry::Sent { document, .. } | ChangeEntry::Received { document, .. } = entry {
        **document = doc;
    }
}

/// A stored entry as it was written whole: `content` (read through the entry's
/// reference) back in the place of `"document":null`. An entry without a reference
/// is returned as stored: earlier builds wrote every entry whole.
pub(super) fn entry_with_content(
    entry: String,
    referenced: bool,
    content: Option<String>,
    unit: &str,
    seq: i64,
) -> Result<String, StorageError> {
    if !referenced {
        return Ok(entry);
    }
    let content = content.ok_or_else(|| {
        StorageError::Backend(format!(
            "log entry {unit}#{seq} refers to a document content that is not stored"
        ))
    })?;
    let at = entry.find(DOCUMENT_TAKEN_OUT).ok_or_else(|| {
        StorageError::Backend(format!(
            "log entry {unit}#{seq} refers to a content but has no place for it"
        ))
    })?;
    let mut whole = String::with_capacity(entry.len() + content.len());
    whole.push_str(&entry[..at]);
    whole.push_str(r#""document":"#);
    whole.push_str(&content);
    whole.push_str(&entry[at + DOCUMENT_TAKEN_OUT.len()..]);
    Ok(whole)
}

/// A stored flow kind (`FlowKind::as_str`) read back.
pub(super) fn parse_flow_kind(s: &str) -> Result<gongwen_core::flow::FlowKind, StorageError> {
    use gongwen_core::flow::FlowKind;
    [FlowKind::Outgoing, FlowKind::Incoming]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| StorageError::Backend(format!("stored flow kind `{s}` is not valid")))
}

/// What `open_workflow_states` selects by: a state whose JSON says some handling is not
/// finished (serde writes it compactly, so the text is exactly this); the caller reads
/// the handlings themselves.
pub(super) const OPEN_HANDLING_LIKE: &str = "%\"finished\":false%";
