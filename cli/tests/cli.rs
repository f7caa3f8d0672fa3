//! The `etna-auth` binary as scripts use it: output on stdout, messages on
//! stderr, exit codes per status.
// Also run on Windows (under Wine): there a child of `Command::output` has
// no console to prompt on, as setsid gives none here; the trust store test is
// Unix only (SSL_CERT_FILE / SSL_CERT_DIR are how Unix finds its store).

#[cfg(unix)]
use std::os::unix::process::CommandExt;
use std::process::{Command, Output};

use etna_auth::sandbox::{Sandbox, SandboxConfig};

fn cli(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etna-auth"));
    cmd.args(args).env_remove("ETNA_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    // No controlling terminal: a prompt must fail, not wait.
    #[cfg(unix)]
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn demo_walks_through_the_three_logins() {
    let out = cli(&["demo"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for needle in [
        "ETNA_NEED_PIN",
        "ETNA_NEED_CODE",
        "\"Invalid verification code\"",
        "ETNA_OK",
        "6 requests over 3 connections",
    ] {
        assert!(stdout.contains(needle), "{needle} in\n{stdout}");
    }
}

#[test]
fn login_prints_the_token_or_the_header() {
    let sbx = Sandbox::start(SandboxConfig::default()).expect("sandbox starts");
    let (url, key) = (sbx.url().to_owned(), sbx.app_key().to_owned());
    let env = [
        ("ETNA_BASE_URL", url.as_str()),
        ("ETNA_APP_KEY", key.as_str()),
        ("ETNA_PASSWORD", "alice-pass"),
    ];
    let out = cli(&["login", "--username", "alice"], &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout);
    assert!(
        token.ends_with('\n') && token.trim().len() > 10 && !token.trim().contains(' '),
        "{token:?}"
    );
    assert!(out.stderr.is_empty());
    let out = cli(&["login", "--username=alice", "--header"], &env);
    assert!(
        text(&out.stdout).starts_with("Authorization: Bearer "),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn login_failures_have_exit_codes_and_keep_secrets() {
    let sbx = Sandbox::start(SandboxConfig::default()).expect("sandbox starts");
    let (url, key) = (sbx.url().to_owned(), sbx.app_key().to_owned());
    let out = cli(
        &[
            "login",
            "--base-url",
            &url,
            "--app-key",
            &key,
            "--username",
            "alice",
        ],
        &[("ETNA_PASSWORD", "wrong-Secret-9")],
    );
    assert_eq!(out.status.code(), Some(4));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Invalid credentials") && !stderr.contains("wrong-Secret-9"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());

    let out = cli(
        &[
            "login",
            "--base-url",
            &url,
            "--app-key",
            "nope",
            "--username",
            "alice",
        ],
        &[("ETNA_PASSWORD", "x")],
    );
    assert_eq!(out.status.code(), Some(3));

    // Asked for a PIN with no terminal to ask on.
    let out = cli(
        &[
            "login",
            "--base-url",
            &url,
            "--app-key",
            &key,
            "--username",
            "bob",
        ],
        &[("ETNA_PASSWORD", "bob-pass")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("terminal"));

    let out = cli(
        &[
            "login",
            "--base-url",
            "http://example.com/api",
            "--app-key",
            "k",
            "--username",
            "u",
        ],
        &[("ETNA_PASSWORD", "p")],
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn usage_errors_exit_64() {
    assert_eq!(cli(&[], &[]).status.code(), Some(64));
    assert_eq!(cli(&["fly"], &[]).status.code(), Some(64));
    assert_eq!(cli(&["login", "--bogus"], &[]).status.code(), Some(64));
    let out = cli(
        &["login"],
        &[
            ("ETNA_BASE_URL", ""),
            ("ETNA_APP_KEY", ""),
            ("ETNA_USERNAME", ""),
        ],
    );
    assert_eq!(out.status.code(), Some(64));
    assert!(cli(&["--help"], &[]).status.success());
}

#[cfg(unix)]
#[test]
fn a_machine_without_a_trust_store_gets_a_tls_error_naming_the_ca_file() {
    let empty_dir = std::env::temp_dir().join(format!("etna-empty-certs-{}", std::process::id()));
    std::fs::create_dir_all(&empty_dir).unwrap();
    let empty_file = empty_dir.join("none.pem");
    std::fs::write(&empty_file, "").unwrap();
    // Something listens, so that the TLS stage is reached.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "https://127.0.0.1:{}/api",
        listener.local_addr().unwrap().port()
    );
    let out = cli(
        &[
            "login",
            "--base-url",
            &url,
            "--app-key",
            "k",
            "--username",
            "u",
        ],
        &[
            ("ETNA_PASSWORD", "p"),
            ("SSL_CERT_FILE", empty_file.to_str().unwrap()),
            ("SSL_CERT_DIR", empty_dir.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(11), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("trust store") && stderr.contains("CA file"),
        "{stderr}"
    );
}
