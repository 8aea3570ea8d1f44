// WebXR for the viewer: "Enter VR" and "View in AR" buttons where the
// browser offers immersive sessions, and on phones without them a "magic
// window" (the phone's orientation turns the view) and cardboard stereo.
//
// The viewer (Bevy on wgpu's WebGL2 backend) draws only into the page's
// canvas, so a session's base layer is made on that same WebGL2 context;
// the viewer draws each eye into a rectangle of the canvas, and where the
// layer has a framebuffer of its own the rectangles are copied into it.
// While a session runs, the viewer's animation frames are paced by the
// session: the callbacks it registers with window.requestAnimationFrame are
// queued and run inside the session's frame callback, after the frame's
// poses and input have been handed to it (viewer.xrFrame).
//
// The wasm side: viewer.xrBegin(mode), viewer.xrFrame(json), viewer.xrEnd(),
// viewer.xrStatus(); its state is also in <html data-sontinh-xr>;
// viewer.viewerUpdates() counts its updates, to know it drew in a frame.

const TEXT = {
  vi: {
    toolbar: "Thực tế ảo và tăng cường",
    vr: "Vào VR",
    vrLabel: "Vào thực tế ảo (VR) bằng kính",
    ar: "Xem AR",
    arLabel: "Xem mô hình trong thực tế tăng cường (AR)",
    magic: "Cửa sổ thần kỳ",
    magicLabel: "Cửa sổ thần kỳ: xoay điện thoại để nhìn quanh",
    cardboard: "Kính cardboard",
    cardboardLabel: "Xem lập thể bằng kính cardboard",
    exit: "Thoát",
    exitLabel: "Thoát chế độ xem thực tế ảo",
    webgl2: "WebXR chỉ chạy với bản WebGL2 (Chromium chưa nối WebXR với WebGPU). Đang tải lại trang bằng WebGL2; tải xong hãy bấm lại.",
    failed: (why) => `Không thể bắt đầu: ${why}`,
    noOrientation: "Thiết bị này không cho biết hướng xoay; hãy kéo để nhìn quanh.",
    landscape: "Hãy xoay ngang điện thoại rồi đặt vào kính cardboard.",
  },
  en: {
    toolbar: "Virtual and augmented reality",
    vr: "Enter VR",
    vrLabel: "Enter virtual reality (VR) with a headset",
    ar: "View in AR",
    arLabel: "View the model in augmented reality (AR)",
    magic: "Magic window",
    magicLabel: "Magic window: turn the phone to look around",
    cardboard: "Cardboard",
    cardboardLabel: "Stereo view for a cardboard viewer",
    exit: "Exit",
    exitLabel: "Leave the virtual reality view",
    webgl2: "WebXR runs on the WebGL2 build only (Chromium has no WebXR binding for WebGPU). Reloading on WebGL2; click again once it has loaded.",
    failed: (why) => `Could not start: ${why}`,
    noOrientation: "This device does not report its orientation; drag to look around.",
    landscape: "Turn the phone sideways, then put it in the cardboard viewer.",
  },
};

// Frame times kept for the figures (the last ten minutes at 90 Hz at most).
const MAX_SAMPLES = 54_000;
// Ids of queued callbacks, far above the browser's own (which count from 1).
const QUEUED_ID_BASE = 2 ** 30;

const root = document.documentElement;
const canvas = document.getElementById("sontinh-canvas");

/** A rigid transform as the frame JSON's {p, q}. */
function pose(transform) {
  if (!transform) return null;
  const { position: p, orientation: q } = transform;
  return { p: [p.x, p.y, p.z], q: [q.x, q.y, q.z, q.w] };
}

/**
 * The viewer's animation frames, held back while an XR session or the
 * orientation modes pace it. Only callbacks registered by the viewer (its
 * wasm or its bindings are on the stack) are queued: an emulator or a
 * polyfill that drives the session itself from window frames (IWER does)
 * must keep getting them, or the session would never produce a frame.
 */
const pacing = {
  original: null,
  queue: new Map(),
  nextId: QUEUED_ID_BASE,
  fromViewer() {
    const stack = new Error().stack || "";
    return /wasm:\/\/|wasm-function|\/sontinh\.js/.test(stack);
  },
  install() {
    if (this.original) return;
    this.original = { request: window.requestAnimationFrame, cancel: window.cancelAnimationFrame };
    const { request, cancel } = this.original;
    window.requestAnimationFrame = (callback) => {
      if (!this.fromViewer()) return request.call(window, callback);
      const id = ++this.nextId;
      this.queue.set(id, callback);
      return id;
    };
    window.cancelAnimationFrame = (id) => {
      if (!this.queue.delete(id)) cancel.call(window, id);
    };
  },
  /** Runs the queued callbacks (those they register wait for the next frame). */
  run(time) {
    const callbacks = [...this.queue.values()];
    this.queue.clear();
    for (const callback of callbacks) {
      try {
        callback(time);
      } catch (error) {
        console.error(error);
      }
    }
    return callbacks.length;
  },
  /** Back to the browser's frames; what was queued is handed to them. */
  restore() {
    if (!this.original) return;
    const { request, cancel } = this.original;
    window.requestAnimationFrame = request;
    window.cancelAnimationFrame = cancel;
    this.original = null;
    const callbacks = [...this.queue.values()];
    this.queue.clear();
    for (const callback of callbacks) request.call(window, callback);
  },
};

/** Per-frame durations and counts, for window.sontinhXrStats(). */
const stats = {
  durations: [],
  frames: 0,
  idle: 0, // XR frames in which the viewer did not update (a headset shows them blank)
  first: null,
  last: null,
  reset() {
    this.durations = [];
    this.frames = 0;
    this.idle = 0;
    this.first = null;
    this.last = null;
  },
  add(start, end) {
    this.frames += 1;
    if (this.first === null) this.first = start;
    this.last = end;
    if (this.durations.length < MAX_SAMPLES) this.durations.push(end - start);
  },
  read() {
    const sorted = [...this.durations].sort((a, b) => a - b);
    const seconds = this.first === null ? 0 : (this.last - this.first) / 1000;
    const round = (v) => Math.round(v * 100) / 100;
    return {
      frames: this.frames,
      seconds: round(seconds),
      fps: seconds > 0 ? round((this.frames - 1) / seconds) : 0,
      ms_mean: sorted.length ? round(sorted.reduce((s, v) => s + v, 0) / sorted.length) : 0,
      ms_p95: sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]) : 0,
      ms_max: sorted.length ? round(sorted[sorted.length - 1]) : 0,
      idle_frames: this.idle,
    };
  },
};

/** The latest device orientation (magic window, cardboard). */
let orientation = null;
function onOrientation(event) {
  if (event.alpha === null && event.beta === null && event.gamma === null) return;
  const angle = screen.orientation ? screen.orientation.angle : Number(window.orientation || 0);
  orientation = { alpha: event.alpha || 0, beta: event.beta || 0, gamma: event.gamma || 0, screen: angle };
}

export function startXr(viewer) {
  /** Runs the viewer's queued frames, counting a frame it did not update (draw) in. */
  function runViewerFrame(time) {
    const before = viewer.viewerUpdates();
    pacing.run(time);
    if (viewer.viewerUpdates() === before) stats.idle += 1;
  }
  if (typeof viewer.xrBegin !== "function" || typeof viewer.xrFrame !== "function" || typeof viewer.xrEnd !== "function") {
    // A bundle built without the XR exports: no buttons.
    return;
  }
  const t = TEXT[root.lang === "en" ? "en" : "vi"];
  window.sontinhXrStats = (reset = false) => {
    const figures = stats.read();
    if (reset) stats.reset();
    return figures;
  };
  window.sontinhXrLastViews = [];

  // The toolbar: real buttons, in a corner, shown once the view is.
  const toolbar = document.createElement("div");
  toolbar.id = "xr-toolbar";
  toolbar.setAttribute("role", "toolbar");
  toolbar.setAttribute("aria-label", t.toolbar);
  const message = document.createElement("p");
  message.id = "xr-message";
  message.setAttribute("role", "status");
  message.setAttribute("aria-live", "polite");
  const button = (id, label, aria, onClick) => {
    const b = document.createElement("button");
    b.type = "button";
    b.id = id;
    b.textContent = label;
    b.setAttribute("aria-label", aria);
    b.hidden = true;
    b.addEventListener("click", () => {
      message.textContent = "";
      onClick().catch((error) => {
        message.textContent = t.failed(error && error.message ? error.message : String(error));
        console.warn("xr:", error);
      });
    });
    toolbar.append(b);
    return b;
  };
  const vrButton = button("xr-enter-vr", t.vr, t.vrLabel, () => enterSession("vr"));
  const arButton = button("xr-enter-ar", t.ar, t.arLabel, () => enterSession("ar"));
  const magicButton = button("xr-magic", t.magic, t.magicLabel, () => enterOrientation("magic", true));
  const cardboardButton = button("xr-cardboard", t.cardboard, t.cardboardLabel, () => enterOrientation("cardboard", true));
  const exitButton = button("xr-exit", t.exit, t.exitLabel, async () => leaveOrientation());
  toolbar.append(message);
  document.body.append(toolbar);

  const offered = new Set();
  const showIdle = () => {
    vrButton.hidden = !offered.has("vr");
    arButton.hidden = !offered.has("ar");
    magicButton.hidden = !offered.has("magic");
    cardboardButton.hidden = !offered.has("cardboard");
    exitButton.hidden = true;
    toolbar.dataset.mode = "off";
  };
  const showActive = (mode) => {
    for (const b of [vrButton, arButton, magicButton, cardboardButton]) b.hidden = true;
    exitButton.hidden = mode === "vr" || mode === "ar";
    toolbar.dataset.mode = mode;
  };

  async function supported(mode) {
    try {
      return Boolean(navigator.xr && (await navigator.xr.isSessionSupported(mode)));
    } catch (_) {
      return false;
    }
  }

  // What this browser offers; the orientation modes only on touch devices
  // without immersive VR (a headset's browser has VR, a laptop no sensors).
  const probed = (async () => {
    if (await supported("immersive-vr")) offered.add("vr");
    if (await supported("immersive-ar")) offered.add("ar");
    const touch = navigator.maxTouchPoints > 0 || matchMedia("(pointer: coarse)").matches;
    if (touch && !offered.has("vr") && "DeviceOrientationEvent" in window) {
      offered.add("magic");
      offered.add("cardboard");
    }
    showIdle();
  })();

  // ---- Immersive sessions ----------------------------------------------

  let active = null; // { mode, session, ... } or { mode, orientation loop }

  let starting = false; // a session asked for and not yet running: a second click waits
  async function enterSession(mode) {
    if (active || starting) return;
    if (root.dataset.sontinhBackend === "webgpu") {
      // Chromium binds WebXR to WebGL only: start again on the WebGL2
      // build, at this view (the viewer resumes it, as after a lost context).
      message.textContent = t.webgl2;
      const url = new URL(location.href);
      url.searchParams.set("backend", "webgl2");
      if (root.dataset.sontinhView) {
        sessionStorage.setItem("sontinh-resume-query", url.search);
        sessionStorage.setItem("sontinh-resume-view", root.dataset.sontinhView);
      }
      location.assign(url.href);
      return;
    }
    starting = true;
    try {
      // Asked for first, while the click still counts as the user's gesture.
      const session = await navigator.xr.requestSession(mode === "vr" ? "immersive-vr" : "immersive-ar", {
        optionalFeatures: mode === "vr" ? ["local-floor", "hand-tracking"] : ["local-floor", "hit-test", "hand-tracking"],
      });
      try {
        await beginSession(mode, session);
      } catch (error) {
        session.end().catch(() => {});
        throw error;
      }
    } finally {
      starting = false;
    }
  }

  async function beginSession(mode, session) {
    const gl = canvas.getContext("webgl2");
    if (!gl) throw new Error("no WebGL2 context on the viewer's canvas");
    await gl.makeXRCompatible();
    const layer = new XRWebGLLayer(session, gl);
    session.updateRenderState({ baseLayer: layer });
    let refSpace = null;
    for (const type of ["local-floor", "local"]) {
      try {
        refSpace = await session.requestReferenceSpace(type);
        break;
      } catch (_) {
        // The next kind.
      }
    }
    if (!refSpace) throw new Error("no local-floor or local reference space");
    let hitSource = null;
    if (mode === "ar" && session.requestHitTestSource) {
      try {
        hitSource = await session.requestHitTestSource({ space: await session.requestReferenceSpace("viewer") });
      } catch (error) {
        console.warn("xr: no hit test:", error && error.message ? error.message : error);
      }
    }
    viewer.xrBegin(mode);
    const state = { mode, session, layer, gl, refSpace, hitSource, events: new Map() };
    active = state;
    stats.reset();
    // select and squeeze counted per source until the next frame.
    for (const kind of ["select", "squeeze"]) {
      session.addEventListener(kind, (event) => {
        const counts = state.events.get(event.inputSource) || { select: 0, squeeze: 0 };
        counts[kind] += 1;
        state.events.set(event.inputSource, counts);
      });
    }
    session.addEventListener("end", () => endSession(state));
    pacing.install();
    showActive(mode);
    session.requestAnimationFrame((time, frame) => onSessionFrame(state, time, frame));
  }

  /** The viewer's frames back to the browser, the session ended in the viewer, the buttons back. */
  function leave() {
    pacing.restore();
    try {
      viewer.xrEnd();
    } catch (error) {
      console.warn("xr: xrEnd:", error && error.message ? error.message : error);
    }
    hintLandscape();
    showIdle();
  }

  function endSession(state) {
    if (active !== state) return;
    active = null;
    leave();
  }

  function onSessionFrame(state, time, frame) {
    const start = performance.now();
    if (active !== state) return;
    const { session, layer, gl, refSpace } = state;
    session.requestAnimationFrame((t2, f2) => onSessionFrame(state, t2, f2));
    const viewerPose = frame.getViewerPose(refSpace);
    const scaleX = canvas.width / layer.framebufferWidth;
    const scaleY = canvas.height / layer.framebufferHeight;
    const rects = [];
    const views = viewerPose
      ? viewerPose.views.map((view) => {
          const v = layer.getViewport(view);
          // Bottom-left origin in the layer's pixels -> top-left in the canvas's.
          const x = Math.round(v.x * scaleX);
          const w = Math.round(v.width * scaleX);
          const h = Math.round(v.height * scaleY);
          const y = canvas.height - Math.round(v.y * scaleY) - h;
          rects.push({ canvas: [x, y, w, h], layer: [v.x, v.y, v.width, v.height] });
          return { eye: view.eye, vp: [x, y, w, h], ...pose(view.transform), proj: Array.from(view.projectionMatrix) };
        })
      : [];
    const inputs = [];
    for (const source of session.inputSources) {
      const counts = state.events.get(source) || { select: 0, squeeze: 0 };
      const gamepad = source.gamepad;
      inputs.push({
        hand: source.handedness,
        mode: source.targetRayMode,
        ray: pose(frame.getPose(source.targetRaySpace, refSpace)?.transform),
        grip: source.gripSpace ? pose(frame.getPose(source.gripSpace, refSpace)?.transform) : null,
        buttons: gamepad ? Array.from(gamepad.buttons, (b) => [b.pressed, b.value]) : [],
        // IWER lists unmapped axes as null: the frame has numbers only.
        axes: gamepad ? Array.from(gamepad.axes, (a) => Number(a) || 0) : [],
        select: counts.select,
        squeeze: counts.squeeze,
        hand_tracked: Boolean(source.hand),
      });
    }
    state.events.clear();
    let hit = null;
    if (state.hitSource) {
      try {
        const results = frame.getHitTestResults(state.hitSource);
        if (results.length) hit = pose(results[0].getPose(refSpace)?.transform);
      } catch (_) {
        // No results for this frame yet (the source is new).
      }
    }
    window.sontinhXrLastViews = views;
    try {
      viewer.xrFrame(
        JSON.stringify({ t: time, canvas: [canvas.width, canvas.height], viewer: viewerPose ? pose(viewerPose.transform) : null, views, inputs, hit, orientation: null }),
      );
    } catch (error) {
      console.error("xr: xrFrame:", error && error.message ? error.message : error);
    }
    // The viewer updates and draws both eyes into the canvas.
    runViewerFrame(time);
    if (layer.framebuffer) copyEyes(gl, layer, rects);
    stats.add(start, performance.now());
  }

  /** The eyes' canvas rectangles into the layer's framebuffer (GL state as wgpu left it). */
  function copyEyes(gl, layer, rects) {
    const read = gl.getParameter(gl.READ_FRAMEBUFFER_BINDING);
    const draw = gl.getParameter(gl.DRAW_FRAMEBUFFER_BINDING);
    const scissor = gl.isEnabled(gl.SCISSOR_TEST);
    gl.bindFramebuffer(gl.READ_FRAMEBUFFER, null);
    gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, layer.framebuffer);
    gl.disable(gl.SCISSOR_TEST);
    for (const { canvas: [x, y, w, h], layer: [lx, ly, lw, lh] } of rects) {
      const bottom = canvas.height - y - h;
      gl.blitFramebuffer(x, bottom, x + w, bottom + h, lx, ly, lx + lw, ly + lh, gl.COLOR_BUFFER_BIT, gl.LINEAR);
    }
    gl.bindFramebuffer(gl.READ_FRAMEBUFFER, read);
    gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, draw);
    if (scissor) gl.enable(gl.SCISSOR_TEST);
  }

  // ---- Magic window and cardboard (no session) ---------------------------

  async function enterOrientation(mode, gesture) {
    if (active) return;
    // iOS asks the visitor, and only from a gesture.
    if (gesture && typeof DeviceOrientationEvent !== "undefined" && typeof DeviceOrientationEvent.requestPermission === "function") {
      const answer = await DeviceOrientationEvent.requestPermission();
      if (answer !== "granted") message.textContent = t.noOrientation;
    }
    viewer.xrBegin(mode);
    const state = { mode, handle: 0 };
    active = state;
    stats.reset();
    window.addEventListener("deviceorientation", onOrientation);
    // A cardboard viewer holds the phone sideways: each eye half its width.
    if (mode === "cardboard") portrait.addEventListener("change", hintLandscape);
    hintLandscape();
    pacing.install();
    const request = pacing.original.request;
    const tick = (time) => {
      if (active !== state) return;
      const start = performance.now();
      state.handle = request.call(window, tick);
      try {
        viewer.xrFrame(JSON.stringify({ t: time, canvas: [canvas.width, canvas.height], viewer: null, views: [], inputs: [], hit: null, orientation }));
      } catch (error) {
        console.error("xr: xrFrame:", error && error.message ? error.message : error);
      }
      runViewerFrame(time);
      stats.add(start, performance.now());
    };
    state.handle = request.call(window, tick);
    showActive(mode);
  }

  async function leaveOrientation() {
    const state = active;
    if (!state || state.session) return;
    active = null;
    const cancel = pacing.original && pacing.original.cancel;
    if (cancel) cancel.call(window, state.handle);
    window.removeEventListener("deviceorientation", onOrientation);
    portrait.removeEventListener("change", hintLandscape);
    leave();
  }

  /** In cardboard on an upright phone, asks for it to be turned sideways; the hint goes once it is. */
  const portrait = window.matchMedia("(orientation: portrait)");
  function hintLandscape() {
    const wanted = active && active.mode === "cardboard" && portrait.matches;
    if (wanted) message.textContent = t.landscape;
    else if (message.textContent === t.landscape) message.textContent = "";
  }

  // ?xr=magic or ?xr=cardboard: that mode as soon as the view is shown.
  const asked = new URLSearchParams(location.search).get("xr");
  if (asked === "magic" || asked === "cardboard") {
    const start = () => {
      if (!root.dataset.sontinhShown) return false;
      probed.then(() =>
        enterOrientation(asked, false).catch((error) => {
          message.textContent = t.failed(error && error.message ? error.message : String(error));
        }),
      );
      return true;
    };
    if (!start()) {
      const observer = new MutationObserver(() => {
        if (start()) observer.disconnect();
      });
      observer.observe(root, { attributes: true, attributeFilter: ["data-sontinh-shown"] });
    }
  }
}
