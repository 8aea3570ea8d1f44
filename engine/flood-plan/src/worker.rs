//! A run in a browser's worker, driven by the page one output moment at a
//! time: the page starts it (fetching the DEM it asks for), then asks for
//! step after step, taking each step's files; pausing is not asking, and
//! cancelling ends the worker. Plain Rust, tested natively.

use sontinh_flood::{Settings, Simulation};
use sontinh_wire::{Answer, FileSet, Reader, Writer};

use crate::edits::RunRequest;
use crate::plan::Plan;
use crate::run::{FloodRun, OutputFile};

/// What a step gives the page: where the run is, the files it made, and
/// at the end the report.
#[derive(Clone, Debug, PartialEq)]
pub struct RunUpdate {
    /// Simulated time, s.
    pub time_s: f64,
    /// The run's length, s.
    pub end_s: f64,
    /// The run's report once it has ended.
    pub report: Option<String>,
    pub files: Vec<OutputFile>,
}

const UPDATE_MAGIC: [u8; 4] = *b"SFUp";

impl RunUpdate {
    pub fn is_done(&self) -> bool {
        self.report.is_some()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let size: usize = self.files.iter().map(|f| f.name.len() + f.bytes.len() + 16).sum();
        let mut w = Writer::with_capacity(size + self.report.as_ref().map_or(0, String::len) + 64);
        w.bytes(&UPDATE_MAGIC);
        w.f64s(&[self.time_s, self.end_s]);
        match &self.report {
            None => w.u8(0),
            Some(report) => {
                w.u8(1);
                w.text(report);
            }
        }
        w.len(self.files.len());
        for file in &self.files {
            w.text(&file.name);
            w.len(file.bytes.len());
            w.bytes(&file.bytes);
        }
        w.into_bytes()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<RunUpdate, String> {
        let mut r = Reader::new(bytes, "a flood run's update");
        if r.take(4, "its magic")? != UPDATE_MAGIC {
            return Err(r.error("not a flood run's update"));
        }
        let [time_s, end_s] = r.f64s("the run's times")?;
        let report = match r.u8("whether the run ended")? {
            0 => None,
            1 => Some(r.text("the report")?),
            other => return Err(r.error(format!("end flag {other} (0 or 1)"))),
        };
        let count = r.len("the number of files")?;
        r.room_for(count, 16, "the files")?;
        let mut files = Vec::with_capacity(count);
        for _ in 0..count {
            let name = r.text("a file's name")?;
            let len = r.len("a file's size")?;
            files.push(OutputFile { name, bytes: r.take(len, "a file's bytes")?.to_vec() });
        }
        r.finish("the update")?;
        Ok(RunUpdate { time_s, end_s, report, files })
    }
}

/// The one run a worker holds.
#[derive(Default)]
pub struct WorkerRun {
    run: Option<FloodRun<Simulation>>,
    /// The first files (terrain, first snapshot), given with the first step.
    pending: Vec<OutputFile>,
}

impl WorkerRun {
    /// Starts the run a [`RunRequest`]'s bytes ask for, with the files
    /// fetched so far ([`FileSet`] bytes): the [`Answer`]'s bytes, done
    /// (empty) or naming the files it lacks.
    pub fn start(&mut self, request: &[u8], files: &[u8]) -> Result<Vec<u8>, String> {
        let request = RunRequest::from_bytes(request)?;
        let files = FileSet::from_bytes(files)?;
        let (scene, scenario) = request.scene()?;
        let plan = Plan::new(&scene, Some(&scenario), &|path: &std::path::Path| files.get(path));
        let (plan, answer) = match plan {
            Ok(plan) => (Some(plan), files.answer(Ok(Vec::new()))),
            Err(why) => (None, files.answer(Err(why))),
        };
        if let (Some(plan), Ok(Answer::Done(_))) = (plan, &answer) {
            let engine = Simulation::new(plan.solver.clone(), Settings::default()).map_err(|e| e.to_string())?;
            let (run, first) = FloodRun::start(plan, engine)?;
            self.run = Some(run);
            self.pending = first;
        }
        answer.map(|a| a.to_bytes())
    }

    /// Advances to the next output moment: a [`RunUpdate`]'s bytes; the
    /// last one carries the results and the report, and ends the run.
    pub fn step(&mut self) -> Result<Vec<u8>, String> {
        let run = self.run.as_mut().ok_or("no flood run was started in this worker")?;
        let mut files = std::mem::take(&mut self.pending);
        files.extend(run.step(&mut |_| {})?);
        let (time_s, end_s) = (run.time(), run.end());
        let mut report = None;
        if run.is_done()
            && let Some(run) = self.run.take()
        {
            let finished = run.finish()?;
            files.extend(finished.files);
            report = Some(finished.report);
        }
        Ok(RunUpdate { time_s, end_s, report, files }.to_bytes())
    }
}
