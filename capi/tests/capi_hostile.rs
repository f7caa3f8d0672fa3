//! The C ABI against broken and hostile servers: every case ends with the
//! documented status, within the deadline, with a one-line message, and the
//! session stays usable.

mod common;

use std::net::{TcpListener, TcpStream};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::*;

const OK_BODY: &str = r#"{"State":"Succeeded","Token":"tok-123"}"#;

/// One login against a server that runs `script`, with a short deadline.
fn outcome(
    script: impl Fn(usize, &str, &mut TcpStream) -> After + Send + Sync + 'static,
) -> (i32, String, Duration) {
    let server = Hostile::start(script);
    let s = S::new(&server.base_url, "key");
    assert_eq!(s.timeout_ms(1500), ETNA_OK);
    let started = Instant::now();
    let rc = s.begin("alice", "s3cret-pw");
    let elapsed = started.elapsed();
    let msg = last_error();
    assert!(
        !msg.contains('\n') && !msg.contains('\r'),
        "one line: {msg:?}"
    );
    assert!(!msg.contains("s3cret-pw"), "{msg}");
    assert!(elapsed < Duration::from_millis(4000), "took {elapsed:?}");
    (rc, msg, elapsed)
}

fn answer(bytes: Vec<u8>) -> impl Fn(usize, &str, &mut TcpStream) -> After + Send + Sync + 'static {
    move |_, _, stream| {
        send(stream, &bytes);
        After::Close
    }
}

#[test]
fn sends_the_documented_headers() {
    let server = Hostile::start(|_, _, stream| {
        send(stream, &http(200, OK_BODY));
        After::KeepAlive
    });
    let s = S::new(&server.base_url, "the-key");
    assert_eq!(s.begin("jürgen", "pässwörd"), ETNA_OK, "{}", last_error());
    let head = server.requests.lock().unwrap()[0].clone();
    let lower = head.to_ascii_lowercase();
    assert!(head.starts_with("POST /api/token HTTP/1.1\r\n"), "{head}");
    assert!(head.contains("Et-App-Key: the-key\r\n"), "{head}");
    assert!(
        head.contains("Username: jürgen\r\n"),
        "UTF-8 bytes as is: {head}"
    );
    assert!(head.contains("Password: pässwörd\r\n"));
    assert!(lower.contains("content-length: 0\r\n"), "{head}");
    assert!(lower.contains("accept: application/json\r\n"), "{head}");
    assert!(
        lower.contains(&format!(
            "user-agent: etna-auth/{}\r\n",
            env!("CARGO_PKG_VERSION")
        )),
        "{head}"
    );
    assert!(!lower.contains("authorization"));
    assert_eq!(s.token().unwrap(), "tok-123");
}

#[test]
fn second_steps_send_the_interim_token_and_the_factor() {
    let server = Hostile::start(|n, _, stream| {
        let body = match n {
            0 => {
                r#"{"State":"Expecting","Step":"SecutityPin","Reason":"Expecting pin","Token":"interim-1"}"#
            }
            1 => {
                r#"{"State":"Expecting","Step":"VerificationCode","Reason":"Expecting confirmation code","Token":"interim-2"}"#
            }
            _ => OK_BODY,
        };
        send(stream, &http(if n < 2 { 202 } else { 200 }, body));
        After::KeepAlive
    });
    let s = S::new(&server.base_url, "k");
    assert_eq!(s.begin("u", "p"), ETNA_NEED_PIN);
    assert_eq!(last_error(), "Expecting pin");
    assert_eq!(s.pin("1234"), ETNA_NEED_CODE);
    assert_eq!(s.code("999"), ETNA_OK);
    let heads = server.requests.lock().unwrap().clone();
    assert!(
        heads[1].contains("Authorization: Bearer interim-1\r\n")
            && heads[1].contains("PinCode: 1234\r\n")
    );
    assert!(heads[1].contains("Username: u\r\n") && heads[1].contains("Password: p\r\n"));
    assert!(
        heads[2].contains("Authorization: Bearer interim-2\r\n")
            && heads[2].contains("VerificationCode: 999\r\n")
    );
    assert!(!heads[2].contains("PinCode"));
    assert_eq!(
        server.connections.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[test]
fn garbage_is_a_protocol_error() {
    let (rc, msg, _) = outcome(answer(b"HELLO THERE\r\n\r\n".to_vec()));
    assert_eq!(rc, ETNA_ERR_PROTOCOL, "{msg}");
}

#[test]
fn not_json_missing_token_unknown_step() {
    let cases: [(u16, &str, &str); 6] = [
        (200, "<html>hi</html>", "not JSON"),
        (200, r#"{"State":"Succeeded"}"#, "no Token"),
        (
            200,
            r#"{"State":"Succeeded","Token":""}"#,
            "Token that is empty",
        ),
        (
            200,
            r#"{"State":"Succeeded","Token":"a\r\nSet-Cookie: x"}"#,
            "visible ASCII",
        ),
        (
            202,
            r#"{"State":"Expecting","Step":"RetinaScan","Token":"t"}"#,
            "\"RetinaScan\"",
        ),
        (418, r#"{"State":"Teapot"}"#, "418"),
    ];
    for (status, body, needle) in cases {
        let (rc, msg, _) = outcome(answer(http(status, body)));
        assert_eq!(rc, ETNA_ERR_PROTOCOL, "{body}: {msg}");
        assert!(msg.contains(needle), "{needle} in {msg}");
    }
}

#[test]
fn server_errors_and_rate_limits() {
    for status in [500, 502, 503, 429] {
        let (rc, msg, _) = outcome(answer(http(status, "")));
        assert_eq!(rc, ETNA_ERR_SERVER, "{status}: {msg}");
        assert!(msg.contains(&status.to_string()), "{msg}");
    }
}

#[test]
fn redirects_are_not_followed() {
    let elsewhere = TcpListener::bind("127.0.0.1:0").unwrap();
    elsewhere.set_nonblocking(true).unwrap();
    let target = format!(
        "http://127.0.0.1:{}/api/token",
        elsewhere.local_addr().unwrap().port()
    );
    for status in [301, 302, 307, 308] {
        let reply =
            format!("HTTP/1.1 {status} Moved\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n")
                .into_bytes();
        let (rc, msg, _) = outcome(answer(reply));
        assert_eq!(rc, ETNA_ERR_PROTOCOL, "{msg}");
        assert!(
            msg.contains("redirect") && msg.contains(&status.to_string()),
            "{msg}"
        );
    }
    assert!(
        elsewhere.accept().is_err(),
        "nothing went to the redirect target"
    );
}

#[test]
fn reset_and_truncated_answers_are_network_errors() {
    let (rc, msg, _) = outcome(|_, _, stream| {
        reset(stream.try_clone().unwrap());
        After::Close
    });
    assert_eq!(rc, ETNA_ERR_NETWORK, "{msg}");
    let (rc, msg, _) = outcome(answer(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"State\":".to_vec(),
    ));
    assert_eq!(rc, ETNA_ERR_NETWORK, "{msg}");
    let (rc, msg, _) = outcome(answer(b"HTTP/1.1 200 OK\r\nContent-Le".to_vec()));
    assert_eq!(rc, ETNA_ERR_NETWORK, "{msg}");
    let (rc, msg, _) = outcome(|_, _, _| After::Close);
    assert_eq!(rc, ETNA_ERR_NETWORK, "{msg}");
}

#[test]
fn connection_refused_is_a_network_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let s = S::new(&format!("http://127.0.0.1:{port}/api"), "k");
    assert_eq!(s.begin("u", "p"), ETNA_ERR_NETWORK);
    assert!(!last_error().is_empty());
}

#[test]
fn a_server_that_never_answers_times_out_on_time() {
    let (rc, msg, elapsed) = outcome(|_, _, _| {
        sleep(Duration::from_secs(10));
        After::Close
    });
    assert_eq!(rc, ETNA_ERR_TIMEOUT, "{msg}");
    assert!(msg.contains("1500 ms"), "{msg}");
    assert!(elapsed >= Duration::from_millis(1400), "{elapsed:?}");
}

#[test]
fn a_dripping_server_cannot_hold_a_call_past_its_deadline() {
    let (rc, msg, elapsed) = outcome(|_, _, stream| {
        let reply = http(200, OK_BODY);
        for byte in reply {
            send(stream, &[byte]);
            sleep(Duration::from_millis(300));
        }
        After::Close
    });
    assert_eq!(rc, ETNA_ERR_TIMEOUT, "{msg}");
    assert!(elapsed < Duration::from_millis(2600), "{elapsed:?}");
}

#[test]
fn an_endless_or_huge_body_is_cut_at_the_cap() {
    let (rc, msg, _) = outcome(|_, _, stream| {
        send(
            stream,
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n",
        );
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..2000 {
            send(stream, &chunk);
        }
        After::Close
    });
    assert_eq!(rc, ETNA_ERR_PROTOCOL, "{msg}");
    assert!(msg.contains("64 KiB"), "{msg}");
    let (rc, msg, _) = outcome(|_, _, stream| {
        send(
            stream,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        for _ in 0..2000 {
            send(stream, b"8000\r\n");
            send(stream, &vec![b' '; 0x8000]);
            send(stream, b"\r\n");
        }
        After::Close
    });
    assert_eq!(rc, ETNA_ERR_PROTOCOL, "{msg}");
}

#[test]
fn chunked_garbage_and_huge_headers_are_protocol_errors() {
    let (rc, msg, _) = outcome(answer(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nnope\r\n".to_vec(),
    ));
    assert!(rc == ETNA_ERR_PROTOCOL, "{rc}: {msg}");
    let mut huge = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 200 * 1024));
    huge.extend(b"\r\nContent-Length: 2\r\n\r\n{}");
    let (rc, msg, _) = outcome(answer(huge));
    assert_eq!(rc, ETNA_ERR_PROTOCOL, "{msg}");
}

#[test]
fn transient_errors_on_a_supply_call_keep_the_step() {
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
                // Closed after the answer, so that the next request opens a
                // fresh connection (a reused one that fails is retried once).
                send(stream, &http(503, ""));
                return After::Close;
            }
            2 => {
                reset(stream.try_clone().unwrap());
                return After::Close;
            }
            _ => send(stream, &http(200, OK_BODY)),
        }
        After::KeepAlive
    });
    let s = S::new(&server.base_url, "k");
    assert_eq!(s.begin("u", "p"), ETNA_NEED_CODE);
    assert_eq!(s.code("1"), ETNA_ERR_SERVER);
    assert_eq!(s.code("1"), ETNA_ERR_NETWORK);
    assert_eq!(s.code("1"), ETNA_OK, "{}", last_error());
    let heads = server.requests.lock().unwrap().clone();
    assert!(
        heads[3].contains("Authorization: Bearer i1\r\n"),
        "the interim token was kept"
    );
}

#[test]
fn other_errors_on_a_supply_call_end_the_login() {
    let server = Hostile::start(|n, _, stream| {
        match n {
            0 => send(
                stream,
                &http(
                    202,
                    r#"{"State":"Expecting","Step":"SecutityPin","Token":"i1"}"#,
                ),
            ),
            _ => send(
                stream,
                &http(
                    401,
                    r#"{"State":"Failed","Step":"VerificationCode","Reason":"Corrupted ticket"}"#,
                ),
            ),
        }
        After::KeepAlive
    });
    let s = S::new(&server.base_url, "k");
    assert_eq!(s.begin("u", "p"), ETNA_NEED_PIN);
    assert_eq!(s.pin("1"), ETNA_ERR_REJECTED);
    assert!(
        last_error().contains("Corrupted ticket"),
        "{}",
        last_error()
    );
    assert_eq!(s.pin("1"), ETNA_ERR_STATE);
    assert_eq!(server.request_count(), 2);
}

#[test]
fn localhost_connects_to_loopback() {
    let server = Hostile::start(|_, _, stream| {
        send(stream, &http(200, OK_BODY));
        After::Close
    });
    let url = server.base_url.replace("127.0.0.1", "localhost");
    let s = S::new(&url, "k");
    assert_eq!(s.begin("u", "p"), ETNA_OK, "{}", last_error());
}

#[test]
fn the_session_is_usable_after_every_failure() {
    let server = Hostile::start(|n, _, stream| {
        match n % 3 {
            0 => send(stream, b"garbage\r\n\r\n"),
            1 => send(stream, &http(500, "")),
            _ => send(stream, &http(200, OK_BODY)),
        }
        After::Close
    });
    let s = S::new(&server.base_url, "k");
    for _ in 0..3 {
        assert_eq!(s.begin("u", "p"), ETNA_ERR_PROTOCOL);
        assert_eq!(s.begin("u", "p"), ETNA_ERR_SERVER);
        assert_eq!(s.begin("u", "p"), ETNA_OK, "{}", last_error());
    }
}

#[test]
fn a_kept_alive_connection_closed_by_the_server_is_retried_once_fresh() {
    let server = Hostile::start(|_, _, stream| {
        // Keep-alive by the headers, but closed right after the answer.
        send(stream, &http(200, OK_BODY));
        After::Close
    });
    let s = S::new(&server.base_url, "k");
    for _ in 0..5 {
        assert_eq!(s.begin("u", "p"), ETNA_OK, "{}", last_error());
    }
    assert_eq!(
        server.request_count(),
        5,
        "each request reached the server once"
    );
}

#[test]
fn a_fresh_connection_that_fails_is_not_retried() {
    let server = Hostile::start(|_, _, stream| {
        reset(stream.try_clone().unwrap());
        After::Close
    });
    let s = S::new(&server.base_url, "k");
    assert_eq!(s.begin("u", "p"), ETNA_ERR_NETWORK);
    assert_eq!(server.request_count(), 1);
}
