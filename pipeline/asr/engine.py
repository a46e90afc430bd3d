"""The speech recogniser: a small `Transcriber` protocol and its faster-whisper implementation.

Everything faster-whisper needs is wrapped in our own frozen `TranscribeSettings` (units in the
names), and every option actually used is stored in the transcript so a run can be reproduced.
faster-whisper is imported only when a model is loaded, never at import time.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from ..errors import MediaError, ModelError
from ..fsutil import sha256_file
from ..intervals import clip, overlaps
from . import lost
from .glossary import CorrectionSettings
from .guards import DROP_PROMPT_ECHO, GuardResult, GuardSettings, apply_guards
from .model import ModelInfo, resolve_model
from .transcript import ModelRef, Transcript, TranscriptSegment, TranscriptWord

log = logging.getLogger(__name__)

AudioProgress = Callable[[int], None]
"""Called with the milliseconds of audio decoded so far."""


@dataclass(frozen=True)
class VadSettings:
    """Silero VAD, tuned for interviews over B-roll music.

    faster-whisper's defaults only cut pauses of 2 s or more (measured), which lets Whisper decode
    long stretches of music between answers — where it invents text. We cut at 0.5 s, drop blips
    under 0.25 s (music hits, clicks) and pad 0.2 s so Vietnamese word onsets are not clipped.
    """

    threshold: float = 0.5
    neg_threshold: float | None = None
    min_speech_duration_ms: int = 250
    max_speech_duration_s: float | None = None
    min_silence_duration_ms: int = 500
    speech_pad_ms: int = 200

    def engine_options(self) -> dict[str, Any]:
        options = dataclasses.asdict(self)
        options["max_speech_duration_s"] = self.max_speech_duration_s or math.inf
        return options


@dataclass(frozen=True)
class TranscribeSettings:
    """How to recognise speech. Defaults: Vietnamese, beam 5, VAD on, word timings on, no
    conditioning on previous text (it feeds repetition loops), Whisper's temperature fallback.

    `no_speech_threshold` is off: faster-whisper would otherwise skip a whole 30 s window it
    thinks silent, without a trace (measured: 20 s of espeak speech lost that way). VAD already
    removed the silence; the guards judge `no_speech_prob` with `avg_logprob` and record any drop.

    `glossary_bias` says where the glossary's terms go: `prompt` (the initial prompt, a short
    sentence naming a few terms; it conditions the first 30 s window only), `hotwords` (every
    window) or `off`. Measured with benchmarks/asr_glossary.py (espeak speech: the sample clips,
    30 names said, and 12 everyday sentences that name nothing but sound close to the glossary):
    the prompt "Phóng sự về Trà Vinh và Trà Cú." spells 5 names right before correction against 0
    with `off`, at a WER no worse (0.728–0.735 against 0.754, bare faster-whisper 0.724), and put
    no term into the everyday sentences; hotwords (same text) put "Trà Cú." after them, 2 terms in
    12 clips; a prompt that is a list of names ("Trà Vinh, Trà Cú, Định An và Ao Bà Om.") put 2
    there and 5 into the sample clips, and raised the WER of the everyday sentences from 0.80 to
    0.93. So: `prompt`, as a sentence. The stage fills `initial_prompt` / `hotwords` from the
    glossary unless they are set explicitly; where Whisper reads the prompt out instead of
    listening (whole, or its first word opening a segment, or a lone tail of it), the guards
    remove the echo and the engine decodes that stretch again without the prompt.

    `correction` is how sure the glossary correction after decoding must be (see
    `pipeline.asr.glossary.CorrectionSettings`): strict by default, because the loose rule it
    replaces put 8 terms into the 12 everyday sentences even when they were recognised perfectly.
    """

    engine: Literal["vietctc", "whisper", "combined"] | None = None
    """Which recogniser: the Vietnamese CTC model (`pipeline.asr.vietctc`: on real speech it makes
    less than half Whisper base's errors, README), Whisper base, or the two combined (CTC syllables,
    Whisper's capitals and punctuation where they agree). None: the manifest's `asr.engine`
    (default vietctc), resolved by the transcribe stage."""
    language: str = "vi"
    beam_size: int = 5
    best_of: int = 5
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float | None = None
    condition_on_previous_text: bool = False
    word_timestamps: bool = True
    vad_filter: bool = True
    vad: VadSettings = field(default_factory=VadSettings)
    hallucination_silence_threshold_s: float | None = None
    glossary_bias: Literal["prompt", "hotwords", "off"] = "prompt"
    bias_budget_tokens: int = 24
    bias_template: str = "Phóng sự về {terms}."
    initial_prompt: str | None = None
    hotwords: str | None = None
    guards: GuardSettings = field(default_factory=GuardSettings)
    correction: CorrectionSettings = field(default_factory=CorrectionSettings)
    redecode_lost_speech: bool = True
    """Decode again each stretch the voice detector hears and no word covers (`pipeline.asr.lost`)."""
    device: str = "cpu"
    compute_type: str = "default"
    cpu_threads: int = 0

    def resolved_compute_type(self) -> str:
        """int8 on CPU (fast, measured RTF 0.13 at beam 5), float16 on CUDA, unless set."""
        if self.compute_type != "default":
            return self.compute_type
        return "float16" if self.device == "cuda" else "int8"

    def resolved_cpu_threads(self) -> int:
        return self.cpu_threads or min(os.cpu_count() or 1, 8)

    def cache_fields(self) -> dict[str, Any]:
        """The settings that change the output (threads and device placement do not)."""
        fields = dataclasses.asdict(self)
        for key in ("cpu_threads", "device", "compute_type"):
            fields.pop(key)
        fields["compute_type"] = self.resolved_compute_type()
        return fields

    def engine_options(self) -> dict[str, Any]:
        """Keyword arguments for faster-whisper's `WhisperModel.transcribe`."""
        return {
            "language": self.language,
            "task": "transcribe",
            "beam_size": self.beam_size,
            "best_of": self.best_of,
            "temperature": list(self.temperatures),
            "compression_ratio_threshold": self.compression_ratio_threshold,
            "log_prob_threshold": self.log_prob_threshold,
            "no_speech_threshold": self.no_speech_threshold,
            "condition_on_previous_text": self.condition_on_previous_text,
            "word_timestamps": self.word_timestamps,
            "vad_filter": self.vad_filter,
            "vad_parameters": self.vad.engine_options() if self.vad_filter else None,
            "hallucination_silence_threshold": self.hallucination_silence_threshold_s,
            "initial_prompt": self.initial_prompt,
            "hotwords": self.hotwords,
        }


class Transcriber(Protocol):
    """Anything that turns a 16 kHz mono WAV into a `Transcript` (the engine, or a fake in tests)."""

    def model_info(self) -> ModelInfo:
        """The verified model this transcriber uses (its hash goes into cache keys)."""
        ...

    def transcribe(
        self,
        audio_path: Path,
        settings: TranscribeSettings,
        *,
        clip_id: str = "",
        on_progress: AudioProgress | None = None,
    ) -> Transcript:
        """Recognise the speech in `audio_path`."""
        ...


def _plain(value: Any) -> Any:
    """JSON-safe copy of option values (infinite floats become None)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    return value


def _ms(seconds: float) -> int:
    return round(float(seconds) * 1000)


def convert_segment(raw: Any, duration_ms: int) -> TranscriptSegment:
    """faster-whisper's segment as ours: integer ms, words stripped of their leading space, word
    times monotonic and inside the segment and the audio."""
    start_ms = min(max(0, _ms(raw.start)), duration_ms)
    end_ms = min(max(start_ms, _ms(raw.end)), duration_ms)
    words: list[TranscriptWord] = []
    previous_end = start_ms
    for item in raw.words or []:
        text = str(item.word).strip()
        if not text:
            continue
        w_start = min(max(previous_end, _ms(item.start)), duration_ms)
        w_end = min(max(w_start, _ms(item.end)), duration_ms)
        words.append(TranscriptWord(w_start, w_end, text, float(item.probability)))
        previous_end = w_end
    if words:
        start_ms = min(start_ms, words[0].start_ms)
        end_ms = max(end_ms, words[-1].end_ms)
    text = " ".join(w.text for w in words) if words else str(raw.text).strip()
    return TranscriptSegment(
        start_ms=start_ms,
        end_ms=end_ms,
        text=text,
        avg_logprob=float(raw.avg_logprob),
        no_speech_prob=float(raw.no_speech_prob),
        compression_ratio=float(raw.compression_ratio),
        words=tuple(words),
        temperature=None if raw.temperature is None else float(raw.temperature),
    )


FLAG_REDECODED = "redecoded_without_prompt"
_ECHO_PAD_MS = 200
_ECHO_MIN_MS = 300


def redecode_echoes(
    model: Any, audio_path: Path, settings: TranscribeSettings, guarded: GuardResult, duration_ms: int
) -> tuple[TranscriptSegment, ...]:
    """Decode again, without the prompt, where Whisper read its prompt out instead of listening.

    When it echoes the glossary prompt at the start of a window, the speech it should have heard
    there is lost (measured on espeak speech: the first sentence of a clip replaced by the prompt).
    The guards removed the echo; here just that stretch (between the neighbouring kept words) is
    decoded again with no prompt, and what survives the guards is added, flagged.
    """
    echoes = [d for d in guarded.dropped if DROP_PROMPT_ECHO in d.reasons]
    if not echoes:
        return guarded.kept
    kept = list(guarded.kept)
    words = sorted((w for seg in kept for w in seg.words), key=lambda w: w.start_ms)
    plain = {**settings.engine_options(), "initial_prompt": None, "hotwords": None, "vad_filter": False}
    plain.pop("vad_parameters")
    for echo in echoes:
        low = max([echo.start_ms - _ECHO_PAD_MS, 0, *(w.end_ms for w in words if w.end_ms <= echo.start_ms)])
        high = min([echo.end_ms + _ECHO_PAD_MS, duration_ms, *(w.start_ms for w in words if w.start_ms >= echo.end_ms)])
        if high - low < _ECHO_MIN_MS:
            continue
        segments, _ = model.transcribe(str(audio_path), **plain, clip_timestamps=[low / 1000, high / 1000])
        again = [_clamp(convert_segment(seg, duration_ms), low, high) for seg in segments]
        for seg in apply_guards([s for s in again if s.text], settings.guards, duration_ms=high).kept:
            kept.append(dataclasses.replace(seg, flags=(*seg.flags, FLAG_REDECODED)))
    return tuple(sorted(kept, key=lambda seg: seg.start_ms))


FLAG_LOST_SPEECH = "redecoded_lost_speech"


def speech_regions(audio_path: Path, settings: TranscribeSettings) -> list[tuple[int, int]]:
    """The voice detector's speech regions (ms), with the stage's VAD settings."""
    from faster_whisper.audio import decode_audio
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    audio = decode_audio(str(audio_path), sampling_rate=16000)
    found = get_speech_timestamps(audio, VadOptions(**settings.vad.engine_options()))
    return [(round(r["start"] / 16), round(r["end"] / 16)) for r in found]


def redecode_lost_speech(
    model: Any, audio_path: Path, settings: TranscribeSettings, kept: tuple[TranscriptSegment, ...],
    duration_ms: int, speech: Sequence[tuple[int, int]],
) -> tuple[TranscriptSegment, ...]:
    """Decode again, alone, each stretch of `speech` that no kept word covers (see `lost`).

    What survives the guards there is added, flagged; a 'word' the decoder stretched over the lost
    stretch is dropped when real words are found under it.
    """
    words = sorted((w for seg in kept for w in seg.words), key=lambda w: w.start_ms)
    stretches = lost.uncovered(speech, words)
    if not stretches:
        return kept
    # Decoded from a few seconds before, so Whisper starts on speech it can follow (a stretch decoded
    # alone from mid-sentence loops: "Ơ Ơ Ơ …"); only the words inside the stretch are taken. Few
    # sampled fallbacks: they lost the speech in the first place, and each costs a window again.
    plain = {**settings.engine_options(), "initial_prompt": None, "hotwords": None, "vad_filter": False,
             "temperature": [0.0, 0.2, 0.4]}
    plain.pop("vad_parameters")
    found: list[TranscriptSegment] = []
    for stretch in stretches:
        low, high = lost.bounds(stretch, words, duration_ms)
        since = max(0, low - lost.CONTEXT_MS)
        segments, _ = model.transcribe(str(audio_path), **plain, clip_timestamps=[since / 1000, high / 1000])
        again = [_inside(convert_segment(seg, duration_ms), low, high) for seg in segments]
        for seg in apply_guards([s for s in again if s.text], settings.guards, duration_ms=high).kept:
            if seg.words:
                found.append(dataclasses.replace(seg, flags=(*seg.flags, FLAG_LOST_SPEECH)))
    if not found:
        return kept
    heard = [(w.start_ms, w.end_ms) for seg in found for w in seg.words]
    out = []
    for seg in kept:
        keep_words = tuple(
            w for w in seg.words
            if w.end_ms - w.start_ms <= lost.MAX_WORD_MS or not any(overlaps((w.start_ms, w.end_ms), h) for h in heard)
        )
        if len(keep_words) != len(seg.words):
            if not keep_words:
                continue
            seg = dataclasses.replace(seg, words=keep_words, text=" ".join(w.text for w in keep_words),
                                      end_ms=max(w.end_ms for w in keep_words))
        out.append(seg)
    return tuple(sorted([*out, *found], key=lambda seg: seg.start_ms))


def _inside(segment: TranscriptSegment, low: int, high: int) -> TranscriptSegment:
    """The segment cut down to its words that start inside [low, high] ms (the context decoded
    before `low` was heard already), held inside it."""
    words = tuple(w for w in segment.words if low - lost.START_SLACK_MS <= w.start_ms < high)
    text = " ".join(w.text for w in words)
    start = words[0].start_ms if words else low
    end = words[-1].end_ms if words else low
    return _clamp(dataclasses.replace(segment, words=words, text=text, start_ms=start, end_ms=end), low, high)


def _clamp(segment: TranscriptSegment, low: int, high: int) -> TranscriptSegment:
    """A segment with it and its words held inside [low, high] ms."""
    words = []
    for w in segment.words:
        start, end = clip((w.start_ms, w.end_ms), (low, high))
        words.append(dataclasses.replace(w, start_ms=start, end_ms=end))
    start, end = clip((segment.start_ms, segment.end_ms), (low, high))
    return dataclasses.replace(segment, start_ms=start, end_ms=end, words=tuple(words))


def _same_draws() -> None:
    """Seed CTranslate2's sampler: a window that falls back to a sampled temperature decodes the same
    way on every run, so the same audio gives the same transcript (measured without it: the dulich
    narration came out three different ways in three runs)."""
    try:
        import ctranslate2

        ctranslate2.set_random_seed(SAMPLING_SEED)
    except (ImportError, AttributeError):  # pragma: no cover - an older CTranslate2
        pass


SAMPLING_SEED = 1


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class FasterWhisperTranscriber:
    """Whisper through faster-whisper (CTranslate2): the model is loaded on first use and kept for
    the next clip, reloaded only when device, compute type or thread count change."""

    def __init__(self, model: ModelInfo | Path | None = None) -> None:
        self._model_arg = model
        self._info: ModelInfo | None = model if isinstance(model, ModelInfo) else None
        self._loaded: Any = None
        self._loaded_key: tuple[str, str, int] | None = None

    def model_info(self) -> ModelInfo:
        if self._info is None:
            path = self._model_arg if isinstance(self._model_arg, Path) else None
            self._info = resolve_model(path)
        return self._info

    def _load(self, settings: TranscribeSettings) -> Any:
        key = (settings.device, settings.resolved_compute_type(), settings.resolved_cpu_threads())
        if self._loaded is not None and self._loaded_key == key:
            return self._loaded
        info = self.model_info()
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise ModelError("faster-whisper is not installed", hint="pip install faster-whisper") from exc
        try:
            self._loaded = WhisperModel(
                str(info.path),
                device=key[0],
                compute_type=key[1],
                cpu_threads=key[2],
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(
                f"cannot load the model on {key[0]} with compute type {key[1]}: {exc}",
                path=info.path,
                hint="use --device cpu, or another --compute-type (int8, float16, float32)",
            ) from exc
        self._loaded_key = key
        return self._loaded

    def transcribe(
        self,
        audio_path: Path,
        settings: TranscribeSettings,
        *,
        clip_id: str = "",
        on_progress: AudioProgress | None = None,
    ) -> Transcript:
        """Decode `audio_path`, apply the guards, and return the transcript with its provenance."""
        if not audio_path.is_file():
            raise MediaError("audio for transcription is missing", path=audio_path, hint="rerun `reportage ingest`")
        started = time.monotonic()
        model = self._load(settings)
        loaded = time.monotonic()
        _same_draws()
        try:
            segments_iter, info = model.transcribe(str(audio_path), **settings.engine_options())
            duration_ms = _ms(info.duration)
            raw: list[TranscriptSegment] = []
            for segment in segments_iter:
                raw.append(convert_segment(segment, duration_ms))
                if on_progress is not None:
                    on_progress(raw[-1].end_ms)
        except Exception as exc:  # PyAV and CTranslate2 raise their own types; ours name the file
            raise MediaError(
                f"speech recognition failed ({type(exc).__name__}: {exc})",
                path=audio_path,
                hint="check the audio plays; rerun `reportage ingest` to rebuild it",
            ) from exc
        bias = " ".join(t for t in (settings.initial_prompt, settings.hotwords) if t)
        guarded = apply_guards(raw, settings.guards, bias_text=bias, duration_ms=duration_ms)
        kept = redecode_echoes(model, audio_path, settings, guarded, duration_ms)
        if settings.redecode_lost_speech:
            try:
                kept = redecode_lost_speech(model, audio_path, settings, kept, duration_ms,
                                            speech_regions(audio_path, settings))
            except Exception as exc:
                raise MediaError(f"speech recognition failed ({type(exc).__name__}: {exc})", path=audio_path,
                                 hint="check the audio plays; rerun `reportage ingest` to rebuild it") from exc
        decoded = time.monotonic()
        if on_progress is not None:
            on_progress(duration_ms)
        model_info = self.model_info()
        options = {
            "settings": _plain(settings),
            "engine": {
                "name": "faster-whisper",
                "faster_whisper_version": _version("faster-whisper"),
                "ctranslate2_version": _version("ctranslate2"),
                "device": settings.device,
                "compute_type": settings.resolved_compute_type(),
                "cpu_threads": settings.resolved_cpu_threads(),
            },
            "transcription_options": _plain(info.transcription_options),
            "vad_options": _plain(info.vad_options),
            "duration_after_vad_ms": _ms(info.duration_after_vad),
        }
        return Transcript(
            clip_id=clip_id or audio_path.parent.name,
            language=str(info.language),
            language_probability=float(info.language_probability),
            duration_ms=duration_ms,
            audio_sha256=sha256_file(audio_path),
            model=ModelRef(model_info.name, model_info.sha256),
            segments=kept,
            dropped=guarded.dropped,
            options=options,
            timings_ms={
                "load_ms": round((loaded - started) * 1000),
                "decode_ms": round((decoded - loaded) * 1000),
            },
        )
