"""Deliverable profiles: what each output file is held to, as data (`assets/profiles/<name>.yaml`).

A profile names the container, the video and audio encoding, the loudness target, the subtitles, the
safe areas, the broadcast leader and the file-name suffix of one deliverable. The shipped files
hold the house defaults; a programme folder may hold its own `<name>.yaml` that patches a shipped
profile (only the keys it names change), because a receiving centre may send its own spec.

`safe_areas` is the one source of title- and action-safe margins, in percent and in pixels; graphics
and filtergraphs that need the margins outside any one profile use `DEFAULT_SAFE_AREAS`.

`check_legal` rejects combinations ffmpeg would refuse or a receiver would bounce (PCM in MP4,
4:2:2 with H.264 High, XDCAM not at 50 Mb/s, …) before any encoding starts, so a bad profile costs
a second, not an hour of rendering.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import ManifestError
from .media.codecs import (
    ALTERNATIVES,
    CONTAINER_CODECS,
    H264_BR_FACTOR,
    H264_LEVELS,
    H264_PIX,
    MPEG2_PIX,
    PRORES_PIX,
    mpeg2_levels,
)
from .shipped import shipped
from .text import ascii_fold
from .timecode import Timecode, parse_rate
from .yamlmodel import read_yaml, validate

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SUFFIX_RE = re.compile(r"^[A-Z0-9][A-Z0-9_]{0,39}$")
_MAX_BASE_DEPTH = 8


class ProfileError(ManifestError):
    """A deliverable profile file is missing, unreadable, has a wrong field or an illegal combination.

    A subclass of ManifestError because a profile is configuration an editor (or a centre) writes,
    reported the same way and with the same exit code.
    """


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Colour(_Strict):
    """Colour signalling written into the stream: BT.709, legal (tv) range unless a profile says so."""

    primaries: Literal["bt709", "bt470bg", "smpte170m"] = "bt709"
    transfer: Literal["bt709", "bt470bg", "smpte170m"] = "bt709"
    matrix: Literal["bt709", "bt470bg", "smpte170m"] = "bt709"
    range: Literal["tv", "pc"] = "tv"
    # Clip luma to 16–235 and chroma to 16–240: camera superwhites and sub-blacks are common, and a
    # playout QC rejects them. Broadcast profiles turn it on; the archive keeps what was shot.
    legalise: bool = False


class Video(_Strict):
    """Picture and encoder settings; bit rates in kb/s, the VBV buffer in bits (as XDCAM specs give it)."""

    codec: Literal["mpeg2video", "h264", "prores"]
    profile: str
    level: str | None = None
    pix_fmt: str
    width: int = Field(ge=16, le=8192)
    height: int = Field(ge=16, le=8192)
    fps: str = "25"
    scan: Literal["progressive", "tff"] = "progressive"
    bitrate_kbps: int | None = Field(default=None, ge=100, le=2_000_000)
    minrate_kbps: int | None = Field(default=None, ge=100, le=2_000_000)
    maxrate_kbps: int | None = Field(default=None, ge=100, le=2_000_000)
    bufsize_bits: int | None = Field(default=None, ge=100_000, le=2_000_000_000)
    gop: int = Field(default=12, ge=1, le=600)
    bframes: int = Field(default=2, ge=0, le=16)
    closed_gop: bool = True
    preset: str | None = None
    encoder: str | None = None  # ffmpeg encoder when there is a choice (prores_ks, or the faster prores_aw)
    colour: Colour = Colour()

    @field_validator("fps", mode="before")
    @classmethod
    def _fps(cls, value: Any) -> str:
        try:
            rate = parse_rate(str(value))
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"{value!r} is not a frame rate") from exc
        if rate <= 0 or rate > 120:
            raise ValueError(f"{value} is not a usable frame rate")
        return str(value)

    @field_validator("profile", "level", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return None if value is None else str(value).lower()

    @property
    def rate(self) -> Fraction:
        """Frames per second, exact (25 for 1080i50: fields come in pairs)."""
        return parse_rate(self.fps)

    @property
    def interlaced(self) -> bool:
        return self.scan != "progressive"


class Audio(_Strict):
    """Audio encoding. `mono_tracks` writes each channel as its own track (what XDCAM receivers expect)."""

    codec: Literal["pcm", "aac"]
    sample_rate: int = Field(default=48000, ge=8000, le=192000)
    bit_depth: int | None = None
    channels: int = Field(default=2, ge=1, le=16)
    bitrate_kbps: int | None = Field(default=None, ge=16, le=1536)
    mono_tracks: bool = False


class Loudness(_Strict):
    """EBU R128 style target: integrated loudness, the QC tolerance around it, and the true-peak ceiling."""

    target_lufs: float = Field(ge=-40, le=-5)
    tolerance_lu: float = Field(ge=0.1, le=5)
    true_peak_max_dbtp: float = Field(ge=-20, le=0)


class SubtitleStyle(_Strict):
    """How burned-in subtitles look; sizes are percentages of the frame's shorter side so one style
    reads the same at 720p, 1080p and 1080×1920."""

    font: str = "Be Vietnam Pro"
    bold: bool = False
    size_pct: float = Field(default=4.8, gt=1, le=15)
    outline_pct: float = Field(default=0.25, ge=0, le=2)
    max_chars_per_line: int = Field(default=42, ge=10, le=80)


class Subtitles(_Strict):
    """Sidecar subtitle languages and formats, and which language (if any) is burned into the picture."""

    sidecar: tuple[str, ...] = ()
    # The formats the pipeline writes (subs.WRITTEN_FORMATS; a unit test keeps the two the same).
    formats: tuple[Literal["srt", "vtt"], ...] = ("srt", "vtt")
    burn_in: str | None = None
    style: SubtitleStyle = SubtitleStyle()


class Margins(_Strict):
    """A safe area as margins in percent of the frame, per edge."""

    top_pct: float = Field(ge=0, lt=50)
    bottom_pct: float = Field(ge=0, lt=50)
    left_pct: float = Field(ge=0, lt=50)
    right_pct: float = Field(ge=0, lt=50)

    @classmethod
    def uniform(cls, pct: float) -> Margins:
        return cls(top_pct=pct, bottom_pct=pct, left_pct=pct, right_pct=pct)

    def percentages(self) -> tuple[float, float, float, float]:
        """(top, bottom, left, right) in percent of the frame, as written in the profile."""
        return self.top_pct, self.bottom_pct, self.left_pct, self.right_pct

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) in whole pixels, rounded up so content never strays outside."""
        return (
            math.ceil(height * self.top_pct / 100),
            math.ceil(height * self.bottom_pct / 100),
            math.ceil(width * self.left_pct / 100),
            math.ceil(width * self.right_pct / 100),
        )

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The area inside the margins as (x, y, w, h) in pixels (margins rounded up, as `pixels`)."""
        top, bottom, left, right = self.pixels(width, height)
        return left, top, width - left - right, height - top - bottom


ACTION_SAFE_PCT = 3.5
TITLE_SAFE_PCT = 5.0


class SafeAreas(_Strict):
    """Action-safe (3.5%) and title-safe (5%) margins of a 16:9 frame unless a profile says otherwise."""

    action: Margins = Margins.uniform(ACTION_SAFE_PCT)
    title: Margins = Margins.uniform(TITLE_SAFE_PCT)


DEFAULT_SAFE_AREAS = SafeAreas()
"""The safe areas of a profile that names none: for pictures shared by every deliverable (graphics,
the branded programme trunk)."""


class Rung(_Strict):
    """One rung of an adaptive-streaming ladder: its height (the width follows the programme's
    aspect) and its average bit rate. The peak is 1.5× the average over a 2× buffer: enough for a
    hard shot, and within what a player that trusts the declared rate can ride out."""

    height: int = Field(ge=144, le=4320)
    bitrate_kbps: int = Field(ge=100, le=100_000)


LADDER_PEAK = 1.5
"""A rung's maxrate over its average."""
LADDER_BUFFER_S = 2.0
"""A rung's VBV buffer in seconds of its average rate."""


class Leader(_Strict):
    """Broadcast leader before the programme: bars and tone, a slate, then black (durations in seconds)."""

    enabled: bool = False
    bars_tone_s: float = Field(default=30, ge=0, le=600)
    tone_hz: float = Field(default=1000, ge=20, le=20000)
    tone_dbfs: float = Field(default=-18, ge=-60, le=0)
    slate_s: float = Field(default=10, ge=0, le=600)
    black_s: float = Field(default=20, ge=0, le=600)

    @property
    def total_s(self) -> float:
        return self.bars_tone_s + self.slate_s + self.black_s if self.enabled else 0.0


class Container(_Strict):
    format: Literal["mxf", "mp4", "mov", "mpegts"]
    extension: str
    faststart: bool = False

    @field_validator("extension")
    @classmethod
    def _dot(cls, value: str) -> str:
        value = value.strip().lower()
        return value if value.startswith(".") else "." + value


class Profile(_Strict):
    """One deliverable's specification. `source` is the file it was read from (for error messages)."""

    name: str
    description: str = ""
    suffix: str
    container: Container
    video: Video
    audio: Audio
    loudness: Loudness
    subtitles: Subtitles = Subtitles()
    safe_areas: SafeAreas = SafeAreas()
    leader: Leader = Leader()
    programme_start_tc: str | None = None
    vertical: Literal["crop", "blur-pad"] | None = None
    excerpt: bool = False
    ladder: tuple[Rung, ...] = ()
    """An adaptive-streaming ladder: the deliverable is a folder of one MP4 per rung, all from the
    same pass (`rung_profiles`), `video` giving what they share (codec, GOP, rate, colour) and the
    largest picture; the first rung carries the sound (the others are picture only)."""
    source: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME_RE.match(value):
            raise ValueError(f"{value!r} must be lower-case letters, digits, '-' or '_'")
        return value

    @field_validator("suffix")
    @classmethod
    def _suffix(cls, value: str) -> str:
        if not _SUFFIX_RE.match(value):
            raise ValueError(f"{value!r} must be ASCII capitals, digits and '_' (broadcasters' file names)")
        return value

    @model_validator(mode="after")
    def _timecode(self) -> Profile:
        for field in ("bars_tone_s", "slate_s", "black_s"):
            frames = Fraction(str(getattr(self.leader, field))) * self.video.rate
            if frames.denominator != 1:
                raise ValueError(f"leader.{field} must be a whole number of frames at {self.video.fps} fps")
        if self.programme_start_tc is not None:
            try:
                start = Timecode.parse(self.programme_start_tc, self.video.rate)
            except ValueError as exc:
                raise ValueError(f"programme_start_tc: {exc}") from exc
            if self._leader_frames() > start.frames:
                raise ValueError(f"the {self.leader.total_s:g} s leader does not fit before {self.programme_start_tc}")
        return self

    def _leader_frames(self) -> int:
        return int(Fraction(str(self.leader.total_s)) * self.video.rate)

    def start_timecode(self) -> str | None:
        """Timecode of the file's first frame: the programme start minus the leader, if any.

        The programme itself then begins exactly on `programme_start_tc` (e.g. 10:00:00:00).
        """
        if self.programme_start_tc is None:
            return None
        start = Timecode.parse(self.programme_start_tc, self.video.rate)
        return str(Timecode(start.frames - self._leader_frames(), self.video.rate))

    def rung_profiles(self, house_width: int, house_height: int) -> tuple[Profile, ...]:
        """The ladder's rungs as profiles of their own, in the ladder's order, capped at the house
        size and at `video`'s size (a 720p programme streams no 1080p rung): each rung's width
        follows the programme's aspect (even), its level is the lowest that carries it, and only the
        first keeps the sound (`audio.channels` stays; the render maps no sound to the others)."""
        cap = min(house_height, self.video.height)
        rungs: list[Profile] = []
        for rung in self.ladder:
            if rung.height > cap:
                continue
            width = max(2, round(rung.height * house_width / house_height / 2) * 2)
            peak = round(rung.bitrate_kbps * LADDER_PEAK)
            video = self.video.model_copy(update={
                "width": width, "height": rung.height, "bitrate_kbps": rung.bitrate_kbps, "maxrate_kbps": peak,
                "bufsize_bits": round(rung.bitrate_kbps * 1000 * LADDER_BUFFER_S),
                "level": h264_level_for(width, rung.height, self.video.rate, peak, self.video.profile)})
            rungs.append(self.model_copy(update={"video": video, "ladder": ()}))
        return tuple(rungs)

    @staticmethod
    def rung_file(profile: Profile) -> str:
        """A rung's file name inside the ladder's folder: `540p.mp4`."""
        return f"{profile.video.height}p{profile.container.extension}"

    def output_name(self, programme_id: str, part: int = 1) -> str:
        """ASCII file name for this deliverable, e.g. `travinh-ep01_BROADCAST_XDCAM.mxf`; `part` k ≥ 2
        (the k-th of several social cuts) gets `_<k>`: `dautu_SOCIAL_9X16_2.mp4`."""
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_fold(programme_id)).strip("-") or "programme"
        return f"{stem}_{self.part_suffix(part)}{self.container.extension}"

    def part_suffix(self, part: int = 1) -> str:
        """`suffix`, with `_<part>` for the second excerpt on (`SOCIAL_9X16_2`): the name its file and
        its copy in the delivery bag carry."""
        return self.suffix if part <= 1 else f"{self.suffix}_{part}"


# ---------------------------------------------------------------------------------------------
# Loading


def profiles_dir() -> Path:
    """The shipped profiles (`assets/profiles`)."""
    return shipped("assets", "profiles")


def available_profiles(overrides_dir: Path | None = None) -> list[str]:
    """Names of the shipped profiles plus any defined in `overrides_dir`, sorted."""
    names = {p.stem for p in profiles_dir().glob("*.yaml")}
    if overrides_dir is not None and overrides_dir.is_dir():
        names |= {p.stem for p in overrides_dir.glob("*.yaml")}
    return sorted(names)


def programme_overrides(base_dir: Path) -> Path | None:
    """A programme's own profiles (`profiles/` beside its manifest), or None when it has none: what
    every stage passes as `overrides_dir`, so all of them see the same deliverables."""
    folder = base_dir / "profiles"
    return folder if folder.is_dir() else None


def programme_profile(base_dir: Path, name: str) -> Profile:
    """Deliverable `name` as the programme whose manifest is in `base_dir` has it: its own profiles
    folder first, then the shipped profiles."""
    return load_profile(name, programme_overrides(base_dir))


def load_profile(name_or_path: str | Path, overrides_dir: Path | None = None) -> Profile:
    """Load a profile by name (overrides folder first, then the shipped ones) or from a file path.

    A file may patch another profile: `base: <name>` names the profile it starts from, and its own
    keys replace the base's (mappings merge key by key, lists are replaced). A file in
    `overrides_dir` with the name of a shipped profile patches that profile unless it says
    `base: null`. The result is validated and checked with `check_legal`.
    """
    path = _locate(name_or_path, overrides_dir, wanted_by=None)
    data = _resolve(path, overrides_dir, seen=())
    data.setdefault("name", path.stem)
    data["source"] = str(path)
    profile = _validate(data, path)
    check_legal(profile)
    return profile


def _locate(name_or_path: str | Path, overrides_dir: Path | None, wanted_by: Path | None) -> Path:
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith((".yaml", ".yml")) or "/" in text:
        path = Path(name_or_path)
        if not path.is_file():
            raise ProfileError("profile file not found", path=path)
        return path
    if not _NAME_RE.match(text):
        raise ProfileError(f"{text!r} is not a profile name", path=wanted_by, hint=_known(overrides_dir))
    if overrides_dir is not None and (overrides_dir / f"{text}.yaml").is_file():
        return overrides_dir / f"{text}.yaml"
    shipped = profiles_dir() / f"{text}.yaml"
    if shipped.is_file():
        return shipped
    raise ProfileError(f"no profile named {text!r}", path=wanted_by, hint=_known(overrides_dir))


def _known(overrides_dir: Path | None) -> str:
    return "known profiles: " + ", ".join(available_profiles(overrides_dir))


def _read_yaml(path: Path) -> dict[str, Any]:
    data = read_yaml(path, what="profile file", error=ProfileError)
    if not isinstance(data, dict):
        raise ProfileError("must be a YAML mapping (container:, video:, audio:, loudness: …)", path=path)
    return data


def _resolve(path: Path, overrides_dir: Path | None, seen: tuple[Path, ...]) -> dict[str, Any]:
    """The file's data merged onto its base chain (base first)."""
    if path.resolve() in seen or len(seen) > _MAX_BASE_DEPTH:
        raise ProfileError("`base` profiles form a loop", path=path)
    data = _read_yaml(path)
    if "base" in data:
        base = data.pop("base")
    elif overrides_dir is not None and path.parent.resolve() == overrides_dir.resolve():
        shipped = profiles_dir() / path.name
        base = path.stem if shipped.is_file() else None
    else:
        base = None
    if base is None:
        return data
    if not isinstance(base, str):
        raise ProfileError("`base` must be the name of a profile", path=path)
    if base == path.stem:
        base_path = profiles_dir() / f"{base}.yaml"
        if not base_path.is_file() or base_path.resolve() == path.resolve():
            raise ProfileError(f"`base: {base}` names itself and there is no shipped {base!r}", path=path)
    else:
        base_path = _locate(base, overrides_dir, wanted_by=path)
    merged = _deep_merge(_resolve(base_path, overrides_dir, (*seen, path.resolve())), data)
    if "name" not in data:
        merged.pop("name", None)  # an override is named after its own file, not its base
    return merged


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _validate(data: dict[str, Any], path: Path) -> Profile:
    return validate(data, Profile, path=path, error=ProfileError)


def check_legal(profile: Profile) -> None:
    """Raise ProfileError listing every illegal combination in `profile`; return None when it is fine.

    The rules are `legal_problems` below; the encoders' own numbers (which container carries which
    codec, H.264 levels, XDCAM's fixed values) are data in `media/codecs.py`, shared with the
    encoder mapping in `media/encode.py` that they protect.
    """
    problems = legal_problems(profile)
    if problems:
        raise ProfileError(
            "illegal combination: " + "; ".join(problems),
            path=profile.source or profile.name,
            hint="fix the profile (or its override) before rendering",
        )


# ---------------------------------------------------------------------------------------------
# Legality: combinations refused before ffmpeg runs (the encoders' limits are data in media/codecs.py)


def legal_problems(profile: Profile) -> list[str]:
    """Every rule `profile` breaks, as short sentences (empty when it can be encoded and delivered)."""
    v, a, c = profile.video, profile.audio, profile.container
    out: list[str] = []
    vcodecs, acodecs, exts = CONTAINER_CODECS[c.format]
    if v.codec not in vcodecs:
        out.append(f"{c.format.upper()} cannot carry {v.codec} video (allowed: {', '.join(sorted(vcodecs))})")
    if a.codec not in acodecs:
        out.append(f"{c.format.upper()} cannot carry {a.codec.upper()} audio (allowed: {', '.join(sorted(acodecs))})")
    if c.extension not in exts.split():
        out.append(f"extension {c.extension} does not match container {c.format} (use {exts.split()[0]})")
    if c.faststart and c.format not in ("mp4", "mov"):
        out.append("faststart applies only to MP4/MOV")
    if v.width % 2 or v.height % 2:
        out.append(f"frame size {v.width}×{v.height} must be even in both directions (chroma subsampling)")
    if v.encoder is not None and v.encoder not in ALTERNATIVES[v.codec]:
        out.append(f"{v.encoder} does not encode {v.codec} (use {', '.join(sorted(ALTERNATIVES[v.codec]))})")
    if v.bframes and v.bframes >= v.gop:
        out.append(f"{v.bframes} B-frames do not fit in a GOP of {v.gop}")
    out += _scan_problems(profile)
    out += _codec_problems(profile)
    out += _ladder_problems(profile)
    out += _audio_problems(a)
    if profile.vertical is not None and v.height <= v.width:
        out.append(f"vertical: {profile.vertical} needs a portrait frame, not {v.width}×{v.height}")
    if profile.subtitles.burn_in is not None and profile.subtitles.burn_in not in ("vi", "en"):
        out.append(f"subtitles.burn_in {profile.subtitles.burn_in!r} is not a subtitle language (vi or en)")
    return out


def _scan_problems(profile: Profile) -> list[str]:
    v = profile.video
    if not v.interlaced:
        return []
    out = []
    if v.rate not in (Fraction(25), Fraction(30000, 1001), Fraction(30)):
        out.append(f"interlaced video needs 25 or 29.97 frames/s (50/59.94 fields), not {v.fps}")
    if v.height not in (1080, 576, 480):
        out.append(f"{v.height} lines cannot be interlaced (1080i, 576i or 480i only)")
    if profile.vertical is not None:
        out.append("a vertical (social) frame cannot be interlaced")
    if v.codec == "h264" and v.profile == "baseline":
        out.append("H.264 Baseline is progressive-only; use Main or High for 1080i")
    if v.codec == "h264" and v.level is not None and v.level not in ("2.1", "2.2", "3.0", "3.1", "3.2", "4.0", "4.1"):
        out.append(f"H.264 level {v.level} is progressive-only (interlaced needs 2.1–4.1)")
    if v.pix_fmt.startswith("yuv420") and v.height % 4:
        out.append("interlaced 4:2:0 needs a height divisible by 4")
    return out


def _codec_problems(profile: Profile) -> list[str]:
    v = profile.video
    out: list[str] = []
    if v.codec == "h264":
        allowed = H264_PIX.get(v.profile)
        if allowed is None:
            out.append(f"H.264 profile {v.profile!r} is not one of {', '.join(H264_PIX)}")
        elif v.pix_fmt not in allowed:
            out.append(f"H.264 {v.profile} cannot carry {v.pix_fmt} (allowed: {', '.join(sorted(allowed))})")
        if v.bitrate_kbps is None:
            out.append("H.264 needs video.bitrate_kbps (deliverables are rate-controlled, not CRF)")
        out += _h264_level_problems(v)
    elif v.codec == "mpeg2video":
        want = MPEG2_PIX.get(v.profile)
        if want is None:
            out.append(f"MPEG-2 profile {v.profile!r} is not one of {', '.join(MPEG2_PIX)}")
        elif v.pix_fmt != want:
            out.append(f"MPEG-2 {v.profile} profile needs {want}, not {v.pix_fmt}")
        levels = mpeg2_levels(v.profile)
        if v.level is not None and v.level not in levels:
            out.append(f"MPEG-2 level {v.level!r} is not one of {', '.join(levels)} for profile {v.profile}")
        if v.level == "high" and (v.width > 1920 or v.height > 1152):
            out.append(f"MPEG-2 High Level stops at 1920×1152, not {v.width}×{v.height}")
        if profile.container.format == "mxf":
            out += _xdcam_problems(profile)
    elif v.codec == "prores":
        want = PRORES_PIX.get(v.profile)
        if want is None:
            out.append(f"ProRes profile {v.profile!r} is not one of {', '.join(PRORES_PIX)}")
        elif v.pix_fmt != want:
            out.append(f"ProRes {v.profile} needs {want}, not {v.pix_fmt}")
        if v.bitrate_kbps is not None:
            out.append("ProRes has no bit rate setting (the profile fixes it); remove video.bitrate_kbps")
    return out


def _ladder_problems(profile: Profile) -> list[str]:
    """A ladder is H.264 in MP4 rungs of distinct heights, the whole programme, no leader."""
    if not profile.ladder:
        return []
    v, out = profile.video, []
    if v.codec != "h264" or profile.container.format != "mp4":
        out.append("a streaming ladder is H.264 in MP4 (what HLS fMP4 and DASH carry)")
    heights = [r.height for r in profile.ladder]
    if len(set(heights)) != len(heights):
        out.append(f"two ladder rungs share a height ({', '.join(map(str, heights))})")
    if any(h % 2 for h in heights):
        out.append("ladder heights must be even (chroma subsampling)")
    if profile.leader.enabled or profile.excerpt:
        out.append("a streaming ladder carries the whole programme, with no leader")
    if v.interlaced:
        out.append("a streaming ladder is progressive")
    if not v.closed_gop:
        out.append("a streaming ladder needs closed GOPs (each segment starts with an IDR)")
    return out


def h264_level_for(width: int, height: int, rate: Fraction, peak_kbps: int, profile: str) -> str | None:
    """The lowest H.264 level (`media/codecs.H264_LEVELS`) that carries a progressive picture of
    this size and rate at this peak; None when none does."""
    blocks = math.ceil(width / 16) * math.ceil(height / 16)
    factor = H264_BR_FACTOR.get(profile, 1.0)
    for level, (max_fs, max_mbps, max_br) in H264_LEVELS.items():
        if blocks <= max_fs and blocks * rate <= max_mbps and peak_kbps <= max_br * factor:
            return level
    return None


def _h264_level_problems(v: Video) -> list[str]:
    if v.level is None:
        return []
    limits = H264_LEVELS.get(v.level)
    if limits is None:
        return [f"H.264 level {v.level} is not one of {', '.join(H264_LEVELS)}"]
    max_fs, max_mbps, max_br = limits
    mb_w = math.ceil(v.width / 16)
    mb_h = math.ceil(v.height / 32) * 2 if v.interlaced else math.ceil(v.height / 16)
    out = []
    if mb_w * mb_h > max_fs or mb_w * mb_h * v.rate > max_mbps:
        out.append(f"H.264 level {v.level} is too low for {v.width}×{v.height} at {v.fps} frames/s")
    peak = v.maxrate_kbps or v.bitrate_kbps or 0
    ceiling = max_br * H264_BR_FACTOR.get(v.profile, 1.0)
    if peak > ceiling:
        out.append(f"H.264 {v.profile}@{v.level} allows at most {ceiling:g} kb/s, not {peak}")
    return out


def _xdcam_problems(profile: Profile) -> list[str]:
    """XDCAM HD422 (MPEG-2 in MXF): 50 Mb/s CBR 4:2:2, 1920×1080 or 1280×720, PCM 48 kHz."""
    v, a = profile.video, profile.audio
    out = []
    if not (v.bitrate_kbps == v.maxrate_kbps == 50000 and v.minrate_kbps in (None, 50000)):
        out.append(
            f"XDCAM HD422 is 50 Mb/s CBR: bitrate_kbps and maxrate_kbps must be 50000 "
            f"(got {v.bitrate_kbps}/{v.maxrate_kbps})"
        )
    if (v.width, v.height) not in ((1920, 1080), (1280, 720)):
        out.append(f"XDCAM HD422 is 1920×1080 or 1280×720, not {v.width}×{v.height}")
    if v.pix_fmt != "yuv422p":
        out.append(f"XDCAM HD422 needs yuv422p, not {v.pix_fmt}")
    if v.gop > 15:
        out.append(f"XDCAM long GOP is at most 15 frames, not {v.gop}")
    if a.sample_rate != 48000 or a.bit_depth not in (16, 24):
        out.append("XDCAM audio is PCM 48 kHz, 16 or 24 bit")
    return out


def _audio_problems(a: Audio) -> list[str]:
    out = []
    if a.codec == "pcm":
        if a.bit_depth not in (16, 24, 32):
            out.append(f"PCM needs audio.bit_depth 16, 24 or 32 (got {a.bit_depth})")
        if a.bitrate_kbps is not None:
            out.append("PCM has no bit rate setting; remove audio.bitrate_kbps")
    else:
        if a.bit_depth is not None:
            out.append("AAC has no bit depth; remove audio.bit_depth")
        if a.bitrate_kbps is None or not 32 <= a.bitrate_kbps <= 512:
            out.append(f"AAC needs audio.bitrate_kbps between 32 and 512 (got {a.bitrate_kbps})")
        if a.sample_rate not in (44100, 48000):
            out.append(f"AAC deliverables use 44.1 or 48 kHz, not {a.sample_rate}")
        if a.mono_tracks:
            out.append("mono_tracks is for PCM masters; AAC deliverables carry one stereo track")
    if a.mono_tracks and a.channels < 2:
        out.append("mono_tracks needs at least 2 channels")
    return out
