//! `scene check`'s look inside a scene's narration files: captions that
//! parse as WebVTT and audio that is an Ogg stream (the viewer reads the
//! Vorbis headers when it plays). Problems name the file, and the line for
//! captions.

use std::path::Path;

use sontinh_scene::Scene;

/// The narration files' problems, one line each; empty when all are usable.
pub fn check_narration(scene: &Scene, read: impl Fn(&Path) -> Result<Vec<u8>, String>) -> Vec<String> {
    let mut problems = Vec::new();
    for tour in &scene.tours {
        for (i, stop) in tour.stops.iter().enumerate() {
            let Some(narration) = &stop.narration else { continue };
            let what = format!("tour \"{}\" stop {}", tour.id, i + 1);
            for (lang, captions, audio) in [
                ("vi", &narration.captions.vi, &narration.audio.vi),
                ("en", &narration.captions.en, &narration.audio.en),
            ] {
                match read(captions).and_then(|bytes| String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())) {
                    Ok(text) => match crate::vtt::parse(&text) {
                        Ok(c) if c.cues.is_empty() => {
                            problems.push(format!("{}: {what} ({lang}): the captions have no cue", captions.display()))
                        }
                        Ok(_) => {}
                        Err(e) => problems.push(format!("{}: {e}", captions.display())),
                    },
                    Err(e) => problems.push(format!("{}: {what} ({lang}): {e}", captions.display())),
                }
                match read(audio) {
                    Ok(bytes) if bytes.starts_with(b"OggS") => {}
                    Ok(_) => problems.push(format!(
                        "{}: {what} ({lang}): not an Ogg file (narration is Ogg Vorbis)",
                        audio.display()
                    )),
                    Err(e) => problems.push(format!("{}: {what} ({lang}): {e}", audio.display())),
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn scene() -> Scene {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        sontinh_scene::load(&root.join("scenes/quang-tri-citadel.toml")).expect("the Citadel scene loads")
    }

    #[test]
    fn the_shipped_narration_is_usable() {
        let problems = check_narration(&scene(), |p| std::fs::read(p).map_err(|e| e.to_string()));
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn broken_captions_and_audio_are_named() {
        let scene = scene();
        let first: PathBuf = scene.tours[0].stops[0].narration.as_ref().unwrap().captions.vi.clone();
        let problems = check_narration(&scene, |p| {
            if p == first {
                Ok(b"WEBVTT\n\n00:03.000 --> 00:01.000\nbackwards\n".to_vec())
            } else if p.extension().is_some_and(|e| e == "ogg") {
                Ok(b"RIFF....WAVE".to_vec())
            } else {
                std::fs::read(p).map_err(|e| e.to_string())
            }
        });
        assert!(problems[0].contains("line 3: the cue ends"), "{problems:#?}");
        assert!(
            problems.iter().filter(|p| p.contains("not an Ogg file")).count() >= 12,
            "{problems:#?}"
        );
    }
}
