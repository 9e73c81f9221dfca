//! A unit's handling of a document as the sync brings it: stored whole, its version
//! becoming the local latest, and the boxes a user sees built from it.

mod common;

use common::{account, notice};
use gongwen_core::flow::{Flow, FlowKind};
use gongwen_core::handling::{Handling, StepAction, TrailEntry};
use gongwen_core::wire::{Change, ChangeEntry, ChangesPage, CommandId, Role};
use gongwen_core::workflow::content_hash;
use gongwen_core::{Classification, DocStatus, Document, DocumentId};
use gongwen_store::{Account, HandlingBox, Store};

fn at(step: &str, doc: &Document, seq: u64, id: DocumentId) -> Change {
    let flow = Flow::default_for(FlowKind::Outgoing);
    let mut h = Handling::start(&flow, "sz-fgw".into());
    h.trail.push(TrailEntry {
        step: "draft".into(),
        kind: gongwen_core::flow::StepKind::Draft,
        action: StepAction::Finish {
            next: None,
            participants: vec![],
        },
        by: "fgw-clerk".into(),
        role: Role::Clerk,
        unit: "sz-fgw".into(),
        at: common::NOW.into(),
        acted_by: None,
        opinion: Some("请审核".into()),
        result: None,
    });
    let s = flow.step(&step.into()).expect("step");
    h.step = s.id.clone();
    h.step_kind = s.kind;
    h.arrived = h.trail.len();
    Change {
        seq,
        command_id: CommandId(uuid::Uuid::new_v4()),
        entry: ChangeEntry::Handling {
            document_id: id,
            handling: Box::new(h),
            document: Some(Box::new(doc.clone())),
            content_hash: content_hash(doc),
        },
    }
}

fn page(changes: Vec<Change>) -> ChangesPage {
    let next_cursor = changes.last().map_or(0, |c| c.seq);
    ChangesPage {
        changes,
        next_cursor,
        has_more: false,
        ..ChangesPage::default()
    }
}

fn as_role(role: Role, clearance: Classification) -> Account {
    let mut a = account("http://127.0.0.1:1", "fgw-someone", "sz-fgw");
    a.user.role = role;
    a.user.clearance = clearance;
    a
}

#[test]
fn a_handling_is_stored_whole_and_its_version_becomes_the_latest() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let leader = as_role(Role::Leader, Classification::Secret);
    store.set_account(Some(&leader)).unwrap();
    let id = DocumentId(uuid::Uuid::new_v4());
    let mut doc = notice(
        "关于做好冬季安全生产工作的通知",
        "2026年12月7日",
        "请各单位认真落实。",
    );
    doc.doc_number = "宿发改〔2026〕\u{3000}号".into();
    store
        .apply_changes(&leader, &page(vec![at("sign_off", &doc, 1, id)]))
        .unwrap();
    let stored = store
        .get(id)
        .unwrap()
        .expect("the document came with its handling");
    assert_eq!(stored.status, DocStatus::Draft);
    let hs = store.handlings(id).unwrap();
    assert_eq!(hs.len(), 1);
    assert_eq!(hs[0].step.as_str(), "sign_off");
    assert_eq!(hs[0].trail[0].opinion.as_deref(), Some("请审核"));

    // 编号 brought the numbered version: appended, now the latest, and signed off.
    let mut numbered = doc.clone();
    numbered.doc_number = "宿发改〔2026〕1号".into();
    store
        .apply_changes(&leader, &page(vec![at("seal", &numbered, 2, id)]))
        .unwrap();
    let stored = store.get(id).unwrap().unwrap();
    assert_eq!(stored.document.doc_number, "宿发改〔2026〕1号");
    assert_eq!(stored.status, DocStatus::SignedOff);
    assert!(stored.version >= 2, "the earlier version is kept");
    // Applying the same page again changes nothing.
    let again = store
        .apply_changes(&leader, &page(vec![at("seal", &numbered, 2, id)]))
        .unwrap();
    assert_eq!(again.changes, 1);
    assert_eq!(store.get(id).unwrap().unwrap().version, stored.version);
}

#[test]
fn boxes_show_what_the_user_may_take_and_nothing_above_their_clearance() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let leader = as_role(Role::Leader, Classification::Secret);
    store.set_account(Some(&leader)).unwrap();
    let (a, b, c) = (
        DocumentId(uuid::Uuid::new_v4()),
        DocumentId(uuid::Uuid::new_v4()),
        DocumentId(uuid::Uuid::new_v4()),
    );
    let plain = notice(
        "关于报送年度统计数据的通知",
        "2026年12月1日",
        "请按时报送。",
    );
    let mut secret = notice(
        "关于做好应急演练保密工作的通知",
        "2026年12月2日",
        "注意保密。",
    );
    secret.classification = Classification::Secret;
    secret.copy_number = "000001".into();
    secret.secrecy_term = "1年".into();
    store
        .apply_changes(
            &leader,
            &page(vec![
                at("sign_off", &plain, 1, a),
                at("recheck", &plain, 2, b),
                at("sign_off", &secret, 3, c),
            ]),
        )
        .unwrap();
    let todo: Vec<_> = store
        .handling_box(HandlingBox::Todo)
        .unwrap()
        .into_iter()
        .map(|i| i.summary.id)
        .collect();
    assert_eq!(todo.len(), 2, "two wait at 签发 for a leader");
    assert!(todo.contains(&a) && todo.contains(&c) && !todo.contains(&b));

    // A clerk of the unit: 复核 is theirs, 签发 is not.
    let clerk = as_role(Role::Clerk, Classification::Confidential);
    store.set_account(Some(&clerk)).unwrap();
    let todo: Vec<_> = store
        .handling_box(HandlingBox::Todo)
        .unwrap()
        .into_iter()
        .map(|i| i.summary.id)
        .collect();
    assert_eq!(todo, vec![b]);
    // Below 秘密, the secret document and its handling are not there at all.
    assert!(store.handlings(c).unwrap().is_empty());
    // Logged out: no box.
    store.sign_out().unwrap();
    assert!(store.handling_box(HandlingBox::Todo).unwrap().is_empty());
}

/// A 收文 at 传阅 for the logged-in leader: a 阅件 when 初审 sent it straight there,
/// a 办件 when it went through 拟办, 批办 and 承办 first.
fn circulating(doc: &Document, seq: u64, id: DocumentId, reading_only: bool) -> Change {
    let flow = Flow::default_for(FlowKind::Incoming);
    let mut h = Handling::start(&flow, "sz-fgw".into());
    let kinds: &[&str] = if reading_only {
        &["acknowledge", "register", "screen"]
    } else {
        &["acknowledge", "register", "screen", "propose", "instruct"]
    };
    for step in kinds {
        let s = flow.step(&(*step).into()).expect("step");
        h.trail.push(TrailEntry {
            step: s.id.clone(),
            kind: s.kind,
            action: StepAction::Finish {
                next: None,
                participants: vec![],
            },
            by: "fgw-clerk".into(),
            role: Role::Clerk,
            unit: "sz-fgw".into(),
            at: common::NOW.into(),
            acted_by: None,
            opinion: None,
            result: None,
        });
    }
    let s = flow.step(&"circulate".into()).expect("传阅");
    h.step = s.id.clone();
    h.step_kind = s.kind;
    h.arrived = h.trail.len();
    h.branches = vec![gongwen_core::handling::Branch {
        participant: gongwen_core::handling::Participant::User("fgw-someone".into()),
        lead: false,
        status: gongwen_core::handling::BranchStatus::Open,
    }];
    Change {
        seq,
        command_id: CommandId(uuid::Uuid::new_v4()),
        entry: ChangeEntry::Handling {
            document_id: id,
            handling: Box::new(h),
            document: Some(Box::new(doc.clone())),
            content_hash: content_hash(doc),
        },
    }
}

#[test]
fn the_reading_box_holds_documents_for_reading_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let leader = as_role(Role::Leader, Classification::Secret);
    store.set_account(Some(&leader)).unwrap();
    let (to_read, to_handle) = (
        DocumentId(uuid::Uuid::new_v4()),
        DocumentId(uuid::Uuid::new_v4()),
    );
    let a = notice("关于印发2026年统计工作要点的通知", "2026年12月1日", "供参阅。");
    let b = notice(
        "关于申请追加秸秆综合利用补助资金的请示",
        "2026年12月2日",
        "请予审批。",
    );
    store
        .apply_changes(
            &leader,
            &page(vec![
                circulating(&a, 1, to_read, true),
                circulating(&b, 2, to_handle, false),
            ]),
        )
        .unwrap();
    let ids = |which| -> Vec<DocumentId> {
        store
            .handling_box(which)
            .unwrap()
            .into_iter()
            .map(|i| i.summary.id)
            .collect()
    };
    assert_eq!(ids(HandlingBox::Reading), vec![to_read]);
    // Both wait for the leader to read them; the 办件 is not a 阅件.
    let todo = ids(HandlingBox::Todo);
    assert!(todo.contains(&to_read) && todo.contains(&to_handle), "{todo:?}");
}

