//! Opening a LAS/LAZ/COPC file: layout check, then header, CRS, attributes
//! and the COPC index; streaming its points in bounded batches.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use las::{PointData, PointDataBuilder};

use crate::PointCloudError;
use crate::attributes::{Attribute, parse_extra_bytes, standard_attributes};
use crate::copc::{CopcInfo, Hierarchy, NodeEntry, decode_chunk, decode_node};
use crate::crs::CrsReport;
use crate::layout::{Layout, RecordSummary, read_layout};

/// Points per batch when streaming: bounds memory whatever the header says.
pub const BATCH_POINTS: u64 = 1 << 20;

/// A checked point cloud file, ready to stream.
#[derive(Debug)]
pub struct PointCloudFile {
    pub path: PathBuf,
    pub layout: Layout,
    pub header: las::Header,
    pub crs: CrsReport,
    pub attributes: Vec<Attribute>,
    /// Present for COPC files.
    pub copc: Option<(CopcInfo, Hierarchy)>,
    /// Non-fatal findings: CRS doubts, waveform data that is not there.
    pub warnings: Vec<String>,
}

impl PointCloudFile {
    pub fn open(path: &Path) -> Result<PointCloudFile, PointCloudError> {
        let file = File::open(path).map_err(|e| PointCloudError::io(path, e))?;
        let file_len = file.metadata().map_err(|e| PointCloudError::io(path, e))?.len();
        let mut opened = PointCloudFile::read_from(&mut BufReader::new(file), file_len, path)?;
        if matches!(opened.layout.point_format, 4 | 5 | 9 | 10) {
            let internal = opened.layout.global_encoding & 0x02 != 0;
            let external = path.with_extension("wdp");
            if !internal && !external.exists() {
                opened.warnings.push(format!(
                    "waveform packets refer to {} which is not there: points load, waveforms do not",
                    external.display()
                ));
            }
        }
        Ok(opened)
    }

    /// Reads the header, CRS, attributes and COPC index from `reader`, a
    /// file of `file_len` bytes named `path` (a disk path, or the address
    /// of a file read by ranges: see [`crate::ranged`]).
    pub fn read_from<R: Read + Seek>(reader: &mut R, file_len: u64, path: &Path) -> Result<PointCloudFile, PointCloudError> {
        let invalid = |message: String| PointCloudError::invalid(path, message);
        let mut reader = reader;
        let layout = read_layout(&mut reader, file_len).map_err(invalid)?;
        reader.seek(SeekFrom::Start(0)).map_err(|e| PointCloudError::io(path, e))?;
        let header = las::Header::new(&mut reader).map_err(|e| invalid(format!("header: {e}")))?;

        let mut read_record = |record: &RecordSummary| -> Option<Vec<u8>> {
            let len = usize::try_from(record.data_len).ok()?;
            let mut data = vec![0u8; len];
            reader.seek(SeekFrom::Start(record.data_offset)).ok()?;
            reader.read_exact(&mut data).ok()?;
            Some(data)
        };
        let crs = CrsReport::from_records(&layout, &mut read_record);
        let mut warnings = crs.warnings.clone();

        let mut attributes = standard_attributes(layout.point_format);
        let extra = layout.extra_bytes_per_point();
        match layout.find_vlr("LASF_Spec", 4).cloned() {
            Some(record) => {
                let data = read_record(&record).ok_or_else(|| invalid("the Extra Bytes VLR cannot be read".to_owned()))?;
                attributes.extend(parse_extra_bytes(&data, extra).map_err(invalid)?);
            }
            None if extra > 0 => attributes.extend(parse_extra_bytes(&[], extra).map_err(invalid)?),
            None => {}
        }
        let copc = match layout.find_vlr("copc", 1).cloned() {
            Some(record) if layout.vlrs.first() == Some(&record) => {
                let data = read_record(&record).ok_or_else(|| invalid("the COPC info VLR cannot be read".to_owned()))?;
                let info = CopcInfo::parse(&data).map_err(invalid)?;
                let hierarchy = Hierarchy::read(&mut reader, &info, &layout).map_err(invalid)?;
                Some((info, hierarchy))
            }
            Some(_) => {
                warnings.push("a COPC info VLR is present but not first: read as plain LAZ".to_owned());
                None
            }
            None => None,
        };
        Ok(PointCloudFile {
            path: path.to_owned(),
            layout,
            header,
            crs,
            attributes,
            copc,
            warnings,
        })
    }

    /// Streams every point in batches of at most [`BATCH_POINTS`]; fails,
    /// naming the file, if the data ends before the header's count.
    pub fn for_each_batch(&self, mut visit: impl FnMut(&PointData) -> Result<(), PointCloudError>) -> Result<u64, PointCloudError> {
        let path = &self.path;
        let file = File::open(path).map_err(|e| PointCloudError::io(path, e))?;
        let mut reader = guard(|| las::Reader::new(BufReader::new(file)).map_err(|e| e.to_string())).map_err(|e| PointCloudError::invalid(path, e))?;
        let total = self.layout.point_count;
        let mut done = 0u64;
        let mut batch = PointDataBuilder::new().for_header(&self.header).build();
        while done < total {
            let want = (total - done).min(BATCH_POINTS);
            let got = guard(|| reader.fill_points(want, &mut batch).map_err(|e| e.to_string()))
                .map_err(|e| PointCloudError::invalid(path, format!("after {done} of {total} points: {e}")))?;
            if got == 0 {
                return Err(PointCloudError::invalid(
                    path,
                    format!("the point data ends after {done} of the {total} points the header announces (truncated file)"),
                ));
            }
            visit(&batch)?;
            done += got;
        }
        Ok(done)
    }

    /// The text of the WKT VLR, if the file has one.
    pub fn wkt_text(&self) -> Option<String> {
        let record = self.layout.find_vlr("LASF_Projection", 2112)?;
        let mut data = vec![0u8; usize::try_from(record.data_len).ok()?];
        let mut f = File::open(&self.path).ok()?;
        f.seek(SeekFrom::Start(record.data_offset)).ok()?;
        f.read_exact(&mut data).ok()?;
        Some(String::from_utf8_lossy(&data).trim_end_matches('\0').to_owned())
    }

    /// The points of one COPC node as records of this file's format.
    pub fn read_node(&self, entry: NodeEntry) -> Result<PointData, PointCloudError> {
        let path = &self.path;
        let vlr = self.header.laz_vlr().map_err(|e| PointCloudError::invalid(path, format!("LAZ VLR: {e}")))?;
        let mut file = BufReader::new(File::open(path).map_err(|e| PointCloudError::io(path, e))?);
        let bytes =
            guard(|| decode_node(&mut file, entry, &vlr, self.layout.record_length)).map_err(|e| PointCloudError::invalid(path, e))?;
        self.point_data(bytes)
    }

    /// The points of one COPC node from its compressed chunk (the
    /// `entry.byte_size` bytes at `entry.offset`, fetched by the caller).
    pub fn decode_node_chunk(&self, entry: NodeEntry, compressed: Vec<u8>) -> Result<PointData, PointCloudError> {
        let path = &self.path;
        let vlr = self.header.laz_vlr().map_err(|e| PointCloudError::invalid(path, format!("LAZ VLR: {e}")))?;
        let bytes =
            guard(|| decode_chunk(compressed, entry, &vlr, self.layout.record_length)).map_err(|e| PointCloudError::invalid(path, e))?;
        self.point_data(bytes)
    }

    fn point_data(&self, bytes: Vec<u8>) -> Result<PointData, PointCloudError> {
        let path = &self.path;
        PointDataBuilder::new()
            .for_header(&self.header)
            .build_from_bytes(bytes)
            .map_err(|e| PointCloudError::invalid(path, e.to_string()))
    }
}

/// Decoders of untrusted compressed data are not proven panic-free; a panic
/// in one becomes an error for this file rather than the end of the program.
fn guard<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(_) => Err("the LAZ decoder failed on corrupt compressed data".to_owned()),
    }
}

/// Keeps the panic messages of the LAZ decoder off the terminal: such a
/// panic is caught (see `guard`) and reported as an error naming the file.
/// Every other panic still reaches the previous hook.
pub fn quiet_decoder_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_decoder = info.location().is_some_and(|l| {
            let file = l.file().replace('\\', "/");
            file.contains("/laz-") || file.contains("/las-")
        });
        if !in_decoder {
            previous(info);
        }
    }));
}
