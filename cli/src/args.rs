//! The command line, declared with clap: every command answers `--help`
//! (exit code 0), and a bad command line is a one-line message on stderr
//! with exit code 64. Values missing from the flags come from the
//! environment (an empty variable counts as unset).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::NonEmptyStringValueParser;
use clap::error::ErrorKind;
use clap::{ArgAction, ArgGroup, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use etna_auth::defaults::{DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_TIMEOUT_MS};
use etna_auth::store::Store;

use crate::exit::{self, Failure};

/// etna-auth: log in to the ETNA Trader / AutoShares API (POST /token)
#[derive(Parser)]
#[command(
    name = "etna-auth",
    version,
    flatten_help = true,
    // No command: a one-line usage error, not the whole help on stderr.
    arg_required_else_help = false,
    // A flag given twice takes its last value, as scripts that append to a
    // list of common flags expect.
    args_override_self = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Log in and print the token on stdout
    ///
    /// Logs in and prints the token on stdout (with --header, the line
    /// 'Authorization: Bearer <token>'). The base URL, app key and user name
    /// come from the flags or ETNA_BASE_URL, ETNA_APP_KEY, ETNA_USERNAME; the
    /// password from --password-stdin, ETNA_PASSWORD or a prompt on the
    /// terminal (not echoed). A security PIN or verification code is
    /// prompted for on the terminal when the server asks (not echoed; Ctrl-D
    /// gives up: exit code 13). Prompts and errors go to the terminal and
    /// stderr, so TOKEN=$(etna-auth login ...) works.
    ///
    /// Without --store (or --cache) nothing is stored. With --store, the
    /// user's stored token is reused while it stays valid --min-valid more
    /// seconds, without any prompt; else the new token is stored before it
    /// is printed: when storing fails, the error is reported (exit code 10)
    /// and no token is printed, so a token is never printed by a command
    /// that then fails.
    ///
    /// Ctrl-C cancels at once (exit code 130; a token file is never left
    /// half written). The environment variable ETNA_AUTH_LOG=info|debug|trace
    /// writes the log as -v, -vv, -vvv do.
    Login(LoginArgs),
    /// Print a valid token: the stored one, else one from a login
    ///
    /// Prints a token that stays valid --min-valid more seconds: the user's
    /// token in the store (nothing is sent, no password needed), else one
    /// from a login, which is then stored. The password (asked only when a
    /// login is needed) comes from --password-stdin, ETNA_PASSWORD or a
    /// prompt on the terminal, as the PIN and code do. While one etna-auth
    /// logs in for a store, base URL and user, the others wait for it and
    /// print its token: one login, one code.
    ///
    /// With --no-prompt nothing is ever asked: when a login would need an
    /// answer, the command prints nothing and exits 12 (no token). This is
    /// the command for cron jobs and credential helpers.
    ///
    /// A new token is stored before it is printed: when storing fails, the
    /// error is reported (exit code 10) and no token is printed.
    Token(TokenArgs),
    /// Show the stored tokens: base URL, user and expiry (never the tokens)
    Status(StatusArgs),
    /// Remove the user's token for the base URL from the store
    Logout(LogoutArgs),
    /// Run the emulator of the token endpoint on 127.0.0.1 in the foreground
    ///
    /// Runs the emulator of the token endpoint on 127.0.0.1 in the
    /// foreground and prints its URL and app key as ETNA_BASE_URL=... and
    /// ETNA_APP_KEY=... lines (Ctrl-C stops it).
    Sandbox(SandboxArgs),
    /// Start the sandbox and walk through three logins (needs no input)
    Demo,
}

/// Where to log in and as whom.
#[derive(Args)]
pub struct Account {
    /// The API's base URL [env: ETNA_BASE_URL]
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// The user name [env: ETNA_USERNAME]
    #[arg(long, value_name = "NAME")]
    username: Option<String>,
}

impl Account {
    pub fn base_url(&self) -> Result<String, Failure> {
        flag_or_env(&self.base_url, "--base-url", "ETNA_BASE_URL")
    }

    pub fn username(&self) -> Result<String, Failure> {
        flag_or_env(&self.username, "--username", "ETNA_USERNAME")
    }
}

/// Whom to log in as and how to reach the server: the flags `login` and
/// `token` share.
#[derive(Args)]
pub struct LoginTarget {
    #[command(flatten)]
    pub account: Account,
    #[command(flatten)]
    pub connection: Connection,
}

/// How to reach the server, for the commands that log in.
#[derive(Args)]
pub struct Connection {
    /// The application key [env: ETNA_APP_KEY]
    #[arg(long, value_name = "KEY")]
    app_key: Option<String>,
    /// Read the password from standard input, to its end (one final newline
    /// is dropped), instead of ETNA_PASSWORD or the terminal
    #[arg(long)]
    pub password_stdin: bool,
    /// The deadline of each exchange with the server, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = u64::from(DEFAULT_TIMEOUT_MS))]
    pub timeout_ms: u64,
    #[command(flatten)]
    lock: LockTimeout,
    /// Trust the CA certificates of this PEM file instead of the system's
    /// trust store
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Connect through this proxy (http://host:port) instead of the one
    /// https_proxy / NO_PROXY name
    #[arg(long, value_name = "URL", conflicts_with = "no_proxy")]
    pub proxy: Option<String>,
    /// Connect directly, whatever https_proxy says
    #[arg(long)]
    pub no_proxy: bool,
    /// The log on stderr: -v each step, -vv each request and answer, -vvv
    /// connection events too (secrets always show as ***)
    #[arg(short, action = ArgAction::Count)]
    pub verbose: u8,
}

impl Connection {
    pub fn app_key(&self) -> Result<String, Failure> {
        flag_or_env(&self.app_key, "--app-key", "ETNA_APP_KEY")
    }

    pub fn lock_timeout(&self) -> Result<Duration, Failure> {
        self.lock.get()
    }
}

/// --lock-timeout: for the commands that log in, and for `logout`.
#[derive(Args)]
pub struct LockTimeout {
    /// How long to wait while another etna-auth logs in for the same user
    /// (or writes the token file) before giving up with exit code 7, in
    /// seconds; 0: do not wait [env: ETNA_AUTH_LOCK_TIMEOUT] [default: 120]
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    lock_timeout: Option<Duration>,
}

impl LockTimeout {
    /// --lock-timeout, else ETNA_AUTH_LOCK_TIMEOUT, else the library's default.
    pub fn get(&self) -> Result<Duration, Failure> {
        if let Some(timeout) = self.lock_timeout {
            return Ok(timeout);
        }
        match std::env::var(LOCK_TIMEOUT_ENV) {
            Ok(v) if !v.is_empty() => parse_seconds(&v)
                .map_err(|why| Failure::Usage(format!("{LOCK_TIMEOUT_ENV}: {why}"))),
            _ => Ok(Duration::from_millis(DEFAULT_LOCK_TIMEOUT_MS.into())),
        }
    }
}

/// The environment variable of --lock-timeout.
const LOCK_TIMEOUT_ENV: &str = "ETNA_AUTH_LOCK_TIMEOUT";

/// Seconds, whole or not ("120", "0.5"), at least 0 and at most what the
/// library takes (u32 milliseconds, 49 days).
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    let max = f64::from(u32::MAX) / 1000.0;
    if !(0.0..=max).contains(&seconds) {
        return Err(format!("{text:?}: give 0 to {max:.0} seconds"));
    }
    Ok(Duration::from_millis((seconds * 1000.0).round() as u64))
}

/// How the token is printed.
#[derive(Args)]
pub struct Output {
    /// Print the line 'Authorization: Bearer <token>'
    #[arg(long, conflicts_with = "json")]
    pub header: bool,
    /// Print {"token": ..., "expires_at": <Unix seconds>, "expires_in": <seconds>}
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
#[command(group(ArgGroup::new("stored").args(["store", "cache"])))]
pub struct LoginArgs {
    #[command(flatten)]
    pub target: LoginTarget,
    /// A token store to reuse the user's token from and store a new one in:
    /// a token file's path, or 'keyring' for the OS credential store (Secret
    /// Service, Windows Credential Manager, macOS Keychain)
    #[arg(long, value_name = "SPEC", value_parser = NonEmptyStringValueParser::new())]
    pub store: Option<String>,
    /// The same as --store FILE (a token file)
    #[arg(long, value_name = "FILE")]
    pub cache: Option<PathBuf>,
    /// With --store: how many more seconds a stored token must stay valid
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = DEFAULT_MIN_VALID,
        requires = "stored"
    )]
    pub min_valid: u32,
    #[command(flatten)]
    pub output: Output,
}

impl LoginArgs {
    /// The store that --store or --cache names, if any.
    pub fn store(&self) -> Result<Option<Store>, Failure> {
        match (&self.store, &self.cache) {
            (Some(spec), _) => Ok(Some(Store::open(Some(spec))?)),
            (None, Some(path)) => Ok(Some(Store::File(path.clone()))),
            (None, None) => Ok(None),
        }
    }
}

#[derive(Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub target: LoginTarget,
    /// The token store: a token file's path, or 'keyring' for the OS
    /// credential store (default: ETNA_AUTH_STORE, else the per-user token
    /// file, ~/.config/etna-auth/tokens.json on Linux)
    #[arg(long, value_name = "SPEC", value_parser = NonEmptyStringValueParser::new())]
    pub store: Option<String>,
    /// How many more seconds the token must stay valid
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_MIN_VALID)]
    pub min_valid: u32,
    /// Never ask anything: when a login would need an answer, print nothing
    /// and exit 12; nor wait for another etna-auth whose login waits for
    /// its user's answer
    #[arg(long)]
    pub no_prompt: bool,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Args)]
pub struct StatusArgs {
    /// The token store: a token file's path, or 'keyring' for the OS
    /// credential store (default: ETNA_AUTH_STORE, else the per-user token
    /// file)
    #[arg(long, value_name = "SPEC", value_parser = NonEmptyStringValueParser::new())]
    pub store: Option<String>,
    /// Print {"store": ..., "tokens": [{"base_url", "username", "expires_at", "expires_in"}]}
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct LogoutArgs {
    #[command(flatten)]
    pub account: Account,
    /// The token store: a token file's path, or 'keyring' for the OS
    /// credential store (default: ETNA_AUTH_STORE, else the per-user token
    /// file)
    #[arg(long, value_name = "SPEC", value_parser = NonEmptyStringValueParser::new(), conflicts_with = "cache")]
    pub store: Option<String>,
    /// The same as --store FILE (a token file)
    #[arg(long, value_name = "FILE")]
    pub cache: Option<PathBuf>,
    #[command(flatten)]
    pub lock: LockTimeout,
}

impl LogoutArgs {
    /// The store that --store or --cache names, else the default store.
    pub fn store(&self) -> Result<Store, Failure> {
        match &self.cache {
            Some(path) => Ok(Store::File(path.clone())),
            None => Ok(Store::open(self.store.as_deref())?),
        }
    }
}

#[derive(Args)]
pub struct SandboxArgs {
    /// Accounts, app key and limits as JSON (README: The sandbox)
    #[arg(long, value_name = "FILE.json")]
    pub config: Option<PathBuf>,
    /// The port on 127.0.0.1 (0: any free port)
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
}

/// The default of --min-valid: five minutes.
const DEFAULT_MIN_VALID: u32 = 300;

/// A flag's value, else the environment variable's, else a usage error.
fn flag_or_env(flag_value: &Option<String>, flag: &str, env: &str) -> Result<String, Failure> {
    if let Some(v) = flag_value {
        return Ok(v.clone());
    }
    match std::env::var(env) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(Failure::Usage(format!("give {flag} or set {env}"))),
    }
}

/// The command line's command; `Err` with the exit code when there is
/// nothing to run: the help or the version was printed (0), or the command
/// line is wrong (64, after a one-line message).
pub fn parse() -> Result<Command, ExitCode> {
    let exit_codes = exit::help_section();
    let command = Cli::command()
        .after_help(exit_codes.clone())
        .mut_subcommands(|c| match c.get_name() {
            "login" | "token" | "status" | "logout" => c.after_help(exit_codes.clone()),
            _ => c,
        });
    let parsed = command
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    match parsed {
        Ok(cli) => Ok(cli.command),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            Err(ExitCode::SUCCESS)
        }
        Err(e) => Err(exit::usage_error(&one_line(&e), &help_for_args())),
    }
}

/// clap's message without its usage block: its paragraphs ("unexpected
/// argument '--bogus' found", "tip: ...") on one line.
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let mut paragraphs: Vec<String> = Vec::new();
    for paragraph in text.split("\n\n") {
        let paragraph = paragraph.trim();
        if paragraph.starts_with("Usage:") || paragraph.starts_with("For more information") {
            continue;
        }
        let words: Vec<&str> = paragraph.split_whitespace().collect();
        if !words.is_empty() {
            paragraphs.push(words.join(" "));
        }
    }
    let joined = paragraphs.join("; ");
    joined.strip_prefix("error: ").unwrap_or(&joined).to_owned()
}

/// "etna-auth login --help" when the command line names a command.
pub fn help_for_args() -> String {
    let command = std::env::args().nth(1).filter(|name| {
        Cli::command()
            .get_subcommands()
            .any(|c| c.get_name() == name)
    });
    match command {
        Some(name) => format!("etna-auth {name} --help"),
        None => "etna-auth --help".to_owned(),
    }
}
