//! 痕迹保留 (the revision trail): what changed between versions of a 公文's text, character
//! by character, and by whom.
//!
//! Chinese has no spaces, so words cannot be the unit: a 核稿 that turns "原则同意" into
//! "同意" deletes two characters, and that is what the signing leader must see. [`diff`]
//! compares two texts; [`trail`] lays the versions of a draft over each other the way a
//! 文印室 marks up paper, so every insertion and deletion carries the person who made it.
//! The 清稿 (clean text) is simply the last version.
//!
//! A 公文 is more than its 正文: [`compare`] and [`document_trail`] do the same for every
//! element a reader sees (标题, 主送机关, 正文, 附件 …), one [`Element`] at a time, so a
//! changed 成文日期 is shown where the date is, not as a stray run inside the body.
//! [`VersionReason`] says why a numbered version (版) was made.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use similar::{Algorithm, ChangeTag, TextDiff};

use crate::{Document, Element};

/// Why a numbered version (第N版) of a document was made. Autosave keeps the working
/// copy safe between these and makes none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum VersionReason {
    /// 新建: the empty draft of a new document.
    Created,
    /// 导入: read from a file (`gongwen import`).
    Imported,
    /// 自动保存: a version saved every few seconds by an earlier build, before versions
    /// were made only when they mean something. Kept as they were, never renumbered.
    Autosaved,
    /// 保存: the clerk saved (the 保存 button, Ctrl+S).
    Saved,
    /// 完成: the clerk finished editing.
    Finished,
    /// 停顿: minutes of typing followed by a pause (see the store's pause rule).
    Paused,
    /// 添加附件文件.
    FileAdded,
    /// 恢复: an earlier version's text, restored as a new version.
    Restored,
    /// A workflow step (核稿, 签发, 分发 …): its name is the version's step.
    Step,
    /// 收文: as another unit dispatched it to us.
    Received,
    /// 分发记录: what the exchange recorded as sent, when it differs from what is here.
    Sent,
}

impl VersionReason {
    pub const ALL: [VersionReason; 11] = [
        VersionReason::Created,
        VersionReason::Imported,
        VersionReason::Autosaved,
        VersionReason::Saved,
        VersionReason::Finished,
        VersionReason::Paused,
        VersionReason::FileAdded,
        VersionReason::Restored,
        VersionReason::Step,
        VersionReason::Received,
        VersionReason::Sent,
    ];

    /// What 历史版本 shows.
    pub fn label(self) -> &'static str {
        match self {
            VersionReason::Created => "新建",
            VersionReason::Imported => "导入",
            VersionReason::Autosaved => "自动保存",
            VersionReason::Saved => "保存",
            VersionReason::Finished => "完成编辑",
            VersionReason::Paused => "输入停顿后留版",
            VersionReason::FileAdded => "添加附件文件",
            VersionReason::Restored => "恢复旧版",
            VersionReason::Step => "流程环节",
            VersionReason::Received => "收文",
            VersionReason::Sent => "分发记录",
        }
    }
}

/// How a run of characters fares from one text to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Same,
    Inserted,
    Deleted,
}

/// A run of characters that fare alike, in reading order.
// `TextChange` in TypeScript: `Change` there is the exchange's change-log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "TextChange"))]
pub struct Change {
    pub kind: ChangeKind,
    pub text: String,
}

/// Longest a single comparison may search for the smallest set of changes. Two unrelated
/// 20-page texts would otherwise take seconds; past this the diff is still correct
/// (applying it gives the new text) but may mark more than the least it could.
const DEADLINE: Duration = Duration::from_millis(500);

/// The changes that turn `old` into `new`, character by character, adjacent characters
/// of one kind joined into one run. Joining the `Same` and `Inserted` runs gives `new`;
/// joining `Same` and `Deleted` gives `old`.
pub fn diff(old: &str, new: &str) -> Vec<Change> {
    let compared = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .deadline(std::time::Instant::now() + DEADLINE)
        .diff_chars(old, new);
    let mut runs: Vec<Change> = Vec::new();
    for change in compared.iter_all_changes() {
        let kind = match change.tag() {
            ChangeTag::Equal => ChangeKind::Same,
            ChangeTag::Insert => ChangeKind::Inserted,
            ChangeTag::Delete => ChangeKind::Deleted,
        };
        match runs.last_mut() {
            Some(last) if last.kind == kind => last.text.push_str(change.value()),
            _ => runs.push(Change {
                kind,
                text: change.value().to_owned(),
            }),
        }
    }
    runs
}

/// A run of the marked-up text: who wrote it in (none for the first draft) and who
/// struck it out (none while it stands).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Mark<A> {
    pub text: String,
    pub inserted_by: Option<A>,
    pub deleted_by: Option<A>,
}

impl<A> Mark<A> {
    /// Still part of the text (not struck out).
    pub fn stands(&self) -> bool {
        self.deleted_by.is_none()
    }
}

/// The versions of a text laid over each other: `first` is the draft, then each later
/// version with the person who saved it. Every character that ever stood appears once,
/// marked with who inserted it and who deleted it, in reading order; text struck out
/// stands before what replaced it. A person who deletes their own insertion leaves no
/// trace of it (a correction before anyone else read it), as in a word processor's
/// track changes.
///
/// Joining the runs that [`Mark::stands`] gives the last version.
pub fn trail<'t, A: Clone + PartialEq>(
    first: &str,
    later: impl IntoIterator<Item = (A, &'t str)>,
) -> Vec<Mark<A>> {
    let mut marks = vec![Mark {
        text: first.to_owned(),
        inserted_by: None,
        deleted_by: None,
    }];
    for (author, text) in later {
        let standing: String = marks
            .iter()
            .filter(|m| m.stands())
            .map(|m| m.text.as_str())
            .collect();
        marks = overlay(marks, &diff(&standing, text), &author);
    }
    marks.retain(|m| !m.text.is_empty());
    join_alike(marks)
}

/// Applies one version's changes (computed against the standing text of `marks`).
fn overlay<A: Clone + PartialEq>(
    marks: Vec<Mark<A>>,
    changes: &[Change],
    author: &A,
) -> Vec<Mark<A>> {
    let mut rest = Standing {
        marks: marks.into_iter().rev().collect(),
    };
    let mut out = Vec::new();
    for change in changes {
        // Text struck out earlier at this point stays before what comes now.
        rest.flush_struck(&mut out);
        let count = change.text.chars().count();
        match change.kind {
            ChangeKind::Same => out.extend(rest.take(count)),
            ChangeKind::Inserted => out.push(Mark {
                text: change.text.clone(),
                inserted_by: Some(author.clone()),
                deleted_by: None,
            }),
            ChangeKind::Deleted => {
                for mark in rest.take(count) {
                    if !mark.stands() {
                        out.push(mark); // struck out before; stays as it was
                    } else if mark.inserted_by.as_ref() != Some(author) {
                        out.push(Mark {
                            deleted_by: Some(author.clone()),
                            ..mark
                        });
                    } // else withdrawn by the person who wrote it: no trace
                }
            }
        }
    }
    rest.flush_all(&mut out);
    out
}

/// The marks not yet walked past, the next one last (so taking is a `pop`).
struct Standing<A> {
    marks: Vec<Mark<A>>,
}

impl<A: Clone> Standing<A> {
    fn flush_struck(&mut self, out: &mut Vec<Mark<A>>) {
        while self.marks.last().is_some_and(|m| !m.stands()) {
            out.extend(self.marks.pop());
        }
    }

    fn flush_all(&mut self, out: &mut Vec<Mark<A>>) {
        while let Some(mark) = self.marks.pop() {
            out.push(mark);
        }
    }

    /// The marks holding the next `count` standing characters (the last one split if it
    /// holds more), with the struck-out marks among them, in order.
    fn take(&mut self, mut count: usize) -> Vec<Mark<A>> {
        let mut taken = Vec::new();
        while count > 0 {
            let Some(mut mark) = self.marks.pop() else {
                break; // the changes were computed on this very text; cannot run out
            };
            if !mark.stands() {
                taken.push(mark);
                continue;
            }
            let chars = mark.text.chars().count();
            if chars > count {
                let cut = mark
                    .text
                    .char_indices()
                    .nth(count)
                    .map_or(mark.text.len(), |(i, _)| i);
                let tail = mark.text.split_off(cut);
                self.marks.push(Mark {
                    text: tail,
                    inserted_by: mark.inserted_by.clone(),
                    deleted_by: None,
                });
                count = 0;
            } else {
                count -= chars;
            }
            taken.push(mark);
        }
        taken
    }
}

fn join_alike<A: PartialEq>(marks: Vec<Mark<A>>) -> Vec<Mark<A>> {
    let mut joined: Vec<Mark<A>> = Vec::with_capacity(marks.len());
    for mark in marks {
        match joined.last_mut() {
            Some(last)
                if last.inserted_by == mark.inserted_by && last.deleted_by == mark.deleted_by =>
            {
                last.text.push_str(&mark.text)
            }
            _ => joined.push(mark),
        }
    }
    joined
}

/// The text a reader sees of each element of a document, in reading order (版头, 主体,
/// 版记), as compared between versions. List elements are one item a line, so an added
/// 主送机关 is an inserted line. Elements that are empty stay in the list: a field that
/// was filled in or cleared is a change too.
pub fn element_texts(doc: &Document) -> Vec<(Element, String)> {
    let lines = |items: &[String]| items.join("\n");
    let mut marks = Vec::new();
    marks.push(doc.classification.label().to_string());
    if !doc.secrecy_term.trim().is_empty() {
        marks.push(format!("★{}", doc.secrecy_term.trim()));
    }
    vec![
        (Element::CopyNumber, doc.copy_number.clone()),
        (Element::Classification, marks.join("")),
        (Element::Urgency, doc.urgency.label().to_string()),
        (Element::IssuerMark, lines(&doc.issuer_mark)),
        (Element::DocNumber, doc.doc_number.clone()),
        (Element::Signers, doc.signers.join("、")),
        (Element::Title, doc.title.clone()),
        (Element::MainRecipients, doc.main_recipients.join("、")),
        (Element::Body, doc.body.to_text()),
        (
            Element::Attachments,
            doc.attachments
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        (Element::IssuerSignature, lines(&doc.issuer_signature)),
        (Element::DateOfIssue, doc.date_of_issue.clone()),
        (
            Element::Seal,
            if doc.sealed {
                "加盖印章"
            } else {
                "不加盖印章"
            }
            .to_string(),
        ),
        (Element::Note, doc.note.clone()),
        (Element::CcRecipients, doc.cc_recipients.join("、")),
        (
            Element::Printing,
            [doc.printing_office.as_str(), doc.printing_date.as_str()]
                .iter()
                .filter(|s| !s.trim().is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" "),
        ),
    ]
}

/// One element of two versions compared (see [`compare`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ElementChanges {
    pub element: Element,
    /// The runs of [`diff`]; all `same` when the element did not change.
    pub changes: Vec<Change>,
}

impl ElementChanges {
    pub fn changed(&self) -> bool {
        self.changes.iter().any(|c| c.kind != ChangeKind::Same)
    }
}

/// Two versions of a document compared element by element ([`element_texts`]), each
/// element's characters diffed; elements empty in both are left out.
pub fn compare(old: &Document, new: &Document) -> Vec<ElementChanges> {
    element_texts(old)
        .into_iter()
        .zip(element_texts(new))
        .filter(|((_, a), (_, b))| !(a.is_empty() && b.is_empty()))
        .map(|((element, a), (_, b))| ElementChanges {
            element,
            changes: diff(&a, &b),
        })
        .collect()
}

/// One element's marked-up trail over all versions (see [`document_trail`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ElementTrail<A> {
    pub element: Element,
    pub marks: Vec<Mark<A>>,
}

/// [`trail`] for each element of a document's versions: `first` is the first version,
/// `later` each later one with the person who made it. Elements empty in every version
/// are left out.
pub fn document_trail<A: Clone + PartialEq>(
    first: &Document,
    later: &[(A, &Document)],
) -> Vec<ElementTrail<A>> {
    let firsts = element_texts(first);
    let laters: Vec<(A, Vec<(Element, String)>)> = later
        .iter()
        .map(|(who, doc)| (who.clone(), element_texts(doc)))
        .collect();
    firsts
        .into_iter()
        .enumerate()
        .filter_map(|(i, (element, text))| {
            let marks = trail(
                &text,
                laters
                    .iter()
                    .map(|(who, texts)| (who.clone(), texts[i].1.as_str())),
            );
            (!marks.is_empty()).then_some(ElementTrail { element, marks })
        })
        .collect()
}
