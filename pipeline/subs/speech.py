"""Where the speech is on the timeline: transcript words moved to programme time, and the
stretches of speech they make. One rule for the subtitles stage (segmentation, lint's lead-in and
hang-on) and for QC (coverage, cues over silence).

A word belongs to a segment when it starts inside the segment's [src_in, src_out) of clip time; it
is cut at src_out. Words closer than `SPEECH_GAP_MS` make one stretch of speech.

A cut where the sound changes (`sound_breaks_ms`: to another clip, to another part of the same clip,
or between sound and none) separates speech that was never one utterance, however close the words on
either side: cues never join it. A cut between contiguous pieces of one clip (a dissolve or a split
that leaves the sound running) is no break.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence

from ..asr.transcript import Transcript
from ..errors import WorkspaceError
from ..fsutil import read_json
from ..intervals import merge
from ..timeline import Timeline
from ..workspace import Workspace
from .cues import TimedWord

SPEECH_GAP_MS = 300

Span = tuple[int, int]


def place_words(timeline: Timeline, transcripts: Mapping[str, Transcript]) -> list[TimedWord]:
    """Every transcript word inside its segment, moved to programme time (segments of clips without
    sound, or without a transcript in `transcripts`, give none)."""
    words: list[TimedWord] = []
    for seg in timeline.segments:
        transcript = transcripts.get(seg.clip_id)
        if not seg.has_audio or transcript is None:
            continue
        src_in, src_out = timeline.frames_to_ms(seg.src_in_frame), timeline.frames_to_ms(seg.src_out_frame)
        rec_in = timeline.frames_to_ms(seg.rec_in_frame)
        for word in transcript.words():
            if src_in <= word.start_ms < src_out:
                end = min(word.end_ms, src_out)
                words.append(TimedWord(word.start_ms - src_in + rec_in, end - src_in + rec_in, word.text,
                                  word.probability, None, f"{seg.clip_id}@{word.start_ms}"))
    return words


def sound_breaks_ms(timeline: Timeline) -> list[int]:
    """Programme ms of every cut where the sound does not run on from one segment into the next: the
    next segment is another clip, or the same clip from another point, or one has sound and the other
    none. Cuts between two segments without sound are not breaks (no speech on either side)."""
    breaks: list[int] = []
    for before, after in itertools.pairwise(timeline.segments):
        if not before.has_audio and not after.has_audio:
            continue
        runs_on = (
            before.has_audio == after.has_audio
            and before.clip_id == after.clip_id
            and before.src_out_frame == after.src_in_frame
            and before.rec_out_frame == after.rec_in_frame
        )
        if not runs_on:
            breaks.append(timeline.frames_to_ms(after.rec_in_frame))
    return breaks


def timeline_words(timeline: Timeline, ws: Workspace,
                   gaps: Collection[str] = ()) -> tuple[list[TimedWord], list[str]]:
    """`place_words` from the transcripts in the workspace; also the transcript files read.

    WorkspaceError when a segment with sound has no transcript (or an unreadable one), unless its
    clip is in `gaps`: clips whose transcription failed (`stagerun.failed_targets`), whose speech
    is a gap the caller reports.
    """
    transcripts: dict[str, Transcript] = {}
    used: list[str] = []
    for seg in timeline.segments:
        if not seg.has_audio or seg.clip_id in transcripts:
            continue
        path = ws.transcript_json(seg.clip_id)
        if not path.is_file() and seg.clip_id in gaps:
            continue
        if not path.is_file():
            raise WorkspaceError(f"no transcript for clip {seg.clip_id}", path=path,
                                 hint="run `reportage transcribe MANIFEST` first")
        try:
            data = read_json(path)
        except (OSError, ValueError) as exc:
            raise WorkspaceError(f"transcript is unreadable ({exc})", path=path,
                                 hint="rerun `reportage transcribe MANIFEST`") from exc
        transcripts[seg.clip_id] = Transcript.from_json(data, source=str(path))
        used.append(str(path))
    return place_words(timeline, transcripts), used


def speech_spans(words: Sequence[TimedWord], gap_ms: int = SPEECH_GAP_MS) -> list[Span]:
    """Stretches of speech in programme ms: words closer than `gap_ms` joined."""
    return merge(((word.start_ms, word.end_ms) for word in words), gap_ms)
