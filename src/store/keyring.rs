//! The OS credential store: the Secret Service on Linux and the BSDs
//! (GNOME Keyring, KWallet) through the system's libsecret, loaded when the
//! store is first used; the Credential Manager on Windows; the Keychain on
//! macOS. Each system's calls are in a file of their own beside this one.
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
//! folder, for [`super::Store::list`]. The credential store is the truth:
//! the list shows only indexed entries the store still holds (one deleted
//! with another tool is not shown), and a save whose index update fails
//! takes its entry out of the store again, so that the store never holds a
//! token the index does not list.
//!
//! When no credential store is reachable (no libsecret, no D-Bus session,
//! no Secret Service running, a system this build has no store for), every
//! call fails with a message that names what is missing and the way out: a
//! token file. Nothing falls back to a file on its own.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::file::{self, normalize_base_url, unix_now, Entry};
use super::wait::Waiter;
use crate::error::{Error, Status};
use crate::secret::Secret;

#[cfg(target_os = "macos")]
#[path = "keyring/apple.rs"]
mod os;
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
#[path = "keyring/libsecret.rs"]
mod os;
#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    windows,
    target_os = "macos"
)))]
#[path = "keyring/none.rs"]
mod os;
#[cfg(windows)]
#[path = "keyring/wincred.rs"]
mod os;

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
    if stored.expires_at <= unix_now() {
        return Ok(None);
    }
    Ok(Some(Entry {
        base_url: normalize_base_url(base_url).to_owned(),
        username: username.to_owned(),
        token: stored.token,
        expires_at: stored.expires_at,
    }))
}

/// Stores the token in the credential store and its key in the index,
/// waiting for the index's write lock as `waiter` says.
pub(super) fn save(entry: &Entry, waiter: &Waiter) -> Result<(), Error> {
    let stored = Stored {
        token: entry.token.clone(),
        expires_at: entry.expires_at,
    };
    // Plain strings and an integer: serializing into memory cannot fail.
    let bytes = Zeroizing::new(serde_json::to_vec(&stored).unwrap_or_default());
    let service = service(&entry.base_url);
    os::set(&service, &entry.username, &bytes)?;
    let indexed = index_path().and_then(|index| {
        file::create_private_dirs(&super::folder_of(&index))?;
        file::save_with(
            &index,
            Entry {
                token: Secret::default(),
                ..entry.clone()
            },
            waiter,
        )
    });
    if let Err(e) = indexed {
        // Not kept where the index cannot show it (nor `forget` of a
        // listed entry reach it): the token goes again, the error stays.
        let _ = os::delete(&service, &entry.username);
        return Err(e);
    }
    Ok(())
}

/// Out of the store first: when that fails, the index still lists what the
/// store still holds.
pub(super) fn forget(base_url: &str, username: &str, waiter: &Waiter) -> Result<(), Error> {
    os::delete(&service(base_url), username)?;
    file::forget_with(&index_path()?, base_url, username, waiter)
}

/// The index's entries (their tokens are empty) that the credential store
/// still holds: one deleted there with another tool is not shown.
pub(super) fn entries() -> Result<Vec<Entry>, Error> {
    let mut held = Vec::new();
    for e in file::entries(&index_path()?)? {
        if os::get(&service(&e.base_url), &e.username)?.is_some() {
            held.push(e);
        }
    }
    Ok(held)
}

pub(super) fn describe() -> String {
    format!("the OS credential store ({})", os::NAME)
}

/// The way out of every failure of this store.
const WAY_OUT: &str = "use a token file instead (no store for the default token file, or a path)";

/// The store cannot be used, for this reason (what is missing, or the
/// system's own words; never a secret).
fn unreachable(reason: impl std::fmt::Display) -> Error {
    Error::new(
        Status::Io,
        format!("{} is not reachable: {reason}; {WAY_OUT}", describe()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the system's real credential store (tests/keyring.sh: GNOME
    /// Keyring in a private D-Bus session, with XDG_CONFIG_HOME in a
    /// temporary folder for the index).
    #[test]
    #[ignore = "needs a credential store and a throwaway XDG_CONFIG_HOME: run tests/keyring.sh"]
    fn the_store_and_its_index_agree() {
        let base_url = "https://etna-test.invalid/keyring-index";
        let entry = Entry {
            base_url: base_url.to_owned(),
            username: "bob".to_owned(),
            token: Secret::new("unit-token"),
            expires_at: unix_now() + 600,
        };
        let listed = || {
            entries()
                .unwrap()
                .iter()
                .any(|e| e.base_url == base_url && e.username == "bob")
        };

        // Deleted in the store behind the index's back: no longer listed.
        save(&entry, &Waiter::default()).unwrap();
        assert!(listed());
        os::delete(&service(base_url), "bob").unwrap();
        assert!(!listed(), "an entry the store no longer holds is listed");

        // The index cannot be written (a folder in its place): the save
        // fails and leaves no token in the store.
        let index = index_path().unwrap();
        std::fs::remove_file(&index).unwrap();
        std::fs::create_dir(&index).unwrap();
        let failed = save(&entry, &Waiter::default());
        std::fs::remove_dir(&index).unwrap();
        assert!(failed.is_err());
        assert!(
            os::get(&service(base_url), "bob").unwrap().is_none(),
            "a failed save left its token in the store"
        );
    }

    /// Several threads at once (the store's library is loaded once, and
    /// each call runs on its own): every thread reads back what it wrote.
    #[test]
    #[ignore = "needs a credential store: run tests/keyring.sh"]
    fn threads_use_the_store_at_once() {
        let service = service("https://etna-test.invalid/keyring-threads");
        std::thread::scope(|scope| {
            for t in 0..4 {
                let service = &service;
                scope.spawn(move || {
                    let user = format!("thread-{t}");
                    for round in 0..5 {
                        let secret = format!("{{\"round\": {round}, \"thread\": {t}}}");
                        os::set(service, &user, secret.as_bytes()).unwrap();
                        let back = os::get(service, &user).unwrap().unwrap();
                        assert_eq!(back.as_slice(), secret.as_bytes());
                    }
                    os::delete(service, &user).unwrap();
                    assert!(os::get(service, &user).unwrap().is_none());
                });
            }
        });
    }
}
