//! Where tokens are kept between runs, for [`Session::acquire_token`]: a
//! [`Store`] is a token file (the default one, or one at a given path) or
//! the operating system's credential store. Every store keys its tokens by
//! base URL (without trailing slash) and user name, and never holds a
//! password.
//!
//! A store spec, as the C ABI, the CLI, the bindings and `ETNA_AUTH_STORE`
//! give it, read by [`Store::open`] alone: none for the default store,
//! `keyring` in any case (`Keyring`, `KEYRING`) for the OS credential
//! store, else a token file's path, which must look like one: a folder in
//! it (`./tokens`, `/home/me/tokens`) or a dot in it (`tokens.json`). A
//! bare word is refused ([`Status::Argument`](crate::Status::Argument)), so
//! that a mistyped `keyrnig` never becomes a plaintext token file of that
//! name.
//!
//! [`Session::acquire_token`]: crate::Session::acquire_token

pub mod expiry;
pub mod file;
mod keyring;
pub mod lock;
mod os_lock;
pub mod places;
pub mod wait;

use std::path::PathBuf;

use file::create_private_dirs;

use crate::error::{quote, Error};
use file::Entry;
use wait::Waiter;

pub use places::{default_folder, default_token_file, STORE_ENV};
pub use wait::LockWait;

/// The spec of the OS credential store.
pub const KEYRING: &str = "keyring";

/// Where tokens are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    /// A token file (the format of [`crate::token_cache`]), created with
    /// its missing folders owner-only.
    File(PathBuf),
    /// The OS credential store: the Secret Service on Linux (GNOME Keyring,
    /// KWallet), the Credential Manager on Windows, the Keychain on macOS.
    Keyring,
}

/// A stored token, as [`Store::list`] shows it: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub base_url: String,
    pub username: String,
    /// Unix seconds.
    pub expires_at: i64,
}

impl Store {
    /// The store a spec names; `None` is the default store
    /// ([`Store::default_store`]).
    pub fn open(spec: Option<&str>) -> Result<Store, Error> {
        match spec {
            None => Store::default_store(),
            Some(spec) => Store::from_spec(spec),
        }
    }

    /// `ETNA_AUTH_STORE` when it is set (a spec), else the per-user token
    /// file ([`places`]).
    pub fn default_store() -> Result<Store, Error> {
        match places::store_from_env() {
            Some(spec) => Store::from_spec(&spec)
                .map_err(|e| Error::new(e.status(), format!("{STORE_ENV}: {}", e.message()))),
            None => Ok(Store::File(default_token_file()?)),
        }
    }

    /// The one reading of a store spec (see the module documentation).
    fn from_spec(spec: &str) -> Result<Store, Error> {
        if spec.eq_ignore_ascii_case(KEYRING) {
            return Ok(Store::Keyring);
        }
        if spec.is_empty() {
            return Err(Error::argument(
                "the store is empty: give a token file's path, \"keyring\", or none for the default store",
            ));
        }
        if !looks_like_a_path(spec) {
            return Err(Error::argument(format!(
                "the store {} is neither \"keyring\" nor a token file's path: \
                 a path has a folder or a dot in it (./{spec}, {spec}.json)",
                quote(spec)
            )));
        }
        Ok(Store::File(PathBuf::from(spec)))
    }

    /// The store in messages: `the token file "/home/me/.config/etna-auth/tokens.json"`,
    /// `the OS credential store (the Secret Service: GNOME Keyring, KWallet)`.
    pub fn describe(&self) -> String {
        match self {
            Store::File(path) => format!("the token file {}", quote(&path.display().to_string())),
            Store::Keyring => keyring::describe(),
        }
    }

    /// The stored token of `username` at `base_url`, if there is one that
    /// has not expired.
    pub fn load(&self, base_url: &str, username: &str) -> Result<Option<Entry>, Error> {
        match self {
            Store::File(path) => file::load(path, base_url, username, 0),
            Store::Keyring => keyring::load(base_url, username),
        }
    }

    /// Stores a token (replacing the one of the same base URL and user).
    pub fn save(&self, entry: &Entry) -> Result<(), Error> {
        self.save_with(entry, &Waiter::default())
    }

    /// [`Store::save`], waiting for a token file's write lock as `waiter`
    /// says (a session's lock wait and canceller).
    pub(crate) fn save_with(&self, entry: &Entry, waiter: &Waiter) -> Result<(), Error> {
        match self {
            Store::File(path) => {
                create_private_dirs(&file::folder(path))?;
                file::save_with(path, entry.clone(), waiter)
            }
            Store::Keyring => keyring::save(entry, waiter),
        }
    }

    /// Removes the token of `username` at `base_url` (a logout); not an
    /// error when there is none. Waits for a token file's write lock as
    /// long as [`LockWait::default`] says.
    pub fn forget(&self, base_url: &str, username: &str) -> Result<(), Error> {
        self.forget_waiting(base_url, username, LockWait::default())
    }

    /// [`Store::forget`], waiting for a token file's write lock (another
    /// writer's) at most `wait.timeout` (the CLI's `logout --lock-timeout`);
    /// then [`Status::Timeout`](crate::Status::Timeout) naming the lock file.
    pub fn forget_waiting(
        &self,
        base_url: &str,
        username: &str,
        wait: LockWait,
    ) -> Result<(), Error> {
        let waiter = Waiter {
            settings: wait,
            canceller: None,
        };
        match self {
            Store::File(path) => file::forget_with(path, base_url, username, &waiter),
            Store::Keyring => keyring::forget(base_url, username, &waiter),
        }
    }

    /// Every stored token's base URL, user and expiry (expired ones too,
    /// until the next save drops them), for a status display.
    pub fn list(&self) -> Result<Vec<Listed>, Error> {
        let entries = match self {
            Store::File(path) => file::entries(path)?,
            Store::Keyring => keyring::entries()?,
        };
        Ok(entries
            .into_iter()
            .map(|e| Listed {
                base_url: e.base_url,
                username: e.username,
                expires_at: e.expires_at,
            })
            .collect())
    }

    /// The login lock file of `username` at `base_url`, its folder created
    /// (owner-only) when missing.
    pub(crate) fn login_lock_path(&self, base_url: &str, username: &str) -> Result<PathBuf, Error> {
        let (folder, prefix) = match self {
            Store::File(path) => (file::folder(path), file::name(path)),
            Store::Keyring => (default_folder()?, "keyring".to_owned()),
        };
        create_private_dirs(&folder)?;
        file::check_folder(&folder)?;
        Ok(lock::lock_path(&folder, &prefix, base_url, username))
    }
}

/// A path's folder, `.` for a bare file name.
fn folder_of(path: &std::path::Path) -> PathBuf {
    file::folder(path)
}

/// Whether a store spec that is not the keyring word reads as a path: a
/// separator (`/`, and `\` on Windows) or a dot in it. Pure.
fn looks_like_a_path(spec: &str) -> bool {
    spec.chars().any(|c| std::path::is_separator(c) || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    #[test]
    fn the_store_word_in_any_case_is_the_keyring_and_a_bare_word_is_refused() {
        for word in ["keyring", "Keyring", "KEYRING", "kEyRiNg"] {
            assert_eq!(Store::open(Some(word)).unwrap(), Store::Keyring, "{word}");
        }
        for path in [
            "tokens.json",
            "./keyring",
            "/tmp/t",
            "dir/keyrnig",
            ".tokens",
            "keyring.json",
        ] {
            assert_eq!(
                Store::open(Some(path)).unwrap(),
                Store::File(PathBuf::from(path)),
                "{path}"
            );
        }
        for bare in ["keyrnig", "Keyrin", "tokens", "keyring ", " keyring"] {
            let error = Store::open(Some(bare)).unwrap_err();
            assert_eq!(error.status(), Status::Argument, "{bare}");
            assert!(error.message().contains("neither \"keyring\""), "{error}");
        }
        assert_eq!(
            Store::open(Some("")).unwrap_err().status(),
            Status::Argument
        );
    }
}
