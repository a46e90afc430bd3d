"""The offline last resort: Whisper's own `translate` task, run on the audio of each Vietnamese cue.

It needs nothing beyond the speech model the pipeline already ships, but Whisper translates the
sound, not our corrected text, and the bundled model is small: its English is a rough draft that a
person must review (always flagged `machine_draft: true, reviewed: false`). Audio is cut from the
clip's 16 kHz WAV in memory (stdlib `wave` + numpy), a little padded so first syllables survive.

Options: `beam_size` (5), `pad_ms` (150), `cpu_threads` (0 = auto), `model` (a model folder; the
bundled model by default).
"""

from __future__ import annotations

import wave
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..asr.model import ModelInfo, resolve_model
from ..errors import MediaError, ModelError
from ..workspace import Workspace
from .base import AudioSpan, SourceCue, TranslationContext, check_outputs, enforce_spellings

SAMPLE_RATE = 16000


def read_wav_span(path: Path, start_ms: int, end_ms: int) -> Any:
    """Samples [start_ms, end_ms) of a 16-bit PCM WAV as float32 in [-1, 1], mono-mixed."""
    import numpy as np

    try:
        with wave.open(str(path), "rb") as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            if width != 2:
                raise MediaError(f"expected 16-bit PCM audio, found {8 * width}-bit", path=path)
            first = max(0, start_ms * rate // 1000)
            last = min(wav.getnframes(), max(first, end_ms * rate // 1000))
            wav.setpos(min(first, wav.getnframes()))
            raw = wav.readframes(last - first)
    except (OSError, EOFError, wave.Error) as exc:
        raise MediaError(f"cannot read the audio: {exc}", path=path, hint="rerun `reportage ingest`") from None
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    if rate != SAMPLE_RATE:  # ingest writes 16 kHz; resample linearly if someone gave us another rate
        count = int(len(samples) * SAMPLE_RATE / rate)
        samples = np.interp(np.linspace(0, len(samples), count, endpoint=False), np.arange(len(samples)), samples)
    return samples.astype(np.float32)


class WhisperTranslator:
    """Whisper `task="translate"` over each cue's audio span(s)."""

    name = "whisper"
    is_machine_draft = True

    def __init__(self, ws: Workspace, options: Mapping[str, Any] | None = None) -> None:
        options = options or {}
        self.ws = ws
        self.beam_size = int(options.get("beam_size", 5))
        self.pad_ms = int(options.get("pad_ms", 150))
        self.cpu_threads = int(options.get("cpu_threads", 0))
        model = options.get("model")
        self.model_path = Path(str(model)) if model else None
        self._model: Any = None
        self._info: ModelInfo | None = None

    def model_info(self) -> ModelInfo:
        """The verified model (its hash belongs in the subtitles stage's inputs)."""
        if self._info is None:
            self._info = resolve_model(self.model_path)
        return self._info

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        info = self.model_info()
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise ModelError("faster-whisper is not installed", hint="pip install faster-whisper") from None
        import os

        try:
            self._model = WhisperModel(str(info.path), device="cpu", compute_type="int8",
                                       cpu_threads=self.cpu_threads or min(os.cpu_count() or 1, 8),
                                       local_files_only=True)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"cannot load the model: {exc}", path=info.path) from None
        return self._model

    def audio_for(self, spans: Sequence[AudioSpan]) -> Any:
        """The cue's audio, its pieces joined (a cue may straddle a cut between two clips)."""
        import numpy as np

        pieces = [read_wav_span(self.ws.audio16k(s.clip_id), max(0, s.start_ms - self.pad_ms), s.end_ms + self.pad_ms)
                  for s in spans]
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)

    def translate_audio(self, audio: Any) -> str:
        """English for one stretch of Vietnamese speech ('' when Whisper hears nothing)."""
        if len(audio) < SAMPLE_RATE // 10:
            return ""
        model = self._load()
        try:
            segments, _ = model.transcribe(
                audio, language="vi", task="translate", beam_size=self.beam_size, vad_filter=False,
                condition_on_previous_text=False, word_timestamps=False, without_timestamps=True,
            )
            return " ".join(s.text.strip() for s in segments).strip()
        except Exception as exc:  # CTranslate2 raises its own types
            raise MediaError(f"Whisper translation failed ({type(exc).__name__}: {exc})") from None

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        """One Whisper pass per cue; the glossary spelling pass fixes names Whisper wrote bare."""
        out: list[str] = []
        for cue in cues:
            text = self.translate_audio(self.audio_for(cue.audio)) if cue.audio else ""
            out.append(enforce_spellings(text, context.glossary))
        return check_outputs(cues, out, "Whisper")
