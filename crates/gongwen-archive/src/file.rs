//! Filing: each proposed 件 assembled into its folder with a signed DA/T 48 package,
//! the batch carrier around them, and the filing records in the store.
//!
//! Batch layout (DA/T 48 carrier, see docs/archiving.md):
//! ```text
//! OUT/说明文件.TXT
//! OUT/文件目录.XML
//! OUT/电子档案/<年度>/<保管期限>/<档号>/<档号>.xml   the 封装包
//! OUT/电子档案/<年度>/<保管期限>/<档号>/正本.pdf, 定稿.pdf, 附件01-….*, 办理单.pdf, 修改痕迹.json
//! OUT/其他/归档文件目录.xlsx, 单位签名公钥.txt, 说明.txt
//! ```

use std::path::{Path, PathBuf};

use gongwen_core::archival::ArchivalCode;
use gongwen_core::flow::FlowKind;
use gongwen_core::handling::Handling;
use gongwen_core::wire::{Role, UserInfo};
use gongwen_core::{Document, DocumentId};
use gongwen_store::{FilingRecord, Store};
use gongwen_typeset::{FontSet, RenderOptions, SheetForm, SheetKind};
use serde::Serialize;

use crate::digest::FileDigests;
use crate::eep::{Xml, EEP_NS, SIGNED_CLOSE};
use crate::keys::{UnitKey, DIST_ID, SM2_SM3_OID};
use crate::propose::{filing_handling, renumber, Proposal, ProposedItem};
use crate::{ArchiveConfig, ArchiveError};

/// The folder of the 件 inside a batch.
pub const RECORDS_DIR: &str = "电子档案";
pub const OTHER_DIR: &str = "其他";
pub const CATALOGUE_XML: &str = "文件目录.XML";
pub const README_TXT: &str = "说明文件.TXT";
pub const PUBLIC_KEY_TXT: &str = "单位签名公钥.txt";
pub const CATALOGUE_XLSX: &str = "归档文件目录.xlsx";
/// The same catalogue to print (landscape A4).
pub const CATALOGUE_PDF: &str = "归档文件目录.pdf";

/// The program named as 文档创建程序 and 信息系统描述.
pub const SYSTEM: &str = concat!("公文桌 Gongwen Desk ", env!("CARGO_PKG_VERSION"));

/// The format of a component file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FileFormat {
    pub name: &'static str,
    pub version: &'static str,
    pub mime: &'static str,
}

pub const PDF: FileFormat = FileFormat {
    name: "PDF",
    version: "1.7",
    mime: "application/pdf",
};
pub const JSON: FileFormat = FileFormat {
    name: "JSON",
    version: "RFC 8259",
    mime: "application/json",
};

/// One file of a 件.
#[derive(Debug, Clone)]
pub struct Component {
    /// 文档标识符: 正本, 定稿, 附件1, 办理单, 修改痕迹.
    pub id: String,
    /// 主文件 or 附件 (文档主从声明).
    pub main: bool,
    pub title: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub format: FileFormat,
    pub creator: String,
    pub pages: Option<usize>,
}

/// A filed 件.
#[derive(Debug, Clone, Serialize)]
pub struct FiledItem {
    pub document_id: DocumentId,
    pub archival_code: String,
    pub title: String,
    /// The package, relative to the batch folder.
    pub package_path: String,
    pub files: usize,
    pub bytes: u64,
}

/// What [`file`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct FiledBatch {
    pub dir: PathBuf,
    pub year: u16,
    pub items: Vec<FiledItem>,
    /// Bytes of every file under 电子档案/.
    pub total_bytes: u64,
}

/// How to file.
pub struct FileOptions<'a> {
    pub out: &'a Path,
    pub key: &'a UnitKey,
    pub fonts: &'a FontSet,
}

/// The 办理单 of a 件: the filing unit's 发文稿纸, 收文处理笺 or 阅文单 as the desk prints
/// it (gongwen-typeset's `handling_sheet`, full form: every step with its opinion, the
/// person by name from the directory, and the date), a PDF like the 正本, so it is kept
/// in a long-term format and read without this software. The steps are also in the
/// package's metadata (业务实体块).
pub fn handling_slip(
    doc: &Document,
    handling: &Handling,
    directory: &gongwen_core::wire::Directory,
    fonts: &FontSet,
) -> Result<Component, ArchiveError> {
    let rendered =
        gongwen_typeset::handling_sheet(doc, handling, directory, fonts, SheetForm::Full).map_err(
            |source| ArchiveError::Typeset {
                title: format!("办理单（{}）", doc.title.trim()),
                source,
            },
        )?;
    Ok(Component {
        id: "办理单".into(),
        main: false,
        title: format!(
            "{}（{}）",
            SheetKind::of(handling).label(),
            doc.title.trim()
        ),
        file_name: "办理单.pdf".into(),
        bytes: rendered.pdf,
        format: PDF,
        creator: "gongwen-typeset (krilla)".into(),
        pages: Some(rendered.pages),
    })
}

fn render(doc: &Document, fonts: &FontSet) -> Result<(Vec<u8>, usize), ArchiveError> {
    render_with(doc, fonts, None)
}

fn render_with(
    doc: &Document,
    fonts: &FontSet,
    archive_stamp: Option<gongwen_typeset::ArchiveStamp>,
) -> Result<(Vec<u8>, usize), ArchiveError> {
    // PDF/A-2b: the long-term format GB/T 39362 asks of a 正本 and its 定稿.
    let opts = RenderOptions {
        archive_stamp,
        pdf_a: true,
        ..RenderOptions::default()
    };
    let rendered =
        gongwen_typeset::render(doc, fonts, &opts).map_err(|source| ArchiveError::Typeset {
            title: doc.title.clone(),
            source,
        })?;
    Ok((rendered.pdf, rendered.pages))
}

/// A name safe in every file system, kept readable: path separators, reserved and
/// control characters become `_`.
pub(crate) fn safe_name(name: &str) -> String {
    let s: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .take(60)
        .collect();
    if s.is_empty() {
        "_".into()
    } else {
        s
    }
}

/// The format of an attachment, by its content.
pub(crate) fn sniff(bytes: &[u8], name: &str) -> FileFormat {
    let lower = name.to_ascii_lowercase();
    if bytes.starts_with(b"%PDF-") {
        PDF
    } else if bytes.starts_with(b"\x89PNG") {
        FileFormat {
            name: "PNG",
            version: "1.2",
            mime: "image/png",
        }
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        FileFormat {
            name: "JPEG",
            version: "1.02",
            mime: "image/jpeg",
        }
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        FileFormat {
            name: "TIFF",
            version: "6.0",
            mime: "image/tiff",
        }
    } else if lower.ends_with(".ofd") && bytes.starts_with(b"PK") {
        FileFormat {
            name: "OFD",
            version: "GB/T 33190-2016",
            mime: "application/ofd",
        }
    } else if lower.ends_with(".xml") {
        FileFormat {
            name: "XML",
            version: "1.0",
            mime: "application/xml",
        }
    } else if lower.ends_with(".json") {
        JSON
    } else if std::str::from_utf8(bytes).is_ok() {
        FileFormat {
            name: "TXT",
            version: "UTF-8",
            mime: "text/plain",
        }
    } else {
        FileFormat {
            name: "BIN",
            version: "",
            mime: "application/octet-stream",
        }
    }
}

/// Every component of one 件.
fn components(
    store: &Store,
    item: &ProposedItem,
    handlings: &[Handling],
    fonts: &FontSet,
) -> Result<Vec<Component>, ArchiveError> {
    let id = item.document_id;
    let stored = store
        .get(id)?
        .ok_or(gongwen_store::StoreError::NotFound(id))?;
    let doc = &stored.document;
    let mut out = Vec::new();
    // The 正本 carries its 归档章 (DA/T 22-2015 6.3), as the paper original would be
    // stamped; the 定稿 is the record of what was signed and stays as it was.
    let code: ArchivalCode = item.archival_code.parse()?;
    let stamp = gongwen_typeset::ArchiveStamp {
        fonds: code.fonds_code.clone(),
        year: code.year.to_string(),
        item: format!("{:04}", code.item_number),
        org: code.org_code.clone().unwrap_or_default(),
        retention: code.retention.label().to_string(),
    };
    let (pdf, pages) = render_with(doc, fonts, Some(stamp))?;
    out.push(Component {
        id: "正本".into(),
        main: true,
        title: doc.title.trim().into(),
        file_name: "正本.pdf".into(),
        bytes: pdf,
        format: PDF,
        creator: "gongwen-typeset (krilla)".into(),
        pages: Some(pages),
    });
    let versions = store.versions(id)?;
    if item.flow == FlowKind::Outgoing {
        // 定稿: the version the leader signed off, else the last before 编号.
        let signed = versions
            .iter()
            .rev()
            .find(|v| v.signed_off_at.is_some())
            .map(|v| v.version);
        let draft = match signed {
            Some(v) => store.version(id, v)?.unwrap_or_else(|| doc.clone()),
            None => doc.clone(),
        };
        let (pdf, pages) = render(&draft, fonts)?;
        out.push(Component {
            id: "定稿".into(),
            main: false,
            title: format!("{}（定稿）", doc.title.trim()),
            file_name: "定稿.pdf".into(),
            bytes: pdf,
            format: PDF,
            creator: "gongwen-typeset (krilla)".into(),
            pages: Some(pages),
        });
    }
    for (i, a) in doc.attachments.iter().enumerate() {
        let Some(sha) = &a.sha256 else { continue };
        let path = store.attachment_of(id, sha)?;
        let bytes = crate::read(&path)?;
        let ext = a
            .file_name
            .as_deref()
            .and_then(|f| Path::new(f).extension())
            .and_then(|e| e.to_str())
            .map(|e| format!(".{}", safe_name(e)))
            .unwrap_or_default();
        let format = sniff(&bytes, a.file_name.as_deref().unwrap_or(""));
        out.push(Component {
            id: format!("附件{}", i + 1),
            main: false,
            title: a.name.trim().into(),
            file_name: format!("附件{:02}-{}{}", i + 1, safe_name(&a.name), ext),
            bytes,
            format,
            creator: "附件原文件".into(),
            pages: None,
        });
    }
    // The filing unit's own handling (`filing_handling`), the only one given.
    if let Some(handling) = handlings.first() {
        out.push(handling_slip(doc, handling, &store.directory()?, fonts)?);
    }
    // 修改痕迹: every numbered version (who, when, why) and what changed from the one
    // before, element by element.
    #[derive(Serialize)]
    struct Revision {
        version: gongwen_store::VersionInfo,
        changes: Vec<gongwen_core::revision::ElementChanges>,
    }
    let mut trail = Vec::new();
    let mut previous: Option<Document> = None;
    for v in versions {
        let this = store.version(id, v.version)?;
        let changes = match (&previous, &this) {
            (Some(old), Some(new)) => gongwen_core::revision::compare(old, new)
                .into_iter()
                .filter(|c| c.changed())
                .collect(),
            _ => Vec::new(),
        };
        previous = this;
        trail.push(Revision {
            version: v,
            changes,
        });
    }
    out.push(Component {
        id: "修改痕迹".into(),
        main: false,
        title: format!("{}（修改痕迹）", doc.title.trim()),
        file_name: "修改痕迹.json".into(),
        bytes: serde_json::to_vec_pretty(&trail).unwrap_or_default(),
        format: JSON,
        creator: SYSTEM.into(),
        pages: None,
    });
    Ok(out)
}

/// The package's 被签名对象, indented one level.
#[allow(clippy::too_many_arguments)]
fn signed_object(
    config: &ArchiveConfig,
    code: &ArchivalCode,
    item: &ProposedItem,
    doc: &Document,
    handlings: &[Handling],
    parts: &[(Component, FileDigests)],
    location: &str,
    created_at: &str,
    filer: &UserInfo,
) -> String {
    let filed_by = filer.display_name.as_str();
    let mut x = Xml::new(1);
    x.open_attrs("被签名对象", &[("eep版本", "2009")]);
    x.leaf("封装包类型", "原始型");
    x.leaf(
        "封装包类型描述",
        "本封装包为原始型，封装电子文件数据及其元数据，未经修改",
    );
    x.leaf("封装包创建时间", created_at);
    x.leaf("封装包创建单位", &config.unit_name);
    x.open("封装内容");
    x.open("文件实体块");
    x.open("文件实体");
    x.leaf("聚合层次", "文件");
    x.open("来源");
    x.leaf("档案馆名称", &config.archive_name);
    x.leaf("全宗名称", &config.unit_name);
    x.leaf("立档单位名称", &config.unit_name);
    x.close("来源");
    x.leaf("电子文件号", &item.document_id.to_string());
    x.open("档号");
    x.leaf("档号", &code.to_string());
    x.leaf("全宗号", &code.fonds_code);
    x.leaf("档案门类代码", &code.category_code);
    x.leaf("年度", &code.year.to_string());
    x.leaf("保管期限", code.retention.code());
    x.leaf("机构或问题", code.org_code.as_deref().unwrap_or(""));
    x.leaf("件号", &format!("{:04}", code.item_number));
    x.close("档号");
    x.open("内容描述");
    x.leaf("题名", &item.title);
    x.leaf("文件编号", &item.doc_number);
    x.leaf("责任者", &item.responsible);
    x.leaf("日期", &item.date);
    x.leaf("文种", doc.kind.label());
    x.leaf("紧急程度", doc.urgency.label());
    x.leaf("主送", &doc.main_recipients.join("、"));
    x.leaf("抄送", &doc.cc_recipients.join("、"));
    x.leaf("密级", doc.classification.label());
    x.leaf("保密期限", doc.secrecy_term.trim());
    x.close("内容描述");
    x.open("形式特征");
    x.leaf("文件组合类型", "单件");
    x.leaf("件数", &parts.len().to_string());
    let pages = parts
        .iter()
        .find(|(c, _)| c.id == "正本")
        .and_then(|(c, _)| c.pages)
        .unwrap_or(0);
    x.leaf("页数", &pages.to_string());
    x.leaf("语种", "汉语");
    x.leaf("稿本", "正本");
    x.close("形式特征");
    x.open("存储位置");
    x.leaf("当前位置", location);
    x.close("存储位置");
    x.open("权限管理");
    x.leaf(
        "控制标识",
        if doc.classification.is_classified() {
            "控制"
        } else {
            "开放"
        },
    );
    x.close("权限管理");
    x.leaf("信息系统描述", SYSTEM);
    x.leaf(
        "附注",
        &format!("{}；归档人：{}", item.flow.label(), filed_by),
    );
    x.open("文件数据");
    for (i, (c, d)) in parts.iter().enumerate() {
        x.open("文档");
        x.leaf("文档标识符", &c.id);
        x.leaf("文档序号", &(i + 1).to_string());
        x.leaf("文档主从声明", if c.main { "主文件" } else { "附件" });
        x.leaf("题名", &c.title);
        x.open("文档数据");
        x.open("编码");
        x.open("电子属性");
        x.open("格式信息");
        x.leaf("格式名称", c.format.name);
        x.leaf("格式版本", c.format.version);
        x.leaf("MIME媒体类型", c.format.mime);
        x.close("格式信息");
        x.leaf("计算机文件名", &c.file_name);
        x.leaf("计算机文件大小", &d.size.to_string());
        x.leaf("文档创建程序", &c.creator);
        x.close("电子属性");
        x.leaf(
            "编码描述",
            "文件未内嵌于封装包，与封装包存放于同一目录，以计算机文件名引用，以数字摘要固化",
        );
        x.leaf("反编码关键字", "无");
        x.leaf_attrs("数字摘要", &[("算法", "SM3")], &d.sm3);
        x.leaf_attrs("数字摘要", &[("算法", "SHA-256")], &d.sha256);
        x.close("编码");
        x.close("文档数据");
        x.close("文档");
    }
    x.close("文件数据");
    x.close("文件实体");
    x.close("文件实体块");
    // 业务实体: each step of each handling, then the 归档 itself.
    x.open("业务实体块");
    let mut people: Vec<(String, String, String)> = Vec::new();
    for h in handlings {
        for e in &h.trail {
            x.open("业务实体");
            x.leaf("机构人员标识", &e.by);
            x.leaf("业务状态", &format!("{}办理", h.flow.label()));
            x.leaf("业务行为", e.kind.label());
            x.leaf("行为时间", &e.at);
            x.leaf(
                "行为依据",
                &format!("{}（{}）", e.step.as_str(), e.action.label()),
            );
            let mut what = String::new();
            if let Some(o) = &e.opinion {
                what.push_str(&format!("意见：{o}"));
            }
            if let Some(r) = &e.result {
                if !what.is_empty() {
                    what.push('；');
                }
                what.push_str(&format!("结果：{r}"));
            }
            x.leaf("行为描述", &what);
            x.close("业务实体");
            let person = (e.by.clone(), e.unit.0.clone(), e.role.label().to_string());
            if !people.contains(&person) {
                people.push(person);
            }
        }
    }
    x.open("业务实体");
    x.leaf("机构人员标识", &filer.username);
    x.leaf("业务状态", "归档");
    x.leaf("业务行为", "归档");
    x.leaf("行为时间", created_at);
    x.leaf("行为依据", "DA/T 22-2015；GB/T 39362-2020");
    x.leaf("行为描述", &format!("归档，档号 {code}"));
    x.close("业务实体");
    x.close("业务实体块");
    x.open("机构人员实体块");
    for (name, unit, role) in &people {
        x.open("机构人员实体");
        x.leaf("机构人员类型", "个人");
        x.leaf("机构人员名称", name);
        x.leaf("组织机构代码", unit);
        x.leaf("个人职位", role);
        x.close("机构人员实体");
    }
    x.open("机构人员实体");
    x.leaf("机构人员类型", "个人");
    x.leaf("机构人员名称", filed_by);
    x.leaf("组织机构代码", &config.unit_name);
    x.leaf("个人职位", "档案员");
    x.close("机构人员实体");
    x.close("机构人员实体块");
    x.close("封装内容");
    // `close` ends with a newline; the signed span ends at the closing tag.
    x.close("被签名对象");
    let mut s = x.out;
    s.truncate(s.trim_end().len());
    debug_assert!(s.ends_with(SIGNED_CLOSE));
    s
}

/// The whole package: header, signed object (indented as written), signature block.
fn package_xml(signed: &str, key: &UnitKey, signer: &str, at: &str) -> String {
    use base64::Engine as _;
    let span = signed.trim_start();
    let signature = key.sign(span.as_bytes());
    let mut x = Xml::new(0);
    x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.open_attrs("电子文件封装包", &[("xmlns", EEP_NS)]);
    x.leaf(
        "封装包格式描述",
        "本EEP根据中华人民共和国档案行业标准DA/T 48-2009《基于XML的电子文件封装规范》生成",
    );
    x.leaf("版本", "2009");
    x.raw(signed);
    x.raw("\n");
    x.open("电子签名块");
    x.open("电子签名");
    x.leaf("签名标识符", "修改0-签名1");
    x.leaf(
        "签名规则",
        &format!("SM2签名（SM3杂凑，用户标识{DIST_ID}）；被签名数据为本文件中被签名对象元素自起始标签至结束标签的UTF-8字节，不做XML规范化"),
    );
    x.leaf("签名时间", at);
    x.leaf("签名人", signer);
    x.leaf(
        "签名结果",
        &base64::engine::general_purpose::STANDARD.encode(signature),
    );
    x.open("证书块");
    x.leaf_attrs(
        "证书引用",
        &[("类型", "SM2公钥（SEC1，十六进制）")],
        &key.public_hex(),
    );
    x.close("证书块");
    x.leaf("签名算法标识", SM2_SM3_OID);
    x.close("电子签名");
    x.close("电子签名块");
    x.close("电子文件封装包");
    x.out
}

/// Files every item of `proposal` into a new batch folder `opts.out`, then records the
/// filings in the store (one transaction). The 件号 are given again ([`renumber`]) so
/// that they continue without gaps whatever was edited in the proposal.
///
/// Only the logged-in account's unit files, and only its 档案员: a filing is permanent
/// (the store then refuses to change the document), so it is never made by a desk with
/// nobody logged in, in a name typed by hand. The batch is written beside `opts.out`
/// and moved there whole once every 件 is written, and removed again if the store
/// refuses the records: a refusal leaves no half batch to be mistaken for one.
pub fn file(
    store: &mut Store,
    config: &ArchiveConfig,
    proposal: &Proposal,
    opts: &FileOptions<'_>,
) -> Result<FiledBatch, ArchiveError> {
    config.validate()?;
    let filer = filer(store)?;
    if opts.out.join(CATALOGUE_XML).exists() {
        return Err(ArchiveError::BatchExists(opts.out.to_path_buf()));
    }
    if std::fs::read_dir(opts.out).is_ok_and(|mut d| d.next().is_some()) {
        return Err(ArchiveError::BatchNotEmpty(opts.out.to_path_buf()));
    }
    let name = opts
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "batch".into());
    let staging = opts.out.with_file_name(format!(".{name}.part"));
    // A leftover of a filing that was killed: nothing in the store points at it.
    let _ = std::fs::remove_dir_all(&staging);
    let (batch, records) = match write_batch(store, config, proposal, opts, &filer, &staging) {
        Ok(written) => written,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let moved = match std::fs::remove_dir(opts.out) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => std::fs::rename(&staging, opts.out),
    };
    if let Err(source) = moved {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(ArchiveError::Write {
            path: opts.out.to_path_buf(),
            source,
        });
    }
    if let Err(e) = store.record_filings(&records) {
        let _ = std::fs::remove_dir_all(opts.out);
        return Err(e.into());
    }
    Ok(batch)
}

/// The account that files: logged in, and the unit's 档案员.
fn filer(store: &Store) -> Result<UserInfo, ArchiveError> {
    let account = store.signed_in()?.ok_or(ArchiveError::NotSignedIn)?;
    if account.user.role != Role::Archivist {
        return Err(ArchiveError::NotArchivist {
            username: account.user.username,
            role: account.user.role.label(),
        });
    }
    Ok(account.user)
}

/// Writes every 件 and the carrier into `root`; the records to keep once it is in place.
fn write_batch(
    store: &Store,
    config: &ArchiveConfig,
    proposal: &Proposal,
    opts: &FileOptions<'_>,
    filer: &UserInfo,
    root: &Path,
) -> Result<(FiledBatch, Vec<FilingRecord>), ArchiveError> {
    let mut proposal = proposal.clone();
    renumber(store, config, &mut proposal)?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut items = Vec::new();
    let mut records = Vec::new();
    let mut catalogue_rows = Vec::new();
    let mut total_bytes = 0u64;
    for item in &proposal.items {
        let code: ArchivalCode = item.archival_code.parse()?;
        if let Some(f) = store.filing(item.document_id)? {
            return Err(gongwen_store::StoreError::Filed {
                id: item.document_id,
                archival_code: f.archival_code.to_string(),
            }
            .into());
        }
        let stored = store
            .get(item.document_id)?
            .ok_or(gongwen_store::StoreError::NotFound(item.document_id))?;
        let all = store.handlings(item.document_id)?;
        let handlings: Vec<Handling> = match filing_handling(&all, &filer.unit.0) {
            Some(h) => vec![h.clone()],
            None => {
                return Err(ArchiveError::Proposal(format!(
                    "{} ({}) is not 办结 in this store",
                    item.title, item.document_id
                )))
            }
        };
        let rel_dir = format!(
            "{RECORDS_DIR}/{}/{}/{}",
            code.year,
            code.retention.code(),
            code
        );
        let dir = root.join(&rel_dir);
        let parts = components(store, item, &handlings, opts.fonts)?;
        let mut digested = Vec::new();
        for c in parts {
            let d = FileDigests::of_bytes(&c.bytes);
            crate::write(&dir.join(&c.file_name), &c.bytes)?;
            total_bytes += d.size;
            digested.push((c, d));
        }
        let signed = signed_object(
            config,
            &code,
            item,
            &stored.document,
            &handlings,
            &digested,
            &format!("{rel_dir}/"),
            &now,
            filer,
        );
        let xml = package_xml(&signed, opts.key, &config.unit_name, &now);
        let package_rel = format!("{rel_dir}/{code}.xml");
        crate::write(&root.join(&package_rel), xml.as_bytes())?;
        let d = FileDigests::of_bytes(xml.as_bytes());
        total_bytes += d.size;
        let pages = digested
            .iter()
            .find(|(c, _)| c.id == "正本")
            .and_then(|(c, _)| c.pages)
            .unwrap_or(0);
        let item_bytes = digested.iter().map(|(_, d)| d.size).sum::<u64>() + d.size;
        catalogue_rows.push(crate::report::CatalogueRow {
            archival_code: code.to_string(),
            doc_number: item.doc_number.clone(),
            responsible: item.responsible.clone(),
            title: item.title.clone(),
            date: item.date.clone(),
            classification: item.classification.label().to_string(),
            pages,
            note: item.flow.label().to_string(),
            path: format!("{rel_dir}/"),
            bytes: item_bytes,
        });
        records.push(FilingRecord {
            document_id: item.document_id,
            archival_code: code.clone(),
            retention: code.retention,
            title: item.title.clone(),
            package_path: package_rel.clone(),
            package_sha256: d.sha256,
            package_sm3: d.sm3,
            filed_at: now.clone(),
            filed_by: filer.display_name.clone(),
        });
        items.push(FiledItem {
            document_id: item.document_id,
            archival_code: code.to_string(),
            title: item.title.clone(),
            package_path: package_rel,
            files: digested.len() + 1,
            bytes: item_bytes,
        });
    }
    crate::report::write_carrier(
        root,
        config,
        proposal.year,
        &catalogue_rows,
        total_bytes,
        opts,
        &now,
    )?;
    Ok((
        FiledBatch {
            dir: opts.out.to_path_buf(),
            year: proposal.year,
            items,
            total_bytes,
        },
        records,
    ))
}
