//! One connection: HTTP/1.1 requests read with `httparse`, answered through
//! [`decide`], with keep-alive, pipelining, `Expect: 100-continue`, and
//! limits on every read so that no client can hold a thread or memory for
//! long. Header values may hold raw UTF-8 bytes, as users' non-ASCII names
//! and passwords do (tiny_http 0.12 drops such connections, which is why it
//! is not used here).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::config::SandboxConfig;
use super::decide::{decide, error_answer, Answer, Request};
use super::tickets::Tickets;

/// What every connection of a sandbox uses (the server keeps it with the
/// connections it tracks): the configuration, the open logins, the stop
/// flag and the count of answers.
pub(super) struct Service {
    pub(super) config: SandboxConfig,
    pub(super) tickets: Mutex<Tickets>,
    pub(super) stopping: AtomicBool,
    pub(super) requests: AtomicU64,
}

impl Service {
    pub(super) fn new(config: SandboxConfig) -> Service {
        Service {
            config,
            tickets: Mutex::new(Tickets::new()),
            stopping: AtomicBool::new(false),
            requests: AtomicU64::new(0),
        }
    }
}

/// A lock that survives a panicked holder: the data (counters, a table of
/// tickets) stays usable, and the sandbox must not panic in turn.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A request head (request line and headers) larger than this gets 431.
const MAX_HEAD: usize = 64 * 1024;
/// At most this many header lines; more gets 431 as well.
const MAX_HEADERS: usize = 100;
/// A request body larger than this gets 413. The protocol has no body, so a
/// small one is only read and thrown away.
const MAX_BODY: usize = 64 * 1024;
/// Each request must arrive whole within this time of the server starting to
/// wait for it, so an idle keep-alive connection (or one that drips a byte
/// now and then) ends on its own and its thread with it.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// After refusing a request we close our side and read what the client is
/// still sending for at most this long, so that the refusal is not lost to a
/// TCP reset caused by closing with unread data.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_MAX_BYTES: usize = 1024 * 1024;

/// What to do with a connection after one request.
enum Next {
    /// Keep-alive: wait for the next request.
    KeepOpen,
    /// We answered and close: close our side gracefully.
    Close,
    /// The client left, timed out or the write failed: just drop it.
    Gone,
}

/// Serves one connection until the client closes it, asks to close, stays
/// idle too long, or sends something we refuse.
pub(super) fn serve(mut stream: TcpStream, shared: &Service) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(IDLE_TIMEOUT));
    // Bytes read but not yet used: a pipelined next request may start here.
    let mut buffer: Vec<u8> = Vec::with_capacity(4096);
    loop {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let deadline = Instant::now() + IDLE_TIMEOUT;
        match serve_one(&mut stream, &mut buffer, deadline, shared) {
            Next::KeepOpen => {}
            Next::Close => {
                close_gracefully(&mut stream);
                return;
            }
            Next::Gone => return,
        }
    }
}

/// Reads, answers and accounts for one request.
fn serve_one(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    deadline: Instant,
    shared: &Service,
) -> Next {
    let head = match read_head(stream, buffer, deadline) {
        Ok(Some(head)) => head,
        Ok(None) => return Next::Gone,
        Err(refusal) => return refuse(stream, shared, &refusal),
    };
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    if !matches!(parsed.parse(&head), Ok(httparse::Status::Complete(_))) {
        // read_head parsed the same bytes already; kept total all the same.
        return refuse(stream, shared, &error_answer(400, "Bad request"));
    }
    let version = parsed.version;
    let request = Request {
        method: parsed.method.unwrap_or(""),
        path: parsed.path.unwrap_or(""),
        headers: parsed.headers,
    };
    let body_len = match body_length(&request) {
        Ok(len) => len,
        Err(refusal) => return refuse(stream, shared, &refusal),
    };
    if body_len > MAX_BODY {
        return refuse(stream, shared, &error_answer(413, "Request body too large"));
    }
    if body_len > 0 && version == Some(1) && request.has_token("Expect", "100-continue") {
        // The client waits for this before sending its body.
        if stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
            return Next::Gone;
        }
    }
    if discard_body(stream, buffer, body_len, deadline).is_err() {
        return Next::Gone;
    }
    let keep_alive = match version {
        Some(1) => !request.has_token("Connection", "close"),
        _ => request.has_token("Connection", "keep-alive"),
    };
    let answer = decide(&shared.config, &mut lock(&shared.tickets), &request);
    if respond(stream, shared, &answer, keep_alive).is_err() {
        return Next::Gone;
    }
    if keep_alive {
        Next::KeepOpen
    } else {
        Next::Close
    }
}

/// Answers with `Connection: close` and asks for the connection to close.
fn refuse(stream: &mut TcpStream, shared: &Service, answer: &Answer) -> Next {
    match respond(stream, shared, answer, false) {
        Ok(()) => Next::Close,
        Err(_) => Next::Gone,
    }
}

/// Reads until `buffer` starts with a whole request head and returns it
/// (removed from the buffer). `Ok(None)`: the client closed or timed out
/// (nobody to answer). `Err`: the refusal to send before closing.
fn read_head(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    deadline: Instant,
) -> Result<Option<Vec<u8>>, Answer> {
    let mut chunk = [0u8; 4096];
    // Bytes before this were seen by the last parse attempt. A head ends
    // with a newline, so a new attempt is only worth it once one arrives
    // (this keeps a client that drips bytes from costing a parse per byte).
    let mut parsed_up_to = 0;
    loop {
        if buffer[parsed_up_to..].contains(&b'\n') {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            match httparse::Request::new(&mut headers).parse(buffer) {
                Ok(httparse::Status::Complete(len)) if len > MAX_HEAD => {
                    return Err(error_answer(431, "Request headers too large"));
                }
                Ok(httparse::Status::Complete(len)) => {
                    return Ok(Some(buffer.drain(..len).collect()))
                }
                Ok(httparse::Status::Partial) => {}
                Err(httparse::Error::TooManyHeaders) => {
                    return Err(error_answer(431, "Too many request headers"));
                }
                Err(_) => return Err(error_answer(400, "Bad request")),
            }
        }
        parsed_up_to = buffer.len();
        if buffer.len() > MAX_HEAD {
            return Err(error_answer(431, "Request headers too large"));
        }
        match read_until(stream, &mut chunk, deadline) {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The body's length from `Content-Length` (0 without one). A chunked body
/// is refused with 411 (we require a length, as RFC 9112 allows), and a
/// malformed or ambiguous length with 400: either way the connection closes,
/// since where the next request starts is unknown.
fn body_length(request: &Request<'_>) -> Result<usize, Answer> {
    if request.header("Transfer-Encoding").is_some() {
        return Err(error_answer(411, "Length required"));
    }
    let mut length: Option<usize> = None;
    for header in request.headers {
        if !header.name.eq_ignore_ascii_case("Content-Length") {
            continue;
        }
        let value = header.value.trim_ascii();
        let parsed = std::str::from_utf8(value)
            .ok()
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            // Too large for usize: just "too large", refused as 413 later.
            .map(|v| v.parse::<usize>().unwrap_or(usize::MAX));
        match (parsed, length) {
            (None, _) => return Err(error_answer(400, "Invalid Content-Length")),
            (Some(new), Some(old)) if new != old => {
                return Err(error_answer(400, "Conflicting Content-Length headers"))
            }
            (Some(new), _) => length = Some(new),
        }
    }
    Ok(length.unwrap_or(0))
}

/// Reads and throws away a body of `len` bytes, starting with what is
/// already in `buffer`.
fn discard_body(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    len: usize,
    deadline: Instant,
) -> io::Result<()> {
    let buffered = len.min(buffer.len());
    buffer.drain(..buffered);
    let mut left = len - buffered;
    let mut chunk = [0u8; 4096];
    while left > 0 {
        let want = left.min(chunk.len());
        match read_until(stream, &mut chunk[..want], deadline)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => left -= n,
        }
    }
    Ok(())
}

/// One read that gives up at `deadline`.
fn read_until(stream: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> io::Result<usize> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Counts the answer, then writes it (counted first, so that a client that
/// has read the answer already sees it in the count).
fn respond(
    stream: &mut TcpStream,
    shared: &Service,
    answer: &Answer,
    keep_alive: bool,
) -> io::Result<()> {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    stream.write_all(&encode_answer(answer, keep_alive))?;
    stream.flush()
}

/// The bytes of an HTTP/1.1 answer.
fn encode_answer(answer: &Answer, keep_alive: bool) -> Vec<u8> {
    let reason = match answer.status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        _ => "Unknown",
    };
    let allow = if answer.status == 405 {
        "Allow: POST\r\n"
    } else {
        ""
    };
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let mut bytes = format!(
        "HTTP/1.1 {} {reason}\r\n\
         Content-Type: application/json; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         {allow}Connection: {connection}\r\n\r\n",
        answer.status,
        answer.body.len(),
    )
    .into_bytes();
    bytes.extend_from_slice(answer.body.as_bytes());
    bytes
}

/// Closes our side, then reads what the client still sends for a moment.
/// Closing a socket with unread data makes the kernel send a reset, which
/// can destroy our last answer before the client reads it.
fn close_gracefully(stream: &mut TcpStream) {
    if stream.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let deadline = Instant::now() + LINGER;
    let mut chunk = [0u8; 4096];
    let mut drained = 0;
    while drained < LINGER_MAX_BYTES {
        match read_until(stream, &mut chunk, deadline) {
            Ok(0) | Err(_) => return,
            Ok(n) => drained += n,
        }
    }
}
