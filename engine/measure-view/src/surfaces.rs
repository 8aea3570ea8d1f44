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
}

impl Heights<'_, '_, '_> {
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
