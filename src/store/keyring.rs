//! The OS credential store, through the `keyring` crate: the Secret Service
//! on Linux and the BSDs (GNOME Keyring, KWallet; over D-Bus, in pure Rust),
//! the Credential Manager on Windows, the Keychain on macOS.
//!
//! One entry per base URL and user: service `etna-auth <base URL>`, user
//! the user name (Secret Service attributes `service` and `username`, so
//! `secret-tool search service "etna-auth https://host/api" username alice`
//! finds it), holding `{"token": ..., "expires_at": ...}` as UTF-8. Never a
//! password.
//!
//! A credential store has no portable way to list its entries, so this
//! store also keeps an index of what it holds, without the tokens: a token
//! file with empty tokens, `keyring-index.json` in the default store's
//! folder, for [`super::Store::list`].
//!
//! When no credential store is reachable (no D-Bus session, no Secret
//! Service running, a system this build has no store for), every call fails
//! with a message that names the way out: a token file. Nothing falls back
//! to a file on its own.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Status};
use crate::secret::Secret;
use crate::token_cache::{self, create_private_dirs, normalize_base_url, Entry};

/// The credential store of this system, in messages.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
pub(super) const NAME: &str = "the Secret Service: GNOME Keyring, KWallet";
#[cfg(windows)]
pub(super) const NAME: &str = "the Windows Credential Manager";
#[cfg(target_os = "macos")]
pub(super) const NAME: &str = "the macOS Keychain";
#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    windows,
    target_os = "macos"
)))]
pub(super) const NAME: &str = "none on this system";

/// What an entry holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    token: Secret,
    expires_at: i64,
}

fn service(base_url: &str) -> String {
    format!("etna-auth {}", normalize_base_url(base_url))
}

fn index_path() -> Result<PathBuf, Error> {
    Ok(super::default_folder()?.join("keyring-index.json"))
}

pub(super) fn load(base_url: &str, username: &str) -> Result<Option<Entry>, Error> {
    let Some(bytes) = os::get(&service(base_url), username)? else {
        return Ok(None);
    };
    let stored: Stored = serde_json::from_slice(&bytes).map_err(|_| {
        Error::new(
            Status::Io,
            format!(
                "{}: refused: its entry for this user and base URL is not an etna-auth token",
                describe()
            ),
        )
    })?;
    if stored.expires_at <= token_cache::unix_now() {
        return Ok(None);
    }
    Ok(Some(Entry {
        base_url: normalize_base_url(base_url).to_owned(),
        username: username.to_owned(),
        token: stored.token,
        expires_at: stored.expires_at,
    }))
}

pub(super) fn save(entry: &Entry) -> Result<(), Error> {
    let stored = Stored {
        token: entry.token.clone(),
        expires_at: entry.expires_at,
    };
    // Plain strings and an integer: serializing into memory cannot fail.
    let bytes = Zeroizing::new(serde_json::to_vec(&stored).unwrap_or_default());
    os::set(&service(&entry.base_url), &entry.username, &bytes)?;
    let index = index_path()?;
    create_private_dirs(&super::folder_of(&index))?;
    token_cache::save(
        &index,
        Entry {
            token: Secret::default(),
            ..entry.clone()
        },
    )
}

pub(super) fn forget(base_url: &str, username: &str) -> Result<(), Error> {
    os::delete(&service(base_url), username)?;
    token_cache::forget(&index_path()?, base_url, username)
}

/// The index's entries (their tokens are empty).
pub(super) fn entries() -> Result<Vec<Entry>, Error> {
    token_cache::entries(&index_path()?)
}

pub(super) fn describe() -> String {
    format!("the OS credential store ({NAME})")
}

/// The calls into the `keyring` crate.
#[cfg(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    windows,
    target_os = "macos"
))]
mod os {
    use zeroize::Zeroizing;

    use super::describe;
    use crate::error::{Error, Status};

    fn entry(service: &str, user: &str) -> Result<::keyring::Entry, Error> {
        ::keyring::Entry::new(service, user).map_err(failure)
    }

    pub(super) fn get(service: &str, user: &str) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        match entry(service, user)?.get_secret() {
            Ok(bytes) => Ok(Some(Zeroizing::new(bytes))),
            Err(::keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(failure(e)),
        }
    }

    pub(super) fn set(service: &str, user: &str, secret: &[u8]) -> Result<(), Error> {
        entry(service, user)?.set_secret(secret).map_err(failure)
    }

    pub(super) fn delete(service: &str, user: &str) -> Result<(), Error> {
        match entry(service, user)?.delete_credential() {
            Ok(()) | Err(::keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(failure(e)),
        }
    }

    /// The crate's errors name the platform's failure (D-Bus, Win32, OSStatus),
    /// never a secret.
    fn failure(e: ::keyring::Error) -> Error {
        let message = match &e {
            ::keyring::Error::PlatformFailure(_) | ::keyring::Error::NoStorageAccess(_) => {
                format!(
                    "{} is not reachable: {e}; use a token file instead (no store for the default token file, or a path)",
                    describe()
                )
            }
            ::keyring::Error::TooLong(..) => format!(
                "{}: the token is too long for it ({e}); use a token file instead",
                describe()
            ),
            _ => format!("{}: {e}", describe()),
        };
        Error::new(Status::Io, message)
    }
}

/// No credential store in this build for this system: every call says so.
#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    windows,
    target_os = "macos"
)))]
mod os {
    use zeroize::Zeroizing;

    use crate::error::{Error, Status};

    fn none() -> Error {
        Error::new(
            Status::Io,
            "this build of etna-auth has no OS credential store for this system; use a token file instead (no store for the default token file, or a path)",
        )
    }

    pub(super) fn get(_: &str, _: &str) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        Err(none())
    }

    pub(super) fn set(_: &str, _: &str, _: &[u8]) -> Result<(), Error> {
        Err(none())
    }

    pub(super) fn delete(_: &str, _: &str) -> Result<(), Error> {
        Err(none())
    }
}
