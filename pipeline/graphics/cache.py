"""The graphics cache: one file per content hash in `ws.graphics_dir`, so a rerun reuses them.

The key covers everything that changes the pixels: template version, texts, font file hashes,
frame size, rate and duration. A changed text makes a new file (and a new render input hash); an
unchanged one is never drawn twice. Files are written to a temporary name and renamed.

moviepy draws every graphic on the full programme frame; the cache then crops it to the box its
pixels ever cover (alpha > 0 in any frame, found with ffmpeg's `bbox`) and records where that box
sits in `<file>.box.json`. A lower third is then about an eighth of the frame, and the render decodes
and blends an eighth of the pixels for it (overlaying full frames cost 10 % of a web render with
five graphics in 30 s). A file without a box record is a full frame at 0,0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..fsutil import atomic_path, read_json, scratch_path, write_json
from ..media import ffmpeg
from .cards import TEMPLATE_VERSION, GraphicSpec, draw

# GraphicSpec lives in cards.py; re-exported because pipeline/render/branding.py and
# tests/unit/test_render_plan.py still import it from here.
__all__ = ["Box", "Graphic", "alpha_box", "box_path", "ensure_graphic", "graphic_path", "read_box"]

@dataclass(frozen=True)
class Box:
    """Where a cropped graphic sits on the programme frame, in pixels (even, for 4:2:0 chroma)."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Graphic:
    """A cached graphic file and its content key (part of the render's inputs hash)."""

    spec: GraphicSpec
    path: Path
    key: str
    made: bool  # False when it came from the cache
    box: Box | None = None  # None: the file is the full frame


def box_path(path: Path) -> Path:
    return path.with_name(path.name + ".box.json")


def read_box(path: Path) -> Box | None:
    """The recorded box of a cached graphic, or None (full frame, or not made yet)."""
    record = box_path(path)
    if not record.is_file():
        return None
    data = read_json(record)
    return Box(int(data["x"]), int(data["y"]), int(data["width"]), int(data["height"]))


def alpha_box(path: Path, width: int, height: int) -> Box | None:
    """The union over all frames of the pixels with alpha > 0, widened to even edges; None when the
    graphic covers (nearly) the whole frame or nothing at all."""
    stderr = ffmpeg.run_ffmpeg(["-i", ffmpeg.safe_input(path), "-vf", "alphaextract,bbox=min_val=1",
                                "-f", "null", "-"], subject=path)
    found = [tuple(int(v) for v in m.groups()) for m in _BBOX.finditer(stderr)]
    if not found:
        return None
    x1, x2 = min(f[0] for f in found), max(f[1] for f in found)
    y1, y2 = min(f[2] for f in found), max(f[3] for f in found)
    x, y = x1 // 2 * 2, y1 // 2 * 2
    w, h = min(width - x, (x2 - x + 2) // 2 * 2), min(height - y, (y2 - y + 2) // 2 * 2)
    if w * h > 0.8 * width * height:
        return None
    return Box(x, y, w, h)


_BBOX = re.compile(r"x1:(\d+) x2:(\d+) y1:(\d+) y2:(\d+)")


def _crop(full: Path, out: Path, box: Box) -> None:
    """Losslessly cut `box` out of every frame (qtrle ARGB, as drawn)."""
    ffmpeg.run_ffmpeg(["-i", ffmpeg.safe_input(full), "-vf", f"crop={box.width}:{box.height}:{box.x}:{box.y}",
                       "-c:v", "qtrle", "-pix_fmt", "argb", "-f", "mov", ffmpeg.safe_input(out)], subject=out)


def graphic_path(graphics_dir: Path, spec: GraphicSpec) -> Path:
    """Where `spec`'s file lives (whether or not it has been made yet)."""
    return graphics_dir / f"{spec.kind}-{spec.key(TEMPLATE_VERSION)}.mov"


def ensure_graphic(graphics_dir: Path, spec: GraphicSpec, *, dry_run: bool = False) -> Graphic:
    """The cached file for `spec`, drawing it with moviepy only when it is missing."""
    path = graphic_path(graphics_dir, spec)
    key = spec.key(TEMPLATE_VERSION)
    if path.exists() or dry_run:
        return Graphic(spec, path, key, made=False, box=read_box(path))
    with atomic_path(path) as tmp, scratch_path(path, ".full") as full:
        draw(spec, full)
        box = alpha_box(full, spec.width, spec.height)
        if box is None:
            full.replace(tmp)
            box_path(path).unlink(missing_ok=True)
        else:
            _crop(full, tmp, box)
            write_json(box_path(path), {"x": box.x, "y": box.y, "width": box.width, "height": box.height,
                                        "frame": [spec.width, spec.height]})
    return Graphic(spec, path, key, made=True, box=box)
