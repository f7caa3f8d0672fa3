//! The Windows Credential Manager, called directly (advapi32's CredReadW,
//! CredWriteW, CredDeleteW through windows-sys): generic credentials stored
//! for this machine only (`CRED_PERSIST_LOCAL_MACHINE`), so that a token
//! does not roam to other machines with the user's profile, as the
//! `keyring` crate's `CRED_PERSIST_ENTERPRISE` let it.
//!
//! The target name is the `keyring` crate's, `<user>.<service>`, so entries
//! of earlier versions are found, and replaced by the next save.

use std::ffi::OsStr;
use std::os::windows::ffi::OsStrExt;

use windows_sys::Win32::Foundation::ERROR_NOT_FOUND;
use windows_sys::Win32::Security::Credentials::{
    CredDeleteW, CredFree, CredReadW, CredWriteW, CREDENTIALW, CRED_MAX_CREDENTIAL_BLOB_SIZE,
    CRED_PERSIST_LOCAL_MACHINE, CRED_TYPE_GENERIC,
};
use zeroize::Zeroizing;

use super::{describe, unreachable, WAY_OUT};
use crate::error::{Error, Status};

/// This store, in messages.
pub(super) const NAME: &str = "the Windows Credential Manager";

/// A NUL-terminated UTF-16 string.
fn wide(s: &str) -> Vec<u16> {
    OsStr::new(s).encode_wide().chain(Some(0)).collect()
}

fn target(service: &str, user: &str) -> Vec<u16> {
    wide(&format!("{user}.{service}"))
}

/// The last Win32 error: `Ok` when it says there is no such credential,
/// else the store's failure in the system's words (never a secret).
fn unless_not_found() -> Result<(), Error> {
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(ERROR_NOT_FOUND as i32) {
        Ok(())
    } else {
        Err(unreachable(e))
    }
}

pub(super) fn get(service: &str, user: &str) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
    let target = target(service, user);
    let mut credential: *mut CREDENTIALW = std::ptr::null_mut();
    // SAFETY: a NUL-terminated name; on success `credential` points to a
    // block of the system's, freed below with CredFree.
    if unsafe { CredReadW(target.as_ptr(), CRED_TYPE_GENERIC, 0, &mut credential) } == 0 {
        return unless_not_found().map(|()| None);
    }
    // SAFETY: the blob is CredentialBlobSize bytes inside that block,
    // copied, then wiped before the block is freed.
    unsafe {
        let c = &*credential;
        let blob = c.CredentialBlob;
        let len = c.CredentialBlobSize as usize;
        let bytes = if blob.is_null() || len == 0 {
            Zeroizing::new(Vec::new())
        } else {
            let bytes = Zeroizing::new(std::slice::from_raw_parts(blob, len).to_vec());
            std::ptr::write_bytes(blob, 0, len);
            bytes
        };
        CredFree(credential.cast());
        Ok(Some(bytes))
    }
}

pub(super) fn set(service: &str, user: &str, secret: &[u8]) -> Result<(), Error> {
    if secret.len() > CRED_MAX_CREDENTIAL_BLOB_SIZE as usize {
        return Err(Error::new(
            Status::Io,
            format!(
                "{}: the token is too long for it ({} bytes, at most {CRED_MAX_CREDENTIAL_BLOB_SIZE}); {WAY_OUT}",
                describe(),
                secret.len()
            ),
        ));
    }
    let mut target = target(service, user);
    let mut user = wide(user);
    let mut blob = Zeroizing::new(secret.to_vec());
    // SAFETY: every field is an integer or a pointer, for which zero is
    // valid (no comment, alias or attributes; LastWritten is ignored).
    let mut credential: CREDENTIALW = unsafe { std::mem::zeroed() };
    credential.Type = CRED_TYPE_GENERIC;
    credential.TargetName = target.as_mut_ptr();
    credential.UserName = user.as_mut_ptr();
    credential.CredentialBlobSize = blob.len() as u32;
    credential.CredentialBlob = blob.as_mut_ptr();
    credential.Persist = CRED_PERSIST_LOCAL_MACHINE;
    // SAFETY: the strings and the blob outlive the call, which copies them.
    if unsafe { CredWriteW(&credential, 0) } == 0 {
        return Err(unreachable(std::io::Error::last_os_error()));
    }
    Ok(())
}

/// Not an error when there is none.
pub(super) fn delete(service: &str, user: &str) -> Result<(), Error> {
    let target = target(service, user);
    // SAFETY: a NUL-terminated name.
    if unsafe { CredDeleteW(target.as_ptr(), CRED_TYPE_GENERIC, 0) } == 0 {
        return unless_not_found();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 27: a token stays on this machine (read back with its
    /// persistence from the real Credential Manager, or Wine's).
    #[test]
    fn entries_are_kept_for_this_machine_only() {
        let (service, user) = ("etna-auth https://etna-test.invalid/persist", "persist");
        set(service, user, b"{}").unwrap();
        let target = target(service, user);
        let mut credential: *mut CREDENTIALW = std::ptr::null_mut();
        // SAFETY: as in `get`.
        let read = unsafe { CredReadW(target.as_ptr(), CRED_TYPE_GENERIC, 0, &mut credential) };
        assert_ne!(read, 0, "{}", std::io::Error::last_os_error());
        let persist = unsafe { (*credential).Persist };
        unsafe { CredFree(credential.cast()) };
        delete(service, user).unwrap();
        assert_eq!(persist, CRED_PERSIST_LOCAL_MACHINE);
        assert!(get(service, user).unwrap().is_none(), "deleted");
    }
}
