//! An operator's report of a period (the gateway's `GET /report`, a
//! printable HTML page in the operator's language): asked for from the
//! dashboard, fetched by the platform's transport with the token in the
//! header, and saved (natively) or offered as a download (in the page).

use bevy::prelude::*;
use sontinh_scene::Lang;

/// A report to fetch: its period (ms) and language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportAsk {
    pub from_ms: i64,
    pub to_ms: i64,
    pub lang: Lang,
}

impl ReportAsk {
    /// The gateway's address of it.
    pub fn path(&self) -> String {
        let lang = match self.lang {
            Lang::Vi => "vi",
            Lang::En => "en",
        };
        format!("/report?from={}&to={}&lang={lang}&format=html", self.from_ms, self.to_ms)
    }

    /// The file it is saved as.
    pub fn file_name(&self) -> String {
        format!("sontinh-report-{}-{}.html", self.from_ms, self.to_ms)
    }
}

/// The periods the dashboard offers, ending at the shown moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReportPeriod {
    #[default]
    Day,
    Week,
    /// Everything this viewer received.
    Received,
}

impl ReportPeriod {
    /// (from, to) for a report at `now` of a feed whose history starts at `first`.
    pub fn span(self, now: i64, first: i64) -> (i64, i64) {
        match self {
            ReportPeriod::Day => (now.saturating_sub(86_400_000), now),
            ReportPeriod::Week => (now.saturating_sub(7 * 86_400_000), now),
            ReportPeriod::Received => (first.min(now), now),
        }
    }

    /// The report of this period at `now` of `client`'s feed, in `lang`.
    pub fn ask(self, client: &sontinh_feeds::FeedClient, now: i64, lang: Lang) -> ReportAsk {
        let first = client.time_range().map_or(now, |(first, _)| first);
        let (from_ms, to_ms) = self.span(now, first);
        ReportAsk { from_ms, to_ms, lang }
    }
}

/// How the last report went, shared with the transport that fetches it:
/// where it was saved (or that it is being made), or why it failed.
pub use sontinh_layers::SharedOutcome as ReportOutcome;

/// Reports asked for (the transport takes them), and how the last one went.
#[derive(Resource, Default, Debug)]
pub struct Reports {
    pub asked: Vec<ReportAsk>,
    pub outcome: ReportOutcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_s_report_ends_at_the_shown_moment_in_the_operator_s_language() {
        // 01:30 on 18 October 2020, Quảng Trị time.
        let now = 1_602_959_400_000;
        let (from, to) = ReportPeriod::Day.span(now, 0);
        assert_eq!((from, to), (1_602_873_000_000, now));
        let ask = ReportAsk { from_ms: from, to_ms: to, lang: Lang::Vi };
        assert_eq!(ask.path(), "/report?from=1602873000000&to=1602959400000&lang=vi&format=html");
        assert_eq!(ask.file_name(), "sontinh-report-1602873000000-1602959400000.html");
        assert_eq!(ReportPeriod::Received.span(now, 1_602_633_600_000), (1_602_633_600_000, now));
        assert_eq!(ReportPeriod::Week.span(now, 0).0, now - 604_800_000);
    }
}
