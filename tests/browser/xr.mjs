// WebXR in the page (web/xr.js with the viewer's xrBegin/xrFrame/xrEnd),
// driven by an emulated Meta Quest 3: npm's `iwer` (Meta's Immersive Web
// Emulation Runtime) and, for AR hit tests, `@iwer/sem`.
//
// What IWER 2.5.0 is and does (read from its build and type definitions):
// - build/iwer.min.js is a UMD script that defines the global `IWER`: injected
//   before the page's scripts with context.addInitScript({ path }).
//   `new IWER.XRDevice(IWER.metaQuest3, { stereoEnabled: true })`, then
//   `installRuntime({ forceInstall: true })` (Chromium has a native
//   navigator.xr, which IWER otherwise leaves alone with a warning) replaces
//   navigator.xr, XRSession, XRWebGLLayer, … and the contexts'
//   makeXRCompatible. Stereo is off unless asked for; the IPD is 0.063 m,
//   the vertical field of view π/2 (device.ipd, device.fovy).
// - Poses are in its global space: `local-floor` is that space (floor at
//   y = 0), `local` is the headset's pose when asked for. The headset starts
//   at (0, 1.6, 0) looking down -z; device.position / device.quaternion
//   (set(x, y, z[, w])) move it. Controllers: device.controllers.left/right
//   with position/quaternion (their target ray, down -z) and
//   updateButtonValue("trigger" | "squeeze" | "thumbstick" | "a-button" |
//   "b-button" | "thumbrest", v), updateAxes("thumbstick", x, y). xr-standard
//   order: buttons[0] trigger, [1] squeeze, [3] thumbstick, [4] A, [5] B;
//   axes [2], [3] the thumbstick ([0], [1] are null: no touchpad). A trigger
//   going from 0 to > 0 dispatches `select` (and selectstart) at the next
//   frame's start, squeeze likewise `squeeze`. Hands: device.primaryInputMode
//   = "hand" swaps the controllers for XRHand sources (pinch -> select).
// - XRWebGLLayer: framebuffer is null (the page's canvas itself is the
//   layer), framebufferWidth/Height the context's drawing buffer. When the
//   base layer is set, IWER moves the canvas into a fixed full-window
//   container (z-index 999) and sets canvas.width/height to
//   window.innerWidth/innerHeight; viewports: left eye [0, 0, w/2, h], right
//   [w/2, 0, w/2, h] (bottom-left origin). It draws nothing itself: the app
//   draws both eyes into the canvas. Each frame it clears the canvas first.
//   At the session's end it puts the canvas back (size too) and fires resize.
//   No DevUI is needed (it is a separate package, not used here).
// - Frames: the session's frame loop runs from window.requestAnimationFrame
//   (looked up on globalThis at each frame): a page that holds back window
//   frames during a session must still let IWER's through (web/xr.js
//   queues only the viewer's).
// - immersive-ar is offered; hit-test needs a Synthetic Environment Module:
//   `@iwer/sem` (build/iwer-sem.min.js, UMD, global IWER_SEM, needs IWER
//   first): device.installSEM(IWER_SEM.SyntheticEnvironmentModule), then
//   device.sem.loadEnvironment(json) with a room captured in the package
//   (captures/office_small.json; loadDefaultEnvironment fetches from a CDN,
//   which these tests cannot reach). Hit tests ray-cast the room's planes
//   and meshes (three.js, on a WebGL canvas of its own behind the app's).
//
// Called from run.mjs (SONTINH_BROWSER_ONLY=xr); every wait has a deadline.

import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

// The Citadel's inner ground (ENU up, metres; the plain outside the walls
// is within half a metre of it: the teleports compare with the ground under
// the session's start) and its south wall's footprint (procgen citadel
// layout: a 500 m square, walls 12 m thick with vertical faces).
const GROUND_UP = 4.06;
const SOUTH_WALL = { n: [-256, -244], e: [-250, 250], gate: 1.7 };
// The eyes of the Citadel's tour's first two stops' bookmarks (scenes/quang-tri-citadel.toml).
const BOOKMARK_EYES = { overview: [620, -820, 430], plan: [-200, -1, 2400] };

// ---- small vector and quaternion helpers ([x, y, z], [x, y, z, w]) ----
const sub = (a, b) => a.map((v, i) => v - b[i]);
const add = (a, b) => a.map((v, i) => v + b[i]);
const scale = (a, s) => a.map((v) => v * s);
const len = (a) => Math.hypot(...a);
const norm = (a) => scale(a, 1 / len(a));
/** The horizontal heading (degrees from north, clockwise) of an ENU vector. */
const headingDeg = (enu) => (Math.atan2(enu[0], enu[1]) * 180) / Math.PI;
const angleDiff = (a, b) => Math.abs(((a - b + 540) % 360) - 180);
/** The heading (degrees from north, clockwise) of an orientation's -z (render frame). */
const yawToHeading = (q) => headingDeg(renderToEnu(rotate(q, [0, 0, -1])));
function qmul(a, b) {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz];
}
const conj = (q) => [-q[0], -q[1], -q[2], q[3]];
const rotate = (q, v) => qmul(qmul(q, [...v, 0]), conj(q)).slice(0, 3);
/** The orientation whose -z points along `dir` (no roll). */
function lookQuat(dir) {
  const d = norm(dir);
  const yaw = Math.atan2(-d[0], -d[2]);
  const pitch = Math.asin(Math.max(-1, Math.min(1, d[1])));
  return qmul([0, Math.sin(yaw / 2), 0, Math.cos(yaw / 2)], [Math.sin(pitch / 2), 0, 0, Math.cos(pitch / 2)]);
}
/** Yaw (degrees, counter-clockwise from above) of an orientation's -z. */
function yawDeg(q) {
  const f = rotate(q, [0, 0, -1]);
  return (Math.atan2(-f[0], -f[2]) * 180) / Math.PI;
}
const rotY = (a, v) => [Math.cos(a) * v[0] + Math.sin(a) * v[2], v[1], -Math.sin(a) * v[0] + Math.cos(a) * v[2]];
const enuToRender = ([e, n, u]) => [e, u, -n];
const renderToEnu = ([x, y, z]) => [x, -z, y];
// The placement: a reference point p is at origin + R(yaw) * (scale * p) in the render frame.
function refFromEnu(enu, placement) {
  const yaw = (placement.yaw_deg * Math.PI) / 180;
  return rotY(-yaw, scale(sub(enuToRender(enu), placement.origin), 1 / placement.scale));
}
function enuDeltaFromRef(delta, placement) {
  const yaw = (placement.yaw_deg * Math.PI) / 180;
  return renderToEnu(scale(rotY(yaw, delta), placement.scale));
}
const fmt = (a, digits = 2) => `[${a.map((v) => Number(v).toFixed(digits)).join(", ")}]`;

// ---- images ----
function crop(PNG, png, [x, y, w, h]) {
  const out = new PNG({ width: w, height: h });
  for (let row = 0; row < h; row++) png.data.copy(out.data, row * w * 4, ((y + row) * png.width + x) * 4, ((y + row) * png.width + x + w) * 4);
  return out;
}
function luma(png) {
  const l = new Float32Array(png.width * png.height);
  for (let i = 0; i < l.length; i++) l[i] = 0.2126 * png.data[i * 4] + 0.7152 * png.data[i * 4 + 1] + 0.0722 * png.data[i * 4 + 2];
  return l;
}
function meanAbsDiff(a, b) {
  if (a.width !== b.width || a.height !== b.height) return Infinity;
  const la = luma(a);
  const lb = luma(b);
  let sum = 0;
  for (let i = 0; i < la.length; i++) sum += Math.abs(la[i] - lb[i]);
  return sum / la.length;
}
/** The horizontal shift of the patch around (x, y) of `left` found in `right` (SAD), and the patch's contrast. */
// The search stays within ±16 px: brick courses repeat every 25-30 px.
function blockShift(left, right, x, y, { half = 16, search = 16 } = {}) {
  const [l, r] = [luma(left), luma(right)];
  const w = left.width;
  x = Math.round(x);
  y = Math.round(y);
  if (x - half < 0 || y - half < 0 || x + half >= w || y + half >= left.height) return { shift: null, contrast: 0 };
  let mean = 0;
  for (let dy = -half; dy <= half; dy++) for (let dx = -half; dx <= half; dx++) mean += l[(y + dy) * w + x + dx];
  mean /= (2 * half + 1) ** 2;
  let contrast = 0;
  for (let dy = -half; dy <= half; dy++) for (let dx = -half; dx <= half; dx++) contrast += (l[(y + dy) * w + x + dx] - mean) ** 2;
  contrast = Math.sqrt(contrast / (2 * half + 1) ** 2);
  let best = { shift: null, sad: Infinity };
  for (let s = -search; s <= search; s++) {
    if (x + s - half < 0 || x + s + half >= right.width) continue;
    let sad = 0;
    for (let dy = -half; dy <= half; dy++) for (let dx = -half; dx <= half; dx++) sad += Math.abs(l[(y + dy) * w + x + dx] - r[(y + dy) * right.width + x + s + dx]);
    if (sad < best.sad) best = { shift: s, sad };
  }
  return { shift: best.shift, contrast };
}
/** A reference-space point in a view's canvas pixels (top-left origin), from IWER's view pose and projection. */
function project(view, ref) {
  const local = rotate(conj(view.q), sub(ref, view.p));
  const m = view.proj;
  const cx = m[0] * local[0] + m[4] * local[1] + m[8] * local[2] + m[12];
  const cy = m[1] * local[0] + m[5] * local[1] + m[9] * local[2] + m[13];
  const cw = m[3] * local[0] + m[7] * local[1] + m[11] * local[2] + m[15];
  const [vx, vy, vw, vh] = view.vp;
  return { x: vx + ((cx / cw + 1) / 2) * vw, y: vy + ((1 - cy / cw) / 2) * vh, front: cw > 0 };
}

export async function xrCheck(browser, base, { openPage, waitReady, until, check, report, repo, out, PNG }) {
  const iwerScript = path.join(repo, "web/node_modules/iwer/build/iwer.min.js");
  const semScript = path.join(repo, "web/node_modules/@iwer/sem/build/iwer-sem.min.js");
  const room = JSON.parse(readFileSync(path.join(repo, "web/node_modules/@iwer/sem/captures/office_small.json"), "utf8"));
  const figures = (report.xr = {});
  // Small enough for software rendering, wide enough for a parallax of several pixels.
  const [width, height] = [800, 450];

  /** A context whose pages have an emulated Quest 3 (stereo) before any script runs. */
  async function headsetContext() {
    const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
    await context.addInitScript({ path: iwerScript });
    await context.addInitScript(() => {
      const device = new window.IWER.XRDevice(window.IWER.metaQuest3, { stereoEnabled: true });
      device.installRuntime({ forceInstall: true });
      window.__iwerDevice = device;
    });
    return context;
  }
  const status = (page) => page.evaluate(() => JSON.parse(document.documentElement.dataset.sontinhXr || "null"));
  const openArticle = (page) => page.evaluate(() => document.documentElement.dataset.sontinhArticle || null);
  const xrMessage = (page) => page.evaluate(() => document.getElementById("xr-message")?.textContent || "");
  const canvasSize = (page) => page.evaluate(() => [document.getElementById("sontinh-canvas").width, document.getElementById("sontinh-canvas").height]);
  /** The left and right halves of a w × h canvas (the right eye takes an odd pixel). */
  const halves = (w, h) => [[0, 0, Math.floor(w / 2), h], [Math.floor(w / 2), 0, w - Math.floor(w / 2), h]];
  const frames = async (page) => ((await status(page)) || {}).frames || 0;
  // Software rendering of the Citadel can take seconds a frame: few frames, long deadlines.
  const moreFrames = async (page, what, n = 2, ms = 120_000) => {
    const from = await frames(page);
    return until(what, ms, async () => (await frames(page)) >= from + n);
  };
  const setHead = (page, p, q) => page.evaluate(([p, q]) => {
    window.__iwerDevice.position.set(...p);
    window.__iwerDevice.quaternion.set(...q);
  }, [p, q]);
  const setController = (page, hand, p, q) => page.evaluate(([hand, p, q]) => {
    const c = window.__iwerDevice.controllers[hand];
    c.position.set(...p);
    c.quaternion.set(...q);
  }, [hand, p, q]);
  const press = (page, hand, id, value) => page.evaluate(([hand, id, value]) => window.__iwerDevice.controllers[hand].updateButtonValue(id, value), [hand, id, value]);
  const stick = (page, hand, x, y) => page.evaluate(([hand, x, y]) => window.__iwerDevice.controllers[hand].updateAxes("thumbstick", x, y), [hand, x, y]);
  const endSession = (page) => page.evaluate(() => window.__iwerDevice.activeSession && window.__iwerDevice.activeSession.end());
  // A frame can take seconds in software rendering: screenshots wait long.
  const screenshot = async (page) => PNG.sync.read(await page.screenshot({ timeout: 180_000 }));
  /** The page's ordinary (mono) frame rate over `seconds`, from window frames. */
  const monoFrames = (page, seconds) =>
    page.evaluate((seconds) => new Promise((resolve) => {
      const times = [];
      const tick = (t) => {
        times.push(t);
        if (t - times[0] < seconds * 1000) requestAnimationFrame(tick);
        else {
          const gaps = times.slice(1).map((v, i) => v - times[i]).sort((a, b) => a - b);
          const round = (v) => Math.round(v * 100) / 100;
          resolve({ frames: times.length, seconds: round((t - times[0]) / 1000), fps: round((times.length - 1) / ((t - times[0]) / 1000)), ms_mean: round(gaps.reduce((s, v) => s + v, 0) / gaps.length), ms_p95: round(gaps[Math.floor(gaps.length * 0.95)]), ms_max: round(gaps[gaps.length - 1]) });
        }
      };
      requestAnimationFrame(tick);
    }), seconds);
  /** Enters VR by the page's button; the status once frames run, or null. */
  async function enterVr(page, name) {
    const shown = await page.waitForSelector("#xr-enter-vr:not([hidden])", { timeout: 60_000 }).then(() => true, () => false);
    check(shown, `xr: ${name}: the "Enter VR" button is shown (${shown ? "yes" : "no: " + (await page.evaluate(() => document.getElementById("xr-toolbar")?.outerHTML || "no toolbar"))})`);
    if (!shown) return null;
    await page.click("#xr-enter-vr");
    const started = await until(`${name}: the VR session to start`, 60_000, async () => {
      const s = await status(page);
      return s && s.mode === "vr" && s.frames > 0 ? s : null;
    }).catch(() => null);
    const later = started ? await moreFrames(page, `${name}: XR frames to go on`, 5).then(() => status(page), () => null) : null;
    const message = await xrMessage(page);
    check(Boolean(later), `xr: ${name}: a click on "Enter VR" starts the session (mode ${started ? started.mode : "?"}, frames ${started ? started.frames : "?"} -> ${later ? later.frames : "?"}, ${later ? later.views : "?"} views${message ? `; page says: ${message}` : ""})`);
    return later;
  }
  /** 10 s in VR: the XR frames' figures. Compared with the page's mono frames
   * by frame interval: the XR callback's own duration (the viewer's update
   * and its GL calls) leaves out the GPU's work, which runs after it. */
  async function pacing(page, name) {
    const stereo = await until(`${name}: 10 s of XR frames`, 120_000, async () => {
      const s = await page.evaluate(() => window.sontinhXrStats());
      return s.seconds >= 10 ? s : null;
    }).catch(() => null);
    return stereo;
  }

  // ---- the Citadel at the south gate, at eye level ----
  const context = await headsetContext();
  const { page, errors } = await openPage(context, `${base}?backend=webgl2&quality=low&bookmark=south-gate-eye`);
  const ready = await waitReady(page, "the XR page");
  check(!ready.error, `xr: the Citadel page opened with an emulated Quest 3 (${ready.error || "ok"})`);
  const viewBefore = await page.evaluate(() => document.documentElement.dataset.sontinhView || "");
  // Frame pacing is a figure, not a check: measured when asked for
  // (SONTINH_XR_PACING=1), not in every run of the suite.
  const measurePacing = process.env.SONTINH_XR_PACING === "1";
  const mono = measurePacing ? await monoFrames(page, 10) : null;
  figures.citadel_mono = mono;
  if (!measurePacing) console.log("xr: pacing figures not measured (SONTINH_XR_PACING=1 measures them)");

  // 1) Enter VR.
  let s = await enterVr(page, "Citadel");
  if (s) {
    // 7) Pacing: the XR frames' own figures (viewer update and both eyes).
    await page.evaluate(() => window.sontinhXrStats(true));
    const stereo = measurePacing ? await pacing(page, "Citadel") : null;
    figures.citadel_vr = stereo;
    if (measurePacing) check(Boolean(stereo) && stereo.fps > 0, `xr: pacing, Citadel: mono ${mono.fps} fps (${mono.ms_mean} ms a frame, p95 ${mono.ms_p95}); VR ${stereo ? `${stereo.fps} fps (${(1000 / stereo.fps).toFixed(1)} ms a frame), the XR frame's own work ${stereo.ms_mean} ms (p95 ${stereo.ms_p95}, max ${stereo.ms_max}); stereo/mono ${(1000 / stereo.fps / mono.ms_mean).toFixed(2)}× by frame interval` : "no figures"}`);

    const start = await status(page);
    const placement = start.placement;
    figures.start = { placement, head_enu: start.head_enu, eyes: start.eyes };
    const head0 = await page.evaluate(() => [window.__iwerDevice.position.x, window.__iwerDevice.position.y, window.__iwerDevice.position.z]);
    const q0 = [0, 0, 0, 1];

    // 3) Head motion: 0.5 m forward (-z), then 0.5 m right (+x), in the reference space.
    for (const [what, delta] of [["forward", [0, 0, -0.5]], ["right", [0.5, 0, 0]]]) {
      const before = await status(page);
      const imageBefore = await screenshot(page);
      const target = add(await page.evaluate(() => [window.__iwerDevice.position.x, window.__iwerDevice.position.y, window.__iwerDevice.position.z]), delta);
      await setHead(page, target, q0);
      await moreFrames(page, `the head moved ${what}`, 4).catch(() => null);
      const after = await status(page);
      const moved = sub(after.head_enu, before.head_enu);
      const expected = enuDeltaFromRef(delta, before.placement);
      const diff = meanAbsDiff(imageBefore, await screenshot(page));
      check(len(sub(moved, expected)) < 0.02 && diff > 0.5, `xr: moving the head 0.5 m ${what} moves head_enu by ${fmt(moved)} (expected ${fmt(expected)} for yaw ${before.placement.yaw_deg.toFixed(1)}°) and changes the image (mean luma difference ${diff.toFixed(2)})`);
    }
    await setHead(page, head0, q0);
    await moreFrames(page, "the head back", 3).catch(() => null);

    // 2) Both eyes, and their parallax at a known point brought to 2.5 m:
    // the south wall's outer face 12 m east of the gate (clear of the
    // gatehouse), 2 m above the ground. Not a hotspot: the Citadel's float
    // in the air (the south gate's is 6 m before the wall, 19 m up), so the
    // patch around one is sky at infinity, with no parallax to measure.
    s = await status(page);
    const localGround = s.placement.origin[1];
    const points = [{ what: "the south wall's face", enu: [12, SOUTH_WALL.n[0], localGround + 2] }];
    let parallax = null;
    for (const point of points) {
      s = await status(page);
      const pointRef = refFromEnu(point.enu, s.placement);
      const dir = norm(sub(pointRef, head0));
      await setHead(page, sub(pointRef, scale(dir, 2.5)), lookQuat(dir));
      await moreFrames(page, `the head 2.5 m from ${point.what}`, 3).catch(() => null);
      // The emulator clears the canvas at each XR frame: the viewer draws
      // inside every one, so no capture is blank.
      const image = await screenshot(page);
      const blank = luma(image).every((v, i, l) => Math.abs(v - l[0]) < 1);
      check(!blank, `xr: a capture in VR shows the viewer's drawing, not the emulator's cleared canvas`);
      const views = await page.evaluate(() => window.sontinhXrLastViews);
      const [left, right] = ["left", "right"].map((e) => views.find((v) => v.eye === e));
      if (!left || !right) {
        parallax = { point, views };
        break;
      }
      const [leftImage, rightImage] = [left, right].map((v) => crop(PNG, image, v.vp));
      const [pl, pr] = [project(left, pointRef), project(right, pointRef)];
      const predicted = pr.x - right.vp[0] - (pl.x - left.vp[0]);
      const found = blockShift(leftImage, rightImage, pl.x - left.vp[0], pl.y - left.vp[1]);
      parallax = { point, views, left, right, leftImage, rightImage, predicted, found, pl, pr, status: await status(page) };
      if (found.contrast > 4) break;
    }
    if (!parallax || !parallax.left || !parallax.right) {
      check(false, `xr: two eyes (views: ${parallax ? parallax.views.map((v) => v.eye).join(", ") || "none" : "none"})`);
    } else {
      const { point, left, right, leftImage, rightImage, predicted, found, pl, pr } = parallax;
      writeFileSync(path.join(out, "xr-vr-left.png"), PNG.sync.write(leftImage));
      writeFileSync(path.join(out, "xr-vr-right.png"), PNG.sync.write(rightImage));
      const differ = meanAbsDiff(leftImage, rightImage);
      figures.parallax = { point: point.what, enu: point.enu, left_px: [pl.x, pl.y], right_px: [pr.x, pr.y], predicted_px: predicted, measured_px: found.shift, contrast: found.contrast, eyes_differ: differ, status_eyes: parallax.status.eyes };
      check(differ > 0.5, `xr: the two eyes' images differ (mean luma difference ${differ.toFixed(2)}; out/browser/xr-vr-left.png, xr-vr-right.png)`);
      check(found.shift !== null && found.contrast > 4 && Math.abs(found.shift - predicted) <= 2, `xr: parallax at ${point.what} 2.5 m ahead: the patch moves ${found.shift} px between the eyes, the eye offset predicts ${predicted.toFixed(2)} px (patch contrast ${found.contrast.toFixed(1)})`);
    }
    if (parallax && parallax.left && parallax.right) {
      const { left, right } = parallax;
      const eyes = parallax.status.eyes || [];
      const eyesOk = eyes.length === 2 && eyes.every((e, i) => e.vp.every((v, k) => Math.abs(v - [left, right][i].vp[k]) <= 1));
      check(eyesOk, `xr: the viewer's eyes use the session's viewports (${eyes.map((e) => fmt(e.vp, 0)).join(" ")} vs ${fmt(left.vp, 0)} ${fmt(right.vp, 0)})`);
    }
    await setHead(page, head0, q0);
    await moreFrames(page, "the head back", 2).catch(() => null);

    // 4) The right controller aimed at a hotspot, trigger pulled: its article opens.
    s = await status(page);
    const aimAt = s.hotspots.find((h) => h.id === "south-gate") || s.hotspots[0];
    if (aimAt) {
      const hand = add(head0, [0.2, -0.3, -0.3]);
      const target = refFromEnu(aimAt.enu, s.placement);
      await setController(page, "right", hand, lookQuat(sub(target, hand)));
      await moreFrames(page, "the controller aimed", 3).catch(() => null);
      const imageBefore = await screenshot(page);
      await press(page, "right", "trigger", 1);
      const article = await until("the hotspot's article", 30_000, () => openArticle(page)).catch(() => null);
      await press(page, "right", "trigger", 0);
      const after = await status(page);
      check(article === aimAt.id, `xr: the trigger with the right controller on the "${aimAt.id}" hotspot opens its article (${article || "none"}; selected_hotspot ${after.selected_hotspot})`);

      // The article in the headset: a panel hung from the head (1.2 m
      // ahead, its top at eye level, 0.8 m × 0.6 m), drawn in the left eye
      // where that rectangle projects, and nothing changed above it.
      await moreFrames(page, "the panel drawn", 3).catch(() => null);
      const imageAfter = await screenshot(page);
      const leftView = (await page.evaluate(() => window.sontinhXrLastViews)).find((v) => v.eye === "left");
      const corners = [[-0.4, 0], [0.4, 0], [-0.4, -0.6], [0.4, -0.6]].map(([x, y]) => project(leftView, add(head0, [x, y, -1.2])));
      const [x0, x1] = [Math.min(...corners.map((c) => c.x)), Math.max(...corners.map((c) => c.x))];
      const [y0, y1] = [Math.min(...corners.map((c) => c.y)), Math.max(...corners.map((c) => c.y))];
      // The panel's inner 80 %, and the band of the eye above it.
      const inner = [x0 + 0.1 * (x1 - x0), y0 + 0.1 * (y1 - y0), 0.8 * (x1 - x0), 0.8 * (y1 - y0)].map(Math.round);
      const [vx, vy, vw] = leftView.vp;
      const above = [vx + 10, vy + 10, vw - 20, Math.round(y0) - vy - 30];
      const panelDiff = meanAbsDiff(crop(PNG, imageBefore, inner), crop(PNG, imageAfter, inner));
      const aboveDiff = meanAbsDiff(crop(PNG, imageBefore, above), crop(PNG, imageAfter, above));
      writeFileSync(path.join(out, "xr-vr-article.png"), PNG.sync.write(crop(PNG, imageAfter, leftView.vp)));
      figures.article_panel = { rect_px: [x0, y0, x1, y1], panel_diff: panelDiff, above_diff: aboveDiff };
      check(panelDiff > 10 && aboveDiff < 2, `xr: the article shows on a head-locked panel in the headset (left eye, [${[x0, y0, x1, y1].map((v) => v.toFixed(0)).join(", ")}]: mean luma change ${panelDiff.toFixed(1)} inside, ${aboveDiff.toFixed(2)} above; out/browser/xr-vr-article.png)`);

      // Hands instead of controllers (hand tracking): a pinch with the right
      // hand pointing at another hotspot opens that one's article.
      const other = s.hotspots.find((h) => h.id !== aimAt.id);
      if (other) {
        await page.evaluate(() => { window.__iwerDevice.primaryInputMode = "hand"; });
        const hand = add(head0, [0.2, -0.3, -0.3]);
        const target = refFromEnu(other.enu, s.placement);
        await page.evaluate(([p, q]) => {
          const h = window.__iwerDevice.hands.right;
          h.position.set(...p);
          h.quaternion.set(...q);
        }, [hand, lookQuat(sub(target, hand))]);
        await moreFrames(page, "the hand aimed", 3).catch(() => null);
        const handsSeen = await page.evaluate(() => [...window.__iwerDevice.activeSession.inputSources].filter((i) => i.hand).length);
        await page.evaluate(() => window.__iwerDevice.hands.right.updatePinchValue(1));
        const pinched = await until("the pinched hotspot's article", 30_000, async () => {
          const a = await openArticle(page);
          return a === other.id ? a : null;
        }).catch(() => null);
        await page.evaluate(() => window.__iwerDevice.hands.right.updatePinchValue(0));
        await moreFrames(page, "the pinch released", 2).catch(() => null);
        await page.evaluate(() => { window.__iwerDevice.primaryInputMode = "controller"; });
        await moreFrames(page, "the controllers back", 2).catch(() => null);
        check(handsSeen === 2 && pinched === other.id, `xr: with tracked hands (${handsSeen} seen), a pinch pointing at the "${other.id}" hotspot opens its article (${pinched || (await openArticle(page)) || "none"})`);
      }
    }

    // 5) Teleport: onto the ground a few metres ahead, then at the south wall's face.
    const teleport = async (what, handPos, dir) => {
      const before = await status(page);
      await setController(page, "right", handPos, lookQuat(dir));
      await stick(page, "right", 0, -1);
      const aiming = await until(`${what}: aiming`, 30_000, async () => ((await status(page)).aiming ? true : null)).catch(() => false);
      await moreFrames(page, `${what}: the arc`, 3).catch(() => null);
      await stick(page, "right", 0, 0);
      const after = await until(`${what}: the teleport`, 30_000, async () => {
        const s = await status(page);
        return s.teleports > before.teleports || (s.last_teleport && JSON.stringify(s.last_teleport) !== JSON.stringify(before.last_teleport)) ? s : null;
      }).catch(() => null);
      await moreFrames(page, `${what}: settled`, 2).catch(() => null);
      // No new outcome: the release did nothing (result null).
      return { aiming, before, after: await status(page), result: after ? after.last_teleport : null };
    };
    s = await status(page);
    const forward = rotY(0, [0, 0, -1]);
    const ahead = await teleport("ground ahead", add(head0, [0.2, -0.3, -0.3]), add(forward, [0, -0.7, 0]));
    const landed = ahead.result;
    const ground = start.placement.origin[1];
    figures.teleport_ground = { result: landed, ground_at_start: ground };
    check(ahead.aiming && landed && landed.ok && Math.abs(landed.floor_enu[2] - ground) <= 0.1, `xr: a teleport onto the ground ahead lands (aiming ${ahead.aiming}; ${JSON.stringify(landed)}; the ground under the start ${ground.toFixed(2)} m, the inner ground ${GROUND_UP} m)`);

    // The head walks (in the reference space) to 6 m south of the wall's
    // face, 20 m east of the gate, facing north; the arc (10 m/s, 15° up
    // from 1.3 m over the ground) meets the face about 1 m up.
    s = await status(page);
    const standEnu = [20, SOUTH_WALL.n[0] - 6, ground + 1.6];
    const standRef = refFromEnu(standEnu, s.placement);
    const northRef = rotY((-s.placement.yaw_deg * Math.PI) / 180, [0, 0, -1]);
    await setHead(page, standRef, lookQuat(northRef));
    await moreFrames(page, "the head before the wall", 3).catch(() => null);
    const handAtWall = add(add(standRef, [0, -0.3, 0]), scale(northRef, 0.3));
    const wall = await teleport("at the wall", handAtWall, add(northRef, [0, Math.tan((15 * Math.PI) / 180), 0]));
    const w = wall.result;
    const head = wall.after.head_enu;
    const inside = head[1] > SOUTH_WALL.n[0] && head[1] < SOUTH_WALL.n[1] && Math.abs(head[0]) > SOUTH_WALL.gate && head[2] - ground < 3;
    figures.teleport_wall = { result: w, head_enu: head };
    check(Boolean(w) && (!w.ok || w.floor_enu[2] > ground + 3 || !(w.floor_enu[1] > SOUTH_WALL.n[0] && w.floor_enu[1] < SOUTH_WALL.n[1])) && !inside,
      `xr: a teleport aimed at the south wall's face is refused or lands on top, never inside it (${JSON.stringify(w)}; head ${head ? fmt(head) : "?"}; wall n ${SOUTH_WALL.n.join("..")})`);
    await setHead(page, head0, q0);

    // Snap turn: the right stick sideways turns the world 30° about the
    // head, once per push however long the stick is held.
    await moreFrames(page, "the head back before turning", 2).catch(() => null);
    {
      const before = await status(page);
      await stick(page, "right", 1, 0);
      const turned = await until("a snap turn", 30_000, async () => {
        const s = await status(page);
        return Math.abs(s.placement.yaw_deg - before.placement.yaw_deg) > 1 ? s : null;
      }).catch(() => null);
      await moreFrames(page, "the stick held", 3).catch(() => null);
      await stick(page, "right", 0, 0);
      await moreFrames(page, "the stick released", 2).catch(() => null);
      const after = await status(page);
      const turn = ((after.placement.yaw_deg - before.placement.yaw_deg + 540) % 360) - 180;
      const headMoved = len(sub(after.head_enu, before.head_enu));
      figures.snap_turn = { turn_deg: turn, head_moved_m: headMoved };
      check(Boolean(turned) && Math.abs(Math.abs(turn) - 30) < 0.01 && headMoved < 0.01, `xr: the right stick held sideways snap-turns once, by 30° about the head (${turn.toFixed(3)}°; the head moved ${headMoved.toFixed(4)} m)`);
    }

    // Walking: the left stick forward moves the user along the head's
    // heading over the ground, under a vignette that goes once they stop.
    {
      const before = await status(page);
      const facing = yawToHeading(before.head_q);
      await stick(page, "left", 0, -1);
      const walking = [];
      for (let i = 0; i < 4; i++) {
        await moreFrames(page, "walking", 1).catch(() => null);
        walking.push(await status(page));
      }
      await stick(page, "left", 0, 0);
      const still = await until("the vignette to go", 60_000, async () => {
        const s = await status(page);
        return s.vignette === 0 ? s : null;
      }).catch(() => null);
      const walked = sub(walking[walking.length - 1].head_enu, before.head_enu);
      const along = Math.hypot(walked[0], walked[1]);
      const vignette = Math.max(...walking.map((s) => s.vignette));
      figures.walk = { walked_enu: walked, facing_deg: facing, vignette_max: vignette };
      check(along > 0.1 && angleDiff(headingDeg(walked), facing) < 5 && Math.abs(walked[2]) < 0.3 && vignette > 0 && Boolean(still),
        `xr: the left stick forward walks ${along.toFixed(2)} m along the head's heading (${headingDeg(walked).toFixed(1)}° vs ${facing.toFixed(1)}°, height change ${walked[2].toFixed(2)} m) under a vignette (up to ${vignette}), gone once stopped (${still ? "yes" : "no"})`);
    }

    // The tour in the headset: the page opens it (sontinhViewer.tourOpen),
    // A and B step it, and each stop's view is where the user then stands
    // (the stops' bookmarks are high overviews: the user floats at their eye).
    {
      const tourStop = async (n) => until(`tour stop ${n}`, 60_000, async () => {
        const t = await page.evaluate(() => document.documentElement.dataset.sontinhTour || "");
        return t.includes(`stop=${n} `) ? t : null;
      }).catch(() => null);
      const headAt = async (eye, what) => until(`the head at ${what}`, 60_000, async () => {
        const s = await status(page);
        return s.fade === 0 && len(sub(s.head_enu, eye)) < 2 ? s : null;
      }).catch(() => null);
      const stops = [];
      await page.evaluate(() => window.sontinhViewer.tourOpen("citadel-walk", 1));
      stops.push([1, await tourStop(1), await headAt(BOOKMARK_EYES.overview, "the overview")]);
      await press(page, "right", "a-button", 1);
      await moreFrames(page, "A pressed", 2).catch(() => null);
      await press(page, "right", "a-button", 0);
      stops.push([2, await tourStop(2), await headAt(BOOKMARK_EYES.plan, "the plan view")]);
      await press(page, "right", "b-button", 1);
      await moreFrames(page, "B pressed", 2).catch(() => null);
      await press(page, "right", "b-button", 0);
      stops.push([1, await tourStop(1), await headAt(BOOKMARK_EYES.overview, "the overview again")]);
      figures.tour = stops.map(([n, t, s]) => ({ stop: n, tour: t, head_enu: s ? s.head_enu : null }));
      check(stops.every(([, t, s]) => t && s), `xr: the tour in VR: opened at stop 1, A to stop 2, B back to stop 1, the head at each stop's eye (${stops.map(([n, t, s]) => `${n}: ${t ? "stop" : "no stop"}, ${s ? fmt(s.head_enu, 1) : "head not there"}`).join("; ")})`);
    }

    // The viewer updated (and drew) inside every XR frame since entering:
    // a headset shows only what is drawn in the frame's callback.
    const paced = await page.evaluate(() => window.sontinhXrStats());
    figures.vr_frames = paced;
    check(paced.frames >= 10 && paced.idle_frames === 0, `xr: the viewer updated inside every XR frame (${paced.frames - paced.idle_frames} of ${paced.frames})`);

    // 8) Ending the session: the page's view goes on from where the user
    // stood in the twin (the head's last place), not from before the session.
    await moreFrames(page, "the head back before ending", 2).catch(() => null);
    const lastHead = (await status(page)).head_enu;
    await endSession(page);
    const ended = await until("the session to end", 30_000, async () => ((await status(page))?.mode === "off" ? true : null)).catch(() => false);
    const viewAfter = await until("the view back", 30_000, async () => {
      const v = await page.evaluate(() => document.documentElement.dataset.sontinhView || "");
      return v ? v : null;
    }).catch(() => "");
    const b = viewAfter.split(/\s+/).map(Number);
    const off = b.length === 6 && lastHead ? len(sub(b.slice(0, 3), lastHead)) : Infinity;
    check(ended && off <= 0.01, `xr: ending the session returns to mode off with the page's eye where the user stood (${ended ? "off" : "not off"}; head ${lastHead ? fmt(lastHead) : "?"}; view "${viewBefore}" -> "${viewAfter}", eye ${off.toFixed(3)} m from the head)`);
    const buttonBack = await page.waitForSelector("#xr-enter-vr:not([hidden])", { timeout: 10_000 }).then(() => true, () => false);
    check(buttonBack, `xr: the "Enter VR" button is back after the session`);
  }

  // 6) AR with hit tests on an emulated room. The model is what the page's
  // view frames: the tour's overview (the whole Citadel) first.
  await page.evaluate(() => window.sontinhViewer.tourOpen("citadel-walk", 1));
  await until("the page's view at the overview", 120_000, async () => {
    const v = (await page.evaluate(() => document.documentElement.dataset.sontinhView || "")).split(/\s+/).map(Number);
    return v.length === 6 && len(sub(v.slice(0, 3), BOOKMARK_EYES.overview)) < 1 ? true : null;
  }).catch(() => null);
  await page.addScriptTag({ path: semScript });
  const floorY = await page.evaluate((room) => {
    const device = window.__iwerDevice;
    device.installSEM(window.IWER_SEM.SyntheticEnvironmentModule);
    device.sem.loadEnvironment(room);
    const floor = [...device.sem.trackedPlanes].find((p) => p.semanticLabel === "floor");
    return floor ? floor.transform.matrix[13] : null;
  }, room).catch((error) => `no SEM: ${error.message}`);
  const arShown = await page.waitForSelector("#xr-enter-ar:not([hidden])", { timeout: 10_000 }).then(() => true, () => false);
  if (!arShown || typeof floorY !== "number") {
    check(false, `xr: AR: the "View in AR" button is shown and the emulated room has a floor (button ${arShown}, floor ${floorY})`);
  } else {
    // Straight down at the office's floor, clear of its table.
    await setHead(page, [0, 1.6, 0.5], [-Math.SQRT1_2, 0, 0, Math.SQRT1_2]);
    await setController(page, "right", [0.2, 1.2, 0.3], lookQuat([0, -1, -0.2]));
    await page.click("#xr-enter-ar");
    const arOn = await until("the AR session", 60_000, async () => ((await status(page))?.mode === "ar" ? true : null)).catch(() => false);
    await moreFrames(page, "AR frames", 5).catch(() => null);
    await press(page, "right", "trigger", 1);
    const placed = await until("the model placed", 30_000, async () => {
      const s = await status(page);
      return s && s.ar && s.ar.placed ? s : null;
    }).catch(() => null);
    await press(page, "right", "trigger", 0);
    await moreFrames(page, "AR after placing", 5).catch(() => null);
    await page.screenshot({ path: path.join(out, "xr-ar.png"), timeout: 180_000 });
    const anchor = placed ? placed.ar.anchor : null;
    figures.ar = { floor_y: floorY, status: placed ? placed.ar : null };
    check(arOn && Boolean(anchor) && Math.abs(anchor[1] - floorY) <= 0.01, `xr: AR: a select places the model on the emulated floor (mode ${arOn ? "ar" : "not ar"}; anchor ${anchor ? fmt(anchor, 3) : "none"}; floor plane y ${floorY.toFixed(3)}; out/browser/xr-ar.png)`);
    await endSession(page);
    await until("the AR session to end", 30_000, async () => ((await status(page))?.mode === "off" ? true : null)).catch(() => null);
  }
  check(errors.length === 0, `xr: no console error on the Citadel page${errors.length ? `: ${errors.slice(0, 3).join(" | ")}` : ""}`);
  await context.close();

  // 7) Pacing on the Lone Star point cloud.
  if (measurePacing) {
    const context = await headsetContext();
    const { page } = await openPage(context, `${base}?backend=webgl2&ui=0&scene=scenes/lone-star-geyser.toml&bookmark=overview`);
    const ready = await waitReady(page, "the Lone Star XR page");
    if (ready.error) check(false, `xr: the Lone Star page opened (${ready.error})`);
    else {
      const mono = await monoFrames(page, 10);
      figures.lone_star_mono = mono;
      if (await enterVr(page, "Lone Star")) {
        await page.evaluate(() => window.sontinhXrStats(true));
        const stereo = await pacing(page, "Lone Star");
        figures.lone_star_vr = stereo;
        await page.screenshot({ path: path.join(out, "xr-lone-star-vr.png"), timeout: 180_000 });
        check(Boolean(stereo) && stereo.fps > 0, `xr: pacing, Lone Star: mono ${mono.fps} fps (${mono.ms_mean} ms a frame); VR ${stereo ? `${stereo.fps} fps (${(1000 / stereo.fps).toFixed(1)} ms a frame), the XR frame's own work ${stereo.ms_mean} ms (p95 ${stereo.ms_p95}, max ${stereo.ms_max}); stereo/mono ${(1000 / stereo.fps / mono.ms_mean).toFixed(2)}× by frame interval` : "no figures"}`);
        await endSession(page);
      }
    }
    await context.close();
  }

  // 9) Magic window on a phone: the device's orientation turns the view.
  {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, hasTouch: true, isMobile: true });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("DeviceOrientation.setDeviceOrientationOverride", { alpha: 0, beta: 90, gamma: 0 });
    await page.goto(`${base}?backend=webgl2&ui=0&xr=magic`);
    const ready = await waitReady(page, "the magic window page");
    const first = ready.error ? null : await until("magic window frames", 60_000, async () => {
      const s = await status(page);
      return s && s.mode === "magic" && s.frames > 3 ? s : null;
    }).catch(() => null);
    if (!first) check(false, `xr: ?xr=magic starts the magic window (${ready.error || JSON.stringify(await status(page))})`);
    else {
      await cdp.send("DeviceOrientation.setDeviceOrientationOverride", { alpha: 90, beta: 90, gamma: 0 });
      const yaw0 = yawDeg(first.head_q);
      const turned = await until("the view to turn", 30_000, async () => {
        const s = await status(page);
        return s && Math.abs(yawDeg(s.head_q) - yaw0) > 1 ? s : null;
      }).catch(() => null);
      if (turned) await moreFrames(page, "the turn to settle", 5).catch(() => null);
      const last = await status(page);
      const turn = ((yawDeg(last.head_q) - yaw0 + 540) % 360) - 180;
      figures.magic = { yaw_before: yaw0, yaw_after: yawDeg(last.head_q), turn };
      check(Math.abs(Math.abs(turn) - 90) <= 2, `xr: magic window: alpha 0 -> 90 (beta 90) turns the view by ${turn.toFixed(1)}° (yaw ${yaw0.toFixed(1)}° -> ${yawDeg(last.head_q).toFixed(1)}°)`);
      await page.screenshot({ path: path.join(out, "xr-magic.png"), timeout: 180_000 });

      // Cardboard, by the page's buttons: "Exit" ends the magic window, the
      // cardboard button gives two eyes side by side, each half the screen,
      // 64 mm apart across the view.
      await page.tap("#xr-exit");
      const ended = await until("the magic window to end", 60_000, async () => ((await status(page))?.mode === "off" ? true : null)).catch(() => false);
      await page.waitForSelector("#xr-cardboard:not([hidden])", { timeout: 30_000 }).catch(() => null);
      await page.tap("#xr-cardboard").catch(() => null);
      const card = await until("cardboard frames", 60_000, async () => {
        const s = await status(page);
        return s && s.mode === "cardboard" && s.frames > 3 && s.eyes.length === 2 ? s : null;
      }).catch(() => null);
      const [w, h] = await canvasSize(page);
      if (!card) check(false, `xr: cardboard: the button starts side-by-side stereo (magic window ended ${ended}; ${JSON.stringify(await status(page))})`);
      else {
        const [l, r] = card.eyes;
        const sideBySide = JSON.stringify([l.vp, r.vp]) === JSON.stringify(halves(w, h));
        const apart = len(sub(r.enu, l.enu));
        // Across the view: the eyes' offset is square to the view's heading.
        const across = angleDiff(headingDeg(sub(r.enu, l.enu)), yawToHeading(card.head_q));
        figures.cardboard = { canvas: [w, h], eyes: card.eyes, apart_m: apart, across_deg: across };
        await page.screenshot({ path: path.join(out, "xr-cardboard.png"), timeout: 180_000 });
        // Held upright, the page asks for the phone to be turned sideways;
        // turned, the hint goes and each eye is half the wide screen.
        const hint = await xrMessage(page);
        await page.setViewportSize({ width: 844, height: 390 });
        const wide = await until("the eyes on the turned screen", 60_000, async () => {
          const [cw, ch] = await canvasSize(page);
          const s = await status(page);
          const gone = !(await xrMessage(page));
          return cw > ch && gone && JSON.stringify(s.eyes.map((e) => e.vp)) === JSON.stringify(halves(cw, ch)) ? { canvas: [cw, ch], eyes: s.eyes } : null;
        }).catch(() => null);
        if (wide) await page.screenshot({ path: path.join(out, "xr-cardboard-landscape.png"), timeout: 180_000 });
        check(/sideways|xoay ngang/.test(hint) && Boolean(wide), `xr: cardboard on an upright phone asks to turn it sideways ("${hint}"); turned, the hint goes and the eyes are ${wide ? `${fmt(wide.eyes[0].vp, 0)} ${fmt(wide.eyes[1].vp, 0)} on ${wide.canvas.join("×")}` : "not the halves of the wide canvas"} (out/browser/xr-cardboard-landscape.png)`);
        check(ended && sideBySide && Math.abs(apart - 0.064) < 0.001 && Math.abs(across - 90) < 1, `xr: cardboard: "Exit" ends the magic window and the cardboard button shows two eyes side by side (${fmt(l.vp, 0)} ${fmt(r.vp, 0)} on a ${w}×${h} canvas) ${(apart * 1000).toFixed(1)} mm apart, ${across.toFixed(1)}° from the heading (out/browser/xr-cardboard.png)`);
      }
    }
    await context.close();
  }
}
