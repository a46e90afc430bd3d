"""The CTC recogniser's front end: 80 log-mel energies every 10 ms, exactly as the `viet-asr` wheel
computes them, so the model hears what it was built for.

Reproduced from the wheel's own features (captured from `FeaturePipeline::PopFrames` on speech and
matched to 0.002 in log energy on every bin of every frame): 16-bit sample scale, 25 ms frames every
10 ms with no padding at the edges, no DC removal, Kaldi-style pre-emphasis 0.97 (the first sample
against itself), the Povey window (a Hann window to the power 0.85), a 512-point power spectrum,
80 triangular filters on whole FFT bins — edges at `floor(513 · f / 16000)` for 82 frequencies
evenly spaced on the mel scale (1127 ln(1 + f/700)) from 20 Hz to 7,600 Hz, rising on [left,
centre), falling on [centre, right), so the narrowest low filters are empty as in the wheel — and
the natural log with a floor of 1e-10.
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16000
FRAME_SAMPLES = 400
HOP_SAMPLES = 160
FFT_SIZE = 512
MEL_BINS = 80
LOW_HZ = 20.0
HIGH_HZ = 7600.0
PREEMPHASIS = 0.97
LOG_FLOOR = 1e-10
FLOOR_VALUE = float(np.log(LOG_FLOOR))
"""The feature value of an empty band (and of the padding after the last frame)."""

Floats = npt.NDArray[np.float32]


def _mel(hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 1127.0 * np.log1p(hz / 700.0)


def _hz(mel: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 700.0 * np.expm1(mel / 1127.0)


@functools.cache
def mel_filters() -> Floats:
    """The (80, 257) filter matrix."""
    edges_mel = np.linspace(_mel(np.array(LOW_HZ)), _mel(np.array(HIGH_HZ)), MEL_BINS + 2)
    edges = np.floor((FFT_SIZE + 1) * _hz(edges_mel) / SAMPLE_RATE).astype(int)
    filters = np.zeros((MEL_BINS, FFT_SIZE // 2 + 1), np.float32)
    for band in range(MEL_BINS):
        left, centre, right = edges[band], edges[band + 1], edges[band + 2]
        for k in range(left, centre):
            filters[band, k] = (k - left) / (centre - left)
        for k in range(centre, right):
            filters[band, k] = (right - k) / (right - centre)
    return filters


@functools.cache
def _window() -> npt.NDArray[np.float64]:
    phase = 2 * np.pi * np.arange(FRAME_SAMPLES) / (FRAME_SAMPLES - 1)
    window: npt.NDArray[np.float64] = (0.5 - 0.5 * np.cos(phase)) ** 0.85
    return window


def frame_count(samples: int) -> int:
    return 0 if samples < FRAME_SAMPLES else 1 + (samples - FRAME_SAMPLES) // HOP_SAMPLES


def features(samples: npt.NDArray[np.int16] | Floats, block_frames: int = 3000) -> Floats:
    """Log-mel features `(frames, 80)` of 16 kHz mono samples on the 16-bit scale (int16, or floats
    already multiplied by 32768). Computed in blocks so an hour of audio needs little memory."""
    total = frame_count(len(samples))
    out = np.empty((total, MEL_BINS), np.float32)
    filters = mel_filters()
    window = _window()
    for first in range(0, total, block_frames):
        count = min(block_frames, total - first)
        starts = (first + np.arange(count)) * HOP_SAMPLES
        frames = samples[starts[:, None] + np.arange(FRAME_SAMPLES)[None, :]].astype(np.float64)
        emphasised = np.empty_like(frames)
        emphasised[:, 1:] = frames[:, 1:] - PREEMPHASIS * frames[:, :-1]
        emphasised[:, 0] = frames[:, 0] * (1 - PREEMPHASIS)
        power = np.abs(np.fft.rfft(emphasised * window, FFT_SIZE)) ** 2
        out[first:first + count] = np.log(np.maximum(power.astype(np.float32) @ filters.T, LOG_FLOOR))
    return out
