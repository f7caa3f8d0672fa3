//! Cancelling an exchange from another thread ([`Canceller`]).

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use ureq::Agent;

use super::resolve::LookupWaker;

/// Lets another thread interrupt the exchange in flight.
///
/// Cancelling shuts the agent's sockets down, which wakes a connect, read or
/// write blocked on them at once, and wakes a wait for a host name lookup:
/// no polling, no CPU while waiting. A cancel with no exchange in flight is
/// kept for the next one, which then ends at once without sending anything;
/// each cancel is used once. Starting an exchange and cancelling take the same
/// lock, so a cancel that lands while a call is starting is never lost.
#[derive(Default)]
pub struct Canceller {
    state: Mutex<InFlight>,
    /// Wakes [`Canceller::sleep_unless_cancelled`] when a cancel arrives.
    woken: Condvar,
}

impl std::fmt::Debug for Canceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Canceller")
    }
}

#[derive(Default)]
struct InFlight {
    /// The agent of the exchange in flight, if any, and its resolver's waker.
    agent: Option<(Agent, Arc<LookupWaker>)>,
    /// The exchange in flight was cancelled.
    cancelled: bool,
    /// A cancel arrived with no exchange in flight: it is for the next one.
    pending: bool,
}

impl Canceller {
    /// Interrupts the exchange in flight, or when there is none, the next
    /// exchange. Cancels do not add up: one pending cancel stops one exchange.
    pub fn cancel(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match state.agent.take() {
            Some((agent, lookup)) => {
                state.cancelled = true;
                agent.shutdown();
                lookup.wake();
            }
            None => {
                state.pending = true;
                self.woken.notify_all();
            }
        }
    }

    /// Forgets a pending cancel (a session that ends its login starts afresh).
    pub fn clear(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).pending = false;
    }

    /// Uses up a pending cancel, if there is one: for a wait outside any
    /// exchange (etna_acquire_token() waiting for another login), which
    /// polls it.
    pub fn take_pending(&self) -> bool {
        std::mem::take(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()).pending)
    }

    /// Sleeps for `pause`, or less when a cancel arrives: `true` when a
    /// pending cancel ended the sleep (it is used up, as by
    /// [`Canceller::take_pending`]). For waits outside any exchange (a lock
    /// that another login holds), which must end at once on a cancel
    /// without polling it in a busy loop.
    pub fn sleep_unless_cancelled(&self, pause: Duration) -> bool {
        let deadline = std::time::Instant::now() + pause;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if std::mem::take(&mut state.pending) {
                return true;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            // Spurious wake-ups loop back to the check.
            state = self
                .woken
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Registers the exchange about to start; `false` when a pending cancel
    /// stops it before it sends anything (the cancel is used up).
    pub(super) fn start(&self, agent: &Agent, lookup: &Arc<LookupWaker>) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if std::mem::take(&mut state.pending) {
            return false;
        }
        state.agent = Some((agent.clone(), lookup.clone()));
        state.cancelled = false;
        true
    }

    /// Ends the exchange; whether it was cancelled.
    pub(super) fn finish(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.agent = None;
        std::mem::take(&mut state.cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An agent and its resolver's waker, as an exchange registers them. No
    /// connection is made: the agent is only held and shut down.
    fn in_flight() -> (Agent, Arc<LookupWaker>) {
        (Agent::new_with_defaults(), Arc::default())
    }

    /// The next exchange starts, and finishes not cancelled.
    #[track_caller]
    fn assert_next_exchange_runs(canceller: &Canceller) {
        let (agent, lookup) = in_flight();
        assert!(canceller.start(&agent, &lookup));
        assert!(!canceller.finish());
    }

    #[test]
    fn a_cancel_with_nothing_in_flight_stops_the_next_exchange_once() {
        let canceller = Canceller::default();
        let (agent, lookup) = in_flight();
        canceller.cancel();
        assert!(!canceller.start(&agent, &lookup), "the pending cancel");
        assert!(!lookup.is_woken(), "nothing was in flight to wake");
        // Used up: the exchange after that one runs.
        assert_next_exchange_runs(&canceller);
    }

    #[test]
    fn cancels_do_not_add_up() {
        let canceller = Canceller::default();
        let (agent, lookup) = in_flight();
        canceller.cancel();
        canceller.cancel();
        assert!(!canceller.start(&agent, &lookup));
        assert_next_exchange_runs(&canceller);
    }

    #[test]
    fn clear_forgets_a_pending_cancel() {
        let canceller = Canceller::default();
        canceller.cancel();
        canceller.clear();
        assert_next_exchange_runs(&canceller);
    }

    #[test]
    fn a_cancel_in_flight_is_reported_by_finish_once_and_wakes_the_lookup() {
        let canceller = Canceller::default();
        let (agent, lookup) = in_flight();
        assert!(canceller.start(&agent, &lookup));
        canceller.cancel();
        assert!(lookup.is_woken());
        // clear() is for pending cancels only: this one still counts.
        canceller.clear();
        assert!(canceller.finish(), "the exchange was cancelled");
        assert!(!canceller.finish(), "reported once");
        // It was used by that exchange, not kept for the next one.
        assert_next_exchange_runs(&canceller);
    }

    #[test]
    fn a_cancel_after_an_exchange_finished_is_for_the_next_one() {
        let canceller = Canceller::default();
        let (agent, lookup) = in_flight();
        assert!(canceller.start(&agent, &lookup));
        assert!(!canceller.finish(), "not cancelled");
        canceller.cancel();
        assert!(!lookup.is_woken(), "the finished exchange is not touched");
        assert!(!canceller.start(&agent, &lookup));
    }

    #[test]
    fn a_cancel_from_another_thread_is_seen() {
        let canceller = Arc::new(Canceller::default());
        let (agent, lookup) = in_flight();
        assert!(canceller.start(&agent, &lookup));
        let other = Arc::clone(&canceller);
        std::thread::spawn(move || other.cancel())
            .join()
            .expect("the cancelling thread");
        assert!(lookup.is_woken());
        assert!(canceller.finish());
    }

    #[test]
    fn a_cancel_ends_a_sleep_at_once_and_is_used_up() {
        let canceller = Arc::new(Canceller::default());
        let started = std::time::Instant::now();
        assert!(!canceller.sleep_unless_cancelled(Duration::from_millis(30)));
        assert!(
            started.elapsed() >= Duration::from_millis(30),
            "slept it out"
        );
        let other = Arc::clone(&canceller);
        let cancelling = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            other.cancel();
        });
        let started = std::time::Instant::now();
        assert!(canceller.sleep_unless_cancelled(Duration::from_secs(60)));
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "woken, not timed out"
        );
        cancelling.join().expect("the cancelling thread");
        assert!(!canceller.take_pending(), "the sleep used the cancel up");
    }

    #[test]
    fn debug_shows_only_the_type() {
        assert_eq!(format!("{:?}", Canceller::default()), "Canceller");
    }
}
