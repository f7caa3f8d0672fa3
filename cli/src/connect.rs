//! A session set up from the command line (`login`, `token`): the server,
//! its deadline, trust, proxy and log, and the password that the flags or
//! the environment give (else it is asked on the terminal, when needed).

use std::io::Read;
use std::time::Duration;

use etna_auth::log::{Level, Log};
use etna_auth::{Error, Session, Status};
use zeroize::Zeroizing;

use crate::args::{Connection, LoginTarget};
use crate::exit::Failure;
use crate::interrupt;

/// What `login` and `token` start with.
pub struct Started<S> {
    pub username: String,
    pub store: S,
    pub session: Session,
    pub password: Option<Zeroizing<String>>,
}

/// The start of `login` and `token`, in one order (so that the first error
/// is the same in both): the account, the store (`open_store`), the session
/// (Ctrl-C cancels its exchanges), and the password the flags or the
/// environment give.
pub fn start<S>(
    target: &LoginTarget,
    open_store: impl FnOnce() -> Result<S, Failure>,
) -> Result<Started<S>, Failure> {
    let base_url = target.account.base_url()?;
    let username = target.account.username()?;
    let store = open_store()?;
    let session = session(&base_url, &target.connection)?;
    // Read before the login can fail, so that the writer of the pipe never
    // finds it closed.
    let password = given_password(&target.connection)?;
    interrupt::install(session.canceller());
    Ok(Started {
        username,
        store,
        session,
        password,
    })
}

pub fn session(base_url: &str, connection: &Connection) -> Result<Session, Failure> {
    let app_key = Zeroizing::new(connection.app_key()?);
    let mut session = Session::new(base_url, &app_key)?;
    // -v, -vv, -vvv: the log on stderr (stdout keeps only the token).
    let level = match connection.verbose {
        0 => None,
        1 => Some(Level::Info),
        2 => Some(Level::Debug),
        _ => Some(Level::Trace),
    };
    if let Some(level) = level {
        session.set_log(Log::stderr(level));
    }
    session.set_timeout(Duration::from_millis(connection.timeout_ms))?;
    session.set_lock_timeout(connection.lock_timeout()?);
    if let Some(path) = &connection.ca_file {
        session.set_ca_file(path)?;
    }
    if let Some(proxy) = &connection.proxy {
        session.set_proxy(Some(proxy))?;
    } else if connection.no_proxy {
        session.set_proxy(None)?;
    }
    Ok(session)
}

/// The password from --password-stdin, else ETNA_PASSWORD; `None` when
/// neither gives one (then it is asked on the terminal, if needed).
pub fn given_password(connection: &Connection) -> Result<Option<Zeroizing<String>>, Error> {
    if connection.password_stdin {
        return password_from_stdin().map(Some);
    }
    Ok(std::env::var("ETNA_PASSWORD").ok().map(Zeroizing::new))
}

/// `--password-stdin`: all of standard input, less one final line end.
fn password_from_stdin() -> Result<Zeroizing<String>, Error> {
    let mut bytes = Zeroizing::new(Vec::new());
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| Error::new(Status::Io, format!("cannot read standard input: {e}")))?;
    for end in [b'\n', b'\r'] {
        if bytes.last() == Some(&end) {
            bytes.pop();
        }
    }
    if bytes.is_empty() {
        return Err(Error::argument(
            "--password-stdin: standard input holds no password",
        ));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Error::argument("--password-stdin: the password is not UTF-8"))?;
    Ok(Zeroizing::new(text.to_owned()))
}
