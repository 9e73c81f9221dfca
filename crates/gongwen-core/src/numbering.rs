//! 文号 series: which series a document's number comes from, as data, and how a number
//! of a series is written.
//!
//! A unit keeps several series (standards §2.9): 宿州市人民政府办公室 numbers the
//! 市政府's 普发 documents as 宿政发, its 小批 ones as 宿政, its letters as 宿政函, its own
//! documents as 宿政办发 / 宿政办, 令 as 第N号 and the 常务会议纪要 as 第N期. A series is a
//! mark and a year ([`SeriesKey`]); the server counts each one (its storage holds the
//! counter, see `gongwen-exchange`'s `NumberWrite`) and gives the next number at 编号,
//! after 签发. Until then a document carries the series' provisional mark
//! ([`provisional_text`]: `宿发改〔2026〕　号`, the number left blank as on a paper
//! 发文稿纸), which validation reports as 待编号, not as an error.
//!
//! The rules are a TOML file ([`NumberingRules::parse`]; the demo units' in
//! `assets/numbering.toml`), one table per unit code:
//!
//! ```toml
//! [unit.sz-gov]
//! incoming = "宿政办收"      # the 收文编号 series: 宿政办收〔2026〕15号
//! wide_from = 5              # this many recipient units make a document 普发
//!
//! [[unit.sz-gov.series]]     # tried in the order written; the first match wins
//! name = "市政府普发文件"
//! mark = "宿政发"            # 机关代字, unique in the file
//! kinds = ["notice"]         # 文种; omitted: every kind but 命令（令）
//! breadth = "wide"           # wide (普发) | narrow (小批); omitted: both
//! issuer = "宿州市人民政府"  # the 发文机关标志 starts with it; omitted: any
//! form = "doc_number"        # doc_number (宿政发〔2026〕3号) | order (第3号) | issue (第3期)
//! yearly = true              # false: the count runs on across years (令号)
//! ```
//!
//! **Breadth.** 普发 (sent widely, e.g. to every county and department) or 小批 (to a
//! few named units) is read from the document itself, as the office would judge it on
//! the 发文稿纸: a recipient (主送 or 抄送) written as a class of units (it contains 各:
//! 各县、区人民政府, 市政府各部门, 各有关单位) makes it 普发, and so do `wide_from` or more
//! recipients; anything else is 小批. A caller that knows better (a choice made at 编号)
//! passes the breadth itself to [`NumberingRules::series_for_breadth`].
//!
//! **收文编号.** Each unit numbers what it receives in its own yearly series, written like
//! a 发文字号 with the unit's 收文 mark: `宿发改收〔2026〕15号`. The mark says whose
//! register it is, so the number is never taken for the sender's 发文字号.
//!
//! A file is refused at load, with the line and the reason, when a mark is used twice
//! or cannot be written in a 发文字号, when a series can never be chosen (earlier
//! series take all its documents), when some 文种 and breadth would find no series
//! (every kind but 令 must be covered by series without an `issuer` condition), or when
//! a 令 would be numbered otherwise than 第N号.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::wire::UnitCode;
use crate::{DocKind, DocNumber, Document};

/// The demo units' rules, as shipped in `assets/numbering.toml`.
pub const DEMO_RULES: &str = include_str!("../../../assets/numbering.toml");

/// How the numbers of a series are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberForm {
    /// 发文字号: `宿政〔2026〕12号` (GB/T 9704-2012 7.2.4).
    #[default]
    DocNumber,
    /// 令号: `第12号` (10.2).
    Order,
    /// 纪要's issue: `第12期`.
    Issue,
}

/// One series: a mark and the year it counts in. The storage text ([`SeriesKey::text`],
/// also its `Display`) names the counter on the server: `宿发改/2026`, or the mark alone
/// for a series that runs on across years (`宿政令`). Marks are unique in a rules file,
/// so the text alone tells series apart; `form` says how its numbers are written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeriesKey {
    /// 机关代字 (`宿发改`) or a 收文 mark (`宿发改收`).
    pub mark: String,
    /// The year counted in; 0 for a series that runs on across years.
    pub year: i32,
    pub form: NumberForm,
}

impl SeriesKey {
    /// The stable text storage keys the series' counter and register by.
    pub fn text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.year == 0 {
            f.write_str(&self.mark)
        } else {
            write!(f, "{}/{}", self.mark, self.year)
        }
    }
}

/// The number text a document carries once it has number `n` (≥ 1) of `key`:
/// `宿发改〔2026〕12号` (which [`DocNumber`] reads back), `第12号` or `第12期`.
pub fn number_text(key: &SeriesKey, n: i64) -> String {
    debug_assert!(n >= 1, "numbers of a series start at 1");
    match key.form {
        NumberForm::DocNumber => format!("{}〔{}〕{n}号", key.mark, key.year),
        NumberForm::Order => format!("第{n}号"),
        NumberForm::Issue => format!("第{n}期"),
    }
}

/// The blank where the number will go, one ideographic space wide.
const BLANK: char = '\u{3000}';

/// What a document carries before 编号: the number text with the number left blank,
/// as on a paper 发文稿纸 (`宿发改〔2026〕　号`, `第　号`, `第　期`). Validation reports it
/// as 待编号 (a warning), never as a malformed 发文字号.
pub fn provisional_text(key: &SeriesKey) -> String {
    match key.form {
        NumberForm::DocNumber => format!("{}〔{}〕{BLANK}号", key.mark, key.year),
        NumberForm::Order => format!("第{BLANK}号"),
        NumberForm::Issue => format!("第{BLANK}期"),
    }
}

/// Whether `text` is a provisional mark: a number text whose number is blank (spaces,
/// half- or full-width, or nothing), with a year of four digits when it has one.
pub fn is_provisional(text: &str) -> bool {
    provisional_form(text).is_some()
}

/// The form of a provisional mark (see [`is_provisional`]), `None` for any other text.
pub fn provisional_form(text: &str) -> Option<NumberForm> {
    let t = text.trim();
    let blank = |s: &str| s.chars().all(char::is_whitespace);
    if let Some(inner) = t.strip_prefix('第') {
        return if inner.strip_suffix('号').is_some_and(blank) {
            Some(NumberForm::Order)
        } else if inner.strip_suffix('期').is_some_and(blank) {
            Some(NumberForm::Issue)
        } else {
            None
        };
    }
    let (mark, rest) = t.split_once('〔')?;
    let (year, tail) = rest.split_once('〕')?;
    (!mark.trim().is_empty()
        && year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && tail.strip_suffix('号').is_some_and(blank))
    .then_some(NumberForm::DocNumber)
}

/// 普发 or 小批: how widely a document goes (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Breadth {
    /// 普发
    Wide,
    /// 小批
    Narrow,
}

impl Breadth {
    pub const ALL: [Breadth; 2] = [Breadth::Wide, Breadth::Narrow];

    pub fn label(self) -> &'static str {
        match self {
            Breadth::Wide => "普发",
            Breadth::Narrow => "小批",
        }
    }

    /// The breadth of `doc`: 普发 when a recipient is a class of units (its name has
    /// 各) or when it has `wide_from` or more recipients (主送 and 抄送), else 小批.
    pub fn of(doc: &Document, wide_from: usize) -> Breadth {
        let recipients: Vec<&str> = doc
            .main_recipients
            .iter()
            .chain(&doc.cc_recipients)
            .map(|r| r.trim())
            .filter(|r| !r.is_empty())
            .collect();
        if recipients.iter().any(|r| r.contains('各')) || recipients.len() >= wide_from {
            Breadth::Wide
        } else {
            Breadth::Narrow
        }
    }
}

/// One series of a unit, as its rules file defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Series {
    /// What the office calls it (`市政府普发文件`); the mark when the file names none.
    pub name: String,
    pub mark: String,
    /// 文种 it numbers.
    pub kinds: Vec<DocKind>,
    /// `None`: both.
    pub breadth: Option<Breadth>,
    /// The first line of the 发文机关标志 starts with this; `None`: any issuer.
    pub issuer: Option<String>,
    pub form: NumberForm,
    /// False: one count across years (令号).
    pub yearly: bool,
}

impl Series {
    fn matches(&self, kind: DocKind, issuer_mark: &str, breadth: Breadth) -> bool {
        self.kinds.contains(&kind)
            && self.breadth.is_none_or(|b| b == breadth)
            && self
                .issuer
                .as_deref()
                .is_none_or(|i| issuer_mark.trim().starts_with(i))
    }

    fn key(&self, year: i32) -> Result<SeriesKey, NumberingError> {
        Ok(SeriesKey {
            mark: self.mark.clone(),
            year: if self.yearly { check_year(year)? } else { 0 },
            form: self.form,
        })
    }
}

/// A unit's series, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitRules {
    /// The mark of its 收文编号 series.
    pub incoming: String,
    /// This many recipients make a document 普发.
    pub wide_from: usize,
    /// In the order they are tried.
    pub series: Vec<Series>,
}

/// Every unit's series, checked: see the module doc for the format and the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NumberingRules {
    units: BTreeMap<UnitCode, UnitRules>,
}

impl NumberingRules {
    /// The demo units' rules (`assets/numbering.toml`).
    pub fn demo() -> NumberingRules {
        // The shipped file is checked by this module's tests; a failure here is a build
        // that shipped a broken asset, not bad input.
        NumberingRules::parse(DEMO_RULES).expect("the shipped numbering rules are valid")
    }

    /// Reads and checks a rules file. The first problem found is returned, with the
    /// line it is on.
    pub fn parse(source: &str) -> Result<NumberingRules, NumberingError> {
        let raw: RawRules =
            toml::from_str(source).map_err(|e| NumberingError::syntax(source, &e))?;
        check(source, raw)
    }

    pub fn unit(&self, unit: &UnitCode) -> Option<&UnitRules> {
        self.units.get(unit)
    }

    fn rules_of(&self, unit: &UnitCode) -> Result<&UnitRules, NumberingError> {
        self.units
            .get(unit)
            .ok_or_else(|| NumberingError::lookup(NumberingProblem::UnknownUnit(unit.clone())))
    }

    /// The series `doc` is numbered in by `unit` in `year`: by its 文种, its breadth
    /// ([`Breadth::of`]) and the first line of its 发文机关标志.
    pub fn series_for(
        &self,
        unit: &UnitCode,
        doc: &Document,
        year: i32,
    ) -> Result<SeriesKey, NumberingError> {
        let rules = self.rules_of(unit)?;
        let issuer = doc.issuer_mark.first().map(String::as_str).unwrap_or("");
        self.series_for_breadth(
            unit,
            doc.kind,
            issuer,
            Breadth::of(doc, rules.wide_from),
            year,
        )
    }

    /// [`Self::series_for`] with the breadth given rather than read from the document.
    pub fn series_for_breadth(
        &self,
        unit: &UnitCode,
        kind: DocKind,
        issuer_mark: &str,
        breadth: Breadth,
        year: i32,
    ) -> Result<SeriesKey, NumberingError> {
        let rules = self.rules_of(unit)?;
        let series = rules
            .series
            .iter()
            .find(|s| s.matches(kind, issuer_mark, breadth))
            .ok_or_else(|| {
                NumberingError::lookup(NumberingProblem::NoSeriesFor {
                    unit: unit.clone(),
                    kind,
                    breadth,
                })
            })?;
        series.key(year)
    }

    /// The unit's 收文编号 series for `year`.
    pub fn incoming_series(&self, unit: &UnitCode, year: i32) -> Result<SeriesKey, NumberingError> {
        let rules = self.rules_of(unit)?;
        Ok(SeriesKey {
            mark: rules.incoming.clone(),
            year: check_year(year)?,
            form: NumberForm::DocNumber,
        })
    }
}

fn check_year(year: i32) -> Result<i32, NumberingError> {
    if (1000..=9999).contains(&year) {
        Ok(year)
    } else {
        Err(NumberingError::lookup(NumberingProblem::BadYear(year)))
    }
}

/// What is wrong with a rules file, and where; or why no series could be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{problem}", .line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct NumberingError {
    /// 1-based line of the unit or series at fault, for a problem in a file.
    pub line: Option<usize>,
    pub problem: NumberingProblem,
}

impl NumberingError {
    /// In Chinese, for an admin or a clerk.
    pub fn message_zh(&self) -> String {
        let at = self.line.map(|l| format!("第{l}行：")).unwrap_or_default();
        format!("{at}{}", self.problem.message_zh())
    }

    fn syntax(source: &str, e: &toml::de::Error) -> NumberingError {
        NumberingError {
            line: e.span().map(|s| line_of(source, s.start)),
            problem: NumberingProblem::Syntax(e.message().trim().to_string()),
        }
    }

    fn lookup(problem: NumberingProblem) -> NumberingError {
        NumberingError {
            line: None,
            problem,
        }
    }
}

/// The rules a numbering file keeps, and the lookups that can fail. English in
/// `Display` (logs, CLI), Chinese in [`NumberingProblem::message_zh`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberingProblem {
    /// Not TOML, a misspelt key, an unknown 文种, breadth or form.
    #[error("{0}")]
    Syntax(String),
    #[error("the file names no unit")]
    NoUnits,
    #[error("unit `{0}` has no series")]
    NoSeries(UnitCode),
    #[error("mark `{0}` cannot be written in a document number (1–16 characters, no spaces, brackets or /)")]
    BadMark(String),
    #[error("mark `{0}` is used twice: each series needs its own")]
    DuplicateMark(String),
    #[error("series `{0}` lists no kind")]
    NoKinds(String),
    #[error("series `{0}`: an order (令) is numbered 第N号, so order and the order form go together and alone")]
    OrderForm(String),
    #[error("series `{0}`: the issue form (第N期) is for minutes (纪要) only")]
    IssueForm(String),
    #[error("series `{0}`: only order and issue numbers may run on across years; a document number carries its year")]
    NotYearly(String),
    #[error("series `{0}` is never chosen: the series before it take all its documents")]
    Shadowed(String),
    #[error("unit `{unit}` has no series for a {} ({}) of any issuer", .kind.label(), .breadth.label())]
    Uncovered {
        unit: UnitCode,
        kind: DocKind,
        breadth: Breadth,
    },
    #[error("wide_from must be at least 1")]
    BadWideFrom,
    #[error("no numbering rules for unit `{0}`")]
    UnknownUnit(UnitCode),
    #[error("unit `{unit}` has no series for a {} ({})", .kind.label(), .breadth.label())]
    NoSeriesFor {
        unit: UnitCode,
        kind: DocKind,
        breadth: Breadth,
    },
    #[error("year {0} is not a four-digit year")]
    BadYear(i32),
}

impl NumberingProblem {
    pub fn message_zh(&self) -> String {
        match self {
            NumberingProblem::Syntax(m) => format!("编号规则文件格式错误：{m}"),
            NumberingProblem::NoUnits => "编号规则中没有任何单位。".into(),
            NumberingProblem::NoSeries(u) => format!("单位“{u}”没有任何编号序列。"),
            NumberingProblem::BadMark(m) => {
                format!("机关代字“{m}”无法写入发文字号：应为1～16个字，不含空格、括号或“/”。")
            }
            NumberingProblem::DuplicateMark(m) => {
                format!("机关代字“{m}”用了两次，每个编号序列须有自己的代字。")
            }
            NumberingProblem::NoKinds(m) => format!("编号序列“{m}”没有列出任何文种。"),
            NumberingProblem::OrderForm(m) => format!(
                "编号序列“{m}”：命令（令）按“第N号”编号，令的序列只能编令，也只能用令号格式。"
            ),
            NumberingProblem::IssueForm(m) => {
                format!("编号序列“{m}”：“第N期”格式只用于纪要。")
            }
            NumberingProblem::NotYearly(m) => format!(
                "编号序列“{m}”：只有令号和纪要期号可以跨年连续编号，发文字号含年份，须按年编号。"
            ),
            NumberingProblem::Shadowed(m) => {
                format!("编号序列“{m}”永远不会被选用：排在它前面的序列已包揽它的全部公文。")
            }
            NumberingProblem::Uncovered {
                unit,
                kind,
                breadth,
            } => format!(
                "单位“{unit}”没有适用于{}（{}）的通用编号序列（不限发文机关）。",
                kind.label(),
                breadth.label()
            ),
            NumberingProblem::BadWideFrom => "wide_from（普发的最少收文单位数）至少为1。".into(),
            NumberingProblem::UnknownUnit(u) => format!("没有单位“{u}”的编号规则。"),
            NumberingProblem::NoSeriesFor {
                unit,
                kind,
                breadth,
            } => format!(
                "单位“{unit}”没有适用于{}（{}）的编号序列。",
                kind.label(),
                breadth.label()
            ),
            NumberingProblem::BadYear(y) => format!("年份{y}不是四位数的年份。"),
        }
    }
}

// ---- the file as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    unit: BTreeMap<String, toml::Spanned<RawUnit>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    incoming: toml::Spanned<String>,
    wide_from: Option<usize>,
    #[serde(default)]
    series: Vec<toml::Spanned<RawSeries>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeries {
    name: Option<String>,
    mark: toml::Spanned<String>,
    kinds: Option<Vec<DocKind>>,
    breadth: Option<Breadth>,
    issuer: Option<String>,
    #[serde(default)]
    form: NumberForm,
    #[serde(default = "yes")]
    yearly: bool,
}

fn yes() -> bool {
    true
}

/// Wide enough for any office's mark; the text must make a valid 发文字号.
fn valid_mark(mark: &str) -> bool {
    (1..=16).contains(&mark.chars().count())
        && !mark.contains('/')
        && DocNumber::new(mark, 2026, 1).is_ok()
}

fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}

fn check(source: &str, raw: RawRules) -> Result<NumberingRules, NumberingError> {
    let at = |offset: usize, problem: NumberingProblem| NumberingError {
        line: Some(line_of(source, offset)),
        problem,
    };
    if raw.unit.is_empty() {
        return Err(NumberingError::lookup(NumberingProblem::NoUnits));
    }
    // Marks are unique in the whole file: the storage text of a series is its mark and
    // year, so two units sharing a mark would share one counter.
    let mut marks: HashSet<String> = HashSet::new();
    let mut claim = |mark: &toml::Spanned<String>| -> Result<(), NumberingError> {
        let m = mark.get_ref();
        if !valid_mark(m) {
            return Err(at(mark.span().start, NumberingProblem::BadMark(m.clone())));
        }
        if !marks.insert(m.clone()) {
            return Err(at(
                mark.span().start,
                NumberingProblem::DuplicateMark(m.clone()),
            ));
        }
        Ok(())
    };

    let mut units = BTreeMap::new();
    for (code, spanned) in &raw.unit {
        let u = spanned.get_ref();
        let unit_at = spanned.span().start;
        let code = UnitCode(code.clone());
        claim(&u.incoming)?;
        let wide_from = u.wide_from.unwrap_or(5);
        if wide_from == 0 {
            return Err(at(unit_at, NumberingProblem::BadWideFrom));
        }
        if u.series.is_empty() {
            return Err(at(unit_at, NumberingProblem::NoSeries(code)));
        }
        let mut series: Vec<Series> = Vec::new();
        for s in &u.series {
            let here = s.span().start;
            let r = s.get_ref();
            claim(&r.mark)?;
            let mark = r.mark.get_ref().clone();
            let kinds = match &r.kinds {
                Some(k) => k.clone(),
                None => DocKind::ALL
                    .into_iter()
                    .filter(|k| *k != DocKind::Order)
                    .collect(),
            };
            if kinds.is_empty() {
                return Err(at(here, NumberingProblem::NoKinds(mark)));
            }
            let has_order = kinds.contains(&DocKind::Order);
            if has_order != (r.form == NumberForm::Order) || (has_order && kinds.len() > 1) {
                return Err(at(here, NumberingProblem::OrderForm(mark)));
            }
            if r.form == NumberForm::Issue && kinds.iter().any(|k| *k != DocKind::Minutes) {
                return Err(at(here, NumberingProblem::IssueForm(mark)));
            }
            if !r.yearly && r.form == NumberForm::DocNumber {
                return Err(at(here, NumberingProblem::NotYearly(mark)));
            }
            let next = Series {
                name: r
                    .name
                    .clone()
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| mark.clone()),
                mark: mark.clone(),
                kinds,
                breadth: r.breadth,
                issuer: r.issuer.clone().filter(|i| !i.trim().is_empty()),
                form: r.form,
                yearly: r.yearly,
            };
            // Never chosen: every (kind, breadth) it takes is taken first by an earlier
            // series whose issuer condition is as wide (none, or the same).
            let shadowed = next.kinds.iter().all(|&k| {
                Breadth::ALL
                    .iter()
                    .filter(|b| next.breadth.is_none_or(|nb| nb == **b))
                    .all(|&b| {
                        series.iter().any(|e| {
                            e.kinds.contains(&k)
                                && e.breadth.is_none_or(|eb| eb == b)
                                && (e.issuer.is_none() || e.issuer == next.issuer)
                        })
                    })
            });
            if shadowed {
                return Err(at(here, NumberingProblem::Shadowed(mark)));
            }
            series.push(next);
        }
        // Every kind but 令 (which only governments issue) finds a series whatever the
        // issuer line says, so 编号 never fails for a kind the unit may issue.
        for kind in DocKind::ALL.into_iter().filter(|k| *k != DocKind::Order) {
            for breadth in Breadth::ALL {
                let covered = series.iter().any(|s| {
                    s.issuer.is_none()
                        && s.kinds.contains(&kind)
                        && s.breadth.is_none_or(|b| b == breadth)
                });
                if !covered {
                    return Err(at(
                        unit_at,
                        NumberingProblem::Uncovered {
                            unit: code,
                            kind,
                            breadth,
                        },
                    ));
                }
            }
        }
        units.insert(
            code,
            UnitRules {
                incoming: u.incoming.get_ref().clone(),
                wide_from,
                series,
            },
        );
    }
    Ok(NumberingRules { units })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str) -> UnitCode {
        UnitCode(code.into())
    }

    fn doc(kind: DocKind, mark: &str, main: &[&str], cc: &[&str]) -> Document {
        let mut d = Document::new(kind);
        d.issuer_mark = vec![mark.into()];
        d.main_recipients = main.iter().map(|s| s.to_string()).collect();
        d.cc_recipients = cc.iter().map(|s| s.to_string()).collect();
        d
    }

    fn series(rules: &NumberingRules, code: &str, d: &Document) -> String {
        rules.series_for(&unit(code), d, 2026).unwrap().to_string()
    }

    #[test]
    fn the_shipped_rules_pick_the_series_an_office_expects() {
        let rules = NumberingRules::demo();
        let gov = "宿州市人民政府文件";
        let office = "宿州市人民政府办公室文件";
        // 普发: to a class of units, or to many.
        let wide = doc(
            DocKind::Notice,
            gov,
            &["各县、区人民政府", "市政府各部门"],
            &[],
        );
        assert_eq!(series(&rules, "sz-gov", &wide), "宿政发/2026");
        let many = doc(
            DocKind::Decision,
            gov,
            &["市发展改革委", "市财政局", "市统计局"],
            &["埇桥区人民政府", "砀山县人民政府"],
        );
        assert_eq!(series(&rules, "sz-gov", &many), "宿政发/2026");
        // 小批: a few named units.
        let narrow = doc(DocKind::Reply, gov, &["埇桥区人民政府"], &["市自然资源局"]);
        assert_eq!(series(&rules, "sz-gov", &narrow), "宿政/2026");
        // The 办公室's own documents, by the first line of the 发文机关标志.
        let wide = doc(DocKind::Notice, office, &["各县、区人民政府办公室"], &[]);
        assert_eq!(series(&rules, "sz-gov", &wide), "宿政办发/2026");
        let narrow = doc(DocKind::Notice, office, &["市教育局"], &[]);
        assert_eq!(series(&rules, "sz-gov", &narrow), "宿政办/2026");
        let letter = doc(
            DocKind::Letter,
            "宿州市人民政府办公室",
            &["各县区政府"],
            &[],
        );
        assert_eq!(series(&rules, "sz-gov", &letter), "宿政办函/2026");
        let letter = doc(DocKind::Letter, "宿州市人民政府", &["淮北市人民政府"], &[]);
        assert_eq!(series(&rules, "sz-gov", &letter), "宿政函/2026");
        // 令 and 纪要 have their own series and forms; 令号 run on across years.
        let order = rules
            .series_for(
                &unit("sz-gov"),
                &doc(DocKind::Order, "宿州市人民政府令", &[], &[]),
                2026,
            )
            .unwrap();
        assert_eq!(order.to_string(), "宿政令");
        assert_eq!(number_text(&order, 7), "第7号");
        let minutes = rules
            .series_for(
                &unit("sz-gov"),
                &doc(DocKind::Minutes, "宿州市人民政府常务会议纪要", &[], &[]),
                2026,
            )
            .unwrap();
        assert_eq!(minutes.to_string(), "宿政常纪/2026");
        assert_eq!(number_text(&minutes, 5), "第5期");
        // A department: one series for documents, one for letters, one for minutes.
        let n = doc(
            DocKind::Notice,
            "宿州市发展和改革委员会文件",
            &["各县区发展改革委"],
            &[],
        );
        assert_eq!(series(&rules, "sz-fgw", &n), "宿发改/2026");
        let n = doc(
            DocKind::Request,
            "宿州市发展和改革委员会",
            &["宿州市人民政府"],
            &[],
        );
        assert_eq!(series(&rules, "sz-fgw", &n), "宿发改/2026");
        let l = doc(
            DocKind::Letter,
            "宿州市发展和改革委员会",
            &["市统计局"],
            &[],
        );
        assert_eq!(series(&rules, "sz-fgw", &l), "宿发改函/2026");
    }

    #[test]
    fn a_number_text_is_a_doc_number_and_the_provisional_mark_is_not() {
        let rules = NumberingRules::demo();
        let key = rules
            .series_for(
                &unit("sz-fgw"),
                &doc(
                    DocKind::Notice,
                    "宿州市发展和改革委员会文件",
                    &["市统计局"],
                    &[],
                ),
                2026,
            )
            .unwrap();
        let text = number_text(&key, 12);
        assert_eq!(text, "宿发改〔2026〕12号");
        let parsed: DocNumber = text.parse().unwrap();
        assert_eq!(
            (parsed.issuer_code(), parsed.year(), parsed.serial()),
            ("宿发改", 2026, 12)
        );
        let provisional = provisional_text(&key);
        assert_eq!(provisional, "宿发改〔2026〕\u{3000}号");
        assert!(is_provisional(&provisional));
        assert!(provisional.parse::<DocNumber>().is_err());
        assert!(!is_provisional(&text));
        for blank in [
            "第　号",
            "第 期",
            "第号",
            "宿政办发〔2026〕  号",
            "宿政〔2026〕号",
        ] {
            assert!(is_provisional(blank), "{blank}");
        }
        for not in [
            "第3号",
            "宿政〔26〕　号",
            "〔2026〕　号",
            "宿政〔2026〕3号",
            "待编号",
            "",
        ] {
            assert!(!is_provisional(not), "{not}");
        }
    }

    #[test]
    fn every_number_the_shipped_rules_give_validates_and_so_does_its_provisional_mark() {
        use crate::{validate, Element, Severity};
        let rules = NumberingRules::demo();
        let units = ["sz-gov", "sz-fgw", "sz-tjj", "yq-gov", "sz-daj"];
        let marks = [
            "宿州市人民政府文件",
            "宿州市人民政府办公室文件",
            "宿州市统计局",
        ];
        let mut seen = 0;
        for code in units {
            for kind in DocKind::ALL {
                for (main, mark) in [
                    (vec!["各县、区人民政府"], marks[0]),
                    (vec!["市统计局"], marks[1]),
                ]
                .into_iter()
                .chain(marks.iter().map(|m| (vec!["市财政局"], *m)))
                {
                    let mut d = doc(kind, mark, &main, &[]);
                    d.date_of_issue = "2026年12月7日".into();
                    let Ok(key) = rules.series_for(&unit(code), &d, 2026) else {
                        // Only a 令 of a unit that issues none finds no series.
                        assert_eq!(kind, DocKind::Order, "{code} {kind:?}");
                        continue;
                    };
                    let number_problems = |text: String| -> Vec<Severity> {
                        let d = Document {
                            doc_number: text,
                            ..d.clone()
                        };
                        validate(&d)
                            .into_iter()
                            .filter(|p| p.element == Element::DocNumber)
                            .map(|p| p.severity)
                            .collect()
                    };
                    let text = number_text(&key, 12);
                    assert_eq!(
                        number_problems(text.clone()),
                        vec![],
                        "{code} {kind:?} {text}"
                    );
                    let blank = provisional_text(&key);
                    assert_eq!(
                        number_problems(blank.clone()),
                        vec![Severity::Warning],
                        "{code} {kind:?} {blank}"
                    );
                    seen += 1;
                }
            }
        }
        assert!(seen > 300, "{seen}");
    }

    #[test]
    fn the_incoming_series_is_the_units_own_per_year() {
        let rules = NumberingRules::demo();
        let key = rules.incoming_series(&unit("sz-tjj"), 2026).unwrap();
        assert_eq!(key.to_string(), "宿统收/2026");
        assert_eq!(number_text(&key, 15), "宿统收〔2026〕15号");
        assert!(number_text(&key, 15).parse::<DocNumber>().is_ok());
        let next_year = rules.incoming_series(&unit("sz-tjj"), 2027).unwrap();
        assert_ne!(key.text(), next_year.text());
        assert_ne!(
            rules.incoming_series(&unit("sz-fgw"), 2026).unwrap().text(),
            key.text()
        );
    }

    #[test]
    fn lookups_that_cannot_succeed_say_why() {
        let rules = NumberingRules::demo();
        let d = doc(DocKind::Notice, "", &["市统计局"], &[]);
        let e = rules.series_for(&unit("sz-xxx"), &d, 2026).unwrap_err();
        assert_eq!(e.problem, NumberingProblem::UnknownUnit(unit("sz-xxx")));
        assert!(e.message_zh().contains("sz-xxx"), "{}", e.message_zh());
        // A department issues no 令.
        let order = doc(DocKind::Order, "", &[], &[]);
        let e = rules.series_for(&unit("sz-fgw"), &order, 2026).unwrap_err();
        assert!(matches!(
            e.problem,
            NumberingProblem::NoSeriesFor {
                kind: DocKind::Order,
                ..
            }
        ));
        assert!(e.message_zh().contains("命令（令）"), "{}", e.message_zh());
        let e = rules.series_for(&unit("sz-fgw"), &d, 26).unwrap_err();
        assert_eq!(e.problem, NumberingProblem::BadYear(26));
    }

    const GOOD: &str = r#"
[unit.sz-fgw]
incoming = "宿发改收"

[[unit.sz-fgw.series]]
mark = "宿发改函"
kinds = ["letter"]

[[unit.sz-fgw.series]]
mark = "宿发改"
"#;

    fn refused(source: &str) -> NumberingError {
        NumberingRules::parse(source).expect_err("the file should be refused")
    }

    #[test]
    fn a_small_file_parses() {
        let rules = NumberingRules::parse(GOOD).unwrap();
        let u = rules.unit(&unit("sz-fgw")).unwrap();
        assert_eq!(u.wide_from, 5);
        assert_eq!(u.series.len(), 2);
        assert_eq!(u.series[1].name, "宿发改");
    }

    #[test]
    fn a_bad_file_is_refused_with_its_line_and_reason() {
        // A misspelt 文种, on line 7.
        let e = refused(&GOOD.replace(r#"["letter"]"#, r#"["leter"]"#));
        assert_eq!(e.line, Some(7));
        assert!(matches!(e.problem, NumberingProblem::Syntax(_)), "{e}");
        assert!(e.to_string().starts_with("line 7: "), "{e}");

        // A mark used twice, on the series' mark line (10).
        let e = refused(&GOOD.replace(r#"mark = "宿发改""#, r#"mark = "宿发改函""#));
        assert_eq!(e.line, Some(10));
        assert_eq!(
            e.problem,
            NumberingProblem::DuplicateMark("宿发改函".into())
        );
        assert!(e.message_zh().starts_with("第10行："), "{}", e.message_zh());

        // A mark no 发文字号 could carry.
        let e = refused(&GOOD.replace(r#"mark = "宿发改""#, r#"mark = "宿 发改""#));
        assert_eq!(
            (e.line, e.problem),
            (Some(10), NumberingProblem::BadMark("宿 发改".into()))
        );

        // Letters of every breadth go to 宿发改函 first: a letters-only series after a
        // catch-all is never chosen.
        let swapped = r#"
[unit.sz-fgw]
incoming = "宿发改收"

[[unit.sz-fgw.series]]
mark = "宿发改"

[[unit.sz-fgw.series]]
mark = "宿发改函"
kinds = ["letter"]
"#;
        let e = refused(swapped);
        assert_eq!(
            (e.line, e.problem),
            (Some(8), NumberingProblem::Shadowed("宿发改函".into()))
        );

        // 小批 notices would find no series.
        let uncovered = r#"
[unit.sz-fgw]
incoming = "宿发改收"

[[unit.sz-fgw.series]]
mark = "宿发改"
breadth = "wide"
"#;
        let e = refused(uncovered);
        assert_eq!(e.line, Some(2));
        assert!(
            matches!(
                e.problem,
                NumberingProblem::Uncovered {
                    breadth: Breadth::Narrow,
                    ..
                }
            ),
            "{e}"
        );

        // A 令 numbered as a 发文字号, and a 发文字号 series that never restarts.
        let e = refused(&format!(
            "{GOOD}\n[[unit.sz-fgw.series]]\nmark = \"宿发改令\"\nkinds = [\"order\"]\n"
        ));
        assert_eq!(e.problem, NumberingProblem::OrderForm("宿发改令".into()));
        assert_eq!(e.line, Some(12));
        let e = refused(&GOOD.replace(
            "kinds = [\"letter\"]",
            "kinds = [\"letter\"]\nyearly = false",
        ));
        assert_eq!(
            (e.line, e.problem),
            (Some(5), NumberingProblem::NotYearly("宿发改函".into()))
        );

        // An unknown key.
        let e = refused(&GOOD.replace("incoming", "incomming"));
        assert!(matches!(e.problem, NumberingProblem::Syntax(_)), "{e}");
        assert!(e.line.is_some());
        assert_eq!(refused("").problem, NumberingProblem::NoUnits);
    }

    #[test]
    fn breadth_is_read_from_the_recipients() {
        let few = doc(DocKind::Notice, "", &["市统计局"], &["市财政局"]);
        assert_eq!(Breadth::of(&few, 5), Breadth::Narrow);
        assert_eq!(Breadth::of(&few, 2), Breadth::Wide);
        let class = doc(DocKind::Notice, "", &["各有关单位"], &[]);
        assert_eq!(Breadth::of(&class, 5), Breadth::Wide);
        let blank = doc(DocKind::Notice, "", &[" ", ""], &[]);
        assert_eq!(Breadth::of(&blank, 1), Breadth::Narrow);
    }
}
