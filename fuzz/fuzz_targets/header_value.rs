//! Header value validation and message quoting.
//!
//! `check_header_value` must accept exactly the strings without control
//! characters, everything it accepts must be a valid HTTP header value for
//! the HTTP stack (no request can fail later or be split), and its message
//! never repeats the value. `quote` (used for everything the server says)
//! always gives one bounded line.
#![no_main]

use etna_auth::error::{quote, quote_bytes};
use etna_auth::protocol::check_header_value;
use libfuzzer_sys::fuzz_target;

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let q = quote_bytes(data);
    assert_safe_message(&q, 2100);
    assert!(q.starts_with('"') && q.ends_with('"'));

    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    let q = quote(value);
    assert_safe_message(&q, 2100);

    let has_control = value.chars().any(char::is_control);
    match check_header_value("password", value) {
        Ok(()) => {
            assert!(!has_control, "accepted a control character: {value:?}");
            assert!(
                ureq::http::HeaderValue::from_bytes(value.as_bytes()).is_ok(),
                "accepted a value the HTTP stack refuses: {value:?}"
            );
        }
        Err(e) => {
            assert!(
                has_control,
                "refused a value without control characters: {value:?}"
            );
            assert_eq!(e.status(), etna_auth::Status::Argument);
            assert_safe_message(e.message(), 400);
            // The message does not depend on the value.
            let reference = check_header_value("password", "\r").unwrap_err();
            assert_eq!(e.message(), reference.message());
        }
    }
});
