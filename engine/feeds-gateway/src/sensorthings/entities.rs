//! The SensorThings entities a role may see: built from the device registry
//! (one Thing, Location, Sensor, ObservedProperty and Datastream per device,
//! and a second, hourly Datastream per gauge or sensor) and the history
//! database (Observations: the readings, and their hourly summaries).

use axum::http::StatusCode;
use serde_json::{Value, json};
use sontinh_feeds::{Device, DeviceKind, Observation, Reading, Role};
use sontinh_feeds_store::{HOUR_MS, HourlySummary, Store};

use super::{DEFAULT_TOP, MAX_SCANNED, Options, Refusal, SCAN_CHUNK, bad, order};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Thing,
    Location,
    Sensor,
    ObservedProperty,
    Datastream,
    Observation,
}

impl Kind {
    pub(crate) const ALL: [Kind; 6] = [Kind::Thing, Kind::Location, Kind::Sensor, Kind::ObservedProperty, Kind::Datastream, Kind::Observation];

    pub(crate) fn collection(self) -> &'static str {
        match self {
            Kind::Thing => "Things",
            Kind::Location => "Locations",
            Kind::Sensor => "Sensors",
            Kind::ObservedProperty => "ObservedProperties",
            Kind::Datastream => "Datastreams",
            Kind::Observation => "Observations",
        }
    }

    pub(crate) fn single(self) -> &'static str {
        match self {
            Kind::Thing => "Thing",
            Kind::Location => "Location",
            Kind::Sensor => "Sensor",
            Kind::ObservedProperty => "ObservedProperty",
            Kind::Datastream => "Datastream",
            Kind::Observation => "Observation",
        }
    }

    pub(crate) fn from_navigation(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.collection() == name || k.single() == name)
    }

    pub(crate) fn is_collection_name(self, segment: &str) -> bool {
        segment == self.collection() || segment.starts_with(&format!("{}(", self.collection()))
    }

    /// Whether an entity of `parent` links to one of `self` (Datastream → Thing), not to a set.
    pub(crate) fn is_single_of(self, parent: Kind) -> bool {
        matches!(
            (parent, self),
            (Kind::Datastream, Kind::Thing | Kind::Sensor | Kind::ObservedProperty) | (Kind::Observation, Kind::Datastream)
        )
    }
}

/// An entity that a navigation starts from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Link {
    pub kind: Kind,
    pub id: String,
}

/// Which series of a device a Datastream carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Series {
    /// The readings as they came (`Datastreams(3)`, `Observations('3-<ms>')`).
    Raw,
    /// Their hourly summaries (`Datastreams('3-hourly')`, `Observations('3-hourly-<hour start ms>')`).
    Hourly,
}

const HOURLY: &str = "hourly";

/// A whole number written plainly (no sign).
fn whole(text: &str) -> Option<usize> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `3` → (3, raw), `3-hourly` → (3, hourly).
pub(crate) fn datastream_id(id: &str) -> Option<(usize, Series)> {
    let id = id.trim_matches('\'');
    match id.strip_suffix(HOURLY).and_then(|n| n.strip_suffix('-')) {
        Some(n) => Some((whole(n)?, Series::Hourly)),
        None => Some((whole(id)?, Series::Raw)),
    }
}

/// `3-1602979200000` → (3, raw, ms), `3-hourly-1602975600000` → (3, hourly, the hour's start).
pub(crate) fn observation_id(id: &str) -> Option<(usize, Series, i64)> {
    let (number, rest) = id.trim_matches('\'').split_once('-')?;
    let number = whole(number)?;
    match rest.strip_prefix(HOURLY).and_then(|r| r.strip_prefix('-')) {
        Some(ms) => Some((number, Series::Hourly, ms.parse().ok()?)),
        None => Some((number, Series::Raw, rest.parse().ok()?)),
    }
}

/// The `@iot.id` of device `n`'s Datastream of `series`.
fn datastream_key(n: usize, series: Series) -> Value {
    match series {
        Series::Raw => json!(n),
        Series::Hourly => json!(format!("{n}-{HOURLY}")),
    }
}

/// The device an entity belongs to: its number (`'3-1602…'` → 3, `'3-hourly'` → 3); 0 when none.
pub(crate) fn device_number(link: &Link) -> usize {
    let number = match link.kind {
        Kind::Observation => observation_id(&link.id).map(|(n, _, _)| n),
        Kind::Datastream => datastream_id(&link.id).map(|(n, _)| n),
        _ => whole(link.id.trim_matches('\'')),
    };
    number.unwrap_or(0)
}

/// The id of the one `related` entity the linked entity points to
/// (`Datastreams('3-hourly')/Thing` → `3`, `Observations('3-hourly-…')/Datastream` → `3-hourly`).
pub(crate) fn related_id(link: &Link, related: Kind) -> String {
    if (link.kind, related) == (Kind::Observation, Kind::Datastream)
        && let Some((n, series, _)) = observation_id(&link.id)
    {
        return datastream_key(n, series).as_str().map_or_else(|| n.to_string(), str::to_owned);
    }
    device_number(link).to_string()
}

/// Whether a device has an hourly Datastream: those whose readings are measurements (gauges, sensors).
pub(crate) fn summarised(device: &Device) -> bool {
    matches!(device.kind, DeviceKind::WaterGauge { .. } | DeviceKind::Sensor { .. })
}

/// One page of a collection.
pub(crate) struct Page {
    pub items: Vec<Value>,
    pub count: Option<usize>,
    pub more: bool,
}

pub(crate) struct Context<'a> {
    pub base: &'a str,
    pub role: Role,
    /// The devices the role may see, with their numbers.
    pub devices: &'a [(usize, Device)],
    /// How many devices the registry has (seen by the role or not).
    pub registry_len: usize,
    pub store: &'a Store,
    /// The start of the hour under way: hourly Observations are those of the hours before it.
    pub hour_now_ms: i64,
}

fn store_error(e: sontinh_feeds_store::StoreError) -> Refusal {
    (StatusCode::SERVICE_UNAVAILABLE, format!("the history database: {e}"))
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

impl Context<'_> {
    fn device(&self, number: usize) -> Option<&(usize, Device)> {
        self.devices.iter().find(|(n, _)| *n == number)
    }

    fn number_of(&self, id: &str) -> Option<usize> {
        self.devices.iter().find(|(_, d)| d.id == id).map(|(n, _)| *n)
    }

    /// One entity by id, if the role may see it.
    pub(crate) async fn one(&self, kind: Kind, id: &str) -> Result<Option<Value>, Refusal> {
        match kind {
            Kind::Observation => {}
            Kind::Datastream => {
                let (number, series) = datastream_id(id).ok_or_else(|| bad(format!("Datastreams({id}): ids are whole numbers, or '<number>-hourly'")))?;
                return Ok(self.device(number).filter(|(_, d)| series == Series::Raw || summarised(d)).map(|(n, d)| self.datastream(*n, d, series)));
            }
            _ => {
                let number = whole(id).ok_or_else(|| bad(format!("{}({id}): ids are whole numbers", kind.collection())))?;
                return Ok(self.device(number).map(|(n, d)| self.metadata(kind, *n, d)));
            }
        }
        let (number, series, time_ms) = observation_id(id)
            .ok_or_else(|| bad(format!("Observations('{id}'): ids are '<datastream>-<milliseconds>' or '<number>-hourly-<milliseconds>'")))?;
        let Some((n, device)) = self.device(number) else { return Ok(None) };
        match series {
            Series::Raw => {
                let found = self.store.range(Some(&device.id), time_ms, time_ms.saturating_add(1), false, 1, 0).await.map_err(store_error)?;
                Ok(found.first().map(|o| self.observation(*n, o)))
            }
            Series::Hourly => {
                if !summarised(device) || time_ms.rem_euclid(HOUR_MS) != 0 || time_ms >= self.hour_now_ms {
                    return Ok(None);
                }
                let found = self.store.hourly_range(&[device.id.as_str()], time_ms, time_ms.saturating_add(1), false, 1, 0).await.map_err(store_error)?;
                Ok(found.first().map(|h| self.hourly_observation(*n, h)))
            }
        }
    }

    /// A page of a collection (navigated from `parent` if given), as `options` asks.
    pub(crate) async fn page(&self, kind: Kind, parent: Option<&Link>, options: &Options) -> Result<Page, Refusal> {
        let devices: Vec<&(usize, Device)> = match parent {
            Some(link) => self.device(device_number(link)).into_iter().collect(),
            None => self.devices.iter().collect(),
        };
        let top = options.top.unwrap_or(DEFAULT_TOP);
        if kind == Kind::Observation {
            // A Datastream's own series; the top-level collection is the readings.
            let series = parent.filter(|l| l.kind == Kind::Datastream).and_then(|l| datastream_id(&l.id)).map_or(Series::Raw, |(_, s)| s);
            let devices: Vec<&(usize, Device)> = devices.into_iter().filter(|(_, d)| series == Series::Raw || summarised(d)).collect();
            return self.observations(&devices, series, options, top).await;
        }
        let mut items: Vec<Value> = if kind == Kind::Datastream {
            // Each device's Datastream, followed by its hourly one where it has one.
            devices
                .iter()
                .flat_map(|(n, d)| {
                    let hourly = summarised(d).then(|| self.datastream(*n, d, Series::Hourly));
                    std::iter::once(self.datastream(*n, d, Series::Raw)).chain(hourly)
                })
                .collect()
        } else {
            devices.iter().map(|(n, d)| self.metadata(kind, *n, d)).collect()
        };
        if let Some(f) = &options.filter {
            items.retain(|v| f.matches(v));
        }
        order(&mut items, &options.orderby);
        let count = options.count.then_some(items.len());
        let more = items.len() > options.skip.saturating_add(top);
        let items = items.into_iter().skip(options.skip).take(top).collect();
        Ok(Page { items, count, more })
    }

    /// A page of the Observations of `devices`' Datastreams of `series`.
    async fn observations(&self, devices: &[&(usize, Device)], series: Series, options: &Options, top: usize) -> Result<Page, Refusal> {
        let newest_first = match options.orderby.as_slice() {
            [] => false,
            [(p, descending)] if matches!(p.as_str(), "phenomenonTime" | "resultTime" | "id") => *descending,
            _ => return Err(bad("Observations are ordered by phenomenonTime (or resultTime) only")),
        };
        if devices.is_empty() {
            return Ok(Page { items: Vec::new(), count: options.count.then_some(0), more: false });
        }
        let ids: Vec<&str> = devices.iter().map(|(_, d)| d.id.as_str()).collect();
        // Every device of the registry: no need to name them (rows of devices
        // no longer in the registry are dropped below).
        let ids = if ids.len() == self.registry_len { Vec::new() } else { ids };
        // The range of phenomenonTime (of its start, for an hour) the filter allows.
        let span = if series == Series::Hourly { HOUR_MS } else { 0 };
        let (from, mut to) = options.filter.as_ref().map_or((i64::MIN, i64::MAX), |f| f.time_range_of(span));
        if series == Series::Hourly {
            // Only hours that have ended.
            to = to.min(self.hour_now_ms);
        }
        let skip = i64::try_from(options.skip).unwrap_or(i64::MAX);
        let wanted = i64::try_from(top).unwrap_or(i64::MAX);
        let filter = match &options.filter {
            Some(f) if !f.is_time_range_only() => f,
            _ => {
                // No filter, or one the time range says all of: the database pages directly.
                let (read, items) = self.fetch(series, &ids, from, to, newest_first, wanted.saturating_add(1), skip).await?;
                let more = read > top;
                let items = items.into_iter().take(top).collect();
                let count = if options.count { Some(self.count(series, &ids, from, to).await?) } else { None };
                return Ok(Page { items, count, more });
            }
        };
        // Filtered in memory, read in chunks within the filter's time range.
        let (mut matched, mut items, mut offset, mut more) = (0usize, Vec::new(), 0i64, false);
        loop {
            let (read, entities) = self.fetch(series, &ids, from, to, newest_first, SCAN_CHUNK, offset).await?;
            for entity in entities {
                if filter.matches(&entity) {
                    if matched >= options.skip && items.len() < top {
                        items.push(entity);
                    } else if items.len() == top {
                        more = true;
                    }
                    matched += 1;
                }
            }
            let read = i64::try_from(read).unwrap_or(i64::MAX);
            offset = offset.saturating_add(read);
            let done_enough = more && !options.count;
            if read < SCAN_CHUNK || done_enough {
                break;
            }
            if offset >= MAX_SCANNED {
                return Err(bad(format!("the filter needs more than {MAX_SCANNED} observations read: narrow it with a phenomenonTime range")));
            }
        }
        Ok(Page { items, count: options.count.then_some(matched), more })
    }

    /// Rows `offset..offset + limit` of `series` in `[from, to)` (of the
    /// hour's start for hourly ones) as entities, and how many rows were
    /// read (rows of devices no longer in the registry are read, not kept).
    #[allow(clippy::too_many_arguments)] // the store's range, and which series
    async fn fetch(&self, series: Series, ids: &[&str], from: i64, to: i64, newest_first: bool, limit: i64, offset: i64) -> Result<(usize, Vec<Value>), Refusal> {
        if from >= to {
            return Ok((0, Vec::new()));
        }
        Ok(match series {
            Series::Raw => {
                let rows = self.store.range_of(ids, from, to, newest_first, limit, offset).await.map_err(store_error)?;
                (rows.len(), rows.iter().filter_map(|o| Some(self.observation(self.number_of(&o.device)?, o))).collect())
            }
            Series::Hourly => {
                let rows = self.store.hourly_range(ids, from, to, newest_first, limit, offset).await.map_err(store_error)?;
                (rows.len(), rows.iter().filter_map(|h| Some(self.hourly_observation(self.number_of(&h.device)?, h))).collect())
            }
        })
    }

    /// How many rows of `series` lie in `[from, to)`.
    async fn count(&self, series: Series, ids: &[&str], from: i64, to: i64) -> Result<usize, Refusal> {
        if from >= to {
            return Ok(0);
        }
        let n = match series {
            Series::Raw => self.store.count_of(ids, from, to).await,
            Series::Hourly => self.store.hourly_count(ids, from, to).await,
        };
        Ok(usize::try_from(n.map_err(store_error)?).unwrap_or(0))
    }

    pub(crate) fn link(&self, kind: Kind, id: &Value, to: &str) -> String {
        let id = id.as_str().map_or_else(|| id.to_string(), |s| format!("'{s}'"));
        format!("{}/{}({id})/{to}", self.base, kind.collection())
    }

    fn metadata(&self, kind: Kind, n: usize, d: &Device) -> Value {
        let id = json!(n);
        let self_link = format!("{}/{}({n})", self.base, kind.collection());
        let mut v = match kind {
            Kind::Thing => json!({
                "name": d.names.en, "description": d.names.vi,
                "properties": serde_json::to_value(d).unwrap_or(Value::Null),
                "Locations@iot.navigationLink": self.link(kind, &id, "Locations"),
                "Datastreams@iot.navigationLink": self.link(kind, &id, "Datastreams"),
            }),
            Kind::Location => json!({
                "name": d.names.en, "description": format!("Vị trí / position of {}", d.id),
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": d.position},
                "Things@iot.navigationLink": self.link(kind, &id, "Things"),
            }),
            Kind::Sensor => json!({
                "name": format!("{} ({})", kind_label(&d.kind), d.owner), "description": format!("{} of {}", kind_label(&d.kind), d.names.en),
                "encodingType": "text/plain", "metadata": d.owner,
                "Datastreams@iot.navigationLink": self.link(kind, &id, "Datastreams"),
            }),
            Kind::ObservedProperty => {
                let (name, definition) = observed(&d.kind);
                json!({"name": name, "definition": definition, "description": format!("{name} at {}", d.names.en),
                       "Datastreams@iot.navigationLink": self.link(kind, &id, "Datastreams")})
            }
            Kind::Datastream | Kind::Observation => {
                let (unit, observation_type) = unit(&d.kind);
                let mut properties = json!({"device": d.id, "expected_period_s": d.expected_period_s});
                if let DeviceKind::WaterGauge { alarm_levels_m, .. } = &d.kind {
                    properties["alarm_levels_m"] = json!(alarm_levels_m);
                }
                json!({
                    "name": d.names.en, "description": d.names.vi, "unitOfMeasurement": unit, "observationType": observation_type,
                    "properties": properties,
                    "Thing@iot.navigationLink": self.link(Kind::Datastream, &id, "Thing"),
                    "Sensor@iot.navigationLink": self.link(Kind::Datastream, &id, "Sensor"),
                    "ObservedProperty@iot.navigationLink": self.link(Kind::Datastream, &id, "ObservedProperty"),
                    "Observations@iot.navigationLink": self.link(Kind::Datastream, &id, "Observations"),
                })
            }
        };
        v["@iot.id"] = id;
        v["@iot.selfLink"] = json!(self_link);
        v
    }

    /// Device `n`'s Datastream of `series`: the hourly one is the raw one's
    /// twin (same Thing, Sensor, ObservedProperty and unit, a Measurement)
    /// named "… hourly mean", with what it summarises in its properties.
    fn datastream(&self, n: usize, d: &Device, series: Series) -> Value {
        let mut v = self.metadata(Kind::Datastream, n, d);
        if series == Series::Raw {
            return v;
        }
        let id = datastream_key(n, series);
        v["@iot.id"] = id.clone();
        v["@iot.selfLink"] = json!(format!("{}/Datastreams('{n}-{HOURLY}')", self.base));
        v["name"] = json!(format!("{} hourly mean", d.names.en));
        v["description"] = json!(format!("{}: trung bình mỗi giờ / hourly mean", d.names.vi));
        v["properties"]["expected_period_s"] = json!(HOUR_MS / 1000);
        v["properties"]["aggregateFor"] = json!(format!("{}/Datastreams({n})", self.base));
        v["properties"]["aggregatePeriod"] = json!("PT1H");
        v["properties"]["aggregateStatistic"] = json!("mean");
        v["properties"]["parameters"] = json!({
            "min": "the hour's lowest reading", "max": "the hour's highest reading", "count": "how many readings the hour had",
        });
        for to in ["Thing", "Sensor", "ObservedProperty", "Observations"] {
            v[format!("{to}@iot.navigationLink")] = json!(self.link(Kind::Datastream, &id, to));
        }
        v
    }

    /// An hour's summary as an Observation: the mean as its result, the
    /// hour as its phenomenonTime, its end as its resultTime, the extremes
    /// and the count as its parameters.
    fn hourly_observation(&self, n: usize, h: &HourlySummary) -> Value {
        let id = format!("{n}-{HOURLY}-{}", h.hour_ms);
        let end = rfc3339(h.hour_ms.saturating_add(HOUR_MS));
        json!({
            "@iot.id": id, "@iot.selfLink": format!("{}/Observations('{id}')", self.base),
            "phenomenonTime": format!("{}/{end}", rfc3339(h.hour_ms)), "resultTime": end, "result": h.mean,
            "parameters": {"min": h.min, "max": h.max, "count": h.values},
            "Datastream@iot.navigationLink": format!("{}/Observations('{id}')/Datastream", self.base),
        })
    }

    fn observation(&self, n: usize, o: &Observation) -> Value {
        let o = o.view_for(self.role);
        let id = format!("{n}-{}", o.time_ms);
        let result = match &o.reading {
            Reading::WaterLevel { level_m } => json!(level_m),
            Reading::Value { value } => json!(value),
            Reading::Light { on, dim, fault } => json!({"on": on, "dim": dim, "fault": fault}),
            Reading::Camera { online, snapshot_url } => json!({"online": online, "snapshot_url": snapshot_url}),
        };
        let time = rfc3339(o.time_ms);
        json!({
            "@iot.id": id, "@iot.selfLink": format!("{}/Observations('{id}')", self.base),
            "phenomenonTime": time, "resultTime": time, "result": result,
            "Datastream@iot.navigationLink": format!("{}/Observations('{id}')/Datastream", self.base),
        })
    }
}

fn kind_label(kind: &DeviceKind) -> &'static str {
    match kind {
        DeviceKind::WaterGauge { .. } => "Water-level gauge",
        DeviceKind::Camera { .. } => "CCTV camera",
        DeviceKind::StreetLight => "Street light controller",
        DeviceKind::Sensor { .. } => "Sensor",
    }
}

fn observed(kind: &DeviceKind) -> (String, String) {
    match kind {
        DeviceKind::WaterGauge { river, .. } => (format!("Water level ({river})"), "http://vocabs.lter-europe.net/EnvThes/22035".to_owned()),
        DeviceKind::Camera { .. } => ("Camera state".to_owned(), "https://sontinh.example/def/camera-state".to_owned()),
        DeviceKind::StreetLight => ("Street light state".to_owned(), "https://sontinh.example/def/light-state".to_owned()),
        DeviceKind::Sensor { quantity, .. } => (quantity.clone(), format!("https://sontinh.example/def/{}", quantity.replace(' ', "-"))),
    }
}

fn unit(kind: &DeviceKind) -> (Value, &'static str) {
    const MEASUREMENT: &str = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement";
    const OBSERVATION: &str = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Observation";
    match kind {
        DeviceKind::WaterGauge { .. } => (json!({"name": "metre", "symbol": "m", "definition": "http://qudt.org/vocab/unit/M"}), MEASUREMENT),
        DeviceKind::Sensor { unit, .. } => (json!({"name": unit, "symbol": unit, "definition": ""}), MEASUREMENT),
        _ => (json!({"name": "", "symbol": "", "definition": ""}), OBSERVATION),
    }
}
