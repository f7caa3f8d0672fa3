//! The owner-only security of the token file on Windows: files and
//! folders created with the user as owner and a protected DACL that grants
//! the user alone full access, and the check that a file read is the
//! user's and readable or writable by nobody else (the module documentation
//! of [`super`] says what counts).

use std::fs::File;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle};
use std::path::Path;

use windows_sys::Win32::Foundation::{
    CloseHandle, LocalFree, GENERIC_READ, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, GetSecurityInfo,
    SDDL_REVISION_1, SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    EqualSid, GetAce, GetTokenInformation, TokenUser, ACE_HEADER, ACL, DACL_SECURITY_INFORMATION,
    OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, SECURITY_ATTRIBUTES, TOKEN_QUERY,
    TOKEN_USER,
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
