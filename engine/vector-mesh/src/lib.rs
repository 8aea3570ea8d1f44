//! Vector and city features made drawable.
//!
//! [`build_vector`] and [`build_city`] turn a layer's features into
//! [`Chunk`]s of triangles and lines in the scene's east-north-up frame:
//! draped on the [`Ground`] (lines densified and fills subdivided so they
//! follow it), at a height attribute, or extruded into prisms; coloured and
//! filtered by the layer's style. Features are batched by where they lie
//! (a grid of at most [`MAX_CHUNKS_PER_SIDE`]² chunks), so that a city of
//! 100,000 buildings is a few hundred meshes, not 100,000; every triangle
//! and segment keeps its feature's index for picking, and every feature its
//! attributes, label and anchor.

mod city;
mod geometry;
mod request;
pub mod style;
mod vector;
mod wire;

use sontinh_geo::{EnuFrame, Geodetic};
use sontinh_scene::Text;

pub use city::{build_city, semantic_color};
pub use request::{Files, GroundSource, LayerFile, SceneGround, VectorRequest};
pub use vector::build_vector;

/// The ground features are draped on: the height above the WGS 84
/// ellipsoid at a longitude and latitude, where known.
pub trait Ground {
    fn height(&self, lon_deg: f64, lat_deg: f64) -> Option<f64>;
}

/// The ellipsoid itself: for scenes without terrain.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ellipsoid;

impl Ground for Ellipsoid {
    fn height(&self, _: f64, _: f64) -> Option<f64> {
        Some(0.0)
    }
}

/// Any function of longitude and latitude.
impl<F: Fn(f64, f64) -> Option<f64>> Ground for F {
    fn height(&self, lon_deg: f64, lat_deg: f64) -> Option<f64> {
        self(lon_deg, lat_deg)
    }
}

/// Chunks per side of a layer's grid, at most.
pub const MAX_CHUNKS_PER_SIDE: usize = 16;

/// Chunks are at least this wide, m: small layers are one mesh.
pub const MIN_CHUNK_SIDE_M: f64 = 250.0;

/// Vertices a layer may make; beyond this the layer is refused with a
/// message rather than exhausting memory (about 1.5 GiB of vertex data).
pub const MAX_LAYER_VERTICES: usize = 40_000_000;

/// What a feature is, for the attribute panel.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureInfo {
    /// The feature's id where it has one (CityJSON), else its number.
    pub id: String,
    /// Its geometry type, or its CityJSON type.
    pub kind: String,
    /// Every attribute as text, in the file's order.
    pub attributes: Vec<(String, String)>,
    pub label: Option<Text>,
    /// Where its label goes: over its centre (a polygon's interior, a
    /// line's middle vertex, the top of a building), ENU m.
    pub anchor: [f64; 3],
    /// ENU bounds of what is drawn.
    pub min: [f64; 3],
    pub max: [f64; 3],
    /// Index of the chunk that holds it.
    pub chunk: u32,
}

/// Triangles in a chunk's own frame (f32 near its origin): flat normals,
/// linear vertex colours, and each triangle's feature.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Triangles {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub colors: Vec<[f32; 4]>,
    pub indices: Vec<u32>,
    pub triangle_feature: Vec<u32>,
}

impl Triangles {
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    pub fn triangle_count(&self) -> usize {
        self.indices.len() / 3
    }
}

/// Segments (pairs of positions) in a chunk's own frame, and each one's feature.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lines {
    pub positions: Vec<[f32; 3]>,
    pub colors: Vec<[f32; 4]>,
    pub segment_feature: Vec<u32>,
}

impl Lines {
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    pub fn segment_count(&self) -> usize {
        self.positions.len() / 2
    }
}

/// One batch of features near each other.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chunk {
    /// ENU position of the chunk's frame, m.
    pub origin: [f64; 3],
    /// Opaque surfaces: extruded prisms, city objects.
    pub solids: Triangles,
    /// The solids' triangles that face up (roofs): what a chunk far away
    /// draws instead of all its solids, a fifth of an extruded city's triangles.
    pub tops: Triangles,
    /// Translucent polygon fills on the ground.
    pub fills: Triangles,
    /// Lines, polygon outlines, point pins.
    pub lines: Lines,
    /// ENU bounds of the chunk's content.
    pub min: [f64; 3],
    pub max: [f64; 3],
}

/// A layer made drawable.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Built {
    pub features: Vec<FeatureInfo>,
    pub chunks: Vec<Chunk>,
    /// Features the style's filter left out.
    pub filtered_out: usize,
    /// Features with no drawable geometry (empty, or degenerate polygons).
    pub empty: usize,
}

impl Built {
    pub fn triangle_count(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| c.solids.triangle_count() + c.fills.triangle_count())
            .sum()
    }

    pub fn segment_count(&self) -> usize {
        self.chunks.iter().map(|c| c.lines.segment_count()).sum()
    }

    /// The feature a chunk's triangle belongs to.
    pub fn feature_of_triangle(&self, chunk: usize, set: TriangleSet, triangle: usize) -> Option<&FeatureInfo> {
        let c = self.chunks.get(chunk)?;
        let t = match set {
            TriangleSet::Solids => &c.solids,
            TriangleSet::Tops => &c.tops,
            TriangleSet::Fills => &c.fills,
        };
        self.features.get(*t.triangle_feature.get(triangle)? as usize)
    }
}

/// Which triangles of a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TriangleSet {
    Solids,
    Tops,
    Fills,
}

/// Horizontal positions in the scene's ENU plane lifted to the ellipsoid
/// and back: `enu_to_geodetic` of a point on the plane is above the
/// ellipsoid away from the origin, so the height the plane sits at there
/// (its drop, about d²/2R) is put back first.
pub(crate) fn plane_to_geodetic(frame: &EnuFrame, e: f64, n: f64) -> Geodetic {
    const EARTH_RADIUS_M: f64 = 6_371_000.0;
    let drop = -(e * e + n * n) / (2.0 * EARTH_RADIUS_M) - frame.origin().height_m;
    let mut g = frame.enu_to_geodetic([e, n, drop]);
    g.height_m = 0.0;
    g
}

/// Gathers features' geometry into chunks by where they lie.
pub(crate) struct ChunkGrid {
    min: [f64; 2],
    side: f64,
    per_side: usize,
    chunks: Vec<Option<ChunkBuilder>>,
    vertices: usize,
}

/// A vertex of a solid: position, normal, colour, feature.
type SolidVertex = ([f64; 3], [f64; 3], [f32; 4], u32);
/// A vertex of a fill or line: position, colour, feature.
type PlainVertex = ([f64; 3], [f32; 4], u32);

#[derive(Default)]
pub(crate) struct ChunkBuilder {
    origin: [f64; 3],
    solids: Vec<SolidVertex>,
    fills: Vec<PlainVertex>,
    lines: Vec<PlainVertex>,
    min: [f64; 3],
    max: [f64; 3],
}

impl ChunkGrid {
    /// A grid over `min`..`max` (ENU plane).
    pub(crate) fn new(min: [f64; 2], max: [f64; 2]) -> Self {
        let extent = (max[0] - min[0]).max(max[1] - min[1]).max(0.0);
        let side = (extent / MAX_CHUNKS_PER_SIDE as f64).max(MIN_CHUNK_SIDE_M);
        let per_side = ((extent / side).ceil() as usize).clamp(1, MAX_CHUNKS_PER_SIDE);
        Self {
            min,
            side,
            per_side,
            chunks: (0..per_side * per_side).map(|_| None).collect(),
            vertices: 0,
        }
    }

    /// The chunk a feature centred at `centre` goes to, opened with its origin there.
    pub(crate) fn chunk_at(&mut self, centre: [f64; 3]) -> u32 {
        let cell = |v: f64, lo: f64| (((v - lo) / self.side).floor().max(0.0) as usize).min(self.per_side - 1);
        let index = cell(centre[1], self.min[1]) * self.per_side + cell(centre[0], self.min[0]);
        if let Some(slot) = self.chunks.get_mut(index) {
            slot.get_or_insert_with(|| ChunkBuilder {
                origin: centre,
                min: [f64::INFINITY; 3],
                max: [f64::NEG_INFINITY; 3],
                ..Default::default()
            });
        }
        index as u32
    }

    fn builder(&mut self, chunk: u32, added: usize) -> Result<&mut ChunkBuilder, String> {
        self.vertices = self.vertices.saturating_add(added);
        if self.vertices > MAX_LAYER_VERTICES {
            return Err(format!(
                "the layer makes more than {MAX_LAYER_VERTICES} vertices; filter it or split it into tiles"
            ));
        }
        self.chunks
            .get_mut(chunk as usize)
            .and_then(Option::as_mut)
            .ok_or_else(|| format!("chunk {chunk} was never opened"))
    }

    /// One flat-shaded triangle of a solid.
    pub(crate) fn solid(&mut self, chunk: u32, t: [[f64; 3]; 3], color: [f32; 4], feature: u32) -> Result<(), String> {
        let normal = geometry::normal(t);
        let b = self.builder(chunk, 3)?;
        for p in t {
            b.grow(p);
            b.solids.push((p, normal, color, feature));
        }
        Ok(())
    }

    pub(crate) fn fill(&mut self, chunk: u32, t: [[f64; 3]; 3], color: [f32; 4], feature: u32) -> Result<(), String> {
        let b = self.builder(chunk, 3)?;
        for p in t {
            b.grow(p);
            b.fills.push((p, color, feature));
        }
        Ok(())
    }

    /// A polyline as segments.
    pub(crate) fn polyline(&mut self, chunk: u32, points: &[[f64; 3]], color: [f32; 4], feature: u32) -> Result<(), String> {
        let b = self.builder(chunk, points.len().saturating_mul(2))?;
        for pair in points.windows(2) {
            for &p in pair {
                b.grow(p);
                b.lines.push((p, color, feature));
            }
        }
        Ok(())
    }

    /// The chunks with content, and for each old index its new one.
    pub(crate) fn finish(self) -> (Vec<Chunk>, Vec<Option<u32>>) {
        let mut renumber = vec![None; self.chunks.len()];
        let mut chunks = Vec::new();
        for (i, b) in self.chunks.into_iter().enumerate() {
            let Some(b) = b else { continue };
            if b.solids.is_empty() && b.fills.is_empty() && b.lines.is_empty() {
                continue;
            }
            renumber[i] = Some(chunks.len() as u32);
            chunks.push(b.finish());
        }
        (chunks, renumber)
    }
}

impl ChunkBuilder {
    fn grow(&mut self, p: [f64; 3]) {
        self.min = [0, 1, 2].map(|k| self.min[k].min(p[k]));
        self.max = [0, 1, 2].map(|k| self.max[k].max(p[k]));
    }

    fn finish(self) -> Chunk {
        let o = self.origin;
        let local = |p: [f64; 3]| [(p[0] - o[0]) as f32, (p[1] - o[1]) as f32, (p[2] - o[2]) as f32];
        let mut solids = Triangles::default();
        let mut tops = Triangles::default();
        for triangle in self.solids.chunks_exact(3) {
            // Facing up: within 60° of the vertical.
            let up = triangle[0].1[2] > 0.5;
            for set in if up {
                [Some(&mut solids), Some(&mut tops)]
            } else {
                [Some(&mut solids), None]
            }
            .into_iter()
            .flatten()
            {
                for &(p, n, c, _) in triangle {
                    set.indices.push(set.positions.len() as u32);
                    set.positions.push(local(p));
                    set.normals.push(n.map(|v| v as f32));
                    set.colors.push(c);
                }
                set.triangle_feature.push(triangle[0].3);
            }
        }
        let mut fills = Triangles::default();
        for (i, (p, c, f)) in self.fills.into_iter().enumerate() {
            fills.positions.push(local(p));
            fills.normals.push([0.0, 0.0, 1.0]);
            fills.colors.push(c);
            fills.indices.push(i as u32);
            if i % 3 == 0 {
                fills.triangle_feature.push(f);
            }
        }
        let mut lines = Lines::default();
        for (i, (p, c, f)) in self.lines.into_iter().enumerate() {
            lines.positions.push(local(p));
            lines.colors.push(c);
            if i % 2 == 0 {
                lines.segment_feature.push(f);
            }
        }
        Chunk {
            origin: o,
            solids,
            tops,
            fills,
            lines,
            min: self.min,
            max: self.max,
        }
    }
}

/// Feature infos pointed at the chunks that were kept.
pub(crate) fn renumber_features(features: &mut [FeatureInfo], renumber: &[Option<u32>]) {
    for f in features {
        f.chunk = renumber.get(f.chunk as usize).copied().flatten().unwrap_or(u32::MAX);
    }
}

#[cfg(test)]
mod tests;
