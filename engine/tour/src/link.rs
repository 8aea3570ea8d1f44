//! Deep links to a tour's stop: `?tour=ID&stop=N` (N counts from 1, as
//! people do), read from a page address and written back as the tour plays,
//! keeping the address's other parameters.

/// A stop of a tour, as a link names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TourLink {
    pub tour: String,
    /// 0-based.
    pub stop: usize,
}

/// A stop number as written in a link or on the command line (1-based).
pub fn parse_stop_number(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n - 1),
        _ => Err(format!("stop={text}: expected a stop number from 1")),
    }
}

/// The address's query with `tour` and `stop` set (added or replaced), other
/// parameters kept in order. `query` may start with `?`.
pub fn with_tour(query: &str, link: &TourLink) -> String {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or("");
            key != "tour" && key != "stop"
        })
        .map(str::to_owned)
        .collect();
    parts.push(format!("tour={}", encode(&link.tour)));
    parts.push(format!("stop={}", link.stop + 1));
    format!("?{}", parts.join("&"))
}

/// Percent-encodes all but unreserved characters (RFC 3986).
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_numbers_count_from_one() {
        assert_eq!(parse_stop_number("1"), Ok(0));
        assert_eq!(parse_stop_number("12"), Ok(11));
        for bad in ["0", "-1", "two", "", "1.5"] {
            assert!(parse_stop_number(bad).unwrap_err().starts_with("stop="), "{bad}");
        }
    }

    #[test]
    fn the_address_follows_the_tour_and_keeps_its_other_parameters() {
        let link = TourLink {
            tour: "citadel-walk".to_owned(),
            stop: 2,
        };
        assert_eq!(
            with_tour("?scene=scenes%2Fquang-tri-citadel.toml&tour=old&ui=1&stop=9", &link),
            "?scene=scenes%2Fquang-tri-citadel.toml&ui=1&tour=citadel-walk&stop=3"
        );
        assert_eq!(with_tour("", &link), "?tour=citadel-walk&stop=3");
        let odd = TourLink {
            tour: "đi bộ&x".to_owned(),
            stop: 0,
        };
        assert_eq!(with_tour("?a=1", &odd), "?a=1&tour=%C4%91i%20b%E1%BB%99%26x&stop=1");
    }
}
