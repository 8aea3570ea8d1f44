//! The editor's undo history, the figures of every tool and the exports,
//! against exact answers.

use approx::assert_abs_diff_eq;
use sontinh_geo::{EnuFrame, Geodetic};

use crate::*;

#[test]
fn a_height_takes_two_points_and_refuses_a_third() {
    let mut e = Editor::new(MeasureTool::Height);
    e.add([0.0, 0.0, 1.0]).unwrap();
    assert!(!e.is_complete());
    e.add([0.0, 0.0, 5.5]).unwrap();
    assert!(e.is_complete() && e.is_full());
    assert_eq!(e.add([1.0, 1.0, 1.0]), Err(EditRefused::Full));
    assert_eq!(e.add([f64::NAN, 0.0, 0.0]), Err(EditRefused::NotFinite));
    assert_eq!(e.points(), &[[0.0, 0.0, 1.0], [0.0, 0.0, 5.5]]);
}

#[test]
fn a_drag_undoes_in_one_step_and_redo_replays_it() {
    let mut e = Editor::new(MeasureTool::Distance);
    e.add([0.0, 0.0, 0.0]).unwrap();
    e.add([10.0, 0.0, 0.0]).unwrap();
    for x in [11.0, 12.0, 13.0] {
        e.move_to(1, [x, 0.0, 0.0]).unwrap();
    }
    e.end_move();
    e.insert(1, [5.0, 5.0, 0.0]).unwrap();
    e.remove(0).unwrap();
    assert_eq!(e.points(), &[[5.0, 5.0, 0.0], [13.0, 0.0, 0.0]]);
    assert!(e.undo());
    assert_eq!(e.points(), &[[0.0, 0.0, 0.0], [5.0, 5.0, 0.0], [13.0, 0.0, 0.0]]);
    assert!(e.undo());
    assert_eq!(e.points(), &[[0.0, 0.0, 0.0], [13.0, 0.0, 0.0]], "the insert undone");
    assert!(e.undo());
    assert_eq!(e.points(), &[[0.0, 0.0, 0.0], [10.0, 0.0, 0.0]], "the whole drag undone at once");
    assert!(e.redo() && e.redo());
    assert_eq!(e.points(), &[[0.0, 0.0, 0.0], [5.0, 5.0, 0.0], [13.0, 0.0, 0.0]]);
    e.clear();
    assert!(e.points().is_empty());
    assert!(e.undo());
    assert_eq!(e.points().len(), 3, "clearing is undoable");
    assert_eq!(e.remove(7), Err(EditRefused::NoVertex(7)));
    assert!(!e.can_redo() || e.redo());
}

#[test]
fn spacing_is_round_and_keeps_within_the_budget() {
    assert_eq!(spacing_for(1_000_000.0, 2_500), 20.0);
    assert_eq!(spacing_for(1_000.0, 2_500), 1.0);
    assert_eq!(spacing_for(30_000.0, 1_000), 10.0);
    assert_eq!(spacing_for(0.0, 10), 0.01);
    for area in [3.0, 77.0, 12_345.0, 9.9e6] {
        let s = spacing_for(area, 4_096);
        assert!(area / (s * s) <= 4_096.0 + 1e-9, "{area} m² at {s} m");
    }
}

fn square(frame: &EnuFrame, half: f64, height: f64) -> Vec<Geodetic> {
    [[-half, -half], [half, -half], [half, half], [-half, half]].iter().map(|[e, n]| frame.enu_to_geodetic([*e, *n, height])).collect()
}

#[test]
fn every_tool_gives_its_exact_figure() {
    let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
    let at = |e: f64, n: f64, u: f64| frame.enu_to_geodetic([e, n, u]);
    let ground = |_: Geodetic| Some(3.0);

    let height = [at(0.0, 0.0, 1.0), at(0.0, 0.0, 5.5)];
    let f = figures(&Inputs { tool: MeasureTool::Height, points: &height, ground: None, layers: &[], reference: VolumeReference::Level(None), cell_budget: 100, profile_samples: 10 }).unwrap();
    let Figures::Height { difference_m, horizontal_m, .. } = f else { panic!("{f:?}") };
    assert_abs_diff_eq!(difference_m, 4.5, epsilon = 1e-6);
    assert_abs_diff_eq!(horizontal_m, 0.0, epsilon = 1e-6);

    // A right angle in the horizontal plane, 10 m legs.
    let corner = [at(10.0, 0.0, 0.0), at(0.0, 0.0, 0.0), at(0.0, 10.0, 0.0)];
    let f = figures(&Inputs { tool: MeasureTool::Angle, points: &corner, ground: None, layers: &[], reference: VolumeReference::Level(None), cell_budget: 100, profile_samples: 10 }).unwrap();
    let Figures::Angle { degrees } = f else { panic!("{f:?}") };
    assert_abs_diff_eq!(degrees, 90.0, epsilon = 1e-4);

    // A 100 m square with its corners at 1 m under ground at 3 m: 2 m of cut over 10 000 m².
    let poly = square(&frame, 50.0, 1.0);
    let f = figures(&Inputs { tool: MeasureTool::Volume, points: &poly, ground: Some(&ground), layers: &[], reference: VolumeReference::Level(None), cell_budget: 2_500, profile_samples: 10 }).unwrap();
    let Figures::Volume { volume, level_m, spacing_m, .. } = &f else { panic!("{f:?}") };
    // The corners stand 1 m above the tangent plane: 71 m out, the ellipsoid has dropped d²/2R = 0.4 mm.
    assert_abs_diff_eq!(level_m.unwrap(), 1.0, epsilon = 1e-3);
    assert_eq!(*spacing_m, 2.0);
    assert_abs_diff_eq!(volume.cut_m3, 20_000.0, epsilon = 20_000.0 * 0.01);
    assert_abs_diff_eq!(volume.fill_m3, 0.0);
    let summary = f.summary();
    assert!(summary.iter().any(|(k, v)| *k == "cut_m3" && (*v - volume.cut_m3).abs() < 1e-9));

    // The same square's area, flat ground: surface and horizontal agree.
    let f = figures(&Inputs { tool: MeasureTool::Area, points: &poly, ground: Some(&ground), layers: &[], reference: VolumeReference::Level(None), cell_budget: 2_500, profile_samples: 10 }).unwrap();
    let Figures::Area { polygon, surface: Some(surface), .. } = &f else { panic!("{f:?}") };
    assert_abs_diff_eq!(polygon.horizontal_m2, 10_000.0, epsilon = 1.0);
    assert_abs_diff_eq!(surface.surface_m2, surface.horizontal_m2, epsilon = 1e-6);

    // A profile of two layers over a 200 m line: 100 samples asked, 101 taken.
    let line = [at(-100.0, 0.0, 0.0), at(100.0, 0.0, 0.0)];
    let low = |_: Geodetic| Some(1.0);
    let ramp_frame = frame;
    let ramp = move |g: Geodetic| Some(ramp_frame.geodetic_to_enu(g)[0] / 10.0);
    let layers = [NamedSurface { name: "flat".into(), height: &low }, NamedSurface { name: "ramp".into(), height: &ramp }];
    let f = figures(&Inputs { tool: MeasureTool::Profile, points: &line, ground: None, layers: &layers, reference: VolumeReference::Level(None), cell_budget: 10, profile_samples: 100 }).unwrap();
    let Figures::Profile { samples, layers: names, .. } = &f else { panic!("{f:?}") };
    assert_eq!(names, &["flat".to_owned(), "ramp".to_owned()]);
    assert_eq!(samples.len(), 101);
    let mid = &samples[50];
    assert_abs_diff_eq!(mid.distance_m, 100.0, epsilon = 1e-3);
    assert_abs_diff_eq!(mid.heights[1].unwrap(), 0.0, epsilon = 1e-3);
    assert_abs_diff_eq!(samples[100].heights[1].unwrap(), 10.0, epsilon = 1e-3);
}

#[test]
fn geojson_closes_rings_counter_clockwise_with_heights() {
    let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
    // Clockwise as given.
    let cw: Vec<Geodetic> = [[0.0, 0.0], [0.0, 10.0], [10.0, 10.0], [10.0, 0.0]].iter().map(|[e, n]| frame.enu_to_geodetic([*e, *n, 2.5])).collect();
    let text = geojson(&[Exported { id: "yard", name_vi: "Sân \"trong\"", name_en: "Yard", tool: MeasureTool::Area, points: &cw, figures: None }]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let ring = v["features"][0]["geometry"]["coordinates"][0].as_array().unwrap();
    assert_eq!(ring.len(), 5);
    assert_eq!(ring[0], ring[4]);
    let xy: Vec<[f64; 2]> = ring.iter().map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()]).collect();
    let twice: f64 = xy.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum();
    assert!(twice > 0.0, "counter-clockwise");
    assert_abs_diff_eq!(ring[2][2].as_f64().unwrap(), 2.5, epsilon = 1e-4);
    assert_eq!(v["features"][0]["properties"]["name_vi"], "Sân \"trong\"");

    let csv_text = csv(&[Exported { id: "yard", name_vi: "Sân \"trong\"", name_en: "Yard", tool: MeasureTool::Area, points: &cw, figures: None }]);
    assert!(csv_text.starts_with("id,name_vi,name_en,tool,wkt\n\"yard\",\"Sân \"\"trong\"\"\",\"Yard\",area,\"POLYGON Z (("), "{csv_text}");
}
