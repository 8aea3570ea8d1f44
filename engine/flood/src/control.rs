//! Pausing, cancelling and watching a run from another thread (the viewer).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Shared between a running flood and whoever started it.
#[derive(Debug, Default)]
pub struct RunControl {
    state: Mutex<State>,
    /// Signalled whenever `state` changes.
    changed: Condvar,
    /// Fraction of the simulated time done, as f32 bits.
    progress: AtomicU32,
}

#[derive(Debug, Default)]
struct State {
    paused: bool,
    cancelled: bool,
    /// The run is blocked in [`RunControl::wait_while_paused`]: it takes no
    /// step until resumed or cancelled.
    holding: bool,
}

impl RunControl {
    fn state(&self) -> MutexGuard<'_, State> {
        // The state is three flags, consistent after any panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set_paused(&self, paused: bool) {
        self.state().paused = paused;
        self.changed.notify_all();
    }

    /// Whether a pause is asked for; see [`RunControl::is_holding`] for
    /// whether the run has actually stopped.
    pub fn is_paused(&self) -> bool {
        self.state().paused
    }

    pub fn cancel(&self) {
        self.state().cancelled = true;
        self.changed.notify_all();
    }

    pub fn is_cancelled(&self) -> bool {
        self.state().cancelled
    }

    /// Whether the run has acknowledged a pause: it is blocked between two
    /// solver steps, so its state and progress stay as they are until it is
    /// resumed or cancelled.
    pub fn is_holding(&self) -> bool {
        self.state().holding
    }

    /// Waits until the run holds at a pause, or `timeout` passes; returns
    /// whether it holds.
    pub fn wait_until_holding(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.state();
        while !state.holding {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self.changed.wait_timeout(state, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        true
    }

    /// For runs that wait without blocking (a browser's, which awaits a
    /// timer while paused): says whether the run holds at a pause, as
    /// [`RunControl::wait_while_paused`] does for a blocked thread.
    pub fn set_holding(&self, holding: bool) {
        self.state().holding = holding;
        self.changed.notify_all();
    }

    pub fn set_progress(&self, fraction: f32) {
        self.progress.store(fraction.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }

    pub fn progress(&self) -> f32 {
        f32::from_bits(self.progress.load(Ordering::Relaxed))
    }

    /// Blocks while paused (and not cancelled): called between solver steps.
    /// While blocked the run is [holding](RunControl::is_holding).
    pub fn wait_while_paused(&self) {
        let mut state = self.state();
        if !state.paused || state.cancelled {
            return;
        }
        state.holding = true;
        self.changed.notify_all();
        while state.paused && !state.cancelled {
            state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        state.holding = false;
        self.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const DEADLINE: Duration = Duration::from_secs(30);

    fn waiter(control: &Arc<RunControl>) -> std::thread::JoinHandle<bool> {
        let control = control.clone();
        std::thread::spawn(move || {
            control.wait_while_paused();
            control.is_cancelled()
        })
    }

    #[test]
    fn pause_blocks_until_cancelled() {
        let control = Arc::new(RunControl::default());
        control.set_paused(true);
        let waiter = waiter(&control);
        assert!(control.wait_until_holding(DEADLINE), "the waiter never acknowledged the pause");
        assert!(!waiter.is_finished(), "holding means blocked");
        control.cancel();
        assert!(waiter.join().unwrap(), "released by the cancel");
        assert!(!control.is_holding(), "no longer holding once released");
        control.set_progress(2.0);
        assert_eq!(control.progress(), 1.0);
    }

    #[test]
    fn pause_blocks_until_resumed() {
        let control = Arc::new(RunControl::default());
        control.set_paused(true);
        let waiter = waiter(&control);
        assert!(control.wait_until_holding(DEADLINE), "the waiter never acknowledged the pause");
        assert!(control.is_paused() && control.is_holding());
        control.set_paused(false);
        assert!(!waiter.join().unwrap(), "released by resuming, not cancelled");
        assert!(!control.is_holding());
    }

    #[test]
    fn no_hold_without_a_pause() {
        let control = RunControl::default();
        // Returns at once: on this thread, anything else would block the test.
        control.wait_while_paused();
        assert!(!control.is_holding());
        assert!(!control.wait_until_holding(Duration::from_millis(20)), "nothing holds");
        control.set_paused(true);
        control.cancel();
        control.wait_while_paused();
        assert!(!control.is_holding(), "a cancelled run does not hold");
    }
}
