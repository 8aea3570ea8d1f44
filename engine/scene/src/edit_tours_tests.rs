//! The tour authoring edits on the shipped Citadel scene: comments and
//! other tables kept (checked line by line on the text, not through the
//! editor), the result accepted by the scene's own parser, and the parsed
//! tour holding exactly what was written.

use std::path::{Path, PathBuf};

use super::*;

fn scenes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes")
}

fn citadel_text() -> String {
    std::fs::read_to_string(scenes_dir().join("quang-tri-citadel.toml")).expect("the shipped Citadel scene")
}

/// Parsed as `scene check` does, its narration files resolved beside it.
fn parsed(text: &str) -> Scene {
    let dir = scenes_dir();
    parse(text, &dir.join("quang-tri-citadel.toml"), &FileResolver::new(dir.clone()))
        .unwrap_or_else(|e| panic!("the edited scene is refused: {e}\n{text}"))
}

fn frame(text: &str) -> sontinh_geo::EnuFrame {
    parsed(text).frame
}

/// Comment lines, trimmed, in file order.
fn comments(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The lines `new` has beyond `old`, when `new` is `old` with one block of
/// lines inserted (and nothing else changed); fails otherwise.
fn inserted_block(old: &str, new: &str) -> Vec<String> {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
    assert!(
        prefix + suffix >= a.len() && b.len() >= a.len(),
        "more changed than one inserted block: {prefix} lines kept before, {suffix} after, of {}",
        a.len()
    );
    let suffix = suffix.min(a.len() - prefix);
    b[prefix..b.len() - suffix].iter().map(|s| (*s).to_owned()).collect()
}

fn text(vi: &str, en: &str) -> Text {
    Text {
        vi: vi.to_owned(),
        en: en.to_owned(),
    }
}

const TOUR: &str = "citadel-walk";

fn draft() -> StopDraft {
    StopDraft {
        view: View {
            eye: [123.456, -789.012, 45.5],
            target: [-12.25, 30.125, 4.0],
            fov_deg: 47.5,
        },
        title: Some(text("Góc nhìn mới", "A new view")),
        text: text(
            "Dòng một về *Thành cổ*.\n\nĐoạn hai: \"trích dẫn\" và \\ gạch.\n",
            "Line one about the *citadel*.\n\n- a list\n- of two\n",
        ),
    }
}

#[test]
fn a_stop_captured_at_the_end_keeps_every_comment_and_parses_with_exactly_the_pose_written() {
    let old = citadel_text();
    let before = parsed(&old);
    let stops = before.tours[0].stops.len();
    assert_eq!(stops, 8, "the shipped tour has 8 stops");
    let new = add_stop(&old, TOUR, stops, &draft(), &before.frame, Coords::Local).expect("the stop is added");
    assert_eq!(comments(&new), comments(&old), "comment lines");
    let block = inserted_block(&old, &new);
    assert!(block.iter().any(|l| l == "[[tour.stop]]"), "{block:?}");
    assert!(block.contains(&"text.vi = \"\"\"".to_owned()), "multi-line text: {block:?}");
    assert!(block.contains(&"eye = [123.456, -789.012, 45.5]".to_owned()), "{block:?}");
    let after = parsed(&new);
    let tour = &after.tours[0];
    assert_eq!(tour.stops.len(), 9);
    assert_eq!(
        tour.stops[8].camera,
        StopCamera::Pose(View {
            eye: [123.456, -789.012, 45.5],
            target: [-12.25, 30.125, 4.0],
            fov_deg: 47.5
        })
    );
    assert_eq!(tour.stops[8].title, Some(text("Góc nhìn mới", "A new view")));
    assert_eq!(tour.stops[8].text, draft().text);
    assert_eq!(tour.stops[8].seconds, 8.0, "the format's default wait");
    assert_eq!(&tour.stops[..8], &before.tours[0].stops[..], "the other stops are unchanged");
    // Everything else of the scene is as it was.
    assert_eq!(after.hotspots, before.hotspots);
    assert_eq!(after.bookmarks, before.bookmarks);
    let points = |s: &Scene| s.measurements.iter().map(|m| (m.id.clone(), m.points.clone())).collect::<Vec<_>>();
    assert_eq!(points(&after), points(&before));
    assert_eq!(after.places.len(), before.places.len());
}

#[test]
fn a_stop_inserted_after_the_current_one_lands_there_with_the_following_stops_comments_kept() {
    let old = citadel_text();
    let before = parsed(&old);
    // After stop 2 (the east wall's flight), before "the four gates".
    let new = add_stop(&old, TOUR, 3, &draft(), &before.frame, Coords::Local).expect("the stop is added");
    assert_eq!(comments(&new), comments(&old));
    let block = inserted_block(&old, &new);
    // (Where the block starts is ambiguous: it repeats a blank line and a header.)
    assert_eq!(block.iter().filter(|l| *l == "[[tour.stop]]").count(), 1, "{block:?}");
    let after = parsed(&new);
    let stops = &after.tours[0].stops;
    assert_eq!(stops.len(), 9);
    assert_eq!(stops[3].title, Some(text("Góc nhìn mới", "A new view")));
    assert_eq!(&stops[..3], &before.tours[0].stops[..3]);
    assert_eq!(&stops[4..], &before.tours[0].stops[3..]);
    // And at the very start, right after the tour's header.
    let first = add_stop(&old, TOUR, 0, &draft(), &before.frame, Coords::Local).expect("added first");
    assert_eq!(comments(&first), comments(&old));
    let stops = parsed(&first).tours[0].stops.clone();
    assert_eq!(stops[0].title, Some(text("Góc nhìn mới", "A new view")));
    assert_eq!(&stops[1..], &before.tours[0].stops[..]);
}

#[test]
fn a_stop_written_in_wgs84_comes_back_within_a_millimetre() {
    let old = citadel_text();
    let frame = frame(&old);
    let new = add_stop(&old, TOUR, 8, &draft(), &frame, Coords::Wgs84).expect("the stop is added");
    let block = inserted_block(&old, &new);
    assert!(block.contains(&"crs = \"EPSG:4326\"".to_owned()), "{block:?}");
    // Longitudes near the scene's origin (107.194°E), not metres.
    let eye_line = block.iter().find(|l| l.starts_with("eye = [107.19")).expect("eye in degrees");
    assert!(eye_line.contains(", 16.7"), "{eye_line}");
    let StopCamera::Pose(v) = &parsed(&new).tours[0].stops[8].camera else {
        panic!("a pose")
    };
    let want = draft().view;
    for (got, want) in v.eye.iter().chain(&v.target).zip(want.eye.iter().chain(&want.target)) {
        assert!((got - want).abs() < 1e-3, "{got} vs {want}");
    }
}

#[test]
fn texts_with_quotes_backslashes_and_a_closing_quote_run_survive_the_round_trip() {
    let old = citadel_text();
    let tricky = StopDraft {
        text: text(
            "Ba dấu nháy \"\"\" ở giữa, một \\n không phải xuống dòng, và tab\tở đây.",
            "Ends with a quote \"",
        ),
        title: None,
        ..draft()
    };
    let new = add_stop(&old, TOUR, 8, &tricky, &frame(&old), Coords::Local).expect("the stop is added");
    let stop = &parsed(&new).tours[0].stops[8];
    // Written ending with one line break, as the shipped texts are.
    assert_eq!(stop.text.vi, format!("{}\n", tricky.text.vi));
    assert_eq!(stop.text.en, "Ends with a quote \"\n");
    assert_eq!(stop.title, None);
}

#[test]
fn moving_a_stop_moves_its_table_and_comments_and_nothing_else() {
    let old = citadel_text();
    let before = parsed(&old).tours[0].stops.clone();
    // The first stop (with its comment "[S1] [S3]; the model…") to third place.
    let new = move_stop(&old, TOUR, 0, 2).expect("moved");
    let mut want_comments = comments(&old);
    want_comments.sort();
    let mut got_comments = comments(&new);
    got_comments.sort();
    assert_eq!(got_comments, want_comments);
    let after = parsed(&new).tours[0].stops.clone();
    let order = [1, 2, 0, 3, 4, 5, 6, 7];
    for (i, o) in order.iter().enumerate() {
        assert_eq!(after[i], before[*o], "stop {i} should be the old stop {o}");
    }
    // In the text, the moved stop's comment now follows the east wall's flight.
    let east = new.find("path_seconds = 24.0").expect("the flight");
    let moved = new.find("# [S1] [S3]; the model").expect("the moved comment");
    let gates = new.find("Bốn cổng thành").expect("the gates' stop");
    assert!(east < moved && moved < gates, "{east} {moved} {gates}");
    // And back up: the file is the original again.
    assert_eq!(move_stop(&new, TOUR, 2, 0).expect("moved back"), old);
}

#[test]
fn removing_a_stop_removes_its_lines_only() {
    let old = citadel_text();
    let before = parsed(&old).tours[0].stops.clone();
    let new = remove_stop(&old, TOUR, 3).expect("removed");
    // The expected text, cut by hand: from the fourth `[[tour.stop]]` header
    // (and the blank line before it) to the line before the fifth.
    let lines: Vec<&str> = old.lines().collect();
    let headers: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| **l == "[[tour.stop]]")
        .map(|(i, _)| i)
        .collect();
    let mut want: Vec<&str> = lines[..headers[3] - 1].to_vec();
    want.extend(&lines[headers[4] - 1..]);
    assert_eq!(new.lines().collect::<Vec<_>>(), want);
    let after = parsed(&new).tours[0].stops.clone();
    assert_eq!(after.len(), 7);
    assert_eq!(&after[..3], &before[..3]);
    assert_eq!(&after[3..], &before[4..]);
}

#[test]
fn a_stops_texts_are_replaced_where_they_stand_with_their_comments() {
    let old = citadel_text();
    let body = text("Văn bản **mới**.\n", "New **text**.\n");
    let title = text("Tiêu đề mới", "New title");
    let new = set_stop_texts(&old, TOUR, 1, Some(&title), &body).expect("set");
    assert_eq!(comments(&new), comments(&old));
    let stop = &parsed(&new).tours[0].stops[1];
    assert_eq!(stop.title, Some(title));
    assert_eq!(stop.text, body);
    // Only the stop's title and text lines changed: same line count less the old texts' lines.
    assert!(new.contains("title = { vi = \"Tiêu đề mới\", en = \"New title\" }\nbookmark = \"plan\"\n# [S1] [S3] [S5]"));
    assert!(new.contains("text.vi = \"\"\"\nVăn bản **mới**.\n\"\"\"\ntext.en = \"\"\"\nNew **text**.\n\"\"\""));
    assert!(!new.contains("Ban đầu, thành được đắp bằng đất"));
}

#[test]
fn a_hotspot_placed_at_a_point_is_shown_at_a_stop_and_its_article_edited() {
    let old = citadel_text();
    let before = parsed(&old);
    let spot = HotspotDraft {
        id: "new-spot".to_owned(),
        enu: [101.5, -202.25, 7.125],
        title: text("Điểm mới", "New spot"),
        article: text("Bài *mới*.", "A *new* article."),
    };
    let new = add_hotspot(&old, &spot, &before.frame, Coords::Local).expect("added");
    assert_eq!(comments(&new), comments(&old));
    let block = inserted_block(&old, &new);
    assert_eq!(block.iter().filter(|l| *l == "[[hotspot]]").count(), 1, "{block:?}");
    let new = show_hotspot_at_stop(&new, TOUR, 4, "new-spot").expect("shown");
    assert!(new.contains("hotspots = [\"north-gate\", \"new-spot\"]"));
    let after = parsed(&new);
    let h = after.hotspots.iter().position(|h| h.id == "new-spot").expect("the hotspot");
    assert_eq!(after.hotspots[h].enu, [101.5, -202.25, 7.125]);
    assert_eq!(after.hotspots[h].article, text("Bài *mới*.\n", "A *new* article.\n"));
    assert_eq!(&after.hotspots[..h], &before.hotspots[..]);
    let north = after.hotspots.iter().position(|h| h.id == "north-gate").expect("north gate");
    assert_eq!(after.tours[0].stops[4].hotspots, vec![north, h]);
    // A stop without `hotspots` gets the key.
    let bare = remove_key_line(&new, 7, "hotspots = [\"flower-wharf\"]");
    let shown = show_hotspot_at_stop(&bare, TOUR, 7, "new-spot").expect("shown");
    assert_eq!(parsed(&shown).tours[0].stops[7].hotspots, vec![h]);
    // The article edited; the comment above the memorial's article stays.
    let edited = set_hotspot_texts(&new, "memorial", &text("Đài", "Memorial"), &text("Mới.", "New.")).expect("edited");
    assert_eq!(comments(&edited), comments(&old));
    let m = parsed(&edited).hotspots.into_iter().find(|h| h.id == "memorial").expect("memorial");
    assert_eq!((m.title, m.article), (text("Đài", "Memorial"), text("Mới.\n", "New.\n")));
}

/// `text` without the line `line` in the last `[[tour.stop]]` (checked to be there).
fn remove_key_line(text: &str, stop: usize, line: &str) -> String {
    let at = text.rfind(line).expect("the line");
    let headers = text.match_indices("[[tour.stop]]").count();
    assert_eq!(headers, stop + 1, "the line is in the last stop");
    format!("{}{}", &text[..at], &text[at + line.len() + 1..])
}

#[test]
fn bad_input_is_refused_naming_what_was_wrong() {
    let old = citadel_text();
    let f = frame(&old);
    let err = |r: Result<String, TourEditError>| r.expect_err("refused");
    let e = err(add_stop(&old, "nowhere", 0, &draft(), &f, Coords::Local));
    assert_eq!(
        e,
        TourEditError::UnknownTour {
            tour: "nowhere".into(),
            known: TOUR.into()
        }
    );
    assert!(e.to_string().contains("citadel-walk"), "{e}");
    assert!(matches!(
        err(add_stop(&old, TOUR, 9, &draft(), &f, Coords::Local)),
        TourEditError::InsertOutOfRange { index: 9, stops: 8, .. }
    ));
    assert!(matches!(
        err(move_stop(&old, TOUR, 8, 0)),
        TourEditError::StopOutOfRange { index: 8, stops: 8, .. }
    ));
    assert!(matches!(
        err(remove_stop(&old, TOUR, 8)),
        TourEditError::StopOutOfRange { index: 8, stops: 8, .. }
    ));
    assert!(matches!(
        err(set_stop_texts(&old, TOUR, 12, None, &draft().text)),
        TourEditError::StopOutOfRange { index: 12, .. }
    ));
    let spot = |id: &str| HotspotDraft {
        id: id.to_owned(),
        enu: [0.0, 0.0, 1.0],
        title: text("A", "A"),
        article: text("A", "A"),
    };
    assert_eq!(
        err(add_hotspot(&old, &spot("memorial"), &f, Coords::Local)),
        TourEditError::DuplicateHotspot("memorial".into())
    );
    for bad in ["", "Cổng", "has space", "UPPER"] {
        assert_eq!(
            err(add_hotspot(&old, &spot(bad), &f, Coords::Local)),
            TourEditError::InvalidId(bad.into())
        );
    }
    assert_eq!(
        err(show_hotspot_at_stop(&old, TOUR, 0, "nope")),
        TourEditError::UnknownHotspot("nope".into())
    );
    assert!(matches!(
        err(show_hotspot_at_stop(&old, TOUR, 0, "memorial")),
        TourEditError::AlreadyShown { .. }
    ));
    assert_eq!(
        err(set_hotspot_texts(&old, "nope", &text("A", "A"), &text("A", "A"))),
        TourEditError::UnknownHotspot("nope".into())
    );
    // Markdown outside the subset, with the language named.
    let heading = StopDraft {
        text: text("Được", "# A heading"),
        ..draft()
    };
    let e = err(add_stop(&old, TOUR, 0, &heading, &f, Coords::Local));
    assert!(matches!(&e, TourEditError::Markdown { lang: "en", .. }), "{e}");
    let empty = StopDraft {
        text: text("Có", "  "),
        ..draft()
    };
    assert!(matches!(
        err(add_stop(&old, TOUR, 0, &empty, &f, Coords::Local)),
        TourEditError::EmptyText { .. }
    ));
    let two_lines = StopDraft {
        title: Some(text("a\nb", "b")),
        ..draft()
    };
    assert!(matches!(
        err(add_stop(&old, TOUR, 0, &two_lines, &f, Coords::Local)),
        TourEditError::MultiLineTitle { lang: "vi", .. }
    ));
    let mut blind = draft();
    blind.view.target = blind.view.eye;
    assert!(matches!(
        err(add_stop(&old, TOUR, 0, &blind, &f, Coords::Local)),
        TourEditError::BadView(_)
    ));
    let mut wide = draft();
    wide.view.fov_deg = 175.0;
    assert!(matches!(
        err(add_stop(&old, TOUR, 0, &wide, &f, Coords::Local)),
        TourEditError::BadView(_)
    ));
    // A tour keeps at least one stop.
    let one = "[[tour]]\nid = \"t\"\n[[tour.stop]]\ntext = \"x\"\n";
    assert_eq!(err(remove_stop(one, "t", 0)), TourEditError::LastStop { tour: "t".into() });
    assert!(matches!(err(remove_stop("not = [toml", "t", 0)), TourEditError::Parse(_)));
}
