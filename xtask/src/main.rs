//! `cargo xtask …`: the two commands that set up, run and test Gongwen Desk on a fresh
//! Debian 12 machine, plus lint and bench. Every step says what it does before doing it.
//!
//! - `cargo xtask run`   install what is missing, build, seed demo data, open the app
//! - `cargo xtask test`  everything CI runs (lint, unit/integration tests, real-window test)
//! - `cargo xtask lint`  rustfmt, clippy -D warnings, TS bindings in step, vue-tsc, eslint
//! - `cargo xtask bench` benchmarks; prints a table and writes bench/results.json
//! - `cargo xtask install` only the installing part

mod bench;
mod install;
mod util;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

use util::{cargo, root, run, step, target_dir};

fn main() {
    if let Err(e) = real_main() {
        eprintln!("\nxtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(c, r)| (c.as_str(), r));
    match cmd {
        "install" => install::all(install::Purpose::Test),
        "run" => run_app(rest),
        "test" => test(),
        "lint" => lint(),
        "bench" => bench::bench(),
        "bindings" => bindings(),
        "__bench-app" => bench::app_inner(rest),
        "help" | "--help" | "-h" => {
            println!("{}", HELP);
            Ok(())
        }
        other => bail!("unknown command `{other}`\n\n{HELP}"),
    }
}

const HELP: &str = "usage: cargo xtask <command>

  run [--headless]  install missing packages, build, seed demo data into a fresh folder, open 公文桌
                    (--headless: under Xvfb, save a screenshot to target/xtask/run.png and exit)
  test              everything CI runs: lint, all crate tests, the real-window end-to-end test
  lint              cargo fmt --check, clippy -D warnings, TypeScript bindings in step, vue-tsc, eslint
  bench             benchmarks: prints a table, writes bench/results.json
  bindings          regenerate ui/src/bindings from the Rust types
  install           install missing system (apt), npm and cargo tools";

/// Builds the UI bundle that the app binary embeds.
fn build_ui() -> Result<()> {
    step("Building the UI (ui/dist)");
    run(Command::new("npm")
        .args(["run", "build"])
        .current_dir(root().join("ui")))
}

/// Builds the app and the CLI; the UI bundle must be built first (it is embedded).
fn build_app(release: bool) -> Result<PathBuf> {
    step("Building the app and the CLI");
    let mut c = cargo();
    c.args(["build", "-p", "gongwen-desk", "-p", "gongwen-cli"]);
    if release {
        c.arg("--release");
    }
    run(&mut c)?;
    Ok(target_dir().join(if release { "release" } else { "debug" }))
}

fn run_app(args: &[String]) -> Result<()> {
    let headless = args.iter().any(|a| a == "--headless");
    install::all(install::Purpose::Run)?;
    build_ui()?;
    let bin = build_app(false)?;

    let data = target_dir().join("demo-data");
    step(&format!(
        "Seeding demo documents into a fresh data folder {}",
        data.display()
    ));
    if data.exists() {
        std::fs::remove_dir_all(&data).with_context(|| format!("clearing {}", data.display()))?;
    }
    std::fs::create_dir_all(&data)?;
    run(Command::new(bin.join("gongwen"))
        .arg("--data")
        .arg(&data)
        .arg("import")
        .arg(root().join("assets/demo")))?;

    let mut app = Command::new(bin.join("gongwen-desk"));
    app.env("GONGWEN_DATA_DIR", &data);
    if headless
        || std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        if !headless {
            println!("No display found (DISPLAY unset): running under Xvfb and taking a screenshot instead.");
        }
        let shot = target_dir().join("xtask/run.png");
        util::screenshot_under_xvfb(&mut app, &shot, std::time::Duration::from_secs(6))?;
        println!("Screenshot of the running app: {}", shot.display());
        return Ok(());
    }
    step("Opening 公文桌 (close the window to finish)");
    run(&mut app)
}

fn bindings() -> Result<()> {
    step("Generating TypeScript bindings from the Rust types (ts-rs)");
    let dir = root().join("ui/src/bindings");
    run(cargo()
        .env("TS_RS_EXPORT_DIR", &dir)
        .args(["test", "--lib", "--quiet"])
        .args([
            "-p",
            "gongwen-core",
            "-p",
            "gongwen-store",
            "-p",
            "gongwen-desk",
        ])
        .args([
            "--features",
            "gongwen-core/ts,gongwen-store/ts,gongwen-desk/ts",
        ])
        .arg("export_bindings"))
}

fn lint() -> Result<()> {
    install::all(install::Purpose::Test)?;
    // The app crate embeds ui/dist at compile time, so clippy needs the bundle.
    build_ui()?;
    step("rustfmt");
    run(cargo().args(["fmt", "--all", "--check"]))?;
    step("clippy (all crates, all targets, warnings are errors)");
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    bindings()?;
    step("Checking the TypeScript bindings are in step with the Rust types");
    let out = Command::new("git")
        .args(["status", "--porcelain", "--", "ui/src/bindings"])
        .current_dir(root())
        .output()
        .context("running git status")?;
    let changed = String::from_utf8_lossy(&out.stdout);
    if !changed.trim().is_empty() {
        bail!("ui/src/bindings is out of step with the Rust types; run `cargo xtask bindings` and commit:\n{changed}");
    }
    step("vue-tsc and eslint");
    let ui = root().join("ui");
    run(Command::new("npm")
        .args(["run", "typecheck"])
        .current_dir(&ui))?;
    run(Command::new("npm").args(["run", "lint"]).current_dir(&ui))
}

fn test() -> Result<()> {
    let started = std::time::Instant::now();
    lint()?;
    step("Unit and integration tests of every crate");
    run(cargo().args(["test", "--workspace", "--exclude", "gongwen-e2e"]))?;
    let bin = build_app(false)?;
    step("End-to-end test in the real app window (Xvfb + tauri-driver + WebKitWebDriver)");
    let out = root().join("tests/output");
    std::fs::create_dir_all(&out)?;
    run(Command::new("dbus-run-session")
        .args(["--", "xvfb-run", "-a", "-s", "-screen 0 1280x800x24"])
        .arg(env!("CARGO"))
        .args(["test", "-p", "gongwen-e2e", "--", "--test-threads=1"])
        .env("GONGWEN_APP_BIN", bin.join("gongwen-desk"))
        .env("PATH", util::path_with_cargo_bin()))?;
    println!(
        "\nxtask test: all steps passed in {:.0} s (screenshots in {})",
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}
