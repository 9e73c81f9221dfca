//! The token in a real Secret Service keyring (gnome-keyring in a private D-Bus
//! session), and the clear error where there is no keyring.
//!
//! Each case runs this test binary again as a child process in the environment it
//! needs (the D-Bus address is read from the environment, which a running test cannot
//! safely change). The inner cases are `#[ignore]`d so they run only as children.

use std::process::Command;

use gongwen_sync::credentials::{self, CredentialError};

const CHILD: &str = "GONGWEN_KEYRING_TEST_CHILD";

fn run_child(test: &str, wrap_in_keyring_session: bool, env: &[(&str, &str)]) {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = if wrap_in_keyring_session {
        let script = format!(
            // The daemon forks; wait until it owns its bus name, or the test's first
            // call would D-Bus-activate a second daemon racing the first.
            "echo test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 1
             for _ in $(seq 1 100); do
               dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
                 org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q 'boolean true' && break
               sleep 0.1
             done
             exec '{}' --exact {test} --ignored --nocapture",
            exe.display()
        );
        let mut c = Command::new("dbus-run-session");
        c.args(["--", "bash", "-c", &script]);
        c
    } else {
        let mut c = Command::new(&exe);
        c.args(["--exact", test, "--ignored", "--nocapture"]);
        c
    };
    // A keyring of its own: the user's login keyring (maybe locked with another
    // password) is neither used nor touched.
    let home = tempfile::tempdir().expect("temporary home");
    cmd.env(CHILD, "1")
        .env_remove("DISPLAY")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_CACHE_HOME", home.path().join("cache"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .expect("dbus-run-session and gnome-keyring-daemon are needed (cargo xtask install)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child {test} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[test]
fn token_is_kept_in_the_secret_service_keyring() {
    run_child("inner_keyring_round_trip", true, &[]);
}

#[test]
fn without_a_keyring_the_error_says_so() {
    run_child(
        "inner_no_keyring",
        false,
        &[(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/gongwen-test-bus",
        )],
    );
}

fn in_child() {
    assert_eq!(
        std::env::var(CHILD).as_deref(),
        Ok("1"),
        "run through its outer test, not directly"
    );
}

#[test]
#[ignore = "runs as a child of token_is_kept_in_the_secret_service_keyring"]
fn inner_keyring_round_trip() {
    in_child();
    let server = "http://127.0.0.1:8080/";
    assert_eq!(credentials::load_token(server, "fgw-clerk").unwrap(), None);
    credentials::save_token(server, "fgw-clerk", "tok-1").unwrap();
    // The same server written without the slash is the same entry.
    assert_eq!(
        credentials::load_token("http://127.0.0.1:8080", "fgw-clerk").unwrap(),
        Some("tok-1".to_string())
    );
    credentials::save_token(server, "fgw-clerk", "tok-2").unwrap();
    assert_eq!(
        credentials::load_token(server, "fgw-clerk").unwrap(),
        Some("tok-2".to_string())
    );
    // Another user or server has its own entry.
    assert_eq!(credentials::load_token(server, "tjj-clerk").unwrap(), None);
    assert_eq!(
        credentials::load_token("http://127.0.0.1:9090", "fgw-clerk").unwrap(),
        None
    );
    credentials::delete_token(server, "fgw-clerk").unwrap();
    assert_eq!(credentials::load_token(server, "fgw-clerk").unwrap(), None);
    // Deleting again is fine.
    credentials::delete_token(server, "fgw-clerk").unwrap();
}

#[test]
#[ignore = "runs as a child of without_a_keyring_the_error_says_so"]
fn inner_no_keyring() {
    in_child();
    let err = credentials::save_token("http://127.0.0.1:8080", "fgw-clerk", "tok")
        .expect_err("no keyring without a D-Bus session");
    assert!(
        matches!(err, CredentialError::Unavailable(_)),
        "expected Unavailable, got {err:?}"
    );
    assert!(err.to_string().contains("no keyring"), "{err}");
    assert!(matches!(
        credentials::load_token("http://127.0.0.1:8080", "fgw-clerk"),
        Err(CredentialError::Unavailable(_))
    ));
}
