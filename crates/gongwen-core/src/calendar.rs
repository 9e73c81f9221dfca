//! Working days, for 限办日期 and 催办: a deadline of "5 个工作日" skips weekends and
//! public holidays, and counts the weekend days worked in exchange (调休上班). The
//! holidays are data (`assets/calendar.toml`, one entry per year from the 国务院办公厅
//! notice), because they change every year and are published only in November.
//!
//! A year without an entry counts Monday to Friday; [`WorkCalendar::covers`] says so, so
//! that a deadline in such a year can be shown as provisional.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;

/// The calendar shipped in `assets/calendar.toml`.
pub const DEFAULT_CALENDAR: &str = include_str!("../../../assets/calendar.toml");

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Year {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

/// Which days are working days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    years: BTreeMap<i32, Year>,
}

/// What is wrong with a calendar file, and on which line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", .line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct CalendarError {
    pub line: Option<usize>,
    pub message: String,
    message_zh: String,
}

impl CalendarError {
    pub fn message_zh(&self) -> String {
        let at = self.line.map(|l| format!("第{l}行：")).unwrap_or_default();
        format!("{at}{}", self.message_zh)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    #[serde(default)]
    year: Vec<toml::Spanned<RawYear>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: i32,
    /// Where the dates come from, for whoever checks them.
    #[allow(dead_code)]
    source: String,
    #[serde(default)]
    holidays: Vec<toml::Spanned<[NaiveDate; 2]>>,
    #[serde(default)]
    workdays: Vec<toml::Spanned<NaiveDate>>,
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl WorkCalendar {
    /// The calendar shipped with the program.
    pub fn shipped() -> WorkCalendar {
        // Checked by this crate's tests; a failure is a build that shipped a broken
        // asset, not bad input.
        WorkCalendar::parse(DEFAULT_CALENDAR).expect("the shipped calendar is valid")
    }

    /// Reads and checks a calendar file: every date in its entry's year, each range in
    /// order, each 调休 workday a Saturday or Sunday that is not also a holiday, each
    /// year once.
    pub fn parse(source: &str) -> Result<WorkCalendar, CalendarError> {
        let line_of = |offset: usize| source[..offset.min(source.len())].matches('\n').count() + 1;
        let raw: RawCalendar = toml::from_str(source).map_err(|e| CalendarError {
            line: e.span().map(|s| line_of(s.start)),
            message: e.message().trim().to_string(),
            message_zh: format!("日历文件格式错误：{}", e.message().trim()),
        })?;
        let fail = |offset: usize, message: String, message_zh: String| CalendarError {
            line: Some(line_of(offset)),
            message,
            message_zh,
        };
        let mut years = BTreeMap::new();
        for entry in &raw.year {
            let y = entry.get_ref();
            let mut year = Year::default();
            for range in &y.holidays {
                let [first, last] = *range.get_ref();
                let at = range.span().start;
                if first.year() != y.year || last.year() != y.year {
                    return Err(fail(
                        at,
                        format!("holiday {first}–{last} is not in {}", y.year),
                        format!("假期{first}至{last}不在{}年。", y.year),
                    ));
                }
                if last < first {
                    return Err(fail(
                        at,
                        format!("holiday {first}–{last} ends before it starts"),
                        format!("假期{first}至{last}的结束日早于开始日。"),
                    ));
                }
                year.holidays
                    .extend(first.iter_days().take_while(|d| *d <= last));
            }
            for day in &y.workdays {
                let d = *day.get_ref();
                let at = day.span().start;
                if d.year() != y.year {
                    return Err(fail(
                        at,
                        format!("workday {d} is not in {}", y.year),
                        format!("调休上班日{d}不在{}年。", y.year),
                    ));
                }
                if !is_weekend(d) {
                    return Err(fail(
                        at,
                        format!("workday {d} is a {}; only a Saturday or Sunday can be worked in exchange", d.weekday()),
                        format!("调休上班日{d}不是周六或周日。"),
                    ));
                }
                if year.holidays.contains(&d) {
                    return Err(fail(
                        at,
                        format!("{d} is both a holiday and a workday"),
                        format!("{d}既是假期又是调休上班日。"),
                    ));
                }
                year.workdays.insert(d);
            }
            if years.insert(y.year, year).is_some() {
                return Err(fail(
                    entry.span().start,
                    format!("{} is entered twice", y.year),
                    format!("{}年录入了两次。", y.year),
                ));
            }
        }
        Ok(WorkCalendar { years })
    }

    /// Whether the year's holidays are entered; if not, only weekends are days off.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.years.get(&day.year()) {
            Some(y) if y.workdays.contains(&day) => true,
            Some(y) if y.holidays.contains(&day) => false,
            _ => !is_weekend(day),
        }
    }

    /// The `n`th working day after `from` (which itself is not counted): a document
    /// received on `from` with "n 个工作日" is due at the end of that day. `n = 0` is
    /// `from` itself.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day = day + Days::new(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working days from `today` to `due`: positive while there is time (1 means due on
    /// the next working day), 0 on the day itself or when only days off lie between,
    /// negative once it is overdue (-1: one working day late).
    pub fn working_days_until(&self, today: NaiveDate, due: NaiveDate) -> i64 {
        let (from, to, sign) = if due >= today {
            (today, due, 1)
        } else {
            (due, today, -1)
        };
        let count = from
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as i64;
        sign * count
    }
}
