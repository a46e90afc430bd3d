"""Stage `transcribe`: every ingested clip's audio → transcripts/<clip-id>.json and .txt.

The clips are the manifest's (footage, plus the master of a `master:` timeline); for each, this
stage reads only what ingest wrote: the ingest record and `audio16k.wav`. A clip whose inputs (audio
hash, model hash, settings, glossary, schema) match its last run is left alone and reported "up to
date" (the catalogue decides, as for every stage). One failing clip is reported and the others
continue; only a model that cannot be loaded stops the stage. Transcripts of clips no longer in the
manifest are deleted. Prints nothing: progress goes to the callback, results into the report.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import stagerun
from ..asr.combine import CombinedTranscriber
from ..asr.engine import FasterWhisperTranscriber, Transcriber, TranscribeSettings
from ..asr.glossary import Glossary, bias_text, correct_transcript, load_glossary
from ..asr.transcript import SCHEMA_VERSION, Transcript, plain_text
from ..asr.vietctc import VietCtcTranscriber
from ..errors import ModelError, ReportageError, WorkspaceError
from ..fsutil import read_json, write_json, write_text
from ..manifest import Programme
from ..progress import Progress, ProgressFn, ignore
from ..records.ingest import IngestRecord, read_ingest_record
from ..stagerun import Work
from ..workspace import Workspace

log = logging.getLogger(__name__)

STAGE = "transcribe"
VERSION = 1
STATUS_DONE = "transcribed"
STATUS_CACHED = "up to date"
STATUS_NO_AUDIO = "no audio"
STATUS_FAILED = "failed"
STATUS_REMOVED = "removed"


@dataclass(frozen=True)
class Settings:
    """Recognition settings, the model folder (None: the bundled base model), and optionally a
    transcriber object to use instead (tests, other engines)."""

    asr: TranscribeSettings = field(default_factory=TranscribeSettings)
    model: Path | None = None
    transcriber: Transcriber | None = field(default=None, compare=False)
    glossary: Glossary | None = field(default=None, compare=False)

    def engine(self, programme: Programme | None = None) -> Transcriber:
        """The transcriber: the one given, else the recogniser `resolve` chooses."""
        if self.transcriber is not None:
            return self.transcriber
        chosen = resolve(self.asr, programme, self.model).engine
        if chosen == "vietctc":
            return VietCtcTranscriber()
        if chosen == "combined":
            return CombinedTranscriber()
        return FasterWhisperTranscriber(self.model) if self.model else FasterWhisperTranscriber()


def settings(programme: Programme | None = None, **options: Any) -> Settings:
    """The stage's settings, built in one place for `reportage transcribe`, `run` and the batch: the
    spoken language is the manifest's unless one is given, the recogniser the one `resolve` picks
    when the stage runs; `beam` sets Whisper's beam size and best-of together. A TypeError names an
    option the stage does not have."""
    return _settings(programme, **options)


def _settings(programme: Programme | None, *, engine: str | None = None, language: str | None = None,
              beam: int | None = None, device: str | None = None, compute_type: str | None = None,
              model: Path | None = None, transcriber: Transcriber | None = None, glossary: Glossary | None = None,
              asr: TranscribeSettings | None = None) -> Settings:
    base = asr or TranscribeSettings()
    changes: dict[str, Any] = {}
    if engine is not None:
        changes["engine"] = engine
    if language is not None:
        changes["language"] = language
    elif asr is None and programme is not None:
        changes["language"] = programme.manifest.language
    if beam is not None:
        changes.update(beam_size=max(1, beam), best_of=max(1, beam))
    if device is not None:
        changes["device"] = device
    if compute_type is not None:
        changes["compute_type"] = compute_type
    return Settings(dataclasses.replace(base, **changes) if changes else base, model, transcriber, glossary)


def resolve(settings: TranscribeSettings, programme: Programme | None, model: Path | None = None) -> TranscribeSettings:
    """The settings with the recogniser chosen, in one place for the CLI, `run` and the batch: the
    one the settings name, else Whisper when a Whisper model folder is given, else the manifest's
    `asr.engine` (vietctc unless it says otherwise)."""
    if settings.engine is not None:
        return settings
    if model is not None:
        return dataclasses.replace(settings, engine="whisper")
    chosen = programme.manifest.asr.engine if programme is not None else "vietctc"
    return dataclasses.replace(settings, engine=chosen)


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
    def up_to_date(self) -> bool:
        return all(c.status in (STATUS_CACHED, STATUS_NO_AUDIO) for c in self.clips)

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
            "up_to_date": self.up_to_date,
            "elapsed_ms": self.elapsed_ms,
            "real_time_factor": self.real_time_factor,
            "clips": [c.to_dict() for c in self.clips],
        }


def ingested_clips(programme: Programme, ws: Workspace, clips: tuple[str, ...] | None = None) -> list[IngestRecord]:
    """The ingest records of the manifest's clips (or those in `clips`), sorted by clip id.

    WorkspaceError when none has been ingested; a clip that failed ingest is simply absent.
    """
    wanted = sorted(s.clip_id for s in programme.clips() if clips is None or s.clip_id in clips)
    records: list[IngestRecord] = []
    for clip_id in wanted:
        try:
            records.append(read_ingest_record(ws, clip_id))
        except WorkspaceError as exc:
            if "has not been ingested" not in exc.problem:
                raise
    if not records:
        raise WorkspaceError("no ingested clips", path=ws.dir / "ingest", hint="run `reportage ingest` first")
    return records


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


def clip_inputs(audio_sha256: str, model_sha256: str, settings: TranscribeSettings,
                glossary: Glossary) -> dict[str, Any]:
    """What a transcript depends on; the same inputs mean rerunning would change nothing."""
    return {
        "schema_version": SCHEMA_VERSION,
        "audio_sha256": audio_sha256,
        "model_sha256": model_sha256,
        "settings": settings.cache_fields(),
        "glossary_sha256": glossary.sha256,
    }


def _glossary(programme: Programme, settings: Settings) -> Glossary:
    return settings.glossary if settings.glossary is not None else load_glossary(programme=programme.glossary_path())


def plan(programme: Programme, ws: Workspace, settings: Settings | None = None,
         clips: tuple[str, ...] | None = None) -> dict[str, Any]:
    """`{clip id: inputs}` for the ingested clips with audio (the model is verified to know its hash)."""
    settings = settings or Settings()
    gloss = _glossary(programme, settings)
    run_settings = prepare_settings(resolve(settings.asr, programme, settings.model), gloss)
    model = settings.engine(programme).model_info()
    out: dict[str, Any] = {}
    for record in ingested_clips(programme, ws, clips):
        audio = ws.audio16k(record.clip_id)
        if record.has_audio and audio.is_file():
            out[record.clip_id] = clip_inputs(stagerun.content_hash(ws, audio), model.sha256, run_settings, gloss)
    return out


def make(programme: Programme, ws: Workspace, settings: Settings, work: Work) -> TranscribeReport:
    """The registry's entry point: `transcribe_programme` with the settings' engine and glossary."""
    return transcribe_programme(programme, ws, settings.asr, settings.engine(programme), work.progress,
                                glossary=settings.glossary, model=settings.model, clips=work.clips, work=work)


def with_earlier(report: TranscribeReport, earlier: Sequence[TranscribeReport]) -> TranscribeReport:
    """`report` with the clips transcribed earlier in the same walk (while ingest went on) shown as
    transcribed then, not as found up to date now."""
    done = {c.clip_id: c for r in earlier for c in r.clips if c.status in (STATUS_DONE, STATUS_FAILED)}
    if not done:
        return report
    clips = tuple(done.get(c.clip_id, c) if c.status == STATUS_CACHED else c for c in report.clips)
    spent = sum(r.elapsed_ms for r in earlier)
    return dataclasses.replace(report, clips=clips, elapsed_ms=report.elapsed_ms + spent)


def proceed(programme: Programme, report: TranscribeReport) -> bool:
    """A clip that failed recognition leaves a gap in the subtitles (its transcript of earlier sound
    is removed); the later stages still run, stale while the failure stands (`stagerun.check`), and
    QC fails the programme and the bag records it until the clip is transcribed."""
    return True


def _write_outputs(ws: Workspace, transcript: Transcript, rate: Fraction) -> None:
    write_json(ws.transcript_json(transcript.clip_id), transcript.to_json())
    write_text(ws.transcript_txt(transcript.clip_id), plain_text(transcript, rate))


def transcribe_programme(
    programme: Programme,
    ws: Workspace,
    settings: TranscribeSettings,
    transcriber: Transcriber | None = None,
    progress: ProgressFn = ignore,
    *,
    glossary: Glossary | None = None,
    model: Path | None = None,
    clips: tuple[str, ...] | None = None,
    work: Work | None = None,
) -> TranscribeReport:
    """Transcribe every ingested clip of `programme` (or those in `clips`) that has audio and is not
    up to date. Progress counts seconds of audio over all the clips to do.

    `glossary` defaults to the house glossary merged with the manifest's `glossary:`. ModelError
    (model missing, damaged, cannot load) stops the stage; any other failure marks only its clip.
    """
    started = time.monotonic()
    work = work or Work.of(ws, STAGE, VERSION)
    stage_settings = Settings(settings, model, transcriber, glossary)
    engine = stage_settings.engine(programme)
    gloss = _glossary(programme, stage_settings)
    run_settings = prepare_settings(resolve(settings, programme, model), gloss)
    info = engine.model_info()
    records = ingested_clips(programme, ws, clips)

    results: dict[str, ClipResult] = {}
    todo: list[tuple[IngestRecord, stagerun.Freshness, str]] = []
    for record in records:
        audio = ws.audio16k(record.clip_id)
        if not record.has_audio:
            results[record.clip_id] = ClipResult(record.clip_id, STATUS_NO_AUDIO, "the clip has no audio track")
            continue
        if not audio.is_file():
            results[record.clip_id] = ClipResult(
                record.clip_id, STATUS_FAILED, f"{audio} is missing; rerun `reportage ingest`"
            )
            continue
        audio_sha = stagerun.content_hash(ws, audio)
        fresh = work.check(record.clip_id, clip_inputs(audio_sha, info.sha256, run_settings, gloss),
                           [ws.transcript_json(record.clip_id)])
        if fresh.fresh:
            if not ws.transcript_txt(record.clip_id).is_file():
                cached = Transcript.from_json(read_json(ws.transcript_json(record.clip_id)))
                _write_outputs(ws, cached, record.rate or programme.rate)
            results[record.clip_id] = ClipResult(
                record.clip_id, STATUS_CACHED, "same audio, model, settings and glossary", record.duration_ms
            )
            continue
        todo.append((record, fresh, audio_sha))

    total_ms = sum(r.duration_ms for r, _, _ in todo)
    done_ms = 0
    for record, fresh, audio_sha in todo:
        offset = done_ms

        def on_audio(ms: int, clip_id: str = record.clip_id, offset: int = offset) -> None:
            progress(Progress(f"transcribe {clip_id}", min(total_ms, offset + ms) / 1000, total_ms / 1000))

        on_audio(0)
        began = time.time()
        result = _transcribe_clip(ws, engine, record, run_settings, gloss, fresh, audio_sha, programme.rate,
                                  on_audio)
        if result.status == STATUS_DONE:
            # The text file is made from the JSON; a lost one is rebuilt without decoding again.
            work.done(fresh, [ws.transcript_json(record.clip_id)], started_at=began)
        else:
            if _drop_other_speech(ws, record.clip_id, audio_sha):
                result = dataclasses.replace(result, message=f"{result.message}; the transcript of the clip's "
                                             "earlier sound was removed (its words are no longer the clip's)")
            work.failed(record.clip_id, result.message)
        results[record.clip_id] = result
        done_ms = offset + record.duration_ms
        on_audio(record.duration_ms)

    removed = [] if clips is not None else _remove_stale(programme, ws, work)
    return TranscribeReport(
        programme_id=programme.id,
        model_name=info.name,
        model_sha256=info.sha256,
        clips=tuple(results[r.clip_id] for r in records) + tuple(removed),
        elapsed_ms=round((time.monotonic() - started) * 1000),
    )


def _drop_other_speech(ws: Workspace, clip_id: str, audio_sha: str) -> bool:
    """After a failed transcription: delete the clip's transcript when it is of other audio (the
    clip changed since), so nothing downstream lays the old speech's words on the new picture. One of
    the same audio stays (a re-run with other settings failed: the words are still the clip's).
    Returns whether one was deleted."""
    path = ws.transcript_json(clip_id)
    if not path.is_file():
        return False
    try:
        heard = read_json(path).get("audio_sha256")
    except (OSError, ValueError, AttributeError):
        heard = None
    if heard == audio_sha:
        return False
    path.unlink(missing_ok=True)
    ws.transcript_txt(clip_id).unlink(missing_ok=True)
    return True


def _remove_stale(programme: Programme, ws: Workspace, work: Work) -> list[ClipResult]:
    """Delete the transcripts of clips the manifest no longer lists (search and the bag follow)."""
    if not ws.transcripts_dir.is_dir():
        return []
    keep = {s.clip_id for s in programme.clips()}
    gone = sorted({p.name.rsplit(".", 1)[0] for p in ws.transcripts_dir.iterdir()
                   if p.suffix in (".json", ".txt") and not p.name.startswith(".")} - keep)
    for clip_id in gone:
        ws.transcript_json(clip_id).unlink(missing_ok=True)
        ws.transcript_txt(clip_id).unlink(missing_ok=True)
        work.forget(clip_id)
    return [ClipResult(clip_id, STATUS_REMOVED, "no longer in the manifest") for clip_id in gone]


def _transcribe_clip(
    ws: Workspace,
    engine: Transcriber,
    record: IngestRecord,
    settings: TranscribeSettings,
    glossary: Glossary,
    fresh: stagerun.Freshness,
    audio_sha: str,
    programme_rate: Fraction,
    on_audio: Callable[[int], None],
) -> ClipResult:
    """One clip: decode, correct with the glossary, write JSON and text; failures become a result."""
    try:
        raw = engine.transcribe(ws.audio16k(record.clip_id), settings, clip_id=record.clip_id, on_progress=on_audio)
        corrected, corrections = correct_transcript(raw, glossary, settings.correction)
        transcript = dataclasses.replace(corrected, clip_id=record.clip_id, audio_sha256=audio_sha,
                                         cache_key=fresh.key)
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
