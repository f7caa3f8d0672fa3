//! The TCP connections under ureq, cheaper in system calls than ureq's own.
//!
//! ureq's `TcpTransport` makes, per request, two liveness probes of three
//! system calls each (`ioctl(FIONBIO)`, `recv`, `ioctl(FIONBIO)`) and two
//! `setsockopt` calls, because the deadline it passes down moves by a few
//! microseconds between reads. On loopback those are half of a login's system
//! calls (bench/, BENCHMARKS.md). This transport probes with one
//! `recv(MSG_PEEK | MSG_DONTWAIT)` and re-arms a socket timeout only when the
//! one already set would end more than [`TIMEOUT_SLACK`] away from the
//! deadline. Everything else is as in ureq: one socket per connection,
//! registered with the agent so that `Agent::shutdown` (etna_cancel) wakes a
//! blocked read or write.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use ureq::unversioned::transport::time::Duration as UreqDuration;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle,
    Transport,
};

/// How far from the deadline a socket timeout that is already set may end
/// before it is set again: a read may end this much early or late.
const TIMEOUT_SLACK: Duration = Duration::from_millis(5);

/// The shortest connect attempt per address when a host has several.
const MIN_CONNECT_PER_ADDRESS: Duration = Duration::from_millis(10);

/// Opens the TCP connection for a request that has none from the chain
/// before it (a CONNECT proxy's tunnel comes from the chain).
#[derive(Debug, Default)]
pub(super) struct TcpConnector;

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if chained.is_some() {
            return Ok(chained.map(Either::A));
        }
        let stream = connect_any(details)?;
        stream.set_nodelay(true)?;
        let transport = TcpTransport {
            stream,
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            read_timeout: None,
            write_timeout: None,
        };
        Ok(Some(Either::B(transport)))
    }
}

/// Tries each resolved address in turn. Each gets half of the budget left
/// (the last one all of it), so that one unreachable address cannot use the
/// whole deadline.
///
/// Each socket is registered with the agent before it connects, so that
/// etna_cancel also interrupts a connect that a firewall leaves hanging.
fn connect_any(details: &ConnectionDetails) -> Result<Arc<TcpStream>, ureq::Error> {
    let started = Instant::now();
    let budget = exact(details.timeout.after);
    let timed_out = || ureq::Error::Timeout(details.timeout.reason);
    let mut last_error = None;
    for (i, addr) in details.addrs.iter().enumerate() {
        let left = budget.map(|b| b.saturating_sub(started.elapsed()));
        if left == Some(Duration::ZERO) {
            return Err(timed_out());
        }
        let is_last = i + 1 == details.addrs.len();
        let attempt = left.map(|l| {
            if is_last {
                l
            } else {
                (l / 2).max(MIN_CONNECT_PER_ADDRESS).min(l)
            }
        });
        let socket = Arc::new(new_socket(addr)?);
        let handle: Weak<dyn ShutdownHandle> = Arc::downgrade(&socket) as _;
        (details.register_shutdown)(handle)?;
        match connect(&socket, addr, attempt) {
            Ok(()) => return Ok(socket),
            Err(e) if is_last => {
                return Err(match e.kind() {
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => timed_out(),
                    _ => e.into(),
                })
            }
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error
        .map(ureq::Error::from)
        .unwrap_or(ureq::Error::HostNotFound))
}

/// A TCP socket for `addr`, not yet connected (close-on-exec).
fn new_socket(addr: &SocketAddr) -> io::Result<TcpStream> {
    use std::os::fd::FromRawFd;
    let family = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    // SAFETY: plain system call; the descriptor is owned by the TcpStream.
    let fd = unsafe { libc::socket(family, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh socket that nothing else owns.
    Ok(unsafe { TcpStream::from_raw_fd(fd) })
}

/// Connects `socket` within `timeout`: a non-blocking connect, then `poll`.
/// A shutdown from another thread (etna_cancel) ends the wait at once.
fn connect(socket: &TcpStream, addr: &SocketAddr, timeout: Option<Duration>) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = socket.as_raw_fd();
    let (raw, len) = sockaddr(addr);
    socket.set_nonblocking(true)?;
    // SAFETY: `raw` is a valid sockaddr of `len` bytes for the call.
    let started = unsafe { libc::connect(fd, (&raw as *const libc::sockaddr_storage).cast(), len) };
    if started != 0 {
        let error = io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(error);
        }
        let begun = Instant::now();
        loop {
            let left = timeout.map(|t| t.saturating_sub(begun.elapsed()));
            if left == Some(Duration::ZERO) {
                return Err(io::ErrorKind::TimedOut.into());
            }
            let millis = left.map_or(-1, |l| l.as_millis().clamp(1, i32::MAX as u128) as i32);
            let mut pollfd = libc::pollfd {
                fd,
                events: libc::POLLOUT,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            match unsafe { libc::poll(&mut pollfd, 1, millis) } {
                0 => continue,
                n if n < 0 => {
                    let error = io::Error::last_os_error();
                    if error.kind() != io::ErrorKind::Interrupted {
                        return Err(error);
                    }
                }
                _ => break,
            }
        }
        if let Some(error) = socket.take_error()? {
            return Err(error);
        }
        // A shutdown while connecting leaves no error but no peer either.
        socket.peer_addr()?;
    }
    socket.set_nonblocking(false)
}

fn sockaddr(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(v4) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(v4.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than, and aligned for, sockaddr_in.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(v6) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: v6.port().to_be(),
                sin6_flowinfo: v6.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: v6.ip().octets(),
                },
                sin6_scope_id: v6.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than, and aligned for, sockaddr_in6.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// A ureq duration as a std one; `None` when it never happens.
pub(super) fn exact(duration: UreqDuration) -> Option<Duration> {
    match duration {
        UreqDuration::Exact(d) => Some(d),
        UreqDuration::NotHappening => None,
    }
}

pub(super) struct TcpTransport {
    /// Shared (weakly) with the agent's shutdown handle; all I/O goes through
    /// `&TcpStream`.
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    /// The socket timeouts as last set.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl std::fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TcpTransport")
    }
}

/// Which socket timeout to set.
#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

impl TcpTransport {
    /// Sets the socket's timeout for `timeout` unless the one set is within
    /// [`TIMEOUT_SLACK`] of it. A zero budget is a timeout now.
    fn arm(&mut self, direction: Direction, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let wanted = exact(timeout.after);
        if wanted == Some(Duration::ZERO) {
            return Err(ureq::Error::Timeout(timeout.reason));
        }
        let current = match direction {
            Direction::Read => &mut self.read_timeout,
            Direction::Write => &mut self.write_timeout,
        };
        let close_enough = match (*current, wanted) {
            (Some(set), Some(wanted)) => set.abs_diff(wanted) <= TIMEOUT_SLACK,
            (None, None) => true,
            _ => false,
        };
        if !close_enough {
            match direction {
                Direction::Read => self.stream.set_read_timeout(wanted)?,
                Direction::Write => self.stream.set_write_timeout(wanted)?,
            }
            *current = wanted;
        }
        Ok(())
    }
}

/// A read or write that hit the socket timeout.
fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let timeout = timeout.for_write();
        self.arm(Direction::Write, timeout)?;
        let output = &self.buffers.output()[..amount];
        match (&*self.stream).write_all(output) {
            Ok(()) => Ok(()),
            Err(e) if is_timeout(&e) => Err(ureq::Error::Timeout(timeout.reason)),
            Err(e) => Err(e.into()),
        }
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let timeout = timeout.for_read();
        self.arm(Direction::Read, timeout)?;
        let started = Instant::now();
        loop {
            match (&*self.stream).read(self.buffers.input_append_buf()) {
                Ok(amount) => {
                    self.buffers.input_appended(amount);
                    return Ok(amount > 0);
                }
                // Linux does not restart a socket read that has a timeout
                // after a signal: go on with what is left of the budget.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    let left = exact(timeout.after).map(|t| t.saturating_sub(started.elapsed()));
                    if left == Some(Duration::ZERO) {
                        return Err(ureq::Error::Timeout(timeout.reason));
                    }
                    self.stream.set_read_timeout(left)?;
                    self.read_timeout = left;
                }
                Err(e) if is_timeout(&e) => return Err(ureq::Error::Timeout(timeout.reason)),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Open when nothing is waiting to be read: a closed connection reads as
    /// end of file or an error, and bytes nobody asked for (a second answer
    /// to one request) make the connection unusable.
    fn is_open(&mut self) -> bool {
        would_block_now(&self.stream)
    }
}

fn would_block_now(stream: &TcpStream) -> bool {
    use std::os::fd::AsRawFd;
    let mut byte = 0u8;
    // SAFETY: a valid socket and a one-byte buffer that outlives the call.
    let got = unsafe {
        libc::recv(
            stream.as_raw_fd(),
            (&mut byte as *mut u8).cast(),
            1,
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    got < 0 && io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock
}
