//! 重新分发 through the `gongwen` command line (#14.3), each unit a store folder of its
//! own against a real server: 市发改委 sends a 函, 市统计局 returns it with a reason,
//! `gongwen list --status 已退回` finds it, a 分发 to any other unit is refused before
//! anything is queued, and the revised version goes to 市统计局, which receives it as a
//! new arrival of the same document.

#[path = "common/cli.rs"]
mod cli;
mod common;

use std::path::Path;
use std::process::Output;

use cli::{gongwen, gongwen_bin};
use common::TestServer;
use gongwen_core::{Body, DocKind, DocStatus, Document, DocumentId};
use gongwen_store::Store;

const REASON: &str = "未写明统计口径，请补充后重新发送";

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ok(bin: &Path, dir: &Path, args: &[&str]) -> String {
    let out = gongwen(bin, dir, args).output().expect("run gongwen");
    assert!(out.status.success(), "gongwen {args:?}: {}", text(&out));
    text(&out)
}

fn letter(body: &str) -> Document {
    let mut doc = Document::new(DocKind::Letter);
    doc.issuer_mark = vec!["宿州市发展和改革委员会".into()];
    doc.doc_number = "宿发改函〔2026〕7号".into();
    doc.title = "宿州市发展和改革委员会关于商请提供重点项目统计数据的函".into();
    doc.main_recipients = vec!["市统计局".into()];
    doc.issuer_signature = vec!["宿州市发展和改革委员会".into()];
    doc.date_of_issue = "2026年11月25日".into();
    doc.body = Body::from_text(body);
    doc
}

#[test]
fn a_returned_document_is_sent_again_from_the_command_line() {
    let server = TestServer::start();
    let bin = gongwen_bin();
    let fgw = tempfile::tempdir().expect("sz-fgw folder");
    let tjj = tempfile::tempdir().expect("sz-tjj folder");
    let id: DocumentId = Store::open(fgw.path())
        .expect("open")
        .create_document(&letter("请提供重点项目统计数据。"), DocStatus::Draft)
        .expect("seed")
        .id;
    let id_text = id.to_string();
    for (dir, user) in [(&fgw, "fgw-clerk"), (&tjj, "tjj-clerk")] {
        ok(
            &bin,
            dir.path(),
            &["login", "--server", &server.url, "--user", user],
        );
    }
    ok(
        &bin,
        fgw.path(),
        &["dispatch", &id_text, "--main", "sz-tjj"],
    );
    ok(&bin, tjj.path(), &["sync"]);
    ok(&bin, tjj.path(), &["return", &id_text, "--reason", REASON]);
    ok(&bin, fgw.path(), &["sync"]);

    let listed = ok(&bin, fgw.path(), &["list", "--status", "已退回"]);
    assert!(
        listed.contains(&id_text) && listed.contains("已退回"),
        "{listed}"
    );

    // To a unit that did not return it: refused here, nothing queued.
    let out = gongwen(
        &bin,
        fgw.path(),
        &["dispatch", &id_text, "--main", "sz-gov"],
    )
    .output()
    .expect("run gongwen");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("did not return"), "{}", text(&out));
    assert!(Store::open(fgw.path())
        .expect("open")
        .pending_for(id)
        .expect("outbox")
        .is_empty());

    // 修改 (a new version), then 重新分发 to 市统计局.
    let revised = letter("请按2026年度重点项目清单的口径提供重点项目统计数据。");
    Store::open(fgw.path())
        .expect("open")
        .save_draft(id, &revised)
        .expect("revise the returned document");
    ok(
        &bin,
        fgw.path(),
        &["dispatch", &id_text, "--main", "sz-tjj"],
    );
    let sender = Store::open(fgw.path()).expect("open");
    assert_eq!(
        sender.get(id).expect("read").expect("held").status,
        DocStatus::Dispatched
    );

    ok(&bin, tjj.path(), &["sync"]);
    let inbox: serde_json::Value =
        serde_json::from_str(&ok(&bin, tjj.path(), &["inbox", "--json"])).expect("inbox JSON");
    let items = inbox.as_array().expect("a list");
    assert_eq!(items.len(), 1, "the same document: {inbox}");
    assert_eq!(items[0]["incoming"]["status"], "delivered", "{inbox}");
    let held = Store::open(tjj.path())
        .expect("open")
        .get(id)
        .expect("read")
        .expect("held");
    assert_eq!((held.version, &held.document), (2, &revised));
}
