//! Proxy URL parsing and NO_PROXY matching (`etna_set_proxy`, the
//! environment). Input: proxy URL, a 0xff byte, NO_PROXY, 0xff, host.
//!
//! Checks: never panics; an accepted proxy is http:// and its Debug hides
//! the user info; an error is one bounded line without the user info.
#![no_main]

use etna_auth::proxy::{no_proxy_matches, ProxyUrl};
use libfuzzer_sys::fuzz_target;

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0xff);
    let url = String::from_utf8_lossy(parts.next().unwrap_or(b""));
    let no_proxy = String::from_utf8_lossy(parts.next().unwrap_or(b""));
    let host = String::from_utf8_lossy(parts.next().unwrap_or(b""));
    let _ = no_proxy_matches(&no_proxy, &host);

    let userinfo = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|a| a.rfind('@').map(|at| a[..at].to_owned()));
    match ProxyUrl::parse(&url) {
        Ok(p) => {
            assert!(p
                .as_str()
                .get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("http://")));
            if let Some(ui) = &userinfo {
                let shown = format!("{p:?}");
                let rerun = |u: &str| ProxyUrl::parse(u).ok().map(|p| format!("{p:?}"));
                assert!(!leaks_with(&shown, ui, &url, rerun), "{ui:?} in {shown}");
            }
        }
        Err(e) => {
            assert_safe_message(e.message(), 4096);
            if let Some(ui) = &userinfo {
                let rerun = |u: &str| ProxyUrl::parse(u).err().map(|e| e.message().to_owned());
                assert!(
                    !leaks_with(e.message(), ui, &url, rerun),
                    "{ui:?} in {:?}",
                    e.message()
                );
            }
        }
    }
});
