//! Calendar dates as `YYYY-MM-DD`, for support windows (a Kubernetes version's end of life).
//!
//! The library reads no clock: the caller passes today's date in `CompileOptions::today`
//! (the CLI takes it from `SOURCE_DATE_EPOCH` when set, for reproducible runs, else from the
//! system clock).

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, or `None` when it is not one.
pub fn days(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if date.len() != 10 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The `YYYY-MM-DD` date `days` after 1970-01-01.
pub fn from_days(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips() {
        for date in ["1970-01-01", "2000-02-29", "2026-12-01", "2027-02-28", "2100-03-01"] {
            assert_eq!(super::days(date).map(super::from_days).as_deref(), Some(date));
        }
        assert_eq!(super::days("2026-12-01"), Some(20_788));
        assert_eq!(super::days("2026-13-01"), None);
        assert_eq!(super::days("soon"), None);
    }
}
