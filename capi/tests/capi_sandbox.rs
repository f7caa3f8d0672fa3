//! The C ABI against the embedded sandbox: every flow, the state rules, the
//! argument checks, threads, and what a login costs on the wire.

mod common;

use std::ffi::CStr;
use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use etna_auth_capi::*;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn single_factor_login_and_token_buffer_rules() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    assert_eq!(s.begin("alice", "alice-pass"), ETNA_OK, "{}", last_error());
    assert_eq!(last_error(), "");

    let n = unsafe { etna_get_token(s.0, std::ptr::null_mut(), 0) };
    assert!(n > 0);
    // A buffer of exactly n bytes (no room for the NUL) is left untouched.
    let mut small = vec![b'#'; n as usize];
    assert_eq!(
        unsafe { etna_get_token(s.0, small.as_mut_ptr().cast(), small.len()) },
        n
    );
    assert!(small.iter().all(|&b| b == b'#'));
    let token = s.token().unwrap();
    assert_eq!(token.len(), n as usize);
    assert!(token.bytes().all(|b| b.is_ascii_graphic()));

    let expires = s.expires_at();
    assert!((expires - (now() + 86400)).abs() <= 5, "{expires}");
    assert_eq!(sbx.requests(), 1);
}

#[test]
fn pin_login_with_a_wrong_pin_first() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    assert_eq!(s.begin("bob", "bob-pass"), ETNA_NEED_PIN);
    assert!(!last_error().is_empty(), "the server's Reason is kept");
    assert_eq!(s.token(), Err(ETNA_ERR_STATE));
    assert_eq!(s.expires_at(), 0);
    assert_eq!(s.pin("0000"), ETNA_NEED_PIN);
    assert_eq!(last_error(), "Invalid pin");
    assert_eq!(s.pin("1234"), ETNA_OK, "{}", last_error());
    assert!(s.token().is_ok());
}

#[test]
fn code_login_with_a_wrong_code_first() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    assert_eq!(s.begin("carol", "carol-pass"), ETNA_NEED_CODE);
    assert_eq!(s.code("000000"), ETNA_NEED_CODE);
    assert_eq!(last_error(), "Invalid verification code");
    assert_eq!(s.code("123456"), ETNA_OK, "{}", last_error());
    assert!(s.token().is_ok());
}

#[test]
fn pin_then_code_uses_one_connection() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    assert_eq!(s.begin("dave", "dave-pass"), ETNA_NEED_PIN);
    assert_eq!(s.pin("4321"), ETNA_NEED_CODE);
    assert_eq!(s.code("654321"), ETNA_OK, "{}", last_error());
    assert_eq!(sbx.requests(), 3);
    assert_eq!(sbx.connections(), 1, "a 2FA login keeps one connection");
}

#[test]
fn lockout_after_max_attempts_ends_the_login() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    assert_eq!(s.begin("bob", "bob-pass"), ETNA_NEED_PIN);
    assert_eq!(s.pin("1"), ETNA_NEED_PIN);
    assert_eq!(s.pin("2"), ETNA_NEED_PIN);
    assert_eq!(s.pin("3"), ETNA_ERR_REJECTED);
    let msg = last_error();
    assert!(msg.contains("401") && msg.contains("Invalid pin"), "{msg}");
    let before = sbx.requests();
    assert_eq!(s.pin("1234"), ETNA_ERR_STATE);
    assert_eq!(sbx.requests(), before, "nothing sent");
    // A new login starts afresh.
    assert_eq!(s.begin("bob", "bob-pass"), ETNA_NEED_PIN);
    assert_eq!(s.pin("1234"), ETNA_OK);
}

#[test]
fn configured_sandbox_and_max_attempts() {
    let sbx = Sbx::start(Some(
        r#"{"app_key":"k-1","max_attempts":1,"accounts":[{"username":"u","password":"p","code":"42"}]}"#,
    ));
    assert_eq!(sbx.key(), "k-1");
    let s = sbx.session();
    assert_eq!(s.begin("u", "p"), ETNA_NEED_CODE);
    assert_eq!(s.code("41"), ETNA_ERR_REJECTED);
    assert_eq!(
        s.begin("alice", "alice-pass"),
        ETNA_ERR_CREDENTIALS,
        "default accounts replaced"
    );
}

#[test]
fn bad_sandbox_configs_are_refused_with_a_message() {
    for bad in [
        "not json",
        r#"{"colour":"red"}"#,
        r#"{"accounts":[{"username":"u","password":"p","shoe":1}]}"#,
        r#"{"max_attempts":0}"#,
    ] {
        let p = unsafe { etna_sandbox_start(c(bad).as_ptr()) };
        assert!(p.is_null(), "{bad}");
        assert!(!last_error().is_empty());
    }
}

#[test]
fn wrong_app_key_and_wrong_password() {
    let sbx = Sbx::start(None);
    let s = S::new(&sbx.url(), "no-such-key");
    assert_eq!(s.begin("alice", "alice-pass"), ETNA_ERR_APP_KEY);
    assert!(last_error().contains("Application key"), "{}", last_error());
    let s = sbx.session();
    assert_eq!(s.begin("alice", "wrong-pass"), ETNA_ERR_CREDENTIALS);
    let msg = last_error();
    assert!(
        msg.contains("401")
            && msg.contains("BaseAuthentication")
            && msg.contains("Invalid credentials"),
        "{msg}"
    );
    assert!(!msg.contains("wrong-pass"));
    assert_eq!(s.pin("1234"), ETNA_ERR_STATE);
}

#[test]
fn non_ascii_credentials_are_sent_as_utf8() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    assert_eq!(s.begin("jürgen", "pässwörd-ß"), ETNA_OK, "{}", last_error());
}

#[test]
fn state_errors_send_nothing_and_change_nothing() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    assert_eq!(s.pin("1234"), ETNA_ERR_STATE);
    assert_eq!(s.code("1234"), ETNA_ERR_STATE);
    assert_eq!(s.begin("bob", "bob-pass"), ETNA_NEED_PIN);
    let before = sbx.requests();
    assert_eq!(s.code("123456"), ETNA_ERR_STATE, "a PIN was asked for");
    assert!(last_error().contains("PIN"), "{}", last_error());
    assert_eq!(sbx.requests(), before);
    assert_eq!(s.pin("1234"), ETNA_OK, "the login went on as before");
}

#[test]
fn bad_arguments_send_nothing() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    unsafe {
        assert_eq!(
            etna_begin_auth(std::ptr::null_mut(), c("a").as_ptr(), c("b").as_ptr()),
            ETNA_ERR_ARGUMENT
        );
        assert!(last_error().contains("session"));
        assert_eq!(
            etna_begin_auth(s.0, std::ptr::null(), c("b").as_ptr()),
            ETNA_ERR_ARGUMENT
        );
        assert_eq!(
            etna_begin_auth(s.0, c("a").as_ptr(), std::ptr::null()),
            ETNA_ERR_ARGUMENT
        );
        let bad_utf8 = b"\xff\xfe\0";
        assert_eq!(
            etna_begin_auth(s.0, bad_utf8.as_ptr().cast(), c("b").as_ptr()),
            ETNA_ERR_ARGUMENT
        );
        assert!(last_error().contains("UTF-8"));
        assert_eq!(
            etna_supply_pin(std::ptr::null_mut(), c("1").as_ptr()),
            ETNA_ERR_ARGUMENT
        );
        assert_eq!(etna_supply_code(s.0, std::ptr::null()), ETNA_ERR_ARGUMENT);
        assert_eq!(
            etna_get_token(std::ptr::null(), std::ptr::null_mut(), 0),
            ETNA_ERR_ARGUMENT
        );
        assert_eq!(etna_token_expires_at(std::ptr::null()), 0);
        assert_eq!(etna_set_timeout_ms(s.0, 0), ETNA_ERR_ARGUMENT);
        assert_eq!(
            etna_set_timeout_ms(std::ptr::null_mut(), 10),
            ETNA_ERR_ARGUMENT
        );
        assert_eq!(etna_set_ca_file(s.0, std::ptr::null()), ETNA_ERR_ARGUMENT);
        etna_free(std::ptr::null_mut());

        assert!(etna_sandbox_url(std::ptr::null()).is_null());
    }
    for (user, pw) in [
        ("a\r\nX-Evil: 1", "p"),
        ("alice", "p\n"),
        ("alice", "p\tq"),
        ("al\u{7f}ice", "p"),
    ] {
        assert_eq!(s.begin(user, pw), ETNA_ERR_ARGUMENT, "{user:?}");
        assert!(last_error().contains("control character"));
    }
    assert_eq!(s.begin("bob", "bob-pass"), ETNA_NEED_PIN);
    let before = sbx.requests();
    assert_eq!(s.pin("12\r\n34"), ETNA_ERR_ARGUMENT);
    assert_eq!(sbx.requests(), before);
    assert_eq!(s.pin("1234"), ETNA_OK, "ARGUMENT changed nothing");
    assert_eq!(sbx.requests(), before + 1);
}

#[test]
fn etna_new_refuses_bad_base_urls() {
    unsafe {
        assert!(etna_new(std::ptr::null(), c("k").as_ptr()).is_null());
        assert!(last_error().contains("base_url"));
        assert!(etna_new(c("https://h/api").as_ptr(), std::ptr::null()).is_null());
        assert!(etna_new(c("https://h/api").as_ptr(), c("").as_ptr()).is_null());
        assert!(etna_new(c"https://h/\xff".as_ptr(), c("k").as_ptr()).is_null());
        for url in [
            "",
            "http://example.com/api",
            "https://u:p@h/api",
            "ftp://h/api",
            "https://h/api?x",
            "https://h/api#f",
            "::",
        ] {
            assert!(
                etna_new(c(url).as_ptr(), c("k").as_ptr()).is_null(),
                "{url}"
            );
            let msg = last_error();
            assert!(!msg.is_empty() && !msg.contains("u:p"), "{msg}");
        }
        let ok = etna_new(c("http://localhost:1/api").as_ptr(), c("k").as_ptr());
        assert!(!ok.is_null());
        etna_free(ok);
    }
}

#[test]
fn a_new_begin_auth_drops_the_previous_token() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    assert_eq!(s.begin("alice", "alice-pass"), ETNA_OK);
    let first = s.token().unwrap();
    assert_eq!(s.begin("alice", "bad"), ETNA_ERR_CREDENTIALS);
    assert_eq!(s.token(), Err(ETNA_ERR_STATE));
    assert_eq!(s.expires_at(), 0);
    assert_eq!(s.begin("alice", "alice-pass"), ETNA_OK);
    assert_ne!(s.token().unwrap(), first, "a fresh token per login");
}

#[test]
fn status_strings_and_version() {
    let codes = [
        ETNA_OK,
        ETNA_NEED_PIN,
        ETNA_NEED_CODE,
        ETNA_ERR_ARGUMENT,
        ETNA_ERR_STATE,
        ETNA_ERR_APP_KEY,
        ETNA_ERR_CREDENTIALS,
        ETNA_ERR_REJECTED,
        ETNA_ERR_NETWORK,
        ETNA_ERR_TIMEOUT,
        ETNA_ERR_PROTOCOL,
        ETNA_ERR_SERVER,
        ETNA_ERR_IO,
        ETNA_ERR_TLS,
        ETNA_ERR_INTERNAL,
    ];
    let mut seen = std::collections::HashSet::new();
    for code in codes {
        let s = unsafe { CStr::from_ptr(etna_status_str(code)) }
            .to_str()
            .unwrap()
            .to_owned();
        assert!(s.starts_with("ETNA_"), "{s}");
        assert!(seen.insert(s));
    }
    let unknown = unsafe { CStr::from_ptr(etna_status_str(12345)) }
        .to_str()
        .unwrap();
    assert!(!seen.contains(unknown));
    let v = unsafe { CStr::from_ptr(etna_version()) }.to_str().unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
}

#[test]
fn last_error_is_per_thread_and_left_alone_by_the_static_functions() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    assert_eq!(s.begin("alice", "nope"), ETNA_ERR_CREDENTIALS);
    let mine = last_error();
    let other = std::thread::spawn(last_error).join().unwrap();
    assert_eq!(other, "");
    unsafe {
        etna_status_str(ETNA_OK);
        etna_version();
        etna_free(std::ptr::null_mut());
    }
    assert_eq!(last_error(), mine);
}

#[test]
fn many_threads_many_sessions_and_one_shared_session() {
    let sbx = Sbx::start(None);
    let url = sbx.url();
    let key = sbx.key();
    // One session hammered from four threads: serialized inside, never a crash.
    let shared = S::new(&url, &key);
    std::thread::scope(|scope| {
        for i in 0..8 {
            let (url, key) = (url.clone(), key.clone());
            scope.spawn(move || {
                let s = S::new(&url, &key);
                for _ in 0..20 {
                    if i % 2 == 0 {
                        assert_eq!(s.begin("alice", "alice-pass"), ETNA_OK, "{}", last_error());
                    } else {
                        assert_eq!(s.begin("carol", "carol-pass"), ETNA_NEED_CODE);
                        assert_eq!(s.code("123456"), ETNA_OK, "{}", last_error());
                    }
                    assert!(s.token().is_ok());
                }
            });
        }
        let shared = &shared;
        for _ in 0..4 {
            scope.spawn(move || {
                for _ in 0..20 {
                    let rc = shared.begin("bob", "bob-pass");
                    assert!(rc == ETNA_NEED_PIN || rc == ETNA_OK, "{rc}");
                    let rc = shared.pin("1234");
                    assert!(
                        [ETNA_OK, ETNA_ERR_STATE, ETNA_NEED_PIN].contains(&rc),
                        "{rc}: {}",
                        last_error()
                    );
                    let n = unsafe { etna_get_token(shared.0, std::ptr::null_mut(), 0) };
                    assert!(n > 0 || n == ETNA_ERR_STATE, "{n}");
                }
            });
        }
    });
}

#[test]
fn end_login_abandons_a_login_and_forgets_the_token() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    // In the middle of a two-factor login: the PIN can no longer be sent.
    assert_eq!(s.begin("dave", "dave-pass"), ETNA_NEED_PIN);
    assert_eq!(unsafe { etna_end_login(s.0) }, ETNA_OK);
    assert_eq!(last_error(), "");
    let requests = sbx.requests();
    assert_eq!(s.pin("4321"), ETNA_ERR_STATE);
    assert_eq!(sbx.requests(), requests, "nothing sent");
    // After a login: the token is gone, and the connection was closed.
    assert_eq!(s.begin("alice", "alice-pass"), ETNA_OK);
    let connections = sbx.connections();
    assert_eq!(unsafe { etna_end_login(s.0) }, ETNA_OK);
    assert_eq!(s.token(), Err(ETNA_ERR_STATE));
    assert_eq!(s.expires_at(), 0);
    // Nothing to end is fine too, and the settings stay.
    assert_eq!(unsafe { etna_end_login(s.0) }, ETNA_OK);
    assert_eq!(s.begin("alice", "alice-pass"), ETNA_OK, "{}", last_error());
    assert_eq!(sbx.connections(), connections + 1, "a fresh connection");
    assert_eq!(
        unsafe { etna_end_login(std::ptr::null_mut()) },
        ETNA_ERR_ARGUMENT
    );
}
