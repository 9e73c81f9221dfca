//! The store queues a command only if it keeps `gongwen_core::workflow`'s rules, and
//! refuses it with the same words the server would use: the state-free `precheck` and
//! the 已送达-only rule for 签收/退回 (`check_answer`). No message names a CLI flag.

mod common;

use gongwen_core::wire::{
    Change, ChangeEntry, ChangesPage, CommandBody, Delivery, DeliveryStatus, RecipientRole,
    UnitCode,
};
use gongwen_core::workflow::{check_answer, precheck};
use gongwen_core::{DocStatus, DocumentId};
use gongwen_store::{Store, StoreError};

use common::{account, notice, received, NOW};

fn signed_in_store(dir: &std::path::Path, username: &str, unit: &str) -> Store {
    let mut store = Store::open(dir).unwrap();
    store
        .set_account(Some(&account("https://exchange.example", username, unit)))
        .unwrap();
    store
}

/// The store refuses `body` with exactly `precheck`'s words, and queues nothing.
fn refused_as_precheck(store: &mut Store, body: &CommandBody) {
    let rule = precheck(body).unwrap_err();
    match store.queue_command(body) {
        Err(e @ StoreError::CommandRefused { .. }) => {
            assert_eq!(e.message_zh(), rule.message);
            assert_eq!(e.to_string(), rule.message_en);
            assert!(!e.to_string().contains("--"), "no CLI flag: {e}");
        }
        other => panic!("{body:?} gave {other:?}"),
    }
    assert!(store.outbox().unwrap().is_empty(), "nothing was queued");
}

fn dispatch(id: DocumentId, store: &Store, main: &[&str], cc: &[&str]) -> CommandBody {
    CommandBody::Dispatch {
        document_id: id,
        document: Box::new(store.get(id).unwrap().unwrap().document),
        main: main.iter().map(|u| UnitCode::from(*u)).collect(),
        cc: cc.iter().map(|u| UnitCode::from(*u)).collect(),
    }
}

#[test]
fn a_dispatch_is_refused_in_the_workflows_words() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path(), "fgw-clerk", "sz-fgw");
    let id = store
        .create_document(
            &notice("关于防汛的通知", "2026年5月10日", "正文。"),
            DocStatus::Draft,
        )
        .unwrap()
        .id;
    for (main, cc) in [
        (&[][..], &[][..]),
        (&["sz-tjj", "sz-tjj"][..], &[][..]),
        (&["sz-tjj"][..], &["sz-tjj"][..]),
        (&["sz-tjj"][..], &[" "][..]),
    ] {
        let body = dispatch(id, &store, main, cc);
        refused_as_precheck(&mut store, &body);
    }
}

#[test]
fn a_return_needs_a_reason_and_an_answer_comes_only_while_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = signed_in_store(dir.path(), "tjj-clerk", "sz-tjj");
    let me = store.signed_in().unwrap().unwrap();
    let id = DocumentId(uuid::Uuid::new_v4());
    let doc = notice(
        "关于报送统计数据的通知",
        "2026年11月20日",
        "请于月底前报送。",
    );
    let page = |changes, next_cursor| ChangesPage {
        changes,
        next_cursor,
        has_more: false,
        ..ChangesPage::default()
    };
    store
        .apply_changes(&me, &page(vec![received(1, id, &doc)], 1))
        .unwrap();
    refused_as_precheck(
        &mut store,
        &CommandBody::Return {
            document_id: id,
            reason: "  ".into(),
        },
    );

    // Once 已签收 (the log says so), neither 签收 nor 退回 is queued.
    let signed = Change {
        seq: 2,
        command_id: gongwen_core::wire::CommandId(uuid::Uuid::new_v4()),
        entry: ChangeEntry::Delivery {
            document_id: id,
            delivery: Delivery {
                unit: "sz-tjj".into(),
                role: RecipientRole::Main,
                status: DeliveryStatus::Acknowledged,
                reason: None,
                by: "tjj-clerk".into(),
                at: NOW.into(),
            },
        },
    };
    store.apply_changes(&me, &page(vec![signed], 2)).unwrap();
    for (body, answer) in [
        (
            CommandBody::Acknowledge { document_id: id },
            DeliveryStatus::Acknowledged,
        ),
        (
            CommandBody::Return {
                document_id: id,
                reason: "非本单位职责范围".into(),
            },
            DeliveryStatus::Returned,
        ),
    ] {
        let rule = check_answer(DeliveryStatus::Acknowledged, answer).unwrap_err();
        let e = store.queue_command(&body).unwrap_err();
        assert!(matches!(e, StoreError::CommandRefused { .. }), "{e:?}");
        assert_eq!(e.message_zh(), rule.message);
    }
    assert!(store.outbox().unwrap().is_empty());
}
