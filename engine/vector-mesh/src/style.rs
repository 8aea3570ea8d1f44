//! A feature's colour and whether it is kept, from the layer's style.

use sontinh_scene::{ColorBy, FeatureFilter, FilterTest, LabelAttributes, Rgba, Text, VectorStyle};

/// An attribute value as the style rules see it: its text, and its number
/// where it is one (numbers written as text count: shapefiles store text).
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeValue {
    pub text: String,
    pub number: Option<f64>,
}

impl AttributeValue {
    pub fn new(text: String, number: Option<f64>) -> Self {
        let number = number.or_else(|| text.trim().parse::<f64>().ok()).filter(|n| n.is_finite());
        Self { text, number }
    }
}

/// Whether a feature whose attribute is `value` passes `filter`.
pub fn passes(filter: &FeatureFilter, value: Option<&AttributeValue>) -> bool {
    let Some(value) = value else { return false };
    match &filter.test {
        FilterTest::OneOf(values) => values.contains(&value.text),
        FilterTest::Range { min, max } => value
            .number
            .is_some_and(|n| min.is_none_or(|lo| n >= lo) && max.is_none_or(|hi| n <= hi)),
    }
}

/// The attribute a colour rule reads.
pub fn color_attribute(style: &VectorStyle) -> Option<&str> {
    match &style.color_by {
        Some(ColorBy::Categories { attribute, .. } | ColorBy::Ramp { attribute, .. }) => Some(attribute),
        None => None,
    }
}

/// A feature's colour: its category's, or the ramp's at its value, else the layer's.
pub fn feature_color(style: &VectorStyle, value: Option<&AttributeValue>) -> Rgba {
    let (Some(rule), Some(value)) = (&style.color_by, value) else {
        return style.color;
    };
    match rule {
        ColorBy::Categories { categories, .. } => categories.iter().find(|(v, _)| *v == value.text).map_or(style.color, |(_, c)| *c),
        ColorBy::Ramp { stops, .. } => value.number.map_or(style.color, |n| ramp(stops, n)),
    }
}

/// Linear between stops (in sRGB, as the colours are written), clamped at the ends.
pub fn ramp(stops: &[(f64, Rgba)], value: f64) -> Rgba {
    let (Some(first), Some(last)) = (stops.first(), stops.last()) else {
        return [1.0; 4];
    };
    if value <= first.0 {
        return first.1;
    }
    if value >= last.0 {
        return last.1;
    }
    for pair in stops.windows(2) {
        let ((a, ca), (b, cb)) = (pair[0], pair[1]);
        if value <= b {
            let t = ((value - a) / (b - a)) as f32;
            return [0, 1, 2, 3].map(|i| ca[i] + (cb[i] - ca[i]) * t);
        }
    }
    last.1
}

/// sRGB (as written) to linear, what vertex colours hold.
pub fn to_linear(c: Rgba) -> Rgba {
    let f = |v: f32| if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) };
    [f(c[0]), f(c[1]), f(c[2]), c[3]]
}

/// A feature's label from its attributes (`value` gives an attribute's
/// value); each language falls back on the other's attribute.
pub fn label(attributes: &LabelAttributes, value: impl Fn(&str) -> Option<AttributeValue>) -> Option<Text> {
    let text = |name: &str| value(name).map(|v| v.text).filter(|t| !t.is_empty());
    let (vi, en) = (text(&attributes.vi), text(&attributes.en));
    let vi = vi.or_else(|| en.clone())?;
    let en = en.unwrap_or_else(|| vi.clone());
    Some(Text { vi, en })
}
