//! The ETNA token protocol without any I/O: which URL and headers a step
//! sends, and what an answer means. Everything here is a pure function, so it
//! can be unit-tested and fuzzed alone (see `../shared/PROTOCOL.md`).

use std::net::{IpAddr, Ipv6Addr};

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::{quote, quote_bytes, Error, Status};
use crate::secret::Secret;

/// How long a session token lives, as documented by the vendor (24 hours).
pub const TOKEN_LIFETIME_SECS: i64 = 24 * 60 * 60;

/// The largest answer body read; a longer one is a protocol error.
pub const MAX_BODY_BYTES: u64 = 64 * 1024;

/// A second factor the server can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// Step `SecutityPin` (the vendor's spelling): the user's security PIN.
    Pin,
    /// Step `VerificationCode`: the code sent by email or SMS.
    Code,
}

impl Factor {
    /// The request header that carries this factor.
    pub fn header(self) -> &'static str {
        match self {
            Factor::Pin => "PinCode",
            Factor::Code => "VerificationCode",
        }
    }

    /// The `Step` name the server uses for it (the vendor's spelling).
    pub fn step_name(self) -> &'static str {
        match self {
            Factor::Pin => "SecutityPin",
            Factor::Code => "VerificationCode",
        }
    }

    /// What the factor is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Factor::Pin => "PIN",
            Factor::Code => "verification code",
        }
    }

    /// The factor a `Step` name asks for. The vendor spells the PIN step
    /// `SecutityPin`; the corrected spelling is accepted too, so that a fix on
    /// the server side does not break logins.
    pub fn from_step(step: &str) -> Option<Factor> {
        match step {
            "SecutityPin" | "SecurityPin" => Some(Factor::Pin),
            "VerificationCode" => Some(Factor::Code),
            _ => None,
        }
    }
}

/// Where the token requests go, checked once when a session is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The base URL as given, without trailing slashes (the token cache's key).
    pub base_url: String,
    /// The host, as written in the URL (IPv6 in brackets).
    pub host: String,
    /// `base` + `/token`, with exactly one slash between them.
    pub token_url: String,
    /// Plain `http` (allowed only to loopback).
    pub plain_http: bool,
}

impl Endpoint {
    /// Checks an API base URL such as `https://host/api`.
    ///
    /// Refused: anything that does not parse, user info, a query or a
    /// fragment, a scheme other than `https`, and `http` to a host that is not
    /// loopback (secrets never travel in clear text to another machine).
    pub fn parse(base_url: &str) -> Result<Endpoint, Error> {
        let shown = quote(&without_userinfo(base_url));
        let bad = |why: &str| Error::argument(format!("invalid base URL {shown}: {why}"));
        if base_url.is_empty() {
            return Err(Error::argument("the base URL is empty"));
        }
        if base_url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad("it contains white space or a control character"));
        }
        if base_url.contains('#') {
            return Err(bad("it has a fragment ('#'); give the API base only"));
        }
        let uri: ureq::http::Uri = base_url
            .parse()
            .map_err(|_| bad("it does not parse as a URL"))?;
        let scheme = uri.scheme_str().unwrap_or("").to_ascii_lowercase();
        let Some(authority) = uri.authority() else {
            return Err(bad("it has no host (expected e.g. https://host/api)"));
        };
        if authority.as_str().contains('@') {
            return Err(bad(
                "it has user info ('user@'); the user name and password are given when a login begins",
            ));
        }
        if uri.query().is_some() {
            return Err(bad("it has a query ('?'); give the API base only"));
        }
        let host = authority.host();
        if host.is_empty() {
            return Err(bad("it has no host"));
        }
        let plain_http = match scheme.as_str() {
            "https" => false,
            "http" if is_loopback_host(host) => true,
            "http" => return Err(bad(
                "plain http is allowed only to loopback (127.0.0.0/8, ::1, localhost); use https",
            )),
            _ => return Err(bad("the scheme must be https")),
        };
        let path = uri.path().trim_end_matches('/');
        let token_url = format!("{scheme}://{}{path}/token", authority.as_str());
        Ok(Endpoint {
            base_url: base_url.trim_end_matches('/').to_owned(),
            host: host.to_owned(),
            token_url,
            plain_http,
        })
    }
}

/// The URL with any user info (which may hold a password) replaced by `***`,
/// for messages.
fn without_userinfo(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    match url[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

/// Whether a URL host (as written, IPv6 in brackets) is a loopback host.
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => is_loopback_v6(v6),
        Err(_) => false,
    }
}

fn is_loopback_v6(v6: Ipv6Addr) -> bool {
    v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
}

/// Refuses a value that cannot travel safely in an HTTP header: any control
/// character (CR, LF, NUL, TAB, DEL...), since servers and proxies split or
/// trim on them. Non-ASCII UTF-8 is allowed and sent as its bytes.
pub fn check_header_value(what: &str, value: &str) -> Result<(), Error> {
    if value.chars().any(|c| c.is_control()) {
        return Err(Error::argument(format!(
            "the {what} contains a control character (such as CR, LF, TAB or NUL), \
             which cannot be sent in an HTTP header; nothing was sent"
        )));
    }
    Ok(())
}

/// What one `POST /token` step sends.
pub struct StepRequest<'a> {
    pub app_key: &'a Secret,
    pub username: &'a Secret,
    pub password: &'a Secret,
    /// The interim token of the last `202`, on every step after the first.
    pub interim: Option<&'a Secret>,
    /// The second factor answered in this step.
    pub factor: Option<(Factor, &'a Secret)>,
}

/// A header to send. Values are wiped when dropped: most of them are secrets.
pub type Header = (&'static str, Zeroizing<String>);

impl StepRequest<'_> {
    /// The protocol headers of this step, in a fixed order. (`Accept`,
    /// `User-Agent` and `Content-Length: 0` are the transport's, the same on
    /// every request.)
    pub fn headers(&self) -> Vec<Header> {
        let value = |s: &Secret| Zeroizing::new(s.expose().to_owned());
        let mut headers = Vec::with_capacity(5);
        headers.push(("Et-App-Key", value(self.app_key)));
        headers.push(("Username", value(self.username)));
        headers.push(("Password", value(self.password)));
        if let Some(interim) = self.interim {
            let mut bearer = Zeroizing::new(String::with_capacity(7 + interim.expose().len()));
            bearer.push_str("Bearer ");
            bearer.push_str(interim.expose());
            headers.push(("Authorization", bearer));
        }
        if let Some((factor, secret)) = self.factor {
            headers.push((factor.header(), value(secret)));
        }
        headers
    }

    /// What this step sends that no message may show: the password, the
    /// interim token and the factor (a server may echo them back).
    pub fn secrets(&self) -> Vec<&str> {
        let mut out = vec![self.password.expose()];
        out.extend(self.interim.map(Secret::expose));
        out.extend(self.factor.map(|(_, s)| s.expose()));
        out
    }
}

/// An answer that moves the login on.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// `200 {"State":"Succeeded","Token":...}`: logged in.
    Succeeded { token: Secret },
    /// `202 {"State":"Expecting","Step":...}`: the server wants a second
    /// factor, to be sent with this interim token.
    Expecting {
        factor: Factor,
        reason: String,
        interim: Secret,
    },
}

/// Classifies an answer by its HTTP status and body together. `location` is
/// the `Location` header, quoted in the message for a redirect.
pub fn classify(status: u16, location: Option<&str>, body: &[u8]) -> Result<Answer, Error> {
    let json = parse_object(body);

    // The app-key error comes with a status the documentation does not give,
    // so its body decides, whatever the status.
    if let Ok(obj) = &json {
        if let Some(text) = text_field(obj, "error") {
            if text.to_ascii_lowercase().contains("application key") {
                return Err(Error::new(
                    Status::AppKey,
                    format!(
                        "the server does not know the application key (HTTP {status}: {})",
                        crate::error::redact(
                            &quote(text),
                            &[text_field(obj, "Token").unwrap_or("")]
                        )
                    ),
                ));
            }
        }
    }

    if (300..400).contains(&status) {
        let target = location
            .map(|l| quote_text(l.as_bytes()))
            .unwrap_or_else(|| "no Location".into());
        return Err(Error::new(
            Status::Protocol,
            format!(
                "the server answered with a redirect (HTTP {status}, to {target}); \
                 redirects are never followed, so that credentials stay with the configured host"
            ),
        ));
    }

    if status >= 500 || status == 429 {
        let detail = match &json {
            Ok(obj) => server_words(obj),
            Err(_) if body.is_empty() => String::new(),
            Err(_) => format!(": {}", quote_text(body)),
        };
        let what = if status == 429 {
            "the server is rate limiting (HTTP 429"
        } else {
            "the server failed (HTTP"
        };
        let status_part = if status == 429 {
            String::new()
        } else {
            format!(" {status}")
        };
        return Err(Error::new(
            Status::Server,
            format!("{what}{status_part}){detail}; try again later"),
        ));
    }

    let obj = match json {
        Ok(obj) => obj,
        Err(why) => {
            return Err(Error::new(
                Status::Protocol,
                format!("unexpected answer from the server (HTTP {status}): {why}"),
            ))
        }
    };

    let state = text_field(&obj, "State");
    let step = text_field(&obj, "Step");
    match (status, state) {
        (_, Some("Failed")) if (400..500).contains(&status) || status == 200 || status == 202 => {
            Err(failed(status, &obj, step))
        }
        (200, Some("Succeeded")) => {
            let token = take_token(&obj, status)?;
            Ok(Answer::Succeeded { token })
        }
        (202, Some("Expecting")) => {
            let Some(step) = step else {
                return Err(Error::new(
                    Status::Protocol,
                    "the server expects another step (HTTP 202) but names no Step",
                ));
            };
            let Some(factor) = Factor::from_step(step) else {
                return Err(Error::new(
                    Status::Protocol,
                    format!(
                        "the server asks for an unknown step {} (HTTP 202); this version of \
                         etna-auth knows SecutityPin and VerificationCode",
                        quote(step)
                    ),
                ));
            };
            let interim = take_token(&obj, status)?;
            let reason = text_field(&obj, "Reason").unwrap_or("").to_owned();
            Ok(Answer::Expecting {
                factor,
                reason,
                interim,
            })
        }
        (200 | 202, state) => Err(Error::new(
            Status::Protocol,
            format!(
                "unexpected State {} in an HTTP {status} answer{}",
                state.map(quote).unwrap_or_else(|| "(none)".into()),
                server_words(&obj)
            ),
        )),
        _ => Err(Error::new(
            Status::Protocol,
            format!("unexpected HTTP status {status}{}", server_words(&obj)),
        )),
    }
}

/// A `"State":"Failed"` answer: wrong credentials at the first step, or the
/// login refused for good at a later one.
fn failed(status: u16, obj: &Map<String, Value>, step: Option<&str>) -> Error {
    let words = server_words(obj);
    if step == Some("BaseAuthentication") {
        Error::new(
            Status::Credentials,
            format!("the server refused the user name or password (HTTP {status}{words})"),
        )
    } else {
        Error::new(
            Status::Rejected,
            format!("the server ended the login (HTTP {status}{words}); begin a new login"),
        )
    }
}

/// `, Step "X", Reason "Y"` (or `, error "Z"`) from an answer, quoted; empty
/// when it has none of them. Never the Token, even when another field
/// repeats it.
fn server_words(obj: &Map<String, Value>) -> String {
    let token = text_field(obj, "Token").unwrap_or("");
    let mut out = String::new();
    for key in ["State", "Step", "Reason", "error"] {
        if let Some(text) = text_field(obj, key) {
            out.push_str(&format!(", {key} {}", quote(text)));
        }
    }
    crate::error::redact(&out, &[token])
}

/// Quotes text from the server that is not JSON (a body, a Location): cut
/// before the first mention of a token, which may be followed by one.
fn quote_text(text: &[u8]) -> String {
    const MARK: &[u8] = b"token";
    match text
        .windows(MARK.len())
        .position(|w| w.eq_ignore_ascii_case(MARK))
    {
        Some(at) => format!(
            "{} (cut where it mentions a token)",
            quote_bytes(&text[..at + MARK.len()])
        ),
        None => quote_bytes(text),
    }
}

/// The body as a JSON object, or why it is not one (said without quoting it
/// when it is JSON, since it may hold a token).
fn parse_object(body: &[u8]) -> Result<Map<String, Value>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty (expected JSON)".into());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the body is JSON but not an object".into()),
        Err(_) => Err(format!("the body is not JSON: {}", quote_text(body))),
    }
}

/// A string field, found by its exact name or, failing that, by its name in
/// any letter case (serializers differ in how they case property names).
fn text_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    let value = obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })?;
    value.as_str()
}

/// The `Token` of a 200 or 202, which must be non-empty visible ASCII since
/// it goes into an `Authorization` header as is.
fn take_token(obj: &Map<String, Value>, status: u16) -> Result<Secret, Error> {
    let protocol = |why: &str| Error::new(Status::Protocol, format!("HTTP {status} answer {why}"));
    let Some(token) = text_field(obj, "Token") else {
        return Err(protocol("has no Token"));
    };
    check_token(token).map_err(|why| protocol(&format!("has a Token that {why}")))?;
    Ok(Secret::new(token))
}

/// A token must be non-empty visible ASCII: it goes into an `Authorization`
/// header as is. The error says why without quoting the token.
pub fn check_token(token: &str) -> Result<(), String> {
    if token.is_empty() {
        return Err("is empty".into());
    }
    if let Some(pos) = token.bytes().position(|b| !b.is_ascii_graphic()) {
        return Err(format!(
            "has a character that is not visible ASCII (at offset {pos}), \
             which is not safe in an Authorization header"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
