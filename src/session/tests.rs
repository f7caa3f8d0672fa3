//! The session's state machine without a server: the checks that fail
//! before anything is sent, and the transitions on classified answers
//! (`advance` after `begin_auth`, `settle` after a supply call), fed the
//! answers `exchange` would return. A pending cancel stops an exchange
//! before it connects, so it too needs no socket. One test connects to a
//! closed loopback port, to see an exchange that is not cancelled.

use std::sync::Mutex;

use super::*;

const BASE: &str = "http://127.0.0.1:9/api";
const APP_KEY: &str = "app-key-s3cret";
const PASSWORD: &str = "pass-s3cret";
const INTERIM: &str = "interim-s3cret-token";
const TOKEN: &str = "final-s3cret-token";
const PIN: &str = "4321";
const SECRETS: [&str; 5] = [APP_KEY, PASSWORD, INTERIM, TOKEN, PIN];

/// A session at a base URL nobody is asked at, with no log.
fn idle() -> Session {
    let mut session = Session::new(BASE, APP_KEY).expect("a valid session");
    session.set_log(Log::off());
    session
}

fn credentials() -> Credentials {
    Credentials {
        username: Secret::new("alice"),
        password: Secret::new(PASSWORD),
    }
}

fn expecting(factor: Factor, reason: &str) -> Result<Answer, Error> {
    Ok(Answer::Expecting {
        factor,
        reason: reason.to_owned(),
        interim: Secret::new(INTERIM),
    })
}

fn succeeded() -> Result<Answer, Error> {
    Ok(Answer::Succeeded {
        token: Secret::new(TOKEN),
    })
}

/// A session whose login waits for the PIN, as after `begin_auth`.
fn awaiting_pin() -> Session {
    let mut session = idle();
    let step = session.advance(
        expecting(Factor::Pin, "Expecting security pin"),
        credentials(),
    );
    assert_eq!(step, Ok(Step::NeedPin));
    session
}

/// A logged-in session, as after a single-factor login.
fn logged_in() -> Session {
    let mut session = idle();
    assert_eq!(session.advance(succeeded(), credentials()), Ok(Step::Done));
    session
}

fn assert_status<T: std::fmt::Debug>(result: Result<T, Error>, status: Status) -> String {
    let error = result.expect_err("an error");
    assert_eq!(error.status(), status, "{error}");
    error.message().to_owned()
}

#[test]
fn new_checks_its_arguments() {
    assert_status(Session::new(BASE, ""), Status::Argument);
    assert_status(Session::new(BASE, "key\r\nX-Injected: 1"), Status::Argument);
    assert_status(Session::new("not a url", APP_KEY), Status::Argument);
    assert_status(Session::new("", APP_KEY), Status::Argument);
    let session = idle();
    assert_eq!(session.timeout(), DEFAULT_TIMEOUT);
    assert_eq!(
        (session.token(), session.awaiting(), session.reason()),
        (None, None, "")
    );
}

#[test]
fn a_factor_with_no_login_waiting_is_a_state_error() {
    let mut session = idle();
    let message = assert_status(session.supply_pin("1234"), Status::State);
    assert_eq!(
        message,
        "no login is waiting for a PIN; begin a login first"
    );
    let message = assert_status(session.supply_code("123456"), Status::State);
    assert!(message.contains("verification code"), "{message}");
    // Nor once logged in: the token stays.
    let mut session = logged_in();
    assert_status(session.supply_pin("1234"), Status::State);
    assert_eq!(session.token(), Some(TOKEN));
}

#[test]
fn the_other_factor_is_a_state_error_and_the_step_stands() {
    let mut session = awaiting_pin();
    let message = assert_status(session.supply_code("123456"), Status::State);
    assert_eq!(
        message,
        "the server asked for the PIN, not the verification code"
    );
    assert_eq!(session.awaiting(), Some(Step::NeedPin));
    assert_eq!(session.reason(), "Expecting security pin");
}

#[test]
fn cr_or_lf_in_a_header_value_is_refused_before_anything_changes() {
    let mut session = logged_in();
    assert_status(
        session.begin_auth("alice\r\nX-Injected: 1", "p"),
        Status::Argument,
    );
    assert_status(session.begin_auth("alice", "p\n"), Status::Argument);
    assert_eq!(session.token(), Some(TOKEN), "the last login stands");

    let mut session = awaiting_pin();
    assert_status(session.supply_pin("12\r\n34"), Status::Argument);
    assert_status(session.supply_pin("12\n34"), Status::Argument);
    assert_eq!(session.awaiting(), Some(Step::NeedPin));
}

#[test]
fn the_answers_lead_from_step_to_step() {
    let mut session = awaiting_pin();
    assert_eq!(session.awaiting(), Some(Step::NeedPin));
    // A wrong PIN: asked again, with the server's reason.
    assert_eq!(
        session.settle(expecting(Factor::Pin, "Invalid pin")),
        Ok(Step::NeedPin)
    );
    assert_eq!(session.reason(), "Invalid pin");
    // The PIN taken: the code is next.
    let next = expecting(Factor::Code, "Expecting confirmation code");
    assert_eq!(session.settle(next), Ok(Step::NeedCode));
    assert_eq!(session.awaiting(), Some(Step::NeedCode));
    assert_eq!(session.token(), None);

    assert_eq!(session.settle(succeeded()), Ok(Step::Done));
    assert_eq!(
        (session.token(), session.awaiting(), session.reason()),
        (Some(TOKEN), None, "")
    );
    let expires_at = session.expires_at().expect("an expiry");
    let expected = unix_now() + TOKEN_LIFETIME_SECS;
    assert!(
        (expected - 5..=expected).contains(&expires_at),
        "{expires_at}"
    );
    let entry = session.token_entry().expect("a token entry");
    assert_eq!(
        (entry.base_url.as_str(), entry.username.as_str()),
        (BASE, "alice")
    );
    assert_eq!(
        (entry.token.expose(), entry.expires_at),
        (TOKEN, expires_at)
    );
}

#[test]
fn a_final_error_ends_the_login() {
    let mut session = awaiting_pin();
    let refused = Error::new(Status::Rejected, "the server ended the login");
    assert_eq!(session.settle(Err(refused.clone())), Err(refused.clone()));
    assert_eq!(
        (session.awaiting(), session.token(), session.reason()),
        (None, None, "")
    );
    // A login that fails at once leaves nothing either.
    let mut session = idle();
    assert_eq!(
        session.advance(Err(refused.clone()), credentials()),
        Err(refused)
    );
    assert_eq!((session.awaiting(), session.token()), (None, None));
}

#[test]
fn trouble_on_the_way_keeps_the_step_and_the_credentials() {
    let mut session = awaiting_pin();
    for status in [Status::Network, Status::Timeout, Status::Cancelled] {
        let trouble = Error::new(status, "trouble on the way");
        assert_eq!(session.settle(Err(trouble.clone())), Err(trouble));
        assert_eq!(session.awaiting(), Some(Step::NeedPin), "{status:?}");
        assert_eq!(session.reason(), "Expecting security pin");
    }
    // The same through supply_pin: a pending cancel stops it before it
    // connects.
    session.canceller().cancel();
    let message = assert_status(session.supply_pin(PIN), Status::Cancelled);
    assert!(message.contains("nothing was sent"), "{message}");
    assert_eq!(session.awaiting(), Some(Step::NeedPin));
    // The credentials were kept: the login can still succeed, for alice.
    assert_eq!(session.settle(succeeded()), Ok(Step::Done));
    assert_eq!(
        session.token_entry().map(|e| e.username),
        Some("alice".into())
    );
}

#[test]
fn a_new_login_ends_the_last_one_even_when_it_fails() {
    let mut session = at_a_closed_port();
    assert_eq!(session.advance(succeeded(), credentials()), Ok(Step::Done));
    assert_status(session.begin_auth("bob", "bob-pass"), Status::Network);
    assert_eq!((session.token(), session.expires_at()), (None, None));
}

#[test]
fn a_cancel_made_before_a_new_login_leaves_the_last_one() {
    let mut session = logged_in();
    session.canceller().cancel();
    let message = assert_status(session.begin_auth("bob", "bob-pass"), Status::Cancelled);
    assert!(message.contains("nothing was sent"), "{message}");
    assert_eq!(session.token(), Some(TOKEN));
    // The cancel was used up: the next login is made.
    let mut session = at_a_closed_port();
    session.canceller().cancel();
    assert_status(session.begin_auth("bob", "bob-pass"), Status::Cancelled);
    assert_status(session.begin_auth("bob", "bob-pass"), Status::Network);
}

#[test]
fn end_login_clears_everything_but_the_settings() {
    let mut session = awaiting_pin();
    session.set_timeout(Duration::from_millis(1234)).unwrap();
    session.end_login();
    assert_eq!((session.awaiting(), session.reason()), (None, ""));
    assert_status(session.supply_pin(PIN), Status::State);
    assert_eq!(session.timeout(), Duration::from_millis(1234));

    let mut session = logged_in();
    session.end_login();
    assert_eq!((session.token(), session.expires_at()), (None, None));
    assert!(session.token_entry().is_none());
}

/// A session at a loopback port with nobody listening: a connect is
/// refused at once.
fn at_a_closed_port() -> Session {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/api", closed.local_addr().unwrap());
    drop(closed);
    let mut session = Session::new(&base, APP_KEY).unwrap();
    session.set_log(Log::off());
    session.set_proxy(None).unwrap();
    session
}

#[test]
fn end_login_forgets_a_pending_cancel() {
    let mut session = at_a_closed_port();
    session.canceller().cancel();
    session.end_login();
    // Not cancelled: the exchange was made, and refused.
    assert_status(session.begin_auth("alice", PASSWORD), Status::Network);
}

#[test]
fn debug_never_shows_a_secret() {
    let mut session = awaiting_pin();
    session
        .set_proxy(Some("http://proxy-user:proxy-s3cret@127.0.0.2:3128"))
        .unwrap();
    let shown = [
        format!("{:?}", idle()),
        format!("{session:?}"),
        format!("{:?}", logged_in()),
    ];
    assert!(shown[1].contains("AwaitingPin"), "{}", shown[1]);
    assert!(shown[2].contains("LoggedIn"), "{}", shown[2]);
    for text in &shown {
        for secret in SECRETS.iter().chain(&["proxy-s3cret"]) {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

#[test]
fn the_log_never_shows_a_secret() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut session = idle();
    let sink = Arc::clone(&lines);
    session.set_log(Log::new(Level::Trace, move |_, line| {
        sink.lock().unwrap().push(line.to_owned());
    }));
    session
        .advance(
            expecting(Factor::Pin, "Expecting security pin"),
            credentials(),
        )
        .unwrap();
    session.canceller().cancel();
    assert_status(session.supply_pin(PIN), Status::Cancelled);
    session
        .settle(expecting(Factor::Pin, "Invalid pin"))
        .unwrap();
    session.settle(succeeded()).unwrap();
    let lines = lines.lock().unwrap();
    let all = lines.join("\n");
    assert!(
        all.contains("asks for the PIN") && all.contains("logged in"),
        "{all}"
    );
    for secret in SECRETS {
        assert!(!all.contains(secret), "{secret} in:\n{all}");
    }
}

#[test]
fn settings_are_checked() {
    let mut session = idle();
    assert_status(session.set_timeout(Duration::ZERO), Status::Argument);
    assert_eq!(session.timeout(), DEFAULT_TIMEOUT);
    assert_status(session.set_proxy(Some("ftp://proxy:21")), Status::Argument);
    let missing = std::env::temp_dir().join("etna-auth-session-tests-no-such.pem");
    assert_status(session.set_ca_file(&missing), Status::Io);
}

#[test]
fn there_is_no_token_to_save_before_a_login() {
    let path = std::env::temp_dir().join(format!(
        "etna-auth-session-tests-{}.json",
        std::process::id()
    ));
    let message = assert_status(idle().save_token(&path), Status::State);
    assert!(message.contains("no login has succeeded"), "{message}");
    assert!(!path.exists(), "nothing was written");
}

#[test]
fn steps_name_their_status_and_factor() {
    assert_eq!(
        [Step::Done, Step::NeedPin, Step::NeedCode].map(Step::status),
        [Status::Ok, Status::NeedPin, Status::NeedCode]
    );
    assert_eq!(
        [Step::Done, Step::NeedPin, Step::NeedCode].map(Step::noun),
        [None, Some("PIN"), Some("verification code")]
    );
}
