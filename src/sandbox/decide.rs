//! The protocol, without sockets: [`decide`] answers one parsed request from
//! the configuration and the open logins. It does no I/O, so every rule is
//! unit-tested on its own (decide/tests.rs).

use serde::Serialize;

use super::config::{Account, SandboxConfig};
use super::factor::Factor;
use super::tickets::{Ticket, Tickets};

/// The only path served.
const TOKEN_PATH: &str = "/api/token";

/// A parsed request: all the protocol looks at.
pub(super) struct Request<'a> {
    pub(super) method: &'a str,
    /// The request target, e.g. `/api/token` (a query string is ignored).
    pub(super) path: &'a str,
    pub(super) headers: &'a [httparse::Header<'a>],
}

impl Request<'_> {
    /// The first header of that name (names compare case-insensitively), as
    /// the raw bytes sent.
    pub(super) fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// Whether any header of that name has `token` in its comma-separated
    /// list (as in `Connection: keep-alive, Upgrade`).
    pub(super) fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .flat_map(|h| h.value.split(|&b| b == b','))
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    }
}

/// An answer: HTTP status and JSON body.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) body: String,
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
pub(super) fn error_answer(status: u16, message: &str) -> Answer {
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

/// Answers one request: the whole protocol, in the order a server checks it.
pub(super) fn decide(
    config: &SandboxConfig,
    tickets: &mut Tickets,
    request: &Request<'_>,
) -> Answer {
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
    let token = tickets.final_token();
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

#[cfg(test)]
mod tests;
