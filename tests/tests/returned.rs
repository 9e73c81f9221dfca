//! A returned document is not a dead end (#14.3), in the real window (see window.rs
//! for how these tests run): 市发改委's clerk sends a 函 from the app, 市统计局 returns
//! it with a reason (through the CLI, in its own data folder), the clerk sees 已退回
//! with the reason (in the document, the list, the 状态 filter and a desktop
//! notification), 修改s it and 重新分发s it, and 市统计局 receives the new version as
//! a new arrival of the same document.

use std::fs;

use gongwen_e2e::app::*;
use gongwen_e2e::dialogs::*;
use gongwen_e2e::notifications::NotificationWatch;
use gongwen_e2e::page::*;
use gongwen_e2e::server::*;

const TITLE: &str = "宿州市发展和改革委员会关于商请提供重点项目统计数据的函";
const FIRST_BODY: &str = "请于12月5日前提供重点项目统计数据。";
const ADDED: &str = "统计口径以2026年度重点项目清单为准。";
const REASON: &str = "未写明统计口径，请补充后重新发送";

#[tokio::test]
async fn a_returned_document_is_revised_and_sent_again_to_the_unit_that_returned_it() {
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-returned.log");
    let url = exchange.url.as_str();
    let notifications = NotificationWatch::start("notifications-returned.log");

    // 市发改委's store holds a complete 函 of its own.
    let data = tempfile::tempdir().expect("app data dir");
    let id = {
        use gongwen_core::{Body, DocKind, DocStatus, Document};
        let mut doc = Document::new(DocKind::Letter);
        doc.issuer_mark = vec!["宿州市发展和改革委员会".into()];
        doc.doc_number = "宿发改函〔2026〕7号".into();
        doc.title = TITLE.into();
        doc.main_recipients = vec!["市统计局".into()];
        doc.issuer_signature = vec!["宿州市发展和改革委员会".into()];
        doc.date_of_issue = "2026年11月25日".into();
        doc.body = Body::from_text(FIRST_BODY);
        assert!(
            gongwen_core::workflow::check_complete(&doc).is_ok(),
            "the seeded 函 can be sent"
        );
        let mut store = gongwen_store::Store::open(data.path()).expect("open the sender's store");
        store
            .create_document(&doc, DocStatus::Draft)
            .expect("seed the draft")
            .id
    };
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-returned.log",
        &[("GONGWEN_SERVER", url)],
    );
    let c = driver.launch(&app).await;
    log_in_at_the_keyboard(&c, "fgw-clerk").await;

    // --- 分发 to 市统计局. ---
    click(&c, &format!("//a[normalize-space(.)='{TITLE}']")).await;
    click(&c, &button("分发")).await;
    wait_still(&c, "//*[@aria-label='分发公文']").await;
    send_to(&c, "宿州市统计局", "主送").await;
    confirm_dispatch(&c).await;
    click(&c, &button("立即同步")).await;
    wait_status(&c, "宿州市统计局的状态", "已送达").await;

    // --- 市统计局 returns it with a reason. ---
    let tjj = CliDesk::logged_in(url, "tjj-clerk");
    tjj.run(&["sync"]);
    tjj.run(&["return", &id.to_string(), "--reason", REASON]);

    // --- The clerk sees 已退回 and the reason, and is told on the desktop. ---
    click(&c, &button("立即同步")).await;
    let shown = wait_text_containing(&c, "//*[@aria-label='退回情况']", REASON).await;
    assert!(
        shown.contains("宿州市统计局") && shown.contains("tjj-clerk"),
        "who returned it: {shown:?}"
    );
    wait_status(&c, "宿州市统计局的状态", "已退回").await;
    let notice = notifications.wait_for("公文被退回：宿州市统计局", 3);
    assert!(
        notice.contains(TITLE) && notice.contains(REASON),
        "the notification names the document and the reason: {notice}"
    );
    save_screenshot(&c, "returned-reading.png").await;
    // Not offered: a plain 分发 to anyone; offered: 修改 and 重新分发.
    assert!(
        c.find_all(fantoccini::Locator::XPath(&button("分发")))
            .await
            .expect("look for 分发")
            .is_empty(),
        "only 重新分发 is offered"
    );
    find(&c, &button("重新分发")).await;

    // --- The list says 已退回, and the 状态 filter finds it. ---
    click(&c, &button("返回列表")).await;
    let row = format!("//*[@aria-label='公文列表']//tbody/tr[.//a[normalize-space(.)='{TITLE}']]");
    wait_text_containing(&c, &row, "已退回").await;
    choose(&c, "按状态筛选", "已退回").await;
    wait_text_containing(&c, &row, "已退回").await;
    save_screenshot(&c, "returned-list.png").await;
    choose(&c, "按状态筛选", "已分发").await;
    wait_gone(&c, &row).await;

    // --- 修改: a new version. ---
    choose(&c, "按状态筛选", "已退回").await;
    click(&c, &format!("{row}//a")).await;
    click(&c, &button("修改")).await;
    let body = "//textarea[@aria-label='正文']";
    assert_eq!(value_of(&c, body).await, FIRST_BODY);
    type_into(&c, body, ADDED).await;
    click(&c, &button("完成")).await;

    // --- 重新分发 to 市统计局, the unit that returned it. ---
    click(&c, &button("重新分发")).await;
    let dialog = wait_text_containing(&c, "//*[@aria-label='重新分发单位']", "宿州市统计局").await;
    assert!(dialog.contains("主送"), "{dialog:?}");
    save_screenshot(&c, "returned-redispatch.png").await;
    click(&c, &button("确认重新分发")).await;
    wait_gone(&c, "//*[@aria-label='重新分发' and not(self::button)]").await;
    click(&c, &button("立即同步")).await;
    wait_status(&c, "宿州市统计局的状态", "已送达").await;
    wait_status(&c, "分发状态", "已分发").await;
    wait_gone(&c, "//*[@aria-label='退回情况']").await;
    save_screenshot(&c, "returned-sent-again.png").await;

    // --- 市统计局 receives the new version as a new arrival of the same document. ---
    tjj.run(&["sync"]);
    let inbox: serde_json::Value =
        serde_json::from_str(&tjj.run(&["inbox", "--json"])).expect("inbox as JSON");
    let items = inbox.as_array().expect("a list of received documents");
    assert_eq!(
        items.len(),
        1,
        "the same document, not a second one: {inbox}"
    );
    assert_eq!(items[0]["summary"]["id"], id.to_string());
    assert_eq!(items[0]["incoming"]["status"], "delivered", "{inbox}");
    assert_eq!(items[0]["unread"], true, "a new arrival: {inbox}");
    let received = gongwen_store::Store::open(tjj.path())
        .and_then(|s| s.get(id))
        .expect("read the received document")
        .expect("市统计局 holds it");
    let text = received.document.body.to_text();
    assert!(
        text.contains(FIRST_BODY) && text.contains(ADDED),
        "the revised text arrived: {text:?}"
    );
    assert_eq!(received.version, 2, "the returned text stays as version 1");
    c.close().await.expect("end the session");
}

/// #14.13: a document imported as 已签发 (no handling) opens read-only, saying why, and
/// may still be 分发ed: what was signed is settled wherever the signing happened.
#[tokio::test]
async fn a_document_imported_as_signed_off_is_read_only_but_may_be_dispatched() {
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-signed-off.log");
    let url = exchange.url.as_str();
    let data = tempfile::tempdir().expect("app data dir");
    let fixture = fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/request-with-signer.toml"),
    )
    .expect("request fixture");
    assert!(
        fixture.contains("status = \"signed_off\"\n"),
        "the fixture is recorded as 已签发"
    );
    let id = cli_import(data.path(), "request.toml", &fixture);
    let title = gongwen_store::Store::open(data.path())
        .and_then(|s| s.get(id.parse().expect("an id")))
        .expect("read the imported document")
        .expect("imported")
        .document
        .title;
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-signed-off.log",
        &[("GONGWEN_SERVER", url)],
    );
    let c = driver.launch(&app).await;
    log_in_at_the_keyboard(&c, "fgw-clerk").await;
    click(&c, &format!("//a[normalize-space(.)='{title}']")).await;
    wait_status(&c, "不能编辑的原因", "已签发").await;
    find(&c, &button("分发")).await;
    assert!(
        c.find_all(fantoccini::Locator::XPath(&button("编辑")))
            .await
            .expect("look for 编辑")
            .is_empty(),
        "a 已签发 document is not offered for editing"
    );
    save_screenshot(&c, "signed-off-read-only.png").await;
    c.close().await.expect("end the session");
}
