//! The app under test: finding its binaries, starting it through tauri-driver with
//! animations off, closing its window as a user does, and screenshots.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

pub const DRIVER_URL: &str = "http://127.0.0.1:4444";

/// How long the window may take to show what a step leads to. Generous: on a 2-core
/// machine under load a debug build may need many seconds for what takes one here, and
/// this bounds only how long a failing test waits; a passing one goes on at once.
pub const WAIT: Duration = Duration::from_secs(30);

/// This package's folder, as `cargo test` tells the running test. Preferred to the path
/// compiled in: with one target folder shared by two checkouts, cargo may run the test
/// binary last built from the other one, which would read that checkout's fixtures and
/// write its screenshots there.
pub fn package_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

pub fn output_dir() -> PathBuf {
    let dir = package_dir().join("output");
    fs::create_dir_all(&dir).expect("create tests/output");
    dir
}

/// The app under test; a missing binary fails the test rather than skipping it.
pub fn app_binary() -> PathBuf {
    let Some(path) = std::env::var_os("GONGWEN_APP_BIN").map(PathBuf::from) else {
        panic!(
            "GONGWEN_APP_BIN is not set. Point it at the built app, e.g. \
             GONGWEN_APP_BIN=$CARGO_TARGET_DIR/debug/gongwen-desk (build it with \
             `npm ci && npm run build` in ui/, then `cargo build -p gongwen-desk`)"
        );
    };
    assert!(
        path.is_file(),
        "GONGWEN_APP_BIN={} does not exist; run `cargo build -p gongwen-desk`",
        path.display()
    );
    path
}

pub fn tauri_driver_binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let cargo_bin = std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo/bin"));
    on_path
        .into_iter()
        .chain(cargo_bin)
        .map(|dir| dir.join("tauri-driver"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("tauri-driver is not on PATH nor in ~/.cargo/bin; install it with `cargo install --locked tauri-driver`")
        })
}

/// A running tauri-driver (which starts WebKitWebDriver, which starts the app). Dropping
/// it stops the whole process group and reaps what is left, even when a test fails.
pub struct Driver {
    child: Child,
    /// The app's GTK settings (see `reduced_motion_settings`); removed with the driver.
    _settings: tempfile::TempDir,
}

/// A GTK configuration folder that turns animations off, as a user does in the
/// desktop's settings; WebKitGTK then reports `prefers-reduced-motion: reduce` and the
/// app (ui/src/style.css) shows dialogs, menus and the date panel in place at once.
/// Clicks land where an element is drawn: under load a scaling dialog or a sliding date
/// panel is still moving when WebDriver clicks where it computed the element to be, and
/// the click lands on a neighbour (the 8th instead of the 15th) or nowhere.
pub fn reduced_motion_settings() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp GTK settings folder");
    fs::create_dir(dir.path().join("gtk-3.0")).expect("create gtk-3.0");
    fs::write(
        dir.path().join("gtk-3.0/settings.ini"),
        "[Settings]\ngtk-enable-animations=false\n",
    )
    .expect("write GTK settings.ini");
    dir
}

impl Driver {
    pub fn start(data_dir: &Path, log_name: &str) -> Driver {
        Driver::start_with(data_dir, log_name, &[])
    }

    /// As `start`, with more environment for the app (e.g. `GONGWEN_SERVER`).
    pub fn start_with(data_dir: &Path, log_name: &str, env: &[(&str, &str)]) -> Driver {
        // Orphaned WebKit processes are re-parented to us instead of PID 1 (which does not
        // reap in a container), so Drop can reap them.
        // SAFETY: prctl with PR_SET_CHILD_SUBREAPER only sets a flag on this process.
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        }
        let log = fs::File::create(output_dir().join(log_name)).expect("create driver log");
        let settings = reduced_motion_settings();
        let child = Command::new(tauri_driver_binary())
            // The app inherits these through WebKitWebDriver.
            .env("GONGWEN_DATA_DIR", data_dir)
            .env("XDG_CONFIG_HOME", settings.path())
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log)
            .spawn()
            .expect("start tauri-driver");
        Driver {
            child,
            _settings: settings,
        }
    }

    /// Opens a WebDriver session, which launches a fresh app window.
    pub async fn launch(&self, app: &Path) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), serde_json::json!("wry"));
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app }),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match ClientBuilder::native()
                .capabilities(caps.clone())
                .connect(DRIVER_URL)
                .await
            {
                Ok(client) => {
                    assert_reduced_motion(&client).await;
                    return client;
                }
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => panic!("could not start a session with tauri-driver: {e}"),
            }
        }
    }
}

/// Fails at once, rather than with a flaky click later, when the window still animates.
pub async fn assert_reduced_motion(c: &Client) {
    let reduced = c
        .execute(
            "return window.matchMedia('(prefers-reduced-motion: reduce)').matches;",
            vec![],
        )
        .await
        .expect("ask the window for prefers-reduced-motion");
    assert_eq!(
        reduced,
        serde_json::Value::Bool(true),
        "the app window does not prefer reduced motion: was gtk-3.0/settings.ini \
         (XDG_CONFIG_HOME) read?"
    );
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = -(self.child.id() as i32);
        // SAFETY: signalling our own process group; no memory is touched.
        unsafe { libc::kill(group, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = self.child.wait();
        // Reap the app and WebKit processes that were re-parented to us.
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            // SAFETY: waitpid on any child with WNOHANG; status pointer may be null.
            let pid = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
            match pid {
                -1 => break, // no children left
                0 => std::thread::sleep(Duration::from_millis(50)),
                _ => {}
            }
        }
    }
}

/// Asks every window titled `title` to close the way a window manager does when the
/// user clicks its × (a WM_DELETE_WINDOW client message), so the app's own close
/// handling runs. Ending the WebDriver session instead kills the app outright (SIGKILL
/// from WebKitWebDriver), which no application code can observe. Returns how many
/// windows are still open.
pub fn close_windows_titled(title: &str, send: bool) -> usize {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt as _, EventMask, MapState};

    // A loaded Xvfb sometimes resets a new connection (ECONNRESET); a moment later it
    // takes it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (conn, screen) = loop {
        match x11rb::connect(None) {
            Ok(connected) => break connected,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("cannot reach the X display; run the test under xvfb-run: {e}"),
        }
    };
    let atom = |name: &str| {
        conn.intern_atom(false, name.as_bytes())
            .expect("intern atom")
            .reply()
            .expect("intern atom reply")
            .atom
    };
    let (protocols, delete, net_wm_name, utf8) = (
        atom("WM_PROTOCOLS"),
        atom("WM_DELETE_WINDOW"),
        atom("_NET_WM_NAME"),
        atom("UTF8_STRING"),
    );
    let root = conn.setup().roots[screen].root;
    let children = conn
        .query_tree(root)
        .expect("query windows")
        .reply()
        .expect("query windows reply")
        .children;
    let mut open = 0;
    for window in children {
        let Ok(Ok(name)) = conn
            .get_property(false, window, net_wm_name, utf8, 0, 256)
            .map(|c| c.reply())
        else {
            continue; // the window went away meanwhile
        };
        let viewable = conn
            .get_window_attributes(window)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE);
        if name.value != title.as_bytes() || !viewable {
            continue;
        }
        open += 1;
        if send {
            let message = ClientMessageEvent::new(
                32,
                window,
                protocols,
                [delete, x11rb::CURRENT_TIME, 0, 0, 0],
            );
            conn.send_event(false, window, EventMask::NO_EVENT, message)
                .expect("send WM_DELETE_WINDOW");
        }
    }
    conn.flush().expect("flush X requests");
    if send {
        // A round trip before this connection closes: a loaded X server that sees the
        // hang-up before it has read the SendEvent drops it, and the app never hears of
        // the close (the window then "did not close", though the app never got asked).
        conn.get_input_focus()
            .expect("ask the X server for the focus")
            .reply()
            .expect("the X server answered after the close request");
    }
    open
}

/// Closes the app window like a user and waits until the app has taken it down.
pub async fn close_app_window(c: Client) {
    assert_eq!(
        close_windows_titled("公文桌", true),
        1,
        "expected exactly one 公文桌 window to close"
    );
    let deadline = Instant::now() + WAIT;
    while close_windows_titled("公文桌", false) > 0 {
        if Instant::now() >= deadline {
            // What the clerk would see: a dialog that kept it open, or nothing at all.
            let _ = std::process::Command::new("import")
                .args(["-window", "root"])
                .arg(output_dir().join("not-closed.png"))
                .status();
            panic!(
                "the window did not close within {WAIT:?} (is a save stuck?); the screen \
                 is in tests/output/not-closed.png"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The app is gone; ending the session only tidies up the driver.
    let _ = c.close().await;
}

/// The window as PNG bytes. The app runs without WebKit's accelerated compositing (see
/// `prefer_software_rendering` in src-tauri), and there WebKitWebDriver's screenshot waits
/// for the page's next paint: on a page that does not change it never returns. A 1-px
/// mark that changes colour on every frame while the picture is taken gives it that paint;
/// the mark is nearly transparent and removed afterwards.
pub async fn screenshot(c: &Client) -> Result<Vec<u8>, String> {
    c.execute(
        "const mark = document.createElement('div'); \
         mark.id = '__gongwen_repaint'; \
         mark.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none;z-index:2147483647'; \
         document.body.appendChild(mark); \
         let on = false; \
         window.__gongwenRepaint = setInterval(() => { \
           on = !on; mark.style.background = on ? 'rgba(0,0,0,0.01)' : 'rgba(0,0,0,0.02)'; }, 16);",
        vec![],
    )
    .await
    .map_err(|e| format!("cannot start the repaint mark: {e}"))?;
    let png = tokio::time::timeout(WAIT, c.screenshot()).await;
    let _ = c
        .execute(
            "clearInterval(window.__gongwenRepaint); \
             document.getElementById('__gongwen_repaint')?.remove();",
            vec![],
        )
        .await;
    match png {
        Ok(Ok(png)) => Ok(png),
        Ok(Err(e)) => Err(format!("screenshot failed: {e}")),
        Err(_) => Err(format!("no screenshot within {WAIT:?}")),
    }
}

/// Saves a screenshot to tests/output/NAME for a person to look at.
pub async fn save_screenshot(c: &Client, name: &str) {
    // WebKit's screenshot can lag the DOM; let two frames render first.
    c.execute_async(
        "const done = arguments[arguments.length - 1]; \
         requestAnimationFrame(() => requestAnimationFrame(() => done()));",
        vec![],
    )
    .await
    .expect("wait for a rendered frame");
    let png = screenshot(c).await.expect("take a screenshot");
    fs::write(output_dir().join(name), png)
        .unwrap_or_else(|e| panic!("save tests/output/{name}: {e}"));
}
