//! The real 公文桌 window, driven the way a clerk uses it: through tauri-driver and
//! WebKitWebDriver, finding elements by their visible Chinese labels, never by CSS class.
//!
//! Needs a display and a D-Bus session with an unlocked keyring (the app keeps its
//! exchange token there); `cargo xtask test` runs, after `npm ci && npm run build` in
//! ui/ and `cargo build -p gongwen-desk -p gongwen-cli -p gongwen-exchange`:
//! `dbus-run-session -- sh -c 'echo pw | gnome-keyring-daemon --unlock --components=secrets; exec "$@"' _ xvfb-run -a -s "-screen 0 1280x800x24" cargo test -p gongwen-e2e -- --test-threads=1`
//! with `GONGWEN_APP_BIN`, `GONGWEN_CLI_BIN` and `GONGWEN_EXCHANGE_BIN` pointing at the
//! three binaries in `$CARGO_TARGET_DIR/debug`.
//! tauri-driver comes from `cargo install --locked tauri-driver`; its output (and the
//! app's log) goes to `tests/output/tauri-driver-*.log`.

use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use gongwen_e2e::app::*;
use gongwen_e2e::dialogs::*;
use gongwen_e2e::notifications::NotificationWatch;
use gongwen_e2e::page::*;
use gongwen_e2e::seed::*;
use gongwen_e2e::server::*;

const TITLE: &str = "宿州市人民政府办公室关于开展冬季森林防火巡查的通知";

const BODY_LINES: [&str; 3] = [
    "为切实做好今冬明春森林防火工作，现将有关事项通知如下。",
    "一、压实巡护责任",
    "各地要落实护林员进山蹲守制度，做到火情早发现、早处置。",
];

const QUERY: &str = "蹲守";

const DATE_OF_ISSUE: &str = "2026年11月15日";

const NOTE: &str = "（联系人：张明，电话：0557-3021234）";

const BAD_NUMBER: &str = "宿政[2026]012号";

const GOOD_NUMBER: &str = "宿政〔2026〕12号";

#[tokio::test]
async fn a_draft_written_in_the_editor_survives_closing_and_is_found_by_search() {
    let app = app_binary();
    let data = tempfile::tempdir().expect("temp data dir");
    let driver = Driver::start(data.path(), "tauri-driver-draft.log");

    // --- First run: write a 通知 in the editor. ---
    let c = driver.launch(&app).await;
    find(
        &c,
        "//*[normalize-space(.)='暂无公文。点击“新建公文”开始起草。']",
    )
    .await;
    click(&c, &button("新建公文")).await;
    click(
        &c,
        "//*[@role='group' and @aria-label='文种']//button[normalize-space(.)='通知']",
    )
    .await;

    type_into(
        &c,
        "//textarea[@aria-label='发文机关标志']",
        "宿州市人民政府办公室文件",
    )
    .await;
    type_into(&c, "//input[@aria-label='标题']", TITLE).await;
    click(&c, &button("添加主送机关")).await;
    type_into(
        &c,
        "//input[@aria-label='主送机关']",
        &format!("各县、区人民政府{}", char::from(Key::Enter)),
    )
    .await;
    let enter = char::from(Key::Enter).to_string();
    type_into(
        &c,
        "//textarea[@aria-label='正文']",
        &BODY_LINES.join(&enter),
    )
    .await;
    assert_eq!(
        value_of(&c, "//textarea[@aria-label='正文']").await,
        BODY_LINES.join("\n"),
        "the 正文 field should hold exactly what was typed"
    );
    type_into(
        &c,
        "//textarea[@aria-label='发文机关署名']",
        "宿州市人民政府办公室",
    )
    .await;
    // 成文日期: typed as dates are often typed, fixed with one click to the 公文 form,
    // then changed with the calendar, which writes that form too.
    type_into(&c, "//input[@aria-label='成文日期']", "2026-11-25").await;
    let date_problems = "//*[@aria-label='成文日期的问题']";
    let date_fix = format!("{date_problems}//button[starts-with(normalize-space(.), '改为')]");
    wait_text_containing(&c, &date_fix, "2026年11月25日").await;
    click(&c, &date_fix).await;
    wait_gone(&c, date_problems).await;
    assert_eq!(
        value_of(&c, "//input[@aria-label='成文日期']").await,
        "2026年11月25日"
    );
    // The calendar's button for today's date says so (not naive-ui's 此刻, "this moment").
    click(&c, &button("选择成文日期")).await;
    wait_text_containing(&c, "//button[normalize-space(.)='今天']", "今天").await;
    let moment = c
        .find_all(Locator::XPath("//button[normalize-space(.)='此刻']"))
        .await
        .expect("find_all");
    assert!(moment.is_empty(), "the date panel offers 此刻");
    // As with a select (see `choose`), a press can reach the day whose click never comes;
    // the clerk sees the old date and picks again.
    let deadline = Instant::now() + WAIT;
    loop {
        click_in_popup(
            &c,
            &button("选择成文日期"),
            "//div[normalize-space(text())='15']",
        )
        .await;
        let settle = Instant::now() + Duration::from_secs(3);
        let mut shown = String::new();
        while Instant::now() < settle {
            shown = value_of(&c, "//input[@aria-label='成文日期']").await;
            if shown == DATE_OF_ISSUE {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if shown == DATE_OF_ISSUE {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "成文日期 shows {shown:?} after picking the 15th"
        );
        println!("成文日期 still shows {shown:?} after picking the 15th; again");
    }

    // A 发文字号 with square brackets and a leading zero: the problem shows under the field.
    type_into(&c, "//input[@aria-label='发文字号']", BAD_NUMBER).await;
    let problems = "//*[@aria-label='发文字号的问题']";
    wait_text_containing(&c, problems, "六角括号").await;
    save_screenshot(&c, "editor-problem.png").await;
    // "Beside the field": the nearest block holding both the input and the message holds
    // no other input.
    let shared =
        "//input[@aria-label='发文字号']/ancestor::*[.//*[@aria-label='发文字号的问题']][1]";
    let inputs = find(&c, shared)
        .await
        .find_all(Locator::XPath(".//input | .//textarea"))
        .await
        .expect("inputs near the message");
    assert_eq!(
        inputs.len(),
        1,
        "the 发文字号 problem is not next to its field"
    );

    // The suggested fix is offered and applied with one click.
    let fix = format!("{problems}//button[starts-with(normalize-space(.), '改为')]");
    assert_eq!(
        text_of(&c, &fix).await.trim(),
        format!("改为 {GOOD_NUMBER}")
    );
    click(&c, &fix).await;
    wait_gone(&c, problems).await;
    assert_eq!(
        value_of(&c, "//input[@aria-label='发文字号']").await,
        GOOD_NUMBER
    );

    // A last keystroke, then close at once, before the next autosave can run: saving
    // it is up to the close handler.
    type_into(&c, "//input[@aria-label='附注']", NOTE).await;
    let state = text_of(&c, "//*[@role='status' and @aria-label='保存状态']").await;
    println!("save indicator just before closing: {state}");
    close_app_window(c).await;
    // A clean close closes the store: its session marker goes, so the next start skips
    // the full corruption check.
    let deadline = Instant::now() + WAIT;
    loop {
        let markers: Vec<String> = fs::read_dir(data.path())
            .expect("read the data folder")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("gongwen.db.open-"))
            .collect();
        if markers.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the store was not closed cleanly: {markers:?} left behind"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // --- Second run, same data folder: the draft is there and searchable. ---
    let c = driver.launch(&app).await;
    find(&c, &format!("//a[normalize-space(.)='{TITLE}']")).await;
    type_into(&c, "//input[@aria-label='搜索公文']", QUERY).await;
    let hit = format!("//*[@aria-label='搜索结果']//button[.//mark[normalize-space(.)='{QUERY}']]");
    let hit_text = text_of(&c, &hit).await;
    assert!(
        hit_text.contains(TITLE),
        "search hit should show the title: {hit_text:?}"
    );
    assert!(
        hit_text.contains("正文"),
        "search hit should say it matched in 正文: {hit_text:?}"
    );
    save_screenshot(&c, "search.png").await;
    click(&c, &hit).await;

    let title = text_of(&c, "//article//h1").await;
    assert_eq!(title, TITLE);
    assert_eq!(
        text_of(&c, "//*[@aria-label='发文字号']").await,
        GOOD_NUMBER
    );
    let mut paragraphs = Vec::new();
    for p in c
        .find_all(Locator::XPath(
            "//*[@aria-label='正文' and not(self::textarea)]/p",
        ))
        .await
        .expect("body paragraphs")
    {
        paragraphs.push(p.text().await.expect("paragraph text"));
    }
    assert_eq!(
        paragraphs, BODY_LINES,
        "the read view shows one paragraph per line typed"
    );
    assert_eq!(text_of(&c, "//*[@aria-label='附注']").await, NOTE);
    assert_eq!(
        text_of(&c, "//*[@aria-label='成文日期']").await,
        DATE_OF_ISSUE
    );

    save_screenshot(&c, "window.png").await;
    c.close().await.expect("end the second session");
}

#[tokio::test]
async fn a_damaged_store_is_explained_in_the_window_and_kept() {
    let app = app_binary();
    let data = tempfile::tempdir().expect("temp data dir");
    let garbage = "这不是数据库：一段被截断的文件".repeat(200);
    fs::write(data.path().join("gongwen.db"), &garbage).expect("write a damaged store");
    let driver = Driver::start(data.path(), "tauri-driver-damaged.log");

    let c = driver.launch(&app).await;
    let alert = wait_text_containing(&c, "//*[@role='alert']", "本地数据库已损坏").await;
    assert!(alert.contains("无法打开本地公文库"), "alert: {alert:?}");
    // Nothing was deleted: the damaged file was moved aside with its bytes intact.
    let kept: Vec<_> = fs::read_dir(data.path())
        .expect("list data dir")
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("gongwen.db.corrupt")
        })
        .map(|e| fs::read_to_string(e.path()).expect("read the kept file"))
        .collect();
    assert_eq!(
        kept,
        vec![garbage],
        "the damaged store must be kept, unchanged"
    );

    save_screenshot(&c, "damaged-store.png").await;

    // 重新打开 starts an empty store in its place, and the clerk can work again.
    click(&c, &button("重新打开")).await;
    find(
        &c,
        "//*[normalize-space(.)='暂无公文。点击“新建公文”开始起草。']",
    )
    .await;
    assert!(data.path().join("gongwen.db").is_file());
    c.close().await.expect("end the session");
}

#[tokio::test]
async fn a_store_from_a_newer_version_is_refused_untouched() {
    let app = app_binary();
    let data = tempfile::tempdir().expect("temp data dir");
    let db = data.path().join("gongwen.db");
    {
        let conn = rusqlite::Connection::open(&db).expect("create a database");
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
            .expect("mark it as schema 99");
    }
    let before = fs::read(&db).expect("read the database");
    let driver = Driver::start(data.path(), "tauri-driver-newer.log");

    let c = driver.launch(&app).await;
    let alert = wait_text_containing(&c, "//*[@role='alert']", "更新版本的公文桌").await;
    assert!(alert.contains("请升级软件"), "alert: {alert:?}");
    c.close().await.expect("end the session");
    drop(driver);
    assert_eq!(
        fs::read(&db).expect("read again"),
        before,
        "the database must not change"
    );
}

async fn list_rows(c: &Client) -> usize {
    c.find_all(Locator::XPath("//*[@aria-label='公文列表']//tbody/tr"))
        .await
        .expect("list rows")
        .len()
}

/// Waits until the list says how many documents match, e.g. 共 61 件.
async fn wait_total(c: &Client, total: usize) {
    find(c, &format!("//*[normalize-space(.)='共 {total} 件']")).await;
}

#[tokio::test]
async fn the_list_pages_filters_and_marks_urgent_documents() {
    let app = app_binary();
    let data = tempfile::tempdir().expect("temp data dir");
    let total = seed_store(data.path(), 52);
    assert!(total > 50, "need more than one page");
    let driver = Driver::start(data.path(), "tauri-driver-list.log");
    let c = driver.launch(&app).await;

    // Newest first, 50 to a page.
    wait_total(&c, total).await;
    assert_eq!(list_rows(&c).await, 50);
    let first = text_of(&c, "//*[@aria-label='公文列表']//tbody/tr[1]").await;
    assert!(
        first.contains("特急") && first.contains("机密★"),
        "the newest document is 特急 and 机密, and says so: {first:?}"
    );
    save_screenshot(&c, "list.png").await;

    // The rest are on page 2.
    click(
        &c,
        "//*[@aria-label='公文列表']//*[normalize-space(text())='2']",
    )
    .await;
    let deadline = Instant::now() + WAIT;
    while list_rows(&c).await != total - 50 {
        assert!(
            Instant::now() < deadline,
            "page 2 should hold {} rows",
            total - 50
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Filter by 文种: only the 函.
    choose(&c, "按文种筛选", "函").await;
    wait_total(&c, 1).await;
    assert_eq!(list_rows(&c).await, 1);
    let row = text_of(&c, "//*[@aria-label='公文列表']//tbody/tr[1]").await;
    assert!(
        row.contains("宿州市信访局关于商请协助化解拖欠农民工工资信访积案的函"),
        "{row:?}"
    );

    // Filter by 状态 as well: no 函 is a draft.
    choose(&c, "按状态筛选", "草稿").await;
    wait_total(&c, 0).await;
    c.close().await.expect("end the session");
}

/// A fingerprint of what the first preview page shows (its pixels), to see it change.
async fn first_page_pixels(c: &Client) -> String {
    let value = c
        .execute(
            "const canvas = document.querySelector('[aria-label=\"第1页\"] canvas'); \
             return canvas ? canvas.toDataURL('image/png') : '';",
            vec![],
        )
        .await
        .expect("read the first preview page");
    value.as_str().unwrap_or_default().to_string()
}

/// The red that most red pixels of the first preview page have (the solid inside of the
/// header's characters and the separator line; their anti-aliased edges vary).
async fn preview_red(c: &Client) -> [u8; 3] {
    let value = c
        .execute(
            "const canvas = document.querySelector('[aria-label=\"第1页\"] canvas'); \
             const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data; \
             const counts = new Map(); \
             for (let i = 0; i < d.length; i += 4) { \
               if (d[i] > 180 && d[i] - d[i + 1] > 100) { \
                 const key = d[i] + ',' + d[i + 1] + ',' + d[i + 2]; \
                 counts.set(key, (counts.get(key) || 0) + 1); \
               } \
             } \
             let best = '', most = 0; \
             for (const [key, n] of counts) if (n > most) { best = key; most = n; } \
             return best;",
            vec![],
        )
        .await
        .expect("read the first preview page's pixels");
    parse_rgb(value.as_str().unwrap_or_default())
}

fn parse_rgb(text: &str) -> [u8; 3] {
    let parts: Vec<u8> = text
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect();
    match parts[..] {
        [r, g, b] => [r, g, b],
        _ => panic!("no red pixel found ({text:?})"),
    }
}

/// The red most red pixels have on page 1 of `pdf` as poppler (evince's engine) draws it.
fn viewer_red(pdf: &std::path::Path) -> [u8; 3] {
    let out = Command::new("pdftoppm")
        .args(["-r", "72", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .output()
        .expect("run pdftoppm (poppler-utils)");
    assert!(out.status.success(), "pdftoppm failed on {}", pdf.display());
    // Binary PPM: "P6\n<w> <h>\n255\n" then RGB triples.
    let ppm = out.stdout;
    let mut fields = 0;
    let mut start = 0;
    for (i, b) in ppm.iter().enumerate() {
        if b.is_ascii_whitespace() {
            fields += 1;
            if fields == 4 {
                start = i + 1;
                break;
            }
        }
    }
    let mut counts = std::collections::HashMap::new();
    for px in ppm[start..].chunks_exact(3) {
        if px[0] > 180 && px[0].saturating_sub(px[1]) > 100 {
            *counts.entry([px[0], px[1], px[2]]).or_insert(0usize) += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(rgb, _)| rgb)
        .unwrap_or_else(|| panic!("no red on page 1 of {}", pdf.display()))
}

#[tokio::test]
async fn the_preview_shows_the_typeset_pages_and_follows_typing() {
    // A draft (only a draft opens in the editor) whose 附件说明 and 版记 run onto page 2.
    const NOTICE: &str = "宿州市统计局关于开展2026年度统计执法“双随机”抽查工作的通知";
    let app = app_binary();
    let data = tempfile::tempdir().expect("temp data dir");
    seed_store(data.path(), 0);
    let driver = Driver::start(data.path(), "tauri-driver-preview.log");
    let c = driver.launch(&app).await;

    click(&c, &format!("//a[normalize-space(.)='{NOTICE}']")).await;
    click(&c, &button("编辑")).await;
    find(&c, "//input[@aria-label='标题']").await;
    click(&c, &button("预览")).await;

    // The real pages, one labelled sheet each, as many as the status line says.
    let preview = "//section[@aria-label='预览']";
    find(
        &c,
        &format!("{preview}//*[@role='img' and @aria-label='第1页']//canvas"),
    )
    .await;
    let state = wait_text_containing(
        &c,
        &format!("{preview}//*[@role='status' and @aria-label='预览状态']"),
        "更新于",
    )
    .await;
    let pages: usize = state
        .strip_prefix("共 ")
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("preview status should start with 共 N 页: {state:?}"));
    let sheets = c
        .find_all(Locator::XPath(&format!("{preview}//*[@role='img']")))
        .await
        .expect("preview sheets");
    assert_eq!(sheets.len(), pages, "one sheet per page: {state:?}");
    assert!(
        pages >= 2,
        "this 通知 with its 版记 runs over more than one page"
    );

    // No official 仿宋_GB2312 on this machine: the substitution is said, in Chinese.
    let notice = format!("{preview}//details[@aria-label='排版提示']");
    wait_text_containing(&c, &notice, "字体替换").await;
    click(&c, &format!("{notice}/summary")).await;
    let notes = wait_text_containing(&c, &notice, "仿宋_GB2312 未安装，使用").await;
    assert!(
        !notes.contains("not installed"),
        "English in the notice: {notes:?}"
    );

    // The red on screen, before typing changes anything; compared with the file below.
    let red_on_screen = preview_red(&c).await;
    // Typing a new title re-renders the page, without a click.
    let before = first_page_pixels(&c).await;
    assert!(before.len() > 1000, "the first page is drawn");
    type_into(&c, "//input[@aria-label='标题']", "（征求意见稿）").await;
    assert!(
        value_of(&c, "//input[@aria-label='标题']")
            .await
            .ends_with("（征求意见稿）"),
        "typing is never blocked by the preview"
    );
    let deadline = Instant::now() + WAIT;
    while first_page_pixels(&c).await == before {
        assert!(
            Instant::now() < deadline,
            "the preview did not re-render within {WAIT:?} of typing"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A long 正文 addition adds a page.
    let enter = char::from(Key::Enter).to_string();
    let more = vec![
        "各地要落实护林员进山蹲守制度，做到火情早发现、早处置。";
        20
    ]
    .join(&enter);
    click(&c, "//textarea[@aria-label='正文']").await;
    type_into(
        &c,
        "//textarea[@aria-label='正文']",
        &format!("{enter}{more}"),
    )
    .await;
    let next = pages + 1;
    find(
        &c,
        &format!("{preview}//*[@role='img' and @aria-label='第{next}页']"),
    )
    .await;

    save_screenshot(&c, "preview.png").await;

    // 导出PDF: the native save dialog, answered at the keyboard; the file is the PDF the
    // preview showed (its pages, its text).
    let sheets_xpath = format!("{preview}//*[@role='img' and starts-with(@aria-label, '第')]");
    let mut shown = 0;
    for _ in 0..50 {
        // The last keystrokes may still be re-rendering: wait until the count holds.
        let now = c
            .find_all(Locator::XPath(&sheets_xpath))
            .await
            .map_or(0, |s| s.len());
        if now == shown && now >= next {
            break;
        }
        shown = now;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let exported_dir = tempfile::tempdir().expect("export folder");
    let exported = exported_dir.path().join("导出的通知.pdf");
    click(&c, &button("导出PDF")).await;
    answer_file_dialog(&c, "导出PDF", &exported, "tauri-driver-preview.log").await;
    let deadline = Instant::now() + WAIT;
    while !exported.is_file() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let info = Command::new("pdfinfo")
        .arg(&exported)
        .output()
        .expect("run pdfinfo (poppler-utils)");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.lines()
            .any(|l| l.starts_with("Pages:") && l.ends_with(&format!(" {shown}"))),
        "the exported PDF has the {shown} pages the preview showed: {info}"
    );
    let text = Command::new("pdftotext")
        .arg(&exported)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("护林员"),
        "the exported PDF carries the body text"
    );
    // The preview's red (and 打印's, which prints those pages) is the red a PDF viewer
    // shows for the file's CMYK red, not pdf.js's orange.
    let red_in_viewer = viewer_red(&exported);
    let off = red_on_screen
        .iter()
        .zip(red_in_viewer)
        .map(|(a, b)| a.abs_diff(b))
        .max()
        .unwrap_or(0);
    assert!(
        off <= 8,
        "the preview shows red {red_on_screen:?}, a PDF viewer shows the exported file's red as {red_in_viewer:?}"
    );

    // 红头模板: choosing one writes its 发文机关标志.
    choose(&c, "红头模板", "宿州市人民政府").await;
    assert_eq!(
        value_of(&c, "//textarea[@aria-label='发文机关标志']").await,
        "宿州市人民政府文件"
    );
    // 行文方向 follows the 文种 … unless the clerk chose it by hand.
    let direction = "//*[@aria-label='行文方向']";
    choose(&c, "文种", "请示").await;
    let deadline = Instant::now() + WAIT;
    while !shown_in(&c, direction).await.contains("上行文") {
        assert!(Instant::now() < deadline, "行文方向 did not follow 请示");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    choose(&c, "行文方向", "平行文").await;
    choose(&c, "文种", "通报").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let kept = shown_in(&c, direction).await;
    assert!(
        kept.contains("平行文"),
        "a hand-set direction was replaced: {kept:?}"
    );
    c.close().await.expect("end the session");
}

// --- The exchange: dispatch in the window, receipt through the CLI of another unit. ---

const DISPATCHED: &str = "宿州市发展和改革委员会关于报送2026年第四季度重点项目进展情况的通知";

#[tokio::test]
async fn a_dispatch_is_queued_offline_delivered_and_signed_for_by_the_other_unit() {
    let app = app_binary();

    // A real exchange with the demo units and users.
    let mut exchange = DemoExchange::start("exchange-1.log");
    let url = exchange.url.clone();

    // The sender's store holds one draft of its own.
    let data = tempfile::tempdir().expect("app data dir");
    {
        use gongwen_core::{Body, DocKind, DocStatus, Document};
        let mut doc = Document::new(DocKind::Notice);
        doc.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
        doc.title = DISPATCHED.into();
        doc.main_recipients = vec!["市统计局".into()];
        doc.cc_recipients = vec!["埇桥区人民政府".into()];
        doc.issuer_signature = vec!["宿州市发展和改革委员会".into()];
        doc.date_of_issue = "2026年11月25日".into();
        doc.body = Body::from_text("请于12月5日前报送第四季度重点项目进展情况。");
        let mut store = gongwen_store::Store::open(data.path()).expect("open the sender's store");
        store
            .create_document(&doc, DocStatus::Draft)
            .expect("seed the draft");
    }

    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-exchange.log",
        &[("GONGWEN_SERVER", &url)],
    );
    let c = driver.launch(&app).await;

    // --- 登录: the dialog opens by itself with the server filled in. ---
    wait_still(&c, "//*[@aria-label='登录交换平台']").await;
    assert_eq!(value_of(&c, "//input[@aria-label='服务器地址']").await, url);
    wait_status(&c, "连接状态", "需要登录").await;
    type_into(&c, "//input[@aria-label='用户名']", "fgw-clerk").await;
    type_into(&c, "//input[@aria-label='密码']", DEMO_PASSWORD).await;
    save_screenshot(&c, "exchange-login.png").await;
    click(
        &c,
        &format!("//*[@aria-label='登录交换平台']{}", button("登录")),
    )
    .await;
    wait_gone(&c, "//*[@aria-label='登录交换平台']").await;
    wait_status(&c, "连接状态", "已连接").await;
    wait_status(&c, "当前用户", "宿州市发展和改革委员会").await;
    // The token is in the keyring, so nothing warns about keeping it in memory.
    let warnings = c
        .find_all(Locator::XPath("//*[contains(., '登录状态无法保存')]"))
        .await
        .expect("look for a keyring warning");
    assert!(
        warnings.is_empty(),
        "the keyring should have kept the token"
    );

    // --- The server goes away; the clerk dispatches anyway (offline first). ---
    exchange.stop();
    click(&c, &button("立即同步")).await;
    wait_status(&c, "连接状态", "离线").await;

    click(&c, &format!("//a[normalize-space(.)='{DISPATCHED}']")).await;
    click(&c, &button("分发")).await;
    wait_still(&c, "//*[@aria-label='分发公文']").await;
    send_to(&c, "宿州市统计局", "主送").await;
    send_to(&c, "埇桥区人民政府", "抄送").await;
    save_screenshot(&c, "exchange-dispatch-dialog.png").await;
    wait_status(&c, "分发范围", "主送 1 个单位，抄送 1 个单位").await;
    confirm_dispatch(&c).await;
    wait_status(&c, "分发状态", "待同步").await;
    wait_status(&c, "待同步数", "1").await;
    save_screenshot(&c, "exchange-pending.png").await;

    // The outbox (同步队列) lists it, waiting.
    click(&c, &button("同步队列")).await;
    let outbox = wait_text_containing(&c, "//*[@aria-label='同步队列' and .//li]", "待同步").await;
    save_screenshot(&c, "exchange-queue.png").await;
    assert!(
        outbox.contains("分发") && outbox.contains(DISPATCHED),
        "{outbox:?}"
    );
    // Closed with Escape, as from the keyboard.
    c.active_element()
        .await
        .expect("the focused element")
        .send_keys(&char::from(Key::Escape).to_string())
        .await
        .expect("press Escape");
    wait_gone(&c, "//*[@aria-label='同步队列' and .//li]").await;

    // --- The server is back: the queued dispatch goes out. ---
    exchange.restart("exchange-2.log");
    click(&c, &button("立即同步")).await;
    wait_status(&c, "分发状态", "已分发").await;
    wait_status(&c, "宿州市统计局的状态", "已送达").await;
    wait_status(&c, "埇桥区人民政府的状态", "已送达").await;
    wait_status(&c, "待同步数", "0").await;
    let table = text_of(&c, "//*[@aria-label='分发情况']").await;
    assert!(
        table.contains("主送") && table.contains("抄送"),
        "the table says 主送 and 抄送: {table:?}"
    );
    save_screenshot(&c, "exchange-delivered.png").await;

    // --- 市统计局 signs for it through the CLI, in its own data folder. ---
    let tjj = CliDesk::logged_in(&url, "tjj-clerk");
    tjj.run(&["sync"]);
    let inbox: serde_json::Value =
        serde_json::from_str(&tjj.run(&["inbox", "--json"])).expect("inbox as JSON");
    let items = inbox.as_array().expect("a list of received documents");
    assert_eq!(
        items.len(),
        1,
        "sz-tjj received exactly one document: {inbox}"
    );
    assert_eq!(items[0]["summary"]["title"], DISPATCHED);
    assert_eq!(items[0]["incoming"]["from"], "sz-fgw");
    assert_eq!(items[0]["incoming"]["role"], "main");
    let id = items[0]["summary"]["id"]
        .as_str()
        .expect("the document id")
        .to_string();
    tjj.run(&["ack", &id]);

    // --- The sender's window shows the receipt; 埇桥区 has not signed yet. ---
    wait_status(&c, "宿州市统计局的状态", "已签收").await;
    assert_eq!(
        text_of(&c, "//*[@aria-label='埇桥区人民政府的状态']").await,
        "已送达"
    );
    save_screenshot(&c, "exchange-acknowledged.png").await;
    c.close().await.expect("end the session");
    drop(driver);
    drop(exchange);
}

const RETURNED: &str = "宿州市发展和改革委员会关于商请提供2026年工业增加值数据的函";

const RETURN_REASON: &str = "所需数据由市工业和信息化局负责，请改送该局";

#[tokio::test]
async fn a_received_document_is_in_the_inbox_and_can_be_returned_with_a_reason() {
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-inbox.log");
    let url = exchange.url.clone();

    // 市发改委 sends a 函 to 市统计局 from the command line.
    let (fgw, id) = CliDesk::sent(&url, "fgw-clerk", "sz-tjj", |dir| seed_draft(dir, RETURNED));

    // 市统计局's clerk opens the app and logs in.
    let data = tempfile::tempdir().expect("app data dir");
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-inbox.log",
        &[("GONGWEN_SERVER", &url)],
    );
    let c = driver.launch(&app).await;
    log_in_at_the_keyboard(&c, "tjj-clerk").await;

    // --- 收文箱: from whom, 主送, 未签收. ---
    click(&c, "//a[normalize-space(.)='收文箱']").await;
    let row =
        format!("//*[@aria-label='收文列表']//tbody/tr[.//a[normalize-space(.)='{RETURNED}']]");
    let text = wait_text_containing(&c, &row, "未签收").await;
    assert!(
        text.contains("宿州市发展和改革委员会") && text.contains("主送"),
        "the inbox row says who sent it and how: {text:?}"
    );
    save_screenshot(&c, "exchange-inbox.png").await;

    // --- Opened read-only: no 编辑, but 签收 and 退回. ---
    click(&c, &format!("{row}//a")).await;
    let from = text_of(&c, "//*[@aria-label='来文信息']").await;
    assert!(from.contains("宿州市发展和改革委员会"), "{from:?}");
    // 主送 reads as the PDF prints it: the names joined by 、, ending in ：.
    assert_eq!(
        text_of(&c, "//p[@aria-label='主送机关']").await.trim(),
        "市统计局、市工业和信息化局："
    );
    find(&c, &button("签收")).await;
    assert!(
        c.find_all(Locator::XPath(&button("编辑")))
            .await
            .expect("look for 编辑")
            .is_empty(),
        "a received document is read-only"
    );
    // The sender's draft has format problems (no 发文字号 …); they are the sender's to
    // fix, so the recipient is not shown a 格式检查 banner it cannot act on.
    let sent = gongwen_store::Store::open(fgw.path())
        .and_then(|s| s.get(id))
        .expect("read the sent document")
        .expect("the sent document is in the sender's store");
    assert!(
        !gongwen_core::validate(&sent.document).is_empty(),
        "the seeded document should have format problems for this check to mean anything"
    );
    assert!(
        c.find_all(Locator::XPath("//*[contains(., '格式检查：')]"))
            .await
            .expect("look for 格式检查")
            .is_empty(),
        "a received document shows no format check"
    );
    click(&c, &button("退回")).await;
    type_into(&c, "//textarea[@aria-label='退回理由']", RETURN_REASON).await;
    click(&c, &button("确认退回")).await;
    wait_status(&c, "签收状态", "已退回").await;
    save_screenshot(&c, "exchange-returned.png").await;

    // --- The sender learns it, with the reason. ---
    fgw.run(&["sync"]);
    let deliveries = gongwen_store::Store::open(fgw.path())
        .expect("open the sender's store")
        .deliveries(id)
        .expect("read deliveries");
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(
        deliveries[0].status,
        gongwen_core::wire::DeliveryStatus::Returned
    );
    assert_eq!(deliveries[0].reason.as_deref(), Some(RETURN_REASON));

    // --- Next start: the token comes from the keyring; no password asked. ---
    close_app_window(c).await;
    let c = driver.launch(&app).await;
    wait_status(&c, "连接状态", "已连接").await;
    wait_status(&c, "当前用户", "宿州市统计局").await;
    assert!(
        c.find_all(Locator::XPath("//*[@aria-label='登录交换平台']"))
            .await
            .expect("look for the login dialog")
            .is_empty(),
        "a stored login must not ask for the password again"
    );

    // --- 退出登录 forgets the token: 需要登录 again. ---
    click_in_popup(&c, &button("退出登录"), &button("确认退出")).await;
    wait_status(&c, "连接状态", "需要登录").await;
    c.close().await.expect("end the session");
}

#[tokio::test]
async fn without_a_keyring_the_login_holds_for_this_run_only_and_says_so() {
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-nokeyring.log");
    let url = exchange.url.clone();

    // A session bus that does not exist: no Secret Service to keep the token.
    let data = tempfile::tempdir().expect("app data dir");
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-nokeyring.log",
        &[
            ("GONGWEN_SERVER", &url),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/gongwen-test-bus",
            ),
        ],
    );
    let c = driver.launch(&app).await;
    // Logging in works all the same, and the window says why the next start will ask
    // again.
    log_in_at_the_keyboard(&c, "yq-clerk").await;
    let warning =
        wait_text_containing(&c, "//*[@role='alert']", "登录状态无法保存到系统密钥环").await;
    assert!(warning.contains("每次启动需重新输入密码"), "{warning:?}");
    save_screenshot(&c, "exchange-no-keyring.png").await;
    // Nothing in the data folder holds the token: the only files are the store's, and
    // the folder's lock, which holds the app's process id and nothing else.
    for entry in fs::read_dir(data.path())
        .expect("list the data folder")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == gongwen_store::LOCK_FILE {
            let held = fs::read_to_string(entry.path()).expect("read the folder's lock");
            assert!(
                !held.is_empty() && held.chars().all(|ch| ch.is_ascii_digit()),
                "the folder's lock holds more than a process id: {held:?}"
            );
            continue;
        }
        assert!(
            name.starts_with("gongwen.db") || name == "attachments",
            "unexpected file in the data folder: {name}"
        );
    }

    // The next start asks for the password again.
    close_app_window(c).await;
    let c = driver.launch(&app).await;
    find(&c, "//*[@aria-label='登录交换平台']").await;
    assert_eq!(
        value_of(&c, "//input[@aria-label='用户名']").await,
        "yq-clerk",
        "the account is remembered, only the token is not"
    );
    wait_status(&c, "连接状态", "需要登录").await;
    c.close().await.expect("end the session");
}

#[tokio::test]
async fn a_refused_dispatch_shows_the_servers_reason_and_keeps_the_draft() {
    const SECRET: &str = "埇桥区人民政府关于重点目标安全防护情况的报告";
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-refused.log");
    let url = exchange.url.clone();

    // A draft at 埇桥区 whose 附件 name, typed by the clerk, has a path separator: the
    // server refuses it. (A document above the clerk's clearance is no longer a way to
    // get a refusal here: the store neither shows nor queues it; the server's own
    // clearance check is in crates/gongwen-exchange/tests/sync.rs.)
    let data = tempfile::tempdir().expect("app data dir");
    {
        use gongwen_core::{Attachment, Body, DocKind, DocStatus, Document};
        let mut doc = Document::new(DocKind::Report);
        // Complete but for what only the server checks (a document with validation
        // errors is not offered for 分发 at all).
        doc.issuer_mark = vec!["埇桥区人民政府文件".into()];
        doc.signers = vec!["王强".into()];
        doc.title = SECRET.into();
        doc.main_recipients = vec!["宿州市人民政府".into()];
        doc.body = Body::from_text("现将有关情况报告如下。");
        doc.issuer_signature = vec!["埇桥区人民政府".into()];
        doc.date_of_issue = "2026年11月25日".into();
        doc.attachments = vec![Attachment {
            name: "重点目标名单/汇总表".into(),
            sha256: None,
            file_name: None,
            size: None,
        }];
        let mut store = gongwen_store::Store::open(data.path()).expect("open the store");
        store
            .create_document(&doc, DocStatus::Draft)
            .expect("seed the draft");
    }
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-refused.log",
        &[("GONGWEN_SERVER", &url)],
    );
    let c = driver.launch(&app).await;
    log_in_at_the_keyboard(&c, "yq-clerk").await;

    click(&c, &format!("//a[normalize-space(.)='{SECRET}']")).await;
    click(&c, &button("分发")).await;
    wait_still(&c, "//*[@aria-label='分发公文']").await;
    send_to(&c, "宿州市人民政府办公室", "主送").await;
    confirm_dispatch(&c).await;

    // The server refuses; its reason is shown on the document and in the outbox.
    let alert = wait_text_containing(
        &c,
        "//*[@role='alert' and contains(., '分发被拒绝')]",
        "分发被拒绝",
    )
    .await;
    assert!(alert.contains("附件名"), "{alert:?}");
    wait_status(&c, "待同步数", "0").await;
    wait_gone(&c, "//*[@aria-label='分发公文']").await;
    click(&c, &button("同步队列")).await;
    let reason = text_of(&c, "//*[@aria-label='拒绝理由']").await;
    assert!(reason.contains("路径分隔符"), "{reason:?}");
    wait_still(&c, "//*[@aria-label='拒绝理由']").await;
    save_screenshot(&c, "exchange-refused.png").await;

    // 重新编辑: the draft is there as it was, and the refusal leaves the outbox.
    click(&c, &button("重新编辑")).await;
    let title = value_of(&c, "//input[@aria-label='标题']").await;
    assert_eq!(title, SECRET, "the draft is kept");
    wait_gone(&c, "//*[@aria-label='拒绝理由']").await;
    wait_still(&c, &button("同步队列")).await;
    click(&c, &button("同步队列")).await;
    find(&c, "//*[normalize-space(.)='没有待同步的操作']").await;
    c.close().await.expect("end the session");
}

const WITH_FILE: &str = "宿州市发展和改革委员会关于报送2026年第四季度重点项目清单的通知";

const FILE_NAME: &str = "2026年第四季度重点项目清单.csv";

#[tokio::test]
async fn an_attached_file_travels_with_the_dispatch_and_arrives_identical() {
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-attachment.log");
    let url = exchange.url.clone();

    // The file a clerk has on disk: ~300 KB, so it is uploaded in more than one piece.
    let files = tempfile::tempdir().expect("files dir");
    let original = files.path().join(FILE_NAME);
    let content: Vec<u8> = (0..300_000u32)
        .flat_map(|i| format!("{i},项目{}\n", i % 97).into_bytes())
        .take(300_000)
        .collect();
    fs::write(&original, &content).expect("write the file to attach");
    let expected_sha = gongwen_core::digest::sha256_hex(&content);

    // 市发改委's clerk, logged in beforehand (the app resumes the stored login).
    let data = tempfile::tempdir().expect("app data dir");
    let id = seed_draft(data.path(), WITH_FILE);
    cli_log_in(data.path(), &url, "fgw-clerk");
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-attachment.log",
        &[("GONGWEN_SERVER", &url)],
    );
    let c = driver.launch(&app).await;
    wait_status(&c, "连接状态", "已连接").await;

    // --- 编辑 → 添加附件文件…: the native dialog, answered at the keyboard. ---
    click(&c, &format!("//a[normalize-space(.)='{WITH_FILE}']")).await;
    click(&c, &button("编辑")).await;
    click(&c, &button("添加附件文件…")).await;
    answer_file_dialog(&c, "添加附件", &original, "tauri-driver-attachment.log").await;
    let listed = wait_text_containing(
        &c,
        "//*[@aria-label='附件文件']",
        "2026年第四季度重点项目清单",
    )
    .await;
    assert!(
        listed.contains(FILE_NAME) && listed.contains("293 KB"),
        "the file, its name and size are listed: {listed:?}"
    );
    let field = value_of(&c, "//textarea[@aria-label='附件']").await;
    assert_eq!(
        field, "2026年第四季度重点项目清单",
        "the 附件名称 is the file's name"
    );
    // The clerk renames it: the file stays with it.
    type_into(&c, "//textarea[@aria-label='附件']", "（汇总表）").await;
    let renamed =
        wait_text_containing(&c, "//*[@aria-label='附件文件']", "重点项目清单（汇总表）").await;
    assert!(
        renamed.contains(FILE_NAME),
        "a renamed attachment keeps its file: {renamed:?}"
    );
    save_screenshot(&c, "attachment-editor.png").await;

    // --- 完成 → 分发 to 市统计局. ---
    click(&c, &button("完成")).await;
    // The reading view's list, with 另存为 (the editor's has no buttons).
    let files_panel =
        wait_text_containing(&c, "//*[@aria-label='附件文件' and .//button]", FILE_NAME).await;
    assert!(files_panel.contains("另存为"), "{files_panel:?}");
    click(&c, &button("分发")).await;
    wait_still(&c, "//*[@aria-label='分发公文']").await;
    send_to(&c, "宿州市统计局", "主送").await;
    confirm_dispatch(&c).await;
    wait_status(&c, "宿州市统计局的状态", "已送达").await;
    save_screenshot(&c, "attachment-dispatched.png").await;

    // --- 另存为: a copy, byte for byte, where the clerk says. ---
    let copy = files.path().join("副本.csv");
    click(&c, &button("另存为…")).await;
    answer_file_dialog(&c, "另存附件", &copy, "tauri-driver-attachment.log").await;
    let deadline = Instant::now() + WAIT;
    while !copy.is_file() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        fs::read(&copy).expect("the saved copy"),
        content,
        "另存为 writes the file as attached"
    );
    c.close().await.expect("end the session");

    // --- 市统计局 pulls: the same file, checked by hash, in its own store. ---
    let tjj = CliDesk::logged_in(&url, "tjj-clerk");
    tjj.run(&["sync"]);
    let store = gongwen_store::Store::open(tjj.path()).expect("open 市统计局's store");
    let received = store
        .get(id)
        .expect("read the received document")
        .expect("市统计局 received the document");
    let attachment = &received.document.attachments[0];
    assert_eq!(attachment.name, "2026年第四季度重点项目清单（汇总表）");
    assert_eq!(attachment.sha256.as_deref(), Some(expected_sha.as_str()));
    assert_eq!(attachment.file_name.as_deref(), Some(FILE_NAME));
    let path = store
        .attachment_path(&expected_sha)
        .expect("the file was downloaded");
    assert_eq!(
        fs::read(path).expect("read the received file"),
        content,
        "the received file is the attached file, byte for byte"
    );
}

// --- Logged out means locked; nothing half-made leaves the desk (#14.1, #14.2). ---

const LOCKED_SECRET: &str = "宿州市发展和改革委员会关于做好重点项目安全保卫工作的通知";

#[tokio::test]
async fn logged_out_the_desk_is_locked_and_a_dispatch_queued_before_waits_for_the_next_login() {
    let app = app_binary();
    let mut exchange = DemoExchange::start("exchange-lock-1.log");
    let url = exchange.url.clone();

    // The desk holds a complete 秘密 通知 with one 附件, and a brand-new 函 (nothing filled in).
    let data = tempfile::tempdir().expect("app data dir");
    {
        use gongwen_core::{Attachment, Body, Classification, DocKind, DocStatus, Document};
        let mut doc = Document::new(DocKind::Notice);
        doc.classification = Classification::Confidential;
        doc.copy_number = "000007".into();
        doc.secrecy_term = "5年".into();
        doc.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
        doc.title = LOCKED_SECRET.into();
        doc.main_recipients = vec!["市统计局".into()];
        doc.body = Body::from_text("请按附件所列重点项目落实安全保卫措施。");
        doc.attachments = vec![Attachment {
            name: "重点项目名单".into(),
            ..Default::default()
        }];
        doc.issuer_signature = vec!["宿州市发展和改革委员会".into()];
        doc.date_of_issue = "2026年11月25日".into();
        // Imported (as `gongwen import` does) before anyone has logged in here.
        let mut store = gongwen_store::Store::open(data.path()).expect("open the store");
        store
            .import(&[
                (doc, DocStatus::Draft),
                (Document::new(DocKind::Letter), DocStatus::Draft),
            ])
            .expect("seed the 秘密 draft and the blank 函");
    }
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-lock.log",
        &[("GONGWEN_SERVER", &url)],
    );
    let c = driver.launch(&app).await;
    let secret_link = format!("//a[normalize-space(.)='{LOCKED_SECRET}']");
    let blank_link = "//a[normalize-space(.)='（无标题）']";

    // --- Nobody logged in yet: the 秘密 draft is not listed; the 函 offers no 分发. ---
    wait_still(&c, "//*[@aria-label='登录交换平台']").await;
    click(
        &c,
        &format!("//*[@aria-label='登录交换平台']{}", button("取消")),
    )
    .await;
    wait_gone(&c, "//*[@aria-label='登录交换平台']").await;
    find(&c, blank_link).await;
    assert!(
        c.find_all(Locator::XPath(&secret_link))
            .await
            .expect("look for the 秘密 draft")
            .is_empty(),
        "a 秘密 document is listed with nobody logged in"
    );
    click(&c, blank_link).await;
    find(&c, &button("编辑")).await;
    assert!(
        c.find_all(Locator::XPath(&button("分发")))
            .await
            .expect("look for 分发")
            .is_empty(),
        "分发 is offered with nobody logged in"
    );
    save_screenshot(&c, "lock-logged-out.png").await;
    click(&c, &button("返回列表")).await;

    // --- 市发改委's clerk logs in: the 函 without title cannot be dispatched, and says why. ---
    click(
        &c,
        &format!("//*[@aria-label='同步状态栏']{}", button("登录")),
    )
    .await;
    log_in_at_the_keyboard(&c, "fgw-clerk").await;
    click(&c, blank_link).await;
    let reason = text_of(&c, "//*[@aria-label='不能分发的原因']").await;
    assert!(reason.contains("格式错误"), "{reason:?}");
    let dispatch = find(&c, &button("分发")).await;
    assert_eq!(
        dispatch
            .attr("disabled")
            .await
            .expect("read disabled")
            .as_deref(),
        Some("true"),
        "分发 of a document with errors is disabled"
    );
    save_screenshot(&c, "lock-incomplete-letter.png").await;
    click(&c, &button("返回列表")).await;

    // --- The 秘密 通知: the dialog confirms what goes and names the unit nobody may read it at. ---
    wait_still(&c, &secret_link).await;
    // Offline now, so the 分发 stays in the 同步队列 when the clerk leaves.
    exchange.stop();
    click(&c, &button("立即同步")).await;
    wait_status(&c, "连接状态", "离线").await;
    click(&c, &secret_link).await;
    click(&c, &button("分发")).await;
    wait_still(&c, "//*[@aria-label='分发公文']").await;
    let named = text_of(&c, "//*[@aria-label='埇桥区人民政府不能分发的原因']").await;
    assert!(named.contains("没有可以阅知秘密公文的账号"), "{named:?}");
    let yq_main = find(
        &c,
        "//*[@role='radiogroup' and @aria-label='埇桥区人民政府']//input[@value='main']",
    )
    .await;
    assert_eq!(
        yq_main
            .attr("disabled")
            .await
            .expect("read disabled")
            .as_deref(),
        Some("true"),
        "a unit nobody may read it at cannot be chosen"
    );
    send_to(&c, "宿州市统计局", "主送").await;
    wait_status(&c, "主送单位", "宿州市统计局").await;
    wait_status(&c, "分发密级", "秘密").await;
    wait_status(&c, "附件数", "1 个").await;
    save_screenshot(&c, "lock-dispatch-confirmation.png").await;
    confirm_dispatch(&c).await;
    wait_status(&c, "分发状态", "待同步").await;

    // --- 退出登录: the 秘密 draft is gone from the list. ---
    click(&c, &button("返回列表")).await;
    click_in_popup(&c, &button("退出登录"), &button("确认退出")).await;
    wait_status(&c, "连接状态", "需要登录").await;
    wait_gone(&c, &secret_link).await;
    click(&c, blank_link).await;
    find(&c, &button("编辑")).await;
    assert!(
        c.find_all(Locator::XPath(&button("分发")))
            .await
            .expect("look for 分发")
            .is_empty(),
        "分发 is offered after 退出登录"
    );
    click(&c, &button("返回列表")).await;
    find(&c, blank_link).await;

    // --- The leader logs in on this desk: the clerk's 分发 is shown, not sent, until confirmed. ---
    exchange.restart("exchange-lock-2.log");
    click(
        &c,
        &format!("//*[@aria-label='同步状态栏']{}", button("登录")),
    )
    .await;
    wait_still(&c, "//*[@aria-label='登录交换平台']").await;
    // The dialog offers the clerk's name again: the leader types over it.
    let erase = format!(
        "{}{}",
        char::from(Key::End),
        char::from(Key::Backspace).to_string().repeat(20)
    );
    type_into(&c, "//input[@aria-label='用户名']", &erase).await;
    assert_eq!(value_of(&c, "//input[@aria-label='用户名']").await, "");
    log_in_at_the_keyboard(&c, "fgw-leader").await;
    let waiting = wait_text_containing(&c, "//*[@aria-label='待确认的操作']", LOCKED_SECRET).await;
    assert!(
        waiting.contains("fgw-clerk"),
        "says whose it was: {waiting:?}"
    );
    save_screenshot(&c, "lock-confirm-after-login.png").await;
    // 已连接: a round has run since the login, and the 分发 is still waiting.
    wait_status(&c, "待同步数", "1").await;
    click(
        &c,
        &format!(
            "//*[@aria-label='确认待同步的操作']{}",
            button("以本人名义发送")
        ),
    )
    .await;
    wait_gone(&c, "//*[@aria-label='确认待同步的操作']").await;
    wait_status(&c, "待同步数", "0").await;
    click(&c, &secret_link).await;
    wait_status(&c, "分发状态", "已分发").await;
    wait_status(&c, "宿州市统计局的状态", "已送达").await;
    c.close().await.expect("end the session");
    drop(driver);
    drop(exchange);
}

const REQUEST_TITLE: &str =
    "宿州市发展和改革委员会关于申请安排2027年市级重点项目前期工作经费的请示";

/// The leader on the train: the document was reviewed at the office (through the CLI,
/// as the clerk's and the director's desks); the leader's laptop loses the exchange,
/// he reads the trail, writes 同意 and 签发s offline (待同步); when the exchange is back
/// the sign-off reaches it, and after the clerk's 编号 his window shows the real 发文字号.
#[tokio::test]
async fn a_leader_signs_off_offline_and_the_sign_off_reaches_the_exchange() {
    let app = app_binary();
    let mut exchange = DemoExchange::start("exchange-flow-1.log");
    let url = exchange.url.clone();

    // At the office: the clerk drafts and 送审s, the director 核稿s on to 签发.
    let (clerk, _director, id) = CliDesk::request_at_sign_off(&url, "normal");

    // The leader's laptop.
    let data = tempfile::tempdir().expect("leader's data dir");
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-flow.log",
        &[("GONGWEN_SERVER", &url)],
    );
    let c = driver.launch(&app).await;
    wait_still(&c, "//*[@aria-label='登录交换平台']").await;
    type_into(&c, "//input[@aria-label='用户名']", "fgw-leader").await;
    type_into(&c, "//input[@aria-label='密码']", DEMO_PASSWORD).await;
    click(
        &c,
        &format!("//*[@aria-label='登录交换平台']{}", button("登录")),
    )
    .await;
    wait_gone(&c, "//*[@aria-label='登录交换平台']").await;
    wait_status(&c, "连接状态", "已连接").await;
    // 办文 → 待办: the request waits for him there.
    click(&c, "//a[normalize-space(.)='办文']").await;
    let todo = wait_status(&c, "办文列表", REQUEST_TITLE).await;
    assert!(todo.contains("待签发"), "{todo:?}");
    click(
        &c,
        &format!("//*[@aria-label='办文列表']//a[normalize-space(.)='{REQUEST_TITLE}']"),
    )
    .await;
    wait_status(&c, "办理状态", "待签发").await;
    let trail = wait_status(&c, "办理记录", "核稿同意，请签发").await;
    assert!(trail.contains("王强"), "the reviewer is named: {trail:?}");

    // The train leaves the network.
    exchange.stop();
    click(&c, &button("立即同步")).await;
    wait_status(&c, "连接状态", "离线").await;
    type_into(&c, "//textarea[@aria-label='办理意见']", "同意").await;
    click(
        &c,
        &format!("//*[@aria-label='办理操作']{}", button("签发")),
    )
    .await;
    wait_status(&c, "办理同步状态", "待同步").await;
    wait_status(&c, "待同步数", "1").await;
    assert_eq!(text_of(&c, "//*[@aria-label='办理状态']").await, "待签发");
    save_screenshot(&c, "flow-signed-offline.png").await;

    // Back on the network: the sign-off reaches the exchange.
    exchange.restart("exchange-flow-2.log");
    click(&c, &button("立即同步")).await;
    wait_status(&c, "办理状态", "待复核").await;
    wait_status(&c, "待同步数", "0").await;
    let trail = wait_status(&c, "办理记录", "同意").await;
    assert!(trail.contains("李华"), "the signer is named: {trail:?}");

    // The clerk 复核s and 编号s; the leader's copy shows the real 发文字号.
    clerk.run(&["flow", "next", &id]);
    clerk.run(&["flow", "next", &id]);
    click(&c, &button("立即同步")).await;
    wait_status(&c, "办理单文号", "宿发改〔2026〕1号").await;
    wait_status(&c, "办理状态", "待用印").await;
    // The reading view shows the numbered version, not the provisional mark.
    wait_status(&c, "发文字号", "宿发改〔2026〕1号").await;
    save_screenshot(&c, "flow-numbered.png").await;
    c.close().await.expect("end the session");
    drop(driver);
    drop(exchange);
}

#[tokio::test]
async fn the_handling_sheet_of_a_signed_request_is_shown_and_can_be_printed() {
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-sheet.log");
    let url = exchange.url.clone();

    // The office, by the command line: 送审, 核稿 sends it back with a reason, 送审
    // again, 核稿 on to 签发, the leader signs with 公开属性.
    let clerk = CliDesk::logged_in(&url, "fgw-clerk");
    let director = CliDesk::logged_in(&url, "fgw-director");
    let leader = CliDesk::logged_in(&url, "fgw-leader");
    let id = clerk.import("request.toml", &request_draft("normal"));
    clerk.run(&["flow", "next", &id]);
    director.run(&[
        "flow",
        "return",
        &id,
        "--to",
        "draft",
        "--reason",
        "请补充测算依据",
    ]);
    clerk.run(&["sync"]);
    clerk.run(&["flow", "next", &id]);
    director.review_on_to_sign_off(&id, "核稿同意，请签发");
    leader.sign_off(&id, "同意");

    // The clerk's desk: the request waits for 复核 in 办文 → 待办.
    let data = tempfile::tempdir().expect("clerk's desk");
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-sheet.log",
        &[("GONGWEN_SERVER", &url)],
    );
    let c = driver.launch(&app).await;
    wait_still(&c, "//*[@aria-label='登录交换平台']").await;
    type_into(&c, "//input[@aria-label='用户名']", "fgw-clerk").await;
    type_into(&c, "//input[@aria-label='密码']", DEMO_PASSWORD).await;
    click(
        &c,
        &format!("//*[@aria-label='登录交换平台']{}", button("登录")),
    )
    .await;
    wait_gone(&c, "//*[@aria-label='登录交换平台']").await;
    wait_status(&c, "连接状态", "已连接").await;
    click(&c, "//a[normalize-space(.)='办文']").await;
    wait_status(&c, "办文列表", REQUEST_TITLE).await;
    click(
        &c,
        &format!("//*[@aria-label='办文列表']//a[normalize-space(.)='{REQUEST_TITLE}']"),
    )
    .await;
    wait_status(&c, "办理状态", "待复核").await;

    // 打印办理单: the 发文稿纸 on one page in the preview.
    click(&c, &button("打印办理单")).await;
    wait_status(&c, "办理单页数", "共 1 页").await;
    wait_still(&c, "//*[@aria-label='办理单第1页']").await;
    save_screenshot(&c, "handling-sheet.png").await;
    let shown = text_of(&c, "//*[@aria-label='办理单页数']").await;
    assert!(!shown.contains("精简"), "{shown:?}");
    // 精简 draws it again, still one page, with nothing said against it.
    click(&c, "//*[@aria-label='精简']").await;
    wait_status(&c, "办理单页数", "共 1 页（精简）").await;
    wait_still(&c, "//*[@aria-label='办理单第1页']").await;
    assert!(
        c.find_all(Locator::XPath(
            "//*[@aria-label='办理单预览']//*[@role='alert']"
        ))
        .await
        .expect("look for errors")
        .is_empty(),
        "the sheet could not be made"
    );
    save_screenshot(&c, "handling-sheet-brief.png").await;
    c.close().await.expect("end the session");
    drop(driver);
    drop(exchange);
}

const ARRIVING: &str = "宿州市发展和改革委员会关于报送今冬明春防汛物资储备情况的通知";

#[tokio::test]
async fn an_arrival_is_counted_notified_and_listed_without_a_click() {
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-arrivals.log");
    let url = exchange.url.clone();
    let notifications = NotificationWatch::start("notifications-arrivals.log");

    // 市统计局's clerk has the app open on an empty 公文列表.
    let data = tempfile::tempdir().expect("app data dir");
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-arrivals.log",
        &[("GONGWEN_SERVER", &url)],
    );
    let c = driver.launch(&app).await;
    log_in_at_the_keyboard(&c, "tjj-clerk").await;
    find(
        &c,
        "//*[normalize-space(.)='暂无公文。点击“新建公文”开始起草。']",
    )
    .await;
    assert!(
        c.find_all(Locator::XPath("//*[@aria-label='未读收文']"))
            .await
            .expect("look for the unread count")
            .is_empty(),
        "nothing has arrived yet"
    );

    // --- 市发改委 sends a 特急 通知 from the command line. ---
    let (_fgw, _) = CliDesk::sent(&url, "fgw-clerk", "sz-tjj", |dir| {
        let id = seed_draft(dir, ARRIVING);
        let mut store = gongwen_store::Store::open(dir).expect("open the sender's store");
        let mut doc = store.get(id).expect("read").expect("seeded").document;
        doc.urgency = gongwen_core::Urgency::Immediate;
        store.save_draft(id, &doc).expect("make it 特急");
        id
    });

    // --- Without a click: the open list shows it, 收文箱 counts it, the desktop is told. ---
    let row =
        format!("//*[@aria-label='公文列表']//tbody/tr[.//a[normalize-space(.)='{ARRIVING}']]");
    let text = wait_text_containing(&c, &row, "特急").await;
    assert!(
        text.contains("收文"),
        "the row says it was received: {text:?}"
    );
    wait_status(&c, "未读收文", "1").await;
    save_screenshot(&c, "arrivals-listed.png").await;
    let notice = notifications.wait_for("【特急】新收文：宿州市发展和改革委员会", 2);
    assert!(
        notice.contains(ARRIVING),
        "the notification names the document: {notice}"
    );

    // --- 收文箱 marks it 未读; opening it reads it and the count goes. ---
    click(&c, "//a[normalize-space(.)='收文箱']").await;
    let inbox_row =
        format!("//*[@aria-label='收文列表']//tbody/tr[.//a[normalize-space(.)='{ARRIVING}']]");
    wait_text_containing(&c, &inbox_row, "未读").await;
    save_screenshot(&c, "arrivals-inbox.png").await;
    click(&c, &format!("{inbox_row}//a")).await;
    find(&c, "//*[@aria-label='来文信息']").await;
    wait_gone(&c, "//*[@aria-label='未读收文']").await;
    click(&c, "//a[normalize-space(.)='收文箱']").await;
    let text = wait_text_containing(&c, &inbox_row, "未签收").await;
    assert!(!text.contains("未读"), "opened is read: {text:?}");
    save_screenshot(&c, "arrivals-read.png").await;
    c.close().await.expect("end the session");
}

/// The request fixture with another title and `status`, as `gongwen import` reads it.
fn request_as(title: &str, status: Option<&str>) -> String {
    let fixture = fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/request-with-signer.toml"),
    )
    .expect("request fixture");
    let text = fixture.replace(REQUEST_TITLE, title);
    match status {
        Some(status) => text.replace(
            "status = \"signed_off\"\n",
            &format!("status = \"{status}\"\n"),
        ),
        // A draft starts its flow with a provisional 发文字号, given at 编号.
        None => request_draft("normal").replace(REQUEST_TITLE, title),
    }
}

/// The buttons of the open document that are offered: 编辑 and 分发.
async fn offered(c: &Client) -> (bool, bool) {
    let edit = !c
        .find_all(Locator::XPath(&button("编辑")))
        .await
        .expect("look for 编辑")
        .is_empty();
    let dispatch = !c
        .find_all(Locator::XPath(&button("分发")))
        .await
        .expect("look for 分发")
        .is_empty();
    (edit, dispatch)
}

const IMPORTED_SENT: &str = "宿州市发展和改革委员会关于申请安排2027年市级重点项目储备经费的请示";
const IN_HANDLING: &str = "宿州市发展和改革委员会关于申请安排2027年市级重点项目评审经费的请示";

#[tokio::test]
async fn only_the_actions_the_store_and_server_allow_are_offered() {
    let app = app_binary();
    let exchange = DemoExchange::start("exchange-offered.log");
    let url = exchange.url.clone();

    // 市发改委's office takes a 请示 through 核稿 and 签发 (command line); it stands at 复核.
    let clerk = CliDesk::logged_in(&url, "fgw-clerk");
    let director = CliDesk::logged_in(&url, "fgw-director");
    let leader = CliDesk::logged_in(&url, "fgw-leader");
    let id = clerk.import("flow.toml", &request_as(IN_HANDLING, None));
    clerk.run(&["flow", "next", &id]);
    director.review_on_to_sign_off(&id, "核稿同意");
    leader.sign_off(&id, "同意");

    // The clerk's desk: a document imported from an older system, recorded as 已分发.
    let data = tempfile::tempdir().expect("app data dir");
    cli_import(
        data.path(),
        "sent.toml",
        &request_as(IMPORTED_SENT, Some("dispatched")),
    );
    let driver = Driver::start_with(
        data.path(),
        "tauri-driver-offered.log",
        &[("GONGWEN_SERVER", &url)],
    );
    let c = driver.launch(&app).await;
    log_in_at_the_keyboard(&c, "fgw-clerk").await;

    // --- Imported as 已分发: neither 编辑 nor 分发, and why. ---
    click(&c, &format!("//a[normalize-space(.)='{IMPORTED_SENT}']")).await;
    wait_status(&c, "不能编辑的原因", "已分发").await;
    assert_eq!(
        offered(&c).await,
        (false, false),
        "an imported 已分发 document"
    );
    save_screenshot(&c, "offered-imported-dispatched.png").await;

    // --- In the 发文 handling, signed and at 复核: neither, and it says when 分发 comes. ---
    click(&c, "//a[normalize-space(.)='公文列表']").await;
    click(&c, &format!("//a[normalize-space(.)='{IN_HANDLING}']")).await;
    wait_status(&c, "办理状态", "待复核").await;
    wait_status(&c, "不能编辑的原因", "已签发").await;
    let why = wait_status(&c, "不能分发的原因", "核发").await;
    assert!(why.contains("复核"), "{why:?}");
    assert_eq!(
        offered(&c).await,
        (false, false),
        "a signed document at 复核"
    );
    save_screenshot(&c, "offered-in-handling.png").await;
    c.close().await.expect("end the session");
}
