//! Generates `include/etna_auth.h`: the version macros and status constants
//! from `Cargo.toml` and the one table of codes (`../src/status_table.rs`),
//! and the functions from the `extern "C"` functions in `src/` with cbindgen.
//! The header is committed; the test command fails when a build changes it
//! (a stale committed header).

use std::fmt::Write as _;
use std::path::Path;

/// One row of the table of statuses (src/status_table.rs).
struct Row {
    variant: &'static str,
    code: i32,
    name: &'static str,
    python: &'static str,
    csharp: &'static str,
    family: &'static str,
    exit: u8,
    retry: bool,
    describe: &'static str,
    doc: &'static str,
}

macro_rules! status_table {
    ($($variant:ident = $code:literal, $name:literal,
       python $python:literal, csharp $csharp:literal, family $family:literal,
       exit $exit:literal, retry $retry:literal,
       $describe:literal, $doc:literal;)*) => {
        const STATUSES: &[Row] = &[$(Row {
            variant: stringify!($variant), code: $code, name: $name,
            python: $python, csharp: $csharp, family: $family,
            exit: $exit, retry: $retry, describe: $describe, doc: $doc,
        },)*];
    };
}
include!("../src/status_table.rs");
include!("../src/defaults.rs");

/// The header's macros: version, then one constant per status.
fn header_macros(version: &str) -> String {
    let mut parts = version
        .split('.')
        .map(|p| p.parse::<u32>().expect("numeric version"));
    let (major, minor, patch) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    let mut out = String::new();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "/** The version of this header, e.g. \"1.2.3\"; etna_version() gives the library's. */"
    );
    let _ = writeln!(out, "#define ETNA_AUTH_VERSION \"{version}\"");
    let _ = writeln!(out, "#define ETNA_AUTH_VERSION_MAJOR {major}");
    let _ = writeln!(out, "#define ETNA_AUTH_VERSION_MINOR {minor}");
    let _ = writeln!(out, "#define ETNA_AUTH_VERSION_PATCH {patch}");
    let _ = writeln!(
        out,
        "/** major * 10000 + minor * 100 + patch; compare with etna_version_number() at run time. */"
    );
    let number = major * 10000 + minor * 100 + patch;
    let _ = writeln!(out, "#define ETNA_AUTH_VERSION_NUMBER {number}");
    // The one place of the formula: etna_version_number() returns this too.
    println!("cargo:rustc-env=ETNA_AUTH_VERSION_NUMBER={number}");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "/** The deadline of each exchange until etna_set_timeout_ms() sets another, in ms. */"
    );
    let _ = writeln!(out, "#define ETNA_DEFAULT_TIMEOUT_MS {DEFAULT_TIMEOUT_MS}");
    let _ = writeln!(
        out,
        "/** How long etna_acquire_token() waits for a lock that another login or writer holds, until etna_set_lock_timeout_ms() sets another wait, in ms. */"
    );
    let _ = writeln!(
        out,
        "#define ETNA_DEFAULT_LOCK_TIMEOUT_MS {DEFAULT_LOCK_TIMEOUT_MS}"
    );
    let _ = writeln!(
        out,
        "/** The size of the answer buffer an EtnaAskCallback gets, at least, in bytes. */"
    );
    let _ = writeln!(out, "#define ETNA_ANSWER_BUFFER_SIZE {ANSWER_BUFFER_SIZE}");
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", sandbox_accounts());
    let _ = writeln!(
        out,
        "/* Status codes: ETNA_OK, ETNA_NEED_* (> 0) and ETNA_ERR_* (< 0). */"
    );
    for row in STATUSES {
        let _ = writeln!(out, "/** {} */", row.doc);
        let _ = writeln!(out, "#define {} {}", row.name, row.code);
    }
    out
}

/// The sandbox's defaults (src/defaults.rs) as a comment of the header, the
/// one place the front ends' documentation points to.
fn sandbox_accounts() -> String {
    let mut out = format!(
        "/*\n * The sandbox's defaults (etna_sandbox_start(NULL)): app key \"{SANDBOX_APP_KEY}\",\n * max_attempts {SANDBOX_MAX_ATTEMPTS}, and these accounts (user name / password: second factor):\n"
    );
    for (username, password, pin, code) in SANDBOX_ACCOUNTS {
        let factors = match (pin, code) {
            (None, None) => "none".to_owned(),
            (Some(pin), None) => format!("PIN {pin}"),
            (None, Some(code)) => format!("code {code}"),
            (Some(pin), Some(code)) => format!("PIN {pin}, then code {code}"),
        };
        let _ = writeln!(out, " *   {username} / {password}: {factors}");
    }
    out.push_str(" */\n");
    out
}

/// Every column of the status table as JSON (bindings/status_codes.json),
/// for the front ends' generators and checks. Written by hand: build.rs has
/// no serde, and every value is a plain literal.
fn status_json() -> String {
    let text = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::from("[\n");
    for (i, row) in STATUSES.iter().enumerate() {
        let family = STATUSES
            .iter()
            .find(|r| r.variant == row.family)
            .map_or(String::from("null"), |r| text(r.name));
        let _ = writeln!(
            out,
            "  {{\"name\": {}, \"code\": {}, \"python\": {}, \"csharp\": {}, \"family\": {}, \"exit\": {}, \"retry\": {}, \"describe\": {}, \"doc\": {}}}{}",
            text(row.name),
            row.code,
            text(row.python),
            text(row.csharp),
            family,
            row.exit,
            row.retry,
            text(row.describe),
            text(row.doc),
            if i + 1 < STATUSES.len() { "," } else { "" }
        );
    }
    out.push_str("]\n");
    out
}

const HEADER_INTRO: &str = "\
/*
 * etna_auth.h: log in to the ETNA Trader / AutoShares brokerage API.
 *
 * Generated by capi/build.rs (cbindgen) from capi/src/ and src/status_table.rs: do not edit by hand.
 *
 * Usage: etna_new() a session, then etna_login() with the user's name and
 * password and a callback that asks the user for each second factor (the
 * whole login policy in one call), and etna_get_token() once it returns
 * ETNA_OK. Send the token as `Authorization: Bearer <token>`. Applications
 * that drive the steps themselves call etna_begin_auth(), then
 * etna_supply_pin() / etna_supply_code() while the status is ETNA_NEED_PIN /
 * ETNA_NEED_CODE.
 *
 * Conventions:
 * - Functions return an int status: ETNA_OK (0), ETNA_NEED_* (> 0) or an
 *   ETNA_ERR_* code (< 0). etna_status_str() names a code; etna_last_error()
 *   gives this thread's message for the last call.
 * - Strings are NUL-terminated UTF-8. Arguments are copied; the caller keeps
 *   ownership of what it passes. Returned strings are owned by the library,
 *   and each function says how long they stay valid.
 * - Thread safety: sessions are independent; calls on one session from
 *   several threads are serialized inside, except etna_cancel(),
 *   etna_get_token(), etna_token_expires_at() and etna_save_token(), which
 *   never wait for a call in flight. etna_free() must not race with other
 *   calls on the same session.
 * - Callbacks (EtnaAskCallback, EtnaLogCallback) run on the thread of the
 *   call that invokes them. A C++ exception (or a longjmp) must never leave
 *   a callback: catch everything inside it (include/etna_auth.hpp does).
 * - Blocking: each function says whether it blocks and for how long. Only
 *   etna_login(), etna_begin_auth(), etna_supply_pin() and etna_supply_code()
 *   use the network, each exchange for up to the session's timeout
 *   (etna_set_timeout_ms(), ETNA_DEFAULT_TIMEOUT_MS until set);
 *   etna_cancel() from another thread ends them at once. The token cache
 *   functions wait for the cache file's lock.
 * - Versions: ETNA_AUTH_VERSION_NUMBER is this header's version;
 *   etna_version_number() is the loaded library's. Within a major version
 *   changes are additive only (see docs/abi-policy.md).
 * - Secrets (passwords, PINs, codes, tokens) never appear in messages and
 *   are wiped from memory when no longer needed.
 */";

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=../src/status_table.rs");
    println!("cargo:rerun-if-changed=../src/defaults.rs");
    println!("cargo:rerun-if-changed=build.rs");

    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo");
    let version = std::env::var("CARGO_PKG_VERSION").expect("set by cargo");
    let mut config = cbindgen::Config {
        language: cbindgen::Language::C,
        header: Some(HEADER_INTRO.to_string()),
        include_guard: Some("ETNA_AUTH_H".to_string()),
        cpp_compat: true,
        usize_is_size_t: true,
        sys_includes: vec!["stddef.h".into(), "stdint.h".into()],
        no_includes: true,
        documentation: true,
        documentation_length: cbindgen::DocumentationLength::Full,
        documentation_style: cbindgen::DocumentationStyle::Doxy,
        style: cbindgen::Style::Type,
        after_includes: Some(header_macros(&version)),
        ..Default::default()
    };
    config.function.must_use = None;
    config.parse.parse_deps = false;

    let bindings = match cbindgen::Builder::new()
        .with_src(Path::new(&crate_dir).join("src").join("lib.rs"))
        .with_config(config)
        .generate()
    {
        Ok(bindings) => bindings,
        Err(e) => panic!("cbindgen could not generate the header: {e}"),
    };
    let mut header = Vec::new();
    bindings.write(&mut header);

    let top = Path::new(&crate_dir).join("..");
    write_if_changed(&top.join("include").join("etna_auth.h"), &header);
    write_if_changed(
        &top.join("bindings").join("status_codes.json"),
        status_json().as_bytes(),
    );
    write_if_changed(
        &Path::new(&crate_dir).join("lib").join("etna_auth.def"),
        module_definition(bindings.functions.iter().map(|f| f.path.name())).as_bytes(),
    );
}

/// The DLL's exports for MSVC users, who make an import library of it
/// (`lib /def:etna_auth.def /machine:x64 /out:etna_auth.lib`): every function
/// of the header. Committed beside the C library's crate (capi/lib) and
/// shipped in the Windows zip; tests/windows.sh checks it against the DLL.
fn module_definition<'a>(functions: impl Iterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = functions.collect();
    names.sort_unstable();
    let mut out = String::from("LIBRARY etna_auth.dll\nEXPORTS\n");
    for name in names {
        let _ = writeln!(out, "    {name}");
    }
    out
}

/// Writes a generated file only on change, so that its mtime (and anything
/// that depends on it) moves only when the API does.
fn write_if_changed(path: &Path, content: &[u8]) {
    if std::fs::read(path).ok().as_deref() == Some(content) {
        return;
    }
    if let Err(e) = std::fs::create_dir_all(path.parent().expect("has a parent"))
        .and_then(|_| std::fs::write(path, content))
    {
        // A read-only source tree (a vendored crate) still builds.
        println!("cargo:warning=could not write {}: {e}", path.display());
    }
}
