//! The login lock: one login at a time per (store, base URL, user name),
//! across the threads and processes of the user.
//!
//! It is an OS file lock (`File::lock`: `flock` on Unix, `LockFileEx` on
//! Windows) on a lock file of its own beside the token file (for the keyring
//! store, in the default store's folder), named after the base URL and user
//! name, so that logins of different users never wait for each other. The
//! OS releases the lock when its holder ends in any way, a crash or a kill
//! included: the next waiter then finds no token and logs in itself.
//!
//! A waiter polls the lock (every few milliseconds, at most 50) rather
//! than blocking in the OS, so that a cancel of its session stops its wait
//! at once without touching the holder or the other waiters.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{quote, Error, Status};
use crate::token_cache::open_lock_file;

/// Held while a login runs; released when dropped (or the process ends).
#[derive(Debug)]
pub struct LoginLock {
    _file: File,
}

/// What a wait for the lock came to.
#[derive(Debug)]
pub struct Taken {
    pub lock: LoginLock,
    /// How long another login held it (zero when it was free).
    pub waited: Duration,
}

impl LoginLock {
    /// Takes the lock at `lock_path`, waiting while another thread or
    /// process holds it. `cancelled` is asked between tries: when it says
    /// yes, the wait ends with [`Status::Cancelled`].
    pub fn take(lock_path: &Path, mut cancelled: impl FnMut() -> bool) -> Result<Taken, Error> {
        let failed = |what: &str, e: std::io::Error| {
            Error::new(
                Status::Io,
                format!(
                    "login lock {}: {what}: {e}",
                    quote(&lock_path.display().to_string())
                ),
            )
        };
        let file = open_lock_file(lock_path).map_err(|e| failed("cannot open it", e))?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        let mut tries = 0u32;
        loop {
            tries += 1;
            match file.try_lock() {
                Ok(()) => {
                    let waited = if tries == 1 {
                        Duration::ZERO
                    } else {
                        started.elapsed()
                    };
                    return Ok(Taken {
                        lock: LoginLock { _file: file },
                        waited,
                    });
                }
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(TryLockError::Error(e)) => return Err(failed("cannot lock it", e)),
            }
            if cancelled() {
                return Err(Error::new(
                    Status::Cancelled,
                    "cancelled while waiting for another login of the same user to finish",
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

/// The lock file of the logins of `username` at `base_url`, in `folder`,
/// named `<prefix>.login-<16 hex digits>.lock` after a hash of the two (a
/// hash that never changes between versions or builds: every process of the
/// user must find the same file).
pub fn lock_path(folder: &Path, prefix: &str, base_url: &str, username: &str) -> PathBuf {
    let key = format!(
        "{}\n{username}",
        crate::token_cache::normalize_base_url(base_url)
    );
    folder.join(format!(
        "{prefix}.login-{:016x}.lock",
        fnv1a(key.as_bytes())
    ))
}

/// FNV-1a, 64 bits: stable, and good enough to tell a few keys apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_per_key_stable_across_builds() {
        let dir = Path::new("/d");
        let a = lock_path(dir, "tokens.json", "https://h/api/", "alice");
        assert_eq!(a, lock_path(dir, "tokens.json", "https://h/api", "alice"));
        assert_ne!(a, lock_path(dir, "tokens.json", "https://h/api", "bob"));
        // The published FNV-1a test vector: the hash must never change.
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
    }

    #[test]
    fn a_second_taker_waits_and_a_cancel_ends_its_wait() {
        let dir = std::env::temp_dir().join(format!("etna-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.lock");
        let held = LoginLock::take(&path, || false).unwrap();
        let mut asked = 0;
        let error = LoginLock::take(&path, || {
            asked += 1;
            asked == 3
        })
        .unwrap_err();
        assert_eq!(error.status(), Status::Cancelled);
        assert_eq!(asked, 3);
        drop(held);
        let again = LoginLock::take(&path, || panic!("free: no wait")).unwrap();
        assert_eq!(again.waited, Duration::ZERO);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
