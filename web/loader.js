import { startDecodePool } from "./decode-pool.js";
import { startXr } from "./xr.js";

// The page's loader: picks the WebGPU or the WebGL2 bundle, fetches it
// with real progress, starts the viewer and shows its layers' progress
// until the viewer says it is ready (data-sontinh-state on <html>).
// Recovers a lost WebGL context by starting again where the user was.

const TEXT = {
  vi: {
    fetching: (done, total) => `Đang tải ứng dụng: ${mb(done)} / ${mb(total)} MB`,
    starting: "Đang khởi động…",
    layers: "Đang tải các lớp dữ liệu…",
    noGpu: "Trình duyệt này không có WebGPU hay WebGL2, nên không thể hiển thị mô hình 3D. Hãy dùng Chrome, Edge, Firefox hoặc Safari bản mới.",
    failed: (why) => `Không thể mở: ${why}`,
    lost: "Mất ngữ cảnh đồ hoạ; đang khôi phục…",
    fallback: "WebGPU gặp lỗi; đang chuyển sang WebGL2…",
  },
  en: {
    fetching: (done, total) => `Loading the app: ${mb(done)} / ${mb(total)} MB`,
    starting: "Starting…",
    layers: "Loading the layers…",
    noGpu: "This browser has neither WebGPU nor WebGL2, so the 3D twin cannot be shown. Please use a recent Chrome, Edge, Firefox or Safari.",
    failed: (why) => `Could not open: ${why}`,
    lost: "The graphics context was lost; restoring…",
    fallback: "WebGPU failed; switching to WebGL2…",
  },
};

// Browsers start sound only after the visitor's first gesture. The viewer's
// audio (tour narration, through Web Audio) may create its context before
// that: keep every context made, and resume them on the first tap, click or
// key. The page reports their state in data-sontinh-audio.
const audioContexts = [];
for (const name of ["AudioContext", "webkitAudioContext"]) {
  const Original = window[name];
  if (!Original) continue;
  window[name] = class extends Original {
    constructor(...args) {
      super(...args);
      audioContexts.push(this);
      const report = () => (document.documentElement.dataset.sontinhAudio = audioContexts.map((c) => c.state).join(" "));
      this.addEventListener("statechange", report);
      report();
    }
  };
}
function resumeAudio() {
  for (const context of audioContexts) if (context.state === "suspended") context.resume().catch(() => {});
}
for (const event of ["pointerdown", "touchend", "keydown"]) window.addEventListener(event, resumeAudio, { capture: true });

const params = new URLSearchParams(location.search);
const lang = (params.get("lang") || navigator.language || "vi").toLowerCase().startsWith("en") ? "en" : "vi";
const t = TEXT[lang];
const root = document.documentElement;
root.lang = lang;
const text = document.getElementById("loading-text");
const bar = document.getElementById("loading-bar");
const layers = document.getElementById("loading-layers");
const canvas = document.getElementById("sontinh-canvas");

function mb(bytes) {
  return (bytes / 1e6).toFixed(1);
}

function fail(message) {
  root.dataset.sontinhState = "error";
  root.dataset.sontinhError = message;
  text.textContent = message;
  console.error(message);
}

// WebGPU when the browser gives an adapter, else WebGL2, else nothing;
// `?backend=` forces one (for tests and comparisons).
async function pickBackend(bundles) {
  const forced = params.get("backend");
  if (forced) return bundles[forced] ? forced : null;
  // A WebGPU device that failed in this tab is not tried again.
  if (bundles.webgpu && navigator.gpu && !sessionStorage.getItem("sontinh-webgpu-failed")) {
    try {
      if (await navigator.gpu.requestAdapter()) return "webgpu";
    } catch (_) {
      // No adapter: fall through to WebGL2.
    }
  }
  const probe = document.createElement("canvas");
  if (bundles.webgl2 && probe.getContext("webgl2")) return "webgl2";
  return null;
}

// The wasm module's bytes, with progress; the manifest gives the
// uncompressed size (Content-Length is the compressed one).
async function fetchWithProgress(url, total) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  const reader = response.body.getReader();
  const chunks = [];
  let done = 0;
  for (;;) {
    const { value, done: end } = await reader.read();
    if (end) break;
    chunks.push(value);
    done += value.length;
    text.textContent = t.fetching(done, Math.max(total, done));
    bar.value = total ? Math.min(done / total, 1) : 0;
  }
  const bytes = new Uint8Array(done);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  root.dataset.sontinhBundleBytes = String(done);
  return bytes;
}

// The viewer writes its state on <html>; show it while loading. Once the
// view has been shown, later loads (a layer, a planner's flood results as a
// run goes on) leave it visible: the viewer's panels show their progress.
new MutationObserver(() => {
  const state = root.dataset.sontinhState;
  if (state === "ready") root.dataset.sontinhShown = "1";
  // The WebGPU device failed (the viewer says so): start again on WebGL2.
  if (state === "error" && root.dataset.sontinhRenderError && root.dataset.sontinhBackend === "webgpu" && !params.get("backend")) {
    sessionStorage.setItem("sontinh-webgpu-failed", "1");
    text.textContent = t.fallback;
    location.reload();
    return;
  }
  if (state === "error" && root.dataset.sontinhError) {
    text.textContent = t.failed(root.dataset.sontinhError);
  } else if (state === "loading") {
    text.textContent = t.layers;
    bar.value = Number(root.dataset.sontinhProgress || 0);
    layers.textContent = root.dataset.sontinhLayers || "";
  }
}).observe(root, { attributes: true, attributeFilter: ["data-sontinh-state", "data-sontinh-progress", "data-sontinh-layers", "data-sontinh-error"] });

// A lost WebGL context cannot be handed back to the running renderer:
// keep the page, and start the viewer again on the restored context.
canvas.addEventListener("webglcontextlost", (event) => {
  event.preventDefault();
  root.dataset.sontinhState = "lost";
  text.textContent = t.lost;
  sessionStorage.setItem("sontinh-context-lost", String(Number(sessionStorage.getItem("sontinh-context-lost") || 0) + 1));
  // The viewer starts again at this view, for this address only.
  if (root.dataset.sontinhView) {
    sessionStorage.setItem("sontinh-resume-query", location.search);
    sessionStorage.setItem("sontinh-resume-view", root.dataset.sontinhView);
  }
});
canvas.addEventListener("webglcontextrestored", () => location.reload());
root.dataset.sontinhContextLosses = sessionStorage.getItem("sontinh-context-lost") || "0";

async function main() {
  text.textContent = t.starting;
  const bundles = await (await fetch("bundles.json")).json();
  const backend = await pickBackend(bundles);
  if (!backend) {
    fail(t.noGpu);
    return;
  }
  root.dataset.sontinhBackend = backend;
  const bytes = await fetchWithProgress(`${backend}/sontinh_bg.wasm`, bundles[backend].wasm_bytes);
  text.textContent = t.starting;
  const viewer = await import(`./${backend}/sontinh.js`);
  const wasm = await viewer.default({ module_or_path: bytes });
  // The wasm heap, for memory figures (the browser tests and benches read it).
  window.__sontinhWasmMemory = wasm.memory;
  // The viewer's page API, for pages that embed it: floodPlan(scenario, edits)
  // runs a flood scenario of the scene (edits: an object such as
  // {rain_mm_per_hour: 40, inflow_scale: 0.5, breach: {east, north}}),
  // floodPause(), floodResume() and floodCancel() steer it, and
  // floodDownload(folder, name) offers a result; acknowledgeAlarms(device?)
  // and feedReport("day"|"week"|"received") act as the operator's buttons;
  // measureTool(tool) and measureAction("undo"|"keep"|"geojson"|…) as the
  // measuring window's; tourOpen(id, stop) opens a tour at a stop (from 1).
  window.sontinhViewer = {
    floodPlan: (scenario, edits) => viewer.floodPlan(scenario, edits === undefined ? undefined : JSON.stringify(edits)),
    floodPause: viewer.floodPause,
    floodResume: viewer.floodResume,
    floodCancel: viewer.floodCancel,
    floodDownload: viewer.floodDownload,
    acknowledgeAlarms: viewer.acknowledgeAlarms,
    feedReport: viewer.feedReport,
    measureTool: viewer.measureTool,
    measureAction: viewer.measureAction,
    tourOpen: viewer.tourOpen,
    // WebXR (web/xr.js): xrBegin("vr"|"ar"|"magic"|"cardboard"), xrEnd(),
    // xrStatus() (the JSON of data-sontinh-xr).
    xrBegin: viewer.xrBegin,
    xrEnd: viewer.xrEnd,
    xrStatus: viewer.xrStatus,
  };
  root.dataset.sontinhState = "loading";
  // Point cloud nodes decode in workers (the viewer falls back to the main
  // thread, and says so, where workers fail).
  startDecodePool();
  // The VR/AR buttons; started first, as runViewer does not return while the viewer runs.
  startXr(viewer);
  await viewer.runViewer();
}

main().catch((error) => fail(t.failed(error && error.message ? error.message : String(error))));
