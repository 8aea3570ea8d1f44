//! The kept measurements written into the scene file (natively in place;
//! in the browser the edited file is offered as a download, as the page
//! cannot write the site's files) and exported as GeoJSON and CSV (saved in
//! the temporary folder natively, downloaded in the page).

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use sontinh_measure::{Exported, Figures};
use sontinh_scene::Measurement;

use crate::{MeasureAction, Measuring};

/// How the last save or export went: where the file is, or why it failed.
#[derive(Resource, Clone, Debug, Default, Deref)]
pub struct FileOutcome(pub sontinh_layers::SharedOutcome);

/// Hands a file to the user: natively it is written to the temporary
/// folder (the answer is its path); in the page it is downloaded.
pub fn deliver_file(name: &str, bytes: &[u8], mime: &str) -> Result<String, String> {
    if cfg!(target_arch = "wasm32") {
        sontinh_layers::offer_download(name, bytes, mime).map(|()| name.to_owned())
    } else {
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path.display().to_string())
    }
}

pub(crate) fn export(m: &Measuring, action: &MeasureAction, outcome: &mut FileOutcome) {
    let Some(scene) = m.scene.as_ref() else {
        outcome.set(Err("no scene is shown".into()));
        return;
    };
    let frame = scene.frame;
    let geodetic = |points: &[[f64; 3]]| points.iter().map(|p| frame.enu_to_geodetic(*p)).collect::<Vec<_>>();
    let kept_points: Vec<_> = m.kept.iter().map(|k| geodetic(&k.points)).collect();
    let placing_points = m.editor.as_ref().map(|e| geodetic(e.points())).unwrap_or_default();
    let placing_figures = m.figures.as_ref().and_then(|f| f.as_ref().ok());
    let mut items: Vec<Exported> = m
        .kept
        .iter()
        .zip(&kept_points)
        .zip(&m.kept_figures)
        .map(|((k, points), figures): ((&Measurement, _), &Option<Figures>)| Exported { id: &k.id, name_vi: &k.name.vi, name_en: &k.name.en, tool: k.tool, points, figures: figures.as_ref() })
        .collect();
    if let Some(editor) = m.editor.as_ref().filter(|e| !e.points().is_empty() && m.editing.is_none()) {
        items.push(Exported { id: "unsaved", name_vi: "Chưa lưu", name_en: "Unsaved", tool: editor.tool(), points: &placing_points, figures: placing_figures });
    }
    let stem = format!("sontinh-{}-measurements", scene.id);
    let result = match action {
        MeasureAction::ExportGeoJson => deliver_file(&format!("{stem}.geojson"), sontinh_measure::geojson(&items).as_bytes(), "application/geo+json"),
        MeasureAction::ExportCsv => deliver_file(&format!("{stem}.csv"), sontinh_measure::csv(&items).as_bytes(), "text/csv"),
        _ => match placing_figures {
            Some(Figures::Profile { layers, samples, .. }) => deliver_file(&format!("sontinh-{}-profile.csv", scene.id), sontinh_measure::profile_csv(layers, samples).as_bytes(), "text/csv"),
            _ => Err("no profile is shown".into()),
        },
    };
    outcome.set(result);
}

/// A scene file being rewritten.
#[derive(Component)]
pub(crate) struct SavingScene(Task<Result<String, String>>);

pub(crate) fn save_scene(m: &mut Measuring, commands: &mut Commands, outcome: &mut FileOutcome) {
    let Some(scene) = m.scene.clone() else {
        outcome.set(Err("no scene is shown".into()));
        return;
    };
    let kept = m.kept.clone();
    m.unsaved = false;
    let task = AsyncComputeTaskPool::get().spawn(async move {
        let bytes = sontinh_layers::file_bytes(&scene.source).await?;
        let text = String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", scene.source.display()))?;
        let edited = sontinh_scene::with_measurements(&text, &scene.frame, &kept).map_err(|e| e.to_string())?;
        write_scene(&scene.source, &edited)
    });
    outcome.set(Ok(String::new()));
    commands.spawn(SavingScene(task));
}

#[cfg(not(target_arch = "wasm32"))]
fn write_scene(path: &std::path::Path, text: &str) -> Result<String, String> {
    // Checked before it replaces the file: a scene that would not load is never written.
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let check = dir.join(format!(".{}.saving", path.file_name().and_then(|n| n.to_str()).unwrap_or("scene.toml")));
    std::fs::write(&check, text).map_err(|e| format!("{}: {e}", check.display()))?;
    if let Err(e) = sontinh_scene::load(&check) {
        let _ = std::fs::remove_file(&check);
        return Err(format!("the edited scene would not load: {e}"));
    }
    std::fs::rename(&check, path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path.display().to_string())
}

#[cfg(target_arch = "wasm32")]
fn write_scene(path: &std::path::Path, text: &str) -> Result<String, String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("scene.toml");
    deliver_file(name, text.as_bytes(), "application/toml")
}

pub(crate) fn finish_saving(mut commands: Commands, mut saving: Query<(Entity, &mut SavingScene)>, outcome: Res<FileOutcome>, mut measuring: ResMut<Measuring>) {
    for (entity, mut task) in &mut saving {
        if let Some(result) = check_ready(&mut task.0) {
            if result.is_err() {
                measuring.unsaved = true;
            }
            outcome.set(result);
            commands.entity(entity).despawn();
        }
    }
}
