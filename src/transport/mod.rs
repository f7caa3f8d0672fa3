//! One HTTP exchange: `POST` the token URL with some headers and read the
//! answer, within a deadline, over a kept-alive connection, with TLS from a
//! configuration shared by the whole process.
//!
//! Built on ureq with parts of our own, a file per job:
//! - `exchange.rs`: [`Transport`], a session's agent and its one exchange
//!   (with one retry when a kept-alive connection turns out dead);
//! - `cancel.rs`: [`Canceller`], how another thread interrupts it;
//! - `ureq_error.rs`: the mapping of every ureq error to one [`Status`] and
//!   a message that names the cause;
//! - `tcp.rs`: TCP connections that make fewer system calls than ureq's;
//! - `resolve.rs`: a resolver that needs no thread for an IP address or
//!   `localhost` (ureq's default one starts a thread per lookup when a
//!   timeout is set, even for an IP address), sends `localhost` to loopback
//!   addresses only, bounds a DNS lookup by the deadline, keeps its answer
//!   for a minute, and logs each lookup;
//! - `tls_config.rs`: [`Trust`], one shared rustls `ClientConfig` per trust
//!   source (the OS store once per process, or a CA file), instead of one
//!   per session;
//! - `tls.rs`: the TLS connector and transport over that configuration.
//!
//! [`Status`]: crate::Status

mod cancel;
mod exchange;
mod resolve;
mod tcp;
mod tls;
mod tls_config;
mod ureq_error;

pub use cancel::Canceller;
pub use exchange::{Reply, Settings, Transport, DEFAULT_TIMEOUT};
pub use tls_config::Trust;

#[cfg(all(windows, feature = "sandbox"))]
pub(crate) use tcp::cancel_io;

/// Buffer sizes: answers are small JSON documents, and ureq's 128 KiB
/// defaults would dominate the memory of a small client.
const INPUT_BUFFER: usize = 32 * 1024;
const OUTPUT_BUFFER: usize = 8 * 1024;
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// A URL host without the brackets of an IPv6 literal.
fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::bare_host;

    #[test]
    fn bare_host_strips_only_the_brackets_of_an_ipv6_literal() {
        assert_eq!(bare_host("[::1]"), "::1");
        assert_eq!(bare_host("[2001:db8::7]"), "2001:db8::7");
        assert_eq!(bare_host("example.com"), "example.com");
        assert_eq!(bare_host("127.0.0.1"), "127.0.0.1");
        assert_eq!(bare_host("[::1"), "[::1");
    }
}
