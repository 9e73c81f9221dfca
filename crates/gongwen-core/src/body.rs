//! 正文 as structure: paragraphs and the four heading levels 一、（一）1.（1）.
//!
//! The text a clerk types is the source of truth: one paragraph per line, the heading
//! level read from the numbering the clerk wrote. The level is a pure function of the
//! text, so text → structure → text is lossless and typesetting never guesses.

use serde::{Deserialize, Serialize};

/// Level of a paragraph in the 结构层次序数 of GB/T 9704-2012 7.3.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ParagraphLevel {
    /// Plain body text.
    Text,
    /// 一、 (黑体)
    Heading1,
    /// （一） (楷体)
    Heading2,
    /// 1. (仿宋)
    Heading3,
    /// （1） (仿宋)
    Heading4,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Paragraph {
    pub level: ParagraphLevel,
    /// The paragraph as written, numbering included (`一、总体要求`).
    pub text: String,
}

impl Paragraph {
    pub fn new(text: &str) -> Paragraph {
        Paragraph {
            level: level_of(text),
            text: text.to_string(),
        }
    }
}

/// The 正文 of a document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, type = "string"))]
#[serde(from = "String", into = "String")]
pub struct Body {
    paragraphs: Vec<Paragraph>,
}

impl Body {
    /// Reads text as pasted or typed: each non-blank line is a paragraph. Leading
    /// indentation (spaces, full-width spaces, tabs from Word) is layout, not content,
    /// and is dropped; the words are kept as written.
    pub fn from_text(text: &str) -> Body {
        let paragraphs = text
            .lines()
            .map(|l| {
                l.trim_start_matches([' ', '\t', '\u{3000}', '\u{a0}'])
                    .trim_end()
            })
            .filter(|l| !l.is_empty())
            .map(Paragraph::new)
            .collect();
        Body { paragraphs }
    }

    pub fn paragraphs(&self) -> &[Paragraph] {
        &self.paragraphs
    }

    pub fn is_empty(&self) -> bool {
        self.paragraphs.is_empty()
    }

    /// Counts characters of the text, excluding line breaks.
    pub fn char_count(&self) -> usize {
        self.paragraphs.iter().map(|p| p.text.chars().count()).sum()
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (i, p) in self.paragraphs.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&p.text);
        }
        out
    }
}

impl From<String> for Body {
    fn from(s: String) -> Body {
        Body::from_text(&s)
    }
}

impl From<Body> for String {
    fn from(b: Body) -> String {
        b.to_text()
    }
}

const CHINESE_NUMERALS: &str = "一二三四五六七八九十百零〇";

/// Reads the heading level from the numbering at the start of a paragraph.
pub(crate) fn level_of(text: &str) -> ParagraphLevel {
    fn chinese_run(s: &str) -> usize {
        s.char_indices()
            .take_while(|(_, c)| CHINESE_NUMERALS.contains(*c))
            .last()
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0)
    }
    fn digit_run(s: &str) -> usize {
        s.bytes().take_while(u8::is_ascii_digit).count()
    }

    let n = chinese_run(text);
    if n > 0 && text[n..].starts_with('、') {
        return ParagraphLevel::Heading1;
    }
    if let Some(inner) = text.strip_prefix('（') {
        let n = chinese_run(inner);
        if n > 0 && inner[n..].starts_with('）') {
            return ParagraphLevel::Heading2;
        }
        let n = digit_run(inner);
        if n > 0 && inner[n..].starts_with('）') {
            return ParagraphLevel::Heading4;
        }
    }
    let n = digit_run(text);
    // "1." but not "1.5亿元": the 序号 point is followed by text, not another digit.
    if n > 0 && (text[n..].starts_with('.') || text[n..].starts_with('．')) {
        let after = &text[n + text[n..].chars().next().map_or(0, char::len_utf8)..];
        if !after.starts_with(|c: char| c.is_ascii_digit()) {
            return ParagraphLevel::Heading3;
        }
    }
    ParagraphLevel::Text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ParagraphLevel::*;

    #[test]
    fn reads_the_four_heading_levels() {
        let cases = [
            ("一、总体要求", Heading1),
            ("十二、其他事项", Heading1),
            ("（一）工作目标", Heading2),
            ("（十）附则", Heading2),
            ("1.加强组织领导。", Heading3),
            ("12．压实责任", Heading3),
            ("（1）按月报送。", Heading4),
            ("（23）其他", Heading4),
            ("各县、区人民政府：", Text),
            ("1.5亿元资金已拨付到位。", Text),
            ("2026年全市生产总值增长6%。", Text),
            ("一是加强领导", Text),
            ("(一)半角括号不是标准写法", Text),
        ];
        for (text, level) in cases {
            assert_eq!(level_of(text), level, "{text}");
        }
    }

    #[test]
    fn pasted_word_text_keeps_words_and_drops_indentation() {
        let pasted = "\u{3000}\u{3000}为做好全市防汛工作，现通知如下。\r\n\r\n  一、提高认识\n\t（一）压实责任。\n";
        let body = Body::from_text(pasted);
        let levels: Vec<_> = body.paragraphs().iter().map(|p| p.level).collect();
        assert_eq!(levels, vec![Text, Heading1, Heading2]);
        assert_eq!(
            body.to_text(),
            "为做好全市防汛工作，现通知如下。\n一、提高认识\n（一）压实责任。"
        );
    }

    #[test]
    fn serialises_as_plain_text() {
        let body = Body::from_text("一、总体要求\n坚持问题导向。");
        let json = serde_json::to_string(&body).unwrap();
        assert_eq!(json, r#""一、总体要求\n坚持问题导向。""#);
        let back: Body = serde_json::from_str(&json).unwrap();
        assert_eq!(back, body);
    }

    proptest! {
        #[test]
        fn text_structure_text_is_lossless(lines in proptest::collection::vec("[一二三、（）1.（）为做好工作通知如下。a-z0-9]{1,12}", 0..8)) {
            let body = Body::from_text(&lines.join("\n"));
            let again = Body::from_text(&body.to_text());
            prop_assert_eq!(again, body);
        }
    }
}
