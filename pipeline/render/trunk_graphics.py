"""Graphics in the trunk's own pixel format, each distinct frame once: what the overlays read.

A cached graphic (pipeline/graphics) is ARGB (QuickTime RLE, cheap to decode). Overlaid on a YUV
trunk, ffmpeg converts every one of its frames to YUVA first, and at 1080p that conversion is most
of what branding costs (measured: 1.0 s of CPU for the 150 frames of the sample's credits, against
0.1 s to decode them). Most frames of a card repeat the one before (a card fades in, holds, fades
out: 20 distinct frames of 150), and an overlay keeps showing its last frame until the next one
arrives. So each graphic is converted once, the repeated frames left out (their timestamps kept),
into `<graphic>.<yuva format>.nut` (FFV Huffyuv, lossless) beside it: converted exactly as the
render's own graph converts it, so the picture is the same and the conversion is paid once.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from .. import fsutil
from ..media import graphs as g
from ..media.ffmpeg import run_ffmpeg, safe_input

log = logging.getLogger(__name__)

_MD5_RE = re.compile(r"^0,\s*(-?\d+),\s*-?\d+,\s*\d+,\s*\d+,\s*([0-9a-f]{32})\s*$", re.M)


def alpha_format(trunk_pix_fmt: str) -> str:
    """The overlay input format for a trunk in `trunk_pix_fmt` (yuv420p → yuva420p)."""
    return trunk_pix_fmt.replace("yuv", "yuva", 1)


def trunk_copy_path(graphic: Path, trunk_pix_fmt: str) -> Path:
    return graphic.with_name(f"{graphic.stem}.{alpha_format(trunk_pix_fmt)}.nut")


def distinct_frames(graphic: Path, pix_fmt: str) -> list[int]:
    """Indices of the frames of `graphic` (converted to `pix_fmt`) that differ from the frame before
    (always the first and the last)."""
    with fsutil.scratch_path(graphic, ".frames", suffix=".md5") as sums:
        run_ffmpeg(["-i", safe_input(graphic), "-vf", g.pixel_format(pix_fmt), "-f", "framemd5", safe_input(sums)],
                   subject=graphic)
        listing = sums.read_text(encoding="utf-8")
    hashes = [m[2] for m in _MD5_RE.finditer(listing)]
    keep = [i for i, h in enumerate(hashes) if i == 0 or h != hashes[i - 1]]
    if hashes and keep[-1] != len(hashes) - 1:
        keep.append(len(hashes) - 1)  # the graphic ends where it ended
    return keep


def ensure_trunk_copy(graphic: Path, trunk_pix_fmt: str, *, dry_run: bool = False) -> Path | None:
    """The graphic's frames in the trunk's format, made once; None in a dry run before it exists."""
    target = trunk_copy_path(graphic, trunk_pix_fmt)
    if target.is_file() or dry_run:
        return target if target.is_file() else None
    fmt = alpha_format(trunk_pix_fmt)
    keep = distinct_frames(graphic, fmt)
    select = "+".join(f"eq(n,{i})" for i in keep)
    with fsutil.atomic_path(target, min_bytes=1) as tmp:
        chain = ",".join([g.pixel_format(fmt), g.filter_("select", select)])
        run_ffmpeg(["-i", safe_input(graphic), "-vf", chain, "-fps_mode", "passthrough", "-c:v", "ffvhuff",
                    "-f", "nut", safe_input(tmp)], subject=graphic)
    log.info("%s: %d distinct frames in %s", graphic.name, len(keep), fmt)
    return target
