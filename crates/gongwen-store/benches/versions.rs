//! 历史版本 speed: `cargo bench -p gongwen-store --bench versions`.
//!
//! What 比较 costs the clerk: two saved versions of a 20-page 报告 read back from a real
//! store file and compared element by element (`Store::version` twice, then
//! `revision::compare`), the work of the app's `compare_versions` command. The 20 pages
//! are the 6-page fixture's paragraphs repeated to 20 × 22 lines × 28 characters (the
//! GB/T 9704 版心), as in core's revision bench; the second version changes a phrase in
//! every fifth paragraph. Also times one autosave of such a draft, which now runs every
//! few seconds of typing. Prints a table and writes JSON rows to `$GONGWEN_BENCH_OUT`
//! (default `bench/versions.json` in the workspace).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use gongwen_core::revision::{compare, ChangeKind};
use gongwen_core::{Body, DocStatus, Document};
use gongwen_store::Store;

/// Characters on 20 full pages: 22 lines of 28 characters each.
const TWENTY_PAGES: usize = 20 * 22 * 28;

fn workspace() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("../..")
}

/// The fixture with its 正文 grown to 20 pages.
fn twenty_pages() -> Document {
    let path = workspace().join("tests/fixtures/report-6-pages.toml");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut doc: Document = toml::from_str(&text).expect("the fixture parses");
    let base: Vec<String> = doc
        .body
        .paragraphs()
        .iter()
        .map(|p| p.text.clone())
        .collect();
    let mut out = Vec::new();
    let mut chars = 0;
    for p in base.iter().cycle() {
        if chars >= TWENTY_PAGES {
            break;
        }
        chars += p.chars().count();
        out.push(p.clone());
    }
    doc.body = Body::from_text(&out.join("\n"));
    doc
}

/// A reviewer's pass: in every fifth paragraph four characters go and a phrase comes in.
fn revise(doc: &Document) -> Document {
    let text = doc.body.to_text();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, p)| {
            let chars: Vec<char> = p.chars().collect();
            if i % 5 != 0 || chars.len() < 20 {
                return p.to_string();
            }
            let mut out: String = chars[..6].iter().collect();
            out.extend(&chars[10..14]);
            out.push_str("进一步");
            out.extend(&chars[14..]);
            out
        })
        .collect();
    let mut revised = doc.clone();
    revised.body = Body::from_text(&lines.join("\n"));
    revised
}

fn median_ms(n: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[n / 2].as_secs_f64() * 1000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    let first = twenty_pages();
    let second = revise(&first);
    let id = store.create_document(&first, DocStatus::Draft)?.id;
    store.save_draft(id, &second)?;

    let mut changed = 0;
    let compare_ms = median_ms(21, || {
        let old = store.version(id, 1).expect("read").expect("version 1");
        let new = store.version(id, 2).expect("read").expect("version 2");
        let elements = compare(&old, &new);
        changed = elements
            .iter()
            .flat_map(|e| &e.changes)
            .filter(|c| c.kind != ChangeKind::Same)
            .count();
        std::hint::black_box(elements);
    });

    // Autosave alternates between two texts, so every call writes (and re-indexes).
    let mut flip = false;
    let autosave_ms = median_ms(21, || {
        flip = !flip;
        let doc = if flip { &first } else { &second };
        std::hint::black_box(store.autosave(id, doc).expect("autosave"));
    });
    let chars = first.body.char_count();

    let rows = [
        (
            "compare two stored versions, 20 pages",
            compare_ms,
            "≤ 30",
            format!(
                "{chars} characters; read both from SQLite and diff each element; {changed} changed runs; median of 21"
            ),
        ),
        (
            "autosave of a 20-page draft",
            autosave_ms,
            "",
            "working copy and search index rewritten, fsynced; median of 21".to_string(),
        ),
    ];
    println!("{:<44} {:>10}  {:<8} note", "metric", "ms", "target");
    for (metric, value, target, note) in &rows {
        println!("{metric:<44} {value:>10.2}  {target:<8} {note}");
    }
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|(metric, value, target, note)| {
            serde_json::json!({"group": "versions", "metric": metric,
                "value": (value * 100.0).round() / 100.0, "unit": "ms",
                "target": target, "note": note})
        })
        .collect();
    let out = std::env::var_os("GONGWEN_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("bench/versions.json"));
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, serde_json::to_string_pretty(&json)?)?;
    println!("wrote {}", out.display());
    Ok(())
}
