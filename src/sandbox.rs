//! The sandbox: an emulator of the ETNA token endpoint (`POST {base}/token`)
//! on 127.0.0.1, so that tests, demos and users' own integration tests run
//! offline and never reach the real service.
//!
//! The file reads top to bottom in three parts:
//!
//! 1. the configuration ([`SandboxConfig`], [`Account`], the JSON format);
//! 2. the protocol: `decide` answers one parsed request from the
//!    configuration and the table of open logins ("tickets"). It does no I/O,
//!    so every rule is unit-tested on its own;
//! 3. the server ([`Sandbox`]): a `std::net` accept loop with one thread per
//!    connection, HTTP/1.1 keep-alive, requests parsed by the `httparse`
//!    crate. Header values may hold raw UTF-8 bytes, as users' non-ASCII
//!    names and passwords do (tiny_http 0.12 drops such connections, which
//!    is why it is not used here).
//!
//! The module uses nothing else from the crate, so it also compiles alone.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

/// A request head (request line and headers) larger than this gets 431.
const MAX_HEAD: usize = 64 * 1024;
/// At most this many header lines; more gets 431 as well.
const MAX_HEADERS: usize = 100;
/// A request body larger than this gets 413. The protocol has no body, so a
/// small one is only read and thrown away.
const MAX_BODY: usize = 64 * 1024;
/// Each request must arrive whole within this time of the server starting to
/// wait for it, so an idle keep-alive connection (or one that drips a byte
/// now and then) ends on its own and its thread with it.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// After refusing a request we close our side and read what the client is
/// still sending for at most this long, so that the refusal is not lost to a
/// TCP reset caused by closing with unread data.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_MAX_BYTES: usize = 1024 * 1024;
/// An interim token not used within this time is forgotten.
const TICKET_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// At most this many logins wait for a second factor at once; beyond it the
/// oldest is forgotten, so abandoned logins cannot grow memory forever.
const MAX_TICKETS: usize = 10_000;

/// Length of a final (session) token and of an interim token. Different
/// lengths keep the two kinds apart.
const FINAL_TOKEN_LEN: usize = 64;
const INTERIM_TOKEN_LEN: usize = 40;

/// The only path served.
const TOKEN_PATH: &str = "/api/token";

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// A user the sandbox knows. `pin` and `code` are the second factors the
/// login asks for (PIN first when both are set).
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub username: String,
    pub password: String,
    /// Asked for with Step `SecutityPin` (the vendor's spelling) when set.
    pub pin: Option<String>,
    /// Asked for with Step `VerificationCode` when set, after the PIN.
    pub code: Option<String>,
}

/// Shows the user name only: secrets are never printed, not even in logs.
impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .field("code", &self.code.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What the sandbox accepts: its application key, port, accounts, and how
/// many wrong second factors a login survives.
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// The value the `Et-App-Key` header must have.
    pub app_key: String,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Wrong second factors per login; the one that reaches this number ends
    /// the login with 401 Failed.
    pub max_attempts: u32,
    pub accounts: Vec<Account>,
}

/// Hand-written so that passwords, PINs and codes never show (the accounts
/// print through [`Account`]'s redacting `Debug`).
impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("app_key", &self.app_key)
            .field("port", &self.port)
            .field("max_attempts", &self.max_attempts)
            .field("accounts", &self.accounts)
            .finish()
    }
}

impl Default for SandboxConfig {
    /// App key `sandbox-app-key`, any free port, 3 attempts, and the five
    /// documented accounts: alice (single factor), bob (PIN 1234), carol
    /// (code 123456), dave (PIN 4321 then code 654321) and jürgen (non-ASCII
    /// name and password, single factor).
    fn default() -> SandboxConfig {
        let account =
            |username: &str, password: &str, pin: Option<&str>, code: Option<&str>| Account {
                username: username.to_owned(),
                password: password.to_owned(),
                pin: pin.map(str::to_owned),
                code: code.map(str::to_owned),
            };
        SandboxConfig {
            app_key: "sandbox-app-key".to_owned(),
            port: 0,
            max_attempts: 3,
            accounts: vec![
                account("alice", "alice-pass", None, None),
                account("bob", "bob-pass", Some("1234"), None),
                account("carol", "carol-pass", None, Some("123456")),
                account("dave", "dave-pass", Some("4321"), Some("654321")),
                account("jürgen", "pässwörd-ß", None, None),
            ],
        }
    }
}

impl SandboxConfig {
    /// Parses the JSON config
    /// `{"app_key": "...", "port": 0, "max_attempts": 3, "accounts": [{"username": "...", "password": "...", "pin": "1234", "code": "123456"}]}`.
    ///
    /// Every key is optional (missing or `null` keeps the default; a given
    /// `accounts` replaces the default accounts); unknown keys are an error,
    /// also inside accounts. The app key must be non-empty, `max_attempts` at
    /// least 1, user names non-empty and unique, and no value may hold a
    /// control character. Errors are one-line messages naming the problem;
    /// they never quote a password, PIN or code.
    pub fn from_json(json: &str) -> Result<SandboxConfig, String> {
        // Walked by hand rather than through serde's derive: serde's messages
        // quote the offending value ("invalid type: integer `1234`"), which
        // could be a password. serde_json's syntax errors quote nothing.
        let value: Value =
            serde_json::from_str(json).map_err(|e| format!("the config is not valid JSON: {e}"))?;
        let Value::Object(object) = value else {
            return Err("the config must be a JSON object".to_owned());
        };
        const KEYS: &str = "app_key, port, max_attempts or accounts";
        let mut config = SandboxConfig::default();
        for (key, value) in &object {
            match key.as_str() {
                // `null` means "not given", like a missing key.
                "app_key" | "port" | "max_attempts" | "accounts" if value.is_null() => {}
                "app_key" => {
                    config.app_key = value.as_str().ok_or("app_key must be a string")?.to_owned();
                }
                "port" => {
                    config.port = value
                        .as_u64()
                        .and_then(|n| u16::try_from(n).ok())
                        .ok_or("port must be an integer from 0 to 65535")?;
                }
                "max_attempts" => {
                    config.max_attempts = value
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|&n| n >= 1)
                        .ok_or("max_attempts must be an integer of at least 1")?;
                }
                "accounts" => {
                    let list = value.as_array().ok_or("accounts must be an array")?;
                    config.accounts = list
                        .iter()
                        .enumerate()
                        .map(|(i, a)| account_from_json(i, a))
                        .collect::<Result<_, _>>()?;
                }
                _ => return Err(unknown_key("", key, KEYS)),
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// The checks of [`SandboxConfig::from_json`], also applied by
    /// [`Sandbox::start`] to a config built in code.
    fn validate(&self) -> Result<(), String> {
        if self.app_key.is_empty() {
            return Err("app_key must not be empty".to_owned());
        }
        if has_control(&self.app_key) {
            return Err("app_key must not hold control characters".to_owned());
        }
        if self.max_attempts == 0 {
            return Err("max_attempts must be at least 1".to_owned());
        }
        let mut seen = HashSet::new();
        for (i, account) in self.accounts.iter().enumerate() {
            if account.username.is_empty() {
                return Err(format!("accounts[{i}]: username must not be empty"));
            }
            if has_control(&account.username) {
                return Err(format!(
                    "accounts[{i}]: username must not hold control characters"
                ));
            }
            if !seen.insert(account.username.as_str()) {
                return Err(format!(
                    "accounts[{i}]: username {} appears more than once",
                    quote(&account.username)
                ));
            }
            let secrets = [
                ("password", Some(&account.password)),
                ("pin", account.pin.as_ref()),
                ("code", account.code.as_ref()),
            ];
            for (name, secret) in secrets {
                if secret.is_some_and(|s| has_control(s)) {
                    return Err(format!(
                        "accounts[{i}] ({}): {name} must not hold control characters",
                        quote(&account.username)
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One element of the config's `accounts` array.
fn account_from_json(i: usize, value: &Value) -> Result<Account, String> {
    let Value::Object(object) = value else {
        return Err(format!("accounts[{i}] must be a JSON object"));
    };
    let where_ = format!("accounts[{i}]");
    for key in object.keys() {
        if !["username", "password", "pin", "code"].contains(&key.as_str()) {
            return Err(unknown_key(
                &format!("{where_}: "),
                key,
                "username, password, pin or code",
            ));
        }
    }
    let required = |name: &str| -> Result<String, String> {
        match object.get(name) {
            None | Some(Value::Null) => Err(format!("{where_}: {name} is missing")),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(format!("{where_}: {name} must be a string")),
        }
    };
    let optional = |name: &str| -> Result<Option<String>, String> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{where_}: {name} must be a string or null")),
        }
    };
    Ok(Account {
        username: required("username")?,
        password: required("password")?,
        pin: optional("pin")?,
        code: optional("code")?,
    })
}

/// `prefix` is "" or where the key is, as "accounts[2]: ".
fn unknown_key(prefix: &str, key: &str, expected: &str) -> String {
    format!("{prefix}unknown key {} (expected {expected})", quote(key))
}

/// A user-given string for an error message: escaped (so the message stays
/// one line) and cut short.
fn quote(s: &str) -> String {
    let short: String = s.chars().take(60).collect();
    let cut = if short.len() < s.len() { "..." } else { "" };
    format!("{short:?}{cut}")
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

// ---------------------------------------------------------------------------
// The protocol, without sockets
// ---------------------------------------------------------------------------

/// A parsed request: all the protocol looks at.
struct Request<'a> {
    method: &'a str,
    /// The request target, e.g. `/api/token` (a query string is ignored).
    path: &'a str,
    headers: &'a [httparse::Header<'a>],
}

impl Request<'_> {
    /// The first header of that name (names compare case-insensitively), as
    /// the raw bytes sent.
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// Whether any header of that name has `token` in its comma-separated
    /// list (as in `Connection: keep-alive, Upgrade`).
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .flat_map(|h| h.value.split(|&b| b == b','))
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    }
}

/// An answer: HTTP status and JSON body.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    body: String,
}

/// The body of every login answer, with the fields in the vendor's order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LoginBody<'a> {
    state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    step: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
}

fn login_answer(status: u16, body: &LoginBody<'_>) -> Answer {
    Answer {
        status,
        // Serializing a struct of strings cannot fail; "{}" keeps this total.
        body: serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned()),
    }
}

/// `{"error": "..."}`, the shape of the vendor's app-key error, used for the
/// HTTP-level refusals too.
fn error_answer(status: u16, message: &str) -> Answer {
    Answer {
        status,
        body: serde_json::json!({ "error": message }).to_string(),
    }
}

fn failed(step: &str, reason: &str) -> Answer {
    login_answer(
        401,
        &LoginBody {
            state: "Failed",
            step: Some(step),
            reason: Some(reason),
            token: None,
        },
    )
}

const APP_KEY_ERROR: &str = "Application key is not defined or does not exist";
const CORRUPTED_TICKET: &str = "Corrupted ticket";

/// The second factors, in the order a login asks for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Factor {
    Pin,
    Code,
}

impl Factor {
    /// The `Step` name in answers.
    fn step(self) -> &'static str {
        match self {
            Factor::Pin => "SecutityPin", // sic: the vendor's spelling
            Factor::Code => "VerificationCode",
        }
    }

    /// The request header that carries this factor.
    fn header(self) -> &'static str {
        match self {
            Factor::Pin => "PinCode",
            Factor::Code => "VerificationCode",
        }
    }

    /// `Reason` when the factor is first asked for.
    fn expecting(self) -> &'static str {
        match self {
            Factor::Pin => "Expecting security pin",
            Factor::Code => "Expecting confirmation code",
        }
    }

    /// `Reason` after a wrong answer (202 again, or the final 401).
    fn invalid(self) -> &'static str {
        match self {
            Factor::Pin => "Invalid pin",
            Factor::Code => "Invalid verification code",
        }
    }

    /// The account's expected value for this factor.
    fn expected(self, account: &Account) -> Option<&str> {
        match self {
            Factor::Pin => account.pin.as_deref(),
            Factor::Code => account.code.as_deref(),
        }
    }
}

/// A login waiting for a second factor, filed under its interim token.
#[derive(Debug)]
struct Ticket {
    username: String,
    factor: Factor,
    /// Wrong answers so far in this login's current step.
    wrong: u32,
    issued: Instant,
}

/// The open logins, and the source of fresh tokens.
struct Tickets {
    by_token: HashMap<String, Ticket>,
    tokens: TokenSource,
}

impl Tickets {
    fn new() -> Tickets {
        Tickets {
            by_token: HashMap::new(),
            tokens: TokenSource::new(),
        }
    }

    /// Files a new ticket and returns its fresh interim token.
    fn issue(&mut self, username: &str, factor: Factor, wrong: u32) -> String {
        if self.by_token.len() >= MAX_TICKETS {
            self.by_token
                .retain(|_, t| t.issued.elapsed() < TICKET_LIFETIME);
        }
        if self.by_token.len() >= MAX_TICKETS {
            let oldest = self
                .by_token
                .iter()
                .min_by_key(|(_, t)| t.issued)
                .map(|(token, _)| token.clone());
            if let Some(oldest) = oldest {
                self.by_token.remove(&oldest);
            }
        }
        let token = self.tokens.token(INTERIM_TOKEN_LEN);
        self.by_token.insert(
            token.clone(),
            Ticket {
                username: username.to_owned(),
                factor,
                wrong,
                issued: Instant::now(),
            },
        );
        token
    }

    /// Takes (consumes) the ticket of `token` if it belongs to `username`
    /// and has not expired. Another user's ticket is left in place: a wrong
    /// guess must not end someone else's login.
    fn take(&mut self, token: &str, username: &str) -> Option<Ticket> {
        let ticket = self.by_token.get(token)?;
        if ticket.issued.elapsed() >= TICKET_LIFETIME {
            self.by_token.remove(token);
            return None;
        }
        if ticket.username != username {
            return None;
        }
        self.by_token.remove(token)
    }
}

/// Answers one request: the whole protocol, in the order a server checks it.
fn decide(config: &SandboxConfig, tickets: &mut Tickets, request: &Request<'_>) -> Answer {
    let path = request.path.split('?').next().unwrap_or("");
    if path != TOKEN_PATH {
        return error_answer(404, "Not found");
    }
    if request.method != "POST" {
        return error_answer(405, "Method not allowed");
    }
    if request.header("Content-Length").is_none() {
        // What IIS answers a body-less POST without Content-Length.
        return error_answer(411, "Length required");
    }
    // The vendor's documentation gives this body but not its status code;
    // 400 is our choice (clients classify it by the body).
    if request.header("Et-App-Key") != Some(config.app_key.as_bytes()) {
        return error_answer(400, APP_KEY_ERROR);
    }
    // Raw bytes against the UTF-8 of the config: non-ASCII names match when
    // sent as UTF-8, and bytes that are not UTF-8 never match.
    let account = config.accounts.iter().find(|a| {
        request.header("Username") == Some(a.username.as_bytes())
            && request.header("Password") == Some(a.password.as_bytes())
    });
    let Some(account) = account else {
        return failed("BaseAuthentication", "Invalid credentials");
    };
    // The step a request answers, for "Corrupted ticket" answers.
    let answered = if request.header("PinCode").is_some() {
        Factor::Pin
    } else {
        Factor::Code
    };
    let Some(authorization) = request.header("Authorization") else {
        if request.header("PinCode").is_some() || request.header("VerificationCode").is_some() {
            // A factor without the interim token it belongs to.
            return failed(answered.step(), CORRUPTED_TICKET);
        }
        return start_login(account, tickets);
    };
    let ticket = bearer_token(authorization).and_then(|t| tickets.take(t, &account.username));
    match ticket {
        Some(ticket) => continue_login(config, tickets, account, ticket, request),
        None => failed(answered.step(), CORRUPTED_TICKET),
    }
}

/// First request of a login, with good credentials and no interim token.
fn start_login(account: &Account, tickets: &mut Tickets) -> Answer {
    let first = if account.pin.is_some() {
        Some(Factor::Pin)
    } else if account.code.is_some() {
        Some(Factor::Code)
    } else {
        None
    };
    match first {
        Some(factor) => expecting(tickets, account, factor, 0, factor.expecting()),
        None => succeeded(tickets),
    }
}

/// A request that answers the step of a valid (now consumed) ticket.
fn continue_login(
    config: &SandboxConfig,
    tickets: &mut Tickets,
    account: &Account,
    ticket: Ticket,
    request: &Request<'_>,
) -> Answer {
    let factor = ticket.factor;
    let given = request.header(factor.header());
    let right = match (given, factor.expected(account)) {
        (Some(given), Some(expected)) => given == expected.as_bytes(),
        _ => false,
    };
    if !right {
        // A wrong or missing factor: retry with a fresh token, the count
        // carried over, until the count reaches max_attempts.
        let wrong = ticket.wrong.saturating_add(1);
        if wrong >= config.max_attempts {
            return failed(factor.step(), factor.invalid());
        }
        return expecting(tickets, account, factor, wrong, factor.invalid());
    }
    if factor == Factor::Pin && account.code.is_some() {
        return expecting(tickets, account, Factor::Code, 0, Factor::Code.expecting());
    }
    succeeded(tickets)
}

/// 202: the login waits for `factor`, under a fresh interim token.
fn expecting(
    tickets: &mut Tickets,
    account: &Account,
    factor: Factor,
    wrong: u32,
    reason: &str,
) -> Answer {
    let interim = tickets.issue(&account.username, factor, wrong);
    login_answer(
        202,
        &LoginBody {
            state: "Expecting",
            step: Some(factor.step()),
            reason: Some(reason),
            token: Some(&interim),
        },
    )
}

/// 200 with a final token.
fn succeeded(tickets: &mut Tickets) -> Answer {
    let token = tickets.tokens.token(FINAL_TOKEN_LEN);
    login_answer(
        200,
        &LoginBody {
            state: "Succeeded",
            step: None,
            reason: None,
            token: Some(&token),
        },
    )
}

/// The token of `Authorization: Bearer <token>`; `None` for anything else.
fn bearer_token(value: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim_start();
    (scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty()).then_some(token)
}

/// Tokens that tests cannot predict or collide on, without a randomness
/// crate: SipHash (std's `RandomState`, whose keys are random per process
/// and differ per instance) of a counter and the clock, spelled in the
/// base64 alphabet.
struct TokenSource {
    keys: RandomState,
    counter: u64,
}

impl TokenSource {
    fn new() -> TokenSource {
        TokenSource {
            keys: RandomState::new(),
            counter: 0,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(1);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut hasher = self.keys.build_hasher();
        hasher.write_u64(self.counter);
        hasher.write_u128(nanos);
        hasher.finish()
    }

    /// `len` characters of `A-Z a-z 0-9 + /`.
    fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut token = String::with_capacity(len);
        while token.len() < len {
            // 10 characters of 6 bits from each 64-bit hash.
            let mut bits = self.next_u64();
            for _ in 0..10 {
                if token.len() == len {
                    break;
                }
                token.push(char::from(ALPHABET[(bits & 63) as usize]));
                bits >>= 6;
            }
        }
        token
    }
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

/// What the accept thread and the connection threads share.
struct Shared {
    config: SandboxConfig,
    tickets: Mutex<Tickets>,
    stopping: AtomicBool,
    requests: AtomicU64,
    connections: AtomicU64,
    /// A clone of every open connection, to shut them down on stop.
    open: Mutex<HashMap<u64, TcpStream>>,
    /// Connection threads, joined on stop (finished ones are pruned).
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// A lock that survives a panicked holder: the data (counters, a table of
/// tickets) stays usable, and the sandbox must not panic in turn.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running sandbox, serving on 127.0.0.1 from background threads.
/// Dropping it (or [`Sandbox::stop`]) stops it.
pub struct Sandbox {
    url: String,
    app_key: String,
    address: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("url", &self.url)
            .field("app_key", &self.app_key)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Binds 127.0.0.1 at the configured port (0: a free one) and serves in
    /// background threads. A config that [`SandboxConfig::from_json`] would
    /// refuse is an `InvalidInput` error.
    pub fn start(config: SandboxConfig) -> io::Result<Sandbox> {
        config
            .validate()
            .map_err(|why| io::Error::new(io::ErrorKind::InvalidInput, why))?;
        let listener = TcpListener::bind(("127.0.0.1", config.port))?;
        let address = listener.local_addr()?;
        let app_key = config.app_key.clone();
        let shared = Arc::new(Shared {
            config,
            tickets: Mutex::new(Tickets::new()),
            stopping: AtomicBool::new(false),
            requests: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
            workers: Mutex::new(Vec::new()),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("etna-sandbox".to_owned())
                .spawn(move || accept_loop(&listener, &shared))?
        };
        Ok(Sandbox {
            url: format!("http://{address}/api"),
            app_key,
            address,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:40123/api`: clients POST to this
    /// plus `/token`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The application key the sandbox accepts in `Et-App-Key`.
    pub fn app_key(&self) -> &str {
        &self.app_key
    }

    /// Requests answered so far (refusals such as 400 or 411 included).
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// TCP connections accepted so far.
    pub fn connection_count(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Stops the sandbox; the same as dropping it.
    pub fn stop(self) {}
}

impl Drop for Sandbox {
    /// Stops accepting, shuts down the open connections and waits for the
    /// threads. Prompt even with idle keep-alive clients: their threads are
    /// blocked in a read that the shutdown ends at once (on Windows, where a
    /// shutdown is not known to wake a blocked `recv`, `CancelIoEx` does).
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // The accept thread is blocked in accept(); a connection of our own
        // wakes it, and it sees the flag. If that connection cannot be made,
        // the thread is left to end at the next connection instead of
        // blocking here.
        let woken = TcpStream::connect_timeout(&self.address, Duration::from_millis(500)).is_ok();
        if let Some(acceptor) = self.acceptor.take() {
            if woken {
                let _ = acceptor.join();
            }
        }
        // The accept thread is gone, so no connection is added from now on.
        for stream in lock(&self.shared.open).values() {
            let _ = stream.shutdown(Shutdown::Both);
            #[cfg(windows)]
            crate::transport::cancel_io(stream);
        }
        let workers = std::mem::take(&mut *lock(&self.shared.workers));
        for worker in workers {
            let _ = worker.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    let mut next_id: u64 = 0;
    loop {
        let accepted = listener.accept();
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => {
                // E.g. out of file descriptors: wait instead of spinning.
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let id = next_id;
        next_id = next_id.wrapping_add(1);
        // Registered before the thread starts, so that stop finds it.
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.open).insert(id, clone);
        }
        let worker = {
            let shared = Arc::clone(shared);
            std::thread::Builder::new()
                .name("etna-sandbox-conn".to_owned())
                .spawn(move || {
                    serve(stream, &shared);
                    lock(&shared.open).remove(&id);
                })
        };
        match worker {
            Ok(worker) => {
                let mut workers = lock(&shared.workers);
                workers.retain(|w| !w.is_finished());
                workers.push(worker);
            }
            // No thread (the stream went down with the closure): forget it.
            Err(_) => {
                lock(&shared.open).remove(&id);
            }
        }
    }
}

/// What to do with a connection after one request.
enum Next {
    /// Keep-alive: wait for the next request.
    KeepOpen,
    /// We answered and close: close our side gracefully.
    Close,
    /// The client left, timed out or the write failed: just drop it.
    Gone,
}

/// Serves one connection until the client closes it, asks to close, stays
/// idle too long, or sends something we refuse.
fn serve(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(IDLE_TIMEOUT));
    // Bytes read but not yet used: a pipelined next request may start here.
    let mut buffer: Vec<u8> = Vec::with_capacity(4096);
    loop {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let deadline = Instant::now() + IDLE_TIMEOUT;
        match serve_one(&mut stream, &mut buffer, deadline, shared) {
            Next::KeepOpen => {}
            Next::Close => {
                close_gracefully(&mut stream);
                return;
            }
            Next::Gone => return,
        }
    }
}

/// Reads, answers and accounts for one request.
fn serve_one(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    deadline: Instant,
    shared: &Shared,
) -> Next {
    let head = match read_head(stream, buffer, deadline) {
        Ok(Some(head)) => head,
        Ok(None) => return Next::Gone,
        Err(refusal) => return refuse(stream, shared, &refusal),
    };
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    if !matches!(parsed.parse(&head), Ok(httparse::Status::Complete(_))) {
        // read_head parsed the same bytes already; kept total all the same.
        return refuse(stream, shared, &error_answer(400, "Bad request"));
    }
    let version = parsed.version;
    let request = Request {
        method: parsed.method.unwrap_or(""),
        path: parsed.path.unwrap_or(""),
        headers: parsed.headers,
    };
    let body_len = match body_length(&request) {
        Ok(len) => len,
        Err(refusal) => return refuse(stream, shared, &refusal),
    };
    if body_len > MAX_BODY {
        return refuse(stream, shared, &error_answer(413, "Request body too large"));
    }
    if body_len > 0 && version == Some(1) && request.has_token("Expect", "100-continue") {
        // The client waits for this before sending its body.
        if stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
            return Next::Gone;
        }
    }
    if discard_body(stream, buffer, body_len, deadline).is_err() {
        return Next::Gone;
    }
    let keep_alive = match version {
        Some(1) => !request.has_token("Connection", "close"),
        _ => request.has_token("Connection", "keep-alive"),
    };
    let answer = decide(&shared.config, &mut lock(&shared.tickets), &request);
    if respond(stream, shared, &answer, keep_alive).is_err() {
        return Next::Gone;
    }
    if keep_alive {
        Next::KeepOpen
    } else {
        Next::Close
    }
}

/// Answers with `Connection: close` and asks for the connection to close.
fn refuse(stream: &mut TcpStream, shared: &Shared, answer: &Answer) -> Next {
    match respond(stream, shared, answer, false) {
        Ok(()) => Next::Close,
        Err(_) => Next::Gone,
    }
}

/// Reads until `buffer` starts with a whole request head and returns it
/// (removed from the buffer). `Ok(None)`: the client closed or timed out
/// (nobody to answer). `Err`: the refusal to send before closing.
fn read_head(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    deadline: Instant,
) -> Result<Option<Vec<u8>>, Answer> {
    let mut chunk = [0u8; 4096];
    // Bytes before this were seen by the last parse attempt. A head ends
    // with a newline, so a new attempt is only worth it once one arrives
    // (this keeps a client that drips bytes from costing a parse per byte).
    let mut parsed_up_to = 0;
    loop {
        if buffer[parsed_up_to..].contains(&b'\n') {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            match httparse::Request::new(&mut headers).parse(buffer) {
                Ok(httparse::Status::Complete(len)) if len > MAX_HEAD => {
                    return Err(error_answer(431, "Request headers too large"));
                }
                Ok(httparse::Status::Complete(len)) => {
                    return Ok(Some(buffer.drain(..len).collect()))
                }
                Ok(httparse::Status::Partial) => {}
                Err(httparse::Error::TooManyHeaders) => {
                    return Err(error_answer(431, "Too many request headers"));
                }
                Err(_) => return Err(error_answer(400, "Bad request")),
            }
        }
        parsed_up_to = buffer.len();
        if buffer.len() > MAX_HEAD {
            return Err(error_answer(431, "Request headers too large"));
        }
        match read_until(stream, &mut chunk, deadline) {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The body's length from `Content-Length` (0 without one). A chunked body
/// is refused with 411 (we require a length, as RFC 9112 allows), and a
/// malformed or ambiguous length with 400: either way the connection closes,
/// since where the next request starts is unknown.
fn body_length(request: &Request<'_>) -> Result<usize, Answer> {
    if request.header("Transfer-Encoding").is_some() {
        return Err(error_answer(411, "Length required"));
    }
    let mut length: Option<usize> = None;
    for header in request.headers {
        if !header.name.eq_ignore_ascii_case("Content-Length") {
            continue;
        }
        let value = header.value.trim_ascii();
        let parsed = std::str::from_utf8(value)
            .ok()
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            // Too large for usize: just "too large", refused as 413 later.
            .map(|v| v.parse::<usize>().unwrap_or(usize::MAX));
        match (parsed, length) {
            (None, _) => return Err(error_answer(400, "Invalid Content-Length")),
            (Some(new), Some(old)) if new != old => {
                return Err(error_answer(400, "Conflicting Content-Length headers"))
            }
            (Some(new), _) => length = Some(new),
        }
    }
    Ok(length.unwrap_or(0))
}

/// Reads and throws away a body of `len` bytes, starting with what is
/// already in `buffer`.
fn discard_body(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    len: usize,
    deadline: Instant,
) -> io::Result<()> {
    let buffered = len.min(buffer.len());
    buffer.drain(..buffered);
    let mut left = len - buffered;
    let mut chunk = [0u8; 4096];
    while left > 0 {
        let want = left.min(chunk.len());
        match read_until(stream, &mut chunk[..want], deadline)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => left -= n,
        }
    }
    Ok(())
}

/// One read that gives up at `deadline`.
fn read_until(stream: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> io::Result<usize> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Counts the answer, then writes it (counted first, so that a client that
/// has read the answer already sees it in the count).
fn respond(
    stream: &mut TcpStream,
    shared: &Shared,
    answer: &Answer,
    keep_alive: bool,
) -> io::Result<()> {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    stream.write_all(&encode_answer(answer, keep_alive))?;
    stream.flush()
}

/// The bytes of an HTTP/1.1 answer.
fn encode_answer(answer: &Answer, keep_alive: bool) -> Vec<u8> {
    let reason = match answer.status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        _ => "Unknown",
    };
    let allow = if answer.status == 405 {
        "Allow: POST\r\n"
    } else {
        ""
    };
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let mut bytes = format!(
        "HTTP/1.1 {} {reason}\r\n\
         Content-Type: application/json; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         {allow}Connection: {connection}\r\n\r\n",
        answer.status,
        answer.body.len(),
    )
    .into_bytes();
    bytes.extend_from_slice(answer.body.as_bytes());
    bytes
}

/// Closes our side, then reads what the client still sends for a moment.
/// Closing a socket with unread data makes the kernel send a reset, which
/// can destroy our last answer before the client reads it.
fn close_gracefully(stream: &mut TcpStream) {
    if stream.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let deadline = Instant::now() + LINGER;
    let mut chunk = [0u8; 4096];
    let mut drained = 0;
    while drained < LINGER_MAX_BYTES {
        match read_until(stream, &mut chunk, deadline) {
            Ok(0) | Err(_) => return,
            Ok(n) => drained += n,
        }
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    // -- The protocol -------------------------------------------------------

    /// A sandbox's state without the sockets.
    struct Server {
        config: SandboxConfig,
        tickets: Tickets,
    }

    impl Server {
        fn new() -> Server {
            Server::with(SandboxConfig::default())
        }

        fn with(config: SandboxConfig) -> Server {
            Server {
                config,
                tickets: Tickets::new(),
            }
        }

        /// A request with exactly these headers.
        fn raw(&mut self, method: &str, path: &str, headers: &[(&str, &[u8])]) -> Reply {
            let headers: Vec<httparse::Header> = headers
                .iter()
                .map(|&(name, value)| httparse::Header { name, value })
                .collect();
            let request = Request {
                method,
                path,
                headers: &headers,
            };
            Reply::from(decide(&self.config, &mut self.tickets, &request))
        }

        /// POST /api/token with Content-Length: 0, the right app key and
        /// these headers.
        fn post(&mut self, headers: &[(&str, &[u8])]) -> Reply {
            let mut all: Vec<(&str, &[u8])> =
                vec![("Content-Length", b"0"), ("Et-App-Key", b"sandbox-app-key")];
            all.extend_from_slice(headers);
            self.raw("POST", "/api/token", &all)
        }

        fn login(&mut self, username: &str, password: &str) -> Reply {
            self.post(&[
                ("Username", username.as_bytes()),
                ("Password", password.as_bytes()),
            ])
        }

        /// A second-factor step: credentials, the interim token and one
        /// factor header.
        fn step(
            &mut self,
            user: &str,
            password: &str,
            interim: &str,
            header: &str,
            value: &str,
        ) -> Reply {
            let bearer = format!("Bearer {interim}");
            self.post(&[
                ("Username", user.as_bytes()),
                ("Password", password.as_bytes()),
                ("Authorization", bearer.as_bytes()),
                (header, value.as_bytes()),
            ])
        }
    }

    /// An answer with its body parsed.
    #[derive(Debug)]
    struct Reply {
        status: u16,
        body: Value,
    }

    impl From<Answer> for Reply {
        fn from(answer: Answer) -> Reply {
            Reply {
                status: answer.status,
                body: serde_json::from_str(&answer.body).expect("answers are JSON"),
            }
        }
    }

    impl Reply {
        fn field(&self, name: &str) -> &str {
            self.body[name].as_str().unwrap_or("")
        }

        fn token(&self) -> String {
            self.field("Token").to_owned()
        }

        /// (status, State, Step, Reason)
        fn summary(&self) -> (u16, &str, &str, &str) {
            (
                self.status,
                self.field("State"),
                self.field("Step"),
                self.field("Reason"),
            )
        }
    }

    fn assert_token(token: &str, len: usize) {
        assert_eq!(token.len(), len, "{token}");
        assert!(token.bytes().all(|b| b.is_ascii_graphic()), "{token}");
    }

    #[test]
    fn single_factor_login_gets_a_final_token() {
        let mut s = Server::new();
        let first = s.login("alice", "alice-pass");
        assert_eq!(first.status, 200);
        assert_eq!(first.field("State"), "Succeeded");
        assert_token(&first.token(), FINAL_TOKEN_LEN);
        assert_eq!(
            first.body.as_object().map(Map::len),
            Some(2),
            "{:?}",
            first.body
        );
        let second = s.login("alice", "alice-pass");
        assert_ne!(first.token(), second.token());
    }

    #[test]
    fn non_ascii_credentials_are_raw_utf8_bytes() {
        let mut s = Server::new();
        assert_eq!(s.login("jürgen", "pässwörd-ß").status, 200);
        // The same text in Latin-1 bytes, and bytes that are not UTF-8.
        let latin1_name: &[u8] = b"j\xfcrgen";
        let r = s.post(&[
            ("Username", latin1_name),
            ("Password", "pässwörd-ß".as_bytes()),
        ]);
        assert_eq!(
            r.summary(),
            (401, "Failed", "BaseAuthentication", "Invalid credentials")
        );
        let r = s.post(&[
            ("Username", "jürgen".as_bytes()),
            ("Password", b"p\xe4ssw\xf6rd-\xdf"),
        ]);
        assert_eq!(r.status, 401);
    }

    #[test]
    fn wrong_or_missing_credentials() {
        let mut s = Server::new();
        let invalid = (401, "Failed", "BaseAuthentication", "Invalid credentials");
        assert_eq!(s.login("alice", "bob-pass").summary(), invalid);
        assert_eq!(s.login("mallory", "alice-pass").summary(), invalid);
        assert_eq!(s.login("Alice", "alice-pass").summary(), invalid);
        assert_eq!(s.post(&[("Username", b"alice")]).summary(), invalid);
        assert_eq!(s.post(&[("Password", b"alice-pass")]).summary(), invalid);
        assert_eq!(s.post(&[]).summary(), invalid);
    }

    #[test]
    fn wrong_or_missing_app_key() {
        let mut s = Server::new();
        let credentials: [(&str, &[u8]); 3] = [
            ("Content-Length", b"0"),
            ("Username", b"alice"),
            ("Password", b"alice-pass"),
        ];
        let mut wrong = credentials.to_vec();
        wrong.push(("Et-App-Key", b"other-key"));
        for headers in [&credentials[..], &wrong[..]] {
            let r = s.raw("POST", "/api/token", headers);
            assert_eq!(r.status, 400);
            assert_eq!(r.field("error"), APP_KEY_ERROR);
        }
        // Header names are case-insensitive.
        let mut lower = credentials.to_vec();
        lower.push(("et-app-key", b"sandbox-app-key"));
        assert_eq!(s.raw("POST", "/api/token", &lower).status, 200);
    }

    #[test]
    fn missing_content_length_is_411_and_path_and_method_are_checked() {
        let mut s = Server::new();
        let login: [(&str, &[u8]); 3] = [
            ("Et-App-Key", b"sandbox-app-key"),
            ("Username", b"alice"),
            ("Password", b"alice-pass"),
        ];
        let r = s.raw("POST", "/api/token", &login);
        assert_eq!(r.status, 411);
        assert_eq!(r.field("error"), "Length required");
        let r = s.raw("POST", "/api/other", &login);
        assert_eq!((r.status, r.field("error")), (404, "Not found"));
        assert_eq!(s.raw("GET", "/api/token", &login).status, 405);
        let mut with_length = login.to_vec();
        with_length.push(("Content-Length", b"0"));
        assert_eq!(s.raw("POST", "/api/token?x=1", &with_length).status, 200);
    }

    #[test]
    fn pin_login() {
        let mut s = Server::new();
        let r = s.login("bob", "bob-pass");
        assert_eq!(
            r.summary(),
            (202, "Expecting", "SecutityPin", "Expecting security pin")
        );
        assert_token(&r.token(), INTERIM_TOKEN_LEN);
        let r = s.step("bob", "bob-pass", &r.token(), "PinCode", "1234");
        assert_eq!(r.status, 200);
        assert_token(&r.token(), FINAL_TOKEN_LEN);
    }

    #[test]
    fn code_login() {
        let mut s = Server::new();
        let r = s.login("carol", "carol-pass");
        assert_eq!(
            r.summary(),
            (
                202,
                "Expecting",
                "VerificationCode",
                "Expecting confirmation code"
            )
        );
        let r = s.step(
            "carol",
            "carol-pass",
            &r.token(),
            "VerificationCode",
            "123456",
        );
        assert_eq!((r.status, r.field("State")), (200, "Succeeded"));
    }

    #[test]
    fn pin_then_code_with_a_fresh_interim_token_per_step() {
        let mut s = Server::new();
        let first = s.login("dave", "dave-pass");
        assert_eq!(first.field("Step"), "SecutityPin");
        let second = s.step("dave", "dave-pass", &first.token(), "PinCode", "4321");
        assert_eq!(
            second.summary(),
            (
                202,
                "Expecting",
                "VerificationCode",
                "Expecting confirmation code"
            )
        );
        assert_ne!(first.token(), second.token());
        // The code is not accepted in the PIN step's place, and vice versa.
        let r = s.step("dave", "dave-pass", &second.token(), "PinCode", "4321");
        assert_eq!(
            r.summary(),
            (
                202,
                "Expecting",
                "VerificationCode",
                "Invalid verification code"
            )
        );
        let r = s.step(
            "dave",
            "dave-pass",
            &r.token(),
            "VerificationCode",
            "654321",
        );
        assert_eq!(r.status, 200);
    }

    #[test]
    fn a_wrong_factor_may_be_retried_with_a_fresh_token() {
        let mut s = Server::new();
        let r = s.login("bob", "bob-pass");
        let wrong = s.step("bob", "bob-pass", &r.token(), "PinCode", "0000");
        assert_eq!(
            wrong.summary(),
            (202, "Expecting", "SecutityPin", "Invalid pin")
        );
        assert_ne!(wrong.token(), r.token());
        let done = s.step("bob", "bob-pass", &wrong.token(), "PinCode", "1234");
        assert_eq!(done.status, 200);

        let r = s.login("carol", "carol-pass");
        let wrong = s.step("carol", "carol-pass", &r.token(), "VerificationCode", "1");
        assert_eq!(
            wrong.summary(),
            (
                202,
                "Expecting",
                "VerificationCode",
                "Invalid verification code"
            )
        );
        // A missing factor counts as a wrong one.
        let bearer = format!("Bearer {}", wrong.token());
        let missing = s.post(&[
            ("Username", b"carol"),
            ("Password", b"carol-pass"),
            ("Authorization", bearer.as_bytes()),
        ]);
        assert_eq!(
            missing.summary(),
            (
                202,
                "Expecting",
                "VerificationCode",
                "Invalid verification code"
            )
        );
    }

    #[test]
    fn lockout_after_max_attempts_wrong_answers() {
        let mut s = Server::new();
        let mut r = s.login("bob", "bob-pass");
        for _ in 0..2 {
            r = s.step("bob", "bob-pass", &r.token(), "PinCode", "9999");
            assert_eq!(
                r.summary(),
                (202, "Expecting", "SecutityPin", "Invalid pin")
            );
        }
        let last_interim = r.token();
        let r = s.step("bob", "bob-pass", &last_interim, "PinCode", "9999");
        assert_eq!(r.summary(), (401, "Failed", "SecutityPin", "Invalid pin"));
        assert_eq!(r.body.get("Token"), None);
        // The ticket is gone, even with the right PIN.
        let r = s.step("bob", "bob-pass", &last_interim, "PinCode", "1234");
        assert_eq!(
            r.summary(),
            (401, "Failed", "SecutityPin", "Corrupted ticket")
        );
        // A new login starts afresh.
        let r = s.login("bob", "bob-pass");
        assert_eq!(
            s.step("bob", "bob-pass", &r.token(), "PinCode", "1234")
                .status,
            200
        );
    }

    #[test]
    fn max_attempts_one_and_the_count_per_step() {
        let config = SandboxConfig {
            max_attempts: 1,
            ..SandboxConfig::default()
        };
        let mut s = Server::with(config);
        let r = s.login("carol", "carol-pass");
        let r = s.step("carol", "carol-pass", &r.token(), "VerificationCode", "1");
        assert_eq!(
            r.summary(),
            (
                401,
                "Failed",
                "VerificationCode",
                "Invalid verification code"
            )
        );

        // With 2 attempts: a wrong PIN does not count against the code step.
        let config = SandboxConfig {
            max_attempts: 2,
            ..SandboxConfig::default()
        };
        let mut s = Server::with(config);
        let r = s.login("dave", "dave-pass");
        let r = s.step("dave", "dave-pass", &r.token(), "PinCode", "0");
        assert_eq!(r.field("Reason"), "Invalid pin");
        let r = s.step("dave", "dave-pass", &r.token(), "PinCode", "4321");
        assert_eq!(r.field("Step"), "VerificationCode");
        let r = s.step("dave", "dave-pass", &r.token(), "VerificationCode", "0");
        assert_eq!(
            r.summary(),
            (
                202,
                "Expecting",
                "VerificationCode",
                "Invalid verification code"
            )
        );
        let r = s.step("dave", "dave-pass", &r.token(), "VerificationCode", "0");
        assert_eq!(
            r.summary(),
            (
                401,
                "Failed",
                "VerificationCode",
                "Invalid verification code"
            )
        );
    }

    #[test]
    fn corrupted_tickets() {
        let mut s = Server::new();
        let corrupted_pin = (401, "Failed", "SecutityPin", "Corrupted ticket");
        let corrupted_code = (401, "Failed", "VerificationCode", "Corrupted ticket");
        // Unknown interim token.
        assert_eq!(
            s.step("bob", "bob-pass", "made-up", "PinCode", "1234")
                .summary(),
            corrupted_pin
        );
        assert_eq!(
            s.step(
                "carol",
                "carol-pass",
                "made-up",
                "VerificationCode",
                "123456"
            )
            .summary(),
            corrupted_code
        );
        // A factor without Authorization.
        let r = s.post(&[
            ("Username", b"bob"),
            ("Password", b"bob-pass"),
            ("PinCode", b"1234"),
        ]);
        assert_eq!(r.summary(), corrupted_pin);
        let r = s.post(&[
            ("Username", b"carol"),
            ("Password", b"carol-pass"),
            ("VerificationCode", b"123456"),
        ]);
        assert_eq!(r.summary(), corrupted_code);
        // Authorization that is not a bearer token.
        let bob = s.login("bob", "bob-pass");
        let basic = format!("Basic {}", bob.token());
        let r = s.post(&[
            ("Username", b"bob"),
            ("Password", b"bob-pass"),
            ("Authorization", basic.as_bytes()),
            ("PinCode", b"1234"),
        ]);
        assert_eq!(r.summary(), corrupted_pin);
        // Another user's ticket is refused, and left for its owner.
        let carol = s.login("carol", "carol-pass");
        let r = s.step("bob", "bob-pass", &carol.token(), "PinCode", "1234");
        assert_eq!(r.summary(), corrupted_pin);
        let r = s.step(
            "carol",
            "carol-pass",
            &carol.token(),
            "VerificationCode",
            "123456",
        );
        assert_eq!(r.status, 200);
        // A single-factor account has no ticket to continue.
        assert_eq!(
            s.step("alice", "alice-pass", &bob.token(), "VerificationCode", "1")
                .summary(),
            corrupted_code
        );
        // The bob ticket above survived all this.
        let r = s.step("bob", "bob-pass", &bob.token(), "PinCode", "1234");
        assert_eq!(r.status, 200);
    }

    #[test]
    fn an_interim_token_works_once() {
        let mut s = Server::new();
        let first = s.login("dave", "dave-pass");
        let second = s.step("dave", "dave-pass", &first.token(), "PinCode", "4321");
        assert_eq!(second.status, 202);
        let again = s.step("dave", "dave-pass", &first.token(), "PinCode", "4321");
        assert_eq!(
            again.summary(),
            (401, "Failed", "SecutityPin", "Corrupted ticket")
        );
        // Also after a wrong answer: the old token is consumed.
        let wrong = s.step(
            "dave",
            "dave-pass",
            &second.token(),
            "VerificationCode",
            "0",
        );
        assert_eq!(wrong.status, 202);
        let r = s.step(
            "dave",
            "dave-pass",
            &second.token(),
            "VerificationCode",
            "654321",
        );
        assert_eq!(
            r.summary(),
            (401, "Failed", "VerificationCode", "Corrupted ticket")
        );
        let r = s.step(
            "dave",
            "dave-pass",
            &wrong.token(),
            "VerificationCode",
            "654321",
        );
        assert_eq!(r.status, 200);
    }

    #[test]
    fn expired_tickets_are_corrupted_and_the_table_is_bounded() {
        let mut s = Server::new();
        let r = s.login("bob", "bob-pass");
        let Some(long_ago) = Instant::now().checked_sub(TICKET_LIFETIME) else {
            return; // a machine up for less than the lifetime: nothing to test
        };
        for ticket in s.tickets.by_token.values_mut() {
            ticket.issued = long_ago;
        }
        let r = s.step("bob", "bob-pass", &r.token(), "PinCode", "1234");
        assert_eq!(r.field("Reason"), "Corrupted ticket");
        assert!(s.tickets.by_token.is_empty());

        let mut tickets = Tickets::new();
        for _ in 0..MAX_TICKETS + 5 {
            tickets.issue("bob", Factor::Pin, 0);
        }
        assert_eq!(tickets.by_token.len(), MAX_TICKETS);
    }

    #[test]
    fn tokens_are_distinct_and_printable() {
        let mut source = TokenSource::new();
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let token = source.token(FINAL_TOKEN_LEN);
            assert_token(&token, FINAL_TOKEN_LEN);
            assert!(seen.insert(token));
        }
        // Two sources (two sandboxes) do not repeat each other either.
        let mut other = TokenSource::new();
        assert!(!seen.contains(&other.token(FINAL_TOKEN_LEN)));
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer_token(b"Bearer abc"), Some("abc"));
        assert_eq!(bearer_token(b"bearer  abc"), Some("abc"));
        assert_eq!(bearer_token(b"Bearer"), None);
        assert_eq!(bearer_token(b"Bearer "), None);
        assert_eq!(bearer_token(b"Basic abc"), None);
        assert_eq!(bearer_token(b"Bearer \xff"), None);
    }

    // -- The configuration --------------------------------------------------

    #[test]
    fn default_config() {
        let c = SandboxConfig::default();
        assert_eq!(
            (c.app_key.as_str(), c.port, c.max_attempts),
            ("sandbox-app-key", 0, 3)
        );
        let users: Vec<&str> = c.accounts.iter().map(|a| a.username.as_str()).collect();
        assert_eq!(users, ["alice", "bob", "carol", "dave", "jürgen"]);
        let dave = &c.accounts[3];
        assert_eq!(
            (dave.pin.as_deref(), dave.code.as_deref()),
            (Some("4321"), Some("654321"))
        );
        assert_eq!(c.accounts[4].password, "pässwörd-ß");
        assert_eq!(SandboxConfig::from_json("{}"), Ok(SandboxConfig::default()));
        assert_eq!(
            SandboxConfig::from_json(r#"{"app_key": null, "accounts": null}"#),
            Ok(SandboxConfig::default())
        );
    }

    #[test]
    fn config_keys_replace_the_defaults() {
        let c = SandboxConfig::from_json(
            r#"{"app_key": "k", "port": 65535, "max_attempts": 5,
                "accounts": [{"username": "u", "password": "", "code": "9", "pin": null}]}"#,
        )
        .unwrap();
        assert_eq!(
            (c.app_key.as_str(), c.port, c.max_attempts),
            ("k", 65535, 5)
        );
        assert_eq!(
            c.accounts,
            [Account {
                username: "u".into(),
                password: String::new(),
                pin: None,
                code: Some("9".into()),
            }]
        );
        let c = SandboxConfig::from_json(r#"{"port": 8080}"#).unwrap();
        assert_eq!((c.port, c.accounts.len()), (8080, 5));
        assert!(SandboxConfig::from_json(r#"{"accounts": []}"#)
            .unwrap()
            .accounts
            .is_empty());
    }

    #[test]
    fn config_errors_name_the_problem_in_one_line() {
        let cases = [
            ("", "not valid JSON"),
            ("{", "not valid JSON"),
            ("[]", "JSON object"),
            (r#"{"colour": 1}"#, "unknown key \"colour\""),
            (
                r#"{"accounts": [{"username": "u", "password": "p", "shoe": 1}]}"#,
                "accounts[0]: unknown key \"shoe\"",
            ),
            (r#"{"app_key": ""}"#, "app_key must not be empty"),
            (r#"{"app_key": 7}"#, "app_key must be a string"),
            (
                r#"{"app_key": "a\u0007b"}"#,
                "app_key must not hold control",
            ),
            (r#"{"max_attempts": 0}"#, "max_attempts"),
            (r#"{"max_attempts": -1}"#, "max_attempts"),
            (r#"{"max_attempts": 4294967296}"#, "max_attempts"),
            (r#"{"port": 70000}"#, "port"),
            (r#"{"port": "80"}"#, "port"),
            (r#"{"accounts": {}}"#, "accounts must be an array"),
            (r#"{"accounts": [5]}"#, "accounts[0] must be a JSON object"),
            (
                r#"{"accounts": [{"password": "p"}]}"#,
                "accounts[0]: username is missing",
            ),
            (
                r#"{"accounts": [{"username": "u"}]}"#,
                "accounts[0]: password is missing",
            ),
            (
                r#"{"accounts": [{"username": "", "password": "p"}]}"#,
                "username must not be empty",
            ),
            (
                r#"{"accounts": [{"username": "a\tb", "password": "p"}]}"#,
                "username must not hold control",
            ),
            (
                r#"{"accounts": [{"username": "u", "password": "p"}, {"username": "u", "password": "q"}]}"#,
                "accounts[1]: username \"u\" appears more than once",
            ),
            (
                r#"{"accounts": [{"username": "u", "password": "a\r\nb"}]}"#,
                "password must not hold control",
            ),
            (
                r#"{"accounts": [{"username": "u", "password": "p", "pin": "1\u0000"}]}"#,
                "pin must not hold control",
            ),
            (
                r#"{"accounts": [{"username": "u", "password": "p", "code": 123456}]}"#,
                "code must be a string",
            ),
        ];
        for (json, expected) in cases {
            let error = SandboxConfig::from_json(json).expect_err(json);
            assert!(error.contains(expected), "{json}: {error}");
            assert!(
                !error.contains('\n') && !error.contains('\r'),
                "{json}: {error}"
            );
        }
    }

    #[test]
    fn secrets_stay_out_of_errors_and_debug() {
        for json in [
            r#"{"accounts": [{"username": "u", "password": "Sekr1t\n"}]}"#,
            r#"{"accounts": [{"username": "u", "password": 31337}]}"#,
            r#"{"accounts": [{"username": "u", "password": "p", "pin": 31337}]}"#,
            r#"{"accounts": [{"username": "u", "password": "p", "code": ["31337"]}]}"#,
            r#"{"accounts": [{"username": "u", "password": "Sekr1t", "x": 1}]}"#,
            r#"{"accounts": [{"username": "u", "password": "Sekr1t", "pin": "31337" "#,
        ] {
            let error = SandboxConfig::from_json(json).expect_err(json);
            assert!(
                !error.contains("Sekr1t") && !error.contains("31337"),
                "{error}"
            );
        }
        let debug = format!("{:?}", SandboxConfig::default());
        for secret in ["alice-pass", "1234", "654321", "pässwörd"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(
            debug.contains("alice") && debug.contains("<redacted>"),
            "{debug}"
        );
    }

    #[test]
    fn start_refuses_an_invalid_config() {
        let config = SandboxConfig {
            max_attempts: 0,
            ..SandboxConfig::default()
        };
        let error = Sandbox::start(config).expect_err("invalid config");
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }

    // -- Over a socket ------------------------------------------------------

    const ALICE: &str = "POST /api/token HTTP/1.1\r\nHost: x\r\nEt-App-Key: sandbox-app-key\r\n\
                         Username: alice\r\nPassword: alice-pass\r\nContent-Length: 0\r\n\r\n";

    fn connect(sandbox: &Sandbox) -> TcpStream {
        let stream = TcpStream::connect(sandbox.address).expect("connect to the sandbox");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        stream
    }

    /// Reads one answer: (head, body).
    fn read_answer(stream: &mut TcpStream) -> (String, String) {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(
                stream.read(&mut byte).expect("read"),
                1,
                "early EOF: {head:?}"
            );
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).expect("ASCII head");
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().to_owned())
            })
            .and_then(|v| v.parse().ok())
            .expect("Content-Length");
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body).expect("body");
        (head, String::from_utf8(body).expect("UTF-8 body"))
    }

    fn exchange(stream: &mut TcpStream, request: &[u8]) -> (String, String) {
        stream.write_all(request).expect("write");
        read_answer(stream)
    }

    fn assert_closed(stream: &mut TcpStream) {
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    }

    #[test]
    fn keep_alive_serves_two_requests_on_one_connection() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        assert_eq!(sandbox.url(), format!("http://{}/api", sandbox.address));
        assert_eq!(sandbox.app_key(), "sandbox-app-key");
        let mut stream = connect(&sandbox);
        let (head, body) = exchange(&mut stream, ALICE.as_bytes());
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(
            head.contains("Content-Type: application/json; charset=utf-8\r\n"),
            "{head}"
        );
        assert!(head.contains("Connection: keep-alive\r\n"), "{head}");
        assert!(
            body.starts_with(r#"{"State":"Succeeded","Token":""#),
            "{body}"
        );
        let (head, _) = exchange(&mut stream, ALICE.as_bytes());
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        assert_eq!(sandbox.request_count(), 2);
        assert_eq!(sandbox.connection_count(), 1);
    }

    #[test]
    fn a_two_factor_login_over_one_connection() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        let base = "POST /api/token HTTP/1.1\r\nHost: x\r\nEt-App-Key: sandbox-app-key\r\n\
                    Username: bob\r\nPassword: bob-pass\r\nContent-Length: 0\r\n";
        let (_, body) = exchange(&mut stream, format!("{base}\r\n").as_bytes());
        let reply: Value = serde_json::from_str(&body).unwrap();
        let interim = reply["Token"].as_str().unwrap();
        let step = format!("{base}Authorization: Bearer {interim}\r\nPinCode: 1234\r\n\r\n");
        let (head, _) = exchange(&mut stream, step.as_bytes());
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        assert_eq!(
            (sandbox.request_count(), sandbox.connection_count()),
            (2, 1)
        );
    }

    #[test]
    fn non_ascii_header_bytes_are_accepted() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        let login = "POST /api/token HTTP/1.1\r\nHost: x\r\nEt-App-Key: sandbox-app-key\r\n\
                     Username: jürgen\r\nPassword: pässwörd-ß\r\nContent-Length: 0\r\n\r\n";
        let (head, _) = exchange(&mut stream, login.as_bytes());
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        // Latin-1 bytes are not the UTF-8 name: 401, and the connection lives on.
        let latin1 = b"POST /api/token HTTP/1.1\r\nHost: x\r\nEt-App-Key: sandbox-app-key\r\n\
                       Username: j\xfcrgen\r\nPassword: p\xe4ssw\xf6rd-\xdf\r\nContent-Length: 0\r\n\r\n";
        let (head, body) = exchange(&mut stream, latin1);
        assert!(head.starts_with("HTTP/1.1 401 "), "{head}");
        assert!(body.contains("BaseAuthentication"), "{body}");
        assert_eq!(sandbox.connection_count(), 1);
    }

    #[test]
    fn length_required_over_a_socket() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        let (head, body) = exchange(&mut stream, b"POST /api/token HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(
            head.starts_with("HTTP/1.1 411 Length Required\r\n"),
            "{head}"
        );
        assert_eq!(body, r#"{"error":"Length required"}"#);
        // A chunked body is refused the same way, and the connection closed.
        let chunked = b"POST /api/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        let (head, _) = exchange(&mut stream, chunked);
        assert!(
            head.starts_with("HTTP/1.1 411 ") && head.contains("Connection: close"),
            "{head}"
        );
        assert_closed(&mut stream);
    }

    #[test]
    fn bodies_are_discarded_and_large_ones_refused() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        let with_body = ALICE.replace("Content-Length: 0", "Content-Length: 5") + "hello";
        // Two requests in one write (pipelined): the body must not be taken
        // for the start of the next request.
        let (head, _) = exchange(&mut stream, format!("{with_body}{ALICE}").as_bytes());
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        let (head, _) = read_answer(&mut stream);
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        let too_large = ALICE.replace("Content-Length: 0", "Content-Length: 70000");
        let (head, _) = exchange(&mut stream, too_large.as_bytes());
        assert!(head.starts_with("HTTP/1.1 413 "), "{head}");
        assert_closed(&mut stream);
        assert_eq!(sandbox.request_count(), 3);
    }

    #[test]
    fn expect_100_continue() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        let request = ALICE.replace(
            "Content-Length: 0",
            "Expect: 100-continue\r\nContent-Length: 2",
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut interim = [0u8; 25];
        stream.read_exact(&mut interim).unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        stream.write_all(b"{}").unwrap();
        let (head, _) = read_answer(&mut stream);
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    }

    #[test]
    fn oversized_headers_and_garbage_are_refused_and_closed() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        let huge = format!(
            "POST /api/token HTTP/1.1\r\nX-Big: {}\r\n\r\n",
            "a".repeat(70_000)
        );
        let (head, _) = exchange(&mut stream, huge.as_bytes());
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        assert_closed(&mut stream);

        let mut stream = connect(&sandbox);
        let many: String = (0..150).map(|i| format!("X-{i}: v\r\n")).collect();
        let (head, _) = exchange(
            &mut stream,
            format!("POST /api/token HTTP/1.1\r\n{many}\r\n").as_bytes(),
        );
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        assert_closed(&mut stream);

        for garbage in [
            &b"\x01\x02 garbage\r\n\r\n"[..],
            b"POST /api/token HTTP/1.1\r\nBad\x01: v\r\n\r\n",
        ] {
            let mut stream = connect(&sandbox);
            let (head, _) = exchange(&mut stream, garbage);
            assert!(
                head.starts_with("HTTP/1.1 400 ") && head.contains("Connection: close"),
                "{head}"
            );
            assert_closed(&mut stream);
        }
        let mut stream = connect(&sandbox);
        let bad_length = ALICE.replace("Content-Length: 0", "Content-Length: 1x");
        let (head, _) = exchange(&mut stream, bad_length.as_bytes());
        assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
        assert_closed(&mut stream);
    }

    #[test]
    fn connection_close_and_http_1_0_close_after_the_answer() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        let close = ALICE.replace("Host: x", "Host: x\r\nConnection: close");
        let (head, _) = exchange(&mut stream, close.as_bytes());
        assert!(
            head.starts_with("HTTP/1.1 200 ") && head.contains("Connection: close"),
            "{head}"
        );
        assert_closed(&mut stream);

        let mut stream = connect(&sandbox);
        let old = ALICE.replace("HTTP/1.1", "HTTP/1.0");
        let (head, _) = exchange(&mut stream, old.as_bytes());
        assert!(head.contains("Connection: close"), "{head}");
        assert_closed(&mut stream);

        // HTTP/1.0 that asks for keep-alive gets it.
        let mut stream = connect(&sandbox);
        let old_keep = old.replace("Host: x", "Host: x\r\nConnection: Keep-Alive");
        let (head, _) = exchange(&mut stream, old_keep.as_bytes());
        assert!(head.contains("Connection: keep-alive"), "{head}");
        let (head, _) = exchange(&mut stream, old_keep.as_bytes());
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    }

    #[test]
    fn stop_is_prompt_with_an_idle_keep_alive_client() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut idle = connect(&sandbox);
        exchange(&mut idle, ALICE.as_bytes());
        let mut silent = connect(&sandbox); // connected, never says anything
        let started = Instant::now();
        sandbox.stop();
        let took = started.elapsed();
        assert!(took < Duration::from_millis(750), "stop took {took:?}");
        // Both clients see the connection end.
        assert_closed(&mut idle);
        assert_closed(&mut silent);
    }

    #[test]
    fn sandboxes_on_their_own_ports() {
        let a = Sandbox::start(SandboxConfig::default()).unwrap();
        let b = Sandbox::start(SandboxConfig::default()).unwrap();
        assert_ne!(a.url(), b.url());
        let busy = SandboxConfig {
            port: a.address.port(),
            ..SandboxConfig::default()
        };
        assert!(Sandbox::start(busy).is_err());
        drop(a);
        drop(b);
    }
}
