//! The TCP connections under ureq, cheaper in system calls than ureq's own.
//!
//! ureq's `TcpTransport` makes, per request, two liveness probes of three
//! system calls each (`ioctl(FIONBIO)`, `recv`, `ioctl(FIONBIO)`) and two
//! `setsockopt` calls, because the deadline it passes down moves by a few
//! microseconds between reads. On loopback those are half of a login's system
//! calls (bench/, BENCHMARKS.md). This transport probes with one
//! `recv(MSG_PEEK | MSG_DONTWAIT)` (Windows: one `select` with a zero timeout)
//! and re-arms a socket timeout only when the one already set would end more
//! than [`TIMEOUT_SLACK`] away from the deadline. Everything else is as in
//! ureq: one socket per connection, registered with the agent so that
//! `Agent::shutdown` (etna_cancel) wakes a blocked connect, read or write.
//!
//! Sockets are made with `socket2` (close-on-exec on Unix, `SO_NOSIGPIPE` on
//! macOS, not inheritable on Windows). Waiting for a connect is `poll` on
//! Unix; on Windows it is `select` in slices of at most `CANCEL_POLL`,
//! because there a `shutdown` of a socket that is still connecting fails
//! (WSAENOTCONN) and is not documented to wake a `select`: the cancel flag is
//! checked between slices. A cancel of a
//! connected socket on Windows also calls `CancelIoEx`, which ends a blocking
//! `recv` or `send` in another thread (a `shutdown` alone may not).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, SockRef, Socket, Type};
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

/// Windows: the longest `select` slice while connecting, so the most an
/// etna_cancel waits for a connect to notice it.
#[cfg(windows)]
const CANCEL_POLL: Duration = Duration::from_millis(10);

/// A connection's socket, shared (weakly) with the agent's shutdown handle.
pub(super) struct Conn {
    stream: TcpStream,
    /// Set by the shutdown handle (etna_cancel).
    cancelled: AtomicBool,
}

impl ShutdownHandle for Conn {
    fn shutdown(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let _ = self.stream.shutdown(Shutdown::Both);
        #[cfg(windows)]
        sys::cancel_io(&self.stream);
    }
}

impl Conn {
    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

/// The error of a connect that etna_cancel ended.
fn cancelled_error() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "connect cancelled")
}

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
        stream.stream.set_nodelay(true)?;
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
fn connect_any(details: &ConnectionDetails) -> Result<Arc<Conn>, ureq::Error> {
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
        let socket = Arc::new(Conn {
            stream: new_socket(addr)?,
            cancelled: AtomicBool::new(false),
        });
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

/// A TCP socket for `addr`, not yet connected (close-on-exec; on Windows
/// not inheritable). One `socket` system call on Linux.
fn new_socket(addr: &SocketAddr) -> io::Result<TcpStream> {
    let socket = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    Ok(TcpStream::from(socket))
}

/// Connects the socket within `timeout`: a non-blocking connect, then a wait
/// for it to become writable. A shutdown from another thread (etna_cancel)
/// ends the wait at once (Windows: within `CANCEL_POLL`).
fn connect(conn: &Conn, addr: &SocketAddr, timeout: Option<Duration>) -> io::Result<()> {
    let socket = &conn.stream;
    socket.set_nonblocking(true)?;
    if let Err(error) = SockRef::from(socket).connect(&SockAddr::from(*addr)) {
        if !sys::connect_in_progress(&error) {
            return Err(error);
        }
        sys::wait_connected(conn, timeout)?;
        if let Some(error) = socket.take_error()? {
            return Err(error);
        }
        if conn.is_cancelled() {
            return Err(cancelled_error());
        }
        // A shutdown while connecting leaves no error but no peer either.
        #[cfg(unix)]
        socket.peer_addr()?;
    }
    socket.set_nonblocking(false)
}

#[cfg(unix)]
mod sys {
    use super::*;

    pub(super) fn connect_in_progress(error: &io::Error) -> bool {
        error.raw_os_error() == Some(libc::EINPROGRESS)
    }

    /// `poll` for POLLOUT; a shutdown from another thread wakes it (POLLHUP).
    pub(super) fn wait_connected(conn: &Conn, timeout: Option<Duration>) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let fd = conn.stream.as_raw_fd();
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
                _ => return Ok(()),
            }
        }
    }

    /// One `recv(MSG_PEEK | MSG_DONTWAIT)`: nothing to read yet.
    pub(super) fn would_block_now(stream: &TcpStream) -> bool {
        let mut byte = [std::mem::MaybeUninit::<u8>::uninit()];
        match SockRef::from(stream).recv_with_flags(&mut byte, libc::MSG_PEEK | libc::MSG_DONTWAIT)
        {
            Ok(_) => false,
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
        }
    }
}

#[cfg(windows)]
mod sys {
    use super::*;
    use std::os::windows::io::AsRawSocket;
    use windows_sys::Win32::Networking::WinSock;

    pub(super) fn connect_in_progress(error: &io::Error) -> bool {
        error.raw_os_error() == Some(WinSock::WSAEWOULDBLOCK)
    }

    /// One socket in an `fd_set`.
    fn set_of(stream: &TcpStream) -> WinSock::FD_SET {
        let mut set = WinSock::FD_SET {
            fd_count: 1,
            fd_array: [0; 64],
        };
        set.fd_array[0] = stream.as_raw_socket() as WinSock::SOCKET;
        set
    }

    /// `select(2)` on one socket: how many sets it is ready in.
    fn select(stream: &TcpStream, read: bool, write: bool, timeout: Duration) -> io::Result<i32> {
        let mut readfds = set_of(stream);
        let mut writefds = set_of(stream);
        let mut exceptfds = set_of(stream);
        let tv = WinSock::TIMEVAL {
            tv_sec: timeout.as_secs().min(i32::MAX as u64) as i32,
            tv_usec: timeout.subsec_micros() as i32,
        };
        let none = std::ptr::null_mut();
        // SAFETY: valid sets of one live socket and a valid timeval.
        let n = unsafe {
            WinSock::select(
                0,
                if read { &mut readfds } else { none },
                if write { &mut writefds } else { none },
                if write { &mut exceptfds } else { none },
                &tv,
            )
        };
        if n == WinSock::SOCKET_ERROR {
            return Err(io::Error::from_raw_os_error(unsafe {
                WinSock::WSAGetLastError()
            }));
        }
        Ok(n)
    }

    /// `select` for writable (connected) or exception (failed), in slices of
    /// at most `CANCEL_POLL` so that a cancel is seen: on Windows, neither
    /// `shutdown` of a connecting socket nor `CancelIoEx` is known to wake a
    /// `select`.
    /// (`select`, not `WSAPoll`: before Windows 10 2004, WSAPoll never
    /// reported a failed connect.)
    pub(super) fn wait_connected(conn: &Conn, timeout: Option<Duration>) -> io::Result<()> {
        let begun = Instant::now();
        loop {
            if conn.is_cancelled() {
                return Err(cancelled_error());
            }
            let left = timeout.map(|t| t.saturating_sub(begun.elapsed()));
            if left == Some(Duration::ZERO) {
                return Err(io::ErrorKind::TimedOut.into());
            }
            let slice = left.map_or(CANCEL_POLL, |l| l.min(CANCEL_POLL));
            if select(&conn.stream, false, true, slice)? > 0 {
                return Ok(());
            }
        }
    }

    /// One `select` with a zero timeout: not readable (no data, no end of
    /// file, no error). Leaves the socket blocking.
    pub(super) fn would_block_now(stream: &TcpStream) -> bool {
        matches!(select(stream, true, false, Duration::ZERO), Ok(0))
    }

    /// Ends a `recv` or `send` blocked on the socket in another thread.
    pub(crate) fn cancel_io(stream: &TcpStream) {
        // SAFETY: a socket is a kernel handle; CancelIoEx only cancels I/O.
        unsafe {
            windows_sys::Win32::System::IO::CancelIoEx(
                stream.as_raw_socket() as windows_sys::Win32::Foundation::HANDLE,
                std::ptr::null(),
            )
        };
    }
}

/// For the sandbox's stop, which wakes its connections' blocked reads alike.
#[cfg(all(windows, feature = "sandbox"))]
pub(crate) use sys::cancel_io;

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
    stream: Arc<Conn>,
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
                Direction::Read => self.stream.stream.set_read_timeout(wanted)?,
                Direction::Write => self.stream.stream.set_write_timeout(wanted)?,
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
        match (&self.stream.stream).write_all(output) {
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
            match (&self.stream.stream).read(self.buffers.input_append_buf()) {
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
                    self.stream.stream.set_read_timeout(left)?;
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
        sys::would_block_now(&self.stream.stream)
    }
}
