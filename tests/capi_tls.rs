//! Real TLS against a test CA made here: trust by CA file, refusal of an
//! unknown CA and of a wrong host name, CA file errors, keep-alive over TLS.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use common::*;
use etna_auth::capi::*;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

struct Pki {
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

/// A CA and a server certificate it signs for `names`.
fn pki(names: &[&str]) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    Pki {
        ca_pem: ca.pem(),
        chain: vec![leaf.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    }
}

/// A TLS server on 127.0.0.1 answering every request with `answers[n]`
/// (the last one repeated), keep-alive. Returns its port and its
/// connection counter.
fn tls_server(pki: &Pki, answers: Vec<Vec<u8>>) -> (u16, Arc<AtomicUsize>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), pki.key.clone_key())
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    let answers = Arc::new(answers);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(tcp) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let (config, answers) = (config.clone(), answers.clone());
            thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                for n in 0.. {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match tls.read(&mut byte) {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let answer = &answers[n.min(answers.len() - 1)];
                    if tls.write_all(answer).and_then(|_| tls.flush()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, connections)
}

fn write_temp(name: &str, contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!("etna-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

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
    }
}

#[test]
fn an_unknown_ca_is_refused() {
    let pki = pki(&["localhost"]);
    let (port, _) = tls_server(&pki, vec![http(200, OK)]);
    // Default trust (the OS store) does not know the test CA.
    let s = S::new(&format!("https://localhost:{port}/api"), "k");
    assert_eq!(s.begin("u", "p"), ETNA_ERR_TLS);
    assert!(
        last_error().contains("etna_set_ca_file"),
        "{}",
        last_error()
    );
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
