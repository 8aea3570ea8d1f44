#!/usr/bin/env python3
"""Narration audio and WebVTT captions for the guided tours of scene files.

For every `[[tour.stop]]` that names `audio` and `captions`, each language's
narration text (the Markdown subset of scenes/README.md, its markup
stripped) is cut into sentences; Debian's espeak-ng speaks each sentence on
its own (voice `vi` or `en`), so each sentence's duration is known from its
WAV; the sentences are joined with short pauses, encoded as Ogg Vorbis
(mono, 22,050 Hz, about 16 kbit/s, by oggenc of vorbis-tools) and the
captions get one cue per sentence, timed to where it lies in the audio.
The files go where the stop's `audio` and `captions` say (relative to the
scene file).

The output is deterministic: the same text and tool versions give the same
cue timings and the same bytes (oggenc's stream serial number is derived
from the file's name instead of being random). The committed files were
made with espeak-ng 1.51 and oggenc from vorbis-tools 1.4.2 (Debian 12);
another espeak-ng version speaks at slightly different lengths, so run
this again and commit the results after upgrading it.

The English voice cannot read Vietnamese letters with diacritics (it spells
them out), so Vietnamese names are spoken in their plain-Latin form
("Quang Tri") in English narration; the captions keep the real spelling.

Usage: tools/make_tour_audio.py [SCENE.toml ...]   (default: the scenes
that have narrated tours). Needs: espeak-ng, vorbis-tools (tools/setup-debian.sh).
"""

import array
import hashlib
import re
import subprocess
import sys
import tempfile
import tomllib
import unicodedata
import wave
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SCENES = ["scenes/quang-tri-citadel.toml", "scenes/relic-gallery.toml"]
LANGUAGES = ("vi", "en")
VOICES = {"vi": "vi", "en": "en"}
# Words a minute: a little slower than espeak-ng's default 175, for visitors
# listening in a language that may not be their own.
RATE_WPM = 150
SAMPLE_RATE = 22050  # what espeak-ng writes; kept as is
LEAD_S = 0.25  # silence before the first sentence
PAUSE_S = 0.45  # between sentences
TAIL_S = 0.20  # after the last one (the tests allow 0.3 s past the last cue)
# espeak-ng's loudest samples reach full scale; Vorbis would clip them.
GAIN = 0.8
# Samples quieter than this at a sentence's ends are trimmed (espeak-ng pads
# each utterance with silence; the cue should cover the speech).
TRIM_LEVEL = 300
TRIM_MARGIN_S = 0.04
OGGENC_ARGS = ["--quiet", "--managed", "-b", "16"]


class Failure(Exception):
    """A problem with the input or a tool, reported without a traceback."""


def plain_text(markdown: str) -> list[str]:
    """The text without markup, one entry per paragraph or list item (as the
    viewer shows it): emphasis markers dropped, links by their text, images
    by their description."""
    lines = []
    paragraph = []

    def flush():
        if paragraph:
            lines.append(" ".join(paragraph))
            paragraph.clear()

    for raw in markdown.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        item = re.match(r"^(?:[-*+]|\d+[.)])\s+(.*)$", line)
        if item:
            flush()
            line = item.group(1)
        line = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", line)
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)
        line = re.sub(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1", r"\2", line)
        line = re.sub(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1", r"\2", line)
        paragraph.append(line)
        if item:
            flush()
    flush()
    return [line for line in lines if line]


def sentences(markdown: str) -> list[str]:
    """The narration's sentences in order: each paragraph or list item split
    after '.', '!', '?' or '…' (and any closing quote or bracket) where
    whitespace follows. Decimals such as 7.40 or 7,40 have none, so they stay whole."""
    out = []
    for line in plain_text(markdown):
        for m in re.finditer(r"\S.*?(?:[.!?…][\"”’»)]*(?=\s|$)|$)", line):
            out.append(m.group(0).strip())
    return out


def speakable(sentence: str, lang: str) -> str:
    """What espeak-ng is given: for English, Vietnamese letters folded to
    plain Latin (đ to d, diacritics dropped)."""
    if lang != "en":
        return sentence
    folded = sentence.replace("Đ", "D").replace("đ", "d")
    folded = unicodedata.normalize("NFD", folded)
    return "".join(c for c in folded if not unicodedata.combining(c))


def run(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise Failure(f"{cmd[0]} is not installed (run tools/setup-debian.sh)") from None
    if done.returncode != 0:
        raise Failure(f"{' '.join(cmd[:3])} … failed: {done.stderr.strip()}")
    return done.stdout


def speak(sentence: str, lang: str, work: Path) -> array.array:
    """One sentence spoken: 16-bit mono samples at SAMPLE_RATE, trimmed."""
    text_file, wav_file = work / "sentence.txt", work / "sentence.wav"
    text_file.write_text(speakable(sentence, lang), encoding="utf-8")
    run(["espeak-ng", "-v", VOICES[lang], "-s", str(RATE_WPM), "-b", "1", "-f", str(text_file), "-w", str(wav_file)])
    with wave.open(str(wav_file), "rb") as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, SAMPLE_RATE):
            raise Failure(
                f"espeak-ng wrote {w.getnchannels()} channel(s), {8 * w.getsampwidth()} bit, "
                f"{w.getframerate()} Hz; expected mono 16-bit {SAMPLE_RATE} Hz"
            )
        samples = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    loud = [i for i, v in enumerate(samples) if abs(v) >= TRIM_LEVEL]
    if not loud:
        raise Failure(f"espeak-ng produced silence for {sentence!r}")
    margin = int(TRIM_MARGIN_S * SAMPLE_RATE)
    start, end = max(0, loud[0] - margin), min(len(samples), loud[-1] + 1 + margin)
    return array.array("h", (int(v * GAIN) for v in samples[start:end]))


def timestamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02}:{m:02}:{s:02}.{ms:03}"


def narrate(text: str, lang: str, audio: Path, captions: Path, source: str, version: str, work: Path):
    parts = sentences(text)
    if not parts:
        raise Failure(f"{source}: the {lang} text has no sentences to speak")
    pcm = array.array("h", [0] * round(LEAD_S * SAMPLE_RATE))
    cues = []
    for i, sentence in enumerate(parts):
        if i:
            pcm.extend([0] * round(PAUSE_S * SAMPLE_RATE))
        spoken = speak(sentence, lang, work)
        start = len(pcm)
        pcm.extend(spoken)
        cues.append((start / SAMPLE_RATE, len(pcm) / SAMPLE_RATE, sentence))
    pcm.extend([0] * round(TAIL_S * SAMPLE_RATE))
    if sys.byteorder == "big":
        pcm.byteswap()
    wav_file = work / "narration.wav"
    with wave.open(str(wav_file), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())
    audio.parent.mkdir(parents=True, exist_ok=True)
    # A fixed serial per file name: oggenc picks a random one otherwise.
    serial = int.from_bytes(hashlib.sha256(audio.name.encode()).digest()[:4], "big") & 0x7FFFFFFF
    run(["oggenc", *OGGENC_ARGS, "-s", str(serial), "-o", str(audio), str(wav_file)])
    lines = [
        "WEBVTT",
        "",
        f"NOTE Generated by tools/make_tour_audio.py from {source} ({lang})",
        f"with espeak-ng {version} (voice {VOICES[lang]}, {RATE_WPM} words a minute). Edit the",
        "scene's text and run the script again; do not edit this file.",
        "",
    ]
    for n, (start, end, sentence) in enumerate(cues, 1):
        lines += [str(n), f"{timestamp(start)} --> {timestamp(end)}", sentence, ""]
    captions.write_text("\n".join(lines), encoding="utf-8")
    return len(pcm) / SAMPLE_RATE, len(cues)


def espeak_version() -> str:
    out = run(["espeak-ng", "--version"])
    found = re.search(r"text-to-speech:\s*(\S+)", out)
    if not found:
        raise Failure(f"cannot read espeak-ng's version from {out.strip()!r}")
    return found.group(1)


def scene_narrations(scene: Path):
    """(where, text, language, audio path, captions path) for every narrated stop."""
    try:
        data = tomllib.loads(scene.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise Failure(f"{scene}: {e}") from None
    for tour in data.get("tour", []):
        for n, stop in enumerate(tour.get("stop", []), 1):
            where = f"{scene.relative_to(REPO) if scene.is_relative_to(REPO) else scene}, tour \"{tour.get('id')}\" stop {n}"
            audio, captions = stop.get("audio"), stop.get("captions")
            if audio is None and captions is None:
                continue
            if not isinstance(audio, dict) or not isinstance(captions, dict):
                raise Failure(f"{where}: `audio` and `captions` must both be given, as {{ vi = …, en = … }}")
            for lang in LANGUAGES:
                if lang not in audio or lang not in captions or lang not in stop.get("text", {}):
                    raise Failure(f"{where}: `text`, `audio` and `captions` need a {lang} entry each")
                yield (
                    where,
                    stop["text"][lang],
                    lang,
                    (scene.parent / audio[lang]).resolve(),
                    (scene.parent / captions[lang]).resolve(),
                )


def main(argv: list[str]) -> int:
    scenes = [Path(a).resolve() for a in argv] or [REPO / s for s in DEFAULT_SCENES]
    try:
        version = espeak_version()
        if version != "1.51":
            print(f"note: espeak-ng {version}; the committed files were made with 1.51", file=sys.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            for scene in scenes:
                for where, text, lang, audio, captions in scene_narrations(scene):
                    source = where.split(",")[0]
                    seconds, count = narrate(text, lang, audio, captions, source, version, Path(tmp))
                    shown = audio.relative_to(REPO) if audio.is_relative_to(REPO) else audio
                    size = audio.stat().st_size
                    print(f"{shown}: {seconds:.2f} s, {count} sentences, {size / 1024:.1f} KiB")
    except Failure as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
