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
//! characters of each body ([`position_free_tokens`]), so a 1-character query is one short
//! doclist read instead of a merge of every bigram that starts with it.
//!
//! Latin letters and digits are found inside words too (`026` finds `2026`, `9704`
//! finds `GB/T9704-2012`): the same position-free table also holds, for every Latin
//! word, its pieces of 2 to [`LATIN_EXACT_MAX`] characters and its longer suffixes
//! ([`push_latin_terms`]: `2026` → `02 026 20 202 2026 26`), once for all fields and once,
//! marked (`·026`), for the header fields. A query part that is one Latin word of 2 to
//! [`LATIN_SUFFIX_MAX`] characters is looked up there: up to [`LATIN_EXACT_MAX`]
//! characters as one term (one doclist read newest-first that stops at the page, like
//! any other term), longer as a prefix of a suffix (FTS5 then merges the doclists of
//! every suffix that starts with it; long parts are rare and match few words). Why
//! this and not trigrams or a scan of the text: no positions are needed, a
//! 2-character part is found too, and Latin words in a 公文 are few and short (years,
//! 文号 numbers, standard numbers, GDP), so they add tens of terms a document to the
//! few hundred distinct characters already there, and no table of their own (see
//! [`position_free_tokens`]). Words are not joined across punctuation: `GB/T` is the
//! words `gb` and `t`, so `BT` is not found, and `B/T` is two parts that must both
//! occur. Limits: a match must start within the first [`LATIN_SUFFIX_MAX`] characters
//! of its word (longer words are rare: identifiers, hashes), and a Latin word that is
//! only part of a mixed query part (`026年`, `v2版`) still matches from its word's
//! start, because a position-free table cannot say what follows the piece.
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
#[cfg(test)]
pub(crate) fn distinct_chars(text: &str) -> String {
    let mut out = String::new();
    scan(text, &mut LatinWords::default(), &mut out);
    out
}

/// One pass over `text`: its distinct letters and digits, sorted and space-separated,
/// into `out`, and its Latin words into `words`. One pass, because this runs for
/// every document of an import: a second pass just for the few Latin words cost an
/// import of 20,000 documents about 3% more CPU.
fn scan(text: &str, words: &mut LatinWords, out: &mut String) {
    let mut set: Vec<char> = Vec::with_capacity(text.len() / 2);
    for c in text.chars().map(normalize_char) {
        words.next(c);
        if class(c) != Class::Separator {
            set.push(c);
        }
    }
    words.end_word();
    set.sort_unstable();
    set.dedup();
    out.reserve(set.len() * 4);
    for c in set {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push(c);
    }
}

/// The Latin words of a text, normalised, read one character at a time.
#[derive(Default)]
struct LatinWords {
    /// The words one after another.
    buf: String,
    /// Each word's range in `buf`.
    words: Vec<(usize, usize)>,
    /// Where the word being read starts in `buf`.
    start: usize,
}

impl LatinWords {
    fn of(text: &str) -> LatinWords {
        let mut words = LatinWords::default();
        for c in text.chars().map(normalize_char) {
            words.next(c);
        }
        words.end_word();
        words
    }

    /// Takes the next character, already normalised.
    fn next(&mut self, c: char) {
        if c.is_ascii_alphanumeric() {
            self.buf.push(c);
        } else {
            self.end_word();
        }
    }

    /// Ends the word being read; a 1-character word is dropped (the character table
    /// has it already).
    fn end_word(&mut self) {
        let len = self.buf.len() - self.start;
        if len >= 2 {
            self.words.push((self.start, self.buf.len()));
            self.start = self.buf.len();
        } else if len == 1 {
            self.buf.truncate(self.start);
        }
    }
}

/// Longest Latin suffix in the character table, and how far into a word a match may
/// start: a word of up to this many characters is found by any part of it; a longer
/// one (an identifier, a hash) by parts that start within its first this many
/// characters. Keeps one long word from adding thousands of characters of tokens.
pub(crate) const LATIN_SUFFIX_MAX: usize = 32;

/// Query parts up to this long are looked up as one exact term of the character
/// table; longer ones as a prefix of a suffix.
pub(crate) const LATIN_EXACT_MAX: usize = 8;

/// [`push_latin_terms`] without a mark, into a new string.
#[cfg(test)]
pub(crate) fn latin_terms(text: &str) -> String {
    let mut out = String::new();
    push_latin_terms(&LatinWords::of(text), "", &mut out);
    out
}

/// The Latin terms of the character table for the `words` of a text, distinct, each
/// after `mark`, appended to `out`, space-separated: of every Latin word,
/// each piece of 2 to [`LATIN_EXACT_MAX`] characters (a single character is looked up
/// in the character table), and each suffix longer than that, cut to
/// [`LATIN_SUFFIX_MAX`]; pieces and suffixes start within the word's first
/// [`LATIN_SUFFIX_MAX`] characters. `GB/T9704-2012` → `01 012 04 12 20 201 2012 70
/// 704 97 970 9704 gb t9 t97 t970 t9704`.
///
/// Why the pieces are made here and not by an FTS5 prefix index over the suffixes:
/// the index would also keep every suffix as a term of its own, which no query reads
/// (a 4-digit year: 9 entries instead of 6).
fn push_latin_terms(words: &LatinWords, mark: &str, out: &mut String) {
    let buf = &words.buf;
    let mut words: Vec<&str> = words.words.iter().map(|&(s, e)| &buf[s..e]).collect();
    words.sort_unstable();
    words.dedup();
    // Latin words are ASCII: byte offsets are character offsets.
    let mut terms: Vec<&str> = Vec::new();
    for w in words {
        for start in 0..(w.len() - 1).min(LATIN_SUFFIX_MAX) {
            let rest = w.len() - start;
            for len in 2..=rest.min(LATIN_EXACT_MAX) {
                terms.push(&w[start..start + len]);
            }
            if rest > LATIN_EXACT_MAX {
                terms.push(&w[start..w.len().min(start + LATIN_SUFFIX_MAX)]);
            }
        }
    }
    terms.sort_unstable();
    terms.dedup();
    for t in terms {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(mark);
        out.push_str(t);
    }
}

/// Marks a Latin piece of the header fields in the character table (`·026`): a
/// non-ASCII character, so FTS5's `ascii` tokenizer keeps it in the token, and not a
/// letter or digit, so no query part and no single-character token contains it.
pub(crate) const HEAD_MARK: &str = "\u{B7}";

/// The row of the position-free character table: the distinct characters of `all`
/// (letters and digits of any script), the Latin pieces of `all` (see [`push_latin_terms`]) and the
/// Latin pieces of `head` after [`HEAD_MARK`]. One table and one row for all three,
/// because each further FTS5 table costs an import a row write per document
/// (measured on 20,000 documents: two tables of their own, with the Latin words read
/// in a pass of their own, took about 8% more import CPU than before; this row, read
/// in the one pass of [`scan`], about 3%).
pub(crate) fn position_free_tokens(all: &str, head: &str) -> String {
    let mut out = String::new();
    let mut words = LatinWords::default();
    scan(all, &mut words, &mut out);
    push_latin_terms(&words, "", &mut out);
    push_latin_terms(&LatinWords::of(head), HEAD_MARK, &mut out);
    out
}

/// A query, split at punctuation and spaces into groups that must all be present.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    /// The normalised text of each group, for finding matches in the original text.
    pub groups: Vec<String>,
    /// Where each group is looked up.
    parts: Vec<Part>,
    /// Groups that are exactly one character: looked up in the character table.
    pub single_chars: Vec<char>,
}

/// How one group of a query is looked up.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    /// One character: the character table (a prefix query in the header table).
    Char(char),
    /// One Latin word of 2 to [`LATIN_SUFFIX_MAX`] characters: one of the Latin pieces
    /// in the character table, so it matches anywhere inside a word.
    Latin(String),
    /// Anything else: an FTS5 phrase in the header and body tables.
    Phrase(String),
}

impl Query {
    /// Parses what a user typed. Nothing in it is FTS5 syntax: only letters and digits
    /// reach the expression, each quoted, so `"`, `*`, `-` or `AND` are never an error.
    pub fn parse(input: &str) -> Option<Query> {
        let mut groups = Vec::new();
        let mut parts = Vec::new();
        let mut group_runs: Vec<(Class, Vec<char>)> = Vec::new();
        let mut flush = |group_runs: &mut Vec<(Class, Vec<char>)>| {
            if group_runs.is_empty() {
                return;
            }
            let text: String = group_runs.iter().flat_map(|(_, c)| c.iter()).collect();
            let len = text.chars().count();
            let part = match (group_runs.as_slice(), text.chars().next()) {
                (_, Some(c)) if len == 1 => Part::Char(c),
                ([(Class::Latin, _)], _) if len <= LATIN_SUFFIX_MAX => Part::Latin(text.clone()),
                _ => Part::Phrase(phrase(group_runs)),
            };
            parts.push(part);
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
        for (g, p) in groups.into_iter().zip(parts) {
            if seen.insert(g.clone()) {
                keep.push((g, p));
            }
        }
        let (groups, parts): (Vec<String>, Vec<Part>) = keep.into_iter().unzip();
        let mut single_chars: Vec<char> = parts
            .iter()
            .filter_map(|p| match p {
                Part::Char(c) => Some(*c),
                _ => None,
            })
            .collect();
        single_chars.sort_unstable();
        single_chars.dedup();
        Some(Query {
            groups,
            parts,
            single_chars,
        })
    }

    /// Expression for a table indexed with [`index_tokens`] and a 1-character prefix
    /// index (the header table): single characters become prefix queries. Latin words
    /// are not in it (see [`Query::latin_head_expression`]); `None` when every group is
    /// one.
    pub fn head_expression(&self) -> Option<String> {
        let parts: Vec<String> = self
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Phrase(p) => Some(p.clone()),
                Part::Char(c) => Some(format!("\"{c}\"*")),
                Part::Latin(_) => None,
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// Expression for the body table: phrases only (`None` when there is none; single
    /// characters and Latin words go to [`Query::chars_expression`]).
    pub fn body_expression(&self) -> Option<String> {
        let parts: Vec<&str> = self
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Phrase(p) => Some(p.as_str()),
                _ => None,
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// Expression for the position-free character table, all fields: its single
    /// characters and its Latin words (`None` when there is neither).
    pub fn chars_expression(&self) -> Option<String> {
        let mut parts: Vec<String> = self
            .single_chars
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect();
        parts.extend(self.latin_terms(""));
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// Expression for the character table's Latin pieces of the header fields (`None`
    /// when no group is a Latin word).
    pub fn latin_head_expression(&self) -> Option<String> {
        let parts = self.latin_terms(HEAD_MARK);
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// Each Latin word as one piece of the character table, or when longer than the
    /// pieces as a prefix of a suffix; inside some word either way.
    fn latin_terms(&self, mark: &str) -> Vec<String> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                // Letters and digits only: quoting is enough to escape them.
                Part::Latin(w) if w.len() <= LATIN_EXACT_MAX => Some(format!("\"{mark}{w}\"")),
                Part::Latin(w) => Some(format!("\"{mark}{w}\"*")),
                _ => None,
            })
            .collect()
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
    fn latin_words_become_their_pieces() {
        assert_eq!(
            latin_terms("按GB/T9704-2012执行"),
            "01 012 04 12 20 201 2012 70 704 97 970 9704 gb t9 t97 t970 t9704"
        );
        assert_eq!(
            latin_terms("２０２６年和2026年，第5条"),
            "02 026 20 202 2026 26"
        );
        // Longer than LATIN_EXACT_MAX: pieces, and the suffixes that are longer (a
        // 9-character part is a prefix of one).
        assert_eq!(
            latin_terms("abcdefghij"),
            "ab abc abcd abcde abcdef abcdefg abcdefgh abcdefghij bc bcd bcde \
             bcdef bcdefg bcdefgh bcdefghi bcdefghij cd cde cdef cdefg cdefgh cdefghi \
             cdefghij de def defg defgh defghi defghij ef efg efgh efghi efghij fg fgh \
             fghi fghij gh ghi ghij hi hij ij"
        );
        assert_eq!(latin_terms("通知"), "");
        let long = "a".repeat(40) + "b";
        let s = latin_terms(&long);
        assert!(s.split(' ').all(|t| t.len() <= LATIN_SUFFIX_MAX), "{s}");
        // Suffixes start within the first LATIN_SUFFIX_MAX characters only: `ab`
        // starts at the 40th.
        assert!(!s.split(' ').any(|t| t.starts_with("ab")), "{s}");
        assert!(s.split(' ').any(|t| t.ends_with("ab")), "{s}");
    }

    #[test]
    fn the_position_free_row_holds_chars_and_latin_pieces() {
        assert_eq!(
            position_free_tokens("通知GB 2026", "GB"),
            "0 2 6 b g 知 通 02 026 20 202 2026 26 gb \u{B7}gb"
        );
    }

    #[test]
    fn latin_query_parts_look_inside_words() {
        let q = Query::parse("026").unwrap();
        assert_eq!(q.head_expression(), None);
        assert_eq!(q.body_expression(), None);
        assert_eq!(q.chars_expression().unwrap(), "\"026\"");
        assert_eq!(q.latin_head_expression().unwrap(), "\"\u{B7}026\"");
        let q = Query::parse("GB18030abc").unwrap();
        assert_eq!(q.chars_expression().unwrap(), "\"gb18030abc\"*");
        // A Latin word inside a mixed part stays in the phrase.
        let q = Query::parse("GB/T 2026年").unwrap();
        assert_eq!(q.groups, vec!["gb", "t", "2026年"]);
        assert_eq!(q.chars_expression().unwrap(), "\"t\" AND \"gb\"");
        assert_eq!(q.body_expression().unwrap(), "\"2026 年\"*");
        // Longer than the suffixes: matched from its word's start, as a phrase.
        let long = "x".repeat(LATIN_SUFFIX_MAX + 1);
        let q = Query::parse(&long).unwrap();
        assert_eq!(q.chars_expression(), None);
        assert_eq!(q.body_expression().unwrap(), format!("\"{long}\"*"));
    }

    #[test]
    fn distinct_chars_are_sorted_and_unique() {
        assert_eq!(distinct_chars("通知通知A"), "a 知 通");
    }

    #[test]
    fn queries_become_quoted_phrases() {
        let q = Query::parse("通知").unwrap();
        assert_eq!(q.head_expression().unwrap(), "\"通知\"");
        let q = Query::parse("防汛工作").unwrap();
        assert_eq!(q.body_expression().unwrap(), "\"防汛 汛工 工作\"");
        let q = Query::parse("市").unwrap();
        assert_eq!(q.head_expression().unwrap(), "\"市\"*");
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
        assert_eq!(q.head_expression().unwrap(), "\"通知\" AND \"防汛\"");
        assert_eq!(q.chars_expression().unwrap(), "\"and\" AND \"or\"");
        assert_eq!(
            q.latin_head_expression().unwrap(),
            "\"\u{B7}and\" AND \"\u{B7}or\""
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

    /// The Latin words of a text as [`runs`] sees them, for checking [`latin_terms`].
    fn reference_latin_words(text: &str) -> Vec<String> {
        let mut words: Vec<String> = runs(text)
            .into_iter()
            .filter(|(class, chars, _)| *class == Class::Latin && chars.len() >= 2)
            .map(|(_, chars, _)| chars.into_iter().collect())
            .collect();
        words.sort_unstable();
        words.dedup();
        words
    }

    proptest! {
        #[test]
        fn latin_terms_are_the_pieces_of_the_reference_words(
            text in "[通知a-cB9Ｇ２ｚ，。 \\n、〔〕/\u{3000}\u{FF08}\u{FFFD}]{0,30}",
        ) {
            let terms = latin_terms(&text);
            let terms: BTreeSet<&str> = terms.split(' ').filter(|t| !t.is_empty()).collect();
            let mut expected = BTreeSet::new();
            for w in reference_latin_words(&text) {
                for s in 0..w.len() {
                    for e in s + 2..=w.len() {
                        let piece = &w[s..e];
                        if piece.len() <= LATIN_EXACT_MAX || e == w.len() {
                            expected.insert(piece.to_string());
                        }
                    }
                }
            }
            let expected: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
            prop_assert_eq!(terms, expected);
        }

        #[test]
        fn fast_tokenizer_matches_the_reference(
            text in "[通知如下防汛aB9Ｇ２，。 \\n、〔〕]{0,40}",
            every in any::<bool>(),
        ) {
            prop_assert_eq!(index_tokens(&text, every), reference(&text, every));
        }
    }
}
