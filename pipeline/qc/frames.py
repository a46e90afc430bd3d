"""Legal-range figures of one decoded picture, computed on its planes as the decoder gave them.

Why not ffmpeg's `signalstats`: it computes some thirty figures per frame (histograms, saturation
and hue through `hypotf`/`atan2f` on every chroma sample, the difference to the previous frame) of
which QC keeps seven, and it cost four fifths of QC's time (25 of 33 s on an 82 s 1080p file). The
seven are cheap to get exactly: the minimum and maximum of each plane, and BRNG, the fraction of
luma positions whose Y leaves 16–235 or whose co-sited Cb/Cr (the chroma sample at `x >> hsub,
y >> vsub`, as signalstats reads it) leaves 16–240, limits scaled by `1 << (depth - 8)` for more
bits. No format conversion is made: the planes are read raw from ffmpeg (`-f rawvideo` in the
decoder's own pixel format), and a frame whose extremes are all in range has BRNG 0 without
looking at a pixel twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

# decoder pixel formats read here: (horizontal, vertical chroma subsampling shift, bits per sample)
PLANAR_FORMATS: dict[str, tuple[int, int, int]] = {
    "yuv420p": (1, 1, 8), "yuvj420p": (1, 1, 8), "yuv422p": (1, 0, 8), "yuvj422p": (1, 0, 8),
    "yuv444p": (0, 0, 8), "yuvj444p": (0, 0, 8), "yuv440p": (0, 1, 8), "yuv411p": (2, 0, 8),
    "yuv420p10le": (1, 1, 10), "yuv422p10le": (1, 0, 10), "yuv444p10le": (0, 0, 10),
    "yuv420p12le": (1, 1, 12), "yuv422p12le": (1, 0, 12), "yuv444p12le": (0, 0, 12),
}

_WORDS: dict[int, Any] = {0: np.uint8, 1: np.uint16, 2: np.uint32}
"""The unsigned word as wide as the luma positions of one chroma sample's row, by `hsub`."""
_BYTE_ONES = {0: 1, 1: 0x0101, 2: 0x01010101}
"""That word with every byte 1 (True)."""

Stats = tuple[float, float, float, float, float, float, float]
"""Ymin, Ymax, Umin, Umax, Vmin, Vmax in 8-bit codes, and BRNG (a fraction of the frame's pixels)."""


def _ceil_shift(value: int, shift: int) -> int:
    return -((-value) >> shift)


@dataclass(frozen=True)
class PlaneLayout:
    """Where each plane lies in one raw frame (planes back to back, no padding: ffmpeg's rawvideo)."""

    width: int
    height: int
    hsub: int
    vsub: int
    depth: int

    @classmethod
    def of(cls, pix_fmt: str, width: int, height: int) -> PlaneLayout | None:
        """The layout of `pix_fmt`, None for a format read here is not (QC then measures it with
        signalstats, as before)."""
        found = PLANAR_FORMATS.get(pix_fmt)
        if found is None or width <= 0 or height <= 0:
            return None
        return cls(width, height, *found)

    @property
    def chroma_size(self) -> tuple[int, int]:
        """(width, height) of a chroma plane: rounded up, as ffmpeg allocates it."""
        return _ceil_shift(self.width, self.hsub), _ceil_shift(self.height, self.vsub)

    @property
    def sample_bytes(self) -> int:
        return 1 if self.depth == 8 else 2

    @property
    def frame_bytes(self) -> int:
        cw, ch = self.chroma_size
        return (self.width * self.height + 2 * cw * ch) * self.sample_bytes


class FrameMeter:
    """Measures frames of one layout, reusing its scratch arrays (a 1080i frame is 4 MB; a QC run
    reads tens of gigabytes, so nothing is allocated per frame)."""

    def __init__(self, layout: PlaneLayout) -> None:
        self.layout = layout
        self.buffer = bytearray(layout.frame_bytes)
        dtype = np.uint8 if layout.depth == 8 else np.dtype("<u2")
        flat: npt.NDArray[Any] = np.frombuffer(self.buffer, dtype=dtype)
        w, h = layout.width, layout.height
        cw, ch = layout.chroma_size
        self._y: npt.NDArray[Any] = flat[:w * h].reshape(h, w)
        self._u: npt.NDArray[Any] = flat[w * h:w * h + cw * ch].reshape(ch, cw)
        self._v: npt.NDArray[Any] = flat[w * h + cw * ch:].reshape(ch, cw)
        self._scale = float(1 << (layout.depth - 8))
        mult = 1 << (layout.depth - 8)
        self._y_range = (16 * mult, 235 * mult)
        self._c_range = (16 * mult, 240 * mult)
        self._scratch: npt.NDArray[Any] = np.empty_like(self._y)
        self._mask: npt.NDArray[np.bool_] = np.empty(self._y.shape, dtype=bool)
        self._c_scratch: npt.NDArray[Any] = np.empty_like(self._u)
        self._c_mask: npt.NDArray[np.bool_] = np.empty(self._u.shape, dtype=bool)
        self._c_more: npt.NDArray[np.bool_] = np.empty(self._u.shape, dtype=bool)
        self._c_words: npt.NDArray[Any] = np.empty(self._u.shape, dtype=_WORDS.get(layout.hsub, np.uint8))

    def measure(self) -> Stats:
        """The figures of the frame now in `buffer`."""
        return self.measure_planes(self._y, self._u, self._v)

    def measure_planes(self, y: npt.NDArray[Any], u: npt.NDArray[Any], v: npt.NDArray[Any]) -> Stats:
        """The figures of a frame given as its three planes (views of a decoder's buffers do: only
        their shapes must be this layout's)."""
        ylo, yhi = int(y.min()), int(y.max())
        ulo, uhi = int(u.min()), int(u.max())
        vlo, vhi = int(v.min()), int(v.max())
        (y0, y1), (c0, c1) = self._y_range, self._c_range
        luma_out = ylo < y0 or yhi > y1
        chroma_out = ulo < c0 or uhi > c1 or vlo < c0 or vhi > c1
        brng = self._brng(y, u, v, luma_out, chroma_out) if luma_out or chroma_out else 0
        s = self._scale
        # BRNG as signalstats prints it (%g: six significant digits), so the series is today's
        area = float(f"{brng / (self.layout.width * self.layout.height):g}")
        return (ylo / s, yhi / s, ulo / s, uhi / s, vlo / s, vhi / s, area)

    def _brng(self, y: npt.NDArray[Any], u: npt.NDArray[Any], v: npt.NDArray[Any], luma_out: bool,
              chroma_out: bool) -> int:
        """How many luma positions are out of range (signalstats' BRNG count). Unsigned samples
        wrap below the floor, so `v - lo > hi - lo` is "outside lo..hi" in one comparison. When only
        the luma or only the chroma leaves its range the count needs no picture-sized mask: the luma
        samples out, or each chroma sample out times the luma positions it stands for."""
        (y0, y1), (c0, c1) = self._y_range, self._c_range
        lay = self.layout
        cw, ch = lay.chroma_size
        whole_blocks = cw << lay.hsub == lay.width and ch << lay.vsub == lay.height
        if chroma_out:
            chroma = self._c_mask
            np.subtract(u, c0, out=self._c_scratch)
            np.greater(self._c_scratch, c1 - c0, out=chroma)
            np.subtract(v, c0, out=self._c_scratch)
            np.greater(self._c_scratch, c1 - c0, out=self._c_more)
            chroma |= self._c_more
            if not luma_out and whole_blocks:
                return int(np.count_nonzero(chroma)) << (lay.hsub + lay.vsub)
        mask = self._mask
        if luma_out:
            np.subtract(y, y0, out=self._scratch)
            np.greater(self._scratch, y1 - y0, out=mask)
            if not chroma_out:
                return int(np.count_nonzero(mask))
        else:
            mask.fill(False)
        if whole_blocks:
            # each chroma sample stands for a (1 << vsub) × (1 << hsub) block of luma positions: the
            # 1 << hsub mask bytes of a block's row are one word, set at once from the chroma flag
            word = self._c_words
            np.copyto(word, chroma)
            word *= _BYTE_ONES[lay.hsub]
            rows = mask.view(word.dtype).reshape(ch, 1 << lay.vsub, cw)
            rows |= word[:, None, :]
        else:
            wide = np.repeat(np.repeat(chroma, 1 << lay.vsub, axis=0), 1 << lay.hsub, axis=1)
            mask |= wide[:lay.height, :lay.width]
        return int(np.count_nonzero(mask))
