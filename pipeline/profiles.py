"""Deliverable profiles: what each output file is held to, as data (`assets/profiles/<name>.yaml`).

A profile names the container, the video and audio encoding, the loudness target, the subtitles, the
safe areas, the broadcast leader and the file-name suffix of one deliverable. The numbers are the
defaults from DELIVERY.md; a programme folder may hold its own `<name>.yaml` that patches a shipped
profile (only the keys it names change), because a receiving centre may send its own spec.

`check_legal` rejects combinations ffmpeg would refuse or a receiver would bounce (PCM in MP4,
4:2:2 with H.264 High, XDCAM not at 50 Mb/s, …) before any encoding starts, so a bad profile costs
a second, not an hour of rendering.
"""

from __future__ import annotations

import math
import re
import unicodedata
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ManifestError
from .fsutil import nfc
from .media.encode import legal_problems
from .timecode import Timecode, parse_rate

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
    formats: tuple[Literal["srt", "vtt", "ttml"], ...] = ("srt", "vtt")
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

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) in whole pixels, rounded up so content never strays outside."""
        return (
            math.ceil(height * self.top_pct / 100),
            math.ceil(height * self.bottom_pct / 100),
            math.ceil(width * self.left_pct / 100),
            math.ceil(width * self.right_pct / 100),
        )


class SafeAreas(_Strict):
    """Action-safe (3.5%) and title-safe (5%) margins of a 16:9 frame unless a profile says otherwise."""

    action: Margins = Margins.uniform(3.5)
    title: Margins = Margins.uniform(5.0)


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

    def output_name(self, programme_id: str) -> str:
        """ASCII file name for this deliverable, e.g. `travinh-ep01_BROADCAST_XDCAM.mxf`."""
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_fold(programme_id)).strip("-") or "programme"
        return f"{stem}_{self.suffix}{self.container.extension}"


def ascii_fold(text: str) -> str:
    """Vietnamese text without diacritics ('Trà Vinh đẹp' → 'Tra Vinh dep'), for delivered file names."""
    text = nfc(text).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()


# ---------------------------------------------------------------------------------------------
# Loading


def profiles_dir() -> Path:
    """The shipped profiles (`assets/profiles` beside the package)."""
    return Path(__file__).resolve().parent.parent / "assets" / "profiles"


def available_profiles(overrides_dir: Path | None = None) -> list[str]:
    """Names of the shipped profiles plus any defined in `overrides_dir`, sorted."""
    names = {p.stem for p in profiles_dir().glob("*.yaml")}
    if overrides_dir is not None and overrides_dir.is_dir():
        names |= {p.stem for p in overrides_dir.glob("*.yaml")}
    return sorted(names)


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
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"is not UTF-8 text ({exc.reason})", path=path, hint="save it as UTF-8") from exc
    except OSError as exc:
        raise ProfileError(f"cannot be read ({exc.strerror})", path=path) from exc
    try:
        data = yaml.safe_load(nfc(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ProfileError(f"is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}", path=path) from exc
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
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(part) for part in err["loc"]) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "is required"
            elif err["type"] == "extra_forbidden":
                msg = "is not a known field (check its spelling)"
            lines.append(f"{loc} {msg}")
        raise ProfileError("; ".join(dict.fromkeys(lines)), path=path) from exc


def check_legal(profile: Profile) -> None:
    """Raise ProfileError listing every illegal combination in `profile`; return None when it is fine.

    The rules (which container carries which codec, H.264 levels, XDCAM's fixed numbers) live with
    the encoder mapping in `media/encode.py`, which is what they protect.
    """
    problems = legal_problems(profile)
    if problems:
        raise ProfileError(
            "illegal combination: " + "; ".join(problems),
            path=profile.source or profile.name,
            hint="fix the profile (or its override) before rendering",
        )
