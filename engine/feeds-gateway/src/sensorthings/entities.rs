//! The SensorThings entities a role may see: built from the device registry
//! (one Thing, Location, Sensor, ObservedProperty and Datastream per device)
//! and the history database (Observations).

use axum::http::StatusCode;
use serde_json::{Value, json};
use sontinh_feeds::{Device, DeviceKind, Observation, Reading, Role};
use sontinh_feeds_store::Store;

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

/// The device an entity belongs to: its number (`'3-1602…'` → 3); 0 when none.
pub(crate) fn device_number(link: &Link) -> usize {
    let id = link.id.trim_matches('\'');
    let number = if link.kind == Kind::Observation { id.split('-').next().unwrap_or("") } else { id };
    number.parse().unwrap_or(0)
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
        if kind != Kind::Observation {
            let number: usize = id.parse().map_err(|_| bad(format!("{}({id}): ids are whole numbers", kind.collection())))?;
            return Ok(self.device(number).map(|(n, d)| self.metadata(kind, *n, d)));
        }
        let (number, time) = id.split_once('-').ok_or_else(|| bad(format!("Observations('{id}'): ids are '<datastream>-<milliseconds>'")))?;
        let (Ok(number), Ok(time_ms)) = (number.parse::<usize>(), time.parse::<i64>()) else {
            return Err(bad(format!("Observations('{id}'): ids are '<datastream>-<milliseconds>'")));
        };
        let Some((n, device)) = self.device(number) else { return Ok(None) };
        let found = self.store.range(Some(&device.id), time_ms, time_ms.saturating_add(1), false, 1, 0).await.map_err(store_error)?;
        Ok(found.first().map(|o| self.observation(*n, o)))
    }

    /// A page of a collection (navigated from `parent` if given), as `options` asks.
    pub(crate) async fn page(&self, kind: Kind, parent: Option<&Link>, options: &Options) -> Result<Page, Refusal> {
        let devices: Vec<&(usize, Device)> = match parent {
            Some(link) => self.device(device_number(link)).into_iter().collect(),
            None => self.devices.iter().collect(),
        };
        let top = options.top.unwrap_or(DEFAULT_TOP);
        if kind == Kind::Observation {
            return self.observations(&devices, options, top).await;
        }
        let mut items: Vec<Value> = devices.iter().map(|(n, d)| self.metadata(kind, *n, d)).collect();
        if let Some(f) = &options.filter {
            items.retain(|v| f.matches(v));
        }
        order(&mut items, &options.orderby);
        let count = options.count.then_some(items.len());
        let more = items.len() > options.skip.saturating_add(top);
        let items = items.into_iter().skip(options.skip).take(top).collect();
        Ok(Page { items, count, more })
    }

    async fn observations(&self, devices: &[&(usize, Device)], options: &Options, top: usize) -> Result<Page, Refusal> {
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
        let (from, to) = options.filter.as_ref().map_or((i64::MIN, i64::MAX), |f| f.time_range());
        let skip = i64::try_from(options.skip).unwrap_or(i64::MAX);
        let wanted = i64::try_from(top).unwrap_or(i64::MAX);
        let Some(filter) = &options.filter else {
            // The database pages directly.
            let rows = self.store.range_of(&ids, from, to, newest_first, wanted.saturating_add(1), skip).await.map_err(store_error)?;
            let more = rows.len() > top;
            let items = rows.iter().take(top).filter_map(|o| Some(self.observation(self.number_of(&o.device)?, o))).collect();
            let count = if options.count { Some(self.store.count_of(&ids, from, to).await.map_err(store_error)? as usize) } else { None };
            return Ok(Page { items, count, more });
        };
        // Filtered in memory, read in chunks within the filter's time range.
        let (mut matched, mut items, mut offset, mut more) = (0usize, Vec::new(), 0i64, false);
        loop {
            let rows = self.store.range_of(&ids, from, to, newest_first, SCAN_CHUNK, offset).await.map_err(store_error)?;
            for o in &rows {
                let Some(number) = self.number_of(&o.device) else { continue };
                let entity = self.observation(number, o);
                if filter.matches(&entity) {
                    if matched >= options.skip && items.len() < top {
                        items.push(entity);
                    } else if items.len() == top {
                        more = true;
                    }
                    matched += 1;
                }
            }
            offset += rows.len() as i64;
            let done_enough = more && !options.count;
            if (rows.len() as i64) < SCAN_CHUNK || done_enough {
                break;
            }
            if offset >= MAX_SCANNED {
                return Err(bad(format!("the filter needs more than {MAX_SCANNED} observations read: narrow it with a phenomenonTime range")));
            }
        }
        Ok(Page { items, count: options.count.then_some(matched), more })
    }

    fn link(&self, kind: Kind, id: &Value, to: &str) -> String {
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
