//! 发文字号: 机关代字 + 〔年份〕 + 顺序号 + 号, e.g. `宿政〔2026〕12号` (GB/T 9704-2012 7.2.4).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A well-formed 发文字号. Only [`FromStr`] builds one from text, and it accepts exactly
/// what GB/T 9704 prints: 〔〕 brackets, a 4-digit year, no 第, no leading zeros.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocNumber {
    issuer_code: String,
    year: u16,
    serial: u32,
}

impl DocNumber {
    /// `issuer_code` must be non-empty without whitespace or brackets; `serial` ≥ 1.
    pub fn new(issuer_code: &str, year: u16, serial: u32) -> Result<Self, DocNumberError> {
        let mut faults = Vec::new();
        if issuer_code.trim().is_empty() {
            faults.push(DocNumberFault::MissingIssuerCode);
        } else if issuer_code
            .chars()
            .any(|c| c.is_whitespace() || is_bracket(c))
        {
            faults.push(DocNumberFault::Unrecognised);
        }
        if !(1000..=9999).contains(&year) {
            faults.push(DocNumberFault::BadYear);
        }
        if serial == 0 {
            faults.push(DocNumberFault::ZeroSerial);
        }
        if faults.is_empty() {
            Ok(DocNumber {
                issuer_code: issuer_code.to_string(),
                year,
                serial,
            })
        } else {
            Err(DocNumberError {
                faults,
                suggestion: None,
            })
        }
    }

    pub fn issuer_code(&self) -> &str {
        &self.issuer_code
    }
    pub fn year(&self) -> u16 {
        self.year
    }
    pub fn serial(&self) -> u32 {
        self.serial
    }
}

impl fmt::Display for DocNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}〔{}〕{}号", self.issuer_code, self.year, self.serial)
    }
}

impl From<DocNumber> for String {
    fn from(n: DocNumber) -> String {
        n.to_string()
    }
}

impl TryFrom<String> for DocNumber {
    type Error = DocNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// One way a written 发文字号 departs from the standard form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocNumberFault {
    Empty,
    MissingIssuerCode,
    /// Year in [], 【】, () … instead of the hexagonal 〔〕.
    WrongBrackets,
    BadYear,
    /// `012号`: the serial carries 虚位 (leading zeros).
    LeadingZero,
    ZeroSerial,
    /// `第12号`: no 第 before the serial.
    HasOrdinalPrefix,
    MissingHao,
    /// Full-width digits (１２) instead of Arabic half-width ones.
    FullWidthDigits,
    Unrecognised,
}

impl DocNumberFault {
    pub fn message_zh(self) -> &'static str {
        match self {
            DocNumberFault::Empty => "发文字号为空",
            DocNumberFault::MissingIssuerCode => "缺少发文机关代字",
            DocNumberFault::WrongBrackets => "年份应使用六角括号〔〕，不能用[]、【】或()",
            DocNumberFault::BadYear => "年份应为4位阿拉伯数字全称",
            DocNumberFault::LeadingZero => "发文顺序号不编虚位（如1不编为01或001）",
            DocNumberFault::ZeroSerial => "发文顺序号从1开始",
            DocNumberFault::HasOrdinalPrefix => "发文顺序号前不加“第”字",
            DocNumberFault::MissingHao => "发文字号应以“号”结尾",
            DocNumberFault::FullWidthDigits => "数字应使用半角阿拉伯数字",
            DocNumberFault::Unrecognised => "无法识别为“机关代字〔年份〕序号号”的格式",
        }
    }

    pub fn message_en(self) -> &'static str {
        match self {
            DocNumberFault::Empty => "document number is empty",
            DocNumberFault::MissingIssuerCode => "issuer code is missing",
            DocNumberFault::WrongBrackets => "the year must be in hexagonal brackets 〔〕",
            DocNumberFault::BadYear => "the year must be four Arabic digits",
            DocNumberFault::LeadingZero => "the serial must not have leading zeros",
            DocNumberFault::ZeroSerial => "the serial starts at 1",
            DocNumberFault::HasOrdinalPrefix => "no 第 before the serial",
            DocNumberFault::MissingHao => "the number must end with 号",
            DocNumberFault::FullWidthDigits => "digits must be half-width Arabic numerals",
            DocNumberFault::Unrecognised => "not of the form <code>〔<year>〕<serial>号",
        }
    }
}

/// Every fault found in a written 发文字号, and the corrected form when one can be inferred.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid document number: {}{}", self.faults.iter().map(|f| f.message_en()).collect::<Vec<_>>().join("; "), self.suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
pub struct DocNumberError {
    pub faults: Vec<DocNumberFault>,
    pub suggestion: Option<DocNumber>,
}

impl DocNumberError {
    /// One sentence for the clerk: what is wrong and, if known, the right form.
    pub fn message_zh(&self) -> String {
        let faults: Vec<&str> = self.faults.iter().map(|f| f.message_zh()).collect();
        let mut msg = format!("发文字号格式不正确：{}", faults.join("；"));
        if let Some(s) = &self.suggestion {
            msg.push_str(&format!("。应为“{s}”"));
        }
        msg
    }
}

const OPEN: [char; 9] = ['〔', '[', '【', '(', '（', '［', '〈', '{', '｛'];
const CLOSE: [char; 9] = ['〕', ']', '】', ')', '）', '］', '〉', '}', '｝'];

fn is_bracket(c: char) -> bool {
    OPEN.contains(&c) || CLOSE.contains(&c)
}

/// Maps full-width digits to ASCII; reports whether any were seen.
fn normalise_digits(s: &str) -> (String, bool) {
    let mut full = false;
    let out = s
        .chars()
        .map(|c| match c {
            '０'..='９' => {
                full = true;
                char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c)
            }
            _ => c,
        })
        .collect();
    (out, full)
}

impl FromStr for DocNumber {
    type Err = DocNumberError;

    /// Strict: accepts only the standard form, but reads sloppy forms far enough to name
    /// each fault and suggest the correction (`宿政[2026]012号` → `宿政〔2026〕12号`).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        let fail = |faults: Vec<DocNumberFault>, suggestion: Option<DocNumber>| {
            Err(DocNumberError { faults, suggestion })
        };
        if s.is_empty() {
            return fail(vec![DocNumberFault::Empty], None);
        }
        let (s, full_width) = normalise_digits(s);
        let mut faults = Vec::new();
        if full_width {
            faults.push(DocNumberFault::FullWidthDigits);
        }

        let Some(open_at) = s.find(|c: char| OPEN.contains(&c)) else {
            return fail(vec![DocNumberFault::Unrecognised], None);
        };
        let open = s[open_at..].chars().next().unwrap_or('〔');
        let after_open = &s[open_at + open.len_utf8()..];
        let Some(close_rel) = after_open.find(|c: char| CLOSE.contains(&c)) else {
            return fail(vec![DocNumberFault::Unrecognised], None);
        };
        let close = after_open[close_rel..].chars().next().unwrap_or('〕');
        if open != '〔' || close != '〕' {
            faults.push(DocNumberFault::WrongBrackets);
        }

        let code = s[..open_at].trim();
        if code.is_empty() {
            faults.push(DocNumberFault::MissingIssuerCode);
        } else if code.chars().any(|c| c.is_whitespace() || is_bracket(c)) {
            return fail(vec![DocNumberFault::Unrecognised], None);
        }

        let year_text = after_open[..close_rel].trim();
        let year = match year_text.parse::<u16>() {
            Ok(y) if year_text.len() == 4 && (1000..=9999).contains(&y) => Some(y),
            _ => {
                faults.push(DocNumberFault::BadYear);
                None
            }
        };

        let mut rest = after_open[close_rel + close.len_utf8()..].trim();
        if let Some(r) = rest.strip_prefix('第') {
            faults.push(DocNumberFault::HasOrdinalPrefix);
            rest = r.trim_start();
        }
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (digits, tail) = rest.split_at(digits_end);
        if digits.is_empty() {
            return fail(vec![DocNumberFault::Unrecognised], None);
        }
        match tail.trim() {
            "号" => {}
            "" => faults.push(DocNumberFault::MissingHao),
            _ => return fail(vec![DocNumberFault::Unrecognised], None),
        }
        if digits.len() > 1 && digits.starts_with('0') {
            faults.push(DocNumberFault::LeadingZero);
        }
        let serial = match digits.trim_start_matches('0').parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ if digits.chars().all(|c| c == '0') => {
                faults.push(DocNumberFault::ZeroSerial);
                None
            }
            _ => {
                faults.push(DocNumberFault::Unrecognised);
                None
            }
        };

        let candidate = match (code.is_empty(), year, serial) {
            (false, Some(year), Some(serial)) => Some(DocNumber {
                issuer_code: code.to_string(),
                year,
                serial,
            }),
            _ => None,
        };
        match (faults.is_empty(), candidate) {
            (true, Some(n)) => Ok(n),
            (_, suggestion) => fail(faults, suggestion),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints_the_standard_form() {
        let n: DocNumber = "宿政〔2026〕12号".parse().unwrap();
        assert_eq!(n.issuer_code(), "宿政");
        assert_eq!(n.year(), 2026);
        assert_eq!(n.serial(), 12);
        assert_eq!(n.to_string(), "宿政〔2026〕12号");
        let n: DocNumber = "国办发〔2012〕1号".parse().unwrap();
        assert_eq!(n.to_string(), "国办发〔2012〕1号");
    }

    #[test]
    fn names_each_fault_and_suggests_the_fix() {
        let e = "宿政[2026]012号".parse::<DocNumber>().unwrap_err();
        assert_eq!(
            e.faults,
            vec![DocNumberFault::WrongBrackets, DocNumberFault::LeadingZero]
        );
        assert_eq!(e.suggestion.unwrap().to_string(), "宿政〔2026〕12号");

        let e = "宿发改【2026】第3号".parse::<DocNumber>().unwrap_err();
        assert!(e.faults.contains(&DocNumberFault::WrongBrackets));
        assert!(e.faults.contains(&DocNumberFault::HasOrdinalPrefix));
        assert_eq!(
            e.suggestion.as_ref().unwrap().to_string(),
            "宿发改〔2026〕3号"
        );
        assert!(e.to_string().contains("did you mean 宿发改〔2026〕3号"));

        let e = "宿政〔２０２６〕５号".parse::<DocNumber>().unwrap_err();
        assert_eq!(e.faults, vec![DocNumberFault::FullWidthDigits]);
        assert_eq!(e.suggestion.unwrap().to_string(), "宿政〔2026〕5号");

        let e = "宿政〔26〕5号".parse::<DocNumber>().unwrap_err();
        assert_eq!(e.faults, vec![DocNumberFault::BadYear]);
        assert!(e.suggestion.is_none());
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for bad in [
            "",
            "宿政2026年12号",
            "〔2026〕12号",
            "宿政〔2026〕号",
            "宿政〔2026〕0号",
            "宿政〔2026〕12号附",
        ] {
            assert!(bad.parse::<DocNumber>().is_err(), "{bad} should be refused");
        }
        let e = "〔2026〕12号".parse::<DocNumber>().unwrap_err();
        assert_eq!(e.faults, vec![DocNumberFault::MissingIssuerCode]);
    }

    #[test]
    fn zh_message_names_the_fault_and_the_fix() {
        let e = "宿政[2026]012号".parse::<DocNumber>().unwrap_err();
        let m = e.message_zh();
        assert!(m.contains("六角括号"), "{m}");
        assert!(m.contains("虚位"), "{m}");
        assert!(m.contains("应为“宿政〔2026〕12号”"), "{m}");
    }

    fn issuer_code() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec!['宿', '政', '办', '发', '改', '函', '统', 'X', 'Q']),
            1..6,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(code in issuer_code(), year in 1000u16..=9999, serial in 1u32..1_000_000) {
            let n = DocNumber::new(&code, year, serial).unwrap();
            let text = n.to_string();
            let back: DocNumber = text.parse().unwrap();
            prop_assert_eq!(&back, &n);
            prop_assert_eq!(back.to_string(), text);
        }

        #[test]
        fn sloppy_forms_suggest_the_standard_one(
            code in issuer_code(), year in 1000u16..=9999, serial in 1u32..100_000,
            bracket in 0usize..OPEN.len(), zeros in 0usize..3, di in any::<bool>()
        ) {
            let text = format!("{code}{}{year}{}{}{}{serial}号", OPEN[bracket], CLOSE[bracket], if di { "第" } else { "" }, "0".repeat(zeros));
            let expected = DocNumber::new(&code, year, serial).unwrap();
            match text.parse::<DocNumber>() {
                Ok(n) => {
                    prop_assert!(bracket == 0 && zeros == 0 && !di);
                    prop_assert_eq!(n, expected);
                }
                Err(e) => {
                    prop_assert!(!e.faults.is_empty());
                    prop_assert_eq!(e.suggestion, Some(expected));
                }
            }
        }

        #[test]
        fn never_panics_on_any_text(s in "\\PC{0,30}") {
            let _ = s.parse::<DocNumber>();
        }
    }
}
