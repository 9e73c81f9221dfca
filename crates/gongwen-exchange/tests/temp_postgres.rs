//! The test harness's temporary PostgreSQL does not outlive a test process killed with
//! SIGKILL (no destructor runs then): its watchdog stops the server and removes its
//! folder.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gongwen_exchange::testing::TempPostgres;

const CHILD_ENV: &str = "GONGWEN_TEMP_PG_CHILD";

/// Run by the test below in a process of its own (hence ignored in a normal run):
/// starts a cluster, writes where it is to the file named by `GONGWEN_TEMP_PG_CHILD` (the
/// test harness may capture stdout), and waits to be killed.
#[test]
#[ignore = "a child process of a_killed_test_process_leaves_no_cluster_running"]
fn child_holding_a_cluster() {
    let report = std::env::var_os(CHILD_ENV)
        .unwrap_or_else(|| panic!("{CHILD_ENV} names the report file; run the test below"));
    let pg = TempPostgres::start().expect("start PostgreSQL");
    let partial = PathBuf::from(&report).with_extension("partial");
    std::fs::write(&partial, format!("{} {}", pg.port(), pg.dir().display()))
        .expect("write the report");
    std::fs::rename(&partial, &report).expect("publish the report");
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn a_killed_test_process_leaves_no_cluster_running() {
    let scratch = tempfile::tempdir().expect("scratch folder");
    let report = scratch.path().join("cluster.txt");
    let mut child = Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "--exact",
            "child_holding_a_cluster",
            "--ignored",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &report)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the child test");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !report.is_file() {
        assert!(
            Instant::now() < deadline,
            "the child did not start its cluster within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let line = std::fs::read_to_string(&report).expect("read the report");
    let mut parts = line.split_whitespace();
    let port: u16 = parts.next().and_then(|p| p.parse().ok()).expect("port");
    let dir = PathBuf::from(parts.next().expect("folder"));
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "the cluster is up"
    );

    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");

    let deadline = Instant::now() + Duration::from_secs(40);
    while (TcpStream::connect(("127.0.0.1", port)).is_ok() || dir.exists())
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "PostgreSQL still listens on {port} after its test process was killed"
    );
    assert!(!dir.exists(), "{} was left behind", dir.display());
}
