"""Where speech really starts: word starts after a pause moved onto the sound's onset.

Whisper's word times are good inside a phrase and early at its start: the first word after a pause
routinely comes back 100–450 ms before the voice (measured on the sample programmes), which puts a
cue on screen before anyone speaks. The audio knows better. For each word that follows a pause, the
16 kHz recognition audio of its clip is searched around the recognised start for the first 10 ms
frame that is clearly louder than the stretch before it and stays so; the word then starts there
(less `LEAD_MS` when that moves it later). Only words after a pause are moved, never past their end,
and never back across a sound break (`speech.sound_breaks_ms`: the clip's sound before the cut is
not in the programme; the sound there is another segment's).
"""

from __future__ import annotations

import math
import wave
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..subs.cues import TimedWord
from ..timeline import Timeline
from ..workspace import Workspace
from .speech import sound_breaks_ms

FRAME_MS = 10
PAUSE_MS = 300
LOOK_BEFORE_MS = 120
LOOK_AFTER_MS = 600
UNHEARD_LOOK_BACK_MS = 2500
# A word moved onto its onset keeps this much before it: a cue up two frames ahead of the voice
# reads as on time, and fast speech needs every frame it can get.
LEAD_MS = 80
_FLOOR_DB = -50.0
_ABOVE_DB = 12.0  # an onset is this much louder than the quiet before it
_SUSTAIN = 4  # … for this many of the next 5 frames


class ClipAudio:
    """Frame energies (dBFS, 10 ms) of each clip's recognition audio, read once."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._levels: dict[str, np.ndarray | None] = {}

    def levels(self, clip_id: str) -> np.ndarray | None:
        if clip_id not in self._levels:
            self._levels[clip_id] = _frame_levels(self.ws.audio16k(clip_id))
        return self._levels[clip_id]


def _frame_levels(path: Path) -> np.ndarray | None:
    try:
        with wave.open(str(path)) as handle:
            if handle.getsampwidth() != 2 or handle.getnchannels() != 1:
                return None
            rate = handle.getframerate()
            samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.float64)
    except (OSError, wave.Error, EOFError):
        return None
    step = rate * FRAME_MS // 1000
    count = len(samples) // step
    if count == 0:
        return None
    frames = samples[: count * step].reshape(count, step) / 32768.0
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    return np.asarray(20 * np.log10(np.maximum(rms, 1e-6)))


def onset_ms(levels: np.ndarray, approx_ms: int, limit_ms: int, look_before_ms: int = LOOK_BEFORE_MS) -> int | None:
    """The speech onset nearest after `approx_ms - look_before_ms` and before `limit_ms`, in clip ms."""
    first = max(0, (approx_ms - look_before_ms) // FRAME_MS)
    last = min(len(levels) - 5, min(limit_ms, approx_ms + LOOK_AFTER_MS) // FRAME_MS)
    if last <= first:
        return None
    quiet_from = max(0, first - 30)
    quiet = float(np.percentile(levels[quiet_from : first + 1], 30)) if first > quiet_from else _FLOOR_DB
    threshold = max(quiet + _ABOVE_DB, _FLOOR_DB)
    for k in range(first, last):
        if levels[k] >= threshold and int(np.sum(levels[k : k + 5] >= threshold)) >= _SUSTAIN:
            return k * FRAME_MS
    return None


def _clip_time(timeline: Timeline, programme_ms: int) -> tuple[str, int, int] | None:
    """(clip id, clip ms, programme ms of the segment's end) of the sound at `programme_ms`."""
    for seg in timeline.segments:
        rec_in, rec_out = timeline.frames_to_ms(seg.rec_in_frame), timeline.frames_to_ms(seg.rec_out_frame)
        if seg.has_audio and rec_in <= programme_ms < rec_out:
            return seg.clip_id, programme_ms - rec_in + timeline.frames_to_ms(seg.src_in_frame), rec_out
    return None


def refine_starts(words: Sequence[TimedWord], timeline: Timeline, ws: Workspace) -> list[TimedWord]:
    """`words` (programme time, in order) with each start after a pause moved onto the speech onset."""
    audio = ClipAudio(ws)
    breaks = sound_breaks_ms(timeline)
    out: list[TimedWord] = []
    previous_end = -math.inf
    for word in words:
        if word.start_ms - previous_end >= PAUSE_MS:
            where = _clip_time(timeline, word.start_ms)
            levels = audio.levels(where[0]) if where else None
            if where is not None and levels is not None:
                at_break = bisect_right(breaks, word.start_ms)
                floor = breaks[at_break - 1] if at_break else 0
                _, clip_ms, _ = where
                shift = word.start_ms - clip_ms
                latest = max(word.start_ms, word.end_ms - 2 * FRAME_MS) - shift
                # A word timed between heard ones (probability 0) may be seconds off: look back to the
                # end of the speech before it.
                back = LOOK_BEFORE_MS
                if word.probability <= 0.0 and previous_end > -math.inf:
                    back = max(LOOK_BEFORE_MS, min(UNHEARD_LOOK_BACK_MS, int(word.start_ms - previous_end) - 100))
                found = onset_ms(levels, clip_ms, latest, back)
                if found is not None:
                    at = found + shift
                    at = max(word.start_ms, at - LEAD_MS) if at > word.start_ms else max(at, floor)
                    start = max(int(previous_end) if previous_end > -math.inf else 0, at)
                    word = replace(word, start_ms=start, end_ms=max(word.end_ms, start))
        out.append(word)
        previous_end = max(previous_end, word.end_ms)
    return out
