"""A range of a file's picture measured in this process: decoded by PyAV (FFmpeg's own libraries,
installed with faster-whisper) and measured on the decoder's planes where they lie.

Why: measuring through an ffmpeg process moved every decoded picture through a pipe to numpy — for
the 142 s XDCAM master 14.7 GB, copied into the pipe and out again (16 s of system time) — and ran
blackdetect over every luma sample and freezedetect over every sample of every frame. In process
nothing is copied: numpy reads the decoder's buffers; black is counted only on a frame whose darkest
luma sample is dark enough to count at all (most are not); the freeze test first compares every
eighth luma row and stops when those alone differ from the reference more than a whole frozen frame
may.

The facts are the filters' own (`ranges.RangeResult`), computed their way:
- legal range: `frames.FrameMeter` (signalstats' BRNG rule);
- black (blackdetect, `pix_th=0.10`): at least 98 % of the luma samples at or below
  `16 + 0.10 × 219` truncated (37; `0.10 × 255` = 25 for a full-range `yuvj` format);
- a new freeze reference (freezedetect, `n=-60dB`): the sum of absolute differences to the frame it
  holds, over every plane (chroma rows: the luma rows shifted down, as it counts them), divided by the
  samples and by 256, is above 0.001; the first frame is one, and every new reference is held next.
Only the 8-bit planar formats `frames.PLANAR_FORMATS` lists are read here (the XDCAM master, the
H.264 files); other formats, and files PyAV cannot read, are measured by ffmpeg
(`ranges.measure_span`, which calls this first).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .frames import PLANAR_FORMATS, FrameMeter, PlaneLayout

PIXEL_BLACK_TH = 0.10
PICTURE_BLACK_TH = 0.98
FREEZE_NOISE = 10 ** (-60 / 20)
"""freezedetect's `n=-60dB` as it reads it: 0.001 of the full scale."""
SAMPLE_ROWS = 8
"""Every this many luma rows are compared first: a moving picture already differs too much there."""
_SAMPLED = 3
"""`FreezeMeter`'s scratch for those rows (0–2 are the planes')."""


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


class FreezeMeter:
    """freezedetect's test of each frame against the reference it holds, on 8-bit planes."""

    def __init__(self, layout: PlaneLayout) -> None:
        cw = -((-layout.width) >> layout.hsub)
        # freezedetect's plane sizes: widths from the line size (rounded up), chroma heights shifted down
        self.shapes = [(layout.height, layout.width), *[(layout.height >> layout.vsub, cw)] * 2]
        self.count = sum(h * w for h, w in self.shapes)
        self.reference: list[npt.NDArray[np.uint8]] | None = None
        self._held: Any = None  # the frame whose buffers `reference` views: kept alive while held
        # scratch per plane, and one more (index `_SAMPLED`) for the sampled luma rows
        sample = (-(-layout.height // SAMPLE_ROWS), layout.width)
        self._high = [np.empty(shape, dtype=np.uint8) for shape in (*self.shapes, sample)]
        self._low = [np.empty(shape, dtype=np.uint8) for shape in (*self.shapes, sample)]
        self._sums = [np.empty(h * w // 256, dtype=np.uint16) for h, w in (*self.shapes, sample)]

    def _over(self, sad: int) -> bool:
        """freezedetect's verdict on a sum: its mean per sample, over 2^8, above the noise."""
        return sad / self.count / 256 > FREEZE_NOISE

    def _frozen(self, planes: list[npt.NDArray[np.uint8]]) -> bool:
        assert self.reference is not None
        # a frame that moves already differs enough on every `SAMPLE_ROWS`-th luma row, wherever
        # in the picture it moves: nothing more to read (the sum only grows)
        if self._over(self._sad(_SAMPLED, planes[0][::SAMPLE_ROWS], self.reference[0][::SAMPLE_ROWS])):
            return False
        sad = 0
        for i, ((h, w), plane, ref) in enumerate(zip(self.shapes, planes, self.reference, strict=True)):
            sad += self._sad(i, plane[:h, :w], ref[:h, :w])
            if self._over(sad):  # the luma alone may be enough
                return False
        return True

    def _sad(self, index: int, a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> int:
        """Σ|a − b| over two 8-bit planes (or some of their rows): the larger less the smaller, summed
        256 at a time in 16 bits (at most 255 × 256: no overflow) and those sums in 64."""
        high = self._high[index].reshape(-1)[:a.size].reshape(a.shape)
        low = self._low[index].reshape(-1)[:a.size].reshape(a.shape)
        np.maximum(a, b, out=high)
        np.minimum(a, b, out=low)
        np.subtract(high, low, out=high)
        flat = high.reshape(-1)
        whole = flat.size // 256 * 256
        sums = self._sums[index][:whole // 256]
        np.add.reduce(flat[:whole].reshape(256, -1), axis=0, dtype=np.uint16, out=sums)
        return int(sums.sum(dtype=np.uint64)) + int(flat[whole:].sum(dtype=np.uint64))

    def new_reference(self, frame: Any, planes: list[npt.NDArray[np.uint8]]) -> bool:
        """Whether `frame` (its `planes`) becomes the reference: the first, or one that differs."""
        if self.reference is not None and self._frozen(planes):
            return False
        self.reference, self._held = planes, frame
        return True


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
    meter, freeze = FrameMeter(layout), FreezeMeter(layout)
    dark = black_threshold(pix_fmt)
    area = layout.width * layout.height
    pts: list[int] = []
    stats: list[tuple[float, ...]] = []
    black: list[bool] = []
    starts: list[bool] = []
    for frame in frames:
        planes = _planes(frame, layout)
        figures = meter.measure_planes(*planes)
        pts.append(int(frame.pts))
        stats.append(figures)
        # no sample dark enough: not black, without counting; else blackdetect's ratio
        black.append(figures[0] <= dark and int(np.count_nonzero(planes[0] <= dark)) / area >= PICTURE_BLACK_TH)
        starts.append(freeze.new_reference(frame, planes))
    return pts, stats, black, starts
