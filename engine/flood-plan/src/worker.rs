//! A run in a browser's worker, driven by the page one output moment at a
//! time: the page starts it (fetching the DEM it asks for), then asks for
//! step after step, taking each step's files; pausing is not asking, and
//! cancelling ends the worker. Plain Rust, tested natively.

use sontinh_flood::Simulation;
use sontinh_wire::{Answer, FileSet, Reader, Writer};

use crate::edits::RunRequest;
use crate::plan::Plan;
use crate::run::{FinalState, FloodRun, OutputFile, RunRecorder};

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
    /// The next moment to reach and record, s (runs on the page's GPU);
    /// `None` once the last one is recorded.
    pub next_s: Option<f64>,
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
        match self.next_s {
            None => w.u8(0),
            Some(next) => {
                w.u8(1);
                w.f64s(&[next]);
            }
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
        let next_s = match r.u8("whether a moment follows")? {
            0 => None,
            1 => Some(r.f64s::<1>("the next moment")?[0]),
            other => return Err(r.error(format!("next moment flag {other} (0 or 1)"))),
        };
        r.finish("the update")?;
        Ok(RunUpdate { time_s, end_s, report, files, next_s })
    }
}

/// The one run a worker holds: on its own CPU solver, or recorded for a
/// solver on the page's GPU.
#[derive(Default)]
pub struct WorkerRun {
    run: Option<FloodRun<Simulation>>,
    recorder: Option<RunRecorder>,
    /// The first files (terrain, first snapshot), given with the first step.
    pending: Vec<OutputFile>,
}

impl WorkerRun {
    /// Starts the run a [`RunRequest`]'s bytes ask for, with the files
    /// fetched so far ([`FileSet`] bytes): the [`Answer`]'s bytes, done
    /// (empty) or naming the files it lacks.
    pub fn start(&mut self, request: &[u8], files: &[u8]) -> Result<Vec<u8>, String> {
        let plan = match self.prepare(request, files)? {
            Ok(plan) => plan,
            Err(missing) => return Ok(Answer::Missing(missing).to_bytes()),
        };
        let engine = Simulation::new(plan.solver.clone(), plan.settings.clone()).map_err(|e| e.to_string())?;
        let (run, first) = FloodRun::start(plan, engine)?;
        self.run = Some(run);
        self.pending = first;
        Ok(Answer::Done(Vec::new()).to_bytes())
    }

    /// Prepares a run whose solver runs elsewhere (the page's GPU): done
    /// with the solver's input and settings ([`crate::scenario_to_bytes`]), or the files
    /// it lacks. The depths come back through [`WorkerRun::record`].
    pub fn start_recording(&mut self, request: &[u8], files: &[u8]) -> Result<Vec<u8>, String> {
        let plan = match self.prepare(request, files)? {
            Ok(plan) => plan,
            Err(missing) => return Ok(Answer::Missing(missing).to_bytes()),
        };
        let scenario = crate::wire::scenario_to_bytes(&plan.solver, &plan.settings);
        let (recorder, terrain) = RunRecorder::new(plan)?;
        self.recorder = Some(recorder);
        self.pending = vec![terrain];
        Ok(Answer::Done(scenario).to_bytes())
    }

    /// The plan of a request, or the files it lacks.
    fn prepare(&mut self, request: &[u8], files: &[u8]) -> Result<Result<Plan, Vec<String>>, String> {
        *self = WorkerRun::default();
        let request = RunRequest::from_bytes(request)?;
        let files = FileSet::from_bytes(files)?;
        let (scene, scenario) = request.scene()?;
        let plan = Plan::new(&scene, Some(&scenario), &|path: &std::path::Path| files.get(path));
        match (plan, files.answer(Ok(Vec::new()))) {
            (Ok(plan), Ok(Answer::Done(_))) => Ok(Ok(plan)),
            (_, Ok(Answer::Missing(paths))) => Ok(Err(paths)),
            (Err(why), _) | (_, Err(why)) => Err(why),
        }
    }

    /// Records one moment's depths computed elsewhere
    /// ([`crate::depth_to_bytes`]): a [`RunUpdate`]'s bytes, naming the
    /// next moment to reach.
    pub fn record(&mut self, depth: &[u8]) -> Result<Vec<u8>, String> {
        let recorder = self.recorder.as_mut().ok_or("no recorded flood run was started in this worker")?;
        let (time_s, depth) = crate::wire::depth_from_bytes(depth)?;
        let mut files = std::mem::take(&mut self.pending);
        files.extend(recorder.record(time_s, &depth)?);
        Ok(RunUpdate { time_s, end_s: recorder.end(), report: None, files, next_s: recorder.next_moment() }.to_bytes())
    }

    /// Ends a recorded run with the solver's final state
    /// ([`FinalState::to_bytes`]): the results and the report.
    pub fn finish(&mut self, state: &[u8]) -> Result<Vec<u8>, String> {
        let recorder = self.recorder.take().ok_or("no recorded flood run was started in this worker")?;
        let state = FinalState::from_bytes(state)?;
        let (time_s, end_s) = (state.time, recorder.end());
        let finished = recorder.finish(state)?;
        Ok(RunUpdate { time_s, end_s, report: Some(finished.report), files: finished.files, next_s: None }.to_bytes())
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
        Ok(RunUpdate { time_s, end_s, report, files, next_s: None }.to_bytes())
    }
}
