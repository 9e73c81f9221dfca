//! `cargo xtask …`: the two commands that set up, run and test Gongwen Desk on a fresh
//! Debian 12 machine, plus lint and bench. Every step says what it does before doing it.
//!
//! - `cargo xtask run`   install what is missing, build, seed demo data, start a local
//!   exchange server with demo units and users, open two app windows logged in as two
//!   units
//! - `cargo xtask test`  everything CI runs (lint, unit/integration tests, real-window test),
//!   inside a private D-Bus session with an unlocked keyring
//! - `cargo xtask window [--times N] [--load] [--screen WxH] [FILTER...]` only the
//!   real-window tests, N times in a row, optionally beside a CPU load (how a flaky
//!   window test is found) and on a screen of another size
//! - `cargo xtask lint`  rustfmt, clippy -D warnings, TS bindings in step, vue-tsc, eslint
//! - `cargo xtask bench` benchmarks; prints a table and writes bench/results.json
//! - `cargo xtask install` only the installing part

mod bench;
mod commands_ts;
mod demo;
mod demo_server;
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
        "window" => window(rest),
        "lint" => lint(),
        "bench" => bench::bench(),
        "bindings" => bindings(),
        "__bench-app" => bench::app_inner(rest),
        "__demo-screenshot" => demo_screenshot(),
        "help" | "--help" | "-h" => {
            println!("{}", HELP);
            Ok(())
        }
        other => bail!("unknown command `{other}`\n\n{HELP}"),
    }
}

const HELP: &str = "usage: cargo xtask <command>

  run [--headless]  install missing packages, build, seed demo data into a fresh folder, start a
                    local exchange server with demo units and users (printing their logins), open
                    two 公文桌 windows logged in to it (市发改委 and 市统计局), so one unit can 分发
                    a document and the other 签收 it; the server stops when both windows close
                    (--headless: under Xvfb, dispatch one document, save a screenshot of both
                    windows to target/xtask/run.png and exit)
  test              everything CI runs: lint, all crate tests (PostgreSQL and keyring included),
                    the real-window end-to-end tests with a real exchange server, on a 1280×800
                    and on a 1366×768 screen
  window [--times N] [--load] [--screen WxH] [FILTER...]
                    only the real-window tests, N times in a row (default 1), each run's result
                    printed; --load runs `stress-ng --cpu <cores>` beside them; --screen sets the
                    virtual screen (default 1280x800; 1366x768 is the common laptop); FILTER
                    picks tests (any of several)
  lint              cargo fmt --check, clippy -D warnings, TypeScript bindings in step, vue-tsc, eslint
  bench             benchmarks: prints a table, writes bench/results.json
  bindings          regenerate ui/src/bindings from the Rust types and the #[tauri::command]s
  install           install missing system (apt), npm and cargo tools";

/// Builds the UI bundle that the app binary embeds.
fn build_ui() -> Result<()> {
    step("Building the UI (ui/dist)");
    run(Command::new("npm")
        .args(["run", "build"])
        .current_dir(root().join("ui")))
}

/// Builds the app, the CLI and the exchange server; the UI bundle must be built first
/// (it is embedded).
fn build_app(release: bool) -> Result<PathBuf> {
    step("Building the app, the CLI (gongwen) and the exchange server (gongwen-exchange)");
    let mut c = cargo();
    c.args([
        "build",
        "-p",
        "gongwen-desk",
        "-p",
        "gongwen-cli",
        "-p",
        "gongwen-exchange",
    ]);
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

    let exchange_data = demo_server::demo_data_dir(&target_dir());
    demo_server::seed_demo(&bin.join("gongwen-exchange"), &exchange_data)?;
    let server = demo_server::DemoServer::start(
        &bin.join("gongwen-exchange"),
        &exchange_data,
        &target_dir().join("xtask/exchange.log"),
    )?;
    let demo = demo::Demo::new(
        bin.join("gongwen-desk"),
        bin.join("gongwen"),
        server.url.clone(),
        fresh_dir(&target_dir().join("demo-data"))?,
        fresh_dir(&target_dir().join("demo-data-tjj"))?,
        fresh_dir(&target_dir().join("demo-data-gov"))?,
    );
    if headless
        || std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        if !headless {
            println!("No display found (DISPLAY unset): running under Xvfb and taking a screenshot instead.");
        }
        // Both windows on one wide virtual screen, with a throw-away keyring for the
        // logins; this same xtask binary does the work inside that session.
        let shot = target_dir().join("xtask/run.png");
        let mut inner = Command::new("xvfb-run");
        inner
            .args(["-a", "-s", "-screen 0 2560x800x24"])
            .arg(std::env::current_exe().context("locating the xtask binary")?)
            .arg("__demo-screenshot")
            .envs(demo.to_env(&shot));
        let keyring = fresh_dir(&target_dir().join("xtask/run-keyring"))?;
        run(&mut util::in_keyring_session(&inner, &keyring)?)?;
        println!("Screenshot of the two windows: {}", shot.display());
        return Ok(());
    }
    let result = demo.show();
    drop(server);
    result
}

/// `dir`, emptied if it existed.
fn fresh_dir(dir: &std::path::Path) -> Result<PathBuf> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir.to_path_buf())
}

/// The inside of `run --headless`: runs in a D-Bus session with a keyring, under Xvfb.
fn demo_screenshot() -> Result<()> {
    let (demo, shot) = demo::Demo::from_env()?;
    demo.screenshot(&shot)
}

fn bindings() -> Result<()> {
    step("Generating TypeScript bindings from the Rust types (ts-rs)");
    let dir = root().join("ui/src/bindings");
    ts_rs_bindings(&dir)?;
    step("Generating the typed command wrappers from the #[tauri::command]s (ui/src/bindings/commands.ts)");
    let has_binding = |name: &str| dir.join(format!("{name}.ts")).is_file();
    let ts = commands_ts::generate(&root().join("src-tauri/src"), &has_binding)?;
    let path = dir.join(commands_ts::FILE_NAME);
    std::fs::write(&path, ts).with_context(|| format!("writing {}", path.display()))
}

/// One file per Rust type deriving `ts_rs::TS` (under each crate's `ts` feature).
fn ts_rs_bindings(dir: &std::path::Path) -> Result<()> {
    run(cargo()
        .env("TS_RS_EXPORT_DIR", dir)
        .args(["test", "--lib", "--quiet"])
        .args([
            "-p",
            "gongwen-core",
            "-p",
            "gongwen-store",
            "-p",
            "gongwen-sync",
            "-p",
            "gongwen-typeset",
            "-p",
            "gongwen-desk",
        ])
        .args([
            "--features",
            "gongwen-core/ts,gongwen-store/ts,gongwen-sync/ts,gongwen-typeset/ts,gongwen-desk/ts",
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
    step("The UI's unit tests (vitest)");
    run(Command::new("npm")
        .arg("test")
        .current_dir(root().join("ui")))?;
    // A fresh, throw-away keyring for every run: tokens stored by one run's tests never
    // meet the next run's.
    let keyring = target_dir().join("xtask/keyring");
    if keyring.exists() {
        std::fs::remove_dir_all(&keyring)
            .with_context(|| format!("clearing {}", keyring.display()))?;
    }
    step("Unit and integration tests of every crate, in a private D-Bus session with an unlocked keyring (the exchange server's tests start their own PostgreSQL)");
    let mut tests = cargo();
    tests.args(["test", "--workspace", "--exclude", "gongwen-e2e"]);
    run(&mut util::in_keyring_session(&tests, &keyring)?)?;
    let bin = build_app(false)?;
    // Twice: on the screen the app was designed at, and on the 1366×768 laptop many
    // offices have, where the window and its dialogs must shrink to fit.
    // The whole suite at both sizes (the issue asks every window test to pass at both);
    // each run's time is printed, so what the second size costs stays visible.
    for screen in SCREENS {
        step(&format!("End-to-end tests in the real app window (Xvfb {screen} + tauri-driver + WebKitWebDriver) against a real exchange server"));
        let suite = std::time::Instant::now();
        run(&mut window_tests(&bin, &keyring, &[], screen)?)?;
        println!(
            "xtask test: the window suite on {screen} took {:.0} s",
            suite.elapsed().as_secs_f64()
        );
    }
    println!(
        "\nxtask test: all steps passed in {:.0} s (screenshots in {})",
        started.elapsed().as_secs_f64(),
        root().join("tests/output").display()
    );
    Ok(())
}

/// The virtual screens `cargo xtask test` runs the window suite on.
const SCREENS: [&str; 2] = ["1280x800", "1366x768"];

/// `WxH` as Xvfb takes it, or why not.
fn parse_screen(text: &str) -> Result<String> {
    let size = text
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .filter(|&(w, h)| (640..=7680).contains(&w) && (480..=4320).contains(&h));
    match size {
        Some((w, h)) => Ok(format!("{w}x{h}")),
        None => bail!("--screen wants WIDTHxHEIGHT in pixels, like 1366x768; got `{text}`"),
    }
}

/// The real-window suite (one test at a time: they share the X display), in the private
/// keyring session, on a virtual screen of `screen` (`WxH`); `filters` pick tests by name
/// (any of them; none: all).
fn window_tests(
    bin: &std::path::Path,
    keyring: &std::path::Path,
    filters: &[String],
    screen: &str,
) -> Result<Command> {
    std::fs::create_dir_all(root().join("tests/output"))?;
    let mut e2e = Command::new("xvfb-run");
    e2e.args(["-a", "-s", &format!("-screen 0 {screen}x24")])
        .arg(env!("CARGO"))
        .args(["test", "-p", "gongwen-e2e", "--"])
        .args(filters)
        .arg("--test-threads=1")
        .current_dir(root())
        .env("GONGWEN_APP_BIN", bin.join("gongwen-desk"))
        .env("GONGWEN_CLI_BIN", bin.join("gongwen"))
        .env("GONGWEN_EXCHANGE_BIN", bin.join("gongwen-exchange"))
        .env("PATH", util::path_with_cargo_bin());
    util::in_keyring_session(&e2e, keyring)
}

/// `cargo xtask window`: the window suite N times in a row, to find a test that fails
/// only sometimes. Every run is reported; the command fails if any run failed.
fn window(args: &[String]) -> Result<()> {
    let mut times = 1u32;
    let mut load = false;
    let mut filters = Vec::new();
    let mut screen = SCREENS[0].to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--times" => {
                times = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .context("--times wants a positive number")?
            }
            "--load" => load = true,
            "--screen" => screen = parse_screen(it.next().context("--screen wants WIDTHxHEIGHT")?)?,
            f if !f.starts_with('-') => filters.push(f.to_string()),
            other => bail!("unknown argument `{other}` for `window`\n\n{HELP}"),
        }
    }
    install::all(install::Purpose::Test)?;
    build_ui()?;
    let bin = build_app(false)?;
    let keyring = target_dir().join("xtask/keyring-window");
    let _stress = if load {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        step(&format!(
            "A CPU load beside the tests: stress-ng --cpu {cores}"
        ));
        Some(util::KillOnDrop(
            Command::new("stress-ng")
                .args(["--cpu", &cores.to_string(), "--quiet"])
                .spawn()
                .context("starting stress-ng")?,
        ))
    } else {
        None
    };
    let mut failed = Vec::new();
    for i in 1..=times {
        step(&format!(
            "Window tests on a {screen} screen, run {i} of {times}"
        ));
        if keyring.exists() {
            std::fs::remove_dir_all(&keyring)?;
        }
        let started = std::time::Instant::now();
        let status = window_tests(&bin, &keyring, &filters, &screen)?
            .status()
            .context("running the window tests")?;
        println!(
            "xtask window: run {i} of {times} {} in {:.0} s",
            if status.success() { "passed" } else { "FAILED" },
            started.elapsed().as_secs_f64()
        );
        if !status.success() {
            failed.push(i);
        }
    }
    if failed.is_empty() {
        println!("\nxtask window: {times} of {times} runs passed");
        Ok(())
    } else {
        bail!("{} of {times} runs failed: runs {failed:?}", failed.len())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_screen;

    #[test]
    fn a_screen_size_is_width_x_height() {
        assert_eq!(parse_screen("1366x768").unwrap(), "1366x768");
        for bad in ["1366", "1366x", "x768", "1366*768", "10x10", "abcxdef"] {
            let err = parse_screen(bad).unwrap_err().to_string();
            assert!(err.contains("--screen wants WIDTHxHEIGHT"), "{bad}: {err}");
        }
    }
}
