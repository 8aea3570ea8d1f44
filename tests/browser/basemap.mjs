// A base map in the browser: a PMTiles file (tools/make_basemap_tiles.py:
// each quadrant around the scene's origin its own colour, Pillow's PNGs in
// Protomaps' writer's file, with leaf directories) served by `sontinh serve`
// and read by HTTP range requests only; each quadrant's colour must show in
// its quarter of the frame (the camera looks north at the origin from the
// south, so north-east is the upper right).
//
//   node tests/browser/basemap.mjs     (after tools/build-web.sh and cargo build -p sontinh)
//
// Exits non-zero on any failed check; every wait has a deadline.

import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(repo, "web/package.json"));
const { chromium } = require("playwright-core");
const { PNG } = require("pngjs");

const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(repo, process.env.CARGO_TARGET_DIR) : path.join(repo, "target");
const sontinh = path.join(targetDir, "debug/sontinh");
const chromiumPath = process.env.SONTINH_CHROMIUM || "/usr/bin/chromium";
const DEADLINE_MS = Number(process.env.SONTINH_BROWSER_DEADLINE_MS || 300_000);
const backend = process.env.SONTINH_BROWSER_BACKEND || "webgl2";
const out = path.join(repo, "out/browser/basemap");
mkdirSync(out, { recursive: true });

const failures = [];
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
}
for (const [file, how] of [
  [sontinh, "cargo build -p sontinh"],
  [path.join(repo, "web/dist/bundles.json"), "tools/build-web.sh"],
  [path.join(repo, ".venv/bin/python"), "tools/setup-debian.sh"],
]) {
  if (!existsSync(file)) {
    console.error(`error: ${file} is missing: ${how}`);
    process.exit(1);
  }
}

async function until(what, deadlineMs, probe) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

execFileSync(path.join(repo, ".venv/bin/python"), [path.join(repo, "tools/make_basemap_tiles.py"), "quadrants", out, "107.194", "16.747", "17", "0.05"], { stdio: ["ignore", "ignore", "inherit"] });
const scene = path.join(out, "basemap.toml");
writeFileSync(
  scene,
  `format = 1
[site]
id = "basemap"
name = { vi = "Bản đồ nền (kiểm thử)", en = "Base map (test)" }
description = { vi = "", en = "" }
[origin]
crs = "EPSG:4326"
position = [107.194, 16.747, 0.0]
[[bookmark]]
id = "above"
name = { vi = "Trên cao", en = "Above" }
eye = [0.0, -700.0, 1500.0]
target = [0.0, 0.0, 0.0]
[[layer]]
id = "map"
kind = "basemap"
name = { vi = "Bản đồ", en = "Map" }
path = "tiles.pmtiles"
max_zoom = 17
attribution = "test tiles"
`,
);

const child = spawn(sontinh, ["serve", "--port", "0", "--bundle", "web/dist", scene], { cwd: repo, stdio: ["ignore", "pipe", "inherit"] });
const log = [];
let base = null;
let buffered = "";
child.stdout.on("data", (chunk) => {
  buffered += chunk;
  const lines = buffered.split("\n");
  buffered = lines.pop();
  for (const line of lines) {
    log.push(line);
    const match = line.match(/open (http:\/\/\S+\/)/);
    if (match) base = match[1];
  }
});

const quarter = (png, fx, fy) => {
  const [x, y] = [Math.floor(fx * png.width), Math.floor(fy * png.height)];
  const i = (y * png.width + x) * 4;
  const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]].map((c) => c > 128);
  return r && !g && !b ? "red" : !r && g && !b ? "green" : !r && !g && b ? "blue" : r && g && !b ? "yellow" : `none (${[png.data[i], png.data[i + 1], png.data[i + 2]]})`;
};

let browser;
try {
  await until("the server to print its URL", 60_000, async () => base);
  browser = await chromium.launch({ executablePath: chromiumPath, args: ["--headless=new", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist", "--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader", "--enable-features=Vulkan", "--use-vulkan=swiftshader"] });
  const context = await browser.newContext({ viewport: { width: 640, height: 400 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(`${base}?${new URLSearchParams({ scene: "scenes/basemap.toml", ui: "0", backend })}`);
  const state = await until("the page to be ready", DEADLINE_MS, () =>
    page.evaluate(() => {
      const s = document.documentElement.dataset.sontinhState;
      return s === "error" ? { error: document.documentElement.dataset.sontinhError } : s === "ready" ? { ready: true } : null;
    }),
  );
  check(!state.error, `basemap: the page opened (${state.error || "ok"})`);
  const layers = await page.evaluate(() => document.documentElement.dataset.sontinhLayers || "");
  check(/map=ready/.test(layers), `basemap: the map layer is ready in the browser (${layers.replace(/\n/g, "; ")})`);
  // A few frames more for the last tiles to show.
  const frames = Number(await page.evaluate(() => document.documentElement.dataset.sontinhFrames || 0));
  await until("ten more frames", 60_000, async () => Number(await page.evaluate(() => document.documentElement.dataset.sontinhFrames || 0)) > frames + 10);
  const file = path.join(out, `basemap.${backend}.png`);
  await page.locator("#sontinh-canvas").screenshot({ path: file });
  const png = PNG.sync.read(readFileSync(file));
  for (const [fx, fy, want] of [[0.75, 0.25, "red"], [0.25, 0.25, "green"], [0.25, 0.8, "blue"], [0.75, 0.8, "yellow"]]) {
    const got = quarter(png, fx, fy);
    check(got === want, `basemap: the ${want} quadrant shows at (${fx}, ${fy}) of the frame (${got})`);
  }
  // Tiles never overlap: overlapping ones fight for depth near the quadrants' edges (seen before parents were stretched instead).
  const steps = [0.05, 0.15, 0.25, 0.35, 0.44, 0.47];
  const wrong = [];
  for (const [east, north, want] of [[true, true, "red"], [false, true, "green"], [false, false, "blue"], [true, false, "yellow"]]) {
    for (const a of steps) {
      for (const b of steps) {
        const [fx, fy] = [east ? 1 - a : a, north ? b : 1 - b];
        const got = quarter(png, fx, fy);
        if (got !== want) wrong.push(`(${fx.toFixed(2)}, ${fy.toFixed(2)}) ${got} for ${want}`);
      }
    }
  }
  check(wrong.length === 0, `basemap: every sampled point shows its quadrant's colour, up to 3% of the frame from the edges (${wrong.length} of 144 wrong${wrong.length ? `: ${wrong.slice(0, 4).join("; ")}` : ""})`);
  const requests = log.filter((line) => line.startsWith("GET /scenes/tiles.pmtiles "));
  const ranged = requests.filter((line) => / range=bytes=\d+-\d+ (206|304)$/.test(line));
  check(requests.length > 2 && ranged.length === requests.length, `basemap: tiles.pmtiles fetched by ranges only (${ranged.length} of ${requests.length} requests)`);
  check(errors.length === 0, `basemap: no console error${errors.length ? `: ${errors.slice(0, 3).join(" | ")}` : ""}`);
} catch (e) {
  check(false, `basemap: ${e.message}`);
} finally {
  if (browser) await browser.close();
  child.kill();
}
if (failures.length) {
  console.error(`${failures.length} check(s) failed`);
  process.exit(1);
}
