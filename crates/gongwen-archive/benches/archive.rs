//! 归档 numbers (`cargo xtask bench`; the issue's targets): filing N 件 (package + SM2
//! signature; PDF/A is not made yet) ≤ 60 s for 1,000, and 四性检测 of the batch compared
//! with `sha256sum` over the same bytes in the same run (goal ≤ 3×). Writes JSON rows to
//! `$GONGWEN_BENCH_OUT` (default `bench/archive.json`).
//! `GONGWEN_BENCH_ARCHIVE_ITEMS` (default 1000): 件 filed and checked.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use gongwen_archive::file::FileOptions;
use gongwen_archive::{check_batch, ArchiveConfig, CheckOptions, RetentionTable, Stage, UnitKey};
use gongwen_core::flow::{Flow, FlowKind, StepKind};
use gongwen_core::handling::{Handling, StepAction, TrailEntry};
use gongwen_core::wire::{Change, ChangeEntry, ChangesPage, CommandId, Role, UserInfo};
use gongwen_core::workflow::content_hash;
use gongwen_core::{Body, Classification, DocKind, Document, DocumentId};
use gongwen_store::{Account, Store};
use gongwen_typeset::{FontConfig, FontSet};

fn account() -> Account {
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

fn document(i: usize) -> Document {
    let kinds = [
        DocKind::Notice,
        DocKind::Request,
        DocKind::Letter,
        DocKind::Report,
    ];
    let mut d = Document::new(kinds[i % kinds.len()]);
    d.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
    d.doc_number = format!("宿发改〔2026〕{}号", i + 1);
    if d.kind == DocKind::Request || d.kind == DocKind::Report {
        d.signers = vec!["李明".into()];
    }
    d.title = format!("关于做好第{}批重点项目建设工作的{}", i + 1, d.kind.label());
    d.main_recipients = vec!["各县、区发展改革委".into()];
    let para = "为进一步加强重点项目建设管理，提高项目谋划和实施水平，现就有关事项通知如下。";
    d.body = Body::from_text(&format!(
        "{para}\n一、提高认识\n{para}{para}\n二、压实责任\n{para}"
    ));
    d.issuer_signature = vec!["宿州市发展和改革委员会".into()];
    d.date_of_issue = format!("2026年{}月{}日", i % 12 + 1, i % 28 + 1);
    d
}

fn handling(day: &str) -> Handling {
    let flow = Flow::default_for(FlowKind::Outgoing);
    let mut h = Handling::start(&flow, "sz-fgw".into());
    for (kind, step, by, role, opinion) in [
        (StepKind::Draft, "draft", "fgw-clerk", Role::Clerk, "请审核"),
        (
            StepKind::SignOff,
            "sign_off",
            "fgw-leader",
            Role::Leader,
            "同意印发",
        ),
    ] {
        h.trail.push(TrailEntry {
            step: step.into(),
            kind,
            action: StepAction::Finish {
                next: None,
                participants: vec![],
            },
            by: by.into(),
            role,
            unit: "sz-fgw".into(),
            at: format!("{day}T09:00:00Z"),
            opinion: Some(opinion.into()),
            result: None,
            acted_by: None,
        });
    }
    h.finished = true;
    h
}

fn sha256sum_secs(files: &[PathBuf]) -> f64 {
    let t = Instant::now();
    for chunk in files.chunks(500) {
        let out = Command::new("sha256sum")
            .args(chunk)
            .output()
            .expect("sha256sum");
        assert!(out.status.success());
    }
    t.elapsed().as_secs_f64()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out)
        } else {
            out.push(p)
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::var("GONGWEN_BENCH_ARCHIVE_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(&dir.path().join("store"))?;
    let me = account();
    store.set_account(Some(&me))?;
    let mut changes = Vec::new();
    for i in 0..n {
        let doc = document(i);
        let h = handling(&format!("2026-{:02}-{:02}", i % 12 + 1, i % 28 + 1));
        changes.push(Change {
            seq: i as u64 + 1,
            command_id: CommandId(uuid::Uuid::new_v4()),
            entry: ChangeEntry::Handling {
                document_id: DocumentId(uuid::Uuid::new_v4()),
                handling: Box::new(h),
                content_hash: content_hash(&doc),
                document: Some(Box::new(doc)),
            },
        });
    }
    for (k, chunk) in changes.chunks(200).enumerate() {
        let page = ChangesPage {
            changes: chunk.to_vec(),
            next_cursor: ((k + 1) * 200).min(n) as u64,
            has_more: false,
            ..ChangesPage::default()
        };
        store.apply_changes(&me, &page)?;
    }
    let config = ArchiveConfig {
        fonds_code: "Z109".into(),
        unit_name: "宿州市发展和改革委员会".into(),
        category_code: "WS".into(),
        default_org: Some("BGS".into()),
        archive_name: "宿州市档案馆".into(),
    };
    let fonts = FontSet::load(&FontConfig::default())?;
    let key = UnitKey::generate();
    let t = Instant::now();
    let proposal = gongwen_archive::propose(&store, &config, &RetentionTable::default(), 2026)?;
    let batch_dir = dir.path().join("batch");
    let batch = gongwen_archive::file(
        &mut store,
        &config,
        &proposal,
        &FileOptions {
            out: &batch_dir,
            key: &key,
            fonts: &fonts,
        },
    )?;
    let file_secs = t.elapsed().as_secs_f64();
    assert_eq!(batch.items.len(), n);

    let t = Instant::now();
    let report = check_batch(
        &batch_dir,
        &CheckOptions {
            stage: Stage::Filing,
            trusted_key: Some(key.public_hex()),
            scanner: None,
            store: Some(&store),
        },
    )?;
    let check_secs = t.elapsed().as_secs_f64();
    assert_eq!(
        report.count(gongwen_archive::Status::Fail),
        0,
        "the batch is clean"
    );
    let mut files = Vec::new();
    files_under(&batch_dir.join("电子档案"), &mut files);
    let sha_secs = sha256sum_secs(&files);
    let mb = batch.total_bytes as f64 / 1e6;
    let rows = vec![
        serde_json::json!({"group":"archive","metric":format!("filing {n} 件 (2 PDFs typeset, package, SM2 signature each)"),"value":(file_secs*10.0).round()/10.0,"unit":"s","target":"<= 60 for 1000","note":format!("{mb:.1} MB; 正本 and 定稿 as PDF/A-2b")}),
        serde_json::json!({"group":"archive","metric":format!("四性检测 of {n} 件"),"value":(check_secs*10.0).round()/10.0,"unit":"s","target":"","note":format!("{} files, {mb:.1} MB, no virus scan, with --store", files.len())}),
        serde_json::json!({"group":"archive","metric":"四性检测 ÷ sha256sum over the same bytes","value":(check_secs/sha_secs*10.0).round()/10.0,"unit":"×","target":"<= 3","note":format!("sha256sum {sha_secs:.2} s")}),
    ];
    for r in &rows {
        println!("{r}");
    }
    let out = std::env::var_os("GONGWEN_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/archive.json")
        });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(out, serde_json::to_string_pretty(&rows)?)?;
    Ok(())
}
