//! The C ABI against scripted servers: what only Rust can check. Every
//! broken and hostile answer (garbage, resets, silence, drips, redirects,
//! unsafe tokens, transient errors on a second step...) is a scenario of
//! tests/scenarios/scenarios.json, run by scenarios.rs through this C ABI
//! and by the Python and C# suites through their bindings.

mod common;

use common::*;

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
