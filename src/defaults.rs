// Defaults that the C header states as macros, in one place: the crate uses
// them (src/transport) and capi/build.rs includes this file to write
// ETNA_DEFAULT_TIMEOUT_MS into include/etna_auth.h, which the bindings read.

/// The deadline of each exchange, in milliseconds, until the caller sets one.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;

/// The smallest answer buffer an `EtnaAskCallback` is given, in bytes.
pub const ANSWER_BUFFER_SIZE: usize = 256;
