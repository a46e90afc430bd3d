"""The Vietnamese CTC recogniser as a `Transcriber`: speech regions from the voice detector, each
decoded from fresh caches, syllables timed to the model's 40 ms frames with a confidence each.

Why this recogniser: on real human Vietnamese speech it makes less than half Whisper base's errors
(README, benchmarks/asr.py), it is several times faster, and a CTC model cannot loop or read out a
prompt. What it lacks — capitals and punctuation — comes from `written` (pauses, glossary names).

Each stretch the voice detector (Silero, through faster-whisper, the project's one VAD) calls speech
is decoded on its own, so no syllable is ever placed over silence, and a long clip costs memory for
one stretch at a time. A stretch of more than `MAX_REGION_MS` is cut at its quietest 40 ms near the
limit (the model streams, so this only bounds the features held at once). The guards that apply to
any recogniser run here too: a stretch whose syllables are all doubtful (music, noise) is dropped
with its reason, and doubtful syllables are flagged `low_probability` for the review room and QC.
"""

from __future__ import annotations

import dataclasses
import math
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import MediaError
from ..fsutil import sha256_file
from . import ctc, fbank
from .ctc_model import NAME, ensure_model, installed_version
from .engine import AudioProgress, TranscribeSettings, speech_regions
from .guards import apply_guards
from .model import ModelInfo
from .transcript import ModelRef, Transcript, TranscriptSegment, TranscriptWord
from .written import WrittenSettings, punctuate

MAX_REGION_MS = 60_000
MIN_REGION_MS = 200
LOW_CONFIDENCE = 0.7
"""A syllable below this confidence is flagged `low_probability` (to be listened to). On the real-speech
development set (benchmarks/asr.py) 0.7 flags 16 % of syllables and finds 64 % of the wrong ones, two
flags in three on a wrong syllable; 0.5 finds only a third, 0.9 flags 28 %."""
EXTRA_PAD_MS = 200
"""Each speech region is widened by this much on both sides beyond the voice detector's own 200 ms
pad: the model needs to hear a syllable's onset and decay (real speech, development set: WER 0.171
with 400 ms in all against 0.181 with 200 ms, 0.176 decoding whole clips)."""
ENGINE_NAME = "vietctc"


class VietCtcTranscriber:
    """The CTC model through onnxruntime; the model is loaded on first use and kept."""

    def __init__(self, model_dir: Path | None = None, written: WrittenSettings | None = None) -> None:
        self._model_dir = model_dir
        self._info: ModelInfo | None = None
        self._model: ctc.CtcModel | None = None
        self._threads = 0
        self.written = written or WrittenSettings()

    def model_info(self) -> ModelInfo:
        if self._info is None:
            self._info = ensure_model(self._model_dir)
        return self._info

    def loaded(self, threads: int = 0) -> ctc.CtcModel:
        """The model itself (for forced alignment), loaded once."""
        return self._load(TranscribeSettings(cpu_threads=threads))

    def _load(self, settings: TranscribeSettings) -> ctc.CtcModel:
        threads = settings.resolved_cpu_threads()
        if self._model is None or self._threads != threads:
            self._model = ctc.CtcModel(self.model_info(), threads)
            self._threads = threads
        return self._model

    def transcribe(
        self,
        audio_path: Path,
        settings: TranscribeSettings,
        *,
        clip_id: str = "",
        on_progress: AudioProgress | None = None,
    ) -> Transcript:
        """Decode `audio_path` region by region; segments are the sentences the pauses make."""
        if not audio_path.is_file():
            raise MediaError("audio for transcription is missing", path=audio_path, hint="rerun `reportage ingest`")
        started = time.monotonic()
        try:
            samples = ctc.load_samples(audio_path)
        except (OSError, ValueError, EOFError) as exc:
            raise MediaError(f"cannot read the audio for transcription ({exc})", path=audio_path,
                             hint="rerun `reportage ingest` to rebuild it") from exc
        model = self._load(settings)
        loaded = time.monotonic()
        duration_ms = len(samples) * 1000 // fbank.SAMPLE_RATE
        try:
            regions = _regions(audio_path, settings, len(samples))
        except Exception as exc:
            raise MediaError(f"speech detection failed ({type(exc).__name__}: {exc})", path=audio_path,
                             hint="check the audio plays; rerun `reportage ingest` to rebuild it") from exc
        segments: list[TranscriptSegment] = []
        for low, high in regions:
            piece = samples[low * 16:high * 16]
            log_probs = model.log_probs(fbank.features(piece))
            found = ctc.syllables(ctc.emissions(log_probs), model.units, offset_ms=low, end_limit_ms=high)
            words = [TranscriptWord(s.start_ms, s.end_ms, s.text, s.confidence) for s in found]
            segments.extend(sentences(punctuate(words, self.written)))
            if on_progress is not None:
                on_progress(high)
        guards = dataclasses.replace(settings.guards, low_word_probability=LOW_CONFIDENCE)
        guarded = apply_guards(segments, guards, duration_ms=duration_ms)
        decoded = time.monotonic()
        if on_progress is not None:
            on_progress(duration_ms)
        info = self.model_info()
        options = {
            "settings": _plain_settings(settings),
            "engine": {"name": ENGINE_NAME, "package": "viet-asr", "package_version": installed_version(),
                       "runtime": "onnxruntime", "cpu_threads": settings.resolved_cpu_threads(), **ctc.describe()},
            "written": dataclasses.asdict(self.written),
            "regions_ms": [list(r) for r in regions],
        }
        return Transcript(
            clip_id=clip_id or audio_path.parent.name,
            language="vi",
            language_probability=None,
            duration_ms=duration_ms,
            audio_sha256=sha256_file(audio_path),
            model=ModelRef(NAME, info.sha256),
            segments=guarded.kept,
            dropped=guarded.dropped,
            options=options,
            timings_ms={"load_ms": round((loaded - started) * 1000), "decode_ms": round((decoded - loaded) * 1000)},
        )


def _regions(audio_path: Path, settings: TranscribeSettings, sample_count: int) -> list[tuple[int, int]]:
    """Speech regions in ms (the whole clip when the voice detector is off), long ones cut."""
    duration_ms = sample_count * 1000 // fbank.SAMPLE_RATE
    found = speech_regions(audio_path, settings) if settings.vad_filter else [(0, duration_ms)]
    widened: list[tuple[int, int]] = []
    for low, high in found:
        low, high = max(0, low - EXTRA_PAD_MS), min(duration_ms, high + EXTRA_PAD_MS)
        if widened and low <= widened[-1][1]:
            widened[-1] = (widened[-1][0], max(high, widened[-1][1]))
        else:
            widened.append((low, high))
    out: list[tuple[int, int]] = []
    for low, high in widened:
        while high - low > MAX_REGION_MS:
            out.append((low, low + MAX_REGION_MS))
            low += MAX_REGION_MS
        if high - low >= MIN_REGION_MS:
            out.append((low, high))
    return out


def sentences(words: Sequence[TranscriptWord]) -> list[TranscriptSegment]:
    """One segment per sentence (a word ending in . ? ! closes one), scored from its syllables:
    `avg_logprob` is the mean log confidence, `no_speech_prob` one minus the mean confidence (a
    stretch of nothing but doubtful syllables is what music and noise give), `compression_ratio` as
    Whisper computes it, so the shared guards judge it the same way."""
    out: list[TranscriptSegment] = []
    current: list[TranscriptWord] = []
    for word in words:
        current.append(word)
        if word.text.endswith((".", "?", "!")):
            out.append(_segment(current))
            current = []
    if current:
        out.append(_segment(current))
    return out


def _segment(words: Sequence[TranscriptWord]) -> TranscriptSegment:
    text = " ".join(w.text for w in words)
    confidences = [max(w.probability, 1e-6) for w in words]
    raw = text.encode("utf-8")
    return TranscriptSegment(
        start_ms=words[0].start_ms,
        end_ms=words[-1].end_ms,
        text=text,
        avg_logprob=sum(math.log(c) for c in confidences) / len(confidences),
        no_speech_prob=1.0 - sum(confidences) / len(confidences),
        compression_ratio=len(raw) / max(1, len(zlib.compress(raw))),
        words=tuple(words),
    )


def _plain_settings(settings: TranscribeSettings) -> dict[str, Any]:
    """The settings this engine uses (Whisper's decoding options do not apply)."""
    return {"language": settings.language, "engine": settings.engine, "vad_filter": settings.vad_filter,
            "vad": dataclasses.asdict(settings.vad), "guards": dataclasses.asdict(settings.guards)}
