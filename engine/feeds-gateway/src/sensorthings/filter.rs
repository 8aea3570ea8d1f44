//! SensorThings `$filter` (the OData subset SensorThings 1.1 names):
//! comparisons (`eq ne gt ge lt le`) of properties and literals, joined by
//! `and`, `or`, `not` and parentheses; properties are paths into the
//! entity's JSON (`result`, `phenomenonTime`, `properties/owner`); literals
//! are numbers, `'text'` (quotes doubled inside), `true`/`false`/`null`,
//! ISO 8601 times and intervals (`START/END`), which compare with time
//! properties as instants or intervals.
//!
//! A time property holding an interval (an hourly Observation's
//! `phenomenonTime`, `START/END`) compares as FROST-Server compares them:
//! with an instant `t`, `gt` is "starts after `t`", `ge` "starts at or after",
//! `lt` "ends at or before `t` and starts before it", `le` "ends at or before",
//! `eq` "starts and ends at `t`", `ne` "neither starts nor ends at `t`"; so
//! `phenomenonTime ge A and phenomenonTime lt B` is the hours lying in `[A, B)`.

use serde_json::Value;

/// Longest `$filter` accepted, and deepest nesting.
const MAX_FILTER_BYTES: usize = 2048;
const MAX_DEPTH: usize = 32;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Compare(Operand, Op, Operand),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operand {
    Property(Vec<String>),
    Number(f64),
    Text(String),
    Time(i64),
    /// `[start, end]`, milliseconds.
    Interval(i64, i64),
    Bool(bool),
    Null,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            s.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => s.push(c),
                        None => return Err("a quoted text in $filter is not closed".to_owned()),
                    }
                }
                out.push(Token::Text(s));
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if matches!(c, ' ' | '\t' | '(' | ')' | '\'') {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push(Token::Word(w));
            }
        }
    }
    Ok(out)
}

/// Parses a `$filter` expression; the error names what was wrong.
pub(crate) fn parse(text: &str) -> Result<Filter, String> {
    if text.len() > MAX_FILTER_BYTES {
        return Err(format!("$filter is longer than {MAX_FILTER_BYTES} bytes"));
    }
    let tokens = tokens(text)?;
    let mut parser = Parser { tokens: &tokens, at: 0, depth: 0 };
    let filter = parser.or()?;
    if parser.at != tokens.len() {
        return Err(format!("$filter: unexpected {:?} after a complete expression", tokens[parser.at]));
    }
    Ok(filter)
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w == word) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Filter, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("$filter nests deeper than {MAX_DEPTH}"));
        }
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.keyword("not") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(format!("$filter nests deeper than {MAX_DEPTH}"));
            }
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.tokens.get(self.at) == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or()?;
            if self.tokens.get(self.at) != Some(&Token::Close) {
                return Err("$filter: a parenthesis is not closed".to_owned());
            }
            self.at += 1;
            return Ok(inner);
        }
        let left = self.operand()?;
        let op = match self.tokens.get(self.at) {
            Some(Token::Word(w)) => match w.as_str() {
                "eq" => Op::Eq,
                "ne" => Op::Ne,
                "gt" => Op::Gt,
                "ge" => Op::Ge,
                "lt" => Op::Lt,
                "le" => Op::Le,
                other => return Err(format!("$filter: \"{other}\" is not a comparison (eq, ne, gt, ge, lt, le)")),
            },
            other => return Err(format!("$filter: expected a comparison, found {other:?}")),
        };
        self.at += 1;
        let right = self.operand()?;
        Ok(Filter::Compare(left, op, right))
    }

    fn operand(&mut self) -> Result<Operand, String> {
        let token = self.tokens.get(self.at).ok_or("$filter ends where a value was expected")?;
        self.at += 1;
        Ok(match token {
            Token::Text(s) => Operand::Text(s.clone()),
            Token::Word(w) => match w.as_str() {
                "true" => Operand::Bool(true),
                "false" => Operand::Bool(false),
                "null" => Operand::Null,
                _ if w.starts_with(|c: char| c.is_ascii_digit() || c == '-') => {
                    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(w) {
                        Operand::Time(t.timestamp_millis())
                    } else if let Some(interval) = interval(w) {
                        interval
                    } else {
                        Operand::Number(w.parse().map_err(|_| format!("$filter: \"{w}\" is neither a number nor an ISO 8601 time"))?)
                    }
                }
                _ if w.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '@' | '.' | '_')) => {
                    Operand::Property(w.split('/').map(str::to_owned).collect())
                }
                _ => return Err(format!("$filter: unexpected \"{w}\"")),
            },
            other => return Err(format!("$filter: expected a value, found {other:?}")),
        })
    }
}

impl Filter {
    /// Whether `entity` passes.
    pub(crate) fn matches(&self, entity: &Value) -> bool {
        match self {
            Filter::And(a, b) => a.matches(entity) && b.matches(entity),
            Filter::Or(a, b) => a.matches(entity) || b.matches(entity),
            Filter::Not(a) => !a.matches(entity),
            Filter::Compare(l, op, r) => compare(&resolve(l, entity), *op, &resolve(r, entity)),
        }
    }

    /// The `[from, to)` range of `phenomenonTime` that every match lies in,
    /// from comparisons joined by `and` at the top: what the database is asked for.
    #[cfg(test)]
    pub(crate) fn time_range(&self) -> (i64, i64) {
        self.time_range_of(0)
    }

    /// [`Filter::time_range`] of the *start* of `phenomenonTime` when it is
    /// an interval `span_ms` long (0: an instant), under the comparison
    /// rules of intervals (the module's doc).
    pub(crate) fn time_range_of(&self, span_ms: i64) -> (i64, i64) {
        match self {
            Filter::And(a, b) => {
                let ((a0, a1), (b0, b1)) = (a.time_range_of(span_ms), b.time_range_of(span_ms));
                (a0.max(b0), a1.min(b1))
            }
            Filter::Compare(Operand::Property(p), op, Operand::Time(t)) if is_phenomenon_time(p) => bound(*op, *t, span_ms),
            Filter::Compare(Operand::Time(t), op, Operand::Property(p)) if is_phenomenon_time(p) => bound(flip(*op), *t, span_ms),
            _ => (i64::MIN, i64::MAX),
        }
    }

    /// Whether [`Filter::time_range_of`] says all there is to say: the
    /// filter is comparisons of `phenomenonTime` with times (not `ne`) joined
    /// by `and`, so the database's range gives exactly its matches.
    pub(crate) fn is_time_range_only(&self) -> bool {
        match self {
            Filter::And(a, b) => a.is_time_range_only() && b.is_time_range_only(),
            Filter::Compare(Operand::Property(p), op, Operand::Time(_)) | Filter::Compare(Operand::Time(_), op, Operand::Property(p)) => {
                is_phenomenon_time(p) && *op != Op::Ne
            }
            _ => false,
        }
    }
}

fn is_phenomenon_time(path: &[String]) -> bool {
    path.len() == 1 && path[0] == "phenomenonTime"
}

/// `START/END`, both ISO 8601 times, as an interval.
fn interval(text: &str) -> Option<Operand> {
    let (start, end) = text.split_once('/')?;
    let start = chrono::DateTime::parse_from_rfc3339(start).ok()?.timestamp_millis();
    let end = chrono::DateTime::parse_from_rfc3339(end).ok()?.timestamp_millis();
    Some(Operand::Interval(start, end))
}

fn flip(op: Op) -> Op {
    match op {
        Op::Gt => Op::Lt,
        Op::Ge => Op::Le,
        Op::Lt => Op::Gt,
        Op::Le => Op::Ge,
        other => other,
    }
}

/// The starts `s` of `[s, s + span]` for which `[s, s + span] op t` holds.
fn bound(op: Op, t: i64, span: i64) -> (i64, i64) {
    // Ends at or before t: s <= t - span.
    let ends_by = t.saturating_sub(span).saturating_add(1);
    match op {
        Op::Eq if span == 0 => (t, t.saturating_add(1)),
        Op::Eq => (t, t),
        Op::Gt => (t.saturating_add(1), i64::MAX),
        Op::Ge => (t, i64::MAX),
        Op::Lt if span == 0 => (i64::MIN, t),
        Op::Lt => (i64::MIN, ends_by.min(t)),
        Op::Le => (i64::MIN, ends_by),
        Op::Ne => (i64::MIN, i64::MAX),
    }
}

/// A property's value in `entity` (`Null` when absent), or the literal.
fn resolve(operand: &Operand, entity: &Value) -> Operand {
    let Operand::Property(path) = operand else { return operand.clone() };
    let mut v = entity;
    for (i, part) in path.iter().enumerate() {
        let key = if i == 0 && (part == "id" || part == "@iot.id") { "@iot.id" } else { part.as_str() };
        match v.get(key) {
            Some(next) => v = next,
            None => return Operand::Null,
        }
    }
    let is_time = path.last().is_some_and(|p| p.ends_with("Time"));
    match v {
        Value::Number(n) => n.as_f64().map_or(Operand::Null, Operand::Number),
        Value::String(s) if is_time => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => Operand::Time(t.timestamp_millis()),
            _ => interval(s).unwrap_or_else(|| Operand::Text(s.clone())),
        },
        Value::String(s) => Operand::Text(s.clone()),
        Value::Bool(b) => Operand::Bool(*b),
        _ => Operand::Null,
    }
}

fn compare(a: &Operand, op: Op, b: &Operand) -> bool {
    use std::cmp::Ordering;
    // Intervals as FROST-Server compares them.
    match (a, b) {
        (Operand::Interval(s, e), Operand::Time(t)) => {
            return match op {
                Op::Eq => s == t && e == t,
                Op::Ne => s != t && e != t,
                Op::Gt => s > t,
                Op::Ge => s >= t,
                Op::Lt => e <= t && s < t,
                Op::Le => e <= t,
            };
        }
        (Operand::Time(_), Operand::Interval(..)) => return compare(b, flip(op), a),
        (Operand::Interval(s1, e1), Operand::Interval(s2, e2)) => {
            return match op {
                Op::Eq => s1 == s2 && e1 == e2,
                Op::Ne => s1 != s2 && e1 != e2,
                Op::Gt => s1 >= e2 && s1 > s2,
                Op::Ge => s1 >= s2 && e1 >= e2,
                Op::Lt => e1 <= s2 && s1 < s2,
                Op::Le => s1 <= s2 && e1 <= e2,
            };
        }
        _ => {}
    }
    let ordering = match (a, b) {
        (Operand::Number(x), Operand::Number(y)) => x.partial_cmp(y),
        (Operand::Time(x), Operand::Time(y)) => Some(x.cmp(y)),
        (Operand::Text(x), Operand::Text(y)) => Some(x.cmp(y)),
        (Operand::Bool(x), Operand::Bool(y)) => Some(x.cmp(y)),
        (Operand::Null, Operand::Null) => Some(Ordering::Equal),
        _ => None,
    };
    match (ordering, op) {
        (None, Op::Ne) => true,
        (None, _) => false,
        (Some(o), Op::Eq) => o == Ordering::Equal,
        (Some(o), Op::Ne) => o != Ordering::Equal,
        (Some(o), Op::Gt) => o == Ordering::Greater,
        (Some(o), Op::Ge) => o != Ordering::Less,
        (Some(o), Op::Lt) => o == Ordering::Less,
        (Some(o), Op::Le) => o != Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn observation(level: f64, time: &str) -> Value {
        json!({"@iot.id": "1-0", "result": level, "phenomenonTime": time, "properties": {"owner": "KTTV"}})
    }

    #[test]
    fn comparisons_of_results_and_times() {
        let peak = observation(7.4, "2020-10-17T18:30:00Z");
        let f = parse("result gt 6.0 and phenomenonTime ge 2020-10-18T01:00:00+07:00").unwrap();
        assert!(f.matches(&peak));
        assert!(!f.matches(&observation(5.9, "2020-10-17T18:30:00Z")));
        assert!(!f.matches(&observation(7.4, "2020-10-17T17:59:59Z")));
        assert!(parse("not (result lt 7) or result eq 1").unwrap().matches(&peak));
        assert!(parse("properties/owner eq 'KTTV'").unwrap().matches(&peak));
        assert!(!parse("properties/owner ne 'KTTV'").unwrap().matches(&peak));
        assert!(parse("missing eq null").unwrap().matches(&peak));
        assert!(parse("'It''s' eq 'It''s'").unwrap().matches(&peak));
    }

    #[test]
    fn the_database_is_asked_for_the_range_of_the_top_level_conjunction() {
        let f = parse("phenomenonTime ge 2020-10-17T00:00:00Z and phenomenonTime lt 2020-10-18T00:00:00Z and result gt 3").unwrap();
        assert_eq!(f.time_range(), (1_602_892_800_000, 1_602_979_200_000));
        assert_eq!(parse("2020-10-17T00:00:00Z lt phenomenonTime").unwrap().time_range(), (1_602_892_800_001, i64::MAX));
        // Under an `or`, nothing can be said.
        assert_eq!(parse("phenomenonTime lt 2020-10-17T00:00:00Z or result gt 3").unwrap().time_range(), (i64::MIN, i64::MAX));
    }

    #[test]
    fn intervals_compare_as_frost_compares_them_and_the_database_gets_their_starts() {
        const H: i64 = 3_600_000;
        let hour = |start: &str| json!({"phenomenonTime": format!("{start}/{}", (chrono::DateTime::parse_from_rfc3339(start).unwrap() + chrono::Duration::hours(1)).to_rfc3339()), "result": 1.0});
        let (nine, ten) = (hour("2020-10-17T09:00:00Z"), hour("2020-10-17T10:00:00Z"));
        let day = parse("phenomenonTime ge 2020-10-17T09:00:00Z and phenomenonTime lt 2020-10-17T11:00:00Z").unwrap();
        assert!(day.matches(&nine) && day.matches(&ten));
        // Before 10:30: only the hours that have ended by then.
        let before = parse("phenomenonTime lt 2020-10-17T10:30:00Z").unwrap();
        assert!(before.matches(&nine) && !before.matches(&ten));
        assert!(parse("phenomenonTime le 2020-10-17T10:00:00Z").unwrap().matches(&nine));
        assert!(!parse("phenomenonTime gt 2020-10-17T09:00:00Z").unwrap().matches(&nine));
        assert!(parse("2020-10-17T09:30:00Z lt phenomenonTime").unwrap().matches(&ten), "a literal first is the same comparison turned round");
        assert!(!parse("phenomenonTime eq 2020-10-17T09:00:00Z").unwrap().matches(&nine));
        assert!(parse("phenomenonTime eq 2020-10-17T09:00:00Z/2020-10-17T10:00:00Z").unwrap().matches(&nine));
        assert!(parse("phenomenonTime lt 2020-10-17T10:00:00Z/2020-10-17T11:00:00Z").unwrap().matches(&nine));
        // The database's range of hour starts is exactly the matches'.
        let t9 = 1_602_925_200_000;
        assert_eq!(day.time_range_of(H), (t9, t9 + 2 * H - H + 1));
        assert_eq!(before.time_range_of(H), (i64::MIN, t9 + 5_400_000 - H + 1));
        assert_eq!(parse("phenomenonTime eq 2020-10-17T09:00:00Z").unwrap().time_range_of(H), (t9, t9));
        assert!(day.is_time_range_only() && before.is_time_range_only());
        assert!(!parse("phenomenonTime ge 2020-10-17T09:00:00Z and result gt 1").unwrap().is_time_range_only());
        assert!(!parse("phenomenonTime ne 2020-10-17T09:00:00Z").unwrap().is_time_range_only());
        // Every start the range admits matches, and the ones just outside do not (instants too).
        for text in ["phenomenonTime ge 2020-10-17T09:00:00Z", "phenomenonTime gt 2020-10-17T09:00:00Z", "phenomenonTime lt 2020-10-17T10:30:00Z", "phenomenonTime le 2020-10-17T10:00:00Z", "phenomenonTime eq 2020-10-17T10:00:00Z"] {
            let f = parse(text).unwrap();
            for span in [0, H] {
                let (from, to) = f.time_range_of(span);
                for start in (t9 - 2 * H..t9 + 3 * H).step_by(1_800_000).chain([t9 + 1, t9 - 1]) {
                    let time = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339();
                    let entity = if span == 0 { json!({"phenomenonTime": time(start)}) } else { json!({"phenomenonTime": format!("{}/{}", time(start), time(start + span))}) };
                    assert_eq!(f.matches(&entity), (from..to).contains(&start), "{text}, span {span}, start {start}");
                }
            }
        }
    }

    #[test]
    fn bad_filters_are_named() {
        for (text, says) in [
            ("result gt", "ends where a value was expected"),
            ("result gg 3", "\"gg\" is not a comparison"),
            ("(result gt 3", "parenthesis is not closed"),
            ("result gt 3 result", "unexpected"),
            ("name eq 'open", "not closed"),
            ("result gt 3x", "neither a number nor an ISO 8601 time"),
            ("result gt $x", "unexpected \"$x\""),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
        assert!(parse(&"(".repeat(100)).unwrap_err().contains("deeper"));
        assert!(parse(&"x".repeat(5000)).unwrap_err().contains("longer"));
    }
}
