//! WebVTT captions (W3C WebVTT, the subset narration needs): the `WEBVTT`
//! header, cues with an optional identifier, `[hh:]mm:ss.ttt --> [hh:]mm:ss.ttt`
//! timings (settings after them are allowed and ignored) and text lines;
//! `NOTE`, `STYLE` and `REGION` blocks are skipped. Mistakes name their line.

/// Captions longer than this are refused: narration is minutes, not hours.
pub const MAX_BYTES: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq)]
pub struct Cue {
    /// Seconds from the start of the audio.
    pub start: f64,
    pub end: f64,
    /// The cue's text, lines joined by a line break, tags removed.
    pub text: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Captions {
    pub cues: Vec<Cue>,
}

impl Captions {
    /// The cue showing at `t` seconds, if any (the latest-starting one where cues overlap).
    pub fn cue_at(&self, t: f64) -> Option<&Cue> {
        let after = self.cues.partition_point(|c| c.start <= t);
        self.cues[..after].iter().rev().find(|c| t < c.end)
    }

    /// When the last cue ends: how long the narration lasts.
    pub fn end(&self) -> f64 {
        self.cues.iter().map(|c| c.end).fold(0.0, f64::max)
    }
}

/// Parses a WebVTT file's text; errors read "line N: what is wrong".
pub fn parse(text: &str) -> Result<Captions, String> {
    if text.len() > MAX_BYTES {
        return Err(format!("{} bytes: captions are at most {MAX_BYTES} bytes", text.len()));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let header = lines.first().copied().unwrap_or("");
    if !(header == "WEBVTT" || header.starts_with("WEBVTT ") || header.starts_with("WEBVTT\t")) {
        return Err("line 1: a WebVTT file starts with \"WEBVTT\"".to_owned());
    }
    let mut cues: Vec<Cue> = Vec::new();
    let mut i = 1;
    // The header block ends at the first blank line.
    while i < lines.len() && !lines[i].trim().is_empty() {
        i += 1;
    }
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            i += 1;
            continue;
        }
        let block_start = i;
        let mut end = i;
        while end < lines.len() && !lines[end].trim().is_empty() {
            end += 1;
        }
        let block = &lines[block_start..end];
        i = end;
        let first = block[0];
        if first.starts_with("NOTE") || first == "STYLE" || first == "REGION" {
            continue;
        }
        let (timing_at, timing) = if first.contains("-->") {
            (block_start, first)
        } else if let Some(second) = block.get(1).filter(|l| l.contains("-->")) {
            (block_start + 1, *second)
        } else {
            return Err(format!(
                "line {}: expected a cue timing \"00:00:01.000 --> 00:00:04.000\"",
                block_start + 1
            ));
        };
        let line_no = timing_at + 1;
        let (start, rest) = timing
            .split_once("-->")
            .ok_or_else(|| format!("line {line_no}: expected \"-->\""))?;
        let start = timestamp(start.trim()).map_err(|e| format!("line {line_no}: {e}"))?;
        let end_text = rest.split_whitespace().next().unwrap_or("");
        let end_time = timestamp(end_text).map_err(|e| format!("line {line_no}: {e}"))?;
        if end_time <= start {
            return Err(format!("line {line_no}: the cue ends ({end_time} s) before it starts ({start} s)"));
        }
        if let Some(previous) = cues.last()
            && start < previous.start
        {
            return Err(format!(
                "line {line_no}: cues must be in order of start time ({start} s follows {} s)",
                previous.start
            ));
        }
        let payload: Vec<String> = block[timing_at - block_start + 1..].iter().map(|l| strip_tags(l)).collect();
        if payload.iter().all(|l| l.trim().is_empty()) {
            return Err(format!("line {line_no}: the cue has no text"));
        }
        cues.push(Cue {
            start,
            end: end_time,
            text: payload.join("\n"),
        });
    }
    Ok(Captions { cues })
}

/// `[hh:]mm:ss.ttt` in seconds.
fn timestamp(text: &str) -> Result<f64, String> {
    let bad = || format!("\"{text}\" is not a WebVTT time ([hh:]mm:ss.ttt)");
    let (clock, millis) = text.split_once('.').ok_or_else(bad)?;
    if millis.len() != 3 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let parts: Vec<&str> = clock.split(':').collect();
    let number = |s: &str, max: Option<u64>| -> Result<u64, String> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 6 {
            return Err(bad());
        }
        let v: u64 = s.parse().map_err(|_| bad())?;
        match max {
            Some(m) if v > m || s.len() != 2 => Err(bad()),
            _ => Ok(v),
        }
    };
    let (h, m, s) = match parts.as_slice() {
        [m, s] => (0, number(m, Some(59))?, number(s, Some(59))?),
        [h, m, s] => (number(h, None)?, number(m, Some(59))?, number(s, Some(59))?),
        _ => return Err(bad()),
    };
    let ms: u64 = millis.parse().map_err(|_| bad())?;
    Ok((h * 3600 + m * 60 + s) as f64 + ms as f64 / 1000.0)
}

/// Cue text without `<b>`, `<i>`, `<v Speaker>`… tags, with entities decoded.
fn strip_tags(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_tag = false;
    for c in line.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "WEBVTT - narration\n\nNOTE made by hand\n\n1\n00:00.000 --> 00:02.500\nQuảng Trị Citadel,\nbuilt in <b>1809</b>.\n\n00:00:02.500 --> 00:00:05.250 align:start\n<v Narrator>Rebuilt in brick &amp; stone.\n\n01:00:00.000 --> 01:00:01.000\nAn hour in.\n";

    #[test]
    fn cues_parse_with_their_times_and_text() {
        let c = parse(SAMPLE).unwrap();
        assert_eq!(
            c.cues,
            vec![
                Cue {
                    start: 0.0,
                    end: 2.5,
                    text: "Quảng Trị Citadel,\nbuilt in 1809.".to_owned()
                },
                Cue {
                    start: 2.5,
                    end: 5.25,
                    text: "Rebuilt in brick & stone.".to_owned()
                },
                Cue {
                    start: 3600.0,
                    end: 3601.0,
                    text: "An hour in.".to_owned()
                },
            ]
        );
        assert_eq!(c.end(), 3601.0);
    }

    #[test]
    fn the_cue_at_a_time_is_the_one_spanning_it() {
        let c = parse(SAMPLE).unwrap();
        assert_eq!(c.cue_at(0.0).map(|c| c.start), Some(0.0));
        assert_eq!(c.cue_at(2.499).map(|c| c.start), Some(0.0));
        // End times are exclusive: at 2.5 s the second cue shows.
        assert_eq!(c.cue_at(2.5).map(|c| c.start), Some(2.5));
        assert_eq!(c.cue_at(5.25), None);
        assert_eq!(c.cue_at(100.0), None);
        assert_eq!(c.cue_at(-1.0), None);
    }

    #[test]
    fn mistakes_name_their_line() {
        for (text, expected) in [
            ("WEBVT\n", "line 1: a WebVTT file starts"),
            ("WEBVTT\n\n00:01.000 --> 00:00.500\nx\n", "line 3: the cue ends"),
            ("WEBVTT\n\n00:01.000 --> 00:02.000\n\n", "line 3: the cue has no text"),
            ("WEBVTT\n\n00:01.000 -> 00:02.000\nx\n", "line 3: expected a cue timing"),
            (
                "WEBVTT\n\n00:61.000 --> 01:02.000\nx\n",
                "line 3: \"00:61.000\" is not a WebVTT time",
            ),
            ("WEBVTT\n\n00:01.0 --> 00:02.000\nx\n", "is not a WebVTT time"),
            (
                "WEBVTT\n\n00:05.000 --> 00:06.000\nx\n\n00:01.000 --> 00:02.000\ny\n",
                "line 6: cues must be in order",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        let huge = format!("WEBVTT\n\n{}", "x".repeat(MAX_BYTES));
        assert!(parse(&huge).unwrap_err().contains("at most"));
    }
}
