//! The 办理 panel in the real window, for what the CLI tests cannot see: a leader whose
//! 签发 came too late sees what he wrote kept as 未生效的意见, naming who signed first;
//! a step taken by delegation reads "李华（由王强代）"; a 特急 document waiting in the
//! 待办 raises a desktop notification (watched on the session bus, as returned.rs
//! does) and the tray's count. Run them alone with `cargo xtask window panel_`.

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::Client;

use gongwen_e2e::app::*;
use gongwen_e2e::dialogs::log_in_with_the_button;
use gongwen_e2e::notifications::NotificationWatch;
use gongwen_e2e::page::*;
use gongwen_e2e::server::*;

const REQUEST_TITLE: &str =
    "宿州市发展和改革委员会关于申请安排2027年市级重点项目前期工作经费的请示";

/// A TCP proxy whose line can be cut and restored: the leader's laptop on a train.
/// Cutting closes the connections open through it and refuses new ones, so the app's
/// next sync fails at once, as when the network is gone.
struct Line {
    url: String,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Line {
    fn to(port: u16) -> Line {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let url = format!(
            "http://127.0.0.1:{}",
            listener.local_addr().expect("address").port()
        );
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (up2, open2) = (Arc::clone(&up), Arc::clone(&open));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(client) = conn else { continue };
                if !up2.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", port)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let (Ok(c2), Ok(s2), Ok(c3)) =
                    (client.try_clone(), server.try_clone(), client.try_clone())
                else {
                    continue;
                };
                open2.lock().unwrap_or_else(|p| p.into_inner()).push(c3);
                std::thread::spawn(move || pump(client, server));
                std::thread::spawn(move || pump(s2, c2));
            }
        });
        Line { url, up, open }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for s in self
            .open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// Waits until the app's log (through tauri-driver's) has a line containing `text`.
fn wait_in_log(name: &str, text: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let log = fs::read_to_string(output_dir().join(name)).unwrap_or_default();
        if log.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the app never logged {text:?}; see tests/output/{name}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn log_in(c: &Client, username: &str) {
    log_in_with_the_button(c, username).await;
    wait_status(c, "连接状态", "已连接").await;
}

/// Opens the request from the 办文 view's 待办.
async fn open_from_todo(c: &Client) {
    click(c, "//a[normalize-space(.)='办文']").await;
    wait_status(c, "办文列表", REQUEST_TITLE).await;
    click(
        c,
        &format!("//*[@aria-label='办文列表']//a[normalize-space(.)='{REQUEST_TITLE}']"),
    )
    .await;
}

/// Beijing's date today, as `gongwen flow delegate` wants it.
fn beijing_today() -> String {
    let out = Command::new("date")
        .args(["-u", "-d", "+8 hours", "+%Y-%m-%d"])
        .output()
        .expect("date");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The leader signs a 特急 request on the train (the line cut); meanwhile his deputy
/// signs it at the office. Back on the line, the exchange refuses his 签发: the panel
/// keeps what he wrote under 未生效的意见, naming 孙丽 who signed first. The 特急 request
/// in his 待办 was told once by a desktop notification, not once per sync round.
#[tokio::test]
async fn panel_keeps_a_late_sign_off_as_an_opinion_not_in_effect_and_tells_特急_once() {
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-flow-late.log");
    let line = Line::to(exchange.port);
    let bus = NotificationWatch::start("notifications-flow-due.log");
    let (_clerk, _director, id) = CliDesk::request_at_sign_off(&exchange.url, "immediate");
    let deputy = CliDesk::logged_in(&exchange.url, "fgw-deputy");

    let data = tempfile::tempdir().expect("leader's data dir");
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-flow-late.log",
        &[("GONGWEN_SERVER", &line.url)],
    );
    let c = driver.launch(&app).await;
    log_in(&c, "fgw-leader").await;
    // The 特急 request waiting for him is told on the desktop, with the step.
    let told = bus.wait_for("【特急】待办：待签发", 2);
    assert!(told.contains(REQUEST_TITLE), "{told}");
    // The tray counts it. A Linux tray has no tooltip or badge to read back here, so
    // the app's log line of what it set is the witness (title 1, the red dot).
    wait_in_log("tauri-driver-flow-late.log", "tray count count=1");
    open_from_todo(&c).await;
    wait_status(&c, "办理状态", "待签发").await;

    // The train leaves the network; he signs.
    line.cut();
    click(&c, &button("立即同步")).await;
    wait_status(&c, "连接状态", "离线").await;
    type_into(&c, "//textarea[@aria-label='办理意见']", "同意，报市政府").await;
    click(
        &c,
        &format!("//*[@aria-label='办理操作']{}", button("签发")),
    )
    .await;
    wait_status(&c, "办理同步状态", "待同步").await;

    // At the office his deputy signs first.
    deputy.sign_off(&id, "同意，请抓紧报送");

    line.restore();
    click(&c, &button("立即同步")).await;
    let kept = wait_status(&c, "未生效的意见", "同意，报市政府").await;
    assert!(kept.contains("李华"), "who wrote it: {kept:?}");
    assert!(
        kept.contains("fgw-deputy") || kept.contains("孙丽"),
        "who signed first: {kept:?}"
    );
    assert!(kept.contains("签发"), "{kept:?}");
    wait_status(&c, "办理状态", "待复核").await;
    let trail = wait_status(&c, "办理记录", "同意，请抓紧报送").await;
    assert!(
        !trail.contains("同意，报市政府"),
        "the refused opinion is not in the trail: {trail:?}"
    );
    save_screenshot(&c, "flow-opinion-not-in-effect.png").await;
    // Several sync rounds later the 特急 request was told once only (it has left his
    // 待办 now, and nothing else is due).
    click(&c, &button("立即同步")).await;
    wait_status(&c, "连接状态", "已连接").await;
    assert_eq!(bus.count("【特急】待办：待签发"), 1);
    c.close().await.expect("end the session");
    drop(driver);
    drop(exchange);
}

/// The leader lets the office director take his 签发 today; the director signs through
/// his CLI. The leader's window shows the 签发 in his own name, taken by the director:
/// 李华（由王强代）.
#[tokio::test]
async fn panel_shows_a_step_taken_by_delegation_in_whose_name_and_by_whom() {
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-flow-delegate.log");
    let url = exchange.url.as_str();
    let (_clerk, director, id) = CliDesk::request_at_sign_off(url, "normal");
    let leader = CliDesk::logged_in(url, "fgw-leader");
    let today = beijing_today();
    leader.run(&[
        "flow",
        "delegate",
        "--to",
        "fgw-director",
        "--steps",
        "签发",
        "--from",
        &today,
        "--until",
        &today,
    ]);
    director.run(&["sync"]);
    director.sign_off(&id, "同意（代签）");

    let data = tempfile::tempdir().expect("leader's data dir");
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-flow-delegate.log",
        &[("GONGWEN_SERVER", url)],
    );
    let c = driver.launch(&app).await;
    log_in(&c, "fgw-leader").await;
    click(&c, "//a[normalize-space(.)='办文']").await;
    // Not his to do any more: the 在办 box has it (he took part, in his name).
    click(&c, "//*[@role='tab' and normalize-space(.)='在办']").await;
    wait_status(&c, "办文列表", REQUEST_TITLE).await;
    click(
        &c,
        &format!("//*[@aria-label='办文列表']//a[normalize-space(.)='{REQUEST_TITLE}']"),
    )
    .await;
    wait_status(&c, "办理状态", "待复核").await;
    let trail = wait_status(&c, "办理记录", "李华（由王强代）").await;
    assert!(trail.contains("同意（代签）"), "{trail:?}");
    save_screenshot(&c, "flow-delegated-sign-off.png").await;
    c.close().await.expect("end the session");
    drop(driver);
    drop(exchange);
}
