"""Forced alignment on the CTC model's output: known text, timed by the acoustic model.

Recognised words time a script sentence only where they were heard right; a misheard stretch is
interpolated. Here the sentence's own syllables are spelled in the model's units and laid on its
per-frame posteriors by a Viterbi search (the CTC topology: a blank between units, a unit may repeat,
the blank between two different units may be skipped), free to start and end anywhere in the window
it is given (the window holds some speech around the sentence). Every syllable gets the frames of
its units, however badly recognition heard it.

Syllables the units cannot spell (digits, symbols) are left untimed (None) for the caller to
interpolate; so is everything when no path explains the window better than chance.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .ctc import WORD_START

_NEG = -1e9


@dataclass(frozen=True)
class ForcedSyllable:
    """A syllable's frames [first, last] in the window, and the mean log posterior of its units."""

    first: int
    last: int
    score: float


class Speller:
    """Writes a syllable in the model's units: the longest unit that matches, left to right, the
    first one carrying the word-start mark. Units are lower-case NFC."""

    def __init__(self, units: Sequence[str]) -> None:
        self._index = {unit: i for i, unit in enumerate(units) if not unit.startswith("<")}
        self._longest = max((len(u) for u in self._index), default=1)

    def spell(self, syllable: str) -> list[int] | None:
        text = WORD_START + "".join(ch for ch in unicodedata.normalize("NFC", syllable).lower() if ch.isalpha())
        if text == WORD_START:
            return None
        out: list[int] = []
        position = 0
        while position < len(text):
            for size in range(min(self._longest, len(text) - position), 0, -1):
                unit = self._index.get(text[position:position + size])
                if unit is not None:
                    out.append(unit)
                    position += size
                    break
            else:
                return None
        return out


def align(log_probs: npt.NDArray[np.float32], spelled: Sequence[Sequence[int]]) -> list[ForcedSyllable] | None:
    """Frames of each spelled syllable on the best CTC path through `log_probs` (frames × units),
    with free frames before and after. None when the window is too short for the units.

    States: 0 is the free stretch before the sentence, 1…S the CTC states (odd: blank, even: a
    unit), S+1 the free stretch after. Free frames cost nothing, so the units sit on the frames
    that explain them best and the margins absorb whatever else the window holds."""
    tokens = [unit for syllable in spelled for unit in syllable]
    owner = [index for index, syllable in enumerate(spelled) for _ in syllable]
    frames = len(log_probs)
    if not tokens or frames < len(tokens):
        return None
    ctc_states = 2 * len(tokens) + 1
    total = ctc_states + 2
    labels = np.zeros(ctc_states, np.int64)  # extended labels: blank, unit, blank, unit, …, blank
    labels[1::2] = tokens
    emit = np.zeros((frames, total), np.float64)
    emit[:, 1:ctc_states + 1] = log_probs[:, labels]
    skip_ok = np.zeros(total, bool)
    skip_ok[2] = True  # free → first unit
    for state in range(4, ctc_states, 2):
        skip_ok[state] = labels[state - 1] != labels[state - 3]
    skip_ok[total - 1] = True  # last unit → free
    step_ok = np.ones(total, bool)
    step_ok[0] = False
    score = np.full(total, _NEG)
    score[0], score[1], score[2] = 0.0, emit[0, 1], emit[0, 2]
    back = np.zeros((frames, total), np.int32)
    index = np.arange(total)
    for t in range(1, frames):
        stay = score
        step = np.where(step_ok, np.concatenate(([_NEG], score[:-1])), _NEG)
        skip = np.where(skip_ok, np.concatenate(([_NEG, _NEG], score[:-2])), _NEG)
        best = np.maximum(np.maximum(stay, step), skip)
        back[t] = np.where(best == stay, index, np.where(best == step, index - 1, index - 2))
        score = best + emit[t]
    ends = (ctc_states - 1, ctc_states, total - 1)
    state = max(ends, key=lambda s: score[s])
    if score[state] <= _NEG / 2:
        return None
    path = np.zeros(frames, np.int64)
    for t in range(frames - 1, -1, -1):
        path[t] = state
        state = int(back[t, state])
    return _syllable_frames(path, owner, len(spelled), log_probs, labels)


def _syllable_frames(path: npt.NDArray[np.int64], owner: Sequence[int], count: int,
                     log_probs: npt.NDArray[np.float32], labels: npt.NDArray[np.int64]) -> list[ForcedSyllable]:
    spans: list[list[int]] = [[] for _ in range(count)]
    scores: list[list[float]] = [[] for _ in range(count)]
    for t, state in enumerate(path):
        extended = int(state) - 1
        if 0 <= extended < len(labels) and extended % 2 == 1:
            syllable = owner[extended // 2]
            spans[syllable].append(t)
            scores[syllable].append(float(log_probs[t, labels[extended]]))
    out = []
    for frames, values in zip(spans, scores, strict=True):
        if frames:
            out.append(ForcedSyllable(min(frames), max(frames), sum(values) / len(values)))
        else:
            out.append(ForcedSyllable(-1, -1, _NEG))
    return out
