#!/usr/bin/env python3
"""Checks every narrated tour stop of the scenes: its captions against its
text, and both against its audio.

For each stop with `audio` and `captions`, in each language:
- the WebVTT cues, in order, are the sentences of the stop's narration text
  (its Markdown markup stripped; sentences end at . ! ? … before a space
  or the end of a paragraph or list item), character for character;
- the audio is Ogg Vorbis, mono, 22,050 Hz, and its duration as sox reads
  it (`soxi -D`, an independent decoder) is within 0.3 s of the last cue's
  end, which does not lie past it;
- the audio is speech, not silence: its RMS amplitude (`sox FILE -n stat`)
  is at least 0.02 of full scale (espeak-ng's speech is about 0.08 here);
- the cues sit where the speech is: decoded by sox, every cue's span has
  an RMS of at least 0.02, and every pause of 0.2 s or more between cues is
  quieter than 0.005 (so captions shifted by a sentence, or stale timings
  after a text was edited, fail).

The texts and files are made by tools/make_tour_audio.py; this check
shares no code with it. Usage: check_tour_audio.py [SCENE.toml ...]
(default: every scene under scenes/). Needs sox (tools/setup-debian.sh).
"""

import array
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DURATION_TOLERANCE_S = 0.3
LOUDNESS_FLOOR = 0.02
PAUSE_CEILING = 0.005
PAUSE_MIN_S = 0.2
RATE = 22050


def strip_markdown(text: str) -> list[str]:
    """Paragraphs and list items of the Markdown subset as plain lines."""
    blocks, current = [], []
    for raw in text.split("\n"):
        line = raw.strip()
        bullet = line[:2] in ("- ", "* ", "+ ")
        number = line.split(" ", 1)[0]
        numbered = len(number) > 1 and number[:-1].isdigit() and number[-1] in ".)"
        if not line or bullet or numbered:
            if current:
                blocks.append(" ".join(current))
            current = []
            if bullet:
                line = line[2:].strip()
            elif numbered:
                line = line[len(number) :].strip()
        if line:
            current.append(line)
            if bullet or numbered:
                blocks.append(" ".join(current))
                current = []
    if current:
        blocks.append(" ".join(current))
    return [unmark(b) for b in blocks if unmark(b)]


def unmark(line: str) -> str:
    """Links and images by their text, emphasis markers removed."""
    out, i = [], 0
    while i < len(line):
        c = line[i]
        if c == "!" and line[i + 1 : i + 2] == "[":
            i += 1
            continue
        if c == "[":
            close = line.find("](", i)
            end = line.find(")", close + 2) if close >= 0 else -1
            if close >= 0 and end >= 0:
                out.append(line[i + 1 : close])
                i = end + 1
                continue
        if c in "*_":
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out).strip()


def expected_sentences(text: str) -> list[str]:
    found = []
    for block in strip_markdown(text):
        start = 0
        for i, c in enumerate(block):
            if c in ".!?…" and (i + 1 == len(block) or block[i + 1].isspace()):
                found.append(block[start : i + 1].strip())
                start = i + 1
        if block[start:].strip():
            found.append(block[start:].strip())
    return found


def seconds(stamp: str) -> float:
    parts = stamp.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"bad timestamp {stamp!r}")
    value = float(parts[-1])
    for k, part in enumerate(reversed(parts[:-1])):
        value += int(part) * 60 ** (k + 1)
    return value


def read_vtt(path: Path) -> list[tuple[float, float, str]]:
    text = path.read_text(encoding="utf-8")
    blocks = text.replace("\r\n", "\n").strip().split("\n\n")
    if not blocks[0].startswith("WEBVTT"):
        raise ValueError("does not start with WEBVTT")
    cues = []
    for block in blocks[1:]:
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines or lines[0].startswith("NOTE"):
            continue
        timing = 0 if "-->" in lines[0] else 1
        if timing >= len(lines) or "-->" not in lines[timing]:
            raise ValueError(f"a cue without timings: {block!r}")
        start, end = (s.strip().split(" ")[0] for s in lines[timing].split("-->"))
        cues.append((seconds(start), seconds(end), " ".join(lines[timing + 1 :]).strip()))
    return cues


def sox(*args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["sox", *args], capture_output=True, check=True)
    except FileNotFoundError:
        sys.exit("error: sox is not installed (tools/setup-debian.sh installs it)")


def soxi(flag: str, path: Path) -> str:
    done = subprocess.run(["soxi", flag, str(path)], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def rms(samples, a: int, b: int) -> float:
    window = samples[max(a, 0) : min(b, len(samples))]
    if not window:
        return 0.0
    return (sum(v * v for v in window) / len(window)) ** 0.5 / 32768.0


def check(where: str, text: str, audio: Path, captions: Path) -> list[str]:
    problems = []
    for p in (audio, captions):
        if not p.is_file():
            return [f"{where}: {p.relative_to(REPO) if p.is_relative_to(REPO) else p} is missing (tools/make_tour_audio.py writes it)"]
    try:
        cues = read_vtt(captions)
    except ValueError as e:
        return [f"{where}: {captions.name}: {e}"]
    want = expected_sentences(text)
    got = [c[2] for c in cues]
    if got != want:
        for i in range(max(len(got), len(want))):
            g = got[i] if i < len(got) else "(no cue)"
            w = want[i] if i < len(want) else "(no sentence)"
            if g != w:
                problems.append(f"{where}: {captions.name}: cue {i + 1} is {g!r}, the text's sentence {i + 1} is {w!r}")
                break
    for i, (a, b, _) in enumerate(cues):
        if not a < b or (i and a < cues[i - 1][1]):
            problems.append(f"{where}: {captions.name}: cue {i + 1} ({a:.3f}–{b:.3f} s) is empty or overlaps the one before")
    encoding, channels, rate = soxi("-e", audio), soxi("-c", audio), soxi("-r", audio)
    if (encoding, channels, rate) != ("Vorbis", "1", str(RATE)):
        problems.append(f"{where}: {audio.name} is {encoding}, {channels} channel(s), {rate} Hz; expected Vorbis, mono, {RATE} Hz")
        return problems
    duration = float(soxi("-D", audio))
    if cues:
        last = cues[-1][1]
        if last > duration + 0.01 or duration - last > DURATION_TOLERANCE_S:
            problems.append(
                f"{where}: {captions.name}: the last cue ends at {last:.3f} s, the audio lasts {duration:.3f} s "
                f"(allowed: up to {DURATION_TOLERANCE_S} s of audio after it)"
            )
    stat = sox(str(audio), "-n", "stat").stderr.decode()
    level = next((float(line.split(":")[1]) for line in stat.splitlines() if line.startswith("RMS     amplitude")), None)
    if level is None or level < LOUDNESS_FLOOR:
        problems.append(f"{where}: {audio.name}: RMS amplitude {level} is below the floor {LOUDNESS_FLOOR}: silent?")
    raw = sox(str(audio), "-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1", "-r", str(RATE), "-L", "-").stdout
    samples = array.array("h")
    samples.frombytes(raw)
    if sys.byteorder == "big":
        samples.byteswap()
    edges = [0.0] + [t for a, b, _ in cues for t in (a, b)] + [duration]
    for i, (a, b, _) in enumerate(cues):
        level = rms(samples, int(a * RATE), int(b * RATE))
        if level < LOUDNESS_FLOOR:
            problems.append(f"{where}: {audio.name}: cue {i + 1} ({a:.2f}–{b:.2f} s) has RMS {level:.4f}: no speech under it")
    for k in range(0, len(edges), 2):
        a, b = edges[k], edges[k + 1]
        if b - a >= PAUSE_MIN_S:
            # The middle of the pause: Vorbis smears a few ms of speech across its edges.
            level = rms(samples, int((a + 0.05) * RATE), int((b - 0.05) * RATE))
            if level > PAUSE_CEILING:
                problems.append(f"{where}: {audio.name}: {a:.2f}–{b:.2f} s, between cues, has RMS {level:.4f}: speech without a caption")
    return problems


def narrated_stops(scene: Path):
    data = tomllib.loads(scene.read_text(encoding="utf-8"))
    for tour in data.get("tour", []):
        for n, stop in enumerate(tour.get("stop", []), 1):
            if "audio" not in stop and "captions" not in stop:
                continue
            for lang in ("vi", "en"):
                where = f"{scene.name} tour {tour['id']} stop {n} ({lang})"
                yield where, stop["text"][lang], scene.parent / stop["audio"][lang], scene.parent / stop["captions"][lang]


def main(argv: list[str]) -> int:
    scenes = [Path(a).resolve() for a in argv] or sorted((REPO / "scenes").glob("*.toml"))
    problems, count = [], 0
    for scene in scenes:
        for where, text, audio, captions in narrated_stops(scene):
            problems += check(where, text, audio.resolve(), captions.resolve())
            count += 1
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if count == 0:
        print("error: no narrated tour stop found in " + ", ".join(str(s) for s in scenes), file=sys.stderr)
        return 1
    print(f"{count} narrations checked: captions = sentences, timings = speech, duration and loudness: "
          + ("ok" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
