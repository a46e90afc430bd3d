"""Everything a manifest can prove wrong, found before any work starts and reported all at once.

An editor who mistypes a deliverable name, cuts a clip that is not in the footage or points the logo
at a PDF should hear about it in the first second, not after ingest and transcription — and hear
about every such mistake in one go, not one per run. Two moments:

- `manifest_problems` at load (`load_manifest`): what the YAML alone proves (names, files on disk,
  timecode order, house dimensions, overlapping lower thirds), also for fields pydantic has already
  refused, so a manifest with a typo and an unknown deliverable reports both. Each problem names its
  field.
- `probed_problems` right after probing, before any encode: what each clip's facts prove (a cut point
  past a clip's end at the clip's own rate, an audio-only file where the cut needs picture).

The rushes mode stays: a manifest with only `id` and `footage` has nothing here to be wrong.

`load_manifest` (reading a manifest from disk) lives here, beside the checks it runs: this module
uses the types of `pipeline.manifest`, and they need nothing from it, so the two never import each other.
"""

from __future__ import annotations

import glob as globlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from .errors import ManifestError, ReportageError
from .manifest import (
    MASTER_CLIP_ID,
    FootageEntry,
    Manifest,
    Programme,
    clip_id_for,
    derived_id_problem,
    excerpt_deliverable,
    glob_footage,
    resolve_inside,
)
from .media.extensions import MEDIA_EXTS
from .subs.cues import Cue
from .subs.srt import format_time
from .timecode import Timecode, fmt_rate, parse_rate
from .yamlmodel import problems as pydantic_problems
from .yamlmodel import read_yaml

if TYPE_CHECKING:
    from .media.probe import MediaInfo

# Working formats the pipeline conforms to: the broadcast and web rates, nothing in between.
HOUSE_RATES = tuple(parse_rate(r) for r in ("24000/1001", "24", "25", "30000/1001", "30", "48", "50",
                                              "60000/1001", "60"))
HOUSE_SAMPLE_RATES = (32000, 44100, 48000, 88200, 96000)
MIN_SIDE = 64
MAX_ASPECT = 4  # 4:1 either way; anything flatter is a typo, not a picture

# What ffmpeg here reads as a still for the logo bug, by the bytes a file starts with.
_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
)


MAX_LISTED_PROBLEMS = 20
_MAX_IDS = 12  # clip ids named in one problem
MAX_PROBLEM_CHARS = 300


class ManifestProblems(ManifestError):
    """A manifest with one or more problems; `problems` lists each as 'field: what is wrong'.

    The message lists the first MAX_LISTED_PROBLEMS (each cut to MAX_PROBLEM_CHARS) and counts the
    rest, so a generated manifest with 10,000 mistakes is one readable line; `problems` keeps all.
    """

    def __init__(self, problems: Sequence[str], *, path: Path | str,
                 hint: str = "fix every field listed; nothing was started") -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        head = "" if count == 1 else f"{count} problems: "
        listed = [_cut(problem) for problem in self.problems[:MAX_LISTED_PROBLEMS]]
        if count > MAX_LISTED_PROBLEMS:
            listed.append(f"… and {count - MAX_LISTED_PROBLEMS} more")
        super().__init__(head + "; ".join(listed), path=path, hint=hint)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "problems": list(self.problems)}


def _cut(problem: str) -> str:
    return problem if len(problem) <= MAX_PROBLEM_CHARS else problem[:MAX_PROBLEM_CHARS - 1] + "…"


# -- the manifest alone ------------------------------------------------------------------------------

def sniff_image(path: Path) -> str | None:
    """The image format of `path` from its first bytes (PNG, JPEG, WebP, GIF, TIFF, BMP, SVG), or None."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    for magic, name in _IMAGE_MAGIC:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in text:
        return "SVG"
    return None


def _describe(path: Path) -> str:
    """What a non-image file looks like, for the message ('a PDF', 'text', 'empty')."""
    try:
        head = path.read_bytes()[:512]
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if not head:
        return "an empty file"
    if head.startswith(b"%PDF"):
        return "a PDF"
    if head[4:8] == b"ftyp" or head.startswith(b"\x1aE\xdf\xa3"):
        return "a video file"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP/Office document"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "not an image"
    return "text"


def _field_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Each top-level field of `data` parsed on its own; a field that does not parse is left out, so
    the checks below still see every field that is right when another one is wrong."""
    values: dict[str, Any] = {}
    for name, info in Manifest.model_fields.items():
        key = info.alias or name
        if key not in data:
            if not info.is_required():
                values[name] = info.get_default(call_default_factory=True)
            continue
        try:
            values[name] = TypeAdapter(info.annotation or Any).validate_python(data[key])
        except ValidationError:
            continue
    return values


def _tc(text: str, rate: Fraction) -> Timecode | str:
    try:
        return Timecode.parse(text, rate)
    except ValueError as exc:
        return str(exc)


def _frames_form(text: str) -> tuple[int, ...] | None:
    """HH:MM:SS:FF as numbers (comparable at any rate above FF), None for the millisecond form."""
    parts = text.strip().replace(";", ":").split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def _check_house(values: Mapping[str, Any], out: list[str]) -> None:
    house = values.get("house")
    if house is None:
        return
    for side in ("width", "height"):
        size = getattr(house, side)
        if size % 2:
            out.append(f"house.{side}: {size} is odd; 4:2:0 and 4:2:2 video need an even {side} "
                       f"(use {size - 1} or {size + 1})")
        if size < MIN_SIDE:
            out.append(f"house.{side}: {size} pixels is too small for a picture (at least {MIN_SIDE})")
    longer, shorter = max(house.width, house.height), min(house.width, house.height)
    if shorter and longer / shorter > MAX_ASPECT:
        out.append(f"house: {house.width}×{house.height} is not a picture shape (wider than {MAX_ASPECT}:1)")
    rate = house.rate  # "29.97" reads as 30000/1001 (timecode.parse_rate)
    if rate not in HOUSE_RATES:
        known = ", ".join(fmt_rate(r) for r in HOUSE_RATES)
        out.append(f"house.fps: {house.fps} is not a broadcast or web frame rate (known: {known})")
    if house.sample_rate not in HOUSE_SAMPLE_RATES:
        out.append(f"house.sample_rate: {house.sample_rate} Hz is not an audio production rate "
                   f"(known: {', '.join(map(str, HOUSE_SAMPLE_RATES))})")


def _check_deliverables(values: Mapping[str, Any], base: Path, out: list[str]) -> None:
    from .profiles import available_profiles, programme_overrides

    names = values.get("deliverables") or []
    known = available_profiles(programme_overrides(base))
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name not in known:
            out.append(f"deliverables[{index}]: unknown deliverable {name!r} (known: {', '.join(known)})")
        elif name in seen:
            out.append(f"deliverables[{index}]: {name!r} is listed twice")
        seen.add(name)
    _check_excerpt_names(values, base, known, out)


def _check_excerpt_names(values: Mapping[str, Any], base: Path, known: Sequence[str], out: list[str]) -> None:
    """With several social cuts an excerpt profile makes `name-2` …: refused when the manifest
    also lists a deliverable of that name (two renders would share one folder)."""
    from .profiles import programme_profile

    names = list(values.get("deliverables") or [])
    social = values.get("social")
    cuts = len(social) if isinstance(social, list) else 0
    for name in names:
        try:
            if cuts < 2 or name not in known or not programme_profile(base, name).excerpt:
                continue
        except ReportageError:  # a profile that does not load is reported where it is used
            continue
        for cut in range(1, cuts):
            taken = excerpt_deliverable(name, cut)
            if taken in names:
                out.append(f"deliverables[{names.index(taken)}]: {taken!r} is also the deliverable of "
                           f"social[{cut}] (the excerpt profile {name!r}, cut {cut + 1}): rename or remove one")


def _check_files(values: Mapping[str, Any], resolve: Callable[[str, str], Path], out: list[str]) -> None:
    relative = values.get("glossary")
    if relative and not resolve(relative, "glossary").is_file():
        out.append(f"glossary: file {relative!r} not found")
    # The script, like the footage, may arrive after the rushes: only its path is checked here; the
    # subtitles stage, which reads it, says when it is missing.
    if values.get("script"):
        resolve(values["script"], "script")
    branding = values.get("branding")
    logo = branding.logo if branding is not None else None
    if logo:
        path = resolve(logo, "branding.logo")
        if not path.is_file():
            out.append(f"branding.logo: file {logo!r} not found")
        elif sniff_image(path) is None:
            out.append(f"branding.logo: {logo!r} is {_describe(path)}, not an image "
                       "(give a PNG, JPEG, WebP, GIF, TIFF, BMP or SVG; PNG keeps transparency)")
    timeline = values.get("timeline")
    if timeline is not None and timeline.master:
        resolve(timeline.master, "timeline.master")  # refuses a path outside the folder
    if timeline is not None and timeline.edit:
        resolve(timeline.edit, "timeline.edit")


def _check_footage(values: Mapping[str, Any], out: list[str]) -> None:
    """A clip id taken from a file's name must be able to name a folder (`..mov` gives `.`); explicit
    ids are checked by the model itself."""
    for index, entry in enumerate(values.get("footage") or []):
        if isinstance(entry, str):
            entry = FootageEntry(glob=entry) if globlib.has_magic(entry) else FootageEntry(file=entry)
        if entry.file is not None and entry.id is None:
            path = Path(entry.file)
            problem = derived_id_problem(f"footage[{index}]", path, clip_id_for(path))
            if problem is not None:
                out.append(problem)


def _footage_ids(manifest: Manifest, manifest_path: Path) -> set[str] | None:
    """Clip ids of the footage as it is on disk; None when a glob matches nothing yet (the cut list
    cannot then be proved wrong: the files may still be copying)."""
    programme = Programme(manifest, manifest_path)
    for index, entry in enumerate(manifest.footage):
        pattern = entry if isinstance(entry, str) else entry.glob
        is_glob = pattern is not None and (isinstance(entry, FootageEntry) or globlib.has_magic(pattern))
        if is_glob and pattern is not None:
            where = resolve_inside(manifest_path.parent, pattern, manifest_path, f"footage[{index}]", on_disk=False)
            if not any(p.suffix.lower() in MEDIA_EXTS for p in glob_footage(where)):
                return None
    return {clip.clip_id for clip in programme.sources()}


def _check_cut(values: Mapping[str, Any], manifest_path: Path, out: list[str]) -> None:
    timeline = values.get("timeline")
    if timeline is None or not timeline.cut:
        return
    ids: set[str] | None = None
    if values.get("footage"):
        ids = _footage_ids(Manifest.model_construct(**values), manifest_path)
    for index, event in enumerate(timeline.cut):
        where = f"timeline.cut[{index}]"
        if ids is not None and event.clip not in ids:
            known = sorted(ids)
            listed = ", ".join(known[:_MAX_IDS]) or "none"
            if len(known) > _MAX_IDS:
                listed += f", … ({len(known)} in all)"
            out.append(f"{where}.clip: {event.clip!r} is not in the footage (clip ids: {listed})")
        # The clip's own rate is known only after probing; 60 is the highest it can be.
        bad = False
        for name, text in (("in", event.in_), ("out", event.out)):
            parsed = _tc(text, Fraction(60))
            if isinstance(parsed, str):
                out.append(f"{where}.{name}: {parsed}")
                bad = True
        if bad:
            continue
        if _not_after(event.in_, event.out):
            out.append(f"{where}.out: {event.out} is not after its in point {event.in_}")


def _not_after(tc_in: str, tc_out: str) -> bool:
    """Whether `tc_out` is at or before `tc_in` at whatever rate the clip turns out to have: provable
    when both count frames (HH:MM:SS:FF) or both milliseconds, not when they mix."""
    frames_in, frames_out = _frames_form(tc_in), _frames_form(tc_out)
    if frames_in is not None and frames_out is not None:
        return frames_out <= frames_in
    if frames_in is None and frames_out is None:
        return Timecode.parse(tc_out, Fraction(1000)).frames <= Timecode.parse(tc_in, Fraction(1000)).frames
    return False


def _house_rate(values: Mapping[str, Any]) -> Fraction:
    house = values.get("house")
    return house.rate if house is not None and house.rate > 0 else Fraction(25)


def _social_fields(values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Each social cut with its field: `social` for the one mapping, `social[k]` for a list's."""
    social = values.get("social")
    if isinstance(social, list):
        return [(f"social[{index}]", cut) for index, cut in enumerate(social)]
    return [("social", social)] if social is not None else []


def _check_social(values: Mapping[str, Any], out: list[str]) -> None:
    """Each cut's in before its out; no cut of a list the same stretch as an earlier one."""
    rate = _house_rate(values)
    seen: dict[tuple[int, int], str] = {}
    for field, social in _social_fields(values):
        start, end = _tc(social.start, rate), _tc(social.end, rate)
        for name, parsed in (("in", start), ("out", end)):
            if isinstance(parsed, str):
                out.append(f"{field}.{name}: {parsed}")
        if isinstance(start, Timecode) and isinstance(end, Timecode):
            if end.frames <= start.frames:
                out.append(f"{field}.out: {social.end} is not after {field}.in {social.start}")
            elif (start.frames, end.frames) in seen:
                out.append(f"{field}: {social.start}–{social.end} is the same excerpt as "
                           f"{seen[start.frames, end.frames]}; take one of them out")
            seen.setdefault((start.frames, end.frames), field)


def _check_programme_times(values: Mapping[str, Any], out: list[str]) -> None:
    rate = _house_rate(values)
    _check_social(values, out)
    placed: list[tuple[Fraction, Fraction, int, str]] = []
    for index, lower in enumerate(values.get("lower_thirds") or []):
        at = _tc(lower.at, rate)
        if isinstance(at, str):
            out.append(f"lower_thirds[{index}].at: {at}")
            continue
        placed.append((at.seconds, at.seconds + Fraction(lower.duration_s), index, lower.at))
    placed.sort()
    showing: tuple[Fraction, Fraction, int, str] | None = None  # of those so far, the one that stays longest
    for current in placed:
        if showing is not None and current[0] < showing[1]:
            shown, gone, first, first_at = showing
            out.append(f"lower_thirds[{current[2]}].at: {current[3]} is on screen while lower_thirds[{first}] "
                       f"({first_at} for {float(gone - shown):g} s) still is; move one of them")
        if showing is None or current[1] > showing[1]:
            showing = current


def manifest_problems(data: Mapping[str, Any], manifest_path: Path) -> list[str]:
    """Every problem the manifest alone proves, each 'field: what is wrong' (empty when none).

    Runs on the raw document so that it works beside pydantic's own errors: fields pydantic refused
    are skipped, the rest are checked.
    """
    values = _field_values(data)
    base = manifest_path.parent
    out: list[str] = []

    def resolve(relative: str, field: str) -> Path:
        return resolve_inside(base, relative, manifest_path, field)

    checks: tuple[Callable[[], None], ...] = (
        lambda: _check_house(values, out),
        lambda: _check_deliverables(values, base, out),
        lambda: _check_files(values, resolve, out),
        lambda: _check_footage(values, out),
        lambda: _check_cut(values, manifest_path, out),
        lambda: _check_programme_times(values, out),
    )
    for check in checks:
        try:
            check()
        except ManifestError as exc:  # a path outside the folder, two files with one clip id
            out.append(exc.problem)
    return list(dict.fromkeys(out))


def load_manifest(path: Path | str) -> Programme:
    """Read and validate a manifest; ManifestError names the file, the field and what is wrong."""
    manifest_path = Path(path).absolute()
    if not manifest_path.is_file():
        raise ManifestError("manifest not found", path=path, hint="give the path of a programme .yaml file")
    data = read_yaml(manifest_path, what="manifest")
    if not isinstance(data, dict):
        raise ManifestError("must be a YAML mapping (id:, footage:, timeline: …)", path=path)
    # Every problem at once: pydantic's (type, required, unknown field) and what the document
    # proves beside them (`manifest_problems`), so one run of the editor's fixes is enough.
    try:
        manifest: Manifest | None = Manifest.model_validate(data)
    except ValidationError as exc:
        manifest, found = None, pydantic_problems(exc, frozenset({"FootageEntry", "SocialCut"}))
    else:
        found = []
    found += manifest_problems(data, manifest_path)
    if found or manifest is None:
        raise ManifestProblems(found, path=path)
    programme = Programme(manifest, manifest_path)
    return programme


# -- after probing -------------------------------------------------------------------------------------

def probed_problems(programme: Programme, infos: Mapping[str, MediaInfo],
                    failed: frozenset[str] = frozenset(), *, skip_unprobed: bool = False) -> list[str]:
    """What the clips' probes prove wrong in the cut list, each 'timeline.cut[i].field: …'; run it
    after probing every clip and before encoding any (cheap: no decoding).

    A cut point is read at the clip's own rate (a 29.97 phone clip counts 30 frames a second); an
    audio-only clip cannot be cut into the picture. Clips in `failed` are reported by ingest itself.
    `skip_unprobed`: before encoding, a clip without a probe (missing, not media) is left to fail on
    its own in ingest, with its own error, instead of being reported here.
    """
    problems: list[str] = []
    master = programme.manifest.timeline.master if programme.manifest.timeline else None
    if master is not None:
        info = infos.get(MASTER_CLIP_ID)
        if info is not None and info.video is None:
            problems.append(f"timeline.master: {master!r} has no picture (an audio-only file)")
    for index, event in enumerate(programme.cut):
        where = f"timeline.cut[{index}]"
        if event.clip in failed:
            problems.append(f"{where}.clip: {event.clip!r} failed to ingest (its error is above)")
            continue
        info = infos.get(event.clip)
        if info is None and skip_unprobed:
            continue
        if info is None:
            problems.append(f"{where}.clip: {event.clip!r} is not among the ingested footage")
            continue
        if info.video is None:
            problems.append(f"{where}.clip: {event.clip!r} has no picture (an audio-only file); the cut list is "
                            "picture: lay voice-over or music under a picture clip in the edit")
            continue
        rate = info.rate
        tc_in, tc_out = _tc(event.in_, rate), _tc(event.out, rate)
        for name, parsed in (("in", tc_in), ("out", tc_out)):
            if isinstance(parsed, str):
                problems.append(f"{where}.{name}: {parsed} (clip {event.clip} is {fmt_rate(rate)} fps)")
        if not isinstance(tc_in, Timecode) or not isinstance(tc_out, Timecode):
            continue
        frames = (info.duration_ms or 0) * rate.numerator // (rate.denominator * 1000)
        end = Timecode(frames, rate)
        if tc_out.frames <= tc_in.frames:
            problems.append(f"{where}.out: {event.out} is not after its in point {event.in_}")
        if tc_in.frames >= frames:
            problems.append(f"{where}.in: {event.in_} is past the end of clip {event.clip} ({end})")
        elif tc_out.frames > frames:
            problems.append(f"{where}.out: {event.out} is past the end of clip {event.clip} ({end})")
    return problems


# -- imported subtitles against the programme ----------------------------------------------------------

# NLEs and broadcast masters count the programme from a whole hour (10:00:00:00 here, 01:00:00:00 in
# many houses); a subtitle file exported from such a timeline is offset by exactly that.
HOUR_MS = 3_600_000
_MAX_LISTED = 6


@dataclass(frozen=True)
class ProgrammeFit:
    """Imported cues laid on the programme: shifted when they were timed from a start timecode, with
    a note saying so, and every cue that would still fall outside the programme as a problem."""

    cues: tuple[Cue, ...]
    shift_ms: int
    notes: tuple[str, ...]
    problems: tuple[str, ...]


def _clock(ms: int) -> str:
    return format_time(max(ms, 0))


def fit_to_programme(cues: Sequence[Cue], duration_ms: int, rate: Fraction) -> ProgrammeFit:
    """Check imported cues against the programme's duration (timeline.json), before they are adopted.

    A file whose cues all lie at or after a whole hour H, and that fits the programme once H is taken
    off, was timed from a start timecode H:00:00:00: it is shifted, and the note says by how much
    (the shift is certain, and what every editor would do by hand). Whatever still starts at or after
    the programme's end, or ends more than a frame after it, is a problem naming the cue: it would
    never be seen, or be cut off.
    """
    if not cues:
        return ProgrammeFit((), 0, (), ())
    frame_ms = math.ceil(1000 / rate) if rate > 0 else 40
    first = min(cue.start_ms for cue in cues)
    last = max(cue.end_ms for cue in cues)
    shift = 0
    notes: list[str] = []
    if last > duration_ms + frame_ms:
        for hours in range(first // HOUR_MS, 0, -1):
            offset = hours * HOUR_MS
            if last - offset <= duration_ms + frame_ms:
                shift = offset
                break
    if shift:
        cues = [replace(cue, start_ms=cue.start_ms - shift, end_ms=cue.end_ms - shift) for cue in cues]
        notes.append(f"the cues were timed from {Timecode.from_ms(shift, rate)} (a programme start timecode); "
                     f"shifted by -{_clock(shift)} to the programme's 00:00:00:00")
    outside: list[str] = []
    for cue in cues:
        if cue.start_ms >= duration_ms:
            outside.append(f"cue {cue.index} starts at {_clock(cue.start_ms)}, after the programme's end "
                           f"({_clock(duration_ms)})")
        elif cue.end_ms > duration_ms + frame_ms:
            outside.append(f"cue {cue.index} ends at {_clock(cue.end_ms)}, after the programme's end "
                           f"({_clock(duration_ms)})")
    if len(outside) > _MAX_LISTED:
        outside = [*outside[:_MAX_LISTED], f"and {len(outside) - _MAX_LISTED} more cues outside the programme"]
    return ProgrammeFit(tuple(cues), shift, tuple(notes), tuple(outside))
