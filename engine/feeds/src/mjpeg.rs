//! Live camera video: an incremental parser of MJPEG over HTTP
//! (`multipart/x-mixed-replace`), fed the response body in chunks as they
//! arrive and giving whole JPEG frames. Every buffer is bounded; bad input
//! is an error, never a panic.

/// Largest frame by default.
pub const MAX_MJPEG_FRAME_BYTES: usize = 8 * 1024 * 1024;
/// Largest header block of one part.
const MAX_HEADER_BYTES: usize = 8 * 1024;
/// Bytes allowed before the first boundary line.
const MAX_PREAMBLE_BYTES: usize = 64 * 1024;
/// Line breaks and padding allowed around a boundary line.
const MAX_GAP_BYTES: usize = 1024;
/// Longest boundary accepted (RFC 2046 says 70; some cameras exceed it).
const MAX_BOUNDARY_CHARS: usize = 128;

/// Why a stream cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MjpegError {
    #[error("not an MJPEG stream: Content-Type is \"{0}\", expected multipart/x-mixed-replace")]
    NotMultipart(String),
    #[error("Content-Type \"{0}\" has no boundary parameter")]
    NoBoundary(String),
    #[error("bad multipart boundary: {0}")]
    BadBoundary(String),
    #[error("no boundary line in the first {0} bytes of the stream")]
    NoFirstBoundary(usize),
    #[error("frame {frame}: {why}")]
    BadPart { frame: u64, why: String },
    #[error("frame {frame} is larger than the {limit}-byte limit")]
    FrameTooLarge { frame: u64, limit: usize },
    #[error("frame {frame} is not a JPEG (it does not start with FF D8)")]
    NotJpeg { frame: u64 },
}

#[derive(Clone, Debug, PartialEq)]
enum State {
    /// Before the first boundary line: anything, up to a bound.
    Preamble,
    /// After a part: line breaks, then the next boundary line.
    Between { gap: usize },
    /// Just after `--boundary`: `--` (the end), or padding and a line break.
    DelimiterLine,
    /// A part's header lines, up to the empty one.
    Headers { length: Option<usize>, bytes: usize },
    /// A part's bytes: `length` of them, or up to the next boundary line.
    Body { length: Option<usize> },
    /// After the closing boundary: the rest is ignored.
    End,
}

/// An MJPEG stream being read. Feed it with [`MjpegParser::push`].
#[derive(Clone, Debug)]
pub struct MjpegParser {
    boundary: String,
    /// What starts a boundary line: `--` and the boundary.
    delimiter: Vec<u8>,
    buf: Vec<u8>,
    /// How much of `buf` has been read (dropped when a push ends).
    pos: usize,
    state: State,
    frames: u64,
    max_frame: usize,
    /// Where the next search for a boundary in the unread bytes starts.
    scanned: usize,
    failed: Option<MjpegError>,
}

impl MjpegParser {
    /// A parser for a response with this `Content-Type` value, like
    /// `multipart/x-mixed-replace; boundary=frame` (the boundary may be quoted).
    pub fn new(content_type: &str) -> Result<MjpegParser, MjpegError> {
        let shown = || content_type.chars().take(128).collect::<String>();
        let mut parts = content_type.splitn(2, ';');
        let media = parts.next().unwrap_or("").trim();
        if !media.eq_ignore_ascii_case("multipart/x-mixed-replace") {
            return Err(MjpegError::NotMultipart(shown()));
        }
        let boundary = parameter(parts.next().unwrap_or(""), "boundary").ok_or_else(|| MjpegError::NoBoundary(shown()))??;
        let bchar = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=? ".contains(c);
        if boundary.is_empty() || boundary.chars().count() > MAX_BOUNDARY_CHARS || !boundary.chars().all(bchar) || boundary.ends_with(' ') {
            return Err(MjpegError::BadBoundary(format!(
                "\"{}\" must be 1–{MAX_BOUNDARY_CHARS} letters, digits or '()+_,-./:=? (not ending in a space)",
                boundary.chars().take(MAX_BOUNDARY_CHARS + 1).collect::<String>()
            )));
        }
        Ok(MjpegParser {
            delimiter: format!("--{boundary}").into_bytes(),
            boundary,
            buf: Vec::new(),
            pos: 0,
            state: State::Preamble,
            frames: 0,
            max_frame: MAX_MJPEG_FRAME_BYTES,
            scanned: 0,
            failed: None,
        })
    }

    /// Frames larger than `bytes` are an error ([`MAX_MJPEG_FRAME_BYTES`] by default).
    pub fn with_max_frame_bytes(mut self, bytes: usize) -> MjpegParser {
        self.max_frame = bytes.max(2);
        self
    }

    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The `Content-Type` of the stream, rebuilt from its boundary.
    pub fn content_type(&self) -> String {
        let token = self.boundary.chars().all(|c| c.is_ascii_alphanumeric() || "'+_-.".contains(c));
        if token {
            format!("multipart/x-mixed-replace; boundary={}", self.boundary)
        } else {
            format!("multipart/x-mixed-replace; boundary=\"{}\"", self.boundary)
        }
    }

    /// Whole frames read so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The closing boundary (`--boundary--`) has been read.
    pub fn is_finished(&self) -> bool {
        self.state == State::End
    }

    /// Reads the next bytes of the body; the frames they complete, in order.
    /// After an error every call returns it again.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, MjpegError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let mut frames = Vec::new();
        // Every state fails before the buffer reaches this, so it never grows past it.
        let capacity = self.max_frame + MAX_PREAMBLE_BYTES + 2 * self.delimiter.len() + 8;
        loop {
            let take = capacity.saturating_sub(self.buf.len()).min(bytes.len());
            self.buf.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            let before = self.buf.len();
            if let Err(e) = self.parse(&mut frames) {
                self.failed = Some(e.clone());
                self.buf = Vec::new();
                return Err(e);
            }
            if bytes.is_empty() {
                return Ok(frames);
            }
            if take == 0 && self.buf.len() == before {
                let e = MjpegError::BadPart { frame: self.frames + 1, why: "the parser's buffer is full".to_owned() };
                self.failed = Some(e.clone());
                return Err(e);
            }
        }
    }

    /// Parses what the buffer holds, until it needs more bytes; then drops what was read.
    fn parse(&mut self, frames: &mut Vec<Vec<u8>>) -> Result<(), MjpegError> {
        let result = self.parse_held(frames);
        self.buf.drain(..self.pos);
        self.pos = 0;
        result
    }

    /// The bytes not read yet.
    fn data(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    fn parse_held(&mut self, frames: &mut Vec<Vec<u8>>) -> Result<(), MjpegError> {
        loop {
            let frame = self.frames + 1;
            let bad = |why: String| MjpegError::BadPart { frame, why };
            let data = self.data();
            match self.state.clone() {
                State::Preamble => {
                    let Some(at) = self.find_delimiter(true) else {
                        if self.data().len() > MAX_PREAMBLE_BYTES {
                            return Err(MjpegError::NoFirstBoundary(MAX_PREAMBLE_BYTES));
                        }
                        return Ok(());
                    };
                    self.consume(at + self.delimiter.len());
                    self.state = State::DelimiterLine;
                }
                State::Between { gap } => {
                    let blank = data.iter().take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t')).count();
                    if blank + gap > MAX_GAP_BYTES {
                        return Err(bad(format!("more than {MAX_GAP_BYTES} blank bytes after the part")));
                    }
                    let rest = &data[blank..];
                    if rest.starts_with(&self.delimiter) {
                        self.consume(blank + self.delimiter.len());
                        self.state = State::DelimiterLine;
                    } else if rest.is_empty() || self.delimiter.starts_with(rest) {
                        self.consume(blank);
                        self.state = State::Between { gap: gap + blank };
                        return Ok(());
                    } else {
                        return Err(bad("the part is not followed by the boundary line".to_owned()));
                    }
                }
                State::DelimiterLine => {
                    if data.starts_with(b"--") {
                        self.consume(data.len());
                        self.state = State::End;
                        return Ok(());
                    }
                    let Some(newline) = data.iter().position(|b| *b == b'\n') else {
                        if data.len() > MAX_GAP_BYTES {
                            return Err(bad("the boundary line does not end".to_owned()));
                        }
                        return Ok(());
                    };
                    if !data[..newline].iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                        return Err(bad("the boundary line goes on after the boundary".to_owned()));
                    }
                    self.consume(newline + 1);
                    self.state = State::Headers { length: None, bytes: 0 };
                }
                State::Headers { length, bytes } => {
                    let too_long = || bad(format!("part headers longer than {MAX_HEADER_BYTES} bytes"));
                    let Some(newline) = data.iter().position(|b| *b == b'\n') else {
                        return if bytes + data.len() > MAX_HEADER_BYTES { Err(too_long()) } else { Ok(()) };
                    };
                    if bytes + newline > MAX_HEADER_BYTES {
                        return Err(too_long());
                    }
                    let line = data[..newline].strip_suffix(b"\r").unwrap_or(&data[..newline]);
                    let line = std::str::from_utf8(line).map_err(|_| bad("a part header is not text".to_owned()))?;
                    let next = if line.is_empty() {
                        State::Body { length }
                    } else {
                        let shown = |t: &str| t.chars().take(64).collect::<String>();
                        let (name, value) = line.split_once(':').ok_or_else(|| bad(format!("bad part header \"{}\"", shown(line))))?;
                        let length = if name.trim().eq_ignore_ascii_case("content-length") {
                            let n = value.trim().parse::<usize>().map_err(|_| bad(format!("bad Content-Length \"{}\"", shown(value.trim()))))?;
                            if n > self.max_frame {
                                return Err(MjpegError::FrameTooLarge { frame, limit: self.max_frame });
                            }
                            Some(n)
                        } else {
                            length
                        };
                        State::Headers { length, bytes: bytes + newline + 1 }
                    };
                    self.consume(newline + 1);
                    self.state = next;
                }
                State::Body { length: Some(n) } => {
                    if data.len() < n {
                        return Ok(());
                    }
                    self.emit(n, frames)?;
                    self.consume(n);
                    self.state = State::Between { gap: 0 };
                }
                State::Body { length: None } => {
                    if data.starts_with(&self.delimiter) {
                        return Err(MjpegError::NotJpeg { frame });
                    }
                    let Some(at) = self.find_delimiter(false) else {
                        // The frame is at least what cannot be the start of the boundary line.
                        if self.data().len() > self.max_frame + self.delimiter.len() + 2 {
                            return Err(MjpegError::FrameTooLarge { frame, limit: self.max_frame });
                        }
                        return Ok(());
                    };
                    // The line break before the boundary belongs to it.
                    let end = if at > 0 && self.data()[at - 1] == b'\r' { at - 1 } else { at };
                    if end > self.max_frame {
                        return Err(MjpegError::FrameTooLarge { frame, limit: self.max_frame });
                    }
                    self.emit(end, frames)?;
                    self.consume(at + 1);
                    self.state = State::Between { gap: 0 };
                }
                State::End => {
                    self.consume(data.len());
                    return Ok(());
                }
            }
        }
    }

    /// Gives the first `len` unread bytes as the next frame.
    fn emit(&mut self, len: usize, frames: &mut Vec<Vec<u8>>) -> Result<(), MjpegError> {
        let frame = self.frames + 1;
        let bytes = &self.data()[..len];
        if !bytes.starts_with(&[0xFF, 0xD8]) {
            return Err(MjpegError::NotJpeg { frame });
        }
        frames.push(bytes.to_vec());
        self.frames = frame;
        Ok(())
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
        self.scanned = 0;
    }

    /// Where the next boundary line starts in the unread bytes: `--boundary`
    /// at a line start, followed by `--`, padding or a line break. With
    /// `at_start`, the first unread byte is a line start too and the position
    /// returned is of `--`; otherwise it is of the `\n` before it.
    fn find_delimiter(&mut self, at_start: bool) -> Option<usize> {
        let data = &self.buf[self.pos..];
        let d = self.delimiter.len();
        // Some(true): a boundary line; Some(false): not one; None: too few bytes to tell.
        let line_at = |at: usize| -> Option<bool> {
            let rest = &data[at..];
            if rest.len() <= d {
                return if self.delimiter.starts_with(rest) { None } else { Some(false) };
            }
            Some(rest.starts_with(&self.delimiter) && matches!(rest[d], b'\r' | b'\n' | b' ' | b'\t' | b'-'))
        };
        if at_start && self.scanned == 0 {
            match line_at(0) {
                Some(true) => return Some(0),
                None => return None,
                Some(false) => {}
            }
        }
        let from = self.scanned.min(data.len());
        for i in data[from..].iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| from + i) {
            match line_at(i + 1) {
                Some(true) => return Some(if at_start { i + 1 } else { i }),
                Some(false) => {}
                None => {
                    // A boundary line may be arriving: look here again next time.
                    self.scanned = i;
                    return None;
                }
            }
        }
        self.scanned = data.len();
        None
    }
}

/// The value of parameter `name` in `; a=b; c="d"`: quoted (with `\`
/// escapes) or plain; an error when a quoted value does not end.
fn parameter(params: &str, name: &str) -> Option<Result<String, MjpegError>> {
    let mut rest = params;
    loop {
        rest = rest.trim_start_matches([';', ' ', '\t']);
        if rest.is_empty() {
            return None;
        }
        let (key, after) = rest.split_once('=')?;
        let key = key.trim();
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            let Some(end) = end else {
                return Some(Err(MjpegError::BadBoundary(format!("the quoted {key} does not end"))));
            };
            (value, &quoted[end..])
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(Ok(value));
        }
        rest = next;
    }
}

#[cfg(test)]
#[path = "mjpeg_tests.rs"]
mod tests;
