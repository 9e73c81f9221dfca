//! 成文日期 / 印发日期: written `2026年11月25日`, Arabic numerals, full year,
//! month and day without 虚位 (GB/T 9704-2012 7.3.5.1).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A calendar date as a 公文 prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DocDate {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl DocDate {
    pub fn new(year: u16, month: u8, day: u8) -> Option<DocDate> {
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (year >= 1000 && (1..=days).contains(&day)).then_some(DocDate { year, month, day })
    }

    /// `YYYY-MM-DD`, for sorting and date pickers.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Display for DocDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}年{}月{}日", self.year, self.month, self.day)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("date is written in Chinese numerals; use Arabic numerals{}", suggest_en(.0))]
    ChineseNumerals(Option<DocDate>),
    #[error("month and day must not have leading zeros{}", suggest_en(&Some(*.0)))]
    LeadingZero(DocDate),
    #[error("write the date with 年, 月 and 日{}", suggest_en(&Some(*.0)))]
    Separators(DocDate),
    #[error("no such calendar date")]
    NoSuchDate,
    #[error("not a date of the form 2026年11月25日")]
    Unrecognised,
}

fn suggest_en(d: &Option<DocDate>) -> String {
    d.map(|d| format!(" (did you mean {d}?)"))
        .unwrap_or_default()
}

impl DateError {
    pub fn message_zh(&self) -> String {
        match self {
            DateError::ChineseNumerals(s) => format!(
                "日期应使用阿拉伯数字{}",
                s.map(|d| format!("，应为“{d}”")).unwrap_or_default()
            ),
            DateError::LeadingZero(d) => format!("月、日不编虚位，应为“{d}”"),
            DateError::Separators(d) => format!("日期应写作“{d}”"),
            DateError::NoSuchDate => "日期不存在，请检查月、日".to_string(),
            DateError::Unrecognised => "日期格式应为“2026年11月25日”".to_string(),
        }
    }

    /// The corrected date, when the intent was clear.
    pub fn suggestion(&self) -> Option<DocDate> {
        match self {
            DateError::ChineseNumerals(s) => *s,
            DateError::LeadingZero(d) | DateError::Separators(d) => Some(*d),
            _ => None,
        }
    }
}

const CHINESE_DIGITS: [(char, u32); 12] = [
    ('〇', 0),
    ('零', 0),
    ('○', 0),
    ('一', 1),
    ('二', 2),
    ('三', 3),
    ('四', 4),
    ('五', 5),
    ('六', 6),
    ('七', 7),
    ('八', 8),
    ('九', 9),
];

fn chinese_digit(c: char) -> Option<u32> {
    CHINESE_DIGITS
        .iter()
        .find(|(d, _)| *d == c)
        .map(|(_, v)| *v)
}

/// 二〇二六 → 2026 (digit by digit); 十一 → 11, 二十五 → 25 (with 十).
fn chinese_number(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    if let Some(pos) = s.find('十') {
        let (tens, ones) = (&s[..pos], &s[pos + '十'.len_utf8()..]);
        let t = if tens.is_empty() {
            1
        } else {
            chinese_number(tens)?
        };
        let o = if ones.is_empty() {
            0
        } else {
            chinese_number(ones)?
        };
        return Some(t * 10 + o);
    }
    s.chars()
        .try_fold(0u32, |acc, c| Some(acc * 10 + chinese_digit(c)?))
}

fn split_ymd(s: &str) -> Option<(&str, &str, &str)> {
    let (y, rest) = s.split_once('年')?;
    let (m, rest) = rest.split_once('月')?;
    let d = rest.strip_suffix('日')?;
    Some((y.trim(), m.trim(), d.trim()))
}

/// `2026-12-07`, `2026.12.7`, `2026/12/7` (full-width separators too): the forms a date
/// is often typed in, which a 公文 writes with 年, 月 and 日. `None` for anything else.
fn separated(s: &str) -> Option<Result<DocDate, DateError>> {
    let mut parts = s.split(['-', '.', '/', '－', '．', '／']);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |p: &str, max: usize| {
        !p.is_empty() && p.len() <= max && p.chars().all(|c| c.is_ascii_digit())
    };
    if parts.next().is_some() || y.len() != 4 || !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return None;
    }
    let date = DocDate::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    Some(
        date.map(DateError::Separators)
            .ok_or(DateError::NoSuchDate)
            .and_then(Err),
    )
}

/// Parses a 公文 date strictly, naming what is wrong with anything else.
pub fn parse_date(input: &str) -> Result<DocDate, DateError> {
    let s = input.trim();
    if let Some(result) = separated(s) {
        return result;
    }
    let (y, m, d) = split_ymd(s).ok_or(DateError::Unrecognised)?;
    let all_ascii = [y, m, d]
        .iter()
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if all_ascii {
        let (Ok(yy), Ok(mm), Ok(dd)) = (y.parse::<u16>(), m.parse::<u8>(), d.parse::<u8>()) else {
            return Err(DateError::Unrecognised);
        };
        if y.len() != 4 {
            return Err(DateError::Unrecognised);
        }
        let date = DocDate::new(yy, mm, dd).ok_or(DateError::NoSuchDate)?;
        if m.starts_with('0') || d.starts_with('0') {
            return Err(DateError::LeadingZero(date));
        }
        return Ok(date);
    }
    let is_chinese =
        |p: &str| !p.is_empty() && p.chars().all(|c| c == '十' || chinese_digit(c).is_some());
    if is_chinese(y) && is_chinese(m) && is_chinese(d) {
        let suggestion = match (chinese_number(y), chinese_number(m), chinese_number(d)) {
            (Some(yy), Some(mm), Some(dd)) => u16::try_from(yy)
                .ok()
                .zip(u8::try_from(mm).ok())
                .zip(u8::try_from(dd).ok())
                .and_then(|((yy, mm), dd)| DocDate::new(yy, mm, dd)),
            _ => None,
        };
        return Err(DateError::ChineseNumerals(suggestion));
    }
    Err(DateError::Unrecognised)
}

/// Beijing time (Asia/Shanghai: UTC+8 all year, no daylight saving). 公文 dates are
/// Beijing dates, whatever the machine's time zone.
fn beijing(at: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let t = chrono::DateTime::parse_from_rfc3339(at).ok()?;
    Some(t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600)?))
}

/// How a time of the 办理记录 is shown everywhere (the printed 办理单, the app's 办理
/// panel, `gongwen flow show`, a refusal naming who acted first): an RFC 3339 instant
/// in Beijing time, `2026年12月8日 01:05`. Text that is not RFC 3339 is given back as
/// it is, so a bad record still shows what it holds.
pub fn beijing_time(at: &str) -> String {
    match beijing(at) {
        Some(t) => t.format("%Y年%-m月%-d日 %H:%M").to_string(),
        None => at.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trail_times_are_beijing_time_a_day_ahead_of_utc_in_the_evening() {
        // 17:05 UTC on the 7th is already 01:05 on the 8th in 宿州.
        assert_eq!(beijing_time("2026-12-07T17:05:00Z"), "2026年12月8日 01:05");
        // New Year's Eve in UTC is New Year's Day in Beijing.
        assert_eq!(beijing_time("2026-12-31T16:00:00Z"), "2027年1月1日 00:00");
        assert_eq!(beijing_time("2026-12-07T08:00:00Z"), "2026年12月7日 16:00");
        // An instant written with another offset is the same instant.
        assert_eq!(
            beijing_time("2026-12-07T19:05:00+02:00"),
            "2026年12月8日 01:05"
        );
        assert_eq!(beijing_time("not a time"), "not a time");
    }

    #[test]
    fn accepts_the_standard_form() {
        assert_eq!(
            parse_date("2026年11月25日"),
            Ok(DocDate {
                year: 2026,
                month: 11,
                day: 25
            })
        );
        assert_eq!(
            parse_date("2024年2月29日").unwrap().to_string(),
            "2024年2月29日"
        );
        assert_eq!(parse_date("2026年1月5日").unwrap().iso(), "2026-01-05");
    }

    #[test]
    fn chinese_numerals_are_refused_with_the_arabic_form() {
        let e = parse_date("二〇二六年十一月二十五日").unwrap_err();
        assert_eq!(e.suggestion().unwrap().to_string(), "2026年11月25日");
        assert!(e.message_zh().contains("阿拉伯数字"));
        assert!(e.message_zh().contains("2026年11月25日"));
        assert_eq!(
            parse_date("二〇二六年一月十日")
                .unwrap_err()
                .suggestion()
                .unwrap()
                .to_string(),
            "2026年1月10日"
        );
    }

    #[test]
    fn a_date_typed_with_separators_is_refused_with_the_written_form() {
        for typed in [
            "2026-12-07",
            "2026.12.7",
            "2026/12/7",
            "2026－12－07",
            "2026．12．7",
            " 2026-12-7 ",
        ] {
            let e = parse_date(typed).unwrap_err();
            assert_eq!(
                e.suggestion().unwrap().to_string(),
                "2026年12月7日",
                "{typed}"
            );
            assert_eq!(e.message_zh(), "日期应写作“2026年12月7日”", "{typed}");
            assert!(e.to_string().contains("did you mean 2026年12月7日"), "{e}");
        }
        assert_eq!(parse_date("2026-2-30"), Err(DateError::NoSuchDate));
        for not_a_date in [
            "2026-12",
            "26-12-7",
            "2026-12-7-1",
            "2026-123-7",
            "2026.12.7日",
            "2026-1a-7",
        ] {
            assert_eq!(
                parse_date(not_a_date),
                Err(DateError::Unrecognised),
                "{not_a_date}"
            );
        }
    }

    #[test]
    fn leading_zeros_and_impossible_dates_are_refused() {
        let e = parse_date("2026年01月05日").unwrap_err();
        assert_eq!(
            e,
            DateError::LeadingZero(DocDate {
                year: 2026,
                month: 1,
                day: 5
            })
        );
        assert!(e.message_zh().contains("2026年1月5日"));
        assert_eq!(parse_date("2026年2月29日"), Err(DateError::NoSuchDate));
        assert_eq!(parse_date("2026年13月1日"), Err(DateError::NoSuchDate));
        assert_eq!(parse_date(""), Err(DateError::Unrecognised));
    }
}
