//! The sandbox's JSON config (`SandboxConfig::from_json`, what
//! etna_sandbox_start parses).
//!
//! Checks: a config that parses is valid (non-empty app key and user names
//! without control characters, max_attempts >= 1, unique user names), its
//! Debug never shows a password, PIN or code, and an error is one bounded
//! line that quotes none of them.
#![no_main]

use etna_auth::sandbox::SandboxConfig;
use etna_auth::Error;
use libfuzzer_sys::fuzz_target;

include!("common.rs");

/// The password, PIN and code strings of the accounts in a JSON document.
fn secrets(json: &str) -> Vec<String> {
    let Ok(serde_json::Value::Object(doc)) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(serde_json::Value::Array(accounts)) = doc.get("accounts") {
        for a in accounts {
            for key in ["password", "pin", "code"] {
                match a.get(key) {
                    Some(serde_json::Value::String(s)) => out.push(s.clone()),
                    // A PIN or code written as a number: serde's messages
                    // would quote it ("invalid type: integer `12345678`").
                    Some(v @ serde_json::Value::Number(_)) => out.push(v.to_string()),
                    _ => {}
                }
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    match SandboxConfig::from_json(json) {
        Ok(config) => {
            assert!(!config.app_key.is_empty());
            assert!(!config.app_key.chars().any(char::is_control));
            assert!(config.max_attempts >= 1);
            let mut names = std::collections::HashSet::new();
            for a in &config.accounts {
                assert!(!a.username.is_empty());
                assert!(!a.username.chars().any(char::is_control));
                assert!(
                    names.insert(a.username.clone()),
                    "duplicate {:?}",
                    a.username
                );
            }
            let shown = format!("{config:?}");
            for s in secrets(json) {
                assert!(!leaks(&shown, &s, json), "{s:?} in Debug {shown}");
            }
        }
        Err(msg) => {
            // What etna_sandbox_start shows: the message in an Error.
            let msg = Error::argument(format!("invalid sandbox config: {msg}"))
                .message()
                .to_owned();
            assert_safe_message(&msg, 4096);
            for s in secrets(json) {
                let rerun = |j: &str| {
                    SandboxConfig::from_json(j).err().map(|m| {
                        Error::argument(format!("invalid sandbox config: {m}"))
                            .message()
                            .to_owned()
                    })
                };
                assert!(!leaks_with(&msg, &s, json, rerun), "{s:?} in error {msg}");
            }
        }
    }
});
