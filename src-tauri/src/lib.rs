//! 公文桌 (Gongwen Desk): the Tauri 2 shell.
//!
//! Owns the window, the data folder and the `#[tauri::command]`s the UI calls. Each
//! command only checks its input and calls gongwen-core or gongwen-store; errors reach
//! the UI as Chinese sentences and the log in English.
//! Architecture invariant: no domain rules and no SQL here, and nothing the UI sends
//! can panic the app.

mod commands;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Instant;

use gongwen_store::Store;

/// Environment variable naming the data folder (tests and the CLI use the same rule).
pub const DATA_DIR_ENV: &str = "GONGWEN_DATA_DIR";
/// When set, `app_ready` writes the milliseconds from start to the first list here.
pub const BENCH_READY_ENV: &str = "GONGWEN_BENCH_READY_FILE";

/// What every command shares: the store, or why it could not be opened.
pub struct AppState {
    store: Mutex<Result<Store, String>>,
    started: Instant,
    /// Set once the UI has reported its first list (see `commands::app_ready`).
    ready: AtomicBool,
}

/// `GONGWEN_DATA_DIR` if set, else the platform data folder + `gongwen-desk`
/// (`~/.local/share/gongwen-desk` on Linux) — the same rule as the `gongwen` CLI.
pub fn data_dir() -> Option<PathBuf> {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::data_dir().map(|d| d.join("gongwen-desk")),
    }
}

fn open_store() -> Result<Store, String> {
    let Some(dir) = data_dir() else {
        tracing::error!("no data folder: {DATA_DIR_ENV} is unset and the platform has none");
        return Err(format!("找不到数据文件夹，请设置环境变量 {DATA_DIR_ENV}。"));
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        tracing::error!(dir = %dir.display(), error = %e, "cannot create the data folder");
        return Err(format!(
            "无法创建数据文件夹“{}”：请检查磁盘和权限。",
            dir.display()
        ));
    }
    match Store::open(&dir) {
        Ok(store) => {
            tracing::info!(dir = %dir.display(), "store opened");
            Ok(store)
        }
        Err(e) => {
            // The window still opens and shows this, instead of the app vanishing.
            tracing::error!(dir = %dir.display(), error = %e, "cannot open the store");
            Err(e.message_zh())
        }
    }
}

/// Milliseconds since the OS started this process (Linux: from /proc, so the time to
/// load the GTK/WebKit libraries counts too); elsewhere since `run` began.
fn ms_since_start(run_started: Instant) -> u128 {
    process_age_ms().unwrap_or_else(|| run_started.elapsed().as_millis())
}

#[cfg(target_os = "linux")]
fn process_age_ms() -> Option<u128> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Field 22 (starttime, in clock ticks since boot); fields restart after "(comm)".
    let ticks: f64 = stat
        .rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    // USER_HZ is 100 on every Linux ABI.
    let age = uptime - ticks / 100.0;
    (age >= 0.0).then(|| (age * 1000.0).round() as u128)
}

#[cfg(not(target_os = "linux"))]
fn process_age_ms() -> Option<u128> {
    None
}

/// On SIGTERM (logout, shutdown, `kill`) close the window as if the user had clicked
/// its ×, so the UI saves an open draft first; exit anyway if that takes too long.
fn close_on_terminate(app: tauri::AppHandle) {
    #[cfg(unix)]
    tauri::async_runtime::spawn(async move {
        use tauri::Manager;
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                return;
            }
        };
        terminate.recv().await;
        tracing::info!("SIGTERM: closing the window so unsaved work is saved");
        match app.get_webview_window("main") {
            Some(window) => {
                if let Err(e) = window.close() {
                    tracing::warn!(error = %e, "cannot close the window");
                }
            }
            None => app.exit(0),
        }
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        tracing::warn!("the window did not close within 10 s of SIGTERM; exiting");
        app.exit(0);
    });
    #[cfg(not(unix))]
    let _ = app;
}

pub fn run() {
    let started = Instant::now();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let state = AppState {
        store: Mutex::new(open_store()),
        started,
        ready: AtomicBool::new(false),
    };
    let result = tauri::Builder::default()
        .manage(state)
        .setup(|app| {
            close_on_terminate(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::vocabulary,
            commands::startup_error,
            commands::reopen_store,
            commands::list_documents,
            commands::get_document,
            commands::create_document,
            commands::save_draft,
            commands::validate_document,
            commands::search,
            commands::document_versions,
            commands::app_ready,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "the window could not be started");
        eprintln!("公文桌 could not start: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_folder_comes_from_the_environment_first() {
        // One test owns this variable, so tests running in parallel cannot race on it.
        std::env::set_var(DATA_DIR_ENV, "/srv/gongwen-test");
        assert_eq!(data_dir(), Some(PathBuf::from("/srv/gongwen-test")));
        std::env::set_var(DATA_DIR_ENV, "");
        let fallback = data_dir();
        std::env::remove_var(DATA_DIR_ENV);
        assert_eq!(fallback, data_dir());
        if let Some(dir) = fallback {
            assert!(dir.ends_with("gongwen-desk"), "{}", dir.display());
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn process_age_counts_from_process_start() {
        let age = process_age_ms().expect("/proc gives the process start time");
        // This test process started moments ago, not before boot nor hours back.
        assert!(age < 10 * 60 * 1000, "age {age} ms");
        let run_started = Instant::now();
        std::thread::sleep(std::time::Duration::from_millis(30));
        assert!(ms_since_start(run_started) >= 30);
    }
}
