"""The stage list as data: each stage's name, what it needs from the manifest, what it is made from.

This is the one list. The runner (`pipeline.run`) pairs each entry with the module that does the work;
freshness (`pipeline.stagerun`) reads `uses` to know which failures upstream make a stage's work stale;
the CLI, the batch, the review room and the morning summary read names and summaries from here. It
imports nothing of the stages themselves, so anything may read it without loading a model or ffmpeg.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StageEntry:
    """One stage: a name, a line for editors, and what it needs."""

    name: str
    summary: str
    needs: tuple[str, ...] = ()
    """Manifest fields the stage cannot do without (checked before it runs, with a located error)."""
    per_clip: bool = False
    """Work is addressable per clip (`clips=`), so a worker can run one clip of it."""
    files: tuple[str, ...] = ()
    """Manifest fields naming a file the stage reads (dotted: `timeline.edit`); when the manifest
    gives one, the file must exist before the stage runs."""
    uses: tuple[str, ...] = ()
    """The stages whose outputs this one reads: a failure in them, or further up (`upstream`), makes
    this stage's work stale (`stagerun.Work.check`)."""
    clip_targets: bool = False
    """Its targets are clips: only a failure of the same clip upstream makes one stale."""


STAGE_LIST: tuple[StageEntry, ...] = (
    StageEntry("ingest", "probe, checksum, proxy, ASR audio, thumbnails, shots",
               ("footage",), per_clip=True, clip_targets=True),
    StageEntry("transcribe", "Vietnamese speech to timed words", ("footage",), per_clip=True, uses=("ingest",),
               clip_targets=True),
    StageEntry("assemble", "the cut list or master as timeline.json", ("timeline",), files=("timeline.edit",),
               uses=("ingest",)),
    StageEntry("conform", "house-format working copies of the clips the timeline uses", ("timeline",),
               uses=("ingest", "assemble"), clip_targets=True),
    StageEntry("subtitles", "Vietnamese and English cues, SRT and WebVTT", ("timeline",),
               uses=("ingest", "transcribe", "assemble")),
    StageEntry("render", "branding, subtitles, loudness: every deliverable in one pass",
               ("timeline", "title", "deliverables"), uses=("assemble", "conform", "subtitles")),
    StageEntry("qc", "every deliverable measured against its profile", ("timeline", "deliverables"),
               uses=("render", "subtitles", "transcribe")),
    StageEntry("publish", "the web-portal stream and player page, and the social package",
               ("timeline", "title", "deliverables"), uses=("render", "subtitles", "qc")),
    StageEntry("package", "the BagIt delivery bag for the centre", ("timeline", "title", "synopsis", "deliverables"),
               uses=("qc", "render", "subtitles", "transcribe")),
)

STAGE_NAMES: tuple[str, ...] = tuple(s.name for s in STAGE_LIST)


def entry(name: str, stages: tuple[StageEntry, ...] = STAGE_LIST) -> StageEntry | None:
    """The entry called `name` (None for a name that is not a stage)."""
    return next((s for s in stages if s.name == name), None)


def upstream(name: str, stages: tuple[StageEntry, ...] = STAGE_LIST) -> tuple[str, ...]:
    """Every stage whose outputs `name` is made from, directly or further up (`uses`), in the list's
    order; () for a name that is not a stage."""
    by_name = {s.name: s for s in stages}
    found: set[str] = set()
    todo = list(by_name[name].uses) if name in by_name else []
    while todo:
        current = todo.pop()
        if current not in found and current in by_name:
            found.add(current)
            todo += by_name[current].uses
    return tuple(s.name for s in stages if s.name in found)


def clip_stage(name: str, stages: tuple[StageEntry, ...] = STAGE_LIST) -> bool:
    """Whether the targets of stage `name` are clips (`StageEntry.clip_targets`)."""
    found = entry(name, stages)
    return found is not None and found.clip_targets
