//! The local exchange server that `cargo xtask run` starts beside the app: demo units and
//! users seeded afresh, listening on loopback, stopped when the app exits.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::util::{run, step};

/// A running `gongwen-exchange serve`; dropping it stops the server (SIGTERM, so it
/// finishes in-flight requests, then SIGKILL if it lingers).
pub struct DemoServer {
    child: Child,
    /// `http://127.0.0.1:PORT`, as the server printed it.
    pub url: String,
}

/// Seeds a fresh `data` folder with the demo units and users and prints their logins.
/// Fresh each run, like the app's demo data: documents dispatched in an earlier run would
/// otherwise come back into the new, empty windows.
pub fn seed_demo(exchange: &Path, data: &Path) -> Result<()> {
    step(&format!(
        "Seeding demo units and users into a fresh exchange data folder {}",
        data.display()
    ));
    if data.exists() {
        std::fs::remove_dir_all(data).with_context(|| format!("clearing {}", data.display()))?;
    }
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    let out = Command::new(exchange)
        .arg("admin")
        .arg("--data")
        .arg(data)
        .arg("demo")
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not start {}", exchange.display()))?;
    if !out.status.success() {
        bail!(
            "`gongwen-exchange admin --data {} demo` failed ({})",
            data.display(),
            out.status
        );
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        println!("    {line}");
    }
    Ok(())
}

impl DemoServer {
    /// Starts `gongwen-exchange serve` on a free loopback port and waits for its
    /// `listening on http://…` line.
    pub fn start(exchange: &Path, data: &Path, log: &Path) -> Result<DemoServer> {
        step("Starting the local exchange server (gongwen-exchange serve, loopback only)");
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut cmd = Command::new(exchange);
        cmd.arg("serve")
            .arg("--data")
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(
                std::fs::File::create(log)
                    .with_context(|| format!("creating {}", log.display()))?,
            );
        println!(
            "    $ {} serve --data {} --listen 127.0.0.1:0  (log: {})",
            exchange.display(),
            data.display(),
            log.display()
        );
        let mut child = cmd
            .spawn()
            .with_context(|| format!("could not start {}", exchange.display()))?;
        let Some(stdout) = child.stdout.take() else {
            bail!("no stdout from gongwen-exchange");
        };
        // Read the server's stdout on a thread: the URL arrives once, and the rest must
        // keep draining so the server never blocks on a full pipe.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.split("listening on ").nth(1) {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(url.trim().to_string());
                    }
                }
            }
        });
        let mut server = DemoServer {
            child,
            url: String::new(),
        };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => server.url = url,
            Err(_) => bail!(
                "gongwen-exchange did not say `listening on http://…` within 30 s; see {}",
                log.display()
            ),
        }
        println!("Exchange server: {}", server.url);
        Ok(server)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        println!("Stopping the exchange server.");
        let _ = run(Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string()));
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("The exchange server did not stop within 10 s of SIGTERM; killing it.");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The data folder of the demo exchange server, under the target folder.
pub fn demo_data_dir(target: &Path) -> PathBuf {
    target.join("exchange-demo")
}
