"""The graphics cache: one file per content hash in `ws.graphics_dir`, so a rerun reuses them.

The key covers everything that changes the pixels: template version, texts, font file hashes,
frame size, rate and duration. A changed text makes a new file (and a new render input hash); an
unchanged one is never drawn twice. Files are written to a temporary name and renamed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..fsutil import atomic_path, sha256_file

_FONT_HASHES: dict[str, str] = {}


def _font_hash(path: Path) -> str:
    key = f"{path}:{path.stat().st_mtime_ns}"
    if key not in _FONT_HASHES:
        _FONT_HASHES[key] = sha256_file(path)
    return _FONT_HASHES[key]


@dataclass(frozen=True)
class GraphicSpec:
    """What one graphic shows. `texts` are the template's strings in order; sizes in pixels."""

    kind: str  # title, lower-third, bumper-open, bumper-close, credits
    texts: tuple[str, ...]
    width: int
    height: int
    rate: Fraction
    duration_s: float
    fonts: tuple[Path, ...] = field(default_factory=tuple)

    def key(self, template_version: int) -> str:
        """Content hash of the graphic (hex, 16 chars is plenty for a per-programme folder)."""
        blob = json.dumps({
            "template": template_version, "kind": self.kind, "texts": list(self.texts),
            "fonts": [_font_hash(p) for p in self.fonts], "size": [self.width, self.height],
            "rate": f"{self.rate.numerator}/{self.rate.denominator}", "duration": round(self.duration_s, 3),
        }, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Graphic:
    """A cached graphic file and its content key (part of the render's inputs hash)."""

    spec: GraphicSpec
    path: Path
    key: str
    made: bool  # False when it came from the cache


def graphic_path(graphics_dir: Path, spec: GraphicSpec) -> Path:
    """Where `spec`'s file lives (whether or not it has been made yet)."""
    from .cards import TEMPLATE_VERSION

    return graphics_dir / f"{spec.kind}-{spec.key(TEMPLATE_VERSION)}.mov"


def ensure_graphic(graphics_dir: Path, spec: GraphicSpec, *, dry_run: bool = False) -> Graphic:
    """The cached file for `spec`, drawing it with moviepy only when it is missing."""
    from .cards import TEMPLATE_VERSION, draw

    path = graphic_path(graphics_dir, spec)
    key = spec.key(TEMPLATE_VERSION)
    if path.exists() or dry_run:
        return Graphic(spec, path, key, made=False)
    with atomic_path(path) as tmp:
        draw(spec, tmp)
    return Graphic(spec, path, key, made=True)
