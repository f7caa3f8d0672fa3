//! etna_login(): the whole login policy (src/login.rs) behind one C call,
//! with the second factors asked for through a callback.

use std::ffi::{c_char, c_int, c_void, CString};

use zeroize::Zeroizing;

use super::boundary::{arg_ref, arg_str, status_call, Done};
use super::EtnaSession;
use etna_auth::defaults::ANSWER_BUFFER_SIZE;
use etna_auth::error::Error;
use etna_auth::login::Reply;
use etna_auth::session::{Session, Step};

/// Asks the application for a second factor during etna_login().
///
/// `step` is ETNA_NEED_PIN or ETNA_NEED_CODE; `reason` is the server's
/// Reason for asking (UTF-8, e.g. "Expecting security pin" the first time,
/// "Invalid pin" after a wrong one), valid only during the call.
/// etna_acquire_token() also asks with ETNA_NEED_PASSWORD for the password
/// (its `reason` says why a login is needed). The callback
/// writes the factor, NUL-terminated UTF-8, into `answer`, a buffer of the
/// library's of `answer_size` bytes (at least ETNA_ANSWER_BUFFER_SIZE), which
/// the library wipes after use, and returns 0. Any other return value gives
/// the login up.
///
/// The callback runs on the thread that called etna_login(), while that call
/// holds the session. A call that changes this session (etna_begin_auth(),
/// etna_supply_*(), etna_login(), etna_acquire_token(), etna_end_login(),
/// etna_abandon_login(), etna_set_*(), etna_load_token()) made from inside it
/// fails at once with ETNA_ERR_STATE ("etna_end_login: called from inside
/// this session's ask callback: ...") and does nothing; the login goes on
/// when the callback returns. So does such a call from another thread while
/// the callback runs (waiting for it could deadlock a UI thread that the
/// callback needs). To give the login up, return non-zero, or call
/// etna_cancel() (from any thread); the read-only calls (etna_get_token(),
/// etna_token_expires_at(), etna_last_error(), ...) work. etna_free() of this
/// session from inside is refused (the session is not freed). A C++ exception
/// (or a longjmp) must never leave the callback: catch everything inside it
/// and return non-zero.
pub type EtnaAskCallback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        step: c_int,
        reason: *const c_char,
        answer: *mut c_char,
        answer_size: usize,
    ) -> c_int,
>;

/// Logs in from start to end, following the one login policy
/// (docs/login-policy.md): sends the user name and password, then calls
/// `ask` for each second factor the server asks for, as often as it asks (a
/// wrong PIN may be asked for again, with the server's Reason), and sends
/// each answer. `user_data` is passed to `ask` untouched.
///
/// Returns ETNA_OK when the session holds the token (etna_get_token()).
/// Otherwise, once the login has started, it is ended before the call
/// returns, as by etna_end_login() (no credentials stay in the session,
/// nothing more is sent); a call that fails before it sends anything (a
/// NULL or unusable argument, a call refused as the EtnaSession comment
/// says) leaves the session as it was. The status says why:
/// - ETNA_ERR_CANCELLED when `ask` gave up (returned non-zero), when the
///   server asks for a factor and `ask` is NULL (the message names the
///   factor), or when etna_cancel() interrupted the login, also while `ask`
///   was running (the next exchange is then not sent);
/// - ETNA_ERR_ARGUMENT for a NULL or non-UTF-8 argument, or an answer that
///   does not fit in the buffer (no NUL within `answer_size` bytes), is not
///   UTF-8 or holds a control character;
/// - ETNA_ERR_STATE, changing nothing, when called from inside this
///   session's ask or log callback, or while another thread's call on this
///   session waits for its ask callback;
/// - any error of etna_begin_auth() and etna_supply_pin() /
///   etna_supply_code(), such as ETNA_ERR_CREDENTIALS or
///   ETNA_ERR_REJECTED (a factor refused for good, with the server's Reason).
///
/// The strings are copied; the copies, and every answer, are wiped once used.
///
/// Blocks for the whole login: up to the session's timeout for each exchange
/// (one more per factor), plus the time `ask` takes; less when etna_cancel()
/// interrupts it. Also while another call is in flight on the same session.
///
/// # Safety
/// `session` is NULL or a live session; the strings are NULL or
/// NUL-terminated; `ask` is NULL or a function as described above.
#[no_mangle]
pub unsafe extern "C" fn etna_login(
    session: *mut EtnaSession,
    username: *const c_char,
    password: *const c_char,
    ask: EtnaAskCallback,
    user_data: *mut c_void,
) -> c_int {
    policy_call(
        session,
        "etna_login",
        ask,
        user_data,
        || {
            Ok((
                arg_str(username, "username")?,
                arg_str(password, "password")?,
            ))
        },
        |session, (username, password), ask| session.login_with(username, password, ask).map(drop),
    )
}

/// The body of etna_login() and etna_acquire_token() (the C function
/// `name`): `read` reads the arguments, then `login` runs the login policy
/// with the application's callback to answer. A bad argument, like any
/// failure before something is sent, leaves the session as it was.
pub(super) unsafe fn policy_call<A>(
    session: *mut EtnaSession,
    name: &str,
    ask: EtnaAskCallback,
    user_data: *mut c_void,
    read: impl FnOnce() -> Result<A, Error>,
    login: impl FnOnce(&mut Session, A, &mut dyn FnMut(Step, &str) -> Reply) -> Result<(), Error>,
) -> c_int {
    status_call(|| {
        let ours = arg_ref(session, "session")?;
        ours.change(name, |session| {
            let arguments = read()?;
            login(session, arguments, &mut |step, reason| {
                if step != Step::NeedPassword {
                    // Asked for a second factor, the session holds no token
                    // (a login is in progress): the read-only calls say so.
                    // Asked for the password, it still holds what it had.
                    *ours.logged_in() = None;
                }
                // Calls on this session from inside (or from other threads)
                // fail at once while the callback runs.
                let _asking = ours.session.gate().asking();
                ask_application(ask, user_data, step, reason)
            })?;
            Ok(Done::ok())
        })?
    })
}

/// Gives up the login in progress when the server waits for a factor, as
/// etna_login() does when its callback gives up: for applications and
/// wrappers that drive etna_begin_auth() / etna_supply_*() themselves and
/// want the same outcome and the same message. The login is ended as by
/// etna_end_login().
///
/// Returns ETNA_ERR_CANCELLED, with the message naming the factor the server
/// asked for (the text etna_login() gives); ETNA_ERR_STATE, changing
/// nothing, when no login waits for a factor; ETNA_ERR_ARGUMENT for NULL.
///
/// Never uses the network; blocks only while a call is in flight on the same session.
///
/// # Safety
/// `session` is NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn etna_abandon_login(session: *mut EtnaSession) -> c_int {
    status_call(|| {
        let session = arg_ref(session, "session")?;
        Err(session.change("etna_abandon_login", Session::abandon_login)?)
    })
}

/// Calls the application's callback for one factor and reads its answer.
pub(super) fn ask_application(
    ask: EtnaAskCallback,
    user_data: *mut c_void,
    step: Step,
    reason: &str,
) -> Reply {
    let Some(ask) = ask else {
        return Ok(None);
    };
    let noun = step.noun().unwrap_or("answer");
    let reason = CString::new(reason.replace('\0', "\\0")).unwrap_or_default();
    let mut answer = Zeroizing::new(vec![0u8; ANSWER_BUFFER_SIZE]);
    // SAFETY: the caller of etna_login() promises a callback of this type;
    // the buffer and the reason outlive the call.
    let verdict = unsafe {
        ask(
            user_data,
            step.status().code(),
            reason.as_ptr(),
            answer.as_mut_ptr().cast(),
            answer.len(),
        )
    };
    if verdict != 0 {
        return Ok(None);
    }
    let Some(end) = answer.iter().position(|&b| b == 0) else {
        return Err(Error::argument(format!(
            "the {noun} written by the callback does not fit in the answer buffer ({} bytes with the terminating NUL)",
            answer.len()
        )));
    };
    match std::str::from_utf8(&answer[..end]) {
        Ok(factor) => Ok(Some(factor.to_owned())),
        Err(_) => Err(Error::argument(format!(
            "the {noun} written by the callback is not valid UTF-8"
        ))),
    }
}
