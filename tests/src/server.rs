//! A real `gongwen-exchange` on loopback with the demo units, and the `gongwen` CLI
//! acting as the users of other units.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::app::{app_binary, output_dir};

/// A binary built beside the app (`cargo xtask test` names each in the environment).
pub fn sibling_binary(env: &str, name: &str) -> PathBuf {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| app_binary().with_file_name(name));
    assert!(
        path.is_file(),
        "{} does not exist; run `cargo build -p gongwen-cli -p gongwen-exchange` (or set {env})",
        path.display()
    );
    path
}

/// A free loopback port: the server is restarted on the same address later, as a
/// real server is, so the app's stored account still points at it.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("find a free port")
        .port()
}

/// A real `gongwen-exchange serve` on loopback; dropping it stops the server.
pub struct Exchange {
    child: Child,
}

impl Exchange {
    pub fn start(bin: &Path, data: &Path, port: u16, log_name: &str) -> Exchange {
        use std::io::{BufRead, BufReader};
        let log = fs::File::create(output_dir().join(log_name)).expect("create server log");
        let mut child = Command::new(bin)
            .arg("serve")
            .arg("--data")
            .arg(data)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start gongwen-exchange serve");
        let stdout = child.stdout.take().expect("server stdout");
        let mut lines = BufReader::new(stdout).lines();
        let expected = format!("listening on http://127.0.0.1:{port}");
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains(&expected) => break,
                Some(Ok(_)) => continue,
                _ => panic!("gongwen-exchange stopped before saying {expected:?}; see tests/output/{log_name}"),
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        Exchange { child }
    }

    /// Stops the server as an administrator would (SIGTERM) and waits for it.
    pub fn stop(mut self) {
        self.terminate();
    }

    pub fn terminate(&mut self) {
        // SAFETY: signalling our own child process; no memory is touched.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

/// A data folder seeded with the demo units (sz-fgw, sz-tjj, yq-gov …) and users.
pub fn demo_exchange_data(bin: &Path) -> tempfile::TempDir {
    let data = tempfile::tempdir().expect("server data dir");
    let seeded = Command::new(bin)
        .arg("admin")
        .arg("--data")
        .arg(data.path())
        .arg("demo")
        .output()
        .expect("run gongwen-exchange admin demo");
    assert!(
        seeded.status.success(),
        "admin demo failed: {}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    data
}

/// A demo exchange on a free loopback port: its data folder (drop it after the
/// server), the running server, and its URL.
pub fn demo_exchange(log_name: &str) -> (tempfile::TempDir, Exchange, String) {
    let bin = sibling_binary("GONGWEN_EXCHANGE_BIN", "gongwen-exchange");
    let data = demo_exchange_data(&bin);
    let port = free_port();
    let server = Exchange::start(&bin, data.path(), port, log_name);
    (data, server, format!("http://127.0.0.1:{port}"))
}

/// Runs the `gongwen` CLI on its own data folder; fails the test with its output if it
/// fails.
pub fn gongwen(cli: &Path, data: &Path, args: &[&str]) -> String {
    let out = Command::new(cli)
        .arg("--data")
        .arg(data)
        .args(args)
        .env("GONGWEN_PASSWORD", DEMO_PASSWORD)
        .output()
        .expect("run gongwen");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "`gongwen {}` failed ({}):\n{stdout}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The password `gongwen-exchange admin demo` gives every demo user.
pub const DEMO_PASSWORD: &str = "gongwen-demo";
