//! Pausing, cancelling and watching a run from another thread (the viewer).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Shared between a running flood and whoever started it.
#[derive(Debug, Default)]
pub struct RunControl {
    paused: AtomicBool,
    cancelled: AtomicBool,
    /// Fraction of the simulated time done, as f32 bits.
    progress: AtomicU32,
}

impl RunControl {
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    pub fn set_progress(&self, fraction: f32) {
        self.progress.store(fraction.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }

    pub fn progress(&self) -> f32 {
        f32::from_bits(self.progress.load(Ordering::Relaxed))
    }

    /// Blocks while paused (and not cancelled): called between solver steps.
    pub fn wait_while_paused(&self) {
        while self.is_paused() && !self.is_cancelled() {
            std::thread::sleep(std::time::Duration::from_millis(40));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn pause_blocks_until_resumed_or_cancelled() {
        let control = Arc::new(RunControl::default());
        control.set_paused(true);
        let waiter = {
            let control = control.clone();
            std::thread::spawn(move || {
                control.wait_while_paused();
                control.is_cancelled()
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(!waiter.is_finished(), "still paused");
        control.cancel();
        assert!(waiter.join().unwrap());
        control.set_progress(2.0);
        assert_eq!(control.progress(), 1.0);
    }
}
