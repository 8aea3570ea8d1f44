//! The report as a printable HTML page, in Vietnamese or English: a
//! hydrograph per gauge (an inline SVG with its alarm lines), the gauges'
//! figures, the alarm log, cameras and lights. No script: it prints as it
//! shows, and opens in any browser the province has.

use std::fmt::Write as _;

use super::Report;
use super::figures::{ALARM_NAMES, GaugeFigures};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    Vi,
    En,
}

impl Language {
    fn pick(self, vi: &'static str, en: &'static str) -> &'static str {
        match self {
            Language::Vi => vi,
            Language::En => en,
        }
    }
}

/// Vietnam's time, UTC+7 all year: what operators read clocks in.
fn local(ms: i64, language: Language) -> String {
    let Some(offset) = chrono::FixedOffset::east_opt(7 * 3600) else { return ms.to_string() };
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t
            .with_timezone(&offset)
            .format(match language {
                Language::Vi => "%H:%M %d/%m/%Y",
                Language::En => "%Y-%m-%d %H:%M",
            })
            .to_string(),
        None => ms.to_string(),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn hours(ms: i64) -> String {
    let minutes = (ms as f64 / 60_000.0).round() as i64;
    format!("{} h {:02}", minutes / 60, minutes % 60)
}

const ALARM_COLOURS: [&str; 3] = ["#d4a000", "#e06000", "#c00000"];

/// A gauge's hydrograph over the report's period, with its alarm lines.
fn hydrograph(g: &GaugeFigures, from_ms: i64, to_ms: i64, language: Language) -> String {
    let (width, height, left, right, top, bottom) = (720.0, 240.0, 56.0, 12.0, 12.0, 36.0);
    let levels = g.series.iter().map(|(_, l)| *l).chain(g.alarm_levels_m);
    let (lo, hi) = levels.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let margin = ((hi - lo) * 0.08).max(0.1);
    let (lo, hi) = (lo - margin, hi + margin);
    let span_ms = (to_ms - from_ms).max(1) as f64;
    let x = |t: i64| left + (t - from_ms) as f64 / span_ms * (width - left - right);
    let y = |l: f64| top + (hi - l) / (hi - lo) * (height - top - bottom);
    let mut svg = format!(
        r##"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{}"><rect x="{left}" y="{top}" width="{}" height="{}" fill="none" stroke="#888"/>"##,
        escape(&format!("{} {}", language.pick("Mực nước", "Water level"), g.device)),
        width - left - right,
        height - top - bottom
    );
    for i in 0..=4u8 {
        let level = lo + (hi - lo) * f64::from(i) / 4.0;
        let _ = write!(svg, r#"<text x="{}" y="{:.1}" class="tick" text-anchor="end">{level:.2}</text>"#, left - 4.0, y(level) + 4.0);
        let t = from_ms + ((to_ms - from_ms) as f64 * f64::from(i) / 4.0) as i64;
        let anchor = ["start", "middle", "middle", "middle", "end"][usize::from(i)];
        let _ = write!(svg, r#"<text x="{:.1}" y="{}" class="tick" text-anchor="{anchor}">{}</text>"#, x(t), height - 18.0, local(t, language));
    }
    let _ = write!(svg, r#"<text x="12" y="{}" class="tick" transform="rotate(-90 12 {})">m</text>"#, top + 40.0, top + 40.0);
    for (k, level) in g.alarm_levels_m.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="{c}" stroke-dasharray="6 4"/><text x="{}" y="{:.1}" class="tick" fill="{c}" text-anchor="end">{} {} {level:.2} m</text>"#,
            width - right,
            width - right - 4.0,
            y(*level) - 3.0,
            language.pick("BĐ", "Alarm"),
            ALARM_NAMES[k],
            y = y(*level),
            c = ALARM_COLOURS[k]
        );
    }
    if !g.series.is_empty() {
        let points: Vec<String> = g.series.iter().map(|(t, l)| format!("{:.1},{:.1}", x(*t), y(*l))).collect();
        let _ = write!(svg, r##"<polyline fill="none" stroke="#0050b0" stroke-width="2" points="{}"/>"##, points.join(" "));
    }
    svg.push_str("</svg>");
    svg
}

pub fn render(report: &Report, language: Language) -> String {
    let l = |vi, en| language.pick(vi, en);
    let mut page = String::new();
    let _ = write!(
        page,
        r#"<!doctype html><html lang="{}"><head><meta charset="utf-8"><title>{}</title><style>
body {{ font-family: "Noto Sans", "DejaVu Sans", sans-serif; margin: 2em; color: #111; }}
h1 {{ font-size: 1.5em; margin-bottom: 0.2em; }} h2 {{ font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #999; }}
table {{ border-collapse: collapse; margin: 0.5em 0; }} th, td {{ border: 1px solid #aaa; padding: 0.25em 0.6em; text-align: left; }}
th {{ background: #eee; }} td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
.chart {{ width: 100%; max-width: 760px; display: block; }} .tick {{ font-size: 11px; fill: #333; }}
.meta {{ color: #444; }} .alarm3 {{ color: #c00000; font-weight: bold; }} .alarm2 {{ color: #e06000; font-weight: bold; }} .alarm1 {{ color: #a07800; font-weight: bold; }}
@media print {{ body {{ margin: 1cm; }} section {{ break-inside: avoid; }} }}
</style></head><body>"#,
        l("vi", "en"),
        l("Báo cáo vận hành — Trung tâm IOC Quảng Trị", "Operations report — Quảng Trị IOC")
    );
    let _ = write!(
        page,
        r#"<h1>{}</h1><p class="meta">{}: {} — {} ({}) · {}: {} · {} {}</p>"#,
        l("Báo cáo vận hành — Trung tâm IOC Quảng Trị", "Operations report — Quảng Trị IOC"),
        l("Thời kỳ", "Period"),
        local(report.from_ms, language),
        local(report.to_ms, language),
        l("giờ Việt Nam, UTC+7", "Vietnam time, UTC+7"),
        l("Lập lúc", "Made"),
        local(report.made_ms, language),
        report.observations,
        l("quan trắc", "observations")
    );

    let _ = write!(
        page,
        "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{} I</th><th>{} II</th><th>{} III</th></tr>",
        l("Trạm đo mực nước", "Water-level gauges"),
        l("Trạm", "Gauge"),
        l("Sông", "River"),
        l("Số lần đo", "Readings"),
        l("Đỉnh", "Peak"),
        l("Thấp nhất", "Lowest"),
        l("Báo động cao nhất", "Highest alarm"),
        l("Trên BĐ", "Above alarm"),
        l("Trên BĐ", "Above alarm"),
        l("Trên BĐ", "Above alarm"),
    );
    for g in &report.gauges {
        let name = if language == Language::Vi { &g.name_vi } else { &g.name_en };
        let peak = g.peak.map_or("—".to_owned(), |(t, v)| format!("{v:.2} m ({})", local(t, language)));
        let low = g.low.map_or("—".to_owned(), |(t, v)| format!("{v:.2} m ({})", local(t, language)));
        let alarm = match g.highest_alarm {
            0 => l("Dưới BĐ I", "Below alarm I").to_owned(),
            k => format!(r#"<span class="alarm{k}">{} {}</span>"#, l("BĐ", "Alarm"), ALARM_NAMES[usize::from(k) - 1]),
        };
        let _ = write!(
            page,
            r#"<tr><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{peak}</td><td class="n">{low}</td><td>{alarm}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            escape(name),
            escape(&g.river),
            g.readings,
            hours(g.above_ms[0]),
            hours(g.above_ms[1]),
            hours(g.above_ms[2])
        );
    }
    page.push_str("</table>");
    for g in &report.gauges {
        let name = if language == Language::Vi { &g.name_vi } else { &g.name_en };
        let _ = write!(
            page,
            "<section><h3>{} — {}</h3>{}</section>",
            escape(name),
            escape(&g.river),
            hydrograph(g, report.from_ms, report.to_ms, language)
        );
    }

    let _ = write!(
        page,
        "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        l("Nhật ký báo động", "Alarm log"),
        l("Thời điểm", "Time"),
        l("Trạm", "Gauge"),
        l("Mức", "Level"),
        l("Diễn biến", "Change"),
        l("Xác nhận", "Acknowledged")
    );
    if report.alarms.is_empty() {
        let _ = write!(page, r#"<tr><td colspan="5">{}</td></tr>"#, l("Không có báo động trong thời kỳ", "No alarm in the period"));
    }
    let gauge_name = |id: &str| {
        report
            .gauges
            .iter()
            .find(|g| g.device == id)
            .map_or(id.to_owned(), |g| if language == Language::Vi { g.name_vi.clone() } else { g.name_en.clone() })
    };
    for (event, acknowledged) in &report.alarms {
        let change = if event.rising { l("vượt lên", "rose above") } else { l("xuống dưới", "fell below") };
        let ack = acknowledged.as_ref().map_or(String::new(), |(by, at)| format!("{} ({})", escape(by), local(*at, language)));
        let _ = write!(
            page,
            r#"<tr><td>{}</td><td>{}</td><td class="alarm{}">{} {} ({:.2} m)</td><td>{change}</td><td>{ack}</td></tr>"#,
            local(event.time_ms, language),
            escape(&gauge_name(&event.device)),
            event.alarm,
            l("BĐ", "Alarm"),
            ALARM_NAMES[usize::from(event.alarm.clamp(1, 3)) - 1],
            event.level_m
        );
    }
    page.push_str("</table>");

    if !report.cameras.is_empty() {
        let _ = write!(
            page,
            "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
            l("Camera", "Cameras"),
            l("Camera", "Camera"),
            l("Số báo cáo", "Reports"),
            l("Trực tuyến", "Online")
        );
        for c in &report.cameras {
            let name = if language == Language::Vi { &c.name_vi } else { &c.name_en };
            let share = if c.readings == 0 { "—".to_owned() } else { format!("{:.0} %", 100.0 * c.online as f64 / c.readings as f64) };
            let _ = write!(page, r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{share}</td></tr>"#, escape(name), c.readings);
        }
        page.push_str("</table>");
    }
    if !report.lights.is_empty() {
        let _ = write!(
            page,
            "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            l("Đèn đường", "Street lights"),
            l("Đèn", "Light"),
            l("Số báo cáo", "Reports"),
            l("Báo lỗi", "Fault reports"),
            l("Lỗi", "Faults")
        );
        for light in &report.lights {
            let name = if language == Language::Vi { &light.name_vi } else { &light.name_en };
            let faults: Vec<String> = light.faults.iter().map(|f| escape(f)).collect();
            let _ = write!(
                page,
                r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td>{}</td></tr>"#,
                escape(name),
                light.readings,
                light.faulty,
                faults.join(", ")
            );
        }
        page.push_str("</table>");
    }
    page.push_str("</body></html>\n");
    page
}
