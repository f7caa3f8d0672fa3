//! Where tokens are kept between runs, for [`Session::acquire_token`]: a
//! [`Store`] is a token file (the default one, or one at a given path) or
//! the operating system's credential store. Every store keys its tokens by
//! base URL (without trailing slash) and user name, and never holds a
//! password.
//!
//! A store spec, as the C ABI, the CLI and `ETNA_AUTH_STORE` give it:
//! none for the default store, `"keyring"` for the OS credential store,
//! anything else a token file's path.
//!
//! [`Session::acquire_token`]: crate::Session::acquire_token

mod file;
mod keyring;
pub mod lock;
pub mod places;

use std::path::{Path, PathBuf};

use crate::error::{quote, Error};
use crate::token_cache::Entry;

pub use places::{default_folder, default_token_file, STORE_ENV};

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
            Some(spec) => Store::from_spec(&spec),
            None => Ok(Store::File(default_token_file()?)),
        }
    }

    fn from_spec(spec: &str) -> Result<Store, Error> {
        if spec == KEYRING {
            return Ok(Store::Keyring);
        }
        if spec.is_empty() {
            return Err(Error::argument(
                "the store is empty: give a token file's path, \"keyring\", or none for the default store",
            ));
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
            Store::File(path) => file::load(path, base_url, username),
            Store::Keyring => keyring::load(base_url, username),
        }
    }

    /// Stores a token (replacing the one of the same base URL and user).
    pub fn save(&self, entry: &Entry) -> Result<(), Error> {
        match self {
            Store::File(path) => file::save(path, entry),
            Store::Keyring => keyring::save(entry),
        }
    }

    /// Removes the token of `username` at `base_url` (a logout); not an
    /// error when there is none.
    pub fn forget(&self, base_url: &str, username: &str) -> Result<(), Error> {
        match self {
            Store::File(path) => file::forget(path, base_url, username),
            Store::Keyring => keyring::forget(base_url, username),
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
        crate::token_cache::create_private_dirs(&folder)?;
        Ok(lock::lock_path(&folder, &prefix, base_url, username))
    }
}

/// A path's folder, `.` for a bare file name.
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
