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
//! at once without touching the holder or the other waiters; the wait is
//! bounded ([`LockWait`], two minutes by default) and, when it gives up,
//! says which lock file and which process held it ([`super::wait`]). The
//! holder says in the lock file when it waits for its user's answer, so
//! that a waiter that asks nobody (`token --no-prompt`) need not wait.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::file::open_lock_file;
use super::wait::{self, Doing, HeldLock, LockKind, LockWait, Waiter};
use crate::error::{quote, Error, Status};
use crate::transport::Canceller;

/// Held while a login runs; released (explicitly unlocked) when dropped,
/// or by the OS when the process ends.
#[derive(Debug)]
pub struct LoginLock {
    held: HeldLock,
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
    /// process holds it, for at most the default lock wait
    /// ([`LockWait::default`]). `cancelled` is asked between tries: when it
    /// says yes, the wait ends with [`Status::Cancelled`].
    pub fn take(lock_path: &Path, mut cancelled: impl FnMut() -> bool) -> Result<Taken, Error> {
        let file = open(lock_path)?;
        let (held, waited) = wait::take(
            file,
            lock_path,
            LockKind::Login,
            Doing::LoggingIn,
            LockWait::default(),
            &mut |nap| {
                if cancelled() {
                    return true;
                }
                std::thread::sleep(nap);
                false
            },
        )?;
        Ok(Taken {
            lock: LoginLock { held },
            waited,
        })
    }

    /// Takes the lock at `lock_path`, waiting as `wait` says; a cancel of
    /// `canceller` ends the wait at once ([`Status::Cancelled`]). When the
    /// wait gives up: [`Status::Timeout`], or [`Status::NoToken`] when the
    /// holder waits for its user's answer and `wait` says not to wait for
    /// that; the message names the lock file and its holder.
    pub fn take_with(
        lock_path: &Path,
        wait: LockWait,
        canceller: Option<&Canceller>,
    ) -> Result<Taken, Error> {
        let file = open(lock_path)?;
        let waiter = Waiter {
            settings: wait,
            canceller,
        };
        let (held, waited) = waiter.take(file, lock_path, LockKind::Login, Doing::LoggingIn)?;
        Ok(Taken {
            lock: LoginLock { held },
            waited,
        })
    }

    /// Tells the waiters whether this login now waits for its user's
    /// answer (a prompt), which may take for ever.
    pub fn asking(&self, asking: bool) {
        self.held.record(match asking {
            true => Doing::Asking,
            false => Doing::LoggingIn,
        });
    }
}

fn open(lock_path: &Path) -> Result<std::fs::File, Error> {
    open_lock_file(lock_path).map_err(|e| {
        Error::new(
            Status::Io,
            format!(
                "login lock {}: cannot open it: {e}",
                quote(&lock_path.display().to_string())
            ),
        )
    })
}

/// The lock file of the logins of `username` at `base_url`, in `folder`,
/// named `<prefix>.login-<16 hex digits>.lock` after a hash of the two (a
/// hash that never changes between versions or builds: every process of the
/// user must find the same file).
pub fn lock_path(folder: &Path, prefix: &str, base_url: &str, username: &str) -> PathBuf {
    let key = format!("{}\n{username}", super::file::normalize_base_url(base_url));
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

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("etna-lock-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("x.lock")
    }

    #[test]
    fn a_wait_ends_at_its_timeout_naming_the_file_and_the_holder() {
        let path = scratch("timeout");
        let _held = LoginLock::take(&path, || false).unwrap();
        let wait = LockWait {
            timeout: Duration::from_millis(200),
            wait_for_answers: true,
        };
        let started = std::time::Instant::now();
        let error = LoginLock::take_with(&path, wait, None).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(error.status(), Status::Timeout);
        let message = error.message();
        // Quoted as every message quotes a path (a Windows path's
        // backslashes are escaped).
        let quoted = crate::error::quote(&path.display().to_string());
        assert!(message.contains(&quoted), "{message}");
        assert!(
            message.contains(&format!("pid {}", std::process::id()))
                && message.contains("logging in"),
            "{message}"
        );
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_waiter_that_asks_nobody_does_not_wait_for_a_prompt() {
        let path = scratch("asking");
        let held = LoginLock::take(&path, || false).unwrap();
        held.lock.asking(true);
        let wait = LockWait {
            timeout: Duration::from_secs(60),
            wait_for_answers: false,
        };
        let started = std::time::Instant::now();
        let error = LoginLock::take_with(&path, wait, None).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(error.status(), Status::NoToken);
        assert!(error.message().contains("its user's answer"), "{error}");
        // Not while it logs in without a prompt: then it waits (and times out here).
        held.lock.asking(false);
        let short = LockWait {
            timeout: Duration::from_millis(100),
            ..wait
        };
        let error = LoginLock::take_with(&path, short, None).unwrap_err();
        assert_eq!(error.status(), Status::Timeout);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_cancel_ends_a_wait_at_once() {
        let path = scratch("cancel");
        let _held = LoginLock::take(&path, || false).unwrap();
        let canceller = std::sync::Arc::new(Canceller::default());
        let other = std::sync::Arc::clone(&canceller);
        let cancelling = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            other.cancel();
        });
        let started = std::time::Instant::now();
        let error = LoginLock::take_with(&path, LockWait::default(), Some(&canceller)).unwrap_err();
        assert_eq!(error.status(), Status::Cancelled);
        assert!(started.elapsed() < Duration::from_secs(5));
        cancelling.join().unwrap();
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// A child started while the lock is held (fork and exec, as
    /// `Command` does; or fork alone, as Python's multiprocessing does)
    /// does not keep it once the parent lets it go: the lock file is
    /// close-on-exec, and the release is an explicit unlock, which a
    /// forked copy of the descriptor cannot outlive.
    #[cfg(unix)]
    #[test]
    fn children_never_keep_the_lock() {
        let path = scratch("children");
        let no_wait = LockWait {
            timeout: Duration::ZERO,
            wait_for_answers: true,
        };
        let taken = LoginLock::take(&path, || false).unwrap();
        let mut exec_child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        // SAFETY: the child calls only async-signal-safe functions.
        let fork_child = unsafe { libc::fork() };
        if fork_child == 0 {
            unsafe {
                libc::sleep(5);
                libc::_exit(0);
            }
        }
        assert!(fork_child > 0);
        assert_eq!(
            LoginLock::take_with(&path, no_wait, None)
                .unwrap_err()
                .status(),
            Status::Timeout,
            "held"
        );
        drop(taken);
        let again = LoginLock::take_with(&path, no_wait, None);
        // SAFETY: signals our own children.
        unsafe { libc::kill(fork_child, libc::SIGKILL) };
        let _ = exec_child.kill();
        let _ = exec_child.wait();
        unsafe { libc::waitpid(fork_child, std::ptr::null_mut(), 0) };
        assert!(
            again.is_ok(),
            "the children kept the lock: {:?}",
            again.err()
        );
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_released_lock_is_unlocked_and_its_line_removed() {
        let path = scratch("release");
        let taken = LoginLock::take(&path, || false).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("pid="));
        drop(taken);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
        let again = LoginLock::take_with(
            &path,
            LockWait {
                timeout: Duration::ZERO,
                wait_for_answers: true,
            },
            None,
        );
        assert!(again.is_ok(), "free at once");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
