#![allow(dead_code)]

use gongwen_core::{Body, DocKind, Document};

/// A 通知 like one a 市政府办公室 sends.
pub fn notice(title: &str, date: &str, body: &str) -> Document {
    let mut d = Document::new(DocKind::Notice);
    d.issuer_mark = vec!["宿州市人民政府办公室文件".into()];
    d.doc_number = "宿政办〔2026〕12号".into();
    d.title = title.into();
    d.main_recipients = vec!["各县、区人民政府".into(), "市政府各部门".into()];
    d.body = Body::from_text(body);
    d.issuer_signature = vec!["宿州市人民政府办公室".into()];
    d.date_of_issue = date.into();
    d
}

/// A 请示 upward with a 签发人.
pub fn request(title: &str, date: &str, body: &str) -> Document {
    let mut d = Document::new(DocKind::Request);
    d.issuer_mark = vec!["萧县人民政府文件".into()];
    d.doc_number = "萧政〔2025〕3号".into();
    d.signers = vec!["李明".into()];
    d.title = title.into();
    d.main_recipients = vec!["宿州市人民政府".into()];
    d.body = Body::from_text(body);
    d.issuer_signature = vec!["萧县人民政府".into()];
    d.date_of_issue = date.into();
    d
}
