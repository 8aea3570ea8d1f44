//! What the page hears of a tour, and the address that follows it: the
//! player's state (`data-sontinh-tour`), the hotspots' markers on the screen
//! (`data-sontinh-hotspots`), the open article (`data-sontinh-article`), and
//! `?tour=ID&stop=N` written into the address as the tour plays, so that a
//! tourist can share where they are.

use bevy::prelude::*;
use sontinh_layers::ActiveScene;
use sontinh_scene::{Lang, Scene};
use sontinh_tour_view::{HotspotMarkers, OpenArticle, TourNow};

pub struct TourPageSignalsPlugin;

impl Plugin for TourPageSignalsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<TourPageSignals>().add_systems(Last, signal_tour);
    }
}

/// What was last written.
#[derive(Resource, Default, Debug)]
pub struct TourPageSignals {
    pub tour: Option<String>,
    pub hotspots: Option<String>,
    pub article: Option<String>,
    pub link: Option<(String, usize)>,
}

/// `tour=ID stop=N arrived=0|1 playing=0|1 lang=vi|en audio=PATH|- caption=TEXT`
/// (the caption last: it has spaces), or `none`.
pub fn tour_text(now: &TourNow) -> String {
    let Some((_, id)) = &now.tour else { return "none".to_owned() };
    format!(
        "tour={id} stop={} arrived={} playing={} lang={} audio={} caption={}",
        now.stop + 1,
        u8::from(now.arrived),
        u8::from(now.playing),
        match now.lang {
            Lang::Vi => "vi",
            Lang::En => "en",
        },
        now.audio.as_deref().unwrap_or("-"),
        now.caption.as_deref().unwrap_or("").replace('\n', " ")
    )
}

/// `ID X Y hidden|shown` per marker (logical pixels), separated by `;`.
pub fn hotspots_text(scene: &Scene, markers: &HotspotMarkers) -> String {
    markers
        .0
        .iter()
        .filter_map(|m| {
            let id = &scene.hotspots.get(m.index)?.id;
            Some(format!(
                "{id} {:.0} {:.0} {}",
                m.screen.x,
                m.screen.y,
                if m.occluded { "hidden" } else { "shown" }
            ))
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn signal_tour(
    scene: Option<Res<ActiveScene>>,
    now: Option<Res<TourNow>>,
    markers: Option<Res<HotspotMarkers>>,
    open: Option<Res<OpenArticle>>,
    mut signals: ResMut<TourPageSignals>,
) {
    let (Some(scene), Some(now)) = (scene, now) else { return };
    let text = tour_text(&now);
    if signals.tour.as_deref() != Some(text.as_str()) {
        #[cfg(target_arch = "wasm32")]
        page::write("data-sontinh-tour", &text);
        signals.tour = Some(text);
    }
    let link = now.tour.as_ref().map(|(_, id)| (id.clone(), now.stop));
    if link.is_some() && signals.link != link {
        #[cfg(target_arch = "wasm32")]
        if let Some((tour, stop)) = &link {
            page::follow_in_address(&sontinh_tour::link::TourLink {
                tour: tour.clone(),
                stop: *stop,
            });
        }
        signals.link = link;
    }
    if let Some(markers) = markers {
        let text = hotspots_text(&scene.0, &markers);
        if signals.hotspots.as_deref() != Some(text.as_str()) {
            #[cfg(target_arch = "wasm32")]
            page::write("data-sontinh-hotspots", &text);
            signals.hotspots = Some(text);
        }
    }
    if let Some(open) = open {
        let text = open
            .0
            .and_then(|i| scene.0.hotspots.get(i))
            .map(|h| h.id.clone())
            .unwrap_or_default();
        if signals.article.as_deref() != Some(text.as_str()) {
            #[cfg(target_arch = "wasm32")]
            page::write("data-sontinh-article", &text);
            signals.article = Some(text);
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod page {
    pub fn write(name: &str, text: &str) {
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            // Attribute writes fail only on invalid names, and these are constants.
            let _ = root.set_attribute(name, text);
        }
    }

    /// Rewrites the address's query in place (no new history entry).
    pub fn follow_in_address(link: &sontinh_tour::link::TourLink) {
        let Some(window) = web_sys::window() else { return };
        let search = window.location().search().unwrap_or_default();
        let query = sontinh_tour::link::with_tour(&search, link);
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&query));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_hears_the_tour_with_its_caption_last() {
        assert_eq!(tour_text(&TourNow::default()), "none");
        let now = TourNow {
            tour: Some((0, "citadel-walk".to_owned())),
            stop: 2,
            stops: 8,
            arrived: true,
            playing: true,
            caption: Some("Thành cổ\nQuảng Trị".to_owned()),
            audio: Some("../assets/a.vi.ogg".to_owned()),
            lang: Lang::Vi,
            ..TourNow::default()
        };
        assert_eq!(
            tour_text(&now),
            "tour=citadel-walk stop=3 arrived=1 playing=1 lang=vi audio=../assets/a.vi.ogg caption=Thành cổ Quảng Trị"
        );
    }
}
