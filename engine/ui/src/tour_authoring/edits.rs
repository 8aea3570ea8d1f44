//! The authoring window's edits as data, replayed on the scene file's text,
//! the camera's view as a stop holds it, and saving: natively into the file
//! (checked first), in the browser as a download.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use sontinh_camera::CameraRig;
use sontinh_geo::EnuFrame;
use sontinh_layers::FloatingOrigin;
use sontinh_scene::{Coords, HotspotDraft, PathResolver, Scene, StopDraft, Text, TourEditError, View};

/// One edit of the window, replayed on the scene file's text.
#[derive(Clone, Debug, PartialEq)]
pub enum TourEdit {
    AddStop {
        tour: String,
        at: usize,
        draft: StopDraft,
        coords: Coords,
    },
    MoveStop {
        tour: String,
        from: usize,
        to: usize,
    },
    RemoveStop {
        tour: String,
        index: usize,
    },
    StopTexts {
        tour: String,
        index: usize,
        title: Option<Text>,
        text: Text,
    },
    AddHotspot {
        draft: HotspotDraft,
        coords: Coords,
    },
    HotspotTexts {
        id: String,
        title: Text,
        article: Text,
    },
    ShowHotspot {
        tour: String,
        index: usize,
        id: String,
    },
}

impl TourEdit {
    /// `text` with this edit made.
    pub fn apply(&self, text: &str, frame: &EnuFrame) -> Result<String, TourEditError> {
        match self {
            TourEdit::AddStop { tour, at, draft, coords } => sontinh_scene::add_stop(text, tour, *at, draft, frame, *coords),
            TourEdit::MoveStop { tour, from, to } => sontinh_scene::move_stop(text, tour, *from, *to),
            TourEdit::RemoveStop { tour, index } => sontinh_scene::remove_stop(text, tour, *index),
            TourEdit::StopTexts {
                tour,
                index,
                title,
                text: body,
            } => sontinh_scene::set_stop_texts(text, tour, *index, title.as_ref(), body),
            TourEdit::AddHotspot { draft, coords } => sontinh_scene::add_hotspot(text, draft, frame, *coords),
            TourEdit::HotspotTexts { id, title, article } => sontinh_scene::set_hotspot_texts(text, id, title, article),
            TourEdit::ShowHotspot { tour, index, id } => sontinh_scene::show_hotspot_at_stop(text, tour, *index, id),
        }
    }
}

/// `edits` made on `text` in turn; the first refusal stops them.
pub fn replay(text: &str, frame: &EnuFrame, edits: &[TourEdit]) -> Result<String, TourEditError> {
    edits.iter().try_fold(text.to_owned(), |t, e| e.apply(&t, frame))
}

/// The camera's view in scene ENU, as a stop would hold it.
pub fn camera_view(rig: &CameraRig, projection: &Projection, origin: &FloatingOrigin) -> View {
    let pose = rig.pose();
    let fov = match projection {
        Projection::Perspective(p) => p.fov,
        _ => sontinh_camera::rig::DEFAULT_FOV,
    };
    View {
        eye: origin.to_enu(pose.eye),
        target: origin.to_enu(pose.target),
        fov_deg: f64::from(fov.to_degrees()),
    }
}

/// For listing what the working copy holds: files are not looked for.
pub(super) struct AnyPath;

impl PathResolver for AnyPath {
    fn resolve(&self, path: &str) -> Result<PathBuf, String> {
        Ok(PathBuf::from(path))
    }
}

/// Writes the edited scene: natively into its file (checked by loading it
/// first, so a scene that would not load is never written) and gives the
/// scene as loaded; in the browser the file is downloaded and the text parsed
/// as the page parses scenes. The answer: where it went, the text, the scene.
pub(super) fn save(source: &Path, base: &str, edits: &[TourEdit], frame: &EnuFrame) -> Result<(String, String, Scene), String> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        // Replayed on the file as it is now: another window may have saved since.
        let now = std::fs::read_to_string(source).map_err(|e| format!("{}: {e}", source.display()))?;
        let text = replay(&now, frame, edits).map_err(|e| e.to_string())?;
        let _ = base;
        let dir = source.parent().unwrap_or(Path::new("."));
        let name = source.file_name().and_then(|n| n.to_str()).unwrap_or("scene.toml");
        let check = dir.join(format!(".{name}.saving"));
        std::fs::write(&check, &text).map_err(|e| format!("{}: {e}", check.display()))?;
        let mut scene = match sontinh_scene::load(&check) {
            Ok(scene) => scene,
            Err(e) => {
                let _ = std::fs::remove_file(&check);
                return Err(format!("the edited scene would not load: {e}"));
            }
        };
        std::fs::rename(&check, source).map_err(|e| format!("{}: {e}", source.display()))?;
        scene.source = source.to_owned();
        Ok((source.display().to_string(), text, scene))
    }
    #[cfg(target_arch = "wasm32")]
    {
        let text = replay(base, frame, edits).map_err(|e| e.to_string())?;
        let url = source.to_string_lossy().into_owned();
        let scene = sontinh_scene::parse(&text, source, &sontinh_scene::SiteResolver::new(url))
            .map_err(|e| format!("the edited scene would not load: {e}"))?;
        let name = source.file_name().and_then(|n| n.to_str()).unwrap_or("scene.toml");
        let saved = sontinh_measure_view::deliver_file(name, text.as_bytes(), "application/toml")?;
        Ok((saved, text, scene))
    }
}
