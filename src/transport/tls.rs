//! TLS for `https`: the connector that wraps a new TCP connection in a
//! rustls client connection (with the session's shared configuration, see
//! tls_config.rs), and the transport ureq then reads and writes through.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};
use ureq::unversioned::transport::time::{Duration as UreqDuration, Instant as UreqInstant};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout,
    Transport as UreqTransport, TransportAdapter,
};

use super::tls_config::Trust;
use super::{bare_host, INPUT_BUFFER, OUTPUT_BUFFER};
use crate::error::{quote, Error, Status};
use crate::log::{Level, Log};

/// Wraps the TCP transport in TLS for `https`, with the session's shared
/// rustls configuration. It sees every new connection, so it counts them.
#[derive(Debug)]
pub(super) struct TlsConnector {
    pub(super) trust: Trust,
    pub(super) connects: Arc<AtomicU64>,
    pub(super) log: Log,
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
pub(super) struct TlsTransport {
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
