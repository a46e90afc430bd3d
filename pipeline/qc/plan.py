"""The QC test plan of one deliverable, as data, and the verdict logic that judges measurements.

A plan is a list of `CheckSpec`: which measurement (a `Measure`, a key of the flat measurement dict
that `ranged.measure_file` produces), which rule (a `Rule`, judged by the evaluator registered for it
in `RULES`), which limits. Keeping it data means the report can show every limit next to every
measured value, a centre can read what we hold a file to, and the verdict logic is tested on
hand-made numbers without ffmpeg. Every rule must have its evaluator when this module is imported,
and a CheckSpec naming an unknown rule or measurement is refused when it is made, so a typo fails
at once instead of showing up later as "not measured". A verdict carries the measured value as a
number (`CheckResult.value`, in `CheckResult.unit`) beside the text the report shows, and the
stretches it flagged as data (`CheckResult.spans_s`: [start, end] in programme seconds, the file's
leader and excerpt offset taken off by `evaluate(..., offset_s=)`), so an NLE marker or the review
room's timeline can point at them without parsing the detail text.

Thresholds that are ours rather than a standard's (documented in the report's legend):
- black / frozen picture / silence: intervals inside *allowed windows* are fine — the broadcast
  leader (bars, slate, black: the first `leader.total_s` seconds) and fades of up to 1 s at the
  programme's start and end. What remains outside is WARN from `warn_s`, FAIL from `fail_s`.
- legal range (broadcast), after EBU R103: a frame breaks the rule when more than `LEGAL_AREA` (1 %)
  of its pixels leave Y 16–235 / Cb,Cr 16–240 (signalstats' BRNG). R103 ignores excursions that
  cover less than 1 % of the picture, measured against its tolerance (about −1 %/103 % luma); we
  count the area against the nominal range, which is stricter. Why not "any pixel outside 16–235 is
  out": that judges by the extremes, and an MPEG-2 50 Mb/s master of a picture clipped to legal range
  before encoding still rings to Y 5–255 on a few pixels of 45 % of its frames; a receiving QC
  measures by R103, which tolerates those. The extremes are still reported, and a frame measured
  without BRNG (an older 7-value record) is judged by them against −5 %/105 % (Y 5–246, C 5–251).
  Any frame that breaks the rule outside the leader → WARN (a flash, a highlight); a run of such
  frames lasting at least `LEGAL_SUSTAINED_S` → FAIL (a grade or a graphic that is really illegal,
  which a transmitter clips). The leader is skipped: its bars carry sub-black PLUGE on purpose.
- duration: to the frame; a difference of any frame FAILs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal, get_args

from ..intervals import subtract
from ..media.codecs import level_number
from ..profiles import Profile
from ..timecode import fmt_rate

Rule = Literal["equals", "one_of", "near", "at_most", "at_least", "level_at_most", "intervals",
               "legal_range", "report", "bitrate", "unreviewed_words", "keyframe_grid", "closed_gop"]
Measure = Literal[
    "container.format", "container.extension", "container.moov_first",
    "video.codec", "video.profile", "video.level", "video.pix_fmt", "video.size", "video.rate",
    "video.field_order", "video.bitrate_kbps", "video.gop_max", "video.colour", "video.gop_structure",
    "audio.codec", "audio.sample_rate", "audio.channels", "audio.tracks", "audio.bit_depth", "audio.bitrate_kbps",
    "audio.bitrate_configured_kbps",
    "audio.silence", "loudness.integrated", "loudness.true_peak", "loudness.lra",
    "picture.black", "picture.freeze", "picture.legal", "duration.frames",
    "subtitles.uncertain_words",
]
MEASURES: frozenset[str] = frozenset(get_args(Measure))
"""Every measurement a plan may judge (keys of `checks.FileMeasurements.values`, and of the
programme's subtitles: `checks.uncertain_words`)."""
Interval = tuple[float, float]
VBR_AUDIO_CODECS = frozenset({"aac"})
"""Audio codecs whose encoder treats the bit rate as a target it may undershoot (ffmpeg's AAC); any
other codec given a bit rate (a CBR one such as MP2) is held to it within ±10 %."""

LEGAL_AREA = 0.01  # EBU R103 area rule: a frame is out of gamut when > 1 % of its pixels are
LEGAL_TOLERANCE = 0.05  # EBU R103: excursions to −5 % / 105 % of the nominal range are tolerated


def _tolerated(lo: int, hi: int) -> tuple[int, int]:
    margin = round(LEGAL_TOLERANCE * (hi - lo))
    return lo - margin, hi + margin


LEGAL_Y = _tolerated(16, 235)  # (5, 246)
LEGAL_C = _tolerated(16, 240)  # (5, 251)
LEGAL_SUSTAINED_S = 1.0
FADE_ALLOWANCE_S = 1.0


class Status(StrEnum):
    """A verdict. INFO is a figure reported without a limit (LRA) or a check that could not run."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    INFO = "INFO"


_RANK = {Status.INFO: 0, Status.PASS: 1, Status.WARN: 2, Status.FAIL: 3}


def worst(statuses: Sequence[Status]) -> Status:
    """The most severe status (PASS for an empty list)."""
    return max(statuses, key=lambda s: _RANK[s], default=Status.PASS)


@dataclass(frozen=True)
class CheckSpec:
    """One check: `measure` names the measurement, `rule` how it is judged, the rest are limits."""

    id: str
    label: str
    measure: Measure
    rule: Rule
    expected: Any = None
    tolerance: float | None = None
    warn: float | None = None
    limit: float | None = None
    unit: str = ""
    allowed: tuple[Interval, ...] = ()
    why: str = ""
    undershoot_ok: bool = False  # rule "bitrate" with a limit: below the target is no WARN either

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"check {self.id}: no rule {self.rule!r} (known: {', '.join(sorted(RULES))})")
        if self.measure not in MEASURES:
            raise ValueError(f"check {self.id}: no measurement {self.measure!r}")

    def limit_text(self) -> str:
        """The limit as the report shows it."""
        u = f" {self.unit}" if self.unit else ""
        if self.rule in ("equals", "level_at_most"):
            return ("≤ " if self.rule == "level_at_most" else "") + f"{self.expected}{u}"
        if self.rule == "one_of":
            return " or ".join(str(x) for x in self.expected)
        if self.rule == "near":
            return f"{self.expected:g} ± {self.tolerance:g}{u}"
        if self.rule == "at_most":
            return f"≤ {self.limit:g}{u}"
        if self.rule == "at_least":
            return f"≥ {self.limit:g}{u}"
        if self.rule == "intervals":
            return f"none outside allowed; WARN ≥ {self.warn:g} s, FAIL ≥ {self.limit:g} s"
        if self.rule == "legal_range":
            return (f"EBU R103: ≤ {LEGAL_AREA * 100:g} % of pixels outside Y 16–235 / C 16–240; "
                    f"FAIL for ≥ {LEGAL_SUSTAINED_S:g} s")
        if self.rule == "bitrate":
            return f"{self.expected:g} kb/s ±{self.tolerance:g}%" + (f", ≤ {self.limit:g}" if self.limit else "")
        if self.rule == "unreviewed_words":
            return "none left unreviewed (WARN)"
        if self.rule == "keyframe_grid":
            return f"an IDR every {self.expected} frames, none between"
        if self.rule == "closed_gop":
            return "every GOP closed"
        return "reported"


@dataclass(frozen=True)
class CheckResult:
    """A judged check: what was measured (as the report shows it, and as a number in `unit` when
    there is one), against which limit, and the verdict."""

    id: str
    label: str
    status: Status
    measured: str
    limit: str
    detail: str = ""
    value: float | None = None
    unit: str = ""
    spans_s: tuple[Interval, ...] = ()
    """What the check flagged, as [start, end] in programme seconds (empty: nothing, or no time)."""
    span_notes: tuple[str, ...] = ()
    """What is wrong at each span, when it differs from span to span (one per `spans_s`, or none):
    cue 7's reading speed, cue 9 on screen over silence. The NLE markers carry it, so each marker
    says its own problem rather than the check's summary."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["spans_s"] = [[a, b] for a, b in self.spans_s]
        if not self.span_notes:
            del data["span_notes"]  # reports without them read as before
        else:
            data["span_notes"] = list(self.span_notes)
        return data

    def note_at(self, index: int) -> str:
        """The note of span `index`, "" when the check keeps none."""
        return self.span_notes[index] if len(self.span_notes) == len(self.spans_s) else ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        """A verdict as `to_dict` wrote it (a stored part of the QC report)."""
        value = data.get("value")
        return cls(str(data["id"]), str(data["label"]), Status(str(data["status"])), str(data.get("measured", "")),
                   str(data.get("limit", "")), str(data.get("detail", "")),
                   float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None,
                   str(data.get("unit", "")),
                   tuple((float(a), float(b)) for a, b in data.get("spans_s") or ()),
                   tuple(str(n) for n in data.get("span_notes") or ()))


@dataclass(frozen=True)
class PlanContext:
    """What the plan needs beyond the profile: expected duration (None when unknown: single-file QC)."""

    expected_frames: int | None = None
    programme_s: float | None = None
    extra_allowed: tuple[Interval, ...] = field(default_factory=tuple)
    # Where the edit itself uses a clip with no sound (a drone shot): silence there is the editor's.
    mute_windows: tuple[Interval, ...] = field(default_factory=tuple)


def is_broadcast(profile: Profile) -> bool:
    """Broadcast deliverables are held to legal range and carry a leader."""
    return profile.leader.enabled or profile.name.startswith("broadcast")


def allowed_windows(profile: Profile, file_s: float | None) -> tuple[Interval, ...]:
    """Where black, still picture and silence are intended: the leader, and ≤ 1 s fades at both ends."""
    lead = profile.leader.total_s
    windows: list[Interval] = []
    if lead:
        windows.append((0.0, lead))
    windows.append((lead, lead + FADE_ALLOWANCE_S))
    if file_s is not None:
        windows.append((max(lead, file_s - FADE_ALLOWANCE_S), file_s + 1.0))
    return tuple(windows)


_PCM_CODECS = ("pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_s16be", "pcm_s24be")


def expected_level(profile: Profile) -> int | None:
    """ffprobe's numeric level for the profile's level ('3.1' → 31, MPEG-2 'high' → 4), from the
    table the encoder is given its level by (`media/codecs.py`), so QC holds a file to what was asked."""
    v = profile.video
    return None if v.level is None else level_number(v.codec, v.profile, v.level)


def plan_for(profile: Profile, ctx: PlanContext = PlanContext()) -> list[CheckSpec]:
    """Every check for a file of `profile`: technical fields, loudness, picture, sound and duration."""
    v, a, loud = profile.video, profile.audio, profile.loudness
    file_s = None if ctx.programme_s is None else ctx.programme_s + profile.leader.total_s
    allowed = allowed_windows(profile, file_s) + ctx.extra_allowed
    fmt_names = {"mp4": "mov,mp4", "mov": "mov,mp4", "mxf": "mxf", "mpegts": "mpegts"}
    specs = [
        CheckSpec("container.format", "Container", "container.format", "equals", fmt_names[profile.container.format]),
        CheckSpec("container.extension", "File extension", "container.extension", "equals",
                  profile.container.extension),
    ]
    if profile.container.faststart:
        specs.append(CheckSpec("container.faststart", "Index at the front (faststart)", "container.moov_first",
                               "equals", True, why="playback starts before the download ends"))
    specs += [
        CheckSpec("video.codec", "Video codec", "video.codec", "equals", v.codec),
        CheckSpec("video.profile", "Codec profile", "video.profile", "equals", _norm_profile(v.profile)),
    ]
    level = expected_level(profile)
    if level is not None:
        # MPEG-2 level numbers are not ordered (4:2:2@High is 2, MP@High 4): those must match exactly
        rule: Rule = "equals" if v.codec == "mpeg2video" else "level_at_most"
        specs.append(CheckSpec("video.level", "Codec level", "video.level", rule, level))
    rate = v.rate
    specs += [
        CheckSpec("video.pix_fmt", "Pixel format", "video.pix_fmt", "equals", v.pix_fmt),
        CheckSpec("video.size", "Frame size", "video.size", "equals", f"{v.width}x{v.height}"),
        CheckSpec("video.rate", "Frame rate", "video.rate", "equals", fmt_rate(rate, exact=True), unit="fps"),
        CheckSpec("video.field_order", "Field order", "video.field_order", "one_of",
                  ("progressive",) if not v.interlaced else ("tt", "tb")),
    ]
    if v.bitrate_kbps:
        cbr = v.minrate_kbps == v.maxrate_kbps == v.bitrate_kbps
        specs.append(CheckSpec("video.bitrate", "Video bit rate (average)", "video.bitrate_kbps", "bitrate",
                               v.bitrate_kbps, tolerance=5.0 if cbr else 50.0,
                               limit=float(v.maxrate_kbps) if v.maxrate_kbps and not cbr else None, unit="kb/s",
                               why="CBR within ±5 %; VBR at most the maxrate (WARN below half the target)"))
    if v.codec != "prores":
        specs.append(CheckSpec("video.gop", "GOP length (max keyframe spacing)", "video.gop_max", "at_most",
                               limit=float(v.gop), unit="frames"))
    audio_codecs = _PCM_CODECS if a.codec == "pcm" else ("aac",)
    specs += [
        CheckSpec("audio.codec", "Audio codec", "audio.codec", "one_of", audio_codecs),
        CheckSpec("audio.sample_rate", "Audio sample rate", "audio.sample_rate", "equals", a.sample_rate, unit="Hz"),
        CheckSpec("audio.channels", "Audio channels (all tracks)", "audio.channels", "equals", a.channels),
    ]
    if a.mono_tracks:
        specs.append(CheckSpec("audio.tracks", "Audio tracks (one channel each)", "audio.tracks", "equals",
                               a.channels))
    if a.bit_depth:
        specs.append(CheckSpec("audio.bit_depth", "Audio bit depth", "audio.bit_depth", "equals", a.bit_depth,
                               unit="bit"))
    if a.bitrate_kbps and a.codec in VBR_AUDIO_CODECS:
        # ffmpeg's AAC encoder undershoots its target on easy content (136 kb/s of 256 on quiet
        # speech): the target is a ceiling. What proves it was encoded as asked is the rate the
        # encoder was set to, which the MP4 records (esds maxBitrate).
        specs.append(CheckSpec("audio.bitrate", "Audio bit rate (average)", "audio.bitrate_kbps", "bitrate",
                               a.bitrate_kbps, tolerance=10.0, limit=float(a.bitrate_kbps), unit="kb/s",
                               undershoot_ok=True, why="AAC is VBR in practice: the target is a ceiling (+10 %)"))
        if profile.container.format in ("mp4", "mov"):
            specs.append(CheckSpec("audio.bitrate_configured", "Audio bit rate (encoder setting)",
                                   "audio.bitrate_configured_kbps", "bitrate", a.bitrate_kbps, tolerance=10.0,
                                   unit="kb/s", why="the rate the encoder was set to, as the MP4 records it"))
    elif a.bitrate_kbps:
        specs.append(CheckSpec("audio.bitrate", "Audio bit rate", "audio.bitrate_kbps", "bitrate", a.bitrate_kbps,
                               tolerance=10.0, unit="kb/s", why="constant bit rate: within ±10 %"))
    specs += [
        CheckSpec("loudness.integrated", "Integrated loudness (programme)", "loudness.integrated", "near",
                  loud.target_lufs, tolerance=loud.tolerance_lu, unit="LUFS", why="ITU-R BS.1770-4 gated"),
        CheckSpec("loudness.true_peak", "True peak", "loudness.true_peak", "at_most",
                  limit=loud.true_peak_max_dbtp, unit="dBTP"),
        CheckSpec("loudness.lra", "Loudness range", "loudness.lra", "report", unit="LU"),
        CheckSpec("picture.black", "Black picture", "picture.black", "intervals", warn=0.2, limit=0.5,
                  allowed=allowed, why="leader and ≤ 1 s fades are intended"),
        # A held shot (a still, a map, a graphic) is an editorial choice, so a freeze asks for a look;
        # only one as long as a stuck feed fails.
        CheckSpec("picture.freeze", "Frozen picture", "picture.freeze", "intervals", warn=2.0, limit=30.0,
                  allowed=allowed, why="leader and ≤ 1 s fades are intended; held shots need a look"),
        CheckSpec("audio.silence", "Silence (< −60 dBFS)", "audio.silence", "intervals", warn=1.0, limit=2.0,
                  allowed=allowed + ctx.mute_windows,
                  why="leader, ≤ 1 s fades and clips cut without sound are intended"),
    ]
    if is_broadcast(profile):
        specs.append(CheckSpec("picture.legal_range", "Legal range (signalstats)", "picture.legal", "legal_range",
                               allowed=((0.0, profile.leader.total_s),) if profile.leader.total_s else ()))
    if ctx.expected_frames is not None:
        specs.append(CheckSpec("duration", "Duration (frames)", "duration.frames", "equals", ctx.expected_frames,
                               unit="frames", why="timeline + leader (broadcast) or the social excerpt"))
    else:
        specs.append(CheckSpec("duration", "Duration (frames)", "duration.frames", "report", unit="frames"))
    return specs


RECOGNISED_LANG = "vi"
"""The language recognised speech gives cues in: the one whose uncertain words are counted."""


def subtitles_plan(lang: str) -> list[CheckSpec]:
    """The checks of a language's delivered subtitles judged by a rule of this plan (lint, coverage
    and silence are `qc.subtitles`' own): for recognised Vietnamese, the words the recogniser was
    unsure of that nobody has looked at yet (a WARN: the file is deliverable, a person should listen)."""
    if lang != RECOGNISED_LANG:
        return []
    return [CheckSpec(f"subtitles.{lang}.uncertain_words", f"Subtitles {lang}: uncertain recognised words reviewed",
                      "subtitles.uncertain_words", "unreviewed_words", unit="words",
                      why="words the recogniser flagged low_probability, in cues nobody has edited since")]


def _norm_profile(text: str | None) -> str:
    """'4:2:2' and '422', 'High' and 'high', 'HQ' → comparable lower-case alphanumerics."""
    return "".join(ch for ch in (text or "").lower() if ch.isalnum())


# ---------------------------------------------------------------------------------------------
# Verdicts


@dataclass(frozen=True)
class Judged:
    """What an evaluator returns: the verdict, the measured text, a detail, and the number behind
    it (`unit` None: the spec's unit)."""

    status: Status
    measured: str
    detail: str = ""
    value: float | None = None
    unit: str | None = None
    spans: tuple[Interval, ...] = ()
    """Flagged stretches in file seconds (`evaluate` moves them to programme seconds)."""
    notes: tuple[str, ...] = ()
    """What is wrong at each of `spans` (`CheckResult.span_notes`)."""


Evaluator = Callable[["CheckSpec", Any, str], Judged]
RULES: dict[str, Evaluator] = {}
"""Rule name → evaluator; filled by `@_rule` below and checked against `Rule` at import."""


def _rule(name: Rule) -> Callable[[Evaluator], Evaluator]:
    def register(fn: Evaluator) -> Evaluator:
        if name in RULES:
            raise ImportError(f"qc rule {name!r} registered twice")
        RULES[name] = fn
        return fn
    return register


def _number(value: Any) -> float | None:
    """A measurement as a number, when it is one (bools and text are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def evaluate(spec: CheckSpec, measurements: Mapping[str, Any], offset_s: float = 0.0) -> CheckResult:
    """Judge one measurement against its spec; a missing measurement is a FAIL (or INFO for reports).
    `offset_s` turns file seconds into programme seconds for the flagged spans (the excerpt's start
    less the leader)."""
    limit = spec.limit_text()
    if spec.measure in SILENCE_MEASURES and measurements.get("audio.codec") and _silent(measurements):
        judged = _silence(spec)
        return CheckResult(spec.id, spec.label, judged.status, judged.measured, limit, judged.detail,
                           judged.value, spec.unit)
    if spec.measure not in measurements or measurements[spec.measure] is None:
        status = Status.INFO if spec.rule == "report" else Status.FAIL
        return CheckResult(spec.id, spec.label, status, "not measured", limit, "the file does not carry it",
                           unit=spec.unit)
    u = f" {spec.unit}" if spec.unit else ""
    judged = RULES[spec.rule](spec, measurements[spec.measure], u)
    spans = tuple((round(max(0.0, a + offset_s), 3), round(max(0.0, b + offset_s), 3)) for a, b in judged.spans)
    return CheckResult(spec.id, spec.label, judged.status, judged.measured, limit, judged.detail, judged.value,
                       spec.unit if judged.unit is None else judged.unit, spans, judged.notes)


SILENCE_LUFS = -70.0
"""BS.1770's absolute gate: a programme with nothing louder has no integrated loudness (−inf)."""
SILENCE_MEASURES = frozenset({"loudness.integrated", "loudness.true_peak", "loudness.lra"})
SILENCE_FIX = ("the programme has no sound to bring to the target: a deliverable needs programme sound — add a "
               "music bed or a voice-over to the edit (a clip with sound in the cut, or an audio track in the NLE "
               "edit), then run again")


def _silent(measurements: Mapping[str, Any]) -> bool:
    """The file has a sound track and nothing in it passes the absolute gate (measured −70 LUFS or
    −inf, which the record keeps as no number)."""
    if "loudness.integrated" not in measurements:
        return False  # not measured at all: the usual "not measured"
    x = measurements["loudness.integrated"]
    return x is None or (isinstance(x, int | float) and not isinstance(x, bool) and x <= SILENCE_LUFS)


def _silence(spec: CheckSpec) -> Judged:
    """The loudness checks of a silent programme: one FAIL with the fix (no gain makes silence
    −23 LUFS), its true peak no problem, its range not a figure."""
    if spec.measure == "loudness.integrated":
        return Judged(Status.FAIL, "silent (−inf LUFS, nothing above the −70 LUFS gate)", SILENCE_FIX)
    if spec.measure == "loudness.true_peak":
        return Judged(Status.PASS, "−inf dBTP (silent)")
    return Judged(Status.INFO, "— (silent)")


@_rule("equals")
def _equals(spec: CheckSpec, value: Any, u: str) -> Judged:
    if spec.measure == "video.profile":
        value = _norm_profile(str(value))
    ok = value == spec.expected
    return Judged(Status.PASS if ok else Status.FAIL, f"{value}{u}", "" if ok else f"expected {spec.expected}{u}",
                  _number(value))


@_rule("one_of")
def _one_of(spec: CheckSpec, value: Any, u: str) -> Judged:
    return Judged(Status.PASS if value in spec.expected else Status.FAIL, f"{value}{u}", "", _number(value))


@_rule("near")
def _near(spec: CheckSpec, value: Any, u: str) -> Judged:
    x = float(value)
    if not math.isfinite(x):
        return Judged(Status.FAIL, f"{x}{u}")
    off = round(x - float(spec.expected), 1)
    ok = abs(off) <= (spec.tolerance or 0)
    return Judged(Status.PASS if ok else Status.FAIL, f"{x:.1f}{u}", f"{off:+.1f} from target", x)


@_rule("at_most")
def _at_most(spec: CheckSpec, value: Any, u: str) -> Judged:
    x = float(value)
    shown = round(x, 1)
    ok = shown <= (spec.limit if spec.limit is not None else math.inf)
    return Judged(Status.PASS if ok else Status.FAIL, f"{shown:g}{u}", "", _number(x))


@_rule("at_least")
def _at_least(spec: CheckSpec, value: Any, u: str) -> Judged:
    x = float(value)
    ok = x >= (spec.limit if spec.limit is not None else -math.inf)
    return Judged(Status.PASS if ok else Status.FAIL, f"{x:g}{u}", "", _number(x))


@_rule("level_at_most")
def _level(spec: CheckSpec, value: Any, u: str) -> Judged:
    x = int(value)
    if x == spec.expected:
        return Judged(Status.PASS, str(x), "", x)
    if x < int(spec.expected):
        return Judged(Status.PASS, str(x), "lower level than declared: every decoder of the declared level plays it", x)
    return Judged(Status.FAIL, str(x), "above the declared level", x)


@_rule("bitrate")
def _bitrate(spec: CheckSpec, value: Any, u: str) -> Judged:
    x = float(value)
    target = float(spec.expected)
    pct = (x - target) / target * 100
    detail = f"{pct:+.0f} % of target"
    if spec.limit is not None:  # VBR: the ceiling matters, undershoot is only worth a look
        slack = (spec.tolerance or 0.0) / 100 if spec.undershoot_ok else 0.05
        if x > spec.limit * (1 + slack):
            return Judged(Status.FAIL, f"{x:.0f}{u}", detail + f", above the {spec.limit:g} maxrate", x)
        low = x < target * 0.5 and not spec.undershoot_ok
        return Judged(Status.WARN if low else Status.PASS, f"{x:.0f}{u}", detail, x)
    tol = spec.tolerance or 0.0
    if abs(pct) <= tol:
        return Judged(Status.PASS, f"{x:.0f}{u}", detail, x)
    return Judged(Status.WARN if abs(pct) <= 2 * tol else Status.FAIL, f"{x:.0f}{u}", detail, x)


@_rule("report")
def _report(spec: CheckSpec, value: Any, u: str) -> Judged:
    shown = f"{value:.1f}" if isinstance(value, float) else str(value)
    return Judged(Status.INFO, f"{shown}{u}", "", _number(value))


@_rule("unreviewed_words")
def _unreviewed_words(spec: CheckSpec, value: Any, u: str) -> Judged:
    """Value (`checks.uncertain_words`): {"recorded", "words", "cues", "first_tc", "spans_s"}. WARN
    naming how many uncertain words in how many cues are left and where the first is; PASS when none."""
    if not value.get("recorded", True):
        return Judged(Status.INFO, "not recorded", "the subtitles record predates uncertain words: "
                      "run `reportage subtitles make MANIFEST` again")
    words, cues = int(value.get("words") or 0), int(value.get("cues") or 0)
    if words == 0:
        return Judged(Status.PASS, "none", "", 0.0)
    plural = "s" if words != 1 else ""
    detail = (f"{words} uncertain recognised word{plural} in {cues} cue{'s' if cues != 1 else ''} nobody has "
              f"reviewed (first at {value.get('first_tc', '?')}): review them in the review room")
    spans = tuple((float(a), float(b)) for a, b in value.get("spans_s") or ())
    return Judged(Status.WARN, f"{words} word{plural} in {cues} cue{'s' if cues != 1 else ''}", detail,
                  float(words), None, spans)


RERENDER = "render it again (`reportage render MANIFEST --force`)"


def _frames_at(frames: Sequence[int], fps: float, most: int = 5) -> str:
    """`frame 37 (00:00:01.48), frame 74 (…) and 3 more`: where in the file, for an editor."""
    shown = [f"frame {n}" + (f" ({_clock(n / fps)})" if fps > 0 else "") for n in frames[:most]]
    return ", ".join(shown) + (f" and {len(frames) - most} more" if len(frames) > most else "")


@_rule("keyframe_grid")
def _keyframe_grid(spec: CheckSpec, value: Any, u: str) -> Judged:
    """Value (`checks.gop_structure`): {"frames", "fps", "keyframes", "open"}. A streaming rung is cut
    into segments on a fixed grid of `expected` frames, so a keyframe is needed on every multiple of
    it (each segment starts on an IDR) and nowhere else (an extra one wastes bits and marks no
    segment). FAIL naming the keyframes off the grid and the grid points without one."""
    gop = int(spec.expected)
    fps = float(value.get("fps") or 0.0)
    keys = sorted({int(k) for k in value.get("keyframes") or ()})
    off = [k for k in keys if k % gop]
    missing = sorted(set(range(0, int(value.get("frames") or 0), gop)) - set(keys))
    if not off and not missing:
        return Judged(Status.PASS, f"{len(keys)} keyframes, one every {gop} frames", "", 0.0, "keyframes")
    found = ([f"keyframes off the grid at {_frames_at(off, fps)}"] if off else []) + (
        [f"no keyframe at {_frames_at(missing, fps)}"] if missing else [])
    detail = (f"{'; '.join(found)}: the stream is cut into segments every {gop} frames and each must start "
              f"on an IDR, with none between; {RERENDER}")
    return Judged(Status.FAIL, f"{len(off)} off the grid, {len(missing)} missing", detail,
                  float(len(off) + len(missing)), "keyframes")


@_rule("closed_gop")
def _closed_gop(spec: CheckSpec, value: Any, u: str) -> Judged:
    """Value (`checks.gop_structure`): the keyframes after which a picture is decoded that is shown
    before them ("open"): such a GOP leans on the one before, so a segment starting there cannot be
    decoded alone (a player joining or switching there shows garbage)."""
    fps = float(value.get("fps") or 0.0)
    opened = sorted(int(k) for k in value.get("open") or ())
    if not opened:
        return Judged(Status.PASS, "closed", "", 0.0, "GOPs")
    detail = (f"pictures decoded after the keyframe at {_frames_at(opened, fps)} are shown before it (open GOP): "
              f"a segment starting there needs the one before; encode closed GOPs and {RERENDER}")
    return Judged(Status.FAIL, f"{len(opened)} open GOP{'s' if len(opened) != 1 else ''}", detail,
                  float(len(opened)), "GOPs")


def outside(intervals: Sequence[Interval], allowed: Sequence[Interval]) -> list[Interval]:
    """The parts of `intervals` not covered by any `allowed` window (slivers under 1 µs dropped)."""
    return subtract(intervals, allowed, min_length=1e-6)


@_rule("intervals")
def _intervals(spec: CheckSpec, value: Any, u: str) -> Judged:
    """Value: the longest interval outside the allowed windows, in seconds (0 when none)."""
    rest = outside([(float(a), float(b)) for a, b in value], spec.allowed)
    longest = max(rest, key=lambda ab: ab[1] - ab[0], default=None)
    span = 0.0 if longest is None else longest[1] - longest[0]
    if longest is None or span < (spec.warn or 0):
        total = len(value)
        return Judged(Status.PASS, "none outside allowed" + (f" ({total} intended)" if total else ""), "",
                      round(span, 3), "s")
    measured = f"{span:.2f} s at {_clock(longest[0])}"
    where = ", ".join(f"{_clock(a)}–{_clock(b)}" for a, b in rest[:5])
    status = Status.FAIL if span >= (spec.limit or 0) else Status.WARN
    # the stretches flagged are the ones long enough to matter: a 0.6 s still under a 2 s rule is
    # no problem, and would be a marker an editor checks for nothing
    flagged = tuple((a, b) for a, b in rest if b - a >= (spec.warn or 0))
    notes = tuple(f"{spec.label.lower()} for {b - a:.2f} s" for a, b in flagged)
    return Judged(status, measured, f"{len(rest)} outside allowed: {where}", round(span, 3), "s", flagged, notes)


@_rule("legal_range")
def _legal(spec: CheckSpec, value: Any, u: str) -> Judged:
    """`value`: per-frame tuples (t, ymin, ymax, umin, umax, vmin, vmax[, brng]) in 8-bit codes, brng a
    fraction of the frame's pixels; a 7-tuple (measured before BRNG was read) has no area figure.
    The number reported is the longest run of frames breaking EBU R103, in seconds."""
    frames = [f for f in value if not any(lo <= f[0] < hi for lo, hi in spec.allowed)]
    if not frames:
        return Judged(Status.INFO, "no frames outside the leader")
    ext = (min(f[1] for f in frames), max(f[2] for f in frames), min(min(f[3], f[5]) for f in frames),
           max(max(f[4], f[6]) for f in frames))
    measured = f"Y {ext[0]:.0f}–{ext[1]:.0f}, C {ext[2]:.0f}–{ext[3]:.0f}"
    areas = [(a, f[0]) for f in frames if (a := area(f)) is not None]
    worst_area = max(areas, default=None)
    if worst_area is not None:
        measured += f"; worst frame {_pct(worst_area[0])} % of pixels out"
    out = [f for f in frames if breaks_r103(f)]
    if not out:
        return Judged(Status.PASS, measured, "", 0.0, "s")
    step = _frame_step([f[0] for f in frames])
    runs = breaking_runs(frames, step)
    best = max((count for _, _, count in runs), default=0)
    best_s = best * step
    worst_out = max(out, key=lambda f: (area(f) or 0.0, excursion(f)))
    worst_area_out = area(worst_out)
    worst_text = (f"{_pct(worst_area_out)} % at {_clock(worst_out[0])}" if worst_area_out is not None
                  else f"Y {worst_out[1]:.0f}–{worst_out[2]:.0f} at {_clock(worst_out[0])}")
    detail = (f"{len(out)} of {len(frames)} frames break EBU R103 (more than {LEGAL_AREA * 100:g} % of pixels "
              f"outside Y 16–235 / C 16–240); worst frame {worst_text}; "
              f"longest run {best_s:.2f} s")
    # a run of N frames lasts N × step; compare with a little slack for timestamps' float noise
    return Judged(Status.FAIL if best_s >= LEGAL_SUSTAINED_S - 1e-6 else Status.WARN, measured, detail,
                  round(best_s, 3), "s", tuple((a, b) for a, b, _ in runs))


def breaking_runs(frames: Sequence[Sequence[float]], step: float) -> list[tuple[float, float, int]]:
    """Runs of consecutive frames that break EBU R103: (start, end, frames), in the frames' time; a
    frame lasts `step` seconds and a missing frame ends a run."""
    runs: list[tuple[float, float, int]] = []
    prev: float | None = None
    for f in frames:
        if not breaks_r103(f):
            prev = None
            continue
        t = float(f[0])
        if prev is not None and runs and abs(t - prev - step) < step / 2:
            start, _, count = runs[-1]
            runs[-1] = (start, t + step, count + 1)
        else:
            runs.append((t, t + step, 1))
        prev = t
    return runs


def area(frame: Sequence[float]) -> float | None:
    """The fraction of a frame's pixels outside Y 16–235 / C 16–240 (signalstats BRNG); None when the
    record predates BRNG (7 values)."""
    return float(frame[7]) if len(frame) > 7 else None


def beyond_tolerance(frame: Sequence[float]) -> bool:
    """Whether a frame's extremes go beyond EBU R103's −5 %/105 % (Y 5–246, C 5–251 in 8-bit codes)."""
    _, ymin, ymax, umin, umax, vmin, vmax = frame[:7]
    return (ymin < LEGAL_Y[0] or ymax > LEGAL_Y[1]
            or min(umin, vmin) < LEGAL_C[0] or max(umax, vmax) > LEGAL_C[1])


def breaks_r103(frame: Sequence[float]) -> bool:
    """EBU R103's area rule per frame: more than 1 % of the pixels out of range. Without an area
    figure (an older record), any pixel beyond the −5 %/105 % tolerance."""
    a = area(frame)
    return a > LEGAL_AREA if a is not None else beyond_tolerance(frame)


def excursion(frame: Sequence[float]) -> float:
    """How many 8-bit codes a frame's extremes go past Y 16–235 / C 16–240 (0 when legal)."""
    _, ymin, ymax, umin, umax, vmin, vmax = frame[:7]
    return max(0.0, 16 - ymin, ymax - 235, 16 - umin, umax - 240, 16 - vmin, vmax - 240)


def _pct(fraction: float) -> str:
    if fraction <= 0:
        return "0"
    return f"{fraction * 100:.1f}" if fraction >= 0.001 else f"{fraction * 100:.2f}"


def _frame_step(times: Sequence[float]) -> float:
    steps = sorted(b - a for a, b in itertools.pairwise(times) if b > a)
    return steps[len(steps) // 2] if steps else 0.04


def _clock(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    h, m = divmod(int(m), 60)
    return f"{h:02d}:{m:02d}:{s:05.2f}"


_unregistered = set(get_args(Rule)) ^ set(RULES)
if _unregistered:
    raise ImportError(f"qc rules and evaluators disagree: {', '.join(sorted(_unregistered))}")
