//! etna_cancel from another thread, and proxies (a recording CONNECT proxy).

mod common;
#[path = "common/tls.rs"]
mod tls;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::{self, sleep};
use std::time::{Duration, Instant};

use common::*;
use etna_auth_capi::*;
use tls::*;

const OK_BODY: &str = r#"{"State":"Succeeded","Token":"tok"}"#;

fn never_answers() -> Hostile {
    Hostile::start(|_, _, _| {
        sleep(Duration::from_secs(30));
        After::Close
    })
}

/// Runs `call` on another thread, cancels it after 300 ms, and returns its
/// status and how long it took to return after etna_cancel.
fn cancel_during(s: &S, call: impl FnOnce(&S) -> i32 + Send) -> (i32, Duration) {
    thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let rc = call(s);
            (rc, Instant::now())
        });
        sleep(Duration::from_millis(300));
        let cancelled_at = Instant::now();
        assert_eq!(unsafe { etna_cancel(s.0) }, ETNA_OK);
        let (rc, returned_at) = worker.join().unwrap();
        (rc, returned_at.saturating_duration_since(cancelled_at))
    })
}

/// etna_begin_auth(s, "u", "p") on a thread of its own, called straight on
/// the raw session (the caller joins the thread before `s` is dropped).
fn begin_on_another_thread(s: &S) -> thread::JoinHandle<i32> {
    let session = s.0 as usize;
    thread::spawn(move || {
        let s = session as *mut EtnaSession;
        unsafe { etna_begin_auth(s, c("u").as_ptr(), c("p").as_ptr()) }
    })
}

#[test]
fn cancel_wakes_a_call_blocked_on_a_silent_server() {
    let server = never_answers();
    let s = S::new(&server.base_url, "k");
    let (rc, latency) = cancel_during(&s, |s| s.begin("u", "p"));
    assert_eq!(rc, ETNA_ERR_CANCELLED);
    println!("cancellation latency: {latency:?}");
    assert!(latency < Duration::from_millis(1000), "{latency:?}");
}

#[test]
fn a_cancel_with_nothing_in_flight_stops_the_next_call_once_before_it_sends() {
    let server = Hostile::start(|_, _, stream| {
        send(stream, &http(200, OK_BODY));
        After::KeepAlive
    });
    let s = S::new(&server.base_url, "k");
    assert_eq!(unsafe { etna_cancel(s.0) }, ETNA_OK);
    // Two cancels before a call stop one call: cancels do not add up.
    assert_eq!(unsafe { etna_cancel(s.0) }, ETNA_OK);
    assert_eq!(s.begin("u", "p"), ETNA_ERR_CANCELLED);
    assert_eq!(etna_last_status(), ETNA_ERR_CANCELLED);
    assert!(
        last_error().contains("nothing was sent"),
        "{}",
        last_error()
    );
    assert_eq!(server.request_count(), 0, "nothing reached the server");
    // Used once: the next call runs normally.
    assert_eq!(s.begin("u", "p"), ETNA_OK, "{}", last_error());
    assert_eq!(server.request_count(), 1);
    // A call that fails before the network does not use the cancel.
    assert_eq!(unsafe { etna_cancel(s.0) }, ETNA_OK);
    assert_eq!(s.pin("1234"), ETNA_ERR_STATE);
    assert_eq!(s.begin("u", "p"), ETNA_ERR_CANCELLED);
    assert_eq!(server.request_count(), 1);
    // etna_end_login() drops a cancel no call has used.
    assert_eq!(unsafe { etna_cancel(s.0) }, ETNA_OK);
    assert_eq!(unsafe { etna_end_login(s.0) }, ETNA_OK);
    assert_eq!(s.begin("u", "p"), ETNA_OK, "{}", last_error());
    assert_eq!(
        unsafe { etna_cancel(std::ptr::null_mut()) },
        ETNA_ERR_ARGUMENT
    );
}

#[test]
fn a_cancel_racing_with_the_start_of_a_call_is_never_lost() {
    // The server never answers: every call that is not cancelled would wait
    // for its 5-s deadline, so a lost cancel shows as a slow round.
    let server = never_answers();
    let s = S::new(&server.base_url, "k");
    assert_eq!(s.timeout_ms(5000), ETNA_OK);
    for round in 0..200 {
        let worker = begin_on_another_thread(&s);
        if round % 2 == 0 {
            std::thread::yield_now();
        }
        let started = std::time::Instant::now();
        assert_eq!(unsafe { etna_cancel(s.0) }, ETNA_OK);
        assert_eq!(worker.join().unwrap(), ETNA_ERR_CANCELLED, "round {round}");
        assert!(
            started.elapsed() < Duration::from_millis(2000),
            "round {round}: {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn reading_a_session_does_not_wait_for_an_exchange_in_flight() {
    // A login that hangs on a silent server, on another thread.
    let silent = never_answers();
    let hanging = S::new(&silent.base_url, "k");
    assert_eq!(hanging.timeout_ms(10_000), ETNA_OK);
    let worker = begin_on_another_thread(&hanging);
    std::thread::sleep(Duration::from_millis(200));
    let started = std::time::Instant::now();
    assert_eq!(hanging.token(), Err(ETNA_ERR_STATE));
    assert_eq!(hanging.expires_at(), 0);
    // Far below the 10 s a read that waited for the exchange would take,
    // and far above what a loaded machine (or Wine) adds to a lock-free read.
    assert!(
        started.elapsed() < Duration::from_millis(3000),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(unsafe { etna_cancel(hanging.0) }, ETNA_OK);
    assert_eq!(worker.join().unwrap(), ETNA_ERR_CANCELLED);
}

#[test]
fn a_cancelled_supply_call_keeps_the_step_and_can_be_repeated() {
    let server = Hostile::start(|n, _, stream| {
        match n {
            0 => send(
                stream,
                &http(
                    202,
                    r#"{"State":"Expecting","Step":"VerificationCode","Token":"i1"}"#,
                ),
            ),
            1 => {
                sleep(Duration::from_secs(30));
                return After::Close;
            }
            _ => send(stream, &http(200, OK_BODY)),
        }
        After::KeepAlive
    });
    let s = S::new(&server.base_url, "k");
    assert_eq!(s.begin("u", "p"), ETNA_NEED_CODE);
    let (rc, _) = cancel_during(&s, |s| s.code("123"));
    assert_eq!(rc, ETNA_ERR_CANCELLED);
    assert_eq!(s.code("123"), ETNA_OK, "{}", last_error());
    let heads = server.requests.lock().unwrap().clone();
    assert!(heads[2].contains("Authorization: Bearer i1\r\n"));
    assert_eq!(
        server.connections.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "the cancelled connection was dropped"
    );
}

/// A CONNECT proxy on 127.0.0.1 that records the request heads it gets and
/// every byte the client sends through the tunnel, and connects every
/// tunnel to 127.0.0.1 at the requested port (so a made-up host name works).
struct RecordingProxy {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
    tunnelled: Arc<Mutex<Vec<u8>>>,
}

fn recording_proxy() -> RecordingProxy {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let tunnelled = Arc::new(Mutex::new(Vec::new()));
    let (h, t) = (heads.clone(), tunnelled.clone());
    thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let (h, t) = (h.clone(), t.clone());
            thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                h.lock().unwrap().push(head.clone());
                let target = head.split_whitespace().nth(1).unwrap_or("");
                let port = target.rsplit(':').next().unwrap_or("0");
                let Ok(mut upstream) = TcpStream::connect(format!("127.0.0.1:{port}")) else {
                    return;
                };
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let (mut c2, mut u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                thread::spawn(move || {
                    let _ = std::io::copy(&mut u2, &mut c2);
                    let _ = c2.shutdown(Shutdown::Write);
                });
                let mut buf = [0u8; 4096];
                loop {
                    match client.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            t.lock().unwrap().extend_from_slice(&buf[..n]);
                            if upstream.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                    }
                }
                let _ = upstream.shutdown(Shutdown::Write);
            });
        }
    });
    RecordingProxy {
        url,
        heads,
        tunnelled,
    }
}

fn set_proxy(s: &S, url: Option<&str>) -> i32 {
    let url = url.map(c);
    unsafe { etna_set_proxy(s.0, url.as_ref().map_or(std::ptr::null(), |u| u.as_ptr())) }
}

/// A TLS server for etna.test that answers once with OK_BODY, the file of
/// its CA (`ca_file` in the temp folder), and a recording proxy.
fn tls_server_and_proxy(ca_file: &str) -> (u16, String, RecordingProxy) {
    let pki = pki(&["etna.test"]);
    let ca = write_temp(ca_file, &pki.ca_pem);
    let (port, _) = tls_server(&pki, vec![http(200, OK_BODY)]);
    (port, ca, recording_proxy())
}

#[test]
fn https_goes_through_the_proxy_as_an_opaque_tunnel() {
    let (port, ca, proxy) = tls_server_and_proxy("proxy-ca.pem");
    let s = S::new(&format!("https://etna.test:{port}/api"), "k");
    assert_eq!(s.ca_file(&ca), ETNA_OK);
    let with_credentials = proxy.url.replace("http://", "http://proxyuser:proxypass@");
    assert_eq!(
        set_proxy(&s, Some(&with_credentials)),
        ETNA_OK,
        "{}",
        last_error()
    );
    assert_eq!(
        s.begin("tunnel-user", "Tunnel-Secret-77"),
        ETNA_OK,
        "{}",
        last_error()
    );
    // The log names the proxy without its credentials.
    {
        let lines = s.1.lines.lock().unwrap();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("through the proxy http://***@127.0.0.1:")),
            "{lines:#?}"
        );
        assert!(!lines.iter().any(|l| l.contains("proxypass")), "{lines:#?}");
    }
    let heads = proxy.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with(&format!("CONNECT etna.test:{port} HTTP/1.1\r\n")),
        "{}",
        heads[0]
    );
    assert!(
        heads[0].contains("Proxy-Authorization: Basic cHJveHl1c2VyOnByb3h5cGFzcw=="),
        "{}",
        heads[0]
    );
    let seen = proxy.tunnelled.lock().unwrap().clone();
    assert!(!seen.is_empty());
    for secret in [
        &b"Tunnel-Secret-77"[..],
        b"tunnel-user",
        b"Password",
        b"Et-App-Key",
    ] {
        assert!(
            !seen.windows(secret.len()).any(|w| w == secret),
            "{:?} crossed the proxy in clear",
            String::from_utf8_lossy(secret)
        );
    }
}

#[test]

fn the_proxy_from_the_environment_and_no_proxy_like_curl() {
    let (port, ca, proxy) = tls_server_and_proxy("proxy-env-ca.pem");
    let run = |extra: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(cli_exe());
        cmd.args([
            "login",
            "--base-url",
            &format!("https://etna.test:{port}/api"),
            "--app-key",
            "k",
        ])
        .args(["--username", "u", "--ca-file", &ca, "--timeout-ms", "3000"])
        .env("ETNA_PASSWORD", "p")
        .env_remove("https_proxy")
        .env_remove("no_proxy")
        .env_remove("NO_PROXY");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        spawn::output(&mut cmd)
    };
    let out = run(&[("HTTPS_PROXY", &proxy.url)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(proxy.heads.lock().unwrap().len(), 1);
    // NO_PROXY: straight to etna.test, which does not resolve here.
    let out = run(&[("HTTPS_PROXY", &proxy.url), ("NO_PROXY", "localhost,.test")]);
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        proxy.heads.lock().unwrap().len(),
        1,
        "not through the proxy"
    );
}

#[test]
fn loopback_never_goes_through_a_proxy() {
    let server = Hostile::start(|_, _, stream| {
        send(stream, &http(200, OK_BODY));
        After::KeepAlive
    });
    let proxy = recording_proxy();
    let s = S::new(&server.base_url, "k");
    assert_eq!(set_proxy(&s, Some(&proxy.url)), ETNA_OK);
    assert_eq!(s.begin("u", "p"), ETNA_OK, "{}", last_error());
    assert!(proxy.heads.lock().unwrap().is_empty());
}

#[test]
fn proxy_url_rules() {
    let s = S::new("https://h.example/api", "k");
    for bad in [
        "https://p:1",
        "socks5://p:1",
        "p:1",
        "http://",
        "http://p:1/x",
        "http://p\r\n:1",
    ] {
        assert_eq!(set_proxy(&s, Some(bad)), ETNA_ERR_ARGUMENT, "{bad}");
    }
    assert_eq!(
        set_proxy(&s, Some("https://user:hunter2@p:1")),
        ETNA_ERR_ARGUMENT
    );
    assert!(!last_error().contains("hunter2"), "{}", last_error());
    assert_eq!(set_proxy(&s, Some("http://p:3128")), ETNA_OK);
    assert_eq!(set_proxy(&s, None), ETNA_OK);
    assert_eq!(
        unsafe { etna_set_proxy(std::ptr::null_mut(), std::ptr::null()) },
        ETNA_ERR_ARGUMENT
    );
}

/// A listener whose accept queue is full: the kernel drops further SYNs, so
/// a connect to it hangs as one to a firewalled host does. `None` when this
/// machine's kernel does not behave so.
fn black_hole() -> Option<(TcpListener, Vec<TcpStream>, String)> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // Listen again on our own listening socket, to shrink its queue.
    socket2::SockRef::from(&listener).listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..16 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(stream) => held.push(stream),
            Err(_) => return Some((listener, held, format!("http://{addr}/api"))),
        }
    }
    None
}

/// A session whose connects hang (see [`black_hole`]), with this timeout;
/// the rest keeps the black hole open.
fn session_at_a_black_hole(timeout_ms: u32) -> (S, (TcpListener, Vec<TcpStream>)) {
    let Some((listener, held, url)) = black_hole() else {
        panic!("could not make a connect hang (accept queue never filled)");
    };
    let s = S::new(&url, "k");
    assert_eq!(s.timeout_ms(timeout_ms), ETNA_OK);
    (s, (listener, held))
}

#[test]
fn cancel_wakes_a_call_blocked_in_connect() {
    let (s, _black_hole) = session_at_a_black_hole(20_000);
    let (rc, latency) = cancel_during(&s, |s| s.begin("u", "p"));
    assert_eq!(rc, ETNA_ERR_CANCELLED, "{}", last_error());
    println!("cancellation latency in connect: {latency:?}");
    assert!(latency < Duration::from_millis(1000), "{latency:?}");
}

#[test]
fn a_hanging_connect_ends_at_the_deadline() {
    let (s, _black_hole) = session_at_a_black_hole(400);
    let started = Instant::now();
    assert_eq!(s.begin("u", "p"), ETNA_ERR_TIMEOUT, "{}", last_error());
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(350) && took < Duration::from_millis(1400),
        "{took:?}"
    );
}

#[test]
fn a_proxy_that_wants_credentials_says_where_they_go_without_showing_them() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            let mut stream = stream.unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let _ = stream.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n",
            );
            sleep(Duration::from_millis(200));
        }
    });
    let s = S::new("https://etna.test/api", "k");
    for proxy in [
        format!("http://127.0.0.1:{port}"),
        format!("http://proxyuser:Wrong-Proxy-Pass@127.0.0.1:{port}"),
    ] {
        assert_eq!(set_proxy(&s, Some(&proxy)), ETNA_OK);
        assert_eq!(s.begin("u", "Secret-Pass-1"), ETNA_ERR_NETWORK);
        let message = last_error();
        assert!(
            message.contains("proxy asks for credentials")
                && message.contains("http://user:password@host:port"),
            "{message}"
        );
        assert!(
            !message.contains("Wrong-Proxy-Pass") && !message.contains("proxyuser"),
            "{message}"
        );
    }
}
