//! Drafts can be thrown away (#14.9), in the real window (see window.rs for how these
//! tests run): a 新建公文 made by mistake is 删除d from the list (asked first), is gone
//! from it, waits in the 回收站 with when and by whom, and comes back with 恢复; 彻底删除
//! asks too, and 取消 keeps it. A document that was sent offers no 删除.

use gongwen_e2e::app::*;
use gongwen_e2e::page::*;
use gongwen_e2e::seed::*;

/// The seeded 已分发 notice (tests/fixtures/notice.toml).
const SENT: &str = "宿州市人民政府办公室关于做好2026年冬季安全生产工作的通知";
const BLANK: &str = "（无标题）";

fn list_row(title: &str) -> String {
    format!("//*[@aria-label='公文列表']//tr[.//a[normalize-space(.)='{title}']]")
}

fn delete_button(title: &str) -> String {
    format!("//button[@aria-label='删除“{title}”']")
}

#[tokio::test]
async fn a_draft_made_by_mistake_is_deleted_and_restored_from_the_trash() {
    let app = app_binary();
    let data = tempfile::tempdir().expect("app data dir");
    seed_store(data.path(), 0);
    let driver = Driver::start(data.path(), "tauri-driver-trash.log");
    let c = driver.launch(&app).await;
    find(&c, &list_row(SENT)).await;

    // --- The mis-click: 新建公文 → 函 opens an empty draft; the clerk goes back. ---
    click(&c, &button("新建公文")).await;
    click(
        &c,
        "//*[@role='group' and @aria-label='文种']//button[normalize-space(.)='函']",
    )
    .await;
    find(&c, "//input[@aria-label='标题']").await;
    click(
        &c,
        "//nav[@aria-label='导航']//a[normalize-space(.)='公文列表']",
    )
    .await;
    find(&c, &list_row(BLANK)).await;

    // The new draft offers 删除; the sent notice, loaded with it, does not.
    find(&c, &delete_button(BLANK)).await;
    assert!(
        none_shown(&c, &format!("{}//button", list_row(SENT))).await,
        "a sent document offers a button in the list"
    );
    assert!(none_shown(&c, &delete_button(SENT)).await);
    save_screenshot(&c, "trash-list.png").await;

    // --- 删除 asks first; 取消 keeps it. ---
    let asked = "//*[@role='dialog' and .//*[normalize-space(.)='删除公文']]";
    click(&c, &delete_button(BLANK)).await;
    let question = wait_text_containing(&c, asked, "回收站").await;
    assert!(question.contains(BLANK), "{question:?}");
    click(&c, &format!("{asked}//button[normalize-space(.)='取消']")).await;
    wait_gone(&c, asked).await;
    find(&c, &list_row(BLANK)).await;

    // --- 删除: gone from the list, which says where it went. ---
    click(&c, &delete_button(BLANK)).await;
    click(&c, &format!("{asked}//button[normalize-space(.)='删除']")).await;
    wait_gone(&c, &list_row(BLANK)).await;
    wait_text_containing(&c, "//*[@aria-label='已删除的公文']", "移入回收站").await;
    find(&c, &list_row(SENT)).await;
    save_screenshot(&c, "trash-deleted.png").await;

    // --- 回收站: the draft, deleted by the logged-in clerk, kept 30 days. ---
    click(
        &c,
        "//nav[@aria-label='导航']//a[normalize-space(.)='回收站']",
    )
    .await;
    let trash_row = format!("//*[@aria-label='回收站']//tr[.//*[normalize-space(.)='{BLANK}']]");
    let row = wait_text_containing(&c, &trash_row, "张明").await;
    assert!(row.contains("函"), "{row:?}");
    assert!(
        none_shown(
            &c,
            &format!("//*[@aria-label='回收站']//tr[.//*[normalize-space(.)='{SENT}']]")
        )
        .await
    );
    save_screenshot(&c, "trash-view.png").await;

    // 彻底删除 asks; 取消 keeps it.
    let purge = "//*[@role='dialog' and .//*[normalize-space(.)='彻底删除'] and .//*[contains(., '不能恢复')]]";
    click(&c, &format!("//button[@aria-label='彻底删除“{BLANK}”']")).await;
    wait_text_containing(&c, purge, BLANK).await;
    click(&c, &format!("{purge}//button[normalize-space(.)='取消']")).await;
    wait_gone(&c, purge).await;
    find(&c, &trash_row).await;

    // --- 恢复: out of the 回收站, back in the list. ---
    click(&c, &format!("//button[@aria-label='恢复“{BLANK}”']")).await;
    wait_text_containing(&c, "//*[@aria-label='回收站操作结果']", "已恢复").await;
    wait_gone(&c, &trash_row).await;
    find(&c, "//*[normalize-space(.)='回收站是空的。']").await;
    click(
        &c,
        "//nav[@aria-label='导航']//a[normalize-space(.)='公文列表']",
    )
    .await;
    find(&c, &list_row(BLANK)).await;
    find(&c, &delete_button(BLANK)).await;
    save_screenshot(&c, "trash-restored.png").await;

    close_app_window(c).await;
}
