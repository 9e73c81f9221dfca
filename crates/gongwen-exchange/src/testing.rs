//! A temporary PostgreSQL for tests and benchmarks: a fresh cluster in a temporary
//! folder, listening on a free loopback port, stopped and removed on drop.
//!
//! It uses the PostgreSQL server binaries of the machine (`/usr/lib/postgresql/<ver>/bin`,
//! version 15 preferred; `cargo xtask install` installs them). When they are missing,
//! [`TempPostgres::start`] fails and says so: a test must never pass by skipping
//! PostgreSQL.
//!
//! Compiled only with the `testing` feature, which this crate's tests and benchmarks
//! turn on (see Cargo.toml); the server does not carry it.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Debian 12's PostgreSQL, which `cargo xtask` installs; others are used only when it is
/// missing.
const PREFERRED_MAJOR: u32 = 15;
/// The OS user that runs the server when we are root (initdb refuses root).
const OS_USER: &str = "postgres";
/// Database superuser created by initdb; local trust authentication, loopback only.
const SUPERUSER: &str = "postgres";
/// The database [`TempPostgres::url`] points at.
const DATABASE: &str = "gongwen";
/// How long a fresh cluster may take to accept connections before we give up.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// A running temporary PostgreSQL cluster. Dropping it stops the server (fast
/// shutdown) and removes its folder.
pub struct TempPostgres {
    child: Child,
    /// Stops the server and removes its folder if this process dies without dropping
    /// us (a test killed with SIGKILL), so no cluster outlives its test run.
    watchdog: Option<Child>,
    port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
}

/// The watchdog: `$1` our pid, `$2` the postmaster's, `$3` the cluster's folder. Once
/// we are gone: fast shutdown, wait for it (up to 20 s), remove the folder.
const WATCHDOG: &str = r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done
kill -INT "$2" 2>/dev/null
i=0; while kill -0 "$2" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i+1)); done
rm -rf "$3""#;

impl std::fmt::Debug for TempPostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TempPostgres")
            .field("port", &self.port)
            .field("bin", &self.bin)
            .field("dir", &self.dir.path())
            .finish()
    }
}

impl TempPostgres {
    /// initdb into a new temporary folder, start `postgres` on a free loopback port
    /// with its unix socket in that folder, wait until it accepts connections and
    /// create the database `gongwen`. Blocks for about a second or two.
    pub fn start() -> Result<TempPostgres, String> {
        Self::start_with(None)
    }

    /// As [`TempPostgres::start`], with TLS on (`ssl=on`) using this certificate and
    /// private key (PEM), as a database on another host would be set up.
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> Result<TempPostgres, String> {
        Self::start_with(Some((cert_pem, key_pem)))
    }

    fn start_with(tls: Option<(&str, &str)>) -> Result<TempPostgres, String> {
        let bin = find_bin_dir()?;
        let run_as = if is_root()? { Some(OS_USER) } else { None };
        let dir = tempfile::Builder::new()
            .prefix("gongwen-pg-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary folder for PostgreSQL: {e}"))?;
        if let Some(user) = run_as {
            chown_to(dir.path(), user)?;
        }
        let data = dir.path().join("data");

        let initdb = run(command(&bin, "initdb", run_as)
            .arg("-D")
            .arg(&data)
            .args(["-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C"])
            // A throwaway cluster: nothing to gain from fsyncing its files.
            .arg("--no-sync"))?;
        check("initdb", &initdb)?;

        let mut settings: Vec<String> = Vec::new();
        if let Some((cert, key)) = tls {
            use std::os::unix::fs::PermissionsExt;
            let (cert_path, key_path) =
                (dir.path().join("server.crt"), dir.path().join("server.key"));
            for (path, pem, mode) in [(&cert_path, cert, 0o644), (&key_path, key, 0o600)] {
                std::fs::write(path, pem)
                    .and_then(|()| {
                        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                    })
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                if let Some(user) = run_as {
                    chown_to(path, user)?;
                }
            }
            settings.extend([
                "ssl=on".to_string(),
                format!("ssl_cert_file={}", cert_path.display()),
                format!("ssl_key_file={}", key_path.display()),
            ]);
        }

        // A free port can be taken by someone else between our probe and the server's
        // bind; try a few.
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let log_path = dir.path().join(format!("postgres-{port}.log"));
            let log = File::create(&log_path)
                .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
            let log_err = log
                .try_clone()
                .map_err(|e| format!("cannot share {}: {e}", log_path.display()))?;
            let mut child = command(&bin, "postgres", run_as)
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string(), "-h", "127.0.0.1", "-k"])
                .arg(dir.path())
                // Speed over durability, acceptable only because this cluster is
                // thrown away after the run: no fsync, no waiting for WAL flush.
                // Ordering and visibility (what the tests check) are unaffected.
                .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
                .args(["-c", "full_page_writes=off", "-c", "max_connections=300"])
                .args(settings.iter().flat_map(|setting| ["-c", setting]))
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log_err)
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", bin.join("postgres").display()))?;
            match wait_ready(&mut child, &bin, port, &log_path) {
                Ok(()) => {
                    // Best effort: without `sh` the cluster is still stopped on drop.
                    let watchdog = Command::new("sh")
                        .args(["-c", WATCHDOG, "gongwen-pg-watchdog"])
                        .arg(std::process::id().to_string())
                        .arg(child.id().to_string())
                        .arg(dir.path())
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                        .ok();
                    let pg = TempPostgres {
                        child,
                        watchdog,
                        port,
                        bin,
                        dir,
                    };
                    // On failure `pg` drops here and stops the server.
                    pg.create_database(DATABASE)?;
                    return Ok(pg);
                }
                Err(e) => {
                    stop(&mut child);
                    if !e.contains("could not bind") {
                        return Err(e);
                    }
                    last_error = e;
                }
            }
        }
        Err(last_error)
    }

    /// `postgres://postgres@127.0.0.1:<port>/gongwen`.
    pub fn url(&self) -> String {
        self.url_of(DATABASE)
    }

    /// The cluster's temporary folder (removed on drop).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates another, empty database (`name`: lower-case letters, digits and `_`)
    /// and returns its URL; tests that run in parallel each take their own.
    pub fn create_database(&self, name: &str) -> Result<String, String> {
        let valid = !name.is_empty()
            && name.len() < 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(format!(
                "database name `{name}`: use lower-case letters, digits and `_` only"
            ));
        }
        let out = run(Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", SUPERUSER, name]))?;
        check("createdb", &out)?;
        Ok(self.url_of(name))
    }

    fn url_of(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        stop(&mut self.child);
        // `dir` drops after this and removes the cluster.
    }
}

/// `/usr/lib/postgresql/<ver>/bin`: 15 if present, else the newest. `GONGWEN_PG_BIN`
/// names another folder.
fn wait_ready(child: &mut Child, bin: &Path, port: u16, log_path: &Path) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "postgres exited during start-up ({status}): {}",
                tail(log_path)
            ));
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            let ready = run(Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string()])
                .args(["-U", SUPERUSER, "-d", "postgres"]))?;
            if ready.status.success() {
                return Ok(());
            }
        }
        if started.elapsed() > READY_WITHIN {
            return Err(format!(
                "postgres did not accept connections within {READY_WITHIN:?}: {}",
                tail(log_path)
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Fast shutdown (SIGINT: abort open transactions, checkpoint, exit), then wait; kill
/// if it hangs.
fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn find_bin_dir() -> Result<PathBuf, String> {
    let missing = |why: String| {
        format!(
            "PostgreSQL server binaries not found ({why}); `cargo xtask install` installs \
             postgresql (or set GONGWEN_PG_BIN to a folder holding initdb and postgres)"
        )
    };
    if let Some(dir) = std::env::var_os("GONGWEN_PG_BIN") {
        let dir = PathBuf::from(dir);
        return if dir.join("initdb").is_file() && dir.join("postgres").is_file() {
            Ok(dir)
        } else {
            Err(missing(format!(
                "GONGWEN_PG_BIN={} has no initdb and postgres",
                dir.display()
            )))
        };
    }
    let root = Path::new("/usr/lib/postgresql");
    let entries = std::fs::read_dir(root)
        .map_err(|e| missing(format!("cannot read {}: {e}", root.display())))?;
    let mut versions: Vec<(u32, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let major: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("postgres").is_file()).then_some((major, bin))
        })
        .collect();
    versions.sort_by_key(|(major, _)| (*major == PREFERRED_MAJOR, *major));
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| {
        missing(format!(
            "no <version>/bin with initdb in {}",
            root.display()
        ))
    })
}

/// Whether this process runs as root (the owner of `/proc/self` is our effective uid).
fn is_root() -> Result<bool, String> {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .map_err(|e| format!("cannot tell our user id from /proc/self: {e}"))
}

/// A command from the PostgreSQL bin folder, run as `user` when given. `setpriv`
/// execs the program in place, so the child we hold is postgres itself and our
/// signals reach it.
fn command(bin: &Path, program: &str, user: Option<&str>) -> Command {
    match user {
        Some(user) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={user}"))
                .arg(format!("--regid={user}"))
                .arg("--init-groups")
                .arg("--")
                .arg(bin.join(program));
            c
        }
        None => Command::new(bin.join(program)),
    }
}

fn chown_to(path: &Path, user: &str) -> Result<(), String> {
    let out = run(Command::new("chown").arg(format!("{user}:")).arg(path))?;
    check("chown", &out).map_err(|e| {
        format!("{e} (running as root, the cluster must belong to the `{user}` OS user)")
    })
}

fn run(cmd: &mut Command) -> Result<Output, String> {
    cmd.stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))
}

fn check(what: &str, out: &Output) -> Result<(), String> {
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free loopback port: {e}"))
}

/// The end of the server's log, for an error message.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
