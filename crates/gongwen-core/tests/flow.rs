//! Flow files: the shipped defaults load, and each kind of mistake an admin can make in
//! a flow file is refused at load, naming the line and the reason.

use gongwen_core::flow::{Flow, FlowError, FlowKind, FlowProblem, StepKind};
use gongwen_core::wire::Role;

fn ids(flow: &Flow, of: &str) -> Vec<String> {
    let step = flow
        .steps
        .iter()
        .find(|s| s.id.as_str() == of)
        .unwrap_or_else(|| panic!("no step {of}"));
    step.next.iter().map(|s| s.to_string()).collect()
}

fn refused(source: &str) -> FlowError {
    match Flow::parse(source) {
        Ok(flow) => panic!("accepted a bad flow: {flow:?}"),
        Err(e) => e,
    }
}

#[test]
fn the_default_outgoing_flow_follows_the_regulation() {
    let flow = Flow::default_for(FlowKind::Outgoing);
    let kinds: Vec<StepKind> = flow.steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            StepKind::Draft,
            StepKind::Review,
            StepKind::Countersign,
            StepKind::SignOff,
            StepKind::Recheck,
            StepKind::AssignNumber,
            StepKind::Seal,
            StepKind::Dispatch,
        ]
    );
    // 核稿 goes to 会签 or straight to 签发; the rest follow the file's order.
    assert_eq!(ids(&flow, "review"), ["countersign", "sign_off"]);
    assert_eq!(ids(&flow, "countersign"), ["sign_off"]);
    assert_eq!(ids(&flow, "sign_off"), ["recheck"]);
    assert!(ids(&flow, "dispatch").is_empty(), "核发 ends the flow");
    let sign_off = flow.steps_of(StepKind::SignOff).next().expect("a 签发");
    assert_eq!(sign_off.roles, [Role::Leader]);
    assert_eq!(
        sign_off.name, "签发",
        "the kind's label when the file names none"
    );
    assert!(flow.steps_of(StepKind::Countersign).all(|s| s.parallel));
    assert!(
        flow.steps_of(StepKind::Review).all(|s| s.repeat),
        "多级核稿"
    );
}

#[test]
fn the_default_incoming_flow_follows_the_regulation() {
    let flow = Flow::default_for(FlowKind::Incoming);
    assert_eq!(flow.first().kind, StepKind::Acknowledge);
    // A 阅件 goes from 初审 straight to 传阅.
    assert_eq!(ids(&flow, "screen"), ["propose", "circulate"]);
    // 催办 is not a stage: 承办 goes on to 传阅, 传阅 to 办结.
    assert_eq!(ids(&flow, "handle"), ["circulate"]);
    assert_eq!(ids(&flow, "circulate"), ["complete"]);
    let remind = flow.steps_of(StepKind::Remind).next().expect("a 催办");
    let during: Vec<&str> = remind.during.iter().map(|s| s.as_str()).collect();
    assert_eq!(during, ["instruct", "handle", "circulate"]);
    assert!(remind.next.is_empty());
}

const SMALL: &str = r#"kind = "outgoing"

[[step]]
id = "draft"
kind = "draft"
roles = ["clerk"]

[[step]]
id = "sign_off"
kind = "sign_off"
roles = ["leader"]
returns_to = ["draft"]

[[step]]
id = "dispatch"
kind = "dispatch"
roles = ["clerk"]
"#;

#[test]
fn a_small_flow_of_three_steps_loads() {
    let flow = Flow::parse(SMALL).expect("valid");
    assert_eq!(flow.steps.len(), 3);
    assert_eq!(ids(&flow, "draft"), ["sign_off"]);
}

#[test]
fn a_cycle_is_refused_with_its_steps_and_line() {
    let source = SMALL.replace(
        "roles = [\"leader\"]\nreturns_to = [\"draft\"]",
        "roles = [\"leader\"]\nnext = [\"draft\"]",
    );
    let e = refused(&source);
    let FlowProblem::Cycle(steps) = &e.problem else {
        panic!("{e}")
    };
    let steps: Vec<&str> = steps.iter().map(|s| s.as_str()).collect();
    assert_eq!(steps, ["draft", "sign_off"]);
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.to_string().contains("cycle"), "{e}");
    assert!(e.message_zh().starts_with("第3行："), "{}", e.message_zh());
    assert!(e.message_zh().contains("循环"), "{}", e.message_zh());
}

#[test]
fn an_unknown_role_is_refused_with_its_line() {
    let source = SMALL.replace("roles = [\"leader\"]", "roles = [\"section_chief\"]");
    let e = refused(&source);
    assert!(matches!(e.problem, FlowProblem::Syntax(_)), "{e}");
    assert_eq!(e.line, Some(11), "{e}");
    assert!(e.to_string().contains("section_chief"), "{e}");
}

#[test]
fn an_unreachable_step_is_refused() {
    // 签发 goes straight to 核发, so 复核 written between them is never reached.
    let source = SMALL
        .replace(
            "returns_to = [\"draft\"]",
            "returns_to = [\"draft\"]\nnext = [\"dispatch\"]",
        )
        .replace(
            "[[step]]\nid = \"dispatch\"",
            "[[step]]\nid = \"recheck\"\nkind = \"recheck\"\nroles = [\"clerk\"]\n\n[[step]]\nid = \"dispatch\"",
        );
    let e = refused(&source);
    assert_eq!(
        e.problem,
        FlowProblem::Unreachable {
            step: step_id(&e, "recheck")
        },
        "{e}"
    );
    assert_eq!(e.line, Some(15), "{e}");
}

#[test]
fn a_reference_to_a_missing_step_is_refused_at_the_reference() {
    let source = SMALL.replace("returns_to = [\"draft\"]", "returns_to = [\"drfat\"]");
    let e = refused(&source);
    assert!(
        matches!(&e.problem, FlowProblem::UnknownStep { to, .. } if to.as_str() == "drfat"),
        "{e}"
    );
    assert_eq!(e.line, Some(12), "{e}");
}

#[test]
fn a_return_must_go_back_not_forward() {
    let source = SMALL.replace(
        "roles = [\"clerk\"]\n\n[[step]]\nid = \"sign_off\"",
        "roles = [\"clerk\"]\nreturns_to = [\"sign_off\"]\n\n[[step]]\nid = \"sign_off\"",
    );
    let e = refused(&source);
    assert!(
        matches!(&e.problem, FlowProblem::ReturnNotEarlier { to, .. } if to.as_str() == "sign_off"),
        "{e}"
    );
}

#[test]
fn nothing_goes_out_unsigned() {
    // 拟稿 may go straight to 核发, around 签发.
    let source = SMALL.replace(
        "kind = \"draft\"\nroles = [\"clerk\"]",
        "kind = \"draft\"\nroles = [\"clerk\"]\nnext = [\"sign_off\", \"dispatch\"]",
    );
    let e = refused(&source);
    assert!(
        matches!(&e.problem, FlowProblem::BeforeSignOff { step } if step.as_str() == "dispatch"),
        "{e}"
    );
    assert!(e.message_zh().contains("签发之后"), "{}", e.message_zh());
}

#[test]
fn only_countersign_handle_and_circulate_run_in_parallel() {
    let source = SMALL.replace(
        "roles = [\"leader\"]",
        "roles = [\"leader\"]\nparallel = true",
    );
    let e = refused(&source);
    assert!(matches!(e.problem, FlowProblem::NotParallel { .. }), "{e}");
}

#[test]
fn a_step_of_the_other_flow_is_refused() {
    let source = SMALL.replace("kind = \"sign_off\"", "kind = \"instruct\"");
    let e = refused(&source);
    assert!(
        matches!(
            e.problem,
            FlowProblem::WrongFlow {
                kind: StepKind::Instruct,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.message_zh().contains("批办"), "{}", e.message_zh());
}

#[test]
fn misspelt_keys_duplicate_ids_and_missing_roles_are_refused() {
    let misspelt = SMALL.replace("returns_to =", "return_to =");
    let e = refused(&misspelt);
    assert!(e.to_string().contains("return_to"), "{e}");
    assert_eq!(e.line, Some(12), "{e}");

    let duplicate = SMALL.replace("id = \"dispatch\"", "id = \"draft\"");
    let e = refused(&duplicate);
    assert!(matches!(e.problem, FlowProblem::DuplicateId(_)), "{e}");
    assert_eq!(e.line, Some(15), "{e}");

    let no_roles = SMALL.replace("roles = [\"leader\"]", "roles = []");
    assert!(matches!(
        refused(&no_roles).problem,
        FlowProblem::NoRoles { .. }
    ));

    let bad_id = SMALL.replace("id = \"dispatch\"", "id = \"核发\"");
    assert!(matches!(refused(&bad_id).problem, FlowProblem::BadId(_)));

    let empty = "kind = \"incoming\"\n";
    assert_eq!(refused(empty).problem, FlowProblem::NoSteps);
}

#[test]
fn the_flow_starts_and_ends_where_its_kind_does() {
    let no_draft = SMALL.replacen("kind = \"draft\"", "kind = \"review\"", 1);
    let e = refused(&no_draft);
    assert!(
        matches!(
            e.problem,
            FlowProblem::FirstStep {
                wanted: StepKind::Draft,
                ..
            }
        ),
        "{e}"
    );

    let ends_at_seal = SMALL.replace("kind = \"dispatch\"", "kind = \"seal\"");
    let e = refused(&ends_at_seal);
    assert!(
        matches!(
            e.problem,
            FlowProblem::BadEnd {
                wanted: StepKind::Dispatch,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_reminder_names_when_it_may_be_sent_and_nothing_else() {
    let base = gongwen_core::flow::DEFAULT_INCOMING;
    let without_during = base.replace("during = [\"instruct\", \"handle\", \"circulate\"]", "");
    assert!(matches!(
        refused(&without_during).problem,
        FlowProblem::RemindShape { .. }
    ));
    let during_elsewhere = base.replace(
        "id = \"propose\"\nkind = \"propose\"",
        "id = \"propose\"\nkind = \"propose\"\nduring = [\"screen\"]",
    );
    assert!(matches!(
        refused(&during_elsewhere).problem,
        FlowProblem::DuringOutsideRemind { .. }
    ));
}

fn step_id(e: &FlowError, id: &str) -> gongwen_core::flow::StepId {
    match &e.problem {
        FlowProblem::Unreachable { step } if step.as_str() == id => step.clone(),
        other => panic!("expected {id} unreachable, got {other:?}"),
    }
}

#[test]
fn every_step_kind_reads_back_from_its_name() {
    for kind in gongwen_core::flow::StepKind::ALL {
        assert_eq!(
            kind.as_str().parse::<gongwen_core::flow::StepKind>(),
            Ok(kind)
        );
    }
    assert!("sign-off".parse::<gongwen_core::flow::StepKind>().is_err());
}

/// A flow's digest is of the flow, not of its file: a comment or spacing keeps it, a
/// changed step does not.
#[test]
fn a_flows_digest_ignores_how_the_file_is_written() {
    let default = gongwen_core::flow::DEFAULT_OUTGOING;
    let digest = Flow::parse(default).expect("valid").digest();
    let commented = format!(
        "# 本单位发文流程\n{}\n\n",
        default.replace("\n[[step]]", "\n\n[[step]]")
    );
    assert_eq!(Flow::parse(&commented).expect("valid").digest(), digest);
    let renamed = default.replace(
        "id = \"review\"\nkind = \"review\"\n",
        "id = \"review\"\nkind = \"review\"\nname = \"科室核稿\"\n",
    );
    assert_ne!(renamed, default);
    assert_ne!(Flow::parse(&renamed).expect("valid").digest(), digest);
}

/// A handling follows the version it started with when the directory carries it, and
/// only if that version's text is what its digest says; otherwise the unit's current
/// flow, as before versions.
#[test]
fn a_handling_follows_the_version_it_started_with() {
    use gongwen_core::handling::Handling;
    use gongwen_core::wire::{Directory, FlowVersion, UnitFlow};
    let default = gongwen_core::flow::DEFAULT_OUTGOING;
    let old_text = default.replace(
        "id = \"review\"\nkind = \"review\"\n",
        "id = \"review\"\nkind = \"review\"\nname = \"科室核稿\"\n",
    );
    let old = Flow::parse(&old_text).expect("valid");
    let new_text = default.replace(
        "id = \"review\"\nkind = \"review\"\n",
        "id = \"review\"\nkind = \"review\"\nname = \"领导核稿\"\n",
    );
    let h = Handling::start(&old, "sz-fgw".into());
    assert_eq!(h.flow_digest.as_deref(), Some(old.digest().as_str()));
    let review_name = |d: &Directory, h: &Handling| {
        d.handling_flow(h)
            .step(&"review".into())
            .expect("review")
            .name
            .clone()
    };
    let mut directory = Directory {
        flows: vec![UnitFlow {
            unit: "sz-fgw".into(),
            kind: FlowKind::Outgoing,
            source: new_text,
        }],
        ..Directory::default()
    };
    // Without the version: the current flow.
    assert_eq!(review_name(&directory, &h), "领导核稿");
    directory.flow_versions = vec![FlowVersion {
        digest: old.digest(),
        kind: FlowKind::Outgoing,
        source: old_text.clone(),
    }];
    assert_eq!(review_name(&directory, &h), "科室核稿");
    // A handling started under the current flow, or naming none, follows the current.
    let mut current = h.clone();
    current.flow_digest = None;
    assert_eq!(review_name(&directory, &current), "领导核稿");
    // A version whose text is not what its digest says is not taken.
    directory.flow_versions[0].source = old_text.replace("科室核稿", "别的核稿");
    assert_eq!(review_name(&directory, &h), "领导核稿");
}
