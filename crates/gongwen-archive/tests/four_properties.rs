//! 四性检测 of a filed batch: a clean batch passes (PDF/A reported as not checked), and
//! each tamper is detected and named by its DA/T 70 item code.

mod common;

use std::path::PathBuf;

use common::*;
use gongwen_archive::{
    check_batch, CheckOptions, CheckReport, ClamAv, Stage, Status, UnitKey, VirusScanner,
};

const Y1: &str = "电子档案/2026/Y/Z109-WS·2026-Y-BGS-0001";
const Y1_CODE: &str = "Z109-WS·2026-Y-BGS-0001";

/// A freshly filed batch in its own temp folder.
struct Batch {
    _dir: tempfile::TempDir,
    root: PathBuf,
    key: UnitKey,
}

fn batch() -> Batch {
    let dir = tempfile::tempdir().unwrap();
    let mut store = year_store(dir.path());
    let (_, _, key) = filed(dir.path(), &mut store);
    let root = dir.path().join("batch");
    Batch {
        _dir: dir,
        root,
        key,
    }
}

fn check(b: &Batch, scanner: Option<&dyn VirusScanner>) -> CheckReport {
    check_batch(
        &b.root,
        &CheckOptions {
            stage: Stage::Filing,
            trusted_key: Some(b.key.public_hex()),
            scanner,
            store: None,
        },
    )
    .unwrap()
}

fn problems(r: &CheckReport) -> Vec<String> {
    r.problems()
        .map(|p| format!("{} {} {:?}: {}", p.subject, p.code, p.status, p.detail))
        .collect()
}

fn package(b: &Batch) -> PathBuf {
    b.root.join(Y1).join(format!("{Y1_CODE}.xml"))
}

fn edit_package(b: &Batch, f: impl FnOnce(String) -> String) {
    let p = package(b);
    let xml = std::fs::read_to_string(&p).unwrap();
    let changed = f(xml.clone());
    assert_ne!(changed, xml, "the edit changed nothing");
    std::fs::write(&p, changed).unwrap();
}

fn assert_only_pdfa_unchecked(r: &CheckReport) {
    let left: Vec<String> = problems(r)
        .into_iter()
        .filter(|p| !p.contains(" GD-3-4 NotChecked"))
        .collect();
    assert!(left.is_empty(), "{left:#?}");
}

#[test]
fn a_clean_batch_passes_with_pdfa_reported_as_not_checked() {
    let b = batch();
    let clam = ClamAv::detect(Some(eicar_database(&b.root.join(".."))))
        .expect("clamscan is installed (apt: clamav)");
    let r = check(&b, Some(&clam));
    assert_eq!(r.items_checked, 3);
    assert_only_pdfa_unchecked(&r);
    assert!(
        !r.passed(),
        "PDF/A is not validated, so the batch is not declared passed"
    );
    assert!(r.results.iter().any(|x| x.code == "GD-3-4"
        && x.status == Status::NotChecked
        && x.detail.contains("PDF/A-2b")));
    for code in [
        "GD-1-1", "GD-1-7", "GD-1-8", "GD-1-9", "GD-2-1", "GD-2-2", "GD-2-5", "GD-2-6", "GD-2-7",
        "GD-3-1", "GD-3-3", "GD-3-8", "GD-4-1", "GD-4-2", "GD-4-3",
    ] {
        assert!(
            r.results
                .iter()
                .any(|x| x.code == code && x.status == Status::Pass),
            "{code} was checked and passed"
        );
    }
    // The HTML report explains each item in Chinese; the JSON reads back.
    let html = gongwen_archive::report::html(&r);
    assert!(
        html.contains("四性检测报告") && html.contains("PDF/A 符合性") && html.contains("未检测")
    );
    let json = serde_json::to_string(&r).unwrap();
    let back: CheckReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back.results.len(), r.results.len());
}

#[test]
fn without_a_scanner_the_report_says_not_scanned() {
    let b = batch();
    let r = check(&b, None);
    for code in ["GD-4-1", "GD-4-2"] {
        let x = r.results.iter().find(|x| x.code == code).unwrap();
        assert_eq!(x.status, Status::NotChecked, "{x:?}");
        assert!(x.detail.contains("未扫描"), "{x:?}");
    }
    assert!(!r.passed());
    // A scanner that cannot scan (no signature database) is not a pass either.
    let clam = ClamAv::detect(Some(b.root.join("no-such-database.hdb"))).expect("clamscan");
    let r = check(&b, Some(&clam));
    let x = r.results.iter().find(|x| x.code == "GD-4-1").unwrap();
    assert_eq!(x.status, Status::NotChecked, "{x:?}");
}

#[test]
fn a_changed_byte_is_a_digest_failure() {
    let b = batch();
    let p = b.root.join(Y1).join("正本.pdf");
    let mut bytes = std::fs::read(&p).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    std::fs::write(&p, bytes).unwrap();
    let r = check(&b, None);
    assert!(r.failed("GD-1-1", Some(Y1_CODE)), "{:#?}", problems(&r));
    assert!(
        !r.failed("GD-1-1", Some("Z109-WS·2026-D30-BGS-0001")),
        "the other 件 are fine"
    );
}

#[test]
fn a_missing_file_is_a_missing_component() {
    let b = batch();
    std::fs::remove_file(b.root.join(Y1).join("办理单.pdf")).unwrap();
    let r = check(&b, None);
    assert!(r.failed("GD-2-7", Some(Y1_CODE)), "{:#?}", problems(&r));
    assert!(
        r.failed("GD-2-2", None),
        "the bytes no longer match the catalogue"
    );
}

#[test]
fn a_wrong_digest_in_the_metadata_is_detected() {
    let b = batch();
    edit_package(&b, |xml| {
        let at = xml.find("<数字摘要 算法=\"SM3\">").unwrap() + "<数字摘要 算法=\"SM3\">".len();
        let mut s = xml.clone();
        let c = if &xml[at..at + 1] == "0" { "1" } else { "0" };
        s.replace_range(at..at + 1, c);
        s
    });
    let r = check(&b, None);
    let x = r
        .results
        .iter()
        .find(|x| x.code == "GD-1-1" && x.subject == Y1_CODE)
        .unwrap();
    assert_eq!(x.status, Status::Fail);
    assert!(x.detail.contains("SM3 摘要与元数据不符"), "{x:?}");
    assert!(
        x.detail.contains("电子签名验证失败"),
        "the digests are signed: {x:?}"
    );
}

#[test]
fn a_forged_signature_is_detected() {
    use base64::Engine as _;
    let b = batch();
    // Another key signs the same signed object, keeping the unit's public key…
    let forger = UnitKey::generate();
    let xml = std::fs::read_to_string(package(&b)).unwrap();
    let start = xml.find("<被签名对象").unwrap();
    let end = xml.find("</被签名对象>").unwrap() + "</被签名对象>".len();
    let forged =
        base64::engine::general_purpose::STANDARD.encode(forger.sign(&xml.as_bytes()[start..end]));
    let old = between(&xml, "<签名结果>", "</签名结果>");
    edit_package(&b, |x| x.replace(&old, &forged));
    let r = check(&b, None);
    assert!(r.failed("GD-1-1", Some(Y1_CODE)), "{:#?}", problems(&r));

    // …or puts its own public key in: the signature verifies, but not with the unit's key.
    let own = forger.public_hex();
    let unit = between(
        &std::fs::read_to_string(package(&b)).unwrap(),
        "SEC1，十六进制）\">",
        "</证书引用>",
    );
    edit_package(&b, |x| x.replace(&unit, &own));
    let r = check(&b, None);
    let x = r
        .results
        .iter()
        .find(|x| x.code == "GD-1-1" && x.subject == Y1_CODE)
        .unwrap();
    assert_eq!(x.status, Status::Fail);
    assert!(x.detail.contains("不是本单位的签名公钥"), "{x:?}");
    assert!(
        !x.detail.contains("电子签名验证失败"),
        "the forger's own signature verifies: {x:?}"
    );
}

fn between(s: &str, open: &str, close: &str) -> String {
    let a = s.find(open).unwrap() + open.len();
    let b = s[a..].find(close).unwrap() + a;
    s[a..b].to_string()
}

#[test]
fn a_duplicate_archival_code_is_detected() {
    let b = batch();
    // The same 件 once more, under another period's folder.
    copy_dir(
        &b.root.join(Y1),
        &b.root.join("电子档案/2026/D30").join(Y1_CODE),
    );
    let r = check(&b, None);
    assert!(r.failed("GD-1-8", None), "{:#?}", problems(&r));
    let x = r.results.iter().find(|x| x.code == "GD-1-8").unwrap();
    assert!(x.detail.contains(Y1_CODE), "{x:?}");
}

#[test]
fn a_gap_in_the_item_numbers_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = year_store(dir.path());
    // Two more 请示 (Y): 0001–0003 in the Y class.
    let files = dir.path().join("files");
    for (i, title) in ["关于调整项目计划的请示", "关于增加编制的请示"]
        .iter()
        .enumerate()
    {
        add_finished(
            &mut store,
            &files,
            &request(
                title,
                &format!("宿发改〔2026〕{}号", 30 + i),
                "2026年12月1日",
            ),
            gongwen_core::flow::FlowKind::Outgoing,
            "2026-12-01",
            20 + i as u64,
            None,
        );
    }
    let (_, _, key) = filed(dir.path(), &mut store);
    let b = Batch {
        root: dir.path().join("batch"),
        key,
        _dir: dir,
    };
    std::fs::remove_dir_all(b.root.join("电子档案/2026/Y/Z109-WS·2026-Y-BGS-0002")).unwrap();
    let r = check(&b, None);
    let x = r.results.iter().find(|x| x.code == "GD-2-6").unwrap();
    assert_eq!(x.status, Status::Fail, "{:#?}", problems(&r));
    assert!(x.detail.contains("缺 0002"), "{x:?}");
    assert!(
        r.failed("GD-2-1", None),
        "the catalogue lists 5, 4 are there"
    );
}

#[test]
fn metadata_that_contradicts_the_file_is_detected() {
    let b = batch();
    let size = std::fs::metadata(b.root.join(Y1).join("正本.pdf"))
        .unwrap()
        .len();
    edit_package(&b, |x| {
        x.replacen(
            &format!("<计算机文件大小>{size}</计算机文件大小>"),
            &format!("<计算机文件大小>{}</计算机文件大小>", size + 7),
            1,
        )
    });
    // And a 定稿 that says PDF but is not one.
    std::fs::write(b.root.join(Y1).join("定稿.pdf"), b"{\"not\": \"a pdf\"}").unwrap();
    let r = check(&b, None);
    let x = r
        .results
        .iter()
        .find(|x| x.code == "GD-1-9" && x.subject == Y1_CODE)
        .unwrap();
    assert_eq!(x.status, Status::Fail, "{:#?}", problems(&r));
    assert!(
        x.detail.contains(&format!("元数据记为 {}", size + 7)),
        "{x:?}"
    );
    assert!(x.detail.contains("定稿.pdf 实际格式为"), "{x:?}");
}

#[test]
fn an_encrypted_pdf_is_detected() {
    let b = batch();
    let p = b.root.join(Y1).join("正本.pdf");
    let out = b.root.join("encrypted.pdf");
    let status = std::process::Command::new("qpdf")
        .args(["--encrypt", "user", "owner", "256", "--"])
        .arg(&p)
        .arg(&out)
        .status()
        .expect("qpdf is installed (apt: qpdf)");
    assert!(status.success());
    std::fs::rename(&out, &p).unwrap();
    let r = check(&b, None);
    let x = r
        .results
        .iter()
        .find(|x| x.code == "GD-3-8" && x.subject == Y1_CODE)
        .unwrap();
    assert_eq!(x.status, Status::Fail, "{:#?}", problems(&r));
    assert!(x.detail.contains("正本.pdf 已加密"), "{x:?}");
}

#[test]
fn a_pdf_with_javascript_is_detected() {
    use lopdf::{dictionary, Object};
    let b = batch();
    let p = b.root.join(Y1).join("正本.pdf");
    let mut doc = lopdf::Document::load(&p).unwrap();
    let action = doc.add_object(dictionary! {
        "Type" => "Action",
        "S" => "JavaScript",
        "JS" => Object::string_literal("app.alert('hi');"),
    });
    let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    doc.get_object_mut(root)
        .unwrap()
        .as_dict_mut()
        .unwrap()
        .set("OpenAction", Object::Reference(action));
    doc.save(&p).unwrap();
    let r = check(&b, None);
    let x = r
        .results
        .iter()
        .find(|x| x.code == "GD-4-3" && x.subject == Y1_CODE)
        .unwrap();
    assert_eq!(x.status, Status::Fail, "{:#?}", problems(&r));
    assert!(x.detail.contains("JavaScript"), "{x:?}");
}

#[test]
fn the_eicar_file_is_found_by_the_virus_scan() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = year_store(dir.path());
    let files = dir.path().join("files");
    // A 收文 whose attachment is the EICAR test file: filed as it came.
    let mut doc = notice(
        "关于转发病毒防范提示的通知",
        "宿网信〔2026〕3号",
        "2026年9月1日",
    );
    doc.issuer_signature = vec!["宿州市委网信办".into()];
    add_finished(
        &mut store,
        &files,
        &doc,
        gongwen_core::flow::FlowKind::Incoming,
        "2026-09-02",
        30,
        Some(("测试样本", "sample.txt", &eicar())),
    );
    let (_, _, key) = filed(dir.path(), &mut store);
    let b = Batch {
        root: dir.path().join("batch"),
        key,
        _dir: dir,
    };
    let db = eicar_database(b._dir.path());
    match ClamAv::detect(Some(db)) {
        Some(clam) => {
            let r = check(&b, Some(&clam));
            let x = r
                .results
                .iter()
                .find(|x| x.code == "GD-4-2" && x.status == Status::Fail)
                .unwrap_or_else(|| panic!("{:#?}", problems(&r)));
            assert!(
                x.detail.contains("附件01-测试样本.txt") && x.detail.contains("Eicar"),
                "{x:?}"
            );
            assert_eq!(
                r.results
                    .iter()
                    .filter(|x| x.code == "GD-4-2" && x.status == Status::Fail)
                    .count(),
                1,
                "only that 件"
            );
        }
        None => {
            let r = check(&b, None);
            assert!(r.results.iter().any(|x| x.code == "GD-4-2"
                && x.status == Status::NotChecked
                && x.detail.contains("未扫描")));
        }
    }
}

#[test]
fn at_transfer_the_codes_are_yj() {
    let b = batch();
    std::fs::remove_file(b.root.join(Y1).join("办理单.pdf")).unwrap();
    let r = check_batch(
        &b.root,
        &CheckOptions {
            stage: Stage::Transfer,
            trusted_key: Some(b.key.public_hex()),
            scanner: None,
            store: None,
        },
    )
    .unwrap();
    assert!(r.results.iter().all(|x| x.code.starts_with("YJ-")));
    assert!(r.failed("YJ-2-7", Some(Y1_CODE)), "{:#?}", problems(&r));
}

#[test]
fn a_pdf_whose_fonts_are_not_embedded_is_not_usable() {
    let b = batch();
    let p = b.root.join(Y1).join("定稿.pdf");
    let mut doc = lopdf::Document::load(&p).unwrap();
    let mut stripped = 0;
    for obj in doc.objects.values_mut() {
        if let Ok(d) = obj.as_dict_mut() {
            for k in [b"FontFile".as_slice(), b"FontFile2", b"FontFile3"] {
                if d.remove(k).is_some() {
                    stripped += 1;
                }
            }
        }
    }
    assert!(stripped > 0);
    doc.save(&p).unwrap();
    // poppler agrees that they are no longer embedded.
    let fonts = std::process::Command::new("pdffonts")
        .arg(&p)
        .output()
        .unwrap();
    let listed = gongwen_pdfcheck::inspect::parse_pdffonts(&String::from_utf8_lossy(&fonts.stdout));
    assert!(listed.iter().any(|f| !f.embedded), "{listed:?}");
    let r = check(&b, None);
    let x = r
        .results
        .iter()
        .find(|x| x.code == "GD-3-3" && x.subject == Y1_CODE)
        .unwrap();
    assert_eq!(x.status, Status::Fail, "{:#?}", problems(&r));
    assert!(x.detail.contains("定稿.pdf 的字体未嵌入"), "{x:?}");
}

#[test]
fn values_out_of_range_and_special_characters_are_named() {
    let b = batch();
    edit_package(&b, |x| {
        x.replacen("<密级>非密</密级>", "<密级>内部</密级>", 1)
            .replacen("<日期>20261125</日期>", "<日期>20251301</日期>", 1)
            .replacen(
                "<计算机文件名>办理单.pdf</计算机文件名>",
                "<计算机文件名>../办理单.pdf</计算机文件名>",
                1,
            )
            .replacen("<保管期限>Y</保管期限>", "<保管期限>D</保管期限>", 1)
    });
    let r = check(&b, None);
    let ranges = r
        .results
        .iter()
        .find(|x| x.code == "GD-1-4" && x.subject == Y1_CODE)
        .unwrap();
    assert_eq!(ranges.status, Status::Fail);
    for what in ["密级“内部”", "日期“20251301”", "保管期限“D”"] {
        assert!(ranges.detail.contains(what), "{what}: {ranges:?}");
    }
    let specials = r
        .results
        .iter()
        .find(|x| x.code == "GD-1-6" && x.subject == Y1_CODE)
        .unwrap();
    assert!(specials.detail.contains("../办理单.pdf"), "{specials:?}");
    assert!(
        r.failed("GD-1-7", Some(Y1_CODE)),
        "the 档号 says Y, its part says D"
    );
}

/// The 正本 and 定稿 are written as PDF/A-2b; the check reads the declaration (XMP and
/// output intent) and says it did not validate every rule. A 正本 whose XMP no longer
/// says PDF/A-2b fails 3-4, naming it.
#[test]
fn a_正本_that_does_not_declare_pdf_a_fails() {
    let b = batch();
    let r = check(&b, None);
    let pdfa = r
        .results
        .iter()
        .find(|x| x.code == "GD-3-4" && x.subject == Y1_CODE)
        .unwrap();
    assert_eq!(pdfa.status, Status::NotChecked, "{pdfa:?}");
    assert!(pdfa.detail.contains("正本.pdf"), "{pdfa:?}");
    assert!(pdfa.detail.contains("声明为 PDF/A-2b"), "{pdfa:?}");

    // Same length, so the file still opens: only the declaration is gone.
    let path = b.root.join(Y1).join("正本.pdf");
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert!(text.contains("pdfaid:part"), "the 正本 declares PDF/A");
    let mut changed = bytes.clone();
    let needle = b"pdfaid:part";
    let mut i = 0;
    while let Some(at) = changed[i..].windows(needle.len()).position(|w| w == needle) {
        changed[i + at..i + at + needle.len()].copy_from_slice(b"pdfaid:xxxx");
        i += at + needle.len();
    }
    std::fs::write(&path, changed).unwrap();
    let r = check(&b, None);
    let pdfa = r
        .results
        .iter()
        .find(|x| x.code == "GD-3-4" && x.subject == Y1_CODE)
        .unwrap();
    assert_eq!(pdfa.status, Status::Fail, "{pdfa:?}");
    assert!(pdfa.detail.contains("正本.pdf 未声明 PDF/A-2b"), "{pdfa:?}");
}
