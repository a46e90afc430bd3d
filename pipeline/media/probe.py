"""ffprobe facts as frozen dataclasses: read once at ingest, trusted by every later stage.

What editors' footage gets wrong is exactly what is recorded here: rational frame rates, field order,
rotation from the display matrix, variable frame rate, colour tags, audio layout, timecode tracks and
durations that are missing from the header.
"""

from __future__ import annotations

import itertools
import json
import subprocess
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from statistics import median
from typing import Any

from ..errors import MediaError
from ..timecode import fmt_rate, parse_rate
from .ffmpeg import ffprobe_json, safe_input, tool_path


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
            parts.append("no video")
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
    )


def _packet_times(path: Path, stream: str, read_seconds: float | None) -> list[float]:
    """Presentation times of a stream's packets (demux only, no decode: fast even on long files)."""
    argv = [tool_path("ffprobe"), "-v", "error", "-select_streams", stream,
            "-show_entries", "packet=pts_time,dts_time", "-of", "json"]
    if read_seconds is not None:
        argv += ["-read_intervals", f"%+{read_seconds:g}"]
    argv.append(safe_input(path))
    proc = subprocess.run(argv, capture_output=True, check=False)
    if proc.returncode != 0:
        return []
    packets = json.loads(proc.stdout or b"{}").get("packets", [])
    times: list[float] = []
    for p in packets:
        value = p.get("pts_time", p.get("dts_time"))
        if value not in (None, "N/A"):
            times.append(float(value))
    return sorted(times)


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


def probe(path: Path) -> MediaInfo:
    """Probe a source file: ffprobe JSON, plus a demux-only packet scan for VFR and missing durations.

    Raises MediaError for missing, empty or unreadable files, with the reason in words.
    """
    if not path.exists():
        raise MediaError("file not found", path=path, hint="check the footage path in the manifest")
    if path.is_dir():
        raise MediaError("is a folder, not a media file", path=path)
    if path.stat().st_size == 0:
        raise MediaError("file is empty (0 bytes)", path=path, hint="copy it again from the camera card")
    info = parse_probe(path, ffprobe_json(path))
    if info.video is None and not info.audio:
        raise MediaError("holds no audio or video stream", path=path, hint="is this really a media file?")
    if info.video is not None:
        stream = "v:0" if info.video else "a:0"
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
    if info.duration_ms is None or info.duration_ms <= 0:
        raise MediaError("has no measurable duration", path=path, hint="the file may be truncated or still recording")
    return info


def media_info_from_dict(data: dict[str, Any]) -> MediaInfo:
    """Rebuild MediaInfo from probe.json written by ingest."""
    video = VideoStream(**data["video"]) if data.get("video") else None
    audio = tuple(AudioStream(**a) for a in data.get("audio", []))
    interval = data.get("frame_interval_ms")
    rest = {k: v for k, v in data.items() if k not in ("video", "audio", "frame_interval_ms")}
    return MediaInfo(**rest, video=video, audio=audio, frame_interval_ms=tuple(interval) if interval else None)
