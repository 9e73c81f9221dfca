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
fn demo_exchange_data(bin: &Path) -> tempfile::TempDir {
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

/// The demo exchange of a test: its data folder seeded with the demo units and users, a
/// free loopback port kept for the whole test (a restarted server is at the same
/// address, as a real one is, so the app's stored account still points at it), and the
/// server while it runs. Dropping it stops the server, then removes the folder.
pub struct DemoExchange {
    // Before `data`: fields drop in order, and the server must stop before its folder goes.
    server: Option<Exchange>,
    bin: PathBuf,
    data: tempfile::TempDir,
    pub port: u16,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl DemoExchange {
    /// Seeded and started; its log is tests/output/LOG_NAME.
    pub fn start(log_name: &str) -> DemoExchange {
        let bin = sibling_binary("GONGWEN_EXCHANGE_BIN", "gongwen-exchange");
        let data = demo_exchange_data(&bin);
        let port = free_port();
        let mut exchange = DemoExchange {
            server: None,
            bin,
            data,
            port,
            url: format!("http://127.0.0.1:{port}"),
        };
        exchange.restart(log_name);
        exchange
    }

    /// Stops the server as an administrator would (SIGTERM) and waits for it: the
    /// exchange is unreachable until [`DemoExchange::restart`].
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }

    /// Starts the server again on the same data and port, logging to a new file.
    pub fn restart(&mut self, log_name: &str) {
        self.stop();
        self.server = Some(Exchange::start(
            &self.bin,
            self.data.path(),
            self.port,
            log_name,
        ));
    }
}

/// The `gongwen` CLI on a data folder of its own: the desk of another unit, or of
/// another person of ours, that a test drives while the app is watched. The folder goes
/// with it.
pub struct CliDesk {
    cli: PathBuf,
    data: tempfile::TempDir,
}

impl CliDesk {
    /// A desk nobody has logged in to yet (to seed its store first).
    pub fn new() -> CliDesk {
        CliDesk {
            cli: sibling_binary("GONGWEN_CLI_BIN", "gongwen"),
            data: tempfile::tempdir().expect("a CLI desk's data dir"),
        }
    }

    /// A new desk, logged in to the exchange at `url` as the demo user `user`.
    pub fn logged_in(url: &str, user: &str) -> CliDesk {
        let desk = CliDesk::new();
        desk.log_in(url, user);
        desk
    }

    pub fn path(&self) -> &Path {
        self.data.path()
    }

    pub fn log_in(&self, url: &str, user: &str) {
        cli_log_in(self.path(), url, user);
    }

    /// Runs `gongwen ARGS…` here; fails the test with its output if it fails.
    pub fn run(&self, args: &[&str]) -> String {
        gongwen(&self.cli, self.path(), args)
    }

    /// Sends the document `id` with `main` (a unit code) as its 主送.
    pub fn dispatch(&self, id: gongwen_core::DocumentId, main: &str) {
        self.run(&["dispatch", &id.to_string(), "--main", main]);
    }

    /// A document sent from a new desk, as another unit sends one: `seed` writes the draft
    /// into the desk's store (its id), then `user` logs in and sends it to `main`. Keep
    /// the desk while the document is needed.
    pub fn sent(
        url: &str,
        user: &str,
        main: &str,
        seed: impl FnOnce(&Path) -> gongwen_core::DocumentId,
    ) -> (CliDesk, gongwen_core::DocumentId) {
        let desk = CliDesk::new();
        let id = seed(desk.path());
        desk.log_in(url, user);
        desk.dispatch(id, main);
        (desk, id)
    }
}

impl CliDesk {
    /// Imports a document file's `text` here; its id (see [`cli_import`]).
    pub fn import(&self, name: &str, text: &str) -> String {
        cli_import(self.path(), name, text)
    }

    /// A 请示 ([`request_draft`] of `urgency`) drafted by 市发改委's clerk and reviewed by its director
    /// through their CLI desks (returned: keep them), now waiting at 签发; its id.
    pub fn request_at_sign_off(url: &str, urgency: &str) -> (CliDesk, CliDesk, String) {
        let clerk = CliDesk::logged_in(url, "fgw-clerk");
        let director = CliDesk::logged_in(url, "fgw-director");
        let id = clerk.import("request.toml", &request_draft(urgency));
        clerk.run(&["flow", "next", &id]);
        director.review_on_to_sign_off(&id, "核稿同意，请签发");
        (clerk, director, id)
    }

    /// 核稿 on to 签发 (`flow next --to sign_off`), with the reviewer's opinion.
    pub fn review_on_to_sign_off(&self, id: &str, opinion: &str) {
        self.run(&["flow", "next", id, "--to", "sign_off", "--opinion", opinion]);
    }

    /// 签发 (`flow next`) with the leader's opinion, the document to be made public
    /// (公开属性 主动公开).
    pub fn sign_off(&self, id: &str, opinion: &str) {
        self.run(&[
            "flow",
            "next",
            id,
            "--opinion",
            opinion,
            "--publicity",
            "active",
        ]);
    }
}

/// tests/fixtures/request-with-signer.toml (a 请示 recorded as 已签发) as a draft of
/// `urgency` (normal, urgent, immediate) that starts its 发文 flow: the provisional
/// 发文字号 it carries until 编号.
pub fn request_draft(urgency: &str) -> String {
    let fixture =
        fs::read_to_string(crate::app::package_dir().join("fixtures/request-with-signer.toml"))
            .expect("request fixture");
    fixture
        .replace(
            "status = \"signed_off\"\n",
            &format!("urgency = \"{urgency}\"\n"),
        )
        .replace("宿发改〔2026〕57号", "宿发改〔2026〕\u{3000}号")
}

impl Default for CliDesk {
    fn default() -> Self {
        CliDesk::new()
    }
}

/// Logs the `gongwen` CLI in on the data folder `data` as the demo user `user`: a CLI
/// desk's, or the app's own (the app then starts logged in, resuming that login).
pub fn cli_log_in(data: &Path, url: &str, user: &str) {
    gongwen(
        &sibling_binary("GONGWEN_CLI_BIN", "gongwen"),
        data,
        &["login", "--server", url, "--user", user],
    );
}

/// Imports a document file's `text` (`gongwen import`) into the data folder `data` (a CLI
/// desk's, or the app's own before it starts), written there as `name`; its id.
pub fn cli_import(data: &Path, name: &str, text: &str) -> String {
    let file = data.join(name);
    fs::write(&file, text).expect("write the document file");
    let out = gongwen(
        &sibling_binary("GONGWEN_CLI_BIN", "gongwen"),
        data,
        &["import", file.to_str().expect("a UTF-8 path")],
    );
    out.split_whitespace().next().expect("the id").to_string()
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
