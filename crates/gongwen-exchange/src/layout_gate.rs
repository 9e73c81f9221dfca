//! The layout half of the 签发 and 用印 gate: the document is typeset as the app
//! prints it (`gongwen-typeset`) and the PDF is read back and measured
//! (`gongwen-pdfcheck`, what `gongwen check` runs).
//!
//! Why here: the server is the authority on every step, and a client may be old, offline
//! or lack the fonts, so whatever a client checked before queuing (the CLI does, so an
//! offline leader hears of it at once) the server checks again on the stored version it
//! decides on. `workflow::decide` does no I/O, so the findings are made beforehand and
//! handed to it through the command's context.
//!
//! Rendering takes a fraction of a second: results are kept by content hash, so a
//! re-send or a second step on the same text does not render it again.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use gongwen_core::workflow::{content_hash, LayoutFinding};
use gongwen_core::Document;
use gongwen_typeset::{FontConfig, FontSet, RenderOptions};

/// Tolerance in millimetres, as `gongwen check` uses by default.
const TOLERANCE_MM: f64 = 1.0;

/// How many checked versions are remembered before the memory is cleared.
const REMEMBERED: usize = 512;

/// Why the check could not be made (no fonts, no poppler): the server cannot decide.
#[derive(Debug, thiserror::Error)]
#[error("the layout check of 签发/用印 could not run: {0}")]
pub struct GateUnavailable(pub String);

fn fonts() -> Result<&'static FontSet, GateUnavailable> {
    static FONTS: OnceLock<Result<FontSet, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| FontSet::load(&FontConfig::default()).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| GateUnavailable(e.clone()))
}

fn remembered() -> &'static Mutex<HashMap<String, Vec<LayoutFinding>>> {
    static SEEN: OnceLock<Mutex<HashMap<String, Vec<LayoutFinding>>>> = OnceLock::new();
    SEEN.get_or_init(Default::default)
}

/// What `gongwen check` finds in the document's PDF (blocking: call it off the async
/// runtime).
pub fn findings(doc: &Document) -> Result<Vec<LayoutFinding>, GateUnavailable> {
    let hash = content_hash(doc);
    if let Some(found) = remembered()
        .lock()
        .ok()
        .and_then(|seen| seen.get(&hash).cloned())
    {
        return Ok(found);
    }
    let rendered = gongwen_typeset::render(doc, fonts()?, &RenderOptions::default())
        .map_err(|e| GateUnavailable(format!("typesetting failed: {e}")))?;
    // pdftotext and pdffonts read a file: a private one (0600: the document may be
    // classified, and the temporary folder is shared by every account on the server),
    // removed when dropped.
    let mut file = tempfile::Builder::new()
        .prefix("gongwen-gate-")
        .suffix(".pdf")
        .tempfile()
        .map_err(|e| GateUnavailable(format!("cannot make a temporary file: {e}")))?;
    std::io::Write::write_all(&mut file, &rendered.pdf)
        .map_err(|e| GateUnavailable(format!("cannot write {}: {e}", file.path().display())))?;
    let report = gongwen_pdfcheck::check_pdf(file.path(), TOLERANCE_MM)
        .map_err(|e| GateUnavailable(e.to_string()))?;
    let found: Vec<LayoutFinding> = report
        .findings
        .iter()
        .map(|f| LayoutFinding {
            message: match f.page {
                Some(p) => format!("第{p}页{}", f.zh),
                None => f.zh.clone(),
            },
            message_en: match f.page {
                Some(p) => format!("page {p}: {}", f.en),
                None => f.en.clone(),
            },
        })
        .collect();
    if let Ok(mut seen) = remembered().lock() {
        if seen.len() >= REMEMBERED {
            seen.clear();
        }
        seen.insert(hash, found.clone());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The gate lets a well-made document of every one of the 15 文种 through (the
    /// demo documents, one of each kind), so it blocks only what `gongwen check` finds.
    #[test]
    fn a_document_of_each_of_the_15_kinds_passes() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/demo");
        let mut by_kind = BTreeMap::new();
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .expect("demo folder")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).expect("demo file");
            let doc = gongwen_core::DocumentFile::from_toml(&text)
                .expect("valid demo file")
                .document;
            by_kind
                .entry(format!("{:?}", doc.kind))
                .or_insert((path, doc));
        }
        assert_eq!(by_kind.len(), 15, "{:?}", by_kind.keys());
        for (kind, (path, doc)) in by_kind {
            let found = findings(&doc).expect("the check runs");
            assert!(found.is_empty(), "{kind} ({}): {found:#?}", path.display());
        }
    }
}
