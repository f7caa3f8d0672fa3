// The one table of status codes. Every other list is made from it: the
// `Status` enum (src/error.rs), the ETNA_* constants of include/etna_auth.h
// and the strings of etna_status_str() (capi/build.rs); the Python and C#
// bindings check their tables against the header in their test suites.
//
// Columns: variant = code, C constant; the exception class in Python and
// in C# ("" for the statuses that are not errors); the family (the variant
// whose exception class is the parent of this one, "" for the base class
// EtnaError / EtnaException); the CLI's exit code; whether retrying the same
// call can help (transient trouble on the way); a short description (after
// the constant's name in etna_status_str()); documentation in the header.
//
// capi/build.rs also writes every column to bindings/status_codes.json
// (committed, checked fresh like the header), which the Python and C#
// suites, the CLI's tests and the README check against.
// The numbers are part of the ABI and never change; new codes are added.
status_table! {
    Ok = 0, "ETNA_OK",
        python "", csharp "", family "", exit 0, retry false,
        "success",
        "Success.";
    NeedPin = 1, "ETNA_NEED_PIN",
        python "", csharp "", family "", exit 0, retry false,
        "the server asks for the security PIN",
        "The server asks for the security PIN: call etna_supply_pin().";
    NeedCode = 2, "ETNA_NEED_CODE",
        python "", csharp "", family "", exit 0, retry false,
        "the server asks for the verification code sent by email or SMS",
        "The server asks for the verification code sent by email or SMS: call etna_supply_code().";
    NeedPassword = 3, "ETNA_NEED_PASSWORD",
        python "", csharp "", family "", exit 0, retry false,
        "a login is needed and no password was given",
        "The step an EtnaAskCallback is asked for by etna_acquire_token() when a login is needed and no password was given: the callback writes the password.";
    Argument = -1, "ETNA_ERR_ARGUMENT",
        python "InvalidArgumentError", csharp "EtnaArgumentException", family "", exit 1, retry false,
        "invalid argument; nothing was sent",
        "A bad argument (NULL, invalid UTF-8, a control character in a header value...). Nothing was sent.";
    State = -2, "ETNA_ERR_STATE",
        python "StateError", csharp "EtnaStateException", family "", exit 2, retry false,
        "the call is not valid now; nothing was sent",
        "The call is not valid now (e.g. etna_supply_pin() when no PIN was asked for). Nothing was sent.";
    AppKey = -3, "ETNA_ERR_APP_KEY",
        python "AppKeyError", csharp "EtnaAppKeyException", family "", exit 3, retry false,
        "the server does not know the application key",
        "The server does not know the application key (\"Application key is not defined or does not exist\").";
    Credentials = -4, "ETNA_ERR_CREDENTIALS",
        python "CredentialsError", csharp "EtnaCredentialsException", family "", exit 4, retry false,
        "wrong user name or password",
        "Wrong user name or password (401 Failed at step BaseAuthentication).";
    Rejected = -5, "ETNA_ERR_REJECTED",
        python "RejectedError", csharp "EtnaRejectedException", family "", exit 5, retry false,
        "the server ended the login (factor refused)",
        "The server ended the login: second factor refused for good, \"Corrupted ticket\", any other Failed answer.";
    Network = -6, "ETNA_ERR_NETWORK",
        python "NetworkError", csharp "EtnaNetworkException", family "", exit 6, retry true,
        "network failure (DNS, connect, reset, truncated)",
        "Network failure: DNS, connect, reset, truncated answer.";
    Timeout = -7, "ETNA_ERR_TIMEOUT",
        python "EtnaTimeoutError", csharp "EtnaTimeoutException", family "Network", exit 7, retry true,
        "the exchange, or a wait for another login's lock, did not finish within its deadline",
        "The exchange did not complete within the session's timeout, or a wait for another login's or writer's lock file outlasted the lock timeout.";
    Protocol = -8, "ETNA_ERR_PROTOCOL",
        python "ProtocolError", csharp "EtnaProtocolException", family "", exit 8, retry false,
        "the server's answer was not understood",
        "An answer that is not understood: not JSON, missing/empty/unsafe Token, unknown State or Step, a redirect (never followed), a body over 64 KiB, or an unexpected HTTP status.";
    Server = -9, "ETNA_ERR_SERVER",
        python "ServerError", csharp "EtnaServerException", family "", exit 9, retry true,
        "server error (HTTP 5xx or 429)",
        "A server error: HTTP 5xx or 429.";
    Io = -10, "ETNA_ERR_IO",
        python "EtnaIOError", csharp "EtnaIOException", family "", exit 10, retry false,
        "local file or socket error",
        "A local error: a file that cannot be read or written (CA file, token cache), or a port that cannot be bound (sandbox).";
    Tls = -11, "ETNA_ERR_TLS",
        python "TlsError", csharp "EtnaTlsException", family "", exit 11, retry false,
        "TLS failure (untrusted certificate, name mismatch, handshake)",
        "A TLS failure: untrusted certificate, host name mismatch, handshake failure, no trust store.";
    NoToken = -12, "ETNA_ERR_NO_TOKEN",
        python "NoTokenError", csharp "EtnaNoTokenException", family "", exit 12, retry false,
        "no valid token in the store",
        "No stored token valid long enough (none, expired, or no store file): etna_load_token(), and the CLI's token --no-prompt when a login would need input.";
    Cancelled = -13, "ETNA_ERR_CANCELLED",
        python "EtnaCancelledError", csharp "EtnaCancelledException", family "", exit 13, retry false,
        "cancelled",
        "The call was cancelled by etna_cancel(), from another thread or before the call began; nothing more was sent.";
    Internal = -99, "ETNA_ERR_INTERNAL",
        python "InternalError", csharp "EtnaInternalException", family "", exit 99, retry false,
        "internal error in etna-auth (a bug)",
        "An internal error (a bug in etna-auth, caught before it could cross into C).";
}
