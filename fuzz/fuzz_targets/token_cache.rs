//! The token cache file's contents (`token_cache::parse`, what
//! etna_load_token reads from disk).
//!
//! Checks: never panics on any bytes; the Debug of parsed entries never
//! shows a token; an error is one bounded line that quotes no token.
#![no_main]

use etna_auth::token_cache;
use etna_auth::{Error, Status};
use libfuzzer_sys::fuzz_target;

include!("common.rs");

/// The `token` strings of the entries in a JSON document.
fn tokens(text: &str) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(entries) = doc.get("entries").and_then(|e| e.as_array()) {
        for e in entries {
            if let Some(t) = e.get("token").and_then(|t| t.as_str()) {
                out.push(t.to_owned());
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match token_cache::parse(data) {
        Ok(entries) => {
            let shown = format!("{entries:?}");
            for e in &entries {
                assert!(
                    !leaks(&shown, e.token.expose(), &text),
                    "token in Debug {shown}"
                );
            }
            // What we parse, we can write back and read again.
            let again = token_cache::parse(&token_cache::render(entries.clone()))
                .expect("a rendered cache parses");
            assert_eq!(again, entries);
        }
        Err(msg) => {
            // What etna_load_token shows: the message in an Error (which
            // escapes control characters; serde quotes keys as they are).
            let msg = Error::new(Status::Io, msg).message().to_owned();
            assert_safe_message(&msg, 4096);
            for t in tokens(&text) {
                let rerun = |j: &str| {
                    token_cache::parse(j.as_bytes())
                        .err()
                        .map(|m| Error::new(Status::Io, m).message().to_owned())
                };
                assert!(
                    !leaks_with(&msg, &t, &text, rerun),
                    "token {t:?} in error {msg}"
                );
            }
        }
    }
});
