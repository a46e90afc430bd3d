"""The chunked render of a pass: jobs from the stale deliverables, the sound whole, the chunks by
as many workers as there are, and each file joined.

1. `plan_jobs`: the programme (and each social excerpt) cut into chunks (`chunks.boundaries`), one
   job per chunk holding every stale file that shows it, each output keyed by what it shows
   (`chunks.chunk_key`). A job whose outputs are all in the store is already done.
2. `make_sound`: each deliverable's sound rendered whole in one audio-only pass (levelled and limited
   over the programme), kept in the store by its own key with the meter's figures beside it — a
   picture fix reuses it.
3. `make_chunks`: `workers` threads take the missing jobs (`chunkstore.claim`) and encode them
   (`plan.picture_pass`); jobs other processes hold (Dramatiq workers on the shared workspace) are
   waited for, and taken over when their claim goes stale. Progress is reported in seconds of
   picture over all chunks to make, so the ETA is the whole render's.
4. `join`: per file, the chunks in order + the sound → the file, by stream copy (`render/join.py`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import fsutil, stagerun
from ..fonts import fonts_dir
from ..media import ffmpeg
from ..media.loudness import LoudnessMeasurement, measure, parse_ebur128
from ..profiles import Profile
from ..progress import Progress, ProgressFn
from ..subs.cues import Cue
from ..subs.formats import read_subtitles
from ..timecode import Excerpt
from ..timeline import Timeline
from ..workspace import Workspace
from . import chunkstore
from .ass import write_burn_ass
from .chunks import (
    TARGET_S,
    ChunkJob,
    ChunkOutput,
    boundaries,
    branding_key,
    chunk_key,
    cues_in,
    grid_frames,
    slice_key,
)
from .join import join_chunks_args, write_chunk_list
from .plan import Branch, Branding, Pass, _excerpt_frames, meter_name, picture_pass, sound_pass, trunk_format
from .state import ChunkSpan

log = logging.getLogger(__name__)

SOUND_VERSION = 1
WAIT_S = 1.0  # how often a render waiting on other workers' chunks looks again


def default_workers(cpus: int | None = None) -> int:
    """Chunks encoded at once on one machine: half the cores (each encoder uses two threads well)."""
    return max(1, (cpus or os.cpu_count() or 2) // 2)


@dataclass(frozen=True)
class ChunkContext:
    """What every chunk key shares: the working copies' content keys, the graphics' content, the
    trunk's pixel format per stretch, the grid, ffmpeg's version."""

    content_keys: Mapping[str, str]
    graphics: Mapping[Path, str]
    trunks: Mapping[Excerpt | None, str]
    grid: int
    ffmpeg: str
    target_s: float = TARGET_S


def chunk_context(ws: Workspace, timeline: Timeline, branding: Branding, profiles: Sequence[Profile],
                  groups: Mapping[Excerpt | None, Sequence[Profile]], content_keys: Mapping[str, str],
                  target_s: float = TARGET_S) -> ChunkContext:
    """The shared part of the keys. `profiles`: every deliverable of the programme (and every rung),
    so the grid does not depend on which are stale; `groups`: the profiles of each stretch."""
    files = {p for p in (branding.logo,) if p is not None}
    files |= {o.path for o in branding.overlays} | {p for o in branding.overlays for _, p in o.in_format}
    graphics = {p: stagerun.content_hash(ws, p) for p in sorted(files) if p.is_file()}
    trunks = {cut: trunk_format([Branch(p.name, p, Path(p.name)) for p in members]) for cut, members in groups.items()}
    return ChunkContext(content_keys, graphics, trunks, grid_frames(timeline.rate, profiles), ffmpeg.version(),
                        target_s)


def _cues(path: Path | None, cache: dict[Path, list[Cue]]) -> list[Cue]:
    if path is None:
        return []
    if path not in cache:
        cache[path] = list(read_subtitles(path).cues)
    return cache[path]


def members(branch: Branch) -> list[tuple[str, Profile]]:
    """The files of a deliverable that carry picture: (name inside the deliverable, profile)."""
    if branch.rungs:
        return [(Profile.rung_file(r), r) for r in branch.rungs]
    return [(branch.output.name, branch.profile)]


def stretch(timeline: Timeline, cut: Excerpt | None) -> tuple[int, int]:
    """The programme frames a deliverable carries: the whole programme or its excerpt."""
    return (0, timeline.duration_frames) if cut is None else _excerpt_frames(timeline, cut)


def chunk_frames(context: ChunkContext, rate: Fraction, frames: int) -> int:
    """About how long a chunk of a stretch of `frames` is: `target_s`, or a quarter of a short
    stretch (a 40 s social cut, a sample programme), so that a fix there re-encodes a part of it
    too; never under the grid."""
    return max(context.grid, min(round(context.target_s * rate), frames // 4))


def plan_jobs(timeline: Timeline, branding: Branding, branches: Sequence[Branch], context: ChunkContext,
              store: Path) -> list[ChunkJob]:
    """One job per chunk of each stretch, with every stale file that shows it."""
    cues: dict[Path, list[Cue]] = {}
    groups: dict[Excerpt | None, list[Branch]] = {}
    for b in branches:
        groups.setdefault(b.excerpt, []).append(b)
    jobs: list[ChunkJob] = []
    for cut, group in groups.items():
        trunk = context.trunks.get(cut) or trunk_format(group)
        first_frame, last_frame = stretch(timeline, cut)
        for first, last in boundaries(timeline, first_frame, last_frame, context.grid,
                                      chunk_frames(context, timeline.rate, last_frame - first_frame)):
            piece = Excerpt(first, last, timeline.rate)
            picture = slice_key(timeline, first, last, context.content_keys)
            brand = branding_key(branding, piece, context.graphics)
            outputs: list[ChunkOutput] = []
            for b in group:
                shown = cues_in(_cues(b.subtitles, cues), piece) if b.subtitles is not None else None
                for member, profile in members(b):
                    key = chunk_key(picture=picture, branding=brand, cues=shown, profile=profile, trunk=trunk,
                                    ffmpeg=context.ffmpeg)
                    outputs.append(ChunkOutput(b.name, member, profile, b.subtitles, key,
                                               store / f"{key}{profile.container.extension}"))
            jobs.append(ChunkJob(first, last, timeline.rate, trunk, tuple(outputs)))
    return jobs


# -- the sound, whole -------------------------------------------------------------------------------

def sound_key(shared: Mapping[str, Any], branch: Branch) -> str:
    """What a deliverable's sound is made of: the timeline and working copies (`shared`), its
    stretch, its correction and its profile's sound."""
    p = branch.profile
    blob = json.dumps({"sound": SOUND_VERSION, **shared, "excerpt": list(branch.excerpt.seconds) if branch.excerpt
                       else None, "level": asdict(branch.level) if branch.level is not None else None,
                       "audio": p.audio.model_dump(mode="json"), "loudness": p.loudness.model_dump(mode="json")},
                      ensure_ascii=False, sort_keys=True, default=str)
    return "sound-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def sound_path(store: Path, key: str) -> Path:
    return store / f"{key}.mov"


def _figures_path(store: Path, key: str) -> Path:
    return store / f"{key}.json"


@dataclass(frozen=True)
class SoundFigures:
    """A rendered sound's loudness: the render's meter before encoding (`meter`), and the encoded
    sound itself measured again (`encoded`; None for mono-track PCM, where the two are the same).
    The file carries exactly these packets (stream copy), so `encoded` is the file's own figure."""

    meter: LoudnessMeasurement | None
    encoded: LoudnessMeasurement | None


def _figures(data: Any, key: str) -> LoudnessMeasurement | None:
    found = data.get(key) if isinstance(data, dict) else None
    return LoudnessMeasurement.from_dict(found) if isinstance(found, dict) else None


def make_sound(timeline: Timeline, branches: Sequence[Branch], keys: Mapping[str, str], store: Path,
               progress: ProgressFn, task: str) -> dict[str, SoundFigures]:
    """Each branch's sound in the store (one pass for those missing, each measured again once
    encoded); the figures of each, kept beside it."""
    missing = [b for b in branches if not sound_path(store, keys[b.name]).is_file()
               or not _figures_path(store, keys[b.name]).is_file()]
    if missing:
        total = max(float(Fraction(stretch(timeline, b.excerpt)[1] - stretch(timeline, b.excerpt)[0])
                          / timeline.rate) for b in missing)
        with contextlib.ExitStack() as stack:
            temps = {b.name: stack.enter_context(fsutil.atomic_path(sound_path(store, keys[b.name]), min_bytes=1))
                     for b in missing}
            feeds = stack.enter_context(feed_dir())
            one = sound_pass(timeline, [replace(b, output=temps[b.name]) for b in missing], feed_dir=feeds)
            stderr = ffmpeg.run_ffmpeg(one.args, duration_s=total, subject=store, feeds=one.feeds,
                                       progress=lambda f: progress(Progress(task, f * total, total)))
            meters = parse_ebur128(stderr)
            for b in missing:
                found = meters.get(meter_name(b.name))
                encoded = None if b.profile.audio.mono_tracks else measure(temps[b.name])
                fsutil.write_json(_figures_path(store, keys[b.name]),
                                  {"deliverable": b.name, "figures": found.as_dict() if found else None,
                                   "encoded": encoded.as_dict() if encoded else None})
    out: dict[str, SoundFigures] = {}
    for b in branches:
        data = fsutil.read_json(_figures_path(store, keys[b.name]))
        out[b.name] = SoundFigures(_figures(data, "figures"), _figures(data, "encoded"))
    return out


# -- the picture, in chunks -------------------------------------------------------------------------

@contextlib.contextmanager
def feed_dir() -> Iterator[Path]:
    """A private folder for the FIFOs of a long stretch's feeders (`render/plan.FEED_BATCH`), for
    every pass of the render: the one pass, the sound, each chunk."""
    with tempfile.TemporaryDirectory(prefix="reportage-feed-") as folder:
        yield Path(folder)


def encode_job(timeline: Timeline, branding: Branding, job: ChunkJob, store: Path,
               progress: Callable[[float], None] | None = None) -> int:
    """Encode the outputs of `job` not in the store yet, from one decode of its stretch; each lands
    at its key's name only when the whole run succeeded. Returns how many were made."""
    missing = job.missing()
    if not missing:
        return 0
    with contextlib.ExitStack() as stack:
        temps = {o.key: stack.enter_context(fsutil.atomic_path(o.path, min_bytes=1)) for o in missing}
        burns: dict[Path, Path] = {}
        for o in missing:
            if o.subtitles is not None and o.subtitles not in burns:
                ass = stack.enter_context(fsutil.scratch_path(o.path, ".burn", suffix=".ass"))
                burns[o.subtitles] = write_burn_ass(o.subtitles, ass)
        feeds = stack.enter_context(feed_dir())
        one = job_pass(timeline, branding, job, missing, temps, burns, feeds)
        ffmpeg.run_ffmpeg(one.args, duration_s=job.seconds, subject=store, feeds=one.feeds, progress=progress)
    return len(missing)


def job_pass(timeline: Timeline, branding: Branding, job: ChunkJob, outputs: Sequence[ChunkOutput],
             paths: Mapping[str, Path], burns: Mapping[Path, Path], feeds: Path) -> Pass:
    """The one command of a chunk job: `outputs` (by key) written to `paths`, each burning the ASS
    made from its subtitle file (`burns`)."""
    branches = [Branch(f"{o.deliverable}/{o.member}", o.profile, paths[o.key],
                       subtitles=burns.get(o.subtitles) if o.subtitles is not None else None,
                       excerpt=job.cut, fonts_dir=fonts_dir()) for o in outputs]
    return picture_pass(timeline, branding, branches, pix_fmt=job.trunk, feed_dir=feeds)


class _Cancelled(Exception):
    """The render stopped (failed, or a signal): the chunk being encoded is abandoned, its ffmpeg
    stopped and its temporary deleted."""


@dataclass
class ChunkTally:
    """What `make_chunks` did: chunk files made here, found in the store, made by other workers."""

    made: int = 0
    reused: int = 0
    by_others: int = 0
    taken: int = 0  # jobs this process encoded


def make_chunks(timeline: Timeline, branding: Branding, jobs: Sequence[ChunkJob], store: Path, *,
                workers: int = 1, progress: ProgressFn = lambda _: None, task: str = "render",
                wait: bool = True, stop: threading.Event | None = None) -> ChunkTally:
    """Every job's outputs in the store: `workers` threads take missing jobs and encode them; with
    `wait`, then wait for jobs other processes hold, taking over any whose worker died. The first
    failure stops the taking of new jobs and is raised once the running ones end."""
    chunkstore.clear_dead(store)
    tally = ChunkTally()
    outputs = [o for j in jobs for o in j.outputs]
    tally.reused = sum(1 for o in outputs if o.path.is_file())
    todo = [j for j in jobs if j.missing()]
    total = sum(j.seconds for j in todo) or 1.0
    finished: dict[str, float] = {}
    running: dict[str, float] = {}
    guard = threading.Lock()
    stop = stop or threading.Event()
    errors: list[BaseException] = []

    def report() -> None:
        done = sum(finished.values()) + sum(running.values())
        progress(Progress(f"{task} · {len(todo)} chunks", min(done, total), total))

    def worker() -> None:
        while not stop.is_set():
            job, taken = _take(todo, store, guard)
            if job is None or taken is None:
                return
            try:
                def step(fraction: float, job: ChunkJob = job) -> None:
                    if stop.is_set():  # raised inside run_ffmpeg, which stops its ffmpeg at once
                        raise _Cancelled
                    with guard:
                        running[job.name] = fraction * job.seconds
                    report()
                made = encode_job(timeline, branding, job, store, step)
                with guard:
                    tally.made += made
                    tally.taken += 1
                    running.pop(job.name, None)
                    finished[job.name] = job.seconds
                report()
            except _Cancelled:
                return
            except BaseException as exc:  # raised in the caller's thread
                with guard:
                    errors.append(exc)
                stop.set()
            finally:
                taken.release()

    while True:
        threads = [threading.Thread(target=worker, name=f"chunk worker {i}", daemon=True)
                   for i in range(max(1, workers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        left = [j for j in todo if j.missing()]
        if not left or not wait or stop.is_set():
            break
        while left and all(chunkstore.held(store, j.name) for j in left) and not stop.is_set():
            time.sleep(WAIT_S)  # other workers are making them
            for j in left:
                if not j.missing() and j.name not in finished:
                    finished[j.name] = j.seconds
            report()
            left = [j for j in left if j.missing()]
        if not left:
            break
    made_here = tally.made
    tally.by_others = max(0, sum(1 for o in outputs if o.path.is_file()) - tally.reused - made_here)
    return tally


class PictureRun:
    """`make_chunks` in a thread of its own, started before the sound is measured and rendered, so
    the audio-only passes run while the picture is encoded (the chunks need no loudness figure)."""

    def __init__(self, timeline: Timeline, branding: Branding, jobs: Sequence[ChunkJob], store: Path, *,
                 workers: int, progress: ProgressFn, task: str) -> None:
        self.jobs = list(jobs)
        self._stop = threading.Event()
        self._tally: ChunkTally | None = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._tally = make_chunks(timeline, branding, self.jobs, store, workers=workers, progress=progress,
                                          task=task, stop=self._stop)
            except BaseException as exc:  # raised in `wait`, in the render's thread
                self._error = exc

        self._thread = threading.Thread(target=run, name="picture chunks", daemon=True)

    def start(self) -> PictureRun:
        self._thread.start()
        return self

    def wait(self) -> ChunkTally:
        """Every chunk in the store (or the first failure raised)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._tally is not None
        return self._tally

    def cancel(self) -> None:
        """Stop (the render failed or was stopped): no new chunk is taken, the ffmpeg of a chunk being
        encoded is stopped at its next progress report (within a second) and its temporary deleted."""
        self._stop.set()
        self._thread.join(timeout=30)


def _take(todo: Sequence[ChunkJob], store: Path, guard: threading.Lock) -> tuple[ChunkJob | None,
                                                                                 chunkstore.Claim | None]:
    """The next missing job nobody holds, claimed (its claim beating); (None, None) when none is left."""
    with guard:
        for job in todo:
            if not job.missing():
                continue
            taken = chunkstore.claim(store, job.name)
            if taken is None:
                continue
            if not job.missing():  # finished by another worker between the look and the claim
                taken.release()
                continue
            taken.beat()
            return job, taken
    return None, None


# -- the join ---------------------------------------------------------------------------------------

def file_spans(jobs: Sequence[ChunkJob], branch: Branch, member: str, base_frame: int, fps: Fraction,
               rate: Fraction) -> list[tuple[ChunkOutput, ChunkSpan]]:
    """The chunks of one file of `branch` in order, each with its frames in the file (the leader
    counted: `base_frame` is where the stretch starts in the file)."""
    out: list[tuple[ChunkOutput, ChunkSpan]] = []
    start = min((j.first for j in jobs if any(o.deliverable == branch.name for o in j.outputs)), default=0)
    for job in sorted(jobs, key=lambda j: j.first):
        for o in job.outputs:
            if o.deliverable == branch.name and o.member == member:
                a = base_frame + round(Fraction(job.first - start) / rate * fps)
                b = base_frame + round(Fraction(job.last - start) / rate * fps)
                out.append((o, ChunkSpan(member, a, b, o.key)))
    return out


def join(chunks: Sequence[tuple[ChunkOutput, ChunkSpan]], sound: Path | None, profile: Profile, output: Path,
         metadata: Sequence[tuple[str, str]], *, final: Path | None = None) -> None:
    """One file from its chunks (and its sound), by stream copy, at `output` (a temporary name of
    `final`: the list of chunks is named after `final`, so a killed render's is found as its leftover)."""
    fps = Fraction(str(profile.video.fps))
    with fsutil.scratch_path(final or output, ".chunks", suffix=".ffconcat") as listing:
        write_chunk_list(listing, [(o.path, span.end_frame - span.start_frame) for o, span in chunks], fps)
        ffmpeg.run_ffmpeg(join_chunks_args(listing, sound, profile, output, metadata), subject=output)
