//! Which HTTP proxy a session uses, decided without I/O: an explicit
//! `http://[user:password@]host:port`, or by default `https_proxy` /
//! `HTTPS_PROXY` minus `NO_PROXY`, as curl does. A loopback target never goes
//! through a proxy (plain http to loopback must not carry credentials to a
//! proxy elsewhere). https goes through the proxy with CONNECT, so the proxy
//! sees only the TLS stream.

use crate::error::Error;
use crate::protocol::is_loopback_host;

/// A checked proxy URL (`http://[user:password@]host[:port]`).
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl(String);

impl std::fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The user info may hold a password.
        write!(f, "ProxyUrl({})", redacted(&self.0))
    }
}

impl ProxyUrl {
    /// Checks a proxy URL: scheme `http` only, a host, an optional port and
    /// user info, nothing else.
    /// The URL with its user info (credentials) as `***`, for messages and logs.
    pub fn redacted(&self) -> String {
        redacted(&self.0)
    }

    pub fn parse(url: &str) -> Result<ProxyUrl, Error> {
        let bad = |why: &str| {
            Error::argument(format!(
                "invalid proxy URL {}: {why}",
                crate::error::quote(&redacted(url))
            ))
        };
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains white space or a control character"));
        }
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(bad("expected http://host:port"));
        };
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(bad(
                "the proxy scheme must be http (https targets go through it with CONNECT)",
            ));
        }
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() || authority.contains(['/', '?', '#']) {
            return Err(bad(
                "expected http://[user:password@]host[:port] with no path",
            ));
        }
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
        let uri: Result<ureq::http::Uri, _> = format!("http://{host_port}/").parse();
        match uri {
            Ok(u) if u.host().is_some_and(|h| !h.is_empty()) => {
                Ok(ProxyUrl(format!("http://{authority}")))
            }
            _ => Err(bad("it has no valid host")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The URL with its user info replaced by `***`.
fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split('/').next().and_then(|a| a.rfind('@')) {
            Some(at) => format!("{scheme}://***{}", &rest[at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// What the caller asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxySetting {
    /// `https_proxy` / `HTTPS_PROXY` and `NO_PROXY` from the environment.
    FromEnvironment,
    /// No proxy.
    Off,
    /// This proxy.
    Explicit(ProxyUrl),
}

/// The proxy to use for a target host, if any. `env` reads an environment
/// variable (a parameter so that this stays pure).
pub fn choose(
    setting: &ProxySetting,
    target_host: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Option<ProxyUrl> {
    if is_loopback_host(target_host) {
        return None;
    }
    match setting {
        ProxySetting::Off => None,
        ProxySetting::Explicit(url) => Some(url.clone()),
        ProxySetting::FromEnvironment => {
            let no_proxy = env("no_proxy")
                .or_else(|| env("NO_PROXY"))
                .unwrap_or_default();
            if no_proxy_matches(&no_proxy, target_host) {
                return None;
            }
            let url = env("https_proxy").or_else(|| env("HTTPS_PROXY"))?;
            // curl takes a bare host:port as http.
            let url = if url.contains("://") {
                url
            } else {
                format!("http://{url}")
            };
            // A proxy variable we cannot use is ignored (documented).
            ProxyUrl::parse(&url).ok()
        }
    }
}

/// curl's `NO_PROXY`: a comma-separated list of host names (matching the
/// name and its subdomains, with or without a leading dot), IP addresses,
/// or `*` for every host.
pub fn no_proxy_matches(no_proxy: &str, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.');
    no_proxy
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry
                .trim_start_matches('.')
                .trim_start_matches('[')
                .trim_end_matches(']');
            host.eq_ignore_ascii_case(entry)
                || (host.len() > entry.len()
                    && host.as_bytes()[host.len() - entry.len() - 1] == b'.'
                    && host[host.len() - entry.len()..].eq_ignore_ascii_case(entry))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn proxy_urls() {
        assert!(ProxyUrl::parse("http://proxy.corp:3128").is_ok());
        assert!(ProxyUrl::parse("http://proxy.corp:3128/").is_ok());
        assert!(ProxyUrl::parse("HTTP://u:p@10.0.0.1:8080").is_ok());
        for bad in [
            "https://proxy:1",
            "socks5://proxy:1",
            "proxy:3128",
            "http://",
            "http://p:1/path",
            "http://p:1?q",
            "http://p :1",
        ] {
            assert!(ProxyUrl::parse(bad).is_err(), "{bad}");
        }
        let e = ProxyUrl::parse("https://user:hunter2@proxy:1").unwrap_err();
        assert!(!e.message().contains("hunter2"), "{e}");
        let dbg = format!(
            "{:?}",
            ProxyUrl::parse("http://user:hunter2@proxy:1").unwrap()
        );
        assert!(!dbg.contains("hunter2"), "{dbg}");
    }

    #[test]
    fn environment_like_curl() {
        let env = env_of(&[("HTTPS_PROXY", "http://p:3128")]);
        assert_eq!(
            choose(&ProxySetting::FromEnvironment, "api.example", &env)
                .unwrap()
                .as_str(),
            "http://p:3128"
        );
        let env = env_of(&[("https_proxy", "p2:8080"), ("HTTPS_PROXY", "http://p:3128")]);
        assert_eq!(
            choose(&ProxySetting::FromEnvironment, "api.example", &env)
                .unwrap()
                .as_str(),
            "http://p2:8080"
        );
        let env = env_of(&[
            ("HTTPS_PROXY", "http://p:3128"),
            ("NO_PROXY", "example.com, .corp"),
        ]);
        assert!(choose(&ProxySetting::FromEnvironment, "api.example.com", &env).is_none());
        assert!(choose(&ProxySetting::FromEnvironment, "x.corp", &env).is_none());
        assert!(choose(&ProxySetting::FromEnvironment, "notexample.com", &env).is_some());
        // Only the https variables count: every remote target is https.
        let env = env_of(&[("http_proxy", "http://p:3128"), ("ALL_PROXY", "http://q:1")]);
        assert!(choose(&ProxySetting::FromEnvironment, "api.example", &env).is_none());
        let env = env_of(&[("HTTPS_PROXY", "socks5://p:1")]);
        assert!(choose(&ProxySetting::FromEnvironment, "api.example", &env).is_none());
    }

    #[test]
    fn loopback_never_goes_through_a_proxy() {
        let explicit = ProxySetting::Explicit(ProxyUrl::parse("http://p:1").unwrap());
        for host in ["127.0.0.1", "localhost", "[::1]"] {
            assert!(choose(&explicit, host, |_| None).is_none());
            assert!(choose(
                &ProxySetting::FromEnvironment,
                host,
                env_of(&[("HTTPS_PROXY", "http://p:1")])
            )
            .is_none());
        }
        assert!(choose(&explicit, "api.example", |_| None).is_some());
        assert!(choose(
            &ProxySetting::Off,
            "api.example",
            env_of(&[("HTTPS_PROXY", "http://p:1")])
        )
        .is_none());
    }

    #[test]
    fn no_proxy_lists() {
        assert!(no_proxy_matches("*", "anything"));
        assert!(no_proxy_matches("example.com", "EXAMPLE.com"));
        assert!(no_proxy_matches("example.com", "a.example.com"));
        assert!(no_proxy_matches(".example.com", "a.example.com"));
        assert!(!no_proxy_matches("example.com", "badexample.com"));
        assert!(no_proxy_matches("10.1.2.3", "10.1.2.3"));
        assert!(no_proxy_matches("::1", "[::1]"));
        assert!(!no_proxy_matches("", "example.com"));
    }
}
