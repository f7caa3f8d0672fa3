//! `etna-auth`: log in from a terminal or a script, run the sandbox, or
//! watch a demo of the protocol against it.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use etna_auth::sandbox::{Sandbox, SandboxConfig};

// The C library's wiping allocator (capi/heap): the tool handles
// passwords, PINs, codes and tokens too.
#[cfg(feature = "wipe-heap")]
#[global_allocator]
static HEAP: etna_auth_heap::WipingAllocator = etna_auth_heap::WipingAllocator::new();
use etna_auth::log::{Level, Log};
use etna_auth::{Error, Session, Status, Step};
use zeroize::Zeroizing;

const USAGE: &str = r#"etna-auth: log in to the ETNA Trader / AutoShares API (POST /token)

USAGE:
  etna-auth login [--base-url URL] [--app-key KEY] [--username NAME]
                  [--timeout-ms MS] [--ca-file PEM] [--proxy URL | --no-proxy]
                  [--cache FILE [--min-valid SECONDS]] [--header | --json]
                  [-v | -vv | -vvv]
  etna-auth logout --cache FILE [--base-url URL] [--username NAME]
  etna-auth sandbox [--config FILE.json] [--port PORT]
  etna-auth demo
  etna-auth --help | --version

login   Logs in and prints the token on stdout (with --header, the line
        'Authorization: Bearer <token>'). The base URL, app key and user name
        come from the flags or ETNA_BASE_URL, ETNA_APP_KEY, ETNA_USERNAME; the
        password from ETNA_PASSWORD or a prompt on the terminal (not echoed).
        A security PIN or verification code is prompted for when the server
        asks (not echoed). Prompts and errors go to the terminal / stderr, so
        TOKEN=$(etna-auth login ...) works. --json prints
        {"token": ..., "expires_at": <unix seconds>}. --cache FILE reuses a
        cached token valid for --min-valid more seconds (default 300) without
        any prompt, and saves a new one after a login (mode 0600). The proxy
        follows https_proxy / NO_PROXY unless --proxy or --no-proxy is given.
        Ctrl-C cancels at once (exit code 130; the cache is never left half
        written). -v logs each step on stderr, -vv each request and answer,
        -vvv connection events too (secrets always show as ***); the
        environment variable ETNA_AUTH_LOG=info|debug|trace does the same.
logout  Removes the user's token for the base URL from the cache file.
sandbox Runs the emulator of the token endpoint on 127.0.0.1 in the
        foreground and prints its URL and app key (Ctrl-C stops it).
demo    Starts the sandbox and walks through a single-factor login, a PIN
        login and a code login with one wrong code. Needs no input.

EXIT CODES (login, logout):
  0 logged in      1 bad argument   2 call order   3 app key refused
  4 credentials    5 login refused  6 network      7 timeout
  8 protocol       9 server error  10 file error  11 TLS
 12 no token      13 cancelled     64 usage error 99 internal error
130 interrupted (Ctrl-C)
"#;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("login") => login(&args[1..]),
        Some("logout") => logout(&args[1..]),
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
        _ => Err(Failure::Usage(
            "expected a command: login, sandbox or demo".into(),
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(why)) => {
            eprintln!("etna-auth: {why}\n\n{USAGE}");
            ExitCode::from(64)
        }
        Err(Failure::Interrupted) => {
            eprintln!("etna-auth: interrupted");
            ExitCode::from(130)
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
    /// Ctrl-C: exit code 130, like a shell.
    Interrupted,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Etna(e)
    }
}

/// The documented exit code of a status: its absolute value, 99 for internal.
fn exit_code(status: Status) -> u8 {
    match status.code() {
        code @ -13..=-1 => (-code) as u8,
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
        &[
            "--base-url",
            "--app-key",
            "--username",
            "--timeout-ms",
            "--ca-file",
            "--proxy",
            "--cache",
            "--min-valid",
        ],
        &["--header", "--json", "--no-proxy", "-v", "-vv", "-vvv"],
    )?;
    let base_url = flags.required("--base-url", "ETNA_BASE_URL")?;
    let app_key = Zeroizing::new(flags.required("--app-key", "ETNA_APP_KEY")?);
    let username = flags.required("--username", "ETNA_USERNAME")?;
    let mut session = Session::new(&base_url, &app_key)?;
    // -v, -vv, -vvv: the log on stderr (stdout keeps only the token).
    let verbosity = ["-v", "-vv", "-vvv"]
        .iter()
        .zip([Level::Info, Level::Debug, Level::Trace])
        .filter(|(flag, _)| flags.has(flag))
        .map(|(_, level)| level)
        .max();
    if let Some(level) = verbosity {
        session.set_log(Log::stderr(level));
    }
    if let Some(ms) = flags.get("--timeout-ms") {
        let ms: u64 = ms
            .parse()
            .map_err(|_| Failure::Usage(format!("--timeout-ms takes milliseconds, not {ms:?}")))?;
        session.set_timeout(Duration::from_millis(ms))?;
    }
    if let Some(path) = flags.get("--ca-file") {
        session.set_ca_file(Path::new(path))?;
    }
    if let Some(proxy) = flags.get("--proxy") {
        session.set_proxy(Some(proxy))?;
    } else if flags.has("--no-proxy") {
        session.set_proxy(None)?;
    }
    let min_valid: u32 = match flags.get("--min-valid") {
        Some(s) => s
            .parse()
            .map_err(|_| Failure::Usage(format!("--min-valid takes seconds, not {s:?}")))?,
        None => 300,
    };
    let cache = flags.get("--cache").map(Path::new);

    interrupt::install(session.canceller());
    let cached = match cache {
        Some(path) => match session.load_token(path, &username, min_valid) {
            Ok(()) => true,
            Err(e) if e.status() == Status::NoToken => false,
            Err(e) => return Err(e.into()),
        },
        None => false,
    };
    if !cached {
        log_in(&mut session, &username)?;
    }
    print_token(&session, &flags)?;
    if let (Some(path), false) = (cache, cached) {
        interrupt::while_in(interrupt::Phase::Saving, || session.save_token(path))?;
    }
    interrupt::exit_if_interrupted();
    Ok(())
}

/// The password, then every factor the server asks for, on the terminal,
/// by the login policy of `Session::login` (docs/login-policy.md).
fn log_in(session: &mut Session, username: &str) -> Result<(), Failure> {
    let password = match std::env::var("ETNA_PASSWORD") {
        Ok(p) => Zeroizing::new(p),
        Err(_) => prompt_hidden(&format!("Password for {username}: "))?,
    };
    let progress = Progress::start();
    let mut prompt_failure = None;
    let result = interrupt::while_in(interrupt::Phase::Network, || {
        session
            .login(username, &password, |step, reason| {
                progress.pause();
                let prompt = match step {
                    Step::NeedPin => "Security PIN: ",
                    _ => "Verification code (sent by email or SMS): ",
                };
                let answer = prompt_hidden(&with_reason(reason, prompt));
                progress.resume();
                match answer {
                    // The session wipes what it is given once sent.
                    Ok(factor) => Some(factor.to_string()),
                    Err(failure) => {
                        prompt_failure = Some(failure);
                        None
                    }
                }
            })
            .map(|_| ())
    });
    progress.finish();
    drop(password);
    match result {
        Ok(()) => Ok(()),
        Err(_) if prompt_failure.is_some() => Err(prompt_failure.unwrap_or(Failure::Interrupted)),
        Err(e) if e.status() == Status::Cancelled && interrupt::interrupted() => {
            Err(Failure::Interrupted)
        }
        Err(e) => Err(e.into()),
    }
}

/// "waiting for the server..." on a terminal's stderr while an exchange
/// takes longer than a second; paused while the user is asked for a factor.
struct Progress {
    shared: Option<Arc<(Mutex<ProgressState>, Condvar)>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct ProgressState {
    waiting_since: Option<Instant>,
    shown: bool,
    done: bool,
}

impl Progress {
    fn start() -> Progress {
        if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            return Progress {
                shared: None,
                thread: None,
            };
        }
        let shared = Arc::new((
            Mutex::new(ProgressState {
                waiting_since: Some(Instant::now()),
                ..ProgressState::default()
            }),
            Condvar::new(),
        ));
        let theirs = shared.clone();
        let thread = std::thread::spawn(move || {
            let (state, wake) = &*theirs;
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            while !state.done {
                let wait = match state.waiting_since {
                    Some(since) if !state.shown => {
                        let left = Duration::from_secs(1).saturating_sub(since.elapsed());
                        if left.is_zero() {
                            eprint!("etna-auth: waiting for the server...");
                            state.shown = true;
                            continue;
                        }
                        left
                    }
                    _ => Duration::from_secs(3600),
                };
                state = wake
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        });
        Progress {
            shared: Some(shared),
            thread: Some(thread),
        }
    }

    fn update(&self, change: impl FnOnce(&mut ProgressState)) {
        if let Some(shared) = &self.shared {
            let mut state = shared.0.lock().unwrap_or_else(|e| e.into_inner());
            change(&mut state);
            shared.1.notify_all();
        }
    }

    /// Clears the line, if shown, before anything else is written.
    fn pause(&self) {
        self.update(|state| {
            state.waiting_since = None;
            if std::mem::take(&mut state.shown) {
                eprint!("\r\x1b[K");
            }
        });
    }

    fn resume(&self) {
        self.update(|state| state.waiting_since = Some(Instant::now()));
    }

    fn finish(mut self) {
        self.pause();
        self.update(|state| state.done = true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn print_token(session: &Session, flags: &Flags) -> Result<(), Failure> {
    let token = session.token().unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let written = if flags.has("--json") {
        let json = serde_json::json!({
            "token": token,
            "expires_at": session.expires_at().unwrap_or(0),
        });
        writeln!(out, "{json}")
    } else if flags.has("--header") {
        writeln!(out, "Authorization: Bearer {token}")
    } else {
        writeln!(out, "{token}")
    };
    written
        .and_then(|_| out.flush())
        .map_err(|e| Error::new(Status::Io, format!("cannot write the token to stdout: {e}")))?;
    Ok(())
}

fn logout(args: &[String]) -> Result<(), Failure> {
    let flags = Flags::parse(args, &["--base-url", "--username", "--cache"], &[])?;
    let base_url = flags.required("--base-url", "ETNA_BASE_URL")?;
    let username = flags.required("--username", "ETNA_USERNAME")?;
    let cache = flags
        .get("--cache")
        .ok_or_else(|| Failure::Usage("logout needs --cache FILE".into()))?;
    etna_auth::session::forget_token(Path::new(cache), &base_url, &username)?;
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
    let no_tty = |e: std::io::Error| {
        Error::argument(format!(
            "cannot prompt: no terminal ({e}); set ETNA_PASSWORD for scripts"
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

    let echo_off = interrupt::echo_off(&tty);
    let mut line = Zeroizing::new(String::new());
    let read = interrupt::while_in(interrupt::Phase::Prompt, || {
        std::io::BufReader::new(&tty).read_line(&mut line)
    });
    if echo_off {
        interrupt::restore_terminal();
        // What ECHONL does on Unix: the new line the user typed.
        #[cfg(windows)]
        let _ = writer.write_all(b"\r\n");
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

/// Ctrl-C: SIGINT is taken by one thread (sigwait), which, depending on what
/// the program is doing, cancels the exchange in flight (the main thread then
/// exits 130), lets a cache save finish (so the file is never half written),
/// or restores the terminal's echo and exits 130 at once.
mod interrupt {
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
    use std::sync::{Arc, Mutex};

    use etna_auth::transport::Canceller;

    #[derive(Clone, Copy, PartialEq, Eq)]
    #[repr(u8)]
    pub enum Phase {
        Other = 0,
        Prompt = 1,
        Network = 2,
        Saving = 3,
    }

    static PHASE: AtomicU8 = AtomicU8::new(Phase::Other as u8);
    static INTERRUPTED: AtomicBool = AtomicBool::new(false);
    static CANCELLER: Mutex<Option<Arc<Canceller>>> = Mutex::new(None);
    /// A terminal and its settings before echo was turned off.
    #[cfg(unix)]
    type Saved = (i32, libc::termios);
    /// A console input handle and its mode before echo was turned off.
    #[cfg(windows)]
    type Saved = (usize, u32);
    static TERMINAL: Mutex<Option<Saved>> = Mutex::new(None);

    /// Blocks SIGINT in this thread (and so in every thread started later)
    /// and starts the thread that waits for it.
    #[cfg(unix)]
    pub fn install(canceller: Arc<Canceller>) {
        *CANCELLER.lock().unwrap_or_else(|e| e.into_inner()) = Some(canceller);
        // SAFETY: plain libc signal-mask calls on a local, initialized set.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGINT);
            if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
                return;
            }
            std::thread::spawn(move || loop {
                let mut signal = 0;
                if libc::sigwait(&set, &mut signal) == 0 && signal == libc::SIGINT {
                    on_interrupt();
                }
            });
        }
    }

    /// Windows: a console control handler, which the system runs in a new
    /// thread of its own on Ctrl-C or Ctrl-Break.
    #[cfg(windows)]
    pub fn install(canceller: Arc<Canceller>) {
        use windows_sys::Win32::System::Console::{
            SetConsoleCtrlHandler, CTRL_BREAK_EVENT, CTRL_C_EVENT,
        };
        unsafe extern "system" fn handler(event: u32) -> windows_sys::core::BOOL {
            if event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT {
                on_interrupt();
                1
            } else {
                0
            }
        }
        *CANCELLER.lock().unwrap_or_else(|e| e.into_inner()) = Some(canceller);
        // SAFETY: registers a handler that lives as long as the program.
        unsafe { SetConsoleCtrlHandler(Some(handler), 1) };
    }

    fn on_interrupt() {
        INTERRUPTED.store(true, Ordering::SeqCst);
        match PHASE.load(Ordering::SeqCst) {
            p if p == Phase::Network as u8 => {
                if let Some(c) = CANCELLER.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                    c.cancel();
                }
            }
            // The main thread exits when the save is done.
            p if p == Phase::Saving as u8 => {}
            _ => {
                restore_terminal();
                eprintln!("\netna-auth: interrupted");
                std::process::exit(130);
            }
        }
    }

    /// Runs `f` in a phase (Ctrl-C acts according to it).
    /// Phases nest: a prompt inside a login goes back to the login's phase.
    pub fn while_in<T>(phase: Phase, f: impl FnOnce() -> T) -> T {
        let outer = PHASE.swap(phase as u8, Ordering::SeqCst);
        let result = f();
        PHASE.store(outer, Ordering::SeqCst);
        result
    }

    pub fn interrupted() -> bool {
        INTERRUPTED.load(Ordering::SeqCst)
    }

    /// After a cache save that Ctrl-C interrupted.
    pub fn exit_if_interrupted() {
        if interrupted() {
            eprintln!("etna-auth: interrupted");
            std::process::exit(130);
        }
    }

    /// Turns echo off on the terminal (keeping the settings to put back if
    /// Ctrl-C comes during the prompt); false when it is no terminal.
    #[cfg(unix)]
    pub fn echo_off(tty: &std::fs::File) -> bool {
        use std::os::fd::AsRawFd;
        let fd = tty.as_raw_fd();
        // SAFETY: termios is plain data, filled by tcgetattr on a valid fd.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return false;
        }
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        quiet.c_lflag |= libc::ECHONL;
        *TERMINAL.lock().unwrap_or_else(|e| e.into_inner()) = Some((fd, saved));
        // SAFETY: settings read from the same descriptor, echo changed.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) };
        true
    }

    /// Windows: the console input mode without ENABLE_ECHO_INPUT.
    #[cfg(windows)]
    pub fn echo_off(tty: &std::fs::File) -> bool {
        use std::os::windows::io::AsRawHandle;
        use windows_sys::Win32::System::Console::{
            GetConsoleMode, SetConsoleMode, ENABLE_ECHO_INPUT,
        };
        let handle = tty.as_raw_handle();
        let mut mode = 0u32;
        // SAFETY: a console handle we opened; `mode` is written.
        if unsafe { GetConsoleMode(handle, &mut mode) } == 0 {
            return false;
        }
        *TERMINAL.lock().unwrap_or_else(|e| e.into_inner()) = Some((handle as usize, mode));
        // SAFETY: the same handle, echo off.
        unsafe { SetConsoleMode(handle, mode & !ENABLE_ECHO_INPUT) };
        true
    }

    pub fn restore_terminal() {
        if let Some((fd, saved)) = TERMINAL.lock().unwrap_or_else(|e| e.into_inner()).take() {
            // SAFETY: restores settings read from the same descriptor.
            #[cfg(unix)]
            unsafe {
                libc::tcsetattr(fd, libc::TCSANOW, &saved)
            };
            // SAFETY: restores the mode read from the same handle.
            #[cfg(windows)]
            unsafe {
                windows_sys::Win32::System::Console::SetConsoleMode(fd as _, saved)
            };
        }
    }
}
