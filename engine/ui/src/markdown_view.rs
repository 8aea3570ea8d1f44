//! The Markdown subset of narration and articles drawn with egui: paragraphs
//! with emphasis, strong emphasis and links, lists, and images (fetched from
//! beside the scene file, decoded by Bevy, shown at the panel's width).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bevy::asset::RenderAssetUsages;
use bevy::image::{CompressedImageFormats, ImageSampler, ImageType};
use bevy::prelude::*;
use bevy::tasks::{IoTaskPool, Task, futures::check_ready};
use bevy_egui::{EguiContexts, EguiTextureHandle, egui};
use sontinh_scene::markdown::{Block, Inline, Markdown, parse_markdown};

enum ImageState {
    Loading(Task<Result<Vec<u8>, String>>),
    Ready(Handle<Image>, egui::Vec2),
    Failed(String),
}

/// Articles' images, by resolved path.
#[derive(Resource, Default)]
pub struct ArticleImages(HashMap<PathBuf, ImageState>);

/// Where an image an article names is: beside the scene file.
pub fn image_path(scene_file: &Path, src: &str) -> PathBuf {
    scene_file.parent().unwrap_or(Path::new("")).join(src)
}

impl ArticleImages {
    /// Starts fetching what `md` shows and takes in what has arrived.
    pub fn fetch(&mut self, scene_file: &Path, md: &Markdown, images: &mut Assets<Image>) {
        for src in md.images() {
            let path = image_path(scene_file, src);
            self.0
                .entry(path.clone())
                .or_insert_with(|| ImageState::Loading(IoTaskPool::get().spawn(async move { sontinh_layers::file_bytes(&path).await })));
        }
        for (path, state) in self.0.iter_mut() {
            let ImageState::Loading(task) = state else { continue };
            let Some(result) = check_ready(task) else { continue };
            let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            *state = match result.and_then(|bytes| {
                Image::from_buffer(
                    &bytes,
                    ImageType::Extension(&extension),
                    CompressedImageFormats::NONE,
                    true,
                    ImageSampler::linear(),
                    RenderAssetUsages::RENDER_WORLD,
                )
                .map_err(|e| format!("{}: {e}", path.display()))
            }) {
                Ok(image) => {
                    let size = egui::vec2(image.width() as f32, image.height() as f32);
                    ImageState::Ready(images.add(image), size)
                }
                Err(why) => ImageState::Failed(why),
            };
        }
    }
}

fn rich(run: &Inline) -> egui::RichText {
    let mut text = egui::RichText::new(&run.text);
    if run.emphasis {
        text = text.italics();
    }
    if run.strong {
        text = text.strong();
    }
    text
}

fn runs(ui: &mut egui::Ui, inlines: &[Inline]) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 0.0;
        for run in inlines {
            match &run.link {
                Some(url) => {
                    ui.hyperlink_to(rich(run), url);
                }
                None => {
                    ui.label(rich(run));
                }
            }
        }
    });
}

/// Draws the blocks of `md`, each image through `image(ui, alt, src)`.
fn show_blocks(ui: &mut egui::Ui, md: &Markdown, mut image: impl FnMut(&mut egui::Ui, &str, &str)) {
    for block in &md.blocks {
        match block {
            Block::Paragraph(inlines) => runs(ui, inlines),
            Block::List { ordered, items } => {
                for (i, item) in items.iter().enumerate() {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(if *ordered { format!("{}.", i + 1) } else { "•".to_owned() });
                        runs(ui, item);
                    });
                }
            }
            Block::Image { alt, src } => image(ui, alt, src),
        }
    }
}

/// Draws `text` without its images (their alternative text instead): for
/// panels that have no texture of their own to show them in.
pub fn show_text(ui: &mut egui::Ui, text: &str) {
    let Ok(md) = parse_markdown(text) else {
        ui.label(text);
        return;
    };
    show_blocks(ui, &md, |ui, alt, _| {
        ui.small(alt);
    });
}

/// Draws `text` (the Markdown subset); a text outside it is shown plainly.
pub fn show(ui: &mut egui::Ui, contexts: &mut EguiContexts, images: &ArticleImages, scene_file: &Path, text: &str) {
    let Ok(md) = parse_markdown(text) else {
        ui.label(text);
        return;
    };
    show_blocks(ui, &md, |ui, alt, src| {
        match images.0.get(&image_path(scene_file, src)) {
            Some(ImageState::Ready(handle, size)) => {
                let id = contexts.add_image(EguiTextureHandle::Strong(handle.clone()));
                let width = ui.available_width().min(size.x);
                let shown = egui::vec2(width, width * size.y / size.x.max(1.0));
                ui.add(egui::Image::new((id, shown)).alt_text(alt));
            }
            Some(ImageState::Failed(why)) => {
                ui.small(why);
            }
            _ => {
                ui.spinner();
            }
        }
        if !alt.is_empty() {
            ui.small(alt);
        }
    });
}
