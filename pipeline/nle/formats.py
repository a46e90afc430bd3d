"""The four interchange formats and how each is read through OpenTimelineIO.

Known losses of the adapters (measured with opentimelineio 0.18 and the 1.0 adapters) are handled
here, so the rest of the package sees one timeline with a start timecode:
- FCPXML: the reader drops the sequence's `tcStart`; it is read from the XML attribute instead. The
  reader also skips `<transition>` elements silently, so an FCPXML that has any is refused.
- CMX3600 EDL: the reader needs the rate (default 24) and sets no start; the start is the first
  event's record-in. The adapter's writer is not used (see edl.py).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, cast

import opentimelineio as otio  # type: ignore[import-untyped]

from ..errors import ManifestError

Format = Literal["fcp7xml", "fcpxml", "otio", "edl"]
FORMATS: tuple[Format, ...] = ("fcp7xml", "fcpxml", "otio", "edl")

ADAPTERS: dict[Format, str] = {"fcp7xml": "fcp_xml", "fcpxml": "fcpx_xml", "otio": "otio_json", "edl": "cmx_3600"}
EXTENSIONS: dict[Format, str] = {"fcp7xml": ".xml", "fcpxml": ".fcpxml", "otio": ".otio", "edl": ".edl"}
_BY_EXTENSION: dict[str, Format] = {".xml": "fcp7xml", ".fcpxml": "fcpxml", ".fcpxmld": "fcpxml",
                                    ".otio": "otio", ".edl": "edl"}

_EDL_EVENT = re.compile(r"^\s*\d{3,6}\s+\S+\s+\S+\s+\S+(?:\s+\d+)?\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$")


@dataclass(frozen=True)
class ReadEdit:
    """An edit as OTIO read it, with the start timecode (in frames at `rate`) its reader may lose."""

    timeline: otio.schema.Timeline
    format: Format
    rate: Fraction
    start_frames: int


def format_of(path: Path, explicit: str | None = None) -> Format:
    """The format named in the manifest, else the one the extension says; ManifestError otherwise."""
    if explicit is not None:
        for known in FORMATS:
            if known == explicit:
                return known
        raise ManifestError(f"timeline.format {explicit!r} is not one of {', '.join(FORMATS)}", path=path)
    fmt = _BY_EXTENSION.get(path.suffix.lower())
    if fmt is None:
        raise ManifestError(f"cannot tell the edit's format from the extension {path.suffix!r}", path=path,
                            hint="name it with `timeline: {edit: FILE, format: fcp7xml|fcpxml|otio|edl}`")
    return fmt


def rate_of(value: float) -> Fraction:
    """OTIO's float rate as the exact broadcast rate it stands for (29.97002997 → 30000/1001)."""
    exact = Fraction(value).limit_denominator(1001)
    for ntsc in (24, 30, 60):
        if abs(value - ntsc * 1000 / 1001) < 1e-3:
            return Fraction(ntsc * 1000, 1001)
    return exact


def read_edit(path: Path, fmt: Format, house_rate: Fraction) -> ReadEdit:
    """Read an edit file; ManifestError naming the file when it cannot be read."""
    if not path.is_file():
        raise ManifestError("the edit file does not exist", path=path,
                            hint="export the sequence from the NLE next to the manifest and name it in timeline.edit")
    if fmt == "fcpxml":
        _refuse_fcpxml_transitions(path)
    kwargs: dict[str, Any] = {"rate": float(house_rate)} if fmt == "edl" else {}
    try:
        result = otio.adapters.read_from_file(str(path), adapter_name=ADAPTERS[fmt], **kwargs)
    except Exception as exc:  # the adapters raise anything from KeyError to their own errors
        raise ManifestError(f"cannot read the edit as {fmt} ({type(exc).__name__}: {exc})", path=path,
                            hint="export it again from the NLE, or give `format:` if the extension misleads") from exc
    timeline = _one_timeline(result, path)
    rate = _rate_of_timeline(timeline, house_rate)
    if fmt == "edl":
        start = _edl_start(path, rate)
    elif fmt == "fcpxml":
        start = _fcpxml_start(path, rate)
    else:
        gst = timeline.global_start_time
        start = round(Fraction(gst.value) * rate / rate_of(gst.rate)) if gst is not None else 0
    return ReadEdit(timeline, fmt, rate, start)


def _one_timeline(result: Any, path: Path) -> otio.schema.Timeline:
    if isinstance(result, otio.schema.Timeline):
        return result
    timelines = [t for t in getattr(result, "find_children", lambda **_: [])(descended_from_type=otio.schema.Timeline)]
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = [t for t in result if isinstance(t, otio.schema.Timeline)] or timelines
    if len(timelines) != 1:
        raise ManifestError(f"the file holds {len(timelines)} sequences; the pipeline takes one", path=path,
                            hint="export only the programme's sequence from the NLE")
    return cast(otio.schema.Timeline, timelines[0])


def _rate_of_timeline(timeline: otio.schema.Timeline, fallback: Fraction) -> Fraction:
    """The sequence's frame rate: the start time's rate, else the first clip's record rate."""
    if timeline.global_start_time is not None:
        return rate_of(timeline.global_start_time.rate)
    for track in timeline.video_tracks():
        for item in track:
            if isinstance(item, otio.schema.Clip):
                return rate_of(item.range_in_parent().duration.rate)
    return fallback


def _edl_start(path: Path, rate: Fraction) -> int:
    from ..timecode import Timecode

    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _EDL_EVENT.match(line)
        if match:
            try:
                return Timecode.parse(match.group(3), rate).frames
            except ValueError:
                continue
    return 0


def _fcpxml_start(path: Path, rate: Fraction) -> int:
    """`tcStart` of the first sequence, in frames ("36000s", "900000/25s")."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return 0
    sequence = root.find(".//sequence")
    text = sequence.get("tcStart") if sequence is not None else None
    return round(fcpx_seconds(text) * rate) if text else 0


def fcpx_seconds(text: str) -> Fraction:
    """An FCPXML time ("3600s", "18004/5s", "0s") as exact seconds."""
    value = text.strip().removesuffix("s")
    if "/" in value:
        num, _, den = value.partition("/")
        return Fraction(int(num), int(den))
    return Fraction(value)


def _refuse_fcpxml_transitions(path: Path) -> None:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ManifestError(f"is not well-formed XML ({exc})", path=path) from exc
    found = [t.get("name") or "transition" for t in root.iter("transition")]
    if found:
        raise ManifestError(
            f"has {len(found)} transition(s) ({', '.join(sorted(set(found)))}), which OpenTimelineIO's FCPXML "
            "reader skips without a word", path=path,
            hint="export the sequence as FCP7 XML or OTIO to keep its dissolves, or make them cuts")
