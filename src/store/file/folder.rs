//! The token file's folder: created owner-only when missing, and refused
//! when other users could write to it.
//!
//! Why the check: in a folder that others can write (and that has no sticky
//! bit), another user can plant the lock files, or the token file's
//! temporary file, as links to files of the victim's choosing before
//! etna-auth creates them, or swap the token file for another. Like ssh's
//! StrictModes and git's credential cache, such a folder is refused with a
//! message naming it and why. The folder that holds the files is checked,
//! not its parents (as git's credential cache does); the files themselves
//! are opened without following links where they are created (`open`).
//!
//! A folder writable by its group passes when that group is the user's own
//! private group (the user's primary group, with no other members listed),
//! as Debian's OpenSSH allows: with the user-private-group scheme (umask
//! 002, Debian's and Ubuntu's default) every folder a user makes is
//! group-writable, by nobody else.

use std::path::Path;

use crate::error::{quote, Error, Status};

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
            match super::windows::create_private_dir(folder) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                other => other.map_err(failed)?,
            }
        }
        Ok(())
    }
}

/// Refuses `dir` when other users can write to it (see the module
/// documentation). A folder that does not exist holds nothing to be fooled
/// by: not an error here.
#[cfg(unix)]
pub fn check_folder(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(refused(dir, &format!("cannot inspect it: {e}"))),
    };
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    let group = Group {
        private: meta.mode() & 0o020 != 0 && private_group(meta.gid()),
    };
    judge(meta.mode(), meta.uid(), me, group).map_err(|why| refused(dir, &why))
}

/// What [`judge`] needs to know of a folder's group.
#[cfg(unix)]
#[derive(Clone, Copy)]
struct Group {
    /// The user's own private group: nobody else is in it.
    private: bool,
}

/// Whether `gid` is the user's private group: the process's primary group,
/// with no members listed in the group database (others whose primary group
/// it is are not looked for: with user private groups there are none).
#[cfg(unix)]
fn private_group(gid: u32) -> bool {
    // SAFETY: getegid cannot fail.
    if gid != unsafe { libc::getegid() } {
        return false;
    }
    let mut group: libc::group = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::group = std::ptr::null_mut();
    let mut buf = vec![0 as libc::c_char; 64 * 1024];
    // SAFETY: the buffers are ours and sized as given; `found` is set to
    // `&mut group` or NULL.
    let rc = unsafe { libc::getgrgid_r(gid, &mut group, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() || group.gr_mem.is_null() {
        return false;
    }
    // SAFETY: gr_mem is a NULL-terminated array that getgrgid_r filled in.
    unsafe { (*group.gr_mem).is_null() }
}

/// Windows: the folders etna-auth creates are owner-only; one the caller
/// names is not checked here (the token file's own DACL is).
#[cfg(windows)]
pub fn check_folder(_dir: &Path) -> Result<(), Error> {
    Ok(())
}

#[cfg(unix)]
fn refused(dir: &Path, why: &str) -> Error {
    Error::new(
        Status::Io,
        format!(
            "the token store's folder {} is refused: {why}",
            quote(&dir.display().to_string())
        ),
    )
}

/// A folder's mode bits, owner and group, judged for the user `me`. Pure.
#[cfg(unix)]
fn judge(mode: u32, owner: u32, me: u32, group: Group) -> Result<(), String> {
    const STICKY: u32 = 0o1000;
    if owner != me && owner != 0 {
        return Err(format!(
            "it belongs to another user (uid {owner}), who could plant links to your files in it; \
             keep your tokens in a folder of your own"
        ));
    }
    let group_writes = mode & 0o020 != 0 && !group.private;
    let writers = match (group_writes, mode & 0o002 != 0) {
        (_, true) => "every user",
        (true, false) => "its group",
        (false, false) => return Ok(()),
    };
    if mode & STICKY != 0 {
        // /tmp: others can create files there but not replace or remove ours.
        return Ok(());
    }
    Err(format!(
        "{writers} can write to it (mode {:o}, no sticky bit), so another user could plant links \
         to your files where etna-auth creates its own; use a folder only you can write \
         (chmod go-w), or one with the sticky bit such as /tmp",
        mode & 0o7777
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    const ME: u32 = 1000;
    const SHARED: Group = Group { private: false };
    const PRIVATE: Group = Group { private: true };

    #[test]
    fn a_folder_others_can_write_is_refused_unless_sticky() {
        assert!(judge(0o40700, ME, ME, SHARED).is_ok());
        assert!(judge(0o40755, ME, ME, SHARED).is_ok());
        assert!(
            judge(0o40755, 0, ME, SHARED).is_ok(),
            "root's folders are trusted"
        );
        assert!(judge(0o41777, 0, ME, SHARED).is_ok(), "/tmp");
        let open = judge(0o40777, ME, ME, SHARED).unwrap_err();
        assert!(
            open.contains("every user") && open.contains("777"),
            "{open}"
        );
        let group = judge(0o40770, ME, ME, SHARED).unwrap_err();
        assert!(group.contains("its group"), "{group}");
        assert!(judge(0o40757, 0, ME, SHARED).is_err());
    }

    #[test]
    fn a_folder_writable_by_the_user_private_group_alone_passes() {
        assert!(judge(0o40775, ME, ME, PRIVATE).is_ok(), "umask 002");
        assert!(judge(0o40770, ME, ME, PRIVATE).is_ok());
        assert!(
            judge(0o40777, ME, ME, PRIVATE).is_err(),
            "others still refused"
        );
        assert!(judge(0o40775, 1001, ME, PRIVATE).is_err(), "not our folder");
    }

    #[test]
    fn a_folder_of_another_user_is_refused() {
        let theirs = judge(0o40700, 1001, ME, SHARED).unwrap_err();
        assert!(theirs.contains("uid 1001"), "{theirs}");
        assert!(judge(0o41777, 1001, ME, SHARED).is_err(), "sticky or not");
    }

    #[test]
    fn the_message_names_the_folder() {
        let dir = std::env::temp_dir().join(format!("etna-folder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let error = check_folder(&dir).unwrap_err();
        assert_eq!(error.status(), Status::Io);
        assert!(
            error.message().contains(&dir.display().to_string()),
            "{error}"
        );
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        check_folder(&dir).unwrap();
        check_folder(&dir.join("missing")).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
