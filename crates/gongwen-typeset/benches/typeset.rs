//! Typesetting speed and size: `cargo bench -p gongwen-typeset --bench typeset`.
//!
//! Measures a 1-page 通知 and a 10-page 报告 (warm: fonts loaded; cold: loading the fonts
//! included), the 10-page PDF's size, and — when `soffice` is installed — LibreOffice
//! converting the same 10-page text written as .docx. With `$GONGWEN_CLI_BIN` (the xtask
//! passes the release `gongwen`), also a whole `gongwen render` process on that text as a
//! .toml file: what a script or a clerk at the command line waits for. Prints a table and
//! writes JSON rows to `$GONGWEN_BENCH_OUT` (default `bench/typeset.json` in the workspace).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use gongwen_core::{Body, Document, DocumentFile};
use gongwen_typeset::{render, FontConfig, FontSet, RenderOptions};

struct Row {
    metric: String,
    value: f64,
    unit: &'static str,
    target: String,
    note: String,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> Document {
    let path = workspace()
        .join("tests/fixtures")
        .join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).expect("fixture");
    toml::from_str(&text).expect("fixture parses")
}

/// Median of `n` runs, in milliseconds.
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

/// The 6-page report fixture with its body repeated until it fills 10 pages.
fn ten_page_report(fonts: &FontSet) -> Document {
    let base = fixture("report-6-pages");
    let paragraphs: Vec<String> = base
        .body
        .paragraphs()
        .iter()
        .map(|p| p.text.clone())
        .collect();
    let mut doc = base.clone();
    let mut body = paragraphs.clone();
    let opts = RenderOptions::default();
    for i in 0..200 {
        doc.body = Body::from_text(&body.join("\n"));
        let pages = gongwen_typeset::layout(&doc, fonts, &opts).0.pages.len();
        if pages >= 10 {
            if pages > 10 {
                body.pop();
                doc.body = Body::from_text(&body.join("\n"));
            }
            break;
        }
        body.push(paragraphs[i % paragraphs.len()].clone());
    }
    doc
}

fn write_docx(doc: &Document, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use docx_rs::{
        AlignmentType, Docx, LineSpacing, LineSpacingType, PageMargin, Paragraph, Run, RunFonts,
        SpecialIndentType,
    };
    let fs = RunFonts::new()
        .east_asia("仿宋_GB2312")
        .ascii("仿宋_GB2312");
    // 22 lines: exact line spacing of 28.95 pt (in twentieths of a point).
    let exact = LineSpacing::new()
        .line_rule(LineSpacingType::Exact)
        .line(579);
    let mut d = Docx::new().page_size(11906, 16838).page_margin(
        PageMargin::new()
            .top(2098)
            .left(1588)
            .right(1474)
            .bottom(1984),
    );
    d = d.add_paragraph(
        Paragraph::new().align(AlignmentType::Center).add_run(
            Run::new()
                .add_text(doc.title.clone())
                .size(44)
                .fonts(RunFonts::new().east_asia("方正小标宋简体")),
        ),
    );
    for p in doc.body.paragraphs() {
        d = d.add_paragraph(
            Paragraph::new()
                .line_spacing(exact.clone())
                .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
                .add_run(
                    Run::new()
                        .add_text(p.text.clone())
                        .size(32)
                        .fonts(fs.clone()),
                ),
        );
    }
    let file = std::fs::File::create(path)?;
    d.build().pack(file)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rows = Vec::new();
    let opts = RenderOptions::default();

    // Cold: fonts found and read, then the first render.
    let t = Instant::now();
    let fonts = FontSet::load(&FontConfig::default())?;
    let load_ms = t.elapsed().as_secs_f64() * 1000.0;
    let report = ten_page_report(&fonts);
    let t = Instant::now();
    let cold_fonts = FontSet::load(&FontConfig::default())?;
    let r10 = render(&report, &cold_fonts, &opts)?;
    let cold_ms = t.elapsed().as_secs_f64() * 1000.0;
    drop(cold_fonts);
    assert_eq!(r10.pages, 10, "the report must be 10 pages");

    let mut notice = fixture("notice");
    notice.body = Body::from_text(
        "为做好今冬明春安全生产工作，经市政府同意，现将有关事项通知如下：各县、区人民政府和市直各部门要严格落实安全生产责任制，切实加强组织领导。",
    );
    notice.note.clear();
    notice.attachments.clear();
    notice.cc_recipients.clear();
    notice.printing_office.clear();
    notice.printing_date.clear();
    let one = render(&notice, &fonts, &opts)?;
    assert_eq!(one.pages, 1, "the notice must be 1 page");

    let warm1 = median_ms(30, || {
        render(&notice, &fonts, &opts).expect("render");
    });
    let warm10 = median_ms(15, || {
        render(&report, &fonts, &opts).expect("render");
    });
    let layout10 = median_ms(15, || {
        let _ = gongwen_typeset::layout(&report, &fonts, &opts);
    });

    rows.push(Row {
        metric: "1-page notice warm".into(),
        value: warm1,
        unit: "ms",
        target: "<= 20".into(),
        note: "median of 30, fonts loaded".into(),
    });
    rows.push(Row {
        metric: "10-page report warm".into(),
        value: warm10,
        unit: "ms",
        target: "<= 100".into(),
        note: format!("median of 15; layout alone {layout10:.1} ms"),
    });
    rows.push(Row { metric: "10-page report cold".into(), value: cold_ms, unit: "ms", target: "<= 300".into(), note: format!("finding + reading fonts, then render; font files in the OS cache (first load in this process took {load_ms:.0} ms)") });
    rows.push(Row {
        metric: "10-page PDF size".into(),
        value: r10.pdf.len() as f64 / 1024.0,
        unit: "KB",
        target: "<= 300".into(),
        note: "fonts subset and embedded".into(),
    });

    // A whole `gongwen render` process: start, find and map the fonts, lay out, write.
    let mut whole_ms = None;
    if let Some(cli) = std::env::var_os("GONGWEN_CLI_BIN") {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("report.toml");
        let text = DocumentFile {
            status: None,
            document: report.clone(),
        }
        .to_toml();
        std::fs::write(&file, text)?;
        let pdf = dir.path().join("report.pdf");
        let mut failed = None;
        let ms = median_ms(11, || {
            let out = Command::new(&cli)
                .arg("render")
                .arg(&file)
                .arg("-o")
                .arg(&pdf)
                .output();
            match out {
                Ok(o) if o.status.success() => {}
                Ok(o) => failed = Some(String::from_utf8_lossy(&o.stderr).into_owned()),
                Err(e) => failed = Some(e.to_string()),
            }
        });
        if let Some(why) = failed {
            return Err(format!("gongwen render failed: {why}").into());
        }
        rows.push(Row {
            metric: "gongwen render, whole process (10 pages)".into(),
            value: ms,
            unit: "ms",
            target: "<= 50".into(),
            note: "median of 11 runs of the release binary on the report as a .toml file".into(),
        });
        whole_ms = Some(ms);
    }

    // LibreOffice on the same text as .docx, when installed.
    let soffice = Command::new("soffice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if soffice {
        let dir = tempfile::tempdir()?;
        let docx = dir.path().join("report.docx");
        write_docx(&report, &docx)?;
        let mut runs = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let out = Command::new("soffice")
                .args(["--headless", "--convert-to", "pdf", "--outdir"])
                .arg(dir.path())
                .arg(&docx)
                .env("HOME", dir.path())
                .output()?;
            if !out.status.success() {
                return Err(
                    format!("soffice failed: {}", String::from_utf8_lossy(&out.stderr)).into(),
                );
            }
            runs.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        runs.sort_by(f64::total_cmp);
        let lo = runs[1];
        let lo_pages = Command::new("pdfinfo")
            .arg(dir.path().join("report.pdf"))
            .output()
            .ok()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .find(|l| l.starts_with("Pages:"))
                    .map(|l| l.trim_start_matches("Pages:").trim().to_string())
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        rows.push(Row { metric: "LibreOffice docx->pdf, same 10-page text".into(), value: lo, unit: "ms", target: "compare".into(), note: format!("median of 3 whole `soffice --headless --convert-to pdf` runs; LibreOffice made {lo_pages} pages") });
        rows.push(Row {
            metric: "LibreOffice / gongwen (warm) time ratio".into(),
            value: lo / warm10,
            unit: "x",
            target: "report".into(),
            note: "higher = gongwen faster".into(),
        });
        if let Some(whole) = whole_ms {
            rows.push(Row {
                metric: "LibreOffice / gongwen render (whole process)".into(),
                value: lo / whole,
                unit: "x",
                target: ">= 20".into(),
                note: "both as a whole process on the same text, same run".into(),
            });
        }
    } else {
        rows.push(Row {
            metric: "LibreOffice comparison".into(),
            value: 0.0,
            unit: "skipped",
            target: "report".into(),
            note: "soffice not installed (apt-get install -y libreoffice-writer-nogui)".into(),
        });
    }

    println!(
        "{:<44} {:>10} {:<8} {:<10} note",
        "metric", "value", "unit", "target"
    );
    for r in &rows {
        println!(
            "{:<44} {:>10.1} {:<8} {:<10} {}",
            r.metric, r.value, r.unit, r.target, r.note
        );
    }
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| serde_json::json!({"group": "typeset", "metric": r.metric, "value": (r.value * 10.0).round() / 10.0, "unit": r.unit, "target": r.target, "note": r.note}))
        .collect();
    let out = std::env::var_os("GONGWEN_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("bench/typeset.json"));
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, serde_json::to_string_pretty(&json)?)?;
    println!("wrote {}", out.display());
    Ok(())
}
