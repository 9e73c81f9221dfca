//! The keyboard as office users expect it (see window.rs for how these tests run):
//! Ctrl+F reaches search, ↑/↓ choose a result and Enter opens it, Enter alone shows all
//! results on a page, Ctrl+N starts a new document, and the editor starts in its first
//! empty field.

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use gongwen_e2e::app::*;
use gongwen_e2e::page::*;
use gongwen_e2e::seed::*;

const HITS: &str = "//*[@role='listbox' and @aria-label='搜索结果列表']/li";

fn ctrl(key: char) -> String {
    format!("{}{key}{}", char::from(Key::Control), char::from(Key::Null))
}

/// Waits until the focused element is the one labelled `label`.
async fn wait_focus(c: &Client, label: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let focused = c
            .execute(
                "const e = document.activeElement; return e ? e.getAttribute('aria-label') : null;",
                vec![],
            )
            .await
            .expect("read the focus");
        if focused.as_str() == Some(label) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the focus is on {focused:?}, not on {label}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_keyboard_reaches_search_results_a_new_document_and_the_first_field() {
    let app = app_binary();
    let data = tempfile::tempdir().expect("temp data dir");
    seed_store(data.path(), 30);
    let driver = Driver::start(data.path(), "tauri-driver-keyboard.log");
    let c = driver.launch(&app).await;
    find(&c, "//*[@aria-label='公文列表']//tbody/tr").await;

    // Ctrl+F: the search box, ready for typing.
    press(&c, &ctrl('f')).await;
    wait_focus(&c, "搜索公文").await;
    press(&c, "例行").await;
    find(&c, &format!("{HITS}[2]")).await;

    // ↓ ↓ chooses the second result, Enter opens it.
    let down = char::from(Key::Down).to_string();
    press(&c, &down.repeat(2)).await;
    let chosen = format!("{HITS}[@aria-selected='true']");
    let title = text_of(&c, &format!("{chosen}//*[contains(@class, 'hit-title')]")).await;
    let second = text_of(&c, &format!("{HITS}[2]//*[contains(@class, 'hit-title')]")).await;
    assert_eq!(title, second, "↓ twice chose the second result");
    press(&c, &char::from(Key::Enter).to_string()).await;
    wait_text_containing(&c, "//h1[contains(@class, 'doc-title')]", &title).await;

    // Enter with no result chosen: all 30 results on a page. Leaving the results
    // cleared the box (#14.11), so the clerk types the query again.
    press(&c, &ctrl('f')).await;
    wait_focus(&c, "搜索公文").await;
    assert_eq!(
        value_of(&c, "//input[@aria-label='搜索公文']").await,
        "",
        "the search box is cleared after leaving the results"
    );
    press(&c, "例行").await;
    find(&c, &format!("{HITS}[2]")).await;
    press(&c, &char::from(Key::Enter).to_string()).await;
    wait_status(&c, "结果数", "共 30 条").await;
    let listed = c
        .find_all(Locator::XPath("//*[@aria-label='全部搜索结果']//ol/li"))
        .await
        .expect("the results");
    assert_eq!(listed.len(), 30, "every result is on the page");

    // Ctrl+N: 新建公文 from anywhere; the editor starts in the first empty field.
    press(&c, &ctrl('n')).await;
    click(
        &c,
        "//*[@role='group' and @aria-label='文种']//button[normalize-space(.)='通知']",
    )
    .await;
    find(&c, "//input[@aria-label='标题']").await;
    wait_focus(&c, "发文机关标志").await;
    save_screenshot(&c, "keyboard-editor.png").await;
    c.close().await.expect("end the session");
}
