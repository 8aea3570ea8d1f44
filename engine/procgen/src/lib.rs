//! Procedurally generated content, as plain mesh data in a local
//! east-north-up frame (x east, y north, z up, metres). Renderers convert it
//! to their own conventions.

pub mod citadel;
mod mesh;
pub mod wire;

pub use mesh::{Footprint, MeshData, Part, Surface};
