//! Calls on a session while its own login runs (issue 27 §1), and calls
//! that fail before sending anything (issue 30 §4), through the C ABI. The
//! C test tests/c/test_reentry.c makes every call from inside the callbacks
//! under valgrind; here: the timing of calls from other threads against a
//! slow server, and the token a failed call leaves.

mod common;

use std::ffi::{c_char, c_int, c_void};
use std::sync::mpsc;
use std::thread::{self, sleep};
use std::time::{Duration, Instant};

use common::*;
use etna_auth_capi::*;

const PIN_BODY: &str =
    r#"{"State":"Expecting","Step":"SecutityPin","Reason":"Expecting security pin","Token":"i1"}"#;
const OK_BODY: &str = r#"{"State":"Succeeded","Token":"tok"}"#;

/// The first answer comes after `first_delay`: asking for the PIN, or
/// with the token when `pin` is false; then the token.
fn slow_server(first_delay: Duration, pin: bool) -> Hostile {
    Hostile::start(move |n, _, stream| {
        if n == 0 {
            sleep(first_delay);
            send(
                stream,
                &http(
                    if pin { 202 } else { 200 },
                    if pin { PIN_BODY } else { OK_BODY },
                ),
            );
        } else {
            send(stream, &http(200, OK_BODY));
        }
        After::KeepAlive
    })
}

/// The PIN callback: "1234" after `typing` (a person at a keypad); it
/// reports when it started.
struct Keypad {
    typing: Duration,
    started: mpsc::Sender<Instant>,
}

unsafe extern "C" fn keypad(
    user_data: *mut c_void,
    _step: c_int,
    _reason: *const c_char,
    answer: *mut c_char,
    size: usize,
) -> c_int {
    let keypad = &*(user_data as *const Keypad);
    let _ = keypad.started.send(Instant::now());
    sleep(keypad.typing);
    let pin = c"1234".to_bytes_with_nul();
    if size < pin.len() {
        return 1;
    }
    std::ptr::copy_nonoverlapping(pin.as_ptr(), answer.cast::<u8>(), pin.len());
    0
}

/// Logs in as "u" on another thread, with the keypad; returns its status.
fn login_on_a_thread(s: &S, pad: Keypad) -> thread::JoinHandle<i32> {
    let p = s.0 as usize;
    thread::spawn(move || unsafe {
        etna_login(
            p as *mut EtnaSession,
            c("u").as_ptr(),
            c("p").as_ptr(),
            Some(keypad),
            &pad as *const Keypad as *mut c_void,
        )
    })
}

/// A call waiting for the exchange in flight gives up when the login
/// starts waiting for its PIN callback, and not later: a UI thread blocked
/// here could be the one the callback is posted to (C#, Python async).
#[test]
fn a_call_waiting_for_the_exchange_fails_when_the_callback_starts() {
    let server = slow_server(Duration::from_millis(500), true);
    let s = S::new(&server.base_url, "k");
    let (started, callback_started) = mpsc::channel();
    let typing = Duration::from_secs(2);
    let login = login_on_a_thread(&s, Keypad { typing, started });
    sleep(Duration::from_millis(100)); // the first exchange is in flight
    let called = Instant::now();
    let rc = unsafe { etna_end_login(s.0) };
    let message = last_error();
    let returned = Instant::now();
    assert_rc(rc, ETNA_ERR_STATE);
    assert!(
        message.starts_with("etna_end_login: this session's login is waiting for its ask callback"),
        "{message}"
    );
    // It waited for the exchange (400 ms more), not for the callback (2 s).
    callback_started.recv().unwrap();
    assert!(
        returned - called >= Duration::from_millis(250),
        "it waited for the exchange: {:?}",
        returned - called
    );
    assert!(
        returned - called < typing / 2,
        "it did not wait for the callback: {:?}",
        returned - called
    );
    // Nothing was ended: the login completes with the PIN.
    assert_eq!(login.join().unwrap(), ETNA_OK);
    assert_eq!(s.token().unwrap(), "tok");
    assert_eq!(server.request_count(), 2);
}

/// While no callback runs, a call from another thread waits for the
/// exchange in flight and then runs, as before.
#[test]
fn a_call_waiting_for_an_exchange_without_callback_runs_after_it() {
    let server = slow_server(Duration::from_millis(400), false);
    let s = S::new(&server.base_url, "k");
    let p = s.0 as usize;
    let login = thread::spawn(move || unsafe {
        etna_login(
            p as *mut EtnaSession,
            c("u").as_ptr(),
            c("p").as_ptr(),
            None,
            std::ptr::null_mut(),
        )
    });
    sleep(Duration::from_millis(100));
    let called = Instant::now();
    assert_rc(s.timeout_ms(5000), ETNA_OK);
    assert!(
        called.elapsed() >= Duration::from_millis(200),
        "{:?}",
        called.elapsed()
    );
    assert_eq!(login.join().unwrap(), ETNA_OK);
    assert_eq!(s.token().unwrap(), "tok");
}

/// The callback itself calls in: refused with the callback named, the
/// login goes on; etna_cancel() from inside still works.
#[test]
fn a_call_from_inside_the_callback_is_refused_and_the_login_goes_on() {
    struct Inside {
        s: usize,
        rc: Vec<(i32, String)>,
    }
    unsafe extern "C" fn calls_in(
        user_data: *mut c_void,
        _step: c_int,
        _reason: *const c_char,
        answer: *mut c_char,
        _size: usize,
    ) -> c_int {
        let inside = &mut *(user_data as *mut Inside);
        let s = inside.s as *mut EtnaSession;
        // Each status with its own message (the next call replaces it).
        let mut record = |rc| inside.rc.push((rc, last_error()));
        record(etna_end_login(s));
        record(etna_set_proxy(s, c("http://127.0.0.1:9").as_ptr()));
        record(etna_begin_auth(
            s,
            c("alice").as_ptr(),
            c("alice-pass").as_ptr(),
        ));
        let pin = c"1234".to_bytes_with_nul();
        std::ptr::copy_nonoverlapping(pin.as_ptr(), answer.cast::<u8>(), pin.len());
        0
    }
    let sbx = Sbx::start(None);
    let s = sbx.session();
    let mut inside = Inside {
        s: s.0 as usize,
        rc: Vec::new(),
    };
    let rc = unsafe {
        etna_login(
            s.0,
            c("bob").as_ptr(),
            c("bob-pass").as_ptr(),
            Some(calls_in),
            &mut inside as *mut Inside as *mut c_void,
        )
    };
    assert_rc(rc, ETNA_OK);
    let names = ["etna_end_login", "etna_set_proxy", "etna_begin_auth"];
    for ((rc, message), name) in inside.rc.iter().zip(names) {
        assert_eq!(*rc, ETNA_ERR_STATE, "{name}: {message}");
        assert!(
            message.starts_with(&format!(
                "{name}: called from inside this session's ask callback: nothing was done"
            )),
            "{message}"
        );
    }
    assert!(s.token().is_ok());
    assert_eq!(sbx.requests(), 2, "bob's two requests, nothing else");
}

/// Issue 30 §4: a call that fails before it sends anything leaves the
/// session's token (and so etna_get_token()) as it was.
#[test]
fn a_call_that_fails_before_sending_keeps_the_token() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    assert_eq!(s.begin("alice", "alice-pass"), ETNA_OK);
    let token = s.token().unwrap();
    let dir = temp_dir("reentry-keeps");
    let store = c(dir.join("tokens.json").to_str().unwrap());
    let sent = sbx.requests();
    let null = std::ptr::null();
    // carol's token, with no password nor callback to give one.
    let acquire = |min_valid_s| unsafe {
        let user = c("carol");
        etna_acquire_token(
            s.0,
            store.as_ptr(),
            user.as_ptr(),
            null,
            min_valid_s,
            None,
            std::ptr::null_mut(),
        )
    };
    // A login needed, and nothing to log in with.
    assert_rc(acquire(60), ETNA_ERR_CANCELLED);
    // Arguments refused before anything is sent.
    assert_rc(acquire(90_000), ETNA_ERR_ARGUMENT);
    unsafe {
        let rc = etna_login(s.0, c("bob").as_ptr(), null, None, std::ptr::null_mut());
        assert_rc(rc, ETNA_ERR_ARGUMENT);
        assert_rc(s.begin("bob", "bob\npass"), ETNA_ERR_ARGUMENT);
        // A cancel made before the call stops it before it changes anything.
        assert_rc(etna_cancel(s.0), ETNA_OK);
        assert_rc(s.begin("bob", "bob-pass"), ETNA_ERR_CANCELLED);
        assert_rc(etna_cancel(s.0), ETNA_OK);
        let rc = etna_login(
            s.0,
            c("bob").as_ptr(),
            c("bob-pass").as_ptr(),
            None,
            std::ptr::null_mut(),
        );
        assert_rc(rc, ETNA_ERR_CANCELLED);
        // No such stored token.
        let rc = etna_load_token(s.0, store.as_ptr(), c("carol").as_ptr(), 0);
        assert_rc(rc, ETNA_ERR_NO_TOKEN);
    }
    assert_eq!(sbx.requests(), sent, "nothing sent");
    assert_eq!(s.token().unwrap(), token);
    assert!(s.expires_at() > 0);
    // A login that started and failed does end it.
    assert_rc(s.begin("alice", "wrong"), ETNA_ERR_CREDENTIALS);
    assert_eq!(s.token(), Err(ETNA_ERR_STATE));
    std::fs::remove_dir_all(&dir).unwrap();
}
