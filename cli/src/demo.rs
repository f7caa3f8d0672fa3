//! `etna-auth demo`: a sandbox, and three logins against it step by step
//! (single-factor, PIN, code with one wrong code first). Needs no input.

use etna_auth::sandbox::SandboxConfig;
use etna_auth::{Error, Session, Step};

use crate::exit::Failure;

/// A second factor the demo gives (shown: these are the sandbox's).
enum Answer {
    Pin(&'static str),
    Code(&'static str),
}

pub fn run() -> Result<(), Failure> {
    let sandbox = crate::sandbox::start(SandboxConfig::default())?;
    println!("etna-auth {} demo", env!("CARGO_PKG_VERSION"));
    println!(
        "sandbox: {} (app key {:?}); every request below is real HTTP to it\n",
        sandbox.url(),
        sandbox.app_key()
    );
    let new_session = || Session::new(sandbox.url(), sandbox.app_key());

    // (heading, user, password, the answers given in turn)
    let logins: [(&str, &str, &str, &[Answer]); 3] = [
        (
            "1. Single-factor login as alice",
            "alice",
            "alice-pass",
            &[],
        ),
        (
            "2. Security PIN login as bob (PIN 1234)",
            "bob",
            "bob-pass",
            &[Answer::Pin("1234")],
        ),
        (
            "3. Verification code login as carol, with one wrong code first",
            "carol",
            "carol-pass",
            &[Answer::Code("000000"), Answer::Code("123456")],
        ),
    ];
    for (i, (heading, user, password, answers)) in logins.into_iter().enumerate() {
        println!("{}{heading}", if i == 0 { "" } else { "\n" });
        let mut s = new_session()?;
        let r = s.begin_auth(user, password);
        show(&format!("begin_auth({user:?}, <password>)"), &s, r)?;
        for answer in answers {
            let (call, r) = match *answer {
                Answer::Pin(pin) => (format!("supply_pin({pin:?})"), s.supply_pin(pin)),
                Answer::Code(code) => (format!("supply_code({code:?})"), s.supply_code(code)),
            };
            show(&call, &s, r)?;
        }
        show_token(&s);
    }

    println!(
        "\nThe sandbox answered {} requests over {} connections (one per session).",
        sandbox.request_count(),
        sandbox.connection_count()
    );
    Ok(())
}

fn show(call: &str, session: &Session, result: Result<Step, Error>) -> Result<Step, Failure> {
    let step = result?;
    let name = step.status().name();
    if session.reason().is_empty() {
        println!("   {call} -> {name}");
    } else {
        println!(
            "   {call} -> {name} (server: {})",
            etna_auth::error::quote(session.reason())
        );
    }
    Ok(step)
}

fn show_token(session: &Session) {
    if let (Some(token), Some(expires)) = (session.token(), session.expires_at()) {
        println!(
            "   logged in: a {}-character token (not shown), valid until Unix time {expires} (24 h)",
            token.len()
        );
    }
}
