//! `token`, `status`, and `login` / `logout` with a store, against the
//! sandbox: what is sent (the sandbox's request count), what is printed,
//! what is stored.

mod common;

use std::path::Path;

use common::{
    assert_exit, assert_save_fails_before_print, cli, run, sandbox_env, sandbox_env_with_password,
    text, Setup,
};
use etna_auth::secret::Secret;
use etna_auth::store::Store;
use etna_auth::token_cache::{unix_now, Entry};

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `command --username USERNAME --store STORE` and then `extra`.
fn with_store<'a>(
    command: &'a str,
    username: &'a str,
    store: &'a Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![command, "--username", username, "--store", path(store)];
    args.extend_from_slice(extra);
    args
}

#[test]
fn token_logs_in_once_then_takes_the_stored_token() {
    let setup = Setup::new("store-once");
    let Setup { sbx, store, .. } = &setup;
    let args = with_store("token", "alice", store, &[]);
    let first = cli(&args, &sandbox_env_with_password(sbx, "alice-pass"));
    assert_exit(&first, 0);
    let token = text(&first.stdout);
    assert!(
        token.ends_with('\n') && token.trim().len() > 10,
        "{token:?}"
    );
    assert!(first.stderr.is_empty(), "{}", text(&first.stderr));
    assert_eq!(sbx.request_count(), 1);
    assert!(store.is_file());
    // No password now, and nothing sent: the stored token.
    let second = cli(&args, &sandbox_env(sbx));
    assert_exit(&second, 0);
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(sbx.request_count(), 1);
    // --no-prompt takes it too; --json and --header print it as login does.
    let json = cli(
        &[&args[..], &["--no-prompt", "--json"]].concat(),
        &sandbox_env(sbx),
    );
    assert_exit(&json, 0);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["token"].as_str(), Some(token.trim()));
    let left = json["expires_in"].as_i64().unwrap();
    assert!((86_000..=86_400).contains(&left), "{json}");
    let header = cli(&[&args[..], &["--header"]].concat(), &sandbox_env(sbx));
    assert_eq!(
        text(&header.stdout),
        format!("Authorization: Bearer {token}")
    );
    assert_eq!(sbx.request_count(), 1);
}

#[test]
fn eight_tokens_at_once_from_an_empty_store_make_one_login() {
    let setup = Setup::new("store-eight");
    let Setup { sbx, store, .. } = &setup;
    let env = sandbox_env_with_password(sbx, "alice-pass");
    let args = with_store("token", "alice", store, &[]);
    let outputs: Vec<_> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..8).map(|_| scope.spawn(|| cli(&args, &env))).collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    for out in &outputs {
        assert_exit(out, 0);
        assert_eq!(out.stdout, outputs[0].stdout, "one token for all");
    }
    assert!(text(&outputs[0].stdout).trim().len() > 10);
    assert_eq!(sbx.request_count(), 1, "one login at the server");
}

#[test]
fn token_no_prompt_exits_12_with_nothing_on_stdout_when_a_login_needs_an_answer() {
    let setup = Setup::new("store-no-prompt");
    let Setup { sbx, store, .. } = &setup;
    // An empty store and no password: nothing is sent.
    let out = cli(
        &with_store("token", "alice", store, &["--no-prompt"]),
        &sandbox_env(sbx),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(12), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("no token")
            && stderr.contains("password")
            && stderr.contains("--no-prompt"),
        "{stderr}"
    );
    assert_eq!(sbx.request_count(), 0);
    // The password given, but the server asks for a PIN: no token either.
    let out = cli(
        &with_store("token", "bob", store, &["--no-prompt"]),
        &sandbox_env_with_password(sbx, "bob-pass"),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(12), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("PIN"), "{stderr}");
    assert_eq!(sbx.request_count(), 1);
    // Without --no-prompt and without a terminal, the prompt fails (1).
    let out = cli(&with_store("token", "alice", store, &[]), &sandbox_env(sbx));
    assert_exit(&out, 1);
    assert!(text(&out.stderr).contains("terminal"));
    assert!(out.stdout.is_empty());
}

#[test]
fn token_reads_the_password_from_stdin() {
    let setup = Setup::new("store-stdin");
    let Setup { sbx, dir, store } = &setup;
    // --password-stdin wins over the environment.
    let env = sandbox_env_with_password(sbx, "wrong-pass");
    let args = with_store(
        "token",
        "alice",
        store,
        &["--password-stdin", "--no-prompt"],
    );
    let out = run(&args, &env, Some(b"alice-pass\n"));
    assert_exit(&out, 0);
    assert!(text(&out.stdout).trim().len() > 10);
    assert_eq!(sbx.request_count(), 1);
    // A refused password is returned at once (4), never tried again.
    let other = dir.join("other.json");
    let args = with_store("token", "alice", &other, &["--password-stdin"]);
    let out = run(&args, &env, Some(b"not-her-pass"));
    assert_exit(&out, 4);
    assert!(out.stdout.is_empty());
    assert_eq!(sbx.request_count(), 2);
}

/// A token of `username` at `base_url` in the token file `store`.
fn stored(store: &Path, base_url: &str, username: &str, token: &str, expires_at: i64) {
    Store::File(store.to_path_buf())
        .save(&Entry {
            base_url: base_url.to_owned(),
            username: username.to_owned(),
            token: Secret::new(token),
            expires_at,
        })
        .unwrap();
}

#[test]
fn min_valid_longer_than_what_is_left_forces_a_login() {
    let setup = Setup::new("store-min-valid");
    let Setup { sbx, store, .. } = &setup;
    stored(
        store,
        sbx.url(),
        "alice",
        "ten-minutes-left",
        unix_now() + 600,
    );
    let env = sandbox_env_with_password(sbx, "alice-pass");
    // The token that `command --min-valid min_valid` prints.
    let token_of = |command: &str, min_valid: &str| {
        let out = cli(
            &with_store(command, "alice", store, &["--min-valid", min_valid]),
            &env,
        );
        assert_exit(&out, 0);
        text(&out.stdout).trim().to_owned()
    };
    let token = |min_valid: &str| token_of("token", min_valid);
    assert_eq!(token("300"), "ten-minutes-left");
    assert_eq!(sbx.request_count(), 0);
    let fresh = token("900");
    assert_ne!(fresh, "ten-minutes-left");
    assert_eq!(sbx.request_count(), 1);
    // The new token replaced the old one in the store.
    assert_eq!(token("900"), fresh);
    assert_eq!(sbx.request_count(), 1);
    // login --store follows the same rule.
    assert_eq!(token_of("login", "900"), fresh);
    assert_eq!(sbx.request_count(), 1);
    // No token lives longer than a day.
    let out = cli(
        &with_store("token", "alice", store, &["--min-valid", "86401"]),
        &env,
    );
    assert_exit(&out, 1);
    assert!(out.stdout.is_empty());
}

#[test]
fn status_shows_users_and_expiries_and_never_a_token() {
    let setup = Setup::new("store-status");
    let Setup { sbx, store, .. } = &setup;
    let empty = cli(&["status", "--store", path(store)], &[]);
    assert_exit(&empty, 0);
    assert_eq!(
        text(&empty.stdout),
        format!("No tokens in the token file \"{}\".\n", store.display())
    );
    let out = cli(
        &with_store("token", "alice", store, &[]),
        &sandbox_env_with_password(sbx, "alice-pass"),
    );
    assert_exit(&out, 0);
    let token = text(&out.stdout).trim().to_owned();
    let expired_at = unix_now() - 2 * 3600 - 60;
    stored(
        store,
        "https://h.example/api",
        "bob",
        "old-token-of-bob",
        expired_at,
    );

    let out = cli(&["status", "--store", path(store)], &[]);
    assert_exit(&out, 0);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    for shown in [&stdout, &stderr] {
        assert!(
            !shown.contains(&token) && !shown.contains("old-token-of-bob"),
            "{shown}"
        );
    }
    assert!(stderr.is_empty(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(
        lines[0],
        format!("Tokens in the token file \"{}\":", store.display())
    );
    let alice = lines.iter().find(|l| l.contains("alice")).unwrap();
    // A token lives 24 h; a few seconds may have passed.
    let left = ["24 h 0 min", "23 h 59 min", "23 h 58 min"];
    assert!(
        left.iter().any(
            |left| alice.starts_with(&format!("  alice at {}: expires in {left}, ", sbx.url()))
        ),
        "{alice}"
    );
    assert!(alice.ends_with(" UTC"), "{alice}");
    let bob = lines.iter().find(|l| l.contains("bob")).unwrap();
    assert!(
        bob.starts_with("  bob at https://h.example/api: expired 2 h ago, "),
        "{bob}"
    );

    let out = cli(&["status", "--store", path(store), "--json"], &[]);
    assert_exit(&out, 0);
    assert!(!text(&out.stdout).contains(&token));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["store"].as_str(), Some(path(store)));
    let tokens = json["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2, "{json}");
    for t in tokens {
        let keys: Vec<&str> = t.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(
            keys,
            ["base_url", "expires_at", "expires_in", "username"],
            "{json}"
        );
    }
    let bob = tokens.iter().find(|t| t["username"] == "bob").unwrap();
    assert_eq!(bob["expires_at"].as_i64(), Some(expired_at));
    assert_eq!(bob["expires_in"].as_i64(), Some(0));
}

#[test]
fn the_default_store_is_made_owner_only_and_logout_empties_it() {
    let setup = Setup::new("store-default");
    let Setup { sbx, dir: home, .. } = &setup;
    let config = home.join("config");
    let env_with = |extra: &[(&'static str, &'static str)]| {
        let mut env = sandbox_env(sbx);
        env.push(("XDG_CONFIG_HOME", path(&config)));
        env.push(("HOME", path(home)));
        // Windows' place for it.
        env.push(("LOCALAPPDATA", path(&config)));
        env.extend_from_slice(extra);
        env
    };
    let out = cli(
        &["token", "--username", "alice"],
        &env_with(&[("ETNA_PASSWORD", "alice-pass")]),
    );
    assert_exit(&out, 0);
    let file = config.join("etna-auth").join("tokens.json");
    assert!(file.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&config), 0o700);
        assert_eq!(mode(&config.join("etna-auth")), 0o700);
        assert_eq!(mode(&file), 0o600);
    }
    let status = cli(&["status"], &env_with(&[]));
    assert!(
        text(&status.stdout).contains(&format!("alice at {}: expires in", sbx.url())),
        "{}",
        text(&status.stdout)
    );
    // logout without --store: the default store.
    let out = cli(&["logout", "--username", "alice"], &env_with(&[]));
    assert_exit(&out, 0);
    let status = cli(&["status"], &env_with(&[]));
    assert!(
        text(&status.stdout).starts_with("No tokens in the token file"),
        "{}",
        text(&status.stdout)
    );
    // ETNA_AUTH_STORE replaces the default store.
    let elsewhere = home.join("elsewhere.json");
    let out = cli(
        &["token", "--username", "alice"],
        &[
            ("ETNA_BASE_URL", sbx.url()),
            ("ETNA_APP_KEY", sbx.app_key()),
            ("ETNA_AUTH_STORE", path(&elsewhere)),
            ("ETNA_PASSWORD", "alice-pass"),
        ],
    );
    assert_exit(&out, 0);
    assert!(elsewhere.is_file());
}

#[test]
fn a_store_that_cannot_be_written_fails_before_the_token_is_printed() {
    let setup = Setup::new("store-locked");
    let Setup { sbx, dir, .. } = &setup;
    let store = common::unwritable_token_file(dir);
    let env = sandbox_env_with_password(sbx, "alice-pass");
    for command in ["token", "login"] {
        assert_save_fails_before_print(&with_store(command, "alice", &store, &[]), &env);
    }
    // The logins happened: the failures are the saves'.
    assert_eq!(sbx.request_count(), 6);
}
