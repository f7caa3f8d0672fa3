//! Answer classification: `classify(status, location, body)` on any bytes.
//!
//! Input: 2 bytes status (big endian), 1 byte Location length (255: none),
//! that many Location bytes, then the body.
//!
//! Checks, besides "never panics": the documented status families (3xx is a
//! protocol error, 5xx/429 a server error, except the app-key body which
//! wins whatever the status), success only on 200/202 with a token that is
//! safe in an Authorization header, and a message that is one bounded line
//! and never quotes the Token.
#![no_main]

use etna_auth::protocol::{check_token, classify, Answer};
use etna_auth::Status;
use libfuzzer_sys::fuzz_target;

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let status = u16::from_be_bytes([data[0], data[1]]);
    let loc_len = data[2] as usize;
    let rest = &data[3..];
    let (location, body) = if loc_len == 255 {
        (None, rest)
    } else if rest.len() >= loc_len {
        (
            Some(String::from_utf8_lossy(&rest[..loc_len]).into_owned()),
            &rest[loc_len..],
        )
    } else {
        return;
    };

    match classify(status, location.as_deref(), body) {
        Ok(Answer::Succeeded { token }) => {
            assert_eq!(status, 200);
            assert!(check_token(token.expose()).is_ok());
            assert_eq!(format!("{token:?}"), "Secret(<redacted>)");
        }
        Ok(Answer::Expecting {
            interim, reason, ..
        }) => {
            assert_eq!(status, 202);
            assert!(check_token(interim.expose()).is_ok());
            // The Reason goes to etna_last_error as is after a NEED status;
            // the C side makes a CString of it (NULs escaped there).
            let _ = reason;
        }
        Err(e) => {
            let s = e.status();
            let allowed: &[Status] = if (300..400).contains(&status) {
                &[Status::AppKey, Status::Protocol]
            } else if status >= 500 || status == 429 {
                &[Status::AppKey, Status::Server]
            } else {
                &[
                    Status::AppKey,
                    Status::Credentials,
                    Status::Rejected,
                    Status::Protocol,
                ]
            };
            assert!(allowed.contains(&s), "HTTP {status} gave {s:?}: {e}");
            if matches!(s, Status::Credentials | Status::Rejected) {
                assert!(
                    status == 200 || status == 202 || (400..500).contains(&status),
                    "{status} {e}"
                );
            }
            // Quotes are cut to ~200 characters of up to 10 bytes each
            // once escaped; at most five quotes (Location or four fields).
            assert_safe_message(e.message(), 12 * 1024);
            // The message never carries the Token of a JSON answer.
            if let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice(body) {
                let text = String::from_utf8_lossy(body);
                for (key, value) in &obj {
                    if key.eq_ignore_ascii_case("token") {
                        if let Some(token) = value.as_str() {
                            let loc = location.as_deref().unwrap_or("");
                            let rerun = |b: &str| {
                                classify(status, location.as_deref(), b.as_bytes())
                                    .err()
                                    .map(|e| e.message().to_owned())
                            };
                            assert!(
                                !leaks_with(e.message(), token, &text, rerun)
                                    || loc.contains(token),
                                "token {token:?} in message {:?}",
                                e.message()
                            );
                        }
                    }
                }
            }
        }
    }
});
