//! The command line itself: every command's --help, usage errors, and the
//! exit codes the help lists, against the status table and the README.

mod common;

use common::{cli, exit_code_lines, text};
use etna_auth::Status;

#[test]
fn every_command_answers_help_with_exit_code_0() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["help"],
        &["login", "--help"],
        &["login", "-h"],
        &["help", "login"],
        &["logout", "--help"],
        &["sandbox", "--help"],
        &["demo", "--help"],
        &["help", "help"],
    ] {
        let out = cli(args, &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.len() > 40, "{args:?}: {}", text(&out.stdout));
        assert!(out.stderr.is_empty(), "{args:?}: {}", text(&out.stderr));
    }
    let out = cli(&["--version"], &[]);
    assert_eq!(
        text(&out.stdout),
        format!("etna-auth {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_64_with_one_line() {
    let no_env = [
        ("ETNA_BASE_URL", ""),
        ("ETNA_APP_KEY", ""),
        ("ETNA_USERNAME", ""),
    ];
    for (args, says) in [
        (&[][..], "requires a subcommand"),
        (&["fly"], "unrecognized subcommand 'fly'"),
        (&["login", "--bogus"], "unexpected argument '--bogus'"),
        (&["login", "--timeout-ms", "soon"], "invalid value 'soon'"),
        (&["login", "--json", "--header"], "cannot be used with"),
        (&["login", "--min-valid", "60"], "--cache"),
        (&["login"], "give --base-url or set ETNA_BASE_URL"),
        (
            &["login", "--base-url", "http://127.0.0.1:9/api"],
            "--app-key",
        ),
        (&["logout", "--username", "u"], "--cache"),
        (&["sandbox", "--port", "70000"], "invalid value '70000'"),
    ] {
        let out = cli(args, &no_env);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("etna-auth: ") && stderr.contains(says),
            "{args:?}: {stderr}"
        );
        let help = match args.first() {
            Some(command) if *command != "fly" => format!("(see 'etna-auth {command} --help')"),
            _ => "(see 'etna-auth --help')".to_owned(),
        };
        assert!(stderr.trim_end().ends_with(&help), "{args:?}: {stderr}");
    }
}

/// The statuses whose exit codes the help leaves out: login and logout
/// never end with them (calls are made in order; a missing cached token
/// means a login).
const NEVER_RETURNED: [Status; 2] = [Status::State, Status::NoToken];

#[test]
fn help_lists_the_exit_codes_of_the_status_table() {
    let mut expected: Vec<(u8, String)> = Vec::new();
    for &status in Status::ALL {
        let code = status.exit_code();
        if !NEVER_RETURNED.contains(&status) && !expected.iter().any(|(c, _)| *c == code) {
            expected.push((code, format!("{} ({})", status.describe(), status.name())));
        }
    }
    expected.push((64, "usage error: a bad command line".to_owned()));
    expected.push((130, "interrupted (Ctrl-C)".to_owned()));
    expected.sort();
    for args in [&["--help"][..], &["login", "--help"], &["logout", "--help"]] {
        let listed = exit_code_lines(&text(&cli(args, &[]).stdout));
        assert_eq!(listed, expected, "{args:?}");
    }
}

#[test]
fn readme_lists_the_exit_codes_of_the_help() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("The command-line tool"))
        .expect("README has a section on the command-line tool");
    // Rows "| 4 | `ETNA_ERR_CREDENTIALS` | wrong user name or password |".
    let rows: Vec<(u8, String)> = section
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().strip_prefix('|')?.split('|').collect();
            let code: u8 = cells.first()?.trim().parse().ok()?;
            let name = cells.get(1)?.trim().trim_matches('`');
            let meaning = cells.get(2)?.trim();
            Some(match name {
                "" => (code, meaning.to_owned()),
                _ => (code, format!("{meaning} ({name})")),
            })
        })
        .collect();
    let help = exit_code_lines(&text(&cli(&["--help"], &[]).stdout));
    assert!(!help.is_empty());
    assert_eq!(rows, help, "README's exit code table against --help");
}
