//! Concurrency stress through the C ABI against the embedded sandbox (issue 8):
//!
//! - 16 threads x 200 logins, each thread on its own sessions (every flow:
//!   single factor, PIN, code, PIN then code, wrong factors, wrong password);
//! - 8 threads hammering ONE session with every call of the C ABI in random
//!   order (a small xorshift, seed printed; set ETNA_STRESS_SEED to replay):
//!   every call returns one of its documented statuses, never
//!   ETNA_ERR_INTERNAL, and the session works afterwards.
//!
//! etna_free is the one call that is not in the mix: by contract it must not
//! race with other calls on the same session (as in SQLite and libcurl); the
//! header says so on EtnaSession and etna_free.

mod common;

use std::collections::HashSet;
use std::ffi::{c_char, CStr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
use etna_auth_capi::*;

/// xorshift64*: enough randomness for an interleaving, no crate needed.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        XorShift(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn seed() -> u64 {
    match std::env::var("ETNA_STRESS_SEED") {
        Ok(s) => s.parse().expect("ETNA_STRESS_SEED is a number"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    }
}

fn one_line(msg: &str) {
    assert!(!msg.chars().any(char::is_control), "{msg:?}");
}

/// One login of a random kind on `s`; returns the token on success.
/// What an exchange on a session that other threads share may end in: its
/// own statuses, or a timeout, a network failure or a cancel (they cancel
/// it, and the sandbox is busy).
fn exchange_ends(own: &[i32]) -> Vec<i32> {
    [
        own,
        &[ETNA_ERR_TIMEOUT, ETNA_ERR_NETWORK, ETNA_ERR_CANCELLED],
    ]
    .concat()
}

fn random_login(s: &S, rng: &mut XorShift) -> Option<String> {
    let rc = match rng.below(7) {
        0 => s.begin("alice", "alice-pass"),
        1 => {
            assert_rc(s.begin("bob", "bob-pass"), ETNA_NEED_PIN);
            s.pin("1234")
        }
        2 => {
            assert_rc(s.begin("carol", "carol-pass"), ETNA_NEED_CODE);
            assert_rc(s.code("000000"), ETNA_NEED_CODE);
            assert_eq!(last_error(), "Invalid verification code");
            s.code("123456")
        }
        3 => {
            assert_rc(s.begin("dave", "dave-pass"), ETNA_NEED_PIN);
            assert_rc(s.pin("4321"), ETNA_NEED_CODE);
            s.code("654321")
        }
        4 => s.begin("jürgen", "pässwörd-ß"),
        5 => {
            assert_eq!(s.begin("alice", "wrong"), ETNA_ERR_CREDENTIALS);
            one_line(&last_error());
            return None;
        }
        _ => {
            assert_rc(s.begin("bob", "bob-pass"), ETNA_NEED_PIN);
            for _ in 0..2 {
                assert_rc(s.pin("0000"), ETNA_NEED_PIN);
            }
            assert_rc(s.pin("0000"), ETNA_ERR_REJECTED);
            assert_eq!(s.pin("1234"), ETNA_ERR_STATE);
            return None;
        }
    };
    assert_rc(rc, ETNA_OK);
    let token = s.token().expect("a token after ETNA_OK");
    assert!(!token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()));
    Some(token)
}

#[test]
fn sixteen_threads_times_200_logins_on_separate_sessions() {
    const THREADS: u64 = 16;
    const LOGINS: u64 = 200;
    let sbx = Sbx::start(None);
    let (url, key) = (sbx.url(), sbx.key());
    let seed = seed();
    println!("seed {seed}");
    let tokens = Mutex::new(HashSet::new());
    let sessions = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (url, key, tokens, sessions) = (&url, &key, &tokens, &sessions);
            scope.spawn(move || {
                let mut rng = XorShift::new(seed ^ (t + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let mut s = S::new(url, key);
                sessions.fetch_add(1, Ordering::Relaxed);
                let mut mine = Vec::new();
                for i in 0..LOGINS {
                    // Every 25 logins a fresh session: new and free under load.
                    if i % 25 == 24 {
                        s = S::new(url, key);
                        sessions.fetch_add(1, Ordering::Relaxed);
                    }
                    if let Some(token) = random_login(&s, &mut rng) {
                        mine.push(token);
                    }
                }
                tokens.lock().unwrap().extend(mine);
            });
        }
    });
    let elapsed = started.elapsed();
    let tokens = tokens.into_inner().unwrap();
    let sessions = sessions.load(Ordering::Relaxed);
    println!(
        "{} logins in {elapsed:?}: {} distinct tokens, {} requests over {} connections for {sessions} sessions",
        THREADS * LOGINS,
        tokens.len(),
        sbx.requests(),
        sbx.connections()
    );
    assert!(
        tokens.len() as u64 > THREADS * LOGINS / 2,
        "{}",
        tokens.len()
    );
    // Keep-alive: one connection per session, give or take a reconnect.
    assert!(
        sbx.connections() <= sessions * 2,
        "{} connections for {sessions} sessions",
        sbx.connections()
    );
}

/// Every call of the C ABI on one session, from 8 threads at once, in a
/// random order. Returns per call are checked against the documented set.
#[test]
fn eight_threads_hammer_one_session_with_every_call() {
    const THREADS: u64 = 8;
    const CALLS: u64 = 600;
    let sbx = Sbx::start(Some(
        r#"{"max_attempts": 1000, "accounts": [
            {"username": "alice", "password": "alice-pass"},
            {"username": "bob", "password": "bob-pass", "pin": "1234"},
            {"username": "carol", "password": "carol-pass", "code": "123456"},
            {"username": "dave", "password": "dave-pass", "pin": "4321", "code": "654321"}]}"#,
    ));
    let shared = sbx.session();
    let dir = temp_dir("stress-cache");
    let cache = c(dir.join("tokens.json").to_str().unwrap());
    let bad_ca = c(dir.join("no-such-ca.pem").to_str().unwrap());
    let url = c(&sbx.url());
    let seed = seed();
    println!("seed {seed}");
    let counts = Mutex::new(std::collections::BTreeMap::<&'static str, u64>::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (shared, cache, bad_ca, url, counts) = (&shared, &cache, &bad_ca, &url, &counts);
            scope.spawn(move || {
                let mut rng = XorShift::new(seed ^ (t + 101).wrapping_mul(0xD1B5_4A32_D192_ED03));
                let mut local = std::collections::BTreeMap::<&'static str, u64>::new();
                let p = shared.0;
                for _ in 0..CALLS {
                    let (name, rc, allowed): (&'static str, i32, Vec<i32>) = match rng.below(16) {
                        0 | 1 => {
                            let (u, pw) = [
                                ("alice", "alice-pass"),
                                ("bob", "bob-pass"),
                                ("carol", "carol-pass"),
                                ("dave", "dave-pass"),
                                ("alice", "nope"),
                            ][rng.below(5) as usize];
                            (
                                "begin_auth",
                                shared.begin(u, pw),
                                exchange_ends(&[
                                    ETNA_OK,
                                    ETNA_NEED_PIN,
                                    ETNA_NEED_CODE,
                                    ETNA_ERR_CREDENTIALS,
                                ]),
                            )
                        }
                        2 | 3 => {
                            let pin = ["1234", "4321", "0000"][rng.below(3) as usize];
                            (
                                "supply_pin",
                                shared.pin(pin),
                                exchange_ends(&[
                                    ETNA_OK,
                                    ETNA_NEED_PIN,
                                    ETNA_NEED_CODE,
                                    ETNA_ERR_STATE,
                                    ETNA_ERR_REJECTED,
                                ]),
                            )
                        }
                        4 | 5 => {
                            let code = ["123456", "654321", "000000"][rng.below(3) as usize];
                            (
                                "supply_code",
                                shared.code(code),
                                exchange_ends(&[
                                    ETNA_OK,
                                    ETNA_NEED_CODE,
                                    ETNA_ERR_STATE,
                                    ETNA_ERR_REJECTED,
                                ]),
                            )
                        }
                        6 => {
                            // The documented two-call pattern, racing with
                            // logins that change the token in between.
                            let n = unsafe { etna_get_token(p, std::ptr::null_mut(), 0) };
                            if n >= 0 {
                                let mut buf = vec![0xAAu8; n as usize + 1];
                                let m = unsafe {
                                    etna_get_token(p, buf.as_mut_ptr().cast(), buf.len())
                                };
                                if m >= 0 && m <= n {
                                    let m = m as usize;
                                    assert_eq!(buf[m], 0);
                                    assert!(buf[..m].iter().all(u8::is_ascii_graphic));
                                } else if m > n {
                                    assert!(buf.iter().all(|&b| b == 0xAA), "untouched");
                                }
                            }
                            ("get_token", n.min(0), vec![0, ETNA_ERR_STATE])
                        }
                        7 => {
                            let mut small = [0x55u8; 4];
                            let n = unsafe {
                                etna_get_token(p, small.as_mut_ptr().cast(), small.len())
                            };
                            if n >= 4 {
                                assert_eq!(small, [0x55; 4], "a short buffer is left untouched");
                            }
                            ("get_token_small", n.min(0), vec![0, ETNA_ERR_STATE])
                        }
                        8 => {
                            let at = unsafe { etna_token_expires_at(p) };
                            assert!(at == 0 || at > 1_600_000_000, "{at}");
                            ("expires_at", 0, vec![0])
                        }
                        9 => {
                            let ms = [0, 1, 50, 2000, 30000][rng.below(5) as usize];
                            let allowed = if ms == 0 {
                                vec![ETNA_ERR_ARGUMENT]
                            } else {
                                vec![ETNA_OK]
                            };
                            ("set_timeout", shared.timeout_ms(ms), allowed)
                        }
                        10 => (
                            "set_ca_file",
                            unsafe { etna_set_ca_file(p, bad_ca.as_ptr()) },
                            vec![ETNA_ERR_IO],
                        ),
                        11 => (
                            "set_proxy",
                            unsafe { etna_set_proxy(p, std::ptr::null()) },
                            vec![ETNA_OK],
                        ),
                        12 => ("cancel", unsafe { etna_cancel(p) }, vec![ETNA_OK]),
                        13 => (
                            "save_token",
                            unsafe { etna_save_token(p, cache.as_ptr()) },
                            vec![ETNA_OK, ETNA_ERR_STATE],
                        ),
                        14 => {
                            let user = ["alice", "bob", "carol", "dave"][rng.below(4) as usize];
                            (
                                "load_token",
                                unsafe { etna_load_token(p, cache.as_ptr(), c(user).as_ptr(), 60) },
                                vec![ETNA_OK, ETNA_ERR_NO_TOKEN],
                            )
                        }
                        _ => {
                            let user = ["alice", "bob"][rng.below(2) as usize];
                            let rc = unsafe {
                                etna_forget_token(cache.as_ptr(), url.as_ptr(), c(user).as_ptr())
                            };
                            // Static functions in between never disturb anything.
                            let s = unsafe { CStr::from_ptr(etna_status_str(rc)) };
                            assert!(s.to_str().unwrap().starts_with("ETNA_"));
                            let v: *const c_char = etna_version();
                            assert!(!v.is_null());
                            ("forget_token", rc, vec![ETNA_OK])
                        }
                    };
                    let msg = last_error();
                    assert!(
                        allowed.contains(&rc),
                        "{name} returned {rc} ({}): {msg}",
                        unsafe { CStr::from_ptr(etna_status_str(rc)) }
                            .to_str()
                            .unwrap()
                    );
                    assert_ne!(rc, ETNA_ERR_INTERNAL);
                    one_line(&msg);
                    *local.entry(name).or_default() += 1;
                }
                let mut all = counts.lock().unwrap();
                for (k, v) in local {
                    *all.entry(k).or_default() += v;
                }
            });
        }
    });
    println!(
        "{} calls on one session from {THREADS} threads in {:?}: {:?}",
        THREADS * CALLS,
        started.elapsed(),
        counts.into_inner().unwrap()
    );
    // Still usable, with a sane timeout.
    assert_eq!(shared.timeout_ms(5000), ETNA_OK);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rc = shared.begin("alice", "alice-pass");
        if rc == ETNA_OK {
            break;
        }
        assert!(Instant::now() < deadline, "{rc}: {}", last_error());
    }
    assert!(shared.token().is_ok());
    let _ = std::fs::remove_dir_all(dir);
}

/// Sessions created and freed on many threads while others log in: new and
/// free are independent across sessions.
#[test]
fn new_and_free_on_many_threads() {
    let sbx = Sbx::start(None);
    let (url, key) = (sbx.url(), sbx.key());
    std::thread::scope(|scope| {
        for t in 0..8u64 {
            let (url, key) = (&url, &key);
            scope.spawn(move || {
                let mut rng = XorShift::new(t + 7);
                for _ in 0..200 {
                    let s = S::new(url, key);
                    if rng.below(4) == 0 {
                        assert_rc(s.begin("alice", "alice-pass"), ETNA_OK);
                    }
                    drop(s);
                }
            });
        }
    });
}
