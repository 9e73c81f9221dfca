//! Full-text search over title, 发文字号, issuer, recipients and body.
//!
//! Ranking rule, in this order:
//! 1. Documents whose **title, 发文字号, issuer or recipients** contain every part of the
//!    query. Of these, the newest [`HEAD_WINDOW`] (by 成文日期) are read and ranked
//!    BM25-style in Rust: each occurrence counts, saturating with repetition, weighted by
//!    field (title 8, 发文字号 6, issuer 4, recipients 2) and by field length (a short
//!    title that matches beats a long one). Score ≥ 1.
//! 2. Then documents matching only with the body (or across fields), **newest 成文日期
//!    first**. Score < 1, decreasing in that order.
//!
//! Both steps read the index in rowid order, which is the date order (see the
//! `sort_key` column), and stop after the rows they need; a 1-character query that
//! matches every document costs about the same as a rare word. Matches are substring
//! matches of the whole query text (letters and digits; punctuation and spaces split the
//! query into parts that must all occur). A part that is one Latin word or number is
//! found inside words too (`DP` finds `GDP`, `026` finds `2026`, through the pieces of
//! Latin words in the character table: see `tokens`); a Latin word within a mixed part
//! (`026年`) matches from its word's start only.
//!
//! The snippet is cut in Rust from the original text around the first match.
//!
//! Only documents the logged-in account may see take part (see `access`): hidden ones
//! are skipped while reading and the index is read further, so they neither appear nor
//! take a place in the window or the page.

use std::collections::HashSet;

use gongwen_core::Classification;
use rusqlite::Connection;

use crate::model::{DocumentSummary, SearchField, SearchHit, SnippetPart};
use crate::store::{summary_from_row, SUMMARY_COLUMNS};
use crate::tokens::{find_all, normalized_chars, Query};
use crate::StoreError;

/// How many header matches are ranked (the newest ones).
pub const HEAD_WINDOW: usize = 200;
/// Largest number of hits one search returns.
pub const MAX_LIMIT: usize = 500;
/// Characters in a snippet.
const SNIPPET_CHARS: usize = 60;
/// Characters of context before the first match in a snippet.
const SNIPPET_LEAD: usize = 20;

/// Header fields in rank order: (field, weight, typical length in characters).
const HEAD_FIELDS: [(SearchField, f64, f64); 4] = [
    (SearchField::Title, 8.0, 25.0),
    (SearchField::DocNumber, 6.0, 12.0),
    (SearchField::Issuer, 4.0, 12.0),
    (SearchField::Recipients, 2.0, 30.0),
];

struct Row {
    summary: DocumentSummary,
    head: [String; 4],
}

/// The row of `sort_key`, or `None` if there is none or `visible` (see
/// `access::visible`) does not hold for it.
fn load_row(conn: &Connection, sort_key: i64, visible: &str) -> Result<Option<Row>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS}, doc_number, issuers, recipients FROM documents
         WHERE sort_key = ?1 AND {visible}"
    ))?;
    let mut rows = stmt.query([sort_key])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let summary = summary_from_row(r)?;
    let head = [summary.title.clone(), r.get(11)?, r.get(12)?, r.get(13)?];
    Ok(Some(Row { summary, head }))
}

fn load_body(conn: &Connection, sort_key: i64) -> Result<String, StoreError> {
    #[derive(serde::Deserialize)]
    struct BodyOnly {
        #[serde(default)]
        body: String,
    }
    let content: String = conn
        .prepare_cached(
            "SELECT coalesce(w.content, v.content) FROM documents d JOIN versions v
             ON v.doc_rowid = d.doc_rowid AND v.version = d.version
             LEFT JOIN working_copies w ON w.doc_rowid = d.doc_rowid WHERE d.sort_key = ?1",
        )?
        .query_row([sort_key], |r| r.get(0))?;
    let b: BodyOnly =
        serde_json::from_str(&content).map_err(|e| StoreError::BadRecord(e.to_string()))?;
    Ok(b.body)
}

fn rowids(
    conn: &Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Matches of `sql` newest first, with their rows, until `want` rows that `visible`
/// lets through (and `skip` does not) are found or the matches run out. `sql` takes
/// the `expressions` first, then an exclusive upper bound on the rowid, then the limit.
/// With everything visible this is one query, as before.
fn visible_matches(
    conn: &Connection,
    sql: &str,
    expressions: &[&str],
    want: usize,
    visible: &str,
    mut skip: impl FnMut(i64) -> bool,
) -> Result<Vec<(i64, Row)>, StoreError> {
    let mut out = Vec::new();
    let mut below = i64::MAX;
    while out.len() < want {
        let limit = (want - out.len()) as i64;
        let mut args: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(expressions.len() + 2);
        for e in expressions {
            args.push(e);
        }
        args.push(&below);
        args.push(&limit);
        let keys = rowids(conn, sql, &args)?;
        for &key in &keys {
            if skip(key) {
                continue;
            }
            if let Some(row) = load_row(conn, key, visible)? {
                out.push((key, row));
            }
        }
        match keys.last() {
            Some(&last) if keys.len() as i64 == limit => below = last,
            _ => break,
        }
    }
    Ok(out)
}

/// Rows matching every given expression, each in its table, newest first (see
/// [`visible_matches`]). The first table with an expression is read in rowid order
/// and stops early; the others only filter it. The order given is therefore the order
/// of preference: the table whose matches are usually fewest first.
fn match_in_tables(
    conn: &Connection,
    tables: &[(&str, Option<String>)],
    want: usize,
    visible: &str,
    skip: impl FnMut(i64) -> bool,
) -> Result<Vec<(i64, Row)>, StoreError> {
    let present: Vec<(&str, &str)> = tables
        .iter()
        .filter_map(|(table, e)| e.as_deref().map(|e| (*table, e)))
        .collect();
    let Some(&(first, _)) = present.first() else {
        return Ok(Vec::new());
    };
    let mut sql = format!("SELECT rowid FROM {first} WHERE {first} MATCH ?1");
    for (i, (table, _)) in present.iter().enumerate().skip(1) {
        sql.push_str(&format!(
            " AND rowid IN (SELECT rowid FROM {table} WHERE {table} MATCH ?{})",
            i + 1
        ));
    }
    let n = present.len();
    sql.push_str(&format!(
        " AND rowid < ?{} ORDER BY rowid DESC LIMIT ?{}",
        n + 1,
        n + 2
    ));
    let expressions: Vec<&str> = present.iter().map(|(_, e)| *e).collect();
    visible_matches(conn, &sql, &expressions, want, visible, skip)
}

pub(crate) fn search(
    conn: &Connection,
    input: &str,
    limit: usize,
    clearance: Classification,
) -> Result<Vec<SearchHit>, StoreError> {
    let visible = crate::access::visible("classification", clearance);
    let limit = limit.min(MAX_LIMIT);
    let Some(query) = Query::parse(input) else {
        return Ok(Vec::new());
    };
    if limit == 0 {
        return Ok(Vec::new());
    }
    let needles: Vec<Vec<char>> = query.groups.iter().map(|g| g.chars().collect()).collect();

    // 1. Header matches, newest HEAD_WINDOW, ranked.
    let head_rows = match_in_tables(
        conn,
        &[
            ("search_head", query.head_expression()),
            ("search_chars", query.latin_head_expression()),
        ],
        HEAD_WINDOW,
        &visible,
        |_| false,
    )?;
    let head_keys: Vec<i64> = head_rows.iter().map(|(key, _)| *key).collect();
    let mut hits: Vec<(i64, SearchHit)> = Vec::new();
    for (key, row) in head_rows {
        let (score, field, snippet) = rank_head(&row.head, &needles);
        hits.push((
            key,
            SearchHit {
                summary: row.summary,
                field,
                snippet,
                score,
            },
        ));
    }
    // Stable: equal scores stay newest-first.
    hits.sort_by(|a, b| b.1.score.total_cmp(&a.1.score));
    hits.truncate(limit);
    if hits.len() == limit {
        return Ok(hits.into_iter().map(|(_, h)| h).collect());
    }

    // 2. Everything else, newest first, stopping once the page is full.
    let want = limit - hits.len();
    let seen: HashSet<i64> = head_keys.iter().copied().collect();
    let skip = |key: i64| seen.contains(&key);
    let body_rows = match_in_tables(
        conn,
        &[
            ("search_all", query.body_expression()),
            ("search_chars", query.chars_expression()),
        ],
        want,
        &visible,
        skip,
    )?;
    for (key, row) in body_rows {
        let body = load_body(conn, key)?;
        let rank = hits.len();
        let (field, snippet) = match snippet(&body, &needles) {
            Some(s) => (SearchField::Body, s),
            None => locate_head(&row.head, &needles)
                .unwrap_or((SearchField::Body, plain_snippet(&body))),
        };
        hits.push((
            key,
            SearchHit {
                summary: row.summary,
                field,
                snippet,
                score: 1.0 / (2.0 + rank as f64),
            },
        ));
    }
    Ok(hits.into_iter().map(|(_, h)| h).collect())
}

/// Score (≥ 1), field and snippet of a header match.
fn rank_head(head: &[String; 4], needles: &[Vec<char>]) -> (f64, SearchField, Vec<SnippetPart>) {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let mut score = 1.0;
    for (text, (_, weight, typical)) in head.iter().zip(HEAD_FIELDS) {
        let chars = normalized_chars(text);
        let tf: usize = needles.iter().map(|n| find_all(&chars, n).len()).sum();
        if tf > 0 {
            let tf = tf as f64;
            let norm = 1.0 - B + B * chars.len() as f64 / typical;
            score += weight * tf * (K1 + 1.0) / (tf + K1 * norm);
        }
    }
    let (field, snippet) =
        locate_head(head, needles).unwrap_or((SearchField::Title, plain_snippet(&head[0])));
    (score, field, snippet)
}

/// The first header field containing a part of the query, with its snippet.
fn locate_head(
    head: &[String; 4],
    needles: &[Vec<char>],
) -> Option<(SearchField, Vec<SnippetPart>)> {
    head.iter()
        .zip(HEAD_FIELDS)
        .find_map(|(text, (name, _, _))| snippet(text, needles).map(|s| (name, s)))
}

fn plain_snippet(text: &str) -> Vec<SnippetPart> {
    let text: String = text
        .chars()
        .map(|c| if c == '\n' { ' ' } else { c })
        .take(SNIPPET_CHARS)
        .collect();
    if text.is_empty() {
        Vec::new()
    } else {
        vec![SnippetPart {
            text,
            highlighted: false,
        }]
    }
}

/// About [`SNIPPET_CHARS`] characters of `text` around the first occurrence of any
/// needle, every occurrence in that window highlighted; `None` if nothing occurs.
pub(crate) fn snippet(text: &str, needles: &[Vec<char>]) -> Option<Vec<SnippetPart>> {
    let original: Vec<char> = text
        .chars()
        .map(|c| if c == '\n' { ' ' } else { c })
        .collect();
    let normalized = normalized_chars(text);
    let mut ranges: Vec<(usize, usize)> = needles
        .iter()
        .flat_map(|n| find_all(&normalized, n))
        .collect();
    if ranges.is_empty() {
        return None;
    }
    ranges.sort_unstable();
    let first = ranges[0];
    let mut start = first.0.saturating_sub(SNIPPET_LEAD);
    let end = (start + SNIPPET_CHARS).max(first.1).min(original.len());
    if end - start < SNIPPET_CHARS {
        start = end.saturating_sub(SNIPPET_CHARS);
    }
    let mut parts = Vec::new();
    let push = |parts: &mut Vec<SnippetPart>, from: usize, to: usize, highlighted: bool| {
        if from < to {
            parts.push(SnippetPart {
                text: original[from..to].iter().collect(),
                highlighted,
            });
        }
    };
    if start > 0 {
        parts.push(SnippetPart {
            text: "…".to_string(),
            highlighted: false,
        });
    }
    let mut at = start;
    for (s, e) in ranges {
        // Overlapping or outside the window: skip or clip.
        let (s, e) = (s.max(at), e.min(end));
        if s >= e {
            continue;
        }
        push(&mut parts, at, s, false);
        push(&mut parts, s, e, true);
        at = e;
    }
    push(&mut parts, at, end, false);
    if end < original.len() {
        parts.push(SnippetPart {
            text: "…".to_string(),
            highlighted: false,
        });
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(parts: &[SnippetPart]) -> String {
        crate::marked_snippet(parts, "[", "]")
    }

    #[test]
    fn snippet_highlights_every_match_in_the_window() {
        let needles = vec!["防汛".chars().collect::<Vec<_>>()];
        let s = snippet("关于做好防汛工作的通知\n各县区：防汛是大事。", &needles).unwrap();
        assert_eq!(
            render(&s),
            "关于做好[防汛]工作的通知 各县区：[防汛]是大事。"
        );
    }

    #[test]
    fn long_text_is_cut_around_the_first_match() {
        let text = format!("{}全市GDP增长6%{}", "前".repeat(100), "后".repeat(100));
        let needles = vec!["gdp".chars().collect::<Vec<_>>()];
        let s = snippet(&text, &needles).unwrap();
        let r = render(&s);
        assert!(r.starts_with("…"), "{r}");
        assert!(r.ends_with("…"), "{r}");
        assert!(r.contains("全市[GDP]增长"), "{r}");
        let visible: usize = s
            .iter()
            .filter(|p| p.text != "…")
            .map(|p| p.text.chars().count())
            .sum();
        assert_eq!(visible, SNIPPET_CHARS);
    }

    #[test]
    fn no_match_no_snippet() {
        assert!(snippet("通知", &[vec!['请', '示']]).is_none());
    }
}
