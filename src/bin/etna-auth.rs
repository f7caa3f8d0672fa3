//! `etna-auth`: log in from a terminal or a script, run the sandbox, or
//! watch a demo of the protocol against it.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use etna_auth::sandbox::{Sandbox, SandboxConfig};
use etna_auth::{Error, Session, Status, Step};
use zeroize::Zeroizing;

const USAGE: &str = "\
etna-auth: log in to the ETNA Trader / AutoShares API (POST /token)

USAGE:
  etna-auth login [--base-url URL] [--app-key KEY] [--username NAME]
                  [--timeout-ms MS] [--ca-file PEM] [--header]
  etna-auth sandbox [--config FILE.json] [--port PORT]
  etna-auth demo
  etna-auth --help | --version

login   Logs in and prints the token on stdout (with --header, the line
        'Authorization: Bearer <token>'). The base URL, app key and user name
        come from the flags or ETNA_BASE_URL, ETNA_APP_KEY, ETNA_USERNAME; the
        password from ETNA_PASSWORD or a prompt on the terminal (not echoed).
        A security PIN or verification code is prompted for when the server
        asks (not echoed). Prompts and errors go to the terminal / stderr, so
        TOKEN=$(etna-auth login ...) works.
sandbox Runs the emulator of the token endpoint on 127.0.0.1 in the
        foreground and prints its URL and app key (Ctrl-C stops it).
demo    Starts the sandbox and walks through a single-factor login, a PIN
        login and a code login with one wrong code. Needs no input.

EXIT CODES (login):
  0 logged in      1 bad argument   2 call order   3 app key refused
  4 credentials    5 login refused  6 network      7 timeout
  8 protocol       9 server error  10 file error  11 TLS
 64 usage error   99 internal error
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("login") => login(&args[1..]),
        Some("sandbox") => sandbox(&args[1..]),
        Some("demo") => demo(),
        Some("--version" | "-V") => {
            println!("etna-auth {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Some("--help" | "-h" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        _ => Err(Failure::Usage("expected a command: login, sandbox or demo".into())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(why)) => {
            eprintln!("etna-auth: {why}\n\n{USAGE}");
            ExitCode::from(64)
        }
        Err(Failure::Etna(e)) => {
            eprintln!("etna-auth: {e}");
            ExitCode::from(exit_code(e.status()))
        }
    }
}

enum Failure {
    Usage(String),
    Etna(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Etna(e)
    }
}

/// The documented exit code of a status: its absolute value, 99 for internal.
fn exit_code(status: Status) -> u8 {
    match status.code() {
        code @ -11..=-1 => (-code) as u8,
        0..=2 => 0,
        _ => 99,
    }
}

/// `--name value` flags, each at most once.
struct Flags {
    pairs: Vec<(String, String)>,
    switches: Vec<String>,
}

impl Flags {
    fn parse(args: &[String], valued: &[&str], switches: &[&str]) -> Result<Flags, Failure> {
        let mut flags = Flags {
            pairs: Vec::new(),
            switches: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (arg.as_str(), None),
            };
            if switches.contains(&name) && inline.is_none() {
                flags.switches.push(name.to_owned());
            } else if valued.contains(&name) {
                let value = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| Failure::Usage(format!("{name} needs a value")))?,
                };
                flags.pairs.push((name.to_owned(), value));
            } else {
                return Err(Failure::Usage(format!("unknown argument {arg:?}")));
            }
        }
        Ok(flags)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }

    /// A flag, else an environment variable, else a usage error.
    fn required(&self, flag: &str, env: &str) -> Result<String, Failure> {
        if let Some(v) = self.get(flag) {
            return Ok(v.to_owned());
        }
        match std::env::var(env) {
            Ok(v) if !v.is_empty() => Ok(v),
            _ => Err(Failure::Usage(format!("give {flag} or set {env}"))),
        }
    }
}

fn login(args: &[String]) -> Result<(), Failure> {
    let flags = Flags::parse(
        args,
        &["--base-url", "--app-key", "--username", "--timeout-ms", "--ca-file"],
        &["--header"],
    )?;
    let base_url = flags.required("--base-url", "ETNA_BASE_URL")?;
    let app_key = Zeroizing::new(flags.required("--app-key", "ETNA_APP_KEY")?);
    let username = flags.required("--username", "ETNA_USERNAME")?;
    let mut session = Session::new(&base_url, &app_key)?;
    if let Some(ms) = flags.get("--timeout-ms") {
        let ms: u64 = ms
            .parse()
            .map_err(|_| Failure::Usage(format!("--timeout-ms takes milliseconds, not {ms:?}")))?;
        session.set_timeout(Duration::from_millis(ms))?;
    }
    if let Some(path) = flags.get("--ca-file") {
        session.set_ca_file(std::path::Path::new(path))?;
    }
    let password = match std::env::var("ETNA_PASSWORD") {
        Ok(p) => Zeroizing::new(p),
        Err(_) => prompt_hidden(&format!("Password for {username}: "))?,
    };
    let mut step = session.begin_auth(&username, &password)?;
    drop(password);
    loop {
        step = match step {
            Step::Done => break,
            Step::NeedPin => {
                let pin = prompt_hidden(&with_reason(session.reason(), "Security PIN: "))?;
                session.supply_pin(&pin)?
            }
            Step::NeedCode => {
                let code = prompt_hidden(&with_reason(
                    session.reason(),
                    "Verification code (sent by email or SMS): ",
                ))?;
                session.supply_code(&code)?
            }
        };
    }
    let token = session.token().unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let written = if flags.has("--header") {
        writeln!(out, "Authorization: Bearer {token}")
    } else {
        writeln!(out, "{token}")
    };
    written
        .and_then(|_| out.flush())
        .map_err(|e| Error::new(Status::Io, format!("cannot write the token to stdout: {e}")))?;
    Ok(())
}

/// The server's Reason before a prompt ("Invalid pin"), when there is one.
fn with_reason(reason: &str, prompt: &str) -> String {
    if reason.is_empty() {
        prompt.to_owned()
    } else {
        format!("{}\n{prompt}", etna_auth::error::quote(reason))
    }
}

/// Asks on the terminal (not stdout) with echo off; the answer is wiped
/// when dropped.
fn prompt_hidden(prompt: &str) -> Result<Zeroizing<String>, Failure> {
    use std::os::fd::AsRawFd;

    let no_tty = |e: std::io::Error| {
        Error::argument(format!(
            "cannot prompt: no terminal ({e}); set ETNA_PASSWORD for scripts"
        ))
    };
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(no_tty)?;
    let fd = tty.as_raw_fd();
    let mut writer = &tty;
    writer.write_all(prompt.as_bytes()).map_err(no_tty)?;
    writer.flush().map_err(no_tty)?;

    // SAFETY: termios is plain data, filled by tcgetattr on a valid fd.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    let have_termios = unsafe { libc::tcgetattr(fd, &mut saved) } == 0;
    if have_termios {
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        quiet.c_lflag |= libc::ECHONL;
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) };
    }
    let mut line = Zeroizing::new(String::new());
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    if have_termios {
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &saved) };
    }
    read.map_err(no_tty)?;
    while line.ends_with('\n') || line.ends_with('\r') {
        line.pop();
    }
    Ok(line)
}

fn sandbox(args: &[String]) -> Result<(), Failure> {
    let flags = Flags::parse(args, &["--config", "--port"], &[])?;
    let mut config = match flags.get("--config") {
        Some(path) => {
            let json = std::fs::read_to_string(path).map_err(|e| {
                Error::new(Status::Io, format!("cannot read the config {path:?}: {e}"))
            })?;
            SandboxConfig::from_json(&json)
                .map_err(|why| Error::argument(format!("invalid sandbox config: {why}")))?
        }
        None => SandboxConfig::default(),
    };
    if let Some(port) = flags.get("--port") {
        config.port = port
            .parse()
            .map_err(|_| Failure::Usage(format!("--port takes a port number, not {port:?}")))?;
    }
    let usernames: Vec<String> = config.accounts.iter().map(|a| a.username.clone()).collect();
    let sandbox = Sandbox::start(config)
        .map_err(|e| Error::new(Status::Io, format!("cannot start the sandbox: {e}")))?;
    println!("ETNA_BASE_URL={}", sandbox.url());
    println!("ETNA_APP_KEY={}", sandbox.app_key());
    println!("# accounts: {}", usernames.join(", "));
    println!("# serving until interrupted (Ctrl-C)");
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}

fn demo() -> Result<(), Failure> {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .map_err(|e| Error::new(Status::Io, format!("cannot start the sandbox: {e}")))?;
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
    let name = step.status().describe().split(':').next().unwrap_or("");
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
