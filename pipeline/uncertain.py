"""Uncertain recognised words: from the transcripts' `low_probability` flag to the Vietnamese cues.

The recogniser flags the words it was unsure of (`asr.transcript.WORD_LOW_PROBABILITY`). Where a
cue is made from recognised speech (no script sentence), those words are what a reviewer must
listen to again, so the subtitles stage records where each one sits in its cue: a character span
of the cue's text as written (`records.UncertainWord`), found by laying the words the segmenter
was given over the cues it made, in order. A word is found by its own text, so a name the
glossary respelled at recognition ("Trà Vinh" for a heard "Chà Vinh", one word or two) and a line
break between words move nothing; edge punctuation stays outside the span.

A word is known by its source id (`clip@ms` of the transcript word, given by `subs.speech.place_words`,
the one rule that puts words on the programme's clock), so a flag survives the onset refinement,
the script alignment (recognised words it leaves unplaced keep theirs; script words carry the
script's text and are never uncertain) and a clip the edit uses twice.

When the editor owns the Vietnamese file, the machine's cues are made again from the same words
and only cues still in force exactly as the machine made them (same times, same text) keep their
uncertain words: a cue a person edited, split, merged or re-timed is theirs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .asr.transcript import WORD_LOW_PROBABILITY, Transcript, split_punctuation
from .errors import WorkspaceError
from .fsutil import nfc, read_json
from .records.subtitles import UncertainCue, UncertainWord, still_in_force
from .subs.cues import Cue, TimedWord
from .subs.speech import place_words
from .timeline import Timeline

LABEL = "Từ nhận dạng chưa chắc chắn"
"""What the review room calls such a word."""


def only_flagged(transcript: Transcript) -> Transcript:
    """The transcript with only its uncertain words (segments kept, so placement is unchanged)."""
    return dataclasses.replace(transcript, segments=tuple(
        dataclasses.replace(seg, words=tuple(w for w in seg.words if WORD_LOW_PROBABILITY in w.flags))
        for seg in transcript.segments))


def flagged_words(timeline: Timeline, transcripts: Mapping[str, Transcript]) -> dict[str, float]:
    """Source id → probability of every uncertain word the timeline uses."""
    placed = place_words(timeline, {clip: only_flagged(t) for clip, t in transcripts.items()})
    return {word.source_id: word.probability for word in placed}


def read_flagged(timeline: Timeline, paths: Sequence[str]) -> dict[str, float]:
    """`flagged_words` of the transcript files the subtitles stage read."""
    transcripts: dict[str, Transcript] = {}
    for path in paths:
        try:
            transcript = Transcript.from_json(read_json(Path(path)), source=str(path))
        except (OSError, ValueError) as exc:
            raise WorkspaceError(f"transcript is unreadable ({exc})", path=path,
                                 hint="rerun `reportage transcribe MANIFEST`") from exc
        transcripts[transcript.clip_id] = transcript
    return flagged_words(timeline, transcripts)


def _separator(gap: str) -> bool:
    """What may stand between two words of a cue: spaces, line breaks, a speaker dash."""
    return gap.strip() in ("", "-")


def mark_cues(cues: Sequence[Cue], words: Sequence[TimedWord], flagged: Mapping[str, float]) -> list[UncertainCue]:
    """The uncertain words of `cues`, which `subs.segment` made from `words` (in that order).

    Script words (a block) are never uncertain. Should a cue's text not be the words laid in
    order (nothing the segmenter does), the walk stops there rather than mark a wrong word.
    """
    clean = [TimedWord(w.start_ms, w.end_ms, " ".join(nfc(w.text).split()), w.probability, w.speaker, w.source_id,
                       w.block) for w in sorted(words, key=lambda w: (w.start_ms, w.end_ms))]
    clean = [w for w in clean if w.text]  # as the segmenter takes them (a lone "," may join the word before)
    out: list[UncertainCue] = []
    k = 0
    for number, cue in enumerate(cues, 1):
        text = cue.text
        at = 0
        found: list[UncertainWord] = []
        while k < len(clean) and at < len(text):
            word = clean[k]
            pos = text.find(word.text, at)
            if pos < 0 or not _separator(text[at:pos]):
                return out  # lost: the cues are not these words
            lead, core, _ = split_punctuation(word.text)
            probability = flagged.get(word.source_id)
            if probability is not None and word.block is None and core:
                begin = pos + len(lead)
                found.append(UncertainWord(begin, begin + len(core), core, probability, word.start_ms))
            at = pos + len(word.text)
            k += 1
        if text[at:].strip():
            return out
        if found:
            out.append(UncertainCue(number, cue.start_ms, cue.end_ms, text, tuple(found)))
    return out


def uncertain_cues(in_force: Sequence[Cue], words: Sequence[TimedWord], flagged: Mapping[str, float],
                   machine: Callable[[], Sequence[Cue]]) -> list[UncertainCue]:
    """The uncertain words of the cues in force: `machine()` gives the cues the segmenter makes
    from `words` (the cues in force themselves when the pipeline wrote the file); only cues in
    force exactly as the machine made them keep theirs, renumbered as they stand."""
    if not flagged:
        return []
    return still_in_force(mark_cues(machine(), words, flagged), in_force)
