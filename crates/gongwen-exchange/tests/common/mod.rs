//! A real `gongwen-exchange` server process for tests: a temporary data folder with
//! the demo units and users (`admin demo`), `serve` on 127.0.0.1 with a free port,
//! the URL read from the line the server prints. Killed when dropped.
//!
//! Reuse from another crate's tests (e.g. gongwen-sync) with
//! `#[path = "../../gongwen-exchange/tests/common/mod.rs"] mod exchange_server;`
//! There `CARGO_BIN_EXE_gongwen-exchange` does not exist, so the binary is found via
//! `GONGWEN_EXCHANGE_BIN`, else next to the test executable's target folder
//! (`target/debug/gongwen-exchange`): run `cargo build -p gongwen-exchange` first.
#![allow(dead_code)] // each test file uses a different part

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::time::Duration;

/// Every demo user's password (`admin demo`).
pub const DEMO_PASSWORD: &str = "gongwen-demo";

/// Demo users: (username, unit, role, clearance).
pub const DEMO_USERS: &[(&str, &str, &str, &str)] = &[
    ("fgw-clerk", "sz-fgw", "clerk", "secret"),
    ("fgw-leader", "sz-fgw", "leader", "top_secret"),
    ("tjj-clerk", "sz-tjj", "clerk", "confidential"),
    ("yq-clerk", "yq-gov", "clerk", "unclassified"),
    ("szgov-clerk", "sz-gov", "clerk", "secret"),
    ("daj-clerk", "sz-daj", "clerk", "unclassified"),
    ("daj-archivist", "sz-daj", "archivist", "secret"),
    ("admin", "sz-gov", "admin", "unclassified"),
];

/// The server binary.
pub fn binary() -> PathBuf {
    if let Some(p) = option_env!("CARGO_BIN_EXE_gongwen-exchange") {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("GONGWEN_EXCHANGE_BIN") {
        return PathBuf::from(p);
    }
    // target/debug/deps/<test> → target/debug/gongwen-exchange
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable is in target/<profile>/deps");
    dir.join(format!("gongwen-exchange{}", std::env::consts::EXE_SUFFIX))
}

pub struct TestServer {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
    pub port: u16,
    data: tempfile::TempDir,
    env: Vec<(String, String)>,
    /// `--database` for PostgreSQL; None: SQLite in the data folder.
    database: Option<String>,
    child: Option<Child>,
    /// Kept open so the server never writes to a closed pipe.
    _stdout: Option<BufReader<ChildStdout>>,
}

impl TestServer {
    /// A server with the demo data and default settings.
    pub fn start() -> TestServer {
        Self::start_with_env(&[])
    }

    /// A server with the demo data and extra environment, e.g.
    /// `[("GONGWEN_EXCHANGE_TOKEN_TTL_SECS", "2")]`.
    pub fn start_with_env(env: &[(&str, &str)]) -> TestServer {
        Self::start_full(None, env)
    }

    /// A server on PostgreSQL (`postgres://…`, e.g. from
    /// `gongwen_exchange::testing::TempPostgres`), blobs in a temporary folder.
    pub fn start_on_postgres(url: &str, env: &[(&str, &str)]) -> TestServer {
        Self::start_full(Some(url.to_string()), env)
    }

    fn start_full(database: Option<String>, env: &[(&str, &str)]) -> TestServer {
        let data = tempfile::tempdir().expect("temp data folder");
        let mut server = TestServer {
            url: String::new(),
            port: 0,
            data,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            database,
            child: None,
            _stdout: None,
        };
        let out = server.admin(&["demo"]);
        assert!(
            out.status.success(),
            "admin demo failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        server.spawn(0);
        server
    }

    /// The data folder (`exchange.db`, `blobs/`).
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    pub fn db_path(&self) -> PathBuf {
        self.data.path().join("exchange.db")
    }

    /// The server process id (None while stopped).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// The server's log (stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("server.log")).unwrap_or_default()
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(binary());
        // Settings come only from what the test gives, not the developer's shell.
        for (k, _) in std::env::vars() {
            if k.starts_with("GONGWEN_EXCHANGE_") {
                cmd.env_remove(k);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// `--data DIR` and, on PostgreSQL, `--database URL`.
    fn store_args(&self) -> Vec<std::ffi::OsString> {
        let mut args = vec!["--data".into(), self.data.path().as_os_str().to_owned()];
        if let Some(url) = &self.database {
            args.push("--database".into());
            args.push(url.into());
        }
        args
    }

    fn spawn(&mut self, port: u16) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data.path().join("server.log"))
            .expect("server log file");
        let mut child = self
            .command()
            .arg("serve")
            .args(self.store_args())
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start gongwen-exchange serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        // Blocks until the server prints its address or exits (EOF).
        stdout.read_line(&mut line).expect("read server stdout");
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "server did not start (printed {line:?}); log:\n{}",
                self.log()
            );
        };
        self.url = url.to_string();
        self.port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in the listening line");
        self.child = Some(child);
        self._stdout = Some(stdout);
    }

    /// Runs `gongwen-exchange admin --data DIR [--database URL] ARGS…` on this
    /// server's storage.
    pub fn admin(&self, args: &[&str]) -> Output {
        self.admin_with_stdin(args, None)
    }

    pub fn admin_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = self
            .command()
            .arg("admin")
            .args(self.store_args())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start gongwen-exchange admin");
        if let Some(text) = stdin {
            if let Some(mut input) = child.stdin.take() {
                input.write_all(text.as_bytes()).expect("write admin stdin");
            }
        }
        drop(child.stdin.take());
        child.wait_with_output().expect("admin output")
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self._stdout = None;
    }

    /// SIGTERM, then waits for the process to exit (graceful shutdown).
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        self.send_sigterm();
        self.wait_exit()
    }

    /// Sends SIGTERM and returns at once (the server finishes requests in flight).
    pub fn send_sigterm(&self) {
        if let Some(child) = &self.child {
            let sent = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(sent, "could not send SIGTERM to the server");
        }
    }

    /// Waits for the server process to exit; one that does not within a generous
    /// bound is killed (and its status is then that of the kill).
    pub fn wait_exit(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        for _ in 0..1200 {
            if let Ok(Some(status)) = child.try_wait() {
                self._stdout = None;
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let status = child.wait().ok();
        self._stdout = None;
        status
    }

    /// Starts the server again on the same data and the same port (after
    /// [`Self::kill`] or [`Self::terminate`]).
    pub fn restart(&mut self) {
        self.kill();
        let port = self.port;
        self.spawn(port);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}
