// Defaults that the C header states as macros, in one place: the crate uses
// them (src/transport) and capi/build.rs includes this file to write
// ETNA_DEFAULT_TIMEOUT_MS into include/etna_auth.h, which the bindings read.

/// The deadline of each exchange, in milliseconds, until the caller sets one.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;

/// How long a session waits for a lock file that another etna-auth holds
/// (another login of the same user, or a writer of the token file), in
/// milliseconds, until the caller sets another wait: long enough for a
/// login with an SMS code, short enough that a process stopped at its
/// prompt does not block everyone for good.
pub const DEFAULT_LOCK_TIMEOUT_MS: u32 = 120_000;

/// The smallest answer buffer an `EtnaAskCallback` is given, in bytes.
pub const ANSWER_BUFFER_SIZE: usize = 256;

/// The sandbox's application key unless its config gives another.
pub const SANDBOX_APP_KEY: &str = "sandbox-app-key";

/// How many wrong factors the sandbox answers with "Invalid ..." before it
/// ends the login, unless its config says otherwise.
pub const SANDBOX_MAX_ATTEMPTS: u32 = 3;

/// The sandbox's default accounts: (user name, password, PIN, code). The
/// header lists them (capi/build.rs), and tests/facts.py checks the README's
/// table against the header.
pub const SANDBOX_ACCOUNTS: &[(&str, &str, Option<&str>, Option<&str>)] = &[
    ("alice", "alice-pass", None, None),
    ("bob", "bob-pass", Some("1234"), None),
    ("carol", "carol-pass", None, Some("123456")),
    ("dave", "dave-pass", Some("4321"), Some("654321")),
    // Non-ASCII UTF-8 in the user name and the password.
    ("jürgen", "pässwörd-ß", None, None),
];
