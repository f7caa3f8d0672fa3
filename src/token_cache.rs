//! The token cache: a JSON file of tokens keyed by base URL and user name,
//! so that an application restarted within a token's 24 hours does not ask
//! the user for a password and a code again.
//!
//! Safety of the file:
//! - created with mode 0600 and never readable by others, even for a moment:
//!   a new version is written to a temporary file (mode 0600) in the same
//!   directory, synced, and renamed over the old one;
//! - writers take an exclusive `flock` on `<path>.lock` (a lock on the data
//!   file itself would be lost when the file is replaced by rename), so that
//!   concurrent saves from threads or processes never lose each other's entries;
//! - a file that is not ours (no format marker), corrupt, or readable or
//!   writable by others is refused with `ETNA_ERR_IO` and never overwritten.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{quote, Error, Status};
use crate::secret::Secret;

/// The marker that tells our files from anybody else's.
const FORMAT: &str = "etna-auth token cache";
const VERSION: u32 = 1;

/// One cached login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub base_url: String,
    pub username: String,
    pub token: Secret,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheFile {
    format: String,
    version: u32,
    entries: Vec<Entry>,
}

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

/// Parses a cache file's bytes. Pure, so that it can be fuzzed.
pub fn parse(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let file: CacheFile = serde_json::from_slice(bytes)
        .map_err(|e| format!("not an etna-auth token cache (or corrupt): {e}"))?;
    if file.format != FORMAT {
        return Err("not an etna-auth token cache (wrong \"format\" marker)".into());
    }
    if file.version != VERSION {
        return Err(format!(
            "token cache version {} is not supported (this etna-auth writes version {VERSION})",
            file.version
        ));
    }
    Ok(file.entries)
}

/// Serializes entries; the bytes hold tokens and are wiped when dropped.
pub fn render(entries: Vec<Entry>) -> Zeroizing<Vec<u8>> {
    let file = CacheFile {
        format: FORMAT.into(),
        version: VERSION,
        entries,
    };
    let mut out = Zeroizing::new(Vec::with_capacity(256));
    // Serializing plain strings and integers into memory cannot fail.
    let _ = serde_json::to_writer_pretty(&mut *out, &file);
    out.push(b'\n');
    out
}

/// Reads the entries of a cache file; `Ok(None)` when it does not exist.
fn read(path: &Path) -> Result<Option<Vec<Entry>>, Error> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "cannot open it", e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| io_error(path, "cannot inspect it", e))?;
    if !meta.is_file() {
        return Err(io_error(path, "refused", "it is not a regular file"));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(io_error(
            path,
            "refused",
            format!("other users can read or write it (mode {mode:o}); it must be 600 (chmod 600)"),
        ));
    }
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(io_error(path, "refused", "it belongs to another user"));
    }
    let mut bytes = Zeroizing::new(Vec::new());
    std::io::Read::read_to_end(&mut &file, &mut bytes)
        .map_err(|e| io_error(path, "cannot read it", e))?;
    parse(&bytes)
        .map(Some)
        .map_err(|why| io_error(path, "refused", why))
}

/// Holds the exclusive lock on `<path>.lock` until dropped.
struct WriteLock {
    _file: File,
}

impl WriteLock {
    fn take(path: &Path) -> Result<WriteLock, Error> {
        let lock_path = sibling(path, ".lock");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| io_error(path, "cannot open its lock file", e))?;
        loop {
            // SAFETY: a valid fd; flock has no memory effects.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(WriteLock { _file: file });
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != ErrorKind::Interrupted {
                return Err(io_error(path, "cannot lock it", e));
            }
        }
    }
}

/// `path` with a suffix on its file name (`cache.json` -> `cache.json.lock`).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Replaces the file with these entries: temporary file (0600) in the same
/// directory, fsync, rename, fsync of the directory.
fn write(path: &Path, entries: Vec<Entry>) -> Result<(), Error> {
    let bytes = render(entries);
    let tmp = sibling(path, &format!(".tmp.{}", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| io_error(path, "cannot write it", e))
}

/// Saves (or replaces) the entry for `entry.base_url` and `entry.username`,
/// and drops expired entries.
pub fn save(path: &Path, entry: Entry) -> Result<(), Error> {
    let _lock = WriteLock::take(path)?;
    let mut entries = read(path)?.unwrap_or_default();
    let now = unix_now();
    entries.retain(|e| e.expires_at > now && !same_key(e, &entry.base_url, &entry.username));
    entries.push(entry);
    write(path, entries)
}

/// The entry for a base URL and user name that stays valid for at least
/// `min_valid_s` more seconds. `Ok(None)`: none, expired, or no file.
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
        .filter(|e| e.expires_at - now >= i64::from(min_valid_s)))
}

/// Removes the entry for a base URL and user name (a logout). Not an error
/// when there is none, or no file.
pub fn forget(path: &Path, base_url: &str, username: &str) -> Result<(), Error> {
    let _lock = WriteLock::take(path)?;
    let Some(mut entries) = read(path)? else {
        return Ok(());
    };
    let before = entries.len();
    entries.retain(|e| !same_key(e, base_url, username));
    if entries.len() == before {
        return Ok(());
    }
    write(path, entries)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(user: &str, expires_at: i64) -> Entry {
        Entry {
            base_url: "https://h.example/api".into(),
            username: user.into(),
            token: Secret::new("tok"),
            expires_at,
        }
    }

    #[test]
    fn render_and_parse_round_trip() {
        let entries = vec![entry("a", 5), entry("b", 6)];
        let bytes = render(entries.clone());
        assert_eq!(parse(&bytes).unwrap(), entries);
    }

    #[test]
    fn foreign_and_corrupt_files_are_refused() {
        for bad in [
            &b""[..],
            b"{}",
            b"[]",
            b"{\"format\":\"other\",\"version\":1,\"entries\":[]}",
            b"garbage",
            b"{\"format\":\"etna-auth token cache\",\"version\":2,\"entries\":[]}",
            b"{\"format\":\"etna-auth token cache\",\"version\":1,\"entries\":[{\"base_url\":1}]}",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn base_urls_compare_without_trailing_slashes() {
        let e = entry("a", 5);
        assert!(same_key(&e, "https://h.example/api/", "a"));
        assert!(same_key(&e, "https://h.example/api", "a"));
        assert!(!same_key(&e, "https://h.example/api", "A"));
        assert!(!same_key(&e, "https://h.example/apix", "a"));
    }
}
