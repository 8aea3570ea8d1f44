//! The gateway's history between restarts: the state restored from the
//! database on start, and old observations folded into hourly summaries.

use std::time::Duration;

use sontinh_feeds::FeedState;
use sontinh_feeds_store::Store;

/// Restores each device's newest `history` observations into `state` (the
/// state the gateway had when it stopped), oldest first, so that the
/// never-back-in-time rule holds across restarts. Returns how many.
pub(crate) async fn restore(store: &Store, state: &mut FeedState, history: usize, now_ms: i64) -> Result<usize, String> {
    let ids: Vec<String> = state.registry().devices().iter().map(|d| d.id.clone()).collect();
    let mut restored = 0;
    for id in ids {
        let limit = i64::try_from(history).unwrap_or(i64::MAX);
        for o in store.latest(&id, limit).await.map_err(|e| e.to_string())? {
            // Accepted once, so only a device removed from the registry or a
            // clock set back by more than the skew refuses it now.
            if state.apply(o, now_ms).is_ok() {
                restored += 1;
            }
        }
    }
    Ok(restored)
}

/// How often old observations are folded.
const RETENTION_PERIOD: Duration = Duration::from_secs(3600);

/// Folds observations older than `raw_days` into hourly summaries, at
/// start and every hour.
pub(crate) async fn retention_loop(store: Store, raw_days: u32) {
    let keep_ms = i64::from(raw_days) * 86_400_000;
    let mut every = tokio::time::interval(RETENTION_PERIOD);
    loop {
        every.tick().await;
        let now_ms = chrono::Utc::now().timestamp_millis();
        match store.downsample(now_ms - keep_ms).await {
            Ok(done) if done.observations > 0 => {
                eprintln!("feeds gateway: folded {} observations older than {raw_days} days into {} hourly summaries", done.observations, done.hours)
            }
            Ok(_) => {}
            Err(e) => eprintln!("feeds gateway: cannot fold old observations: {e}"),
        }
    }
}
