//! Base URL parsing (`Endpoint::parse`, what etna_new checks).
//!
//! Checks: an accepted URL gives a token URL the HTTP stack parses, that
//! ends in "/token" with no user info, query or fragment, and is https or
//! plain http to a loopback host only; every message is one bounded line
//! that never shows the user info (which may hold a password).
#![no_main]

use etna_auth::protocol::{is_loopback_host, Endpoint};
use libfuzzer_sys::fuzz_target;

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else {
        return;
    };
    match Endpoint::parse(url) {
        Ok(e) => {
            assert!(e.token_url.ends_with("/token"), "{e:?}");
            let uri: ureq::http::Uri = e
                .token_url
                .parse()
                .unwrap_or_else(|err| panic!("token URL {:?} does not parse: {err}", e.token_url));
            let authority = uri.authority().expect("a host").as_str();
            assert!(!authority.contains('@'), "user info in {:?}", e.token_url);
            assert!(uri.query().is_none(), "query in {:?}", e.token_url);
            assert!(!e.token_url.contains('#'));
            assert_eq!(uri.host().unwrap_or(""), e.host);
            match uri.scheme_str() {
                Some("https") => assert!(!e.plain_http),
                Some("http") => {
                    assert!(e.plain_http);
                    assert!(is_loopback_host(&e.host), "plain http to {:?}", e.host);
                }
                other => panic!("scheme {other:?} accepted in {url:?}"),
            }
            assert!(!e
                .token_url
                .chars()
                .any(|c| c.is_control() || c.is_whitespace()));
        }
        Err(err) => {
            assert_eq!(err.status(), etna_auth::Status::Argument);
            assert_safe_message(err.message(), 4096);
            // The user info of scheme://user:pw@host/... never shows.
            if let Some(start) = url.find("://").map(|i| i + 3) {
                let end = url[start..]
                    .find(['/', '?', '#'])
                    .map_or(url.len(), |i| start + i);
                if let Some(at) = url[start..end].rfind('@') {
                    let userinfo = &url[start..start + at];
                    let rerun = |u: &str| Endpoint::parse(u).err().map(|e| e.message().to_owned());
                    assert!(
                        !leaks_with(err.message(), userinfo, url, rerun),
                        "user info {userinfo:?} in {:?}",
                        err.message()
                    );
                }
            }
        }
    }
});
