//! Desktop notifications the app asks for, read off the session bus: `dbus-monitor`
//! logs every `Notify` call into a file in `tests/output/`, and a test waits for one by
//! its title. (Xvfb has no notification daemon to show them; the call is what the
//! user's desktop would get.)

use std::fs;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::app::{output_dir, WAIT};

pub struct NotificationWatch {
    child: Child,
    log: std::path::PathBuf,
}

impl NotificationWatch {
    /// Starts watching; `name` is the log file in `tests/output/`.
    pub fn start(name: &str) -> NotificationWatch {
        let log = output_dir().join(name);
        let file = fs::File::create(&log).expect("create the notification log");
        let child = Command::new("dbus-monitor")
            .args([
                "--session",
                "type=method_call,interface=org.freedesktop.Notifications,member=Notify",
            ])
            .stdout(file)
            .spawn()
            .expect("start dbus-monitor (package dbus)");
        NotificationWatch { child, log }
    }

    /// Waits until a notification titled `title` was asked for; the title's line and
    /// the `lines - 1` after it (dbus-monitor prints Notify's arguments one a line: app
    /// name, replaces id, icon, summary (the title), body, …).
    pub fn wait_for(&self, title: &str, lines: usize) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let seen = fs::read_to_string(&self.log).unwrap_or_default();
            if let Some(at) = seen.find(&format!("string \"{title}\"")) {
                return seen[at..]
                    .lines()
                    .take(lines)
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            assert!(
                Instant::now() < deadline,
                "no desktop notification titled {title:?}; seen: {seen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// How many notifications titled `title` were asked for so far.
    pub fn count(&self, title: &str) -> usize {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .matches(&format!("string \"{title}\""))
            .count()
    }
}

impl Drop for NotificationWatch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
