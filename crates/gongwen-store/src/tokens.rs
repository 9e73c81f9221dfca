//! Turning Chinese text into search tokens, and a user's query into an FTS5 expression.
//!
//! SQLite's tokenizers do not segment Chinese, and the trigram tokenizer cannot find
//! 1- or 2-character words, which are most Chinese words. So the tokens are computed
//! here and handed to FTS5 already separated by spaces (its `ascii` tokenizer then only
//! splits on the spaces, because every non-ASCII character is a token character):
//!
//! * a run of Chinese (any non-ASCII letter or digit) becomes its overlapping bigrams
//!   `通知如下` → `通知 知如 如下`, plus its last character alone where Latin follows
//!   directly (`通知2026` → `通知 知 2026`) or when the run is one character. Every
//!   2-character string is then one token and a longer one a phrase of bigrams;
//! * a run of ASCII letters and digits is one lower-case word: `GDP` → `gdp`;
//! * everything else (punctuation, spaces) separates runs and is not indexed.
//!
//! Single characters are looked up in a separate, position-free table of the distinct
//! characters of each body ([`distinct_chars`]), so a 1-character query is one short
//! doclist read instead of a merge of every bigram that starts with it.
//!
//! Full-width Latin letters and digits are folded to ASCII and ASCII to lower case,
//! character for character, so offsets in normalised text are offsets in the original.

use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Latin,
    Han,
    Separator,
}

/// Folds full-width ASCII (`ＧＤＰ２０２６`) to ASCII and lower-cases ASCII; one char in,
/// one char out, so character offsets survive normalisation.
pub(crate) fn normalize_char(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

fn class(c: char) -> Class {
    // CJK Unified Ideographs first: nearly every character of a 公文, and the general
    // Unicode lookup is slow enough to show in import profiles.
    if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        Class::Han
    } else if c.is_ascii_alphanumeric() {
        Class::Latin
    } else if !c.is_ascii() && c.is_alphanumeric() {
        Class::Han
    } else {
        Class::Separator
    }
}

/// Maximal runs of one class, separators dropped: (class, chars), and whether a
/// separator (or the end of the text) follows the run.
fn runs(text: &str) -> Vec<(Class, Vec<char>, bool)> {
    let mut out: Vec<(Class, Vec<char>, bool)> = Vec::new();
    let mut current: Option<(Class, Vec<char>)> = None;
    for c in text.chars().map(normalize_char) {
        let k = class(c);
        match (&mut current, k) {
            (Some((ck, chars)), k) if *ck == k => chars.push(c),
            (cur, Class::Separator) => {
                if let Some((ck, chars)) = cur.take() {
                    out.push((ck, chars, true));
                }
            }
            (cur, k) => {
                if let Some((ck, chars)) = cur.take() {
                    out.push((ck, chars, false));
                }
                *cur = Some((k, vec![c]));
            }
        }
    }
    if let Some((ck, chars)) = current {
        out.push((ck, chars, true));
    }
    out
}

/// The index tokens of a text, space-separated, for FTS5's `ascii` tokenizer.
/// `every_unigram`: close every Chinese run with its last character (for the header
/// table, where a 1-character query is a prefix query and must also find a run's last
/// character).
///
/// One pass, no allocation but the output: this runs for every document of an import
/// and was its slowest step when written with a `Vec` per run.
pub(crate) fn index_tokens(text: &str, every_unigram: bool) -> String {
    let mut out = String::with_capacity(text.len() * 2 + 16);
    let sep = |out: &mut String| {
        if !out.is_empty() {
            out.push(' ');
        }
    };
    // The Chinese run being read: its last character and length.
    let mut han: Option<(char, usize)> = None;
    let mut in_latin = false;
    for c in text.chars().map(normalize_char) {
        let k = class(c);
        if let Some((last, len)) = han {
            if k == Class::Han {
                sep(&mut out);
                out.push(last);
                out.push(c);
                han = Some((c, len + 1));
                continue;
            }
            // The closing unigram is needed only where a phrase can continue into
            // Latin text (`通知2026`), or when it is the run's only token.
            if every_unigram || len == 1 || k == Class::Latin {
                sep(&mut out);
                out.push(last);
            }
            han = None;
        }
        match k {
            Class::Han => {
                in_latin = false;
                han = Some((c, 1));
            }
            Class::Latin => {
                if !in_latin {
                    sep(&mut out);
                    in_latin = true;
                }
                out.push(c);
            }
            Class::Separator => in_latin = false,
        }
    }
    if let Some((last, len)) = han {
        // The text ends here: as before a separator.
        if every_unigram || len == 1 {
            sep(&mut out);
            out.push(last);
        }
    }
    out
}

/// Every distinct letter or digit of a text, space-separated (for the 1-character table).
pub(crate) fn distinct_chars(text: &str) -> String {
    let mut set: Vec<char> = text
        .chars()
        .map(normalize_char)
        .filter(|&c| class(c) != Class::Separator)
        .collect();
    set.sort_unstable();
    set.dedup();
    let mut out = String::with_capacity(set.len() * 4);
    for c in set {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A query, split at punctuation and spaces into groups that must all be present.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    /// The normalised text of each group, for finding matches in the original text.
    pub groups: Vec<String>,
    /// FTS5 phrase per group; `None` for a single character (see `single_chars`).
    phrases: Vec<Option<String>>,
    /// Groups that are exactly one character: looked up in the character table.
    pub single_chars: Vec<char>,
}

impl Query {
    /// Parses what a user typed. Nothing in it is FTS5 syntax: only letters and digits
    /// reach the expression, each quoted, so `"`, `*`, `-` or `AND` are never an error.
    pub fn parse(input: &str) -> Option<Query> {
        let mut groups = Vec::new();
        let mut phrases = Vec::new();
        let mut single_chars = Vec::new();
        let mut group_runs: Vec<(Class, Vec<char>)> = Vec::new();
        let mut flush = |group_runs: &mut Vec<(Class, Vec<char>)>| {
            if group_runs.is_empty() {
                return;
            }
            let text: String = group_runs.iter().flat_map(|(_, c)| c.iter()).collect();
            if text.chars().count() == 1 {
                if let Some(c) = text.chars().next() {
                    single_chars.push(c);
                }
                phrases.push(None);
            } else {
                phrases.push(Some(phrase(group_runs)));
            }
            groups.push(text);
            group_runs.clear();
        };
        for (class, chars, separated) in runs(input) {
            group_runs.push((class, chars));
            if separated {
                flush(&mut group_runs);
            }
        }
        flush(&mut group_runs);
        if groups.is_empty() {
            return None;
        }
        // The same group twice adds nothing.
        let mut seen = BTreeSet::new();
        let mut keep = Vec::new();
        for (g, p) in groups.into_iter().zip(phrases) {
            if seen.insert(g.clone()) {
                keep.push((g, p));
            }
        }
        single_chars.sort_unstable();
        single_chars.dedup();
        let (groups, phrases) = keep.into_iter().unzip();
        Some(Query {
            groups,
            phrases,
            single_chars,
        })
    }

    /// Expression for a table indexed with [`index_tokens`] and a 1-character prefix
    /// index (the header table): single characters become prefix queries.
    pub fn head_expression(&self) -> String {
        self.groups
            .iter()
            .zip(&self.phrases)
            .map(|(g, p)| match p {
                Some(p) => p.clone(),
                None => format!("\"{g}\"*"),
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// Expression for the body table: multi-character groups only (`None` when every
    /// group is a single character; those go to [`Query::chars_expression`]).
    pub fn body_expression(&self) -> Option<String> {
        let parts: Vec<&str> = self.phrases.iter().flatten().map(String::as_str).collect();
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// Expression for the distinct-character table (`None` when no group is one char).
    pub fn chars_expression(&self) -> Option<String> {
        (!self.single_chars.is_empty()).then(|| {
            self.single_chars
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(" AND ")
        })
    }
}

/// One group as an FTS5 phrase of the tokens [`index_tokens`] produced for that text.
/// A run the group ends on may continue in the document, so its closing unigram is not
/// required, and a final lone character or Latin word matches as a prefix.
fn phrase(group: &[(Class, Vec<char>)]) -> String {
    let mut tokens: Vec<String> = Vec::new();
    let mut prefix = false;
    for (i, (class, chars)) in group.iter().enumerate() {
        let last = i + 1 == group.len();
        match class {
            Class::Latin => {
                tokens.push(chars.iter().collect());
                prefix = last;
            }
            Class::Han if chars.len() == 1 => {
                tokens.push(chars.iter().collect());
                prefix = last;
            }
            Class::Han => {
                for pair in chars.windows(2) {
                    tokens.push(pair.iter().collect());
                }
                if !last {
                    if let Some(c) = chars.last() {
                        tokens.push(c.to_string());
                    }
                }
                prefix = false;
            }
            Class::Separator => {}
        }
    }
    // Tokens hold only letters and digits, so quoting them is enough to escape them.
    format!("\"{}\"{}", tokens.join(" "), if prefix { "*" } else { "" })
}

/// Character offsets of every occurrence of `needle` (normalised) in `haystack`
/// (normalised char by char), as `(start, end)` char ranges.
pub(crate) fn find_all(haystack: &[char], needle: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if needle.is_empty() || needle.len() > haystack.len() {
        return out;
    }
    let mut i = 0;
    while i + needle.len() <= haystack.len() {
        if haystack[i..i + needle.len()] == *needle {
            out.push((i, i + needle.len()));
            i += needle.len();
        } else {
            i += 1;
        }
    }
    out
}

pub(crate) fn normalized_chars(text: &str) -> Vec<char> {
    text.chars().map(normalize_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_becomes_bigrams_and_a_closing_unigram() {
        assert_eq!(index_tokens("通知如下", false), "通知 知如 如下");
        assert_eq!(index_tokens("通知如下", true), "通知 知如 如下 下");
        assert_eq!(index_tokens("宿政〔2026〕12号", false), "宿政 2026 12 号");
        assert_eq!(index_tokens("通知2026年", false), "通知 知 2026 年");
        assert_eq!(index_tokens("ＧＤＰ增长6%", false), "gdp 增长 长 6");
        assert_eq!(index_tokens("　，。", true), "");
    }

    #[test]
    fn distinct_chars_are_sorted_and_unique() {
        assert_eq!(distinct_chars("通知通知A"), "a 知 通");
    }

    #[test]
    fn queries_become_quoted_phrases() {
        let q = Query::parse("通知").unwrap();
        assert_eq!(q.head_expression(), "\"通知\"");
        let q = Query::parse("防汛工作").unwrap();
        assert_eq!(q.body_expression().unwrap(), "\"防汛 汛工 工作\"");
        let q = Query::parse("市").unwrap();
        assert_eq!(q.head_expression(), "\"市\"*");
        assert_eq!(q.body_expression(), None);
        assert_eq!(q.chars_expression().unwrap(), "\"市\"");
        let q = Query::parse("2026年").unwrap();
        assert_eq!(q.body_expression().unwrap(), "\"2026 年\"*");
        let q = Query::parse("通知2026").unwrap();
        assert_eq!(q.body_expression().unwrap(), "\"通知 知 2026\"*");
    }

    #[test]
    fn fts_syntax_in_a_query_is_only_a_separator() {
        let q = Query::parse("\"通知\" AND -防汛* OR (").unwrap();
        assert_eq!(q.groups, vec!["通知", "and", "防汛", "or"]);
        assert_eq!(
            q.head_expression(),
            "\"通知\" AND \"and\"* AND \"防汛\" AND \"or\"*"
        );
        assert!(Query::parse("\"*-()").is_none());
        assert!(Query::parse("").is_none());
    }
}

#[cfg(test)]
mod equivalence {
    use super::*;
    use proptest::prelude::*;

    /// The tokenizer as first written (a `Vec` per run), kept to check the fast one.
    fn reference(text: &str, every_unigram: bool) -> String {
        let mut out: Vec<String> = Vec::new();
        let runs = runs(text);
        for (i, (class, chars, separated)) in runs.iter().enumerate() {
            match class {
                Class::Latin => out.push(chars.iter().collect()),
                Class::Han => {
                    for pair in chars.windows(2) {
                        out.push(pair.iter().collect());
                    }
                    let into_latin =
                        !separated && runs.get(i + 1).is_some_and(|r| r.0 == Class::Latin);
                    if every_unigram || chars.len() == 1 || into_latin {
                        out.extend(chars.last().map(|c| c.to_string()));
                    }
                }
                Class::Separator => {}
            }
        }
        out.join(" ")
    }

    proptest! {
        #[test]
        fn fast_tokenizer_matches_the_reference(
            text in "[通知如下防汛aB9Ｇ２，。 \\n、〔〕]{0,40}",
            every in any::<bool>(),
        ) {
            prop_assert_eq!(index_tokens(&text, every), reference(&text, every));
        }
    }
}
