//! Waiting for a lock file that another etna-auth holds: the login lock of
//! a user ([`super::lock`]) or the write lock of a token file. A wait is
//! bounded ([`LockWait::timeout`], [`DEFAULT_LOCK_TIMEOUT_MS`] until set),
//! ends at once on a cancel of the waiting session, and when it gives up
//! its message names the lock file and what holds it.
//!
//! The holder writes one line into the lock file while it holds it (its
//! process id and what it does: logging in, waiting for its user's answer,
//! saving), so that a waiter can say who it waited for, and a waiter that
//! must not wait for a person (`token --no-prompt`) can give up at once.
//! The line is informative only: the lock is the OS lock (os_lock.rs:
//! `flock` on Unix, `LockFileEx` of one byte past the line on Windows, so
//! that the line stays readable there too). The holder empties the file
//! and unlocks it explicitly when it is done; the OS releases the lock
//! anyway when the holder ends, however it ends.
//!
//! [`DEFAULT_LOCK_TIMEOUT_MS`]: crate::defaults::DEFAULT_LOCK_TIMEOUT_MS

use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use super::os_lock;
use crate::defaults::DEFAULT_LOCK_TIMEOUT_MS;
use crate::error::{quote, Error, Status};
use crate::transport::Canceller;

/// How long a session waits for a lock that another login or writer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockWait {
    /// Then the wait gives up with [`Status::Timeout`]; zero: no wait at all.
    pub timeout: Duration,
    /// `false`: give up at once ([`Status::NoToken`]) when the login that
    /// holds the lock waits for its user's answer (a password or factor
    /// prompt), which may never come: for callers that never ask anything
    /// themselves (the CLI's `token --no-prompt`).
    pub wait_for_answers: bool,
}

impl Default for LockWait {
    fn default() -> LockWait {
        LockWait {
            timeout: Duration::from_millis(DEFAULT_LOCK_TIMEOUT_MS.into()),
            wait_for_answers: true,
        }
    }
}

/// What a lock file guards, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockKind {
    /// One login at a time per store, base URL and user.
    Login,
    /// One writer at a time per token file.
    Write,
}

/// What the holder of a lock is doing, as it writes it into the lock file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Doing {
    LoggingIn,
    Asking,
    Saving,
}

impl Doing {
    fn word(self) -> &'static str {
        match self {
            Doing::LoggingIn => "login",
            Doing::Asking => "asking",
            Doing::Saving => "saving",
        }
    }

    fn from_word(word: &str) -> Option<Doing> {
        [Doing::LoggingIn, Doing::Asking, Doing::Saving]
            .into_iter()
            .find(|d| d.word() == word)
    }

    fn describe(self) -> &'static str {
        match self {
            Doing::LoggingIn => "logging in",
            Doing::Asking => "waiting for its user's answer",
            Doing::Saving => "writing the token file",
        }
    }
}

/// The holder's line: `etna-auth pid=1234 doing=login`.
pub(crate) fn holder_line(pid: u32, doing: Doing) -> String {
    format!("etna-auth pid={pid} doing={}\n", doing.word())
}

/// The holder's process id and what it does, from its line. Pure.
pub(crate) fn parse_holder(text: &str) -> Option<(u32, Doing)> {
    let line = text.lines().next()?.strip_prefix("etna-auth ")?;
    let mut pid = None;
    let mut doing = None;
    for field in line.split(' ') {
        match field.split_once('=') {
            Some(("pid", v)) => pid = v.parse().ok(),
            Some(("doing", v)) => doing = Doing::from_word(v),
            _ => {}
        }
    }
    Some((pid?, doing?))
}

/// A lock file's OS lock, held until dropped (then the holder's line is
/// removed and the lock released explicitly).
#[derive(Debug)]
pub(crate) struct HeldLock {
    file: File,
}

impl HeldLock {
    /// Says what the holder does now (for the waiters' messages).
    pub(crate) fn record(&self, doing: Doing) {
        // Informative only: a failure to write it changes nothing.
        let line = holder_line(std::process::id(), doing);
        let _ = self.file.set_len(0);
        let _ = write_at_start(&self.file, line.as_bytes());
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = os_lock::unlock(&self.file);
    }
}

/// How a wait goes: its settings and the session's canceller, if any.
#[derive(Clone, Copy)]
pub(crate) struct Waiter<'a> {
    pub(crate) settings: LockWait,
    pub(crate) canceller: Option<&'a Canceller>,
}

impl Default for Waiter<'_> {
    /// The default wait, nothing to cancel it: for the calls without a
    /// session (`etna_forget_token`, [`super::Store::save`]).
    fn default() -> Self {
        Waiter {
            settings: LockWait::default(),
            canceller: None,
        }
    }
}

impl Waiter<'_> {
    /// Takes the lock as [`take`] does, a cancel of the canceller ending
    /// the wait at once.
    pub(crate) fn take(
        &self,
        file: File,
        path: &Path,
        kind: LockKind,
        doing: Doing,
    ) -> Result<(HeldLock, Duration), Error> {
        let canceller = self.canceller;
        take(
            file,
            path,
            kind,
            doing,
            self.settings,
            &mut |nap| match canceller {
                Some(canceller) => canceller.sleep_unless_cancelled(nap),
                None => {
                    std::thread::sleep(nap);
                    false
                }
            },
        )
    }
}

/// Takes the OS lock of the open lock file `file` (at `path`), waiting as
/// `settings` say, then writes the holder's line. Between tries `nap`
/// sleeps for at most the time it is given; `true` from it (a cancel) ends
/// the wait. Returns the lock and how long another holder kept it (zero
/// when it was free).
pub(crate) fn take(
    file: File,
    path: &Path,
    kind: LockKind,
    doing: Doing,
    settings: LockWait,
    nap: &mut dyn FnMut(Duration) -> bool,
) -> Result<(HeldLock, Duration), Error> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(2);
    let mut waited = false;
    loop {
        match os_lock::try_lock(&file) {
            Ok(()) => {
                let held = HeldLock { file };
                held.record(doing);
                let waited = if waited {
                    started.elapsed()
                } else {
                    Duration::ZERO
                };
                return Ok((held, waited));
            }
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(TryLockError::Error(e)) => {
                return Err(Error::new(
                    Status::Io,
                    format!("{} {}: cannot lock it: {e}", kind.noun(), shown(path)),
                ))
            }
        }
        waited = true;
        let gave_up = GaveUp {
            path,
            kind,
            holder: read_holder(&file),
            settings,
        };
        if !settings.wait_for_answers && matches!(gave_up.holder, Some((_, Doing::Asking))) {
            return Err(gave_up.for_an_answer());
        }
        let left = settings.timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(gave_up.timed_out());
        }
        if nap(pause.min(left)) {
            return Err(gave_up.cancelled());
        }
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

impl LockKind {
    fn noun(self) -> &'static str {
        match self {
            LockKind::Login => "login lock",
            LockKind::Write => "write lock",
        }
    }
}

/// Why a wait ended without the lock, with what the messages name.
struct GaveUp<'a> {
    path: &'a Path,
    kind: LockKind,
    holder: Option<(u32, Doing)>,
    settings: LockWait,
}

impl GaveUp<'_> {
    /// "another etna-auth login holds it (pid 1234, waiting for its user's answer)"
    fn holder(&self) -> String {
        let who = match self.kind {
            LockKind::Login => "another etna-auth login of the same user",
            LockKind::Write => "another etna-auth process",
        };
        match self.holder {
            Some((pid, doing)) => format!("{who} holds it (pid {pid}, {})", doing.describe()),
            None => format!("{who} holds it"),
        }
    }

    fn timed_out(&self) -> Error {
        let waited = match self.settings.timeout.as_millis() {
            0 => "did not wait".to_owned(),
            ms => format!("gave up after {} s", seconds(ms)),
        };
        Error::new(
            Status::Timeout,
            format!(
                "{waited} for the {} {}: {}; the wait for a lock is set by \
                 etna_set_lock_timeout_ms() or the CLI's --lock-timeout (default {} s)",
                self.kind.noun(),
                shown(self.path),
                self.holder(),
                seconds(DEFAULT_LOCK_TIMEOUT_MS.into()),
            ),
        )
    }

    fn for_an_answer(&self) -> Error {
        Error::new(
            Status::NoToken,
            format!(
                "not waiting for the {} {}: {}, which may never come",
                self.kind.noun(),
                shown(self.path),
                self.holder()
            ),
        )
    }

    fn cancelled(&self) -> Error {
        let what = match self.kind {
            LockKind::Login => "another login of the same user to finish",
            LockKind::Write => "another etna-auth to finish writing the token file",
        };
        Error::new(
            Status::Cancelled,
            format!(
                "cancelled while waiting for {what} ({} {})",
                self.kind.noun(),
                shown(self.path)
            ),
        )
    }
}

/// Milliseconds as seconds for people: "120", "0.5".
fn seconds(ms: u128) -> String {
    match ms % 1000 {
        0 => format!("{}", ms / 1000),
        _ => format!("{:.1}", ms as f64 / 1000.0),
    }
}

fn shown(path: &Path) -> String {
    quote(&path.display().to_string())
}

/// The holder's line, when it can be read (a holder of an older etna-auth
/// on Windows locked the whole file, line included).
fn read_holder(file: &File) -> Option<(u32, Doing)> {
    let mut buf = [0u8; 128];
    let n = read_at_start(file, &mut buf).ok()?;
    parse_holder(std::str::from_utf8(&buf[..n]).ok()?)
}

#[cfg(unix)]
fn read_at_start(file: &File, buf: &mut [u8]) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, 0)
}

#[cfg(windows)]
fn read_at_start(file: &File, buf: &mut [u8]) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, 0)
}

#[cfg(unix)]
fn write_at_start(file: &File, bytes: &[u8]) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, 0)
}

#[cfg(windows)]
fn write_at_start(file: &File, bytes: &[u8]) -> std::io::Result<()> {
    std::os::windows::fs::FileExt::seek_write(file, bytes, 0).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_line_round_trips_and_junk_is_ignored() {
        for doing in [Doing::LoggingIn, Doing::Asking, Doing::Saving] {
            assert_eq!(parse_holder(&holder_line(42, doing)), Some((42, doing)));
        }
        assert_eq!(parse_holder(""), None);
        assert_eq!(parse_holder("etna-auth pid=x doing=login"), None);
        assert_eq!(parse_holder("etna-auth pid=7 doing=sleeping"), None);
        assert_eq!(parse_holder("other pid=7 doing=login"), None);
    }

    #[test]
    fn seconds_for_people() {
        assert_eq!(seconds(120_000), "120");
        assert_eq!(seconds(500), "0.5");
        assert_eq!(seconds(0), "0");
    }
}
