//! etna_acquire_token through the C ABI, against the sandbox: the stored
//! token or one login, the password asked only when a login is needed, one
//! login across processes (children of this test binary, re-run with
//! ETNA_TEST_CHILD), a cancel while waiting, a process that dies
//! mid-login, the default store's folders, and a keyring store that is not
//! reachable.

#[cfg(windows)]
#[path = "windows/acl.rs"]
mod acl;
mod common;

use std::ffi::{c_char, c_int, c_void, CStr};
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use etna_auth_capi::*;

const ETNA_NEED_PASSWORD: i32 = Status::NeedPassword.code();

/// The callback's script: the password (or none: give up), the factors,
/// and what it was asked.
#[derive(Default)]
struct Asker {
    password: Option<&'static str>,
    pin: Option<&'static str>,
    code: Option<&'static str>,
    /// Blocks before answering the code until a message arrives.
    hold_code: Option<Mutex<mpsc::Receiver<()>>>,
    /// Ends the process (as a crash would) when asked for the code.
    die_at_code: bool,
    /// Pauses before answering the code (a user typing it).
    code_delay: Duration,
    asked: Mutex<Vec<(i32, String)>>,
}

impl Asker {
    fn steps(&self) -> Vec<i32> {
        self.asked.lock().unwrap().iter().map(|(s, _)| *s).collect()
    }
}

unsafe extern "C" fn ask(
    user_data: *mut c_void,
    step: c_int,
    reason: *const c_char,
    answer: *mut c_char,
    size: usize,
) -> c_int {
    let asker = &*(user_data as *const Asker);
    let reason = CStr::from_ptr(reason).to_string_lossy().into_owned();
    asker.asked.lock().unwrap().push((step, reason));
    let value = match step {
        s if s == ETNA_NEED_PASSWORD => asker.password,
        s if s == ETNA_NEED_PIN => asker.pin,
        s if s == ETNA_NEED_CODE => {
            if asker.die_at_code {
                std::process::exit(3);
            }
            std::thread::sleep(asker.code_delay);
            if let Some(hold) = &asker.hold_code {
                let _ = hold.lock().unwrap().recv();
            }
            asker.code
        }
        _ => None,
    };
    let Some(value) = value else { return 1 };
    assert!(value.len() < size);
    std::ptr::copy_nonoverlapping(value.as_ptr(), answer.cast::<u8>(), value.len());
    *answer.add(value.len()) = 0;
    0
}

/// etna_acquire_token with a store path (None: the default store), a
/// password (None: asked), and the callback (None: no callback).
fn acquire(
    s: &S,
    store: Option<&Path>,
    user: &str,
    password: Option<&str>,
    min_valid_s: u32,
    asker: Option<&Asker>,
) -> i32 {
    let store = store.map(|p| c(p.to_str().unwrap()));
    let password_c = password.map(c);
    if let Some(p) = password {
        s.1.secret(p);
    }
    let (callback, user_data): (EtnaAskCallback, *mut c_void) = match asker {
        Some(a) => (Some(ask), a as *const Asker as *mut c_void),
        None => (None, std::ptr::null_mut()),
    };
    unsafe {
        etna_acquire_token(
            s.0,
            store.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
            c(user).as_ptr(),
            password_c.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
            min_valid_s,
            callback,
            user_data,
        )
    }
}

fn mode(path: &Path) -> u32 {
    #[cfg(unix)]
    return std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    #[cfg(not(unix))]
    {
        let _ = path;
        0
    }
}

#[test]
fn an_empty_store_logs_in_and_stores_then_nothing_is_sent() {
    let sbx = Sbx::start(None);
    let dir = temp_dir("acquire-empty");
    let store = dir.join("missing").join("folders").join("tokens.json");
    let s = sbx.session();
    let asker = Asker {
        code: Some("123456"),
        ..Asker::default()
    };
    let rc = acquire(
        &s,
        Some(&store),
        "carol",
        Some("carol-pass"),
        300,
        Some(&asker),
    );
    assert_eq!(rc, ETNA_OK, "{}", last_error());
    assert_eq!(sbx.requests(), 2, "password, then the code");
    assert_eq!(asker.steps(), [ETNA_NEED_CODE]);
    let token = s.token().unwrap();
    assert!(store.exists());
    if cfg!(unix) {
        assert_eq!(mode(&store), 0o600);
        assert_eq!(mode(store.parent().unwrap()), 0o700);
        assert_eq!(mode(&dir.join("missing")), 0o700);
    }
    #[cfg(windows)]
    {
        // The new folders and the file: owned by the user, and no access
        // entry for anybody but the user and SYSTEM. (Windows keeps the
        // protected owner-only DACL they are created with; Wine, without
        // extended attributes to keep it in, shows one made from the Unix
        // mode it maps it to, 0700 or 0600: the user and SYSTEM.)
        let me = acl::my_sid();
        for path in [store.parent().unwrap(), &dir.join("missing"), &store] {
            let sddl = acl::get_sddl(path);
            let (owner, dacl) = sddl.split_once("D:").unwrap();
            assert_eq!(owner, format!("O:{me}"), "{sddl}");
            let aces: Vec<&str> = dacl.split('(').skip(1).collect();
            assert!(
                aces.iter().any(|ace| ace.ends_with(&format!(";{me})"))),
                "{sddl}"
            );
            for ace in aces {
                let sid = ace.trim_end_matches(')').rsplit(';').next().unwrap();
                assert!(
                    sid == me || sid == "SY",
                    "nobody but the user and SYSTEM: {sddl}"
                );
            }
        }
    }
    let text = std::fs::read_to_string(&store).unwrap();
    assert!(
        text.contains(&token) && !text.contains("carol-pass"),
        "{text}"
    );

    // A second acquire, in a new session: the stored token, nothing sent,
    // nobody asked (no password given at all).
    let again = sbx.session();
    let nobody = Asker::default();
    let rc = acquire(&again, Some(&store), "carol", None, 300, Some(&nobody));
    assert_eq!(rc, ETNA_OK, "{}", last_error());
    assert_eq!(again.token().unwrap(), token);
    assert_eq!(again.expires_at(), s.expires_at());
    assert_eq!(sbx.requests(), 2, "nothing sent");
    assert!(nobody.steps().is_empty(), "the callback was not called");

    // Today's etna_load_token reads what acquire stored.
    let loaded = sbx.session();
    let rc = unsafe {
        etna_load_token(
            loaded.0,
            c(store.to_str().unwrap()).as_ptr(),
            c("carol").as_ptr(),
            60,
        )
    };
    assert_eq!(rc, ETNA_OK, "{}", last_error());
    assert_eq!(loaded.token().unwrap(), token);
}

/// A token file in today's format, as etna_save_token writes it.
fn write_store(path: &Path, base_url: &str, user: &str, token: &str, expires_in: i64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let json = serde_json::json!({
        "format": "etna-auth token cache",
        "version": 1,
        "entries": [{"base_url": base_url, "username": user, "token": token, "expires_at": now + expires_in}],
    });
    std::fs::write(path, json.to_string()).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    #[cfg(windows)]
    acl::set_sddl(path, &acl::owner_only_sddl());
}

#[test]
fn a_token_that_expires_too_soon_forces_a_login() {
    let sbx = Sbx::start(None);
    let dir = temp_dir("acquire-margin");
    let store = dir.join("tokens.json");
    write_store(&store, &sbx.url(), "alice", "stored-token-100s", 100);
    let s = sbx.session();
    let asker = Asker {
        password: Some("alice-pass"),
        ..Asker::default()
    };

    // 60 s asked, 100 s left: the stored token, nothing sent, nobody asked.
    assert_eq!(
        acquire(&s, Some(&store), "alice", None, 60, Some(&asker)),
        ETNA_OK
    );
    assert_eq!(s.token().unwrap(), "stored-token-100s");
    assert_eq!((sbx.requests(), asker.steps().len()), (0, 0));

    // 300 s asked: a login, with the password asked through the callback.
    assert_eq!(
        acquire(&s, Some(&store), "alice", None, 300, Some(&asker)),
        ETNA_OK,
        "{}",
        last_error()
    );
    s.1.secret("alice-pass");
    assert_eq!(sbx.requests(), 1);
    let asked = asker.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].0, ETNA_NEED_PASSWORD);
    assert!(asked[0].1.contains("300"), "{:?}", asked[0].1);
    let token = s.token().unwrap();
    assert_ne!(token, "stored-token-100s");
    assert!(std::fs::read_to_string(&store).unwrap().contains(&token));

    // More than a token's lifetime can never be met: refused, nothing sent.
    assert_eq!(
        acquire(&s, Some(&store), "alice", None, 86_401, Some(&asker)),
        ETNA_ERR_ARGUMENT
    );
    assert_eq!(sbx.requests(), 1);
}

#[test]
fn without_a_password_or_a_callback_a_needed_login_sends_nothing() {
    let sbx = Sbx::start(None);
    let store = temp_dir("acquire-nobody").join("tokens.json");
    let s = sbx.session();
    assert_eq!(
        acquire(&s, Some(&store), "alice", None, 300, None),
        ETNA_ERR_CANCELLED
    );
    assert!(last_error().contains("password"), "{}", last_error());
    let gives_up = Asker::default();
    assert_eq!(
        acquire(&s, Some(&store), "alice", None, 300, Some(&gives_up)),
        ETNA_ERR_CANCELLED
    );
    assert_eq!(gives_up.steps(), [ETNA_NEED_PASSWORD]);
    assert_eq!(sbx.requests(), 0);
    assert_eq!(s.token(), Err(ETNA_ERR_STATE));
    assert!(!store.exists(), "nothing stored");
    // A second factor with nobody to ask: given up after the password.
    assert_eq!(
        acquire(&s, Some(&store), "bob", Some("bob-pass"), 300, None),
        ETNA_ERR_CANCELLED
    );
    assert!(last_error().contains("PIN"), "{}", last_error());
}

#[test]
fn a_refused_password_is_returned_at_once_never_retried() {
    let sbx = Sbx::start(None);
    let store = temp_dir("acquire-refused").join("tokens.json");
    let s = sbx.session();
    let asker = Asker {
        password: Some("wrong-pass"),
        ..Asker::default()
    };
    s.1.secret("wrong-pass");
    let rc = acquire(&s, Some(&store), "alice", None, 300, Some(&asker));
    assert_eq!(rc, ETNA_ERR_CREDENTIALS, "{}", last_error());
    assert_eq!(sbx.requests(), 1);
    assert_eq!(asker.steps(), [ETNA_NEED_PASSWORD], "asked once");
    assert_eq!(s.token(), Err(ETNA_ERR_STATE));
}

#[test]
fn bad_arguments_send_nothing() {
    let sbx = Sbx::start(None);
    let s = sbx.session();
    let store = temp_dir("acquire-args").join("tokens.json");
    let rc = unsafe {
        etna_acquire_token(
            s.0,
            c(store.to_str().unwrap()).as_ptr(),
            std::ptr::null(),
            c("pw").as_ptr(),
            0,
            None,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, ETNA_ERR_ARGUMENT);
    let rc = unsafe {
        etna_acquire_token(
            std::ptr::null_mut(),
            std::ptr::null(),
            c("alice").as_ptr(),
            std::ptr::null(),
            0,
            None,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, ETNA_ERR_ARGUMENT);
    let empty = c("");
    let rc = unsafe {
        etna_acquire_token(
            s.0,
            empty.as_ptr(),
            c("alice").as_ptr(),
            c("alice-pass").as_ptr(),
            0,
            None,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, ETNA_ERR_ARGUMENT);
    assert_eq!(sbx.requests(), 0);
}

#[test]
fn a_cancel_ends_a_wait_and_leaves_the_login_in_progress_unharmed() {
    let sbx = Sbx::start(None);
    let store = temp_dir("acquire-cancel").join("tokens.json");
    let (release, held) = mpsc::channel();
    let first = sbx.session();
    let asker = Asker {
        code: Some("123456"),
        hold_code: Some(Mutex::new(held)),
        ..Asker::default()
    };
    let waiter = sbx.session();
    std::thread::scope(|scope| {
        let login = scope.spawn(|| {
            acquire(
                &first,
                Some(&store),
                "carol",
                Some("carol-pass"),
                300,
                Some(&asker),
            )
        });
        // The first caller now holds the login (asked for the code).
        let started = Instant::now();
        while asker.steps().is_empty() {
            assert!(started.elapsed() < Duration::from_secs(10));
            std::thread::sleep(Duration::from_millis(5));
        }
        let cancelled = scope.spawn(|| {
            let t = Instant::now();
            let rc = acquire(&waiter, Some(&store), "carol", None, 300, None);
            (rc, last_error(), t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(200));
        assert!(!cancelled.is_finished(), "the second caller waits");
        unsafe { etna_cancel(waiter.0) };
        let (rc, message, waited) = cancelled.join().unwrap();
        assert_eq!(rc, ETNA_ERR_CANCELLED, "{message}");
        assert!(message.contains("waiting"), "{message}");
        assert!(waited < Duration::from_secs(5));
        // The first login goes on and succeeds.
        release.send(()).unwrap();
        assert_eq!(login.join().unwrap(), ETNA_OK);
    });
    assert_eq!(sbx.requests(), 2, "one login");
    let later = sbx.session();
    assert_eq!(
        acquire(&later, Some(&store), "carol", None, 300, None),
        ETNA_OK
    );
    assert_eq!(later.token().unwrap(), first.token().unwrap());
    assert_eq!(sbx.requests(), 2);
}

/// This test binary again, running only `child` with ETNA_TEST_CHILD set.
fn spawn_child(role: &str, sbx: &Sbx, store: &Path, extra: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child", "--exact", "--nocapture", "--test-threads=1"])
        .env("ETNA_TEST_CHILD", role)
        .env("ETNA_TEST_URL", sbx.url())
        .env("ETNA_TEST_KEY", sbx.key())
        .env("ETNA_TEST_STORE", store)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

/// The child's side: one acquire by role, its outcome on stdout as
/// `outcome <rc> <asked steps> <token length> <expiry>`.
#[test]
fn child() {
    let Ok(role) = std::env::var("ETNA_TEST_CHILD") else {
        return;
    };
    let var = |name| std::env::var(name).unwrap();
    let s = S::new(&var("ETNA_TEST_URL"), &var("ETNA_TEST_KEY"));
    let store = PathBuf::from(var("ETNA_TEST_STORE"));
    let asker = Asker {
        password: Some("carol-pass"),
        code: Some("123456"),
        die_at_code: role == "die",
        // Long enough for every other process to start and wait.
        code_delay: Duration::from_millis(if role == "acquire" { 500 } else { 0 }),
        ..Asker::default()
    };
    let rc = match role.as_str() {
        "default" => acquire(&s, None, "carol", None, 300, Some(&asker)),
        "keyring" => acquire(
            &s,
            Some(Path::new("keyring")),
            "carol",
            None,
            300,
            Some(&asker),
        ),
        _ => acquire(&s, Some(&store), "carol", None, 300, Some(&asker)),
    };
    let message = last_error();
    println!(
        "\noutcome {rc} {:?} {} {}",
        asker.steps(),
        s.token().map_or(0, |t| t.len()),
        s.expires_at()
    );
    println!("message {message}");
}

fn outcome(out: &std::process::Output) -> (i32, String, String) {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("outcome "))
        .unwrap_or_else(|| {
            panic!(
                "no outcome: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let message = stdout
        .lines()
        .find_map(|l| l.strip_prefix("message "))
        .unwrap_or("")
        .to_owned();
    let (rc, rest) = line.split_once(' ').unwrap();
    (rc.parse().unwrap(), rest.to_owned(), message)
}

#[test]
fn eight_processes_at_once_cause_one_login() {
    let sbx = Sbx::start(None);
    let store = temp_dir("acquire-8").join("tokens.json");
    let children: Vec<_> = (0..8)
        .map(|_| spawn::spawn(&mut spawn_child("acquire", &sbx, &store, &[])))
        .collect();
    let outcomes: Vec<_> = children
        .into_iter()
        .map(|c| outcome(&c.wait_with_output().unwrap()))
        .collect();
    for (rc, _, message) in &outcomes {
        assert_eq!(*rc, ETNA_OK, "{message}");
    }
    assert_eq!(sbx.requests(), 2, "one login: the password, then the code");
    let asked: Vec<_> = outcomes
        .iter()
        .filter(|(_, rest, _)| rest.starts_with("[3, 2]"))
        .collect();
    assert_eq!(
        asked.len(),
        1,
        "one process asked for the password and code: {outcomes:?}"
    );
    let not_asked = outcomes
        .iter()
        .filter(|(_, rest, _)| rest.starts_with("[]"))
        .count();
    assert_eq!(not_asked, 7, "{outcomes:?}");
    // Every process holds the same token (same length and expiry).
    let tails: Vec<_> = outcomes
        .iter()
        .map(|(_, rest, _)| rest.split_once("] ").unwrap().1)
        .collect();
    assert!(tails.iter().all(|t| *t == tails[0]), "{tails:?}");
}

#[test]
fn a_process_that_dies_mid_login_releases_its_lock() {
    let sbx = Sbx::start(None);
    let store = temp_dir("acquire-die").join("tokens.json");
    let out = spawn::output(&mut spawn_child("die", &sbx, &store, &[]));
    assert_eq!(out.status.code(), Some(3), "ended at the code");
    assert_eq!(sbx.requests(), 1, "it had sent the password");
    // The next caller is not stuck: it logs in itself.
    let s = sbx.session();
    let asker = Asker {
        code: Some("123456"),
        ..Asker::default()
    };
    let started = Instant::now();
    assert_eq!(
        acquire(
            &s,
            Some(&store),
            "carol",
            Some("carol-pass"),
            300,
            Some(&asker)
        ),
        ETNA_OK,
        "{}",
        last_error()
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(sbx.requests(), 3);
}

#[cfg(unix)]
#[test]
fn the_default_store_is_under_xdg_config_home_and_its_folders_are_private() {
    let sbx = Sbx::start(None);
    let dir = temp_dir("acquire-default");
    let config = dir.join("config-home");
    // The "default" child (no store given) with this ETNA_AUTH_STORE.
    let default_child = |etna_auth_store: &str| {
        let env = [
            ("XDG_CONFIG_HOME", config.to_str().unwrap()),
            ("ETNA_AUTH_STORE", etna_auth_store),
        ];
        let out = spawn::output(&mut spawn_child("default", &sbx, Path::new("unused"), &env));
        outcome(&out)
    };
    let (rc, _, message) = default_child("");
    assert_eq!(rc, ETNA_OK, "{message}");
    let file = config.join("etna-auth").join("tokens.json");
    assert!(file.exists());
    assert_eq!(mode(&config), 0o700);
    assert_eq!(mode(&config.join("etna-auth")), 0o700);
    assert_eq!(mode(&file), 0o600);

    // ETNA_AUTH_STORE replaces the default.
    let elsewhere = dir.join("elsewhere.json");
    assert_eq!(default_child(elsewhere.to_str().unwrap()).0, ETNA_OK);
    assert!(elsewhere.exists());
}

#[test]
fn the_default_store_path_is_given() {
    let n = unsafe { etna_default_store(std::ptr::null_mut(), 0) };
    if n < 0 {
        // No HOME / APPDATA here: the message says how to give a store.
        assert!(last_error().contains("ETNA_AUTH_STORE"), "{}", last_error());
        return;
    }
    let mut buf = vec![0u8; n as usize + 1];
    assert_eq!(
        unsafe { etna_default_store(buf.as_mut_ptr().cast(), buf.len()) },
        n
    );
    let path = String::from_utf8(buf[..n as usize].to_vec()).unwrap();
    if std::env::var_os("ETNA_AUTH_STORE").is_none() {
        assert!(path.ends_with("tokens.json"), "{path}");
        assert!(path.contains("etna-auth"), "{path}");
    }
}

#[cfg(unix)]
#[test]
fn an_unreachable_keyring_fails_clearly_and_sends_nothing() {
    let sbx = Sbx::start(None);
    let dir = temp_dir("acquire-no-keyring");
    let out = spawn::output(&mut spawn_child(
        "keyring",
        &sbx,
        Path::new("unused"),
        &[
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/etna-test-bus",
            ),
            ("XDG_CONFIG_HOME", dir.to_str().unwrap()),
        ],
    ));
    let (rc, rest, message) = outcome(&out);
    assert_eq!(rc, ETNA_ERR_IO, "{message}");
    assert!(
        message.contains("not reachable") && message.contains("token file"),
        "{message}"
    );
    assert!(rest.starts_with("[]"), "no password asked: {rest}");
    assert_eq!(sbx.requests(), 0, "nothing sent");
}

/// The keyring store against the system's real credential store: run by
/// tests/keyring.sh under a private D-Bus session with GNOME Keyring
/// (Linux), and by tests/windows.sh under Wine (its advapi32 implements
/// CredWriteW / CredReadW). With ETNA_TEST_KEYRING_OUT set, it writes the
/// base URL and the token left in the store there, for the script to check
/// from outside (secret-tool).
#[test]
#[cfg_attr(not(windows), ignore = "needs a Secret Service: run tests/keyring.sh")]
fn keyring_store_under_the_os_credential_store() {
    use etna_auth::store::Store;

    let sbx = Sbx::start(None);
    let keyring = Path::new("keyring");
    let s = sbx.session();
    let rc = acquire(&s, Some(keyring), "alice", Some("alice-pass"), 300, None);
    assert_eq!(rc, ETNA_OK, "{}", last_error());
    assert_eq!(sbx.requests(), 1);
    let token = s.token().unwrap();

    // A new session takes it from the store: nothing sent, nobody asked.
    let again = sbx.session();
    let nobody = Asker::default();
    assert_eq!(
        acquire(&again, Some(keyring), "alice", None, 300, Some(&nobody)),
        ETNA_OK
    );
    assert_eq!(again.token().unwrap(), token);
    assert_eq!(again.expires_at(), s.expires_at());
    assert_eq!((sbx.requests(), nobody.steps().len()), (1, 0));

    // The index lists it, without the token.
    let listed = Store::Keyring.list().unwrap();
    let mine: Vec<_> = listed.iter().filter(|l| l.base_url == sbx.url()).collect();
    assert_eq!(mine.len(), 1, "{listed:?}");
    assert_eq!(
        (mine[0].username.as_str(), mine[0].expires_at),
        ("alice", s.expires_at())
    );

    // Forgotten: the next acquire needs a login (and gives up without a password).
    Store::Keyring.forget(&sbx.url(), "alice").unwrap();
    assert_eq!(
        acquire(&again, Some(keyring), "alice", None, 300, None),
        ETNA_ERR_CANCELLED
    );
    assert!(Store::Keyring
        .list()
        .unwrap()
        .iter()
        .all(|l| l.base_url != sbx.url()));
    assert_eq!(sbx.requests(), 1);

    // Stored again, and left in place for a look from outside.
    let last = sbx.session();
    assert_eq!(
        acquire(&last, Some(keyring), "alice", Some("alice-pass"), 300, None),
        ETNA_OK
    );
    assert_eq!(sbx.requests(), 2);
    if let Some(out) = std::env::var_os("ETNA_TEST_KEYRING_OUT") {
        let text = format!("{}\n{}\n", sbx.url(), last.token().unwrap());
        std::fs::write(out, text).unwrap();
    } else {
        Store::Keyring.forget(&sbx.url(), "alice").unwrap();
    }
}
