//! A stored token's expiry, judged without overflow. A store is a file
//! anyone with the user's rights could have edited: an `expires_at` of
//! `-2^63` must not wrap into "valid for ages", and one years ahead must
//! not be believed, since no token lives more than 24 hours
//! ([`TOKEN_LIFETIME_SECS`]) after the login that stored it.

use crate::protocol::TOKEN_LIFETIME_SECS;

/// How far past a token's lifetime an expiry may lie before it is not
/// believed: room for a clock set back a little (an NTP step) since the
/// token was stored.
pub const CLOCK_SLACK_SECS: i64 = 300;

/// What a stored expiry says at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Valid for this many more seconds (more than 0, at most a token's
    /// lifetime and the slack).
    Left(i64),
    /// Expired this many seconds ago (0 or more).
    Ago(i64),
    /// Not a real token's expiry: further ahead than a token can live, or
    /// so far from now that the difference does not fit in 64 bits. Such an
    /// entry is never handed out.
    Implausible,
}

/// Judges `expires_at` at `now` (both Unix seconds).
pub fn judge(expires_at: i64, now: i64) -> Expiry {
    match expires_at.checked_sub(now) {
        Some(left) if left > TOKEN_LIFETIME_SECS + CLOCK_SLACK_SECS => Expiry::Implausible,
        Some(left) if left > 0 => Expiry::Left(left),
        Some(left) => left.checked_neg().map_or(Expiry::Implausible, Expiry::Ago),
        None => Expiry::Implausible,
    }
}

/// Whether a token expiring at `expires_at` stays valid for at least
/// `min_valid_s` more seconds at `now` (an implausible expiry never does).
pub fn valid_for(expires_at: i64, now: i64, min_valid_s: u32) -> bool {
    match judge(expires_at, now) {
        Expiry::Left(left) => left >= i64::from(min_valid_s),
        // As before: an entry expiring this very second is still "valid for 0 s".
        Expiry::Ago(0) => min_valid_s == 0,
        Expiry::Ago(_) | Expiry::Implausible => false,
    }
}

/// Whether a store keeps an entry when it writes: only one that has not
/// expired and whose expiry is believable.
pub fn worth_keeping(expires_at: i64, now: i64) -> bool {
    matches!(judge(expires_at, now), Expiry::Left(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_194_800;

    #[test]
    fn overflowing_expiries_are_implausible_not_wrapped() {
        assert_eq!(judge(i64::MIN, NOW), Expiry::Implausible);
        assert_eq!(judge(i64::MAX, NOW), Expiry::Implausible);
        assert_eq!(judge(i64::MAX, -1), Expiry::Implausible);
        assert_eq!(judge(i64::MIN, 1), Expiry::Implausible);
        assert!(!valid_for(i64::MIN, NOW, 0));
        assert!(!valid_for(i64::MIN, NOW, 300));
        assert!(!valid_for(i64::MAX, NOW, 300));
        assert!(!worth_keeping(i64::MIN, NOW));
        assert!(!worth_keeping(i64::MAX, NOW));
    }

    #[test]
    fn no_token_lives_longer_than_a_day_after_it_was_stored() {
        let day = TOKEN_LIFETIME_SECS;
        assert_eq!(judge(NOW + day, NOW), Expiry::Left(day));
        assert_eq!(
            judge(NOW + day + CLOCK_SLACK_SECS, NOW),
            Expiry::Left(day + CLOCK_SLACK_SECS)
        );
        assert_eq!(
            judge(NOW + day + CLOCK_SLACK_SECS + 1, NOW),
            Expiry::Implausible
        );
        assert_eq!(judge(NOW + 10 * 365 * day, NOW), Expiry::Implausible);
        assert!(valid_for(NOW + day, NOW, 300));
        assert!(!valid_for(NOW + 10 * 365 * day, NOW, 300));
    }

    #[test]
    fn left_and_ago() {
        assert_eq!(judge(NOW + 600, NOW), Expiry::Left(600));
        assert_eq!(judge(NOW - 5, NOW), Expiry::Ago(5));
        assert_eq!(judge(NOW, NOW), Expiry::Ago(0));
        assert!(valid_for(NOW + 600, NOW, 300));
        assert!(!valid_for(NOW + 200, NOW, 300));
        assert!(!valid_for(NOW - 1, NOW, 0));
        assert!(valid_for(NOW, NOW, 0));
        assert!(worth_keeping(NOW + 1, NOW));
        assert!(!worth_keeping(NOW, NOW));
    }
}
