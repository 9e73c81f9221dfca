//! Validation of a [`Document`] against GB/T 9704-2012 and the 条例: every problem at
//! once, each tied to the element it concerns, in Chinese for the clerk and English for
//! logs and the CLI.

use serde::{Deserialize, Serialize};

use crate::{parse_date, Classification, Direction, DocKind, DocNumber, Document};

/// The 18 elements of a 公文 (GB/T 9704-2012 7.1), used to place a problem beside its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Element {
    CopyNumber,
    Classification,
    Urgency,
    IssuerMark,
    DocNumber,
    Signers,
    Title,
    MainRecipients,
    Body,
    AttachmentNote,
    IssuerSignature,
    DateOfIssue,
    Seal,
    Note,
    Attachments,
    CcRecipients,
    Printing,
    PageNumber,
}

impl Element {
    pub const ALL: [Element; 18] = [
        Element::CopyNumber,
        Element::Classification,
        Element::Urgency,
        Element::IssuerMark,
        Element::DocNumber,
        Element::Signers,
        Element::Title,
        Element::MainRecipients,
        Element::Body,
        Element::AttachmentNote,
        Element::IssuerSignature,
        Element::DateOfIssue,
        Element::Seal,
        Element::Note,
        Element::Attachments,
        Element::CcRecipients,
        Element::Printing,
        Element::PageNumber,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Element::CopyNumber => "份号",
            Element::Classification => "密级和保密期限",
            Element::Urgency => "紧急程度",
            Element::IssuerMark => "发文机关标志",
            Element::DocNumber => "发文字号",
            Element::Signers => "签发人",
            Element::Title => "标题",
            Element::MainRecipients => "主送机关",
            Element::Body => "正文",
            Element::AttachmentNote => "附件说明",
            Element::IssuerSignature => "发文机关署名",
            Element::DateOfIssue => "成文日期",
            Element::Seal => "印章",
            Element::Note => "附注",
            Element::Attachments => "附件",
            Element::CcRecipients => "抄送机关",
            Element::Printing => "印发机关和印发日期",
            Element::PageNumber => "页码",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks 签发 and dispatch; a draft may still be saved.
    Error,
    /// Worth a look; the standard allows it or it is a matter of style.
    Warning,
}

/// One thing wrong with a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Problem {
    pub element: Element,
    pub severity: Severity,
    /// For the clerk, in Chinese.
    pub message: String,
    /// For logs and the CLI.
    pub message_en: String,
    /// The corrected value, when it can be inferred (e.g. `宿政〔2026〕12号`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub suggestion: Option<String>,
    /// Only says that something is not written yet (缺少标题, 正文为空): a blank draft
    /// has these and nothing else, and the editor shows them as still to fill in rather
    /// than as mistakes the clerk made. They count as errors everywhere all the same.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub missing: bool,
}

struct Report(Vec<Problem>);

impl Report {
    fn push(
        &mut self,
        element: Element,
        severity: Severity,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> &mut Problem {
        self.0.push(Problem {
            element,
            severity,
            message: zh.into(),
            message_en: en.into(),
            suggestion: None,
            missing: false,
        });
        let last = self.0.len() - 1;
        &mut self.0[last]
    }
    fn error(&mut self, e: Element, zh: impl Into<String>, en: impl Into<String>) -> &mut Problem {
        self.push(e, Severity::Error, zh, en)
    }
    fn warning(
        &mut self,
        e: Element,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> &mut Problem {
        self.push(e, Severity::Warning, zh, en)
    }
}

impl Problem {
    /// Marks the problem as something not written yet (see `missing`).
    fn unwritten(&mut self) -> &mut Problem {
        self.missing = true;
        self
    }
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn non_blank(items: &[String]) -> impl Iterator<Item = &String> {
    items.iter().filter(|s| !blank(s))
}

/// Checks a document and returns every problem found, in element order.
pub fn validate(doc: &Document) -> Vec<Problem> {
    let mut r = Report(Vec::new());
    let classified = doc.classification.is_classified();

    // 份号: 6 digits, on classified documents only (7.2.1).
    let copy = doc.copy_number.trim();
    if classified && copy.is_empty() {
        r.error(
            Element::CopyNumber,
            "涉密公文应标注份号（6位阿拉伯数字）",
            "a classified document needs a copy number (6 digits)",
        );
    } else if !classified && !copy.is_empty() {
        r.error(
            Element::CopyNumber,
            "非密公文不标注份号",
            "an unclassified document carries no copy number",
        );
    } else if !copy.is_empty() && (copy.len() != 6 || !copy.bytes().all(|b| b.is_ascii_digit())) {
        let p = r.error(
            Element::CopyNumber,
            "份号应为6位阿拉伯数字，如“000001”",
            "the copy number must be 6 Arabic digits, e.g. 000001",
        );
        if let Ok(n) = copy.parse::<u32>() {
            if (1..=999_999).contains(&n) {
                p.suggestion = Some(format!("{n:06}"));
            }
        }
    }

    // 密级和保密期限 (7.2.2).
    let term = doc.secrecy_term.trim();
    if !classified && !term.is_empty() {
        r.error(
            Element::Classification,
            "非密公文不标注保密期限",
            "an unclassified document has no secrecy term",
        );
    } else if !term.is_empty() {
        let number = term.strip_suffix('年').unwrap_or("");
        if number.is_empty()
            || !number.bytes().all(|b| b.is_ascii_digit())
            || number.starts_with('0')
        {
            r.error(
                Element::Classification,
                "保密期限应写作阿拉伯数字加“年”，如“10年”",
                "the secrecy term must be Arabic digits and 年, e.g. 10年",
            );
        }
    }
    if doc.classification == Classification::TopSecret {
        r.warning(
            Element::Classification,
            "绝密公文不得通过普通网络传输，只可在本机起草",
            "top-secret documents must not travel over ordinary networks",
        );
    }

    // 发文机关标志 (7.2.3).
    if non_blank(&doc.issuer_mark).next().is_none() {
        r.error(
            Element::IssuerMark,
            "缺少发文机关标志，如“宿州市人民政府文件”",
            "the issuer mark (red header) is missing",
        )
        .unwritten();
    }

    // 发文字号 (7.2.4): assigned at 登记, so a draft may lack one; a wrong one is an error.
    // A 命令（令） carries a 令号 `第3号` in its place (10.2).
    let number = doc.doc_number.trim();
    let provisional = crate::numbering::provisional_form(number).filter(|form| {
        use crate::numbering::NumberForm;
        match doc.kind {
            DocKind::Order => *form == NumberForm::Order,
            DocKind::Minutes => *form != NumberForm::Order,
            _ => *form == NumberForm::DocNumber,
        }
    });
    if provisional.is_some() {
        // The series' mark with the number left blank: the server gives the number at
        // 编号, after 签发, so a draft carrying it is as it should be.
        r.warning(
            Element::DocNumber,
            format!("发文字号“{number}”待编号（签发后编号时由交换服务器给出序号）"),
            format!(
                "document number {number} awaits its serial (given at numbering, after sign-off)"
            ),
        );
    } else if doc.kind == DocKind::Order {
        if !number.is_empty() && order_number(number).is_none() {
            r.error(
                Element::DocNumber,
                "令号应写作“第N号”，如“第3号”，序号不编虚位",
                "an order's number must read 第N号, e.g. 第3号",
            );
        }
    } else if doc.kind == DocKind::Minutes && issue_number(number).is_some() {
        // A 纪要 numbered by issue (`第5期`), as a 纪要 series may be.
    } else if number.is_empty() {
        r.warning(
            Element::DocNumber,
            "尚未编发文字号（登记时编号）",
            "no document number yet (assigned at registration)",
        );
    } else {
        match number.parse::<DocNumber>() {
            Ok(n) => {
                if let Ok(date) = parse_date(&doc.date_of_issue) {
                    if date.year != n.year() {
                        r.warning(
                            Element::DocNumber,
                            format!("发文字号年份{}与成文日期年份{}不一致", n.year(), date.year),
                            format!(
                                "number year {} differs from the date of issue's year {}",
                                n.year(),
                                date.year
                            ),
                        );
                    }
                }
            }
            Err(e) => {
                let p = r.error(Element::DocNumber, e.message_zh(), e.to_string());
                p.suggestion = e.suggestion.map(|s| s.to_string());
            }
        }
    }

    // 签发人 (7.2.5): required on 上行文.
    if doc.direction == Direction::Upward && non_blank(&doc.signers).next().is_none() {
        r.error(
            Element::Signers,
            format!("上行文（{}）应标注签发人", doc.kind.label()),
            format!("an upward document ({:?}) needs a signer", doc.kind),
        );
    }

    // 标题 (7.3.1).
    let title = doc.title.trim();
    if title.is_empty() {
        r.error(Element::Title, "缺少标题", "the title is missing")
            .unwritten();
    } else if !doc.kind.title_endings().iter().any(|e| title.ends_with(e)) {
        r.warning(
            Element::Title,
            format!("标题通常以文种“{}”结尾", doc.kind.title_endings()[0]),
            format!(
                "a title usually ends with the kind's name {}",
                doc.kind.title_endings()[0]
            ),
        );
    }

    // 主送机关 (7.3.2).
    let main: Vec<&String> = non_blank(&doc.main_recipients).collect();
    if main.is_empty() && doc.kind.needs_main_recipients() {
        r.error(
            Element::MainRecipients,
            format!("{}应标注主送机关", doc.kind.label()),
            "main recipients are missing",
        )
        .unwritten();
    }
    if doc.kind == DocKind::Request && main.len() > 1 {
        r.error(
            Element::MainRecipients,
            "请示应当一文一事，只主送一个上级机关",
            "a request goes to exactly one superior organ",
        );
    }

    // 正文 (7.3.3).
    if doc.body.is_empty() {
        r.error(Element::Body, "正文为空", "the body is empty")
            .unwritten();
    }

    // 附件说明 / 附件 (7.3.4, 7.3.7).
    for (i, a) in doc.attachments.iter().enumerate() {
        let name = a.name.trim();
        if name.is_empty() {
            r.error(
                Element::AttachmentNote,
                format!("第{}个附件缺少名称", i + 1),
                format!("attachment {} has no name", i + 1),
            );
        } else if name.ends_with(['。', '，', '；', '：', '.', ',', ';']) {
            let p = r.warning(
                Element::AttachmentNote,
                format!("附件名称“{name}”后不加标点符号"),
                format!("attachment name {name} must not end with punctuation"),
            );
            p.suggestion = Some(
                name.trim_end_matches(['。', '，', '；', '：', '.', ',', ';'])
                    .to_string(),
            );
        }
    }

    // 发文机关署名 (7.3.5); 纪要 carries none.
    if doc.kind != DocKind::Minutes && non_blank(&doc.issuer_signature).next().is_none() {
        r.warning(
            Element::IssuerSignature,
            "缺少发文机关署名",
            "the issuer signature is missing",
        )
        .unwritten();
    }

    // 成文日期 (7.3.5.1).
    check_date(&mut r, Element::DateOfIssue, "成文日期", &doc.date_of_issue);

    // 印章: 纪要 is not sealed (10.3).
    if doc.kind == DocKind::Minutes && doc.sealed {
        r.warning(
            Element::Seal,
            "纪要一般不加盖印章",
            "minutes are normally not sealed",
        );
    }

    // 印发机关和印发日期 (7.4.3).
    if !blank(&doc.printing_date) {
        check_date(&mut r, Element::Printing, "印发日期", &doc.printing_date);
    }
    if let (Ok(issued), Ok(printed)) = (
        parse_date(&doc.date_of_issue),
        parse_date(&doc.printing_date),
    ) {
        if printed < issued {
            r.warning(
                Element::Printing,
                "印发日期早于成文日期",
                "the printing date is before the date of issue",
            );
        }
    }

    r.0
}

/// Reads a 令号 `第3号`: Arabic serial from 1, no leading zeros.
pub fn order_number(s: &str) -> Option<u32> {
    let digits = s.trim().strip_prefix('第')?.strip_suffix('号')?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Reads a 纪要's issue `第5期`: Arabic serial from 1, no leading zeros.
pub fn issue_number(s: &str) -> Option<u32> {
    let digits = s.trim().strip_prefix('第')?.strip_suffix('期')?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn check_date(r: &mut Report, element: Element, name: &str, value: &str) {
    if blank(value) {
        if element == Element::DateOfIssue {
            r.warning(element, format!("尚未填写{name}"), "no date of issue yet")
                .unwritten();
        }
        return;
    }
    if let Err(e) = parse_date(value) {
        let p = r.error(
            element,
            format!("{name}：{}", e.message_zh()),
            format!("{element:?}: {e}"),
        );
        p.suggestion = e.suggestion().map(|d| d.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Body, Urgency};

    fn notice() -> Document {
        Document {
            issuer_mark: vec!["宿州市人民政府办公室文件".into()],
            doc_number: "宿政办发〔2026〕12号".into(),
            title: "宿州市人民政府办公室关于做好2026年冬季安全生产工作的通知".into(),
            main_recipients: vec!["各县、区人民政府".into(), "市政府各部门".into()],
            body: Body::from_text(
                "为切实做好今冬安全生产工作，现将有关事项通知如下。\n一、压实责任",
            ),
            issuer_signature: vec!["宿州市人民政府办公室".into()],
            date_of_issue: "2026年11月25日".into(),
            sealed: true,
            urgency: Urgency::Urgent,
            ..Document::new(DocKind::Notice)
        }
    }

    fn elements(doc: &Document) -> Vec<(Element, Severity)> {
        validate(doc)
            .into_iter()
            .map(|p| (p.element, p.severity))
            .collect()
    }

    #[test]
    fn a_complete_notice_has_no_problems() {
        assert_eq!(validate(&notice()), vec![]);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let doc = Document {
            kind: DocKind::Request,
            direction: Direction::Upward,
            doc_number: "宿政[2026]012号".into(),
            date_of_issue: "二〇二六年十一月二十五日".into(),
            copy_number: "000001".into(),
            title: "关于申请防汛资金的报告".into(),
            main_recipients: vec!["省政府".into(), "省财政厅".into()],
            ..notice()
        };
        let problems = validate(&doc);
        let found: Vec<_> = problems.iter().map(|p| (p.element, p.severity)).collect();
        assert_eq!(
            found,
            vec![
                (Element::CopyNumber, Severity::Error),
                (Element::DocNumber, Severity::Error),
                (Element::Signers, Severity::Error),
                (Element::Title, Severity::Warning),
                (Element::MainRecipients, Severity::Error),
                (Element::DateOfIssue, Severity::Error),
            ]
        );
        let number = &problems[1];
        assert_eq!(number.suggestion.as_deref(), Some("宿政〔2026〕12号"));
        assert!(number.message.contains("六角括号"));
        assert_eq!(problems[5].suggestion.as_deref(), Some("2026年11月25日"));
        assert!(problems[2].message.contains("签发人"));
    }

    #[test]
    fn classified_documents_need_a_copy_number_and_arabic_terms() {
        let mut doc = notice();
        doc.classification = Classification::Secret;
        doc.secrecy_term = "十年".into();
        assert_eq!(
            elements(&doc),
            vec![
                (Element::CopyNumber, Severity::Error),
                (Element::Classification, Severity::Error)
            ]
        );
        doc.copy_number = "12".into();
        doc.secrecy_term = "10年".into();
        let p = validate(&doc);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].suggestion.as_deref(), Some("000012"));
        doc.copy_number = "000012".into();
        assert_eq!(validate(&doc), vec![]);
        assert_eq!(doc.classification_line(), "机密★10年");
    }

    #[test]
    fn public_kinds_need_no_main_recipients() {
        let doc = Document {
            kind: DocKind::Announcement,
            direction: Direction::Downward,
            title: "宿州市人民政府关于征集民生实事项目的公告".into(),
            main_recipients: vec![],
            ..notice()
        };
        assert_eq!(validate(&doc), vec![]);
        let doc = Document {
            kind: DocKind::Bulletin,
            title: "关于表扬的通报".into(),
            ..doc
        };
        assert_eq!(
            elements(&doc),
            vec![(Element::MainRecipients, Severity::Error)]
        );
    }

    #[test]
    fn a_draft_without_number_or_date_only_gets_warnings() {
        let doc = Document {
            doc_number: String::new(),
            date_of_issue: String::new(),
            ..notice()
        };
        assert!(validate(&doc)
            .iter()
            .all(|p| p.severity == Severity::Warning));
        assert_eq!(validate(&doc).len(), 2);
    }

    #[test]
    fn attachment_names_without_final_punctuation() {
        let mut doc = notice();
        doc.attachments = vec![crate::Attachment {
            name: "安全生产检查表。".into(),
            ..Default::default()
        }];
        let p = validate(&doc);
        assert_eq!(p[0].element, Element::AttachmentNote);
        assert_eq!(p[0].suggestion.as_deref(), Some("安全生产检查表"));
    }

    #[test]
    fn an_order_carries_a_ling_number() {
        let doc = Document {
            kind: DocKind::Order,
            doc_number: "第3号".into(),
            title: "宿州市人民政府令".into(),
            main_recipients: vec![],
            ..notice()
        };
        assert_eq!(validate(&doc), vec![]);
        for bad in ["第03号", "3号", "宿政〔2026〕3号"] {
            let doc = Document {
                doc_number: bad.into(),
                ..doc.clone()
            };
            assert_eq!(
                elements(&doc),
                vec![(Element::DocNumber, Severity::Error)],
                "{bad}"
            );
        }
    }

    #[test]
    fn a_provisional_mark_is_pending_not_wrong() {
        // Before 编号 the series' mark stands with the number blank.
        let doc = Document {
            doc_number: "宿政办发〔2026〕\u{3000}号".into(),
            ..notice()
        };
        let p = validate(&doc);
        assert_eq!(
            elements(&doc),
            vec![(Element::DocNumber, Severity::Warning)]
        );
        assert!(p[0].message.contains("待编号"), "{}", p[0].message);
        let order = Document {
            kind: DocKind::Order,
            doc_number: "第\u{3000}号".into(),
            title: "宿州市人民政府令".into(),
            main_recipients: vec![],
            ..notice()
        };
        assert_eq!(
            elements(&order),
            vec![(Element::DocNumber, Severity::Warning)]
        );
        // A blank of the wrong kind's form is still an error.
        let wrong = Document {
            doc_number: "第\u{3000}号".into(),
            ..notice()
        };
        assert_eq!(
            elements(&wrong),
            vec![(Element::DocNumber, Severity::Error)]
        );
    }

    #[test]
    fn minutes_may_be_numbered_by_issue() {
        let minutes = Document {
            kind: DocKind::Minutes,
            title: "宿州市人民政府常务会议纪要".into(),
            main_recipients: vec![],
            issuer_signature: vec![],
            sealed: false,
            ..notice()
        };
        for ok in ["第5期", "宿政常纪〔2026〕5号", "第\u{3000}期"] {
            let doc = Document {
                doc_number: ok.into(),
                ..minutes.clone()
            };
            assert!(
                validate(&doc)
                    .iter()
                    .all(|p| p.severity == Severity::Warning),
                "{ok}: {:?}",
                validate(&doc)
            );
        }
        for bad in ["第05期", "第0期", "5期"] {
            let doc = Document {
                doc_number: bad.into(),
                ..minutes.clone()
            };
            assert_eq!(
                elements(&doc),
                vec![(Element::DocNumber, Severity::Error)],
                "{bad}"
            );
        }
    }

    #[test]
    fn number_year_must_match_the_date() {
        let doc = Document {
            doc_number: "宿政办发〔2025〕12号".into(),
            ..notice()
        };
        assert_eq!(
            elements(&doc),
            vec![(Element::DocNumber, Severity::Warning)]
        );
    }
}
