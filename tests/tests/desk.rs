//! The desk a clerk lives in (#14, points 10–12), in the real window (see window.rs for
//! how these tests run): the app knows the logged-in unit (a new draft names it, the
//! 红头模板 list offers its own, and no native tooltip covers the lists); a search hit opens at the
//! match, 返回 goes back where the clerk came from, 签收 is confirmed; an attached file
//! leaves only through its own 移除, confirmed and undoable.

use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use gongwen_e2e::app::*;
use gongwen_e2e::dialogs::*;
use gongwen_e2e::page::*;
use gongwen_e2e::server::*;

const FGW: &str = "宿州市发展和改革委员会";

fn enter() -> String {
    char::from(Key::Enter).to_string()
}

#[tokio::test]
async fn the_desk_knows_the_logged_in_unit() {
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-desk-unit.log");
    let url = exchange.url.as_str();
    let data = tempfile::tempdir().expect("app data dir");
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-desk-unit.log",
        &[("GONGWEN_SERVER", url)],
    );
    let c = driver.launch(&app).await;
    log_in_at_the_keyboard(&c, "fgw-clerk").await;
    // The status bar names the unit from the directory: the directory is here.
    wait_status(&c, "当前用户", FGW).await;

    // --- 新建公文 → 通知: the unit is written in, and nothing is red. ---
    click(&c, &button("新建公文")).await;
    click(
        &c,
        "//*[@role='group' and @aria-label='文种']//button[normalize-space(.)='通知']",
    )
    .await;
    find(&c, "//input[@aria-label='标题']").await;
    assert_eq!(
        value_of(&c, "//textarea[@aria-label='发文机关标志']").await,
        format!("{FGW}文件")
    );
    assert_eq!(
        value_of(&c, "//textarea[@aria-label='发文机关署名']").await,
        FGW
    );
    assert_eq!(
        value_of(&c, "//input[@aria-label='印发机关']").await,
        format!("{FGW}办公室")
    );
    let summary = wait_text_containing(&c, "//*[@aria-label='格式检查']", "项待填写").await;
    assert!(!summary.contains("错误"), "{summary:?}");
    let title = text_of(&c, "//*[@aria-label='标题的问题']").await;
    assert!(
        title.contains("待填写") && title.contains("缺少标题"),
        "{title:?}"
    );
    assert!(
        none_shown(
            &c,
            "//*[contains(@aria-label, '的问题')]//*[normalize-space(.)='错误']"
        )
        .await,
        "a blank draft shows an error the clerk did not make"
    );
    save_screenshot(&c, "desk-new-draft.png").await;

    // --- 红头模板: the unit's own templates, not the city government's. ---
    let template = "//form//*[@aria-label='红头模板']";
    click(&c, template).await;
    find(&c, &format!("//*[@role='option' and @aria-label='{FGW}']")).await;
    let mut offered = Vec::new();
    for option in c
        .find_all(Locator::XPath("//*[@role='option']"))
        .await
        .expect("the options")
    {
        offered.push(
            option
                .attr("aria-label")
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
        );
    }
    assert!(offered.contains(&format!("{FGW}（函）")), "{offered:?}");
    assert!(
        !offered.iter().any(|o| o.starts_with("宿州市人民政府")),
        "another unit's template is offered: {offered:?}"
    );
    save_screenshot(&c, "desk-templates.png").await;
    press(&c, &char::from(Key::Escape).to_string()).await;
    choose(&c, "红头模板", FGW).await;
    // No native tooltip (title) repeats the choice over the open list.
    for select in ["红头模板", "文种"] {
        assert!(
            none_shown(&c, &format!("//form//*[@aria-label='{select}']//*[@title]")).await,
            "the {select} select carries a native tooltip"
        );
    }

    c.close().await.expect("end the session");
}

const LONG_TITLE: &str = "宿州市发展和改革委员会关于做好秸秆综合利用工作的通知";
/// Only in the last paragraph, far below the first screen.
const PHRASE: &str = "离田补贴";

/// A complete 通知 from 市发改委 whose match lies at the end of a long 正文, seeded into
/// the store at `dir`.
fn seed_long_notice(dir: &std::path::Path) -> gongwen_core::DocumentId {
    use gongwen_core::{Body, DocKind, DocStatus, Document};
    let mut doc = Document::new(DocKind::Notice);
    doc.issuer_mark = vec![format!("{FGW}文件")];
    doc.title = LONG_TITLE.into();
    doc.main_recipients = vec!["宿州市统计局".into()];
    doc.issuer_signature = vec![FGW.into()];
    doc.date_of_issue = "2026年12月1日".into();
    let mut body = "各地要加快秸秆收储运体系建设，做好综合利用。\n".repeat(40);
    body.push_str(&format!("对秸秆{PHRASE}按每亩二十元标准执行。"));
    doc.body = Body::from_text(&body);
    gongwen_store::Store::open(dir)
        .and_then(|mut s| s.create_document(&doc, DocStatus::Draft))
        .expect("seed the notice")
        .id
}

/// Whether the element is inside the window's view (the page scrolled to it).
async fn in_view(c: &Client, xpath: &str) -> bool {
    let element = find(c, xpath).await;
    c.execute(
        "const r = arguments[0].getBoundingClientRect();
         return r.top >= 0 && r.bottom <= window.innerHeight;",
        vec![serde_json::to_value(&element).expect("element as JSON")],
    )
    .await
    .expect("measure the element")
    .as_bool()
    .unwrap_or(false)
}

#[tokio::test]
async fn the_desk_opens_a_search_hit_at_the_match_and_goes_back_where_the_clerk_came_from() {
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-desk-search.log");
    let url = exchange.url.as_str();
    let _fgw = CliDesk::sent(url, "fgw-clerk", "sz-tjj", seed_long_notice);

    let data = tempfile::tempdir().expect("app data dir");
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-desk-search.log",
        &[("GONGWEN_SERVER", url)],
    );
    let c = driver.launch(&app).await;
    log_in_at_the_keyboard(&c, "tjj-clerk").await;

    // --- From 收文箱, 返回 goes back to 收文箱. ---
    click(&c, "//a[normalize-space(.)='收文箱']").await;
    let row =
        format!("//*[@aria-label='收文列表']//tbody/tr[.//a[normalize-space(.)='{LONG_TITLE}']]");
    wait_text_containing(&c, &row, "未签收").await;
    click(&c, &format!("{row}//a")).await;
    click(&c, &button("返回收文箱")).await;
    find(&c, &row).await;

    // --- 签收 asks first; 取消 leaves it unsigned. ---
    click(&c, &format!("{row}//a")).await;
    click(&c, &button("签收")).await;
    let question = wait_text_containing(&c, "//*[@aria-label='签收确认']", "不能撤回").await;
    assert!(question.contains(FGW), "{question:?}");
    click(&c, &button("取消")).await;
    wait_gone(&c, "//*[@aria-label='签收确认']").await;
    assert_eq!(
        text_of(&c, "//*[@aria-label='签收状态']").await.trim(),
        "未签收"
    );
    click_in_popup(&c, &button("签收"), &button("确认签收")).await;
    wait_status(&c, "签收状态", "已签收").await;
    save_screenshot(&c, "desk-acknowledged.png").await;

    // --- A search hit opens at the match, marked; the box is cleared. ---
    click(&c, "//a[normalize-space(.)='公文列表']").await;
    type_into(&c, "//input[@aria-label='搜索公文']", PHRASE).await;
    let hit = format!(
        "//*[@role='listbox' and @aria-label='搜索结果列表']/li[.//*[normalize-space(.)='{LONG_TITLE}']]//button"
    );
    click(&c, &hit).await;
    let mark = format!("//article[@aria-label='公文正文']//mark[normalize-space(.)='{PHRASE}']");
    find(&c, &mark).await;
    // Wait for the scroll (it follows the render) rather than a fixed time.
    let deadline = std::time::Instant::now() + WAIT;
    while !in_view(&c, &mark).await {
        assert!(
            std::time::Instant::now() < deadline,
            "the match is marked but not scrolled into view"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(value_of(&c, "//input[@aria-label='搜索公文']").await, "");
    save_screenshot(&c, "desk-search-hit.png").await;

    // --- All results on a page: opening one leaves the results, and the box clears;
    //     返回 goes back to the results. ---
    type_into(
        &c,
        "//input[@aria-label='搜索公文']",
        &format!("{PHRASE}{}", enter()),
    )
    .await;
    let result = format!("//*[@aria-label='全部搜索结果']//a[normalize-space(.)='{LONG_TITLE}']");
    click(&c, &result).await;
    find(&c, &mark).await;
    assert_eq!(value_of(&c, "//input[@aria-label='搜索公文']").await, "");
    click(&c, &button("返回搜索结果")).await;
    find(&c, &result).await;
    c.close().await.expect("end the session");
}

#[tokio::test]
async fn the_desk_lets_an_attached_file_go_only_through_its_own_confirmed_remove() {
    use gongwen_core::{Body, DocKind, DocStatus, Document};
    const TITLE: &str = "宿州市发展和改革委员会关于报送重点项目清单的通知";
    const FILE_LINE: &str = "重点项目清单";
    let app = app_binary();
    let data = tempfile::tempdir().expect("app data dir");
    {
        let mut doc = Document::new(DocKind::Notice);
        doc.issuer_mark = vec![format!("{FGW}文件")];
        doc.title = TITLE.into();
        doc.main_recipients = vec!["各县、区发展改革委".into()];
        doc.issuer_signature = vec![FGW.into()];
        doc.date_of_issue = "2026年12月1日".into();
        doc.body = Body::from_text("请按附件要求报送。");
        doc.attachments = vec![gongwen_core::Attachment {
            name: "联系人名单".into(),
            ..Default::default()
        }];
        let file = data.path().join("清单.csv");
        std::fs::write(&file, "项目,进度\n宿马园区,80%\n").expect("write the file");
        let mut store = gongwen_store::Store::open(data.path()).expect("open the store");
        let id = store
            .create_document(&doc, DocStatus::Draft)
            .expect("seed the draft")
            .id;
        store
            .add_attachment_file(id, FILE_LINE, &file)
            .expect("attach the file");
    }
    let driver = Driver::start(data.path(), "tauri-driver-desk-files.log");
    let c = driver.launch(&app).await;
    click(&c, &format!("//a[normalize-space(.)='{TITLE}']")).await;
    click(&c, &button("编辑")).await;
    let files = "//ul[@aria-label='附件文件']";
    wait_text_containing(&c, files, "清单.csv").await;

    // --- The 附件 lines are retyped without the file's line: the file stays. ---
    let lines = "//textarea[@aria-label='附件']";
    // Selected whole (as a triple click does) and typed over.
    let field = find(&c, lines).await;
    c.execute(
        "arguments[0].focus(); arguments[0].select();",
        vec![serde_json::to_value(&field).expect("element as JSON")],
    )
    .await
    .expect("select the 附件 lines");
    type_into(&c, lines, "联系人名单").await;
    assert_eq!(value_of(&c, lines).await, "联系人名单");
    let kept = wait_text_containing(&c, files, "已无此行").await;
    assert!(kept.contains(FILE_LINE), "{kept:?}");
    save_screenshot(&c, "desk-file-kept.png").await;

    // --- 移除 asks; 取消 keeps the file. ---
    let remove = format!("//button[@aria-label='移除附件文件“{FILE_LINE}”']");
    let asked = "//*[@role='dialog' and .//*[normalize-space(.)='移除附件文件']]";
    click(&c, &remove).await;
    wait_text_containing(&c, asked, FILE_LINE).await;
    click(&c, &format!("{asked}//button[normalize-space(.)='取消']")).await;
    wait_gone(&c, asked).await;
    find(&c, &remove).await;

    // --- 移除, then 撤销: the file is back. ---
    click(&c, &remove).await;
    click(&c, &format!("{asked}//button[normalize-space(.)='移除']")).await;
    wait_gone(&c, &remove).await;
    wait_text_containing(&c, "//*[@aria-label='已移除的附件']", FILE_LINE).await;
    save_screenshot(&c, "desk-file-removed.png").await;
    click(&c, &button("撤销")).await;
    find(&c, &remove).await;

    // --- 移除 for good, and 完成: the saved document has no file, the other line stays. ---
    click(&c, &remove).await;
    click(&c, &format!("{asked}//button[normalize-space(.)='移除']")).await;
    wait_gone(&c, &remove).await;
    click(&c, &button("完成")).await;
    let note = text_of(&c, "//*[@aria-label='附件说明']").await;
    assert_eq!(note.trim(), "附件：联系人名单");
    assert!(
        none_shown(&c, files).await,
        "the removed file is still listed"
    );
    c.close().await.expect("end the session");
}

/// Whether the element has the keyboard focus (the clerk's cursor is in it).
async fn focused(c: &Client, xpath: &str) -> bool {
    let element = find(c, xpath).await;
    c.execute(
        "return document.activeElement === arguments[0];",
        vec![serde_json::to_value(&element).expect("element as JSON")],
    )
    .await
    .expect("ask where the focus is")
    .as_bool()
    .unwrap_or(false)
}

/// The names a tags field (主送机关, 抄送机关) holds, in order.
async fn tags_in(c: &Client, label: &str) -> Vec<String> {
    texts_shown(
        c,
        &format!("//*[@role='group' and @aria-label='{label}列表']//*[contains(@class, 'n-tag__content')]"),
    )
    .await
    .into_iter()
    .map(|t| t.trim().to_string())
    .collect()
}

/// Waits until the tags field holds exactly `expected`.
async fn wait_tags(c: &Client, label: &str, expected: &[&str]) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let tags = tags_in(c, label).await;
        if tags == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{label} holds {tags:?}, expected {expected:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The suggestions listed under a names field (主送机关, 抄送机关) now (the list is a
/// popover at the end of the page, not inside the field).
async fn suggested(c: &Client, label: &str) -> Vec<String> {
    let mut names = Vec::new();
    for option in c
        .find_all(Locator::XPath(&format!(
            "//*[@role='listbox' and @aria-label='{label}建议']//*[@role='option']"
        )))
        .await
        .expect("the suggestions")
    {
        if option.is_displayed().await.unwrap_or(false) {
            names.push(
                option
                    .attr("aria-label")
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
            );
        }
    }
    names
}

/// Waits until the list under a names field offers exactly `expected` (it follows each
/// key typed).
async fn wait_suggested(c: &Client, label: &str, expected: &[&str]) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let offered = suggested(c, label).await;
        if offered == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{label} offers {offered:?}, expected {expected:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Whether the suggestion `name` under the field `label` is drawn marked (the highlight
/// that says Enter takes it).
async fn looks_marked(c: &Client, label: &str, name: &str) -> bool {
    let option = find(
        c,
        &format!(
            "//*[@role='listbox' and @aria-label='{label}建议']//*[@role='option' and @aria-label='{name}']"
        ),
    )
    .await;
    let colour = c
        .execute(
            "return getComputedStyle(arguments[0], '::before').backgroundColor;",
            vec![serde_json::to_value(&option).expect("element as JSON")],
        )
        .await
        .expect("read the highlight");
    let colour = colour.as_str().unwrap_or_default();
    !(colour.is_empty() || colour == "transparent" || colour.ends_with(", 0)"))
}

#[tokio::test]
async fn the_desk_suggests_units_for_主送_keeps_the_cursor_and_分发_starts_with_the_named_units() {
    use gongwen_core::{Body, DocKind, DocStatus, Document};
    const TITLE: &str = "宿州市发展和改革委员会关于开展2026年度统计执法检查的通知";
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-desk-named.log");
    let url = exchange.url.as_str();
    let data = tempfile::tempdir().expect("app data dir");
    {
        // Complete but for 主送; 抄送 written by its 规范化简称, as offices do.
        let mut doc = Document::new(DocKind::Notice);
        doc.issuer_mark = vec![format!("{FGW}文件")];
        doc.title = TITLE.into();
        doc.issuer_signature = vec![FGW.into()];
        doc.date_of_issue = "2026年12月1日".into();
        doc.body = Body::from_text("请按照年度计划做好统计执法检查工作。");
        doc.cc_recipients = vec!["市档案馆".into()];
        let mut store = gongwen_store::Store::open(data.path()).expect("open the store");
        store
            .create_document(&doc, DocStatus::Draft)
            .expect("seed the draft");
    }
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-desk-named.log",
        &[("GONGWEN_SERVER", url)],
    );
    let c = driver.launch(&app).await;
    log_in_at_the_keyboard(&c, "fgw-clerk").await;
    // The directory has come with the first sync (the status bar names the unit by it).
    wait_status(&c, "当前用户", FGW).await;
    click(&c, &format!("//a[normalize-space(.)='{TITLE}']")).await;
    click(&c, &button("编辑")).await;

    // --- 主送: the full name 宿州市人民政府, typed, is taken as typed, though the
    //     directory's 宿州市人民政府办公室 is listed under it (#14.10). ---
    let field = "//input[@aria-label='主送机关']";
    click(&c, &button("添加主送机关")).await;
    type_into(&c, field, "宿州市人民政府").await;
    wait_suggested(&c, "主送机关", &["宿州市人民政府办公室"]).await;
    assert!(
        !looks_marked(&c, "主送机关", "宿州市人民政府办公室").await,
        "a suggestion looks chosen before the clerk picked it"
    );
    save_screenshot(&c, "desk-recipient-typed.png").await;
    press(&c, &enter()).await;
    wait_tags(&c, "主送机关", &["宿州市人民政府"]).await;

    // --- 统计 brings up the directory's 宿州市统计局; ↓ picks it, Enter takes it. ---
    assert!(focused(&c, field).await, "the cursor left 主送 after Enter");
    assert_eq!(value_of(&c, field).await, "");
    press(&c, "统计").await;
    wait_suggested(&c, "主送机关", &["宿州市统计局"]).await;
    press(&c, &char::from(Key::Down).to_string()).await;
    // ↓ marks the first suggestion (it does not skip it).
    let deadline = std::time::Instant::now() + WAIT;
    while !looks_marked(&c, "主送机关", "宿州市统计局").await {
        assert!(
            std::time::Instant::now() < deadline,
            "↓ did not mark 宿州市统计局"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    save_screenshot(&c, "desk-recipient-suggested.png").await;
    press(&c, &enter()).await;
    wait_tags(&c, "主送机关", &["宿州市人民政府", "宿州市统计局"]).await;

    // --- The cursor stayed: a name no unit has is typed on and taken as typed. ---
    assert!(focused(&c, field).await, "the cursor left 主送 after Enter");
    assert_eq!(value_of(&c, field).await, "");
    press(&c, &format!("各县、区人民政府{}", enter())).await;
    wait_tags(
        &c,
        "主送机关",
        &["宿州市人民政府", "宿州市统计局", "各县、区人民政府"],
    )
    .await;
    assert!(focused(&c, field).await, "the cursor left 主送 after Enter");

    // --- Neither our own unit nor one already named is offered; a click takes one. ---
    press(&c, "宿州市").await;
    wait_suggested(&c, "主送机关", &["宿州市档案馆", "宿州市人民政府办公室"]).await;
    let option = "//*[@role='option' and @aria-label='埇桥区人民政府']";
    press(&c, &char::from(Key::Escape).to_string()).await;
    click(&c, &button("添加主送机关")).await;
    type_into(&c, field, "埇桥").await;
    click(&c, option).await;
    wait_tags(
        &c,
        "主送机关",
        &[
            "宿州市人民政府",
            "宿州市统计局",
            "各县、区人民政府",
            "埇桥区人民政府",
        ],
    )
    .await;
    save_screenshot(&c, "desk-recipients.png").await;

    // --- 抄送: a 规范化简称 the directory knows is taken as typed too. ---
    click(&c, &button("添加抄送机关")).await;
    type_into(&c, "//input[@aria-label='抄送机关']", "市政府办公室").await;
    wait_suggested(&c, "抄送机关", &["宿州市人民政府办公室"]).await;
    press(&c, &enter()).await;
    wait_tags(&c, "抄送机关", &["市档案馆", "市政府办公室"]).await;
    click(&c, &button("完成")).await;

    // --- 分发 starts with the directory's units the lines name, by full name or short
    //     name; 宿州市人民政府 and 各县、区人民政府 are no unit of it. ---
    click(&c, &button("分发")).await;
    wait_still(&c, "//*[@aria-label='分发公文']").await;
    wait_text_containing(
        &c,
        "//*[@aria-label='主送单位']",
        "宿州市统计局、埇桥区人民政府",
    )
    .await;
    assert_eq!(
        text_of(&c, "//*[@aria-label='抄送单位']").await.trim(),
        "宿州市档案馆、宿州市人民政府办公室"
    );
    assert_eq!(
        text_of(&c, "//*[@aria-label='分发范围']").await.trim(),
        "主送 2 个单位，抄送 2 个单位"
    );
    for (unit, role) in [
        ("宿州市统计局", "主送"),
        ("埇桥区人民政府", "主送"),
        ("宿州市档案馆", "抄送"),
        ("宿州市人民政府办公室", "抄送"),
    ] {
        let class = find(
            &c,
            &format!(
                "//*[@role='radiogroup' and @aria-label='{unit}']//label[normalize-space(.)='{role}']"
            ),
        )
        .await
        .attr("class")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
        assert!(
            class.contains("n-radio-button--checked"),
            "{unit} does not start as {role}"
        );
    }
    save_screenshot(&c, "desk-dispatch-named.png").await;
    c.close().await.expect("end the session");
}
