//! etna_acquire_token(): a valid token from the store or one login
//! (src/acquire.rs), how long it waits for a lock, and the default store's
//! place.

use std::ffi::{c_char, c_int, c_void};
use std::time::Duration;

use super::boundary::{arg_ref, arg_str, status_call, Done};
use super::login_api::{policy_call, EtnaAskCallback};
use super::EtnaSession;
use etna_auth::store::Store;

/// Gives the session a token valid for at least `min_valid_s` more seconds,
/// the way a trading application wants it: the stored token of `username`
/// for the session's base URL when it stays valid that long (nothing is
/// sent; `password` and `ask` are not used), else a login by etna_login()'s
/// policy, whose token is then stored. Afterwards etna_get_token() and
/// etna_token_expires_at() give the token.
///
/// `store` names where tokens are kept:
/// - NULL: the default store: the environment variable ETNA_AUTH_STORE when
///   set (a store as below), else the token file
///   $XDG_CONFIG_HOME/etna-auth/tokens.json (else
///   ~/.config/etna-auth/tokens.json) on Linux,
///   %LOCALAPPDATA%\etna-auth\tokens.json on Windows (the local, not the
///   roaming, application data: tokens stay on this machine),
///   ~/Library/Application Support/etna-auth/tokens.json on macOS
///   (etna_default_store() gives it);
/// - "keyring", in any case ("Keyring", "KEYRING"): the OS credential
///   store: the Secret Service on Linux (GNOME Keyring, KWallet), the
///   Credential Manager on Windows, the Keychain on macOS. When none is
///   reachable the call fails with ETNA_ERR_IO and a message naming the way
///   out (a token file); it never falls back to a file on its own;
/// - a path of a token file, in etna_save_token()'s format (files written
///   by etna_save_token() are read as they are). It must look like a path:
///   a folder ("./tokens", "/home/me/tokens") or a dot ("tokens.json") in
///   it. Any other word ("keyrnig") is refused with ETNA_ERR_ARGUMENT
///   rather than becoming a plaintext token file of that name.
///
/// The same reading holds for etna_forget_token(), ETNA_AUTH_STORE, the
/// CLI's --store and the bindings.
///
/// Token files are created 0600 (an owner-only access list on Windows) and
/// their missing folders 0700 (owner-only). A token file that is not a
/// regular file (a FIFO, a device), holds more than 1 MiB, or lies in a
/// folder that other users can write (group- or world-writable without the
/// sticky bit, unless the group is your own private group; or owned by
/// another user than you or root) is refused with
/// ETNA_ERR_IO and a message naming it and why; so is a lock file that is a
/// symbolic link. A stored token whose expiry no token can have (more than
/// 24 hours ahead) is never handed out. A store keys its tokens by base
/// URL and user name and never holds a password.
///
/// With `password` NULL, the password is asked through `ask` with the step
/// ETNA_NEED_PASSWORD (its `reason` says why a login is needed), and only
/// when a login is needed: with a valid stored token, no password is needed
/// at all. `ask` is then called for each second factor as etna_login()
/// calls it. With neither a password nor `ask`, a needed login gives up
/// with ETNA_ERR_CANCELLED before anything is sent; so does an `ask` that
/// returns non-zero. A refused password is returned at once
/// (ETNA_ERR_CREDENTIALS), never tried again. `user_data` is passed to
/// `ask` untouched.
///
/// One login at a time per store, base URL and user name, across the
/// user's threads and processes: while one caller logs in, the others wait
/// in this call (an OS file lock on a lock file beside the token file, in
/// the default store's folder for "keyring"), then take the token it
/// stored, so one login sends one SMS code. When the caller that logs in
/// fails, gives up or dies, the lock is released (also by the OS, for a
/// process that ends) and the next waiter logs in itself. etna_cancel() on
/// a waiting session ends its wait at once with ETNA_ERR_CANCELLED; the
/// others go on waiting. A wait lasts at most the session's lock timeout
/// (etna_set_lock_timeout_ms(), ETNA_DEFAULT_LOCK_TIMEOUT_MS = 2 minutes
/// until set), then the call fails with ETNA_ERR_TIMEOUT and a message
/// naming the lock file and the process that holds it (its pid, and
/// whether it waits for its user's answer). The same holds for the token
/// file's write lock while the token is saved.
///
/// Returns ETNA_OK when the session holds the token. Otherwise a login that
/// started is ended as by etna_end_login() (no credentials stay, nothing
/// more is sent), while a call that fails before it sends anything (a bad
/// argument, the store, a cancel, no password) leaves the session as it
/// was, the token it held included. The status says why: ETNA_ERR_ARGUMENT
/// (NULL session or username, invalid UTF-8, an empty store or one that is
/// neither "keyring" nor a path, `min_valid_s` over 86400, a bad answer
/// from `ask`), ETNA_ERR_CANCELLED, ETNA_ERR_TIMEOUT (a lock held longer
/// than the lock timeout), ETNA_ERR_IO (a store that cannot be read
/// or written, or is readable by others), ETNA_ERR_STATE (a call refused as
/// etna_login() says), or any error of etna_login().
/// One exception: when the login succeeded but storing its token failed,
/// the call returns that ETNA_ERR_IO and the session keeps the token.
///
/// The strings are copied; the copies, and every answer, are wiped once
/// used. The `ask` rules of EtnaAskCallback hold (it runs on this thread,
/// while this call holds the session; calls that change the session fail
/// from inside it).
///
/// Blocks: for the store (file reads, or a D-Bus / system call to the
/// credential store), while another caller logs in for the same user (as
/// long as that login takes, at most the lock timeout), and for a login as
/// etna_login() does. Also
/// while another call is in flight on the same session.
///
/// # Safety
/// `session` is NULL or a live session; the strings are NULL or
/// NUL-terminated; `ask` is NULL or a function as EtnaAskCallback says.
#[no_mangle]
pub unsafe extern "C" fn etna_acquire_token(
    session: *mut EtnaSession,
    store: *const c_char,
    username: *const c_char,
    password: *const c_char,
    min_valid_s: u32,
    ask: EtnaAskCallback,
    user_data: *mut c_void,
) -> c_int {
    policy_call(
        session,
        "etna_acquire_token",
        ask,
        user_data,
        || {
            let store = if store.is_null() {
                None
            } else {
                Some(arg_str(store, "store")?)
            };
            let username = arg_str(username, "username")?;
            let password = if password.is_null() {
                None
            } else {
                Some(arg_str(password, "password")?)
            };
            Ok((Store::open(store)?, username, password))
        },
        |session, (store, username, password), ask| {
            session
                .acquire_token(&store, username, password, min_valid_s, ask)
                .map(drop)
        },
    )
}

/// Sets how long etna_acquire_token() on this session waits for a lock file
/// that another login or token file writer holds, in milliseconds: then it
/// gives up with ETNA_ERR_TIMEOUT (the message names the lock file and its
/// holder). ETNA_DEFAULT_LOCK_TIMEOUT_MS (120000, two minutes) until set;
/// 0: no wait at all (ETNA_ERR_TIMEOUT at once while another holds it).
/// etna_cancel() ends a wait at once, whatever the timeout.
///
/// Returns ETNA_OK; ETNA_ERR_ARGUMENT for a NULL session; ETNA_ERR_STATE
/// when called from inside this session's callbacks.
///
/// Blocks only while a call is in flight on the same session (it waits for it).
///
/// # Safety
/// `session` is NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn etna_set_lock_timeout_ms(session: *mut EtnaSession, ms: u32) -> c_int {
    status_call(|| {
        let session = arg_ref(session, "session")?;
        session
            .lock("etna_set_lock_timeout_ms")?
            .set_lock_timeout(Duration::from_millis(ms.into()));
        Ok(Done::ok())
    })
}

/// The default store, as etna_acquire_token() uses it for a NULL `store`:
/// the value of ETNA_AUTH_STORE when set ("keyring" or a path), else the
/// default token file's path (e.g. "/home/me/.config/etna-auth/tokens.json").
/// Nothing is created.
///
/// Returns its length n in bytes (not counting the NUL); the string and a
/// NUL are written to `buf` only when `buf` is not NULL and `len > n` (ask
/// with NULL/0 first, then allocate n + 1). ETNA_ERR_IO when there is no
/// default place (HOME, or LOCALAPPDATA on Windows, is not set).
///
/// Never blocks.
///
/// # Safety
/// `buf` is NULL or writable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn etna_default_store(buf: *mut c_char, len: usize) -> c_int {
    status_call(|| {
        let spec = match Store::default_store()? {
            Store::File(path) => path.to_string_lossy().into_owned(),
            Store::Keyring => etna_auth::store::KEYRING.to_owned(),
        };
        let n = spec.len();
        if !buf.is_null() && len > n {
            std::ptr::copy_nonoverlapping(spec.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
        }
        Ok(Done::code(c_int::try_from(n).unwrap_or(c_int::MAX)))
    })
}
