//! `etna-auth status`: the stored tokens' base URLs, users and expiries,
//! for people (`expiry`) or as JSON. Never a token: the store's list
//! (`Store::list`) does not hold them.

use std::io::Write;

use etna_auth::error::quote;
use etna_auth::store::{Listed, Store};
use etna_auth::token_cache::unix_now;
use etna_auth::{Error, Status};

use crate::args::StatusArgs;
use crate::exit::Failure;
use crate::expiry;

pub fn status(args: StatusArgs) -> Result<(), Failure> {
    let store = Store::open(args.store.as_deref())?;
    let tokens = store.list()?;
    let now = unix_now();
    let text = match args.json {
        true => format!("{}\n", as_json(&store, &tokens, now)),
        false => for_people(&store, &tokens, now),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::new(Status::Io, format!("cannot write to stdout: {e}")))?;
    Ok(())
}

/// ```text
/// Tokens in the token file "/home/me/.config/etna-auth/tokens.json":
///   alice at https://pub-api-et-demo-prod.etnasoft.us/api: expires in 23 h 12 min, 2026-12-03 06:12 UTC
/// ```
fn for_people(store: &Store, tokens: &[Listed], now: i64) -> String {
    let place = match store {
        // A Windows path keeps its single backslashes here.
        Store::File(path) => format!("the token file {}", in_quotes(&path.display().to_string())),
        Store::Keyring => store.describe(),
    };
    if tokens.is_empty() {
        return format!("No tokens in {place}.\n");
    }
    let mut text = format!("Tokens in {place}:\n");
    for token in tokens {
        text.push_str(&format!(
            "  {} at {}: {}\n",
            shown(&token.username),
            shown(&token.base_url),
            expiry::describe(token.expires_at, now)
        ));
    }
    text
}

fn as_json(store: &Store, tokens: &[Listed], now: i64) -> serde_json::Value {
    let store = match store {
        Store::File(path) => path.display().to_string(),
        Store::Keyring => etna_auth::store::KEYRING.to_owned(),
    };
    let tokens: Vec<serde_json::Value> = tokens
        .iter()
        .map(|t| {
            serde_json::json!({
                "base_url": t.base_url,
                "username": t.username,
                "expires_at": t.expires_at,
                "expires_in": expiry::seconds_left(t.expires_at, now),
            })
        })
        .collect();
    serde_json::json!({ "store": store, "tokens": tokens })
}

/// A name as it is when it is plain, quoted when it has spaces, quotes or
/// control characters (a token file is text anyone could have edited).
fn shown(text: &str) -> String {
    let plain = !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '"' || c == '\\');
    match plain {
        true => text.to_owned(),
        false => quote(text),
    }
}

/// In double quotes, escaped by `quote` only when it must be (quotes,
/// control characters, line breaks), so that a Windows path keeps its
/// single backslashes.
fn in_quotes(text: &str) -> String {
    let odd = text
        .chars()
        .any(|c| c.is_control() || c == '"' || (c.is_whitespace() && c != ' '));
    match odd {
        true => quote(text),
        false => format!("\"{text}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_or_quoted_and_never_break_the_line() {
        assert_eq!(shown("alice"), "alice");
        assert_eq!(shown("https://h/api"), "https://h/api");
        assert_eq!(shown("al ice"), "\"al ice\"");
        assert_eq!(shown("a\nb\u{2028}"), "\"a\\nb\\u{2028}\"");
        assert_eq!(shown(""), "\"\"");
        assert_eq!(
            in_quotes(r"C:\Users\me\AppData\Roaming\etna-auth\tokens.json"),
            r#""C:\Users\me\AppData\Roaming\etna-auth\tokens.json""#
        );
        assert_eq!(
            in_quotes("/Library/Application Support/x"),
            "\"/Library/Application Support/x\""
        );
        assert_eq!(in_quotes("/tmp/a\rb"), "\"/tmp/a\\rb\"");
    }
}
