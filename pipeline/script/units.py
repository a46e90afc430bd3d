"""Which Vietnamese cues carry which script sentence, and where each cue's English comes from.

The unit of English is the sentence: where there is a script, the script's (its translator's
English, or one machine translation of the whole sentence, shared across its cues by `share_out`);
where there is none, the sentences recognised speech is cut into (`subs.sentences`), each
translated whole with the sentences around it as context, the cues a sentence runs across taking
their English together. Only a review sheet's English, made row by Vietnamese cue, goes cue by cue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..subs.cues import Cue, TimedWord
from ..subs.sentences import ClipAt, cue_text, sentence_groups
from .align import Alignment, Placement

SCRIPT_SOURCE = "script:"


def block_of_source(source_id: str) -> str | None:
    """The script block a word's source id names ("script:3#1|clip@ms" → "script:3#1")."""
    if not source_id.startswith(SCRIPT_SOURCE):
        return None
    return source_id.split("|", 1)[0]


def cue_blocks(cues: Sequence[Cue], alignment: Alignment | None) -> list[Placement | None]:
    """The placement each cue shows, or None for recognised speech.

    Generated cues carry their block in their source ids; cues read back from a file an editor
    changed do not, and count as the sentence whose placement holds most of the cue's time.
    """
    if alignment is None:
        return [None] * len(cues)
    out: list[Placement | None] = []
    for cue in cues:
        named = next((b for b in map(block_of_source, cue.source_ids) if b), None)
        if named is not None:
            out.append(alignment.placement_of(named))
            continue
        best: Placement | None = None
        best_share = 0.5
        for placement in alignment.placements:
            shared = min(cue.end_ms, placement.end_ms) - max(cue.start_ms, placement.start_ms)
            share = shared / max(1, cue.duration_ms)
            if share > best_share:
                best, best_share = placement, share
        out.append(best)
    return out


@dataclass(frozen=True)
class EnglishUnit:
    """Cues (positions in the Vietnamese list) that take their English together; `said` is the
    Vietnamese they show, sentence by sentence, as (text, start ms, end ms) (filled by
    `english_groups`)."""

    cues: tuple[int, ...]
    placement: Placement | None
    said: tuple[tuple[str, int, int], ...] = ()

    @property
    def script_english(self) -> str | None:
        return self.placement.sentence.en if self.placement else None

    @property
    def origin(self) -> str:
        return "script" if self.placement else "recognised"


def english_units(blocks: Sequence[Placement | None]) -> list[EnglishUnit]:
    """Consecutive cues of one placement form a unit; every other cue is a unit of its own."""
    units: list[EnglishUnit] = []
    for position, placement in enumerate(blocks):
        if placement is not None and units and units[-1].placement is placement \
                and units[-1].cues[-1] == position - 1:
            units[-1] = EnglishUnit((*units[-1].cues, position), placement)
        else:
            units.append(EnglishUnit((position,), placement))
    return units


def english_groups(cues: Sequence[Cue], blocks: Sequence[Placement | None], words: Sequence[TimedWord],
                   clip_at: ClipAt, by_sentence: bool = True) -> list[EnglishUnit]:
    """`english_units` with what each unit says: a script sentence its Vietnamese; recognised speech
    regrouped into whole sentences (`sentence_groups`, from `words`, the words the cues were made
    of), or with `by_sentence` False one unit per cue with the cue's text."""
    units: list[EnglishUnit] = []
    recognised: list[int] = []

    def flush() -> None:
        for group in sentence_groups(cues, recognised, words, clip_at):
            units.append(EnglishUnit(group.cues, None, tuple((s.text, s.start_ms, s.end_ms) for s in group.sentences)))
        recognised.clear()

    for unit in english_units(blocks):
        first, last = cues[unit.cues[0]], cues[unit.cues[-1]]
        if unit.placement is None and by_sentence:
            recognised.extend(unit.cues)
            continue
        flush()
        text = unit.placement.sentence.vi if unit.placement else cue_text(first)
        units.append(EnglishUnit(unit.cues, unit.placement, ((text, first.start_ms, last.end_ms),)))
    flush()
    return units
