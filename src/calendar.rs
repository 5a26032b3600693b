//! Dates and times of day, the little of a calendar the programme needs.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking the day exists in that month.
    pub fn parse(s: &str) -> Option<Date> {
        let mut it = s.trim().splitn(3, '-');
        let year: i32 = it.next()?.parse().ok()?;
        let month: u32 = it.next()?.parse().ok()?;
        let day: u32 = it.next()?.parse().ok()?;
        let date = Date { year, month, day };
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then_some(date)
    }

    /// The date `n` days later.
    pub fn plus_days(self, n: u32) -> Date {
        let mut d = self;
        for _ in 0..n {
            d.day += 1;
            if d.day > days_in_month(d.year, d.month) {
                d.day = 1;
                d.month += 1;
                if d.month > 12 {
                    d.month = 1;
                    d.year += 1;
                }
            }
        }
        d
    }

    /// 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> usize {
        // Days since 1970-01-01 (a Thursday), by Howard Hinnant's days_from_civil.
        let y = if self.month <= 2 { self.year - 1 } else { self.year } as i64;
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = self.month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        (days + 3).rem_euclid(7) as usize
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Minutes since midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay(pub u32);

impl TimeOfDay {
    /// Parses `HH:MM` (24 h).
    pub fn parse(s: &str) -> Option<TimeOfDay> {
        let (h, m) = s.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 && m.to_string().len() <= 2).then_some(TimeOfDay(h * 60 + m))
    }

    /// Midnight at the end of the day: a session may end then, not later.
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(24 * 60);

    /// `minutes` later the same day, or `None` past midnight (a timetable that wrapped
    /// round would show 09:00–08:59).
    pub fn plus(self, minutes: u32) -> Option<TimeOfDay> {
        self.0.checked_add(minutes).map(TimeOfDay).filter(|t| *t <= Self::END_OF_DAY)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pilot_starts_on_a_monday() {
        let d = Date::parse("2025-10-20").unwrap();
        assert_eq!(d.weekday(), 0);
        assert_eq!(Date::parse("2025-10-24").unwrap().weekday(), 4);
        assert_eq!(Date::parse("2000-02-29").unwrap().weekday(), 1);
    }

    #[test]
    fn impossible_dates_and_times_are_refused() {
        assert!(Date::parse("2025-02-29").is_none());
        assert!(Date::parse("2025-13-01").is_none());
        assert!(Date::parse("20 octobre").is_none());
        assert!(TimeOfDay::parse("24:00").is_none());
        assert_eq!(TimeOfDay::parse("09:30").unwrap().plus(75).unwrap().to_string(), "10:45");
    }

    #[test]
    fn times_do_not_wrap_past_midnight() {
        let nine = TimeOfDay::parse("09:00").unwrap();
        assert_eq!(nine.plus(15 * 60).unwrap().to_string(), "24:00");
        assert_eq!(nine.plus(15 * 60 + 1), None);
        assert_eq!(nine.plus(u32::MAX), None);
    }
}
