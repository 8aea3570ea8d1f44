// The Citadel tour in the page on a phone (390 × 844, touch), opened by a
// deep link at its fourth stop: the page arrives at that stop; a tap on a
// hotspot's marker opens its article (and, being the first gesture, lets the
// page's audio context run); the narration plays with captions that are
// cues of the stop's own WebVTT file, in order; and the address follows the
// tour to the next stop.
//
// Called from run.mjs (SONTINH_BROWSER_ONLY=tour); every wait has a deadline.

import { readFileSync } from "node:fs";
import path from "node:path";

/** The cue texts of a WebVTT file, in order (read here by plain string handling). */
function cueTexts(file) {
  return readFileSync(file, "utf8")
    .split(/\n\n+/)
    .map((block) => block.split("\n"))
    .filter((lines) => lines.some((l) => l.includes("-->")))
    .map((lines) => lines.slice(lines.findIndex((l) => l.includes("-->")) + 1).join(" ").trim());
}

/** `data-sontinh-tour` as fields; the caption is everything after `caption=`. */
function tourFields(text) {
  const at = text.indexOf(" caption=");
  const head = at < 0 ? text : text.slice(0, at);
  const fields = Object.fromEntries(head.split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  fields.caption = at < 0 ? "" : text.slice(at + " caption=".length);
  return fields;
}

export async function tourCheck(browser, base, { openPage, waitReady, until, check, report, repo, out }) {
  const [width, height] = [390, 844];
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1, hasTouch: true, isMobile: true });
  const { page, errors } = await openPage(context, `${base}?backend=webgl2&ui=1&tour=citadel-walk&stop=4`);
  const result = await waitReady(page, "the tour page");
  check(!result.error, `tour: the Citadel page opened on a phone (${result.error || "ok"})`);
  const tour = async () => tourFields((await page.evaluate(() => document.documentElement.dataset.sontinhTour || "")) || "");
  const opened = await until("the tour at stop 4", 60_000, async () => {
    const t = await tour();
    return t.tour === "citadel-walk" && t.stop === "4" && t.arrived === "1" ? t : null;
  }).catch(() => null);
  check(Boolean(opened), `tour: the deep link opened the tour at stop 4, at rest (${JSON.stringify(await tour())})`);
  // The captions of stop 4, as they come, from now on.
  const seen = [];
  let audioPlayed = "";
  const watcher = setInterval(async () => {
    const t = await tour().catch(() => ({}));
    if (t.stop !== "4") return;
    if (t.audio) audioPlayed = t.audio;
    if (t.caption && seen[seen.length - 1] !== t.caption) seen.push(t.caption);
  }, 100);

  // A tap on a marker the view shows (not hidden behind the walls).
  const markers = ((await page.evaluate(() => document.documentElement.dataset.sontinhHotspots || "")) || "")
    .split(";")
    .filter(Boolean)
    .map((m) => m.split(" "))
    .map(([id, x, y, seen]) => ({ id, x: Number(x), y: Number(y), seen }))
    .filter((m) => m.seen === "shown" && m.x > 20 && m.x < width - 120 && m.y > 110 && m.y < height - 260);
  check(markers.length > 0, `tour: the stop shows hotspot markers on the screen (${markers.map((m) => m.id).join(", ")})`);
  const cdp = await context.newCDPSession(page);
  // A finger's tap on the twin, clear of the panels: the visitor's first
  // gesture lets the page's audio run; a tap does not pause the tour.
  const twoFrames = () => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x: width / 2, y: height * 0.3, id: 1 }] });
  await twoFrames();
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  if (markers.length) {
    // A click on the marker opens its article. (A finger's tap on the
    // panels' widgets does not reach them in the page yet: see the notes.)
    const m = markers[0];
    await page.mouse.click(m.x + 14, m.y + 2);
    const article = await until("the article to open", 30_000, () => page.evaluate(() => document.documentElement.dataset.sontinhArticle || null)).catch(() => "");
    check(article === m.id, `tour: clicking the "${m.id}" marker opened its article (${article || "none"})`);
    report.tour_article = article;
  }
  const audio = await until("the page's audio context to run", 30_000, () =>
    page.evaluate(() => ((document.documentElement.dataset.sontinhAudio || "").includes("running") ? document.documentElement.dataset.sontinhAudio : null)),
  ).catch(() => page.evaluate(() => document.documentElement.dataset.sontinhAudio || "none"));
  check(String(audio).includes("running"), `tour: the page's audio context runs after the first tap (${audio})`);

  // Captions: cues of the stop's own file, advancing in order, with its narration playing.
  const cues = cueTexts(path.join(repo, "assets/tours/quang-tri-citadel/04-four-gates.vi.vtt"));
  await until("two captions of the stop", 60_000, async () => seen.length >= 2 || (await tour()).stop !== "4").catch(() => null);
  check(seen.length >= 2 && seen.every((c) => cues.includes(c)), `tour: the captions shown are the stop's cues (${seen.length} seen: ${seen.map((c) => c.slice(0, 30)).join(" | ")})`);
  const order = seen.map((c) => cues.indexOf(c));
  check(order.every((v, i) => i === 0 || v > order[i - 1]), `tour: the captions came in the file's order (${order.join(", ")})`);
  check(audioPlayed === "../assets/tours/quang-tri-citadel/04-four-gates.vi.ogg", `tour: the stop's Vietnamese narration plays (${audioPlayed})`);
  await page.screenshot({ path: path.join(out, "tour-phone.webgl2.png") });

  // The tour goes on by itself, and the address follows it.
  const next = await until("the tour to reach stop 5", 90_000, async () => ((await tour()).stop === "5" ? page.url() : null)).catch(() => page.url());
  check(new URL(next).searchParams.get("stop") === "5" && new URL(next).searchParams.get("tour") === "citadel-walk", `tour: the address follows the tour (${next})`);
  clearInterval(watcher);
  report.tour = { captions_seen: seen.length, audio, url: next };
  check(errors.length === 0, `tour: no console error${errors.length ? `: ${errors.slice(0, 3).join(" | ")}` : ""}`);
  await context.close();
}
