//! `etna-auth`: log in from a terminal or a script, run the sandbox, or
//! watch a demo of the protocol against it.
//!
//! One job per file: `args` (the command line), `exit` (exit codes and
//! their table), `login` (login and logout), `prompt` (questions on the
//! terminal), `console` (its echo), `progress` (the waiting line),
//! `interrupt` (Ctrl-C), `sandbox` and `demo`.

use std::process::ExitCode;

// The C library's wiping allocator (capi/heap): the tool handles
// passwords, PINs, codes and tokens too.
#[cfg(feature = "wipe-heap")]
#[global_allocator]
static HEAP: etna_auth_heap::WipingAllocator = etna_auth_heap::WipingAllocator::new();

mod args;
mod console;
mod demo;
mod exit;
mod interrupt;
mod login;
mod progress;
mod prompt;
mod sandbox;

use args::Command;

fn main() -> ExitCode {
    let command = match args::parse() {
        Ok(command) => command,
        Err(code) => return code,
    };
    exit::report(match command {
        Command::Login(args) => login::login(args),
        Command::Logout(args) => login::logout(args),
        Command::Sandbox(args) => sandbox::serve(args),
        Command::Demo => demo::run(),
    })
}
