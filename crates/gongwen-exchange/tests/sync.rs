//! Client stores and the real sync client against a real server process on
//! 127.0.0.1: dispatch with an attachment, receipt, 签收 and 退回, commands sent twice,
//! offline queueing, refusals, and the background loop.

mod clients;
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use clients::{assert_holds, random_file, sha256_of, Side};
use common::TestServer;
use gongwen_core::wire::{
    CommandBody, CommandResult, DeliveryStatus, RecipientRole, RejectCode, UnitCode,
};
use gongwen_core::workflow::content_hash;
use gongwen_core::{Classification, DocStatus};
use gongwen_store::OutboxState;
use gongwen_sync::{Connection, LoopConfig, SyncError, SyncLoop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_with_attachment_then_acknowledge_and_return() {
    let server = TestServer::start();
    let fgw = Side::login(&server.url, "fgw-clerk").await;
    let tjj = Side::login(&server.url, "tjj-clerk").await;
    let yq = Side::login(&server.url, "yq-clerk").await;
    let gov = Side::login(&server.url, "szgov-clerk").await;

    let id = fgw.draft("关于报送2026年统计数据的通知");
    let file = random_file(fgw.dir.path(), "统计表.xlsx", 3 * 1024 * 1024 + 17, 7);
    let file_sha = sha256_of(&file);
    let with_file = fgw
        .store()
        .add_attachment_file(id, "2026年统计报表", &file)
        .expect("attachment");
    let dispatch = fgw
        .store()
        .queue_dispatch(id, vec!["sz-tjj".into()], vec!["yq-gov".into()])
        .expect("queue");
    // 待同步 until the server answers.
    assert_eq!(fgw.store().pending_for(id).unwrap().len(), 1);
    assert_eq!(
        fgw.store().get(id).unwrap().unwrap().status,
        DocStatus::SignedOff
    );

    let r = fgw.sync().await;
    assert_eq!((r.pushed, r.accepted, r.rejected, r.uploaded), (1, 1, 0, 1));
    assert!(fgw.store().pending_for(id).unwrap().is_empty());
    assert_eq!(
        fgw.store().outbox_entry(dispatch).unwrap().unwrap().state,
        OutboxState::Accepted
    );
    // The sender's own Sent change came back in the same round.
    assert_eq!(
        fgw.store().get(id).unwrap().unwrap().status,
        DocStatus::Dispatched
    );
    // 历史版本 marks the version that was sent (the one with the file), and only it.
    let marked: Vec<u32> = fgw
        .store()
        .versions(id)
        .unwrap()
        .iter()
        .filter(|v| v.dispatched_at.is_some())
        .map(|v| v.version)
        .collect();
    assert_eq!(marked, [with_file.version]);
    let hash = content_hash(&with_file.document);
    let deliveries = fgw.store().deliveries(id).unwrap();
    let seen: Vec<_> = deliveries
        .iter()
        .map(|d| (d.unit.0.as_str(), d.role, d.status))
        .collect();
    assert_eq!(
        seen,
        [
            ("sz-tjj", RecipientRole::Main, DeliveryStatus::Delivered),
            ("yq-gov", RecipientRole::Cc, DeliveryStatus::Delivered)
        ]
    );

    for side in [&tjj, &yq] {
        let r = side.sync().await;
        assert_eq!((r.new_documents, r.downloaded), (1, 1), "{}", side.username);
        let inbox = side.store().inbox().unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].incoming.from, UnitCode::from("sz-fgw"));
        assert_eq!(inbox[0].incoming.by, "fgw-clerk");
        assert_eq!(inbox[0].incoming.status, DeliveryStatus::Delivered);
        let path = side.store().attachment_path(&file_sha).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(&file).unwrap());
        assert_holds(
            side,
            &BTreeMap::from([(id, hash.clone())]),
            DocStatus::Incoming,
        );
    }
    assert_eq!(
        tjj.store().incoming(id).unwrap().unwrap().role,
        RecipientRole::Main
    );
    assert_eq!(
        yq.store().incoming(id).unwrap().unwrap().role,
        RecipientRole::Cc
    );

    tjj.store()
        .queue_command(&CommandBody::Acknowledge { document_id: id })
        .unwrap();
    yq.store()
        .queue_command(&CommandBody::Return {
            document_id: id,
            reason: "附件数据不全，请补充后重新报送".into(),
        })
        .unwrap();
    assert!(tjj.store().inbox().unwrap()[0].pending);
    assert_eq!(tjj.sync().await.accepted, 1);
    assert_eq!(yq.sync().await.accepted, 1);
    assert_eq!(
        tjj.store().incoming(id).unwrap().unwrap().status,
        DeliveryStatus::Acknowledged
    );
    assert!(!tjj.store().inbox().unwrap()[0].pending);
    let yq_info = yq.store().incoming(id).unwrap().unwrap();
    assert_eq!(yq_info.status, DeliveryStatus::Returned);

    fgw.sync().await;
    let d = fgw.store().deliveries(id).unwrap();
    assert_eq!(d[0].status, DeliveryStatus::Acknowledged);
    assert_eq!(d[0].by, "tjj-clerk");
    assert_eq!(d[1].status, DeliveryStatus::Returned);
    assert_eq!(d[1].by, "yq-clerk");
    assert_eq!(
        d[1].reason.as_deref(),
        Some("附件数据不全，请补充后重新报送")
    );
    assert_holds(&fgw, &BTreeMap::from([(id, hash)]), DocStatus::Dispatched);

    // A unit that was not addressed has nothing.
    let r = gov.sync().await;
    assert_eq!((r.pulled, r.new_documents), (0, 0));
    assert_holds(&gov, &BTreeMap::new(), DocStatus::Incoming);

    // The sender's second computer gets the document, its file and the statuses.
    let fgw2 = Side::login(&server.url, "fgw-clerk").await;
    fgw2.sync().await;
    assert_eq!(fgw2.store().deliveries(id).unwrap(), d);
    assert_eq!(
        fgw2.documents()[&id],
        (DocStatus::Dispatched, content_hash(&with_file.document))
    );
    assert!(fgw2.store().attachment_path(&file_sha).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_sent_twice_has_one_effect() {
    let server = TestServer::start();
    let fgw = Side::login(&server.url, "fgw-clerk").await;
    let tjj = Side::login(&server.url, "tjj-clerk").await;

    let ids: Vec<_> = (0..3)
        .map(|i| fgw.draft(&format!("关于第{}批项目的通知", i + 1)))
        .collect();
    for id in &ids {
        fgw.store()
            .queue_dispatch(*id, vec!["sz-tjj".into()], vec![])
            .unwrap();
    }
    // The push reaches the server but the client never records the answer (as if it
    // crashed): the commands are still pending here and go again with the next sync.
    let commands: Vec<_> = fgw
        .store()
        .pending_commands(10)
        .unwrap()
        .into_iter()
        .map(|e| e.command)
        .collect();
    let first = fgw.client.push(&fgw.token, &commands).await.unwrap();
    assert!(first
        .outcomes
        .iter()
        .all(|o| o.result == CommandResult::Accepted));
    let r = fgw.sync().await;
    assert_eq!((r.pushed, r.accepted), (3, 3));
    // The re-send got the original outcomes (same decision time).
    for o in &first.outcomes {
        let e = fgw.store().outbox_entry(o.command_id).unwrap().unwrap();
        assert_eq!(e.state, OutboxState::Accepted);
        assert_eq!(e.decided_at.as_deref(), Some(o.decided_at.as_str()));
    }
    // And once more, straight from the outbox, after everything was recorded.
    let again = fgw.client.push(&fgw.token, &commands).await.unwrap();
    assert_eq!(again.outcomes, first.outcomes);

    let r = tjj.sync().await;
    assert_eq!(
        (r.pulled, r.new_documents),
        (3, 3),
        "one change per document"
    );
    // 签收 twice: the second send is the same command, not a second 签收.
    let ack = tjj
        .store()
        .queue_command(&CommandBody::Acknowledge {
            document_id: ids[0],
        })
        .unwrap();
    let ack_cmd = tjj.store().outbox_entry(ack).unwrap().unwrap().command;
    let twice = tjj
        .client
        .push(&tjj.token, &[ack_cmd.clone(), ack_cmd.clone()])
        .await
        .unwrap();
    assert_eq!(twice.outcomes[0], twice.outcomes[1]);
    assert_eq!(twice.outcomes[0].result, CommandResult::Accepted);
    let r = tjj.sync().await;
    assert_eq!((r.pushed, r.accepted), (1, 1));
    assert_eq!(
        r.pulled, 2,
        "one Delivery change and the 收文 handling it starts, not twice"
    );

    fgw.sync().await;
    let expected: BTreeMap<_, _> = ids
        .iter()
        .map(|id| {
            let doc = fgw.store().get(*id).unwrap().unwrap().document;
            (*id, content_hash(&doc))
        })
        .collect();
    assert_holds(&fgw, &expected, DocStatus::Dispatched);
    assert_holds(&tjj, &expected, DocStatus::Incoming);
    let statuses: Vec<_> = ids
        .iter()
        .map(|id| fgw.store().deliveries(*id).unwrap()[0].status)
        .collect();
    assert_eq!(
        statuses,
        [
            DeliveryStatus::Acknowledged,
            DeliveryStatus::Delivered,
            DeliveryStatus::Delivered
        ]
    );
    // fgw's log: 3 Sent + 1 Delivery; tjj's: 3 Received + 1 Delivery + the 收文 handling.
    let fgw_account = fgw.store().account().unwrap().unwrap();
    assert_eq!(fgw.store().cursor(&fgw_account).unwrap(), 4);
    let tjj_account = tjj.store().account().unwrap().unwrap();
    assert_eq!(tjj.store().cursor(&tjj_account).unwrap(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_queued_offline_wait_and_go_when_the_server_is_back() {
    let mut server = TestServer::start();
    let fgw = Side::login(&server.url, "fgw-clerk").await;
    let tjj = Side::login(&server.url, "tjj-clerk").await;
    let yq = Side::login(&server.url, "yq-clerk").await;
    fgw.sync().await;
    let account = fgw.store().account().unwrap().unwrap();
    let cursor_before = fgw.store().cursor(&account).unwrap();

    server.kill();
    let id = fgw.draft("关于停电期间值班安排的通知");
    let cmd = fgw
        .store()
        .queue_dispatch(id, vec!["sz-tjj".into()], vec![])
        .unwrap();
    let err = fgw.try_sync().await.expect_err("server is down");
    assert!(err.is_offline(), "{err}");
    assert!(err.to_string().contains("cannot reach"), "{err}");
    let state = fgw.store().sync_state(&account).unwrap();
    assert_eq!(state.pending, 1);
    assert!(state.last_error.is_some());
    assert_eq!(
        state.cursor, cursor_before,
        "an error never moves the cursor"
    );
    // The directory stays cached for addressing offline.
    assert!(fgw
        .store()
        .directory()
        .unwrap()
        .units
        .iter()
        .any(|u| u.code.0 == "sz-tjj"));

    // The background loop keeps trying on its own; a poke after the server is back
    // makes it go at once.
    let store = Arc::new(std::sync::Mutex::new(
        gongwen_store::Store::open(fgw.dir.path()).unwrap(),
    ));
    let sync_loop = SyncLoop::start(
        fgw.client.clone(),
        fgw.token.clone(),
        store.clone(),
        LoopConfig {
            interval: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
        },
    );
    let mut status = sync_loop.subscribe();
    wait_for(&mut status, |s| {
        s.connection == Connection::Offline && s.failures >= 2
    })
    .await;
    assert_eq!(sync_loop.status().pending, 1);
    assert!(sync_loop.status().last_error_zh.is_some());

    server.restart();
    sync_loop.poke();
    wait_for(&mut status, |s| {
        s.connection == Connection::Online && s.pending == 0
    })
    .await;
    sync_loop.stop();

    assert_eq!(
        fgw.store().outbox_entry(cmd).unwrap().unwrap().state,
        OutboxState::Accepted
    );
    assert!(fgw
        .store()
        .outbox_entry(cmd)
        .unwrap()
        .unwrap()
        .last_error
        .is_none());
    tjj.sync().await;
    yq.sync().await;
    let doc = fgw.store().get(id).unwrap().unwrap().document;
    let expected = BTreeMap::from([(id, content_hash(&doc))]);
    assert_holds(&fgw, &expected, DocStatus::Dispatched);
    assert_holds(&tjj, &expected, DocStatus::Incoming);
    assert_holds(&yq, &BTreeMap::new(), DocStatus::Incoming);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_command_is_kept_with_the_servers_reason_and_the_draft_stays() {
    let server = TestServer::start();
    let fgw = Side::login(&server.url, "fgw-clerk").await;
    let tjj = Side::login(&server.url, "tjj-clerk").await;

    let unknown = fgw.draft("发往不存在单位的通知");
    // The store knows the clearance the server gave at login and shows and queues
    // nothing above it; the server may have lowered it since. Here the store still
    // believes 绝密: the server decides with what it holds now.
    {
        let mut store = fgw.store();
        let mut account = store.account().unwrap().unwrap();
        account.user.clearance = Classification::TopSecret;
        store.set_account(Some(&account)).unwrap();
    }
    let secret = {
        let mut doc = clients::notice("绝密文件");
        doc.classification = Classification::TopSecret;
        doc.secrecy_term = "30年".into();
        doc.copy_number = "000001".into();
        fgw.store()
            .create_document(&doc, DocStatus::SignedOff)
            .unwrap()
            .id
    };
    let before: Vec<_> = [unknown, secret]
        .iter()
        .map(|id| fgw.store().get(*id).unwrap().unwrap())
        .collect();
    let c1 = fgw
        .store()
        .queue_dispatch(unknown, vec!["sz-nowhere".into()], vec![])
        .unwrap();
    // Nobody at 市统计局 reads 绝密, which the cached directory tells the store; as
    // with an older server's directory, the store leaves it to the server here.
    {
        let mut store = fgw.store();
        let mut directory = store.directory().unwrap();
        directory.clearances = None;
        store.set_directory(&directory).unwrap();
    }
    let c2 = fgw
        .store()
        .queue_dispatch(secret, vec!["sz-tjj".into()], vec![])
        .unwrap();
    let r = fgw.sync().await;
    assert_eq!((r.pushed, r.accepted, r.rejected), (2, 0, 2));

    let e1 = fgw.store().outbox_entry(c1).unwrap().unwrap();
    assert_eq!(e1.state, OutboxState::Rejected);
    let rej = e1.rejection.unwrap();
    assert_eq!(rej.code, RejectCode::Invalid);
    assert!(rej.message.contains("sz-nowhere"), "{}", rej.message);
    let e2 = fgw.store().outbox_entry(c2).unwrap().unwrap();
    assert_eq!(e2.rejection.unwrap().code, RejectCode::AboveClearance);
    // Shown in the outbox, never sent again, drafts untouched.
    assert_eq!(fgw.store().outbox().unwrap().len(), 2);
    let r = fgw.sync().await;
    assert_eq!(r.pushed, 0);
    for b in &before {
        assert_eq!(&fgw.store().get(b.id).unwrap().unwrap(), b);
    }
    let account = fgw.store().account().unwrap().unwrap();
    assert_eq!(fgw.store().sync_state(&account).unwrap().rejected, 2);

    // The user fixes the address and dispatches again.
    fgw.store()
        .queue_dispatch(unknown, vec!["sz-tjj".into()], vec![])
        .unwrap();
    assert_eq!(fgw.sync().await.accepted, 1);
    tjj.sync().await;
    let expected = BTreeMap::from([(unknown, content_hash(&before[0].document))]);
    assert_holds(&tjj, &expected, DocStatus::Incoming);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_stops_the_loop_with_login_needed() {
    let server = TestServer::start();
    let tjj = Side::login(&server.url, "tjj-clerk").await;
    tjj.sync().await;
    tjj.client.logout(&tjj.token).await.unwrap();
    let err = tjj.try_sync().await.expect_err("token revoked");
    assert!(matches!(err, SyncError::Unauthorized { .. }), "{err}");

    let store = Arc::new(std::sync::Mutex::new(
        gongwen_store::Store::open(tjj.dir.path()).unwrap(),
    ));
    let sync_loop = SyncLoop::start(
        tjj.client.clone(),
        tjj.token.clone(),
        store,
        LoopConfig::default(),
    );
    let mut status = sync_loop.subscribe();
    wait_for(&mut status, |s| s.connection == Connection::LoginNeeded).await;
    for _ in 0..100 {
        if sync_loop.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(sync_loop.is_finished(), "the loop stops on login needed");
}

/// Waits until the loop's status satisfies `ok` (bounded, so a broken loop fails the
/// test instead of hanging it).
async fn wait_for(
    status: &mut tokio::sync::watch::Receiver<gongwen_sync::LoopStatus>,
    ok: impl Fn(&gongwen_sync::LoopStatus) -> bool,
) {
    let reached = tokio::time::timeout(Duration::from_secs(60), status.wait_for(|s| ok(s)))
        .await
        .is_ok_and(|r| r.is_ok());
    assert!(
        reached,
        "loop status never got there: {:?}",
        *status.borrow()
    );
}
