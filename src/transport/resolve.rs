//! Finding the server's addresses.
//!
//! An IP address is used as is and `localhost` means the loopback addresses
//! only (never DNS, which could point it elsewhere): no thread, no system
//! call. Any other name goes to the system resolver on a helper thread, so
//! that neither a slow DNS server nor etna_cancel has to wait for
//! `getaddrinfo`, which has no timeout and cannot be interrupted. The answer
//! is kept for [`DNS_CACHE_TTL`]: ureq resolves before every request, and a
//! two-factor login makes two or three. [`LoggingResolver`] puts each lookup
//! and its time in the session's log.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use super::{bare_host, tcp};
use crate::log::{Level, Log};

/// How long a host name's addresses are reused (curl's default, too).
const DNS_CACHE_TTL: Duration = Duration::from_secs(60);

/// At most this many addresses of one name are tried.
const MAX_ADDRESSES: usize = 8;

/// A lookup: the host name and port in, the addresses out.
type SystemLookup = fn(&str, u16) -> io::Result<Vec<SocketAddr>>;

/// The resolver of one agent.
#[derive(Debug)]
pub(super) struct DirectResolver {
    cache: Mutex<Option<Lookup>>,
    waker: Arc<LookupWaker>,
    system: SystemLookup,
}

#[derive(Debug)]
struct Lookup {
    host: String,
    port: u16,
    addrs: Vec<SocketAddr>,
    at: Instant,
}

/// How a lookup ended.
#[derive(Debug)]
enum Answer {
    Found(io::Result<Vec<SocketAddr>>),
    Cancelled,
}

/// Where one lookup's answer arrives: from the helper thread, or
/// [`Answer::Cancelled`] from etna_cancel, whichever comes first. (A mutex
/// and a condition variable rather than a channel: std's channels add 19 KiB
/// to the library.)
#[derive(Debug, Default)]
struct Slot {
    answer: Mutex<Option<Answer>>,
    arrived: Condvar,
}

impl Slot {
    fn put(&self, answer: Answer) {
        let mut slot = self.answer.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(answer);
            self.arrived.notify_all();
        }
    }

    /// The answer, waiting for it at most `limit` (`None`: no limit);
    /// `None` when none came in time.
    fn wait(&self, limit: Option<Duration>) -> Option<Answer> {
        let deadline = limit.map(|limit| Instant::now() + limit);
        let mut slot = self.answer.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(answer) = slot.take() {
                return Some(answer);
            }
            slot = match deadline {
                None => self.arrived.wait(slot).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return None;
                    }
                    let woken = self.arrived.wait_timeout(slot, left);
                    woken.unwrap_or_else(|e| e.into_inner()).0
                }
            };
        }
    }
}

/// Lets etna_cancel end the wait for a lookup (the lookup itself runs on
/// until the system resolver returns, and its answer is dropped). Once woken
/// it stays so: the agent it belongs to is shut down for good.
#[derive(Debug, Default)]
pub(super) struct LookupWaker {
    state: Mutex<WakerState>,
}

#[derive(Debug, Default)]
struct WakerState {
    woken: bool,
    waiting: Option<Arc<Slot>>,
}

impl LookupWaker {
    pub(super) fn wake(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.woken = true;
        if let Some(waiting) = state.waiting.take() {
            waiting.put(Answer::Cancelled);
        }
    }

    /// Registers a wait; `false` when the waker was already woken.
    fn register(&self, slot: Arc<Slot>) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.woken {
            return false;
        }
        state.waiting = Some(slot);
        true
    }

    fn unregister(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.waiting = None;
    }

    #[cfg(test)]
    pub(super) fn is_woken(&self) -> bool {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).woken
    }
}

impl DirectResolver {
    pub(super) fn new(waker: Arc<LookupWaker>) -> DirectResolver {
        DirectResolver::with_lookup(waker, system_lookup)
    }

    fn with_lookup(waker: Arc<LookupWaker>, system: SystemLookup) -> DirectResolver {
        DirectResolver {
            cache: Mutex::new(None),
            waker,
            system,
        }
    }

    /// The addresses of a host name, from the cache or the system resolver,
    /// within `timeout`.
    fn lookup(
        &self,
        host: &str,
        port: u16,
        timeout: NextTimeout,
    ) -> Result<Vec<SocketAddr>, ureq::Error> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hit) = cache
            .as_ref()
            .filter(|c| c.host == host && c.port == port && c.at.elapsed() < DNS_CACHE_TTL)
        {
            return Ok(hit.addrs.clone());
        }
        let slot = Arc::new(Slot::default());
        if !self.waker.register(slot.clone()) {
            return Err(cancelled());
        }
        let (name, system, helper_slot) = (host.to_owned(), self.system, slot.clone());
        // The thread ends when getaddrinfo does, even after the call gave
        // up on it; its answer is then dropped.
        let spawned = std::thread::Builder::new()
            .name("etna-auth-dns".into())
            .spawn(move || helper_slot.put(Answer::Found(system(&name, port))));
        let answer = match spawned {
            Ok(_) => slot.wait(tcp::exact(timeout.after)),
            Err(e) => Some(Answer::Found(Err(e))),
        };
        self.waker.unregister();
        let addrs = match answer {
            Some(Answer::Found(Ok(addrs))) if !addrs.is_empty() => addrs,
            Some(Answer::Found(_)) => return Err(ureq::Error::HostNotFound),
            Some(Answer::Cancelled) => return Err(cancelled()),
            None => return Err(ureq::Error::Timeout(timeout.reason)),
        };
        *cache = Some(Lookup {
            host: host.to_owned(),
            port,
            addrs: addrs.clone(),
            at: Instant::now(),
        });
        Ok(addrs)
    }
}

impl Resolver for DirectResolver {
    fn resolve(
        &self,
        uri: &Uri,
        _config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let authority = uri.authority().ok_or(ureq::Error::HostNotFound)?;
        let default_port = if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        };
        let port = authority.port_u16().unwrap_or(default_port);
        let host = bare_host(authority.host());
        let mut addrs = self.empty();
        if let Ok(ip) = host.parse::<IpAddr>() {
            addrs.push(SocketAddr::new(ip, port));
        } else if host.eq_ignore_ascii_case("localhost") {
            addrs.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
            addrs.push(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port));
        } else {
            for addr in self.lookup(host, port, timeout)? {
                addrs.push(addr);
            }
        }
        if addrs.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(addrs)
    }
}

fn system_lookup(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok((host, port)
        .to_socket_addrs()?
        .take(MAX_ADDRESSES)
        .collect())
}

/// The error of a cancelled lookup (the transport reports it as
/// ETNA_ERR_CANCELLED, since the cancel is what it sees first).
fn cancelled() -> ureq::Error {
    ureq::Error::Io(io::Error::new(
        io::ErrorKind::Interrupted,
        "host name lookup cancelled",
    ))
}

/// The resolver with its lookups in the session's log (TRACE): a host name
/// lookup and its time; IP addresses and `localhost` need none.
#[derive(Debug)]
pub(super) struct LoggingResolver {
    pub(super) inner: DirectResolver,
    pub(super) log: Log,
}

impl Resolver for LoggingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::time::Duration as UreqDuration;

    fn budget(d: Duration) -> NextTimeout {
        NextTimeout {
            after: UreqDuration::Exact(d),
            ..NextTimeout::default()
        }
    }

    /// A DNS server that does not answer for 3 seconds.
    fn slow_lookup(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        std::thread::sleep(Duration::from_secs(3));
        system_lookup(host, port)
    }

    #[test]
    fn a_host_name_is_looked_up_once_and_cached() {
        // `localhost` through the system resolver (/etc/hosts): no network.
        let resolver = DirectResolver::new(Arc::default());
        let first = resolver
            .lookup("localhost", 8080, budget(Duration::from_secs(10)))
            .unwrap();
        assert!(
            !first.is_empty()
                && first
                    .iter()
                    .all(|a| a.ip().is_loopback() && a.port() == 8080)
        );
        let cached_at = resolver.cache.lock().unwrap().as_ref().unwrap().at;
        let again = resolver
            .lookup("localhost", 8080, budget(Duration::from_secs(10)))
            .unwrap();
        assert_eq!(again, first);
        assert_eq!(
            resolver.cache.lock().unwrap().as_ref().unwrap().at,
            cached_at,
            "from the cache"
        );
        // Another port is another entry.
        let other = resolver
            .lookup("localhost", 9090, budget(Duration::from_secs(10)))
            .unwrap();
        assert!(other.iter().all(|a| a.port() == 9090));
    }

    #[test]
    fn a_name_that_does_not_resolve_is_host_not_found() {
        // `.invalid` never resolves (RFC 6761); a closed network fails fast.
        let resolver = DirectResolver::new(Arc::default());
        match resolver.lookup("no-such-host.invalid", 443, budget(Duration::from_secs(20))) {
            Err(ureq::Error::HostNotFound) | Err(ureq::Error::Timeout(_)) => {}
            other => panic!("{other:?}"),
        }
        assert!(
            resolver.cache.lock().unwrap().is_none(),
            "failures are not cached"
        );
    }

    #[test]
    fn a_slow_lookup_ends_at_the_deadline() {
        let resolver = DirectResolver::with_lookup(Arc::default(), slow_lookup);
        let started = Instant::now();
        let result = resolver.lookup("localhost", 80, budget(Duration::from_millis(200)));
        let took = started.elapsed();
        assert!(matches!(result, Err(ureq::Error::Timeout(_))), "{result:?}");
        assert!(took < Duration::from_secs(2), "took {took:?}");
        assert!(resolver.cache.lock().unwrap().is_none());
    }

    #[test]
    fn a_cancel_ends_the_wait_for_a_slow_lookup() {
        let waker = Arc::new(LookupWaker::default());
        let resolver = DirectResolver::with_lookup(waker.clone(), slow_lookup);
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            let woken_at = Instant::now();
            waker.wake();
            woken_at
        });
        let result = resolver.lookup("localhost", 80, budget(Duration::from_secs(30)));
        let returned_at = Instant::now();
        let woken_at = canceller.join().unwrap();
        assert!(
            matches!(&result, Err(ureq::Error::Io(e)) if e.kind() == io::ErrorKind::Interrupted),
            "{result:?}"
        );
        // Well before the 3 s the lookup takes (typically microseconds).
        let latency = returned_at - woken_at;
        assert!(latency < Duration::from_secs(1), "{latency:?}");
    }

    #[test]
    fn a_cancel_before_the_lookup_starts_is_not_lost() {
        let waker = Arc::new(LookupWaker::default());
        waker.wake();
        let resolver = DirectResolver::with_lookup(waker, slow_lookup);
        let started = Instant::now();
        let result = resolver.lookup("localhost", 80, budget(Duration::from_secs(30)));
        assert!(matches!(result, Err(ureq::Error::Io(_))), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
