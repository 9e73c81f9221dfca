//! 待办 that press: 特急 items and items overdue or due within one working day
//! (`Store::due_items`, the store's rule, read from the 待办 box's own query). Each one
//! raises one desktop notification per state (特急, 即将到期, 已超期), not one per sync
//! round nor one per start of the app (the store remembers what each account was
//! told); the tray icon carries their count.
//!
//! The tray: a red dot drawn on the app's icon while anything is due, and the count as
//! its title. Linux trays (AppIndicator / StatusNotifierItem) show no tooltip and no
//! badge of their own, so the title is where the number goes there (shown next to the
//! icon by panels that show labels); elsewhere the tooltip says it too.

use gongwen_store::{DueItem, DueState, NoticeKind, Store, StoreError};
use tauri::image::Image;
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager};

use crate::arrivals::Notice;
use crate::commands::with_store;
use crate::AppState;

/// The tray icon's id.
const TRAY: &str = "gongwen-desk";
/// More new due items than this at once are told in one notification.
const ONE_BY_ONE: usize = 3;

/// What a due item's notification is remembered by: the document and its state, so an
/// item that becomes overdue after being told as 即将到期 is told again, once.
fn due_key(item: &DueItem) -> String {
    let state = match item.state {
        DueState::Immediate => "immediate",
        DueState::DueSoon => "due_soon",
        DueState::Overdue => "overdue",
    };
    format!("{}\n{state}", item.item.summary.id)
}

/// Of the due items, the (item, state)s the logged-in account was not told of yet, in
/// any run of the app on this computer (the store remembers them, per account); they
/// are now remembered as told.
pub fn fresh_due(store: &mut Store, due: &[DueItem]) -> Result<Vec<DueItem>, StoreError> {
    store.fresh_notices(NoticeKind::Due, due.to_vec(), due_key)
}

fn title_of(item: &DueItem) -> &str {
    let t = &item.item.summary.title;
    if t.is_empty() {
        "（无标题）"
    } else {
        t
    }
}

fn when(item: &DueItem) -> String {
    match (item.state, &item.item.deadline, item.working_days_left) {
        (DueState::Overdue, Some(d), Some(n)) => format!("限办日期{d}，已超期{}个工作日", -n),
        (DueState::DueSoon, Some(d), Some(0)) => format!("限办日期{d}（今天）"),
        (DueState::DueSoon, Some(d), _) => format!("限办日期{d}（下一个工作日）"),
        _ => format!("待{}", item.item.step_kind.label()),
    }
}

/// What to tell the desktop of newly due items: one notification each (【特急】,
/// 【即将到期】 or 【已超期】 at the head of the title, then the step), or one for all.
pub fn notices(new: &[DueItem]) -> Vec<Notice> {
    if new.len() > ONE_BY_ONE {
        let most = new
            .iter()
            .map(|i| i.state)
            .max()
            .unwrap_or(DueState::Immediate);
        let mut lines: Vec<String> = new
            .iter()
            .take(ONE_BY_ONE)
            .map(|i| format!("【{}】{}", i.state.label(), title_of(i)))
            .collect();
        lines.push(format!("共 {} 件，请到待办查看。", new.len()));
        return vec![Notice {
            title: format!("【{}】{} 件待办需要处理", most.label(), new.len()),
            body: lines.join("\n"),
        }];
    }
    new.iter()
        .map(|i| Notice {
            title: format!("【{}】待办：{}", i.state.label(), when(i)),
            body: title_of(i).to_string(),
        })
        .collect()
}

/// What the tray says for `count` due items.
pub fn tray_text(count: usize) -> String {
    if count == 0 {
        "公文桌".into()
    } else {
        format!("公文桌：{count} 件待办需要处理")
    }
}

/// After a sync round: tells the desktop of due items (or new states of them) it was
/// not told of yet, and sets the tray's count.
pub fn notify_due(app: &AppHandle, state: &AppState) {
    let today = gongwen_store::beijing_today();
    let read = with_store(state, "read the due 待办", |s| {
        let due = s.due_items(today)?;
        let new = fresh_due(s, &due)?;
        Ok((due, new))
    });
    let Ok((due, new)) = read else {
        return;
    };
    for notice in notices(&new) {
        crate::arrivals::show(app, &notice);
    }
    set_count(app, due.len());
}

/// Logged out: nothing is due for anyone here.
pub fn clear(app: &AppHandle) {
    set_count(app, 0);
}

/// The tray icon with its menu (a Linux tray may not show an icon without one).
pub fn create_tray(app: &AppHandle) {
    let build = || -> tauri::Result<TrayIcon> {
        let open = tauri::menu::MenuItem::with_id(app, "open", "打开公文桌", true, None::<&str>)?;
        let menu = tauri::menu::Menu::with_items(app, &[&open])?;
        let mut b = TrayIconBuilder::with_id(TRAY)
            .tooltip(tray_text(0))
            .menu(&menu)
            .on_menu_event(|app, event| {
                if event.id().as_ref() == "open" {
                    if let Some(w) = app.get_webview_window("main") {
                        let _ = w.unminimize();
                        let _ = w.show();
                        let _ = w.set_focus();
                    }
                }
            });
        if let Some(icon) = app.default_window_icon() {
            b = b.icon(icon.clone());
        }
        b.build(app)
    };
    // No tray on this desktop (no panel, or no AppIndicator library: the Linux tray
    // panics when it cannot load it): notifications and the 待办 box still say it, so a
    // log line is enough, never a crash at start.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(build)) {
        Ok(Ok(_)) => tracing::info!("tray icon created"),
        Ok(Err(e)) => tracing::warn!(error = %e, "cannot create the tray icon"),
        Err(_) => tracing::warn!("cannot create the tray icon: no AppIndicator library"),
    }
}

fn set_count(app: &AppHandle, count: usize) {
    let Some(tray) = app.tray_by_id(TRAY) else {
        return;
    };
    let text = tray_text(count);
    let title = (count > 0).then(|| count.to_string());
    let icon = app.default_window_icon().map(|i| {
        if count > 0 {
            badged(i)
        } else {
            i.clone().to_owned()
        }
    });
    let results = [
        tray.set_tooltip(Some(&text)),
        tray.set_title(title.as_deref()),
        tray.set_icon(icon),
    ];
    match results.into_iter().find_map(Result::err) {
        None => tracing::info!(count, title = %text, "tray count"),
        Some(e) => tracing::warn!(count, error = %e, "cannot set the tray count"),
    }
}

/// The icon with a red dot in its top right corner: the badge of "something is due".
fn badged(icon: &Image<'_>) -> Image<'static> {
    let (w, h) = (icon.width(), icon.height());
    let mut rgba = icon.rgba().to_vec();
    let r = (w.min(h) as f64) * 0.22;
    let (cx, cy) = (w as f64 - r - 1.0, r + 1.0);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
            if dx * dx + dy * dy <= r * r {
                let i = ((y * w + x) * 4) as usize;
                rgba[i..i + 4].copy_from_slice(&[0xd0, 0x30, 0x30, 0xff]);
            }
        }
    }
    Image::new_owned(rgba, w, h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongwen_core::flow::StepKind;
    use gongwen_core::{Classification, DocKind, DocStatus, DocumentId, Urgency};
    use gongwen_store::{BoxItem, DocumentSummary};

    fn due(title: &str, state: DueState, deadline: Option<&str>, left: Option<i64>) -> DueItem {
        DueItem {
            item: BoxItem {
                summary: DocumentSummary {
                    id: DocumentId(uuid::Uuid::new_v4()),
                    status: DocStatus::Incoming,
                    kind: DocKind::Notice,
                    urgency: Urgency::Immediate,
                    classification: Classification::Unclassified,
                    title: title.into(),
                    doc_number: String::new(),
                    issuer: String::new(),
                    date_of_issue: String::new(),
                    year: None,
                    updated_at: String::new(),
                },
                unit: "sz-gov".into(),
                step_kind: StepKind::Instruct,
                status: "待批办".into(),
                deadline: deadline.map(String::from),
            },
            state,
            working_days_left: left,
        }
    }

    #[test]
    fn a_due_state_is_told_once_per_account_and_not_again_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let account = |username: &str| {
            gongwen_store::Account::new(
                "https://exchange.example",
                gongwen_core::wire::UserInfo {
                    username: username.into(),
                    display_name: "王强".into(),
                    unit: "sz-gov".into(),
                    role: gongwen_core::wire::Role::Leader,
                    clearance: Classification::Confidential,
                },
            )
        };
        let mut store = Store::open(dir.path()).unwrap();
        store.set_account(Some(&account("gov-leader"))).unwrap();
        let soon = due(
            "关于报送统计年报的通知",
            DueState::DueSoon,
            Some("2026-12-14"),
            Some(1),
        );
        let urgent = due(
            "关于做好寒潮防范工作的紧急通知",
            DueState::Immediate,
            None,
            None,
        );
        let told = |store: &mut Store, items: &[DueItem]| fresh_due(store, items).unwrap().len();
        assert_eq!(told(&mut store, &[soon.clone(), urgent.clone()]), 2);
        assert_eq!(told(&mut store, &[soon.clone(), urgent.clone()]), 0);
        drop(store);
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(told(&mut store, &[soon.clone(), urgent.clone()]), 0);
        // Overdue now: a new state, told once.
        let mut late = soon.clone();
        late.state = DueState::Overdue;
        let new = fresh_due(&mut store, &[late.clone(), urgent.clone()]).unwrap();
        assert_eq!(new, vec![late.clone()]);
        // Logged out: nothing is told.
        store.sign_out().unwrap();
        assert_eq!(told(&mut store, std::slice::from_ref(&soon)), 0);
        store.set_account(Some(&account("gov-director"))).unwrap();
        assert_eq!(told(&mut store, &[soon, urgent]), 2);
    }

    #[test]
    fn each_due_item_is_told_with_why() {
        let n = notices(&[
            due(
                "关于做好寒潮防范工作的紧急通知",
                DueState::Immediate,
                None,
                None,
            ),
            due(
                "关于报送年度考核材料的通知",
                DueState::Overdue,
                Some("2026-12-10"),
                Some(-1),
            ),
            due(
                "关于报送统计年报的通知",
                DueState::DueSoon,
                Some("2026-12-14"),
                Some(1),
            ),
        ]);
        let titles: Vec<&str> = n.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "【特急】待办：待批办",
                "【已超期】待办：限办日期2026-12-10，已超期1个工作日",
                "【即将到期】待办：限办日期2026-12-14（下一个工作日）",
            ]
        );
        assert_eq!(n[0].body, "关于做好寒潮防范工作的紧急通知");
    }

    #[test]
    fn many_due_items_are_one_notification_marked_by_the_most_pressing() {
        let mut many: Vec<DueItem> = (1..=5)
            .map(|i| due(&format!("通知{i}"), DueState::Immediate, None, None))
            .collect();
        many[4].state = DueState::DueSoon;
        let n = notices(&many);
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].title, "【即将到期】5 件待办需要处理");
        assert!(
            n[0].body.ends_with("共 5 件，请到待办查看。"),
            "{}",
            n[0].body
        );
        assert!(notices(&[]).is_empty());
    }

    #[test]
    fn the_badge_is_a_red_dot_in_the_corner_and_nowhere_else() {
        let plain = Image::new_owned(vec![0x10; 32 * 32 * 4], 32, 32);
        let b = badged(&plain);
        let px = |x: u32, y: u32| {
            let i = ((y * 32 + x) * 4) as usize;
            b.rgba()[i..i + 4].to_vec()
        };
        assert_eq!(px(26, 5), [0xd0, 0x30, 0x30, 0xff]);
        assert_eq!(px(3, 28), [0x10; 4]);
        assert_eq!(tray_text(0), "公文桌");
        assert_eq!(tray_text(2), "公文桌：2 件待办需要处理");
    }
}
