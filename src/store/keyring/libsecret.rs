//! The Secret Service (GNOME Keyring, KWallet) through the system's
//! libsecret (`libsecret-1.so.0`), loaded with `dlopen` when the keyring
//! store is first used, as Chromium does. Not linked: the library loads and
//! logs in on a machine without D-Bus or libsecret, and only this store then
//! fails, saying what is missing. A pure-Rust D-Bus client with its async
//! executor (the `keyring` crate's zbus backend) doubled the library's size
//! for a call made once a day (BENCHMARKS.md, issue 29).
//!
//! libsecret's "simple password" calls, with the attributes `service` and
//! `username`: entries written by earlier versions through the `keyring`
//! crate (which adds a `target` attribute and no schema name) are found and
//! replaced too.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::OnceLock;

use zeroize::Zeroizing;

use super::unreachable;
use crate::error::Error;

/// This store, in messages.
pub(super) const NAME: &str = "the Secret Service: GNOME Keyring, KWallet";

/// What is loaded, by its soname (the package: libsecret-1-0 on Debian and
/// Ubuntu, libsecret on Fedora, Arch, Alpine and the BSDs).
const LIBRARY: &CStr = c"libsecret-1.so.0";

/// libsecret's `SecretSchemaAttribute`.
#[repr(C)]
#[derive(Clone, Copy)]
struct SchemaAttribute {
    name: *const c_char,
    /// `SECRET_SCHEMA_ATTRIBUTE_STRING`: 0.
    kind: c_int,
}

/// libsecret's `SecretSchema` (libsecret/secret-schema.h, stable since 0.7).
#[repr(C)]
struct Schema {
    name: *const c_char,
    flags: c_int,
    attributes: [SchemaAttribute; 32],
    reserved: c_int,
    reserved_pointers: [*mut c_void; 7],
}

// Only pointers to static C strings, never written.
unsafe impl Sync for Schema {}

/// `SECRET_SCHEMA_DONT_MATCH_NAME`: searches by the attributes alone, so
/// entries without this schema's name (the `keyring` crate's) match too.
const DONT_MATCH_NAME: c_int = 1 << 1;

const fn schema() -> Schema {
    let end = SchemaAttribute {
        name: std::ptr::null(),
        kind: 0,
    };
    let mut attributes = [end; 32];
    attributes[0] = SchemaAttribute {
        name: c"service".as_ptr(),
        kind: 0,
    };
    attributes[1] = SchemaAttribute {
        name: c"username".as_ptr(),
        kind: 0,
    };
    Schema {
        name: c"org.etna-auth.Token".as_ptr(),
        flags: DONT_MATCH_NAME,
        attributes,
        reserved: 0,
        reserved_pointers: [std::ptr::null_mut(); 7],
    }
}

static SCHEMA: Schema = schema();

/// GLib's `GError`.
#[repr(C)]
struct GError {
    domain: u32,
    code: c_int,
    message: *const c_char,
}

// The calls end with the attributes as name/value pairs and a NULL.
type StoreFn = unsafe extern "C" fn(
    *const Schema,
    *const c_char, // collection: NULL for the default one
    *const c_char, // label
    *const c_char, // password
    *mut c_void,   // cancellable
    *mut *mut GError,
    ...
) -> c_int;
type LookupFn =
    unsafe extern "C" fn(*const Schema, *mut c_void, *mut *mut GError, ...) -> *mut c_char;
type ClearFn = unsafe extern "C" fn(*const Schema, *mut c_void, *mut *mut GError, ...) -> c_int;
type FreeFn = unsafe extern "C" fn(*mut c_char);
type ErrorFreeFn = unsafe extern "C" fn(*mut GError);

/// The functions used, from the loaded library (and GLib, its dependency).
struct Api {
    store: StoreFn,
    lookup: LookupFn,
    clear: ClearFn,
    /// `secret_password_free`: wipes the password, then frees it.
    free: FreeFn,
    error_free: ErrorFreeFn,
}

/// Loaded once; never unloaded (GLib's type system does not allow it). A
/// failure is kept too: the next call says the same without retrying.
fn api() -> Result<&'static Api, Error> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(|| load(LIBRARY))
        .as_ref()
        .map_err(|missing| {
            // A static executable (the musl CLI) can load no library at all.
            let needs = if cfg!(target_feature = "crt-static") {
                "this static build of etna-auth cannot load libraries; the dynamically linked one can"
            } else {
                "it needs libsecret (libsecret-1-0 on Debian and Ubuntu) and a Secret Service"
            };
            unreachable(format_args!("{missing}: {needs}"))
        })
}

/// What cannot be loaded, in words, as the error of [`api`].
fn load(library: &CStr) -> Result<Api, String> {
    let name = library.to_string_lossy();
    // SAFETY: a NUL-terminated name; libsecret's initialisers only register
    // GLib types. A static (musl) executable gets NULL and a message.
    let handle = unsafe { libc::dlopen(library.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        return Err(format!("{name} could not be loaded ({})", dl_error()));
    }
    let symbol = |symbol: &CStr| {
        // SAFETY: a live handle and a NUL-terminated name.
        let address = unsafe { libc::dlsym(handle, symbol.as_ptr()) };
        if address.is_null() {
            Err(format!(
                "{name} has no {} ({})",
                symbol.to_string_lossy(),
                dl_error()
            ))
        } else {
            Ok(address)
        }
    };
    // SAFETY: each address is the function of that name, whose C
    // declaration (libsecret/secret-password.h, glib/gerror.h) the type
    // spells.
    unsafe {
        Ok(Api {
            store: std::mem::transmute::<*mut c_void, StoreFn>(symbol(
                c"secret_password_store_sync",
            )?),
            lookup: std::mem::transmute::<*mut c_void, LookupFn>(symbol(
                c"secret_password_lookup_sync",
            )?),
            clear: std::mem::transmute::<*mut c_void, ClearFn>(symbol(
                c"secret_password_clear_sync",
            )?),
            free: std::mem::transmute::<*mut c_void, FreeFn>(symbol(c"secret_password_free")?),
            error_free: std::mem::transmute::<*mut c_void, ErrorFreeFn>(symbol(c"g_error_free")?),
        })
    }
}

fn dl_error() -> String {
    // SAFETY: dlerror's string is valid until the next dl* call of this
    // thread; copied at once.
    let message = unsafe { libc::dlerror() };
    if message.is_null() {
        "no reason given".to_owned()
    } else {
        unsafe { CStr::from_ptr(message) }
            .to_string_lossy()
            .into_owned()
    }
}

/// A call's failure (its GError, freed here): libsecret's messages name the
/// D-Bus or Secret Service failure, never a secret.
fn failure(api: &Api, error: *mut GError) -> Error {
    let reason = if error.is_null() {
        "it gave no reason".to_owned()
    } else {
        // SAFETY: a GError set by the call, freed once after its message is copied.
        unsafe {
            let message = (*error).message;
            let text = if message.is_null() {
                "it gave no reason".to_owned()
            } else {
                CStr::from_ptr(message).to_string_lossy().into_owned()
            };
            (api.error_free)(error);
            text
        }
    };
    unreachable(reason)
}

/// The attributes' values as C strings.
fn key(service: &str, user: &str) -> Result<(CString, CString), Error> {
    let c = |s: &str| {
        CString::new(s).map_err(|_| {
            Error::argument("a base URL or user name with a NUL byte cannot name a keyring entry")
        })
    };
    Ok((c(service)?, c(user)?))
}

/// Calls `lookup` or `clear` (the same parameters) for this service and
/// user: its result, and the error it set (NULL when none).
fn keyed<R>(
    call: unsafe extern "C" fn(*const Schema, *mut c_void, *mut *mut GError, ...) -> R,
    service: &str,
    user: &str,
) -> Result<(R, *mut GError), Error> {
    let (service, user) = key(service, user)?;
    let mut error = std::ptr::null_mut();
    // SAFETY: the schema and the NULL-terminated attribute list live
    // through the call.
    let result = unsafe {
        call(
            &SCHEMA,
            std::ptr::null_mut(),
            &mut error,
            c"service".as_ptr(),
            service.as_ptr(),
            c"username".as_ptr(),
            user.as_ptr(),
            std::ptr::null::<c_char>(),
        )
    };
    Ok((result, error))
}

pub(super) fn get(service: &str, user: &str) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
    let api = api()?;
    // A password (wiped by `free`), or NULL: none, or an error.
    let (password, error) = keyed(api.lookup, service, user)?;
    if password.is_null() {
        return if error.is_null() {
            Ok(None)
        } else {
            Err(failure(api, error))
        };
    }
    // SAFETY: a NUL-terminated string of libsecret's, copied, then wiped and freed.
    let bytes = Zeroizing::new(unsafe { CStr::from_ptr(password) }.to_bytes().to_vec());
    unsafe { (api.free)(password) };
    Ok(Some(bytes))
}

/// Replaces every entry of this service and user (an earlier version's
/// too) with one holding `secret`.
pub(super) fn set(service: &str, user: &str, secret: &[u8]) -> Result<(), Error> {
    let api = api()?;
    let (service_c, user_c) = key(service, user)?;
    // What the keyring's own tools show: "etna-auth https://host/api (alice)".
    let label = CString::new(format!("{service} ({user})"))
        .map_err(|_| Error::argument("a keyring entry's label cannot hold a NUL byte"))?;
    if secret.contains(&0) {
        return Err(Error::argument("a keyring entry cannot hold a NUL byte"));
    }
    // NUL-terminated in one allocation of its own, wiped when dropped
    // (CString::new would reallocate, leaving a copy unwiped).
    let mut password = Zeroizing::new(Vec::with_capacity(secret.len() + 1));
    password.extend_from_slice(secret);
    password.push(0);
    delete(service, user)?;
    let mut error = std::ptr::null_mut();
    // SAFETY: as in `keyed`; libsecret copies the password into its own
    // (wiped) memory before the call returns.
    let stored = unsafe {
        (api.store)(
            &SCHEMA,
            std::ptr::null(),
            label.as_ptr(),
            password.as_ptr().cast(),
            std::ptr::null_mut(),
            &mut error,
            c"service".as_ptr(),
            service_c.as_ptr(),
            c"username".as_ptr(),
            user_c.as_ptr(),
            std::ptr::null::<c_char>(),
        )
    };
    if stored == 0 {
        return Err(failure(api, error));
    }
    Ok(())
}

/// Not an error when there is none (FALSE without an error: nothing matched).
pub(super) fn delete(service: &str, user: &str) -> Result<(), Error> {
    let api = api()?;
    let (_, error) = keyed(api.clear, service, user)?;
    if error.is_null() {
        Ok(())
    } else {
        Err(failure(api, error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_libsecret_is_named_with_the_way_out() {
        let missing = load(c"libsecret-etna-test-missing.so.0").err().unwrap();
        assert!(
            missing.starts_with("libsecret-etna-test-missing.so.0 could not be loaded ("),
            "{missing}"
        );
    }

    #[test]
    fn the_schema_is_libsecrets_layout() {
        // 8 + 4 (+4) + 32 * 16 + 4 (+4) + 7 * 8 on 64-bit systems.
        #[cfg(target_pointer_width = "64")]
        assert_eq!(std::mem::size_of::<Schema>(), 592);
        assert_eq!(SCHEMA.flags, DONT_MATCH_NAME);
        assert!(SCHEMA.attributes[2].name.is_null());
    }
}
