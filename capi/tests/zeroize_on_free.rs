//! No copy of a secret outlives its use in freed memory (issue 8).
//!
//! The C library's global allocator (capi/heap) zeroes every block before
//! handing it back to the system allocator; this test installs the same
//! allocator with an observer that is shown each block at that moment. While a test's thread is scanning,
//! every block freed on it is searched for the test's secrets: a block that
//! still holds one is a copy that would stay readable in freed memory. The
//! scans cover a session's whole life (every step of a login, and
//! etna_free), so they catch the transient copies of the HTTP and TLS
//! stacks as well as the session's own. Nothing reads freed memory: the scan
//! happens inside `dealloc`, before the free.
//!
//! Honest by construction: with wiping turned off (the observer's switch) the
//! same login must leave secrets in freed blocks, and the scanner must find
//! them; with it on, none.
//!
//! The servers are scripted (tests/common's `Hostile`) so that the interim
//! tokens and the session token are known byte strings.

mod common;

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use common::*;
use etna_auth_capi::*;
use etna_auth_heap::{Observer, WipingAllocator};

/// The C library's allocator, with the scanner below as its observer.
#[global_allocator]
static HEAP: WipingAllocator<Scanner> = WipingAllocator::with_observer(Scanner);

/// Off: freed blocks are left as they are (the control test).
static WIPE: AtomicBool = AtomicBool::new(true);

struct Scanner;

impl Observer for Scanner {
    fn wipe(&self) -> bool {
        WIPE.load(Ordering::Relaxed)
    }

    fn freed(&self, block: &[u8]) {
        scan(block);
    }
}

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

thread_local! {
    static SCANNING: Cell<bool> = const { Cell::new(false) };
}

/// Blocks scanned, and for each secret how many freed blocks held it.
static SCANNED: AtomicUsize = AtomicUsize::new(0);
static FOUND: [AtomicUsize; 7] = [const { AtomicUsize::new(0) }; 7];

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Shown every block the allocator frees, after its wipe.
fn scan(block: &[u8]) {
    // `try_with`: no scanning during thread teardown.
    if SCANNING.try_with(Cell::get).unwrap_or(false) {
        SCANNED.fetch_add(1, Ordering::Relaxed);
        for (i, (_, secret)) in SECRETS.iter().enumerate() {
            if contains(block, secret) {
                FOUND[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The tests share the counters: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `work` with the scanner on; returns the secrets found in the blocks
/// freed on this thread and how many blocks were scanned.
fn scan_frees(work: impl FnOnce()) -> (Vec<&'static str>, usize) {
    SCANNED.store(0, Ordering::SeqCst);
    for f in &FOUND {
        f.store(0, Ordering::SeqCst);
    }
    SCANNING.with(|s| s.set(true));
    work();
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

/// A two-factor login and etna_free, all under the scanner.
fn login_and_free(server: &Hostile) -> (Vec<&'static str>, usize) {
    scan_frees(|| {
        let s = S::new(&server.base_url, text(APP_KEY));
        assert_eq!(s.begin("zuser", text(PASSWORD)), ETNA_NEED_PIN);
        assert_eq!(s.pin(text(PIN)), ETNA_NEED_CODE);
        assert_eq!(s.code(text(CODE)), ETNA_OK, "{}", last_error());
        assert_eq!(s.token().unwrap().as_bytes(), TOKEN);
        drop(s);
    })
}

#[test]
fn without_wiping_a_login_leaves_secrets_in_freed_memory() {
    // The control: what the allocator's wiping removes. (The session wipes
    // its own copies; these are the HTTP stack's and the test's.)
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = two_factor_server();
    WIPE.store(false, Ordering::SeqCst);
    let (found, scanned) = login_and_free(&server);
    WIPE.store(true, Ordering::SeqCst);
    println!("without wiping: {scanned} blocks freed, secrets left in {found:?}");
    assert!(scanned > 0);
    assert!(found.contains(&"password"), "{found:?}");
    assert!(found.contains(&"token"), "{found:?}");
}

#[test]
fn a_two_factor_login_and_free_leave_no_secret_in_freed_memory() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = two_factor_server();
    let (found, scanned) = login_and_free(&server);
    println!("a login and etna_free: {scanned} blocks freed");
    assert!(
        scanned > 0,
        "nothing freed? (is the wipe-heap allocator in use?)"
    );
    assert!(found.is_empty(), "freed unwiped: {found:?}");
}

#[test]
fn free_in_the_middle_of_a_login_wipes_everything() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = two_factor_server();
    let (found, scanned) = scan_frees(|| {
        let s = S::new(&server.base_url, text(APP_KEY));
        assert_eq!(s.begin("zuser", text(PASSWORD)), ETNA_NEED_PIN);
        assert_eq!(s.pin(text(PIN)), ETNA_NEED_CODE);
        // The session holds the password and the second interim token now.
        drop(s);
    });
    assert!(scanned > 0);
    assert!(found.is_empty(), "freed unwiped: {found:?}");
}

#[test]
fn end_login_wipes_what_the_login_held() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = two_factor_server();
    let s = S::new(&server.base_url, text(APP_KEY));
    let (found, scanned) = scan_frees(|| {
        assert_eq!(s.begin("zuser", text(PASSWORD)), ETNA_NEED_PIN);
        assert_eq!(s.pin(text(PIN)), ETNA_NEED_CODE);
        assert_eq!(unsafe { etna_end_login(s.0) }, ETNA_OK);
    });
    assert!(scanned > 0);
    assert!(found.is_empty(), "freed unwiped: {found:?}");
    assert_eq!(s.pin(text(PIN)), ETNA_ERR_STATE);
}

#[test]
fn free_after_a_token_cache_load_wipes_the_token() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = two_factor_server();
    let dir = temp_dir("zeroize-cache");
    let path = c(dir.join("cache.json").to_str().unwrap());
    let (found, _) = scan_frees(|| {
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
        drop(s);
    });
    assert!(found.is_empty(), "freed unwiped: {found:?}");
    let _ = std::fs::remove_dir_all(dir);
}
