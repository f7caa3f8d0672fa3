//! How a command ends: its exit code, from the one status table
//! (`Status::exit_code`, src/status_table.rs), and the table of exit codes
//! that the help text shows, made from the same table.

use std::process::ExitCode;

use etna_auth::{Error, Status};

/// A bad command line (EX_USAGE of sysexits.h).
pub const USAGE: u8 = 64;
/// Ctrl-C, as a shell reports SIGINT.
pub const INTERRUPTED: u8 = 130;

/// The statuses that no command ends with, so that the help lists only
/// exit codes the tool can return: every call is made in the order the
/// session expects (no ETNA_ERR_STATE). ETNA_ERR_NO_TOKEN is `token
/// --no-prompt`'s when a login would need an answer.
const NEVER_RETURNED: &[Status] = &[Status::State];

/// Why a command did not succeed.
pub enum Failure {
    /// A command line that clap accepts but that is still incomplete (a
    /// value missing from both the flags and the environment).
    Usage(String),
    Etna(Error),
    /// Ctrl-C.
    Interrupted,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Etna(e)
    }
}

/// Reports a failure on stderr (one line) and gives the exit code;
/// `help_for_args` names the help a usage error points to (the command
/// line's, which `args` knows: this module does not depend on it).
pub fn report(result: Result<(), Failure>, help_for_args: impl FnOnce() -> String) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(why)) => usage_error(&why, &help_for_args()),
        Err(Failure::Interrupted) => {
            eprintln!("etna-auth: interrupted");
            ExitCode::from(INTERRUPTED)
        }
        Err(Failure::Etna(e)) => {
            eprintln!("etna-auth: {e}");
            ExitCode::from(e.status().exit_code())
        }
    }
}

/// A usage error: one line on stderr, naming the help to read; exit code 64.
pub fn usage_error(why: &str, help: &str) -> ExitCode {
    eprintln!("etna-auth: {why} (see '{help}')");
    ExitCode::from(USAGE)
}

/// Every exit code of the commands with its meaning, in order.
pub fn table() -> Vec<(u8, String)> {
    let mut rows: Vec<(u8, String)> = Vec::new();
    for &status in Status::ALL {
        let code = status.exit_code();
        // ETNA_NEED_PIN and ETNA_NEED_CODE share ETNA_OK's 0.
        if NEVER_RETURNED.contains(&status) || rows.iter().any(|(c, _)| *c == code) {
            continue;
        }
        rows.push((code, format!("{} ({})", status.describe(), status.name())));
    }
    rows.push((USAGE, "usage error: a bad command line".to_owned()));
    rows.push((INTERRUPTED, "interrupted (Ctrl-C)".to_owned()));
    rows.sort_by_key(|(code, _)| *code);
    rows
}

/// The help text's section on exit codes.
pub fn help_section() -> String {
    let mut text = String::from("Exit codes (login, token, status, logout):\n");
    for (code, meaning) in table() {
        text.push_str(&format!("  {code:>3} {meaning}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_every_error_status_the_tool_returns_once() {
        let rows = table();
        for &status in Status::ALL {
            let listed = rows.iter().any(|(code, meaning)| {
                *code == status.exit_code() && meaning.contains(status.describe())
            });
            let first_with_its_code = Status::ALL
                .iter()
                .find(|s| s.exit_code() == status.exit_code())
                == Some(&status);
            assert_eq!(
                listed,
                first_with_its_code && !NEVER_RETURNED.contains(&status),
                "{status:?}"
            );
        }
        let codes: Vec<u8> = rows.iter().map(|(code, _)| *code).collect();
        let mut unique = codes.clone();
        unique.dedup();
        assert_eq!(codes, unique, "sorted, each code once");
        assert!(codes.contains(&USAGE) && codes.contains(&INTERRUPTED));
    }
}
