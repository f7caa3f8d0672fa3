//! The embedded sandbox in the C ABI (`etna_sandbox_*`). Always built: this
//! crate turns on the core's `sandbox` feature (see Cargo.toml), since users'
//! own integration tests need it.

use std::ffi::{c_char, CString};

use super::boundary::{arg_ref, arg_str, quiet_call, value_call};
use etna_auth::error::{Error, Status};
use etna_auth::sandbox::{Sandbox, SandboxConfig};

/// A running emulator of the ETNA token endpoint on 127.0.0.1, for tests and
/// demos that must not reach the real service.
pub struct EtnaSandbox {
    sandbox: Sandbox,
    url: CString,
    app_key: CString,
}

/// Starts a sandbox on 127.0.0.1, serving in background threads.
///
/// `config_json` is NULL for the default accounts, or a JSON object whose
/// keys are all optional (unknown keys are an error):
/// {"app_key": "...", "port": 0, "max_attempts": 3,
///  "accounts": [{"username": "...", "password": "...", "pin": "1234", "code": "123456"}]}.
/// An account with "pin" is asked for it (Step SecutityPin), one with "code"
/// for it (Step VerificationCode), one with both for the PIN, then the code.
/// A wrong factor is answered 202 "Invalid pin" / "Invalid verification code"
/// until max_attempts wrong answers, then 401 Failed.
///
/// Default: the app key, max_attempts and accounts listed under "The
/// sandbox's defaults" at the top of this header (alice: single factor; bob:
/// PIN; carol: code; dave: PIN then code; jürgen: non-ASCII UTF-8).
///
/// Returns a sandbox owned by the caller (stop it with etna_sandbox_stop()),
/// or NULL with a message in etna_last_error() for a bad config or a port
/// that cannot be bound.
///
/// Blocks while the port is bound and the server threads start (milliseconds).
///
/// # Safety
/// `config_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn etna_sandbox_start(config_json: *const c_char) -> *mut EtnaSandbox {
    value_call(std::ptr::null_mut(), || {
        let config = if config_json.is_null() {
            SandboxConfig::default()
        } else {
            let json = arg_str(config_json, "config_json")?;
            SandboxConfig::from_json(json)
                .map_err(|why| Error::argument(format!("invalid sandbox config: {why}")))?
        };
        let sandbox = Sandbox::start(config)
            .map_err(|e| Error::new(Status::Io, format!("cannot start the sandbox: {e}")))?;
        let url =
            CString::new(sandbox.url()).map_err(|_| Error::argument("sandbox URL has a NUL"))?;
        let app_key = CString::new(sandbox.app_key())
            .map_err(|_| Error::argument("the sandbox app key has a NUL"))?;
        Ok(Box::into_raw(Box::new(EtnaSandbox {
            sandbox,
            url,
            app_key,
        })))
    })
}

/// The sandbox's base URL (e.g. "http://127.0.0.1:40123/api"), to give to
/// etna_new(). Owned by the sandbox and valid until etna_sandbox_stop().
/// NULL when `sandbox` is NULL.
///
/// Never blocks.
///
/// # Safety
/// `sandbox` is NULL or a live sandbox.
#[no_mangle]
pub unsafe extern "C" fn etna_sandbox_url(sandbox: *const EtnaSandbox) -> *const c_char {
    value_call(std::ptr::null(), || {
        Ok(arg_ref(sandbox, "sandbox")?.url.as_ptr())
    })
}

/// The application key the sandbox accepts. Owned by the sandbox and valid
/// until etna_sandbox_stop(). NULL when `sandbox` is NULL.
///
/// Never blocks.
///
/// # Safety
/// `sandbox` is NULL or a live sandbox.
#[no_mangle]
pub unsafe extern "C" fn etna_sandbox_app_key(sandbox: *const EtnaSandbox) -> *const c_char {
    value_call(std::ptr::null(), || {
        Ok(arg_ref(sandbox, "sandbox")?.app_key.as_ptr())
    })
}

/// How many requests the sandbox has answered so far (0 when `sandbox` is NULL).
///
/// Never blocks.
///
/// # Safety
/// `sandbox` is NULL or a live sandbox.
#[no_mangle]
pub unsafe extern "C" fn etna_sandbox_request_count(sandbox: *const EtnaSandbox) -> u64 {
    value_call(0, || {
        Ok(arg_ref(sandbox, "sandbox")?.sandbox.request_count())
    })
}

/// How many TCP connections the sandbox has accepted so far (0 when
/// `sandbox` is NULL). With etna_sandbox_request_count() it shows that a
/// session keeps one connection across the steps of a login.
///
/// Never blocks.
///
/// # Safety
/// `sandbox` is NULL or a live sandbox.
#[no_mangle]
pub unsafe extern "C" fn etna_sandbox_connection_count(sandbox: *const EtnaSandbox) -> u64 {
    value_call(0, || {
        Ok(arg_ref(sandbox, "sandbox")?.sandbox.connection_count())
    })
}

/// Stops the sandbox: closes its listener and open connections, and frees
/// it. NULL is fine. The pointer and the strings it gave out must not be
/// used afterwards.
///
/// Blocks until the sandbox's threads have ended: it closes the open connections first, so this is prompt (milliseconds).
///
/// # Safety
/// `sandbox` is NULL or a live sandbox created by etna_sandbox_start(), stopped once.
#[no_mangle]
pub unsafe extern "C" fn etna_sandbox_stop(sandbox: *mut EtnaSandbox) {
    if sandbox.is_null() {
        return;
    }
    quiet_call(|| Box::from_raw(sandbox).sandbox.stop());
}
