//! The token file: a JSON file of tokens keyed by base URL and user name,
//! so that an application restarted within a token's 24 hours does not ask
//! the user for a password and a code again. The store of
//! [`super::Store::File`], and of `etna_save_token` / `etna_load_token`
//! (their files are the same format); [`crate::token_cache`] is its old
//! name.
//!
//! One job per file: [`format`](mod@format) (the JSON), `open` (opening files a hostile
//! folder cannot abuse), `folder` (the folder, created owner-only and
//! refused when others can write it), `write` (the write lock and the
//! atomic replace), `windows` (the owner-only security there); this file
//! holds the operations.
//!
//! Safety of the file:
//! - created with mode 0600 and never readable by others, even for a moment:
//!   a new version is written to a temporary file (mode 0600) in the same
//!   directory, synced, and renamed over the old one; on Windows the
//!   temporary file is created (CreateFileW) with an owner and a protected
//!   DACL that grants the current user alone full access, nothing inherited
//!   (SDDL `O:<user>D:P(A;;FA;;;<user>)`), and the rename is MoveFileExW
//!   with MOVEFILE_REPLACE_EXISTING (std::fs::rename), which keeps that DACL;
//! - writers take an exclusive lock (`File::lock`: `flock` on Unix,
//!   `LockFileEx` on Windows) on `<path>.lock`, waiting for it as long as
//!   the session's lock wait allows ([`super::wait`]), so that concurrent
//!   saves from threads or processes never lose each other's entries;
//! - a file that is not ours (no format marker), corrupt, larger than
//!   [`MAX_FILE_BYTES`], not a regular file (a FIFO, a device), or readable
//!   or writable by others is refused with `ETNA_ERR_IO` and never
//!   overwritten; so is a folder that others can write (`folder`), and a
//!   lock file that is a symbolic link.
//!   On Windows "ours" is: owned by the current user's SID; "others" is any
//!   allow ACE (not inherit-only, non-empty mask) for a SID other than the
//!   user, OWNER RIGHTS, SYSTEM or BUILTIN\Administrators (who can take any
//!   file anyway, like root), or no DACL at all (everyone has full access);
//! - an entry whose expiry no token can have ([`super::expiry`]) is never
//!   handed out, and dropped at the next write.

mod folder;
pub mod format;
mod open;
#[cfg(windows)]
mod windows;
mod write;

use std::path::{Path, PathBuf};

use crate::error::{quote, Error, Status};
use crate::store::expiry;
use crate::store::wait::Waiter;

pub use folder::{check_folder, create_private_dirs};
pub use format::{parse, render, Entry};
pub(crate) use open::open_lock_file;
pub use open::MAX_FILE_BYTES;

/// Base URLs are compared without trailing slashes.
pub fn normalize_base_url(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

fn io_error(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(
        Status::Io,
        format!(
            "token cache {}: {what}: {e}",
            quote(&path.display().to_string())
        ),
    )
}

/// The entries of the file, after the check of its folder; `Ok(None)` when
/// there is no file.
fn read(path: &Path) -> Result<Option<Vec<Entry>>, Error> {
    check_folder(&folder(path))?;
    open::read(path)
}

/// Saves (or replaces) the entry for `entry.base_url` and `entry.username`,
/// and drops expired entries. Waits for the write lock as long as the
/// default lock wait allows.
pub fn save(path: &Path, entry: Entry) -> Result<(), Error> {
    save_with(path, entry, &Waiter::default())
}

/// [`save`], waiting for the write lock as `waiter` says.
pub(crate) fn save_with(path: &Path, entry: Entry, waiter: &Waiter) -> Result<(), Error> {
    check_folder(&folder(path))?;
    let _lock = write::lock(path, waiter)?;
    let mut entries = open::read(path)?.unwrap_or_default();
    let now = unix_now();
    entries.retain(|e| {
        expiry::worth_keeping(e.expires_at, now) && !same_key(e, &entry.base_url, &entry.username)
    });
    entries.push(entry);
    write::write(path, entries)
}

/// The entry for a base URL and user name that stays valid for at least
/// `min_valid_s` more seconds. `Ok(None)`: none, expired, an expiry no
/// token can have, or no file.
pub fn load(
    path: &Path,
    base_url: &str,
    username: &str,
    min_valid_s: u32,
) -> Result<Option<Entry>, Error> {
    let entries = read(path)?.unwrap_or_default();
    let now = unix_now();
    Ok(entries
        .into_iter()
        .find(|e| same_key(e, base_url, username))
        .filter(|e| expiry::valid_for(e.expires_at, now, min_valid_s)))
}

/// Every entry of a token file, expired ones too (none without a file).
pub fn entries(path: &Path) -> Result<Vec<Entry>, Error> {
    Ok(read(path)?.unwrap_or_default())
}

/// Removes the entry for a base URL and user name (a logout). Not an error
/// when there is none, or no file.
pub fn forget(path: &Path, base_url: &str, username: &str) -> Result<(), Error> {
    forget_with(path, base_url, username, &Waiter::default())
}

/// [`forget`], waiting for the write lock as `waiter` says.
pub(crate) fn forget_with(
    path: &Path,
    base_url: &str,
    username: &str,
    waiter: &Waiter,
) -> Result<(), Error> {
    check_folder(&folder(path))?;
    if !path.exists() {
        // Nothing to forget: no lock file is created for nothing.
        return Ok(());
    }
    let _lock = write::lock(path, waiter)?;
    let Some(mut entries) = open::read(path)? else {
        return Ok(());
    };
    let before = entries.len();
    entries.retain(|e| !same_key(e, base_url, username));
    if entries.len() == before {
        return Ok(());
    }
    write::write(path, entries)
}

fn same_key(entry: &Entry, base_url: &str, username: &str) -> bool {
    normalize_base_url(&entry.base_url) == normalize_base_url(base_url)
        && entry.username == username
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A path's folder, `.` for a bare file name.
pub(crate) fn folder(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The file's name, the prefix of its login lock files.
pub(crate) fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tokens".to_owned())
}

#[cfg(test)]
mod tests {
    use super::format::tests::entry;
    use super::*;

    #[test]
    fn base_urls_compare_without_trailing_slashes() {
        let e = entry("a", 5);
        assert!(same_key(&e, "https://h.example/api/", "a"));
        assert!(same_key(&e, "https://h.example/api", "a"));
        assert!(!same_key(&e, "https://h.example/api", "A"));
        assert!(!same_key(&e, "https://h.example/apix", "a"));
    }

    #[cfg(unix)]
    #[test]
    fn a_write_removes_the_leftovers_of_dead_writers_only() {
        use super::write::sibling;
        let dir = std::env::temp_dir().join(format!("etna-leftover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        create_private_dirs(&dir).unwrap();
        let path = dir.join("tokens.json");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let leftover = sibling(&path, &format!(".tmp.{dead}"));
        let other = sibling(&path, ".tmp.notapid");
        std::fs::write(&leftover, "{\"token\":\"secret\"}").unwrap();
        std::fs::write(&other, "x").unwrap();
        save(&path, entry("a", unix_now() + 600)).unwrap();
        assert!(!leftover.exists(), "the dead writer's file is gone");
        assert!(other.exists(), "not a temporary file of ours");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
