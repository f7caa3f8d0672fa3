//! The session's copies of secrets are wiped by etna_free (issue 8).
//!
//! This test binary has its own global allocator: while the test thread is
//! inside etna_free (and only then), every block freed on that thread is
//! scanned for the secrets of the test before it goes back to the system. A
//! block that still holds one is a copy the session did not wipe. Nothing
//! reads freed memory: the scan happens inside `dealloc`, before the free.
//!
//! Honest by construction: a positive control frees an unwiped copy under
//! the same scanner and must be caught, and removing `Zeroizing` from
//! `src/secret.rs` makes the session tests fail (checked by hand when this
//! test was written).
//!
//! The servers are scripted (tests/common's `Hostile`) so that the interim
//! tokens and the session token are known byte strings.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use common::*;
use etna_auth::capi::*;

const APP_KEY: &[u8] = b"AppKey-Zq81-secret";
const PASSWORD: &[u8] = b"Password-Zq81-secret";
const PIN: &[u8] = b"Pin-Zq81-77123";
const CODE: &[u8] = b"Code-Zq81-88234";
const INTERIM_1: &[u8] = b"Interim1-Zq81-secret";
const INTERIM_2: &[u8] = b"Interim2-Zq81-secret";
const TOKEN: &[u8] = b"Token-Zq81-secret-final";

const SECRETS: [(&str, &[u8]); 7] = [
    ("app key", APP_KEY),
    ("password", PASSWORD),
    ("PIN", PIN),
    ("code", CODE),
    ("interim token 1", INTERIM_1),
    ("interim token 2", INTERIM_2),
    ("token", TOKEN),
];

struct Scanner;

thread_local! {
    static SCANNING: Cell<bool> = const { Cell::new(false) };
}

/// Blocks scanned, and for each secret how many freed blocks held it.
static SCANNED: AtomicUsize = AtomicUsize::new(0);
static FOUND: [AtomicUsize; 7] = [const { AtomicUsize::new(0) }; 7];

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

unsafe impl GlobalAlloc for Scanner {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // `try_with`: no scanning during thread teardown.
        if SCANNING.try_with(Cell::get).unwrap_or(false) {
            SCANNED.fetch_add(1, Ordering::Relaxed);
            // SAFETY: the block is still ours until System.dealloc below.
            let block = std::slice::from_raw_parts(ptr, layout.size());
            for (i, (_, secret)) in SECRETS.iter().enumerate() {
                if contains(block, secret) {
                    FOUND[i].fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        System.dealloc(ptr, layout)
    }
    // realloc: the default goes through alloc + copy + dealloc, so the old
    // block is scanned as well.
}

#[global_allocator]
static GLOBAL: Scanner = Scanner;

/// The tests share the counters: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `free` with the scanner on; returns the secrets found in freed
/// blocks and how many blocks were scanned.
fn scan_frees(free: impl FnOnce()) -> (Vec<&'static str>, usize) {
    SCANNED.store(0, Ordering::SeqCst);
    for f in &FOUND {
        f.store(0, Ordering::SeqCst);
    }
    SCANNING.with(|s| s.set(true));
    free();
    SCANNING.with(|s| s.set(false));
    let found = SECRETS
        .iter()
        .zip(&FOUND)
        .filter(|(_, n)| n.load(Ordering::SeqCst) > 0)
        .map(|((name, _), _)| *name)
        .collect();
    (found, SCANNED.load(Ordering::SeqCst))
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

/// A server that asks for the PIN, then the code, then logs in; each
/// answer is kept alive so that the session's connection stays open (and
/// with it, whatever buffers the HTTP stack holds).
fn two_factor_server() -> Hostile {
    Hostile::start(|_, head, stream| {
        let (status, body) = if head.contains("VerificationCode:") {
            (
                200,
                format!(r#"{{"State":"Succeeded","Token":"{}"}}"#, text(TOKEN)),
            )
        } else if head.contains("PinCode:") {
            (
                202,
                format!(
                    r#"{{"State":"Expecting","Step":"VerificationCode","Reason":"code","Token":"{}"}}"#,
                    text(INTERIM_2)
                ),
            )
        } else {
            (
                202,
                format!(
                    r#"{{"State":"Expecting","Step":"SecutityPin","Reason":"pin","Token":"{}"}}"#,
                    text(INTERIM_1)
                ),
            )
        };
        send(stream, &http(status, &body));
        After::KeepAlive
    })
}

#[test]
fn the_scanner_catches_an_unwiped_copy() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let copy = format!("xx{}yy", text(TOKEN));
    let (found, scanned) = scan_frees(|| drop(copy));
    assert!(scanned >= 1);
    assert_eq!(found, ["token"]);
    // And a wiped one passes.
    let wiped = zeroize::Zeroizing::new(text(PASSWORD).to_owned());
    let (found, _) = scan_frees(|| drop(wiped));
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn free_after_a_two_factor_login_wipes_everything() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = two_factor_server();
    let s = S::new(&server.base_url, text(APP_KEY));
    assert_eq!(s.begin("zuser", text(PASSWORD)), ETNA_NEED_PIN);
    assert_eq!(s.pin(text(PIN)), ETNA_NEED_CODE);
    assert_eq!(s.code(text(CODE)), ETNA_OK, "{}", last_error());
    assert_eq!(s.token().unwrap().as_bytes(), TOKEN);
    let (found, scanned) = scan_frees(|| drop(s));
    println!("etna_free after a login: {scanned} blocks freed");
    assert!(scanned > 0, "etna_free freed nothing?");
    assert!(
        found.is_empty(),
        "freed by etna_free without being wiped: {found:?}"
    );
}

#[test]
fn free_in_the_middle_of_a_login_wipes_everything() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = two_factor_server();
    let s = S::new(&server.base_url, text(APP_KEY));
    assert_eq!(s.begin("zuser", text(PASSWORD)), ETNA_NEED_PIN);
    assert_eq!(s.pin(text(PIN)), ETNA_NEED_CODE);
    // The session holds the password and the second interim token now.
    let (found, scanned) = scan_frees(|| drop(s));
    println!("etna_free in a login: {scanned} blocks freed");
    assert!(scanned > 0);
    assert!(
        found.is_empty(),
        "freed by etna_free without being wiped: {found:?}"
    );
}

#[test]
fn free_of_a_session_that_never_connected_wipes_the_app_key() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = S::new("https://h.example/api", text(APP_KEY));
    let (found, scanned) = scan_frees(|| drop(s));
    assert!(scanned > 0);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn free_after_a_token_cache_load_wipes_the_token() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = two_factor_server();
    let dir = temp_dir("zeroize-cache");
    let path = c(dir.join("cache.json").to_str().unwrap());
    {
        let s = S::new(&server.base_url, text(APP_KEY));
        assert_eq!(s.begin("zuser", text(PASSWORD)), ETNA_NEED_PIN);
        assert_eq!(s.pin(text(PIN)), ETNA_NEED_CODE);
        assert_eq!(s.code(text(CODE)), ETNA_OK);
        assert_eq!(unsafe { etna_save_token(s.0, path.as_ptr()) }, ETNA_OK);
    }
    let s = S::new(&server.base_url, text(APP_KEY));
    assert_eq!(
        unsafe { etna_load_token(s.0, path.as_ptr(), c("zuser").as_ptr(), 60) },
        ETNA_OK,
        "{}",
        last_error()
    );
    assert_eq!(s.token().unwrap().as_bytes(), TOKEN);
    let (found, _) = scan_frees(|| drop(s));
    assert!(found.is_empty(), "{found:?}");
    let _ = std::fs::remove_dir_all(dir);
}
