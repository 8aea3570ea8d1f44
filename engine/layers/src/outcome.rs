//! How a job done for the user in the background went (a file saved, a
//! report fetched), shared between the task doing it and the panel showing it.

use std::sync::{Arc, Mutex};

/// Where the result is (or an empty text while it is being made), or why it failed.
#[derive(Clone, Debug, Default)]
pub struct SharedOutcome(Arc<Mutex<Option<Result<String, String>>>>);

impl SharedOutcome {
    pub fn set(&self, result: Result<String, String>) {
        if let Ok(mut o) = self.0.lock() {
            *o = Some(result);
        }
    }

    pub fn get(&self) -> Option<Result<String, String>> {
        self.0.lock().ok().and_then(|o| o.clone())
    }
}
