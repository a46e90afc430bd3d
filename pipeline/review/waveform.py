"""The programme's sound as a waveform strip for the review page: min/max peaks per 10 ms.

The peaks are decoded from the file the player plays (`views.player`: the web render, else a
single-clip programme's proxy), not mixed again from the timeline's audio: that file is one
already-mixed input, so one ffmpeg decode of its sound alone gives exactly what the reviewer hears
under the picture, where the timeline would need every clip's working copy mixed as the render
does. The file's programme time 0 is at `offset_s` (its leader, or an excerpt's start), as for the
player, so the strip lines up with the cues and the playhead.

Decoding a long programme takes seconds, so the peaks are cached in the workspace
(`<programme>/cache/waveform/<key>.json`), keyed by the file's content hash, the offset, the
duration and this module's version: the same render is decoded once, a new render gets new peaks.
The hash is the catalogue's (`stagerun.content_hash`, read again only when the file's size or mtime
changed), so a second request reads neither the sound nor the file.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .. import fsutil, stagerun
from ..media.ffmpeg import run_ffmpeg, safe_input
from ..workspace import Workspace

WAVEFORM_VERSION = 1
BUCKET_MS = 10
SAMPLE_RATE = 8000  # enough for peaks every 10 ms (80 samples each), a sixth of a 48 kHz decode
SCALE = 1000  # peaks as whole thousandths of full scale: small JSON, plenty for a strip of pixels

_guard = threading.Lock()
_decoding: dict[str, threading.Lock] = {}


def cache_dir(ws: Workspace) -> Path:
    return ws.dir / "cache" / "waveform"


def peaks_path(ws: Workspace, media: Path, offset_s: float, duration_ms: int) -> Path:
    """Where the peaks of `media` (programme time 0 at `offset_s`) are cached."""
    # the catalogue's content hash: read again only when the file's size or mtime changed
    key = stagerun.inputs_hash({"version": WAVEFORM_VERSION, "media": stagerun.content_hash(ws, media),
                                "offset_s": round(offset_s, 6), "duration_ms": duration_ms,
                                "bucket_ms": BUCKET_MS, "rate": SAMPLE_RATE})
    return cache_dir(ws) / f"{key}.json"


def peaks(ws: Workspace, media: Path, offset_s: float, duration_ms: int) -> Path:
    """The cached peaks file of `media`, decoded now when it is not there yet (one decode at a time
    per cache entry: two page loads wait for the same decode)."""
    target = peaks_path(ws, media, offset_s, duration_ms)
    with _guard:
        lock = _decoding.setdefault(str(target), threading.Lock())
    with lock:
        if not _readable(target):
            target.parent.mkdir(parents=True, exist_ok=True)
            fsutil.write_json(target, _decode(target, media, offset_s, duration_ms))
    return target


def _readable(path: Path) -> bool:
    """A cache entry that is there and parses; a damaged one is decoded again, never trusted."""
    if not path.is_file():
        return False
    try:
        return isinstance(fsutil.read_json(path).get("peaks"), list)
    except (OSError, ValueError, AttributeError):
        return False


def _decode(target: Path, media: Path, offset_s: float, duration_ms: int) -> dict[str, Any]:
    """Decode the sound to mono 8 kHz samples and fold them to min/max per bucket."""
    lead = max(0.0, -offset_s)  # programme time before the file's first sample: silence
    args = ["-ss", f"{max(0.0, offset_s):.6f}", "-i", safe_input(media), "-map", "0:a:0?", "-vn", "-ac", "1",
            "-ar", str(SAMPLE_RATE), "-t", f"{max(0.0, duration_ms / 1000 - lead):.6f}", "-f", "s16le"]
    with fsutil.scratch_path(target, ".pcm", ".raw") as raw:
        run_ffmpeg([*args, "file:" + str(raw)], subject=media)
        samples = np.fromfile(raw, dtype="<i2") if raw.is_file() and os.path.getsize(raw) else np.zeros(0, "<i2")
    per = SAMPLE_RATE * BUCKET_MS // 1000
    buckets = -(-duration_ms // BUCKET_MS)
    padded = np.zeros(buckets * per, dtype=np.int32)
    start = round(lead * SAMPLE_RATE)
    take = max(0, min(len(samples), len(padded) - start))
    padded[start:start + take] = samples[:take]
    folded = padded.reshape(buckets, per)
    lo = (folded.min(axis=1) * SCALE) // 32768
    hi = (folded.max(axis=1) * SCALE) // 32767
    pairs = np.stack([lo, hi], axis=1).reshape(-1)
    return {"version": WAVEFORM_VERSION, "bucket_ms": BUCKET_MS, "scale": SCALE, "duration_ms": duration_ms,
            "source": media.name, "peaks": [int(v) for v in pairs]}
