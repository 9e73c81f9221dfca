//! The document file format (`docs/document-format.md`): one `Document` per TOML file,
//! plus an optional `status`. Reading is stricter than serde's defaults in two ways a
//! clerk would expect: a misspelt key is an error rather than silently dropped, and a
//! file that does not say `direction` takes the kind's usual one (a 请示 is 上行文).

use crate::{DocStatus, Document};

/// A document as read from or written to a `.toml` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFile {
    pub status: Option<DocStatus>,
    pub document: Document,
}

/// What is wrong with a document file. `Display` gives the message without the place;
/// [`FileError::line`] and [`FileError::column`] give the place (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Not TOML, or a value of the wrong type.
    #[error("{message}")]
    Syntax {
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    #[error("unknown key `{key}`{}", .suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    UnknownKey {
        key: String,
        line: Option<usize>,
        suggestion: Option<String>,
    },
}

impl FileError {
    pub fn line(&self) -> Option<usize> {
        match self {
            FileError::Syntax { line, .. } | FileError::UnknownKey { line, .. } => *line,
        }
    }

    pub fn column(&self) -> Option<usize> {
        match self {
            FileError::Syntax { column, .. } => *column,
            FileError::UnknownKey { .. } => None,
        }
    }

    fn syntax(source: &str, e: &toml::de::Error) -> FileError {
        let (line, column) = match e.span() {
            Some(span) => {
                let before = &source[..span.start.min(source.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        FileError::Syntax {
            line,
            column,
            message: e.message().trim().to_string(),
        }
    }

    pub fn message_zh(&self) -> String {
        let at = self
            .line()
            .map(|l| format!("第{l}行："))
            .unwrap_or_default();
        match self {
            FileError::Syntax { message, .. } => format!("{at}文件格式错误：{message}"),
            FileError::UnknownKey {
                key, suggestion, ..
            } => format!(
                "{at}未知字段“{key}”{}",
                suggestion
                    .as_ref()
                    .map(|s| format!("，是否应为“{s}”"))
                    .unwrap_or_default()
            ),
        }
    }
}

impl DocumentFile {
    pub fn from_toml(text: &str) -> Result<DocumentFile, FileError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| FileError::syntax(text, &e))?;
        let known = known_keys();
        for key in table.keys() {
            if key != "status" && !known.iter().any(|k| k == key) {
                return Err(FileError::UnknownKey {
                    key: key.clone(),
                    line: line_of_key(text, key),
                    suggestion: closest(key, &known),
                });
            }
        }
        // Parse the text again, typed, so errors carry line and column.
        let mut document: Document =
            toml::from_str(text).map_err(|e| FileError::syntax(text, &e))?;
        if !table.contains_key("direction") {
            document.direction = document.kind.default_direction();
        }
        let status = match table.get("status") {
            None => None,
            Some(v) => Some(v.clone().try_into().map_err(|_| FileError::Syntax {
                line: line_of_key(text, "status"),
                column: None,
                message: format!(
                    "status must be one of draft, signed_off, dispatched, incoming, archived; found {v}"
                ),
            })?),
        };
        Ok(DocumentFile { status, document })
    }

    /// `status` first, then the elements in document order; empty ones are left out, since
    /// reading fills them with the same defaults.
    pub fn to_toml(&self) -> String {
        let mut table = toml::Table::new();
        if let Some(status) = self.status {
            if let Ok(v) = toml::Value::try_from(status) {
                table.insert("status".into(), v);
            }
        }
        if let Ok(doc) = toml::Table::try_from(&self.document) {
            for (key, value) in doc {
                let empty = match &value {
                    toml::Value::String(s) => s.is_empty(),
                    toml::Value::Array(a) => a.is_empty(),
                    toml::Value::Boolean(b) => !b,
                    _ => false,
                };
                if !empty {
                    table.insert(key, value);
                }
            }
        }
        // Serialising a table of plain values cannot fail.
        toml::to_string(&table).unwrap_or_default()
    }
}

fn line_of_key(source: &str, key: &str) -> Option<usize> {
    source
        .lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
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
                line: Some(2),
                suggestion: Some("signers".into())
            }
        );
        assert_eq!(
            e.to_string(),
            "unknown key `signer` (did you mean `signers`?)"
        );
        assert!(
            e.message_zh().starts_with("第2行：未知字段“signer”"),
            "{}",
            e.message_zh()
        );
        assert!(e.message_zh().contains("signers"));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = DocumentFile::from_toml("kind = \"notice\"\ntitle = \n").unwrap_err();
        assert_eq!((e.line(), e.column()), (Some(2), Some(9)), "{e}");
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
        let text = file.to_toml();
        assert!(text.starts_with("status = \"signed_off\""), "{text}");
        assert!(
            !text.contains("copy_number"),
            "empty elements are left out: {text}"
        );
        assert_eq!(DocumentFile::from_toml(&text).unwrap(), file);
    }
}
