//! 痕迹保留 (the revision trail): what changed between versions of a 公文's text, character
//! by character, and by whom.
//!
//! Chinese has no spaces, so words cannot be the unit: a 核稿 that turns "原则同意" into
//! "同意" deletes two characters, and that is what the signing leader must see. [`diff`]
//! compares two texts; [`trail`] lays the versions of a draft over each other the way a
//! 文印室 marks up paper, so every insertion and deletion carries the person who made it.
//! The 清稿 (clean text) is simply the last version.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use similar::{Algorithm, ChangeTag, TextDiff};

/// How a run of characters fares from one text to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Same,
    Inserted,
    Deleted,
}

/// A run of characters that fare alike, in reading order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
