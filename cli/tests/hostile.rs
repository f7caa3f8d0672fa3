//! The store under misuse and in hostile folders (issue 27): a FIFO or an
//! endless file at the store's path, lock files planted as links in a
//! folder everyone can write, expiries that overflow or no token can have,
//! a mistyped store word, a lock another process holds (a short
//! --lock-timeout, --no-prompt, Ctrl-C), leftovers of a dead writer, core
//! dumps, and a factor asked with no terminal. Each test fails without its
//! fix: it hangs (bounded here by a deadline), prints a token, or creates a
//! file it must not.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{assert_exit, cli, command, sandbox_env, sandbox_env_with_password, text, Setup};
use etna_auth::store::lock::{lock_path, LoginLock};

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The tool started with no terminal and not waited for.
fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    common::spawn::spawn(command(args, env).stdin(Stdio::null()))
}

/// Waits for `child` at most `deadline`; a child still running then is
/// killed and the test fails (the hang this file is about).
#[track_caller]
fn finish_within(mut child: Child, deadline: Duration) -> Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("still running after {deadline:?}: {}", text(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// `cli`, failing the test instead of hanging past `deadline`.
#[track_caller]
fn cli_within(args: &[&str], env: &[(&str, &str)], deadline: Duration) -> Output {
    finish_within(spawn(args, env), deadline)
}

const SOON: Duration = Duration::from_secs(10);

/// `token --username alice --store <the setup's token file>`, then `extra`.
fn token<'a>(setup: &'a Setup, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "token",
        "--username",
        "alice",
        "--store",
        path(&setup.store),
    ];
    args.extend_from_slice(extra);
    args
}

/// A token file holding one entry of `username` with this expiry.
fn token_file(setup: &Setup, username: &str, expires_at: i64) {
    let json = format!(
        r#"{{"format":"etna-auth token cache","version":1,"entries":[{{"base_url":"{}","username":"{username}","token":"stored-token-of-{username}","expires_at":{expires_at}}}]}}"#,
        setup.sbx.url()
    );
    if !setup.store.exists() {
        // Made by the library, so that it is owner-only on every system (on
        // Windows its DACL too, which a plain write would inherit from the
        // folder and the store would refuse); its content is replaced below.
        let entry = etna_auth::token_cache::Entry {
            base_url: setup.sbx.url().to_owned(),
            username: username.to_owned(),
            token: etna_auth::secret::Secret::new("placeholder"),
            expires_at: etna_auth::token_cache::unix_now() + 60,
        };
        etna_auth::token_cache::save(&setup.store, entry).unwrap();
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&setup.store)
        .unwrap();
    std::io::Write::write_all(&mut file, json.as_bytes()).unwrap();
}

#[cfg(unix)]
#[test]
fn a_fifo_at_the_store_path_is_refused_at_once() {
    let setup = Setup::new("hostile-fifo");
    let name = std::ffi::CString::new(path(&setup.store)).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let env = sandbox_env(&setup.sbx);
    for args in [
        &["status", "--store", path(&setup.store)][..],
        &token(&setup, &["--no-prompt"])[..],
    ] {
        let out = cli_within(args, &env, SOON);
        assert_exit(&out, 10);
        assert!(
            text(&out.stderr).contains("not a regular file (a FIFO)"),
            "{}",
            text(&out.stderr)
        );
    }
    assert_eq!(setup.sbx.request_count(), 0);
}

#[cfg(unix)]
#[test]
fn lock_files_planted_as_links_in_a_folder_everyone_can_write_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let setup = Setup::new("hostile-links");
    let shared = setup.dir.join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let store = shared.join("tokens.json");
    // The attacker's links: the write lock to a file that exists, the login
    // lock to one that does not (a victim's open would create it).
    let precious = setup.dir.join("precious");
    std::fs::write(&precious, "precious").unwrap();
    std::os::unix::fs::symlink(&precious, shared.join("tokens.json.lock")).unwrap();
    let planted = setup.dir.join("planted");
    let login_lock = lock_path(&shared, "tokens.json", setup.sbx.url(), "alice");
    std::os::unix::fs::symlink(&planted, &login_lock).unwrap();
    let env = sandbox_env_with_password(&setup.sbx, "alice-pass");
    let out = cli_within(
        &["token", "--username", "alice", "--store", path(&store)],
        &env,
        SOON,
    );
    assert_exit(&out, 10);
    let message = text(&out.stderr);
    assert!(
        message.contains(path(&shared)) && message.contains("every user can write to it"),
        "{message}"
    );
    assert!(out.stdout.is_empty());
    assert!(!planted.exists(), "a file was created through the link");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "precious");
    assert!(!store.exists());
    assert_eq!(setup.sbx.request_count(), 0);

    // In a folder of one's own, a planted link is still refused, by name.
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o700)).unwrap();
    let out = cli_within(
        &["token", "--username", "alice", "--store", path(&store)],
        &env,
        SOON,
    );
    assert_exit(&out, 10);
    assert!(
        text(&out.stderr).contains("symbolic link"),
        "{}",
        text(&out.stderr)
    );
    assert!(!planted.exists());
}

#[cfg(unix)]
#[test]
fn an_endless_or_huge_file_is_not_read_to_its_end() {
    let setup = Setup::new("hostile-endless");
    let env = sandbox_env(&setup.sbx);
    for target in ["/dev/zero", "/proc/self/pagemap"] {
        let _ = std::fs::remove_file(&setup.store);
        std::os::unix::fs::symlink(target, &setup.store).unwrap();
        let out = cli_within(&["status", "--store", path(&setup.store)], &env, SOON);
        assert_exit(&out, 10);
    }
    let _ = std::fs::remove_file(&setup.store);
    token_file(&setup, "alice", 0);
    let huge = std::fs::OpenOptions::new()
        .append(true)
        .open(&setup.store)
        .unwrap();
    huge.set_len(2 * 1024 * 1024).unwrap();
    let out = cli_within(&["status", "--store", path(&setup.store)], &env, SOON);
    assert_exit(&out, 10);
    assert!(
        text(&out.stderr).contains("more than 1024 KiB"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn expiries_that_overflow_or_no_token_has_are_never_handed_out() {
    let setup = Setup::new("hostile-expiry");
    let env = sandbox_env(&setup.sbx);
    let now = etna_auth::token_cache::unix_now();
    for expires_at in [i64::MIN, i64::MAX, now + 10 * 365 * 86_400] {
        token_file(&setup, "alice", expires_at);
        let out = cli(&token(&setup, &["--no-prompt"]), &env);
        assert_exit(&out, 12);
        assert!(out.stdout.is_empty(), "{expires_at}: {}", text(&out.stdout));
        let status = cli(&["status", "--store", path(&setup.store)], &env);
        assert_exit(&status, 0);
        let shown = text(&status.stdout);
        assert!(shown.contains("an expiry no token can have"), "{shown}");
        assert!(!shown.contains("9223372"), "{shown}");
        let json = cli(&["status", "--json", "--store", path(&setup.store)], &env);
        let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert!(json["tokens"][0]["expires_in"].is_null(), "{json}");
    }
    // A real one is handed out as before.
    token_file(&setup, "alice", now + 3600);
    let out = cli(&token(&setup, &["--no-prompt"]), &env);
    assert_exit(&out, 0);
    assert_eq!(text(&out.stdout), "stored-token-of-alice\n");
    assert_eq!(setup.sbx.request_count(), 0);
}

#[test]
fn a_mistyped_store_word_is_refused_and_the_word_in_any_case_is_the_keyring() {
    let setup = Setup::new("hostile-word");
    let env = sandbox_env_with_password(&setup.sbx, "alice-pass");
    let run_in = |args: &[&str], extra: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_etna-auth"));
        cmd.args(args).current_dir(&setup.dir).stdin(Stdio::null());
        for (k, v) in env.iter().chain(extra) {
            cmd.env(k, v);
        }
        common::spawn::output(&mut cmd)
    };
    let out = run_in(&["token", "--username", "alice", "--store", "keyrnig"], &[]);
    assert_exit(&out, 1);
    let message = text(&out.stderr);
    assert!(
        message.contains("neither \"keyring\" nor a token file's path"),
        "{message}"
    );
    let out = run_in(
        &["token", "--username", "alice"],
        &[("ETNA_AUTH_STORE", "keyrnig")],
    );
    assert_exit(&out, 1);
    assert!(
        text(&out.stderr).contains("ETNA_AUTH_STORE"),
        "{}",
        text(&out.stderr)
    );
    // The keyring (on Linux made unreachable here, so that the user's own
    // is not touched; elsewhere not tried): an error, never a plaintext
    // file of that name.
    #[cfg(target_os = "linux")]
    {
        let no_bus = ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
        let out = run_in(
            &["token", "--username", "alice", "--store", "Keyring"],
            &[no_bus],
        );
        assert_exit(&out, 10);
        assert!(
            text(&out.stderr).contains("credential store"),
            "{}",
            text(&out.stderr)
        );
        let out = run_in(
            &["token", "--username", "alice"],
            &[("ETNA_AUTH_STORE", "KEYRING"), no_bus],
        );
        assert_exit(&out, 10);
        run_in(
            &["logout", "--username", "alice", "--store", "KeyRing"],
            &[no_bus],
        );
    }
    let made: Vec<_> = std::fs::read_dir(&setup.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        made.is_empty(),
        "files made in the current folder: {made:?}"
    );
}

/// The login lock of alice in `setup`'s token file's folder, held by this
/// test process.
fn hold_login_lock(setup: &Setup) -> (LoginLock, PathBuf) {
    let lock = lock_path(&setup.dir, "tokens.json", setup.sbx.url(), "alice");
    let taken = LoginLock::take(&lock, || false).unwrap();
    (taken.lock, lock)
}

/// The write lock of `setup`'s token file, held by this test process as
/// another writer would hold it (a whole-file lock, as older etna-auth took).
fn hold_write_lock(setup: &Setup) -> std::fs::File {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(setup.dir.join("tokens.json.lock"))
        .unwrap();
    file.lock().unwrap();
    file
}

#[test]
fn a_held_lock_ends_the_wait_at_the_lock_timeout_naming_its_holder() {
    let setup = Setup::new("hostile-held");
    let (held, lock) = hold_login_lock(&setup);
    let env = sandbox_env_with_password(&setup.sbx, "alice-pass");
    let started = Instant::now();
    let out = cli_within(&token(&setup, &["--lock-timeout", "0.5"]), &env, SOON);
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_exit(&out, 7);
    let message = text(&out.stderr);
    let lock_name = lock.file_name().unwrap().to_str().unwrap();
    assert!(message.contains(lock_name), "{message}");
    assert!(message.contains("--lock-timeout"), "{message}");
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
    // The same from the environment.
    let mut env_timeout = env.clone();
    env_timeout.push(("ETNA_AUTH_LOCK_TIMEOUT", "0.2"));
    let out = cli_within(&token(&setup, &[]), &env_timeout, SOON);
    assert_exit(&out, 7);
    // --no-prompt does not wait while the holder waits for its user.
    held.asking(true);
    let out = cli_within(&token(&setup, &["--no-prompt"]), &env, SOON);
    assert_exit(&out, 12);
    assert!(
        text(&out.stderr).contains("its user's answer"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(setup.sbx.request_count(), 0);
    drop(held);
    let out = cli_within(&token(&setup, &[]), &env, SOON);
    assert_exit(&out, 0);
}

/// `logout` waits for the token file's write lock (another writer's) at
/// most --lock-timeout or ETNA_AUTH_LOCK_TIMEOUT, then exits 7 naming the
/// lock file, the token kept; once the lock is free it removes the token.
#[test]
fn logout_gives_up_on_a_held_write_lock_at_the_lock_timeout() {
    let setup = Setup::new("hostile-logout");
    let env = sandbox_env_with_password(&setup.sbx, "alice-pass");
    assert_exit(&cli(&token(&setup, &[]), &env), 0);
    let write_lock = hold_write_lock(&setup);
    let logout = [
        "logout",
        "--username",
        "alice",
        "--store",
        path(&setup.store),
    ];
    let started = Instant::now();
    let out = cli_within(
        &[&logout[..], &["--lock-timeout", "0.5"]].concat(),
        &env,
        SOON,
    );
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_exit(&out, 7);
    let message = text(&out.stderr);
    assert!(message.contains("tokens.json.lock"), "{message}");
    let mut env_timeout = env.clone();
    env_timeout.push(("ETNA_AUTH_LOCK_TIMEOUT", "0.2"));
    assert_exit(&cli_within(&logout, &env_timeout, SOON), 7);
    // The stored token, with no password to log in again.
    let stored_only = sandbox_env(&setup.sbx);
    assert_exit(&cli(&token(&setup, &["--no-prompt"]), &stored_only), 0);
    drop(write_lock);
    assert_exit(&cli_within(&logout, &env, SOON), 0);
    assert_exit(&cli(&token(&setup, &["--no-prompt"]), &stored_only), 12);
    assert_eq!(setup.sbx.request_count(), 1, "one login, at the start");
}

/// Starts `args`, lets it wait, checks that its core dumps are off, and
/// interrupts it as Ctrl-C does: it must end at once with exit code 130.
#[cfg(unix)]
fn interrupt_while_it_waits(args: &[&str], env: &[(&str, &str)]) {
    let child = spawn(args, env);
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .map_or(true, |s| !s.contains("State:\tZ")),
        "still waiting"
    );
    if let Ok(limits) = std::fs::read_to_string(format!("/proc/{}/limits", child.id())) {
        let core = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap();
        let fields: Vec<&str> = core.split_whitespace().collect();
        assert_eq!(&fields[4..6], ["0", "0"], "{core}");
    }
    // SAFETY: signals our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let out = finish_within(child, Duration::from_secs(5));
    assert_exit(&out, 130);
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

/// Ctrl-C ends a wait for the login lock and for the token file's write
/// lock at once (exit 130; before, only SIGKILL ended the second), and the
/// waiting tool has core dumps off.
#[cfg(unix)]
#[test]
fn ctrl_c_ends_a_lock_wait_and_core_dumps_are_off() {
    let setup = Setup::new("hostile-ctrl-c");
    let env = sandbox_env_with_password(&setup.sbx, "alice-pass");
    let args = token(&setup, &[]);
    let write_lock = hold_write_lock(&setup);
    let (login_lock, _) = hold_login_lock(&setup);
    interrupt_while_it_waits(&args, &env);
    assert_eq!(setup.sbx.request_count(), 0, "it waited before the login");
    drop(login_lock);
    interrupt_while_it_waits(&args, &env);
    assert_eq!(
        setup.sbx.request_count(),
        1,
        "logged in, then waited to save"
    );
    assert!(!setup.store.exists());
    drop(write_lock);
}

#[cfg(unix)]
#[test]
fn a_write_removes_the_temporary_file_of_a_dead_writer() {
    let setup = Setup::new("hostile-leftover");
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let leftover = setup.dir.join(format!("tokens.json.tmp.{dead}"));
    std::fs::write(&leftover, "{\"token\":\"left behind\"}").unwrap();
    let out = cli(
        &token(&setup, &[]),
        &sandbox_env_with_password(&setup.sbx, "alice-pass"),
    );
    assert_exit(&out, 0);
    assert!(!leftover.exists());
}

#[test]
fn with_no_terminal_the_message_names_the_factor_it_could_not_ask() {
    let setup = Setup::new("hostile-no-tty");
    let out = cli(
        &["login", "--username", "bob"],
        &sandbox_env_with_password(&setup.sbx, "bob-pass"),
    );
    assert_exit(&out, 1);
    let message = text(&out.stderr);
    assert!(message.contains("cannot ask the security PIN"), "{message}");
    assert!(!message.contains("ETNA_PASSWORD"), "{message}");
}
