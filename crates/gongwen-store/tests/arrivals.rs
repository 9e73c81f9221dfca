//! 未读收文 on a real store folder: what counts as unread, per user, and what opening a
//! document or the unit's 签收 does to it.

mod common;

use gongwen_core::wire::{
    Change, ChangeEntry, ChangesPage, CommandId, Delivery, DeliveryStatus, RecipientRole,
};
use gongwen_core::{DocumentId, Urgency};
use gongwen_store::Store;

use common::{account, received, NOW};

fn page(changes: Vec<Change>, next_cursor: u64) -> ChangesPage {
    ChangesPage {
        changes,
        next_cursor,
        has_more: false,
        ..ChangesPage::default()
    }
}

fn unread_titles(store: &Store) -> Vec<String> {
    store
        .unread_arrivals()
        .unwrap()
        .into_iter()
        .map(|i| i.summary.title)
        .collect()
}

#[test]
fn an_arrival_is_unread_for_each_user_until_they_open_it_or_the_unit_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let clerk = account("http://127.0.0.1:9", "tjj-clerk", "sz-tjj");
    let director = account("http://127.0.0.1:9", "tjj-director", "sz-tjj");
    store.set_account(Some(&clerk)).unwrap();

    let plain = common::notice("关于开展统计调查的通知", "2026年11月20日", "一、调查范围");
    let mut urgent = common::notice(
        "关于报送防汛物资清单的通知",
        "2026年11月21日",
        "一、报送范围",
    );
    urgent.urgency = Urgency::Immediate;
    let (plain_id, urgent_id) = (
        DocumentId(uuid::Uuid::new_v4()),
        DocumentId(uuid::Uuid::new_v4()),
    );
    let mut second = received(2, urgent_id, &urgent);
    if let ChangeEntry::Received { at, .. } = &mut second.entry {
        *at = "2026-11-25T09:00:00Z".into();
    }
    store
        .apply_changes(
            &clerk,
            &page(vec![received(1, plain_id, &plain), second], 2),
        )
        .unwrap();

    // Both arrived unread, newest first, and the inbox marks the same two.
    assert_eq!(
        unread_titles(&store),
        ["关于报送防汛物资清单的通知", "关于开展统计调查的通知"]
    );
    let unread = store.unread_arrivals().unwrap();
    assert_eq!(unread[0].summary.urgency, Urgency::Immediate);
    assert!(store.inbox().unwrap().iter().all(|i| i.unread));

    // Opened: read for this user, once.
    assert!(store.mark_read(plain_id).unwrap());
    assert!(!store.mark_read(plain_id).unwrap(), "already read");
    assert_eq!(unread_titles(&store), ["关于报送防汛物资清单的通知"]);
    let inbox = store.inbox().unwrap();
    let plain_row = inbox.iter().find(|i| i.summary.id == plain_id).unwrap();
    assert!(!plain_row.unread);

    // Another user of the same computer has read nothing yet.
    store.set_account(Some(&director)).unwrap();
    assert_eq!(unread_titles(&store).len(), 2);
    // Nobody logged in: nothing is unread, and nothing can be marked.
    store.sign_out().unwrap();
    assert!(store.unread_arrivals().unwrap().is_empty());
    assert!(store.inbox().unwrap().iter().all(|i| !i.unread));
    assert!(!store.mark_read(urgent_id).unwrap());

    // The unit signed for the urgent one (the director, on another computer): no
    // longer news for the clerk either.
    store.set_account(Some(&clerk)).unwrap();
    let ack = Change {
        seq: 3,
        command_id: CommandId(uuid::Uuid::new_v4()),
        entry: ChangeEntry::Delivery {
            document_id: urgent_id,
            delivery: Delivery {
                unit: "sz-tjj".into(),
                role: RecipientRole::Main,
                status: DeliveryStatus::Acknowledged,
                reason: None,
                by: "tjj-director".into(),
                at: NOW.into(),
            },
        },
    };
    store.apply_changes(&clerk, &page(vec![ack], 3)).unwrap();
    assert!(unread_titles(&store).is_empty());

    // Read marks last: the clerk's survive reopening the store.
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    store.set_account(Some(&director)).unwrap();
    assert_eq!(unread_titles(&store), ["关于开展统计调查的通知"]);
}

#[test]
fn only_a_received_document_can_be_marked_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let clerk = account("http://127.0.0.1:9", "tjj-clerk", "sz-tjj");
    store.set_account(Some(&clerk)).unwrap();
    let own = common::notice(
        "关于召开统计工作会议的通知",
        "2026年11月20日",
        "一、会议时间",
    );
    let id = store
        .create_document(&own, gongwen_core::DocStatus::Draft)
        .unwrap()
        .id;
    assert!(!store.mark_read(id).unwrap());
    assert!(!store.mark_read(DocumentId(uuid::Uuid::new_v4())).unwrap());
}
