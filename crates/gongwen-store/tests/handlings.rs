//! A unit's handling of a document as the sync brings it: stored whole, its version
//! becoming the local latest, and the boxes a user sees built from it.

mod common;

use common::{account, notice};
use gongwen_core::flow::{Flow, FlowKind};
use gongwen_core::handling::{Handling, StepAction, TrailEntry};
use gongwen_core::wire::{Change, ChangeEntry, ChangesPage, CommandId, Role};
use gongwen_core::workflow::content_hash;
use gongwen_core::{Classification, DocStatus, Document, DocumentId, Urgency};
use gongwen_store::{Account, DueState, HandlingBox, Store};

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
    let a = notice(
        "关于印发2026年统计工作要点的通知",
        "2026年12月1日",
        "供参阅。",
    );
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
    assert!(
        todo.contains(&to_read) && todo.contains(&to_handle),
        "{todo:?}"
    );
}

/// A document waiting at 签发 with this 紧急程度 and 限办日期.
fn waiting(
    title: &str,
    urgency: Urgency,
    deadline: Option<&str>,
    seq: u64,
) -> (DocumentId, Change) {
    let id = DocumentId(uuid::Uuid::new_v4());
    let mut doc = notice(title, "2026年12月1日", "请按时办理。");
    doc.urgency = urgency;
    let mut change = at("sign_off", &doc, seq, id);
    if let ChangeEntry::Handling { handling, .. } = &mut change.entry {
        handling.deadline = deadline.map(String::from);
    }
    (id, change)
}

#[test]
fn due_items_are_特急_and_those_within_a_working_day_of_their_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let leader = as_role(Role::Leader, Classification::Secret);
    store.set_account(Some(&leader)).unwrap();
    let (plain, c1) = waiting("关于报送统计年报的通知", Urgency::Normal, None, 1);
    let (urgent, c2) = waiting(
        "关于做好寒潮防范工作的紧急通知",
        Urgency::Immediate,
        None,
        2,
    );
    // Friday 2026-12-11: Monday the 14th is the next working day (the weekend is skipped).
    let (monday, c3) = waiting(
        "关于报送年度考核材料的通知",
        Urgency::Normal,
        Some("2026-12-14"),
        3,
    );
    let (late, c4) = waiting(
        "关于报送安全检查情况的通知",
        Urgency::Normal,
        Some("2026-12-10"),
        4,
    );
    let (later, c5) = waiting(
        "关于做好年终决算工作的通知",
        Urgency::Normal,
        Some("2026-12-16"),
        5,
    );
    // 特急 and overdue: told as overdue, the more pressing.
    let (both, c6) = waiting(
        "关于排查燃气安全隐患的紧急通知",
        Urgency::Immediate,
        Some("2026-12-09"),
        6,
    );
    store
        .apply_changes(&leader, &page(vec![c1, c2, c3, c4, c5, c6]))
        .unwrap();
    let friday = chrono::NaiveDate::from_ymd_opt(2026, 12, 11).unwrap();
    let due = store.due_items(friday).unwrap();
    let state = |id: DocumentId| {
        due.iter()
            .find(|d| d.item.summary.id == id)
            .map(|d| (d.state, d.working_days_left))
    };
    assert_eq!(state(plain), None);
    assert_eq!(state(later), None, "3 working days left is not yet due");
    assert_eq!(state(urgent), Some((DueState::Immediate, None)));
    assert_eq!(state(monday), Some((DueState::DueSoon, Some(1))));
    assert_eq!(state(late), Some((DueState::Overdue, Some(-1))));
    assert_eq!(state(both), Some((DueState::Overdue, Some(-2))));
    assert_eq!(due.len(), 4, "{due:?}");
    // On Monday the 14th the one due that day is still told as due, not late.
    let monday_14 = chrono::NaiveDate::from_ymd_opt(2026, 12, 14).unwrap();
    let due = store.due_items(monday_14).unwrap();
    let m = due
        .iter()
        .find(|d| d.item.summary.id == monday)
        .expect("due today");
    assert_eq!((m.state, m.working_days_left), (DueState::DueSoon, Some(0)));
    // Only the user's 待办: a clerk cannot 签发, so nothing is due for them.
    let clerk = as_role(Role::Clerk, Classification::Secret);
    store.set_account(Some(&clerk)).unwrap();
    assert!(store.due_items(friday).unwrap().is_empty());
}

/// What the tray counts and the notifications say is read as the box is: a leader
/// cleared below a document's 密级, a leader of another unit on the same computer, and
/// a desk with nobody logged in are told nothing of it, not even its title.
#[test]
fn due_items_tell_nobody_of_what_they_may_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let leader = as_role(Role::Leader, Classification::Secret);
    store.set_account(Some(&leader)).unwrap();
    let (open, c1) = waiting(
        "关于做好寒潮防范工作的紧急通知",
        Urgency::Immediate,
        None,
        1,
    );
    let secret_title = "关于防范重大风险隐患的紧急通知";
    let (secret, mut c2) = waiting(secret_title, Urgency::Immediate, Some("2026-12-10"), 2);
    if let ChangeEntry::Handling {
        document: Some(doc),
        content_hash,
        ..
    } = &mut c2.entry
    {
        doc.classification = Classification::Secret;
        doc.copy_number = "000001".into();
        doc.secrecy_term = "5年".into();
        *content_hash = gongwen_core::workflow::content_hash(doc);
    }
    store.apply_changes(&leader, &page(vec![c1, c2])).unwrap();
    let friday = chrono::NaiveDate::from_ymd_opt(2026, 12, 11).unwrap();
    let ids = |store: &Store| -> Vec<DocumentId> {
        store
            .due_items(friday)
            .unwrap()
            .iter()
            .map(|d| d.item.summary.id)
            .collect()
    };
    assert_eq!(
        ids(&store),
        vec![secret, open],
        "the cleared leader is told of both"
    );

    // The same unit's leader cleared only for 非密.
    store
        .set_account(Some(&as_role(Role::Leader, Classification::Unclassified)))
        .unwrap();
    let due = store.due_items(friday).unwrap();
    assert_eq!(ids(&store), vec![open]);
    assert!(
        !format!("{due:?}").contains(secret_title),
        "nothing of the secret document: {due:?}"
    );

    // A leader of another unit logged in on the same computer.
    let mut other = account("http://127.0.0.1:1", "tjj-leader", "sz-tjj");
    other.user.role = Role::Leader;
    other.user.clearance = Classification::Secret;
    store.set_account(Some(&other)).unwrap();
    assert_eq!(
        ids(&store),
        Vec::<DocumentId>::new(),
        "not their unit's 待办"
    );

    // Nobody logged in.
    store.set_account(None).unwrap();
    assert_eq!(ids(&store), Vec::<DocumentId>::new());
}

/// A unit's own flow (set by the exchange's admin, brought by the directory) decides
/// whose 待办 a step is: at 市发改委 核稿 is the leader's, not the office director's.
#[test]
fn the_待办_follows_the_units_own_flow_from_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let director = as_role(Role::OfficeDirector, Classification::Secret);
    let leader = as_role(Role::Leader, Classification::Secret);
    store.set_account(Some(&director)).unwrap();
    let id = DocumentId(uuid::Uuid::new_v4());
    let doc = notice(
        "关于做好冬季安全生产工作的通知",
        "2026年12月7日",
        "请各单位认真落实。",
    );
    store
        .apply_changes(&director, &page(vec![at("review", &doc, 1, id)]))
        .unwrap();
    let todo = |store: &Store| -> Vec<DocumentId> {
        store
            .handling_box(HandlingBox::Todo)
            .unwrap()
            .iter()
            .map(|i| i.summary.id)
            .collect()
    };
    // The 条例's flow: the office director 核稿s.
    assert_eq!(todo(&store), vec![id]);

    let review = "id = \"review\"\nkind = \"review\"\nroles = [\"office_director\", \"leader\"]";
    let own = gongwen_core::flow::DEFAULT_OUTGOING.replace(
        review,
        "id = \"review\"\nkind = \"review\"\nroles = [\"leader\"]",
    );
    assert_ne!(own, gongwen_core::flow::DEFAULT_OUTGOING);
    store
        .set_directory(&gongwen_core::wire::Directory {
            flows: vec![gongwen_core::wire::UnitFlow {
                unit: "sz-fgw".into(),
                kind: FlowKind::Outgoing,
                source: own,
            }],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(todo(&store), Vec::<DocumentId>::new());
    store.set_account(Some(&leader)).unwrap();
    assert_eq!(todo(&store), vec![id]);
}
