//! The open logins ("tickets", filed under their interim tokens) and the
//! source of fresh tokens: the sandbox's only state between requests.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::factor::Factor;

/// An interim token not used within this time is forgotten.
const TICKET_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// At most this many logins wait for a second factor at once; beyond it the
/// oldest is forgotten, so abandoned logins cannot grow memory forever.
const MAX_TICKETS: usize = 10_000;

/// Length of a final (session) token and of an interim token. Different
/// lengths keep the two kinds apart.
pub(super) const FINAL_TOKEN_LEN: usize = 64;
pub(super) const INTERIM_TOKEN_LEN: usize = 40;

/// A login waiting for a second factor, filed under its interim token.
#[derive(Debug)]
pub(super) struct Ticket {
    username: String,
    pub(super) factor: Factor,
    /// Wrong answers so far in this login's current step.
    pub(super) wrong: u32,
    issued: Instant,
}

/// The open logins, and the source of fresh tokens.
pub(super) struct Tickets {
    by_token: HashMap<String, Ticket>,
    tokens: TokenSource,
}

impl Tickets {
    pub(super) fn new() -> Tickets {
        Tickets {
            by_token: HashMap::new(),
            tokens: TokenSource::new(),
        }
    }

    /// Files a new ticket and returns its fresh interim token.
    pub(super) fn issue(&mut self, username: &str, factor: Factor, wrong: u32) -> String {
        if self.by_token.len() >= MAX_TICKETS {
            self.by_token
                .retain(|_, t| t.issued.elapsed() < TICKET_LIFETIME);
        }
        if self.by_token.len() >= MAX_TICKETS {
            let oldest = self
                .by_token
                .iter()
                .min_by_key(|(_, t)| t.issued)
                .map(|(token, _)| token.clone());
            if let Some(oldest) = oldest {
                self.by_token.remove(&oldest);
            }
        }
        let token = self.tokens.token(INTERIM_TOKEN_LEN);
        self.by_token.insert(
            token.clone(),
            Ticket {
                username: username.to_owned(),
                factor,
                wrong,
                issued: Instant::now(),
            },
        );
        token
    }

    /// Takes (consumes) the ticket of `token` if it belongs to `username`
    /// and has not expired. Another user's ticket is left in place: a wrong
    /// guess must not end someone else's login.
    pub(super) fn take(&mut self, token: &str, username: &str) -> Option<Ticket> {
        let ticket = self.by_token.get(token)?;
        if ticket.issued.elapsed() >= TICKET_LIFETIME {
            self.by_token.remove(token);
            return None;
        }
        if ticket.username != username {
            return None;
        }
        self.by_token.remove(token)
    }

    /// A fresh final (session) token.
    pub(super) fn final_token(&mut self) -> String {
        self.tokens.token(FINAL_TOKEN_LEN)
    }

    /// Makes every open ticket as old as the lifetime; `false` on a machine
    /// up for less than that, where an `Instant` cannot go back so far.
    #[cfg(test)]
    pub(super) fn expire_all(&mut self) -> bool {
        let Some(long_ago) = Instant::now().checked_sub(TICKET_LIFETIME) else {
            return false;
        };
        for ticket in self.by_token.values_mut() {
            ticket.issued = long_ago;
        }
        true
    }

    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.by_token.is_empty()
    }
}

/// Tokens that tests cannot predict or collide on, without a randomness
/// crate: SipHash (std's `RandomState`, whose keys are random per process
/// and differ per instance) of a counter and the clock, spelled in the
/// base64 alphabet.
struct TokenSource {
    keys: RandomState,
    counter: u64,
}

impl TokenSource {
    fn new() -> TokenSource {
        TokenSource {
            keys: RandomState::new(),
            counter: 0,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(1);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut hasher = self.keys.build_hasher();
        hasher.write_u64(self.counter);
        hasher.write_u128(nanos);
        hasher.finish()
    }

    /// `len` characters of `A-Z a-z 0-9 + /`.
    fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut token = String::with_capacity(len);
        while token.len() < len {
            // 10 characters of 6 bits from each 64-bit hash.
            let mut bits = self.next_u64();
            for _ in 0..10 {
                if token.len() == len {
                    break;
                }
                token.push(char::from(ALPHABET[(bits & 63) as usize]));
                bits >>= 6;
            }
        }
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn a_ticket_is_taken_once_by_its_owner_only() {
        let mut tickets = Tickets::new();
        let token = tickets.issue("bob", Factor::Pin, 2);
        assert_eq!(token.len(), INTERIM_TOKEN_LEN);
        assert!(tickets.take(&token, "carol").is_none());
        let ticket = tickets.take(&token, "bob").expect("bob's ticket");
        assert_eq!((ticket.factor, ticket.wrong), (Factor::Pin, 2));
        assert!(tickets.take(&token, "bob").is_none());
        assert!(tickets.is_empty());
    }

    #[test]
    fn an_expired_ticket_is_forgotten_and_the_table_is_bounded() {
        let mut tickets = Tickets::new();
        let token = tickets.issue("bob", Factor::Code, 0);
        if tickets.expire_all() {
            assert!(tickets.take(&token, "bob").is_none());
            assert!(tickets.is_empty());
        }

        let mut tickets = Tickets::new();
        for _ in 0..MAX_TICKETS + 5 {
            tickets.issue("bob", Factor::Pin, 0);
        }
        assert_eq!(tickets.by_token.len(), MAX_TICKETS);
    }

    #[test]
    fn tokens_are_distinct_and_printable() {
        let mut source = TokenSource::new();
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let token = source.token(FINAL_TOKEN_LEN);
            assert_eq!(token.len(), FINAL_TOKEN_LEN, "{token}");
            assert!(token.bytes().all(|b| b.is_ascii_graphic()), "{token}");
            assert!(seen.insert(token));
        }
        // Two sources (two sandboxes) do not repeat each other either.
        let mut other = TokenSource::new();
        assert!(!seen.contains(&other.token(FINAL_TOKEN_LEN)));
    }
}
