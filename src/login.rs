//! The login policy (docs/login-policy.md), written once: every front end
//! (the CLI, `etna_login` in C and the C++, Python and C# wrappers over it)
//! runs a whole login through [`Session::login_with`].
//!
//! The policy: send the user name and password, then ask the caller for each
//! second factor the server wants, as often as it asks (the server's Reason
//! says why: "Invalid pin" after a wrong one). Whenever the login does not
//! succeed, it is ended before the error is returned, so that no credentials
//! stay in the session and nothing more is sent.

use zeroize::Zeroizing;

use crate::error::{Error, Status};
use crate::session::{Session, Step};

/// The caller's answer when the server asks for a factor.
pub type Reply = Result<Option<String>, Error>;

impl Session {
    /// Logs in from start to end: sends the user name and password, then asks
    /// `ask` for each second factor the server wants, with the step
    /// ([`Step::NeedPin`] or [`Step::NeedCode`]) and the server's Reason
    /// ("Expecting security pin" the first time, "Invalid pin" after a wrong
    /// one). `ask` returns the factor, or `None` to give up. It is called
    /// again when the server lets the user retry a wrong factor. Returns the
    /// token.
    ///
    /// Whenever the login does not succeed (an error, `None` from `ask`, or a
    /// panic in `ask`, which goes on unwinding), the login is ended first as
    /// by [`Session::end_login`]: the credentials are wiped and nothing more
    /// is sent. Giving up is [`Status::Cancelled`]. The factors that `ask`
    /// returns are wiped once sent. Only a user name or password that cannot
    /// be sent (a control character) or a cancel made before the call stop
    /// it before anything is sent, and then the session is left as it was,
    /// its token included.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), etna_auth::Error> {
    /// use etna_auth::{Session, Step};
    ///
    /// let mut session = Session::new("https://pub-api-et-demo-prod.etnasoft.us/api", "my-app-key")?;
    /// let token = session.login("alice", "alice-pass", |step, reason| {
    ///     let what = if step == Step::NeedPin { "PIN" } else { "code" };
    ///     eprintln!("{reason} Enter the {what}:");
    ///     let mut line = String::new();
    ///     std::io::stdin().read_line(&mut line).ok()?;
    ///     Some(line.trim().to_owned())
    /// })?;
    /// println!("Authorization: Bearer {token}");
    /// # Ok(())
    /// # }
    /// ```
    pub fn login<F>(&mut self, username: &str, password: &str, mut ask: F) -> Result<&str, Error>
    where
        F: FnMut(Step, &str) -> Option<String>,
    {
        self.login_with(username, password, |step, reason| Ok(ask(step, reason)))
    }

    /// [`Session::login`] for callers whose answer can also fail: `ask`
    /// returns `Ok(Some(factor))`, `Ok(None)` to give up, or an error (say,
    /// an answer that could not be read), which ends the login and is
    /// returned as it is.
    pub fn login_with<F>(
        &mut self,
        username: &str,
        password: &str,
        mut ask: F,
    ) -> Result<&str, Error>
    where
        F: FnMut(Step, &str) -> Reply,
    {
        // Refused before anything changes: nothing to end.
        self.ready_to_begin(username, password)?;
        let mut step = self.begin_ready(username, password);
        loop {
            let asked = match step {
                Ok(Step::Done) => break,
                Ok(asked) => asked,
                Err(e) => return Err(self.give_up(e)),
            };
            let reason = self.reason().to_owned();
            let reply =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ask(asked, &reason)));
            let factor = match reply {
                Ok(Ok(Some(factor))) => Zeroizing::new(factor),
                Ok(Ok(None)) => return Err(self.give_up(abandoned(asked))),
                Ok(Err(e)) => return Err(self.give_up(e)),
                Err(panic) => {
                    self.end_login();
                    std::panic::resume_unwind(panic);
                }
            };
            step = match asked {
                Step::NeedPin => self.supply_pin(&factor),
                _ => self.supply_code(&factor),
            };
        }
        Ok(self.token().unwrap_or_default())
    }

    /// Gives up the login that waits for a factor, for front ends that drive
    /// the steps themselves (an async login whose callback said "none"): the
    /// login is ended, and the error is the one [`Session::login`] gives for
    /// the same situation, so that every front end shows one text. Without a
    /// login waiting for a factor, nothing changes and the error is a state
    /// error.
    pub fn abandon_login(&mut self) -> Error {
        match self.awaiting() {
            Some(step) => self.give_up(abandoned(step)),
            None => {
                Error::state("no login is waiting for a PIN or code: there is nothing to abandon")
            }
        }
    }

    /// Ends the login and passes its error on.
    fn give_up(&mut self, error: Error) -> Error {
        self.end_login();
        error
    }
}

/// The error of a login given up when the server asked for a factor: the
/// caller's answer was "none", or there was nobody to ask.
pub fn abandoned(step: Step) -> Error {
    Error::new(
        Status::Cancelled,
        format!(
            "the login was abandoned: no {} was given",
            step.noun().unwrap_or("answer")
        ),
    )
}

#[cfg(all(test, feature = "sandbox"))]
mod tests {
    //! What only Rust callers can do to the policy: panic in `ask`, or
    //! answer with an error. Every other rule is a "login-*" scenario of
    //! tests/scenarios/scenarios.json, played in every language.
    use super::*;
    use crate::sandbox::{Sandbox, SandboxConfig};

    fn session(sandbox: &Sandbox) -> Session {
        Session::new(sandbox.url(), sandbox.app_key()).expect("a session")
    }

    #[test]
    fn a_panic_in_ask_ends_the_login_and_goes_on_unwinding() {
        let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");
        let mut s = session(&sandbox);
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = s.login("bob", "bob-pass", |_, _| panic!("the PIN dialog crashed"));
        }));
        let payload = unwound.expect_err("the panic goes on");
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"the PIN dialog crashed")
        );
        // Ended: no credentials, nothing more sent, and the session still works.
        assert_eq!(s.awaiting(), None);
        assert_eq!(s.supply_pin("1234").unwrap_err().status(), Status::State);
        assert_eq!(sandbox.request_count(), 1);
        let token = s.login("bob", "bob-pass", |_, _| Some("1234".into()));
        assert!(token.is_ok_and(|t| !t.is_empty()));
    }

    #[test]
    fn an_error_from_ask_ends_the_login_and_is_returned_as_it_is() {
        let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");
        let mut s = session(&sandbox);
        let mine = Error::argument("the keypad is unplugged");
        let got = s.login_with("dave", "dave-pass", |step, _| match step {
            Step::NeedPin => Ok(Some("4321".into())),
            _ => Err(mine.clone()),
        });
        assert_eq!(got.unwrap_err(), mine);
        assert_eq!(s.awaiting(), None);
        assert_eq!(sandbox.request_count(), 2);
    }

    /// Issue 30 §4: a call stopped before it sends anything (a credential
    /// that cannot be sent, a cancel made before it, a login needed with
    /// no password to give) leaves the session as it was: the token of
    /// the login before, or the login in progress.
    #[test]
    fn a_call_that_fails_before_sending_leaves_the_session_as_it_was() {
        let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");
        let mut s = session(&sandbox);
        let token = s
            .login("alice", "alice-pass", |_, _| None)
            .unwrap()
            .to_owned();
        let dir = std::env::temp_dir().join(format!(
            "etna-auth-login-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).expect("a folder");
        let store = crate::store::Store::File(dir.join("tokens.json"));
        let sent = sandbox.request_count();
        let status = |r: Result<&str, Error>| r.map(str::to_owned).unwrap_err().status();
        let failures = |s: &mut Session| {
            assert_eq!(
                status(s.login("bob", "bob\npass", |_, _| None)),
                Status::Argument
            );
            s.canceller().cancel();
            assert_eq!(
                status(s.login("bob", "bob-pass", |_, _| None)),
                Status::Cancelled
            );
            s.canceller().cancel();
            assert_eq!(
                s.begin_auth("bob", "bob-pass").unwrap_err().status(),
                Status::Cancelled
            );
            assert_eq!(
                status(s.acquire_token(&store, "carol", None, 60, |_, _| Ok(None))),
                Status::Cancelled
            );
        };
        failures(&mut s);
        assert_eq!(s.token(), Some(token.as_str()));
        assert_eq!(sandbox.request_count(), sent, "nothing sent");
        // A login in progress stays too: its PIN can still be sent.
        assert_eq!(s.begin_auth("bob", "bob-pass"), Ok(Step::NeedPin));
        failures(&mut s);
        assert_eq!(s.awaiting(), Some(Step::NeedPin));
        assert_eq!(s.supply_pin("1234"), Ok(Step::Done));
        assert_eq!(sandbox.request_count(), sent + 2);
        std::fs::remove_dir_all(&dir).expect("cleaned up");
    }

    #[test]
    fn giving_up_names_the_factor_and_abandon_says_the_same() {
        let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");
        let mut s = session(&sandbox);
        let given_up = s.login("bob", "bob-pass", |_, _| None).unwrap_err();
        assert_eq!(given_up.status(), Status::Cancelled);
        assert_eq!(s.begin_auth("bob", "bob-pass"), Ok(Step::NeedPin));
        assert_eq!(s.abandon_login(), given_up);
        assert_eq!(s.awaiting(), None);
        assert_eq!(s.abandon_login().status(), Status::State);
    }
}
