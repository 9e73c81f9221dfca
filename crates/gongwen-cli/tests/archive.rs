//! `gongwen archive` end to end on a real store: keygen, propose, file, check, and a
//! tampered batch failing the check with its item code.

use std::path::Path;
use std::process::{Command, Output};

use gongwen_core::flow::{Flow, FlowKind};
use gongwen_core::handling::{Handling, StepAction, TrailEntry};
use gongwen_core::wire::{Change, ChangeEntry, ChangesPage, CommandId, Role, UserInfo};
use gongwen_core::workflow::content_hash;
use gongwen_core::{Body, Classification, DocKind, DocStatus, Document};
use gongwen_store::{Account, Store};

fn gongwen(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gongwen"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("GONGWEN_DATA_DIR")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A store with one 请示 whose 发文 flow is finished, as the sync leaves it.
fn store_with_a_finished_request(data: &Path) {
    let mut store = Store::open(data).unwrap();
    let me = Account::new(
        "http://127.0.0.1:1",
        UserInfo {
            username: "fgw-archivist".into(),
            display_name: "王档".into(),
            unit: "sz-fgw".into(),
            role: Role::Archivist,
            clearance: Classification::Confidential,
        },
    );
    store.set_account(Some(&me)).unwrap();
    let mut doc = Document::new(DocKind::Request);
    doc.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
    doc.doc_number = "宿发改〔2026〕15号".into();
    doc.signers = vec!["李明".into()];
    doc.title = "关于申请重点项目前期经费的请示".into();
    doc.main_recipients = vec!["宿州市人民政府".into()];
    doc.body = Body::from_text("特请示如下。\n妥否，请批示。");
    doc.issuer_signature = vec!["宿州市发展和改革委员会".into()];
    doc.date_of_issue = "2026年11月25日".into();
    let id = store.create_document(&doc, DocStatus::Draft).unwrap().id;
    let flow = Flow::default_for(FlowKind::Outgoing);
    let mut h = Handling::start(&flow, "sz-fgw".into());
    h.trail.push(TrailEntry {
        step: "sign_off".into(),
        kind: gongwen_core::flow::StepKind::SignOff,
        action: StepAction::Finish {
            next: None,
            participants: vec![],
        },
        by: "fgw-leader".into(),
        role: Role::Leader,
        unit: "sz-fgw".into(),
        at: "2026-11-25T10:00:00Z".into(),
        opinion: Some("同意".into()),
        result: None,
        acted_by: None,
    });
    h.finished = true;
    let page = ChangesPage {
        changes: vec![Change {
            seq: 1,
            command_id: CommandId(uuid::Uuid::new_v4()),
            entry: ChangeEntry::Handling {
                document_id: id,
                handling: Box::new(h),
                document: Some(Box::new(doc.clone())),
                content_hash: content_hash(&doc),
            },
        }],
        next_cursor: 1,
        has_more: false,
        ..ChangesPage::default()
    };
    store.apply_changes(&me, &page).unwrap();
}

#[test]
fn a_year_is_proposed_filed_and_checked_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("store");
    store_with_a_finished_request(&data);
    let key = tmp.path().join("unit.key");
    let key_s = key.to_str().unwrap();
    let o = gongwen(&data, &["archive", "keygen", key_s]);
    assert!(o.status.success(), "{}", text(&o));
    let o = gongwen(&data, &["archive", "keygen", key_s]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an existing key is not overwritten: {}",
        text(&o)
    );
    assert!(text(&o).contains("refusing to overwrite"), "{}", text(&o));

    let unit = [
        "--year",
        "2026",
        "--fonds",
        "Z109",
        "--unit-name",
        "宿州市发展和改革委员会",
        "--org",
        "BGS",
    ];
    let mut args = vec!["archive", "propose"];
    args.extend(unit);
    let o = gongwen(&data, &args);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("Z109-WS·2026-Y-BGS-0001  发文  20261125"),
        "{}",
        text(&o)
    );

    // A bad 全宗号 is named.
    let o = gongwen(
        &data,
        &[
            "archive",
            "propose",
            "--year",
            "2026",
            "--fonds",
            "Z1",
            "--unit-name",
            "x",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("全宗号 \"Z1\""), "{}", text(&o));

    let batch = tmp.path().join("batch");
    let mut args = vec![
        "archive",
        "file",
        "--key",
        key_s,
        "--out",
        batch.to_str().unwrap(),
    ];
    args.extend(unit);
    let o = gongwen(&data, &args);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("filed 1 items of 2026"), "{}", text(&o));

    let public = format!("{key_s}.pub");
    let report = tmp.path().join("report.html");
    let json = tmp.path().join("report.json");
    let o = gongwen(
        &data,
        &[
            "archive",
            "check",
            batch.to_str().unwrap(),
            "--store",
            "--public-key",
            &public,
            "--html",
            report.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("0 failed"), "{}", text(&o));
    assert!(
        text(&o).contains("NOT CHECKED GD-3-4"),
        "PDF/A is reported: {}",
        text(&o)
    );
    assert!(std::fs::read_to_string(&report)
        .unwrap()
        .contains("四性检测报告"));

    // Filed: not proposed again.
    let mut args = vec!["archive", "propose"];
    args.extend(unit);
    assert!(text(&gongwen(&data, &args)).contains("nothing to file"));

    // A changed byte: exit 1, naming GD-1-1.
    let pdf = batch.join("电子档案/2026/Y/Z109-WS·2026-Y-BGS-0001/正本.pdf");
    let mut bytes = std::fs::read(&pdf).unwrap();
    let n = bytes.len() - 40;
    bytes[n] ^= 0x20;
    std::fs::write(&pdf, bytes).unwrap();
    let o = gongwen(
        &data,
        &[
            "archive",
            "check",
            batch.to_str().unwrap(),
            "--public-key",
            &public,
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("FAIL GD-1-1 Z109-WS·2026-Y-BGS-0001"),
        "{}",
        text(&o)
    );
}
