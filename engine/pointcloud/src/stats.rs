//! Figures computed from every point, to set beside the header's.

use std::collections::BTreeMap;

use las::PointData;

use crate::{PointCloudError, PointCloudFile};

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Stats {
    pub point_count: u64,
    pub min: [f64; 3],
    pub max: [f64; 3],
    pub classification: BTreeMap<u8, u64>,
    pub return_number: BTreeMap<u8, u64>,
    pub intensity_range: [u16; 2],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gps_time_range: Option<[f64; 2]>,
    /// Largest red, green and blue values (8-bit data in 16-bit fields shows as ≤ 255).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rgb_max: Option<[u16; 3]>,
}

impl Stats {
    fn empty() -> Stats {
        Stats {
            point_count: 0,
            min: [f64::INFINITY; 3],
            max: [f64::NEG_INFINITY; 3],
            classification: BTreeMap::new(),
            return_number: BTreeMap::new(),
            intensity_range: [u16::MAX, 0],
            gps_time_range: None,
            rgb_max: None,
        }
    }

    pub fn add(&mut self, points: &PointData) {
        self.point_count += points.len() as u64;
        for ((x, y), z) in points.x().zip(points.y()).zip(points.z()) {
            for (axis, v) in [x, y, z].into_iter().enumerate() {
                self.min[axis] = self.min[axis].min(v);
                self.max[axis] = self.max[axis].max(v);
            }
        }
        for c in points.classification() {
            *self.classification.entry(c).or_default() += 1;
        }
        for r in points.return_number() {
            *self.return_number.entry(r).or_default() += 1;
        }
        for i in points.intensity() {
            self.intensity_range[0] = self.intensity_range[0].min(i);
            self.intensity_range[1] = self.intensity_range[1].max(i);
        }
        if let Some(times) = points.gps_time() {
            let range = self.gps_time_range.get_or_insert([f64::INFINITY, f64::NEG_INFINITY]);
            for t in times {
                range[0] = range[0].min(t);
                range[1] = range[1].max(t);
            }
        }
        if let Some(colours) = points.rgb() {
            let max = self.rgb_max.get_or_insert([0; 3]);
            for (r, g, b) in colours {
                max[0] = max[0].max(r);
                max[1] = max[1].max(g);
                max[2] = max[2].max(b);
            }
        }
    }

    /// Decodes every point of `file`.
    pub fn compute(file: &PointCloudFile) -> Result<Stats, PointCloudError> {
        let mut stats = Stats::empty();
        file.for_each_batch(|batch| {
            stats.add(batch);
            Ok(())
        })?;
        if stats.point_count == 0 {
            stats.min = [0.0; 3];
            stats.max = [0.0; 3];
            stats.intensity_range = [0, 0];
        }
        Ok(stats)
    }

    /// Where the header disagrees with the decoded points (beyond half a
    /// scale step for bounds).
    pub fn header_mismatches(&self, file: &PointCloudFile) -> Vec<String> {
        let layout = &file.layout;
        let mut out = Vec::new();
        if self.point_count != layout.point_count {
            out.push(format!("the header counts {} points, the data holds {}", layout.point_count, self.point_count));
        }
        if self.point_count > 0 {
            for (axis, name) in ["X", "Y", "Z"].iter().enumerate() {
                let tolerance = layout.scale[axis];
                if (self.min[axis] - layout.min[axis]).abs() > tolerance || (self.max[axis] - layout.max[axis]).abs() > tolerance {
                    out.push(format!(
                        "header {name} bounds {}–{} differ from the points' {}–{}",
                        layout.min[axis], layout.max[axis], self.min[axis], self.max[axis]
                    ));
                }
            }
        }
        out
    }
}
