//! `etna-auth login` and `logout`: a login by the core's one login policy
//! (`Session::login_with`, docs/login-policy.md) with the factors asked on
//! the terminal, or with --store the stored token when it is still good
//! (`token::acquire`), and the token on stdout.

use etna_auth::store::LockWait;
use etna_auth::Session;
use zeroize::Zeroizing;

use crate::args::{LoginArgs, LogoutArgs};
use crate::connect::{self, Started};
use crate::exit::Failure;
use crate::interrupt;
use crate::{prompt, token};

pub fn login(args: LoginArgs) -> Result<(), Failure> {
    let Started {
        username,
        store,
        mut session,
        password,
    } = connect::start(&args.target, || args.store())?;
    match store {
        Some(store) => token::acquire(
            &mut session,
            &store,
            &username,
            password,
            args.min_valid,
            true,
        )?,
        None => {
            let password = match password {
                Some(password) => password,
                None => prompt::password(&username)?,
            };
            log_in(&mut session, &username, password)?;
        }
    }
    // Ctrl-C during a save, or just as the last answer came: no token.
    interrupt::exit_if_interrupted();
    token::print(&session, &args.output)
}

/// The login, by the core's policy; the factors are asked on the terminal.
fn log_in(
    session: &mut Session,
    username: &str,
    password: Zeroizing<String>,
) -> Result<(), Failure> {
    let result = interrupt::network_login(|progress| {
        session
            .login_with(username, &password, |step, reason| {
                progress.paused(|| prompt::factor(step, reason))
            })
            .map(|_| ())
    });
    drop(password);
    result
}

pub fn logout(args: LogoutArgs) -> Result<(), Failure> {
    let base_url = args.account.base_url()?;
    let username = args.account.username()?;
    let wait = LockWait {
        timeout: args.lock.get()?,
        wait_for_answers: true,
    };
    args.store()?.forget_waiting(&base_url, &username, wait)?;
    Ok(())
}
