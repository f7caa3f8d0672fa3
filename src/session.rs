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
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Status};
use crate::protocol::{
    check_header_value, classify, Answer, Endpoint, Factor, StepRequest, TOKEN_LIFETIME_SECS,
};
use crate::secret::Secret;
use crate::transport::{Transport, Trust, DEFAULT_TIMEOUT};

/// Where a login stands after a successful call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Logged in: the token is available.
    Done,
    /// The server asks for the security PIN.
    NeedPin,
    /// The server asks for the verification code sent by email or SMS.
    NeedCode,
}

impl Step {
    /// The C ABI status for this step.
    pub fn status(self) -> Status {
        match self {
            Step::Done => Status::Ok,
            Step::NeedPin => Status::NeedPin,
            Step::NeedCode => Status::NeedCode,
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
        token: Secret,
        expires_at: i64,
    },
}

/// A login session against one ETNA server with one application key.
///
/// Blocking: each step is one HTTP exchange bounded by the timeout.
pub struct Session {
    endpoint: Endpoint,
    app_key: Secret,
    transport: Transport,
    stage: Stage,
    /// The server's `Reason` with the last 202 (e.g. "Invalid pin").
    reason: String,
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
            .field("timeout", &self.transport.timeout())
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
        Ok(Session {
            endpoint,
            app_key: Secret::new(app_key),
            transport: Transport::new(DEFAULT_TIMEOUT, Trust::System),
            stage: Stage::Idle,
            reason: String::new(),
        })
    }

    /// The deadline of each exchange (connect, TLS, send and the whole answer).
    pub fn set_timeout(&mut self, timeout: Duration) -> Result<(), Error> {
        if timeout.is_zero() {
            return Err(Error::argument("the timeout must be at least 1 ms"));
        }
        self.transport.set_timeout(timeout);
        Ok(())
    }

    pub fn timeout(&self) -> Duration {
        self.transport.timeout()
    }

    /// Trusts exactly the certificates of this PEM file for `https`.
    pub fn set_ca_file(&mut self, pem_path: &Path) -> Result<(), Error> {
        let trust = Trust::from_ca_file(pem_path)?;
        self.transport.set_trust(trust);
        Ok(())
    }

    /// Starts (or restarts) a login with the user name and password.
    pub fn begin_auth(&mut self, username: &str, password: &str) -> Result<Step, Error> {
        check_header_value("user name", username)?;
        check_header_value("password", password)?;
        // A new login ends whatever came before, including a token.
        self.stage = Stage::Idle;
        let credentials = Credentials {
            username: Secret::new(username),
            password: Secret::new(password),
        };
        let request = StepRequest {
            app_key: &self.app_key,
            username: &credentials.username,
            password: &credentials.password,
            interim: None,
            factor: None,
        };
        let answer = self.exchange(&request);
        self.advance(answer, credentials)
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
                "no login is waiting for a {}; call etna_begin_auth first",
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
        let answer = match &self.stage {
            Stage::Awaiting {
                interim,
                credentials,
                ..
            } => self.exchange(&StepRequest {
                app_key: &self.app_key,
                username: &credentials.username,
                password: &credentials.password,
                interim: Some(interim),
                factor: Some((factor, &value)),
            }),
            _ => unreachable!("checked above"),
        };
        match answer {
            // Network trouble: the step stands, the caller may repeat it.
            Err(e) if e.status().is_transient() => Err(e),
            answer => {
                let Stage::Awaiting { credentials, .. } =
                    std::mem::replace(&mut self.stage, Stage::Idle)
                else {
                    unreachable!("checked above")
                };
                self.advance(answer, credentials)
            }
        }
    }

    fn exchange(&self, request: &StepRequest) -> Result<Answer, Error> {
        let reply = self
            .transport
            .post(&self.endpoint.token_url, &request.headers())?;
        classify(reply.status, reply.location.as_deref(), &reply.body)
    }

    /// Moves to the stage an answer leads to. The stage is `Idle` on entry.
    fn advance(
        &mut self,
        answer: Result<Answer, Error>,
        credentials: Credentials,
    ) -> Result<Step, Error> {
        self.reason.clear();
        match answer? {
            Answer::Succeeded { token } => {
                self.stage = Stage::LoggedIn {
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
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
