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
use crate::store::lock::LoginLock;
use crate::store::Store;
use crate::token_cache::{unix_now, Entry};

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
    /// as long as the other login does (its exchanges and its user's
    /// answers).
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
        let taken = LoginLock::take(&lock_path, || canceller.take_pending())?;
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
        store.save(&entry)?;
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

fn valid_for(entry: &Entry, min_valid_s: u32) -> bool {
    entry.expires_at - unix_now() >= i64::from(min_valid_s)
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
    }
}
