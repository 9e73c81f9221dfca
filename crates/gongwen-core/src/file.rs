//! The document file format (`docs/document-format.md`): one `Document` per TOML file,
//! plus an optional `status`. Reading is stricter than serde's defaults in two ways a
//! clerk would expect: a misspelt key is an error rather than silently dropped, and a
//! file that does not say `direction` takes the kind's usual one (a 请示 is 上行文).

use serde::Serialize;

use crate::{DocStatus, Document};

/// A document as read from or written to a `.toml` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFile {
    pub status: Option<DocStatus>,
    pub document: Document,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Not TOML, or a value of the wrong type; the message names line and column.
    #[error("{0}")]
    Syntax(String),
    #[error("unknown key `{key}`{}", .suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    UnknownKey {
        key: String,
        suggestion: Option<String>,
    },
}

impl FileError {
    pub fn message_zh(&self) -> String {
        match self {
            FileError::Syntax(m) => format!("文件格式错误：{m}"),
            FileError::UnknownKey { key, suggestion } => format!(
                "未知字段“{key}”{}",
                suggestion
                    .as_ref()
                    .map(|s| format!("，是否应为“{s}”"))
                    .unwrap_or_default()
            ),
        }
    }
}

#[derive(Serialize)]
struct Out<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<DocStatus>,
    #[serde(flatten)]
    document: &'a Document,
}

impl DocumentFile {
    pub fn from_toml(text: &str) -> Result<DocumentFile, FileError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| FileError::Syntax(e.to_string()))?;
        let known = known_keys();
        for key in table.keys() {
            if key != "status" && !known.iter().any(|k| k == key) {
                return Err(FileError::UnknownKey {
                    key: key.clone(),
                    suggestion: closest(key, &known),
                });
            }
        }
        // Parse the text again, typed, so errors carry line and column.
        let mut document: Document =
            toml::from_str(text).map_err(|e| FileError::Syntax(e.to_string()))?;
        if !table.contains_key("direction") {
            document.direction = document.kind.default_direction();
        }
        let status = match table.get("status") {
            None => None,
            Some(v) => Some(v.clone().try_into().map_err(|_| {
                FileError::Syntax(format!(
                    "status must be one of draft, signed_off, dispatched, incoming, archived; found {v}"
                ))
            })?),
        };
        Ok(DocumentFile { status, document })
    }

    pub fn to_toml(&self) -> String {
        let out = Out {
            status: self.status,
            document: &self.document,
        };
        // Serialising plain data with string keys cannot fail.
        toml::to_string(&out).unwrap_or_default()
    }
}

fn known_keys() -> Vec<String> {
    match toml::Table::try_from(Document::default()) {
        Ok(t) => t.keys().cloned().collect(),
        Err(_) => Vec::new(),
    }
}

/// The known key nearest to a misspelt one (edit distance ≤ 3).
fn closest(key: &str, known: &[String]) -> Option<String> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    }
    known
        .iter()
        .map(|k| (distance(key, k), k))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, k)| k.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Direction, DocKind};

    #[test]
    fn direction_follows_the_kind_unless_given() {
        let f = DocumentFile::from_toml("kind = \"request\"\ntitle = \"关于X的请示\"").unwrap();
        assert_eq!(f.document.direction, Direction::Upward);
        let f = DocumentFile::from_toml("kind = \"opinion\"\ndirection = \"upward\"").unwrap();
        assert_eq!(f.document.direction, Direction::Upward);
        let f = DocumentFile::from_toml("kind = \"letter\"").unwrap();
        assert_eq!(f.document.direction, Direction::Lateral);
    }

    #[test]
    fn misspelt_keys_are_refused_with_a_suggestion() {
        let e = DocumentFile::from_toml("kind = \"notice\"\nsigner = [\"王建国\"]").unwrap_err();
        assert_eq!(
            e,
            FileError::UnknownKey {
                key: "signer".into(),
                suggestion: Some("signers".into())
            }
        );
        assert!(e.to_string().contains("did you mean `signers`"));
        assert!(e.message_zh().contains("signers"));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = DocumentFile::from_toml("kind = \"notice\"\ntitle = \n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = DocumentFile::from_toml("kind = \"memo\"").unwrap_err();
        assert!(e.to_string().contains("memo"), "{e}");
        let e = DocumentFile::from_toml("status = \"lost\"").unwrap_err();
        assert!(e.to_string().contains("status must be one of"), "{e}");
    }

    #[test]
    fn write_then_read_round_trips() {
        let mut document = Document::new(DocKind::Request);
        document.title = "关于申请经费的请示".into();
        document.body = crate::Body::from_text("一、基本情况\n妥否，请批示。");
        let file = DocumentFile {
            status: Some(DocStatus::SignedOff),
            document,
        };
        assert_eq!(DocumentFile::from_toml(&file.to_toml()).unwrap(), file);
    }
}
