"""QC of a streaming ladder: a deliverable that is a folder of one MP4 per rung (`Profile.ladder`),
each rung judged against its own rung profile, never against the top of the ladder.

Why rung by rung: the profile's `video` is the largest picture (1920×1080 at 6 Mb/s); a 960×540
rung judged against it would fail on size, level and bit rate while being exactly what was asked.
Each rung is held to its `Profile.rung_profiles` entry with the checks any H.264 MP4 deliverable
gets (codec, profile, level, size, rate, pixel format, bit rate, GOP length, duration, black and
frozen picture), plus what a stream packager needs of every rung: its colour signalling, an IDR on
every multiple of the GOP and nowhere else (a segment starts on each), closed GOPs, and the same
duration as the others. Only the first rung carries the sound (every variant of the stream shares
its one audio rendition): its audio, loudness and silence are checked as any deliverable's, and the
others are checked to carry none. Broadcast rules (legal range, the leader) never apply: a ladder is
whole-programme web delivery (`profiles._ladder_problems`).

Each rung is reported as a deliverable of its own, `<deliverable> <height>p` (`rung_name`), so every
verdict, failure line and review obstacle names the rung.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..profiles import Profile
from .plan import RERENDER, CheckResult, CheckSpec, PlanContext, Status, plan_for

SOUND_CHECK = "ladder.sound"
DURATION_CHECK = "ladder.duration"
RUNG_CHECK = "ladder.rung"
_SOUND_MEASURES = ("audio.", "loudness.")
"""What a picture-only rung is not measured for (its silence included: it has no sound to be silent)."""


def rung_label(profile: Profile) -> str:
    """`540p`: a rung as the ladder's folder names its file and players name the variant."""
    return f"{profile.video.height}p"


def rung_name(deliverable: str, profile: Profile) -> str:
    """`web-stream 540p`: the rung as QC reports it (and keys its measurement)."""
    return f"{deliverable} {rung_label(profile)}"


def rung_plan(profile: Profile, ctx: PlanContext, *, sounding: bool) -> list[CheckSpec]:
    """The checks of one rung (`profile`: its rung profile): those of any deliverable of its profile,
    the sound's only on the sounding rung, and after the GOP length the colour signalling, the
    keyframe grid and closed GOPs."""
    specs = [s for s in plan_for(profile, ctx) if sounding or not s.measure.startswith(_SOUND_MEASURES)]
    c, gop = profile.video.colour, profile.video.gop
    stream = [
        CheckSpec("video.colour", "Colour signalling (primaries/transfer/matrix/range)", "video.colour", "equals",
                  f"{c.primaries}/{c.transfer}/{c.matrix}/{c.range}",
                  why="players and the packager take the colour from the stream's own signalling"),
        CheckSpec("video.keyframe_grid", f"Keyframes on the segment grid (every {gop} frames)",
                  "video.gop_structure", "keyframe_grid", gop, unit="frames",
                  why="every stream segment starts on an IDR; a keyframe between costs bits and marks nothing"),
        CheckSpec("video.closed_gop", "Closed GOPs", "video.gop_structure", "closed_gop",
                  why="a segment must decode without the one before it"),
    ]
    at = next((i + 1 for i, s in enumerate(specs) if s.id == "video.gop"), len(specs))
    return specs[:at] + stream + specs[at:]


def sound_check(values: Mapping[str, Any], name: str, *, sounding: bool, first: str) -> CheckResult:
    """Whether the rung carries sound as a ladder must: the first rung (`first`, its name) the
    programme's, the others none."""
    codec = values.get("audio.codec")
    carried = f"{codec}, {values.get('audio.channels') or '?'} ch" if codec else "no sound"
    if sounding:
        if codec:
            return CheckResult(SOUND_CHECK, "Sound (the first rung carries it)", Status.PASS, carried,
                               "the programme's sound")
        return CheckResult(SOUND_CHECK, "Sound (the first rung carries it)", Status.FAIL, carried,
                           "the programme's sound",
                           f"{name} is the ladder's first rung: the stream takes its one audio rendition from it, "
                           f"so the programme would play silent; {RERENDER}")
    if not codec:
        return CheckResult(SOUND_CHECK, "Picture only (the first rung carries the sound)", Status.PASS, carried,
                           "no sound")
    return CheckResult(SOUND_CHECK, "Picture only (the first rung carries the sound)", Status.FAIL,
                       f"sound: {carried}", "no sound",
                       f"only the first rung ({first}) carries the sound and every variant shares it; {name} has "
                       f"its own, which the packager would take as a second audio rendition; {RERENDER}")


def duration_check(frames: Any, first_frames: Any, first: str) -> CheckResult:
    """A rung's length against the first rung's (`first`, its name): every variant of a stream
    covers the same time, or a player switching rungs jumps or stalls at the end."""
    label = f"Same duration as {first}"
    if not isinstance(frames, int) or not isinstance(first_frames, int):
        return CheckResult(DURATION_CHECK, label, Status.FAIL, "not measured", f"{first_frames} frames",
                           "the frame count of this rung or the first is unknown", unit="frames")
    if frames == first_frames:
        return CheckResult(DURATION_CHECK, label, Status.PASS, f"{frames} frames", f"{first_frames} frames",
                           value=float(frames), unit="frames")
    return CheckResult(DURATION_CHECK, label, Status.FAIL, f"{frames} frames", f"{first_frames} frames",
                       f"{frames - first_frames:+d} frames against {first}: every rung carries the same programme; "
                       f"{RERENDER}", float(frames), "frames")


def missing_rung(name: str, profile: Profile, path: Path) -> list[CheckResult]:
    """The verdict on a rung the profile asks for at this programme's size that the render did not
    record."""
    return [CheckResult("render", "Rendered file", Status.FAIL, "missing", "present",
                        f"{name}: the ladder has no {path.name} in renders/render.json; {RERENDER}")]


def stray_file(file: str, expected: Sequence[str]) -> list[CheckResult]:
    """The verdict on a file of the ladder's folder that is no rung of its profile at this
    programme's size (a rung of an older profile, a copy left in the folder)."""
    return [CheckResult(RUNG_CHECK, "Rung of the ladder", Status.FAIL, file, " or ".join(expected),
                        f"{file} is no rung of the profile at this programme's size, and would be streamed as one; "
                        f"{RERENDER}")]
