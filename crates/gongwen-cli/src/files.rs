//! Reading 公文 from TOML files: one `Document` per file, plus an optional top-level
//! `status = "draft"`. Errors name the file and the line.

use std::path::{Path, PathBuf};

use gongwen_core::{DocStatus, Document, DocumentFile};

/// Files named on the command line, and the `*.toml` files of named folders and of their
/// subfolders, each folder's in name order. A folder that cannot be read is an error
/// naming it: skipping it would import less than was asked without saying so.
pub fn expand(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        if !input.is_dir() {
            out.push(input.clone());
            continue;
        }
        for entry in walkdir::WalkDir::new(input).sort_by_file_name() {
            let entry = entry.map_err(|e| {
                let at = e.path().unwrap_or(input).display().to_string();
                anyhow::anyhow!("cannot read {at}: {e}")
            })?;
            let path = entry.path();
            if entry.file_type().is_file() && path.extension().is_some_and(|e| e == "toml") {
                out.push(entry.into_path());
            }
        }
    }
    Ok(out)
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
