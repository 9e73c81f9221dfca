//! `cargo xtask bench`: runs each crate's benchmark (they write JSON rows), measures the
//! app's cold start and memory with a 100,000-document store, then prints one table and
//! writes everything to bench/results.json.
//!
//! Benchmarks measure; they assert nothing. Targets are printed beside the figures.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::install;
use crate::util::{cargo, root, run, step, target_dir};

pub fn bench() -> Result<()> {
    install::all(install::Purpose::Bench)?;
    let out_dir = root().join("bench");
    std::fs::create_dir_all(&out_dir)?;
    let store_dir = target_dir().join("bench/store-100k");

    step("Store benchmark (100,000 documents; search compared with ripgrep)");
    if store_dir.exists() {
        std::fs::remove_dir_all(&store_dir)?;
    }
    let toml_dir = target_dir().join("bench/toml-100k");
    if toml_dir.exists() {
        std::fs::remove_dir_all(&toml_dir)?;
    }
    run(cargo()
        .args(["bench", "-p", "gongwen-store", "--bench", "store"])
        .env("GONGWEN_BENCH_OUT", out_dir.join("store.json"))
        .env("GONGWEN_BENCH_KEEP_STORE", &store_dir)
        .env("GONGWEN_BENCH_TOML_DIR", &toml_dir))?;

    step("gongwen import of the same 100,000 documents as files in 100 folders");
    run(cargo().args(["build", "--release", "-p", "gongwen-cli"]))?;
    let rows = cli_import(&target_dir().join("release/gongwen"), &toml_dir)?;
    std::fs::write(
        out_dir.join("cli.json"),
        serde_json::to_string_pretty(&rows)?,
    )?;
    std::fs::remove_dir_all(&toml_dir)?;

    step("Typesetting benchmark (compared with LibreOffice)");
    run(cargo()
        .args(["bench", "-p", "gongwen-typeset", "--bench", "typeset"])
        .env("GONGWEN_BENCH_OUT", out_dir.join("typeset.json"))
        .env("GONGWEN_CLI_BIN", target_dir().join("release/gongwen")))?;

    step("Revision trail benchmark (character diff of a 20-page document)");
    run(cargo()
        .args(["bench", "-p", "gongwen-core", "--bench", "revision"])
        .env("GONGWEN_BENCH_OUT", out_dir.join("revision.json")))?;

    step("Version history benchmark (two stored versions of a 20-page document compared)");
    run(cargo()
        .args(["bench", "-p", "gongwen-store", "--bench", "versions"])
        .env("GONGWEN_BENCH_OUT", out_dir.join("versions.json")))?;

    step("Boxes benchmark (the 待办 box of a leader among 10,000 documents in handling)");
    run(cargo()
        .args(["bench", "-p", "gongwen-store", "--bench", "boxes"])
        .env("GONGWEN_BENCH_OUT", out_dir.join("boxes.json")))?;

    step("Archive benchmark (filing 1,000 件; 四性检测 against sha256sum over the same bytes)");
    run(cargo()
        .args(["bench", "-p", "gongwen-archive", "--bench", "archive"])
        .env("GONGWEN_BENCH_OUT", out_dir.join("archive.json")))?;

    // A real exchange server process on loopback with real client stores; the load part
    // runs on SQLite and on a temporary PostgreSQL. Parameters: GONGWEN_BENCH_SYNC_*,
    // GONGWEN_BENCH_SECS … (see crates/gongwen-exchange/benches/sync.rs).
    step("Sync benchmark (initial and incremental sync, fan-out, 200 clients on SQLite and PostgreSQL)");
    run(cargo()
        .args(["bench", "-p", "gongwen-exchange", "--bench", "sync"])
        .env("GONGWEN_BENCH_OUT", out_dir.join("sync.json")))?;

    // Steps (#11): one step's round trip, and 100 clients taking steps per engine, the
    // trails read back afterwards. GONGWEN_BENCH_STEP_SECS (60), …_STEP_CLIENTS (100).
    step("Step benchmark (a step's round trip; 100 clients taking steps on SQLite and PostgreSQL)");
    run(cargo()
        .args(["bench", "-p", "gongwen-exchange", "--bench", "steps"])
        .env("GONGWEN_BENCH_OUT", out_dir.join("steps.json")))?;

    crate::build_ui()?;
    let bin = crate::build_app(true)?.join("gongwen-desk");
    step("App cold start and memory, with the 100,000-document store open and with the demo documents (under Xvfb)");
    let demo_store = demo_store(&bin.with_file_name("gongwen"))?;
    let exe = std::env::current_exe().context("locating xtask")?;
    run(Command::new("dbus-run-session")
        .args(["--", "xvfb-run", "-a", "-s", "-screen 0 1280x800x24"])
        .arg(exe)
        .arg("__bench-app")
        .arg(&bin)
        .arg(&store_dir)
        .arg(&demo_store)
        .arg(out_dir.join("app.json")))?;

    let mut rows = Vec::new();
    for part in [
        "store", "cli", "typeset", "revision", "versions", "boxes", "archive", "sync", "steps",
        "app",
    ] {
        let path = out_dir.join(format!("{part}.json"));
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let parsed: Vec<Value> =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        rows.extend(parsed);
    }
    print_table(&rows);
    let results = json!({
        "machine": machine(),
        "rows": rows,
    });
    let path = out_dir.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results)?)?;
    println!("\nWrote {}", path.display());
    Ok(())
}

/// A fresh store holding the 40 demo documents (assets/demo), as one desk of the demo.
fn demo_store(gongwen: &Path) -> Result<PathBuf> {
    let store = target_dir().join("bench/store-demo");
    if store.exists() {
        std::fs::remove_dir_all(&store)?;
    }
    let status = Command::new(gongwen)
        .arg("--data")
        .arg(&store)
        .arg("import")
        .arg(root().join("assets/demo"))
        .stdout(std::process::Stdio::null())
        .status()
        .with_context(|| format!("starting {}", gongwen.display()))?;
    if !status.success() {
        bail!("gongwen import of assets/demo failed: {status}");
    }
    Ok(store)
}

/// `gongwen import DIR` on a fresh store: documents per second, and the process's peak
/// resident memory (VmHWM, read every 20 ms while it runs, so the last 20 ms are unseen).
fn cli_import(gongwen: &Path, dir: &Path) -> Result<Vec<Value>> {
    let files = walk_count(dir);
    let store = tempfile_dir("gongwen-bench-import")?;
    let said = store.with_extension("stderr");
    let t = Instant::now();
    let mut child = Command::new(gongwen)
        .arg("--data")
        .arg(&store)
        .arg("import")
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&said)?)
        .spawn()
        .with_context(|| format!("starting {}", gongwen.display()))?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Some(kb) = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        }) {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let secs = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&store);
    // The generated corpus holds some documents with errors (a 请示 to two organs, a
    // classified one without 份号); import rejects those, exits 1 and says how many.
    let summary = std::fs::read_to_string(&said)
        .unwrap_or_default()
        .lines()
        .rfind(|l| l.starts_with("imported "))
        .unwrap_or_default()
        .to_string();
    let _ = std::fs::remove_file(&said);
    if !matches!(status.code(), Some(0 | 1)) || summary.is_empty() {
        bail!("gongwen import {} failed: {status}", dir.display());
    }
    let rate = files as f64 / secs;
    let peak = peak_kb as f64 / 1024.0;
    println!(
        "    gongwen import: {files} files in {secs:.1} s ({summary}), {rate:.0} files/s, peak {peak:.0} MB"
    );
    Ok(vec![
        json!({"group":"store","metric":"gongwen import (files in 100 folders)","value":rate,"unit":"docs/s","target":">= 5000","note":format!("{files} TOML files read and checked ({summary}), stored in one transaction, {secs:.1} s")}),
        json!({"group":"store","metric":"gongwen import peak memory (VmHWM)","value":peak,"unit":"MB","target":"<= 300","note":format!("{files} files")}),
    ])
}

fn walk_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                walk_count(&p)
            } else {
                usize::from(p.extension().is_some_and(|x| x == "toml"))
            }
        })
        .sum()
}

fn tempfile_dir(prefix: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    json!({ "cpu": cpu, "cores": cores })
}

fn print_table(rows: &[Value]) {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    println!(
        "\n{:<9} {:<44} {:>12} {:<6} {:<10} note",
        "group", "metric", "value", "unit", "target"
    );
    println!("{}", "-".repeat(110));
    for r in rows {
        let value = r
            .get("value")
            .and_then(Value::as_f64)
            .map_or("-".into(), |v| format!("{v:.2}"));
        println!(
            "{:<9} {:<44} {:>12} {:<6} {:<10} {}",
            s(r, "group"),
            s(r, "metric"),
            value,
            s(r, "unit"),
            s(r, "target"),
            s(r, "note")
        );
    }
}

/// Inside Xvfb: `__bench-app APP STORE DEMO_STORE OUT.json`. Starts the app on the
/// 100,000-document store three times (cold start = process start → first list rendered,
/// reported by the app itself), once on the demo store, then an empty window for the
/// memory floor, and sums PSS over each process tree.
///
/// The floor is a stock Tauri window: WebKit's defaults, a blank page. It is also
/// measured with WebKit's accelerated compositing off (`WEBKIT_DISABLE_COMPOSITING_MODE`),
/// as the app itself runs (src-tauri `prefer_software_rendering`).
pub fn app_inner(args: &[String]) -> Result<()> {
    let [app, store, demo, out] = args else {
        bail!("usage: __bench-app APP STORE DEMO_STORE OUT.json");
    };
    let (app, store, demo) = (Path::new(app), Path::new(store), Path::new(demo));
    let mut rows = Vec::new();

    let mut starts = Vec::new();
    let mut pss = 0.0;
    for run_no in 0..3 {
        let (ms, mem) = launch_and_measure(app, store, Window::App)?;
        println!(
            "    run {}: ready after {ms:.0} ms, {mem:.0} MB PSS",
            run_no + 1
        );
        starts.push(ms);
        pss = mem;
    }
    let (_, demo_pss) = launch_and_measure(app, demo, Window::App)?;
    println!("    demo store: {demo_pss:.0} MB PSS");
    let (_, floor) = launch_and_measure(app, store, Window::Empty)?;
    let (_, floor_flat) = launch_and_measure(app, store, Window::EmptyWithoutCompositing)?;
    println!("    empty window: {floor:.0} MB PSS ({floor_flat:.0} MB without compositing)");
    let first = starts[0];
    starts.sort_by(f64::total_cmp);
    let ratio = |mem: f64| format!("{:.2}× the empty window's {floor:.0} MB", mem / floor);
    rows.push(json!({"group":"app","metric":"cold start to usable list (first run)","value":first,"unit":"ms","target":"<= 1500","note":"100,000-document store"}));
    rows.push(json!({"group":"app","metric":"start to usable list (median of 3)","value":starts[1],"unit":"ms","target":"<= 1500","note":"page cache warm after the first run"}));
    rows.push(json!({"group":"app","metric":"memory, app + WebKit processes (PSS)","value":pss,"unit":"MB","target":format!("<= {:.0}", floor * 1.2),"note":format!("100,000-document store; {}", ratio(pss))}));
    rows.push(json!({"group":"app","metric":"memory on the demo store (PSS)","value":demo_pss,"unit":"MB","target":format!("<= {:.0}", floor * 1.2),"note":ratio(demo_pss)}));
    rows.push(json!({"group":"app","metric":"memory floor: empty Tauri window (PSS)","value":floor,"unit":"MB","target":"","note":"same binary, blank page, WebKit's defaults"}));
    rows.push(json!({"group":"app","metric":"empty window without compositing (PSS)","value":floor_flat,"unit":"MB","target":"","note":"WEBKIT_DISABLE_COMPOSITING_MODE=1, as the app runs"}));
    std::fs::write(out, serde_json::to_string_pretty(&rows)?)?;
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Window {
    App,
    Empty,
    EmptyWithoutCompositing,
}

/// Stops the app like a logout does (SIGTERM: it saves and closes its store), so the next
/// run starts after a clean close; kills whatever is left after 15 s.
struct Reap(Child);
impl Drop for Reap {
    fn drop(&mut self) {
        let pid = self.0.id();
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        for p in descendants(pid) {
            let _ = Command::new("kill").arg(p.to_string()).status();
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn launch_and_measure(app: &Path, store: &Path, window: Window) -> Result<(f64, f64)> {
    let ready = std::env::temp_dir().join(format!("gongwen-ready-{}", std::process::id()));
    let _ = std::fs::remove_file(&ready);
    let mut c = Command::new(app);
    c.env("GONGWEN_DATA_DIR", store)
        .env("GONGWEN_BENCH_READY_FILE", &ready);
    // WebKit's settings are the app's (it turns compositing off itself), not whatever
    // the shell had.
    c.env_remove("WEBKIT_DISABLE_COMPOSITING_MODE");
    if window != Window::App {
        c.env("GONGWEN_BENCH_EMPTY_WINDOW", "1");
    }
    if window == Window::EmptyWithoutCompositing {
        c.env("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    let child = Reap(
        c.spawn()
            .with_context(|| format!("starting {}", app.display()))?,
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let ms = loop {
        if let Ok(text) = std::fs::read_to_string(&ready) {
            if let Ok(ms) = text.trim().parse::<f64>() {
                break ms;
            }
        }
        if Instant::now() > deadline {
            bail!("the app did not report ready within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // Let the WebKit processes settle before measuring.
    std::thread::sleep(Duration::from_secs(3));
    let pid = child.0.id();
    let mut total_kb = pss_kb(pid);
    for p in descendants(pid) {
        total_kb += pss_kb(p);
    }
    drop(child);
    let _ = std::fs::remove_file(&ready);
    Ok((ms, total_kb as f64 / 1024.0))
}

fn pss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// All processes below `pid`, from /proc/*/stat parent links.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let stat =
                std::fs::read_to_string(PathBuf::from("/proc").join(p.to_string()).join("stat"))
                    .unwrap_or_default();
            // The field after the `(comm)` is the state, then the parent pid.
            if let Some(ppid) = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u32>().ok())
            {
                parent_of.push((p, ppid));
            }
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for &(p, pp) in &parent_of {
            if pp == parent {
                out.push(p);
                frontier.push(p);
            }
        }
    }
    out
}
