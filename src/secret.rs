//! A string that is wiped from memory when dropped and never shown.

use std::fmt;

use zeroize::Zeroizing;

/// Holds a password, PIN, code, application key or token.
///
/// The bytes are overwritten with zeros when the value is dropped, and
/// `Debug` prints a placeholder, so a secret cannot reach a log by accident.
/// There is deliberately no `Display`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: &str) -> Secret {
        Secret(Zeroizing::new(value.to_owned()))
    }

    /// Takes ownership without copying (the caller's `String` becomes ours to wipe).
    pub fn from_string(value: String) -> Secret {
        Secret(Zeroizing::new(value))
    }

    /// The secret itself: only for sending it, or handing it to the caller.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Serialized as the plain string (the token cache stores tokens).
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret::from_string)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(s.expose(), "hunter2");
    }
}
