//! The two windows of `cargo xtask run`: 公文桌 as the clerk of 宿州市发展和改革委员会
//! (with the demo documents) and as the clerk of 宿州市统计局 (empty), both logged in to
//! the local exchange, so one unit can 分发 a document and watch the other 签收 it.
//!
//! The logins go through `gongwen login`, which keeps each token in the OS keyring the
//! way the app does; the app then resumes the stored login at start. Where no keyring
//! answers, each window asks for the password instead.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::util::{run, step};

/// Every demo user's password (`gongwen-exchange admin demo`); development data only.
const DEMO_PASSWORD: &str = "gongwen-demo";

/// One window: whose data folder, logged in as whom.
pub struct Desk {
    pub data: PathBuf,
    pub username: &'static str,
    pub unit: &'static str,
    pub unit_name: &'static str,
}

pub struct Demo {
    pub app: PathBuf,
    pub cli: PathBuf,
    pub server: String,
    /// The sender first, then the recipient.
    pub desks: [Desk; 2],
}

/// The environment that carries a [`Demo`] into the headless re-run of xtask (which
/// runs inside its own D-Bus session and Xvfb).
const ENV: [&str; 6] = [
    "GONGWEN_DEMO_APP",
    "GONGWEN_DEMO_CLI",
    "GONGWEN_DEMO_SERVER",
    "GONGWEN_DEMO_SENDER",
    "GONGWEN_DEMO_RECIPIENT",
    "GONGWEN_DEMO_SHOT",
];

impl Demo {
    pub fn new(
        app: PathBuf,
        cli: PathBuf,
        server: String,
        sender: PathBuf,
        recipient: PathBuf,
    ) -> Demo {
        Demo {
            app,
            cli,
            server,
            desks: [
                Desk {
                    data: sender,
                    username: "fgw-clerk",
                    unit: "sz-fgw",
                    unit_name: "宿州市发展和改革委员会",
                },
                Desk {
                    data: recipient,
                    username: "tjj-clerk",
                    unit: "sz-tjj",
                    unit_name: "宿州市统计局",
                },
            ],
        }
    }

    /// The variables for [`Demo::from_env`], in [`ENV`]'s order.
    pub fn to_env(&self, shot: &Path) -> Vec<(&'static str, String)> {
        let values = [
            self.app.display().to_string(),
            self.cli.display().to_string(),
            self.server.clone(),
            self.desks[0].data.display().to_string(),
            self.desks[1].data.display().to_string(),
            shot.display().to_string(),
        ];
        ENV.into_iter().zip(values).collect()
    }

    /// The demo and the screenshot path handed over by [`Demo::to_env`].
    pub fn from_env() -> Result<(Demo, PathBuf)> {
        let var = |name: &str| {
            std::env::var(name)
                .with_context(|| format!("{name} is not set (internal xtask command)"))
        };
        let demo = Demo::new(
            var(ENV[0])?.into(),
            var(ENV[1])?.into(),
            var(ENV[2])?,
            var(ENV[3])?.into(),
            var(ENV[4])?.into(),
        );
        Ok((demo, var(ENV[5])?.into()))
    }

    fn cli(&self, desk: &Desk) -> Command {
        let mut c = Command::new(&self.cli);
        c.arg("--data").arg(&desk.data);
        c
    }

    /// Logs every desk in; false when a token could not be kept (no keyring).
    fn log_in(&self) -> bool {
        let mut all = true;
        for desk in &self.desks {
            step(&format!(
                "Logging in {} ({}) for its window",
                desk.username, desk.unit_name
            ));
            let mut c = self.cli(desk);
            c.args(["login", "--server", &self.server, "--user", desk.username])
                .env("GONGWEN_PASSWORD", DEMO_PASSWORD)
                .stdin(Stdio::null());
            if let Err(e) = run(&mut c) {
                eprintln!(
                    "    Could not keep the login ({e:#}).\n    The window will ask: user {}, password {DEMO_PASSWORD}.",
                    desk.username
                );
                all = false;
            }
        }
        all
    }

    /// Dispatches the sender's first unclassified draft to the recipient (主送), so the
    /// headless screenshot shows a document on its way.
    fn dispatch_one(&self) -> Result<()> {
        let [sender, recipient] = &self.desks;
        let out = self
            .cli(sender)
            .args(["list", "--json", "--status", "draft", "--limit", "50"])
            .output()
            .context("running gongwen list")?;
        if !out.status.success() {
            bail!(
                "`gongwen list` failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let list: serde_json::Value =
            serde_json::from_slice(&out.stdout).context("reading `gongwen list --json`")?;
        let Some(id) = list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["classification"] == "unclassified")
            .and_then(|d| d["id"].as_str())
        else {
            bail!("the demo data has no unclassified draft to dispatch");
        };
        step(&format!(
            "Dispatching one draft to {} (主送)",
            recipient.unit_name
        ));
        run(self
            .cli(sender)
            .args(["dispatch", id, "--main", recipient.unit]))
    }

    fn open(&self, desk: &Desk) -> Result<Child> {
        Command::new(&self.app)
            .env("GONGWEN_DATA_DIR", &desk.data)
            .env("GONGWEN_SERVER", &self.server)
            .spawn()
            .with_context(|| format!("could not start {}", self.app.display()))
    }

    /// Opens both windows side by side and waits until both are closed.
    pub fn show(&self) -> Result<()> {
        self.log_in();
        step("Opening two 公文桌 windows (close both to finish; the exchange server stops with them)");
        let [sender, recipient] = &self.desks;
        println!(
            "    Left:  {} — open a document, 分发, choose {} 主送.\n    Right: {} — 收文箱, 签收; the left window then shows 已签收.",
            sender.unit_name, recipient.unit_name, recipient.unit_name
        );
        let mut children = vec![self.open(sender)?, self.open(recipient)?];
        place_side_by_side(&children);
        for child in &mut children {
            child.wait()?;
        }
        Ok(())
    }

    /// Inside Xvfb: logs in, dispatches one document, opens both windows, and saves a
    /// screenshot of the screen once the recipient has had time to receive it.
    pub fn screenshot(&self, shot: &Path) -> Result<()> {
        if !self.log_in() {
            bail!("the demo logins could not be kept in the throw-away keyring");
        }
        self.dispatch_one()?;
        let mut children = vec![self.open(&self.desks[0])?, self.open(&self.desks[1])?];
        place_side_by_side(&children);
        std::thread::sleep(Duration::from_secs(8));
        let shot_result = run(Command::new("import").args(["-window", "root"]).arg(shot));
        for child in &mut children {
            let _ = run(Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string()));
            let _ = child.wait();
        }
        shot_result
    }
}

/// Moves the second window to the right of the first (X11 only, best effort: under
/// Wayland or without xdotool the window manager places them).
fn place_side_by_side(children: &[Child]) {
    let Some(second) = children.get(1) else {
        return;
    };
    // `timeout`: `--sync` would wait for ever for a window that never maps.
    let moved = Command::new("timeout")
        .args([
            "20",
            "xdotool",
            "search",
            "--sync",
            "--all",
            "--onlyvisible",
            "--pid",
        ])
        .arg(second.id().to_string())
        // The app's main window (its process also owns helper windows).
        .args(["--name", "^公文桌$", "windowmove", "%@", "1280", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !moved.is_ok_and(|s| s.success()) {
        println!("    (could not place the windows side by side; move one aside to see both)");
    }
}
