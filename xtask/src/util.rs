//! Small process helpers shared by the xtask commands.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The workspace root (xtask lives one level below it). `cargo run` tells the running
/// xtask where its manifest is; that is preferred to the path compiled in, because with
/// one target folder shared by two checkouts cargo may run the binary last built from
/// the other one.
pub fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where cargo puts build output: `CARGO_TARGET_DIR` if set (CI keeps one outside the
/// clone), else `target/` in the workspace.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// The cargo that runs this xtask, in the workspace root.
pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root());
    c
}

pub fn step(what: &str) {
    println!("\n==> {what}");
}

/// Runs a command, echoing it first; fails with the command line if it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let line = format!(
        "{} {}",
        cmd.get_program().to_string_lossy(),
        cmd.get_args()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("    $ {line}");
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{line}`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

/// Whether a program is on PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// PATH with ~/.cargo/bin appended, where `cargo install` puts tauri-driver.
pub fn path_with_cargo_bin() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    match std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
    {
        Some(home) => format!("{path}:{}", home.join("bin").display()),
        None => path,
    }
}

/// The password of the throw-away login keyring that `in_keyring_session` unlocks.
const TEST_KEYRING_PASSWORD: &str = "gongwen-test";

/// Wraps `cmd` so it runs in a private D-Bus session (`dbus-run-session`) with a GNOME
/// keyring started and unlocked in it: the app and gongwen-sync keep login tokens in the
/// OS keyring (Secret Service), and their tests need one that answers without a prompt.
///
/// The keyring files live in `keyring_dir`, never in the developer's own
/// `~/.local/share/keyrings`, so a real login keyring with another password is neither
/// touched nor needed. The program, arguments, environment and working folder of `cmd`
/// carry over.
pub fn in_keyring_session(cmd: &Command, keyring_dir: &Path) -> Result<Command> {
    std::fs::create_dir_all(keyring_dir)
        .with_context(|| format!("creating {}", keyring_dir.display()))?;
    // `--unlock` reads the password from stdin and creates the login keyring with it on
    // first use; the daemon then stays for the session and ends with the bus.
    let script = "echo \"$GONGWEN_KEYRING_PASSWORD\" \
        | XDG_DATA_HOME=\"$GONGWEN_KEYRING_HOME\" gnome-keyring-daemon --unlock --components=secrets >/dev/null \
        || { echo 'gnome-keyring-daemon could not start (apt-get install gnome-keyring)' >&2; exit 1; }; \
        exec \"$@\"";
    let mut c = Command::new("dbus-run-session");
    c.args(["--", "sh", "-c", script, "keyring-session"]);
    c.arg(cmd.get_program());
    c.args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        c.current_dir(dir);
    }
    c.env("GONGWEN_KEYRING_PASSWORD", TEST_KEYRING_PASSWORD)
        .env("GONGWEN_KEYRING_HOME", keyring_dir);
    Ok(c)
}

/// A helper process (e.g. a CPU load) that ends with the step that started it.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
