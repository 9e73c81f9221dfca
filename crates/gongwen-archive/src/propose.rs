//! What to file: every 办结 document of a year not filed yet (发文 and 收文), grouped per
//! DA/T 22-2015 — 年度, then 保管期限, then 机构（问题）, and within a class by date —
//! each with a suggested 保管期限 and 机构 and the 档号 it would get. The archivist
//! adjusts 保管期限 and 机构 in the proposal (JSON) and [`renumber`] gives the 件号
//! again before filing.

use gongwen_core::archival::{ArchivalCode, RetentionPeriod};
use gongwen_core::flow::FlowKind;
use gongwen_core::handling::Handling;
use gongwen_core::{parse_date, Classification, DocKind, Document, DocumentId};
use gongwen_store::Store;
use serde::{Deserialize, Serialize};

use crate::{ArchiveConfig, ArchiveError, RetentionTable};

/// The proposed filing of one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub year: u16,
    pub items: Vec<ProposedItem>,
}

/// One 件 as proposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedItem {
    pub document_id: DocumentId,
    /// 发文 (`outgoing`) or 收文 (`incoming`).
    pub flow: FlowKind,
    pub kind: DocKind,
    pub title: String,
    /// 文号: the 发文字号.
    pub doc_number: String,
    /// 责任者: the issuing organ(s).
    pub responsible: String,
    /// 日期, `YYYYMMDD`.
    pub date: String,
    pub classification: Classification,
    /// What the retention table suggests.
    pub suggested_retention: RetentionPeriod,
    /// What it will be filed with (the suggestion unless the archivist changed it).
    pub retention: RetentionPeriod,
    /// 机构（问题）代码.
    pub org_code: Option<String>,
    /// The 档号 it gets (recomputed by [`renumber`]).
    pub archival_code: String,
}

/// The handling a document is filed by: the filing unit's own finished one. A unit
/// files what it sent or received and handled to the end, never another unit's
/// document it only took part in (a 会签) or holds a copy of.
pub(crate) fn filing_handling<'h>(handlings: &'h [Handling], unit: &str) -> Option<&'h Handling> {
    handlings.iter().find(|h| h.finished && h.unit.0 == unit)
}

/// 责任者 as the catalogue shows it: the 署名, else the 发文机关标志 without 文件.
pub(crate) fn responsible(doc: &Document, unit_name: &str) -> String {
    let names: Vec<&str> = doc
        .issuer_signature
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if !names.is_empty() {
        return names.join("、");
    }
    let marks: Vec<&str> = doc
        .issuer_mark
        .iter()
        .map(|s| s.trim().trim_end_matches("文件").trim())
        .filter(|s| !s.is_empty())
        .collect();
    if !marks.is_empty() {
        return marks.join("、");
    }
    unit_name.to_string()
}

/// 日期 as `YYYYMMDD` (DA/T 22), empty when the 成文日期 does not parse.
pub(crate) fn date8(doc: &Document) -> String {
    parse_date(&doc.date_of_issue)
        .map(|d| format!("{:04}{:02}{:02}", d.year, d.month, d.day))
        .unwrap_or_default()
}

/// Proposes every finished, unfiled document of `year` in the store.
pub fn propose(
    store: &Store,
    config: &ArchiveConfig,
    table: &RetentionTable,
    year: u16,
) -> Result<Proposal, ArchiveError> {
    config.validate()?;
    // Only the logged-in account's unit: logged out, whose year it is is unknown.
    let unit = store
        .signed_in()?
        .ok_or(ArchiveError::NotSignedIn)?
        .user
        .unit
        .0;
    let mut items = Vec::new();
    for c in store.filing_candidates(year)? {
        let Some(h) = filing_handling(&c.handlings, &unit) else {
            continue;
        };
        let doc = &c.stored.document;
        let suggested = table.suggest(h.flow, doc.kind);
        items.push(ProposedItem {
            document_id: c.stored.id,
            flow: h.flow,
            kind: doc.kind,
            title: doc.title.trim().to_string(),
            doc_number: h
                .number
                .clone()
                .filter(|_| h.flow == FlowKind::Outgoing)
                .unwrap_or_else(|| doc.doc_number.trim().to_string()),
            responsible: responsible(doc, &config.unit_name),
            date: date8(doc),
            classification: doc.classification,
            suggested_retention: suggested,
            retention: suggested,
            org_code: config.default_org.clone(),
            archival_code: String::new(),
        });
    }
    let mut proposal = Proposal { year, items };
    renumber(store, config, &mut proposal)?;
    Ok(proposal)
}

/// Sorts the items per DA/T 22 (保管期限 longest first, then 机构, then date, 文号)
/// and gives each its 档号: 件号 continue after the highest already filed in the same
/// 全宗/年度/期限/机构, without gaps. Refuses a legacy or invalid 保管期限 or 机构代码.
pub fn renumber(
    store: &Store,
    config: &ArchiveConfig,
    proposal: &mut Proposal,
) -> Result<(), ArchiveError> {
    for item in &proposal.items {
        if item.retention.is_legacy() {
            return Err(ArchiveError::Proposal(format!(
                "{}: 保管期限 {} is a pre-2006 code; file with Y, D30 or D10",
                item.title,
                item.retention.code()
            )));
        }
    }
    proposal.items.sort_by(|a, b| {
        b.retention
            .rank()
            .cmp(&a.retention.rank())
            .then_with(|| a.org_code.cmp(&b.org_code))
            .then_with(|| a.date.cmp(&b.date))
            .then_with(|| (a.flow == FlowKind::Incoming).cmp(&(b.flow == FlowKind::Incoming)))
            .then_with(|| a.doc_number.cmp(&b.doc_number))
            .then_with(|| a.document_id.cmp(&b.document_id))
    });
    let mut next: std::collections::HashMap<String, u32> = Default::default();
    for item in &mut proposal.items {
        let mut code = ArchivalCode {
            fonds_code: config.fonds_code.clone(),
            category_code: config.category_code.clone(),
            year: proposal.year,
            retention: item.retention,
            org_code: item.org_code.clone(),
            item_number: 1,
        };
        let key = code.class_key();
        let n = match next.get(&key) {
            Some(n) => *n,
            None => store.next_item_number(&key)?,
        };
        code.item_number = n;
        code.validate()?;
        next.insert(key, n + 1);
        item.archival_code = code.to_string();
    }
    Ok(())
}
