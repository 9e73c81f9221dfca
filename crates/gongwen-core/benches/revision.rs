//! 痕迹保留 speed: `cargo bench -p gongwen-core --bench revision`.
//!
//! Compares two versions of a 20-page 报告 (the 6-page fixture's paragraphs repeated to
//! 20 pages of 22 lines × 28 characters, the GB/T 9704 版心) where a reviewer changed a
//! phrase in every fifth paragraph, and lays five reviewers' versions over each other.
//! Prints a table and writes JSON rows to `$GONGWEN_BENCH_OUT` (default
//! `bench/revision.json` in the workspace).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gongwen_core::revision::{diff, trail, ChangeKind};
use gongwen_core::Document;

/// Characters on 20 full pages: 22 lines of 28 characters each.
const TWENTY_PAGES: usize = 20 * 22 * 28;

fn workspace() -> PathBuf {
    // The running cargo's package folder, not the one compiled in (see tests/window.rs).
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("../..")
}

fn paragraphs() -> Vec<String> {
    let path = workspace().join("tests/fixtures/report-6-pages.toml");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let doc: Document = toml::from_str(&text).expect("the fixture parses");
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
    out
}

/// A reviewer's pass: in every `every`-th paragraph (from `offset`) four characters go,
/// and a phrase comes in a little further on.
fn revise(paragraphs: &[String], every: usize, offset: usize, phrase: &str) -> Vec<String> {
    paragraphs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % every != offset % every {
                return p.clone();
            }
            let chars: Vec<char> = p.chars().collect();
            if chars.len() < 20 {
                return format!("{p}{phrase}");
            }
            let mut out: String = chars[..6].iter().collect();
            out.extend(&chars[10..14]);
            out.push_str(phrase);
            out.extend(&chars[14..]);
            out
        })
        .collect()
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
    let first = paragraphs();
    let old = first.join("\n");
    let second = revise(&first, 5, 0, "进一步");
    let new = second.join("\n");
    let changes = diff(&old, &new);
    let changed = changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Same)
        .count();
    let diff_ms = median_ms(21, || {
        std::hint::black_box(diff(&old, &new));
    });

    let versions: Vec<(usize, String)> = (1..=5)
        .scan(first.clone(), |text, person| {
            *text = revise(text, 5 + person, person, "切实");
            Some((person, text.join("\n")))
        })
        .collect();
    let trail_ms = median_ms(11, || {
        std::hint::black_box(trail(&old, versions.iter().map(|(p, t)| (*p, t.as_str()))));
    });

    let chars = old.chars().count();
    let rows = [
        (
            "diff of two versions, 20 pages",
            diff_ms,
            "≤ 30",
            format!("{chars} characters, {changed} changed runs; median of 21"),
        ),
        (
            "revision trail of 6 versions, 20 pages",
            trail_ms,
            "",
            "5 reviewers in turn; median of 11".to_string(),
        ),
    ];
    println!("{:<44} {:>10}  {:<8} note", "metric", "ms", "target");
    for (metric, value, target, note) in &rows {
        println!("{metric:<44} {value:>10.2}  {target:<8} {note}");
    }
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|(metric, value, target, note)| {
            serde_json::json!({"group": "revision", "metric": metric,
                "value": (value * 100.0).round() / 100.0, "unit": "ms",
                "target": target, "note": note})
        })
        .collect();
    let out = std::env::var_os("GONGWEN_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("bench/revision.json"));
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, serde_json::to_string_pretty(&json)?)?;
    println!("wrote {}", Path::new(&out).display());
    Ok(())
}
