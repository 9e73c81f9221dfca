//! The app's dialogs as a clerk answers them: logging in, choosing recipients and
//! confirming a 分发, and the native GTK file dialog (driven with xdotool).

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::Client;

use crate::app::{output_dir, WAIT};
use crate::page::{
    button, click, find, texts_shown, type_into, wait_gone, wait_status, wait_still,
};
use crate::server::DEMO_PASSWORD;

/// Clicks 确认分发 and waits until the 分发 dialog is gone (`click` makes sure the button
/// received the click: once, on a loaded machine, a click WebDriver reported as done never
/// reached the page, and the dialog stayed with no request, no error, the button idle).
pub async fn confirm_dispatch(c: &Client) {
    click(c, &button("确认分发")).await;
    wait_gone(c, "//*[@aria-label='分发公文']").await;
}

/// Chooses 主送 or 抄送 for a unit in the 分发 dialog and waits until the choice shows
/// as made (a click during the dialog's opening animation can miss its target).
pub async fn send_to(c: &Client, unit: &str, role: &str) {
    let label = format!(
        "//*[@role='radiogroup' and @aria-label='{unit}']//label[normalize-space(.)='{role}']"
    );
    let deadline = Instant::now() + WAIT;
    loop {
        click(c, &label).await;
        let settle = Instant::now() + Duration::from_secs(2);
        while Instant::now() < settle {
            let class = find(c, &label).await.attr("class").await.ok().flatten();
            if class.is_some_and(|c| c.contains("n-radio-button--checked")) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            Instant::now() < deadline,
            "{role} for {unit} does not show as chosen"
        );
    }
}

/// Logs in through the 登录 dialog as a clerk at the keyboard does (Enter in the
/// password field) with the demo password, and waits until the status bar says 已连接.
pub async fn log_in_at_the_keyboard(c: &Client, username: &str) {
    wait_still(c, "//*[@aria-label='登录交换平台']").await;
    type_into(c, "//input[@aria-label='用户名']", username).await;
    type_into(
        c,
        "//input[@aria-label='密码']",
        &format!("{DEMO_PASSWORD}{}", char::from(Key::Enter)),
    )
    .await;
    wait_gone(c, "//*[@aria-label='登录交换平台']").await;
    wait_status(c, "连接状态", "已连接").await;
}

/// Logs in through the 登录 dialog with the mouse (its 登录 button) as a demo user, and
/// waits until the dialog is gone (not for 已连接: the first sync may be what is watched).
pub async fn log_in_with_the_button(c: &Client, username: &str) {
    wait_still(c, "//*[@aria-label='登录交换平台']").await;
    type_into(c, "//input[@aria-label='用户名']", username).await;
    type_into(c, "//input[@aria-label='密码']", DEMO_PASSWORD).await;
    click(
        c,
        &format!("//*[@aria-label='登录交换平台']{}", button("登录")),
    )
    .await;
    wait_gone(c, "//*[@aria-label='登录交换平台']").await;
}

/// Answers the GTK file dialog titled `title` the way a clerk at the keyboard does:
/// types "/" (which opens an open dialog's location field), pastes the full path over
/// what the field holds and presses Enter; if the dialog is still there (GTK said the
/// path does not exist), acknowledges that and pastes the path again. WebDriver cannot
/// reach a native dialog; xdotool drives the real one on the X server.
pub async fn answer_file_dialog(c: &Client, title: &str, path: &Path, driver_log: &str) {
    if let Err(what) = drive_file_dialog(title, path) {
        // What the page said, e.g. an error that came instead of the dialog.
        let said = texts_shown(
            c,
            "//*[@role='alert' or contains(@class, 'n-message__content')]",
        )
        .await;
        panic!(
            "{what}; messages on the page: {said:?}{}",
            file_dialog_evidence(driver_log)
        );
    }
}

/// The keyboard part of `answer_file_dialog`; what went wrong, if anything.
pub fn drive_file_dialog(title: &str, path: &Path) -> Result<(), String> {
    let xdotool = |args: &[&str]| -> bool {
        // `timeout`: `search --sync` would wait for ever for a dialog that never opens.
        Command::new("timeout")
            .arg("20")
            .arg("xdotool")
            .args(args)
            .output()
            .expect("run xdotool (cargo xtask install installs it)")
            .status
            .success()
    };
    let name = format!("^{title}$");
    let visible = || xdotool(&["search", "--onlyvisible", "--name", &name]);
    if !xdotool(&["search", "--sync", "--onlyvisible", "--name", &name]) {
        return Err(format!("the “{title}” dialog did not open"));
    }
    // The path goes in through the clipboard, not `xdotool type`: xdotool types a
    // character missing from the keyboard map (every Chinese one) by remapping a key for
    // a moment, and a busy app can read that key after the map is back, so a character
    // of the path is lost and the dialog takes a file that does not exist.
    let _clipboard = Clipboard::holding(&path.display().to_string());
    std::thread::sleep(Duration::from_millis(500));
    for attempt in 0..3 {
        xdotool(&[
            "search",
            "--onlyvisible",
            "--name",
            &name,
            "windowfocus",
            "--sync",
            "%1",
        ]);
        if attempt == 0 {
            // The first "/" opens an open dialog's location field (a save dialog types
            // it into its name field); give the field time to open.
            xdotool(&["type", "/"]);
            std::thread::sleep(Duration::from_millis(700));
        }
        // Whatever the field holds is replaced by the whole path.
        xdotool(&["key", "--clearmodifiers", "ctrl+a"]);
        xdotool(&["key", "--clearmodifiers", "ctrl+v"]);
        std::thread::sleep(Duration::from_millis(300));
        xdotool(&["key", "--clearmodifiers", "Return"]);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if !visible() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // Still open: GTK is showing "could not be displayed" (the "/" was lost while
        // the location field opened, and the field held a mangled path).
        xdotool(&["key", "--clearmodifiers", "Return"]);
        std::thread::sleep(Duration::from_millis(300));
    }
    Err(format!(
        "the “{title}” dialog did not take {}",
        path.display()
    ))
}

/// The X clipboard holding a text (an `xclip` serving it) until dropped.
pub struct Clipboard(Child);

impl Clipboard {
    pub fn holding(text: &str) -> Clipboard {
        let mut xclip = Command::new("xclip")
            .args(["-selection", "clipboard", "-quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run xclip (cargo xtask install installs it)");
        if let Some(mut stdin) = xclip.stdin.take() {
            stdin
                .write_all(text.as_bytes())
                .expect("hand the text to xclip");
        } // closed here: xclip now takes the clipboard
        let clipboard = Clipboard(xclip);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let held = Command::new("xclip")
                .args(["-selection", "clipboard", "-o"])
                .output()
                .map(|o| o.stdout == text.as_bytes())
                .unwrap_or(false);
            if held {
                return clipboard;
            }
            assert!(
                Instant::now() < deadline,
                "xclip did not take the clipboard"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Clipboard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What a failed dialog step leaves for whoever reads the test output: the whole screen
/// (tests/output/file-dialog.png), the windows on it, and the end of the app's log.
pub fn file_dialog_evidence(driver_log: &str) -> String {
    let _ = Command::new("import")
        .args(["-window", "root"])
        .arg(output_dir().join("file-dialog.png"))
        .status();
    let windows = Command::new("xdotool")
        .args([
            "search",
            "--onlyvisible",
            "--name",
            ".",
            "getwindowname",
            "%@",
        ])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .replace('\n', " | ")
        })
        .unwrap_or_default();
    let log = fs::read_to_string(output_dir().join(driver_log)).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    let tail = lines[lines.len().saturating_sub(30)..].join("\n");
    format!(
        " (screen: tests/output/file-dialog.png)\nwindows on screen: {windows}\n\
         end of tests/output/{driver_log}:\n{tail}"
    )
}
