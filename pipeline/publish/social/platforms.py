"""What each social platform accepts, as data, and a check of a rendered file against it.

The limits are the platforms' own published rules as the project's issue quotes them (each
platform names its `source`); nothing here is guessed from what a platform happened to accept
once. A file is measured with ffprobe (through `media.ffmpeg`): duration, size, frame rate,
keyframe times (GOP length, and whether each GOP is closed), audio codec, rate and bit rate, and the
file's bytes. Every rule gives one `Finding` with the measured value beside the limit, passed or
not, so the sheet a person copies from shows both (`sheet.py`).

A GOP is judged closed from packets alone, without decoding: in an open GOP the pictures that
follow a keyframe in decoding order but are shown before it (leading pictures) reference the GOP
before; a closed GOP has none, so no packet after a keyframe has an earlier presentation time.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from ...errors import MediaError
from ...media.ffmpeg import ffprobe_json, ffprobe_output, safe_input

Level = Literal["pass", "note", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    """One rule measured: what was found beside the limit, and whether it is a problem.

    `level`: pass; note (worth knowing, not a problem: too few chapters for YouTube to show);
    warn (may be refused or look wrong); fail (the platform refuses it). `message` is one line
    naming the file or text, the problem and the fix."""

    platform: str
    check: str
    level: Level
    measured: str
    limit: str
    message: str
    source: str = ""

    @property
    def ok(self) -> bool:
        return self.level in ("pass", "note")

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "check": self.check, "level": self.level, "measured": self.measured,
                "limit": self.limit, "message": self.message, "source": self.source}


def problems(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that are warnings or failures."""
    return [f for f in findings if not f.ok]


@dataclass(frozen=True)
class Zone:
    """Where burned-in text may go on a vertical picture: margins (pixels) on a `width`×`height`
    reference frame, scaled to any other frame size."""

    width: int
    height: int
    top: int
    bottom: int
    left: int
    right: int

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The safe rectangle (x, y, w, h) on a `width`×`height` frame, margins rounded up."""
        sx, sy = width / self.width, height / self.height
        left, right = math.ceil(self.left * sx), math.ceil(self.right * sx)
        top, bottom = math.ceil(self.top * sy), math.ceil(self.bottom * sy)
        return left, top, width - left - right, height - top - bottom


@dataclass(frozen=True)
class TextLimit:
    """A limit on a text field, in characters (code points, NFC) and/or UTF-8 bytes: Vietnamese
    takes 2–3 bytes a letter, so a byte limit binds long before a character limit would."""

    chars: int | None = None
    bytes: int | None = None

    def describe(self) -> str:
        parts = ([f"≤ {self.chars:,} characters"] if self.chars else []) + (
            [f"≤ {self.bytes:,} bytes (UTF-8)"] if self.bytes else [])
        return ", ".join(parts) or "no limit recorded"


@dataclass(frozen=True)
class Platform:
    """One platform's published limits (None: the platform publishes none we hold to)."""

    key: str
    name: str
    source: str
    duration_s: tuple[float, float] | None = None
    fps: tuple[float, float] | None = None
    aspect: Fraction | None = None  # width / height
    min_size: tuple[int, int] | None = None  # (width, height)
    side_px: tuple[int, int] | None = None  # each side within
    gop_s: tuple[float, float] | None = None
    closed_gop: bool = False
    audio_codec: str | None = None
    audio_rate: int | None = None
    audio_min_kbps: int | None = None
    container: str | None = None  # ffprobe format name that must be among the file's
    max_bytes: int | None = None
    safe_zone: Zone | None = None
    safe_zone_source: str = ""
    title: TextLimit | None = None
    description: TextLimit | None = None
    caption: TextLimit | None = None
    thumbnail: tuple[int, int] | None = None
    thumbnail_max_bytes: int | None = None
    chapters_min: int | None = None
    chapter_min_s: float | None = None
    subtitle_format: str | None = None


_ISSUE = "as quoted in the project's issue"
_PROFILE_ZONE = ("the social-9x16 profile's title-safe area (assets/profiles/social-9x16.yaml: top 14 %, bottom "
                 "35 %, sides 6 %), kept for platform buttons and captions")

YOUTUBE = Platform(
    "youtube", "YouTube",
    f"YouTube Help (video chapters; custom thumbnails) and the YouTube Data API's videos resource (snippet.title, "
    f"snippet.description), {_ISSUE}",
    title=TextLimit(chars=100), description=TextLimit(bytes=5000), thumbnail=(1280, 720),
    thumbnail_max_bytes=2_000_000, chapters_min=3, chapter_min_s=10.0, subtitle_format="SRT, plain UTF-8",
)
FACEBOOK_REELS = Platform(
    "facebook-reels", "Facebook Reels", f"Meta Business Help Centre, Reels video specifications, {_ISSUE}",
    duration_s=(3.0, 90.0), fps=(24.0, 60.0), aspect=Fraction(9, 16), min_size=(540, 960), gop_s=(2.0, 5.0),
    closed_gop=True, audio_codec="aac", audio_rate=48000, audio_min_kbps=128,
    safe_zone=Zone(1080, 1920, 269, 672, 65, 65), safe_zone_source=_PROFILE_ZONE,
)
TIKTOK = Platform(
    "tiktok", "TikTok", f"TikTok video upload specifications and creative safe zone, {_ISSUE}",
    duration_s=(3.0, 600.0), fps=(23.0, 60.0), side_px=(360, 4096),
    safe_zone=Zone(1080, 1920, 100, 300, 0, 150),
    safe_zone_source="TikTok's safe zone: text clear of the top ~100 px, bottom ~300 px and right ~150 px of 1080×1920",
)
ZALO_OA = Platform(
    "zalo-oa", "Zalo Official Account", f"Zalo Official Account video upload guide, {_ISSUE}",
    container="mp4", max_bytes=50_000_000,
)
YOUTUBE_SHORTS = Platform(
    "youtube-shorts", "YouTube Shorts",
    "YouTube Help, “Upload YouTube Shorts” and “Understand three-minute YouTube Shorts”: a square or vertical "
    "video up to 3 minutes is a Short when uploaded on or after 15 October 2024 (60 s before); the title is "
    "YouTube's (snippet.title, 100 characters); the cut is held to 9:16, which fills the Shorts player",
    duration_s=(0.0, 180.0), aspect=Fraction(9, 16), title=TextLimit(chars=100),
)
"""No safe zone: YouTube publishes none for Shorts that we hold to (`check_text_zone` says so)."""

PLATFORMS: dict[str, Platform] = {p.key: p for p in (YOUTUBE, FACEBOOK_REELS, TIKTOK, ZALO_OA, YOUTUBE_SHORTS)}
VERTICAL = (FACEBOOK_REELS, TIKTOK, YOUTUBE_SHORTS)
"""The platforms that show the vertical cut: a vertical thumbnail's text must clear every zone they publish."""
CUT_DEFAULT = (*VERTICAL, ZALO_OA)
"""Where the social cut goes when the manifest's `social: platforms:` names none."""
DEFAULT_SOCIAL_PLATFORMS = (YOUTUBE.key, *(p.key for p in CUT_DEFAULT))
"""The social package's platforms when the manifest names none: the programme on YouTube, the cut on
every vertical platform and Zalo."""


def platform(key: str | Platform) -> Platform:
    """The platform named `key`; MediaError listing the known ones when there is no such platform."""
    if isinstance(key, Platform):
        return key
    try:
        return PLATFORMS[key]
    except KeyError:
        raise MediaError(f"no social platform {key!r}", hint="known: " + ", ".join(PLATFORMS)) from None


def vertical_safe_box(width: int, height: int, platforms: Sequence[Platform] = VERTICAL) -> tuple[int, int, int, int]:
    """The rectangle (x, y, w, h) inside every one of `platforms`' safe zones on a `width`×`height` frame."""
    x0, y0, x1, y1 = 0, 0, width, height
    for p in platforms:
        if p.safe_zone is None:
            continue
        x, y, w, h = p.safe_zone.box(width, height)
        x0, y0, x1, y1 = max(x0, x), max(y0, y), min(x1, x + w), min(y1, y + h)
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


# --------------------------------------------------------------------------------------------------
# Measuring a file


@dataclass(frozen=True)
class Measured:
    """What ffprobe says of a file, as the rules need it."""

    duration_s: float
    bytes: int
    formats: tuple[str, ...]
    width: int | None
    height: int | None
    fps: float | None
    keyframes_s: tuple[float, ...]
    open_gops: int  # keyframes followed by leading pictures (shown before them, decoded after)
    audio_codec: str | None
    audio_rate: int | None
    audio_kbps: float | None


def _rate(text: Any) -> float | None:
    try:
        value = Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        return None
    return float(value) if value > 0 else None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _packets(path: Path) -> list[tuple[float, bool]]:
    """The video packets in decoding order: (presentation time, keyframe)."""
    out = ffprobe_output(["-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "json",
                          safe_input(path)])
    if not out:
        return []
    try:
        data = json.loads(out.decode("utf-8", "replace") or "{}")
    except json.JSONDecodeError:
        return []
    packets = []
    for packet in data.get("packets") or []:
        pts = _number(packet.get("pts_time"))
        if pts is not None:
            packets.append((pts, "K" in str(packet.get("flags", ""))))
    return packets


def gop_facts(packets: Sequence[tuple[float, bool]]) -> tuple[tuple[float, ...], int]:
    """Keyframe times (sorted) and how many GOPs are open (module docstring), from packets in
    decoding order."""
    keys = [pts for pts, key in packets if key]
    open_gops = 0
    for index, (pts, key) in enumerate(packets):
        if not key or index == 0:
            continue
        for later, later_key in packets[index + 1:]:
            if later_key:
                break
            if later < pts - 1e-6:
                open_gops += 1
                break
    return tuple(sorted(keys)), open_gops


def measure(path: Path) -> Measured:
    """The facts of `path` the rules need; MediaError (naming the file) when ffprobe cannot read it."""
    path = Path(path)
    if not path.is_file():
        raise MediaError("the file to check does not exist", path=path, hint="render the social cut first")
    data = ffprobe_json(path)
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    width = height = None
    fps = None
    if video is not None:
        width, height = int(video.get("width") or 0) or None, int(video.get("height") or 0) or None
        rotation = next((int(_number(d.get("rotation")) or 0) for d in video.get("side_data_list") or []
                         if "rotation" in d), 0)
        if rotation % 180 and width and height:
            width, height = height, width
        fps = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))
    keyframes, open_gops = gop_facts(_packets(path)) if video is not None else ((), 0)
    audio_kbps = None
    if audio is not None:
        bit_rate = _number(audio.get("bit_rate"))
        audio_kbps = bit_rate / 1000 if bit_rate else None
    duration = _number(fmt.get("duration")) or _number((video or audio or {}).get("duration")) or 0.0
    size = int(_number(fmt.get("size")) or path.stat().st_size)
    return Measured(duration, size, tuple(str(fmt.get("format_name") or "").split(",")), width, height, fps,
                    keyframes, open_gops, str(audio.get("codec_name")) if audio else None,
                    int(_number(audio.get("sample_rate")) or 0) or None if audio else None, audio_kbps)


def _of(p: Platform) -> str:
    """The platform's name as a possessive ("Facebook Reels'", "TikTok's")."""
    return f"{p.name}'" if p.name.endswith("s") else f"{p.name}'s"


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB ({size:,} bytes)"


def check_measured(m: Measured, p: Platform, name: str) -> list[Finding]:
    """Every rule of `p` on the measured facts `m` of the file `name` (module docstring)."""
    out: list[Finding] = []

    def add(check: str, ok: bool, measured: str, limit: str, problem: str, fix: str) -> None:
        message = f"{name}: {check} {measured}: within {_of(p)} {limit}" if ok else \
            f"{name}: {problem} — {fix}"
        out.append(Finding(p.key, check, "pass" if ok else "fail", measured, limit, message, p.source))

    if p.duration_s is not None:
        low, high = p.duration_s
        d = m.duration_s
        add("duration", low <= d <= high, f"{d:.1f} s", f"{low:g}–{high:g} s",
            f"{d:.1f} s is over {_of(p)} {high:g} s limit" if d > high
            else f"{d:.1f} s is under {_of(p)} {low:g} s minimum",
            f"cut the excerpt (manifest `social: in/out`) to {low:g}–{high:g} s")
    if p.max_bytes is not None:
        add("file size", m.bytes <= p.max_bytes, _mb(m.bytes), f"≤ {_mb(p.max_bytes)}",
            f"the file is {_mb(m.bytes)}, over {_of(p)} {_mb(p.max_bytes)}",
            "encode at a lower bit rate or shorten the excerpt")
    if p.container is not None:
        add("container", p.container in m.formats, ",".join(m.formats), p.container.upper(),
            f"the file is {','.join(m.formats)}, not {p.container.upper()}", f"render it as .{p.container}")
    if m.width is None or m.height is None:
        if any(v is not None for v in (p.aspect, p.min_size, p.side_px, p.fps)):
            out.append(Finding(p.key, "picture", "fail", "no video stream", "a video stream",
                               f"{name}: has no picture — render the social cut with video", p.source))
    else:
        w, h = m.width, m.height
        size = f"{w}×{h}"
        if p.aspect is not None:
            ratio = Fraction(w, h)
            add("aspect ratio", abs(float(ratio) / float(p.aspect) - 1) <= 0.01, f"{size} ({float(ratio):.4f})",
                f"{p.aspect.numerator}:{p.aspect.denominator}",
                f"the picture is {size}, not {p.aspect.numerator}:{p.aspect.denominator}",
                "render the vertical cut (social-9x16 profile)")
        if p.min_size is not None:
            mw, mh = p.min_size
            add("resolution", w >= mw and h >= mh, size, f"at least {mw}×{mh}",
                f"the picture is {size}, smaller than {_of(p)} {mw}×{mh}", f"render at {mw}×{mh} or larger")
        if p.side_px is not None:
            lo, hi = p.side_px
            add("resolution", all(lo <= s <= hi for s in (w, h)), size, f"each side {lo}–{hi} px",
                f"the picture is {size}: a side is outside {_of(p)} {lo}–{hi} px",
                f"render with each side between {lo} and {hi} px")
        if p.fps is not None:
            lo_f, hi_f = p.fps
            fps = m.fps or 0.0
            add("frame rate", lo_f - 0.01 <= fps <= hi_f + 0.01, f"{fps:.3f} fps", f"{lo_f:g}–{hi_f:g} fps",
                f"{fps:.3f} fps is outside {_of(p)} {lo_f:g}–{hi_f:g} fps",
                f"render at 25 fps (within {lo_f:g}–{hi_f:g})")
        if p.gop_s is not None:
            out.extend(_gop(m, p, name))
    if p.audio_codec is not None or p.audio_rate is not None or p.audio_min_kbps is not None:
        out.extend(_audio(m, p, name, add))
    return out


def _gop(m: Measured, p: Platform, name: str) -> list[Finding]:
    assert p.gop_s is not None
    lo, hi = p.gop_s
    keys = m.keyframes_s
    full = [b - a for a, b in itertools.pairwise(keys)]  # the last GOP runs short by nature
    out: list[Finding] = []
    if not full:
        length = m.duration_s
        measured = f"one keyframe (one GOP of {length:.1f} s)"
        ok = length <= hi
    else:
        length = max(full)
        shortest = min(full)
        measured = f"{shortest:.2f}–{length:.2f} s ({len(keys)} keyframes)"
        ok = lo - 0.05 <= shortest and length <= hi + 0.05
    out.append(Finding(p.key, "GOP length", "pass" if ok else "fail", measured, f"{lo:g}–{hi:g} s",
                       f"{name}: GOP {measured}: within {_of(p)} {lo:g}–{hi:g} s" if ok else
                       f"{name}: GOP {measured} is outside {_of(p)} {lo:g}–{hi:g} s — encode with a keyframe "
                       f"every {lo:g}–{hi:g} s (x264: -g {int(lo * 25)} at 25 fps)", p.source))
    if p.closed_gop:
        closed = m.open_gops == 0
        measured = "closed" if closed else f"{m.open_gops} open GOP(s)"
        out.append(Finding(p.key, "closed GOP", "pass" if closed else "fail", measured, "closed GOPs",
                           f"{name}: every GOP is closed" if closed else
                           f"{name}: {m.open_gops} GOP(s) open (pictures after a keyframe refer to the GOP before) "
                           "— encode with closed GOPs (x264: no open-gop)", p.source))
    return out


def _audio(m: Measured, p: Platform, name: str, add: Any) -> list[Finding]:
    if m.audio_codec is None:
        return [Finding(p.key, "audio", "fail", "no audio stream", "an audio stream",
                        f"{name}: has no sound — render the cut with its sound", p.source)]
    if p.audio_codec is not None:
        add("audio codec", m.audio_codec == p.audio_codec, m.audio_codec, p.audio_codec.upper(),
            f"the sound is {m.audio_codec}, not {p.audio_codec.upper()}",
            f"encode the sound as {p.audio_codec.upper()}")
    if p.audio_rate is not None:
        rate = m.audio_rate or 0
        add("audio sample rate", rate == p.audio_rate, f"{rate} Hz", f"{p.audio_rate} Hz",
            f"the sound is sampled at {rate} Hz, not {p.audio_rate} Hz", f"resample to {p.audio_rate} Hz")
    if p.audio_min_kbps is not None:
        if m.audio_kbps is None:
            return [Finding(p.key, "audio bit rate", "warn", "not stated in the file",
                            f"≥ {p.audio_min_kbps} kb/s",
                            f"{name}: the file does not state its audio bit rate — encode AAC at "
                            f"{p.audio_min_kbps} kb/s or more in MP4, which records it", p.source)]
        kbps = m.audio_kbps
        add("audio bit rate", kbps >= p.audio_min_kbps - 0.5, f"{kbps:.0f} kb/s", f"≥ {p.audio_min_kbps} kb/s",
            f"the sound is {kbps:.0f} kb/s, under {_of(p)} {p.audio_min_kbps} kb/s",
            f"encode the sound at {p.audio_min_kbps} kb/s or more")
    return []


def check_video(path: Path, platform_key: str | Platform) -> list[Finding]:
    """Every rule of the platform on the file at `path`, measured with ffprobe: one Finding each
    (passed ones too). MediaError when the file is missing or not media."""
    p = platform(platform_key)
    return check_measured(measure(Path(path)), p, Path(path).name)


# --------------------------------------------------------------------------------------------------
# Burned-in text


Box = tuple[int, int, int, int]


def check_text_zone(boxes: Sequence[Box], platform_key: str | Platform, frame: tuple[int, int] = (1080, 1920),
                    names: Sequence[str] = ()) -> list[Finding]:
    """Each burned-in text rectangle (x, y, w, h on a `frame` picture, named by `names`) against
    the platform's safe zone: a fail naming the edges it crosses and by how many pixels, or a pass.
    A platform without a zone gives a note that it publishes none."""
    p = platform(platform_key)
    if p.safe_zone is None:
        return [Finding(p.key, "text safe zone", "note", "—", "none published",
                        f"{p.name} publishes no text safe zone we hold to", p.source)]
    zx, zy, zw, zh = p.safe_zone.box(*frame)
    limit = f"x {zx}–{zx + zw}, y {zy}–{zy + zh} on {frame[0]}×{frame[1]}"
    out: list[Finding] = []
    for index, box in enumerate(boxes):
        label = names[index] if index < len(names) else f"text box {index + 1}"
        x, y, w, h = (int(v) for v in box)
        over = {"top": zy - y, "bottom": (y + h) - (zy + zh), "left": zx - x, "right": (x + w) - (zx + zw)}
        crossed = {edge: px for edge, px in over.items() if px > 0}
        measured = f"x {x}–{x + w}, y {y}–{y + h}"
        if crossed:
            edges = ", ".join(f"{edge} by {px} px" for edge, px in crossed.items())
            out.append(Finding(p.key, "text safe zone", "fail", measured, limit,
                               f"{label}: crosses {_of(p)} safe zone ({edges}) — move it inside {limit}",
                               p.safe_zone_source))
        else:
            out.append(Finding(p.key, "text safe zone", "pass", measured, limit,
                               f"{label}: inside {_of(p)} safe zone", p.safe_zone_source))
    return out
