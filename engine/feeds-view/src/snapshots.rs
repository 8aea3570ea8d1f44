//! Camera snapshots on the twin: fetched images decoded into textures,
//! each camera's latest on its billboard (which turns to face the viewer),
//! and the placeholder card before the first.

use std::collections::HashMap;

use bevy::asset::RenderAssetUsages;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use sontinh_feeds::{DeviceKind, FeedClient};

use crate::{FeedMarkers, FeedTimeline, FeedView, video};

/// Decoded camera snapshots by address.
#[derive(Resource, Default, Debug)]
pub struct FeedImages {
    pub by_url: HashMap<String, Handle<Image>>,
    seen_version: u64,
    /// The [`FeedView::generation`] these came from.
    generation: u64,
}

/// Marks the snapshot billboards that turn to face the viewer.
#[derive(Component)]
pub struct Billboard;

/// The moment, image version, markers version and live-video generation the billboards show.
type BillboardsDrawn = (i64, u64, (u64, u64), u64);

/// Decodes newly fetched snapshots and puts each camera's latest on its billboard.
#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its queries
pub(crate) fn update_images(
    view: Res<FeedView>,
    timeline: Res<FeedTimeline>,
    mut images: ResMut<FeedImages>,
    mut image_assets: ResMut<Assets<Image>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    markers: Res<FeedMarkers>,
    mut boards: Query<&mut MeshMaterial3d<StandardMaterial>, With<Billboard>>,
    mut board_urls: Local<HashMap<Entity, String>>,
    mut drawn: Local<Option<BillboardsDrawn>>,
    video: Res<video::LiveVideo>,
) {
    let client = view.lock();
    if images.generation != view.generation {
        // Signed out: the earlier client's images are not this one's.
        for (_, handle) in images.by_url.drain() {
            image_assets.remove(&handle);
        }
        images.generation = view.generation;
        images.seen_version = u64::MAX;
    }
    let images_changed = images.seen_version != client.images_version();
    if images_changed {
        images.seen_version = client.images_version();
        let new: Vec<&str> = client.image_urls().filter(|u| !images.by_url.contains_key(*u)).collect();
        for url in new {
            let Some(bytes) = client.image(url) else { continue };
            match decode_snapshot(bytes) {
                Ok(image) => {
                    let handle = image_assets.add(image);
                    images.by_url.insert(url.to_owned(), handle);
                }
                Err(e) => warn!("camera snapshot {url}: {e}"),
            }
        }
    }
    let Some(now) = timeline.shown_ms(&client) else { return };
    // Billboards change only with the shown moment, new images, new markers
    // or another camera watched live (whose board goes back to its snapshot).
    let key = (now, images.seen_version, markers.version, video.generation);
    if drawn.is_some_and(|d| d.3 != video.generation) {
        board_urls.clear();
    }
    if *drawn == Some(key) {
        return;
    }
    *drawn = Some(key);
    for (i, device) in client.devices().iter().enumerate() {
        if !matches!(device.kind, DeviceKind::Camera { .. }) {
            continue;
        }
        // The watched camera's billboard shows its video once a frame came.
        if video.texture.is_some() && video.camera() == Some(device.id.as_str()) {
            continue;
        }
        let Some(board) = markers.devices.get(i).and_then(|m| m.extra) else { continue };
        let Some((url, texture)) = latest_snapshot_url(&client, i, now).and_then(|url| images.by_url.get(&url).cloned().map(|t| (url, t))) else {
            // No snapshot yet (or the live video just stopped): the placeholder card.
            if board_urls.get(&board).is_none_or(|u| !u.is_empty())
                && let (Some(mats), Ok(mut material)) = (&markers.materials, boards.get_mut(board))
            {
                material.0 = mats.billboard_blank.clone();
                board_urls.insert(board, String::new());
            }
            continue;
        };
        if board_urls.get(&board) == Some(&url) {
            continue;
        }
        if let Ok(mut material) = boards.get_mut(board) {
            material.0 = materials.add(StandardMaterial {
                base_color_texture: Some(texture.clone()),
                unlit: true,
                fog_enabled: false,
                double_sided: true,
                cull_mode: None,
                ..default()
            });
            board_urls.insert(board, url);
        }
    }
}

/// The newest snapshot address a camera reported at or before `time_ms`.
pub fn latest_snapshot_url(client: &FeedClient, device: usize, time_ms: i64) -> Option<String> {
    // From the newest back: the labels ask this for every camera each frame.
    client
        .history(device)
        .rev()
        .filter(|o| o.time_ms <= time_ms)
        .find_map(|o| o.reading.snapshot_url())
        .map(str::to_owned)
}

/// A JPEG or PNG snapshot as a texture, at most 1024 pixels wide.
pub fn decode_snapshot(bytes: &[u8]) -> Result<Image, String> {
    let decoded = image::load_from_memory(bytes).map_err(|e| format!("not a readable image: {e}"))?;
    let decoded = if decoded.width() > 1024 { decoded.resize(1024, 1024, image::imageops::FilterType::Triangle) } else { decoded };
    let rgba = decoded.to_rgba8();
    let (width, height) = rgba.dimensions();
    Ok(Image::new(
        Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        rgba.into_raw(),
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::MAIN_WORLD | RenderAssetUsages::RENDER_WORLD,
    ))
}

/// Snapshot billboards turn to face the viewer.
pub(crate) fn face_billboards(cameras: Query<&GlobalTransform, With<Camera3d>>, mut boards: Query<(&mut Transform, &GlobalTransform), With<Billboard>>) {
    let Some(eye) = cameras.iter().next().map(GlobalTransform::translation) else { return };
    for (mut t, global) in &mut boards {
        let at = global.translation();
        let away = at + (at - eye);
        let Some(dir) = (away - at).try_normalize() else { continue };
        // Local rotation only (the parent root is not rotated): +Z toward the viewer.
        let target = Transform::from_translation(Vec3::ZERO).looking_to(dir, Vec3::Y);
        t.rotation = target.rotation;
    }
}
