//! 归档 vocabulary shared by the store and the archive crate: the 保管期限
//! ([`RetentionPeriod`], with the codes used before 2006) and the 档号
//! ([`ArchivalCode`], DA/T 22-2015: `全宗号-门类代码·年度-保管期限-机构代码-件号`).
//! Parsing is strict: a 档号 that does not follow the rule is an error that says which
//! part is wrong, never a best guess.

use serde::{Deserialize, Serialize};

/// 保管期限. Since 国家档案局令第8号 (2006): 永久 `Y`, 定期30年 `D30`, 定期10年 `D10`.
/// Before 2006 the periods were 永久/长期/短期 = `Y`/`C`/`D`; [`RetentionPeriod::Long`]
/// and [`RetentionPeriod::Short`] exist only to read such old records: nothing new is
/// filed with them, and a legacy `D` is 短期, never 定期.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RetentionPeriod {
    /// 永久 (Y)
    #[serde(rename = "Y")]
    Permanent,
    /// 定期30年 (D30)
    #[serde(rename = "D30")]
    Years30,
    /// 定期10年 (D10)
    #[serde(rename = "D10")]
    Years10,
    /// 长期 (C), before 2006 only.
    #[serde(rename = "C")]
    Long,
    /// 短期 (D), before 2006 only.
    #[serde(rename = "D")]
    Short,
}

/// The year 国家档案局令第8号 replaced 永久/长期/短期 with 永久/定期30年/定期10年.
pub const RETENTION_RULES_CHANGED: u16 = 2006;

impl RetentionPeriod {
    /// The periods a 件 may be filed with today.
    pub const CURRENT: [RetentionPeriod; 3] = [
        RetentionPeriod::Permanent,
        RetentionPeriod::Years30,
        RetentionPeriod::Years10,
    ];

    /// The code in a 档号: `Y`, `D30`, `D10` (legacy `C`, `D`).
    pub fn code(self) -> &'static str {
        match self {
            RetentionPeriod::Permanent => "Y",
            RetentionPeriod::Years30 => "D30",
            RetentionPeriod::Years10 => "D10",
            RetentionPeriod::Long => "C",
            RetentionPeriod::Short => "D",
        }
    }

    /// 永久, 定期30年, …
    pub fn label(self) -> &'static str {
        match self {
            RetentionPeriod::Permanent => "永久",
            RetentionPeriod::Years30 => "定期30年",
            RetentionPeriod::Years10 => "定期10年",
            RetentionPeriod::Long => "长期",
            RetentionPeriod::Short => "短期",
        }
    }

    /// Only for reading records from before 2006.
    pub fn is_legacy(self) -> bool {
        matches!(self, RetentionPeriod::Long | RetentionPeriod::Short)
    }

    /// How long it keeps, as an order: a period may only be changed to a higher rank
    /// (extended). 长期 (16 to 50 years) ranks above 定期30年.
    pub fn rank(self) -> u8 {
        match self {
            RetentionPeriod::Short => 1,
            RetentionPeriod::Years10 => 2,
            RetentionPeriod::Years30 => 3,
            RetentionPeriod::Long => 4,
            RetentionPeriod::Permanent => 5,
        }
    }

    /// A current code (`Y`, `D30`, `D10`; also `30`, `10`, which some units write).
    pub fn from_code(code: &str) -> Result<RetentionPeriod, ArchivalCodeError> {
        match code.trim() {
            "Y" => Ok(RetentionPeriod::Permanent),
            "D30" | "30" => Ok(RetentionPeriod::Years30),
            "D10" | "10" => Ok(RetentionPeriod::Years10),
            other => Err(ArchivalCodeError::Retention(other.to_string())),
        }
    }

    /// A code as recorded in `year` (the 归档年度): before 2006 `Y`/`C`/`D` (also
    /// 永/长/短) are 永久/长期/短期; from 2006 only the current codes are valid, and
    /// a bare `D` is refused rather than read as one of the 定期 periods.
    pub fn from_legacy_code(code: &str, year: u16) -> Result<RetentionPeriod, ArchivalCodeError> {
        let code = code.trim();
        if year < RETENTION_RULES_CHANGED {
            return match code {
                "Y" | "永" | "永久" => Ok(RetentionPeriod::Permanent),
                "C" | "长" | "长期" => Ok(RetentionPeriod::Long),
                "D" | "短" | "短期" => Ok(RetentionPeriod::Short),
                other => Err(ArchivalCodeError::LegacyRetention {
                    code: other.to_string(),
                    year,
                }),
            };
        }
        match code {
            "永久" => Ok(RetentionPeriod::Permanent),
            "定期30年" => Ok(RetentionPeriod::Years30),
            "定期10年" => Ok(RetentionPeriod::Years10),
            other => {
                RetentionPeriod::from_code(other).map_err(|_| ArchivalCodeError::LegacyRetention {
                    code: other.to_string(),
                    year,
                })
            }
        }
    }
}

impl std::fmt::Display for RetentionPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A 档号 that does not follow DA/T 22-2015, naming the part that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchivalCodeError {
    #[error("档号 {0:?} must be 全宗号-门类代码·年度-保管期限-[机构代码-]件号, e.g. Z109-WS·2026-Y-BGS-0001")]
    Shape(String),
    #[error("全宗号 {0:?} must be 4 characters, capital letters and digits (e.g. Z109)")]
    Fonds(String),
    #[error("档案门类代码 {0:?} must be 2 capital letters (WS for 文书)")]
    Category(String),
    #[error("年度 {0:?} must be a year of 4 digits between 1900 and 2100")]
    Year(String),
    #[error("保管期限 {0:?} must be Y, D30 or D10")]
    Retention(String),
    #[error("保管期限 {code:?} is not a valid code for {year} (before 2006: Y/C/D; from 2006: Y/D30/D10; a bare D is never 定期)")]
    LegacyRetention { code: String, year: u16 },
    #[error("机构（问题）代码 {0:?} must be 1 to 10 capital letters or digits (e.g. BGS)")]
    Org(String),
    #[error("件号 {0:?} must be 4 digits from 0001")]
    ItemNumber(String),
}

/// 档号 of a 件 (DA/T 22-2015): `Z109-WS·2026-Y-BGS-0001`. Levels are joined by `-`,
/// codes of the same level (门类代码 and 年度) by `·` (U+00B7). The 机构（问题） level
/// is optional. Unique as a whole; the 件号 restarts per 全宗/年度/期限/机构.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ArchivalCode {
    /// 全宗号
    pub fonds_code: String,
    /// 档案门类代码 (`WS`)
    pub category_code: String,
    /// 年度
    pub year: u16,
    /// 保管期限
    pub retention: RetentionPeriod,
    /// 机构（问题）代码, when the scheme classifies by organisation.
    pub org_code: Option<String>,
    /// 件号, from 1.
    pub item_number: u32,
}

fn is_code_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

impl ArchivalCode {
    /// Checks each part; the first wrong one is the error.
    pub fn validate(&self) -> Result<(), ArchivalCodeError> {
        if self.fonds_code.chars().count() != 4 || !self.fonds_code.chars().all(is_code_char) {
            return Err(ArchivalCodeError::Fonds(self.fonds_code.clone()));
        }
        if self.category_code.len() != 2
            || !self.category_code.chars().all(|c| c.is_ascii_uppercase())
        {
            return Err(ArchivalCodeError::Category(self.category_code.clone()));
        }
        if !(1900..=2100).contains(&self.year) {
            return Err(ArchivalCodeError::Year(self.year.to_string()));
        }
        if self.retention.is_legacy() != (self.year < RETENTION_RULES_CHANGED)
            && self.retention != RetentionPeriod::Permanent
        {
            return Err(ArchivalCodeError::LegacyRetention {
                code: self.retention.code().into(),
                year: self.year,
            });
        }
        if let Some(org) = &self.org_code {
            if org.is_empty() || org.len() > 10 || !org.chars().all(is_code_char) {
                return Err(ArchivalCodeError::Org(org.clone()));
            }
        }
        if !(1..=9999).contains(&self.item_number) {
            return Err(ArchivalCodeError::ItemNumber(self.item_number.to_string()));
        }
        Ok(())
    }

    /// The class its 件号 counts in: 全宗/门类/年度/期限/机构.
    pub fn class_key(&self) -> String {
        let mut s = format!(
            "{}-{}·{}-{}",
            self.fonds_code,
            self.category_code,
            self.year,
            self.retention.code()
        );
        if let Some(org) = &self.org_code {
            s.push('-');
            s.push_str(org);
        }
        s
    }
}

impl std::fmt::Display for ArchivalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{:04}", self.class_key(), self.item_number)
    }
}

impl std::str::FromStr for ArchivalCode {
    type Err = ArchivalCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shape = || ArchivalCodeError::Shape(s.to_string());
        let parts: Vec<&str> = s.split('-').collect();
        if !(4..=5).contains(&parts.len()) {
            return Err(shape());
        }
        let fonds_code = parts[0].to_string();
        let (category_code, year) = parts[1].split_once('·').ok_or_else(shape)?;
        let year_text = year;
        if year_text.len() != 4 || !year_text.chars().all(|c| c.is_ascii_digit()) {
            return Err(ArchivalCodeError::Year(year_text.to_string()));
        }
        let year: u16 = year_text
            .parse()
            .map_err(|_| ArchivalCodeError::Year(year_text.to_string()))?;
        let retention = RetentionPeriod::from_legacy_code(parts[2], year).map_err(|e| match e {
            ArchivalCodeError::LegacyRetention { code, .. } if year >= RETENTION_RULES_CHANGED => {
                ArchivalCodeError::Retention(code)
            }
            e => e,
        })?;
        let (org_code, item) = if parts.len() == 5 {
            (Some(parts[3].to_string()), parts[4])
        } else {
            (None, parts[3])
        };
        if item.len() != 4 || !item.chars().all(|c| c.is_ascii_digit()) {
            return Err(ArchivalCodeError::ItemNumber(item.to_string()));
        }
        let code = ArchivalCode {
            fonds_code,
            category_code: category_code.to_string(),
            year,
            retention,
            org_code,
            item_number: item
                .parse()
                .map_err(|_| ArchivalCodeError::ItemNumber(item.to_string()))?,
        };
        code.validate()?;
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_as_written() {
        let code: ArchivalCode = "Z109-WS·2026-Y-BGS-0001".parse().unwrap();
        assert_eq!(code.fonds_code, "Z109");
        assert_eq!(code.retention, RetentionPeriod::Permanent);
        assert_eq!(code.org_code.as_deref(), Some("BGS"));
        assert_eq!(code.item_number, 1);
        assert_eq!(code.to_string(), "Z109-WS·2026-Y-BGS-0001");
        let no_org: ArchivalCode = "Z109-WS·2026-D30-0012".parse().unwrap();
        assert_eq!(no_org.org_code, None);
        assert_eq!(no_org.to_string(), "Z109-WS·2026-D30-0012");
    }

    #[test]
    fn each_wrong_part_is_named() {
        use ArchivalCodeError::*;
        let err = |s: &str| s.parse::<ArchivalCode>().unwrap_err();
        assert!(matches!(err("Z109-WS.2026-Y-BGS-0001"), Shape(_)));
        assert!(matches!(err("Z10-WS·2026-Y-BGS-0001"), Fonds(_)));
        assert!(matches!(err("Z109-ws·2026-Y-BGS-0001"), Category(_)));
        assert!(matches!(err("Z109-WS·26-Y-BGS-0001"), Year(_)));
        assert!(matches!(err("Z109-WS·2026-D-BGS-0001"), Retention(_)));
        assert!(matches!(err("Z109-WS·2026-Y-bgs-0001"), Org(_)));
        assert!(matches!(err("Z109-WS·2026-Y-BGS-1"), ItemNumber(_)));
        assert!(matches!(err("Z109-WS·2026-Y-BGS-0000"), ItemNumber(_)));
    }

    #[test]
    fn a_legacy_d_is_short_before_2006_and_never_a_fixed_term() {
        assert_eq!(
            RetentionPeriod::from_legacy_code("D", 1998).unwrap(),
            RetentionPeriod::Short
        );
        assert_eq!(
            RetentionPeriod::from_legacy_code("C", 2005).unwrap(),
            RetentionPeriod::Long
        );
        assert!(RetentionPeriod::from_legacy_code("D", 2006).is_err());
        assert!(RetentionPeriod::from_legacy_code("D30", 2001).is_err());
        assert_eq!(
            RetentionPeriod::from_legacy_code("30", 2010).unwrap(),
            RetentionPeriod::Years30
        );
        let old: ArchivalCode = "J001-WS·1998-D-BGS-0003".parse().unwrap();
        assert_eq!(old.retention, RetentionPeriod::Short);
        assert!("J001-WS·2010-C-BGS-0003".parse::<ArchivalCode>().is_err());
    }
}
