// The one table of status codes. Every other list is made from it: the
// `Status` enum (src/error.rs), the ETNA_* constants of include/etna_auth.h
// and the strings of etna_status_str() (capi/build.rs); the Python and C#
// bindings check their tables against the header in their test suites.
//
// Columns: variant = code, C constant, short description (after the
// constant's name in etna_status_str()), documentation in the header.
// The numbers are part of the ABI and never change; new codes are added.
status_table! {
    Ok = 0, "ETNA_OK",
        "success",
        "Success.";
    NeedPin = 1, "ETNA_NEED_PIN",
        "the server asks for the security PIN",
        "The server asks for the security PIN: call etna_supply_pin().";
    NeedCode = 2, "ETNA_NEED_CODE",
        "the server asks for the verification code sent by email or SMS",
        "The server asks for the verification code sent by email or SMS: call etna_supply_code().";
    Argument = -1, "ETNA_ERR_ARGUMENT",
        "invalid argument; nothing was sent",
        "A bad argument (NULL, invalid UTF-8, a control character in a header value...). Nothing was sent.";
    State = -2, "ETNA_ERR_STATE",
        "the call is not valid now; nothing was sent",
        "The call is not valid now (e.g. etna_supply_pin() when no PIN was asked for). Nothing was sent.";
    AppKey = -3, "ETNA_ERR_APP_KEY",
        "the server does not know the application key",
        "The server does not know the application key (\"Application key is not defined or does not exist\").";
    Credentials = -4, "ETNA_ERR_CREDENTIALS",
        "wrong user name or password",
        "Wrong user name or password (401 Failed at step BaseAuthentication).";
    Rejected = -5, "ETNA_ERR_REJECTED",
        "the server ended the login (factor refused)",
        "The server ended the login: second factor refused for good, \"Corrupted ticket\", any other Failed answer.";
    Network = -6, "ETNA_ERR_NETWORK",
        "network failure (DNS, connect, reset, truncated)",
        "Network failure: DNS, connect, reset, truncated answer.";
    Timeout = -7, "ETNA_ERR_TIMEOUT",
        "the exchange did not finish within the deadline",
        "The exchange did not complete within the session's timeout.";
    Protocol = -8, "ETNA_ERR_PROTOCOL",
        "the server's answer was not understood",
        "An answer that is not understood: not JSON, missing/empty/unsafe Token, unknown State or Step, a redirect (never followed), a body over 64 KiB, or an unexpected HTTP status.";
    Server = -9, "ETNA_ERR_SERVER",
        "server error (HTTP 5xx or 429)",
        "A server error: HTTP 5xx or 429.";
    Io = -10, "ETNA_ERR_IO",
        "local file or socket error",
        "A local error: a file that cannot be read or written (CA file, token cache), or a port that cannot be bound (sandbox).";
    Tls = -11, "ETNA_ERR_TLS",
        "TLS failure (untrusted certificate, name mismatch, handshake)",
        "A TLS failure: untrusted certificate, host name mismatch, handshake failure, no trust store.";
    NoToken = -12, "ETNA_ERR_NO_TOKEN",
        "no valid token in the cache",
        "etna_load_token(): no cached token valid long enough (none, expired, or no cache file).";
    Cancelled = -13, "ETNA_ERR_CANCELLED",
        "cancelled",
        "The call was cancelled by etna_cancel(), from another thread or before the call began; nothing more was sent.";
    Internal = -99, "ETNA_ERR_INTERNAL",
        "internal error in etna-auth (a bug)",
        "An internal error (a bug in etna-auth, caught before it could cross into C).";
}
