//! Narration files: the captions (WebVTT) and audio (Ogg Vorbis) of the
//! active tour's stops in the visitor's language, read natively from disk and
//! fetched in the page, checked before use; and the one audio player that
//! speaks the current stop, kept in step with the tour's clock.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bevy::audio::{AudioPlayer, AudioSink, AudioSinkPlayback, AudioSource, PlaybackMode, PlaybackSettings, Volume};
use bevy::prelude::*;
use bevy::tasks::{IoTaskPool, Task, futures::check_ready};
use sontinh_layers::ActiveScene;
use sontinh_tour::Captions;

use crate::{ActiveTour, TourSettings};

/// Narration files are small: anything larger is refused before it is decoded.
const MAX_AUDIO_BYTES: usize = 32 << 20;

enum Entry {
    Loading(Task<Result<Vec<u8>, String>>),
    Captions(Captions),
    Audio(Handle<AudioSource>),
    Failed(String),
}

/// Narration files read so far, by resolved path.
#[derive(Resource, Default)]
pub struct NarrationMedia {
    entries: HashMap<PathBuf, Entry>,
}

impl NarrationMedia {
    pub fn captions(&self, path: &Path) -> Option<&Captions> {
        match self.entries.get(path) {
            Some(Entry::Captions(c)) => Some(c),
            _ => None,
        }
    }

    pub fn audio(&self, path: &Path) -> Option<Handle<AudioSource>> {
        match self.entries.get(path) {
            Some(Entry::Audio(h)) => Some(h.clone()),
            _ => None,
        }
    }

    /// Why files could not be used, sorted.
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .entries
            .values()
            .filter_map(|e| match e {
                Entry::Failed(why) => Some(why.clone()),
                _ => None,
            })
            .collect();
        out.sort();
        out
    }
}

fn is_captions(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("vtt"))
}

/// Reads a narration file's bytes into what the player uses, or says why not.
fn decode(path: &Path, bytes: Vec<u8>) -> Result<Result<Captions, AudioSource>, String> {
    let name = path.display();
    if is_captions(path) {
        let text = String::from_utf8(bytes).map_err(|_| format!("{name}: captions are not UTF-8 text"))?;
        return sontinh_tour::vtt::parse(&text).map(Ok).map_err(|e| format!("{name}: {e}"));
    }
    if bytes.len() > MAX_AUDIO_BYTES {
        return Err(format!(
            "{name}: {} bytes; narration audio is at most {MAX_AUDIO_BYTES} bytes",
            bytes.len()
        ));
    }
    // Bevy's decoder panics on what it cannot read: the Vorbis headers are
    // read here first, so a broken file is a message, not a crash.
    lewton::inside_ogg::OggStreamReader::new(std::io::Cursor::new(&bytes)).map_err(|e| format!("{name}: not Ogg Vorbis audio: {e}"))?;
    Ok(Err(AudioSource { bytes: bytes.into() }))
}

/// Starts reading the active tour's narration in the visitor's language and
/// takes in what has arrived.
pub(crate) fn load_narration(
    scene: Option<Res<ActiveScene>>,
    active: Res<ActiveTour>,
    settings: Res<TourSettings>,
    mut media: ResMut<NarrationMedia>,
    mut sources: ResMut<Assets<AudioSource>>,
) {
    if let (Some(scene), Some(playing)) = (scene, active.0.as_ref())
        && let Some(tour) = scene.0.tours.get(playing.tour)
    {
        let pool = IoTaskPool::get();
        for narration in tour.stops.iter().filter_map(|s| s.narration.as_ref()) {
            for path in [narration.captions.get(settings.lang), narration.audio.get(settings.lang)] {
                if !media.entries.contains_key(path) {
                    let file = path.clone();
                    let task = pool.spawn(async move { sontinh_layers::file_bytes(&file).await });
                    media.entries.insert(path.clone(), Entry::Loading(task));
                }
            }
        }
    }
    for (path, entry) in media.entries.iter_mut() {
        let Entry::Loading(task) = entry else { continue };
        let Some(result) = check_ready(task) else { continue };
        *entry = match result.and_then(|bytes| decode(path, bytes)) {
            Ok(Ok(captions)) => Entry::Captions(captions),
            Ok(Err(audio)) => Entry::Audio(sources.add(audio)),
            Err(why) => {
                warn!("{why}");
                Entry::Failed(why)
            }
        };
    }
}

/// The entity speaking the current stop's narration.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct NarrationAudio {
    pub tour: usize,
    pub stop: usize,
    pub path: PathBuf,
    /// The path as the scene file writes it.
    pub written: String,
}

/// One narration plays: the current stop's, in the visitor's language, from
/// the tour's clock; paused with the tour, at the visitor's volume. Another
/// stop or language replaces it.
pub(crate) fn sync_audio(
    mut commands: Commands,
    scene: Option<Res<ActiveScene>>,
    active: Res<ActiveTour>,
    settings: Res<TourSettings>,
    media: Res<NarrationMedia>,
    mut playing_audio: Query<(Entity, &NarrationAudio, Option<&mut AudioSink>)>,
) {
    let wanted = scene.zip(active.0.as_ref()).and_then(|(scene, playing)| {
        let sample = playing.player.sample()?;
        let narration = scene.0.tours.get(playing.tour)?.stops.get(sample.stop)?.narration.as_ref()?;
        let path = narration.audio.get(settings.lang);
        let handle = media.audio(path)?;
        let length = media.captions(narration.captions.get(settings.lang)).map_or(f64::MAX, |c| c.end());
        // Past its end (a language switch late in a stop), nothing is started.
        (sample.since_start < length).then(|| {
            let audio = NarrationAudio {
                tour: playing.tour,
                stop: sample.stop,
                path: path.clone(),
                written: narration.written.get(settings.lang).0.clone(),
            };
            (audio, handle, sample.since_start, playing.player.playing)
        })
    });
    let volume = Volume::Linear(settings.volume.clamp(0.0, 1.0));
    let mut kept = false;
    for (entity, audio, sink) in &mut playing_audio {
        match &wanted {
            Some((want, _, _, playing)) if want == audio && !kept => {
                kept = true;
                if let Some(mut sink) = sink {
                    if *playing && sink.is_paused() {
                        sink.play();
                    } else if !*playing && !sink.is_paused() {
                        sink.pause();
                    }
                    if sink.volume() != volume {
                        sink.set_volume(volume);
                    }
                }
            }
            _ => commands.entity(entity).despawn(),
        }
    }
    if let (false, Some((audio, handle, since, playing))) = (kept, wanted) {
        // Started late (the file arrived after the stop began, or the language
        // changed mid-stop): begin where the tour's clock is.
        let start_position = (since > 0.25).then(|| Duration::from_secs_f64(since));
        commands.spawn((
            Name::new(format!("narration {}", audio.written)),
            audio,
            AudioPlayer(handle),
            PlaybackSettings {
                mode: PlaybackMode::Remove,
                volume,
                paused: !playing,
                start_position,
                ..PlaybackSettings::ONCE
            },
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_narration_files_are_refused_with_their_name() {
        let err = decode(Path::new("a.vi.ogg"), b"OggS but not really".to_vec()).unwrap_err();
        assert!(err.starts_with("a.vi.ogg: not Ogg Vorbis audio"), "{err}");
        let err = decode(Path::new("a.vi.vtt"), b"WEBVTT\n\n00:02.000 --> 00:01.000\nx\n".to_vec()).unwrap_err();
        assert!(err.starts_with("a.vi.vtt: line 3: the cue ends"), "{err}");
        let err = decode(Path::new("a.vi.vtt"), vec![0xff, 0xfe]).unwrap_err();
        assert!(err.contains("not UTF-8"), "{err}");
    }
}
