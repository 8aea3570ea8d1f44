//! `sontinh pc`: point cloud information and conversion.

use std::path::Path;

use serde_json::json;
use sontinh_pointcloud::{PointCloudFile, Stats};

/// `pc info`: the header's figures, and with `stats` the figures of a full decode.
pub fn info(path: &Path, as_json: bool, with_stats: bool) -> Result<String, String> {
    let file = PointCloudFile::open(path).map_err(|e| e.to_string())?;
    let stats = if with_stats { Some(Stats::compute(&file).map_err(|e| e.to_string())?) } else { None };
    let mismatches = stats.as_ref().map(|s| s.header_mismatches(&file)).unwrap_or_default();
    let l = &file.layout;
    let copc = file.copc.as_ref().map(|(info, hierarchy)| {
        json!({
            "center": info.center, "halfsize": info.halfsize, "spacing": info.spacing,
            "nodes": hierarchy.nodes.len(), "levels": hierarchy.depth(),
            "gps_time_range": info.gps_time_range,
        })
    });
    if as_json {
        let value = json!({
            "file": path.display().to_string(),
            "version": format!("{}.{}", l.version.0, l.version.1),
            "point_format": l.point_format,
            "compressed": l.compressed,
            "copc": copc,
            "point_count": l.point_count,
            "points_by_return": l.points_by_return,
            "record_length": l.record_length,
            "bounds": { "min": l.min, "max": l.max },
            "scale": l.scale,
            "offset": l.offset,
            "system_identifier": l.system_identifier,
            "generating_software": l.generating_software,
            "creation": { "day": l.creation.0, "year": l.creation.1 },
            "crs": file.crs,
            "attributes": file.attributes,
            "vlrs": l.vlrs,
            "evlrs": l.evlrs,
            "warnings": file.warnings,
            "stats": stats,
            "header_mismatches": mismatches,
        });
        return serde_json::to_string_pretty(&value).map_err(|e| e.to_string());
    }
    let mut out = String::new();
    out += &format!("File:            {}\n", path.display());
    out += &format!(
        "Version:         LAS {}.{}, point format {}{}{}\n",
        l.version.0,
        l.version.1,
        l.point_format,
        if l.compressed { ", LAZ" } else { "" },
        if file.copc.is_some() { ", COPC" } else { "" }
    );
    out += &format!("Points:          {}\n", l.point_count);
    out += &format!("Record length:   {} bytes ({} extra)\n", l.record_length, l.extra_bytes_per_point());
    out += &format!("Bounds X:        {} … {}\n", l.min[0], l.max[0]);
    out += &format!("Bounds Y:        {} … {}\n", l.min[1], l.max[1]);
    out += &format!("Bounds Z:        {} … {}\n", l.min[2], l.max[2]);
    out += &format!("Scale:           {} {} {}\n", l.scale[0], l.scale[1], l.scale[2]);
    out += &format!("Offset:          {} {} {}\n", l.offset[0], l.offset[1], l.offset[2]);
    let crs = &file.crs;
    out += &format!(
        "CRS:             {}{}\n",
        crs.chosen.as_deref().unwrap_or("none declared"),
        if (crs.linear_unit_m - 1.0).abs() > 1e-12 { format!(" ({} m per unit)", crs.linear_unit_m) } else { String::new() }
    );
    if let Some(wkt) = &crs.wkt {
        out += &format!(
            "  WKT:           \"{}\"{}{}\n",
            wkt.name,
            wkt.epsg.map(|c| format!(", EPSG:{c}")).unwrap_or_default(),
            if wkt.geocentric { ", geocentric" } else { "" }
        );
    }
    if let Some(code) = crs.geotiff_epsg {
        out += &format!("  GeoTIFF keys:  EPSG:{code}\n");
    }
    if let Some((info, hierarchy)) = &file.copc {
        out += &format!(
            "COPC:            {} nodes in {} levels, cube centre {:?}, half size {}, spacing {}\n",
            hierarchy.nodes.len(),
            hierarchy.depth(),
            info.center,
            info.halfsize,
            info.spacing
        );
    }
    out += "Attributes:      ";
    out += &file.attributes.iter().map(|a| format!("{} ({})", a.name, a.kind)).collect::<Vec<_>>().join(", ");
    out += "\n";
    let returns: Vec<String> = l
        .points_by_return
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| format!("{}: {n}", i + 1))
        .collect();
    out += &format!("By return:       {}\n", if returns.is_empty() { "not in header".to_owned() } else { returns.join(", ") });
    out += &format!("Records:         {} VLRs, {} EVLRs\n", l.vlrs.len(), l.evlrs.len());
    if let Some(s) = &stats {
        out += "Full decode:\n";
        out += &format!("  Points:        {}\n", s.point_count);
        out += &format!("  X:             {} … {}\n", s.min[0], s.max[0]);
        out += &format!("  Y:             {} … {}\n", s.min[1], s.max[1]);
        out += &format!("  Z:             {} … {}\n", s.min[2], s.max[2]);
        let classes: Vec<String> = s.classification.iter().map(|(c, n)| format!("{c} {}: {n}", class_name(*c))).collect();
        out += &format!("  Classes:       {}\n", classes.join(", "));
        let returns: Vec<String> = s.return_number.iter().map(|(r, n)| format!("{r}: {n}")).collect();
        out += &format!("  Returns:       {}\n", returns.join(", "));
        out += &format!("  Intensity:     {} … {}\n", s.intensity_range[0], s.intensity_range[1]);
        if let Some([a, b]) = s.gps_time_range {
            out += &format!("  GPS time:      {a} … {b}\n");
        }
        if let Some(rgb) = s.rgb_max {
            out += &format!("  RGB max:       {} {} {}\n", rgb[0], rgb[1], rgb[2]);
        }
        for m in &mismatches {
            out += &format!("  MISMATCH:      {m}\n");
        }
    }
    for w in &file.warnings {
        out += &format!("Warning:         {w}\n");
    }
    Ok(out)
}

/// ASPRS standard class names (LAS 1.4 table 17).
pub fn class_name(class: u8) -> &'static str {
    match class {
        0 => "never classified",
        1 => "unclassified",
        2 => "ground",
        3 => "low vegetation",
        4 => "medium vegetation",
        5 => "high vegetation",
        6 => "building",
        7 => "low noise",
        8 => "model key point",
        9 => "water",
        10 => "rail",
        11 => "road surface",
        12 => "overlap",
        13 => "wire guard",
        14 => "wire conductor",
        15 => "transmission tower",
        16 => "wire connector",
        17 => "bridge deck",
        18 => "high noise",
        _ => "user defined",
    }
}

/// A terminal progress bar per conversion phase.
pub(crate) struct Bar {
    bar: std::sync::Mutex<Option<indicatif::ProgressBar>>,
}

impl Bar {
    pub(crate) fn new() -> Bar {
        Bar {
            bar: std::sync::Mutex::new(None),
        }
    }

    /// Ends the last phase's bar.
    pub(crate) fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(b) = slot.take()
        {
            b.finish();
        }
    }
}

impl sontinh_pointcloud::convert::Progress for Bar {
    fn phase(&self, name: &str, total: u64) {
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(old) = slot.take() {
                old.finish();
            }
            let bar = indicatif::ProgressBar::new(total);
            if let Ok(style) = indicatif::ProgressStyle::with_template("{msg:32} [{bar:40}] {percent:>3}% {human_pos}/{human_len} {per_sec} ETA {eta}") {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(name.to_owned());
            *slot = Some(bar);
        }
    }

    fn advance(&self, steps: u64) {
        if let Ok(slot) = self.bar.lock()
            && let Some(bar) = slot.as_ref()
        {
            bar.inc(steps);
        }
    }
}

/// `pc convert`: one COPC file from one or more LAS/LAZ/COPC inputs.
pub fn convert(inputs: &[std::path::PathBuf], output: &Path) -> Result<String, String> {
    let name = output.to_string_lossy();
    if !name.ends_with(".copc.laz") {
        return Err(format!("{name}: the output of pc convert is a COPC file and must end in .copc.laz"));
    }
    let started = std::time::Instant::now();
    let bar = Bar::new();
    let result = sontinh_pointcloud::convert::convert(inputs, output, &bar);
    bar.finish();
    let summary = result.map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let mut out = format!(
        "Wrote {}: {} points, point format {}{}, {} nodes in {} levels ({} chunks, largest {} points), {:.1} s, {:.0} points/s",
        output.display(),
        summary.point_count,
        summary.point_format,
        if summary.extra_bytes > 0 { format!(" + {} extra bytes", summary.extra_bytes) } else { String::new() },
        summary.nodes,
        summary.levels,
        summary.chunks,
        summary.largest_chunk,
        seconds,
        summary.point_count as f64 / seconds.max(1e-9)
    );
    for w in &summary.warnings {
        out += &format!("\nWarning: {w}");
    }
    Ok(out)
}

fn copc_output(output: &Path, command: &str) -> Result<(), String> {
    let name = output.to_string_lossy();
    if name.ends_with(".copc.laz") {
        Ok(())
    } else {
        Err(format!("{name}: the output of pc {command} is a COPC file and must end in .copc.laz"))
    }
}

fn summary_line(output: &Path, summary: &sontinh_pointcloud::convert::ConvertSummary, seconds: f64) -> String {
    format!(
        "Wrote {}: {} points, point format {}, {} nodes in {} levels, {:.1} s",
        output.display(),
        summary.point_count,
        summary.point_format,
        summary.nodes,
        summary.levels,
        seconds
    )
}

/// `pc tiles`: the plan of a tiled conversion, as JSON.
pub fn plan_tiles(inputs: &[std::path::PathBuf], level: i32, output: &Path) -> Result<String, String> {
    // The jobs may run from other folders: the plan names inputs absolutely.
    let inputs = inputs
        .iter()
        .map(|p| std::fs::canonicalize(p).map_err(|e| format!("{}: {e}", p.display())))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = sontinh_pointcloud::convert::tiles::plan_tiles(&inputs, level).map_err(|e| e.to_string())?;
    let json = serde_json::to_string_pretty(&plan).map_err(|e| e.to_string())?;
    std::fs::write(output, json).map_err(|e| format!("{}: {e}", output.display()))?;
    let mut out = format!("Wrote {}: {} tiles at level {level}", output.display(), plan.tiles.len());
    for tile in &plan.tiles {
        out += &format!("
  {}: {} inputs, at most {} points", tile.key, tile.inputs.len(), tile.points_at_most);
    }
    Ok(out)
}

/// `pc convert-tile`: one tile of a plan.
pub fn convert_tile(plan: &Path, tile: &str, output: &Path) -> Result<String, String> {
    copc_output(output, "convert-tile")?;
    let bytes = std::fs::read(plan).map_err(|e| format!("{}: {e}", plan.display()))?;
    let plan: sontinh_pointcloud::convert::tiles::TilePlan =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a tile plan of pc tiles: {e}", plan.display()))?;
    let started = std::time::Instant::now();
    let bar = Bar::new();
    let result = sontinh_pointcloud::convert::tiles::convert_tile(&plan, tile, output, &bar);
    bar.finish();
    let summary = result.map_err(|e| e.to_string())?;
    Ok(summary_line(output, &summary, started.elapsed().as_secs_f64()))
}

/// `pc merge`: the tiles of one plan in one COPC file.
pub fn merge(tiles: &[std::path::PathBuf], output: &Path) -> Result<String, String> {
    copc_output(output, "merge")?;
    let started = std::time::Instant::now();
    let bar = Bar::new();
    let result = sontinh_pointcloud::convert::tiles::merge_tiles(tiles, output, &bar);
    bar.finish();
    let summary = result.map_err(|e| e.to_string())?;
    Ok(summary_line(output, &summary, started.elapsed().as_secs_f64()))
}

/// `dem from-lidar`.
pub fn dem_from_lidar(inputs: &[std::path::PathBuf], output: &Path, resolution: f64, fill: usize) -> Result<String, String> {
    let s = sontinh_pointcloud::dem::dem_from_lidar(inputs, output, resolution, fill).map_err(|e| e.to_string())?;
    Ok(format!(
        "Wrote {}: {} × {} cells at {resolution}, CRS {}, from {} ({} cells filled, {} left empty)",
        output.display(),
        s.width,
        s.height,
        s.crs.as_deref().unwrap_or("none"),
        if s.used_all_points { "all points (no ground class in the input)".to_owned() } else { format!("{} ground points", s.ground_points) },
        s.filled_cells,
        s.empty_cells
    ))
}
