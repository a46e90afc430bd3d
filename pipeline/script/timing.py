"""Script sentences timed by the acoustic model: forced alignment of each placed sentence.

`align` finds where each script sentence was spoken from the recognised words and times its
syllables by the words heard right, interpolating the rest. Here each placed sentence is aligned
again, on the CTC model's posteriors for its clip's audio (`pipeline.asr.force`), in a window a
little wider than where it was found: every syllable takes the frames of its own units, so a badly
recognised stretch still gets exact times. A sentence is left as `align` timed it when its heard
words come from more than one clip (it spans a cut), when the clip's audio is missing, or when the
forced path explains the audio worse than `MIN_SCORE` on average (the text is not what was said).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..asr import ctc, fbank, force
from ..subs.cues import TimedWord
from .align import Alignment, Placement

MARGIN_MS = 600
MAX_REACH_MS = 3000
MIN_SCORE = -4.0
"""Mean log posterior of the sentence's units on the forced path below which the forced times are
not trusted (a unit on a frame where the model gives it 2 % or less)."""


def _clip_offset(words: Sequence[TimedWord]) -> tuple[str, int] | None:
    """(clip id, clip ms − programme ms) shared by the heard words, None when they disagree."""
    found: set[tuple[str, int]] = set()
    for word in words:
        clip, sep, at = word.source_id.rpartition("@")
        if not sep or not at.lstrip("-").isdigit():
            return None
        found.add((clip, int(at) - word.start_ms))
    if len(found) != 1:
        return None
    return next(iter(found))


def force_placement(placement: Placement, heard: Sequence[TimedWord], samples: npt.NDArray[np.int16],
                    offset: int, model: ctc.CtcModel, speller: force.Speller) -> Placement | None:
    """The placement with its words timed by forced alignment on its clip's `samples` (clip ms =
    programme ms + `offset`), or None to keep it as it is."""
    clip_ms = len(samples) * 1000 // fbank.SAMPLE_RATE
    # The window reaches out to the heard words on either side (a sentence whose first words were
    # not heard was placed too late by interpolation), at least MARGIN_MS, at most MAX_REACH_MS.
    before = heard[placement.first_word - 1].end_ms if placement.first_word > 0 else 0
    after = heard[placement.last_word + 1].start_ms if placement.last_word + 1 < len(heard) else 10**9
    low_ms = min(placement.start_ms - MARGIN_MS, max(before, placement.start_ms - MAX_REACH_MS))
    high_ms = max(placement.end_ms + MARGIN_MS, min(after, placement.end_ms + MAX_REACH_MS))
    low = max(0, low_ms + offset)
    high = min(clip_ms, high_ms + offset)
    if high - low < 200:
        return None
    log_probs = model.log_probs(fbank.features(samples[low * 16:high * 16]))
    spelled = [speller.spell(word.text) for word in placement.words]
    units = [(index, spelling) for index, spelling in enumerate(spelled) if spelling]
    timed = [index for index, _ in units]
    if not timed:
        return None
    found = force.align(log_probs, [spelling for _, spelling in units])
    if found is None or any(f.first < 0 for f in found):
        return None
    if sum(f.score for f in found) / len(found) < MIN_SCORE:
        return None
    words = list(placement.words)
    # The model fires late in a syllable (`ctc.ONSET_LAG_MS`): starts are moved back as for recognition.
    starts = {i: low - offset + ctc.onset_ms(f.first, found[n - 1].last if n else None)
              for n, (i, f) in enumerate(zip(timed, found, strict=True))}
    ends = {i: low - offset + (f.last + 2) * ctc.FRAME_MS for i, f in zip(timed, found, strict=True)}
    for index in timed:
        later = [starts[j] for j in timed if j > index]
        end = min(ends[index], later[0]) if later else ends[index]
        words[index] = dataclasses.replace(words[index], start_ms=max(0, starts[index]),
                                           end_ms=max(starts[index] + ctc.FRAME_MS, end))
    _between(words, timed)
    return dataclasses.replace(placement, words=tuple(words))


def _between(words: list[TimedWord], timed: Sequence[int]) -> None:
    """Words the units could not spell (digits, symbols) share the time between their timed
    neighbours."""
    index = 0
    while index < len(words):
        if index in timed:
            index += 1
            continue
        run_end = index
        while run_end < len(words) and run_end not in timed:
            run_end += 1
        low = words[index - 1].end_ms if index > 0 else words[run_end].start_ms if run_end < len(words) else 0
        high = words[run_end].start_ms if run_end < len(words) else low + 300 * (run_end - index)
        step = max(1, (high - low) // max(1, run_end - index))
        for k in range(index, run_end):
            start = low + (k - index) * step
            words[k] = dataclasses.replace(words[k], start_ms=start, end_ms=max(start + 1, start + step))
        index = run_end


def force_times(alignment: Alignment, heard: Sequence[TimedWord], audio_of: Callable[[str], Path | None],
                model: ctc.CtcModel) -> tuple[Alignment, int]:
    """The alignment with every sentence it can time by forced alignment so timed; and how many."""
    speller = force.Speller(model.units)
    heard = sorted(heard, key=lambda w: (w.start_ms, w.end_ms))  # the order `align` indexes
    refined: dict[str, Placement] = {}
    clips: dict[str, npt.NDArray[np.int16] | None] = {}  # each clip's audio read once
    for placement in alignment.placements:
        located = _clip_offset(heard[placement.first_word:placement.last_word + 1])
        if located is None:
            continue
        clip, offset = located
        if clip not in clips:
            audio = audio_of(clip)
            clips[clip] = ctc.load_samples(audio) if audio is not None and audio.is_file() else None
        samples = clips[clip]
        if samples is None:
            continue
        better = force_placement(placement, heard, samples, offset, model, speller)
        if better is not None:
            refined[placement.block] = better
    if not refined:
        return alignment, 0
    placements = tuple(refined.get(p.block, p) for p in alignment.placements)
    by_block = {block: iter(p.words) for block, p in refined.items()}
    words = tuple(next(by_block[w.block]) if w.block in by_block else w for w in alignment.words)
    words = tuple(sorted(words, key=lambda w: w.start_ms))
    return dataclasses.replace(alignment, placements=placements, words=words), len(refined)
