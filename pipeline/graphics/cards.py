"""The templates: what each graphic looks like, drawn with moviepy into a short .mov with alpha.

Every graphic is drawn on the full programme frame, so the layout here decides the position (the
cache then crops it to the box its pixels cover), as QuickTime Animation (qtrle, ARGB): lossless,
with alpha, and mostly-empty frames compress to almost nothing. All text stays inside the house
title-safe area (`profiles.DEFAULT_SAFE_AREAS`). moviepy is imported only here and only when a
graphic must be drawn, pointed at the system ffmpeg (IMAGEIO_FFMPEG_EXE) so it encodes with the
same build as the render.

A `GraphicSpec` is what one graphic shows; its content key includes TEMPLATE_VERSION, so bump that
whenever a template's look changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import ReportageError
from ..fonts import font_path
from ..fsutil import sha256_file
from ..profiles import DEFAULT_SAFE_AREAS

TEMPLATE_VERSION = 2  # 2: cached cropped to the box the graphic covers (cache.alpha_box)
FADE_S = 0.4
_WHITE = "#FFFFFF"
_GOLD = "#F2C14E"
_PANEL = (12, 32, 64)


class GraphicsError(ReportageError):
    """A graphic could not be drawn (moviepy missing, a font unreadable, ffmpeg refused)."""


def safe_box(width: int, height: int) -> tuple[int, int, int, int]:
    """Title-safe rectangle (x, y, w, h) in pixels: the house margins (`DEFAULT_SAFE_AREAS`),
    because one graphic is overlaid on every deliverable."""
    return DEFAULT_SAFE_AREAS.title.box(width, height)


# ---------------------------------------------------------------------------------------------
# Specs: the data a template needs

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



def _fonts() -> tuple[Path, ...]:
    return (font_path("be-vietnam-pro-bold"), font_path("be-vietnam-pro-regular"))


def title_spec(vi: str, en: str, *, width: int, height: int, rate: Fraction, duration_s: float) -> GraphicSpec:
    """Bilingual title card: Vietnamese title large, English below, fading in and out."""
    return GraphicSpec("title", (vi, en), width, height, rate, duration_s, _fonts())


def lower_third_spec(name: str, title_vi: str, title_en: str, *, width: int, height: int, rate: Fraction,
                     duration_s: float) -> GraphicSpec:
    """An interviewee's name and title (vi, en) on a panel at the bottom left of title-safe."""
    return GraphicSpec("lower-third", (name, title_vi, title_en), width, height, rate, duration_s, _fonts())


def bumper_spec(kind: str, lines: Sequence[str], *, width: int, height: int, rate: Fraction,
                duration_s: float) -> GraphicSpec:
    """Opening (`bumper-open`) or closing (`bumper-close`) ident: an opaque card with centred lines."""
    return GraphicSpec(kind, tuple(lines), width, height, rate, duration_s, _fonts())


def credits_spec(credits: Sequence[tuple[str, str, str]], co_producers: Sequence[str], *, width: int, height: int,
                 rate: Fraction, duration_s: float) -> GraphicSpec:
    """End credits: `role vi / role en — name` lines, then both co-producers."""
    texts = [f"{vi}\t{en}\t{name}" for vi, en, name in credits] + [f"@\t{name}" for name in co_producers]
    return GraphicSpec("credits", tuple(texts), width, height, rate, duration_s, _fonts())


# ---------------------------------------------------------------------------------------------
# Drawing


def _moviepy() -> Any:
    os.environ.setdefault("IMAGEIO_FFMPEG_EXE", shutil.which("ffmpeg") or "/usr/bin/ffmpeg")
    try:
        import moviepy
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise GraphicsError("moviepy is not installed", hint="pip install moviepy==2.2.1") from exc
    return moviepy


def draw(spec: GraphicSpec, out: Path) -> None:
    """Draw `spec` into `out` (.mov, qtrle ARGB) at the spec's size, rate and duration."""
    mp = _moviepy()
    builders = {"title": _title, "lower-third": _lower_third, "bumper-open": _bumper, "bumper-close": _bumper,
                "credits": _credits}
    clip = None
    try:
        layers = builders[spec.kind](mp, spec)
        clip = mp.CompositeVideoClip(layers, size=(spec.width, spec.height), bg_color=None)
        fade = min(FADE_S, spec.duration_s / 4)
        clip = clip.with_duration(spec.duration_s).with_effects([mp.vfx.CrossFadeIn(fade), mp.vfx.CrossFadeOut(fade)])
        clip.write_videofile(str(out), fps=float(spec.rate), codec="qtrle", audio=False, preset="medium",
                             ffmpeg_params=["-pix_fmt", "argb"], logger=None)
    except (OSError, ValueError) as exc:
        raise GraphicsError(f"could not draw the {spec.kind} graphic ({exc})", path=out,
                            hint="check the fonts in assets/fonts and that ffmpeg works") from exc
    finally:
        if clip is not None:
            clip.close()


def _text(mp: Any, text: str, font: Path, size_px: int, width: int, *, colour: str = _WHITE,
          align: str = "center") -> Any:
    """Text wrapped to `width`, with room above and below for stacked Vietnamese marks (ẫ, Ặ)."""
    size_px = max(8, size_px)
    return mp.TextClip(font=str(font), text=text, font_size=size_px, color=colour, method="caption",
                       size=(width, None), margin=(2, max(2, size_px // 3)), text_align=align,
                       horizontal_align=align, interline=max(2, size_px // 6), transparent=True)


def _panel(mp: Any, width: int, height: int, opacity: float) -> Any:
    return mp.ColorClip(size=(max(2, width), max(2, height)), color=_PANEL).with_opacity(opacity)


def _stack(mp: Any, clips: Sequence[Any], x: int | str, top: int, gap: int) -> list[Any]:
    out, y = [], top
    for c in clips:
        out.append(c.with_position((x, y)))
        y += c.h + gap
    return out


def _title(mp: Any, spec: GraphicSpec) -> list[Any]:
    w, h = spec.width, spec.height
    _sx, sy, sw, sh = safe_box(w, h)
    bold, regular = spec.fonts
    vi = _text(mp, spec.texts[0], bold, round(h * 0.07), sw)
    en = _text(mp, spec.texts[1], regular, round(h * 0.042), sw, colour=_GOLD)
    block_h = vi.h + en.h + round(h * 0.02)
    top = max(sy, (h - block_h) // 2)
    panel_h = min(sh, block_h + round(h * 0.06))
    panel = _panel(mp, w, panel_h, 0.6).with_position((0, max(sy, (h - panel_h) // 2)))
    return [panel, *_stack(mp, [vi, en], "center", top, round(h * 0.02))]


def _lower_third(mp: Any, spec: GraphicSpec) -> list[Any]:
    w, h = spec.width, spec.height
    sx, sy, sw, sh = safe_box(w, h)
    bold, regular = spec.fonts
    inner = round(sw * 0.62)
    pad = max(2, round(h * 0.015))
    name = _text(mp, spec.texts[0], bold, round(h * 0.045), inner, align="left")
    vi = _text(mp, spec.texts[1], regular, round(h * 0.03), inner, align="left")
    en = _text(mp, spec.texts[2], regular, round(h * 0.026), inner, colour=_GOLD, align="left")
    block_h = name.h + vi.h + en.h
    top = sy + sh - block_h - pad
    panel = _panel(mp, inner + 2 * pad, block_h + 2 * pad, 0.7)
    slide = max(1, round(w * 0.02))

    def moving(x0: int, y0: int) -> Any:
        # a short slide to the right (from further inside title-safe, never outside it) as it fades in
        return lambda t: (x0 + round(slide * max(0.0, 1 - t / FADE_S)), y0)

    layers = [panel.with_position(moving(sx, top - pad))]
    y = top
    for c in (name, vi, en):
        layers.append(c.with_position(moving(sx + pad, y)))
        y += c.h
    return layers


def _bumper(mp: Any, spec: GraphicSpec) -> list[Any]:
    w, h = spec.width, spec.height
    _sx, sy, sw, _sh = safe_box(w, h)
    bold, regular = spec.fonts
    background = mp.ColorClip(size=(w, h), color=_PANEL)
    lines = [_text(mp, line, bold if i == 0 else regular, round(h * (0.06 if i == 0 else 0.035)), sw,
                   colour=_WHITE if i == 0 else _GOLD) for i, line in enumerate(spec.texts)]
    total = sum(c.h for c in lines)
    return [background, *_stack(mp, lines, "center", max(sy, (h - total) // 2), 0)]


def _credits(mp: Any, spec: GraphicSpec) -> list[Any]:
    w, h = spec.width, spec.height
    _sx, sy, sw, sh = safe_box(w, h)
    bold, regular = spec.fonts
    people = [t.split("\t") for t in spec.texts if not t.startswith("@\t")]
    co = [t.split("\t", 1)[1] for t in spec.texts if t.startswith("@\t")]
    rows = len(people) + (len(co) + 1 if co else 0)
    size = max(8, min(round(h * 0.036), int(sh / max(1, rows) / 1.9)))
    clips = [_text(mp, f"{vi} / {en}: {name}", regular, size, sw) for vi, en, name in people]
    if co:
        clips.append(_text(mp, "Đồng sản xuất / Co-producers", bold, size, sw, colour=_GOLD))
        clips += [_text(mp, name, bold, size, sw) for name in co]
    total = sum(c.h for c in clips)
    background = _panel(mp, w, h, 0.75)
    return [background, *_stack(mp, clips, "center", max(sy, (h - total) // 2), 0)]
