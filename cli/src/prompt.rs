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
    hidden(&format!("Password for {username}: "))?.ok_or_else(|| {
        Error::new(
            Status::Cancelled,
            "the login was abandoned: no password was given",
        )
    })
}

/// The answer to the server's question at `step`, for `Session::login_with`:
/// the server's Reason ("Invalid pin") first, when there is one.
pub fn factor(step: Step, reason: &str) -> Reply {
    let question = match step {
        Step::NeedPin => "Security PIN: ",
        _ => "Verification code (sent by email or SMS): ",
    };
    let prompt = if reason.is_empty() {
        question.to_owned()
    } else {
        format!("{}\n{question}", quote(reason))
    };
    match hidden(&prompt)? {
        // The session wipes what it is given once sent.
        Some(answer) => Ok(Some(answer.to_string())),
        None => Err(abandoned(step)),
    }
}

/// Asks on the terminal with echo off; `None` at the end of input. The
/// answer is wiped when dropped.
fn hidden(prompt: &str) -> Result<Option<Zeroizing<String>>, Error> {
    let no_tty = |e: std::io::Error| {
        Error::argument(format!(
            "cannot prompt: no terminal ({e}); set ETNA_PASSWORD or use --password-stdin for scripts"
        ))
    };
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
