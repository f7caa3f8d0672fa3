//! `etna-auth login` and `logout`: a session set up from the command line,
//! the token cache, a login by the core's one login policy
//! (`Session::login_with`, docs/login-policy.md) with the factors asked on
//! the terminal, and the token on stdout.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use etna_auth::error::quote;
use etna_auth::log::{Level, Log};
use etna_auth::token_cache::unix_now;
use etna_auth::{Error, Session, Status};
use zeroize::Zeroizing;

use crate::args::{LoginArgs, LogoutArgs};
use crate::exit::Failure;
use crate::interrupt::{self, Phase};
use crate::progress::Progress;
use crate::prompt;

pub fn login(args: LoginArgs) -> Result<(), Failure> {
    let base_url = args.account.base_url()?;
    let app_key = Zeroizing::new(args.app_key()?);
    let username = args.account.username()?;
    let mut session = Session::new(&base_url, &app_key)?;
    // -v, -vv, -vvv: the log on stderr (stdout keeps only the token).
    let level = match args.verbose {
        0 => None,
        1 => Some(Level::Info),
        2 => Some(Level::Debug),
        _ => Some(Level::Trace),
    };
    if let Some(level) = level {
        session.set_log(Log::stderr(level));
    }
    session.set_timeout(Duration::from_millis(args.timeout_ms))?;
    if let Some(path) = &args.ca_file {
        session.set_ca_file(path)?;
    }
    if let Some(proxy) = &args.proxy {
        session.set_proxy(Some(proxy))?;
    } else if args.no_proxy {
        session.set_proxy(None)?;
    }
    // Read before anything else can fail or exit, so that the writer of the
    // pipe never finds it closed.
    let password_stdin = match args.password_stdin {
        true => Some(password_from_stdin()?),
        false => None,
    };
    let cache = args.cache.as_deref();
    if let Some(path) = cache {
        // Before any prompt: a cache that cannot be written fails now, not
        // after the user has typed a password and a code.
        make_folder(path)?;
    }

    interrupt::install(session.canceller());
    let cached = match cache {
        Some(path) => match session.load_token(path, &username, args.min_valid) {
            Ok(()) => true,
            Err(e) if e.status() == Status::NoToken => false,
            Err(e) => return Err(e.into()),
        },
        None => false,
    };
    if !cached {
        let password = match password_stdin {
            Some(password) => password,
            None => match std::env::var("ETNA_PASSWORD") {
                Ok(p) => Zeroizing::new(p),
                Err(_) => prompt::password(&username)?,
            },
        };
        log_in(&mut session, &username, password)?;
        // Saved before the token is printed: a token never reaches stdout
        // from a command that then fails.
        if let Some(path) = cache {
            interrupt::while_in(Phase::Saving, || session.save_token(path))?;
        }
    }
    // Ctrl-C during a save, or just as the last answer came: no token.
    interrupt::exit_if_interrupted();
    print_token(&session, &args)
}

/// The login, by the core's policy; the factors are asked on the terminal.
fn log_in(
    session: &mut Session,
    username: &str,
    password: Zeroizing<String>,
) -> Result<(), Failure> {
    let progress = Progress::start();
    let result = interrupt::while_in(Phase::Network, || {
        session
            .login_with(username, &password, |step, reason| {
                progress.pause();
                let answer = prompt::factor(step, reason);
                progress.resume();
                answer
            })
            .map(|_| ())
    });
    progress.finish();
    drop(password);
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.status() == Status::Cancelled && interrupt::interrupted() => {
            Err(Failure::Interrupted)
        }
        Err(e) => Err(e.into()),
    }
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

/// Makes the cache file's missing folders, owner-only (0700 on Unix).
fn make_folder(cache: &Path) -> Result<(), Error> {
    let Some(folder) = cache.parent().filter(|f| !f.as_os_str().is_empty()) else {
        return Ok(());
    };
    if folder.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder).map_err(|e| {
        Error::new(
            Status::Io,
            format!(
                "cannot create the token cache's folder {}: {e}",
                quote(&folder.display().to_string())
            ),
        )
    })
}

fn print_token(session: &Session, args: &LoginArgs) -> Result<(), Failure> {
    let token = session.token().unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        let expires_at = session.expires_at().unwrap_or(0);
        let json = serde_json::json!({
            "token": token,
            "expires_at": expires_at,
            "expires_in": (expires_at - unix_now()).max(0),
        });
        writeln!(out, "{json}")
    } else if args.header {
        writeln!(out, "Authorization: Bearer {token}")
    } else {
        writeln!(out, "{token}")
    };
    written
        .and_then(|_| out.flush())
        .map_err(|e| Error::new(Status::Io, format!("cannot write the token to stdout: {e}")))?;
    Ok(())
}

pub fn logout(args: LogoutArgs) -> Result<(), Failure> {
    let base_url = args.account.base_url()?;
    let username = args.account.username()?;
    etna_auth::session::forget_token(&args.cache, &base_url, &username)?;
    Ok(())
}
