//! One window per data folder, and one writer per store.
//!
//! Two guards, for two different things:
//! - tauri-plugin-single-instance: a second start on the same data folder in the same
//!   login session hands over to the running app, which brings its window to the front,
//!   and exits. It works through the session's D-Bus, under a name made from the data
//!   folder, so `cargo xtask run`'s two windows (two folders) and tests with their own
//!   folders do not meet.
//! - [`gongwen_store::FolderLock`] on the folder itself: what actually keeps a second
//!   writer out, also one the plugin cannot see (another account, no session bus), and
//!   released by the kernel if the holder crashes.

use std::path::Path;
use std::time::{Duration, Instant};

use gongwen_store::{FolderLock, StoreError};
use tauri::{AppHandle, Manager, Runtime};

/// The D-Bus name base of the app on `dir` (the plugin appends `.SingleInstance`):
/// the bundle identifier and a hash of the folder's canonical path, so the same folder
/// named two ways (a symlink, a relative path) is one instance.
pub(crate) fn dbus_id(dir: Option<&Path>) -> String {
    const BASE: &str = "cn.gongwen.desk";
    let Some(dir) = dir else {
        return BASE.to_string();
    };
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    // FNV-1a: stable across builds and Rust versions (std's hasher is not promised to be).
    let hash = canonical
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    // A D-Bus name element may not start with a digit.
    format!("{BASE}.d{hash:016x}")
}

/// The plugin: a second start on this folder brings the running window forward.
pub(crate) fn single_instance<R: Runtime>(dir: Option<&Path>) -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_single_instance::Builder::new()
        .dbus_id(dbus_id(dir))
        .callback(|app, _args, _cwd| bring_forward(app))
        .build()
}

/// Called on the D-Bus thread: the window is handled on the main thread, so this
/// thread never waits for it.
fn bring_forward<R: Runtime>(app: &AppHandle<R>) {
    tracing::info!("second start on this data folder: bringing the window to the front");
    let handle = app.clone();
    if let Err(e) = app.run_on_main_thread(move || raise(&handle)) {
        tracing::warn!(error = %e, "cannot reach the main thread to bring the window forward");
    }
}

fn raise<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window("main") else {
        tracing::warn!("second start while the window is closing; it was not brought forward");
        return;
    };
    for (what, result) in [
        ("unminimize", window.unminimize()),
        ("show", window.show()),
        ("focus", window.set_focus()),
    ] {
        if let Err(e) = result {
            tracing::warn!(error = %e, "cannot {what} the window");
        }
    }
}

/// Lets go of the single-instance name as the window goes, before the store is closed:
/// a start from then on opens its own window (waiting in [`lock_folder`] until this
/// process has closed the store) instead of handing over to a closing one.
/// Off the main thread: giving up the name is a D-Bus call, and the window's event loop
/// must not wait on it.
pub(crate) fn release<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    std::thread::spawn(move || tauri_plugin_single_instance::destroy(&app));
}

/// A start on a folder whose lock is held: asks the app holding it in this login
/// session (if there is one) to bring its window forward, before this process has made
/// any window; true if it did, and this process should end. The plugin does the same
/// from inside Tauri, but then exits a process that has GTK and WebKit set up, which
/// sometimes crashed on the way out; here nothing is set up yet.
#[cfg(target_os = "linux")]
pub(crate) fn hand_over(dir: &Path) -> bool {
    let name = format!("{}.SingleInstance", dbus_id(Some(dir)));
    let path = format!("/{}", name.replace('.', "/").replace('-', "_"));
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cwd = std::env::current_dir()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let called = zbus::blocking::Connection::session().and_then(|conn| {
        conn.call_method(
            Some(name.as_str()),
            path.as_str(),
            Some("org.SingleInstance.DBus"),
            "ExecuteCallback",
            &(args, cwd),
        )
    });
    match called {
        Ok(_) => {
            tracing::info!(dir = %dir.display(), "the app on this data folder was asked to come forward; this start ends");
            true
        }
        Err(e) => {
            // Another account's app, or one without a session bus: the window opens
            // and says the folder is in use.
            tracing::warn!(dir = %dir.display(), error = %e, "the data folder is locked and no app in this session answers");
            false
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn hand_over(_dir: &Path) -> bool {
    // The plugin hands over from inside Tauri.
    false
}

/// How long a start waits for the folder's lock: enough for a closing window to close
/// its store (a few seconds at most), short enough that a lock held by a running app
/// of another account is reported soon.
const LOCK_WAIT: Duration = Duration::from_secs(8);

/// Takes the folder's lock, waiting up to [`LOCK_WAIT`] for an app that is closing.
pub(crate) fn lock_folder(dir: &Path) -> Result<FolderLock, StoreError> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match FolderLock::acquire(dir) {
            Err(StoreError::InUse { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_name_follows_the_data_folder() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let id = dbus_id(Some(a.path()));
        assert!(id.starts_with("cn.gongwen.desk.d"), "{id}");
        assert_eq!(id, dbus_id(Some(&a.path().join("."))));
        assert_ne!(id, dbus_id(Some(b.path())));
        assert_eq!(dbus_id(None), "cn.gongwen.desk");
        // Each element: letters, digits, '_' or '-', not starting with a digit.
        for element in id.split('.') {
            assert!(!element.starts_with(|c: char| c.is_ascii_digit()), "{id}");
            assert!(element.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
        }
    }
}
