//! The `etna-auth` binary as scripts use it: output on stdout, messages on
//! stderr, exit codes per status.
// The trust store test is Unix only (SSL_CERT_FILE / SSL_CERT_DIR are how
// Unix finds its store).

mod common;

use common::{
    assert_exit, assert_save_fails_before_print, cli, run, sandbox_env, sandbox_env_with_password,
    text, Setup,
};
use etna_auth::sandbox::{Sandbox, SandboxConfig};

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
    let env = sandbox_env_with_password(&sbx, "alice-pass");
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
    let (url, key) = (sbx.url(), sbx.app_key());
    // `login` with everything on the command line but the password.
    let login = |url: &str, key: &str, username: &str, password: &str| {
        let args = [
            "login",
            "--base-url",
            url,
            "--app-key",
            key,
            "--username",
            username,
        ];
        cli(&args, &[("ETNA_PASSWORD", password)])
    };
    let out = login(url, key, "alice", "wrong-Secret-9");
    assert_eq!(out.status.code(), Some(4));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Invalid credentials") && !stderr.contains("wrong-Secret-9"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());

    let out = login(url, "nope", "alice", "x");
    assert_eq!(out.status.code(), Some(3));

    // Asked for a PIN with no terminal to ask on.
    let out = login(url, key, "bob", "bob-pass");
    assert_exit(&out, 1);
    assert!(text(&out.stderr).contains("terminal"));

    let out = login("http://example.com/api", "k", "u", "p");
    assert_eq!(out.status.code(), Some(1));
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

/// A server on 127.0.0.1 that answers every request with `answer`.
fn answering(answer: &'static str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    url
}

#[test]
fn network_timeout_protocol_and_server_failures_have_their_exit_codes() {
    // Accepts connections (the kernel does) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}/api", silent.local_addr().unwrap());
    let garbage =
        answering("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    let failing = answering("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    // A port that was free a moment ago and where nothing listens now; taken
    // after the servers above, so that none of them can be given it.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/api", listener.local_addr().unwrap())
    };
    for (url, code) in [(&closed, 6), (&silent_url, 7), (&garbage, 8), (&failing, 9)] {
        let out = cli(
            &[
                "login",
                "--base-url",
                url,
                "--app-key",
                "k",
                "--username",
                "u",
                "--timeout-ms",
                "500",
            ],
            &[("ETNA_PASSWORD", "p")],
        );
        assert_eq!(
            out.status.code(),
            Some(code),
            "{url}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty());
        assert_eq!(
            text(&out.stderr).lines().count(),
            1,
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn password_stdin_reads_the_password_from_standard_input() {
    let sbx = Sandbox::start(SandboxConfig::default()).expect("sandbox starts");
    // --password-stdin wins over the environment.
    let env = sandbox_env_with_password(&sbx, "wrong-pass");
    let args = ["login", "--username", "alice", "--password-stdin"];
    for input in [&b"alice-pass"[..], b"alice-pass\n", b"alice-pass\r\n"] {
        let out = run(&args, &env, Some(input));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{input:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stdout).trim().len() > 10);
    }
    // Only one final line end goes: the rest is the password, which the
    // library refuses to send.
    let out = run(&args, &env, Some(b"alice-pass\n\n"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("control character"));
    let out = run(&args, &env, Some(b""));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no password"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let out = run(&args, &env, Some(b"\xffpass"));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("UTF-8"), "{}", text(&out.stderr));
}

#[test]
fn json_has_the_expiry_in_seconds_too() {
    let sbx = Sandbox::start(SandboxConfig::default()).expect("sandbox starts");
    let env = sandbox_env_with_password(&sbx, "alice-pass");
    let out = cli(&["login", "--username", "alice", "--json"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let now = etna_auth::token_cache::unix_now();
    let (at, left) = (
        json["expires_at"].as_i64().unwrap(),
        json["expires_in"].as_i64().unwrap(),
    );
    assert!((86_300..=86_400).contains(&left), "{json}");
    assert!((at - left - now).abs() <= 5, "{json}");
    assert!(json["token"].as_str().unwrap().len() > 10, "{json}");
}

#[test]
fn the_cache_goes_into_folders_made_owner_only() {
    // The README's example: `--cache ~/.etna/tokens.json` where ~/.etna is new.
    let setup = Setup::new("home");
    let Setup { sbx, dir: home, .. } = &setup;
    let cache = home.join(".etna/deeper/tokens.json");
    let env = sandbox_env_with_password(sbx, "alice-pass");
    let args = [
        "login",
        "--username",
        "alice",
        "--cache",
        cache.to_str().unwrap(),
    ];
    let out = cli(&args, &env);
    assert_exit(&out, 0);
    assert!(cache.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&home.join(".etna")), 0o700);
        assert_eq!(mode(&home.join(".etna/deeper")), 0o700);
        assert_eq!(mode(&cache), 0o600);
    }
    // The cached token, without a password.
    let again = cli(&args, &sandbox_env(sbx));
    assert_exit(&again, 0);
    assert_eq!(again.stdout, out.stdout);
    assert_eq!(sbx.request_count(), 1);
}

#[test]
fn a_cache_that_cannot_be_written_fails_before_the_token_is_printed() {
    let setup = Setup::new("locked");
    let Setup { sbx, dir, .. } = &setup;
    let cache = common::unwritable_token_file(dir);
    let env = sandbox_env_with_password(sbx, "alice-pass");
    fn login(cache: &std::path::Path) -> Vec<&str> {
        vec![
            "login",
            "--username",
            "alice",
            "--cache",
            cache.to_str().unwrap(),
        ]
    }
    for stderr in assert_save_fails_before_print(&login(&cache), &env) {
        assert!(stderr.contains("lock file"), "{stderr}");
    }
    // The login itself happened: the failure is the save's.
    assert_eq!(sbx.request_count(), 3);
    // A folder that cannot be made fails before any login.
    let blocked = dir.join("file-not-folder");
    std::fs::write(&blocked, "").unwrap();
    let out = cli(&login(&blocked.join("tokens.json")), &env);
    assert_exit(&out, 10);
    assert!(
        text(&out.stderr).contains("folder"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(sbx.request_count(), 3);
}
