//! The C ABI against scripted servers: what only Rust can check. Every
//! broken and hostile answer (garbage, resets, silence, drips, redirects,
//! unsafe tokens, transient errors on a second step...) is a scenario of
//! tests/scenarios/scenarios.json, run by scenarios.rs through this C ABI
//! and by the Python and C# suites through their bindings.

mod common;

use common::*;
use std::thread::sleep;
use std::time::Duration;

#[test]
fn the_user_agent_names_this_version() {
    let server = Hostile::start(|_, _, stream| {
        send(
            stream,
            &http(200, r#"{"State":"Succeeded","Token":"tok-123"}"#),
        );
        After::KeepAlive
    });
    let s = S::new(&server.base_url, "k");
    assert_eq!(s.begin("u", "p"), ETNA_OK, "{}", last_error());
    let head = server.requests.lock().unwrap()[0].to_ascii_lowercase();
    assert!(
        head.contains(&format!(
            "\r\nuser-agent: etna-auth/{}\r\n",
            env!("CARGO_PKG_VERSION")
        )),
        "{head}"
    );
}

#[test]
fn a_second_unasked_answer_written_later_is_never_taken_for_the_next_login() {
    let server = Hostile::start(|i, _, stream| {
        if i == 0 {
            send(
                stream,
                &http(200, r#"{"State":"Succeeded","Token":"first-token"}"#),
            );
            sleep(Duration::from_millis(20));
            send(
                stream,
                &http(200, r#"{"State":"Succeeded","Token":"unasked-token"}"#),
            );
        } else {
            send(
                stream,
                &http(200, r#"{"State":"Succeeded","Token":"next-token"}"#),
            );
        }
        After::KeepAlive
    });
    let s = S::new(&server.base_url, "k");
    assert_eq!(s.begin("u", "p"), ETNA_OK, "{}", last_error());
    assert_eq!(s.token().unwrap(), "first-token");
    sleep(Duration::from_millis(100));
    assert_eq!(s.begin("u", "p"), ETNA_OK, "{}", last_error());
    assert_eq!(s.token().unwrap(), "next-token");
}
