//! A checked reader of Well-Known Binary (ISO WKB as GeoPackage stores it,
//! and the EWKB dimension flags): every count is checked against the bytes
//! left before anything is reserved, nesting is bounded, and Z/M values are
//! read and dropped (the layers are 2D).

use geo_types::{Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

const MAX_DEPTH: u32 = 32;

/// Parses one WKB geometry that fills `bytes` (trailing bytes are an error).
/// `Ok(None)` for an empty geometry.
pub fn parse(bytes: &[u8]) -> Result<Option<Geometry<f64>>, String> {
    let mut reader = Reader { bytes, pos: 0 };
    let geometry = reader.geometry(0)?;
    if reader.pos != bytes.len() {
        return Err(format!("{} byte(s) after the WKB geometry", bytes.len() - reader.pos));
    }
    Ok(geometry)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

#[derive(Clone, Copy)]
struct Dims {
    count: usize,
    little: bool,
}

impl Reader<'_> {
    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let end = self.pos.checked_add(N).filter(|end| *end <= self.bytes.len());
        let Some(end) = end else {
            return Err(format!("WKB ends inside {what} at byte {}", self.pos));
        };
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[self.pos..end]);
        self.pos = end;
        Ok(out)
    }

    fn u32(&mut self, little: bool, what: &str) -> Result<u32, String> {
        let b = self.take::<4>(what)?;
        Ok(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }

    fn f64(&mut self, little: bool) -> Result<f64, String> {
        let b = self.take::<8>("a coordinate")?;
        Ok(if little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) })
    }

    /// A count of items of at least `least_bytes` each, checked against what is left.
    fn count(&mut self, little: bool, least_bytes: usize, what: &str) -> Result<usize, String> {
        let n = self.u32(little, what)? as usize;
        let need = n.checked_mul(least_bytes).ok_or_else(|| format!("{what} {n} overflows"))?;
        if need > self.left() {
            return Err(format!("{what} {n} needs {need} bytes, only {} left", self.left()));
        }
        Ok(n)
    }

    fn coord(&mut self, dims: Dims) -> Result<Coord<f64>, String> {
        let x = self.f64(dims.little)?;
        let y = self.f64(dims.little)?;
        for _ in 2..dims.count {
            self.f64(dims.little)?;
        }
        Ok(Coord { x, y })
    }

    fn line(&mut self, dims: Dims, what: &str) -> Result<LineString<f64>, String> {
        let n = self.count(dims.little, 8 * dims.count, what)?;
        let mut coords = Vec::with_capacity(n);
        for _ in 0..n {
            let c = self.coord(dims)?;
            if !c.x.is_finite() || !c.y.is_finite() {
                return Err("a vertex that is not a finite number".to_owned());
            }
            coords.push(c);
        }
        Ok(LineString::new(coords))
    }

    fn polygon(&mut self, dims: Dims) -> Result<Option<Polygon<f64>>, String> {
        let rings = self.count(dims.little, 4, "ring count")?;
        let mut lines = Vec::with_capacity(rings);
        for _ in 0..rings {
            let ring = self.line(dims, "ring point count")?;
            if ring.0.len() < 4 || ring.0.first() != ring.0.last() {
                return Err(format!("a polygon ring of {} point(s) that is not closed", ring.0.len()));
            }
            lines.push(ring);
        }
        let mut lines = lines.into_iter();
        Ok(lines.next().map(|exterior| Polygon::new(exterior, lines.collect())))
    }

    /// A geometry header: byte order, type and dimensions.
    fn header(&mut self) -> Result<(u32, Dims), String> {
        let [order] = self.take::<1>("a byte order")?;
        let little = match order {
            0 => false,
            1 => true,
            other => return Err(format!("WKB byte order {other} (neither 0 nor 1)")),
        };
        let raw = self.u32(little, "a geometry type")?;
        let (mut z, mut m) = (raw & 0x8000_0000 != 0, raw & 0x4000_0000 != 0);
        if raw & 0x2000_0000 != 0 {
            self.u32(little, "an EWKB SRID")?;
        }
        let iso = raw & 0x0FFF_FFFF;
        let base = iso % 1000;
        match iso / 1000 {
            0 => {}
            1 => z = true,
            2 => m = true,
            3 => (z, m) = (true, true),
            _ => return Err(format!("WKB geometry type {raw}")),
        }
        let count = 2 + usize::from(z) + usize::from(m);
        Ok((base, Dims { count, little }))
    }

    fn geometry(&mut self, depth: u32) -> Result<Option<Geometry<f64>>, String> {
        if depth > MAX_DEPTH {
            return Err(format!("geometries nested deeper than {MAX_DEPTH}"));
        }
        let (kind, dims) = self.header()?;
        Ok(match kind {
            1 => {
                let c = self.coord(dims)?;
                if c.x.is_nan() && c.y.is_nan() {
                    None // GeoPackage's empty point
                } else if c.x.is_finite() && c.y.is_finite() {
                    Some(Geometry::Point(Point(c)))
                } else {
                    return Err("a point that is not a finite number".to_owned());
                }
            }
            2 => {
                let line = self.line(dims, "line point count")?;
                (!line.0.is_empty()).then_some(Geometry::LineString(line))
            }
            3 => self.polygon(dims)?.map(Geometry::Polygon),
            4..=7 => {
                let n = self.count(dims.little, 5, "part count")?;
                let mut parts = Vec::with_capacity(n);
                for _ in 0..n {
                    let start = self.pos;
                    let part = self.geometry(depth + 1)?;
                    let part_kind = self.bytes.get(start + 1..start + 5).map(|b| {
                        let b = [b[0], b[1], b[2], b[3]];
                        let raw = if self.bytes[start] == 1 {
                            u32::from_le_bytes(b)
                        } else {
                            u32::from_be_bytes(b)
                        };
                        (raw & 0x0FFF_FFFF) % 1000
                    });
                    let expected = match kind {
                        4 => Some(1),
                        5 => Some(2),
                        6 => Some(3),
                        _ => None,
                    };
                    if expected.is_some() && part_kind != expected {
                        return Err(format!("a part of type {part_kind:?} inside a WKB multi-geometry of type {kind}"));
                    }
                    if let Some(part) = part {
                        parts.push(part);
                    }
                }
                Some(match kind {
                    4 => Geometry::MultiPoint(MultiPoint(
                        parts
                            .into_iter()
                            .filter_map(|g| if let Geometry::Point(p) = g { Some(p) } else { None })
                            .collect(),
                    )),
                    5 => Geometry::MultiLineString(MultiLineString(
                        parts
                            .into_iter()
                            .filter_map(|g| if let Geometry::LineString(l) = g { Some(l) } else { None })
                            .collect(),
                    )),
                    6 => Geometry::MultiPolygon(MultiPolygon(
                        parts
                            .into_iter()
                            .filter_map(|g| if let Geometry::Polygon(p) = g { Some(p) } else { None })
                            .collect(),
                    )),
                    _ => Geometry::GeometryCollection(GeometryCollection(parts)),
                })
            }
            other => return Err(format!("WKB geometry type {other} (curves, surfaces and TINs are not read)")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point_le(x: f64, y: f64) -> Vec<u8> {
        let mut b = vec![1u8];
        b.extend(1u32.to_le_bytes());
        b.extend(x.to_le_bytes());
        b.extend(y.to_le_bytes());
        b
    }

    #[test]
    fn points_and_forged_counts() {
        assert_eq!(parse(&point_le(1.0, 2.0)).unwrap(), Some(Geometry::Point(Point::new(1.0, 2.0))));
        assert_eq!(parse(&point_le(f64::NAN, f64::NAN)).unwrap(), None);
        // A line claiming 2^32-1 points in 9 bytes.
        let mut line = vec![1u8];
        line.extend(2u32.to_le_bytes());
        line.extend(u32::MAX.to_le_bytes());
        let err = parse(&line).unwrap_err();
        assert!(err.contains("line point count"), "{err}");
        assert!(parse(&[1, 1, 0]).is_err());
        assert!(parse(&[7]).is_err());
        let mut trailing = point_le(1.0, 2.0);
        trailing.push(0);
        assert!(parse(&trailing).is_err());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut b = Vec::new();
        for _ in 0..100 {
            b.push(1u8);
            b.extend(7u32.to_le_bytes());
            b.extend(1u32.to_le_bytes());
        }
        b.extend(point_le(0.0, 0.0));
        assert!(parse(&b).unwrap_err().contains("nested"));
    }
}
