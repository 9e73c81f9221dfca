//! The two windows of `cargo xtask run`: 公文桌 as the clerk of 宿州市发展和改革委员会 and as
//! the clerk of 宿州市统计局, both logged in to the local exchange, so one unit can 分发 a
//! document and watch the other 签收 it. Each unit's desk holds its own 发文 and, in
//! 收文箱, what the other demo units (宿州市人民政府办公室 too, without a window) sent it
//! through the exchange, as `assets/demo-desks.toml` says.
//!
//! The logins go through `gongwen login`, which keeps each token in the OS keyring the
//! way the app does; the app then resumes the stored login at start. Where no keyring
//! answers, each window asks for the password instead.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::util::{root, run, step};

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
    /// The two windows: the sender first, then the recipient.
    pub desks: [Desk; 2],
    /// 宿州市人民政府办公室, which sends documents to both but has no window.
    pub office: Desk,
}

/// `assets/demo-desks.toml`.
#[derive(Deserialize)]
struct Plan {
    desk: Vec<PlannedDesk>,
}

#[derive(Deserialize)]
struct PlannedDesk {
    unit: String,
    keep: Vec<String>,
    send: Vec<Sending>,
}

#[derive(Deserialize)]
struct Sending {
    file: String,
    main: Vec<String>,
    #[serde(default)]
    cc: Vec<String>,
}

/// The environment that carries a [`Demo`] into the headless re-run of xtask (which
/// runs inside its own D-Bus session and Xvfb).
const ENV: [&str; 7] = [
    "GONGWEN_DEMO_APP",
    "GONGWEN_DEMO_CLI",
    "GONGWEN_DEMO_SERVER",
    "GONGWEN_DEMO_SENDER",
    "GONGWEN_DEMO_RECIPIENT",
    "GONGWEN_DEMO_OFFICE",
    "GONGWEN_DEMO_SHOT",
];

impl Demo {
    pub fn new(
        app: PathBuf,
        cli: PathBuf,
        server: String,
        sender: PathBuf,
        recipient: PathBuf,
        office: PathBuf,
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
            office: Desk {
                data: office,
                username: "szgov-clerk",
                unit: "sz-gov",
                unit_name: "宿州市人民政府办公室",
            },
        }
    }

    fn all_desks(&self) -> impl Iterator<Item = &Desk> {
        self.desks.iter().chain(std::iter::once(&self.office))
    }

    /// The variables for [`Demo::from_env`], in [`ENV`]'s order.
    pub fn to_env(&self, shot: &Path) -> Vec<(&'static str, String)> {
        let values = [
            self.app.display().to_string(),
            self.cli.display().to_string(),
            self.server.clone(),
            self.desks[0].data.display().to_string(),
            self.desks[1].data.display().to_string(),
            self.office.data.display().to_string(),
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
            var(ENV[5])?.into(),
        );
        Ok((demo, var(ENV[6])?.into()))
    }

    fn cli(&self, desk: &Desk) -> Command {
        let mut c = Command::new(&self.cli);
        c.arg("--data").arg(&desk.data);
        c
    }

    /// Logs every desk in; false when a token could not be kept (no keyring).
    fn log_in(&self) -> bool {
        let mut all = true;
        for desk in self.all_desks() {
            step(&format!(
                "Logging in {} ({})",
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

    /// Puts each unit's own documents on its desk and sends what `assets/demo-desks.toml`
    /// says through the exchange, then lets every desk receive. Without logins (no
    /// keyring) nothing can be sent: those documents stay drafts, and this says so.
    fn seed(&self, logged_in: bool) -> Result<()> {
        let path = root().join("assets/demo-desks.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let plan: Plan =
            toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        let demo_dir = root().join("assets/demo");
        for planned in &plan.desk {
            let Some(desk) = self.all_desks().find(|d| d.unit == planned.unit) else {
                bail!("{}: unit {} has no demo desk", path.display(), planned.unit);
            };
            step(&format!(
                "Putting {}'s own documents on its desk",
                desk.unit_name
            ));
            if !planned.keep.is_empty() {
                let mut c = self.cli(desk);
                c.arg("import");
                for file in &planned.keep {
                    c.arg(demo_dir.join(file));
                }
                run(&mut c)?;
            }
            for sending in &planned.send {
                let id = self.import_as_draft(desk, &demo_dir.join(&sending.file))?;
                if !logged_in {
                    println!("    (not logged in: {} stays a draft)", sending.file);
                    continue;
                }
                let mut c = self.cli(desk);
                c.args(["dispatch", &id, "--main", &sending.main.join(",")]);
                if !sending.cc.is_empty() {
                    c.args(["--cc", &sending.cc.join(",")]);
                }
                run(&mut c)?;
            }
        }
        if logged_in {
            for desk in self.all_desks() {
                step(&format!("{} receives what was sent to it", desk.unit_name));
                run(self.cli(desk).arg("sync"))?;
            }
        }
        Ok(())
    }

    /// Imports `file` as a draft (whatever status it says), so it can be sent for real;
    /// returns its id.
    fn import_as_draft(&self, desk: &Desk, file: &Path) -> Result<String> {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let mut table: toml::Table =
            toml::from_str(&text).with_context(|| format!("reading {}", file.display()))?;
        table.insert("status".into(), "draft".into());
        let name = file.file_name().context("a demo file has a name")?;
        let copy = desk.data.join(name);
        std::fs::write(&copy, toml::to_string(&table)?)
            .with_context(|| format!("writing {}", copy.display()))?;
        let out = self
            .cli(desk)
            .arg("import")
            .arg(&copy)
            .output()
            .context("running gongwen import")?;
        let _ = std::fs::remove_file(&copy);
        if !out.status.success() {
            bail!(
                "importing {} failed: {}",
                file.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // `import` prints "ID  PATH" per imported file.
        let stdout = String::from_utf8_lossy(&out.stdout);
        stdout
            .split_whitespace()
            .next()
            .map(str::to_string)
            .with_context(|| format!("gongwen import printed no id for {}", file.display()))
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
        let logged_in = self.log_in();
        self.seed(logged_in)?;
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

    /// Inside Xvfb: logs in, seeds the desks, opens both windows, and saves a
    /// screenshot of the screen once the recipient has had time to receive it.
    pub fn screenshot(&self, shot: &Path) -> Result<()> {
        if !self.log_in() {
            bail!("the demo logins could not be kept in the throw-away keyring");
        }
        self.seed(true)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A desk's own documents are its unit's: the 署名 names the unit (the city
    /// government's office also signs for 宿州市人民政府, whose documents it drafts).
    #[test]
    fn every_demo_desk_holds_only_its_own_units_documents() {
        let plan: Plan = toml::from_str(
            &std::fs::read_to_string(root().join("assets/demo-desks.toml")).expect("the plan"),
        )
        .expect("the plan parses");
        let signs_for = |unit: &str| -> &[&str] {
            match unit {
                "sz-fgw" => &["宿州市发展和改革委员会"],
                "sz-tjj" => &["宿州市统计局"],
                "sz-gov" => &["宿州市人民政府办公室", "宿州市人民政府"],
                other => panic!("unit {other} is not a demo desk"),
            }
        };
        let mut seen = std::collections::HashSet::new();
        for desk in &plan.desk {
            let files = desk.keep.iter().chain(desk.send.iter().map(|s| &s.file));
            for file in files {
                assert!(seen.insert(file.clone()), "{file} is on two desks");
                let text = std::fs::read_to_string(root().join("assets/demo").join(file))
                    .unwrap_or_else(|e| panic!("{file}: {e}"));
                let table: toml::Table = toml::from_str(&text).expect("a document file");
                let signature: Vec<&str> = table["issuer_signature"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str())
                    .collect();
                assert!(
                    signature.iter().any(|s| signs_for(&desk.unit).contains(s)),
                    "{file} ({signature:?}) is not {}'s",
                    desk.unit
                );
            }
        }
    }
}
