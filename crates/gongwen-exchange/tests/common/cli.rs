//! The real `gongwen` binary for the exchange's tests that drive users through the
//! command line (`faults.rs`, `flow_cli.rs`). Kept apart from `mod.rs`, which other
//! crates' tests include.
#![allow(dead_code)] // each test file uses a different part

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::{self, DEMO_PASSWORD};

/// The `gongwen` binary, built if needed (it lives in another crate of the workspace,
/// so Cargo does not build it for these tests by itself).
pub fn gongwen_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("GONGWEN_BIN") {
        return PathBuf::from(p);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "-p", "gongwen-cli", "--bin", "gongwen"]);
    // The variables Cargo sets for this test (CARGO_PKG_*, CARGO_MANIFEST_DIR …) would
    // look like changed build-script inputs and rebuild half the workspace.
    const SET_FOR_TESTS: [&str; 7] = [
        "CARGO_PKG_",
        "CARGO_MANIFEST_",
        "CARGO_CRATE_",
        "CARGO_BIN_",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
    ];
    for (k, _) in std::env::vars() {
        if SET_FOR_TESTS.iter().any(|p| k.starts_with(p)) {
            build.env_remove(k);
        }
    }
    let status = build.status().expect("run cargo build -p gongwen-cli");
    assert!(status.success(), "cargo build -p gongwen-cli failed");
    let bin = common::binary()
        .parent()
        .expect("target folder")
        .join(format!("gongwen{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.is_file(), "{} missing", bin.display());
    bin
}

/// The CLI on a store folder, with no keyring (a D-Bus address that leads nowhere),
/// so it logs in with GONGWEN_PASSWORD on each run and stores no secret.
pub fn gongwen(bin: &Path, data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("--data")
        .arg(data)
        .args(args)
        .env_remove("GONGWEN_DATA_DIR")
        .env("GONGWEN_PASSWORD", DEMO_PASSWORD)
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/gongwen-test-bus",
        )
        .env_remove("DISPLAY")
        .stdin(Stdio::null());
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run gongwen");
    assert!(
        out.status.success(),
        "gongwen failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
