"""The assembled programme back to the NLE: an OTIO timeline linked to the original footage (so the
NLE relinks to the camera files, not the working copies), starting at the programme's start timecode,
with the edit's markers, QC problems and review notes as markers, and the subtitles beside it.

Where each format keeps what (OpenTimelineIO 0.18 and its 1.0 adapters, measured):
- FCP7 XML, OTIO: sequence markers and the start timecode survive as they are.
- FCPXML: the writer drops sequence markers and the start timecode, so markers go on the V1 clip
  they fall in (clip markers, which FCP X shows in the timeline) and `tcStart` is written into the
  XML here.
- EDL: written by edl.py, not the adapter (see there). Both writers take the plan (`nle.plan`).
- Subtitles: no OTIO adapter carries a subtitle track. The .otio file keeps every cue in the
  timeline's metadata (`reportage.subtitles`); every format gets `<file>.vi.srt` / `.en.srt` beside
  it, which Premiere, Resolve and FCP X import as caption tracks.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio  # type: ignore[import-untyped]

from .. import fsutil
from ..timeline import Marker
from .edl import write_edl
from .formats import ADAPTERS, Format
from .match import FootageClip
from .plan import ExportPlan

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
_COLORS = {"RED", "PINK", "ORANGE", "YELLOW", "GREEN", "CYAN", "BLUE", "PURPLE", "MAGENTA", "BLACK", "WHITE"}


def _rt(frames: float | int, rate: Fraction) -> Any:
    return RT(float(frames), float(rate))


def _reference(plan: ExportPlan, clip: FootageClip) -> Any:
    frames = round(Fraction(clip.duration_ms, 1000) * plan.rate)
    return otio.schema.ExternalReference(
        target_url=clip.source.absolute().as_uri(),
        available_range=TR(_rt(plan.source_start_frames(clip), plan.rate), _rt(frames, plan.rate)),
        metadata={"reportage": {"clip_id": clip.clip_id}})


def _clip(plan: ExportPlan, clip_id: str, src_in: int, length: int) -> Any:
    clip = plan.footage[clip_id]
    start = plan.source_start_frames(clip) + src_in
    return otio.schema.Clip(name=clip.source.name, media_reference=_reference(plan, clip),
                            source_range=TR(_rt(start, plan.rate), _rt(length, plan.rate)),
                            metadata={"reportage": {"clip_id": clip_id}})


def _marker(m: Marker, rate: Fraction, at: float | None = None) -> Any:
    color = m.color.upper() if m.color.upper() in _COLORS else "RED"
    return otio.schema.Marker(name=m.name, color=color,
                              marked_range=TR(_rt(m.frame if at is None else at, rate), _rt(m.duration, rate)),
                              metadata={"reportage": {"source": m.source}})


def build_otio(plan: ExportPlan, fmt: Format) -> Any:
    """The programme as an OTIO timeline for `fmt` (markers placed where that format keeps them)."""
    tl = plan.timeline
    out = otio.schema.Timeline(name=plan.name)
    out.global_start_time = _rt(plan.start_frame, plan.rate)
    v1 = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    dissolves = {t.index: t for t in tl.transitions}
    clips = []
    for index, seg in enumerate(tl.segments):
        if index in dissolves:
            t = dissolves[index]
            v1.append(otio.schema.Transition(name="Cross Dissolve",
                                             transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                                             in_offset=_rt(t.before, plan.rate), out_offset=_rt(t.after, plan.rate)))
        clip = _clip(plan, seg.clip_id, seg.src_in_frame, seg.length)
        v1.append(clip)
        clips.append((seg, clip))
    out.tracks.append(v1)
    for track in _audio_tracks(plan):
        out.tracks.append(track)
    if fmt == "fcpxml":
        for m in plan.markers:
            for seg, clip in clips:
                at_end = m.frame == seg.rec_out_frame == tl.duration_frames
                if seg.rec_in_frame <= m.frame < seg.rec_out_frame or at_end:
                    at = clip.source_range.start_time.value + (m.frame - seg.rec_in_frame)
                    clip.markers.append(_marker(m, plan.rate, at))
                    break
    else:
        for m in plan.markers:
            out.tracks.markers.append(_marker(m, plan.rate))
    if fmt == "otio" and plan.subtitles:
        out.metadata["reportage"] = {"subtitles": {
            lang: [{"start_frame": c.start_frame, "end_frame": c.end_frame, "text": c.text} for c in cues]
            for lang, cues in plan.subtitles.items()}}
    return out


def _audio_tracks(plan: ExportPlan) -> list[Any]:
    """A1 with the picture's own sound; or, when the edit brought its own, those tracks."""
    tl = plan.timeline
    tracks: list[Any] = []
    if not tl.audio:
        a1 = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
        dissolves = {t.index: t for t in tl.transitions}
        for index, seg in enumerate(tl.segments):
            if index in dissolves and seg.has_audio and tl.segments[index - 1].has_audio:
                # the sound cross-fades with the picture; FCP7's reader also fails on linked clips
                # whose picture has a transition their sound has not
                t = dissolves[index]
                a1.append(otio.schema.Transition(name="Cross Fade (+3dB)",
                                                 transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                                                 in_offset=_rt(t.before, plan.rate),
                                                 out_offset=_rt(t.after, plan.rate)))
            if seg.has_audio:
                a1.append(_clip(plan, seg.clip_id, seg.src_in_frame, seg.length))
            else:
                a1.append(otio.schema.Gap(source_range=TR(_rt(0, plan.rate), _rt(seg.length, plan.rate))))
        return [a1]
    for number in sorted({a.track for a in tl.audio}):
        track = otio.schema.Track(name=f"A{number}", kind=otio.schema.TrackKind.Audio)
        at = 0
        for a in sorted((a for a in tl.audio if a.track == number), key=lambda a: a.rec_in_frame):
            if a.rec_in_frame > at:
                track.append(otio.schema.Gap(source_range=TR(_rt(0, plan.rate), _rt(a.rec_in_frame - at, plan.rate))))
            track.append(_clip(plan, a.clip_id, a.src_in_frame, a.length))
            at = a.rec_out_frame
        tracks.append(track)
    return tracks


def export_text(plan: ExportPlan, fmt: Format) -> str:
    """The file's text for `fmt`."""
    if fmt == "edl":
        return write_edl(plan)
    text: str = otio.adapters.write_to_string(build_otio(plan, fmt), adapter_name=ADAPTERS[fmt])
    if fmt == "fcpxml":
        text = _fcpxml_start(text, plan)
    return text


def _fcpxml_start(text: str, plan: ExportPlan) -> str:
    """Put the start timecode the FCPXML writer leaves out on the sequence (`tcStart`, seconds)."""
    start = Fraction(plan.start_frame) / plan.rate
    value = f"{start.numerator}/{start.denominator}s" if start.denominator != 1 else f"{start.numerator}s"
    return re.sub(r"<sequence(?![^>]*tcStart)", f'<sequence tcStart="{value}" tcFormat="NDF"', text, count=1)


def write_export(plan: ExportPlan, fmt: Format, target: Path) -> list[Path]:
    """Write the edit file and an SRT per subtitle language beside it, each atomically."""
    fsutil.write_text(target, export_text(plan, fmt))
    written = [target]
    for lang, text in sorted(plan.srt_text.items()):
        srt = target.with_name(f"{target.stem}.{lang}.srt")
        fsutil.write_text(srt, text)
        written.append(srt)
    return written
