//! 历史版本 in the real window (see window.rs for how these tests run): autosave keeps the
//! text without a new 版, 保存 makes one, two versions are compared with the changed
//! characters marked, and an old version comes back as a new one.

use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use gongwen_e2e::app::*;
use gongwen_e2e::page::*;
use gongwen_e2e::seed::*;

const TITLE: &str = "宿州市发展和改革委员会关于报送重点项目数据的通知";
/// The seeded draft's 正文 (`seed_draft`).
const FIRST: &str = "请于12月5日前报送有关数据。";
const ADDED: &str = "如有问题请及时联系。";
const SECOND: &str = "请于12月5日前报送有关数据。如有问题请及时联系。";
const THIRD: &str = "请于12月5日前报送有关数据。如有问题请及时沟通。";

const BODY: &str = "//textarea[@aria-label='正文']";
const VERSION_TAG: &str = "//*[@aria-label='版本']";

/// Waits until autosave has written what was typed: the indicator says 已保存 and the
/// version tag says the edits are not a version of their own.
async fn wait_autosaved(c: &Client, version: u32) {
    wait_status(c, "保存状态", "已保存").await;
    wait_text_containing(
        c,
        VERSION_TAG,
        &format!("第 {version} 版（有自动保存的修改）"),
    )
    .await;
}

/// Waits until the version tag shows exactly `第 N 版` (no autosaved edits beside it).
async fn wait_version(c: &Client, version: u32) {
    let want = format!("第 {version} 版");
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let shown = text_of(c, VERSION_TAG).await;
        if shown.trim() == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the version tag shows {shown:?}, not {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn versions_are_made_on_save_compared_with_marks_and_restored_as_new() {
    let app = app_binary();
    let data = tempfile::tempdir().expect("temp data dir");
    seed_draft(data.path(), TITLE);
    let driver = Driver::start(data.path(), "tauri-driver-versions.log");
    let c = driver.launch(&app).await;

    click(&c, &format!("//a[normalize-space(.)='{TITLE}']")).await;
    click(&c, &button("编辑")).await;
    assert_eq!(value_of(&c, BODY).await, FIRST);
    wait_version(&c, 1).await;

    // Typing is autosaved, and is no new version.
    type_into(&c, BODY, ADDED).await;
    wait_autosaved(&c, 1).await;
    // 保存: 第2版.
    click(&c, &button("保存")).await;
    wait_version(&c, 2).await;

    // Two characters struck, two typed: autosaved, then 保存 again (Ctrl+S).
    let backspace = char::from(Key::Backspace).to_string();
    type_into(&c, BODY, &format!("{}沟通。", backspace.repeat(3))).await;
    assert_eq!(value_of(&c, BODY).await, THIRD);
    wait_autosaved(&c, 2).await;
    let ctrl_s = format!("{}s{}", char::from(Key::Control), char::from(Key::Null));
    type_into(&c, BODY, &ctrl_s).await;
    wait_version(&c, 3).await;
    assert_eq!(value_of(&c, BODY).await, THIRD, "Ctrl+S typed nothing");

    // 完成 with nothing changed since: still 第3版.
    click(&c, &button("完成")).await;
    wait_text_containing(
        &c,
        "//*[@aria-label='正文' and not(self::textarea)]",
        "沟通",
    )
    .await;

    // --- 历史版本: three versions, newest first, who and why. ---
    click(&c, &button("历史版本")).await;
    let list = "//*[@aria-label='版本列表']";
    let rows = format!("{list}//li");
    find(&c, &format!("{rows}[@aria-label='第3版']")).await;
    let shown: Vec<String> = texts_shown(&c, &rows)
        .await
        .iter()
        .map(|t| t.trim().to_string())
        .collect();
    assert_eq!(
        shown.len(),
        3,
        "three versions, not one per autosave: {shown:?}"
    );
    assert!(shown[0].starts_with("第3版"), "newest first: {shown:?}");
    for (row, why) in shown.iter().zip(["保存", "保存", "新建"]) {
        assert!(row.contains("本机"), "author shown: {row:?}");
        assert!(row.contains(why), "reason {why} shown: {row:?}");
    }
    // 清稿: the current text.
    wait_text_containing(&c, "//*[@aria-label='清稿']", THIRD).await;

    // --- 比较 第2版 and 第3版: 联系 struck on the left, 沟通 marked on the right. ---
    click(&c, "//*[@role='checkbox' and @aria-label='选择第2版比较']").await;
    click(&c, "//*[@role='checkbox' and @aria-label='选择第3版比较']").await;
    click(&c, &button("比较所选两版")).await;
    let old_body = "//*[@aria-label='第2版·正文']";
    let new_body = "//*[@aria-label='第3版·正文']";
    let deleted = texts_shown(&c, &format!("{old_body}//del")).await;
    let deleted = if deleted.is_empty() {
        find(&c, &format!("{old_body}//del")).await;
        texts_shown(&c, &format!("{old_body}//del")).await
    } else {
        deleted
    };
    assert_eq!(deleted, ["联系"], "the characters taken out");
    assert_eq!(
        texts_shown(&c, &format!("{new_body}//ins")).await,
        ["沟通"],
        "the characters put in"
    );
    assert_eq!(text_of(&c, old_body).await, SECOND);
    assert_eq!(text_of(&c, new_body).await, THIRD);
    // Marked in the colour of the later version's author (本机), as its name is shown.
    let ins = find(&c, &format!("{new_body}//ins")).await;
    let colour = ins.css_value("color").await.expect("ins colour");
    let name_colour = find(
        &c,
        "//*[@aria-label='版本比较']//span[normalize-space(.)='本机']",
    )
    .await
    .css_value("color")
    .await
    .expect("author colour");
    assert_eq!(colour, name_colour, "marked in the author's colour");
    // Unchanged elements carry no marks.
    assert!(c
        .find_all(Locator::XPath(
            "//*[@aria-label='第3版·标题']//ins | //*[@aria-label='第2版·标题']//del"
        ))
        .await
        .expect("find_all")
        .is_empty());
    save_screenshot(&c, "versions-compare.png").await;

    // 显示修订: the marked-up text of every version over 第1版. 本机 wrote the sentence
    // in and changed its own words before anyone else read them, so no strike-out is
    // left (track changes' rule: one's own correction is no trace).
    click(&c, &button("显示修订")).await;
    find(
        &c,
        "//*[@aria-label='修订痕迹']//ins[normalize-space(.)='如有问题请及时沟通。' and @title='本机 插入']",
    )
    .await;
    assert!(texts_shown(&c, "//*[@aria-label='修订痕迹']//del")
        .await
        .is_empty());
    save_screenshot(&c, "versions-trail.png").await;

    // --- 恢复 第2版, after confirming: 第4版 with 第2版's text; nothing overwritten. ---
    click(&c, &button("恢复第2版")).await;
    let dialog = "//*[@role='dialog' and .//*[contains(normalize-space(.), '现有各版都会保留')]]";
    wait_still(&c, dialog).await;
    click(&c, &format!("{dialog}{}", button("恢复"))).await;
    find(&c, &format!("{rows}[@aria-label='第4版']")).await;
    let shown: Vec<String> = texts_shown(&c, &rows)
        .await
        .iter()
        .map(|t| t.trim().to_string())
        .collect();
    assert_eq!(shown.len(), 4, "{shown:?}");
    assert!(shown[0].contains("第2版的内容"), "{shown:?}");
    wait_text_containing(&c, "//*[@aria-label='清稿']", ADDED).await;
    save_screenshot(&c, "versions-restored.png").await;

    // The editor opens on the restored text.
    click(
        &c,
        "//*[@role='dialog' and .//*[@aria-label='版本列表']]//*[@aria-label='close']",
    )
    .await;
    wait_gone(&c, "//*[@aria-label='版本列表']").await;
    click(&c, &button("编辑")).await;
    wait_version(&c, 4).await;
    assert_eq!(value_of(&c, BODY).await, SECOND);
    c.close().await.expect("end the session");
}
