//! Working days under the 2026 holiday notice, a year not yet entered, and calendar files
//! an admin gets wrong.

use chrono::NaiveDate;
use gongwen_core::calendar::WorkCalendar;

fn d(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

#[test]
fn the_spring_festival_and_its_worked_saturday_count_as_the_notice_says() {
    let cal = WorkCalendar::shipped();
    assert!(cal.covers(2026));
    // Friday 13 February: the next working day is Saturday the 14th (调休上班), then
    // nothing until Tuesday the 24th (15–23 off).
    assert!(cal.is_working_day(d("2026-02-14")));
    assert!(
        !cal.is_working_day(d("2026-02-16")),
        "a Monday in the holiday"
    );
    assert_eq!(cal.add_working_days(d("2026-02-13"), 1), d("2026-02-14"));
    assert_eq!(cal.add_working_days(d("2026-02-13"), 2), d("2026-02-24"));
    // 国庆: 1–7 October off, Saturday 10 October worked.
    assert_eq!(cal.add_working_days(d("2026-09-30"), 1), d("2026-10-08"));
    assert_eq!(cal.add_working_days(d("2026-10-08"), 2), d("2026-10-10"));
    assert_eq!(cal.add_working_days(d("2026-09-30"), 0), d("2026-09-30"));
}

#[test]
fn time_left_and_time_overdue_count_working_days_only() {
    let cal = WorkCalendar::shipped();
    // Due Thursday 8 October, seen on 30 September: one working day left.
    assert_eq!(cal.working_days_until(d("2026-09-30"), d("2026-10-08")), 1);
    assert_eq!(cal.working_days_until(d("2026-10-08"), d("2026-10-08")), 0);
    // Due Friday 9 October, seen on Monday 12 October: Saturday the 10th was worked, so
    // two working days late.
    assert_eq!(cal.working_days_until(d("2026-10-12"), d("2026-10-09")), -2);
}

#[test]
fn a_year_not_entered_counts_monday_to_friday_and_says_so() {
    let cal = WorkCalendar::shipped();
    assert!(!cal.covers(2027));
    // 1 January 2027 is a Friday: a working day until the 2027 notice is entered.
    assert!(cal.is_working_day(d("2027-01-01")));
    assert_eq!(cal.add_working_days(d("2026-12-31"), 2), d("2027-01-04"));
}

const GOOD: &str = r#"[[year]]
year = 2026
source = "test"
holidays = [["2026-01-01", "2026-01-03"]]
workdays = ["2026-01-04"]
"#;

fn refused(source: &str) -> gongwen_core::calendar::CalendarError {
    match WorkCalendar::parse(source) {
        Ok(_) => panic!("accepted a bad calendar:\n{source}"),
        Err(e) => e,
    }
}

#[test]
fn mistakes_in_a_calendar_file_are_refused_with_their_line() {
    assert!(WorkCalendar::parse(GOOD).is_ok());

    let weekday = refused(&GOOD.replace("2026-01-04", "2026-01-05"));
    assert_eq!(weekday.line, Some(5), "{weekday}");
    assert!(
        weekday.to_string().contains("Saturday or Sunday"),
        "{weekday}"
    );
    assert!(
        weekday.message_zh().starts_with("第5行："),
        "{}",
        weekday.message_zh()
    );

    let other_year = refused(&GOOD.replace("\"2026-01-03\"", "\"2027-01-03\""));
    assert_eq!(other_year.line, Some(4), "{other_year}");

    let reversed = refused(&GOOD.replace(
        "[\"2026-01-01\", \"2026-01-03\"]",
        "[\"2026-01-03\", \"2026-01-01\"]",
    ));
    assert!(reversed.to_string().contains("ends before"), "{reversed}");

    let both = refused(&GOOD.replace("2026-01-04", "2026-01-03"));
    assert!(
        both.to_string().contains("both a holiday and a workday"),
        "{both}"
    );

    let twice = refused(&format!("{GOOD}\n{GOOD}"));
    assert!(twice.to_string().contains("entered twice"), "{twice}");
    assert_eq!(twice.line, Some(7), "{twice}");

    let not_a_date = refused(&GOOD.replace("2026-01-04", "2026-02-30"));
    assert_eq!(not_a_date.line, Some(5), "{not_a_date}");

    let misspelt = refused(&GOOD.replace("workdays", "work_days"));
    assert!(misspelt.to_string().contains("work_days"), "{misspelt}");
}
