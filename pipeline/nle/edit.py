"""An OTIO timeline as plain events in whole frames: what the rest of the pipeline needs of an edit.

V1 (the first video track) is the picture. Its clips are numbered 1, 2, 3 … in record order, as an
EDL numbers events, and every message names that number, the clip and its record timecode. What the
programme cannot be made from is refused here with that name: a gap in the picture, a transition
with no clip on one side, a time that falls between frames. Whether a transition is a dissolve is
decided later (placement.py), where the refusal can name both clips.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import PurePosixPath, PureWindowsPath

import opentimelineio as otio  # type: ignore[import-untyped]

from ..fsutil import nfc
from ..timecode import Timecode
from .formats import ReadEdit, rate_of


class EditProblem(ValueError):
    """Something in the edit the programme cannot be made from; the text names the event."""


@dataclass(frozen=True)
class SourceRef:
    """What an event says about its source: names to match footage by, and where in it it starts."""

    name: str
    file_name: str | None
    reel: str | None
    start_s: Fraction
    """Start of the used range in the source's own time, seconds (the media's timecode included)."""
    rate: Fraction
    """The rate the edit counts the source in (for timecodes in messages)."""
    url: str | None = None


@dataclass(frozen=True)
class EditEvent:
    """A clip on a track: record position and length in frames at the edit's rate, from the track's
    start (not including the start timecode)."""

    number: int
    track: str
    source: SourceRef
    rec_in: int
    length: int

    @property
    def rec_out(self) -> int:
        return self.rec_in + self.length


@dataclass(frozen=True)
class EditTransition:
    """A transition on V1 at the start of event `number` (the incoming clip)."""

    number: int
    name: str
    transition_type: str
    before: int
    after: int


@dataclass(frozen=True)
class EditMarker:
    frame: int
    name: str
    duration: int
    color: str


@dataclass(frozen=True)
class Edit:
    """The edit, ready to be matched and conformed. Frames at `rate`; `start` is the start timecode."""

    name: str
    rate: Fraction
    start: int
    picture: tuple[EditEvent, ...]
    transitions: tuple[EditTransition, ...]
    audio: tuple[EditEvent, ...]
    markers: tuple[EditMarker, ...]
    notes: tuple[str, ...] = field(default=())

    def rec_tc(self, frame: int) -> str:
        """A record position as the NLE shows it (start timecode included)."""
        return str(Timecode(self.start + frame, self.rate))

    def where(self, event: EditEvent) -> str:
        return f"event {event.number} ({event.track} {self.rec_tc(event.rec_in)}, clip {event.source.name!r})"


def _frames(time: otio.opentime.RationalTime, rate: Fraction, what: str) -> int:
    """A time as whole frames at `rate`; EditProblem when it falls between frames."""
    exact = Fraction(time.value).limit_denominator(1000) * rate / rate_of(time.rate)
    frames = round(exact)
    if abs(exact - frames) > Fraction(1, 1000):
        raise EditProblem(f"{what} falls between frames of the edit's {float(rate):g} fps")
    return frames


def _file_name(url: str | None) -> str | None:
    if not url:
        return None
    path = urllib.parse.unquote(urllib.parse.urlparse(url).path if "://" in url else url)
    name = PureWindowsPath(path).name if "\\" in path else PurePosixPath(path).name
    return nfc(name) or None


def _get(meta: object, *keys: str) -> object:
    """A value down OTIO metadata (AnyDictionary, not dict), or None."""
    for key in keys:
        try:
            meta = meta[key]  # type: ignore[index]
        except (KeyError, TypeError, IndexError):
            return None
    return meta


def _reel(clip: otio.schema.Clip) -> str | None:
    """The reel/tape name: the EDL's reel column, FCP7's file/timecode/reel, or our own metadata."""
    ref_meta = clip.media_reference.metadata if clip.media_reference is not None else {}
    for found in (_get(clip.metadata, "cmx_3600", "reel"),
                  _get(clip.metadata, "fcp_xml", "file", "timecode", "reel", "name"),
                  _get(ref_meta, "fcp_xml", "timecode", "reel", "name"),
                  _get(clip.metadata, "reportage", "reel")):
        if isinstance(found, str) and found:
            return found
    return None


def _source(clip: otio.schema.Clip) -> SourceRef:
    ref = clip.media_reference
    url = getattr(ref, "target_url", None) if ref is not None else None
    start = clip.source_range.start_time if clip.source_range is not None else clip.trimmed_range().start_time
    rate = rate_of(start.rate)
    return SourceRef(nfc(clip.name or ""), _file_name(url), _reel(clip),
                     Fraction(start.value).limit_denominator(1000) / rate, rate, url)


def _clip_events(track: otio.schema.Track, label: str, rate: Fraction) -> tuple[list[EditEvent], list[tuple[int, int]]]:
    """The clips of a track as events, and the gaps between them (rec_in, length)."""
    events: list[EditEvent] = []
    gaps: list[tuple[int, int]] = []
    for item in track:
        if isinstance(item, otio.schema.Transition):
            continue
        span = item.range_in_parent()
        rec_in = _frames(span.start_time, rate, f"{label} item at {span.start_time.to_timecode()}")
        length = _frames(span.duration, rate, f"{label} item at {span.start_time.to_timecode()}")
        if isinstance(item, otio.schema.Clip):
            events.append(EditEvent(len(events) + 1, label, _source(item), rec_in, length))
        elif length > 0:
            gaps.append((rec_in, length))
    return events, gaps


def edit_from_otio(read: ReadEdit) -> Edit:
    """The events of an edit; EditProblem for what no programme can be made from."""
    timeline, rate = read.timeline, read.rate
    video = list(timeline.video_tracks())
    notes: list[str] = []
    if not video:
        raise EditProblem("the edit has no video track")
    v1 = video[0]
    picture, gaps = _clip_events(v1, "V1", rate)
    if not picture:
        raise EditProblem("V1 has no clips: the edit's picture track is empty")
    edit = Edit(timeline.name or "", rate, read.start_frames, tuple(picture), (), (), ())
    for rec_in, length in gaps:
        if rec_in < picture[-1].rec_out:
            raise EditProblem(f"V1 has a gap of {length} frame(s) at {edit.rec_tc(rec_in)}: the programme cannot "
                              "hold black that is not a clip; close the gap or fill it with a clip")
    for index, track in enumerate(video[1:], start=2):
        clips = [i for i in track if isinstance(i, otio.schema.Clip)]
        if clips:
            notes.append(f"V{index}: {len(clips)} clip(s) left out — only V1 is the programme's picture")
    transitions = _transitions(v1, picture, edit)
    audio: list[EditEvent] = []
    for index, track in enumerate(timeline.audio_tracks(), start=1):
        events, _ = _clip_events(track, f"A{index}", rate)
        audio += events
        if any(isinstance(i, otio.schema.Transition) for i in track):
            notes.append(f"A{index}: audio cross-fades are played as cuts")
    markers = _markers(timeline, v1, picture, rate)
    return Edit(edit.name, rate, read.start_frames, tuple(picture), tuple(transitions), tuple(audio), tuple(markers),
                tuple(notes))


def _transitions(track: otio.schema.Track, picture: list[EditEvent], edit: Edit) -> list[EditTransition]:
    out: list[EditTransition] = []
    children = list(track)
    clip_index = 0
    for position, item in enumerate(children):
        if isinstance(item, otio.schema.Clip):
            clip_index += 1
            continue
        if not isinstance(item, otio.schema.Transition):
            continue
        before = _frames(item.in_offset, edit.rate, "a transition's length")
        after = _frames(item.out_offset, edit.rate, "a transition's length")
        has_prev = any(isinstance(c, otio.schema.Clip) for c in children[:position])
        has_next = any(isinstance(c, otio.schema.Clip) for c in children[position + 1:])
        name = nfc(item.name or item.transition_type or "transition")
        if not (has_prev and has_next):
            side = "from black into" if not has_prev else "out of"
            event = picture[0] if not has_prev else picture[-1]
            raise EditProblem(f"{edit.where(event)}: the transition {name!r} fades {side} a clip with nothing on "
                              "its other side; the programme starts and ends on a cut (make it a cut)")
        out.append(EditTransition(clip_index + 1, name, str(item.transition_type or ""), before, after))
    return out


def _markers(timeline: otio.schema.Timeline, v1: otio.schema.Track, picture: list[EditEvent],
             rate: Fraction) -> list[EditMarker]:
    """Sequence, V1 and V1 clip markers in record frames from the track's start."""
    found: list[EditMarker] = []

    def add(marker: otio.schema.Marker, offset: Fraction) -> None:
        start = Fraction(marker.marked_range.start_time.value).limit_denominator(1000) \
            / rate_of(marker.marked_range.start_time.rate)
        duration = marker.marked_range.duration
        frames = round((start - offset) * rate)
        length = round(Fraction(duration.value).limit_denominator(1000) / rate_of(duration.rate) * rate) \
            if duration.rate else 0
        found.append(EditMarker(frames, nfc(marker.name or ""), max(0, length), str(marker.color or "RED")))

    for marker in [*timeline.tracks.markers, *v1.markers]:
        add(marker, Fraction(0))
    clips = [item for item in v1 if isinstance(item, otio.schema.Clip)]
    for clip, event in zip(clips, picture, strict=True):
        # a clip marker sits in the clip's source time: shift it to where the clip is in the record
        for marker in clip.markers:
            add(marker, event.source.start_s - Fraction(event.rec_in) / rate)
    return sorted(found, key=lambda m: (m.frame, m.name))
