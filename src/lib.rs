//! etna-auth: log in to the ETNA Trader / AutoShares brokerage API
//! (`POST {base}/token`), single-factor or with a security PIN and/or a
//! verification code, from Rust or through the C ABI in [`capi`].
//!
//! - [`protocol`]: the pure protocol (headers, answer classification), no I/O.
//! - [`transport`]: one HTTP exchange (ureq, rustls, deadline, body cap).
//! - [`session`]: the login state machine.
//! - [`proxy`]: which proxy a session uses (pure); [`token_cache`]: the token cache file.
//! - [`capi`]: the `extern "C"` functions behind `include/etna_auth.h`.
//! - `sandbox` (feature `sandbox`, default): an emulator of the endpoint.
//! - [`heap`]: the global allocator that wipes every block it frees
//!   (feature `wipe-heap`, default).

pub mod error;
pub mod log;
pub mod protocol;
pub mod proxy;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod secret;
pub mod session;
pub mod token_cache;
pub mod transport;

pub use error::{Error, Status};
pub use session::{Session, Step};
