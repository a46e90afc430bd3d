"""The programme's clock as the review room shows it: broadcast timecode from the programme's start.

The masters, the EDL and the NLE exports count the programme from its start timecode (10:00:00:00
unless a deliverable's profile sets another), so a timecode read in the room must be that one: a
note saying "10:01:12:03" is found at 10:01:12:03 in the NLE and on the master. The start is the
NLE export's own (`nle.programme.start_timecode`), parsed at the timeline's rate as the export
parses it; times stay programme milliseconds everywhere else, and convert to and from timecode only
here, through `pipeline.timecode` as the rest of the code does.
"""

from __future__ import annotations

import contextlib
from fractions import Fraction
from typing import Any

from ..errors import ReportageError
from ..manifest import Programme
from ..nle.programme import DEFAULT_START_TC, start_timecode
from ..profiles import load_profile
from ..render.state import read_render_record
from ..timecode import Timecode
from ..workspace import Workspace


def _start_text(programme: Programme | None, ws: Workspace) -> str:
    """The start timecode as written: the manifest's deliverables' (what `reportage export` uses);
    without a manifest (the workspace listing), the first rendered deliverable's profile that sets
    one; else the house default."""
    if programme is not None:
        return start_timecode(programme)
    with contextlib.suppress(ReportageError):
        for entry in read_render_record(ws).deliverables.values():
            with contextlib.suppress(ReportageError, ValueError):
                start = load_profile(entry.profile).programme_start_tc
                if start:
                    return start
    return DEFAULT_START_TC


def programme_start(programme: Programme | None, ws: Workspace, rate: Fraction) -> Timecode:
    """The programme's first frame as a timecode at the timeline's `rate` (the house default when a
    profile's start cannot be read at that rate: the page must still open)."""
    try:
        return Timecode.parse(_start_text(programme, ws), rate)
    except ValueError:
        return Timecode.parse(DEFAULT_START_TC, rate)


def to_timecode(ms: int, start: Timecode) -> str:
    """Programme millisecond `ms` as broadcast timecode: its nearest frame (as `ms_to_timecode`
    rounds) counted from `start`."""
    return str(Timecode(start.frames + Timecode.from_ms(ms, start.rate).frames, start.rate))


def seconds_to_timecode(seconds: float, start: Timecode) -> str:
    """Programme `seconds` (QC's spans) as broadcast timecode."""
    return to_timecode(round(seconds * 1000), start)


def parse_timecode(text: str, start: Timecode) -> int:
    """Broadcast timecode (HH:MM:SS:FF, as the page shows it) as programme milliseconds, the time of
    that frame (`Timecode.ms`); ValueError naming what is wrong, or when it is before the start."""
    tc = Timecode.parse(str(text), start.rate)
    frames = tc.frames - start.frames
    if frames < 0:
        raise ValueError(f"{str(text).strip()} is before the programme's start {start}")
    return Timecode(frames, start.rate).ms


def clock_json(start: Timecode) -> dict[str, Any]:
    """What the page needs to count frames as the exports do: the start as text and in frames."""
    return {"start_tc": str(start), "start_frame": start.frames}
