//! The 公文 and its 18 format elements (GB/T 9704-2012 clause 7).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Body, Classification, Direction, DocKind, Urgency};

/// Stable identity of a document across versions, stores and units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, type = "string"))]
#[serde(transparent)]
pub struct DocumentId(pub Uuid);

impl std::fmt::Display for DocumentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for DocumentId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(DocumentId)
    }
}

/// Where a document stands in its life. The exchange server will be the authority on
/// transitions; locally a document is a draft until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum DocStatus {
    /// 草稿
    #[default]
    Draft,
    /// 已签发
    SignedOff,
    /// 已分发
    Dispatched,
    /// 已退回: dispatched, and a recipient unit sent it back with a reason; the sender
    /// may revise it and dispatch it again to that unit.
    Returned,
    /// 收文
    Incoming,
    /// 已归档
    Archived,
}

impl DocStatus {
    pub const ALL: [DocStatus; 6] = [
        DocStatus::Draft,
        DocStatus::SignedOff,
        DocStatus::Dispatched,
        DocStatus::Returned,
        DocStatus::Incoming,
        DocStatus::Archived,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DocStatus::Draft => "草稿",
            DocStatus::SignedOff => "已签发",
            DocStatus::Dispatched => "已分发",
            DocStatus::Returned => "已退回",
            DocStatus::Incoming => "收文",
            DocStatus::Archived => "已归档",
        }
    }
}

/// 附件: named in the 附件说明; the file, if any, is stored by content hash.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Attachment {
    /// 附件名称 as listed in the 附件说明, without 书名号 or final punctuation.
    pub name: String,
    /// SHA-256 of the file's bytes (lower-case hex), when a file is attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub sha256: Option<String>,
    /// Original file name, for export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional, type = "number"))]
    pub size: Option<u64>,
}

/// A 公文 with every element of GB/T 9704-2012. Elements a clerk types are kept as the
/// clerk wrote them (a draft may be wrong while it is written); [`crate::validate`] says
/// what is wrong, and typed parsers (`DocNumber`, `parse_date`) read them.
///
/// 页码 (page numbers), the 18th element, are computed when the document is typeset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(default)]
pub struct Document {
    /// 文种
    pub kind: DocKind,
    /// 行文方向; defaults from the kind, decides whether 签发人 is required.
    pub direction: Direction,
    /// 份号: six digits, only on classified documents.
    pub copy_number: String,
    /// 密级
    pub classification: Classification,
    /// 保密期限, e.g. `10年`; printed after the 密级 as `机密★10年`.
    pub secrecy_term: String,
    /// 紧急程度
    pub urgency: Urgency,
    /// 发文机关标志: one line per issuing organ (several for 联合行文), e.g.
    /// `宿州市人民政府文件`; the red-header template decides how they are set.
    pub issuer_mark: Vec<String>,
    /// 发文字号, e.g. `宿政〔2026〕12号`; empty until the number is assigned.
    pub doc_number: String,
    /// 签发人: required on 上行文; several for joint upward documents.
    pub signers: Vec<String>,
    /// 标题
    pub title: String,
    /// 主送机关
    pub main_recipients: Vec<String>,
    /// 正文
    pub body: Body,
    /// 附件 (the 附件说明 lists their names in order).
    pub attachments: Vec<Attachment>,
    /// 发文机关署名 (several for 联合行文).
    pub issuer_signature: Vec<String>,
    /// 成文日期, e.g. `2026年11月25日`.
    pub date_of_issue: String,
    /// 印章: whether the document is sealed.
    pub sealed: bool,
    /// 附注, e.g. `（联系人：张明，电话：0557-3021234）`.
    pub note: String,
    /// 抄送机关
    pub cc_recipients: Vec<String>,
    /// 印发机关
    pub printing_office: String,
    /// 印发日期
    pub printing_date: String,
    /// 红头模板 chosen in the editor: a built-in template name such as `suzhou-gov`;
    /// empty when the 发文机关标志 lines are set as written. Not an element of the
    /// standard, only how this unit's red header is drawn.
    pub template: String,
}

impl Default for Document {
    fn default() -> Self {
        Document::new(DocKind::Notice)
    }
}

impl Document {
    /// An empty document of a kind, with the kind's usual direction.
    pub fn new(kind: DocKind) -> Document {
        Document {
            kind,
            direction: kind.default_direction(),
            copy_number: String::new(),
            classification: Classification::Unclassified,
            secrecy_term: String::new(),
            urgency: Urgency::Normal,
            issuer_mark: Vec::new(),
            doc_number: String::new(),
            signers: Vec::new(),
            title: String::new(),
            main_recipients: Vec::new(),
            body: Body::default(),
            attachments: Vec::new(),
            issuer_signature: Vec::new(),
            date_of_issue: String::new(),
            sealed: false,
            note: String::new(),
            cc_recipients: Vec::new(),
            printing_office: String::new(),
            printing_date: String::new(),
            template: String::new(),
        }
    }

    /// The 密级和保密期限 line as printed, e.g. `机密★10年`; empty when unclassified.
    pub fn classification_line(&self) -> String {
        if !self.classification.is_classified() {
            return String::new();
        }
        let term = self.secrecy_term.trim();
        if term.is_empty() {
            self.classification.label().to_string()
        } else {
            format!("{}★{}", self.classification.label(), term)
        }
    }

    /// The 主送机关 line as printed (GB/T 9704-2012 7.3.2): the names in order, joined by
    /// 、, ending in a full-width colon; empty when there is none. The typesetter and the
    /// reading view both show this line, so they join the names the same way.
    pub fn main_recipients_line(&self) -> String {
        let names: Vec<&str> = self
            .main_recipients
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if names.is_empty() {
            String::new()
        } else {
            format!("{}：", names.join("、"))
        }
    }

    /// Year the document belongs to: from the 成文日期, else the 发文字号.
    pub fn year(&self) -> Option<u16> {
        crate::parse_date(&self.date_of_issue)
            .ok()
            .map(|d| d.year)
            .or_else(|| {
                self.doc_number
                    .parse::<crate::DocNumber>()
                    .ok()
                    .map(|n| n.year())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_main_recipients_line_joins_with_the_enumeration_comma_and_ends_in_a_colon() {
        let mut doc = Document::new(DocKind::Notice);
        assert_eq!(doc.main_recipients_line(), "");
        doc.main_recipients = vec![
            "各县、区人民政府".into(),
            " ".into(),
            " 市政府各部门 ".into(),
        ];
        assert_eq!(
            doc.main_recipients_line(),
            "各县、区人民政府、市政府各部门："
        );
    }
}
