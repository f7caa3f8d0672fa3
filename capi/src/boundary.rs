//! The helpers every `extern "C"` function goes through: argument checks,
//! the panic guard, status codes and the thread-local last error (after
//! rustls-ffi's `ffi_panic_boundary!` and libgit2's `git_error_last`).

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use etna_auth::error::{Error, Status};

thread_local! {
    /// The message of the last call on this thread; "" after success.
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    /// The status that goes with it.
    static LAST_STATUS: Cell<c_int> = const { Cell::new(0) };
}

/// Replaces this thread's last status and message.
pub fn set_last(status: c_int, message: &str) {
    // Messages are built without NUL, but a C string must not end early.
    let c = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    // `try_with`: during thread teardown the slots may be gone; then there is
    // nobody left to read them.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = c);
    let _ = LAST_STATUS.try_with(|slot| slot.set(status));
}

/// This thread's last status (etna_last_status()).
pub fn last_status() -> c_int {
    LAST_STATUS.try_with(Cell::get).unwrap_or(0)
}

/// This thread's last-error message; valid until the next call that sets it.
pub fn last_error_ptr() -> *const c_char {
    LAST_ERROR
        .try_with(|slot| slot.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}

const PANIC_MESSAGE: &str =
    "internal error in etna-auth: a panic was caught at the C boundary (please report this bug)";

/// A successful result: the code to return and the last-error text to leave
/// (empty, or the server's Reason with a NEED status).
pub struct Done {
    pub code: c_int,
    pub note: String,
}

impl Done {
    /// ETNA_OK with an empty last error.
    pub fn ok() -> Done {
        Done::code(Status::Ok.code())
    }

    pub fn code(code: c_int) -> Done {
        Done {
            code,
            note: String::new(),
        }
    }
}

/// Runs the body of a status-returning function: a panic becomes
/// `ETNA_ERR_INTERNAL`, an error its status, and the last error is set.
pub fn status_call(body: impl FnOnce() -> Result<Done, Error>) -> c_int {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(done)) => {
            set_last(done.code, &done.note);
            done.code
        }
        Ok(Err(error)) => {
            set_last(error.status().code(), error.message());
            error.status().code()
        }
        Err(_) => {
            set_last(Status::Internal.code(), PANIC_MESSAGE);
            Status::Internal.code()
        }
    }
}

/// Runs the body of a function that returns a value (a pointer, a count): on
/// an error or a panic it returns `fallback` and sets the last error.
pub fn value_call<T>(fallback: T, body: impl FnOnce() -> Result<T, Error>) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => {
            set_last(Status::Ok.code(), "");
            value
        }
        Ok(Err(error)) => {
            set_last(error.status().code(), error.message());
            fallback
        }
        Err(_) => {
            set_last(Status::Internal.code(), PANIC_MESSAGE);
            fallback
        }
    }
}

/// Runs a function that returns nothing and must not touch the last error.
pub fn quiet_call(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

/// A borrowed C string argument as UTF-8.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for `'a`.
pub unsafe fn arg_str<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::argument(format!("{what} is NULL")));
    }
    CStr::from_ptr(ptr)
        .to_str()
        .map_err(|_| Error::argument(format!("{what} is not valid UTF-8")))
}

/// A borrowed handle argument.
///
/// # Safety
/// `ptr` is NULL or a live handle created by this library and not freed.
pub unsafe fn arg_ref<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Error> {
    ptr.as_ref()
        .ok_or_else(|| Error::argument(format!("{what} is NULL")))
}
