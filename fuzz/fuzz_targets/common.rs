// Shared by the fuzz targets (included with `include!`).

/// A message the library shows: one line, no control characters, bounded.
#[allow(dead_code)]
fn assert_safe_message(msg: &str, max_len: usize) {
    assert!(
        !msg.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}'),
        "control character in message: {msg:?}"
    );
    assert!(msg.len() <= max_len, "message of {} bytes: {msg:?}", msg.len());
}

/// Whether `secret` shows in `msg` although it occurs nowhere else in the
/// input (so the message can only have it from the secret itself).
/// Secrets with a '*' are skipped: redaction writes "***", which could make
/// one up by coincidence.
#[allow(dead_code)]
fn leaks(msg: &str, secret: &str, input: &str) -> bool {
    secret.len() >= 8
        && !secret.contains('*')
        && msg.contains(secret)
        && input.matches(secret).count() == 1
}

/// [`leaks`], then a second opinion: the same input with the secret
/// replaced by as many 'Z's is run again (`rerun` gives its message); if
/// that message still holds the secret, the message's own words happen to
/// spell it (the fuzzer is good at that), which is no leak.
#[allow(dead_code)]
fn leaks_with(
    msg: &str,
    secret: &str,
    input: &str,
    rerun: impl Fn(&str) -> Option<String>,
) -> bool {
    if !leaks(msg, secret, input) {
        return false;
    }
    let other: String = secret.chars().map(|c| if c == 'Z' { 'Y' } else { 'Z' }).collect();
    match rerun(&input.replacen(secret, &other, 1)) {
        Some(m) => !m.contains(secret),
        None => true,
    }
}
