//! The lock of a C session: one call at a time, like a mutex, except that a
//! call that could only wait for ever fails at once with `ETNA_ERR_STATE`
//! and changes nothing (as libcurl's `CURLE_RECURSIVE_API_CALL`):
//!
//! - a call made on the thread that runs this session's ask callback or log
//!   callback: it would wait for the call that runs the callback, which
//!   waits for the callback (a deadlock on one thread);
//! - a call from another thread while the call in flight waits for its ask
//!   callback: that wait has no deadline (a person types a PIN), and the
//!   waiting thread may be the very one the callback needs (a UI thread
//!   that the callback is posted to, as C# and Python async wrappers do).
//!
//! Any other call waits for the call in flight, which its exchange's
//! timeout bounds. A log callback on one thread does not make calls from
//! other threads fail. The state is a small mutex that is held for
//! microseconds and never while application code runs.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};

use etna_auth::error::Error;

/// A value (the `Session`) behind the session's lock.
pub struct SessionLock<T> {
    gate: Arc<Gate>,
    /// Only taken by the holder of the gate, so never contended for long;
    /// a mutex still, so that the value needs no unsafe code.
    value: Mutex<T>,
}

/// Who holds the session, and which callbacks are running: shared with the
/// log callback's closure, which marks its thread while it runs.
#[derive(Default)]
pub struct Gate {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// The thread whose call holds the session.
    holder: Option<ThreadId>,
    /// The holder is running the ask callback.
    asking: bool,
    /// The threads running this session's log callback (once per nesting).
    logging: Vec<ThreadId>,
    /// Threads waiting in `enter` for the session: a notify without one
    /// would still cost a futex system call on every call's release.
    waiting: usize,
}

/// Why a call was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Made from inside this session's ask callback.
    InsideAsk,
    /// Made from inside this session's log callback.
    InsideLog,
    /// Made on the thread whose call holds the session, outside any
    /// callback (only a bug of the library's own could do this).
    InsideCall,
    /// Another thread's call waits for its ask callback.
    AskPending,
}

impl Refusal {
    /// The error `call` (the C function's name) fails with.
    pub fn error(self, call: &str) -> Error {
        let why = match self {
            Refusal::InsideAsk => {
                "called from inside this session's ask callback: nothing was done (the login goes on when the callback returns; to give it up, return non-zero from the callback)"
            }
            Refusal::InsideLog => {
                "called from inside this session's log callback: nothing was done (a log callback cannot change the session whose call it logs)"
            }
            Refusal::InsideCall => {
                "called from inside a call on this session: nothing was done"
            }
            Refusal::AskPending => {
                "this session's login is waiting for its ask callback, a wait with no deadline: nothing was done (to give the login up, return non-zero from the callback, or call etna_cancel())"
            }
        };
        Error::state(format!("{call}: {why}"))
    }
}

impl<T> SessionLock<T> {
    pub fn new(value: T) -> SessionLock<T> {
        SessionLock {
            gate: Arc::default(),
            value: Mutex::new(value),
        }
    }

    /// The gate, for the callbacks to mark themselves.
    pub fn gate(&self) -> &Arc<Gate> {
        &self.gate
    }

    /// Takes the session for `call`: at once when it is free, after the call
    /// in flight on another thread otherwise, or an error without waiting
    /// when that wait could be endless (see the module's comment).
    pub fn lock(&self, call: &str) -> Result<Held<'_, T>, Error> {
        self.gate.enter().map_err(|refusal| refusal.error(call))?;
        // A panic inside a call (caught at the C boundary) leaves the
        // session in a consistent stage: keep using it.
        let value = self.value.lock().unwrap_or_else(|e| e.into_inner());
        Ok(Held {
            value: Some(value),
            gate: &self.gate,
        })
    }
}

impl Gate {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Why this thread may not take the session now, if it may not.
    fn refusal(state: &State, me: ThreadId) -> Option<Refusal> {
        if state.logging.contains(&me) {
            Some(Refusal::InsideLog)
        } else if state.holder == Some(me) {
            Some(if state.asking {
                Refusal::InsideAsk
            } else {
                Refusal::InsideCall
            })
        } else if state.holder.is_some() && state.asking {
            Some(Refusal::AskPending)
        } else {
            None
        }
    }

    fn enter(&self) -> Result<(), Refusal> {
        let me = thread::current().id();
        let mut state = self.state();
        loop {
            if let Some(refusal) = Gate::refusal(&state, me) {
                return Err(refusal);
            }
            if state.holder.is_none() {
                state.holder = Some(me);
                return Ok(());
            }
            // Woken when the holder leaves or starts waiting for its ask
            // callback (then the check above refuses).
            state.waiting += 1;
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
            state.waiting -= 1;
        }
    }

    fn leave(&self) {
        let mut state = self.state();
        state.holder = None;
        state.asking = false;
        let waiting = state.waiting > 0;
        drop(state);
        if waiting {
            self.changed.notify_all();
        }
    }

    /// Why a call on this thread would be refused because this thread runs
    /// one of the session's callbacks (for etna_free(), which must not free
    /// the session under the call that runs the callback). Other threads'
    /// calls do not count.
    pub fn inside_callback(&self) -> Option<Refusal> {
        let me = thread::current().id();
        Gate::refusal(&self.state(), me).filter(|r| *r != Refusal::AskPending)
    }

    /// Marks the holder as running its ask callback until the guard drops
    /// (also on a panic): meanwhile calls on this session fail at once.
    pub fn asking(&self) -> Asking<'_> {
        let mut state = self.state();
        debug_assert_eq!(state.holder, Some(thread::current().id()));
        state.asking = true;
        let waiting = state.waiting > 0;
        drop(state);
        // Threads already waiting for the session give up now.
        if waiting {
            self.changed.notify_all();
        }
        Asking { gate: self }
    }

    /// Marks this thread as running the session's log callback until the
    /// guard drops (also on a panic).
    pub fn logging(&self) -> Logging<'_> {
        let me = thread::current().id();
        self.state().logging.push(me);
        Logging { gate: self, me }
    }
}

/// The session, held by one call; released on drop.
pub struct Held<'a, T> {
    /// `None` only while dropping: the value is released before the gate.
    value: Option<MutexGuard<'a, T>>,
    gate: &'a Gate,
}

impl<T> Deref for Held<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value.as_deref().expect("held until dropped")
    }
}

impl<T> DerefMut for Held<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value.as_deref_mut().expect("held until dropped")
    }
}

impl<T> Drop for Held<'_, T> {
    fn drop(&mut self) {
        self.value = None;
        self.gate.leave();
    }
}

/// While it lives, the holder runs its ask callback.
pub struct Asking<'a> {
    gate: &'a Gate,
}

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        self.gate.state().asking = false;
    }
}

/// While it lives, this thread runs the session's log callback.
pub struct Logging<'a> {
    gate: &'a Gate,
    me: ThreadId,
}

impl Drop for Logging<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.state();
        if let Some(i) = state.logging.iter().position(|t| *t == self.me) {
            state.logging.swap_remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use etna_auth::error::Status;

    /// Long enough for a thread to block, short enough for a test.
    const A_WHILE: Duration = Duration::from_millis(200);

    fn refused(result: Result<Held<'_, u32>, Error>) -> Error {
        match result {
            Ok(_) => panic!("the call was let in"),
            Err(e) => e,
        }
    }

    #[test]
    fn a_call_from_inside_the_ask_callback_fails_at_once_and_changes_nothing() {
        let lock = SessionLock::new(1u32);
        let mut held = lock.lock("etna_login").unwrap();
        {
            let _asking = lock.gate().asking();
            let e = refused(lock.lock("etna_end_login"));
            assert_eq!(e.status(), Status::State);
            assert!(
                e.message()
                    .starts_with("etna_end_login: called from inside this session's ask callback"),
                "{}",
                e.message()
            );
        }
        // The call that ran the callback goes on with its session.
        *held += 1;
        drop(held);
        assert_eq!(*lock.lock("etna_get").unwrap(), 2);
    }

    #[test]
    fn a_call_from_inside_the_log_callback_fails_at_once() {
        let lock = SessionLock::new(0u32);
        let held = lock.lock("etna_begin_auth").unwrap();
        let logging = lock.gate().logging();
        let e = refused(lock.lock("etna_set_proxy"));
        assert!(
            e.message()
                .starts_with("etna_set_proxy: called from inside this session's log callback"),
            "{}",
            e.message()
        );
        drop(logging);
        drop(held);
        // Marks are gone with their guards.
        assert!(lock.lock("etna_set_proxy").is_ok());
        assert_eq!(lock.gate().inside_callback(), None);
    }

    #[test]
    fn a_log_callback_on_another_thread_refuses_only_its_own_thread() {
        let lock = SessionLock::new(0u32);
        let gate = lock.gate().clone();
        let (marked, wait_mark) = mpsc::channel();
        let (done, wait_done) = mpsc::channel::<()>();
        let logger = thread::spawn(move || {
            let _logging = gate.logging();
            marked.send(()).unwrap();
            wait_done.recv().unwrap();
        });
        wait_mark.recv().unwrap();
        assert!(lock.lock("etna_set_timeout_ms").is_ok());
        done.send(()).unwrap();
        logger.join().unwrap();
    }

    #[test]
    fn another_thread_waits_for_a_call_in_flight() {
        let lock = SessionLock::new(0u32);
        let mut held = lock.lock("etna_begin_auth").unwrap();
        thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                let started = Instant::now();
                let value = *lock.lock("etna_end_login").unwrap();
                (value, started.elapsed())
            });
            thread::sleep(A_WHILE);
            *held = 7;
            drop(held);
            let (value, waited) = waiter.join().unwrap();
            assert_eq!(value, 7, "it ran after the call in flight");
            assert!(waited >= A_WHILE / 2, "{waited:?}");
        });
    }

    #[test]
    fn another_thread_fails_at_once_while_the_ask_callback_runs() {
        let lock = SessionLock::new(0u32);
        let _held = lock.lock("etna_login").unwrap();
        let _asking = lock.gate().asking();
        thread::scope(|scope| {
            let e = scope
                .spawn(|| refused(lock.lock("etna_end_login")))
                .join()
                .unwrap();
            assert_eq!(e.status(), Status::State);
            assert!(
                e.message().starts_with(
                    "etna_end_login: this session's login is waiting for its ask callback"
                ),
                "{}",
                e.message()
            );
        });
    }

    #[test]
    fn a_waiting_thread_fails_when_the_ask_callback_starts() {
        let lock = SessionLock::new(0u32);
        let held = lock.lock("etna_login").unwrap();
        thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                let result = lock.lock("etna_set_timeout_ms").map(|held| *held);
                (result, Instant::now())
            });
            thread::sleep(A_WHILE);
            let asked_at = Instant::now();
            let asking = lock.gate().asking();
            let (result, failed_at) = waiter.join().unwrap();
            assert_eq!(result.unwrap_err().status(), Status::State);
            assert!(
                failed_at >= asked_at,
                "it waited until the callback started"
            );
            drop(asking);
            drop(held);
        });
    }

    #[test]
    fn marks_are_undone_by_a_panic() {
        let lock = SessionLock::new(0u32);
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _held = lock.lock("etna_login").unwrap();
            let _asking = lock.gate().asking();
            let _logging = lock.gate().logging();
            panic!("a callback panicked");
        }));
        assert!(unwound.is_err());
        assert_eq!(lock.gate().inside_callback(), None);
        assert!(lock.lock("etna_end_login").is_ok());
    }

    #[test]
    fn free_sees_only_this_threads_callbacks() {
        let lock = SessionLock::new(0u32);
        assert_eq!(lock.gate().inside_callback(), None);
        let held = lock.lock("etna_login").unwrap();
        let asking = lock.gate().asking();
        assert_eq!(lock.gate().inside_callback(), Some(Refusal::InsideAsk));
        thread::scope(|scope| {
            let other = scope.spawn(|| lock.gate().inside_callback());
            assert_eq!(other.join().unwrap(), None);
        });
        drop(asking);
        drop(held);
    }
}
