//! Starting a child process from a Rust test, with one retry rule for Wine.
//!
//! Under Wine (tests/windows.sh) CreateProcess fails now and then with
//! ERROR_INTERNAL_ERROR (1359): Wine's NtCreateUserProcess reports
//! STATUS_INTERNAL_ERROR when the new process dies while Wine itself starts
//! it, before any of its code runs (seen once in a full CI run under load,
//! never in 30 runs of the same test alone). That says nothing about the
//! program under test, so the start is tried again, at most 3 times, and
//! each retry is said on stderr. Every other error fails the test at once.
#![allow(dead_code)]

use std::io;
use std::process::{Child, Command, Output};
use std::time::Duration;

const WINE_START_FAILED: i32 = 1359; // ERROR_INTERNAL_ERROR
const RETRIES: u32 = 3;

/// `cmd.spawn()`, retried as said above; panics with the program's name.
pub fn spawn(cmd: &mut Command) -> Child {
    start(cmd, Command::spawn)
}

/// `cmd.output()`, retried as said above; panics with the program's name.
pub fn output(cmd: &mut Command) -> Output {
    start(cmd, Command::output)
}

fn start<T>(cmd: &mut Command, how: fn(&mut Command) -> io::Result<T>) -> T {
    let mut retries = 0;
    loop {
        match how(cmd) {
            Ok(started) => return started,
            Err(e)
                if cfg!(windows)
                    && e.raw_os_error() == Some(WINE_START_FAILED)
                    && retries < RETRIES =>
            {
                retries += 1;
                eprintln!(
                    "could not start {:?} ({e}): Wine's start-up failure, retry {retries} of {RETRIES}",
                    cmd.get_program()
                );
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("could not start {:?}: {e}", cmd.get_program()),
        }
    }
}
