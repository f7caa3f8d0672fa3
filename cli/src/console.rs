//! The terminal's echo: off while a secret is typed, and back on afterwards,
//! also when Ctrl-C ends the program during a prompt (`interrupt.rs` calls
//! [`restore_for_exit`]). Unix: termios on /dev/tty; Windows: the console
//! input mode.

use std::sync::Mutex;

/// A terminal and its settings before echo was turned off.
#[cfg(unix)]
type Saved = (i32, libc::termios);
/// A console input handle and its mode before echo was turned off.
#[cfg(windows)]
type Saved = (usize, u32);

struct State {
    saved: Option<Saved>,
    /// The program is exiting (Ctrl-C): echo stays on from now on, even if
    /// the main thread reaches a prompt while the exit is under way.
    exiting: bool,
}

// Changes of the terminal's settings are made holding this lock, so that
// Ctrl-C's thread and the main thread cannot interleave them.
static STATE: Mutex<State> = Mutex::new(State {
    saved: None,
    exiting: false,
});

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Turns echo off on the terminal (keeping the settings to put back);
/// false when it is no terminal or the program is exiting.
pub fn echo_off(tty: &std::fs::File) -> bool {
    unless_exiting(|state| echo_off_keeping(tty, state))
}

/// Unix: the terminal's settings without ECHO.
#[cfg(unix)]
fn echo_off_keeping(tty: &std::fs::File, state: &mut State) -> bool {
    use std::os::fd::AsRawFd;
    let fd = tty.as_raw_fd();
    // SAFETY: termios is plain data, filled by tcgetattr on a valid fd.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
        return false;
    }
    let mut quiet = saved;
    quiet.c_lflag &= !libc::ECHO;
    // The new line the user types is still echoed.
    quiet.c_lflag |= libc::ECHONL;
    state.saved = Some((fd, saved));
    // SAFETY: settings read from the same descriptor, echo changed.
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) };
    true
}

/// Windows: the console input mode without ENABLE_ECHO_INPUT.
#[cfg(windows)]
fn echo_off_keeping(tty: &std::fs::File, state: &mut State) -> bool {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::System::Console::{GetConsoleMode, SetConsoleMode, ENABLE_ECHO_INPUT};
    let handle = tty.as_raw_handle();
    let mut mode = 0u32;
    // SAFETY: a console handle we opened; `mode` is written.
    if unsafe { GetConsoleMode(handle, &mut mode) } == 0 {
        return false;
    }
    state.saved = Some((handle as usize, mode));
    // SAFETY: the same handle, echo off.
    unsafe { SetConsoleMode(handle, mode & !ENABLE_ECHO_INPUT) };
    true
}

/// Runs `f` on the state unless the program is exiting (then false): no
/// echo is turned off after the exit path has put it back.
fn unless_exiting(f: impl FnOnce(&mut State) -> bool) -> bool {
    let mut state = state();
    !state.exiting && f(&mut state)
}

/// Puts back the settings [`echo_off`] changed, if it changed any.
pub fn restore() {
    put_back(&mut state());
}

/// [`restore`], for good: the program is about to exit.
pub fn restore_for_exit() {
    let mut state = state();
    state.exiting = true;
    put_back(&mut state);
}

fn put_back(state: &mut State) {
    if let Some((fd, saved)) = state.saved.take() {
        // SAFETY: restores settings read from the same descriptor.
        #[cfg(unix)]
        unsafe {
            libc::tcsetattr(fd, libc::TCSANOW, &saved)
        };
        // SAFETY: restores the mode read from the same handle.
        #[cfg(windows)]
        unsafe {
            windows_sys::Win32::System::Console::SetConsoleMode(fd as _, saved)
        };
    }
}
