//! A session's debug log: what a login does, one line at a time, with every
//! secret hidden.
//!
//! The lines are written by the library itself from values it knows to be
//! safe: header values are shown only for headers that are not secret (the
//! application key only by its first 4 characters), and everything from the
//! server goes through the same redaction as error messages. Formatting
//! happens only for a level that is on: a log that is off costs one
//! comparison per event.

use std::fmt;
use std::io::Write;
use std::sync::Arc;

use once_cell::sync::Lazy;

/// How much a log shows; each level includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(i32)]
pub enum Level {
    /// A few lines per login: each step asked for and its result.
    Info = 1,
    /// Each request and answer: URL, headers (secrets as `***`), HTTP
    /// status, State, Step and Reason, body length, time taken.
    Debug = 2,
    /// Connection events: host name lookup, connect, a kept-alive connection
    /// reused, proxy, TLS version and cipher suite, trust store.
    Trace = 3,
}

impl Level {
    /// The level for its number (1 to 3).
    pub fn from_number(n: i32) -> Option<Level> {
        match n {
            1 => Some(Level::Info),
            2 => Some(Level::Debug),
            3 => Some(Level::Trace),
            _ => None,
        }
    }

    /// The level for its name, as `ETNA_AUTH_LOG` gives it (any case).
    pub fn from_name(name: &str) -> Option<Level> {
        match name.trim().to_ascii_lowercase().as_str() {
            "info" => Some(Level::Info),
            "debug" => Some(Level::Debug),
            "trace" => Some(Level::Trace),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }
}

/// Where a log's lines go: called on the thread that made the call, with
/// one line (no CR or LF) that is valid only during the call.
pub type Sink = Arc<dyn Fn(Level, &str) + Send + Sync>;

/// A session's log: off, or a sink and the most detailed level it takes.
#[derive(Clone, Default)]
pub struct Log {
    target: Option<(Level, Sink)>,
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Some((level, _)) => write!(f, "Log({})", level.name()),
            None => f.write_str("Log(off)"),
        }
    }
}

/// The environment variable that turns the log on, on stderr, for sessions
/// that have no log of their own: `info`, `debug` or `trace`.
pub const ENV_VAR: &str = "ETNA_AUTH_LOG";

impl Log {
    /// A log of every line up to `max_level`, given to `sink`.
    pub fn new(max_level: Level, sink: impl Fn(Level, &str) + Send + Sync + 'static) -> Log {
        Log {
            target: Some((max_level, Arc::new(sink))),
        }
    }

    /// No log at all.
    pub fn off() -> Log {
        Log::default()
    }

    /// Lines up to `max_level` on stderr, prefixed with `etna-auth LEVEL:`.
    pub fn stderr(max_level: Level) -> Log {
        Log::new(max_level, |level, line| {
            // One write per line, so that lines of several threads do not mix.
            let text = format!("etna-auth {}: {line}\n", level.name());
            let _ = std::io::stderr().write_all(text.as_bytes());
        })
    }

    /// The log that `ETNA_AUTH_LOG` asks for (read once per process):
    /// stderr at that level, or off when it is unset or not a level.
    pub fn from_env() -> Log {
        static FROM_ENV: Lazy<Option<Level>> = Lazy::new(|| {
            std::env::var(ENV_VAR)
                .ok()
                .and_then(|v| Level::from_name(&v))
        });
        match *FROM_ENV {
            Some(level) => Log::stderr(level),
            None => Log::off(),
        }
    }

    /// Whether lines of `level` are shown.
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        matches!(&self.target, Some((max, _)) if level <= *max)
    }

    /// Writes a line at `level`, when that level is on. `format_args!`
    /// formats only then.
    #[inline]
    pub fn write(&self, level: Level, line: fmt::Arguments<'_>) {
        if let Some((max, sink)) = &self.target {
            if level <= *max {
                sink(level, &one_line(&line.to_string()));
            }
        }
    }
}

/// The line with control characters (CR, LF, ...) escaped.
fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// How a request header's value is shown: secrets as `***`, the
/// application key by its first 4 characters (at most half of it).
pub fn shown_header_value<'a>(name: &str, value: &'a str) -> std::borrow::Cow<'a, str> {
    if name.eq_ignore_ascii_case("Et-App-Key") {
        // At most 4 characters, and never more than half of a short key.
        let shown = 4.min(value.chars().count() / 2);
        let prefix: String = value.chars().take(shown).collect();
        return format!("{prefix}***").into();
    }
    if name.eq_ignore_ascii_case("Username") {
        return value.into();
    }
    // Password, PinCode, VerificationCode, Authorization and any header
    // added later: hidden unless known to be safe.
    "***".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn levels_filter_and_lines_are_one_line() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let seen = lines.clone();
        let log = Log::new(Level::Debug, move |level, line| {
            seen.lock().unwrap().push((level, line.to_owned()))
        });
        assert!(log.enabled(Level::Info) && log.enabled(Level::Debug));
        assert!(!log.enabled(Level::Trace));
        log.write(Level::Info, format_args!("a\r\nb"));
        log.write(Level::Trace, format_args!("hidden"));
        assert_eq!(
            *lines.lock().unwrap(),
            vec![(Level::Info, "a\\r\\nb".to_owned())]
        );
        assert!(!Log::off().enabled(Level::Info));
    }

    #[test]
    fn secret_headers_are_hidden() {
        assert_eq!(shown_header_value("Et-App-Key", "abcdefgh"), "abcd***");
        assert_eq!(shown_header_value("Et-App-Key", "abc"), "a***");
        assert_eq!(shown_header_value("Username", "alice"), "alice");
        for name in [
            "Password",
            "PinCode",
            "VerificationCode",
            "Authorization",
            "X-New",
        ] {
            assert_eq!(shown_header_value(name, "secret"), "***");
        }
    }

    #[test]
    fn level_names_and_numbers() {
        assert_eq!(Level::from_name(" Trace"), Some(Level::Trace));
        assert_eq!(Level::from_name("verbose"), None);
        assert_eq!(Level::from_number(2), Some(Level::Debug));
        assert_eq!(Level::from_number(0), None);
    }
}
