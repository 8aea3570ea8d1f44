//! Heights of what the viewer shows, as the height functions figures are
//! computed over: a vertical ray cast down onto the meshes of one layer
//! (terrain chunks, models, 3D Tiles, generated parts), of every layer (the
//! ground), or onto a flood's water.

use std::cell::RefCell;
use std::collections::HashMap;

use bevy::picking::mesh_picking::ray_cast::{MeshRayCast, MeshRayCastSettings, RayCastVisibility};
use bevy::prelude::*;
use sontinh_geo::{EnuFrame, Geodetic};
use sontinh_layers::FloatingOrigin;

/// Rays start this far above the scene's origin height, m.
const RAY_TOP_M: f64 = 9_000.0;

/// Which meshes a surface is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Members {
    /// Every layer's meshes, not the water.
    Ground,
    /// One layer's (by index in the scene).
    Layer(usize),
    /// The flood overlay's water.
    Water,
}

/// Ray casts answering heights at WGS84 positions.
pub struct Heights<'r, 'w, 's> {
    pub ray_cast: RefCell<&'r mut MeshRayCast<'w, 's>>,
    pub frame: EnuFrame,
    pub origin: FloatingOrigin,
    /// Each mesh entity's layer (index in the scene).
    pub layer_of: HashMap<Entity, usize>,
    pub water: Vec<Entity>,
    /// The drawn points of the clouds.
    pub clouds: Option<CloudHeights>,
}

impl Heights<'_, '_, '_> {
    /// The clouds' height at `g` (m, the scene's vertical datum).
    pub fn cloud_height(&self, g: Geodetic) -> Option<f64> {
        let clouds = self.clouds.as_ref()?;
        let at = self.frame.geodetic_to_enu(Geodetic::new(g.lon_deg, g.lat_deg, 0.0));
        let up = clouds.height(at[0], at[1])?;
        Some(self.frame.enu_to_geodetic([at[0], at[1], up]).height_m)
    }

    /// The height (m, the scene's vertical datum) of the highest of `members`
    /// at `g`'s horizontal position, or `None` where it has none.
    pub fn height(&self, members: Members, g: Geodetic) -> Option<f64> {
        let at = self.frame.geodetic_to_enu(Geodetic::new(g.lon_deg, g.lat_deg, 0.0));
        let top = self.origin.to_world([at[0], at[1], RAY_TOP_M]);
        let filter = |e: Entity| match members {
            Members::Ground => self.layer_of.contains_key(&e),
            Members::Layer(index) => self.layer_of.get(&e) == Some(&index),
            Members::Water => self.water.contains(&e),
        };
        let settings = MeshRayCastSettings::default().with_visibility(RayCastVisibility::Visible).with_filter(&filter);
        let mut ray_cast = self.ray_cast.borrow_mut();
        let hit = ray_cast.cast_ray(Ray3d::new(top, Dir3::NEG_Y), &settings).first().map(|(_, hit)| hit.point)?;
        Some(self.frame.enu_to_geodetic(self.origin.to_enu(hit)).height_m)
    }
}

/// The highest drawn point of the clouds in each square cell, as a surface
/// (a cloud has no triangles for a ray to meet).
pub struct CloudHeights {
    cell_m: f64,
    top: HashMap<(i64, i64), f64>,
}

/// Cells of a cloud surface, m: finer than LiDAR's usual spacing leaves holes.
pub const CLOUD_CELL_M: f64 = 1.0;

impl CloudHeights {
    /// From scene ENU points; `None` without any.
    pub fn from_points(points: impl Iterator<Item = [f64; 3]>, cell_m: f64) -> Option<CloudHeights> {
        let mut top: HashMap<(i64, i64), f64> = HashMap::new();
        for p in points.filter(|p| p.iter().all(|v| v.is_finite())) {
            let key = ((p[0] / cell_m).floor() as i64, (p[1] / cell_m).floor() as i64);
            let h = top.entry(key).or_insert(f64::NEG_INFINITY);
            *h = h.max(p[2]);
        }
        (!top.is_empty()).then_some(CloudHeights { cell_m, top })
    }

    /// The highest point's up coordinate in the cell of (east, north).
    pub fn height(&self, east: f64, north: f64) -> Option<f64> {
        self.top.get(&((east / self.cell_m).floor() as i64, (north / self.cell_m).floor() as i64)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cloud_cell_stands_at_its_highest_point() {
        let points = [[0.2, 0.3, 1.0], [0.9, 0.1, 4.5], [1.5, 0.5, 2.0], [-0.5, -0.5, 7.0], [f64::NAN, 0.0, 99.0]];
        let c = CloudHeights::from_points(points.into_iter(), 1.0).unwrap();
        assert_eq!(c.height(0.5, 0.5), Some(4.5));
        assert_eq!(c.height(1.01, 0.99), Some(2.0));
        assert_eq!(c.height(-0.01, -0.99), Some(7.0));
        assert_eq!(c.height(5.0, 5.0), None);
        assert!(CloudHeights::from_points(std::iter::empty(), 1.0).is_none());
    }
}
