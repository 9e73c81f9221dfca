//! 四性检测 (DA/T 70-2018) of a batch folder, and of the store's filing records.
//!
//! Every result names its item code: stage (`GD` 归档, `YJ` 移交与接收), property (1
//! 真实性, 2 完整性, 3 可用性, 4 安全性) and item, per 件 (subject = 档号) or for the
//! batch. The item numbers follow the vendor numbering recorded in
//! the shared standards digest (standards.md) where it is known; the rest are this project's and are
//! listed in docs/archiving.md. Nothing is passed silently: what was not checked
//! (no virus scanner, PDF/A not validated) is `not_checked`, and a report with such an
//! item does not pass.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use gongwen_core::archival::{ArchivalCode, RetentionPeriod};
use gongwen_store::Store;
use serde::{Deserialize, Serialize};

use crate::digest::FileDigests;
use crate::eep::{signed_span, EEP_NS};
use crate::file::{sniff, CATALOGUE_XML, OTHER_DIR, README_TXT, RECORDS_DIR};
use crate::scan::{ScanOutcome, VirusScanner};
use crate::ArchiveError;

/// 归档 (GD) or 移交与接收 (YJ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Filing,
    Transfer,
}

impl Stage {
    pub fn prefix(self) -> &'static str {
        match self {
            Stage::Filing => "GD",
            Stage::Transfer => "YJ",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Stage::Filing => "归档",
            Stage::Transfer => "移交与接收",
        }
    }
}

/// The outcome of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// 未检测 / 未扫描: the check could not be made; never counted as passed.
    NotChecked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotChecked => "not_checked",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "通过",
            Status::Fail => "不通过",
            Status::NotChecked => "未检测",
        }
    }
}

/// One item's result for one 件 (or the batch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    /// The 档号 of the 件 (its folder name if the package cannot be read), or `批次`.
    pub subject: String,
    /// E.g. `GD-1-1`.
    pub code: String,
    pub property: u8,
    /// The item, in Chinese.
    pub item: String,
    pub status: Status,
    /// What was found, in Chinese (empty when it passed plainly).
    pub detail: String,
    /// The same in English.
    pub detail_en: String,
}

impl ItemResult {
    pub fn property_label(&self) -> &'static str {
        match self.property {
            1 => "真实性",
            2 => "完整性",
            3 => "可用性",
            _ => "安全性",
        }
    }
}

/// The report of one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckReport {
    pub stage: Stage,
    pub dir: String,
    pub checked_at: String,
    /// How many 件 (packages) were found.
    pub items_checked: usize,
    /// The virus scanner used, if any.
    pub scanner: Option<String>,
    pub results: Vec<ItemResult>,
}

impl CheckReport {
    pub fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }

    /// Every item passed: no failure and nothing left unchecked.
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.status == Status::Pass)
    }

    /// The results that did not pass.
    pub fn problems(&self) -> impl Iterator<Item = &ItemResult> {
        self.results.iter().filter(|r| r.status != Status::Pass)
    }

    /// Whether item `code` (e.g. `GD-1-1`) failed, for `subject` when given.
    pub fn failed(&self, code: &str, subject: Option<&str>) -> bool {
        self.results.iter().any(|r| {
            r.code == code && r.status == Status::Fail && subject.is_none_or(|s| r.subject == s)
        })
    }
}

/// How to check.
pub struct CheckOptions<'a> {
    pub stage: Stage,
    /// The unit's public key (hex) the signatures must be made with; without it a
    /// signature is checked against the key in the package only, and the report says so.
    pub trusted_key: Option<String>,
    pub scanner: Option<&'a dyn VirusScanner>,
    /// Check the store's filing records against the batch too.
    pub store: Option<&'a Store>,
}

/// Formats a 件 may hold (GB/T 18894 archival formats and our own metadata files).
pub const ALLOWED_FORMATS: [&str; 8] = ["PDF", "OFD", "XML", "JSON", "TXT", "PNG", "JPEG", "TIFF"];

const BATCH: &str = "批次";

struct Run {
    prefix: &'static str,
    results: Vec<ItemResult>,
}

impl Run {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        subject: &str,
        p: u8,
        n: u8,
        item: &str,
        status: Status,
        zh: String,
        en: String,
    ) {
        self.results.push(ItemResult {
            subject: subject.to_string(),
            code: format!("{}-{p}-{n}", self.prefix),
            property: p,
            item: item.to_string(),
            status,
            detail: zh,
            detail_en: en,
        });
    }

    /// Pass when `problems` is empty, else fail listing them.
    fn verdict(
        &mut self,
        subject: &str,
        p: u8,
        n: u8,
        item: &str,
        problems: Vec<(String, String)>,
    ) {
        if problems.is_empty() {
            self.push(
                subject,
                p,
                n,
                item,
                Status::Pass,
                String::new(),
                String::new(),
            );
        } else {
            let zh = problems
                .iter()
                .map(|(z, _)| z.as_str())
                .collect::<Vec<_>>()
                .join("；");
            let en = problems
                .iter()
                .map(|(_, e)| e.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            self.push(subject, p, n, item, Status::Fail, zh, en);
        }
    }
}

/// One 文档 of a package as its metadata says.
#[derive(Debug, Clone, Default)]
struct DocMeta {
    id: String,
    format: String,
    file_name: String,
    size: String,
    sm3: String,
    sha256: String,
}

/// What is read out of one package.
#[derive(Debug, Default)]
struct Package {
    code_text: String,
    parts: BTreeMap<&'static str, String>,
    record_id: String,
    fields: BTreeMap<&'static str, String>,
    location: String,
    pages: String,
    docs: Vec<DocMeta>,
    business: Vec<String>,
    people: usize,
    signature: String,
    public_key: String,
    missing: Vec<String>,
}

fn el<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn path_text(node: roxmltree::Node<'_, '_>, path: &[&str], missing: &mut Vec<String>) -> String {
    let mut n = node;
    for p in path {
        match el(n, p) {
            Some(c) => n = c,
            None => {
                missing.push(path.join("/"));
                return String::new();
            }
        }
    }
    n.text().unwrap_or("").trim().to_string()
}

fn read_package(text: &str) -> Result<Package, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    if root.tag_name().name() != "电子文件封装包" || root.tag_name().namespace() != Some(EEP_NS)
    {
        return Err(format!(
            "root element is {:?}, not 电子文件封装包 in {EEP_NS}",
            root.tag_name().name()
        ));
    }
    let mut p = Package::default();
    let m = &mut p.missing;
    let Some(signed) = el(root, "被签名对象") else {
        return Err("no 被签名对象".into());
    };
    let entity_path = ["封装内容", "文件实体块", "文件实体"];
    let mut entity = signed;
    for name in entity_path {
        entity = el(entity, name).ok_or_else(|| format!("no {}", entity_path.join("/")))?;
    }
    if path_text(signed, &["封装包类型"], m) != "原始型" {
        m.push("封装包类型=原始型".into());
    }
    p.code_text = path_text(entity, &["档号", "档号"], m);
    for part in [
        "全宗号",
        "档案门类代码",
        "年度",
        "保管期限",
        "机构或问题",
        "件号",
    ] {
        let v = path_text(entity, &["档号", part], m);
        p.parts.insert(part, v);
    }
    p.record_id = path_text(entity, &["电子文件号"], m);
    for f in ["题名", "文件编号", "责任者", "日期", "文种", "密级"] {
        let v = path_text(entity, &["内容描述", f], m);
        p.fields.insert(f, v);
    }
    p.fields.insert(
        "立档单位名称",
        path_text(entity, &["来源", "立档单位名称"], m),
    );
    p.location = path_text(entity, &["存储位置", "当前位置"], m);
    p.pages = path_text(entity, &["形式特征", "页数"], m);
    if let Some(data) = el(entity, "文件数据") {
        for d in data.children().filter(|c| c.has_tag_name((EEP_NS, "文档"))) {
            let mut meta = DocMeta {
                id: path_text(d, &["文档标识符"], m),
                ..Default::default()
            };
            let coding = ["文档数据", "编码"];
            meta.format = path_text(
                d,
                &[coding[0], coding[1], "电子属性", "格式信息", "格式名称"],
                m,
            );
            meta.file_name = path_text(d, &[coding[0], coding[1], "电子属性", "计算机文件名"], m);
            meta.size = path_text(d, &[coding[0], coding[1], "电子属性", "计算机文件大小"], m);
            if let Some(enc) = el(d, "文档数据").and_then(|x| el(x, "编码")) {
                for digest in enc
                    .children()
                    .filter(|c| c.has_tag_name((EEP_NS, "数字摘要")))
                {
                    let v = digest.text().unwrap_or("").trim().to_string();
                    match digest.attribute("算法") {
                        Some("SM3") => meta.sm3 = v,
                        Some("SHA-256") => meta.sha256 = v,
                        _ => {}
                    }
                }
            }
            if meta.sm3.is_empty() || meta.sha256.is_empty() {
                m.push(format!("文档 {} 的数字摘要 (SM3, SHA-256)", meta.id));
            }
            p.docs.push(meta);
        }
    } else {
        m.push("文件数据".into());
    }
    let content = el(signed, "封装内容");
    if let Some(b) = content.and_then(|c| el(c, "业务实体块")) {
        for e in b
            .children()
            .filter(|c| c.has_tag_name((EEP_NS, "业务实体")))
        {
            let mut ignore = Vec::new();
            p.business.push(path_text(e, &["业务状态"], &mut ignore));
        }
    } else {
        m.push("业务实体块".into());
    }
    if let Some(b) = content.and_then(|c| el(c, "机构人员实体块")) {
        p.people = b
            .children()
            .filter(|c| c.has_tag_name((EEP_NS, "机构人员实体")))
            .count();
    } else {
        m.push("机构人员实体块".into());
    }
    match el(root, "电子签名块").and_then(|b| el(b, "电子签名")) {
        Some(s) => {
            p.signature = path_text(s, &["签名结果"], m);
            p.public_key = path_text(s, &["证书块", "证书引用"], m);
        }
        None => m.push("电子签名块/电子签名".into()),
    }
    Ok(p)
}

/// Facts about one PDF.
struct PdfFacts {
    pages: Result<usize, String>,
    unembedded: Vec<String>,
    encrypted: bool,
    active: Vec<&'static str>,
    /// Declares PDF/A-2b: `pdfaid:part` 2 and `pdfaid:conformance` B in its XMP, and an
    /// output intent. A declaration, read; not a validation of every rule.
    declares_pdf_a2b: bool,
}

/// Whether the catalogue's XMP says PDF/A-2b and an output intent is there.
fn declares_pdf_a2b(doc: &lopdf::Document) -> bool {
    let Ok(catalog) = doc.catalog() else {
        return false;
    };
    if catalog.get(b"OutputIntents").is_err() {
        return false;
    }
    let xmp = catalog
        .get(b"Metadata")
        .and_then(lopdf::Object::as_reference)
        .and_then(|r| doc.get_object(r))
        .and_then(lopdf::Object::as_stream)
        .map(|s| {
            s.decompressed_content()
                .unwrap_or_else(|_| s.content.clone())
        });
    let Ok(xmp) = xmp else { return false };
    let xmp = String::from_utf8_lossy(&xmp);
    // Written as elements or as attributes, both RDF.
    let says = |name: &str, value: &str| {
        xmp.contains(&format!("<pdfaid:{name}>{value}</pdfaid:{name}>"))
            || xmp.contains(&format!("pdfaid:{name}=\"{value}\""))
    };
    says("part", "2") && says("conformance", "B")
}

fn pdf_facts(bytes: &[u8]) -> PdfFacts {
    let raw_encrypt = bytes.windows(8).any(|w| w == b"/Encrypt");
    match lopdf::Document::load_mem(bytes) {
        Ok(doc) => {
            let mut active = Vec::new();
            let mut note = |what: &'static str| {
                if !active.contains(&what) {
                    active.push(what);
                }
            };
            for obj in doc.objects.values() {
                let dict = match obj {
                    lopdf::Object::Dictionary(d) => d,
                    lopdf::Object::Stream(s) => &s.dict,
                    _ => continue,
                };
                for (key, value) in dict.iter() {
                    match key.as_slice() {
                        b"JS" | b"JavaScript" => note("JavaScript"),
                        b"EmbeddedFiles" | b"EmbeddedFile" => note("嵌入文件"),
                        b"RichMedia" => note("富媒体"),
                        b"S" => match value.as_name() {
                            Ok(b"JavaScript") => note("JavaScript"),
                            Ok(b"Launch") => note("启动外部程序（Launch）"),
                            _ => {}
                        },
                        b"Type" if value.as_name().ok() == Some(b"EmbeddedFile".as_slice()) => {
                            note("嵌入文件")
                        }
                        _ => {}
                    }
                }
            }
            PdfFacts {
                pages: Ok(doc.get_pages().len()),
                unembedded: gongwen_pdfcheck::inspect::unembedded_fonts(&doc),
                encrypted: doc.is_encrypted() || raw_encrypt,
                active,
                declares_pdf_a2b: declares_pdf_a2b(&doc),
            }
        }
        Err(e) => PdfFacts {
            pages: Err(e.to_string()),
            unembedded: Vec::new(),
            encrypted: raw_encrypt,
            active: Vec::new(),
            declares_pdf_a2b: false,
        },
    }
}

fn special_chars(s: &str) -> bool {
    s.chars().any(|c| c.is_control() || c == '\u{FFFD}')
}

fn bad_file_name(s: &str) -> bool {
    s.is_empty()
        || special_chars(s)
        || s.contains("..")
        || s.chars()
            .any(|c| matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|'))
}

/// Lists the 件 folders: 电子档案/<年度>/<期限>/<档号>/.
fn item_dirs(records: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let sub = |p: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(p)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    for year in sub(records) {
        for period in sub(&year) {
            out.extend(sub(&period));
        }
    }
    out
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                all_files(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

/// What one 件 gives the batch-level checks (duplicates, continuity, counts, store).
struct Found {
    subject: String,
    folder: String,
    code_text: String,
    record_id: String,
    class: Option<(String, u32)>,
    package_sm3: String,
}

/// Every per-件 item of one 件 folder; `None` when its package cannot be read.
fn check_item(
    dir: &Path,
    item_dir: &Path,
    prefix: &'static str,
    trusted_key: Option<&str>,
    infected: &HashMap<PathBuf, String>,
    scanned: bool,
) -> (Vec<ItemResult>, Option<Found>) {
    let mut run = Run {
        prefix,
        results: Vec::new(),
    };
    let folder = item_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    let package_path = item_dir.join(format!("{folder}.xml"));
    let subject = folder.clone();
    let bytes = match std::fs::read(&package_path) {
        Ok(b) => b,
        Err(e) => {
            run.push(
                &subject,
                3,
                1,
                "封装包可读（XML）",
                Status::Fail,
                format!("缺少封装包 {folder}.xml（{e}）"),
                format!("no package {folder}.xml: {e}"),
            );
            return (run.results, None);
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let pkg = match read_package(&text) {
        Ok(p) => p,
        Err(e) => {
            run.push(
                &subject,
                3,
                1,
                "封装包可读（XML）",
                Status::Fail,
                format!("封装包无法解析：{e}"),
                format!("the package does not parse: {e}"),
            );
            return (run.results, None);
        }
    };
    run.push(
        &subject,
        3,
        1,
        "封装包可读（XML）",
        Status::Pass,
        String::new(),
        String::new(),
    );
    let subject = if pkg.code_text.is_empty() {
        folder.clone()
    } else {
        pkg.code_text.clone()
    };
    let mut found = Found {
        subject: subject.clone(),
        folder: folder.clone(),
        code_text: pkg.code_text.clone(),
        record_id: pkg.record_id.clone(),
        class: None,
        package_sm3: FileDigests::of_bytes(&bytes).sm3,
    };

    // 2-3: the DA/T 46/48 elements we write are all there.
    run.verdict(
        &subject,
        2,
        3,
        "元数据项齐全",
        pkg.missing
            .iter()
            .map(|m| (format!("缺少元素 {m}"), format!("element {m} is missing")))
            .collect(),
    );
    // 2-4: required values.
    let mut empty = Vec::new();
    for f in ["题名", "责任者", "日期", "密级"] {
        if pkg.fields.get(f).is_none_or(|v| v.is_empty()) {
            empty.push((
                format!("必填著录项“{f}”为空"),
                format!("required field {f} is empty"),
            ));
        }
    }
    for f in ["全宗号", "年度", "保管期限", "件号"] {
        if pkg.parts.get(f).is_none_or(|v| v.is_empty()) {
            empty.push((
                format!("必填著录项“{f}”为空"),
                format!("required field {f} is empty"),
            ));
        }
    }
    if pkg.code_text.is_empty() {
        empty.push((
            "必填著录项“档号”为空".into(),
            "the archival code is empty".into(),
        ));
    }
    run.verdict(&subject, 2, 4, "必填著录项", empty);

    // 1-7: 档号 format and agreement with its parts and its folder.
    let mut code_problems = Vec::new();
    let parsed: Option<ArchivalCode> = match pkg.code_text.parse::<ArchivalCode>() {
        Ok(c) => Some(c),
        Err(e) => {
            code_problems.push((
                format!("档号“{}”不符合规则：{e}", pkg.code_text),
                format!("archival code {:?}: {e}", pkg.code_text),
            ));
            None
        }
    };
    if let Some(c) = &parsed {
        let expect = [
            ("全宗号", c.fonds_code.clone()),
            ("档案门类代码", c.category_code.clone()),
            ("年度", c.year.to_string()),
            ("保管期限", c.retention.code().to_string()),
            ("机构或问题", c.org_code.clone().unwrap_or_default()),
            ("件号", format!("{:04}", c.item_number)),
        ];
        for (part, want) in expect {
            let have = pkg.parts.get(part).cloned().unwrap_or_default();
            if have != want {
                code_problems.push((
                    format!("档号中的{part}为“{want}”，元数据为“{have}”"),
                    format!("{part} is {want:?} in the code but {have:?} in the metadata"),
                ));
            }
        }
        if folder != c.to_string() {
            code_problems.push((
                format!("文件夹名“{folder}”与档号不一致"),
                format!("folder {folder:?} differs from the code"),
            ));
        }
        let period_dir = item_dir
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("");
        let year_dir = item_dir
            .parent()
            .and_then(|p| p.parent())
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("");
        if period_dir != c.retention.code() || year_dir != c.year.to_string() {
            code_problems.push((
                format!("存放位置 {year_dir}/{period_dir} 与档号的年度、保管期限不一致"),
                format!("stored under {year_dir}/{period_dir}, not its year/retention"),
            ));
        }
        found.class = Some((c.class_key(), c.item_number));
    }
    run.verdict(&subject, 1, 7, "档号规范性", code_problems);

    // 1-4: value ranges.
    let mut ranges = Vec::new();
    let year: Option<u16> = pkg.parts.get("年度").and_then(|y| y.parse().ok());
    if let (Some(p), Some(y)) = (pkg.parts.get("保管期限"), year) {
        if RetentionPeriod::from_legacy_code(p, y).is_err() {
            ranges.push((
                format!(
                    "保管期限“{p}”不在值域内（{y}年：{}）",
                    if y < 2006 { "Y/C/D" } else { "Y/D30/D10" }
                ),
                format!("retention {p:?} is out of range for {y}"),
            ));
        }
    }
    let classification = pkg.fields.get("密级").cloned().unwrap_or_default();
    if !["非密", "秘密", "机密", "绝密"].contains(&classification.as_str()) {
        ranges.push((
            format!("密级“{classification}”不在值域内（非密、秘密、机密、绝密）"),
            format!("classification {classification:?} is out of range"),
        ));
    }
    let date = pkg.fields.get("日期").cloned().unwrap_or_default();
    let date_ok = date.len() == 8
        && chrono::NaiveDate::parse_from_str(&date, "%Y%m%d").is_ok()
        && year.is_some_and(|y| date.starts_with(&y.to_string()));
    if !date_ok {
        ranges.push((
            format!("日期“{date}”不是所属年度内的8位日期（YYYYMMDD）"),
            format!("date {date:?} is not an 8-digit date in the year"),
        ));
    }
    if pkg.pages.parse::<u32>().map_or(true, |n| n == 0) {
        ranges.push((
            format!("页数“{}”不是正整数", pkg.pages),
            format!("page count {:?} is not a positive number", pkg.pages),
        ));
    }
    for d in &pkg.docs {
        if d.size.parse::<u64>().is_err() {
            ranges.push((
                format!("{} 的计算机文件大小“{}”不是数字", d.id, d.size),
                format!("{}: size {:?} is not a number", d.id, d.size),
            ));
        }
    }
    run.verdict(&subject, 1, 4, "元数据值域", ranges);

    // 1-6: special characters.
    let mut specials = Vec::new();
    for (f, v) in &pkg.fields {
        if special_chars(v) {
            specials.push((
                format!("“{f}”含控制字符或替换字符"),
                format!("{f} holds control or replacement characters"),
            ));
        }
    }
    for d in &pkg.docs {
        if bad_file_name(&d.file_name) {
            specials.push((
                format!("计算机文件名“{}”含不允许的字符", d.file_name),
                format!("file name {:?} holds characters not allowed", d.file_name),
            ));
        }
    }
    run.verdict(&subject, 1, 6, "特殊字符", specials);

    // 1-10: recorded location = actual location.
    let actual = item_dir
        .strip_prefix(dir)
        .map(|p| format!("{}/", p.to_string_lossy()))
        .unwrap_or_default();
    let loc = if pkg.location == actual {
        vec![]
    } else {
        vec![(
            format!("存储位置记为“{}”，实际为“{actual}”", pkg.location),
            format!("location recorded {:?}, actual {actual:?}", pkg.location),
        )]
    };
    run.verdict(&subject, 1, 10, "元数据与内容关联（存储位置）", loc);

    // 1-1: signature over the signed span, then each file's digests.
    let mut fixity = Vec::new();
    {
        use base64::Engine as _;
        match (
            signed_span(&bytes),
            base64::engine::general_purpose::STANDARD.decode(pkg.signature.as_bytes()),
        ) {
            (Some(span), Ok(sig)) => {
                if let Err(e) = crate::keys::verify(&pkg.public_key, span, &sig) {
                    fixity.push((
                        format!("电子签名验证失败：{}", zh_sig(&e)),
                        format!("the signature does not verify: {e}"),
                    ));
                }
            }
            (None, _) => fixity.push(("找不到被签名对象".into(), "no signed object".into())),
            (_, Err(_)) => fixity.push((
                "签名结果不是有效的 Base64".into(),
                "the signature is not base64".into(),
            )),
        }
        if let Some(trusted) = trusted_key {
            if !trusted.eq_ignore_ascii_case(pkg.public_key.trim()) {
                fixity.push((
                    "签名公钥不是本单位的签名公钥".into(),
                    "the package was signed with a key other than the unit's".into(),
                ));
            }
        }
    }
    let mut listed: HashSet<String> = HashSet::new();
    let mut components = Vec::new();
    let mut attrs = Vec::new();
    let mut usable = Vec::new();
    let mut pdfa = Vec::new();
    let mut sealed = Vec::new();
    let mut active = Vec::new();
    let mut viruses = Vec::new();
    for d in &pkg.docs {
        listed.insert(d.file_name.clone());
        if bad_file_name(&d.file_name) {
            continue;
        }
        let path = item_dir.join(&d.file_name);
        let Ok(data) = std::fs::read(&path) else {
            components.push((
                format!("组件“{}”的文件 {} 缺失", d.id, d.file_name),
                format!("component {} ({}) is missing", d.id, d.file_name),
            ));
            continue;
        };
        let got = FileDigests::of_bytes(&data);
        if !got.sm3.eq_ignore_ascii_case(&d.sm3) {
            fixity.push((
                format!("{} 的 SM3 摘要与元数据不符", d.file_name),
                format!("{}: SM3 digest differs", d.file_name),
            ));
        }
        if !got.sha256.eq_ignore_ascii_case(&d.sha256) {
            fixity.push((
                format!("{} 的 SHA-256 摘要与元数据不符", d.file_name),
                format!("{}: SHA-256 digest differs", d.file_name),
            ));
        }
        if d.size != got.size.to_string() {
            attrs.push((
                format!(
                    "{} 的大小为 {} 字节，元数据记为 {}",
                    d.file_name, got.size, d.size
                ),
                format!(
                    "{}: {} bytes, metadata says {}",
                    d.file_name, got.size, d.size
                ),
            ));
        }
        let format = sniff(&data, &d.file_name);
        if format.name != d.format {
            attrs.push((
                format!(
                    "{} 实际格式为 {}，元数据记为 {}",
                    d.file_name, format.name, d.format
                ),
                format!(
                    "{}: format is {}, metadata says {}",
                    d.file_name, format.name, d.format
                ),
            ));
        }
        if !ALLOWED_FORMATS.contains(&format.name) {
            usable.push((
                format!("{} 的格式 {} 不在归档格式清单内", d.file_name, format.name),
                format!(
                    "{}: format {} is not an archival format",
                    d.file_name, format.name
                ),
            ));
        }
        if data.starts_with(b"MZ") || data.starts_with(b"\x7fELF") || data.starts_with(b"#!") {
            active.push((
                format!("{} 是可执行文件", d.file_name),
                format!("{} is an executable", d.file_name),
            ));
        }
        if data.starts_with(b"PK") && format.name != "OFD"
            || data.starts_with(b"Rar!")
            || data.starts_with(b"7z\xBC\xAF")
        {
            sealed.push((
                format!("{} 是压缩包", d.file_name),
                format!("{} is a compressed archive", d.file_name),
            ));
        }
        if format.name == "PDF" {
            let facts = pdf_facts(&data);
            if facts.encrypted {
                sealed.push((
                    format!("{} 已加密", d.file_name),
                    format!("{} is encrypted", d.file_name),
                ));
            }
            match &facts.pages {
                Ok(0) => usable.push((
                    format!("{} 没有页面", d.file_name),
                    format!("{} has no page", d.file_name),
                )),
                Ok(_) => {}
                Err(e) if !facts.encrypted => usable.push((
                    format!("{} 无法打开：{e}", d.file_name),
                    format!("{} does not open: {e}", d.file_name),
                )),
                Err(_) => {}
            }
            if !facts.unembedded.is_empty() {
                usable.push((
                    format!(
                        "{} 的字体未嵌入：{}",
                        d.file_name,
                        facts.unembedded.join("、")
                    ),
                    format!(
                        "{}: fonts not embedded: {}",
                        d.file_name,
                        facts.unembedded.join(", ")
                    ),
                ));
            }
            let typeset = matches!(d.file_name.as_str(), "正本.pdf" | "定稿.pdf");
            pdfa.push((d.file_name.clone(), typeset, facts.declares_pdf_a2b));
            for what in facts.active {
                active.push((
                    format!("{} 含{what}", d.file_name),
                    format!("{} contains {what}", d.file_name),
                ));
            }
        }
    }
    run.verdict(
        &subject,
        1,
        1,
        "固化信息有效性（数字摘要、电子签名）",
        fixity,
    );
    run.verdict(
        &subject,
        1,
        9,
        "电子属性一致性（文件名、大小、格式）",
        attrs,
    );

    // 2-7: every component there: 正本, 办理单, 定稿 for a 发文.
    let ids: HashSet<&str> = pkg.docs.iter().map(|d| d.id.as_str()).collect();
    let outgoing = pkg.business.iter().any(|b| b == "发文办理");
    for (need, when) in [("正本", true), ("办理单", true), ("定稿", outgoing)] {
        if when && !ids.contains(need) {
            components.push((
                format!("缺少组件“{need}”"),
                format!("component {need} is missing"),
            ));
        }
    }
    run.verdict(&subject, 2, 7, "内容完整性（组件齐全）", components);

    // 2-11: files in the folder = files in the metadata.
    let mut counted = Vec::new();
    let mut present: Vec<String> = std::fs::read_dir(item_dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().to_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    present.retain(|n| *n != format!("{folder}.xml"));
    present.sort();
    for n in &present {
        if !listed.contains(n) {
            counted.push((
                format!("文件 {n} 未在元数据中登记"),
                format!("file {n} is not in the metadata"),
            ));
        }
    }
    run.verdict(&subject, 2, 11, "文件数量与元数据一致", counted);
    // 4-2 over every file in the folder, listed or not.
    let package_name = format!("{folder}.xml");
    for n in present.iter().chain(std::iter::once(&package_name)) {
        let found = item_dir.join(n).canonicalize().ok();
        if let Some(sig) = found.and_then(|p| infected.get(&p)) {
            viruses.push((
                format!("{n} 感染病毒：{sig}"),
                format!("{n} is infected: {sig}"),
            ));
        }
    }

    // 2-5: process history.
    let steps = pkg.business.iter().filter(|b| b.ends_with("办理")).count();
    let process = if steps == 0 || pkg.people == 0 {
        vec![(
            "没有办理过程信息（业务实体、机构人员实体）".to_string(),
            "no process history (business and agent entities)".to_string(),
        )]
    } else {
        vec![]
    };
    run.verdict(&subject, 2, 5, "过程信息完整性", process);

    run.verdict(&subject, 3, 3, "内容可读及归档格式（含字体嵌入）", usable);
    if pdfa.is_empty() {
        run.push(
            &subject,
            3,
            4,
            "PDF/A 符合性",
            Status::Pass,
            "无 PDF 文件".into(),
            "no PDF".into(),
        );
    } else {
        // The 正本 and 定稿 are written as PDF/A-2b (krilla checks its rules as it
        // writes); one that does not even declare it is a failure. Whether a file keeps
        // every rule is for an independent validator, which this check does not run.
        let names = |pick: &dyn Fn(&(String, bool, bool)) -> bool| -> Vec<String> {
            pdfa.iter()
                .filter(|p| pick(p))
                .map(|p| p.0.clone())
                .collect()
        };
        let not_declared = names(&|p| p.1 && !p.2);
        let declared = names(&|p| p.2);
        let others = names(&|p| !p.1 && !p.2);
        if !not_declared.is_empty() {
            run.push(
                &subject,
                3,
                4,
                "PDF/A 符合性",
                Status::Fail,
                format!("{} 未声明 PDF/A-2b", not_declared.join("、")),
                format!("{} do(es) not declare PDF/A-2b", not_declared.join(", ")),
            );
        } else {
            let mut zh = format!(
                "未经独立验证器验证：{} 声明为 PDF/A-2b（写出时已按其规则校验）",
                declared.join("、")
            );
            let mut en = format!("not validated independently: {} declare(s) PDF/A-2b (checked against its rules when written)", declared.join(", "));
            if !others.is_empty() {
                zh.push_str(&format!("；{} 保持原格式", others.join("、")));
                en.push_str(&format!("; {} kept as they are", others.join(", ")));
            }
            run.push(&subject, 3, 4, "PDF/A 符合性", Status::NotChecked, zh, en);
        }
    }
    run.verdict(&subject, 3, 8, "无加密、无非公开压缩", sealed);
    run.verdict(&subject, 4, 3, "无脚本、嵌入文件及可执行内容", active);
    if scanned {
        run.verdict(&subject, 4, 2, "病毒检测", viruses);
    } else {
        run.push(
            &subject,
            4,
            2,
            "病毒检测",
            Status::NotChecked,
            "未扫描：杀毒软件不可用或未能扫描（见批次的 4-1 项）".into(),
            "not scanned: no scanner, or it could not scan (see the batch's 4-1 item)".into(),
        );
    }
    (run.results, Some(found))
}

/// Runs every check over the batch in `dir`.
pub fn check_batch(dir: &Path, opts: &CheckOptions<'_>) -> Result<CheckReport, ArchiveError> {
    let mut run = Run {
        prefix: opts.stage.prefix(),
        results: Vec::new(),
    };
    let records = dir.join(RECORDS_DIR);

    // The carrier's layout.
    let mut layout = Vec::new();
    for (name, is_dir) in [
        (README_TXT, false),
        (CATALOGUE_XML, false),
        (RECORDS_DIR, true),
        (OTHER_DIR, true),
    ] {
        let p = dir.join(name);
        if (is_dir && !p.is_dir()) || (!is_dir && !p.is_file()) {
            layout.push((
                format!("载体缺少 {name}"),
                format!("the carrier has no {name}"),
            ));
        }
    }
    run.verdict(
        BATCH,
        2,
        10,
        "载体组织结构（说明文件、文件目录、电子档案、其他）",
        layout,
    );

    // Virus scan first, over the whole 电子档案 folder.
    let scan = opts.scanner.map(|s| s.scan(&records));
    let mut infected: HashMap<PathBuf, String> = HashMap::new();
    let scanner_name = match (&scan, opts.scanner) {
        (
            Some(ScanOutcome::Scanned {
                scanner,
                infected: found,
            }),
            _,
        ) => {
            run.push(
                BATCH,
                4,
                1,
                "杀毒软件",
                Status::Pass,
                format!("使用 {scanner}"),
                format!("scanned with {scanner}"),
            );
            for (p, sig) in found {
                let p = p.canonicalize().unwrap_or_else(|_| p.clone());
                infected.insert(p, sig.clone());
            }
            Some(scanner.clone())
        }
        (Some(ScanOutcome::NotScanned { reason }), Some(s)) => {
            run.push(
                BATCH,
                4,
                1,
                "杀毒软件",
                Status::NotChecked,
                format!("未扫描：杀毒软件 {} 未能扫描（{reason}）", s.name()),
                format!("not scanned: {reason}"),
            );
            None
        }
        _ => {
            run.push(
                BATCH,
                4,
                1,
                "杀毒软件",
                Status::NotChecked,
                "未扫描：本机未安装可用的杀毒软件（如 ClamAV），病毒检测未进行".into(),
                "not scanned: no virus scanner is installed".into(),
            );
            None
        }
    };
    let scanned = scanner_name.is_some();

    let mut seen_codes: HashMap<String, Vec<String>> = HashMap::new();
    let mut seen_ids: HashMap<String, Vec<String>> = HashMap::new();
    let mut numbers: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut found_codes = Vec::new();
    let mut packages_sm3: HashMap<String, (String, String)> = HashMap::new();
    let dirs = item_dirs(&records);
    // Each 件 on its own, spread over the cores (the work is reading, hashing and
    // parsing, independent per 件); results keep the folders' order.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = dirs.len().div_ceil(threads).max(1);
    let trusted = opts.trusted_key.as_deref();
    let outcomes: Vec<(Vec<ItemResult>, Option<Found>)> = std::thread::scope(|s| {
        let handles: Vec<_> = dirs
            .chunks(chunk)
            .map(|part| {
                let infected = &infected;
                let prefix = run.prefix;
                s.spawn(move || {
                    part.iter()
                        .map(|d| check_item(dir, d, prefix, trusted, infected, scanned))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a check thread panicked"))
            .collect()
    });
    for (results, found) in outcomes {
        run.results.extend(results);
        let Some(f) = found else { continue };
        found_codes.push(f.subject.clone());
        seen_codes.entry(f.code_text).or_default().push(f.folder);
        seen_ids
            .entry(f.record_id.clone())
            .or_default()
            .push(f.subject.clone());
        if let Some((class, n)) = f.class {
            numbers.entry(class).or_default().push(n);
        }
        packages_sm3.insert(f.record_id, (f.subject, f.package_sm3));
    }

    // 1-8: duplicates across the batch (and with the store).
    let mut dups = Vec::new();
    for (code, folders) in &seen_codes {
        if folders.len() > 1 && !code.is_empty() {
            dups.push((
                format!("档号 {code} 重复（{}）", folders.join("、")),
                format!("archival code {code} appears {} times", folders.len()),
            ));
        }
    }
    for (id, codes) in &seen_ids {
        if codes.len() > 1 && !id.is_empty() {
            dups.push((
                format!("电子文件号 {id} 重复（{}）", codes.join("、")),
                format!("record id {id} appears {} times", codes.len()),
            ));
        }
    }
    dups.sort();
    run.verdict(BATCH, 1, 8, "重复性（档号、电子文件号）", dups);

    // 2-6: 件号 continuous per class (with the store: from 1, counting earlier batches).
    let mut gaps = Vec::new();
    for (class, nums) in &mut numbers {
        nums.sort_unstable();
        nums.dedup();
        let before: Vec<u32> = match opts.store {
            Some(s) => s
                .filings(None)?
                .into_iter()
                .filter(|f| f.archival_code.class_key() == *class)
                .map(|f| f.archival_code.item_number)
                .collect(),
            None => Vec::new(),
        };
        let mut all: Vec<u32> = before.iter().chain(nums.iter()).copied().collect();
        all.sort_unstable();
        all.dedup();
        let start = if opts.store.is_some() {
            1
        } else {
            all.first().copied().unwrap_or(1)
        };
        let mut expect = start;
        let mut missing = Vec::new();
        for n in &all {
            while expect < *n {
                missing.push(format!("{expect:04}"));
                expect += 1;
            }
            expect = n + 1;
        }
        if !missing.is_empty() {
            gaps.push((
                format!("{class} 的件号不连续，缺 {}", missing.join("、")),
                format!("{class}: item numbers missing {}", missing.join(", ")),
            ));
        }
    }
    run.verdict(BATCH, 2, 6, "连续性（件号）", gaps);

    // 2-1, 2-2: counts and bytes against 文件目录.XML.
    let mut files = Vec::new();
    all_files(&records, &mut files);
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let (mut count_problems, mut byte_problems) = (Vec::new(), Vec::new());
    match std::fs::read_to_string(dir.join(CATALOGUE_XML)) {
        Ok(text) => match roxmltree::Document::parse(&text) {
            Ok(cat) => {
                let root = cat.root_element();
                let listed: Vec<String> = root
                    .children()
                    .filter(|c| c.has_tag_name("文件"))
                    .filter_map(|f| {
                        el(f, "档号")
                            .and_then(|n| n.text())
                            .map(|t| t.trim().to_string())
                    })
                    .collect();
                let total: Option<usize> = root.attribute("总件数").and_then(|v| v.parse().ok());
                if total != Some(dirs.len()) || listed.len() != dirs.len() {
                    count_problems.push((
                        format!(
                            "文件目录记 {} 件（列出 {} 条），实有 {} 件",
                            total.map_or("?".into(), |t| t.to_string()),
                            listed.len(),
                            dirs.len()
                        ),
                        format!(
                            "the catalogue says {total:?} items ({} listed), {} found",
                            listed.len(),
                            dirs.len()
                        ),
                    ));
                }
                // Sets: a batch of 10,000 件 would otherwise compare 10⁸ pairs.
                let found_set: HashSet<&String> = found_codes.iter().collect();
                let listed_set: HashSet<&String> = listed.iter().collect();
                for code in &listed {
                    if !found_set.contains(code) {
                        count_problems.push((
                            format!("文件目录中的 {code} 没有对应的封装包"),
                            format!("{code} is in the catalogue but has no package"),
                        ));
                    }
                }
                for code in &found_codes {
                    if !listed_set.contains(code) {
                        count_problems.push((
                            format!("{code} 未列入文件目录"),
                            format!("{code} is not in the catalogue"),
                        ));
                    }
                }
                let total_bytes: Option<u64> =
                    root.attribute("总字节数").and_then(|v| v.parse().ok());
                if total_bytes != Some(bytes) {
                    byte_problems.push((
                        format!(
                            "文件目录记 {} 字节，实有 {bytes} 字节",
                            total_bytes.map_or("?".into(), |t| t.to_string())
                        ),
                        format!("the catalogue says {total_bytes:?} bytes, {bytes} found"),
                    ));
                }
            }
            Err(e) => count_problems.push((
                format!("文件目录无法解析：{e}"),
                format!("the catalogue does not parse: {e}"),
            )),
        },
        Err(e) => count_problems.push((
            format!("无法读取文件目录：{e}"),
            format!("cannot read the catalogue: {e}"),
        )),
    }
    run.verdict(BATCH, 2, 1, "总件数", count_problems);
    run.verdict(BATCH, 2, 2, "总字节数", byte_problems);

    // The store's records, when asked.
    if let Some(store) = opts.store {
        match store.filings(None) {
            Ok(filings) => {
                run.push(
                    BATCH,
                    3,
                    2,
                    "数据库元数据可访问",
                    Status::Pass,
                    format!("数据库中有 {} 条归档记录", filings.len()),
                    format!("{} filing records", filings.len()),
                );
                let mut mismatch = Vec::new();
                let by_id: HashMap<String, &gongwen_store::FilingRecord> = filings
                    .iter()
                    .map(|f| (f.document_id.to_string(), f))
                    .collect();
                for (id, (subject, sm3)) in &packages_sm3 {
                    match by_id.get(id) {
                        None => mismatch.push((
                            format!("{subject} 在数据库中没有归档记录"),
                            format!("{subject} has no filing record in the store"),
                        )),
                        Some(f) => {
                            if f.archival_code.to_string() != *subject {
                                mismatch.push((
                                    format!("{subject} 在数据库中的档号为 {}", f.archival_code),
                                    format!(
                                        "{subject} is filed as {} in the store",
                                        f.archival_code
                                    ),
                                ));
                            }
                            if !f.package_sm3.eq_ignore_ascii_case(sm3) {
                                mismatch.push((format!("{subject} 的封装包与归档时记录的摘要不符（封装包被替换或修改）"), format!("{subject}: the package differs from the one recorded at filing")));
                            }
                        }
                    }
                }
                mismatch.sort();
                run.verdict(BATCH, 1, 12, "数据库记录与归档信息包一致", mismatch);
            }
            Err(e) => run.push(
                BATCH,
                3,
                2,
                "数据库元数据可访问",
                Status::Fail,
                format!("数据库无法读取：{}", e.message_zh()),
                e.to_string(),
            ),
        }
    }

    Ok(CheckReport {
        stage: opts.stage,
        dir: dir.display().to_string(),
        checked_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        items_checked: dirs.len(),
        scanner: scanner_name,
        results: run.results,
    })
}

fn zh_sig(e: &str) -> &'static str {
    if e.contains("does not match") {
        "签名与被签名数据及公钥不符（封装包被修改或签名被伪造）"
    } else if e.contains("public key") {
        "签名公钥无效"
    } else {
        "签名格式无效"
    }
}
