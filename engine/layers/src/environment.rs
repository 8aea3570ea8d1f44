//! Sky, sun, ambient light and haze for an outdoor site in central Vietnam.

use bevy::light::{CascadeShadowConfigBuilder, GlobalAmbientLight, light_consts};
use bevy::prelude::*;

/// Lights the site. Cameras that should see haze get it from [`site_fog`].
pub struct EnvironmentPlugin;

pub const SKY: Color = Color::srgb(0.62, 0.76, 0.90);

impl Plugin for EnvironmentPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(ClearColor(SKY))
            .insert_resource(GlobalAmbientLight {
                color: Color::srgb(0.85, 0.9, 1.0),
                brightness: 700.0,
                ..default()
            })
            .add_systems(Startup, spawn_sun);
    }
}

fn spawn_sun(mut commands: Commands) {
    commands.spawn((
        Name::new("sun"),
        DirectionalLight {
            illuminance: light_consts::lux::AMBIENT_DAYLIGHT * 0.6,
            shadow_maps_enabled: true,
            ..default()
        },
        CascadeShadowConfigBuilder {
            first_cascade_far_bound: 400.0,
            maximum_distance: 4000.0,
            ..default()
        }
        .build(),
        // Mid-morning sun from the east-south-east.
        Transform::from_xyz(600.0, 700.0, 250.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
}

/// Aerial perspective over kilometres of humid lowland; a view of a wider
/// site (`view_distance_m` from eye to target) sees proportionally farther.
pub fn site_fog(view_distance_m: f32) -> DistanceFog {
    let visibility = (view_distance_m * 6.0).max(15_000.0);
    DistanceFog {
        color: Color::srgba(0.70, 0.78, 0.86, 1.0),
        falloff: FogFalloff::from_visibility_colors(visibility, Color::srgb(0.55, 0.62, 0.70), Color::srgb(0.80, 0.86, 0.92)),
        ..default()
    }
}
