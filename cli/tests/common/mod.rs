//! The `etna-auth` binary run as scripts run it: no terminal, arguments,
//! environment and standard input given, output captured.
// Also run on Windows (under Wine): there a child of `Command::output` has
// no console to prompt on, as setsid gives none here.
#![allow(dead_code)]

use std::io::Write;
#[cfg(unix)]
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use etna_auth::sandbox::{Sandbox, SandboxConfig};

#[path = "../../../tests/support/spawn.rs"]
pub mod spawn;

/// The tool with these arguments and environment (and no ETNA_PASSWORD
/// unless `env` gives it), its standard streams piped, and no controlling
/// terminal: a prompt must fail, not wait.
pub fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etna-auth"));
    cmd.args(args)
        .env_remove("ETNA_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    #[cfg(unix)]
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd
}

/// Runs the tool with `stdin` on its standard input (empty when `None`).
pub fn run(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    let mut child = spawn::spawn(&mut command(args, env));
    let mut input = child.stdin.take().unwrap();
    // The tool may exit before reading (a usage error): a closed pipe is fine.
    let _ = input.write_all(stdin.unwrap_or_default());
    drop(input);
    child.wait_with_output().unwrap()
}

pub fn cli(args: &[&str], env: &[(&str, &str)]) -> Output {
    run(args, env, None)
}

/// The sandbox's URL and app key, with the default store pointed away from
/// the user's own (an empty ETNA_AUTH_STORE counts as unset).
pub fn sandbox_env(sbx: &Sandbox) -> Vec<(&str, &str)> {
    vec![
        ("ETNA_BASE_URL", sbx.url()),
        ("ETNA_APP_KEY", sbx.app_key()),
        ("ETNA_AUTH_STORE", ""),
    ]
}

/// [`sandbox_env`] with `ETNA_PASSWORD`.
pub fn sandbox_env_with_password<'a>(
    sbx: &'a Sandbox,
    password: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut env = sandbox_env(sbx);
    env.push(("ETNA_PASSWORD", password));
    env
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The exit codes section of a help text: (code, meaning) per line.
pub fn exit_code_lines(help: &str) -> Vec<(u8, String)> {
    help.lines()
        .skip_while(|line| !line.starts_with("Exit codes"))
        .skip(1)
        .map_while(|line| {
            let (code, meaning) = line.trim_start().split_once(' ')?;
            Some((code.parse().ok()?, meaning.to_owned()))
        })
        .collect()
}

/// A fresh, empty folder for one test (removed first if an earlier run left it).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("etna-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A test's sandbox and scratch folder (removed when the test is over, also
/// when it fails), with the path of a token file in it (not made).
pub struct Setup {
    pub sbx: Sandbox,
    pub dir: PathBuf,
    pub store: PathBuf,
}

impl Setup {
    pub fn new(name: &str) -> Setup {
        let sbx = Sandbox::start(SandboxConfig::default()).expect("sandbox starts");
        let dir = scratch(name);
        let store = dir.join("tokens.json");
        Setup { sbx, dir, store }
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Asserts the exit code, showing stderr when it differs.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
}

/// `tokens.json` in `dir`, which reads fine (no file yet) but cannot be
/// written: its lock file's name is taken by a folder.
pub fn unwritable_token_file(dir: &Path) -> PathBuf {
    std::fs::create_dir(dir.join("tokens.json.lock")).unwrap();
    dir.join("tokens.json")
}

/// Runs `args` as is, with `--json` and with `--header`: each must fail with
/// exit code 10 (the token could not be saved) before printing a token.
/// Returns the three stderrs.
#[track_caller]
pub fn assert_save_fails_before_print(args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    [&[][..], &["--json"], &["--header"]]
        .into_iter()
        .map(|output| {
            let out = cli(&[args, output].concat(), env);
            assert_exit(&out, 10);
            assert!(
                out.stdout.is_empty(),
                "a token was printed: {}",
                text(&out.stdout)
            );
            text(&out.stderr)
        })
        .collect()
}
