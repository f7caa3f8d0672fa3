//! One HTTP exchange: `POST` the token URL with some headers and read the
//! answer, within a deadline, over a kept-alive connection, with TLS from a
//! configuration shared by the whole process.
//!
//! Built on ureq with four parts of our own:
//! - TCP connections that make fewer system calls than ureq's (see tcp.rs);
//! - a resolver that needs no thread for an IP address or `localhost` (ureq's
//!   default one starts a thread per lookup when a timeout is set, even for an
//!   IP address), sends `localhost` to loopback addresses only, bounds a DNS
//!   lookup by the deadline and keeps its answer for a minute;
//! - a TLS connector that uses one shared rustls `ClientConfig` per trust
//!   source (the OS store once per process, or a CA file), instead of building
//!   one per session;
//! - the mapping of every ureq error to one [`Status`].

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use once_cell::sync::OnceCell;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use ureq::config::Config;
use ureq::unversioned::transport::time::{Duration as UreqDuration, Instant as UreqInstant};
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout,
    Transport as UreqTransport, TransportAdapter,
};
use ureq::Agent;
use zeroize::Zeroizing;

use crate::error::{quote, Error, Status};
use crate::log::{Level, Log};
use crate::protocol::{Header, MAX_BODY_BYTES};
use crate::proxy::ProxyUrl;

mod resolve;
mod tcp;
#[cfg(all(windows, feature = "sandbox"))]
pub(crate) use tcp::cancel_io;

use resolve::{DirectResolver, LookupWaker};

/// The default deadline of one exchange.
pub const DEFAULT_TIMEOUT: Duration =
    Duration::from_millis(crate::defaults::DEFAULT_TIMEOUT_MS as u64);

/// Buffer sizes: answers are small JSON documents, and ureq's 128 KiB
/// defaults would dominate the memory of a small client.
const INPUT_BUFFER: usize = 32 * 1024;
const OUTPUT_BUFFER: usize = 8 * 1024;
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// What a session trusts for `https`.
#[derive(Clone)]
pub enum Trust {
    /// The operating system's trust store (loaded once per process).
    System,
    /// Exactly the certificates of a CA file.
    CaFile(Arc<ClientConfig>),
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trust::System => f.write_str("Trust::System"),
            Trust::CaFile(_) => f.write_str("Trust::CaFile"),
        }
    }
}

impl Trust {
    /// Trust exactly the certificates in a PEM file. Files with the same
    /// certificates share one TLS configuration.
    pub fn from_ca_file(path: &Path) -> Result<Trust, Error> {
        let shown = quote(&path.display().to_string());
        let pem = std::fs::read(path)
            .map_err(|e| Error::new(Status::Io, format!("cannot read the CA file {shown}: {e}")))?;
        let mut ders = Vec::new();
        for item in CertificateDer::pem_slice_iter(&pem) {
            match item {
                Ok(der) => ders.push(der),
                Err(e) => {
                    return Err(Error::argument(format!(
                        "the CA file {shown} is not valid PEM: {e}"
                    )))
                }
            }
        }
        if ders.is_empty() {
            return Err(Error::argument(format!(
                "the CA file {shown} holds no certificate (expected PEM \"BEGIN CERTIFICATE\" blocks)"
            )));
        }
        shared_ca_config(ders).map(Trust::CaFile)
    }

    /// Which certificates are trusted, for the log.
    fn describe(&self) -> &'static str {
        match self {
            Trust::System => "the operating system's trust store",
            Trust::CaFile(_) => "the session's CA file",
        }
    }

    fn client_config(&self) -> Result<Arc<ClientConfig>, Error> {
        match self {
            Trust::System => system_config(),
            Trust::CaFile(config) => Ok(config.clone()),
        }
    }
}

fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: OnceCell<Arc<rustls::crypto::CryptoProvider>> = OnceCell::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

fn client_config(roots: RootCertStore) -> Result<Arc<ClientConfig>, Error> {
    let config = ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(Status::Tls, format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The TLS configuration over the OS trust store, built on first use and
/// kept for the life of the process (like curl and OpenSSL, it honours
/// `SSL_CERT_FILE` and `SSL_CERT_DIR`).
fn system_config() -> Result<Arc<ClientConfig>, Error> {
    static SYSTEM: OnceCell<Result<Arc<ClientConfig>, Error>> = OnceCell::new();
    SYSTEM
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(Error::new(
                    Status::Tls,
                    "no trusted root certificate was found in the operating system's trust store \
                     (install ca-certificates, or set SSL_CERT_FILE), or set the session's CA file \
                     to the CA that signed the server's certificate",
                ));
            }
            client_config(roots)
        })
        .clone()
}

/// One configuration per set of CA certificates, shared while any session
/// uses it.
fn shared_ca_config(ders: Vec<CertificateDer<'static>>) -> Result<Arc<ClientConfig>, Error> {
    static CACHE: OnceCell<Mutex<HashMap<Vec<u8>, Weak<ClientConfig>>>> = OnceCell::new();
    let key: Vec<u8> = ders
        .iter()
        .flat_map(|d| d.as_ref().iter().copied())
        .collect();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(config) = cache.get(&key).and_then(Weak::upgrade) {
        return Ok(config);
    }
    let mut roots = RootCertStore::empty();
    for der in ders {
        roots.add(der).map_err(|e| {
            Error::argument(format!(
                "the CA file holds a certificate that cannot be used: {e}"
            ))
        })?;
    }
    let config = client_config(roots)?;
    cache.retain(|_, weak| weak.strong_count() > 0);
    cache.insert(key, Arc::downgrade(&config));
    Ok(config)
}

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

/// Lets another thread interrupt the exchange in flight.
///
/// Cancelling shuts the agent's sockets down, which wakes a connect, read or
/// write blocked on them at once, and wakes a wait for a host name lookup:
/// no polling, no CPU while waiting. A cancel with no exchange in flight is
/// kept for the next one, which then ends at once without sending anything;
/// each cancel is used once. Starting an exchange and cancelling take the same
/// lock, so a cancel that lands while a call is starting is never lost.
#[derive(Default)]
pub struct Canceller {
    state: Mutex<InFlight>,
}

impl std::fmt::Debug for Canceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Canceller")
    }
}

#[derive(Default)]
struct InFlight {
    /// The agent of the exchange in flight, if any, and its resolver's waker.
    agent: Option<(Agent, Arc<LookupWaker>)>,
    /// The exchange in flight was cancelled.
    cancelled: bool,
    /// A cancel arrived with no exchange in flight: it is for the next one.
    pending: bool,
}

impl Canceller {
    /// Interrupts the exchange in flight, or when there is none, the next
    /// exchange. Cancels do not add up: one pending cancel stops one exchange.
    pub fn cancel(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match state.agent.take() {
            Some((agent, lookup)) => {
                state.cancelled = true;
                agent.shutdown();
                lookup.wake();
            }
            None => state.pending = true,
        }
    }

    /// Forgets a pending cancel (a session that ends its login starts afresh).
    pub fn clear(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).pending = false;
    }

    /// Uses up a pending cancel, if there is one: for a wait outside any
    /// exchange (etna_acquire_token() waiting for another login), which
    /// polls it.
    pub fn take_pending(&self) -> bool {
        std::mem::take(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()).pending)
    }

    /// Registers the exchange about to start; `false` when a pending cancel
    /// stops it before it sends anything (the cancel is used up).
    fn start(&self, agent: &Agent, lookup: &Arc<LookupWaker>) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if std::mem::take(&mut state.pending) {
            return false;
        }
        state.agent = Some((agent.clone(), lookup.clone()));
        state.cancelled = false;
        true
    }

    /// Ends the exchange; whether it was cancelled.
    fn finish(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.agent = None;
        std::mem::take(&mut state.cancelled)
    }
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
            return Err(Error::new(
                Status::Cancelled,
                "cancelled before the request was sent; nothing was sent",
            ));
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

/// Turns a ureq error into our status and a message that names the cause.
fn describe(error: ureq::Error, deadline_passed: bool, timeout: Duration) -> Error {
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

/// A URL host without the brackets of an IPv6 literal.
fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Wraps the TCP transport in TLS for `https`, with the session's shared
/// rustls configuration. It sees every new connection, so it counts them.
#[derive(Debug)]
struct TlsConnector {
    trust: Trust,
    connects: Arc<AtomicU64>,
    log: Log,
}

impl<In: UreqTransport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        self.connects.fetch_add(1, Ordering::Relaxed);
        let log = &self.log;
        if log.enabled(Level::Trace) {
            log.write(
                Level::Trace,
                format_args!(
                    // Host and port only: a proxy's authority has its credentials.
                    "opened a new connection to {}:{} in {} ms (lookup and connect)",
                    details.uri.host().unwrap_or(""),
                    details
                        .uri
                        .port_u16()
                        .map_or(String::new(), |p| p.to_string()),
                    elapsed_ms(details)
                ),
            );
        }
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let ours = |e: Error| ureq::Error::Other(Box::new(e));
        let config = self.trust.client_config().map_err(ours)?;
        let host = details
            .uri
            .authority()
            .map(|a| bare_host(a.host()))
            .unwrap_or("");
        let name = ServerName::try_from(host.to_owned()).map_err(|_| {
            ours(Error::new(
                Status::Tls,
                format!("{} is not a valid TLS server name", quote(host)),
            ))
        })?;
        let mut conn = ClientConnection::new(config, name)?;
        let mut socket = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        socket.set_timeout(remaining(details));
        let started = log.enabled(Level::Trace).then(std::time::Instant::now);
        conn.complete_io(&mut socket)?;
        if let Some(started) = started {
            log.write(
                Level::Trace,
                format_args!(
                    "TLS handshake with {host} in {:.1} ms: {:?}, {:?}, certificate checked against {}",
                    started.elapsed().as_secs_f64() * 1000.0,
                    conn.protocol_version().unwrap_or(rustls::ProtocolVersion::Unknown(0)),
                    conn.negotiated_cipher_suite()
                        .map_or(rustls::CipherSuite::Unknown(0), |s| s.suite()),
                    self.trust.describe()
                ),
            );
        }
        Ok(Some(Either::B(TlsTransport {
            buffers: LazyBuffers::new(INPUT_BUFFER, OUTPUT_BUFFER),
            stream: StreamOwned::new(conn, socket),
        })))
    }
}

/// Milliseconds since the connection attempt began (lookup included).
fn elapsed_ms(details: &ConnectionDetails) -> String {
    match ((details.current_time)(), details.now) {
        (UreqInstant::Exact(now), UreqInstant::Exact(start)) => format!(
            "{:.1}",
            now.saturating_duration_since(start).as_secs_f64() * 1000.0
        ),
        _ => "?".to_owned(),
    }
}

/// The resolver with its lookups in the session's log (TRACE): a host name
/// lookup and its time; IP addresses and `localhost` need none.
#[derive(Debug)]
struct LoggingResolver {
    inner: DirectResolver,
    log: Log,
}

impl ureq::unversioned::resolver::Resolver for LoggingResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        if !self.log.enabled(Level::Trace) {
            return self.inner.resolve(uri, config, timeout);
        }
        let started = std::time::Instant::now();
        let result = self.inner.resolve(uri, config, timeout);
        let host = uri.authority().map_or("", |a| a.host());
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match &result {
            Ok(addrs) => self.log.write(
                Level::Trace,
                format_args!(
                    "host name {host}: {} address(es) in {ms:.2} ms (IP addresses and localhost need no lookup; a lookup is kept 60 s)",
                    addrs.len()
                ),
            ),
            Err(e) => self.log.write(
                Level::Trace,
                format_args!("host name {host}: no address after {ms:.2} ms ({e})"),
            ),
        }
        result
    }
}

/// The connect budget left after the TCP connect, so that the handshake
/// cannot extend the deadline.
fn remaining(details: &ConnectionDetails) -> NextTimeout {
    let mut timeout = details.timeout;
    if let (UreqInstant::Exact(now), UreqInstant::Exact(start), UreqDuration::Exact(after)) =
        ((details.current_time)(), details.now, timeout.after)
    {
        timeout.after =
            UreqDuration::Exact(after.saturating_sub(now.saturating_duration_since(start)));
    }
    timeout
}

/// TLS over the TCP transport (as ureq's own rustls transport).
struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsTransport")
    }
}

impl UreqTransport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}
