//! Data folders filled before the app opens them.

use std::fs;
use std::path::Path;

use crate::app::package_dir;

/// Fills a data folder the way an import would: the fixtures in tests/fixtures plus
/// `extra` plain drafts dated in 2025. The fixtures include a 机密 document, which the
/// store shows only to an account cleared for it: 市发改委's clerk (机密) is logged in
/// on this computer (from an earlier run; the keyring has no token, so the window says
/// 需要登录 but shows what that account may see).
pub fn seed_store(dir: &Path, extra: usize) -> usize {
    use gongwen_core::{Body, DocKind, DocStatus, Document};

    let fixtures = package_dir().join("fixtures");
    let mut docs = Vec::new();
    for entry in fs::read_dir(&fixtures).expect("list tests/fixtures") {
        let path = entry.expect("fixture entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let text = fs::read_to_string(&path).expect("read fixture");
        let document: Document =
            toml::from_str(&text).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
        let table: toml::Table = toml::from_str(&text).expect("fixture as a table");
        let status = table
            .get("status")
            .map(|s| s.clone().try_into::<DocStatus>().expect("fixture status"))
            .unwrap_or_default();
        docs.push((document, status));
    }
    for n in 1..=extra {
        let mut doc = Document::new(DocKind::Notice);
        doc.title = format!("宿州市测试局关于第{n}项例行工作的通知");
        doc.issuer_signature = vec!["宿州市测试局".into()];
        doc.date_of_issue = format!("2025年{}月{}日", n % 12 + 1, n % 28 + 1);
        doc.body = Body::from_text("按例行安排办理。");
        docs.push((doc, DocStatus::Draft));
    }
    let mut store = gongwen_store::Store::open(dir).expect("open a store to seed");
    store.import(&docs).expect("seed documents");
    let clerk = gongwen_core::wire::UserInfo {
        username: "fgw-clerk".into(),
        display_name: "张明".into(),
        unit: "sz-fgw".into(),
        role: gongwen_core::wire::Role::Clerk,
        clearance: gongwen_core::Classification::Secret,
    };
    store
        .set_account(Some(&gongwen_store::Account::new(
            "http://127.0.0.1:8470",
            clerk,
        )))
        .expect("log the clerk in");
    docs.len()
}

/// Seeds a draft of its own into a store folder; returns its id.
pub fn seed_draft(dir: &Path, title: &str) -> gongwen_core::DocumentId {
    use gongwen_core::{Body, DocKind, DocStatus, Document};
    let mut doc = Document::new(DocKind::Notice);
    // Complete (no validation error), since an incomplete document is never dispatched.
    doc.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
    doc.title = title.into();
    doc.main_recipients = vec!["市统计局".into(), "市工业和信息化局".into()];
    doc.issuer_signature = vec!["宿州市发展和改革委员会".into()];
    doc.date_of_issue = "2026年11月25日".into();
    doc.body = Body::from_text("请于12月5日前报送有关数据。");
    let mut store = gongwen_store::Store::open(dir).expect("open a store to seed");
    store
        .create_document(&doc, DocStatus::Draft)
        .expect("seed the draft")
        .id
}
