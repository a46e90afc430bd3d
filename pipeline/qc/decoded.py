"""A range of a file's picture measured in this process: decoded by PyAV (FFmpeg's own libraries,
installed with faster-whisper) and measured on the decoder's planes where they lie.

Why: measuring through an ffmpeg process moved every decoded picture through a pipe to numpy — for
the 142 s XDCAM master 14.7 GB, copied into the pipe and out again (16 s of system time) — and ran
blackdetect over every luma sample and freezedetect over every sample of every frame. In process
nothing is copied: numpy reads the decoder's buffers; black is counted only on a frame whose darkest
luma sample is dark enough to count at all (most are not); freezedetect itself runs in a filter
graph of this process, fed the decoded frames by reference (its SIMD sums of absolute differences
took 1.3 s on the 129 s XDCAM master where the same sums in numpy took 6 s).

The facts are the filters' own (`ranges.RangeResult`), computed their way:
- legal range: `frames.FrameMeter` (signalstats' BRNG rule);
- black (blackdetect, `pix_th=0.10`): at least 98 % of the luma samples at or below
  `16 + 0.10 × 219` truncated (37; `0.10 × 255` = 25 for a full-range `yuvj` format);
- a new freeze reference: freezedetect's own mark (`FreezeGraph`, `n=-60dB`, no minimum length);
  the first frame is one.
Only the 8-bit planar formats `frames.PLANAR_FORMATS` lists are read here (the XDCAM master, the
H.264 files); other formats, and files PyAV cannot read, are measured by ffmpeg
(`ranges.measure_span`, which calls this first).
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .frames import PLANAR_FORMATS, FrameMeter, PlaneLayout

PIXEL_BLACK_TH = 0.10
PICTURE_BLACK_TH = 0.98
FREEZE_FILTER = ("freezedetect", "n=-60dB:d=0")
"""freezedetect as both paths run it (`ranges.FREEZE_FILTER` is this): no minimum length, every
new reference marked."""
_FREEZE_END = "lavfi.freezedetect.freeze_end"


class NotReadHere(Exception):
    """This range is not measured in process (a format, a file or a seek PyAV does not give as
    ffmpeg does): ffmpeg measures it instead."""


def readable(pix_fmt: str) -> bool:
    """Whether frames of `pix_fmt` are measured here: 8-bit planar YUV."""
    found = PLANAR_FORMATS.get(pix_fmt)
    return found is not None and found[2] == 8


def black_threshold(pix_fmt: str) -> int:
    """blackdetect's `pixel_black_th_i`: the brightest luma code that counts as black."""
    return int(PIXEL_BLACK_TH * 255) if pix_fmt.startswith("yuvj") else int(16 + PIXEL_BLACK_TH * (235 - 16))


class FreezeGraph:
    """freezedetect itself, in a filter graph of this process fed the decoded frames (by reference:
    nothing is copied): its verdict on each frame is the ffmpeg path's, computed by its own SIMD
    sums of absolute differences, about four times faster than the same sums in numpy."""

    def __init__(self) -> None:
        self._graph: Any = None
        self._pushed = 0
        self.starts: list[bool] = []
        """Whether each frame taken so far was a new reference (the first, or one that differs
        from the frame freezedetect held: it marks it `freeze_end`)."""

    def _open(self, frame: Any) -> Any:
        import av.filter

        graph = av.filter.Graph()
        graph.threads = 1  # freezedetect works on whole frames: a slice-thread pool would idle
        source = graph.add_buffer(width=frame.width, height=frame.height, format=frame.format.name,
                                  time_base=frame.time_base or Fraction(1, 90_000))
        detect = graph.add(*FREEZE_FILTER)
        sink = graph.add("buffersink")
        source.link_to(detect)
        detect.link_to(sink)
        graph.configure()
        return graph

    def take(self, frame: Any) -> None:
        """Feed one frame; its verdict is read as soon as freezedetect lets it through."""
        import av

        if self._graph is None:
            self._graph = self._open(frame)
        try:
            self._graph.push(frame)
        except av.FFmpegError as exc:
            raise NotReadHere(f"freezedetect refused a frame: {exc}") from exc
        self._pushed += 1
        self._drain(av.error.BlockingIOError)

    def finish(self) -> list[bool]:
        """Every frame's verdict, once the graph is flushed."""
        import av

        if self._graph is not None:
            self._graph.push(None)
            self._drain(av.error.EOFError)
        if len(self.starts) != self._pushed:
            raise NotReadHere(f"freezedetect gave {len(self.starts)} frames for {self._pushed}")
        return self.starts

    def _drain(self, until: type[Exception]) -> None:
        while True:
            try:
                out = self._graph.pull()
            except until:
                return
            self.starts.append(not self.starts or _FREEZE_END in out.metadata)


def _planes(frame: Any, layout: PlaneLayout) -> list[npt.NDArray[np.uint8]]:
    """Views of a decoded frame's Y, U and V planes (no copy), each cut to its picture width."""
    cw, ch = layout.chroma_size
    out = []
    for plane, (width, height) in zip(frame.planes, ((layout.width, layout.height), (cw, ch), (cw, ch)),
                                      strict=False):
        if plane.width != width or plane.height != height:
            raise NotReadHere(f"plane {plane.width}x{plane.height}, not {width}x{height}")
        rows: npt.NDArray[np.uint8] = np.frombuffer(plane, dtype=np.uint8).reshape(height, plane.line_size)
        out.append(rows[:, :width])
    if len(out) != 3:
        raise NotReadHere("not three planes")
    return out


def decoded_frames(path: Path, first_pts: int, end_pts: int | None, *, threads: int = 0) -> Iterator[Any]:
    """The frames of `path`'s first video stream with first_pts <= pts < end_pts (to the end when
    None), in presentation order: decoded from the keyframe at or before `first_pts`, as ffmpeg's
    accurate `-ss` does."""
    import av

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, OSError) as exc:
        raise NotReadHere(str(exc)) from exc
    with container:
        stream = container.streams.video[0]
        if threads != 1:  # 0: as many as FFmpeg sees fit
            stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        try:
            if first_pts > (stream.start_time or 0):
                container.seek(first_pts, stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                if frame.pts is None:
                    raise NotReadHere("a frame without pts")
                if end_pts is not None and frame.pts >= end_pts:
                    return
                if frame.pts >= first_pts:
                    yield frame
        except av.FFmpegError as exc:
            raise NotReadHere(str(exc)) from exc


def measure_frames(frames: Iterator[Any], pix_fmt: str, layout: PlaneLayout) -> tuple[
        list[int], list[tuple[float, ...]], list[bool], list[bool]]:
    """Each frame's pts, legal-range figures, black, and whether it is a new freeze reference."""
    meter, freeze = FrameMeter(layout), FreezeGraph()
    dark = black_threshold(pix_fmt)
    area = layout.width * layout.height
    pts: list[int] = []
    stats: list[tuple[float, ...]] = []
    black: list[bool] = []
    for frame in frames:
        planes = _planes(frame, layout)
        figures = meter.measure_planes(*planes)
        pts.append(int(frame.pts))
        stats.append(figures)
        # no sample dark enough: not black, without counting; else blackdetect's ratio
        black.append(figures[0] <= dark and int(np.count_nonzero(planes[0] <= dark)) / area >= PICTURE_BLACK_TH)
        freeze.take(frame)
    return pts, stats, black, freeze.finish()
