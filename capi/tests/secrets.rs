//! Secret hygiene (issue 8): every message the library can produce is
//! scanned for the password, PIN, code and tokens used in the test, and none
//! may show up:
//!
//! - `etna_last_error()` after every status (each error kind, the NEED
//!   statuses' Reason), including servers that echo the credentials back or
//!   put a token in an answer that is not JSON;
//! - `Debug` of every public type that can hold a secret;
//! - the CLI's stderr (and what it writes to the terminal) for failed logins.
// Unix only: terminals (openpty, setsid, termios), signals and file modes.
#![cfg(unix)]

mod common;

use std::ffi::CString;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::*;
use etna_auth::protocol::{classify, Endpoint, StepRequest};
use etna_auth::sandbox::SandboxConfig;
use etna_auth::secret::Secret;
use etna_auth::{Session, Status};
use etna_auth_capi::*;

const USER: &str = "secuser";
const PASSWORD: &str = "Pw-Secret-7Hq2xZ";
const WRONG_PASSWORD: &str = "Pw-Wrong-Secret-3Kd";
const PIN: &str = "4827193";
const WRONG_PIN: &str = "5550172";
const CODE: &str = "88217734";
const WRONG_CODE: &str = "99001122";
const TOKEN: &str = "Tok-Secret-Q9vL3mRw";
const INTERIM: &str = "Interim-Secret-K2p8";
const APP_KEY: &str = "secret-app-key";

const SECRETS: [&str; 8] = [
    PASSWORD,
    WRONG_PASSWORD,
    PIN,
    WRONG_PIN,
    CODE,
    WRONG_CODE,
    TOKEN,
    INTERIM,
];

/// Every message seen, labelled, for one final scan.
#[derive(Default)]
struct Seen(Vec<(String, String)>);

impl Seen {
    fn add(&mut self, label: impl Into<String>, message: impl Into<String>) {
        self.0.push((label.into(), message.into()));
    }
    /// Records etna_last_error() after a call that returned `rc`.
    fn after(&mut self, label: &str, rc: i32) -> i32 {
        self.add(format!("{label} -> {rc}"), last_error());
        rc
    }
    fn assert_clean(&self, at_least: usize) {
        let mut leaks = Vec::new();
        for (label, message) in &self.0 {
            for secret in SECRETS {
                if message.contains(secret) {
                    leaks.push(format!("{label}: {secret} in {message:?}"));
                }
            }
            assert!(
                !message.contains('\n') || label.starts_with("cli"),
                "{label}: not one line: {message:?}"
            );
        }
        assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
        let non_empty = self.0.iter().filter(|(_, m)| !m.is_empty()).count();
        assert!(non_empty >= at_least, "only {non_empty} messages");
    }
}

fn sandbox() -> Sbx {
    Sbx::start(Some(&format!(
        r#"{{"app_key": "{APP_KEY}", "max_attempts": 2, "accounts": [
            {{"username": "{USER}", "password": "{PASSWORD}", "pin": "{PIN}", "code": "{CODE}"}}]}}"#
    )))
}

/// One login against a server that answers every request with `reply`.
fn against(seen: &mut Seen, label: &str, reply: Vec<u8>) -> i32 {
    let server = Hostile::start(move |_, _, stream| {
        send(stream, &reply);
        After::Close
    });
    let s = S::new(&server.base_url, APP_KEY);
    s.timeout_ms(2000);
    seen.after(label, s.begin(USER, PASSWORD))
}

fn raw(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

#[test]
fn last_error_after_every_status_against_the_sandbox() {
    let mut seen = Seen::default();
    let sbx = sandbox();
    let (url, key) = (sbx.url(), sbx.key());

    // ETNA_ERR_ARGUMENT: secrets with control characters, not UTF-8, NULL.
    let s = sbx.session();
    seen.after(
        "password with CR LF",
        s.begin(USER, &format!("{PASSWORD}\r\nX: y")),
    );
    seen.after("password with TAB", s.begin(USER, &format!("{PASSWORD}\t")));
    let mut bad = PASSWORD.as_bytes().to_vec();
    bad.push(0xff);
    let bad = CString::new(bad).unwrap();
    seen.after("password not UTF-8", unsafe {
        etna_begin_auth(s.0, c(USER).as_ptr(), bad.as_ptr())
    });
    seen.after("NULL password", unsafe {
        etna_begin_auth(s.0, c(USER).as_ptr(), std::ptr::null())
    });
    let p = unsafe {
        etna_new(
            c(&url.replace("http://", &format!("http://{USER}:{PASSWORD}@"))).as_ptr(),
            c(&key).as_ptr(),
        )
    };
    assert!(p.is_null());
    seen.add("etna_new with user info", last_error());
    let p = unsafe {
        etna_new(
            c(&format!("https://{USER}:{PASSWORD}@h.example/api")).as_ptr(),
            c(&key).as_ptr(),
        )
    };
    assert!(p.is_null());
    seen.add("etna_new https with user info", last_error());
    for proxy in [
        format!("http://{USER}:{PASSWORD}@proxy.example:3128/path"),
        format!("socks5://{USER}:{PASSWORD}@proxy.example:1080"),
        format!("http://{USER}:{PASSWORD}@proxy.example:3128\r\n"),
    ] {
        seen.after("set_proxy refused", unsafe {
            etna_set_proxy(s.0, c(&proxy).as_ptr())
        });
    }
    seen.after("set_proxy accepted", unsafe {
        etna_set_proxy(
            s.0,
            c(&format!("http://{USER}:{PASSWORD}@proxy.example:3128")).as_ptr(),
        )
    });

    // ETNA_ERR_STATE: a factor nobody asked for.
    seen.after("pin without login", s.pin(PIN));
    seen.after("code without login", s.code(CODE));

    // ETNA_ERR_CREDENTIALS.
    assert_eq!(
        seen.after("wrong password", s.begin(USER, WRONG_PASSWORD)),
        ETNA_ERR_CREDENTIALS
    );

    // The whole flow with wrong factors, then the lockout (ETNA_ERR_REJECTED).
    assert_eq!(seen.after("begin", s.begin(USER, PASSWORD)), ETNA_NEED_PIN);
    seen.after("code while a PIN is asked", s.code(CODE));
    seen.after("pin with LF", s.pin(&format!("{PIN}\n")));
    assert_eq!(seen.after("wrong pin", s.pin(WRONG_PIN)), ETNA_NEED_PIN);
    assert_eq!(seen.after("right pin", s.pin(PIN)), ETNA_NEED_CODE);
    assert_eq!(seen.after("wrong code", s.code(WRONG_CODE)), ETNA_NEED_CODE);
    assert_eq!(
        seen.after("wrong code again", s.code(WRONG_CODE)),
        ETNA_ERR_REJECTED
    );
    seen.after("code after the lockout", s.code(CODE));
    assert_eq!(s.begin(USER, PASSWORD), ETNA_NEED_PIN);
    assert_eq!(s.pin(PIN), ETNA_NEED_CODE);
    assert_eq!(seen.after("right code", s.code(CODE)), ETNA_OK);
    seen.after("get_token", unsafe {
        etna_get_token(s.0, std::ptr::null_mut(), 0)
    });

    // ETNA_ERR_IO / ETNA_ERR_NO_TOKEN with the token cache.
    let dir = temp_dir("secrets");
    let cache = dir.join("cache.json");
    let cache_c = c(cache.to_str().unwrap());
    seen.after("save_token", unsafe {
        etna_save_token(s.0, cache_c.as_ptr())
    });
    seen.after("load_token other user", unsafe {
        etna_load_token(s.0, cache_c.as_ptr(), c("nobody").as_ptr(), 60)
    });
    // Cache files with a token where it does not belong.
    for (what, contents) in [
        (
            "corrupt",
            format!("{{\"entries\": [{{\"token\": \"{TOKEN}\"}}]}}"),
        ),
        (
            "wrong types",
            format!("{{\"format\": \"etna-auth token cache\", \"version\": 1, \"entries\": [{{\"base_url\": \"{url}\", \"username\": \"{USER}\", \"token\": 42, \"expires_at\": \"{TOKEN}\"}}]}}"),
        ),
        (
            "unsafe token",
            format!("{{\"format\": \"etna-auth token cache\", \"version\": 1, \"entries\": [{{\"base_url\": \"{url}\", \"username\": \"{USER}\", \"token\": \"{TOKEN} \\r\\n\", \"expires_at\": {}}}]}}", etna_auth::token_cache::unix_now() + 3600),
        ),
    ] {
        std::fs::write(&cache, contents).unwrap();
        seen.after(&format!("load_token {what}"), unsafe {
            etna_load_token(s.0, cache_c.as_ptr(), c(USER).as_ptr(), 60)
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    seen.after("set_ca_file missing", s.ca_file("/nonexistent/ca.pem"));

    // ETNA_ERR_APP_KEY.
    let other = S::new(&url, "not-the-key");
    assert_eq!(
        seen.after("wrong app key", other.begin(USER, PASSWORD)),
        ETNA_ERR_APP_KEY
    );

    // ETNA_ERR_NETWORK: nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = S::new(&format!("http://127.0.0.1:{port}/api"), APP_KEY);
    assert_eq!(
        seen.after("refused", refused.begin(USER, PASSWORD)),
        ETNA_ERR_NETWORK
    );

    seen.assert_clean(20);
}

#[test]
fn last_error_against_hostile_servers() {
    let mut seen = Seen::default();
    let json = |status: u16, body: String| raw(status, "application/json", body.as_bytes());

    // ETNA_ERR_PROTOCOL with a token in the answer, JSON or not.
    let cases: Vec<(&str, Vec<u8>, i32)> = vec![
        ("token with a space", json(200, format!(r#"{{"State":"Succeeded","Token":"{TOKEN} x"}}"#)), ETNA_ERR_PROTOCOL),
        ("token with CR LF", json(200, format!(r#"{{"State":"Succeeded","Token":"{TOKEN}\r\nX: 1"}}"#)), ETNA_ERR_PROTOCOL),
        ("unknown step", json(202, format!(r#"{{"State":"Expecting","Step":"Retina","Token":"{INTERIM}"}}"#)), ETNA_ERR_PROTOCOL),
        ("unknown state", json(200, format!(r#"{{"State":"Weird","Token":"{TOKEN}"}}"#)), ETNA_ERR_PROTOCOL),
        ("404 with a token", json(404, format!(r#"{{"Token":"{TOKEN}"}}"#)), ETNA_ERR_PROTOCOL),
        ("200 with a BOM before the JSON", raw(200, "application/json", format!("\u{feff}{{\"State\":\"Succeeded\",\"Token\":\"{TOKEN}\"}}").as_bytes()), ETNA_ERR_PROTOCOL),
        ("200 with JSON cut short", json(200, format!(r#"{{"State":"Succeeded","Token":"{TOKEN}""#)), ETNA_ERR_PROTOCOL),
        ("200 with trailing garbage", json(200, format!(r#"{{"State":"Succeeded","Token":"{TOKEN}"}} trailing"#)), ETNA_ERR_PROTOCOL),
        ("200 with the token as text", raw(200, "text/plain", format!("token={TOKEN}").as_bytes()), ETNA_ERR_PROTOCOL),
        ("redirect with the token in Location", format!("HTTP/1.1 302 Found\r\nLocation: https://h.example/cb#access_token={TOKEN}\r\nContent-Length: 0\r\n\r\n").into_bytes(), ETNA_ERR_PROTOCOL),
        // ETNA_ERR_SERVER with a token in a body that is not JSON.
        ("500 HTML with a token", raw(500, "text/html", format!("<html>session token {TOKEN} expired</html>").as_bytes()), ETNA_ERR_SERVER),
        ("502 JSON with a token", json(502, format!(r#"{{"Message":"gateway","Token":"{TOKEN}"}}"#)), ETNA_ERR_SERVER),
        // Servers that echo the credentials back.
        ("401 echoing the password", json(401, format!(r#"{{"State":"Failed","Step":"BaseAuthentication","Reason":"Invalid password {PASSWORD}"}}"#)), ETNA_ERR_CREDENTIALS),
        ("500 echoing the password", raw(500, "text/plain", format!("Password={PASSWORD} rejected").as_bytes()), ETNA_ERR_SERVER),
        ("400 echoing the password", json(400, format!(r#"{{"Message":"bad","Reason":"{PASSWORD}"}}"#)), ETNA_ERR_PROTOCOL),
        ("app key error echoing the password", json(403, format!(r#"{{"error":"Application key is not defined for {PASSWORD}"}}"#)), ETNA_ERR_APP_KEY),
    ];
    for (label, reply, expect) in cases {
        let rc = against(&mut seen, label, reply);
        assert_eq!(rc, expect, "{label}: {}", last_error());
    }

    // ETNA_ERR_TIMEOUT.
    let server = Hostile::start(|_, _, _| {
        sleep(Duration::from_secs(5));
        After::Close
    });
    let s = S::new(&server.base_url, APP_KEY);
    s.timeout_ms(300);
    assert_eq!(
        seen.after("timeout", s.begin(USER, PASSWORD)),
        ETNA_ERR_TIMEOUT
    );

    // ETNA_ERR_NETWORK after part of an answer that holds the token.
    let reply = json(200, format!(r#"{{"State":"Succeeded","Token":"{TOKEN}"}}"#));
    let cut = reply.len() - 3;
    let rc = against(&mut seen, "truncated", reply[..cut].to_vec());
    assert_eq!(rc, ETNA_ERR_NETWORK);

    // Second-factor steps: the server echoes the PIN and code in its Reason
    // (after a NEED status etna_last_error is that Reason) and in failures.
    let server = Hostile::start(|_, head, stream| {
        let body = if head.contains("PinCode: ") {
            format!(
                r#"{{"State":"Expecting","Step":"VerificationCode","Reason":"PIN {PIN} ok, now the code","Token":"{INTERIM}2"}}"#
            )
        } else if head.contains("VerificationCode: ") {
            format!(
                r#"{{"State":"Failed","Step":"VerificationCode","Reason":"Code {WRONG_CODE} is wrong, ticket {INTERIM}2"}}"#
            )
        } else {
            format!(
                r#"{{"State":"Expecting","Step":"SecutityPin","Reason":"Hello {USER}","Token":"{INTERIM}"}}"#
            )
        };
        let status = if body.contains("Failed") { 401 } else { 202 };
        send(stream, &raw(status, "application/json", body.as_bytes()));
        After::KeepAlive
    });
    let s = S::new(&server.base_url, APP_KEY);
    assert_eq!(
        seen.after("echo: begin", s.begin(USER, PASSWORD)),
        ETNA_NEED_PIN
    );
    assert_eq!(seen.after("echo: pin", s.pin(PIN)), ETNA_NEED_CODE);
    assert_eq!(
        seen.after("echo: code", s.code(WRONG_CODE)),
        ETNA_ERR_REJECTED
    );

    seen.assert_clean(15);
}

#[test]
fn debug_of_every_public_type() {
    let mut seen = Seen::default();
    let sbx = sandbox();

    // Session at every stage, with a proxy that has a password.
    let mut session = Session::new(&sbx.url(), APP_KEY).unwrap();
    seen.add("Session idle", format!("{session:?}"));
    assert_eq!(
        session.begin_auth(USER, PASSWORD).unwrap().status(),
        Status::NeedPin
    );
    seen.add("Session awaiting pin", format!("{session:?}"));
    seen.add("Step", format!("{:?}", session.supply_pin(WRONG_PIN)));
    seen.add("Session after a wrong pin", format!("{session:?}"));
    session.supply_pin(PIN).unwrap();
    seen.add("Session awaiting code", format!("{session:?}"));
    session.supply_code(CODE).unwrap();
    seen.add("Session logged in", format!("{session:?}"));
    seen.add("canceller", format!("{:?}", session.canceller()));
    let e = session.supply_code(CODE).unwrap_err();
    seen.add("Error", format!("{e:?}"));
    seen.add("Error display", format!("{e}"));
    let e = session.begin_auth(USER, WRONG_PASSWORD).unwrap_err();
    seen.add("Error credentials", format!("{e:?}"));

    let mut remote = Session::new("https://h.example/api", APP_KEY).unwrap();
    remote
        .set_proxy(Some(&format!(
            "http://{USER}:{PASSWORD}@proxy.example:3128"
        )))
        .unwrap();
    remote.set_timeout(Duration::from_millis(1234)).unwrap();
    seen.add("Session with a proxy", format!("{remote:?}"));
    seen.add(
        "ProxyUrl",
        format!(
            "{:?}",
            etna_auth::proxy::ProxyUrl::parse(&format!("http://u:{PASSWORD}@p:1")).unwrap()
        ),
    );
    seen.add(
        "ProxySetting",
        format!(
            "{:?}",
            etna_auth::proxy::ProxySetting::Explicit(
                etna_auth::proxy::ProxyUrl::parse(&format!("http://u:{PASSWORD}@p:1")).unwrap()
            )
        ),
    );
    seen.add(
        "Endpoint",
        format!("{:?}", Endpoint::parse("https://h.example/api").unwrap()),
    );

    // The protocol's values.
    let (key, user, pw, interim, pin) = (
        Secret::new(APP_KEY),
        Secret::new(USER),
        Secret::new(PASSWORD),
        Secret::new(INTERIM),
        Secret::new(PIN),
    );
    seen.add("Secret", format!("{pw:?} {interim:?}"));
    let request = StepRequest {
        app_key: &key,
        username: &user,
        password: &pw,
        interim: Some(&interim),
        factor: Some((etna_auth::protocol::Factor::Pin, &pin)),
    };
    seen.add("request headers", format!("{:?}", request.headers()));
    let ok = classify(
        200,
        None,
        format!(r#"{{"State":"Succeeded","Token":"{TOKEN}"}}"#).as_bytes(),
    );
    seen.add("Answer succeeded", format!("{ok:?}"));
    let expecting = classify(
        202,
        None,
        format!(r#"{{"State":"Expecting","Step":"SecutityPin","Token":"{INTERIM}"}}"#).as_bytes(),
    );
    seen.add("Answer expecting", format!("{expecting:?}"));

    // The token cache's entries.
    let entry = etna_auth::token_cache::Entry {
        base_url: "https://h.example/api".into(),
        username: USER.into(),
        token: Secret::new(TOKEN),
        expires_at: 1,
    };
    seen.add("token cache Entry", format!("{entry:?}"));

    // The sandbox's config, accounts and handle.
    let config = SandboxConfig::from_json(&format!(
        r#"{{"accounts": [{{"username": "{USER}", "password": "{PASSWORD}", "pin": "{PIN}", "code": "{CODE}"}}]}}"#
    ))
    .unwrap();
    seen.add("SandboxConfig", format!("{config:?}"));
    seen.add("Account", format!("{:?}", config.accounts));
    let running = etna_auth::sandbox::Sandbox::start(config).unwrap();
    seen.add("Sandbox", format!("{running:?}"));
    // A config error that mentions the secrets' fields in the wrong type.
    for bad in [
        format!(r#"{{"accounts": [{{"username": "{USER}", "password": {PIN}}}]}}"#),
        format!(
            r#"{{"accounts": [{{"username": "{USER}", "password": "{PASSWORD}", "pin": {PIN}}}]}}"#
        ),
        format!(
            r#"{{"accounts": [{{"username": "{USER}", "password": "{PASSWORD}", "code": [{CODE}]}}]}}"#
        ),
        format!(r#"{{"accounts": [{{"username": "{USER}", "password": "{PASSWORD}\u0001"}}]}}"#),
    ] {
        let e = SandboxConfig::from_json(&bad).unwrap_err();
        seen.add("sandbox config error", e);
        let p = unsafe { etna_sandbox_start(c(&bad).as_ptr()) };
        assert!(p.is_null());
        seen.add("etna_sandbox_start error", last_error());
    }
    seen.assert_clean(15);
}

/// The CLI run without a terminal: a failed login's stderr.
fn cli(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(cli_exe());
    cmd.args(args)
        .env_remove("ETNA_PASSWORD")
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_stderr_without_a_terminal() {
    let mut seen = Seen::default();
    let sbx = sandbox();
    let url = sbx.url();
    let base = |pw: &'static str| {
        vec![
            ("ETNA_BASE_URL", url.clone()),
            ("ETNA_APP_KEY", APP_KEY.to_owned()),
            ("ETNA_USERNAME", USER.to_owned()),
            ("ETNA_PASSWORD", pw.to_owned()),
        ]
    };
    // `login` with these flags after it.
    let login = |seen: &mut Seen, label: &str, flags: &[&str], env: Vec<(&str, String)>| {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (code, stdout, stderr) = cli(&[&["login"], flags].concat(), &env);
        seen.add(format!("cli {label} (exit {code}) stderr"), stderr);
        (code, stdout)
    };

    let (code, _) = login(&mut seen, "wrong password", &[], base(WRONG_PASSWORD));
    assert_eq!(code, 4);
    // The PIN is asked for on a terminal; without one the CLI says so.
    let (code, stdout) = login(&mut seen, "pin without a terminal", &[], base(PASSWORD));
    assert_ne!(code, 0);
    seen.add("cli pin without a terminal stdout", stdout);
    let mut env = base(PASSWORD);
    env[1].1 = "wrong-key".into();
    login(&mut seen, "wrong app key", &[], env);
    let mut env = base(PASSWORD);
    env[0].1 = format!("https://{USER}:{PASSWORD}@h.example/api");
    let (code, _) = login(&mut seen, "user info in the URL", &[], env);
    assert_eq!(code, 1);
    let mut env = base(PASSWORD);
    env[3].1 = format!("{PASSWORD}\r\n");
    login(&mut seen, "password with CR LF", &[], env);
    login(
        &mut seen,
        "proxy with a password and a path",
        &[
            "--proxy",
            &format!("http://u:{PASSWORD}@proxy.example:3128/x"),
        ],
        base(PASSWORD),
    );

    // Servers that misbehave with a token or echo the password.
    for (label, reply) in [
        (
            "token with a space",
            raw(
                200,
                "application/json",
                format!(r#"{{"State":"Succeeded","Token":"{TOKEN} x"}}"#).as_bytes(),
            ),
        ),
        (
            "token in a body that is not JSON",
            raw(200, "text/plain", format!("token={TOKEN}").as_bytes()),
        ),
        (
            "echoed password",
            raw(
                401,
                "application/json",
                format!(
                    r#"{{"State":"Failed","Step":"BaseAuthentication","Reason":"bad {PASSWORD}"}}"#
                )
                .as_bytes(),
            ),
        ),
    ] {
        let server = Hostile::start(move |_, _, stream| {
            send(stream, &reply);
            After::Close
        });
        let mut env = base(PASSWORD);
        env[0].1 = server.base_url.clone();
        let (code, _) = login(&mut seen, label, &[], env);
        assert_ne!(code, 0, "{label}");
    }

    // Cache file errors.
    let dir = temp_dir("secrets-cli");
    let cache = dir.join("c.json");
    std::fs::write(
        &cache,
        format!("{{\"entries\": [{{\"token\": \"{TOKEN}\"}}]}}"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o600)).unwrap();
    login(
        &mut seen,
        "corrupt cache",
        &["--cache", cache.to_str().unwrap()],
        base(PASSWORD),
    );
    let _ = std::fs::remove_dir_all(&dir);
    seen.assert_clean(8);
}

/// Opens a pseudo-terminal; returns (master, slave).
fn openpty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            // *const on Linux, *mut on macOS.
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// What the CLI wrote on the terminal, read as it comes.
#[derive(Default)]
struct Screen(String);

impl Screen {
    /// Reads for up to `wait`; false at the end of the output.
    fn read_some(&mut self, terminal: &mut std::fs::File, wait: Duration) -> bool {
        use std::os::fd::AsRawFd;
        let mut poll = libc::pollfd {
            fd: terminal.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        if unsafe { libc::poll(&mut poll, 1, wait.as_millis() as i32) } <= 0 {
            return true;
        }
        let mut buf = [0u8; 1024];
        match terminal.read(&mut buf) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.0.push_str(&String::from_utf8_lossy(&buf[..n]));
                true
            }
        }
    }

    /// Everything up to and including `needle` (the rest stays).
    fn wait_for(&mut self, terminal: &mut std::fs::File, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.0.contains(needle) {
            assert!(
                Instant::now() < deadline && self.read_some(terminal, Duration::from_millis(100)),
                "no {needle:?} on the terminal, which shows {:?}",
                self.0
            );
        }
        let end = self.0.find(needle).unwrap() + needle.len();
        let shown = self.0[..end].to_owned();
        self.0.drain(..end);
        shown
    }

    /// What is left, until the CLI closes the terminal (or 2 s of silence).
    fn rest(&mut self, terminal: &mut std::fs::File) -> String {
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline && self.read_some(terminal, Duration::from_millis(100)) {}
        std::mem::take(&mut self.0)
    }
}

/// Types a line once the CLI has turned the echo off. (It writes its prompt
/// before it turns the echo off, so a line typed at once would be echoed:
/// a person is slower than that, this test is not.)
fn type_line(terminal: &mut std::fs::File, text: &str) {
    use std::os::fd::AsRawFd;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(terminal.as_raw_fd(), &mut t) }, 0);
        if t.c_lflag & libc::ECHO == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the CLI never turned the echo off"
        );
        sleep(Duration::from_millis(5));
    }
    terminal.write_all(format!("{text}\n").as_bytes()).unwrap();
}

/// The CLI on a pseudo-terminal: typed PIN and code (wrong ones first),
/// everything it writes to the terminal and to stderr is scanned.
#[test]
fn cli_on_a_terminal_with_wrong_factors() {
    let mut seen = Seen::default();
    let sbx = sandbox();
    let (master, slave) = openpty();
    let slave_fd = {
        use std::os::fd::AsRawFd;
        slave.as_raw_fd()
    };
    let mut cmd = Command::new(cli_exe());
    cmd.args(["login"])
        .env("ETNA_BASE_URL", sbx.url())
        .env("ETNA_APP_KEY", APP_KEY)
        .env("ETNA_USERNAME", USER)
        .env("ETNA_PASSWORD", PASSWORD)
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    unsafe {
        cmd.pre_exec(move || {
            libc::setsid();
            if libc::ioctl(slave_fd, libc::TIOCSCTTY as _, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    drop(slave);
    let mut terminal = std::fs::File::from(master);
    let mut screen = Screen::default();
    let mut shown = Vec::new();
    shown.push(screen.wait_for(&mut terminal, "Security PIN: "));
    type_line(&mut terminal, WRONG_PIN);
    shown.push(screen.wait_for(&mut terminal, "Invalid pin"));
    shown.push(screen.wait_for(&mut terminal, "Security PIN: "));
    type_line(&mut terminal, PIN);
    shown.push(screen.wait_for(&mut terminal, "(sent by email or SMS): "));
    type_line(&mut terminal, WRONG_CODE);
    shown.push(screen.wait_for(&mut terminal, "Invalid verification code"));
    shown.push(screen.wait_for(&mut terminal, "(sent by email or SMS): "));
    type_line(&mut terminal, WRONG_CODE);
    shown.push(screen.rest(&mut terminal));
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert_eq!(status.code(), Some(5), "lockout: {stderr}");
    for (i, text) in shown.into_iter().enumerate() {
        seen.add(format!("cli terminal {i}"), text);
    }
    seen.add("cli terminal stderr", stderr);
    seen.add("cli terminal stdout", stdout);
    seen.assert_clean(4);
}
