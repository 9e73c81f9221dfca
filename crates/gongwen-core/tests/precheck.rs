//! `workflow::precheck`: the rules a command keeps whatever the document's state, which
//! a client checks before it queues the command and `decide` applies on the server, and
//! `check_answer`, the one state-dependent rule both sides share.

use gongwen_core::wire::{CommandBody, DeliveryStatus, RejectCode, Role, UnitCode};
use gongwen_core::workflow::{check_answer, decide, precheck, Actor, Context};
use gongwen_core::{Classification, Document, DocumentId};

struct Units;
impl Context for Units {
    fn unit_exists(&self, unit: &UnitCode) -> bool {
        ["sz-fgw", "sz-tjj", "yq-gov"].contains(&unit.0.as_str())
    }
    fn blob_exists(&self, _sha256: &str) -> bool {
        true
    }
    fn unit_clearance(&self, _unit: &UnitCode) -> Option<Classification> {
        Some(Classification::Secret)
    }
}

fn clerk() -> Actor {
    Actor {
        username: "fgw-clerk".into(),
        unit: "sz-fgw".into(),
        role: Role::Clerk,
        clearance: Classification::Confidential,
    }
}

const NOW: &str = "2026-11-25T08:00:00Z";

/// A 函 without validation errors: only the recipients vary in these tests.
fn letter() -> Document {
    Document {
        issuer_mark: vec!["宿州市发展和改革委员会".into()],
        doc_number: "宿发改函〔2026〕3号".into(),
        title: "宿州市发展和改革委员会关于商请提供统计资料的函".into(),
        main_recipients: vec!["宿州市统计局".into()],
        body: gongwen_core::Body::from_text("请于月底前提供有关统计资料。"),
        issuer_signature: vec!["宿州市发展和改革委员会".into()],
        date_of_issue: "2026年11月25日".into(),
        ..Document::new(gongwen_core::DocKind::Letter)
    }
}

fn dispatch(main: &[&str], cc: &[&str]) -> CommandBody {
    CommandBody::Dispatch {
        document_id: DocumentId(uuid::Uuid::nil()),
        document: Box::new(letter()),
        main: main.iter().map(|u| UnitCode::from(*u)).collect(),
        cc: cc.iter().map(|u| UnitCode::from(*u)).collect(),
    }
}

/// `precheck` refuses `body` with `zh`, and `decide` (no state yet) refuses it the same.
fn refused_alike(body: &CommandBody, zh: &str) {
    let e = precheck(body).unwrap_err();
    assert_eq!(e.code, RejectCode::Invalid);
    assert_eq!(e.message, zh);
    assert!(
        !e.message_en.contains("--"),
        "no CLI flag: {}",
        e.message_en
    );
    if let CommandBody::Dispatch { .. } = body {
        let d = decide(None, &clerk(), body, &Units, NOW).unwrap_err();
        assert_eq!(d, e, "decide applies the same rule");
    }
}

#[test]
fn a_dispatch_needs_a_main_recipient() {
    refused_alike(&dispatch(&[], &[]), "至少需要一个主送单位");
    refused_alike(&dispatch(&[], &["sz-tjj"]), "至少需要一个主送单位");
}

#[test]
fn a_unit_is_listed_once() {
    refused_alike(
        &dispatch(&["sz-tjj", "sz-tjj"], &[]),
        "单位“sz-tjj”重复出现在主送或抄送中",
    );
    refused_alike(
        &dispatch(&["sz-tjj"], &["sz-tjj"]),
        "单位“sz-tjj”重复出现在主送或抄送中",
    );
}

#[test]
fn a_unit_code_is_not_empty() {
    refused_alike(&dispatch(&["sz-tjj"], &["  "]), "收文单位代码为空");
}

#[test]
fn a_good_dispatch_passes() {
    let body = dispatch(&["sz-tjj"], &["yq-gov"]);
    assert!(precheck(&body).is_ok());
    assert!(decide(None, &clerk(), &body, &Units, NOW).is_ok());
}

#[test]
fn a_return_needs_a_reason_and_a_receipt_none() {
    let id = DocumentId(uuid::Uuid::nil());
    for reason in ["", "  \n"] {
        refused_alike(
            &CommandBody::Return {
                document_id: id,
                reason: reason.into(),
            },
            "退回必须写明理由",
        );
    }
    assert!(precheck(&CommandBody::Return {
        document_id: id,
        reason: "非本单位职责范围".into(),
    })
    .is_ok());
    assert!(precheck(&CommandBody::Acknowledge { document_id: id }).is_ok());
}

#[test]
fn a_return_without_a_reason_is_refused_by_decide_too() {
    let sent = decide(None, &clerk(), &dispatch(&["sz-tjj"], &[]), &Units, NOW).unwrap();
    let tjj = Actor {
        username: "tjj-clerk".into(),
        unit: "sz-tjj".into(),
        ..clerk()
    };
    let body = CommandBody::Return {
        document_id: sent.state.document_id,
        reason: " ".into(),
    };
    assert_eq!(
        decide(Some(&sent.state), &tjj, &body, &Units, NOW).unwrap_err(),
        precheck(&body).unwrap_err()
    );
}

#[test]
fn an_answer_is_given_only_while_delivered() {
    assert!(check_answer(DeliveryStatus::Delivered, DeliveryStatus::Acknowledged).is_ok());
    assert!(check_answer(DeliveryStatus::Delivered, DeliveryStatus::Returned).is_ok());
    let e = check_answer(DeliveryStatus::Acknowledged, DeliveryStatus::Returned).unwrap_err();
    assert_eq!(e.code, RejectCode::InvalidState);
    assert_eq!(e.message, "该公文已签收，不能再退回");
    let e = check_answer(DeliveryStatus::Returned, DeliveryStatus::Acknowledged).unwrap_err();
    assert_eq!(e.message, "该公文已退回，不能再签收");
}
