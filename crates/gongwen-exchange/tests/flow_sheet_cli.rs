//! `gongwen flow sheet`: the 办理单 of a short 发文 story on a real exchange server,
//! printed by the clerk in full and 精简, and by the unit that countersigned; read
//! back with poppler's `pdftotext`.

#[path = "common/cli.rs"]
mod cli;
mod common;

use std::path::Path;
use std::process::Output;

use cli::{gongwen, gongwen_bin};
use common::TestServer;
use gongwen_core::{DocumentFile, DocumentId};

struct Desk {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
}

impl Desk {
    fn login(bin: &Path, server: &TestServer, username: &str) -> Desk {
        let desk = Desk {
            dir: tempfile::tempdir().expect("store folder"),
            bin: bin.to_path_buf(),
        };
        desk.ok(&["login", "--server", &server.url, "--user", username]);
        desk
    }

    fn run(&self, args: &[&str]) -> Output {
        gongwen(&self.bin, self.dir.path(), args)
            .output()
            .expect("run gongwen")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "gongwen {args:?} failed: {text}");
        text
    }

    /// `flow sheet` into this desk's folder; the PDF's text, one page after another.
    fn sheet(&self, id: &str, brief: bool) -> (String, String) {
        let pdf = self
            .dir
            .path()
            .join(if brief { "brief.pdf" } else { "full.pdf" });
        let mut args = vec!["flow", "sheet", id, "-o", pdf.to_str().expect("path")];
        if brief {
            args.push("--brief");
        }
        let said = self.ok(&args);
        let out = std::process::Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&pdf)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils)");
        assert!(out.status.success());
        // Chinese has no spaces; poppler puts some between runs.
        let text: String = String::from_utf8_lossy(&out.stdout)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        (said, text)
    }
}

fn request_file(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/demo/17-request-straw-subsidy.toml"
    ))
    .expect("demo file");
    let mut file = DocumentFile::from_toml(&text).expect("valid");
    file.status = None;
    let doc = &mut file.document;
    doc.issuer_mark = vec!["宿州市发展和改革委员会文件".into()];
    doc.issuer_signature = vec!["宿州市发展和改革委员会".into()];
    doc.title = "宿州市发展和改革委员会关于申请追加秸秆综合利用补助资金的请示".into();
    doc.doc_number = "宿发改〔2026〕　号".into();
    doc.printing_office = "宿州市发展和改革委员会办公室".into();
    let path = dir.join("request.toml");
    std::fs::write(&path, file.to_toml()).expect("write");
    path
}

#[test]
fn the_sheet_of_a_short_story_in_full_and_brief() {
    let server = TestServer::start();
    let bin = gongwen_bin();
    let clerk = Desk::login(&bin, &server, "fgw-clerk");
    let director = Desk::login(&bin, &server, "fgw-director");
    let leader = Desk::login(&bin, &server, "fgw-leader");
    let tjj = Desk::login(&bin, &server, "tjj-director");

    let file = request_file(clerk.dir.path());
    let out = clerk.ok(&["import", file.to_str().expect("path")]);
    let id = out.split_whitespace().next().expect("id").to_string();
    id.parse::<DocumentId>().expect("import prints the id");

    // A local draft has no 办理单 yet, and says so.
    let out = clerk.run(&["flow", "sheet", &id, "-o", "/tmp/never.pdf", "--no-sync"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no handling"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    clerk.ok(&["flow", "next", &id]); // 送审
    director.ok(&[
        "flow",
        "return",
        &id,
        "--to",
        "draft",
        "--reason",
        "请补充资金测算依据",
    ]);
    clerk.ok(&["sync"]);
    clerk.ok(&["flow", "next", &id]);
    director.ok(&[
        "flow",
        "next",
        &id,
        "--to",
        "countersign",
        "--participant",
        "unit:sz-tjj",
        "--opinion",
        "核稿同意，请市统计局会签",
    ]);
    tjj.ok(&["sync"]);
    tjj.ok(&["flow", "next", &id, "--opinion", "统计数据无误"]);
    leader.ok(&[
        "flow",
        "next",
        &id,
        "--opinion",
        "同意上报",
        "--publicity",
        "active",
    ]);

    // The clerk prints without syncing by hand: the command pulls first.
    let (said, full) = clerk.sheet(&id, false);
    assert!(said.contains("发文稿纸"), "{said}");
    for text in [
        "宿州市发展和改革委员会发文稿纸",
        "请补充资金测算依据",
        "核稿同意，请市统计局会签",
        "王强", // 办公室主任 by the directory's name, not the login
        "宿州市统计局",
        "统计数据无误",
        "吴军",
        "同意上报",
        "李华",
        "公开属性：主动公开",
        "2026年",
    ] {
        assert!(
            full.contains(text),
            "{text:?} not in the full sheet: {full}"
        );
    }
    assert!(!full.contains("fgw-director"), "{full}");

    let (said, brief) = clerk.sheet(&id, true);
    assert!(said.contains("精简"), "{said}");
    assert!(brief.contains("（精简）"), "{brief}");
    assert!(!brief.contains("请补充资金测算依据"), "{brief}");
    assert!(!brief.contains("退回"), "{brief}");
    for text in ["核稿同意，请市统计局会签", "统计数据无误", "同意上报"] {
        assert!(
            brief.contains(text),
            "{text:?} not in the brief sheet: {brief}"
        );
    }

    // The unit that countersigned prints the sheet of the handling it took part in, as
    // far as it was sent to it (the 核稿 it countersigned on).
    let (said, theirs) = tjj.sheet(&id, false);
    assert!(said.contains("发文稿纸"), "{said}");
    assert!(theirs.contains("核稿同意，请市统计局会签"), "{theirs}");
}

/// The 办理单 of a 秘密 request prints only for the unit's users cleared for it. On the
/// clerk's own computer and data folder, after 退出登录, and then logged in as a user of
/// another unit (cleared high enough, but not of this handling), `flow sheet` is
/// refused, names nothing of the document, and writes no file.
#[test]
fn the_sheet_is_refused_logged_out_and_to_another_unit_on_the_same_computer() {
    let server = TestServer::start();
    let bin = gongwen_bin();
    let clerk = Desk::login(&bin, &server, "fgw-clerk");
    let file = request_file(clerk.dir.path());
    let mut doc =
        DocumentFile::from_toml(&std::fs::read_to_string(&file).expect("read")).expect("valid");
    let secret_title = "宿州市发展和改革委员会关于应对重大风险事项的请示";
    doc.document.title = secret_title.into();
    doc.document.classification = gongwen_core::Classification::Secret;
    doc.document.copy_number = "000001".into();
    doc.document.secrecy_term = "5年".into();
    std::fs::write(&file, doc.to_toml()).expect("write");
    let out = clerk.ok(&["import", file.to_str().expect("path")]);
    let id = out.split_whitespace().next().expect("id").to_string();
    clerk.ok(&["flow", "next", &id, "--opinion", "请审核"]); // 送审
    let pdf = clerk.dir.path().join("sheet.pdf");
    let pdf_arg = pdf.to_str().expect("path");
    clerk.ok(&["flow", "sheet", &id, "-o", pdf_arg]);
    std::fs::remove_file(&pdf).expect("the clerk printed it");

    let refused = |desk: &Desk, why: &str| {
        let out = desk.run(&["flow", "sheet", &id, "-o", pdf_arg]);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "{why}: printed: {said}");
        assert!(
            !said.contains(secret_title) && !said.contains("请审核"),
            "{why}: {said}"
        );
        assert!(!pdf.exists(), "{why}: a sheet was written");
        said
    };
    clerk.ok(&["logout"]);
    let said = refused(&clerk, "logged out");
    assert!(said.contains("nobody is logged in"), "{said}");
    clerk.ok(&["login", "--server", &server.url, "--user", "szgov-clerk"]);
    let said = refused(&clerk, "another unit");
    assert!(said.contains("your unit"), "{said}");
}
