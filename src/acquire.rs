//! A valid token when the application needs one: the stored token while it
//! stays valid long enough, else one login by the login policy
//! ([`Session::login_with`]), whose token is then stored. One login at a
//! time per (store, base URL, user name) across the user's threads and
//! processes ([`crate::store::lock`]): the others wait, then take its token.

use zeroize::Zeroizing;

use crate::error::Error;
use crate::log::Level;
use crate::login::Reply;
use crate::protocol::{check_header_value, TOKEN_LIFETIME_SECS};
use crate::session::{Session, Step};
use crate::store::expiry;
use crate::store::file::{unix_now, Entry};
use crate::store::lock::LoginLock;
use crate::store::wait::Waiter;
use crate::store::{LockWait, Store};

impl Session {
    /// Gives this session a token valid for at least `min_valid_s` more
    /// seconds and returns it: the token of `username` for this base URL in
    /// `store` when it stays valid that long (nothing is sent, `password`
    /// and `ask` are not used), else a login, whose token is then stored.
    ///
    /// The login follows [`Session::login_with`]: `ask` is asked for each
    /// second factor. With `password` `None`, `ask` is first asked for the
    /// password ([`Step::NeedPassword`], with a Reason saying why a login
    /// is needed), and only when a login is needed. `ask` returning `None`,
    /// or nobody to ask, gives up with [`Status::Cancelled`](crate::Status::Cancelled) before anything
    /// is sent. A refused password is returned at once
    /// ([`Status::Credentials`](crate::Status::Credentials)), never tried again.
    ///
    /// While one caller logs in for a store, base URL and user, the others
    /// (threads or processes) wait for it, then take the token it stored;
    /// when it failed or died they log in themselves. A cancel of this
    /// session ([`Session::canceller`]) stops a wait at once
    /// ([`Status::Cancelled`](crate::Status::Cancelled)) without touching the others. The wait lasts
    /// as long as the other login does, for at most the session's lock
    /// wait ([`Session::set_lock_timeout`], two minutes by default): then
    /// [`Status::Timeout`](crate::Status::Timeout), with a message naming the lock file and the
    /// process that holds it. The same bound holds for the token file's
    /// write lock.
    ///
    /// A failure before anything is sent (a bad argument, the store, a
    /// cancel, no password) leaves the session as it was, the token it held
    /// included; a login that fails is ended as [`Session::login_with`]
    /// ends it. When only storing the new token failed, the error is
    /// returned (the store's, [`Status::Io`](crate::Status::Io)) and the
    /// session keeps the token, which the caller may still use.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), etna_auth::Error> {
    /// use etna_auth::{store::Store, Session, Step};
    ///
    /// let mut session = Session::new("https://pub-api-et-demo-prod.etnasoft.us/api", "my-app-key")?;
    /// let store = Store::open(None)?; // ~/.config/etna-auth/tokens.json on Linux
    /// let token = session.acquire_token(&store, "alice", None, 600, |step, reason| {
    ///     eprintln!("{reason}: enter the {}", step.noun().unwrap_or("answer"));
    ///     let mut line = String::new();
    ///     std::io::stdin().read_line(&mut line).map_err(|e| etna_auth::Error::new(etna_auth::Status::Io, e.to_string()))?;
    ///     Ok(Some(line.trim().to_owned()))
    /// })?;
    /// println!("Authorization: Bearer {token}");
    /// # Ok(())
    /// # }
    /// ```
    pub fn acquire_token<F>(
        &mut self,
        store: &Store,
        username: &str,
        password: Option<&str>,
        min_valid_s: u32,
        ask: F,
    ) -> Result<&str, Error>
    where
        F: FnMut(Step, &str) -> Reply,
    {
        // No failure needs ending here: login_with ends a failed login
        // itself, and one before it sent nothing and changed nothing.
        self.acquire(store, username, password, min_valid_s, ask)?;
        Ok(self.token().unwrap_or_default())
    }

    /// How long [`Session::acquire_token`] waits for a lock that another
    /// login or token file writer holds, before it gives up with
    /// [`Status::Timeout`](crate::Status::Timeout): two minutes until set
    /// ([`DEFAULT_LOCK_TIMEOUT_MS`](crate::defaults::DEFAULT_LOCK_TIMEOUT_MS)).
    /// Zero: no wait at all.
    pub fn set_lock_timeout(&mut self, timeout: std::time::Duration) {
        self.lock_wait.timeout = timeout;
    }

    pub fn lock_timeout(&self) -> std::time::Duration {
        self.lock_wait.timeout
    }

    /// `false`: [`Session::acquire_token`] does not wait for another login
    /// that waits for its user's answer (a prompt, which may never be
    /// answered), but gives up at once with
    /// [`Status::NoToken`](crate::Status::NoToken): for callers that never
    /// ask anything themselves (the CLI's `token --no-prompt`). `true` by
    /// default.
    pub fn set_wait_for_answering_logins(&mut self, wait: bool) {
        self.lock_wait.wait_for_answers = wait;
    }

    /// The lock wait's settings, as [`LockWait`].
    pub fn lock_wait(&self) -> LockWait {
        self.lock_wait
    }

    fn acquire<F>(
        &mut self,
        store: &Store,
        username: &str,
        password: Option<&str>,
        min_valid_s: u32,
        mut ask: F,
    ) -> Result<(), Error>
    where
        F: FnMut(Step, &str) -> Reply,
    {
        check_header_value("user name", username)?;
        if let Some(password) = password {
            check_header_value("password", password)?;
        }
        if i64::from(min_valid_s) > TOKEN_LIFETIME_SECS {
            return Err(Error::argument(format!(
                "min_valid_s is {min_valid_s}: a token lives {TOKEN_LIFETIME_SECS} s, so none can stay valid that long"
            )));
        }
        let base_url = self.base_url().to_owned();
        if self.take_stored(store, &base_url, username, min_valid_s)? {
            return Ok(());
        }
        // A login is needed: one at a time for this key; the wait may end
        // with another caller's token.
        let lock_path = store.login_lock_path(&base_url, username)?;
        let canceller = self.canceller();
        let taken = LoginLock::take_with(&lock_path, self.lock_wait, Some(&canceller))?;
        if !taken.waited.is_zero() {
            self.log().write(
                Level::Info,
                format_args!(
                    "waited {:.1} s for another login of {username:?} to finish",
                    taken.waited.as_secs_f64()
                ),
            );
        }
        if self.take_stored(store, &base_url, username, min_valid_s)? {
            return Ok(());
        }
        // While a person is asked, the waiters know it (the lock file says
        // so): one that asks nobody itself need not wait for that answer.
        let mut ask = |step: Step, reason: &str| {
            taken.lock.asking(true);
            let answer = ask(step, reason);
            taken.lock.asking(false);
            answer
        };
        let password = match password {
            Some(password) => Zeroizing::new(password.to_owned()),
            None => {
                let reason = format!(
                    "A login is needed: no stored token is valid for {min_valid_s} more seconds"
                );
                match ask(Step::NeedPassword, &reason) {
                    Ok(Some(password)) => Zeroizing::new(password),
                    given_up => {
                        // A cancel that came while `ask` ran was for this call, which
                        // ends here with no exchange to use it up: used up now, so that
                        // it does not stop the session's next call.
                        canceller.take_pending();
                        given_up?;
                        return Err(crate::login::abandoned(Step::NeedPassword));
                    }
                }
            }
        };
        self.login_with(username, &password, &mut ask)?;
        let entry = self
            .token_entry()
            .ok_or_else(|| Error::state("no token after a login"))?;
        let waiter = Waiter {
            settings: self.lock_wait,
            canceller: Some(&canceller),
        };
        store.save_with(&entry, &waiter)?;
        self.log().write(
            Level::Info,
            format_args!("the token is stored in {}", store.describe()),
        );
        drop(taken);
        Ok(())
    }

    /// Holds the stored token when it stays valid long enough.
    fn take_stored(
        &mut self,
        store: &Store,
        base_url: &str,
        username: &str,
        min_valid_s: u32,
    ) -> Result<bool, Error> {
        let Some(entry) = store.load(base_url, username)? else {
            return Ok(false);
        };
        if !valid_for(&entry, min_valid_s) {
            return Ok(false);
        }
        self.hold(entry, &store.describe())?;
        self.log().write(
            Level::Info,
            format_args!(
                "using the stored token of {username:?} from {}",
                store.describe()
            ),
        );
        Ok(true)
    }
}

/// Checked arithmetic, and no entry claiming to live longer than a token
/// can ([`expiry`]).
fn valid_for(entry: &Entry, min_valid_s: u32) -> bool {
    expiry::valid_for(entry.expires_at, unix_now(), min_valid_s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn a_token_must_outlive_the_margin() {
        let entry = |left: i64| Entry {
            base_url: "https://h/api".into(),
            username: "u".into(),
            token: Secret::new("t"),
            expires_at: unix_now() + left,
        };
        assert!(valid_for(&entry(600), 300));
        assert!(!valid_for(&entry(200), 300));
        assert!(!valid_for(&entry(-1), 0));
        // Not a token's lifetime: never handed out.
        assert!(!valid_for(&entry(10 * 365 * 86_400), 300));
        let wrapping = Entry {
            expires_at: i64::MIN,
            ..entry(0)
        };
        assert!(!valid_for(&wrapping, 300));
    }
}
