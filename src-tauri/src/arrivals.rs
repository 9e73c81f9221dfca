//! Arrivals are seen: a received document the logged-in user has not opened is unread
//! (the store's rule, `Store::unread_arrivals`); the 收文箱 shows their count (in the
//! sync status), and each one that arrives while the window is open raises one desktop
//! notification, 特急 named first in its title. Opening a document marks it read.
//! A 退回 of this unit's 分发 is news too: one notification per 退回 (the unit and the
//! reason). Each is told once per account, remembered in the store so a restart does
//! not tell it again.

use gongwen_core::wire::Directory;
use gongwen_core::Urgency;
use gongwen_store::{InboxItem, NoticeKind, ReturnedItem, Store, StoreError};
use tauri::State;

use crate::commands::{parse_id, with_store, Answer};
use crate::AppState;

/// More new arrivals than this at once are told in one notification, not one each.
const ONE_BY_ONE: usize = 3;

/// What an arrival is remembered by: the document and when it was dispatched, so a
/// document sent again after a 退回 (重新分发) is told again.
fn arrival_key(item: &InboxItem) -> String {
    format!("{}\n{}", item.summary.id, item.incoming.at)
}

/// Of the unread arrivals, the ones the logged-in account was not told of yet, in any
/// run of the app on this computer; they are now remembered as told.
pub fn fresh_arrivals(
    store: &mut Store,
    unread: Vec<InboxItem>,
) -> Result<Vec<InboxItem>, StoreError> {
    store.fresh_notices(NoticeKind::Arrival, unread, arrival_key)
}

/// What a 退回 is remembered by: the document, the unit that returned it and when, so a
/// second 退回 of the same document after its 重新分发 is told again.
fn return_key(r: &ReturnedItem) -> String {
    format!("{}\n{}\n{}", r.summary.id, r.delivery.unit.0, r.delivery.at)
}

/// Of the 退回s that stand, the ones the logged-in account was not told of yet, in
/// any run of the app on this computer (the store remembers them, per account); they
/// are now remembered as told.
pub fn fresh_returns(
    store: &mut Store,
    returned: Vec<ReturnedItem>,
) -> Result<Vec<ReturnedItem>, StoreError> {
    store.fresh_notices(NoticeKind::Returned, returned, return_key)
}

/// One desktop notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

fn unit_name(directory: &Directory, item: &InboxItem) -> String {
    let code = &item.incoming.from;
    directory
        .units
        .iter()
        .find(|u| &u.code == code)
        .map_or_else(|| code.0.clone(), |u| u.name.clone())
}

fn title_of(item: &InboxItem) -> &str {
    if item.summary.title.is_empty() {
        "（无标题）"
    } else {
        &item.summary.title
    }
}

/// What to tell the desktop of `new` arrivals (newest first): one notification each,
/// or one for all when there are many. A 特急 one is named 【特急】 at the head of the
/// title, which is what a notification list shows first; 加急 likewise.
pub fn notices(new: &[InboxItem], directory: &Directory) -> Vec<Notice> {
    let mark = |u: Urgency| match u {
        Urgency::Immediate => "【特急】",
        Urgency::Urgent => "【加急】",
        Urgency::Normal => "",
    };
    if new.len() > ONE_BY_ONE {
        let most = new
            .iter()
            .map(|i| i.summary.urgency)
            .max_by_key(|u| match u {
                Urgency::Immediate => 2,
                Urgency::Urgent => 1,
                Urgency::Normal => 0,
            })
            .unwrap_or(Urgency::Normal);
        let mut lines: Vec<String> = new
            .iter()
            .take(ONE_BY_ONE)
            .map(|i| format!("{}{}", mark(i.summary.urgency), title_of(i)))
            .collect();
        lines.push(format!("等 {} 件，请到收文箱查看。", new.len()));
        return vec![Notice {
            title: format!("{}收到 {} 件新收文", mark(most), new.len()),
            body: lines.join("\n"),
        }];
    }
    new.iter()
        .map(|i| Notice {
            title: format!(
                "{}新收文：{}",
                mark(i.summary.urgency),
                unit_name(directory, i)
            ),
            body: title_of(i).to_string(),
        })
        .collect()
}

/// What to tell the desktop of 退回s of our 分发s: one notification each, naming the
/// unit that returned it and its reason.
pub fn return_notices(returned: &[ReturnedItem], directory: &Directory) -> Vec<Notice> {
    returned
        .iter()
        .map(|r| {
            let code = &r.delivery.unit;
            let unit = directory
                .units
                .iter()
                .find(|u| &u.code == code)
                .map_or_else(|| code.0.clone(), |u| u.name.clone());
            let title = if r.summary.title.is_empty() {
                "（无标题）"
            } else {
                &r.summary.title
            };
            Notice {
                title: format!("公文被退回：{unit}"),
                body: format!(
                    "{title}\n退回理由：{}",
                    r.delivery.reason.as_deref().unwrap_or("（未写明）")
                ),
            }
        })
        .collect()
}

/// After a sync round: tells the desktop of arrivals and 退回s it was not told of yet.
pub fn notify_new(app: &tauri::AppHandle, state: &AppState) {
    let read = with_store(state, "read the unread arrivals", |s| {
        let returned = s.returned_deliveries()?;
        let unread = s.unread_arrivals()?;
        Ok((
            fresh_arrivals(s, unread)?,
            s.directory()?,
            fresh_returns(s, returned)?,
        ))
    });
    let Ok((new, directory, returned)) = read else {
        return;
    };
    for notice in return_notices(&returned, &directory) {
        show(app, &notice);
    }
    for notice in notices(&new, &directory) {
        show(app, &notice);
    }
}

pub fn show(app: &tauri::AppHandle, notice: &Notice) {
    use tauri_plugin_notification::NotificationExt;
    // No notification service (a bare X session, a locked-down desktop): the badge on
    // 收文箱 still says it, so this is worth a log line, not an error in the window.
    match app
        .notification()
        .builder()
        .title(&notice.title)
        .body(&notice.body)
        .show()
    {
        Ok(()) => tracing::info!(title = %notice.title, "desktop notification"),
        Err(e) => {
            tracing::warn!(title = %notice.title, error = %e, "cannot show a desktop notification")
        }
    }
}

/// Opening a received document marks it read by the logged-in user; the 收文箱's
/// count follows at once.
#[tauri::command]
pub fn mark_read(state: State<'_, AppState>, id: String) -> Answer<bool> {
    let id = parse_id(&id)?;
    let changed = with_store(&state, "mark a document read", |s| s.mark_read(id))?;
    if changed {
        crate::session::announce(&state);
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongwen_core::wire::{DeliveryStatus, RecipientRole, Unit, UnitCode};
    use gongwen_core::{Classification, DocKind, DocStatus};
    use gongwen_store::{DocumentSummary, IncomingInfo};

    fn item(title: &str, urgency: Urgency) -> InboxItem {
        let id = gongwen_core::DocumentId(uuid::Uuid::new_v4());
        InboxItem {
            summary: DocumentSummary {
                id,
                status: DocStatus::Incoming,
                kind: DocKind::Notice,
                urgency,
                classification: Classification::Unclassified,
                title: title.into(),
                doc_number: String::new(),
                issuer: String::new(),
                date_of_issue: String::new(),
                year: None,
                updated_at: String::new(),
            },
            incoming: IncomingInfo {
                document_id: id,
                from: UnitCode::from("sz-fgw"),
                role: RecipientRole::Main,
                by: "fgw-clerk".into(),
                at: "2026-12-07T08:00:00Z".into(),
                content_hash: String::new(),
                status: DeliveryStatus::Delivered,
                reason: None,
            },
            pending: false,
            unread: true,
        }
    }

    fn directory() -> Directory {
        Directory {
            units: vec![Unit {
                code: UnitCode::from("sz-fgw"),
                name: "宿州市发展和改革委员会".into(),
                short_name: None,
            }],
            ..Directory::default()
        }
    }

    #[test]
    fn each_arrival_is_told_with_its_sender_and_特急_comes_first() {
        let n = notices(
            &[
                item("关于报送防汛物资清单的通知", Urgency::Immediate),
                item("关于开展统计调查的通知", Urgency::Normal),
            ],
            &directory(),
        );
        assert_eq!(
            n,
            [
                Notice {
                    title: "【特急】新收文：宿州市发展和改革委员会".into(),
                    body: "关于报送防汛物资清单的通知".into(),
                },
                Notice {
                    title: "新收文：宿州市发展和改革委员会".into(),
                    body: "关于开展统计调查的通知".into(),
                },
            ]
        );
    }

    #[test]
    fn many_arrivals_are_one_notification_marked_by_the_most_urgent() {
        let mut many: Vec<InboxItem> = (1..=5)
            .map(|i| item(&format!("通知{i}"), Urgency::Normal))
            .collect();
        many[3].summary.urgency = Urgency::Urgent;
        let n = notices(&many, &directory());
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].title, "【加急】收到 5 件新收文");
        assert_eq!(n[0].body, "通知1\n通知2\n通知3\n等 5 件，请到收文箱查看。");
    }

    #[test]
    fn a_return_is_told_with_the_unit_and_its_reason() {
        let mut summary = item("关于报送统计数据的通知", Urgency::Normal).summary;
        summary.status = DocStatus::Returned;
        let returned = ReturnedItem {
            summary,
            delivery: gongwen_core::wire::Delivery {
                unit: UnitCode::from("sz-fgw"),
                role: RecipientRole::Main,
                status: DeliveryStatus::Returned,
                reason: Some("请补充统计口径".into()),
                by: "fgw-clerk".into(),
                at: "2026-12-07T09:00:00Z".into(),
            },
        };
        assert_eq!(
            return_notices(&[returned], &directory()),
            [Notice {
                title: "公文被退回：宿州市发展和改革委员会".into(),
                body: "关于报送统计数据的通知\n退回理由：请补充统计口径".into(),
            }]
        );
    }

    fn clerk(username: &str) -> gongwen_store::Account {
        gongwen_store::Account::new(
            "https://exchange.example",
            gongwen_core::wire::UserInfo {
                username: username.into(),
                display_name: "张明".into(),
                unit: "sz-gov".into(),
                role: gongwen_core::wire::Role::Clerk,
                clearance: gongwen_core::Classification::Confidential,
            },
        )
    }

    #[test]
    fn a_return_is_told_once_per_account_and_not_again_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.set_account(Some(&clerk("gov-clerk"))).unwrap();
        let mut summary = item("关于报送统计数据的通知", Urgency::Normal).summary;
        summary.status = DocStatus::Returned;
        let returned = ReturnedItem {
            summary,
            delivery: gongwen_core::wire::Delivery {
                unit: UnitCode::from("sz-fgw"),
                role: RecipientRole::Main,
                status: DeliveryStatus::Returned,
                reason: Some("请补充统计口径".into()),
                by: "fgw-clerk".into(),
                at: "2026-12-07T09:00:00Z".into(),
            },
        };
        let told = |store: &mut Store, items: &[ReturnedItem]| {
            fresh_returns(store, items.to_vec()).unwrap().len()
        };
        assert_eq!(told(&mut store, std::slice::from_ref(&returned)), 1);
        assert_eq!(told(&mut store, std::slice::from_ref(&returned)), 0);
        // The app starts again: the store remembers.
        drop(store);
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(told(&mut store, std::slice::from_ref(&returned)), 0);
        // Returned again after its 重新分发: a new 退回, told.
        let mut again = returned.clone();
        again.delivery.at = "2026-12-08T09:00:00Z".into();
        assert_eq!(told(&mut store, &[returned.clone(), again]), 1);
        // Another account on this computer is told of it once too.
        store.set_account(Some(&clerk("gov-director"))).unwrap();
        assert_eq!(told(&mut store, &[returned]), 1);
    }

    #[test]
    fn an_arrival_is_told_once_per_account_and_not_again_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.set_account(Some(&clerk("gov-clerk"))).unwrap();
        let arrival = item("关于报送统计数据的通知", Urgency::Immediate);
        let told = |store: &mut Store, items: &[InboxItem]| {
            fresh_arrivals(store, items.to_vec()).unwrap().len()
        };
        assert_eq!(told(&mut store, std::slice::from_ref(&arrival)), 1);
        assert_eq!(told(&mut store, std::slice::from_ref(&arrival)), 0);
        drop(store);
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(told(&mut store, std::slice::from_ref(&arrival)), 0);
        // Sent again after a 退回 (重新分发): a new arrival, told.
        let mut again = arrival.clone();
        again.incoming.at = "2026-12-09T09:00:00Z".into();
        assert_eq!(told(&mut store, &[again]), 1);
        // Another account on this computer is told of it once too; logged out, nobody.
        store.set_account(Some(&clerk("gov-director"))).unwrap();
        assert_eq!(told(&mut store, std::slice::from_ref(&arrival)), 1);
        store.sign_out().unwrap();
        assert_eq!(told(&mut store, std::slice::from_ref(&arrival)), 0);
    }

    #[test]
    fn no_arrival_no_notification() {
        assert!(notices(&[], &directory()).is_empty());
    }
}
