//! Installs what the project needs on a Debian 12 machine, idempotently: system packages
//! (apt), the UI's npm packages, and tauri-driver. Each missing piece is named before it
//! is installed; nothing is installed twice.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::util::{cargo, have, path_with_cargo_bin, root, run, step};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Run,
    Test,
    Bench,
}

/// Packages to build and run the app (Tauri 2 on WebKitGTK 4.1) and show Chinese text.
const BUILD: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libsoup-3.0-dev",
    // Fonts for the UI and for GB/T 9704 typesetting (see assets/fonts.toml).
    // No open 仿宋 covers simplified Chinese; Noto Serif stands in (assets/fonts.toml).
    "fonts-noto-cjk",
    "fonts-lxgw-wenkai",
    "fonts-arphic-ukai",
    "fonts-arphic-gkai00mp",
    // A private X server and D-Bus session, also used by `run --headless`.
    "xvfb",
    "dbus-daemon", // dbus-run-session
    "dbus-x11",
    // The OS keyring (Secret Service over D-Bus) where the app keeps its exchange login
    // token; `run --headless` and `test` start one, unlocked, inside their D-Bus session.
    "gnome-keyring",
    "imagemagick",
    // Places `run`'s two windows side by side.
    "xdotool",
];

/// Extra packages for the test suite: WebDriver for the real window, PDF inspection, and
/// PostgreSQL 15 (Debian 12's `postgresql`), whose binaries the exchange server's tests
/// run in a temporary folder on a loopback port: the system service is not used.
const TEST: &[&str] = &[
    "webkit2gtk-driver",
    "poppler-utils",
    // The window tests paste file paths into GTK file dialogs through the clipboard.
    "xclip",
    "ripgrep",
    "postgresql",
    // `cargo xtask window --load`: the window tests beside a CPU load, as on a busy CI box.
    "stress-ng",
];

/// Extra packages for benchmarks: ripgrep and LibreOffice as the comparison baselines.
const BENCH: &[&str] = &["libreoffice-writer-nogui"];

pub fn all(purpose: Purpose) -> Result<()> {
    let mut wanted: Vec<&str> = BUILD.to_vec();
    if purpose != Purpose::Run {
        wanted.extend(TEST);
    }
    if purpose == Purpose::Bench {
        wanted.extend(BENCH);
    }
    if !have("node") || !have("npm") {
        wanted.extend(["nodejs", "npm"]);
    }
    apt(&wanted)?;
    npm()?;
    if purpose != Purpose::Run {
        tauri_driver()?;
    }
    Ok(())
}

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${db:Status-Abbrev}", pkg])
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).starts_with("ii"))
        .unwrap_or(false)
}

fn apt(wanted: &[&str]) -> Result<()> {
    let missing: Vec<&str> = wanted.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        println!("System packages: all {} present.", wanted.len());
        return Ok(());
    }
    step(&format!(
        "Installing missing system packages with apt: {}",
        missing.join(" ")
    ));
    if !have("apt-get") {
        bail!(
            "apt-get not found: this setup targets Debian 12; install by hand: {}",
            missing.join(" ")
        );
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let sudo = |args: &[&str]| {
        let mut c = if is_root {
            Command::new(args[0])
        } else {
            let mut c = Command::new("sudo");
            c.arg(args[0]);
            c
        };
        c.args(&args[1..]).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    if !is_root && !have("sudo") {
        bail!(
            "not root and no sudo: as root, run `apt-get install -y {}`",
            missing.join(" ")
        );
    }
    run(&mut sudo(&["apt-get", "update", "-qq"]))?;
    let mut args = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    run(&mut sudo(&args))
}

/// `npm ci` when node_modules is missing or older than the lock file.
fn npm() -> Result<()> {
    let ui = root().join("ui");
    let lock = ui.join("package-lock.json");
    if !lock.exists() {
        bail!("ui/package-lock.json is missing");
    }
    let stamp = ui.join("node_modules/.package-lock.json");
    let fresh = match (stamp.metadata(), lock.metadata()) {
        (Ok(s), Ok(l)) => s.modified()? >= l.modified()?,
        _ => false,
    };
    if fresh {
        println!("npm packages: up to date.");
        return Ok(());
    }
    step("Installing the UI's npm packages (npm ci)");
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&ui))
}

fn cargo_bin(name: &str) -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let p = home.join("bin").join(name);
    p.exists().then_some(p)
}

/// tauri-driver bridges WebDriver clients to WebKitWebDriver for the window tests.
fn tauri_driver() -> Result<()> {
    if have("tauri-driver") || cargo_bin("tauri-driver").is_some() {
        println!("tauri-driver: present.");
        return Ok(());
    }
    step("Installing tauri-driver (cargo install --locked tauri-driver)");
    run(cargo()
        .args(["install", "--locked", "tauri-driver"])
        .env("PATH", path_with_cargo_bin()))
    .context("installing tauri-driver")
}
