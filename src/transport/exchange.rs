//! A session's HTTP client ([`Transport`]): the ureq agent assembled from our
//! connectors and resolver, and the one exchange of a login step.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ureq::config::Config;
use ureq::unversioned::transport::{ConnectProxyConnector, Connector};
use ureq::Agent;
use zeroize::Zeroizing;

use super::cancel::Canceller;
use super::resolve::{DirectResolver, LoggingResolver, LookupWaker};
use super::tls::TlsConnector;
use super::tls_config::Trust;
use super::ureq_error::describe;
use super::{tcp, INPUT_BUFFER, MAX_HEADER_BYTES, OUTPUT_BUFFER};
use crate::error::{Error, Status};
use crate::log::{Level, Log};
use crate::protocol::{Header, MAX_BODY_BYTES};
use crate::proxy::ProxyUrl;

/// The default deadline of one exchange.
pub const DEFAULT_TIMEOUT: Duration =
    Duration::from_millis(crate::defaults::DEFAULT_TIMEOUT_MS as u64);

/// One answer as read off the wire.
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    /// Wiped when dropped: it may hold a token.
    pub body: Zeroizing<Vec<u8>>,
}

/// How a session's exchanges are made.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The deadline of one exchange.
    pub timeout: Duration,
    pub trust: Trust,
    /// The HTTP proxy for this session's target (already decided: `None` for
    /// loopback targets).
    pub proxy: Option<ProxyUrl>,
    /// The session's log (connection events at TRACE).
    pub log: Log,
}

/// A session's HTTP client: one keep-alive connection, reused across the
/// steps of a login.
pub struct Transport {
    agent: Agent,
    /// Wakes the agent's resolver (etna_cancel).
    lookup: Arc<LookupWaker>,
    settings: Settings,
    canceller: Arc<Canceller>,
    /// New connections made so far, to tell a reused one from a fresh one.
    connects: Arc<AtomicU64>,
}

impl Transport {
    pub fn new(settings: Settings, canceller: Arc<Canceller>) -> Transport {
        let connects = Arc::new(AtomicU64::new(0));
        let lookup = Arc::new(LookupWaker::default());
        Transport {
            agent: build_agent(&settings, connects.clone(), lookup.clone()),
            lookup,
            settings,
            canceller,
            connects,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn canceller(&self) -> Arc<Canceller> {
        self.canceller.clone()
    }

    /// Changes how exchanges are made (drops the kept-alive connection).
    pub fn reconfigure(&mut self, settings: Settings) {
        *self = Transport::new(settings, self.canceller.clone());
    }

    /// Sends `POST url` with the given headers and an empty body, and reads
    /// the answer (at most [`MAX_BODY_BYTES`] of body), all within the
    /// deadline.
    pub fn post(&mut self, url: &str, headers: &[Header]) -> Result<Reply, Error> {
        if !self.canceller.start(&self.agent, &self.lookup) {
            return Err(not_sent());
        }
        let result = self.exchange(url, headers);
        if self.canceller.finish() {
            // The agent is shut down for good: the next exchange needs a new one.
            self.reconfigure(self.settings.clone());
            if result.is_err() {
                return Err(Error::new(
                    Status::Cancelled,
                    "cancelled; the connection was dropped",
                ));
            }
        }
        result
    }

    /// Uses up a cancel that waits for the next exchange, with the error
    /// [`Transport::post`] would give for it: for a caller that must stop
    /// before it changes anything (a login that would drop a token).
    pub fn stop_if_cancelled(&self) -> Result<(), Error> {
        match self.canceller.take_pending() {
            true => Err(not_sent()),
            false => Ok(()),
        }
    }

    fn exchange(&self, url: &str, headers: &[Header]) -> Result<Reply, Error> {
        let timeout = self.settings.timeout;
        let deadline = std::time::Instant::now() + timeout;
        let deadline_passed = || std::time::Instant::now() >= deadline;
        // The agent's own deadline (the session's timeout) fits the first
        // attempt; only a retry needs what is left of it.
        let send = |budget: Option<Duration>| {
            let mut request = self.agent.post(url);
            if let Some(budget) = budget {
                request = request
                    .config()
                    .timeout_global(Some(budget.max(Duration::from_millis(1))))
                    .build();
            }
            for (name, value) in headers {
                // header_raw keeps the documented casing (Et-App-Key, ...).
                request = request.header_raw(name, value.as_bytes());
            }
            request.send_empty()
        };
        let log = &self.settings.log;
        if log.enabled(Level::Trace) {
            match &self.settings.proxy {
                Some(proxy) => log.write(
                    Level::Trace,
                    format_args!("through the proxy {}", proxy.redacted()),
                ),
                None => log.write(Level::Trace, format_args!("no proxy")),
            }
        }
        let connects_before = self.connects.load(Ordering::Relaxed);
        let mut sent = send(None);
        let reused = self.connects.load(Ordering::Relaxed) == connects_before;
        // A kept-alive connection the server closed while idle fails before
        // any answer arrives; like curl, try once more on a fresh connection,
        // within the same deadline. Never when the connection was new: that
        // failure is the server's.
        if let Err(e) = &sent {
            if reused && is_dead_connection(e) {
                log.write(
                    Level::Trace,
                    format_args!(
                        "the kept-alive connection was closed by the server; retrying on a new one"
                    ),
                );
                sent = send(Some(
                    deadline.saturating_duration_since(std::time::Instant::now()),
                ));
            }
        }
        if reused && sent.is_ok() {
            log.write(
                Level::Trace,
                format_args!("reused the kept-alive connection"),
            );
        }
        let mut response = sent.map_err(|e| describe(e, deadline_passed(), timeout))?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(|e| describe(e, deadline_passed(), timeout))?;
        Ok(Reply {
            status,
            location,
            body: Zeroizing::new(body),
        })
    }
}

/// An error that means the connection was dead before the request got an
/// answer: closed or reset by the peer.
fn is_dead_connection(error: &ureq::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(error, ureq::Error::Io(io)
        if matches!(io.kind(), UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe))
}

fn build_agent(settings: &Settings, connects: Arc<AtomicU64>, lookup: Arc<LookupWaker>) -> Agent {
    // A proxy URL was checked when it was set; one ureq still refuses would
    // fail every exchange, so it is dropped rather than half-applied.
    let proxy = settings
        .proxy
        .as_ref()
        .and_then(|p| ureq::Proxy::new(p.as_str()).ok());
    let config = Config::builder()
        .http_status_as_error(false)
        // Redirects are answered as protocol errors: credentials must not go
        // to another host. The proxy was chosen by the session (see proxy.rs);
        // ureq's own reading of the environment is not used.
        .max_redirects(0)
        .proxy(proxy)
        .user_agent(concat!("etna-auth/", env!("CARGO_PKG_VERSION")))
        .accept("application/json")
        .timeout_global(Some(settings.timeout))
        .max_response_header_size(MAX_HEADER_BYTES)
        .input_buffer_size(INPUT_BUFFER)
        .output_buffer_size(OUTPUT_BUFFER)
        .max_idle_connections(1)
        .max_idle_connections_per_host(1)
        .build();
    let connector =
        ().chain(ConnectProxyConnector::default())
            .chain(tcp::TcpConnector)
            .chain(TlsConnector {
                trust: settings.trust.clone(),
                connects,
                log: settings.log.clone(),
            });
    let resolver = LoggingResolver {
        inner: DirectResolver::new(lookup),
        log: settings.log.clone(),
    };
    Agent::with_parts(config, connector, resolver)
}

/// A pending cancel stopped the exchange before it sent anything.
fn not_sent() -> Error {
    Error::new(
        Status::Cancelled,
        "cancelled before the request was sent; nothing was sent",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::net::TcpListener;

    #[test]
    fn only_a_closed_or_reset_connection_is_dead() {
        use io::ErrorKind::*;
        for kind in [
            UnexpectedEof,
            ConnectionReset,
            ConnectionAborted,
            BrokenPipe,
        ] {
            let error = ureq::Error::Io(io::Error::new(kind, "gone"));
            assert!(is_dead_connection(&error), "{kind:?}");
        }
        for kind in [TimedOut, ConnectionRefused, WouldBlock, Other] {
            let error = ureq::Error::Io(io::Error::new(kind, "not gone"));
            assert!(!is_dead_connection(&error), "{kind:?}");
        }
        for error in [
            ureq::Error::ConnectionFailed,
            ureq::Error::HostNotFound,
            ureq::Error::Timeout(ureq::Timeout::Global),
        ] {
            assert!(!is_dead_connection(&error), "{error}");
        }
    }

    /// A pending cancel ends the next exchange before it connects, and only
    /// that one: the exchange after it reaches the server (which never
    /// answers, so it times out).
    #[test]
    fn a_pending_cancel_stops_one_exchange_before_it_connects() {
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        server.set_nonblocking(true).unwrap();
        let url = format!("http://{}/api/token", server.local_addr().unwrap());
        let settings = Settings {
            timeout: Duration::from_millis(300),
            trust: Trust::System,
            proxy: None,
            log: Log::off(),
        };
        let canceller = Arc::new(Canceller::default());
        let mut transport = Transport::new(settings, canceller.clone());
        canceller.cancel();
        let error = transport.post(&url, &[]).err().expect("cancelled");
        assert_eq!(error.status(), Status::Cancelled);
        assert!(error.message().contains("nothing was sent"), "{error}");
        assert_eq!(
            server.accept().map(|_| ()).unwrap_err().kind(),
            io::ErrorKind::WouldBlock,
            "no connection was made"
        );
        let error = transport.post(&url, &[]).err().expect("no answer");
        assert_eq!(error.status(), Status::Timeout, "{error}");
        assert!(server.accept().is_ok(), "the second exchange connected");
    }
}
