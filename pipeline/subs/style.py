"""Subtitle style profiles: the house subtitle rules as data, loaded from YAML and checked.

A broadcaster may send its own spec, so every number lives in `subtitles/styles/<name>.yaml`, a file
can start from another (`base: vi`) and change only what differs, and a caller can override single
fields. One table (`_FIELDS`) holds each field's type and valid range, so the checks and the error
messages cannot drift apart; files are read by `yamlmodel.read_yaml` and errors take its form,
`file: field problem`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import SubtitleError
from ..fsutil import nfc
from ..shipped import shipped
from ..timecode import parse_rate
from ..yamlmodel import read_yaml
from .cues import frames_ms

STYLES_DIR = shipped("subtitles", "styles")

SEVERITIES = ("error", "warning", "off")

# rule id -> (default severity, what it checks). Lint reads this table; profiles change severities.
RULES: dict[str, tuple[str, str]] = {
    "empty": ("error", "a cue has no text"),
    "order": ("error", "a cue starts before the one before it, or ends before it starts"),
    "overlap": ("error", "a cue starts before the previous one ends"),
    "min-gap": ("error", "the gap between cues is shorter than the minimum"),
    "gap-close": ("warning", "a gap short enough to flicker should be closed to the minimum"),
    "chars-per-line": ("error", "a line is longer than the profile allows"),
    "lines-per-cue": ("error", "a cue has more lines than the profile allows"),
    "reading-speed": ("error", "characters per second above the profile's target"),
    "reading-speed-hard": ("error", "characters per second above the hard ceiling"),
    "min-duration": ("error", "a cue is on screen for too short a time"),
    "max-duration": ("error", "a cue is on screen for too long"),
    "past-end": ("error", "a cue is still on screen after the programme ends"),
    "shot-change": ("warning", "a cue starts or ends just off a shot change"),
    "speech-sync": ("warning", "a cue starts too long before the speech"),
    "hang-on": ("warning", "a cue stays up too long after the speech ends"),
    "speaker-dash": ("warning", "a two-speaker cue without a dash on each speaker's line"),
    "not-nfc": ("error", "text is not in Unicode NFC form"),
    "markup": ("error", "text contains tags that players and burn-in render differently"),
    "markup-removed": ("warning", "tags were removed when the file was read"),
    "sensitive-word": ("warning", "a vulgar word: speech recognition often mishears one; check before broadcast"),
}


@dataclass(frozen=True)
class Style:
    """A subtitle style profile. Frame-based rules are in frames at `frame_rate` (the timeline's)."""

    name: str
    language: str = "vi"
    chars_per_line: int = 42
    lines_per_cue: int = 2
    max_cps: float = 17.0
    max_cps_hard: float | None = None
    min_duration_ms: int = 833
    max_duration_ms: int = 7000
    frame_rate: Fraction = Fraction(25)
    min_gap_frames: int = 2
    close_gap_frames: int = 12
    lead_in_frames: int = 3
    hang_on_frames: int = 12
    shot_change_frames: int = 12
    line_balance: str = "bottom-heavy"
    speaker_dash: str = "- "
    break_before: frozenset[str] = frozenset()
    avoid_break_after: frozenset[str] = frozenset()
    units: tuple[str, ...] = ()
    number_prefixes: tuple[str, ...] = ()
    keep_together: tuple[str, ...] = ()
    compounds: tuple[str, ...] = ()
    severities: tuple[tuple[str, str], ...] = ()  # (rule, severity) pairs: keeps the profile hashable
    source: str = ""

    def severity(self, rule: str) -> str:
        """The severity the profile gives a lint rule: 'error', 'warning' or 'off'."""
        return dict(self.severities).get(rule, RULES[rule][0])

    def frames_ms(self, frames: int, rate: Fraction | None = None) -> Fraction:
        """A frame count as exact milliseconds at `rate` (the profile's rate by default)."""
        return frames_ms(frames, rate or self.frame_rate)

    def to_dict(self) -> dict[str, Any]:
        """The profile as plain data, for stage input hashes and reports."""
        out: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, frozenset):
                value = sorted(value)
            elif spec.name == "severities":
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Fraction):
                value = str(value)
            out[spec.name] = value
        return out


class _Invalid(ValueError):
    """A field value that fails its check; the loader adds the file and field name."""


def _int(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"must be a whole number, got {value!r}")
        if not low <= value <= high:
            raise _Invalid(f"must be between {low} and {high}, got {value}")
        return value

    return check


def _number(low: float, high: float, optional: bool = False) -> Callable[[Any], float | None]:
    def check(value: Any) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid(f"must be a number, got {value!r}")
        if not low <= value <= high:
            raise _Invalid(f"must be between {low} and {high}, got {value}")
        return float(value)

    return check


def _rate(value: Any) -> Fraction:
    try:
        rate = parse_rate(value if isinstance(value, int | float | str) else str(value))
    except (ValueError, ZeroDivisionError) as exc:
        raise _Invalid(f"must be a frame rate like 25 or 30000/1001, got {value!r}") from exc
    if not 1 <= rate <= 240:
        raise _Invalid(f"must be between 1 and 240 fps, got {value!r}")
    return rate


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"must be text, got {value!r}")
    return nfc(value)


def _choice(*options: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise _Invalid(f"must be one of {', '.join(options)}, got {value!r}")
        return str(value)

    return check


def _phrases(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Invalid(f"must be a list of words or phrases, got {value!r}")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            hint = " (YAML reads on/off/yes/no as true/false: quote them)" if isinstance(item, bool) else ""
            raise _Invalid(f"must list words or phrases, but has {item!r}{hint}")
    return tuple(" ".join(nfc(item).split()) for item in value)


def _word_set(value: Any) -> frozenset[str]:
    return frozenset(item.casefold() for item in _phrases(value))


def _severities(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise _Invalid("must map rule ids to error, warning or off")
    out: dict[str, str] = {}
    for rule, level in value.items():
        if rule not in RULES:
            raise _Invalid(f"unknown rule {rule!r}; rules are: {', '.join(RULES)}")
        if level not in SEVERITIES:
            raise _Invalid(f"rule {rule!r} must be error, warning or off, got {level!r}")
        out[str(rule)] = str(level)
    return tuple(sorted(out.items()))


_FIELDS: dict[str, Callable[[Any], Any]] = {
    "name": _text,
    "language": _text,
    "chars_per_line": _int(8, 200),
    "lines_per_cue": _int(1, 3),
    "max_cps": _number(1, 100),
    "max_cps_hard": _number(1, 100, optional=True),
    "min_duration_ms": _int(0, 60_000),
    "max_duration_ms": _int(100, 60_000),
    "frame_rate": _rate,
    "min_gap_frames": _int(0, 50),
    "close_gap_frames": _int(0, 250),
    "lead_in_frames": _int(0, 50),
    "hang_on_frames": _int(0, 250),
    "shot_change_frames": _int(0, 250),
    "line_balance": _choice("bottom-heavy", "balanced"),
    "speaker_dash": _text,
    "break_before": _word_set,
    "avoid_break_after": _word_set,
    "units": _phrases,
    "number_prefixes": _phrases,
    "keep_together": _phrases,
    "compounds": _phrases,
    "severities": _severities,
}


def available_styles() -> list[str]:
    """Names of the profiles shipped in subtitles/styles/."""
    return sorted(path.stem for path in STYLES_DIR.glob("*.yaml"))


def _resolve(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    text = str(name_or_path)
    looks_like_path = isinstance(name_or_path, Path) or text.endswith((".yaml", ".yml")) or "/" in text
    if looks_like_path:
        path = Path(text)
        if not path.is_absolute() and relative_to is not None and not path.exists():
            path = relative_to / path
        if not path.is_file():
            raise SubtitleError("style profile not found", path=path)
        return path
    path = STYLES_DIR / f"{text}.yaml"
    if not path.is_file():
        raise SubtitleError(
            f"no subtitle style profile named {text!r}",
            path=STYLES_DIR,
            hint=f"profiles: {', '.join(available_styles()) or 'none'}; or give a path to a YAML file",
        )
    return path


def _load_yaml(path: Path) -> dict[str, Any]:
    data = read_yaml(path, what="style profile", error=SubtitleError)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SubtitleError("must be a YAML mapping of style fields", path=path)
    return data


def _read_raw(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The file's fields merged over its `base` chain, each value still as written."""
    if path.resolve() in seen:
        raise SubtitleError("style profiles inherit from each other in a loop", path=path)
    data = _load_yaml(path)
    base = data.pop("base", None)
    merged: dict[str, Any] = {}
    if base is not None:
        if not isinstance(base, str):
            raise SubtitleError(f"base must name a profile, got {base!r}", path=path)
        merged = _read_raw(_resolve(base, path.parent), (*seen, path.resolve()))
    merged.update(data)
    merged["name"] = data.get("name", path.stem)
    return merged


def _build(raw: Mapping[str, Any], origin: Path | str) -> Style:
    values: dict[str, Any] = {}
    for key, value in raw.items():
        check = _FIELDS.get(str(key))
        if check is None:
            raise SubtitleError(f"{key} is not a known field (check its spelling)", path=origin,
                                hint=f"fields are: {', '.join(sorted(_FIELDS))}")
        try:
            values[str(key)] = check(value)
        except _Invalid as exc:
            raise SubtitleError(f"{key} {exc}", path=origin) from None
    values.setdefault("name", Path(str(origin)).stem)
    style = Style(source=str(origin), **values)
    if style.min_duration_ms >= style.max_duration_ms:
        raise SubtitleError("min_duration_ms must be below max_duration_ms", path=origin)
    if style.max_cps_hard is not None and style.max_cps_hard < style.max_cps:
        raise SubtitleError("max_cps_hard must not be below max_cps", path=origin)
    return style


def load_style(name_or_path: str | Path, overrides: Mapping[str, Any] | None = None) -> Style:
    """Load a profile by name (`vi`, `en`, `social`) or path, then apply `overrides` field by field.

    "en+social" layers profiles: en with its base chain, then the fields social.yaml itself sets
    (not its base), so one delta file serves both languages. Raises SubtitleError naming the file
    and the field when a value has the wrong type or is out of range.
    """
    text = str(name_or_path)
    layers = [name_or_path] if isinstance(name_or_path, Path) or Path(text).is_file() else text.split("+")
    path = _resolve(layers[0])
    raw = _read_raw(path)
    origin = str(path)
    for layer in layers[1:]:
        layer_path = _resolve(layer)
        own = _load_yaml(layer_path)
        own.pop("base", None)
        raw.update(own)
        origin += f" + {layer_path}"
    if len(layers) > 1:
        raw["name"] = "+".join(str(layer) for layer in layers)
    if overrides:
        raw.update(overrides)
        origin += f" (overriding {', '.join(sorted(overrides))})"
    return _build(raw, origin)


def style_from_mapping(data: Mapping[str, Any], origin: str = "<style>") -> Style:
    """A profile from plain data (a manifest's inline subtitle settings, or tests)."""
    return _build(dict(data), origin)
