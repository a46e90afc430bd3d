"""QC's measurement of one file, its picture range by range in parallel, its sound beside it.

Why: one decode per file ran at a third of real time on the XDCAM master. The picture is now cut
into ranges (`qc/ranges.py`) measured N at a time (N: the machine's cores), each decoded in this
process and measured on the decoder's planes (`qc/decoded.py`, `qc/frames.py`: numpy, and
freezedetect in an in-process filter graph) instead of signalstats, blackdetect and freezedetect in
an ffmpeg, kept per range (`qc/rangecache.py`) so a file whose chunks are partly unchanged decodes
only the changed ones; the sound is one audio-only decode running alongside. Several files share
one pool of range workers when measured together (`Overlapped`, as the QC stage does). The
per-frame facts are stitched into the whole file's values (`qc/stitch.py`), with freezedetect's
reference settled at every boundary, so the values equal a whole-file decode's
(`checks.measure_file_whole`).

What a caller knows beyond the file (the render's chunk spans, where the cache lives, who is told
of progress) is given with `measuring(RangeOptions(...))` around `measure_file` (below): the QC stage
does; a bare call measures with no cache, cutting ranges itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

from ..errors import MediaError
from ..media.ffmpeg import ffprobe_json
from ..progress import Progress, ProgressFn, ignore
from ..timecode import parse_rate
from .checks import (
    PACKET_ENTRIES,
    FileMeasurements,
    audio_decode,
    audio_values,
    measure_file_whole,
    packet_values,
    probe_fields,
)
from .rangecache import RangeCache
from .ranges import RangeMismatch, RangeResult, Span, VideoTrack, freeze_fixup, measure_span, plan_spans
from .stitch import black_stretches, freeze_stretches

_T = TypeVar("_T")

FIXUP_GROWTH = 4
"""How much longer each retry of a boundary's freeze check reads while the still goes on."""


@dataclass(frozen=True)
class RangeOptions:
    """What measuring a file's picture by ranges needs beyond the file."""

    chunks: tuple[tuple[int, int, str], ...] = ()
    """The render's chunk spans of this file: (start_frame, end_frame, key)."""
    cache: RangeCache | None = None
    sha256: str = ""
    """The file's content hash: the cache key of ranges that are no chunk."""
    progress: ProgressFn = ignore
    task: str = "qc"
    """The progress events' task."""
    scope: str = ""
    """Which file this is (the QC target: a deliverable, a ladder's rung): part of a chunk's cache
    key, since the render's chunk key says what a chunk shows, not how this file encodes it."""
    workers: int = 0
    """Ranges measured at a time; 0: the machine's cores."""
    pool: Executor | None = None
    """Where the ranges run when several files are measured at once (`Overlapped`): one pool of
    `workers` threads for all of them. None: each file makes its own."""


_OPTIONS: ContextVar[RangeOptions | None] = ContextVar("qc_range_options", default=None)


@contextlib.contextmanager
def measuring(options: RangeOptions) -> Iterator[None]:
    """`measure_file` calls inside measure with `options`."""
    token = _OPTIONS.set(options)
    try:
        yield
    finally:
        _OPTIONS.reset(token)


def workers_for(options: RangeOptions) -> int:
    return options.workers if options.workers > 0 else max(1, os.cpu_count() or 1)


def measure_ranged(path: Path, rate: Fraction, *, skip_s: float = 0.0,
                   options: RangeOptions | None = None) -> FileMeasurements:
    """Everything QC measures on `path` (see the module's note); `rate` is the profile's."""
    if not path.is_file():
        raise MediaError("file not found", path=path)
    opts = options or _OPTIONS.get() or RangeOptions()
    values, duration = probe_fields(path)
    measured_rate = parse_rate(str(values.get("video.rate") or "0")) or rate
    probe = ffprobe_json(path, PACKET_ENTRIES)
    values.update(packet_values(probe.get("packets", []), measured_rate))
    track = VideoTrack.from_probe(probe)
    if track is None or track.frames == 0:
        return measure_file_whole(path, rate, skip_s=skip_s)
    has_audio = "audio.codec" in values
    tracks = int(values.get("audio.tracks") or 0)
    mono_pair = tracks if tracks >= 2 and values.get("audio.channels") == tracks else 0
    sound = _Sound(path, skip_s, mono_pair) if has_audio else None
    result: FileMeasurements | None = None
    try:
        result = _Picture(path, track, opts).measure()
    except RangeMismatch:  # frames not where the packet list put them: no range is trusted
        result = None
    finally:
        stderr = sound.result() if sound is not None else None
    if result is None:
        return measure_file_whole(path, rate, skip_s=skip_s)
    result.duration_s = duration
    end = duration or (result.luma_series[-1][0] + 0.04 if result.luma_series else 0.0)
    audio_values(stderr, result, skip_s=skip_s, end=end)
    result.values["picture.legal"] = result.luma_series or None
    result.values.update(values)
    return result


class _Sound:
    """The audio-only decode, in a thread of its own beside the picture's ranges."""

    def __init__(self, path: Path, skip_s: float, mono_tracks: int) -> None:
        self._stderr = ""
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path, skip_s, mono_tracks), name="qc-sound")
        self._thread.start()

    def _run(self, path: Path, skip_s: float, mono_tracks: int) -> None:
        try:
            self._stderr = audio_decode(path, skip_s=skip_s, mono_tracks=mono_tracks)
        except BaseException as exc:  # raised in the caller's thread by result()
            self._error = exc

    def result(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._stderr


@dataclass
class _Picture:
    """The picture of one file: its ranges measured or reused, the boundaries settled, stitched."""

    path: Path
    track: VideoTrack
    options: RangeOptions
    work: dict[str, int] = field(default_factory=lambda: {"ranges": 0, "measured": 0, "reused": 0, "fixups": 0})
    _keys: dict[int, str] = field(default_factory=dict)
    """Each range's cache key by its first frame ("" when it is not kept)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _checks: list[str] = field(default_factory=list)
    """The cache keys of the boundary checks used."""

    def measure(self) -> FileMeasurements:
        workers = workers_for(self.options)
        spans = plan_spans(self.track, self.options.chunks, workers)
        with contextlib.ExitStack() as own:
            pool = self.options.pool or own.enter_context(
                ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qc-range"))
            results, keys = self._ranges(spans, pool, workers)
            pts = [self.track.pts[s.start] + p for s, r in zip(spans, results, strict=True) for p in r.pts]
            starts = self._settle(spans, results, pool)
        luma = [(self.track.time(p), *stats) for p, stats in zip(pts, (s for r in results for s in r.stats),
                                                                  strict=True)]
        black = [b for r in results for b in r.black]
        used = keys + sorted(set(self._checks))
        out = FileMeasurements(luma_series=luma, range_keys=used, range_work=dict(self.work))
        out.values["picture.black"] = black_stretches(self.track, pts, black)
        out.values["picture.freeze"] = freeze_stretches(self.track, pts, starts)
        return out

    def _ranges(self, spans: list[Span], pool: Executor,
                workers: int) -> tuple[list[RangeResult], list[str]]:
        """Each span's measurement, from the cache or measured (N at a time), in order; progress
        reported per range done."""
        cache, opts = self.options.cache, self.options
        total = len(spans)
        self.work.update(ranges=total, measured=0, reused=0)
        t = self.track
        picture = f"{t.pix_fmt} {t.width}x{t.height} {t.time_base} {t.rate}"
        keys = [cache.key(s, opts.sha256, picture, opts.scope) if cache is not None and (s.key or opts.sha256)
                else "" for s in spans]
        results: list[RangeResult | None] = [None] * total
        done = 0
        lock = threading.Lock()

        def finished() -> None:
            nonlocal done
            with lock:
                done += 1
                opts.progress(Progress(opts.task, done, total, "chunks"))

        pending: dict[int, Future[RangeResult]] = {}
        # one decoder thread per range while other ranges (this file's, or another's in a shared
        # pool) keep the other cores busy; a lone range may use them all
        threads = 1 if workers > 1 and (total > 1 or self.options.pool is not None) else 0
        for index, span in enumerate(spans):
            cached = cache.get(keys[index], span.frames) if cache is not None and keys[index] else None
            if cached is not None:
                results[index] = cached
                self.work["reused"] += 1
                finished()
                continue
            future = pool.submit(measure_span, self.path, self.track, span, threads=threads)
            future.add_done_callback(lambda f: finished() if f.exception() is None else None)
            pending[index] = future
        for index, future in pending.items():
            try:
                results[index] = found = future.result()
            except BaseException:  # the file fails as a whole: the ranges not started are not run
                for other in pending.values():
                    other.cancel()
                raise
            self.work["measured"] += 1
            if cache is not None and keys[index]:
                cache.put(keys[index], found)
        self._keys = dict(zip((s.start for s in spans), keys, strict=True))
        return [r for r in results if r is not None], [k for k in keys if k]

    def _check(self, previous: Span, reference: int, start: int, count: int) -> list[bool]:
        """One boundary check (`ranges.freeze_fixup`), kept in the cache with the ranges when
        both sides are ranges it keeps and the reference lies in the range before: what it finds
        depends on those two ranges' pictures alone, so unchanged chunks are not decoded again."""
        cache = self.options.cache
        before, after = self._keys.get(previous.start, ""), self._keys.get(start, "")
        key = (cache.check_key(before, after, start - reference, count)
               if cache is not None and before and after and reference >= previous.start else "")
        if key:
            with self._lock:
                self._checks.append(key)
        found = cache.get_check(key, count) if cache is not None and key else None
        if found is not None:
            return found
        flags = freeze_fixup(self.path, self.track, reference, start, count)
        with self._lock:
            self.work["fixups"] += 1
        if cache is not None and key:
            cache.put_check(key, flags)
        return flags

    def _settle(self, spans: list[Span], results: list[RangeResult], pool: Executor) -> list[bool]:
        """The whole file's freezedetect references: each range's own, with every boundary checked
        against the reference the whole file holds there (`ranges.freeze_fixup`; one frame is
        enough when the picture changes at the boundary, a longer read while it stays still)."""
        local = [s for r in results for s in r.starts]
        starts = list(local)
        boundaries = [s.start for s in spans[1:]]
        later = set(boundaries)
        total = self.track.frames

        def reference(frame: int, flags: list[bool]) -> int:
            return next(i for i in range(frame - 1, -1, -1) if flags[i])

        before = {s.start: p for p, s in itertools.pairwise(spans)}
        guesses = {b: reference(b, local) for b in boundaries}
        first = {b: pool.submit(self._check, before[b], guesses[b], b, 1) for b in boundaries}
        settled_to = 0
        for b in boundaries:
            if b < settled_to:
                first[b].cancel()
                continue
            ref = reference(b, starts)
            count = 1
            flags = first[b].result() if guesses[b] == ref else self._check(before[b], ref, b, 1)
            while True:
                end = _resync(flags, b, local, later, starts)
                if end is not None or b + count >= total:
                    settled_to = end if end is not None else total
                    break
                count = min(total - b, max(25, count * FIXUP_GROWTH))
                flags = self._check(before[b], ref, b, count)
        return starts


def _resync(flags: list[bool], start: int, local: list[bool], boundaries: set[int], starts: list[bool]) -> int | None:
    """Write the whole file's references from `start` on (`flags`, the boundary check) into
    `starts` up to the first frame where they agree again with a range's own (a new reference in
    both, not a range's first frame): that frame, or None when the check ended first."""
    for i, new in enumerate(flags):
        frame = start + i
        if new and (i == 0 or (local[frame] and frame not in boundaries)):
            starts[frame] = True
            return frame
        starts[frame] = new
    return None


def measure_file(path: Path, rate: Fraction, *, skip_s: float = 0.0) -> FileMeasurements:
    """Everything QC measures on `path`; `rate` is the profile's (used for GOP and bit rate).

    The picture is measured range by range, N ranges at a time, beside one decode of the sound; the
    chunk spans, the range cache and the progress callback come from `measuring(...)` around the
    call, so the signature stays what callers (and their stand-ins in tests) know. The values equal
    `checks.measure_file_whole`'s."""
    return measure_ranged(path, rate, skip_s=skip_s)


class Overlapped:
    """Files measured two at a time over one pool of range workers, so the cores stay busy across
    a file's end: while one file's last ranges, its boundary checks and its sound finish, the next
    file's ranges are already decoding (measured one after the other, each file's tail left a core
    idle). Ranges run in the order they are given, a file's after those of the file before it.

    `submit` runs a measurement (`measure_file` inside, with these options) in a thread of its own;
    its result is taken from the future, in whatever thread wants it. Leaving the block (a stop, an
    error, or every result taken) cancels the ranges and files not started, so a file still being
    measured fails at its next range instead of running to its end, and waits for the ranges
    running."""

    FILES_AT_ONCE = 2

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers_for(RangeOptions(workers=workers))
        self._ranges = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="qc-range")
        self._files = ThreadPoolExecutor(max_workers=self.FILES_AT_ONCE, thread_name_prefix="qc-file")

    def __enter__(self) -> Overlapped:
        return self

    def __exit__(self, *exc: object) -> None:
        self._ranges.shutdown(wait=False, cancel_futures=True)
        self._files.shutdown(wait=True, cancel_futures=True)
        self._ranges.shutdown(wait=True)

    def submit(self, options: RangeOptions, measure: Callable[[], _T]) -> Future[_T]:
        shared = dataclasses.replace(options, pool=self._ranges, workers=self.workers)
        return self._files.submit(_measuring_with, shared, measure)


def _measuring_with(options: RangeOptions, measure: Callable[[], _T]) -> _T:
    with measuring(options):
        return measure()
