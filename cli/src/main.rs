//! `etna-auth`: log in from a terminal or a script, run the sandbox, or
//! watch a demo of the protocol against it.
//!
//! One job per file: `args` (the command line), `exit` (exit codes and
//! their table), `connect` (a session from the flags), `login` (login and
//! logout), `token` (a token from the store or a login), `status` (the
//! stored tokens) with `expiry` (their expiry for people), `prompt`
//! (questions on the terminal), `console` (its echo), `progress` (the
//! waiting line), `interrupt` (Ctrl-C), `nodump` (no core dumps with
//! secrets in them), `sandbox` and `demo`. `args` depends on `exit`, never
//! the other way.

use std::process::ExitCode;

// The C library's wiping allocator (capi/heap): the tool handles
// passwords, PINs, codes and tokens too.
#[cfg(feature = "wipe-heap")]
#[global_allocator]
static HEAP: etna_auth_heap::WipingAllocator = etna_auth_heap::WipingAllocator::new();

mod args;
mod connect;
mod console;
mod demo;
mod exit;
mod expiry;
mod interrupt;
mod login;
mod nodump;
mod progress;
mod prompt;
mod sandbox;
mod status;
mod token;

use args::Command;

fn main() -> ExitCode {
    let command = match args::parse() {
        Ok(command) => command,
        Err(code) => return code,
    };
    // Passwords, factors and tokens pass through this process.
    nodump::forbid_core_dumps();
    let result = match command {
        Command::Login(args) => login::login(args),
        Command::Token(args) => token::token(args),
        Command::Status(args) => status::status(args),
        Command::Logout(args) => login::logout(args),
        Command::Sandbox(args) => sandbox::serve(args),
        Command::Demo => demo::run(),
    };
    exit::report(result, args::help_for_args)
}
