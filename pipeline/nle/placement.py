"""An edit's events as the programme's timeline: segments, dissolves, markers and audio, in frames
at the house rate, each clip mapped the way ingest conformed it.

Ingest conforms a clip at another rate (a 29.97 phone clip) by real time: house frame k shows what
the source showed at k / house rate seconds. So a source position is taken to seconds in the
source's own counting (its timecode, its rate) and rounded to the house frame there — the same
arithmetic as a typed cut list (stages/assemble.py), so an edit and the equivalent cut list give the
same timeline. Record positions must land on whole house frames: an edit at the house rate, or at a
multiple of it with cuts on whole house frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..errors import ManifestError
from ..timecode import Timecode, fmt_rate
from ..timeline import AudioSegment, Marker, Segment, Transition
from .edit import Edit, EditEvent
from .match import FootageClip, match_event


class EditError(ManifestError):
    """Events of the edit the programme cannot be made from; `problems` has one line per event."""

    def __init__(self, problems: list[str], *, path: Path | str, edit: Path) -> None:
        self.problems = problems
        head = f"timeline.edit {edit.name}: " + (problems[0] if len(problems) == 1 else
                                                  f"{len(problems)} problems")
        body = "" if len(problems) == 1 else "\n  " + "\n  ".join(problems)
        super().__init__(head + body, path=path)


@dataclass(frozen=True)
class Placed:
    """The edit as the programme's timeline parts (segments contiguous from frame 0)."""

    segments: tuple[Segment, ...]
    transitions: tuple[Transition, ...]
    markers: tuple[Marker, ...]
    audio: tuple[AudioSegment, ...]
    notes: tuple[str, ...]
    clip_ids: tuple[str, ...]
    """The ingested clip each V1 event uses, in order."""


def _house_frames(frames: int, edit: Edit, house_rate: Fraction) -> int | None:
    exact = Fraction(frames) * house_rate / edit.rate
    return int(exact) if exact.denominator == 1 else None


def is_dissolve(name: str, transition_type: str) -> bool:
    """FCP7's reader calls every transition SMPTE_Dissolve and keeps the effect's name; a real
    dissolve is named so (Cross Dissolve, Additive Dissolve…), or not named at all. A dip to
    colour is not a dissolve between the two shots."""
    if transition_type != "SMPTE_Dissolve":
        return False
    lowered = name.casefold()
    return (not lowered or lowered.startswith("smpte_dissolve") or "dissolve" in lowered) and "dip" not in lowered


def _src_frame(event: EditEvent, clip: FootageClip, house_rate: Fraction) -> int:
    """The event's source in point as a frame of the clip's house-rate working copy."""
    at_clip_rate = round((event.source.start_s - clip.start_s) * clip.rate) if clip.has_video else \
        round((event.source.start_s - clip.start_s) * house_rate)
    rate = clip.rate if clip.has_video else house_rate
    return round(Fraction(Timecode(at_clip_rate, rate).ms, 1000) * house_rate)


def _clip_frames(clip: FootageClip, house_rate: Fraction) -> int:
    return round(Fraction(clip.duration_ms, 1000) * house_rate)


def place_edit(edit: Edit, footage: list[FootageClip], house_rate: Fraction, *, manifest: Path,
               edit_path: Path) -> Placed:
    """Match, check and place every event; EditError listing every event that fails."""
    if edit.rate != house_rate and (edit.rate / house_rate).denominator != 1:
        raise ManifestError(
            f"timeline.edit {edit_path.name}: the sequence runs at {fmt_rate(edit.rate)} fps but the programme's "
            f"house rate is {fmt_rate(house_rate)} (house.fps)", path=manifest,
            hint="set the sequence to the house rate in the NLE (a 50i sequence is 25 fps), or change house.fps")
    problems: list[str] = []
    segments: list[Segment] = []
    matched: list[FootageClip | None] = []
    for event in edit.picture:
        clip, segment = _place(event, edit, footage, house_rate, problems, picture=True)
        matched.append(clip)
        if segment is not None:
            segments.append(segment)
    transitions = _place_transitions(edit, segments, matched, house_rate, problems) if not problems else []
    audio: list[AudioSegment] = []
    mirrored = True
    for event in edit.audio:
        clip, seg = _place(event, edit, footage, house_rate, problems, picture=False)
        if clip is None or seg is None:
            continue
        if seg not in segments:  # the picture's own linked sound, as every NLE exports it
            mirrored = False
        audio.append(AudioSegment(int(event.track[1:]), seg.clip_id, seg.working_copy, seg.src_in_frame,
                                  seg.src_out_frame, seg.rec_in_frame))
    if problems:
        raise EditError(problems, path=manifest, edit=edit_path)
    notes = [n for n in edit.notes if not (mirrored and "cross-fades" in n)]
    if audio and not mirrored:
        tracks = sorted({f"A{a.track}" for a in audio})
        notes.append(f"the edit has its own sound on {', '.join(tracks)} ({len(audio)} clip(s)), kept in "
                     "timeline.json `audio`; the render mixes them in place of the picture clips' sound")
    duration = segments[-1].rec_out_frame if segments else 0
    markers = []
    for m in edit.markers:
        frame = round(Fraction(m.frame) * house_rate / edit.rate)
        if not 0 <= frame <= duration:
            notes.append(f"marker {m.name!r} at {edit.rec_tc(m.frame)} lies outside the programme; left out")
            continue
        markers.append(Marker(frame, m.name, round(Fraction(m.duration) * house_rate / edit.rate), m.color))
    return Placed(tuple(segments), tuple(transitions), tuple(markers), tuple(audio) if not mirrored else (),
                  tuple(notes), tuple(c.clip_id for c in matched if c is not None))


def _place(event: EditEvent, edit: Edit, footage: list[FootageClip], house_rate: Fraction, problems: list[str],
           *, picture: bool) -> tuple[FootageClip | None, Segment | None]:
    where = edit.where(event)
    rec_in = _house_frames(event.rec_in, edit, house_rate)
    length = _house_frames(event.length, edit, house_rate)
    if rec_in is None or length is None:
        problems.append(f"{where}: its cut points fall between frames of the programme's {fmt_rate(house_rate)} fps")
        return None, None
    found = match_event(event, footage, Fraction(event.length) / edit.rate)
    if found.clip is None:
        problems.append(f"{where} matches no ingested clip; tried " + "; ".join(found.tried)
                        + (" — give the clips distinct names" if found.ambiguous else ""))
        return None, None
    clip = found.clip
    if picture and not clip.has_video:
        problems.append(f"{where}: clip {clip.clip_id!r} is audio only (no picture) and cannot be on V1; "
                        "put it on an audio track")
        return clip, None
    if not picture and not clip.has_audio:
        problems.append(f"{where}: clip {clip.clip_id!r} has no sound")
        return clip, None
    src_in = _src_frame(event, clip, house_rate)
    src_out = src_in + length
    if src_in < 0 or src_out > _clip_frames(clip, house_rate):
        end = Timecode(_clip_frames(clip, house_rate), house_rate)
        problems.append(f"{where}: uses frames {src_in}–{src_out} of clip {clip.clip_id!r}, which has {end} "
                        "(is the clip's timecode or rate different from what the NLE linked?)")
        return clip, None
    return clip, Segment(clip.clip_id, clip.working_copy, src_in, src_out, rec_in, clip.has_audio)


def _place_transitions(edit: Edit, segments: list[Segment], matched: list[FootageClip | None],
                       house_rate: Fraction, problems: list[str]) -> list[Transition]:
    out: list[Transition] = []
    for tr in edit.transitions:
        index = tr.number - 1
        incoming, outgoing = edit.picture[index], edit.picture[index - 1]
        where = f"event {tr.number} ({edit.rec_tc(incoming.rec_in)}, {outgoing.source.name!r} → " \
                f"{incoming.source.name!r})"
        if not is_dissolve(tr.name, tr.transition_type):
            problems.append(f"{where}: transition {tr.name!r} ({tr.transition_type or 'custom'}) is not a dissolve; "
                            "only cuts and dissolves are rendered — make it a cut or a cross dissolve")
            continue
        before = _house_frames(tr.before, edit, house_rate)
        after = _house_frames(tr.after, edit, house_rate)
        if before is None or after is None:
            problems.append(f"{where}: the dissolve's length falls between frames of the programme")
            continue
        a, b = segments[index - 1], segments[index]
        clip_a = matched[index - 1]
        assert clip_a is not None
        if a.src_out_frame + after > _clip_frames(clip_a, house_rate) or b.src_in_frame - before < 0:
            problems.append(f"{where}: the {before + after}-frame dissolve needs {after} frame(s) of handle after "
                            f"{a.clip_id!r} and {before} before {b.clip_id!r}, which the clips do not have")
            continue
        out.append(Transition(index, b.rec_in_frame, before, after))
    return out
