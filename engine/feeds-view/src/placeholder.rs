//! What a camera's billboard shows before its first snapshot arrives: a
//! grey card with a camera drawn on it and a slash through the lens, so
//! that "no picture yet" never reads as a black (broken) panel.

use bevy::asset::RenderAssetUsages;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

pub const PLACEHOLDER_SIZE: [u32; 2] = [320, 180];
/// The card, the camera drawn on it, and the slash (sRGB).
pub const CARD_RGB: [u8; 3] = [96, 100, 108];
pub const ICON_RGB: [u8; 3] = [225, 228, 232];
pub const SLASH_RGB: [u8; 3] = [230, 150, 30];

/// The placeholder's pixels, RGBA, row by row from the top.
pub fn placeholder_pixels() -> Vec<u8> {
    let [w, h] = PLACEHOLDER_SIZE;
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0 + 8.0);
    let mut out = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            // The camera: a body 140 × 84 with a lens ring and a viewfinder on top.
            let in_body = (fx - cx).abs() <= 70.0 && (fy - cy).abs() <= 42.0;
            let in_finder = (fx - (cx - 30.0)).abs() <= 18.0 && fy >= cy - 56.0 && fy < cy - 42.0;
            let r = (fx - cx).hypot(fy - cy);
            let in_lens_hole = r < 26.0;
            let in_lens_ring = (26.0..34.0).contains(&r);
            // A slash through the lens, corner to corner of the body.
            let slash = ((fx - cx) * 0.6 + (fy - cy)).abs() < 5.0 && (fx - cx).abs() < 80.0;
            let border = x < 4 || y < 4 || x >= w - 4 || y >= h - 4;
            let rgb = if slash {
                SLASH_RGB
            } else if border || in_finder || (in_body && !in_lens_hole && !in_lens_ring) {
                ICON_RGB
            } else {
                CARD_RGB
            };
            out.extend_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
        }
    }
    out
}

pub fn placeholder_image() -> Image {
    let [width, height] = PLACEHOLDER_SIZE;
    Image::new(
        Extent3d { width, height, depth_or_array_layers: 1 },
        TextureDimension::D2,
        placeholder_pixels(),
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::MAIN_WORLD | RenderAssetUsages::RENDER_WORLD,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(pixels: &[u8], x: u32, y: u32) -> [u8; 3] {
        let i = ((y * PLACEHOLDER_SIZE[0] + x) * 4) as usize;
        [pixels[i], pixels[i + 1], pixels[i + 2]]
    }

    #[test]
    fn the_card_is_grey_with_a_light_camera_and_a_slash_never_black() {
        let p = placeholder_pixels();
        assert_eq!(p.len(), (PLACEHOLDER_SIZE[0] * PLACEHOLDER_SIZE[1] * 4) as usize);
        // The lens's centre is on the slash; the body beside the lens is the icon; a corner inside the border is the card.
        assert_eq!(pixel(&p, 160, 98), SLASH_RGB);
        assert_eq!(pixel(&p, 100, 70), ICON_RGB);
        assert_eq!(pixel(&p, 20, 20), CARD_RGB);
        assert_eq!(pixel(&p, 0, 0), ICON_RGB, "a light border frames the card");
        // No pixel is dark: the darkest channel sum is the card's.
        let darkest = p.chunks(4).map(|c| u32::from(c[0]) + u32::from(c[1]) + u32::from(c[2])).min().unwrap();
        assert_eq!(darkest, CARD_RGB.iter().map(|&c| u32::from(c)).sum::<u32>());
    }
}
