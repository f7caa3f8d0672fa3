//! "waiting for the server..." on a terminal's stderr while an exchange
//! takes longer than a second; paused while the user is asked for a factor.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub struct Progress {
    shared: Option<Arc<(Mutex<State>, Condvar)>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct State {
    waiting_since: Option<Instant>,
    shown: bool,
    done: bool,
}

impl Progress {
    /// Starts waiting; does nothing when stderr is no terminal.
    pub fn start() -> Progress {
        if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            return Progress {
                shared: None,
                thread: None,
            };
        }
        let shared = Arc::new((
            Mutex::new(State {
                waiting_since: Some(Instant::now()),
                ..State::default()
            }),
            Condvar::new(),
        ));
        let theirs = shared.clone();
        let thread = std::thread::spawn(move || {
            let (state, wake) = &*theirs;
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            while !state.done {
                let wait = match state.waiting_since {
                    Some(since) if !state.shown => {
                        let left = Duration::from_secs(1).saturating_sub(since.elapsed());
                        if left.is_zero() {
                            eprint!("etna-auth: waiting for the server...");
                            state.shown = true;
                            continue;
                        }
                        left
                    }
                    _ => Duration::from_secs(3600),
                };
                state = wake
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        });
        Progress {
            shared: Some(shared),
            thread: Some(thread),
        }
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        if let Some(shared) = &self.shared {
            let mut state = shared.0.lock().unwrap_or_else(|e| e.into_inner());
            change(&mut state);
            shared.1.notify_all();
        }
    }

    /// Clears the line, if shown, before anything else is written.
    pub fn pause(&self) {
        self.update(|state| {
            state.waiting_since = None;
            if std::mem::take(&mut state.shown) {
                eprint!("\r\x1b[K");
            }
        });
    }

    pub fn resume(&self) {
        self.update(|state| state.waiting_since = Some(Instant::now()));
    }

    /// Runs `f` (a prompt) with the line cleared, then shows it again.
    pub fn paused<T>(&self, f: impl FnOnce() -> T) -> T {
        self.pause();
        let result = f();
        self.resume();
        result
    }

    pub fn finish(mut self) {
        self.pause();
        self.update(|state| state.done = true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
