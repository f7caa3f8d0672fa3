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

/// [`leaks`], then a second opinion: the same input with the secret's
/// letters and digits replaced by 'Z's is run again (`rerun` gives its
/// message); if that message still holds the secret, the message's own
/// words happen to spell it (the fuzzer is good at that: "contain*s white
/// space *or" holds the secret "s white space "), which is no leak.
/// White space, control characters and punctuation are kept, so that the
/// rerun fails for the same reason (a secret with none of those would
/// otherwise turn an "invalid character" error into another one).
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
    let replace = |keep: fn(char) -> bool| -> String {
        secret
            .chars()
            .map(|c| match c {
                c if keep(c) => c,
                'Z' => 'Y',
                _ => 'Z',
            })
            .collect()
    };
    let mut other = replace(|c| !c.is_alphanumeric());
    if other == secret {
        // Nothing to replace but punctuation and spaces: replace it all.
        other = replace(|_| false);
    }
    match rerun(&input.replacen(secret, &other, 1)) {
        Some(m) => !m.contains(secret),
        None => true,
    }
}
