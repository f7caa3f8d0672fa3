//! Windows: the token cache file is created with an owner-only DACL, and a
//! file that other users can read is refused and left untouched (what
//! tests/capi_cache.rs checks with Unix modes).
#![cfg(windows)]

#[path = "windows/acl.rs"]
mod acl;
mod common;

use std::path::Path;

use common::*;
use etna_auth_capi::*;

fn token_server() -> Hostile {
    Hostile::start(|_, _, stream| {
        send(
            stream,
            &http(200, r#"{"State":"Succeeded","Token":"tok-win"}"#),
        );
        After::KeepAlive
    })
}

fn cache_call(path: &Path, f: impl FnOnce(*const std::ffi::c_char) -> i32) -> i32 {
    let p = c(path.to_str().unwrap());
    f(p.as_ptr())
}

#[test]
fn the_cache_file_is_the_users_alone_and_an_open_one_is_refused() {
    let server = token_server();
    let s = S::new(&server.base_url, "k");
    assert_eq!(s.begin("ann", "pw"), ETNA_OK, "{}", last_error());
    let dir = temp_dir("win-cache");
    let path = dir.join("tokens.json");
    assert_eq!(
        cache_call(&path, |p| unsafe { etna_save_token(s.0, p) }),
        ETNA_OK,
        "{}",
        last_error()
    );
    let me = acl::my_sid();
    let sddl = acl::get_sddl(&path);
    // Windows keeps the DACL the file was created with: O:<me>D:P(A;;FA;;;<me>).
    // Wine (without extended attributes to keep it in) shows one made from
    // the Unix mode it mapped it to, 0600: (A;;FA;;;SY)(A;;FA;;;<me>).
    assert!(sddl.starts_with(&format!("O:{me}D:")), "{sddl}");
    assert!(sddl.contains(&format!("(A;;FA;;;{me})")), "{sddl}");
    let others = sddl
        .split('(')
        .skip(1)
        .filter(|ace| !ace.ends_with(&format!(";{me})")) && !ace.ends_with(";SY)"))
        .count();
    assert_eq!(others, 0, "nobody but the user and SYSTEM: {sddl}");

    // Everyone may read it: refused, untouched.
    acl::set_sddl(&path, &format!("O:{me}D:P(A;;FA;;;{me})(A;;FR;;;WD)"));
    let before = std::fs::read(&path).unwrap();
    assert_eq!(
        cache_call(&path, |p| unsafe { etna_save_token(s.0, p) }),
        ETNA_ERR_IO
    );
    let msg = last_error();
    assert!(
        msg.contains("S-1-1-0") && msg.contains("tokens.json"),
        "{msg}"
    );
    assert!(!msg.contains("tok-win"), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "untouched");
    assert!(
        acl::get_sddl(&path).contains("WD)"),
        "still open to Everyone"
    );

    // Back to owner only: accepted again.
    acl::set_sddl(&path, &acl::owner_only_sddl());
    assert_eq!(
        cache_call(&path, |p| unsafe { etna_save_token(s.0, p) }),
        ETNA_OK,
        "{}",
        last_error()
    );
}
