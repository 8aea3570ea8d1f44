// Browser tests of the web viewer, in Debian's Chromium driven by
// playwright-core: `sontinh serve` on port 0, the page on each scene, its
// frame compared with the native `sontinh render` of the same bookmark,
// point clouds fetched by range requests only, touch gestures in a phone
// viewport, a lost WebGL context, and the live feeds (mosquitto, the
// gateway on the same origin, a replayed scenario) as a tourist and as an
// operator see them.
//
//   node tests/browser/run.mjs        (after tools/build-web.sh --backend both and cargo build -p sontinh:
//                                      every check on the WebGL2 bundle, every scene on the WebGPU one)
//   SONTINH_BROWSER_BACKENDS=webgl2 node tests/browser/run.mjs
//                                      (the WebGL2 bundle alone, while working on it)
//
// Writes screenshots and figures to out/browser/; exits non-zero on any
// failed check. Every wait is on a condition with a deadline.

import { spawn, execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tourCheck } from "./tour.mjs";
import { xrCheck } from "./xr.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(repo, "web/package.json"));
const { chromium } = require("playwright-core");
const { PNG } = require("pngjs");

const out = path.join(repo, "out/browser");
mkdirSync(out, { recursive: true });
const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(repo, process.env.CARGO_TARGET_DIR) : path.join(repo, "target");
const sontinh = path.join(targetDir, "debug/sontinh");
const chromiumPath = process.env.SONTINH_CHROMIUM || "/usr/bin/chromium";
// Software rendering of a debug-profile bundle is slow: generous, but bounded.
const LOAD_DEADLINE_MS = Number(process.env.SONTINH_BROWSER_DEADLINE_MS || 300_000);
// The largest mean luma difference (0-255) between 8x8-block averages of the
// browser's and the native frame, and the largest share of blocks off by
// more than 32 levels. SwiftShader (WebGL2) and lavapipe (Vulkan) differ in
// anti-aliasing, shadow filtering and precision, not in what is drawn.
const MAX_MEAN_BLOCK_DIFF = 12;
const MAX_BAD_BLOCK_SHARE = 0.08;

const failures = [];
const report = {};
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
}

function need(file, how) {
  if (!existsSync(file)) {
    console.error(`error: ${file} is missing: ${how}`);
    process.exit(1);
  }
}
need(sontinh, "build it (cargo test --workspace, or cargo build -p sontinh)");
need(path.join(repo, "web/dist/bundles.json"), "build the bundle with tools/build-web.sh");
need(chromiumPath, "install Debian's chromium (tools/setup-debian.sh)");

async function until(what, deadlineMs, probe) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Point clouds converted for these tests (by the server, for the browser,
// and by the native renders) go to a cache of this run's own.
process.env.SONTINH_CACHE_DIR = path.join(out, "cache");
rmSync(process.env.SONTINH_CACHE_DIR, { recursive: true, force: true });

// COPC streams by ranges: every request the server saw for `address` asked
// for a range and got 206, none asked for the whole file. A range the
// browser's cache already holds in part is revalidated by a conditional
// range request: its 304 is a range answered, with no bytes sent.
function rangesOnlyCheck(log, name, address) {
  const lines = log.filter((line) => line.startsWith(`GET ${address} `) || line.startsWith(`HEAD ${address} `));
  const ranged = lines.filter((line) => / range=bytes=\d+-\d+ (206|304)$/.test(line));
  const bytes = ranged.filter((line) => line.endsWith(" 206")).reduce((sum, line) => {
    const [, first, last] = line.match(/range=bytes=(\d+)-(\d+)/);
    return sum + Number(last) - Number(first) + 1;
  }, 0);
  report[name].point_cloud_requests = lines.length;
  report[name].point_cloud_bytes = bytes;
  check(lines.length > 0 && ranged.length === lines.length, `${name}: ${address} fetched by ranges only (${ranged.length} of ${lines.length} requests were ranges answered 206 or 304, ${bytes} bytes sent${ranged.length === lines.length ? "" : `; others: ${lines.filter((l) => !ranged.includes(l)).slice(0, 3).join(" | ")}`})`);
}

// The server, with its request log kept for the range checks.
function startServer(extra = []) {
  const child = spawn(sontinh, ["serve", "--port", "0", "--bundle", "web/dist", ...extra], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
  const log = [];
  let url = null;
  let buffered = "";
  child.stdout.on("data", (chunk) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop();
    for (const line of lines) {
      log.push(line);
      const match = line.match(/open (http:\/\/\S+\/)/);
      if (match) url = match[1];
    }
  });
  child.stderr.on("data", (chunk) => process.stderr.write(chunk));
  return { child, log, url: () => url };
}

// Each native frame is rendered once per run: the WebGPU bundle's check of
// a scene compares with the same frame as the WebGL2 one's.
const nativeFrames = new Map();
function renderNative(scene, bookmark, file, width, height) {
  const args = ["render", scene, "--out", file, "--width", String(width), "--height", String(height)];
  if (bookmark) args.push("--bookmark", bookmark);
  const key = args.join("\0");
  if (!nativeFrames.has(key)) {
    execFileSync(sontinh, args, { cwd: repo, stdio: ["ignore", "ignore", "inherit"] });
    nativeFrames.set(key, PNG.sync.read(readFileSync(file)));
  }
  return nativeFrames.get(key);
}

// Luma of 8x8-block averages: aliasing and sub-pixel differences average out.
function blocks(png) {
  const size = 8;
  const bw = Math.floor(png.width / size);
  const bh = Math.floor(png.height / size);
  const lum = new Float64Array(bw * bh);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let sum = 0;
      for (let y = by * size; y < (by + 1) * size; y++) {
        for (let x = bx * size; x < (bx + 1) * size; x++) {
          const i = (y * png.width + x) * 4;
          sum += 0.2126 * png.data[i] + 0.7152 * png.data[i + 1] + 0.0722 * png.data[i + 2];
        }
      }
      lum[by * bw + bx] = sum / (size * size);
    }
  }
  return lum;
}

function compare(a, b) {
  if (a.width !== b.width || a.height !== b.height) return { mean: Infinity, bad: 1 };
  const la = blocks(a);
  const lb = blocks(b);
  let total = 0;
  let bad = 0;
  for (let i = 0; i < la.length; i++) {
    const d = Math.abs(la[i] - lb[i]);
    total += d;
    if (d > 32) bad++;
  }
  return { mean: total / la.length, bad: bad / la.length };
}

// Share of near-black pixels: eye-dome lighting outlines point clouds in
// them, and a frame drawn without it has few.
function darkShare(png) {
  let dark = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (0.2126 * png.data[i] + 0.7152 * png.data[i + 1] + 0.0722 * png.data[i + 2] < 40) dark++;
  }
  return dark / (png.width * png.height);
}

function spread(png) {
  const l = blocks(png);
  const mean = l.reduce((s, v) => s + v, 0) / l.length;
  return Math.sqrt(l.reduce((s, v) => s + (v - mean) ** 2, 0) / l.length);
}

// WebGPU through SwiftShader too, for the WebGPU bundle when it is built.
// Vulkan on SwiftShader too: without it, a headless WebGPU canvas loses its
// device at its first presented frame ("Device was destroyed", or "A valid
// external Instance reference no longer exists"), while WebGPU rendering
// off screen works.
const browserArgs = ["--headless=new", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist", "--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader", "--enable-features=Vulkan", "--use-vulkan=swiftshader"];
const bundles = JSON.parse(readFileSync(path.join(repo, "web/dist/bundles.json"), "utf8"));

// Where the page's main thread spent its time while loading, from the
// browser's sampling profiler: pipeline creation (shader compiles, which
// WebGL makes the page wait for), submitting GL commands, and decoding the
// layers' data. Inclusive times, in ms; a sample counts once per category.
const MAIN_THREAD_CATEGORIES = {
  shader_compile_ms: /PipelineCache::process_queue/,
  gl_submit_ms: /wgpu_hal::gles::queue::.*Queue.*submit/,
  decode_ms: /sontinh_mesh::|sontinh_terrain::|sontinh_tiles::|sontinh_pointcloud::|sontinh_procgen::|sontinh_layers::model::spawn_model|draco_core::|image::io::|bevy_image::ktx2/,
  // Point cloud nodes' LAZ decompression alone: it runs in the page's workers.
  pointcloud_decode_ms: /laz::|decode_node_chunk/,
  // Draco geometry (GLB models only): it runs in the page's workers too.
  draco_decode_ms: /draco_core::/,
  // The procedural Citadel: generated in a worker as well.
  citadel_generate_ms: /sontinh_procgen::citadel::/,
  // Reading DEMs and building terrain chunks, decoding 3D Tiles contents
  // and placing them, reading OBJ models: the page's workers' file jobs.
  file_jobs_ms: /sontinh_terrain::build|sontinh_raster::|sontinh_tiles::content::|sontinh_tiles::placed::place|sontinh_mesh::obj::|tobj::/,
};

async function startProfile(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 5000 });
  await cdp.send("Profiler.start");
  return cdp;
}

async function mainThreadTime(cdp) {
  const { profile } = await cdp.send("Profiler.stop");
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const totals = Object.fromEntries(Object.keys(MAIN_THREAD_CATEGORIES).map((k) => [k, 0]));
  const topFunctions = process.env.SONTINH_BROWSER_PROFILE_TOP ? new Map() : null;
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] || 0;
    const names = [];
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) names.push(byId.get(cur).callFrame.functionName);
    if (names[0] !== "(idle)" && names[0] !== "(program)") busy += us;
    for (const [key, pattern] of Object.entries(MAIN_THREAD_CATEGORIES)) if (names.some((n) => pattern.test(n))) totals[key] += us;
    if (topFunctions) for (const n of new Set(names)) topFunctions.set(n, (topFunctions.get(n) || 0) + us);
  });
  if (topFunctions) {
    // SONTINH_BROWSER_PROFILE_TOP=N: the N functions with the most inclusive main-thread time.
    const top = [...topFunctions].filter(([n]) => n && !n.startsWith("(")).sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.SONTINH_BROWSER_PROFILE_TOP));
    for (const [n, us] of top) console.log(`       ${String(Math.round(us / 1000)).padStart(6)} ms  ${n.slice(0, 150)}`);
  }
  return Object.fromEntries([["busy_ms", Math.round(busy / 1000)], ...Object.entries(totals).map(([k, v]) => [k, Math.round(v / 1000)])]);
}

async function openPage(context, url, { profile = false } = {}) {
  const page = await context.newPage();
  const profiler = profile ? await startProfile(page) : null;
  const errors = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  // Long main-thread tasks, as the browser measures them.
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
    }).observe({ type: "longtask", buffered: true });
  });
  const started = Date.now();
  await page.goto(url);
  return { page, errors, started, profiler };
}

// `data-sontinh-memory`: used=MiB peak=MiB budget=MiB preset=NAME.
async function readMemory(page) {
  const text = (await page.evaluate(() => document.documentElement.dataset.sontinhMemory)) || "";
  const fields = Object.fromEntries(text.split(" ").filter(Boolean).map((f) => f.split("=")));
  return { used: Number(fields.used), peak: Number(fields.peak), budget: Number(fields.budget), preset: fields.preset, text };
}

async function waitReady(page, what) {
  return until(`${what} to be ready`, LOAD_DEADLINE_MS, () =>
    page.evaluate(() => {
      const state = document.documentElement.dataset.sontinhState;
      if (state === "error") return { error: document.documentElement.dataset.sontinhError };
      return state === "ready" ? { ready: true } : null;
    }),
  );
}

async function sceneCheck(browser, base, { name: scene_name, scene, nativeScene = null, bookmark, eyeDome = false, glbModels = 0, citadel = false, fileJobs = {}, backend = "webgl2" }) {
  const width = 1280;
  const height = 720;
  const name = backend === "webgl2" ? scene_name : `${scene_name}.${backend}`;
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const query = new URLSearchParams({ ui: "0", backend });
  if (scene) query.set("scene", scene);
  if (bookmark) query.set("bookmark", bookmark);
  const { page, errors, started, profiler } = await openPage(context, `${base}?${query}`, { profile: true });
  const firstFrame = await until("a first frame", LOAD_DEADLINE_MS, () => page.evaluate(() => document.documentElement.dataset.sontinhFrames));
  const firstFrameMs = Date.now() - started;
  const result = await waitReady(page, name);
  const readyMs = Date.now() - started;
  const mainThread = await mainThreadTime(profiler);
  check(!result.error, `${name}: the page opened (${result.error || "ok"})`);
  const layers = await page.evaluate(() => document.documentElement.dataset.sontinhLayers || "");
  check(!/=failed/.test(layers), `${name}: every layer loaded in the browser (${layers.replace(/\n/g, "; ")})`);
  const shot = path.join(out, `${scene_name}.${backend}.png`);
  // Software rendering under load can take long for one frame: a generous bound.
  await page.screenshot({ path: shot, timeout: 120_000 });
  const browserPng = PNG.sync.read(readFileSync(shot));
  const nativePng = renderNative(nativeScene || (scene ? path.join(repo, scene) : path.join(repo, "scenes/quang-tri-citadel.toml")), bookmark, path.join(out, `${scene_name}.native.png`), width, height);
  const diff = compare(browserPng, nativePng);
  const longTasks = await page.evaluate(() => window.__longTasks);
  const memory = await readMemory(page);
  report[name] = {
    first_frame_ms: firstFrameMs,
    ready_ms: readyMs,
    mean_block_luma_diff: Number(diff.mean.toFixed(2)),
    blocks_off_by_32: Number(diff.bad.toFixed(4)),
    long_tasks: longTasks.length,
    longest_task_ms: Math.max(0, ...longTasks),
    main_thread: mainThread,
    bundle_bytes: Number(await page.evaluate(() => document.documentElement.dataset.sontinhBundleBytes)),
    memory_held_mib: memory.used,
    memory_peak_mib: memory.peak,
    memory_budget_mib: memory.budget,
    memory_preset: memory.preset,
    js_heap_mib: await page.evaluate(() => (performance.memory ? Math.round(performance.memory.usedJSHeapSize / 1048576) : null)),
    wasm_memory_mib: await page.evaluate(() => (window.__sontinhWasmMemory ? Math.round(window.__sontinhWasmMemory.buffer.byteLength / 1048576) : null)),
  };
  check(memory.budget > 0 && memory.peak <= memory.budget, `${name}: the scene stayed within its memory budget (peak ${memory.peak} MiB of ${memory.budget} MiB, ${memory.preset})`);
  console.log(`     ${name}: first frame ${firstFrameMs} ms, ready ${readyMs} ms, block luma diff ${diff.mean.toFixed(2)}, ${(diff.bad * 100).toFixed(2)}% blocks off by >32, ${longTasks.length} long tasks (longest ${report[name].longest_task_ms} ms); main thread busy ${mainThread.busy_ms} ms: shader compiles ${mainThread.shader_compile_ms}, GL submits ${mainThread.gl_submit_ms}, decoding ${mainThread.decode_ms}`);
  // Not blank: the browser frame varies at least half as much as the native
  // one does (a sky-only frame has no spread; sparse scenes have little).
  const [browserSpread, nativeSpread] = [spread(browserPng), spread(nativePng)];
  check(nativeSpread > 1 && browserSpread > 0.5 * nativeSpread, `${name}: the browser frame is not blank (block luma spread ${browserSpread.toFixed(1)}, native ${nativeSpread.toFixed(1)})`);
  check(diff.mean <= MAX_MEAN_BLOCK_DIFF && diff.bad <= MAX_BAD_BLOCK_SHARE, `${name}: the browser frame matches the native render (mean ${diff.mean.toFixed(2)} ≤ ${MAX_MEAN_BLOCK_DIFF}, bad blocks ${(diff.bad * 100).toFixed(2)}% ≤ ${MAX_BAD_BLOCK_SHARE * 100}%)`);
  // The page's decoding pool: what its workers answered, and whether it gave up.
  const pool = await page.evaluate(() => {
    const p = globalThis.sontinhDecode;
    return p ? { size: p.size, decoded: p.decoded, models: p.models, generated: p.generated, jobs: { ...p.jobs }, broken: p.broken } : null;
  });
  report[name].decode_workers = pool;
  if (citadel) {
    check(
      pool && !pool.broken && pool.generated === 1 && mainThread.citadel_generate_ms <= 10,
      `${name}: the Citadel is generated in a worker (${pool ? `${pool.generated} generated there${pool.broken ? `, broken: ${pool.broken}` : ""}` : "no pool"}; ${mainThread.citadel_generate_ms} ms of generation sampled on the main thread)`,
    );
  }
  if (Object.keys(fileJobs).length) {
    // Terrain, tile contents and OBJ models: read and built in the page's
    // workers (at least as many jobs of each kind as the scene needs).
    const done = pool ? pool.jobs : {};
    const enough = Object.entries(fileJobs).every(([kind, least]) => (done[kind] || 0) >= least);
    check(
      pool && !pool.broken && enough && mainThread.file_jobs_ms <= 10,
      `${name}: its files are read in the page's workers (${pool ? `jobs done there: ${JSON.stringify(done)}, at least ${JSON.stringify(fileJobs)} expected${pool.broken ? `, broken: ${pool.broken}` : ""}` : "no pool"}; ${mainThread.file_jobs_ms} ms of DEM, tile and OBJ reading sampled on the main thread)`,
    );
  }
  if (glbModels) {
    // The GLB models decoded in a worker (Draco and textures with them).
    check(
      pool && !pool.broken && pool.models === glbModels && mainThread.draco_decode_ms <= 10,
      `${name}: its ${glbModels} GLB models decode in the page's workers (${pool ? `${pool.models} decoded there${pool.broken ? `, broken: ${pool.broken}` : ""}` : "no pool"}; ${mainThread.draco_decode_ms} ms of Draco decoding sampled on the main thread)`,
    );
  }
  if (eyeDome) {
    // Every node decoded in a worker: the pool counts its answers, and the
    // main thread spent (almost) no sampled time in the LAZ decoder.
    check(
      pool && !pool.broken && pool.decoded > 0 && mainThread.pointcloud_decode_ms <= 10,
      `${name}: point cloud nodes decode in the page's workers (${pool ? `${pool.decoded} nodes in ${pool.size} workers${pool.broken ? `, broken: ${pool.broken}` : ""}` : "no pool"}; ${mainThread.pointcloud_decode_ms} ms of LAZ decoding sampled on the main thread)`,
    );
    const [browserDark, nativeDark] = [darkShare(browserPng), darkShare(nativePng)];
    report[name].dark_pixel_share = { browser: Number(browserDark.toFixed(4)), native: Number(nativeDark.toFixed(4)) };
    check(nativeDark > 0.005 && browserDark > 0.5 * nativeDark && browserDark < 2 * nativeDark, `${name}: eye-dome lighting outlines the points as natively (near-black pixels ${(browserDark * 100).toFixed(2)}% in the browser, ${(nativeDark * 100).toFixed(2)}% native)`);
  }
  check(errors.length === 0, `${name}: no console error or panic${errors.length ? `: ${errors.slice(0, 3).join(" | ")}` : ""}`);
  await context.close();
  void firstFrame;
  return { browserPng, nativePng };
}

// Share of strongly red pixels: the drape's checkerboard has them, the
// terrain's own elevation colours (greens, browns, greys) do not.
function redShare(png) {
  let red = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i] > 150 && png.data[i] - png.data[i + 1] > 80 && png.data[i] - png.data[i + 2] > 80) red++;
  return red / (png.width * png.height);
}

// A terrain with an orthophoto draped over it, served over HTTP: a PNG
// checkerboard in longitude/latitude around Mount Washington's summit and
// its world file, written here beside a scene that drapes it over the SRTM
// tile. The page's worker reads the DEM, the photo and the world file (the
// server serves the world file with the photo); the frame must match the
// native render and show the photo.
function writeDrapeScene() {
  const dir = path.join(out, "drape");
  mkdirSync(dir, { recursive: true });
  const size = 64;
  const photo = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const red = (Math.floor(x / 8) + Math.floor(y / 8)) % 2 === 0;
      photo.data.set(red ? [220, 20, 20, 255] : [245, 245, 245, 255], (y * size + x) * 4);
    }
  }
  writeFileSync(path.join(dir, "summit.png"), PNG.sync.write(photo));
  // 0.12° × 0.08° around the summit (71.3033 W, 44.2708 N); a world file
  // names the centre of the top-left pixel.
  const [west, north, dx, dy] = [-71.3633, 44.3108, 0.12 / size, 0.08 / size];
  writeFileSync(path.join(dir, "summit.pgw"), [dx, 0, 0, -dy, west + dx / 2, north - dy / 2].join("\n") + "\n");
  writeFileSync(
    path.join(dir, "drape-summit.toml"),
    `format = 1
[site]
id = "drape-summit"
name = { vi = "Ảnh phủ trên đỉnh Washington (kiểm thử)", en = "A drape over Mount Washington (test)" }
description = { vi = "Ô bàn cờ đỏ trắng phủ lên địa hình SRTM quanh đỉnh núi.", en = "A red and white checkerboard draped over the SRTM terrain around the summit." }
[origin]
crs = "EPSG:4326"
position = [-71.3033, 44.2708, 0.0]
[view]
default_bookmark = "summit"
[[layer]]
id = "srtm"
kind = "terrain"
path = "shared:dem/N44W072.hgt"
name = { vi = "Địa hình SRTM", en = "SRTM terrain" }
[layer.drape]
path = "summit.png"
crs = "EPSG:4326"
[[bookmark]]
id = "summit"
name = { vi = "Đỉnh núi", en = "The summit" }
eye = [1500.0, -2500.0, 2800.0]
target = [0.0, 0.0, 1900.0]
fov_deg = 50.0
`,
  );
  return path.join(dir, "drape-summit.toml");
}

async function drapeCheck(browser, backends) {
  const scene = writeDrapeScene();
  const server = startServer([scene]);
  try {
    const base = await until("the drape server to print its URL", 60_000, async () => server.url());
    for (const backend of backends) {
      const { browserPng, nativePng } = await sceneCheck(browser, base, { name: "drape-summit", scene: "scenes/drape-summit.toml", nativeScene: scene, bookmark: "summit", fileJobs: { terrain: 1 }, backend });
      const name = backend === "webgl2" ? "drape-summit" : `drape-summit.${backend}`;
      const [browserRed, nativeRed] = [redShare(browserPng), redShare(nativePng)];
      report[name].red_pixel_share = { browser: Number(browserRed.toFixed(4)), native: Number(nativeRed.toFixed(4)) };
      check(nativeRed > 0.05 && browserRed > 0.5 * nativeRed && browserRed < 2 * nativeRed, `${name}: the draped photo shows as natively (red checkerboard pixels ${(browserRed * 100).toFixed(1)}% in the browser, ${(nativeRed * 100).toFixed(1)}% native)`);
    }
    const world = server.log.filter((line) => line.startsWith("GET /scenes/summit.pgw"));
    check(world.some((line) => / 200$/.test(line)), `drape-summit: the page fetched the photo's world file from the site (${world.join(" | ") || "no request"})`);
  } finally {
    server.child.kill();
  }
}

// Lone Star at a point budget given in the address: the points drawn stay
// within it (checked), and the frame time at 1 M points (a figure for the
// report, not a check: timings belong to benches).
async function pointBudgetCheck(browser, base, backend) {
  const name = `point-budget.${backend}`;
  report[name] = {};
  for (const budget of [100_000, 1_000_000]) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 });
    const query = new URLSearchParams({ ui: "0", backend, scene: "scenes/lone-star-geyser.toml", bookmark: "overview", points: String(budget) });
    const { page, errors } = await openPage(context, `${base}?${query}`);
    const result = await waitReady(page, `${name} at ${budget} points`);
    check(!result.error, `${name}: the page opened at a budget of ${budget} points (${result.error || "ok"})`);
    const shown = ((await page.evaluate(() => document.documentElement.dataset.sontinhPoints)) || "0 0").split(" ").map(Number);
    // Frame intervals over 3 s of animation frames, as the page sees them.
    const frames = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const times = [];
          const step = (t) => {
            times.push(t);
            if (t - times[0] < 3000) requestAnimationFrame(step);
            else resolve(times.slice(1).map((v, i) => v - times[i]));
          };
          requestAnimationFrame(step);
        }),
    );
    const sorted = [...frames].sort((a, b) => a - b);
    const at = (q) => Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] || 0).toFixed(1));
    report[name][budget] = { points_shown: shown[0], nodes_shown: shown[1], frames: frames.length, frame_ms_median: at(0.5), frame_ms_p95: at(0.95) };
    console.log(`     ${name}: budget ${budget}: ${shown[0]} points in ${shown[1]} nodes drawn; frame time median ${at(0.5)} ms, p95 ${at(0.95)} ms over ${frames.length} frames`);
    check(shown[0] > 0 && shown[0] <= budget, `${name}: the points drawn stay within the address's budget (${shown[0]} of ${budget})`);
    check(errors.length === 0, `${name}: no console error${errors.length ? `: ${errors.slice(0, 3).join(" | ")}` : ""}`);
    await context.close();
  }
  // A smaller budget draws fewer points: the budget is what limits them.
  check(report[name][100_000].points_shown < report[name][1_000_000].points_shown, `${name}: a budget of 100,000 draws fewer points than one of 1,000,000 (${report[name][100_000].points_shown} < ${report[name][1_000_000].points_shown})`);
}

// A phone: high DPI capped, one-finger orbit and two-finger pinch move the camera.
async function touchCheck(browser, base) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
  const { page, errors } = await openPage(context, `${base}?backend=webgl2&ui=0`);
  const result = await waitReady(page, "the phone page");
  check(!result.error, `phone: the page opened (${result.error || "ok"})`);
  const size = await page.evaluate(() => {
    const c = document.getElementById("sontinh-canvas");
    return { width: c.width, height: c.height, touchAction: getComputedStyle(c).touchAction };
  });
  report.phone_canvas = `${size.width}x${size.height} at DPR 3`;
  check(size.width <= 390 * 2 && size.height <= 844 * 2, `phone: the render scale is capped at 2 (canvas ${size.width}x${size.height} for 390x844 at DPR 3)`);
  check(size.touchAction === "none", `phone: the canvas has touch-action: none (${size.touchAction})`);
  const memory = await readMemory(page);
  report.phone_memory = memory.text;
  check(memory.preset === "phone" && memory.peak <= memory.budget, `phone: the phone memory preset was picked and held (${memory.text})`);
  const cdp = await context.newCDPSession(page);
  const camera = () => page.evaluate(() => document.documentElement.dataset.sontinhCamera);
  const touch = async (type, points) => cdp.send("Input.dispatchTouchEvent", { type, touchPoints: points.map(([x, y], id) => ({ x, y, id })) });
  const before = await camera();
  await touch("touchStart", [[195, 400]]);
  for (let i = 1; i <= 10; i++) await touch("touchMove", [[195 + i * 12, 400]]);
  await touch("touchEnd", []);
  const orbited = await until("the camera to move after a one-finger drag", 30_000, async () => {
    const now = await camera();
    return now && now !== before ? now : null;
  }).catch(() => null);
  check(Boolean(orbited), `phone: a one-finger drag orbits the camera (${before} -> ${orbited})`);
  const beforePinch = await camera();
  await touch("touchStart", [[150, 400], [240, 400]]);
  for (let i = 1; i <= 10; i++) await touch("touchMove", [[150 - i * 8, 400], [240 + i * 8, 400]]);
  await touch("touchEnd", []);
  const pinched = await until("the camera to move after a pinch", 30_000, async () => {
    const now = await camera();
    return now && now !== beforePinch ? now : null;
  }).catch(() => null);
  check(Boolean(pinched), `phone: a two-finger pinch zooms the camera (${beforePinch} -> ${pinched})`);
  check(errors.length === 0, `phone: no console error${errors.length ? `: ${errors.slice(0, 3).join(" | ")}` : ""}`);
  await context.close();
}

// `data-sontinh-measure` and `sontinh render --measure`'s line: the tool,
// its points (scene metres) and its figures.
function parseMeasure(text) {
  const fields = { at: [] };
  for (const part of (text || "").split(" ").filter(Boolean)) {
    const [key, value] = part.split("=");
    if (key === "at") fields.at.push(value.split(",").map(Number));
    else fields[key] = key === "tool" ? value : Number(value);
  }
  return fields;
}

// A measurement placed with fingers in the page gives the figures the
// native viewer gives for the same taps: the Citadel's plan view, four taps
// beside its four gates, snapped to the same vertices, an area. Each tap
// lies where a nudge of half a pixel either way does not change the vertex
// it snaps to (checked natively): beside the south gate the tower, the
// ramps and the wall meet within a pixel, and the page's and the native
// rounding can pick different triangles there. Both draw at low quality
// (a touch screen is a phone's): the trees count in the surface figure.
async function measureCheck(browser, base) {
  const [width, height] = [800, 600];
  const taps = [[384, 299], [459, 222], [536, 299], [460, 376]];
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1, hasTouch: true });
  const { page, errors } = await openPage(context, `${base}?backend=webgl2&ui=0&bookmark=plan&measure=area&quality=low`);
  const result = await waitReady(page, "the measuring page");
  check(!result.error, `measure: the page opened with the area tool (${result.error || "ok"})`);
  const cdp = await context.newCDPSession(page);
  const measure = () => page.evaluate(() => document.documentElement.dataset.sontinhMeasure || "");
  for (const [k, [x, y]] of taps.entries()) {
    await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x, y, id: k }] });
    await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
    const placed = await until(`tap ${k + 1} to place a point`, 30_000, async () => parseMeasure(await measure()).points === k + 1 || null).catch(() => null);
    if (!placed) {
      await page.screenshot({ path: path.join(out, "measure-touch.webgl2.png") });
      throw new Error(`tap ${k + 1} at ${x},${y} placed no point (${await measure()})`);
    }
  }
  const browserFigures = parseMeasure(await until("the area's figures", 60_000, async () => {
    const text = await measure();
    return /horizontal_m2=/.test(text) ? text : null;
  }));
  await page.screenshot({ path: path.join(out, "measure-touch.webgl2.png") });
  const args = ["render", "scenes/quang-tri-citadel.toml", "--bookmark", "plan", "--width", String(width), "--height", String(height), "--out", path.join(out, "measure-touch.native.png"), "--measure", "area", "--quality", "low"];
  for (const [x, y] of taps) args.push("--at", `${x},${y}`);
  const printed = execFileSync(sontinh, args, { cwd: repo, stdio: ["ignore", "pipe", "inherit"] }).toString();
  const nativeLine = (printed.match(/^Measured: (.*)$/m) || [])[1];
  check(Boolean(nativeLine), `measure: the native render measured the same taps (${nativeLine || printed.trim()})`);
  const nativeFigures = parseMeasure(nativeLine);
  report.measure_touch = { browser: browserFigures, native: nativeFigures };
  const samePoints = browserFigures.at.length === 4 && browserFigures.at.every((p, i) => nativeFigures.at[i] && p.every((v, k) => Math.abs(v - nativeFigures.at[i][k]) <= 0.001));
  check(samePoints, `measure: the taps snapped to the same four points as natively (${JSON.stringify(browserFigures.at)} vs ${JSON.stringify(nativeFigures.at)})`);
  for (const [key, tolerance] of [["horizontal_m2", 1e-6], ["perimeter_m", 1e-6], ["surface_m2", 1e-3]]) {
    const [b, n] = [browserFigures[key], nativeFigures[key]];
    check(Number.isFinite(b) && Math.abs(b - n) <= tolerance * Math.abs(n), `measure: ${key} in the page is the native figure (${b} vs ${n})`);
  }
  // The page's API presses the window's buttons: undo takes the last point back.
  await page.evaluate(() => window.sontinhViewer.measureAction("undo"));
  const undone = await until("undo to take a point back", 30_000, async () => parseMeasure(await measure()).points === 3 || null).catch(() => null);
  check(Boolean(undone), "measure: measureAction(\"undo\") took the last point back");
  check(errors.length === 0, `measure: no console error${errors.length ? `: ${errors.slice(0, 3).join(" | ")}` : ""}`);
  await context.close();
}

// A tap on a building of the Delft city model picks it: the page names
// the feature, and it is that object of the CityJSON file (its type and
// attributes as the file has them, read here with plain JSON).
async function featureCheck(browser, base) {
  const [width, height] = [800, 600];
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1, hasTouch: true });
  const { page, errors } = await openPage(context, `${base}?backend=webgl2&ui=0&scene=scenes/delft-city.toml&bookmark=overview`);
  const result = await waitReady(page, "the Delft page");
  check(!result.error, `feature: the Delft page opened (${result.error || "ok"})`);
  const cdp = await context.newCDPSession(page);
  const feature = () => page.evaluate(() => document.documentElement.dataset.sontinhFeature || "");
  const [x, y] = [width / 2, height / 2];
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x, y, id: 1 }] });
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  const text = await until("a tap to pick a feature", 60_000, async () => (await feature()) || null).catch(() => "");
  await page.screenshot({ path: path.join(out, "feature-pick.webgl2.png") });
  const [head, ...lines] = text.split("\n");
  const fields = Object.fromEntries(head.split(" ").map((kv) => kv.split("=")));
  const shared = process.env.SONTINH_SHARED_DATA || path.join(repo, "../shared/data");
  const model = JSON.parse(readFileSync(path.join(shared, "city/delft.city.json"), "utf8"));
  const object = model.CityObjects[fields.id];
  check(Boolean(object), `feature: the tap picked an object of the file (${head || "nothing picked"})`);
  if (object) {
    check(object.type === fields.kind, `feature: its type is the file's (${fields.kind} vs ${object.type})`);
    const attributes = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    const expected = Object.entries(object.attributes || {}).filter(([, v]) => typeof v === "string");
    const same = expected.every(([k, v]) => attributes[k] === v);
    check(expected.length > 0 && same, `feature: its ${expected.length} text attributes are the file's (${JSON.stringify(expected.slice(0, 2))})`);
    report.feature_pick = { id: fields.id, kind: fields.kind, attributes: lines.length };
  }
  check(errors.length === 0, `feature: no console error${errors.length ? `: ${errors.slice(0, 3).join(" | ")}` : ""}`);
  await context.close();
}

// A lost WebGL context comes back: the page starts the viewer again.
async function lostContextCheck(browser, base) {
  const context = await browser.newContext({ viewport: { width: 640, height: 360 } });
  const { page } = await openPage(context, `${base}?backend=webgl2&ui=0`);
  await waitReady(page, "the page before the loss");
  // Move away from the start: the restored viewer must come back here.
  const view = () => page.evaluate(() => document.documentElement.dataset.sontinhView || "");
  const startView = await view();
  await page.mouse.move(320, 180);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(320 + i * 15, 180 + i * 3);
  await page.mouse.up();
  const movedView = await until("the view to change after a drag", 30_000, async () => {
    const now = await view();
    return now && now !== startView ? now : null;
  }).catch(() => null);
  check(Boolean(movedView), `lost context: a mouse drag moved the view (${startView} -> ${movedView})`);
  const lost = await page.evaluate(() => {
    const gl = document.getElementById("sontinh-canvas").getContext("webgl2");
    const ext = gl && gl.getExtension("WEBGL_lose_context");
    if (!ext) return false;
    ext.loseContext();
    window.__restore = () => ext.restoreContext();
    return true;
  });
  check(lost, "lost context: the page's WebGL2 context could be lost (WEBGL_lose_context)");
  await until("the page to notice the loss", 30_000, () => page.evaluate(() => document.documentElement.dataset.sontinhState === "lost"));
  await page.evaluate(() => window.__restore());
  const back = await until("the viewer to be ready again", LOAD_DEADLINE_MS, () =>
    page.evaluate(() => (document.documentElement.dataset.sontinhState === "ready" ? document.documentElement.dataset.sontinhContextLosses : null)).catch(() => null),
  ).catch(() => null);
  check(back === "1", `lost context: the viewer is drawing again after the context came back (losses seen: ${back})`);
  const restoredView = await view();
  const apart = (a, b) => Math.max(...a.split(" ").map((v, i) => Math.abs(Number(v) - Number(b.split(" ")[i]))));
  check(Boolean(movedView) && apart(restoredView, movedView) < 0.05, `lost context: the viewer came back where the user was (before ${movedView}, after ${restoredView})`);
  await context.close();
}


// Flood results for planners: a run's output folder served by
// `sontinh serve --flood`, read by the page file by file (its snapshots
// through their index), drawn as natively at the maximum and at a moment of
// the timeline.
async function floodCheck(browser) {
  const run = path.join(out, "flood/flood-small");
  rmSync(run, { recursive: true, force: true });
  execFileSync(sontinh, ["flood", "run", "tests/scenes/flood-small.toml", "-o", run], { cwd: repo, stdio: ["ignore", "ignore", "inherit"] });
  const server = startServer(["tests/scenes/flood-small.toml", "--flood", run]);
  try {
    const base = await until("the flood server to print its URL", 60_000, async () => server.url());
    const width = 960;
    const height = 540;
    for (const hours of [null, 0.15]) {
      const name = hours === null ? "flood-maximum" : `flood-${hours}h`;
      const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
      const query = new URLSearchParams({ ui: "0", backend: "webgl2", scene: "scenes/flood-small.toml", flood: "floods/flood-small" });
      if (hours !== null) query.set("flood_hours", String(hours));
      const { page, errors } = await openPage(context, `${base}?${query}`);
      const result = await waitReady(page, name);
      const layers = await page.evaluate(() => document.documentElement.dataset.sontinhLayers || "");
      check(!result.error && /flood=ready/.test(layers), `${name}: the page drew the flood results (${result.error || layers.replace(/\n/g, "; ")})`);
      const shot = path.join(out, `${name}.webgl2.png`);
      await page.screenshot({ path: shot, timeout: 120_000 });
      const args = ["render", "tests/scenes/flood-small.toml", "--out", path.join(out, `${name}.native.png`), "--width", String(width), "--height", String(height), "--flood", run];
      if (hours !== null) args.push("--flood-time", String(hours));
      execFileSync(sontinh, args, { cwd: repo, stdio: ["ignore", "ignore", "inherit"] });
      const [browserPng, nativePng] = [PNG.sync.read(readFileSync(shot)), PNG.sync.read(readFileSync(path.join(out, `${name}.native.png`)))];
      const diff = compare(browserPng, nativePng);
      report[name] = { mean_block_luma_diff: Number(diff.mean.toFixed(2)), blocks_off_by_32: Number(diff.bad.toFixed(4)) };
      check(diff.mean <= MAX_MEAN_BLOCK_DIFF && diff.bad <= MAX_BAD_BLOCK_SHARE, `${name}: the browser frame matches the native render with --flood (mean ${diff.mean.toFixed(2)}, bad blocks ${(diff.bad * 100).toFixed(2)}%)`);
      check(errors.length === 0, `${name}: no console error${errors.length ? `: ${errors.slice(0, 3).join(" | ")}` : ""}`);
      await context.close();
    }
    // The water differs between the two moments, as natively: the check can tell them apart.
    const apart = compare(PNG.sync.read(readFileSync(path.join(out, "flood-maximum.webgl2.png"))), PNG.sync.read(readFileSync(path.join(out, "flood-0.15h.webgl2.png"))));
    check(apart.mean > 0.5, `flood: the timeline's early moment is drawn, not the maximum again (mean block difference ${apart.mean.toFixed(2)})`);
    const fetched = server.log.filter((line) => line.startsWith("GET /floods/flood-small/"));
    report.flood_requests = fetched.length;
    check(fetched.some((l) => / 200$/.test(l) && l.includes("/snapshots/index.json")), `flood: the page read the snapshots' index (${fetched.length} requests)`);
  } finally {
    server.child.kill();
  }
}

// Planners' floods run in the page: `plan=` starts a scenario; on the
// WebGL2 bundle the CPU solver runs in the page's flood worker, on the
// WebGPU bundle the WGSL solver runs on the page's own device (the worker
// prepares and records). The run's maximum depth, downloaded as the planner
// panel offers it, is compared with `sontinh flood run` natively (CPU) by
// rasterio, cell by cell; the main thread's long tasks while the run goes
// on are measured.
async function floodRunCheck(browser, backends) {
  const dir = path.join(out, "flood-run");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const server = startServer(["tests/scenes/flood-small.toml"]);
  try {
    const base = await until("the flood-run server to print its URL", 60_000, async () => server.url());
    // The Citadel's default scenario (18 h on 150 × 150 cells, 81,622 steps)
    // takes minutes in the worker and half an hour on SwiftShader's WebGPU:
    // run when asked for by name (SONTINH_BROWSER_ONLY=flood-run-citadel),
    // not in the test command's time budget.
    // The small run is steered as a planner would: edited (rain, river,
    // a breach of their own), paused, resumed, and a second run cancelled.
    // Its native reference is the scene with those edits written out, as
    // scenes/README.md describes a scenario.
    const smallEdits = { rain_mm_per_hour: 40, rain_hours: 0.25, inflow_scale: 0.5, breach: { east: 60, north: -250, width_m: 30, level_m: 2.5 } };
    const editedScene = path.join(dir, "flood-small-edited.toml");
    writeFileSync(
      editedScene,
      readFileSync(path.join(repo, "tests/scenes/flood-small.toml"), "utf8")
        .replace("rain_mm_per_hour = 10.0", "rain_mm_per_hour = 40.0")
        .replace("rain_hours = 0.5", "rain_hours = 0.25")
        .replace("hydrograph = [[0.0, 500.0], [0.5, 8000.0], [1.0, 8000.0]]", "hydrograph = [[0.0, 250.0], [0.5, 4000.0], [1.0, 4000.0]]") +
        // A planner's breach is cut one cell (40 m) either side of the point
        // picked, at least a cell wide.
        '\n[[flood_scenario.breach]]\nname = { vi = "Điểm vỡ đê", en = "Breach" }\nfrom = [20.0, -250.0]\nto = [100.0, -250.0]\nwidth_m = 40.0\nelevation_m = 2.5\n',
    );
    const scenes = [
      { name: "flood-run-small", scene: path.relative(repo, editedScene), site: "scenes/flood-small.toml", scenario: "short", edits: smallEdits, steer: true, deadlineMin: 20, wanted: wanted("flood-run") },
      { name: "flood-run-citadel", scene: "scenes/quang-tri-citadel.toml", site: null, scenario: "thach-han-flood", deadlineMin: 60, wanted: Boolean(only && only.includes("flood-run-citadel")) },
    ].filter((s) => s.wanted);
    for (const run of scenes) {
      // The native reference runs first, not beside the page's run: on a
      // small machine its threads would take the cores from the page's main
      // thread, and the long tasks measured would be the machine's, not the page's.
      const native = path.join(dir, `${run.name}.native`);
      const nativeStarted = Date.now();
      const nativeDone = new Promise((resolve, reject) => {
        const child = spawn(sontinh, ["flood", "run", run.scene, "--scenario", run.scenario, "-o", native], { cwd: repo, stdio: ["ignore", "ignore", "inherit"] });
        child.on("error", reject);
        child.on("exit", (code) => (code === 0 ? resolve(Date.now() - nativeStarted) : reject(new Error(`sontinh flood run ${run.scene} exited with ${code}`))));
      });
      const nativeMs = await nativeDone;
      const nativeSummary = JSON.parse(readFileSync(path.join(native, "summary.json"), "utf8"));
      for (const backend of backends) {
        const name = `${run.name}.${backend}`;
        const solverWanted = backend === "webgpu" ? "gpu" : "worker";
        // A small view: under SwiftShader each frame costs the shared device
        // seconds at full size, and the GPU solver's readbacks wait behind it.
        const context = await browser.newContext({ viewport: { width: 320, height: 240 }, deviceScaleFactor: 1, acceptDownloads: true });
        const query = new URLSearchParams({ backend, ui: "0" });
        if (run.site) query.set("scene", run.site);
        const { page, errors } = await openPage(context, `${base}?${query}`);
        const ready = await waitReady(page, name);
        check(!ready.error, `${name}: the page opened (${ready.error || "ok"})`);
        // Started once the page is ready (as an embedding page's button would),
        // so that the long tasks counted from here are the run's, not loading's.
        // What the page said before this run (a refused one's failure).
        let refusedState = null;
        if (run.steer) {
          // Edits the viewer cannot take are refused with what was wrong, and nothing runs.
          await page.evaluate((id) => window.sontinhViewer.floodPlan(id, { rain: 3 }), run.scenario);
          const refused = await until(`${name}: bad edits to be refused`, 60_000, async () => {
            const s = await page.evaluate(() => document.documentElement.dataset.sontinhFloodRun || "");
            return s.startsWith("failed") ? s : null;
          });
          check(refused.includes('unknown field "rain"'), `${name}: bad edits are refused, naming the field (${refused})`);
          refusedState = refused;
        }
        await page.evaluate(() => {
          window.__longTasksBeforeRun = window.__longTasks.length;
          window.__pageFrames = 0;
          const tick = () => {
            window.__pageFrames += 1;
            requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
          // Every state the page shows, however briefly.
          window.__floodStates = [];
          new MutationObserver(() => window.__floodStates.push(document.documentElement.dataset.sontinhFloodRun)).observe(document.documentElement, { attributes: true, attributeFilter: ["data-sontinh-flood-run"] });
        });
        const runStarted = Date.now();
        // A steered run is paused as it starts (a small run in the worker
        // ends within seconds): it holds after its first moment or batch.
        await page.evaluate(
          ([id, edits, pause]) => {
            window.sontinhViewer.floodPlan(id, edits);
            if (pause) window.sontinhViewer.floodPause();
          },
          [run.scenario, run.edits, Boolean(run.steer)],
        );
        const state = () => page.evaluate(() => document.documentElement.dataset.sontinhFloodRun || "");
        await until(`${name}: the run to start`, 60_000, async () => {
          const s = await state();
          return s !== refusedState && /^(running|pausing|paused|done|failed)/.test(s) ? true : null;
        });
        if (run.steer) {
          // Paused, the run holds: while the page draws on, it takes no step
          // (its progress and the worker's counts stay).
          const held = await until(`${name}: the run to hold`, 5 * 60_000, async () => {
            const s = await state();
            return /^(paused|done|failed)/.test(s) ? s : null;
          });
          check(held.startsWith("paused "), `${name}: the run holds when paused (${held})`);
          const counts = () =>
            page.evaluate(() => ({
              state: document.documentElement.dataset.sontinhFloodRun,
              steps: globalThis.sontinhDecode ? globalThis.sontinhDecode.floodSteps : null,
              recorded: globalThis.sontinhDecode ? globalThis.sontinhDecode.floodRecorded || 0 : null,
              frames: window.__pageFrames,
            }));
          const before = await counts();
          const after = await until(`${name}: 10 page frames while paused`, 5 * 60_000, async () => {
            const now = await counts();
            return now.frames >= before.frames + 10 ? now : null;
          });
          check(after.state === before.state && after.steps === before.steps && after.recorded === before.recorded, `${name}: nothing moves while paused (${JSON.stringify(before)} → ${JSON.stringify(after)})`);
          await page.evaluate(() => window.sontinhViewer.floodResume());
          const resumed = await until(`${name}: the run to go on`, 5 * 60_000, async () => {
            const s = await state();
            return /^(running|done|failed)/.test(s) ? s : null;
          });
          check(!resumed.startsWith("failed"), `${name}: the run goes on when resumed (${resumed})`);
        }
        const finalState = await until(`${name}: the run to end`, run.deadlineMin * 60_000, async () => {
          const s = await state();
          return /^(done|failed)/.test(s) ? s : null;
        });
        const progress = await page.evaluate(() => window.__floodStates);
        const runMs = Date.now() - runStarted;
        check(finalState.startsWith("done "), `${name}: the run in the page ended (${finalState})`);
        const solver = await page.evaluate(() => document.documentElement.dataset.sontinhFloodSolver || "");
        check(solver === solverWanted, `${name}: the run went to the ${solverWanted === "gpu" ? "page's WebGPU device" : "page's flood worker"} (${solver || "none"})`);
        // The page shows the state each frame it draws: a short run may end within a few frames.
        check(progress.some((p) => /^running \d+%$/.test(p)), `${name}: the page showed the run going on (${progress.slice(0, 4).join(", ")}…)`);
        report[`${name}.states_shown`] = progress.length;
        if (!finalState.startsWith("done ")) {
          await context.close();
          continue;
        }
        const folder = finalState.slice("done ".length);
        const longTasks = await page.evaluate(() => window.__longTasks.slice(window.__longTasksBeforeRun));
        const pool = await page.evaluate(() => (globalThis.sontinhDecode ? { steps: globalThis.sontinhDecode.floodSteps, recorded: globalThis.sontinhDecode.floodRecorded || 0 } : null));
        const downloads = {};
        for (const file of ["max_depth.tif", "extent.geojson", "gauges.csv", "summary.json"]) {
          const [download] = await Promise.all([page.waitForEvent("download"), page.evaluate(([f, n]) => window.sontinhViewer.floodDownload(f, n), [folder, file])]);
          downloads[file] = path.join(dir, `${name}.${file}`);
          await download.saveAs(downloads[file]);
          check(download.suggestedFilename() === file, `${name}: the download is named ${file} (${download.suggestedFilename()})`);
        }
        const compared = JSON.parse(execFileSync(path.join(repo, ".venv/bin/python"), [path.join(repo, "tests/browser/compare_rasters.py"), downloads["max_depth.tif"], path.join(native, "max_depth.tif")], { encoding: "utf8" }));
        const extent = JSON.parse(readFileSync(downloads["extent.geojson"], "utf8"));
        const summary = JSON.parse(readFileSync(downloads["summary.json"], "utf8"));
        const gaugeLines = readFileSync(downloads["gauges.csv"], "utf8").trim().split("\n").length;
        report[name] = {
          browser_run_ms: runMs,
          browser_cell_updates_per_s: Math.round(summary.cell_updates_per_second),
          browser_solver: summary.backend,
          native_run_ms: nativeMs,
          native_cell_updates_per_s: Math.round(nativeSummary.cell_updates_per_second),
          native_solver: nativeSummary.backend,
          worker_steps: pool && pool.steps,
          gpu_moments_recorded: pool && pool.recorded,
          max_depth_p99_diff_m: compared.p99_abs_diff,
          max_depth_max_diff_m: compared.max_abs_diff,
          long_tasks_during_run: longTasks.length,
          longest_task_during_run_ms: Math.round(Math.max(0, ...longTasks)),
        };
        console.log(`     ${name}: ${JSON.stringify(report[name])}`);
        check(compared.same_grid, `${name}: the downloaded maximum depth is on the native run's grid (${JSON.stringify(compared.a)} / ${JSON.stringify(compared.b)})`);
        check(compared.p99_abs_diff !== null && compared.p99_abs_diff <= 0.02, `${name}: maximum depths agree with the native CPU run within 2 cm at the 99th percentile (p99 ${compared.p99_abs_diff} m, max ${compared.max_abs_diff} m, deepest ${compared.max_a} / ${compared.max_b} m)`);
        check(compared.max_b > 0.5, `${name}: the native run floods something to compare (deepest ${compared.max_b} m)`);
        check(extent.type === "FeatureCollection" && extent.features[0].geometry.coordinates.length > 0, `${name}: the downloaded extent is GeoJSON with flooded polygons`);
        check(gaugeLines === readFileSync(path.join(native, "gauges.csv"), "utf8").trim().split("\n").length, `${name}: the downloaded gauges have the native run's ${gaugeLines} lines`);
        const moments = solverWanted === "gpu" ? pool && pool.recorded : pool && pool.steps;
        check(moments >= 2, `${name}: the run went moment by moment through the page's flood worker (${moments})`);
        check(errors.length === 0, `${name}: no console error${errors.length ? `: ${errors.slice(0, 3).join(" | ")}` : ""}`);
        // The page stays responsive while the run goes on: no main-thread
        // task longer than 50 ms (the browser's long-task threshold).
        check(longTasks.every((ms) => ms <= 50), `${name}: no main-thread task over 50 ms while the run went on (${longTasks.length} long tasks${longTasks.length ? `, longest ${Math.round(Math.max(...longTasks))} ms` : ""})`);
        await page.screenshot({ path: path.join(dir, `${name}.png`), timeout: 120_000 });
        if (run.steer) {
          // A second run, cancelled as it starts, ends as cancelled (the
          // worker's mid-moment).
          const firstRun = await state();
          await page.evaluate((id) => {
            window.sontinhViewer.floodPlan(id);
            window.sontinhViewer.floodCancel();
          }, run.scenario);
          const cancelled = await until(`${name}: the second run to end`, 5 * 60_000, async () => {
            const s = await state();
            return s !== firstRun && /^(done|failed)/.test(s) ? s : null;
          });
          check(/^failed: .*cancelled/.test(cancelled), `${name}: a cancelled run ends as cancelled (${cancelled})`);
          const cancelErrors = errors.filter((e) => !/cancelled/.test(e));
          check(cancelErrors.length === 0, `${name}: cancelling logs no other error${cancelErrors.length ? `: ${cancelErrors.slice(0, 3).join(" | ")}` : ""}`);
        }
        await context.close();
      }
    }
  } finally {
    server.child.kill();
  }
}

// A free TCP port for mosquitto, which cannot be told to pick one itself.
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

const mosquitto = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"].find(existsSync);

// The shipped broker config with credentials made by `sontinh feeds
// broker-setup`, on a free port (tried again if another process took it).
async function startBroker(dir) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    execFileSync(sontinh, ["feeds", "broker-setup", "--devices", path.join(dir, "devices.json"), "--dir", path.join(dir, "broker"), "--port", String(port)], { cwd: repo, stdio: ["ignore", "ignore", "inherit"] });
    const child = spawn(mosquitto, ["-c", path.join(dir, "broker/mosquitto.conf")], { cwd: path.join(dir, "broker"), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    let exited = false;
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("exit", () => (exited = true));
    const up = await until("mosquitto to listen", 20_000, async () => (exited ? "exited" : (await accepts(port)) ? "up" : null));
    if (up === "up") return { child, port };
    if (attempt === 3 || !/in use/i.test(stderr)) throw new Error(`mosquitto did not start: ${stderr.trim()}`);
  }
}

// One page with a role's token: the frames its WebSocket received, the
// snapshot requests it made, and what the viewer says of its feed.
async function feedsPage(browser, base, token, role, expectedDevices) {
  const context = await browser.newContext({ viewport: { width: 960, height: 540 }, acceptDownloads: true });
  const frames = [];
  const snapshots = [];
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("websocket", (ws) => ws.on("framereceived", (frame) => frames.push(String(frame.payload))));
  page.on("response", async (response) => {
    if (new URL(response.url()).pathname.startsWith("/snapshots/")) {
      const headers = await response.request().allHeaders();
      snapshots.push({ url: response.url(), status: response.status(), bearer: /^Bearer \S+$/.test(headers.authorization || "") });
    }
  });
  await page.goto(`${base}?${new URLSearchParams({ backend: "webgl2", ui: "1", token })}`);
  const feeds = await until(`the ${role}'s page to hold the feed's whole history`, LOAD_DEADLINE_MS, () =>
    page.evaluate((n) => {
      const text = document.documentElement.dataset.sontinhFeeds || "";
      return text.includes("history=complete") && text.includes(`devices=${n} `) && !/observations=0\b/.test(text) ? text : null;
    }, expectedDevices),
  );
  return { context, page, frames, snapshots, feeds, errors };
}

// The live feeds on the same origin: a tourist's page receives nothing an
// operator-only device says, no camera address and no snapshot; an
// operator's receives them all (the check can tell the two apart).
async function feedsCheck(browser) {
  const dir = path.join(out, "feeds");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const scenario = path.join(repo, "assets/feeds/flood-2020-10");
  const shared = process.env.SONTINH_SHARED_DATA || path.join(repo, "../shared/data");
  // A camera with live video: an MJPEG stream of the shared camera images,
  // served here; the gateway relays it (and must never tell a page its address).
  const camera = await mjpegCamera([readFileSync(path.join(shared, "images/human.jpg")), readFileSync(path.join(shared, "images/vehicle.jpg"))]);
  const devices = JSON.parse(readFileSync(path.join(scenario, "devices.json"), "utf8"));
  const liveCamera = "cam-citadel-south-gate";
  devices.find((d) => d.id === liveCamera).stream_url = camera.url;
  writeFileSync(path.join(dir, "devices.json"), JSON.stringify(devices, null, 1));
  const touristDevices = devices.filter((d) => d.visible_to.includes("tourist")).map((d) => d.id);
  const operatorOnly = devices.filter((d) => !d.visible_to.includes("tourist") && d.visible_to.includes("operator")).map((d) => d.id);
  const operatorDevices = devices.filter((d) => d.visible_to.includes("operator")).length;
  if (!mosquitto) throw new Error("mosquitto is missing: tools/setup-debian.sh installs it");
  const broker = await startBroker(dir);
  const config = path.join(dir, "gateway.toml");
  writeFileSync(
    config,
    [
      `broker = "mqtt://127.0.0.1:${broker.port}"`,
      `listen = "127.0.0.1:0"`,
      `devices = "devices.json"`,
      `secret_file = "gateway.secret"`,
      `history = 10000`,
      `snapshots = ${JSON.stringify(path.join(shared, "images"))}`,
      `client_id = "sontinh-browser-test-${broker.port}"`,
      `[mqtt]`,
      `username = "sontinh-gateway"`,
      `password_file = "broker/passwords/sontinh-gateway"`,
      // The live flood warning, as the 2020 demo's config has it.
      `[warning]`,
      `scene = ${JSON.stringify(path.join(repo, "scenes/quang-tri-citadel.toml"))}`,
      `scenario = "thach-han-flood"`,
      `gauges = { "gauge-thach-han" = "thach-han" }`,
      "",
    ].join("\n"),
  );
  const token = (role, ...subject) => execFileSync(sontinh, ["feeds", "token", "--config", config, "--role", role, "--create-secret", ...subject], { cwd: repo, stdio: ["ignore", "pipe", "inherit"] }).toString().trim();
  const tourist = token("tourist");
  // Named: the gateway records who acknowledges an alarm.
  const operatorName = "Trực ban IOC";
  const operator = token("operator", "--subject", operatorName);
  const server = startServer(["scenes/quang-tri-citadel.toml", "--feeds", config]);
  try {
    const base = await until("the feeds server to print its URL", 60_000, async () => server.url());
    const stats = async () => {
      const response = await fetch(new URL("stats", base), { headers: { Authorization: `Bearer ${operator}` } }).catch(() => null);
      return response && response.ok ? response.json() : null;
    };
    await until("the gateway to subscribe to the broker", 30_000, async () => (await stats())?.subscribed === true);
    const replayed = execFileSync(sontinh, ["feeds", "replay", path.join(scenario, "observations.jsonl"), "--broker", `mqtt://127.0.0.1:${broker.port}`, "--credentials", path.join(dir, "broker"), "--speed", "0"], { cwd: repo, stdio: ["ignore", "pipe", "inherit"] }).toString();
    const sent = Number((replayed.match(/Replayed (\d+) messages/) || [])[1]);
    check(sent > 0, `feeds: the scenario was published to the broker (${replayed.trim()})`);
    const settled = await until("the gateway to take every replayed message", 60_000, async () => {
      const s = await stats();
      const rejected = s ? Object.values(s.rejected || {}).reduce((a, b) => a + b, 0) : 0;
      return s && s.accepted + rejected >= sent ? s : null;
    });
    report.feeds = { sent, accepted: settled.accepted };

    const t = await feedsPage(browser, base, tourist, "tourist", touristDevices.length);
    const leaked = operatorOnly.filter((id) => t.frames.some((f) => f.includes(`"${id}"`)));
    const touristSeen = touristDevices.filter((id) => t.frames.some((f) => f.includes(`"${id}"`)));
    report.feeds.tourist = { frames: t.frames.length, bytes: t.frames.reduce((n, f) => n + f.length, 0), page: t.feeds };
    check(/role=tourist/.test(t.feeds), `feeds: the tourist's page connected as a tourist (${t.feeds})`);
    check(touristSeen.length === touristDevices.length, `feeds: the tourist's page received its ${touristDevices.length} devices (${touristSeen.join(", ")})`);
    check(leaked.length === 0, `feeds: no frame the tourist's page received names an operator-only device (${t.frames.length} frames; leaked: ${leaked.join(", ") || "none"})`);
    const addresses = t.frames.filter((f) => f.includes("snapshot_url") || f.includes("/snapshots/") || f.includes("datastreams")).length;
    check(addresses === 0, `feeds: no frame the tourist's page received carries a camera address or datastream (${addresses} did)`);
    check(t.snapshots.length === 0, `feeds: the tourist's page fetched no camera snapshot (${t.snapshots.length})`);
    check(t.errors.length === 0, `feeds: the tourist's page logged no error${t.errors.length ? `: ${t.errors.slice(0, 3).join(" | ")}` : ""}`);
    // The replay rose past the alarm levels: the gateway's latest warning
    // reaches a page that connected afterwards, and its extent is outlined
    // on the twin ring for ring (counted here from the warning's GeoJSON).
    const warning = await (await fetch(new URL("warning", base), { headers: { Authorization: `Bearer ${operator}` } })).json();
    const rings = (warning.extent?.features || []).reduce((n, f) => n + (f.geometry?.type === "MultiPolygon" ? f.geometry.coordinates.reduce((k, p) => k + p.length, 0) : 0), 0);
    const outlined = await until("the tourist's page to outline the warned extent", 60_000, () =>
      t.page.evaluate(() => {
        const m = (document.documentElement.dataset.sontinhFeeds || "").match(/warning=(\d) outline=(\d+)/);
        return m && Number(m[2]) > 0 ? { alarm: Number(m[1]), rings: Number(m[2]) } : null;
      }),
    ).catch(() => null);
    report.feeds.warning = { alarm: warning.alarm_level, rings, outlined };
    check(rings > 0 && outlined?.alarm === warning.alarm_level && outlined?.rings === rings, `feeds: the flood warning reached the tourist's page and its extent is outlined (alarm ${outlined?.alarm} of ${warning.alarm_level}, ${outlined?.rings} rings drawn of the warning's ${rings})`);
    // The tab keeps the token: a reload without it is still signed in.
    await t.page.goto(`${base}?backend=webgl2&ui=1`);
    const again = await until("the reloaded page to sign in with the tab's token", LOAD_DEADLINE_MS, () =>
      t.page.evaluate(() => ((document.documentElement.dataset.sontinhFeeds || "").includes("history=complete") ? document.documentElement.dataset.sontinhFeeds : null)),
    ).catch(() => null);
    check(Boolean(again) && /role=tourist/.test(again), `feeds: a reload in the same tab signs in again with the token given before (${again})`);
    await t.context.close();

    const o = await feedsPage(browser, base, operator, "operator", operatorDevices);
    const operatorSeen = operatorOnly.filter((id) => o.frames.some((f) => f.includes(`"${id}"`)));
    report.feeds.operator = { frames: o.frames.length, bytes: o.frames.reduce((n, f) => n + f.length, 0), page: o.feeds };
    check(/role=operator/.test(o.feeds), `feeds: the operator's page connected as an operator (${o.feeds})`);
    check(operatorSeen.length === operatorOnly.length, `feeds: the operator's page received the operator-only devices (${operatorSeen.length} of ${operatorOnly.length})`);
    const fetched = await until("the operator's page to fetch camera snapshots", 60_000, async () => (o.snapshots.some((r) => r.status === 200) ? o.snapshots : null)).catch(() => o.snapshots);
    check(fetched.length > 0 && fetched.every((r) => r.status === 200 && r.bearer), `feeds: the operator's page fetched camera snapshots with its token in a header (${fetched.map((r) => `${new URL(r.url).pathname} ${r.status}${r.bearer ? " bearer" : ""}`).join(", ")})`);
    await o.page.screenshot({ path: path.join(out, "feeds-operator.webgl2.png"), timeout: 120_000 });
    // The dashboard at the 2020 peak (01:30, 18 October, Thạch Hãn at 7.40 m),
    // from the operations centre's viewpoint: every gauge carries its label.
    await o.page.setViewportSize({ width: 1600, height: 900 });
    await o.page.goto(`${base}?${new URLSearchParams({ backend: "webgl2", ui: "1", bookmark: "ioc", at: "2020-10-18T01:30:00+07:00" })}`);
    const peak = await until("the operator's page at the peak to label its devices", LOAD_DEADLINE_MS, () =>
      o.page.evaluate(() => {
        const text = document.documentElement.dataset.sontinhFeeds || "";
        const labels = Number((text.match(/labels=(\d+)/) || [])[1] || 0);
        return text.includes("history=complete") && labels >= 3 ? { text, labels } : null;
      }),
    ).catch(() => null);
    report.feeds.peak = peak;
    check(Boolean(peak), `feeds: at the 2020 peak the operator's page labels at least the three gauges (${peak?.text})`);
    await o.page.screenshot({ path: path.join(out, "feeds-dashboard-peak.webgl2.png"), timeout: 120_000 });
    // Live video: the operator opens the camera; frames come through the gateway.
    await o.page.goto(`${base}?${new URLSearchParams({ backend: "webgl2", ui: "1", bookmark: "south-gate", camera: liveCamera })}`);
    const video = await until("the operator's page to show live frames of the camera", LOAD_DEADLINE_MS, () =>
      o.page.evaluate(() => {
        const frames = Number(((document.documentElement.dataset.sontinhFeeds || "").match(/video=(\d+)/) || [])[1] || 0);
        return frames >= 5 ? frames : null;
      }),
    ).catch(() => null);
    report.feeds.video = { frames: video, cameraRequests: camera.requests.length };
    check(video >= 5, `feeds: the operator's page shows the camera's live video (${video} frames shown)`);
    check(camera.requests.length > 0 && camera.requests.every((r) => !r.authorization), `feeds: the camera was asked by the gateway only, never with a token (${camera.requests.length} requests)`);
    const leakedStream = o.frames.filter((f) => f.includes(camera.url) || f.includes("stream_url")).length;
    check(leakedStream === 0, `feeds: no frame the operator's page received names the camera's own address (${leakedStream} did)`);
    await o.page.screenshot({ path: path.join(out, "feeds-live-video.webgl2.png"), timeout: 120_000 });
    // The operator acknowledges the Thạch Hãn gauge's alarms from the page:
    // the gateway records them by name, and the period's report says so.
    await o.page.evaluate(() => window.sontinhViewer.acknowledgeAlarms("gauge-thach-han"));
    const acknowledged = await until("the gateway to record the page's acknowledgements", 60_000, () =>
      o.page.evaluate(() => Number(((document.documentElement.dataset.sontinhFeeds || "").match(/acknowledged=(\d+)/) || [])[1] || 0) || null),
    ).catch(() => 0);
    const recorded = await (await fetch(new URL("report?format=json&from=0", base), { headers: { Authorization: `Bearer ${operator}` } })).json();
    const byName = JSON.stringify(recorded).split(operatorName).length - 1;
    report.feeds.acknowledged = { page: acknowledged, inReport: byName };
    check(acknowledged > 0 && byName >= acknowledged, `feeds: the page's acknowledgements reached the gateway under the operator's name (${acknowledged} in the page, ${byName} in the report)`);
    const [download] = await Promise.all([o.page.waitForEvent("download", { timeout: 120_000 }), o.page.evaluate(() => window.sontinhViewer.feedReport("received"))]);
    const page = readFileSync(await download.path(), "utf8");
    check(/^sontinh-report-\d+-\d+\.html$/.test(download.suggestedFilename()) && page.includes("<html") && page.includes(operatorName), `feeds: the page's report downloads as printable HTML naming who acknowledged (${download.suggestedFilename()}, ${page.length} bytes)`);
    check(o.errors.length === 0, `feeds: the operator's page logged no error${o.errors.length ? `: ${o.errors.slice(0, 3).join(" | ")}` : ""}`);
    await o.context.close();
  } finally {
    server.child.kill();
    broker.child.kill();
    camera.close();
  }
}

// An MJPEG camera on 127.0.0.1:0: the given JPEGs in turn, ten a second,
// for as long as a client stays; each request's Authorization header noted.
async function mjpegCamera(jpegs) {
  const requests = [];
  const timers = new Set();
  const server = http.createServer((request, response) => {
    requests.push({ path: request.url, authorization: request.headers.authorization || null });
    response.writeHead(200, { "Content-Type": "multipart/x-mixed-replace; boundary=frame", "Cache-Control": "no-cache" });
    let k = 0;
    const send = () => {
      const jpeg = jpegs[k++ % jpegs.length];
      response.write(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
      response.write(jpeg);
      response.write("\r\n");
    };
    send();
    const timer = setInterval(send, 100);
    timers.add(timer);
    response.on("close", () => {
      clearInterval(timer);
      timers.delete(timer);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/live`,
    requests,
    close: () => {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      server.close();
    },
  };
}

// SONTINH_BROWSER_ONLY=autzen-lidar,feeds runs only the named checks (while
// working on one); the test command runs them all.
const only = process.env.SONTINH_BROWSER_ONLY ? process.env.SONTINH_BROWSER_ONLY.split(",") : null;
const wanted = (name) => !only || only.includes(name);
const backends = (process.env.SONTINH_BROWSER_BACKENDS || "webgl2,webgpu").split(",");

const server = startServer();
let browser;
try {
  const base = await until("sontinh serve to print its URL", 60_000, async () => server.url());
  browser = await chromium.launch({ executablePath: chromiumPath, args: browserArgs });
  if (wanted("quang-tri-citadel")) await sceneCheck(browser, base, { name: "quang-tri-citadel", scene: null, bookmark: null, citadel: true });
  // Terrain (SRTM .hgt), Draco and plain GLB, OBJ with its MTL: fetched over HTTP.
  if (wanted("relic-gallery")) await sceneCheck(browser, base, { name: "relic-gallery", scene: "scenes/relic-gallery.toml", bookmark: "gallery", glbModels: 2, fileJobs: { terrain: 1, obj: 2 } });
  // OGC 3D Tiles: an external tileset, b3dm with RTC centres, pnts behind a request volume, an implicit quadtree.
  if (wanted("cesium-tilesets")) await sceneCheck(browser, base, { name: "cesium-tilesets", scene: "scenes/cesium-tilesets.toml", bookmark: "city", fileJobs: { tile: 3 } });
  // LiDAR: a COPC file streamed by range requests, and a LAZ the server converted to COPC at start.
  if (wanted("lone-star-geyser")) await sceneCheck(browser, base, { name: "lone-star-geyser", scene: "scenes/lone-star-geyser.toml", bookmark: "overview", eyeDome: true });
  if (wanted("lone-star-geyser")) rangesOnlyCheck(server.log, "lone-star-geyser", "/shared/lidar/lone-star.copc.laz");
  if (wanted("autzen-lidar")) await sceneCheck(browser, base, { name: "autzen-lidar", scene: "scenes/autzen-lidar.toml", bookmark: "overview", eyeDome: true });
  if (wanted("autzen-lidar")) rangesOnlyCheck(server.log, "autzen-lidar", "/shared/lidar/autzen_trim.laz");
  // Terrain alone: the SRTM tile around Mount Washington, built in a worker.
  if (wanted("mount-washington")) await sceneCheck(browser, base, { name: "mount-washington", scene: "scenes/mount-washington.toml", bookmark: "summit", fileJobs: { terrain: 1, vector: 1 } });
  if (wanted("point-budget")) await pointBudgetCheck(browser, base, "webgl2");
  // Vector and city layers: a CityJSON LoD1 model (Delft), LoD2 semantic
  // surfaces (Zürich), the provinces' outlines and fills over the ellipsoid.
  if (wanted("delft-city")) await sceneCheck(browser, base, { name: "delft-city", scene: "scenes/delft-city.toml", bookmark: "overview", fileJobs: { vector: 1 } });
  if (wanted("zurich-city")) await sceneCheck(browser, base, { name: "zurich-city", scene: "scenes/zurich-city.toml", bookmark: "overview", fileJobs: { vector: 1 } });
  if (wanted("quang-tri-province")) await sceneCheck(browser, base, { name: "quang-tri-province", scene: "scenes/quang-tri-province.toml", bookmark: "province", fileJobs: { vector: 2 } });
  if (wanted("feature")) await featureCheck(browser, base);
  // An orthophoto draped over terrain, on both bundles.
  if (wanted("drape")) await drapeCheck(browser, backends);
  // The WebGPU bundle (built by tools/build-web.sh --backend both): the
  // loader's own choice, then every scene again.
  if (backends.includes("webgpu") && wanted("webgpu")) {
    if (!bundles.webgpu) throw new Error("the WebGPU bundle is missing from web/dist: run tools/build-web.sh --backend both (or set SONTINH_BROWSER_BACKENDS=webgl2)");
    // The loader's own choice: WebGPU here, and WebGL2 if the WebGPU device fails.
    const context = await browser.newContext({ viewport: { width: 640, height: 360 } });
    const { page } = await openPage(context, `${base}?ui=0`);
    const result = await waitReady(page, "the page on the loader's own choice of bundle");
    const chosen = await page.evaluate(() => [document.documentElement.dataset.sontinhBackend, sessionStorage.getItem("sontinh-webgpu-failed")]);
    report.auto_backend = { backend: chosen[0], webgpu_failed: chosen[1] === "1" };
    check(!result.error, `auto: the page drew on the bundle the loader chose (${chosen[0]}${chosen[1] ? ", after the WebGPU device failed" : ""}; ${result.error || "ok"})`);
    await context.close();
    await sceneCheck(browser, base, { name: "quang-tri-citadel", scene: null, bookmark: null, citadel: true, backend: "webgpu" });
    await sceneCheck(browser, base, { name: "relic-gallery", scene: "scenes/relic-gallery.toml", bookmark: "gallery", glbModels: 2, fileJobs: { terrain: 1, obj: 2 }, backend: "webgpu" });
    await sceneCheck(browser, base, { name: "cesium-tilesets", scene: "scenes/cesium-tilesets.toml", bookmark: "city", fileJobs: { tile: 3 }, backend: "webgpu" });
    await sceneCheck(browser, base, { name: "lone-star-geyser", scene: "scenes/lone-star-geyser.toml", bookmark: "overview", eyeDome: true, backend: "webgpu" });
    await sceneCheck(browser, base, { name: "autzen-lidar", scene: "scenes/autzen-lidar.toml", bookmark: "overview", eyeDome: true, backend: "webgpu" });
    await sceneCheck(browser, base, { name: "mount-washington", scene: "scenes/mount-washington.toml", bookmark: "summit", fileJobs: { terrain: 1, vector: 1 }, backend: "webgpu" });
    await pointBudgetCheck(browser, base, "webgpu");
  }
  if (wanted("phone")) await touchCheck(browser, base);
  if (wanted("tour")) await tourCheck(browser, base, { openPage, waitReady, until, check, report, repo, out });
  // WebXR with an emulated headset (iwer): VR, AR, teleports, pacing, the magic window.
  if (wanted("xr")) await xrCheck(browser, base, { openPage, waitReady, until, check, report, repo, out, PNG });
  if (wanted("measure")) await measureCheck(browser, base);
  if (wanted("lost-context")) await lostContextCheck(browser, base);
  if (wanted("flood")) await floodCheck(browser);
  if (wanted("flood-run") || (only && only.includes("flood-run-citadel"))) await floodRunCheck(browser, backends);
  if (wanted("feeds")) await feedsCheck(browser);
} catch (error) {
  check(false, `the browser tests ran to the end (${error.message})`);
} finally {
  if (browser) await browser.close();
  server.child.kill();
}
writeFileSync(path.join(out, "report.json"), JSON.stringify(report, null, 2));
console.log(`\nfigures in ${path.join(out, "report.json")}`);
if (failures.length) {
  console.error(`${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log("all browser checks passed");
