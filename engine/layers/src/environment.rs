//! Sky, sun, ambient light and haze for an outdoor site in central Vietnam.
//!
//! Every backend gets the same sky: a gradient cubemap made in code (deep
//! blue overhead, pale haze at the horizon, a glow around the sun, the
//! land's colour below) drawn as the camera's skybox and lighting the scene
//! as its environment map, so water and glossy surfaces mirror it with
//! Fresnel's rise at grazing angles on WebGL2 too; distance fog of the
//! horizon's colour hazes what is far. The sun casts cascaded shadows
//! ([`Quality`] sets their map and reach). Natively, at high quality,
//! cameras also get screen-space ambient occlusion (Bevy has it neither on
//! WebGL2 nor on WebGPU) — not in point-cloud scenes, whose eye-dome
//! lighting does that work. Bevy's `Atmosphere` (compute shaders, not on
//! WebGL2) is not used: its look would differ by backend, and its cost
//! would fall on the phones that `low` is for.

use bevy::asset::RenderAssetUsages;
use bevy::light::{CascadeShadowConfigBuilder, DirectionalLightShadowMap, GlobalAmbientLight, Skybox, light_consts};
use bevy::pbr::ScreenSpaceAmbientOcclusion;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat, TextureViewDescriptor, TextureViewDimension};

use crate::{ActiveScene, Quality};

/// Lights the site and dresses each 3D camera with the sky. Cameras that
/// should see haze get it from [`site_fog`].
pub struct EnvironmentPlugin;

/// The sky's colour at the horizon, which haze fades to.
pub const HORIZON: Color = Color::srgb(0.76, 0.83, 0.90);
const ZENITH: Color = Color::srgb(0.24, 0.45, 0.78);
/// Below the horizon the sky map shows (and lights from) the land.
const LAND: Color = Color::srgb(0.30, 0.34, 0.24);
/// Where the sun stands: mid-morning, east-south-east, 35° up (render axes: x east, y up, z south).
const SUN_FROM: Vec3 = Vec3::new(600.0, 700.0, 250.0);
/// Brightness of the skybox and the environment map (cd/m², for the
/// camera's default exposure).
const SKY_BRIGHTNESS: f32 = 1000.0;
const ENVIRONMENT_INTENSITY: f32 = 900.0;

/// The sky map, made once.
#[derive(Resource, Clone)]
pub struct SkyMap(pub Handle<Image>);

impl Plugin for EnvironmentPlugin {
    fn build(&self, app: &mut App) {
        if !app.world().contains_resource::<Quality>() {
            app.insert_resource(Quality::process_default());
        }
        app.insert_resource(ClearColor(HORIZON))
            .insert_resource(GlobalAmbientLight {
                color: Color::srgb(0.85, 0.9, 1.0),
                brightness: 120.0,
                ..default()
            })
            .add_systems(Startup, (make_sky, spawn_sun))
            .add_systems(Update, (dress_cameras, follow_quality));
    }
}

fn make_sky(mut commands: Commands, mut images: ResMut<Assets<Image>>) {
    commands.insert_resource(SkyMap(images.add(sky_cubemap(32))));
}

fn spawn_sun(mut commands: Commands, quality: Option<Res<Quality>>) {
    let settings = quality.as_deref().copied().unwrap_or_default().settings();
    commands.insert_resource(DirectionalLightShadowMap { size: settings.shadow_map_size });
    commands.spawn((
        Name::new("sun"),
        DirectionalLight {
            illuminance: light_consts::lux::AMBIENT_DAYLIGHT * 0.9,
            color: Color::srgb(1.0, 0.96, 0.9),
            shadow_maps_enabled: true,
            ..default()
        },
        sun_cascades(settings.shadow_cascades, settings.shadow_distance_m),
        Transform::from_translation(SUN_FROM).looking_at(Vec3::ZERO, Vec3::Y),
    ));
}

fn sun_cascades(cascades: usize, distance: f32) -> bevy::light::CascadeShadowConfig {
    CascadeShadowConfigBuilder {
        num_cascades: cascades,
        // Eye level sees its own shadows sharp; the overview sees the walls'.
        first_cascade_far_bound: if cascades > 1 { 120.0 } else { distance },
        maximum_distance: distance,
        ..default()
    }
    .build()
}

/// A quality changed at run time (the page's menu, a test) reaches the sun
/// and the cameras dressed from then on.
fn follow_quality(quality: Option<Res<Quality>>, mut map: ResMut<DirectionalLightShadowMap>, mut suns: Query<&mut bevy::light::CascadeShadowConfig, With<DirectionalLight>>) {
    let Some(quality) = quality.filter(|q| q.is_changed()) else { return };
    let settings = quality.settings();
    if map.size != settings.shadow_map_size {
        map.size = settings.shadow_map_size;
    }
    for mut config in &mut suns {
        *config = sun_cascades(settings.shadow_cascades, settings.shadow_distance_m);
    }
}

/// Gives each new 3D camera the sky, its light, and what the quality allows.
fn dress_cameras(
    mut commands: Commands,
    cameras: Query<(Entity, Option<&Msaa>), Added<Camera3d>>,
    sky: Option<Res<SkyMap>>,
    quality: Option<Res<Quality>>,
    scene: Option<Res<ActiveScene>>,
) {
    let Some(sky) = sky else { return };
    let settings = quality.as_deref().copied().unwrap_or_default().settings();
    let point_clouds = scene.is_some_and(|s| s.0.layers.iter().any(|l| l.kind == sontinh_scene::LayerKind::PointCloud));
    for (camera, msaa) in &cameras {
        let mut e = commands.entity(camera);
        e.insert((
            Skybox {
                image: Some(sky.0.clone()),
                brightness: SKY_BRIGHTNESS,
                ..default()
            },
            EnvironmentMapLight {
                diffuse_map: sky.0.clone(),
                specular_map: sky.0.clone(),
                intensity: ENVIRONMENT_INTENSITY,
                ..default()
            },
        ));
        // Point-cloud cameras keep the single sample their eye-dome lighting needs.
        if msaa == Some(&Msaa::Off) || point_clouds {
            continue;
        }
        if settings.ambient_occlusion {
            e.insert((Msaa::Off, ScreenSpaceAmbientOcclusion::default()));
        } else {
            e.insert(if settings.msaa_samples >= 4 { Msaa::Sample4 } else { Msaa::Off });
        }
    }
}

/// The sky seen in direction `d` (render axes, unit), linear RGB.
pub fn sky_colour(d: Vec3) -> Vec3 {
    let lin = |c: Color| Vec3::from_slice(&c.to_linear().to_f32_array()[..3]);
    let up = d.y;
    let sky = if up >= 0.0 {
        // Haze thins quickly above the horizon.
        let t = (1.0 - up).powf(4.0);
        lin(ZENITH).lerp(lin(HORIZON), t)
    } else {
        lin(HORIZON).lerp(lin(LAND), (-up * 6.0).min(1.0))
    };
    let sun = SUN_FROM.normalize();
    let glow = d.dot(sun).max(0.0).powf(24.0) * 0.6 + d.dot(sun).max(0.0).powf(400.0) * 4.0;
    sky + Vec3::new(1.0, 0.95, 0.85) * glow
}

/// A `side`² cubemap of [`sky_colour`] (half floats: the sun's glow passes 1).
pub fn sky_cubemap(side: u32) -> Image {
    let mut data = Vec::with_capacity((side * side * 6 * 8) as usize);
    for face in 0..6 {
        for y in 0..side {
            for x in 0..side {
                let (u, v) = ((x as f32 + 0.5) / side as f32 * 2.0 - 1.0, (y as f32 + 0.5) / side as f32 * 2.0 - 1.0);
                // Cube face directions as wgpu lays them out (+x, −x, +y, −y, +z, −z).
                let d = match face {
                    0 => Vec3::new(1.0, -v, -u),
                    1 => Vec3::new(-1.0, -v, u),
                    2 => Vec3::new(u, 1.0, v),
                    3 => Vec3::new(u, -1.0, -v),
                    4 => Vec3::new(u, -v, 1.0),
                    _ => Vec3::new(-u, -v, -1.0),
                }
                .normalize();
                let c = sky_colour(d);
                for k in [c.x, c.y, c.z, 1.0] {
                    data.extend_from_slice(&half_bits(k).to_le_bytes());
                }
            }
        }
    }
    let mut image = Image::new(
        Extent3d {
            width: side,
            height: side,
            depth_or_array_layers: 6,
        },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba16Float,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.texture_view_descriptor = Some(TextureViewDescriptor {
        dimension: Some(TextureViewDimension::Cube),
        ..default()
    });
    image
}

/// An f32 as IEEE half-float bits (finite, positive values of a sky).
fn half_bits(v: f32) -> u16 {
    let v = v.clamp(0.0, 65_000.0);
    if v < 6.1e-5 {
        return (v / 5.96e-8).round() as u16;
    }
    let bits = v.to_bits();
    let exp = ((bits >> 23) & 0xff) as i32 - 127 + 15;
    let mant = (bits >> 13) & 0x3ff;
    ((exp as u32) << 10 | mant) as u16
}

/// Aerial perspective over kilometres of humid lowland; a view of a wider
/// site (`view_distance_m` from eye to target) sees proportionally farther.
pub fn site_fog(view_distance_m: f32) -> DistanceFog {
    let visibility = (view_distance_m * 6.0).max(12_000.0);
    DistanceFog {
        color: HORIZON,
        falloff: FogFalloff::from_visibility_colors(visibility, Color::srgb(0.60, 0.68, 0.78), HORIZON),
        ..default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sky_is_deep_overhead_pale_at_the_horizon_and_land_below() {
        let zenith = sky_colour(Vec3::Y);
        let horizon = sky_colour(Vec3::new(-1.0, 0.01, 0.0).normalize());
        let below = sky_colour(Vec3::new(-1.0, -0.5, 0.0).normalize());
        assert!(zenith.z > zenith.x * 2.0, "blue overhead {zenith}");
        assert!(horizon.x > zenith.x && horizon.y > zenith.y, "paler at the horizon {horizon}");
        assert!(below.y > below.z, "land below {below}");
        assert!(sky_colour(SUN_FROM.normalize()).x > 2.0, "the sun glows");
        let map = sky_cubemap(8);
        assert_eq!(map.data.as_ref().map(Vec::len), Some(8 * 8 * 6 * 8));
        for v in [0.0f32, 0.5, 1.0, 2.75, 1000.0] {
            let h = half_bits(v);
            let (e, m) = (i32::from(h >> 10), f32::from(h & 0x3ff));
            let back = if e == 0 { m * 5.96e-8 } else { (1.0 + m / 1024.0) * 2f32.powi(e - 15) };
            assert!((back - v).abs() <= v * 1e-3 + 1e-6, "{v} → {back}");
        }
    }
}
