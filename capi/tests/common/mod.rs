//! Shared by the integration tests: thin safe wrappers over the C ABI (the
//! tests exercise the real `extern "C"` functions) and a scriptable hostile
//! HTTP server on 127.0.0.1.
#![allow(dead_code)]

use std::ffi::{CStr, CString};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

pub use etna_auth::Status;
use etna_auth_capi::*;

#[path = "../../../tests/support/spawn.rs"]
pub mod spawn;

// The header's constants, from the one table of codes (the header's own
// values are checked against it in capi_sandbox.rs).
pub const ETNA_OK: i32 = Status::Ok.code();
pub const ETNA_NEED_PIN: i32 = Status::NeedPin.code();
pub const ETNA_NEED_CODE: i32 = Status::NeedCode.code();
pub const ETNA_ERR_ARGUMENT: i32 = Status::Argument.code();
pub const ETNA_ERR_STATE: i32 = Status::State.code();
pub const ETNA_ERR_APP_KEY: i32 = Status::AppKey.code();
pub const ETNA_ERR_CREDENTIALS: i32 = Status::Credentials.code();
pub const ETNA_ERR_REJECTED: i32 = Status::Rejected.code();
pub const ETNA_ERR_NETWORK: i32 = Status::Network.code();
pub const ETNA_ERR_TIMEOUT: i32 = Status::Timeout.code();
pub const ETNA_ERR_PROTOCOL: i32 = Status::Protocol.code();
pub const ETNA_ERR_SERVER: i32 = Status::Server.code();
pub const ETNA_ERR_IO: i32 = Status::Io.code();
pub const ETNA_ERR_TLS: i32 = Status::Tls.code();
pub const ETNA_ERR_NO_TOKEN: i32 = Status::NoToken.code();
pub const ETNA_ERR_CANCELLED: i32 = Status::Cancelled.code();
pub const ETNA_ERR_INTERNAL: i32 = Status::Internal.code();

pub fn c(s: &str) -> CString {
    CString::new(s).expect("no NUL in test strings")
}

pub fn last_error() -> String {
    unsafe { CStr::from_ptr(etna_last_error()) }
        .to_str()
        .expect("last error is UTF-8")
        .to_owned()
}

/// Asserts a call's status, with etna_last_error() in the failure message.
#[track_caller]
pub fn assert_rc(rc: i32, want: i32) {
    assert_eq!(rc, want, "{}", last_error());
}

/// A session handle, freed on drop. Its log is on at TRACE for every test
/// that uses it: every line is kept, and when the session is freed no line
/// may hold a secret the test gave it or got from it (password, PIN, code,
/// token, the whole app key; 4 characters or more, as the redaction rules).
pub struct S(pub *mut EtnaSession, pub Arc<LogWatch>);

unsafe impl Send for S {}
unsafe impl Sync for S {}

/// A session's log lines and the secrets that must not appear in them.
#[derive(Default)]
pub struct LogWatch {
    pub lines: Mutex<Vec<String>>,
    secrets: Mutex<Vec<String>>,
    /// The server's host and port, which lines may show: taken out before
    /// looking for secrets (the sandbox's port 43215 holds dave's PIN 4321).
    server: Mutex<String>,
}

impl LogWatch {
    fn server(&self, url: &str) {
        let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
        let authority = authority.split('/').next().unwrap_or_default();
        *self.server.lock().unwrap() = authority.to_owned();
    }

    pub fn secret(&self, value: &str) {
        if value.len() >= 4 {
            self.secrets.lock().unwrap().push(value.to_owned());
        }
    }

    /// Panics when a line holds a secret (beside the server's address).
    pub fn check(&self) {
        let lines = self.lines.lock().unwrap();
        let server = self.server.lock().unwrap();
        for secret in self.secrets.lock().unwrap().iter() {
            for line in lines.iter() {
                let shown = match server.is_empty() {
                    true => line.clone(),
                    false => line.replace(server.as_str(), "<server>"),
                };
                assert!(
                    !shown.contains(secret.as_str()),
                    "a log line holds the secret {secret:?}: {line}"
                );
            }
        }
    }
}

unsafe extern "C" fn watch_log(
    user_data: *mut std::ffi::c_void,
    level: i32,
    line: *const std::ffi::c_char,
) {
    let watch = &*(user_data as *const LogWatch);
    let line = CStr::from_ptr(line).to_str().expect("log lines are UTF-8");
    assert!((1..=3).contains(&level), "level {level}");
    assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
    watch.lines.lock().unwrap().push(line.to_owned());
}

impl S {
    pub fn new(url: &str, key: &str) -> S {
        let p = unsafe { etna_new(c(url).as_ptr(), c(key).as_ptr()) };
        assert!(!p.is_null(), "etna_new({url}) failed: {}", last_error());
        assert_eq!(last_error(), "");
        let watch = Arc::new(LogWatch::default());
        watch.server(url);
        watch.secret(key);
        let rc = unsafe {
            etna_set_log_callback(
                p,
                Some(watch_log),
                Arc::as_ptr(&watch) as *mut _,
                ETNA_LOG_TRACE,
            )
        };
        assert_eq!(rc, ETNA_OK);
        S(p, watch)
    }
    pub fn begin(&self, user: &str, password: &str) -> i32 {
        self.1.secret(password);
        unsafe { etna_begin_auth(self.0, c(user).as_ptr(), c(password).as_ptr()) }
    }
    pub fn pin(&self, pin: &str) -> i32 {
        self.1.secret(pin);
        unsafe { etna_supply_pin(self.0, c(pin).as_ptr()) }
    }
    pub fn code(&self, code: &str) -> i32 {
        self.1.secret(code);
        unsafe { etna_supply_code(self.0, c(code).as_ptr()) }
    }
    pub fn timeout_ms(&self, ms: u32) -> i32 {
        unsafe { etna_set_timeout_ms(self.0, ms) }
    }
    pub fn ca_file(&self, path: &str) -> i32 {
        unsafe { etna_set_ca_file(self.0, c(path).as_ptr()) }
    }
    pub fn token(&self) -> Result<String, i32> {
        let n = unsafe { etna_get_token(self.0, std::ptr::null_mut(), 0) };
        if n < 0 {
            return Err(n);
        }
        let mut buf = vec![0u8; n as usize + 1];
        let m = unsafe { etna_get_token(self.0, buf.as_mut_ptr().cast(), buf.len()) };
        assert_eq!(m, n);
        assert_eq!(buf[n as usize], 0);
        buf.pop();
        let token = String::from_utf8(buf).expect("token is ASCII");
        self.1.secret(&token);
        Ok(token)
    }
    pub fn expires_at(&self) -> i64 {
        unsafe { etna_token_expires_at(self.0) }
    }
}

impl Drop for S {
    fn drop(&mut self) {
        unsafe { etna_free(self.0) }
        if !std::thread::panicking() {
            self.1.check();
        }
    }
}

/// The embedded sandbox, stopped on drop.
pub struct Sbx(pub *mut EtnaSandbox);

impl Sbx {
    pub fn start(config: Option<&str>) -> Sbx {
        let json = config.map(c);
        let p =
            unsafe { etna_sandbox_start(json.as_ref().map_or(std::ptr::null(), |j| j.as_ptr())) };
        assert!(!p.is_null(), "sandbox: {}", last_error());
        Sbx(p)
    }
    pub fn url(&self) -> String {
        unsafe { CStr::from_ptr(etna_sandbox_url(self.0)) }
            .to_str()
            .unwrap()
            .to_owned()
    }
    pub fn key(&self) -> String {
        unsafe { CStr::from_ptr(etna_sandbox_app_key(self.0)) }
            .to_str()
            .unwrap()
            .to_owned()
    }
    pub fn requests(&self) -> u64 {
        unsafe { etna_sandbox_request_count(self.0) }
    }
    pub fn connections(&self) -> u64 {
        unsafe { etna_sandbox_connection_count(self.0) }
    }
    pub fn session(&self) -> S {
        S::new(&self.url(), &self.key())
    }
}

impl Drop for Sbx {
    fn drop(&mut self) {
        unsafe { etna_sandbox_stop(self.0) }
    }
}

/// What a hostile server's script does after answering.
pub enum After {
    KeepAlive,
    Close,
}

/// A plain HTTP answer with a correct Content-Length.
pub fn http(status: u16, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Closes a socket with an RST instead of a FIN (SO_LINGER with timeout 0).
pub fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

type Script = dyn Fn(usize, &str, &mut TcpStream) -> After + Send + Sync;

/// A scripted server on 127.0.0.1: for each request (numbered from 0 across
/// connections) it reads the request head and runs the script.
pub struct Hostile {
    pub base_url: String,
    pub connections: Arc<AtomicUsize>,
    pub requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl Hostile {
    pub fn start(
        script: impl Fn(usize, &str, &mut TcpStream) -> After + Send + Sync + 'static,
    ) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let script: Arc<Script> = Arc::new(script);
        {
            let (connections, requests, stop) =
                (connections.clone(), requests.clone(), stop.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (requests, script) = (requests.clone(), script.clone());
                    thread::spawn(move || {
                        stream.set_read_timeout(Some(Duration::from_secs(20))).ok();
                        loop {
                            let Some(head) = read_head(&mut stream) else {
                                return;
                            };
                            let n = {
                                let mut all = requests.lock().unwrap();
                                all.push(head.clone());
                                all.len() - 1
                            };
                            if let After::Close = script(n, &head, &mut stream) {
                                return;
                            }
                        }
                    });
                }
            });
        }
        Hostile {
            base_url: format!("http://127.0.0.1:{port}/api"),
            connections,
            requests,
            stop,
            port,
        }
    }

    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Reads up to the end of a request head; None at EOF or on error.
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
        if head.len() > 1 << 20 {
            return None;
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// Writes and ignores errors (the client may have gone).
pub fn send(stream: &mut TcpStream, bytes: &[u8]) {
    let _ = stream.write_all(bytes);
    let _ = stream.flush();
}

/// A fresh private temporary directory for one test.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("etna-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a file in this process's temporary directory; returns its path.
pub fn write_temp(name: &str, contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!("etna-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The `etna-auth` tool of this build (cli/), beside the test's directory:
/// `cargo test` builds every workspace member's binaries first.
pub fn cli_exe() -> std::path::PathBuf {
    let test_exe = std::env::current_exe().expect("the test knows its path");
    let dir = test_exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let exe = dir.join(format!("etna-auth{}", std::env::consts::EXE_SUFFIX));
    assert!(
        exe.exists(),
        "{} is missing: build the workspace (cargo build) first",
        exe.display()
    );
    exe
}
