"""One English sentence shared across the Vietnamese cues that carry its sentence.

A script sentence often needs two or three Vietnamese cues; the translator wrote one English
sentence for it. The English is cut where a viewer would pause anyway — after a comma, a semicolon
or a dash, or before "and", "which", "where" … — as near as possible to where the Vietnamese cues
divide the sentence (by their share of its characters), and never inside a glossary term.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Sequence

from ..fsutil import nfc
from ..subs.linebreak import token_key

_CLAUSE_END = (",", ";", ":", "—", "–")
_CLAUSE_START = frozenset({"and", "but", "or", "which", "where", "while", "when", "as", "with", "from", "to",
                           "into", "that", "who", "whose", "because", "so", "for", "across", "through"})
_SENTENCE_END = (".", "!", "?", "…")


AVOIDED_END = 3.0
"""Price of ending a piece on an `avoid_after` word: above any plain word boundary (1.5), so the cut
moves by a word or two rather than leave an article hanging."""


def _boundary_price(before: str, after: str) -> float:
    """How natural a cut between two words is: 0 after a full stop, small after a clause, more elsewhere."""
    if before.endswith(_SENTENCE_END):
        return 0.0
    if before.endswith(_CLAUSE_END) or after in ("—", "–"):
        return 0.2
    if after.casefold().strip("\"'“”") in _CLAUSE_START:
        return 0.6
    return 1.5


def _inside_term(words: Sequence[str], cut: int, terms: Collection[str]) -> bool:
    """True when cutting before words[cut] would split one of `terms` (matched word by word)."""
    for term in terms:
        parts = term.split()
        for start in range(max(0, cut - len(parts) + 1), cut):
            window = [w.strip(",.;:!?\"'“”()") for w in words[start : start + len(parts)]]
            if window == parts:
                return True
    return False


def share_out(english: str, weights: Sequence[int], terms: Collection[str] = (),
              avoid_after: Collection[str] = ()) -> list[str]:
    """`english` cut into len(weights) consecutive pieces sized like `weights` (the Vietnamese cues'
    characters), at the most natural boundaries. Fewer words than pieces leaves the last pieces empty.
    `avoid_after` are the words a line may not end on (the style's `avoid_break_after`: articles,
    possessives): a cue may not end on them either ("…received the / highest…")."""
    words = nfc(english).split()
    count = len(weights)
    if count <= 1 or not words:
        return [" ".join(words)] + [""] * max(0, count - 1)
    if len(words) <= count:
        return words + [""] * (count - len(words))
    total_weight = sum(max(1, w) for w in weights)
    targets: list[float] = []
    acc = 0
    for weight in weights[:-1]:
        acc += max(1, weight)
        targets.append(acc / total_weight)
    ends: list[float] = []  # character position after each word, as a share of the text
    pos = 0
    text_len = sum(len(w) for w in words) + len(words) - 1
    for w in words:
        pos += len(w) + 1
        ends.append(min(1.0, (pos - 1) / text_len))
    cuts = range(1, len(words))  # cut k: before words[k]
    avoid = {word.casefold() for word in avoid_after}
    price = {k: _boundary_price(words[k - 1], words[k]) + (math.inf if _inside_term(words, k, terms) else 0.0)
             + (AVOIDED_END if token_key(words[k - 1]) in avoid else 0.0)
             for k in cuts}
    # best[p][k]: cheapest way to place cuts 1..p with cut p before word k.
    best: list[dict[int, float]] = [{0: 0.0}]
    back: list[dict[int, int]] = [{}]
    for p, target in enumerate(targets, start=1):
        row: dict[int, float] = {}
        link: dict[int, int] = {}
        for k in cuts:
            if k < p or len(words) - k < count - p:
                continue
            here = price[k] + 6.0 * abs(ends[k - 1] - target)
            options = [(cost + here, prev) for prev, cost in best[p - 1].items() if prev < k]
            if options:
                row[k], link[k] = min(options)
        best.append(row)
        back.append(link)
    last = min(best[-1], key=lambda k: best[-1][k])
    chosen = [last]
    for p in range(len(targets), 1, -1):
        chosen.append(back[p][chosen[-1]])
    chosen.reverse()
    bounds = [0, *chosen, len(words)]
    return [" ".join(words[a:b]) for a, b in itertools.pairwise(bounds)]
