//! Log in to the ETNA Trader / AutoShares brokerage API: `POST {base}/token`
//! with the user's name and password, then the security PIN and/or the
//! verification code (email or SMS) when the server asks for them. The
//! result is the session token, sent as `Authorization: Bearer <token>`.
//!
//! The client is blocking: each step is one HTTP exchange over a kept-alive
//! connection (rustls for `https`), bounded by the session's timeout and
//! interruptible from another thread ([`Session::canceller`]). Secrets are
//! wiped from memory when they are no longer needed and never appear in an
//! error message, a `Debug` output or the [`log`].
//!
//! ```no_run
//! use etna_auth::{Session, Step};
//!
//! # fn main() -> Result<(), etna_auth::Error> {
//! let mut session = Session::new("https://pub-api-et-demo-prod.etnasoft.us/api", "my-app-key")?;
//! // One call for the whole login; the closure is asked for each second factor.
//! let token = session.login("alice", "alice-pass", |step, reason| {
//!     eprintln!("{reason}");
//!     Some(if step == Step::NeedPin { "1234" } else { "123456" }.to_owned())
//! })?;
//! println!("Authorization: Bearer {token}");
//! # Ok(())
//! # }
//! ```
//!
//! Or step by step: [`Session::begin_auth`], then [`Session::supply_pin`] /
//! [`Session::supply_code`] while the [`Step`] asks for them, then
//! [`Session::token`].
//!
//! Modules:
//! - [`session`]: the login state machine ([`Session`]).
//! - [`error`]: [`Error`] and the [`Status`] codes (the C ABI's numbers).
//! - [`log`]: a session's debug log, with every secret hidden.
//! - [`token_cache`]: the token cache file; [`proxy`]: which proxy is used.
//! - [`store`]: where [`Session::acquire_token`] ([`acquire`]) keeps tokens:
//!   token files and the OS credential store.
//! - [`protocol`]: the pure protocol (request headers, answer
//!   classification), no I/O; [`transport`]: one HTTP exchange.
//! - `sandbox` (feature `sandbox`): an emulator of the token endpoint on
//!   127.0.0.1 for tests and demos, `sandbox::Sandbox`.
//!
//! The C library (`libetna_auth`, `include/etna_auth.h`), the `etna-auth`
//! tool and the Python and C# bindings are built on this crate, in the same
//! repository.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod acquire;
pub mod defaults;
pub mod error;
pub mod log;
pub mod login;
pub mod protocol;
pub mod proxy;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
pub mod secret;
pub mod session;
pub mod store;
pub mod token_cache;
pub mod transport;

pub use error::{Error, Status};
pub use session::{Session, Step};
