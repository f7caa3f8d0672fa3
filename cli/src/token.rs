//! `etna-auth token`: a valid token from the store, else from a login whose
//! token is then stored (the core's `Session::acquire_token`, which
//! `login --store` uses too), printed on stdout.

use std::cell::Cell;
use std::io::Write;

use etna_auth::store::Store;
use etna_auth::token_cache::unix_now;
use etna_auth::{Error, Session, Status, Step};
use zeroize::Zeroizing;

use crate::args::{Output, TokenArgs};
use crate::connect::{self, Started};
use crate::exit::Failure;
use crate::interrupt;
use crate::prompt;

pub fn token(args: TokenArgs) -> Result<(), Failure> {
    let Started {
        username,
        store,
        mut session,
        password,
    } = connect::start(&args.target, || Ok(Store::open(args.store.as_deref())?))?;
    // A script that asks nobody does not wait for another etna-auth whose
    // login waits for its user's answer, which may never come.
    session.set_wait_for_answering_logins(!args.no_prompt);
    acquire(
        &mut session,
        &store,
        &username,
        password,
        args.min_valid,
        !args.no_prompt,
    )?;
    // Ctrl-C during a save, or just as the last answer came: no token.
    interrupt::exit_if_interrupted();
    print(&session, &args.output)
}

/// Gives `session` a token valid `min_valid` more seconds, from `store` or
/// a login whose token is then stored. With `prompts` false nothing is
/// asked: a login that needs an answer ends with ETNA_ERR_NO_TOKEN. A token
/// that could not be stored is an error (the session's token is not used).
pub fn acquire(
    session: &mut Session,
    store: &Store,
    username: &str,
    password: Option<Zeroizing<String>>,
    min_valid: u32,
    prompts: bool,
) -> Result<(), Failure> {
    // The step that --no-prompt left unanswered.
    let unanswered: Cell<Option<Step>> = Cell::new(None);
    let result = interrupt::network_login(|progress| {
        session
            .acquire_token(
                store,
                username,
                password.as_ref().map(|p| p.as_str()),
                min_valid,
                |step, reason| {
                    if !prompts {
                        unanswered.set(Some(step));
                        return Ok(None);
                    }
                    progress.paused(|| prompt::answer(username, step, reason))
                },
            )
            .map(|_| ())
    });
    drop(password);
    match result {
        // The core gives up with ETNA_ERR_CANCELLED when nobody answers; for
        // a script that asked for no prompts that means "no token".
        Err(Failure::Etna(e)) if e.status() == Status::Cancelled && unanswered.get().is_some() => {
            let needed = unanswered.get().and_then(Step::noun).unwrap_or("answer");
            Err(Error::new(
                Status::NoToken,
                format!(
                    "no token: {} holds none of {username:?} valid {min_valid} more seconds, and a login needs the {needed}, which --no-prompt does not ask",
                    store.describe()
                ),
            )
            .into())
        }
        result => result,
    }
}

/// The session's token on stdout: alone, as a header line, or as JSON.
pub fn print(session: &Session, output: &Output) -> Result<(), Failure> {
    let token = session.token().unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let written = if output.json {
        let expires_at = session.expires_at().unwrap_or(0);
        let json = serde_json::json!({
            "token": token,
            "expires_at": expires_at,
            "expires_in": crate::expiry::seconds_left(expires_at, unix_now()).unwrap_or(0),
        });
        writeln!(out, "{json}")
    } else if output.header {
        writeln!(out, "Authorization: Bearer {token}")
    } else {
        writeln!(out, "{token}")
    };
    written
        .and_then(|_| out.flush())
        .map_err(|e| Error::new(Status::Io, format!("cannot write the token to stdout: {e}")))?;
    Ok(())
}
