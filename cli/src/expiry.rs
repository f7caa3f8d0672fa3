//! A token's expiry for people: "expires in 23 h 12 min, 2026-12-03 06:12
//! UTC", "expired 2 h ago, 2026-12-02 04:00 UTC". The date is computed
//! here (days to a civil date, as in Howard Hinnant's "chrono-compatible
//! low-level date algorithms"), so no date crate is needed for one line.
//! The arithmetic is the library's checked one (`store::expiry`): an expiry
//! no token can have (a file edited by hand or by an attacker) is said to
//! be one, never shown as an overflowed number.

use etna_auth::store::expiry::{judge, Expiry};

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The expiry at `expires_at` seen at `now` (both Unix seconds).
pub fn describe(expires_at: i64, now: i64) -> String {
    match judge(expires_at, now) {
        Expiry::Left(left) => format!("expires in {}, {}", time_left(left), utc(expires_at)),
        Expiry::Ago(ago) => format!("expired {} ago, {}", time_ago(ago), utc(expires_at)),
        Expiry::Implausible => IMPLAUSIBLE.to_owned(),
    }
}

/// What `status` says of an expiry no token can have.
const IMPLAUSIBLE: &str =
    "an expiry no token can have (more than 24 h ahead, or out of range): never used; 'etna-auth logout' removes it";

/// Seconds left for JSON: 0 once expired, `None` for an expiry no token
/// can have.
pub fn seconds_left(expires_at: i64, now: i64) -> Option<i64> {
    match judge(expires_at, now) {
        Expiry::Left(left) => Some(left),
        Expiry::Ago(_) => Some(0),
        Expiry::Implausible => None,
    }
}

/// "23 h 12 min", "12 min", "40 s": rounded down, so never more than is left.
fn time_left(seconds: i64) -> String {
    if seconds >= HOUR {
        format!("{} h {} min", seconds / HOUR, seconds % HOUR / MINUTE)
    } else if seconds >= MINUTE {
        format!("{} min", seconds / MINUTE)
    } else {
        format!("{seconds} s")
    }
}

/// "3 d", "2 h", "12 min", "40 s": the largest unit, rounded down.
fn time_ago(seconds: i64) -> String {
    if seconds >= 2 * DAY {
        format!("{} d", seconds / DAY)
    } else if seconds >= HOUR {
        format!("{} h", seconds / HOUR)
    } else if seconds >= MINUTE {
        format!("{} min", seconds / MINUTE)
    } else {
        format!("{seconds} s")
    }
}

/// Unix seconds as "2026-12-03 06:12 UTC".
pub fn utc(unix: i64) -> String {
    let (days, in_day) = (unix.div_euclid(DAY), unix.rem_euclid(DAY));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        in_day / HOUR,
        in_day % HOUR / MINUTE
    )
}

/// The proleptic Gregorian date of a count of days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Eras of 400 years (146097 days) starting on March 1st, year 0, so that
    // the leap day is the last day of a year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59 UTC");
        // `date -u -d @1796278320`: Thu Dec  3 06:12:00 UTC 2026.
        assert_eq!(utc(1_796_278_320), "2026-12-03 06:12 UTC");
        assert_eq!(utc(1_796_278_379), "2026-12-03 06:12 UTC");
        // Leap days: 2000 (divisible by 400) has one, 2100 does not.
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(951_868_800), "2000-03-01 00:00 UTC");
        assert_eq!(utc(4_107_456_000), "2100-02-28 00:00 UTC");
        assert_eq!(utc(4_107_542_400), "2100-03-01 00:00 UTC");
        assert_eq!(utc(1_709_164_800), "2024-02-29 00:00 UTC");
        assert_eq!(utc(1_735_689_599), "2024-12-31 23:59 UTC");
    }

    #[test]
    fn every_day_follows_the_one_before() {
        // 1900 to 2200: each date is the day after the previous one.
        let mut previous = civil_from_days(-25_567);
        assert_eq!(previous, (1900, 1, 1));
        for days in -25_566..84_000 {
            let (y, m, d) = civil_from_days(days);
            let (py, pm, pd) = previous;
            let next_day = (y, m, d) == (py, pm, pd + 1);
            let next_month = (y, m, d) == (py, pm + 1, 1);
            let next_year = (y, m, d) == (py + 1, 1, 1) && (pm, pd) == (12, 31);
            assert!(
                next_day || next_month || next_year,
                "{previous:?} then {y}-{m}-{d}"
            );
            let month_length = match pm {
                2 if py % 4 == 0 && (py % 100 != 0 || py % 400 == 0) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            if next_month || next_year {
                assert_eq!(pd, month_length, "{previous:?}");
            }
            previous = (y, m, d);
        }
    }

    #[test]
    fn time_left_and_ago_in_words() {
        let now = 1_796_194_800; // 2026-12-02 07:00 UTC
        assert_eq!(
            describe(now + 23 * HOUR + 12 * MINUTE + 59, now),
            "expires in 23 h 12 min, 2026-12-03 06:12 UTC"
        );
        assert_eq!(
            describe(now + 5 * MINUTE, now),
            "expires in 5 min, 2026-12-02 07:05 UTC"
        );
        assert_eq!(
            describe(now + 59, now),
            "expires in 59 s, 2026-12-02 07:00 UTC"
        );
        assert_eq!(
            describe(now - 2 * HOUR - 59 * MINUTE, now),
            "expired 2 h ago, 2026-12-02 04:01 UTC"
        );
        assert_eq!(
            describe(now - 3 * MINUTE, now),
            "expired 3 min ago, 2026-12-02 06:57 UTC"
        );
        assert_eq!(describe(now, now), "expired 0 s ago, 2026-12-02 07:00 UTC");
        assert_eq!(
            describe(now - 47 * HOUR, now),
            "expired 47 h ago, 2026-11-30 08:00 UTC"
        );
        assert_eq!(
            describe(now - 3 * DAY, now),
            "expired 3 d ago, 2026-11-29 07:00 UTC"
        );
    }

    #[test]
    fn expiries_no_token_has_are_named_not_computed() {
        let now = 1_796_194_800;
        for bad in [i64::MIN, i64::MAX, now + 10 * 365 * DAY] {
            assert_eq!(describe(bad, now), IMPLAUSIBLE);
            assert_eq!(seconds_left(bad, now), None);
        }
        assert_eq!(seconds_left(now + 60, now), Some(60));
        assert_eq!(seconds_left(now - 60, now), Some(0));
    }
}
