//! A built layer and a layer's style as bytes, between the page's worker
//! that builds a layer and the main thread that draws it. Every count is
//! checked against the bytes left ([`sontinh_wire::Reader`]).

use sontinh_scene::{ColorBy, Elevation, FeatureFilter, FilterTest, LabelAttributes, Text, VectorStyle};
use sontinh_wire::{Reader, Writer};

use crate::{Built, Chunk, FeatureInfo, Lines, Triangles};

const MAGIC: &[u8; 4] = b"STVM";

fn write_triangles(w: &mut Writer, t: &Triangles) {
    w.len(t.positions.len());
    w.f32s(t.positions.as_flattened());
    w.f32s(t.normals.as_flattened());
    w.f32s(t.colors.as_flattened());
    w.len(t.indices.len());
    w.u32s(&t.indices);
    w.len(t.triangle_feature.len());
    w.u32s(&t.triangle_feature);
}

fn read_triangles(r: &mut Reader<'_>, what: &str) -> Result<Triangles, String> {
    let n = r.len(what)?;
    r.room_for(n, 40, what)?;
    let positions = r.f32_arrays::<3>(n, what)?;
    let normals = r.f32_arrays::<3>(n, what)?;
    let colors = r.f32_arrays::<4>(n, what)?;
    let indices_len = r.len(what)?;
    let indices = r.u32s(indices_len, what)?;
    if indices.len() % 3 != 0 || indices.iter().any(|&i| i as usize >= n) {
        return Err(r.error(format_args!("{what}: an index past its {n} vertices")));
    }
    let features_len = r.len(what)?;
    let triangle_feature = r.u32s(features_len, what)?;
    if triangle_feature.len() != indices.len() / 3 {
        return Err(r.error(format_args!(
            "{what}: {} features for {} triangles",
            triangle_feature.len(),
            indices.len() / 3
        )));
    }
    Ok(Triangles {
        positions,
        normals,
        colors,
        indices,
        triangle_feature,
    })
}

impl Built {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(1024);
        w.bytes(MAGIC);
        w.u64(self.filtered_out as u64);
        w.u64(self.empty as u64);
        w.len(self.features.len());
        for f in &self.features {
            w.text(&f.id);
            w.text(&f.kind);
            w.len(f.attributes.len());
            for (k, v) in &f.attributes {
                w.text(k);
                w.text(v);
            }
            match &f.label {
                Some(t) => {
                    w.u8(1);
                    w.text(&t.vi);
                    w.text(&t.en);
                }
                None => w.u8(0),
            }
            w.f64s(&f.anchor);
            w.f64s(&f.min);
            w.f64s(&f.max);
            w.u32(f.chunk);
        }
        w.len(self.chunks.len());
        for c in &self.chunks {
            w.f64s(&c.origin);
            w.f64s(&c.min);
            w.f64s(&c.max);
            write_triangles(&mut w, &c.solids);
            write_triangles(&mut w, &c.tops);
            write_triangles(&mut w, &c.fills);
            w.len(c.lines.positions.len());
            w.f32s(c.lines.positions.as_flattened());
            w.f32s(c.lines.colors.as_flattened());
            w.len(c.lines.segment_feature.len());
            w.u32s(&c.lines.segment_feature);
        }
        w.into_bytes()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Built, String> {
        let mut r = Reader::new(bytes, "a built vector layer");
        if r.take(4, "the magic")? != MAGIC {
            return Err(r.error("not a built vector layer"));
        }
        let filtered_out = usize::try_from(r.u64("the filtered count")?).map_err(|e| e.to_string())?;
        let empty = usize::try_from(r.u64("the empty count")?).map_err(|e| e.to_string())?;
        let n = r.len("the features")?;
        r.room_for(n, 4 + 4 + 4 + 1 + 72 + 4, "the features")?;
        let mut features = Vec::with_capacity(n);
        for _ in 0..n {
            let id = r.text("a feature's id")?;
            let kind = r.text("a feature's kind")?;
            let a = r.len("a feature's attributes")?;
            r.room_for(a, 8, "a feature's attributes")?;
            let mut attributes = Vec::with_capacity(a);
            for _ in 0..a {
                attributes.push((r.text("an attribute's name")?, r.text("an attribute's value")?));
            }
            let label = match r.u8("the label flag")? {
                0 => None,
                1 => Some(Text {
                    vi: r.text("a label")?,
                    en: r.text("a label")?,
                }),
                other => return Err(r.error(format_args!("label flag {other}"))),
            };
            features.push(FeatureInfo {
                id,
                kind,
                attributes,
                label,
                anchor: r.f64s::<3>("an anchor")?,
                min: r.f64s::<3>("a feature's bounds")?,
                max: r.f64s::<3>("a feature's bounds")?,
                chunk: r.u32("a feature's chunk")?,
            });
        }
        let chunks_len = r.len("the chunks")?;
        r.room_for(chunks_len, 72, "the chunks")?;
        let mut chunks = Vec::with_capacity(chunks_len);
        for _ in 0..chunks_len {
            let origin = r.f64s::<3>("a chunk's origin")?;
            let min = r.f64s::<3>("a chunk's bounds")?;
            let max = r.f64s::<3>("a chunk's bounds")?;
            let solids = read_triangles(&mut r, "a chunk's solids")?;
            let tops = read_triangles(&mut r, "a chunk's tops")?;
            let fills = read_triangles(&mut r, "a chunk's fills")?;
            let line_vertices = r.len("a chunk's lines")?;
            r.room_for(line_vertices, 28, "a chunk's lines")?;
            let positions = r.f32_arrays::<3>(line_vertices, "a chunk's lines")?;
            let colors = r.f32_arrays::<4>(line_vertices, "a chunk's lines")?;
            let segments = r.len("a chunk's segments")?;
            let segment_feature = r.u32s(segments, "a chunk's segments")?;
            if line_vertices % 2 != 0 || segment_feature.len() != line_vertices / 2 {
                return Err(r.error(format_args!("{line_vertices} line vertices for {} segments", segment_feature.len())));
            }
            chunks.push(Chunk {
                origin,
                solids,
                tops,
                fills,
                lines: Lines {
                    positions,
                    colors,
                    segment_feature,
                },
                min,
                max,
            });
        }
        let total = features.len();
        let referenced = chunks.iter().flat_map(|c| {
            c.solids
                .triangle_feature
                .iter()
                .chain(&c.tops.triangle_feature)
                .chain(&c.fills.triangle_feature)
                .chain(&c.lines.segment_feature)
        });
        if let Some(bad) = referenced.copied().find(|&f| f as usize >= total) {
            return Err(r.error(format_args!("feature {bad} of {total}")));
        }
        r.finish("the built layer")?;
        Ok(Built {
            features,
            chunks,
            filtered_out,
            empty,
        })
    }
}

fn rgba(w: &mut Writer, c: [f32; 4]) {
    w.f32s(&c);
}

/// A style as bytes (inside a worker's request).
pub(crate) fn write_style(w: &mut Writer, s: &VectorStyle) {
    rgba(w, s.color);
    w.f32s(&[s.fill_opacity]);
    match &s.elevation {
        Elevation::Draped => w.u8(0),
        Elevation::Attribute {
            attribute,
            above_ellipsoid,
        } => {
            w.u8(1);
            w.text(attribute);
            w.u8(u8::from(*above_ellipsoid));
        }
        Elevation::Extruded { attribute, default_m } => {
            w.u8(2);
            w.text(attribute.as_deref().unwrap_or(""));
            w.f64s(&[*default_m]);
        }
    }
    match &s.color_by {
        None => w.u8(0),
        Some(ColorBy::Categories { attribute, categories }) => {
            w.u8(1);
            w.text(attribute);
            w.len(categories.len());
            for (v, c) in categories {
                w.text(v);
                rgba(w, *c);
            }
        }
        Some(ColorBy::Ramp { attribute, stops }) => {
            w.u8(2);
            w.text(attribute);
            w.len(stops.len());
            for (v, c) in stops {
                w.f64s(&[*v]);
                rgba(w, *c);
            }
        }
    }
    match &s.label {
        None => w.u8(0),
        Some(l) => {
            w.u8(1);
            w.text(&l.vi);
            w.text(&l.en);
        }
    }
    match &s.filter {
        None => w.u8(0),
        Some(FeatureFilter {
            attribute,
            test: FilterTest::OneOf(values),
        }) => {
            w.u8(1);
            w.text(attribute);
            w.len(values.len());
            values.iter().for_each(|v| w.text(v));
        }
        Some(FeatureFilter {
            attribute,
            test: FilterTest::Range { min, max },
        }) => {
            w.u8(2);
            w.text(attribute);
            for end in [min, max] {
                w.u8(u8::from(end.is_some()));
                w.f64s(&[end.unwrap_or(0.0)]);
            }
        }
    }
}

pub(crate) fn read_style(r: &mut Reader<'_>) -> Result<VectorStyle, String> {
    let color = r.f32s::<4>("the style's colour")?;
    let [fill_opacity] = r.f32s::<1>("the fill opacity")?;
    let elevation = match r.u8("the elevation")? {
        0 => Elevation::Draped,
        1 => Elevation::Attribute {
            attribute: r.text("the height attribute")?,
            above_ellipsoid: r.u8("above the ellipsoid")? == 1,
        },
        2 => {
            let attribute = r.text("the extrusion attribute")?;
            let [default_m] = r.f64s::<1>("the default height")?;
            Elevation::Extruded {
                attribute: (!attribute.is_empty()).then_some(attribute),
                default_m,
            }
        }
        other => return Err(r.error(format_args!("elevation {other}"))),
    };
    let color_by = match r.u8("the colour rule")? {
        0 => None,
        1 => {
            let attribute = r.text("the colour attribute")?;
            let n = r.len("the categories")?;
            r.room_for(n, 20, "the categories")?;
            let mut categories = Vec::with_capacity(n);
            for _ in 0..n {
                categories.push((r.text("a category")?, r.f32s::<4>("a category's colour")?));
            }
            Some(ColorBy::Categories { attribute, categories })
        }
        2 => {
            let attribute = r.text("the colour attribute")?;
            let n = r.len("the ramp")?;
            r.room_for(n, 24, "the ramp")?;
            let mut stops = Vec::with_capacity(n);
            for _ in 0..n {
                let [v] = r.f64s::<1>("a stop")?;
                stops.push((v, r.f32s::<4>("a stop's colour")?));
            }
            Some(ColorBy::Ramp { attribute, stops })
        }
        other => return Err(r.error(format_args!("colour rule {other}"))),
    };
    let label = match r.u8("the label flag")? {
        0 => None,
        1 => Some(LabelAttributes {
            vi: r.text("the label attribute")?,
            en: r.text("the label attribute")?,
        }),
        other => return Err(r.error(format_args!("label flag {other}"))),
    };
    let filter = match r.u8("the filter")? {
        0 => None,
        1 => {
            let attribute = r.text("the filter's attribute")?;
            let n = r.len("the filter's values")?;
            r.room_for(n, 4, "the filter's values")?;
            let values = (0..n).map(|_| r.text("a filter value")).collect::<Result<Vec<_>, _>>()?;
            Some(FeatureFilter {
                attribute,
                test: FilterTest::OneOf(values),
            })
        }
        2 => {
            let attribute = r.text("the filter's attribute")?;
            let mut ends = [None, None];
            for end in &mut ends {
                let set = r.u8("a range end's flag")? == 1;
                let [v] = r.f64s::<1>("a range end")?;
                *end = set.then_some(v);
            }
            Some(FeatureFilter {
                attribute,
                test: FilterTest::Range {
                    min: ends[0],
                    max: ends[1],
                },
            })
        }
        other => return Err(r.error(format_args!("filter {other}"))),
    };
    Ok(VectorStyle {
        color,
        fill_opacity,
        elevation,
        color_by,
        label,
        filter,
    })
}
