"""Where a burned-in subtitle and a lower third are on screen at once, in the same place.

Both are drawn in the same corner of the frame (the bottom), so a cue that is burned in while a
lower third shows can sit on top of the interviewee's name. The render and QC warn about it; nothing
is moved (which one gives way is the editor's call). Pure geometry and time, no I/O:

- the lower third's box is in programme-frame pixels (where the cache says its pixels are,
  `graphics/cache.Box`, or `estimated_lower_third_box` before it is drawn); the deliverable's picture
  branch then scales it (`graphs.fit`, or `graphs.vertical` for a 9:16 cut), which `placement_for`
  mirrors;
- the subtitle's box is in deliverable pixels, from the exact `force_style` the render hands libass
  (`graphs.subtitle_style_for`): font size, outline, margins and alignment in ASS script units
  (`graphs.ASS_PLAY_RES`), scaled as libass scales them (vertical sizes by frame height / 288, side
  margins by frame width / 384). A line is one font size tall (libass sizes a font by its ascender
  plus descender); its width is estimated from its length (`CHAR_WIDTH`), and a line wider than the
  margins allow counts as the lines libass wraps it into.

Measured with libass on Be Vietnam Pro (the profiles' font): two lines at 1080×1920 (social) ink
from y 1145 to 1244, the box here is y 1131–1250; at 1280×720, ink y 620–680, the box 610–684.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..graphics.cards import safe_box
from ..media.graphs import ASS_PLAY_RES, subtitle_style_for
from ..profiles import Profile
from ..subs.cues import Cue
from ..timecode import Excerpt, Timecode

CHAR_WIDTH = 0.4
"""Average advance of a character, in font sizes. libass measured 0.32–0.34 on Vietnamese and English
lines in Be Vietnam Pro (its size is ascender + descender, about 1.5 em); 0.4 leaves room for wide
letters and bold, so a cue is never drawn narrower than it is."""

FIX = "move the cue or the lower third, or shorten one"


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle in pixels: top-left corner and size."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def intersection(self, other: Rect) -> Rect | None:
        """The area both cover; None when they only touch or are apart."""
        x, y = max(self.x, other.x), max(self.y, other.y)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        if right <= x or bottom <= y:
            return None
        return Rect(x, y, right - x, bottom - y)

    def __str__(self) -> str:
        return f"x {self.x:.0f}–{self.right:.0f}, y {self.y:.0f}–{self.bottom:.0f}"


@dataclass(frozen=True)
class LowerThirdArea:
    """A lower third as placed in the programme: who it names, when it shows (programme seconds),
    and the box its pixels cover on the programme frame. `estimated`: from the template, not drawn yet."""

    name: str
    start_s: float
    duration_s: float
    box: Rect
    estimated: bool = False

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclass(frozen=True)
class Placement:
    """How a deliverable's picture branch maps programme-frame pixels: scale, then shift."""

    scale: float
    dx: float
    dy: float

    def apply(self, rect: Rect) -> Rect:
        return Rect(rect.x * self.scale + self.dx, rect.y * self.scale + self.dy, rect.width * self.scale,
                    rect.height * self.scale)


def placement_for(profile: Profile, frame_w: int, frame_h: int) -> Placement:
    """The programme frame (`frame_w`×`frame_h`) as the profile's picture shows it: fitted and
    letterboxed (`graphs.fit`), or for a vertical cut scaled to the width over a blurred copy
    (`blur-pad`) or to the height and centre-cropped (`crop`), as `graphs.vertical` does."""
    out_w, out_h = profile.video.width, profile.video.height
    if profile.vertical == "crop":
        scale = out_h / frame_h
    elif profile.vertical == "blur-pad":
        scale = out_w / frame_w
    else:
        scale = min(out_w / frame_w, out_h / frame_h)
    return Placement(scale, (out_w - frame_w * scale) / 2, (out_h - frame_h * scale) / 2)


def _style_fields(style: str) -> dict[str, str]:
    """`Key=Value,Key=Value` (an ASS force_style) as a mapping."""
    pairs = (item.split("=", 1) for item in style.split(",") if "=" in item)
    return {key.strip(): value.strip() for key, value in pairs}


def subtitle_rect_for_style(style: str, frame_w: int, frame_h: int, lines: Sequence[str]) -> Rect:
    """The box a cue of `lines` covers when libass draws it with `style` (an ASS force_style, as
    `graphs.subtitle_style` writes it) on a `frame_w`×`frame_h` picture, outline included."""
    fields = _style_fields(style)
    play_x, play_y = ASS_PLAY_RES
    to_y, to_x = frame_h / play_y, frame_w / play_x
    size = float(fields.get("FontSize", "16")) * to_y
    outline = float(fields.get("Outline", "0")) * to_y
    margin_v = float(fields.get("MarginV", "10")) * to_y
    left, right = float(fields.get("MarginL", "10")) * to_x, float(fields.get("MarginR", "10")) * to_x
    alignment = int(fields.get("Alignment", "2"))
    room = max(1.0, frame_w - left - right)
    widths = [len(line) * CHAR_WIDTH * size for line in lines] or [0.0]
    rows = sum(max(1, math.ceil(w / room)) for w in widths)
    width = min(room, max(widths)) + 2 * outline
    height = rows * size + 2 * outline
    column = (alignment - 1) % 3  # numpad layout: 1–3 bottom, 4–6 middle, 7–9 top; left, centre, right
    x = left - outline if column == 0 else frame_w - right - width + outline if column == 2 else (
        left + (room - width) / 2)
    if alignment >= 7:
        y = margin_v - outline
    elif alignment >= 4:
        y = (frame_h - height) / 2
    else:
        y = frame_h - margin_v + outline - height
    return Rect(x, y, width, height)


def subtitle_rect(profile: Profile, lines: Sequence[str]) -> Rect:
    """The box a burned-in cue covers in `profile`'s picture (its style, as the render burns it)."""
    return subtitle_rect_for_style(subtitle_style_for(profile), profile.video.width, profile.video.height, lines)


def estimated_lower_third_box(width: int, height: int) -> Rect:
    """Where the lower-third template (`graphics/cards._lower_third`) puts its panel on a
    `width`×`height` frame, for a graphic not drawn yet: bottom left of title-safe, 62 % of its width
    plus the slide-in, three one-line texts tall (a line taken as 1.3 font sizes plus the template's
    margins: drawn panels measured 1.13 at 1080p, more at small sizes)."""
    sx, sy, sw, sh = safe_box(width, height)
    inner, pad, slide = round(sw * 0.62), max(2, round(height * 0.015)), max(1, round(width * 0.02))
    sizes = [max(8, round(height * share)) for share in (0.045, 0.03, 0.026)]
    block = sum(1.3 * size + 2 * max(2, size // 3) for size in sizes)
    panel_h = block + 2 * pad
    # + 2: the cache widens a drawn box to even edges (`graphics/cache.alpha_box`)
    return Rect(sx, sy + sh - panel_h, inner + 2 * pad + slide + 2, panel_h + 2)


@dataclass(frozen=True)
class Overlap:
    """A burned-in cue on screen with a lower third, over it: the stretch both show (programme
    seconds) and both boxes in deliverable pixels."""

    cue: Cue
    lower_third: LowerThirdArea
    start_s: float
    end_s: float
    subtitle: Rect
    graphic: Rect


def find_overlaps(cues: Iterable[Cue], lower_thirds: Sequence[LowerThirdArea], profile: Profile,
                  frame: tuple[int, int], excerpt: Excerpt | None = None) -> list[Overlap]:
    """Every (cue, lower third) pair of a deliverable of `profile` that shares both time and screen.

    `frame` is the programme frame the lower thirds were drawn on; `excerpt` the stretch a social cut
    carries: what falls outside it is never shown. Cue times are programme time.
    """
    placement = placement_for(profile, *frame)
    picture = Rect(0, 0, profile.video.width, profile.video.height)
    shown = [(lt, box) for lt in lower_thirds if (box := picture.intersection(placement.apply(lt.box))) is not None]
    lo, hi = excerpt.seconds if excerpt is not None else (-math.inf, math.inf)
    found: list[Overlap] = []
    for cue in cues:
        cue_start, cue_end = max(cue.start_ms / 1000, lo), min(cue.end_ms / 1000, hi)
        if cue_end <= cue_start:
            continue
        rect: Rect | None = None
        for lt, box in shown:
            start, end = max(cue_start, lt.start_s), min(cue_end, lt.end_s)
            if end <= start:
                continue
            rect = rect or subtitle_rect(profile, cue.lines)
            if rect.intersection(box) is not None:
                found.append(Overlap(cue, lt, round(start, 3), round(end, 3), rect, box))
    return found


def _tc(seconds: float, rate: Fraction) -> str:
    return str(Timecode.from_seconds(Fraction(str(seconds)), rate))


def cue_label(overlap: Overlap, rate: Fraction) -> str:
    """`cue 3 at 00:00:12:05` (programme timecode of the cue's start)."""
    return f"cue {overlap.cue.index} at {_tc(overlap.cue.start_ms / 1000, rate)}"


def describe(overlap: Overlap, rate: Fraction) -> str:
    """One overlap as the editor reads it: which cue, which lower third, when, where, and the fix."""
    lt = overlap.lower_third
    return (f"{cue_label(overlap, rate)} is burned in over the lower third \u201c{lt.name}\u201d for "
            f"{overlap.end_s - overlap.start_s:.2f} s ({_tc(overlap.start_s, rate)}–{_tc(overlap.end_s, rate)}): "
            f"subtitle {overlap.subtitle}, lower third {overlap.graphic}"
            f"{' (estimated)' if lt.estimated else ''}; {FIX}")
