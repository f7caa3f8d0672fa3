//! Questions on the terminal (never stdin or stdout, which belong to the
//! script around the tool), with echo off. The end of input (Ctrl-D on
//! Unix) gives up the login instead of sending an empty answer.

use std::io::{BufRead, Write};

use etna_auth::error::quote;
use etna_auth::login::{abandoned, Reply};
use etna_auth::{Error, Status, Step};
use zeroize::Zeroizing;

use crate::{console, interrupt};

/// The password of `username`, asked on the terminal.
pub fn password(username: &str) -> Result<Zeroizing<String>, Error> {
    hidden(&password_question(username), &password_noun(username))?.ok_or_else(|| {
        Error::new(
            Status::Cancelled,
            "the login was abandoned: no password was given",
        )
    })
}

/// The answer to `Session::acquire_token`'s question at `step`: the password
/// of `username` when a login is needed, else a factor as [`factor`] asks.
pub fn answer(username: &str, step: Step, reason: &str) -> Reply {
    if step != Step::NeedPassword {
        return factor(step, reason);
    }
    match hidden(&password_question(username), &password_noun(username))? {
        // The session wipes what it is given once sent.
        Some(password) => Ok(Some(password.to_string())),
        None => Err(abandoned(step)),
    }
}

fn password_question(username: &str) -> String {
    format!("Password for {username}: ")
}

/// What is asked, for the message when it cannot be.
fn password_noun(username: &str) -> String {
    format!("the password of {}", quote(username))
}

/// The answer to the server's question at `step`, for `Session::login_with`:
/// the server's Reason ("Invalid pin") first, when there is one.
pub fn factor(step: Step, reason: &str) -> Reply {
    let (question, noun) = match step {
        Step::NeedPin => ("Security PIN: ", "the security PIN"),
        _ => (
            "Verification code (sent by email or SMS): ",
            "the verification code",
        ),
    };
    let prompt = if reason.is_empty() {
        question.to_owned()
    } else {
        format!("{}\n{question}", quote(reason))
    };
    match hidden(&prompt, noun)? {
        // The session wipes what it is given once sent.
        Some(answer) => Ok(Some(answer.to_string())),
        None => Err(abandoned(step)),
    }
}

/// Asks on the terminal with echo off; `None` at the end of input. The
/// answer is wiped when dropped. `what` names what is asked ("the security
/// PIN") in the error when there is no terminal to ask it on.
fn hidden(prompt: &str, what: &str) -> Result<Option<Zeroizing<String>>, Error> {
    let no_tty = |e: std::io::Error| Error::argument(no_terminal(what, &e));
    // The terminal: /dev/tty on Unix, the console input (CONIN$, which takes
    // the prompt too) on Windows.
    #[cfg(unix)]
    const TTY: &str = "/dev/tty";
    #[cfg(windows)]
    const TTY: &str = "CONIN$";
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(TTY)
        .map_err(no_tty)?;
    #[cfg(unix)]
    let mut writer = &tty;
    #[cfg(windows)]
    let mut writer = std::fs::OpenOptions::new()
        .write(true)
        .open("CONOUT$")
        .map_err(no_tty)?;
    writer.write_all(prompt.as_bytes()).map_err(no_tty)?;
    writer.flush().map_err(no_tty)?;

    let echo_off = console::echo_off(&tty);
    let mut line = Zeroizing::new(String::new());
    let read = interrupt::while_in(interrupt::Phase::Prompt, || {
        std::io::BufReader::new(&tty).read_line(&mut line)
    });
    if echo_off {
        console::restore();
        // What ECHONL does on Unix: the new line the user typed.
        #[cfg(windows)]
        let _ = writer.write_all(b"\r\n");
    }
    if read.map_err(no_tty)? == 0 {
        // The line Ctrl-D did not end.
        let _ = writer.write_all(b"\n");
        return Ok(None);
    }
    while line.ends_with('\n') || line.ends_with('\r') {
        line.pop();
    }
    Ok(Some(line))
}

/// The message when `what` cannot be asked: the way out for a password (the
/// environment, standard input), and for a second factor, which only a
/// person at a terminal can give, that it was that factor.
fn no_terminal(what: &str, e: &std::io::Error) -> String {
    let way_out = if what.starts_with("the password") {
        "set ETNA_PASSWORD or use --password-stdin for scripts"
    } else {
        "the server asks for it after the password, and it is typed on a terminal: \
         run etna-auth on one, or use a stored token (etna-auth token --no-prompt)"
    };
    format!("cannot ask {what}: no terminal ({e}); {way_out}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_what_could_not_be_asked() {
        let e = std::io::Error::from_raw_os_error(6);
        let pin = no_terminal("the security PIN", &e);
        assert!(
            pin.starts_with("cannot ask the security PIN: no terminal"),
            "{pin}"
        );
        assert!(!pin.contains("ETNA_PASSWORD"), "{pin}");
        let password = no_terminal(&password_noun("alice"), &e);
        assert!(password.contains("the password of \"alice\""), "{password}");
        assert!(password.contains("ETNA_PASSWORD"), "{password}");
    }
}
