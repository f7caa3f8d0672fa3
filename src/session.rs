//! A login session: the state machine of `POST /token` steps.
//!
//! ```text
//!            begin_auth                       supply_pin / supply_code
//!   Idle ─────────────────► Awaiting(factor) ───────────────────────┐
//!    ▲         │ 200              │  ▲  202 (same or next factor)   │
//!    │         ▼                  │  └──────────────────────────────┘
//!    │    LoggedIn ◄──────────────┘ 200
//!    └── any final error (network trouble on a supply call keeps Awaiting)
//! ```
//!
//! The user's credentials are kept only while a login is in progress
//! (`Awaiting`), and every secret is wiped when it is dropped.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Status};
use crate::log::{shown_header_value, Level, Log};
use crate::protocol::{
    check_header_value, check_token, classify, Answer, Endpoint, Factor, StepRequest,
    TOKEN_LIFETIME_SECS,
};
use crate::proxy::{self, ProxySetting, ProxyUrl};
use crate::secret::Secret;
use crate::token_cache::{self, unix_now, Entry};
use crate::transport::{Canceller, Settings, Transport, Trust, DEFAULT_TIMEOUT};

/// Where a login stands after a successful call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Logged in: the token is available.
    Done,
    /// The server asks for the security PIN.
    NeedPin,
    /// The server asks for the verification code sent by email or SMS.
    NeedCode,
    /// A login is needed and no password was given: asked only by
    /// [`Session::acquire_token`], never by [`Session::login`] or
    /// [`Session::begin_auth`].
    NeedPassword,
}

impl Step {
    /// The C ABI status for this step.
    pub fn status(self) -> Status {
        match self {
            Step::Done => Status::Ok,
            Step::NeedPin => Status::NeedPin,
            Step::NeedCode => Status::NeedCode,
            Step::NeedPassword => Status::NeedPassword,
        }
    }

    /// What the factor asked for at this step is called in messages
    /// ("PIN", "verification code"); `None` for [`Step::Done`].
    pub fn noun(self) -> Option<&'static str> {
        match self {
            Step::Done => None,
            Step::NeedPin => Some(Factor::Pin.noun()),
            Step::NeedCode => Some(Factor::Code.noun()),
            Step::NeedPassword => Some("password"),
        }
    }

    fn asking(factor: Factor) -> Step {
        match factor {
            Factor::Pin => Step::NeedPin,
            Factor::Code => Step::NeedCode,
        }
    }
}

/// The user's credentials, held only while a login is in progress.
#[derive(Debug)]
struct Credentials {
    username: Secret,
    password: Secret,
}

#[derive(Debug)]
enum Stage {
    Idle,
    Awaiting {
        factor: Factor,
        interim: Secret,
        credentials: Credentials,
    },
    LoggedIn {
        username: String,
        token: Secret,
        expires_at: i64,
    },
}

/// A login session against one ETNA server with one application key.
///
/// Blocking: each step is one HTTP exchange bounded by the timeout (30 s by
/// default), over one kept-alive connection. One login at a time; the token
/// of the last successful login stays until the next login begins.
///
/// ```no_run
/// use etna_auth::{Session, Step};
///
/// # fn main() -> Result<(), etna_auth::Error> {
/// let mut session = Session::new("https://pub-api-et-demo-prod.etnasoft.us/api", "my-app-key")?;
/// session.set_timeout(std::time::Duration::from_secs(10))?;
/// let mut step = session.begin_auth("bob", "bob-pass")?;
/// while step != Step::Done {
///     // The server's Reason says why it asks ("Invalid pin" after a wrong one).
///     eprintln!("{}", session.reason());
///     step = match step {
///         Step::NeedPin => session.supply_pin("1234")?,
///         _ => session.supply_code("123456")?,
///     };
/// }
/// let token = session.token().expect("logged in");
/// # let _ = token;
/// # Ok(())
/// # }
/// ```
pub struct Session {
    endpoint: Endpoint,
    app_key: Secret,
    proxy: ProxySetting,
    transport: Transport,
    stage: Stage,
    /// The server's `Reason` with the last 202 (e.g. "Invalid pin").
    reason: String,
    /// How acquire_token waits for a lock another login holds (src/acquire.rs).
    pub(crate) lock_wait: crate::store::LockWait,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stage = match &self.stage {
            Stage::Idle => "Idle",
            Stage::Awaiting {
                factor: Factor::Pin,
                ..
            } => "AwaitingPin",
            Stage::Awaiting {
                factor: Factor::Code,
                ..
            } => "AwaitingCode",
            Stage::LoggedIn { .. } => "LoggedIn",
        };
        f.debug_struct("Session")
            .field("token_url", &self.endpoint.token_url)
            .field("stage", &stage)
            .field("timeout", &self.transport.settings().timeout)
            .field("proxy", &self.transport.settings().proxy)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session for the API at `base_url` (e.g.
    /// `https://pub-api-et-demo-prod.etnasoft.us/api`). No network is used.
    pub fn new(base_url: &str, app_key: &str) -> Result<Session, Error> {
        let endpoint = Endpoint::parse(base_url)?;
        if app_key.is_empty() {
            return Err(Error::argument("the application key is empty"));
        }
        check_header_value("application key", app_key)?;
        let proxy = ProxySetting::FromEnvironment;
        let settings = Settings {
            timeout: DEFAULT_TIMEOUT,
            trust: Trust::System,
            proxy: choose_proxy(&proxy, &endpoint),
            log: Log::from_env(),
        };
        Ok(Session {
            endpoint,
            app_key: Secret::new(app_key),
            proxy,
            transport: Transport::new(settings, Arc::default()),
            stage: Stage::Idle,
            reason: String::new(),
            lock_wait: crate::store::LockWait::default(),
        })
    }

    /// The base URL, without trailing slashes (the key of stored tokens).
    pub fn base_url(&self) -> &str {
        &self.endpoint.base_url
    }

    /// The deadline of each exchange (connect, TLS, send and the whole answer).
    pub fn set_timeout(&mut self, timeout: Duration) -> Result<(), Error> {
        if timeout.is_zero() {
            return Err(Error::argument("the timeout must be at least 1 ms"));
        }
        let settings = Settings {
            timeout,
            ..self.transport.settings().clone()
        };
        self.transport.reconfigure(settings);
        Ok(())
    }

    pub fn timeout(&self) -> Duration {
        self.transport.settings().timeout
    }

    /// Trusts exactly the certificates of this PEM file for `https`.
    pub fn set_ca_file(&mut self, pem_path: &Path) -> Result<(), Error> {
        let settings = Settings {
            trust: Trust::from_ca_file(pem_path)?,
            ..self.transport.settings().clone()
        };
        self.transport.reconfigure(settings);
        Ok(())
    }

    /// Uses this HTTP proxy (`http://[user:password@]host:port`; https goes
    /// through it with CONNECT), or none with `None`. The default follows
    /// `https_proxy` / `HTTPS_PROXY` and `NO_PROXY` as curl does. A loopback
    /// server is never reached through a proxy.
    pub fn set_proxy(&mut self, proxy_url: Option<&str>) -> Result<(), Error> {
        self.proxy = match proxy_url {
            Some(url) => ProxySetting::Explicit(ProxyUrl::parse(url)?),
            None => ProxySetting::Off,
        };
        let settings = Settings {
            proxy: choose_proxy(&self.proxy, &self.endpoint),
            ..self.transport.settings().clone()
        };
        self.transport.reconfigure(settings);
        Ok(())
    }

    /// Sends this session's log to `log` (see [`crate::log`]); [`Log::off`]
    /// turns it off. A new session follows `ETNA_AUTH_LOG`. Drops the
    /// kept-alive connection.
    pub fn set_log(&mut self, log: Log) {
        let settings = Settings {
            log,
            ..self.transport.settings().clone()
        };
        self.transport.reconfigure(settings);
    }

    pub(crate) fn log(&self) -> &Log {
        &self.transport.settings().log
    }

    /// The handle another thread uses to interrupt an exchange in flight.
    pub fn canceller(&self) -> Arc<Canceller> {
        self.transport.canceller()
    }

    /// Starts (or restarts) a login with the user name and password. A user
    /// name or password that cannot be sent, or a cancel waiting for this
    /// call, stops it before anything changes (the token it held stays).
    pub fn begin_auth(&mut self, username: &str, password: &str) -> Result<Step, Error> {
        self.ready_to_begin(username, password)?;
        self.begin_ready(username, password)
    }

    /// What [`Session::begin_auth`] checks before anything changes, so that
    /// a login refused here leaves the session as it was: a user name and
    /// password that can be sent in a header, and no cancel waiting for
    /// this call (which is used up).
    pub(crate) fn ready_to_begin(&mut self, username: &str, password: &str) -> Result<(), Error> {
        check_header_value("user name", username)?;
        check_header_value("password", password)?;
        self.transport.stop_if_cancelled()
    }

    /// [`Session::begin_auth`] once [`Session::ready_to_begin`] said yes.
    pub(crate) fn begin_ready(&mut self, username: &str, password: &str) -> Result<Step, Error> {
        // A new login ends whatever came before, including a token.
        self.stage = Stage::Idle;
        let credentials = Credentials {
            username: Secret::new(username),
            password: Secret::new(password),
        };
        self.log().write(
            Level::Info,
            format_args!("login of {username:?} at {}", self.endpoint.token_url),
        );
        let request = StepRequest {
            app_key: &self.app_key,
            username: &credentials.username,
            password: &credentials.password,
            interim: None,
            factor: None,
        };
        let answer = exchange(&mut self.transport, &self.endpoint, &request);
        self.advance(answer, credentials)
    }

    /// Ends the login: abandons one in progress and forgets the token, and
    /// drops the kept-alive connection, whose buffers held the last request
    /// and answer. Everything secret is wiped; the settings stay.
    pub fn end_login(&mut self) {
        self.transport.canceller().clear();
        self.stage = Stage::Idle;
        self.reason.clear();
        let settings = self.transport.settings().clone();
        self.transport.reconfigure(settings);
    }

    /// Answers the server's request for the security PIN.
    pub fn supply_pin(&mut self, pin: &str) -> Result<Step, Error> {
        self.supply(Factor::Pin, pin)
    }

    /// Answers the server's request for the verification code.
    pub fn supply_code(&mut self, code: &str) -> Result<Step, Error> {
        self.supply(Factor::Code, code)
    }

    fn supply(&mut self, factor: Factor, value: &str) -> Result<Step, Error> {
        check_header_value(factor.noun(), value)?;
        let Stage::Awaiting {
            factor: expected, ..
        } = &self.stage
        else {
            return Err(Error::state(format!(
                "no login is waiting for a {}; begin a login first",
                factor.noun()
            )));
        };
        if *expected != factor {
            return Err(Error::state(format!(
                "the server asked for the {}, not the {}",
                expected.noun(),
                factor.noun()
            )));
        }
        let value = Secret::new(value);
        self.log()
            .write(Level::Info, format_args!("sending the {}", factor.noun()));
        let answer = match &self.stage {
            Stage::Awaiting {
                interim,
                credentials,
                ..
            } => exchange(
                &mut self.transport,
                &self.endpoint,
                &StepRequest {
                    app_key: &self.app_key,
                    username: &credentials.username,
                    password: &credentials.password,
                    interim: Some(interim),
                    factor: Some((factor, &value)),
                },
            ),
            _ => unreachable!("checked above"),
        };
        self.settle(answer)
    }

    /// What the answer to a supply call does to the login awaiting a factor:
    /// trouble on the way (network, deadline, a cancel) leaves the step
    /// standing; anything else moves the login on, as [`Session::advance`].
    fn settle(&mut self, answer: Result<Answer, Error>) -> Result<Step, Error> {
        match answer {
            // Network trouble: the step stands, the caller may repeat it.
            Err(e) if e.status().is_transient() => {
                self.log().write(
                    Level::Info,
                    format_args!(
                        "{}: {} (the step stands: it may be repeated)",
                        e.status().name(),
                        e.message()
                    ),
                );
                Err(e)
            }
            answer => {
                let Stage::Awaiting { credentials, .. } =
                    std::mem::replace(&mut self.stage, Stage::Idle)
                else {
                    unreachable!("only called while a factor is awaited")
                };
                self.advance(answer, credentials)
            }
        }
    }

    /// Moves to the stage an answer leads to. The stage is `Idle` on entry.
    fn advance(
        &mut self,
        answer: Result<Answer, Error>,
        credentials: Credentials,
    ) -> Result<Step, Error> {
        self.reason.clear();
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                self.log().write(
                    Level::Info,
                    format_args!("login failed: {}: {}", e.status().name(), e.message()),
                );
                return Err(e);
            }
        };
        match answer {
            Answer::Succeeded { token } => {
                self.log().write(Level::Info, format_args!("logged in"));
                self.stage = Stage::LoggedIn {
                    username: credentials.username.expose().to_owned(),
                    token,
                    expires_at: unix_now() + TOKEN_LIFETIME_SECS,
                };
                Ok(Step::Done)
            }
            Answer::Expecting {
                factor,
                reason,
                interim,
            } => {
                self.log().write(
                    Level::Info,
                    format_args!(
                        "the server asks for the {} (Reason {reason:?})",
                        factor.noun()
                    ),
                );
                self.reason = reason;
                self.stage = Stage::Awaiting {
                    factor,
                    interim,
                    credentials,
                };
                Ok(Step::asking(factor))
            }
        }
    }

    /// The server's `Reason` with the last request for a factor (for example
    /// "Invalid verification code" after a wrong code); empty otherwise.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The session token, after a successful login.
    pub fn token(&self) -> Option<&str> {
        match &self.stage {
            Stage::LoggedIn { token, .. } => Some(token.expose()),
            _ => None,
        }
    }

    /// When the token expires, in Unix seconds (login time + 24 hours).
    pub fn expires_at(&self) -> Option<i64> {
        match &self.stage {
            Stage::LoggedIn { expires_at, .. } => Some(*expires_at),
            _ => None,
        }
    }

    /// The factor the login waits for, if any.
    pub fn awaiting(&self) -> Option<Step> {
        match &self.stage {
            Stage::Awaiting { factor, .. } => Some(Step::asking(*factor)),
            _ => None,
        }
    }

    /// The token with what the token cache keeps with it (base URL, user
    /// name, expiry), after a successful login or [`Session::load_token`].
    pub fn token_entry(&self) -> Option<Entry> {
        match &self.stage {
            Stage::LoggedIn {
                username,
                token,
                expires_at,
            } => Some(Entry {
                base_url: self.endpoint.base_url.clone(),
                username: username.clone(),
                token: token.clone(),
                expires_at: *expires_at,
            }),
            _ => None,
        }
    }

    /// Stores this session's token in the token cache at `path` (see
    /// [`token_cache`]). Needs a token.
    pub fn save_token(&self, path: &Path) -> Result<(), Error> {
        save_entry(path, self.token_entry())
    }

    /// Takes the token of `username` for this base URL from the token cache
    /// at `path`, when it stays valid for at least `min_valid_s` seconds.
    /// `ETNA_ERR_NO_TOKEN` when there is none.
    pub fn load_token(
        &mut self,
        path: &Path,
        username: &str,
        min_valid_s: u32,
    ) -> Result<(), Error> {
        let entry = token_cache::load(path, &self.endpoint.base_url, username, min_valid_s)?;
        let Some(entry) = entry else {
            return Err(Error::new(
                Status::NoToken,
                format!("no token in the cache valid for at least {min_valid_s} more seconds for this user and base URL"),
            ));
        };
        self.hold(
            entry,
            &format!(
                "token cache {}",
                crate::error::quote(&path.display().to_string())
            ),
        )
    }

    /// Holds a stored token as after a login (a login in progress ends).
    /// `origin` names the store in the error for a token that is not safe
    /// to send.
    pub(crate) fn hold(&mut self, entry: Entry, origin: &str) -> Result<(), Error> {
        check_token(entry.token.expose()).map_err(|why| {
            Error::new(
                Status::Io,
                format!("{origin}: refused: the stored token {why}"),
            )
        })?;
        self.reason.clear();
        self.stage = Stage::LoggedIn {
            username: entry.username,
            token: entry.token,
            expires_at: entry.expires_at,
        };
        Ok(())
    }
}

/// Stores a token entry (from [`Session::token_entry`]) in the token cache
/// at `path`; a state error for `None` (no login has succeeded).
pub fn save_entry(path: &Path, entry: Option<Entry>) -> Result<(), Error> {
    match entry {
        Some(entry) => token_cache::save(path, entry),
        None => Err(Error::state(
            "there is no token to save: no login has succeeded on this session",
        )),
    }
}

/// Removes the cached token of `username` at `base_url` from the token cache
/// at `path` (a logout). Not an error when there was none.
pub fn forget_token(path: &Path, base_url: &str, username: &str) -> Result<(), Error> {
    token_cache::forget(path, base_url, username)
}

/// One step on the wire: send, then classify the answer. What the server
/// says is shown without the secrets this step sent (a server may echo them).
fn exchange(
    transport: &mut Transport,
    endpoint: &Endpoint,
    request: &StepRequest,
) -> Result<Answer, Error> {
    let log = transport.settings().log.clone();
    let headers = request.headers();
    let started = log.enabled(Level::Debug).then(|| {
        log.write(Level::Debug, format_args!("> POST {}", endpoint.token_url));
        for (name, value) in &headers {
            let shown = shown_header_value(name, value);
            log.write(Level::Debug, format_args!("> {name}: {shown}"));
        }
        std::time::Instant::now()
    });
    let reply = transport.post(&endpoint.token_url, &headers);
    drop(headers);
    if let Some(started) = started {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match &reply {
            Ok(reply) => log.write(
                Level::Debug,
                format_args!(
                    "< HTTP {}, {} bytes of body, in {ms:.1} ms",
                    reply.status,
                    reply.body.len()
                ),
            ),
            Err(e) => log.write(
                Level::Debug,
                format_args!("< no answer after {ms:.1} ms: {}", e.message()),
            ),
        }
    }
    let reply = reply?;
    let secrets = request.secrets();
    let answer = classify(reply.status, reply.location.as_deref(), &reply.body);
    let result = match answer {
        Ok(Answer::Expecting {
            factor,
            reason,
            interim,
        }) => {
            let mut hidden = secrets;
            hidden.push(interim.expose());
            Ok(Answer::Expecting {
                factor,
                reason: crate::error::redact(&reason, &hidden),
                interim,
            })
        }
        Ok(answer) => Ok(answer),
        Err(e) => Err(e.redact(&secrets)),
    };
    if log.enabled(Level::Debug) {
        match &result {
            Ok(Answer::Succeeded { .. }) => {
                log.write(Level::Debug, format_args!("< State: Succeeded, Token: ***"))
            }
            Ok(Answer::Expecting { factor, reason, .. }) => log.write(
                Level::Debug,
                format_args!(
                    "< State: Expecting, Step: {}, Reason: {reason:?}",
                    factor.step_name()
                ),
            ),
            Err(e) => log.write(
                Level::Debug,
                format_args!("< {}: {}", e.status().name(), e.message()),
            ),
        }
    }
    result
}

fn choose_proxy(setting: &ProxySetting, endpoint: &Endpoint) -> Option<ProxyUrl> {
    proxy::choose(setting, &endpoint.host, |name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests;
