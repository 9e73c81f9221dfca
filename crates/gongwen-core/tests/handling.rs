//! The 发文 and 收文 flows as `workflow::decide` runs them, without a server: the
//! story of the workflow issue step by step, the races, and every refusal.

use std::cell::{Cell, RefCell};

use gongwen_core::flow::StepId;
use gongwen_core::handling::{BranchStatus, Participant, Publicity, StepAction};
use gongwen_core::wire::{ChangeEntry, CommandBody, RejectCode, Rejection, Role, UnitCode};
use gongwen_core::workflow::{decide, Actor, Context, Decision, DocumentState, NumberTaken};
use gongwen_core::{Classification, Document, DocumentFile, DocumentId};

const NOW: &str = "2026-12-07T08:00:00Z";

/// The server's side as far as `decide` asks: units, users, the stored content and
/// one number series per kind.
struct Server {
    content: RefCell<Option<Document>>,
    outgoing_last: Cell<i64>,
    incoming_last: Cell<i64>,
}

impl Server {
    fn new() -> Server {
        Server {
            content: RefCell::new(None),
            outgoing_last: Cell::new(0),
            incoming_last: Cell::new(0),
        }
    }

    /// Stores what a decision says, as the exchange's commit does.
    fn apply(&self, d: &Decision) {
        if let Some(doc) = &d.document {
            *self.content.borrow_mut() = Some(doc.clone());
        }
        for n in &d.numbers {
            if n.series.starts_with("收") {
                self.incoming_last.set(n.number);
            } else {
                self.outgoing_last.set(n.number);
            }
        }
    }
}

impl Context for Server {
    fn unit_exists(&self, unit: &UnitCode) -> bool {
        ["fgw", "szf", "czj", "tjj"].contains(&unit.0.as_str())
    }
    fn blob_exists(&self, _: &str) -> bool {
        true
    }
    fn unit_clearance(&self, _: &UnitCode) -> Option<Classification> {
        Some(Classification::TopSecret)
    }
    fn current_document(&self) -> Option<Document> {
        self.content.borrow().clone()
    }
    fn next_number(
        &self,
        _unit: &UnitCode,
        _doc: &Document,
        incoming: bool,
        year: i32,
    ) -> Result<NumberTaken, Rejection> {
        Ok(if incoming {
            let n = self.incoming_last.get() + 1;
            NumberTaken {
                series: format!("收/{year}"),
                number: n,
                text: format!("收〔{year}〕{n}号"),
            }
        } else {
            let n = self.outgoing_last.get() + 1;
            NumberTaken {
                series: format!("宿发改/{year}"),
                number: n,
                text: format!("宿发改〔{year}〕{n}号"),
            }
        })
    }
    fn user(&self, username: &str) -> Option<(UnitCode, Role, Classification)> {
        let unit = username.split('-').next()?;
        Some((unit.into(), Role::Leader, Classification::Secret))
    }
}

fn actor(name: &str, role: Role) -> Actor {
    Actor {
        username: name.into(),
        unit: name.split('-').next().unwrap_or_default().into(),
        role,
        clearance: Classification::Secret,
    }
}

fn request() -> Document {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/demo/17-request-straw-subsidy.toml"
    ))
    .expect("demo file");
    let mut doc = DocumentFile::from_toml(&text).expect("valid").document;
    doc.doc_number = "宿发改〔2026〕　号".into();
    doc
}

fn id() -> DocumentId {
    DocumentId(uuid::Uuid::from_u128(7))
}

fn step(name: &str, action: StepAction) -> CommandBody {
    CommandBody::Step {
        document_id: id(),
        step: StepId::from(name),
        action,
        opinion: None,
        document: None,
        publicity: None,
        deadline: None,
    }
}

fn finish() -> StepAction {
    StepAction::Finish {
        next: None,
        participants: vec![],
    }
}

fn finish_to(next: &str, participants: Vec<Participant>) -> StepAction {
    StepAction::Finish {
        next: Some(StepId::from(next)),
        participants,
    }
}

fn with_opinion(mut body: CommandBody, text: &str) -> CommandBody {
    if let CommandBody::Step { opinion, .. } = &mut body {
        *opinion = Some(text.into());
    }
    body
}

/// Runs a command and stores its decision, returning the new state.
fn run(
    server: &Server,
    state: Option<&DocumentState>,
    who: &Actor,
    body: CommandBody,
) -> Result<DocumentState, Rejection> {
    let d = decide(state, who, &body, server, NOW)?;
    server.apply(&d);
    Ok(d.state)
}

fn submitted(server: &Server) -> DocumentState {
    let mut body = step("draft", finish());
    if let CommandBody::Step { document, .. } = &mut body {
        *document = Some(Box::new(request()));
    }
    run(server, None, &actor("fgw-clerk", Role::Clerk), body).expect("送审")
}

#[test]
fn outgoing_story_from_draft_to_dispatch() {
    let server = Server::new();
    let clerk = actor("fgw-clerk", Role::Clerk);
    let director = actor("fgw-director", Role::OfficeDirector);
    let leader = actor("fgw-leader", Role::Leader);

    let st = submitted(&server);
    let h = st.handling(&"fgw".into()).expect("handling");
    assert_eq!(h.step.as_str(), "review");

    // 核稿 sends it back once, with a reason; the clerk fixes it and sends it again.
    let back = StepAction::Return {
        to: StepId::from("draft"),
        reason: "请补充资金测算依据".into(),
    };
    let st = run(&server, Some(&st), &director, step("review", back)).expect("退回");
    assert_eq!(st.handlings[0].step.as_str(), "draft");
    let mut again = step("draft", finish());
    if let CommandBody::Step { document, .. } = &mut again {
        let mut d = request();
        d.body =
            gongwen_core::Body::from_text(&format!("{}\n（测算依据见附件）", d.body.to_text()));
        *document = Some(Box::new(d));
    }
    let st = run(&server, Some(&st), &clerk, again).expect("再送审");

    // 核稿 with an opinion, on to 会签 by two other units; one more is 加签.
    let to_countersign = finish_to(
        "countersign",
        vec![
            Participant::Unit("czj".into()),
            Participant::Unit("tjj".into()),
        ],
    );
    let st = run(
        &server,
        Some(&st),
        &director,
        with_opinion(step("review", to_countersign), "文字已核，请会签"),
    )
    .expect("核稿");
    assert_eq!(st.handlings[0].branches.len(), 2);
    assert!(st.units().any(|u| u.0 == "czj"), "会签 units may read it");
    let add = StepAction::AddParticipant {
        participant: Participant::Unit("szf".into()),
    };
    let st = run(&server, Some(&st), &director, step("countersign", add)).expect("加签");
    let mut st = st;
    for unit in ["czj", "tjj", "szf"] {
        // Each unit's branch closes on its own; the step ends with the last one.
        assert_eq!(st.handlings[0].step.as_str(), "countersign");
        let who = actor(&format!("{unit}-director"), Role::OfficeDirector);
        let sign = with_opinion(step("countersign", finish()), "同意");
        st = run(&server, Some(&st), &who, sign).expect("会签");
    }
    let h = &st.handlings[0];
    assert_eq!(h.step.as_str(), "sign_off");
    assert!(h.branches.is_empty());

    // 签发 needs a 公开属性; with it, the leader signs (offline commands are the same
    // command, decided when they arrive).
    let e = run(&server, Some(&st), &leader, step("sign_off", finish())).unwrap_err();
    assert_eq!(e.code, RejectCode::Invalid);
    assert!(e.message.contains("公开属性"), "{}", e.message);
    let mut sign = with_opinion(step("sign_off", finish()), "同意");
    if let CommandBody::Step { publicity, .. } = &mut sign {
        *publicity = Some(Publicity::Active);
    }
    let st = run(&server, Some(&st), &leader, sign).expect("签发");
    let st = run(&server, Some(&st), &clerk, step("recheck", finish())).expect("复核");

    // 编号 gives the real 发文字号, in the document the clerk gets back.
    let d = decide(
        Some(&st),
        &clerk,
        &step("assign_number", finish()),
        &server,
        NOW,
    )
    .expect("编号");
    server.apply(&d);
    assert_eq!(d.numbers.len(), 1);
    let doc = d.document.clone().expect("new version");
    assert_eq!(doc.doc_number, "宿发改〔2026〕1号");
    let carried = d.log.iter().any(|(unit, e)| {
        unit.0 == "fgw"
            && matches!(e, ChangeEntry::Handling { document: Some(doc), .. } if doc.doc_number == "宿发改〔2026〕1号")
    });
    assert!(carried, "the clerk's unit gets the numbered version");
    let st = d.state;
    let st = run(&server, Some(&st), &clerk, step("seal", finish())).expect("用印");

    // 核发 is the dispatch, with the numbered version and only that one.
    let stale = CommandBody::Dispatch {
        document_id: id(),
        document: Box::new(request()),
        main: vec!["szf".into()],
        cc: vec![],
    };
    let e = run(&server, Some(&st), &clerk, stale).unwrap_err();
    assert_eq!(e.code, RejectCode::InvalidState, "{}", e.message);
    let dispatch = CommandBody::Dispatch {
        document_id: id(),
        document: Box::new(doc),
        main: vec!["szf".into()],
        cc: vec![],
    };
    let st = run(&server, Some(&st), &clerk, dispatch).expect("核发");
    let h = st.handling(&"fgw".into()).expect("handling");
    assert!(h.finished);
    assert_eq!(h.status_label(), "已核发");
    let trail: Vec<_> = h.trail.iter().map(|e| e.kind.label()).collect();
    assert_eq!(
        trail,
        [
            "拟稿", "核稿", "拟稿", "核稿", "会签", "会签", "会签", "会签", "签发", "复核", "编号",
            "用印", "核发"
        ]
    );
    let opinions: Vec<_> = h
        .trail
        .iter()
        .filter_map(|e| e.opinion.as_deref().map(|o| (e.by.as_str(), o)))
        .collect();
    assert!(opinions.contains(&("fgw-leader", "同意")));
    assert!(opinions.contains(&("fgw-director", "文字已核，请会签")));
}

/// The state at 签发, after 核稿 went straight on (no 会签).
fn at_sign_off(server: &Server) -> DocumentState {
    let st = submitted(server);
    let director = actor("fgw-director", Role::OfficeDirector);
    run(
        server,
        Some(&st),
        &director,
        step("review", finish_to("sign_off", vec![])),
    )
    .expect("核稿")
}

fn sign_off(opinion: &str) -> CommandBody {
    let mut sign = with_opinion(step("sign_off", finish()), opinion);
    if let CommandBody::Step { publicity, .. } = &mut sign {
        *publicity = Some(Publicity::OnRequest);
    }
    sign
}

#[test]
fn two_leaders_sign_at_once_and_the_late_one_is_told_who_signed() {
    let server = Server::new();
    let st = at_sign_off(&server);
    // Both decided on the same state; the server stores the first and decides the
    // second again on the new state (its compare-and-set lost).
    let first = run(
        &server,
        Some(&st),
        &actor("fgw-zhang", Role::Leader),
        sign_off("同意"),
    )
    .expect("first sign-off");
    let e = run(
        &server,
        Some(&first),
        &actor("fgw-li", Role::Leader),
        sign_off("请再斟酌"),
    )
    .unwrap_err();
    assert_eq!(e.code, RejectCode::InvalidState);
    assert!(e.message.contains("fgw-zhang"), "{}", e.message);
    assert!(e.message.contains("签发"), "{}", e.message);
    // Beijing time, as everywhere a person reads it: 08:00 UTC is 16:00 in Beijing.
    assert!(e.message.contains("2026年12月7日 16:00"), "{}", e.message);
    let signed: Vec<_> = first.handlings[0]
        .trail
        .iter()
        .filter(|e| e.kind.label() == "签发")
        .collect();
    assert_eq!(signed.len(), 1, "one 签发 on the record");
}

#[test]
fn withdraw_races_sign_off() {
    // 撤回 first: the leader's 签发 is late.
    let server = Server::new();
    let st = at_sign_off(&server);
    let director = actor("fgw-director", Role::OfficeDirector);
    let back = run(
        &server,
        Some(&st),
        &director,
        step("sign_off", StepAction::Withdraw),
    );
    // The withdraw names the step it takes back from: the current one.
    let back = back.expect("撤回");
    assert_eq!(back.handlings[0].step.as_str(), "review");
    let e = run(
        &server,
        Some(&back),
        &actor("fgw-leader", Role::Leader),
        sign_off("同意"),
    )
    .unwrap_err();
    assert_eq!(e.code, RejectCode::InvalidState);
    assert!(e.message.contains("撤回"), "{}", e.message);

    // 签发 first: the 撤回 is late.
    let server = Server::new();
    let st = at_sign_off(&server);
    let signed = run(
        &server,
        Some(&st),
        &actor("fgw-leader", Role::Leader),
        sign_off("同意"),
    )
    .expect("签发");
    let e = run(
        &server,
        Some(&signed),
        &director,
        step("sign_off", StepAction::Withdraw),
    )
    .unwrap_err();
    assert_eq!(e.code, RejectCode::InvalidState);
    assert!(e.message.contains("fgw-leader"), "{}", e.message);

    // Only who sent it on may withdraw it.
    let server = Server::new();
    let st = at_sign_off(&server);
    let e = run(
        &server,
        Some(&st),
        &actor("fgw-clerk", Role::Clerk),
        step("sign_off", StepAction::Withdraw),
    )
    .unwrap_err();
    assert_eq!(e.code, RejectCode::Forbidden);
}

#[test]
fn who_may_not_take_a_step_is_refused_and_nothing_changes() {
    let server = Server::new();
    let st = at_sign_off(&server);
    // The wrong role.
    let e = decide(
        Some(&st),
        &actor("fgw-clerk", Role::Clerk),
        &sign_off("同意"),
        &server,
        NOW,
    )
    .unwrap_err();
    assert_eq!(e.code, RejectCode::Forbidden);
    assert!(e.message.contains("领导"), "{}", e.message);
    // Another unit's leader: the document does not exist for them.
    let e = decide(
        Some(&st),
        &actor("tjj-leader", Role::Leader),
        &sign_off("同意"),
        &server,
        NOW,
    )
    .unwrap_err();
    assert_eq!(e.code, RejectCode::NotFound);
    // A leader below the document's 密级.
    let mut secret = st.clone();
    secret.classification = Classification::Secret;
    let mut low = actor("fgw-leader", Role::Leader);
    low.clearance = Classification::Confidential;
    let e = decide(Some(&secret), &low, &sign_off("同意"), &server, NOW).unwrap_err();
    assert_eq!(e.code, RejectCode::AboveClearance);
    // A step that is not the current one, a return the flow does not allow, a choice
    // of next step that does not exist.
    let leader = actor("fgw-leader", Role::Leader);
    let e = decide(Some(&st), &leader, &step("seal", finish()), &server, NOW).unwrap_err();
    assert_eq!(e.code, RejectCode::InvalidState);
    let wrong_back = StepAction::Return {
        to: StepId::from("seal"),
        reason: "x".into(),
    };
    let e = decide(
        Some(&st),
        &leader,
        &step("sign_off", wrong_back),
        &server,
        NOW,
    )
    .unwrap_err();
    assert_eq!(e.code, RejectCode::Invalid);
    // A 签发 of a document with errors names them.
    let mut broken = request();
    broken.title.clear();
    *server.content.borrow_mut() = Some(broken);
    let e = decide(Some(&st), &leader, &sign_off("同意"), &server, NOW).unwrap_err();
    assert_eq!(e.code, RejectCode::Invalid);
    assert!(e.message.contains("标题"), "{}", e.message);
}

#[test]
fn incoming_story_from_acknowledge_to_complete() {
    let server = Server::new();
    // 市发改委 dispatches a document without a flow of its own (the older path).
    let dispatch = CommandBody::Dispatch {
        document_id: id(),
        document: Box::new(request()),
        main: vec!["szf".into()],
        cc: vec![],
    };
    let st = run(&server, None, &actor("fgw-clerk", Role::Clerk), dispatch).expect("分发");
    let clerk = actor("szf-clerk", Role::Clerk);
    let director = actor("szf-director", Role::OfficeDirector);
    let leader = actor("szf-leader", Role::Leader);

    // Steps before 签收 are refused.
    let e = run(&server, Some(&st), &clerk, step("register", finish())).unwrap_err();
    assert!(e.message.contains("签收"), "{}", e.message);
    let ack = CommandBody::Acknowledge { document_id: id() };
    let st = run(&server, Some(&st), &clerk, ack).expect("签收");
    let h = st.handling(&"szf".into()).expect("收文 handling");
    assert_eq!(h.step.as_str(), "register");

    let st = run(&server, Some(&st), &clerk, step("register", finish())).expect("登记");
    assert_eq!(st.handlings[0].number.as_deref(), Some("收〔2026〕1号"));
    let st = run(
        &server,
        Some(&st),
        &clerk,
        step("screen", finish_to("propose", vec![])),
    )
    .expect("初审");
    let st = run(
        &server,
        Some(&st),
        &director,
        with_opinion(step("propose", finish()), "拟请秘书长阅示"),
    )
    .expect("拟办");
    let mut instruct = with_opinion(
        step(
            "instruct",
            finish_to(
                "handle",
                vec![
                    Participant::Unit("czj".into()),
                    Participant::Unit("tjj".into()),
                ],
            ),
        ),
        "请财政局牵头办理",
    );
    if let CommandBody::Step { deadline, .. } = &mut instruct {
        *deadline = Some("2026-12-20".into());
    }
    let st = run(&server, Some(&st), &leader, instruct).expect("批办");
    let h = &st.handlings[0];
    assert_eq!(h.deadline.as_deref(), Some("2026-12-20"));
    assert!(h.branches[0].lead, "the first named is 主办");
    assert_eq!(h.branches[0].status, BranchStatus::Open);

    // 催办 to the 主办 while it handles.
    let remind = StepAction::Remind {
        to: Some(Participant::Unit("czj".into())),
        note: "限办日期将至，请抓紧办理".into(),
    };
    let st = run(&server, Some(&st), &clerk, step("remind", remind)).expect("催办");
    for unit in ["czj", "tjj"] {
        let who = actor(&format!("{unit}-clerk"), Role::Clerk);
        let done = with_opinion(step("handle", finish()), "已办理");
        let st2 = run(&server, Some(&st), &who, done.clone());
        if unit == "czj" {
            let st2 = st2.expect("主办");
            let e = run(&server, Some(&st2), &who, done).unwrap_err();
            assert!(e.message.contains("已办理"), "{}", e.message);
        }
    }
    // Both branches done (on the states above each ran on its own copy; run them in
    // order here).
    let czj = actor("czj-clerk", Role::Clerk);
    let tjj = actor("tjj-clerk", Role::Clerk);
    let st = run(&server, Some(&st), &czj, step("handle", finish())).expect("主办");
    let st = run(&server, Some(&st), &tjj, step("handle", finish())).expect("协办");
    assert_eq!(st.handlings[0].step.as_str(), "circulate");
    // The office sends it round to two leaders (加签 on the empty 传阅); each marks it read.
    let h = &st.handlings[0];
    assert!(h.branches.is_empty(), "{h:?}");
    let e = run(
        &server,
        Some(&st),
        &clerk,
        step(
            "circulate",
            StepAction::AddParticipant {
                participant: Participant::User("szf-leader".into()),
            },
        ),
    )
    .unwrap_err();
    assert_eq!(
        e.code,
        RejectCode::Forbidden,
        "a clerk does not choose readers"
    );
    let mut st = st;
    for reader in ["szf-leader", "szf-deputy"] {
        let add = StepAction::AddParticipant {
            participant: Participant::User(reader.into()),
        };
        st = run(&server, Some(&st), &director, step("circulate", add)).expect("加签");
    }
    // Someone not on the list may not mark it read.
    let e = run(
        &server,
        Some(&st),
        &actor("szf-other", Role::Leader),
        step("circulate", finish()),
    )
    .unwrap_err();
    assert_eq!(e.code, RejectCode::Forbidden);
    st = run(
        &server,
        Some(&st),
        &leader,
        with_opinion(step("circulate", finish()), "已阅"),
    )
    .expect("传阅");
    assert_eq!(st.handlings[0].step.as_str(), "circulate");
    st = run(
        &server,
        Some(&st),
        &actor("szf-deputy", Role::Leader),
        step("circulate", finish()),
    )
    .expect("传阅");
    assert_eq!(st.handlings[0].step.as_str(), "complete");

    // 办结 with 注办; the sender hears of it.
    let d = decide(
        Some(&st),
        &clerk,
        &with_opinion(step("complete", finish()), "已按批示办理，资金已追加"),
        &server,
        NOW,
    )
    .expect("办结");
    let h = &d.state.handlings[0];
    assert!(h.finished);
    assert_eq!(h.status_label(), "已办结");
    assert!(
        d.log.iter().any(|(unit, _)| unit.0 == "fgw"),
        "the 答复 reaches the sender"
    );
}
