//! Real TLS against a test CA made here: trust by CA file, refusal of an
//! unknown CA and of a wrong host name, CA file errors, keep-alive over TLS.

mod common;
#[path = "common/tls.rs"]
mod tls;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;

use common::*;
use tls::*;

const OK: &str = r#"{"State":"Succeeded","Token":"tls-token"}"#;

#[test]
fn trusted_by_ca_file_with_one_connection_per_login() {
    let pki = pki(&["localhost", "127.0.0.1"]);
    let ca = write_temp("ca-good.pem", &pki.ca_pem);
    let (port, connections) = tls_server(
        &pki,
        vec![
            http(
                202,
                r#"{"State":"Expecting","Step":"VerificationCode","Token":"i"}"#,
            ),
            http(200, OK),
        ],
    );
    for host in ["localhost", "127.0.0.1"] {
        let s = S::new(&format!("https://{host}:{port}/api"), "k");
        assert_eq!(s.ca_file(&ca), ETNA_OK, "{}", last_error());
        let before = connections.load(Ordering::SeqCst);
        assert_eq!(s.begin("u", "p"), ETNA_NEED_CODE, "{}", last_error());
        assert_eq!(s.code("1"), ETNA_OK, "{}", last_error());
        assert_eq!(s.token().unwrap(), "tls-token");
        assert_eq!(connections.load(Ordering::SeqCst) - before, 1);
        // TRACE: the handshake, its version and suite, and the trust source;
        // the second step reuses the connection.
        let lines = s.1.lines.lock().unwrap();
        let handshake = lines
            .iter()
            .find(|l| l.contains("TLS handshake with"))
            .expect("a handshake line");
        assert!(
            handshake.contains("TLSv1_3") && handshake.contains("the session's CA file"),
            "{handshake}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l == "reused the kept-alive connection"),
            "{lines:#?}"
        );
    }
}

#[test]
fn an_unknown_ca_is_refused() {
    let pki = pki(&["localhost"]);
    let (port, _) = tls_server(&pki, vec![http(200, OK)]);
    // Default trust (the OS store) does not know the test CA.
    let s = S::new(&format!("https://localhost:{port}/api"), "k");
    assert_eq!(s.begin("u", "p"), ETNA_ERR_TLS);
    assert!(last_error().contains("CA file"), "{}", last_error());
    // Nor does another CA.
    let other = pki_ca_file("other-ca.pem");
    assert_eq!(s.ca_file(&other), ETNA_OK);
    assert_eq!(s.begin("u", "p"), ETNA_ERR_TLS);
    assert!(!last_error().contains('\n'));
}

fn pki_ca_file(name: &str) -> String {
    write_temp(name, &pki(&["localhost"]).ca_pem)
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let pki = pki(&["other.example"]);
    let ca = write_temp("ca-other-name.pem", &pki.ca_pem);
    let (port, _) = tls_server(&pki, vec![http(200, OK)]);
    let s = S::new(&format!("https://localhost:{port}/api"), "k");
    assert_eq!(s.ca_file(&ca), ETNA_OK);
    assert_eq!(s.begin("u", "p"), ETNA_ERR_TLS);
    let msg = last_error();
    assert!(msg.contains("TLS"), "{msg}");
}

#[test]
fn a_plain_http_server_on_an_https_url_is_a_tls_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        if let Ok((mut tcp, _)) = listener.accept() {
            let mut hello = [0u8; 64];
            let _ = tcp.read(&mut hello);
            let _ = tcp.write_all(&http(400, "this is not TLS"));
        }
    });
    let s = S::new(&format!("https://localhost:{port}/api"), "k");
    let ca = pki_ca_file("ca-plain.pem");
    assert_eq!(s.ca_file(&ca), ETNA_OK);
    assert_eq!(s.begin("u", "p"), ETNA_ERR_TLS, "{}", last_error());
}

#[test]
fn ca_file_errors() {
    let s = S::new("https://localhost:1/api", "k");
    assert_eq!(s.ca_file("/nonexistent/ca.pem"), ETNA_ERR_IO);
    assert!(
        last_error().contains("/nonexistent/ca.pem"),
        "{}",
        last_error()
    );
    assert_eq!(s.ca_file(&write_temp("empty.pem", "")), ETNA_ERR_ARGUMENT);
    assert_eq!(
        s.ca_file(&write_temp("junk.pem", "hello, not a certificate\n")),
        ETNA_ERR_ARGUMENT
    );
    let dir = std::env::temp_dir();
    assert_eq!(s.ca_file(dir.to_str().unwrap()), ETNA_ERR_IO, "a directory");
}

#[test]
fn sessions_with_the_same_ca_share_one_tls_configuration() {
    use etna_auth::transport::Trust;
    let pem = pki(&["localhost"]).ca_pem;
    let a = Trust::from_ca_file(std::path::Path::new(&write_temp("share-a.pem", &pem))).unwrap();
    let b = Trust::from_ca_file(std::path::Path::new(&write_temp("share-b.pem", &pem))).unwrap();
    match (a, b) {
        (Trust::CaFile(a), Trust::CaFile(b)) => assert!(Arc::ptr_eq(&a, &b)),
        _ => panic!("expected CA file trust"),
    }
}
