//! The debug log through the C ABI: levels, turning it off, what a callback
//! may call, the environment variable and the CLI's -v flags. (Every other
//! test's sessions log at TRACE too, and are checked for secrets: see
//! `S` in common/mod.rs.)

mod common;

use std::ffi::{c_char, c_void, CStr};
use std::process::Command;
use std::sync::Mutex;

use common::*;
use etna_auth_capi::*;

/// Lines with their levels, for a callback's `user_data`.
#[derive(Default)]
struct Collected(Mutex<Vec<(i32, String)>>);

unsafe extern "C" fn collect(user_data: *mut c_void, level: i32, line: *const c_char) {
    let collected = &*(user_data as *const Collected);
    let line = CStr::from_ptr(line).to_str().unwrap().to_owned();
    collected.0.lock().unwrap().push((level, line));
}

fn set_log(s: &S, collected: &Collected, level: i32) -> i32 {
    unsafe {
        etna_set_log_callback(
            s.0,
            Some(collect),
            collected as *const Collected as *mut c_void,
            level,
        )
    }
}

/// dave: password, PIN, then code; one wrong code first.
fn two_factor_login_with_a_wrong_code(s: &S) {
    assert_eq!(s.begin("dave", "dave-pass"), ETNA_NEED_PIN);
    assert_eq!(s.pin("4321"), ETNA_NEED_CODE);
    assert_eq!(s.code("000000"), ETNA_NEED_CODE);
    assert_eq!(s.code("654321"), ETNA_OK, "{}", last_error());
}

#[test]
fn each_level_adds_lines_and_none_holds_a_secret() {
    let sbx = Sbx::start(None);
    let mut counts = Vec::new();
    for level in [ETNA_LOG_INFO, ETNA_LOG_DEBUG, ETNA_LOG_TRACE] {
        let s = sbx.session();
        let collected = Collected::default();
        assert_eq!(set_log(&s, &collected, level), ETNA_OK);
        two_factor_login_with_a_wrong_code(&s);
        let token = s.token().unwrap();
        let lines = collected.0.lock().unwrap();
        assert!(
            lines.iter().all(|(l, _)| (1..=level).contains(l)),
            "{lines:#?}"
        );
        for secret in ["dave-pass", "4321", "000000", "654321", &token, &sbx.key()] {
            assert!(
                !lines.iter().any(|(_, line)| line.contains(secret)),
                "{secret:?} in {lines:#?}"
            );
        }
        let text: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
        assert!(text.contains(&"logged in"), "{text:#?}");
        assert!(
            text.iter().any(|l| l
                .contains("asks for the verification code (Reason \"Invalid verification code\")")),
            "{text:#?}"
        );
        if level >= ETNA_LOG_DEBUG {
            assert!(text.contains(&"> Password: ***"), "{text:#?}");
            assert!(text.contains(&"> PinCode: ***"), "{text:#?}");
            assert!(text.contains(&"> Authorization: ***"), "{text:#?}");
            assert!(text.contains(&"> Et-App-Key: sand***"), "{text:#?}");
            assert!(
                text.contains(&"< State: Succeeded, Token: ***"),
                "{text:#?}"
            );
            assert!(
                text.iter().any(|l| l.starts_with("< HTTP 202, ")),
                "{text:#?}"
            );
        } else {
            assert!(!text.iter().any(|l| l.starts_with('>')), "{text:#?}");
        }
        if level == ETNA_LOG_TRACE {
            assert!(
                text.iter()
                    .any(|l| l.starts_with("opened a new connection to 127.0.0.1:")),
                "{text:#?}"
            );
            assert!(
                text.contains(&"reused the kept-alive connection"),
                "{text:#?}"
            );
        } else {
            assert!(!text.iter().any(|l| l.contains("connection")), "{text:#?}");
        }
        counts.push(lines.len());
    }
    assert!(counts[0] < counts[1] && counts[1] < counts[2], "{counts:?}");
}

#[test]
fn a_null_callback_turns_the_log_off_and_bad_levels_are_refused() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    let collected = Collected::default();
    assert_eq!(set_log(&s, &collected, 0), ETNA_ERR_ARGUMENT);
    assert_eq!(set_log(&s, &collected, 4), ETNA_ERR_ARGUMENT);
    assert!(last_error().contains("max_level is 4"), "{}", last_error());
    assert_eq!(set_log(&s, &collected, ETNA_LOG_INFO), ETNA_OK);
    assert_eq!(s.begin("alice", "alice-pass"), ETNA_OK);
    let before = collected.0.lock().unwrap().len();
    assert!(before > 0);
    let rc = unsafe { etna_set_log_callback(s.0, None, std::ptr::null_mut(), 0) };
    assert_eq!(rc, ETNA_OK);
    assert_eq!(s.begin("alice", "alice-pass"), ETNA_OK);
    assert_eq!(collected.0.lock().unwrap().len(), before);
    let rc = unsafe {
        etna_set_log_callback(std::ptr::null_mut(), Some(collect), std::ptr::null_mut(), 1)
    };
    assert_eq!(rc, ETNA_ERR_ARGUMENT);
}

/// A callback that reads the session, its last error and cancels nothing:
/// none of these may wait for the call that is logging.
struct Reader {
    session: usize,
    reads: Mutex<Vec<String>>,
}

unsafe extern "C" fn read_inside(user_data: *mut c_void, _level: i32, _line: *const c_char) {
    let reader = &*(user_data as *const Reader);
    let session = reader.session as *mut EtnaSession;
    let _ = CStr::from_ptr(etna_last_error());
    let n = etna_get_token(session, std::ptr::null_mut(), 0);
    let expires = etna_token_expires_at(session);
    reader.reads.lock().unwrap().push(format!("{n} {expires}"));
}

#[test]
fn a_callback_may_read_the_session_without_waiting() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    let reader = Reader {
        session: s.0 as usize,
        reads: Mutex::default(),
    };
    let rc = unsafe {
        etna_set_log_callback(
            s.0,
            Some(read_inside),
            &reader as *const Reader as *mut c_void,
            ETNA_LOG_TRACE,
        )
    };
    assert_eq!(rc, ETNA_OK);
    // A deadlock here would hang the test (and the test command's timeout).
    assert_eq!(s.begin("bob", "bob-pass"), ETNA_NEED_PIN);
    assert_eq!(s.pin("1234"), ETNA_OK);
    let reads = reader.reads.lock().unwrap();
    assert!(reads.len() > 5, "{reads:?}");
    // During the login there is no token yet.
    assert!(
        reads[0].starts_with(&format!("{ETNA_ERR_STATE} 0")),
        "{reads:?}"
    );
}

#[test]
fn the_environment_variable_and_the_cli_flags_log_to_stderr_only() {
    let sbx = Sbx::start(None);
    let run = |args: &[&str], env_log: Option<&str>| {
        let mut cmd = Command::new(cli_exe());
        cmd.arg("login")
            .args(args)
            .env("ETNA_BASE_URL", sbx.url())
            .env("ETNA_APP_KEY", sbx.key())
            .env("ETNA_USERNAME", "alice")
            .env("ETNA_PASSWORD", "alice-pass")
            .env_remove("ETNA_AUTH_LOG");
        if let Some(level) = env_log {
            cmd.env("ETNA_AUTH_LOG", level);
        }
        let out = spawn::output(&mut cmd);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        let token = stdout.trim().to_owned();
        assert!(
            !token.is_empty() && !token.contains(' '),
            "stdout is the token alone: {stdout:?}"
        );
        for secret in ["alice-pass", token.as_str(), sbx.key().as_str()] {
            assert!(!stderr.contains(secret), "{secret:?} in {stderr}");
        }
        stderr
    };
    assert_eq!(run(&[], None), "", "no log unless asked for");
    let info = run(&["-v"], None);
    assert!(
        info.contains("etna-auth INFO: logged in") && !info.contains("DEBUG"),
        "{info}"
    );
    let debug = run(&["-vv"], None);
    assert!(
        debug.contains("etna-auth DEBUG: > Password: ***") && !debug.contains("TRACE"),
        "{debug}"
    );
    let trace = run(&["-vvv"], None);
    assert!(
        trace.contains("etna-auth TRACE: opened a new connection"),
        "{trace}"
    );
    let from_env = run(&[], Some("debug"));
    assert!(
        from_env.contains("etna-auth DEBUG: < State: Succeeded, Token: ***"),
        "{from_env}"
    );
    assert_eq!(run(&[], Some("nonsense")), "", "an unknown level is off");
}
