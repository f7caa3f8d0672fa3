//! The server: [`Sandbox`] binds 127.0.0.1, accepts connections on a thread
//! of its own and serves each one on a thread (connection.rs); dropping it
//! stops everything promptly.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::config::SandboxConfig;
use super::connection::{lock, serve, Service};

/// What the accept thread and the connection threads share.
struct Shared {
    /// What the connections use.
    service: Service,
    connections: AtomicU64,
    /// A clone of every open connection, to shut them down on stop.
    open: Mutex<HashMap<u64, TcpStream>>,
    /// Connection threads, joined on stop (finished ones are pruned).
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// A running sandbox, serving on 127.0.0.1 from background threads.
/// Dropping it (or [`Sandbox::stop`]) stops it.
pub struct Sandbox {
    url: String,
    app_key: String,
    address: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("url", &self.url)
            .field("app_key", &self.app_key)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Binds 127.0.0.1 at the configured port (0: a free one) and serves in
    /// background threads. A config that [`SandboxConfig::from_json`] would
    /// refuse is an `InvalidInput` error.
    pub fn start(config: SandboxConfig) -> io::Result<Sandbox> {
        config
            .validate()
            .map_err(|why| io::Error::new(io::ErrorKind::InvalidInput, why))?;
        let listener = TcpListener::bind(("127.0.0.1", config.port))?;
        let address = listener.local_addr()?;
        let app_key = config.app_key.clone();
        let shared = Arc::new(Shared {
            service: Service::new(config),
            connections: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
            workers: Mutex::new(Vec::new()),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("etna-sandbox".to_owned())
                .spawn(move || accept_loop(&listener, &shared))?
        };
        Ok(Sandbox {
            url: format!("http://{address}/api"),
            app_key,
            address,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:40123/api`: clients POST to this
    /// plus `/token`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The application key the sandbox accepts in `Et-App-Key`.
    pub fn app_key(&self) -> &str {
        &self.app_key
    }

    /// Requests answered so far (refusals such as 400 or 411 included).
    pub fn request_count(&self) -> u64 {
        self.shared.service.requests.load(Ordering::SeqCst)
    }

    /// TCP connections accepted so far.
    pub fn connection_count(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Stops the sandbox; the same as dropping it.
    pub fn stop(self) {}
}

impl Drop for Sandbox {
    /// Stops accepting, shuts down the open connections and waits for the
    /// threads. Prompt even with idle keep-alive clients: their threads are
    /// blocked in a read that the shutdown ends at once (on Windows, where a
    /// shutdown is not known to wake a blocked `recv`, `CancelIoEx` does).
    fn drop(&mut self) {
        self.shared.service.stopping.store(true, Ordering::SeqCst);
        // The accept thread is blocked in accept(); a connection of our own
        // wakes it, and it sees the flag. If that connection cannot be made,
        // the thread is left to end at the next connection instead of
        // blocking here.
        let woken = TcpStream::connect_timeout(&self.address, Duration::from_millis(500)).is_ok();
        if let Some(acceptor) = self.acceptor.take() {
            if woken {
                let _ = acceptor.join();
            }
        }
        // The accept thread is gone, so no connection is added from now on.
        for stream in lock(&self.shared.open).values() {
            let _ = stream.shutdown(Shutdown::Both);
            #[cfg(windows)]
            crate::transport::cancel_io(stream);
        }
        let workers = std::mem::take(&mut *lock(&self.shared.workers));
        for worker in workers {
            let _ = worker.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    let mut next_id: u64 = 0;
    loop {
        let accepted = listener.accept();
        if shared.service.stopping.load(Ordering::SeqCst) {
            return;
        }
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => {
                // E.g. out of file descriptors: wait instead of spinning.
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let id = next_id;
        next_id = next_id.wrapping_add(1);
        // Registered before the thread starts, so that stop finds it.
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.open).insert(id, clone);
        }
        let worker = {
            let shared = Arc::clone(shared);
            std::thread::Builder::new()
                .name("etna-sandbox-conn".to_owned())
                .spawn(move || {
                    serve(stream, &shared.service);
                    lock(&shared.open).remove(&id);
                })
        };
        match worker {
            Ok(worker) => {
                let mut workers = lock(&shared.workers);
                workers.retain(|w| !w.is_finished());
                workers.push(worker);
            }
            // No thread (the stream went down with the closure): forget it.
            Err(_) => {
                lock(&shared.open).remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::io::{Read, Write};
    use std::time::Instant;

    #[test]
    fn start_refuses_an_invalid_config() {
        let config = SandboxConfig {
            max_attempts: 0,
            ..SandboxConfig::default()
        };
        let error = Sandbox::start(config).expect_err("invalid config");
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }

    // -- Over a socket ------------------------------------------------------

    const ALICE: &str = "POST /api/token HTTP/1.1\r\nHost: x\r\nEt-App-Key: sandbox-app-key\r\n\
                         Username: alice\r\nPassword: alice-pass\r\nContent-Length: 0\r\n\r\n";

    fn connect(sandbox: &Sandbox) -> TcpStream {
        let stream = TcpStream::connect(sandbox.address).expect("connect to the sandbox");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        stream
    }

    /// Reads one answer: (head, body).
    fn read_answer(stream: &mut TcpStream) -> (String, String) {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(
                stream.read(&mut byte).expect("read"),
                1,
                "early EOF: {head:?}"
            );
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).expect("ASCII head");
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().to_owned())
            })
            .and_then(|v| v.parse().ok())
            .expect("Content-Length");
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body).expect("body");
        (head, String::from_utf8(body).expect("UTF-8 body"))
    }

    fn exchange(stream: &mut TcpStream, request: &[u8]) -> (String, String) {
        stream.write_all(request).expect("write");
        read_answer(stream)
    }

    fn assert_closed(stream: &mut TcpStream) {
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    }

    /// The head of the answer to `request`, sent alone on a new connection,
    /// which the sandbox must then close.
    fn answer_then_closed(sandbox: &Sandbox, request: &[u8]) -> String {
        let mut stream = connect(sandbox);
        let (head, _) = exchange(&mut stream, request);
        assert_closed(&mut stream);
        head
    }

    #[test]
    fn keep_alive_serves_two_requests_on_one_connection() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        assert_eq!(sandbox.url(), format!("http://{}/api", sandbox.address));
        assert_eq!(sandbox.app_key(), "sandbox-app-key");
        let mut stream = connect(&sandbox);
        let (head, body) = exchange(&mut stream, ALICE.as_bytes());
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(
            head.contains("Content-Type: application/json; charset=utf-8\r\n"),
            "{head}"
        );
        assert!(head.contains("Connection: keep-alive\r\n"), "{head}");
        assert!(
            body.starts_with(r#"{"State":"Succeeded","Token":""#),
            "{body}"
        );
        let (head, _) = exchange(&mut stream, ALICE.as_bytes());
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        assert_eq!(sandbox.request_count(), 2);
        assert_eq!(sandbox.connection_count(), 1);
    }

    #[test]
    fn a_two_factor_login_over_one_connection() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        let base = "POST /api/token HTTP/1.1\r\nHost: x\r\nEt-App-Key: sandbox-app-key\r\n\
                    Username: bob\r\nPassword: bob-pass\r\nContent-Length: 0\r\n";
        let (_, body) = exchange(&mut stream, format!("{base}\r\n").as_bytes());
        let reply: Value = serde_json::from_str(&body).unwrap();
        let interim = reply["Token"].as_str().unwrap();
        let step = format!("{base}Authorization: Bearer {interim}\r\nPinCode: 1234\r\n\r\n");
        let (head, _) = exchange(&mut stream, step.as_bytes());
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        assert_eq!(
            (sandbox.request_count(), sandbox.connection_count()),
            (2, 1)
        );
    }

    #[test]
    fn non_ascii_header_bytes_are_accepted() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        let login = "POST /api/token HTTP/1.1\r\nHost: x\r\nEt-App-Key: sandbox-app-key\r\n\
                     Username: jürgen\r\nPassword: pässwörd-ß\r\nContent-Length: 0\r\n\r\n";
        let (head, _) = exchange(&mut stream, login.as_bytes());
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        // Latin-1 bytes are not the UTF-8 name: 401, and the connection lives on.
        let latin1 = b"POST /api/token HTTP/1.1\r\nHost: x\r\nEt-App-Key: sandbox-app-key\r\n\
                       Username: j\xfcrgen\r\nPassword: p\xe4ssw\xf6rd-\xdf\r\nContent-Length: 0\r\n\r\n";
        let (head, body) = exchange(&mut stream, latin1);
        assert!(head.starts_with("HTTP/1.1 401 "), "{head}");
        assert!(body.contains("BaseAuthentication"), "{body}");
        assert_eq!(sandbox.connection_count(), 1);
    }

    #[test]
    fn length_required_over_a_socket() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        let (head, body) = exchange(&mut stream, b"POST /api/token HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(
            head.starts_with("HTTP/1.1 411 Length Required\r\n"),
            "{head}"
        );
        assert_eq!(body, r#"{"error":"Length required"}"#);
        // A chunked body is refused the same way, and the connection closed.
        let chunked = b"POST /api/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        let (head, _) = exchange(&mut stream, chunked);
        assert!(
            head.starts_with("HTTP/1.1 411 ") && head.contains("Connection: close"),
            "{head}"
        );
        assert_closed(&mut stream);
    }

    #[test]
    fn bodies_are_discarded_and_large_ones_refused() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        let with_body = ALICE.replace("Content-Length: 0", "Content-Length: 5") + "hello";
        // Two requests in one write (pipelined): the body must not be taken
        // for the start of the next request.
        let (head, _) = exchange(&mut stream, format!("{with_body}{ALICE}").as_bytes());
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        let (head, _) = read_answer(&mut stream);
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        let too_large = ALICE.replace("Content-Length: 0", "Content-Length: 70000");
        let (head, _) = exchange(&mut stream, too_large.as_bytes());
        assert!(head.starts_with("HTTP/1.1 413 "), "{head}");
        assert_closed(&mut stream);
        assert_eq!(sandbox.request_count(), 3);
    }

    #[test]
    fn expect_100_continue() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut stream = connect(&sandbox);
        let request = ALICE.replace(
            "Content-Length: 0",
            "Expect: 100-continue\r\nContent-Length: 2",
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut interim = [0u8; 25];
        stream.read_exact(&mut interim).unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        stream.write_all(b"{}").unwrap();
        let (head, _) = read_answer(&mut stream);
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    }

    #[test]
    fn oversized_headers_and_garbage_are_refused_and_closed() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let huge = format!(
            "POST /api/token HTTP/1.1\r\nX-Big: {}\r\n\r\n",
            "a".repeat(70_000)
        );
        let head = answer_then_closed(&sandbox, huge.as_bytes());
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");

        let many: String = (0..150).map(|i| format!("X-{i}: v\r\n")).collect();
        let many = format!("POST /api/token HTTP/1.1\r\n{many}\r\n");
        let head = answer_then_closed(&sandbox, many.as_bytes());
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");

        for garbage in [
            &b"\x01\x02 garbage\r\n\r\n"[..],
            b"POST /api/token HTTP/1.1\r\nBad\x01: v\r\n\r\n",
        ] {
            let head = answer_then_closed(&sandbox, garbage);
            assert!(
                head.starts_with("HTTP/1.1 400 ") && head.contains("Connection: close"),
                "{head}"
            );
        }
        let bad_length = ALICE.replace("Content-Length: 0", "Content-Length: 1x");
        let head = answer_then_closed(&sandbox, bad_length.as_bytes());
        assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
    }

    #[test]
    fn connection_close_and_http_1_0_close_after_the_answer() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let close = ALICE.replace("Host: x", "Host: x\r\nConnection: close");
        let head = answer_then_closed(&sandbox, close.as_bytes());
        assert!(
            head.starts_with("HTTP/1.1 200 ") && head.contains("Connection: close"),
            "{head}"
        );

        let old = ALICE.replace("HTTP/1.1", "HTTP/1.0");
        let head = answer_then_closed(&sandbox, old.as_bytes());
        assert!(head.contains("Connection: close"), "{head}");

        // HTTP/1.0 that asks for keep-alive gets it.
        let mut stream = connect(&sandbox);
        let old_keep = old.replace("Host: x", "Host: x\r\nConnection: Keep-Alive");
        let (head, _) = exchange(&mut stream, old_keep.as_bytes());
        assert!(head.contains("Connection: keep-alive"), "{head}");
        let (head, _) = exchange(&mut stream, old_keep.as_bytes());
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    }

    #[test]
    fn stop_is_prompt_with_an_idle_keep_alive_client() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let mut idle = connect(&sandbox);
        exchange(&mut idle, ALICE.as_bytes());
        let mut silent = connect(&sandbox); // connected, never says anything
        let started = Instant::now();
        sandbox.stop();
        let took = started.elapsed();
        assert!(took < Duration::from_millis(750), "stop took {took:?}");
        // Both clients see the connection end.
        assert_closed(&mut idle);
        assert_closed(&mut silent);
    }

    #[test]
    fn sandboxes_on_their_own_ports() {
        let a = Sandbox::start(SandboxConfig::default()).unwrap();
        let b = Sandbox::start(SandboxConfig::default()).unwrap();
        assert_ne!(a.url(), b.url());
        let busy = SandboxConfig {
            port: a.address.port(),
            ..SandboxConfig::default()
        };
        assert!(Sandbox::start(busy).is_err());
        drop(a);
        drop(b);
    }
}
