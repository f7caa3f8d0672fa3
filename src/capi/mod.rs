//! The C ABI. Each function checks its arguments, runs inside the panic
//! guard of [`boundary`] and maps the result to a status code: nothing else.
//! cbindgen turns the doc comments below into `include/etna_auth.h`.

pub mod boundary;

use std::ffi::{c_char, c_int, CStr};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use self::boundary::{arg_ref, arg_str, last_error_ptr, quiet_call, status_call, value_call, Done};
use crate::error::{Error, Status};
use crate::session::{forget_token, Session, Step};
use crate::transport::Canceller;

/// Success.
pub const ETNA_OK: c_int = 0;
/// The server asks for the security PIN: call etna_supply_pin().
pub const ETNA_NEED_PIN: c_int = 1;
/// The server asks for the verification code sent by email or SMS: call etna_supply_code().
pub const ETNA_NEED_CODE: c_int = 2;
/// A bad argument (NULL, invalid UTF-8, a control character in a header value...). Nothing was sent.
pub const ETNA_ERR_ARGUMENT: c_int = -1;
/// The call is not valid now (e.g. etna_supply_pin() when no PIN was asked for). Nothing was sent.
pub const ETNA_ERR_STATE: c_int = -2;
/// The server does not know the application key ("Application key is not defined or does not exist").
pub const ETNA_ERR_APP_KEY: c_int = -3;
/// Wrong user name or password (401 Failed at step BaseAuthentication).
pub const ETNA_ERR_CREDENTIALS: c_int = -4;
/// The server ended the login: second factor refused for good, "Corrupted ticket", any other Failed answer.
pub const ETNA_ERR_REJECTED: c_int = -5;
/// Network failure: DNS, connect, reset, truncated answer.
pub const ETNA_ERR_NETWORK: c_int = -6;
/// The exchange did not complete within the session's timeout.
pub const ETNA_ERR_TIMEOUT: c_int = -7;
/// An answer that is not understood: not JSON, missing/empty/unsafe Token, unknown State or Step,
/// a redirect (never followed), a body over 64 KiB, or an unexpected HTTP status.
pub const ETNA_ERR_PROTOCOL: c_int = -8;
/// A server error: HTTP 5xx or 429.
pub const ETNA_ERR_SERVER: c_int = -9;
/// A local file error (e.g. the CA file cannot be read).
pub const ETNA_ERR_IO: c_int = -10;
/// A TLS failure: untrusted certificate, host name mismatch, handshake failure, no trust store.
pub const ETNA_ERR_TLS: c_int = -11;
/// etna_load_token(): no cached token valid long enough (none, expired, or no cache file).
pub const ETNA_ERR_NO_TOKEN: c_int = -12;
/// The call was interrupted by etna_cancel() from another thread.
pub const ETNA_ERR_CANCELLED: c_int = -13;
/// An internal error (a bug in etna-auth, caught before it could cross into C).
pub const ETNA_ERR_INTERNAL: c_int = -99;

/// A login session: one server (base URL), one application key, one login at a time.
///
/// Create with etna_new(), release with etna_free(). Calls on one session
/// from several threads are serialized inside; etna_free() must not race
/// with other calls on the same session (as in SQLite and libcurl).
pub struct EtnaSession {
    session: Mutex<Session>,
    /// Outside the lock: etna_cancel() must not wait for the call it interrupts.
    canceller: Arc<Canceller>,
}

impl EtnaSession {
    fn lock(&self) -> MutexGuard<'_, Session> {
        // A panic inside a call (caught at the boundary) leaves the session
        // in a consistent stage: keep using it.
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn step_done(session: &Session, step: Step) -> Done {
    Done {
        code: step.status().code(),
        note: session.reason().to_owned(),
    }
}

/// Creates a session for the API at `base_url`, for example
/// "https://pub-api-et-demo-prod.etnasoft.us/api"; requests go to
/// base_url + "/token". No network is used.
///
/// `base_url` must be https, or plain http to a loopback host (127.0.0.0/8,
/// ::1, or localhost, which then connects to loopback addresses only), with
/// no user info, query or fragment. `app_key` is the company's Et-App-Key.
/// Both strings are copied; the caller keeps ownership of its arguments.
///
/// The default timeout is 30000 ms, and https trusts the operating system's
/// trust store (loaded once per process through rustls-native-certs, which
/// honours SSL_CERT_FILE and SSL_CERT_DIR like OpenSSL). The proxy follows
/// https_proxy / HTTPS_PROXY and NO_PROXY (see etna_set_proxy()).
///
/// Returns a new session owned by the caller (release it with etna_free()),
/// or NULL with a message in etna_last_error() when an argument is NULL,
/// empty, not UTF-8 or not acceptable as above.
///
/// # Safety
/// The arguments are NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn etna_new(
    base_url: *const c_char,
    app_key: *const c_char,
) -> *mut EtnaSession {
    value_call(std::ptr::null_mut(), || {
        let base_url = arg_str(base_url, "base_url")?;
        let app_key = arg_str(app_key, "app_key")?;
        let session = Session::new(base_url, app_key)?;
        Ok(Box::into_raw(Box::new(EtnaSession {
            canceller: session.canceller(),
            session: Mutex::new(session),
        })))
    })
}

/// Sets the deadline of each exchange with the server (host name lookup,
/// connect, TLS handshake, sending, and the whole answer together), in
/// milliseconds. The default is 30000. 0 is ETNA_ERR_ARGUMENT.
///
/// Returns ETNA_OK or ETNA_ERR_ARGUMENT.
///
/// # Safety
/// `session` is NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn etna_set_timeout_ms(session: *mut EtnaSession, ms: u32) -> c_int {
    status_call(|| {
        let session = arg_ref(session, "session")?;
        session
            .lock()
            .set_timeout(Duration::from_millis(ms.into()))?;
        Ok(Done::code(ETNA_OK))
    })
}

/// Trusts exactly the certificates in the PEM file at `pem_path` for https,
/// instead of the operating system's trust store (like curl's CAINFO). The
/// file is read now; the path is not kept.
///
/// Returns ETNA_OK, ETNA_ERR_IO when the file cannot be read,
/// ETNA_ERR_ARGUMENT when it holds no certificate (or a NULL argument).
///
/// # Safety
/// `session` is NULL or a live session; `pem_path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn etna_set_ca_file(
    session: *mut EtnaSession,
    pem_path: *const c_char,
) -> c_int {
    status_call(|| {
        let session = arg_ref(session, "session")?;
        let pem_path = arg_str(pem_path, "pem_path")?;
        session.lock().set_ca_file(Path::new(pem_path))?;
        Ok(Done::code(ETNA_OK))
    })
}

/// Starts (or restarts) a login: POST {base}/token with the Et-App-Key,
/// Username and Password headers. A previous login's token is dropped.
///
/// The strings are sent as UTF-8 bytes (a server that reads header bytes as
/// Latin-1 would see other characters for non-ASCII names). They are copied,
/// and the copies are wiped when the login ends.
///
/// Returns ETNA_OK (logged in: see etna_get_token()), ETNA_NEED_PIN,
/// ETNA_NEED_CODE (etna_last_error() then holds the server's Reason), or an
/// error status. After an error the login is over.
///
/// # Safety
/// `session` is NULL or a live session; the strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn etna_begin_auth(
    session: *mut EtnaSession,
    username: *const c_char,
    password: *const c_char,
) -> c_int {
    status_call(|| {
        let session = arg_ref(session, "session")?;
        let username = arg_str(username, "username")?;
        let password = arg_str(password, "password")?;
        let mut session = session.lock();
        let step = session.begin_auth(username, password)?;
        Ok(step_done(&session, step))
    })
}

/// Sends the security PIN, when the last status was ETNA_NEED_PIN (else
/// ETNA_ERR_STATE, nothing sent). The request repeats the credentials and
/// carries `Authorization: Bearer <interim token>` and `PinCode`.
///
/// Returns ETNA_OK, ETNA_NEED_PIN again when the PIN was wrong and the
/// server allows another try (etna_last_error() holds its Reason, e.g.
/// "Invalid pin"), ETNA_NEED_CODE when a code is needed next, or an error.
/// After ETNA_ERR_NETWORK, ETNA_ERR_TIMEOUT or ETNA_ERR_SERVER the step
/// stands and the call may be repeated; after any other error the login is over.
///
/// # Safety
/// `session` is NULL or a live session; `pin` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn etna_supply_pin(session: *mut EtnaSession, pin: *const c_char) -> c_int {
    status_call(|| {
        let session = arg_ref(session, "session")?;
        let pin = arg_str(pin, "pin")?;
        let mut session = session.lock();
        let step = session.supply_pin(pin)?;
        Ok(step_done(&session, step))
    })
}

/// Sends the verification code (email or SMS), when the last status was
/// ETNA_NEED_CODE (else ETNA_ERR_STATE, nothing sent). Same rules as
/// etna_supply_pin(), with the `VerificationCode` header; a wrong code the
/// server lets the user retry returns ETNA_NEED_CODE again.
///
/// # Safety
/// `session` is NULL or a live session; `code` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn etna_supply_code(session: *mut EtnaSession, code: *const c_char) -> c_int {
    status_call(|| {
        let session = arg_ref(session, "session")?;
        let code = arg_str(code, "code")?;
        let mut session = session.lock();
        let step = session.supply_code(code)?;
        Ok(step_done(&session, step))
    })
}

/// Ends the session's login: abandons one in progress and forgets the
/// token, wiping the credentials, the interim and session tokens, and the
/// buffers of the kept-alive connection, which is closed. The settings
/// (timeout, CA file, proxy) stay; the next etna_begin_auth() starts afresh.
/// For an app that gives up a two-factor login (the user closed the dialog),
/// or logs out but keeps the session. A cached token is not touched (see
/// etna_forget_token()).
///
/// Returns ETNA_OK, also when there was nothing to end.
///
/// # Safety
/// `session` is NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn etna_end_login(session: *mut EtnaSession) -> c_int {
    status_call(|| {
        let session = arg_ref(session, "session")?;
        session.lock().end_login();
        Ok(Done::code(ETNA_OK))
    })
}

/// Copies the session token out, after a successful login (else
/// ETNA_ERR_STATE).
///
/// Returns the token's length n (not counting the NUL). The token and a NUL
/// are written to `buf` only when `buf` is not NULL and `len > n`; a smaller
/// buffer is left untouched. Ask with NULL/0 first, then allocate n + 1.
/// The caller owns `buf`; send the token as `Authorization: Bearer <token>`.
///
/// # Safety
/// `session` is NULL or a live session; `buf` is NULL or writable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn etna_get_token(
    session: *const EtnaSession,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    status_call(|| {
        let session = arg_ref(session, "session")?;
        let session = session.lock();
        let token = session.token().ok_or_else(|| {
            Error::state("there is no token: no login has succeeded on this session")
        })?;
        let n = token.len();
        if !buf.is_null() && len > n {
            std::ptr::copy_nonoverlapping(token.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
        }
        // Tokens are at most 64 KiB (the body cap), so this always fits.
        Ok(Done::code(c_int::try_from(n).unwrap_or(c_int::MAX)))
    })
}

/// Uses the HTTP proxy at `proxy_url` ("http://host:port", optionally
/// "http://user:password@host:port"); https goes through it with CONNECT, so
/// the proxy sees only the TLS stream. NULL turns the proxy off.
///
/// By default a session follows the environment as curl does: https_proxy
/// (or HTTPS_PROXY), unless the host matches NO_PROXY (comma-separated
/// names matching the host and its subdomains, IP addresses, or "*"). An
/// environment value that is not an http:// proxy is ignored. A loopback
/// server (127.0.0.0/8, ::1, localhost) is never reached through a proxy.
///
/// Returns ETNA_OK, or ETNA_ERR_ARGUMENT for a URL that does not parse or
/// whose scheme is not http. The string is copied.
///
/// # Safety
/// `session` is NULL or a live session; `proxy_url` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn etna_set_proxy(
    session: *mut EtnaSession,
    proxy_url: *const c_char,
) -> c_int {
    status_call(|| {
        let session = arg_ref(session, "session")?;
        let proxy_url = if proxy_url.is_null() {
            None
        } else {
            Some(arg_str(proxy_url, "proxy_url")?)
        };
        session.lock().set_proxy(proxy_url)?;
        Ok(Done::code(ETNA_OK))
    })
}

/// Interrupts the call in flight on this session (etna_begin_auth(),
/// etna_supply_pin(), etna_supply_code()) from any thread: that call returns
/// ETNA_ERR_CANCELLED at once, its connection is dropped, and the session
/// keeps the step it had, as after a network error. The only call that does
/// not wait for the session's lock.
///
/// A host name lookup, a TCP connect, a blocked send or receive and the TLS
/// handshake are all interrupted at once (the system resolver, which cannot
/// be interrupted, finishes on a helper thread and its answer is dropped).
///
/// Returns ETNA_OK, also when nothing is in flight (then it does nothing).
///
/// # Safety
/// `session` is NULL or a live session (not being freed).
#[no_mangle]
pub unsafe extern "C" fn etna_cancel(session: *mut EtnaSession) -> c_int {
    status_call(|| {
        let session = arg_ref(session, "session")?;
        session.canceller.cancel();
        Ok(Done::code(ETNA_OK))
    })
}

/// Saves this session's token in the token cache file at `path`: base URL,
/// user name, token and expiry, as JSON. Entries are keyed by base URL
/// (without trailing slash) and user name; other entries are kept, and
/// expired ones dropped.
///
/// The file is created with mode 0600 and replaced atomically (a temporary
/// file in the same directory, fsync, rename); writers lock `<path>.lock`
/// with flock, so concurrent saves from threads or processes lose nothing.
///
/// Returns ETNA_OK; ETNA_ERR_STATE without a token; ETNA_ERR_IO for a file
/// error, or a file that is corrupt, not an etna-auth token cache, or
/// readable or writable by others (then the file is left untouched).
///
/// # Safety
/// `session` is NULL or a live session; `path` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn etna_save_token(
    session: *const EtnaSession,
    path: *const c_char,
) -> c_int {
    status_call(|| {
        let session = arg_ref(session, "session")?;
        let path = arg_str(path, "path")?;
        session.lock().save_token(Path::new(path))?;
        Ok(Done::code(ETNA_OK))
    })
}

/// Loads the cached token of `username` for this session's base URL from the
/// token cache file at `path`, if it stays valid for at least `min_valid_s`
/// more seconds. Then the session holds it as after a login
/// (etna_get_token(), etna_token_expires_at()); a login in progress ends.
///
/// Returns ETNA_OK; ETNA_ERR_NO_TOKEN when there is no such entry, it
/// expires too soon, or the file does not exist; ETNA_ERR_IO when the file
/// cannot be read, is corrupt or not an etna-auth token cache, or is
/// readable or writable by others (the message says why).
///
/// # Safety
/// `session` is NULL or a live session; the strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn etna_load_token(
    session: *mut EtnaSession,
    path: *const c_char,
    username: *const c_char,
    min_valid_s: u32,
) -> c_int {
    status_call(|| {
        let session = arg_ref(session, "session")?;
        let path = arg_str(path, "path")?;
        let username = arg_str(username, "username")?;
        session
            .lock()
            .load_token(Path::new(path), username, min_valid_s)?;
        Ok(Done::code(ETNA_OK))
    })
}

/// Removes the cached token of `username` at `base_url` from the token cache
/// file at `path` (a logout). Returns ETNA_OK, also when there was no such
/// entry or no file; ETNA_ERR_IO as for etna_save_token().
///
/// # Safety
/// The strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn etna_forget_token(
    path: *const c_char,
    base_url: *const c_char,
    username: *const c_char,
) -> c_int {
    status_call(|| {
        let path = arg_str(path, "path")?;
        let base_url = arg_str(base_url, "base_url")?;
        let username = arg_str(username, "username")?;
        forget_token(Path::new(path), base_url, username)?;
        Ok(Done::code(ETNA_OK))
    })
}

/// When the session token expires, in Unix seconds: the login time plus the
/// documented 24-hour lifetime (the server does not send an expiry).
/// Returns 0 when there is no token (or `session` is NULL).
///
/// # Safety
/// `session` is NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn etna_token_expires_at(session: *const EtnaSession) -> i64 {
    value_call(0, || {
        Ok(arg_ref(session, "session")?
            .lock()
            .expires_at()
            .unwrap_or(0))
    })
}

/// The message of the last call on this thread: "" after success, the
/// server's Reason after ETNA_NEED_PIN / ETNA_NEED_CODE, and after an error
/// one line naming the cause (with the HTTP status and the server's Step
/// and Reason where there were any). It never contains a password, PIN,
/// code or token.
///
/// Never NULL. Owned by the library and valid until the next etna_ call on
/// the same thread; copy it to keep it. Every function that returns a status
/// sets it, and so do etna_new(), etna_token_expires_at() and the sandbox
/// functions; etna_version(), etna_status_str() and etna_free() leave it alone.
#[no_mangle]
pub extern "C" fn etna_last_error() -> *const c_char {
    last_error_ptr()
}

/// A static, never NULL description of a status code, starting with the
/// constant's name (e.g. "ETNA_ERR_TIMEOUT: ..."); distinct for every code.
/// Unknown codes get "unknown status code". Do not free it.
#[no_mangle]
pub extern "C" fn etna_status_str(status: c_int) -> *const c_char {
    let text: &'static CStr = match Status::from_code(status) {
        Some(s) => s.describe_c(),
        None => c"unknown status code",
    };
    text.as_ptr()
}

/// The library's version, e.g. "0.1.0". Static; do not free it.
#[no_mangle]
pub extern "C" fn etna_version() -> *const c_char {
    const VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    VERSION.as_ptr()
}

/// Releases a session and wipes the credentials and tokens it held. NULL is
/// fine. Must not race with another call on the same session, and the
/// pointer must not be used afterwards.
///
/// # Safety
/// `session` is NULL or a live session created by etna_new(), freed once.
#[no_mangle]
pub unsafe extern "C" fn etna_free(session: *mut EtnaSession) {
    if session.is_null() {
        return;
    }
    quiet_call(|| drop(Box::from_raw(session)));
}

#[cfg(feature = "sandbox")]
mod sandbox_api;
#[cfg(feature = "sandbox")]
pub use sandbox_api::*;
