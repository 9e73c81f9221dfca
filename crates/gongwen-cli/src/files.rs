//! Reading 公文 from TOML files: one `Document` per file, plus an optional top-level
//! `status = "draft"`. Errors name the file and the line.

use std::path::{Path, PathBuf};

use gongwen_core::{DocStatus, Document, DocumentFile};

/// Files named on the command line, and the `*.toml` files of named folders (sorted).
pub fn expand(inputs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(input.clone());
        }
    }
    out
}

/// Reads one document file (format and checks: `gongwen_core::DocumentFile`). The error
/// is a complete English message that starts with the path.
pub fn read_document(path: &Path) -> Result<(Document, DocStatus), String> {
    let source = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let file = DocumentFile::from_toml(&source).map_err(|e| {
        // Compiler style, `path:line:column: message`, so editors can jump to it.
        let at: String = [e.line(), e.column()]
            .into_iter()
            .map_while(|n| n.map(|n| format!(":{n}")))
            .collect();
        format!("{}{at}: {e}", path.display())
    })?;
    Ok((file.document, file.status.unwrap_or_default()))
}

/// A document as TOML that [`read_document`] reads back.
pub fn to_toml(document: &Document, status: DocStatus) -> String {
    DocumentFile {
        status: Some(status),
        document: document.clone(),
    }
    .to_toml()
}
