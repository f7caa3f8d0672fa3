//! Every ureq error turned into one [`Status`] and a message that names the
//! cause and, where it helps, what to check.

use std::time::Duration;

use super::MAX_HEADER_BYTES;
use crate::error::{quote, Error, Status};
use crate::protocol::MAX_BODY_BYTES;

/// Turns a ureq error into our status and a message that names the cause.
pub(super) fn describe(error: ureq::Error, deadline_passed: bool, timeout: Duration) -> Error {
    let timed_out = || {
        Error::new(
            Status::Timeout,
            format!(
                "no complete answer from the server within {} ms (the deadline for the whole exchange)",
                timeout.as_millis()
            ),
        )
    };
    let network = |what: String| Error::new(Status::Network, what);
    match error {
        ureq::Error::Other(inner) => match inner.downcast::<Error>() {
            Ok(ours) => *ours,
            Err(other) => network(format!("connection failed: {}", quote(&other.to_string()))),
        },
        ureq::Error::Timeout(_) => timed_out(),
        ureq::Error::Io(io) => {
            if let Some(tls) = io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
                return tls_error(tls);
            }
            match io.kind() {
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => timed_out(),
                _ if deadline_passed => timed_out(),
                std::io::ErrorKind::UnexpectedEof => network(
                    "the server closed the connection before the answer was complete".into(),
                ),
                _ => network(format!("network error: {}", quote(&io.to_string()))),
            }
        }
        _ if deadline_passed => timed_out(),
        ureq::Error::HostNotFound => network(
            "the server's host name could not be resolved: check the host in the base URL and the machine's DNS settings"
                .into(),
        ),
        ureq::Error::ConnectionFailed => network(
            "could not connect to the server: check the host and port in the base URL, and that no firewall blocks them (or set a proxy)"
                .into(),
        ),
        ureq::Error::ConnectProxyFailed(why) if why.contains("407") => network(
            "the proxy asks for credentials (HTTP 407 Proxy Authentication Required): give them in the proxy URL, http://user:password@host:port (the credentials there were refused, if there were any)"
                .into(),
        ),
        ureq::Error::ConnectProxyFailed(why) => network(format!(
            "the proxy refused the tunnel to the server: {} (check the proxy URL, or that the proxy allows CONNECT to this host and port)",
            quote(&why)
        )),
        ureq::Error::InvalidProxyUrl => Error::argument("the proxy URL is not valid"),
        ureq::Error::BodyStalled => network("the server stopped sending the answer".into()),
        ureq::Error::Rustls(tls) => tls_error(&tls),
        ureq::Error::Tls(what) => Error::new(Status::Tls, format!("TLS failure: {what}")),
        ureq::Error::BodyExceedsLimit(_) => Error::new(
            Status::Protocol,
            format!(
                "the server's answer is larger than {} KiB",
                MAX_BODY_BYTES / 1024
            ),
        ),
        ureq::Error::LargeResponseHeader(_, _) => Error::new(
            Status::Protocol,
            format!(
                "the server's answer headers are larger than {} KiB",
                MAX_HEADER_BYTES / 1024
            ),
        ),
        ureq::Error::Protocol(p) => Error::new(
            Status::Protocol,
            format!(
                "the server's answer is not valid HTTP/1.1: {}",
                quote(&p.to_string())
            ),
        ),
        other => Error::new(
            Status::Protocol,
            format!(
                "the exchange with the server failed: {}",
                quote(&other.to_string())
            ),
        ),
    }
}

fn tls_error(error: &rustls::Error) -> Error {
    let hint = match error {
        rustls::Error::InvalidCertificate(_) => {
            " (if the server uses a private CA, set the session's CA file to it)"
        }
        _ => "",
    };
    Error::new(
        Status::Tls,
        format!("TLS failure: {}{hint}", quote(&error.to_string())),
    )
}
