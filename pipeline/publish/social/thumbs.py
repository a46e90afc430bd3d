"""Thumbnails: 1280×720 for YouTube and 1080×1920 for the vertical platforms, as JPEG under 2 MB.

The picture is a frame of the programme chosen, not taken at a fixed time: one candidate in the
middle of each shot the edit uses (the shot list ingest found, moved onto the timeline), each
scored on a small grey copy. A candidate is refused when it is black (its light is mostly below
video black + a little) or frozen (the picture 10 frames later is the same: a freeze or a still
card reads as dead on a feed); of the rest the sharpest wins, by the variance of its Laplacian,
which is high for in-focus detail and low for a blur, a fade or a flat card.

The title is set on it in the house font (Be Vietnam Pro Bold, with the English in Regular), laid
out with the font's real ink boxes, so the stacked marks of "Ặ" or "ễ" are measured, not clipped.
Every character is checked against the font first (`fonts.missing_glyphs`). On the vertical
thumbnail the text stays inside every vertical platform's safe zone (`platforms.VERTICAL`), and
the boxes the text covers are checked against each of them (`check_text_zone`).

Frames come out of ffmpeg (through `media.ffmpeg`); Pillow only draws the text and writes the JPEG.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ...errors import MediaError
from ...fonts import FontError, font_path, missing_glyphs
from ...fsutil import atomic_path, nfc
from ...media.ffmpeg import run_ffmpeg, safe_input
from ...profiles import DEFAULT_SAFE_AREAS
from ...records.shots import ShotList
from ...timeline import Timeline
from .platforms import VERTICAL, YOUTUBE, Box, Finding, check_text_zone, vertical_safe_box

SCORE_SIZE = (384, 216)
LATER_FRAMES = 10
BLACK_LEVEL = 32  # 8-bit luma: video black is 16; a frame mostly below this reads as black
BLACK_SHARE = 0.9
FROZEN_DIFF = 0.3  # mean absolute luma change over LATER_FRAMES below which the picture is frozen
MAX_BYTES = YOUTUBE.thumbnail_max_bytes or 2_000_000
LANDSCAPE = YOUTUBE.thumbnail or (1280, 720)
PORTRAIT = (1080, 1920)
_WHITE = (255, 255, 255)
_GOLD = (242, 193, 78)
_PANEL = (12, 32, 64, 170)


@dataclass(frozen=True)
class Candidate:
    """A frame considered for the thumbnail and how it scored; `refused` says why it was not used."""

    time_s: float
    sharpness: float = 0.0
    mean_luma: float = 0.0
    change: float | None = None  # mean luma change over LATER_FRAMES (None: no later frame)
    refused: str | None = None


@dataclass(frozen=True)
class Thumbnail:
    """A thumbnail written: where, what it measures, the frame it shows, and its findings."""

    path: Path
    width: int
    height: int
    bytes: int
    time_s: float
    text_boxes: tuple[Box, ...]
    findings: tuple[Finding, ...]

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "width": self.width, "height": self.height, "bytes": self.bytes,
                "time_s": round(self.time_s, 3), "text_boxes": [list(b) for b in self.text_boxes],
                "findings": [f.to_json() for f in self.findings]}


# --------------------------------------------------------------------------------------------------
# Choosing the frame


def candidate_times(timeline: Timeline, shots: Mapping[str, ShotList]) -> list[float]:
    """Programme seconds at the middle of each shot the edit shows (a shot cut short by the edit:
    the middle of what is shown). Without shot lists, the middle of each segment."""
    times: list[float] = []
    for segment in timeline.segments:
        src_in = timeline.frames_to_ms(segment.src_in_frame)
        src_out = timeline.frames_to_ms(segment.src_out_frame)
        rec_in = timeline.frames_to_ms(segment.rec_in_frame)
        shot_list = shots.get(segment.clip_id)
        spans = [(max(s.start_ms, src_in), min(s.end_ms, src_out)) for s in (shot_list.shots if shot_list else ())]
        spans = [(a, b) for a, b in spans if b - a >= 200] or [(src_in, src_out)]
        times += [(rec_in + (a + b) / 2 - src_in) / 1000 for a, b in spans]
    return sorted(times)


def even_times(duration_s: float, count: int = 8) -> list[float]:
    """`count` times spread over a video with no shot list (its first and last tenth left out)."""
    return [duration_s * (0.1 + 0.8 * (k + 0.5) / count) for k in range(count)]


def _grey_frames(video: Path, time_s: float, folder: Path) -> list[npt.NDArray[np.float64]]:
    """The frame at `time_s` and the one LATER_FRAMES after it, as small grey pictures."""
    out = folder / f"{time_s:.3f}.gray"
    w, h = SCORE_SIZE
    run_ffmpeg(["-ss", f"{max(0.0, time_s):.3f}", "-i", safe_input(video), "-map", "0:v:0",
                "-vf", f"select='eq(n\\,0)+eq(n\\,{LATER_FRAMES})',scale={w}:{h},format=gray",
                "-fps_mode", "passthrough", "-frames:v", "2", "-f", "rawvideo", f"file:{out}"], subject=video)
    data = np.frombuffer(out.read_bytes(), dtype=np.uint8)
    return [data[k * w * h:(k + 1) * w * h].reshape(h, w).astype(np.float64) for k in range(len(data) // (w * h))]


def laplacian_variance(grey: npt.NDArray[np.float64]) -> float:
    """Variance of the 4-neighbour Laplacian: how much in-focus detail a picture has."""
    lap = (grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * grey[1:-1, 1:-1])
    return float(lap.var())


def score(frames: Sequence[npt.NDArray[np.float64]], time_s: float) -> Candidate:
    """A candidate scored (module docstring) from its frame and the one after it."""
    if not frames:
        return Candidate(time_s, refused="no picture at this time")
    first = frames[0]
    mean = float(first.mean())
    change = float(np.abs(frames[1] - first).mean()) if len(frames) > 1 else None
    sharp = laplacian_variance(first)
    refused = None
    if float((first < BLACK_LEVEL).mean()) >= BLACK_SHARE:
        refused = f"black (mean luma {mean:.0f})"
    elif change is not None and change < FROZEN_DIFF:
        refused = f"frozen (changes {change:.2f} in {LATER_FRAMES} frames)"
    return Candidate(time_s, sharp, mean, change, refused)


def pick_frame(video: Path, times: Sequence[float]) -> tuple[Candidate, list[Candidate]]:
    """The sharpest usable candidate of `times` in `video`, and every candidate as scored.
    MediaError naming the file when none is usable (all black or frozen)."""
    with tempfile.TemporaryDirectory(prefix="thumbs-") as folder:
        scored = [score(_grey_frames(video, t, Path(folder)), t) for t in times]
    usable = [c for c in scored if c.refused is None]
    if not usable:
        reasons = "; ".join(f"{c.time_s:.1f} s {c.refused}" for c in scored[:6])
        raise MediaError(f"no frame fit for a thumbnail among {len(scored)} candidates ({reasons})", path=video,
                         hint="check the render, or give the thumbnail a time with a sharp, lit picture")
    return max(usable, key=lambda c: c.sharpness), scored


# --------------------------------------------------------------------------------------------------
# Drawing


def _frame_png(video: Path, time_s: float, size: tuple[int, int], out: Path) -> None:
    """The frame at `time_s` filling `size`: cropped to fill a landscape frame; for a portrait
    frame the picture whole over a blurred copy of itself (as the social cut's blur-pad)."""
    w, h = size
    if w >= h:
        graph = f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1"
    else:
        graph = (f"split=2[a][b];[a]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},"
                 f"gblur=sigma=30[bg];[b]scale={w}:{h}:force_original_aspect_ratio=decrease[fg];"
                 "[bg][fg]overlay=(W-w)/2:(H-h)/2,setsar=1")
    run_ffmpeg(["-ss", f"{max(0.0, time_s):.3f}", "-i", safe_input(video), "-map", "0:v:0", "-vf", graph,
                "-frames:v", "1", "-update", "1", f"file:{out}"], subject=video)


def _wrap(draw: Any, text: str, font: Any, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _layout(draw: Any, vi: str, en: str, box: tuple[int, int, int, int], size_px: int) -> list[tuple[str, Any, Any]]:
    """(line, font, colour) for each line, the largest size up to `size_px` that fits the box in at
    most three Vietnamese lines and two English ones."""
    from PIL import ImageFont

    bold, regular = font_path("be-vietnam-pro-bold"), font_path("be-vietnam-pro-regular")
    _x, _y, w, h = box
    for size in range(size_px, 11, -2):
        big = ImageFont.truetype(str(bold), size)
        small = ImageFont.truetype(str(regular), max(12, round(size * 0.55)))
        vi_lines, en_lines = _wrap(draw, vi, big, w), _wrap(draw, en, small, w) if en else []
        total = (len(vi_lines) * size + len(en_lines) * small.size) * 1.45
        widest = max([draw.textlength(line, font=big) for line in vi_lines] +
                     [draw.textlength(line, font=small) for line in en_lines] + [0])
        if len(vi_lines) <= 3 and len(en_lines) <= 2 and total <= h and widest <= w:
            return [(line, big, _WHITE) for line in vi_lines] + [(line, small, _GOLD) for line in en_lines]
    raise MediaError(f"the title “{vi[:60]}” does not fit a thumbnail even at 12 px",
                     hint="shorten the manifest's `title:`")


def _draw_title(image: Any, vi: str, en: str, box: tuple[int, int, int, int], size_px: int,
                anchor: str) -> list[Box]:
    """The title on `image` inside `box` (at its bottom or top, `anchor`), on a translucent panel;
    the ink box of each line, measured as drawn."""
    from PIL import Image, ImageDraw

    draw = ImageDraw.Draw(image)
    lines = _layout(draw, vi, en, box, size_px)
    bx, by, bw, bh = box
    gap = [round(font.size * 0.45) for _line, font, _colour in lines]
    inks = [draw.textbbox((0, 0), line, font=font, anchor="la", stroke_width=2) for line, font, _c in lines]
    heights = [bottom - top for _l, top, _r, bottom in inks]
    block = sum(heights) + sum(gap[1:])
    top = by + bh - block if anchor == "bottom" else by
    pad = round(lines[0][1].size * 0.35)
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rectangle((bx - pad, top - pad, bx + bw + pad, top + block + pad), fill=_PANEL)
    image.alpha_composite(overlay)
    draw = ImageDraw.Draw(image)
    drawn: list[Box] = []
    y = top
    for index, ((line, font, colour), ink) in enumerate(zip(lines, inks, strict=True)):
        if index:
            y += gap[index]
        width = ink[2] - ink[0]
        x = bx + (bw - width) // 2 - ink[0]
        origin = (x, y - ink[1])
        draw.text(origin, line, font=font, fill=colour, anchor="la", stroke_width=2, stroke_fill=(0, 0, 0))
        left, upper, right, lower = draw.textbbox(origin, line, font=font, anchor="la", stroke_width=2)
        drawn.append((int(left), int(upper), int(right - left), int(lower - upper)))
        y += heights[index]
    return drawn


def _check_glyphs(text: str) -> None:
    for key in ("be-vietnam-pro-bold", "be-vietnam-pro-regular"):
        missing = missing_glyphs(font_path(key), text)
        if missing:
            raise FontError(f"cannot write {' '.join(missing[:10])} of the title", path=font_path(key),
                            hint="use letters the house font has, or a shipped font with them")


def _save_jpeg(image: Any, target: Path) -> int:
    """`image` as JPEG at the best quality under MAX_BYTES; its size in bytes."""
    import io

    rgb = image.convert("RGB")
    for quality in (92, 88, 84, 78, 70, 60, 50):
        buffer = io.BytesIO()
        rgb.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
        if buffer.tell() < MAX_BYTES:
            with atomic_path(target, min_bytes=1) as temp:
                temp.write_bytes(buffer.getvalue())
            return buffer.tell()
    raise MediaError(f"the thumbnail is over {MAX_BYTES:,} bytes even at JPEG quality 50", path=target,
                     hint="choose a less detailed frame")


def make_thumbnail(video: Path, time_s: float, target: Path, title_vi: str, title_en: str = "",
                   size: tuple[int, int] = LANDSCAPE) -> Thumbnail:
    """A thumbnail of `video` at `time_s`, `size` (1280×720 or 1080×1920), with the title set on
    it (module docstring), written to `target` as JPEG under 2 MB."""
    from PIL import Image

    vi, en = nfc(title_vi).strip(), nfc(title_en).strip()
    _check_glyphs(vi + en)
    w, h = size
    with tempfile.TemporaryDirectory(prefix="thumb-") as folder:
        png = Path(folder) / "frame.png"
        _frame_png(video, time_s, size, png)
        with Image.open(png) as opened:
            image = opened.convert("RGBA")
    if w >= h:
        box = DEFAULT_SAFE_AREAS.title.box(w, h)
        boxes = _draw_title(image, vi, en, box, round(h * 0.085), "bottom")
    else:
        x, y, bw, bh = vertical_safe_box(w, h)
        pad = round(w * 0.03)
        box = (x + pad, y + pad, bw - 2 * pad, round(bh * 0.4))
        boxes = _draw_title(image, vi, en, box, round(w * 0.075), "top")
    written = _save_jpeg(image, target)
    findings = _findings(target.name, size, written, boxes)
    return Thumbnail(target, w, h, written, time_s, tuple(boxes), tuple(findings))


def _findings(name: str, size: tuple[int, int], written: int, boxes: Sequence[Box]) -> list[Finding]:
    p = YOUTUBE
    out = [Finding(p.key if size == LANDSCAPE else "vertical", "thumbnail size", "pass" if written < MAX_BYTES
                   else "fail", f"{written:,} bytes", f"< {MAX_BYTES:,} bytes",
                   f"{name}: {written:,} bytes", p.source)]
    if size == LANDSCAPE:
        out.append(Finding(p.key, "thumbnail dimensions", "pass", f"{size[0]}×{size[1]}", f"{LANDSCAPE[0]}×"
                           f"{LANDSCAPE[1]}", f"{name}: {size[0]}×{size[1]}", p.source))
    else:
        names = [f"{name}: title line {k}" for k in range(1, len(boxes) + 1)]
        for platform in VERTICAL:
            out += check_text_zone(boxes, platform, size, names)
    return out


def make_thumbnails(video: Path, times: Sequence[float], folder: Path, stem: str, title_vi: str,
                    title_en: str = "") -> tuple[list[Thumbnail], list[Candidate]]:
    """Both thumbnails (`<stem>.thumb-1280x720.jpg`, `<stem>.thumb-1080x1920.jpg`) of the frame
    `pick_frame` chooses among `times`, and every candidate as scored."""
    best, scored = pick_frame(video, times)
    folder.mkdir(parents=True, exist_ok=True)
    made = [make_thumbnail(video, best.time_s, folder / f"{stem}.thumb-{w}x{h}.jpg", title_vi, title_en, (w, h))
            for w, h in (LANDSCAPE, PORTRAIT)]
    return made, scored
