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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    const TIMEOUT: Duration = Duration::from_millis(1500);

    /// The status and message of an error that arrived before the deadline.
    fn mapped(error: ureq::Error) -> (Status, String) {
        let ours = describe(error, false, TIMEOUT);
        (ours.status(), ours.message().to_owned())
    }

    fn io(kind: io::ErrorKind, what: &str) -> ureq::Error {
        ureq::Error::Io(io::Error::new(kind, what))
    }

    #[test]
    fn timeouts_name_the_deadline() {
        for error in [
            ureq::Error::Timeout(ureq::Timeout::Global),
            ureq::Error::Timeout(ureq::Timeout::Connect),
            io(io::ErrorKind::TimedOut, "read"),
            io(io::ErrorKind::WouldBlock, "read"),
        ] {
            let (status, message) = mapped(error);
            assert_eq!(status, Status::Timeout, "{message}");
            assert!(message.contains("within 1500 ms"), "{message}");
        }
    }

    #[test]
    fn past_the_deadline_a_failure_is_a_timeout() {
        for error in [
            io(io::ErrorKind::ConnectionReset, "reset"),
            io(io::ErrorKind::UnexpectedEof, "eof"),
            ureq::Error::HostNotFound,
            ureq::Error::ConnectionFailed,
            ureq::Error::BodyStalled,
        ] {
            let ours = describe(error, true, TIMEOUT);
            assert_eq!(ours.status(), Status::Timeout, "{}", ours.message());
        }
        // A TLS failure that rustls's stream reports as an I/O error stays
        // one, whenever it comes.
        let tls = rustls::Error::General("bad record".into());
        let wrapped = ureq::Error::Io(io::Error::new(io::ErrorKind::InvalidData, tls));
        assert_eq!(describe(wrapped, true, TIMEOUT).status(), Status::Tls);
    }

    #[test]
    fn network_failures_say_what_to_check() {
        let cases = [
            (ureq::Error::HostNotFound, "could not be resolved"),
            (ureq::Error::ConnectionFailed, "could not connect"),
            (ureq::Error::BodyStalled, "stopped sending"),
            (
                io(io::ErrorKind::UnexpectedEof, "eof"),
                "closed the connection before the answer was complete",
            ),
            (
                io(io::ErrorKind::ConnectionReset, "reset by peer"),
                "network error: \"reset by peer\"",
            ),
            (
                ureq::Error::ConnectProxyFailed(
                    "HTTP/1.1 407 Proxy Authentication Required".into(),
                ),
                "the proxy asks for credentials",
            ),
            (
                ureq::Error::ConnectProxyFailed("HTTP/1.1 403 Forbidden".into()),
                "the proxy refused the tunnel to the server: \"HTTP/1.1 403 Forbidden\"",
            ),
        ];
        for (error, expected) in cases {
            let (status, message) = mapped(error);
            assert_eq!(status, Status::Network, "{message}");
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn tls_failures_hint_at_the_ca_file_for_a_certificate() {
        let unknown = || rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        // Directly, and wrapped in an I/O error as rustls's stream gives it.
        for error in [
            ureq::Error::Rustls(unknown()),
            ureq::Error::Io(io::Error::new(io::ErrorKind::InvalidData, unknown())),
        ] {
            let (status, message) = mapped(error);
            assert_eq!(status, Status::Tls, "{message}");
            assert!(message.starts_with("TLS failure: "), "{message}");
            assert!(message.contains("set the session's CA file"), "{message}");
        }
        let (status, message) = mapped(ureq::Error::Rustls(rustls::Error::General("x".into())));
        assert_eq!(status, Status::Tls);
        assert!(!message.contains("CA file"), "{message}");
        let (status, message) = mapped(ureq::Error::Tls("no provider"));
        assert_eq!(
            (status, message.as_str()),
            (Status::Tls, "TLS failure: no provider")
        );
    }

    #[test]
    fn oversized_or_broken_answers_are_protocol_errors() {
        let (status, message) = mapped(ureq::Error::BodyExceedsLimit(1 << 20));
        assert_eq!(status, Status::Protocol);
        assert!(
            message.ends_with(&format!("larger than {} KiB", MAX_BODY_BYTES / 1024)),
            "{message}"
        );
        let (status, message) = mapped(ureq::Error::LargeResponseHeader(70_000, 16_384));
        assert_eq!(status, Status::Protocol);
        assert!(
            message.contains("headers are larger than 16 KiB"),
            "{message}"
        );
        let (status, message) = mapped(ureq::Error::TooManyRedirects);
        assert_eq!(status, Status::Protocol);
        assert!(
            message.starts_with("the exchange with the server failed: "),
            "{message}"
        );
    }

    #[test]
    fn our_own_errors_pass_through_and_others_are_quoted() {
        let ours = Error::new(Status::Tls, "x is not a valid TLS server name");
        let (status, message) = mapped(ureq::Error::Other(Box::new(ours)));
        assert_eq!(
            (status, message.as_str()),
            (Status::Tls, "x is not a valid TLS server name")
        );
        let other = io::Error::other("line one\nline two");
        let (status, message) = mapped(ureq::Error::Other(Box::new(other)));
        assert_eq!(status, Status::Network);
        assert_eq!(message, "connection failed: \"line one\\nline two\"");
        assert_eq!(mapped(ureq::Error::InvalidProxyUrl).0, Status::Argument);
    }

    #[test]
    fn every_message_is_one_line() {
        for error in [
            io(io::ErrorKind::Other, "a\r\nb"),
            ureq::Error::ConnectProxyFailed("403\r\nX-Injected: 1".into()),
            ureq::Error::Rustls(rustls::Error::General("a\nb".into())),
        ] {
            let (_, message) = mapped(error);
            assert!(!message.contains(['\n', '\r']), "{message}");
        }
    }
}
