//! The token cache: a JSON file of tokens keyed by base URL and user name,
//! so that an application restarted within a token's 24 hours does not ask
//! the user for a password and a code again.
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
//!   `LockFileEx` on Windows) on `<path>.lock` (a lock on the data file itself
//!   would be lost when the file is replaced by rename), so that concurrent
//!   saves from threads or processes never lose each other's entries;
//! - a file that is not ours (no format marker), corrupt, or readable or
//!   writable by others is refused with `ETNA_ERR_IO` and never overwritten.
//!   On Windows "ours" is: owned by the current user's SID; "others" is any
//!   allow ACE (not inherit-only, non-empty mask) for a SID other than the
//!   user, OWNER RIGHTS, SYSTEM or BUILTIN\Administrators (who can take any
//!   file anyway, like root), or no DACL at all (everyone has full access).

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
#[cfg(unix)]
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
    check_private(path, &file, &meta)?;
    let mut bytes = Zeroizing::new(Vec::new());
    std::io::Read::read_to_end(&mut &file, &mut bytes)
        .map_err(|e| io_error(path, "cannot read it", e))?;
    parse(&bytes)
        .map(Some)
        .map_err(|why| io_error(path, "refused", why))
}

/// Refuses a file that other users can read or write, or that is not ours.
#[cfg(unix)]
fn check_private(path: &Path, _file: &File, meta: &std::fs::Metadata) -> Result<(), Error> {
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
    Ok(())
}

/// Refuses a file that other users can read or write, or that is not ours
/// (its owner and DACL; see the module documentation).
#[cfg(windows)]
fn check_private(path: &Path, file: &File, _meta: &std::fs::Metadata) -> Result<(), Error> {
    match win::check_private(file) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(why)) => Err(io_error(path, "refused", why)),
        Err(e) => Err(io_error(path, "cannot inspect its security descriptor", e)),
    }
}

/// Creates `path`, which must not exist, for writing, readable and writable
/// by the current user alone from the start.
fn create_private(path: &Path) -> std::io::Result<File> {
    #[cfg(unix)]
    return OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    #[cfg(windows)]
    return win::create_private(path);
}

/// Holds the exclusive lock on `<path>.lock` until dropped.
struct WriteLock {
    _file: File,
}

impl WriteLock {
    fn take(path: &Path) -> Result<WriteLock, Error> {
        let file = open_lock_file(&sibling(path, ".lock"))
            .map_err(|e| io_error(path, "cannot open its lock file", e))?;
        loop {
            // flock(LOCK_EX) on Unix, LockFileEx on Windows.
            match file.lock() {
                Ok(()) => return Ok(WriteLock { _file: file }),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error(path, "cannot lock it", e)),
            }
        }
    }
}

/// Opens (creating it, mode 0600) a lock file. It holds nothing: only its
/// OS lock (`File::lock`) matters, which the OS releases when the process
/// ends, however it ends. Lock files are never removed: removing one while
/// another process waits on it would let two holders in.
pub(crate) fn open_lock_file(lock_path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(lock_path)
}

/// Creates the missing folders of `dir` readable by the current user alone:
/// mode 0700 on Unix, on Windows an owner-only protected DACL that files
/// created inside inherit. Folders that exist are left as they are.
pub fn create_private_dirs(dir: &Path) -> Result<(), Error> {
    let failed = |e: std::io::Error| {
        Error::new(
            Status::Io,
            format!(
                "cannot create the folder {}: {e}",
                quote(&dir.display().to_string())
            ),
        )
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(failed)
    }
    #[cfg(windows)]
    {
        // Top down: each missing folder gets the owner-only DACL.
        let mut missing: Vec<&Path> = dir.ancestors().take_while(|d| !d.exists()).collect();
        missing.reverse();
        for folder in missing {
            match win::create_private_dir(folder) {
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                other => other.map_err(failed)?,
            }
        }
        Ok(())
    }
}

/// `path` with a suffix on its file name (`cache.json` -> `cache.json.lock`).
pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Replaces the file with these entries: temporary file (0600) in the same
/// directory, fsync, rename, fsync of the directory (Unix; Windows has no
/// directory fsync, NTFS journals the rename).
fn write(path: &Path, entries: Vec<Entry>) -> Result<(), Error> {
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
        {
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| io_error(path, "cannot write it", e))
}

/// `std::fs::rename`: rename(2) on Unix; on Windows a replacing rename
/// (POSIX semantics where the system has them, else MoveFileExW with
/// MOVEFILE_REPLACE_EXISTING), which fails with "access denied" or a sharing
/// violation while another thread or process has the old file open (a
/// `load` reading it, an antivirus scanner): retried for up to a second.
fn rename(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(windows)]
    {
        let started = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(1);
        loop {
            match std::fs::rename(from, to) {
                // ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION
                Err(e)
                    if matches!(e.raw_os_error(), Some(5 | 32))
                        && started.elapsed() < std::time::Duration::from_secs(1) =>
                {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(std::time::Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }
    #[cfg(not(windows))]
    std::fs::rename(from, to)
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

/// Every entry of a cache file, expired ones too (none without a file).
pub fn entries(path: &Path) -> Result<Vec<Entry>, Error> {
    Ok(read(path)?.unwrap_or_default())
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

/// The owner-only security of the cache file on Windows.
#[cfg(windows)]
mod win {
    use std::fs::File;
    use std::io;
    use std::os::windows::ffi::OsStrExt;
    use std::os::windows::io::{AsRawHandle, FromRawHandle};
    use std::path::Path;

    use windows_sys::Win32::Foundation::{
        CloseHandle, LocalFree, GENERIC_READ, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE,
    };
    use windows_sys::Win32::Security::Authorization::{
        ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW,
        GetSecurityInfo, SDDL_REVISION_1, SE_FILE_OBJECT,
    };
    use windows_sys::Win32::Security::{
        EqualSid, GetAce, GetTokenInformation, TokenUser, ACE_HEADER, ACL,
        DACL_SECURITY_INFORMATION, OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID,
        SECURITY_ATTRIBUTES, TOKEN_QUERY, TOKEN_USER,
    };
    use windows_sys::Win32::Storage::FileSystem::{
        CreateDirectoryW, CreateFileW, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_DELETE,
        FILE_SHARE_READ, FILE_SHARE_WRITE,
    };
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    const ACCESS_ALLOWED_ACE_TYPE: u8 = 0;
    const ACCESS_DENIED_ACE_TYPE: u8 = 1;
    const ACCESS_ALLOWED_CALLBACK_ACE_TYPE: u8 = 9;
    const ACCESS_DENIED_CALLBACK_ACE_TYPE: u8 = 10;
    const INHERIT_ONLY_ACE: u8 = 8;
    /// Besides the user: OWNER RIGHTS, SYSTEM, BUILTIN\Administrators.
    const TRUSTED: [&str; 3] = ["S-1-3-4", "S-1-5-18", "S-1-5-32-544"];

    /// The process token's user (TOKEN_USER in an aligned buffer).
    struct User {
        buffer: Vec<u64>,
    }

    impl User {
        fn current() -> io::Result<User> {
            let mut token: HANDLE = std::ptr::null_mut();
            // SAFETY: the pseudo handle of this process; `token` is written.
            if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
                return Err(io::Error::last_os_error());
            }
            let mut buffer = vec![0u64; 64];
            let mut len = 0u32;
            // SAFETY: a buffer of the size given; the token is closed below.
            let ok = unsafe {
                GetTokenInformation(
                    token,
                    TokenUser,
                    buffer.as_mut_ptr().cast(),
                    (buffer.len() * 8) as u32,
                    &mut len,
                )
            };
            let error = io::Error::last_os_error();
            // SAFETY: a handle we opened.
            unsafe { CloseHandle(token) };
            if ok == 0 {
                return Err(error);
            }
            Ok(User { buffer })
        }

        fn sid(&self) -> PSID {
            // SAFETY: the buffer holds a TOKEN_USER whose SID points into it.
            unsafe { (*(self.buffer.as_ptr() as *const TOKEN_USER)).User.Sid }
        }
    }

    /// A SID in its string form (S-1-5-...).
    fn sid_string(sid: PSID) -> io::Result<String> {
        let mut wide: *mut u16 = std::ptr::null_mut();
        // SAFETY: a valid SID; the string is LocalAlloc'ed and freed below.
        if unsafe { ConvertSidToStringSidW(sid, &mut wide) } == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a NUL-terminated wide string from the call above.
        let text = unsafe {
            let len = (0..).take_while(|&i| *wide.add(i) != 0).count();
            String::from_utf16_lossy(std::slice::from_raw_parts(wide, len))
        };
        // SAFETY: allocated by ConvertSidToStringSidW.
        unsafe { LocalFree(wide.cast()) };
        Ok(text)
    }

    fn wide(text: &std::ffi::OsStr) -> Vec<u16> {
        text.encode_wide().chain(std::iter::once(0)).collect()
    }

    /// CreateFileW(CREATE_NEW) with owner = the user and a protected DACL
    /// granting the user alone full access: never readable by anyone else,
    /// not even for a moment, whatever the directory would let it inherit.
    pub(super) fn create_private(path: &Path) -> io::Result<File> {
        let user = User::current()?;
        let sid = sid_string(user.sid())?;
        with_descriptor(&format!("O:{sid}D:P(A;;FA;;;{sid})"), |attributes| {
            create_file(path, attributes)
        })
    }

    /// CreateDirectoryW with owner = the user and a protected DACL granting
    /// the user alone full access, inherited by what is created inside
    /// (OICI): the folder of the default token file.
    pub(super) fn create_private_dir(path: &Path) -> io::Result<()> {
        let user = User::current()?;
        let sid = sid_string(user.sid())?;
        with_descriptor(&format!("O:{sid}D:P(A;OICI;FA;;;{sid})"), |attributes| {
            let name = wide(path.as_os_str());
            // SAFETY: a NUL-terminated path and valid security attributes.
            if unsafe { CreateDirectoryW(name.as_ptr(), attributes) } == 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        })
    }

    /// Runs `create` with security attributes made from an SDDL string.
    fn with_descriptor<T>(
        sddl: &str,
        create: impl FnOnce(&SECURITY_ATTRIBUTES) -> io::Result<T>,
    ) -> io::Result<T> {
        let sddl = wide(sddl.as_ref());
        let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: a NUL-terminated SDDL string; the descriptor is freed below.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut descriptor,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        let attributes = SECURITY_ATTRIBUTES {
            nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: descriptor,
            bInheritHandle: 0,
        };
        let result = create(&attributes);
        // SAFETY: allocated by ConvertStringSecurityDescriptorToSecurityDescriptorW.
        unsafe { LocalFree(descriptor) };
        result
    }

    fn create_file(path: &Path, attributes: &SECURITY_ATTRIBUTES) -> io::Result<File> {
        let name = wide(path.as_os_str());
        // SAFETY: a NUL-terminated path and valid security attributes.
        let handle = unsafe {
            CreateFileW(
                name.as_ptr(),
                GENERIC_READ | GENERIC_WRITE,
                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                attributes,
                CREATE_NEW,
                FILE_ATTRIBUTE_NORMAL,
                std::ptr::null_mut(),
            )
        };
        if handle == INVALID_HANDLE_VALUE {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh handle that nothing else owns.
        Ok(unsafe { File::from_raw_handle(handle) })
    }

    /// `Ok(Err(why))` when the file is not the user's or others may read or
    /// write it.
    pub(super) fn check_private(file: &File) -> io::Result<Result<(), String>> {
        let user = User::current()?;
        let mut owner: PSID = std::ptr::null_mut();
        let mut dacl: *mut ACL = std::ptr::null_mut();
        let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: an open handle (READ_CONTROL); the descriptor is freed below.
        let status = unsafe {
            GetSecurityInfo(
                file.as_raw_handle(),
                SE_FILE_OBJECT,
                OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                &mut owner,
                std::ptr::null_mut(),
                &mut dacl,
                std::ptr::null_mut(),
                &mut descriptor,
            )
        };
        if status != 0 {
            return Err(io::Error::from_raw_os_error(status as i32));
        }
        let verdict = judge(&user, owner, dacl);
        // SAFETY: allocated by GetSecurityInfo; `owner` and `dacl` point into it.
        unsafe { LocalFree(descriptor) };
        verdict
    }

    fn judge(user: &User, owner: PSID, dacl: *mut ACL) -> io::Result<Result<(), String>> {
        // SAFETY: valid SIDs.
        if owner.is_null() || unsafe { EqualSid(owner, user.sid()) } == 0 {
            let who = if owner.is_null() {
                "nobody".to_string()
            } else {
                sid_string(owner)?
            };
            return Ok(Err(format!("it belongs to another user (owner {who})")));
        }
        if dacl.is_null() {
            return Ok(Err(
                "other users can read or write it (no DACL: everyone has full access)".into(),
            ));
        }
        // SAFETY: a valid ACL from GetSecurityInfo.
        let count = unsafe { (*dacl).AceCount };
        for i in 0..u32::from(count) {
            let mut ace: *mut core::ffi::c_void = std::ptr::null_mut();
            // SAFETY: an index below AceCount.
            if unsafe { GetAce(dacl, i, &mut ace) } == 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: every ACE starts with an ACE_HEADER.
            let header = unsafe { *(ace as *const ACE_HEADER) };
            if header.AceFlags & INHERIT_ONLY_ACE != 0 {
                continue;
            }
            match header.AceType {
                ACCESS_DENIED_ACE_TYPE | ACCESS_DENIED_CALLBACK_ACE_TYPE => continue,
                ACCESS_ALLOWED_ACE_TYPE | ACCESS_ALLOWED_CALLBACK_ACE_TYPE => {
                    // SAFETY: ACCESS_ALLOWED_ACE: header, mask, then the SID.
                    let (mask, sid) = unsafe {
                        let base = ace as *const u8;
                        (*(base.add(4) as *const u32), base.add(8) as PSID)
                    };
                    // SAFETY: valid SIDs.
                    if mask == 0 || unsafe { EqualSid(sid, user.sid()) } != 0 {
                        continue;
                    }
                    let who = sid_string(sid)?;
                    if !TRUSTED.contains(&who.as_str()) {
                        return Ok(Err(format!(
                            "other users can read or write it (its DACL allows {who}); \
                             it must allow only you (icacls <file> /inheritance:r /grant:r %USERNAME%:F)"
                        )));
                    }
                }
                other => {
                    return Ok(Err(format!(
                        "its DACL has an access entry of type {other} that this check does not know"
                    )))
                }
            }
        }
        Ok(Ok(()))
    }
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
