//! A Rust application's view of etna-auth: its own global allocator, the
//! crate by path, a two-factor login through `Session::login` against the
//! sandbox. Prints "N passed, M failed" and exits non-zero on a failure.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use etna_auth::sandbox::{Sandbox, SandboxConfig};
use etna_auth::{Session, Status, Step};

/// The application's allocator: counts allocations, so that the program can
/// tell it is the one in use.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() {
    let mut passed = 0;
    let mut failed = 0;
    let mut check = |ok: bool, what: &str| {
        if ok {
            passed += 1;
        } else {
            failed += 1;
            eprintln!("FAIL: {what}");
        }
    };

    let sandbox = Sandbox::start(SandboxConfig::default()).expect("the sandbox starts");
    let mut session = Session::new(sandbox.url(), sandbox.app_key()).expect("a session");
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut asked = Vec::new();
    let token = session
        .login("dave", "dave-pass", |step, reason| {
            asked.push(format!("{step:?}: {reason}"));
            Some(if step == Step::NeedPin { "4321" } else { "654321" }.to_owned())
        })
        .map(str::to_owned);
    check(token.is_ok(), "dave logs in with a PIN and a code");
    check(
        asked == ["NeedPin: Expecting security pin", "NeedCode: Expecting confirmation code"],
        &format!("asked for each factor with the server's Reason: {asked:?}"),
    );
    check(session.token() == token.as_deref().ok(), "token() is the login's token");
    check(session.expires_at().is_some(), "expires_at() after a login");
    check(
        ALLOCATIONS.load(Ordering::Relaxed) > before,
        "the login allocated through the application's allocator",
    );

    // Giving up: None ends the login, and nothing more can be supplied.
    let gave_up = session.login("bob", "bob-pass", |_, _| None);
    check(
        matches!(&gave_up, Err(e) if e.status() == Status::Cancelled),
        &format!("None abandons the login: {gave_up:?}"),
    );
    check(
        matches!(session.supply_pin("1234"), Err(e) if e.status() == Status::State),
        "after giving up, supply_pin is a state error",
    );
    check(session.token().is_none(), "no token after giving up");

    println!("{passed} passed, {failed} failed");
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
