//! A writer killed with SIGKILL in the middle of saving leaves only whole documents.
//!
//! The test re-runs its own binary as the writer (env `GONGWEN_CRASH_WRITER=DIR`), which
//! creates documents, saves new versions, adds attachments and imports batches in a
//! loop; the parent kills it at varying moments, reopens the store and checks that
//! every document and every version is exactly what the writer meant to write.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use gongwen_core::{DocStatus, Document};
use gongwen_store::{ListFilter, Store};

const WRITER_ENV: &str = "GONGWEN_CRASH_WRITER";

/// What the writer saves as version `v` of document `serial`.
fn expected(serial: u32, v: u32) -> Document {
    let mut d = common::notice(
        &format!("关于第{serial}号事项的通知"),
        &format!("2026年{}月{}日", 1 + serial % 12, 1 + v % 28),
        &format!(
            "第{serial}号第{v}稿。\n{}",
            "为做好防汛抗旱工作，现将有关事项通知如下。".repeat(30 + (serial % 7) as usize)
        ),
    );
    d.note = format!("（联系人：张明，版本{v}）");
    d
}

fn serial_of(title: &str) -> u32 {
    title
        .trim_start_matches("关于第")
        .split('号')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("unexpected title {title}"))
}

fn writer(dir: &str) {
    let mut store = Store::open(std::path::Path::new(dir)).unwrap();
    let start = store.list(&ListFilter::default()).unwrap().total as u32;
    let attachment = std::path::Path::new(dir).join("source.bin");
    let mut serial = start * 10 + 1000;
    loop {
        serial += 1;
        let id = store
            .create_document(&expected(serial, 1), DocStatus::Draft)
            .unwrap()
            .id;
        for v in 2..=3 {
            store.save_draft(id, &expected(serial, v)).unwrap();
        }
        if serial.is_multiple_of(3) {
            std::fs::write(&attachment, format!("附件内容{serial}").repeat(5000)).unwrap();
            store.add_attachment_file(id, "附件", &attachment).unwrap();
        }
        let batch: Vec<_> = (0..5)
            .map(|k| (expected(serial * 100 + k, 1), DocStatus::Incoming))
            .collect();
        store.import(&batch).unwrap();
        println!("committed {serial}");
    }
}

fn check(dir: &std::path::Path) -> usize {
    let store = Store::open(dir).expect("a killed writer must leave an openable store");
    let problems = store.verify().unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    let page = store
        .list(&ListFilter {
            limit: 1000,
            ..ListFilter::default()
        })
        .unwrap();
    assert_eq!(page.total as usize, page.items.len());
    for s in &page.items {
        let stored = store.get(s.id).unwrap().unwrap();
        let serial = serial_of(&stored.document.title);
        let versions = store.versions(s.id).unwrap();
        assert_eq!(versions.len() as u32, stored.version);
        let mut attachments = 0;
        for info in &versions {
            let mut doc = store.version(s.id, info.version).unwrap().unwrap();
            // A version is the writer's document exactly, plus at most the attachment it added.
            if let Some(a) = doc.attachments.pop() {
                attachments += 1;
                let path = store.attachment_path(a.sha256.as_deref().unwrap()).unwrap();
                assert_eq!(
                    std::fs::read_to_string(path).unwrap(),
                    format!("附件内容{serial}").repeat(5000)
                );
                assert_eq!(info.version, 4);
                assert_eq!(doc, expected(serial, 3));
            } else {
                assert_eq!(
                    doc,
                    expected(serial, info.version),
                    "serial {serial} v{}",
                    info.version
                );
            }
        }
        assert!(attachments <= 1);
        // The index agrees with the latest version.
        let hits = store
            .search(&format!("第{serial}号第{}稿", versions.len().min(3)), 5)
            .unwrap();
        assert!(
            hits.iter().any(|h| h.summary.id == s.id),
            "serial {serial} not found by search"
        );
    }
    page.items.len()
}

#[test]
fn killed_writer_leaves_only_complete_documents() {
    if let Ok(dir) = std::env::var(WRITER_ENV) {
        writer(&dir);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut total = 0;
    for round in 0..10u64 {
        let mut child = Command::new(&exe)
            .args([
                "killed_writer_leaves_only_complete_documents",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(WRITER_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Wait for a few commits, then kill at a moment that varies per round.
        let mut commits = 0;
        while commits < 3 {
            match lines.next() {
                Some(Ok(l)) if l.starts_with("committed") => commits += 1,
                Some(Ok(_)) => {}
                _ => panic!("writer exited early"),
            }
        }
        std::thread::sleep(Duration::from_millis(3 + round * 7));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let n = check(dir.path());
        assert!(n > total, "round {round}: no progress ({n} documents)");
        total = n;
    }
}
