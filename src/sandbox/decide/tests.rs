//! The protocol's rules, request by request, without sockets.

use super::*;
use crate::sandbox::tickets::{FINAL_TOKEN_LEN, INTERIM_TOKEN_LEN};
use serde_json::{Map, Value};

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

    /// A second-factor step of `user` (with the right password, the
    /// sandbox's `<user>-pass`): the interim token and one factor header.
    fn step(&mut self, user: &str, interim: &str, header: &str, value: &str) -> Reply {
        let password = format!("{user}-pass");
        let bearer = format!("Bearer {interim}");
        self.post(&[
            ("Username", user.as_bytes()),
            ("Password", password.as_bytes()),
            ("Authorization", bearer.as_bytes()),
            (header, value.as_bytes()),
        ])
    }

    fn pin(&mut self, user: &str, interim: &str, pin: &str) -> Reply {
        self.step(user, interim, "PinCode", pin)
    }

    fn code(&mut self, user: &str, interim: &str, code: &str) -> Reply {
        self.step(user, interim, "VerificationCode", code)
    }
}

/// (status, State, Step, Reason) of the answers the tests expect often.
type Summary = (u16, &'static str, &'static str, &'static str);
const EXPECTING_CODE: Summary = (
    202,
    "Expecting",
    "VerificationCode",
    "Expecting confirmation code",
);
const RETRY_CODE: Summary = (
    202,
    "Expecting",
    "VerificationCode",
    "Invalid verification code",
);
const FAILED_CODE: Summary = (
    401,
    "Failed",
    "VerificationCode",
    "Invalid verification code",
);
const RETRY_PIN: Summary = (202, "Expecting", "SecutityPin", "Invalid pin");
const CORRUPTED_PIN: Summary = (401, "Failed", "SecutityPin", "Corrupted ticket");
const CORRUPTED_CODE: Summary = (401, "Failed", "VerificationCode", "Corrupted ticket");

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
    let r = s.pin("bob", &r.token(), "1234");
    assert_eq!(r.status, 200);
    assert_token(&r.token(), FINAL_TOKEN_LEN);
}

#[test]
fn code_login() {
    let mut s = Server::new();
    let r = s.login("carol", "carol-pass");
    assert_eq!(r.summary(), EXPECTING_CODE);
    let r = s.code("carol", &r.token(), "123456");
    assert_eq!((r.status, r.field("State")), (200, "Succeeded"));
}

#[test]
fn pin_then_code_with_a_fresh_interim_token_per_step() {
    let mut s = Server::new();
    let first = s.login("dave", "dave-pass");
    assert_eq!(first.field("Step"), "SecutityPin");
    let second = s.pin("dave", &first.token(), "4321");
    assert_eq!(second.summary(), EXPECTING_CODE);
    assert_ne!(first.token(), second.token());
    // The code is not accepted in the PIN step's place, and vice versa.
    let r = s.pin("dave", &second.token(), "4321");
    assert_eq!(r.summary(), RETRY_CODE);
    let r = s.code("dave", &r.token(), "654321");
    assert_eq!(r.status, 200);
}

#[test]
fn a_wrong_factor_may_be_retried_with_a_fresh_token() {
    let mut s = Server::new();
    let r = s.login("bob", "bob-pass");
    let wrong = s.pin("bob", &r.token(), "0000");
    assert_eq!(wrong.summary(), RETRY_PIN);
    assert_ne!(wrong.token(), r.token());
    let done = s.pin("bob", &wrong.token(), "1234");
    assert_eq!(done.status, 200);

    let r = s.login("carol", "carol-pass");
    let wrong = s.code("carol", &r.token(), "1");
    assert_eq!(wrong.summary(), RETRY_CODE);
    // A missing factor counts as a wrong one.
    let bearer = format!("Bearer {}", wrong.token());
    let missing = s.post(&[
        ("Username", b"carol"),
        ("Password", b"carol-pass"),
        ("Authorization", bearer.as_bytes()),
    ]);
    assert_eq!(missing.summary(), RETRY_CODE);
}

#[test]
fn lockout_after_max_attempts_wrong_answers() {
    let mut s = Server::new();
    let mut r = s.login("bob", "bob-pass");
    for _ in 0..2 {
        r = s.pin("bob", &r.token(), "9999");
        assert_eq!(r.summary(), RETRY_PIN);
    }
    let last_interim = r.token();
    let r = s.pin("bob", &last_interim, "9999");
    assert_eq!(r.summary(), (401, "Failed", "SecutityPin", "Invalid pin"));
    assert_eq!(r.body.get("Token"), None);
    // The ticket is gone, even with the right PIN.
    let r = s.pin("bob", &last_interim, "1234");
    assert_eq!(r.summary(), CORRUPTED_PIN);
    // A new login starts afresh.
    let r = s.login("bob", "bob-pass");
    assert_eq!(s.pin("bob", &r.token(), "1234").status, 200);
}

#[test]
fn max_attempts_one_and_the_count_per_step() {
    let config = SandboxConfig {
        max_attempts: 1,
        ..SandboxConfig::default()
    };
    let mut s = Server::with(config);
    let r = s.login("carol", "carol-pass");
    let r = s.code("carol", &r.token(), "1");
    assert_eq!(r.summary(), FAILED_CODE);

    // With 2 attempts: a wrong PIN does not count against the code step.
    let config = SandboxConfig {
        max_attempts: 2,
        ..SandboxConfig::default()
    };
    let mut s = Server::with(config);
    let r = s.login("dave", "dave-pass");
    let r = s.pin("dave", &r.token(), "0");
    assert_eq!(r.field("Reason"), "Invalid pin");
    let r = s.pin("dave", &r.token(), "4321");
    assert_eq!(r.field("Step"), "VerificationCode");
    let r = s.code("dave", &r.token(), "0");
    assert_eq!(r.summary(), RETRY_CODE);
    let r = s.code("dave", &r.token(), "0");
    assert_eq!(r.summary(), FAILED_CODE);
}

#[test]
fn corrupted_tickets() {
    let mut s = Server::new();
    // Unknown interim token.
    assert_eq!(s.pin("bob", "made-up", "1234").summary(), CORRUPTED_PIN);
    assert_eq!(
        s.code("carol", "made-up", "123456").summary(),
        CORRUPTED_CODE
    );
    // A factor without Authorization.
    let r = s.post(&[
        ("Username", b"bob"),
        ("Password", b"bob-pass"),
        ("PinCode", b"1234"),
    ]);
    assert_eq!(r.summary(), CORRUPTED_PIN);
    let r = s.post(&[
        ("Username", b"carol"),
        ("Password", b"carol-pass"),
        ("VerificationCode", b"123456"),
    ]);
    assert_eq!(r.summary(), CORRUPTED_CODE);
    // Authorization that is not a bearer token.
    let bob = s.login("bob", "bob-pass");
    let basic = format!("Basic {}", bob.token());
    let r = s.post(&[
        ("Username", b"bob"),
        ("Password", b"bob-pass"),
        ("Authorization", basic.as_bytes()),
        ("PinCode", b"1234"),
    ]);
    assert_eq!(r.summary(), CORRUPTED_PIN);
    // Another user's ticket is refused, and left for its owner.
    let carol = s.login("carol", "carol-pass");
    let r = s.pin("bob", &carol.token(), "1234");
    assert_eq!(r.summary(), CORRUPTED_PIN);
    let r = s.code("carol", &carol.token(), "123456");
    assert_eq!(r.status, 200);
    // A single-factor account has no ticket to continue.
    assert_eq!(s.code("alice", &bob.token(), "1").summary(), CORRUPTED_CODE);
    // The bob ticket above survived all this.
    let r = s.pin("bob", &bob.token(), "1234");
    assert_eq!(r.status, 200);
}

#[test]
fn an_interim_token_works_once() {
    let mut s = Server::new();
    let first = s.login("dave", "dave-pass");
    let second = s.pin("dave", &first.token(), "4321");
    assert_eq!(second.status, 202);
    let again = s.pin("dave", &first.token(), "4321");
    assert_eq!(again.summary(), CORRUPTED_PIN);
    // Also after a wrong answer: the old token is consumed.
    let wrong = s.code("dave", &second.token(), "0");
    assert_eq!(wrong.status, 202);
    let r = s.code("dave", &second.token(), "654321");
    assert_eq!(r.summary(), CORRUPTED_CODE);
    let r = s.code("dave", &wrong.token(), "654321");
    assert_eq!(r.status, 200);
}

#[test]
fn an_expired_ticket_is_corrupted() {
    let mut s = Server::new();
    let r = s.login("bob", "bob-pass");
    if !s.tickets.expire_all() {
        return; // a machine up for less than the lifetime: nothing to test
    }
    let r = s.pin("bob", &r.token(), "1234");
    assert_eq!(r.summary(), CORRUPTED_PIN);
    assert!(s.tickets.is_empty());
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
