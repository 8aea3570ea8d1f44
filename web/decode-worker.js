// One decoding worker (started by decode-pool.js): loads the decoding
// module and decodes the point cloud nodes and GLB models the page sends,
// generates the Citadel, runs file jobs (tiles, terrain, OBJ), and, in the
// pool's flood worker, a planner's flood run step by step, in the order
// the jobs come.

import init, { openCopc, decodeCopcNode, decodeGlb, generateCitadel, runJob, floodStart, floodStep, floodStartRecording, floodRecord, floodFinish } from "./decode/sontinh_decode.js";

const ready = init({ module_or_path: new URL("./decode/sontinh_decode_bg.wasm", import.meta.url) });

self.onmessage = async ({ data: job }) => {
  try {
    await ready;
    let bytes;
    if (job.kind === "glb") {
      bytes = decodeGlb(new Uint8Array(job.bytes));
    } else if (job.kind === "citadel") {
      bytes = generateCitadel();
    } else if (job.kind === "job") {
      bytes = runJob(job.job, new Uint8Array(job.params), new Uint8Array(job.files));
    } else if (job.kind === "flood-start") {
      const start = job.recording ? floodStartRecording : floodStart;
      bytes = start(new Uint8Array(job.params), new Uint8Array(job.files));
    } else if (job.kind === "flood-step") {
      bytes = floodStep();
    } else if (job.kind === "flood-record") {
      bytes = floodRecord(new Uint8Array(job.bytes));
    } else if (job.kind === "flood-finish") {
      bytes = floodFinish(new Uint8Array(job.bytes));
    } else {
      if (job.index) openCopc(job.file, job.location, new Uint8Array(job.index));
      bytes = decodeCopcNode(job.file, job.offset, job.size, job.count, new Uint8Array(job.chunk));
    }
    self.postMessage({ id: job.id, ok: true, bytes: bytes.buffer }, [bytes.buffer]);
  } catch (error) {
    // A trap leaves the module unusable: the pool ends this worker.
    const fatal = error instanceof WebAssembly.RuntimeError;
    self.postMessage({ id: job.id, ok: false, fatal, error: String((error && error.message) || error) });
  }
};
