//! One store, one writer; and a window that fits a 1366×768 laptop (issue #14, points 5
//! and 6). Each test does what the user did and looks at what they would see.
//!
//! Run like the other window tests (see `window.rs`), under the shared lock, and on the
//! laptop's screen with `cargo xtask window --screen 1366x768 FILTER`; `cargo xtask
//! test` runs them at 1280×800 and at 1366×768.

use std::fs;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::Client;

use gongwen_e2e::app::*;
use gongwen_e2e::page::*;
use gongwen_e2e::screen::*;
use gongwen_e2e::seed::*;

const TITLE: &str = "宿州市发展和改革委员会关于报送2026年第四季度经济运行数据的通知";

/// Long enough to take three lines in a 标题 column squeezed to ~220 px.
const LONG_TITLE: &str =
    "宿州市人民政府办公室关于印发宿州市2026年冬季森林防火巡查和野外用火管理工作方案的通知";

/// Waits until the app's log holds `line` (the app logs to the driver's log file).
async fn wait_logged(log_name: &str, line: &str) {
    let path = output_dir().join(log_name);
    let deadline = Instant::now() + WAIT;
    loop {
        if fs::read_to_string(&path).is_ok_and(|log| log.contains(line)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "tests/output/{log_name} does not say {line:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A process we started, killed if the test fails before it ends on its own.
struct Started(std::process::Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_second_start_on_the_same_data_folder_brings_the_window_forward() {
    let app = app_binary();
    let data = tempfile::tempdir().expect("temp data dir");
    seed_draft(data.path(), TITLE);
    let driver = Driver::start(data.path(), "tauri-driver-second-start.log");
    let c = driver.launch(&app).await;
    find(&c, &format!("//a[normalize-space(.)='{TITLE}']")).await;
    let (window, _) = window_rect("公文桌");

    // The clerk is in another program; then starts 公文桌 again, on the same folder.
    let other = OtherProgram::take_focus();
    assert!(
        !has_focus(window),
        "the app window should be in the background now"
    );
    let log = fs::File::create(output_dir().join("second-start.log")).expect("create log");
    let mut second = Started(
        Command::new(&app)
            .env("GONGWEN_DATA_DIR", data.path())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log)
            .spawn()
            .expect("start the app a second time"),
    );

    // The second start hands over and ends; it never opens the store.
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = second.0.try_wait().expect("wait for the second start") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the second start is still running after {WAIT:?} (a second window?); \
             windows titled 公文桌: {}",
            windows_titled("公文桌").len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "the second start ended with {status}");
    let second_log = fs::read_to_string(output_dir().join("second-start.log")).unwrap_or_default();
    assert!(
        !second_log.contains("store opened"),
        "the second start opened the store:\n{second_log}"
    );

    // The first window is the one window, in front, and still works.
    wait_logged(
        "tauri-driver-second-start.log",
        "second start on this data folder",
    )
    .await;
    let deadline = Instant::now() + WAIT;
    while !has_focus(window) {
        assert!(
            Instant::now() < deadline,
            "the running window did not come to the front"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(windows_titled("公文桌").len(), 1, "one 公文桌 window");
    drop(other);
    click(&c, &format!("//a[normalize-space(.)='{TITLE}']")).await;
    click(&c, &button("编辑")).await;
    find(&c, "//*[normalize-space(.)='第 1 版']").await;
    save_screenshot(&c, "second-start.png").await;
    close_app_window(c).await;
}

/// Opens the seeded draft in the editor, at its version 1.
async fn edit(c: &Client, title: &str) {
    click(c, &format!("//a[normalize-space(.)='{title}']")).await;
    click(c, &button("编辑")).await;
    find(c, "//*[normalize-space(.)='第 1 版']").await;
}

#[tokio::test]
async fn a_save_over_a_newer_version_shows_a_conflict_and_keeps_both_texts() {
    let app = app_binary();
    let data = tempfile::tempdir().expect("temp data dir");
    let id = seed_draft(data.path(), TITLE);
    let driver = Driver::start(data.path(), "tauri-driver-conflict.log");
    let c = driver.launch(&app).await;
    edit(&c, TITLE).await;

    // Meanwhile another writer (the CLI, a colleague's program on this folder) saves
    // version 2 of the same draft.
    const THEIRS: &str = "请于12月10日前报送有关数据，逾期不再受理。";
    let theirs = {
        let mut store = gongwen_store::Store::open(data.path()).expect("open the store");
        let mut doc = store.get(id).unwrap().unwrap().document;
        doc.body = gongwen_core::Body::from_text(THEIRS);
        assert_eq!(store.save_draft(id, &doc).unwrap().version, 2);
        doc
    };

    // The clerk, still on version 1, adds a sentence. Autosave (every 3 s) writes it as
    // the working copy: that write is based on version 1 too, and is refused.
    type_into(&c, "//textarea[@aria-label='正文']", "联系人：张明。").await;
    let mine_text = "请于12月5日前报送有关数据。联系人：张明。";

    // 冲突: the newer text is shown, the clerk's stays in the editor, nothing is lost.
    let conflict = "//*[@role='alert' and @aria-label='冲突']";
    let said = wait_text_containing(&c, conflict, "第 2 版").await;
    assert!(said.contains("冲突"), "{said}");
    wait_text_containing(&c, "//*[@aria-label='第2版内容']", THEIRS).await;
    assert_eq!(
        value_of(&c, "//textarea[@aria-label='正文']").await,
        mine_text
    );
    wait_status(&c, "保存状态", "冲突").await;
    save_screenshot(&c, "conflict.png").await;
    // 保存 is refused the same way until the clerk has chosen.
    click(&c, &button("保存")).await;
    wait_status(&c, "保存状态", "冲突").await;
    find(&c, conflict).await;
    {
        let store = gongwen_store::Store::open(data.path()).expect("open the store");
        let latest = store.get(id).unwrap().unwrap();
        assert_eq!(
            (latest.version, &latest.document),
            (2, &theirs),
            "the newer version was overwritten"
        );
        assert_eq!(
            latest.working_copy_at, None,
            "the refused autosave left a working copy over version 2"
        );
        assert_eq!(store.versions(id).unwrap().len(), 2);
    }

    // The clerk scrolls down the form and goes on typing: the 冲突 stays in view, not
    // covered, with its choice, however far down the clerk is.
    let scrolled = c
        .execute(
            "let pane = arguments[0].parentElement;
             while (pane && !(pane.scrollHeight > pane.clientHeight
                 && ['auto', 'scroll'].includes(getComputedStyle(pane).overflowY))) {
               pane = pane.parentElement;
             }
             pane = pane || document.scrollingElement;
             pane.scrollTop = pane.scrollHeight;
             return pane.scrollTop;",
            vec![
                serde_json::to_value(find(&c, "//textarea[@aria-label='正文']").await)
                    .expect("element as JSON"),
            ],
        )
        .await
        .expect("scroll the page to its end");
    assert!(
        scrolled.as_f64().is_some_and(|top| top > 100.0),
        "the editor did not scroll (scrollTop {scrolled})"
    );
    type_into(&c, "//textarea[@aria-label='正文']", "附：数据表。").await;
    let mine_text = format!("{mine_text}附：数据表。");
    assert_eq!(
        value_of(&c, "//textarea[@aria-label='正文']").await,
        mine_text
    );
    assert_shown_on_top(&c, conflict, "the 冲突 panel, scrolled down and typing").await;
    assert_shown_on_top(
        &c,
        &button("保存我的内容为第 3 版"),
        "保存我的内容为第 3 版, scrolled down and typing",
    )
    .await;
    save_screenshot(&c, "conflict-scrolled.png").await;

    // The clerk keeps theirs as it is and saves their own text on top of it.
    click(&c, &button("保存我的内容为第 3 版")).await;
    wait_gone(&c, conflict).await;
    wait_status(&c, "保存状态", "已保存").await;
    find(&c, "//*[normalize-space(.)='第 3 版']").await;
    let store = gongwen_store::Store::open(data.path()).expect("open the store");
    assert_eq!(store.version(id, 2).unwrap().unwrap(), theirs);
    let v3 = store.version(id, 3).unwrap().unwrap();
    assert_eq!(v3.body.to_text(), mine_text);
    drop(store);
    close_app_window(c).await;
}

/// Fails unless the element is wholly in the window and on top where it is drawn (no
/// other part of the page covers its middle): the clerk can see it and click it.
async fn assert_shown_on_top(c: &Client, xpath: &str, what: &str) {
    assert_fully_visible(c, xpath, what).await;
    let on_top = c
        .execute(
            "const el = arguments[0]; const r = el.getBoundingClientRect();
             const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
             return hit !== null && (el === hit || el.contains(hit));",
            vec![serde_json::to_value(find(c, xpath).await).expect("element as JSON")],
        )
        .await
        .expect("ask what is drawn on top");
    assert_eq!(
        on_top,
        serde_json::Value::Bool(true),
        "{what}: something else is drawn over it"
    );
}

/// Opens a native file dialog with `opener`, checks it is wholly on the screen (its
/// 保存/打开 and 取消 buttons with it), and closes it as the window manager's × does.
async fn assert_file_dialog_fits(c: &Client, opener: &str, title: &str, shot: &str) {
    click(c, &button(opener)).await;
    let screen = screen_rect();
    // GTK maps the dialog at its default size (about 1096×822) and the app shrinks it
    // right after: wait for that resize to land, never read the first rectangle.
    let deadline = Instant::now() + WAIT;
    let dialog = loop {
        let (_, dialog) = window_rect(title);
        if dialog.inside(&screen) {
            break dialog;
        }
        if Instant::now() >= deadline {
            let _ = Command::new("import")
                .args(["-window", "root"])
                .arg(output_dir().join(shot))
                .status();
            panic!(
                "the “{title}” dialog is still at {dialog:?} after {WAIT:?}, not within the \
                 {screen:?} screen: its buttons are off screen (tests/output/{shot})"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!("the “{title}” dialog is at {dialog:?}");
    let _ = Command::new("import")
        .args(["-window", "root"])
        .arg(output_dir().join(shot))
        .status();
    assert_eq!(close_windows_titled(title, true), 1);
    let deadline = Instant::now() + WAIT;
    while close_windows_titled(title, false) > 0 {
        assert!(
            Instant::now() < deadline,
            "the “{title}” dialog did not close"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_window_its_status_bar_and_file_dialogs_fit_the_screen() {
    let app = app_binary();
    let data = tempfile::tempdir().expect("temp data dir");
    seed_draft(data.path(), TITLE);
    let driver = Driver::start(data.path(), "tauri-driver-fit.log");
    let c = driver.launch(&app).await;
    find(&c, &format!("//a[normalize-space(.)='{TITLE}']")).await;
    let screen = screen_rect();
    println!("screen {screen:?}");

    // The status bar at the bottom: connection, 同步, 登录.
    assert_fully_visible(&c, "//*[@aria-label='同步状态栏']", "the status bar").await;
    assert_fully_visible(&c, "//*[@aria-label='连接状态']", "the connection state").await;
    assert_fully_visible(&c, &button("登录"), "登录").await;
    save_screenshot(&c, &format!("fit-list-{}.png", screen.height)).await;

    // The editor's native dialogs.
    edit(&c, TITLE).await;
    assert_file_dialog_fits(
        &c,
        "导出PDF",
        "导出PDF",
        &format!("fit-export-{}.png", screen.height),
    )
    .await;
    assert_file_dialog_fits(
        &c,
        "添加附件文件…",
        "添加附件",
        &format!("fit-attach-{}.png", screen.height),
    )
    .await;
    // The editor's own buttons too.
    assert_fully_visible(&c, &button("完成"), "完成").await;
    close_app_window(c).await;
}

#[tokio::test]
async fn at_the_minimum_width_a_long_title_takes_at_most_two_lines() {
    let app = app_binary();
    let data = tempfile::tempdir().expect("temp data dir");
    seed_draft(data.path(), LONG_TITLE);
    let driver = Driver::start(data.path(), "tauri-driver-narrow.log");
    let c = driver.launch(&app).await;
    let title = format!("//a[normalize-space(.)='{LONG_TITLE}']");
    find(&c, &title).await;

    // The clerk makes the window as narrow as it goes (960 px, its minimum).
    resize_window(&c, 960).await;
    let lines = lines_of(&c, &title).await;
    save_screenshot(&c, "list-960.png").await;
    assert!(
        (1..=2).contains(&lines),
        "the 标题 takes {lines} lines at 960 px (tests/output/list-960.png)"
    );
    // The date (2026年11月25日) is read at a glance: one line, not its 日 on a second.
    let date = "//*[@aria-label='公文列表']//tbody/tr[1]/td[normalize-space(.)='2026年11月25日']";
    assert_eq!(
        lines_of(&c, date).await,
        1,
        "the 成文日期 wraps at 960 px (tests/output/list-960.png)"
    );
    let column = |name: &str| format!("//th[normalize-space(.)='{name}']");
    let title_column = element_rect(&c, &column("标题")).await;
    let issuer_column = element_rect(&c, &column("发文机关")).await;
    assert!(
        title_column.width > 2.0 * issuer_column.width,
        "标题 {title_column:?} should be much wider than 发文机关 {issuer_column:?}"
    );
    let viewport = viewport(&c).await;
    assert!(
        element_rect(&c, &column("状态")).await.inside(&viewport),
        "the last column is cut off at 960 px"
    );
    close_app_window(c).await;
}

/// Every 文种 name, 命令（令） the longest, on one line inside its list column, at the
/// window's size on this screen and at the 960-px minimum; the 标题 keeps its room.
#[tokio::test]
async fn every_文种_name_fits_its_list_column_on_one_line() {
    use gongwen_core::{DocKind, DocStatus, Document};
    let app = app_binary();
    let data = tempfile::tempdir().expect("temp data dir");
    {
        let mut store = gongwen_store::Store::open(data.path()).expect("open the store");
        for kind in DocKind::ALL {
            let mut doc = Document::new(kind);
            doc.title = format!("宿州市发展和改革委员会关于做好年度工作的{}", kind.label());
            store
                .create_document(&doc, DocStatus::Draft)
                .expect("seed a draft");
        }
    }
    let driver = Driver::start(data.path(), "tauri-driver-kinds.log");
    let c = driver.launch(&app).await;
    let cell = |kind: DocKind| {
        format!(
            "//*[@aria-label='公文列表']//tbody/tr/td[normalize-space(.)='{}']",
            kind.label()
        )
    };
    find(&c, &cell(DocKind::Order)).await;
    let screen = screen_rect();
    for width in [None, Some(960)] {
        if let Some(width) = width {
            resize_window(&c, width).await;
        }
        let shot = format!(
            "list-kinds-{}.png",
            width.map_or(screen.height.to_string(), |w| w.to_string())
        );
        save_screenshot(&c, &shot).await;
        for kind in DocKind::ALL {
            let (text, room) = text_and_room(&c, &cell(kind)).await;
            assert_eq!(
                lines_of(&c, &cell(kind)).await,
                1,
                "{} wraps in the 文种 column (tests/output/{shot})",
                kind.label()
            );
            assert!(
                text <= room + 0.5,
                "{} is {text} px wide in a column with {room} px for it (tests/output/{shot})",
                kind.label()
            );
        }
    }
    close_app_window(c).await;
}

/// How wide the text of the cell at `xpath` is, and how wide the cell is inside its
/// padding.
async fn text_and_room(c: &Client, xpath: &str) -> (f64, f64) {
    let measured = c
        .execute(
            "const el = arguments[0]; const style = getComputedStyle(el);
             const text = document.createRange();
             text.selectNodeContents(el);
             return [text.getBoundingClientRect().width,
                     el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)];",
            vec![serde_json::to_value(find(c, xpath).await).expect("element as JSON")],
        )
        .await
        .unwrap_or_else(|e| panic!("measure {xpath}: {e}"));
    let number = |i: usize| measured[i].as_f64().expect("a number");
    (number(0), number(1))
}

/// How many lines of text the element at `xpath` takes.
async fn lines_of(c: &Client, xpath: &str) -> i64 {
    c.execute(
        "const el = arguments[0]; const style = getComputedStyle(el);
         const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
         // The text's own box: a table cell is as tall as its row.
         const text = document.createRange();
         text.selectNodeContents(el);
         return Math.round(text.getBoundingClientRect().height / line);",
        vec![serde_json::to_value(find(c, xpath).await).expect("element as JSON")],
    )
    .await
    .unwrap_or_else(|e| panic!("count the lines of {xpath}: {e}"))
    .as_i64()
    .expect("a number")
}

/// Resizes the app window to `width` (keeping its height) as the user drags its edge,
/// and waits until the page has that width.
async fn resize_window(c: &Client, width: u32) {
    let (window, rect) = window_rect("公文桌");
    let status = Command::new("xdotool")
        .args(["windowsize", &window.to_string(), &width.to_string()])
        .arg((rect.height as u32).to_string())
        .status()
        .expect("run xdotool (cargo xtask install installs it)");
    assert!(status.success(), "xdotool windowsize failed");
    let deadline = Instant::now() + WAIT;
    loop {
        let now = viewport(c).await.width;
        if (now - f64::from(width)).abs() < 0.5 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the page is {now} px wide after resizing the window to {width}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
