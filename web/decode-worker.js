// One decoding worker (started by decode-pool.js): loads the decoding
// module and decodes the nodes the page sends, in the order they come.

import init, { openCopc, decodeCopcNode } from "./decode/sontinh_decode.js";

const ready = init({ module_or_path: new URL("./decode/sontinh_decode_bg.wasm", import.meta.url) });

self.onmessage = async ({ data: job }) => {
  try {
    await ready;
    if (job.index) openCopc(job.file, job.location, new Uint8Array(job.index));
    const bytes = decodeCopcNode(job.file, job.offset, job.size, job.count, new Uint8Array(job.chunk));
    self.postMessage({ id: job.id, ok: true, bytes: bytes.buffer }, [bytes.buffer]);
  } catch (error) {
    // A trap leaves the module unusable: the pool ends this worker.
    const fatal = error instanceof WebAssembly.RuntimeError;
    self.postMessage({ id: job.id, ok: false, fatal, error: String((error && error.message) || error) });
  }
};
