//! Status codes and the one error type of the library.
//!
//! Every failure carries a [`Status`] (the integer the C ABI returns) and a
//! one-line message for a person. Messages are built only from text that is
//! safe to show: the library's own words and quotes from the server that went
//! through [`quote`]. Callers' secrets are never put in a message.

use std::fmt;

/// Defines [`Status`] from the one table of codes, `status_table.rs`.
macro_rules! status_table {
    ($($variant:ident = $code:literal, $name:literal,
       python $python:literal, csharp $csharp:literal, family $family:literal,
       exit $exit:literal, retry $retry:literal,
       $describe:literal, $doc:literal;)*) => {
        /// What a call came to: success, a second factor asked for, or the
        /// kind of failure, one per thing a caller may want to handle
        /// differently. The numbers are the C ABI's status codes and never
        /// change.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(i32)]
        #[non_exhaustive]
        pub enum Status {
            $(#[doc = $doc] $variant = $code,)*
        }

        impl Status {
            /// Every status, in ABI order.
            pub const ALL: &'static [Status] = &[$(Status::$variant,)*];

            /// The name of the C constant, e.g. `"ETNA_ERR_TIMEOUT"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Status::$variant => $name,)*
                }
            }

            /// A short description, e.g. "the server's answer was not understood".
            pub fn describe(self) -> &'static str {
                match self {
                    $(Status::$variant => $describe,)*
                }
            }

            /// The exit code of the command-line tool for this status (0 for
            /// the statuses that are not errors).
            pub fn exit_code(self) -> u8 {
                match self {
                    $(Status::$variant => $exit,)*
                }
            }

            /// Whether repeating the same call can help: trouble on the way
            /// (network, timeout, an overloaded server), not a refusal.
            pub fn retry_can_help(self) -> bool {
                match self {
                    $(Status::$variant => $retry,)*
                }
            }

            /// The name of the exception class in the Python binding ("" for
            /// the statuses that are not errors).
            pub fn python_class(self) -> &'static str {
                match self {
                    $(Status::$variant => $python,)*
                }
            }

            /// The name of the exception class in the C# binding.
            pub fn csharp_class(self) -> &'static str {
                match self {
                    $(Status::$variant => $csharp,)*
                }
            }

            /// The status whose exception class is the parent of this one's
            /// (a timeout is a network failure), if any besides the base class.
            pub fn family(self) -> Option<Status> {
                let parent = match self {
                    $(Status::$variant => $family,)*
                };
                Status::ALL.iter().copied().find(|s| format!("{s:?}") == parent)
            }
        }
    };
}
include!("status_table.rs");

impl Status {
    /// The integer code (the C ABI's return value).
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The status for an integer code, if it is one.
    pub fn from_code(code: i32) -> Option<Status> {
        Status::ALL.iter().copied().find(|s| s.code() == code)
    }

    /// Trouble on the way that leaves a login resumable: the caller may
    /// repeat the same step.
    pub fn is_transient(self) -> bool {
        self.retry_can_help() || self == Status::Cancelled
    }
}

/// An error: a status and a message that is safe to show (one line, no secrets).
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// An error with a message. The message must not contain secrets; quote
    /// anything from the server with [`quote`]. Control characters that got
    /// in anyway (say, in a parser's message about a file) are escaped, so
    /// that every message is one line.
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        let mut message = message.into();
        if message.chars().any(breaks_line) {
            message = escape_controls(&message);
        }
        if message.len() > MESSAGE_LIMIT {
            // A parser's message may quote a whole input (serde quotes an
            // unknown key in full): keep every message short.
            let mut cut = MESSAGE_LIMIT - 3;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str("...");
        }
        Error { status, message }
    }

    /// The error with every secret it was sent (4 characters or more)
    /// replaced by `***`, as is or as [`quote`] shows it: a server may echo
    /// a password or PIN in the text it answers with.
    pub fn redact(mut self, secrets: &[&str]) -> Error {
        self.message = redact(&self.message, secrets);
        self
    }

    pub fn argument(message: impl Into<String>) -> Error {
        Error::new(Status::Argument, message)
    }

    pub fn state(message: impl Into<String>) -> Error {
        Error::new(Status::State, message)
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({:?}: {})", self.status, self.message)
    }
}

impl std::error::Error for Error {}

/// The longest message, in bytes (a few quotes of about 200 characters
/// each fit, escapes included).
const MESSAGE_LIMIT: usize = 4096;

/// How much of a server's text a message quotes.
const QUOTE_LIMIT: usize = 200;

/// Quotes text from the server for a message: in double quotes, on one line
/// (control characters and quotes escaped), cut to about 200 characters.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(QUOTE_LIMIT) + 8);
    out.push('"');
    for (count, c) in text.chars().enumerate() {
        if count == QUOTE_LIMIT {
            out.push_str("...");
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            // C0/C1 controls and the Unicode line/paragraph separators.
            c => push_escaped(&mut out, c),
        }
    }
    out.push('"');
    out
}

/// `text` with every secret (4 characters or more) replaced by `***`, as is
/// or as [`quote`] shows it.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret) {
            out = out.replace(secret, "***");
        }
        // The form a quote shows, when it differs (escapes, or cut short).
        let plain = |c: char| c != '"' && c != '\\' && !breaks_line(c);
        if secret.chars().all(plain) && secret.chars().count() <= QUOTE_LIMIT {
            continue;
        }
        let quoted = quote(secret);
        let escaped = &quoted[1..quoted.len() - 1];
        if out.contains(escaped) {
            out = out.replace(escaped, "***");
        }
    }
    out
}

/// Characters that would break the one-line promise or a terminal.
fn breaks_line(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// Writes one character of a quote, escaped when it is not plain text.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if breaks_line(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// The text with its control characters escaped (quotes left as they are).
fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

/// [`quote`] for bytes that may not be UTF-8 (a body that is not JSON).
pub fn quote_bytes(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(QUOTE_LIMIT * 4)];
    quote(&String::from_utf8_lossy(cut))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_abi_numbers_and_round_trip() {
        let expected = [
            0, 1, 2, 3, -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -99,
        ];
        let codes: Vec<i32> = Status::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, expected);
        for &s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
        }
        assert_eq!(Status::from_code(4), None);
    }

    #[test]
    fn descriptions_are_distinct_and_named() {
        let mut seen = std::collections::HashSet::new();
        for s in Status::ALL {
            assert!(s.name().starts_with("ETNA_"), "{}", s.name());
            let d = s.describe();
            assert!(seen.insert(d), "duplicate description {d}");
        }
    }

    #[test]
    fn quote_is_one_line_and_short() {
        assert_eq!(quote("Invalid pin"), "\"Invalid pin\"");
        assert_eq!(
            quote("a\r\nb\t\"c\"\u{0}"),
            "\"a\\r\\nb\\t\\\"c\\\"\\u{0}\""
        );
        let long = "x".repeat(1000);
        let q = quote(&long);
        assert!(q.len() < 210, "{}", q.len());
        assert!(q.ends_with("...\""));
        assert!(!quote("a\u{2028}b\u{85}").contains('\u{2028}'));
        assert_eq!(quote_bytes(b"\xffok"), "\"\u{fffd}ok\"");
    }

    #[test]
    fn every_message_is_one_line() {
        // Found by fuzzing the token cache: serde's "unknown field" message
        // quotes a key with its raw CR LF.
        let e = Error::new(Status::Io, "unknown field `\r\nentries`\u{0}\u{2028}");
        assert_eq!(e.message(), "unknown field `\\r\\nentries`\\u{0}\\u{2028}");
        assert_eq!(Error::argument("plain").message(), "plain");
    }

    #[test]
    fn every_message_is_bounded() {
        // Found by fuzzing the token cache: serde's "unknown field" message
        // quotes a key of any length.
        let e = Error::new(
            Status::Io,
            format!("unknown field `{}`", "ü".repeat(10_000)),
        );
        assert!(e.message().len() <= MESSAGE_LIMIT, "{}", e.message().len());
        assert!(e.message().ends_with("..."));
    }

    #[test]
    fn redaction_of_echoed_secrets() {
        let e = Error::new(
            Status::Credentials,
            format!("Reason {}", quote("bad pw\"1 and 4321")),
        );
        let e = e.redact(&["pw\"1", "4321", "", "abc"]);
        assert_eq!(e.message(), "Reason \"bad *** and ***\"");
        assert_eq!(
            redact("abc abcd", &["abc"]),
            "abc abcd",
            "short secrets are left"
        );
    }
}
