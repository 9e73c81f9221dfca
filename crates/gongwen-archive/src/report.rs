//! What a batch carries besides the packages (说明文件.TXT, 文件目录.XML, 其他/ with the
//! 归档文件目录 XLSX and the unit's public key), and the 四性检测 report as HTML.

use std::path::Path;

use crate::check::{CheckReport, Status};
use crate::eep::{esc, Xml};
use crate::file::{
    CATALOGUE_PDF, CATALOGUE_XLSX, CATALOGUE_XML, OTHER_DIR, PUBLIC_KEY_TXT, README_TXT,
    RECORDS_DIR, SYSTEM,
};
use crate::{ArchiveConfig, ArchiveError};

/// A line of the 归档文件目录 (DA/T 22-2015 columns, plus where the 件 is and its size).
#[derive(Debug, Clone)]
pub struct CatalogueRow {
    pub archival_code: String,
    pub doc_number: String,
    pub responsible: String,
    pub title: String,
    pub date: String,
    pub classification: String,
    pub pages: usize,
    pub note: String,
    /// The 件's folder, relative to the batch.
    pub path: String,
    pub bytes: u64,
}

pub(crate) fn write_carrier(
    out: &Path,
    config: &ArchiveConfig,
    year: u16,
    rows: &[CatalogueRow],
    total_bytes: u64,
    opts: &crate::file::FileOptions<'_>,
    at: &str,
) -> Result<(), ArchiveError> {
    let (public_hex, fonts) = (opts.key.public_hex(), opts.fonts);
    // 文件目录.XML: the catalogue the checks count against (总件数, 总字节数).
    let mut x = Xml::new(0);
    x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let count = rows.len().to_string();
    let bytes = total_bytes.to_string();
    let year_text = year.to_string();
    x.open_attrs(
        "文件目录",
        &[
            ("全宗号", &config.fonds_code),
            ("立档单位名称", &config.unit_name),
            ("年度", &year_text),
            ("总件数", &count),
            ("总字节数", &bytes),
        ],
    );
    for (i, r) in rows.iter().enumerate() {
        x.open("文件");
        x.leaf("顺序号", &(i + 1).to_string());
        x.leaf("档号", &r.archival_code);
        x.leaf("文号", &r.doc_number);
        x.leaf("责任者", &r.responsible);
        x.leaf("题名", &r.title);
        x.leaf("日期", &r.date);
        x.leaf("密级", &r.classification);
        x.leaf("页数", &r.pages.to_string());
        x.leaf("电子档案名称", &r.path);
        x.leaf("备注", &r.note);
        x.close("文件");
    }
    x.close("文件目录");
    crate::write(&out.join(CATALOGUE_XML), x.out.as_bytes())?;

    let readme = format!(
        "说明文件\r\n\
         立档单位：{unit}\r\n\
         全宗号：{fonds}\r\n\
         档案门类：文书（{category}）\r\n\
         年度：{year}\r\n\
         总件数：{count}\r\n\
         总字节数：{bytes}（{records}/ 下全部文件）\r\n\
         接收单位：{archive}\r\n\
         生成时间：{at}\r\n\
         生成系统：{SYSTEM}\r\n\
         组织方式：{records}/年度/保管期限/档号/，每件一个 DA/T 48-2009 原始型封装包（档号.xml）及其文件；\r\n\
         文件目录：{CATALOGUE_XML}（UTF-8）；归档文件目录：{OTHER_DIR}/{CATALOGUE_XLSX}、{OTHER_DIR}/{CATALOGUE_PDF}；\r\n\
         签名验证：SM2（SM3），单位签名公钥见 {OTHER_DIR}/{PUBLIC_KEY_TXT}。\r\n\
         读取所需软件：任一 XML 阅读器与 PDF 阅读器；无加密，无非公开压缩。\r\n",
        unit = config.unit_name,
        fonds = config.fonds_code,
        category = config.category_code,
        archive = config.archive_name,
        records = RECORDS_DIR,
    );
    crate::write(&out.join(README_TXT), readme.as_bytes())?;
    let other = out.join(OTHER_DIR);
    crate::write(
        &other.join(PUBLIC_KEY_TXT),
        format!("{public_hex}\n").as_bytes(),
    )?;
    crate::write(
        &other.join("说明.txt"),
        "元数据方案：DA/T 46-2009（所持元素）；封装规范：DA/T 48-2009，原始型；\r\n\
         档号规则：全宗号-门类代码·年度-保管期限-机构（问题）代码-件号（DA/T 22-2015）；\r\n\
         文件命名：正本.pdf、定稿.pdf、附件NN-名称、办理单.pdf、修改痕迹.json；\r\n\
         移交与接收登记表：移交时生成。\r\n"
            .as_bytes(),
    )?;
    write_xlsx(&other.join(CATALOGUE_XLSX), config, year, rows)?;
    write_catalogue_pdf(&other.join(CATALOGUE_PDF), config, year, rows, fonts)
}

/// The 归档文件目录 to print and sign (DA/T 22-2015 附录): the same lines as the XLSX on
/// landscape A4, the header row on every page.
fn write_catalogue_pdf(
    path: &Path,
    config: &ArchiveConfig,
    year: u16,
    rows: &[CatalogueRow],
    fonts: &gongwen_typeset::FontSet,
) -> Result<(), ArchiveError> {
    use gongwen_typeset::Column;
    // Widths (mm, 257 in all) that keep a 档号, a 文号 and a unit's full name on one line.
    let columns = [
        ("序号", 10.0),
        ("档号", 48.0),
        ("文号", 36.0),
        ("责任者", 40.0),
        ("题名", 75.0),
        ("日期", 18.0),
        ("密级", 10.0),
        ("页数", 10.0),
        ("备注", 10.0),
    ]
    .map(|(heading, width)| Column { heading, width });
    let lines: Vec<Vec<String>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                (i + 1).to_string(),
                r.archival_code.clone(),
                r.doc_number.clone(),
                r.responsible.clone(),
                r.title.clone(),
                r.date.clone(),
                r.classification.clone(),
                r.pages.to_string(),
                r.note.clone(),
            ]
        })
        .collect();
    let title = format!("归档文件目录（{}　{}年度）", config.unit_name, year);
    let rendered =
        gongwen_typeset::table_pdf(&title, &columns, &lines, fonts).map_err(|source| {
            ArchiveError::Typeset {
                title: title.clone(),
                source,
            }
        })?;
    crate::write(path, &rendered.pdf)
}

fn write_xlsx(
    path: &Path,
    config: &ArchiveConfig,
    year: u16,
    rows: &[CatalogueRow],
) -> Result<(), ArchiveError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| ArchiveError::Xlsx(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("归档文件目录").map_err(err)?;
    let bold = Format::new().set_bold();
    ws.write_string_with_format(
        0,
        0,
        format!("归档文件目录　{}　{}年度", config.unit_name, year),
        &bold,
    )
    .map_err(err)?;
    let headers = [
        "序号",
        "档号",
        "文号",
        "责任者",
        "题名",
        "日期",
        "密级",
        "页数",
        "备注",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &bold)
            .map_err(err)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = (i + 2) as u32;
        ws.write_number(row, 0, (i + 1) as f64).map_err(err)?;
        ws.write_string(row, 1, &r.archival_code).map_err(err)?;
        ws.write_string(row, 2, &r.doc_number).map_err(err)?;
        ws.write_string(row, 3, &r.responsible).map_err(err)?;
        ws.write_string(row, 4, &r.title).map_err(err)?;
        ws.write_string(row, 5, &r.date).map_err(err)?;
        ws.write_string(row, 6, &r.classification).map_err(err)?;
        ws.write_number(row, 7, r.pages as f64).map_err(err)?;
        ws.write_string(row, 8, &r.note).map_err(err)?;
    }
    ws.set_column_width(1, 26).map_err(err)?;
    ws.set_column_width(4, 48).map_err(err)?;
    let _ = std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")));
    wb.save(path).map_err(err)
}

/// The 四性检测 report as a standalone HTML page in Chinese: a summary, every failing
/// or unchecked item explained, then every 件's items.
pub fn html(report: &CheckReport) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">");
    h.push_str("<title>四性检测报告</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #999;padding:4px 8px;text-align:left}.fail{color:#b00;font-weight:bold}.pass{color:#070}.not_checked{color:#a60;font-weight:bold}</style></head><body>\n");
    h.push_str(&format!(
        "<h1>四性检测报告</h1>\n<p>检测环节：{}（{}）；批次：{}；检测时间：{}</p>\n",
        report.stage.label(),
        report.stage.prefix(),
        esc(&report.dir),
        esc(&report.checked_at)
    ));
    h.push_str(&format!(
        "<p>共 {} 件，{} 项检测：<span class=\"pass\">通过 {}</span>，<span class=\"fail\">不通过 {}</span>，<span class=\"not_checked\">未检测/未扫描 {}</span>。结论：<strong>{}</strong></p>\n",
        report.items_checked,
        report.results.len(),
        report.count(Status::Pass),
        report.count(Status::Fail),
        report.count(Status::NotChecked),
        if report.passed() { "通过" } else if report.count(Status::Fail) > 0 { "不通过" } else { "有未检测项，不能视为通过" }
    ));
    let notable: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status != Status::Pass)
        .collect();
    if !notable.is_empty() {
        h.push_str("<h2>需要处理的检测项</h2>\n<table><tr><th>对象</th><th>编号</th><th>检测项</th><th>结果</th><th>说明</th></tr>\n");
        for r in notable {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}（{}）</td><td class=\"{}\">{}</td><td>{}</td></tr>\n",
                esc(&r.subject),
                esc(&r.code),
                esc(&r.item),
                r.property_label(),
                r.status.as_str(),
                r.status.label(),
                esc(&r.detail)
            ));
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h2>全部检测项</h2>\n<table><tr><th>对象</th><th>编号</th><th>检测项</th><th>结果</th><th>说明</th></tr>\n");
    for r in &report.results {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>\n",
            esc(&r.subject),
            esc(&r.code),
            esc(&r.item),
            r.status.as_str(),
            r.status.label(),
            esc(&r.detail)
        ));
    }
    h.push_str("</table>\n</body></html>\n");
    h
}

/// The 移交与接收登记表 (DA/T 22) of a transfer, to print and keep: one row per field
/// (移交单位, 接收单位, 数量 件/字节, 载体, 检测结果, dates, the two persons), then each
/// item of the receiving server's check that did not pass.
pub fn receipt_pdf(
    transfer: &gongwen_core::transfer::Transfer,
    fonts: &gongwen_typeset::FontSet,
) -> Result<Vec<u8>, ArchiveError> {
    let columns = [
        gongwen_typeset::Column {
            heading: "项目",
            width: 50.0,
        },
        gongwen_typeset::Column {
            heading: "内容",
            width: 207.0,
        },
    ];
    let mut rows: Vec<Vec<String>> = transfer
        .receipt_rows()
        .into_iter()
        .map(|(k, v)| vec![k.to_string(), v])
        .collect();
    for f in &transfer.check.findings {
        let status = if f.status == "fail" {
            "不通过"
        } else {
            "未检测"
        };
        rows.push(vec![
            format!("检测项 {}", f.code),
            format!("{}：{}（{status}）{}", f.subject, f.item, f.detail),
        ]);
    }
    let title = "移交与接收登记表";
    gongwen_typeset::table_pdf(title, &columns, &rows, fonts)
        .map(|r| r.pdf)
        .map_err(|source| ArchiveError::Typeset {
            title: title.to_string(),
            source,
        })
}
