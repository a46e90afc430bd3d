"""Running the streaming CTC model and reading its output: per-frame posteriors → units → written
syllables with frame-exact times and a confidence each.

The model (see `ctc_model`) is a streaming Conformer: it takes 43 feature frames at a time (10 ms
each) and gives 10 output frames, 40 ms apart, carrying attention and convolution caches from one
chunk to the next. Chunks advance by 40 feature frames (the 3 extra are the subsampling's right
context). The wheel's own loop advances by 43, so its output frames drift 3 ms each from the audio
(3 s in 100 s) and it drops 3 frames of speech in every 43: on the development set that costs
WER 0.241 against 0.215 here (benchmarks/asr.py), and times would be wrong, so we do not copy it.

Greedy decoding takes each frame's most likely unit; a run of the same non-blank unit is one
emission. A written syllable starts at a unit beginning with `▁`. Its time is its units' frames;
its confidence is the lowest, over its units, of the posterior at the unit's peak frame — one
doubtful unit makes the syllable doubtful.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ModelError
from . import fbank
from .ctc_model import INSTALL_HINT, MODEL_FILE, UNITS_FILE, read_units
from .model import ModelInfo

CHUNK_FRAMES = 43
CHUNK_STRIDE = 40
OUT_FRAMES = 10
FRAME_MS = 40
WORD_START = "▁"
ONSET_LAG_MS = 240
"""How long after a syllable starts to sound the streaming model fires its first unit. Measured on
the clean clips of the real-speech development set: the first syllable's spike lies a median 240 ms
after the voice's energy onset (most clips 190–280 ms), so syllables are started that much earlier."""
_LAYERS, _HEADS, _CACHE_T, _ATT_DIM, _CNN_DIM, _CNN_T = 12, 4, 40, 224, 448, 30

LogProbs = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Emission:
    """One unit the model emitted: frames [first, last] (output frames) and its peak posterior."""

    unit: int
    first: int
    last: int
    peak: float


@dataclass(frozen=True)
class Syllable:
    """A written syllable (a Vietnamese 'word' as subtitles count them) with frame-exact times."""

    text: str
    start_ms: int
    end_ms: int
    confidence: float
    units: tuple[int, ...]


class CtcModel:
    """An onnxruntime session over the verified model, with its unit list. Loaded once, reused."""

    def __init__(self, info: ModelInfo, threads: int = 0) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ModelError("onnxruntime is not installed", hint="pip install onnxruntime") from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 8)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(info.path / MODEL_FILE), sess_options=options,
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types
            raise ModelError(f"cannot load the recogniser ({type(exc).__name__}: {exc})", path=info.path / MODEL_FILE,
                             hint=INSTALL_HINT) from exc
        self.units = read_units(info.path / UNITS_FILE)
        self.vocabulary = int(self._session.get_outputs()[0].shape[-1])
        if self.vocabulary > len(self.units):
            raise ModelError(f"the model has {self.vocabulary} outputs but the unit list {len(self.units)} units",
                             path=info.path / UNITS_FILE, hint=INSTALL_HINT)

    def log_probs(self, features: npt.NDArray[np.float32], on_frames: Callable[[int], None] | None = None,
                  *, stride: int = CHUNK_STRIDE) -> LogProbs:
        """Per-output-frame log posteriors `(frames, units)` of one stretch of audio's features,
        streamed chunk by chunk from fresh caches. `stride` 43 reproduces the wheel's own loop (for
        comparing with its text); anything else is for that comparison only."""
        att = np.zeros((1, _LAYERS, _HEADS, _CACHE_T, _ATT_DIM), np.float32)
        cnn = np.zeros((1, _LAYERS, _CNN_DIM, _CNN_T), np.float32)
        outputs: list[npt.NDArray[np.float32]] = []
        total = len(features)
        wanted = math.ceil(total / 4) if stride == CHUNK_STRIDE else math.ceil(total / stride) * OUT_FRAMES
        start = 0
        offset = 0
        while start < total and offset < wanted:
            chunk = features[start:start + CHUNK_FRAMES]
            if len(chunk) < CHUNK_FRAMES:
                pad = np.full((CHUNK_FRAMES - len(chunk), fbank.MEL_BINS), fbank.FLOOR_VALUE, np.float32)
                chunk = np.concatenate([chunk, pad])
            out, att, cnn = self._session.run(None, {
                "chunk": chunk[None], "offset": np.array([[offset]], np.int64),
                "att_cache": att, "cnn_cache": cnn})
            outputs.append(out[0])
            start += stride
            offset += OUT_FRAMES
            if on_frames is not None:
                on_frames(min(start, total))
        if not outputs:
            return np.zeros((0, self.vocabulary), np.float32)
        return np.concatenate(outputs)[:wanted].astype(np.float32)


def emissions(log_probs: LogProbs) -> list[Emission]:
    """Greedy CTC: each frame's best unit; a run of one non-blank unit is one emission."""
    if not len(log_probs):
        return []
    best = log_probs.argmax(axis=1)
    peaks = np.exp(log_probs.max(axis=1))
    found: list[Emission] = []
    run_start = 0
    for frame in range(1, len(best) + 1):
        if frame < len(best) and best[frame] == best[run_start]:
            continue
        unit = int(best[run_start])
        if unit != 0:
            found.append(Emission(unit, run_start, frame - 1, float(peaks[run_start:frame].max())))
        run_start = frame
    return found


def onset_ms(first_frame: int, previous_last_frame: int | None) -> int:
    """When a syllable whose first unit fires at `first_frame` starts to sound: `ONSET_LAG_MS`
    before the spike, but not before the previous syllable's spike has ended."""
    start = first_frame * FRAME_MS - ONSET_LAG_MS
    if previous_last_frame is not None:
        start = max(start, (previous_last_frame + 1) * FRAME_MS)
    return max(0, start)


def syllables(found: Sequence[Emission], units: Sequence[str], offset_ms: int = 0,
              end_limit_ms: int | None = None) -> list[Syllable]:
    """Group emissions into written syllables. A syllable starts `ONSET_LAG_MS` before its first
    unit fires (no earlier than the previous syllable's last spike) and ends one frame after its
    last unit's last frame, never after the next syllable starts."""
    groups: list[list[Emission]] = []
    for emission in found:
        text = units[emission.unit]
        if text.startswith(WORD_START) or not groups:
            groups.append([emission])
        else:
            groups[-1].append(emission)
    groups = [g for g in groups
              if "".join(units[e.unit] for e in g).replace(WORD_START, "").strip()
              and not units[g[0].unit].startswith("<")]
    starts = [offset_ms + onset_ms(g[0].first, groups[i - 1][-1].last if i else None)
              for i, g in enumerate(groups)]
    out: list[Syllable] = []
    for index, group in enumerate(groups):
        text = "".join(units[e.unit] for e in group).replace(WORD_START, "").strip()
        start = starts[index]
        end = offset_ms + (group[-1].last + 2) * FRAME_MS
        if index + 1 < len(groups):
            end = min(end, starts[index + 1])
        if end_limit_ms is not None:
            end = min(end, end_limit_ms)
        out.append(Syllable(text, start, max(start + FRAME_MS // 2, end), min(e.peak for e in group),
                            tuple(e.unit for e in group)))
    return out


def load_samples(path: Path) -> npt.NDArray[np.int16]:
    """A 16 kHz mono 16-bit PCM WAV (what ingest writes as `audio16k.wav`) as int16 samples."""
    import wave

    with wave.open(str(path), "rb") as handle:
        if handle.getframerate() != fbank.SAMPLE_RATE or handle.getnchannels() != 1 or handle.getsampwidth() != 2:
            raise ValueError(f"expected 16 kHz mono 16-bit PCM, found {handle.getframerate()} Hz, "
                             f"{handle.getnchannels()} channels, {8 * handle.getsampwidth()}-bit")
        data = handle.readframes(handle.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


def describe() -> dict[str, Any]:
    """The decoding constants, recorded in every transcript's options."""
    return {"chunk_frames": CHUNK_FRAMES, "chunk_stride": CHUNK_STRIDE, "frame_ms": FRAME_MS, "decoder": "greedy",
            "features": {"mel_bins": fbank.MEL_BINS, "low_hz": fbank.LOW_HZ, "high_hz": fbank.HIGH_HZ,
                         "preemphasis": fbank.PREEMPHASIS, "window": "povey"}}
