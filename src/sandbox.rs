//! The sandbox: an emulator of the ETNA token endpoint on 127.0.0.1, for
//! tests, demos and users' own integration tests, so that none of them
//! reaches the real service.
//!
//! A small `std::net` accept loop (one thread per connection) over the
//! `httparse` crate: header values may hold raw UTF-8 bytes, as users' names
//! and passwords do (tiny_http 0.12 drops such connections). The protocol
//! decisions live in [`Emulator::answer`], free of sockets, so they are
//! tested alone.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use serde::Deserialize;

/// Request heads larger than this are refused (431).
const MAX_HEAD: usize = 64 * 1024;
/// Request bodies larger than this are refused (413); the protocol has none.
const MAX_BODY: usize = 64 * 1024;
/// A kept-alive connection with no request for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A user the sandbox knows.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub username: String,
    pub password: String,
    /// Asked for with Step `SecutityPin` when set.
    pub pin: Option<String>,
    /// Asked for with Step `VerificationCode` when set (after the PIN).
    pub code: Option<String>,
}

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

/// What the sandbox accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxConfig {
    pub app_key: String,
    /// 0: any free port.
    pub port: u16,
    /// Wrong factors allowed per login before the login is refused for good.
    pub max_attempts: u32,
    pub accounts: Vec<Account>,
}

impl Default for SandboxConfig {
    fn default() -> SandboxConfig {
        let account =
            |username: &str, password: &str, pin: Option<&str>, code: Option<&str>| Account {
                username: username.into(),
                password: password.into(),
                pin: pin.map(Into::into),
                code: code.map(Into::into),
            };
        SandboxConfig {
            app_key: "sandbox-app-key".into(),
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigJson {
    app_key: Option<String>,
    port: Option<u16>,
    max_attempts: Option<u32>,
    accounts: Option<Vec<AccountJson>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountJson {
    username: String,
    password: String,
    pin: Option<String>,
    code: Option<String>,
}

impl SandboxConfig {
    /// Parses the JSON config: every key optional (missing keys keep the
    /// defaults; `accounts` replaces the default accounts), unknown keys are
    /// an error. Errors are one line and never quote a password.
    pub fn from_json(json: &str) -> Result<SandboxConfig, String> {
        let parsed: ConfigJson = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut config = SandboxConfig::default();
        if let Some(app_key) = parsed.app_key {
            config.app_key = app_key;
        }
        if let Some(port) = parsed.port {
            config.port = port;
        }
        if let Some(max_attempts) = parsed.max_attempts {
            config.max_attempts = max_attempts;
        }
        if let Some(accounts) = parsed.accounts {
            config.accounts = accounts
                .into_iter()
                .map(|a| Account {
                    username: a.username,
                    password: a.password,
                    pin: a.pin,
                    code: a.code,
                })
                .collect();
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let has_control = |s: &str| s.chars().any(char::is_control);
        if self.app_key.is_empty() || has_control(&self.app_key) {
            return Err("app_key must be non-empty, without control characters".into());
        }
        if self.max_attempts == 0 {
            return Err("max_attempts must be at least 1".into());
        }
        let mut seen = std::collections::HashSet::new();
        for (i, a) in self.accounts.iter().enumerate() {
            if a.username.is_empty() || has_control(&a.username) {
                return Err(format!(
                    "accounts[{i}]: username must be non-empty, without control characters"
                ));
            }
            if !seen.insert(a.username.as_str()) {
                return Err(format!(
                    "accounts[{i}]: username {:?} appears twice",
                    a.username
                ));
            }
            let secrets = [Some(&a.password), a.pin.as_ref(), a.code.as_ref()];
            if secrets.into_iter().flatten().any(|s| has_control(s)) {
                return Err(format!(
                    "accounts[{i}]: password, pin and code must not hold control characters"
                ));
            }
        }
        Ok(())
    }
}

/// The second factors, in the order they are asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Factor {
    Pin,
    Code,
}

impl Factor {
    fn step(self) -> &'static str {
        match self {
            Factor::Pin => "SecutityPin", // the vendor's spelling
            Factor::Code => "VerificationCode",
        }
    }

    fn header(self) -> &'static str {
        match self {
            Factor::Pin => "pincode",
            Factor::Code => "verificationcode",
        }
    }

    fn expecting(self) -> &'static str {
        match self {
            Factor::Pin => "Expecting security pin",
            Factor::Code => "Expecting confirmation code",
        }
    }

    fn invalid(self) -> &'static str {
        match self {
            Factor::Pin => "Invalid pin",
            Factor::Code => "Invalid verification code",
        }
    }
}

/// A login waiting for a factor, known by its interim token.
struct Ticket {
    username: String,
    factor: Factor,
    wrong: u32,
}

/// A parsed request, as the emulator sees it.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Header names in lower case, values as sent.
    pub headers: Vec<(String, &'a [u8])>,
}

impl Request<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(|v| std::str::from_utf8(v).ok())
    }
}

/// An answer: status and JSON body.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

fn json_answer(status: u16, body: serde_json::Value) -> Answer {
    Answer {
        status,
        body: body.to_string(),
    }
}

/// The protocol, without sockets.
pub struct Emulator {
    config: SandboxConfig,
    tickets: Mutex<HashMap<String, Ticket>>,
    counter: AtomicU64,
    random: RandomState,
}

impl Emulator {
    pub fn new(config: SandboxConfig) -> Emulator {
        Emulator {
            config,
            tickets: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
            random: RandomState::new(),
        }
    }

    fn tickets(&self) -> MutexGuard<'_, HashMap<String, Ticket>> {
        self.tickets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An unpredictable token: `chunks` x 16 hex digits after a prefix.
    fn fresh_token(&self, prefix: &str, chunks: usize) -> String {
        let mut token = String::from(prefix);
        for _ in 0..chunks {
            let mut h = self.random.build_hasher();
            h.write_u64(self.counter.fetch_add(1, Ordering::Relaxed));
            let nanos = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            h.write_u128(nanos);
            token.push_str(&format!("{:016x}", h.finish()));
        }
        token
    }

    /// Answers one request.
    pub fn answer(&self, request: &Request) -> Answer {
        if request.path.split('?').next() != Some("/api/token") {
            return json_answer(404, serde_json::json!({"error": "Not found"}));
        }
        if request.method != "POST" {
            return json_answer(405, serde_json::json!({"error": "Method not allowed"}));
        }
        if request.header("content-length").is_none() {
            // What IIS answers a body-less POST without Content-Length.
            return json_answer(411, serde_json::json!({"error": "Length Required"}));
        }
        // The vendor's documentation does not give this status; 400 is our choice.
        if request.header_str("et-app-key") != Some(self.config.app_key.as_str()) {
            return json_answer(
                400,
                serde_json::json!({"error": "Application key is not defined or does not exist"}),
            );
        }
        let account = self.config.accounts.iter().find(|a| {
            request.header("username") == Some(a.username.as_bytes())
                && request.header("password") == Some(a.password.as_bytes())
        });
        let Some(account) = account else {
            return failed("BaseAuthentication", "Invalid credentials");
        };
        let answered = if request.header("pincode").is_some() {
            Factor::Pin
        } else {
            Factor::Code
        };
        let interim = request
            .header_str("authorization")
            .and_then(|v| v.strip_prefix("Bearer "));
        match interim {
            None if request.header("pincode").is_some()
                || request.header("verificationcode").is_some() =>
            {
                failed(answered.step(), "Corrupted ticket")
            }
            None => self.first_step(account),
            Some(interim) => self.next_step(account, interim, answered, request),
        }
    }

    fn first_step(&self, account: &Account) -> Answer {
        match first_factor(account) {
            None => self.succeeded(),
            Some(factor) => self.expecting(&account.username, factor, 0, factor.expecting()),
        }
    }

    fn next_step(
        &self,
        account: &Account,
        interim: &str,
        answered: Factor,
        request: &Request,
    ) -> Answer {
        // Every interim token is good for one request.
        let ticket = self.tickets().remove(interim);
        let Some(ticket) = ticket.filter(|t| t.username == account.username) else {
            return failed(answered.step(), "Corrupted ticket");
        };
        let expected = match ticket.factor {
            Factor::Pin => account.pin.as_deref(),
            Factor::Code => account.code.as_deref(),
        };
        let given = request.header(ticket.factor.header());
        if given.is_none() || given != expected.map(str::as_bytes) {
            let wrong = ticket.wrong + 1;
            if wrong >= self.config.max_attempts {
                return failed(ticket.factor.step(), ticket.factor.invalid());
            }
            return self.expecting(
                &account.username,
                ticket.factor,
                wrong,
                ticket.factor.invalid(),
            );
        }
        match (ticket.factor, account.code.is_some()) {
            (Factor::Pin, true) => {
                self.expecting(&account.username, Factor::Code, 0, Factor::Code.expecting())
            }
            _ => self.succeeded(),
        }
    }

    fn expecting(&self, username: &str, factor: Factor, wrong: u32, reason: &str) -> Answer {
        let interim = self.fresh_token("itk-", 2);
        self.tickets().insert(
            interim.clone(),
            Ticket {
                username: username.to_owned(),
                factor,
                wrong,
            },
        );
        json_answer(
            202,
            serde_json::json!({"State": "Expecting", "Step": factor.step(), "Reason": reason, "Token": interim}),
        )
    }

    fn succeeded(&self) -> Answer {
        json_answer(
            200,
            serde_json::json!({"State": "Succeeded", "Token": self.fresh_token("sbx-", 4)}),
        )
    }
}

fn first_factor(account: &Account) -> Option<Factor> {
    if account.pin.is_some() {
        Some(Factor::Pin)
    } else if account.code.is_some() {
        Some(Factor::Code)
    } else {
        None
    }
}

fn failed(step: &str, reason: &str) -> Answer {
    json_answer(
        401,
        serde_json::json!({"State": "Failed", "Step": step, "Reason": reason}),
    )
}

/// What the accept loop and the connection threads share.
struct Shared {
    emulator: Emulator,
    stopping: AtomicBool,
    requests: AtomicU64,
    connections: AtomicU64,
    /// Open connections, to shut them down on stop.
    open: Mutex<HashMap<u64, TcpStream>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// A running sandbox; stopped when dropped.
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
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Binds 127.0.0.1 at the configured port and serves in background threads.
    pub fn start(config: SandboxConfig) -> io::Result<Sandbox> {
        let listener = TcpListener::bind(("127.0.0.1", config.port))?;
        let address = listener.local_addr()?;
        let app_key = config.app_key.clone();
        let shared = Arc::new(Shared {
            emulator: Emulator::new(config),
            stopping: AtomicBool::new(false),
            requests: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
            workers: Mutex::new(Vec::new()),
        });
        let acceptor = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("etna-sandbox".into())
                .spawn(move || accept_loop(listener, shared))?
        };
        Ok(Sandbox {
            url: format!("http://{address}/api"),
            app_key,
            address,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The base URL to give to a session, e.g. `http://127.0.0.1:40123/api`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn app_key(&self) -> &str {
        &self.app_key
    }

    /// Requests answered so far.
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// TCP connections accepted so far.
    pub fn connection_count(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Stops accepting, closes open connections and waits for the threads.
    pub fn stop(self) {}
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop with a connection of our own.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        for stream in lock(&self.shared.open).values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        let workers = std::mem::take(&mut *lock(&self.shared.workers));
        for worker in workers {
            let _ = worker.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for (id, stream) in (0u64..).zip(listener.incoming()) {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.open).insert(id, clone);
        }
        let worker = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("etna-sandbox-conn".into())
                .spawn(move || {
                    serve(stream, &shared);
                    lock(&shared.open).remove(&id);
                })
        };
        let mut workers = lock(&shared.workers);
        workers.retain(|w| !w.is_finished());
        if let Ok(worker) = worker {
            workers.push(worker);
        }
    }
}

/// Serves one connection: requests until the client closes, asks to
/// close, goes idle, or sends something unparseable.
fn serve(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let mut buffer: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let keep_alive = match read_request(&mut stream, &mut buffer) {
            Ok(Some(head)) => {
                let answer = match parse_and_answer(&head, &shared.emulator) {
                    Ok(reply) => reply,
                    Err(reply) => reply,
                };
                shared.requests.fetch_add(1, Ordering::SeqCst);
                if write_answer(&mut stream, &answer.0, answer.1).is_err() {
                    return;
                }
                answer.1
            }
            Ok(None) => return,
            Err(status) => {
                let _ = write_answer(
                    &mut stream,
                    &json_answer(status, serde_json::json!({"error": "Bad request"})),
                    false,
                );
                return;
            }
        };
        if !keep_alive || shared.stopping.load(Ordering::SeqCst) {
            return;
        }
    }
}

/// Reads one request (head and body) from the stream; returns the head
/// bytes, `None` at a clean end, or the status to refuse it with.
fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<Option<Vec<u8>>, u16> {
    let mut chunk = [0u8; 4096];
    let head_len = loop {
        if let Some(end) = find_head_end(buffer) {
            break end;
        }
        if buffer.len() > MAX_HEAD {
            return Err(431);
        }
        match stream.read(&mut chunk) {
            Ok(0) => {
                return if buffer.is_empty() {
                    Ok(None)
                } else {
                    Err(400)
                }
            }
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Ok(None),
        }
    };
    let head: Vec<u8> = buffer.drain(..head_len).collect();
    // Discard the body (the protocol has none), within the cap.
    let body_len = content_length(&head).unwrap_or(0);
    if body_len > MAX_BODY {
        return Err(413);
    }
    while buffer.len() < body_len {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    buffer.drain(..body_len);
    Ok(Some(head))
}

fn find_head_end(buffer: &[u8]) -> Option<usize> {
    buffer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

fn content_length(head: &[u8]) -> Option<usize> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    request.parse(head).ok()?;
    let value = request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))?
        .value;
    std::str::from_utf8(value).ok()?.trim().parse().ok()
}

/// Parses a request head and answers it; the flag says whether to keep the
/// connection open.
fn parse_and_answer(head: &[u8], emulator: &Emulator) -> Result<(Answer, bool), (Answer, bool)> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::TooManyHeaders) => {
            return Err((
                json_answer(431, serde_json::json!({"error": "Too many headers"})),
                false,
            ))
        }
        _ => {
            return Err((
                json_answer(400, serde_json::json!({"error": "Bad request"})),
                false,
            ))
        }
    }
    let request = Request {
        method: parsed.method.unwrap_or(""),
        path: parsed.path.unwrap_or(""),
        headers: parsed
            .headers
            .iter()
            .map(|h| (h.name.to_ascii_lowercase(), h.value))
            .collect(),
    };
    let connection = request
        .header_str("connection")
        .map(str::to_ascii_lowercase);
    let keep_alive = match parsed.version {
        Some(1) => connection.as_deref() != Some("close"),
        _ => connection.as_deref() == Some("keep-alive"),
    };
    Ok((emulator.answer(&request), keep_alive))
}

fn write_answer(stream: &mut TcpStream, answer: &Answer, keep_alive: bool) -> io::Result<()> {
    let reason = match answer.status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        _ => "Unknown",
    };
    let head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n",
        answer.status,
        answer.body.len(),
        if keep_alive { "keep-alive" } else { "close" },
    );
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(answer.body.as_bytes());
    stream.write_all(&bytes)?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn emulator(max_attempts: u32) -> Emulator {
        Emulator::new(SandboxConfig {
            max_attempts,
            ..SandboxConfig::default()
        })
    }

    fn post<'a>(headers: &[(&str, &'a [u8])]) -> Request<'a> {
        let mut all: Vec<(String, &'a [u8])> = vec![
            ("content-length".into(), b"0"),
            ("et-app-key".into(), b"sandbox-app-key"),
        ];
        for (n, v) in headers {
            all.retain(|(name, _)| name != n);
            all.push((n.to_string(), v));
        }
        Request {
            method: "POST",
            path: "/api/token",
            headers: all,
        }
    }

    fn body(a: &Answer) -> Value {
        serde_json::from_str(&a.body).unwrap()
    }

    fn login(e: &Emulator, user: &str, pw: &str) -> Answer {
        e.answer(&post(&[
            ("username", user.as_bytes()),
            ("password", pw.as_bytes()),
        ]))
    }

    fn step(
        e: &Emulator,
        user: &str,
        pw: &str,
        interim: &str,
        header: &str,
        value: &str,
    ) -> Answer {
        let bearer = format!("Bearer {interim}");
        e.answer(&post(&[
            ("username", user.as_bytes()),
            ("password", pw.as_bytes()),
            ("authorization", bearer.as_bytes()),
            (header, value.as_bytes()),
        ]))
    }

    fn token(a: &Answer) -> String {
        body(a)["Token"].as_str().unwrap().to_owned()
    }

    #[test]
    fn single_factor() {
        let e = emulator(3);
        let a = login(&e, "alice", "alice-pass");
        assert_eq!(a.status, 200);
        assert_eq!(body(&a)["State"], "Succeeded");
        assert!(token(&a).bytes().all(|b| b.is_ascii_graphic()) && token(&a).len() > 60);
        assert_ne!(token(&a), token(&login(&e, "alice", "alice-pass")));
    }

    #[test]
    fn non_ascii_credentials_as_raw_utf8_bytes() {
        assert_eq!(login(&emulator(3), "jürgen", "pässwörd-ß").status, 200);
        assert_eq!(login(&emulator(3), "jürgen", "passwort").status, 401);
    }

    #[test]
    fn pin_with_retry_and_lockout() {
        let e = emulator(3);
        let a = login(&e, "bob", "bob-pass");
        assert_eq!(
            (a.status, body(&a)["Step"].as_str()),
            (202, Some("SecutityPin"))
        );
        let a = step(&e, "bob", "bob-pass", &token(&a), "pincode", "0000");
        assert_eq!(
            (a.status, body(&a)["Reason"].as_str()),
            (202, Some("Invalid pin"))
        );
        let a = step(&e, "bob", "bob-pass", &token(&a), "pincode", "1111");
        assert_eq!(a.status, 202);
        let a = step(&e, "bob", "bob-pass", &token(&a), "pincode", "2222");
        assert_eq!(a.status, 401);
        assert_eq!(body(&a)["Step"], "SecutityPin");
        assert_eq!(body(&a)["State"], "Failed");
        let a = login(&e, "bob", "bob-pass");
        let a = step(&e, "bob", "bob-pass", &token(&a), "pincode", "1234");
        assert_eq!(a.status, 200);
    }

    #[test]
    fn pin_then_code_and_reused_interim_tokens() {
        let e = emulator(3);
        let first = login(&e, "dave", "dave-pass");
        let second = step(&e, "dave", "dave-pass", &token(&first), "pincode", "4321");
        assert_eq!(
            (second.status, body(&second)["Step"].as_str()),
            (202, Some("VerificationCode"))
        );
        let again = step(&e, "dave", "dave-pass", &token(&first), "pincode", "4321");
        assert_eq!(
            (again.status, body(&again)["Reason"].as_str()),
            (401, Some("Corrupted ticket"))
        );
        let done = step(
            &e,
            "dave",
            "dave-pass",
            &token(&second),
            "verificationcode",
            "654321",
        );
        assert_eq!(done.status, 200);
    }

    #[test]
    fn code_with_one_attempt() {
        let e = emulator(1);
        let a = login(&e, "carol", "carol-pass");
        assert_eq!(body(&a)["Reason"], "Expecting confirmation code");
        let a = step(
            &e,
            "carol",
            "carol-pass",
            &token(&a),
            "verificationcode",
            "1",
        );
        assert_eq!(
            (a.status, body(&a)["Reason"].as_str()),
            (401, Some("Invalid verification code"))
        );
    }

    #[test]
    fn corrupted_tickets() {
        let e = emulator(3);
        let a = step(&e, "bob", "bob-pass", "made-up", "pincode", "1234");
        assert_eq!(
            (a.status, body(&a)["Reason"].as_str()),
            (401, Some("Corrupted ticket"))
        );
        let a = e.answer(&post(&[
            ("username", b"bob"),
            ("password", b"bob-pass"),
            ("pincode", b"1234"),
        ]));
        assert_eq!(body(&a)["Reason"], "Corrupted ticket");
        // Another user's ticket.
        let carol = login(&e, "carol", "carol-pass");
        let a = step(&e, "bob", "bob-pass", &token(&carol), "pincode", "1234");
        assert_eq!(body(&a)["Reason"], "Corrupted ticket");
    }

    #[test]
    fn app_key_credentials_length_path_method() {
        let e = emulator(3);
        let a = e.answer(&post(&[
            ("et-app-key", b"nope"),
            ("username", b"alice"),
            ("password", b"alice-pass"),
        ]));
        assert_eq!(
            body(&a)["error"],
            "Application key is not defined or does not exist"
        );
        let a = login(&e, "alice", "wrong");
        assert_eq!(a.status, 401);
        assert_eq!(body(&a)["Step"], "BaseAuthentication");
        assert_eq!(body(&a)["Reason"], "Invalid credentials");
        let mut r = post(&[("username", b"alice"), ("password", b"alice-pass")]);
        r.headers.retain(|(n, _)| n != "content-length");
        assert_eq!(e.answer(&r).status, 411);
        let mut r = post(&[]);
        r.path = "/api/other";
        assert_eq!(e.answer(&r).status, 404);
        let mut r = post(&[]);
        r.method = "GET";
        assert_eq!(e.answer(&r).status, 405);
    }

    #[test]
    fn config_parsing() {
        let c = SandboxConfig::from_json("{}").unwrap();
        assert_eq!(c, SandboxConfig::default());
        let c = SandboxConfig::from_json(r#"{"app_key":"k","max_attempts":5,"accounts":[{"username":"u","password":"p","code":"9"}]}"#).unwrap();
        assert_eq!(
            (c.app_key.as_str(), c.max_attempts, c.accounts.len()),
            ("k", 5, 1)
        );
        for bad in [
            "",
            "[]",
            r#"{"colour":1}"#,
            r#"{"accounts":[{"username":"u","password":"p","shoe":1}]}"#,
            r#"{"max_attempts":0}"#,
            r#"{"app_key":""}"#,
            r#"{"port":70000}"#,
            r#"{"accounts":[{"username":"u","password":"p"},{"username":"u","password":"q"}]}"#,
            r#"{"accounts":[{"username":"","password":"p"}]}"#,
            r#"{"accounts":[{"username":"u","password":"a\r\nb"}]}"#,
        ] {
            assert!(SandboxConfig::from_json(bad).is_err(), "{bad}");
        }
        let e =
            SandboxConfig::from_json(r#"{"accounts":[{"username":"u","password":"Sekr1t\n"}]}"#)
                .unwrap_err();
        assert!(!e.contains("Sekr1t"), "{e}");
        assert!(!format!("{:?}", SandboxConfig::default()).contains("alice-pass"));
    }

    fn roundtrip(stream: &mut TcpStream, request: &[u8]) -> String {
        stream.write_all(request).unwrap();
        let mut reply = Vec::new();
        let mut byte = [0u8; 1];
        while find_head_end(&reply).is_none() {
            assert_eq!(stream.read(&mut byte).unwrap(), 1);
            reply.push(byte[0]);
        }
        let len = content_length_of_reply(&reply);
        let mut body = vec![0u8; len];
        stream.read_exact(&mut body).unwrap();
        reply.extend(body);
        String::from_utf8(reply).unwrap()
    }

    fn content_length_of_reply(head: &[u8]) -> usize {
        let text = String::from_utf8_lossy(head).to_ascii_lowercase();
        let line = text
            .lines()
            .find(|l| l.starts_with("content-length:"))
            .unwrap();
        line["content-length:".len()..].trim().parse().unwrap()
    }

    fn connect(sandbox: &Sandbox) -> TcpStream {
        TcpStream::connect(sandbox.address).unwrap()
    }

    #[test]
    fn keep_alive_non_ascii_and_411_over_a_socket() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        let login = "POST /api/token HTTP/1.1\r\nHost: x\r\nEt-App-Key: sandbox-app-key\r\nUsername: jürgen\r\nPassword: pässwörd-ß\r\nContent-Length: 0\r\n\r\n";
        let reply = roundtrip(&mut stream, login.as_bytes());
        assert!(reply.starts_with("HTTP/1.1 200 "), "{reply}");
        let reply = roundtrip(&mut stream, b"POST /api/token HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(reply.starts_with("HTTP/1.1 411 "), "{reply}");
        assert_eq!(sandbox.request_count(), 2);
        assert_eq!(sandbox.connection_count(), 1);
    }

    #[test]
    fn stop_is_prompt_with_an_idle_client() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let _idle = connect(&sandbox);
        std::thread::sleep(Duration::from_millis(50));
        let started = std::time::Instant::now();
        sandbox.stop();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn garbage_gets_400_and_a_close() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        stream.write_all(b"\x01\x02 garbage\r\n\r\n").unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 400 "), "{reply}");
    }
}
