//! 公文桌 (Gongwen Desk): the Tauri 2 shell.
//!
//! Owns the window, the data folder and the `#[tauri::command]`s the UI calls. Each
//! command only checks its input and calls gongwen-core, gongwen-store or gongwen-sync;
//! errors reach the UI as Chinese sentences and the log in English. While the window is
//! open and a clerk is logged in, gongwen-sync's background loop talks to the exchange
//! (`session`); the login token lives in the OS keyring or, without one, in memory.
//! Architecture invariant: no domain rules and no SQL here, and nothing the UI sends
//! can panic the app.

mod arrivals;
mod attachments;
mod commands;
mod dialogs;
mod due;
mod exchange_types;
mod flow_commands;
mod instance;
mod preview;
mod screen;
mod session;
mod sync_commands;
mod trash;
mod versions;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use gongwen_store::{FolderLock, Store};

/// Environment variable naming the data folder (tests and the CLI use the same rule).
pub const DATA_DIR_ENV: &str = "GONGWEN_DATA_DIR";
/// When set, `app_ready` writes the milliseconds from start to the first list here.
pub const BENCH_READY_ENV: &str = "GONGWEN_BENCH_READY_FILE";
/// When set, the app shows only an empty window (no UI, no store): the benchmark's
/// memory floor of a bare Tauri window.
pub const BENCH_EMPTY_WINDOW_ENV: &str = "GONGWEN_BENCH_EMPTY_WINDOW";

/// What every command shares: the store (shared with the sync loop), or why it could
/// not be opened.
pub struct AppState {
    store: Mutex<Result<Arc<Mutex<Store>>, String>>,
    /// The data folder's lock (see `instance`), held while the store is open here.
    folder_lock: Mutex<Option<FolderLock>>,
    started: Instant,
    /// Set once the UI has reported its first list (see `commands::app_ready`).
    ready: AtomicBool,
    /// Fonts for 预览/导出PDF, found on first use; shared with the rendering threads.
    typesetter: Arc<preview::Typesetter>,
    /// Login token (memory copy) and the sync loop.
    session: Mutex<session::Session>,
    /// For pushing events to the window from outside a command.
    app: OnceLock<tauri::AppHandle>,
}

/// `GONGWEN_DATA_DIR` if set, else the platform data folder + `gongwen-desk`
/// (`~/.local/share/gongwen-desk` on Linux) — the same rule as the `gongwen` CLI.
pub fn data_dir() -> Option<PathBuf> {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::data_dir().map(|d| d.join("gongwen-desk")),
    }
}

/// Opens the store of the data folder, taking the folder's lock first if this process
/// does not hold it yet (`wait`: for an app on it that is closing, at start).
fn open_store(folder_lock: &Mutex<Option<FolderLock>>, wait: bool) -> Result<Store, String> {
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
    let mut held = folder_lock
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if held.is_none() {
        let taken = if wait {
            instance::lock_folder(&dir)
        } else {
            FolderLock::acquire(&dir)
        };
        match taken {
            Ok(lock) => *held = Some(lock),
            Err(e) => {
                tracing::error!(dir = %dir.display(), error = %e, "the data folder is not ours");
                return Err(e.message_zh());
            }
        }
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

/// WebKitGTK's accelerated compositing costs the window about 100 MB (GL buffers, and
/// Mesa's llvmpipe on machines without a GPU), and a desk of lists, forms and PDF pages
/// does not need it: `cargo xtask bench` measures the app's memory with it off. Set
/// before GTK starts, since WebKit reads it once. A user or a driver problem that wants
/// it back sets `WEBKIT_DISABLE_COMPOSITING_MODE=0`, which WebKit reads as "on".
fn prefer_software_rendering() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // Before any thread is started: nothing else reads the environment yet.
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
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

    if std::env::var_os(BENCH_EMPTY_WINDOW_ENV).is_some_and(|v| !v.is_empty()) {
        run_empty_window(started);
        return;
    }
    prefer_software_rendering();

    let dir = data_dir();
    // Before the instance name is made from its canonical path (see `instance`): a
    // folder that does not exist yet has none.
    let mut folder_lock = None;
    if let Some(dir) = &dir {
        let _ = std::fs::create_dir_all(dir);
        // The folder is taken: if its app is in this session, it comes forward instead.
        match FolderLock::acquire(dir) {
            Ok(lock) => folder_lock = Some(lock),
            Err(gongwen_store::StoreError::InUse { .. }) if instance::hand_over(dir) => return,
            Err(_) => {} // `open_store` waits for it, and says why if it stays taken
        }
    }
    let state = AppState {
        // Opened in `setup`, once the single-instance check has let this start go on.
        store: Mutex::new(Err("正在打开本地公文库…".into())),
        folder_lock: Mutex::new(folder_lock),
        started,
        ready: AtomicBool::new(false),
        typesetter: Arc::default(),
        session: Mutex::default(),
        app: OnceLock::new(),
    };
    // First: a second start on this folder hands over and exits before anything else.
    let builder = tauri::Builder::default().plugin(instance::single_instance(dir.as_deref()));
    // Desktop notifications of arrivals (`arrivals`), sent from Rust: the page is
    // granted none of the plugin's commands.
    let builder = builder.plugin(tauri_plugin_notification::init());
    // Linux: the shell's own GTK dialogs (see dialogs.rs).
    #[cfg(not(target_os = "linux"))]
    let builder = builder.plugin(tauri_plugin_dialog::init());
    let result = builder
        .manage(state)
        .setup(|app| {
            use tauri::Manager;
            close_on_terminate(app.handle().clone());
            let state = app.state::<AppState>();
            let opened = open_store(&state.folder_lock, true).map(|s| Arc::new(Mutex::new(s)));
            *commands::lock(&state) = opened;
            if let Some(window) = app.get_webview_window("main") {
                screen::fit_window(&window);
                preview::print_true_size(&window);
            }
            let _ = app.state::<AppState>().app.set(app.handle().clone());
            // The tray's count of pressing 待办 (`due`).
            due::create_tray(app.handle());
            // Logged in last time and the keyring has the token: sync without asking.
            session::resume(app.handle());
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
            versions::autosave_draft,
            versions::finish_draft,
            versions::document_version,
            versions::compare_versions,
            versions::revision_trail,
            versions::restore_version,
            commands::app_ready,
            commands::default_direction,
            preview::render_preview,
            preview::templates,
            preview::export_pdf,
            preview::render_handling_sheet,
            preview::export_handling_sheet,
            session::sync_status,
            session::login,
            session::logout,
            session::sync_now,
            sync_commands::outbox,
            sync_commands::remove_command,
            sync_commands::discard_command,
            sync_commands::confirm_command,
            sync_commands::dispatch_check,
            sync_commands::directory,
            sync_commands::dispatch,
            sync_commands::document_exchange,
            sync_commands::inbox,
            sync_commands::acknowledge,
            sync_commands::return_document,
            arrivals::mark_read,
            flow_commands::flow_steps,
            flow_commands::handling_steps,
            flow_commands::handlings,
            flow_commands::handling_box,
            flow_commands::take_step,
            attachments::attach_file,
            attachments::save_attachment_as,
            trash::trashable_documents,
            trash::trash_document,
            trash::trashed_documents,
            trash::restore_trashed,
            trash::purge_trashed,
        ])
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(|app, event| match event {
            tauri::RunEvent::WindowEvent {
                label,
                event: tauri::WindowEvent::Destroyed,
                ..
            } if label == "main" => instance::release(app),
            tauri::RunEvent::Exit => close_store(app),
            _ => {}
        }),
        Err(e) => {
            tracing::error!(error = %e, "the window could not be started");
            eprintln!("公文桌 could not start: {e}");
            std::process::exit(1);
        }
    }
}

/// The event loop ends with `process::exit`, which runs no destructors: close the store
/// here, so SQLite checkpoints its WAL and the store records a clean close (otherwise
/// every start would run the full corruption check). The sync loop is stopped first;
/// it shares the store, so the store closes once the loop's task has let go of it.
fn close_store(app: &tauri::AppHandle) {
    use tauri::Manager;
    let state = app.state::<AppState>();
    session::stop(&state);
    let closed = match state.store.lock() {
        Ok(mut store) => std::mem::replace(&mut *store, Err("公文桌已关闭".into())),
        Err(poisoned) => std::mem::replace(&mut *poisoned.into_inner(), Err("公文桌已关闭".into())),
    };
    if let Ok(shared) = closed {
        // The stopped task drops its handle on a runtime thread, at its next await.
        let deadline = Instant::now() + Duration::from_secs(3);
        while Arc::strong_count(&shared) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if Arc::strong_count(&shared) > 1 {
            tracing::warn!("the sync loop still holds the store; it was not closed cleanly");
        }
        drop(shared);
    }
    // Only now may another start open the folder.
    drop(
        state
            .folder_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take(),
    );
    tracing::info!("store closed");
}

/// The benchmark's floor: the same binary with one blank window, no UI bundle and no
/// store. Writes its ready time to `GONGWEN_BENCH_READY_FILE` once the page has loaded.
fn run_empty_window(started: Instant) {
    let mut context: tauri::Context<tauri::Wry> = tauri::generate_context!();
    // The configured window would load the UI bundle; this one is made by hand instead.
    context.config_mut().app.windows.clear();
    let result = tauri::Builder::default()
        .register_uri_scheme_protocol("bench", |_, _| {
            tauri::http::Response::builder()
                .header("Content-Type", "text/html")
                .body(b"<!doctype html><title></title>".to_vec())
                .unwrap_or_default()
        })
        .setup(move |app| {
            // A blank page from a protocol of its own: WebKit reports no load of about:blank
            // to the page-load hook, and the app protocol would serve the UI bundle.
            let url = "bench://localhost/".parse().map_err(|e| format!("{e}"))?;
            tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::CustomProtocol(url))
                .title("公文桌")
                .inner_size(1280.0, 800.0)
                .on_page_load(move |_, payload| {
                    if payload.event() != tauri::webview::PageLoadEvent::Finished {
                        return;
                    }
                    let ms = ms_since_start(started);
                    tracing::info!(ms, "empty bench window shown");
                    if let Some(path) = std::env::var_os(BENCH_READY_ENV) {
                        if let Err(e) = std::fs::write(&path, ms.to_string()) {
                            tracing::error!(path = ?path, error = %e, "cannot write the bench ready file");
                        }
                    }
                })
                .build()?;
            Ok(())
        })
        .run(context);
    if let Err(e) = result {
        tracing::error!(error = %e, "the empty bench window could not be started");
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
