//! A camera's live video as a viewer receives it: the transport (the
//! native link's thread, or the page's fetch) pushes the stream's bytes
//! into a [`VideoReceiver`]; the viewer takes the newest whole frame from
//! the shared [`VideoSlot`] (in a [`VideoChannel`]). Frames in between are dropped, so a slow frame
//! never builds a queue.

use std::sync::{Arc, Condvar, LockResult, Mutex, MutexGuard};
use std::time::Duration;

use crate::MjpegParser;

/// The newest frame of the watched stream, shared by transport and viewer.
#[derive(Debug, Default)]
pub struct VideoSlot {
    /// The newest whole JPEG frame not yet taken.
    pub latest: Option<Vec<u8>>,
    /// Frames received since the stream opened.
    pub frames: u64,
    /// Why the stream ended, when it did not end cleanly.
    pub error: Option<String>,
    pub ended: bool,
}

/// The slot shared by the viewer and its transport, with a condition its
/// writers signal, so that a caller may wait for a frame or the end.
#[derive(Debug, Default)]
pub struct VideoChannel {
    slot: Mutex<VideoSlot>,
    changed: Condvar,
}

impl VideoChannel {
    pub fn lock(&self) -> LockResult<MutexGuard<'_, VideoSlot>> {
        self.slot.lock()
    }

    /// Waits until `done` holds of the slot, at most `timeout`; whether it does.
    pub fn wait_until(&self, timeout: Duration, done: impl Fn(&VideoSlot) -> bool) -> bool {
        let Ok(guard) = self.slot.lock() else { return false };
        match self.changed.wait_timeout_while(guard, timeout, |s| !done(s)) {
            Ok((s, _)) => done(&s),
            Err(_) => false,
        }
    }

    fn update(&self, change: impl FnOnce(&mut VideoSlot)) {
        if let Ok(mut s) = self.slot.lock() {
            change(&mut s);
        }
        self.changed.notify_all();
    }
}

/// Shared between the viewer and its transport; when the viewer lets go
/// (watches another camera, or none), the transport sees it is alone and stops.
pub type SharedVideo = Arc<VideoChannel>;

/// Reads a stream into a slot.
#[derive(Debug)]
pub struct VideoReceiver {
    parser: MjpegParser,
    slot: SharedVideo,
}

impl VideoReceiver {
    /// For a response with this `Content-Type`; a stream that is not MJPEG
    /// is refused, and the slot says why.
    pub fn new(content_type: &str, slot: SharedVideo) -> Result<VideoReceiver, String> {
        match MjpegParser::new(content_type) {
            Ok(parser) => Ok(VideoReceiver { parser, slot }),
            Err(e) => {
                let why = e.to_string();
                end(&slot, Some(why.clone()));
                Err(why)
            }
        }
    }

    /// Whether anyone still watches: false once the viewer dropped its slot.
    pub fn watched(&self) -> bool {
        Arc::strong_count(&self.slot) > 1
    }

    /// Reads the next bytes; false when the stream is over (its end, an
    /// error, which the slot keeps, or nobody watching).
    pub fn push(&mut self, bytes: &[u8]) -> bool {
        if !self.watched() {
            return false;
        }
        match self.parser.push(bytes) {
            Ok(mut frames) => {
                if let Some(newest) = frames.pop() {
                    let count = frames.len() as u64 + 1;
                    self.slot.update(|slot| {
                        slot.frames += count;
                        slot.latest = Some(newest);
                    });
                }
                if self.parser.is_finished() {
                    end(&self.slot, None);
                    return false;
                }
                true
            }
            Err(e) => {
                end(&self.slot, Some(e.to_string()));
                false
            }
        }
    }
}

/// Marks the slot's stream over, keeping the first reason given.
pub fn end(slot: &SharedVideo, why: Option<String>) {
    slot.update(|s| {
        s.ended = true;
        if s.error.is_none() {
            s.error = why;
        }
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const TYPE: &str = "multipart/x-mixed-replace; boundary=frame";

    fn part(jpeg: &[u8]) -> Vec<u8> {
        let mut p = format!("--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n", jpeg.len()).into_bytes();
        p.extend_from_slice(jpeg);
        p.extend_from_slice(b"\r\n");
        p
    }

    #[test]
    fn the_slot_holds_only_the_newest_frame_and_counts_them_all() {
        let slot = SharedVideo::default();
        let mut rx = VideoReceiver::new(TYPE, slot.clone()).unwrap();
        let frames: Vec<Vec<u8>> = (0..3u8).map(|k| vec![0xFF, 0xD8, 0xFF, 0xE0, k, k, 0xFF, 0xD9]).collect();
        let bytes: Vec<u8> = frames.iter().flat_map(|f| part(f)).collect();
        assert!(rx.push(&bytes));
        {
            let s = slot.lock().unwrap();
            assert_eq!((s.frames, s.latest.as_deref()), (3, Some(&frames[2][..])));
        }
        // The viewer takes it; the next frame arrives alone.
        slot.lock().unwrap().latest.take();
        assert!(rx.push(&part(&frames[0])));
        assert_eq!(slot.lock().unwrap().latest.as_deref(), Some(&frames[0][..]));
        // The end of the stream.
        assert!(!rx.push(b"--frame--\r\n"));
        let s = slot.lock().unwrap();
        assert!(s.ended && s.error.is_none());
    }

    #[test]
    fn garbage_ends_the_stream_with_its_reason_and_a_dropped_slot_stops_the_reading() {
        let slot = SharedVideo::default();
        assert!(VideoReceiver::new("text/html", slot.clone()).unwrap_err().contains("multipart"));
        assert!(slot.lock().unwrap().ended);
        let slot = SharedVideo::default();
        let mut rx = VideoReceiver::new(TYPE, slot.clone()).unwrap();
        assert!(!rx.push(b"--frame\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc\r\n"));
        assert!(slot.lock().unwrap().error.is_some());
        let slot = SharedVideo::default();
        let mut rx = VideoReceiver::new(TYPE, slot.clone()).unwrap();
        drop(slot);
        assert!(!rx.watched() && !rx.push(b"--frame\r\n"));
    }
}
