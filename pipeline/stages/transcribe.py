"""Stage `transcribe`: every ingested clip's audio → transcripts/<clip-id>.json and .txt.

Reads only what ingest wrote: `ingest/<clip-id>/ingest.json` (clip id, has_audio, duration_ms, fps)
and `audio16k.wav`. A clip whose transcript already has the same cache key (audio hash, model hash,
settings, glossary, schema) is left alone and reported "up to date". One failing clip is reported
and the others continue; only a model that cannot be loaded stops the stage. Prints nothing:
progress goes to the optional callback, results into the report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..asr.engine import FasterWhisperTranscriber, Transcriber, TranscribeSettings
from ..asr.glossary import Glossary, bias_text, correct_transcript, load_glossary
from ..asr.transcript import SCHEMA_VERSION, Transcript, plain_text
from ..errors import ModelError, ReportageError, WorkspaceError
from ..fsutil import read_json, sha256_file, sha256_text, write_json, write_text
from ..manifest import Programme
from ..timecode import parse_rate
from ..workspace import Workspace

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], None]
"""(clip_id, audio ms done over all clips, audio ms to do over all clips)."""

STATUS_DONE = "transcribed"
STATUS_CACHED = "up to date"
STATUS_NO_AUDIO = "no audio"
STATUS_FAILED = "failed"


@dataclass(frozen=True)
class IngestRecord:
    """What ingest says about one clip (the fields this stage needs)."""

    clip_id: str
    has_audio: bool
    duration_ms: int
    rate: Fraction | None
    audio_path: Path


@dataclass(frozen=True)
class ClipResult:
    """What happened to one clip."""

    clip_id: str
    status: str
    message: str = ""
    audio_ms: int = 0
    segments: int = 0
    words: int = 0
    dropped: int = 0
    corrections: int = 0
    decode_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class TranscribeReport:
    """The stage's result: one entry per clip, the model used, and overall timing."""

    programme_id: str
    model_name: str
    model_sha256: str
    clips: tuple[ClipResult, ...]
    elapsed_ms: int

    @property
    def failed(self) -> tuple[ClipResult, ...]:
        return tuple(c for c in self.clips if c.status == STATUS_FAILED)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def real_time_factor(self) -> float | None:
        """Decoding time over audio duration for the clips transcribed in this run."""
        done = [c for c in self.clips if c.status == STATUS_DONE and c.audio_ms > 0]
        audio = sum(c.audio_ms for c in done)
        return sum(c.decode_ms for c in done) / audio if audio else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "programme_id": self.programme_id,
            "model": {"name": self.model_name, "sha256": self.model_sha256},
            "ok": self.ok,
            "elapsed_ms": self.elapsed_ms,
            "real_time_factor": self.real_time_factor,
            "clips": [c.to_dict() for c in self.clips],
        }


def ingested_clips(ws: Workspace) -> list[IngestRecord]:
    """Every clip ingest recorded, sorted by clip id; WorkspaceError when there are none."""
    base = ws.dir / "ingest"
    records: list[IngestRecord] = []
    for path in sorted(base.glob("*/ingest.json")) if base.is_dir() else []:
        try:
            data = read_json(path)
            clip_id = str(data["clip_id"])
            rate = parse_rate(str(data["fps"])) if data.get("fps") else None
            records.append(
                IngestRecord(
                    clip_id=clip_id,
                    has_audio=bool(data.get("has_audio")),
                    duration_ms=int(data.get("duration_ms") or 0),
                    rate=rate if rate else None,
                    audio_path=ws.audio16k(clip_id),
                )
            )
        except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
            raise WorkspaceError(
                f"ingest record is unreadable ({exc})", path=path, hint="rerun `reportage ingest`"
            ) from exc
    if not records:
        raise WorkspaceError("no ingested clips", path=base, hint="run `reportage ingest` first")
    return sorted(records, key=lambda r: r.clip_id)


def prepare_settings(settings: TranscribeSettings, glossary: Glossary) -> TranscribeSettings:
    """Settings with the glossary's bias filled in (as initial prompt or hotwords, per
    `settings.glossary_bias`) unless the caller already set that field."""
    if settings.glossary_bias == "off":
        return settings
    text = bias_text(glossary, settings.bias_budget_tokens, settings.bias_template)
    if not text:
        return settings
    if settings.glossary_bias == "prompt" and settings.initial_prompt is None:
        return dataclasses.replace(settings, initial_prompt=text)
    if settings.glossary_bias == "hotwords" and settings.hotwords is None:
        return dataclasses.replace(settings, hotwords=text)
    return settings


def cache_key(audio_sha256: str, model_sha256: str, settings: TranscribeSettings, glossary: Glossary) -> str:
    """What a transcript depends on; equal keys mean rerunning would change nothing."""
    payload = {
        "schema_version": SCHEMA_VERSION,
        "audio_sha256": audio_sha256,
        "model_sha256": model_sha256,
        "settings": settings.cache_fields(),
        "glossary_sha256": glossary.sha256,
    }
    return sha256_text(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str))


def _existing_key(path: Path) -> str | None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        data = read_json(path)
        key = data.get("cache_key")
        return key if isinstance(key, str) else None
    return None


def _write_outputs(ws: Workspace, transcript: Transcript, rate: Fraction) -> None:
    write_json(ws.transcript_json(transcript.clip_id), transcript.to_json())
    write_text(ws.transcript_txt(transcript.clip_id), plain_text(transcript, rate))


def transcribe_programme(
    programme: Programme,
    ws: Workspace,
    settings: TranscribeSettings,
    transcriber: Transcriber | None = None,
    progress: ProgressCallback | None = None,
    *,
    glossary: Glossary | None = None,
) -> TranscribeReport:
    """Transcribe every ingested clip of `programme` that has audio and is not up to date.

    `glossary` defaults to the house glossary merged with the manifest's `glossary:`. ModelError
    (model missing, damaged, cannot load) stops the stage; any other failure marks only its clip.
    """
    started = time.monotonic()
    engine: Transcriber = transcriber or FasterWhisperTranscriber()
    gloss = glossary if glossary is not None else load_glossary(programme=programme.glossary_path())
    run_settings = prepare_settings(settings, gloss)
    model = engine.model_info()
    records = ingested_clips(ws)

    results: dict[str, ClipResult] = {}
    todo: list[tuple[IngestRecord, str, str]] = []
    for record in records:
        if not record.has_audio:
            results[record.clip_id] = ClipResult(record.clip_id, STATUS_NO_AUDIO, "the clip has no audio track")
            continue
        if not record.audio_path.is_file():
            results[record.clip_id] = ClipResult(
                record.clip_id, STATUS_FAILED, f"{record.audio_path} is missing; rerun `reportage ingest`"
            )
            continue
        audio_sha = sha256_file(record.audio_path)
        key = cache_key(audio_sha, model.sha256, run_settings, gloss)
        if _existing_key(ws.transcript_json(record.clip_id)) == key:
            if not ws.transcript_txt(record.clip_id).is_file():
                cached = Transcript.from_json(read_json(ws.transcript_json(record.clip_id)))
                _write_outputs(ws, cached, record.rate or programme.rate)
            results[record.clip_id] = ClipResult(
                record.clip_id, STATUS_CACHED, "same audio, model, settings and glossary", record.duration_ms
            )
            continue
        todo.append((record, audio_sha, key))

    total_ms = sum(r.duration_ms for r, _, _ in todo)
    done_ms = 0
    for record, audio_sha, key in todo:
        offset = done_ms

        def on_audio(ms: int, clip_id: str = record.clip_id, offset: int = offset) -> None:
            if progress is not None:
                progress(clip_id, min(total_ms, offset + ms), total_ms)

        on_audio(0)
        results[record.clip_id] = _transcribe_clip(
            ws, engine, record, run_settings, gloss, audio_sha, key, programme.rate, on_audio
        )
        done_ms = offset + record.duration_ms
        on_audio(record.duration_ms)

    return TranscribeReport(
        programme_id=programme.id,
        model_name=model.name,
        model_sha256=model.sha256,
        clips=tuple(results[r.clip_id] for r in records),
        elapsed_ms=round((time.monotonic() - started) * 1000),
    )


def _transcribe_clip(
    ws: Workspace,
    engine: Transcriber,
    record: IngestRecord,
    settings: TranscribeSettings,
    glossary: Glossary,
    audio_sha: str,
    key: str,
    programme_rate: Fraction,
    on_audio: Callable[[int], None],
) -> ClipResult:
    """One clip: decode, correct with the glossary, write JSON and text; failures become a result."""
    try:
        raw = engine.transcribe(record.audio_path, settings, clip_id=record.clip_id, on_progress=on_audio)
        corrected, corrections = correct_transcript(raw, glossary)
        transcript = dataclasses.replace(corrected, clip_id=record.clip_id, audio_sha256=audio_sha, cache_key=key)
        _write_outputs(ws, transcript, record.rate or programme_rate)
    except ModelError:
        raise
    except ReportageError as exc:
        log.warning("transcribing %s failed: %s", record.clip_id, exc.one_line())
        return ClipResult(record.clip_id, STATUS_FAILED, exc.one_line(), record.duration_ms)
    except Exception as exc:  # one bad clip must not stop a night's batch
        log.exception("transcribing %s failed", record.clip_id)
        return ClipResult(record.clip_id, STATUS_FAILED, f"{type(exc).__name__}: {exc}", record.duration_ms)
    return ClipResult(
        clip_id=record.clip_id,
        status=STATUS_DONE,
        audio_ms=transcript.duration_ms,
        segments=len(transcript.segments),
        words=sum(len(s.words) for s in transcript.segments),
        dropped=len(transcript.dropped),
        corrections=corrections,
        decode_ms=int(transcript.timings_ms.get("decode_ms", 0)),
    )
