"""Line breaking: where a cue's text is split into lines, as a subtitler would split it.

Vietnamese writes each syllable as a space-separated word, so tokens are the space-separated words;
names, glossary terms and numbers with their units are glued into units that are never split.
Every possible break is scored (after punctuation best, before a conjunction or preposition good,
after an article or a title bad, inside a glued unit forbidden) together with the shape of the
lines (bottom-heavy or balanced), and the cheapest layout with the fewest lines that fit wins.
The segmenter uses the same scores to choose where one cue ends and the next begins.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise

from ..fsutil import nfc
from .style import Style

SENTENCE_END = ".?!…"
CLAUSE_END = ",;:–—"
_CLOSERS = "\"'”’»)]}"
_OPENERS = "\"'“‘«([{"
_EDGE_PUNCT = _CLOSERS + _OPENERS + SENTENCE_END + CLAUSE_END
_NUMBER = re.compile(r"^[-+]?[$€£]?\d[\d.,]*%?$")

FORBIDDEN = 1000.0
"""Cost of breaking inside a glued unit: finite so an over-long name can still be split at last."""


@dataclass(frozen=True)
class LineBreak:
    """A layout: the lines, what it cost, and how many characters stick out past the limit."""

    lines: tuple[str, ...]
    cost: float
    overflow: int

    @property
    def fits(self) -> bool:
        """True when no line is longer than the profile allows."""
        return self.overflow == 0


def token_key(token: str) -> str:
    """A token as looked up in word lists: NFC, case-folded, without surrounding punctuation."""
    return nfc(token).strip(_EDGE_PUNCT).casefold()


def is_number(token: str) -> bool:
    """'1.200', '2,5', '30%', '$5' — a token a unit must stay beside."""
    return bool(_NUMBER.match(token.strip(_CLOSERS + _OPENERS + SENTENCE_END + ",;:")))


def _phrase_keys(phrases: Collection[str]) -> dict[str, list[tuple[str, ...]]]:
    """Phrases indexed by their first token, longest first, so matching tries 'tỷ đồng' before 'tỷ'."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        keys = tuple(token_key(part) for part in nfc(phrase).split())
        keys = tuple(key for key in keys if key)
        if keys:
            index.setdefault(keys[0], []).append(keys)
    for options in index.values():
        options.sort(key=len, reverse=True)
    return index


def _match(keys: Sequence[str], at: int, index: dict[str, list[tuple[str, ...]]]) -> int:
    """Length in tokens of the longest phrase from `index` starting at `at`; 0 when none does."""
    if at >= len(keys):
        return 0
    for phrase in index.get(keys[at], ()):
        if tuple(keys[at : at + len(phrase)]) == phrase:
            return len(phrase)
    return 0


def glue_mask(tokens: Sequence[str], style: Style, protected: Collection[str] = ()) -> list[bool]:
    """For each gap between tokens, True when no line or cue may break there.

    Glued: inside a protected phrase (names, glossary terms, the profile's keep_together), between a
    number and its units ('1.200 ha', '2,5 triệu tấn'), between a prefix and its number ('năm
    2023'), and beside a punctuation mark standing alone ('sao ?').
    """
    keys = [token_key(token) for token in tokens]
    glued = [False] * max(0, len(tokens) - 1)

    def glue(first: int, last: int) -> None:
        for gap in range(first, last):
            glued[gap] = True

    phrases = _phrase_keys([*protected, *style.keep_together])
    units = _phrase_keys(style.units)
    prefixes = _phrase_keys(style.number_prefixes)
    for at, token in enumerate(tokens):
        length = _match(keys, at, phrases)
        if length > 1:
            glue(at, at + length - 1)
        if is_number(token):
            end = at + 1
            while (length := _match(keys, end, units)) and tokens[end - 1][-1:] not in ",;:.":
                end += length
            glue(at, end - 1)
        length = _match(keys, at, prefixes)
        if length and at + length < len(tokens) and is_number(tokens[at + length]):
            glue(at, at + length)
        if at and not keys[at] and token[:1] in _CLOSERS + SENTENCE_END + CLAUSE_END:
            glued[at - 1] = True
        if at + 1 < len(tokens) and not keys[at] and token[-1:] in _OPENERS:
            glued[at] = True
    return glued


def _starts_phrase(keys: Sequence[str], at: int, words: Collection[str]) -> bool:
    return any(" ".join(keys[at : at + width]) in words for width in (1, 2, 3) if at + width <= len(keys))


def _ends_phrase(keys: Sequence[str], at: int, words: Collection[str]) -> bool:
    return any(" ".join(keys[at - width : at]) in words for width in (1, 2, 3) if at - width >= 0)


def gap_costs(tokens: Sequence[str], glued: Sequence[bool], style: Style) -> list[float]:
    """Cost of breaking before each token (index 0 unused): 0 after a full stop … FORBIDDEN.

    Computed once per text (or once per transcript by the segmenter) and sliced, because the
    segmenter lays out thousands of candidate cues over the same words.
    """
    keys = [token_key(token) for token in tokens]
    line_end_avoid = style.avoid_break_after | style.break_before
    compounds = _phrase_keys(style.compounds)
    inside_word: set[int] = set()
    for at in range(len(tokens)):
        inside_word.update(range(at + 1, at + _match(keys, at, compounds)))
    costs = [0.0] * len(tokens)
    for at in range(1, len(tokens)):
        before = nfc(tokens[at - 1]).rstrip(_CLOSERS)
        if glued[at - 1]:
            cost = FORBIDDEN
        elif before[-1:] in SENTENCE_END:
            cost = 0.0
        elif before[-1:] in CLAUSE_END:
            cost = 1.0
        else:
            cost = 6.0
            if _starts_phrase(keys, at, style.break_before) or tokens[at][:1] in _OPENERS:
                cost = 1.5
            if _ends_phrase(keys, at, line_end_avoid):
                cost += 6.0
            if at in inside_word:
                cost += 4.0
        costs[at] = cost
    return costs


def _shape_cost(lengths: Sequence[int], style: Style) -> float:
    cost = 0.0
    for upper, lower in pairwise(lengths):
        if style.line_balance == "balanced":
            cost += abs(upper - lower) * 0.25
        elif upper > lower:
            cost += (upper - lower) * 0.25
        else:
            cost += (lower - upper) * 0.1
    return cost


def break_tokens(
    tokens: Sequence[str], costs: Sequence[float], style: Style, max_lines: int | None = None
) -> LineBreak:
    """The best layout of `tokens` in as few lines as fit, up to `max_lines` (the profile's by default).

    When nothing fits (a single name longer than a line), the layout that sticks out least is
    returned with its overflow, so the caller or lint can report it instead of failing. `costs` are
    `gap_costs(tokens, …)` (or a slice of the transcript's, with index 0 unused).
    """
    limit = max_lines or style.lines_per_cue
    count = len(tokens)
    if count == 0:
        return LineBreak((), 0.0, 0)
    lengths = [len(token) for token in tokens]
    prefix = [0]
    for length in lengths:
        prefix.append(prefix[-1] + length)

    def width(first: int, stop: int) -> int:
        return prefix[stop] - prefix[first] + (stop - first - 1)

    cpl = style.chars_per_line
    whole = width(0, count)
    if whole <= cpl or count == 1 or limit == 1:
        return LineBreak((" ".join(tokens),), 0.0, max(0, whole - cpl))
    best: LineBreak | None = None
    best_key: tuple[int, float] = (1 << 30, 0.0)
    for lines in range(2, min(limit, count) + 1):
        for cuts in combinations(range(1, count), lines - 1):
            bounds = (0, *cuts, count)
            widths = [width(bounds[k], bounds[k + 1]) for k in range(lines)]
            overflow = sum(max(0, w - cpl) for w in widths)
            if overflow > best_key[0]:
                continue
            cost = sum(costs[cut] for cut in cuts) + _shape_cost(widths, style) + (lines - 2) * 3.0
            if (overflow, cost) < best_key:
                best_key = (overflow, cost)
                text = tuple(" ".join(tokens[bounds[k] : bounds[k + 1]]) for k in range(lines))
                best = LineBreak(text, cost, overflow)
        if best is not None and best.fits:
            return best
    assert best is not None
    return best


def break_lines(text: str, style: Style, protected: Collection[str] = ()) -> tuple[str, ...]:
    """Split `text` into at most `style.lines_per_cue` lines (one when it fits).

    `protected` lists phrases never to split: glossary terms and names such as "Ao Bà Om".
    """
    tokens = nfc(text).split()
    return break_tokens(tokens, gap_costs(tokens, glue_mask(tokens, style, protected), style), style).lines
