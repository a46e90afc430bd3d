"""The transcript of one clip: segments and words in integer milliseconds, with everything needed to
reproduce it (model hash, every option, audio hash) — stored as versioned JSON, shown as plain text.

Later stages (subtitles, search) read only this format, never faster-whisper's objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..errors import WorkspaceError
from ..timecode import ms_to_timecode

SCHEMA_VERSION = 1

# Flags an editor should look at; the plain-text transcript marks them.
WORD_LOW_PROBABILITY = "low_probability"
WORD_CORRECTED = "glossary"

_EDGE_PUNCT = re.compile(r"^[^\w]+|[^\w]+$")


def bare(text: str) -> str:
    """A word without the punctuation attached to its edges ("(Vinh)." → "Vinh")."""
    return _EDGE_PUNCT.sub("", text.strip())


def split_punctuation(text: str) -> tuple[str, str, str]:
    """(leading punctuation, word, trailing punctuation) of one written word."""
    word = text.strip()
    core = bare(word)
    if not core:
        return word, "", ""
    start = word.find(core)
    return word[:start], core, word[start + len(core) :]


@dataclass(frozen=True)
class TranscriptWord:
    """One recognised word (for Vietnamese: usually one syllable) with its own timing.

    `text` carries attached punctuation ("Vinh."), never the leading space Whisper emits.
    `heard` keeps what the model produced when the glossary changed the spelling.
    """

    start_ms: int
    end_ms: int
    text: str
    probability: float
    flags: tuple[str, ...] = ()
    heard: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "text": self.text,
            "probability": round(self.probability, 4),
            "flags": list(self.flags),
        }
        if self.heard is not None:
            data["heard"] = self.heard
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TranscriptWord:
        return cls(
            start_ms=int(data["start_ms"]),
            end_ms=int(data["end_ms"]),
            text=str(data["text"]),
            probability=float(data["probability"]),
            flags=tuple(data.get("flags", ())),
            heard=data.get("heard"),
        )


@dataclass(frozen=True)
class TranscriptSegment:
    """A stretch of speech as Whisper decoded it, with the scores the guards judged it by."""

    start_ms: int
    end_ms: int
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    words: tuple[TranscriptWord, ...] = ()
    flags: tuple[str, ...] = ()
    temperature: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "text": self.text,
            "avg_logprob": round(self.avg_logprob, 4),
            "no_speech_prob": round(self.no_speech_prob, 4),
            "compression_ratio": round(self.compression_ratio, 4),
            "temperature": self.temperature,
            "flags": list(self.flags),
            "words": [w.to_json() for w in self.words],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TranscriptSegment:
        temperature = data.get("temperature")
        return cls(
            start_ms=int(data["start_ms"]),
            end_ms=int(data["end_ms"]),
            text=str(data["text"]),
            avg_logprob=float(data["avg_logprob"]),
            no_speech_prob=float(data["no_speech_prob"]),
            compression_ratio=float(data["compression_ratio"]),
            words=tuple(TranscriptWord.from_json(w) for w in data.get("words", ())),
            flags=tuple(data.get("flags", ())),
            temperature=None if temperature is None else float(temperature),
        )


@dataclass(frozen=True)
class DroppedSegment:
    """A segment the guards threw away, kept so an editor can see what was removed and why."""

    start_ms: int
    end_ms: int
    text: str
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"start_ms": self.start_ms, "end_ms": self.end_ms, "text": self.text, "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DroppedSegment:
        return cls(int(data["start_ms"]), int(data["end_ms"]), str(data["text"]), tuple(data.get("reasons", ())))


@dataclass(frozen=True)
class ModelRef:
    """Which model produced a transcript: a name for people, a hash for reproducibility."""

    name: str
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256}


@dataclass(frozen=True)
class Transcript:
    """Everything recognised in one clip's audio, plus what produced it.

    `options` holds every setting that was passed to the engine (ours and faster-whisper's effective
    ones); `timings_ms` how long loading and decoding took; `cache_key` what the stage compares to
    decide a rerun is unnecessary.
    """

    clip_id: str
    language: str
    duration_ms: int
    audio_sha256: str
    model: ModelRef
    segments: tuple[TranscriptSegment, ...]
    dropped: tuple[DroppedSegment, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    timings_ms: Mapping[str, int] = field(default_factory=dict)
    language_probability: float | None = None
    glossary_sha256: str | None = None
    cache_key: str = ""

    def words(self) -> Iterator[TranscriptWord]:
        """Every kept word in time order."""
        for segment in self.segments:
            yield from segment.words

    @property
    def text(self) -> str:
        """The kept text as one paragraph."""
        return " ".join(s.text for s in self.segments if s.text)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "clip_id": self.clip_id,
            "language": self.language,
            "language_probability": self.language_probability,
            "duration_ms": self.duration_ms,
            "audio_sha256": self.audio_sha256,
            "model": self.model.to_json(),
            "glossary_sha256": self.glossary_sha256,
            "cache_key": self.cache_key,
            "options": dict(self.options),
            "timings_ms": dict(self.timings_ms),
            "segments": [s.to_json() for s in self.segments],
            "dropped": [d.to_json() for d in self.dropped],
        }

    @classmethod
    def from_json(cls, data: Any, *, source: str | None = None) -> Transcript:
        """Read a transcript written by `to_json`; WorkspaceError names the file when it is not one."""
        if not isinstance(data, Mapping):
            raise WorkspaceError("is not a transcript (expected a JSON object)", path=source)
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise WorkspaceError(
                f"transcript schema version {version!r} is not the supported {SCHEMA_VERSION}",
                path=source,
                hint="rerun `reportage transcribe` to regenerate it",
            )
        try:
            language_probability = data.get("language_probability")
            return cls(
                clip_id=str(data["clip_id"]),
                language=str(data["language"]),
                duration_ms=int(data["duration_ms"]),
                audio_sha256=str(data["audio_sha256"]),
                model=ModelRef(str(data["model"]["name"]), str(data["model"]["sha256"])),
                segments=tuple(TranscriptSegment.from_json(s) for s in data["segments"]),
                dropped=tuple(DroppedSegment.from_json(d) for d in data.get("dropped", ())),
                options=dict(data.get("options", {})),
                timings_ms={str(k): int(v) for k, v in data.get("timings_ms", {}).items()},
                language_probability=None if language_probability is None else float(language_probability),
                glossary_sha256=data.get("glossary_sha256"),
                cache_key=str(data.get("cache_key", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WorkspaceError(f"transcript is malformed ({exc!r})", path=source) from exc


def plain_text(transcript: Transcript, rate: Fraction) -> str:
    """A transcript an editor can read next to the footage: one line per segment with HH:MM:SS:FF
    in and out points at `rate`, and notes on what to check (guard flags, unsure words)."""
    lines = [f"# {transcript.clip_id} — {transcript.language}, model {transcript.model.name}"]
    for segment in transcript.segments:
        start = ms_to_timecode(segment.start_ms, rate)
        end = ms_to_timecode(segment.end_ms, rate)
        line = f"{start} - {end}  {segment.text}"
        notes = list(segment.flags)
        unsure = [w.text for w in segment.words if WORD_LOW_PROBABILITY in w.flags]
        if unsure:
            notes.append("unsure: " + ", ".join(unsure))
        if notes:
            line += "  [check: " + "; ".join(notes) + "]"
        lines.append(line)
    for dropped in transcript.dropped:
        start = ms_to_timecode(dropped.start_ms, rate)
        lines.append(f"# dropped {start} ({', '.join(dropped.reasons)}): {dropped.text}")
    return "\n".join(lines) + "\n"
