//! A large attachment arriving over a slow line: the status bar shows the download
//! moving, with bytes and time left, and then the document is there (see window.rs for
//! how these tests run).

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};

use gongwen_e2e::app::*;
use gongwen_e2e::dialogs::log_in_with_the_button;
use gongwen_e2e::page::*;
use gongwen_e2e::proxy::SlowProxy;
use gongwen_e2e::seed::*;
use gongwen_e2e::server::*;

const TITLE: &str = "宿州市发展和改革委员会关于报送项目图纸的通知";
const PROGRESS: &str = "//*[@role='progressbar' and @aria-label='传输进度']";

/// How far the download is (aria-valuenow) and what the bar says, if it is shown.
async fn progress(c: &Client) -> Option<(u32, String)> {
    let found = c.find_all(Locator::XPath(PROGRESS)).await.ok()?;
    let bar = found.first()?;
    let now = bar.attr("aria-valuenow").await.ok()??;
    let text = bar.attr("aria-valuetext").await.ok()??;
    Some((now.parse().ok()?, text))
}

#[tokio::test]
async fn a_large_attachment_arriving_shows_its_download_moving_in_the_status_bar() {
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-progress.log");

    // 市发改委 sends a 通知 with a 24 MB drawing to 市统计局.
    let size = 24 * 1024 * 1024;
    let (_fgw, _) = CliDesk::sent(&exchange.url, "fgw-clerk", "sz-tjj", |dir| {
        let id = seed_draft(dir, TITLE);
        let file = dir.join("项目图纸.pdf");
        let bytes: Vec<u8> = (0..size)
            .map(|i| (i as u32).wrapping_mul(2_654_435_761) as u8)
            .collect();
        std::fs::write(&file, &bytes).expect("write the drawing");
        let mut store = gongwen_store::Store::open(dir).expect("sender's store");
        store
            .add_attachment_file(id, "项目图纸", &file)
            .expect("attach the drawing");
        id
    });

    // 市统计局's clerk on a slow line (3 MB/s): about eight seconds of download.
    let line = SlowProxy::start(exchange.port, 3 * 1024 * 1024);
    let data = tempfile::tempdir().expect("recipient's data dir");
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-progress.log",
        &[("GONGWEN_SERVER", &line.url)],
    );
    let c = driver.launch(&app).await;
    // Not waiting for 已连接: the download starts with the first sync.
    log_in_with_the_button(&c, "tjj-clerk").await;

    // The bar appears with the file's size, then moves on.
    let text = wait_text_containing(&c, PROGRESS, "正在下载附件").await;
    assert!(text.contains("/ 24 MB"), "the size is told: {text:?}");
    let deadline = Instant::now() + WAIT;
    let mut first = None;
    let moved = loop {
        if let Some((now, text)) = progress(&c).await {
            match first {
                None => first = Some(now),
                Some(f) if now > f => break Some((f, now, text)),
                Some(_) => {}
            }
        }
        if Instant::now() > deadline {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    save_screenshot(&c, "download-progress.png").await;
    let (from, to, text) = moved.expect("the download bar never moved");
    assert!(from < to && to <= 100, "{from} → {to}");
    assert!(text.contains("约剩"), "the time left is told: {text:?}");

    // Done: the bar goes away and the document is in 收文箱 with its file.
    wait_gone(&c, PROGRESS).await;
    click(&c, "//a[normalize-space(.)='收文箱']").await;
    find(&c, &format!("//a[normalize-space(.)='{TITLE}']")).await;
    c.close().await.expect("end the session");
}
