//! Writing the token file: under its write lock, a temporary file (0600,
//! or an owner-only DACL on Windows) in the same folder, synced, renamed
//! over the old file, and the folder synced (Unix; Windows has no folder
//! fsync, NTFS journals the rename). A writer that died between writing
//! its temporary file and renaming it left `<file>.tmp.<pid>` with tokens
//! inside: the next writer removes it.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::open::{create_private, open_lock_file};
use super::{io_error, render, Entry};
use crate::error::{quote, Error};
use crate::store::wait::{Doing, HeldLock, LockKind, Waiter};

/// `path` with a suffix on its file name (`cache.json` -> `cache.json.lock`).
pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// The exclusive lock of the writers of `path`, on `<path>.lock` (a lock on
/// the data file itself would be lost when the file is replaced by rename),
/// so that concurrent saves never lose each other's entries.
pub(super) fn lock(path: &Path, waiter: &Waiter) -> Result<HeldLock, Error> {
    let lock_path = sibling(path, ".lock");
    let file = open_lock_file(&lock_path).map_err(|e| {
        io_error(
            path,
            &format!(
                "cannot open its lock file {}",
                quote(&lock_path.display().to_string())
            ),
            e,
        )
    })?;
    let (held, _waited) = waiter.take(file, &lock_path, LockKind::Write, Doing::Saving)?;
    Ok(held)
}

/// Replaces the file with these entries (the caller holds the write lock).
pub(super) fn write(path: &Path, entries: Vec<Entry>) -> Result<(), Error> {
    remove_leftovers(path);
    let bytes = render(entries);
    let tmp = sibling(path, &format!(".tmp.{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = create_private(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        // Closed before the rename: Windows cannot rename a file open
        // without FILE_SHARE_DELETE.
        drop(file);
        rename(&tmp, path)?;
        #[cfg(unix)]
        std::fs::File::open(super::folder(path))?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| io_error(path, "cannot write it", e))
}

/// Removes the temporary files of writers that died before their rename:
/// `<file>.tmp.<pid>` of a process that no longer runs (the caller holds the
/// write lock, so no live writer is between its write and its rename).
fn remove_leftovers(path: &Path) {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let prefix = format!("{name}.tmp.");
    let Ok(listing) = std::fs::read_dir(super::folder(path)) else {
        return;
    };
    for item in listing.flatten() {
        let file_name = item.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(leftover_pid)
        else {
            continue;
        };
        if pid != std::process::id() && !process_runs(pid) {
            let _ = std::fs::remove_file(item.path());
        }
    }
}

/// The process id of a temporary file's suffix: digits only. Pure.
fn leftover_pid(suffix: &str) -> Option<u32> {
    if suffix.is_empty() || !suffix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    suffix.parse().ok()
}

/// Whether a process with this id runs (of any user: then its file stays).
#[cfg(unix)]
fn process_runs(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return true;
    }
    std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(windows)]
fn process_runs(pid: u32) -> bool {
    use windows_sys::Win32::Foundation::{CloseHandle, GetLastError, ERROR_INVALID_PARAMETER};
    use windows_sys::Win32::System::Threading::{OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION};
    // SAFETY: opens a handle (closed below) or fails.
    let handle = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if handle.is_null() {
        // SAFETY: reads this thread's last error.
        return unsafe { GetLastError() } != ERROR_INVALID_PARAMETER;
    }
    // SAFETY: a handle we opened.
    unsafe { CloseHandle(handle) };
    true
}

/// `std::fs::rename`: rename(2) on Unix; on Windows a replacing rename
/// (POSIX semantics where the system has them, else MoveFileExW with
/// MOVEFILE_REPLACE_EXISTING), which fails with "access denied" or a sharing
/// violation while another thread or process has the old file open (a
/// `load` reading it, an antivirus scanner): retried for up to a second.
fn rename(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(windows)]
    {
        use std::time::Duration;
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            match std::fs::rename(from, to) {
                // ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION
                Err(e)
                    if matches!(e.raw_os_error(), Some(5 | 32))
                        && started.elapsed() < Duration::from_secs(1) =>
                {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }
    #[cfg(not(windows))]
    std::fs::rename(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_digits_name_a_leftover() {
        assert_eq!(leftover_pid("1234"), Some(1234));
        assert_eq!(leftover_pid(""), None);
        assert_eq!(leftover_pid("12a"), None);
        assert_eq!(leftover_pid("+12"), None);
        assert_eq!(leftover_pid("99999999999"), None);
    }

    #[cfg(unix)]
    #[test]
    fn this_process_runs_and_a_reaped_child_does_not() {
        assert!(process_runs(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_runs(pid));
    }
}
