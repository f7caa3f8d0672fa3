//! Windows test helper (shared by tests/capi_cache.rs and
//! tests/windows_cache.rs): a file's owner and DACL as SDDL.
#![allow(dead_code)]

use std::os::windows::ffi::OsStrExt;
use std::path::Path;

use windows_sys::Win32::Foundation::{CloseHandle, LocalFree, HANDLE};
use windows_sys::Win32::Security::Authorization::{
    ConvertSecurityDescriptorToStringSecurityDescriptorW, ConvertSidToStringSidW,
    ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{
    GetFileSecurityW, GetTokenInformation, SetFileSecurityW, TokenUser, DACL_SECURITY_INFORMATION,
    OWNER_SECURITY_INFORMATION, PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR,
    TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

fn wide(text: &std::ffi::OsStr) -> Vec<u16> {
    text.encode_wide().chain(std::iter::once(0)).collect()
}

unsafe fn take_wide(p: *mut u16) -> String {
    let len = (0..).take_while(|&i| *p.add(i) != 0).count();
    let s = String::from_utf16_lossy(std::slice::from_raw_parts(p, len));
    LocalFree(p.cast());
    s
}

/// The current user's SID, S-1-5-...
pub fn my_sid() -> String {
    unsafe {
        let mut token: HANDLE = std::ptr::null_mut();
        assert_ne!(
            OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token),
            0
        );
        let mut buffer = vec![0u64; 64];
        let mut len = 0;
        assert_ne!(
            GetTokenInformation(token, TokenUser, buffer.as_mut_ptr().cast(), 512, &mut len),
            0
        );
        CloseHandle(token);
        let sid = (*(buffer.as_ptr() as *const TOKEN_USER)).User.Sid;
        let mut text = std::ptr::null_mut();
        assert_ne!(ConvertSidToStringSidW(sid, &mut text), 0);
        take_wide(text)
    }
}

/// What chmod 600 is on Unix.
pub fn owner_only_sddl() -> String {
    let me = my_sid();
    format!("O:{me}D:P(A;;FA;;;{me})")
}

/// Sets a file's owner and DACL (protected: nothing inherited).
pub fn set_sddl(path: &Path, sddl: &str) {
    unsafe {
        let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        let text = wide(sddl.as_ref());
        assert_ne!(
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                text.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                std::ptr::null_mut()
            ),
            0,
            "{sddl}"
        );
        let ok = SetFileSecurityW(
            wide(path.as_os_str()).as_ptr(),
            OWNER_SECURITY_INFORMATION
                | DACL_SECURITY_INFORMATION
                | PROTECTED_DACL_SECURITY_INFORMATION,
            sd,
        );
        LocalFree(sd);
        assert_ne!(
            ok,
            0,
            "SetFileSecurityW {}: {}",
            path.display(),
            std::io::Error::last_os_error()
        );
    }
}

/// A file's owner and DACL as SDDL.
pub fn get_sddl(path: &Path) -> String {
    unsafe {
        let name = wide(path.as_os_str());
        let what = OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
        let mut buffer = vec![0u64; 1024];
        let mut needed = 0;
        assert_ne!(
            GetFileSecurityW(
                name.as_ptr(),
                what,
                buffer.as_mut_ptr().cast(),
                8192,
                &mut needed
            ),
            0,
            "GetFileSecurityW {}",
            path.display()
        );
        let mut text = std::ptr::null_mut();
        assert_ne!(
            ConvertSecurityDescriptorToStringSecurityDescriptorW(
                buffer.as_mut_ptr().cast(),
                SDDL_REVISION_1,
                what,
                &mut text,
                std::ptr::null_mut()
            ),
            0
        );
        take_wide(text)
    }
}
