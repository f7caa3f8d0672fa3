//! No credential store in this build for this system: every call says so.

use zeroize::Zeroizing;

use super::WAY_OUT;
use crate::error::{Error, Status};

/// This store, in messages.
pub(super) const NAME: &str = "none on this system";

fn none() -> Error {
    Error::new(
        Status::Io,
        format!("this build of etna-auth has no OS credential store for this system; {WAY_OUT}"),
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
