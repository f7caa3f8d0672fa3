//! The macOS Keychain through the `keyring` crate (its apple-native
//! backend: Security.framework, a system framework, so nothing to bundle).

use zeroize::Zeroizing;

use super::{describe, unreachable, WAY_OUT};
use crate::error::{Error, Status};

/// This store, in messages.
pub(super) const NAME: &str = "the macOS Keychain";

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

/// The crate's errors name the Keychain's failure (its OSStatus), never a
/// secret.
fn failure(e: ::keyring::Error) -> Error {
    let message = match &e {
        ::keyring::Error::PlatformFailure(_) | ::keyring::Error::NoStorageAccess(_) => {
            return unreachable(e);
        }
        ::keyring::Error::TooLong(..) => format!(
            "{}: the token is too long for it ({e}); {WAY_OUT}",
            describe()
        ),
        _ => format!("{}: {e}", describe()),
    };
    Error::new(Status::Io, message)
}
