//! Proposing and filing a year: what is proposed, the batch as written, and the store
//! refusing to change what was filed.

mod common;

use common::*;
use gongwen_archive::file::FileOptions;
use gongwen_archive::{check_batch, CheckOptions, RetentionTable, Stage, Status};
use gongwen_core::archival::RetentionPeriod;
use gongwen_core::flow::FlowKind;
use gongwen_store::StoreError;

#[test]
fn a_year_is_proposed_grouped_with_suggested_retention_and_continuous_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let store = year_store(dir.path());
    let p = gongwen_archive::propose(&store, &config(), &RetentionTable::default(), 2026).unwrap();
    let lines: Vec<(String, FlowKind, RetentionPeriod)> = p
        .items
        .iter()
        .map(|i| (i.archival_code.clone(), i.flow, i.retention))
        .collect();
    // The draft is not finished and 2025 is another year: three 件, longest retention
    // first (DA/T 22), each class numbered from 0001.
    assert_eq!(
        lines,
        vec![
            (
                "Z109-WS·2026-Y-BGS-0001".into(),
                FlowKind::Outgoing,
                RetentionPeriod::Permanent
            ),
            (
                "Z109-WS·2026-D30-BGS-0001".into(),
                FlowKind::Outgoing,
                RetentionPeriod::Years30
            ),
            (
                "Z109-WS·2026-D10-BGS-0001".into(),
                FlowKind::Incoming,
                RetentionPeriod::Years10
            ),
        ]
    );
    assert_eq!(p.items[2].responsible, "宿州市统计局");
    assert_eq!(p.items[2].date, "20261009");
    assert!(
        gongwen_archive::propose(&store, &config(), &RetentionTable::default(), 2025)
            .unwrap()
            .items
            .is_empty()
    );
}

#[test]
fn filing_writes_the_carrier_and_numbering_continues_in_the_next_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = year_store(dir.path());
    let (_, batch, key) = filed(dir.path(), &mut store);
    let root = dir.path().join("batch");
    for p in [
        "说明文件.TXT",
        "文件目录.XML",
        "其他/归档文件目录.xlsx",
        "其他/归档文件目录.pdf",
        "其他/单位签名公钥.txt",
    ] {
        assert!(root.join(p).is_file(), "{p}");
    }
    // The printed 归档文件目录: landscape, one line per 件 with its 档号 and 题名.
    let pdf = root.join("其他/归档文件目录.pdf");
    std::fs::copy(
        &pdf,
        std::env::temp_dir().join("gongwen-catalogue-test.pdf"),
    )
    .ok();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    assert!(out.status.success());
    let text: String = String::from_utf8_lossy(&out.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for want in [
        "归档文件目录",
        "档号",
        "题名",
        "Z109-WS·2026-Y-BGS-0001",
        "Z109-WS·2026-D10-BGS-0001",
        "关于申请重点项目前期经费的请示",
        "第1页共1页",
    ] {
        assert!(text.contains(want), "{want} not in the catalogue: {text}");
    }
    let item = root.join("电子档案/2026/Y/Z109-WS·2026-Y-BGS-0001");
    let mut names: Vec<String> = std::fs::read_dir(&item)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Z109-WS·2026-Y-BGS-0001.xml",
            "修改痕迹.json",
            "办理单.pdf",
            "定稿.pdf",
            "正本.pdf"
        ]
    );
    let incoming = root.join("电子档案/2026/D10/Z109-WS·2026-D10-BGS-0001");
    assert!(incoming.join("附件01-检查安排表.txt").is_file());
    assert!(
        !incoming.join("定稿.pdf").exists(),
        "a 收文 has no 定稿 of ours"
    );
    // The 办理单 is the printed 发文稿纸, every opinion on it, read back with poppler.
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(item.join("办理单.pdf"))
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    assert!(out.status.success());
    let slip: String = String::from_utf8_lossy(&out.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(
        slip.contains("发文稿纸") && slip.contains("同意印发"),
        "{slip}"
    );
    // The 正本's first page carries the 归档章 in its top margin, centred, above the
    // 版心 (37 mm): 全宗号, 年度, 件号 / 机构, 保管期限, 页数. The 定稿 does not.
    let stamp = stamp_words(&item.join("正本.pdf"));
    for word in ["Z109", "2026", "0001", "BGS", "永久"] {
        let (x0, y0, x1, y1) = *stamp
            .iter()
            .find(|(w, _)| w == word)
            .map(|(_, b)| b)
            .unwrap_or_else(|| panic!("{word} not in the 归档章: {stamp:?}"));
        assert!(y1 < 37.0 && y0 > 0.0, "{word} at {y0}–{y1} mm");
        assert!(x0 > 82.0 && x1 < 128.0, "{word} at {x0}–{x1} mm");
    }
    assert!(
        stamp_words(&item.join("定稿.pdf")).is_empty(),
        "the 定稿 has no stamp"
    );
    let xml = std::fs::read_to_string(item.join("Z109-WS·2026-Y-BGS-0001.xml")).unwrap();
    assert!(xml.contains("<封装包类型>原始型</封装包类型>"));
    assert!(xml.contains("<业务行为>签发</业务行为>"));
    assert!(xml.contains(&key.public_hex()));
    // The 正本 is the typeset document: its title reads back out of the PDF.
    let text = std::process::Command::new("pdftotext")
        .arg(item.join("正本.pdf"))
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout).replace(['\n', ' '], "");
    assert!(text.contains("关于申请重点项目前期经费的请示"), "{text}");
    assert_eq!(batch.items.len(), 3);
    // The 归档文件目录 workbook lists every 件 with its 档号 and 题名 (read back with unzip).
    let strings = std::process::Command::new("unzip")
        .arg("-p")
        .arg(root.join("其他/归档文件目录.xlsx"))
        .arg("xl/sharedStrings.xml")
        .output()
        .expect("unzip");
    let strings = String::from_utf8_lossy(&strings.stdout);
    for s in [
        "序号",
        "档号",
        "Z109-WS·2026-D10-BGS-0001",
        "关于开展2026年度统计执法检查的通知",
        "宿州市统计局",
    ] {
        assert!(strings.contains(s), "{s} in {strings}");
    }

    // The store knows them now; nothing is proposed again, and a new 件 of the same class
    // continues at 0002.
    assert!(
        gongwen_archive::propose(&store, &config(), &RetentionTable::default(), 2026)
            .unwrap()
            .items
            .is_empty()
    );
    let files = dir.path().join("files");
    add_finished(
        &mut store,
        &files,
        &request(
            "关于追加项目资金的请示",
            "宿发改〔2026〕20号",
            "2026年12月3日",
        ),
        FlowKind::Outgoing,
        "2026-12-03",
        10,
        None,
    );
    let p = gongwen_archive::propose(&store, &config(), &RetentionTable::default(), 2026).unwrap();
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.items[0].archival_code, "Z109-WS·2026-Y-BGS-0002");
}

#[test]
fn a_filed_document_cannot_be_edited_refiled_or_deleted_and_retention_only_extends() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = year_store(dir.path());
    let (proposal, _, key) = filed(dir.path(), &mut store);
    let id = proposal
        .items
        .iter()
        .find(|i| i.retention == RetentionPeriod::Years30)
        .unwrap()
        .document_id;
    let code = "Z109-WS·2026-D30-BGS-0001";
    let doc = store.get(id).unwrap().unwrap().document;

    // Edit: refused, naming the 档号.
    let err = store.save_draft(id, &doc).unwrap_err();
    assert!(
        matches!(&err, StoreError::Filed { archival_code, .. } if archival_code == code),
        "{err}"
    );
    assert!(err.message_zh().contains(code), "{}", err.message_zh());
    assert!(store.autosave(id, &doc).is_err());
    assert!(matches!(
        store.set_status(id, gongwen_core::DocStatus::Draft),
        Err(StoreError::Filed { .. })
    ));

    // Re-file: refused by the store and by `file`.
    let record = store.filing(id).unwrap().unwrap();
    let err = store
        .record_filings(std::slice::from_ref(&record))
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Filed { archival_code, .. } if archival_code == code),
        "{err}"
    );
    let fonts = fonts();
    let err = gongwen_archive::file(
        &mut store,
        &config(),
        &proposal,
        &FileOptions {
            out: &dir.path().join("again"),
            key: &key,
            fonts: &fonts,
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("is filed as Z109-WS·2026-"),
        "{err}"
    );

    // Delete, or change the record behind the store's back: the database refuses.
    let db =
        rusqlite::Connection::open(dir.path().join("store").join(gongwen_store::DB_FILE)).unwrap();
    let err = db
        .execute("DELETE FROM documents WHERE id = ?1", [id.to_string()])
        .unwrap_err();
    assert!(err.to_string().contains("filed"), "{err}");
    assert!(db.execute("DELETE FROM filings", []).is_err());
    assert!(db
        .execute(
            "UPDATE filings SET archival_code = 'Z109-WS·2026-D30-BGS-0009'",
            []
        )
        .is_err());
    assert!(db
        .execute(
            "UPDATE filings SET retention = 'D10' WHERE document_id = ?1",
            [id.to_string()]
        )
        .is_err());
    drop(db);

    // 保管期限: shortening is refused; extending is recorded with who and why.
    let err = store
        .extend_retention(id, RetentionPeriod::Years10, "王档", "误")
        .unwrap_err();
    assert!(
        matches!(err, StoreError::RetentionNotExtended { .. }),
        "{err}"
    );
    let r = store
        .extend_retention(
            id,
            RetentionPeriod::Permanent,
            "王档",
            "涉及重大项目，改为永久",
        )
        .unwrap();
    assert_eq!(r.retention, RetentionPeriod::Permanent);
    assert_eq!(r.archival_code.to_string(), code, "the 档号 stays as filed");
    let changes = store.retention_changes(id).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].old, changes[0].new),
        (RetentionPeriod::Years30, RetentionPeriod::Permanent)
    );
    assert_eq!(changes[0].reason, "涉及重大项目，改为永久");
    assert!(store
        .extend_retention(id, RetentionPeriod::Years30, "王档", "")
        .is_err());
}

#[test]
fn the_store_records_are_checked_against_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = year_store(dir.path());
    let (_, _, key) = filed(dir.path(), &mut store);
    let root = dir.path().join("batch");
    let opts = CheckOptions {
        stage: Stage::Filing,
        trusted_key: Some(key.public_hex()),
        scanner: None,
        store: Some(&store),
    };
    let report = check_batch(&root, &opts).unwrap();
    let r = report.results.iter().find(|r| r.code == "GD-1-12").unwrap();
    assert_eq!(r.status, Status::Pass, "{r:?}");
    // A package changed after filing no longer matches what the store recorded.
    let pkg = root.join("电子档案/2026/Y/Z109-WS·2026-Y-BGS-0001/Z109-WS·2026-Y-BGS-0001.xml");
    let xml = std::fs::read_to_string(&pkg).unwrap();
    std::fs::write(&pkg, xml.replace("<附注>", "<附注>补记；")).unwrap();
    let report = check_batch(&root, &opts).unwrap();
    assert!(
        report.failed("GD-1-12", None),
        "{:#?}",
        report.problems().collect::<Vec<_>>()
    );
}

/// The words on a PDF's first page above the 版心 (top 37 mm), with their boxes in mm
/// (x0, y0, x1, y1 from the top-left), read with `pdftotext -bbox`.
fn stamp_words(pdf: &std::path::Path) -> Vec<(String, (f64, f64, f64, f64))> {
    let out = std::process::Command::new("pdftotext")
        .args(["-bbox", "-f", "1", "-l", "1", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    assert!(out.status.success());
    let html = String::from_utf8_lossy(&out.stdout).into_owned();
    let mm = |v: &str| v.parse::<f64>().unwrap_or(0.0) * 25.4 / 72.0;
    let attr = |line: &str, name: &str| -> String {
        line.split(&format!("{name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_string()
    };
    html.lines()
        .filter(|l| l.trim_start().starts_with("<word"))
        .filter_map(|l| {
            let word = l.split('>').nth(1)?.split('<').next()?.to_string();
            let b = (
                mm(&attr(l, "xMin")),
                mm(&attr(l, "yMin")),
                mm(&attr(l, "xMax")),
                mm(&attr(l, "yMax")),
            );
            (b.3 < 37.0).then_some((word, b))
        })
        .collect()
}
