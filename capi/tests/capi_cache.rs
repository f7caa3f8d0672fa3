//! The token cache through the C ABI: save, load, forget, the file's safety
//! rules, and concurrent saves.

mod common;

#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;
use etna_auth_capi::*;

fn token_server() -> Hostile {
    Hostile::start(|n, _, stream| {
        send(
            stream,
            &http(
                200,
                &format!(r#"{{"State":"Succeeded","Token":"tok-{n}"}}"#),
            ),
        );
        After::KeepAlive
    })
}

fn save(s: &S, path: &Path) -> i32 {
    unsafe { etna_save_token(s.0, c(path.to_str().unwrap()).as_ptr()) }
}

fn load(s: &S, path: &Path, user: &str, min_valid_s: u32) -> i32 {
    unsafe {
        etna_load_token(
            s.0,
            c(path.to_str().unwrap()).as_ptr(),
            c(user).as_ptr(),
            min_valid_s,
        )
    }
}

fn forget(path: &Path, base_url: &str, user: &str) -> i32 {
    unsafe {
        etna_forget_token(
            c(path.to_str().unwrap()).as_ptr(),
            c(base_url).as_ptr(),
            c(user).as_ptr(),
        )
    }
}

#[test]
fn save_then_load_in_a_new_session() {
    let server = token_server();
    let dir = temp_dir("cache-roundtrip");
    let path = dir.join("tokens.json");
    let s = S::new(&server.base_url, "k");
    assert_eq!(save(&s, &path), ETNA_ERR_STATE, "no token yet");
    assert!(!path.exists());
    assert_eq!(s.begin("ann", "pw"), ETNA_OK);
    assert_eq!(save(&s, &path), ETNA_OK, "{}", last_error());
    #[cfg(unix)]
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("\"ann\"") && !text.contains("\"pw\""),
        "{text}"
    );

    // Same base URL with a trailing slash: the same key.
    let fresh = S::new(&format!("{}/", server.base_url), "k");
    assert_eq!(
        load(&fresh, &path, "ann", 3600),
        ETNA_OK,
        "{}",
        last_error()
    );
    assert_eq!(fresh.token().unwrap(), s.token().unwrap());
    assert_eq!(fresh.expires_at(), s.expires_at());
    assert_eq!(server.request_count(), 1, "loading sent nothing");

    assert_eq!(load(&fresh, &path, "bob", 0), ETNA_ERR_NO_TOKEN);
    assert_eq!(
        load(&fresh, &path, "ann", 2 * 86400),
        ETNA_ERR_NO_TOKEN,
        "not valid long enough"
    );
    assert_eq!(
        load(&fresh, &dir.join("missing.json"), "ann", 0),
        ETNA_ERR_NO_TOKEN
    );
    let other = S::new("https://other.example/api", "k");
    assert_eq!(
        load(&other, &path, "ann", 0),
        ETNA_ERR_NO_TOKEN,
        "keyed by base URL"
    );

    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "the file and its lock only: {leftovers:?}"
    );
}

#[test]
fn forget_removes_one_entry() {
    let server = token_server();
    let dir = temp_dir("cache-forget");
    let path = dir.join("tokens.json");
    for user in ["u1", "u2"] {
        let s = S::new(&server.base_url, "k");
        assert_eq!(s.begin(user, "pw"), ETNA_OK);
        assert_eq!(save(&s, &path), ETNA_OK);
    }
    assert_eq!(
        forget(&path, &format!("{}/", server.base_url), "u1"),
        ETNA_OK
    );
    let s = S::new(&server.base_url, "k");
    assert_eq!(load(&s, &path, "u1", 0), ETNA_ERR_NO_TOKEN);
    assert_eq!(load(&s, &path, "u2", 0), ETNA_OK);
    assert_eq!(forget(&path, &server.base_url, "nobody"), ETNA_OK);
    assert_eq!(
        forget(&dir.join("none.json"), &server.base_url, "u2"),
        ETNA_OK
    );
    assert!(!dir.join("none.json").exists());
}

#[test]
fn foreign_corrupt_or_open_files_are_refused_and_left_untouched() {
    let server = token_server();
    let s = S::new(&server.base_url, "k");
    assert_eq!(s.begin("ann", "pw"), ETNA_OK);
    let dir = temp_dir("cache-refuse");
    let cases: [(&str, &[u8], u32); 4] = [
        (
            "corrupt.json",
            b"{\"format\": \"etna-auth token cache\", \"version\": 1, \"entr",
            0o600,
        ),
        ("foreign.json", b"{\"servers\": [1, 2, 3]}\n", 0o600),
        ("binary.json", b"\x00\xff\xfe garbage", 0o600),
        (
            "open.json",
            b"{\"format\":\"etna-auth token cache\",\"version\":1,\"entries\":[]}",
            0o644,
        ),
    ];
    for (name, contents, mode) in cases {
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        // Windows: tests/windows_cache.rs makes files others can read.
        #[cfg(unix)]
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        #[cfg(windows)]
        if mode != 0o600 {
            continue;
        }
        #[cfg(windows)]
        make_private(&path);
        assert_eq!(save(&s, &path), ETNA_ERR_IO, "{name}");
        let msg = last_error();
        assert!(msg.contains(name) && !msg.contains("tok-"), "{msg}");
        assert_eq!(load(&s, &path, "ann", 0), ETNA_ERR_IO, "{name}");
        assert_eq!(
            forget(&path, &server.base_url, "ann"),
            ETNA_ERR_IO,
            "{name}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), contents, "{name} untouched");
        #[cfg(unix)]
        if mode == 0o644 {
            assert!(msg.contains("644") && msg.contains("chmod 600"), "{msg}");
        }
    }
    assert_eq!(
        save(&s, &dir.join("no-such-dir").join("t.json")),
        ETNA_ERR_IO
    );
}

#[test]
fn a_cached_token_that_is_unsafe_in_a_header_is_refused() {
    let dir = temp_dir("cache-unsafe");
    let path = dir.join("tokens.json");
    let base = "https://h.example/api";
    let json = format!(
        r#"{{"format":"etna-auth token cache","version":1,"entries":[{{"base_url":"{base}","username":"ann","token":"a\r\nX-Evil: 1","expires_at":{}}}]}}"#,
        // Within a token's lifetime: a later expiry is never handed out anyway.
        etna_auth::token_cache::unix_now() + 3600
    );
    std::fs::write(&path, json).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    #[cfg(windows)]
    make_private(&path);
    let s = S::new(base, "k");
    assert_eq!(load(&s, &path, "ann", 0), ETNA_ERR_IO);
    assert_eq!(s.token(), Err(ETNA_ERR_STATE));
}

#[test]
fn concurrent_saves_lose_no_entry() {
    let server = token_server();
    let dir = temp_dir("cache-concurrent");
    let path = dir.join("tokens.json");
    std::thread::scope(|scope| {
        for i in 0..8 {
            let (path, url) = (path.clone(), server.base_url.clone());
            scope.spawn(move || {
                let s = S::new(&url, "k");
                assert_eq!(s.begin(&format!("user{i}"), "pw"), ETNA_OK);
                for _ in 0..10 {
                    assert_eq!(save(&s, &path), ETNA_OK, "{}", last_error());
                }
            });
        }
    });
    let s = S::new(&server.base_url, "k");
    for i in 0..8 {
        assert_eq!(load(&s, &path, &format!("user{i}"), 0), ETNA_OK, "user{i}");
    }
}

#[test]
fn bad_arguments() {
    unsafe {
        assert_eq!(
            etna_save_token(std::ptr::null(), c("/tmp/x").as_ptr()),
            ETNA_ERR_ARGUMENT
        );
        assert_eq!(
            etna_load_token(
                std::ptr::null_mut(),
                c("/tmp/x").as_ptr(),
                c("u").as_ptr(),
                0
            ),
            ETNA_ERR_ARGUMENT
        );
        // A NULL store is the default store (as for etna_acquire_token):
        // still refused here for the NULL base URL, before anything is touched.
        assert_eq!(
            etna_forget_token(std::ptr::null(), std::ptr::null(), c("u").as_ptr()),
            ETNA_ERR_ARGUMENT
        );
        assert_eq!(
            etna_forget_token(c("/tmp/x").as_ptr(), std::ptr::null(), c("u").as_ptr()),
            ETNA_ERR_ARGUMENT
        );
    }
}

/// Windows: the owner-only DACL that the cache asks for (what chmod 600 is
/// on Unix), on a file that std::fs::write made with an inherited one.
#[cfg(windows)]
fn make_private(path: &Path) {
    windows_acl::set_sddl(path, &windows_acl::owner_only_sddl());
}

#[cfg(windows)]
#[path = "windows/acl.rs"]
mod windows_acl;
