//! The OS lock of a lock file, taken without waiting and released
//! explicitly.
//!
//! Unix: `flock` of the whole file (`File::try_lock`). Windows: `LockFileEx`
//! of one byte far past the end of the file, not of the whole file as
//! `File::try_lock` does there: on Windows a locked range cannot be read by
//! other processes, and waiters read the holder's line (its pid, and
//! whether it waits for its user's answer) from the start of the file. A
//! whole-file lock (an older etna-auth's, or a test's `File::lock`) covers
//! that byte too, so both kinds of lock exclude each other.

use std::fs::{File, TryLockError};

/// Takes the lock, or says that another holder has it.
#[cfg(not(windows))]
pub(crate) fn try_lock(file: &File) -> Result<(), TryLockError> {
    file.try_lock()
}

/// Releases the lock.
#[cfg(not(windows))]
pub(crate) fn unlock(file: &File) -> std::io::Result<()> {
    file.unlock()
}

/// The locked byte's offset: 1 TiB, past any lock file's content (one line).
#[cfg(windows)]
const LOCKED_BYTE: u64 = 1 << 40;

#[cfg(windows)]
fn at_locked_byte() -> windows_sys::Win32::System::IO::OVERLAPPED {
    // SAFETY: OVERLAPPED is plain data; all zeroes is its documented start.
    let mut overlapped: windows_sys::Win32::System::IO::OVERLAPPED = unsafe { std::mem::zeroed() };
    overlapped.Anonymous.Anonymous.Offset = LOCKED_BYTE as u32;
    overlapped.Anonymous.Anonymous.OffsetHigh = (LOCKED_BYTE >> 32) as u32;
    overlapped
}

#[cfg(windows)]
pub(crate) fn try_lock(file: &File) -> Result<(), TryLockError> {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Foundation::{ERROR_IO_PENDING, ERROR_LOCK_VIOLATION};
    use windows_sys::Win32::Storage::FileSystem::{
        LockFileEx, LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY,
    };
    let mut overlapped = at_locked_byte();
    // SAFETY: a valid handle owned by `file`, a live OVERLAPPED; the file is
    // not opened for overlapped I/O, so the call completes before it returns.
    let taken = unsafe {
        LockFileEx(
            file.as_raw_handle() as _,
            LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
            0,
            1,
            0,
            &mut overlapped,
        )
    };
    if taken != 0 {
        return Ok(());
    }
    let error = std::io::Error::last_os_error();
    match error.raw_os_error().map(|code| code as u32) {
        Some(ERROR_LOCK_VIOLATION) | Some(ERROR_IO_PENDING) => Err(TryLockError::WouldBlock),
        _ => Err(TryLockError::Error(error)),
    }
}

#[cfg(windows)]
pub(crate) fn unlock(file: &File) -> std::io::Result<()> {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::UnlockFileEx;
    let mut overlapped = at_locked_byte();
    // SAFETY: as in try_lock.
    let released = unsafe { UnlockFileEx(file.as_raw_handle() as _, 0, 1, 0, &mut overlapped) };
    if released != 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
