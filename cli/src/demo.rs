//! `etna-auth demo`: a sandbox, and three logins against it step by step
//! (single-factor, PIN, code with one wrong code first). Needs no input.

use etna_auth::sandbox::SandboxConfig;
use etna_auth::{Error, Session, Step};

use crate::exit::Failure;

pub fn run() -> Result<(), Failure> {
    let sandbox = crate::sandbox::start(SandboxConfig::default())?;
    println!("etna-auth {} demo", env!("CARGO_PKG_VERSION"));
    println!(
        "sandbox: {} (app key {:?}); every request below is real HTTP to it\n",
        sandbox.url(),
        sandbox.app_key()
    );
    let new_session = || Session::new(sandbox.url(), sandbox.app_key());

    println!("1. Single-factor login as alice");
    let mut s = new_session()?;
    let r = s.begin_auth("alice", "alice-pass");
    show("begin_auth(\"alice\", <password>)", &s, r)?;
    show_token(&s);

    println!("\n2. Security PIN login as bob (PIN 1234)");
    let mut s = new_session()?;
    let r = s.begin_auth("bob", "bob-pass");
    show("begin_auth(\"bob\", <password>)", &s, r)?;
    let r = s.supply_pin("1234");
    show("supply_pin(\"1234\")", &s, r)?;
    show_token(&s);

    println!("\n3. Verification code login as carol, with one wrong code first");
    let mut s = new_session()?;
    let r = s.begin_auth("carol", "carol-pass");
    show("begin_auth(\"carol\", <password>)", &s, r)?;
    let r = s.supply_code("000000");
    show("supply_code(\"000000\")", &s, r)?;
    let r = s.supply_code("123456");
    show("supply_code(\"123456\")", &s, r)?;
    show_token(&s);

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
