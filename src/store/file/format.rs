//! The token file's format: JSON with a format marker and a version, one
//! entry per base URL and user name. Pure, so that it can be fuzzed.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::secret::Secret;

/// The marker that tells our files from anybody else's.
const FORMAT: &str = "etna-auth token cache";
const VERSION: u32 = 1;

/// One stored login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub base_url: String,
    pub username: String,
    pub token: Secret,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheFile {
    format: String,
    version: u32,
    entries: Vec<Entry>,
}

/// Parses a token file's bytes.
pub fn parse(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let file: CacheFile = serde_json::from_slice(bytes)
        .map_err(|e| format!("not an etna-auth token cache (or corrupt): {e}"))?;
    if file.format != FORMAT {
        return Err("not an etna-auth token cache (wrong \"format\" marker)".into());
    }
    if file.version != VERSION {
        return Err(format!(
            "token cache version {} is not supported (this etna-auth writes version {VERSION})",
            file.version
        ));
    }
    Ok(file.entries)
}

/// Serializes entries; the bytes hold tokens and are wiped when dropped.
pub fn render(entries: Vec<Entry>) -> Zeroizing<Vec<u8>> {
    let file = CacheFile {
        format: FORMAT.into(),
        version: VERSION,
        entries,
    };
    let mut out = Zeroizing::new(Vec::with_capacity(256));
    // Serializing plain strings and integers into memory cannot fail.
    let _ = serde_json::to_writer_pretty(&mut *out, &file);
    out.push(b'\n');
    out
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An entry of `user` at https://h.example/api (for the store's tests).
    pub(crate) fn entry(user: &str, expires_at: i64) -> Entry {
        Entry {
            base_url: "https://h.example/api".into(),
            username: user.into(),
            token: Secret::new("tok"),
            expires_at,
        }
    }

    #[test]
    fn render_and_parse_round_trip() {
        let entries = vec![entry("a", 5), entry("b", 6)];
        let bytes = render(entries.clone());
        assert_eq!(parse(&bytes).unwrap(), entries);
    }

    #[test]
    fn foreign_and_corrupt_files_are_refused() {
        for bad in [
            &b""[..],
            b"{}",
            b"[]",
            b"{\"format\":\"other\",\"version\":1,\"entries\":[]}",
            b"garbage",
            b"{\"format\":\"etna-auth token cache\",\"version\":2,\"entries\":[]}",
            b"{\"format\":\"etna-auth token cache\",\"version\":1,\"entries\":[{\"base_url\":1}]}",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
