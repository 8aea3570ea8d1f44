//! Interface strings in Vietnamese and English.

use sontinh_scene::Lang;

/// Every interface string, keyed by a stable name.
const STRINGS: &[(&str, &str, &str)] = &[
    ("app_title", "Sơn Tinh — bản sao số Quảng Trị", "Sơn Tinh — Quảng Trị digital twin"),
    ("mode", "Chế độ", "Mode"),
    ("mode_tourist", "Du khách", "Tourist"),
    ("mode_operator", "Điều hành", "Operator"),
    ("mode_planner", "Quy hoạch", "Planner"),
    ("language", "Ngôn ngữ", "Language"),
    ("navigation", "Di chuyển", "Navigation"),
    ("nav_orbit", "Quay quanh", "Orbit"),
    ("nav_walk", "Đi bộ (F)", "Walk (F)"),
    ("layers", "Lớp dữ liệu", "Layers"),
    ("opacity", "Độ mờ đục", "Opacity"),
    ("layer_loading", "đang tải", "loading"),
    ("layer_failed", "lỗi", "error"),
    ("bookmarks", "Điểm nhìn", "Viewpoints"),
    ("tours", "Tham quan", "Tours"),
    ("tour_next", "Tiếp ⏭", "Next ⏭"),
    ("tour_stop", "Kết thúc", "End tour"),
    ("tour_previous", "⏮ Trước", "⏮ Previous"),
    ("tour_play", "▶ Phát", "▶ Play"),
    ("tour_pause", "⏸ Tạm dừng", "⏸ Pause"),
    ("tour_player", "Tham quan có thuyết minh", "Guided tour"),
    ("tour_stop_number", "Điểm dừng", "Stop"),
    ("tour_stops", "điểm dừng", "stops"),
    ("tour_captions", "Phụ đề", "Captions"),
    ("tour_autoplay", "Tự động tiếp", "Autoplay"),
    ("tour_reduced_motion", "Giảm chuyển động", "Reduced motion"),
    ("tour_volume", "Âm lượng", "Volume"),
    ("tour_narration", "Lời thuyết minh", "Narration"),
    ("hotspots", "Điểm thông tin", "Points of interest"),
    ("hotspot_open", "Mở bài viết", "Open the article"),
    ("hotspot_fly", "Bay tới:", "Fly to:"),
    ("scene_info", "Thông tin", "About this site"),
    (
        "reconstruction",
        "Bản dựng lại — không phải dữ liệu khảo sát",
        "Reconstruction — not survey data",
    ),
    ("sign_in_title", "Dữ liệu IOC trực tuyến", "IOC live feeds"),
    (
        "sign_in_hint",
        "Dán mã vai trò (token) được cấp cho bạn.",
        "Paste the role token you were given.",
    ),
    ("sign_in_token", "Mã vai trò", "Role token"),
    ("sign_in", "Đăng nhập", "Sign in"),
    ("sign_out", "Đăng xuất", "Sign out"),
    ("coordinates", "Tọa độ dưới con trỏ", "Coordinates under the cursor"),
    ("feed_connecting", "Đang kết nối nguồn dữ liệu…", "Connecting to the feed…"),
    ("feed_connected", "Đã kết nối nguồn dữ liệu", "Feed connected"),
    (
        "feed_broker_down",
        "Cổng dữ liệu mất kết nối với broker",
        "Gateway has lost its broker",
    ),
    (
        "feed_disconnected",
        "Mất kết nối — hiển thị trạng thái cuối cùng",
        "Disconnected — showing the last known state",
    ),
    ("alarms_new", "cảnh báo chưa xác nhận", "unacknowledged alarms"),
    ("operations_window", "Trung tâm điều hành", "Operations centre"),
    ("feed_live", "Trực tiếp", "Live"),
    ("alarms", "Cảnh báo", "Alarms"),
    ("acknowledge", "Xác nhận", "Acknowledge"),
    ("acknowledge_all", "Xác nhận tất cả", "Acknowledge all"),
    ("alarm_flood", "Báo động", "Flood alarm"),
    ("alarm_camera_offline", "Camera mất tín hiệu", "Camera offline"),
    ("alarm_light_fault", "Đèn hỏng", "Light fault"),
    ("flood_warning", "Cảnh báo ngập", "Flood warning"),
    ("flood_warning_area", "diện tích ngập", "under water"),
    ("flood_warning_deepest", "sâu nhất", "deepest"),
    ("camera_online", "đang hoạt động", "online"),
    ("camera_offline", "mất tín hiệu", "offline"),
    ("light_on", "bật", "on"),
    ("light_off", "tắt", "off"),
    ("devices", "Thiết bị", "Devices"),
    ("no_reading", "chưa có số liệu", "no reading yet"),
    ("stale", "quá hạn báo cáo", "stale"),
    ("no_snapshot", "Chưa có ảnh", "No snapshot yet"),
    ("dashboard", "Bảng điều khiển", "Dashboard"),
    ("live_video", "TRỰC TIẾP", "LIVE"),
    ("report", "Báo cáo", "Report"),
    ("report_make", "Lập báo cáo (HTML, in được)", "Make the report (HTML, printable)"),
    ("report_fetching", "Đang lập báo cáo…", "Making the report…"),
    ("report_failed", "Không lập được báo cáo", "Could not make the report"),
    ("report_saved", "Đã lưu báo cáo", "Report saved"),
    ("period_day", "24 giờ qua", "Last 24 hours"),
    ("period_week", "7 ngày qua", "Last 7 days"),
    ("period_received", "Toàn bộ dữ liệu đã nhận", "Everything received"),
    ("frames", "khung hình", "frames"),
    ("video_ended", "Video đã dừng", "Video stopped"),
    ("dash_gauges", "Trạm đo", "Gauges"),
    ("dash_below_alarm", "bình thường", "normal"),
    ("dash_cameras", "Camera hoạt động", "Cameras online"),
    ("dash_lights", "Đèn", "Lights"),
    ("dash_lights_on", "bật", "on"),
    ("dash_lights_faulted", "hỏng", "faulted"),
    ("dash_stale", "Thiết bị quá hạn", "Stale devices"),
    ("hydrograph", "Biểu đồ mực nước", "Hydrograph"),
    ("observed", "quan trắc", "observed"),
    ("forecast", "dự báo (mô phỏng)", "forecast (simulation)"),
    (
        "no_forecast",
        "Chưa có dự báo: chạy hoặc mở một kết quả mô phỏng lũ.",
        "No forecast: run or open a flood simulation.",
    ),
    ("acknowledged_by", "đã xác nhận", "acknowledged"),
    ("acknowledge_failed", "Không xác nhận được", "Could not acknowledge"),
    ("feed_bad_messages", "Bản tin không đọc được", "Unreadable messages"),
    ("lat_lon", "Vĩ độ / kinh độ (WGS 84)", "Latitude / longitude (WGS 84)"),
    ("vn2000", "VN-2000 (múi 3° Quảng Trị)", "VN-2000 (Quảng Trị 3° zone)"),
    ("height", "Độ cao", "Height"),
    ("no_hit", "Di chuột lên mặt đất", "Point at the ground"),
    ("loading", "Đang tải cảnh…", "Loading the scene…"),
    ("memory", "Bộ nhớ", "Memory"),
    (
        "operator_hint",
        "Đăng nhập nguồn dữ liệu IOC bằng ô đăng nhập (góc trên bên phải), ?token= hoặc --token; cửa sổ Trung tâm điều hành có cảnh báo, dòng thời gian và thiết bị.",
        "Sign in to the IOC feed with the sign-in field (top right), ?token= or --token; the Operations centre window has the alarms, the timeline and the devices.",
    ),
    ("planner_hint", "Kịch bản ngập lụt của cảnh này:", "Flood scenarios of this scene:"),
    ("flood_shown", "Vùng ngập (sâu hơn 0,1 m)", "Flooded (deeper than 0.1 m)"),
    ("deepest", "sâu nhất", "deepest"),
    ("flood_at", "Lúc", "At"),
    ("flood_max", "Tối đa cả trận lũ", "Maximum over the flood"),
    (
        "flood_hint",
        "Chạy `sontinh flood run` rồi mở với --flood THƯ_MỤC để xem kết quả.",
        "Run `sontinh flood run`, then open with --flood DIR to see the result.",
    ),
    ("planner_window", "Lập kế hoạch lũ", "Flood planning"),
    ("scenario", "Kịch bản", "Scenario"),
    ("rain_rate", "Mưa", "Rain"),
    ("rain_duration", "Thời gian mưa", "Rain duration"),
    ("inflow_scale", "Lưu lượng thượng nguồn", "Upstream inflow"),
    ("breach_here", "Vỡ đê tại con trỏ", "Breach at the cursor"),
    (
        "breach_hint",
        "Đặt điểm vỡ đê (cắt tường, đê) tại vị trí con trỏ trên mặt đất",
        "Put a breach (a cut through walls or levees) where the cursor is on the ground",
    ),
    ("breach_clear", "Bỏ điểm vỡ", "Remove the breach"),
    ("breach", "Điểm vỡ", "Breach"),
    ("breach_width", "Bề rộng", "Width"),
    ("breach_level", "Cao độ đáy", "Down to"),
    ("run_flood", "▶ Chạy mô phỏng", "▶ Run the simulation"),
    (
        "run_native_only",
        "Trang này không chạy được mô phỏng lũ (các worker của trang chưa khởi động).",
        "This page cannot run floods (its workers did not start).",
    ),
    ("download_results", "Tải kết quả về", "Download the results"),
    ("results_folder", "Kết quả đã lưu tại", "Results saved in"),
    ("pause", "⏸ Tạm dừng", "⏸ Pause"),
    ("resume", "▶ Tiếp tục", "▶ Resume"),
    ("cancel", "✖ Huỷ", "✖ Cancel"),
    (
        "places_under_water",
        "Địa điểm bị ngập (sâu nhất, thời điểm ngập)",
        "Places under water (deepest, when)",
    ),
    ("after", "sau", "after"),
    ("stays_dry", "không ngập", "stays dry"),
    ("impact_reached", "Công trình bị ngập", "Buildings and roads reached"),
    ("impact_buildings", "nhà", "buildings"),
    ("impact_roads", "đoạn đường", "road segments"),
    ("impact_no_area", "Ngoài các xã", "Outside the areas"),
    ("impact_hint", "Chọn để xem trên bản sao số", "Select one to see it on the twin"),
    ("impact_more", "khác, nông hơn (xem impact.csv)", "more, shallower (see impact.csv)"),
    ("point_clouds", "Đám mây điểm", "Point clouds"),
    ("color_by", "Tô màu theo", "Colour by"),
    ("color_rgb", "Màu thật", "RGB"),
    ("color_elevation", "Độ cao", "Elevation"),
    ("color_intensity", "Cường độ", "Intensity"),
    ("color_classification", "Phân loại", "Classification"),
    ("color_return", "Lần phản xạ", "Return number"),
    ("point_budget", "Số điểm tối đa", "Point budget"),
    ("point_size", "Cỡ điểm", "Point size"),
    ("eye_dome_lighting", "Đổ bóng theo độ sâu (EDL)", "Eye-dome lighting"),
    ("classes_shown", "Lớp hiển thị", "Classes shown"),
    ("class_unclassified", "chưa phân loại", "unclassified"),
    ("class_ground", "mặt đất", "ground"),
    ("class_low_vegetation", "cây thấp", "low vegetation"),
    ("class_medium_vegetation", "cây vừa", "medium vegetation"),
    ("class_high_vegetation", "cây cao", "high vegetation"),
    ("class_building", "công trình", "building"),
    ("class_noise", "nhiễu", "noise"),
    ("class_water", "mặt nước", "water"),
    ("class_bridge", "mặt cầu", "bridge deck"),
    (
        "clip_box",
        "Hộp cắt (m, quanh gốc cảnh)",
        "Clipping box (m, around the scene origin)",
    ),
    (
        "controls",
        "Chuột trái: xoay · Chuột phải: kéo · Cuộn: thu phóng · F: đi bộ (WASD/mũi tên, Shift: chạy)",
        "Left drag: orbit · Right drag: pan · Wheel: zoom · F: walk (WASD/arrows, Shift runs)",
    ),
    ("walk_start", "Đi bộ", "Walk"),
    ("walk_stop", "Thôi đi bộ", "Stop walking"),
    (
        "walk_stick_hint",
        "Kéo núm để đi; kéo nơi khác trên màn hình để nhìn quanh",
        "Drag the knob to walk; drag elsewhere on the screen to look around",
    ),
    ("feature_attributes", "Thuộc tính đối tượng", "Feature attributes"),
    ("feature_filters", "Lọc đối tượng", "Filter features"),
    (
        "feature_filter_help",
        "Giá trị cách nhau bằng dấu phẩy, hoặc khoảng số: 2..8, 10.., ..5",
        "Values separated by commas, or a numeric range: 2..8, 10.., ..5",
    ),
    ("feature_count", "đối tượng", "features"),
    ("feature_attribute", "Thuộc tính", "Attribute"),
    ("feature_filter_apply", "Lọc", "Apply"),
    ("feature_filter_clear", "Bỏ lọc", "Clear"),
    ("feature_filter_bad", "Không đọc được", "Cannot read"),
    ("measure", "Đo đạc", "Measure"),
    (
        "measure_help",
        "Nhấp hoặc chạm để đặt điểm (Space: giữa màn hình) · kéo điểm để dời · chuột phải hoặc Delete để xoá · Ctrl+Z hoàn tác",
        "Click or tap to place a point (Space: the view's centre) · drag a point to move it · right-click or Delete removes it · Ctrl+Z undoes",
    ),
    ("measure_points", "Điểm đã đặt", "Points placed"),
    ("measure_undo", "↶ Hoàn tác", "↶ Undo"),
    ("measure_redo", "↷ Làm lại", "↷ Redo"),
    ("measure_remove_vertex", "Xoá điểm", "Remove point"),
    ("measure_clear", "Xoá hết", "Clear"),
    ("measure_keep", "Lưu số đo", "Keep measurement"),
    ("measure_cancel", "Huỷ", "Cancel"),
    ("measure_kept", "Số đo đã lưu", "Kept measurements"),
    ("measure_edit", "Sửa", "Edit"),
    ("measure_forget", "Xoá số đo", "Delete measurement"),
    ("measure_save_scene", "Ghi vào tệp cảnh", "Save into the scene file"),
    ("measure_saved_to", "Đã lưu:", "Saved:"),
    ("measure_against", "So với:", "Against:"),
    ("measure_lowest_vertex", "điểm thấp nhất", "lowest point"),
    ("measure_level", "cao độ", "level"),
    ("measure_flood_water", "mặt nước lũ", "flood water"),
    ("measure_profile_csv", "Xuất mặt cắt (CSV)", "Export profile (CSV)"),
    ("section_box", "✂ Hộp cắt quanh số đo", "✂ Clip box around it"),
    ("section_along", "✂ Mặt cắt theo tuyến", "✂ Section along the line"),
    (
        "section_plan",
        "✂ Cắt ngang ở độ cao điểm cuối",
        "✂ Plan cut at the last point's height",
    ),
    ("section_clear", "Bỏ cắt", "Remove the cut"),
    ("measure_no_surface", "Không có bề mặt dưới tuyến", "No surface under the line"),
];

/// The string `key` in `lang`; an unknown key is returned as itself so that
/// a missing translation shows up instead of vanishing.
pub fn tr(key: &'static str, lang: Lang) -> &'static str {
    STRINGS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, vi, en)| match lang {
            Lang::Vi => *vi,
            Lang::En => *en,
        })
        .unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_has_both_languages_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for (key, vi, en) in STRINGS {
            assert!(keys.insert(key), "duplicate key {key}");
            assert!(!vi.is_empty() && !en.is_empty(), "{key}");
        }
        assert_eq!(tr("layers", Lang::Vi), "Lớp dữ liệu");
        assert_eq!(tr("layers", Lang::En), "Layers");
    }

    #[test]
    fn every_key_used_in_the_panels_exists() {
        for source in [
            include_str!("panels.rs"),
            include_str!("planner_panel.rs"),
            include_str!("pointcloud_panel.rs"),
            include_str!("operator_panel.rs"),
            include_str!("dashboard_panel.rs"),
            include_str!("device_labels.rs"),
            include_str!("sign_in.rs"),
            include_str!("measure_panel.rs"),
            include_str!("walk_joystick.rs"),
        ] {
            for part in source.split("tr(\"").skip(1) {
                let key = &part[..part.find('"').unwrap()];
                assert!(STRINGS.iter().any(|(k, _, _)| *k == key), "missing string {key}");
            }
        }
    }
}
