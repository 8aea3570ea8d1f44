//! A camera's live video in the viewer: the camera selected in the panel,
//! when its role may watch it, is streamed by the platform's transport
//! into a [`sontinh_feeds::VideoSlot`]; its newest frame becomes a texture
//! shown in the panel and on the camera's billboard. Watching another
//! camera (or none) drops the slot, which stops the old stream.

use bevy::prelude::*;
use sontinh_feeds::SharedVideo;

use crate::{Billboard, FeedMarkers, FeedView, SelectedCamera, decode_snapshot};

/// The gateway and token the feed was opened with, for the transports'
/// other requests (video). `Debug` leaves the token out.
#[derive(Resource, Clone)]
pub struct FeedCredentials {
    pub gateway: String,
    pub token: String,
}

impl std::fmt::Debug for FeedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedCredentials").field("gateway", &self.gateway).field("token", &"<redacted>").finish()
    }
}

/// The camera being watched live.
#[derive(Resource, Default, Debug)]
pub struct LiveVideo {
    /// The camera (device id) and the slot its stream fills.
    pub watching: Option<(String, SharedVideo)>,
    /// Bumped whenever the watched camera changes: the transport opens one
    /// stream per generation.
    pub generation: u64,
    /// The newest frame, as a texture.
    pub texture: Option<Handle<Image>>,
    /// Frames shown (older ones are skipped when frames come faster than the picture).
    pub frames_shown: u64,
    /// Why the stream ended, when it did.
    pub ended: Option<String>,
    seen_view_generation: u64,
}

impl LiveVideo {
    /// The watched camera's id.
    pub fn camera(&self) -> Option<&str> {
        self.watching.as_ref().map(|(id, _)| id.as_str())
    }
}

/// Follows the panel's selection: a camera with live video is watched.
pub(crate) fn follow_selected_camera(selected: Res<SelectedCamera>, view: Res<FeedView>, mut video: ResMut<LiveVideo>, mut images: ResMut<Assets<Image>>) {
    let wanted = {
        let client = view.lock();
        selected.0.and_then(|i| client.devices().get(i)).filter(|d| d.stream_path().is_some()).map(|d| d.id.clone())
    };
    let signed_out = video.seen_view_generation != view.generation;
    if wanted.as_deref() == video.camera() && !signed_out {
        return;
    }
    video.seen_view_generation = view.generation;
    if let Some(texture) = video.texture.take() {
        images.remove(&texture);
    }
    video.watching = wanted.map(|id| (id, SharedVideo::default()));
    video.generation = video.generation.wrapping_add(1);
    video.frames_shown = 0;
    video.ended = None;
}

/// Decodes the newest frame and puts it in the panel's texture and on the
/// watched camera's billboard.
pub(crate) fn show_video_frames(
    mut video: ResMut<LiveVideo>,
    view: Res<FeedView>,
    markers: Res<FeedMarkers>,
    mut images: ResMut<Assets<Image>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut boards: Query<&mut MeshMaterial3d<StandardMaterial>, With<Billboard>>,
) {
    let Some((camera, slot)) = video.watching.clone() else { return };
    let (frame, ended) = {
        let Ok(mut s) = slot.lock() else { return };
        let ended = s.ended.then(|| s.error.clone().unwrap_or_else(|| "the stream ended".to_owned()));
        (s.latest.take(), ended)
    };
    if video.ended != ended {
        video.ended = ended;
    }
    let Some(jpeg) = frame else { return };
    let image = match decode_snapshot(&jpeg) {
        Ok(image) => image,
        Err(e) => {
            warn!("camera {camera}: live frame: {e}");
            return;
        }
    };
    video.frames_shown += 1;
    let first = video.texture.is_none();
    let handle = match &video.texture {
        Some(handle) => {
            let _ = images.insert(handle.id(), image);
            handle.clone()
        }
        None => {
            let handle = images.add(image);
            video.texture = Some(handle.clone());
            handle
        }
    };
    if first {
        let index = view.lock().device_index(&camera);
        if let Some(board) = index.and_then(|i| markers.devices.get(i)).and_then(|m| m.extra)
            && let Ok(mut material) = boards.get_mut(board)
        {
            material.0 = materials.add(StandardMaterial {
                base_color_texture: Some(handle),
                unlit: true,
                fog_enabled: false,
                double_sided: true,
                cull_mode: None,
                ..default()
            });
        }
    }
}
