//! Checked little-endian byte forms of plain data. A worker writes with
//! [`Writer`]; the page reads with [`Reader`], which checks every size
//! against the bytes there are before it allocates (a forged count of four
//! billion items in a few bytes is an error, not an allocation) and names
//! what it was reading when the bytes ran out.
//!
//! Why not a serde format: textures and index arrays are read back as
//! slices copied whole, not element by element, and the reading runs on the
//! page's main thread.

mod files;

pub use files::{Answer, FileSet, NOT_FETCHED};

/// Bytes being written.
#[derive(Default, Debug)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    pub fn with_capacity(n: usize) -> Writer {
        Writer { bytes: Vec::with_capacity(n) }
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
    }

    pub fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    /// A length as u32. Lengths past u32 do not occur in data a browser
    /// holds; clamped, the reader refuses the bytes rather than misreads them.
    pub fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }

    /// A length, then UTF-8 text.
    pub fn text(&mut self, text: &str) {
        self.len(text.len());
        self.bytes(text.as_bytes());
    }

    pub fn f32s(&mut self, values: &[f32]) {
        for v in values {
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }
    }

    pub fn f64s(&mut self, values: &[f64]) {
        for v in values {
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }
    }

    pub fn u16s(&mut self, values: &[u16]) {
        for v in values {
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }
    }

    pub fn u32s(&mut self, values: &[u32]) {
        for v in values {
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Bytes being read; errors start with the reader's `context` (what the
/// bytes are said to be).
#[derive(Debug)]
pub struct Reader<'a> {
    context: &'a str,
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], context: &'a str) -> Reader<'a> {
        Reader { context, rest: bytes }
    }

    /// An error in this reader's context.
    pub fn error(&self, message: impl std::fmt::Display) -> String {
        format!("{}: {message}", self.context)
    }

    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err(self.error(format_args!("cut short in {what} ({} bytes left, {n} needed)", self.rest.len())));
        }
        let (a, b) = self.rest.split_at(n);
        self.rest = b;
        Ok(a)
    }

    /// Every byte left (a nested form that checks itself).
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self, what: &str) -> Result<u64, String> {
        let b = self.take(8, what)?;
        Ok(u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    /// A u32 length, as usize.
    pub fn len(&mut self, what: &str) -> Result<usize, String> {
        self.u32(what).map(|n| n as usize)
    }

    pub fn f32s<const N: usize>(&mut self, what: &str) -> Result<[f32; N], String> {
        let b = self.take(4 * N, what)?;
        Ok(std::array::from_fn(|i| f32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])))
    }

    /// [`Writer::text`]'s form.
    pub fn text(&mut self, what: &str) -> Result<String, String> {
        let n = self.len(what)?;
        let bytes = self.take(n, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.error(format_args!("{what} is not UTF-8")))
    }

    pub fn f64s<const N: usize>(&mut self, what: &str) -> Result<[f64; N], String> {
        let b = self.take(8 * N, what)?;
        Ok(std::array::from_fn(|i| f64::from_le_bytes(std::array::from_fn(|k| b[8 * i + k]))))
    }

    /// `count` items of `N` f32s each, the count checked first.
    pub fn f32_arrays<const N: usize>(&mut self, count: usize, what: &str) -> Result<Vec<[f32; N]>, String> {
        let b = self.take_items(count, 4 * N, what)?;
        Ok(b.chunks_exact(4 * N)
            .map(|c| std::array::from_fn(|i| f32::from_le_bytes([c[4 * i], c[4 * i + 1], c[4 * i + 2], c[4 * i + 3]])))
            .collect())
    }

    /// `count` items of `N` f64s each, the count checked first.
    pub fn f64_arrays<const N: usize>(&mut self, count: usize, what: &str) -> Result<Vec<[f64; N]>, String> {
        let b = self.take_items(count, 8 * N, what)?;
        Ok(b.chunks_exact(8 * N)
            .map(|c| std::array::from_fn(|i| f64::from_le_bytes(std::array::from_fn(|k| c[8 * i + k]))))
            .collect())
    }

    /// `count` items of `N` u16s each, the count checked first.
    pub fn u16_arrays<const N: usize>(&mut self, count: usize, what: &str) -> Result<Vec<[u16; N]>, String> {
        let b = self.take_items(count, 2 * N, what)?;
        Ok(b.chunks_exact(2 * N).map(|c| std::array::from_fn(|i| u16::from_le_bytes([c[2 * i], c[2 * i + 1]]))).collect())
    }

    pub fn u16s(&mut self, count: usize, what: &str) -> Result<Vec<u16>, String> {
        let b = self.take_items(count, 2, what)?;
        Ok(b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect())
    }

    pub fn u32s(&mut self, count: usize, what: &str) -> Result<Vec<u32>, String> {
        let b = self.take_items(count, 4, what)?;
        Ok(b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    /// Refuses a count whose items, at least `min_bytes` each, cannot be
    /// in the bytes left.
    pub fn room_for(&self, count: usize, min_bytes: usize, what: &str) -> Result<(), String> {
        match count.checked_mul(min_bytes) {
            Some(n) if n <= self.rest.len() => Ok(()),
            _ => Err(self.error(format_args!("{count} {what} cannot fit in the {} bytes left", self.rest.len()))),
        }
    }

    /// Fails when bytes are left over after `what`.
    pub fn finish(self, what: &str) -> Result<(), String> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.error(format_args!("{} bytes after {what}", self.rest.len())))
        }
    }

    fn take_items(&mut self, count: usize, size: usize, what: &str) -> Result<&'a [u8], String> {
        self.room_for(count, size, what)?;
        self.take(count * size, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_values_read_back_exactly() {
        let mut w = Writer::default();
        w.u8(7);
        w.u32(0xDEAD_BEEF);
        w.u64(u64::MAX - 1);
        w.f32s(&[1.5, -0.0, f32::MAX]);
        w.f64s(&[std::f64::consts::PI, -1e300]);
        w.u16s(&[1, 65535]);
        w.u32s(&[9, 10, 11]);
        w.len(3);
        let bytes = w.into_bytes();
        // Independent of the reader: the little-endian bytes themselves.
        assert_eq!(&bytes[..5], &[7, 0xEF, 0xBE, 0xAD, 0xDE]);
        let mut r = Reader::new(&bytes, "test");
        assert_eq!(r.u8("a").unwrap(), 7);
        assert_eq!(r.u32("b").unwrap(), 0xDEAD_BEEF);
        assert_eq!(r.u64("c").unwrap(), u64::MAX - 1);
        assert_eq!(r.f32s::<3>("d").unwrap(), [1.5, -0.0, f32::MAX]);
        assert_eq!(r.f64_arrays::<2>(1, "e").unwrap(), vec![[std::f64::consts::PI, -1e300]]);
        assert_eq!(r.u16_arrays::<2>(1, "f").unwrap(), vec![[1, 65535]]);
        assert_eq!(r.u32s(3, "g").unwrap(), vec![9, 10, 11]);
        assert_eq!(r.len("h").unwrap(), 3);
        r.finish("the end").unwrap();
    }

    #[test]
    fn short_forged_and_trailing_bytes_are_errors_naming_what_was_read() {
        let mut r = Reader::new(&[1, 2, 3], "decoded thing");
        assert_eq!(r.u32("its count").unwrap_err(), "decoded thing: cut short in its count (3 bytes left, 4 needed)");
        // Four billion triples in three bytes: refused before any allocation.
        let err = r.f32_arrays::<3>(u32::MAX as usize, "positions").unwrap_err();
        assert_eq!(err, "decoded thing: 4294967295 positions cannot fit in the 3 bytes left");
        // usize overflow of count × size is refused too.
        assert!(r.room_for(usize::MAX, 12, "normals").is_err());
        assert_eq!(Reader::new(&[0], "x").finish("its last part").unwrap_err(), "x: 1 bytes after its last part");
    }
}
