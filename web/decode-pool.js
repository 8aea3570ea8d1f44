// The page's decoding pool: a few Web Workers (decode-worker.js), each
// running the small decoding module (decode/), so that point cloud nodes
// and GLB models decode off the main thread. The viewer
// (sontinh_layers::workers) finds it at globalThis.sontinhDecode: it
// registers each COPC file's fetched index once, then asks for nodes (each
// answer is the node's columns as bytes), hands over GLB files (each answer
// is the decoded model as bytes), asks for the Citadel (its parts as
// bytes), and runs jobs that read files: 3D Tiles contents, terrain from a
// DEM, OBJ models (the viewer fetches the files each job says it lacks).
// A planner's flood runs in a worker of its own (floodStart, then
// floodStep for each output moment; floodCancel ends that worker), so that
// decoding never waits behind it; a flood on the page's GPU is prepared and
// recorded there (floodStart with `recording`, floodRecord for each moment's
// depths, floodFinish with the solver's final state). Workers start at the first job.

const MAX_WORKERS = 4;
// Workers that failed to start or trapped: past this many, the pool says it
// is broken and the viewer decodes on the main thread (and says so).
const MAX_FAILURES = 3;

export function startDecodePool() {
  const size = Math.max(1, Math.min(MAX_WORKERS, (navigator.hardwareConcurrency || 2) - 1));
  const slots = [];
  const files = new Map(); // id → { location, index }
  const pending = new Map(); // job id → { resolve, reject, slot, file }
  let nextJob = 1;
  let failures = 0;
  // Counters the browser tests read: nodes decoded, models decoded, Citadels
  // generated, and file jobs (tiles, terrain, OBJ) answered by kind.
  // The flood run's worker, apart from the decoding slots.
  let floodSlot = null;
  const pool = { size, broken: null, decoded: 0, models: 0, generated: 0, jobs: {}, floodSteps: 0, registerCopc, decodeCopcNode, decodeGlb, generateCitadel, runJob, floodStart, floodStep, floodRecord, floodFinish, floodCancel };

  function failSlot(slot, message) {
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    if (slot === floodSlot) floodSlot = null;
    slot.worker.terminate();
    for (const [id, job] of pending) {
      if (job.slot === slot) {
        pending.delete(id);
        job.reject(new Error(message));
      }
    }
    failures += 1;
    if (failures >= MAX_FAILURES) pool.broken = message;
  }

  function startSlot() {
    const slot = makeSlot();
    slots.push(slot);
    return slot;
  }

  function makeSlot() {
    const worker = new Worker(new URL("./decode-worker.js", import.meta.url), { type: "module", name: "sontinh-decode" });
    const slot = { worker, files: new Set(), busy: 0 };
    worker.onmessage = ({ data }) => {
      const job = pending.get(data.id);
      if (!job) return;
      pending.delete(data.id);
      slot.busy -= 1;
      if (data.ok) {
        if (job.kind === "glb") pool.models += 1;
        else if (job.kind === "citadel") pool.generated += 1;
        else if (job.kind === "job") pool.jobs[job.job] = (pool.jobs[job.job] || 0) + 1;
        else if (job.kind === "flood-step") pool.floodSteps += 1;
        else if (job.kind === "flood-record") pool.floodRecorded = (pool.floodRecorded || 0) + 1;
        else pool.decoded += 1;
        job.resolve(new Uint8Array(data.bytes));
        return;
      }
      // The worker may not hold the file (its open failed): send the index again next time.
      slot.files.delete(job.file);
      job.reject(new Error(data.error));
      if (data.fatal) failSlot(slot, `a decoding worker stopped: ${data.error}`);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      failSlot(slot, `a decoding worker failed: ${event.message || "its module did not load"}`);
    };
    return slot;
  }

  // The viewer hands over its own copy of the index (not a view into its memory).
  function registerCopc(id, location, index) {
    files.set(id, { location, index });
    return true;
  }

  // The least busy worker, or a new one while there is room.
  function pickSlot() {
    const slot = slots.reduce((best, s) => (!best || s.busy < best.busy ? s : best), null);
    return !slot || (slot.busy > 0 && slots.length < size) ? startSlot() : slot;
  }

  function post(slot, job, transfer) {
    slot.busy += 1;
    return new Promise((resolve, reject) => {
      pending.set(job.id, { resolve, reject, slot, file: job.file, kind: job.kind, job: job.job });
      slot.worker.postMessage(job, transfer);
    });
  }

  // Resolves to the node's bytes, rejects with the worker's error.
  function decodeCopcNode(id, offset, byteSize, pointCount, chunk) {
    const file = files.get(id);
    if (!file) return Promise.reject(new Error(`point cloud ${id} was not registered with the decoding pool`));
    if (pool.broken) return Promise.reject(new Error(pool.broken));
    const slot = pickSlot();
    const job = { id: nextJob++, kind: "copc", file: id, offset, size: byteSize, count: pointCount, chunk: chunk.buffer };
    if (!slot.files.has(id)) {
      job.location = file.location;
      job.index = file.index.buffer.slice(0);
      slot.files.add(id);
    }
    return post(slot, job, job.index ? [job.chunk, job.index] : [job.chunk]);
  }

  // Resolves to the generated Citadel's parts as bytes.
  function generateCitadel() {
    if (pool.broken) return Promise.reject(new Error(pool.broken));
    return post(pickSlot(), { id: nextJob++, kind: "citadel", file: null }, []);
  }

  // Resolves to the decoded model's bytes, rejects with the worker's error.
  function decodeGlb(bytes) {
    if (pool.broken) return Promise.reject(new Error(pool.broken));
    const job = { id: nextJob++, kind: "glb", file: null, bytes: bytes.buffer };
    return post(pickSlot(), job, [job.bytes]);
  }

  // A job that reads files (sontinh_decode_worker::run_job): `params` is its
  // request, `files` the files fetched for it so far. Resolves to the
  // worker's answer: what it made, or the files it still lacks.
  function runJob(kind, params, files) {
    if (pool.broken) return Promise.reject(new Error(pool.broken));
    const job = { id: nextJob++, kind: "job", job: kind, file: null, params: params.buffer, files: files.buffer };
    return post(pickSlot(), job, [job.params, job.files]);
  }

  // Starts a flood run (sontinh_flood_plan::WorkerRun) in the flood
  // worker: `params` is the run's request, `files` the files fetched for it
  // so far. Resolves to an answer: started, or the files it still lacks.
  function floodStart(params, files, recording = false) {
    if (pool.broken) return Promise.reject(new Error(pool.broken));
    floodSlot = floodSlot || makeSlot();
    const job = { id: nextJob++, kind: "flood-start", file: null, recording, params: params.buffer, files: files.buffer };
    return post(floodSlot, job, [job.params, job.files]);
  }

  // A moment's depths from the page's GPU, recorded: resolves to the update.
  function floodRecord(bytes) {
    if (!floodSlot) return Promise.reject(new Error("no flood run was started"));
    const job = { id: nextJob++, kind: "flood-record", file: null, bytes: bytes.buffer };
    return post(floodSlot, job, [job.bytes]);
  }

  // The GPU solver's final state: resolves to the last update (the results).
  function floodFinish(bytes) {
    if (!floodSlot) return Promise.reject(new Error("no flood run was started"));
    const job = { id: nextJob++, kind: "flood-finish", file: null, bytes: bytes.buffer };
    return post(floodSlot, job, [job.bytes]);
  }

  // Runs the flood to its next output moment; resolves to the update's bytes.
  function floodStep() {
    if (!floodSlot) return Promise.reject(new Error("no flood run was started"));
    return post(floodSlot, { id: nextJob++, kind: "flood-step", file: null }, []);
  }

  // Ends the flood worker (and its run, mid-step if need be).
  function floodCancel() {
    if (!floodSlot) return true;
    const slot = floodSlot;
    floodSlot = null;
    slot.worker.terminate();
    for (const [id, job] of pending) {
      if (job.slot === slot) {
        pending.delete(id);
        job.reject(new Error("the flood run was cancelled"));
      }
    }
    return true;
  }

  globalThis.sontinhDecode = pool;
  return pool;
}
