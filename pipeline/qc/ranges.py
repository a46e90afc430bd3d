"""The picture of a file measured range by range: which ranges, and one range's measurement.

Why ranges: one whole-file decode keeps one ffmpeg busy for the length of the file; ranges that
start on keyframes decode alone to the very frames a whole decode gives (an accurate `-ss` from a
keyframe), so N of them run side by side and each can be kept (`qc/rangecache.py`) and reused while
what it shows is unchanged. The render's chunk spans (`render.state.ChunkSpan`: closed-GOP starts,
keyed by content) are the ranges when it recorded them; otherwise the file is cut on keyframes
into ranges of about `RANGE_S`.

A range's measurement is kept relative to its first frame (`RangeResult`: each frame's pts less the
first's, its legal-range figures, whether blackdetect saw it black, whether freezedetect took it as
a new reference), so a chunk that moved in the file is reused at its new place. What the whole
file's black and frozen stretches are is worked out from these per-frame facts (`qc/stitch.py`):
blackdetect and freezedetect run with no minimum length here, and the minimums are applied once,
across range boundaries, to equal a whole-file decode.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import logging
import os
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import MediaError
from ..media.ffmpeg import run_ffmpeg, safe_input
from . import decoded
from .frames import FrameMeter, PlaneLayout

log = logging.getLogger(__name__)

RANGE_S = 60.0
"""About how long a range of a file without chunk spans is."""
MIN_RANGE_S = 8.0
"""No range shorter than this is made to keep every worker busy (a process costs its start-up)."""
BLACK_FILTER = "blackdetect=d=0:pix_th=0.10"
FREEZE_FILTER = "=".join(decoded.FREEZE_FILTER)
BLACK_MIN_S = 0.2
FREEZE_MIN_US = 1_000_000
_MARK = "metadata=mode=add:key=lavfi.qc.frame:value=1"  # metadata=print prints only frames carrying some
_PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = 1031
_FRAME_RE = re.compile(r"^frame:\s*\d+\s+pts:\s*(-?\d+)")
_SIGNALSTATS = ("YMIN", "YMAX", "UMIN", "UMAX", "VMIN", "VMAX", "BRNG")


@dataclass(frozen=True)
class VideoTrack:
    """What measuring ranges needs of a file's first video stream: its frames' pts in presentation
    order (from the packet list), the keyframes ranges may start on, and how to read its pictures."""

    pix_fmt: str
    width: int
    height: int
    time_base: Fraction
    rate: Fraction
    pts: tuple[int, ...]
    keyframes: tuple[int, ...]
    """Frame numbers (presentation order) of the keyframes, where a range may start."""
    shift: int = 0
    """The file's start time in `time_base` units: a whole-file decode shows pts less this."""
    sizes: tuple[int, ...] = ()
    """Each frame's packet size (presentation order): how much decoding it costs, roughly."""

    def work(self) -> list[float]:
        """Each frame's share of measuring the file, cumulated: half the frames (reading and
        measuring a picture costs the same whatever it shows), half the bytes (a still or a leader
        decodes far faster than a busy picture), so ranges of equal work finish together."""
        total = len(self.pts)
        weight = sum(self.sizes) if len(self.sizes) == total else 0
        out, running = [], 0.0
        for i in range(total):
            running += 0.5 / total + (0.5 * self.sizes[i] / weight if weight else 0.5 / total)
            out.append(running)
        return out

    @property
    def frames(self) -> int:
        return len(self.pts)

    def time(self, pts: int) -> float:
        """A pts as a whole-file decode's filters print it (`av_ts2timestr`: %.6g of seconds)."""
        return float("%.6g" % (float(self.time_base) * (pts - self.shift)))

    def seconds(self, pts: int) -> float:
        return float(self.time_base * (pts - self.shift))

    @classmethod
    def from_probe(cls, data: Mapping[str, Any]) -> VideoTrack | None:
        """From `ffprobe -show_streams -show_format -show_packets` of the first video stream; None
        when the packets carry no pts (ranges cannot be placed: the file is measured whole)."""
        streams = [s for s in data.get("streams", []) if s.get("codec_type") == "video"]
        packets = data.get("packets", [])
        if not streams or not packets:
            return None
        stream = streams[0]
        try:
            tb = Fraction(str(stream.get("time_base", "0/1")))
            rate = Fraction(str(stream.get("r_frame_rate", "0/1")))
            ordered = sorted((int(p["pts"]), "K" in str(p.get("flags", "")), int(p.get("size") or 0))
                             for p in packets)
        except (KeyError, ValueError, ZeroDivisionError, TypeError):
            return None
        if tb <= 0 or rate <= 0:
            return None
        start = data.get("format", {}).get("start_time")
        try:
            shift = round(Fraction(str(start)) / tb) if start not in (None, "N/A") else 0
        except (ValueError, ZeroDivisionError):
            shift = 0
        pts = tuple(p for p, _, _ in ordered)
        keys = tuple(i for i, (_, key, _) in enumerate(ordered) if key)
        sizes = tuple(size for _, _, size in ordered)
        return cls(str(stream.get("pix_fmt", "")), int(stream.get("width") or 0), int(stream.get("height") or 0),
                   tb, rate, pts, keys, shift, sizes)


@dataclass(frozen=True)
class Span:
    """Frames [start, end) of the file, measured in one decode; `key` the render's content key of
    a chunk (None for a range QC cut itself)."""

    start: int
    end: int
    key: str | None = None

    @property
    def frames(self) -> int:
        return self.end - self.start


def plan_spans(track: VideoTrack, chunks: Sequence[tuple[int, int, str]], workers: int) -> list[Span]:
    """The ranges to measure: the chunk spans when they tile the file exactly, else keyframe-aligned
    ranges of about `RANGE_S` (a multiple of the workers while each stays over `MIN_RANGE_S`), cut
    where they hold equal work (`VideoTrack.work`)."""
    total = track.frames
    spans = [Span(a, b, key) for a, b, key in sorted(chunks)]
    if spans and spans[0].start == 0 and spans[-1].end == total and all(
            s.end == n.start and s.frames > 0 for s, n in itertools.pairwise(spans)):
        return spans
    seconds = float(total / track.rate)
    count = max(1, round(seconds / RANGE_S))
    if workers > 1:
        count = max(count, min(workers, int(seconds // MIN_RANGE_S)))
        count = -(-count // workers) * workers if seconds / (-(-count // workers) * workers) >= MIN_RANGE_S else count
    keys = sorted(set(track.keyframes) - {0})
    work = track.work()  # cumulated: work[k - 1] is the share of the frames before k
    cuts: list[int] = []
    for n in range(1, count):
        ideal = n / count
        best = min(keys, key=lambda k: abs(work[k - 1] - ideal), default=None)
        if best is not None and best not in cuts and (not cuts or best > cuts[-1]):
            cuts.append(best)
    edges = [0, *cuts, total]
    return [Span(a, b) for a, b in itertools.pairwise(edges) if b > a]


@dataclass
class RangeResult:
    """One range's picture, frame by frame, relative to its first frame (see the module's note)."""

    pts: list[int] = field(default_factory=list)
    """Each frame's pts less the first frame's."""
    stats: list[tuple[float, ...]] = field(default_factory=list)
    black: list[bool] = field(default_factory=list)
    starts: list[bool] = field(default_factory=list)
    """freezedetect took the frame as a new reference (it differs from the one before it held)."""

    def to_json(self) -> dict[str, Any]:
        return {"pts": self.pts, "stats": [list(s) for s in self.stats],
                "black": "".join("1" if b else "0" for b in self.black),
                "starts": "".join("1" if s else "0" for s in self.starts)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RangeResult:
        return cls([int(p) for p in data["pts"]], [tuple(float(v) for v in s) for s in data["stats"]],
                   [c == "1" for c in str(data["black"])], [c == "1" for c in str(data["starts"])])

    def valid(self, frames: int) -> bool:
        return len(self.pts) == len(self.stats) == len(self.black) == len(self.starts) == frames


class RangeMismatch(MediaError):
    """A range decoded to other frames than the packet list promised (a file whose seeking cannot be
    trusted): the caller measures the file in one range instead."""


def _seek_args(track: VideoTrack, frame: int, count: int, whole: bool, margin_s: float = 1.0) -> list[str]:
    """Input options reading `count` frames from frame `frame`: an accurate seek half a frame
    before it, and `margin_s` more than the range's length read (pictures shown in the range but
    decoded after the next keyframe)."""
    if whole:
        return []
    half = 0.5 / float(track.rate)
    at = max(0.0, track.seconds(track.pts[frame]) - half)
    args = ["-ss", f"{at:.6f}"]
    if frame + count < track.frames:
        args += ["-t", f"{count / float(track.rate) + margin_s:.6f}"]
    return args


def measure_span(path: Path, track: VideoTrack, span: Span, *, threads: int = 0) -> RangeResult:
    """Frames [span.start, span.end) of `path` measured: in this process (`qc/decoded.py`) when
    their format is read there, else (or when PyAV does not give the frames the packet list promised)
    by one ffmpeg (`measure_span_ffmpeg`)."""
    if decoded.readable(track.pix_fmt):
        try:
            return _measure_in_process(path, track, span, threads)
        except decoded.NotReadHere as why:
            log.info("%s: frames %d–%d measured by ffmpeg (%s)", path.name, span.start, span.end, why)
    return measure_span_ffmpeg(path, track, span, threads=threads)


def _measure_in_process(path: Path, track: VideoTrack, span: Span, threads: int) -> RangeResult:
    layout = PlaneLayout.of(track.pix_fmt, track.width, track.height)
    if layout is None:
        raise decoded.NotReadHere(track.pix_fmt)
    first = track.pts[span.start]
    end = track.pts[span.end] if span.end < track.frames else None
    frames = decoded.decoded_frames(path, first, end, threads=threads)
    pts, stats, black, starts = decoded.measure_frames(frames, track.pix_fmt, layout)
    if pts != list(track.pts[span.start:span.end]):
        raise decoded.NotReadHere(f"decoded {len(pts)} frames, not the {span.frames} of the packet list")
    return RangeResult([p - first for p in pts], stats, black, starts)


def measure_span_ffmpeg(path: Path, track: VideoTrack, span: Span, *, threads: int = 0) -> RangeResult:
    """Decode frames [span.start, span.end) of `path` in one ffmpeg: blackdetect and freezedetect
    (no minimum length) print per-frame marks, and the planes go raw through a FIFO to `FrameMeter`
    (or, for a pixel format it does not read, signalstats measures them as before)."""
    layout = PlaneLayout.of(track.pix_fmt, track.width, track.height)
    whole = span.start == 0 and span.end == track.frames
    with tempfile.TemporaryDirectory(prefix="reportage-qc-range-") as tmp:
        meta = Path(tmp) / "meta.txt"
        stats = "signalstats=stat=brng," if layout is None else ""
        graph = (f"[0:v:0]trim=end_frame={span.frames},{stats}{BLACK_FILTER},{FREEZE_FILTER},{_MARK},"
                 f"metadata=mode=print:file={_escape(meta)}[v]")
        args = ["-copyts", "-threads", str(threads), *_seek_args(track, span.start, span.frames, whole),
                "-i", safe_input(path), "-filter_complex", graph, "-map", "[v]", "-fps_mode", "passthrough"]
        if layout is None:
            run_ffmpeg([*args, "-f", "null", "-"], subject=path)
            measured: list[tuple[float, ...]] | None = None
        else:
            fifo = Path(tmp) / "frames.raw"
            os.mkfifo(fifo, 0o600)
            reader = _FrameReader(fifo, layout)
            reader.start()
            try:
                run_ffmpeg([*args, "-f", "rawvideo", "-avioflags", "direct", "file:" + str(fifo)], subject=path)
            finally:
                reader.finish()
            measured = reader.stats
        text = meta.read_text(encoding="utf-8", errors="replace") if meta.exists() else ""
        result = _parse_meta(text, _depth(track.pix_fmt))
    if measured is not None:
        result.stats = list(measured)
    first = track.pts[span.start]
    if not result.valid(span.frames) or (result.pts and result.pts[0] != first):
        got = result.pts[0] if result.pts else None
        raise RangeMismatch(f"frames {span.start}–{span.end} decoded to {len(result.pts)} frames from pts {got}, "
                            f"not {span.frames} from {first}", path=path,
                            hint="the file is measured in one piece instead")
    result.pts = [p - first for p in result.pts]
    return result


def freeze_fixup(path: Path, track: VideoTrack, reference: int, start: int, count: int) -> list[bool]:
    """freezedetect's verdict on frames [start, start+count) when frame `reference` is the one it
    holds (as in the whole file, where the range before ended inside a still): one frame decoded at
    `reference`, then the range, through one freezedetect. True: the frame is a new reference."""
    with tempfile.TemporaryDirectory(prefix="reportage-qc-fix-") as tmp:
        meta = Path(tmp) / "meta.txt"
        graph = (f"[0:v:0]trim=end_frame=1,setpts=PTS-STARTPTS[a];[1:v:0]trim=end_frame={count},"
                 f"setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1:a=0,{FREEZE_FILTER},{_MARK},"
                 f"metadata=mode=print:file={_escape(meta)}[v]")
        run_ffmpeg(["-threads", "1", *_seek_args(track, reference, 1, False, 0.5), "-i", safe_input(path),
                    *_seek_args(track, start, count, False), "-i", safe_input(path),
                    "-filter_complex", graph, "-map", "[v]", "-f", "null", "-"], subject=path)
        result = _parse_meta(meta.read_text(encoding="utf-8", errors="replace") if meta.exists() else "")
    if len(result.starts) != count + 1:
        raise RangeMismatch(f"freeze check at frame {start} decoded {len(result.starts) - 1} frames, not {count}",
                            path=path, hint="the file is measured in one piece instead")
    return result.starts[1:]


def _parse_meta(text: str, depth: int = 8) -> RangeResult:
    """Per-frame facts from `metadata=print`: pts, black (blackdetect marks where black starts and
    ends), new freeze reference (freezedetect's `freeze_end` mark; the first frame is one), and the
    signalstats figures when it measured (codes scaled to 8 bits from the format's `depth`)."""
    out = RangeResult()
    black = False
    values: dict[str, float] = {}

    def flush() -> None:
        if values:
            scale = 2 ** (depth - 8)
            out.stats.append(tuple(values.get(k, 0.0) / (1 if k == "BRNG" else scale) for k in _SIGNALSTATS))

    for line in text.splitlines():
        frame = _FRAME_RE.match(line)
        if frame:
            flush()
            values = {}
            out.pts.append(int(frame.group(1)))
            out.black.append(black)
            out.starts.append(not out.starts)
            continue
        if not out.pts or "=" not in line:
            continue
        key, value = line.strip().split("=", 1)
        if key == "lavfi.black_start":
            black = out.black[-1] = True
        elif key == "lavfi.black_end":
            black = out.black[-1] = False
        elif key == "lavfi.freezedetect.freeze_end":
            out.starts[-1] = True
        elif key.startswith("lavfi.signalstats."):
            name = key.rsplit(".", 1)[1]
            if name in _SIGNALSTATS:
                values[name] = float(value)
    flush()
    return out


class _FrameReader:
    """Reads raw frames from a FIFO in a thread of its own while ffmpeg writes them, measuring each.

    The FIFO is opened for reading in the thread (it blocks until ffmpeg opens it for writing) and
    read to its end; `finish` unblocks an open ffmpeg never made (it failed first) and waits."""

    def __init__(self, fifo: Path, layout: PlaneLayout) -> None:
        self.fifo, self.meter = fifo, FrameMeter(layout)
        self.stats: list[tuple[float, ...]] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="qc-frames", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            with open(self.fifo, "rb", buffering=0) as handle:
                with contextlib.suppress(OSError):
                    fcntl.fcntl(handle.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)
                view = memoryview(self.meter.buffer)
                size = len(view)
                while True:
                    got = 0
                    while got < size:
                        n = handle.readinto(view[got:])
                        if not n:
                            break
                        got += n
                    if got < size:
                        return
                    self.stats.append(self.meter.measure())
        except BaseException as exc:  # reported by finish(); the FIFO is drained so ffmpeg never blocks
            self.error = exc
            with contextlib.suppress(OSError), open(self.fifo, "rb", buffering=0) as rest:
                while rest.read(_PIPE_BYTES):
                    pass

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # nobody opened it for writing: let the reader's open return
            os.close(os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK))
        self._thread.join()
        if self.error is not None:
            raise self.error


def _depth(pix_fmt: str) -> int:
    found = re.search(r"p(\d+)(?:le|be)$", pix_fmt)
    return int(found.group(1)) if found else 8


def _escape(path: Path) -> str:
    """A path inside a filtergraph option: escape what the graph parser treats specially."""
    return str(path).replace("\\", "\\\\\\\\").replace(":", "\\\\:").replace("'", "\\\\'").replace(",", "\\,")
