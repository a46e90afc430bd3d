"""ffprobe facts as frozen dataclasses: read once at ingest, trusted by every later stage.

What editors' footage gets wrong is exactly what is recorded here: rational frame rates, field order,
rotation from the display matrix, variable frame rate, colour tags, audio layout, timecode tracks and
durations that are missing from the header.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from statistics import median
from typing import Any, NamedTuple

from ..errors import MediaError
from ..timecode import fmt_rate, parse_rate
from .extensions import AUDIO_EXTS, VIDEO_EXTS
from .ffmpeg import ffprobe_json, ffprobe_output, safe_input


@dataclass(frozen=True)
class VideoStream:
    index: int
    codec: str
    profile: str | None
    width: int
    height: int
    sar: str
    pix_fmt: str | None
    r_frame_rate: str
    avg_frame_rate: str
    field_order: str
    rotation: int
    color_space: str | None
    color_transfer: str | None
    color_primaries: str | None
    color_range: str | None
    bit_rate: int | None
    nb_frames: int | None

    @property
    def rate(self) -> Fraction:
        """The frame rate to conform from: the average rate when it is sane, else the nominal one."""
        avg = parse_rate(self.avg_frame_rate)
        nominal = parse_rate(self.r_frame_rate)
        if 0 < avg <= 120:
            return _snap_rate(avg)
        return _snap_rate(nominal) if 0 < nominal <= 120 else Fraction(25)

    @property
    def interlaced(self) -> bool:
        return self.field_order in ("tt", "bb", "tb", "bt")

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown, after rotation and sample aspect ratio."""
        width, height = self.width, self.height
        sar = parse_rate(self.sar.replace(":", "/")) if self.sar not in ("", "0:1", "N/A") else Fraction(1)
        if sar > 0 and sar != 1:
            width = round(width * sar)
        if self.rotation % 180 != 0:
            width, height = height, width
        return width, height


@dataclass(frozen=True)
class AudioStream:
    index: int
    codec: str
    sample_rate: int
    channels: int
    channel_layout: str | None
    bits_per_sample: int | None


@dataclass(frozen=True)
class MediaInfo:
    """Everything ingest needs to know about one source file."""

    path: str
    format_name: str
    size_bytes: int
    duration_ms: int | None
    bit_rate: int | None
    video: VideoStream | None
    audio: tuple[AudioStream, ...]
    data_streams: int
    subtitle_streams: int
    timecode: str | None
    creation_time: str | None
    vfr: bool = False
    frame_interval_ms: tuple[float, float] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    time_reference_ms: int | None = None
    """A BWF's bext time reference: the time of day of its first sample, in ms since midnight."""

    @property
    def has_audio(self) -> bool:
        return bool(self.audio)

    @property
    def rate(self) -> Fraction:
        """The rate the footage was shot at. For VFR phone clips the average is dragged down by
        dropped frames (24.55 for a 29.97 phone), so the container's nominal rate is used instead."""
        if self.video is None:
            return Fraction(0)
        nominal = parse_rate(self.video.r_frame_rate)
        if self.vfr and 0 < nominal <= 120:
            return _snap_rate(nominal)
        return self.video.rate

    def summary(self) -> str:
        """One line for tables: `1920×1080 29.97p VFR rot90 h264 / aac 2ch 48k`."""
        parts: list[str] = []
        if self.video:
            v = self.video
            w, h = v.display_size
            scan = {"tt": "i TFF", "bb": "i BFF", "tb": "i", "bt": "i"}.get(v.field_order, "p")
            parts.append(f"{w}×{h} {fmt_rate(self.rate)}{scan}")
            if self.vfr:
                parts.append("VFR")
            if v.rotation:
                parts.append(f"rot{v.rotation}")
            parts.append(v.codec)
        else:
            parts.append("audio only")
        if self.audio:
            a = self.audio[0]
            parts.append(f"/ {a.codec} {a.channels}ch {a.sample_rate / 1000:g}k")
        else:
            parts.append("/ no audio")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_COMMON_RATES = [Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
                 Fraction(50), Fraction(60000, 1001), Fraction(60)]


def _snap_rate(rate: Fraction) -> Fraction:
    """Phones report 29.97 as 2997/100 or 30.02; snap to the broadcast rate it means."""
    for common in _COMMON_RATES:
        if abs(rate - common) / common < Fraction(1, 200):
            return common
    return rate.limit_denominator(1001)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _rotation(stream: dict[str, Any]) -> int:
    """Rotation in degrees clockwise as displayed (0, 90, 180, 270)."""
    for side in stream.get("side_data_list", []) or []:
        if "rotation" in side:
            # ffprobe reports the display matrix rotation counter-clockwise.
            return int(-float(side["rotation"])) % 360
    rotate = stream.get("tags", {}).get("rotate")
    return int(rotate) % 360 if rotate and str(rotate).lstrip("-").isdigit() else 0


def parse_probe(path: Path, data: dict[str, Any]) -> MediaInfo:
    """Turn ffprobe's JSON into MediaInfo (pure, so it is unit-tested on recorded JSON)."""
    fmt = data.get("format", {}) or {}
    streams = data.get("streams", []) or []
    video: VideoStream | None = None
    audio: list[AudioStream] = []
    data_streams = subs = 0
    timecode: str | None = (fmt.get("tags") or {}).get("timecode")
    for s in streams:
        kind = s.get("codec_type")
        tags = s.get("tags") or {}
        timecode = timecode or tags.get("timecode")
        disposition = s.get("disposition") or {}
        if kind == "video" and video is None and not disposition.get("attached_pic"):
            video = VideoStream(
                index=int(s.get("index", 0)),
                codec=str(s.get("codec_name", "unknown")),
                profile=s.get("profile"),
                width=int(s.get("width") or 0),
                height=int(s.get("height") or 0),
                sar=str(s.get("sample_aspect_ratio", "1:1")),
                pix_fmt=s.get("pix_fmt"),
                r_frame_rate=str(s.get("r_frame_rate", "0/0")),
                avg_frame_rate=str(s.get("avg_frame_rate", "0/0")),
                field_order=str(s.get("field_order", "unknown")),
                rotation=_rotation(s),
                color_space=s.get("color_space"),
                color_transfer=s.get("color_transfer"),
                color_primaries=s.get("color_primaries"),
                color_range=s.get("color_range"),
                bit_rate=_int(s.get("bit_rate")),
                nb_frames=_int(s.get("nb_frames")),
            )
        elif kind == "audio":
            audio.append(AudioStream(
                index=int(s.get("index", 0)),
                codec=str(s.get("codec_name", "unknown")),
                sample_rate=int(s.get("sample_rate") or 0),
                channels=int(s.get("channels") or 0),
                channel_layout=s.get("channel_layout"),
                bits_per_sample=_int(s.get("bits_per_raw_sample")) or _int(s.get("bits_per_sample")) or None,
            ))
        elif kind == "data":
            data_streams += 1
        elif kind == "subtitle":
            subs += 1
    duration = fmt.get("duration")
    if duration in (None, "N/A"):
        durations = [float(s["duration"]) for s in streams if s.get("duration") not in (None, "N/A")]
        duration = max(durations) if durations else None
    reference = _int((fmt.get("tags") or {}).get("time_reference"))
    rate = audio[0].sample_rate if audio else 0
    return MediaInfo(
        path=str(path),
        format_name=str(fmt.get("format_name", "unknown")),
        size_bytes=int(fmt.get("size") or (path.stat().st_size if path.exists() else 0)),
        duration_ms=round(float(duration) * 1000) if duration is not None else None,
        bit_rate=_int(fmt.get("bit_rate")),
        video=video,
        audio=tuple(audio),
        data_streams=data_streams,
        subtitle_streams=subs,
        timecode=timecode,
        creation_time=(fmt.get("tags") or {}).get("creation_time"),
        tags={str(k): str(v) for k, v in (fmt.get("tags") or {}).items()},
        time_reference_ms=reference * 1000 // rate if reference is not None and rate > 0 else None,
    )


def _packet_times(path: Path, stream: str, read_seconds: float | None) -> list[float]:
    """Presentation times of a stream's packets (demux only, no decode: fast even on long files)."""
    args = ["-select_streams", stream, "-show_entries", "packet=pts_time,dts_time", "-of", "json"]
    if read_seconds is not None:
        args += ["-read_intervals", f"%+{read_seconds:g}"]
    args.append(safe_input(path))
    stdout = ffprobe_output(args)
    if stdout is None:
        return []
    packets = json.loads(stdout or b"{}").get("packets", [])
    times: list[float] = []
    for p in packets:
        value = p.get("pts_time", p.get("dts_time"))
        if value not in (None, "N/A"):
            times.append(float(value))
    return sorted(times)


# Raw streams without an index: ffprobe guesses their duration from the bit rate (a raw AAC file of
# 2.94 s is reported as 2.60 s), so their packets are counted instead.
_ESTIMATED_DURATION_FORMATS = frozenset({"aac", "mp3", "ac3", "eac3", "mp2", "mpeg"})


def _audio_span_ms(path: Path) -> int | None:
    """Milliseconds from the first audio packet to the end of the last (demux only, no decode)."""
    stdout = ffprobe_output(["-select_streams", "a:0", "-show_entries", "packet=pts_time,duration_time",
                             "-of", "csv=p=0", safe_input(path)])
    if stdout is None:
        return None
    first: float | None = None
    end = 0.0
    for line in stdout.decode("ascii", "replace").splitlines():
        pts, _, duration = line.partition(",")
        try:
            start = float(pts)
        except ValueError:
            continue
        first = start if first is None else min(first, start)
        try:
            end = max(end, start + float(duration.strip(",")))
        except ValueError:
            end = max(end, start)
    return round((end - first) * 1000) if first is not None and end > first else None


def frame_intervals(times: list[float]) -> list[float]:
    """Gaps between consecutive frames in ms."""
    return [(b - a) * 1000 for a, b in itertools.pairwise(times) if b > a]


def is_variable_rate(intervals_ms: list[float]) -> bool:
    """True when frame gaps vary by more than a millisecond-rounding jitter (phones, screen captures)."""
    if len(intervals_ms) < 4:
        return False
    typical = median(intervals_ms)
    off = [d for d in intervals_ms if abs(d - typical) > max(1.5, typical * 0.05)]
    return len(off) >= max(2, len(intervals_ms) // 50)


SNIFF_BYTES = 4096

_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (0, b"\xff\xd8\xff", "a JPEG image"),
    (0, b"GIF87a", "a GIF image"),
    (0, b"GIF89a", "a GIF image"),
    (0, b"II*\x00", "a TIFF image (or a camera raw photo)"),
    (0, b"MM\x00*", "a TIFF image (or a camera raw photo)"),
    (0, b"8BPS", "a Photoshop document"),
    (0, b"%PDF-", "a PDF document"),
    (0, b"PK\x03\x04", "a ZIP archive (Word and Excel files are ZIP archives too)"),
    (0, b"PK\x05\x06", "an empty ZIP archive"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Microsoft Office document"),
    (0, b"Rar!\x1a\x07", "a RAR archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (0, b"\x1f\x8b", "a gzip archive"),
    (0, b"SQLite format 3\x00", "an SQLite database"),
    (0, b"\x7fELF", "a program"),
    (0, b"MZ", "a Windows program"),
    (8, b"WEBP", "a WebP image"),  # RIFF....WEBP (RIFF....WAVE and RIFF....AVI are media)
)
_IMAGE_BRANDS = {b"heic": "a HEIC photo", b"heix": "a HEIC photo", b"heim": "a HEIC photo", b"heis": "a HEIC photo",
                 b"mif1": "a HEIF photo", b"msf1": "a HEIF image sequence", b"avif": "an AVIF image",
                 b"avis": "an AVIF image sequence"}
# Bytes that never occur in text (NUL and the C0 controls other than tab, LF, FF, CR and ESC); any
# compressed or PCM media holds them within its first few hundred bytes.
_BINARY = frozenset(range(0x09)) | {0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F}


class Sniffed(NamedTuple):
    """What a file's first bytes show it is (`what`), and a detail worth quoting (its first line)."""

    what: str
    detail: str = ""


def sniff(head: bytes) -> Sniffed | None:
    """What the first bytes of a file say it is when that is plainly not audio or video (an image,
    a document, an archive, text), else None. Extensions lie (a card's README copied as `.mp4`, a
    still saved under a clip's name); ffprobe then reads the wrong thing and the error misleads."""
    for offset, magic, what in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic and (offset == 0 or head[:4] == b"RIFF"):
            return Sniffed(what)
    if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
        return Sniffed(_IMAGE_BRANDS[head[8:12]])
    text = _as_text(head)
    if text is None:
        return None
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    lowered = first.lower()
    if lowered.startswith("<?xml"):
        return Sniffed("an XML document")
    if lowered.startswith(("<!doctype html", "<html")):
        return Sniffed("an HTML page")
    if not first:
        return Sniffed("text", "only blank lines")
    return Sniffed("text", f"it begins “{first[:40]}{'…' if len(first) > 40 else ''}”")


def _as_text(head: bytes) -> str | None:
    """`head` decoded when it reads as text (UTF-16 with its byte-order mark, or 8-bit without binary
    bytes), else None."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        body = head[2 : 2 + (len(head) - 2) // 2 * 2]
        try:
            decoded = body.decode("utf-16-le" if head[:1] == b"\xff" else "utf-16-be")
        except UnicodeDecodeError:
            return None
        return decoded if not any(ord(ch) in _BINARY for ch in decoded) else None
    if not head or any(byte in _BINARY for byte in head):
        return None
    return head.decode("utf-8", "replace").removeprefix("\ufeff")


def _expected_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    return "video" if suffix in VIDEO_EXTS else "audio" if suffix in AUDIO_EXTS else "media"


def probe(path: Path) -> MediaInfo:
    """Probe a source file: ffprobe JSON, plus a demux-only packet scan for VFR and missing durations.

    Raises MediaError for missing, empty or unreadable files, and for files whose first bytes show
    they are something else (an image, a document, text), with the reason in words.
    """
    if not path.exists():
        raise MediaError("file not found", path=path, hint="check the footage path in the manifest")
    if path.is_dir():
        raise MediaError("is a folder, not a media file", path=path)
    if path.stat().st_size == 0:
        raise MediaError("file is empty (0 bytes)", path=path, hint="copy it again from the camera card")
    with path.open("rb") as handle:
        found = sniff(handle.read(SNIFF_BYTES))
    if found is not None:
        detail = f" ({found.detail})" if found.detail else ""
        raise MediaError(f"is {found.what}, not {_expected_kind(path)}{detail}", path=path,
                         hint="its content is not what its name says: copy the real clip, or take it out of "
                              "the manifest")
    info = parse_probe(path, ffprobe_json(path))
    if info.video is None and not info.audio:
        raise MediaError("holds no audio or video stream", path=path, hint="is this really a media file?")
    if info.video is not None:
        stream = "v:0"
        times = _packet_times(path, stream, 30.0)
        intervals = frame_intervals(times)
        vfr = is_variable_rate(intervals)
        spread = (round(min(intervals), 2), round(max(intervals), 2)) if intervals else None
        duration_ms = info.duration_ms
        if duration_ms is None:
            all_times = _packet_times(path, stream, None)
            if len(all_times) > 1:
                step = median(frame_intervals(all_times)) if len(all_times) > 2 else 0
                duration_ms = round((all_times[-1] - all_times[0]) * 1000 + step)
        info = MediaInfo(**{**info.__dict__, "vfr": vfr, "frame_interval_ms": spread, "duration_ms": duration_ms})
    elif info.duration_ms is None or info.format_name in _ESTIMATED_DURATION_FORMATS:
        info = MediaInfo(**{**info.__dict__, "duration_ms": _audio_span_ms(path) or info.duration_ms})
    if info.duration_ms is None or info.duration_ms <= 0:
        raise MediaError("has no measurable duration", path=path, hint="the file may be truncated or still recording")
    return info
