//! Files handed to a worker, and its answer. A worker's reader may need
//! files it was not given (a tileset content's external textures, an OBJ's
//! material libraries): it answers with their paths, the page fetches them
//! and asks again with the larger set, until the reader has all it needs.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use crate::{Reader, Writer};

/// Files by path: their bytes, or `None` for a file that could not be had.
/// Asking for a file not in the set notes it as missing.
#[derive(Default, Debug)]
pub struct FileSet {
    files: BTreeMap<String, Option<Vec<u8>>>,
    missing: Mutex<Vec<String>>,
}

/// A worker's answer to a job: what it produced, or the files it lacked.
#[derive(Debug, PartialEq)]
pub enum Answer {
    Done(Vec<u8>),
    Missing(Vec<String>),
}

const FILES_MAGIC: [u8; 4] = *b"SFls";

/// How an asked-for file not in the set ends its error: a reader probing
/// optional files one after another (an image's world files) stops at
/// the first such, so that only it is fetched (absent files cost the page
/// a 404 each).
pub const NOT_FETCHED: &str = "not fetched yet";

impl FileSet {
    pub fn insert(&mut self, path: String, bytes: Option<Vec<u8>>) {
        self.files.insert(path, bytes);
    }

    /// A file's bytes; a file not in the set is noted as missing.
    pub fn get(&self, path: &Path) -> Result<Vec<u8>, String> {
        let key = path.to_string_lossy();
        match self.files.get(key.as_ref()) {
            Some(Some(bytes)) => Ok(bytes.clone()),
            Some(None) => Err(format!("{key}: could not be read")),
            None => {
                let mut missing = self.missing.lock().unwrap_or_else(|e| e.into_inner());
                if !missing.iter().any(|m| *m == key) {
                    missing.push(key.clone().into_owned());
                }
                Err(format!("{key}: {NOT_FETCHED}"))
            }
        }
    }

    /// The answer to a job that produced `result` with this set: the files
    /// it asked for and lacked come first, as the error may be theirs.
    pub fn answer(&self, result: Result<Vec<u8>, String>) -> Result<Answer, String> {
        let missing = std::mem::take(&mut *self.missing.lock().unwrap_or_else(|e| e.into_inner()));
        match result {
            _ if !missing.is_empty() => Ok(Answer::Missing(missing)),
            Ok(bytes) => Ok(Answer::Done(bytes)),
            Err(why) => Err(why),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let size: usize = self.files.iter().map(|(p, b)| p.len() + b.as_ref().map_or(0, Vec::len) + 9).sum();
        let mut w = Writer::with_capacity(size + 8);
        w.bytes(&FILES_MAGIC);
        w.len(self.files.len());
        for (path, bytes) in &self.files {
            w.text(path);
            match bytes {
                None => w.u8(0),
                Some(bytes) => {
                    w.u8(1);
                    w.len(bytes.len());
                    w.bytes(bytes);
                }
            }
        }
        w.into_bytes()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<FileSet, String> {
        let mut r = Reader::new(bytes, "files for a worker");
        if r.take(4, "the magic")? != FILES_MAGIC {
            return Err(r.error("not a set of files (bad magic)"));
        }
        let count = r.len("the file count")?;
        r.room_for(count, 5, "files")?;
        let mut set = FileSet::default();
        for _ in 0..count {
            let path = r.text("a file's path")?;
            let bytes = match r.u8("a file's flag")? {
                0 => None,
                1 => {
                    let n = r.len("a file's size")?;
                    Some(r.take(n, "a file's bytes")?.to_vec())
                }
                other => return Err(r.error(format_args!("file flag {other}"))),
            };
            set.files.insert(path, bytes);
        }
        r.finish("the files")?;
        Ok(set)
    }
}

/// An answer's kind is its last byte, so that reading what a worker made
/// takes its bytes as they are (a built terrain is tens of megabytes).
const DONE: u8 = 0;
const MISSING: u8 = 1;

impl Answer {
    pub fn to_bytes(self) -> Vec<u8> {
        match self {
            Answer::Done(mut bytes) => {
                bytes.push(DONE);
                bytes
            }
            Answer::Missing(paths) => {
                let mut w = Writer::default();
                w.len(paths.len());
                for path in paths {
                    w.text(&path);
                }
                w.u8(MISSING);
                w.into_bytes()
            }
        }
    }

    pub fn from_bytes(mut bytes: Vec<u8>) -> Result<Answer, String> {
        match bytes.pop() {
            Some(DONE) => Ok(Answer::Done(bytes)),
            Some(MISSING) => {
                let mut r = Reader::new(&bytes, "a worker's answer");
                let count = r.len("the missing files' count")?;
                r.room_for(count, 4, "missing files")?;
                let paths = (0..count).map(|_| r.text("a missing file's path")).collect::<Result<_, _>>()?;
                r.finish("the missing files")?;
                Ok(Answer::Missing(paths))
            }
            Some(other) => Err(format!("a worker's answer: answer kind {other}")),
            None => Err("a worker's answer: empty".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_asks_for_what_it_lacks_and_gets_it_on_the_next_round() {
        // A reader that needs a.obj, then the library it names.
        let read = |files: &FileSet| -> Result<Vec<u8>, String> {
            let obj = files.get(Path::new("m/a.obj"))?;
            let lib = files.get(Path::new("m/a.mtl"))?;
            Ok([obj, lib].concat())
        };
        let mut files = FileSet::default();
        assert_eq!(files.answer(read(&files)).unwrap(), Answer::Missing(vec!["m/a.obj".into()]));
        files.insert("m/a.obj".into(), Some(b"o ".to_vec()));
        let files = FileSet::from_bytes(&files.to_bytes()).unwrap();
        let answer = files.answer(read(&files)).unwrap();
        assert_eq!(Answer::from_bytes(answer.to_bytes()).unwrap(), Answer::Missing(vec!["m/a.mtl".into()]));
        let mut files = files;
        files.insert("m/a.mtl".into(), None);
        // A file that could not be had: the reader's own error, nothing missing.
        assert_eq!(files.answer(read(&files)).unwrap_err(), "m/a.mtl: could not be read");
        files.insert("m/a.mtl".into(), Some(b"lib".to_vec()));
        let answer = files.answer(read(&files)).unwrap();
        assert_eq!(answer, Answer::Done(b"o lib".to_vec()));
        // Made bytes come back as they were, the kind byte after them.
        assert_eq!(Answer::Done(b"o lib".to_vec()).to_bytes(), b"o lib\0");
        assert_eq!(Answer::from_bytes(b"o lib\0".to_vec()).unwrap(), answer);
    }

    #[test]
    fn forged_file_sets_and_answers_are_refused() {
        let mut files = FileSet::default();
        files.insert("x".into(), Some(vec![1, 2, 3]));
        let bytes = files.to_bytes();
        for cut in 0..bytes.len() {
            assert!(FileSet::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut forged = bytes.clone();
        forged[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(FileSet::from_bytes(&forged).unwrap_err().contains("cannot fit"));
        assert!(Answer::from_bytes(vec![255, 255, 255, 255, 1]).unwrap_err().contains("cannot fit"));
        assert!(Answer::from_bytes(vec![9]).unwrap_err().contains("answer kind 9"));
        assert!(Answer::from_bytes(vec![]).is_err());
    }
}
