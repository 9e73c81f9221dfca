#![allow(dead_code)]
//! A unit's store with a year of finished 公文 (发文 and 收文), as the sync leaves it,
//! and a batch filed from it.

use std::path::{Path, PathBuf};

use gongwen_archive::file::FileOptions;
use gongwen_archive::{ArchiveConfig, FiledBatch, Proposal, RetentionTable, UnitKey};
use gongwen_core::flow::{Flow, FlowKind, StepKind};
use gongwen_core::handling::{Handling, StepAction, TrailEntry};
use gongwen_core::wire::{Change, ChangeEntry, ChangesPage, CommandId, Role, UserInfo};
use gongwen_core::workflow::content_hash;
use gongwen_core::{Body, Classification, DocKind, DocStatus, Document, DocumentId};
use gongwen_store::{Account, Store};
use gongwen_typeset::{FontConfig, FontSet};

/// The EICAR anti-virus test file (68 bytes), built at run time so this source file
/// itself is not the signature.
pub fn eicar() -> Vec<u8> {
    let mut s = String::from("X5O!P%@AP[4\\PZX54(P^)7CC)7}$");
    s.push_str("EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");
    s.into_bytes()
}

/// A ClamAV signature database holding only the EICAR signature (MD5:size:name).
pub fn eicar_database(dir: &Path) -> PathBuf {
    let path = dir.join("eicar.hdb");
    let md5 = "44d88612fea8a8f36de82e1278abb02f";
    std::fs::write(&path, format!("{md5}:68:Eicar-Test-Signature\n")).unwrap();
    path
}

pub fn config() -> ArchiveConfig {
    ArchiveConfig {
        fonds_code: "Z109".into(),
        unit_name: "宿州市发展和改革委员会".into(),
        category_code: "WS".into(),
        default_org: Some("BGS".into()),
        archive_name: "宿州市档案馆".into(),
    }
}

pub fn archivist() -> Account {
    Account::new(
        "http://127.0.0.1:1",
        UserInfo {
            username: "fgw-archivist".into(),
            display_name: "王档".into(),
            unit: "sz-fgw".into(),
            role: Role::Archivist,
            clearance: Classification::Confidential,
        },
    )
}

fn entry(
    kind: StepKind,
    step: &str,
    by: &str,
    role: Role,
    opinion: Option<&str>,
    result: Option<&str>,
    at: &str,
) -> TrailEntry {
    TrailEntry {
        step: step.into(),
        kind,
        action: StepAction::Finish {
            next: None,
            participants: vec![],
        },
        by: by.into(),
        role,
        unit: "sz-fgw".into(),
        at: at.into(),
        opinion: opinion.map(String::from),
        result: result.map(String::from),
        acted_by: None,
    }
}

/// A finished handling: 发文 through 核发, or 收文 through 办结.
pub fn finished(flow: FlowKind, number: &str, day: &str) -> Handling {
    let f = Flow::default_for(flow);
    let mut h = Handling::start(&f, "sz-fgw".into());
    let at = |t: &str| format!("{day}T{t}:00Z");
    h.trail = match flow {
        FlowKind::Outgoing => vec![
            entry(
                StepKind::Draft,
                "draft",
                "fgw-clerk",
                Role::Clerk,
                Some("请审核"),
                None,
                &at("08:00"),
            ),
            entry(
                StepKind::Review,
                "review",
                "fgw-director",
                Role::OfficeDirector,
                Some("同意，请领导签发"),
                None,
                &at("09:00"),
            ),
            entry(
                StepKind::SignOff,
                "sign_off",
                "fgw-leader",
                Role::Leader,
                Some("同意印发"),
                Some("主动公开"),
                &at("10:00"),
            ),
            entry(
                StepKind::AssignNumber,
                "assign_number",
                "fgw-clerk",
                Role::Clerk,
                None,
                Some(number),
                &at("11:00"),
            ),
            entry(
                StepKind::Dispatch,
                "dispatch",
                "fgw-clerk",
                Role::Clerk,
                None,
                None,
                &at("12:00"),
            ),
        ],
        FlowKind::Incoming => vec![
            entry(
                StepKind::Register,
                "register",
                "fgw-clerk",
                Role::Clerk,
                None,
                Some(number),
                &at("08:00"),
            ),
            entry(
                StepKind::Propose,
                "propose",
                "fgw-director",
                Role::OfficeDirector,
                Some("请张主任阅示"),
                None,
                &at("09:00"),
            ),
            entry(
                StepKind::Instruct,
                "instruct",
                "fgw-leader",
                Role::Leader,
                Some("请办公室办理"),
                None,
                &at("10:00"),
            ),
            entry(
                StepKind::Complete,
                "complete",
                "fgw-clerk",
                Role::Clerk,
                Some("已办结"),
                None,
                &at("11:00"),
            ),
        ],
    };
    let last = f.steps.last().unwrap();
    h.step = last.id.clone();
    h.step_kind = last.kind;
    h.arrived = h.trail.len();
    h.finished = true;
    h.number = Some(number.into());
    h
}

pub fn notice(title: &str, number: &str, date: &str) -> Document {
    let mut d = Document::new(DocKind::Notice);
    d.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
    d.doc_number = number.into();
    d.title = title.into();
    d.main_recipients = vec!["各县、区发展改革委".into()];
    d.body = Body::from_text("现将有关事项通知如下。\n一、提高认识\n请各单位认真落实。");
    d.issuer_signature = vec!["宿州市发展和改革委员会".into()];
    d.date_of_issue = date.into();
    d
}

pub fn request(title: &str, number: &str, date: &str) -> Document {
    let mut d = Document::new(DocKind::Request);
    d.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
    d.doc_number = number.into();
    d.signers = vec!["李明".into()];
    d.title = title.into();
    d.main_recipients = vec!["宿州市人民政府".into()];
    d.body = Body::from_text("为推进重点项目建设，特请示如下。\n妥否，请批示。");
    d.issuer_signature = vec!["宿州市发展和改革委员会".into()];
    d.date_of_issue = date.into();
    d
}

/// Puts `doc` in the store with a finished handling, as the sync would; returns its id.
/// `attachment`: a file listed as 附件 (name, bytes) before the flow finished.
pub fn add_finished(
    store: &mut Store,
    dir: &Path,
    doc: &Document,
    flow: FlowKind,
    day: &str,
    seq: u64,
    attachment: Option<(&str, &str, &[u8])>,
) -> DocumentId {
    let stored = store.create_document(doc, DocStatus::Draft).unwrap();
    let id = stored.id;
    let mut latest = stored.document;
    if let Some((name, file_name, bytes)) = attachment {
        let path = dir.join(file_name);
        std::fs::write(&path, bytes).unwrap();
        latest = store.add_attachment_file(id, name, &path).unwrap().document;
    }
    let handling = finished(flow, &doc.doc_number, day);
    let page = ChangesPage {
        changes: vec![Change {
            seq,
            command_id: CommandId(uuid::Uuid::new_v4()),
            entry: ChangeEntry::Handling {
                document_id: id,
                handling: Box::new(handling),
                document: Some(Box::new(latest.clone())),
                content_hash: content_hash(&latest),
            },
        }],
        next_cursor: seq,
        has_more: false,
        ..ChangesPage::default()
    };
    store.apply_changes(&archivist(), &page).unwrap();
    id
}

/// A store of 2026: two 发文 (a 通知 D30, a 请示 Y), one 收文 通知 (D10) with an
/// attachment, and an unfinished draft that is not proposed.
pub fn year_store(dir: &Path) -> Store {
    let mut store = Store::open(&dir.join("store")).unwrap();
    store.set_account(Some(&archivist())).unwrap();
    let files = dir.join("files");
    std::fs::create_dir_all(&files).unwrap();
    add_finished(
        &mut store,
        &files,
        &notice(
            "关于做好2026年冬季安全生产工作的通知",
            "宿发改〔2026〕12号",
            "2026年11月20日",
        ),
        FlowKind::Outgoing,
        "2026-11-20",
        1,
        None,
    );
    add_finished(
        &mut store,
        &files,
        &request(
            "关于申请重点项目前期经费的请示",
            "宿发改〔2026〕15号",
            "2026年11月25日",
        ),
        FlowKind::Outgoing,
        "2026-11-25",
        2,
        None,
    );
    let mut incoming = notice(
        "关于开展2026年度统计执法检查的通知",
        "宿统〔2026〕7号",
        "2026年10月9日",
    );
    incoming.issuer_mark = vec!["宿州市统计局文件".into()];
    incoming.issuer_signature = vec!["宿州市统计局".into()];
    add_finished(
        &mut store,
        &files,
        &incoming,
        FlowKind::Incoming,
        "2026-10-12",
        3,
        Some((
            "检查安排表",
            "检查安排表.txt",
            "检查安排：11月完成。".as_bytes(),
        )),
    );
    // Not finished: never proposed.
    store
        .create_document(
            &notice("关于征求意见的通知（草稿）", "", "2026年12月1日"),
            DocStatus::Draft,
        )
        .unwrap();
    store
}

pub fn fonts() -> FontSet {
    FontSet::load(&FontConfig::default()).expect("fonts")
}

/// Proposes 2026 and files it into `dir/batch` with a new key.
pub fn filed(dir: &Path, store: &mut Store) -> (Proposal, FiledBatch, UnitKey) {
    let proposal =
        gongwen_archive::propose(store, &config(), &RetentionTable::default(), 2026).unwrap();
    let key = UnitKey::generate();
    let fonts = fonts();
    let batch = gongwen_archive::file(
        store,
        &config(),
        &proposal,
        &FileOptions {
            out: &dir.join("batch"),
            key: &key,
            fonts: &fonts,
        },
    )
    .unwrap();
    (proposal, batch, key)
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}
