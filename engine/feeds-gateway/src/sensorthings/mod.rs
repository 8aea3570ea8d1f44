//! OGC SensorThings API 1.1, read side, at `/v1.1/…`: the device registry
//! as Things, Locations, Sensors, ObservedProperties and Datastreams (one
//! each per device, with the device's number in the registry as `@iot.id`),
//! and the history database as Observations (`@iot.id` is
//! `'<datastream>-<milliseconds>'`). Navigation (`Things(1)/Datastreams`,
//! `Datastreams(1)/Observations`, `Datastreams(1)/Thing`…), `$filter`,
//! `$orderby`, `$top`, `$skip`, `$count`, `$select`, `$expand` (one level,
//! with `$top`, `$orderby` and `$filter` inside, and the expanded
//! collection's own `…@iot.nextLink` when it has more) and `@iot.nextLink`
//! paging. Each role sees only the devices, and fields, it may see.
//!
//! **Hourly Datastreams.** Each water gauge and sensor (devices whose
//! readings are measurements) has a second Datastream, `@iot.id`
//! `'<number>-hourly'`, named "… hourly mean": the same Thing, Sensor,
//! ObservedProperty and unit, `OM_Measurement`, its `properties` naming
//! what it summarises (`aggregateFor`, `aggregatePeriod` `PT1H`,
//! `aggregateStatistic` `mean`). Its Observations (`@iot.id`
//! `'<number>-hourly-<hour start ms>'`) are one per hour that had readings:
//! `result` the hour's mean, `phenomenonTime` the hour as an interval
//! (`START/END`), `resultTime` its end, `parameters` `{min, max, count}`.
//! Only hours that have ended are listed. They come from the history's
//! hourly summaries (`Store::hourly_range`), exact whatever has been folded
//! yet: the folded rows merged with the raw readings still kept, so an hour
//! reads the same before and after the retention folds it. `$filter` on
//! `phenomenonTime` compares the interval as FROST-Server does (`ge A and lt
//! B` is the hours lying in `[A, B)`) and goes to the database as a range of
//! hour starts; the rest of a filter (`result gt 5`, `parameters/max ge 6`)
//! is evaluated on the entities. They are reached through their Datastream
//! (`Datastreams('1-hourly')/Observations`, `$expand=Observations(…)`) and by
//! id; the top-level `Observations` collection stays the readings alone (the
//! summaries are derived from them: listing both there would count every
//! hour twice and make every page summarise the whole history). A month of
//! every gauge is one paged request: `Datastreams?$filter=properties/
//! aggregatePeriod eq 'PT1H'&$expand=Observations($filter=phenomenonTime ge
//! …;$top=1000)`.

mod entities;
mod filter;

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sontinh_feeds::{Device, Role};

use crate::Shared;
use entities::{Kind, Link};
use filter::Filter;

/// Entities per page when `$top` is not given, and at most.
const DEFAULT_TOP: usize = 100;
const MAX_TOP: usize = 10_000;
/// Observations read from the database per round while filtering in memory,
/// and at most per request (a filter the database cannot narrow by time
/// over a long history is refused past this, asking for a time range).
const SCAN_CHUNK: i64 = 5_000;
const MAX_SCANNED: i64 = 2_000_000;

pub(crate) type Refusal = (StatusCode, String);

fn bad(message: impl Into<String>) -> Refusal {
    (StatusCode::BAD_REQUEST, message.into())
}

/// The query options of a request or of an `$expand` clause.
#[derive(Clone, Debug, Default)]
struct Options {
    filter: Option<Filter>,
    orderby: Vec<(String, bool)>,
    top: Option<usize>,
    skip: usize,
    count: bool,
    select: Option<Vec<String>>,
    expand: Vec<(Kind, Options)>,
    /// The options as given (an expanded collection's next link repeats them).
    given: Vec<(String, String)>,
}

impl Options {
    fn parse(pairs: &[(String, String)], nested: bool) -> Result<Options, Refusal> {
        let mut o = Options { given: pairs.to_vec(), ..Options::default() };
        for (key, value) in pairs {
            match key.as_str() {
                "$filter" => o.filter = Some(filter::parse(value).map_err(bad)?),
                "$orderby" => {
                    for part in value.split(',') {
                        let mut words = part.split_whitespace();
                        let property = words.next().ok_or_else(|| bad("$orderby names no property"))?.to_owned();
                        let descending = match words.next() {
                            None | Some("asc") => false,
                            Some("desc") => true,
                            Some(other) => return Err(bad(format!("$orderby: \"{other}\" is neither asc nor desc"))),
                        };
                        o.orderby.push((property, descending));
                    }
                }
                "$top" => {
                    let top: usize = value.parse().map_err(|_| bad(format!("$top={value}: expected a whole number")))?;
                    o.top = Some(top.min(MAX_TOP));
                }
                "$skip" => o.skip = value.parse().map_err(|_| bad(format!("$skip={value}: expected a whole number")))?,
                "$count" => {
                    o.count = match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad(format!("$count={value}: expected true or false"))),
                    }
                }
                "$select" => o.select = Some(value.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()),
                "$expand" if !nested => {
                    for clause in split_top_level(value) {
                        let (name, inner) = match clause.find('(') {
                            Some(i) if clause.ends_with(')') => (&clause[..i], &clause[i + 1..clause.len() - 1]),
                            _ => (clause.as_str(), ""),
                        };
                        let kind = Kind::from_navigation(name.trim()).ok_or_else(|| bad(format!("$expand: \"{name}\" is not an entity set")))?;
                        let inner_pairs: Vec<(String, String)> = inner
                            .split(';')
                            .filter(|p| !p.trim().is_empty())
                            .map(|p| p.split_once('=').map(|(k, v)| (k.trim().to_owned(), v.to_owned())).ok_or_else(|| bad(format!("$expand: \"{p}\" is not an option"))))
                            .collect::<Result<_, _>>()?;
                        o.expand.push((kind, Options::parse(&inner_pairs, true)?));
                    }
                }
                "$expand" => return Err(bad("$expand nests one level only")),
                "$resultFormat" => return Err(bad("$resultFormat is not supported")),
                k if k.starts_with('$') => return Err(bad(format!("unknown query option {k}"))),
                _ => {}
            }
        }
        Ok(o)
    }
}

/// `a,b($top=1;$orderby=x desc),c` → its comma-separated clauses, not splitting inside parentheses.
fn split_top_level(text: &str) -> Vec<String> {
    let (mut out, mut depth, mut current) = (Vec::new(), 0i32, String::new());
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

/// What a path names.
#[derive(Clone, Debug, PartialEq)]
enum Target {
    Collection { kind: Kind, parent: Option<Link> },
    Entity { kind: Kind, id: String },
}

/// `Things`, `Things(1)`, `Things(1)/Datastreams`, `Datastreams(1)/Thing`, `Observations('1-16')`.
fn resolve(path: &str) -> Result<Target, Refusal> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let parse_segment = |s: &str| -> Result<(Kind, Option<String>), Refusal> {
        let (name, id) = match s.find('(') {
            Some(i) if s.ends_with(')') => (&s[..i], Some(s[i + 1..s.len() - 1].trim_matches('\'').to_owned())),
            _ => (s, None),
        };
        Kind::from_navigation(name).map(|k| (k, id)).ok_or_else(|| (StatusCode::NOT_FOUND, format!("no entity set \"{name}\"")))
    };
    match segments.as_slice() {
        [one] => match parse_segment(one)? {
            (kind, None) if kind.is_collection_name(one) => Ok(Target::Collection { kind, parent: None }),
            (kind, Some(id)) => Ok(Target::Entity { kind, id }),
            _ => Err((StatusCode::NOT_FOUND, format!("\"{one}\" names no collection"))),
        },
        [first, second] => {
            let (parent_kind, Some(parent_id)) = parse_segment(first)? else {
                return Err(bad(format!("\"{first}\" must name one entity, as {first}(id)")));
            };
            let (kind, id) = parse_segment(second)?;
            if id.is_some() {
                return Err(bad("address an entity of a navigation by its own set, as Observations(id)"));
            }
            let link = Link { kind: parent_kind, id: parent_id };
            if kind.is_collection_name(second) {
                Ok(Target::Collection { kind, parent: Some(link) })
            } else {
                // A single related entity (Datastreams(1)/Thing: the parent's device; Observations('1-hourly-…')/Datastream: its Datastream).
                Ok(Target::Entity { kind, id: entities::related_id(&link, kind) })
            }
        }
        _ => Err((StatusCode::NOT_FOUND, format!("no such resource: /v1.1/{}", segments.join("/")))),
    }
}

/// The devices a role may see, with their numbers (1-based, in the registry's order).
fn visible(shared_devices: &[Device], role: Role) -> Vec<(usize, Device)> {
    shared_devices.iter().enumerate().filter_map(|(i, d)| d.view_for(role).map(|v| (i + 1, v))).collect()
}

/// `GET /v1.1/…`.
pub(crate) async fn handler(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let role = match crate::http::admit_request(&shared, &request) {
        Ok(role) => role,
        Err(refusal) => return refusal.into_response(),
    };
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost").to_owned();
    let base = format!("http://{host}/v1.1");
    let path = request.uri().path().strip_prefix("/v1.1").unwrap_or("").to_owned();
    let pairs: Vec<(String, String)> = request.uri().query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    match serve(&shared, role, &base, &path, &pairs).await {
        Ok(value) => Json(value).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

async fn serve(shared: &Shared, role: Role, base: &str, path: &str, pairs: &[(String, String)]) -> Result<Value, Refusal> {
    if path.trim_matches('/').is_empty() {
        let sets = Kind::ALL.iter().map(|k| json!({"name": k.collection(), "url": format!("{base}/{}", k.collection())})).collect::<Vec<_>>();
        return Ok(json!({"value": sets, "serverSettings": {"conformance": ["http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel", "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities", "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data"]}}));
    }
    let options = Options::parse(pairs, false)?;
    let (devices, registry_len) = {
        let state = shared.state.read().await;
        (visible(state.registry().devices(), role), state.registry().devices().len())
    };
    let hour_now_ms = chrono::Utc::now().timestamp_millis().div_euclid(sontinh_feeds_store::HOUR_MS) * sontinh_feeds_store::HOUR_MS;
    let context = entities::Context { base, role, devices: &devices, registry_len, store: &shared.store, hour_now_ms };
    match resolve(path)? {
        Target::Entity { kind, id } => {
            let mut entity = context.one(kind, &id).await?.ok_or_else(|| (StatusCode::NOT_FOUND, format!("no {}({id})", kind.collection())))?;
            expand(&context, &mut entity, kind, &options).await?;
            Ok(select(entity, &options.select))
        }
        Target::Collection { kind, parent } => {
            let page = context.page(kind, parent.as_ref(), &options).await?;
            let mut items = Vec::with_capacity(page.items.len());
            for mut item in page.items {
                expand(&context, &mut item, kind, &options).await?;
                items.push(select(item, &options.select));
            }
            let mut out = serde_json::Map::new();
            if let Some(n) = page.count {
                out.insert("@iot.count".to_owned(), json!(n));
            }
            out.insert("value".to_owned(), Value::Array(items));
            if page.more {
                out.insert("@iot.nextLink".to_owned(), json!(format!("{base}{path}?{}", next_query(pairs, &options))));
            }
            Ok(Value::Object(out))
        }
    }
}

/// The query of the next page: the same options, `$skip` past this page.
fn next_query(pairs: &[(String, String)], options: &Options) -> String {
    let top = options.top.unwrap_or(DEFAULT_TOP);
    let mut next: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "$skip" && k != "$top").cloned().collect();
    next.push(("$top".to_owned(), top.to_string()));
    next.push(("$skip".to_owned(), options.skip.saturating_add(top).to_string()));
    form_urlencoded::Serializer::new(String::new()).extend_pairs(next).finish()
}

/// Adds each `$expand`ed navigation to `entity`, as SensorThings puts them:
/// a collection under its set's name, a single entity under its own.
async fn expand(context: &entities::Context<'_>, entity: &mut Value, kind: Kind, options: &Options) -> Result<(), Refusal> {
    let Some(id_value) = entity.get("@iot.id").cloned() else { return Ok(()) };
    let id = id_value.as_str().map_or_else(|| id_value.to_string(), str::to_owned);
    for (related, inner) in &options.expand {
        let link = Link { kind, id: id.clone() };
        let mut extra = Vec::new();
        let value = if related.is_single_of(kind) {
            let one = context.one(*related, &entities::related_id(&link, *related)).await?;
            one.map(|v| select(v, &inner.select)).unwrap_or(Value::Null)
        } else {
            let page = context.page(*related, Some(&link), inner).await?;
            if let Some(n) = page.count {
                extra.push(("@iot.count", json!(n)));
            }
            if page.more {
                // The rest of this entity's collection, paged as a request of its own would be.
                let next = format!("{}?{}", context.link(kind, &id_value, related.collection()), next_query(&inner.given, inner));
                extra.push(("@iot.nextLink", json!(next)));
            }
            Value::Array(page.items.into_iter().map(|v| select(v, &inner.select)).collect())
        };
        let name = if related.is_single_of(kind) { related.single() } else { related.collection() };
        if let Value::Object(map) = entity {
            map.remove(&format!("{name}@iot.navigationLink"));
            map.insert(name.to_owned(), value);
            for (suffix, v) in extra {
                map.insert(format!("{name}{suffix}"), v);
            }
        }
    }
    Ok(())
}

/// Keeps only the `$select`ed properties (and the id).
fn select(entity: Value, fields: &Option<Vec<String>>) -> Value {
    let (Some(fields), Value::Object(map)) = (fields, &entity) else { return entity };
    let kept: serde_json::Map<String, Value> = map
        .iter()
        .filter(|(k, _)| fields.iter().any(|f| f == *k || (f == "id" && *k == "@iot.id")) || k.contains('@') && fields.iter().any(|f| k.starts_with(&format!("{f}@"))))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Value::Object(kept)
}

/// Orders entities by `$orderby` (properties of their JSON).
fn order(items: &mut [Value], orderby: &[(String, bool)]) {
    items.sort_by(|a, b| {
        for (property, descending) in orderby {
            let key = if property == "id" { "@iot.id" } else { property.as_str() };
            let ordering = compare_json(a.get(key), b.get(key));
            let ordering = if *descending { ordering.reverse() } else { ordering };
            if ordering != std::cmp::Ordering::Equal {
                return ordering;
            }
        }
        std::cmp::Ordering::Equal
    });
}

fn compare_json(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal),
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_collections_entities_and_navigations() {
        assert_eq!(resolve("/Things").unwrap(), Target::Collection { kind: Kind::Thing, parent: None });
        assert_eq!(resolve("/Things(3)").unwrap(), Target::Entity { kind: Kind::Thing, id: "3".into() });
        assert_eq!(resolve("/Observations('2-1602979200000')").unwrap(), Target::Entity { kind: Kind::Observation, id: "2-1602979200000".into() });
        assert_eq!(
            resolve("/Datastreams(2)/Observations").unwrap(),
            Target::Collection { kind: Kind::Observation, parent: Some(Link { kind: Kind::Datastream, id: "2".into() }) }
        );
        assert_eq!(resolve("/Datastreams(2)/Thing").unwrap(), Target::Entity { kind: Kind::Thing, id: "2".into() });
        assert_eq!(resolve("/Things").unwrap(), Target::Collection { kind: Kind::Thing, parent: None });
        assert_eq!(resolve("/Widgets").unwrap_err().0, StatusCode::NOT_FOUND);
        assert_eq!(resolve("/Things/Datastreams").unwrap_err().0, StatusCode::BAD_REQUEST);
        assert_eq!(resolve("/Things(1)/Datastreams(2)").unwrap_err().0, StatusCode::BAD_REQUEST);
        assert_eq!(resolve("/a/b/c").unwrap_err().0, StatusCode::NOT_FOUND);
        // The hourly Datastreams: their Thing is the device's, an hourly Observation's Datastream the hourly one.
        assert_eq!(resolve("/Datastreams('2-hourly')/Thing").unwrap(), Target::Entity { kind: Kind::Thing, id: "2".into() });
        assert_eq!(resolve("/Observations('2-hourly-1602975600000')/Datastream").unwrap(), Target::Entity { kind: Kind::Datastream, id: "2-hourly".into() });
        assert_eq!(resolve("/Observations('2-1602975600000')/Datastream").unwrap(), Target::Entity { kind: Kind::Datastream, id: "2".into() });
    }

    #[test]
    fn datastream_and_observation_ids_name_their_series() {
        use entities::{Series, datastream_id, observation_id};
        assert_eq!(datastream_id("3"), Some((3, Series::Raw)));
        assert_eq!(datastream_id("'3-hourly'"), Some((3, Series::Hourly)));
        for bad in ["", "-hourly", "3hourly", "+3", "3-daily", "x-hourly", "99999999999999999999999"] {
            assert_eq!(datastream_id(bad), None, "{bad}");
        }
        assert_eq!(observation_id("3-1602975600000"), Some((3, Series::Raw, 1_602_975_600_000)));
        assert_eq!(observation_id("3-hourly-1602975600000"), Some((3, Series::Hourly, 1_602_975_600_000)));
        assert_eq!(observation_id("3--3600000"), Some((3, Series::Raw, -3_600_000)));
        for bad in ["3", "3-hourly", "3-hourly-", "3-hourly-x", "x-5", "3-99999999999999999999"] {
            assert_eq!(observation_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn query_options_are_read_and_bad_ones_named() {
        let pairs = |q: &str| -> Vec<(String, String)> { form_urlencoded::parse(q.as_bytes()).into_owned().collect() };
        let o = Options::parse(&pairs("$top=5&$skip=10&$count=true&$orderby=phenomenonTime desc&$select=result,phenomenonTime&$expand=Datastream,Observations($top=2;$orderby=phenomenonTime desc)"), false).unwrap();
        assert_eq!((o.top, o.skip, o.count), (Some(5), 10, true));
        assert_eq!(o.orderby, vec![("phenomenonTime".to_owned(), true)]);
        assert_eq!(o.expand.len(), 2);
        assert_eq!((o.expand[1].0, o.expand[1].1.top), (Kind::Observation, Some(2)));
        for (q, says) in [("$top=-1", "whole number"), ("$count=yes", "true or false"), ("$orderby=result sideways", "neither asc nor desc"), ("$expand=Widgets", "not an entity set"), ("$frobnicate=1", "unknown query option")] {
            let err = Options::parse(&pairs(q), false).unwrap_err().1;
            assert!(err.contains(says), "{q}: {err}");
        }
        // A next link past the largest $skip stays at the largest, never wrapping round.
        let far = Options::parse(&pairs("$skip=18446744073709551615"), false).unwrap();
        assert!(next_query(&pairs("$skip=18446744073709551615"), &far).ends_with("%24skip=18446744073709551615"));
    }
}
