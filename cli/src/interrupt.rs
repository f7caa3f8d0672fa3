//! Ctrl-C: SIGINT is taken by one thread (sigwait; on Windows the console's
//! control handler thread), which, depending on what the program is doing,
//! cancels the exchange in flight (the main thread then exits 130), lets a
//! cache save finish (so the file is never half written), or restores the
//! terminal's echo and exits 130 at once.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use etna_auth::transport::Canceller;
use etna_auth::{Error, Status};

use crate::console;
use crate::exit::{self, Failure};
use crate::progress::Progress;

#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    Other = 0,
    Prompt = 1,
    Network = 2,
    Saving = 3,
}

static PHASE: AtomicU8 = AtomicU8::new(Phase::Other as u8);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static CANCELLER: Mutex<Option<Arc<Canceller>>> = Mutex::new(None);

/// Blocks SIGINT in this thread (and so in every thread started later)
/// and starts the thread that waits for it.
#[cfg(unix)]
pub fn install(canceller: Arc<Canceller>) {
    *CANCELLER.lock().unwrap_or_else(|e| e.into_inner()) = Some(canceller);
    // SAFETY: plain libc signal-mask calls on a local, initialized set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        std::thread::spawn(move || loop {
            let mut signal = 0;
            if libc::sigwait(&set, &mut signal) == 0 && signal == libc::SIGINT {
                on_interrupt();
            }
        });
    }
}

/// Windows: a console control handler, which the system runs in a new
/// thread of its own on Ctrl-C or Ctrl-Break.
#[cfg(windows)]
pub fn install(canceller: Arc<Canceller>) {
    use windows_sys::Win32::System::Console::{
        SetConsoleCtrlHandler, CTRL_BREAK_EVENT, CTRL_C_EVENT,
    };
    unsafe extern "system" fn handler(event: u32) -> windows_sys::core::BOOL {
        if event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT {
            on_interrupt();
            1
        } else {
            0
        }
    }
    *CANCELLER.lock().unwrap_or_else(|e| e.into_inner()) = Some(canceller);
    // SAFETY: registers a handler that lives as long as the program.
    unsafe { SetConsoleCtrlHandler(Some(handler), 1) };
}

fn on_interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    match PHASE.load(Ordering::SeqCst) {
        p if p == Phase::Network as u8 => {
            if let Some(c) = CANCELLER.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                c.cancel();
            }
        }
        // The main thread exits when the save is done.
        p if p == Phase::Saving as u8 => {}
        _ => {
            console::restore_for_exit();
            eprintln!("\netna-auth: interrupted");
            std::process::exit(exit::INTERRUPTED.into());
        }
    }
}

/// Runs `f` in a phase (Ctrl-C acts according to it).
/// Phases nest: a prompt inside a login goes back to the login's phase.
pub fn while_in<T>(phase: Phase, f: impl FnOnce() -> T) -> T {
    let outer = PHASE.swap(phase as u8, Ordering::SeqCst);
    let result = f();
    PHASE.store(outer, Ordering::SeqCst);
    result
}

/// Runs `login` (given the progress line, to pause while it prompts) in the
/// network phase with the progress line shown. A cancellation that Ctrl-C
/// caused comes back as [`Failure::Interrupted`].
pub fn network_login(login: impl FnOnce(&Progress) -> Result<(), Error>) -> Result<(), Failure> {
    let progress = Progress::start();
    let result = while_in(Phase::Network, || login(&progress));
    progress.finish();
    match result {
        Err(e) if e.status() == Status::Cancelled && interrupted() => Err(Failure::Interrupted),
        result => Ok(result?),
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Exits 130 if Ctrl-C came while it could not end the program at once
/// (during a save, or an exchange that finished anyway).
pub fn exit_if_interrupted() {
    if interrupted() {
        eprintln!("etna-auth: interrupted");
        std::process::exit(exit::INTERRUPTED.into());
    }
}
