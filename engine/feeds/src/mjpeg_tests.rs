#![allow(clippy::unwrap_used)]

use super::*;

const CONTENT_TYPE: &str = "multipart/x-mixed-replace; boundary=frame";

/// A fake JPEG: SOI, bytes that look like line breaks and half a boundary, EOI.
fn jpeg(k: u8, len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, k];
    bytes.extend_from_slice(b"\r\n--fram\n-\r\n--frame2");
    bytes.extend((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(k)));
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// An MJPEG body of `frames`, each part with or without Content-Length.
fn stream(boundary: &str, frames: &[Vec<u8>], with_length: bool) -> Vec<u8> {
    let mut body = b"preamble, ignored\r\n".to_vec();
    for f in frames {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Type: image/jpeg\r\n").as_bytes());
        if with_length {
            body.extend_from_slice(format!("Content-Length: {}\r\n", f.len()).as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(f);
        body.extend_from_slice(b"\r\n");
    }
    body
}

fn three() -> Vec<Vec<u8>> {
    vec![jpeg(1, 40), jpeg(2, 0), jpeg(3, 300)]
}

fn read_in(content_type: &str, chunks: &[&[u8]]) -> Result<Vec<Vec<u8>>, MjpegError> {
    let mut parser = MjpegParser::new(content_type)?;
    let mut frames = Vec::new();
    for chunk in chunks {
        frames.extend(parser.push(chunk)?);
    }
    Ok(frames)
}

#[test]
fn every_split_gives_the_same_frames_with_and_without_content_length() {
    for with_length in [true, false] {
        let body = stream("frame", &three(), with_length);
        // The last frame's end is known only when the next boundary comes (without a length).
        let mut body_closed = body.clone();
        body_closed.extend_from_slice(b"--frame--\r\nepilogue");
        for i in 0..=body_closed.len() {
            let (a, b) = body_closed.split_at(i);
            assert_eq!(read_in(CONTENT_TYPE, &[a, b]).unwrap(), three(), "split at {i}, length {with_length}");
        }
        let bytes: Vec<&[u8]> = body_closed.chunks(1).collect();
        assert_eq!(read_in(CONTENT_TYPE, &bytes).unwrap(), three());
        for size in [2, 3, 7, 64] {
            let chunks: Vec<&[u8]> = body_closed.chunks(size).collect();
            assert_eq!(read_in(CONTENT_TYPE, &chunks).unwrap(), three(), "chunks of {size}");
        }
        let mut parser = MjpegParser::new(CONTENT_TYPE).unwrap();
        parser.push(&body_closed).unwrap();
        assert!(parser.is_finished());
        assert_eq!(parser.frames(), 3);
    }
}

#[test]
fn a_frame_is_given_as_soon_as_it_is_whole() {
    let mut parser = MjpegParser::new(CONTENT_TYPE).unwrap();
    let frames = three();
    let body = stream("frame", &frames, true);
    // With Content-Length, the first frame comes with its last byte.
    let first_end = body.windows(2).position(|w| w == [0xFF, 0xD9]).unwrap() + 2;
    assert!(parser.push(&body[..first_end - 1]).unwrap().is_empty());
    assert_eq!(parser.push(&body[first_end - 1..first_end]).unwrap(), vec![frames[0].clone()]);
}

#[test]
fn quoted_and_odd_boundaries() {
    let frames = three();
    for (content_type, boundary) in [
        ("multipart/x-mixed-replace;boundary=\"my frame\"", "my frame"),
        ("Multipart/X-Mixed-Replace; charset=x; Boundary = \"a\\\"b\"", "a\"b"),
        ("multipart/x-mixed-replace; boundary=--myboundary ; x=y", "--myboundary"),
    ] {
        let boundary_ok = !boundary.contains('"');
        let parser = MjpegParser::new(content_type);
        if !boundary_ok {
            assert!(matches!(parser, Err(MjpegError::BadBoundary(_))), "{content_type}");
            continue;
        }
        let parser = parser.unwrap();
        assert_eq!(parser.boundary(), boundary);
        assert_eq!(MjpegParser::new(&parser.content_type()).unwrap().boundary(), boundary, "the rebuilt Content-Type reads back");
        let body = stream(boundary, &frames, false);
        assert_eq!(read_in(content_type, &[&body, format!("--{boundary}--").as_bytes()]).unwrap(), frames);
    }
}

#[test]
fn bad_content_types_are_named() {
    assert!(matches!(MjpegParser::new("image/jpeg"), Err(MjpegError::NotMultipart(_))));
    assert!(matches!(MjpegParser::new("multipart/x-mixed-replace"), Err(MjpegError::NoBoundary(_))));
    assert!(matches!(MjpegParser::new("multipart/x-mixed-replace; charset=utf-8"), Err(MjpegError::NoBoundary(_))));
    assert!(matches!(MjpegParser::new("multipart/x-mixed-replace; boundary=\"open"), Err(MjpegError::BadBoundary(_))));
    assert!(matches!(MjpegParser::new("multipart/x-mixed-replace; boundary="), Err(MjpegError::BadBoundary(_))));
    let long = format!("multipart/x-mixed-replace; boundary={}", "b".repeat(200));
    assert!(matches!(MjpegParser::new(&long), Err(MjpegError::BadBoundary(_))));
    let message = MjpegParser::new("text/html").unwrap_err().to_string();
    assert!(message.contains("text/html") && message.contains("multipart/x-mixed-replace"), "{message}");
}

#[test]
fn oversized_frames_are_refused_before_they_are_buffered() {
    let big = jpeg(9, 1000);
    // Announced by Content-Length: refused at the header.
    let body = stream("frame", std::slice::from_ref(&big), true);
    let header_end = body.windows(4).rposition(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut parser = MjpegParser::new(CONTENT_TYPE).unwrap().with_max_frame_bytes(500);
    let err = parser.push(&body[..header_end]).unwrap_err();
    assert_eq!(err, MjpegError::FrameTooLarge { frame: 1, limit: 500 });
    assert!(err.to_string().contains("500-byte limit"));
    assert_eq!(parser.push(b"more").unwrap_err(), err, "the error stays");
    // Without a length: refused once more than the limit has come without a boundary.
    let mut parser = MjpegParser::new(CONTENT_TYPE).unwrap().with_max_frame_bytes(500);
    let body = stream("frame", &[jpeg(1, 10), big], false);
    let mut result = Ok(Vec::new());
    for chunk in body.chunks(100) {
        result = parser.push(chunk);
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result.unwrap_err(), MjpegError::FrameTooLarge { frame: 2, limit: 500 });
    // The default limit is 8 MiB; a huge chunk never makes the buffer grow past about that.
    let mut parser = MjpegParser::new(CONTENT_TYPE).unwrap();
    let mut huge = b"--frame\r\n\r\n\xFF\xD8".to_vec();
    huge.resize(20 * 1024 * 1024, 0);
    assert!(matches!(parser.push(&huge), Err(MjpegError::FrameTooLarge { frame: 1, .. })));
    // A 20 MiB chunk of small frames: all read, in linear time, the buffer bounded.
    let small: Vec<Vec<u8>> = (0..20 * 1024 * 1024 / 100).map(|i| jpeg(i as u8, 20)).collect();
    let body = stream("frame", &small, true);
    let mut parser = MjpegParser::new(CONTENT_TYPE).unwrap();
    assert_eq!(parser.push(&body).unwrap().len(), small.len());
    assert!(parser.buf.capacity() <= MAX_MJPEG_FRAME_BYTES + 2 * MAX_PREAMBLE_BYTES);
}

#[test]
fn garbage_is_an_error_never_a_panic() {
    let err = |bytes: &[u8]| read_in(CONTENT_TYPE, &[bytes]).unwrap_err();
    // No boundary at all.
    assert_eq!(err(&[b'x'; 100_000]), MjpegError::NoFirstBoundary(MAX_PREAMBLE_BYTES));
    // An HTML error page sent as the stream.
    let html = [&b"<html>"[..], &[b' '; 70_000]].concat();
    assert!(matches!(err(&html), MjpegError::NoFirstBoundary(_)));
    // A part that is not a JPEG.
    assert_eq!(err(b"--frame\r\n\r\nhello\r\n--frame\r\n"), MjpegError::NotJpeg { frame: 1 });
    assert_eq!(err(b"--frame\r\nContent-Length: 0\r\n\r\n\r\n--frame\r\n"), MjpegError::NotJpeg { frame: 1 });
    // Headers: no colon, a bad length, too long.
    assert!(matches!(err(b"--frame\r\nnonsense\r\n\r\n"), MjpegError::BadPart { frame: 1, .. }));
    let bad_length = err(b"--frame\r\nContent-Length: -3\r\n\r\n");
    assert!(bad_length.to_string().contains("bad Content-Length"), "{bad_length}");
    let long_header = [&b"--frame\r\nX: "[..], &[b'a'; 10_000]].concat();
    assert!(matches!(err(&long_header), MjpegError::BadPart { .. }));
    // After a frame of known length, something else than the boundary.
    let mut body = stream("frame", &[jpeg(1, 5)], true);
    body.extend_from_slice(b"junk");
    assert!(matches!(err(&body), MjpegError::BadPart { frame: 2, .. }));
    // A boundary line that goes on.
    assert!(matches!(err(b"--frame junk\r\n"), MjpegError::BadPart { .. }));
    // Pseudo-random bytes, with and without a valid start, in random chunks: errors or frames, no panic.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..200 {
        let mut bytes: Vec<u8> = if round % 2 == 0 { b"--frame\r\n".to_vec() } else { Vec::new() };
        let alphabet = b"-\r\n:frame\xFF\xD8Content-Length: 12";
        bytes.extend((0..2000).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]));
        let mut parser = MjpegParser::new(CONTENT_TYPE).unwrap().with_max_frame_bytes(64);
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let n = (next() % 50 + 1).min(rest.len() as u64) as usize;
            let _ = parser.push(&rest[..n]);
            rest = &rest[n..];
        }
    }
}

#[test]
fn the_closing_boundary_ends_the_stream() {
    let mut body = stream("frame", &three(), true);
    body.extend_from_slice(b"--frame--\r\n");
    let mut parser = MjpegParser::new(CONTENT_TYPE).unwrap();
    assert_eq!(parser.push(&body).unwrap(), three());
    assert!(parser.is_finished());
    assert!(parser.push(b"--frame\r\n\r\n\xFF\xD8 ignored epilogue\r\n--frame\r\n").unwrap().is_empty());
}
