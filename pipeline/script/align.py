"""The programme's script laid on the speech: the script's words, timed by what was heard.

A reportage's narration is written before it is recorded, so on narration recognition is needed
only for timing. Each script sentence is looked for in the recognised words by a *fitting*
alignment on syllables (the whole sentence against any stretch of the speech) that ignores case,
diacritics and punctuation, and scores a near miss ("chà"/"trà", "bình"/"vinh") above a plain
mismatch: Vietnamese is written one syllable per word, so even when recognition misheard half the
syllables there are anchors every few words. Every script syllable paired with a heard one takes its
time; the rest are interpolated between their neighbours.

What the edit did to the script is found, not assumed: a sentence found nowhere is reported as not
in the edit (never invented), a sentence found twice is placed twice (and reported), paragraphs in
another order than the script's are found where they are, and speech that matches no sentence
(interviews nobody transcribed, ad-libs) keeps its recognised words.
"""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..asr.glossary import edit_distance
from ..fsutil import nfc
from ..subs.cues import TimedWord
from ..text import fold

MATCH = 2.0
NEAR = 1.0
MISMATCH = -0.8
GAP = -1.0
# A placement is accepted when this share of the sentence's syllables was heard (near misses half).
MIN_HEARD = 0.34
# The probability given to a script word timed between heard ones rather than heard itself.
UNHEARD = 0.0
# A sentence found a second time must be clearer than that to count as spoken twice.
MIN_HEARD_AGAIN = 0.5
# Rhymes this common are no evidence of where a sentence is: not voted with.
_COMMON = 600

_SPLIT_KEYS = re.compile(r"[\s\-–—/]+")
_NON_WORD = re.compile(r"[^\w]+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)»]*\s+(?=[\"“‘(«]?[A-ZÀ-ỸĐ0-9])")


class ScriptLineLike(Protocol):
    """What the alignment needs of a script row or paragraph (`pipeline.script.read.ScriptLine`)."""

    @property
    def ref(self) -> str: ...
    @property
    def vi(self) -> str: ...
    @property
    def en(self) -> str | None: ...
    @property
    def speaker(self) -> str | None: ...
    @property
    def clip(self) -> str | None: ...


@dataclass(frozen=True)
class Sentence:
    """One script sentence: its display tokens, their matching keys, and the translator's English."""

    id: str
    ref: str
    vi: str
    en: str | None
    speaker: str | None
    clip: str | None
    tokens: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]

    @property
    def syllables(self) -> int:
        return sum(len(k) for k in self.keys)


@dataclass(frozen=True)
class Placement:
    """Where one sentence was spoken: its words timed, and how much of it was heard."""

    sentence: Sentence
    occurrence: int
    words: tuple[TimedWord, ...]
    first_word: int  # indexes into the recognised words replaced by the script's
    last_word: int
    heard: float  # share of the sentence's syllables matched (near misses count half)
    score: float

    @property
    def block(self) -> str:
        return f"script:{self.sentence.id}#{self.occurrence}"

    @property
    def start_ms(self) -> int:
        return self.words[0].start_ms

    @property
    def end_ms(self) -> int:
        return self.words[-1].end_ms


@dataclass(frozen=True)
class Alignment:
    """The script on the speech: placements in programme order, what was not found, what was not scripted."""

    sentences: tuple[Sentence, ...]
    placements: tuple[Placement, ...]
    words: tuple[TimedWord, ...]  # script words where placed, recognised words elsewhere, in time order
    unscripted: tuple[tuple[int, int, str], ...] = ()  # (start_ms, end_ms, recognised text)
    out_of_order: tuple[str, ...] = ()  # sentence ids spoken in another order than the script's
    notes: tuple[str, ...] = field(default_factory=tuple)

    def placement_of(self, block: str | None) -> Placement | None:
        for placement in self.placements:
            if placement.block == block:
                return placement
        return None

    @property
    def missing(self) -> tuple[Sentence, ...]:
        placed = {p.sentence.id for p in self.placements}
        return tuple(s for s in self.sentences if s.id not in placed)

    @property
    def repeated(self) -> tuple[Sentence, ...]:
        again = {p.sentence.id for p in self.placements if p.occurrence > 1}
        return tuple(s for s in self.sentences if s.id in again)

    def report(self) -> dict[str, Any]:
        """What the stage says about the script: counts, and every sentence it could not place."""
        return {
            "sentences": len(self.sentences),
            "placed": len({p.sentence.id for p in self.placements}),
            "not_in_edit": [{"id": s.id, "ref": s.ref, "vi": s.vi} for s in self.missing],
            "spoken_twice": [{"id": s.id, "ref": s.ref, "vi": s.vi,
                              "at_ms": [p.start_ms for p in self.placements if p.sentence.id == s.id]}
                             for s in self.repeated],
            "out_of_script_order": list(self.out_of_order),
            "unscripted_speech": [{"start_ms": a, "end_ms": b, "text": t} for a, b, t in self.unscripted],
            "weakly_heard": [{"id": p.sentence.id, "ref": p.sentence.ref, "heard": round(p.heard, 2)}
                             for p in self.placements if p.heard < 0.5],
        }


# -- text into syllables ------------------------------------------------------------------------------

def syllable_keys(token: str) -> tuple[str, ...]:
    """The matching keys of one written word: folded syllables, punctuation gone ("héc-ta," → hec, ta)."""
    keys = []
    for part in _SPLIT_KEYS.split(fold(nfc(token))):
        key = _NON_WORD.sub("", part).replace("_", "")
        if key:
            keys.append(key)
    return tuple(keys)


def _tokens(text: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Display tokens and their keys; a token with no syllable (a dash) rides on the one before."""
    tokens: list[str] = []
    keys: list[tuple[str, ...]] = []
    for raw in nfc(text).split():
        k = syllable_keys(raw)
        if not k and tokens:
            tokens[-1] = f"{tokens[-1]} {raw}"
            continue
        tokens.append(raw)
        keys.append(k)
    return tuple(tokens), tuple(keys)


def split_text(text: str) -> list[str]:
    """Sentences of a paragraph: after . ! ? … followed by a capital; very short pieces stay joined."""
    pieces = [p.strip() for p in _SENTENCE_END.split(" ".join(nfc(text).split())) if p.strip()]
    merged: list[str] = []
    for piece in pieces:
        if merged and len(merged[-1].split()) < 3:
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


def sentences_of(lines: Sequence[ScriptLineLike]) -> list[Sentence]:
    """The script's sentences in script order. A row's Vietnamese and English are split into sentences
    when both have the same number of them (then each pair is its own unit); otherwise the row is one."""
    out: list[Sentence] = []
    for number, line in enumerate(lines, start=1):
        vi_parts = split_text(line.vi)
        en_parts = split_text(line.en) if line.en else []
        if len(vi_parts) > 1 and line.en and len(en_parts) != len(vi_parts):
            vi_parts, en_parts = [" ".join(vi_parts)], [line.en]
        for k, vi in enumerate(vi_parts):
            tokens, keys = _tokens(vi)
            if not tokens:
                continue
            en = en_parts[k] if en_parts else None
            many = len(vi_parts) > 1
            out.append(Sentence(f"{number}.{k + 1}" if many else str(number),
                                f"{line.ref}, sentence {k + 1}" if many else line.ref,
                                vi, nfc(en) if en else None, line.speaker, line.clip, tokens, keys))
    return out


# -- the heard syllables ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Heard:
    key: str
    start_ms: int
    end_ms: int
    word: int  # index of the recognised word it belongs to
    clip: str


def _heard(words: Sequence[TimedWord]) -> list[_Heard]:
    out: list[_Heard] = []
    for index, word in enumerate(words):
        keys = syllable_keys(word.text)
        if not keys:
            continue
        span = max(0, word.end_ms - word.start_ms)
        clip = word.source_id.split("@", 1)[0]
        for p, key in enumerate(keys):
            start = word.start_ms + span * p // len(keys)
            end = word.start_ms + span * (p + 1) // len(keys)
            out.append(_Heard(key, start, max(end, start), index, clip))
    return out


_INITIALS = ("ngh", "ng", "nh", "ch", "tr", "gh", "gi", "kh", "ph", "th", "qu", "b", "c", "d", "g", "h", "k", "l",
             "m", "n", "p", "r", "s", "t", "v", "x")


@functools.lru_cache(maxsize=1 << 14)
def _onset(syllable: str) -> tuple[str, str]:
    """A folded syllable as (initial consonants, rhyme): "truong" → ("tr", "uong")."""
    for initial in _INITIALS:
        if syllable.startswith(initial) and len(syllable) > len(initial):
            return initial, syllable[len(initial):]
    return "", syllable


def _similar(a: str, b: str) -> bool:
    """A near miss as recognisers make them: the same rhyme after another initial ("cha"/"tra",
    "binh"/"vinh"), or the same initial and a rhyme one letter off ("luong"/"lon")."""
    if a.isdigit() or b.isdigit():
        return False
    ia, ra = _onset(a)
    ib, rb = _onset(b)
    if ra == rb:
        return True
    if ia == ib and edit_distance(ra, rb, limit=1) <= 1:
        return True
    return min(len(a), len(b)) >= 3 and edit_distance(a, b, limit=1) <= 1


@functools.lru_cache(maxsize=1 << 18)
def _sub(a: str, b: str) -> float:
    if a == b:
        return MATCH
    return NEAR if _similar(a, b) else MISMATCH


@dataclass(frozen=True)
class _Fit:
    score: float
    pairs: tuple[tuple[int, int], ...]  # (script syllable, heard syllable) in order
    heard: float

    @property
    def span(self) -> tuple[int, int]:
        return self.pairs[0][1], self.pairs[-1][1]


class _Scores:
    """`_sub` of script syllables against the heard ones as arrays: each heard syllable has an id in
    the vocabulary of the speech, and each script syllable a row of scores over that vocabulary,
    filled in as windows need them, so every distinct pair is scored once per alignment."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.vocabulary: list[str] = []
        self._rows: dict[str, npt.NDArray[np.float64]] = {}

    def id_of(self, key: str) -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.vocabulary)
            self.vocabulary.append(key)
        return found

    def matrix(self, script: Sequence[str], columns: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """n × m: `_sub(script[i], vocabulary[columns[j]])`."""
        size = len(self.vocabulary)
        for a in dict.fromkeys(script):
            row = self._rows.get(a)
            if row is None or len(row) < size:
                grown = np.full(size, np.nan)
                if row is not None:
                    grown[: len(row)] = row
                row = self._rows[a] = grown
            for b in np.unique(columns[np.isnan(row[columns])]).tolist():
                row[b] = _sub(a, self.vocabulary[b])
        return np.stack([self._rows[a][columns] for a in script])


def _fit(script: Sequence[str], heard: Sequence[str], offset: int,
         breaks: Sequence[float] | npt.NDArray[np.float64] = (),
         subs: npt.NDArray[np.float64] | None = None) -> _Fit | None:
    """The best alignment of all of `script` against any stretch of `heard` (whose first index is
    `offset` in the whole stream). `breaks[j]` is the price of a sentence running on from heard[j-1]
    into heard[j] (a long pause, a cut to another clip): one sentence is rarely spoken across one.

    score[i][j] is the best for script[:i] ending at heard[:j], from score[i-1][j-1] plus the pair
    (step 0), score[i-1][j] with a script syllable unheard (step 1, on ties the pair wins), or
    score[i][j-1] with a heard syllable skipped (step 2, only when strictly better). A row is
    computed at once: the first two elementwise, then the third by passing each gain on to the
    right until nothing changes (a run of skipped syllables is short); the sums are the same
    floating-point sums, in the same order, as one cell at a time. `subs`: the n × m scores of each
    pair when the caller has them (`_Scores`)."""
    n, m = len(script), len(heard)
    if n == 0 or m == 0:
        return None
    run_on = np.zeros(m + 1)  # run_on[j]: the price of entering heard[j-1] from heard[j-2]
    if len(breaks):
        run_on[2:] = breaks[1:m]
    if subs is None:
        scores = _Scores()
        subs = scores.matrix(script, np.fromiter((scores.id_of(k) for k in heard), dtype=np.int64, count=m))
    prev = np.zeros(m + 1)
    steps = np.zeros((n + 1, m + 1), dtype=np.uint8)
    best = np.empty(m + 1)
    for i in range(1, n + 1):
        up = prev + GAP
        diag = prev[:-1] + subs[i - 1]
        if i > 1:
            diag = diag + run_on[1:]
        best[0] = up[0]
        np.maximum(diag, up[1:], out=best[1:])
        step = np.ones(m + 1, dtype=np.uint8)
        step[1:][diag >= up[1:]] = 0
        cur = best.copy()
        while True:
            left = (cur[:-1] + GAP) + run_on[1:]
            better = left > cur[1:]
            if not better.any():
                break
            cur[1:][better] = left[better]
        step[1:][cur[1:] > best[1:]] = 2
        steps[i] = step
        prev = cur
    end = int(np.argmax(prev))
    score = float(prev[end])
    pairs: list[tuple[int, int]] = []
    heard_score = 0.0
    i, j = n, end
    while i > 0:
        move = steps[i][j] if j > 0 else 1
        if move == 0:
            s = subs[i - 1][j - 1]
            heard_score += 1.0 if s == MATCH else 0.5 if s == NEAR else 0.0
            pairs.append((i - 1, offset + j - 1))
            i, j = i - 1, j - 1
        elif move == 1:
            i -= 1
        else:
            j -= 1
    if not pairs:
        return None
    pairs.reverse()
    return _Fit(score, tuple(pairs), heard_score / n)


# A pause this long inside one sentence costs as much as three syllables lost; a pause of seconds,
# or a cut to another clip, far more: a sentence is not spoken across one (the speech between was
# more likely lost by the recogniser than never said).
PAUSE_MS = 800
BREAK_PRICE = -3.0
LONG_PAUSE_MS = 2000
LONG_BREAK_PRICE = -12.0


def _break_price(heard: Sequence[_Heard], j: int) -> float:
    if j == 0:
        return 0.0
    before, after = heard[j - 1], heard[j]
    pause = after.start_ms - before.end_ms
    if before.clip != after.clip or pause > LONG_PAUSE_MS:
        return LONG_BREAK_PRICE
    if pause > PAUSE_MS:
        return BREAK_PRICE
    return 0.0


@dataclass
class _Stream:
    """The heard syllables as arrays for `_fit`: vocabulary ids, clip ids, the price of running on
    into each one (`_break_price`), and the scores of script syllables against them."""

    heard: Sequence[_Heard]
    scores: _Scores = field(default_factory=_Scores)

    def __post_init__(self) -> None:
        clips: dict[str, int] = {}
        self.ids = np.fromiter((self.scores.id_of(h.key) for h in self.heard), dtype=np.int64, count=len(self.heard))
        self.clips = np.fromiter((clips.setdefault(h.clip, len(clips)) for h in self.heard), dtype=np.int64,
                                 count=len(self.heard))
        self.clip_ids = clips
        self.breaks = np.array([_break_price(self.heard, j) for j in range(len(self.heard))], dtype=np.float64)
        self.elsewhere = self.scores.id_of("\0")  # a syllable of another clip than the sentence's

    def fit(self, sentence_keys: Sequence[str], lo: int, hi: int, clip: str | None) -> _Fit | None:
        columns = self.ids[lo:hi]
        if clip is not None:
            columns = np.where(self.clips[lo:hi] == self.clip_ids.get(clip, -1), columns, self.elsewhere)
        return _fit(sentence_keys, [""] * (hi - lo), lo, self.breaks[lo:hi],
                    self.scores.matrix(sentence_keys, columns))


def _candidates(sentence_keys: Sequence[str], heard: Sequence[_Heard], index: dict[str, list[int]],
                clip: str | None, stream: _Stream | None = None) -> list[_Fit]:
    """Fits of one sentence around every stretch of speech that shares enough of its syllables."""
    stream = stream or _Stream(heard)
    n = len(sentence_keys)
    width = max(4, n // 2)
    votes: dict[int, int] = defaultdict(int)
    for i, key in enumerate(sentence_keys):
        positions = index.get(_onset(key)[1], ())
        if len(positions) > _COMMON:
            continue
        for j in positions:
            if clip is None or heard[j].clip == clip:
                votes[(j - i) // width] += 1
    need = max(2, math.ceil(0.15 * n)) if n >= 4 else 1
    bins = sorted(b for b, v in votes.items() if v >= need)
    fits: list[_Fit] = []
    windows: list[tuple[int, int]] = []
    for b in bins:
        lo = max(0, b * width - n // 2 - 4)
        hi = min(len(heard), (b + 1) * width + n + n // 2 + 4)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], hi)
        else:
            windows.append((lo, hi))
    while windows:  # the best fit in each window, then the best in what is left on either side of it
        lo, hi = windows.pop()
        if hi - lo < max(2, n // 2):
            continue
        fit = stream.fit(sentence_keys, lo, hi, clip)
        if fit is None or fit.heard < MIN_HEARD:
            continue
        fits.append(fit)
        windows.extend([(lo, fit.span[0]), (fit.span[1] + 1, hi)])
    return fits


# -- placing the script -------------------------------------------------------------------------------

def _timed_tokens(sentence: Sentence, fit: _Fit, heard: Sequence[_Heard], words: Sequence[TimedWord],
                  block: str, from_ms: int | None = None, to_ms: int | None = None,
                  source: str | None = None) -> tuple[TimedWord, ...]:
    """The sentence's tokens with times: paired syllables take the heard syllable's time, the others
    share the time between their timed neighbours by length. `from_ms` / `to_ms`: where the speech
    the sentence stands for starts / ends when stray words at its edges were taken in
    (`_take_in_strays`), so its unpaired edge syllables share that time instead of an estimate;
    `source`: the source id of its first heard word then."""
    flat = [(t, key) for t, keys in enumerate(sentence.keys) for key in keys]
    times: list[tuple[int, int] | None] = [None] * len(flat)
    for i, j in fit.pairs:
        times[i] = (heard[j].start_ms, heard[j].end_ms)
    first_pair, last_pair = fit.pairs[0][0], fit.pairs[-1][0]
    typical = max(120, (heard[fit.pairs[-1][1]].end_ms - heard[fit.pairs[0][1]].start_ms)
                  // max(1, last_pair - first_pair + 1))
    i = 0
    while i < len(flat):
        if times[i] is not None:
            i += 1
            continue
        k = i
        while k < len(flat) and times[k] is None:
            k += 1
        prev_span = times[i - 1] if i > 0 else None
        next_span = times[k] if k < len(flat) else None
        before = prev_span[1] if prev_span else None
        after = next_span[0] if next_span else None
        count = k - i
        if before is None and after is not None:
            before = min(from_ms, after) if from_ms is not None else max(0, after - typical * count)
        if after is None and before is not None:
            after = max(to_ms, before) if to_ms is not None else before + typical * count
        assert before is not None and after is not None
        lengths = [len(flat[x][1]) for x in range(i, k)]
        total = sum(lengths) or 1
        at = float(before)
        for x, length in zip(range(i, k), lengths, strict=True):
            nxt = at + (after - before) * length / total
            times[x] = (round(at), max(round(at), round(nxt)))
            at = nxt
        i = k
    source = source or words[heard[fit.pairs[0][1]].word].source_id
    paired_tokens = {flat[i][0] for i, _ in fit.pairs}
    out: list[TimedWord] = []
    for t, token in enumerate(sentence.tokens):
        spans = [times[x] for x, (owner, _) in enumerate(flat) if owner == t]
        spans_known = [s for s in spans if s is not None]
        if not spans_known:  # a token of digits and marks only: it sits where the previous ended
            at_ms = out[-1].end_ms if out else (times[0][0] if times and times[0] else 0)
            spans_known = [(at_ms, at_ms)]
        start = min(s[0] for s in spans_known)
        end = max(s[1] for s in spans_known)
        if out and start < out[-1].end_ms:
            start = out[-1].end_ms
        # A token heard (paired) is sure of its time; one placed between heard ones is not (UNHEARD).
        sure = 1.0 if t in paired_tokens else UNHEARD
        out.append(TimedWord(start, max(start, end), token, sure, None, f"{block}|{source}", block))
    return tuple(out)


def _out_of_order(placements: Sequence[Placement], order: dict[str, int]) -> tuple[str, ...]:
    """Sentence ids off the longest run that keeps the script's order (what a reorder moved)."""
    seq = [order[p.sentence.id] for p in placements]
    if not seq:
        return ()
    tails: list[int] = []
    tail_at: list[int] = []
    parent = [-1] * len(seq)
    for k, value in enumerate(seq):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if tails[mid] < value:
                lo = mid + 1
            else:
                hi = mid
        if lo == len(tails):
            tails.append(value)
            tail_at.append(k)
        else:
            tails[lo] = value
            tail_at[lo] = k
        parent[k] = tail_at[lo - 1] if lo else -1
    keep: set[int] = set()
    k = tail_at[-1]
    while k >= 0:
        keep.add(k)
        k = parent[k]
    return tuple(dict.fromkeys(p.sentence.id for n, p in enumerate(placements) if n not in keep))


def _yield_edges(fit: _Fit, taken: Sequence[tuple[int, int]], script: Sequence[str],
                 heard: Sequence[_Heard]) -> _Fit | None:
    """`fit` without the syllables at its ends that a better-heard sentence already holds (a
    sentence filled out with its neighbour's first or last syllable); None when it still overlaps
    one, or too little of it is left heard."""
    def held(j: int) -> bool:
        return any(a <= j <= b for a, b in taken)

    pairs = list(fit.pairs)
    while pairs and held(pairs[0][1]):
        pairs.pop(0)
    while pairs and held(pairs[-1][1]):
        pairs.pop()
    if not pairs or any(held(j) for _, j in pairs):
        return None
    if len(pairs) == len(fit.pairs):
        return fit
    share = sum({MATCH: 1.0, NEAR: 0.5}.get(_sub(script[i], heard[j].key), 0.0) for i, j in pairs) / len(script)
    return _Fit(fit.score, tuple(pairs), share) if share >= MIN_HEARD else None


# A stray: recognised speech left between placed sentences that is the edge of one of them misheard.
# The fitting alignment pairs a sentence's first (last) syllables with whatever heard ones give the
# best score and leaves a heard syllable more than the script has outside the sentence for free, so
# "cho nên là chỉ từ…" for "Chuỗi giá trị từ…" leaves "cho" out, and it would be a cue of its own:
# one word for a fifth of a second, unreadable, and not what was said. Such a run is taken into the
# sentence when it is this short, joined to it (a gap under lint's speech gap: one stretch of speech),
# set apart from all other speech on its far side (a sentence's pause, another clip, or nothing), and
# no longer than the sentence's edge syllables that were not heard (unpaired or mismatched): a
# sentence whose edge was heard as itself keeps a word said next to it (an ad-lib "vâng").
STRAY_SYLLABLES = 2
STRAY_JOINED_MS = 300  # `subs.speech.SPEECH_GAP_MS`
STRAY_APART_MS = 600  # `subs.sentences.PAUSE_MS`: a pause that ends a sentence


def _unheard_edge(fit: _Fit, script: Sequence[str], heard: Sequence[_Heard], leading: bool) -> int:
    """How many of the sentence's syllables at one edge come before its first (after its last) pair
    heard as itself or as a near miss: the syllables the alignment has no evidence for there."""
    good = [i for i, j in fit.pairs if _sub(script[i], heard[j].key) > 0]
    if not good:
        return 0
    return good[0] if leading else len(script) - 1 - good[-1]


def _stray_run(words: Sequence[TimedWord], covered: set[int], edge: int, step: int) -> list[int]:
    """The uncovered words next to word `edge` on one side (`step` -1: before it, +1: after it) that
    form a stray (see STRAY_SYLLABLES), nearest first; [] when there is none."""
    def clip(k: int) -> str:
        return words[k].source_id.rsplit("|", 1)[-1].split("@", 1)[0]

    def gap(a: int, b: int) -> int:
        first, second = (a, b) if a < b else (b, a)
        return words[second].start_ms - words[first].end_ms

    run: list[int] = []
    syllables = 0
    k = edge
    while True:
        nxt = k + step
        if nxt < 0 or nxt >= len(words) or clip(nxt) != clip(k) or gap(k, nxt) >= STRAY_APART_MS:
            return run  # set apart: nothing, another clip, or a sentence's pause beyond it
        if nxt in covered or gap(k, nxt) >= STRAY_JOINED_MS:
            return []  # other speech close by: not a stray of this sentence
        syllables += len(syllable_keys(words[nxt].text))
        if syllables > STRAY_SYLLABLES:
            return []
        run.append(nxt)
        k = nxt


def _clock(ms: int) -> str:
    """Programme milliseconds as the subtitle files write them ("00:00:47,900")."""
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _take_in_strays(chosen: Sequence[tuple[int, _Fit]], sentences: Sequence[Sentence], heard: Sequence[_Heard],
                    words: Sequence[TimedWord]) -> tuple[list[tuple[int, _Fit, int, int]], list[str]]:
    """Each chosen fit (in time order) with the recognised words it stands for, as (sentence number,
    fit, first word, last word), strays at its edges taken in (the fit then without its unheard edge
    pairs, so those syllables share the stray's time); and a note for each stray taken in, so the
    record says which recognised words the script's now stand for."""
    covered: set[int] = set()
    for _, fit in chosen:
        covered.update(range(heard[fit.span[0]].word, heard[fit.span[1]].word + 1))
    out: list[tuple[int, _Fit, int, int]] = []
    notes: list[str] = []
    for number, fit in chosen:
        sentence = sentences[number]
        script = [key for keys in sentence.keys for key in keys]
        first, last = heard[fit.span[0]].word, heard[fit.span[1]].word
        pairs = list(fit.pairs)
        for leading in (True, False):
            edge = first if leading else last
            run = _stray_run(words, covered, edge, -1 if leading else 1)
            said = sum(len(syllable_keys(words[k].text)) for k in run)
            if not run or said > _unheard_edge(fit, script, heard, leading):
                continue
            good = [n for n, (i, j) in enumerate(pairs) if _sub(script[i], heard[j].key) > 0]
            pairs = pairs[good[0]:] if leading else pairs[: good[-1] + 1]
            covered.update(run)
            if leading:
                first = min(run)
            else:
                last = max(run)
            text = " ".join(words[k].text for k in sorted(run))
            where = "start" if leading else "end"
            notes.append(f"{sentence.ref}: the recognised “{text}” at {_clock(words[min(run)].start_ms)}, joined to "
                         f"the sentence's {where} and not heard as its words, is taken as that {where} misheard "
                         "(the script's words are shown for it)")
        out.append((number, _Fit(fit.score, tuple(pairs), fit.heard), first, last))
    return out, notes


def align(lines: Sequence[ScriptLineLike], words: Sequence[TimedWord]) -> Alignment:
    """Place every script sentence on the recognised `words` (programme time, in time order)."""
    words = sorted(words, key=lambda w: (w.start_ms, w.end_ms))
    sentences = sentences_of(lines)
    heard = _heard(words)
    index: dict[str, list[int]] = defaultdict(list)
    for j, h in enumerate(heard):
        index[_onset(h.key)[1]].append(j)  # by rhyme: a misheard initial still votes
    clips = {h.clip for h in heard}
    stream = _Stream(heard)
    # what reading the script changed (`ScriptLine.notes`: a double-encoded file repaired)
    notes: list[str] = list(dict.fromkeys(note for line in lines for note in getattr(line, "notes", ())))
    options: list[tuple[float, int, _Fit]] = []
    for number, sentence in enumerate(sentences):
        flat = [key for keys in sentence.keys for key in keys]
        clip = sentence.clip if sentence.clip in clips else None
        if sentence.clip and clip is None:
            notes.append(f"{sentence.ref}: clip {sentence.clip!r} is not in the edit; looked everywhere")
        for fit in _candidates(flat, heard, index, clip, stream):
            if fit.heard >= MIN_HEARD and fit.score > 0:
                options.append((fit.heard, number, fit))
    options.sort(key=lambda o: (-o[0], -o[2].score))
    taken: list[tuple[int, int]] = []
    chosen: list[tuple[int, _Fit]] = []
    count: dict[int, int] = defaultdict(int)
    for heard_share, number, option in options:
        kept = _yield_edges(option, taken, [key for keys in sentences[number].keys for key in keys], heard)
        if kept is None:
            continue
        lo, hi = kept.span
        if count[number] and heard_share < MIN_HEARD_AGAIN:
            continue
        count[number] += 1
        taken.append((lo, hi))
        chosen.append((number, kept))
    chosen.sort(key=lambda c: c[1].span[0])
    spans, stray_notes = _take_in_strays(chosen, sentences, heard, words)
    notes.extend(stray_notes)
    placements: list[Placement] = []
    seen: dict[int, int] = defaultdict(int)
    for number, fit, first_word, last_word in spans:
        seen[number] += 1
        sentence = sentences[number]
        block = f"script:{sentence.id}#{seen[number]}"
        took_in = (first_word < heard[fit.span[0]].word, last_word > heard[fit.span[1]].word)
        timed = _timed_tokens(sentence, fit, heard, words, block,
                              words[first_word].start_ms if took_in[0] else None,
                              words[last_word].end_ms if took_in[1] else None,
                              words[first_word].source_id if took_in[0] else None)
        placements.append(Placement(sentence, seen[number], timed, first_word, last_word, fit.heard, fit.score))
    covered: set[int] = set()
    for p in placements:
        covered.update(range(p.first_word, p.last_word + 1))
    merged: list[TimedWord] = [w for n, w in enumerate(words) if n not in covered]
    for p in placements:
        merged.extend(p.words)
    merged.sort(key=lambda w: (w.start_ms, w.end_ms))
    unscripted: list[tuple[int, int, str]] = []
    run: list[TimedWord] = []
    for n, word in enumerate([*words, None]):
        if word is not None and n not in covered and syllable_keys(word.text):
            run.append(word)
            continue
        if len(run) >= 3:
            unscripted.append((run[0].start_ms, run[-1].end_ms, " ".join(w.text for w in run)))
        run = []
    order = {s.id: n for n, s in enumerate(sentences)}
    return Alignment(tuple(sentences), tuple(placements), tuple(merged), tuple(unscripted),
                     _out_of_order(placements, order), tuple(notes))
