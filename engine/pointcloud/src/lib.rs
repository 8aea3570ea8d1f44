//! LiDAR point clouds for the twin: LAS 1.0–1.4 (formats 0–10), LAZ and
//! COPC. Every file goes through a byte-layout check ([`layout`]) before a
//! decoder sees it; the decoders are the `las` and `laz` crates.

pub mod attributes;
pub mod copc;
pub mod crs;
pub mod convert;
pub mod dem;
mod file;
pub mod layout;
pub mod decoded_node;
pub mod ranged;
pub mod stats;

use std::path::Path;

pub use file::{BATCH_POINTS, PointCloudFile, quiet_decoder_panics};
pub use stats::Stats;

#[derive(Debug, thiserror::Error)]
pub enum PointCloudError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl PointCloudError {
    pub fn invalid(path: &Path, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.display().to_string(),
            message: message.into(),
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

#[cfg(test)]
mod tests;

/// The shared LiDAR test files (never copied into the repository).
#[cfg(test)]
pub(crate) fn shared_lidar(name: &str) -> Option<std::path::PathBuf> {
    let root = std::env::var_os("SONTINH_SHARED_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = root.join("lidar").join(name);
    assert!(path.exists(), "the shared test data is absent: {} (set SONTINH_SHARED_DATA)", path.display());
    Some(path)
}
