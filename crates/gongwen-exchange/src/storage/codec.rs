//! How both engines store values as text: enums by their serde names, ids as
//! hyphenated UUIDs, times as RFC 3339; and what they read out of a document's JSON.

use gongwen_core::Classification;

use super::StorageError;

/// The stored name of a value (`clerk`, `secret` …): gongwen-core's `as_str`.
pub(super) fn enum_text<T: Copy + Into<&'static str>>(v: &T) -> Result<String, StorageError> {
    Ok((*v).into().to_string())
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

/// The stored names of every 密级 up to and including `clearance`.
pub(super) fn classifications_up_to(
    clearance: Classification,
) -> Result<Vec<String>, StorageError> {
    Classification::ALL
        .into_iter()
        .filter(|c| *c <= clearance)
        .map(|c| enum_text(&c))
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
