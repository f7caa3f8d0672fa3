//! The sandbox: an emulator of the ETNA token endpoint (`POST {base}/token`)
//! on 127.0.0.1, so that tests, demos and users' own integration tests run
//! offline and never reach the real service.
//!
//! ```no_run
//! use etna_auth::sandbox::{Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::start(SandboxConfig::default())?;
//! let mut session = etna_auth::Session::new(sandbox.url(), sandbox.app_key())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A file per job:
//!
//! - `config.rs`: the configuration ([`SandboxConfig`], [`Account`], the
//!   JSON format) and its checks;
//! - `decide.rs`: the protocol. `decide` answers one parsed request from the
//!   configuration and the open logins; it does no I/O, so every rule is
//!   unit-tested on its own (`decide/tests.rs`);
//! - `factor.rs`: the second factors and their names on the wire;
//! - `tickets.rs`: the open logins, filed under their interim tokens, and
//!   the source of fresh tokens;
//! - `server.rs`: [`Sandbox`], a `std::net` accept loop with one thread per
//!   connection, and its prompt stop;
//! - `connection.rs`: HTTP/1.1 on one connection (keep-alive, requests
//!   parsed by the `httparse` crate, limits on every read), and what the
//!   connections share.
//!
//! The imports go one way: server.rs -> connection.rs -> decide.rs ->
//! tickets.rs -> factor.rs (decide.rs uses factor.rs too), and config.rs
//! is used by all; no two files import each other.
//!
//! From the rest of the crate it uses one function: on Windows, where
//! shutting a socket down is not known to wake a thread blocked in `recv`,
//! stopping calls `crate::transport::cancel_io` on each open connection.

mod config;
mod connection;
mod decide;
mod factor;
mod server;
mod tickets;

pub use config::{Account, SandboxConfig};
pub use server::Sandbox;
