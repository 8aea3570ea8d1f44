//! One memory budget for everything a scene holds: meshes, textures, tiles
//! and point clouds together. A preset (phone, desktop, wall) is picked from
//! the device, or named (`--memory`, `?memory=`). What is held is measured
//! from the mesh and image assets themselves (when they are added, before
//! the render world takes their data) plus the CPU copies streamers report;
//! streaming layers (tilesets, point clouds) share what the fixed layers
//! leave of the budget and stay within their share.

use std::collections::HashMap;

use bevy::asset::{AssetEvent, UntypedAssetId};
use bevy::ecs::message::Messages;
use bevy::mesh::{Indices, Mesh};
use bevy::prelude::*;

const MIB: u64 = 1024 * 1024;

/// A device class and its budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemoryPreset {
    Phone,
    Desktop,
    Wall,
}

impl MemoryPreset {
    /// The budget, bytes. A phone browser tab is killed well before 1 GiB
    /// on most devices; a wasm32 page cannot address past 4 GiB.
    pub const fn bytes(self) -> u64 {
        match self {
            MemoryPreset::Phone => 384 * MIB,
            MemoryPreset::Desktop => 1536 * MIB,
            MemoryPreset::Wall => 3072 * MIB,
        }
    }

    pub const fn id(self) -> &'static str {
        match self {
            MemoryPreset::Phone => "phone",
            MemoryPreset::Desktop => "desktop",
            MemoryPreset::Wall => "wall",
        }
    }

    /// Its name in the user's language.
    pub const fn name(self, vietnamese: bool) -> &'static str {
        match (self, vietnamese) {
            (MemoryPreset::Phone, true) => "điện thoại",
            (MemoryPreset::Phone, false) => "phone",
            (MemoryPreset::Desktop, true) => "máy tính",
            (MemoryPreset::Desktop, false) => "desktop",
            (MemoryPreset::Wall, true) => "màn hình tường",
            (MemoryPreset::Wall, false) => "video wall",
        }
    }

    pub fn parse(text: &str) -> Result<MemoryPreset, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "phone" => Ok(MemoryPreset::Phone),
            "desktop" => Ok(MemoryPreset::Desktop),
            "wall" => Ok(MemoryPreset::Wall),
            other => Err(format!("memory preset \"{other}\": use phone, desktop or wall")),
        }
    }

    /// The preset for a device: phones (a coarse pointer on a small screen,
    /// or under 4 GiB of memory) and standalone XR headsets (a phone's GPU
    /// drawing two eyes at 72-90 Hz) get the phone budget; screens of 4K
    /// and more with memory to match, the wall's; the rest the desktop's.
    pub fn for_device(device: &Device) -> MemoryPreset {
        let small_side = device.screen_css_px[0].min(device.screen_css_px[1]);
        let low_memory = device.memory_gib.is_some_and(|m| m < 4.0);
        if low_memory || device.headset || (device.coarse_pointer && small_side < 1000.0) {
            return MemoryPreset::Phone;
        }
        let physical_width = device.screen_css_px[0].max(device.screen_css_px[1]) * device.pixel_ratio.max(1.0);
        if physical_width >= 3840.0 && device.memory_gib.is_none_or(|m| m >= 8.0) {
            MemoryPreset::Wall
        } else {
            MemoryPreset::Desktop
        }
    }
}

/// What the browser (or the window system) says of the device.
#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    /// The screen's size in CSS pixels.
    pub screen_css_px: [f64; 2],
    pub pixel_ratio: f64,
    /// Touch is the main input (`pointer: coarse`).
    pub coarse_pointer: bool,
    /// `navigator.deviceMemory` (Chromium rounds it, and caps it at 8).
    pub memory_gib: Option<f64>,
    /// A standalone XR headset's browser (see [`is_headset_browser`]).
    pub headset: bool,
}

/// Whether a browser's user agent is a standalone XR headset's: Meta's
/// Quest browser (`OculusBrowser`), Pico's (`PicoBrowser`), Wolvic, and the
/// Chromium-based ones that say `VR Safari`. Their screens and memory look
/// like a desktop's, their GPUs are a phone's.
pub fn is_headset_browser(user_agent: &str) -> bool {
    ["OculusBrowser/", "PicoBrowser/", "Wolvic/", " VR Safari/"].iter().any(|mark| user_agent.contains(mark))
}

/// The budget in force: a preset's, or a size given.
#[derive(Resource, Clone, Copy, Debug, PartialEq)]
pub struct MemoryBudget {
    pub preset: Option<MemoryPreset>,
    pub bytes: u64,
}

impl MemoryBudget {
    pub fn of(preset: MemoryPreset) -> MemoryBudget {
        MemoryBudget {
            preset: Some(preset),
            bytes: preset.bytes(),
        }
    }

    /// `phone`, `desktop`, `wall`, or a size in MiB (`300` or `300MiB`, 16 to 65536).
    pub fn parse(text: &str) -> Result<MemoryBudget, String> {
        if let Ok(preset) = MemoryPreset::parse(text) {
            return Ok(MemoryBudget::of(preset));
        }
        let refused = || format!("memory \"{}\": use phone, desktop, wall or a size in MiB from 16 to 65536", text.trim());
        let mib: u64 = text.trim().trim_end_matches("MiB").trim().parse().map_err(|_| refused())?;
        if !(16..=65536).contains(&mib) {
            return Err(refused());
        }
        Ok(MemoryBudget { preset: None, bytes: mib * MIB })
    }

    /// `384 MiB (phone)`, in the user's language.
    pub fn describe(&self, vietnamese: bool) -> String {
        match self.preset {
            Some(preset) => format!("{} MiB ({})", self.bytes / MIB, preset.name(vietnamese)),
            None => format!("{} MiB", self.bytes / MIB),
        }
    }
}

impl Default for MemoryBudget {
    fn default() -> Self {
        MemoryBudget::of(MemoryPreset::Desktop)
    }
}

/// What the scene holds now, bytes.
#[derive(Resource, Default, Debug)]
pub struct MemoryUse {
    assets: HashMap<UntypedAssetId, u64>,
    asset_bytes: u64,
    /// CPU copies kept beside the assets, by who keeps them.
    pub cpu_bytes: HashMap<&'static str, u64>,
    /// What each streaming layer holds (its assets and copies), by layer index.
    pub streamed: HashMap<usize, u64>,
    /// The most held at once.
    pub peak_bytes: u64,
}

impl MemoryUse {
    /// Everything held: mesh and image data, and the CPU copies.
    pub fn total(&self) -> u64 {
        self.asset_bytes + self.cpu_bytes.values().sum::<u64>()
    }

    /// The bytes one streaming layer may hold: what the fixed layers leave
    /// of the budget, shared equally among the streaming layers.
    pub fn streaming_share(&self, budget: &MemoryBudget) -> u64 {
        let streamed: u64 = self.streamed.values().sum();
        let fixed = self.total().saturating_sub(streamed);
        budget.bytes.saturating_sub(fixed) / (self.streamed.len().max(1) as u64)
    }

    fn set_asset(&mut self, id: UntypedAssetId, bytes: Option<u64>) {
        if let Some(old) = self.assets.remove(&id) {
            self.asset_bytes -= old;
        }
        if let Some(bytes) = bytes {
            self.assets.insert(id, bytes);
            self.asset_bytes += bytes;
        }
    }
}

/// Bytes of a mesh's vertex and index data, while the main world has it.
pub fn mesh_bytes(mesh: &Mesh) -> Option<u64> {
    let vertices: usize = mesh.try_attributes().ok()?.map(|(_, values)| values.get_bytes().len()).sum();
    let indices = match mesh.try_indices_option().ok()? {
        Some(Indices::U16(i)) => i.len() * 2,
        Some(Indices::U32(i)) => i.len() * 4,
        None => 0,
    };
    Some((vertices + indices) as u64)
}

pub struct MemoryBudgetPlugin;

impl Plugin for MemoryBudgetPlugin {
    fn build(&self, app: &mut App) {
        // Apps without meshes or images (tests, headless tools) have no such messages.
        app.init_resource::<MemoryBudget>().init_resource::<MemoryUse>().add_systems(
            Last,
            (
                measure::<Mesh>.run_if(resource_exists::<Messages<AssetEvent<Mesh>>>),
                measure::<Image>.run_if(resource_exists::<Messages<AssetEvent<Image>>>),
                note_peak,
            )
                .chain(),
        );
    }
}

/// Asset kinds whose data the budget counts.
trait HeldBytes: Asset {
    /// Bytes of data, while the main world still has it.
    fn held_bytes(&self) -> Option<u64>;
}

impl HeldBytes for Mesh {
    fn held_bytes(&self) -> Option<u64> {
        mesh_bytes(self)
    }
}

impl HeldBytes for Image {
    fn held_bytes(&self) -> Option<u64> {
        self.data.as_ref().map(|d| d.len() as u64)
    }
}

/// Counts assets of one kind as they are added (in `Last`, after the asset
/// events and before the render world extracts their data) and removed.
fn measure<A: HeldBytes>(mut events: MessageReader<AssetEvent<A>>, assets: Option<Res<Assets<A>>>, mut used: ResMut<MemoryUse>) {
    for event in events.read() {
        match event {
            AssetEvent::Added { id } | AssetEvent::Modified { id } => {
                if let Some(bytes) = assets.as_ref().and_then(|a| a.get(*id)).and_then(HeldBytes::held_bytes) {
                    used.set_asset(id.untyped(), Some(bytes));
                }
            }
            AssetEvent::Removed { id } => used.set_asset(id.untyped(), None),
            _ => {}
        }
    }
}

fn note_peak(mut used: ResMut<MemoryUse>) {
    let total = used.total();
    used.peak_bytes = used.peak_bytes.max(total);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(w: f64, h: f64, ratio: f64, coarse: bool, memory: Option<f64>) -> Device {
        Device {
            screen_css_px: [w, h],
            pixel_ratio: ratio,
            coarse_pointer: coarse,
            memory_gib: memory,
            headset: false,
        }
    }

    #[test]
    fn standalone_headsets_get_the_phone_preset() {
        // User agents as the browsers send them (Meta's Quest 3 browser,
        // Pico 4's, Wolvic on a Quest), and desktop and phone browsers.
        let quest = "Mozilla/5.0 (X11; Linux x86_64; Quest 3) AppleWebKit/537.36 (KHTML, like Gecko) OculusBrowser/35.3.0.0 SamsungBrowser/4.0 Chrome/126.0.6478.122 VR Safari/537.36";
        let pico = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) PicoBrowser/3.3.38 Chrome/105.0.5195.68 VR Safari/537.36";
        let wolvic = "Mozilla/5.0 (Android 10; Mobile VR; rv:121.0) Gecko/121.0 Firefox/121.0 Wolvic/1.6";
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        let firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
        for ua in [quest, pico, wolvic] {
            assert!(is_headset_browser(ua), "{ua}");
        }
        for ua in [chrome, iphone, firefox] {
            assert!(!is_headset_browser(ua), "{ua}");
        }
        // A Quest 3 reports a desktop-like screen, a fine pointer and 8 GiB.
        let quest3 = Device { headset: is_headset_browser(quest), ..device(1680.0, 1760.0, 1.0, false, Some(8.0)) };
        assert_eq!(MemoryPreset::for_device(&quest3), MemoryPreset::Phone);
        assert_eq!(MemoryPreset::for_device(&Device { headset: false, ..quest3 }), MemoryPreset::Desktop);
    }

    #[test]
    fn devices_get_their_presets() {
        // An iPhone 15 (393 × 852 CSS px at 3x), a Pixel with 4 GiB, a budget phone.
        assert_eq!(MemoryPreset::for_device(&device(393.0, 852.0, 3.0, true, None)), MemoryPreset::Phone);
        assert_eq!(MemoryPreset::for_device(&device(412.0, 915.0, 2.625, true, Some(4.0))), MemoryPreset::Phone);
        assert_eq!(MemoryPreset::for_device(&device(1920.0, 1080.0, 1.0, false, Some(2.0))), MemoryPreset::Phone);
        // A laptop, an iPad-sized touch screen, a 4K monitor on a PC, a wall.
        assert_eq!(MemoryPreset::for_device(&device(1440.0, 900.0, 2.0, false, Some(8.0))), MemoryPreset::Desktop);
        assert_eq!(MemoryPreset::for_device(&device(1024.0, 1366.0, 2.0, true, Some(8.0))), MemoryPreset::Desktop);
        assert_eq!(MemoryPreset::for_device(&device(1920.0, 1080.0, 2.0, false, Some(8.0))), MemoryPreset::Wall);
        assert_eq!(MemoryPreset::for_device(&device(7680.0, 2160.0, 1.0, false, None)), MemoryPreset::Wall);
    }

    #[test]
    fn presets_parse_by_name_and_refuse_others() {
        assert_eq!(MemoryPreset::parse(" Phone "), Ok(MemoryPreset::Phone));
        assert_eq!(MemoryPreset::parse("wall"), Ok(MemoryPreset::Wall));
        assert_eq!(MemoryPreset::parse("tablet").unwrap_err(), "memory preset \"tablet\": use phone, desktop or wall");
        assert_eq!(MemoryBudget::parse("phone"), Ok(MemoryBudget::of(MemoryPreset::Phone)));
        assert_eq!(MemoryBudget::parse("96MiB").map(|b| b.bytes), Ok(96 * 1024 * 1024));
        assert_eq!(MemoryBudget::parse(" 300 ").map(|b| (b.preset, b.bytes)), Ok((None, 300 * 1024 * 1024)));
        for bad in ["8", "99999999999999999999", "-5", "1.5", "tablet", ""] {
            assert!(MemoryBudget::parse(bad).unwrap_err().starts_with(&format!("memory \"{}\"", bad.trim())), "{bad}");
        }
        assert_eq!(MemoryBudget::of(MemoryPreset::Phone).describe(true), "384 MiB (điện thoại)");
    }

    #[test]
    fn streaming_layers_share_what_the_fixed_layers_leave() {
        let budget = MemoryBudget { preset: None, bytes: 1000 };
        let mut used = MemoryUse::default();
        used.set_asset(AssetId::<Mesh>::default().untyped(), Some(300));
        used.cpu_bytes.insert("point clouds", 100);
        // No streaming layer yet: it would have all but the 400 held.
        assert_eq!(used.streaming_share(&budget), 600);
        // Two streaming layers hold 250 of the 400: fixed is 150, each may hold (1000 - 150) / 2.
        used.streamed.insert(0, 200);
        used.streamed.insert(1, 50);
        assert_eq!(used.streaming_share(&budget), 425);
        // Fixed layers past the budget leave nothing, without wrapping.
        used.set_asset(AssetId::<Mesh>::default().untyped(), Some(5000));
        assert_eq!(used.streaming_share(&budget), 0);
    }

    #[test]
    fn a_mesh_counts_its_vertex_and_index_bytes() {
        let mesh = Mesh::new(bevy::mesh::PrimitiveTopology::TriangleList, bevy::asset::RenderAssetUsages::RENDER_WORLD)
            .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, vec![[0.0f32; 3]; 4])
            .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, vec![[0.0f32; 4]; 4])
            .with_inserted_indices(Indices::U32(vec![0, 1, 2, 0, 2, 3]));
        // 4 × (12 + 16) vertex bytes and 6 × 4 index bytes.
        assert_eq!(mesh_bytes(&mesh), Some(4 * 28 + 24));
    }
}
