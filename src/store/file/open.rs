//! Opening the token file and its lock files as a hostile folder cannot
//! abuse: never blocking on the open (a FIFO in place of the file would
//! hang a reader for good), nothing but a regular file accepted (checked on
//! the open file, `fstat`), no more read than a token file can hold (a
//! link to `/dev/zero` or `/proc/self/pagemap` would have a reader allocate
//! until it dies), and lock files created without following a symbolic
//! link (which could point at any file of the user's). Every file is
//! opened close-on-exec (Rust's default: `O_CLOEXEC` on Unix, handles not
//! inherited on Windows), so that a child process never holds a lock.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
#[cfg(unix)]
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
#[cfg(windows)]
use std::os::windows::fs::OpenOptionsExt;
use std::path::Path;

use zeroize::Zeroizing;

use super::{io_error, parse, Entry};
use crate::error::Error;

/// The most a token file may hold: a token is about 100 bytes, an entry a
/// few hundred, so a file of a thousand users fits many times over.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Not following a link where the lock files are created; not blocking on
/// a FIFO or device.
#[cfg(unix)]
const NO_FOLLOW: i32 = libc::O_NOFOLLOW;
#[cfg(unix)]
const NO_BLOCK: i32 = libc::O_NONBLOCK;

/// Reads the entries of a token file; `Ok(None)` when it does not exist.
pub(super) fn read(path: &Path) -> Result<Option<Vec<Entry>>, Error> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    options.custom_flags(NO_BLOCK);
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "cannot open it", e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| io_error(path, "cannot inspect it", e))?;
    if !meta.is_file() {
        return Err(io_error(
            path,
            "refused",
            format!("it is not a regular file ({})", kind_of(&meta)),
        ));
    }
    check_private(path, &file, &meta)?;
    let bytes = read_capped(&file).map_err(|e| io_error(path, "cannot read it", e))?;
    let Some(bytes) = bytes else {
        return Err(io_error(
            path,
            "refused",
            format!(
                "it holds more than {} KiB, which no token file does",
                MAX_FILE_BYTES / 1024
            ),
        ));
    };
    parse(&bytes)
        .map(Some)
        .map_err(|why| io_error(path, "refused", why))
}

/// The whole file, or `None` when it holds more than [`MAX_FILE_BYTES`]
/// (what a file's size says is not trusted: `/proc` files say 0).
fn read_capped(file: &File) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= MAX_FILE_BYTES).then_some(bytes))
}

/// "a FIFO", "a folder", ... for the message refusing it.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    if meta.is_dir() {
        "a folder"
    } else if meta.file_type().is_symlink() {
        "a symbolic link"
    } else {
        "not a plain file"
    }
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
/// (its owner and DACL; see the module documentation of [`super`]).
#[cfg(windows)]
fn check_private(path: &Path, file: &File, _meta: &std::fs::Metadata) -> Result<(), Error> {
    match super::windows::check_private(file) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(why)) => Err(io_error(path, "refused", why)),
        Err(e) => Err(io_error(path, "cannot inspect its security descriptor", e)),
    }
}

/// Creates `path`, which must not exist, for writing, readable and writable
/// by the current user alone from the start. `O_EXCL` never follows a link.
pub(super) fn create_private(path: &Path) -> std::io::Result<File> {
    #[cfg(unix)]
    return OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(NO_FOLLOW)
        .open(path);
    #[cfg(windows)]
    return super::windows::create_private(path);
}

/// Opens (creating it, mode 0600) a lock file: never through a symbolic
/// link, never blocking, and only a regular file. It holds nothing but its
/// holder's line (`store::wait`): its OS lock is what matters, which the OS
/// releases when the process ends, however it ends. Lock files are never
/// removed: removing one while another process waits on it would let two
/// holders in.
pub(crate) fn open_lock_file(lock_path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    options.mode(0o600).custom_flags(NO_FOLLOW | NO_BLOCK);
    // The link itself, not its target: refused below as not a regular file.
    #[cfg(windows)]
    options.custom_flags(windows_sys::Win32::Storage::FileSystem::FILE_FLAG_OPEN_REPARSE_POINT);
    let file = options.open(lock_path).map_err(named_link)?;
    let meta = file.metadata()?;
    if meta.file_type().is_symlink() {
        return Err(link_refused());
    }
    if !meta.is_file() {
        return Err(std::io::Error::new(
            ErrorKind::InvalidInput,
            format!("it is {}, not a regular file: refused", kind_of(&meta)),
        ));
    }
    Ok(file)
}

/// `ELOOP` from `O_NOFOLLOW` said plainly.
#[cfg(unix)]
fn named_link(e: std::io::Error) -> std::io::Error {
    match e.raw_os_error() == Some(libc::ELOOP) {
        true => link_refused(),
        false => e,
    }
}

/// Windows: the link itself is opened (FILE_FLAG_OPEN_REPARSE_POINT) and
/// refused below.
#[cfg(windows)]
fn named_link(e: std::io::Error) -> std::io::Error {
    e
}

fn link_refused() -> std::io::Error {
    std::io::Error::new(
        ErrorKind::InvalidInput,
        "it is a symbolic link, which a lock file never is: refused \
         (someone may have planted it; remove it if it is yours)",
    )
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("etna-open-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_lock_file_is_never_opened_through_a_link() {
        let dir = scratch("link");
        let target = dir.join("target");
        std::os::unix::fs::symlink(&target, dir.join("x.lock")).unwrap();
        let error = open_lock_file(&dir.join("x.lock")).unwrap_err();
        assert!(error.to_string().contains("symbolic link"), "{error}");
        assert!(!target.exists(), "the link's target was not created");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_fifo_is_refused_at_once() {
        let dir = scratch("fifo");
        let fifo = dir.join("tokens.json");
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let error = read(&fifo).unwrap_err();
        assert!(error.message().contains("a FIFO"), "{error}");
        let error = open_lock_file(&fifo).unwrap_err();
        assert!(error.to_string().contains("a FIFO"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_endless_file_is_read_no_further_than_the_cap() {
        let error = read_capped(&File::open("/dev/zero").unwrap()).unwrap();
        assert!(error.is_none());
        let dir = scratch("big");
        let big = dir.join("tokens.json");
        std::fs::write(&big, vec![b' '; MAX_FILE_BYTES as usize + 1]).unwrap();
        std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o600)).unwrap();
        let error = read(&big).unwrap_err();
        assert!(error.message().contains("more than 1024 KiB"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
